/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-audit-events.h"
#include "mc-broker-options.h"
#include "mc-broker-private.h"
#include "mc-error.h"
#include "mc-oauth-urls.h"
#include "mc-options.h"
#include "mc-pkce.h"
#include "mc-www-authenticate.h"

/* The authorization half of io.github.mcp_consent.Broker1: Authorize runs
 * an McAuthFlow inside a prompt of the broker's queue (discovery first,
 * then the dialog, then the browser); GetToken, ListGrants and RevokeGrant
 * go to the grants and the token service. */

/* A client that calls Authorize in a loop — a server that keeps asking for
 * more scopes, or keeps refusing the tokens it got — would otherwise keep
 * putting dialogs in front of the user. */
#define MAX_AUTHORIZE_ATTEMPTS 5
#define AUTHORIZE_ATTEMPT_WINDOW_US (10 * 60 * G_USEC_PER_SEC)

#define MAX_PARENT_WINDOW_LENGTH 256
#define MAX_GRANT_ID_LENGTH 64

static const struct
{
  const char *reason;
  const char *message;
} default_messages[] = {
  { "timeout", "The sign-in did not finish in time" },
  { "dismissed", "The user closed the dialog" },
  { "declined", "The user declined the sign-in" },
  { "prompter-failed", "The consent dialog could not be shown" },
  { "broker-exit", "The broker is shutting down" },
};

/**
 * mc_broker_authorize_failure:
 * @reason: the "reason" of the Response
 * @message: (nullable): what happened, for people; a default for @reason
 *   when %NULL
 *
 * Returns: (transfer floating): the results of a failed Authorize
 */
GVariant *
mc_broker_authorize_failure (const char *reason,
                             const char *message)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  for (gsize i = 0; message == NULL && i < G_N_ELEMENTS (default_messages); i++)
    {
      if (g_str_equal (default_messages[i].reason, reason))
        message = default_messages[i].message;
    }

  g_variant_builder_add (&builder, "{sv}", "reason", g_variant_new_string (reason));
  g_variant_builder_add (&builder, "{sv}", "message", g_variant_new_string (message != NULL ? message : reason));
  return g_variant_builder_end (&builder);
}

/**
 * mc_broker_finish_authorize:
 * @self: the broker
 * @prompt: an authorization prompt
 * @response: %MC_RESPONSE_DECLINED or %MC_RESPONSE_CANCELLED
 * @reason: the "reason" of the Response
 * @message: (nullable): what happened
 *
 * Answers a sign-in that did not happen, and ends it.
 */
void
mc_broker_finish_authorize (McBroker   *self,
                            McPrompt   *prompt,
                            McResponse  response,
                            const char *reason,
                            const char *message)
{
  g_autofree char *decision = NULL;

  g_return_if_fail (response != MC_RESPONSE_SUCCESS);

  decision = message != NULL ? g_strdup_printf ("%s (%s)", reason, message) : g_strdup (reason);
  mc_broker_log_decision (prompt, decision);
  mc_audit_prompt_ended (prompt, reason, message);
  mc_prompt_respond (prompt, response, mc_broker_authorize_failure (reason, message));
  mc_broker_forget_prompt (self, prompt);
}

static void
finish_with_error (McBroker     *self,
                   McPrompt     *prompt,
                   McAuthFlow   *flow,
                   const GError *error)
{
  const char *reason = mc_auth_error_to_reason (error);
  McResponse response = g_error_matches (error, MC_AUTH_ERROR, MC_AUTH_ERROR_ACCESS_DENIED)
    ? MC_RESPONSE_DECLINED : MC_RESPONSE_CANCELLED;

  mc_audit_authorization (prompt, NULL, error);
  if (g_error_matches (error, MC_AUTH_ERROR, MC_AUTH_ERROR_POLICY))
    {
      mc_audit_policy_blocked (mc_prompt_get_caller (prompt), mc_prompt_get_server_name (prompt),
                               mc_auth_flow_get_resource (flow), mc_auth_flow_get_blocking_rule (flow),
                               error->message);
    }
  mc_broker_finish_authorize (self, prompt, response, reason, error->message);
}

typedef struct
{
  McBroker *self;
  McPrompt *prompt;
} AuthorizeData;

static AuthorizeData *
authorize_data_new (McBroker *self,
                    McPrompt *prompt)
{
  AuthorizeData *data = g_new0 (AuthorizeData, 1);

  data->self = g_object_ref (self);
  data->prompt = g_object_ref (prompt);
  return data;
}

static void
authorize_data_free (AuthorizeData *data)
{
  g_object_unref (data->self);
  g_object_unref (data->prompt);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuthorizeData, authorize_data_free)

/* Signing in {{{1 */

static GVariant *
grant_results (const McGrant *grant)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&builder, "{sv}", "grant_id", g_variant_new_string (grant->id));
  g_variant_builder_add (&builder, "{sv}", "scopes",
                         g_variant_new_strv ((const char * const *)grant->scopes, -1));
  g_variant_builder_add (&builder, "{sv}", "expires_at", g_variant_new_int64 (grant->expires_at));
  return g_variant_builder_end (&builder);
}

static void
on_signed_in (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(AuthorizeData) data = user_data;
  McBroker *self = data->self;
  McPrompt *prompt = data->prompt;
  g_autoptr(McGrant) grant = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *scopes = NULL;
  g_autofree char *decision = NULL;

  grant = mc_auth_flow_sign_in_finish (MC_AUTH_FLOW (source_object), result, &error);

  /* Withdrawn, timed out or shut down: answered already. */
  if (self->shut_down || mc_prompt_get_state (prompt) == MC_PROMPT_STATE_DONE)
    return;

  if (grant == NULL)
    {
      if (g_error_matches (error, MC_AUTH_ERROR, MC_AUTH_ERROR_NO_BROWSER))
        mc_prompter_client_show_open_failed (self->prompter, mc_prompt_get_id (prompt), error->message);
      else
        mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
      finish_with_error (self, prompt, MC_AUTH_FLOW (source_object), error);
      return;
    }

  /* A grant signed in to again has new tokens in the keyring. */
  mc_token_service_forget_cached (self->tokens, grant->id);

  scopes = mc_oauth_scope_join ((const char * const *)grant->scopes);
  decision = g_strdup_printf ("signed in as grant %s with scopes “%s”", grant->id, scopes);
  mc_broker_log_decision (prompt, decision);
  mc_audit_authorization (prompt, grant, NULL);

  mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
  mc_prompt_respond (prompt, MC_RESPONSE_SUCCESS, grant_results (grant));
  mc_broker_forget_prompt (self, prompt);
}

static McPrompt *
find_prompt_of_flow (McBroker   *self,
                     McAuthFlow *flow)
{
  GHashTableIter iter;
  McPrompt *prompt = NULL;

  g_hash_table_iter_init (&iter, self->prompts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&prompt))
    {
      if (mc_prompt_get_auth_flow (prompt) == flow)
        return prompt;
    }
  return NULL;
}

/* Connected without references (mc_broker_forget_prompt() disconnects
 * it): the flow belongs to the prompt, which must not own itself. */
static void
on_browser_opened (McAuthFlow *flow,
                   McBroker   *self)
{
  McPrompt *prompt = find_prompt_of_flow (self, flow);

  if (prompt == NULL || self->shut_down || mc_prompt_get_state (prompt) != MC_PROMPT_STATE_OPENING)
    return;

  mc_prompt_set_state (prompt, MC_PROMPT_STATE_OPENED);
  mc_broker_log_decision (prompt, "browser opened");
  mc_audit_browser_opened (prompt, FALSE);
  mc_prompter_client_show_opened (self->prompter, mc_prompt_get_id (prompt),
                                  mc_prompt_build_details (prompt, 0));
  mc_broker_release_screen (self, prompt);
}

/* The scopes the dialog says the user left ticked, as it said them. Not
 * filtered here: the flow refuses the whole answer if it holds a scope that
 * was never offered, since dropping it would sign in with less than the
 * dialog reported — or, with nothing left, with whatever the server grants
 * by default, which nobody chose. */
static GStrv
ticked_scopes (GVariant *results)
{
  GStrv ticked = NULL;

  if (!g_variant_lookup (results, "scopes", "^as", &ticked))
    ticked = g_new0 (char *, 1);
  return ticked;
}

/**
 * mc_broker_authorize_answered:
 * @self: the broker
 * @prompt: the showing authorization prompt
 * @answer: the dialog's answer
 * @results: what came with it ("scopes" for "open")
 *
 * The user chose in the consent dialog.
 */
void
mc_broker_authorize_answered (McBroker   *self,
                              McPrompt   *prompt,
                              const char *answer,
                              GVariant   *results)
{
  McAuthFlow *flow = mc_prompt_get_auth_flow (prompt);
  g_auto(GStrv) allowed = NULL;
  g_autofree char *allowed_text = NULL;
  g_autofree char *decision = NULL;
  AuthorizeData *data = NULL;

  if (!g_str_equal (answer, "open"))
    mc_audit_user_decision (prompt, answer, NULL);
  if (g_str_equal (answer, "decline"))
    {
      mc_broker_finish_authorize (self, prompt, MC_RESPONSE_DECLINED, "declined", NULL);
      return;
    }
  if (!g_str_equal (answer, "open"))
    {
      if (!g_str_equal (answer, "dismiss"))
        g_warning ("Dialog gave unknown answer “%s”; treating it as dismissed", answer);
      mc_broker_finish_authorize (self, prompt, MC_RESPONSE_CANCELLED, "dismissed", NULL);
      return;
    }

  allowed = ticked_scopes (results);
  allowed_text = mc_oauth_scope_join ((const char * const *)allowed);
  decision = g_strdup_printf ("allowed, with scopes “%s”", allowed_text);
  mc_broker_log_decision (prompt, decision);
  mc_audit_user_decision (prompt, "allow", (const char * const *)allowed);

  /* The screen stays held until the browser has the sign-in page, so no
   * other dialog comes up in between. */
  mc_prompt_set_state (prompt, MC_PROMPT_STATE_OPENING);
  data = authorize_data_new (self, prompt);
  g_signal_connect (flow, "browser-opened", G_CALLBACK (on_browser_opened), self);
  mc_auth_flow_sign_in_async (flow, (const char * const *)allowed, mc_prompt_get_cancellable (prompt),
                              on_signed_in, data);
}

/* Authorize {{{1 */

static void
on_discovered (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(AuthorizeData) data = user_data;
  McAuthFlow *flow = MC_AUTH_FLOW (source_object);
  McBroker *self = data->self;
  McPrompt *prompt = data->prompt;
  g_autoptr(GError) error = NULL;
  gboolean discovered;

  discovered = mc_auth_flow_discover_finish (flow, result, &error);
  if (self->shut_down || mc_prompt_get_state (prompt) != MC_PROMPT_STATE_DISCOVERING)
    return;

  if (!discovered)
    {
      finish_with_error (self, prompt, flow, error);
      return;
    }

  mc_prompt_set_auth_flow (prompt, flow);
  mc_broker_log_decision (prompt, "queued");
  mc_broker_queue_prompt (self, prompt);
}

/* Counts this attempt; whether there were too many already. */
static gboolean
too_many_attempts (McBroker     *self,
                   McCallerInfo *caller,
                   const char   *resource)
{
  g_autofree char *key = g_strjoin ("\x1f", mc_caller_info_get_identity_key (caller), resource, NULL);
  GArray *attempts = g_hash_table_lookup (self->authorize_attempts, key);
  gint64 now = g_get_monotonic_time ();

  if (attempts == NULL)
    {
      attempts = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->authorize_attempts, g_strdup (key), attempts);
    }

  while (attempts->len > 0 && now - g_array_index (attempts, gint64, 0) > AUTHORIZE_ATTEMPT_WINDOW_US)
    g_array_remove_index (attempts, 0);

  if (attempts->len >= MAX_AUTHORIZE_ATTEMPTS)
    return TRUE;

  g_array_append_val (attempts, now);
  return FALSE;
}

typedef struct
{
  McBroker              *self;
  GDBusMethodInvocation *invocation;
  char                  *resource;
  McBearerChallenge     *challenge;
  GStrv                  scopes;
  char                  *handle_token;
  guint                  timeout;
} AuthorizeCall;

static void
authorize_call_free (AuthorizeCall *call)
{
  g_object_unref (call->self);
  g_clear_object (&call->invocation);
  g_free (call->resource);
  g_clear_pointer (&call->challenge, mc_bearer_challenge_free);
  g_strfreev (call->scopes);
  g_free (call->handle_token);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuthorizeCall, authorize_call_free)

static void
on_authorize_caller_identified (GObject      *source_object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(AuthorizeCall) call = user_data;
  McBroker *self = call->self;
  g_autoptr(McCallerInfo) caller = NULL;
  g_autoptr(McRequest) request = NULL;
  g_autoptr(McPrompt) prompt = NULL;
  g_autoptr(McAuthFlow) flow = NULL;
  g_autoptr(GError) error = NULL;
  const char *sender = g_dbus_method_invocation_get_sender (call->invocation);
  guint pending;

  caller = mc_peer_tracker_lookup_finish (MC_PEER_TRACKER (source_object), result, &error);
  if (caller == NULL)
    {
      g_dbus_method_invocation_return_gerror (g_steal_pointer (&call->invocation), error);
      return;
    }

  if (self->shut_down)
    {
      g_dbus_method_invocation_return_error_literal (g_steal_pointer (&call->invocation),
                                                     MC_ERROR, MC_ERROR_FAILED, "The broker is shutting down");
      return;
    }

  /* A grant is bound to the app that got it; a caller the broker cannot
   * tell from any other would hand its grant to whoever asks next. */
  if (mc_caller_info_get_kind (caller) == MC_CALLER_KIND_UNKNOWN)
    {
      g_dbus_method_invocation_return_error_literal (g_steal_pointer (&call->invocation),
                                                     MC_ERROR, MC_ERROR_NOT_ALLOWED,
                                                     "This broker cannot identify its callers (it runs in a "
                                                     "sandbox), so it cannot keep tokens for them");
      return;
    }

  if (!mc_broker_check_caller_policy (self, caller, &error))
    {
      mc_broker_refuse_audited (g_steal_pointer (&call->invocation), g_steal_pointer (&error));
      return;
    }

  request = mc_request_new (self->connection, sender, call->handle_token);
  prompt = mc_prompt_new_authorize (request, caller, call->resource, call->timeout);

  pending = mc_broker_count_pending_for_key (self, mc_prompt_get_queue_key (prompt));
  if (pending >= MC_BROKER_MAX_PENDING_PER_CALLER)
    {
      g_dbus_method_invocation_return_error (g_steal_pointer (&call->invocation), MC_ERROR, MC_ERROR_BUSY,
                                             "%u prompts of this caller are already waiting; answer or close them first",
                                             pending);
      return;
    }

  if (!mc_request_export (request, &error))
    {
      g_dbus_method_invocation_return_gerror (g_steal_pointer (&call->invocation), error);
      return;
    }

  mc_broker_track_prompt (self, prompt);
  mc_dbus_broker1_complete_authorize (MC_DBUS_BROKER1 (self), g_steal_pointer (&call->invocation),
                                      mc_request_get_path (request));

  if (too_many_attempts (self, caller, call->resource))
    {
      mc_broker_finish_authorize (self, prompt, MC_RESPONSE_CANCELLED, "too-many-attempts",
                                  "This app asked to sign in to this server too often; try again in a few minutes");
      return;
    }

  mc_broker_log_decision (prompt, "asked");
  mc_prompt_start_timer (prompt);
  flow = mc_auth_flow_new (&self->auth, caller, call->resource, call->challenge,
                           (const char * const *)call->scopes);
  mc_auth_flow_set_policy (flow, mc_broker_get_policy (self));
  mc_auth_flow_discover_async (flow, mc_prompt_get_cancellable (prompt), on_discovered,
                               authorize_data_new (self, prompt));
}

gboolean
mc_broker_handle_authorize (McDbusBroker1         *object,
                            GDBusMethodInvocation *invocation,
                            const char            *parent_window,
                            const char            *resource_url,
                            GVariant              *arg_options)
{
  McBroker *self = MC_BROKER (object);
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(AuthorizeCall) call = NULL;
  g_autofree char *resource = NULL;
  const char *www_authenticate = NULL;
  const char *token = NULL;
  guint32 timeout = MC_BROKER_DEFAULT_AUTHORIZE_TIMEOUT;

  if (!mc_broker_check_string_length ("parent_window", parent_window, MAX_PARENT_WINDOW_LENGTH, &error) ||
      !mc_broker_check_string_length ("resource_url", resource_url, MC_BROKER_MAX_SERVER_URL_LENGTH, &error) ||
      !mc_options_filter (arg_options, mc_broker_authorize_option_keys, mc_broker_n_authorize_option_keys,
                          &options, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* The canonical form does not judge the scheme: plain http to another
   * host would only fail later, in discovery, as the server's fault. */
  resource = mc_oauth_canonical_resource (resource_url, &error);
  if (resource != NULL && !mc_oauth_url_is_acceptable (resource, &error))
    g_clear_pointer (&resource, g_free);
  if (resource == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                                             "“resource_url” is not a usable MCP server URL: %s", error->message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  call = g_new0 (AuthorizeCall, 1);
  call->self = g_object_ref (self);
  call->resource = g_steal_pointer (&resource);

  /* A challenge that cannot be read is the server's fault, not the
   * caller's: discovery falls back to the well-known URLs, as MCP says. */
  if (g_variant_dict_lookup (&options, "www_authenticate", "&s", &www_authenticate) &&
      www_authenticate[0] != '\0')
    {
      call->challenge = mc_bearer_challenge_parse (www_authenticate, &error);
      if (call->challenge == NULL)
        {
          g_message ("Ignoring the WWW-Authenticate challenge of %s: %s", call->resource, error->message);
          g_clear_error (&error);
        }
    }

  g_variant_dict_lookup (&options, "scopes", "^as", &call->scopes);
  g_variant_dict_lookup (&options, "handle_token", "&s", &token);
  g_variant_dict_lookup (&options, "timeout", "u", &timeout);
  call->handle_token = g_strdup (token);
  call->timeout = timeout;
  /* The handler owns the invocation; completing it consumes that reference. */
  call->invocation = invocation;

  mc_peer_tracker_lookup_async (self->peers, g_dbus_method_invocation_get_sender (invocation), NULL,
                                on_authorize_caller_identified, g_steal_pointer (&call));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* GetToken {{{1 */

typedef struct
{
  McBroker              *self;
  GDBusMethodInvocation *invocation;
  /* For the audit log. */
  McCallerInfo          *caller;
  McGrant               *grant;
  gboolean               refresh;
  char                  *access_token;
  GVariant              *info;
} MethodData;

static MethodData *
method_data_new (McBroker              *self,
                 GDBusMethodInvocation *invocation)
{
  MethodData *data = g_new0 (MethodData, 1);

  data->self = g_object_ref (self);
  data->invocation = invocation;
  return data;
}

static void
method_data_free (MethodData *data)
{
  g_object_unref (data->self);
  g_clear_object (&data->invocation);
  g_clear_object (&data->caller);
  g_clear_pointer (&data->grant, mc_grant_free);
  g_clear_pointer (&data->access_token, mc_oauth_secret_free);
  g_clear_pointer (&data->info, g_variant_unref);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MethodData, method_data_free)

/* Errors from below the broker become the broker's own D-Bus errors, so
 * that callers get a name they can act on rather than an unmapped one. */
static void
return_error (GDBusMethodInvocation *invocation,
              const GError          *error)
{
  if (error->domain == MC_ERROR)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_error_literal (invocation, MC_ERROR, MC_ERROR_FAILED, error->message);
}

/* No token leaves unless its hand-out is on record (docs/audit.md). */
static void
on_token_audited (gboolean      written,
                  const GError *error,
                  gpointer      user_data)
{
  g_autoptr(MethodData) data = user_data;

  if (!written)
    {
      g_dbus_method_invocation_return_error (g_steal_pointer (&data->invocation), MC_ERROR, MC_ERROR_FAILED,
                                             "The audit log cannot be written, so no token is handed out: %s",
                                             error->message);
      return;
    }

  mc_dbus_broker1_complete_get_token (MC_DBUS_BROKER1 (data->self), g_steal_pointer (&data->invocation),
                                      data->access_token, data->info);
}

static void
on_token (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MethodData) data = user_data;
  g_auto(GVariantBuilder) info = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(McGrant) grant = NULL;
  g_autoptr(GError) error = NULL;
  char *access_token = NULL;

  access_token = mc_token_service_get_token_finish (MC_TOKEN_SERVICE (source_object), result, &grant, &error);
  if (access_token == NULL)
    {
      return_error (g_steal_pointer (&data->invocation), error);
      return;
    }

  g_variant_builder_add (&info, "{sv}", "grant_id", g_variant_new_string (grant->id));
  g_variant_builder_add (&info, "{sv}", "scopes", g_variant_new_strv ((const char * const *)grant->scopes, -1));
  g_variant_builder_add (&info, "{sv}", "expires_at", g_variant_new_int64 (grant->expires_at));
  g_variant_builder_add (&info, "{sv}", "token_type", g_variant_new_string ("Bearer"));

  mc_audit_token_served (data->caller, grant, data->refresh);
  data->access_token = access_token;
  data->info = g_variant_ref_sink (g_variant_builder_end (&info));
  mc_audit_after_flush (on_token_audited, g_steal_pointer (&data));
}

/* The policy's one decision about handing out a grant's token. A grant
 * that a new sign-in would fix answers NotAuthorized, so that clients
 * call Authorize; one that no sign-in can fix, PolicyDenied. */
static gboolean
check_grant_policy (McPolicy       *policy,
                    const McGrant  *grant,
                    const char    **out_rule,
                    GError        **error)
{
  gint64 lifetime = mc_policy_get_max_grant_lifetime (policy);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *issuer_rule = mc_policy_get_url_rule (policy, grant->issuer);

  if (issuer_rule != NULL)
    {
      *out_rule = issuer_rule;
      g_set_error (error, MC_ERROR, MC_ERROR_POLICY_DENIED,
                   "The administrator’s policy does not allow the authorization server %s", grant->issuer);
      return FALSE;
    }

  /* Measured from the sign-in, so refreshing does not extend it. */
  if (lifetime > 0 && now - grant->signed_in > lifetime)
    {
      g_autofree char *text = mc_policy_format_lifetime (lifetime);

      *out_rule = "max-grant-lifetime";
      g_set_error (error, MC_ERROR, MC_ERROR_NOT_AUTHORIZED,
                   "The sign-in to %s is older than the %s the administrator’s policy allows; "
                   "call Authorize to sign in again", grant->resource, text);
      return FALSE;
    }

  for (guint i = 0; grant->scopes != NULL && grant->scopes[i] != NULL; i++)
    {
      if (mc_policy_forbids_scope (policy, grant->scopes[i]))
        {
          *out_rule = "never-grant-scopes";
          g_set_error (error, MC_ERROR, MC_ERROR_NOT_AUTHORIZED,
                       "The grant for %s has the scope “%s”, which the administrator’s policy never grants; "
                       "call Authorize to sign in again without it", grant->resource, grant->scopes[i]);
          return FALSE;
        }
    }

  return TRUE;
}

static void
get_token (McBroker              *self,
           GDBusMethodInvocation *invocation,
           McCallerInfo          *caller,
           GVariant              *arguments)
{
  const char *resource = NULL;
  gboolean refresh = FALSE;
  g_autoptr(McGrant) grant = NULL;
  g_autoptr(GError) error = NULL;
  MethodData *data = NULL;
  const char *rule = NULL;

  if (!mc_broker_check_caller_policy (self, caller, &error))
    {
      mc_broker_refuse_audited (invocation, g_steal_pointer (&error));
      return;
    }

  g_variant_get (arguments, "(&sb)", &resource, &refresh);
  grant = mc_grant_store_find (self->auth.grants, mc_caller_info_get_identity_key (caller), resource);
  if (grant == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, MC_ERROR, MC_ERROR_NOT_AUTHORIZED,
                                             "This app has not been authorized for %s; call Authorize first",
                                             resource);
      return;
    }

  if (!check_grant_policy (mc_broker_get_policy (self), grant, &rule, &error))
    {
      g_message ("Refused a token of grant %s to %s: %s", grant->id, mc_caller_info_get_identity_key (caller),
                 error->message);
      mc_audit_policy_blocked (caller, NULL, grant->resource, rule, error->message);
      mc_broker_refuse_audited (invocation, g_steal_pointer (&error));
      return;
    }

  data = method_data_new (self, invocation);
  data->caller = g_object_ref (caller);
  data->refresh = refresh;
  mc_token_service_get_token_async (self->tokens, grant->id, refresh, NULL, on_token, data);
}

gboolean
mc_broker_handle_get_token (McDbusBroker1         *object,
                            GDBusMethodInvocation *invocation,
                            const char            *resource_url,
                            GVariant              *arg_options)
{
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *resource = NULL;
  gboolean refresh = FALSE;

  if (!mc_broker_check_string_length ("resource_url", resource_url, MC_BROKER_MAX_SERVER_URL_LENGTH, &error) ||
      !mc_options_filter (arg_options, mc_broker_get_token_option_keys, mc_broker_n_get_token_option_keys,
                          &options, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  resource = mc_oauth_canonical_resource (resource_url, &error);
  if (resource == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                                             "“resource_url” is not a usable MCP server URL: %s", error->message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  g_variant_dict_lookup (&options, "refresh", "b", &refresh);
  mc_broker_with_caller (MC_BROKER (object), invocation, g_variant_new ("(sb)", resource, refresh), get_token);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ListGrants, RevokeGrant {{{1 */

static void
list_grants (McBroker              *self,
             GDBusMethodInvocation *invocation,
             McCallerInfo          *caller,
             GVariant              *arguments)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr(GPtrArray) grants = mc_grant_store_list (self->auth.grants, mc_broker_visible_identity (caller));

  for (guint i = 0; i < grants->len; i++)
    g_variant_builder_add_value (&builder, mc_grant_to_variant (g_ptr_array_index (grants, i)));

  mc_dbus_broker1_complete_list_grants (MC_DBUS_BROKER1 (self), invocation, g_variant_builder_end (&builder));
}

gboolean
mc_broker_handle_list_grants (McDbusBroker1         *object,
                              GDBusMethodInvocation *invocation)
{
  mc_broker_with_caller (MC_BROKER (object), invocation, NULL, list_grants);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The grant is gone whether or not that could be recorded: say so. */
static void
on_revoke_audited (gboolean      written,
                   const GError *error,
                   gpointer      user_data)
{
  g_autoptr(MethodData) data = user_data;

  mc_dbus_broker1_complete_revoke_grant (MC_DBUS_BROKER1 (data->self), g_steal_pointer (&data->invocation),
                                         data->info);
}

static void
on_grant_revoked (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MethodData) data = user_data;
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GError) error = NULL;
  gboolean revoked_at_server = FALSE;
  guint items_deleted = 0;

  if (!mc_token_service_revoke_finish (MC_TOKEN_SERVICE (source_object), result,
                                       &revoked_at_server, &items_deleted, &error))
    {
      return_error (g_steal_pointer (&data->invocation), error);
      return;
    }

  g_variant_builder_add (&builder, "{sv}", "revoked_at_server", g_variant_new_boolean (revoked_at_server));
  g_variant_builder_add (&builder, "{sv}", "keyring_items_deleted", g_variant_new_uint32 (items_deleted));
  mc_audit_token_revoked (data->grant, data->caller, revoked_at_server, items_deleted);
  data->info = g_variant_ref_sink (g_variant_builder_end (&builder));
  mc_audit_after_flush (on_revoke_audited, g_steal_pointer (&data));
}

static void
revoke_grant (McBroker              *self,
              GDBusMethodInvocation *invocation,
              McCallerInfo          *caller,
              GVariant              *arguments)
{
  const char *visible = mc_broker_visible_identity (caller);
  const char *grant_id = NULL;
  g_autoptr(McGrant) grant = NULL;
  MethodData *data = NULL;

  g_variant_get (arguments, "(&s)", &grant_id);
  grant = mc_grant_store_lookup (self->auth.grants, grant_id);

  /* Another app's grant looks exactly like a missing one. */
  if (grant == NULL || (visible != NULL && !g_str_equal (grant->app, visible)))
    {
      g_dbus_method_invocation_return_error (invocation, MC_ERROR, MC_ERROR_NOT_FOUND, "No grant “%s”", grant_id);
      return;
    }

  g_message ("Revoking grant %s of %s for %s at the request of %s", grant->id, grant->app, grant->resource,
             mc_caller_info_get_identity_key (caller));
  data = method_data_new (self, invocation);
  data->caller = g_object_ref (caller);
  data->grant = g_steal_pointer (&grant);
  mc_token_service_revoke_async (self->tokens, grant_id, NULL, on_grant_revoked, data);
}

gboolean
mc_broker_handle_revoke_grant (McDbusBroker1         *object,
                               GDBusMethodInvocation *invocation,
                               const char            *grant_id)
{
  g_autoptr(GError) error = NULL;

  if (!mc_broker_check_string_length ("grant_id", grant_id, MAX_GRANT_ID_LENGTH, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  mc_broker_with_caller (MC_BROKER (object), invocation, g_variant_new ("(s)", grant_id), revoke_grant);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
