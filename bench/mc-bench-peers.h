/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-bench-env.h"

G_BEGIN_DECLS

/* Exit status of a benchmark that cannot run here (as for meson tests). */
#define MC_BENCH_EXIT_SKIP 77

/**
 * McBenchRun:
 *
 * One program run to its exit: its output, its status, and the time from
 * just before it was spawned to the moment its exit was seen.
 */
typedef struct
{
  int     status;
  char   *out;
  char   *err;
  gint64  microseconds;
} McBenchRun;

/**
 * McBenchSdkServer:
 *
 * The MCP TypeScript SDK's example Streamable HTTP server, with its demo
 * authorization server (`--oauth`) or without, from tests/npm, as the
 * benchmark's child.  Its output stays in memory: it logs every bearer
 * token it sees.
 */
typedef struct
{
  GSubprocess      *process;
  GDataInputStream *output;
  GCancellable     *cancellable;
  GString          *log;
  gboolean          reading;
  guint             listening;
  guint             expected_listening;
  guint16           mcp_port;
  guint16           auth_port;
  char             *resource;
} McBenchSdkServer;

const char       *mc_bench_npm_dir             (void);
char             *mc_bench_node_path           (void);
char             *mc_bench_node_version        (const char        *node);
gboolean          mc_bench_version_at_least    (const char        *version,
                                                guint              major,
                                                guint              minor,
                                                guint              micro);
char             *mc_bench_npm_module_path     (const char        *first_element,
                                                ...) G_GNUC_NULL_TERMINATED;
char             *mc_bench_webcrypto_shim_path (void);
gboolean          mc_bench_check_sdk          (char             **out_reason);
char             *mc_bench_check_mcp_remote    (char             **out_reason);

guint16           mc_bench_pick_port           (GSocket          **out_socket);

McBenchSdkServer *mc_bench_sdk_server_start    (McBenchEnv        *env,
                                                GError           **error);
McBenchSdkServer *mc_bench_sdk_server_start_full (McBenchEnv      *env,
                                                  gboolean         oauth,
                                                  GError         **error);
void              mc_bench_sdk_server_stop     (McBenchSdkServer  *server);

gboolean          mc_bench_run_program         (McBenchEnv        *env,
                                                const char *const *argv,
                                                const char        *input,
                                                McBenchRun        *run,
                                                GError           **error);
void              mc_bench_run_clear           (McBenchRun        *run);

gboolean          mc_bench_sign_in             (McBenchEnv        *env,
                                                const char        *resource,
                                                McBenchRun        *run,
                                                GError           **error);
char             *mc_bench_get_token_cli       (McBenchEnv        *env,
                                                const char        *resource,
                                                McBenchRun        *run,
                                                GError           **error);
gboolean          mc_bench_list_tools          (McBenchEnv        *env,
                                                const char        *resource,
                                                const char        *token,
                                                McBenchRun        *run,
                                                GError           **error);
void              mc_bench_env_stop_browsers   (McBenchEnv        *env);
gboolean          mc_bench_env_wait_browser_loaded (McBenchEnv    *env,
                                                    guint          count);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McBenchSdkServer, mc_bench_sdk_server_stop)

G_END_DECLS
