/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The MCP messages the bridge rewrites or hands to the broker. */

#include "config.h"

#include <string.h>

#include "mc-json.h"
#include "mc-mcp-messages.h"

static JsonObject *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = mc_json_parse_object (json, strlen (json), &error);

  g_assert_no_error (error);
  return object;
}

static char *
to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

static char *
node_to_string (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

/* The capability the bridge declares for the client {{{1 */

static void
check_capability (const char *params_json,
                  const char *expected)
{
  g_autoptr(JsonObject) params = parse (params_json);
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;

  g_assert_true (mc_mcp_add_url_elicitation_capability (params, &error));
  g_assert_no_error (error);
  result = to_string (params);
  g_assert_cmpstr (result, ==, expected);
}

static void
test_capability (void)
{
  /* Nothing declared: URL mode only, so the server sends no form it
   * cannot answer. */
  check_capability ("{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}",
                    "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"elicitation\":{\"url\":{}}}}");
  check_capability ("{}", "{\"capabilities\":{\"elicitation\":{\"url\":{}}}}");
  /* {} means form: it stays declared. */
  check_capability ("{\"capabilities\":{\"elicitation\":{}}}",
                    "{\"capabilities\":{\"elicitation\":{\"form\":{},\"url\":{}}}}");
  /* Whatever else the client said is kept as it said it. */
  check_capability ("{\"capabilities\":{\"roots\":{\"listChanged\":true},"
                    "\"elicitation\":{\"form\":{\"applyDefaults\":true}},\"sampling\":{}}}",
                    "{\"capabilities\":{\"roots\":{\"listChanged\":true},"
                    "\"elicitation\":{\"form\":{\"applyDefaults\":true},\"url\":{}},\"sampling\":{}}}");
  check_capability ("{\"capabilities\":{\"elicitation\":{\"url\":{\"x\":1}}}}",
                    "{\"capabilities\":{\"elicitation\":{\"url\":{\"x\":1}}}}");
}

static void
test_capability_malformed (void)
{
  const char *cases[] = {
    "{\"capabilities\":[]}",
    "{\"capabilities\":\"all\"}",
    "{\"capabilities\":{\"elicitation\":true}}",
    "{\"capabilities\":{\"elicitation\":null}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) params = parse (cases[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *after = NULL;

      g_assert_false (mc_mcp_add_url_elicitation_capability (params, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      after = to_string (params);
      g_assert_cmpstr (after, ==, cases[i]);
    }
}

/* serverInfo {{{1 */

static void
test_server_info (void)
{
  g_autoptr(JsonObject) result = parse ("{\"serverInfo\":{\"name\":\"payments\",\"title\":\"Pay\\u202eevil\","
                                        "\"version\":\"1.2.3\"}}");
  g_autoptr(JsonObject) wrong = parse ("{\"serverInfo\":{\"name\":42}}");
  g_autoptr(JsonObject) invisible = parse ("{\"serverInfo\":{\"name\":\"\\u200b\\u2066\"}}");
  g_autoptr(McMcpServerInfo) info = NULL;
  g_autoptr(McMcpServerInfo) fallback = NULL;
  g_autoptr(McMcpServerInfo) fallback_invisible = NULL;
  g_autoptr(McMcpServerInfo) missing = NULL;
  g_autoptr(GString) long_name = g_string_new ("{\"serverInfo\":{\"name\":\"");
  g_autoptr(JsonObject) long_result = NULL;
  g_autoptr(McMcpServerInfo) long_info = NULL;

  info = mc_mcp_parse_server_info (result, "mcp.example.com");
  g_assert_cmpstr (info->name, ==, "payments");
  /* The bidi override that would reverse the rest is gone. */
  g_assert_cmpstr (info->title, ==, "Payevil");
  g_assert_cmpstr (info->version, ==, "1.2.3");

  fallback = mc_mcp_parse_server_info (wrong, "mcp.example.com");
  g_assert_cmpstr (fallback->name, ==, "mcp.example.com");
  g_assert_null (fallback->title);
  fallback_invisible = mc_mcp_parse_server_info (invisible, "mcp.example.com");
  g_assert_cmpstr (fallback_invisible->name, ==, "mcp.example.com");
  missing = mc_mcp_parse_server_info (NULL, "mcp.example.com");
  g_assert_cmpstr (missing->name, ==, "mcp.example.com");

  /* Within the broker's 256 bytes whatever the characters. */
  for (guint i = 0; i < 200; i++)
    g_string_append (long_name, "𝔐");
  g_string_append (long_name, "\"}}");
  long_result = parse (long_name->str);
  long_info = mc_mcp_parse_server_info (long_result, "mcp.example.com");
  g_assert_cmpuint (strlen (long_info->name), <=, 256);
  g_assert_true (g_str_has_prefix (long_info->name, "𝔐𝔐𝔐"));
}

/* elicitation/create and -32042 {{{1 */

static void
test_url_elicitation (void)
{
  g_autoptr(JsonObject) request = parse ("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"elicitation/create\","
                                         "\"params\":{\"mode\":\"url\",\"elicitationId\":\"550e\","
                                         "\"url\":\"https://mcp.example.com/ui/set_api_key\","
                                         "\"message\":\"Please provide your API key.\"}}");
  g_autoptr(JsonObject) form = parse ("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"elicitation/create\","
                                      "\"params\":{\"message\":\"Name?\",\"requestedSchema\":{}}}");
  g_autoptr(JsonObject) notification = parse ("{\"jsonrpc\":\"2.0\",\"method\":\"elicitation/create\","
                                              "\"params\":{\"mode\":\"url\"}}");
  g_autoptr(McUrlElicitation) elicitation = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (mc_mcp_is_url_elicitation_request (request));
  g_assert_false (mc_mcp_is_url_elicitation_request (form));
  g_assert_false (mc_mcp_is_url_elicitation_request (notification));

  elicitation = mc_mcp_parse_url_elicitation (json_object_get_object_member (request, "params"), TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (elicitation->elicitation_id, ==, "550e");
  g_assert_cmpstr (elicitation->url, ==, "https://mcp.example.com/ui/set_api_key");
  g_assert_cmpstr (elicitation->message, ==, "Please provide your API key.");
}

static void
test_url_elicitation_malformed (void)
{
  const char *cases[][2] = {
    { "{\"mode\":\"url\",\"message\":\"m\",\"elicitationId\":\"1\"}", "“url” is missing" },
    { "{\"mode\":\"url\",\"url\":\"\",\"message\":\"m\",\"elicitationId\":\"1\"}", "“url” is missing" },
    { "{\"mode\":\"url\",\"url\":7,\"message\":\"m\",\"elicitationId\":\"1\"}", "“url” is not a string" },
    { "{\"mode\":\"form\",\"url\":\"https://a.example/\",\"elicitationId\":\"1\"}", "“mode” is not “url”" },
    { "{\"mode\":\"url\",\"url\":\"https://a.example/\",\"message\":\"m\"}", "“elicitationId” is missing" },
    { "{\"mode\":\"url\",\"url\":\"https://a.example/\",\"elicitationId\":\"\"}", "“elicitationId” is empty or longer than 256 bytes" },
    { "{\"mode\":\"url\",\"url\":\"https://a.example/\",\"elicitationId\":[]}", "“elicitationId” is not a string" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) params = parse (cases[i][0]);
      g_autoptr(GError) error = NULL;
      g_autoptr(McUrlElicitation) elicitation = mc_mcp_parse_url_elicitation (params, TRUE, &error);

      g_assert_null (elicitation);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_cmpstr (error->message, ==, cases[i][1]);
    }
}

static void
test_url_elicitation_limits (void)
{
  g_autoptr(GString) json = g_string_new ("{\"mode\":\"url\",\"url\":\"https://a.example/\",\"message\":\"");
  g_autoptr(GString) long_url = g_string_new ("{\"mode\":\"url\",\"elicitationId\":\"1\",\"url\":\"https://a.example/");
  g_autoptr(JsonObject) params = NULL;
  g_autoptr(JsonObject) url_params = NULL;
  g_autoptr(McUrlElicitation) elicitation = NULL;
  g_autoptr(McUrlElicitation) refused = NULL;
  g_autoptr(GError) error = NULL;

  /* A long message is cut at a character boundary, not refused; and
   * 2026-07-28 servers send no id. */
  for (guint i = 0; i < MC_MCP_MAX_MESSAGE_BYTES; i++)
    g_string_append (json, "é");
  g_string_append (json, "\"}");
  params = parse (json->str);
  elicitation = mc_mcp_parse_url_elicitation (params, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (elicitation->elicitation_id);
  g_assert_cmpuint (strlen (elicitation->message), ==, MC_MCP_MAX_MESSAGE_BYTES);
  g_assert_true (g_utf8_validate (elicitation->message, -1, NULL));

  for (guint i = 0; i < MC_MCP_MAX_URL_BYTES; i++)
    g_string_append_c (long_url, 'a');
  g_string_append (long_url, "\"}");
  url_params = parse (long_url->str);
  refused = mc_mcp_parse_url_elicitation (url_params, TRUE, &error);
  g_assert_null (refused);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_elicitation_required (void)
{
  g_autoptr(JsonObject) response = parse ("{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32042,"
                                          "\"message\":\"This request requires more information.\","
                                          "\"data\":{\"elicitations\":[{\"mode\":\"url\",\"elicitationId\":\"a\","
                                          "\"url\":\"https://mcp.example.com/connect?e=a\",\"message\":\"Sign in\"},"
                                          "{\"mode\":\"url\",\"elicitationId\":\"b\","
                                          "\"url\":\"https://pay.example.com/\",\"message\":\"Pay\"}]}}}");
  g_autoptr(JsonObject) other = parse ("{\"code\":-32602,\"message\":\"Invalid params\"}");
  g_autoptr(GPtrArray) elicitations = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GError) error = NULL;
  McUrlElicitation *second;

  elicitations = mc_mcp_parse_url_elicitation_required (json_object_get_object_member (response, "error"), TRUE,
                                                        &error);
  g_assert_no_error (error);
  g_assert_cmpuint (elicitations->len, ==, 2);
  second = g_ptr_array_index (elicitations, 1);
  g_assert_cmpstr (second->elicitation_id, ==, "b");
  g_assert_cmpstr (second->url, ==, "https://pay.example.com/");

  none = mc_mcp_parse_url_elicitation_required (other, TRUE, &error);
  g_assert_null (none);
  g_assert_no_error (error);
}

static void
test_elicitation_required_malformed (void)
{
  const char *cases[] = {
    "{\"code\":-32042,\"message\":\"m\"}",
    "{\"code\":-32042,\"message\":\"m\",\"data\":[]}",
    "{\"code\":-32042,\"message\":\"m\",\"data\":{}}",
    "{\"code\":-32042,\"message\":\"m\",\"data\":{\"elicitations\":[]}}",
    "{\"code\":-32042,\"message\":\"m\",\"data\":{\"elicitations\":[1]}}",
    /* Every entry must be URL mode with an id. */
    "{\"code\":-32042,\"message\":\"m\",\"data\":{\"elicitations\":[{\"mode\":\"url\",\"url\":\"https://a.example/\"}]}}",
    ("{\"code\":-32042,\"message\":\"m\",\"data\":{\"elicitations\":[{\"mode\":\"form\",\"elicitationId\":\"a\","
     "\"url\":\"https://a.example/\"}]}}"),
    "{\"code\":-32042,\"message\":\"m\",\"data\":{\"elicitations\":[{},{},{},{},{},{},{},{},{}]}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) error_object = parse (cases[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) elicitations = mc_mcp_parse_url_elicitation_required (error_object, TRUE, &error);

      g_assert_null (elicitations);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_test_message ("%s → %s", cases[i], error->message);
    }
}

/* Entries without an id, as a server of the 2026-07-28 era would write
 * them, for a client that sends the request again after the user's answer;
 * everything else is checked as before. */
static void
test_elicitation_required_without_ids (void)
{
  g_autoptr(JsonObject) error_object = parse ("{\"code\":-32042,\"message\":\"m\",\"data\":{\"elicitations\":["
                                              "{\"mode\":\"url\",\"url\":\"https://a.example/\",\"message\":\"A\"},"
                                              "{\"mode\":\"url\",\"elicitationId\":\"b\",\"url\":\"https://b.example/\","
                                              "\"message\":\"B\"}]}}");
  g_autoptr(JsonObject) form = parse ("{\"code\":-32042,\"message\":\"m\",\"data\":{\"elicitations\":["
                                      "{\"mode\":\"form\",\"url\":\"https://a.example/\"}]}}");
  g_autoptr(GPtrArray) elicitations = NULL;
  g_autoptr(GPtrArray) strict = NULL;
  g_autoptr(GPtrArray) not_url = NULL;
  g_autoptr(GError) error = NULL;
  McUrlElicitation *first;

  elicitations = mc_mcp_parse_url_elicitation_required (error_object, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (elicitations->len, ==, 2);
  first = g_ptr_array_index (elicitations, 0);
  g_assert_null (first->elicitation_id);
  g_assert_cmpstr (first->url, ==, "https://a.example/");
  g_assert_cmpstr (((McUrlElicitation *) g_ptr_array_index (elicitations, 1))->elicitation_id, ==, "b");

  strict = mc_mcp_parse_url_elicitation_required (error_object, TRUE, &error);
  g_assert_null (strict);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  not_url = mc_mcp_parse_url_elicitation_required (form, FALSE, &error);
  g_assert_null (not_url);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_completion (void)
{
  g_autoptr(JsonObject) complete = parse ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/elicitation/complete\","
                                          "\"params\":{\"elicitationId\":\"550e\"}}");
  g_autoptr(JsonObject) request = parse ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"notifications/elicitation/complete\","
                                         "\"params\":{\"elicitationId\":\"550e\"}}");
  g_autoptr(JsonObject) no_id = parse ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/elicitation/complete\","
                                       "\"params\":{\"elicitationId\":5}}");
  g_autoptr(JsonObject) progress = parse ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                                          "\"params\":{\"elicitationId\":\"550e\"}}");

  g_assert_cmpstr (mc_mcp_get_completed_elicitation_id (complete), ==, "550e");
  g_assert_null (mc_mcp_get_completed_elicitation_id (request));
  g_assert_null (mc_mcp_get_completed_elicitation_id (no_id));
  g_assert_null (mc_mcp_get_completed_elicitation_id (progress));
}

/* What the bridge answers {{{1 */

static void
test_responses (void)
{
  g_autoptr(JsonNode) string_id = json_node_new (JSON_NODE_VALUE);
  g_autoptr(JsonNode) int_id = json_node_new (JSON_NODE_VALUE);
  g_autoptr(JsonNode) accept = NULL;
  g_autoptr(JsonNode) parse_error = NULL;
  g_autoptr(JsonNode) invalid = NULL;
  g_autofree char *accept_json = NULL;
  g_autofree char *parse_error_json = NULL;
  g_autofree char *invalid_json = NULL;

  json_node_set_string (string_id, "req-7");
  json_node_set_int (int_id, 7);

  accept = mc_mcp_new_elicit_result (string_id, "accept");
  accept_json = node_to_string (accept);
  g_assert_cmpstr (accept_json, ==, "{\"jsonrpc\":\"2.0\",\"id\":\"req-7\",\"result\":{\"action\":\"accept\"}}");

  parse_error = mc_mcp_new_error_response (NULL, -32700, "Parse error");
  parse_error_json = node_to_string (parse_error);
  g_assert_cmpstr (parse_error_json, ==, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}");

  invalid = mc_mcp_new_error_response (int_id, MC_JSONRPC_INVALID_PARAMS, "no \"url\"");
  invalid_json = node_to_string (invalid);
  g_assert_cmpstr (invalid_json, ==, "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32602,\"message\":\"no \\\"url\\\"\"}}");
}

/* MCP 2026-07-28 multi round-trip requests {{{1 */

static void
test_request_capability (void)
{
  const char *unchanged[] = {
    "{\"name\":\"t\"}",
    "{\"_meta\":{\"progressToken\":1}}",
  };
  const char *malformed[] = {
    "{\"_meta\":[]}",
    "{\"_meta\":{\"io.modelcontextprotocol/clientCapabilities\":true}}",
    "{\"_meta\":{\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":\"yes\"}}}",
  };
  g_autoptr(JsonObject) params = parse ("{\"name\":\"t\",\"_meta\":{\"io.modelcontextprotocol/clientCapabilities\":"
                                        "{\"elicitation\":{},\"sampling\":{}}}}");
  g_autoptr(GError) error = NULL;
  g_autofree char *declared = NULL;

  /* Capabilities sent with the request: URL mode joins them, {} stays form. */
  g_assert_true (mc_mcp_add_request_url_elicitation_capability (params, &error));
  g_assert_no_error (error);
  declared = to_string (params);
  g_assert_cmpstr (declared, ==, "{\"name\":\"t\",\"_meta\":{\"io.modelcontextprotocol/clientCapabilities\":"
                                 "{\"elicitation\":{\"form\":{},\"url\":{}},\"sampling\":{}}}}");

  /* None sent: the session's stand, nothing is added. */
  for (gsize i = 0; i < G_N_ELEMENTS (unchanged); i++)
    {
      g_autoptr(JsonObject) other = parse (unchanged[i]);
      g_autofree char *after = NULL;

      g_assert_false (mc_mcp_add_request_url_elicitation_capability (other, &error));
      g_assert_no_error (error);
      after = to_string (other);
      g_assert_cmpstr (after, ==, unchanged[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(JsonObject) other = parse (malformed[i]);
      g_autofree char *after = NULL;

      g_assert_false (mc_mcp_add_request_url_elicitation_capability (other, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
      after = to_string (other);
      g_assert_cmpstr (after, ==, malformed[i]);
    }
}

static void
test_input_requests (void)
{
  g_autoptr(JsonObject) result = parse (
    "{\"resultType\":\"input_required\",\"requestState\":\"s-1\",\"inputRequests\":{"
    "\"a\":{\"method\":\"elicitation/create\",\"params\":{\"mode\":\"url\",\"url\":\"https://a.example/\","
    "\"message\":\"Open A\"}},"
    "\"form\":{\"method\":\"elicitation/create\",\"params\":{\"mode\":\"form\",\"message\":\"Name?\"}},"
    "\"sample\":{\"method\":\"sampling/createMessage\",\"params\":{\"mode\":\"url\"}},"
    "\"b\":{\"method\":\"elicitation/create\",\"params\":{\"mode\":\"url\",\"message\":\"No link\"}}}}");
  g_autoptr(JsonObject) complete = parse ("{\"resultType\":\"complete\",\"inputRequests\":{\"a\":{"
                                          "\"method\":\"elicitation/create\",\"params\":{\"mode\":\"url\","
                                          "\"url\":\"https://a.example/\"}}}}");
  g_autoptr(JsonObject) only_form = parse ("{\"resultType\":\"input_required\",\"inputRequests\":{\"f\":{"
                                           "\"method\":\"elicitation/create\",\"params\":{}}}}");
  g_autoptr(JsonObject) wrong_type = parse ("{\"resultType\":\"input_required\",\"inputRequests\":[]}");
  g_autoptr(GPtrArray) inputs = mc_mcp_parse_url_input_requests (result);
  McUrlInputRequest *first;
  McUrlInputRequest *second;

  g_assert_nonnull (inputs);
  g_assert_cmpuint (inputs->len, ==, 2);
  first = g_ptr_array_index (inputs, 0);
  second = g_ptr_array_index (inputs, 1);
  g_assert_cmpstr (first->key, ==, "a");
  g_assert_cmpstr (first->elicitation->url, ==, "https://a.example/");
  g_assert_cmpstr (first->elicitation->message, ==, "Open A");
  g_assert_null (first->problem);
  /* One that cannot be shown still needs its answer. */
  g_assert_cmpstr (second->key, ==, "b");
  g_assert_null (second->elicitation);
  g_assert_nonnull (strstr (second->problem, "url"));
  g_assert_cmpstr (mc_mcp_get_request_state (result), ==, "s-1");

  g_assert_null (mc_mcp_parse_url_input_requests (complete));
  g_assert_null (mc_mcp_parse_url_input_requests (only_form));
  g_assert_null (mc_mcp_parse_url_input_requests (wrong_type));
}

static void
test_input_requests_limit (void)
{
  g_autoptr(GString) json = g_string_new ("{\"resultType\":\"input_required\",\"inputRequests\":{");
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GPtrArray) inputs = NULL;

  for (guint i = 0; i < MC_MCP_MAX_REQUIRED_ELICITATIONS + 2; i++)
    g_string_append_printf (json, "%s\"k%u\":{\"method\":\"elicitation/create\",\"params\":{\"mode\":\"url\","
                            "\"url\":\"https://example.com/%u\",\"message\":\"m\"}}", i > 0 ? "," : "", i, i);
  g_string_append (json, "}}");
  result = parse (json->str);
  inputs = mc_mcp_parse_url_input_requests (result);

  /* Past the cap: answered, never shown. */
  g_assert_cmpuint (inputs->len, ==, MC_MCP_MAX_REQUIRED_ELICITATIONS + 2);
  for (guint i = 0; i < inputs->len; i++)
    {
      McUrlInputRequest *input = g_ptr_array_index (inputs, i);

      g_assert_true ((input->elicitation != NULL) == (i < MC_MCP_MAX_REQUIRED_ELICITATIONS));
    }
}

static void
test_input_retry (void)
{
  g_autoptr(JsonObject) request = parse ("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":"
                                         "{\"name\":\"t\",\"inputResponses\":{\"old\":{\"action\":\"accept\"}},"
                                         "\"requestState\":\"s-1\"}}");
  g_autoptr(JsonObject) bare = parse ("{\"jsonrpc\":\"2.0\",\"id\":\"r\",\"method\":\"tools/list\"}");
  g_autoptr(JsonObject) responses = parse ("{\"a\":{\"action\":\"decline\"}}");
  g_autoptr(JsonNode) retry = mc_mcp_new_input_retry (request, responses, "s-2");
  g_autoptr(JsonNode) without_state = mc_mcp_new_input_retry (request, responses, NULL);
  g_autoptr(JsonNode) bare_retry = mc_mcp_new_input_retry (bare, responses, "s-3");
  g_autofree char *retry_text = node_to_string (retry);
  g_autofree char *without_state_text = node_to_string (without_state);
  g_autofree char *bare_text = node_to_string (bare_retry);
  g_autofree char *request_text = to_string (request);

  /* The latest round's answers only, and the server's state as it gave it. */
  g_assert_cmpstr (retry_text, ==, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":"
                                   "{\"name\":\"t\",\"inputResponses\":{\"a\":{\"action\":\"decline\"}},"
                                   "\"requestState\":\"s-2\"}}");
  g_assert_cmpstr (without_state_text, ==, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":"
                                           "{\"name\":\"t\",\"inputResponses\":{\"a\":{\"action\":\"decline\"}}}}");
  g_assert_cmpstr (bare_text, ==, "{\"jsonrpc\":\"2.0\",\"id\":\"r\",\"method\":\"tools/list\",\"params\":"
                                  "{\"inputResponses\":{\"a\":{\"action\":\"decline\"}},\"requestState\":\"s-3\"}}");
  /* The request itself is left as it was. */
  g_assert_nonnull (strstr (request_text, "\"old\""));
}

static void
test_redact_required (void)
{
  g_autoptr(JsonObject) error = parse ("{\"code\":-32042,\"message\":\"Needs you\",\"data\":{\"elicitations\":["
                                       "{\"mode\":\"url\",\"elicitationId\":\"e-1\",\"url\":\"https://pay.example/x\","
                                       "\"message\":\"Pay\"},7]}}");
  g_autofree char *redacted = NULL;

  mc_mcp_redact_url_elicitation_required (error);
  redacted = to_string (error);
  g_assert_cmpstr (redacted, ==, "{\"code\":-32042,\"message\":\"Needs you\",\"data\":{\"elicitations\":["
                                 "{\"mode\":\"url\",\"elicitationId\":\"e-1\",\"message\":\"Pay\"},7]}}");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mcp-messages/capability", test_capability);
  g_test_add_func ("/mcp-messages/capability-malformed", test_capability_malformed);
  g_test_add_func ("/mcp-messages/server-info", test_server_info);
  g_test_add_func ("/mcp-messages/url-elicitation", test_url_elicitation);
  g_test_add_func ("/mcp-messages/url-elicitation-malformed", test_url_elicitation_malformed);
  g_test_add_func ("/mcp-messages/url-elicitation-limits", test_url_elicitation_limits);
  g_test_add_func ("/mcp-messages/elicitation-required", test_elicitation_required);
  g_test_add_func ("/mcp-messages/elicitation-required-malformed", test_elicitation_required_malformed);
  g_test_add_func ("/mcp-messages/elicitation-required-without-ids", test_elicitation_required_without_ids);
  g_test_add_func ("/mcp-messages/completion", test_completion);
  g_test_add_func ("/mcp-messages/responses", test_responses);
  g_test_add_func ("/mcp-messages/request-capability", test_request_capability);
  g_test_add_func ("/mcp-messages/input-requests", test_input_requests);
  g_test_add_func ("/mcp-messages/input-requests-limit", test_input_requests_limit);
  g_test_add_func ("/mcp-messages/input-retry", test_input_retry);
  g_test_add_func ("/mcp-messages/redact-required", test_redact_required);

  return g_test_run ();
}
