/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc-dbus.h"
#include "mc-test-xdotool.h"
#include "mc-test-xvfb.h"
#include "mc-url-verdict.h"

/* The real mcp-consent-prompter binary, with this test in the daemon's
 * place: a socketpair, the prompter's end as fd 3, peer-to-peer D-Bus with
 * the test as the authenticating server.  The window is driven with real
 * X key events (xdotool, through XTEST) on a private Xvfb.  Every wait has
 * a deadline, and every process is stopped by the id we started it with. */

#define WAIT_TIMEOUT_MS 20000
#define PROMPTER_PATH "/io/github/mcp_consent/Prompter"

typedef struct
{
  GSubprocess     *prompter;
  GDBusConnection *connection;
  McDbusPrompter1 *proxy;
  GPtrArray       *answers;        /* "prompt_id answer" */
  GPtrArray       *results;        /* the a{sv} of each answer */
  GPtrArray       *notices_closed; /* prompt ids */
  gboolean         closed;
  gboolean         remote_vanished;
} Fixture;

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

#define wait_until(condition) \
  G_STMT_START { \
    gint64 deadline__ = g_get_monotonic_time () + WAIT_TIMEOUT_MS * 1000; \
    guint tick__ = g_timeout_add (10, tick_cb, NULL); \
    while (!(condition) && g_get_monotonic_time () < deadline__) \
      g_main_context_iteration (NULL, TRUE); \
    g_source_remove (tick__); \
    g_assert_true (condition); \
  } G_STMT_END

static void
child_setup (gpointer user_data)
{
  /* Should the test die, its children go with it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static char *
prompter_path (void)
{
  const char *build_root = g_getenv ("MC_TEST_BUILD_ROOT");

  g_assert_nonnull (build_root);
  return g_build_filename (build_root, "src", "prompter", "mcp-consent-prompter", NULL);
}

static void
answered_cb (McDbusPrompter1 *proxy,
             const char      *prompt_id,
             const char      *answer,
             GVariant        *results,
             Fixture         *fixture)
{
  g_ptr_array_add (fixture->answers, g_strdup_printf ("%s %s", prompt_id, answer));
  g_ptr_array_add (fixture->results, g_variant_ref (results));
}

static void
notice_closed_cb (McDbusPrompter1 *proxy,
                  const char      *prompt_id,
                  Fixture         *fixture)
{
  g_ptr_array_add (fixture->notices_closed, g_strdup (prompt_id));
}

static void
closed_cb (GDBusConnection *connection,
           gboolean         remote_peer_vanished,
           GError          *error,
           Fixture         *fixture)
{
  fixture->closed = TRUE;
  fixture->remote_vanished = remote_peer_vanished;
}

static void
connection_ready_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GDBusConnection **connection = user_data;
  g_autoptr(GError) error = NULL;

  *connection = g_dbus_connection_new_finish (result, &error);
  g_assert_no_error (error);
}

static void
start_prompter (Fixture    *fixture,
                const char *idle_timeout)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = prompter_path ();
  g_autofree char *guid = g_dbus_generate_guid ();
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_setenv (launcher, "MCP_CONSENT_PROMPTER_IDLE_TIMEOUT", idle_timeout, TRUE);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  fixture->prompter = g_subprocess_launcher_spawn (launcher, &error, path, NULL);
  g_assert_no_error (error);
  /* Closes the prompter's end on our side, so its death is seen. */
  g_clear_object (&launcher);

  socket = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  stream = g_socket_connection_factory_create_connection (socket);

  g_dbus_connection_new (G_IO_STREAM (stream), guid,
                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER,
                         NULL, NULL, connection_ready_cb, &fixture->connection);
  wait_until (fixture->connection != NULL);
  g_signal_connect (fixture->connection, "closed", G_CALLBACK (closed_cb), fixture);

  fixture->proxy = mc_dbus_prompter1_proxy_new_sync (fixture->connection,
                                                     (G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                                      G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START),
                                                     NULL, PROMPTER_PATH, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (fixture->proxy, "answered", G_CALLBACK (answered_cb), fixture);
  g_signal_connect (fixture->proxy, "notice-closed", G_CALLBACK (notice_closed_cb), fixture);
}

static void
wait_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
wait_for_prompter_exit (Fixture *fixture)
{
  gboolean exited = FALSE;

  g_subprocess_wait_async (fixture->prompter, NULL, wait_cb, &exited);
  wait_until (exited);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->answers = g_ptr_array_new_with_free_func (g_free);
  fixture->results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  fixture->notices_closed = g_ptr_array_new_with_free_func (g_free);
  start_prompter (fixture, data != NULL ? data : "60");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->proxy != NULL)
    g_signal_handlers_disconnect_by_data (fixture->proxy, fixture);
  g_clear_object (&fixture->proxy);

  if (fixture->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (fixture->connection, fixture);
      g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
    }
  g_clear_object (&fixture->connection);

  if (fixture->prompter != NULL)
    {
      /* Closing the channel is how the daemon lets the prompter go. */
      wait_for_prompter_exit (fixture);
      g_clear_object (&fixture->prompter);
    }

  g_clear_pointer (&fixture->answers, g_ptr_array_unref);
  g_clear_pointer (&fixture->results, g_ptr_array_unref);
  g_clear_pointer (&fixture->notices_closed, g_ptr_array_unref);
}

static GVariant *
build_prompt (const char *url,
              const char *server_title)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, "https://mcp.example.com/mcp");
  g_autoptr(GVariant) verdict_variant = NULL;

  g_variant_dict_insert (&dict, "kind", "s", "url");
  g_variant_dict_insert (&dict, "app_kind", "s", "host-app");
  g_variant_dict_insert (&dict, "app_id", "s", "org.example.Assistant");
  g_variant_dict_insert (&dict, "app_name", "s", "Example Assistant");
  g_variant_dict_insert (&dict, "server_name", "s", "test-server");
  g_variant_dict_insert (&dict, "server_title", "s", server_title);
  g_variant_dict_insert (&dict, "server_url", "s", "https://mcp.example.com/mcp");
  g_variant_dict_insert (&dict, "url", "s", url);
  g_variant_dict_insert (&dict, "message", "s", "Sign in, please.");
  verdict_variant = mc_url_verdict_to_variant (verdict);
  g_variant_dict_insert_value (&dict, "verdict", verdict_variant);
  g_variant_dict_insert (&dict, "can_remember", "b", FALSE);
  g_variant_dict_insert (&dict, "timeout", "u", 120);
  g_variant_dict_insert (&dict, "queued", "u", 0);

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

typedef struct
{
  gboolean  done;
  GError   *error;
} CallResult;

static void
call_done_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallResult *call_result = user_data;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source_object), result, &call_result->error);
  call_result->done = TRUE;
}

/* Calls a method without blocking the main context (the answers arrive
 * on it), and returns the call's error, if any. */
static GError *
call (Fixture    *fixture,
      const char *method,
      GVariant   *args)
{
  CallResult result = { FALSE, NULL };

  g_dbus_proxy_call (G_DBUS_PROXY (fixture->proxy), method, args,
                     G_DBUS_CALL_FLAGS_NONE, WAIT_TIMEOUT_MS, NULL, call_done_cb, &result);
  wait_until (result.done);

  return result.error;
}

static void
show_prompt (Fixture    *fixture,
             const char *prompt_id,
             const char *url,
             const char *server_title)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) prompt = build_prompt (url, server_title);

  error = call (fixture, "ShowPrompt", g_variant_new ("(s@a{sv})", prompt_id, prompt));
  g_assert_no_error (error);
}

/* An "authorize" prompt, as the daemon sends it (see the Prompter1 XML). */
static GVariant *
build_authorize_prompt (const char         *server_title,
                        const char * const *scopes)
{
  const char *endpoint = "https://accounts.example.com/oauth2/authorize";
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (endpoint, "https://mcp.example.com/mcp");
  g_autoptr(GVariant) verdict_variant = mc_url_verdict_to_variant (verdict);
  const char * const granted[] = { NULL };

  g_variant_dict_insert (&dict, "kind", "s", "authorize");
  g_variant_dict_insert (&dict, "app_kind", "s", "host-app");
  g_variant_dict_insert (&dict, "app_id", "s", "org.example.Assistant");
  g_variant_dict_insert (&dict, "app_name", "s", "Example Assistant");
  g_variant_dict_insert (&dict, "server_name", "s", "test-server");
  g_variant_dict_insert (&dict, "server_title", "s", server_title);
  g_variant_dict_insert (&dict, "server_url", "s", "https://mcp.example.com/mcp");
  g_variant_dict_insert (&dict, "resource", "s", "https://mcp.example.com/mcp");
  g_variant_dict_insert (&dict, "issuer", "s", "https://accounts.example.com");
  g_variant_dict_insert (&dict, "authorization_endpoint", "s", endpoint);
  g_variant_dict_insert_value (&dict, "as_verdict", verdict_variant);
  g_variant_dict_insert_value (&dict, "scopes", g_variant_new_strv (scopes, -1));
  g_variant_dict_insert_value (&dict, "granted_scopes", g_variant_new_strv (granted, -1));
  g_variant_dict_insert (&dict, "timeout", "u", 120);
  g_variant_dict_insert (&dict, "queued", "u", 0);

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static void
assert_answered_scopes (Fixture            *fixture,
                        guint               i,
                        const char * const *scopes)
{
  g_autofree const char **answered = NULL;
  GVariant *results = g_ptr_array_index (fixture->results, i);

  g_assert_true (g_variant_lookup (results, "scopes", "^a&s", &answered));
  g_assert_true (g_strv_equal ((const char * const *) answered, scopes));
}

static void
test_without_channel (void)
{
  g_autofree char *path = prompter_path ();
  const char *fd3_kinds[] = { "none", "file" };

  for (guint i = 0; i < G_N_ELEMENTS (fd3_kinds); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *err_text = NULL;

      if (g_str_equal (fd3_kinds[i], "file"))
        {
          int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

          g_assert_cmpint (fd, >=, 0);
          g_subprocess_launcher_take_fd (launcher, fd, 3);
        }

      process = g_subprocess_launcher_spawn (launcher, &error, path, NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err_text, &error);
      g_assert_no_error (error);

      g_assert_true (g_subprocess_get_if_exited (process));
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
      g_assert_cmpstr (err_text, ==, "mcp-consent-prompter is started by mcp-consentd\n");
    }
}

static void
test_escape_dismisses (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *window = NULL;

  show_prompt (fixture, "p-escape", "https://accounts.example.com/login", "Escape Test Server");
  window = mc_test_xdotool_find_window ("Open a link for Escape Test Server");

  mc_test_xdotool_press_keys (window, "Escape");
  wait_until (fixture->answers->len > 0);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "p-escape dismiss");
}

static void
test_return_answers_nothing (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *window = NULL;

  show_prompt (fixture, "p-return", "https://accounts.example.com/login", "Return Test Server");
  window = mc_test_xdotool_find_window ("Open a link for Return Test Server");

  /* Enter answers nothing.  That is proven without waiting for a time:
   * the keys are handled in order, so if Escape's "dismiss" is the first
   * answer, the Enters before it did nothing. */
  mc_test_xdotool_press_keys (window, "Return KP_Enter Escape");
  wait_until (fixture->answers->len > 0);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "p-return dismiss");
}

static void
test_keyboard_open_then_notice (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *window = NULL;
  g_autofree char *notice = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) opened = build_prompt ("https://accounts.example.com/login", "Open Test Server");
  guint presses = 0;

  show_prompt (fixture, "p-open", "https://accounts.example.com/login", "Open Test Server");
  window = mc_test_xdotool_find_window ("Open a link for Open Test Server");

  /* Open's mnemonic does nothing while Open is locked (about a second
   * after the window gains focus); pressing it until the answer comes is
   * how an impatient user meets the delay, and waits on the event itself. */
  while (fixture->answers->len == 0)
    {
      g_assert_cmpuint (presses++, <, 100);
      mc_test_xdotool_press_keys (window, "alt+o");
    }
  wait_until (fixture->answers->len > 0);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "p-open open");

  error = call (fixture, "ShowOpened", g_variant_new ("(s@a{sv})", "p-open", opened));
  g_assert_no_error (error);
  notice = mc_test_xdotool_find_window ("Finish in your browser");
  g_assert_cmpstr (notice, ==, window);

  error = call (fixture, "Dismiss", g_variant_new ("(s)", "p-open"));
  g_assert_no_error (error);
  wait_until (!mc_test_xdotool_window_exists ("Finish in your browser"));
  /* The daemon took it down: no NoticeClosed, and no second answer. */
  g_assert_cmpuint (fixture->notices_closed->len, ==, 0);
  g_assert_cmpuint (fixture->answers->len, ==, 1);

  /* Unknown ids are ignored. */
  error = call (fixture, "Dismiss", g_variant_new ("(s)", "p-unknown"));
  g_assert_no_error (error);
}

static void
test_tab_space_opens (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *window = NULL;
  guint presses = 0;

  show_prompt (fixture, "p-tab", "https://accounts.example.com/login", "Tab Test Server");
  window = mc_test_xdotool_find_window ("Open a link for Tab Test Server");

  /* Focus starts on the link, and the focus chain is link → Decline →
   * Open.  A locked Open cannot take the focus, so two Tabs come back to
   * the link (where Space does nothing) until Open unlocks, and then land
   * on Open.  So the loop waits on the unlock itself, and never presses
   * Space on Decline. */
  while (fixture->answers->len == 0)
    {
      g_assert_cmpuint (presses++, <, 100);
      mc_test_xdotool_press_keys (window, "Tab Tab space");
    }
  wait_until (fixture->answers->len > 0);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "p-tab open");
}

static void
test_authorize_untick_and_allow (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char * const scopes[] = { "openid", "email", "calendar.read", NULL };
  const char * const left_ticked[] = { "email", "calendar.read", NULL };
  g_autoptr(GVariant) prompt = build_authorize_prompt ("Scope Test Server", scopes);
  g_autoptr(GError) error = NULL;
  g_autofree char *window = NULL;
  g_autofree char *notice = NULL;
  guint presses = 0;

  error = call (fixture, "ShowPrompt", g_variant_new ("(s@a{sv})", "p-scopes", prompt));
  g_assert_no_error (error);
  window = mc_test_xdotool_find_window ("Sign in to Scope Test Server");

  /* Focus starts on where to sign in; the first Tab reaches the first
   * scope, "openid", and Space unticks it.  A check button takes the focus
   * whether Allow is locked or not, so this needs no waiting. */
  mc_test_xdotool_press_keys (window, "Tab space");

  /* Then Allow, by its mnemonic, pressed until its lock (about a second
   * after the window gains focus) is over: the keys are handled in order,
   * so the scope was unticked before any of these. */
  while (fixture->answers->len == 0)
    {
      g_assert_cmpuint (presses++, <, 100);
      mc_test_xdotool_press_keys (window, "alt+a");
    }
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "p-scopes open");
  assert_answered_scopes (fixture, 0, left_ticked);

  /* The browser has it: the notice, then the daemon takes it down. */
  error = call (fixture, "ShowOpened", g_variant_new ("(s@a{sv})", "p-scopes", prompt));
  g_assert_no_error (error);
  notice = mc_test_xdotool_find_window ("Finish signing in in your browser");
  g_assert_cmpstr (notice, ==, window);
  error = call (fixture, "Dismiss", g_variant_new ("(s)", "p-scopes"));
  g_assert_no_error (error);
  wait_until (!mc_test_xdotool_window_exists ("Finish signing in in your browser"));
  g_assert_cmpuint (fixture->answers->len, ==, 1);
}

static void
test_authorize_escape_dismisses (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char * const scopes[] = { "openid", NULL };
  g_autoptr(GVariant) prompt = build_authorize_prompt ("Escape Sign-in Server", scopes);
  g_autoptr(GError) error = NULL;
  g_autofree char *window = NULL;

  error = call (fixture, "ShowPrompt", g_variant_new ("(s@a{sv})", "p-auth-escape", prompt));
  g_assert_no_error (error);
  window = mc_test_xdotool_find_window ("Sign in to Escape Sign-in Server");

  /* Enter first: it allows nothing, so "dismiss" is the first answer. */
  mc_test_xdotool_press_keys (window, "Return Escape");
  wait_until (fixture->answers->len > 0);
  g_assert_cmpuint (fixture->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->answers, 0), ==, "p-auth-escape dismiss");
  g_assert_cmpuint (g_variant_n_children (g_ptr_array_index (fixture->results, 0)), ==, 0);
}

static void
test_authorize_rejects_bad_prompts (Fixture       *fixture,
                                    gconstpointer  data)
{
  const char * const good[] = { "openid", NULL };
  const char * const spaced[] = { "openid email", NULL };
  const char * const quoted[] = { "a\"b", NULL };
  const char * const * const bad_scopes[] = { spaced, quoted };
  g_autoptr(GError) error = NULL;

  /* A scope is shown and answered exactly, so it must be one (RFC 6749). */
  for (guint i = 0; i < G_N_ELEMENTS (bad_scopes); i++)
    {
      g_autoptr(GVariant) prompt = build_authorize_prompt ("Bad Scope Server", bad_scopes[i]);
      g_autofree char *remote = NULL;

      error = call (fixture, "ShowPrompt", g_variant_new ("(s@a{sv})", "p-bad-scope", prompt));
      g_assert_nonnull (error);
      remote = g_dbus_error_get_remote_error (error);
      g_assert_cmpstr (remote, ==, "io.github.mcp_consent.Error.InvalidArgument");
      g_clear_error (&error);
    }

  /* No authorization endpoint: nothing to sign in at. */
  {
    g_autoptr(GVariant) prompt = build_authorize_prompt ("No Endpoint Server", good);
    g_autoptr(GVariantDict) dict = g_variant_dict_new (prompt);
    g_autoptr(GVariant) without = NULL;
    g_autofree char *remote = NULL;

    g_variant_dict_remove (dict, "authorization_endpoint");
    without = g_variant_ref_sink (g_variant_dict_end (dict));
    error = call (fixture, "ShowPrompt", g_variant_new ("(s@a{sv})", "p-no-endpoint", without));
    g_assert_nonnull (error);
    remote = g_dbus_error_get_remote_error (error);
    g_assert_cmpstr (remote, ==, "io.github.mcp_consent.Error.InvalidArgument");
    g_clear_error (&error);
  }

  /* A blocked endpoint is never shown, whatever "as_verdict" says. */
  {
    g_autoptr(GVariant) prompt = build_authorize_prompt ("Blocked Endpoint Server", good);
    g_autoptr(GVariantDict) dict = g_variant_dict_new (prompt);
    g_autoptr(GVariant) blocked = NULL;
    g_autofree char *remote = NULL;

    g_variant_dict_insert (dict, "authorization_endpoint", "s", "http://login.example.net/authorize");
    blocked = g_variant_ref_sink (g_variant_dict_end (dict));
    error = call (fixture, "ShowPrompt", g_variant_new ("(s@a{sv})", "p-blocked-endpoint", blocked));
    g_assert_nonnull (error);
    remote = g_dbus_error_get_remote_error (error);
    g_assert_cmpstr (remote, ==, "io.github.mcp_consent.Error.UrlBlocked");
    g_clear_error (&error);
  }

  g_assert_false (mc_test_xdotool_window_exists ("Sign in to"));
}

static void
test_opened_without_prompt (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GVariant) opened = build_prompt ("https://accounts.example.com/login", "Always Test Server");
  g_autoptr(GVariantDict) dict = g_variant_dict_new (opened);
  g_autoptr(GVariant) with_id = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *window = NULL;

  g_variant_dict_insert (dict, "remembered_id", "s", "remembered-1");
  with_id = g_variant_ref_sink (g_variant_dict_end (dict));

  error = call (fixture, "ShowOpened", g_variant_new ("(s@a{sv})", "p-always", with_id));
  g_assert_no_error (error);
  window = mc_test_xdotool_find_window ("Finish in your browser");

  mc_test_xdotool_press_keys (window, "Escape");
  wait_until (fixture->notices_closed->len > 0);
  g_assert_cmpstr (g_ptr_array_index (fixture->notices_closed, 0), ==, "p-always");
  g_assert_cmpuint (fixture->answers->len, ==, 0);
}

static void
test_rejects_bad_prompts (Fixture       *fixture,
                          gconstpointer  data)
{
  const char *blocked_urls[] = { "javascript:alert(1)", "http://login.example.net/" };
  g_autoptr(GVariant) wrong_type = g_variant_ref_sink (g_variant_new_parsed ("{'url': <42>}"));
  g_autoptr(GError) error = NULL;

  /* Never shown, even if the daemon's own check were to miss it. */
  for (guint i = 0; i < G_N_ELEMENTS (blocked_urls); i++)
    {
      g_autoptr(GVariant) blocked = build_prompt (blocked_urls[i], "Blocked Test Server");
      g_autofree char *remote = NULL;

      error = call (fixture, "ShowPrompt", g_variant_new ("(s@a{sv})", "p-blocked", blocked));
      g_assert_nonnull (error);
      remote = g_dbus_error_get_remote_error (error);
      g_assert_cmpstr (remote, ==, "io.github.mcp_consent.Error.UrlBlocked");
      g_clear_error (&error);
    }

  error = call (fixture, "ShowPrompt", g_variant_new ("(s@a{sv})", "p-wrong", wrong_type));
  g_assert_nonnull (error);
  {
    g_autofree char *remote = g_dbus_error_get_remote_error (error);

    g_assert_cmpstr (remote, ==, "io.github.mcp_consent.Error.InvalidArgument");
  }
  g_clear_error (&error);

  /* The prompter is still there and answers. */
  error = call (fixture, "Dismiss", g_variant_new ("(s)", "p-blocked"));
  g_assert_no_error (error);
}

static void
test_killed_prompter_closes_connection (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  show_prompt (fixture, "p-kill", "https://accounts.example.com/login", "Kill Test Server");
  g_free (mc_test_xdotool_find_window ("Open a link for Kill Test Server"));

  g_subprocess_send_signal (fixture->prompter, SIGKILL);
  wait_until (fixture->closed);
  g_assert_true (fixture->remote_vanished);
  wait_for_prompter_exit (fixture);
  g_assert_true (g_subprocess_get_if_signaled (fixture->prompter));
  g_assert_cmpint (g_subprocess_get_term_sig (fixture->prompter), ==, SIGKILL);
  g_assert_cmpuint (fixture->answers->len, ==, 0);

  error = call (fixture, "Dismiss", g_variant_new ("(s)", "p-kill"));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

static void
test_exits_when_idle (Fixture       *fixture,
                      gconstpointer  data)
{
  /* Idle timeout of 1 s (see main): nothing shown, so it goes, cleanly. */
  wait_until (fixture->closed);
  wait_for_prompter_exit (fixture);
  g_assert_true (g_subprocess_get_if_exited (fixture->prompter));
  g_assert_cmpint (g_subprocess_get_exit_status (fixture->prompter), ==, 0);
}

static void
test_exits_when_channel_closes (Fixture       *fixture,
                                gconstpointer  data)
{
  show_prompt (fixture, "p-close", "https://accounts.example.com/login", "Close Test Server");
  g_free (mc_test_xdotool_find_window ("Open a link for Close Test Server"));

  /* Even with a window up: the daemon letting go ends the prompter. */
  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  wait_for_prompter_exit (fixture);
  g_assert_true (g_subprocess_get_if_exited (fixture->prompter));
  g_assert_cmpint (g_subprocess_get_exit_status (fixture->prompter), ==, 0);
  g_assert_cmpuint (fixture->answers->len, ==, 0);
}

#define add_process_test(path, idle, func) \
  g_test_add (path, Fixture, idle, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GTestDBus) bus = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);

  /* The prompter's GtkApplication gets a private session bus, not ours
   * and not an autolaunched one.  First, as g_test_dbus_up() unsets DISPLAY. */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  if (!mc_test_xvfb_start (&error))
    {
      g_printerr ("Bail out! Cannot start Xvfb: %s\n", error->message);
      return 1;
    }

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/prompter-process/without-channel", test_without_channel);
  add_process_test ("/prompter-process/escape-dismisses", NULL, test_escape_dismisses);
  add_process_test ("/prompter-process/return-answers-nothing", NULL, test_return_answers_nothing);
  add_process_test ("/prompter-process/keyboard-open-then-notice", NULL, test_keyboard_open_then_notice);
  add_process_test ("/prompter-process/tab-space-opens", NULL, test_tab_space_opens);
  add_process_test ("/prompter-process/opened-without-prompt", NULL, test_opened_without_prompt);
  add_process_test ("/prompter-process/authorize-untick-and-allow", NULL, test_authorize_untick_and_allow);
  add_process_test ("/prompter-process/authorize-escape-dismisses", NULL, test_authorize_escape_dismisses);
  add_process_test ("/prompter-process/authorize-rejects-bad-prompts", NULL, test_authorize_rejects_bad_prompts);
  add_process_test ("/prompter-process/rejects-bad-prompts", NULL, test_rejects_bad_prompts);
  add_process_test ("/prompter-process/killed", NULL, test_killed_prompter_closes_connection);
  add_process_test ("/prompter-process/exits-when-idle", "1", test_exits_when_idle);
  add_process_test ("/prompter-process/exits-when-channel-closes", NULL, test_exits_when_channel_closes);

  status = g_test_run ();

  mc_test_xvfb_stop ();
  g_test_dbus_down (bus);

  return status;
}
