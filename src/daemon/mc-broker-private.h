/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-auth-flow.h"
#include "mc-broker.h"
#include "mc-fair-queue.h"
#include "mc-peer-tracker.h"
#include "mc-policy-monitor.h"
#include "mc-prompt.h"
#include "mc-token-service.h"

G_BEGIN_DECLS

/* McBroker is one object in two files: mc-broker.c has the prompt life
 * cycle and the URL methods, mc-broker-oauth.c the authorization ones. */
struct _McBroker
{
  McDbusBroker1Skeleton  parent_instance;

  GDBusConnection       *connection;
  McPeerTracker         *peers;
  McFairQueue           *queue;
  McPrompterClient      *prompter;
  McRemembered          *remembered;
  McAuthServices         auth;
  McTokenService        *tokens;
  McPolicyMonitor       *policy;

  /* prompt id → McPrompt, for every prompt not yet done. */
  GHashTable            *prompts;
  /* completion key → McPrompt waiting in the "finish in your browser"
   * state for CompleteElicitation. */
  GHashTable            *completions;
  /* app identity U+001F resource → GArray of monotonic times of recent
   * Authorize calls, to stop sign-in loops. */
  GHashTable            *authorize_attempts;
  /* The prompt that holds the screen (showing, or opening the browser). */
  McPrompt              *current;
  guint                  process_queue_id;
  gboolean               shut_down;
};

/* Methods that only need to know who calls share this. */
typedef void (*McCallerHandler) (McBroker              *self,
                                 GDBusMethodInvocation *invocation,
                                 McCallerInfo          *caller,
                                 GVariant              *arguments);

gboolean    mc_broker_check_string_length  (const char            *name,
                                            const char            *value,
                                            gsize                  max_length,
                                            GError               **error);
void        mc_broker_with_caller          (McBroker              *self,
                                            GDBusMethodInvocation *invocation,
                                            GVariant              *arguments,
                                            McCallerHandler        handler);
const char *mc_broker_visible_identity     (McCallerInfo          *caller);
guint       mc_broker_count_pending_for_key (McBroker             *self,
                                            const char            *queue_key);
void        mc_broker_log_decision         (McPrompt              *prompt,
                                            const char            *decision);
void        mc_broker_track_prompt         (McBroker              *self,
                                            McPrompt              *prompt);
void        mc_broker_queue_prompt         (McBroker              *self,
                                            McPrompt              *prompt);
void        mc_broker_forget_prompt        (McBroker              *self,
                                            McPrompt              *prompt);
void        mc_broker_release_screen       (McBroker              *self,
                                            McPrompt              *prompt);
McPolicy   *mc_broker_get_policy           (McBroker              *self);
void        mc_broker_refuse_audited       (GDBusMethodInvocation *invocation,
                                            GError                *error);
gboolean    mc_broker_check_caller_policy  (McBroker              *self,
                                            McCallerInfo          *caller,
                                            GError               **error);

/* mc-broker-oauth.c */
GVariant   *mc_broker_authorize_failure    (const char            *reason,
                                            const char            *message);
void        mc_broker_authorize_answered   (McBroker              *self,
                                            McPrompt              *prompt,
                                            const char            *answer,
                                            GVariant              *results);
void        mc_broker_finish_authorize     (McBroker              *self,
                                            McPrompt              *prompt,
                                            McResponse             response,
                                            const char            *reason,
                                            const char            *message);
gboolean    mc_broker_handle_authorize     (McDbusBroker1         *object,
                                            GDBusMethodInvocation *invocation,
                                            const char            *parent_window,
                                            const char            *resource_url,
                                            GVariant              *arg_options);
gboolean    mc_broker_handle_get_token     (McDbusBroker1         *object,
                                            GDBusMethodInvocation *invocation,
                                            const char            *resource_url,
                                            GVariant              *arg_options);
gboolean    mc_broker_handle_list_grants   (McDbusBroker1         *object,
                                            GDBusMethodInvocation *invocation);
gboolean    mc_broker_handle_revoke_grant  (McDbusBroker1         *object,
                                            GDBusMethodInvocation *invocation,
                                            const char            *grant_id);

/* mc-broker-audit.c */
gboolean    mc_broker_handle_list_audit_events (McDbusBroker1     *object,
                                            GDBusMethodInvocation *invocation,
                                            GVariant              *arg_options);

G_END_DECLS
