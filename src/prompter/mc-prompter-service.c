/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-consent-dialog.h"
#include "mc-error.h"
#include "mc-oauth-urls.h"
#include "mc-options.h"
#include "mc-prompter-service.h"
#include "mc-url-verdict.h"

#define PROMPT_ID_MAX_LENGTH 255

/* The server's message is cut to 1000 characters on screen; this only
 * keeps absurd input from being copied around. */
#define MESSAGE_MAX_LENGTH (256 * 1024)

/* A sign-in asks for a handful of scopes; a list longer than a person can
 * read, or a scope longer than a line or two, is refused rather than
 * shown cut short (the answer has to name each scope exactly). */
struct _McPrompterService
{
  McDbusPrompter1Skeleton  parent_instance;

  GtkApplication          *application;  /* weak */
  GHashTable              *dialogs;      /* prompt id → McConsentDialog (borrowed) */
};

static void mc_prompter_service_iface_init (McDbusPrompter1Iface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (McPrompterService, mc_prompter_service, MC_DBUS_TYPE_PROMPTER1_SKELETON,
                               G_IMPLEMENT_INTERFACE (MC_DBUS_TYPE_PROMPTER1, mc_prompter_service_iface_init))

enum {
  PROP_0,
  PROP_APPLICATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
validate_verdict (const char  *key,
                  GVariant    *value,
                  GError     **error)
{
  g_autoptr(GVariant) risk = g_variant_lookup_value (value, "risk", NULL);
  g_autoptr(GVariant) flags = g_variant_lookup_value (value, "flags", NULL);
  McUrlRisk level;

  if (risk == NULL || !g_variant_is_of_type (risk, G_VARIANT_TYPE_STRING) ||
      !mc_url_risk_from_string (g_variant_get_string (risk, NULL), &level))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Option “%s” needs a known “risk”", key);
      return FALSE;
    }

  if (flags != NULL && !g_variant_is_of_type (flags, G_VARIANT_TYPE_STRING_ARRAY))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Option “%s” has “flags” that are not a string array", key);
      return FALSE;
    }

  return TRUE;
}

/* The daemon checks the same rule before prompting; this is for a
 * daemon that gets it wrong. */
static gboolean
validate_scopes (const char  *key,
                 GVariant    *value,
                 GError     **error)
{
  g_autofree const char **scopes = g_variant_get_strv (value, NULL);
  g_autoptr(GError) local_error = NULL;

  if (!mc_oauth_check_scopes_shown (scopes, &local_error))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "Option “%s”: %s", key, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static const McOptionKey prompt_keys[] = {
  { "kind", "s", 32, FALSE, NULL },
  { "app_kind", "s", 32, FALSE, NULL },
  { "app_id", "s", 255, FALSE, NULL },
  { "app_name", "s", 0, FALSE, NULL },
  { "app_icon", "s", 4096, FALSE, NULL },
  { "app_path", "s", 4096, FALSE, NULL },
  { "server_name", "s", 0, FALSE, NULL },
  { "server_title", "s", 0, FALSE, NULL },
  { "server_version", "s", 0, FALSE, NULL },
  { "server_url", "s", MC_URL_MAX_LENGTH, FALSE, NULL },
  { "url", "s", MC_URL_MAX_LENGTH, FALSE, NULL },
  { "message", "s", MESSAGE_MAX_LENGTH, FALSE, NULL },
  { "verdict", "a{sv}", 0, FALSE, validate_verdict },
  { "can_remember", "b", 0, FALSE, NULL },
  { "timeout", "u", 0, FALSE, NULL },
  { "queued", "u", 0, FALSE, NULL },
  { "remembered_id", "s", 255, FALSE, NULL },
  { "resource", "s", MC_URL_MAX_LENGTH, FALSE, NULL },
  { "issuer", "s", MC_URL_MAX_LENGTH, FALSE, NULL },
  { "authorization_endpoint", "s", MC_URL_MAX_LENGTH, FALSE, NULL },
  { "as_verdict", "a{sv}", 0, FALSE, validate_verdict },
  { "scopes", "as", 0, FALSE, validate_scopes },
  { "granted_scopes", "as", 0, FALSE, validate_scopes },
};

static gboolean
check_prompt_id (GDBusMethodInvocation *invocation,
                 const char            *prompt_id)
{
  if (prompt_id[0] == '\0' || strlen (prompt_id) > PROMPT_ID_MAX_LENGTH)
    {
      g_dbus_method_invocation_return_error (invocation, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                                             "A prompt id has 1 to %d bytes", PROMPT_ID_MAX_LENGTH);
      return FALSE;
    }
  return TRUE;
}

static GVariant *
filter_prompt (GVariant  *prompt,
               GError   **error)
{
  g_auto(GVariantDict) filtered = G_VARIANT_DICT_INIT (NULL);

  if (!mc_options_filter (prompt, prompt_keys, G_N_ELEMENTS (prompt_keys), &filtered, error))
    return NULL;
  return g_variant_ref_sink (g_variant_dict_end (&filtered));
}

static gboolean
is_authorize (GVariant *prompt)
{
  const char *kind = NULL;

  return g_variant_lookup (prompt, "kind", "&s", &kind) && g_str_equal (kind, "authorize");
}

/* The daemon never sends a blocked URL; should it ever, the dialog is
 * where it stops: nothing is shown, so nothing can be opened.  For a
 * sign-in the URL is the authorization endpoint, judged in "as_verdict". */
static gboolean
check_not_blocked (GVariant  *prompt,
                   GError   **error)
{
  g_autoptr(McUrlVerdict) verdict = NULL;
  g_autoptr(GVariant) remote = NULL;
  gboolean authorize = is_authorize (prompt);
  const char *url = NULL;
  const char *server_url = NULL;
  const char *risk_name = NULL;
  McUrlRisk remote_risk = MC_URL_RISK_OK;

  g_variant_lookup (prompt, authorize ? "authorization_endpoint" : "url", "&s", &url);
  g_variant_lookup (prompt, "server_url", "&s", &server_url);

  remote = g_variant_lookup_value (prompt, authorize ? "as_verdict" : "verdict", G_VARIANT_TYPE_VARDICT);
  if (remote != NULL && g_variant_lookup (remote, "risk", "&s", &risk_name))
    mc_url_risk_from_string (risk_name, &remote_risk);

  verdict = mc_url_verdict_new (url, server_url);
  if (remote_risk >= MC_URL_RISK_BLOCKED || mc_url_verdict_get_risk (verdict) >= MC_URL_RISK_BLOCKED)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_URL_BLOCKED,
                   "This URL may not be shown: %s",
                   mc_url_verdict_get_reason (verdict) ? mc_url_verdict_get_reason (verdict) : "blocked");
      return FALSE;
    }
  return TRUE;
}

static void
dialog_answered_cb (McConsentDialog   *dialog,
                    const char        *answer,
                    GVariant          *results,
                    McPrompterService *self)
{
  g_debug ("Prompt %s answered: %s", mc_consent_dialog_get_prompt_id (dialog), answer);
  mc_dbus_prompter1_emit_answered (MC_DBUS_PROMPTER1 (self),
                                   mc_consent_dialog_get_prompt_id (dialog),
                                   answer,
                                   results);
}

static void
dialog_notice_closed_cb (McConsentDialog   *dialog,
                         McPrompterService *self)
{
  mc_dbus_prompter1_emit_notice_closed (MC_DBUS_PROMPTER1 (self),
                                        mc_consent_dialog_get_prompt_id (dialog));
}

static void
dialog_forget_requested_cb (McConsentDialog   *dialog,
                            const char        *remembered_id,
                            McPrompterService *self)
{
  mc_dbus_prompter1_emit_forget_requested (MC_DBUS_PROMPTER1 (self), remembered_id);
}

static void
dialog_destroy_cb (McConsentDialog   *dialog,
                   McPrompterService *self)
{
  const char *prompt_id = mc_consent_dialog_get_prompt_id (dialog);

  if (g_hash_table_lookup (self->dialogs, prompt_id) == dialog)
    g_hash_table_remove (self->dialogs, prompt_id);
}

/* GTK owns toplevels; a dialog leaves the table when it is disposed
 * ("destroy"), or at once when the daemon takes it down. */
static void
withdraw_dialog (McPrompterService *self,
                 McConsentDialog   *dialog)
{
  const char *prompt_id = mc_consent_dialog_get_prompt_id (dialog);

  if (g_hash_table_lookup (self->dialogs, prompt_id) == dialog)
    g_hash_table_remove (self->dialogs, prompt_id);
  mc_consent_dialog_withdraw (dialog);
}

static McConsentDialog *
add_dialog (McPrompterService *self,
            const char        *prompt_id,
            GVariant          *prompt)
{
  McConsentDialog *dialog = mc_consent_dialog_new (prompt_id, prompt);

  g_signal_connect_object (dialog, "answered", G_CALLBACK (dialog_answered_cb), self, 0);
  g_signal_connect_object (dialog, "notice-closed", G_CALLBACK (dialog_notice_closed_cb), self, 0);
  g_signal_connect_object (dialog, "forget-requested", G_CALLBACK (dialog_forget_requested_cb), self, 0);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (dialog_destroy_cb), self, 0);

  if (self->application != NULL)
    gtk_window_set_application (GTK_WINDOW (dialog), self->application);

  g_hash_table_replace (self->dialogs, g_strdup (prompt_id), dialog);
  return dialog;
}

/* One thing on screen at a time: a new prompt, or a notice about another
 * prompt, takes down the notices before it.  An unanswered prompt is only
 * ever replaced by another prompt, and then it is answered "dismiss" so the
 * daemon is not left waiting for it. */
static void
take_down_others (McPrompterService *self,
                  const char        *prompt_id,
                  gboolean           prompts_too)
{
  g_autoptr(GPtrArray) doomed = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->dialogs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (doomed, g_object_ref (value));

  for (guint i = 0; i < doomed->len; i++)
    {
      McConsentDialog *dialog = g_ptr_array_index (doomed, i);
      gboolean is_prompt = mc_consent_dialog_get_state (dialog) == MC_CONSENT_DIALOG_STATE_PROMPT;

      if (g_strcmp0 (mc_consent_dialog_get_prompt_id (dialog), prompt_id) == 0)
        withdraw_dialog (self, dialog);
      else if (!is_prompt)
        withdraw_dialog (self, dialog);
      else if (prompts_too)
        gtk_window_close (GTK_WINDOW (dialog));
    }
}

static gboolean
mc_prompter_service_handle_show_prompt (McDbusPrompter1       *object,
                                        GDBusMethodInvocation *invocation,
                                        const char            *prompt_id,
                                        GVariant              *prompt)
{
  McPrompterService *self = MC_PROMPTER_SERVICE (object);
  g_autoptr(GVariant) filtered = NULL;
  g_autoptr(GError) error = NULL;
  McConsentDialog *dialog;
  const char *kind = NULL;
  const char *required = NULL;

  if (!check_prompt_id (invocation, prompt_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;

  filtered = filter_prompt (prompt, &error);
  if (filtered == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  if (g_variant_lookup (filtered, "kind", "&s", &kind) &&
      !g_str_equal (kind, "url") && !g_str_equal (kind, "authorize"))
    {
      g_dbus_method_invocation_return_error (invocation, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                                             "Unknown prompt kind “%s”", kind);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* What the user is asked to let the browser open. */
  required = is_authorize (filtered) ? "authorization_endpoint" : "url";
  if (!g_variant_lookup (filtered, required, "&s", NULL))
    {
      g_dbus_method_invocation_return_error (invocation, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                                             "Option “%s” is required", required);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  if (!check_not_blocked (filtered, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  take_down_others (self, prompt_id, TRUE);

  dialog = add_dialog (self, prompt_id, filtered);
  gtk_window_present (GTK_WINDOW (dialog));

  mc_dbus_prompter1_complete_show_prompt (object, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
mc_prompter_service_handle_show_opened (McDbusPrompter1       *object,
                                        GDBusMethodInvocation *invocation,
                                        const char            *prompt_id,
                                        GVariant              *prompt)
{
  McPrompterService *self = MC_PROMPTER_SERVICE (object);
  g_autoptr(GVariant) filtered = NULL;
  g_autoptr(GError) error = NULL;
  McConsentDialog *dialog;

  if (!check_prompt_id (invocation, prompt_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;

  filtered = filter_prompt (prompt, &error);
  if (filtered == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  if ((g_variant_lookup (filtered, "url", "&s", NULL) ||
       g_variant_lookup (filtered, "authorization_endpoint", "&s", NULL)) &&
      !check_not_blocked (filtered, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  dialog = g_hash_table_lookup (self->dialogs, prompt_id);
  if (dialog == NULL)
    {
      /* Opened by an "always allow" decision: this prompt was never shown. */
      take_down_others (self, prompt_id, FALSE);
      dialog = add_dialog (self, prompt_id, filtered);
    }

  mc_consent_dialog_show_opened (dialog, filtered);
  gtk_window_present (GTK_WINDOW (dialog));

  mc_dbus_prompter1_complete_show_opened (object, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
mc_prompter_service_handle_show_open_failed (McDbusPrompter1       *object,
                                             GDBusMethodInvocation *invocation,
                                             const char            *prompt_id,
                                             const char            *reason)
{
  McPrompterService *self = MC_PROMPTER_SERVICE (object);
  McConsentDialog *dialog;

  if (!check_prompt_id (invocation, prompt_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;

  dialog = g_hash_table_lookup (self->dialogs, prompt_id);
  if (dialog == NULL)
    {
      /* Still worth saying, even without the URL to copy. */
      take_down_others (self, prompt_id, FALSE);
      dialog = add_dialog (self, prompt_id, NULL);
    }

  mc_consent_dialog_show_open_failed (dialog, reason);
  gtk_window_present (GTK_WINDOW (dialog));

  mc_dbus_prompter1_complete_show_open_failed (object, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
mc_prompter_service_handle_dismiss (McDbusPrompter1       *object,
                                    GDBusMethodInvocation *invocation,
                                    const char            *prompt_id)
{
  McPrompterService *self = MC_PROMPTER_SERVICE (object);
  McConsentDialog *dialog = g_hash_table_lookup (self->dialogs, prompt_id);

  /* Unknown ids are ignored: the user may have closed it a moment ago. */
  if (dialog != NULL)
    withdraw_dialog (self, dialog);

  mc_dbus_prompter1_complete_dismiss (object, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
mc_prompter_service_iface_init (McDbusPrompter1Iface *iface)
{
  iface->handle_show_prompt = mc_prompter_service_handle_show_prompt;
  iface->handle_show_opened = mc_prompter_service_handle_show_opened;
  iface->handle_show_open_failed = mc_prompter_service_handle_show_open_failed;
  iface->handle_dismiss = mc_prompter_service_handle_dismiss;
}

static void
mc_prompter_service_dispose (GObject *object)
{
  McPrompterService *self = (McPrompterService *)object;

  if (self->dialogs != NULL)
    {
      g_autoptr(GHashTable) dialogs = g_steal_pointer (&self->dialogs);
      GHashTableIter iter;
      gpointer dialog;

      g_hash_table_iter_init (&iter, dialogs);
      while (g_hash_table_iter_next (&iter, NULL, &dialog))
        {
          g_signal_handlers_disconnect_by_data (dialog, self);
          mc_consent_dialog_withdraw (dialog);
        }
    }

  g_clear_weak_pointer (&self->application);

  G_OBJECT_CLASS (mc_prompter_service_parent_class)->dispose (object);
}

static void
mc_prompter_service_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  McPrompterService *self = MC_PROMPTER_SERVICE (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, self->application);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mc_prompter_service_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  McPrompterService *self = MC_PROMPTER_SERVICE (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_set_weak_pointer (&self->application, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mc_prompter_service_class_init (McPrompterServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_prompter_service_dispose;
  object_class->get_property = mc_prompter_service_get_property;
  object_class->set_property = mc_prompter_service_set_property;

  /**
   * McPrompterService:application:
   *
   * The application the dialogs belong to, so it sees when none is left.
   */
  properties[PROP_APPLICATION] =
    g_param_spec_object ("application", NULL, NULL,
                         GTK_TYPE_APPLICATION,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mc_prompter_service_init (McPrompterService *self)
{
  self->dialogs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * mc_prompter_service_new:
 * @application: (nullable): the application the dialogs belong to
 *
 * Creates the Prompter1 object; export it on the daemon's connection.
 *
 * Returns: (transfer full): a new #McPrompterService
 */
McPrompterService *
mc_prompter_service_new (GtkApplication *application)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);

  return g_object_new (MC_TYPE_PROMPTER_SERVICE,
                       "application", application,
                       NULL);
}

/**
 * mc_prompter_service_get_n_shown:
 * @self: a #McPrompterService
 *
 * Returns: how many dialogs and notices are up
 */
guint
mc_prompter_service_get_n_shown (McPrompterService *self)
{
  g_return_val_if_fail (MC_IS_PROMPTER_SERVICE (self), 0);

  return g_hash_table_size (self->dialogs);
}
