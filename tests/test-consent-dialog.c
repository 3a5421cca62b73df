/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <gtk/gtk.h>

#include "mc-consent-dialog.h"
#include "mc-test-gtk.h"
#include "mc-test-xvfb.h"
#include "mc-url-verdict.h"

/* McConsentDialog in this process, under a private Xvfb, with real X key
 * events (xdotool, through XTEST).  Every wait has a deadline; nothing
 * sleeps and hopes. */

#define WAIT_TIMEOUT_MS 10000
#define SERVER_URL "https://mcp.example.com/mcp"

typedef struct
{
  McConsentDialog *dialog;
  GPtrArray       *answers;
  GPtrArray       *results;        /* GVariant a{sv}, one per answer */
  GPtrArray       *forgotten;
  guint            notices_closed;
  gboolean         destroyed;
} Fixture;

typedef struct
{
  const char *url;
  const char *server_url;
  const char *app_kind;
  const char *message;
  gboolean    can_remember;
  guint32     queued;
  const char *remembered_id;
} PromptSpec;

static GVariant *
build_prompt (const PromptSpec *spec)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(McUrlVerdict) verdict = NULL;
  g_autoptr(GVariant) verdict_variant = NULL;
  const char *app_kind = spec->app_kind ? spec->app_kind : "flatpak";
  const char *server_url = spec->server_url ? spec->server_url : SERVER_URL;

  verdict = mc_url_verdict_new (spec->url, server_url);

  g_variant_dict_insert (&dict, "kind", "s", "url");
  g_variant_dict_insert (&dict, "app_kind", "s", app_kind);
  if (g_str_equal (app_kind, "unverified"))
    {
      g_variant_dict_insert (&dict, "app_path", "s", "/home/user/.local/bin/agent-runner");
    }
  else if (!g_str_equal (app_kind, "unknown"))
    {
      g_variant_dict_insert (&dict, "app_id", "s", "org.example.Assistant");
      g_variant_dict_insert (&dict, "app_name", "s", "Example Assistant");
      g_variant_dict_insert (&dict, "app_icon", "s", "application-x-executable-symbolic");
    }
  g_variant_dict_insert (&dict, "server_name", "s", "example-server");
  g_variant_dict_insert (&dict, "server_title", "s", "Example Server");
  g_variant_dict_insert (&dict, "server_version", "s", "1.2.0");
  if (*server_url != '\0')
    g_variant_dict_insert (&dict, "server_url", "s", server_url);
  g_variant_dict_insert (&dict, "url", "s", spec->url);
  if (spec->message != NULL)
    g_variant_dict_insert (&dict, "message", "s", spec->message);
  verdict_variant = mc_url_verdict_to_variant (verdict);
  g_variant_dict_insert_value (&dict, "verdict", verdict_variant);
  g_variant_dict_insert (&dict, "can_remember", "b", spec->can_remember);
  g_variant_dict_insert (&dict, "timeout", "u", 300);
  g_variant_dict_insert (&dict, "queued", "u", spec->queued);
  if (spec->remembered_id != NULL)
    g_variant_dict_insert (&dict, "remembered_id", "s", spec->remembered_id);

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

#define RESOURCE "https://mcp.example.com/mcp"
#define ISSUER "https://accounts.example.com"
#define AUTHORIZATION_ENDPOINT "https://accounts.example.com/oauth2/authorize"

typedef struct
{
  const char         *endpoint;
  const char         *issuer;
  const char * const *scopes;
  const char * const *granted_scopes;
  const char         *app_kind;
  guint32             queued;
} AuthorizeSpec;

/* An "authorize" prompt as the daemon sends it (see the Prompter1 XML). */
static GVariant *
build_authorize_prompt (const AuthorizeSpec *spec)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  const char *endpoint = spec->endpoint ? spec->endpoint : AUTHORIZATION_ENDPOINT;
  const char *app_kind = spec->app_kind ? spec->app_kind : "flatpak";
  const char * const no_scopes[] = { NULL };
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (endpoint, SERVER_URL);
  g_autoptr(GVariant) as_verdict = mc_url_verdict_to_variant (verdict);

  g_variant_dict_insert (&dict, "kind", "s", "authorize");
  g_variant_dict_insert (&dict, "app_kind", "s", app_kind);
  if (g_str_equal (app_kind, "unverified"))
    {
      g_variant_dict_insert (&dict, "app_path", "s", "/home/user/.local/bin/agent-runner");
    }
  else if (!g_str_equal (app_kind, "unknown"))
    {
      g_variant_dict_insert (&dict, "app_id", "s", "org.example.Assistant");
      g_variant_dict_insert (&dict, "app_name", "s", "Example Assistant");
      g_variant_dict_insert (&dict, "app_icon", "s", "application-x-executable-symbolic");
    }
  g_variant_dict_insert (&dict, "server_name", "s", "example-server");
  g_variant_dict_insert (&dict, "server_title", "s", "Example Server");
  g_variant_dict_insert (&dict, "server_version", "s", "1.2.0");
  g_variant_dict_insert (&dict, "server_url", "s", SERVER_URL);
  g_variant_dict_insert (&dict, "resource", "s", RESOURCE);
  g_variant_dict_insert (&dict, "issuer", "s", spec->issuer ? spec->issuer : ISSUER);
  g_variant_dict_insert (&dict, "authorization_endpoint", "s", endpoint);
  g_variant_dict_insert_value (&dict, "as_verdict", as_verdict);
  g_variant_dict_insert_value (&dict, "scopes",
                               g_variant_new_strv ((const char * const *) (spec->scopes ? spec->scopes : no_scopes), -1));
  g_variant_dict_insert_value (&dict, "granted_scopes",
                               g_variant_new_strv ((const char * const *) (spec->granted_scopes ? spec->granted_scopes : no_scopes), -1));
  g_variant_dict_insert (&dict, "timeout", "u", 300);
  g_variant_dict_insert (&dict, "queued", "u", spec->queued);

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static gpointer
child (Fixture    *fixture,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (fixture->dialog),
                                                   MC_TYPE_CONSENT_DIALOG,
                                                   name);

  g_assert_nonnull (object);
  return object;
}

static gboolean
child_visible (Fixture    *fixture,
               const char *name)
{
  return gtk_widget_get_visible (GTK_WIDGET (child (fixture, name)));
}

static const char *
child_text (Fixture    *fixture,
            const char *name)
{
  return gtk_label_get_text (GTK_LABEL (child (fixture, name)));
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @condition holds, failing the test at
 * the deadline.  The tick only makes sure the condition is looked at
 * again even when no event comes. */
#define wait_until(condition) \
  G_STMT_START { \
    gint64 deadline__ = g_get_monotonic_time () + WAIT_TIMEOUT_MS * 1000; \
    guint tick__ = g_timeout_add (10, tick_cb, NULL); \
    while (!(condition) && g_get_monotonic_time () < deadline__) \
      g_main_context_iteration (NULL, TRUE); \
    g_source_remove (tick__); \
    g_assert_true (condition); \
  } G_STMT_END

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* For the rules that are about time itself: keeps the main context
 * running for @ms milliseconds. */
static void
run_main_context_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
answered_cb (McConsentDialog *dialog,
             const char      *answer,
             GVariant        *results,
             Fixture         *fixture)
{
  g_assert_true (g_variant_is_of_type (results, G_VARIANT_TYPE_VARDICT));
  g_ptr_array_add (fixture->answers, g_strdup (answer));
  g_ptr_array_add (fixture->results, g_variant_ref (results));
}

static void
notice_closed_cb (McConsentDialog *dialog,
                  Fixture         *fixture)
{
  fixture->notices_closed++;
}

static void
forget_requested_cb (McConsentDialog *dialog,
                     const char      *remembered_id,
                     Fixture         *fixture)
{
  g_ptr_array_add (fixture->forgotten, g_strdup (remembered_id));
}

static void
destroy_cb (McConsentDialog *dialog,
            Fixture         *fixture)
{
  fixture->destroyed = TRUE;
}

static void
fixture_show_prompt (Fixture  *fixture,
                     GVariant *prompt)
{
  /* Not a strong reference: GTK owns toplevels, and a window is only
   * disposed ("destroy") once the last reference goes. */
  fixture->dialog = mc_consent_dialog_new ("prompt-1", prompt);
  g_object_add_weak_pointer (G_OBJECT (fixture->dialog), (gpointer *) &fixture->dialog);
  g_signal_connect (fixture->dialog, "answered", G_CALLBACK (answered_cb), fixture);
  g_signal_connect (fixture->dialog, "notice-closed", G_CALLBACK (notice_closed_cb), fixture);
  g_signal_connect (fixture->dialog, "forget-requested", G_CALLBACK (forget_requested_cb), fixture);
  g_signal_connect (fixture->dialog, "destroy", G_CALLBACK (destroy_cb), fixture);

  gtk_window_present (GTK_WINDOW (fixture->dialog));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->dialog));
  wait_until (gtk_window_is_active (GTK_WINDOW (fixture->dialog)));
}

static void
fixture_show (Fixture          *fixture,
              const PromptSpec *spec)
{
  g_autoptr(GVariant) prompt = build_prompt (spec);

  fixture_show_prompt (fixture, prompt);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->answers = g_ptr_array_new_with_free_func (g_free);
  fixture->results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  fixture->forgotten = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (fixture->dialog, fixture);
      g_object_remove_weak_pointer (G_OBJECT (fixture->dialog), (gpointer *) &fixture->dialog);
      gtk_window_destroy (GTK_WINDOW (fixture->dialog));
      fixture->dialog = NULL;
    }
  /* Let the X server see the window go before the next test maps one. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&fixture->answers, g_ptr_array_unref);
  g_clear_pointer (&fixture->results, g_ptr_array_unref);
  g_clear_pointer (&fixture->forgotten, g_ptr_array_unref);
}

static void
process_done_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_check_finish (G_SUBPROCESS (source_object), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
run_xdotool (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  g_ptr_array_add (argv, (gpointer) "xdotool");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);

  /* The main context keeps running meanwhile: the events go to this very
   * process, and GTK has to read them. */
  g_subprocess_wait_check_async (process, NULL, process_done_cb, &done);
  wait_until (done);
}

static void
press_keys (const char *keys)
{
  g_auto(GStrv) split = g_strsplit (keys, " ", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) args = NULL;

  g_strv_builder_add_many (builder, "key", "--clearmodifiers", "--delay", "20", NULL);
  g_strv_builder_addv (builder, (const char **) split);
  args = g_strv_builder_end (builder);
  run_xdotool ((const char * const *) args);
}

static void
focus_dialog (Fixture *fixture)
{
  const char * const args[] = {
    "search", "--name", gtk_window_get_title (GTK_WINDOW (fixture->dialog)),
    "windowfocus", "--sync", NULL
  };

  run_xdotool (args);
}

/* A key press answers nothing: to prove it without waiting for a time,
 * Escape is pressed after it, and "dismiss" has to be the first answer. */
static void
assert_keys_answer_nothing (Fixture    *fixture,
                            const char *keys)
{
  g_autofree char *with_escape = g_strdup_printf ("%s Escape", keys);

  g_assert_cmpuint (fixture->answers->len, ==, 0);
  press_keys (with_escape);
  wait_until (fixture->answers->len > 0);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "dismiss");
}

static void
wait_for_open_unlocked (Fixture *fixture)
{
  wait_until (gtk_widget_get_sensitive (GTK_WIDGET (child (fixture, "open_button"))));
}

static GPtrArray *
collect_warning_texts (Fixture *fixture)
{
  GPtrArray *texts = g_ptr_array_new ();
  GtkWidget *box = GTK_WIDGET (child (fixture, "warnings_box"));

  for (GtkWidget *row = gtk_widget_get_first_child (box); row != NULL; row = gtk_widget_get_next_sibling (row))
    for (GtkWidget *w = gtk_widget_get_first_child (row); w != NULL; w = gtk_widget_get_next_sibling (w))
      if (GTK_IS_LABEL (w))
        g_ptr_array_add (texts, (gpointer) gtk_label_get_text (GTK_LABEL (w)));

  return texts;
}

static GtkWidget *
find_warning_label (Fixture    *fixture,
                    const char *text)
{
  GtkWidget *box = GTK_WIDGET (child (fixture, "warnings_box"));

  for (GtkWidget *row = gtk_widget_get_first_child (box); row != NULL; row = gtk_widget_get_next_sibling (row))
    for (GtkWidget *w = gtk_widget_get_first_child (row); w != NULL; w = gtk_widget_get_next_sibling (w))
      if (GTK_IS_LABEL (w) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (w)), text) == 0)
        return w;

  return NULL;
}

/* Every flag of the verdict is shown in plain words, styled by its level. */
static void
assert_warnings_match_verdict (Fixture    *fixture,
                               const char *url)
{
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, SERVER_URL);
  g_autoptr(GPtrArray) texts = collect_warning_texts (fixture);
  const char * const *flags = mc_url_verdict_get_flags (verdict);

  g_assert_cmpuint (g_strv_length ((char **) flags), >, 0);
  g_assert_true (child_visible (fixture, "warnings_box"));
  g_assert_cmpuint (texts->len, ==, g_strv_length ((char **) flags));

  for (guint i = 0; flags[i] != NULL; i++)
    {
      const char *description = mc_url_flag_describe (flags[i]);
      GtkWidget *label;
      gboolean danger = mc_url_flag_get_risk (flags[i]) >= MC_URL_RISK_DANGER;

      g_assert_nonnull (description);
      label = find_warning_label (fixture, description);
      g_assert_nonnull (label);
      g_assert_true (gtk_widget_has_css_class (gtk_widget_get_parent (label),
                                               danger ? "danger" : "caution"));
      gtk_test_accessible_assert_property (label, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                           danger ? "Danger" : "Caution");
    }
}

static void
assert_domain_emphasised (GtkLabel   *label,
                          const char *domain)
{
  const char *text = gtk_label_get_text (label);
  PangoAttrList *attrs = gtk_label_get_attributes (label);
  const char *found = g_strstr_len (text, -1, domain);
  g_autoptr(GSList) list = NULL;
  gboolean bold = FALSE;

  g_assert_nonnull (attrs);
  g_assert_nonnull (found);

  list = pango_attr_list_get_attributes (attrs);
  for (GSList *l = list; l != NULL; l = l->next)
    {
      PangoAttribute *attr = l->data;

      if (attr->klass->type == PANGO_ATTR_WEIGHT &&
          ((PangoAttrInt *) attr)->value == PANGO_WEIGHT_BOLD)
        {
          g_assert_cmpuint (attr->start_index, ==, found - text);
          g_assert_cmpuint (attr->end_index, ==, found - text + strlen (domain));
          bold = TRUE;
        }
    }
  g_slist_free_full (g_steal_pointer (&list), (GDestroyNotify) pango_attribute_destroy);
  g_assert_true (bold);
}

static void
save_screenshot (Fixture    *fixture,
                 const char *name)
{
  mc_test_gtk_save_screenshot (GTK_WIDGET (fixture->dialog), name);
}

static void
test_ok (Fixture       *fixture,
         gconstpointer  data)
{
  const char *url = "https://accounts.example.com/oauth/authorize?client_id=mcp-42&state=8c1e7f&redirect_uri=https%3A%2F%2Fmcp.example.com%2Fcallback";
  PromptSpec spec = { .url = url, .message = "Sign in to connect your calendar.", .can_remember = TRUE };
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, SERVER_URL);
  const char *title;

  g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, MC_URL_RISK_OK);
  fixture_show (fixture, &spec);

  title = gtk_window_get_title (GTK_WINDOW (fixture->dialog));
  g_assert_cmpstr (title, ==, "Open a link for Example Server?");
  g_assert_null (strstr (title, "example.com"));

  g_assert_cmpstr (child_text (fixture, "url_label"), ==, url);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (child (fixture, "url_label"))));
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (child (fixture, "url_label"))));
  g_assert_cmpint (gtk_label_get_wrap_mode (GTK_LABEL (child (fixture, "url_label"))), ==, PANGO_WRAP_CHAR);
  assert_domain_emphasised (GTK_LABEL (child (fixture, "url_label")), "example.com");
  g_assert_cmpstr (child_text (fixture, "domain_label"), ==, "example.com");
  g_assert_cmpstr (child_text (fixture, "app_label"), ==, "Example Assistant");
  g_assert_cmpstr (child_text (fixture, "server_label"), ==, "Example Server");
  g_assert_cmpstr (child_text (fixture, "server_url_label"), ==, SERVER_URL);
  g_assert_false (child_visible (fixture, "warnings_box"));
  g_assert_false (child_visible (fixture, "idn_label"));
  g_assert_false (child_visible (fixture, "understand_check"));
  g_assert_false (child_visible (fixture, "queued_label"));
  g_assert_true (child_visible (fixture, "remember_check"));

  /* Focus starts on the link, never on Open. */
  g_assert_true (gtk_root_get_focus (GTK_ROOT (fixture->dialog)) == child (fixture, "url_label"));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (child (fixture, "open_button"))));
  save_screenshot (fixture, "ok-locked");

  wait_for_open_unlocked (fixture);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (child (fixture, "open_button")), "suggested-action"));
  save_screenshot (fixture, "ok");
}

static void
test_caution_idn (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *url = "https://bücher.de/konto/anmelden?next=%2Fmcp";
  PromptSpec spec = { .url = url, .message = "Please sign in to your bookshop account." };
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, SERVER_URL);
  const char *idn;

  g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, MC_URL_RISK_CAUTION);
  fixture_show (fixture, &spec);

  assert_warnings_match_verdict (fixture, url);
  assert_domain_emphasised (GTK_LABEL (child (fixture, "url_label")), "bücher.de");
  g_assert_true (child_visible (fixture, "idn_label"));
  idn = child_text (fixture, "idn_label");
  g_assert_nonnull (strstr (idn, mc_url_verdict_get_host (verdict)));
  g_assert_nonnull (strstr (idn, mc_url_verdict_get_host_ascii (verdict)));
  g_assert_nonnull (strstr (idn, "xn--"));
  g_assert_false (child_visible (fixture, "understand_check"));

  /* As the user sees it a moment later: Open available, not suggested. */
  wait_for_open_unlocked (fixture);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (child (fixture, "open_button")), "suggested-action"));
  save_screenshot (fixture, "caution");
}

static void
test_caution_other_domain (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *url = "https://login.payments-partner.net/checkout/confirm?order=7781";
  PromptSpec spec = { .url = url, .message = "Confirm the payment of 12.00 EUR." };
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, SERVER_URL);

  g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, MC_URL_RISK_CAUTION);
  fixture_show (fixture, &spec);

  assert_warnings_match_verdict (fixture, url);
  assert_domain_emphasised (GTK_LABEL (child (fixture, "url_label")), "payments-partner.net");
  g_assert_false (child_visible (fixture, "idn_label"));

  save_screenshot (fixture, "caution-other-domain");
}

static void
test_danger_mixed_script (Fixture       *fixture,
                          gconstpointer  data)
{
  /* The first letter is CYRILLIC SMALL LETTER A. */
  const char *url = "https://\xd0\xb0pple.com/account/verify?session=9f2c";
  PromptSpec spec = { .url = url, .message = "Your account is locked. Verify now.", .can_remember = TRUE };
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, SERVER_URL);

  g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, MC_URL_RISK_DANGER);
  fixture_show (fixture, &spec);

  assert_warnings_match_verdict (fixture, url);
  g_assert_true (child_visible (fixture, "understand_check"));
  g_assert_true (child_visible (fixture, "idn_label"));
  /* Never "always" for a dangerous link, whatever the daemon says. */
  g_assert_false (child_visible (fixture, "remember_check"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (child (fixture, "open_button")), "destructive-action"));

  save_screenshot (fixture, "danger");
}

static void
test_danger_ip (Fixture       *fixture,
                gconstpointer  data)
{
  const char *url = "https://192.0.2.7/login";
  PromptSpec spec = { .url = url };
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, SERVER_URL);

  g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, MC_URL_RISK_DANGER);
  fixture_show (fixture, &spec);

  assert_warnings_match_verdict (fixture, url);
  /* No registrable domain: the whole host is what to check. */
  assert_domain_emphasised (GTK_LABEL (child (fixture, "url_label")), "192.0.2.7");
  g_assert_true (child_visible (fixture, "understand_check"));
  g_assert_false (child_visible (fixture, "message_box"));

  save_screenshot (fixture, "danger-ip");
}

static void
test_danger_needs_extra_step (Fixture       *fixture,
                              gconstpointer  data)
{
  PromptSpec spec = { .url = "https://192.0.2.7/login" };
  GtkWidget *open_button;
  GtkCheckButton *understand;

  fixture_show (fixture, &spec);
  open_button = GTK_WIDGET (child (fixture, "open_button"));
  understand = GTK_CHECK_BUTTON (child (fixture, "understand_check"));

  /* Well past the delay, Open still waits for the deliberate step. */
  run_main_context_for (2 * mc_consent_dialog_get_unlock_delay (fixture->dialog));
  g_assert_false (gtk_widget_get_sensitive (open_button));

  gtk_check_button_set_active (understand, TRUE);
  g_assert_true (gtk_widget_get_sensitive (open_button));
  gtk_check_button_set_active (understand, FALSE);
  g_assert_false (gtk_widget_get_sensitive (open_button));

  /* With the keyboard, as a user would: the check button's mnemonic. */
  press_keys ("alt+u");
  wait_until (gtk_check_button_get_active (understand));
  wait_for_open_unlocked (fixture);

  press_keys ("alt+o");
  wait_until (fixture->answers->len > 0);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "open");
}

static void
test_daemon_verdict_adds_care (Fixture       *fixture,
                               gconstpointer  data)
{
  const char *url = "https://accounts.example.com/login";
  g_autoptr(GVariant) prompt = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  PromptSpec spec = { .url = url, .can_remember = TRUE };
  g_autoptr(GVariant) base = build_prompt (&spec);
  g_autoptr(GVariantDict) dict = g_variant_dict_new (base);
  const char *flags[] = { "port", "a-flag-from-the-future", NULL };
  g_auto(GVariantDict) verdict = G_VARIANT_DICT_INIT (NULL);

  /* The daemon knows more (policy, a newer flag): its flags are shown
   * alongside the dialog's own check, and an unknown one takes the extra
   * step, as a danger would. */
  g_variant_dict_insert (&verdict, "risk", "s", "caution");
  g_variant_dict_insert_value (&verdict, "flags", g_variant_new_strv (flags, -1));
  g_variant_dict_insert_value (dict, "verdict", g_variant_dict_end (&verdict));
  prompt = g_variant_ref_sink (g_variant_dict_end (dict));

  fixture->dialog = mc_consent_dialog_new ("prompt-3", prompt);
  g_object_add_weak_pointer (G_OBJECT (fixture->dialog), (gpointer *) &fixture->dialog);

  texts = collect_warning_texts (fixture);
  g_assert_cmpuint (texts->len, ==, 2);
  g_assert_nonnull (find_warning_label (fixture, mc_url_flag_describe ("port")));
  g_assert_nonnull (find_warning_label (fixture, "This link is unusual (a-flag-from-the-future)."));
  g_assert_true (child_visible (fixture, "understand_check"));
  g_assert_false (child_visible (fixture, "remember_check"));
}

static void
test_escape_dismisses (Fixture       *fixture,
                       gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login" };

  fixture_show (fixture, &spec);
  press_keys ("Escape");
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "dismiss");
}

static void
test_close_dismisses (Fixture       *fixture,
                      gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login" };

  fixture_show (fixture, &spec);
  gtk_window_close (GTK_WINDOW (fixture->dialog));
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "dismiss");
}

static void
test_decline (Fixture       *fixture,
              gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login" };

  fixture_show (fixture, &spec);
  press_keys ("alt+d");
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "decline");
}

static void
test_enter_does_not_open (Fixture       *fixture,
                          gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login" };
  GtkWidget *open_button;

  fixture_show (fixture, &spec);
  open_button = GTK_WIDGET (child (fixture, "open_button"));
  wait_for_open_unlocked (fixture);

  /* Enter where the focus starts (the link) … */
  press_keys ("Return KP_Enter");
  g_assert_cmpuint (fixture->answers->len, ==, 0);

  /* … and on a focused, sensitive Open button. */
  gtk_widget_grab_focus (open_button);
  g_assert_true (gtk_widget_has_focus (open_button));
  assert_keys_answer_nothing (fixture, "Return KP_Enter");
  g_assert_cmpuint (fixture->answers->len, ==, 1);
}

static void
test_space_and_tab_open (Fixture       *fixture,
                         gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login" };
  GtkWidget *open_button;

  fixture_show (fixture, &spec);
  open_button = GTK_WIDGET (child (fixture, "open_button"));
  wait_for_open_unlocked (fixture);

  /* Everything is reachable by Tab, Open included. */
  for (guint i = 0; i < 10 && !gtk_widget_has_focus (open_button); i++)
    press_keys ("Tab");
  g_assert_true (gtk_widget_has_focus (open_button));

  press_keys ("space");
  wait_until (fixture->answers->len > 0);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "open");
  g_assert_cmpint (mc_consent_dialog_get_state (fixture->dialog), ==, MC_CONSENT_DIALOG_STATE_OPENING);
  g_assert_false (fixture->destroyed);
}

static void
test_unlock_delay (Fixture       *fixture,
                   gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login" };
  GtkWidget *open_button;
  GtkWidget *other;
  gint64 start;
  guint delay;

  fixture_show (fixture, &spec);
  open_button = GTK_WIDGET (child (fixture, "open_button"));
  delay = mc_consent_dialog_get_unlock_delay (fixture->dialog);
  g_assert_cmpuint (delay, >=, 500);
  g_assert_cmpuint (delay, <=, 2000);

  /* The dialog became active just now (fixture_show waited for it). */
  start = g_get_monotonic_time ();
  g_assert_false (gtk_widget_get_sensitive (open_button));
  /* A click that comes too early is lost, not queued. */
  gtk_widget_activate (open_button);
  wait_for_open_unlocked (fixture);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (delay - 100) * 1000);
  g_assert_cmpuint (fixture->answers->len, ==, 0);

  /* Another window takes the focus: Open locks at once … */
  other = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (other), 200, 100);
  gtk_window_present (GTK_WINDOW (other));
  wait_until (!gtk_window_is_active (GTK_WINDOW (fixture->dialog)));
  g_assert_false (gtk_widget_get_sensitive (open_button));

  /* … and the delay starts over when the dialog has the focus again (given
   * to it as a window manager would, or a click would). */
  gtk_window_destroy (GTK_WINDOW (other));
  focus_dialog (fixture);
  wait_until (gtk_window_is_active (GTK_WINDOW (fixture->dialog)));
  start = g_get_monotonic_time ();
  g_assert_false (gtk_widget_get_sensitive (open_button));
  wait_for_open_unlocked (fixture);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (delay - 100) * 1000);
}

static void
test_remember (Fixture       *fixture,
               gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login", .can_remember = TRUE };
  GtkCheckButton *remember;
  const char *label;

  fixture_show (fixture, &spec);
  remember = GTK_CHECK_BUTTON (child (fixture, "remember_check"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (remember)));
  /* No policy, no note about one. */
  g_assert_false (child_visible (fixture, "policy_label"));
  label = gtk_check_button_get_label (remember);
  g_assert_nonnull (strstr (label, "example.com"));
  g_assert_nonnull (strstr (label, "Example Server"));
  g_assert_false (gtk_check_button_get_active (remember));

  gtk_check_button_set_active (remember, TRUE);
  wait_for_open_unlocked (fixture);
  gtk_widget_activate (GTK_WIDGET (child (fixture, "open_button")));
  wait_until (fixture->answers->len > 0);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "open-always");
}

static void
test_remember_only_when_offered (Fixture       *fixture,
                                 gconstpointer  data)
{
  const PromptSpec specs[] = {
    { .url = "https://accounts.example.com/login", .can_remember = FALSE },
    /* The daemon never offers it for unverified programs; if it did, the
     * dialog still would not. */
    { .url = "https://accounts.example.com/login", .can_remember = TRUE, .app_kind = "unverified" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      fixture_show (fixture, &specs[i]);
      g_assert_false (child_visible (fixture, "remember_check"));
      gtk_window_destroy (GTK_WINDOW (fixture->dialog));
      g_assert_null (fixture->dialog);
      g_assert_true (fixture->destroyed);
      fixture->destroyed = FALSE;
    }
}

static void
test_queued (Fixture       *fixture,
             gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login", .queued = 3 };

  fixture_show (fixture, &spec);
  g_assert_true (child_visible (fixture, "queued_label"));
  g_assert_cmpstr (child_text (fixture, "queued_label"), ==, "3 more requests are waiting");
}

static void
test_message_is_plain_text (Fixture       *fixture,
                            gconstpointer  data)
{
  /* Markup, a bidi override and a zero-width space, then far too much. */
  g_autoptr(GString) message = g_string_new ("<b>Urgent</b> &amp; <a href=\"https://evil.example\">click</a> "
                                             "moc.elpmaxe\xe2\x80\xae\xe2\x80\x8b");
  PromptSpec spec = { .url = "https://accounts.example.com/login" };
  GtkLabel *label;
  const char *text;

  for (guint i = 0; i < 300; i++)
    g_string_append (message, " blah");
  spec.message = message->str;

  fixture_show (fixture, &spec);
  label = GTK_LABEL (child (fixture, "message_label"));
  text = gtk_label_get_text (label);

  g_assert_true (child_visible (fixture, "message_box"));
  g_assert_false (gtk_label_get_use_markup (label));
  g_assert_nonnull (strstr (text, "<b>Urgent</b> &amp; <a href=\"https://evil.example\">click</a>"));
  g_assert_null (strstr (text, "\xe2\x80\xae"));
  g_assert_null (strstr (text, "\xe2\x80\x8b"));
  g_assert_true (g_str_has_suffix (text, "…”"));
  g_assert_cmpuint (g_utf8_strlen (text, -1), <=, 1000 + 3);
  g_assert_cmpuint (g_utf8_strlen (text, -1), >=, 900);

  /* Too long to show whole: it scrolls, and the rest of the dialog stays. */
  g_assert_true (child_visible (fixture, "message_scroller"));
  save_screenshot (fixture, "long-message");
}

static void
test_long_url (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GString) url = g_string_new ("https://accounts.example.com/oauth/authorize?client_id=mcp");

  for (guint i = 0; i < 60; i++)
    g_string_append_printf (url, "&scope%u=calendar.read", i);

  {
    PromptSpec spec = { .url = url->str };

    fixture_show (fixture, &spec);
  }

  /* Every character is there, in a scroller of its own. */
  g_assert_cmpstr (child_text (fixture, "url_label"), ==, url->str);
  g_assert_true (child_visible (fixture, "url_scroller"));
  g_assert_true (gtk_widget_is_ancestor (GTK_WIDGET (child (fixture, "url_label")),
                                         GTK_WIDGET (child (fixture, "url_scroller"))));
  assert_domain_emphasised (GTK_LABEL (child (fixture, "url_label")), "example.com");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->dialog)), <=, 600);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (fixture->dialog)), <=, 700);
  save_screenshot (fixture, "long-url");
}

static void
test_accessible (Fixture       *fixture,
                 gconstpointer  data)
{
  PromptSpec spec = { .url = "https://login.payments-partner.net/checkout", .message = "Pay" };
  GtkWidget *open_button;
  GtkWidget *decline_button;
  GtkWidget *url_label;

  fixture_show (fixture, &spec);
  open_button = GTK_WIDGET (child (fixture, "open_button"));
  decline_button = GTK_WIDGET (child (fixture, "decline_button"));
  url_label = GTK_WIDGET (child (fixture, "url_label"));

  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (fixture->dialog), GTK_ACCESSIBLE_ROLE_DIALOG);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (open_button), GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (decline_button), GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (url_label), GTK_ACCESSIBLE_ROLE_LABEL);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (fixture, "heading_label")),
                                   GTK_ACCESSIBLE_ROLE_HEADING);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (fixture, "warnings_box")),
                                   GTK_ACCESSIBLE_ROLE_GROUP);

  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (open_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Opens the link to payments-partner.net in your web browser");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (decline_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Does not open the link, and tells the server you declined");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (url_label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "The full link; it goes to payments-partner.net");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (fixture, "warnings_box")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Warnings about this link");
  gtk_test_accessible_assert_state (GTK_ACCESSIBLE (open_button), GTK_ACCESSIBLE_STATE_DISABLED, TRUE);
  wait_for_open_unlocked (fixture);
  gtk_test_accessible_assert_state (GTK_ACCESSIBLE (open_button), GTK_ACCESSIBLE_STATE_DISABLED, FALSE);
}

static void
test_unverified (Fixture       *fixture,
                 gconstpointer  data)
{
  PromptSpec spec = {
    .url = "https://accounts.example.com/oauth/authorize?client_id=cli&scope=calendar.read",
    .app_kind = "unverified",
    .message = "Authorize the calendar connector.",
    .queued = 2,
  };

  fixture_show (fixture, &spec);
  g_assert_cmpstr (child_text (fixture, "app_label"), ==, "Unverified program");
  g_assert_true (child_visible (fixture, "app_path_label"));
  g_assert_cmpstr (child_text (fixture, "app_path_label"), ==, "/home/user/.local/bin/agent-runner");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (child (fixture, "app_path_label")), "monospace"));
  g_assert_cmpstr (child_text (fixture, "queued_label"), ==, "2 more requests are waiting");

  save_screenshot (fixture, "unverified-program");
}

static void
test_unknown_caller (Fixture       *fixture,
                     gconstpointer  data)
{
  PromptSpec spec = {
    .url = "https://accounts.example.com/login",
    .app_kind = "unknown",
    .can_remember = TRUE,
  };

  /* A broker in a sandbox knows nothing of its callers; the dialog must
   * say so, and never offer "always" even if asked to. */
  fixture_show (fixture, &spec);
  g_assert_cmpstr (child_text (fixture, "app_label"), ==, "Unverified program");
  g_assert_true (child_visible (fixture, "app_path_label"));
  g_assert_cmpstr (child_text (fixture, "app_path_label"), ==,
                   "The broker runs in a sandbox and cannot see which program this is");
  /* A sentence, not a path: broken between words, not in the middle of one. */
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (child (fixture, "app_path_label")), "monospace"));
  g_assert_cmpint (gtk_label_get_wrap_mode (GTK_LABEL (child (fixture, "app_path_label"))), ==, PANGO_WRAP_WORD_CHAR);
  g_assert_false (child_visible (fixture, "remember_check"));
}

static void
test_opened_notice (Fixture       *fixture,
                    gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login", .can_remember = TRUE };
  PromptSpec opened_spec = { .url = "https://accounts.example.com/login", .remembered_id = "remembered-7" };
  g_autoptr(GVariant) opened = build_prompt (&opened_spec);

  fixture_show (fixture, &spec);
  wait_for_open_unlocked (fixture);
  gtk_widget_activate (GTK_WIDGET (child (fixture, "open_button")));
  wait_until (fixture->answers->len > 0);
  g_assert_cmpint (mc_consent_dialog_get_state (fixture->dialog), ==, MC_CONSENT_DIALOG_STATE_OPENING);
  save_screenshot (fixture, "opening");

  mc_consent_dialog_show_opened (fixture->dialog, opened);
  g_assert_cmpint (mc_consent_dialog_get_state (fixture->dialog), ==, MC_CONSENT_DIALOG_STATE_OPENED);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->dialog)), ==, "Finish in your browser");
  g_assert_nonnull (strstr (child_text (fixture, "opened_label"), "example.com"));
  g_assert_nonnull (strstr (child_text (fixture, "opened_label"), "Example Server"));
  g_assert_true (child_visible (fixture, "remembered_box"));
  g_assert_nonnull (strstr (child_text (fixture, "remembered_label"), "always allow"));
  save_screenshot (fixture, "opened-notice");

  gtk_widget_activate (GTK_WIDGET (child (fixture, "forget_button")));
  wait_until (fixture->forgotten->len > 0);
  g_assert_cmpstr (g_ptr_array_index (fixture->forgotten, 0), ==, "remembered-7");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (child (fixture, "forget_button"))));

  press_keys ("Escape");
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->notices_closed, ==, 1);
  /* Only the one answer, given before the notice. */
  g_assert_cmpuint (fixture->answers->len, ==, 1);
}

static void
test_opened_without_prompt (Fixture       *fixture,
                            gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login" };
  g_autoptr(GVariant) prompt = build_prompt (&spec);

  /* An "always allow" decision opened it: the notice is all there is. */
  fixture->dialog = mc_consent_dialog_new ("prompt-2", prompt);
  g_object_add_weak_pointer (G_OBJECT (fixture->dialog), (gpointer *) &fixture->dialog);
  g_signal_connect (fixture->dialog, "answered", G_CALLBACK (answered_cb), fixture);
  g_signal_connect (fixture->dialog, "notice-closed", G_CALLBACK (notice_closed_cb), fixture);
  g_signal_connect (fixture->dialog, "destroy", G_CALLBACK (destroy_cb), fixture);
  mc_consent_dialog_show_opened (fixture->dialog, prompt);
  gtk_window_present (GTK_WINDOW (fixture->dialog));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->dialog));
  g_assert_false (child_visible (fixture, "remembered_box"));

  gtk_widget_activate (GTK_WIDGET (child (fixture, "opened_close_button")));
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->notices_closed, ==, 1);
  g_assert_cmpuint (fixture->answers->len, ==, 0);
}

static void
clipboard_read_cb (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source_object), result, &error);
  g_assert_no_error (error);
}

static void
test_open_failed_notice (Fixture       *fixture,
                         gconstpointer  data)
{
  const char *url = "https://accounts.example.com/oauth/authorize?client_id=mcp-42&state=8c1e7f";
  PromptSpec spec = { .url = url };
  g_autofree char *copied = NULL;

  fixture_show (fixture, &spec);
  wait_for_open_unlocked (fixture);
  gtk_widget_activate (GTK_WIDGET (child (fixture, "open_button")));
  wait_until (fixture->answers->len > 0);

  mc_consent_dialog_show_open_failed (fixture->dialog,
                                      "No application is registered for https links.");
  g_assert_cmpint (mc_consent_dialog_get_state (fixture->dialog), ==, MC_CONSENT_DIALOG_STATE_OPEN_FAILED);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->dialog)), ==, "No web browser could be opened");
  g_assert_cmpstr (child_text (fixture, "reason_label"), ==, "No application is registered for https links.");
  g_assert_cmpstr (child_text (fixture, "failed_url_label"), ==, url);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (child (fixture, "failed_url_label"))));
  save_screenshot (fixture, "open-failed-notice");

  gtk_widget_activate (GTK_WIDGET (child (fixture, "copy_button")));
  wait_until (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child (fixture, "copy_button"))), "Copied") == 0);
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (fixture->dialog)),
                                 NULL, clipboard_read_cb, &copied);
  wait_until (copied != NULL);
  g_assert_cmpstr (copied, ==, url);

  gtk_widget_activate (GTK_WIDGET (child (fixture, "failed_close_button")));
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->notices_closed, ==, 1);
}

static void
test_withdraw_is_silent (Fixture       *fixture,
                         gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login" };

  fixture_show (fixture, &spec);
  mc_consent_dialog_withdraw (fixture->dialog);
  g_assert_true (fixture->destroyed);
  g_assert_cmpuint (fixture->answers->len, ==, 0);
  g_assert_cmpuint (fixture->notices_closed, ==, 0);
}

/* The rows of a box of scopes (scopes_list or granted_list). */
static GPtrArray *
scope_rows (Fixture    *fixture,
            const char *list)
{
  GPtrArray *rows = g_ptr_array_new ();

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (child (fixture, list)));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    g_ptr_array_add (rows, row);

  return rows;
}

/* The labels of a scope row, title first, wherever the row keeps them. */
static void
collect_labels (GtkWidget *widget,
                GPtrArray *labels)
{
  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (labels, widget);
  for (GtkWidget *w = gtk_widget_get_first_child (widget); w != NULL; w = gtk_widget_get_next_sibling (w))
    collect_labels (w, labels);
}

static void
assert_scope_row (GtkWidget  *row,
                  const char *title,
                  const char *subtitle)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect_labels (row, labels);
  g_assert_cmpuint (labels->len, ==, 2);
  g_assert_cmpstr (gtk_label_get_text (g_ptr_array_index (labels, 0)), ==, title);
  g_assert_cmpstr (gtk_label_get_text (g_ptr_array_index (labels, 1)), ==, subtitle);
}

static void
assert_answer (Fixture            *fixture,
               guint               i,
               const char         *answer,
               const char * const *scopes)
{
  GVariant *results;
  g_autofree const char **answered = NULL;

  g_assert_cmpuint (fixture->answers->len, >, i);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, i), ==, answer);
  results = g_ptr_array_index (fixture->results, i);

  if (scopes == NULL)
    {
      g_assert_cmpuint (g_variant_n_children (results), ==, 0);
      return;
    }

  g_assert_cmpuint (g_variant_n_children (results), ==, 1);
  g_assert_true (g_variant_lookup (results, "scopes", "^a&s", &answered));
  g_assert_true (g_strv_equal ((const char * const *) answered, scopes));
}

static void
test_authorize (Fixture       *fixture,
                gconstpointer  data)
{
  const char * const scopes[] = { "openid", "profile", "email", "offline_access", "calendar.read", NULL };
  const char * const left_ticked[] = { "openid", "email", "offline_access", "calendar.read", NULL };
  AuthorizeSpec spec = { .scopes = scopes, .queued = 1 };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);
  g_autoptr(GPtrArray) rows = NULL;
  GtkWidget *open_button;

  fixture_show_prompt (fixture, prompt);
  open_button = GTK_WIDGET (child (fixture, "open_button"));

  /* The server by name, never a URL, in the title. */
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->dialog)), ==, "Sign in to Example Server?");
  g_assert_cmpstr (child_text (fixture, "heading_label"), ==, "Sign in to Example Server?");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (open_button)), ==, "_Allow");

  /* Who asks, for which server (and resource), and where to sign in. */
  g_assert_cmpstr (child_text (fixture, "app_label"), ==, "Example Assistant");
  g_assert_false (child_visible (fixture, "app_shared_label"));
  g_assert_cmpstr (child_text (fixture, "server_label"), ==, "Example Server");
  g_assert_cmpstr (child_text (fixture, "server_url_label"), ==, RESOURCE);
  g_assert_true (child_visible (fixture, "as_row"));
  g_assert_cmpstr (child_text (fixture, "as_host_label"), ==, "accounts.example.com");
  assert_domain_emphasised (GTK_LABEL (child (fixture, "as_host_label")), "example.com");
  g_assert_false (child_visible (fixture, "as_idn_label"));
  g_assert_false (child_visible (fixture, "as_issuer_label"));
  g_assert_false (child_visible (fixture, "warnings_box"));

  /* Nothing of the link prompt. */
  g_assert_false (child_visible (fixture, "link_box"));
  g_assert_false (child_visible (fixture, "message_box"));
  g_assert_false (child_visible (fixture, "remember_check"));
  g_assert_false (child_visible (fixture, "understand_check"));
  g_assert_true (child_visible (fixture, "queued_label"));

  /* The scopes, in the order given, all ticked, described where known. */
  g_assert_true (child_visible (fixture, "scopes_box"));
  g_assert_false (child_visible (fixture, "granted_box"));
  g_assert_false (child_visible (fixture, "no_scopes_label"));
  g_assert_false (child_visible (fixture, "scopes_scroller"));
  g_assert_cmpstr (child_text (fixture, "scopes_caption"), ==, "Permissions asked for");
  rows = scope_rows (fixture, "scopes_list");
  g_assert_cmpuint (rows->len, ==, 5);
  assert_scope_row (g_ptr_array_index (rows, 0), "Confirm who you are", "openid");
  assert_scope_row (g_ptr_array_index (rows, 1), "See your name, picture and other basic profile details", "profile");
  assert_scope_row (g_ptr_array_index (rows, 2), "See your email address", "email");
  assert_scope_row (g_ptr_array_index (rows, 3), "Stay signed in when you are away", "offline_access");
  assert_scope_row (g_ptr_array_index (rows, 4), "calendar.read", "No description");
  for (guint i = 0; i < rows->len; i++)
    {
      g_assert_true (GTK_IS_CHECK_BUTTON (g_ptr_array_index (rows, i)));
      g_assert_true (gtk_check_button_get_active (g_ptr_array_index (rows, i)));
    }

  /* Focus starts on where to sign in, never on Allow or a scope. */
  g_assert_true (gtk_root_get_focus (GTK_ROOT (fixture->dialog)) == child (fixture, "as_host_label"));
  g_assert_false (gtk_widget_get_sensitive (open_button));
  wait_for_open_unlocked (fixture);
  g_assert_true (gtk_widget_has_css_class (open_button, "suggested-action"));
  save_screenshot (fixture, "authorize");

  /* The user narrows; Allow answers with what is left, in order. */
  gtk_check_button_set_active (g_ptr_array_index (rows, 1), FALSE);
  gtk_widget_activate (open_button);
  wait_until (fixture->answers->len > 0);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  assert_answer (fixture, 0, "open", left_ticked);
  g_assert_cmpint (mc_consent_dialog_get_state (fixture->dialog), ==, MC_CONSENT_DIALOG_STATE_OPENING);
  g_assert_nonnull (strstr (child_text (fixture, "opening_label"), "example.com"));

  /* The daemon opened the browser: the notice, with the same dictionary. */
  mc_consent_dialog_show_opened (fixture->dialog, prompt);
  g_assert_cmpint (mc_consent_dialog_get_state (fixture->dialog), ==, MC_CONSENT_DIALOG_STATE_OPENED);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->dialog)), ==, "Finish signing in in your browser");
  g_assert_cmpstr (child_text (fixture, "opened_heading_label"), ==, "Finish signing in in your browser");
  g_assert_cmpstr (child_text (fixture, "opened_label"), ==,
                   "Continue on example.com in your web browser to finish signing in to Example Server.");
  g_assert_false (child_visible (fixture, "remembered_box"));
  save_screenshot (fixture, "authorize-opened");

  gtk_widget_activate (GTK_WIDGET (child (fixture, "opened_close_button")));
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->notices_closed, ==, 1);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
}

static void
test_authorize_step_up (Fixture       *fixture,
                        gconstpointer  data)
{
  /* The daemon sends only the new scopes; a repeat, or one already held,
   * is not offered twice. */
  const char * const scopes[] = { "calendar.write", "files.read", "calendar.write", "openid", NULL };
  const char * const granted[] = { "openid", "email", "calendar.read", NULL };
  const char * const answered[] = { "calendar.write", NULL };
  AuthorizeSpec spec = { .scopes = scopes, .granted_scopes = granted };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) granted_rows = NULL;

  fixture_show_prompt (fixture, prompt);

  g_assert_cmpstr (child_text (fixture, "scopes_caption"), ==, "New permissions asked for");
  rows = scope_rows (fixture, "scopes_list");
  g_assert_cmpuint (rows->len, ==, 2);
  assert_scope_row (g_ptr_array_index (rows, 0), "calendar.write", "No description");
  assert_scope_row (g_ptr_array_index (rows, 1), "files.read", "No description");

  /* Already allowed: shown as such, not as something to decide. */
  g_assert_true (child_visible (fixture, "granted_box"));
  granted_rows = scope_rows (fixture, "granted_list");
  g_assert_cmpuint (granted_rows->len, ==, 3);
  for (guint i = 0; i < granted_rows->len; i++)
    g_assert_false (GTK_IS_CHECK_BUTTON (g_ptr_array_index (granted_rows, i)));
  assert_scope_row (g_ptr_array_index (granted_rows, 0), "Confirm who you are", "openid");
  assert_scope_row (g_ptr_array_index (granted_rows, 1), "See your email address", "email");
  assert_scope_row (g_ptr_array_index (granted_rows, 2), "calendar.read", "No description");

  wait_for_open_unlocked (fixture);
  save_screenshot (fixture, "authorize-step-up");

  gtk_check_button_set_active (g_ptr_array_index (rows, 1), FALSE);
  gtk_widget_activate (GTK_WIDGET (child (fixture, "open_button")));
  wait_until (fixture->answers->len > 0);
  assert_answer (fixture, 0, "open", answered);
}

static void
test_authorize_danger (Fixture       *fixture,
                       gconstpointer  data)
{
  /* "аpple.com", its first letter CYRILLIC SMALL LETTER A. */
  const char *endpoint = "https://login.\xd0\xb0pple.com/oauth2/authorize";
  const char * const scopes[] = { "openid", "email", "payments", NULL };
  AuthorizeSpec spec = {
    .endpoint = endpoint,
    .issuer = "https://login.\xd0\xb0pple.com",
    .scopes = scopes,
    .app_kind = "unverified",
  };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (endpoint, SERVER_URL);
  GtkWidget *open_button;
  GtkCheckButton *understand;

  g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, MC_URL_RISK_DANGER);
  fixture_show_prompt (fixture, prompt);
  open_button = GTK_WIDGET (child (fixture, "open_button"));
  understand = GTK_CHECK_BUTTON (child (fixture, "understand_check"));

  g_assert_cmpstr (child_text (fixture, "heading_label"), ==, "Sign in on a possibly dangerous website?");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->dialog)), ==, "Sign in to Example Server?");
  g_assert_cmpstr (child_text (fixture, "app_label"), ==, "Unverified program");
  g_assert_cmpstr (child_text (fixture, "app_path_label"), ==, "/home/user/.local/bin/agent-runner");
  /* Unverified programs share one identity, so one's grant is all's. */
  g_assert_true (child_visible (fixture, "app_shared_label"));
  g_assert_nonnull (strstr (child_text (fixture, "app_shared_label"), "share their sign-ins"));

  /* The host as written, its registrable domain in bold, the plain-letters
   * spelling as loud as the warnings, which are the verdict's. */
  g_assert_cmpstr (child_text (fixture, "as_host_label"), ==, "login.\xd0\xb0pple.com");
  assert_domain_emphasised (GTK_LABEL (child (fixture, "as_host_label")), "\xd0\xb0pple.com");
  g_assert_true (child_visible (fixture, "as_idn_label"));
  g_assert_nonnull (strstr (child_text (fixture, "as_idn_label"), mc_url_verdict_get_host_ascii (verdict)));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (child (fixture, "as_idn_label")), "danger"));
  g_assert_false (child_visible (fixture, "as_issuer_label"));
  assert_warnings_match_verdict (fixture, endpoint);
  gtk_test_accessible_assert_property (child (fixture, "warnings_box"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Warnings about this sign-in page");

  /* The extra step, as for a dangerous link. */
  g_assert_true (child_visible (fixture, "understand_check"));
  g_assert_cmpstr (gtk_check_button_get_label (understand), ==,
                   "I _understand the risk and want to sign in anyway");
  g_assert_true (gtk_widget_has_css_class (open_button, "destructive-action"));
  run_main_context_for (2 * mc_consent_dialog_get_unlock_delay (fixture->dialog));
  g_assert_false (gtk_widget_get_sensitive (open_button));
  save_screenshot (fixture, "authorize-danger");

  press_keys ("alt+u");
  wait_until (gtk_check_button_get_active (understand));
  wait_for_open_unlocked (fixture);
  press_keys ("alt+a");
  wait_until (fixture->answers->len > 0);
  assert_answer (fixture, 0, "open", scopes);
}

static void
test_authorize_no_scopes (Fixture       *fixture,
                          gconstpointer  data)
{
  const char * const none[] = { NULL };
  const char * const granted[] = { "openid", NULL };
  AuthorizeSpec spec = { .app_kind = "unknown" };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);

  /* Nothing asked for: said so, and Allow answers with no scope. */
  fixture_show_prompt (fixture, prompt);
  g_assert_cmpstr (child_text (fixture, "app_path_label"), ==,
                   "The broker runs in a sandbox and cannot see which program this is");
  /* A sentence, not a path: set as prose. */
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (child (fixture, "app_path_label")), "monospace"));
  g_assert_true (child_visible (fixture, "no_scopes_label"));
  g_assert_cmpstr (child_text (fixture, "no_scopes_label"), ==, "The server asked for no particular permission.");
  g_assert_false (child_visible (fixture, "scopes_frame"));
  g_assert_false (child_visible (fixture, "scopes_hint_label"));
  wait_for_open_unlocked (fixture);
  save_screenshot (fixture, "authorize-no-scopes");
  gtk_widget_activate (GTK_WIDGET (child (fixture, "open_button")));
  wait_until (fixture->answers->len > 0);
  assert_answer (fixture, 0, "open", none);
  gtk_window_destroy (GTK_WINDOW (fixture->dialog));
  fixture->destroyed = FALSE;

  /* A step-up with nothing new. */
  spec.granted_scopes = granted;
  g_clear_pointer (&prompt, g_variant_unref);
  prompt = build_authorize_prompt (&spec);
  fixture_show_prompt (fixture, prompt);
  g_assert_cmpstr (child_text (fixture, "no_scopes_label"), ==, "The server asked for no further permission.");
  g_assert_true (child_visible (fixture, "granted_box"));
}

static void
test_authorize_untick_all (Fixture       *fixture,
                           gconstpointer  data)
{
  const char * const scopes[] = { "openid", "calendar.read", NULL };
  const char * const answered[] = { "calendar.read", NULL };
  AuthorizeSpec spec = { .scopes = scopes };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);
  g_autoptr(GPtrArray) rows = NULL;
  GtkWidget *open_button;

  fixture_show_prompt (fixture, prompt);
  open_button = GTK_WIDGET (child (fixture, "open_button"));
  rows = scope_rows (fixture, "scopes_list");
  wait_for_open_unlocked (fixture);
  g_assert_cmpstr (child_text (fixture, "scopes_hint_label"), ==, "Untick what you do not want to allow.");

  /* No scope at all would get the server's defaults, not nothing. */
  gtk_check_button_set_active (g_ptr_array_index (rows, 0), FALSE);
  gtk_check_button_set_active (g_ptr_array_index (rows, 1), FALSE);
  g_assert_false (gtk_widget_get_sensitive (open_button));
  g_assert_cmpstr (child_text (fixture, "scopes_hint_label"), ==,
                   "Tick at least one permission to sign in, or decline.");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (child (fixture, "scopes_hint_label")), "dim-label"));
  save_screenshot (fixture, "authorize-none-ticked");
  gtk_widget_activate (open_button);
  g_assert_cmpuint (fixture->answers->len, ==, 0);

  gtk_check_button_set_active (g_ptr_array_index (rows, 1), TRUE);
  g_assert_true (gtk_widget_get_sensitive (open_button));
  gtk_widget_activate (open_button);
  wait_until (fixture->answers->len > 0);
  assert_answer (fixture, 0, "open", answered);
}

static void
test_authorize_keys (Fixture       *fixture,
                     gconstpointer  data)
{
  const char * const scopes[] = { "openid", "email", NULL };
  AuthorizeSpec spec = { .scopes = scopes };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);
  GtkWidget *open_button;

  /* Enter never allows, even on a focused, unlocked Allow; Escape dismisses. */
  fixture_show_prompt (fixture, prompt);
  open_button = GTK_WIDGET (child (fixture, "open_button"));
  wait_for_open_unlocked (fixture);
  press_keys ("Return KP_Enter");
  gtk_widget_grab_focus (open_button);
  g_assert_true (gtk_widget_has_focus (open_button));
  assert_keys_answer_nothing (fixture, "Return KP_Enter");
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  assert_answer (fixture, 0, "dismiss", NULL);

  /* Decline, by its mnemonic. */
  fixture->destroyed = FALSE;
  fixture_show_prompt (fixture, prompt);
  press_keys ("alt+d");
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->answers->len, ==, 2);
  assert_answer (fixture, 1, "decline", NULL);

  /* The window manager's close button. */
  fixture->destroyed = FALSE;
  fixture_show_prompt (fixture, prompt);
  gtk_window_close (GTK_WINDOW (fixture->dialog));
  wait_until (fixture->destroyed);
  assert_answer (fixture, 2, "dismiss", NULL);
}

static void
test_authorize_accessible (Fixture       *fixture,
                           gconstpointer  data)
{
  const char * const scopes[] = { "openid", "calendar.read", NULL };
  const char * const granted[] = { "email", NULL };
  AuthorizeSpec spec = { .scopes = scopes, .granted_scopes = granted };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);
  g_autoptr(GPtrArray) rows = NULL;

  fixture_show_prompt (fixture, prompt);
  rows = scope_rows (fixture, "scopes_list");

  gtk_test_accessible_assert_role (child (fixture, "scopes_list"), GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_test_accessible_assert_property (child (fixture, "scopes_list"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Permissions to allow");
  gtk_test_accessible_assert_role (child (fixture, "granted_list"), GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_test_accessible_assert_property (child (fixture, "granted_list"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Permissions already allowed");

  gtk_test_accessible_assert_role (g_ptr_array_index (rows, 0), GTK_ACCESSIBLE_ROLE_CHECKBOX);
  gtk_test_accessible_assert_property (g_ptr_array_index (rows, 0), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "openid: Confirm who you are");
  gtk_test_accessible_assert_state (g_ptr_array_index (rows, 0), GTK_ACCESSIBLE_STATE_CHECKED,
                                    GTK_ACCESSIBLE_TRISTATE_TRUE);
  gtk_test_accessible_assert_property (g_ptr_array_index (rows, 1), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "calendar.read: No description");

  gtk_test_accessible_assert_property (child (fixture, "open_button"), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Opens the sign-in page on example.com in your web browser, to sign in to Example Server");
  gtk_test_accessible_assert_property (child (fixture, "decline_button"), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Does not sign in to Example Server; the program that asked is told you declined");
  gtk_test_accessible_assert_property (child (fixture, "as_host_label"), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Where you will sign in; the site is example.com");
  gtk_test_accessible_assert_state (child (fixture, "open_button"), GTK_ACCESSIBLE_STATE_DISABLED, TRUE);
}

static void
test_authorize_issuer_elsewhere (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char * const scopes[] = { "openid", NULL };
  AuthorizeSpec spec = {
    .scopes = scopes,
    .issuer = "https://id.example.org/tenant/42",
    .endpoint = "https://login.example-sso.net/authorize",
  };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);

  /* Nearly always the same host; when not, the user sees both. */
  fixture_show_prompt (fixture, prompt);
  g_assert_cmpstr (child_text (fixture, "as_host_label"), ==, "login.example-sso.net");
  g_assert_true (child_visible (fixture, "as_issuer_label"));
  g_assert_cmpstr (child_text (fixture, "as_issuer_label"), ==, "Authorization server: id.example.org");
  /* And the sign-in page is on another site than the MCP server. */
  g_assert_nonnull (find_warning_label (fixture, mc_url_flag_describe ("other-domain")));
}

static void
test_authorize_many_scopes (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) scopes = NULL;
  g_autoptr(GVariant) prompt = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_strv_builder_add_many (builder, "openid", "profile", "email", "offline_access", NULL);
  g_strv_builder_add (builder, "https://www.googleapis.com/auth/calendar.events.readonly");
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *scope = g_strdup_printf ("workspace:%u:read", i);

      g_strv_builder_add (builder, scope);
    }
  scopes = g_strv_builder_end (builder);

  {
    AuthorizeSpec spec = { .scopes = (const char * const *) scopes };

    prompt = build_authorize_prompt (&spec);
  }
  fixture_show_prompt (fixture, prompt);

  /* Every scope is there, in a scroller, and the dialog stays a dialog. */
  rows = scope_rows (fixture, "scopes_list");
  g_assert_cmpuint (rows->len, ==, g_strv_length (scopes));
  g_assert_true (child_visible (fixture, "scopes_scroller"));
  g_assert_cmpstr (child_text (fixture, "scopes_caption"), ==, "15 permissions asked for");
  g_assert_true (gtk_widget_is_ancestor (GTK_WIDGET (child (fixture, "scopes_list")),
                                         GTK_WIDGET (child (fixture, "scopes_scroller"))));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->dialog)), <=, 600);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (fixture->dialog)), <=, 760);
  wait_for_open_unlocked (fixture);
  save_screenshot (fixture, "authorize-many-scopes");
}

static void
test_authorize_open_failed (Fixture       *fixture,
                            gconstpointer  data)
{
  const char * const scopes[] = { "openid", NULL };
  AuthorizeSpec spec = { .scopes = scopes };
  g_autoptr(GVariant) prompt = build_authorize_prompt (&spec);
  g_autofree char *copied = NULL;

  fixture_show_prompt (fixture, prompt);
  wait_for_open_unlocked (fixture);
  gtk_widget_activate (GTK_WIDGET (child (fixture, "open_button")));
  wait_until (fixture->answers->len > 0);

  /* The endpoint is what there is to copy: the request itself, with its
   * state and PKCE challenge, never reaches the dialog. */
  mc_consent_dialog_show_open_failed (fixture->dialog, "No application is registered for https links.");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->dialog)), ==, "No web browser could be opened");
  g_assert_cmpstr (child_text (fixture, "failed_url_caption"), ==, "The sign-in page is at this address:");
  g_assert_cmpstr (child_text (fixture, "failed_url_label"), ==, AUTHORIZATION_ENDPOINT);
  save_screenshot (fixture, "authorize-open-failed");

  gtk_widget_activate (GTK_WIDGET (child (fixture, "copy_button")));
  wait_until (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child (fixture, "copy_button"))), "Copied") == 0);
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (fixture->dialog)),
                                 NULL, clipboard_read_cb, &copied);
  wait_until (copied != NULL);
  g_assert_cmpstr (copied, ==, AUTHORIZATION_ENDPOINT);

  press_keys ("Escape");
  wait_until (fixture->destroyed);
  g_assert_cmpuint (fixture->notices_closed, ==, 1);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
}

/* @prompt with one more key, as a daemon applying a policy sends it. */
static GVariant *
prompt_with (GVariant   *prompt,
             const char *key,
             GVariant   *value)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (prompt);

  g_variant_dict_insert_value (&dict, key, value);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* The administrator's policy forbids "always allow": the choice is
 * missing, and the dialog says why, in a label screen readers read. */
static void
test_policy_no_always_allow (Fixture       *fixture,
                             gconstpointer  data)
{
  PromptSpec spec = { .url = "https://accounts.example.com/login", .message = "Sign in to connect your calendar." };
  g_autoptr(GVariant) plain = build_prompt (&spec);
  g_autoptr(GVariant) prompt = prompt_with (plain, "policy_no_always_allow", g_variant_new_boolean (TRUE));
  GtkWidget *policy_label = NULL;

  fixture_show_prompt (fixture, prompt);
  policy_label = GTK_WIDGET (child (fixture, "policy_label"));
  g_assert_false (child_visible (fixture, "remember_check"));
  g_assert_true (gtk_widget_get_visible (policy_label));
  g_assert_cmpstr (child_text (fixture, "policy_label"), ==,
                   "Your administrator’s policy does not allow “always allow”: you will be asked every time.");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (policy_label), GTK_ACCESSIBLE_ROLE_LABEL);
  wait_for_open_unlocked (fixture);
  save_screenshot (fixture, "policy-no-always-allow");
}

/* The policy removed scopes: the sign-in prompt names them, apart from the
 * scopes the user may untick. */
static void
test_authorize_policy_scopes (Fixture       *fixture,
                              gconstpointer  data)
{
  const char * const scopes[] = { "files:read", "files:write", NULL };
  const char * const removed[] = { "admin", "billing\xe2\x80\xae" "evil", NULL };
  AuthorizeSpec spec = { .scopes = scopes };
  g_autoptr(GVariant) plain = build_authorize_prompt (&spec);
  g_autoptr(GVariant) prompt = prompt_with (plain, "policy_removed_scopes", g_variant_new_strv (removed, -1));
  g_autoptr(GPtrArray) rows = NULL;

  fixture_show_prompt (fixture, prompt);
  rows = scope_rows (fixture, "scopes_list");
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_true (child_visible (fixture, "policy_label"));
  /* The server's text is shown without its invisible characters. */
  g_assert_cmpstr (child_text (fixture, "policy_label"), ==,
                   "Your administrator’s policy never allows these permissions, so they are not asked for: "
                   "admin, billingevil");
  wait_for_open_unlocked (fixture);
  save_screenshot (fixture, "authorize-policy");
}

#define add_dialog_test(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  GTestDBus *bus = mc_test_gtk_init (&argc, &argv);
  int status;

  add_dialog_test ("/consent-dialog/ok", test_ok);
  add_dialog_test ("/consent-dialog/caution-idn", test_caution_idn);
  add_dialog_test ("/consent-dialog/caution-other-domain", test_caution_other_domain);
  add_dialog_test ("/consent-dialog/danger-mixed-script", test_danger_mixed_script);
  add_dialog_test ("/consent-dialog/danger-ip", test_danger_ip);
  add_dialog_test ("/consent-dialog/danger-needs-extra-step", test_danger_needs_extra_step);
  add_dialog_test ("/consent-dialog/daemon-verdict-adds-care", test_daemon_verdict_adds_care);
  add_dialog_test ("/consent-dialog/escape-dismisses", test_escape_dismisses);
  add_dialog_test ("/consent-dialog/close-dismisses", test_close_dismisses);
  add_dialog_test ("/consent-dialog/decline", test_decline);
  add_dialog_test ("/consent-dialog/enter-does-not-open", test_enter_does_not_open);
  add_dialog_test ("/consent-dialog/tab-and-space-open", test_space_and_tab_open);
  add_dialog_test ("/consent-dialog/unlock-delay", test_unlock_delay);
  add_dialog_test ("/consent-dialog/remember", test_remember);
  add_dialog_test ("/consent-dialog/remember-only-when-offered", test_remember_only_when_offered);
  add_dialog_test ("/consent-dialog/queued", test_queued);
  add_dialog_test ("/consent-dialog/message-is-plain-text", test_message_is_plain_text);
  add_dialog_test ("/consent-dialog/long-url", test_long_url);
  add_dialog_test ("/consent-dialog/accessible", test_accessible);
  add_dialog_test ("/consent-dialog/unverified", test_unverified);
  add_dialog_test ("/consent-dialog/unknown-caller", test_unknown_caller);
  add_dialog_test ("/consent-dialog/opened-notice", test_opened_notice);
  add_dialog_test ("/consent-dialog/opened-without-prompt", test_opened_without_prompt);
  add_dialog_test ("/consent-dialog/open-failed-notice", test_open_failed_notice);
  add_dialog_test ("/consent-dialog/withdraw-is-silent", test_withdraw_is_silent);
  add_dialog_test ("/consent-dialog/authorize", test_authorize);
  add_dialog_test ("/consent-dialog/authorize/step-up", test_authorize_step_up);
  add_dialog_test ("/consent-dialog/authorize/danger", test_authorize_danger);
  add_dialog_test ("/consent-dialog/authorize/no-scopes", test_authorize_no_scopes);
  add_dialog_test ("/consent-dialog/authorize/untick-all", test_authorize_untick_all);
  add_dialog_test ("/consent-dialog/authorize/keys", test_authorize_keys);
  add_dialog_test ("/consent-dialog/authorize/accessible", test_authorize_accessible);
  add_dialog_test ("/consent-dialog/authorize/issuer-elsewhere", test_authorize_issuer_elsewhere);
  add_dialog_test ("/consent-dialog/policy-no-always-allow", test_policy_no_always_allow);
  add_dialog_test ("/consent-dialog/authorize/policy-scopes", test_authorize_policy_scopes);
  add_dialog_test ("/consent-dialog/authorize/many-scopes", test_authorize_many_scopes);
  add_dialog_test ("/consent-dialog/authorize/open-failed", test_authorize_open_failed);

  status = g_test_run ();
  mc_test_gtk_shutdown (bus);

  return status;
}
