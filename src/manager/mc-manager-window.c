/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <gio/gdesktopappinfo.h>
#include <glib/gi18n.h>

#include "mc-dbus.h"
#include "mc-error.h"
#include "mc-manager-resources.h"
#include "mc-manager-row.h"
#include "mc-manager-window-private.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"

/* The manager window: what the broker keeps for the user (sign-ins,
 * "always allow" decisions) and what waits for them, read over D-Bus like
 * any client reads it.  The window keeps no state of its own: every list
 * is the daemon's answer, asked again when the window is shown, focused,
 * after each change it makes, and every few seconds while focused. */

struct _McManagerWindow
{
  GtkApplicationWindow  parent_instance;

  GDBusConnection      *connection;
  McDbusBroker1        *broker;
  GCancellable         *cancellable;
  /* The answers shown, to rebuild a list only when it changed: a rebuild
   * would move the keyboard focus under the user's fingers. */
  GVariant             *shown_grants;
  GVariant             *shown_remembered;
  GVariant             *shown_pending;
  GVariant             *shown_activity;
  guint                 poll_id;
  gboolean              connecting;

  GtkStack             *main_stack;
  GtkStack             *pages;
  GtkListBox           *grants_list;
  GtkListBox           *remembered_list;
  GtkListBox           *pending_list;
  GtkListBox           *activity_list;
  GtkImage             *chain_icon;
  GtkLabel             *chain_label;
  GtkDropDown          *kind_filter;
  GtkSearchEntry       *text_filter;
  GtkRevealer          *status_revealer;
  GtkLabel             *status_label;
  GtkLabel             *unreachable_label;
};

G_DEFINE_FINAL_TYPE (McManagerWindow, mc_manager_window, GTK_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void refresh (McManagerWindow *self);

/* Formatting {{{1 */

static char *
format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = NULL;

  if (unix_seconds <= 0)
    return g_strdup (_("never"));

  time = g_date_time_new_from_unix_local (unix_seconds);
  if (time == NULL)
    return g_strdup (_("unknown"));
  /* Translators: a date and time in the manager's lists; see
   * g_date_time_format() for the codes. */
  return g_date_time_format (time, _("%-d %b %Y, %H:%M"));
}

/* The name a person knows the app by: its desktop file's, else its id. */
static char *
app_display_name (const char *app_id,
                  const char *fallback_name)
{
  g_autofree char *desktop_id = NULL;
  g_autoptr(GDesktopAppInfo) info = NULL;

  if (app_id == NULL || app_id[0] == '\0')
    {
      if (fallback_name != NULL && fallback_name[0] != '\0')
        return g_strdup (fallback_name);
      return g_strdup (_("programs on this computer (not sandboxed)"));
    }

  desktop_id = g_strconcat (app_id, ".desktop", NULL);
  info = g_desktop_app_info_new (desktop_id);
  if (info != NULL)
    return g_strdup_printf ("%s (%s)", g_app_info_get_display_name (G_APP_INFO (info)), app_id);
  if (fallback_name != NULL && fallback_name[0] != '\0' && !g_str_equal (fallback_name, app_id))
    return g_strdup_printf ("%s (%s)", fallback_name, app_id);
  return g_strdup (app_id);
}

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (dict, key, "&s", &value))
    return NULL;
  return value;
}

static gint64
lookup_time (GVariant   *dict,
             const char *key)
{
  gint64 value = 0;

  g_variant_lookup (dict, key, "x", &value);
  return value;
}

/* Status and errors {{{1 */

static void
show_status (McManagerWindow *self,
             const char      *message)
{
  gtk_label_set_text (self->status_label, message);
  /* The label has the "status" role, so screen readers say the new text
   * while the user's focus stays where it was. */
  gtk_revealer_set_reveal_child (self->status_revealer, TRUE);
}

/* Errors of the bus itself (no broker, no bus, no answer) as opposed to
 * the broker's own answers, which are io.github.mcp_consent.Error.*, and
 * to a broker too old for a method (UnknownMethod), which only that page
 * has to say. */
static gboolean
is_unreachable (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    return error->code != G_IO_ERROR_DBUS_ERROR;
  if (error->domain != G_DBUS_ERROR)
    return FALSE;

  switch (error->code)
    {
    case G_DBUS_ERROR_UNKNOWN_METHOD:
    case G_DBUS_ERROR_UNKNOWN_INTERFACE:
    case G_DBUS_ERROR_UNKNOWN_OBJECT:
    case G_DBUS_ERROR_INVALID_ARGS:
    case G_DBUS_ERROR_ACCESS_DENIED:
    case G_DBUS_ERROR_NOT_SUPPORTED:
    case G_DBUS_ERROR_LIMITS_EXCEEDED:
      return FALSE;
    default:
      return TRUE;
    }
}

/* The message without GDBus's "GDBus.Error:NAME: " prefix. */
static char *
dup_error_message (const GError *error)
{
  g_autoptr(GError) copy = g_error_copy (error);

  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}

static void
show_unreachable (McManagerWindow *self,
                  const GError    *error)
{
  g_autofree char *message = dup_error_message (error);

  gtk_label_set_text (self->unreachable_label, message);
  gtk_stack_set_visible_child_name (self->main_stack, "unreachable");
}

/* Returns TRUE if @error was shown (or is a cancellation) and the caller
 * should stop. */
static gboolean
handle_error (McManagerWindow *self,
              const GError    *error,
              const char      *what)
{
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;

  if (error == NULL)
    return FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return TRUE;

  if (is_unreachable (error))
    {
      show_unreachable (self, error);
      return TRUE;
    }

  message = dup_error_message (error);
  /* Translators: the first %s is what failed ("Could not revoke the
   * sign-in"), the second the broker's reason. */
  text = g_strdup_printf (_("%s: %s"), what, message);
  show_status (self, text);
  return TRUE;
}

/* Lists {{{1 */

typedef void (*RowAction) (McManagerWindow *self,
                           McManagerRow    *row);

/* Puts the keyboard focus back where it was after a list is rebuilt:
 * the row with the same id, else the one at the same place. */
typedef struct
{
  gboolean  had_focus;
  char     *item_id;
  int       index;
} FocusMemory;

static void
remember_focus (McManagerWindow *self,
                GtkListBox      *list,
                FocusMemory     *memory)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  GtkWidget *row = NULL;

  memory->had_focus = focus != NULL && (focus == GTK_WIDGET (list) || gtk_widget_is_ancestor (focus, GTK_WIDGET (list)));
  memory->item_id = NULL;
  memory->index = 0;
  if (!memory->had_focus)
    return;

  row = MC_IS_MANAGER_ROW (focus) ? focus : gtk_widget_get_ancestor (focus, MC_TYPE_MANAGER_ROW);
  if (row != NULL)
    {
      memory->item_id = g_strdup (mc_manager_row_get_item_id (MC_MANAGER_ROW (row)));
      memory->index = gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row));
    }
}

static void
restore_focus (GtkListBox  *list,
               FocusMemory *memory)
{
  GtkListBoxRow *row = NULL;
  GtkListBoxRow *same_place = NULL;

  if (!memory->had_focus)
    return;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (list, i)) != NULL; i++)
    {
      if (memory->item_id != NULL && g_str_equal (mc_manager_row_get_item_id (MC_MANAGER_ROW (row)), memory->item_id))
        break;
      if (i <= memory->index)
        same_place = row;
    }
  if (row == NULL)
    row = same_place;

  if (row != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (list));
  g_clear_pointer (&memory->item_id, g_free);
}

static void
clear_list (GtkListBox *list)
{
  GtkListBoxRow *row = NULL;

  while ((row = gtk_list_box_get_row_at_index (list, 0)) != NULL)
    gtk_list_box_remove (list, GTK_WIDGET (row));
}

/* Returns FALSE if @entries is what the list already shows. */
static gboolean
begin_update (McManagerWindow  *self,
              GtkListBox       *list,
              GVariant        **shown,
              GVariant         *entries,
              FocusMemory      *memory)
{
  if (*shown != NULL && g_variant_equal (*shown, entries))
    return FALSE;

  g_clear_pointer (shown, g_variant_unref);
  *shown = g_variant_ref (entries);
  remember_focus (self, list, memory);
  clear_list (list);
  return TRUE;
}

static void
add_row (McManagerWindow *self,
         GtkListBox      *list,
         McManagerRow    *row,
         RowAction        action)
{
  if (action != NULL)
    g_signal_connect_object (row, "action-requested", G_CALLBACK (action), self, G_CONNECT_SWAPPED);
  gtk_list_box_append (list, GTK_WIDGET (row));
}

/* Confirmation {{{1 */

typedef void (*ConfirmedFunc) (McManagerWindow *self,
                               const char      *item_id);

typedef struct
{
  McManagerWindow *self;
  char            *item_id;
  ConfirmedFunc    confirmed;
} ConfirmData;

static void
confirm_data_free (ConfirmData *data)
{
  g_object_unref (data->self);
  g_free (data->item_id);
  g_free (data);
}

static void
on_confirm_response (GtkDialog   *dialog,
                     int          response,
                     ConfirmData *data)
{
  if (response == GTK_RESPONSE_ACCEPT)
    data->confirmed (data->self, data->item_id);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Asks before a change that cannot be undone from here.  Cancel is the
 * default: Enter alone never revokes or forgets anything. */
static void
confirm (McManagerWindow *self,
         const char      *item_id,
         const char      *title,
         const char      *question,
         const char      *explanation,
         const char      *action_label,
         ConfirmedFunc    confirmed)
{
  GtkWidget *dialog = NULL;
  GtkWidget *button = NULL;
  ConfirmData *data = g_new0 (ConfirmData, 1);

  data->self = g_object_ref (self);
  data->item_id = g_strdup (item_id);
  data->confirmed = confirmed;

  dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   "%s", question);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", explanation);
  gtk_window_set_title (GTK_WINDOW (dialog), title);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), action_label, GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (button, "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);

  g_signal_connect_data (dialog, "response", G_CALLBACK (on_confirm_response), data,
                         (GClosureNotify)(void (*) (void))confirm_data_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Sign-ins {{{1 */

static void
on_grant_revoked (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  McManagerWindow *self = user_data;
  g_autoptr(GVariant) outcome = NULL;
  g_autoptr(GError) error = NULL;
  gboolean at_server = FALSE;

  if (!mc_dbus_broker1_call_revoke_grant_finish (MC_DBUS_BROKER1 (source_object), &outcome, result, &error))
    {
      handle_error (self, error, _("Could not revoke the sign-in"));
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        refresh (self);
      return;
    }

  g_variant_lookup (outcome, "revoked_at_server", "b", &at_server);
  show_status (self, at_server ? _("Signed out. The tokens were deleted, and the server revoked them too.")
                               : _("Signed out. The tokens were deleted; the server was not told (it offers no way to, or could not be reached)."));
  refresh (self);
}

static void
revoke_confirmed (McManagerWindow *self,
                  const char      *grant_id)
{
  mc_dbus_broker1_call_revoke_grant (self->broker, grant_id, self->cancellable, on_grant_revoked, self);
}

static void
on_revoke_requested (McManagerWindow *self,
                     McManagerRow    *row)
{
  g_autofree char *question = g_strdup_printf (_("Sign out of %s?"), mc_manager_row_get_title (row));

  confirm (self, mc_manager_row_get_item_id (row), _("Revoke Sign-in"), question,
           _("The app will no longer get tokens for this server until it signs in again. The tokens are deleted "
             "from the keyring and revoked at the server where it allows."),
           _("_Revoke"), revoke_confirmed);
}

static void
show_grants (McManagerWindow *self,
             GVariant        *grants)
{
  FocusMemory focus = { 0 };
  GVariantIter iter;
  GVariant *grant = NULL;

  if (!begin_update (self, self->grants_list, &self->shown_grants, grants, &focus))
    return;

  g_variant_iter_init (&iter, grants);
  /* iter_loop frees each entry; the loop only ever continues. */
  while (g_variant_iter_loop (&iter, "@a{sv}", &grant))
    {
      g_autofree const char **scopes = NULL;
      g_autofree char *app = app_display_name (lookup_string (grant, "app_id"), NULL);
      g_autofree char *created = format_time (lookup_time (grant, "created"));
      g_autofree char *used = format_time (lookup_time (grant, "last_used"));
      g_autofree char *app_line = NULL;
      g_autofree char *scope_line = NULL;
      g_autofree char *when_line = NULL;
      g_autofree char *accessible = NULL;
      const char *id = lookup_string (grant, "id");
      const char *resource = lookup_string (grant, "resource");
      const char *issuer = lookup_string (grant, "issuer");
      gint64 expires_at = lookup_time (grant, "expires_at");
      gboolean needs_sign_in = FALSE;
      McManagerRow *row = NULL;

      if (id == NULL || resource == NULL)
        continue;

      row = mc_manager_row_new (id, resource);
      app_line = g_strdup_printf (_("App: %s"), app);
      mc_manager_row_add_detail (row, app_line);

      if (g_variant_lookup (grant, "scopes", "^a&s", &scopes) && scopes[0] != NULL)
        {
          g_autofree char *joined = g_strjoinv (", ", (char **)scopes);

          scope_line = g_strdup_printf (_("Scopes: %s"), joined);
        }
      else
        {
          scope_line = g_strdup (_("Scopes: none named"));
        }
      mc_manager_row_add_detail (row, scope_line);

      /* Translators: when a sign-in was made and last used. */
      when_line = g_strdup_printf (_("Signed in %s · last used %s"), created, used);
      mc_manager_row_add_detail (row, when_line);

      g_variant_lookup (grant, "needs_sign_in", "b", &needs_sign_in);
      if (needs_sign_in)
        {
          mc_manager_row_add_detail (row, _("The server no longer accepts it: the app must sign in again"));
        }
      else if (expires_at > 0)
        {
          g_autofree char *expires = format_time (expires_at);
          g_autofree char *expires_line = g_strdup_printf (_("Access token expires %s (renewed when needed)"), expires);

          mc_manager_row_add_detail (row, expires_line);
        }

      if (issuer != NULL)
        {
          g_autofree char *issuer_line = g_strdup_printf (_("Authorization server: %s"), issuer);

          mc_manager_row_add_detail (row, issuer_line);
        }

      accessible = g_strdup_printf (_("Revoke the sign-in to %s"), resource);
      mc_manager_row_set_action (row, _("_Revoke…"), accessible);
      add_row (self, self->grants_list, row, on_revoke_requested);
    }

  restore_focus (self->grants_list, &focus);
}

static void
on_grants_listed (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  McManagerWindow *self = user_data;
  g_autoptr(GVariant) grants = NULL;
  g_autoptr(GError) error = NULL;

  if (!mc_dbus_broker1_call_list_grants_finish (MC_DBUS_BROKER1 (source_object), &grants, result, &error))
    {
      handle_error (self, error, _("Could not list the sign-ins"));
      return;
    }

  if (g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "loading") ||
      g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "unreachable"))
    gtk_stack_set_visible_child_name (self->main_stack, "content");
  show_grants (self, grants);
}

/* Always allowed {{{1 */

static void
on_remembered_forgotten (GObject      *source_object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  McManagerWindow *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mc_dbus_broker1_call_forget_remembered_finish (MC_DBUS_BROKER1 (source_object), result, &error))
    {
      handle_error (self, error, _("Could not forget the choice"));
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        refresh (self);
      return;
    }

  show_status (self, _("Forgotten. You will be asked again before such a link opens."));
  refresh (self);
}

static void
forget_confirmed (McManagerWindow *self,
                  const char      *remembered_id)
{
  mc_dbus_broker1_call_forget_remembered (self->broker, remembered_id, self->cancellable,
                                          on_remembered_forgotten, self);
}

static void
on_forget_requested (McManagerWindow *self,
                     McManagerRow    *row)
{
  g_autofree char *question = g_strdup_printf (_("Forget “%s”?"), mc_manager_row_get_title (row));

  confirm (self, mc_manager_row_get_item_id (row), _("Forget Choice"), question,
           _("Links of this kind will no longer open without asking you first."),
           _("_Forget"), forget_confirmed);
}

static void
show_remembered (McManagerWindow *self,
                 GVariant        *entries)
{
  FocusMemory focus = { 0 };
  GVariantIter iter;
  GVariant *entry = NULL;

  if (!begin_update (self, self->remembered_list, &self->shown_remembered, entries, &focus))
    return;

  g_variant_iter_init (&iter, entries);
  /* iter_loop frees each entry; the loop only ever continues. */
  while (g_variant_iter_loop (&iter, "@a{sv}", &entry))
    {
      const char *id = lookup_string (entry, "id");
      const char *domain = lookup_string (entry, "domain");
      const char *server_name = lookup_string (entry, "server_name");
      const char *server_url = lookup_string (entry, "server_url");
      g_autofree char *app = app_display_name (lookup_string (entry, "app_id"), NULL);
      g_autofree char *since = format_time (lookup_time (entry, "created"));
      g_autofree char *title = NULL;
      g_autofree char *app_line = NULL;
      g_autofree char *since_line = NULL;
      g_autofree char *accessible = NULL;
      McManagerRow *row = NULL;

      if (id == NULL || domain == NULL || server_name == NULL)
        continue;

      /* Translators: "Open links to example.com for Example Files". */
      title = g_strdup_printf (_("Open links to %s for %s"), domain, server_name);
      row = mc_manager_row_new (id, title);
      app_line = g_strdup_printf (_("App: %s"), app);
      mc_manager_row_add_detail (row, app_line);
      if (server_url != NULL && server_url[0] != '\0')
        {
          g_autofree char *server_line = g_strdup_printf (_("Server: %s"), server_url);

          mc_manager_row_add_detail (row, server_line);
        }
      since_line = g_strdup_printf (_("Allowed %s"), since);
      mc_manager_row_add_detail (row, since_line);

      accessible = g_strdup_printf (_("Forget: %s"), title);
      mc_manager_row_set_action (row, _("_Forget…"), accessible);
      add_row (self, self->remembered_list, row, on_forget_requested);
    }

  restore_focus (self->remembered_list, &focus);
}

static void
on_remembered_listed (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  McManagerWindow *self = user_data;
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(GError) error = NULL;

  if (!mc_dbus_broker1_call_list_remembered_finish (MC_DBUS_BROKER1 (source_object), &entries, result, &error))
    {
      handle_error (self, error, _("Could not list what is always allowed"));
      return;
    }
  show_remembered (self, entries);
}

/* Waiting {{{1 */

static const char *
pending_state_text (const char *state)
{
  if (g_strcmp0 (state, "discovering") == 0)
    return _("Finding the server’s sign-in page");
  if (g_strcmp0 (state, "queued") == 0)
    return _("Waiting for its turn");
  if (g_strcmp0 (state, "showing") == 0)
    return _("On screen now");
  if (g_strcmp0 (state, "opening") == 0)
    return _("Opening the browser");
  return _("Waiting for you to finish in the browser");
}

static void
show_pending (McManagerWindow *self,
              GVariant        *prompts)
{
  FocusMemory focus = { 0 };
  GVariantIter iter;
  GVariant *prompt = NULL;

  if (!begin_update (self, self->pending_list, &self->shown_pending, prompts, &focus))
    return;

  g_variant_iter_init (&iter, prompts);
  /* iter_loop frees each entry; the loop only ever continues. */
  while (g_variant_iter_loop (&iter, "@a{sv}", &prompt))
    {
      const char *id = lookup_string (prompt, "id");
      const char *kind = lookup_string (prompt, "kind");
      const char *server = lookup_string (prompt, "server_name");
      const char *host = lookup_string (prompt, "host");
      g_autofree char *app = app_display_name (lookup_string (prompt, "app_id"), lookup_string (prompt, "app_name"));
      g_autofree char *since = format_time (lookup_time (prompt, "created"));
      g_autofree char *title = NULL;
      g_autofree char *who_line = NULL;
      g_autofree char *state_line = NULL;
      McManagerRow *row = NULL;

      if (id == NULL || server == NULL)
        continue;

      if (g_strcmp0 (kind, "sign-in") == 0)
        title = g_strdup_printf (_("Sign in to %s"), server);
      else if (host != NULL)
        /* Translators: "Open a link to accounts.example.com for Example Files". */
        title = g_strdup_printf (_("Open a link to %s for %s"), host, server);
      else
        title = g_strdup_printf (_("Open a link for %s"), server);

      row = mc_manager_row_new (id, title);
      who_line = g_strdup_printf (_("Asked by %s"), app);
      mc_manager_row_add_detail (row, who_line);
      /* Translators: the prompt's state, then when it was asked. */
      state_line = g_strdup_printf (_("%s · since %s"), pending_state_text (lookup_string (prompt, "state")), since);
      mc_manager_row_add_detail (row, state_line);
      add_row (self, self->pending_list, row, NULL);
    }

  restore_focus (self->pending_list, &focus);
}

static void
on_pending_listed (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  McManagerWindow *self = user_data;
  g_autoptr(GVariant) prompts = NULL;
  g_autoptr(GError) error = NULL;

  if (!mc_dbus_broker1_call_list_pending_finish (MC_DBUS_BROKER1 (source_object), &prompts, result, &error))
    {
      handle_error (self, error, _("Could not list what is waiting"));
      return;
    }
  show_pending (self, prompts);
}

/* Activity {{{1 */

/* What ListAuditEvents is asked for: the newest records, and a kind
 * filter per entry of the "Show" menu (the order of its items). */
#define ACTIVITY_LIMIT 200

static const char * const kinds_questions[] = {
  "prompt-shown", "user-decision", "prompt-ended", "browser-opened", NULL
};
static const char * const kinds_sign_ins[] = {
  "authorization", "token-issued", "token-refreshed", "token-refused", "token-revoked", NULL
};
static const char * const kinds_served[] = { "token-served", NULL };
static const char * const kinds_refused[] = {
  "token-refused", "policy-blocked", "listener-rejected", "log-repaired", NULL
};
static const char * const * const kind_filters[] = {
  NULL, kinds_questions, kinds_sign_ins, kinds_served, kinds_refused,
};

static gboolean
lookup_bool (GVariant   *dict,
             const char *key)
{
  gboolean value = FALSE;

  g_variant_lookup (dict, key, "b", &value);
  return value;
}

static const char *
or_unknown (const char *text)
{
  return text != NULL ? text : "?";
}

static const char *
outcome_text (const char *outcome)
{
  if (g_strcmp0 (outcome, "accept") == 0)
    return _("opened");
  if (g_strcmp0 (outcome, "decline") == 0 || g_strcmp0 (outcome, "declined") == 0)
    return _("declined");
  if (g_strcmp0 (outcome, "dismissed") == 0)
    return _("closed without an answer");
  if (g_strcmp0 (outcome, "timeout") == 0)
    return _("no answer in time");
  if (g_strcmp0 (outcome, "withdrawn") == 0)
    return _("withdrawn by the app");
  if (g_strcmp0 (outcome, "completed") == 0)
    return _("finished in the browser");
  if (g_strcmp0 (outcome, "broker-exit") == 0)
    return _("the service stopped");
  return or_unknown (outcome);
}

/* Who a record names: an app by its name, the host's programs as such
 * (the log's "host"), anything else as the log has it. */
static char *
event_app_name (const char *app_id,
                const char *identity)
{
  if (app_id != NULL && app_id[0] != '\0')
    return app_display_name (app_id, NULL);
  if (g_strcmp0 (identity, "host") == 0)
    return app_display_name (NULL, NULL);
  return app_display_name (NULL, identity);
}

static const char *
decision_text (const char *decision)
{
  if (g_strcmp0 (decision, "open") == 0)
    return _("You chose Open");
  if (g_strcmp0 (decision, "open-always") == 0)
    return _("You chose Open and Always allow");
  if (g_strcmp0 (decision, "allow") == 0)
    return _("You allowed the sign-in");
  if (g_strcmp0 (decision, "decline") == 0)
    return _("You declined");
  if (g_strcmp0 (decision, "dismiss") == 0)
    return _("You closed the question");
  return NULL;
}

/* One sentence per record, in the user's words; the record's own fields
 * (never a secret: the log holds none) for the details. */
static char *
describe_event (GVariant *event)
{
  const char *kind = lookup_string (event, "kind");
  const char *server = lookup_string (event, "server");
  const char *resource = lookup_string (event, "resource");
  const char *host = lookup_string (event, "host");
  const char *url = lookup_string (event, "url");
  const char *what = resource != NULL ? resource : server != NULL ? server : "";

  if (g_strcmp0 (kind, "prompt-shown") == 0)
    {
      if (g_strcmp0 (lookup_string (event, "type"), "authorize") == 0)
        return g_strdup_printf (_("Asked you about signing in to %s"), what);
      return g_strdup_printf (_("Asked you about opening %s for %s"), or_unknown (host != NULL ? host : url),
                              or_unknown (server));
    }
  if (g_strcmp0 (kind, "user-decision") == 0)
    {
      const char *text = decision_text (lookup_string (event, "decision"));

      return g_strdup (text != NULL ? text : _("You answered"));
    }
  if (g_strcmp0 (kind, "prompt-ended") == 0)
    return g_strdup_printf (_("A request ended: %s"), outcome_text (lookup_string (event, "outcome")));
  if (g_strcmp0 (kind, "browser-opened") == 0)
    {
      if (lookup_bool (event, "always_allowed"))
        return g_strdup_printf (_("Opened %s in the browser without asking (always allowed)"), or_unknown (url != NULL ? url : host));
      return g_strdup_printf (_("Opened %s in the browser"), or_unknown (url != NULL ? url : host));
    }
  if (g_strcmp0 (kind, "authorization") == 0)
    {
      if (g_strcmp0 (lookup_string (event, "result"), "granted") == 0)
        return g_strdup_printf (_("Signed in to %s"), what);
      return g_strdup_printf (_("Sign-in to %s failed"), what);
    }
  if (g_strcmp0 (kind, "token-issued") == 0)
    return g_strdup_printf (_("Tokens for %s stored in the keyring"), what);
  if (g_strcmp0 (kind, "token-refreshed") == 0)
    return g_strdup_printf (_("Access to %s renewed"), what);
  if (g_strcmp0 (kind, "token-refused") == 0)
    return g_strdup_printf (_("Refused tokens for %s: they allowed more than you did"), what);
  if (g_strcmp0 (kind, "token-revoked") == 0)
    return g_strdup_printf (_("Signed out of %s"), what);
  if (g_strcmp0 (kind, "token-served") == 0)
    return g_strdup_printf (_("Access to %s handed to the app"), what);
  if (g_strcmp0 (kind, "policy-blocked") == 0)
    return g_strdup_printf (_("Blocked by the administrator’s policy: %s"), url != NULL ? url : what);
  if (g_strcmp0 (kind, "listener-rejected") == 0)
    return g_strdup_printf (_("Refused a request to the sign-in listener: %s"), or_unknown (lookup_string (event, "reason")));
  if (g_strcmp0 (kind, "log-repaired") == 0)
    return g_strdup (_("The audit log was repaired after an unfinished write"));
  return g_strdup (kind != NULL ? kind : "?");
}

static gboolean
filter_activity_row (GtkListBoxRow *row,
                     gpointer       user_data)
{
  McManagerWindow *self = user_data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->text_filter));
  g_autofree char *needle = NULL;
  g_autofree char *haystack = NULL;

  if (text == NULL || text[0] == '\0')
    return TRUE;

  needle = g_utf8_casefold (text, -1);
  haystack = g_utf8_casefold (g_object_get_data (G_OBJECT (row), "mc-search-text"), -1);
  return strstr (haystack, needle) != NULL;
}

static void
on_text_filter_changed (McManagerWindow *self)
{
  gtk_list_box_invalidate_filter (self->activity_list);
}

static void
show_chain (McManagerWindow *self,
            GVariant        *chain)
{
  g_autofree char *text = NULL;
  guint64 records = 0;
  const char *problem = NULL;
  gboolean intact = FALSE;

  g_variant_lookup (chain, "records", "t", &records);
  g_variant_lookup (chain, "intact", "b", &intact);
  problem = lookup_string (chain, "problem");

  if (intact)
    {
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "The audit log is intact: its %" G_GUINT64_FORMAT " record is chained, none edited or removed.",
                                           "The audit log is intact: all %" G_GUINT64_FORMAT " records are chained, none edited or removed.",
                                           records),
                              records);
      gtk_image_set_from_icon_name (self->chain_icon, "emblem-ok-symbolic");
      gtk_widget_remove_css_class (GTK_WIDGET (self->chain_label), "error");
    }
  else
    {
      text = g_strdup_printf (_("The audit log has been changed since it was written: %s"),
                              problem != NULL ? problem : _("the chain is broken"));
      gtk_image_set_from_icon_name (self->chain_icon, "dialog-warning-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->chain_label), "error");
    }
  gtk_label_set_text (self->chain_label, text);
}

static void
show_activity (McManagerWindow *self,
               GVariant        *events)
{
  FocusMemory focus = { 0 };
  gsize n;

  if (!begin_update (self, self->activity_list, &self->shown_activity, events, &focus))
    return;

  /* Newest first. */
  n = g_variant_n_children (events);
  for (gsize i = n; i > 0; i--)
    {
      g_autoptr(GVariant) event = g_variant_get_child_value (events, i - 1);
      g_autofree char *title = describe_event (event);
      g_autofree char *when = NULL;
      g_autofree char *app = NULL;
      g_autofree char *when_line = NULL;
      g_autofree char *id = NULL;
      g_autoptr(GString) search = g_string_new (title);
      const char *app_id = lookup_string (event, "app_id");
      const char *app_key = lookup_string (event, "app");
      const char *message = lookup_string (event, "message");
      const char *by = lookup_string (event, "by");
      g_autoptr(GDateTime) time = NULL;
      McManagerRow *row = NULL;
      guint64 seq = 0;

      g_variant_lookup (event, "seq", "t", &seq);
      id = g_strdup_printf ("%" G_GUINT64_FORMAT, seq);
      time = g_date_time_new_from_unix_local (lookup_time (event, "time") / G_USEC_PER_SEC);
      when = time != NULL ? g_date_time_format (time, _("%-d %b %Y, %H:%M:%S")) : g_strdup (_("unknown"));

      row = mc_manager_row_new (id, title);
      if (app_id != NULL || app_key != NULL)
        {
          app = event_app_name (app_id, app_key);
          /* Translators: when, then which app. */
          when_line = g_strdup_printf (_("%s · %s"), when, app);
          g_string_append_printf (search, " %s", app);
        }
      else
        {
          when_line = g_strdup (when);
        }
      mc_manager_row_add_detail (row, when_line);
      if (message != NULL && message[0] != '\0')
        mc_manager_row_add_detail (row, message);
      if (by != NULL)
        {
          g_autofree char *by_app = event_app_name (NULL, by);
          g_autofree char *by_line = g_strdup_printf (_("At the request of %s"), by_app);

          mc_manager_row_add_detail (row, by_line);
        }
      if (lookup_string (event, "url") != NULL)
        g_string_append_printf (search, " %s", lookup_string (event, "url"));
      if (lookup_string (event, "server") != NULL)
        g_string_append_printf (search, " %s", lookup_string (event, "server"));

      g_object_set_data_full (G_OBJECT (row), "mc-search-text", g_string_free (g_steal_pointer (&search), FALSE), g_free);
      add_row (self, self->activity_list, row, NULL);
    }

  restore_focus (self->activity_list, &focus);
}

static void
on_audit_listed (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  McManagerWindow *self = user_data;
  g_autoptr(GVariant) events = NULL;
  g_autoptr(GVariant) chain = NULL;
  g_autoptr(GError) error = NULL;

  if (!mc_dbus_broker1_call_list_audit_events_finish (MC_DBUS_BROKER1 (source_object), &events, &chain, result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || is_unreachable (error))
        {
          handle_error (self, error, NULL);
          return;
        }
      /* Said on the page itself: the other pages work. */
      message = dup_error_message (error);
      gtk_image_set_from_icon_name (self->chain_icon, "dialog-warning-symbolic");
      gtk_label_set_text (self->chain_label, message);
      return;
    }

  show_chain (self, chain);
  show_activity (self, events);
}

static void
refresh_activity (McManagerWindow *self)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  guint selected = gtk_drop_down_get_selected (self->kind_filter);

  if (self->broker == NULL)
    return;

  g_variant_builder_add (&options, "{sv}", "limit", g_variant_new_uint32 (ACTIVITY_LIMIT));
  if (selected < G_N_ELEMENTS (kind_filters) && kind_filters[selected] != NULL)
    g_variant_builder_add (&options, "{sv}", "kinds", g_variant_new_strv (kind_filters[selected], -1));

  mc_dbus_broker1_call_list_audit_events (self->broker, g_variant_builder_end (&options), self->cancellable,
                                          on_audit_listed, self);
}

static void
on_kind_filter_changed (McManagerWindow *self)
{
  refresh_activity (self);
}

static gboolean
activity_visible (McManagerWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->pages), "activity") == 0;
}

static void
on_page_changed (McManagerWindow *self)
{
  if (activity_visible (self))
    refresh_activity (self);
}

/* Talking to the daemon {{{1 */

static void
on_proxy_ready (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  McManagerWindow *self = user_data;
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(GError) error = NULL;

  broker = mc_dbus_broker1_proxy_new_finish (result, &error);
  if (broker == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->connecting = FALSE;
          show_unreachable (self, error);
        }
      return;
    }

  self->connecting = FALSE;
  self->broker = g_steal_pointer (&broker);
  refresh (self);
}

static void
refresh_lists (McManagerWindow *self,
               gboolean         with_activity);

static void
refresh (McManagerWindow *self)
{
  refresh_lists (self, TRUE);
}

/* The activity page reads and checks the whole audit log in the daemon:
 * it is asked for when shown, not every poll. */
static void
refresh_lists (McManagerWindow *self,
               gboolean         with_activity)
{
  if (self->connection == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                     _("There is no session bus to reach it on."));

      show_unreachable (self, error);
      return;
    }

  if (self->broker == NULL)
    {
      if (!self->connecting)
        {
          self->connecting = TRUE;
          /* No properties or signals are needed; calls start the daemon
           * through D-Bus activation if it is not running. */
          mc_dbus_broker1_proxy_new (self->connection,
                                     G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                     G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                     BUS_NAME, BROKER_PATH, self->cancellable, on_proxy_ready, self);
        }
      return;
    }

  mc_dbus_broker1_call_list_grants (self->broker, self->cancellable, on_grants_listed, self);
  mc_dbus_broker1_call_list_remembered (self->broker, self->cancellable, on_remembered_listed, self);
  mc_dbus_broker1_call_list_pending (self->broker, self->cancellable, on_pending_listed, self);
  if (with_activity && activity_visible (self))
    refresh_activity (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  refresh_lists (MC_MANAGER_WINDOW (user_data), FALSE);
  return G_SOURCE_CONTINUE;
}

static void
on_is_active_changed (McManagerWindow *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)))
    {
      refresh (self);
      if (self->poll_id == 0)
        self->poll_id = g_timeout_add_seconds (MC_MANAGER_POLL_INTERVAL_S, poll_cb, self);
    }
  else
    {
      g_clear_handle_id (&self->poll_id, g_source_remove);
    }
}

/* Actions {{{1 */

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  McManagerWindow *self = MC_MANAGER_WINDOW (widget);

  /* After an error, the next answer decides what the window shows. */
  if (g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "unreachable"))
    {
      gtk_stack_set_visible_child_name (self->main_stack, "loading");
      g_clear_object (&self->broker);
    }
  refresh (self);
}

static void
find_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  McManagerWindow *self = MC_MANAGER_WINDOW (widget);

  mc_manager_window_show_page (self, "activity");
  gtk_widget_grab_focus (GTK_WIDGET (self->text_filter));
}

static void
hide_status_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  McManagerWindow *self = MC_MANAGER_WINDOW (widget);

  gtk_revealer_set_reveal_child (self->status_revealer, FALSE);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  mc_manager_window_show_page (MC_MANAGER_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/* GObject {{{1 */

static void
mc_manager_window_constructed (GObject *object)
{
  McManagerWindow *self = MC_MANAGER_WINDOW (object);

  G_OBJECT_CLASS (mc_manager_window_parent_class)->constructed (object);

  refresh (self);
}

static void
mc_manager_window_dispose (GObject *object)
{
  McManagerWindow *self = MC_MANAGER_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->broker);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->shown_grants, g_variant_unref);
  g_clear_pointer (&self->shown_remembered, g_variant_unref);
  g_clear_pointer (&self->shown_pending, g_variant_unref);
  g_clear_pointer (&self->shown_activity, g_variant_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), MC_TYPE_MANAGER_WINDOW);

  G_OBJECT_CLASS (mc_manager_window_parent_class)->dispose (object);
}

static void
mc_manager_window_finalize (GObject *object)
{
  McManagerWindow *self = MC_MANAGER_WINDOW (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (mc_manager_window_parent_class)->finalize (object);
}

static void
mc_manager_window_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  McManagerWindow *self = MC_MANAGER_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mc_manager_window_class_init (McManagerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = mc_manager_window_constructed;
  object_class->dispose = mc_manager_window_dispose;
  object_class->finalize = mc_manager_window_finalize;
  object_class->set_property = mc_manager_window_set_property;

  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL,
                         G_TYPE_DBUS_CONNECTION,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  mc_manager_register_resource ();
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/mcp_consent/Broker/manager/mc-manager-window.ui");
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, pages);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, grants_list);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, remembered_list);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, pending_list);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, activity_list);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, chain_icon);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, chain_label);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, kind_filter);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, text_filter);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, McManagerWindow, unreachable_label);

  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.hide-status", NULL, hide_status_action);
  gtk_widget_class_install_action (widget_class, "win.find", NULL, find_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-page", "s", "grants");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-page", "s", "remembered");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-page", "s", "pending");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.show-page", "s", "activity");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.find", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_q, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
mc_manager_window_init (McManagerWindow *self)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_css_provider_load_from_resource (css, "/io/github/mcp_consent/Broker/manager/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_signal_connect (self, "notify::is-active", G_CALLBACK (on_is_active_changed), NULL);
  g_signal_connect_swapped (self->pages, "notify::visible-child", G_CALLBACK (on_page_changed), self);
  g_signal_connect_swapped (self->kind_filter, "notify::selected", G_CALLBACK (on_kind_filter_changed), self);
  g_signal_connect_swapped (self->text_filter, "search-changed", G_CALLBACK (on_text_filter_changed), self);
  gtk_list_box_set_filter_func (self->activity_list, filter_activity_row, self, NULL);
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
}

/* API {{{1 */

/**
 * mc_manager_window_new:
 * @application: the application
 * @connection: (nullable): the session bus, or %NULL if there is none
 *
 * Returns: (transfer full): a new window, asking the daemon for its lists
 */
McManagerWindow *
mc_manager_window_new (GtkApplication  *application,
                       GDBusConnection *connection)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (connection == NULL || G_IS_DBUS_CONNECTION (connection), NULL);

  return g_object_new (MC_TYPE_MANAGER_WINDOW,
                       "application", application,
                       "connection", connection,
                       NULL);
}

void
mc_manager_window_refresh (McManagerWindow *self)
{
  g_return_if_fail (MC_IS_MANAGER_WINDOW (self));

  refresh (self);
}

static GtkListBox *
list_for_page (McManagerWindow *self,
               const char      *name)
{
  if (g_str_equal (name, "grants"))
    return self->grants_list;
  if (g_str_equal (name, "remembered"))
    return self->remembered_list;
  if (g_str_equal (name, "pending"))
    return self->pending_list;
  if (g_str_equal (name, "activity"))
    return self->activity_list;
  return NULL;
}

/**
 * mc_manager_window_show_page:
 * @self: a #McManagerWindow
 * @name: "grants", "remembered", "pending" or "activity"
 *
 * Shows the page and puts the keyboard focus on its first entry, so that
 * Alt+1…3 followed by Tab or Delete acts on the list right away.
 */
void
mc_manager_window_show_page (McManagerWindow *self,
                             const char      *name)
{
  GtkWidget *page = NULL;
  GtkListBox *list = NULL;
  GtkListBoxRow *first = NULL;

  g_return_if_fail (MC_IS_MANAGER_WINDOW (self));
  g_return_if_fail (name != NULL);

  page = gtk_stack_get_child_by_name (self->pages, name);
  if (page == NULL)
    return;
  gtk_stack_set_visible_child (self->pages, page);

  list = list_for_page (self, name);
  if (list == NULL)
    return;

  first = gtk_list_box_get_row_at_index (list, 0);
  gtk_widget_grab_focus (first != NULL ? GTK_WIDGET (first) : GTK_WIDGET (list));
}

guint
mc_manager_window_get_n_entries (McManagerWindow *self,
                                 const char      *page)
{
  GtkListBox *list = NULL;
  guint n = 0;

  g_return_val_if_fail (MC_IS_MANAGER_WINDOW (self), 0);

  list = list_for_page (self, page);
  g_return_val_if_fail (list != NULL, 0);
  /* Rows the filter hides are not child-visible. */
  for (int i = 0; gtk_list_box_get_row_at_index (list, i) != NULL; i++)
    if (gtk_widget_get_child_visible (GTK_WIDGET (gtk_list_box_get_row_at_index (list, i))))
      n++;
  return n;
}

/* "loading", "unreachable" or "content". */
const char *
mc_manager_window_get_visible_state (McManagerWindow *self)
{
  g_return_val_if_fail (MC_IS_MANAGER_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->main_stack);
}

/* The status message, or %NULL when none shows. */
const char *
mc_manager_window_get_status (McManagerWindow *self)
{
  g_return_val_if_fail (MC_IS_MANAGER_WINDOW (self), NULL);

  if (!gtk_revealer_get_reveal_child (self->status_revealer))
    return NULL;
  return gtk_label_get_text (self->status_label);
}

/* What the activity page says of the audit log's chain. */
const char *
mc_manager_window_get_chain_text (McManagerWindow *self)
{
  g_return_val_if_fail (MC_IS_MANAGER_WINDOW (self), NULL);

  return gtk_label_get_text (self->chain_label);
}
