/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Deadline for anything a test waits for: long enough for a loaded CI
 * machine, short enough that a hang fails visibly. */
#define MC_TEST_TIMEOUT_SECONDS 30

typedef enum
{
  MC_TEST_ENV_NONE = 0,
  /* No handler for http(s): launching a browser fails. */
  MC_TEST_ENV_NO_BROWSER = 1 << 0,
  /* Activate the installed daemon instead of starting the built one. */
  MC_TEST_ENV_ACTIVATION = 1 << 1,
  /* Leave MCP_CONSENT_PROMPTER unset: the daemon runs the real dialog. */
  MC_TEST_ENV_REAL_PROMPTER = 1 << 2,
  /* Start a real gnome-keyring (secrets only) on the test bus, with its
   * login keyring created and unlocked. */
  MC_TEST_ENV_KEYRING = 1 << 3,
  /* Send the stderr of the bus and of what it activates (the daemon's log)
   * to bus.log in the test's directory, where mc_test_env_find_in_files()
   * reads it, rather than to the test's own stderr. */
  MC_TEST_ENV_BUS_LOG = 1 << 4,
  /* The daemon's stdout and stderr (its whole log, and its children's)
   * go to daemon.log in the test's directory instead of the test's
   * output, where mc_test_env_read_daemon_log() and
   * mc_test_env_find_in_files() see them. */
  MC_TEST_ENV_DAEMON_LOG = 1 << 5,
} McTestEnvFlags;

/* The login keyring's password in every test. */
#define MC_TEST_KEYRING_PASSWORD "mc-test-keyring-password"

/**
 * McTestSecretItem:
 * @path: its D-Bus object path
 * @label: its label
 * @attributes: (element-type utf8 utf8): its attributes, xdg:schema included
 * @locked: whether it is locked
 *
 * A Secret Service item as the service reports it.
 */
typedef struct
{
  char       *path;
  char       *label;
  GHashTable *attributes;
  gboolean    locked;
} McTestSecretItem;

/**
 * McTestEnv:
 *
 * One test's private world: its own directory with XDG dirs, a private
 * session bus, a test browser registered through mimeapps.list, and the
 * scripted prompter's script and record files.  Everything it starts is
 * stopped by process id when it is freed.
 */
typedef struct
{
  McTestEnvFlags   flags;
  char            *dir;
  char            *script_path;
  char            *record_path;
  char            *browser_log;
  char            *bus_address;
  GSubprocess     *bus;
  GSubprocess     *daemon;
  GSubprocess     *keyring;
  GDBusConnection *connection;
  /* The environment of everything the test starts; the test process's
   * own environment is never changed (setenv is not thread-safe). */
  char           **envp;
} McTestEnv;

McTestEnv       *mc_test_env_new                 (McTestEnvFlags   flags);
void             mc_test_env_free                (McTestEnv       *env);
void             mc_test_env_setenv              (McTestEnv       *env,
                                                  const char      *variable,
                                                  const char      *value);
void             mc_test_env_set_activation_env  (McTestEnv       *env,
                                                  const char      *variable,
                                                  const char      *value);
GSubprocessLauncher *mc_test_env_new_launcher    (McTestEnv       *env,
                                                  GSubprocessFlags flags);
void             mc_test_env_start_daemon        (McTestEnv       *env);
void             mc_test_env_stop_daemon         (McTestEnv       *env);
void             mc_test_env_wait_for_daemon     (McTestEnv       *env);
guint32          mc_test_env_get_daemon_pid      (McTestEnv       *env);
char            *mc_test_env_read_daemon_log     (McTestEnv       *env);
GDBusConnection *mc_test_env_connect             (McTestEnv       *env);
void             mc_test_env_set_script          (McTestEnv       *env,
                                                  const char      *answers);
JsonObject      *mc_test_env_wait_record         (McTestEnv       *env,
                                                  guint            index);
guint            mc_test_env_count_records       (McTestEnv       *env);
JsonObject      *mc_test_env_wait_event          (McTestEnv       *env,
                                                  const char      *event,
                                                  const char      *prompt_id,
                                                  guint            nth);
guint            mc_test_env_count_events        (McTestEnv       *env,
                                                  const char      *event,
                                                  const char      *prompt_id);
char            *mc_test_env_wait_browser        (McTestEnv       *env);
char            *mc_test_env_read_browser_log    (McTestEnv       *env);
JsonObject      *mc_test_env_wait_browser_event  (McTestEnv       *env,
                                                  const char      *event,
                                                  guint            nth);
guint            mc_test_env_count_browser_events (McTestEnv      *env,
                                                  const char      *event);
void             mc_test_env_wait_browsers_gone  (McTestEnv       *env);
GSubprocess     *mc_test_env_spawn_cli           (McTestEnv       *env,
                                                  GError         **error,
                                                  const char      *first_arg,
                                                  ...) G_GNUC_NULL_TERMINATED;
int              mc_test_env_run_cli             (McTestEnv       *env,
                                                  char           **out_stdout,
                                                  char           **out_stderr,
                                                  const char      *first_arg,
                                                  ...) G_GNUC_NULL_TERMINATED;
int              mc_test_env_run_cli_with_input  (McTestEnv       *env,
                                                  const char      *input,
                                                  char           **out_stdout,
                                                  char           **out_stderr,
                                                  const char      *first_arg,
                                                  ...) G_GNUC_NULL_TERMINATED;
GSubprocess     *mc_test_env_spawn_in_flatpak    (McTestEnv       *env,
                                                  const char      *app_id,
                                                  GSubprocessFlags flags,
                                                  GError         **error,
                                                  const char      *first_arg,
                                                  ...) G_GNUC_NULL_TERMINATED;
void             mc_test_env_register_browser    (McTestEnv       *env,
                                                  const char      *desktop_id,
                                                  const char      *exec);
void             mc_test_write_file              (const char      *path,
                                                  const char      *contents);
char            *mc_test_env_write_desktop_file  (McTestEnv       *env,
                                                  const char      *app_id,
                                                  const char      *name);
void             mc_test_ensure_installed        (void);
void             mc_test_wait_subprocess         (GSubprocess     *subprocess);
char            *mc_test_communicate             (GSubprocess     *process,
                                                  char           **out_stderr);
void             mc_test_wait_until              (gboolean       (*condition) (gpointer user_data),
                                                  gpointer         user_data,
                                                  const char      *what);
const char      *mc_test_build_path              (const char      *env_name);
void             mc_test_env_start_keyring       (McTestEnv       *env,
                                                  gboolean         unlock);
void             mc_test_env_stop_keyring        (McTestEnv       *env);
void             mc_test_env_lock_keyring        (McTestEnv       *env);
void             mc_test_env_tolerate_libsecret_unlock_leaks (McTestEnv *env);
GPtrArray       *mc_test_env_list_secret_items   (McTestEnv       *env,
                                                  const char      *schema);
char            *mc_test_env_dup_secret          (McTestEnv       *env,
                                                  const char      *item_path);
char            *mc_test_env_dup_access_token    (McTestEnv       *env);
GPtrArray       *mc_test_env_find_in_files       (McTestEnv       *env,
                                                  const char      *needle);
gboolean         mc_test_process_gone            (int              pid);
guint16          mc_test_reserve_port            (GSocket        **out_socket);
void             mc_test_kill_process_group      (int              pgid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McTestEnv, mc_test_env_free)

G_END_DECLS
