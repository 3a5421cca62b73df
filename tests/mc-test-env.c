/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc-test-env.h"

/* Paths of built and installed programs, from tests/meson.build. */
const char *
mc_test_build_path (const char *env_name)
{
  const char *path = g_getenv (env_name);

  if (path == NULL)
    g_error ("%s is not set; run the tests through meson test", env_name);
  return path;
}

static gboolean
on_wait_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/**
 * mc_test_wait_until:
 * @condition: checked after every main-loop iteration
 * @user_data: data for @condition
 * @what: what is awaited, for the failure message
 *
 * Runs the main context until @condition holds; fails the test when the
 * deadline passes.  A short tick wakes the loop to re-check conditions
 * that no source reports (files written by other processes).
 */
void
mc_test_wait_until (gboolean  (*condition) (gpointer user_data),
                    gpointer    user_data,
                    const char *what)
{
  gint64 deadline = g_get_monotonic_time () + MC_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  guint tick = g_timeout_add (10, on_wait_tick, NULL);

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out after %d s waiting for %s", MC_TEST_TIMEOUT_SECONDS, what);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (tick);
}

static gboolean
subprocess_exited (gpointer user_data)
{
  return g_subprocess_get_identifier (G_SUBPROCESS (user_data)) == NULL;
}

static void
on_subprocess_waited (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, NULL);
}

/**
 * mc_test_wait_subprocess:
 * @subprocess: a child
 *
 * Waits for @subprocess to exit, with the test deadline.
 */
void
mc_test_wait_subprocess (GSubprocess *subprocess)
{
  g_subprocess_wait_async (subprocess, NULL, on_subprocess_waited, NULL);
  mc_test_wait_until (subprocess_exited, subprocess, "a child process to exit");
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
make_dir (McTestEnv  *env,
          const char *name)
{
  char *path = g_build_filename (env->dir, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

static void
setup_xdg (McTestEnv *env)
{
  static const struct { const char *variable; const char *dir; } xdg[] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_RUNTIME_DIR", "runtime" },
    /* Only what the test puts there: no system browser may answer. */
    { "XDG_DATA_DIRS", "data-dirs" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (xdg); i++)
    {
      g_autofree char *path = make_dir (env, xdg[i].dir);

      mc_test_env_setenv (env, xdg[i].variable, path);
    }
  mc_test_env_setenv (env, "XDG_CONFIG_DIRS", env->dir);
  mc_test_env_setenv (env, "DISPLAY", NULL);
  mc_test_env_setenv (env, "WAYLAND_DISPLAY", NULL);
}

/**
 * mc_test_env_setenv:
 * @env: a #McTestEnv
 * @variable: an environment variable
 * @value: (nullable): its value, or %NULL to unset it
 *
 * Changes the environment of what the test starts from now on: the bus,
 * the daemon and the CLI; and, once the bus runs, of the services it
 * activates, as a desktop session does with
 * dbus-update-activation-environment (which can set, not unset).
 */
void
mc_test_env_setenv (McTestEnv  *env,
                    const char *variable,
                    const char *value)
{
  if (value != NULL)
    env->envp = g_environ_setenv (env->envp, variable, value, TRUE);
  else
    env->envp = g_environ_unsetenv (env->envp, variable);

  if (env->connection != NULL)
    {
      g_assert_nonnull (value);
      mc_test_env_set_activation_env (env, variable, value);
    }
}

/**
 * mc_test_env_set_activation_env:
 * @env: a #McTestEnv whose bus runs
 * @variable: an environment variable
 * @value: its value
 *
 * Sets @variable for the services the bus activates from now on (the
 * daemon, and what it starts), and for nothing else the test starts.
 */
void
mc_test_env_set_activation_env (McTestEnv  *env,
                                const char *variable,
                                const char *value)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));

  g_assert_nonnull (env->connection);
  g_variant_builder_add (&builder, "{ss}", variable, value);
  reply = g_dbus_connection_call_sync (env->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "UpdateActivationEnvironment",
                                       g_variant_new ("(@a{ss})", g_variant_builder_end (&builder)),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

static void
die_with_test (gpointer user_data)
{
  /* A test that aborts must not leave buses and daemons behind. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/**
 * mc_test_env_new_launcher:
 * @env: a #McTestEnv
 * @flags: flags for the processes
 *
 * Returns: (transfer full): a launcher with the test's environment whose
 *   processes die with the test process
 */
GSubprocessLauncher *
mc_test_env_new_launcher (McTestEnv        *env,
                          GSubprocessFlags  flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_environ (launcher, env->envp);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  return launcher;
}

/**
 * mc_test_env_register_browser:
 * @env: a #McTestEnv
 * @desktop_id: the desktop file's name, `NAME.desktop`
 * @exec: its Exec line, with `%u` where the URL goes
 *
 * Makes a program the default web browser of the test's session, the way a
 * desktop does: GIO reads the default handler for the scheme from
 * mimeapps.list and runs the desktop file's Exec line.  Replaces whatever
 * browser was registered before.
 */
void
mc_test_env_register_browser (McTestEnv  *env,
                              const char *desktop_id,
                              const char *exec)
{
  g_autofree char *desktop_path = g_build_filename (env->dir, "data", "applications", desktop_id, NULL);
  g_autofree char *mimeapps_path = g_build_filename (env->dir, "config", "mimeapps.list", NULL);
  g_autofree char *desktop = NULL;
  g_autofree char *mimeapps = NULL;

  desktop = g_strdup_printf ("[Desktop Entry]\n"
                             "Type=Application\n"
                             "Name=Test Browser\n"
                             "Exec=%s\n"
                             "MimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
                             exec);
  write_file (desktop_path, desktop);
  mimeapps = g_strdup_printf ("[Default Applications]\n"
                              "x-scheme-handler/https=%s\n"
                              "x-scheme-handler/http=%s\n",
                              desktop_id, desktop_id);
  write_file (mimeapps_path, mimeapps);
}

static void
register_test_browser (McTestEnv *env)
{
  g_autofree char *exec = g_strdup_printf ("%s %%u", mc_test_build_path ("MC_TEST_BROWSER"));

  mc_test_env_register_browser (env, "mc-test-browser.desktop", exec);
}

static void
start_bus (McTestEnv *env)
{
  g_autofree char *config_path = g_build_filename (env->dir, "bus.conf", NULL);
  g_autofree char *socket_dir = make_dir (env, "bus");
  g_autofree char *service_dir = NULL;
  g_autofree char *config = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  if (env->flags & MC_TEST_ENV_ACTIVATION)
    service_dir = g_build_filename (mc_test_build_path ("MC_TEST_PREFIX"), "share", "dbus-1", "services", NULL);
  else
    service_dir = make_dir (env, "no-services");

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
  write_file (config_path, config);

  /* Activated services inherit the bus's environment: the test's. */
  launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* ...and its stderr, where the daemon logs. */
  if (env->flags & MC_TEST_ENV_BUS_LOG)
    {
      g_autofree char *log_path = g_build_filename (env->dir, "bus.log", NULL);

      g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
    }
  env->bus = g_subprocess_launcher_spawn (launcher, &error,
                                          "dbus-daemon", "--nofork", "--print-address=1",
                                          "--config-file", config_path, NULL);
  g_assert_no_error (error);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (env->bus));
  env->bus_address = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (env->bus_address);
  mc_test_env_setenv (env, "DBUS_SESSION_BUS_ADDRESS", env->bus_address);
}

/**
 * mc_test_env_connect:
 * @env: a #McTestEnv
 *
 * Returns: (transfer full): a new private connection to the test bus
 */
GDBusConnection *
mc_test_env_connect (McTestEnv *env)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection = NULL;

  connection = g_dbus_connection_new_for_address_sync (env->bus_address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  return connection;
}

/* In a sanitizer build, what the daemon, the dialog and the CLI report
 * (leaks at exit above all) goes to files in the test's directory, which
 * the teardown reads: a report fails the test even when nobody checks the
 * process's exit status (the bus starts the daemon, the daemon the dialog). */
static const char * const sanitizer_variables[] = { "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS" };

McTestEnv *
mc_test_env_new (McTestEnvFlags flags)
{
  McTestEnv *env = g_new0 (McTestEnv, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *sanitizer_log = NULL;

  env->flags = flags;
  env->envp = g_get_environ ();
  env->dir = g_dir_make_tmp ("mcp-consent-test-XXXXXX", &error);
  g_assert_no_error (error);

  setup_xdg (env);
  if (!(flags & MC_TEST_ENV_NO_BROWSER))
    register_test_browser (env);

  env->script_path = g_build_filename (env->dir, "script", NULL);
  env->record_path = g_build_filename (env->dir, "record.jsonl", NULL);
  env->browser_log = g_build_filename (env->dir, "browser.log", NULL);
  write_file (env->script_path, "");
  sanitizer_log = g_build_filename (env->dir, "sanitizer", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (sanitizer_variables); i++)
    {
      const char *old = g_environ_getenv (env->envp, sanitizer_variables[i]);
      g_autofree char *options = g_strconcat (old != NULL ? old : "", old != NULL ? ":" : "",
                                              "log_path=", sanitizer_log, NULL);

      mc_test_env_setenv (env, sanitizer_variables[i], options);
    }

  mc_test_env_setenv (env, "MCP_CONSENT_TEST_SCRIPT", env->script_path);
  mc_test_env_setenv (env, "MCP_CONSENT_TEST_RECORD", env->record_path);
  mc_test_env_setenv (env, "MCP_CONSENT_TEST_BROWSER_LOG", env->browser_log);
  mc_test_env_setenv (env, "MCP_CONSENT_PROMPTER",
                      flags & MC_TEST_ENV_REAL_PROMPTER ? NULL : mc_test_build_path ("MC_TEST_SCRIPTED_PROMPTER"));

  start_bus (env);
  env->connection = mc_test_env_connect (env);

  if (flags & MC_TEST_ENV_KEYRING)
    mc_test_env_start_keyring (env, TRUE);

  return env;
}

static gboolean
name_has_owner (gpointer user_data)
{
  McTestEnv *env = user_data;
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (env->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", BUS_NAME), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner || (env->daemon != NULL && g_subprocess_get_identifier (env->daemon) == NULL);
}

/**
 * mc_test_env_wait_for_daemon:
 * @env: a #McTestEnv
 *
 * Waits until the broker's name has an owner (or the daemon the test
 * started died).
 */
void
mc_test_env_wait_for_daemon (McTestEnv *env)
{
  mc_test_wait_until (name_has_owner, env, "the daemon to own its name");
  if (env->daemon != NULL && g_subprocess_get_identifier (env->daemon) == NULL)
    g_error ("The daemon exited (status %d) before it owned its name; its output is above",
             g_subprocess_get_status (env->daemon));
}

/**
 * mc_test_env_start_daemon:
 * @env: a #McTestEnv
 *
 * Starts the built daemon on the test bus and waits until it owns its name.
 */
void
mc_test_env_start_daemon (McTestEnv *env)
{
  gboolean to_file = (env->flags & MC_TEST_ENV_DAEMON_LOG) != 0;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (env->daemon);
  /* One file for both streams, in the order they were written. */
  launcher = mc_test_env_new_launcher (env, to_file ? G_SUBPROCESS_FLAGS_STDERR_MERGE : G_SUBPROCESS_FLAGS_NONE);
  if (to_file)
    {
      g_autofree char *log_path = g_build_filename (env->dir, "daemon.log", NULL);

      g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
    }
  env->daemon = g_subprocess_launcher_spawn (launcher, &error,
                                             mc_test_build_path ("MC_TEST_DAEMON"), "--verbose", NULL);
  g_assert_no_error (error);
  mc_test_env_wait_for_daemon (env);
}

/**
 * mc_test_env_read_daemon_log:
 * @env: a #McTestEnv made with %MC_TEST_ENV_DAEMON_LOG
 *
 * Returns: (transfer full): what the daemon the test started has written
 *   to its stdout and stderr so far
 */
char *
mc_test_env_read_daemon_log (McTestEnv *env)
{
  g_autofree char *log_path = g_build_filename (env->dir, "daemon.log", NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_assert_true (env->flags & MC_TEST_ENV_DAEMON_LOG);
  g_file_get_contents (log_path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/**
 * mc_test_env_get_daemon_pid:
 * @env: a #McTestEnv
 *
 * Returns: the process id of whoever owns the broker's name, or 0
 */
guint32
mc_test_env_get_daemon_pid (McTestEnv *env)
{
  g_autoptr(GVariant) reply = NULL;
  guint32 pid = 0;

  reply = g_dbus_connection_call_sync (env->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", BUS_NAME), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(u)", &pid);
  return pid;
}

static gboolean
process_gone (gpointer user_data)
{
  pid_t pid = GPOINTER_TO_INT (user_data);

  /* Zombies of other parents count as gone: they run no code. */
  if (kill (pid, 0) != 0)
    return errno == ESRCH;
  {
    g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
    g_autofree char *stat = NULL;

    if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
      return TRUE;
    return strstr (stat, ") Z ") != NULL;
  }
}

/**
 * mc_test_reserve_port:
 * @out_socket: (out) (transfer full): the socket that holds the port
 *
 * A TCP port on 127.0.0.1 that nothing listens on: @out_socket is bound
 * to it but does not listen, so connections to it are refused, and no
 * other program gets it until @out_socket is closed. Holding several
 * gives different ports.
 *
 * Returns: the port
 */
guint16
mc_test_reserve_port (GSocket **out_socket)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);

  *out_socket = g_steal_pointer (&socket);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/**
 * mc_test_process_gone:
 * @pid: a process id
 *
 * Returns: whether no process @pid runs code any more (a zombie counts as
 *   gone: it waits only for its parent)
 */
gboolean
mc_test_process_gone (int pid)
{
  return process_gone (GINT_TO_POINTER (pid));
}

/* Whether a process of the group still runs code. */
static gboolean
group_gone (gpointer user_data)
{
  int pgid = GPOINTER_TO_INT (user_data);
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name = NULL;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *stat_path = NULL;
      g_autofree char *stat = NULL;
      g_auto(GStrv) fields = NULL;
      const char *after_comm = NULL;

      if (!g_ascii_isdigit (name[0]))
        continue;
      stat_path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      /* "PID (COMM) STATE PPID PGRP …"; COMM may hold spaces and parentheses. */
      after_comm = strrchr (stat, ')');
      if (after_comm == NULL)
        continue;
      fields = g_strsplit (after_comm + 2, " ", 4);
      if (g_strv_length (fields) < 3)
        continue;
      if (atoi (fields[2]) == pgid && !g_str_equal (fields[0], "Z"))
        return FALSE;
    }
  return TRUE;
}

/**
 * mc_test_kill_process_group:
 * @pgid: a process group id (the pid of its leader)
 *
 * Kills every process of the group, by its id, and waits until none runs
 * code any more.  For programs that start helpers of their own (a browser
 * and its renderers) and that a test started in a group of their own.
 */
void
mc_test_kill_process_group (int pgid)
{
  g_assert_cmpint (pgid, >, 1);
  if (kill (-pgid, SIGKILL) != 0)
    g_assert_cmpint (errno, ==, ESRCH);
  mc_test_wait_until (group_gone, GINT_TO_POINTER (pgid), "a process group to exit");
}

static void
stop_activated_daemon (McTestEnv *env)
{
  guint32 pid = mc_test_env_get_daemon_pid (env);

  /* Not our child: stop it by the pid the bus reports, and wait. */
  if (pid == 0)
    return;
  g_assert_cmpint (kill (pid, SIGTERM), ==, 0);
  mc_test_wait_until (process_gone, GINT_TO_POINTER (pid), "the activated daemon to exit");
}

static void
check_sanitizer_reports (McTestEnv *env)
{
  g_autoptr(GDir) dir = g_dir_open (env->dir, 0, NULL);
  const char *name = NULL;
  guint reports = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *report = NULL;

      if (!g_str_has_prefix (name, "sanitizer."))
        continue;

      path = g_build_filename (env->dir, name, NULL);
      if (g_file_get_contents (path, &report, NULL, NULL))
        g_printerr ("%s:\n%s\n", path, report);
      reports++;
    }

  if (reports > 0)
    g_error ("%u process(es) started by this test reported sanitizer errors or leaks (above)", reports);
}

/**
 * mc_test_env_stop_daemon:
 * @env: a #McTestEnv whose test started the daemon
 *
 * Stops the daemon the test started, by its pid, and waits for it to
 * exit; mc_test_env_start_daemon() may start it again, with the
 * environment as it is then.
 */
void
mc_test_env_stop_daemon (McTestEnv *env)
{
  g_autoptr(GSubprocess) daemon = g_steal_pointer (&env->daemon);

  g_assert_nonnull (daemon);
  if (g_subprocess_get_identifier (daemon) != NULL)
    g_subprocess_send_signal (daemon, SIGTERM);
  mc_test_wait_subprocess (daemon);
}

/**
 * mc_test_env_tolerate_libsecret_unlock_leaks:
 * @env: a #McTestEnv
 *
 * libsecret 0.20.5 leaks on its unlock paths, which every operation on a
 * locked keyring takes: an empty GPtrArray for each Lock or Unlock that
 * answers with a prompt (on_xlock_called(), fixed in 0.21.2 by
 * "secret-paths: Fix memleak when unlocking a path"), and D-Bus replies
 * of the prompt and create paths, allocated in GDBus's worker thread with
 * no frame of libsecret's to suppress them by.  What the test starts from
 * now on (token-store-probe, the daemon) runs without leak detection;
 * AddressSanitizer's other checks stay on, and every unlocked path runs
 * with leak detection in the other tests.
 */
void
mc_test_env_tolerate_libsecret_unlock_leaks (McTestEnv *env)
{
  g_autofree char *log_path = g_build_filename (env->dir, "sanitizer", NULL);
  g_autofree char *options = g_strdup_printf ("detect_leaks=0:log_path=%s", log_path);

  mc_test_env_setenv (env, "ASAN_OPTIONS", options);
  mc_test_env_setenv (env, "LSAN_OPTIONS", options);
}

void
mc_test_env_free (McTestEnv *env)
{
  if (env == NULL)
    return;

  if (env->daemon != NULL)
    {
      mc_test_env_stop_daemon (env);
    }
  else if (env->flags & MC_TEST_ENV_ACTIVATION && env->connection != NULL)
    {
      stop_activated_daemon (env);
    }

  mc_test_env_stop_keyring (env);

  if (env->connection != NULL)
    {
      g_dbus_connection_close_sync (env->connection, NULL, NULL);
      g_clear_object (&env->connection);
    }

  if (env->bus != NULL)
    {
      g_subprocess_send_signal (env->bus, SIGTERM);
      mc_test_wait_subprocess (env->bus);
      g_clear_object (&env->bus);
    }

  check_sanitizer_reports (env);

  if (g_getenv ("MC_TEST_KEEP") == NULL)
    {
      g_autoptr(GSubprocess) rm = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, NULL, "rm", "-rf", env->dir, NULL);

      if (rm != NULL)
        g_subprocess_wait (rm, NULL, NULL);
    }
  else
    g_test_message ("Kept %s", env->dir);

  g_free (env->dir);
  g_free (env->script_path);
  g_free (env->record_path);
  g_free (env->browser_log);
  g_free (env->bus_address);
  g_strfreev (env->envp);
  g_free (env);
}

void
mc_test_env_set_script (McTestEnv  *env,
                        const char *answers)
{
  write_file (env->script_path, answers);
}

static GPtrArray *
read_records (McTestEnv *env)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);

  if (!g_file_get_contents (env->record_path, &contents, NULL, NULL))
    return records;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;

      /* A line is complete only once its newline is written. */
      if (lines[i + 1] == NULL)
        break;

      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      g_ptr_array_add (records, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
    }

  return records;
}

guint
mc_test_env_count_records (McTestEnv *env)
{
  g_autoptr(GPtrArray) records = read_records (env);

  return records->len;
}

typedef struct
{
  McTestEnv *env;
  guint      count;
} RecordWait;

static gboolean
has_records (gpointer user_data)
{
  RecordWait *wait = user_data;

  return mc_test_env_count_records (wait->env) >= wait->count;
}

/**
 * mc_test_env_wait_record:
 * @env: a #McTestEnv
 * @index: which record, from 0
 *
 * Returns: (transfer full): the scripted prompter's record number @index
 */
JsonObject *
mc_test_env_wait_record (McTestEnv *env,
                         guint      index)
{
  RecordWait wait = { env, index + 1 };
  g_autoptr(GPtrArray) records = NULL;

  mc_test_wait_until (has_records, &wait, "a record of the scripted prompter");
  records = read_records (env);
  return json_object_ref (g_ptr_array_index (records, index));
}

/* Whether @record is a @event (for @prompt_id, unless %NULL). */
static gboolean
record_is (JsonObject *record,
           const char *event,
           const char *prompt_id)
{
  return g_strcmp0 (json_object_get_string_member_with_default (record, "event", NULL), event) == 0 &&
         (prompt_id == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (record, "id", NULL), prompt_id) == 0);
}

/**
 * mc_test_env_count_events:
 * @env: a #McTestEnv
 * @event: "prompt", "opened", "open-failed" or "dismissed"
 * @prompt_id: (nullable): only the events of this prompt
 *
 * Returns: how many such records the scripted prompter wrote so far
 */
guint
mc_test_env_count_events (McTestEnv  *env,
                          const char *event,
                          const char *prompt_id)
{
  g_autoptr(GPtrArray) records = read_records (env);
  guint count = 0;

  for (guint i = 0; i < records->len; i++)
    if (record_is (records->pdata[i], event, prompt_id))
      count++;
  return count;
}

/* A wait for @count of the scripted prompter's records of @event (for
 * @prompt_id, unless %NULL), or of the browser's log lines of @event. */
typedef struct
{
  McTestEnv  *env;
  const char *event;
  const char *prompt_id;
  guint       count;
} EventWait;

static gboolean
has_events (gpointer user_data)
{
  EventWait *wait = user_data;

  return mc_test_env_count_events (wait->env, wait->event, wait->prompt_id) >= wait->count;
}

/**
 * mc_test_env_wait_event:
 * @env: a #McTestEnv
 * @event: "prompt", "opened", "open-failed" or "dismissed"
 * @prompt_id: (nullable): only the events of this prompt
 * @nth: which of them, from 0
 *
 * Returns: (transfer full): the scripted prompter's @nth record of @event,
 *   once it is written
 */
JsonObject *
mc_test_env_wait_event (McTestEnv  *env,
                        const char *event,
                        const char *prompt_id,
                        guint       nth)
{
  EventWait wait = { env, event, prompt_id, nth + 1 };
  g_autoptr(GPtrArray) records = NULL;
  guint seen = 0;

  mc_test_wait_until (has_events, &wait, event);
  records = read_records (env);
  for (guint i = 0; i < records->len; i++)
    if (record_is (records->pdata[i], event, prompt_id) && seen++ == nth)
      return json_object_ref (records->pdata[i]);
  g_assert_not_reached ();
}

char *
mc_test_env_read_browser_log (McTestEnv *env)
{
  char *contents = NULL;

  if (!g_file_get_contents (env->browser_log, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

static gboolean
browser_called (gpointer user_data)
{
  g_autofree char *log = mc_test_env_read_browser_log (user_data);

  return strchr (log, '\n') != NULL;
}

/* The JSON lines of the browser log (follow-browser's) with this "event";
 * other lines (test-browser's plain ones) are passed over. */
static GPtrArray *
read_browser_events (McTestEnv  *env,
                     const char *event)
{
  g_autofree char *log = mc_test_env_read_browser_log (env);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  /* A line is complete only once its newline is written. */
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (lines[i], NULL);
      JsonObject *object = NULL;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member_with_default (object, "event", NULL), event) == 0)
        g_ptr_array_add (events, json_object_ref (object));
    }
  return events;
}

static gboolean
has_browser_events (gpointer user_data)
{
  EventWait *wait = user_data;
  g_autoptr(GPtrArray) events = read_browser_events (wait->env, wait->event);

  return events->len >= wait->count;
}

/**
 * mc_test_env_wait_browser_event:
 * @env: a #McTestEnv
 * @event: an event of follow-browser's log: "started", "loaded",
 *   "submitted", "skipped", "failed"
 * @nth: which of them, from 0
 *
 * Returns: (transfer full): the @nth such line of the browser log, once
 *   it is written
 */
JsonObject *
mc_test_env_wait_browser_event (McTestEnv  *env,
                                const char *event,
                                guint       nth)
{
  EventWait wait = { env, event, NULL, nth + 1 };
  g_autoptr(GPtrArray) events = NULL;

  mc_test_wait_until (has_browser_events, &wait, event);
  events = read_browser_events (env, event);
  return json_object_ref (events->pdata[nth]);
}

/**
 * mc_test_env_count_browser_events:
 * @env: a #McTestEnv
 * @event: an event of follow-browser's log
 *
 * Returns: how many such lines the browser log has so far
 */
guint
mc_test_env_count_browser_events (McTestEnv  *env,
                                  const char *event)
{
  g_autoptr(GPtrArray) events = read_browser_events (env, event);

  return events->len;
}

/**
 * mc_test_env_wait_browsers_gone:
 * @env: a #McTestEnv
 *
 * Waits for every follow-browser the log names (its "started" lines) to
 * exit: nobody's child the test could wait on, each exits once its pages
 * are done (or its own timeout, shorter than the test's deadline, passed).
 */
void
mc_test_env_wait_browsers_gone (McTestEnv *env)
{
  g_autoptr(GPtrArray) started = read_browser_events (env, "started");

  for (guint i = 0; i < started->len; i++)
    mc_test_wait_until (process_gone, GINT_TO_POINTER (json_object_get_int_member (started->pdata[i], "pid")),
                        "the browser to exit");
}

/**
 * mc_test_env_wait_browser:
 * @env: a #McTestEnv
 *
 * Returns: (transfer full): everything the test browser received so far,
 *   once it received something
 */
char *
mc_test_env_wait_browser (McTestEnv *env)
{
  mc_test_wait_until (browser_called, env, "the test browser to be started");
  return mc_test_env_read_browser_log (env);
}

static GPtrArray *
cli_argv (McTestEnv  *env,
          const char *first_arg,
          va_list     args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  const char *arg = NULL;

  if (env->flags & MC_TEST_ENV_ACTIVATION)
    g_ptr_array_add (argv, g_build_filename (mc_test_build_path ("MC_TEST_PREFIX"), "bin", "mcp-consent", NULL));
  else
    g_ptr_array_add (argv, g_strdup (mc_test_build_path ("MC_TEST_CLI")));

  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);

  return argv;
}

/**
 * mc_test_env_spawn_cli:
 * @env: a #McTestEnv
 * @error: return location for a #GError
 * @first_arg: the first argument after the program name
 * @...: more arguments, %NULL-terminated
 *
 * Starts `mcp-consent` (the installed one for activation tests) with
 * stdout and stderr piped.
 *
 * Returns: (transfer full): the process
 */
GSubprocess *
mc_test_env_spawn_cli (McTestEnv   *env,
                       GError     **error,
                       const char  *first_arg,
                       ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  va_list args;

  va_start (args, first_arg);
  argv = cli_argv (env, first_arg, args);
  va_end (args);

  launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  return g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, error);
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
} Communicated;

static void
on_communicated (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communicated *communicated = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source_object), result,
                                        &communicated->out, &communicated->err, &error);
  g_assert_no_error (error);
  communicated->done = TRUE;
}

static gboolean
is_communicated (gpointer user_data)
{
  return ((Communicated *)user_data)->done;
}

/**
 * mc_test_communicate:
 * @process: a process started with its stdout (and maybe stderr) piped
 * @out_stderr: (out) (optional) (transfer full): what it wrote to stderr
 *
 * Reads @process's output until it exits, within the tests' deadline, and
 * waits for it.
 *
 * Returns: (transfer full): what it wrote to stdout
 */
char *
mc_test_communicate (GSubprocess  *process,
                     char        **out_stderr)
{
  Communicated communicated = { FALSE, NULL, NULL };

  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &communicated);
  mc_test_wait_until (is_communicated, &communicated, "a process to finish");
  mc_test_wait_subprocess (process);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&communicated.err);
  else
    g_free (communicated.err);
  return communicated.out;
}

static int
run_cli_va (McTestEnv   *env,
            const char  *input,
            char       **out_stdout,
            char       **out_stderr,
            const char  *first_arg,
            va_list      args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GSubprocess) cli = NULL;
  g_autoptr(GError) error = NULL;
  Communicated communicated = { FALSE, NULL, NULL };
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;

  argv = cli_argv (env, first_arg, args);

  /* Without input the CLI reads the test's own stdin, as it always did. */
  if (input != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  launcher = mc_test_env_new_launcher (env, flags);
  cli = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (cli, input, NULL, on_communicated, &communicated);
  mc_test_wait_until (is_communicated, &communicated, "mcp-consent to finish");
  mc_test_wait_subprocess (cli);

  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&communicated.out);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&communicated.err);
  g_free (communicated.out);
  g_free (communicated.err);

  g_assert_true (g_subprocess_get_if_exited (cli));
  return g_subprocess_get_exit_status (cli);
}

/**
 * mc_test_env_run_cli:
 * @env: a #McTestEnv
 * @out_stdout: (out) (optional): what it printed on stdout
 * @out_stderr: (out) (optional): what it printed on stderr
 * @first_arg: the first argument
 * @...: more arguments, %NULL-terminated
 *
 * Runs `mcp-consent` to the end, with the test deadline, while the main
 * context keeps running.
 *
 * Returns: its exit status
 */
int
mc_test_env_run_cli (McTestEnv   *env,
                     char       **out_stdout,
                     char       **out_stderr,
                     const char  *first_arg,
                     ...)
{
  va_list args;
  int status;

  va_start (args, first_arg);
  status = run_cli_va (env, NULL, out_stdout, out_stderr, first_arg, args);
  va_end (args);
  return status;
}

/**
 * mc_test_env_run_cli_with_input:
 * @env: a #McTestEnv
 * @input: what the CLI reads on stdin, which is then closed
 * @out_stdout: (out) (optional): what it printed on stdout
 * @out_stderr: (out) (optional): what it printed on stderr
 * @first_arg: the first argument
 * @...: more arguments, %NULL-terminated
 *
 * Like mc_test_env_run_cli(), for commands that read standard input, such
 * as `client set --client-secret-stdin`: secrets never go in argv.
 *
 * Returns: its exit status
 */
int
mc_test_env_run_cli_with_input (McTestEnv   *env,
                                const char  *input,
                                char       **out_stdout,
                                char       **out_stderr,
                                const char  *first_arg,
                                ...)
{
  va_list args;
  int status;

  g_return_val_if_fail (input != NULL, -1);

  va_start (args, first_arg);
  status = run_cli_va (env, input, out_stdout, out_stderr, first_arg, args);
  va_end (args);
  return status;
}

static void G_GNUC_NULL_TERMINATED
add_args (GPtrArray  *args,
          const char *first,
          ...)
{
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, g_strdup (arg));
  va_end (ap);
}

/**
 * mc_test_env_spawn_in_flatpak:
 * @env: a #McTestEnv
 * @app_id: the app id its /.flatpak-info names
 * @flags: flags for the process (pipes)
 * @error: return location for a #GError
 * @first_arg: the program, then its arguments, %NULL-terminated
 *
 * Runs a program the way Flatpak would run an app, as far as the broker
 * can tell: inside bwrap, in its own PID namespace, with a /.flatpak-info
 * naming @app_id.  The test's directory (with the bus socket) and the
 * installed prefix are visible inside.
 *
 * Returns: (transfer full): the bwrap process
 */
GSubprocess *
mc_test_env_spawn_in_flatpak (McTestEnv         *env,
                              const char        *app_id,
                              GSubprocessFlags   flags,
                              GError           **error,
                              const char  *first_arg,
                              ...)
{
  static const char * const top_dirs[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *flatpak_info = NULL;
  const char *prefix = mc_test_build_path ("MC_TEST_PREFIX");
  const char *build_root = mc_test_build_path ("MC_TEST_BUILD_ROOT");
  int info_pipe[2] = { -1, -1 };
  va_list ap;

  flatpak_info = g_strdup_printf ("[Application]\n"
                                  "name=%s\n"
                                  "runtime=runtime/org.gnome.Platform/x86_64/47\n"
                                  "\n"
                                  "[Instance]\n"
                                  "instance-id=%u\n",
                                  app_id, g_random_int ());
  /* Flatpak hands bwrap the file on a descriptor; so do we. */
  g_assert_no_errno (pipe (info_pipe));
  g_assert_cmpint (write (info_pipe[1], flatpak_info, strlen (flatpak_info)), ==, strlen (flatpak_info));
  close (info_pipe[1]);

  add_args (args,
            "bwrap",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
            "--ro-bind", "/etc", "/etc",
            "--proc", "/proc",
            "--dev", "/dev",
            "--ro-bind-data", "3", "/.flatpak-info",
            "--bind", env->dir, env->dir,
            "--ro-bind", prefix, prefix,
            "--ro-bind", build_root, build_root,
            NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (top_dirs); i++)
    {
      g_autofree char *path = g_build_filename ("/", top_dirs[i], NULL);
      g_autofree char *target = g_file_read_link (path, NULL);

      if (target != NULL)
        add_args (args, "--symlink", target, path, NULL);
      else if (g_file_test (path, G_FILE_TEST_IS_DIR))
        add_args (args, "--ro-bind", path, path, NULL);
    }
  g_ptr_array_add (args, g_strdup ("--"));

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (args, NULL);

  launcher = mc_test_env_new_launcher (env, flags);
  g_subprocess_launcher_take_fd (launcher, info_pipe[0], 3);
  return g_subprocess_launcher_spawnv (launcher, (const char * const *)args->pdata, error);
}

/**
 * mc_test_env_write_desktop_file:
 * @env: a #McTestEnv
 * @app_id: an app id
 * @name: its display name
 *
 * Installs `APPID.desktop` in the test's data dir, as Flatpak exports it.
 *
 * Returns: (transfer full): the file's path
 */
char *
mc_test_env_write_desktop_file (McTestEnv  *env,
                                const char *app_id,
                                const char *name)
{
  g_autofree char *basename = g_strconcat (app_id, ".desktop", NULL);
  char *path = g_build_filename (env->dir, "data", "applications", basename, NULL);
  g_autofree char *contents = g_strdup_printf ("[Desktop Entry]\n"
                                               "Type=Application\n"
                                               "Name=%s\n"
                                               "Exec=true\n"
                                               "Icon=%s\n",
                                               name, app_id);

  write_file (path, contents);
  return path;
}

/**
 * mc_test_write_file:
 * @path: a file, whose directories are made as needed
 * @contents: what it holds
 *
 * Writes @path atomically (a new file renamed over the old), as editors
 * and configuration tools do.
 */
void
mc_test_write_file (const char *path,
                    const char *contents)
{
  write_file (path, contents);
}

static gboolean
installed_is_current (const char *installed,
                      const char *built)
{
  GStatBuf installed_stat;
  GStatBuf built_stat;

  if (g_stat (installed, &installed_stat) != 0)
    return FALSE;
  if (g_stat (built, &built_stat) != 0)
    return TRUE;
  return installed_stat.st_mtime >= built_stat.st_mtime;
}

/**
 * mc_test_ensure_installed:
 *
 * End-to-end tests use the installed prefix, as a user's session would.
 * When the prefix lives in the build directory (the README's test command
 * sets it up so), a stale or missing installation is brought up to date
 * under a lock; otherwise the test fails and says what to run.
 */
void
mc_test_ensure_installed (void)
{
  const char *prefix = mc_test_build_path ("MC_TEST_PREFIX");
  const char *build_root = mc_test_build_path ("MC_TEST_BUILD_ROOT");
  g_autofree char *installed_daemon = g_build_filename (prefix, "libexec", "mcp-consentd", NULL);
  g_autofree char *installed_cli = g_build_filename (prefix, "bin", "mcp-consent", NULL);
  g_autofree char *installed_prompter = g_build_filename (prefix, "libexec", "mcp-consent-prompter", NULL);
  g_autofree char *service = g_build_filename (prefix, "share", "dbus-1", "services",
                                               BUS_NAME ".service", NULL);
  g_autofree char *lock_path = g_build_filename (build_root, "test-install.lock", NULL);
  g_autoptr(GSubprocess) install = NULL;
  g_autoptr(GError) error = NULL;
  int lock_fd = -1;

  if (installed_is_current (installed_daemon, mc_test_build_path ("MC_TEST_DAEMON")) &&
      installed_is_current (installed_cli, mc_test_build_path ("MC_TEST_CLI")) &&
      installed_is_current (installed_prompter, mc_test_build_path ("MC_TEST_PROMPTER")) &&
      g_file_test (service, G_FILE_TEST_EXISTS))
    return;

  if (!g_str_has_prefix (prefix, build_root))
    g_error ("The installed prefix %s is missing or older than the build; "
             "run “meson install -C %s” (end-to-end tests use the installed broker)",
             prefix, build_root);

  lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  g_assert_no_errno (lock_fd);
  g_assert_no_errno (flock (lock_fd, LOCK_EX));

  install = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                              "meson", "install", "-C", build_root, "--no-rebuild", "--quiet", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (install, NULL, &error);
  g_assert_no_error (error);

  close (lock_fd);
}

static gboolean
secrets_has_owner (McTestEnv *env)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (env->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static gboolean
keyring_ready (gpointer user_data)
{
  McTestEnv *env = user_data;

  return secrets_has_owner (env) || g_subprocess_get_identifier (env->keyring) == NULL;
}

/**
 * mc_test_env_start_keyring:
 * @env: a #McTestEnv
 * @unlock: whether to unlock (creating it if need be) the login keyring
 *
 * Starts gnome-keyring-daemon with its Secret Service only, on the test
 * bus, as the test's child (stopped by its pid), and waits until it owns
 * org.freedesktop.secrets.  Its keyrings are in the test's XDG_DATA_HOME.
 *
 * With @unlock it reads %MC_TEST_KEYRING_PASSWORD on stdin (every byte
 * counts, so no newline), creates the login keyring if there is none and
 * unlocks it, as PAM does at login.  Without, an existing login keyring
 * stays locked, and the test bus offers no prompter to unlock it: what a
 * headless session with a locked keyring looks like.
 */
void
mc_test_env_start_keyring (McTestEnv *env,
                           gboolean   unlock)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log_path = g_build_filename (env->dir, "keyring.log", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_assert_null (env->keyring);

  launcher = mc_test_env_new_launcher (env, unlock ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_ptr_array_add (argv, (char *)"gnome-keyring-daemon");
  /* In the foreground, it stays our child, to be stopped by its pid. */
  g_ptr_array_add (argv, (char *)"--foreground");
  g_ptr_array_add (argv, (char *)"--components=secrets");
  if (unlock)
    g_ptr_array_add (argv, (char *)"--unlock");
  g_ptr_array_add (argv, NULL);
  env->keyring = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);

  if (unlock)
    {
      GOutputStream *input = g_subprocess_get_stdin_pipe (env->keyring);

      g_output_stream_write_all (input, MC_TEST_KEYRING_PASSWORD, strlen (MC_TEST_KEYRING_PASSWORD),
                                 NULL, NULL, &error);
      g_assert_no_error (error);
      g_output_stream_close (input, NULL, &error);
      g_assert_no_error (error);
    }

  mc_test_wait_until (keyring_ready, env, "gnome-keyring-daemon to own org.freedesktop.secrets");
  if (g_subprocess_get_identifier (env->keyring) == NULL)
    {
      g_autofree char *log = NULL;

      g_file_get_contents (log_path, &log, NULL, NULL);
      g_error ("gnome-keyring-daemon exited before owning org.freedesktop.secrets:\n%s", log ?: "");
    }
}

static gboolean
secrets_released (gpointer user_data)
{
  return !secrets_has_owner (user_data);
}

/**
 * mc_test_env_stop_keyring:
 * @env: a #McTestEnv
 *
 * Stops the gnome-keyring-daemon the test started, by its pid, and waits
 * for it to exit and its name to be free again.
 */
void
mc_test_env_stop_keyring (McTestEnv *env)
{
  g_autoptr(GSubprocess) keyring = g_steal_pointer (&env->keyring);

  if (keyring == NULL)
    return;

  if (g_subprocess_get_identifier (keyring) != NULL)
    g_subprocess_send_signal (keyring, SIGTERM);
  mc_test_wait_subprocess (keyring);
  if (env->connection != NULL)
    mc_test_wait_until (secrets_released, env, "org.freedesktop.secrets to be released");
}

static GVariant *
call_secrets (McTestEnv          *env,
              const char         *path,
              const char         *interface,
              const char         *method,
              GVariant           *parameters,
              const GVariantType *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = NULL;

  reply = g_dbus_connection_call_sync (env->connection, "org.freedesktop.secrets", path, interface, method,
                                       parameters, reply_type, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                       MC_TEST_TIMEOUT_SECONDS * 1000, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

/**
 * mc_test_env_lock_keyring:
 * @env: a #McTestEnv
 *
 * Locks the collection behind the "default" alias through the Secret
 * Service's own Lock method, as the user does from Seahorse.  gnome-keyring
 * locks without a prompt.
 */
void
mc_test_env_lock_keyring (McTestEnv *env)
{
  g_autoptr(GVariant) alias = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GVariant) prompt = NULL;
  const char *collection = NULL;
  const char *paths[] = { NULL, NULL };

  alias = call_secrets (env, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "ReadAlias",
                        g_variant_new ("(s)", "default"), G_VARIANT_TYPE ("(o)"));
  g_variant_get (alias, "(&o)", &collection);
  g_assert_cmpstr (collection, !=, "/");
  paths[0] = collection;

  locked = call_secrets (env, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "Lock",
                         g_variant_new ("(^ao)", paths), G_VARIANT_TYPE ("(aoo)"));
  g_variant_get (locked, "(@aoo)", NULL, NULL);
  prompt = g_variant_get_child_value (locked, 1);
  /* No prompt: gnome-keyring locked it at once. */
  g_assert_cmpstr (g_variant_get_string (prompt, NULL), ==, "/");
}

static void
secret_item_free (gpointer data)
{
  McTestSecretItem *item = data;

  g_free (item->path);
  g_free (item->label);
  g_clear_pointer (&item->attributes, g_hash_table_unref);
  g_free (item);
}

/* NULL when the item is gone: deleted since the search found it. */
static GVariant *
get_item_property (McTestEnv  *env,
                   const char *path,
                   const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *value = NULL;

  reply = g_dbus_connection_call_sync (env->connection, "org.freedesktop.secrets", path,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.freedesktop.Secret.Item", name),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                       MC_TEST_TIMEOUT_SECONDS * 1000, NULL, &error);
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
    return NULL;
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

static void
add_items (McTestEnv  *env,
           GPtrArray  *items,
           GVariant   *paths,
           gboolean    locked)
{
  GVariantIter iter;
  const char *path = NULL;

  g_variant_iter_init (&iter, paths);
  while (g_variant_iter_next (&iter, "&o", &path))
    {
      McTestSecretItem *item = NULL;
      g_autoptr(GVariant) label = get_item_property (env, path, "Label");
      g_autoptr(GVariant) attributes = get_item_property (env, path, "Attributes");
      GVariantIter attribute_iter;
      const char *name = NULL;
      const char *value = NULL;

      /* The daemon may be deleting items while a test looks. */
      if (label == NULL || attributes == NULL)
        continue;

      item = g_new0 (McTestSecretItem, 1);
      item->path = g_strdup (path);
      item->label = g_variant_dup_string (label, NULL);
      item->locked = locked;
      item->attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_variant_iter_init (&attribute_iter, attributes);
      while (g_variant_iter_next (&attribute_iter, "{&s&s}", &name, &value))
        g_hash_table_insert (item->attributes, g_strdup (name), g_strdup (value));
      g_ptr_array_add (items, item);
    }
}

/**
 * mc_test_env_list_secret_items:
 * @env: a #McTestEnv with a keyring
 * @schema: an xdg:schema
 *
 * Asks the Secret Service itself (not libsecret, whose answers the tests
 * check) for every item of @schema, locked or not, in every collection.
 * The attributes of items in a collection that was locked when the service
 * started are not known to it: such items are not listed; nor are items
 * deleted between the search and the reading of their properties.
 *
 * Returns: (transfer full) (element-type McTestSecretItem): the items
 */
GPtrArray *
mc_test_env_list_secret_items (McTestEnv  *env,
                               const char *schema)
{
  g_auto(GVariantBuilder) query = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) unlocked = NULL;
  g_autoptr(GVariant) locked = NULL;
  GPtrArray *items = g_ptr_array_new_with_free_func (secret_item_free);

  g_variant_builder_add (&query, "{ss}", "xdg:schema", schema);
  reply = call_secrets (env, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "SearchItems",
                        g_variant_new ("(@a{ss})", g_variant_builder_end (&query)), G_VARIANT_TYPE ("(aoao)"));
  unlocked = g_variant_get_child_value (reply, 0);
  locked = g_variant_get_child_value (reply, 1);
  add_items (env, items, unlocked, FALSE);
  add_items (env, items, locked, TRUE);

  return items;
}

/**
 * mc_test_env_dup_secret:
 * @env: a #McTestEnv with a keyring
 * @item_path: an unlocked item, from mc_test_env_list_secret_items()
 *
 * Reads the secret of an item through the Secret Service itself, in a
 * "plain" session (the test bus is private to the test), so that a test
 * can check what the daemon stored without the daemon's own code.
 *
 * Returns: (transfer full): the secret, as text
 */
char *
mc_test_env_dup_secret (McTestEnv  *env,
                        const char *item_path)
{
  g_autoptr(GVariant) opened = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) closed = NULL;
  g_autoptr(GVariant) value = NULL;
  const char *session = NULL;
  const guint8 *bytes = NULL;
  gsize length = 0;

  opened = call_secrets (env, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "OpenSession",
                         g_variant_new ("(sv)", "plain", g_variant_new_string ("")), G_VARIANT_TYPE ("(vo)"));
  g_variant_get (opened, "(v&o)", NULL, &session);

  reply = call_secrets (env, item_path, "org.freedesktop.Secret.Item", "GetSecret",
                        g_variant_new ("(o)", session), G_VARIANT_TYPE ("((oayays))"));
  g_variant_get (reply, "((&o@ay@ay&s))", NULL, NULL, &value, NULL);
  bytes = g_variant_get_fixed_array (value, &length, 1);

  closed = call_secrets (env, session, "org.freedesktop.Secret.Session", "Close", NULL, NULL);
  return g_strndup ((const char *)bytes, length);
}

/**
 * mc_test_env_dup_access_token:
 * @env: a #McTestEnv with a keyring
 *
 * Returns: (transfer full) (nullable): the secret of the first access-token
 *   item the broker stored (schema io.github.mcp_consent.Token, kind
 *   "access"), read from the Secret Service, not through the broker
 */
char *
mc_test_env_dup_access_token (McTestEnv *env)
{
  g_autoptr(GPtrArray) items = mc_test_env_list_secret_items (env, "io.github.mcp_consent.Token");

  for (guint i = 0; i < items->len; i++)
    {
      McTestSecretItem *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (g_hash_table_lookup (item->attributes, "kind"), "access") == 0)
        return mc_test_env_dup_secret (env, item->path);
    }
  return NULL;
}

static gboolean
contains (const char *haystack,
          gsize       haystack_length,
          const char *needle,
          gsize       needle_length)
{
  for (gsize i = 0; i + needle_length <= haystack_length; i++)
    {
      if (memcmp (haystack + i, needle, needle_length) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
find_in_dir (const char *dir,
             const char *needle,
             gsize       needle_length,
             const char *top,
             GPtrArray  *found)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name = NULL;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;
      GStatBuf buf;

      if (g_lstat (path, &buf) != 0)
        continue;
      if (S_ISDIR (buf.st_mode))
        {
          find_in_dir (path, needle, needle_length, top, found);
          continue;
        }
      /* Sockets and fifos hold nothing; symlinks point at what is
       * searched anyway, or outside. */
      if (!S_ISREG (buf.st_mode))
        continue;

      if (g_file_get_contents (path, &contents, &length, NULL) &&
          contains (contents, length, needle, needle_length))
        g_ptr_array_add (found, g_strdup (path + strlen (top) + 1));
    }
}

/**
 * mc_test_env_find_in_files:
 * @env: a #McTestEnv
 * @needle: bytes to look for
 *
 * Reads every regular file under the test's directory — its HOME and XDG
 * dirs with the keyrings and the broker's state, the logs of everything it
 * started, the bus's files — and lists those that contain @needle.  Tests
 * assert with it that a secret reached no file, not even the keyring's in
 * clear.
 *
 * Returns: (transfer full) (element-type utf8): the paths, relative to the
 *   test's directory
 */
GPtrArray *
mc_test_env_find_in_files (McTestEnv  *env,
                           const char *needle)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpuint (strlen (needle), >, 0);
  find_in_dir (env->dir, needle, strlen (needle), env->dir, found);
  return found;
}
