/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-broker-private.h"
#include "mc-audit-events.h"
#include "mc-broker-options.h"
#include "mc-error.h"
#include "mc-fair-queue.h"
#include "mc-options.h"
#include "mc-peer-tracker.h"
#include "mc-policy.h"
#include "mc-prompt.h"
#include "mc-request.h"
#include "mc-text.h"
#include "mc-uri-opener.h"
#include "mc-url-verdict.h"

#define MAX_PARENT_WINDOW_LENGTH 256
#define MAX_MESSAGE_LENGTH 16384

/* The io.github.mcp_consent.Broker1 implementation: validates what callers
 * send, identifies them, queues their prompts fairly, drives the dialog and
 * the browser, and answers each request exactly once. */

static void mc_broker_iface_init (McDbusBroker1Iface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (McBroker, mc_broker, MC_DBUS_TYPE_BROKER1_SKELETON,
                               G_IMPLEMENT_INTERFACE (MC_DBUS_TYPE_BROKER1, mc_broker_iface_init))

/* Argument validation {{{1 */

static const char *
dict_lookup_string (GVariantDict *dict,
                    const char   *key)
{
  const char *value = NULL;

  if (g_variant_dict_lookup (dict, key, "&s", &value) && value[0] != '\0')
    return value;
  return NULL;
}

gboolean
mc_broker_check_string_length (const char  *name,
                               const char  *value,
                               gsize        max_length,
                               GError     **error)
{
  gsize length = strlen (value);

  if (length > max_length)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "“%s” is %" G_GSIZE_FORMAT " bytes long; at most %" G_GSIZE_FORMAT " are accepted",
                   name, length, max_length);
      return FALSE;
    }
  return TRUE;
}

/* Policy {{{1 */

/**
 * mc_broker_get_policy:
 * @self: the broker
 *
 * Returns: (transfer none): the effective policy now (docs/policy.md)
 */
McPolicy *
mc_broker_get_policy (McBroker *self)
{
  /* Never without a policy. The daemon sets the monitor before serving
   * anyone; a broker made without one (no caller does that) reads the
   * files here, once, blocking. */
  if (self->policy == NULL)
    self->policy = mc_policy_monitor_new ();
  return mc_policy_monitor_get_policy (self->policy);
}

typedef struct
{
  GDBusMethodInvocation *invocation;
  GError                *error;
} Refusal;

static void
on_refusal_audited (gboolean      written,
                    const GError *audit_error,
                    gpointer      user_data)
{
  Refusal *refusal = user_data;

  /* The refusal stands whether or not its record could be written (the
   * log's own warning says so). */
  g_dbus_method_invocation_take_error (refusal->invocation, refusal->error);
  g_free (refusal);
}

/**
 * mc_broker_refuse_audited:
 * @invocation: (transfer full): the call to refuse
 * @error: (transfer full): why
 *
 * Answers @invocation with @error once the audit records so far — the
 * refusal's own among them — are written, as every answer an audited
 * event caused is (docs/audit.md).
 */
void
mc_broker_refuse_audited (GDBusMethodInvocation *invocation,
                          GError                *error)
{
  Refusal *refusal = g_new0 (Refusal, 1);

  g_return_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation));
  g_return_if_fail (error != NULL);

  refusal->invocation = invocation;
  refusal->error = error;
  mc_audit_after_flush (on_refusal_audited, refusal);
}

/**
 * mc_broker_check_caller_policy:
 * @self: the broker
 * @caller: who calls ElicitUrl, Authorize or GetToken
 * @error: return location for a %MC_ERROR_POLICY_DENIED error
 *
 * The policy's one decision about callers ("only-verified-callers").
 *
 * Returns: whether the policy lets @caller be served
 */
gboolean
mc_broker_check_caller_policy (McBroker      *self,
                               McCallerInfo  *caller,
                               GError       **error)
{
  const char *why = "The administrator’s policy accepts only apps the broker can identify; this program "
                    "could not be identified (see caller-identity.md)";

  if (!mc_policy_get_verified_callers_only (mc_broker_get_policy (self)) ||
      mc_caller_info_is_verified (caller))
    return TRUE;

  g_message ("Refused %s: the policy accepts only verified callers", mc_caller_info_get_identity_key (caller));
  mc_audit_policy_blocked (caller, NULL, NULL, "only-verified-callers", why);
  g_set_error_literal (error, MC_ERROR, MC_ERROR_POLICY_DENIED, why);
  return FALSE;
}

static void
on_policy_reloaded (McPolicyMonitor *policy,
                    const char      *path,
                    gboolean         applied,
                    McBroker        *self)
{
  if (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self)) != NULL)
    mc_dbus_broker1_emit_policy_reloaded (MC_DBUS_BROKER1 (self), path, applied);
}

/**
 * mc_broker_set_policy:
 * @self: the broker
 * @policy: the policy files, read and watched
 *
 * Applies @policy from now on, and tells the bus when it is read again.
 */
void
mc_broker_set_policy (McBroker        *self,
                      McPolicyMonitor *policy)
{
  g_return_if_fail (MC_IS_BROKER (self));
  g_return_if_fail (MC_IS_POLICY_MONITOR (policy));

  if (self->policy != NULL)
    g_signal_handlers_disconnect_by_data (self->policy, self);
  g_set_object (&self->policy, policy);
  g_signal_connect (self->policy, "reloaded", G_CALLBACK (on_policy_reloaded), self);
}

/* Results {{{1 */

static GVariant *
build_results (const char *action,
               const char *reason,
               gboolean    remembered)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&builder, "{sv}", "action", g_variant_new_string (action));
  if (reason != NULL)
    g_variant_builder_add (&builder, "{sv}", "reason", g_variant_new_string (reason));
  if (remembered)
    g_variant_builder_add (&builder, "{sv}", "remembered", g_variant_new_boolean (TRUE));

  return g_variant_builder_end (&builder);
}

void
mc_broker_log_decision (McPrompt   *prompt,
                        const char *decision)
{
  McUrlVerdict *verdict = mc_prompt_get_verdict (prompt);
  const char *app = mc_caller_info_get_identity_key (mc_prompt_get_caller (prompt));

  /* Before discovery there is no authorization server yet. */
  if (mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE)
    {
      g_message ("Sign-in %s from %s for %s at %s (%s): %s",
                 mc_prompt_get_id (prompt), app, mc_prompt_get_server_url (prompt),
                 verdict != NULL ? mc_url_verdict_get_host (verdict) : "(not yet known)",
                 verdict != NULL ? mc_url_risk_to_string (mc_url_verdict_get_risk (verdict)) : "-",
                 decision);
      return;
    }

  /* The host only: query strings of sign-in URLs can carry secrets. */
  g_message ("Prompt %s from %s for server “%s” to open %s (%s): %s",
             mc_prompt_get_id (prompt), app,
             mc_prompt_get_server_name (prompt),
             mc_url_verdict_get_host (verdict),
             mc_url_risk_to_string (mc_url_verdict_get_risk (verdict)),
             decision);
}

/* Prompt life cycle {{{1 */

static void schedule_process_queue (McBroker *self);

void
mc_broker_forget_prompt (McBroker *self,
                         McPrompt *prompt)
{
  g_autoptr(McPrompt) hold G_GNUC_UNUSED = g_object_ref (prompt);
  g_autofree char *completion_key = mc_prompt_dup_completion_key (prompt);

  mc_prompt_stop_timer (prompt);
  g_cancellable_cancel (mc_prompt_get_cancellable (prompt));
  mc_prompt_set_state (prompt, MC_PROMPT_STATE_DONE);
  mc_fair_queue_remove (self->queue, G_OBJECT (prompt));

  if (completion_key != NULL && g_hash_table_lookup (self->completions, completion_key) == prompt)
    g_hash_table_remove (self->completions, completion_key);

  g_signal_handlers_disconnect_by_data (prompt, self);
  g_signal_handlers_disconnect_by_data (mc_prompt_get_request (prompt), self);
  if (mc_prompt_get_auth_flow (prompt) != NULL)
    g_signal_handlers_disconnect_by_data (mc_prompt_get_auth_flow (prompt), self);
  g_hash_table_remove (self->prompts, mc_prompt_get_id (prompt));
  mc_broker_release_screen (self, prompt);
}

/* The prompt no longer needs the dialog: the next one may have it. */
void
mc_broker_release_screen (McBroker *self,
                          McPrompt *prompt)
{
  if (self->current == prompt)
    {
      g_clear_object (&self->current);
      schedule_process_queue (self);
    }
}

/* Answers the caller and ends the prompt. */
static void
finish_prompt (McBroker   *self,
               McPrompt   *prompt,
               McResponse  response,
               const char *action,
               const char *reason)
{
  if (mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE)
    {
      mc_broker_finish_authorize (self, prompt, response, reason != NULL ? reason : action, NULL);
      return;
    }

  mc_broker_log_decision (prompt, reason != NULL ? reason : action);
  mc_audit_prompt_ended (prompt, reason != NULL ? reason : action, NULL);
  mc_prompt_respond (prompt, response, build_results (action, reason, FALSE));
  mc_broker_forget_prompt (self, prompt);
}

/* Ends a prompt whose caller no longer wants an answer. */
static void
withdraw_prompt (McBroker *self,
                 McPrompt *prompt)
{
  McPromptState state = mc_prompt_get_state (prompt);

  mc_request_unexport (mc_prompt_get_request (prompt));

  /* A sign-in stops wherever it is: nobody would get its grant. */
  if (mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE)
    {
      if (state == MC_PROMPT_STATE_DONE)
        return;
      mc_broker_log_decision (prompt, "withdrawn by the caller");
      mc_audit_prompt_ended (prompt, "withdrawn", NULL);
      if (state != MC_PROMPT_STATE_DISCOVERING && state != MC_PROMPT_STATE_QUEUED)
        mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
      mc_broker_forget_prompt (self, prompt);
      return;
    }

  switch (state)
    {
    case MC_PROMPT_STATE_QUEUED:
    case MC_PROMPT_STATE_SHOWING:
      mc_broker_log_decision (prompt, "withdrawn by the caller");
      mc_audit_prompt_ended (prompt, "withdrawn", NULL);
      if (state == MC_PROMPT_STATE_SHOWING)
        mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
      mc_broker_forget_prompt (self, prompt);
      break;

    case MC_PROMPT_STATE_OPENING:
      /* The browser is starting; let it, the answer will go nowhere. */
      break;

    case MC_PROMPT_STATE_DISCOVERING:
    case MC_PROMPT_STATE_OPENED:
    case MC_PROMPT_STATE_DONE:
    default:
      break;
    }
}

static void
on_prompt_timed_out (McPrompt *prompt,
                     McBroker *self)
{
  g_autoptr(McPrompt) hold G_GNUC_UNUSED = g_object_ref (prompt);
  McPromptState state = mc_prompt_get_state (prompt);

  /* The timeout of a sign-in covers all of it, the browser part too. */
  if (mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE)
    {
      if (state == MC_PROMPT_STATE_DONE)
        return;
      if (state != MC_PROMPT_STATE_DISCOVERING && state != MC_PROMPT_STATE_QUEUED)
        mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
      finish_prompt (self, prompt, MC_RESPONSE_CANCELLED, "cancel", "timeout");
      return;
    }

  switch (state)
    {
    case MC_PROMPT_STATE_SHOWING:
      mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
      G_GNUC_FALLTHROUGH;
    case MC_PROMPT_STATE_QUEUED:
      finish_prompt (self, prompt, MC_RESPONSE_CANCELLED, "cancel", "timeout");
      break;

    case MC_PROMPT_STATE_OPENED:
      /* The "finish in your browser" wait is over; the answer went out. */
      mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
      mc_broker_forget_prompt (self, prompt);
      break;

    case MC_PROMPT_STATE_DISCOVERING:
    case MC_PROMPT_STATE_OPENING:
    case MC_PROMPT_STATE_DONE:
    default:
      break;
    }
}

static void
on_request_close_requested (McRequest *request,
                            McBroker  *self)
{
  GHashTableIter iter;
  McPrompt *prompt = NULL;

  g_hash_table_iter_init (&iter, self->prompts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&prompt))
    {
      if (mc_prompt_get_request (prompt) == request)
        {
          withdraw_prompt (self, prompt);
          return;
        }
    }
}

static void
on_peer_vanished (McPeerTracker *peers,
                  const char    *unique_name,
                  McBroker      *self)
{
  g_autoptr(GPtrArray) leaving = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  McPrompt *prompt = NULL;

  g_hash_table_iter_init (&iter, self->prompts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&prompt))
    {
      if (g_str_equal (mc_prompt_get_sender (prompt), unique_name))
        g_ptr_array_add (leaving, g_object_ref (prompt));
    }

  for (guint i = 0; i < leaving->len; i++)
    withdraw_prompt (self, g_ptr_array_index (leaving, i));
}

/* The browser {{{1 */

typedef struct
{
  McBroker *self;
  McPrompt *prompt;
  gboolean  remember;
} PromptData;

static PromptData *
prompt_data_new (McBroker *self,
                 McPrompt *prompt)
{
  PromptData *data = g_new0 (PromptData, 1);

  data->self = g_object_ref (self);
  data->prompt = g_object_ref (prompt);
  return data;
}

static void
prompt_data_free (PromptData *data)
{
  g_object_unref (data->self);
  g_object_unref (data->prompt);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PromptData, prompt_data_free)

static void
on_remembered_saved (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mc_remembered_save_finish (MC_REMEMBERED (source_object), result, &error))
    g_warning ("Could not save remembered decisions: %s", error->message);
}

static void
enter_opened_state (McBroker *self,
                    McPrompt *prompt)
{
  g_autofree char *completion_key = mc_prompt_dup_completion_key (prompt);

  mc_prompt_set_state (prompt, MC_PROMPT_STATE_OPENED);

  /* The server finished before the browser was started: nothing is left
   * to wait for, so the notice never goes up. */
  if (mc_prompt_get_completed (prompt))
    {
      mc_broker_log_decision (prompt, "completed by the server");
      mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
      mc_broker_forget_prompt (self, prompt);
      return;
    }

  if (completion_key != NULL)
    {
      McPrompt *older = g_hash_table_lookup (self->completions, completion_key);

      /* A server reusing an id replaces the older wait. */
      if (older != NULL)
        {
          mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (older));
          mc_broker_forget_prompt (self, older);
        }
      g_hash_table_insert (self->completions, g_steal_pointer (&completion_key), g_object_ref (prompt));
    }

  mc_prompt_start_timer (prompt);
  mc_prompter_client_show_opened (self->prompter,
                                  mc_prompt_get_id (prompt),
                                  mc_prompt_build_details (prompt, mc_fair_queue_get_length (self->queue)));
  mc_broker_release_screen (self, prompt);
}

static void
on_browser_launched (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PromptData) data = user_data;
  McBroker *self = data->self;
  McPrompt *prompt = data->prompt;
  g_autoptr(GError) error = NULL;
  gboolean remembered = mc_prompt_get_remembered_id (prompt) != NULL;

  if (self->shut_down || mc_prompt_get_state (prompt) != MC_PROMPT_STATE_OPENING)
    return;

  if (!mc_uri_opener_open_finish (result, &error))
    {
      g_warning ("Could not open %s in a browser: %s",
                 mc_url_verdict_get_host (mc_prompt_get_verdict (prompt)), error->message);
      mc_prompter_client_show_open_failed (self->prompter, mc_prompt_get_id (prompt), error->message);
      finish_prompt (self, prompt, MC_RESPONSE_CANCELLED, "cancel", "no-browser");
      return;
    }

  if (data->remember)
    {
      const char *remembered_id = NULL;
      McCallerInfo *caller = mc_prompt_get_caller (prompt);

      remembered_id = mc_remembered_add (self->remembered,
                                         mc_caller_info_get_identity_key (caller),
                                         mc_caller_info_get_app_id (caller),
                                         mc_prompt_get_server_name (prompt),
                                         mc_prompt_get_server_url (prompt),
                                         mc_prompt_get_domain (prompt),
                                         mc_url_verdict_get_risk (mc_prompt_get_verdict (prompt)));
      mc_prompt_set_remembered_id (prompt, remembered_id);
      mc_remembered_save_async (self->remembered, NULL, on_remembered_saved, NULL);
    }

  mc_broker_log_decision (prompt, remembered ? "opened (always allowed)" : data->remember ? "opened, always allow" : "opened");
  mc_audit_browser_opened (prompt, remembered);
  mc_prompt_respond (prompt, MC_RESPONSE_SUCCESS, build_results ("accept", NULL, remembered));
  enter_opened_state (self, prompt);
}

static void
open_in_browser (McBroker *self,
                 McPrompt *prompt,
                 gboolean  remember)
{
  PromptData *data = prompt_data_new (self, prompt);

  data->remember = remember;

  mc_prompt_set_state (prompt, MC_PROMPT_STATE_OPENING);

  /* GIO's default handler for the scheme — the OpenURI portal inside
   * Flatpak: no shell, no web view, nothing the caller can script. */
  mc_uri_opener_open_async (mc_prompt_get_url (prompt), NULL, on_browser_launched, data);
}

/* The dialog {{{1 */

static void
on_prompt_shown (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PromptData) data = user_data;
  McPrompterClient *prompter = MC_PROMPTER_CLIENT (source_object);
  g_autoptr(GError) error = NULL;

  if (mc_prompter_client_show_prompt_finish (prompter, result, &error))
    return;

  g_warning ("Could not show prompt %s: %s", mc_prompt_get_id (data->prompt), error->message);
  if (!data->self->shut_down && mc_prompt_get_state (data->prompt) == MC_PROMPT_STATE_SHOWING)
    finish_prompt (data->self, data->prompt, MC_RESPONSE_CANCELLED, "cancel", "prompter-failed");
}

static gboolean
process_queue (gpointer user_data)
{
  McBroker *self = MC_BROKER (user_data);
  g_autoptr(GObject) next = NULL;
  McPrompt *prompt = NULL;

  self->process_queue_id = 0;

  if (self->current != NULL || self->shut_down)
    return G_SOURCE_REMOVE;

  next = mc_fair_queue_pop (self->queue);
  if (next == NULL)
    return G_SOURCE_REMOVE;

  prompt = MC_PROMPT (next);
  self->current = g_object_ref (prompt);
  mc_prompt_set_state (prompt, MC_PROMPT_STATE_SHOWING);
  mc_broker_log_decision (prompt, "shown");
  mc_audit_prompt_shown (prompt);

  mc_prompter_client_show_prompt_async (self->prompter,
                                        mc_prompt_get_id (prompt),
                                        mc_prompt_build_details (prompt, mc_fair_queue_get_length (self->queue)),
                                        NULL,
                                        on_prompt_shown,
                                        prompt_data_new (self, prompt));
  return G_SOURCE_REMOVE;
}

static void
schedule_process_queue (McBroker *self)
{
  /* From an idle, so a Response never overtakes the reply that carries
   * its request's path, and answers do not recurse into the next prompt. */
  if (self->process_queue_id == 0 && !self->shut_down)
    self->process_queue_id = g_idle_add (process_queue, self);
}

static void
on_prompter_answered (McPrompterClient *prompter,
                      const char       *prompt_id,
                      const char       *answer,
                      GVariant         *results,
                      McBroker         *self)
{
  McPrompt *prompt = g_hash_table_lookup (self->prompts, prompt_id);
  g_autoptr(McPrompt) hold = NULL;

  if (prompt == NULL || prompt != self->current || mc_prompt_get_state (prompt) != MC_PROMPT_STATE_SHOWING)
    {
      g_debug ("Ignoring answer “%s” for prompt %s that is not showing", answer, prompt_id);
      return;
    }
  hold = g_object_ref (prompt);

  if (mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE)
    {
      mc_broker_authorize_answered (self, prompt, answer, results);
      return;
    }

  mc_audit_user_decision (prompt, answer, NULL);
  if (g_str_equal (answer, "open"))
    open_in_browser (self, prompt, FALSE);
  else if (g_str_equal (answer, "open-always"))
    open_in_browser (self, prompt, mc_prompt_get_can_remember (prompt));
  else if (g_str_equal (answer, "decline"))
    finish_prompt (self, prompt, MC_RESPONSE_DECLINED, "decline", NULL);
  else
    {
      if (!g_str_equal (answer, "dismiss"))
        g_warning ("Dialog gave unknown answer “%s”; treating it as dismissed", answer);
      finish_prompt (self, prompt, MC_RESPONSE_CANCELLED, "cancel", "dismissed");
    }
}

static void
on_prompter_notice_closed (McPrompterClient *prompter,
                           const char       *prompt_id,
                           McBroker         *self)
{
  McPrompt *prompt = g_hash_table_lookup (self->prompts, prompt_id);
  g_autofree char *completion_key = NULL;

  if (prompt == NULL)
    return;

  /* Closing "finish signing in" gives up the sign-in. */
  if (mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE &&
      (mc_prompt_get_state (prompt) == MC_PROMPT_STATE_OPENING ||
       mc_prompt_get_state (prompt) == MC_PROMPT_STATE_OPENED))
    {
      finish_prompt (self, prompt, MC_RESPONSE_CANCELLED, "cancel", "dismissed");
      return;
    }

  if (mc_prompt_get_state (prompt) != MC_PROMPT_STATE_OPENED)
    return;

  /* Without an id nothing can complete it; with one, a late completion is
   * still recognised until the timeout. */
  completion_key = mc_prompt_dup_completion_key (prompt);
  if (completion_key == NULL)
    mc_broker_forget_prompt (self, prompt);
}

static void
on_prompter_forget_requested (McPrompterClient *prompter,
                              const char       *remembered_id,
                              McBroker         *self)
{
  if (mc_remembered_forget (self->remembered, remembered_id))
    {
      g_message ("Forgot “always allow” decision %s from the dialog", remembered_id);
      mc_remembered_save_async (self->remembered, NULL, on_remembered_saved, NULL);
    }
}

static void
on_prompter_stopped (McPrompterClient *prompter,
                     McBroker         *self)
{
  if (self->current != NULL && mc_prompt_get_state (self->current) == MC_PROMPT_STATE_SHOWING)
    {
      g_autoptr(McPrompt) prompt = g_object_ref (self->current);

      g_warning ("The dialog went away while showing prompt %s", mc_prompt_get_id (prompt));
      finish_prompt (self, prompt, MC_RESPONSE_CANCELLED, "cancel", "prompter-failed");
    }
}

/* D-Bus methods {{{1 */

guint
mc_broker_count_pending_for_key (McBroker   *self,
                                 const char *queue_key)
{
  guint count = mc_fair_queue_count_for_key (self->queue, queue_key);

  if (self->current != NULL && g_str_equal (mc_prompt_get_queue_key (self->current), queue_key))
    count++;
  return count;
}

typedef struct
{
  McBroker              *self;
  GDBusMethodInvocation *invocation;
  GVariant              *server;
  char                  *url;
  char                  *message;
  McUrlVerdict          *verdict;
  char                  *handle_token;
  char                  *elicitation_id;
  guint                  timeout;
} ElicitData;

static void
elicit_data_free (ElicitData *data)
{
  g_object_unref (data->self);
  g_clear_object (&data->invocation);
  g_variant_unref (data->server);
  g_free (data->url);
  g_free (data->message);
  mc_url_verdict_unref (data->verdict);
  g_free (data->handle_token);
  g_free (data->elicitation_id);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ElicitData, elicit_data_free)

static void
start_prompt (McBroker *self,
              McPrompt *prompt)
{
  McCallerInfo *caller = mc_prompt_get_caller (prompt);
  const char *remembered_id = NULL;

  mc_prompt_start_timer (prompt);

  if (mc_prompt_get_can_remember (prompt))
    remembered_id = mc_remembered_lookup (self->remembered,
                                          mc_caller_info_get_identity_key (caller),
                                          mc_prompt_get_server_name (prompt),
                                          mc_prompt_get_server_url (prompt),
                                          mc_prompt_get_domain (prompt),
                                          mc_url_verdict_get_risk (mc_prompt_get_verdict (prompt)));

  if (remembered_id != NULL)
    {
      mc_prompt_set_remembered_id (prompt, remembered_id);
      open_in_browser (self, prompt, FALSE);
      return;
    }

  mc_broker_queue_prompt (self, prompt);
}

void
mc_broker_queue_prompt (McBroker *self,
                        McPrompt *prompt)
{
  mc_prompt_set_state (prompt, MC_PROMPT_STATE_QUEUED);
  mc_fair_queue_push (self->queue, mc_prompt_get_queue_key (prompt), G_OBJECT (prompt));
  schedule_process_queue (self);
}

/* From now on, the prompt ends when its caller leaves, closes it or its
 * timer runs out. */
void
mc_broker_track_prompt (McBroker *self,
                        McPrompt *prompt)
{
  g_signal_connect (mc_prompt_get_request (prompt), "close-requested",
                    G_CALLBACK (on_request_close_requested), self);
  g_signal_connect (prompt, "timed-out", G_CALLBACK (on_prompt_timed_out), self);
  g_hash_table_insert (self->prompts, g_strdup (mc_prompt_get_id (prompt)), g_object_ref (prompt));
}

/* The answer to a URL no dialog shows: nothing is opened. */
static GError *
blocked_url_error (GDBusMethodInvocation *invocation,
                   const char            *server_name,
                   McUrlVerdict          *verdict)
{
  g_message ("Refused to show a URL from %s for server “%s”: %s",
             g_dbus_method_invocation_get_sender (invocation), server_name,
             mc_url_verdict_get_reason (verdict));
  return g_error_new (MC_ERROR, MC_ERROR_URL_BLOCKED, "This URL is never opened: %s",
                      mc_url_verdict_get_reason (verdict));
}

static void
on_elicit_caller_identified (GObject      *source_object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(ElicitData) data = user_data;
  McBroker *self = data->self;
  g_autoptr(McCallerInfo) caller = NULL;
  g_autoptr(McRequest) request = NULL;
  g_autoptr(McPrompt) prompt = NULL;
  g_autoptr(GError) error = NULL;
  const char *sender = g_dbus_method_invocation_get_sender (data->invocation);
  guint pending = 0;

  caller = mc_peer_tracker_lookup_finish (MC_PEER_TRACKER (source_object), result, &error);
  if (caller == NULL)
    {
      g_dbus_method_invocation_return_gerror (g_steal_pointer (&data->invocation), error);
      return;
    }

  if (self->shut_down)
    {
      g_dbus_method_invocation_return_error_literal (g_steal_pointer (&data->invocation),
                                                     MC_ERROR, MC_ERROR_FAILED,
                                                     "The broker is shutting down");
      return;
    }

  if (mc_url_verdict_get_risk (data->verdict) == MC_URL_RISK_BLOCKED)
    {
      /* NULL only if the policy was read again while the caller was
       * looked up; the URL was judged by the one before, with its
       * domain rules. */
      const char *rule = mc_policy_get_url_rule (mc_broker_get_policy (self), data->url);
      const char *server_name = NULL;

      g_variant_lookup (data->server, "name", "&s", &server_name);
      mc_audit_policy_blocked (caller, server_name, data->url, rule != NULL ? rule : "allowed-domains",
                               mc_url_verdict_get_reason (data->verdict));
      error = blocked_url_error (data->invocation, server_name, data->verdict);
      mc_broker_refuse_audited (g_steal_pointer (&data->invocation), g_steal_pointer (&error));
      return;
    }

  if (!mc_broker_check_caller_policy (self, caller, &error))
    {
      mc_broker_refuse_audited (g_steal_pointer (&data->invocation), g_steal_pointer (&error));
      return;
    }

  request = mc_request_new (self->connection, sender, data->handle_token);
  prompt = mc_prompt_new (request, caller, data->server, data->url, data->message,
                          data->verdict, data->elicitation_id, data->timeout);
  mc_prompt_set_always_allow_forbidden (prompt, !mc_policy_get_always_allow (mc_broker_get_policy (self)));

  pending = mc_broker_count_pending_for_key (self, mc_prompt_get_queue_key (prompt));
  if (pending >= MC_BROKER_MAX_PENDING_PER_CALLER)
    {
      g_dbus_method_invocation_return_error (g_steal_pointer (&data->invocation),
                                             MC_ERROR, MC_ERROR_BUSY,
                                             "%u prompts of this caller are already waiting; answer or close them first",
                                             pending);
      return;
    }

  if (!mc_request_export (request, &error))
    {
      g_dbus_method_invocation_return_gerror (g_steal_pointer (&data->invocation), error);
      return;
    }

  mc_broker_track_prompt (self, prompt);

  mc_dbus_broker1_complete_elicit_url (MC_DBUS_BROKER1 (self),
                                       g_steal_pointer (&data->invocation),
                                       mc_request_get_path (request));
  start_prompt (self, prompt);
}

static gboolean
mc_broker_handle_elicit_url (McDbusBroker1         *object,
                             GDBusMethodInvocation *invocation,
                             const char            *parent_window,
                             GVariant              *arg_server,
                             const char            *url,
                             const char            *message,
                             GVariant              *arg_options)
{
  McBroker *self = MC_BROKER (object);
  g_auto(GVariantDict) server = G_VARIANT_DICT_INIT (NULL);
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(McUrlVerdict) verdict = NULL;
  g_autoptr(GError) error = NULL;
  ElicitData *data = NULL;
  const char *token = NULL;
  const char *elicitation_id = NULL;
  guint32 timeout = MC_BROKER_DEFAULT_TIMEOUT;

  if (!mc_broker_check_string_length ("parent_window", parent_window, MAX_PARENT_WINDOW_LENGTH, &error) ||
      !mc_broker_check_string_length ("message", message, MAX_MESSAGE_LENGTH, &error) ||
      !mc_options_filter (arg_server, mc_broker_server_keys, mc_broker_n_server_keys, &server, &error) ||
      !mc_options_filter (arg_options, mc_broker_elicit_option_keys, mc_broker_n_elicit_option_keys, &options, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* The policy's decision on URLs is part of the verdict (flag "policy").
   * Its refusals are the caller's to be audited, so they wait until the
   * caller is known; the others need no lookup. */
  verdict = mc_policy_judge_url (mc_broker_get_policy (self), url, dict_lookup_string (&server, "url"));
  if (mc_url_verdict_get_risk (verdict) == MC_URL_RISK_BLOCKED && !mc_url_verdict_has_flag (verdict, "policy"))
    {
      g_dbus_method_invocation_take_error (invocation,
                                           blocked_url_error (invocation, dict_lookup_string (&server, "name"),
                                                              verdict));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  g_variant_dict_lookup (&options, "handle_token", "&s", &token);
  g_variant_dict_lookup (&options, "elicitation_id", "&s", &elicitation_id);
  g_variant_dict_lookup (&options, "timeout", "u", &timeout);

  data = g_new0 (ElicitData, 1);
  data->self = g_object_ref (self);
  /* The handler owns the invocation; completing it consumes that reference. */
  data->invocation = invocation;
  data->server = g_variant_ref_sink (g_variant_dict_end (&server));
  data->url = g_strdup (url);
  data->message = g_strdup (message);
  data->verdict = g_steal_pointer (&verdict);
  data->handle_token = g_strdup (token);
  data->elicitation_id = g_strdup (elicitation_id);
  data->timeout = timeout;

  mc_peer_tracker_lookup_async (self->peers,
                                g_dbus_method_invocation_get_sender (invocation),
                                NULL,
                                on_elicit_caller_identified,
                                data);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

typedef struct
{
  McBroker              *self;
  GDBusMethodInvocation *invocation;
  McCallerHandler        handler;
  GVariant              *arguments;
} CallerData;

static void
caller_data_free (CallerData *data)
{
  g_object_unref (data->self);
  g_clear_object (&data->invocation);
  g_clear_pointer (&data->arguments, g_variant_unref);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallerData, caller_data_free)

static void
on_caller_identified (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(CallerData) data = user_data;
  g_autoptr(McCallerInfo) caller = NULL;
  g_autoptr(GError) error = NULL;

  caller = mc_peer_tracker_lookup_finish (MC_PEER_TRACKER (source_object), result, &error);
  if (caller == NULL)
    {
      g_dbus_method_invocation_return_gerror (g_steal_pointer (&data->invocation), error);
      return;
    }

  data->handler (data->self, g_steal_pointer (&data->invocation), caller, data->arguments);
}

void
mc_broker_with_caller (McBroker              *self,
                       GDBusMethodInvocation *invocation,
                       GVariant              *arguments,
                       McCallerHandler        handler)
{
  CallerData *data = g_new0 (CallerData, 1);

  data->self = g_object_ref (self);
  data->invocation = invocation;
  data->handler = handler;
  data->arguments = arguments != NULL ? g_variant_ref_sink (arguments) : NULL;

  mc_peer_tracker_lookup_async (self->peers,
                                g_dbus_method_invocation_get_sender (invocation),
                                NULL,
                                on_caller_identified,
                                data);
}

/* Programs on the host run as the user, whom the broker serves, and see
 * everything; a sandboxed app, or a caller the broker cannot identify,
 * sees only what concerns it. */
const char *
mc_broker_visible_identity (McCallerInfo *caller)
{
  switch (mc_caller_info_get_kind (caller))
    {
    case MC_CALLER_KIND_HOST_APP:
    case MC_CALLER_KIND_UNVERIFIED:
      return NULL;

    case MC_CALLER_KIND_FLATPAK:
    case MC_CALLER_KIND_UNKNOWN:
    default:
      return mc_caller_info_get_identity_key (caller);
    }
}

/* A completion can overtake the user's click: the server finishes (the
 * page was done from an earlier link, or the server is fast) while the
 * prompt is queued, on screen or starting the browser.  Such prompts keep
 * it until they reach their wait, which then ends at once.  Returns how
 * many kept it. */
static guint
keep_early_completion (McBroker   *self,
                       const char *key)
{
  GHashTableIter iter;
  McPrompt *prompt = NULL;
  guint kept = 0;

  g_hash_table_iter_init (&iter, self->prompts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&prompt))
    {
      McPromptState state = mc_prompt_get_state (prompt);
      g_autofree char *prompt_key = NULL;

      if (state != MC_PROMPT_STATE_QUEUED && state != MC_PROMPT_STATE_SHOWING && state != MC_PROMPT_STATE_OPENING)
        continue;
      prompt_key = mc_prompt_dup_completion_key (prompt);
      if (g_strcmp0 (prompt_key, key) != 0 || mc_prompt_get_completed (prompt))
        continue;

      mc_prompt_set_completed (prompt);
      mc_broker_log_decision (prompt, "completed by the server before the browser was started");
      kept++;
    }

  return kept;
}

static void
on_completion_audited (gboolean      written,
                       const GError *audit_error,
                       gpointer      user_data)
{
  GDBusMethodInvocation *invocation = user_data;

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", TRUE));
}

static void
complete_elicitation (McBroker              *self,
                      GDBusMethodInvocation *invocation,
                      McCallerInfo          *caller,
                      GVariant              *arguments)
{
  const char *server_name = NULL;
  const char *elicitation_id = NULL;
  g_autofree char *key = NULL;
  McPrompt *prompt = NULL;
  guint kept = 0;

  g_variant_get (arguments, "(&s&s)", &server_name, &elicitation_id);
  key = mc_completion_key_new (caller, server_name, elicitation_id);
  prompt = g_hash_table_lookup (self->completions, key);
  kept = keep_early_completion (self, key);

  if (prompt == NULL && kept > 0)
    {
      mc_dbus_broker1_complete_complete_elicitation (MC_DBUS_BROKER1 (self), invocation, TRUE);
      return;
    }

  if (prompt == NULL)
    {
      /* MCP: clients MUST ignore unknown or already-completed ids. */
      g_debug ("No elicitation “%s” of server “%s” waits for completion", elicitation_id, server_name);
      mc_dbus_broker1_complete_complete_elicitation (MC_DBUS_BROKER1 (self), invocation, FALSE);
      return;
    }

  mc_broker_log_decision (prompt, "completed by the server");
  mc_audit_prompt_ended (prompt, "completed", NULL);
  mc_prompter_client_dismiss (self->prompter, mc_prompt_get_id (prompt));
  mc_broker_forget_prompt (self, prompt);
  mc_audit_after_flush (on_completion_audited, invocation);
}

static gboolean
mc_broker_handle_complete_elicitation (McDbusBroker1         *object,
                                       GDBusMethodInvocation *invocation,
                                       GVariant              *arg_server,
                                       const char            *elicitation_id)
{
  McBroker *self = MC_BROKER (object);
  g_auto(GVariantDict) server = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;

  if (!mc_options_filter (arg_server, mc_broker_server_keys, mc_broker_n_server_keys, &server, &error) ||
      !mc_broker_check_string_length ("elicitation_id", elicitation_id, MC_BROKER_MAX_ELICITATION_ID_LENGTH, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  mc_broker_with_caller (self, invocation,
               g_variant_new ("(ss)", dict_lookup_string (&server, "name"), elicitation_id),
               complete_elicitation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
mc_broker_handle_check_url (McDbusBroker1         *object,
                            GDBusMethodInvocation *invocation,
                            const char            *url,
                            GVariant              *arg_server)
{
  McBroker *self = MC_BROKER (object);
  g_auto(GVariantDict) server = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(McUrlVerdict) verdict = NULL;
  g_autoptr(GVariant) verdict_variant = NULL;
  g_autoptr(GError) error = NULL;

  if (!mc_options_filter (arg_server, mc_broker_check_server_keys, mc_broker_n_check_server_keys, &server, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  verdict = mc_policy_judge_url (mc_broker_get_policy (self), url, dict_lookup_string (&server, "url"));
  verdict_variant = mc_url_verdict_to_variant (verdict);
  mc_dbus_broker1_complete_check_url (object, invocation, verdict_variant);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
get_status (McBroker              *self,
            GDBusMethodInvocation *invocation,
            McCallerInfo          *caller,
            GVariant              *arguments)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  const char *identity = mc_broker_visible_identity (caller);
  GHashTableIter iter;
  McPrompt *prompt = NULL;
  guint pending = 0;

  g_hash_table_iter_init (&iter, self->prompts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&prompt))
    {
      McPromptState state = mc_prompt_get_state (prompt);

      if (state != MC_PROMPT_STATE_QUEUED && state != MC_PROMPT_STATE_SHOWING && state != MC_PROMPT_STATE_OPENING)
        continue;
      if (identity != NULL &&
          !g_str_equal (mc_caller_info_get_identity_key (mc_prompt_get_caller (prompt)), identity))
        continue;
      pending++;
    }

  g_variant_builder_add (&builder, "{sv}", "daemon_version", g_variant_new_string (PACKAGE_VERSION));
  g_variant_builder_add (&builder, "{sv}", "pending_prompts", g_variant_new_uint32 (pending));
  g_variant_builder_add (&builder, "{sv}", "prompter_running",
                         g_variant_new_boolean (mc_prompter_client_is_running (self->prompter)));

  mc_dbus_broker1_complete_get_status (MC_DBUS_BROKER1 (self), invocation, g_variant_builder_end (&builder));
}

static gboolean
mc_broker_handle_get_status (McDbusBroker1         *object,
                             GDBusMethodInvocation *invocation)
{
  mc_broker_with_caller (MC_BROKER (object), invocation, NULL, get_status);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
list_remembered (McBroker              *self,
                 GDBusMethodInvocation *invocation,
                 McCallerInfo          *caller,
                 GVariant              *arguments)
{
  mc_dbus_broker1_complete_list_remembered (MC_DBUS_BROKER1 (self), invocation,
                                            mc_remembered_list (self->remembered, mc_broker_visible_identity (caller)));
}

static gboolean
mc_broker_handle_list_remembered (McDbusBroker1         *object,
                                  GDBusMethodInvocation *invocation)
{
  mc_broker_with_caller (MC_BROKER (object), invocation, NULL, list_remembered);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The manager lists what waits; a flood of callers must not make the
 * reply unbounded. */
#define MAX_PENDING_LISTED 256

static int
compare_prompts_by_age (gconstpointer a,
                        gconstpointer b)
{
  McPrompt *prompt_a = *(McPrompt **)a;
  McPrompt *prompt_b = *(McPrompt **)b;
  gint64 created_a = mc_prompt_get_created (prompt_a);
  gint64 created_b = mc_prompt_get_created (prompt_b);

  if (created_a != created_b)
    return created_a < created_b ? -1 : 1;
  return g_strcmp0 (mc_prompt_get_id (prompt_a), mc_prompt_get_id (prompt_b));
}

static void
list_pending (McBroker              *self,
              GDBusMethodInvocation *invocation,
              McCallerInfo          *caller,
              GVariant              *arguments)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr(GPtrArray) prompts = g_ptr_array_new ();
  const char *identity = mc_broker_visible_identity (caller);
  GHashTableIter iter;
  McPrompt *prompt = NULL;

  g_hash_table_iter_init (&iter, self->prompts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&prompt))
    {
      if (mc_prompt_get_state (prompt) == MC_PROMPT_STATE_DONE)
        continue;
      if (identity != NULL &&
          !g_str_equal (mc_caller_info_get_identity_key (mc_prompt_get_caller (prompt)), identity))
        continue;
      g_ptr_array_add (prompts, prompt);
    }
  g_ptr_array_sort (prompts, compare_prompts_by_age);

  for (guint i = 0; i < prompts->len && i < MAX_PENDING_LISTED; i++)
    g_variant_builder_add_value (&builder, mc_prompt_build_pending (g_ptr_array_index (prompts, i)));

  mc_dbus_broker1_complete_list_pending (MC_DBUS_BROKER1 (self), invocation, g_variant_builder_end (&builder));
}

static gboolean
mc_broker_handle_list_pending (McDbusBroker1         *object,
                               GDBusMethodInvocation *invocation)
{
  mc_broker_with_caller (MC_BROKER (object), invocation, NULL, list_pending);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_forget_saved (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CallerData) data = user_data;
  g_autoptr(GError) error = NULL;

  if (!mc_remembered_save_finish (MC_REMEMBERED (source_object), result, &error))
    {
      g_dbus_method_invocation_return_error (g_steal_pointer (&data->invocation), MC_ERROR, MC_ERROR_FAILED,
                                             "Forgotten for now, but could not be saved: %s", error->message);
      return;
    }

  mc_dbus_broker1_complete_forget_remembered (MC_DBUS_BROKER1 (data->self), g_steal_pointer (&data->invocation));
}

static void
forget_remembered (McBroker              *self,
                   GDBusMethodInvocation *invocation,
                   McCallerInfo          *caller,
                   GVariant              *arguments)
{
  const char *visible = mc_broker_visible_identity (caller);
  const char *id = NULL;
  const char *owner = NULL;
  CallerData *data = NULL;

  g_variant_get (arguments, "(&s)", &id);
  owner = mc_remembered_get_identity (self->remembered, id);

  /* Another app's decision looks exactly like a missing one. */
  if (owner == NULL || (visible != NULL && !g_str_equal (owner, visible)))
    {
      g_dbus_method_invocation_return_error (invocation, MC_ERROR, MC_ERROR_NOT_FOUND,
                                             "No remembered decision “%s”", id);
      return;
    }

  mc_remembered_forget (self->remembered, id);
  g_message ("Forgot “always allow” decision %s at the request of %s", id,
             mc_caller_info_get_identity_key (caller));

  data = g_new0 (CallerData, 1);
  data->self = g_object_ref (self);
  data->invocation = invocation;
  mc_remembered_save_async (self->remembered, NULL, on_forget_saved, data);
}

static gboolean
mc_broker_handle_forget_remembered (McDbusBroker1         *object,
                                    GDBusMethodInvocation *invocation,
                                    const char            *id)
{
  g_autoptr(GError) error = NULL;

  if (!mc_broker_check_string_length ("id", id, 64, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  mc_broker_with_caller (MC_BROKER (object), invocation, g_variant_new ("(s)", id), forget_remembered);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
mc_broker_iface_init (McDbusBroker1Iface *iface)
{
  iface->handle_elicit_url = mc_broker_handle_elicit_url;
  iface->handle_complete_elicitation = mc_broker_handle_complete_elicitation;
  iface->handle_check_url = mc_broker_handle_check_url;
  iface->handle_get_status = mc_broker_handle_get_status;
  iface->handle_list_remembered = mc_broker_handle_list_remembered;
  iface->handle_forget_remembered = mc_broker_handle_forget_remembered;
  iface->handle_list_pending = mc_broker_handle_list_pending;
  iface->handle_authorize = mc_broker_handle_authorize;
  iface->handle_get_token = mc_broker_handle_get_token;
  iface->handle_list_grants = mc_broker_handle_list_grants;
  iface->handle_revoke_grant = mc_broker_handle_revoke_grant;
  iface->handle_list_audit_events = mc_broker_handle_list_audit_events;
}

/* Object {{{1 */

static void
mc_broker_dispose (GObject *object)
{
  McBroker *self = (McBroker *)object;

  mc_broker_shutdown (self);

  if (self->prompter != NULL)
    g_signal_handlers_disconnect_by_data (self->prompter, self);
  if (self->peers != NULL)
    g_signal_handlers_disconnect_by_data (self->peers, self);
  if (self->policy != NULL)
    g_signal_handlers_disconnect_by_data (self->policy, self);

  g_clear_handle_id (&self->process_queue_id, g_source_remove);
  g_clear_object (&self->current);
  g_clear_pointer (&self->completions, g_hash_table_unref);
  g_clear_pointer (&self->prompts, g_hash_table_unref);
  g_clear_object (&self->queue);
  g_clear_object (&self->peers);
  g_clear_object (&self->prompter);
  g_clear_object (&self->remembered);
  g_clear_object (&self->tokens);
  g_clear_object (&self->policy);
  g_clear_object (&self->auth.http);
  g_clear_object (&self->auth.clients);
  g_clear_object (&self->auth.grants);
  g_clear_pointer (&self->authorize_attempts, g_hash_table_unref);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (mc_broker_parent_class)->dispose (object);
}

static void
mc_broker_class_init (McBrokerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_broker_dispose;
}

static void
mc_broker_init (McBroker *self)
{
  self->queue = mc_fair_queue_new ();
  self->prompts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->completions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->authorize_attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                    (GDestroyNotify)g_array_unref);

  mc_dbus_broker1_set_version (MC_DBUS_BROKER1 (self), MC_BROKER_INTERFACE_VERSION);
}

/**
 * mc_broker_new:
 * @connection: the session bus
 * @prompter: how to reach the dialog
 * @remembered: the "always allow" decisions
 * @auth: what authorization needs: the HTTP client, the OAuth clients and
 *   the grants
 * @can_see_callers: whether callers' processes can be inspected (see
 *   mc_peer_tracker_new())
 *
 * Returns: (transfer full): the broker, not yet exported
 */
McBroker *
mc_broker_new (GDBusConnection      *connection,
               McPrompterClient     *prompter,
               McRemembered         *remembered,
               const McAuthServices *auth,
               gboolean              can_see_callers)
{
  McBroker *self = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (MC_IS_PROMPTER_CLIENT (prompter), NULL);
  g_return_val_if_fail (MC_IS_REMEMBERED (remembered), NULL);
  g_return_val_if_fail (auth != NULL && MC_IS_HTTP (auth->http), NULL);
  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (auth->clients), NULL);
  g_return_val_if_fail (MC_IS_GRANT_STORE (auth->grants), NULL);

  self = g_object_new (MC_TYPE_BROKER, NULL);
  self->connection = g_object_ref (connection);
  self->prompter = g_object_ref (prompter);
  self->remembered = g_object_ref (remembered);
  self->auth.http = g_object_ref (auth->http);
  self->auth.clients = g_object_ref (auth->clients);
  self->auth.grants = g_object_ref (auth->grants);
  self->tokens = mc_token_service_new (auth->http, auth->grants);
  self->peers = mc_peer_tracker_new (connection, can_see_callers);

  g_signal_connect (self->peers, "peer-vanished", G_CALLBACK (on_peer_vanished), self);
  g_signal_connect (self->prompter, "answered", G_CALLBACK (on_prompter_answered), self);
  g_signal_connect (self->prompter, "notice-closed", G_CALLBACK (on_prompter_notice_closed), self);
  g_signal_connect (self->prompter, "forget-requested", G_CALLBACK (on_prompter_forget_requested), self);
  g_signal_connect (self->prompter, "stopped", G_CALLBACK (on_prompter_stopped), self);

  return self;
}

gboolean
mc_broker_export (McBroker  *self,
                  GError   **error)
{
  g_return_val_if_fail (MC_IS_BROKER (self), FALSE);

  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self),
                                           self->connection,
                                           MC_BROKER_OBJECT_PATH,
                                           error);
}

/**
 * mc_broker_shutdown:
 * @self: a #McBroker
 *
 * Answers every waiting caller with "cancel" (reason "broker-exit") so no
 * client waits for a Response that will never come, and closes the dialog.
 */
void
mc_broker_shutdown (McBroker *self)
{
  g_autoptr(GList) prompts = NULL;

  g_return_if_fail (MC_IS_BROKER (self));

  if (self->shut_down || self->prompts == NULL)
    return;
  self->shut_down = TRUE;

  prompts = g_hash_table_get_values (self->prompts);
  for (GList *l = prompts; l != NULL; l = l->next)
    {
      McPrompt *prompt = l->data;

      g_cancellable_cancel (mc_prompt_get_cancellable (prompt));
      mc_audit_prompt_ended (prompt, "broker-exit", NULL);
      if (mc_prompt_get_kind (prompt) == MC_PROMPT_KIND_AUTHORIZE)
        mc_prompt_respond (prompt, MC_RESPONSE_CANCELLED, mc_broker_authorize_failure ("broker-exit", NULL));
      else if (mc_prompt_get_state (prompt) != MC_PROMPT_STATE_OPENED)
        mc_prompt_respond (prompt, MC_RESPONSE_CANCELLED, build_results ("cancel", "broker-exit", FALSE));
    }

  mc_token_service_shutdown (self->tokens);
  mc_prompter_client_stop (self->prompter);
  if (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self)) != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self));
}

guint
mc_broker_get_n_pending (McBroker *self)
{
  g_return_val_if_fail (MC_IS_BROKER (self), 0);

  return g_hash_table_size (self->prompts);
}
