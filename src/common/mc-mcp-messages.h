/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* JSON-RPC's code for params that cannot be used (the bridge's other
 * codes are in src/bridge/mc-jsonrpc.h). */
#define MC_JSONRPC_INVALID_PARAMS       (-32602)
/* MCP 2025-11-25: the request needs URL-mode elicitations first. */
#define MC_MCP_URL_ELICITATION_REQUIRED (-32042)

/* Caps on what a server may ask the user to look at. Longer URLs the
 * broker would block anyway; longer messages are cut, not refused. */
#define MC_MCP_MAX_URL_BYTES            32768
#define MC_MCP_MAX_MESSAGE_BYTES        16384
#define MC_MCP_MAX_ELICITATION_ID_BYTES 256
/* Elicitations one -32042 error, or one InputRequiredResult, may ask
 * for. */
#define MC_MCP_MAX_REQUIRED_ELICITATIONS 8
/* MCP 2026-07-28: where a request carries the client's capabilities. */
#define MC_MCP_CLIENT_CAPABILITIES_META_KEY "io.modelcontextprotocol/clientCapabilities"

/**
 * McUrlElicitation:
 * @elicitation_id: (nullable): MCP's elicitationId (2025-11-25 requires
 *   it; 2026-07-28 dropped it)
 * @url: the URL the user is asked to open
 * @message: why, in the server's words (cut to
 *   %MC_MCP_MAX_MESSAGE_BYTES at a character boundary)
 *
 * A URL-mode elicitation, from `elicitation/create` or from the
 * `data.elicitations` of a `-32042` error.
 */
typedef struct
{
  char *elicitation_id;
  char *url;
  char *message;
} McUrlElicitation;

void              mc_url_elicitation_free                (McUrlElicitation *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McUrlElicitation, mc_url_elicitation_free)

/**
 * McUrlInputRequest:
 * @key: its key in the InputRequiredResult's `inputRequests`
 * @elicitation: (nullable): the elicitation, or %NULL when it cannot be
 *   shown
 * @problem: (nullable): why it cannot, when @elicitation is %NULL
 *
 * A URL-mode `elicitation/create` among the input requests of an MCP
 * 2026-07-28 InputRequiredResult.
 */
typedef struct
{
  char             *key;
  McUrlElicitation *elicitation;
  char             *problem;
} McUrlInputRequest;

void              mc_url_input_request_free              (McUrlInputRequest *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McUrlInputRequest, mc_url_input_request_free)

/**
 * McMcpServerInfo:
 * @name: serverInfo.name, made fit to show (one line, no control or
 *   invisible characters, at most 256 bytes); never empty
 * @title: (nullable): serverInfo.title, likewise
 * @version: (nullable): serverInfo.version, at most 64 bytes
 *
 * Who the server says it is, from its `initialize` result.
 */
typedef struct
{
  char *name;
  char *title;
  char *version;
} McMcpServerInfo;

void              mc_mcp_server_info_free                (McMcpServerInfo  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McMcpServerInfo, mc_mcp_server_info_free)

gboolean          mc_mcp_add_url_elicitation_capability  (JsonObject       *initialize_params,
                                                          GError          **error);
gboolean          mc_mcp_add_request_url_elicitation_capability (JsonObject *params,
                                                                 GError    **error);
McMcpServerInfo  *mc_mcp_parse_server_info               (JsonObject       *initialize_result,
                                                          const char       *fallback_name);

gboolean          mc_mcp_is_url_elicitation_request      (JsonObject       *message);
McUrlElicitation *mc_mcp_parse_url_elicitation           (JsonObject       *params,
                                                          gboolean          require_id,
                                                          GError          **error);
GPtrArray        *mc_mcp_parse_url_elicitation_required  (JsonObject       *error_object,
                                                          gboolean          require_ids,
                                                          GError          **error);
const char       *mc_mcp_get_completed_elicitation_id    (JsonObject       *message);
void              mc_mcp_redact_url_elicitation_required (JsonObject       *error_object);

JsonObject       *mc_mcp_get_input_requests              (JsonObject       *result);
GPtrArray        *mc_mcp_parse_url_input_requests        (JsonObject       *result);
const char       *mc_mcp_get_request_state               (JsonObject       *object);
JsonObject       *mc_mcp_get_input_responses             (JsonObject       *params);
JsonNode         *mc_mcp_new_input_retry                 (JsonObject       *request,
                                                          JsonObject       *input_responses,
                                                          const char       *request_state);

JsonNode         *mc_mcp_new_elicit_result               (JsonNode         *id,
                                                          const char       *action);
JsonNode         *mc_mcp_new_error_response              (JsonNode         *id,
                                                          int               code,
                                                          const char       *message);

G_END_DECLS
