/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* A sign-in against real peers: the official TypeScript SDK's example
 * Streamable HTTP server with its demo authorization server (`--oauth`:
 * discovery, dynamic client registration, a /authorize that approves at
 * once with a 302), and the SDK's own client using the token.  The
 * installed `mcp-consent` activates the installed daemon; the scripted
 * dialog answers; a real gnome-keyring holds the token.  The browser GIO
 * starts from mimeapps.list is either follow-browser (libsoup, follows the
 * redirects) or headless Chromium, which renders the loopback listener's
 * page to a screenshot.
 *
 * Peers come from tests/npm (package-lock.json), installed by `npm ci`
 * there; build-aux/test.sh does it.  See tests/README.md. */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mc-test-env.h"
#include "mc-test-sdk.h"

#define SCHEMA "io.github.mcp_consent.Token"
#define CHROMIUM "/usr/bin/chromium"
/* The listener's page once the answer came (mc-loopback-listener.c). */
#define LISTENER_HEADING "Sign-in answer received"
#define LISTENER_CLOSE_TAB "You can close this tab."

/* The browser of a test case: registered in the test's mimeapps.list
 * before the sign-in, checked after it, and stopped by its pid. */
typedef struct
{
  gpointer (*setup)    (McTestEnv       *env);
  void     (*check)    (McTestEnv       *env,
                        McTestSdkServer *server,
                        gpointer         state);
  void     (*teardown) (gpointer         state);
} Browser;

static McTestEnv *
new_env (void)
{
  /* The installed broker, activated on the test's bus; no browser yet (the
   * test registers its own); a real keyring; the daemon's log in a file,
   * with every debug message, to be searched for the token. */
  McTestEnv *env = mc_test_env_new (MC_TEST_ENV_ACTIVATION | MC_TEST_ENV_NO_BROWSER |
                                    MC_TEST_ENV_KEYRING | MC_TEST_ENV_BUS_LOG);

  /* The daemon's debug messages too; not the CLI's, whose stdout they
   * would share. */
  mc_test_env_set_activation_env (env, "G_MESSAGES_DEBUG", "all");
  return env;
}

static char *
line_value (const char *text,
            const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], prefix))
        return g_strdup (lines[i] + strlen (prefix));
    }
  return NULL;
}

typedef struct
{
  gboolean  done;
  int       status;
  char     *out;
  char     *err;
} NodeRun;

static void
on_node_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  NodeRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source_object), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

static gboolean
node_done (gpointer user_data)
{
  return ((NodeRun *)user_data)->done;
}

/* The SDK's Client lists the tools with the token, given on stdin. */
static char *
list_tools (McTestEnv       *env,
            McTestSdkServer *server,
            const char      *token)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *node_path = mc_test_node_path ();
  g_autofree char *script = g_build_filename (mc_test_npm_dir (), "list-tools.mjs", NULL);
  g_autofree char *shim = mc_test_webcrypto_shim_path ();
  g_autofree char *input = g_strconcat (token, "\n", NULL);
  NodeRun run = { FALSE, 0, NULL, NULL };

  launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                            G_SUBPROCESS_FLAGS_STDERR_PIPE);
  node = g_subprocess_launcher_spawn (launcher, &error, node_path, "--require", shim, script, server->resource, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (node, input, NULL, on_node_done, &run);
  mc_test_wait_until (node_done, &run, "the SDK client to list the tools");
  mc_test_wait_subprocess (node);

  if (!g_subprocess_get_if_exited (node) || g_subprocess_get_exit_status (node) != 0)
    g_error ("The SDK client could not list the tools:\n%s", run.err);
  g_free (run.err);
  return run.out;
}

typedef struct
{
  gboolean     done;
  SoupMessage *message;
} HttpRun;

static void
on_http_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  HttpRun *run = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source_object), result, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

static gboolean
http_done (gpointer user_data)
{
  return ((HttpRun *)user_data)->done;
}

/* Without the token, the server refuses, and says where its metadata is. */
static void
assert_refused_without_token (McTestSdkServer *server)
{
  static const char initialize[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
    "\"capabilities\":{},\"clientInfo\":{\"name\":\"mcp-consent-e2e\",\"version\":\"1.0.0\"}}}";
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, server->resource);
  g_autoptr(GBytes) body = g_bytes_new_static (initialize, strlen (initialize));
  HttpRun run = { FALSE, message };
  const char *challenge = NULL;

  soup_message_headers_append (soup_message_get_request_headers (message), "Accept",
                               "application/json, text/event-stream");
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, on_http_done, &run);
  mc_test_wait_until (http_done, &run, "the MCP server to answer without a token");

  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_UNAUTHORIZED);
  challenge = soup_message_headers_get_one (soup_message_get_response_headers (message), "WWW-Authenticate");
  g_assert_nonnull (challenge);
  g_assert_true (g_str_has_prefix (challenge, "Bearer "));
  g_assert_nonnull (strstr (challenge, "resource_metadata="));
}

/* The keyring's items of our schema for this server, as the Secret
 * Service lists them. */
static GPtrArray *
items_for (McTestEnv  *env,
           const char *resource)
{
  g_autoptr(GPtrArray) items = mc_test_env_list_secret_items (env, SCHEMA);
  GPtrArray *matching = g_ptr_array_new ();

  for (guint i = 0; i < items->len; i++)
    {
      McTestSecretItem *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (g_hash_table_lookup (item->attributes, "resource"), resource) == 0)
        g_ptr_array_add (matching, g_strdup (item->path));
    }
  g_ptr_array_set_free_func (matching, g_free);
  return matching;
}

static void
assert_token_in_keyring_only (McTestEnv  *env,
                              const char *resource,
                              const char *token)
{
  g_autoptr(GPtrArray) items = mc_test_env_list_secret_items (env, SCHEMA);
  g_autoptr(GPtrArray) found = NULL;
  guint access_items = 0;

  for (guint i = 0; i < items->len; i++)
    {
      McTestSecretItem *item = g_ptr_array_index (items, i);
      g_autofree char *secret = NULL;

      if (g_strcmp0 (g_hash_table_lookup (item->attributes, "resource"), resource) != 0)
        continue;
      /* The demo server gives no refresh token: one item, the access token. */
      g_assert_cmpstr (g_hash_table_lookup (item->attributes, "kind"), ==, "access");
      g_assert_cmpstr (g_hash_table_lookup (item->attributes, "app"), ==, "host");
      g_assert_false (item->locked);
      secret = mc_test_env_dup_secret (env, item->path);
      g_assert_cmpstr (secret, ==, token);
      access_items++;
    }
  g_assert_cmpuint (access_items, ==, 1);

  /* Not in the state files, the dialog's record, the browser's files and
   * profile, the keyring's file in clear, or the daemon's log. */
  found = mc_test_env_find_in_files (env, token);
  for (guint i = 0; i < found->len; i++)
    g_test_message ("The token is in %s", (const char *)g_ptr_array_index (found, i));
  g_assert_cmpuint (found->len, ==, 0);
}

static void
assert_daemon_logged (McTestEnv *env)
{
  g_autofree char *path = g_build_filename (env->dir, "bus.log", NULL);
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;

  /* The search above means something only if the daemon did log there. */
  g_file_get_contents (path, &log, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (log, "opening the browser"));
}

static char *
find_grant (McTestEnv  *env,
            const char *resource)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  JsonArray *grants = NULL;
  char *id = NULL;

  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "grants", "--json", NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  grants = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (grants); i++)
    {
      JsonObject *grant = json_array_get_object_element (grants, i);

      if (g_strcmp0 (json_object_get_string_member (grant, "resource"), resource) != 0)
        continue;
      g_assert_null (id);
      id = g_strdup (json_object_get_string_member (grant, "id"));
      g_assert_false (json_object_get_boolean_member (grant, "needs_sign_in"));
    }
  return id;
}

static void
run_sign_in (const Browser *browser)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McTestSdkServer) server = mc_test_sdk_server_start_oauth (env);
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *signed_in = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *listed_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *tools = NULL;
  g_autofree char *revoked = NULL;
  g_autofree char *not_authorized = NULL;
  gpointer browser_state = NULL;
  gint64 started = 0;

  browser_state = browser->setup (env);
  assert_refused_without_token (server);

  /* Sign in: discovery, registration, the dialog, the browser, the code. */
  started = g_get_monotonic_time ();
  mc_test_env_set_script (env, "open\n");
  if (mc_test_env_run_cli (env, &out, &err, "authorize", server->resource, NULL) != 0)
    g_error ("mcp-consent authorize failed:\n%s", err);
  g_test_message ("authorize took %.2f s", (g_get_monotonic_time () - started) / (double)G_USEC_PER_SEC);
  signed_in = g_strdup_printf ("Signed in to %s\n", server->resource);
  g_assert_true (g_str_has_prefix (out, signed_in));
  grant_id = line_value (out, "Grant: ");
  g_assert_nonnull (grant_id);
  g_assert_cmpuint (strlen (grant_id), >, 0);
  g_assert_cmpstr (grant_id, !=, "?");
  /* What the server's resource metadata offers, all of it allowed. */
  g_assert_nonnull (strstr (out, "\nScopes: mcp:tools\n"));

  prompt = mc_test_env_wait_record (env, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "event"), ==, "prompt");
  g_assert_cmpstr (json_object_get_string_member (prompt, "kind"), ==, "authorize");

  browser->check (env, server, browser_state);

  /* The grant, listed. */
  listed_id = find_grant (env, server->resource);
  g_assert_cmpstr (listed_id, ==, grant_id);

  /* The token works with a real MCP client. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "token", server->resource, NULL), ==, 0);
  g_assert_true (g_str_has_suffix (out, "\n"));
  token = g_strndup (out, strlen (out) - 1);
  g_assert_cmpuint (strlen (token), >, 0);
  g_assert_null (strchr (token, '\n'));
  tools = list_tools (env, server, token);
  {
    g_auto(GStrv) names = g_strsplit (tools, "\n", -1);

    g_assert_true (g_strv_contains ((const char * const *)names, "greet"));
  }

  assert_token_in_keyring_only (env, server->resource, token);
  assert_daemon_logged (env);

  /* Revoked: no token any more, and no keyring item. */
  g_assert_cmpint (mc_test_env_run_cli (env, &revoked, NULL, "revoke", grant_id, NULL), ==, 0);
  {
    g_autofree char *line = g_strdup_printf ("Revoked grant %s for %s.\n", grant_id, server->resource);

    g_assert_true (g_str_has_prefix (revoked, line));
  }
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (mc_test_env_run_cli (env, &out, &not_authorized, "token", server->resource, NULL), ==, 3);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_str_has_prefix (not_authorized, "mcp-consent: "));
  g_assert_nonnull (strstr (not_authorized, "not been authorized"));
  items = items_for (env, server->resource);
  g_assert_cmpuint (items->len, ==, 0);

  /* And still in no file, after the revocation's own logging. */
  found = mc_test_env_find_in_files (env, token);
  g_assert_cmpuint (found->len, ==, 0);

  browser->teardown (browser_state);
}

/* follow-browser {{{1 */

static gboolean
pid_gone (gpointer user_data)
{
  return mc_test_process_gone (GPOINTER_TO_INT (user_data));
}

typedef struct
{
  McTestEnv  *env;
  JsonObject *loaded;
} BrowserWait;

static JsonObject *
browser_event (McTestEnv  *env,
               const char *event)
{
  g_autofree char *log = mc_test_env_read_browser_log (env);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);

  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *object = NULL;

      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      object = json_node_get_object (json_parser_get_root (parser));
      if (g_str_equal (json_object_get_string_member (object, "event"), event))
        return json_object_ref (object);
    }
  return NULL;
}

static gboolean
browser_finished (gpointer user_data)
{
  BrowserWait *wait = user_data;

  wait->loaded = browser_event (wait->env, "loaded");
  if (wait->loaded == NULL)
    wait->loaded = browser_event (wait->env, "failed");
  return wait->loaded != NULL;
}

static void
check_follow_browser (McTestEnv       *env,
                      McTestSdkServer *server,
                      gpointer         user_data)
{
  BrowserWait wait = { env, NULL };
  g_autoptr(JsonObject) started = NULL;
  g_autoptr(JsonObject) loaded = NULL;
  g_autofree char *authorization_endpoint = g_strdup_printf ("http://localhost:%u/authorize?", server->auth_port);
  const char *final_url = NULL;
  int pid = 0;

  mc_test_wait_until (browser_finished, &wait, "the browser to load the listener's page");
  loaded = wait.loaded;
  g_assert_cmpstr (json_object_get_string_member (loaded, "event"), ==, "loaded");
  started = browser_event (env, "started");
  pid = json_object_get_int_member (started, "pid");
  g_assert_cmpint (json_object_get_int_member (loaded, "pid"), ==, pid);
  /* Not our child: it exits by itself once the page is read. */
  mc_test_wait_until (pid_gone, GINT_TO_POINTER (pid),
                      "the browser to exit");

  /* The demo server's /authorize approved with one 302, to the listener. */
  g_assert_true (g_str_has_prefix (json_object_get_string_member (loaded, "url"), authorization_endpoint));
  g_assert_cmpint (json_object_get_int_member (loaded, "redirects"), ==, 1);
  final_url = json_object_get_string_member (loaded, "final_url");
  g_assert_true (g_str_has_prefix (final_url, "http://127.0.0.1:"));
  g_assert_nonnull (strstr (final_url, "/callback?code="));
  g_assert_cmpint (json_object_get_int_member (loaded, "status"), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (loaded, "heading"), ==, LISTENER_HEADING);
}


static gpointer
setup_follow_browser (McTestEnv *env)
{
  g_autofree char *exec = g_strdup_printf ("%s %%u", mc_test_build_path ("MC_TEST_FOLLOW_BROWSER"));

  mc_test_env_register_browser (env, "mc-follow-browser.desktop", exec);
  return env;
}

static void
teardown_follow_browser (gpointer state)
{
  McTestEnv *env = state;
  g_autoptr(JsonObject) started = browser_event (env, "started");

  /* Gone already when the test got this far; by its pid if not. */
  if (started != NULL)
    {
      int pid = json_object_get_int_member (started, "pid");

      if (!mc_test_process_gone (pid))
        {
          g_assert_no_errno (kill (pid, SIGKILL));
          mc_test_wait_until (pid_gone, GINT_TO_POINTER (pid),
                              "the browser to exit");
        }
    }
}

static const Browser follow_browser = { setup_follow_browser, check_follow_browser, teardown_follow_browser };

/* Chromium {{{1 */

typedef struct
{
  char *pid_path;
  char *wrapper_pid_path;
  char *status_path;
  char *dom_path;
  char *log_path;
  char *screenshot;
} Chromium;

static void
chromium_free (Chromium *chromium)
{
  g_free (chromium->pid_path);
  g_free (chromium->wrapper_pid_path);
  g_free (chromium->status_path);
  g_free (chromium->dom_path);
  g_free (chromium->log_path);
  g_free (chromium->screenshot);
  g_free (chromium);
}

static int
read_pid (const char *path)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  return atoi (contents);
}

static gpointer
setup_chromium (McTestEnv *env)
{
  Chromium *chromium = g_new0 (Chromium, 1);
  g_autofree char *screenshot_dir = g_test_build_filename (G_TEST_BUILT, "screenshots", NULL);
  g_autofree char *script_path = g_build_filename (env->dir, "chromium-browser.sh", NULL);
  g_autofree char *profile = g_build_filename (env->dir, "chromium-profile", NULL);
  g_autofree char *exec = NULL;
  g_autofree char *script = NULL;
  g_autofree char *q_pid = NULL;
  g_autofree char *q_wrapper_pid = NULL;
  g_autofree char *q_status = NULL;
  g_autofree char *q_dom = NULL;
  g_autofree char *q_log = NULL;
  g_autofree char *q_profile = NULL;
  g_autofree char *q_screenshot = NULL;
  g_autoptr(GError) error = NULL;

  /* The test command installs Debian's chromium; a missing one is an
   * incomplete setup, not a reason to skip. */
  if (!g_file_test (CHROMIUM, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s is missing: install Debian's chromium (build-aux/install-deps.sh test does)", CHROMIUM);

  chromium->pid_path = g_build_filename (env->dir, "chromium.pid", NULL);
  chromium->wrapper_pid_path = g_build_filename (env->dir, "chromium-wrapper.pid", NULL);
  chromium->status_path = g_build_filename (env->dir, "chromium.status", NULL);
  chromium->dom_path = g_build_filename (env->dir, "chromium.dom", NULL);
  chromium->log_path = g_build_filename (env->dir, "chromium.log", NULL);
  chromium->screenshot = g_build_filename (screenshot_dir, "listener-page.png", NULL);
  g_assert_cmpint (g_mkdir_with_parents (screenshot_dir, 0755), ==, 0);
  /* Whatever is there is an earlier run's. */
  if (g_unlink (chromium->screenshot) != 0)
    g_assert_cmpint (errno, ==, ENOENT);

  q_pid = g_shell_quote (chromium->pid_path);
  q_wrapper_pid = g_shell_quote (chromium->wrapper_pid_path);
  q_status = g_shell_quote (chromium->status_path);
  q_dom = g_shell_quote (chromium->dom_path);
  q_log = g_shell_quote (chromium->log_path);
  q_profile = g_shell_quote (profile);
  q_screenshot = g_shell_quote (chromium->screenshot);

  /* GIO runs this with the sign-in URL, from a process that exits at
   * once: the browser is nobody's child the test could wait on, so the
   * script writes down its pids.  Chromium starts helpers of its own, and
   * its crash handler leaves the process group; so it runs in a PID
   * namespace of bwrap's, which ends with bwrap: timeout(1) leads a
   * process group (its pid is the group's id) holding bwrap, so killing
   * the group ends every process Chromium started.  timeout also bounds
   * its life should the test die.  Chromium loads the page, follows the
   * redirect to the listener, dumps the final page's DOM, takes the
   * screenshot, and exits.  As root its sandbox needs --no-sandbox; it
   * makes no background requests; and it gets none of the debug settings
   * meant for our programs: fatal-criticals would abort it on a GLib
   * critical of its own (it has one, about GSettings schemas), and
   * G_MESSAGES_DEBUG would put GLib's messages in the DOM it prints. */
  script = g_strdup_printf ("#!/bin/sh\n"
                            "echo $$ > %s\n"
                            "env -u G_DEBUG -u G_MESSAGES_DEBUG -u G_SLICE -u MALLOC_CHECK_ -u MALLOC_PERTURB_ \\\n"
                            "  timeout --kill-after=5 60 \\\n"
                            "  bwrap --dev-bind / / --proc /proc --unshare-pid --die-with-parent -- \\\n"
                            "  " CHROMIUM " --headless=new --no-sandbox --disable-gpu \\\n"
                            "  --disable-background-networking --disable-component-update --disable-sync \\\n"
                            "  --no-first-run --user-data-dir=%s --window-size=900,700 \\\n"
                            "  --screenshot=%s --dump-dom \"$1\" </dev/null >%s 2>%s &\n"
                            "echo $! > %s.part && mv %s.part %s\n"
                            "wait $!\n"
                            "echo $? > %s.part && mv %s.part %s\n",
                            q_wrapper_pid, q_profile, q_screenshot, q_dom, q_log,
                            q_pid, q_pid, q_pid, q_status, q_status, q_status);
  g_file_set_contents (script_path, script, -1, &error);
  g_assert_no_error (error);
  g_assert_no_errno (g_chmod (script_path, 0700));

  exec = g_strdup_printf ("%s %%u", script_path);
  mc_test_env_register_browser (env, "mc-test-chromium.desktop", exec);
  return chromium;
}

static gboolean
chromium_finished (gpointer user_data)
{
  Chromium *chromium = user_data;

  return g_file_test (chromium->status_path, G_FILE_TEST_EXISTS);
}

static void
check_screenshot (const char *path)
{
  static const guint8 png_signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr(GSubprocess) identify = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) fields = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, sizeof png_signature);
  g_assert_cmpmem (contents, sizeof png_signature, png_signature, sizeof png_signature);

  /* The window's size, and more than a blank page's colours. */
  identify = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                               "identify", "-format", "%w %h %k", path, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (identify, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  fields = g_strsplit (out, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 3);
  g_assert_cmpstr (fields[0], ==, "900");
  g_assert_cmpstr (fields[1], ==, "700");
  g_assert_cmpuint (g_ascii_strtoull (fields[2], NULL, 10), >=, 16);

  g_test_message ("Screenshot: %s", path);
}

static void
check_chromium (McTestEnv       *env,
                McTestSdkServer *server,
                gpointer         state)
{
  Chromium *chromium = state;
  g_autofree char *status = NULL;
  g_autofree char *dom = NULL;
  g_autofree char *log = NULL;
  g_autofree char *heading = g_strdup_printf ("<h1>%s</h1>", LISTENER_HEADING);
  g_autoptr(GError) error = NULL;

  mc_test_wait_until (chromium_finished, chromium, "Chromium to render the listener's page and exit");
  g_file_get_contents (chromium->status_path, &status, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (chromium->log_path, &log, NULL, NULL);
  if (g_strcmp0 (status, "0\n") != 0)
    g_error ("Chromium exited with status %s:\n%s", status, log);

  /* The page it ended on is the listener's, after the sign-in. */
  g_file_get_contents (chromium->dom_path, &dom, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (dom, heading));
  g_assert_nonnull (strstr (dom, LISTENER_CLOSE_TAB));

  check_screenshot (chromium->screenshot);
}

static void
teardown_chromium (gpointer state)
{
  Chromium *chromium = state;
  int pid = read_pid (chromium->pid_path);
  int wrapper_pid = read_pid (chromium->wrapper_pid_path);

  /* Chromium and its helpers, by the group's id, should any be left. */
  if (pid > 1)
    mc_test_kill_process_group (pid);
  if (wrapper_pid > 1)
    mc_test_wait_until (pid_gone, GINT_TO_POINTER (wrapper_pid),
                        "the browser's wrapper to exit");
  chromium_free (chromium);
}

static const Browser chromium_browser = { setup_chromium, check_chromium, teardown_chromium };

/* Test cases {{{1 */

static void
test_sdk_follow_browser (void)
{
  run_sign_in (&follow_browser);
}

static void
test_sdk_chromium (void)
{
  run_sign_in (&chromium_browser);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  mc_test_ensure_installed ();

  g_test_add_func ("/e2e-oauth/sdk-example/follow-browser", test_sdk_follow_browser);
  g_test_add_func ("/e2e-oauth/sdk-example/chromium", test_sdk_chromium);

  return g_test_run ();
}
