/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-audit-events.h"
#include "mc-audit-reader.h"
#include "mc-url-verdict.h"

/* What each event puts in the audit log (docs/audit.md has the fields).
 * The rule for all of them: who, what, where and the outcome — never a
 * token, code, verifier, state, client secret, or the query of a URL,
 * where sign-in URLs carry their codes and states. */

/**
 * mc_audit_describe_url:
 * @url: a URL
 * @out_sha256: (out) (transfer full): the SHA-256 of the whole @url, in
 *   hexadecimal
 *
 * Returns: (transfer full): @url as scheme, host, port and path only: no
 *   user information, query or fragment
 */
char *
mc_audit_describe_url (const char  *url,
                       char       **out_sha256)
{
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  g_autofree char *path = NULL;
  int port = -1;

  g_return_val_if_fail (url != NULL, NULL);

  /* The hash lets an admin match a URL they hold without the log
   * holding it. */
  *out_sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, url, -1);

  if (!g_uri_split (url, G_URI_FLAGS_ENCODED, &scheme, NULL, &host, &port, &path, NULL, NULL, NULL) ||
      scheme == NULL || host == NULL)
    return g_strdup ("(not a URL)");

  /* No user information, query or fragment; IPv6 hosts bracketed. */
  return g_uri_join (G_URI_FLAGS_ENCODED, scheme, NULL, host, port, path, NULL, NULL);
}

static void
add_caller (McAuditRecord *record,
            McCallerInfo  *caller)
{
  mc_audit_record_add_string (record, "app", mc_caller_info_get_identity_key (caller));
  mc_audit_record_add_string (record, "app_id", mc_caller_info_get_app_id (caller));
  mc_audit_record_add_string (record, "caller_kind", mc_caller_kind_to_string (mc_caller_info_get_kind (caller)));
}

static void
add_url (McAuditRecord *record,
         const char    *key,
         const char    *url)
{
  g_autofree char *sha256 = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *sha_key = g_strconcat (key, "_sha256", NULL);

  if (url == NULL)
    return;
  shown = mc_audit_describe_url (url, &sha256);
  mc_audit_record_add_string (record, key, shown);
  mc_audit_record_add_string (record, sha_key, sha256);
}

/* Which prompt, of which kind, and who asked: what every prompt's record
 * starts with. */
static McAuditRecord *
prompt_header (McAuditKind  kind,
               McPrompt    *prompt)
{
  McAuditRecord *record = mc_audit_record_new (kind);

  mc_audit_record_add_string (record, "prompt", mc_prompt_get_id (prompt));
  mc_audit_record_add_string (record, "type",
                              mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE ? "authorize" : "url");
  add_caller (record, mc_prompt_get_caller (prompt));
  return record;
}

/* Who asks, for what, and what the broker made of the URL. */
static McAuditRecord *
prompt_record (McAuditKind  kind,
               McPrompt    *prompt)
{
  McAuditRecord *record = prompt_header (kind, prompt);
  McUrlVerdict *verdict = mc_prompt_get_verdict (prompt);

  if (mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE)
    mc_audit_record_add_string (record, "resource", mc_prompt_get_server_url (prompt));
  else
    {
      mc_audit_record_add_string (record, "server", mc_prompt_get_server_name (prompt));
      mc_audit_record_add_string (record, "server_url", mc_prompt_get_server_url (prompt));
    }

  /* Before discovery, a sign-in has no URL yet. */
  if (verdict != NULL && mc_prompt_get_url (prompt) != NULL)
    {
      add_url (record, "url", mc_prompt_get_url (prompt));
      mc_audit_record_add_string (record, "host", mc_url_verdict_get_host (verdict));
      mc_audit_record_add_string (record, "registrable_domain", mc_url_verdict_get_registrable_domain (verdict));
      mc_audit_record_add_string (record, "risk", mc_url_risk_to_string (mc_url_verdict_get_risk (verdict)));
      mc_audit_record_add_strv (record, "flags", mc_url_verdict_get_flags (verdict));
    }
  return record;
}

static void
append (McAuditRecord *record)
{
  McAuditLog *log = mc_audit_log_get_default ();

  if (log == NULL)
    {
      mc_audit_record_free (record);
      return;
    }
  mc_audit_log_append (log, record);
}

/* The scopes the consent dialog offered, from the flow's discovery. */
static void
add_consent_scopes (McAuditRecord *record,
                    McPrompt      *prompt)
{
  McAuthFlow *flow = mc_prompt_get_auth_flow (prompt);
  g_autoptr(GVariant) consent = NULL;
  g_autofree const char **asked = NULL;
  const char *issuer = NULL;

  if (flow == NULL)
    return;
  consent = g_variant_ref_sink (mc_auth_flow_get_consent_details (flow));
  if (g_variant_lookup (consent, "issuer", "&s", &issuer))
    mc_audit_record_add_string (record, "issuer", issuer);
  if (g_variant_lookup (consent, "scopes", "^a&s", &asked))
    mc_audit_record_add_strv (record, "scopes_asked", asked);
}

void
mc_audit_prompt_shown (McPrompt *prompt)
{
  McAuditRecord *record = NULL;

  g_return_if_fail (MC_IS_PROMPT (prompt));

  if (mc_audit_log_get_default () == NULL)
    return;
  record = prompt_record (MC_AUDIT_PROMPT_SHOWN, prompt);
  add_consent_scopes (record, prompt);
  append (record);
}

#define ALLOWED_SCOPES_KEY "mc-audit-allowed-scopes"
#define ENDED_KEY "mc-audit-ended"

/**
 * mc_audit_user_decision:
 * @prompt: the prompt answered
 * @decision: "open", "open-always", "decline", "dismiss" or "allow"
 * @allowed_scopes: (nullable): for "allow", the scopes the user left ticked
 */
void
mc_audit_user_decision (McPrompt           *prompt,
                        const char         *decision,
                        const char * const *allowed_scopes)
{
  McAuditRecord *record = NULL;

  g_return_if_fail (MC_IS_PROMPT (prompt));
  g_return_if_fail (decision != NULL);

  /* Kept for the authorization record, which says asked, allowed and
   * granted together. */
  if (allowed_scopes != NULL)
    g_object_set_data_full (G_OBJECT (prompt), ALLOWED_SCOPES_KEY,
                            g_strdupv ((char **)allowed_scopes), (GDestroyNotify)g_strfreev);

  if (mc_audit_log_get_default () == NULL)
    return;
  record = prompt_header (MC_AUDIT_USER_DECISION, prompt);
  mc_audit_record_add_string (record, "decision", decision);
  if (allowed_scopes != NULL)
    mc_audit_record_add_strv (record, "scopes_allowed", allowed_scopes);
  append (record);
}

/**
 * mc_audit_prompt_ended:
 * @prompt: a prompt that ends without the user's say (or after it)
 * @outcome: the "reason" its caller gets ("timeout", "withdrawn",
 *   "completed", "broker-exit", …)
 * @message: (nullable): what happened, for people
 */
void
mc_audit_prompt_ended (McPrompt   *prompt,
                       const char *outcome,
                       const char *message)
{
  McAuditRecord *record = NULL;

  g_return_if_fail (MC_IS_PROMPT (prompt));

  /* A prompt ends once: at exit, the dialog going away afterwards does
   * not end it again. */
  if (mc_audit_log_get_default () == NULL || g_object_get_data (G_OBJECT (prompt), ENDED_KEY) != NULL)
    return;
  g_object_set_data (G_OBJECT (prompt), ENDED_KEY, GINT_TO_POINTER (TRUE));
  record = prompt_header (MC_AUDIT_PROMPT_ENDED, prompt);
  mc_audit_record_add_string (record, "outcome", outcome);
  mc_audit_record_add_string (record, "message", message);
  append (record);
}

void
mc_audit_browser_opened (McPrompt *prompt,
                         gboolean  remembered)
{
  McAuditRecord *record = NULL;

  g_return_if_fail (MC_IS_PROMPT (prompt));

  if (mc_audit_log_get_default () == NULL)
    return;
  record = prompt_record (MC_AUDIT_BROWSER_OPENED, prompt);
  if (remembered)
    mc_audit_record_add_bool (record, "always_allowed", TRUE);
  append (record);
}

/**
 * mc_audit_authorization:
 * @prompt: an authorization prompt
 * @grant: (nullable): the grant signed in to
 * @error: (nullable): why the sign-in failed, when @grant is %NULL
 *
 * Records the sign-in's outcome with the scopes asked, allowed and
 * granted, and, on success, the token issued.
 */
void
mc_audit_authorization (McPrompt      *prompt,
                        const McGrant *grant,
                        const GError  *error)
{
  McAuditRecord *record = NULL;
  const char * const *allowed = NULL;

  g_return_if_fail (MC_IS_PROMPT (prompt));
  g_return_if_fail ((grant == NULL) != (error == NULL));

  if (mc_audit_log_get_default () == NULL)
    return;

  allowed = g_object_get_data (G_OBJECT (prompt), ALLOWED_SCOPES_KEY);
  record = prompt_header (MC_AUDIT_AUTHORIZATION, prompt);
  mc_audit_record_add_string (record, "resource", mc_prompt_get_server_url (prompt));
  add_consent_scopes (record, prompt);
  if (allowed != NULL)
    mc_audit_record_add_strv (record, "scopes_allowed", allowed);
  if (grant != NULL)
    {
      mc_audit_record_add_string (record, "result", "granted");
      mc_audit_record_add_string (record, "grant", grant->id);
      mc_audit_record_add_strv (record, "scopes_granted", (const char * const *)grant->scopes);
    }
  else
    {
      mc_audit_record_add_string (record, "result", "failed");
      mc_audit_record_add_string (record, "message", error->message);
    }
  append (record);

  if (grant == NULL)
    return;

  record = mc_audit_record_new (MC_AUDIT_TOKEN_ISSUED);
  add_caller (record, mc_prompt_get_caller (prompt));
  mc_audit_record_add_string (record, "grant", grant->id);
  mc_audit_record_add_string (record, "resource", grant->resource);
  mc_audit_record_add_string (record, "issuer", grant->issuer);
  mc_audit_record_add_string (record, "client_id", grant->client_id);
  mc_audit_record_add_strv (record, "scopes", (const char * const *)grant->scopes);
  mc_audit_record_add_int (record, "expires_at", grant->expires_at);
  mc_audit_record_add_bool (record, "refresh_token", grant->has_refresh_token);
  append (record);
}

static McAuditRecord *
grant_record (McAuditKind    kind,
              const McGrant *grant)
{
  McAuditRecord *record = mc_audit_record_new (kind);

  mc_audit_record_add_string (record, "app", grant->app);
  mc_audit_record_add_string (record, "app_id", grant->app_id);
  mc_audit_record_add_string (record, "grant", grant->id);
  mc_audit_record_add_string (record, "resource", grant->resource);
  mc_audit_record_add_string (record, "issuer", grant->issuer);
  return record;
}

void
mc_audit_token_refreshed (const McGrant *grant)
{
  McAuditRecord *record = NULL;

  g_return_if_fail (grant != NULL);

  if (mc_audit_log_get_default () == NULL)
    return;
  record = grant_record (MC_AUDIT_TOKEN_REFRESHED, grant);
  mc_audit_record_add_strv (record, "scopes", (const char * const *)grant->scopes);
  mc_audit_record_add_int (record, "expires_at", grant->expires_at);
  append (record);
}

/**
 * mc_audit_token_refused:
 * @app: the identity of the app the token was for
 * @resource: the MCP server
 * @issuer: the authorization server that issued it
 * @extra_scopes: the scopes it had that the user did not allow
 * @during: "sign-in" or "refresh"
 * @revoked: whether it was also revoked at the server
 *
 * A token granting more than the user consented to was refused.
 */
void
mc_audit_token_refused (const char         *app,
                        const char         *resource,
                        const char         *issuer,
                        const char * const *extra_scopes,
                        const char         *during,
                        gboolean            revoked)
{
  McAuditRecord *record = NULL;

  if (mc_audit_log_get_default () == NULL)
    return;
  record = mc_audit_record_new (MC_AUDIT_TOKEN_REFUSED);
  mc_audit_record_add_string (record, "app", app);
  mc_audit_record_add_string (record, "resource", resource);
  mc_audit_record_add_string (record, "issuer", issuer);
  mc_audit_record_add_strv (record, "scopes_not_allowed", extra_scopes);
  mc_audit_record_add_string (record, "during", during);
  mc_audit_record_add_bool (record, "revoked", revoked);
  append (record);
}

void
mc_audit_token_revoked (const McGrant *grant,
                        McCallerInfo  *by,
                        gboolean       revoked_at_server,
                        guint          keyring_items_deleted)
{
  McAuditRecord *record = NULL;

  g_return_if_fail (grant != NULL);

  if (mc_audit_log_get_default () == NULL)
    return;
  record = grant_record (MC_AUDIT_TOKEN_REVOKED, grant);
  if (by != NULL)
    mc_audit_record_add_string (record, "by", mc_caller_info_get_identity_key (by));
  mc_audit_record_add_bool (record, "revoked_at_server", revoked_at_server);
  mc_audit_record_add_int (record, "keyring_items_deleted", keyring_items_deleted);
  append (record);
}

/**
 * mc_audit_token_served:
 * @caller: who called GetToken
 * @grant: the grant whose token it got
 * @refresh_asked: whether it asked for a new token
 *
 * Aggregated per app and grant per minute (mc_audit_log_append_aggregated()).
 *
 * Returns: whether a record was appended (and should be flushed before
 *   the answer)
 */
gboolean
mc_audit_token_served (McCallerInfo  *caller,
                       const McGrant *grant,
                       gboolean       refresh_asked)
{
  McAuditLog *log = mc_audit_log_get_default ();
  McAuditRecord *record = NULL;
  g_autofree char *key = NULL;

  g_return_val_if_fail (grant != NULL, FALSE);

  if (log == NULL)
    return FALSE;
  record = mc_audit_record_new (MC_AUDIT_TOKEN_SERVED);
  add_caller (record, caller);
  mc_audit_record_add_string (record, "grant", grant->id);
  mc_audit_record_add_string (record, "resource", grant->resource);
  if (refresh_asked)
    mc_audit_record_add_bool (record, "refresh_asked", TRUE);
  key = g_strjoin ("\x1f", mc_caller_info_get_identity_key (caller), grant->id, NULL);
  return mc_audit_log_append_aggregated (log, record, key);
}

/**
 * mc_audit_policy_blocked:
 * @caller: who asked
 * @server_name: (nullable): the MCP server, by name
 * @target: (nullable): the URL or resource the policy refused (logged
 *   without its query)
 * @rule: the policy rule that matched, as the policy file names it
 * @reason: (nullable): what the caller was told
 *
 * The admin policy refused a request: for the policy's code to call, one
 * call per block.
 */
void
mc_audit_policy_blocked (McCallerInfo *caller,
                         const char   *server_name,
                         const char   *target,
                         const char   *rule,
                         const char   *reason)
{
  McAuditRecord *record = NULL;

  g_return_if_fail (MC_IS_CALLER_INFO (caller));
  g_return_if_fail (rule != NULL);

  if (mc_audit_log_get_default () == NULL)
    return;
  record = mc_audit_record_new (MC_AUDIT_POLICY_BLOCKED);
  add_caller (record, caller);
  mc_audit_record_add_string (record, "server", server_name);
  add_url (record, "url", target);
  mc_audit_record_add_string (record, "rule", rule);
  mc_audit_record_add_string (record, "reason", reason);
  append (record);
}

/**
 * mc_audit_listener_rejected:
 * @port: the loopback listener's port
 * @reason: a short fixed phrase ("wrong state", "wrong path", …)
 *
 * The loopback redirect listener turned a request away.  Aggregated per
 * reason per minute: anything on the machine can send them.
 */
void
mc_audit_listener_rejected (guint16     port,
                            const char *reason)
{
  McAuditLog *log = mc_audit_log_get_default ();
  McAuditRecord *record = NULL;

  g_return_if_fail (reason != NULL);

  if (log == NULL)
    return;
  record = mc_audit_record_new (MC_AUDIT_LISTENER_REJECTED);
  mc_audit_record_add_int (record, "port", port);
  mc_audit_record_add_string (record, "reason", reason);
  mc_audit_log_append_aggregated (log, record, reason);
}

typedef struct
{
  McAuditFlushed callback;
  gpointer       user_data;
} FlushData;

static void
on_flushed (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree FlushData *data = user_data;
  g_autoptr(GError) error = NULL;
  gboolean written;

  written = mc_audit_log_flush_finish (MC_AUDIT_LOG (source_object), result, &error);
  if (!written)
    g_warning ("Answering although the audit log could not be written: %s", error->message);
  data->callback (written, error, data->user_data);
}

/**
 * mc_audit_after_flush:
 * @callback: what to do once the events so far are written
 * @user_data: for @callback
 *
 * For the D-Bus answer an event caused: sent from @callback, it never
 * reaches the caller before the event's record is on disk.  Without a
 * log, @callback runs at once.
 */
void
mc_audit_after_flush (McAuditFlushed callback,
                      gpointer       user_data)
{
  McAuditLog *log = mc_audit_log_get_default ();
  FlushData *data = NULL;

  g_return_if_fail (callback != NULL);

  if (log == NULL)
    {
      callback (TRUE, NULL, user_data);
      return;
    }

  data = g_new0 (FlushData, 1);
  data->callback = callback;
  data->user_data = user_data;
  mc_audit_log_flush_async (log, NULL, on_flushed, data);
}
