/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The MCP TypeScript SDK's example servers from tests/npm, as children of
 * a test: the end-to-end sign-ins (test-e2e-oauth.c) run
 * simpleStreamableHttp.js --oauth, and the URL elicitation tests
 * (test-bridge-elicitation.c) elicitationUrlExample.js, on two ports
 * picked free, since their metadata names them; the bridge's tests
 * (test-bridge-sdk.c) run the other examples, most of which listen on a
 * fixed port, with tests/node-listen-any-port.cjs preloaded: every server
 * of the process then listens on a port the system picks, on loopback,
 * and says which. */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "mc-test-sdk.h"

/* Ports are picked free, then the server binds them; another process may
 * take one in between.  That is rare: a few tries are plenty. */
#define MAX_START_ATTEMPTS 5
#define MCP_LISTENING "MCP Streamable HTTP Server listening on port "
#define AS_LISTENING "OAuth Authorization Server listening on port "
#define ANY_PORT_LISTENING "mc-test-listening "

const char *
mc_test_npm_dir (void)
{
  static char *dir;

  if (dir == NULL)
    dir = g_build_filename (mc_test_build_path ("MC_TEST_SOURCE_ROOT"), "tests", "npm", NULL);
  return dir;
}

/**
 * mc_test_node_path:
 *
 * Returns: (transfer full): the node program; the test fails if there is
 *   none (check with mc_test_sdk_check() to skip instead)
 */
char *
mc_test_node_path (void)
{
  char *node = g_find_program_in_path ("node");

  if (node == NULL)
    g_error ("node is not installed; build-aux/install-deps.sh test installs it");
  return node;
}

/* Node.js 18 (Debian 12's) lacks a global the SDK uses; see the file. */
char *
mc_test_webcrypto_shim_path (void)
{
  return g_build_filename (mc_test_npm_dir (), "node18-webcrypto.cjs", NULL);
}

static char *
example_path (const char *file)
{
  return g_build_filename (mc_test_npm_dir (), "node_modules", "@modelcontextprotocol", "sdk", "dist", "esm",
                           "examples", "server", file, NULL);
}

/**
 * mc_test_sdk_example_path:
 * @file: an example server's file, such as "simpleSseServer.js"
 *
 * Returns: (transfer full): its path; the test fails if it is missing
 */
char *
mc_test_sdk_example_path (const char *file)
{
  char *path = example_path (file);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    g_error ("%s is missing: run “npm ci” in %s (build-aux/test.sh does)", path, mc_test_npm_dir ());
  return path;
}

/**
 * mc_test_sdk_check:
 * @out_reason: (out) (transfer full): why not, when not
 *
 * Returns: whether Node.js and the SDK from tests/npm are there
 */
gboolean
mc_test_sdk_check (char **out_reason)
{
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *example = example_path ("simpleStreamableHttp.js");

  if (node == NULL)
    {
      *out_reason = g_strdup ("Node.js is not installed (build-aux/install-deps.sh test installs it)");
      return FALSE;
    }
  if (!g_file_test (example, G_FILE_TEST_IS_REGULAR))
    {
      *out_reason = g_strdup_printf ("the MCP SDK is not installed: run “npm ci” in %s (build-aux/test.sh does)",
                                     mc_test_npm_dir ());
      return FALSE;
    }
  return TRUE;
}

/**
 * mc_test_sdk_check_or_skip:
 *
 * For a test case that needs the SDK: when Node.js or tests/npm is
 * missing, marks the case skipped, with the reason.
 *
 * Returns: whether the SDK is there
 */
gboolean
mc_test_sdk_check_or_skip (void)
{
  g_autofree char *reason = NULL;

  if (mc_test_sdk_check (&reason))
    return TRUE;
  g_test_skip (reason);
  return FALSE;
}

/* The output {{{1 */

static void read_next_line (McTestSdkServer *server);

static void
on_line (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  McTestSdkServer *server = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source_object), result, NULL, NULL);
  if (line == NULL)
    {
      /* End of output, or cancelled when stopping. */
      server->reading = FALSE;
      return;
    }

  g_string_append_printf (server->log, "%s\n", line);
  if (g_str_has_prefix (line, MCP_LISTENING) || g_str_has_prefix (line, AS_LISTENING))
    server->listening++;
  if (g_str_has_prefix (line, ANY_PORT_LISTENING) && server->mcp_port == 0)
    {
      server->mcp_port = (guint16) g_ascii_strtoull (line + strlen (ANY_PORT_LISTENING), NULL, 10);
      server->listening++;
    }
  read_next_line (server);
}

static void
read_next_line (McTestSdkServer *server)
{
  /* Read for the server's whole life: Node writes to a pipe
   * synchronously, and would block once it is full. */
  server->reading = TRUE;
  g_data_input_stream_read_line_async (server->output, G_PRIORITY_DEFAULT, server->cancellable, on_line, server);
}

static gboolean
server_not_reading (gpointer user_data)
{
  return !((McTestSdkServer *) user_data)->reading;
}

void
mc_test_sdk_server_stop (McTestSdkServer *server)
{
  if (server == NULL)
    return;

  /* The test's child: stopped by its pid (SIGTERM ends Node). */
  if (server->process != NULL)
    {
      if (g_subprocess_get_identifier (server->process) != NULL)
        g_subprocess_send_signal (server->process, SIGTERM);
      mc_test_wait_subprocess (server->process);
    }
  if (server->output != NULL)
    {
      g_cancellable_cancel (server->cancellable);
      mc_test_wait_until (server_not_reading, server, "the server's output to close");
    }

  g_clear_object (&server->output);
  g_clear_object (&server->process);
  g_clear_object (&server->cancellable);
  g_string_free (server->log, TRUE);
  g_free (server->resource);
  g_free (server);
}

static McTestSdkServer *
server_new (void)
{
  McTestSdkServer *server = g_new0 (McTestSdkServer, 1);

  server->log = g_string_new (NULL);
  server->cancellable = g_cancellable_new ();
  return server;
}

static void
server_spawn (McTestSdkServer     *server,
              GSubprocessLauncher *launcher,
              GPtrArray           *argv)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_cwd (launcher, mc_test_npm_dir ());
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  server->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  read_next_line (server);
}

typedef struct
{
  McTestSdkServer *server;
  guint            listening;
} ListenWait;

static gboolean
listening_or_gone (gpointer user_data)
{
  ListenWait *wait = user_data;

  return wait->server->listening >= wait->listening || !wait->server->reading;
}

/* Starting {{{1 */

/**
 * mc_test_sdk_server_start:
 * @env: the test's environment
 * @example: the example's file, such as "simpleSseServer.js"
 * @args: (nullable) (array zero-terminated=1): its arguments
 *
 * Starts an example that listens once, on a port the system picks
 * (whatever port the example names), on 127.0.0.1.
 *
 * Returns: (transfer full): the server, listening; its MCP endpoint is
 *   assumed at /mcp, where the examples have it
 */
McTestSdkServer *
mc_test_sdk_server_start (McTestEnv          *env,
                          const char         *example,
                          const char * const *args)
{
  McTestSdkServer *server = server_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ListenWait wait = { server, 1 };

  g_ptr_array_add (argv, mc_test_node_path ());
  g_ptr_array_add (argv, g_strdup ("--require"));
  g_ptr_array_add (argv, mc_test_webcrypto_shim_path ());
  g_ptr_array_add (argv, g_strdup ("--require"));
  g_ptr_array_add (argv, g_build_filename (mc_test_build_path ("MC_TEST_SOURCE_ROOT"), "tests",
                                           "node-listen-any-port.cjs", NULL));
  g_ptr_array_add (argv, mc_test_sdk_example_path (example));
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  server_spawn (server, launcher, argv);

  mc_test_wait_until (listening_or_gone, &wait, "the SDK example server to listen");
  if (server->mcp_port == 0)
    g_error ("%s exited before listening:\n%s", example, server->log->str);
  server->resource = g_strdup_printf ("http://127.0.0.1:%u/mcp", server->mcp_port);
  return server;
}


/* One try on two free ports; %NULL when a port was taken after all. */
static McTestSdkServer *
oauth_try_start (McTestEnv          *env,
                 const char         *example,
                 const char * const *node_args,
                 const char * const *args)
{
  g_autoptr(McTestSdkServer) server = server_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSocket) mcp_socket = NULL;
  g_autoptr(GSocket) auth_socket = NULL;
  g_autofree char *mcp_port = NULL;
  g_autofree char *auth_port = NULL;
  ListenWait wait = { server, 2 };

  server->mcp_port = mc_test_reserve_port (&mcp_socket);
  server->auth_port = mc_test_reserve_port (&auth_socket);
  g_clear_object (&mcp_socket);
  g_clear_object (&auth_socket);
  mcp_port = g_strdup_printf ("%u", server->mcp_port);
  auth_port = g_strdup_printf ("%u", server->auth_port);
  server->resource = g_strdup_printf ("http://localhost:%u/mcp", server->mcp_port);

  g_ptr_array_add (argv, mc_test_node_path ());
  g_ptr_array_add (argv, g_strdup ("--require"));
  g_ptr_array_add (argv, mc_test_webcrypto_shim_path ());
  for (guint i = 0; node_args != NULL && node_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (node_args[i]));
  g_ptr_array_add (argv, mc_test_sdk_example_path (example));
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "MCP_PORT", mcp_port, TRUE);
  g_subprocess_launcher_setenv (launcher, "MCP_AUTH_PORT", auth_port, TRUE);
  server_spawn (server, launcher, argv);

  mc_test_wait_until (listening_or_gone, &wait, "the SDK example server to listen on both ports");
  if (server->listening == 2)
    {
      g_autofree char *mcp_line = g_strdup_printf (MCP_LISTENING "%u\n", server->mcp_port);
      g_autofree char *auth_line = g_strdup_printf (AS_LISTENING "%u\n", server->auth_port);

      g_assert_nonnull (strstr (server->log->str, mcp_line));
      g_assert_nonnull (strstr (server->log->str, auth_line));
      return g_steal_pointer (&server);
    }

  /* It exited before listening: nothing it printed can hold a token. */
  if (strstr (server->log->str, "EADDRINUSE") != NULL)
    {
      g_test_message ("Port %u or %u was taken; trying other ports", server->mcp_port, server->auth_port);
      return NULL;
    }
  g_error ("The SDK example server %s exited before listening:\n%s", example, server->log->str);
}

/**
 * mc_test_sdk_server_start_oauth_example:
 * @env: the test's environment
 * @example: an example with the demo authorization server beside it, such
 *   as "elicitationUrlExample.js" (it reads MCP_PORT and MCP_AUTH_PORT)
 * @node_args: (nullable) (array zero-terminated=1): options for node,
 *   before the example (`--import FILE`, say)
 * @args: (nullable) (array zero-terminated=1): the example's arguments
 *
 * Starts the MCP server and its demo authorization server, each on a port
 * picked free (the MCP server's metadata names the other's).
 *
 * Returns: (transfer full): the server; @resource is at localhost
 */
McTestSdkServer *
mc_test_sdk_server_start_oauth_example (McTestEnv          *env,
                                        const char         *example,
                                        const char * const *node_args,
                                        const char * const *args)
{
  for (guint attempt = 0; attempt < MAX_START_ATTEMPTS; attempt++)
    {
      McTestSdkServer *server = oauth_try_start (env, example, node_args, args);

      if (server != NULL)
        return server;
    }
  g_error ("The SDK example server found no free ports in %u tries", MAX_START_ATTEMPTS);
}

/**
 * mc_test_sdk_server_start_oauth:
 * @env: the test's environment
 *
 * Starts simpleStreamableHttp.js --oauth (see
 * mc_test_sdk_server_start_oauth_example()).
 *
 * Returns: (transfer full): the server; @resource is at localhost
 */
McTestSdkServer *
mc_test_sdk_server_start_oauth (McTestEnv *env)
{
  const char * const args[] = { "--oauth", NULL };

  return mc_test_sdk_server_start_oauth_example (env, "simpleStreamableHttp.js", NULL, args);
}

/* Its log {{{1 */

gboolean
mc_test_sdk_server_log_has (McTestSdkServer *server,
                            const char      *text)
{
  return strstr (server->log->str, text) != NULL;
}

typedef struct
{
  McTestSdkServer *server;
  const char      *text;
} LogWait;

static gboolean
log_has_or_gone (gpointer user_data)
{
  LogWait *wait = user_data;

  return mc_test_sdk_server_log_has (wait->server, wait->text) || !wait->server->reading;
}

/**
 * mc_test_sdk_server_wait_log:
 * @server: a #McTestSdkServer
 * @text: what to wait for
 *
 * Waits until the server logged @text.
 */
void
mc_test_sdk_server_wait_log (McTestSdkServer *server,
                             const char      *text)
{
  LogWait wait = { server, text };

  mc_test_wait_until (log_has_or_gone, &wait, text);
  if (!mc_test_sdk_server_log_has (server, text))
    g_error ("The SDK example server's output ended without “%s”", text);
}

/**
 * mc_test_sdk_server_wait_session_id:
 * @server: a #McTestSdkServer
 *
 * Waits until the example logged the MCP session it started ("Session
 * initialized with ID: …", as the Streamable HTTP examples do).
 *
 * Returns: (transfer full): the first session's id
 */
char *
mc_test_sdk_server_wait_session_id (McTestSdkServer *server)
{
  const char *prefix = "Session initialized with ID: ";
  const char *start = NULL;

  mc_test_sdk_server_wait_log (server, prefix);
  start = strstr (server->log->str, prefix) + strlen (prefix);
  return g_strndup (start, strcspn (start, "\n"));
}
