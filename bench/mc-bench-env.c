/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "mc-bench-config.h"
#include "mc-bench-env.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"
#define REQUEST_IFACE "io.github.mcp_consent.Request1"
#define REQUEST_PATH_PREFIX "/io/github/mcp_consent/Broker/request/"

static gboolean
write_file (const char  *path,
            const char  *contents,
            GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  return g_file_set_contents (path, contents, -1, error);
}

static char *
make_dir (McBenchEnv *env,
          const char *name)
{
  char *path = g_build_filename (env->dir, name, NULL);

  if (g_mkdir_with_parents (path, 0700) != 0)
    g_error ("Cannot create %s: %s", path, g_strerror (errno));
  return path;
}

void
mc_bench_env_setenv (McBenchEnv *env,
                     const char *variable,
                     const char *value)
{
  if (value != NULL)
    env->envp = g_environ_setenv (env->envp, variable, value, TRUE);
  else
    env->envp = g_environ_unsetenv (env->envp, variable);
}

static void
setup_xdg (McBenchEnv *env)
{
  static const struct { const char *variable; const char *dir; } xdg[] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_RUNTIME_DIR", "runtime" },
  };
  g_autofree char *data_dirs = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (xdg); i++)
    {
      g_autofree char *path = make_dir (env, xdg[i].dir);

      mc_bench_env_setenv (env, xdg[i].variable, path);
    }
  mc_bench_env_setenv (env, "XDG_CONFIG_DIRS", env->dir);

  /* Unlike the tests, the system's data dirs stay: the programs measured
   * load GSettings schemas, icon themes and desktop files from there as
   * on a desktop.  mimeapps.list in XDG_CONFIG_HOME still makes the test
   * browser the https handler, so no real browser is ever started. */
  data_dirs = g_strconcat (env->dir, "/data-dirs:/usr/local/share:/usr/share", NULL);
  mc_bench_env_setenv (env, "XDG_DATA_DIRS", data_dirs);
  mc_bench_env_setenv (env, "DISPLAY", NULL);
  mc_bench_env_setenv (env, "WAYLAND_DISPLAY", NULL);
  /* Whatever the shell had must not change what is measured. */
  mc_bench_env_setenv (env, "G_MESSAGES_DEBUG", NULL);
  mc_bench_env_setenv (env, "G_DEBUG", NULL);
  mc_bench_env_setenv (env, "G_SLICE", NULL);
  mc_bench_env_setenv (env, "MALLOC_CHECK_", NULL);
  mc_bench_env_setenv (env, "MALLOC_PERTURB_", NULL);
  /* The desktop's defaults (dconf), not the tests' memory backend. */
  mc_bench_env_setenv (env, "GSETTINGS_BACKEND", NULL);
  mc_bench_env_setenv (env, "GIO_USE_VFS", NULL);
}

/**
 * mc_bench_env_register_browser:
 * @env: a #McBenchEnv
 * @desktop_id: the desktop file's name, such as `mc-follow-browser.desktop`
 * @program: the browser's executable; it gets the URL as its one argument
 *
 * Makes @program the default handler of http and https URLs, the way a
 * desktop does it: mimeapps.list in XDG_CONFIG_HOME names the handler,
 * whose desktop file's Exec line is run.  GIO and xdg-open both read it.
 * Replaces the browser registered before.
 */
void
mc_bench_env_register_browser (McBenchEnv *env,
                               const char *desktop_id,
                               const char *program)
{
  g_autofree char *desktop_path = g_build_filename (env->dir, "data", "applications", desktop_id, NULL);
  g_autofree char *mimeapps_path = g_build_filename (env->dir, "config", "mimeapps.list", NULL);
  g_autofree char *desktop = NULL;
  g_autofree char *mimeapps = NULL;
  g_autoptr(GError) error = NULL;

  desktop = g_strdup_printf ("[Desktop Entry]\n"
                             "Type=Application\n"
                             "Name=Test Browser\n"
                             "Exec=%s %%u\n"
                             "MimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
                             program);
  mimeapps = g_strdup_printf ("[Default Applications]\n"
                              "x-scheme-handler/https=%s\n"
                              "x-scheme-handler/http=%s\n",
                              desktop_id, desktop_id);
  if (!write_file (desktop_path, desktop, &error) ||
      !write_file (mimeapps_path, mimeapps, &error))
    g_error ("Cannot register the browser %s: %s", program, error->message);
}

static void
die_with_benchmark (gpointer user_data)
{
  /* A benchmark that crashes must not leave buses and daemons behind. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/**
 * mc_bench_env_new_launcher:
 * @env: a #McBenchEnv
 * @flags: flags for the processes
 *
 * Returns: (transfer full): a launcher with the benchmark's environment
 *   whose processes die with the benchmark
 */
GSubprocessLauncher *
mc_bench_env_new_launcher (McBenchEnv       *env,
                           GSubprocessFlags  flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_environ (launcher, env->envp);
  g_subprocess_launcher_set_child_setup (launcher, die_with_benchmark, NULL, NULL);
  return launcher;
}

static void
start_bus (McBenchEnv *env)
{
  g_autofree char *config_path = g_build_filename (env->dir, "bus.conf", NULL);
  g_autofree char *socket_dir = make_dir (env, "bus");
  g_autofree char *service_dir = make_dir (env, "no-services");
  g_autofree char *config = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  /* No activatable services: what runs is what the benchmark started. */
  config = g_strdup_printf ("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                            " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                            "<busconfig>\n"
                            "  <type>session</type>\n"
                            "  <listen>unix:dir=%s</listen>\n"
                            "  <auth>EXTERNAL</auth>\n"
                            "  <servicedir>%s</servicedir>\n"
                            "  <policy context=\"default\">\n"
                            "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                            "    <allow eavesdrop=\"true\"/>\n"
                            "    <allow own=\"*\"/>\n"
                            "  </policy>\n"
                            "</busconfig>\n",
                            socket_dir, service_dir);
  if (!write_file (config_path, config, &error))
    g_error ("Cannot write the bus configuration: %s", error->message);

  launcher = mc_bench_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  env->bus = g_subprocess_launcher_spawn (launcher, &error,
                                          "dbus-daemon", "--nofork", "--print-address=1",
                                          "--config-file", config_path, NULL);
  if (env->bus == NULL)
    g_error ("Cannot start dbus-daemon: %s", error->message);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (env->bus));
  env->bus_address = g_data_input_stream_read_line (output, NULL, NULL, &error);
  if (env->bus_address == NULL)
    g_error ("dbus-daemon gave no address: %s", error != NULL ? error->message : "end of output");
  mc_bench_env_setenv (env, "DBUS_SESSION_BUS_ADDRESS", env->bus_address);

  env->connection = g_dbus_connection_new_for_address_sync (env->bus_address,
                                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                            NULL, NULL, &error);
  if (env->connection == NULL)
    g_error ("Cannot connect to the private bus: %s", error->message);
  g_dbus_connection_set_exit_on_close (env->connection, FALSE);
}

/**
 * mc_bench_env_new:
 *
 * Returns: (transfer full): a private world with a bus running; the
 *   scripted dialog answers for the daemon unless the caller changes
 *   `MCP_CONSENT_PROMPTER` before starting it
 */
McBenchEnv *
mc_bench_env_new (void)
{
  McBenchEnv *env = g_new0 (McBenchEnv, 1);
  g_autoptr(GError) error = NULL;
  const char *base = "/dev/shm";

  if (g_access (base, W_OK) != 0)
    base = g_get_tmp_dir ();

  env->envp = g_get_environ ();
  env->dir = g_build_filename (base, "mcp-consent-bench-XXXXXX", NULL);
  if (g_mkdtemp (env->dir) == NULL)
    g_error ("Cannot create %s: %s", env->dir, g_strerror (errno));

  setup_xdg (env);
  mc_bench_env_register_browser (env, "mc-test-browser.desktop", MC_BENCH_TEST_BROWSER);

  env->script_path = g_build_filename (env->dir, "script", NULL);
  env->browser_log = g_build_filename (env->dir, "browser.log", NULL);
  if (!write_file (env->script_path, "", &error))
    g_error ("Cannot write the script: %s", error->message);
  mc_bench_env_setenv (env, "MCP_CONSENT_TEST_SCRIPT", env->script_path);
  /* No records: the benchmark counts Responses itself, and the dialog's
   * bookkeeping must not weigh on what is measured. */
  mc_bench_env_setenv (env, "MCP_CONSENT_TEST_RECORD", NULL);
  mc_bench_env_setenv (env, "MCP_CONSENT_TEST_BROWSER_LOG", env->browser_log);
  mc_bench_env_setenv (env, "MCP_CONSENT_PROMPTER", MC_BENCH_SCRIPTED_PROMPTER);

  start_bus (env);
  return env;
}

void
mc_bench_env_free (McBenchEnv *env)
{
  if (env == NULL)
    return;

  if (env->keyring != NULL)
    {
      mc_bench_stop_process (env->keyring);
      g_clear_object (&env->keyring);
    }
  if (env->connection != NULL)
    {
      g_dbus_connection_close_sync (env->connection, NULL, NULL);
      g_clear_object (&env->connection);
    }
  if (env->bus != NULL)
    {
      mc_bench_stop_process (env->bus);
      g_clear_object (&env->bus);
    }

  if (g_getenv ("MC_BENCH_KEEP") == NULL)
    {
      g_autoptr(GSubprocess) rm = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, NULL, "rm", "-rf", env->dir, NULL);

      if (rm != NULL)
        g_subprocess_wait (rm, NULL, NULL);
    }
  else
    g_printerr ("Kept %s\n", env->dir);

  g_free (env->dir);
  g_free (env->script_path);
  g_free (env->browser_log);
  g_free (env->bus_address);
  g_strfreev (env->envp);
  g_free (env);
}

/**
 * mc_bench_env_spawnv:
 * @env: a #McBenchEnv
 * @log_name: file in the benchmark's directory that gets the program's
 *   stdout and stderr (kept with `MC_BENCH_KEEP=1`)
 * @argv: the program and its arguments
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the process, in the benchmark's environment
 */
GSubprocess *
mc_bench_env_spawnv (McBenchEnv         *env,
                     const char         *log_name,
                     const char * const *argv,
                     GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = mc_bench_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *log_path = g_build_filename (env->dir, log_name, NULL);

  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

/**
 * mc_bench_env_start_daemon:
 * @env: a #McBenchEnv
 * @error: return location for a #GError
 *
 * Starts the built daemon (without --verbose: debug output costs time
 * and memory a user's daemon does not spend) and waits for its name.
 *
 * Returns: (transfer full): the daemon
 */
GSubprocess *
mc_bench_env_start_daemon (McBenchEnv  *env,
                           GError     **error)
{
  const char *wrapper = g_getenv ("MC_BENCH_DAEMON_WRAPPER");
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) daemon = NULL;

  /* For finding where memory goes (valgrind --tool=massif, heaptrack);
   * the numbers measured through a wrapper are the wrapper's. */
  if (wrapper != NULL && wrapper[0] != '\0')
    {
      g_auto(GStrv) wrapper_argv = NULL;

      if (!g_shell_parse_argv (wrapper, NULL, &wrapper_argv, error))
        return NULL;
      for (guint i = 0; wrapper_argv[i] != NULL; i++)
        g_ptr_array_add (argv, g_strdup (wrapper_argv[i]));
    }
  g_ptr_array_add (argv, g_strdup (MC_BENCH_DAEMON));
  g_ptr_array_add (argv, NULL);

  daemon = mc_bench_env_spawnv (env, "mcp-consentd.log", (const char * const *) argv->pdata, error);

  if (daemon == NULL || !mc_bench_env_wait_name (env, BUS_NAME, daemon, error))
    {
      if (daemon != NULL)
        mc_bench_stop_process (daemon);
      return NULL;
    }
  return g_steal_pointer (&daemon);
}

/**
 * mc_bench_env_start_keyring:
 * @env: a #McBenchEnv
 * @error: return location for a #GError
 *
 * Starts gnome-keyring-daemon with its Secret Service only, on the
 * benchmark's bus, as the benchmark's child (stopped by its pid with the
 * environment), as the tests do: it reads the login password on stdin,
 * creates the login keyring in the benchmark's XDG_DATA_HOME and unlocks
 * it, as PAM does at login.  Waits until it owns org.freedesktop.secrets.
 *
 * Returns: %TRUE once the keyring answers
 */
gboolean
mc_bench_env_start_keyring (McBenchEnv  *env,
                            GError     **error)
{
  /* Every byte counts: no newline. */
  static const char password[] = "mcp-consent-bench";
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *log_path = g_build_filename (env->dir, "gnome-keyring.log", NULL);
  GOutputStream *input = NULL;

  g_return_val_if_fail (env->keyring == NULL, FALSE);

  launcher = mc_bench_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  /* In the foreground it stays our child, to be stopped by its pid. */
  env->keyring = g_subprocess_launcher_spawn (launcher, error, "gnome-keyring-daemon", "--foreground",
                                              "--components=secrets", "--unlock", NULL);
  if (env->keyring == NULL)
    return FALSE;

  input = g_subprocess_get_stdin_pipe (env->keyring);
  if (!g_output_stream_write_all (input, password, strlen (password), NULL, NULL, error) ||
      !g_output_stream_close (input, NULL, error))
    return FALSE;

  return mc_bench_env_wait_name (env, "org.freedesktop.secrets", env->keyring, error);
}

typedef struct
{
  McBenchEnv  *env;
  const char  *name;
  GSubprocess *owner;
} NameWait;

static gboolean
name_has_owner (gpointer user_data)
{
  NameWait *wait = user_data;
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  if (wait->owner != NULL && g_subprocess_get_identifier (wait->owner) == NULL)
    return TRUE;

  reply = g_dbus_connection_call_sync (wait->env->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", wait->name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static void
on_owner_waited (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, NULL);
}

/**
 * mc_bench_env_wait_name:
 * @env: a #McBenchEnv
 * @name: a well-known bus name
 * @owner: (nullable): the process expected to take it
 * @error: return location for a #GError
 *
 * Returns: %TRUE once @name has an owner; %FALSE if @owner exited first or
 *   the deadline passed
 */
gboolean
mc_bench_env_wait_name (McBenchEnv   *env,
                        const char   *name,
                        GSubprocess  *owner,
                        GError      **error)
{
  NameWait wait = { env, name, owner };

  /* Reaped as it happens, so an early exit is noticed. */
  if (owner != NULL)
    g_subprocess_wait_async (owner, NULL, on_owner_waited, NULL);

  if (!mc_bench_wait_until (name_has_owner, &wait, MC_BENCH_TIMEOUT_SECONDS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Nobody took the name %s", name);
      return FALSE;
    }
  if (owner != NULL && g_subprocess_get_identifier (owner) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The process meant to own %s exited (see its log in %s)", name, env->dir);
      return FALSE;
    }
  return TRUE;
}

void
mc_bench_env_set_script (McBenchEnv *env,
                         const char *answers)
{
  g_autoptr(GError) error = NULL;

  if (!write_file (env->script_path, answers, &error))
    g_error ("Cannot write the script: %s", error->message);
}

/**
 * mc_bench_env_count_browser_launches:
 * @env: a #McBenchEnv
 *
 * Returns: how many URLs the test browser received, which tells that the
 *   "open" answers really went through GIO to a browser
 */
guint
mc_bench_env_count_browser_launches (McBenchEnv *env)
{
  g_autofree char *contents = NULL;
  guint count = 0;

  if (!g_file_get_contents (env->browser_log, &contents, NULL, NULL))
    return 0;
  for (const char *p = contents; *p != '\0'; p++)
    count += *p == '\n';
  return count;
}

GPid
mc_bench_subprocess_get_pid (GSubprocess *process)
{
  const char *identifier = g_subprocess_get_identifier (process);

  return identifier != NULL ? (GPid) g_ascii_strtoll (identifier, NULL, 10) : 0;
}

static gboolean
subprocess_exited (gpointer user_data)
{
  return g_subprocess_get_identifier (G_SUBPROCESS (user_data)) == NULL;
}

/**
 * mc_bench_stop_process:
 * @process: a child of the benchmark
 *
 * Stops @process by its pid (SIGTERM, SIGKILL after the deadline) and
 * reaps it.
 */
void
mc_bench_stop_process (GSubprocess *process)
{
  if (g_subprocess_get_identifier (process) == NULL)
    return;

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, on_owner_waited, NULL);
  if (!mc_bench_wait_until (subprocess_exited, process, MC_BENCH_TIMEOUT_SECONDS))
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
    }
}

static gboolean
parse_kb (const char *contents,
          const char *field,
          guint64    *out_kb)
{
  const char *line = contents;
  gsize field_len = strlen (field);

  while (line != NULL && *line != '\0')
    {
      if (strncmp (line, field, field_len) == 0 && line[field_len] == ':')
        {
          *out_kb = g_ascii_strtoull (line + field_len + 1, NULL, 10);
          return TRUE;
        }
      line = strchr (line, '\n');
      if (line != NULL)
        line++;
    }
  return FALSE;
}

/**
 * mc_bench_read_memory:
 * @pid: a process
 * @memory: (out): what the kernel says it uses
 *
 * VmRSS counts every resident page the process maps, shared libraries
 * included; Pss divides shared pages among the processes that map them,
 * so it tells what the process itself adds.
 *
 * Returns: %FALSE if the process is gone
 */
gboolean
mc_bench_read_memory (GPid           pid,
                      McBenchMemory *memory)
{
  g_autofree char *status_path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *rollup_path = g_strdup_printf ("/proc/%d/smaps_rollup", (int) pid);
  g_autofree char *status = NULL;
  g_autofree char *rollup = NULL;

  memset (memory, 0, sizeof *memory);
  if (!g_file_get_contents (status_path, &status, NULL, NULL) ||
      !parse_kb (status, "VmRSS", &memory->vm_rss))
    return FALSE;
  parse_kb (status, "RssAnon", &memory->rss_anon);
  parse_kb (status, "RssFile", &memory->rss_file);

  if (g_file_get_contents (rollup_path, &rollup, NULL, NULL))
    {
      parse_kb (rollup, "Pss", &memory->pss);
      parse_kb (rollup, "Pss_Anon", &memory->pss_anon);
    }
  return TRUE;
}

static gboolean
on_settled (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * mc_bench_settle:
 * @milliseconds: how long
 *
 * Runs the main context for @milliseconds, so signals and replies still
 * in flight are handled rather than piling up.
 */
void
mc_bench_settle (guint milliseconds)
{
  gboolean done = FALSE;

  g_timeout_add (milliseconds, on_settled, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
on_wait_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/**
 * mc_bench_wait_until:
 * @condition: checked after every main-context iteration
 * @user_data: data for @condition
 * @timeout_seconds: the deadline
 *
 * Returns: %TRUE once @condition holds, %FALSE at the deadline
 */
gboolean
mc_bench_wait_until (gboolean (*condition) (gpointer user_data),
                     gpointer   user_data,
                     guint      timeout_seconds)
{
  gint64 deadline = g_get_monotonic_time () + timeout_seconds * G_USEC_PER_SEC;
  /* Wakes the loop for conditions no source reports (other processes). */
  guint tick = g_timeout_add (10, on_wait_tick, NULL);
  gboolean holds = FALSE;

  while (!(holds = condition (user_data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (tick);
  return holds;
}

static gboolean
process_gone (gpointer user_data)
{
  GPid pid = GPOINTER_TO_INT (user_data);
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;

  if (kill (pid, 0) != 0)
    return errno == ESRCH;
  /* A zombie of another parent runs no code any more. */
  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return TRUE;
  return strstr (stat, ") Z ") != NULL;
}

gboolean
mc_bench_wait_process_gone (GPid  pid,
                            guint timeout_seconds)
{
  return mc_bench_wait_until (process_gone, GINT_TO_POINTER (pid), timeout_seconds);
}

typedef struct
{
  gboolean  done;
  gint64    end;
  GVariant *reply;
  GError   *error;
} CallWait;

static void
on_call_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallWait *wait = user_data;

  wait->end = g_get_monotonic_time ();
  wait->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source_object), result, &wait->error);
  wait->done = TRUE;
}

/**
 * mc_bench_call:
 * @connection: a bus connection
 * @bus_name: destination
 * @object_path: object
 * @interface_name: interface
 * @method_name: method
 * @parameters: (nullable): arguments, floating
 * @out_reply: (out) (optional): the reply
 * @out_microseconds: (out) (optional): time from the call to the reply
 * @error: return location for a #GError
 *
 * Calls asynchronously and runs the main context until the reply, the
 * same way every benchmark waits, so round trips compare like with like.
 *
 * Returns: %TRUE on a reply, %FALSE on an error
 */
gboolean
mc_bench_call (GDBusConnection  *connection,
               const char       *bus_name,
               const char       *object_path,
               const char       *interface_name,
               const char       *method_name,
               GVariant         *parameters,
               GVariant        **out_reply,
               gint64           *out_microseconds,
               GError          **error)
{
  CallWait wait = { FALSE, 0, NULL, NULL };
  gint64 start = g_get_monotonic_time ();

  g_dbus_connection_call (connection, bus_name, object_path, interface_name, method_name,
                          parameters, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                          MC_BENCH_TIMEOUT_SECONDS * 1000, NULL, on_call_done, &wait);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);

  if (out_microseconds != NULL)
    *out_microseconds = wait.end - start;
  if (wait.reply == NULL)
    {
      g_propagate_error (error, wait.error);
      return FALSE;
    }
  if (out_reply != NULL)
    *out_reply = wait.reply;
  else
    g_variant_unref (wait.reply);
  return TRUE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/**
 * mc_bench_percentile:
 * @samples: doubles; sorted in place
 * @fraction: 0.5 for the median, 0.99 for p99
 *
 * Returns: the nearest-rank percentile, or 0 with no samples
 */
double
mc_bench_percentile (GArray *samples,
                     double  fraction)
{
  guint rank = 0;

  if (samples->len == 0)
    return 0;

  g_array_sort (samples, compare_doubles);
  /* Nearest rank: the smallest sample with at least @fraction of all
   * samples at or below it. */
  rank = (guint) MAX (1.0, (fraction * samples->len) + 0.999999);
  return g_array_index (samples, double, MIN (rank, samples->len) - 1);
}

/**
 * mc_bench_print_machine:
 *
 * Prints what the numbers depend on: the kernel, CPUs and the load at
 * the time, one "# key: value" line each.
 */
void
mc_bench_print_machine (void)
{
  g_autofree char *loadavg = NULL;
  struct utsname names;

  if (uname (&names) == 0)
    printf ("# kernel: %s %s %s\n", names.sysname, names.release, names.machine);
  printf ("# cpus: %u\n", g_get_num_processors ());
  if (g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL))
    printf ("# loadavg: %s", loadavg);
}

/* The client {{{1 */

struct _McBenchClient
{
  GDBusConnection *connection;
  char            *escaped_sender;
  guint            counter;
  GVariant        *server;
};

McBenchClient *
mc_bench_client_new (GDBusConnection *connection)
{
  McBenchClient *client = g_new0 (McBenchClient, 1);
  g_auto(GVariantBuilder) server = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  client->connection = g_object_ref (connection);
  /* ":1.42" → "1_42": the sender part of the predictable Request path. */
  client->escaped_sender = g_strdup (g_dbus_connection_get_unique_name (connection) + 1);
  g_strdelimit (client->escaped_sender, ".", '_');

  g_variant_builder_add (&server, "{sv}", "name", g_variant_new_string ("bench-server"));
  g_variant_builder_add (&server, "{sv}", "title", g_variant_new_string ("Benchmark Server"));
  g_variant_builder_add (&server, "{sv}", "version", g_variant_new_string ("1.0"));
  g_variant_builder_add (&server, "{sv}", "url", g_variant_new_string ("https://mcp.example.com/mcp"));
  client->server = g_variant_ref_sink (g_variant_builder_end (&server));

  return client;
}

void
mc_bench_client_free (McBenchClient *client)
{
  if (client == NULL)
    return;

  g_object_unref (client->connection);
  g_free (client->escaped_sender);
  g_variant_unref (client->server);
  g_free (client);
}

typedef struct
{
  CallWait  call;
  gboolean  responded;
  gint64    response_time;
  guint32   code;
  char     *action;
} ElicitWait;

static void
on_response (GDBusConnection *connection,
             const char      *sender_name,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  ElicitWait *wait = user_data;
  g_autoptr(GVariant) results = NULL;

  wait->response_time = g_get_monotonic_time ();
  g_variant_get (parameters, "(u@a{sv})", &wait->code, &results);
  g_variant_lookup (results, "action", "s", &wait->action);
  wait->responded = TRUE;
}

static gboolean
elicit_done (gpointer user_data)
{
  ElicitWait *wait = user_data;

  /* A failed call gets no Response. */
  return wait->call.done && (wait->responded || wait->call.reply == NULL);
}

static GVariant *
elicit_parameters (McBenchClient *client,
                   const char    *token,
                   const char    *elicitation_id)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *url = g_strdup_printf ("https://mcp.example.com/elicit/confirm?id=%s", token);

  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  if (elicitation_id != NULL)
    g_variant_builder_add (&options, "{sv}", "elicitation_id", g_variant_new_string (elicitation_id));

  return g_variant_new ("(s@a{sv}ss@a{sv})", "", client->server, url,
                        "Confirm the benchmark's request in your browser.",
                        g_variant_builder_end (&options));
}

static char *
next_request (McBenchClient  *client,
              char          **out_token)
{
  *out_token = g_strdup_printf ("bench%u", ++client->counter);
  return g_strconcat (REQUEST_PATH_PREFIX, client->escaped_sender, "/", *out_token, NULL);
}

/**
 * mc_bench_client_elicit:
 * @client: a #McBenchClient
 * @elicitation_id: (nullable): the MCP elicitation id to pass
 * @out_reply_microseconds: (out) (optional): time from the ElicitUrl call
 *   to its reply, the Request's path
 * @out_microseconds: (out) (optional): time from the ElicitUrl call to the
 *   Response signal
 * @error: return location for a #GError
 *
 * One URL elicitation, from the call to its Response.
 *
 * Returns: (transfer full): the Response's "action", or %NULL on error
 */
char *
mc_bench_client_elicit (McBenchClient  *client,
                        const char     *elicitation_id,
                        gint64         *out_reply_microseconds,
                        gint64         *out_microseconds,
                        GError        **error)
{
  ElicitWait wait = { { FALSE, 0, NULL, NULL }, FALSE, 0, 0, NULL };
  g_autofree char *token = NULL;
  g_autofree char *path = next_request (client, &token);
  g_autoptr(GVariant) parameters = g_variant_ref_sink (elicit_parameters (client, token, elicitation_id));
  const char *handle = NULL;
  guint subscription = 0;
  gint64 start = 0;

  /* Subscribed before the call, as the portal pattern has it: the bus
   * handles the AddMatch before the call, so the Response cannot slip
   * past.  That match rule is part of what every client pays. */
  subscription = g_dbus_connection_signal_subscribe (client->connection, BUS_NAME, REQUEST_IFACE, "Response",
                                                     path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                     on_response, &wait, NULL);
  start = g_get_monotonic_time ();
  g_dbus_connection_call (client->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "ElicitUrl",
                          parameters, G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                          MC_BENCH_TIMEOUT_SECONDS * 1000, NULL, on_call_done, &wait.call);

  if (!mc_bench_wait_until (elicit_done, &wait, MC_BENCH_TIMEOUT_SECONDS))
    {
      g_dbus_connection_signal_unsubscribe (client->connection, subscription);
      /* The call's callback still points at @wait: wait for it. */
      while (!wait.call.done)
        g_main_context_iteration (NULL, TRUE);
      g_clear_pointer (&wait.call.reply, g_variant_unref);
      g_clear_error (&wait.call.error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "No Response on %s", path);
      return NULL;
    }
  g_dbus_connection_signal_unsubscribe (client->connection, subscription);

  if (wait.call.reply == NULL)
    {
      g_propagate_error (error, wait.call.error);
      return NULL;
    }

  g_variant_get (wait.call.reply, "(&o)", &handle);
  if (!g_str_equal (handle, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Request path %s, not the predicted %s", handle, path);
      g_variant_unref (wait.call.reply);
      g_free (wait.action);
      return NULL;
    }
  g_variant_unref (wait.call.reply);

  if (out_reply_microseconds != NULL)
    *out_reply_microseconds = wait.call.end - start;
  if (out_microseconds != NULL)
    *out_microseconds = wait.response_time - start;
  return wait.action != NULL ? wait.action : g_strdup ("");
}

/**
 * mc_bench_client_elicit_begin:
 * @client: a #McBenchClient
 * @elicitation_id: (nullable): the MCP elicitation id to pass
 * @error: return location for a #GError
 *
 * Calls ElicitUrl and returns as soon as the request exists, without
 * waiting for its Response.
 *
 * Returns: (transfer full): the Request object path, or %NULL on error
 */
char *
mc_bench_client_elicit_begin (McBenchClient  *client,
                              const char     *elicitation_id,
                              GError        **error)
{
  g_autofree char *token = NULL;
  g_autofree char *path = next_request (client, &token);
  g_autoptr(GVariant) reply = NULL;
  const char *handle = NULL;

  if (!mc_bench_call (client->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "ElicitUrl",
                      elicit_parameters (client, token, elicitation_id), &reply, NULL, error))
    return NULL;

  /* The subscription made for the predicted path only hears that path. */
  g_variant_get (reply, "(&o)", &handle);
  if (!g_str_equal (handle, path))
    g_warning ("The request is at %s, not at the predicted %s", handle, path);
  return g_strdup (handle);
}

/**
 * mc_bench_client_complete:
 * @client: a #McBenchClient
 * @elicitation_id: the id given to ElicitUrl
 * @error: return location for a #GError
 *
 * Forwards MCP's notifications/elicitation/complete, as a client does
 * once the server says the user finished in the browser.
 *
 * Returns: %TRUE if a waiting elicitation matched
 */
gboolean
mc_bench_client_complete (McBenchClient  *client,
                          const char     *elicitation_id,
                          GError        **error)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean matched = FALSE;

  if (!mc_bench_call (client->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "CompleteElicitation",
                      g_variant_new ("(@a{sv}s)", client->server, elicitation_id), &reply, NULL, error))
    return FALSE;

  g_variant_get (reply, "(b)", &matched);
  return matched;
}
