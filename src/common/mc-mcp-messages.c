/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "mc-mcp-messages.h"
#include "mc-text.h"

/* The MCP messages mcp-consent-bridge looks into rather than just passes
 * on (MCP 2025-11-25, basic/utilities and client/elicitation): the
 * client's `initialize`, where it declares URL-mode elicitation on the
 * client's behalf; the server's `serverInfo`, shown as who asks; URL-mode
 * `elicitation/create` requests and `-32042` errors, which go to the
 * broker instead of the client; and `notifications/elicitation/complete`.
 *
 * Everything here comes from a server or a client the bridge does not
 * trust, already parsed by json-glib: a member of the wrong type is an
 * error naming it, never a crash or a guess. Errors are
 * G_IO_ERROR_INVALID_DATA. */

/* The broker's limits for the server dictionary (docs/dbus-api.md), in
 * characters that cannot exceed them in bytes, ellipsis included. */
#define SERVER_NAME_CHARS 60
#define SERVER_VERSION_CHARS 15

void
mc_url_elicitation_free (McUrlElicitation *self)
{
  if (self == NULL)
    return;
  g_free (self->elicitation_id);
  g_free (self->url);
  g_free (self->message);
  g_free (self);
}

void
mc_mcp_server_info_free (McMcpServerInfo *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->title);
  g_free (self->version);
  g_free (self);
}

/* The member @name of @object if it is a JSON object; NULL with an
 * error if it is something else; NULL without one if it is absent. */
static JsonObject *
get_object_member (JsonObject  *object,
                   const char  *name,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not an object", name);
      return NULL;
    }
  return json_node_get_object (node);
}

/* Like get_object_member(), for strings. */
static const char *
get_string_member (JsonObject  *object,
                   const char  *name,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not a string", name);
      return NULL;
    }
  return json_node_get_string (node);
}

/* @text cut to at most @max_bytes at a character boundary. */
static char *
truncate_utf8 (const char *text,
               gsize       max_bytes)
{
  const char *end;

  if (strlen (text) <= max_bytes)
    return g_strdup (text);

  end = text + max_bytes;
  /* Back to the start of the character the cut falls into. */
  while (end > text && ((guchar)*end & 0xC0) == 0x80)
    end--;
  return g_strndup (text, end - text);
}

/* Declares URL-mode elicitation in @capabilities (a ClientCapabilities
 * object), keeping everything the client declared. */
static gboolean
add_url_elicitation (JsonObject  *capabilities,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonObject *elicitation;

  elicitation = get_object_member (capabilities, "elicitation", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (elicitation == NULL)
    {
      elicitation = json_object_new ();
      json_object_set_object_member (capabilities, "elicitation", elicitation);
    }
  else if (json_object_get_size (elicitation) == 0)
    {
      json_object_set_object_member (elicitation, "form", json_object_new ());
    }

  if (!json_object_has_member (elicitation, "url"))
    json_object_set_object_member (elicitation, "url", json_object_new ());

  return TRUE;
}

/**
 * mc_mcp_add_url_elicitation_capability:
 * @initialize_params: the `params` of the client's `initialize` request
 * @error: return location for an error
 *
 * Declares URL-mode elicitation in `capabilities.elicitation`, keeping
 * everything the client declared. `"elicitation": {}` means form mode
 * (MCP 2025-11-25), so it becomes `{"form": {}, "url": {}}`; a client
 * that declared no elicitation gets `{"url": {}}` alone, so that the
 * server sends it no form-mode requests it cannot answer.
 *
 * Returns: %FALSE, changing nothing, if `capabilities` or `elicitation`
 *   is there but not an object
 */
gboolean
mc_mcp_add_url_elicitation_capability (JsonObject  *initialize_params,
                                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonObject *capabilities;

  g_return_val_if_fail (initialize_params != NULL, FALSE);

  capabilities = get_object_member (initialize_params, "capabilities", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (capabilities != NULL)
    return add_url_elicitation (capabilities, error);

  capabilities = json_object_new ();
  add_url_elicitation (capabilities, NULL);
  json_object_set_object_member (initialize_params, "capabilities", capabilities);
  return TRUE;
}

/**
 * mc_mcp_add_request_url_elicitation_capability:
 * @params: the `params` of one of the client's requests
 * @error: return location for an error
 *
 * MCP 2026-07-28 sends the client's capabilities with every request, in
 * `_meta["io.modelcontextprotocol/clientCapabilities"]`; where a request
 * carries them, URL-mode elicitation is declared there as
 * mc_mcp_add_url_elicitation_capability() does in `initialize`. A
 * request without them is left alone: its capabilities are the
 * session's.
 *
 * Returns: %TRUE if @params changed; %FALSE, changing nothing, if they
 *   carry no capabilities (@error unset) or capabilities of the wrong
 *   type (@error set)
 */
gboolean
mc_mcp_add_request_url_elicitation_capability (JsonObject  *params,
                                               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonObject *meta;
  JsonObject *capabilities = NULL;

  g_return_val_if_fail (params != NULL, FALSE);

  meta = get_object_member (params, "_meta", &local_error);
  if (meta != NULL)
    capabilities = get_object_member (meta, MC_MCP_CLIENT_CAPABILITIES_META_KEY, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (capabilities == NULL)
    return FALSE;

  return add_url_elicitation (capabilities, error);
}

/**
 * mc_mcp_parse_server_info:
 * @initialize_result: the `result` of the server's answer to `initialize`
 * @fallback_name: the name to use when the server gives none that can be
 *   shown (the host of its URL, say)
 *
 * Returns: (transfer full): who the server says it is, fit for the
 *   broker's server dictionary and for a label
 */
McMcpServerInfo *
mc_mcp_parse_server_info (JsonObject *initialize_result,
                          const char *fallback_name)
{
  McMcpServerInfo *info;
  JsonObject *server_info = NULL;
  const char *name = NULL;
  const char *title = NULL;
  const char *version = NULL;

  g_return_val_if_fail (fallback_name != NULL && *fallback_name != '\0', NULL);

  info = g_new0 (McMcpServerInfo, 1);

  /* A member of the wrong type counts as absent: who asks is shown with
   * the fallback rather than not at all. */
  if (initialize_result != NULL)
    server_info = get_object_member (initialize_result, "serverInfo", NULL);
  if (server_info != NULL)
    {
      name = get_string_member (server_info, "name", NULL);
      title = get_string_member (server_info, "title", NULL);
      version = get_string_member (server_info, "version", NULL);
    }

  if (name != NULL)
    info->name = mc_text_clean_for_display (name, SERVER_NAME_CHARS, MC_TEXT_SINGLE_LINE);
  if (info->name == NULL || *info->name == '\0')
    {
      g_free (info->name);
      info->name = mc_text_clean_for_display (fallback_name, SERVER_NAME_CHARS, MC_TEXT_SINGLE_LINE);
    }
  if (title != NULL)
    info->title = mc_text_clean_for_display (title, SERVER_NAME_CHARS, MC_TEXT_SINGLE_LINE);
  if (info->title != NULL && *info->title == '\0')
    g_clear_pointer (&info->title, g_free);
  if (version != NULL)
    info->version = mc_text_clean_for_display (version, SERVER_VERSION_CHARS, MC_TEXT_SINGLE_LINE);
  if (info->version != NULL && *info->version == '\0')
    g_clear_pointer (&info->version, g_free);

  return info;
}

/**
 * mc_mcp_is_url_elicitation_request:
 * @message: a JSON-RPC message from the server
 *
 * Returns: whether it is an `elicitation/create` request in URL mode,
 *   which the bridge hands to the broker rather than to the client
 */
gboolean
mc_mcp_is_url_elicitation_request (JsonObject *message)
{
  JsonObject *params;
  const char *method;
  const char *mode;

  g_return_val_if_fail (message != NULL, FALSE);

  method = get_string_member (message, "method", NULL);
  if (g_strcmp0 (method, "elicitation/create") != 0 || !json_object_has_member (message, "id"))
    return FALSE;

  params = get_object_member (message, "params", NULL);
  if (params == NULL)
    return FALSE;
  mode = get_string_member (params, "mode", NULL);
  return g_strcmp0 (mode, "url") == 0;
}

/**
 * mc_mcp_parse_url_elicitation:
 * @params: the `params` of a URL-mode `elicitation/create`, or one entry
 *   of a `-32042` error's `data.elicitations`
 * @require_id: whether `elicitationId` must be there (MCP 2025-11-25)
 * @error: return location for an error naming the member at fault
 *
 * Returns: (transfer full) (nullable): the elicitation
 */
McUrlElicitation *
mc_mcp_parse_url_elicitation (JsonObject  *params,
                              gboolean     require_id,
                              GError     **error)
{
  g_autoptr(McUrlElicitation) elicitation = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *mode;
  const char *url;
  const char *message;
  const char *elicitation_id;

  g_return_val_if_fail (params != NULL, NULL);

  mode = get_string_member (params, "mode", &local_error);
  url = get_string_member (params, "url", local_error == NULL ? &local_error : NULL);
  message = get_string_member (params, "message", local_error == NULL ? &local_error : NULL);
  elicitation_id = get_string_member (params, "elicitationId", local_error == NULL ? &local_error : NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (g_strcmp0 (mode, "url") != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“mode” is not “url”");
      return NULL;
    }
  if (url == NULL || *url == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“url” is missing");
      return NULL;
    }
  if (strlen (url) > MC_MCP_MAX_URL_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“url” is longer than %d bytes",
                   MC_MCP_MAX_URL_BYTES);
      return NULL;
    }
  if (elicitation_id == NULL && require_id)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“elicitationId” is missing");
      return NULL;
    }
  if (elicitation_id != NULL &&
      (*elicitation_id == '\0' || strlen (elicitation_id) > MC_MCP_MAX_ELICITATION_ID_BYTES))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "“elicitationId” is empty or longer than %d bytes", MC_MCP_MAX_ELICITATION_ID_BYTES);
      return NULL;
    }

  elicitation = g_new0 (McUrlElicitation, 1);
  elicitation->url = g_strdup (url);
  elicitation->elicitation_id = g_strdup (elicitation_id);
  /* Required by the schema, but a missing explanation is no reason to
   * keep the user from deciding. */
  elicitation->message = truncate_utf8 (message != NULL ? message : "", MC_MCP_MAX_MESSAGE_BYTES);

  return g_steal_pointer (&elicitation);
}

/**
 * mc_mcp_parse_url_elicitation_required:
 * @error_object: the `error` of a JSON-RPC response
 * @require_ids: whether every entry must have an `elicitationId`, as MCP
 *   2025-11-25 says; a client that sends the request again after the
 *   user's answer when an entry has none (no completion can name it)
 *   passes %FALSE
 * @error: return location for an error naming the member at fault
 *
 * Reads a `-32042` URLElicitationRequiredError: every entry of
 * `data.elicitations` must be a URL-mode elicitation (with an
 * `elicitationId` if @require_ids), and there must be 1 to
 * %MC_MCP_MAX_REQUIRED_ELICITATIONS of them.
 *
 * Returns: (transfer full) (element-type McUrlElicitation) (nullable):
 *   the elicitations, or %NULL without an error if @error_object is
 *   another error
 */
GPtrArray *
mc_mcp_parse_url_elicitation_required (JsonObject  *error_object,
                                       gboolean     require_ids,
                                       GError     **error)
{
  g_autoptr(GPtrArray) elicitations = NULL;
  JsonNode *code;
  JsonObject *data;
  JsonNode *list_node;
  JsonArray *list;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (error_object != NULL, NULL);

  code = json_object_get_member (error_object, "code");
  if (code == NULL || !JSON_NODE_HOLDS_VALUE (code) || json_node_get_value_type (code) != G_TYPE_INT64 ||
      json_node_get_int (code) != MC_MCP_URL_ELICITATION_REQUIRED)
    return NULL;

  data = get_object_member (error_object, "data", &local_error);
  if (data == NULL)
    {
      if (local_error == NULL)
        local_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“data” is missing");
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  list_node = json_object_get_member (data, "elicitations");
  if (list_node == NULL || !JSON_NODE_HOLDS_ARRAY (list_node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“data.elicitations” is not a list");
      return NULL;
    }
  list = json_node_get_array (list_node);
  if (json_array_get_length (list) == 0 || json_array_get_length (list) > MC_MCP_MAX_REQUIRED_ELICITATIONS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "“data.elicitations” has %u entries; 1 to %d are allowed",
                   json_array_get_length (list), MC_MCP_MAX_REQUIRED_ELICITATIONS);
      return NULL;
    }

  elicitations = g_ptr_array_new_with_free_func ((GDestroyNotify)mc_url_elicitation_free);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *entry = json_array_get_element (list, i);
      McUrlElicitation *elicitation;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "elicitation %u is not an object", i);
          return NULL;
        }
      elicitation = mc_mcp_parse_url_elicitation (json_node_get_object (entry), require_ids, &local_error);
      if (elicitation == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "elicitation %u: %s", i, local_error->message);
          return NULL;
        }
      g_ptr_array_add (elicitations, elicitation);
    }

  return g_steal_pointer (&elicitations);
}

/**
 * mc_mcp_redact_url_elicitation_required:
 * @error_object: the `error` of a `-32042` response
 *
 * Takes the `url` out of every entry of `data.elicitations`, so that the
 * error can go to a client (and its model) that is not to see the links
 * the user was asked to open; the rest stays as the server sent it.
 */
void
mc_mcp_redact_url_elicitation_required (JsonObject *error_object)
{
  JsonObject *data;
  JsonNode *list_node;
  JsonArray *list;

  g_return_if_fail (error_object != NULL);

  data = get_object_member (error_object, "data", NULL);
  list_node = data != NULL ? json_object_get_member (data, "elicitations") : NULL;
  if (list_node == NULL || !JSON_NODE_HOLDS_ARRAY (list_node))
    return;

  list = json_node_get_array (list_node);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *entry = json_array_get_element (list, i);

      if (JSON_NODE_HOLDS_OBJECT (entry))
        json_object_remove_member (json_node_get_object (entry), "url");
    }
}

/* MCP 2026-07-28 multi round-trip requests */

void
mc_url_input_request_free (McUrlInputRequest *self)
{
  if (self == NULL)
    return;
  g_free (self->key);
  mc_url_elicitation_free (self->elicitation);
  g_free (self->problem);
  g_free (self);
}

/**
 * mc_mcp_get_input_requests:
 * @result: the `result` of a JSON-RPC response
 *
 * Returns: (transfer none) (nullable): the `inputRequests` of an
 *   InputRequiredResult (`"resultType": "input_required"`), or %NULL if
 *   @result is none or has no such map
 */
JsonObject *
mc_mcp_get_input_requests (JsonObject *result)
{
  g_return_val_if_fail (result != NULL, NULL);

  if (g_strcmp0 (get_string_member (result, "resultType", NULL), "input_required") != 0)
    return NULL;
  return get_object_member (result, "inputRequests", NULL);
}

/**
 * mc_mcp_get_request_state:
 * @object: an InputRequiredResult, or the `params` of a request
 *
 * Returns: (transfer none) (nullable): its `requestState` if that is a
 *   string
 */
const char *
mc_mcp_get_request_state (JsonObject *object)
{
  g_return_val_if_fail (object != NULL, NULL);

  return get_string_member (object, "requestState", NULL);
}

/**
 * mc_mcp_get_input_responses:
 * @params: the `params` of a request
 *
 * Returns: (transfer none) (nullable): its `inputResponses` if that is an
 *   object: the client's answers to an InputRequiredResult
 */
JsonObject *
mc_mcp_get_input_responses (JsonObject *params)
{
  g_return_val_if_fail (params != NULL, NULL);

  return get_object_member (params, "inputResponses", NULL);
}

/* Whether @input_request is an `elicitation/create` in URL mode. */
static gboolean
is_url_elicitation_input (JsonNode *input_request)
{
  JsonObject *params;

  if (!JSON_NODE_HOLDS_OBJECT (input_request) ||
      g_strcmp0 (get_string_member (json_node_get_object (input_request), "method", NULL),
                 "elicitation/create") != 0)
    return FALSE;

  params = get_object_member (json_node_get_object (input_request), "params", NULL);
  return params != NULL && g_strcmp0 (get_string_member (params, "mode", NULL), "url") == 0;
}

/**
 * mc_mcp_parse_url_input_requests:
 * @result: the `result` of a JSON-RPC response
 *
 * Reads the URL-mode elicitations among the `inputRequests` of an
 * InputRequiredResult (MCP 2026-07-28), in the server's order. An entry
 * that cannot be shown (no URL, one too long, past the
 * %MC_MCP_MAX_REQUIRED_ELICITATIONS th) is in the list all the same,
 * without an elicitation and with the reason, since every key must get
 * an answer when the request is sent again.
 *
 * Returns: (transfer full) (element-type McUrlInputRequest) (nullable):
 *   the URL-mode input requests, or %NULL if there are none
 */
GPtrArray *
mc_mcp_parse_url_input_requests (JsonObject *result)
{
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GList) keys = NULL;
  JsonObject *input_requests;

  g_return_val_if_fail (result != NULL, NULL);

  input_requests = mc_mcp_get_input_requests (result);
  if (input_requests == NULL)
    return NULL;

  requests = g_ptr_array_new_with_free_func ((GDestroyNotify)mc_url_input_request_free);
  keys = json_object_get_members (input_requests);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (input_requests, l->data);
      McUrlInputRequest *request;
      g_autoptr(GError) error = NULL;

      if (!is_url_elicitation_input (node))
        continue;

      request = g_new0 (McUrlInputRequest, 1);
      request->key = g_strdup (l->data);
      if (requests->len >= MC_MCP_MAX_REQUIRED_ELICITATIONS)
        request->problem = g_strdup_printf ("more than %d URL elicitations in one result",
                                            MC_MCP_MAX_REQUIRED_ELICITATIONS);
      else
        request->elicitation = mc_mcp_parse_url_elicitation (json_object_get_object_member (json_node_get_object (node),
                                                                                            "params"),
                                                             FALSE, &error);
      if (error != NULL)
        request->problem = g_strdup (error->message);
      g_ptr_array_add (requests, request);
    }

  return requests->len > 0 ? g_steal_pointer (&requests) : NULL;
}

/**
 * mc_mcp_new_input_retry:
 * @request: the request that was answered with an InputRequiredResult
 * @input_responses: (transfer none): the answers, one per key of the
 *   result's `inputRequests`
 * @request_state: (nullable): the result's `requestState`, passed back
 *   as the server gave it
 *
 * Returns: (transfer full): @request again, with the same id, its
 *   `inputResponses` and `requestState` those of this round (MCP
 *   2026-07-28: each retry answers the latest result only)
 */
JsonNode *
mc_mcp_new_input_retry (JsonObject *request,
                        JsonObject *input_responses,
                        const char *request_state)
{
  JsonObject *retry = json_object_new ();
  JsonObject *retry_params = json_object_new ();
  JsonObject *params;
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GList) members = NULL;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (input_responses != NULL, NULL);

  /* json_node_copy() shares objects: the retry gets objects of its own
   * where it differs, so that @request stays as it was. */
  members = json_object_get_members (request);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_str_equal (l->data, "params"))
      json_object_set_member (retry, l->data, json_node_copy (json_object_get_member (request, l->data)));

  params = get_object_member (request, "params", NULL);
  if (params != NULL)
    {
      g_autoptr(GList) params_members = json_object_get_members (params);

      for (GList *l = params_members; l != NULL; l = l->next)
        json_object_set_member (retry_params, l->data, json_node_copy (json_object_get_member (params, l->data)));
    }
  json_object_set_object_member (retry, "params", retry_params);

  json_object_set_object_member (retry_params, "inputResponses", json_object_ref (input_responses));
  if (request_state != NULL)
    json_object_set_string_member (retry_params, "requestState", request_state);
  else
    json_object_remove_member (retry_params, "requestState");

  json_node_take_object (node, retry);
  return node;
}

/**
 * mc_mcp_get_completed_elicitation_id:
 * @message: a JSON-RPC message from the server
 *
 * Returns: (transfer none) (nullable): the `elicitationId` of a
 *   `notifications/elicitation/complete`, or %NULL if @message is none
 *   (or names no usable id: MCP says to ignore those)
 */
const char *
mc_mcp_get_completed_elicitation_id (JsonObject *message)
{
  JsonObject *params;
  const char *elicitation_id;

  g_return_val_if_fail (message != NULL, NULL);

  if (g_strcmp0 (get_string_member (message, "method", NULL), "notifications/elicitation/complete") != 0 ||
      json_object_has_member (message, "id"))
    return NULL;

  params = get_object_member (message, "params", NULL);
  if (params == NULL)
    return NULL;
  elicitation_id = get_string_member (params, "elicitationId", NULL);
  if (elicitation_id == NULL || *elicitation_id == '\0' ||
      strlen (elicitation_id) > MC_MCP_MAX_ELICITATION_ID_BYTES)
    return NULL;

  return elicitation_id;
}

static JsonObject *
new_response (JsonNode *id)
{
  JsonObject *response = json_object_new ();

  json_object_set_string_member (response, "jsonrpc", "2.0");
  if (id != NULL)
    json_object_set_member (response, "id", json_node_copy (id));
  else
    json_object_set_null_member (response, "id");

  return response;
}

/**
 * mc_mcp_new_elicit_result:
 * @id: the request's id
 * @action: "accept", "decline" or "cancel"
 *
 * Returns: (transfer full): the response to a URL-mode
 *   `elicitation/create`: no `content`, as MCP asks of URL mode
 */
JsonNode *
mc_mcp_new_elicit_result (JsonNode   *id,
                          const char *action)
{
  JsonObject *response;
  JsonObject *result = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (action != NULL, NULL);

  response = new_response (id);
  json_object_set_string_member (result, "action", action);
  json_object_set_object_member (response, "result", result);
  json_node_take_object (node, response);

  return node;
}

/**
 * mc_mcp_new_error_response:
 * @id: (nullable): the request's id; %NULL when it could not be read
 *   (a parse error), which JSON-RPC answers with `"id": null`
 * @code: a JSON-RPC error code
 * @message: the error's message
 *
 * Returns: (transfer full): the error response
 */
JsonNode *
mc_mcp_new_error_response (JsonNode   *id,
                           int         code,
                           const char *message)
{
  JsonObject *response = new_response (id);
  JsonObject *error = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  g_return_val_if_fail (message != NULL, NULL);

  json_object_set_int_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  json_object_set_object_member (response, "error", error);
  json_node_take_object (node, response);

  return node;
}
