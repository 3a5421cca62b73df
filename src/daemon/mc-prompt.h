/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-auth-flow.h"
#include "mc-caller-info.h"
#include "mc-request.h"
#include "mc-url-verdict.h"

G_BEGIN_DECLS

/**
 * McPromptState:
 * @MC_PROMPT_STATE_QUEUED: waiting for its turn on screen
 * @MC_PROMPT_STATE_SHOWING: the dialog shows it
 * @MC_PROMPT_STATE_OPENING: the user chose Open; the browser is starting
 * @MC_PROMPT_STATE_OPENED: answered "accept"; the "finish in your browser"
 *   notice waits for completion
 * @MC_PROMPT_STATE_DONE: nothing more will happen
 */
/**
 * McPromptKind:
 * @MC_PROMPT_KIND_URL: ElicitUrl: open a URL
 * @MC_PROMPT_KIND_AUTHORIZE: Authorize: sign in to an MCP server
 */
typedef enum
{
  MC_PROMPT_KIND_URL,
  MC_PROMPT_KIND_AUTHORIZE,
} McPromptKind;

/**
 * McPromptState:
 * @MC_PROMPT_STATE_DISCOVERING: (authorize) finding the authorization
 *   server, before the prompt can be queued
 * @MC_PROMPT_STATE_QUEUED: waiting for the dialog
 * @MC_PROMPT_STATE_SHOWING: in the dialog
 * @MC_PROMPT_STATE_OPENING: starting the browser (or, for authorize,
 *   registering and starting the browser)
 * @MC_PROMPT_STATE_OPENED: the browser has the URL (for authorize: the
 *   sign-in is under way there)
 * @MC_PROMPT_STATE_DONE: answered and forgotten
 */
typedef enum
{
  MC_PROMPT_STATE_DISCOVERING,
  MC_PROMPT_STATE_QUEUED,
  MC_PROMPT_STATE_SHOWING,
  MC_PROMPT_STATE_OPENING,
  MC_PROMPT_STATE_OPENED,
  MC_PROMPT_STATE_DONE,
} McPromptState;

#define MC_TYPE_PROMPT (mc_prompt_get_type ())

G_DECLARE_FINAL_TYPE (McPrompt, mc_prompt, MC, PROMPT, GObject)

McPrompt      *mc_prompt_new                  (McRequest     *request,
                                               McCallerInfo  *caller,
                                               GVariant      *server,
                                               const char    *url,
                                               const char    *message,
                                               McUrlVerdict  *verdict,
                                               const char    *elicitation_id,
                                               guint          timeout_seconds);
McPrompt      *mc_prompt_new_authorize        (McRequest     *request,
                                               McCallerInfo  *caller,
                                               const char    *resource,
                                               guint          timeout_seconds);
void           mc_prompt_set_auth_flow        (McPrompt      *self,
                                               McAuthFlow    *flow);
McAuthFlow    *mc_prompt_get_auth_flow        (McPrompt      *self);
McPromptKind   mc_prompt_get_kind             (McPrompt      *self);
GCancellable  *mc_prompt_get_cancellable      (McPrompt      *self);
const char    *mc_prompt_get_id               (McPrompt      *self);
McRequest     *mc_prompt_get_request          (McPrompt      *self);
McCallerInfo  *mc_prompt_get_caller           (McPrompt      *self);
const char    *mc_prompt_get_sender           (McPrompt      *self);
const char    *mc_prompt_get_queue_key        (McPrompt      *self);
const char    *mc_prompt_get_server_name      (McPrompt      *self);
const char    *mc_prompt_get_server_url       (McPrompt      *self);
const char    *mc_prompt_get_url              (McPrompt      *self);
McUrlVerdict  *mc_prompt_get_verdict          (McPrompt      *self);
const char    *mc_prompt_get_domain           (McPrompt      *self);
const char    *mc_prompt_get_elicitation_id   (McPrompt      *self);
guint          mc_prompt_get_timeout          (McPrompt      *self);
McPromptState  mc_prompt_get_state            (McPrompt      *self);
void           mc_prompt_set_state            (McPrompt      *self,
                                               McPromptState  state);
gboolean       mc_prompt_get_can_remember     (McPrompt      *self);
void           mc_prompt_set_always_allow_forbidden (McPrompt *self,
                                               gboolean       forbidden);
void           mc_prompt_set_remembered_id    (McPrompt      *self,
                                               const char    *remembered_id);
const char    *mc_prompt_get_remembered_id    (McPrompt      *self);
char          *mc_prompt_dup_completion_key   (McPrompt      *self);
void           mc_prompt_set_completed        (McPrompt      *self);
gboolean       mc_prompt_get_completed        (McPrompt      *self);
char          *mc_completion_key_new          (McCallerInfo  *caller,
                                               const char    *server_name,
                                               const char    *elicitation_id);
GVariant      *mc_prompt_build_details        (McPrompt      *self,
                                               guint          queued);
GVariant      *mc_prompt_build_pending        (McPrompt      *self);
gint64         mc_prompt_get_created          (McPrompt      *self);
void           mc_prompt_start_timer          (McPrompt      *self);
void           mc_prompt_stop_timer           (McPrompt      *self);
void           mc_prompt_respond              (McPrompt      *self,
                                               McResponse     response,
                                               GVariant      *results);

G_END_DECLS
