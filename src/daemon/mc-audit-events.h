/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-audit-log.h"
#include "mc-caller-info.h"
#include "mc-grant-store.h"
#include "mc-prompt.h"

G_BEGIN_DECLS

/* One call per event, into the daemon's audit log (mc_audit_log_get_default());
 * each does nothing when there is none.  None of them takes a secret. */

char *mc_audit_describe_url        (const char          *url,
                                    char               **out_sha256);

void  mc_audit_prompt_shown        (McPrompt            *prompt);
void  mc_audit_user_decision       (McPrompt            *prompt,
                                    const char          *decision,
                                    const char * const  *allowed_scopes);
void  mc_audit_prompt_ended        (McPrompt            *prompt,
                                    const char          *outcome,
                                    const char          *message);
void  mc_audit_browser_opened      (McPrompt            *prompt,
                                    gboolean             remembered);
void  mc_audit_authorization       (McPrompt            *prompt,
                                    const McGrant       *grant,
                                    const GError        *error);
void  mc_audit_token_refreshed     (const McGrant       *grant);
void  mc_audit_token_refused       (const char          *app,
                                    const char          *resource,
                                    const char          *issuer,
                                    const char * const  *extra_scopes,
                                    const char          *during,
                                    gboolean             revoked);
void  mc_audit_token_revoked       (const McGrant       *grant,
                                    McCallerInfo        *by,
                                    gboolean             revoked_at_server,
                                    guint                keyring_items_deleted);
gboolean mc_audit_token_served     (McCallerInfo        *caller,
                                    const McGrant       *grant,
                                    gboolean             refresh_asked);
void  mc_audit_policy_blocked      (McCallerInfo        *caller,
                                    const char          *server_name,
                                    const char          *target,
                                    const char          *rule,
                                    const char          *reason);
void  mc_audit_listener_rejected   (guint16              port,
                                    const char          *reason);

/* Called with whether everything recorded so far is written. */
typedef void (*McAuditFlushed) (gboolean      written,
                                const GError *error,
                                gpointer      user_data);

void  mc_audit_after_flush         (McAuditFlushed       callback,
                                    gpointer             user_data);

G_END_DECLS
