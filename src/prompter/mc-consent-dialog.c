/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-consent-dialog.h"
#include "mc-prompter-resources.h"
#include "mc-text.h"
#include "mc-url-verdict.h"

/* Caps for peer-supplied text, in characters.  The message is the
 * server's own prose; the rest are names that must fit on a line. */
#define MESSAGE_MAX_CHARS 1000
#define NAME_MAX_CHARS 80
#define PATH_MAX_CHARS 300
#define REASON_MAX_CHARS 500

/* Wide enough for a URL to wrap readably, narrow enough to read as a
 * dialog, not a document. */
#define DIALOG_WIDTH 520

/* Longer text than this scrolls inside the dialog (see place_text). */
#define URL_SCROLL_CHARS 400
#define MESSAGE_SCROLL_CHARS 280
#define MESSAGE_SCROLL_LINES 5
/* More scopes than this scroll; five two-line rows fit the scroller. */
#define SCOPES_SCROLL_COUNT 5

/* The part of a URL that is not its host is shown at this opacity, so the
 * eye goes to the host, and within it to the registrable domain. */
#define URL_DIM_ALPHA ((guint16) (0.62 * G_MAXUINT16))

/* What a prompt asks for: to open a link, or to sign in (OAuth) to a server. */
typedef enum
{
  PROMPT_KIND_URL,
  PROMPT_KIND_AUTHORIZE,
} PromptKind;

struct _McConsentDialog
{
  GtkWindow             parent_instance;

  char                 *prompt_id;
  GVariant             *prompt;
  PromptKind            kind;
  /* The URL shown and judged: the link, or the authorization endpoint of a
   * sign-in (never the authorization request itself, which carries state). */
  char                 *url;
  char                 *server;
  char                 *domain;
  char                 *remembered_id;
  McUrlVerdict         *verdict;
  McUrlRisk             risk;
  McConsentDialogState  state;
  guint                 unlock_delay;
  guint                 unlock_source;
  guint                 notice_timeout_source;
  guint                 answered : 1;
  guint                 notice_closed : 1;
  guint                 unlocked : 1;
  guint                 forgotten : 1;
  GPtrArray            *scopes;        /* offered scopes, in the order given, no repeats */
  GPtrArray            *scope_checks;  /* a GtkCheckButton per scope, owned by scopes_list */

  GtkStack             *stack;
  GtkLabel             *heading_label;
  GtkImage             *app_icon;
  GtkLabel             *app_label;
  GtkLabel             *app_path_label;
  GtkLabel             *app_shared_label;
  GtkLabel             *server_label;
  GtkLabel             *server_url_label;
  GtkBox               *as_row;
  GtkLabel             *as_host_label;
  GtkLabel             *as_idn_label;
  GtkLabel             *as_issuer_label;
  GtkBox               *link_box;
  GtkBox               *url_frame;
  GtkScrolledWindow    *url_scroller;
  GtkLabel             *url_label;
  GtkLabel             *domain_label;
  GtkLabel             *idn_label;
  GtkBox               *warnings_box;
  GtkBox               *message_box;
  GtkBox               *message_frame;
  GtkScrolledWindow    *message_scroller;
  GtkLabel             *message_label;
  GtkBox               *scopes_box;
  GtkLabel             *scopes_caption;
  GtkLabel             *no_scopes_label;
  GtkBox               *scopes_frame;
  GtkScrolledWindow    *scopes_scroller;
  GtkBox               *scopes_list;
  GtkLabel             *scopes_hint_label;
  GtkBox               *granted_box;
  GtkBox               *granted_list;
  GtkCheckButton       *understand_check;
  GtkCheckButton       *remember_check;
  GtkLabel             *policy_label;
  GtkLabel             *queued_label;
  GtkButton            *decline_button;
  GtkButton            *open_button;
  GtkSpinner           *opening_spinner;
  GtkLabel             *opening_label;
  GtkLabel             *opened_heading_label;
  GtkLabel             *opened_label;
  GtkBox               *remembered_box;
  GtkLabel             *remembered_label;
  GtkButton            *forget_button;
  GtkButton            *opened_close_button;
  GtkLabel             *reason_label;
  GtkBox               *failed_url_box;
  GtkLabel             *failed_url_caption;
  GtkBox               *failed_url_frame;
  GtkScrolledWindow    *failed_url_scroller;
  GtkLabel             *failed_url_label;
  GtkButton            *copy_button;
  GtkButton            *failed_close_button;
};

G_DEFINE_FINAL_TYPE (McConsentDialog, mc_consent_dialog, GTK_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_UNLOCK_DELAY,
  N_PROPS
};

enum {
  ANSWERED,
  NOTICE_CLOSED,
  FORGET_REQUESTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char *
lookup_string (GVariant   *prompt,
               const char *key)
{
  const char *value = NULL;

  if (prompt == NULL || !g_variant_lookup (prompt, key, "&s", &value) || value[0] == '\0')
    return NULL;
  return value;
}

/* The OpenID Connect standard scopes (OpenID Connect Core 1.0, §5.4 and
 * §11), in words for people who have never heard of a scope.  Scopes are
 * case-sensitive (RFC 6749, §3.3), so "OpenID" has no description. */
static const struct
{
  const char *scope;
  const char *description;
} scope_descriptions[] = {
  { "openid", N_("Confirm who you are") },
  { "profile", N_("See your name, picture and other basic profile details") },
  { "email", N_("See your email address") },
  { "address", N_("See your postal address") },
  { "phone", N_("See your phone number") },
  { "offline_access", N_("Stay signed in when you are away") },
};

static const char *
describe_scope (const char *scope)
{
  for (guint i = 0; i < G_N_ELEMENTS (scope_descriptions); i++)
    if (g_str_equal (scope_descriptions[i].scope, scope))
      return _(scope_descriptions[i].description);
  return NULL;
}

/* A string array of the prompt, in its order, without repeats and without
 * the strings of @except. */
static GPtrArray *
lookup_scopes (GVariant   *prompt,
               const char *key,
               GPtrArray  *except)
{
  GPtrArray *scopes = g_ptr_array_new_with_free_func (g_free);
  g_autofree const char **values = NULL;

  if (prompt == NULL || !g_variant_lookup (prompt, key, "^a&s", &values))
    return scopes;

  for (guint i = 0; values[i] != NULL; i++)
    {
      if (values[i][0] == '\0' ||
          g_ptr_array_find_with_equal_func (scopes, values[i], g_str_equal, NULL) ||
          (except != NULL && g_ptr_array_find_with_equal_func (except, values[i], g_str_equal, NULL)))
        continue;
      g_ptr_array_add (scopes, g_strdup (values[i]));
    }

  return scopes;
}

/* Labels with use-underline treat "_" as a mnemonic marker, so a server
 * called "my_server" would otherwise lose its underscore and steal a
 * mnemonic from us. */
static char *
escape_underlines (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "_", -1);

  return g_strjoinv ("__", parts);
}

/* Attributes, never markup: the URL is the peer's text, and markup built
 * from it could be made to say anything. */
static PangoAttrList *
create_url_attributes (const char   *url,
                       McUrlVerdict *verdict)
{
  PangoAttrList *attrs = pango_attr_list_new ();
  PangoAttribute *attr;
  gsize host_start = 0;
  gsize host_end = 0;
  gsize domain_start = 0;
  gsize domain_end = 0;
  gsize length = strlen (url);

  /* Pango marks a break inside a word with a hyphen, and a hyphen that is
   * not in the URL must not appear to be. */
  pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));

  if (verdict == NULL ||
      !mc_url_verdict_get_host_range (verdict, &host_start, &host_end) ||
      host_end > length || host_start >= host_end)
    return attrs;

  attr = pango_attr_foreground_alpha_new (URL_DIM_ALPHA);
  attr->start_index = 0;
  attr->end_index = host_start;
  pango_attr_list_insert (attrs, attr);

  attr = pango_attr_foreground_alpha_new (URL_DIM_ALPHA);
  attr->start_index = host_end;
  attr->end_index = length;
  pango_attr_list_insert (attrs, attr);

  if (!mc_url_verdict_get_registrable_domain_range (verdict, &domain_start, &domain_end) ||
      domain_start < host_start || domain_end > host_end)
    {
      /* No registrable domain (an IP address, "localhost"): the whole host
       * is what the user has to check. */
      domain_start = host_start;
      domain_end = host_end;
    }

  attr = pango_attr_weight_new (PANGO_WEIGHT_BOLD);
  attr->start_index = domain_start;
  attr->end_index = domain_end;
  pango_attr_list_insert (attrs, attr);

  return attrs;
}

/* GtkScrolledWindow (GTK 4.8) sizes itself by its child's height at the
 * child's natural width, not at the width it will get, which would cut a
 * wrapped URL short.  So text that fits is shown as it is, and only text
 * too long for the dialog goes into a scroller of fixed height.  The same
 * goes for a long list of scopes. */
static void
place_text (GtkBox            *frame,
            GtkScrolledWindow *scroller,
            GtkWidget         *widget,
            gboolean           scroll)
{
  gboolean in_frame = gtk_widget_get_parent (widget) == GTK_WIDGET (frame);

  g_object_ref (widget);
  if (scroll && in_frame)
    {
      gtk_box_remove (frame, widget);
      gtk_scrolled_window_set_child (scroller, widget);
    }
  else if (!scroll && !in_frame)
    {
      gtk_scrolled_window_set_child (scroller, NULL);
      gtk_box_append (frame, widget);
    }
  g_object_unref (widget);

  gtk_widget_set_visible (GTK_WIDGET (scroller), scroll);
}

static void
disable_hyphens (GtkLabel *label)
{
  g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();

  pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));
  gtk_label_set_attributes (label, attrs);
}

/* A name split over two lines, at one of the hyphens of "xn--", reads as
 * two names. */
static void
keep_together (GtkLabel   *label,
               const char *part)
{
  const char *text = gtk_label_get_text (label);
  const char *found = strstr (text, part);
  g_autoptr(PangoAttrList) attrs = NULL;
  PangoAttribute *attr;

  if (found == NULL)
    return;

  attrs = pango_attr_list_copy (gtk_label_get_attributes (label));
  if (attrs == NULL)
    attrs = pango_attr_list_new ();

  attr = pango_attr_allow_breaks_new (FALSE);
  attr->start_index = found - text;
  attr->end_index = found - text + strlen (part);
  pango_attr_list_insert (attrs, attr);
  gtk_label_set_attributes (label, attrs);
}

static void
set_url_label (McConsentDialog   *self,
               GtkBox            *frame,
               GtkScrolledWindow *scroller,
               GtkLabel          *label)
{
  g_autoptr(PangoAttrList) attrs = NULL;

  attrs = create_url_attributes (self->url, self->verdict);
  gtk_label_set_text (label, self->url);
  gtk_label_set_attributes (label, attrs);
  place_text (frame, scroller, GTK_WIDGET (label), g_utf8_strlen (self->url, -1) > URL_SCROLL_CHARS);
}

/* The host as written in the URL, with its registrable domain in bold, as
 * it stands out in the link itself (create_url_attributes): this is what
 * the user has to check. */
static void
set_host_label (McConsentDialog *self,
                GtkLabel        *label)
{
  g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();
  g_autofree char *host = NULL;
  PangoAttribute *attr;
  gsize host_start = 0;
  gsize host_end = 0;
  gsize domain_start = 0;
  gsize domain_end = 0;

  pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));

  if (self->url == NULL || self->verdict == NULL ||
      !mc_url_verdict_get_host_range (self->verdict, &host_start, &host_end) ||
      host_end > strlen (self->url) || host_start >= host_end)
    {
      gtk_label_set_text (label, self->domain);
      gtk_label_set_attributes (label, attrs);
      return;
    }

  if (!mc_url_verdict_get_registrable_domain_range (self->verdict, &domain_start, &domain_end) ||
      domain_start < host_start || domain_end > host_end)
    {
      domain_start = host_start;
      domain_end = host_end;
    }

  host = g_strndup (self->url + host_start, host_end - host_start);
  attr = pango_attr_weight_new (PANGO_WEIGHT_BOLD);
  attr->start_index = domain_start - host_start;
  attr->end_index = domain_end - host_start;
  pango_attr_list_insert (attrs, attr);

  gtk_label_set_text (label, host);
  gtk_label_set_attributes (label, attrs);
}

static gboolean
any_scope_ticked (McConsentDialog *self)
{
  for (guint i = 0; i < self->scope_checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->scope_checks, i)))
      return TRUE;
  return FALSE;
}

static void
update_open_sensitivity (McConsentDialog *self)
{
  gboolean sensitive;

  g_assert (MC_IS_CONSENT_DIALOG (self));

  /* A sign-in with every scope unticked would ask for no scope, and an
   * authorization server answers that with its default scopes: more than
   * the user chose, not less.  So at least one stays ticked. */
  sensitive = self->state == MC_CONSENT_DIALOG_STATE_PROMPT &&
              !self->answered &&
              self->unlocked &&
              self->url != NULL &&
              self->risk < MC_URL_RISK_BLOCKED &&
              (self->risk < MC_URL_RISK_DANGER ||
               gtk_check_button_get_active (self->understand_check)) &&
              (self->kind != PROMPT_KIND_AUTHORIZE ||
               self->scope_checks->len == 0 ||
               any_scope_ticked (self));

  gtk_widget_set_sensitive (GTK_WIDGET (self->open_button), sensitive);
}

static gboolean
unlock_open_cb (gpointer user_data)
{
  McConsentDialog *self = user_data;

  g_assert (MC_IS_CONSENT_DIALOG (self));

  self->unlock_source = 0;
  self->unlocked = TRUE;
  update_open_sensitivity (self);

  return G_SOURCE_REMOVE;
}

/* Open only works a moment after the dialog has the user's attention: a
 * dialog that pops up under a click or a keystroke meant for another
 * window (or one an attacker raised just in time) must not take it as
 * consent.  Firefox does the same for its download and permission prompts. */
static void
is_active_changed_cb (McConsentDialog *self)
{
  g_assert (MC_IS_CONSENT_DIALOG (self));

  g_clear_handle_id (&self->unlock_source, g_source_remove);
  self->unlocked = FALSE;
  update_open_sensitivity (self);

  if (gtk_window_is_active (GTK_WINDOW (self)))
    self->unlock_source = g_timeout_add (self->unlock_delay, unlock_open_cb, self);
}

/* GtkButton activates on Enter as well as Space; Enter is swallowed here so
 * that a habitual Enter, typed into what the user thought was another
 * window, can never open a link. */
static gboolean
open_button_key_pressed_cb (GtkEventControllerKey *controller,
                            guint                  keyval,
                            guint                  keycode,
                            GdkModifierType        state,
                            gpointer               user_data)
{
  switch (keyval)
    {
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      return TRUE;

    default:
      return FALSE;
    }
}

static gboolean
escape_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  gtk_window_close (GTK_WINDOW (widget));
  return TRUE;
}

/* @results: (nullable): an a{sv} (a floating one is sunk), or %NULL for none */
static void
emit_answer (McConsentDialog *self,
             const char      *answer,
             GVariant        *results)
{
  g_autoptr(GVariant) owned_results = NULL;

  g_assert (MC_IS_CONSENT_DIALOG (self));

  owned_results = g_variant_ref_sink (results ? results : g_variant_new ("a{sv}", NULL));

  if (self->answered)
    return;

  self->answered = TRUE;
  update_open_sensitivity (self);
  g_signal_emit (self, signals[ANSWERED], 0, answer, owned_results);
}

/* The scopes left ticked, in the order the prompt gave them. */
static GVariant *
create_scope_results (McConsentDialog *self)
{
  g_auto(GVariantBuilder) scopes = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_STRING_ARRAY);
  g_auto(GVariantDict) results = G_VARIANT_DICT_INIT (NULL);

  g_assert (self->scopes->len == self->scope_checks->len);

  for (guint i = 0; i < self->scope_checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->scope_checks, i)))
      g_variant_builder_add (&scopes, "s", g_ptr_array_index (self->scopes, i));

  g_variant_dict_insert_value (&results, "scopes", g_variant_builder_end (&scopes));
  return g_variant_dict_end (&results);
}

static void
decline_clicked_cb (McConsentDialog *self)
{
  g_assert (MC_IS_CONSENT_DIALOG (self));

  if (self->state != MC_CONSENT_DIALOG_STATE_PROMPT)
    return;

  emit_answer (self, "decline", NULL);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
open_clicked_cb (McConsentDialog *self)
{
  g_autoptr(GVariant) results = NULL;
  g_autofree char *opening = NULL;
  const char *answer = "open";

  g_assert (MC_IS_CONSENT_DIALOG (self));

  /* The button is insensitive whenever this would be wrong; checking
   * again costs nothing and keeps the rule in one readable place. */
  if (self->state != MC_CONSENT_DIALOG_STATE_PROMPT ||
      self->answered ||
      !gtk_widget_get_sensitive (GTK_WIDGET (self->open_button)))
    return;

  if (self->kind == PROMPT_KIND_AUTHORIZE)
    {
      results = g_variant_ref_sink (create_scope_results (self));
      /* Translators: %s is a domain name such as example.com */
      opening = g_strdup_printf (_("Opening the sign-in page on %s in your web browser."), self->domain);
    }
  else
    {
      if (gtk_widget_get_visible (GTK_WIDGET (self->remember_check)) &&
          gtk_check_button_get_active (self->remember_check))
        answer = "open-always";
      /* Translators: %s is a domain name such as example.com */
      opening = g_strdup_printf (_("Handing the link to %s to your web browser."), self->domain);
    }

  self->state = MC_CONSENT_DIALOG_STATE_OPENING;
  gtk_label_set_text (self->opening_label, opening);
  gtk_spinner_start (self->opening_spinner);
  gtk_stack_set_visible_child_name (self->stack, "opening");
  gtk_window_set_focus (GTK_WINDOW (self), NULL);

  emit_answer (self, answer, results);
}

static void
close_clicked_cb (McConsentDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
forget_clicked_cb (McConsentDialog *self)
{
  g_assert (MC_IS_CONSENT_DIALOG (self));

  if (self->forgotten || self->remembered_id == NULL)
    return;

  self->forgotten = TRUE;
  gtk_label_set_text (self->remembered_label,
                      _("Forgotten. You will be asked again next time."));
  gtk_widget_set_sensitive (GTK_WIDGET (self->forget_button), FALSE);
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->opened_close_button));

  g_signal_emit (self, signals[FORGET_REQUESTED], 0, self->remembered_id);
}

static void
copy_clicked_cb (McConsentDialog *self)
{
  g_assert (MC_IS_CONSENT_DIALOG (self));

  if (self->url == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->url);
  gtk_button_set_label (self->copy_button, _("Copied"));
}

static gboolean
notice_timeout_cb (gpointer user_data)
{
  McConsentDialog *self = user_data;

  self->notice_timeout_source = 0;
  /* The daemon set the timeout, so it knows; nothing to tell it. */
  mc_consent_dialog_withdraw (self);

  return G_SOURCE_REMOVE;
}

static void
add_warning (McConsentDialog *self,
             const char      *flag)
{
  g_autofree char *fallback = NULL;
  const char *text = mc_url_flag_describe (flag);
  McUrlRisk level = mc_url_flag_get_risk (flag);
  GtkWidget *row;
  GtkWidget *icon_box;
  GtkWidget *icon;
  GtkWidget *label;

  if (text == NULL && self->kind == PROMPT_KIND_AUTHORIZE)
    {
      /* Translators: %s is a short technical code for what is unusual */
      fallback = g_strdup_printf (_("The address of this sign-in page is unusual (%s)."), flag);
      text = fallback;
    }
  else if (text == NULL)
    {
      /* Translators: %s is a short technical code for what is unusual */
      fallback = g_strdup_printf (_("This link is unusual (%s)."), flag);
      text = fallback;
    }

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  gtk_widget_add_css_class (row, "warning-row");
  gtk_widget_add_css_class (row, level >= MC_URL_RISK_DANGER ? "danger" : "caution");

  icon = gtk_image_new_from_icon_name (level >= MC_URL_RISK_DANGER ? "dialog-error-symbolic"
                                                                    : "dialog-warning-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  level >= MC_URL_RISK_DANGER ? _("Danger") : _("Caution"),
                                  -1);
  /* In a vertical box of its own: GTK 4.8's horizontal box aligns an
   * image's baseline with the label's only when measuring for a width,
   * and then disagrees with itself about the row's height. */
  icon_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_valign (icon_box, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (icon_box), icon);
  gtk_box_append (GTK_BOX (row), icon_box);

  label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  level >= MC_URL_RISK_DANGER ? _("Danger") : _("Caution"),
                                  -1);
  gtk_box_append (GTK_BOX (row), label);

  /* Dangers first: they are the ones the user must not miss. */
  if (level >= MC_URL_RISK_DANGER)
    gtk_box_prepend (self->warnings_box, row);
  else
    gtk_box_append (self->warnings_box, row);

  gtk_widget_set_visible (GTK_WIDGET (self->warnings_box), TRUE);
}

static void
clear_warnings (McConsentDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->warnings_box))) != NULL)
    gtk_box_remove (self->warnings_box, child);
  gtk_widget_set_visible (GTK_WIDGET (self->warnings_box), FALSE);
}

/* The daemon's verdict is the one it acted on, and may carry flags from
 * policy; the dialog checks the URL again itself, so that a confused or
 * outdated daemon can only make the dialog more careful, never less.  For
 * a sign-in, the URL is the authorization endpoint and the verdict
 * "as_verdict". */
static void
apply_verdict (McConsentDialog *self,
               GVariant        *prompt)
{
  g_autoptr(GVariant) remote = NULL;
  g_autoptr(GPtrArray) flags = g_ptr_array_new ();
  g_autofree const char **remote_flags = NULL;
  const char *risk_name = NULL;
  const char *server_url = lookup_string (prompt, "server_url");
  McUrlRisk remote_risk = MC_URL_RISK_OK;

  g_clear_pointer (&self->verdict, mc_url_verdict_unref);
  self->risk = MC_URL_RISK_OK;
  clear_warnings (self);

  if (self->url == NULL)
    return;

  if (server_url == NULL && self->kind == PROMPT_KIND_AUTHORIZE)
    server_url = lookup_string (prompt, "resource");

  self->verdict = mc_url_verdict_new (self->url, server_url);
  self->risk = mc_url_verdict_get_risk (self->verdict);

  remote = g_variant_lookup_value (prompt,
                                   self->kind == PROMPT_KIND_AUTHORIZE ? "as_verdict" : "verdict",
                                   G_VARIANT_TYPE_VARDICT);
  if (remote != NULL)
    {
      if (g_variant_lookup (remote, "risk", "&s", &risk_name) &&
          !mc_url_risk_from_string (risk_name, &remote_risk))
        remote_risk = MC_URL_RISK_BLOCKED;
      self->risk = MAX (self->risk, remote_risk);

      if (g_variant_lookup (remote, "flags", "^a&s", &remote_flags))
        {
          for (guint i = 0; remote_flags[i] != NULL; i++)
            if (!g_ptr_array_find_with_equal_func (flags, remote_flags[i], g_str_equal, NULL))
              g_ptr_array_add (flags, (gpointer) remote_flags[i]);
        }
    }

  for (const char * const *local = mc_url_verdict_get_flags (self->verdict); *local != NULL; local++)
    if (!g_ptr_array_find_with_equal_func (flags, *local, g_str_equal, NULL))
      g_ptr_array_add (flags, (gpointer) *local);

  for (guint i = 0; i < flags->len; i++)
    {
      const char *flag = g_ptr_array_index (flags, i);

      /* A flag this build does not know (mc_url_flag_get_risk() calls it
       * blocked) still gets the extra step, rather than a free pass or
       * a dialog that can never open anything. */
      self->risk = MAX (self->risk, MIN (mc_url_flag_get_risk (flag), MC_URL_RISK_DANGER));
      add_warning (self, flag);
    }
}

static void
apply_app (McConsentDialog *self,
           GVariant        *prompt)
{
  const char *kind = lookup_string (prompt, "app_kind");
  g_autofree char *name = NULL;
  g_autoptr(GIcon) icon = NULL;
  gboolean verified = g_strcmp0 (kind, "flatpak") == 0 || g_strcmp0 (kind, "host-app") == 0;

  if (verified)
    {
      const char *app_name = lookup_string (prompt, "app_name");
      const char *app_icon = lookup_string (prompt, "app_icon");

      name = mc_text_clean_for_display (app_name ? app_name : lookup_string (prompt, "app_id"),
                                      NAME_MAX_CHARS, MC_TEXT_SINGLE_LINE);
      if (app_icon != NULL)
        icon = g_icon_new_for_string (app_icon, NULL);
      if (icon == NULL)
        icon = g_themed_icon_new ("application-x-executable-symbolic");

      gtk_label_set_text (self->app_label, name);
      gtk_image_set_from_gicon (self->app_icon, icon);
      gtk_widget_remove_css_class (GTK_WIDGET (self->app_label), "unverified");
      gtk_widget_set_visible (GTK_WIDGET (self->app_path_label), FALSE);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self->app_label),
                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
  else
    {
      const char *path = lookup_string (prompt, "app_path");
      g_autofree char *shown_path = NULL;

      /* "unknown": the broker runs in a sandbox and sees no caller's
       * process, not even its file. */
      if (path != NULL)
        shown_path = mc_text_clean_for_display (path, PATH_MAX_CHARS, MC_TEXT_SINGLE_LINE);
      else if (g_strcmp0 (kind, "unknown") == 0)
        shown_path = g_strdup (_("The broker runs in a sandbox and cannot see which program this is"));
      else
        shown_path = g_strdup (_("Unknown program file"));

      gtk_label_set_text (self->app_label, _("Unverified program"));
      gtk_image_set_from_icon_name (self->app_icon, "dialog-warning-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->app_label), "unverified");
      gtk_label_set_text (self->app_path_label, shown_path);
      /* A path is data, set like the link and broken anywhere; the
       * sentences that stand in for a missing one are prose, and broken
       * between words. */
      if (path != NULL)
        gtk_widget_add_css_class (GTK_WIDGET (self->app_path_label), "monospace");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->app_path_label), "monospace");
      gtk_label_set_wrap_mode (self->app_path_label, path != NULL ? PANGO_WRAP_CHAR : PANGO_WRAP_WORD_CHAR);
      gtk_widget_set_visible (GTK_WIDGET (self->app_path_label), TRUE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->app_label),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      _("The program that asks could not be identified; only its file is known"),
                                      -1);
    }
}

static guint
count_lines (const char *text)
{
  guint lines = 1;

  for (const char *p = strchr (text, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    lines++;
  return lines;
}

/* An international host name is shown in its own letters and as the
 * browser will spell it, next to each other. */
static void
show_idn (McConsentDialog *self,
          GtkLabel        *idn_label)
{
  const char *host = self->verdict ? mc_url_verdict_get_host (self->verdict) : NULL;
  const char *host_ascii = self->verdict ? mc_url_verdict_get_host_ascii (self->verdict) : NULL;
  g_autofree char *idn = NULL;

  if (host == NULL || host_ascii == NULL || g_strcmp0 (host, host_ascii) == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (idn_label), FALSE);
      return;
    }

  /* Translators: the first %s is a host name in its own letters,
   * the second the same name as spelled in ASCII (Punycode),
   * for example “bücher.de” and “xn--bcher-kva.de” */
  idn = g_strdup_printf (_("International address %s, in plain letters %s"), host, host_ascii);
  gtk_label_set_text (idn_label, idn);
  disable_hyphens (idn_label);
  keep_together (idn_label, host);
  keep_together (idn_label, host_ascii);
  gtk_widget_set_visible (GTK_WIDGET (idn_label), TRUE);
  /* A look-alike name shows its true, plain-letters spelling as loudly as
   * the warning about it. */
  if (self->risk >= MC_URL_RISK_DANGER)
    gtk_widget_add_css_class (GTK_WIDGET (idn_label), "danger");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (idn_label), "danger");
}

static void
apply_link (McConsentDialog *self,
            GVariant        *prompt)
{
  g_autofree char *title = NULL;
  g_autofree char *message = NULL;
  g_autofree char *url_description = NULL;
  g_autofree char *open_description = NULL;
  const char *app_kind = lookup_string (prompt, "app_kind");
  gboolean can_remember = FALSE;

  /* The title is all the desktop (task switchers, screen readers' window
   * lists) learns about the dialog: it names the server, never the URL. */
  /* Translators: %s is the name of an MCP server */
  title = g_strdup_printf (_("Open a link for %s?"), self->server);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->heading_label,
                      self->risk >= MC_URL_RISK_DANGER ? _("Open a possibly dangerous link?")
                                                       : _("Open this link in your web browser?"));

  gtk_widget_set_visible (GTK_WIDGET (self->as_row), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->scopes_box), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->link_box), TRUE);

  gtk_button_set_label (self->open_button, _("_Open"));
  gtk_check_button_set_label (self->understand_check,
                              _("I _understand the risk and want to open this link anyway"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->decline_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Does not open the link, and tells the server you declined"),
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->warnings_box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Warnings about this link"),
                                  -1);

  if (self->url != NULL)
    {
      set_url_label (self, self->url_frame, self->url_scroller, self->url_label);
      gtk_label_set_text (self->domain_label, self->domain);
      show_idn (self, self->idn_label);

      /* Translators: %s is a domain name such as example.com */
      url_description = g_strdup_printf (_("The full link; it goes to %s"), self->domain);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->url_label),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, url_description,
                                      -1);
      /* Translators: %s is a domain name such as example.com */
      open_description = g_strdup_printf (_("Opens the link to %s in your web browser"), self->domain);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->open_button),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, open_description,
                                      -1);
    }

  message = mc_text_clean_for_display (lookup_string (prompt, "message"), MESSAGE_MAX_CHARS,
                                       MC_TEXT_MULTI_LINE);
  if (message[0] != '\0')
    {
      g_autofree char *quoted = NULL;

      /* Translators: quotation marks around the server's message */
      quoted = g_strdup_printf (_("“%s”"), message);
      gtk_label_set_text (self->message_label, quoted);
      place_text (self->message_frame, self->message_scroller, GTK_WIDGET (self->message_label),
                  g_utf8_strlen (message, -1) > MESSAGE_SCROLL_CHARS ||
                  count_lines (message) > MESSAGE_SCROLL_LINES);
      gtk_widget_set_visible (GTK_WIDGET (self->message_box), TRUE);
    }
  else
    {
      gtk_widget_set_visible (GTK_WIDGET (self->message_box), FALSE);
    }

  /* The daemon never offers "always" for dangerous links or unverified
   * programs; the dialog refuses it too, so one mistake is not enough. */
  if (prompt != NULL)
    g_variant_lookup (prompt, "can_remember", "b", &can_remember);
  if (self->risk >= MC_URL_RISK_DANGER ||
      (g_strcmp0 (app_kind, "flatpak") != 0 && g_strcmp0 (app_kind, "host-app") != 0))
    can_remember = FALSE;
  if (can_remember)
    {
      g_autofree char *domain = escape_underlines (self->domain);
      g_autofree char *server = escape_underlines (self->server);
      g_autofree char *label = NULL;

      /* Translators: the first %s is a domain name, the second the name of
       * an MCP server; the underscore marks the mnemonic */
      label = g_strdup_printf (_("_Always allow %s for %s"), domain, server);
      gtk_check_button_set_label (self->remember_check, label);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->remember_check), can_remember);
}

/* Two lines: what the scope allows in plain words, and the scope as the
 * server spells it; or, for a scope this dialog does not know, the scope
 * and "No description". */
static GtkWidget *
create_scope_text (const char  *scope,
                   char       **accessible_label)
{
  const char *description = describe_scope (scope);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 1);
  GtkWidget *labels[2];

  gtk_widget_add_css_class (box, "scope-text");

  labels[0] = gtk_label_new (description ? description : scope);
  labels[1] = gtk_label_new (description ? scope : _("No description"));

  gtk_widget_add_css_class (labels[description ? 1 : 0], "scope-name");
  gtk_widget_add_css_class (labels[1], "dim-label");
  gtk_widget_add_css_class (labels[1], "caption");
  if (description == NULL)
    gtk_widget_add_css_class (labels[1], "no-description");

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      GtkLabel *label = GTK_LABEL (labels[i]);

      gtk_label_set_xalign (label, 0);
      gtk_label_set_wrap (label, TRUE);
      /* A scope may be a URL, and breaks anywhere; words break between words. */
      gtk_label_set_wrap_mode (label,
                               gtk_widget_has_css_class (labels[i], "scope-name") ? PANGO_WRAP_CHAR
                                                                                   : PANGO_WRAP_WORD_CHAR);
      disable_hyphens (label);
      gtk_box_append (GTK_BOX (box), labels[i]);
    }

  /* Translators: the first %s is a permission (an OAuth scope) as the
   * server spells it, such as “openid”; the second what it allows, such as
   * “Confirm who you are”, or “No description” */
  *accessible_label = g_strdup_printf (_("%s: %s"), scope,
                                       description ? description : _("No description"));

  return box;
}

static void
clear_box (GtkBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

static void
update_scopes_hint (McConsentDialog *self)
{
  if (self->scope_checks->len == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->scopes_hint_label), FALSE);
      return;
    }

  /* With nothing ticked the hint says why Allow does not work, and is no
   * longer a quiet aside. */
  if (any_scope_ticked (self))
    {
      gtk_label_set_text (self->scopes_hint_label, _("Untick what you do not want to allow."));
      gtk_widget_add_css_class (GTK_WIDGET (self->scopes_hint_label), "dim-label");
    }
  else
    {
      gtk_label_set_text (self->scopes_hint_label, _("Tick at least one permission to sign in, or decline."));
      gtk_widget_remove_css_class (GTK_WIDGET (self->scopes_hint_label), "dim-label");
    }
  gtk_widget_set_visible (GTK_WIDGET (self->scopes_hint_label), TRUE);
}

static void
scope_toggled_cb (McConsentDialog *self)
{
  g_assert (MC_IS_CONSENT_DIALOG (self));

  update_scopes_hint (self);
  update_open_sensitivity (self);
}

static void
apply_scopes (McConsentDialog *self,
              GVariant        *prompt)
{
  g_autoptr(GPtrArray) granted = lookup_scopes (prompt, "granted_scopes", NULL);

  clear_box (self->scopes_list);
  clear_box (self->granted_list);
  g_ptr_array_set_size (self->scope_checks, 0);
  g_clear_pointer (&self->scopes, g_ptr_array_unref);

  /* A scope already held is shown as such, not offered a second time. */
  self->scopes = lookup_scopes (prompt, "scopes", granted);

  for (guint i = 0; i < self->scopes->len; i++)
    {
      g_autofree char *accessible_label = NULL;
      GtkWidget *check = gtk_check_button_new ();
      GtkWidget *text = create_scope_text (g_ptr_array_index (self->scopes, i), &accessible_label);

      /* Ticked: the server asked for these; the user narrows, never widens. */
      gtk_check_button_set_child (GTK_CHECK_BUTTON (check), text);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      gtk_widget_add_css_class (check, "scope-row");
      gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_label,
                                      -1);
      g_signal_connect_object (check, "notify::active",
                               G_CALLBACK (scope_toggled_cb), self, G_CONNECT_SWAPPED);
      gtk_box_append (self->scopes_list, check);
      g_ptr_array_add (self->scope_checks, check);
    }

  for (guint i = 0; i < granted->len; i++)
    {
      g_autofree char *accessible_label = NULL;
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *icon_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      GtkWidget *icon = gtk_image_new_from_icon_name ("object-select-symbolic");
      GtkWidget *text = create_scope_text (g_ptr_array_index (granted, i), &accessible_label);

      gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Already allowed"),
                                      -1);
      /* As for warnings: the image in a vertical box of its own, at the top. */
      gtk_widget_set_valign (icon_box, GTK_ALIGN_START);
      gtk_box_append (GTK_BOX (icon_box), icon);
      gtk_widget_add_css_class (row, "scope-row");
      gtk_widget_set_hexpand (text, TRUE);
      gtk_box_append (GTK_BOX (row), icon_box);
      gtk_box_append (GTK_BOX (row), text);
      gtk_box_append (self->granted_list, row);
    }

  /* A list that scrolls says how long it is, so that none is missed. */
  if (self->scopes->len > SCOPES_SCROLL_COUNT)
    {
      g_autofree char *caption = NULL;

      if (granted->len > 0)
        caption = g_strdup_printf (ngettext ("%u new permission asked for",
                                             "%u new permissions asked for",
                                             self->scopes->len),
                                   self->scopes->len);
      else
        caption = g_strdup_printf (ngettext ("%u permission asked for",
                                             "%u permissions asked for",
                                             self->scopes->len),
                                   self->scopes->len);
      gtk_label_set_text (self->scopes_caption, caption);
    }
  else if (granted->len > 0)
    {
      gtk_label_set_text (self->scopes_caption, _("New permissions asked for"));
    }
  else
    {
      gtk_label_set_text (self->scopes_caption, _("Permissions asked for"));
    }

  /* No scope at all: the authorization server grants what it grants by
   * default, and the user should know that nothing narrower was asked. */
  if (granted->len > 0)
    gtk_label_set_text (self->no_scopes_label, _("The server asked for no further permission."));
  else
    gtk_label_set_text (self->no_scopes_label, _("The server asked for no particular permission."));
  gtk_widget_set_visible (GTK_WIDGET (self->no_scopes_label), self->scopes->len == 0);

  place_text (self->scopes_frame, self->scopes_scroller, GTK_WIDGET (self->scopes_list),
              self->scopes->len > SCOPES_SCROLL_COUNT);
  gtk_widget_set_visible (GTK_WIDGET (self->scopes_frame), self->scopes->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->granted_box), granted->len > 0);
  update_scopes_hint (self);
}

/* The issuer names the authorization server; it is nearly always the host
 * of the sign-in page.  When it is not, the user sees both. */
static void
apply_issuer (McConsentDialog *self,
              GVariant        *prompt)
{
  const char *issuer = lookup_string (prompt, "issuer");
  const char *endpoint_host = self->verdict ? mc_url_verdict_get_host_ascii (self->verdict) : NULL;
  g_autoptr(McUrlVerdict) issuer_verdict = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *text = NULL;
  const char *issuer_host;

  if (issuer == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->as_issuer_label), FALSE);
      return;
    }

  issuer_verdict = mc_url_verdict_new (issuer, NULL);
  issuer_host = mc_url_verdict_get_host_ascii (issuer_verdict);
  if (issuer_host != NULL && g_strcmp0 (issuer_host, endpoint_host) == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->as_issuer_label), FALSE);
      return;
    }

  /* In plain letters: a name that only looks like the sign-in page's
   * must not pass for it here. */
  shown = issuer_host ? g_strdup (issuer_host)
                      : mc_text_clean_for_display (issuer, PATH_MAX_CHARS, MC_TEXT_SINGLE_LINE);
  /* Translators: %s is a host name such as login.example.com */
  text = g_strdup_printf (_("Authorization server: %s"), shown);
  gtk_label_set_text (self->as_issuer_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->as_issuer_label), TRUE);
}

/* The administrator's policy took something out of the prompt: said in a
 * plain sentence, so that the user does not look for a choice that is
 * missing, nor think the server asked for less than it did. */
static void
apply_policy_note (McConsentDialog *self,
                   GVariant        *prompt)
{
  g_autofree const char **removed = NULL;
  g_autofree char *text = NULL;
  gboolean no_always_allow = FALSE;

  if (prompt != NULL)
    {
      g_variant_lookup (prompt, "policy_no_always_allow", "b", &no_always_allow);
      g_variant_lookup (prompt, "policy_removed_scopes", "^a&s", &removed);
    }

  if (removed != NULL && removed[0] != NULL)
    {
      g_autoptr(GString) list = g_string_new (NULL);
      guint n = g_strv_length ((char **) removed);

      for (guint i = 0; removed[i] != NULL; i++)
        {
          g_autofree char *scope = mc_text_clean_for_display (removed[i], NAME_MAX_CHARS, MC_TEXT_SINGLE_LINE);

          if (i > 0)
            /* Translators: between the permissions of a list */
            g_string_append (list, _(", "));
          g_string_append (list, scope);
        }
      /* Translators: %s is a list of OAuth scopes, such as "admin, files:write" */
      text = g_strdup_printf (ngettext ("Your administrator’s policy never allows this permission, so it is "
                                        "not asked for: %s",
                                        "Your administrator’s policy never allows these permissions, so they "
                                        "are not asked for: %s", n),
                              list->str);
    }
  else if (no_always_allow)
    {
      text = g_strdup (_("Your administrator’s policy does not allow “always allow”: you will be asked "
                         "every time."));
    }

  gtk_label_set_text (self->policy_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->policy_label), text != NULL);
}

static void
apply_authorize (McConsentDialog *self,
                 GVariant        *prompt)
{
  g_autofree char *title = NULL;
  g_autofree char *host_description = NULL;
  g_autofree char *open_description = NULL;
  g_autofree char *decline_description = NULL;

  /* As for links: the title names the server, never a URL. */
  /* Translators: %s is the name of an MCP server */
  title = g_strdup_printf (_("Sign in to %s?"), self->server);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->heading_label,
                      self->risk >= MC_URL_RISK_DANGER ? _("Sign in on a possibly dangerous website?")
                                                       : title);

  gtk_widget_set_visible (GTK_WIDGET (self->link_box), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->message_box), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->remember_check), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->as_row), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->scopes_box), TRUE);

  gtk_button_set_label (self->open_button, _("_Allow"));
  gtk_check_button_set_label (self->understand_check,
                              _("I _understand the risk and want to sign in anyway"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->warnings_box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Warnings about this sign-in page"),
                                  -1);

  set_host_label (self, self->as_host_label);
  show_idn (self, self->as_idn_label);
  apply_issuer (self, prompt);
  apply_scopes (self, prompt);

  /* Translators: %s is a domain name such as example.com */
  host_description = g_strdup_printf (_("Where you will sign in; the site is %s"), self->domain);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->as_host_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, host_description,
                                  -1);
  /* Translators: the first %s is a domain name, the second the name of an
   * MCP server */
  open_description = g_strdup_printf (_("Opens the sign-in page on %s in your web browser, to sign in to %s"),
                                      self->domain, self->server);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->open_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, open_description,
                                  -1);
  /* Translators: %s is the name of an MCP server */
  decline_description = g_strdup_printf (_("Does not sign in to %s; the program that asked is told you declined"),
                                         self->server);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->decline_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, decline_description,
                                  -1);
}

static void
apply_prompt (McConsentDialog *self,
              GVariant        *prompt)
{
  g_autofree char *server_url = NULL;
  const char *server_name = lookup_string (prompt, "server_title");
  const char *shown_server_url = NULL;
  guint32 queued = 0;

  g_assert (MC_IS_CONSENT_DIALOG (self));

  if (prompt != self->prompt)
    {
      g_clear_pointer (&self->prompt, g_variant_unref);
      self->prompt = prompt ? g_variant_ref_sink (prompt) : NULL;
    }

  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->domain, g_free);
  g_clear_pointer (&self->remembered_id, g_free);

  /* The service refuses other kinds; a prompt without one is a link. */
  self->kind = g_strcmp0 (lookup_string (prompt, "kind"), "authorize") == 0 ? PROMPT_KIND_AUTHORIZE
                                                                             : PROMPT_KIND_URL;

  if (self->kind == PROMPT_KIND_AUTHORIZE)
    {
      self->url = g_strdup (lookup_string (prompt, "authorization_endpoint"));
    }
  else
    {
      self->url = g_strdup (lookup_string (prompt, "url"));
      self->remembered_id = g_strdup (lookup_string (prompt, "remembered_id"));
    }

  if (server_name == NULL)
    server_name = lookup_string (prompt, "server_name");
  self->server = server_name ? mc_text_clean_for_display (server_name, NAME_MAX_CHARS,
                                                          MC_TEXT_SINGLE_LINE)
                             : g_strdup (_("Unknown server"));

  apply_verdict (self, prompt);

  if (self->verdict != NULL && mc_url_verdict_get_registrable_domain (self->verdict) != NULL)
    self->domain = g_strdup (mc_url_verdict_get_registrable_domain (self->verdict));
  else if (self->verdict != NULL && mc_url_verdict_get_host (self->verdict) != NULL)
    self->domain = g_strdup (mc_url_verdict_get_host (self->verdict));
  else
    self->domain = g_strdup (_("an unknown website"));

  apply_app (self, prompt);

  /* Grants are bound to who asks; unverified programs are one "host"
   * identity, so whoever asks next gets this one's tokens. */
  gtk_widget_set_visible (GTK_WIDGET (self->app_shared_label),
                          self->kind == PROMPT_KIND_AUTHORIZE &&
                          g_strcmp0 (lookup_string (prompt, "app_kind"), "unverified") == 0);

  /* A sign-in is for the resource, the server's canonical URI (RFC 8707):
   * the token will be good for that, so that is what is shown. */
  gtk_label_set_text (self->server_label, self->server);
  if (self->kind == PROMPT_KIND_AUTHORIZE)
    shown_server_url = lookup_string (prompt, "resource");
  if (shown_server_url == NULL)
    shown_server_url = lookup_string (prompt, "server_url");
  if (shown_server_url != NULL)
    server_url = mc_text_clean_for_display (shown_server_url, PATH_MAX_CHARS, MC_TEXT_SINGLE_LINE);
  gtk_label_set_text (self->server_url_label, server_url ? server_url : "");
  gtk_widget_set_visible (GTK_WIDGET (self->server_url_label), server_url != NULL);

  if (self->kind == PROMPT_KIND_AUTHORIZE)
    apply_authorize (self, prompt);
  else
    apply_link (self, prompt);
  apply_policy_note (self, prompt);

  gtk_widget_set_visible (GTK_WIDGET (self->understand_check), self->risk >= MC_URL_RISK_DANGER);

  if (prompt != NULL)
    g_variant_lookup (prompt, "queued", "u", &queued);
  if (queued > 0)
    {
      g_autofree char *text = NULL;

      text = g_strdup_printf (ngettext ("%u more request is waiting",
                                        "%u more requests are waiting",
                                        queued),
                              queued);
      gtk_label_set_text (self->queued_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->queued_label), queued > 0);

  gtk_widget_remove_css_class (GTK_WIDGET (self->open_button), "suggested-action");
  gtk_widget_remove_css_class (GTK_WIDGET (self->open_button), "destructive-action");
  if (self->risk == MC_URL_RISK_OK)
    gtk_widget_add_css_class (GTK_WIDGET (self->open_button), "suggested-action");
  else if (self->risk >= MC_URL_RISK_DANGER)
    gtk_widget_add_css_class (GTK_WIDGET (self->open_button), "destructive-action");

  update_open_sensitivity (self);
}

/* The dialog keeps one width whatever it shows: the natural width of a
 * wrapping label is its text on one line, and a non-resizable window would
 * otherwise grow to fit a long URL on one line instead of wrapping it. */
static void
mc_consent_dialog_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  GTK_WIDGET_CLASS (mc_consent_dialog_parent_class)->measure (widget, orientation, for_size,
                                                              minimum, natural,
                                                              minimum_baseline, natural_baseline);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *natural = MAX (*minimum, DIALOG_WIDTH);
}

static gboolean
mc_consent_dialog_close_request (GtkWindow *window)
{
  McConsentDialog *self = MC_CONSENT_DIALOG (window);

  switch (self->state)
    {
    case MC_CONSENT_DIALOG_STATE_PROMPT:
      /* Escape, the window manager's close button, Alt+F4: all "dismiss". */
      emit_answer (self, "dismiss", NULL);
      break;

    case MC_CONSENT_DIALOG_STATE_OPENING:
    case MC_CONSENT_DIALOG_STATE_OPENED:
    case MC_CONSENT_DIALOG_STATE_OPEN_FAILED:
      if (!self->notice_closed)
        {
          self->notice_closed = TRUE;
          g_signal_emit (self, signals[NOTICE_CLOSED], 0);
        }
      break;

    default:
      g_assert_not_reached ();
    }

  return GTK_WINDOW_CLASS (mc_consent_dialog_parent_class)->close_request (window);
}

static void
ensure_style (GdkDisplay *display)
{
  g_autoptr(GtkCssProvider) provider = NULL;

  if (display == NULL || g_object_get_data (G_OBJECT (display), "mc-consent-dialog-style") != NULL)
    return;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/mcp_consent/Broker/prompter/style.css");
  gtk_style_context_add_provider_for_display (display,
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data (G_OBJECT (display), "mc-consent-dialog-style", GINT_TO_POINTER (TRUE));
}

static void
mc_consent_dialog_dispose (GObject *object)
{
  McConsentDialog *self = (McConsentDialog *)object;

  g_clear_handle_id (&self->unlock_source, g_source_remove);
  g_clear_handle_id (&self->notice_timeout_source, g_source_remove);

  /* Borrowed from scopes_list, which the template takes away. */
  if (self->scope_checks != NULL)
    g_ptr_array_set_size (self->scope_checks, 0);

  gtk_widget_dispose_template (GTK_WIDGET (self), MC_TYPE_CONSENT_DIALOG);

  G_OBJECT_CLASS (mc_consent_dialog_parent_class)->dispose (object);
}

static void
mc_consent_dialog_finalize (GObject *object)
{
  McConsentDialog *self = (McConsentDialog *)object;

  g_clear_pointer (&self->prompt_id, g_free);
  g_clear_pointer (&self->prompt, g_variant_unref);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->domain, g_free);
  g_clear_pointer (&self->remembered_id, g_free);
  g_clear_pointer (&self->verdict, mc_url_verdict_unref);
  g_clear_pointer (&self->scopes, g_ptr_array_unref);
  g_clear_pointer (&self->scope_checks, g_ptr_array_unref);

  G_OBJECT_CLASS (mc_consent_dialog_parent_class)->finalize (object);
}

static void
mc_consent_dialog_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  McConsentDialog *self = MC_CONSENT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_UNLOCK_DELAY:
      g_value_set_uint (value, self->unlock_delay);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mc_consent_dialog_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  McConsentDialog *self = MC_CONSENT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_UNLOCK_DELAY:
      mc_consent_dialog_set_unlock_delay (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mc_consent_dialog_class_init (McConsentDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = mc_consent_dialog_dispose;
  object_class->finalize = mc_consent_dialog_finalize;
  object_class->get_property = mc_consent_dialog_get_property;
  object_class->set_property = mc_consent_dialog_set_property;

  widget_class->measure = mc_consent_dialog_measure;

  window_class->close_request = mc_consent_dialog_close_request;

  /**
   * McConsentDialog:unlock-delay:
   *
   * Milliseconds Open stays insensitive after the dialog gains focus.
   */
  properties[PROP_UNLOCK_DELAY] =
    g_param_spec_uint ("unlock-delay", NULL, NULL,
                       0, 60000, MC_CONSENT_DIALOG_UNLOCK_DELAY_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * McConsentDialog::answered:
   * @answer: "open", "open-always", "decline" or "dismiss"
   * @results: an a{sv}: for "open" on a sign-in, "scopes" (as), the scopes
   *   left ticked in the order the prompt gave them; otherwise empty
   *
   * The user answered the prompt.  Emitted at most once.
   */
  signals[ANSWERED] =
    g_signal_new ("answered",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_VARIANT);

  /**
   * McConsentDialog::notice-closed:
   *
   * The user closed the notice shown after Open.
   */
  signals[NOTICE_CLOSED] =
    g_signal_new ("notice-closed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /**
   * McConsentDialog::forget-requested:
   * @remembered_id: the "always allow" decision to forget
   */
  signals[FORGET_REQUESTED] =
    g_signal_new ("forget-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  mc_prompter_register_resource ();

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mcp_consent/Broker/prompter/mc-consent-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, app_icon);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, app_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, app_path_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, app_shared_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, server_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, server_url_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, as_row);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, as_host_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, as_idn_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, as_issuer_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, link_box);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, url_frame);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, url_scroller);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, url_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, domain_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, idn_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, warnings_box);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, message_box);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, message_frame);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, message_scroller);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, scopes_box);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, scopes_caption);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, no_scopes_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, scopes_frame);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, scopes_scroller);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, scopes_list);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, scopes_hint_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, granted_box);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, granted_list);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, understand_check);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, remember_check);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, policy_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, queued_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, decline_button);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, open_button);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, opening_spinner);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, opening_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, opened_heading_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, opened_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, remembered_box);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, remembered_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, forget_button);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, opened_close_button);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, reason_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, failed_url_box);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, failed_url_caption);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, failed_url_frame);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, failed_url_scroller);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, failed_url_label);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, copy_button);
  gtk_widget_class_bind_template_child (widget_class, McConsentDialog, failed_close_button);
  gtk_widget_class_bind_template_callback (widget_class, update_open_sensitivity);
  gtk_widget_class_bind_template_callback (widget_class, decline_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, close_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, forget_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, escape_cb, NULL);
}

static void
mc_consent_dialog_init (McConsentDialog *self)
{
  GtkEventController *controller;

  self->unlock_delay = MC_CONSENT_DIALOG_UNLOCK_DELAY_MS;
  self->state = MC_CONSENT_DIALOG_STATE_PROMPT;
  self->scopes = g_ptr_array_new_with_free_func (g_free);
  self->scope_checks = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  ensure_style (gtk_widget_get_display (GTK_WIDGET (self)));

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (open_button_key_pressed_cb), NULL);
  gtk_widget_add_controller (GTK_WIDGET (self->open_button), controller);

  disable_hyphens (self->app_label);
  disable_hyphens (self->app_path_label);
  disable_hyphens (self->server_label);
  disable_hyphens (self->server_url_label);
  disable_hyphens (self->domain_label);
  disable_hyphens (self->idn_label);
  disable_hyphens (self->message_label);
  disable_hyphens (self->reason_label);
  disable_hyphens (self->as_idn_label);
  disable_hyphens (self->as_issuer_label);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self->scopes_list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Permissions to allow"),
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->granted_list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Permissions already allowed"),
                                  -1);

  g_signal_connect (self, "notify::is-active", G_CALLBACK (is_active_changed_cb), NULL);
}

/**
 * mc_consent_dialog_new:
 * @prompt_id: the daemon's id for the prompt
 * @prompt: (nullable): a prompt dictionary, as ShowPrompt receives it,
 *   already filtered by key and type; %NULL for a notice about a prompt
 *   this process never saw
 *
 * Creates the dialog for one prompt.  Present it to ask the user; or call
 * mc_consent_dialog_show_opened() or mc_consent_dialog_show_open_failed()
 * first to show only a notice.
 *
 * Returns: (transfer none): a new dialog, owned by GTK like any toplevel
 *   until it is destroyed
 */
McConsentDialog *
mc_consent_dialog_new (const char *prompt_id,
                       GVariant   *prompt)
{
  McConsentDialog *self;
  GtkLabel *focus;

  g_return_val_if_fail (prompt_id != NULL, NULL);
  g_return_val_if_fail (prompt == NULL || g_variant_is_of_type (prompt, G_VARIANT_TYPE_VARDICT), NULL);

  self = g_object_new (MC_TYPE_CONSENT_DIALOG, NULL);
  self->prompt_id = g_strdup (prompt_id);
  apply_prompt (self, prompt);

  /* Focus starts on the link itself, or the host of the sign-in page: the
   * thing to examine.  Not on Open or Allow, not on Decline, and not on a
   * scope either, so that a stray Enter or Space changes nothing. */
  focus = self->kind == PROMPT_KIND_AUTHORIZE ? self->as_host_label : self->url_label;
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (focus));
  gtk_label_select_region (focus, 0, 0);
  /* No focus ring until the keyboard is used, so the link does not look
   * like a field to type in. */
  gtk_window_set_focus_visible (GTK_WINDOW (self), FALSE);

  return self;
}

const char *
mc_consent_dialog_get_prompt_id (McConsentDialog *self)
{
  g_return_val_if_fail (MC_IS_CONSENT_DIALOG (self), NULL);

  return self->prompt_id;
}

McConsentDialogState
mc_consent_dialog_get_state (McConsentDialog *self)
{
  g_return_val_if_fail (MC_IS_CONSENT_DIALOG (self), MC_CONSENT_DIALOG_STATE_PROMPT);

  return self->state;
}

/**
 * mc_consent_dialog_show_opened:
 * @self: a #McConsentDialog
 * @prompt: (nullable): the prompt dictionary ShowOpened carries; it may
 *   name a remembered decision ("remembered_id") and a "timeout"
 *
 * Replaces whatever the dialog shows with the "finish in your browser"
 * notice.  No answer is sent for a prompt that was never answered here:
 * the daemon opened the URL itself.
 */
void
mc_consent_dialog_show_opened (McConsentDialog *self,
                               GVariant        *prompt)
{
  g_autofree char *text = NULL;
  guint32 timeout = 0;

  g_return_if_fail (MC_IS_CONSENT_DIALOG (self));
  g_return_if_fail (prompt == NULL || g_variant_is_of_type (prompt, G_VARIANT_TYPE_VARDICT));

  /* ShowOpened for a prompt shown here may carry less than ShowPrompt did;
   * a dictionary with a URL describes the prompt afresh (the daemon opened
   * it because of an "always allow" decision, without a prompt, or this
   * process was started again after the user allowed a sign-in). */
  if (prompt != NULL &&
      (lookup_string (prompt, "url") != NULL || lookup_string (prompt, "authorization_endpoint") != NULL))
    {
      apply_prompt (self, prompt);
    }
  else if (prompt != NULL && lookup_string (prompt, "remembered_id") != NULL)
    {
      g_free (self->remembered_id);
      self->remembered_id = g_strdup (lookup_string (prompt, "remembered_id"));
    }

  self->answered = TRUE;
  self->state = MC_CONSENT_DIALOG_STATE_OPENED;
  g_clear_handle_id (&self->unlock_source, g_source_remove);
  update_open_sensitivity (self);
  gtk_spinner_stop (self->opening_spinner);

  if (self->kind == PROMPT_KIND_AUTHORIZE)
    {
      /* Translators: the first %s is a domain name, the second the name of
       * an MCP server */
      text = g_strdup_printf (_("Continue on %s in your web browser to finish signing in to %s."),
                              self->domain, self->server);
      gtk_label_set_text (self->opened_heading_label, _("Finish signing in in your browser"));
    }
  else
    {
      /* Translators: the first %s is a domain name, the second the name of
       * an MCP server */
      text = g_strdup_printf (_("Continue on %s in your web browser. When you are done there, %s can carry on."),
                              self->domain, self->server);
      gtk_label_set_text (self->opened_heading_label, _("Finish in your browser"));
    }
  gtk_label_set_text (self->opened_label, text);

  if (self->remembered_id != NULL)
    {
      g_autofree char *remembered = NULL;
      g_autofree char *forget_description = NULL;

      /* Translators: the first %s is a domain name, the second the name of
       * an MCP server */
      remembered = g_strdup_printf (_("It opened without asking because you chose to always allow %s for %s."),
                                    self->domain, self->server);
      gtk_label_set_text (self->remembered_label, remembered);
      /* Translators: the first %s is a domain name, the second the name of
       * an MCP server */
      forget_description = g_strdup_printf (_("Ask again next time %s wants to open %s"),
                                            self->server, self->domain);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->forget_button),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, forget_description,
                                      -1);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->remembered_box), self->remembered_id != NULL);

  gtk_window_set_title (GTK_WINDOW (self), gtk_label_get_text (self->opened_heading_label));
  gtk_stack_set_visible_child_name (self->stack, "opened");
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->opened_close_button));

  g_clear_handle_id (&self->notice_timeout_source, g_source_remove);
  if (prompt != NULL && g_variant_lookup (prompt, "timeout", "u", &timeout) && timeout > 0)
    self->notice_timeout_source = g_timeout_add_seconds (timeout, notice_timeout_cb, self);
}

/**
 * mc_consent_dialog_show_open_failed:
 * @self: a #McConsentDialog
 * @reason: (nullable): why, in words the daemon chose
 *
 * Replaces whatever the dialog shows with "No web browser could be
 * opened", the URL to copy (if this dialog knows it) and @reason.  For a
 * sign-in that URL is the authorization endpoint: the request itself
 * carries the state and PKCE challenge of this one attempt, and is never
 * shown.
 */
void
mc_consent_dialog_show_open_failed (McConsentDialog *self,
                                    const char      *reason)
{
  g_autofree char *shown_reason = NULL;

  g_return_if_fail (MC_IS_CONSENT_DIALOG (self));

  self->answered = TRUE;
  self->state = MC_CONSENT_DIALOG_STATE_OPEN_FAILED;
  g_clear_handle_id (&self->unlock_source, g_source_remove);
  g_clear_handle_id (&self->notice_timeout_source, g_source_remove);
  update_open_sensitivity (self);
  gtk_spinner_stop (self->opening_spinner);

  shown_reason = mc_text_clean_for_display (reason, REASON_MAX_CHARS, MC_TEXT_MULTI_LINE);
  gtk_label_set_text (self->reason_label,
                      shown_reason[0] != '\0' ? shown_reason
                                              : _("No application is set up to open web links."));

  gtk_label_set_text (self->failed_url_caption,
                      self->kind == PROMPT_KIND_AUTHORIZE ? _("The sign-in page is at this address:")
                                                          : _("You can copy the link and open it yourself:"));
  if (self->url != NULL)
    set_url_label (self, self->failed_url_frame, self->failed_url_scroller, self->failed_url_label);
  gtk_widget_set_visible (GTK_WIDGET (self->failed_url_box), self->url != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->copy_button), self->url != NULL);

  gtk_window_set_title (GTK_WINDOW (self), _("No web browser could be opened"));
  gtk_stack_set_visible_child_name (self->stack, "failed");
  gtk_window_set_focus (GTK_WINDOW (self),
                        GTK_WIDGET (self->url != NULL ? self->copy_button : self->failed_close_button));
}

/**
 * mc_consent_dialog_withdraw:
 * @self: a #McConsentDialog
 *
 * Takes the dialog down without answering: the daemon asked for it, so it
 * needs no answer.
 */
void
mc_consent_dialog_withdraw (McConsentDialog *self)
{
  g_return_if_fail (MC_IS_CONSENT_DIALOG (self));

  self->answered = TRUE;
  self->notice_closed = TRUE;
  gtk_window_destroy (GTK_WINDOW (self));
}

guint
mc_consent_dialog_get_unlock_delay (McConsentDialog *self)
{
  g_return_val_if_fail (MC_IS_CONSENT_DIALOG (self), 0);

  return self->unlock_delay;
}

void
mc_consent_dialog_set_unlock_delay (McConsentDialog *self,
                                    guint            delay_ms)
{
  g_return_if_fail (MC_IS_CONSENT_DIALOG (self));

  if (self->unlock_delay == delay_ms)
    return;

  self->unlock_delay = delay_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNLOCK_DELAY]);
}
