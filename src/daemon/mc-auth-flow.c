/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "mc-auth-flow.h"
#include "mc-audit-events.h"
#include "mc-error.h"
#include "mc-loopback-listener.h"
#include "mc-oauth-metadata.h"
#include "mc-oauth-requests.h"
#include "mc-oauth-urls.h"
#include "mc-pkce.h"
#include "mc-token-store.h"
#include "mc-uri-opener.h"
#include "mc-url-verdict.h"

/* One MCP authorization (MCP 2025-11-25, "Authorization"), in two halves
 * with the user's consent between them:
 *
 *   discover: WWW-Authenticate → Protected Resource Metadata (RFC 9728) →
 *     authorization server metadata (RFC 8414 / OpenID discovery) → PKCE
 *     check → the scopes to ask for; or, for a server of MCP 2025-03-26
 *     that has no PRM, the authorization server at its origin (RFC 8414
 *     metadata there, else the default endpoints);
 *   sign in: a client (pre-registered, metadata document, dynamic) → the
 *     loopback listener → the browser, with PKCE, state and resource →
 *     the callback (state, iss) → the code exchange → the tokens into the
 *     keyring, the grant into the state file.
 *
 * The broker shows the consent dialog in between, through its queue. */

#define STATE_BYTES 32
#define MAX_SCOPE_LENGTH 4096

struct _McAuthFlow
{
  GObject                      parent_instance;

  McHttp                      *http;
  McClientRegistry            *clients;
  McGrantStore                *grants;
  McCallerInfo                *caller;
  char                        *resource;
  McBearerChallenge           *challenge;
  GStrv                        option_scopes;
  /* The policy when Authorize was called: one flow, one policy. */
  McPolicy                    *policy;

  /* Discovered */
  McProtectedResourceMetadata *prm;
  McAuthServerMetadata        *as;
  /* The server publishes no metadata: as has MCP 2025-03-26's default
   * endpoints, which may not exist. */
  gboolean                     default_endpoints;
  McUrlVerdict                *as_verdict;
  GStrv                        scopes_to_ask;
  GStrv                        granted_scopes;
  /* Scopes the policy took out of what would have been asked. */
  GStrv                        policy_removed_scopes;
  /* The policy rule that refused the authorization server, if one did. */
  const char                  *blocking_rule;
  McGrant                     *existing_grant;

  /* Signing in */
  GStrv                        requested_scopes;
  McOAuthClient               *client;
  char                        *client_secret;
  McLoopbackListener          *listener;
  char                        *state;
  char                        *verifier;
};

enum
{
  SIGNAL_BROWSER_OPENED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (McAuthFlow, mc_auth_flow, G_TYPE_OBJECT)

G_DEFINE_QUARK (mc-auth-error-quark, mc_auth_error)

/**
 * mc_auth_error_to_reason:
 * @error: why a sign-in failed
 *
 * Returns: the "reason" of Authorize's Response for @error
 */
const char *
mc_auth_error_to_reason (const GError *error)
{
  g_return_val_if_fail (error != NULL, "failed");

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  if (g_error_matches (error, MC_ERROR, MC_ERROR_KEYRING_LOCKED))
    return "keyring-locked";
  if (g_error_matches (error, MC_ERROR, MC_ERROR_KEYRING_UNAVAILABLE))
    return "keyring-unavailable";

  if (error->domain != MC_AUTH_ERROR)
    return "failed";

  switch ((McAuthError)error->code)
    {
    case MC_AUTH_ERROR_DISCOVERY:
      return "discovery-failed";
    case MC_AUTH_ERROR_NO_PKCE:
      return "no-pkce";
    case MC_AUTH_ERROR_NO_CLIENT:
      return "no-client";
    case MC_AUTH_ERROR_REGISTRATION:
      return "registration-failed";
    case MC_AUTH_ERROR_ACCESS_DENIED:
      return "access-denied";
    case MC_AUTH_ERROR_AUTHORIZATION:
      return "authorization-failed";
    case MC_AUTH_ERROR_TOKEN:
      return "token-failed";
    case MC_AUTH_ERROR_SCOPE_ESCALATION:
      return "scope-escalation";
    case MC_AUTH_ERROR_NO_BROWSER:
      return "no-browser";
    case MC_AUTH_ERROR_TOO_MANY_ATTEMPTS:
      return "too-many-attempts";
    case MC_AUTH_ERROR_REDIRECT_PORT:
      return "redirect-port-taken";
    case MC_AUTH_ERROR_POLICY:
      return "policy";
    default:
      return "failed";
    }
}

static void
mc_auth_flow_dispose (GObject *object)
{
  McAuthFlow *self = (McAuthFlow *)object;

  if (self->listener != NULL)
    mc_loopback_listener_close (self->listener);
  g_clear_object (&self->listener);
  g_clear_object (&self->http);
  g_clear_object (&self->clients);
  g_clear_object (&self->grants);
  g_clear_object (&self->caller);

  G_OBJECT_CLASS (mc_auth_flow_parent_class)->dispose (object);
}

static void
mc_auth_flow_finalize (GObject *object)
{
  McAuthFlow *self = (McAuthFlow *)object;

  g_free (self->resource);
  g_clear_pointer (&self->challenge, mc_bearer_challenge_free);
  g_strfreev (self->option_scopes);
  g_clear_pointer (&self->prm, mc_protected_resource_metadata_free);
  g_clear_pointer (&self->as, mc_auth_server_metadata_free);
  g_clear_pointer (&self->as_verdict, mc_url_verdict_unref);
  g_strfreev (self->scopes_to_ask);
  g_strfreev (self->granted_scopes);
  g_strfreev (self->policy_removed_scopes);
  g_clear_pointer (&self->policy, mc_policy_unref);
  g_clear_pointer (&self->existing_grant, mc_grant_free);
  g_strfreev (self->requested_scopes);
  g_clear_pointer (&self->client, mc_oauth_client_free);
  g_clear_pointer (&self->client_secret, mc_oauth_secret_free);
  g_clear_pointer (&self->state, mc_oauth_secret_free);
  g_clear_pointer (&self->verifier, mc_oauth_secret_free);

  G_OBJECT_CLASS (mc_auth_flow_parent_class)->finalize (object);
}

static void
mc_auth_flow_class_init (McAuthFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_auth_flow_dispose;
  object_class->finalize = mc_auth_flow_finalize;

  /**
   * McAuthFlow::browser-opened:
   *
   * The browser has the authorization URL; the user signs in there.
   */
  signals[SIGNAL_BROWSER_OPENED] =
    g_signal_new ("browser-opened",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
mc_auth_flow_init (McAuthFlow *self)
{
}

/**
 * mc_auth_flow_new:
 * @services: the broker's HTTP client, client registry and grants
 * @caller: who asks; grants are bound to its identity
 * @resource: the MCP server's canonical URI
 * @challenge: (nullable): the server's Bearer challenge (from its 401/403)
 * @scopes: (nullable): scopes the caller asks for, overriding the
 *   challenge's and the server's defaults
 *
 * Returns: (transfer full): a flow, to discover then to sign in
 */
McAuthFlow *
mc_auth_flow_new (const McAuthServices *services,
                  McCallerInfo         *caller,
                  const char           *resource,
                  McBearerChallenge    *challenge,
                  const char * const   *scopes)
{
  McAuthFlow *self = NULL;

  g_return_val_if_fail (services != NULL, NULL);
  g_return_val_if_fail (MC_IS_CALLER_INFO (caller), NULL);
  g_return_val_if_fail (resource != NULL, NULL);

  self = g_object_new (MC_TYPE_AUTH_FLOW, NULL);
  self->http = g_object_ref (services->http);
  self->clients = g_object_ref (services->clients);
  self->grants = g_object_ref (services->grants);
  self->caller = g_object_ref (caller);
  self->resource = g_strdup (resource);
  self->challenge = challenge != NULL ? mc_bearer_challenge_copy (challenge) : NULL;
  self->option_scopes = scopes != NULL ? g_strdupv ((char **)scopes) : NULL;
  self->policy = mc_policy_new_default ();

  return self;
}

/**
 * mc_auth_flow_set_policy:
 * @self: a #McAuthFlow, not yet discovered
 * @policy: the policy to sign in under (docs/policy.md)
 *
 * Without one, a flow signs in under the default policy, which restricts
 * nothing.
 */
void
mc_auth_flow_set_policy (McAuthFlow *self,
                         McPolicy   *policy)
{
  g_return_if_fail (MC_IS_AUTH_FLOW (self));
  g_return_if_fail (policy != NULL);

  g_clear_pointer (&self->policy, mc_policy_unref);
  self->policy = mc_policy_ref (policy);
}

/**
 * mc_auth_flow_get_blocking_rule:
 * @self: a flow
 *
 * Returns: (nullable): the policy rule ("blocked-domains",
 *   "allowed-domains") that refused the authorization server, when the
 *   flow ended with %MC_AUTH_ERROR_POLICY
 */
const char *
mc_auth_flow_get_blocking_rule (McAuthFlow *self)
{
  g_return_val_if_fail (MC_IS_AUTH_FLOW (self), NULL);

  return self->blocking_rule;
}

const char *
mc_auth_flow_get_resource (McAuthFlow *self)
{
  g_return_val_if_fail (MC_IS_AUTH_FLOW (self), NULL);
  return self->resource;
}

/**
 * mc_auth_flow_get_server_name:
 * @self: a discovered #McAuthFlow
 *
 * Returns: what to call the MCP server: its resource name, else its host
 */
const char *
mc_auth_flow_get_server_name (McAuthFlow *self)
{
  g_return_val_if_fail (MC_IS_AUTH_FLOW (self), NULL);

  if (self->prm != NULL && self->prm->resource_name != NULL && self->prm->resource_name[0] != '\0')
    return self->prm->resource_name;
  return self->resource;
}

/**
 * mc_auth_flow_get_as_verdict:
 * @self: a discovered #McAuthFlow
 *
 * Returns: (transfer none) (nullable): the verdict on the authorization
 *   endpoint, %NULL before discovery
 */
McUrlVerdict *
mc_auth_flow_get_as_verdict (McAuthFlow *self)
{
  g_return_val_if_fail (MC_IS_AUTH_FLOW (self), NULL);
  return self->as_verdict;
}

const char *
mc_auth_flow_get_authorization_endpoint (McAuthFlow *self)
{
  g_return_val_if_fail (MC_IS_AUTH_FLOW (self), NULL);
  return self->as != NULL ? self->as->authorization_endpoint : NULL;
}

static McTokenKey
token_key (McAuthFlow *self)
{
  McTokenKey key = {
    .resource = self->resource,
    .issuer = self->as->issuer,
    .client = self->client->client_id,
    .app = mc_caller_info_get_identity_key (self->caller),
  };

  return key;
}

/* Discovery {{{1 */

typedef struct
{
  GPtrArray *urls;
  guint      next;
  GString   *tried;
  /* Every PRM URL tried so far answered that it has no such document. */
  gboolean   all_absent;
  /* Looking for the authorization server as MCP 2025-03-26 did. */
  gboolean   legacy;
} Discovery;

static void
discovery_free (Discovery *discovery)
{
  g_ptr_array_unref (discovery->urls);
  g_string_free (discovery->tried, TRUE);
  g_free (discovery);
}

static void fetch_next_prm (GTask *task);
static void fetch_next_as_metadata (GTask *task);

/* An answer that says there is no such document: 404 Not Found, 410
 * Gone. Only these let discovery fall back to MCP 2025-03-26's rules;
 * everything else (no answer, 5xx, 429, 401, 403, 400, 405, a document
 * that cannot be used) says the server is there and something went
 * wrong, and guessing then would hide it (docs/authorization.md). */
static gboolean
is_absent_status (guint status)
{
  return status == 404 || status == 410;
}

/* RFC 9728 §3.3: the document must be about the resource we asked for. The
 * MCP TypeScript SDK also takes a resource that is a path prefix of the
 * server's URL on the same origin ("https://x.example" for
 * "https://x.example/mcp"), and servers are written against it. */
static gboolean
resource_matches (const char *claimed,
                  const char *resource)
{
  g_autofree char *canonical = mc_oauth_canonical_resource (claimed, NULL);
  gsize length = 0;

  if (canonical == NULL)
    return FALSE;
  if (g_str_equal (canonical, resource))
    return TRUE;

  length = strlen (canonical);
  return g_str_has_prefix (resource, canonical) && resource[length] == '/';
}

static GError *
discovery_error (const char *format,
                 ...) G_GNUC_PRINTF (1, 2);

static GError *
discovery_error (const char *format,
                 ...)
{
  GError *error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (MC_AUTH_ERROR, MC_AUTH_ERROR_DISCOVERY, format, args);
  va_end (args);
  return error;
}

static void
choose_scopes (McAuthFlow *self)
{
  g_auto(GStrv) requested = NULL;
  g_autoptr(McGrant) grant = NULL;

  /* MCP §Scope Selection: the caller's explicit scopes, else the
   * challenge's, else everything the resource lists, else none (never an
   * invented "openid"). */
  if (self->option_scopes != NULL)
    requested = g_strdupv (self->option_scopes);
  else if (self->challenge != NULL && self->challenge->scope != NULL)
    requested = mc_oauth_scope_split (self->challenge->scope, NULL);
  if (requested == NULL && self->prm != NULL && self->prm->scopes_supported != NULL)
    requested = g_strdupv (self->prm->scopes_supported);
  if (requested == NULL)
    requested = g_new0 (char *, 1);

  /* Scopes the policy never grants are not asked for at all; the token
   * check then refuses a token that has them anyway, as an escalation. */
  {
    g_auto(GStrv) allowed = mc_policy_filter_scopes (self->policy, (const char * const *)requested,
                                                     &self->policy_removed_scopes);

    g_strfreev (requested);
    requested = g_steal_pointer (&allowed);
  }

  /* A step-up keeps what was granted and asks the user only for the rest.
   * A grant that needs a new sign-in, or is with another server, grants
   * nothing any more; it is replaced (keeping its id). */
  grant = mc_grant_store_find (self->grants, mc_caller_info_get_identity_key (self->caller), self->resource);
  if (grant != NULL && !grant->needs_sign_in && g_strcmp0 (grant->issuer, self->as->issuer) == 0)
    self->granted_scopes = mc_policy_filter_scopes (self->policy, (const char * const *)grant->scopes, NULL);
  else
    self->granted_scopes = g_new0 (char *, 1);
  self->existing_grant = g_steal_pointer (&grant);

  self->scopes_to_ask = mc_oauth_scopes_minus ((const char * const *)requested,
                                               (const char * const *)self->granted_scopes);
}

static void
finish_discovery (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* MCP: "If code_challenge_methods_supported is absent, … MCP clients
   * MUST refuse to proceed." */
  if (!mc_auth_server_metadata_supports_s256 (self->as))
    {
      g_task_return_new_error (task, MC_AUTH_ERROR, MC_AUTH_ERROR_NO_PKCE,
                               "The authorization server %s does not support PKCE with S256; "
                               "signing in to it would not be safe",
                               self->as->issuer);
      return;
    }

  /* The policy's one decision about authorization servers: both the
   * issuer and the sign-in page must be in domains it allows. */
  self->as_verdict = mc_policy_judge_url (self->policy, self->as->authorization_endpoint, self->resource);
  self->blocking_rule = mc_policy_get_url_rule (self->policy, self->as->authorization_endpoint);
  if (self->blocking_rule == NULL)
    self->blocking_rule = mc_policy_get_url_rule (self->policy, self->as->issuer);
  if (self->blocking_rule != NULL)
    {
      g_task_return_new_error (task, MC_AUTH_ERROR, MC_AUTH_ERROR_POLICY,
                               "The administrator’s policy does not allow signing in with the "
                               "authorization server %s", self->as->issuer);
      return;
    }
  if (mc_url_verdict_get_risk (self->as_verdict) == MC_URL_RISK_BLOCKED)
    {
      g_task_return_error (task, discovery_error ("The sign-in page of %s is never opened: %s",
                                                  self->as->issuer,
                                                  mc_url_verdict_get_reason (self->as_verdict)));
      return;
    }

  choose_scopes (self);

  /* Scopes come from the server; the dialog shows each one. */
  if (!mc_oauth_check_scopes_shown ((const char * const *)self->scopes_to_ask, &error) ||
      !mc_oauth_check_scopes_shown ((const char * const *)self->granted_scopes, &error))
    {
      g_task_return_error (task, discovery_error ("%s cannot be signed in to here: %s",
                                                  self->resource, error->message));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
on_as_metadata (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  Discovery *discovery = g_task_get_task_data (task);
  const char *url = g_ptr_array_index (discovery->urls, discovery->next - 1);
  const char *issuer = self->prm->authorization_servers[0];
  g_autoptr(McHttpResponse) response = NULL;
  g_autoptr(McAuthServerMetadata) metadata = NULL;
  g_autoptr(GError) error = NULL;
  const char *body = NULL;
  gsize length = 0;

  response = mc_http_finish (MC_HTTP (source_object), result, &error);
  if (response == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_string_append_printf (discovery->tried, "; %s: %s", url, error->message);
      fetch_next_as_metadata (g_steal_pointer (&task));
      return;
    }

  if (response->status != 200)
    {
      /* MCP 2025-03-26, "Fallbacks for Servers without Metadata
       * Discovery": none at the origin means the default endpoints. A
       * server that is there but failing is not guessed around. */
      if (discovery->legacy && is_absent_status (response->status))
        {
          g_message ("%s publishes no authorization server metadata either: signing in at the default "
                     "endpoints of %s", self->resource, issuer);
          self->as = mc_auth_server_metadata_new_defaults (issuer);
          self->default_endpoints = TRUE;
          finish_discovery (task);
          return;
        }
      g_string_append_printf (discovery->tried, "; %s: HTTP %u", url, response->status);
      fetch_next_as_metadata (g_steal_pointer (&task));
      return;
    }

  body = g_bytes_get_data (response->body, &length);
  metadata = mc_auth_server_metadata_parse (body, length, url, &error);
  if (metadata == NULL)
    {
      g_string_append_printf (discovery->tried, "; %s", error->message);
      fetch_next_as_metadata (g_steal_pointer (&task));
      return;
    }

  /* RFC 8414 §3.3: metadata about another issuer must not be used.
   *
   * In MCP 2025-03-26's discovery the issuer asked for is the MCP
   * server's origin, and servers of that time named their issuer
   * elsewhere on it ("/oauth", a trailing slash), as the MCP TypeScript
   * SDK let them. Any issuer on that origin is taken: the metadata comes
   * from the origin the token is for, so it cannot send the sign-in
   * anywhere the server itself could not. Another origin could, and is
   * refused. The issuer kept is the document's, for the grant and for
   * RFC 9207's "iss". */
  if (discovery->legacy && !mc_oauth_same_origin (metadata->issuer, issuer))
    {
      g_string_append_printf (discovery->tried, "; %s describes the issuer “%s”, which is not on the origin %s",
                              url, metadata->issuer, issuer);
      fetch_next_as_metadata (g_steal_pointer (&task));
      return;
    }
  if (!discovery->legacy && !g_str_equal (metadata->issuer, issuer))
    {
      g_string_append_printf (discovery->tried, "; %s describes the issuer “%s”, not “%s”",
                              url, metadata->issuer, issuer);
      fetch_next_as_metadata (g_steal_pointer (&task));
      return;
    }

  g_debug ("Authorization server metadata of %s from %s", issuer, url);
  self->as = g_steal_pointer (&metadata);
  finish_discovery (task);
}

static void
fetch_next_as_metadata (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  Discovery *discovery = g_task_get_task_data (task);

  if (discovery->next == discovery->urls->len)
    {
      if (discovery->legacy)
        g_task_return_error (task, discovery_error ("%s publishes no protected resource metadata, and no usable "
                                                    "authorization server metadata at its origin (%s)",
                                                    self->resource, discovery->tried->str + 2));
      else
        g_task_return_error (task, discovery_error ("No usable metadata for the authorization server %s (%s)",
                                                    self->prm->authorization_servers[0],
                                                    discovery->tried->str + 2));
      g_object_unref (task);
      return;
    }

  mc_http_get_async (self->http, g_ptr_array_index (discovery->urls, discovery->next++),
                     g_task_get_cancellable (task), on_as_metadata, task);
}

static void
start_as_discovery (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  const char *issuer = self->prm->authorization_servers[0];
  g_autoptr(GError) error = NULL;
  Discovery *discovery = NULL;

  if (!mc_oauth_url_is_acceptable (issuer, &error))
    {
      g_task_return_error (task, discovery_error ("The authorization server “%s” of %s cannot be used: %s",
                                                  issuer, self->resource, error->message));
      g_object_unref (task);
      return;
    }

  discovery = g_new0 (Discovery, 1);
  discovery->urls = mc_oauth_as_metadata_urls (issuer);
  discovery->tried = g_string_new (NULL);
  g_task_set_task_data (task, discovery, (GDestroyNotify)discovery_free);
  fetch_next_as_metadata (task);
}

static void
start_legacy_discovery (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  Discovery *discovery = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *origin = mc_oauth_origin (self->resource, &error);
  g_autoptr(GPtrArray) as_urls = NULL;
  const char *url = NULL;

  /* The resource is canonical, so this does not fail. */
  if (origin == NULL)
    {
      g_task_return_error (task, discovery_error ("%s has no origin: %s", self->resource, error->message));
      g_object_unref (task);
      return;
    }

  /* The first of the origin's metadata URLs is RFC 8414's, the one
   * 2025-03-26 named. */
  as_urls = mc_oauth_as_metadata_urls (origin);
  url = g_ptr_array_index (as_urls, 0);

  g_message ("%s publishes no protected resource metadata: looking for the authorization server at its "
             "origin, as MCP 2025-03-26 did", self->resource);

  /* What a 2025-03-26 server would have said: the resource, at its
   * origin's authorization server, with no scopes of its own. */
  self->prm = g_new0 (McProtectedResourceMetadata, 1);
  self->prm->resource = g_strdup (self->resource);
  self->prm->authorization_servers = g_new0 (char *, 2);
  self->prm->authorization_servers[0] = g_steal_pointer (&origin);

  /* The PRM URLs tried stay in the error message, if there is one. */
  g_ptr_array_set_size (discovery->urls, 0);
  g_ptr_array_add (discovery->urls, g_strdup (url));
  discovery->next = 0;
  discovery->legacy = TRUE;
  fetch_next_as_metadata (task);
}

static void
on_prm (GObject      *source_object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  Discovery *discovery = g_task_get_task_data (task);
  const char *url = g_ptr_array_index (discovery->urls, discovery->next - 1);
  g_autoptr(McHttpResponse) response = NULL;
  g_autoptr(McProtectedResourceMetadata) prm = NULL;
  g_autoptr(GError) error = NULL;
  const char *body = NULL;
  gsize length = 0;

  response = mc_http_finish (MC_HTTP (source_object), result, &error);
  if (response == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_string_append_printf (discovery->tried, "; %s: %s", url, error->message);
      discovery->all_absent = FALSE;
      fetch_next_prm (g_steal_pointer (&task));
      return;
    }

  if (response->status != 200)
    {
      g_string_append_printf (discovery->tried, "; %s: HTTP %u", url, response->status);
      discovery->all_absent &= is_absent_status (response->status);
      fetch_next_prm (g_steal_pointer (&task));
      return;
    }

  /* A document that is there but unusable is not an absent one. */
  discovery->all_absent = FALSE;

  body = g_bytes_get_data (response->body, &length);
  prm = mc_protected_resource_metadata_parse (body, length, url, &error);
  if (prm == NULL)
    {
      g_string_append_printf (discovery->tried, "; %s", error->message);
      fetch_next_prm (g_steal_pointer (&task));
      return;
    }

  if (!resource_matches (prm->resource, self->resource))
    {
      g_string_append_printf (discovery->tried, "; %s describes “%s”, not %s", url, prm->resource, self->resource);
      fetch_next_prm (g_steal_pointer (&task));
      return;
    }

  g_debug ("Protected resource metadata of %s from %s", self->resource, url);
  self->prm = g_steal_pointer (&prm);
  start_as_discovery (g_steal_pointer (&task));
}

static void
fetch_next_prm (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  Discovery *discovery = g_task_get_task_data (task);

  if (discovery->next == discovery->urls->len)
    {
      /* A resource_metadata URL that fails is the server's error, not a
       * server of 2025-03-26, which named none. */
      if (discovery->all_absent && (self->challenge == NULL || self->challenge->resource_metadata == NULL))
        {
          start_legacy_discovery (task);
          return;
        }
      g_task_return_error (task, discovery_error ("%s publishes no usable protected resource metadata (%s)",
                                                  self->resource, discovery->tried->str + 2));
      g_object_unref (task);
      return;
    }

  mc_http_get_async (self->http, g_ptr_array_index (discovery->urls, discovery->next++),
                     g_task_get_cancellable (task), on_prm, task);
}

/**
 * mc_auth_flow_discover_async:
 * @self: a #McAuthFlow
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the flow knows what to ask the user
 * @user_data: data for @callback
 *
 * Finds the resource's authorization server and what to ask for. MCP
 * §Protected Resource Metadata Discovery: the challenge's
 * resource_metadata when present, else the path-inserted then the root
 * well-known URI; then the authorization server's metadata in the order
 * of §Authorization Server Metadata Discovery.
 *
 * When the challenge named no resource_metadata and every well-known URI
 * answered 404 or 410, the server is taken for one of MCP 2025-03-26,
 * which had no PRM: its origin is the authorization server, with RFC 8414
 * metadata there or else the default endpoints.
 */
void
mc_auth_flow_discover_async (McAuthFlow          *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = NULL;
  Discovery *discovery = NULL;

  g_return_if_fail (MC_IS_AUTH_FLOW (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_auth_flow_discover_async);

  discovery = g_new0 (Discovery, 1);
  discovery->tried = g_string_new (NULL);
  discovery->all_absent = TRUE;
  if (self->challenge != NULL && self->challenge->resource_metadata != NULL)
    {
      discovery->urls = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (discovery->urls, g_strdup (self->challenge->resource_metadata));
    }
  else
    {
      discovery->urls = mc_oauth_prm_urls (self->resource);
    }
  g_task_set_task_data (task, discovery, (GDestroyNotify)discovery_free);

  fetch_next_prm (task);
}

gboolean
mc_auth_flow_discover_finish (McAuthFlow    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (MC_IS_AUTH_FLOW (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static GVariant *
strv_variant (GStrv strv)
{
  return g_variant_new_strv ((const char * const *)strv, -1);
}

/**
 * mc_auth_flow_get_consent_details:
 * @self: a discovered #McAuthFlow
 *
 * Returns: (transfer floating): the authorize-specific keys of the dialog's
 *   prompt dictionary (see io.github.mcp_consent.Prompter1)
 */
GVariant *
mc_auth_flow_get_consent_details (McAuthFlow *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) as_verdict = NULL;

  g_return_val_if_fail (MC_IS_AUTH_FLOW (self), NULL);
  g_return_val_if_fail (self->as != NULL, NULL);

  as_verdict = mc_url_verdict_to_variant (self->as_verdict);
  g_variant_builder_add (&builder, "{sv}", "kind", g_variant_new_string ("authorize"));
  g_variant_builder_add (&builder, "{sv}", "resource", g_variant_new_string (self->resource));
  g_variant_builder_add (&builder, "{sv}", "issuer", g_variant_new_string (self->as->issuer));
  g_variant_builder_add (&builder, "{sv}", "authorization_endpoint",
                         g_variant_new_string (self->as->authorization_endpoint));
  g_variant_builder_add (&builder, "{sv}", "as_verdict", as_verdict);
  g_variant_builder_add (&builder, "{sv}", "scopes", strv_variant (self->scopes_to_ask));
  g_variant_builder_add (&builder, "{sv}", "granted_scopes", strv_variant (self->granted_scopes));
  if (self->policy_removed_scopes != NULL && self->policy_removed_scopes[0] != NULL)
    g_variant_builder_add (&builder, "{sv}", "policy_removed_scopes", strv_variant (self->policy_removed_scopes));

  return g_variant_builder_end (&builder);
}

/* Signing in {{{1 */

static void open_listener (GTask *task);

static void
fail_sign_in (GTask       *task,
              McAuthError  code,
              const char  *format,
              ...) G_GNUC_PRINTF (3, 4);

static void
fail_sign_in (GTask       *task,
              McAuthError  code,
              const char  *format,
              ...)
{
  va_list args;

  va_start (args, format);
  g_task_return_error (task, g_error_new_valist (MC_AUTH_ERROR, code, format, args));
  va_end (args);
  g_object_unref (task);
}

static void
on_grants_saved (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  McGrant *grant = g_object_steal_data (G_OBJECT (task), "mc-grant");

  /* The grant holds for now; the next save may write it. */
  if (!mc_grant_store_save_finish (MC_GRANT_STORE (source_object), result, &error))
    g_warning ("Could not save grants: %s", error->message);

  g_task_return_pointer (task, grant, (GDestroyNotify)mc_grant_free);
}

static void
on_old_tokens_cleared (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mc_token_store_clear_finish (result, &error))
    g_warning ("Could not delete the tokens of a replaced grant: %s", error->message);
}

static McGrant *
build_grant (McAuthFlow      *self,
             McTokenResponse *token,
             GStrv            granted)
{
  McGrant *grant = mc_grant_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  grant->id = self->existing_grant != NULL ? g_strdup (self->existing_grant->id) : g_uuid_string_random ();
  grant->app = g_strdup (mc_caller_info_get_identity_key (self->caller));
  grant->app_id = g_strdup (mc_caller_info_get_app_id (self->caller));
  grant->resource = g_strdup (self->resource);
  grant->issuer = g_strdup (self->as->issuer);
  grant->client_id = g_strdup (self->client->client_id);
  grant->auth_method = g_strdup (self->client->auth_method);
  grant->token_endpoint = g_strdup (self->as->token_endpoint);
  grant->revocation_endpoint = g_strdup (self->as->revocation_endpoint);
  grant->scopes = g_strdupv (granted);
  grant->created = self->existing_grant != NULL ? self->existing_grant->created : now;
  grant->signed_in = now;
  grant->last_used = 0;
  grant->expires_at = token->expires_in >= 0 ? now + token->expires_in : 0;
  grant->has_refresh_token = token->refresh_token != NULL;
  grant->needs_sign_in = FALSE;

  return grant;
}

static void
record_grant (GTask   *task,
              McGrant *grant)
{
  McAuthFlow *self = g_task_get_source_object (task);

  /* Under another client or server, the old tokens would stay behind. */
  if (self->existing_grant != NULL &&
      (g_strcmp0 (self->existing_grant->client_id, grant->client_id) != 0 ||
       g_strcmp0 (self->existing_grant->issuer, grant->issuer) != 0))
    {
      McTokenKey old = {
        .resource = self->existing_grant->resource,
        .issuer = self->existing_grant->issuer,
        .client = self->existing_grant->client_id,
        .app = self->existing_grant->app,
      };

      mc_token_store_clear_async (&old, NULL, on_old_tokens_cleared, NULL);
    }

  g_object_set_data_full (G_OBJECT (task), "mc-grant", mc_grant_copy (grant), (GDestroyNotify)mc_grant_free);
  mc_grant_store_put (self->grants, mc_grant_copy (grant));
  mc_grant_store_save_async (self->grants, NULL, on_grants_saved, task);
}

typedef struct
{
  McTokenResponse *token;
  McGrant         *grant;
} StoreData;

static void
store_data_free (StoreData *data)
{
  mc_token_response_free (data->token);
  mc_grant_free (data->grant);
  g_free (data);
}

static void
on_access_token_stored (GObject      *source_object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StoreData *data = g_object_get_data (G_OBJECT (task), "mc-store-data");
  g_autoptr(GError) error = NULL;

  if (!mc_token_store_store_finish (result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  record_grant (g_steal_pointer (&task), data->grant);
}

static void
store_access_token (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  StoreData *data = g_object_get_data (G_OBJECT (task), "mc-store-data");
  McTokenKey key = token_key (self);

  mc_token_store_store_async (MC_TOKEN_KIND_ACCESS, &key, data->token->access_token,
                              g_task_get_cancellable (task), on_access_token_stored, task);
}

static void
on_refresh_token_stored (GObject      *source_object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!mc_token_store_store_finish (result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  store_access_token (g_steal_pointer (&task));
}

static void
store_tokens (GTask           *task,
              McTokenResponse *token,
              GStrv            granted)
{
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(McGrant) grant = build_grant (self, token, granted);
  g_autoptr(GError) error = NULL;
  StoreData *data = NULL;
  McTokenKey key = token_key (self);

  g_strfreev (granted);

  /* Checked before anything is stored: a grant the store would refuse
   * must not leave tokens in the keyring. */
  if (!mc_grant_is_valid (grant, &error))
    {
      mc_token_response_free (token);
      fail_sign_in (task, MC_AUTH_ERROR_TOKEN, "The sign-in at %s cannot be kept: %s",
                    self->as->issuer, error->message);
      return;
    }

  data = g_new0 (StoreData, 1);
  data->token = token;
  data->grant = g_steal_pointer (&grant);
  g_object_set_data_full (G_OBJECT (task), "mc-store-data", data, (GDestroyNotify)store_data_free);

  /* The refresh token first: an access token handed out must never be
   * one whose refresh token could still be lost. */
  if (token->refresh_token != NULL)
    mc_token_store_store_async (MC_TOKEN_KIND_REFRESH, &key, token->refresh_token,
                                g_task_get_cancellable (task), on_refresh_token_stored, task);
  else
    store_access_token (task);
}

static void
on_code_exchanged (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(McTokenResponse) token = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) granted = NULL;
  g_autofree char *oauth_error = NULL;

  token = mc_oauth_token_request_finish (MC_HTTP (source_object), result, &oauth_error, &error);
  if (token == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      fail_sign_in (task, MC_AUTH_ERROR_TOKEN, "%s", error->message);
      return;
    }

  /* RFC 6749 §5.1: no "scope" means what was asked for was granted. */
  if (token->scope != NULL)
    granted = mc_oauth_scope_split (token->scope, &error);
  else
    granted = g_strdupv (self->requested_scopes);
  if (granted == NULL)
    {
      fail_sign_in (task, MC_AUTH_ERROR_TOKEN, "The token of %s has a malformed scope: %s",
                    self->as->issuer, error->message);
      return;
    }

  /* Never keep more than the user allowed: refuse it, and take it back
   * where the server lets us. */
  if (!mc_oauth_scopes_subset ((const char * const *)granted, (const char * const *)self->requested_scopes))
    {
      g_auto(GStrv) extra = mc_oauth_scopes_minus ((const char * const *)granted,
                                                   (const char * const *)self->requested_scopes);
      g_autofree char *extra_text = mc_oauth_scope_join ((const char * const *)extra);

      mc_oauth_revoke_refused (self->http, self->as->revocation_endpoint, self->client, self->client_secret,
                               token);
      mc_audit_token_refused (mc_caller_info_get_identity_key (self->caller), self->resource, self->as->issuer,
                              (const char * const *)extra, "sign-in", self->as->revocation_endpoint != NULL);
      fail_sign_in (task, MC_AUTH_ERROR_SCOPE_ESCALATION,
                    "%s issued a token with scopes the user did not allow (%s); it was refused%s",
                    self->as->issuer, extra_text,
                    self->as->revocation_endpoint != NULL ? " and revoked" : "");
      return;
    }

  store_tokens (task, g_steal_pointer (&token), g_steal_pointer (&granted));
}

static void
on_callback (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(McCallbackResult) callback = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[] = { "grant_type", "code", "redirect_uri", "code_verifier", "resource" };
  const char *values[G_N_ELEMENTS (names)];

  callback = mc_loopback_listener_wait_finish (MC_LOOPBACK_LISTENER (source_object), result, &error);
  if (callback == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      /* RFC 9207: an answer that is not from the expected server. */
      fail_sign_in (task, MC_AUTH_ERROR_AUTHORIZATION, "%s", error->message);
      return;
    }

  if (callback->error != NULL)
    {
      McAuthError code = g_str_equal (callback->error, "access_denied")
        ? MC_AUTH_ERROR_ACCESS_DENIED : MC_AUTH_ERROR_AUTHORIZATION;
      g_autofree char *description = callback->error_description != NULL
        ? g_strdup_printf (": %s", callback->error_description) : g_strdup ("");

      fail_sign_in (task, code, "%s answered the sign-in with “%s”%s",
                    self->as->issuer, callback->error, description);
      return;
    }

  g_debug ("Exchanging the authorization code at %s", self->as->token_endpoint);
  values[0] = "authorization_code";
  values[1] = callback->code;
  values[2] = mc_loopback_listener_get_redirect_uri (self->listener);
  values[3] = self->verifier;
  /* RFC 8707, on the token request as on the authorization request. */
  values[4] = self->resource;

  mc_oauth_token_request_async (self->http, self->as->token_endpoint, self->client, self->client_secret,
                                names, values, G_N_ELEMENTS (names),
                                g_task_get_cancellable (task), on_code_exchanged, task);
}

static char *
build_authorization_url (McAuthFlow *self)
{
  g_autofree char *challenge = mc_pkce_challenge_s256 (self->verifier);
  g_autofree char *scope = mc_oauth_scope_join ((const char * const *)self->requested_scopes);
  const char *names[] = {
    "response_type", "client_id", "redirect_uri", "state",
    "code_challenge", "code_challenge_method", "resource", "scope",
  };
  const char *values[] = {
    "code", self->client->client_id, mc_loopback_listener_get_redirect_uri (self->listener), self->state,
    challenge, "S256", self->resource, scope[0] != '\0' ? scope : NULL,
  };
  g_autoptr(GBytes) query = mc_http_form_encodev (names, values, G_N_ELEMENTS (names));
  const char *endpoint = self->as->authorization_endpoint;

  return g_strdup_printf ("%s%c%.*s", endpoint, strchr (endpoint, '?') != NULL ? '&' : '?',
                          (int)g_bytes_get_size (query), (const char *)g_bytes_get_data (query, NULL));
}

static void
on_browser_opened (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!mc_uri_opener_open_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      fail_sign_in (task, MC_AUTH_ERROR_NO_BROWSER, "%s", error->message);
      return;
    }

  g_signal_emit (self, signals[SIGNAL_BROWSER_OPENED], 0);
  mc_loopback_listener_wait_async (self->listener, g_task_get_cancellable (task), on_callback, task);
}

static void
open_browser (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  g_autofree char *url = NULL;
  g_autoptr(McUrlVerdict) verdict = NULL;

  self->state = mc_oauth_random_token (STATE_BYTES);
  self->verifier = mc_pkce_new_verifier ();
  mc_loopback_listener_expect (self->listener, self->state, self->as->issuer,
                               self->as->authorization_response_iss_parameter_supported);

  url = build_authorization_url (self);
  verdict = mc_policy_judge_url (self->policy, url, NULL);
  if (mc_url_verdict_get_risk (verdict) == MC_URL_RISK_BLOCKED)
    {
      fail_sign_in (task, MC_AUTH_ERROR_DISCOVERY, "The sign-in page of %s is never opened: %s",
                    self->as->issuer, mc_url_verdict_get_reason (verdict));
      return;
    }

  g_message ("Sign-in for %s at %s: opening the browser", self->resource, self->as->issuer);
  mc_uri_opener_open_async (url, g_task_get_cancellable (task), on_browser_opened, task);
  memset (url, 0, strlen (url));
}

static void
on_client_secret (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(McTokenSecret) secret = NULL;

  /* A copy: the flow also holds secrets fresh from a registration, and
   * frees them all one way. */
  secret = mc_token_store_lookup_finish (result, &error);
  self->client_secret = g_strdup (secret);
  if (self->client_secret == NULL && error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (self->client_secret == NULL)
    {
      fail_sign_in (task, MC_AUTH_ERROR_NO_CLIENT,
                    "The client secret of %s for %s is not in the keyring; set it with "
                    "“mcp-consent client set … --client-secret-stdin”",
                    self->client->client_id, self->as->issuer);
      return;
    }

  open_browser (task);
}

static void
with_client_ready (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  McTokenKey key = {
    .resource = "",
    .issuer = self->client->issuer,
    .client = self->client->client_id,
    .app = "",
  };

  /* Secret-based methods need the secret; "none" never sends one. */
  if (g_strcmp0 (self->client->auth_method, "none") == 0)
    {
      open_browser (task);
      return;
    }

  mc_token_store_lookup_async (MC_TOKEN_KIND_CLIENT_SECRET, &key, g_task_get_cancellable (task),
                               on_client_secret, task);
}

static void
on_registrations_saved (GObject      *source_object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mc_client_registry_save_finish (MC_CLIENT_REGISTRY (source_object), result, &error))
    g_warning ("Could not save client registrations: %s", error->message);
}

static void
on_registered_secret_stored (GObject      *source_object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  GTask *task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!mc_token_store_store_finish (result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  mc_client_registry_remember_dynamic (self->clients, self->client);
  mc_client_registry_save_async (self->clients, NULL, on_registrations_saved, NULL);
  open_browser (task);
}

static void
on_registered (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(McHttpResponse) response = NULL;
  g_autoptr(McClientRegistration) registration = NULL;
  g_autoptr(GError) error = NULL;
  const char *body = NULL;
  gsize length = 0;

  response = mc_http_finish (MC_HTTP (source_object), result, &error);
  if (response == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      fail_sign_in (task, MC_AUTH_ERROR_REGISTRATION, "%s", error->message);
      return;
    }

  body = g_bytes_get_data (response->body, &length);
  if (response->status != 201 && response->status != 200)
    {
      g_autoptr(McOAuthError) oauth_error = mc_oauth_error_parse (body, length);
      g_autofree char *hint = NULL;

      /* The endpoint was a guess; say so, and what to do instead. */
      if (self->default_endpoints)
        hint = g_strdup_printf ("; the server publishes no authorization server metadata, and this is "
                                "only where MCP 2025-03-26 says registration would be: register a client "
                                "at the server and give it to the broker with "
                                "“mcp-consent client set --issuer %s --client-id ID”",
                                self->as->issuer);
      fail_sign_in (task, MC_AUTH_ERROR_REGISTRATION,
                    "%s refused to register the broker as a client (HTTP %u: %s)%s",
                    self->as->registration_endpoint, response->status,
                    oauth_error != NULL ? oauth_error->error : "no OAuth error given",
                    hint != NULL ? hint : "");
      return;
    }

  registration = mc_client_registration_parse (body, length, self->as->registration_endpoint, &error);
  if (registration == NULL)
    {
      fail_sign_in (task, MC_AUTH_ERROR_REGISTRATION, "%s", error->message);
      return;
    }

  g_clear_pointer (&self->client, mc_oauth_client_free);
  self->client = g_new0 (McOAuthClient, 1);
  self->client->source = MC_CLIENT_SOURCE_DYNAMIC;
  self->client->issuer = g_strdup (self->as->issuer);
  self->client->client_id = g_strdup (registration->client_id);
  /* RFC 7591 makes a missing method mean client_secret_basic, but a client
   * without a secret can only be the public client that was asked for. */
  self->client->auth_method = g_strdup (registration->client_secret != NULL
                                        ? registration->token_endpoint_auth_method : "none");
  self->client->redirect_uri = g_strdup (mc_loopback_listener_get_redirect_uri (self->listener));
  self->client->has_secret = registration->client_secret != NULL;
  self->client->secret_expires_at = registration->client_secret_expires_at;
  g_message ("Registered as client %s with %s", self->client->client_id, self->as->issuer);

  if (registration->client_secret != NULL)
    {
      McTokenKey key = { .resource = "", .issuer = self->as->issuer, .client = registration->client_id, .app = "" };

      self->client_secret = g_strdup (registration->client_secret);
      mc_token_store_store_async (MC_TOKEN_KIND_CLIENT_SECRET, &key, registration->client_secret,
                                  g_task_get_cancellable (task), on_registered_secret_stored, task);
      return;
    }

  mc_client_registry_remember_dynamic (self->clients, self->client);
  mc_client_registry_save_async (self->clients, NULL, on_registrations_saved, NULL);
  open_browser (task);
}

static void
register_client (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) body = NULL;
  char *text = NULL;
  gsize length = 0;

  /* RFC 7591 §2, as a native app (MCP 2026-07-28 requires
   * application_type; older servers ignore it). */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "client_name");
  json_builder_add_string_value (builder, "MCP Consent Broker");
  json_builder_set_member_name (builder, "application_type");
  json_builder_add_string_value (builder, "native");
  json_builder_set_member_name (builder, "redirect_uris");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, mc_loopback_listener_get_redirect_uri (self->listener));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "grant_types");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "authorization_code");
  json_builder_add_string_value (builder, "refresh_token");
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "response_types");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "code");
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "token_endpoint_auth_method");
  json_builder_add_string_value (builder, "none");
  json_builder_set_member_name (builder, "software_id");
  json_builder_add_string_value (builder, APP_ID);
  json_builder_set_member_name (builder, "software_version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  body = g_bytes_new_take (text, length);

  g_debug ("Registering with %s", self->as->registration_endpoint);
  mc_http_post_async (self->http, self->as->registration_endpoint, "application/json", body, NULL,
                      g_task_get_cancellable (task), on_registered, task);
}

static guint16
port_of (const char *redirect_uri)
{
  g_autoptr(GUri) uri = redirect_uri != NULL ? g_uri_parse (redirect_uri, G_URI_FLAGS_NONE, NULL) : NULL;

  return uri != NULL && g_uri_get_port (uri) > 0 ? (guint16)g_uri_get_port (uri) : 0;
}

static void
on_listener_rejected (McLoopbackListener *listener,
                      const char         *reason,
                      gpointer            user_data)
{
  mc_audit_listener_rejected (mc_loopback_listener_get_port (listener), reason);
}

static void
open_listener (GTask *task)
{
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  guint16 port = self->client != NULL ? port_of (self->client->redirect_uri) : 0;

  /* Servers that match redirect URIs exactly get the registered port
   * again; others any free one (RFC 8252 §7.3). */
  self->listener = mc_loopback_listener_new (port, &error);
  if (self->listener == NULL && port != 0 &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) &&
      self->client->source == MC_CLIENT_SOURCE_DYNAMIC)
    {
      /* Our registration's port is taken: register again on a free one. */
      g_message ("Redirect port %u is taken; registering a new client with %s", port, self->as->issuer);
      mc_client_registry_forget_dynamic (self->clients, self->as->issuer);
      g_clear_pointer (&self->client, mc_oauth_client_free);
      g_clear_error (&error);
      self->listener = mc_loopback_listener_new (0, &error);
    }

  if (self->listener != NULL)
    g_signal_connect (self->listener, "rejected", G_CALLBACK (on_listener_rejected), NULL);

  if (self->listener == NULL)
    {
      if (port != 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        fail_sign_in (task, MC_AUTH_ERROR_REDIRECT_PORT,
                      "The redirect port %u registered for %s is in use by another program", port,
                      self->as->issuer);
      else
        fail_sign_in (task, MC_AUTH_ERROR_AUTHORIZATION, "Could not listen for the sign-in's redirect: %s",
                      error->message);
      return;
    }

  if (self->client == NULL)
    register_client (task);
  else
    with_client_ready (task);
}

static void
on_config_loaded (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  McAuthFlow *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  const char *metadata_url = NULL;

  if (!mc_client_registry_load_config_finish (MC_CLIENT_REGISTRY (source_object), result, &error))
    {
      fail_sign_in (task, MC_AUTH_ERROR_NO_CLIENT, "%s", error->message);
      return;
    }

  /* MCP §Client Registration Approaches: pre-registered, then a client ID
   * metadata document when the server takes one, then dynamic. */
  self->client = mc_client_registry_find_pre_registered (self->clients, self->as->issuer, self->resource);
  if (self->client == NULL)
    {
      metadata_url = mc_client_registry_get_metadata_url (self->clients);
      if (metadata_url != NULL && self->as->client_id_metadata_document_supported)
        {
          self->client = g_new0 (McOAuthClient, 1);
          self->client->source = MC_CLIENT_SOURCE_METADATA_DOCUMENT;
          self->client->issuer = g_strdup ("");
          self->client->client_id = g_strdup (metadata_url);
          self->client->auth_method = g_strdup ("none");
        }
    }
  if (self->client == NULL)
    self->client = mc_client_registry_find_dynamic (self->clients, self->as->issuer);

  if (self->client == NULL && self->as->registration_endpoint == NULL)
    {
      fail_sign_in (task, MC_AUTH_ERROR_NO_CLIENT,
                    "%s offers no client registration; register a client there and give it to the broker "
                    "with “mcp-consent client set --issuer %s --client-id ID”",
                    self->as->issuer, self->as->issuer);
      return;
    }

  if (self->client != NULL)
    g_debug ("Using client %s with %s", self->client->client_id, self->as->issuer);
  open_listener (task);
}

/**
 * mc_auth_flow_sign_in_async:
 * @self: a discovered #McAuthFlow
 * @allowed_scopes: the scopes the user left ticked (a subset of those
 *   asked)
 * @cancellable: (nullable): a #GCancellable; cancelling ends the sign-in
 *   and closes the listener
 * @callback: called with the #McGrant
 * @user_data: data for @callback
 *
 * Signs in: the rest of the flow after the user's consent.
 */
void
mc_auth_flow_sign_in_async (McAuthFlow          *self,
                            const char * const  *allowed_scopes,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = NULL;
  g_auto(GStrv) allowed = NULL;

  g_return_if_fail (MC_IS_AUTH_FLOW (self));
  g_return_if_fail (self->as != NULL);
  g_return_if_fail (allowed_scopes != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_auth_flow_sign_in_async);

  /* Only what was asked can be allowed, whatever the dialog said. */
  allowed = g_strdupv ((char **)allowed_scopes);
  {
    g_auto(GStrv) outside = mc_oauth_scopes_minus ((const char * const *)allowed,
                                                   (const char * const *)self->scopes_to_ask);

    if (outside[0] != NULL)
      {
        fail_sign_in (task, MC_AUTH_ERROR_AUTHORIZATION, "The dialog allowed scopes that were not asked for");
        return;
      }
  }
  self->requested_scopes = mc_oauth_scopes_union ((const char * const *)self->granted_scopes,
                                                  (const char * const *)allowed);

  /* No scope parameter gets the server's default scopes: more than the
   * user chose, when there was something to choose. The dialog never
   * allows that; a broken one must not either. */
  if (self->requested_scopes[0] == NULL && self->scopes_to_ask[0] != NULL)
    {
      fail_sign_in (task, MC_AUTH_ERROR_AUTHORIZATION, "The dialog allowed none of the scopes asked for");
      return;
    }

  mc_client_registry_load_config_async (self->clients, cancellable, on_config_loaded, task);
}

/**
 * mc_auth_flow_sign_in_finish:
 * @self: a #McAuthFlow
 * @result: the result
 * @error: return location for an %MC_AUTH_ERROR, %MC_ERROR or
 *   %G_IO_ERROR_CANCELLED error
 *
 * Returns: (transfer full): the grant, its tokens in the keyring
 */
McGrant *
mc_auth_flow_sign_in_finish (McAuthFlow    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (MC_IS_AUTH_FLOW (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (self->listener != NULL)
    mc_loopback_listener_close (self->listener);
  return g_task_propagate_pointer (G_TASK (result), error);
}
