/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The manager window ("MCP Consent") against the real daemon on the
 * test's bus, with a real gnome-keyring and a sign-in to the mock
 * authorization server: driven by real X key events (xdotool) on a
 * private Xvfb, as a keyboard user would.  The window is built into this
 * process (as test-consent-dialog builds the dialog), so that it can be
 * read back and photographed; it talks to the daemon over D-Bus like the
 * installed program does. */

#include "config.h"

#include <gtk/gtk.h>

#include "mc-error.h"
#include "mc-manager-row.h"
#include "mc-manager-window-private.h"
#include "mc-test-oauth.h"
#include "mc-test-gtk.h"
#include "mc-test-xdotool.h"

#define TOKEN_SCHEMA "io.github.mcp_consent.Token"
#define WINDOW_TITLE "MCP Consent"
#define AGENT_APP_ID "org.example.Agent"

/* Helpers {{{1 */

typedef struct
{
  McManagerWindow *window;
  const char      *page;
  guint            count;
} EntriesWait;

static gboolean
has_entries (gpointer user_data)
{
  EntriesWait *wait = user_data;

  return mc_manager_window_get_n_entries (wait->window, wait->page) == wait->count;
}

static void
wait_entries (McManagerWindow *window,
              const char      *page,
              guint            count)
{
  EntriesWait wait = { window, page, count };
  g_autofree char *what = g_strdup_printf ("%u entries on the %s page", count, page);

  mc_test_wait_until (has_entries, &wait, what);
}

typedef struct
{
  McManagerWindow *window;
  const char      *state;
} StateWait;

static gboolean
shows_state (gpointer user_data)
{
  StateWait *wait = user_data;

  return g_strcmp0 (mc_manager_window_get_visible_state (wait->window), wait->state) == 0;
}

static void
wait_state (McManagerWindow *window,
            const char      *state)
{
  StateWait wait = { window, state };

  mc_test_wait_until (shows_state, &wait, state);
}

static gboolean
has_some_entries (gpointer user_data)
{
  EntriesWait *wait = user_data;

  return mc_manager_window_get_n_entries (wait->window, wait->page) > 0;
}

typedef struct
{
  McManagerWindow *window;
  const char      *needle;
} ChainWait;

static gboolean
chain_says (gpointer user_data)
{
  ChainWait *wait = user_data;

  return strstr (mc_manager_window_get_chain_text (wait->window), wait->needle) != NULL;
}

/* How many records of @kind the daemon has: what the Show menu should
 * leave on the page. */
static guint
count_audit_events (McTestOAuth *fixture,
                    const char  *kind)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  const char *kinds[] = { kind, NULL };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) events = NULL;
  g_autoptr(GError) error = NULL;

  g_variant_builder_add (&options, "{sv}", "kinds", g_variant_new_strv (kinds, -1));
  reply = mc_test_client_call (fixture->client, "ListAuditEvents", g_variant_new ("(a{sv})", &options), &error);
  g_assert_no_error (error);
  events = g_variant_get_child_value (reply, 0);
  g_assert_cmpuint (g_variant_n_children (events), >, 0);
  return g_variant_n_children (events);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The Show menu's list is a popover inside the drop-down. */
static gboolean
popup_shown (gpointer user_data)
{
  GtkWidget *drop_down = find_descendant (GTK_WIDGET (user_data), GTK_TYPE_DROP_DOWN);
  GtkWidget *popover = NULL;

  g_assert_nonnull (drop_down);
  popover = find_descendant (drop_down, GTK_TYPE_POPOVER);
  return popover != NULL && gtk_widget_get_mapped (popover);
}

static gboolean
window_shown (gpointer user_data)
{
  return mc_test_xdotool_window_exists (user_data);
}

/* The window of that title, once it is on screen. */
static char *
wait_window (const char *title)
{
  mc_test_wait_until (window_shown, (gpointer)title, title);
  return mc_test_xdotool_find_window (title);
}

static gboolean
window_gone (gpointer user_data)
{
  return !mc_test_xdotool_window_exists (user_data);
}

static GVariant *
call_list (McTestOAuth *fixture,
           const char  *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = mc_test_client_call (fixture->client, method, NULL, &error);
  GVariant *entries = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(@aa{sv})", &entries);
  return entries;
}

typedef struct
{
  McTestOAuth *fixture;
  const char  *method;
} EmptyWait;

static gboolean
daemon_list_empty (gpointer user_data)
{
  EmptyWait *wait = user_data;
  g_autoptr(GVariant) entries = call_list (wait->fixture, wait->method);

  return g_variant_n_children (entries) == 0;
}

static void
save_screenshot (McManagerWindow *window,
                 const char      *name)
{
  mc_test_gtk_save_screenshot (GTK_WIDGET (window), name);
}

/* mcp-consent elicit, run by the sandboxed app AGENT_APP_ID: "always
 * allow" is offered to verified apps only.  Returns what it printed. */
static char *
elicit_as_agent (McTestOAuth *fixture,
                 const char  *url)
{
  g_autofree char *cli = g_build_filename (mc_test_build_path ("MC_TEST_PREFIX"), "bin", "mcp-consent", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;

  /* The sandbox sees the installed prefix, as e2e's do. */
  mc_test_ensure_installed ();
  process = mc_test_env_spawn_in_flatpak (fixture->env, AGENT_APP_ID,
                                          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                          &error, cli, "elicit",
                                          "--server-name", "Example Files",
                                          "--server-url", "https://mcp.example.com/mcp",
                                          "--url", url, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (err != NULL && err[0] != '\0')
    g_test_message ("mcp-consent in the sandbox said: %s", err);
  return out;
}

static McManagerWindow *
open_window (McTestEnv *env)
{
  g_autoptr(GDBusConnection) connection = mc_test_env_connect (env);
  McManagerWindow *window = mc_manager_window_new (NULL, connection);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

/* Tests {{{1 */

/* The user's whole errand: see what the broker keeps, sign an app out,
 * and take back an "always allow" — with the keyboard only. */
static void
test_revoke_and_forget (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(GVariant) remembered = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *out = NULL;
  g_autofree char *token = NULL;
  g_autofree char *pending = NULL;
  g_autofree char *xid = NULL;
  g_autofree char *dialog = NULL;
  g_autoptr(GVariant) closed = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  McManagerWindow *window = NULL;
  EmptyWait grants_gone = { fixture, "ListGrants" };
  EmptyWait remembered_gone = { fixture, "ListRemembered" };
  guint records = 0;

  /* A sign-in, an "always allow" decision, and a prompt on screen. */
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  items = mc_test_env_list_secret_items (fixture->env, TOKEN_SCHEMA);
  g_assert_cmpuint (items->len, >, 0);
  g_clear_pointer (&items, g_ptr_array_unref);
  /* Used once, so the window has a "last used" to show. */
  token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&token, g_free);

  mc_test_env_set_script (fixture->env, "open-always\nhang\n");
  out = elicit_as_agent (fixture, "https://accounts.example.com/connect?flow=1");
  g_assert_cmpstr (out, ==, "accept\n");
  remembered = call_list (fixture, "ListRemembered");
  g_assert_cmpuint (g_variant_n_children (remembered), ==, 1);

  {
    g_auto(GVariantBuilder) server = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
    g_autoptr(GVariant) reply = NULL;

    g_variant_builder_add (&server, "{sv}", "name", g_variant_new_string ("Example Calendar"));
    g_variant_builder_add (&server, "{sv}", "url", g_variant_new_string ("https://calendar.example.net/mcp"));
    reply = mc_test_client_call (fixture->client, "ElicitUrl",
                                 g_variant_new ("(sa{sv}ssa{sv})", "", &server,
                                                "https://calendar.example.net/consent?code=SECRET",
                                                "Confirm access to your calendar.", NULL),
                                 &error);
    g_assert_no_error (error);
    g_variant_get (reply, "(o)", &pending);
  }

  window = open_window (fixture->env);
  wait_state (window, "content");
  wait_entries (window, "grants", 1);
  wait_entries (window, "remembered", 1);
  /* The accepted link's "finish in your browser" notice, and the prompt. */
  wait_entries (window, "pending", 2);
  save_screenshot (window, "manager");
  mc_manager_window_show_page (window, "remembered");
  save_screenshot (window, "manager-remembered");
  mc_manager_window_show_page (window, "pending");
  save_screenshot (window, "manager-pending");

  /* Withdrawn by its caller: it leaves the "Waiting" page; the notice stays. */
  closed = g_dbus_connection_call_sync (fixture->client->connection, BUS_NAME, pending,
                                        "io.github.mcp_consent.Request1", "Close",
                                        NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  mc_manager_window_refresh (window);
  wait_entries (window, "pending", 1);

  xid = wait_window (WINDOW_TITLE);

  /* Delete asks first; Escape keeps the sign-in. */
  mc_test_xdotool_press_keys (xid, "alt+1 Delete");
  dialog = wait_window ("Revoke Sign-in");
  mc_test_xdotool_press_keys (dialog, "Escape");
  mc_test_wait_until (window_gone, (gpointer)"Revoke Sign-in", "the question to go away");
  g_clear_pointer (&dialog, g_free);
  token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_clear_pointer (&token, g_free);

  /* Delete again, and Revoke. */
  mc_test_xdotool_press_keys (xid, "alt+1 Delete");
  dialog = wait_window ("Revoke Sign-in");
  mc_test_xdotool_press_keys (dialog, "alt+r");
  mc_test_wait_until (daemon_list_empty, &grants_gone, "the grant to be revoked");
  wait_entries (window, "grants", 0);
  g_clear_pointer (&dialog, g_free);

  /* The app is signed out, and its tokens are gone from the keyring. */
  token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_null (token);
  g_assert_error (error, MC_ERROR, MC_ERROR_NOT_AUTHORIZED);
  g_clear_error (&error);
  items = mc_test_env_list_secret_items (fixture->env, TOKEN_SCHEMA);
  g_assert_cmpuint (items->len, ==, 0);
  g_assert_nonnull (mc_manager_window_get_status (window));

  /* Forget the "always allow": to the row, Tab to its button, Space. */
  mc_test_xdotool_press_keys (xid, "alt+2 Tab space");
  dialog = wait_window ("Forget Choice");
  mc_test_xdotool_press_keys (dialog, "alt+f");
  mc_test_wait_until (daemon_list_empty, &remembered_gone, "the decision to be forgotten");
  wait_entries (window, "remembered", 0);
  save_screenshot (window, "manager-empty");

  /* The same link of the same app now asks again. */
  records = mc_test_env_count_records (fixture->env);
  mc_test_env_set_script (fixture->env, "decline\n");
  g_clear_pointer (&out, g_free);
  out = elicit_as_agent (fixture, "https://accounts.example.com/connect?flow=2");
  g_assert_cmpstr (out, ==, "decline\n");
  {
    g_autoptr(JsonObject) record = mc_test_env_wait_record (fixture->env, records);

    g_assert_cmpstr (json_object_get_string_member (record, "event"), ==, "prompt");
    g_assert_cmpstr (json_object_get_string_member (record, "app_id"), ==, AGENT_APP_ID);
  }

  /* The activity page: what just happened, and a chain that checks. */
  mc_test_xdotool_press_keys (xid, "alt+4");
  {
    EntriesWait some = { window, "activity", 0 };
    ChainWait intact = { window, "is intact" };
    guint all = 0;

    mc_test_wait_until (has_some_entries, &some, "activity to be listed");
    mc_test_wait_until (chain_says, &intact, "the chain to be checked");
    all = mc_manager_window_get_n_entries (window, "activity");
    save_screenshot (window, "manager-activity");

    /* Ctrl+F and a word: only the calendar server's prompt is left. */
    mc_test_xdotool_press_keys (xid, "ctrl+f c a l e n d a r");
    wait_entries (window, "activity", 1);
    mc_test_xdotool_press_keys (xid, "ctrl+a BackSpace");
    wait_entries (window, "activity", all);

    /* Show: "Tokens handed out", the fourth choice; the daemon filters. */
    mc_test_xdotool_press_keys (xid, "alt+s space");
    mc_test_wait_until (popup_shown, window, "the Show menu to open");
    mc_test_xdotool_press_keys (xid, "Down Down Down Return");
    wait_entries (window, "activity", count_audit_events (fixture, "token-served"));
  }

  /* Someone swaps two records: the page says the log was changed. */
  log_path = g_build_filename (fixture->env->dir, "state", "mcp-consent", "audit.jsonl", NULL);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  lines = g_strsplit (log, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >, 3);
  {
    char *first = lines[0];
    g_autofree char *swapped = NULL;
    ChainWait changed = { window, "has been changed" };

    lines[0] = lines[1];
    lines[1] = first;
    swapped = g_strjoinv ("\n", lines);
    g_assert_true (g_file_set_contents (log_path, swapped, -1, NULL));
    mc_test_xdotool_press_keys (xid, "ctrl+r");
    mc_test_wait_until (chain_says, &changed, "the broken chain to be reported");
    save_screenshot (window, "manager-activity-tampered");
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

/* No daemon on the bus (none installed for activation): the window says
 * so and offers Retry, which works once the daemon is there. */
static void
test_unreachable_and_retry (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autofree char *xid = NULL;
  McManagerWindow *window = NULL;

  window = open_window (env);
  wait_state (window, "unreachable");
  save_screenshot (window, "manager-unreachable");

  mc_test_env_start_daemon (env);
  xid = wait_window (WINDOW_TITLE);
  mc_test_xdotool_press_keys (xid, "alt+r");
  wait_state (window, "content");
  g_assert_cmpuint (mc_manager_window_get_n_entries (window, "grants"), ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_action_requested (McManagerRow *row,
                     guint        *count)
{
  (*count)++;
}

/* What a screen reader says of an entry and of its button, and Delete
 * on the entry asking for the same action as the button. */
static void
test_row_accessible (void)
{
  McManagerRow *row = mc_manager_row_new ("g1", "https://mcp.example.com/mcp");
  GtkWidget *window = gtk_window_new ();
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *button = NULL;
  guint requested = 0;

  g_object_ref_sink (row);
  mc_manager_row_add_detail (row, "App: Example Agent");
  mc_manager_row_add_detail (row, "Scopes: files:read");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "https://mcp.example.com/mcp. App: Example Agent. Scopes: files:read");
  g_assert_false (mc_manager_row_has_action (row));

  mc_manager_row_set_action (row, "_Revoke…", "Revoke the sign-in to https://mcp.example.com/mcp");
  g_assert_true (mc_manager_row_has_action (row));
  button = gtk_widget_get_last_child (gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (row)));
  g_assert_true (GTK_IS_BUTTON (button));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Revoke the sign-in to https://mcp.example.com/mcp");

  g_signal_connect (row, "action-requested", G_CALLBACK (on_action_requested), &requested);
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (row));
  gtk_window_set_child (GTK_WINDOW (window), list);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_grab_focus (GTK_WIDGET (row));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "row.request-action", NULL));
  g_assert_cmpuint (requested, ==, 1);
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpuint (requested, ==, 2);

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (row);
}

int
main (int   argc,
      char *argv[])
{
  GTestDBus *bus = NULL;
  int status;

  /* Times in the screenshots and rows do not depend on the machine. */
  g_setenv ("TZ", "UTC", TRUE);
  bus = mc_test_gtk_init (&argc, &argv);

  g_test_add_func ("/manager/revoke-and-forget", test_revoke_and_forget);
  g_test_add_func ("/manager/unreachable-and-retry", test_unreachable_and_retry);
  g_test_add_func ("/manager/row-accessible", test_row_accessible);

  status = g_test_run ();
  mc_test_gtk_shutdown (bus);
  return status;
}
