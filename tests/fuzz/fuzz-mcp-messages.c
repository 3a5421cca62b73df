/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for mc-mcp-messages.h: the input is one JSON-RPC
 * message as the bridge reads it from a server or a client (parsed as the
 * bridge parses it, mc_jsonrpc_message_parse()). Every reader runs on the message
 * itself and on its "params", "result" and "error" members.
 *
 * Besides crashes, sanitizer reports and criticals it checks:
 * - the capability rewrite either refuses and leaves the params as they
 *   were, or leaves capabilities.elicitation.url an object, with form
 *   declared whenever the client's elicitation was {};
 * - a parsed elicitation has a non-empty URL within the cap, a message
 *   that is valid UTF-8 within its cap, and an id within its cap;
 * - a -32042 error gives 1 to 8 elicitations, each with an id;
 * - server info has a non-empty name the broker accepts (at most 256
 *   bytes, no unsafe characters), a title and version likewise;
 * - the responses built from the message's id serialise and parse back;
 * - MCP 2026-07-28: every URL-mode input request has a key and either an
 *   elicitation (checked as above; at most 8) or the reason it has none;
 *   a retry built from the object, if the bridge can write it, reads
 *   back; the per-request capability
 *   rewrite leaves the object alone or declares elicitation.url; a -32042
 *   error has no url left in its elicitations once redacted.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-json.h"
#include "mc-jsonrpc.h"
#include "mc-mcp-messages.h"
#include "mc-text.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

static char *
serialise (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

static void
check_elicitation (const McUrlElicitation *elicitation,
                   gboolean                require_id)
{
  check (elicitation->url != NULL && *elicitation->url != '\0');
  check (strlen (elicitation->url) <= MC_MCP_MAX_URL_BYTES);
  check (elicitation->message != NULL);
  check (strlen (elicitation->message) <= MC_MCP_MAX_MESSAGE_BYTES);
  check (g_utf8_validate (elicitation->message, -1, NULL));
  check (!require_id || elicitation->elicitation_id != NULL);
  check (elicitation->elicitation_id == NULL ||
         (*elicitation->elicitation_id != '\0' &&
          strlen (elicitation->elicitation_id) <= MC_MCP_MAX_ELICITATION_ID_BYTES));
}

static void
check_shown_text (const char *text,
                  gsize       max_bytes)
{
  if (text == NULL)
    return;
  check (*text != '\0');
  check (strlen (text) <= max_bytes);
  check (g_utf8_validate (text, -1, NULL));
  check (!mc_text_has_unsafe_chars (text));
  check (strchr (text, '\n') == NULL && strchr (text, '\t') == NULL);
}

static void
check_round_trip (JsonNode *response)
{
  g_autofree char *text = json_to_string (response, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) back = mc_json_parse_object (text, strlen (text), &error);

  /* Ids nest no deeper than the message they came from, plus two. */
  if (back == NULL)
    check (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) && strstr (error->message, "nested"));
}

/* A deep copy (json_node_copy() shares the objects inside), or NULL
 * when json-glib writes a number it cannot read back (1e999). */
static JsonObject *
copy_object (JsonObject *object)
{
  g_autofree char *text = serialise (object);

  return mc_json_parse_object (text, strlen (text), NULL);
}

static void
run_round_trip_readers (JsonObject *object)
{
  g_autoptr(GPtrArray) inputs = mc_mcp_parse_url_input_requests (object);
  g_autoptr(JsonObject) responses = json_object_new ();
  g_autoptr(JsonNode) retry = NULL;
  g_autoptr(McJsonrpcMessage) retry_message = NULL;
  g_autoptr(JsonObject) redacted = copy_object (object);
  g_autoptr(JsonObject) params = copy_object (object);
  g_autofree char *params_before = NULL;
  g_autoptr(GError) error = NULL;
  guint shown = 0;
  JsonObject *data;

  for (guint i = 0; inputs != NULL && i < inputs->len; i++)
    {
      McUrlInputRequest *input = g_ptr_array_index (inputs, i);

      check (input->key != NULL);
      check ((input->elicitation == NULL) != (input->problem == NULL));
      if (input->elicitation != NULL)
        {
          check_elicitation (input->elicitation, FALSE);
          shown++;
        }
    }
  check (shown <= MC_MCP_MAX_REQUIRED_ELICITATIONS);
  check (inputs == NULL || mc_mcp_get_input_requests (object) != NULL);
  (void) mc_mcp_get_input_responses (object);

  /* The bridge sends a retry only if it is a message it can write. */
  retry = mc_mcp_new_input_retry (object, responses, mc_mcp_get_request_state (object));
  retry_message = mc_jsonrpc_message_new (retry, NULL);
  if (retry_message != NULL)
    {
      GBytes *bytes = mc_jsonrpc_message_get_bytes (retry_message);
      g_autoptr(McJsonrpcMessage) back = mc_jsonrpc_message_parse (g_bytes_get_data (bytes, NULL),
                                                                   g_bytes_get_size (bytes), NULL, NULL);

      check (back != NULL);
    }

  if (redacted == NULL || params == NULL)
    return;

  params_before = serialise (params);
  mc_mcp_redact_url_elicitation_required (redacted);
  if (json_object_has_member (redacted, "data") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (redacted, "data")))
    {
      JsonNode *list = json_object_get_member (json_object_get_object_member (redacted, "data"), "elicitations");

      for (guint i = 0; list != NULL && JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
        {
          JsonNode *entry = json_array_get_element (json_node_get_array (list), i);

          check (!JSON_NODE_HOLDS_OBJECT (entry) || !json_object_has_member (json_node_get_object (entry), "url"));
        }
    }

  if (mc_mcp_add_request_url_elicitation_capability (params, &error))
    {
      JsonObject *meta = json_object_get_object_member (params, "_meta");
      JsonObject *capabilities = json_object_get_object_member (meta, MC_MCP_CLIENT_CAPABILITIES_META_KEY);

      check (error == NULL);
      data = json_object_get_object_member (capabilities, "elicitation");
      check (json_object_has_member (data, "url"));
    }
  else
    {
      g_autofree char *params_after = serialise (params);

      check (g_str_equal (params_before, params_after));
    }
}

static void
run_readers (JsonObject *object)
{
  g_autoptr(McMcpServerInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(McUrlElicitation) elicitation = NULL;
  g_autoptr(McUrlElicitation) elicitation_without_id = NULL;
  g_autofree char *before = serialise (object);
  JsonObject *capabilities;
  JsonObject *elicitation_capability;
  gboolean was_empty = FALSE;
  const char *completed;

  info = mc_mcp_parse_server_info (object, "fuzz.example");
  check (info->name != NULL);
  check_shown_text (info->name, 256);
  check_shown_text (info->title, 256);
  check_shown_text (info->version, 64);

  for (int require_ids = FALSE; require_ids <= TRUE; require_ids++)
    {
      g_autoptr(GPtrArray) required = mc_mcp_parse_url_elicitation_required (object, require_ids, &error);

      if (required != NULL)
        {
          check (error == NULL);
          check (required->len >= 1 && required->len <= MC_MCP_MAX_REQUIRED_ELICITATIONS);
          for (guint i = 0; i < required->len; i++)
            check_elicitation (g_ptr_array_index (required, i), require_ids);
        }
      g_clear_error (&error);
    }

  elicitation = mc_mcp_parse_url_elicitation (object, TRUE, &error);
  check ((elicitation == NULL) == (error != NULL));
  if (elicitation != NULL)
    check_elicitation (elicitation, TRUE);
  g_clear_error (&error);
  elicitation_without_id = mc_mcp_parse_url_elicitation (object, FALSE, &error);
  check ((elicitation_without_id == NULL) == (error != NULL));
  if (elicitation_without_id != NULL)
    check_elicitation (elicitation_without_id, FALSE);
  /* Requiring the id only ever refuses more. */
  check (elicitation == NULL || elicitation_without_id != NULL);
  g_clear_error (&error);

  (void) mc_mcp_is_url_elicitation_request (object);
  completed = mc_mcp_get_completed_elicitation_id (object);
  check (completed == NULL || (*completed != '\0' && strlen (completed) <= MC_MCP_MAX_ELICITATION_ID_BYTES));

  run_round_trip_readers (object);

  /* The rewrite comes last: it changes the object. */
  if (json_object_has_member (object, "capabilities") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "capabilities")))
    {
      JsonObject *declared = json_object_get_object_member (object, "capabilities");
      JsonNode *node = json_object_get_member (declared, "elicitation");

      was_empty = node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
                  json_object_get_size (json_node_get_object (node)) == 0;
    }
  if (!mc_mcp_add_url_elicitation_capability (object, &error))
    {
      g_autofree char *after = serialise (object);

      check (error != NULL);
      check (g_str_equal (before, after));
      return;
    }
  check (error == NULL);
  capabilities = json_object_get_object_member (object, "capabilities");
  check (capabilities != NULL);
  elicitation_capability = json_object_get_object_member (capabilities, "elicitation");
  check (elicitation_capability != NULL);
  check (json_object_has_member (elicitation_capability, "url"));
  check (!was_empty || json_object_has_member (elicitation_capability, "form"));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(McJsonrpcMessage) parsed = NULL;
  const char *members[] = { "params", "result", "error" };
  JsonObject *message;
  JsonNode *id;

  parsed = mc_jsonrpc_message_parse ((const char *)data, size, NULL, NULL);
  if (parsed == NULL)
    return 0;
  message = mc_jsonrpc_message_get_object (parsed);

  id = json_object_get_member (message, "id");
  if (id != NULL)
    {
      g_autoptr(JsonNode) result = mc_mcp_new_elicit_result (id, "decline");
      g_autoptr(JsonNode) error_response = mc_mcp_new_error_response (id, MC_JSONRPC_INVALID_PARAMS, "bad");

      check_round_trip (result);
      check_round_trip (error_response);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (members); i++)
    {
      JsonNode *node = json_object_get_member (message, members[i]);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        run_readers (json_node_get_object (node));
    }
  run_readers (message);

  return 0;
}
