/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-bridge-elicitation.h"
#include "mc-bridge-http.h"
#include "mc-error.h"
#include "mc-jsonrpc.h"
#include "mc-mcp-messages.h"

/* McBridgeElicitation hands the server's URL-mode elicitations to the
 * MCP Consent Broker instead of the client, so that the user sees the
 * trusted dialog and neither the client nor the model ever sees the URL
 * (MCP 2025-11-25 client/elicitation):
 *
 * - the client's initialize declares elicitation.url on its behalf;
 * - a URL-mode elicitation/create is answered with what the user chose
 *   in the broker's dialog;
 * - notifications/elicitation/complete goes to the broker's
 *   CompleteElicitation, which ends its "finish in your browser" notice;
 * - a -32042 URLElicitationRequiredError: one dialog per elicitation;
 *   when the user consented to all, the request is sent again once the
 *   server said each is complete (at once for those without an id); if
 *   the user declined one, or the server never said, the client gets the
 *   original error, without the URLs;
 * - MCP 2026-07-28: a request carrying the client's capabilities
 *   declares elicitation.url there too, and the URL-mode input requests
 *   of an InputRequiredResult get one dialog each; the request goes again
 *   with the user's answers (the server learns the outcome from the
 *   retry). Other input requests (forms, sampling, roots) go to the
 *   client without the URL ones, whose answers are added to the client's
 *   retry.
 *
 * Form-mode elicitations and everything else pass through untouched. */

struct _McBridgeElicitation
{
  GObject         parent_instance;

  McBridge       *bridge;
  gulong          client_message_id;
  gulong          server_message_id;
  /* NULL when there is no session bus: why is in @bus_error. */
  McBrokerClient *client;
  GError         *bus_error;
  GCancellable   *cancellable;
  /* Requests sent again after -32042 (their id key → Round). */
  GHashTable     *rounds;
  /* Elicitation ids the server said were complete, for rounds whose
   * dialogs are still up when the notification comes. */
  GHashTable     *completed;
  /* Requests sent again after an InputRequiredResult (id key →
   * InputRound). */
  GHashTable     *input_rounds;
  /* URLs the user chose to open (→ when, monotonic µs): asked again
   * while the user is still on the page, the server gets its answer
   * without a second dialog. */
  GHashTable     *opened_urls;
  /* PendingInputs: answers waiting for the client's retry. */
  GQueue          pending_inputs;
};

G_DEFINE_FINAL_TYPE (McBridgeElicitation, mc_bridge_elicitation, G_TYPE_OBJECT)

static McBrokerServer
broker_server (McBridgeElicitation *self,
               McMcpServerInfo    **out_info)
{
  g_autoptr(JsonObject) result = json_object_new ();
  JsonObject *server_info = mc_bridge_get_server_info (self->bridge);
  const char *url = mc_bridge_get_url (self->bridge);
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  McBrokerServer server = { 0 };

  if (server_info != NULL)
    json_object_set_object_member (result, "serverInfo", json_object_ref (server_info));
  *out_info = mc_mcp_parse_server_info (result, host != NULL && *host != '\0' ? host : url);

  server.name = (*out_info)->name;
  server.title = (*out_info)->title;
  server.version = (*out_info)->version;
  server.url = url;
  return server;
}

/* The server's URL as stderr shows it: without its query, which may hold
 * a key (the broker gets it whole). */
static char *
dup_shown_url (McBridgeElicitation *self)
{
  return mc_bridge_http_display_url (mc_bridge_get_url (self->bridge));
}

static const char *
action_for_response (McBrokerResponse response)
{
  switch (response)
    {
    case MC_BROKER_RESPONSE_SUCCESS:
      return "accept";
    case MC_BROKER_RESPONSE_DECLINED:
      return "decline";
    case MC_BROKER_RESPONSE_CANCELLED:
    default:
      return "cancel";
    }
}

/* The answer when the broker gave none: a URL it refuses to show is the
 * user's agent saying no; a broker that cannot be asked, or that answers
 * with an error (too many prompts waiting, shutting down), is a
 * dismissal.  Only the first is worth advice on installing it. */
static const char *
action_for_error (McBridgeElicitation *self,
                  const GError        *error)
{
  g_autofree char *url = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancel";

  url = dup_shown_url (self);
  if (g_error_matches (error, MC_ERROR, MC_ERROR_URL_BLOCKED))
    {
      g_warning (_("The MCP Consent Broker refused the link %s asked to open: %s"), url, error->message);
      return "decline";
    }
  if (error->domain == MC_ERROR)
    g_warning (_("The MCP Consent Broker did not show the link %s asked to open: %s"), url, error->message);
  else
    g_warning (_("%s asked to open a link, but the MCP Consent Broker cannot be reached (%s); "
                 "check that it is installed and that a session bus is running "
                 "(“mcp-consent status” tells)"),
               url, error->message);
  return "cancel";
}

static void
send_node_to_server (McBridgeElicitation *self,
                     JsonNode            *node)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McJsonrpcMessage) message = mc_jsonrpc_message_new (node, &error);

  /* What mc-mcp-messages builds is always a valid response. */
  g_assert_no_error (error);
  mc_bridge_send_to_server (self->bridge, message);
}

/* elicitation/create {{{1 */

typedef struct
{
  McBridgeElicitation *self;
  JsonNode            *id;
} ElicitRequest;

static void
elicit_request_free (ElicitRequest *request)
{
  g_object_unref (request->self);
  json_node_unref (request->id);
  g_free (request);
}

static void
on_request_elicited (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  ElicitRequest *request = user_data;
  McBridgeElicitation *self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) response = NULL;
  McBrokerResponse answer;
  const char *action;

  answer = mc_broker_client_elicit_url_finish (MC_BROKER_CLIENT (source_object), result, NULL, &error);
  action = error != NULL ? action_for_error (self, error) : action_for_response (answer);
  g_debug ("The user's answer to the server's URL elicitation: %s", action);

  if (self->bridge != NULL)
    {
      response = mc_mcp_new_elicit_result (request->id, action);
      send_node_to_server (self, response);
      mc_bridge_release (self->bridge);
    }
  elicit_request_free (request);
}

static void
take_elicit_request (McBridgeElicitation *self,
                     McJsonrpcMessage    *message)
{
  JsonObject *object = mc_jsonrpc_message_get_object (message);
  JsonObject *params = json_object_get_object_member (object, "params");
  g_autoptr(McUrlElicitation) elicitation = NULL;
  g_autoptr(McMcpServerInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  ElicitRequest *request;
  McBrokerServer server;

  /* 2026-07-28 servers send no elicitationId; it is not required here. */
  elicitation = mc_mcp_parse_url_elicitation (params, FALSE, &error);
  if (elicitation == NULL)
    {
      g_autofree char *text = g_strdup_printf ("Invalid URL elicitation: %s", error->message);
      g_autoptr(JsonNode) response = mc_mcp_new_error_response (mc_jsonrpc_message_get_id (message),
                                                                MC_JSONRPC_INVALID_PARAMS, text);
      g_autofree char *url = dup_shown_url (self);

      g_warning (_("%s sent a URL elicitation that cannot be shown: %s"), url, error->message);
      send_node_to_server (self, response);
      return;
    }

  if (self->client == NULL)
    {
      g_autoptr(JsonNode) response = mc_mcp_new_elicit_result (mc_jsonrpc_message_get_id (message), "cancel");

      action_for_error (self, self->bus_error);
      send_node_to_server (self, response);
      return;
    }

  request = g_new0 (ElicitRequest, 1);
  request->self = g_object_ref (self);
  request->id = json_node_copy (mc_jsonrpc_message_get_id (message));
  server = broker_server (self, &info);
  mc_bridge_hold (self->bridge);
  mc_broker_client_elicit_url_async (self->client, &server, elicitation->url, elicitation->message,
                                     elicitation->elicitation_id, 0, self->cancellable,
                                     on_request_elicited, request);
}

/* -32042 {{{1 */

typedef struct
{
  McBridgeElicitation *self;
  McJsonrpcMessage    *request;
  McJsonrpcMessage    *error_response;
  char                *key;
  guint                rounds;
  guint                unanswered;
  gboolean             refused;
  /* Ids the server has yet to say are complete. */
  GHashTable          *waiting;
  guint                timeout_id;
} Round;

static void
round_free (Round *round)
{
  g_clear_pointer (&round->request, mc_jsonrpc_message_unref);
  g_clear_pointer (&round->error_response, mc_jsonrpc_message_unref);
  g_clear_pointer (&round->waiting, g_hash_table_unref);
  g_clear_handle_id (&round->timeout_id, g_source_remove);
  g_free (round->key);
  g_free (round);
}

/* Ends the round: the request goes out again, or the client gets the
 * error the server gave. The Round stays (for the count) when the
 * request goes again. */
static void
end_round (Round    *round,
           gboolean  send_again)
{
  McBridgeElicitation *self = round->self;
  McBridge *bridge = self->bridge;

  g_clear_handle_id (&round->timeout_id, g_source_remove);
  if (send_again)
    {
      g_debug ("Sending %s again after its URL elicitations", mc_jsonrpc_message_describe (round->request));
      mc_bridge_send_to_server (bridge, round->request);
    }
  else
    {
      JsonObject *error_object = json_object_get_object_member (mc_jsonrpc_message_get_object (round->error_response),
                                                                "error");
      g_autoptr(McJsonrpcMessage) redacted = NULL;

      /* The model is not to see the links, whatever the user chose. A
       * tree that cannot be written back (a number out of range in the
       * server's data) loses its data rather than keeping the URLs. */
      mc_mcp_redact_url_elicitation_required (error_object);
      if (mc_jsonrpc_message_changed (round->error_response, NULL))
        redacted = mc_jsonrpc_message_ref (round->error_response);
      else
        redacted = mc_jsonrpc_message_new_error (mc_jsonrpc_message_get_id (round->error_response),
                                                 MC_MCP_URL_ELICITATION_REQUIRED,
                                                 "URL elicitation required", NULL);
      mc_bridge_send_to_client (bridge, redacted);
      g_hash_table_remove (self->rounds, round->key);
    }
  mc_bridge_release (bridge);
}

static gboolean
on_completion_timeout (gpointer user_data)
{
  Round *round = user_data;
  g_autofree char *url = dup_shown_url (round->self);

  round->timeout_id = 0;
  g_message (_("%s did not say the elicitations are complete; the client gets its error"), url);
  end_round (round, FALSE);
  return G_SOURCE_REMOVE;
}

static void
round_answered (Round *round)
{
  McBridgeElicitation *self = round->self;
  GHashTableIter iter;
  gpointer id;

  if (--round->unanswered > 0)
    return;

  if (round->refused)
    {
      end_round (round, FALSE);
      return;
    }

  /* Completions that came while the dialogs were up. */
  g_hash_table_iter_init (&iter, round->waiting);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    if (g_hash_table_remove (self->completed, id))
      g_hash_table_iter_remove (&iter);

  if (g_hash_table_size (round->waiting) == 0)
    end_round (round, TRUE);
  else
    round->timeout_id = g_timeout_add_seconds (MC_BRIDGE_ELICITATION_COMPLETION_WAIT_SECONDS,
                                               on_completion_timeout, round);
}

typedef struct
{
  Round *round;
  char  *elicitation_id;
} RoundElicitation;

static void
on_round_elicited (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  RoundElicitation *entry = user_data;
  g_autoptr(GError) error = NULL;
  McBrokerResponse answer;
  const char *action;

  answer = mc_broker_client_elicit_url_finish (MC_BROKER_CLIENT (source_object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* The bridge is going away; its rounds went with it. */
      g_free (entry->elicitation_id);
      g_free (entry);
      return;
    }

  action = error != NULL ? action_for_error (entry->round->self, error) : action_for_response (answer);
  g_debug ("The user's answer to a required URL elicitation: %s", action);
  if (!g_str_equal (action, "accept"))
    entry->round->refused = TRUE;
  round_answered (entry->round);

  g_free (entry->elicitation_id);
  g_free (entry);
}

static void
take_elicitation_required (McBridgeElicitation *self,
                           McJsonrpcMessage    *response,
                           McJsonrpcMessage    *request,
                           GPtrArray           *elicitations)
{
  const char *key = mc_jsonrpc_message_get_id_key (request);
  g_autoptr(McMcpServerInfo) info = NULL;
  McBrokerServer server;
  Round *round;

  round = g_hash_table_lookup (self->rounds, key);
  if (round == NULL)
    {
      round = g_new0 (Round, 1);
      round->self = self;
      round->key = g_strdup (key);
      g_hash_table_insert (self->rounds, round->key, round);
    }
  g_clear_pointer (&round->request, mc_jsonrpc_message_unref);
  g_clear_pointer (&round->error_response, mc_jsonrpc_message_unref);
  g_clear_pointer (&round->waiting, g_hash_table_unref);
  round->request = mc_jsonrpc_message_ref (request);
  round->error_response = mc_jsonrpc_message_ref (response);
  round->waiting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  round->refused = FALSE;
  round->unanswered = elicitations->len;
  mc_bridge_hold (self->bridge);

  if (++round->rounds > MC_BRIDGE_ELICITATION_MAX_ROUNDS || self->client == NULL)
    {
      g_autofree char *url = dup_shown_url (self);

      if (self->client == NULL)
        action_for_error (self, self->bus_error);
      else
        g_message (_("%s asked for URL elicitations %u times for one request; the client gets its error"),
                   url, MC_BRIDGE_ELICITATION_MAX_ROUNDS);
      end_round (round, FALSE);
      return;
    }

  server = broker_server (self, &info);
  for (guint i = 0; i < elicitations->len; i++)
    {
      McUrlElicitation *elicitation = g_ptr_array_index (elicitations, i);
      RoundElicitation *entry = g_new0 (RoundElicitation, 1);

      entry->round = round;
      entry->elicitation_id = g_strdup (elicitation->elicitation_id);
      if (elicitation->elicitation_id != NULL)
        g_hash_table_add (round->waiting, g_strdup (elicitation->elicitation_id));
      mc_broker_client_elicit_url_async (self->client, &server, elicitation->url, elicitation->message,
                                         elicitation->elicitation_id, 0, self->cancellable,
                                         on_round_elicited, entry);
    }
}

/* InputRequiredResult (MCP 2026-07-28) {{{1 */

typedef struct
{
  McBridgeElicitation *self;
  /* The request as last sent to the server. */
  McJsonrpcMessage    *request;
  /* The server's latest InputRequiredResult. */
  McJsonrpcMessage    *response;
  char                *key;
  /* Rounds that needed a dialog (or had nothing that could be shown). */
  guint                rounds;
  /* Since when the server keeps asking for pages the user opened: the
   * user is still on them, so the request goes again later, with no
   * dialog. 0 when it is not. */
  gint64               waiting_since;
  guint                retry_seconds;
  guint                unanswered;
  JsonObject          *responses;
  guint                timeout_id;
} InputRound;

/* Answers to URL-mode input requests that went to the client along with
 * input requests only it can answer: they join its retry. */
typedef struct
{
  GStrv       client_keys;
  char       *request_state;
  JsonObject *responses;
  gint64      since;
} PendingInputs;

#define INPUT_RETRY_FIRST_SECONDS 2
#define INPUT_RETRY_MAX_SECONDS   30
#define MAX_PENDING_INPUTS        16

static void
input_round_free (InputRound *round)
{
  g_clear_pointer (&round->request, mc_jsonrpc_message_unref);
  g_clear_pointer (&round->response, mc_jsonrpc_message_unref);
  g_clear_pointer (&round->responses, json_object_unref);
  g_clear_handle_id (&round->timeout_id, g_source_remove);
  g_free (round->key);
  g_free (round);
}

static void
pending_inputs_free (PendingInputs *pending)
{
  g_strfreev (pending->client_keys);
  g_free (pending->request_state);
  json_object_unref (pending->responses);
  g_free (pending);
}

static gboolean
was_opened_lately (McBridgeElicitation *self,
                   const char          *url)
{
  gpointer since = g_hash_table_lookup (self->opened_urls, url);

  return since != NULL &&
         g_get_monotonic_time () - *(gint64 *)since < MC_BRIDGE_ELICITATION_COMPLETION_WAIT_SECONDS * G_USEC_PER_SEC;
}

static void
remember_opened (McBridgeElicitation *self,
                 const char          *url)
{
  gint64 *since = g_new (gint64, 1);

  *since = g_get_monotonic_time ();
  if (g_hash_table_size (self->opened_urls) >= 64)
    g_hash_table_remove_all (self->opened_urls);
  g_hash_table_insert (self->opened_urls, g_strdup (url), since);
}

static void
set_input_response (JsonObject *responses,
                    const char *key,
                    const char *action)
{
  JsonObject *result = json_object_new ();

  json_object_set_string_member (result, "action", action);
  json_object_set_object_member (responses, key, result);
}

/* The client gets an error of the bridge's own instead of the result: it
 * never learns the URLs, and the server's repeated asking must end. */
static void
fail_input_round (InputRound *round,
                  const char *why)
{
  McBridgeElicitation *self = round->self;
  g_autoptr(McJsonrpcMessage) error = NULL;

  error = mc_jsonrpc_message_new_error (mc_jsonrpc_message_get_id (round->request),
                                        MC_JSONRPC_BRIDGE_ERROR, why, NULL);
  mc_bridge_send_to_client (self->bridge, error);
  g_hash_table_remove (self->input_rounds, round->key);
}

/* Every URL-mode input request has its answer: the request goes again
 * with them, or, when the client has input requests of its own to
 * answer, the result goes to the client without the URL ones. */
static void
send_input_answers (InputRound *round)
{
  McBridgeElicitation *self = round->self;
  JsonObject *result = json_object_get_object_member (mc_jsonrpc_message_get_object (round->response), "result");
  JsonObject *input_requests = mc_mcp_get_input_requests (result);
  const char *request_state = mc_mcp_get_request_state (result);
  g_autoptr(GList) answered = json_object_get_members (round->responses);
  g_autoptr(GError) error = NULL;

  for (GList *l = answered; l != NULL; l = l->next)
    json_object_remove_member (input_requests, l->data);

  if (json_object_get_size (input_requests) > 0)
    {
      PendingInputs *pending = g_new0 (PendingInputs, 1);
      g_autoptr(GList) client_keys = json_object_get_members (input_requests);
      guint i = 0;

      if (!mc_jsonrpc_message_changed (round->response, &error))
        {
          g_autofree char *url = dup_shown_url (self);

          g_warning (_("%s asked for input that cannot be passed on: %s"), url, error->message);
          pending_inputs_free (pending);
          fail_input_round (round, "The server asked for input that cannot be passed on");
          return;
        }

      pending->client_keys = g_new0 (char *, g_list_length (client_keys) + 1);
      for (GList *l = client_keys; l != NULL; l = l->next)
        pending->client_keys[i++] = g_strdup (l->data);
      pending->request_state = g_strdup (request_state);
      pending->responses = g_steal_pointer (&round->responses);
      pending->since = g_get_monotonic_time ();
      g_queue_push_tail (&self->pending_inputs, pending);
      if (g_queue_get_length (&self->pending_inputs) > MAX_PENDING_INPUTS)
        pending_inputs_free (g_queue_pop_head (&self->pending_inputs));

      g_debug ("Passing the client's own input requests of %s on", mc_jsonrpc_message_describe (round->request));
      mc_bridge_send_to_client (self->bridge, round->response);
      g_hash_table_remove (self->input_rounds, round->key);
      return;
    }

  {
    g_autoptr(JsonNode) retry_node = mc_mcp_new_input_retry (mc_jsonrpc_message_get_object (round->request),
                                                             round->responses, request_state);
    McJsonrpcMessage *retry = mc_jsonrpc_message_new (retry_node, &error);

    g_clear_pointer (&round->responses, json_object_unref);
    if (retry == NULL)
      {
        fail_input_round (round, "The request cannot be sent again with the user's answers");
        return;
      }
    mc_jsonrpc_message_unref (round->request);
    round->request = retry;
    g_debug ("Sending %s again with the user's answers", mc_jsonrpc_message_describe (retry));
    mc_bridge_send_to_server (self->bridge, retry);
  }
}

static gboolean
on_input_retry_due (gpointer user_data)
{
  InputRound *round = user_data;
  McBridge *bridge = round->self->bridge;

  round->timeout_id = 0;
  send_input_answers (round);
  mc_bridge_release (bridge);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  InputRound *round;
  char       *key;
  char       *url;
} InputElicitation;

static void
input_elicitation_free (InputElicitation *entry)
{
  g_free (entry->key);
  g_free (entry->url);
  g_free (entry);
}

static void
on_input_elicited (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  InputElicitation *entry = user_data;
  InputRound *round = entry->round;
  g_autoptr(GError) error = NULL;
  McBrokerResponse answer;
  const char *action;

  answer = mc_broker_client_elicit_url_finish (MC_BROKER_CLIENT (source_object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* The bridge is going away; its rounds went with it. */
      input_elicitation_free (entry);
      return;
    }

  action = error != NULL ? action_for_error (round->self, error) : action_for_response (answer);
  g_debug ("The user's answer to a URL input request: %s", action);
  if (g_str_equal (action, "accept"))
    remember_opened (round->self, entry->url);
  set_input_response (round->responses, entry->key, action);

  if (--round->unanswered == 0)
    {
      McBridge *bridge = round->self->bridge;

      send_input_answers (round);
      mc_bridge_release (bridge);
    }
  input_elicitation_free (entry);
}

static void
take_input_required (McBridgeElicitation *self,
                     McJsonrpcMessage    *response,
                     McJsonrpcMessage    *request,
                     GPtrArray           *url_requests)
{
  const char *key = mc_jsonrpc_message_get_id_key (request);
  g_autoptr(GPtrArray) to_ask = g_ptr_array_new ();
  g_autoptr(McMcpServerInfo) info = NULL;
  g_autofree char *shown_url = dup_shown_url (self);
  McBrokerServer server;
  gboolean opened_before = FALSE;
  InputRound *round;

  round = g_hash_table_lookup (self->input_rounds, key);
  if (round == NULL)
    {
      round = g_new0 (InputRound, 1);
      round->self = self;
      round->key = g_strdup (key);
      g_hash_table_insert (self->input_rounds, round->key, round);
    }
  g_clear_pointer (&round->request, mc_jsonrpc_message_unref);
  g_clear_pointer (&round->response, mc_jsonrpc_message_unref);
  g_clear_pointer (&round->responses, json_object_unref);
  round->request = mc_jsonrpc_message_ref (request);
  round->response = mc_jsonrpc_message_ref (response);
  round->responses = json_object_new ();

  for (guint i = 0; i < url_requests->len; i++)
    {
      McUrlInputRequest *input = g_ptr_array_index (url_requests, i);

      if (input->elicitation == NULL)
        {
          g_warning (_("%s sent a URL elicitation that cannot be shown: %s"), shown_url, input->problem);
          set_input_response (round->responses, input->key, "decline");
        }
      else if (was_opened_lately (self, input->elicitation->url))
        {
          set_input_response (round->responses, input->key, "accept");
          opened_before = TRUE;
        }
      else
        {
          g_ptr_array_add (to_ask, input);
        }
    }

  mc_bridge_hold (self->bridge);

  /* Only pages the user already opened: the server has not seen them
   * finished yet, so ask it again in a while rather than at once. */
  if (to_ask->len == 0 && opened_before)
    {
      gint64 now = g_get_monotonic_time ();

      if (round->waiting_since == 0)
        {
          round->waiting_since = now;
          round->retry_seconds = INPUT_RETRY_FIRST_SECONDS;
        }
      if (now - round->waiting_since >= MC_BRIDGE_ELICITATION_COMPLETION_WAIT_SECONDS * G_USEC_PER_SEC)
        {
          g_message (_("%s still waits for what the user was to do in the browser; the client gets an error"),
                     shown_url);
          fail_input_round (round, "The server still waits for the user to finish in the browser");
          mc_bridge_release (self->bridge);
          return;
        }
      round->timeout_id = g_timeout_add_seconds (round->retry_seconds, on_input_retry_due, round);
      round->retry_seconds = MIN (round->retry_seconds * 2, INPUT_RETRY_MAX_SECONDS);
      return;
    }

  round->waiting_since = 0;
  if (++round->rounds > MC_BRIDGE_ELICITATION_MAX_ROUNDS)
    {
      g_message (_("%s asked for URL elicitations %u times for one request; the client gets an error"),
                 shown_url, MC_BRIDGE_ELICITATION_MAX_ROUNDS);
      fail_input_round (round, "The server kept asking the user to open links for this request");
      mc_bridge_release (self->bridge);
      return;
    }

  if (to_ask->len == 0 || self->client == NULL)
    {
      if (self->client == NULL && to_ask->len > 0)
        action_for_error (self, self->bus_error);
      for (guint i = 0; i < to_ask->len; i++)
        set_input_response (round->responses, ((McUrlInputRequest *)g_ptr_array_index (to_ask, i))->key, "cancel");
      send_input_answers (round);
      mc_bridge_release (self->bridge);
      return;
    }

  server = broker_server (self, &info);
  round->unanswered = to_ask->len;
  for (guint i = 0; i < to_ask->len; i++)
    {
      McUrlInputRequest *input = g_ptr_array_index (to_ask, i);
      InputElicitation *entry = g_new0 (InputElicitation, 1);

      entry->round = round;
      entry->key = g_strdup (input->key);
      entry->url = g_strdup (input->elicitation->url);
      /* 2026-07-28 has no completion notice: the broker's "finish in
       * your browser" note ends by its own timeout or the user. */
      mc_broker_client_elicit_url_async (self->client, &server, input->elicitation->url,
                                         input->elicitation->message, NULL, 0, self->cancellable,
                                         on_input_elicited, entry);
    }
}

/* The client's retry after an InputRequiredResult whose URL-mode input
 * requests the bridge answered: those answers join the client's. */
static void
add_pending_inputs (McBridgeElicitation *self,
                    McJsonrpcMessage    *message,
                    JsonObject          *params)
{
  JsonObject *client_responses = mc_mcp_get_input_responses (params);
  const char *request_state = mc_mcp_get_request_state (params);
  gint64 now = g_get_monotonic_time ();

  for (GList *l = self->pending_inputs.head; l != NULL; )
    {
      PendingInputs *pending = l->data;
      GList *next = l->next;
      gboolean matches = FALSE;

      if (now - pending->since >= MC_BRIDGE_ELICITATION_COMPLETION_WAIT_SECONDS * G_USEC_PER_SEC)
        {
          pending_inputs_free (pending);
          g_queue_delete_link (&self->pending_inputs, l);
          l = next;
          continue;
        }

      if (pending->request_state != NULL)
        matches = g_strcmp0 (request_state, pending->request_state) == 0;
      else
        for (guint i = 0; pending->client_keys[i] != NULL && !matches; i++)
          matches = json_object_has_member (client_responses, pending->client_keys[i]);

      if (matches)
        {
          g_autoptr(GList) keys = json_object_get_members (pending->responses);
          g_autoptr(GError) error = NULL;

          for (GList *k = keys; k != NULL; k = k->next)
            if (!json_object_has_member (client_responses, k->data))
              json_object_set_member (client_responses, k->data,
                                      json_node_copy (json_object_get_member (pending->responses, k->data)));
          if (!mc_jsonrpc_message_changed (message, &error))
            g_warning ("The client's retry with the user's answers is not a request: %s", error->message);
          pending_inputs_free (pending);
          g_queue_delete_link (&self->pending_inputs, l);
          return;
        }
      l = next;
    }
}

/* notifications/elicitation/complete {{{1 */

static void
on_completed (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean matched = FALSE;

  if (!mc_broker_client_complete_elicitation_finish (MC_BROKER_CLIENT (source_object), result, &matched, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("CompleteElicitation failed: %s", error->message);
      return;
    }
  g_debug ("CompleteElicitation: %s", matched ? "matched" : "no such elicitation");
}

static void
take_completion (McBridgeElicitation *self,
                 const char          *elicitation_id)
{
  GHashTableIter iter;
  Round *round;
  gboolean waited_for = FALSE;

  if (self->client != NULL)
    {
      g_autoptr(McMcpServerInfo) info = NULL;
      McBrokerServer server = broker_server (self, &info);

      mc_broker_client_complete_elicitation_async (self->client, &server, elicitation_id, self->cancellable,
                                                   on_completed, NULL);
    }

  g_hash_table_iter_init (&iter, self->rounds);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&round))
    {
      if (round->waiting == NULL || !g_hash_table_remove (round->waiting, elicitation_id))
        continue;
      waited_for = TRUE;
      /* Still in dialogs: round_answered() looks again. */
      if (round->unanswered == 0 && g_hash_table_size (round->waiting) == 0)
        end_round (round, TRUE);
      break;
    }

  /* It may come before the user's answer to the dialog. A few are kept;
   * MCP says to ignore unknown ids, so nothing else happens to them. */
  if (!waited_for && g_hash_table_size (self->completed) < 64)
    g_hash_table_add (self->completed, g_strdup (elicitation_id));
}

/* The hooks {{{1 */

static gboolean
on_client_message (McBridge            *bridge,
                   McJsonrpcMessage    *message,
                   McBridgeElicitation *self)
{
  JsonObject *object = mc_jsonrpc_message_get_object (message);
  JsonNode *params_node = NULL;
  JsonObject *params;
  gboolean declared;
  g_autoptr(GError) error = NULL;

  if (mc_jsonrpc_message_get_kind (message) != MC_JSONRPC_REQUEST)
    return FALSE;

  params_node = json_object_get_member (object, "params");
  if (params_node == NULL || !JSON_NODE_HOLDS_OBJECT (params_node))
    return FALSE;
  params = json_node_get_object (params_node);

  if (g_strcmp0 (mc_jsonrpc_message_get_method (message), "initialize") == 0)
    declared = mc_mcp_add_url_elicitation_capability (params, &error);
  else
    declared = mc_mcp_add_request_url_elicitation_capability (params, &error);

  if (declared && !mc_jsonrpc_message_changed (message, &error))
    declared = FALSE;
  if (error != NULL)
    g_warning (_("The client’s %s cannot declare URL elicitations: %s"),
               mc_jsonrpc_message_get_method (message), error->message);
  else if (declared)
    g_debug ("Declared URL elicitations for the client in %s", mc_jsonrpc_message_describe (message));

  if (mc_mcp_get_input_responses (params) != NULL)
    add_pending_inputs (self, message, params);

  return FALSE;
}

static gboolean
on_server_message (McBridge            *bridge,
                   McJsonrpcMessage    *message,
                   McJsonrpcMessage    *request,
                   McBridgeElicitation *self)
{
  JsonObject *object = mc_jsonrpc_message_get_object (message);
  const char *completed_id = NULL;

  switch (mc_jsonrpc_message_get_kind (message))
    {
    case MC_JSONRPC_REQUEST:
      if (!mc_mcp_is_url_elicitation_request (object))
        return FALSE;
      take_elicit_request (self, message);
      return TRUE;

    case MC_JSONRPC_NOTIFICATION:
      completed_id = mc_mcp_get_completed_elicitation_id (object);
      if (completed_id == NULL)
        return FALSE;
      take_completion (self, completed_id);
      return TRUE;

    case MC_JSONRPC_RESPONSE:
    default:
      {
        JsonNode *error_node = json_object_get_member (object, "error");
        JsonNode *result_node = json_object_get_member (object, "result");
        g_autoptr(GPtrArray) elicitations = NULL;
        g_autoptr(GError) error = NULL;

        if (request != NULL && result_node != NULL && JSON_NODE_HOLDS_OBJECT (result_node))
          {
            g_autoptr(GPtrArray) url_requests = mc_mcp_parse_url_input_requests (json_node_get_object (result_node));

            if (url_requests != NULL)
              {
                take_input_required (self, message, request, url_requests);
                return TRUE;
              }
            /* The answer to a request sent again ends its rounds. */
            g_hash_table_remove (self->input_rounds, mc_jsonrpc_message_get_id_key (request));
          }

        if (request == NULL || error_node == NULL || !JSON_NODE_HOLDS_OBJECT (error_node))
          {
            /* The answer to a request sent again ends its rounds. */
            if (request != NULL)
              g_hash_table_remove (self->rounds, mc_jsonrpc_message_get_id_key (request));
            return FALSE;
          }

        /* Without an id (no completion can name it) the request goes again
         * once the user accepted. */
        elicitations = mc_mcp_parse_url_elicitation_required (json_node_get_object (error_node), FALSE, &error);
        if (elicitations == NULL)
          {
            if (error != NULL)
              {
                g_autofree char *url = dup_shown_url (self);

                g_warning (_("%s asked for URL elicitations that cannot be shown: %s"), url, error->message);
              }
            g_hash_table_remove (self->rounds, mc_jsonrpc_message_get_id_key (request));
            return FALSE;
          }

        take_elicitation_required (self, message, request, elicitations);
        return TRUE;
      }
    }
}

/* Object {{{1 */

static void
mc_bridge_elicitation_dispose (GObject *object)
{
  McBridgeElicitation *self = MC_BRIDGE_ELICITATION (object);

  g_cancellable_cancel (self->cancellable);
  if (self->bridge != NULL)
    {
      g_clear_signal_handler (&self->client_message_id, self->bridge);
      g_clear_signal_handler (&self->server_message_id, self->bridge);
      g_clear_weak_pointer (&self->bridge);
    }
  g_clear_pointer (&self->rounds, g_hash_table_unref);
  g_clear_pointer (&self->input_rounds, g_hash_table_unref);
  g_queue_clear_full (&self->pending_inputs, (GDestroyNotify)pending_inputs_free);

  G_OBJECT_CLASS (mc_bridge_elicitation_parent_class)->dispose (object);
}

static void
mc_bridge_elicitation_finalize (GObject *object)
{
  McBridgeElicitation *self = MC_BRIDGE_ELICITATION (object);

  g_clear_object (&self->client);
  g_clear_error (&self->bus_error);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->completed, g_hash_table_unref);
  g_clear_pointer (&self->opened_urls, g_hash_table_unref);

  G_OBJECT_CLASS (mc_bridge_elicitation_parent_class)->finalize (object);
}

static void
mc_bridge_elicitation_class_init (McBridgeElicitationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_bridge_elicitation_dispose;
  object_class->finalize = mc_bridge_elicitation_finalize;
}

static void
mc_bridge_elicitation_init (McBridgeElicitation *self)
{
  self->cancellable = g_cancellable_new ();
  self->rounds = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)round_free);
  self->completed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->input_rounds = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)input_round_free);
  self->opened_urls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->pending_inputs);
}

/**
 * mc_bridge_elicitation_new:
 * @bridge: the bridge whose messages to look into
 * @client: (nullable): the broker's client; %NULL when there is no
 *   session bus
 * @bus_error: (nullable): with no @client, why there is none
 *
 * Returns: (transfer full): the hooks, connected to @bridge until they are
 *   freed
 */
McBridgeElicitation *
mc_bridge_elicitation_new (McBridge       *bridge,
                           McBrokerClient *client,
                           const GError   *bus_error)
{
  McBridgeElicitation *self;

  g_return_val_if_fail (MC_IS_BRIDGE (bridge), NULL);
  g_return_val_if_fail (client == NULL || MC_IS_BROKER_CLIENT (client), NULL);
  g_return_val_if_fail (client != NULL || bus_error != NULL, NULL);

  self = g_object_new (MC_TYPE_BRIDGE_ELICITATION, NULL);
  g_set_weak_pointer (&self->bridge, bridge);
  self->client = client != NULL ? g_object_ref (client) : NULL;
  self->bus_error = bus_error != NULL ? g_error_copy (bus_error) : NULL;
  self->client_message_id = g_signal_connect (bridge, "client-message", G_CALLBACK (on_client_message), self);
  self->server_message_id = g_signal_connect (bridge, "server-message", G_CALLBACK (on_server_message), self);

  return self;
}
