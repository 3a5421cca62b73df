/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-test-env.h"

G_BEGIN_DECLS

/**
 * McTestBridge:
 *
 * mcp-consent-bridge from the build tree, as an MCP client runs it: the
 * test writes JSON-RPC lines to its stdin and reads what it writes to
 * stdout, line by line, as it comes; stderr is kept too.  Stopped by its
 * pid when freed.
 */
typedef struct _McTestBridge McTestBridge;

McTestBridge *mc_test_bridge_start            (McTestEnv          *env,
                                               const char         *first_arg,
                                               ...) G_GNUC_NULL_TERMINATED;
McTestBridge *mc_test_bridge_startv           (McTestEnv          *env,
                                               const char * const *args);
void          mc_test_bridge_free             (McTestBridge       *self);
void          mc_test_bridge_send             (McTestBridge       *self,
                                               const char         *line);
void          mc_test_bridge_send_printf      (McTestBridge       *self,
                                               const char         *format,
                                               ...) G_GNUC_PRINTF (2, 3);
void          mc_test_bridge_send_bytes       (McTestBridge       *self,
                                               const char         *data,
                                               gsize               length);
void          mc_test_bridge_close_stdin      (McTestBridge       *self);
void          mc_test_bridge_set_reading      (McTestBridge       *self,
                                               gboolean            reading);
guint         mc_test_bridge_count_lines      (McTestBridge       *self);
JsonObject   *mc_test_bridge_get_line         (McTestBridge       *self,
                                               guint               index);
JsonObject   *mc_test_bridge_wait_line        (McTestBridge       *self,
                                               guint               index);
JsonObject   *mc_test_bridge_wait_response    (McTestBridge       *self,
                                               const char         *id_json);
JsonObject   *mc_test_bridge_find_response    (McTestBridge       *self,
                                               const char         *id_json);
guint         mc_test_bridge_count_responses  (McTestBridge       *self,
                                               const char         *id_json);
JsonObject   *mc_test_bridge_initialize       (McTestBridge       *self,
                                               const char         *protocol_version);
int           mc_test_bridge_wait_exit        (McTestBridge       *self);
gboolean      mc_test_bridge_has_exited       (McTestBridge       *self);
const char   *mc_test_bridge_get_stderr       (McTestBridge       *self);
char         *mc_test_bridge_dup_transcript   (McTestBridge       *self);
int           mc_test_bridge_get_pid          (McTestBridge       *self);
void          mc_test_bridge_wait_stderr      (McTestBridge       *self,
                                               const char         *text);
void          mc_test_bridge_call_tool        (McTestBridge       *self,
                                               const char         *id_json,
                                               const char         *name,
                                               const char         *arguments);
const char   *mc_test_bridge_result_text      (JsonObject         *response);
const char   *mc_test_bridge_error_message    (JsonObject         *response);
gint64        mc_test_bridge_error_code       (JsonObject         *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McTestBridge, mc_test_bridge_free)

G_END_DECLS
