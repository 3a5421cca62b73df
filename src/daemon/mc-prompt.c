/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-prompt.h"

struct _McPrompt
{
  GObject        parent_instance;

  char          *id;
  McPromptKind   kind;
  McRequest     *request;
  McCallerInfo  *caller;
  char          *queue_key;
  GVariant      *server;
  char          *server_name;
  char          *server_url;
  char          *url;
  char          *message;
  McUrlVerdict  *verdict;
  char          *elicitation_id;
  char          *remembered_id;
  /* The policy says no "always allow" (docs/policy.md). */
  gboolean       always_allow_forbidden;
  guint          timeout_seconds;
  /* Unix microseconds, for the manager's list of what waits. */
  gint64         created;
  McPromptState  state;
  /* The server said it is complete before the prompt began to wait. */
  gboolean       completed;
  guint          timer_id;
  /* Cancelled when the prompt is forgotten: stops its network work. */
  GCancellable  *cancellable;
  McAuthFlow    *flow;
};

enum
{
  SIGNAL_TIMED_OUT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (McPrompt, mc_prompt, G_TYPE_OBJECT)

static void
mc_prompt_dispose (GObject *object)
{
  McPrompt *self = (McPrompt *)object;

  mc_prompt_stop_timer (self);
  g_clear_object (&self->request);
  g_clear_object (&self->caller);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->flow);

  G_OBJECT_CLASS (mc_prompt_parent_class)->dispose (object);
}

static void
mc_prompt_finalize (GObject *object)
{
  McPrompt *self = (McPrompt *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->queue_key, g_free);
  g_clear_pointer (&self->server, g_variant_unref);
  g_clear_pointer (&self->server_name, g_free);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->message, g_free);
  g_clear_pointer (&self->verdict, mc_url_verdict_unref);
  g_clear_pointer (&self->elicitation_id, g_free);
  g_clear_pointer (&self->remembered_id, g_free);

  G_OBJECT_CLASS (mc_prompt_parent_class)->finalize (object);
}

static void
mc_prompt_class_init (McPromptClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_prompt_dispose;
  object_class->finalize = mc_prompt_finalize;

  /**
   * McPrompt::timed-out:
   *
   * The timer started by mc_prompt_start_timer() ran out.
   */
  signals[SIGNAL_TIMED_OUT] =
    g_signal_new ("timed-out",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
mc_prompt_init (McPrompt *self)
{
  self->cancellable = g_cancellable_new ();
  self->created = g_get_real_time ();
}

static char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = NULL;

  if (g_variant_lookup (dict, key, "&s", &value) && value[0] != '\0')
    return g_strdup (value);
  return NULL;
}

static char *
next_prompt_id (void)
{
  static guint64 counter;

  return g_strdup_printf ("p%" G_GUINT64_FORMAT, ++counter);
}

/* Verified apps take turns as one, however many connections they open;
 * unverified programs cannot be told apart, so each connection counts. */
static char *
queue_key_new (McCallerInfo *caller)
{
  if (mc_caller_info_is_verified (caller))
    return g_strdup (mc_caller_info_get_identity_key (caller));
  return g_strconcat ("unverified:", mc_caller_info_get_unique_name (caller), NULL);
}

/**
 * mc_prompt_new:
 * @request: the exported request the answer goes to
 * @caller: who asked
 * @server: the validated server dictionary (name, title, version, url)
 * @url: the URL to open
 * @message: the server's message
 * @verdict: the verdict of @url, not blocked
 * @elicitation_id: (nullable): the MCP elicitation id
 * @timeout_seconds: how long the caller waits for an answer
 *
 * Returns: (transfer full): a queued prompt
 */
McPrompt *
mc_prompt_new (McRequest    *request,
               McCallerInfo *caller,
               GVariant     *server,
               const char   *url,
               const char   *message,
               McUrlVerdict *verdict,
               const char   *elicitation_id,
               guint         timeout_seconds)
{
  McPrompt *self = NULL;

  g_return_val_if_fail (MC_IS_REQUEST (request), NULL);
  g_return_val_if_fail (MC_IS_CALLER_INFO (caller), NULL);
  g_return_val_if_fail (g_variant_is_of_type (server, G_VARIANT_TYPE_VARDICT), NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (verdict != NULL, NULL);
  g_return_val_if_fail (timeout_seconds > 0, NULL);

  self = g_object_new (MC_TYPE_PROMPT, NULL);
  self->id = next_prompt_id ();
  self->kind = MC_PROMPT_KIND_URL;
  self->request = g_object_ref (request);
  self->caller = g_object_ref (caller);
  self->server = g_variant_ref_sink (server);
  self->server_name = lookup_string (server, "name");
  self->server_url = lookup_string (server, "url");
  self->url = g_strdup (url);
  self->message = g_strdup (message);
  self->verdict = mc_url_verdict_ref (verdict);
  self->elicitation_id = g_strdup (elicitation_id);
  self->timeout_seconds = timeout_seconds;
  self->state = MC_PROMPT_STATE_QUEUED;
  self->queue_key = queue_key_new (caller);

  return self;
}

/**
 * mc_prompt_new_authorize:
 * @request: the exported request the answer goes to
 * @caller: who asked
 * @resource: the MCP server's canonical URI
 * @timeout_seconds: how long the whole sign-in may take
 *
 * Until mc_prompt_set_auth_flow() gives it a discovered flow, the prompt
 * is in the %MC_PROMPT_STATE_DISCOVERING state and cannot be shown.
 *
 * Returns: (transfer full): an authorization prompt
 */
McPrompt *
mc_prompt_new_authorize (McRequest    *request,
                         McCallerInfo *caller,
                         const char   *resource,
                         guint         timeout_seconds)
{
  g_auto(GVariantDict) server = G_VARIANT_DICT_INIT (NULL);
  McPrompt *self = NULL;

  g_return_val_if_fail (MC_IS_REQUEST (request), NULL);
  g_return_val_if_fail (MC_IS_CALLER_INFO (caller), NULL);
  g_return_val_if_fail (resource != NULL, NULL);
  g_return_val_if_fail (timeout_seconds > 0, NULL);

  g_variant_dict_insert (&server, "url", "s", resource);

  self = g_object_new (MC_TYPE_PROMPT, NULL);
  self->id = next_prompt_id ();
  self->kind = MC_PROMPT_KIND_AUTHORIZE;
  self->request = g_object_ref (request);
  self->caller = g_object_ref (caller);
  self->server = g_variant_ref_sink (g_variant_dict_end (&server));
  self->server_name = g_strdup (resource);
  self->server_url = g_strdup (resource);
  self->message = g_strdup ("");
  self->timeout_seconds = timeout_seconds;
  self->state = MC_PROMPT_STATE_DISCOVERING;
  self->queue_key = queue_key_new (caller);

  return self;
}

/**
 * mc_prompt_set_auth_flow:
 * @self: an authorization prompt
 * @flow: its discovered flow
 *
 * What the dialog shows comes from the flow from now on; the URL is the
 * authorization endpoint, whose verdict the dialog shows.
 */
void
mc_prompt_set_auth_flow (McPrompt   *self,
                         McAuthFlow *flow)
{
  g_return_if_fail (MC_IS_PROMPT (self));
  g_return_if_fail (self->kind == MC_PROMPT_KIND_AUTHORIZE);
  g_return_if_fail (MC_IS_AUTH_FLOW (flow));
  g_return_if_fail (mc_auth_flow_get_as_verdict (flow) != NULL);

  g_set_object (&self->flow, flow);
  g_free (self->server_name);
  self->server_name = g_strdup (mc_auth_flow_get_server_name (flow));
  g_free (self->url);
  self->url = g_strdup (mc_auth_flow_get_authorization_endpoint (flow));
  g_clear_pointer (&self->verdict, mc_url_verdict_unref);
  self->verdict = mc_url_verdict_ref (mc_auth_flow_get_as_verdict (flow));
}

McAuthFlow *
mc_prompt_get_auth_flow (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->flow;
}

McPromptKind
mc_prompt_get_kind (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), MC_PROMPT_KIND_URL);
  return self->kind;
}

GCancellable *
mc_prompt_get_cancellable (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->cancellable;
}

const char *
mc_prompt_get_id (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->id;
}

McRequest *
mc_prompt_get_request (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->request;
}

McCallerInfo *
mc_prompt_get_caller (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->caller;
}

const char *
mc_prompt_get_sender (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return mc_request_get_sender (self->request);
}

const char *
mc_prompt_get_queue_key (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->queue_key;
}

const char *
mc_prompt_get_server_name (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->server_name;
}

const char *
mc_prompt_get_server_url (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->server_url;
}

const char *
mc_prompt_get_url (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->url;
}

McUrlVerdict *
mc_prompt_get_verdict (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->verdict;
}

/**
 * mc_prompt_get_domain:
 * @self: a #McPrompt
 *
 * What an "always allow" decision is about: the registrable domain, or the
 * host when there is none (loopback).
 *
 * Returns: the domain
 */
const char *
mc_prompt_get_domain (McPrompt *self)
{
  const char *domain = NULL;

  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);

  if (self->verdict == NULL)
    return NULL;

  domain = mc_url_verdict_get_registrable_domain (self->verdict);
  return domain != NULL ? domain : mc_url_verdict_get_host (self->verdict);
}

const char *
mc_prompt_get_elicitation_id (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->elicitation_id;
}

guint
mc_prompt_get_timeout (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), 0);
  return self->timeout_seconds;
}

McPromptState
mc_prompt_get_state (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), MC_PROMPT_STATE_DONE);
  return self->state;
}

void
mc_prompt_set_state (McPrompt      *self,
                     McPromptState  state)
{
  g_return_if_fail (MC_IS_PROMPT (self));
  self->state = state;
}

/* Whether "always allow" would be offered, were it not for the policy. */
static gboolean
could_remember (McPrompt *self)
{
  /* A sign-in is never remembered: the grant itself is what lasts. */
  return self->kind == MC_PROMPT_KIND_URL &&
         mc_caller_info_is_verified (self->caller) &&
         mc_url_verdict_get_risk (self->verdict) < MC_URL_RISK_DANGER &&
         mc_prompt_get_domain (self) != NULL;
}

/**
 * mc_prompt_get_can_remember:
 * @self: a #McPrompt
 *
 * "Always allow" is offered only where it can be bound to an identity the
 * app cannot fake, and never for a URL judged dangerous, nor when the policy
 * forbids it.
 *
 * Returns: whether the dialog may offer "always allow"
 */
gboolean
mc_prompt_get_can_remember (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), FALSE);

  /* Also keeps decisions remembered before the policy said so from
   * opening anything without the dialog. */
  return !self->always_allow_forbidden && could_remember (self);
}

/**
 * mc_prompt_set_always_allow_forbidden:
 * @self: a #McPrompt
 * @forbidden: whether the policy forbids "always allow"
 */
void
mc_prompt_set_always_allow_forbidden (McPrompt *self,
                                      gboolean  forbidden)
{
  g_return_if_fail (MC_IS_PROMPT (self));

  self->always_allow_forbidden = forbidden;
}

void
mc_prompt_set_remembered_id (McPrompt   *self,
                             const char *remembered_id)
{
  g_return_if_fail (MC_IS_PROMPT (self));

  g_free (self->remembered_id);
  self->remembered_id = g_strdup (remembered_id);
}

const char *
mc_prompt_get_remembered_id (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  return self->remembered_id;
}

/**
 * mc_completion_key_new:
 * @caller: who asked
 * @server_name: the MCP server's name
 * @elicitation_id: the MCP elicitation id
 *
 * Completions match by identity rather than by connection, because the
 * notification may come from another process of the same client (the CLI
 * runs `elicit` and `complete` as two processes).
 *
 * Returns: (transfer full): the key
 */
char *
mc_completion_key_new (McCallerInfo *caller,
                       const char   *server_name,
                       const char   *elicitation_id)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (caller), NULL);
  g_return_val_if_fail (server_name != NULL, NULL);
  g_return_val_if_fail (elicitation_id != NULL, NULL);

  /* U+001F cannot occur in names: they are refused at the D-Bus boundary. */
  return g_strjoin ("\x1f", mc_caller_info_get_identity_key (caller), server_name, elicitation_id, NULL);
}

/**
 * mc_prompt_dup_completion_key:
 * @self: a #McPrompt
 *
 * Returns: (transfer full) (nullable): the key CompleteElicitation matches,
 *   or %NULL if the prompt has no elicitation id
 */
char *
mc_prompt_dup_completion_key (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);

  if (self->elicitation_id == NULL)
    return NULL;

  return mc_completion_key_new (self->caller, self->server_name, self->elicitation_id);
}

/**
 * mc_prompt_set_completed:
 * @self: a URL prompt with an elicitation id
 *
 * Remembers a CompleteElicitation that came before the prompt reached its
 * "finish in your browser" wait — while queued, on screen or starting the
 * browser — so that the wait ends as soon as it begins.  It answers
 * nothing for the user: the dialog still asks.
 */
void
mc_prompt_set_completed (McPrompt *self)
{
  g_return_if_fail (MC_IS_PROMPT (self));
  g_return_if_fail (self->kind == MC_PROMPT_KIND_URL && self->elicitation_id != NULL);

  self->completed = TRUE;
}

gboolean
mc_prompt_get_completed (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), FALSE);
  return self->completed;
}

static void
add_string (GVariantBuilder *builder,
            const char      *key,
            const char      *value)
{
  if (value != NULL)
    g_variant_builder_add (builder, "{sv}", key, g_variant_new_string (value));
}

/**
 * mc_prompt_build_details:
 * @self: a #McPrompt
 * @queued: how many prompts wait behind this one
 *
 * Builds the prompt dictionary of the private Prompter1 interface.
 *
 * Returns: (transfer floating): an a{sv}
 */
GVariant *
mc_prompt_build_details (McPrompt *self,
                         guint     queued)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *server_title = NULL;
  g_autofree char *server_version = NULL;

  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);
  g_return_val_if_fail (self->kind == MC_PROMPT_KIND_URL || self->flow != NULL, NULL);

  server_title = lookup_string (self->server, "title");
  server_version = lookup_string (self->server, "version");

  add_string (&builder, "app_kind", mc_caller_kind_to_string (mc_caller_info_get_kind (self->caller)));
  add_string (&builder, "app_id", mc_caller_info_get_app_id (self->caller));
  add_string (&builder, "app_name", mc_caller_info_get_display_name (self->caller));
  add_string (&builder, "app_icon", mc_caller_info_get_icon (self->caller));
  add_string (&builder, "app_path", mc_caller_info_get_executable (self->caller));
  add_string (&builder, "server_name", self->server_name);
  add_string (&builder, "server_title", server_title);
  add_string (&builder, "server_version", server_version);
  add_string (&builder, "server_url", self->server_url);
  g_variant_builder_add (&builder, "{sv}", "timeout", g_variant_new_uint32 (self->timeout_seconds));
  g_variant_builder_add (&builder, "{sv}", "queued", g_variant_new_uint32 (queued));

  if (self->kind == MC_PROMPT_KIND_AUTHORIZE)
    {
      g_autoptr(GVariant) consent = g_variant_ref_sink (mc_auth_flow_get_consent_details (self->flow));
      GVariantIter iter;
      const char *key = NULL;
      GVariant *value = NULL;

      /* "kind" among them */
      g_variant_iter_init (&iter, consent);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          g_variant_builder_add (&builder, "{sv}", key, value);
          g_variant_unref (value);
        }
    }
  else
    {
      g_autoptr(GVariant) verdict = mc_url_verdict_to_variant (self->verdict);

      add_string (&builder, "kind", "url");
      add_string (&builder, "url", self->url);
      add_string (&builder, "message", self->message);
      g_variant_builder_add (&builder, "{sv}", "verdict", verdict);
      g_variant_builder_add (&builder, "{sv}", "can_remember",
                             g_variant_new_boolean (mc_prompt_get_can_remember (self)));
      /* So that the dialog can say why the choice is missing. */
      if (self->always_allow_forbidden && could_remember (self))
        g_variant_builder_add (&builder, "{sv}", "policy_no_always_allow", g_variant_new_boolean (TRUE));
      add_string (&builder, "remembered_id", self->remembered_id);
    }

  return g_variant_builder_end (&builder);
}

static gboolean
on_timer_expired (gpointer user_data)
{
  McPrompt *self = MC_PROMPT (user_data);
  g_autoptr(McPrompt) hold G_GNUC_UNUSED = g_object_ref (self);

  self->timer_id = 0;
  g_signal_emit (self, signals[SIGNAL_TIMED_OUT], 0);

  return G_SOURCE_REMOVE;
}

/**
 * mc_prompt_start_timer:
 * @self: a #McPrompt
 *
 * (Re)starts the prompt's one timer, which emits #McPrompt::timed-out
 * after the prompt's timeout: every wait the user or the caller sees has
 * an end.
 */
void
mc_prompt_start_timer (McPrompt *self)
{
  g_return_if_fail (MC_IS_PROMPT (self));

  mc_prompt_stop_timer (self);
  self->timer_id = g_timeout_add_seconds (self->timeout_seconds, on_timer_expired, self);
}

void
mc_prompt_stop_timer (McPrompt *self)
{
  g_return_if_fail (MC_IS_PROMPT (self));

  g_clear_handle_id (&self->timer_id, g_source_remove);
}

/**
 * mc_prompt_respond:
 * @self: a #McPrompt
 * @response: the response code
 * @results: (transfer floating): the results
 *
 * Answers the caller, unless it already left or closed the request.
 */
void
mc_prompt_respond (McPrompt   *self,
                   McResponse  response,
                   GVariant   *results)
{
  g_return_if_fail (MC_IS_PROMPT (self));

  mc_request_respond (self->request, response, results);
}

static const char *
pending_state_to_string (McPromptState state)
{
  switch (state)
    {
    case MC_PROMPT_STATE_DISCOVERING:
      return "discovering";
    case MC_PROMPT_STATE_QUEUED:
      return "queued";
    case MC_PROMPT_STATE_SHOWING:
      return "showing";
    case MC_PROMPT_STATE_OPENING:
      return "opening";
    case MC_PROMPT_STATE_OPENED:
    case MC_PROMPT_STATE_DONE:
    default:
      return "waiting";
    }
}

/**
 * mc_prompt_build_pending:
 * @self: a #McPrompt
 *
 * Builds the prompt's entry of ListPending: who asks, for which server,
 * and since when. Only the host of a URL: its path and query may carry
 * a secret, and the list is no place to read them.
 *
 * Returns: (transfer floating): an a{sv}
 */
GVariant *
mc_prompt_build_pending (McPrompt *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_return_val_if_fail (MC_IS_PROMPT (self), NULL);

  add_string (&builder, "id", self->id);
  add_string (&builder, "kind", self->kind == MC_PROMPT_KIND_AUTHORIZE ? "sign-in" : "url");
  add_string (&builder, "state", pending_state_to_string (self->state));
  add_string (&builder, "app_id", mc_caller_info_get_app_id (self->caller));
  add_string (&builder, "app_name", mc_caller_info_get_display_name (self->caller));
  add_string (&builder, "server_name", self->server_name);
  add_string (&builder, "server_url", self->server_url);
  if (self->verdict != NULL)
    add_string (&builder, "host", mc_url_verdict_get_host (self->verdict));
  g_variant_builder_add (&builder, "{sv}", "created", g_variant_new_int64 (self->created / G_USEC_PER_SEC));

  return g_variant_builder_end (&builder);
}

gint64
mc_prompt_get_created (McPrompt *self)
{
  g_return_val_if_fail (MC_IS_PROMPT (self), 0);

  return self->created;
}
