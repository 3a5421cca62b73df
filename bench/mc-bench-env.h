/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Anything a benchmark waits for gives up after this long: a hang must
 * show as a failure, not as a very slow result. */
#define MC_BENCH_TIMEOUT_SECONDS 30

/**
 * McBenchEnv:
 *
 * One benchmark's private world, as the tests build theirs: a directory
 * with its own XDG dirs (on tmpfs where there is one, so the scripted
 * dialog's file rewrites cost no disk syncs), the test browser registered
 * as the https handler through mimeapps.list, and a private session bus.
 * Everything it starts dies with the benchmark and is stopped by pid.
 */
typedef struct
{
  char            *dir;
  char            *script_path;
  char            *browser_log;
  char            *bus_address;
  GSubprocess     *bus;
  GSubprocess     *keyring;
  GDBusConnection *connection;
  char           **envp;
} McBenchEnv;

typedef struct
{
  /* All in kB, as /proc reports them. */
  guint64 vm_rss;
  guint64 rss_anon;
  guint64 rss_file;
  guint64 pss;
  guint64 pss_anon;
} McBenchMemory;

McBenchEnv      *mc_bench_env_new             (void);
void             mc_bench_env_free            (McBenchEnv       *env);
void             mc_bench_env_setenv          (McBenchEnv       *env,
                                               const char       *variable,
                                               const char       *value);
GSubprocessLauncher *mc_bench_env_new_launcher (McBenchEnv       *env,
                                                   GSubprocessFlags  flags);
GSubprocess     *mc_bench_env_spawnv          (McBenchEnv       *env,
                                               const char       *log_name,
                                               const char *const *argv,
                                               GError          **error);
GSubprocess     *mc_bench_env_start_daemon    (McBenchEnv       *env,
                                               GError          **error);
gboolean         mc_bench_env_start_keyring   (McBenchEnv       *env,
                                               GError          **error);
void             mc_bench_env_register_browser (McBenchEnv      *env,
                                                const char      *desktop_id,
                                                const char      *program);
gboolean         mc_bench_env_wait_name       (McBenchEnv       *env,
                                               const char       *name,
                                               GSubprocess      *owner,
                                               GError          **error);
void             mc_bench_env_set_script      (McBenchEnv       *env,
                                               const char       *answers);
guint            mc_bench_env_count_browser_launches (McBenchEnv *env);

void             mc_bench_stop_process        (GSubprocess      *process);
gboolean         mc_bench_read_memory         (GPid              pid,
                                               McBenchMemory    *memory);
void             mc_bench_settle              (guint             milliseconds);
gboolean         mc_bench_wait_until          (gboolean        (*condition) (gpointer user_data),
                                               gpointer          user_data,
                                               guint             timeout_seconds);
gboolean         mc_bench_wait_process_gone   (GPid              pid,
                                               guint             timeout_seconds);
gboolean         mc_bench_call                (GDBusConnection  *connection,
                                               const char       *bus_name,
                                               const char       *object_path,
                                               const char       *interface_name,
                                               const char       *method_name,
                                               GVariant         *parameters,
                                               GVariant        **out_reply,
                                               gint64           *out_microseconds,
                                               GError          **error);
GPid             mc_bench_subprocess_get_pid  (GSubprocess      *process);

double           mc_bench_percentile          (GArray           *samples,
                                               double            fraction);
void             mc_bench_print_machine       (void);

/**
 * McBenchClient:
 *
 * An MCP client of the broker that does what a careful one does: a fresh
 * handle_token per request, subscribed to the predictable Request path
 * before the call, waiting for the unicast Response.
 */
typedef struct _McBenchClient McBenchClient;

McBenchClient   *mc_bench_client_new          (GDBusConnection  *connection);
void             mc_bench_client_free         (McBenchClient    *client);
char            *mc_bench_client_elicit       (McBenchClient    *client,
                                               const char       *elicitation_id,
                                               gint64           *out_reply_microseconds,
                                               gint64           *out_microseconds,
                                               GError          **error);
char            *mc_bench_client_elicit_begin (McBenchClient    *client,
                                               const char       *elicitation_id,
                                               GError          **error);
gboolean         mc_bench_client_complete     (McBenchClient    *client,
                                               const char       *elicitation_id,
                                               GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McBenchEnv, mc_bench_env_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McBenchClient, mc_bench_client_free)

G_END_DECLS
