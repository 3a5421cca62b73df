/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-broker-options.h"
#include "mc-error.h"
#include "mc-oauth-urls.h"
#include "mc-text.h"
#include "mc-www-authenticate.h"

/* The whitelists every a{sv} a caller sends the broker is filtered
 * through (mc_options_filter()), with their rules; in a file of their own
 * so that the fuzzer checks the very tables the broker uses. */

static gboolean
validate_label (const char  *key,
                GVariant    *value,
                GError     **error)
{
  const char *text = g_variant_get_string (value, NULL);

  /* Names are shown as the identity of the server: no bidi overrides,
   * controls or zero-width characters that could make one look like
   * another. */
  if (mc_text_has_unsafe_chars (text))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Server “%s” contains control, zero-width or bidirectional formatting characters", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_server_name (const char  *key,
                      GVariant    *value,
                      GError     **error)
{
  if (g_variant_get_string (value, NULL)[0] == '\0')
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "Server “%s” must not be empty", key);
      return FALSE;
    }
  return validate_label (key, value, error);
}

static gboolean
validate_server_url (const char  *key,
                     GVariant    *value,
                     GError     **error)
{
  const char *url = g_variant_get_string (value, NULL);
  g_autoptr(GUri) uri = NULL;

  if (url[0] == '\0')
    return TRUE;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL ||
      g_uri_get_host (uri) == NULL ||
      (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Server “%s” must be an absolute http or https URL", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_timeout (const char  *key,
                  GVariant    *value,
                  GError     **error)
{
  guint32 timeout = g_variant_get_uint32 (value);

  if (timeout < 1 || timeout > MC_BROKER_MAX_TIMEOUT)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Option “%s” must be between 1 and %d seconds", key, MC_BROKER_MAX_TIMEOUT);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_elicitation_id (const char  *key,
                         GVariant    *value,
                         GError     **error)
{
  if (g_variant_get_string (value, NULL)[0] == '\0')
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "Option “%s” must not be empty", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_scopes (const char  *key,
                 GVariant    *value,
                 GError     **error)
{
  g_autofree const char **scopes = g_variant_get_strv (value, NULL);
  g_autoptr(GError) local_error = NULL;

  /* They are shown in the dialog as they are. */
  if (!mc_oauth_check_scopes_shown (scopes, &local_error))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "Option “%s”: %s", key, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_audit_limit (const char  *key,
                      GVariant    *value,
                      GError     **error)
{
  guint32 limit = g_variant_get_uint32 (value);

  if (limit < 1 || limit > MC_BROKER_MAX_AUDIT_EVENTS)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Option “%s” must be between 1 and %d", key, MC_BROKER_MAX_AUDIT_EVENTS);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_audit_since (const char  *key,
                      GVariant    *value,
                      GError     **error)
{
  if (g_variant_get_int64 (value) < 0)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "Option “%s” must not be negative", key);
      return FALSE;
    }
  return TRUE;
}

/* Event kinds are short lower-case words with hyphens ("token-served"). */
static gboolean
validate_audit_kinds (const char  *key,
                      GVariant    *value,
                      GError     **error)
{
  g_autofree const char **kinds = g_variant_get_strv (value, NULL);

  if (g_strv_length ((char **)kinds) > MC_BROKER_MAX_AUDIT_KINDS)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Option “%s” may list at most %d kinds", key, MC_BROKER_MAX_AUDIT_KINDS);
      return FALSE;
    }
  for (gsize i = 0; kinds[i] != NULL; i++)
    {
      gsize length = strlen (kinds[i]);

      if (length == 0 || length > 32 || strspn (kinds[i], "abcdefghijklmnopqrstuvwxyz-") != length)
        {
          g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                       "Option “%s” holds something that is not an event kind", key);
          return FALSE;
        }
    }
  return TRUE;
}

const McOptionKey mc_broker_server_keys[] = {
  { "name", "s", 256, TRUE, validate_server_name },
  { "title", "s", 256, FALSE, validate_label },
  { "version", "s", 64, FALSE, validate_label },
  { "url", "s", MC_BROKER_MAX_SERVER_URL_LENGTH, FALSE, validate_server_url },
};

/* CheckUrl needs only the URL of the server. */
const McOptionKey mc_broker_check_server_keys[] = {
  { "name", "s", 256, FALSE, validate_label },
  { "title", "s", 256, FALSE, validate_label },
  { "version", "s", 64, FALSE, validate_label },
  { "url", "s", MC_BROKER_MAX_SERVER_URL_LENGTH, FALSE, validate_server_url },
};

const McOptionKey mc_broker_elicit_option_keys[] = {
  { "handle_token", "s", 64, FALSE, mc_options_validate_token },
  { "elicitation_id", "s", MC_BROKER_MAX_ELICITATION_ID_LENGTH, FALSE, validate_elicitation_id },
  { "timeout", "u", 0, FALSE, validate_timeout },
};

const McOptionKey mc_broker_authorize_option_keys[] = {
  { "handle_token", "s", 64, FALSE, mc_options_validate_token },
  { "www_authenticate", "s", MC_WWW_AUTHENTICATE_MAX_LENGTH, FALSE, NULL },
  { "scopes", "as", 0, FALSE, validate_scopes },
  { "timeout", "u", 0, FALSE, validate_timeout },
};

const McOptionKey mc_broker_get_token_option_keys[] = {
  { "refresh", "b", 0, FALSE, NULL },
};

const McOptionKey mc_broker_audit_option_keys[] = {
  { "limit", "u", 0, FALSE, validate_audit_limit },
  { "since", "x", 0, FALSE, validate_audit_since },
  { "kinds", "as", 0, FALSE, validate_audit_kinds },
};

const gsize mc_broker_n_audit_option_keys = G_N_ELEMENTS (mc_broker_audit_option_keys);
const gsize mc_broker_n_authorize_option_keys = G_N_ELEMENTS (mc_broker_authorize_option_keys);
const gsize mc_broker_n_get_token_option_keys = G_N_ELEMENTS (mc_broker_get_token_option_keys);
const gsize mc_broker_n_server_keys = G_N_ELEMENTS (mc_broker_server_keys);
const gsize mc_broker_n_check_server_keys = G_N_ELEMENTS (mc_broker_check_server_keys);
const gsize mc_broker_n_elicit_option_keys = G_N_ELEMENTS (mc_broker_elicit_option_keys);
