/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The real peers of the sign-in benchmarks, as tests/test-e2e-oauth.c
 * runs them: the MCP SDK's example server from tests/npm (installed by
 * `npm ci` there), the SDK's client (tests/npm/list-tools.mjs), and the
 * broker's own command line from the build tree. */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mc-bench-config.h"
#include "mc-bench-peers.h"

/* Ports are picked free, then the server binds them; another process may
 * take one in between.  That is rare: a few tries are plenty. */
#define MAX_START_ATTEMPTS 5
#define MCP_LISTENING "MCP Streamable HTTP Server listening on port "
#define AS_LISTENING "OAuth Authorization Server listening on port "

const char *
mc_bench_npm_dir (void)
{
  static char *dir;

  if (dir == NULL)
    dir = g_build_filename (MC_BENCH_SOURCE_ROOT, "tests", "npm", NULL);
  return dir;
}

/**
 * mc_bench_npm_module_path:
 * @first_element: the first element below tests/npm/node_modules
 * @...: more elements, %NULL-terminated
 *
 * Returns: (transfer full): the path, whether it exists or not
 */
char *
mc_bench_npm_module_path (const char *first_element,
                          ...)
{
  g_autoptr(GPtrArray) elements = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (elements, (char *)mc_bench_npm_dir ());
  g_ptr_array_add (elements, (char *)"node_modules");
  va_start (args, first_element);
  for (const char *element = first_element; element != NULL; element = va_arg (args, const char *))
    g_ptr_array_add (elements, (char *)element);
  va_end (args);
  g_ptr_array_add (elements, NULL);

  return g_build_filenamev ((char **)elements->pdata);
}

char *
mc_bench_node_path (void)
{
  return g_find_program_in_path ("node");
}

/**
 * mc_bench_node_version:
 * @node: the node executable
 *
 * Returns: (transfer full) (nullable): its version without the "v", such
 *   as "20.19.2"
 */
char *
mc_bench_node_version (const char *node)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL,
                              node, "--version", NULL);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, NULL) ||
      out == NULL)
    return NULL;
  g_strstrip (out);
  return g_strdup (out[0] == 'v' ? out + 1 : out);
}

gboolean
mc_bench_version_at_least (const char *version,
                           guint       major,
                           guint       minor,
                           guint       micro)
{
  guint have[3] = { 0, 0, 0 };
  guint want[3] = { major, minor, micro };
  const char *p = version;

  for (guint i = 0; i < 3 && p != NULL && *p != '\0'; i++)
    {
      char *end = NULL;

      have[i] = (guint) g_ascii_strtoull (p, &end, 10);
      p = (end != NULL && *end == '.') ? end + 1 : NULL;
    }
  for (guint i = 0; i < 3; i++)
    {
      if (have[i] != want[i])
        return have[i] > want[i];
    }
  return TRUE;
}

/* Node.js 18 (Debian 12's) lacks a global the SDK uses; see the file. */
char *
mc_bench_webcrypto_shim_path (void)
{
  return g_build_filename (mc_bench_npm_dir (), "node18-webcrypto.cjs", NULL);
}

static char *
sdk_example_path (void)
{
  return mc_bench_npm_module_path ("@modelcontextprotocol", "sdk", "dist", "esm", "examples", "server",
                                   "simpleStreamableHttp.js", NULL);
}

/**
 * mc_bench_check_sdk:
 * @out_reason: (out): why not, when not
 *
 * Returns: whether Node.js and the SDK from tests/npm are there
 */
gboolean
mc_bench_check_sdk (char **out_reason)
{
  g_autofree char *node = mc_bench_node_path ();
  g_autofree char *example = sdk_example_path ();

  if (node == NULL)
    {
      *out_reason = g_strdup ("Node.js is not installed (build-aux/install-deps.sh bench installs it)");
      return FALSE;
    }
  if (!g_file_test (example, G_FILE_TEST_IS_REGULAR))
    {
      *out_reason = g_strdup_printf ("%s is missing: run “npm ci” in %s (bench/run-benchmarks.sh does)",
                                     example, mc_bench_npm_dir ());
      return FALSE;
    }
  return TRUE;
}

/* mcp-remote 0.15.1 depends on undici 7, which needs this. */
#define REMOTE_NODE_MAJOR 20
#define REMOTE_NODE_MINOR 18
#define REMOTE_NODE_MICRO 1

/**
 * mc_bench_check_mcp_remote:
 * @out_reason: (out): why not, when not
 *
 * Returns: (transfer full) (nullable): the path of mcp-remote's
 *   `dist/proxy.js` in tests/npm, when it is there with the SDK and a
 *   Node.js new enough for it
 */
char *
mc_bench_check_mcp_remote (char **out_reason)
{
  g_autofree char *node = NULL;
  g_autofree char *node_version = NULL;
  g_autofree char *proxy = NULL;

  if (!mc_bench_check_sdk (out_reason))
    return NULL;
  node = mc_bench_node_path ();
  node_version = mc_bench_node_version (node);
  if (node_version == NULL ||
      !mc_bench_version_at_least (node_version, REMOTE_NODE_MAJOR, REMOTE_NODE_MINOR, REMOTE_NODE_MICRO))
    {
      *out_reason = g_strdup_printf ("mcp-remote 0.15.1 needs Node.js >= %d.%d.%d (undici 7); %s is %s",
                                     REMOTE_NODE_MAJOR, REMOTE_NODE_MINOR, REMOTE_NODE_MICRO, node,
                                     node_version != NULL ? node_version : "of unknown version");
      return NULL;
    }
  proxy = mc_bench_npm_module_path ("mcp-remote", "dist", "proxy.js", NULL);
  if (!g_file_test (proxy, G_FILE_TEST_IS_REGULAR))
    {
      *out_reason = g_strdup_printf ("%s is missing: run “npm ci” in %s", proxy, mc_bench_npm_dir ());
      return NULL;
    }
  return g_steal_pointer (&proxy);
}

/**
 * mc_bench_pick_port:
 * @out_socket: (out): the socket bound to it, to keep until every port
 *   is picked, so that two picks differ
 *
 * Returns: a loopback port nothing listens on now
 */
guint16
mc_bench_pick_port (GSocket **out_socket)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (socket == NULL || !g_socket_bind (socket, address, FALSE, &error) ||
      (bound = g_socket_get_local_address (socket, &error)) == NULL)
    g_error ("Cannot pick a free port: %s", error->message);

  *out_socket = g_steal_pointer (&socket);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* The SDK server {{{1 */

static void read_next_line (McBenchSdkServer *server);

static void
on_line (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  McBenchSdkServer *server = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source_object), result, NULL, NULL);
  if (line == NULL)
    {
      /* End of output, or cancelled when stopping. */
      server->reading = FALSE;
      return;
    }

  /* What it printed before listening tells why it did not; after that
   * only its size matters, so the log is capped. */
  if (server->log->len < 64 * 1024)
    g_string_append_printf (server->log, "%s\n", line);
  if (g_str_has_prefix (line, MCP_LISTENING) || g_str_has_prefix (line, AS_LISTENING))
    server->listening++;
  read_next_line (server);
}

static void
read_next_line (McBenchSdkServer *server)
{
  /* Read for the server's whole life: Node writes to a pipe
   * synchronously, and would block once it is full. */
  server->reading = TRUE;
  g_data_input_stream_read_line_async (server->output, G_PRIORITY_DEFAULT, server->cancellable, on_line, server);
}

static gboolean
server_ready_or_gone (gpointer user_data)
{
  McBenchSdkServer *server = user_data;

  return server->listening == server->expected_listening || !server->reading;
}

static gboolean
server_not_reading (gpointer user_data)
{
  return !((McBenchSdkServer *)user_data)->reading;
}

void
mc_bench_sdk_server_stop (McBenchSdkServer *server)
{
  if (server == NULL)
    return;

  /* The benchmark's child: stopped by its pid (SIGTERM ends Node). */
  if (server->process != NULL)
    mc_bench_stop_process (server->process);
  if (server->cancellable != NULL)
    g_cancellable_cancel (server->cancellable);
  if (server->output != NULL)
    mc_bench_wait_until (server_not_reading, server, MC_BENCH_TIMEOUT_SECONDS);

  g_clear_object (&server->output);
  g_clear_object (&server->process);
  g_clear_object (&server->cancellable);
  g_string_free (server->log, TRUE);
  g_free (server->resource);
  g_free (server);
}

/* One try on two free ports; %NULL without an error when a port was
 * taken after all. */
static McBenchSdkServer *
sdk_server_try_start (McBenchEnv  *env,
                      gboolean     oauth,
                      GError     **error)
{
  g_autoptr(McBenchSdkServer) server = g_new0 (McBenchSdkServer, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSocket) mcp_socket = NULL;
  g_autoptr(GSocket) auth_socket = NULL;
  g_autofree char *node = mc_bench_node_path ();
  g_autofree char *example = sdk_example_path ();
  g_autofree char *shim = mc_bench_webcrypto_shim_path ();
  g_autofree char *mcp_port = NULL;
  g_autofree char *auth_port = NULL;

  server->log = g_string_new (NULL);
  server->cancellable = g_cancellable_new ();
  server->mcp_port = mc_bench_pick_port (&mcp_socket);
  server->auth_port = mc_bench_pick_port (&auth_socket);
  g_clear_object (&mcp_socket);
  g_clear_object (&auth_socket);
  mcp_port = g_strdup_printf ("%u", server->mcp_port);
  auth_port = g_strdup_printf ("%u", server->auth_port);
  server->resource = g_strdup_printf ("http://localhost:%u/mcp", server->mcp_port);

  launcher = mc_bench_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "MCP_PORT", mcp_port, TRUE);
  g_subprocess_launcher_setenv (launcher, "MCP_AUTH_PORT", auth_port, TRUE);
  g_subprocess_launcher_set_cwd (launcher, mc_bench_npm_dir ());
  /* Without --oauth it starts no authorization server: one line. */
  server->expected_listening = oauth ? 2 : 1;
  server->process = g_subprocess_launcher_spawn (launcher, error, node, "--require", shim, example,
                                                 oauth ? "--oauth" : NULL, NULL);
  if (server->process == NULL)
    return NULL;
  server->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  read_next_line (server);

  if (!mc_bench_wait_until (server_ready_or_gone, server, MC_BENCH_TIMEOUT_SECONDS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "The SDK example server did not listen within %d s:\n%s",
                   MC_BENCH_TIMEOUT_SECONDS, server->log->str);
      return NULL;
    }
  if (server->listening == server->expected_listening)
    return g_steal_pointer (&server);

  if (strstr (server->log->str, "EADDRINUSE") != NULL)
    {
      g_printerr ("Port %u or %u was taken; trying other ports\n", server->mcp_port, server->auth_port);
      return NULL;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The SDK example server exited before listening:\n%s",
               server->log->str);
  return NULL;
}

/**
 * mc_bench_sdk_server_start_full:
 * @env: the environment to run it in
 * @oauth: whether the server asks for a token (`--oauth`, with its demo
 *   authorization server on the second port) or serves anyone
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the server, listening on two free ports (the
 *   second unused without @oauth)
 */
McBenchSdkServer *
mc_bench_sdk_server_start_full (McBenchEnv  *env,
                                gboolean     oauth,
                                GError     **error)
{
  for (guint attempt = 0; attempt < MAX_START_ATTEMPTS; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      McBenchSdkServer *server = sdk_server_try_start (env, oauth, &local_error);

      if (server != NULL)
        return server;
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
               "The SDK example server found no free ports in %u tries", MAX_START_ATTEMPTS);
  return NULL;
}

/**
 * mc_bench_sdk_server_start:
 * @env: the environment to run it in
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the server with its demo authorization
 *   server (`--oauth`), listening on two free ports
 */
McBenchSdkServer *
mc_bench_sdk_server_start (McBenchEnv  *env,
                           GError     **error)
{
  return mc_bench_sdk_server_start_full (env, TRUE, error);
}

/* Running programs {{{1 */

typedef struct
{
  gboolean  communicated;
  gboolean  exited;
  gint64    end;
  char     *out;
  char     *err;
  GError   *error;
} RunWait;

static void
on_communicated (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RunWait *wait = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source_object), result, &wait->out, &wait->err,
                                        &wait->error);
  wait->communicated = TRUE;
}

static void
on_exited (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RunWait *wait = user_data;

  wait->end = g_get_monotonic_time ();
  g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, NULL);
  wait->exited = TRUE;
}

static gboolean
run_done (gpointer user_data)
{
  RunWait *wait = user_data;

  return wait->communicated && wait->exited;
}

/**
 * mc_bench_run_program:
 * @env: the environment to run it in
 * @argv: the program and its arguments
 * @input: (nullable): what to write on its stdin
 * @run: (out caller-allocates): its status, output and time; clear it
 *   with mc_bench_run_clear()
 * @error: return location for a #GError
 *
 * Runs a program to its exit, the benchmark's main loop running all the
 * while.  The time runs from just before the spawn to its exit.
 *
 * Returns: %FALSE if it could not be started, or did not exit in time
 *   (it is killed then)
 */
gboolean
mc_bench_run_program (McBenchEnv         *env,
                      const char * const *argv,
                      const char         *input,
                      McBenchRun         *run,
                      GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  RunWait wait = { FALSE, FALSE, 0, NULL, NULL, NULL };
  gint64 start = 0;

  memset (run, 0, sizeof *run);
  launcher = mc_bench_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                             G_SUBPROCESS_FLAGS_STDERR_PIPE);
  start = g_get_monotonic_time ();
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL)
    return FALSE;
  g_subprocess_communicate_utf8_async (process, input != NULL ? input : "", NULL, on_communicated, &wait);
  g_subprocess_wait_async (process, NULL, on_exited, &wait);

  if (!mc_bench_wait_until (run_done, &wait, MC_BENCH_TIMEOUT_SECONDS))
    {
      g_subprocess_force_exit (process);
      while (!run_done (&wait))
        g_main_context_iteration (NULL, TRUE);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s did not exit within %d s:\n%s",
                   argv[0], MC_BENCH_TIMEOUT_SECONDS, wait.err != NULL ? wait.err : "");
      g_free (wait.out);
      g_free (wait.err);
      g_clear_error (&wait.error);
      return FALSE;
    }
  if (wait.error != NULL)
    {
      g_propagate_error (error, wait.error);
      g_free (wait.out);
      g_free (wait.err);
      return FALSE;
    }

  run->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  run->out = wait.out;
  run->err = wait.err;
  run->microseconds = wait.end - start;
  return TRUE;
}

void
mc_bench_run_clear (McBenchRun *run)
{
  /* The output may hold a token: wiped, not only freed. */
  if (run->out != NULL)
    memset (run->out, 0, strlen (run->out));
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/**
 * mc_bench_sign_in:
 * @env: an environment whose daemon runs, with a browser registered and
 *   the scripted dialog set to answer
 * @resource: the MCP server
 * @run: (out caller-allocates): the `mcp-consent authorize` run
 * @error: return location for a #GError
 *
 * Returns: whether `mcp-consent authorize RESOURCE` signed in
 */
gboolean
mc_bench_sign_in (McBenchEnv  *env,
                  const char  *resource,
                  McBenchRun  *run,
                  GError     **error)
{
  const char *argv[] = { MC_BENCH_CLI, "authorize", resource, NULL };
  g_autofree char *signed_in = g_strdup_printf ("Signed in to %s\n", resource);

  if (!mc_bench_run_program (env, argv, NULL, run, error))
    return FALSE;
  if (run->status != 0 || run->out == NULL || !g_str_has_prefix (run->out, signed_in))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "mcp-consent authorize exited with %d:\n%s%s",
                   run->status, run->out != NULL ? run->out : "", run->err != NULL ? run->err : "");
      return FALSE;
    }
  return TRUE;
}

/**
 * mc_bench_get_token_cli:
 * @env: an environment whose daemon holds a grant for @resource
 * @resource: the MCP server
 * @run: (out caller-allocates): the `mcp-consent token` run
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the access token; wipe it before freeing
 */
char *
mc_bench_get_token_cli (McBenchEnv  *env,
                        const char  *resource,
                        McBenchRun  *run,
                        GError     **error)
{
  const char *argv[] = { MC_BENCH_CLI, "token", resource, NULL };
  gsize length = 0;

  if (!mc_bench_run_program (env, argv, NULL, run, error))
    return NULL;
  length = run->out != NULL ? strlen (run->out) : 0;
  if (run->status != 0 || length < 2 || run->out[length - 1] != '\n')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "mcp-consent token exited with %d:\n%s",
                   run->status, run->err != NULL ? run->err : "");
      return NULL;
    }
  return g_strndup (run->out, length - 1);
}

/**
 * mc_bench_list_tools:
 * @env: the environment
 * @resource: the MCP server
 * @token: an access token for it
 * @run: (out caller-allocates): the run of the SDK's client
 * @error: return location for a #GError
 *
 * The SDK's own client (tests/npm/list-tools.mjs) connects with @token,
 * given on stdin, and lists the tools: initialize, then tools/list.
 *
 * Returns: whether the tools came, the demo server's "greet" among them
 */
gboolean
mc_bench_list_tools (McBenchEnv  *env,
                     const char  *resource,
                     const char  *token,
                     McBenchRun  *run,
                     GError     **error)
{
  g_autofree char *node = mc_bench_node_path ();
  g_autofree char *shim = mc_bench_webcrypto_shim_path ();
  g_autofree char *script = g_build_filename (mc_bench_npm_dir (), "list-tools.mjs", NULL);
  g_autofree char *input = g_strconcat (token, "\n", NULL);
  const char *argv[] = { node, "--require", shim, script, resource, NULL };
  gboolean ok = FALSE;

  ok = mc_bench_run_program (env, argv, input, run, error);
  memset (input, 0, strlen (input));
  if (!ok)
    return FALSE;
  if (run->status != 0 || run->out == NULL || strstr (run->out, "greet\n") == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The SDK client could not list the tools (exit %d):\n%s",
                   run->status, run->err != NULL ? run->err : "");
      return FALSE;
    }
  return TRUE;
}

/* The redirect-following browser {{{1 */

/* follow-browser appends {"event":"started","pid":N} before anything else,
 * then a "loaded" or "failed" line. */
static GArray *
browser_events (McBenchEnv *env,
                const char *event,
                gboolean    want_pids)
{
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *needle = g_strdup_printf ("\"event\":\"%s\"", event);
  GArray *found = g_array_new (FALSE, FALSE, sizeof (int));

  if (!g_file_get_contents (env->browser_log, &log, NULL, NULL))
    return found;
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *pid_member = NULL;
      int pid = 0;

      if (strstr (lines[i], needle) == NULL)
        continue;
      pid_member = strstr (lines[i], "\"pid\":");
      if (want_pids && pid_member != NULL)
        pid = atoi (pid_member + strlen ("\"pid\":"));
      g_array_append_val (found, pid);
    }
  return found;
}

typedef struct
{
  McBenchEnv *env;
  guint       count;
} LoadedWait;

static gboolean
browser_loaded (gpointer user_data)
{
  LoadedWait *wait = user_data;
  g_autoptr(GArray) loaded = browser_events (wait->env, "loaded", FALSE);

  return loaded->len >= wait->count;
}

/**
 * mc_bench_env_wait_browser_loaded:
 * @env: an environment with follow-browser registered
 * @count: how many pages
 *
 * Returns: whether follow-browser loaded @count pages (the loopback
 *   listener's or the callback's, after the redirects) before the
 *   deadline
 */
gboolean
mc_bench_env_wait_browser_loaded (McBenchEnv *env,
                                  guint       count)
{
  LoadedWait wait = { env, count };

  return mc_bench_wait_until (browser_loaded, &wait, MC_BENCH_TIMEOUT_SECONDS);
}

/* A pid read from a log may have been reused since: kill only what is
 * still a follow-browser. */
static gboolean
is_follow_browser (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", pid);
  g_autofree char *cmdline = NULL;
  g_autofree char *program = NULL;

  if (!g_file_get_contents (path, &cmdline, NULL, NULL))
    return FALSE;
  program = g_path_get_basename (cmdline);
  return g_str_equal (program, "follow-browser");
}

/**
 * mc_bench_env_stop_browsers:
 * @env: an environment with follow-browser registered
 *
 * Waits for every follow-browser that started to exit (it does once it
 * has read the page), and kills by its pid any that does not.  They are
 * nobody's children: GIO and xdg-open start them from processes that
 * exit at once.
 */
void
mc_bench_env_stop_browsers (McBenchEnv *env)
{
  g_autoptr(GArray) started = browser_events (env, "started", TRUE);

  for (guint i = 0; i < started->len; i++)
    {
      int pid = g_array_index (started, int, i);

      if (pid <= 1)
        continue;
      if (!mc_bench_wait_process_gone (pid, 5) && is_follow_browser (pid))
        {
          g_printerr ("follow-browser %d did not exit; killing it\n", pid);
          if (kill (pid, SIGKILL) != 0 && errno != ESRCH)
            g_printerr ("Cannot kill %d: %s\n", pid, g_strerror (errno));
          mc_bench_wait_process_gone (pid, 5);
        }
    }
}
