/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The whole sign-in against the MCP SDK's example server and its demo
 * authorization server (tests/npm: discovery, dynamic client
 * registration, an /authorize that approves at once with a 302, the code
 * exchange), by the broker and by mcp-remote, in the same run, each from
 * fresh state, interleaved:
 *
 *  - the broker: `mcp-consent authorize URL` to its exit with the grant
 *    (the scripted dialog answers "open"), then `mcp-consent token URL`,
 *    then the SDK's own client (tests/npm/list-tools.mjs) initializes and
 *    lists the tools with that token: the time to the first tool call.
 *    Each run has a new environment: its own bus, gnome-keyring (a new
 *    login keyring), state dir and daemon.  The daemon is started before
 *    the clock, as D-Bus activation starts it once per session; its start
 *    is reported apart;
 *  - mcp-remote (`node …/mcp-remote/dist/proxy.js URL PORT`), with a new
 *    HOME each run (so ~/.mcp-auth is empty: a fresh sign-in): from its
 *    start to the result of the first tools/list sent on its stdin
 *    (initialize, notifications/initialized, tools/list, as an MCP client
 *    of a stdio server does).
 *
 * Both open the browser the desktop's way: GIO (the broker) and xdg-open
 * (mcp-remote, through the `open` package) read the same mimeapps.list,
 * which names follow-browser; it follows the redirect to the listener.
 * Afterwards the benchmark lists what each left in the run's home and XDG
 * dirs, and whether those files hold the access token in plaintext.
 *
 * Prints Markdown on stdout and progress on stderr.  Exit 77 when Node.js
 * is missing or too old for mcp-remote, or tests/npm is not installed.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mc-bench-config.h"
#include "mc-bench-env.h"
#include "mc-bench-peers.h"

/* mcp-remote waits 30 s for the browser by default. */
#define REMOTE_TIMEOUT_SECONDS 60
#define MAX_REMOTE_ATTEMPTS 3
/* Counted rounds on one server: with its warm-up round, 2 × 9 client
 * registrations, within the demo server's 20 an hour. */
#define ROUNDS_PER_SERVER 8
/* Nothing connects to it: xdg-open only looks whether there is one. */
#define DESKTOP_DISPLAY ":97"

static int opt_runs = 20;

static const GOptionEntry entries[] = {
  { "runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "Fresh sign-ins of each counted (a server warm-up round every 8 is not)", "N" },
  { NULL }
};

/* Files {{{1 */

/* The dirs a program of the user writes to; the rest of a McBenchEnv's
 * directory is the benchmark's own (logs, bus, script). */
static const struct
{
  const char *dir;
  const char *shown;
} user_dirs[] = {
  { "home", "~" },
  { "config", "$XDG_CONFIG_HOME" },
  { "state", "$XDG_STATE_HOME" },
  { "data", "$XDG_DATA_HOME" },
  { "cache", "$XDG_CACHE_HOME" },
  { "runtime", "$XDG_RUNTIME_DIR" },
};

typedef struct
{
  char    *shown;
  char    *path;
  goffset  size;
  gint64   mtime;
  guint    mode;
  gboolean is_new;
  gboolean has_token;
} FileEntry;

static void
file_entry_free (FileEntry *entry)
{
  g_free (entry->shown);
  g_free (entry->path);
  g_free (entry);
}

static void
walk (GHashTable *files,
      const char *path,
      const char *shown)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name = NULL;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_autofree char *child_shown = g_strconcat (shown, "/", name, NULL);
      GStatBuf st;

      if (g_lstat (child, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        walk (files, child, child_shown);
      else if (S_ISREG (st.st_mode))
        {
          FileEntry *entry = g_new0 (FileEntry, 1);

          entry->shown = g_steal_pointer (&child_shown);
          entry->path = g_steal_pointer (&child);
          entry->size = st.st_size;
          entry->mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
          entry->mode = st.st_mode & 07777;
          g_hash_table_insert (files, entry->shown, entry);
        }
    }
}

/* Regular files in the user's dirs of @env, by the name shown. */
static GHashTable *
snapshot (McBenchEnv *env)
{
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)file_entry_free);

  for (gsize i = 0; i < G_N_ELEMENTS (user_dirs); i++)
    {
      g_autofree char *path = g_build_filename (env->dir, user_dirs[i].dir, NULL);

      walk (files, path, user_dirs[i].shown);
    }
  return files;
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  gboolean found = FALSE;

  if (needle == NULL || needle[0] == '\0' || !g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  found = memmem (contents, length, needle, strlen (needle)) != NULL;
  memset (contents, 0, length);
  return found;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const FileEntry *x = *(FileEntry * const *) a;
  const FileEntry *y = *(FileEntry * const *) b;

  return strcmp (x->shown, y->shown);
}

/* What is new or changed since @before, each searched for @token. */
static GPtrArray *
written_since (McBenchEnv *env,
               GHashTable *before,
               const char *token)
{
  g_autoptr(GHashTable) after = snapshot (env);
  GPtrArray *written = g_ptr_array_new_with_free_func ((GDestroyNotify)file_entry_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      FileEntry *entry = value;
      FileEntry *old = g_hash_table_lookup (before, entry->shown);

      if (old != NULL && old->size == entry->size && old->mtime == entry->mtime)
        continue;
      entry->is_new = old == NULL;
      entry->has_token = file_contains (entry->path, token);
      g_hash_table_iter_steal (&iter);
      g_ptr_array_add (written, entry);
    }
  g_ptr_array_sort (written, compare_entries);
  return written;
}

/* mcp-remote names its files after an md5 of the server URL. */
static char *
shown_name (const char *shown)
{
  g_autoptr(GRegex) hash = g_regex_new ("/[0-9a-f]{32}_", 0, 0, NULL);

  return g_regex_replace_literal (hash, shown, -1, 0, "/HASH_", 0, NULL);
}

/* The broker {{{1 */

typedef struct
{
  double     daemon_start;
  double     authorize;
  double     token;
  double     tools;
  double     total;
  GPtrArray *files;
  gboolean   token_in_keyring_only;
} BrokerRun;

static void
broker_run_clear (BrokerRun *run)
{
  g_clear_pointer (&run->files, g_ptr_array_unref);
}

static void
wipe_free (char *text)
{
  if (text == NULL)
    return;
  memset (text, 0, strlen (text));
  g_free (text);
}

static void
run_broker (const char *resource,
            BrokerRun  *result)
{
  g_autoptr(McBenchEnv) env = mc_bench_env_new ();
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GError) error = NULL;
  McBenchRun authorize, token_run, tools;
  char *token = NULL;
  gint64 start = 0;

  memset (result, 0, sizeof *result);
  mc_bench_env_setenv (env, "DISPLAY", DESKTOP_DISPLAY);
  mc_bench_env_register_browser (env, "mc-follow-browser.desktop", MC_BENCH_FOLLOW_BROWSER);
  if (!mc_bench_env_start_keyring (env, &error))
    g_error ("Cannot start gnome-keyring: %s", error->message);

  start = g_get_monotonic_time ();
  daemon = mc_bench_env_start_daemon (env, &error);
  if (daemon == NULL)
    g_error ("Cannot start the daemon: %s", error->message);
  result->daemon_start = (g_get_monotonic_time () - start) / 1000.0;
  mc_bench_env_set_script (env, "open\n");
  before = snapshot (env);

  start = g_get_monotonic_time ();
  if (!mc_bench_sign_in (env, resource, &authorize, &error))
    g_error ("%s", error->message);
  token = mc_bench_get_token_cli (env, resource, &token_run, &error);
  if (token == NULL)
    g_error ("%s", error->message);
  if (!mc_bench_list_tools (env, resource, token, &tools, &error))
    g_error ("%s", error->message);
  result->total = (g_get_monotonic_time () - start) / 1000.0;

  result->authorize = authorize.microseconds / 1000.0;
  result->token = token_run.microseconds / 1000.0;
  result->tools = tools.microseconds / 1000.0;
  mc_bench_run_clear (&authorize);
  mc_bench_run_clear (&token_run);
  mc_bench_run_clear (&tools);

  if (!mc_bench_env_wait_browser_loaded (env, 1))
    g_error ("follow-browser did not load the listener's page");
  mc_bench_env_stop_browsers (env);
  /* Stopped first, so whatever it still had to write is on disk. */
  mc_bench_stop_process (daemon);

  result->files = written_since (env, before, token);
  result->token_in_keyring_only = TRUE;
  for (guint i = 0; i < result->files->len; i++)
    {
      FileEntry *entry = g_ptr_array_index (result->files, i);

      if (entry->has_token)
        result->token_in_keyring_only = FALSE;
    }
  wipe_free (token);
}

/* mcp-remote {{{1 */

typedef struct
{
  McBenchEnv       *env;
  GSubprocess      *process;
  GOutputStream    *input;
  GDataInputStream *output;
  GDataInputStream *errors;
  GCancellable     *cancellable;
  gint64            start;
  gint64            first_line;
  gint64            connected;
  gint64            initialized;
  gint64            listed;
  gboolean          reading_output;
  gboolean          reading_errors;
  gboolean          exited;
  gboolean          tools_listed;
  char             *failure;
  GString          *log;
} Remote;

typedef struct
{
  double     first_line;
  double     connected;
  double     initialized;
  double     total;
  GPtrArray *files;
  char      *token_file;
  gboolean   token_works;
} RemoteRun;

static void
remote_run_clear (RemoteRun *run)
{
  g_clear_pointer (&run->files, g_ptr_array_unref);
  g_clear_pointer (&run->token_file, g_free);
}

static void
send_line (Remote     *remote,
           const char *json)
{
  g_autofree char *line = g_strconcat (json, "\n", NULL);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all (remote->input, line, strlen (line), NULL, NULL, &error) ||
      !g_output_stream_flush (remote->input, NULL, &error))
    {
      if (remote->failure == NULL)
        remote->failure = g_strdup_printf ("Cannot write to mcp-remote: %s", error->message);
    }
}

static gboolean
result_lists_greet (JsonObject *result)
{
  JsonArray *tools = NULL;

  if (result == NULL || !json_object_has_member (result, "tools"))
    return FALSE;
  tools = json_object_get_array_member (result, "tools");
  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    {
      JsonObject *tool = json_array_get_object_element (tools, i);

      if (tool != NULL && g_strcmp0 (json_object_get_string_member_with_default (tool, "name", ""), "greet") == 0)
        return TRUE;
    }
  return FALSE;
}

static void
handle_message (Remote     *remote,
                const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *message = NULL;
  gint64 id = 0;

  if (!json_parser_load_from_data (parser, line, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  message = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (message, "id") || json_object_has_member (message, "method"))
    return;
  id = json_object_get_int_member (message, "id");
  if (json_object_has_member (message, "error"))
    {
      if (remote->failure == NULL)
        remote->failure = g_strdup_printf ("mcp-remote answered request %" G_GINT64_FORMAT " with an error: %s",
                                           id, line);
      return;
    }

  if (id == 1 && remote->initialized == 0)
    {
      remote->initialized = g_get_monotonic_time ();
      send_line (remote, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
      send_line (remote, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{}}");
    }
  else if (id == 2 && remote->listed == 0)
    {
      remote->listed = g_get_monotonic_time ();
      remote->tools_listed = result_lists_greet (json_object_get_object_member (message, "result"));
    }
}

static void read_output (Remote *remote);
static void read_errors (Remote *remote);

static void
on_output_line (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Remote *remote = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source_object), result, NULL, NULL);
  if (line == NULL)
    {
      remote->reading_output = FALSE;
      return;
    }
  handle_message (remote, line);
  read_output (remote);
}

static void
read_output (Remote *remote)
{
  remote->reading_output = TRUE;
  g_data_input_stream_read_line_async (remote->output, G_PRIORITY_DEFAULT, remote->cancellable,
                                       on_output_line, remote);
}

static void
on_error_line (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Remote *remote = user_data;
  g_autofree char *line = NULL;
  gint64 now = g_get_monotonic_time ();

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source_object), result, NULL, NULL);
  if (line == NULL)
    {
      remote->reading_errors = FALSE;
      return;
    }
  /* Its first line comes once Node.js has loaded its code; a later one
   * says when it holds a token and is connected with it. */
  if (remote->first_line == 0)
    remote->first_line = now;
  if (remote->connected == 0 && strstr (line, "Connected to remote server") != NULL)
    remote->connected = now;
  if (remote->log->len < 256 * 1024)
    g_string_append_printf (remote->log, "[%7.1f ms] %s\n", (now - remote->start) / 1000.0, line);
  read_errors (remote);
}

static void
read_errors (Remote *remote)
{
  remote->reading_errors = TRUE;
  g_data_input_stream_read_line_async (remote->errors, G_PRIORITY_DEFAULT, remote->cancellable,
                                       on_error_line, remote);
}

static void
on_remote_exited (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Remote *remote = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, NULL);
  remote->exited = TRUE;
}

static gboolean
remote_listed_or_gone (gpointer user_data)
{
  Remote *remote = user_data;

  return remote->listed != 0 || remote->failure != NULL || remote->exited;
}

static gboolean
remote_finished (gpointer user_data)
{
  Remote *remote = user_data;

  return remote->exited && !remote->reading_output && !remote->reading_errors;
}

/* One mcp-remote, from its start to the first tools/list result; %FALSE
 * when its callback port was taken after all (worth another try). */
static gboolean
try_remote (McBenchEnv  *env,
            const char  *proxy,
            const char  *resource,
            Remote      *remote,
            GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *node = mc_bench_node_path ();
  g_autofree char *port = NULL;
  gboolean done = FALSE;

  /* A port given on the command line is used as it is (and is in the
   * redirect URI it registers); freed just before it starts. */
  port = g_strdup_printf ("%u", mc_bench_pick_port (&socket));
  g_clear_object (&socket);

  launcher = mc_bench_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                             G_SUBPROCESS_FLAGS_STDERR_PIPE);
  remote->env = env;
  remote->log = g_string_new (NULL);
  remote->cancellable = g_cancellable_new ();
  remote->start = g_get_monotonic_time ();
  remote->process = g_subprocess_launcher_spawn (launcher, error, node, proxy, resource, port, NULL);
  if (remote->process == NULL)
    return FALSE;
  remote->input = g_subprocess_get_stdin_pipe (remote->process);
  remote->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (remote->process));
  remote->errors = g_data_input_stream_new (g_subprocess_get_stderr_pipe (remote->process));
  g_subprocess_wait_async (remote->process, NULL, on_remote_exited, remote);
  read_output (remote);
  read_errors (remote);

  /* It reads its stdin once it is connected; until then this waits in
   * the pipe, as a client's first message does. */
  send_line (remote, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                     "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                     "\"clientInfo\":{\"name\":\"mcp-consent-bench\",\"version\":\"1.0.0\"}}}");

  done = mc_bench_wait_until (remote_listed_or_gone, remote, REMOTE_TIMEOUT_SECONDS);

  /* Closing its stdin ends it, as when the MCP client quits. */
  g_output_stream_close (remote->input, NULL, NULL);
  if (!mc_bench_wait_until (remote_finished, remote, 5))
    mc_bench_stop_process (remote->process);
  g_cancellable_cancel (remote->cancellable);
  while (!remote_finished (remote))
    g_main_context_iteration (NULL, TRUE);

  if (remote->listed != 0 && remote->tools_listed)
    return TRUE;
  if (strstr (remote->log->str, "EADDRINUSE") != NULL)
    return FALSE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "mcp-remote did not list the tools%s%s:\n%s",
               done ? "" : " in time", remote->failure != NULL ? remote->failure : "", remote->log->str);
  return FALSE;
}

static void
remote_clear (Remote *remote)
{
  g_clear_object (&remote->output);
  g_clear_object (&remote->errors);
  g_clear_object (&remote->process);
  g_clear_object (&remote->cancellable);
  g_clear_pointer (&remote->failure, g_free);
  if (remote->log != NULL)
    g_string_free (remote->log, TRUE);
  memset (remote, 0, sizeof *remote);
}

/* The access token in the tokens file mcp-remote wrote, if any. */
static char *
read_remote_token (GPtrArray  *files,
                   char      **out_file)
{
  for (guint i = 0; i < files->len; i++)
    {
      FileEntry *entry = g_ptr_array_index (files, i);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root = NULL;
      const char *token = NULL;

      if (!g_str_has_suffix (entry->shown, "_tokens.json") ||
          !json_parser_load_from_mapped_file (parser, entry->path, NULL))
        continue;
      root = json_parser_get_root (parser);
      if (!JSON_NODE_HOLDS_OBJECT (root))
        continue;
      token = json_object_get_string_member_with_default (json_node_get_object (root), "access_token", NULL);
      if (token != NULL && token[0] != '\0')
        {
          *out_file = g_strdup (entry->shown);
          return g_strdup (token);
        }
    }
  return NULL;
}

static void
run_remote (const char *proxy,
            const char *resource,
            RemoteRun  *result)
{
  g_autoptr(McBenchEnv) env = mc_bench_env_new ();
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log_path = g_build_filename (env->dir, "mcp-remote.log", NULL);
  McBenchRun tools;
  Remote remote = { 0 };
  char *token = NULL;
  gboolean listed = FALSE;

  memset (result, 0, sizeof *result);
  mc_bench_env_setenv (env, "DISPLAY", DESKTOP_DISPLAY);
  /* Its tokens go to ~/.mcp-auth of the run's fresh HOME. */
  mc_bench_env_setenv (env, "MCP_REMOTE_CONFIG_DIR", NULL);
  mc_bench_env_register_browser (env, "mc-follow-browser.desktop", MC_BENCH_FOLLOW_BROWSER);
  before = snapshot (env);

  for (guint attempt = 0; attempt < MAX_REMOTE_ATTEMPTS && !listed; attempt++)
    {
      if (attempt > 0)
        {
          g_printerr ("mcp-remote's callback port was taken; trying another\n");
          remote_clear (&remote);
        }
      listed = try_remote (env, proxy, resource, &remote, &error);
      if (error != NULL)
        g_error ("%s", error->message);
    }
  if (!listed)
    g_error ("mcp-remote found no free callback port in %u tries", MAX_REMOTE_ATTEMPTS);

  result->total = (remote.listed - remote.start) / 1000.0;
  result->initialized = (remote.initialized - remote.start) / 1000.0;
  result->connected = remote.connected != 0 ? (remote.connected - remote.start) / 1000.0 : -1;
  result->first_line = remote.first_line != 0 ? (remote.first_line - remote.start) / 1000.0 : -1;
  g_file_set_contents (log_path, remote.log->str, -1, NULL);
  remote_clear (&remote);

  if (!mc_bench_env_wait_browser_loaded (env, 1))
    g_error ("follow-browser did not load mcp-remote's callback page");
  mc_bench_env_stop_browsers (env);

  /* Which file holds the token is found first; then every file is
   * searched for it. */
  result->files = written_since (env, before, NULL);
  token = read_remote_token (result->files, &result->token_file);
  for (guint i = 0; token != NULL && i < result->files->len; i++)
    {
      FileEntry *entry = g_ptr_array_index (result->files, i);

      entry->has_token = file_contains (entry->path, token);
    }
  /* That it is a live bearer token, not a stale or hashed one: the SDK's
   * client lists the tools with it (outside the time measured). */
  if (token != NULL)
    {
      result->token_works = mc_bench_list_tools (env, resource, token, &tools, NULL);
      mc_bench_run_clear (&tools);
    }
  wipe_free (token);
}

/* The floor of both spans: each starts one Node.js process (the SDK's
 * client for the broker, mcp-remote itself). */
static double
time_node_start (McBenchEnv *env,
                 const char *node)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { node, "-e", "", NULL };
  McBenchRun run;
  double milliseconds = 0;

  if (!mc_bench_run_program (env, argv, NULL, &run, &error))
    g_error ("Cannot run node: %s", error->message);
  milliseconds = run.microseconds / 1000.0;
  mc_bench_run_clear (&run);
  return milliseconds;
}

/* Output {{{1 */

static double
median (GArray *samples)
{
  return mc_bench_percentile (samples, 0.5);
}

static double
minimum (GArray *samples)
{
  return mc_bench_percentile (samples, 0.0);
}

static double
maximum (GArray *samples)
{
  return mc_bench_percentile (samples, 1.0);
}

static void
print_row (const char *what,
           GArray     *samples,
           double      reference)
{
  double m = median (samples);

  printf ("| %s | %.0f ms | %.0f – %.0f ms | %.2f× |\n", what, m, minimum (samples), maximum (samples),
          m / reference);
}

/* Whether @files are, by name, the files of the first run. */
static gboolean
same_as_first (char      **first,
               GPtrArray  *files)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < files->len; i++)
    {
      FileEntry *entry = g_ptr_array_index (files, i);
      g_autofree char *name = shown_name (entry->shown);

      g_string_append_printf (names, "%s\n", name);
    }
  if (*first == NULL)
    {
      *first = g_string_free (g_steal_pointer (&names), FALSE);
      return TRUE;
    }
  return g_str_equal (*first, names->str);
}

static const char *
describe_file (const char *shown)
{
  if (g_str_has_suffix (shown, "/mcp-consent/grants.json"))
    return "grant metadata: resource, issuer, client id, scopes, endpoints, times";
  if (g_str_has_suffix (shown, "/mcp-consent/registrations.json"))
    return "the dynamic client registration: issuer, client id";
  if (g_str_has_suffix (shown, "/keyrings/login.keyring"))
    return "gnome-keyring's login keyring, encrypted with the login password (the token is in it)";
  if (g_str_has_suffix (shown, "_tokens.json"))
    return "the OAuth token response as JSON";
  if (g_str_has_suffix (shown, "_client_info.json"))
    return "the dynamic client registration";
  if (g_str_has_suffix (shown, "_code_verifier.txt") || strstr (shown, "_code_verifier_") != NULL)
    return "the PKCE verifier";
  if (g_str_has_suffix (shown, "_lock.json"))
    return "its lock between instances";
  if (g_str_has_suffix (shown, "/dconf/user"))
    return "dconf's notification file, no data: libsoup looked up the desktop's proxy settings (follow-browser "
           "does, in both runs)";
  return "";
}

static void
print_files (const char *who,
             GPtrArray  *files)
{
  for (guint i = 0; i < files->len; i++)
    {
      FileEntry *entry = g_ptr_array_index (files, i);
      g_autofree char *name = shown_name (entry->shown);

      printf ("| %s | `%s`%s | %s | %" G_GOFFSET_FORMAT " B | %04o | %s |\n", who, name,
              entry->is_new ? "" : " (changed)", describe_file (entry->shown),
              entry->size, entry->mode, entry->has_token ? "**yes**" : "no");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- time a whole sign-in, the broker's and mcp-remote's");
  g_autoptr(GError) error = NULL;
  g_autoptr(McBenchEnv) server_env = NULL;
  g_autoptr(McBenchSdkServer) server = NULL;
  g_autoptr(GArray) daemon_starts = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) authorizes = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) with_tokens = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) broker_totals = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) cli_tokens = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) list_tools = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) remote_first_lines = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) remote_sign_ins = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) node_starts = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) remote_connected = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) remote_initialized = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) remote_totals = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *reason = NULL;
  g_autofree char *node = NULL;
  g_autofree char *node_version = NULL;
  g_autofree char *proxy = NULL;
  BrokerRun broker = { 0 };
  RemoteRun remote = { 0 };
  gboolean broker_clean = TRUE;
  gboolean remote_plaintext = TRUE;
  gboolean remote_token_works = TRUE;
  double broker_p50 = 0;
  double node_start = 0;
  guint server_rounds = 0;
  g_autofree char *broker_files = NULL;
  g_autofree char *remote_files = NULL;
  gboolean same_files = TRUE;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_runs < 1)
    {
      g_printerr ("--runs must be positive\n");
      return 2;
    }

  proxy = mc_bench_check_mcp_remote (&reason);
  if (proxy == NULL)
    {
      g_printerr ("Cannot run the sign-ins: %s\n", reason);
      return MC_BENCH_EXIT_SKIP;
    }
  node = mc_bench_node_path ();
  node_version = mc_bench_node_version (node);

  /* The server, in an environment of its own.  Its demo authorization
   * server allows 20 client registrations an hour (express-rate-limit in
   * the SDK's register handler), and every sign-in of both registers a
   * client: so a fresh server every ROUNDS_PER_SERVER rounds, each first
   * warmed by a round that is not counted (its first round also warms the
   * page cache).  Both sign in against the same server in every round,
   * in alternating order, so neither always runs right after the other. */
  server_env = mc_bench_env_new ();
  for (int i = 0, counted = 0; counted < opt_runs; i++)
    {
      gboolean warm_up = FALSE;

      if (server == NULL || server_rounds == ROUNDS_PER_SERVER)
        {
          g_clear_pointer (&server, mc_bench_sdk_server_stop);
          server = mc_bench_sdk_server_start (server_env, &error);
          if (server == NULL)
            g_error ("%s", error->message);
          server_rounds = 0;
          warm_up = TRUE;
        }
      else
        server_rounds++;

      for (int turn = 0; turn < 2; turn++)
        {
          gboolean broker_turn = (i % 2 == 0) == (turn == 0);

          if (broker_turn)
            {
              broker_run_clear (&broker);
              run_broker (server->resource, &broker);
              g_printerr ("round %d%s: broker: authorize %.0f ms, + token %.0f ms, + tools/list %.0f ms = %.0f ms "
                          "(daemon start %.0f ms)\n", i, warm_up ? " (warm-up)" : "",
                          broker.authorize, broker.token, broker.tools, broker.total, broker.daemon_start);
            }
          else
            {
              remote_run_clear (&remote);
              run_remote (proxy, server->resource, &remote);
              g_printerr ("round %d%s: mcp-remote: connected %.0f ms, initialize answered %.0f ms, "
                          "tools/list answered %.0f ms\n", i, warm_up ? " (warm-up)" : "",
                          remote.connected, remote.initialized, remote.total);
            }
        }
      node_start = time_node_start (server_env, node);
      if (warm_up)
        continue;
      counted++;

      g_array_append_val (node_starts, node_start);
      if (remote.first_line >= 0)
        g_array_append_val (remote_first_lines, remote.first_line);
      if (remote.first_line >= 0 && remote.connected >= 0)
        {
          double sign_in = remote.connected - remote.first_line;

          g_array_append_val (remote_sign_ins, sign_in);
        }

      g_array_append_val (daemon_starts, broker.daemon_start);
      g_array_append_val (authorizes, broker.authorize);
      g_array_append_val (cli_tokens, broker.token);
      g_array_append_val (list_tools, broker.tools);
      {
        double with_token = broker.authorize + broker.token;

        g_array_append_val (with_tokens, with_token);
      }
      g_array_append_val (broker_totals, broker.total);
      if (remote.connected >= 0)
        g_array_append_val (remote_connected, remote.connected);
      g_array_append_val (remote_initialized, remote.initialized);
      g_array_append_val (remote_totals, remote.total);
      broker_clean = broker_clean && broker.token_in_keyring_only;
      same_files = same_files && same_as_first (&broker_files, broker.files) && same_as_first (&remote_files, remote.files);
      remote_plaintext = remote_plaintext && remote.token_file != NULL;
      remote_token_works = remote_token_works && remote.token_works;
    }

  broker_p50 = median (broker_totals);

  printf ("### Sign-in against the MCP SDK's example server (%d fresh sign-ins each, interleaved)\n\n", opt_runs);
  printf ("| | median | range | ÷ broker's first tool call |\n");
  printf ("| --- | ---: | ---: | ---: |\n");
  print_row ("broker: `mcp-consent authorize` → signed in (grant saved, token in the keyring)", authorizes, broker_p50);
  print_row ("broker: + `mcp-consent token`", with_tokens, broker_p50);
  print_row ("**broker: + `tools/list` by the SDK's client (first tool call)**", broker_totals, broker_p50);
  if (remote_connected->len > 0)
    if (remote_first_lines->len > 0)
    print_row ("mcp-remote: start → its first log line (Node.js up, its code loaded)", remote_first_lines, broker_p50);
  print_row ("mcp-remote: start → connected with its token (its log line)", remote_connected, broker_p50);
  print_row ("mcp-remote: start → `initialize` answered", remote_initialized, broker_p50);
  print_row ("**mcp-remote: start → first `tools/list` result**", remote_totals, broker_p50);
  print_row ("floor: a Node.js start (`node -e ''`)", node_starts, broker_p50);
  printf ("\n**mcp-remote ÷ broker, start to the first tool call: %.2f×** (medians). ", median (remote_totals) / broker_p50);
  if (remote_sign_ins->len > 0)
    printf ("The sign-in alone, without Node.js starting: mcp-remote from its first log line (%.0f ms after its "
            "start) to connected, %.0f ms; the broker's `mcp-consent authorize`, its process start included, "
            "%.0f ms (%.1f× less).",
            median (remote_first_lines), median (remote_sign_ins), median (authorizes),
            median (remote_sign_ins) / median (authorizes));
  printf ("\n");
  printf ("\nParts of the broker's span (medians): `authorize` %.0f ms, `token` %.0f ms, the SDK client "
          "(a Node.js start, `initialize`, `tools/list`) %.0f ms. Not in it: the daemon's start, %.0f ms "
          "median (spawn → bus name; D-Bus activation does it once per session, not per sign-in).\n\n",
          median (authorizes), median (cli_tokens), median (list_tools), median (daemon_starts));
  printf ("Both do the same protocol against the same server: protected resource and authorization server "
          "metadata, dynamic client registration, the authorization request in the browser (follow-browser, "
          "registered in mimeapps.list, follows the demo server's 302 to the loopback listener), the code "
          "exchange with PKCE. The broker's dialog is the scripted one (`open`); mcp-remote shows none. "
          "mcp-remote gets `DISPLAY=%s` (no X server: xdg-open only checks that one is set before it reads "
          "mimeapps.list), and so does the broker's environment. A new example server every %d rounds, "
          "warmed by a round not counted (its demo authorization server allows 20 registrations an hour). "
          "Node.js %s.\n\n",
          DESKTOP_DISPLAY, ROUNDS_PER_SERVER, node_version);

  printf ("### What each leaves on disk after a sign-in\n\n");
  printf ("Files written in the run's home and XDG dirs during the timed span, each searched for the access "
          "token (last run; %s):\n\n",
          same_files ? "every run wrote the same files" : "**the runs did not all write the same files**");
  printf ("| | file | what | size | mode | access token in plaintext |\n");
  printf ("| --- | --- | --- | ---: | ---: | --- |\n");
  print_files ("broker", broker.files);
  print_files ("mcp-remote", remote.files);
  printf ("\nBroker: %s. ",
          broker_clean ? "in every run the access token was in no file but the encrypted keyring"
                       : "**the access token was found in a file** (see the table)");
  if (remote_plaintext)
    {
      g_autofree char *token_file = shown_name (remote.token_file);

      printf ("mcp-remote: in every run the access token was in plaintext in `%s`%s.\n\n", token_file,
              remote_token_works ? ", and it works: the SDK's client listed the tools with the token read from that file"
                                 : " (but listing the tools with it failed)");
    }
  else
    printf ("mcp-remote: no tokens file with an access token in some run.\n\n");

  broker_run_clear (&broker);
  remote_run_clear (&remote);
  return EXIT_SUCCESS;
}
