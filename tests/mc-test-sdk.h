/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-test-env.h"

G_BEGIN_DECLS

/**
 * McTestSdkServer:
 * @process: the Node.js process, the test's child
 * @log: its stdout and stderr, in memory only (some examples log bearer
 *   tokens, and tests check that no token reaches a file)
 * @mcp_port: the port of its MCP endpoint
 * @auth_port: with --oauth, the port of its authorization server
 * @resource: the URL of its MCP endpoint
 *
 * One of the MCP TypeScript SDK's example servers from tests/npm
 * (installed there by `npm ci`), as the test's child.
 */
typedef struct
{
  GSubprocess      *process;
  GDataInputStream *output;
  GCancellable     *cancellable;
  GString          *log;
  gboolean          reading;
  guint             listening;
  guint16           mcp_port;
  guint16           auth_port;
  char             *resource;
} McTestSdkServer;

const char      *mc_test_npm_dir                (void);
gboolean         mc_test_sdk_check              (char           **out_reason);
gboolean         mc_test_sdk_check_or_skip      (void);
char            *mc_test_node_path              (void);
char            *mc_test_webcrypto_shim_path    (void);
char            *mc_test_sdk_example_path       (const char      *file);
McTestSdkServer *mc_test_sdk_server_start       (McTestEnv          *env,
                                                 const char         *example,
                                                 const char * const *args);
McTestSdkServer *mc_test_sdk_server_start_oauth (McTestEnv       *env);
McTestSdkServer *mc_test_sdk_server_start_oauth_example (McTestEnv          *env,
                                                         const char         *example,
                                                         const char * const *node_args,
                                                         const char * const *args);
void             mc_test_sdk_server_stop        (McTestSdkServer *server);
gboolean         mc_test_sdk_server_log_has     (McTestSdkServer *server,
                                                 const char      *text);
void             mc_test_sdk_server_wait_log    (McTestSdkServer *server,
                                                 const char      *text);
char            *mc_test_sdk_server_wait_session_id (McTestSdkServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McTestSdkServer, mc_test_sdk_server_stop)

G_END_DECLS
