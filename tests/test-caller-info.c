/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* Every case that needs a bus starts its own dbus-daemon on a socket in its
 * own directory, and real peers (tests/caller-probe.c) connect to it, plainly
 * or from inside a bwrap sandbox that carries a /.flatpak-info. Nothing is
 * shared between cases, and everything started is stopped by process id. */

#include "config.h"

#include "mc-caller-info.h"
#include "mc-caller-info-private.h"
#include "mc-error.h"

#include <glib-unix.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Generous: two cores are shared with parallel builds. */
#define TIMEOUT_MS 20000

#define BUS_CONFIG \
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n" \
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n" \
  "<busconfig>\n" \
  "  <type>session</type>\n" \
  "  <listen>unix:dir=%s</listen>\n" \
  "  <auth>EXTERNAL</auth>\n" \
  "  <policy context=\"default\">\n" \
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n" \
  "    <allow eavesdrop=\"true\"/>\n" \
  "    <allow own=\"*\"/>\n" \
  "  </policy>\n" \
  "</busconfig>\n"

/* Waiting, always with a deadline */

static void
on_async_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*AwaitCheck) (gconstpointer data);

static gboolean
flag_is_set (gconstpointer data)
{
  return *(const gboolean *) data;
}

static gboolean
result_is_set (gconstpointer data)
{
  return *(GAsyncResult * const *) data != NULL;
}

/* Iterates the main context until @check passes or the deadline does. */
static gboolean
await_until (AwaitCheck    check,
             gconstpointer data)
{
  gboolean expired = FALSE;
  guint deadline_id = g_timeout_add (TIMEOUT_MS, on_deadline, &expired);

  while (!check (data) && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (deadline_id);

  return check (data);
}

static gboolean
await_flag (const gboolean *flag)
{
  return await_until (flag_is_set, flag);
}

/* Like await_flag(), for an async operation. On timeout it cancels the
 * operation and still waits for its callback, which GIO always calls, so no
 * callback is left writing into a stack frame that is gone. */
static gboolean
await_result (GAsyncResult **result,
              GCancellable  *cancellable)
{
  if (await_until (result_is_set, result))
    return TRUE;

  g_cancellable_cancel (cancellable);
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return FALSE;
}

static char *
read_line (GInputStream *stream,
           const char   *what)
{
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (stream);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *line;

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (data), FALSE);
  g_data_input_stream_read_line_async (data, G_PRIORITY_DEFAULT, cancellable,
                                       on_async_ready, &result);
  if (!await_result (&result, cancellable))
    g_error ("Timed out waiting for %s", what);

  line = g_data_input_stream_read_line_finish_utf8 (data, result, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL)
    g_error ("No %s: the process closed its stdout", what);

  return line;
}

static void
child_setup_die_with_parent (gpointer user_data)
{
  /* If the test aborts before its teardown, the kernel stops the child. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
wait_for_exit (GSubprocess *process)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_subprocess_wait_async (process, cancellable, on_async_ready, &result);
  if (!await_result (&result, cancellable))
    return FALSE;

  return g_subprocess_wait_finish (process, result, NULL);
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

/* A private bus per test case */

typedef struct
{
  char            *bus_dir;
  GSubprocess     *bus;
  char            *address;
  GDBusConnection *connection;   /* the broker's side */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp_dir = NULL;
  g_autofree char *escaped_dir = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config_arg = NULL;

  tmp_dir = g_dir_make_tmp ("mc-bus-XXXXXX", &error);
  g_assert_no_error (error);
  /* Canonical, so the same path exists once bound into a sandbox. */
  fixture->bus_dir = realpath (tmp_dir, NULL);
  g_assert_nonnull (fixture->bus_dir);

  escaped_dir = g_markup_escape_text (fixture->bus_dir, -1);
  config = g_strdup_printf (BUS_CONFIG, escaped_dir);
  config_path = g_build_filename (fixture->bus_dir, "bus.conf", NULL);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup_die_with_parent, NULL, NULL);
  config_arg = g_strconcat ("--config-file=", config_path, NULL);
  fixture->bus = g_subprocess_launcher_spawn (launcher, &error,
                                              "dbus-daemon", config_arg,
                                              "--nofork", "--print-address=1",
                                              NULL);
  g_assert_no_error (error);

  fixture->address = read_line (g_subprocess_get_stdout_pipe (fixture->bus),
                                "the bus address");
  fixture->connection =
    g_dbus_connection_new_for_address_sync (fixture->address,
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_clear_object (&fixture->connection);

  g_subprocess_send_signal (fixture->bus, SIGTERM);
  if (!wait_for_exit (fixture->bus))
    {
      g_subprocess_force_exit (fixture->bus);
      g_assert_true (wait_for_exit (fixture->bus));
    }
  g_clear_object (&fixture->bus);

  dir = g_dir_open (fixture->bus_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->bus_dir, name, NULL);

      g_assert_no_errno (g_unlink (path));
    }
  g_assert_no_errno (g_rmdir (fixture->bus_dir));

  g_clear_pointer (&fixture->bus_dir, g_free);
  g_clear_pointer (&fixture->address, g_free);
}

static McCallerInfo *
resolve (Fixture     *fixture,
         const char  *unique_name,
         GError     **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;

  mc_caller_info_resolve_async (fixture->connection, unique_name, cancellable,
                                on_async_ready, &result);
  if (!await_result (&result, cancellable))
    g_error ("Timed out resolving %s", unique_name);

  return mc_caller_info_resolve_finish (result, error);
}

/* Probes: real peers on the bus */

typedef struct
{
  GSubprocess *process;
  char        *unique_name;
} Probe;

static char *
get_probe_path (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "caller-probe", NULL);
  char *real_path = realpath (path, NULL);

  if (real_path == NULL)
    g_error ("No probe at %s: %s", path, g_strerror (errno));

  return real_path;
}

/* Takes @data_fd (or -1) and hands it to the child as fd 3. */
static void
probe_start (Probe              *probe,
             const char * const *argv,
             int                 data_fd)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup_die_with_parent, NULL, NULL);
  if (data_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, data_fd, 3);

  probe->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  probe->unique_name = read_line (g_subprocess_get_stdout_pipe (probe->process),
                                  "the probe's unique name");
  g_assert_true (g_dbus_is_unique_name (probe->unique_name));
}

static guint32
probe_get_pid (Probe *probe)
{
  guint64 pid = 0;

  g_assert_true (g_ascii_string_to_unsigned (g_subprocess_get_identifier (probe->process),
                                             10, 1, G_MAXINT32, &pid, NULL));
  return (guint32) pid;
}

/* Closing stdin is the probe's cue to leave the bus and exit. */
static void
probe_stop (Probe *probe)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_close (g_subprocess_get_stdin_pipe (probe->process), NULL, &error);
  g_assert_no_error (error);

  if (!wait_for_exit (probe->process))
    {
      g_subprocess_force_exit (probe->process);
      g_error ("The probe did not exit when its stdin closed");
    }
  g_assert_true (g_subprocess_get_successful (probe->process));

  g_clear_object (&probe->process);
  g_clear_pointer (&probe->unique_name, g_free);
}

static void
write_desktop_file (const char *app_id,
                    const char *contents)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *basename = g_strconcat (app_id, ".desktop", NULL);
  g_autofree char *path = g_build_filename (dir, basename, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Pure parsers */

typedef struct
{
  const char *unit;
  const char *launcher;   /* expected */
  const char *app_id;     /* expected; NULL: not an app unit */
} UnitCase;

static const UnitCase unit_cases[] = {
  /* Scopes, with and without a launcher. */
  { "app-gnome-org.gnome.Evince-12345.scope", "gnome", "org.gnome.Evince" },
  { "app-org.gnome.Evince-12345.scope", NULL, "org.gnome.Evince" },
  { "app-KDE-org.kde.okular-0123456789abcdef0123456789abcdef.scope", "KDE", "org.kde.okular" },
  { "app-flatpak-org.telegram.desktop-12345.scope", "flatpak", "org.telegram.desktop" },
  /* Escaped dashes in the id, either case of hex digit. */
  { "app-gnome-org.gnome.Evolution\\x2dalarm\\x2dnotify-2437.scope", "gnome", "org.gnome.Evolution-alarm-notify" },
  { "app-firefox\\x2desr-99.scope", NULL, "firefox-esr" },
  { "app-gnome-a\\x2Db-1.scope", "gnome", "a-b" },
  /* Services: with or without a random instance. */
  { "app-gnome-org.gnome.Evince@12345.service", "gnome", "org.gnome.Evince" },
  { "app-org.gnome.Evince.service", NULL, "org.gnome.Evince" },
  { "app-org.gnome.Evince@autostart.service", NULL, "org.gnome.Evince" },
  { "app-KDE-org.kde.okular@0123456789abcdef.service", "KDE", "org.kde.okular" },
  { "app-gnome-org.gnome.Evince@a-b_c.d.service", "gnome", "org.gnome.Evince" },
  { "app-discord-2909.scope", NULL, "discord" },

  /* Not app units at all. */
  { "", NULL, NULL },
  { "app", NULL, NULL },
  { "app-", NULL, NULL },
  { "session-2.scope", NULL, NULL },
  { "vte-spawn-5b1c8a4e-0c32-4d7e-b7e2-4f0d2b7d9a11.scope", NULL, NULL },
  { "dbus-:1.2-org.freedesktop.Notifications@0.service", NULL, NULL },
  { "init.scope", NULL, NULL },
  { "app.slice", NULL, NULL },
  { "gnome-shell-wayland.service", NULL, NULL },
  { "application-org.gnome.Evince-1.scope", NULL, NULL },
  /* Slices group units; they are never the unit a process runs in. */
  { "app-gnome-org.gnome.Evince-12345.slice", NULL, NULL },
  { "app-org.gnome.Terminal.slice", NULL, NULL },
  /* Wrong or missing suffix. */
  { "app-gnome-org.gnome.Evince-12345", NULL, NULL },
  { "app-gnome-org.gnome.Evince-12345.socket", NULL, NULL },
  /* Scope random part: missing, empty, or not alphanumeric. */
  { "app-org.gnome.Evince.scope", NULL, NULL },
  { "app-org.gnome.Evince-.scope", NULL, NULL },
  { "app-gnome-org.gnome.Evince-12_34.scope", NULL, NULL },
  { "app--1.scope", NULL, NULL },
  { "app-.scope", NULL, NULL },
  { "app-gnome-org.gnome.Evince@1.scope", NULL, NULL },
  /* Service instance: empty (a template) or doubled. */
  { "app-gnome-org.gnome.Evince@.service", NULL, NULL },
  { "app-gnome-org.gnome.Evince@a@b.service", NULL, NULL },
  { "app-@1.service", NULL, NULL },
  { "app-.service", NULL, NULL },
  /* Unescaped dashes: launcher and id cannot be told apart. */
  { "app-gnome-org-gnome-evince-1.scope", NULL, NULL },
  { "app-gnome-firefox-esr@1.service", NULL, NULL },
  { "app--org.gnome.Evince-1.scope", NULL, NULL },
  { "app-gnome\\x2dx-org.gnome.Evince-1.scope", NULL, NULL },
  /* Malformed escapes, and escapes to what no app id may contain. */
  { "app-foo\\x2-1.scope", NULL, NULL },
  { "app-foo\\x-1.scope", NULL, NULL },
  { "app-foo\\q00-1.scope", NULL, NULL },
  { "app-foo\\xzz-1.scope", NULL, NULL },
  { "app-foo\\x00bar-1.scope", NULL, NULL },
  { "app-foo\\x2fbar-1.scope", NULL, NULL },
  { "app-\\x2e\\x2e\\x2fevil-1.scope", NULL, NULL },
  { "app-\\x2efoo-1.scope", NULL, NULL },
  { "app-foo\\x0abar-1.scope", NULL, NULL },
  { "app-foo\\x3abar-1.scope", NULL, NULL },
  { "app-foo:bar-1.scope", NULL, NULL },
  /* Characters systemd never puts in a unit name. */
  { "app-gnome-org gnome-1.scope", NULL, NULL },
  { "app-gnome-\xc3\xa9vince-1.scope", NULL, NULL },
  { "app-gnome-org/gnome-1.scope", NULL, NULL },
};

static void
test_app_unit_names (void)
{
  g_autofree char *too_long = NULL;
  g_autofree char *longest = NULL;
  g_autofree char *long_id = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (unit_cases); i++)
    {
      const UnitCase *c = &unit_cases[i];
      g_autofree char *launcher = NULL;
      g_autofree char *app_id = NULL;
      gboolean parsed;

      g_test_message ("Unit %s", c->unit);
      parsed = _mc_caller_info_parse_app_unit (c->unit, &launcher, &app_id);
      g_assert_cmpint (parsed, ==, c->app_id != NULL);
      g_assert_cmpstr (app_id, ==, c->app_id);
      g_assert_cmpstr (launcher, ==, c->launcher);
    }

  /* systemd caps unit names at 255 bytes. */
  long_id = g_strnfill (255 - strlen ("app--1.scope"), 'a');
  longest = g_strdup_printf ("app-%s-1.scope", long_id);
  g_assert_cmpuint (strlen (longest), ==, 255);
  g_assert_true (_mc_caller_info_parse_app_unit (longest, NULL, NULL));
  too_long = g_strdup_printf ("app-%sa-1.scope", long_id);
  g_assert_false (_mc_caller_info_parse_app_unit (too_long, NULL, NULL));
}

typedef struct
{
  const char *cgroup;
  const char *unit;   /* expected; NULL: not in a user unit */
} CgroupCase;

#define USER_MANAGER "/user.slice/user-1000.slice/user@1000.service"

static const CgroupCase cgroup_cases[] = {
  /* cgroup v2 */
  { "0::" USER_MANAGER "/app.slice/app-gnome-org.gnome.Evince-1234.scope\n",
    "app-gnome-org.gnome.Evince-1234.scope" },
  { "0::" USER_MANAGER "/app.slice/app-org.gnome.Evince@autostart.service\n",
    "app-org.gnome.Evince@autostart.service" },
  /* A process in a sub-cgroup the unit delegated still counts as the unit. */
  { "0::" USER_MANAGER "/app.slice/app-gnome-org.gnome.Evince-1234.scope/worker\n",
    "app-gnome-org.gnome.Evince-1234.scope" },
  /* A terminal tab: the unit is the tab's scope, not the terminal's slice. */
  { "0::" USER_MANAGER "/app.slice/app-org.gnome.Terminal.slice/vte-spawn-5b1c.scope\n",
    "vte-spawn-5b1c.scope" },
  /* Directly in the user manager's slice-less units. */
  { "0::" USER_MANAGER "/init.scope\n", "init.scope" },
  /* Legacy and hybrid hierarchies: the name=systemd line wins. */
  { "12:pids:/user.slice/user-1000.slice\n"
    "1:name=systemd:" USER_MANAGER "/app.slice/app-org.gnome.Evince@1.service\n"
    "0::/\n",
    "app-org.gnome.Evince@1.service" },
  { "3:cpu,cpuacct:/\n"
    "1:name=systemd:" USER_MANAGER "/app.slice/app-gnome-org.gnome.Evince-99.scope\n",
    "app-gnome-org.gnome.Evince-99.scope" },
  /* Not in a user unit. */
  { "0::/user.slice/user-1000.slice/session-2.scope\n", NULL },
  { "0::/system.slice/dbus.service\n", NULL },
  { "0::/init.scope\n", NULL },
  { "0::/\n", NULL },
  { "0::" USER_MANAGER "\n", NULL },
  { "0::" USER_MANAGER "/app.slice\n", NULL },
  { "0::/user.slice/user-1000.slice/user@.service/app.slice/app-x-1.scope\n", NULL },
  { "0::/user.slice/user-1000.slice/user@abc.service/app.slice/app-x-1.scope\n", NULL },
  { "0::/user.slice/user-1000.slice/fake@1000.service/app.slice/app-x-1.scope\n", NULL },
  { "0::" USER_MANAGER "/app.slice/not-a-unit\n", NULL },
  /* Garbage. */
  { "", NULL },
  { "hello\n", NULL },
  { "0::relative/path\n", NULL },
  { "1:name=systemd\n", NULL },
  { "::::\n", NULL },
};

static void
test_cgroup_units (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cgroup_cases); i++)
    {
      const CgroupCase *c = &cgroup_cases[i];
      g_autofree char *unit = NULL;

      g_test_message ("cgroup %s", c->cgroup);
      unit = _mc_caller_info_user_unit_from_cgroup (c->cgroup);
      g_assert_cmpstr (unit, ==, c->unit);
    }
}

static void
test_app_ids (void)
{
  const char *valid[] = {
    "org.gnome.Evince", "firefox-esr", "discord", "_private.App", "a", "org.example.App_2",
  };
  const char *invalid[] = {
    "", ".hidden", "-dash", "../evil", "a/b", "a b", "a:b", "a\\b", "caf\xc3\xa9", "a\nb",
  };
  g_autofree char *longest = g_strnfill (255, 'a');
  g_autofree char *too_long = g_strnfill (256, 'a');

  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (_mc_caller_info_is_valid_app_id (valid[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (_mc_caller_info_is_valid_app_id (invalid[i]));

  g_assert_false (_mc_caller_info_is_valid_app_id (NULL));
  g_assert_true (_mc_caller_info_is_valid_app_id (longest));
  g_assert_false (_mc_caller_info_is_valid_app_id (too_long));
}

/* APPID.desktop must exist; the isolated XDG dirs of each test case hold
 * only what the case writes. */
static void
test_desktop_lookup (void)
{
  g_autofree char *name = NULL;
  g_autofree char *icon = NULL;

  write_desktop_file ("org.example.Present",
                      "[Desktop Entry]\n"
                      "Type=Application\n"
                      "Name=Present App\n"
                      "Exec=true\n"
                      "Icon=org.example.Present\n");
  write_desktop_file ("org.example.Hidden",
                      "[Desktop Entry]\n"
                      "Type=Application\n"
                      "Name=Hidden App\n"
                      "Exec=true\n"
                      "Hidden=true\n");
  write_desktop_file ("org.example.NoIcon",
                      "[Desktop Entry]\n"
                      "Type=Application\n"
                      "Name=No Icon\n"
                      "Exec=true\n");

  g_assert_true (_mc_caller_info_lookup_desktop_app ("org.example.Present", &name, &icon));
  g_assert_cmpstr (name, ==, "Present App");
  g_assert_cmpstr (icon, ==, "org.example.Present");
  g_clear_pointer (&name, g_free);
  g_clear_pointer (&icon, g_free);

  g_assert_true (_mc_caller_info_lookup_desktop_app ("org.example.NoIcon", &name, &icon));
  g_assert_cmpstr (name, ==, "No Icon");
  g_assert_null (icon);

  g_assert_false (_mc_caller_info_lookup_desktop_app ("org.example.Absent", NULL, NULL));
  g_assert_false (_mc_caller_info_lookup_desktop_app ("org.example.Hidden", NULL, NULL));
  g_assert_false (_mc_caller_info_lookup_desktop_app ("../applications/org.example.Present", NULL, NULL));
}

static void
test_host_app_from_cgroup (void)
{
  g_autofree char *app_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *icon = NULL;

  write_desktop_file ("org.example.Editor-beta",
                      "[Desktop Entry]\n"
                      "Type=Application\n"
                      "Name=Editor Beta\n"
                      "Exec=true\n"
                      "Icon=accessories-text-editor\n");

  g_assert_true (_mc_caller_info_host_app_from_cgroup ("0::" USER_MANAGER "/app.slice/"
                                                       "app-gnome-org.example.Editor\\x2dbeta-4242.scope\n",
                                                       &app_id, &name, &icon));
  g_assert_cmpstr (app_id, ==, "org.example.Editor-beta");
  g_assert_cmpstr (name, ==, "Editor Beta");
  g_assert_cmpstr (icon, ==, "accessories-text-editor");

  /* A well-formed unit is not enough: the desktop file must exist. */
  g_assert_false (_mc_caller_info_host_app_from_cgroup ("0::" USER_MANAGER "/app.slice/"
                                                        "app-gnome-org.example.Absent-4242.scope\n",
                                                        NULL, NULL, NULL));
  /* Nor is a desktop file, outside an app unit. */
  g_assert_false (_mc_caller_info_host_app_from_cgroup ("0::" USER_MANAGER "/app.slice/"
                                                        "vte-spawn-4242.scope\n",
                                                        NULL, NULL, NULL));
  g_assert_false (_mc_caller_info_host_app_from_cgroup ("0::/user.slice/user-1000.slice/session-2.scope\n",
                                                        NULL, NULL, NULL));
}

static void
test_new_for_testing (void)
{
  g_autoptr(McCallerInfo) flatpak = NULL;
  g_autoptr(McCallerInfo) host_app = NULL;
  g_autoptr(McCallerInfo) unverified = NULL;

  flatpak = mc_caller_info_new_for_testing (MC_CALLER_KIND_FLATPAK, ":1.7", "org.example.App", NULL);
  g_assert_cmpint (mc_caller_info_get_kind (flatpak), ==, MC_CALLER_KIND_FLATPAK);
  g_assert_true (mc_caller_info_is_verified (flatpak));
  g_assert_cmpstr (mc_caller_info_get_identity_key (flatpak), ==, "flatpak:org.example.App");
  g_assert_cmpstr (mc_caller_info_get_app_id (flatpak), ==, "org.example.App");
  g_assert_cmpstr (mc_caller_info_get_display_name (flatpak), ==, "org.example.App");
  g_assert_cmpstr (mc_caller_info_get_unique_name (flatpak), ==, ":1.7");
  g_assert_cmpuint (mc_caller_info_get_pid (flatpak), ==, 0);

  host_app = mc_caller_info_new_for_testing (MC_CALLER_KIND_HOST_APP, ":1.8", "firefox-esr", NULL);
  g_assert_true (mc_caller_info_is_verified (host_app));
  g_assert_cmpstr (mc_caller_info_get_identity_key (host_app), ==, "host-app:firefox-esr");

  unverified = mc_caller_info_new_for_testing (MC_CALLER_KIND_UNVERIFIED, ":1.9", NULL, "/usr/bin/node");
  g_assert_false (mc_caller_info_is_verified (unverified));
  g_assert_cmpstr (mc_caller_info_get_identity_key (unverified), ==, "host");
  g_assert_null (mc_caller_info_get_app_id (unverified));
  g_assert_cmpstr (mc_caller_info_get_executable (unverified), ==, "/usr/bin/node");
  g_assert_cmpstr (mc_caller_info_get_display_name (unverified), ==, "node");

  g_assert_cmpstr (mc_caller_kind_to_string (MC_CALLER_KIND_FLATPAK), ==, "flatpak");
  g_assert_cmpstr (mc_caller_kind_to_string (MC_CALLER_KIND_HOST_APP), ==, "host-app");
  g_assert_cmpstr (mc_caller_kind_to_string (MC_CALLER_KIND_UNVERIFIED), ==, "unverified");
}

/* Real callers on a private bus */

static void
test_unverified (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *probe_path = get_probe_path ();
  const char *argv[] = { probe_path, fixture->address, NULL };
  g_autoptr(McCallerInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  Probe probe = { 0 };

  probe_start (&probe, argv, -1);

  info = resolve (fixture, probe.unique_name, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mc_caller_info_get_kind (info), ==, MC_CALLER_KIND_UNVERIFIED);
  g_assert_false (mc_caller_info_is_verified (info));
  g_assert_cmpstr (mc_caller_info_get_executable (info), ==, probe_path);
  g_assert_cmpstr (mc_caller_info_get_identity_key (info), ==, "host");
  g_assert_cmpstr (mc_caller_info_get_unique_name (info), ==, probe.unique_name);
  g_assert_cmpuint (mc_caller_info_get_pid (info), ==, probe_get_pid (&probe));
  g_assert_cmpstr (mc_caller_info_get_display_name (info), ==, "caller-probe");
  g_assert_null (mc_caller_info_get_app_id (info));
  g_assert_null (mc_caller_info_get_icon (info));
  g_assert_null (mc_caller_info_get_instance_id (info));

  probe_stop (&probe);
}

static void
on_name_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  gboolean *vanished = user_data;

  *vanished = TRUE;
}

static void
test_left_bus (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *probe_path = get_probe_path ();
  const char *argv[] = { probe_path, fixture->address, NULL };
  g_autoptr(McCallerInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *unique_name = NULL;
  gboolean vanished = FALSE;
  Probe probe = { 0 };
  guint watch_id;

  probe_start (&probe, argv, -1);
  unique_name = g_strdup (probe.unique_name);

  watch_id = g_bus_watch_name_on_connection (fixture->connection, unique_name,
                                             G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             NULL, on_name_vanished, &vanished, NULL);
  probe_stop (&probe);
  if (!await_flag (&vanished))
    g_error ("%s did not leave the bus", unique_name);
  g_bus_unwatch_name (watch_id);

  info = resolve (fixture, unique_name, &error);
  g_assert_error (error, MC_ERROR, MC_ERROR_NOT_ALLOWED);
  g_assert_null (info);
  g_clear_error (&error);

  /* Nor may a name that never existed be anything but an error. */
  info = resolve (fixture, ":1.999999", &error);
  g_assert_error (error, MC_ERROR, MC_ERROR_NOT_ALLOWED);
  g_assert_null (info);
}

static void
test_cancelled (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *probe_path = get_probe_path ();
  const char *argv[] = { probe_path, fixture->address, NULL };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(McCallerInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  Probe probe = { 0 };

  probe_start (&probe, argv, -1);

  g_cancellable_cancel (cancellable);
  mc_caller_info_resolve_async (fixture->connection, probe.unique_name, cancellable,
                                on_async_ready, &result);
  if (!await_result (&result, cancellable))
    g_error ("A cancelled resolution never completed");

  info = mc_caller_info_resolve_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (info);

  probe_stop (&probe);
}

/* dbus-daemon 1.14 sends no ProcessFD, so the pidfd checks are exercised
 * here with a pidfd the test opens itself, the way a newer bus would. */
static void
test_pidfd (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autofree char *probe_path = get_probe_path ();
  const char *argv[] = { probe_path, fixture->address, NULL };
  g_autoptr(McCallerInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *unique_name = NULL;
  Probe probe = { 0 };
  guint32 pid;
  int pidfd;

  probe_start (&probe, argv, -1);
  unique_name = g_strdup (probe.unique_name);
  pid = probe_get_pid (&probe);

  pidfd = (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);
  if (pidfd < 0 && errno == ENOSYS)
    {
      g_test_skip ("The kernel has no pidfd_open()");
      probe_stop (&probe);
      return;
    }
  g_assert_no_errno (pidfd);

  /* A pidfd that agrees with the PID. */
  info = _mc_caller_info_inspect_process (unique_name, pid, pidfd, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mc_caller_info_get_kind (info), ==, MC_CALLER_KIND_UNVERIFIED);
  g_assert_cmpstr (mc_caller_info_get_executable (info), ==, probe_path);
  g_assert_cmpuint (mc_caller_info_get_pid (info), ==, pid);
  g_clear_object (&info);

  /* A bus that sends only the pidfd: the PID comes from it. */
  info = _mc_caller_info_inspect_process (unique_name, 0, pidfd, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mc_caller_info_get_pid (info), ==, pid);
  g_clear_object (&info);

  /* A pidfd of another process than the PID says: refused. */
  info = _mc_caller_info_inspect_process (unique_name, (guint32) getpid (), pidfd, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_null (info);
  g_clear_error (&error);

  /* Once the process is gone its pidfd says so, whoever has the PID now. */
  probe_stop (&probe);
  info = _mc_caller_info_inspect_process (unique_name, pid, pidfd, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (info);

  close (pidfd);
}

/* Flatpak callers, made with bwrap */

typedef struct
{
  const char *name;
  const char *flatpak_info;   /* NULL: a directory at /.flatpak-info */
  const char *app_id;         /* expected; NULL: resolution must fail */
  const char *display_name;
  const char *icon;
  const char *instance_id;
} FlatpakCase;

static const FlatpakCase flatpak_cases[] = {
  { "app",
    "[Application]\n"
    "name=org.example.McProbe\n"
    "runtime=runtime/org.example.Platform/x86_64/1\n"
    "\n"
    "[Instance]\n"
    "instance-id=1234567890\n",
    "org.example.McProbe", "MC Probe", "org.example.McProbe", "1234567890" },
  { "runtime",
    "[Runtime]\n"
    "name=org.example.Sdk\n"
    "runtime=runtime/org.example.Sdk/x86_64/1\n"
    "\n"
    "[Instance]\n"
    "instance-id=42\n",
    "org.example.Sdk", "org.example.Sdk", NULL, "42" },
  { "no-name",
    "[Application]\n"
    "runtime=runtime/org.example.Platform/x86_64/1\n"
    "\n"
    "[Instance]\n"
    "instance-id=1\n",
    NULL },
  { "invalid-name",
    "[Application]\n"
    "name=../../org.example.McProbe\n"
    "\n"
    "[Instance]\n"
    "instance-id=1\n",
    NULL },
  { "no-instance",
    "[Application]\n"
    "name=org.example.McProbe\n",
    NULL },
  { "not-a-key-file", "this is not a key file\n", NULL },
  /* Found by fuzz-flatpak-info: see test_flatpak_info_error_utf8(). */
  { "not-utf8", "[Application]\nname=org.example.McProbe\n[I\xeestance-id=\xf9\x96\x91\n", NULL },
  { "not-regular", NULL, NULL },
};

/* The same metadata, parsed without a sandbox. */
static void
test_flatpak_info (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (flatpak_cases); i++)
    {
      const FlatpakCase *c = &flatpak_cases[i];
      g_autofree char *app_id = NULL;
      g_autofree char *instance_id = NULL;
      g_autoptr(GError) error = NULL;
      gboolean parsed;

      if (c->flatpak_info == NULL)
        continue;

      g_test_message ("Case %s", c->name);
      parsed = _mc_caller_info_parse_flatpak_info (c->flatpak_info, strlen (c->flatpak_info),
                                                   &app_id, &instance_id, &error);
      if (c->app_id == NULL)
        {
          g_assert_false (parsed);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          g_assert_null (app_id);
          g_assert_null (instance_id);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_true (parsed);
          g_assert_cmpstr (app_id, ==, c->app_id);
          g_assert_cmpstr (instance_id, ==, c->instance_id);
        }
    }
}

/* Found by fuzz-flatpak-info: GKeyFile quotes the bad line in its error,
 * bytes and all, and the message went on to the D-Bus error the caller
 * gets, where GDBus raised a critical on the non-UTF-8 string. */
static void
test_flatpak_info_error_utf8 (void)
{
  static const char contents[] =
    "[Application]\r\nname=org.example.App\r\n[I\xeestance-id=\xf9\x96\x91\r\n";
  g_autoptr(GError) error = NULL;

  g_assert_false (_mc_caller_info_parse_flatpak_info (contents, strlen (contents), NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* Flatpak and xdg-desktop-portal read .flatpak-info to its end; read up
 * to a NUL, this file named an app where they see a runtime. */
static void
test_flatpak_info_nul (void)
{
  static const char contents[] =
    "[Application]\nname=org.example.App\n\0\n[Runtime]\nname=org.example.Sdk\n"
    "[Instance]\ninstance-id=1\n";
  g_autofree char *without_nul = NULL;
  g_autofree char *app_id = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (_mc_caller_info_parse_flatpak_info (contents, sizeof contents - 1, &app_id, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (app_id);
  g_clear_error (&error);

  /* With a blank for the NUL, the runtime counts, as it does for them. */
  without_nul = g_memdup2 (contents, sizeof contents);
  without_nul[strlen (contents)] = ' ';
  g_assert_true (_mc_caller_info_parse_flatpak_info (without_nul, sizeof contents - 1, &app_id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (app_id, ==, "org.example.Sdk");
}

/* Found by fuzz-flatpak-info (in a smoke run): unescaping an invalid
 * escape and then a trailing backslash, GLib 2.74 sets a GError twice and
 * warns, which a test (or G_DEBUG=fatal-warnings) makes fatal. */
static void
test_flatpak_info_escapes (void)
{
  static const char * const refused[] = {
    "[Application]\nname=org.example.App\n[Instance]\ninstance-id=1\\x2\\\n",
    "[Application]\nname=org.example.App\\x\\\n[Instance]\ninstance-id=1\n",
    "[Application]\nname=org.example.App\n[Instance]\ninstance-id=\\s1\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *app_id = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("File %s", refused[i]);
      g_assert_false (_mc_caller_info_parse_flatpak_info (refused[i], strlen (refused[i]),
                                                          &app_id, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_null (app_id);
    }
}

/* The sandbox minus its payload: host /usr read-only, the usual merged-/usr
 * links (or binds where the host has real directories), fresh /proc and
 * /dev, and its own PID, IPC, UTS and network namespaces, like Flatpak. */
static GPtrArray *
sandbox_args_new (void)
{
  static const char * const top_dirs[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);

  add_args (args,
            "bwrap",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
            "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
            "--proc", "/proc",
            "--dev", "/dev",
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

  return args;
}

/* Runs `true` in the same sandbox; if bwrap cannot set it up here, the
 * reason is what it printed. */
static gboolean
sandbox_works (char **out_reason)
{
  g_autoptr(GPtrArray) args = sandbox_args_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *standard_error = NULL;
  int wait_status = 0;

  add_args (args, "--", "true", NULL);
  g_ptr_array_add (args, NULL);

  if (!g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &standard_error, &wait_status, &error))
    {
      *out_reason = g_strdup_printf ("bwrap cannot be run: %s", error->message);
      return FALSE;
    }

  if (!g_spawn_check_wait_status (wait_status, &error))
    {
      *out_reason = g_strdup_printf ("bwrap cannot create the sandbox here (%s): %s",
                                     error->message, g_strstrip (standard_error));
      return FALSE;
    }

  return TRUE;
}

static int
pipe_with_contents (const char *contents)
{
  g_autoptr(GError) error = NULL;
  gsize len = strlen (contents);
  int fds[2];

  g_unix_open_pipe (fds, FD_CLOEXEC, &error);
  g_assert_no_error (error);

  /* Far below a pipe's capacity, so this cannot block. */
  g_assert_cmpint (write (fds[1], contents, len), ==, (gssize) len);
  close (fds[1]);

  return fds[0];
}

static void
test_flatpak (Fixture       *fixture,
              gconstpointer  user_data)
{
  const FlatpakCase *test_case = user_data;
  g_autofree char *probe_path = get_probe_path ();
  g_autofree char *probe_dir = g_path_get_dirname (probe_path);
  g_autofree char *reason = NULL;
  g_autofree char *command_line = NULL;
  g_autoptr(GPtrArray) args = NULL;
  g_autoptr(McCallerInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  Probe probe = { 0 };
  int data_fd = -1;

  /* Flatpak identification is the point of these cases: a machine where
   * bwrap cannot run fails them, rather than passing without them. */
  if (!sandbox_works (&reason))
    g_error ("bwrap cannot make a sandbox here, so Flatpak callers cannot be tested: %s", reason);

  write_desktop_file ("org.example.McProbe",
                      "[Desktop Entry]\n"
                      "Type=Application\n"
                      "Name=MC Probe\n"
                      "Exec=true\n"
                      "Icon=org.example.McProbe\n");

  args = sandbox_args_new ();
  if (test_case->flatpak_info != NULL)
    {
      /* As Flatpak does: the file is created from the data on fd 3. */
      data_fd = pipe_with_contents (test_case->flatpak_info);
      add_args (args, "--ro-bind-data", "3", "/.flatpak-info", NULL);
    }
  else
    {
      add_args (args, "--dir", "/.flatpak-info", NULL);
    }
  add_args (args,
            "--bind", fixture->bus_dir, fixture->bus_dir,
            "--ro-bind", probe_dir, probe_dir,
            "--", probe_path, fixture->address,
            NULL);
  g_ptr_array_add (args, NULL);

  command_line = g_strjoinv (" ", (char **) args->pdata);
  g_test_message ("Sandbox: %s", command_line);

  probe_start (&probe, (const char * const *) args->pdata, data_fd);
  /* The peer is the probe inside, not bwrap. */
  info = resolve (fixture, probe.unique_name, &error);

  if (test_case->app_id == NULL)
    {
      g_assert_error (error, MC_ERROR, MC_ERROR_NOT_ALLOWED);
      g_assert_null (info);
      /* The broker sends it to the caller, as a D-Bus string. */
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_test_message ("Refused as expected: %s", error->message);
    }
  else
    {
      g_autofree char *identity_key = g_strconcat ("flatpak:", test_case->app_id, NULL);

      g_assert_no_error (error);
      g_assert_cmpint (mc_caller_info_get_kind (info), ==, MC_CALLER_KIND_FLATPAK);
      g_assert_true (mc_caller_info_is_verified (info));
      g_assert_cmpstr (mc_caller_info_get_app_id (info), ==, test_case->app_id);
      g_assert_cmpstr (mc_caller_info_get_display_name (info), ==, test_case->display_name);
      g_assert_cmpstr (mc_caller_info_get_icon (info), ==, test_case->icon);
      g_assert_cmpstr (mc_caller_info_get_instance_id (info), ==, test_case->instance_id);
      g_assert_cmpstr (mc_caller_info_get_identity_key (info), ==, identity_key);
      g_assert_cmpstr (mc_caller_info_get_unique_name (info), ==, probe.unique_name);
      g_assert_null (mc_caller_info_get_executable (info));
      g_assert_cmpuint (mc_caller_info_get_pid (info), !=, probe_get_pid (&probe));
    }

  probe_stop (&probe);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/caller-info/app-ids", test_app_ids);
  g_test_add_func ("/caller-info/app-unit-names", test_app_unit_names);
  g_test_add_func ("/caller-info/cgroup-units", test_cgroup_units);
  g_test_add_func ("/caller-info/desktop-lookup", test_desktop_lookup);
  g_test_add_func ("/caller-info/host-app-from-cgroup", test_host_app_from_cgroup);
  g_test_add_func ("/caller-info/new-for-testing", test_new_for_testing);
  g_test_add_func ("/caller-info/flatpak-info", test_flatpak_info);
  g_test_add_func ("/caller-info/flatpak-info-error-utf8", test_flatpak_info_error_utf8);
  g_test_add_func ("/caller-info/flatpak-info-nul", test_flatpak_info_nul);
  g_test_add_func ("/caller-info/flatpak-info-escapes", test_flatpak_info_escapes);

  g_test_add ("/caller-info/unverified", Fixture, NULL,
              fixture_setup, test_unverified, fixture_teardown);
  g_test_add ("/caller-info/left-bus", Fixture, NULL,
              fixture_setup, test_left_bus, fixture_teardown);
  g_test_add ("/caller-info/cancelled", Fixture, NULL,
              fixture_setup, test_cancelled, fixture_teardown);
  g_test_add ("/caller-info/pidfd", Fixture, NULL,
              fixture_setup, test_pidfd, fixture_teardown);

  for (gsize i = 0; i < G_N_ELEMENTS (flatpak_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/caller-info/flatpak/", flatpak_cases[i].name, NULL);

      g_test_add (path, Fixture, &flatpak_cases[i],
                  fixture_setup, test_flatpak, fixture_teardown);
    }

  return g_test_run ();
}
