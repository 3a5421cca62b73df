/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-broker-client.h"
#include "mc-error.h"
#include "mc-pkce.h"

/* McBrokerClient is the broker's D-Bus API seen from a client that runs
 * a main loop — mcp-consent-bridge — asynchronously, with the request
 * pattern done right: the Response is subscribed to on the predictable
 * path before the call, a cancelled request is closed at the broker (so
 * no dialog stays up for nobody), and a broker that goes away without
 * answering ends its requests with an error instead of leaving them
 * waiting for ever. */

#define BUS_NAME "io.github.mcp_consent.Broker"
#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_INTERFACE "io.github.mcp_consent.Broker1"
#define REQUEST_INTERFACE "io.github.mcp_consent.Request1"
#define REQUEST_PATH_PREFIX "/io/github/mcp_consent/Broker/request/"

/* A method that does not need the user answers at once, unless GetToken
 * waits for a refresh: the broker's own HTTP timeout is 30 s. */
#define CALL_TIMEOUT_MS (60 * 1000)

struct _McBrokerClient
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *sender_path_part;
  guint            name_watch;
  gulong           closed_id;
  /* Requests whose call returned and whose Response is awaited. */
  GList           *pending;
};

G_DEFINE_FINAL_TYPE (McBrokerClient, mc_broker_client, G_TYPE_OBJECT)

/* Held by the call until it returns, by the client until it is finished,
 * and by an idle that finishes it. */
typedef struct
{
  McBrokerClient *client;
  GTask          *task;
  char           *path;
  guint           subscription;
  gulong          cancelled_id;
  gboolean        call_returned;
  gboolean        finished;
} Request;

typedef struct
{
  McBrokerResponse  response;
  GVariant         *results;
} Outcome;

static void
outcome_free (Outcome *outcome)
{
  g_clear_pointer (&outcome->results, g_variant_unref);
  g_free (outcome);
}

static void
unsubscribe (Request *request)
{
  if (request->subscription != 0)
    g_dbus_connection_signal_unsubscribe (request->client->connection, request->subscription);
  request->subscription = 0;
}

static void
request_clear (Request *request)
{
  g_assert (request->finished);
  g_free (request->path);
}

static void
request_release (Request *request)
{
  g_rc_box_release_full (request, (GDestroyNotify)request_clear);
}

static void
close_at_broker (McBrokerClient *self,
                 const char     *path)
{
  /* Nobody waits for the answer: the request is gone either way. */
  g_dbus_connection_call (self->connection, BUS_NAME, path, REQUEST_INTERFACE, "Close",
                          NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
}

/* Ends @request with @outcome or @error (one of them), once. */
static void
finish_request (Request *request,
                Outcome *outcome,
                GError  *error)
{
  McBrokerClient *self = request->client;
  g_autoptr(GTask) task = g_steal_pointer (&request->task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_assert (!request->finished);
  request->finished = TRUE;

  unsubscribe (request);
  self->pending = g_list_remove (self->pending, request);
  if (request->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, request->cancelled_id);
  request->cancelled_id = 0;

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, outcome, (GDestroyNotify)outcome_free);

  request_release (request);
}

static void
on_response (GDBusConnection *connection,
             const char      *sender_name,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  Request *request = user_data;
  Outcome *outcome;
  guint32 response;

  if (request->finished || !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    return;

  outcome = g_new0 (Outcome, 1);
  g_variant_get (parameters, "(u@a{sv})", &response, &outcome->results);
  outcome->response = response <= MC_BROKER_RESPONSE_CANCELLED ? (McBrokerResponse)response
                                                               : MC_BROKER_RESPONSE_CANCELLED;

  /* The signal may overtake the method's reply: the path was predicted. */
  finish_request (request, outcome, NULL);
}

static void
subscribe (Request    *request,
           const char *path)
{
  unsubscribe (request);
  g_free (request->path);
  request->path = g_strdup (path);
  request->subscription = g_dbus_connection_signal_subscribe (request->client->connection, BUS_NAME,
                                                              REQUEST_INTERFACE, "Response", path, NULL,
                                                              G_DBUS_SIGNAL_FLAGS_NONE, on_response,
                                                              request, NULL);
}

static GError *
new_cancelled_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The request was cancelled"));
}

static gboolean
finish_cancelled_in_idle (gpointer user_data)
{
  Request *request = user_data;

  if (!request->finished)
    finish_request (request, NULL, new_cancelled_error ());
  request_release (request);
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Request *request = user_data;

  /* Until the call returns the request may not exist yet at the broker;
   * the reply handler closes it then. */
  if (!request->call_returned || request->finished)
    return;

  close_at_broker (request->client, request->path);
  /* g_cancellable_disconnect() from inside the handler would deadlock. */
  g_idle_add (finish_cancelled_in_idle, g_rc_box_acquire (request));
}

static void
on_request_call_done (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Request *request = user_data;
  McBrokerClient *self = request->client;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *handle = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source_object), result, &error);
  request->call_returned = TRUE;

  if (request->finished)
    ;  /* answered before the reply came */
  else if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      finish_request (request, NULL, g_steal_pointer (&error));
    }
  else
    {
      g_variant_get (reply, "(&o)", &handle);
      if (!g_str_equal (handle, request->path))
        subscribe (request, handle);
      self->pending = g_list_prepend (self->pending, request);

      if (g_cancellable_is_cancelled (g_task_get_cancellable (request->task)))
        {
          close_at_broker (self, request->path);
          finish_request (request, NULL, new_cancelled_error ());
        }
    }

  request_release (request);
}

/* Makes the request's handle token and subscribes to its Response on the
 * path the broker will give it, then calls @method with @parameters,
 * whose options dictionary gets the token. */
static void
start_request (McBrokerClient *self,
               GTask          *task,
               const char     *method,
               GVariant       *(*build_parameters) (const char *handle_token, gpointer data),
               gpointer        data)
{
  Request *request = g_rc_box_new0 (Request);
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);

  request->client = self;
  request->task = task;

  /* Unguessable, so that no other peer's request sits on the path. */
  token = g_strdup_printf ("mcp_consent_%08x%08x", g_random_int (), g_random_int ());
  path = g_strconcat (REQUEST_PATH_PREFIX, self->sender_path_part, "/", token, NULL);
  subscribe (request, path);

  if (cancellable != NULL)
    request->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), request, NULL);

  /* One reference for the client until the request is finished, one for
   * the call. */
  g_dbus_connection_call (self->connection, BUS_NAME, BROKER_PATH, BROKER_INTERFACE, method,
                          build_parameters (token, data), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL,
                          on_request_call_done, g_rc_box_acquire (request));
}

/* Ends every awaited request: nothing will answer them now. */
static void
fail_pending (McBrokerClient *self,
              const char     *message)
{
  while (self->pending != NULL)
    {
      Request *request = self->pending->data;

      finish_request (request, NULL, g_error_new_literal (MC_ERROR, MC_ERROR_FAILED, message));
    }
}

static void
on_name_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  McBrokerClient *self = user_data;

  /* The broker answers everyone before it exits; vanishing with requests
   * unanswered is a crash. */
  fail_pending (self, _("The MCP Consent Broker stopped before it answered"));
}

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      gpointer         user_data)
{
  fail_pending (user_data, _("The connection to the session bus was lost"));
}

static void
mc_broker_client_dispose (GObject *object)
{
  McBrokerClient *self = MC_BROKER_CLIENT (object);

  /* Every request holds a reference through its task. */
  g_assert (self->pending == NULL);

  if (self->name_watch != 0)
    g_bus_unwatch_name (self->name_watch);
  self->name_watch = 0;
  g_clear_signal_handler (&self->closed_id, self->connection);

  G_OBJECT_CLASS (mc_broker_client_parent_class)->dispose (object);
}

static void
mc_broker_client_finalize (GObject *object)
{
  McBrokerClient *self = MC_BROKER_CLIENT (object);

  g_clear_object (&self->connection);
  g_free (self->sender_path_part);

  G_OBJECT_CLASS (mc_broker_client_parent_class)->finalize (object);
}

static void
mc_broker_client_class_init (McBrokerClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_broker_client_dispose;
  object_class->finalize = mc_broker_client_finalize;
}

static void
mc_broker_client_init (McBrokerClient *self)
{
}

/**
 * mc_broker_client_new:
 * @connection: a connection to the session bus (a message bus connection,
 *   so that it has a unique name)
 *
 * The broker is started by D-Bus activation on the first call.
 *
 * Returns: (transfer full): a new client
 */
McBrokerClient *
mc_broker_client_new (GDBusConnection *connection)
{
  McBrokerClient *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (g_dbus_connection_get_unique_name (connection) != NULL, NULL);

  /* The broker's D-Bus errors become MC_ERROR only once the domain is
   * registered, which its first use does. */
  (void) MC_ERROR;

  self = g_object_new (MC_TYPE_BROKER_CLIENT, NULL);
  self->connection = g_object_ref (connection);
  self->sender_path_part = g_strdup (g_dbus_connection_get_unique_name (connection) + 1);
  g_strdelimit (self->sender_path_part, ".", '_');
  self->name_watch = g_bus_watch_name_on_connection (connection, BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     NULL, on_name_vanished, self, NULL);
  self->closed_id = g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), self);

  return self;
}

/**
 * mc_broker_client_get_connection:
 * @self: a client
 *
 * Returns: (transfer none): its bus connection
 */
GDBusConnection *
mc_broker_client_get_connection (McBrokerClient *self)
{
  g_return_val_if_fail (MC_IS_BROKER_CLIENT (self), NULL);

  return self->connection;
}

static McBrokerResponse
propagate_outcome (GTask     *task,
                   GVariant **out_results,
                   GError   **error)
{
  Outcome *outcome = g_task_propagate_pointer (task, error);
  McBrokerResponse response;

  if (outcome == NULL)
    return MC_BROKER_RESPONSE_CANCELLED;

  response = outcome->response;
  if (out_results != NULL)
    *out_results = g_steal_pointer (&outcome->results);
  outcome_free (outcome);

  return response;
}

/* Authorize {{{1 */

typedef struct
{
  const char         *resource_url;
  const char         *www_authenticate;
  const char * const *scopes;
  guint               timeout_seconds;
} AuthorizeArgs;

static GVariant *
build_authorize (const char *handle_token,
                 gpointer    data)
{
  AuthorizeArgs *args = data;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (handle_token));
  if (args->www_authenticate != NULL)
    g_variant_builder_add (&options, "{sv}", "www_authenticate", g_variant_new_string (args->www_authenticate));
  if (args->scopes != NULL)
    g_variant_builder_add (&options, "{sv}", "scopes", g_variant_new_strv (args->scopes, -1));
  if (args->timeout_seconds != 0)
    g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (args->timeout_seconds));

  return g_variant_new ("(ssa{sv})", "", args->resource_url, &options);
}

/**
 * mc_broker_client_authorize_async:
 * @self: a client
 * @resource_url: the MCP server's endpoint
 * @www_authenticate: (nullable): the server's `WWW-Authenticate` header
 * @scopes: (nullable): scopes to ask for instead of the challenge's
 * @timeout_seconds: how long the sign-in may take; 0 for the broker's
 *   default
 * @cancellable: (nullable): cancelling closes the request at the broker
 * @callback: called with the user's answer
 * @user_data: data for @callback
 *
 * Asks the broker to sign the caller in to @resource_url.
 */
void
mc_broker_client_authorize_async (McBrokerClient      *self,
                                  const char          *resource_url,
                                  const char          *www_authenticate,
                                  const char * const  *scopes,
                                  guint                timeout_seconds,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  AuthorizeArgs args = { resource_url, www_authenticate, scopes, timeout_seconds };

  g_return_if_fail (MC_IS_BROKER_CLIENT (self));
  g_return_if_fail (resource_url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_broker_client_authorize_async);
  start_request (self, task, "Authorize", build_authorize, &args);
}

/**
 * mc_broker_client_authorize_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @out_results: (out) (optional) (transfer full): the Response's results:
 *   "grant_id", "scopes", "expires_at" on success, "reason" and "message"
 *   otherwise
 * @error: return location for an error: the broker refused the call, went
 *   away, or @cancellable was cancelled
 *
 * Returns: the response; %MC_BROKER_RESPONSE_CANCELLED with @error set
 *   when there was none
 */
McBrokerResponse
mc_broker_client_authorize_finish (McBrokerClient  *self,
                                   GAsyncResult    *result,
                                   GVariant       **out_results,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), MC_BROKER_RESPONSE_CANCELLED);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_broker_client_authorize_async,
                        MC_BROKER_RESPONSE_CANCELLED);

  return propagate_outcome (G_TASK (result), out_results, error);
}

/* GetToken {{{1 */

typedef struct
{
  char     *access_token;
  GVariant *info;
} TokenResult;

static void
token_result_free (TokenResult *token_result)
{
  g_clear_pointer (&token_result->access_token, mc_oauth_secret_free);
  g_clear_pointer (&token_result->info, g_variant_unref);
  g_free (token_result);
}

static void
on_get_token_done (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  TokenResult *token_result;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source_object), result, &error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  token_result = g_new0 (TokenResult, 1);
  g_variant_get (reply, "(s@a{sv})", &token_result->access_token, &token_result->info);
  /* The reply's copy of the token is freed unwiped with the message:
   * GVariant offers no way to wipe, and it lives only until then. */
  g_task_return_pointer (task, token_result, (GDestroyNotify)token_result_free);
}

/**
 * mc_broker_client_get_token_async:
 * @self: a client
 * @resource_url: the MCP server's endpoint
 * @refresh: the server refused the current token; get a new one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the token
 * @user_data: data for @callback
 *
 * Gets the caller's access token for @resource_url.
 */
void
mc_broker_client_get_token_async (McBrokerClient      *self,
                                  const char          *resource_url,
                                  gboolean             refresh,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_return_if_fail (MC_IS_BROKER_CLIENT (self));
  g_return_if_fail (resource_url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_broker_client_get_token_async);

  if (refresh)
    g_variant_builder_add (&options, "{sv}", "refresh", g_variant_new_boolean (TRUE));
  g_dbus_connection_call (self->connection, BUS_NAME, BROKER_PATH, BROKER_INTERFACE, "GetToken",
                          g_variant_new ("(sa{sv})", resource_url, &options), G_VARIANT_TYPE ("(sa{sv})"),
                          G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, cancellable, on_get_token_done, task);
}

/**
 * mc_broker_client_get_token_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @out_info: (out) (optional) (transfer full): "grant_id", "scopes",
 *   "expires_at", "token_type"
 * @error: return location for an error; %MC_ERROR_NOT_AUTHORIZED means
 *   only a sign-in (Authorize) helps
 *
 * Returns: (transfer full) (nullable): the access token; free it with
 *   mc_oauth_secret_free()
 */
char *
mc_broker_client_get_token_finish (McBrokerClient  *self,
                                   GAsyncResult    *result,
                                   GVariant       **out_info,
                                   GError         **error)
{
  TokenResult *token_result;
  char *access_token;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_broker_client_get_token_async, NULL);

  token_result = g_task_propagate_pointer (G_TASK (result), error);
  if (token_result == NULL)
    return NULL;

  access_token = g_steal_pointer (&token_result->access_token);
  if (out_info != NULL)
    *out_info = g_steal_pointer (&token_result->info);
  token_result_free (token_result);

  return access_token;
}

/* ElicitUrl and CompleteElicitation {{{1 */

static GVariant *
build_server (const McBrokerServer *server)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (server->name != NULL)
    g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (server->name));
  if (server->title != NULL)
    g_variant_builder_add (&builder, "{sv}", "title", g_variant_new_string (server->title));
  if (server->version != NULL)
    g_variant_builder_add (&builder, "{sv}", "version", g_variant_new_string (server->version));
  if (server->url != NULL)
    g_variant_builder_add (&builder, "{sv}", "url", g_variant_new_string (server->url));

  return g_variant_builder_end (&builder);
}

typedef struct
{
  const McBrokerServer *server;
  const char           *url;
  const char           *message;
  const char           *elicitation_id;
  guint                 timeout_seconds;
} ElicitArgs;

static GVariant *
build_elicit_url (const char *handle_token,
                  gpointer    data)
{
  ElicitArgs *args = data;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (handle_token));
  if (args->elicitation_id != NULL)
    g_variant_builder_add (&options, "{sv}", "elicitation_id", g_variant_new_string (args->elicitation_id));
  if (args->timeout_seconds != 0)
    g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (args->timeout_seconds));

  return g_variant_new ("(s@a{sv}ssa{sv})", "", build_server (args->server), args->url,
                        args->message != NULL ? args->message : "", &options);
}

/**
 * mc_broker_client_elicit_url_async:
 * @self: a client
 * @server: the MCP server that asks
 * @url: the URL it asks the user to open
 * @message: (nullable): its explanation
 * @elicitation_id: (nullable): MCP's elicitationId
 * @timeout_seconds: how long to wait for the user; 0 for the broker's
 *   default
 * @cancellable: (nullable): cancelling closes the request at the broker
 * @callback: called with the user's answer
 * @user_data: data for @callback
 *
 * Asks the broker to show the URL elicitation to the user.
 */
void
mc_broker_client_elicit_url_async (McBrokerClient       *self,
                                   const McBrokerServer *server,
                                   const char           *url,
                                   const char           *message,
                                   const char           *elicitation_id,
                                   guint                 timeout_seconds,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data)
{
  GTask *task;
  ElicitArgs args = { server, url, message, elicitation_id, timeout_seconds };

  g_return_if_fail (MC_IS_BROKER_CLIENT (self));
  g_return_if_fail (server != NULL && server->name != NULL);
  g_return_if_fail (url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_broker_client_elicit_url_async);
  start_request (self, task, "ElicitUrl", build_elicit_url, &args);
}

/**
 * mc_broker_client_elicit_url_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @out_results: (out) (optional) (transfer full): the Response's results:
 *   "action" (accept, decline, cancel), "reason" when cancelled
 * @error: return location for an error: the broker refused the call
 *   (%MC_ERROR_URL_BLOCKED: nothing was shown), went away, or
 *   @cancellable was cancelled
 *
 * Returns: the response; %MC_BROKER_RESPONSE_CANCELLED with @error set
 *   when there was none
 */
McBrokerResponse
mc_broker_client_elicit_url_finish (McBrokerClient  *self,
                                    GAsyncResult    *result,
                                    GVariant       **out_results,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), MC_BROKER_RESPONSE_CANCELLED);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_broker_client_elicit_url_async,
                        MC_BROKER_RESPONSE_CANCELLED);

  return propagate_outcome (G_TASK (result), out_results, error);
}

static void
on_complete_elicitation_done (GObject      *source_object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean matched = FALSE;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source_object), result, &error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_variant_get (reply, "(b)", &matched);
  g_task_set_task_data (task, GINT_TO_POINTER (matched), NULL);
  g_task_return_boolean (task, TRUE);
}

/**
 * mc_broker_client_complete_elicitation_async:
 * @self: a client
 * @server: the MCP server that sent notifications/elicitation/complete
 * @elicitation_id: its elicitationId
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the broker has it
 * @user_data: data for @callback
 *
 * Tells the broker that the server says the elicitation is complete.
 */
void
mc_broker_client_complete_elicitation_async (McBrokerClient       *self,
                                             const McBrokerServer *server,
                                             const char           *elicitation_id,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data)
{
  GTask *task;

  g_return_if_fail (MC_IS_BROKER_CLIENT (self));
  g_return_if_fail (server != NULL && server->name != NULL);
  g_return_if_fail (elicitation_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_broker_client_complete_elicitation_async);
  g_dbus_connection_call (self->connection, BUS_NAME, BROKER_PATH, BROKER_INTERFACE, "CompleteElicitation",
                          g_variant_new ("(@a{sv}s)", build_server (server), elicitation_id),
                          G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, cancellable,
                          on_complete_elicitation_done, task);
}

/**
 * mc_broker_client_complete_elicitation_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @out_matched: (out) (optional): whether it ended a pending elicitation
 *   (unknown ids are ignored, as MCP asks)
 * @error: return location for an error
 *
 * Returns: whether the broker took it
 */
gboolean
mc_broker_client_complete_elicitation_finish (McBrokerClient  *self,
                                              GAsyncResult    *result,
                                              gboolean        *out_matched,
                                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_broker_client_complete_elicitation_async,
                        FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (out_matched != NULL)
    *out_matched = GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  return TRUE;
}
