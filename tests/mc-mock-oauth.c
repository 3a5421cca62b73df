/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "mc-mock-oauth.h"
#include "mc-test-env.h"

/*
 * A local OAuth 2.1 authorization server and MCP protected resource,
 * for tests. It runs in its own thread with its own GMainContext, so a
 * test may block its main thread on D-Bus calls to the broker while the
 * broker talks to the mock. Everything the handlers read or change is
 * under one mutex; the test configures and inspects through the same
 * lock.
 */

typedef struct
{
  char *client_id;
  char *client_secret;
  char *auth_method;
  /* NULL for a metadata document client: the mock does not fetch the
   * document, so any http loopback redirect URI is taken. */
  GStrv redirect_uris;
} MockClient;

typedef struct
{
  char     *client_id;
  char     *redirect_uri;
  char     *code_challenge;
  char     *code_challenge_method;
  char     *resource;
  char     *scope;
  gboolean  used;
} MockCode;

/* What an access or refresh token stands for. */
typedef struct
{
  char   *client_id;
  char   *scope;
  char   *resource;
  gint64  expires_at;  /* monotonic µs; G_MAXINT64 for never */
} MockGrant;

struct _McMockOAuth
{
  /* Written before the server thread signals that it listens, then
   * read-only: no lock needed to read them. */
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  char         *issuer_path;
  gboolean      separate_as_origin;
  char         *origin;
  char         *as_origin;
  char         *resource_url;
  char         *issuer;
  char         *wrong_issuer;
  char         *authorize_path;
  char         *token_path;
  char         *register_path;
  char         *revoke_path;
  char         *authorize_url;
  char         *token_url;
  char         *register_url;
  char         *revoke_url;
  char         *prm_urls[3];
  char         *as_metadata_paths[4];
  char         *as_metadata_urls[4];

  /* Only the server thread touches these. */
  SoupServer   *server;
  SoupServer   *as_server;
  GHashTable   *delayed;  /* GSource → NULL: held responses */

  GMutex              lock;
  GCond               started;
  gboolean            ready;
  GError             *start_error;
  McMockOAuthOptions  config;
  GHashTable         *clients;                 /* client_id → MockClient */
  GHashTable         *codes;                   /* code → MockCode */
  GHashTable         *access_tokens;           /* token → MockGrant */
  GHashTable         *refresh_tokens;          /* token → MockGrant */
  GHashTable         *rotated_refresh_tokens;  /* set */
  GPtrArray          *requests;                /* McMockOAuthRequest */
  guint               counts[MC_MOCK_OAUTH_N_COUNTERS];
  char               *last_access_token;
  char               *last_refresh_token;
  char               *last_registered_client;
  char               *last_authorize_error;
  GPtrArray          *metadata_document_clients;
};

static const McMockOAuthPrm prm_locations[] = {
  MC_MOCK_OAUTH_PRM_CUSTOM,
  MC_MOCK_OAUTH_PRM_PATH_INSERTED,
  MC_MOCK_OAUTH_PRM_ROOT,
};

static const char * const prm_paths[] = {
  MC_MOCK_OAUTH_PRM_CUSTOM_PATH,
  /* RFC 9728 §3.1, for the resource path MC_MOCK_OAUTH_RESOURCE_PATH */
  "/.well-known/oauth-protected-resource/mcp",
  "/.well-known/oauth-protected-resource",
};

static const McMockOAuthAsMetadata as_metadata_locations[] = {
  MC_MOCK_OAUTH_AS_METADATA_OAUTH,
  MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED,
  MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED,
  /* On the resource's origin, the others on the authorization server's. */
  MC_MOCK_OAUTH_AS_METADATA_LEGACY,
};
G_STATIC_ASSERT (G_N_ELEMENTS (as_metadata_locations) == G_N_ELEMENTS (((McMockOAuth *) NULL)->as_metadata_paths));

static const char * const default_scopes_supported[] = { "mcp:basic", NULL };
static const char * const default_code_challenge_methods[] = { "S256", NULL };
static const char * const default_auth_methods[] = {
  "none", "client_secret_basic", "client_secret_post", NULL
};

static void
mock_client_free (MockClient *client)
{
  g_free (client->client_id);
  g_free (client->client_secret);
  g_free (client->auth_method);
  g_strfreev (client->redirect_uris);
  g_free (client);
}

static void
mock_code_free (MockCode *code)
{
  g_free (code->client_id);
  g_free (code->redirect_uri);
  g_free (code->code_challenge);
  g_free (code->code_challenge_method);
  g_free (code->resource);
  g_free (code->scope);
  g_free (code);
}

static MockGrant *
mock_grant_new (const char *client_id,
                const char *scope,
                const char *resource,
                gint64      expires_at)
{
  MockGrant *grant = g_new0 (MockGrant, 1);

  grant->client_id = g_strdup (client_id);
  grant->scope = g_strdup (scope);
  grant->resource = g_strdup (resource);
  grant->expires_at = expires_at;
  return grant;
}

static void
mock_grant_free (MockGrant *grant)
{
  g_free (grant->client_id);
  g_free (grant->scope);
  g_free (grant->resource);
  g_free (grant);
}

/* Options */

/**
 * mc_mock_oauth_options_init:
 * @options: options to fill
 *
 * Sets @options to the defaults: a server that does everything the way
 * the MCP authorization specification asks.
 */
void
mc_mock_oauth_options_init (McMockOAuthOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->prm_locations = MC_MOCK_OAUTH_PRM_PATH_INSERTED;
  options->challenge_prm = MC_MOCK_OAUTH_PRM_PATH_INSERTED;
  options->scopes_supported = default_scopes_supported;
  options->as_metadata = MC_MOCK_OAUTH_AS_METADATA_OAUTH;
  options->code_challenge_methods = default_code_challenge_methods;
  options->registration_endpoint = TRUE;
  options->revocation_endpoint = TRUE;
  options->iss_parameter_supported = TRUE;
  options->token_endpoint_auth_methods = default_auth_methods;
  options->redirect_match = MC_MOCK_OAUTH_REDIRECT_ANY_LOOPBACK_PORT;
  options->authorize_mode = MC_MOCK_OAUTH_AUTHORIZE_APPROVE;
  options->iss = MC_MOCK_OAUTH_ISS_AUTO;
  options->token_failure = MC_MOCK_OAUTH_TOKEN_OK;
  options->expires_in = 3600;
  options->refresh_tokens = TRUE;
  options->rotate_refresh_tokens = TRUE;
}

/* The copy in self->config owns its strings; the const in the public
 * struct is for callers, who pass literals. */
static void
config_clear (McMockOAuthOptions *config)
{
  g_free ((char *) config->issuer_path);
  g_free ((char *) config->prm_resource);
  g_strfreev ((GStrv) config->prm_authorization_servers);
  g_strfreev ((GStrv) config->scopes_supported);
  g_free ((char *) config->resource_name);
  g_free ((char *) config->issuer_override);
  g_free ((char *) config->authorization_endpoint_override);
  g_strfreev ((GStrv) config->code_challenge_methods);
  g_strfreev ((GStrv) config->token_endpoint_auth_methods);
  g_strfreev ((GStrv) config->as_scopes_supported);
  g_free ((char *) config->extra_scope);
  g_free ((char *) config->challenge_scope);
  g_free ((char *) config->required_scope);
  memset (config, 0, sizeof *config);
}

static void
config_set (McMockOAuthOptions       *config,
            const McMockOAuthOptions *options)
{
  config_clear (config);
  *config = *options;
  config->issuer_path = g_strdup (options->issuer_path);
  config->prm_resource = g_strdup (options->prm_resource);
  config->prm_authorization_servers = (const char * const *) g_strdupv ((GStrv) options->prm_authorization_servers);
  config->scopes_supported = (const char * const *) g_strdupv ((GStrv) options->scopes_supported);
  config->resource_name = g_strdup (options->resource_name);
  config->issuer_override = g_strdup (options->issuer_override);
  config->authorization_endpoint_override = g_strdup (options->authorization_endpoint_override);
  config->code_challenge_methods = (const char * const *) g_strdupv ((GStrv) options->code_challenge_methods);
  config->token_endpoint_auth_methods =
    (const char * const *) g_strdupv ((GStrv) options->token_endpoint_auth_methods);
  config->as_scopes_supported = (const char * const *) g_strdupv ((GStrv) options->as_scopes_supported);
  config->extra_scope = g_strdup (options->extra_scope);
  config->challenge_scope = g_strdup (options->challenge_scope);
  config->required_scope = g_strdup (options->required_scope);
}

/* Recorded requests */

static GHashTable *
copy_params (GHashTable *params)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  if (params == NULL)
    return copy;

  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
  return copy;
}

/**
 * mc_mock_oauth_request_copy:
 * @request: a recorded request
 *
 * Returns: (transfer full): a deep copy of @request
 */
McMockOAuthRequest *
mc_mock_oauth_request_copy (const McMockOAuthRequest *request)
{
  McMockOAuthRequest *copy;

  g_return_val_if_fail (request != NULL, NULL);

  copy = g_new0 (McMockOAuthRequest, 1);
  copy->endpoint = request->endpoint;
  copy->method = g_strdup (request->method);
  copy->url = g_strdup (request->url);
  copy->host = g_strdup (request->host);
  copy->authorization = g_strdup (request->authorization);
  copy->params = copy_params (request->params);
  copy->body = g_strdup (request->body);
  copy->client_auth = g_strdup (request->client_auth);
  copy->status = request->status;
  return copy;
}

/**
 * mc_mock_oauth_request_free:
 * @request: (nullable): a recorded request
 */
void
mc_mock_oauth_request_free (McMockOAuthRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->method);
  g_free (request->url);
  g_free (request->host);
  g_free (request->authorization);
  g_clear_pointer (&request->params, g_hash_table_unref);
  g_free (request->body);
  g_free (request->client_auth);
  g_free (request);
}

/* Answers */

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              JsonBuilder       *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;
  gsize length = 0;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, length);
}

static void
respond_error (SoupServerMessage *msg,
               guint              status,
               const char        *error,
               const char        *description)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, error);
  if (description != NULL)
    {
      json_builder_set_member_name (builder, "error_description");
      json_builder_add_string_value (builder, description);
    }
  json_builder_end_object (builder);
  respond_json (msg, status, builder);
}

static void
respond_text (SoupServerMessage *msg,
              guint              status,
              const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    text, strlen (text));
}

static void
respond_not_found (SoupServerMessage *msg)
{
  respond_text (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
}

/* A metadata URL that serves nothing: 404, or the status the test set. */
static void
respond_missing (SoupServerMessage *msg,
                 guint              status)
{
  if (status == 0 || status == SOUP_STATUS_NOT_FOUND)
    respond_not_found (msg);
  else
    respond_text (msg, status, "No metadata here\n");
}

static void
add_strv_member (JsonBuilder        *builder,
                 const char         *name,
                 const char * const *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (gsize i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/* Helpers under the lock */

static const char *
param (McMockOAuthRequest *request,
       const char         *name)
{
  return g_hash_table_lookup (request->params, name);
}

static char *
new_secret (const char *kind)
{
  g_autofree char *uuid = g_uuid_string_random ();

  /* The kind in front makes a failing assertion readable. */
  return g_strconcat (kind, "-", uuid, NULL);
}

static const char *
challenge_prm_url (McMockOAuth *self)
{
  for (gsize i = 0; i < G_N_ELEMENTS (prm_locations); i++)
    if (self->config.challenge_prm & prm_locations[i])
      return self->prm_urls[i];
  return NULL;
}

static void
append_auth_param (GString    *challenge,
                   gboolean   *first,
                   const char *name,
                   const char *value)
{
  g_string_append (challenge, *first ? " " : ", ");
  *first = FALSE;
  g_string_append_printf (challenge, "%s=\"", name);
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (challenge, '\\');
      g_string_append_c (challenge, *p);
    }
  g_string_append_c (challenge, '"');
}

static char *
build_challenge (McMockOAuth *self,
                 const char  *scope,
                 const char  *error)
{
  GString *challenge = g_string_new ("Bearer");
  const char *prm_url = challenge_prm_url (self);
  gboolean first = TRUE;

  if (prm_url != NULL)
    append_auth_param (challenge, &first, "resource_metadata", prm_url);
  if (scope != NULL)
    append_auth_param (challenge, &first, "scope", scope);
  if (error != NULL)
    append_auth_param (challenge, &first, "error", error);
  return g_string_free (challenge, FALSE);
}

static gboolean
strv_contains (const char * const *strv,
               const char         *value)
{
  return strv != NULL && value != NULL && g_strv_contains (strv, value);
}

/* Whether every scope in @wanted (space-separated) is in @granted. */
static gboolean
scopes_cover (const char *granted,
              const char *wanted)
{
  g_auto(GStrv) have = g_strsplit (granted != NULL ? granted : "", " ", -1);
  g_auto(GStrv) want = g_strsplit (wanted != NULL ? wanted : "", " ", -1);

  for (gsize i = 0; want[i] != NULL; i++)
    if (want[i][0] != '\0' && !g_strv_contains ((const char * const *) have, want[i]))
      return FALSE;
  return TRUE;
}

static char *
scope_with_extra (const char *scope,
                  const char *extra)
{
  if (extra == NULL || scopes_cover (scope, extra))
    return g_strdup (scope);
  if (scope == NULL || scope[0] == '\0')
    return g_strdup (extra);
  return g_strconcat (scope, " ", extra, NULL);
}

static gboolean
is_metadata_document_url (const char *client_id)
{
  g_autoptr(GUri) uri = g_uri_parse (client_id, G_URI_FLAGS_NONE, NULL);
  const char *path;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
    return FALSE;
  path = g_uri_get_path (uri);
  return path[0] != '\0' && strcmp (path, "/") != 0;
}

static MockClient *
find_client (McMockOAuth *self,
             const char  *client_id)
{
  MockClient *client;

  if (client_id == NULL)
    return NULL;

  client = g_hash_table_lookup (self->clients, client_id);
  if (client != NULL)
    return client;

  if (!self->config.client_id_metadata_document_supported || !is_metadata_document_url (client_id))
    return NULL;

  client = g_new0 (MockClient, 1);
  client->client_id = g_strdup (client_id);
  client->auth_method = g_strdup ("none");
  g_hash_table_insert (self->clients, client->client_id, client);
  g_ptr_array_add (self->metadata_document_clients, g_strdup (client_id));
  return client;
}

static gboolean
is_loopback_host (const char *host)
{
  return host != NULL &&
         (strcmp (host, "127.0.0.1") == 0 ||
          strcmp (host, "::1") == 0 ||
          g_ascii_strcasecmp (host, "localhost") == 0);
}

/* RFC 8252 §7.3: for loopback redirect URIs, the port is the client's
 * choice at the time of the request; everything else must match. */
static gboolean
same_loopback_uri_but_port (const char *registered,
                            const char *presented)
{
  g_autoptr(GUri) a = g_uri_parse (registered, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GUri) b = g_uri_parse (presented, G_URI_FLAGS_NONE, NULL);

  return a != NULL && b != NULL &&
         g_strcmp0 (g_uri_get_scheme (a), "http") == 0 &&
         g_strcmp0 (g_uri_get_scheme (b), "http") == 0 &&
         is_loopback_host (g_uri_get_host (a)) &&
         g_strcmp0 (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         g_uri_get_userinfo (b) == NULL &&
         g_strcmp0 (g_uri_get_path (a), g_uri_get_path (b)) == 0 &&
         g_strcmp0 (g_uri_get_query (a), g_uri_get_query (b)) == 0 &&
         g_uri_get_fragment (b) == NULL;
}

static gboolean
redirect_uri_matches (McMockOAuth      *self,
                      const MockClient *client,
                      const char       *redirect_uri)
{
  if (client->redirect_uris == NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (redirect_uri, G_URI_FLAGS_NONE, NULL);

      return uri != NULL &&
             g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 &&
             is_loopback_host (g_uri_get_host (uri));
    }

  for (gsize i = 0; client->redirect_uris[i] != NULL; i++)
    {
      if (strcmp (client->redirect_uris[i], redirect_uri) == 0)
        return TRUE;
      if (self->config.redirect_match == MC_MOCK_OAUTH_REDIRECT_ANY_LOOPBACK_PORT &&
          same_loopback_uri_but_port (client->redirect_uris[i], redirect_uri))
        return TRUE;
    }
  return FALSE;
}

/* The client's authentication as the request presents it, judged later. */
static const char *
client_auth_presented (SoupServerMessage  *msg,
                       McMockOAuthRequest *request)
{
  const char *authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                            "Authorization");

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Basic ", 6) == 0)
    return "client_secret_basic";
  if (param (request, "client_secret") != NULL)
    return "client_secret_post";
  return "none";
}

/* RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are
 * joined with ':' and base64-encoded, so both may contain ':'. */
static char *
form_unescape (const char *text)
{
  g_autofree char *plus_free = g_strdup (text);

  g_strdelimit (plus_free, "+", ' ');
  return g_uri_unescape_string (plus_free, NULL);
}

static gboolean
parse_basic (const char  *authorization,
             char       **out_id,
             char       **out_secret)
{
  g_autofree guchar *decoded = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  char *colon;

  decoded = g_base64_decode (authorization + strlen ("Basic "), &length);
  text = g_strndup ((const char *) decoded, length);
  colon = strchr (text, ':');
  if (colon == NULL)
    return FALSE;
  *colon = '\0';
  *out_id = form_unescape (text);
  *out_secret = form_unescape (colon + 1);
  return *out_id != NULL && *out_secret != NULL;
}

/* Authenticates the client of a /token or /revoke request the way it
 * registered, and says why not otherwise. */
static MockClient *
authenticate_client (McMockOAuth         *self,
                     SoupServerMessage   *msg,
                     McMockOAuthRequest  *request,
                     guint               *out_status,
                     const char         **out_error,
                     char               **out_description)
{
  const char *authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                            "Authorization");
  const char *form_id = param (request, "client_id");
  const char *form_secret = param (request, "client_secret");
  g_autofree char *basic_id = NULL;
  g_autofree char *basic_secret = NULL;
  const char *client_id;
  const char *secret;
  MockClient *client;

  *out_status = SOUP_STATUS_UNAUTHORIZED;
  *out_error = "invalid_client";

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Basic ", 6) == 0)
    {
      if (!parse_basic (authorization, &basic_id, &basic_secret))
        {
          *out_description = g_strdup ("malformed Basic credentials");
          return NULL;
        }
      /* RFC 6749 §2.3: one authentication method per request. */
      if (form_secret != NULL || (form_id != NULL && strcmp (form_id, basic_id) != 0))
        {
          *out_status = SOUP_STATUS_BAD_REQUEST;
          *out_error = "invalid_request";
          *out_description = g_strdup ("client credentials both in the header and the body");
          return NULL;
        }
    }

  client_id = basic_id != NULL ? basic_id : form_id;
  secret = basic_id != NULL ? basic_secret : form_secret;
  client = find_client (self, client_id);
  if (client == NULL)
    {
      *out_description = g_strdup_printf ("unknown client_id %s", client_id != NULL ? client_id : "(none)");
      return NULL;
    }

  if (g_strcmp0 (client->auth_method, request->client_auth) != 0)
    {
      *out_description = g_strdup_printf ("this client authenticates with %s, not %s",
                                          client->auth_method, request->client_auth);
      return NULL;
    }
  if (g_strcmp0 (client->auth_method, "none") != 0 && g_strcmp0 (client->client_secret, secret) != 0)
    {
      *out_description = g_strdup ("wrong client secret");
      return NULL;
    }

  return client;
}

static char *
add_redirect_params (const char *redirect_uri,
                     const char *first_name,
                     ...)
{
  GString *uri = g_string_new (redirect_uri);
  char separator = strchr (redirect_uri, '?') != NULL ? '&' : '?';
  const char *name = first_name;
  va_list args;

  va_start (args, first_name);
  while (name != NULL)
    {
      const char *value = va_arg (args, const char *);

      /* A NULL value leaves the parameter out. */
      if (value != NULL)
        {
          g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

          g_string_append_printf (uri, "%c%s=%s", separator, name, escaped);
          separator = '&';
        }
      name = va_arg (args, const char *);
    }
  va_end (args);

  return g_string_free (uri, FALSE);
}

/* The issuer the metadata names. */
static const char *
advertised_issuer (McMockOAuth *self)
{
  return self->config.issuer_override != NULL ? self->config.issuer_override : self->issuer;
}

static const char *
response_iss (McMockOAuth *self)
{
  switch (self->config.iss)
    {
    case MC_MOCK_OAUTH_ISS_AUTO:
      return self->config.iss_parameter_supported ? advertised_issuer (self) : NULL;
    case MC_MOCK_OAUTH_ISS_ALWAYS:
      return advertised_issuer (self);
    case MC_MOCK_OAUTH_ISS_OMIT:
      return NULL;
    case MC_MOCK_OAUTH_ISS_WRONG:
      return self->wrong_issuer;
    default:
      g_assert_not_reached ();
    }
}

/* Endpoints */

static McMockOAuthEndpoint
classify (McMockOAuth *self,
          SoupServer  *server,
          const char  *path)
{
  gboolean resource_origin = server == self->server;
  gboolean as_origin = self->as_server == NULL || server == self->as_server;

  /* Discovery URLs are classified wherever they arrive, so that a test
   * sees a client look for metadata in the wrong place. */
  if (g_str_has_prefix (path, "/.well-known/oauth-protected-resource") ||
      strcmp (path, MC_MOCK_OAUTH_PRM_CUSTOM_PATH) == 0)
    return MC_MOCK_OAUTH_ENDPOINT_PRM;
  if (g_str_has_prefix (path, "/.well-known/oauth-authorization-server") ||
      g_str_has_prefix (path, "/.well-known/openid-configuration") ||
      g_str_has_suffix (path, "/.well-known/openid-configuration"))
    return MC_MOCK_OAUTH_ENDPOINT_AS_METADATA;

  if (resource_origin && strcmp (path, MC_MOCK_OAUTH_RESOURCE_PATH) == 0)
    return MC_MOCK_OAUTH_ENDPOINT_RESOURCE;
  if (!as_origin)
    return MC_MOCK_OAUTH_ENDPOINT_OTHER;
  if (strcmp (path, self->authorize_path) == 0)
    return MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE;
  if (strcmp (path, self->token_path) == 0)
    return MC_MOCK_OAUTH_ENDPOINT_TOKEN;
  if (strcmp (path, self->register_path) == 0)
    return MC_MOCK_OAUTH_ENDPOINT_REGISTER;
  if (strcmp (path, self->revoke_path) == 0)
    return MC_MOCK_OAUTH_ENDPOINT_REVOKE;
  return MC_MOCK_OAUTH_ENDPOINT_OTHER;
}

static void
handle_prm (McMockOAuth       *self,
            SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path)
{
  g_autoptr(JsonBuilder) builder = NULL;
  gboolean served = FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (prm_locations); i++)
    if ((self->config.prm_locations & prm_locations[i]) && strcmp (path, prm_paths[i]) == 0)
      served = TRUE;
  if (!served || server != self->server)
    {
      respond_missing (msg, self->config.prm_missing_status);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string_member (builder, "resource",
                     self->config.prm_resource != NULL ? self->config.prm_resource : self->resource_url);
  if (self->config.prm_authorization_servers != NULL)
    {
      add_strv_member (builder, "authorization_servers", self->config.prm_authorization_servers);
    }
  else
    {
      const char * const issuers[] = { self->issuer, NULL };

      add_strv_member (builder, "authorization_servers", issuers);
    }
  if (self->config.scopes_supported != NULL)
    add_strv_member (builder, "scopes_supported", self->config.scopes_supported);
  add_strv_member (builder, "bearer_methods_supported", (const char * const[]) { "header", NULL });
  if (self->config.resource_name != NULL)
    add_string_member (builder, "resource_name", self->config.resource_name);
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_OK, builder);
}

static void
handle_as_metadata (McMockOAuth       *self,
                    SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path)
{
  g_autoptr(JsonBuilder) builder = NULL;
  gboolean served = FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (as_metadata_locations); i++)
    {
      SoupServer *origin = as_metadata_locations[i] == MC_MOCK_OAUTH_AS_METADATA_LEGACY || self->as_server == NULL
        ? self->server : self->as_server;

      if ((self->config.as_metadata & as_metadata_locations[i]) && strcmp (path, self->as_metadata_paths[i]) == 0 &&
          server == origin)
        served = TRUE;
    }
  if (!served)
    {
      respond_missing (msg, self->config.as_metadata_missing_status);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string_member (builder, "issuer", advertised_issuer (self));
  add_string_member (builder, "authorization_endpoint",
                     self->config.authorization_endpoint_override != NULL
                     ? self->config.authorization_endpoint_override : self->authorize_url);
  add_string_member (builder, "token_endpoint", self->token_url);
  if (self->config.registration_endpoint)
    add_string_member (builder, "registration_endpoint", self->register_url);
  if (self->config.revocation_endpoint)
    add_string_member (builder, "revocation_endpoint", self->revoke_url);
  add_strv_member (builder, "response_types_supported", (const char * const[]) { "code", NULL });
  add_strv_member (builder, "grant_types_supported",
                   (const char * const[]) { "authorization_code", "refresh_token", NULL });
  if (self->config.code_challenge_methods != NULL)
    add_strv_member (builder, "code_challenge_methods_supported", self->config.code_challenge_methods);
  if (self->config.token_endpoint_auth_methods != NULL)
    add_strv_member (builder, "token_endpoint_auth_methods_supported", self->config.token_endpoint_auth_methods);
  if (self->config.as_scopes_supported != NULL)
    add_strv_member (builder, "scopes_supported", self->config.as_scopes_supported);
  if (self->config.client_id_metadata_document_supported)
    {
      json_builder_set_member_name (builder, "client_id_metadata_document_supported");
      json_builder_add_boolean_value (builder, TRUE);
    }
  if (self->config.iss_parameter_supported)
    {
      json_builder_set_member_name (builder, "authorization_response_iss_parameter_supported");
      json_builder_add_boolean_value (builder, TRUE);
    }
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_OK, builder);
}

/* Why a valid-looking authorization request is not one, or NULL. */
static char *
authorize_problem (McMockOAuth        *self,
                   McMockOAuthRequest *request)
{
  const char *client_id = param (request, "client_id");
  const char *redirect_uri = param (request, "redirect_uri");
  const char *method = param (request, "code_challenge_method");
  MockClient *client = find_client (self, client_id);

  if (client == NULL)
    return g_strdup_printf ("unknown client_id %s", client_id != NULL ? client_id : "(none)");
  if (redirect_uri == NULL)
    return g_strdup ("no redirect_uri");
  if (!redirect_uri_matches (self, client, redirect_uri))
    return g_strdup_printf ("redirect_uri %s is not registered for this client", redirect_uri);
  if (g_strcmp0 (param (request, "response_type"), "code") != 0)
    return g_strdup ("response_type is not code");
  if (param (request, "code_challenge") == NULL || param (request, "code_challenge")[0] == '\0')
    return g_strdup ("no code_challenge");
  if (g_strcmp0 (method, "S256") != 0 &&
      !(g_strcmp0 (method, "plain") == 0 && strv_contains (self->config.code_challenge_methods, "plain")))
    return g_strdup_printf ("code_challenge_method %s is not supported", method != NULL ? method : "(none)");
  if (param (request, "state") == NULL)
    return g_strdup ("no state");
  if (g_strcmp0 (param (request, "resource"), self->resource_url) != 0)
    return g_strdup_printf ("resource is %s, not %s",
                            param (request, "resource") != NULL ? param (request, "resource") : "(none)",
                            self->resource_url);
  return NULL;
}

static void
handle_authorize (McMockOAuth        *self,
                  SoupServerMessage  *msg,
                  McMockOAuthRequest *request)
{
  const char *redirect_uri = param (request, "redirect_uri");
  const char *state = param (request, "state");
  g_autofree char *location = NULL;
  MockCode *code;
  char *code_value;

  self->counts[MC_MOCK_OAUTH_COUNT_AUTHORIZE]++;
  g_clear_pointer (&self->last_authorize_error, g_free);

  if (strcmp (request->method, "GET") != 0)
    self->last_authorize_error = g_strdup_printf ("method %s", request->method);
  else
    self->last_authorize_error = authorize_problem (self, request);
  if (self->last_authorize_error != NULL)
    {
      g_autofree char *page = g_strdup_printf ("Invalid authorization request: %s\n", self->last_authorize_error);

      respond_text (msg, SOUP_STATUS_BAD_REQUEST, page);
      return;
    }

  switch (self->config.authorize_mode)
    {
    case MC_MOCK_OAUTH_AUTHORIZE_APPROVE:
      code = g_new0 (MockCode, 1);
      code->client_id = g_strdup (param (request, "client_id"));
      code->redirect_uri = g_strdup (redirect_uri);
      code->code_challenge = g_strdup (param (request, "code_challenge"));
      code->code_challenge_method = g_strdup (param (request, "code_challenge_method"));
      code->resource = g_strdup (param (request, "resource"));
      code->scope = g_strdup (param (request, "scope"));
      code_value = new_secret ("code");
      g_hash_table_insert (self->codes, code_value, code);
      location = add_redirect_params (redirect_uri,
                                      "code", code_value,
                                      "state", state,
                                      "iss", response_iss (self),
                                      NULL);
      break;
    case MC_MOCK_OAUTH_AUTHORIZE_DENY:
      location = add_redirect_params (redirect_uri,
                                      "error", "access_denied",
                                      "error_description", "The user denied access",
                                      "state", state,
                                      "iss", response_iss (self),
                                      NULL);
      break;
    case MC_MOCK_OAUTH_AUTHORIZE_ERROR_PAGE:
      self->last_authorize_error = g_strdup ("refused by the error-page mode");
      respond_text (msg, SOUP_STATUS_BAD_REQUEST, "The server could not process this request.\n");
      return;
    default:
      g_assert_not_reached ();
    }

  soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
}

static gboolean
is_valid_code_verifier (const char *verifier)
{
  gsize length;

  if (verifier == NULL)
    return FALSE;

  /* RFC 7636 §4.1 */
  length = strlen (verifier);
  if (length < 43 || length > 128)
    return FALSE;
  for (const char *p = verifier; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-._~", *p) == NULL)
      return FALSE;
  return TRUE;
}

static char *
s256_challenge (const char *verifier)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize length = sizeof digest;
  char *encoded;
  char *padding;

  g_checksum_update (checksum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (checksum, digest, &length);
  encoded = g_base64_encode (digest, length);
  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  padding = strchr (encoded, '=');
  if (padding != NULL)
    *padding = '\0';
  return encoded;
}

static const char *
issue_access_token (McMockOAuth *self,
                    const char  *client_id,
                    const char  *scope,
                    const char  *resource)
{
  char *token = new_secret ("at");
  gint64 expires_at = G_MAXINT64;

  if (self->config.expires_in >= 0)
    expires_at = g_get_monotonic_time () + self->config.expires_in * G_USEC_PER_SEC;
  g_hash_table_insert (self->access_tokens, token, mock_grant_new (client_id, scope, resource, expires_at));
  g_free (self->last_access_token);
  self->last_access_token = g_strdup (token);
  return token;
}

static const char *
issue_refresh_token (McMockOAuth *self,
                     const char  *client_id,
                     const char  *scope,
                     const char  *resource)
{
  char *token = new_secret ("rt");

  g_hash_table_insert (self->refresh_tokens, token, mock_grant_new (client_id, scope, resource, G_MAXINT64));
  g_free (self->last_refresh_token);
  self->last_refresh_token = g_strdup (token);
  return token;
}

static void
respond_tokens (McMockOAuth       *self,
                SoupServerMessage *msg,
                const char        *access_token,
                const char        *refresh_token,
                const char        *scope)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  json_builder_begin_object (builder);
  add_string_member (builder, "access_token", access_token);
  add_string_member (builder, "token_type", "Bearer");
  if (self->config.expires_in >= 0)
    {
      json_builder_set_member_name (builder, "expires_in");
      json_builder_add_int_value (builder, self->config.expires_in);
    }
  if (refresh_token != NULL)
    add_string_member (builder, "refresh_token", refresh_token);
  if (!self->config.omit_scope && scope != NULL && scope[0] != '\0')
    add_string_member (builder, "scope", scope);
  json_builder_end_object (builder);

  /* RFC 6749 §5.1 */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Pragma", "no-cache");
  respond_json (msg, SOUP_STATUS_OK, builder);
}

static void
exchange_code (McMockOAuth        *self,
               SoupServerMessage  *msg,
               McMockOAuthRequest *request,
               MockClient         *client)
{
  const char *verifier = param (request, "code_verifier");
  MockCode *code = g_hash_table_lookup (self->codes, param (request, "code") != NULL ? param (request, "code") : "");
  g_autofree char *challenge = NULL;
  g_autofree char *scope = NULL;
  const char *access_token;
  const char *refresh_token = NULL;

  if (code == NULL || code->used)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant",
                     code == NULL ? "unknown code" : "code already used");
      return;
    }
  if (strcmp (code->client_id, client->client_id) != 0)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant", "code issued to another client");
      return;
    }
  if (g_strcmp0 (param (request, "redirect_uri"), code->redirect_uri) != 0)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant",
                     "redirect_uri differs from the authorization request's");
      return;
    }
  if (!is_valid_code_verifier (verifier))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant", "code_verifier missing or malformed");
      return;
    }
  challenge = strcmp (code->code_challenge_method, "S256") == 0 ? s256_challenge (verifier) : g_strdup (verifier);
  if (strcmp (challenge, code->code_challenge) != 0)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant", "PKCE verification failed");
      return;
    }
  if (g_strcmp0 (param (request, "resource"), code->resource) != 0)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_target",
                     "resource differs from the authorization request's");
      return;
    }

  code->used = TRUE;
  scope = scope_with_extra (code->scope, self->config.extra_scope);
  access_token = issue_access_token (self, client->client_id, scope, code->resource);
  if (self->config.refresh_tokens)
    refresh_token = issue_refresh_token (self, client->client_id, scope, code->resource);
  respond_tokens (self, msg, access_token, refresh_token, scope);
}

static void
refresh (McMockOAuth        *self,
         SoupServerMessage  *msg,
         McMockOAuthRequest *request,
         MockClient         *client)
{
  const char *old_token = param (request, "refresh_token");
  const char *wanted_scope = param (request, "scope");
  MockGrant *grant = g_hash_table_lookup (self->refresh_tokens, old_token != NULL ? old_token : "");
  g_autofree char *scope = NULL;
  g_autofree char *resource = NULL;
  const char *access_token;
  const char *refresh_token = NULL;

  if (grant == NULL)
    {
      if (old_token != NULL && g_hash_table_contains (self->rotated_refresh_tokens, old_token))
        self->counts[MC_MOCK_OAUTH_COUNT_REFRESH_REUSED]++;
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant", "unknown, rotated or revoked refresh token");
      return;
    }
  if (strcmp (grant->client_id, client->client_id) != 0)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant", "refresh token issued to another client");
      return;
    }
  /* MCP asks for the resource indicator in every token request. */
  if (g_strcmp0 (param (request, "resource"), grant->resource) != 0)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_target", "resource missing or not the grant's");
      return;
    }
  if (wanted_scope != NULL && !scopes_cover (grant->scope, wanted_scope))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_scope", "scope beyond the grant");
      return;
    }

  /* A server that escalates does so on refresh as well: the broker must
   * not believe it there either. */
  scope = scope_with_extra (wanted_scope != NULL ? wanted_scope : grant->scope, self->config.extra_scope);
  resource = g_strdup (grant->resource);
  access_token = issue_access_token (self, client->client_id, scope, resource);
  if (self->config.rotate_refresh_tokens)
    {
      g_autofree char *grant_scope = scope_with_extra (grant->scope, self->config.extra_scope);

      /* The grant goes with the old token; keep what it held first. */
      g_hash_table_add (self->rotated_refresh_tokens, g_strdup (old_token));
      g_hash_table_remove (self->refresh_tokens, old_token);
      refresh_token = issue_refresh_token (self, client->client_id, grant_scope, resource);
    }
  respond_tokens (self, msg, access_token, refresh_token, scope);
}

static gboolean
is_form (SoupServerMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);

  return g_strcmp0 (type, "application/x-www-form-urlencoded") == 0;
}

/* Returns how long to hold the answer, in milliseconds. */
static guint
handle_token (McMockOAuth        *self,
              SoupServerMessage  *msg,
              McMockOAuthRequest *request)
{
  const char *grant_type = param (request, "grant_type");
  gboolean is_refresh = g_strcmp0 (grant_type, "refresh_token") == 0;
  guint status = 0;
  const char *error = NULL;
  g_autofree char *description = NULL;
  MockClient *client;

  if (strcmp (request->method, "POST") != 0)
    {
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request", "use POST");
      return 0;
    }

  /* Counted on arrival: a test of "one refresh for many callers" must see
   * the second request even while the first one's answer is held. */
  if (g_strcmp0 (grant_type, "authorization_code") == 0)
    self->counts[MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE]++;
  else if (is_refresh)
    self->counts[MC_MOCK_OAUTH_COUNT_TOKEN_REFRESH]++;
  else
    self->counts[MC_MOCK_OAUTH_COUNT_TOKEN_OTHER]++;
  request->client_auth = g_strdup (client_auth_presented (msg, request));

  switch (self->config.token_failure)
    {
    case MC_MOCK_OAUTH_TOKEN_OK:
      break;
    case MC_MOCK_OAUTH_TOKEN_HTTP_500:
      respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error", "The mock was told to fail");
      return self->config.token_delay_ms;
    case MC_MOCK_OAUTH_TOKEN_MALFORMED_JSON:
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"access_token\": \"tru", strlen ("{\"access_token\": \"tru"));
      return self->config.token_delay_ms;
    case MC_MOCK_OAUTH_TOKEN_BAD_REQUEST:
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request", "The mock was told to refuse");
      return self->config.token_delay_ms;
    case MC_MOCK_OAUTH_TOKEN_INVALID_GRANT_ON_REFRESH:
      if (is_refresh)
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant", "The mock was told to refuse refreshes");
          return self->config.token_delay_ms;
        }
      break;
    default:
      g_assert_not_reached ();
    }

  if (!is_form (msg))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                     "the body is not application/x-www-form-urlencoded");
      return self->config.token_delay_ms;
    }

  client = authenticate_client (self, msg, request, &status, &error, &description);
  if (client == NULL)
    {
      if (status == SOUP_STATUS_UNAUTHORIZED && g_strcmp0 (request->client_auth, "client_secret_basic") == 0)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "WWW-Authenticate", "Basic realm=\"mock\"");
      respond_error (msg, status, error, description);
      return self->config.token_delay_ms;
    }

  if (g_strcmp0 (grant_type, "authorization_code") == 0)
    exchange_code (self, msg, request, client);
  else if (is_refresh)
    refresh (self, msg, request, client);
  else
    respond_error (msg, SOUP_STATUS_BAD_REQUEST, "unsupported_grant_type", NULL);

  return self->config.token_delay_ms;
}

static gboolean
is_acceptable_redirect_uri (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_uri_get_fragment (uri) != NULL)
    return FALSE;
  if (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0)
    return TRUE;
  return g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 && is_loopback_host (g_uri_get_host (uri));
}

/* json-glib's typed getters complain (fatally, in a test) about members
 * of another type; a client's mistakes must get a 400 instead. */
static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
handle_register (McMockOAuth        *self,
                 SoupServerMessage  *msg,
                 McMockOAuthRequest *request)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GPtrArray) redirect_uris = g_ptr_array_new_with_free_func (g_free);
  const char * const *supported = self->config.token_endpoint_auth_methods;
  const char * const known_methods[] = { "none", "client_secret_basic", "client_secret_post", NULL };
  static const char * const echoed_members[] = { "grant_types", "client_name", "application_type" };
  JsonObject *object;
  JsonArray *array;
  const char *method = "client_secret_basic";
  MockClient *client;

  if (!self->config.registration_endpoint)
    {
      respond_not_found (msg);
      return;
    }
  if (strcmp (request->method, "POST") != 0)
    {
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request", "use POST");
      return;
    }
  self->counts[MC_MOCK_OAUTH_COUNT_REGISTRATION]++;

  if (request->body == NULL ||
      !json_parser_load_from_data (parser, request->body, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_client_metadata", "the body is not a JSON object");
      return;
    }
  object = json_node_get_object (json_parser_get_root (parser));

  array = member_array (object, "redirect_uris");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          !is_acceptable_redirect_uri (json_node_get_string (node)))
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_redirect_uri",
                         "redirect URIs must be https or http on a loopback address");
          return;
        }
      g_ptr_array_add (redirect_uris, g_strdup (json_node_get_string (node)));
    }
  if (redirect_uris->len == 0)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_redirect_uri", "no redirect_uris");
      return;
    }
  g_ptr_array_add (redirect_uris, NULL);

  /* RFC 7591 §2: the server may register another method than asked. */
  if (json_object_has_member (object, "token_endpoint_auth_method"))
    method = member_string (object, "token_endpoint_auth_method");
  if (method == NULL)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_client_metadata",
                     "token_endpoint_auth_method is not a string");
      return;
    }
  if (supported != NULL && !strv_contains (supported, method))
    method = supported[0];
  if (!strv_contains (known_methods, method))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_client_metadata",
                     "unsupported token_endpoint_auth_method");
      return;
    }

  client = g_new0 (MockClient, 1);
  client->client_id = new_secret ("client");
  client->auth_method = g_strdup (method);
  if (strcmp (method, "none") != 0)
    client->client_secret = new_secret ("secret");
  client->redirect_uris = (GStrv) g_ptr_array_free (g_steal_pointer (&redirect_uris), FALSE);
  g_hash_table_insert (self->clients, client->client_id, client);
  g_free (self->last_registered_client);
  self->last_registered_client = g_strdup (client->client_id);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string_member (builder, "client_id", client->client_id);
  json_builder_set_member_name (builder, "client_id_issued_at");
  json_builder_add_int_value (builder, g_get_real_time () / G_USEC_PER_SEC);
  if (client->client_secret != NULL)
    {
      add_string_member (builder, "client_secret", client->client_secret);
      json_builder_set_member_name (builder, "client_secret_expires_at");
      json_builder_add_int_value (builder, 0);
    }
  add_string_member (builder, "token_endpoint_auth_method", client->auth_method);
  add_strv_member (builder, "redirect_uris", (const char * const *) client->redirect_uris);
  add_strv_member (builder, "response_types", (const char * const[]) { "code", NULL });
  /* Echo what the client described itself with, as servers do. */
  for (gsize i = 0; i < G_N_ELEMENTS (echoed_members); i++)
    {
      if (json_object_has_member (object, echoed_members[i]))
        {
          json_builder_set_member_name (builder, echoed_members[i]);
          json_builder_add_value (builder, json_node_copy (json_object_get_member (object, echoed_members[i])));
        }
    }
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_CREATED, builder);
}

static void
handle_revoke (McMockOAuth        *self,
               SoupServerMessage  *msg,
               McMockOAuthRequest *request)
{
  const char *token = param (request, "token");
  guint status = 0;
  const char *error = NULL;
  g_autofree char *description = NULL;
  MockClient *client;
  MockGrant *grant;

  if (!self->config.revocation_endpoint)
    {
      respond_not_found (msg);
      return;
    }
  if (strcmp (request->method, "POST") != 0)
    {
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request", "use POST");
      return;
    }
  self->counts[MC_MOCK_OAUTH_COUNT_REVOCATION]++;
  request->client_auth = g_strdup (client_auth_presented (msg, request));

  if (!is_form (msg) || token == NULL)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request", "no token");
      return;
    }
  client = authenticate_client (self, msg, request, &status, &error, &description);
  if (client == NULL)
    {
      respond_error (msg, status, error, description);
      return;
    }

  grant = g_hash_table_lookup (self->access_tokens, token);
  if (grant == NULL)
    grant = g_hash_table_lookup (self->refresh_tokens, token);
  /* RFC 7009 §2.1: only the client the token was issued to may revoke it. */
  if (grant != NULL && strcmp (grant->client_id, client->client_id) != 0)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "unauthorized_client", "token issued to another client");
      return;
    }

  /* RFC 7009 §2.2: unknown tokens are answered 200 as well. */
  g_hash_table_remove (self->access_tokens, token);
  g_hash_table_remove (self->refresh_tokens, token);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
handle_resource (McMockOAuth        *self,
                 SoupServerMessage  *msg,
                 McMockOAuthRequest *request)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *token = NULL;
  MockGrant *grant = NULL;
  g_autofree char *challenge = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if (request->authorization != NULL && g_ascii_strncasecmp (request->authorization, "Bearer ", 7) == 0)
    {
      token = request->authorization + 7;
      grant = g_hash_table_lookup (self->access_tokens, token);
    }

  /* The audience check matters once tokens for other resources exist. */
  if (grant == NULL ||
      grant->expires_at <= g_get_monotonic_time () ||
      g_strcmp0 (grant->resource, self->resource_url) != 0)
    {
      self->counts[MC_MOCK_OAUTH_COUNT_RESOURCE_UNAUTHORIZED]++;
      challenge = build_challenge (self, self->config.challenge_scope, token != NULL ? "invalid_token" : NULL);
      soup_message_headers_replace (headers, "WWW-Authenticate", challenge);
      respond_error (msg, SOUP_STATUS_UNAUTHORIZED, token != NULL ? "invalid_token" : "unauthorized", NULL);
      return;
    }

  if (self->config.required_scope != NULL && !scopes_cover (grant->scope, self->config.required_scope))
    {
      self->counts[MC_MOCK_OAUTH_COUNT_RESOURCE_FORBIDDEN]++;
      challenge = build_challenge (self, self->config.required_scope, "insufficient_scope");
      soup_message_headers_replace (headers, "WWW-Authenticate", challenge);
      respond_error (msg, SOUP_STATUS_FORBIDDEN, "insufficient_scope", NULL);
      return;
    }

  self->counts[MC_MOCK_OAUTH_COUNT_RESOURCE_OK]++;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  add_string_member (builder, "client_id", grant->client_id);
  if (grant->scope != NULL)
    add_string_member (builder, "scope", grant->scope);
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_OK, builder);
}

/* Held answers */

typedef struct
{
  McMockOAuth       *self;
  SoupServerMessage *msg;
  GSource           *source;
  gulong             disconnected_id;
} Delayed;

static void
delayed_free (gpointer data)
{
  Delayed *delayed = data;

  g_signal_handler_disconnect (delayed->msg, delayed->disconnected_id);
  g_object_unref (delayed->msg);
  g_free (delayed);
}

static gboolean
on_delay_elapsed (gpointer user_data)
{
  Delayed *delayed = user_data;

  soup_server_message_unpause (delayed->msg);
  g_hash_table_remove (delayed->self->delayed, delayed->source);
  return G_SOURCE_REMOVE;
}

/* A message whose connection is gone can no longer be unpaused. */
static void
on_delayed_disconnected (SoupServerMessage *msg,
                         gpointer           user_data)
{
  Delayed *delayed = user_data;
  McMockOAuth *self = delayed->self;
  GSource *source = g_source_ref (delayed->source);

  g_hash_table_remove (self->delayed, source);
  g_source_destroy (source);
  g_source_unref (source);
}

static void
delay_response (McMockOAuth       *self,
                SoupServerMessage *msg,
                guint              milliseconds)
{
  Delayed *delayed = g_new0 (Delayed, 1);

  /* Paused rather than slept on: the server thread keeps answering
   * everyone else meanwhile. */
  delayed->self = self;
  delayed->msg = g_object_ref (msg);
  delayed->source = g_timeout_source_new (milliseconds);
  delayed->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (on_delayed_disconnected), delayed);
  g_source_set_callback (delayed->source, on_delay_elapsed, delayed, delayed_free);
  g_source_attach (delayed->source, self->context);
  g_hash_table_add (self->delayed, delayed->source);
  soup_server_message_pause (msg);
}

/* The server thread */

static McMockOAuthRequest *
record_request (McMockOAuth       *self,
                SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query)
{
  McMockOAuthRequest *request = g_new0 (McMockOAuthRequest, 1);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  const char *origin = server == self->server ? self->origin : self->as_origin;
  const char *query_string = g_uri_get_query (soup_server_message_get_uri (msg));

  request->endpoint = classify (self, server, path);
  request->method = g_strdup (soup_server_message_get_method (msg));
  request->url = g_strconcat (origin, path, query_string != NULL ? "?" : NULL, query_string, NULL);
  request->host = g_strdup (soup_message_headers_get_one (headers, "Host"));
  request->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  if (g_bytes_get_size (body) > 0)
    request->body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  if (request->body != NULL && is_form (msg))
    request->params = soup_form_decode (request->body);
  else
    request->params = copy_params (query);
  return request;
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  McMockOAuth *self = user_data;
  McMockOAuthRequest *request;
  guint delay_ms = 0;

  g_mutex_lock (&self->lock);

  request = record_request (self, server, msg, path, query);
  switch (request->endpoint)
    {
    case MC_MOCK_OAUTH_ENDPOINT_PRM:
      self->counts[MC_MOCK_OAUTH_COUNT_METADATA]++;
      handle_prm (self, server, msg, path);
      break;
    case MC_MOCK_OAUTH_ENDPOINT_AS_METADATA:
      self->counts[MC_MOCK_OAUTH_COUNT_METADATA]++;
      handle_as_metadata (self, server, msg, path);
      break;
    case MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE:
      handle_authorize (self, msg, request);
      break;
    case MC_MOCK_OAUTH_ENDPOINT_TOKEN:
      delay_ms = handle_token (self, msg, request);
      break;
    case MC_MOCK_OAUTH_ENDPOINT_REGISTER:
      handle_register (self, msg, request);
      break;
    case MC_MOCK_OAUTH_ENDPOINT_REVOKE:
      handle_revoke (self, msg, request);
      break;
    case MC_MOCK_OAUTH_ENDPOINT_RESOURCE:
      handle_resource (self, msg, request);
      break;
    case MC_MOCK_OAUTH_ENDPOINT_OTHER:
      respond_not_found (msg);
      break;
    default:
      g_assert_not_reached ();
    }
  request->status = soup_server_message_get_status (msg);
  g_ptr_array_add (self->requests, request);

  g_mutex_unlock (&self->lock);

  if (delay_ms > 0)
    delay_response (self, msg, delay_ms);
}

static SoupServer *
listen_server (McMockOAuth  *self,
               char        **out_origin,
               GError      **error)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  GSList *uris;

  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return NULL;

  uris = soup_server_get_uris (server);
  *out_origin = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  soup_server_add_handler (server, NULL, handle_request, self, NULL);
  return g_steal_pointer (&server);
}

static void
build_urls (McMockOAuth *self)
{
  const char *p = self->issuer_path;

  self->resource_url = g_strconcat (self->origin, MC_MOCK_OAUTH_RESOURCE_PATH, NULL);
  self->issuer = g_strconcat (self->as_origin, p, NULL);
  self->wrong_issuer = g_strconcat (self->as_origin, "/not-the-issuer", NULL);

  /* Endpoints under the issuer, as most multi-tenant servers put them,
   * so that a client which builds endpoint URLs itself fails. */
  self->authorize_path = g_strconcat (p, "/authorize", NULL);
  self->token_path = g_strconcat (p, "/token", NULL);
  self->register_path = g_strconcat (p, "/register", NULL);
  self->revoke_path = g_strconcat (p, "/revoke", NULL);
  self->authorize_url = g_strconcat (self->as_origin, self->authorize_path, NULL);
  self->token_url = g_strconcat (self->as_origin, self->token_path, NULL);
  self->register_url = g_strconcat (self->as_origin, self->register_path, NULL);
  self->revoke_url = g_strconcat (self->as_origin, self->revoke_path, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (prm_paths); i++)
    self->prm_urls[i] = g_strconcat (self->origin, prm_paths[i], NULL);

  /* RFC 8414 §3.1 and OpenID Connect Discovery §4; for an issuer without
   * a path, insertion and appending give the same URL. */
  self->as_metadata_paths[0] = g_strconcat ("/.well-known/oauth-authorization-server", p, NULL);
  self->as_metadata_paths[1] = g_strconcat ("/.well-known/openid-configuration", p, NULL);
  self->as_metadata_paths[2] = g_strconcat (p, "/.well-known/openid-configuration", NULL);
  /* MCP 2025-03-26: at the MCP server's origin, whatever the issuer. */
  self->as_metadata_paths[3] = g_strdup ("/.well-known/oauth-authorization-server");
  for (gsize i = 0; i < G_N_ELEMENTS (self->as_metadata_paths); i++)
    self->as_metadata_urls[i] = g_strconcat (as_metadata_locations[i] == MC_MOCK_OAUTH_AS_METADATA_LEGACY
                                             ? self->origin : self->as_origin,
                                             self->as_metadata_paths[i], NULL);
}

static gboolean
start_servers (McMockOAuth  *self,
               GError      **error)
{
  self->server = listen_server (self, &self->origin, error);
  if (self->server == NULL)
    return FALSE;

  if (self->separate_as_origin)
    {
      self->as_server = listen_server (self, &self->as_origin, error);
      if (self->as_server == NULL)
        return FALSE;
    }
  else
    {
      self->as_origin = g_strdup (self->origin);
    }

  build_urls (self);
  return TRUE;
}

static void
stop_servers (McMockOAuth *self)
{
  g_autoptr(GPtrArray) sources = NULL;
  GHashTableIter iter;
  gpointer source;

  /* Disconnecting first lets held messages see their connection go. */
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  if (self->as_server != NULL)
    soup_server_disconnect (self->as_server);

  sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  g_hash_table_iter_init (&iter, self->delayed);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    g_ptr_array_add (sources, g_source_ref (source));
  g_hash_table_remove_all (self->delayed);
  for (guint i = 0; i < sources->len; i++)
    g_source_destroy (sources->pdata[i]);

  g_clear_object (&self->server);
  g_clear_object (&self->as_server);
}

static gpointer
server_thread (gpointer user_data)
{
  McMockOAuth *self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean listening;

  g_main_context_push_thread_default (self->context);

  listening = start_servers (self, &error);

  g_mutex_lock (&self->lock);
  self->ready = TRUE;
  self->start_error = g_steal_pointer (&error);
  g_cond_broadcast (&self->started);
  g_mutex_unlock (&self->lock);

  if (listening)
    g_main_loop_run (self->loop);

  stop_servers (self);
  /* Let libsoup finish closing what it closed, in this thread. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Public API */

/**
 * mc_mock_oauth_new:
 * @options: (nullable): what the mock does, or %NULL for the defaults
 *
 * Starts the mock in a thread of its own, listening on 127.0.0.1 on
 * ports the system picks; returns once it listens. Failing to listen
 * fails the test.
 *
 * Returns: (transfer full): a new mock
 */
McMockOAuth *
mc_mock_oauth_new (const McMockOAuthOptions *options)
{
  McMockOAuth *self;
  McMockOAuthOptions defaults;

  if (options == NULL)
    {
      mc_mock_oauth_options_init (&defaults);
      options = &defaults;
    }
  g_return_val_if_fail (options->issuer_path == NULL ||
                        options->issuer_path[0] == '\0' ||
                        (options->issuer_path[0] == '/' && !g_str_has_suffix (options->issuer_path, "/")),
                        NULL);

  self = g_new0 (McMockOAuth, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->started);
  config_set (&self->config, options);
  self->issuer_path = g_strdup (options->issuer_path != NULL ? options->issuer_path : "");
  self->separate_as_origin = options->separate_as_origin;
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) mock_client_free);
  self->codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) mock_code_free);
  self->access_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) mock_grant_free);
  self->refresh_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) mock_grant_free);
  self->rotated_refresh_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_mock_oauth_request_free);
  self->metadata_document_clients = g_ptr_array_new_with_free_func (g_free);
  self->delayed = g_hash_table_new_full (g_direct_hash, g_direct_equal, (GDestroyNotify) g_source_unref, NULL);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);

  self->thread = g_thread_new ("mock-oauth", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->started, &self->lock);
  g_mutex_unlock (&self->lock);

  g_assert_no_error (self->start_error);
  return self;
}

/**
 * mc_mock_oauth_free:
 * @self: (nullable): a mock
 *
 * Stops the server thread (connections close, held answers are dropped)
 * and frees everything.
 */
void
mc_mock_oauth_free (McMockOAuth *self)
{
  GSource *source;

  if (self == NULL)
    return;

  source = g_idle_source_new ();
  g_source_set_callback (source, quit_loop, self->loop, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  g_thread_join (self->thread);

  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_hash_table_unref (self->delayed);

  config_clear (&self->config);
  g_hash_table_unref (self->clients);
  g_hash_table_unref (self->codes);
  g_hash_table_unref (self->access_tokens);
  g_hash_table_unref (self->refresh_tokens);
  g_hash_table_unref (self->rotated_refresh_tokens);
  g_ptr_array_unref (self->requests);
  g_ptr_array_unref (self->metadata_document_clients);
  g_free (self->last_access_token);
  g_free (self->last_refresh_token);
  g_free (self->last_registered_client);
  g_free (self->last_authorize_error);
  g_clear_error (&self->start_error);

  g_free (self->issuer_path);
  g_free (self->origin);
  g_free (self->as_origin);
  g_free (self->resource_url);
  g_free (self->issuer);
  g_free (self->wrong_issuer);
  g_free (self->authorize_path);
  g_free (self->token_path);
  g_free (self->register_path);
  g_free (self->revoke_path);
  g_free (self->authorize_url);
  g_free (self->token_url);
  g_free (self->register_url);
  g_free (self->revoke_url);
  for (gsize i = 0; i < G_N_ELEMENTS (self->prm_urls); i++)
    g_free (self->prm_urls[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (self->as_metadata_paths); i++)
    {
      g_free (self->as_metadata_paths[i]);
      g_free (self->as_metadata_urls[i]);
    }

  g_cond_clear (&self->started);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/**
 * mc_mock_oauth_reconfigure:
 * @self: a mock
 * @options: the new behaviour
 *
 * Replaces the behaviour of the mock, from the next request on. The
 * construction-time fields (@issuer_path, @separate_as_origin) must not
 * change. Clients, codes and tokens stay.
 */
void
mc_mock_oauth_reconfigure (McMockOAuth              *self,
                           const McMockOAuthOptions *options)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (options != NULL);
  g_return_if_fail (g_strcmp0 (options->issuer_path != NULL ? options->issuer_path : "", self->issuer_path) == 0);
  g_return_if_fail (!options->separate_as_origin == !self->separate_as_origin);

  g_mutex_lock (&self->lock);
  config_set (&self->config, options);
  g_mutex_unlock (&self->lock);
}

/**
 * mc_mock_oauth_set_authorize_mode:
 * @self: a mock
 * @mode: what the "user" does at /authorize from now on
 */
void
mc_mock_oauth_set_authorize_mode (McMockOAuth              *self,
                                  McMockOAuthAuthorizeMode  mode)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.authorize_mode = mode;
  g_mutex_unlock (&self->lock);
}

/**
 * mc_mock_oauth_set_iss:
 * @self: a mock
 * @iss: the "iss" of authorization responses from now on
 */
void
mc_mock_oauth_set_iss (McMockOAuth    *self,
                       McMockOAuthIss  iss)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.iss = iss;
  g_mutex_unlock (&self->lock);
}

/**
 * mc_mock_oauth_set_token_failure:
 * @self: a mock
 * @failure: how /token fails from now on
 */
void
mc_mock_oauth_set_token_failure (McMockOAuth             *self,
                                 McMockOAuthTokenFailure  failure)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.token_failure = failure;
  g_mutex_unlock (&self->lock);
}

/**
 * mc_mock_oauth_set_token_delay:
 * @self: a mock
 * @milliseconds: how long /token holds each answer from now on
 *
 * Requests are counted and processed when they arrive; only the answer
 * waits, without blocking the server thread.
 */
void
mc_mock_oauth_set_token_delay (McMockOAuth *self,
                               guint        milliseconds)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->config.token_delay_ms = milliseconds;
  g_mutex_unlock (&self->lock);
}

/**
 * mc_mock_oauth_set_required_scope:
 * @self: a mock
 * @scope: (nullable): the space-separated scopes /mcp requires from now on
 */
void
mc_mock_oauth_set_required_scope (McMockOAuth *self,
                                  const char  *scope)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  g_free ((char *) self->config.required_scope);
  self->config.required_scope = g_strdup (scope);
  g_mutex_unlock (&self->lock);
}

/**
 * mc_mock_oauth_add_client:
 * @self: a mock
 * @client_id: the client id
 * @client_secret: (nullable): its secret, for the secret methods
 * @auth_method: "none", "client_secret_basic" or "client_secret_post"
 * @redirect_uri: the redirect URI registered for it
 *
 * Pre-registers a client, as an administrator would at the server.
 */
void
mc_mock_oauth_add_client (McMockOAuth *self,
                          const char  *client_id,
                          const char  *client_secret,
                          const char  *auth_method,
                          const char  *redirect_uri)
{
  MockClient *client;

  g_return_if_fail (self != NULL);
  g_return_if_fail (client_id != NULL);
  g_return_if_fail (g_strcmp0 (auth_method, "none") == 0 ||
                    g_strcmp0 (auth_method, "client_secret_basic") == 0 ||
                    g_strcmp0 (auth_method, "client_secret_post") == 0);
  g_return_if_fail ((client_secret == NULL) == (strcmp (auth_method, "none") == 0));
  g_return_if_fail (redirect_uri != NULL);

  client = g_new0 (MockClient, 1);
  client->client_id = g_strdup (client_id);
  client->client_secret = g_strdup (client_secret);
  client->auth_method = g_strdup (auth_method);
  client->redirect_uris = g_strdupv ((GStrv) (const char * const[]) { redirect_uri, NULL });

  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->clients, client->client_id, client);
  g_mutex_unlock (&self->lock);
}

/**
 * mc_mock_oauth_expire_access_tokens:
 * @self: a mock
 *
 * Makes every access token issued so far expired, as if their lifetime
 * had passed; refresh tokens stay valid.
 */
void
mc_mock_oauth_expire_access_tokens (McMockOAuth *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->access_tokens);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((MockGrant *) value)->expires_at = 0;
  g_mutex_unlock (&self->lock);
}

/**
 * mc_mock_oauth_get_origin:
 * @self: a mock
 *
 * Returns: the origin of the resource, e.g. http://127.0.0.1:PORT
 */
const char *
mc_mock_oauth_get_origin (McMockOAuth *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->origin;
}

/**
 * mc_mock_oauth_get_as_origin:
 * @self: a mock
 *
 * Returns: the origin of the authorization server: the resource's, or a
 *   second one with @separate_as_origin
 */
const char *
mc_mock_oauth_get_as_origin (McMockOAuth *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->as_origin;
}

/**
 * mc_mock_oauth_get_resource_url:
 * @self: a mock
 *
 * Returns: the canonical URL of the MCP resource, http://127.0.0.1:PORT/mcp
 */
const char *
mc_mock_oauth_get_resource_url (McMockOAuth *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->resource_url;
}

/**
 * mc_mock_oauth_get_issuer:
 * @self: a mock
 *
 * Returns: the real issuer identifier (not @issuer_override)
 */
const char *
mc_mock_oauth_get_issuer (McMockOAuth *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->issuer;
}

/**
 * mc_mock_oauth_get_endpoint_url:
 * @self: a mock
 * @endpoint: %MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, _TOKEN, _REGISTER, _REVOKE
 *   or _RESOURCE
 *
 * Returns: (nullable): the URL of @endpoint
 */
const char *
mc_mock_oauth_get_endpoint_url (McMockOAuth         *self,
                                McMockOAuthEndpoint  endpoint)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch (endpoint)
    {
    case MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE:
      return self->authorize_url;
    case MC_MOCK_OAUTH_ENDPOINT_TOKEN:
      return self->token_url;
    case MC_MOCK_OAUTH_ENDPOINT_REGISTER:
      return self->register_url;
    case MC_MOCK_OAUTH_ENDPOINT_REVOKE:
      return self->revoke_url;
    case MC_MOCK_OAUTH_ENDPOINT_RESOURCE:
      return self->resource_url;
    case MC_MOCK_OAUTH_ENDPOINT_OTHER:
    case MC_MOCK_OAUTH_ENDPOINT_PRM:
    case MC_MOCK_OAUTH_ENDPOINT_AS_METADATA:
    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * mc_mock_oauth_get_prm_url:
 * @self: a mock
 * @location: one location
 *
 * Returns: the URL of the PRM at @location, whether served there or not
 */
const char *
mc_mock_oauth_get_prm_url (McMockOAuth    *self,
                           McMockOAuthPrm  location)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (prm_locations); i++)
    if (location == prm_locations[i])
      return self->prm_urls[i];
  g_return_val_if_reached (NULL);
}

/**
 * mc_mock_oauth_get_as_metadata_url:
 * @self: a mock
 * @location: one location
 *
 * Returns: the URL of the authorization server metadata at @location,
 *   whether served there or not
 */
const char *
mc_mock_oauth_get_as_metadata_url (McMockOAuth           *self,
                                   McMockOAuthAsMetadata  location)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (as_metadata_locations); i++)
    if (location == as_metadata_locations[i])
      return self->as_metadata_urls[i];
  g_return_val_if_reached (NULL);
}

/**
 * mc_mock_oauth_dup_challenge:
 * @self: a mock
 * @scope: (nullable): the scope parameter
 * @error: (nullable): the error parameter
 *
 * A WWW-Authenticate value as /mcp would send it, for tests that hand a
 * challenge to the broker themselves: Bearer resource_metadata="…",
 * scope="…", error="…" (resource_metadata as @challenge_prm says).
 *
 * Returns: (transfer full): the header value
 */
char *
mc_mock_oauth_dup_challenge (McMockOAuth *self,
                             const char  *scope,
                             const char  *error)
{
  char *challenge;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  challenge = build_challenge (self, scope, error);
  g_mutex_unlock (&self->lock);
  return challenge;
}

/**
 * mc_mock_oauth_get_count:
 * @self: a mock
 * @counter: which
 *
 * Returns: the count so far
 */
guint
mc_mock_oauth_get_count (McMockOAuth        *self,
                         McMockOAuthCounter  counter)
{
  guint count;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (counter < MC_MOCK_OAUTH_N_COUNTERS, 0);

  g_mutex_lock (&self->lock);
  count = self->counts[counter];
  g_mutex_unlock (&self->lock);
  return count;
}

/**
 * mc_mock_oauth_dup_requests:
 * @self: a mock
 * @endpoint: which requests
 *
 * Returns: (transfer full) (element-type McMockOAuthRequest): copies of
 *   the requests for @endpoint, in the order they arrived
 */
GPtrArray *
mc_mock_oauth_dup_requests (McMockOAuth         *self,
                            McMockOAuthEndpoint  endpoint)
{
  GPtrArray *requests;

  g_return_val_if_fail (self != NULL, NULL);

  requests = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_mock_oauth_request_free);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      McMockOAuthRequest *request = self->requests->pdata[i];

      if (request->endpoint == endpoint)
        g_ptr_array_add (requests, mc_mock_oauth_request_copy (request));
    }
  g_mutex_unlock (&self->lock);
  return requests;
}

/**
 * mc_mock_oauth_dup_last_params:
 * @self: a mock
 * @endpoint: which requests
 *
 * Returns: (transfer full) (nullable): a copy of the parameters of the
 *   last request for @endpoint, or %NULL if there was none
 */
GHashTable *
mc_mock_oauth_dup_last_params (McMockOAuth         *self,
                               McMockOAuthEndpoint  endpoint)
{
  GHashTable *params = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  for (guint i = self->requests->len; i > 0 && params == NULL; i--)
    {
      McMockOAuthRequest *request = self->requests->pdata[i - 1];

      if (request->endpoint == endpoint)
        params = copy_params (request->params);
    }
  g_mutex_unlock (&self->lock);
  return params;
}

/**
 * mc_mock_oauth_dup_metadata_urls:
 * @self: a mock
 *
 * Returns: (transfer full): the URLs of every PRM and authorization server
 *   metadata request, served or 404, on either origin, in order
 */
GStrv
mc_mock_oauth_dup_metadata_urls (McMockOAuth *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      McMockOAuthRequest *request = self->requests->pdata[i];

      if (request->endpoint == MC_MOCK_OAUTH_ENDPOINT_PRM ||
          request->endpoint == MC_MOCK_OAUTH_ENDPOINT_AS_METADATA)
        g_strv_builder_add (builder, request->url);
    }
  g_mutex_unlock (&self->lock);
  return g_strv_builder_end (builder);
}

/**
 * mc_mock_oauth_dup_last_authorize_error:
 * @self: a mock
 *
 * Returns: (transfer full) (nullable): why the last authorization request
 *   got a 400 page, or %NULL if it did not
 */
char *
mc_mock_oauth_dup_last_authorize_error (McMockOAuth *self)
{
  char *text;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  text = g_strdup (self->last_authorize_error);
  g_mutex_unlock (&self->lock);
  return text;
}

/**
 * mc_mock_oauth_dup_valid_access_tokens:
 * @self: a mock
 *
 * Returns: (transfer full): the access tokens /mcp takes now: issued, not
 *   expired, not revoked
 */
GStrv
mc_mock_oauth_dup_valid_access_tokens (McMockOAuth *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->access_tokens);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((MockGrant *) value)->expires_at > now)
      g_strv_builder_add (builder, key);
  g_mutex_unlock (&self->lock);
  return g_strv_builder_end (builder);
}

/**
 * mc_mock_oauth_is_access_token_valid:
 * @self: a mock
 * @token: an access token
 *
 * Returns: whether /mcp takes @token now
 */
gboolean
mc_mock_oauth_is_access_token_valid (McMockOAuth *self,
                                     const char  *token)
{
  MockGrant *grant;
  gboolean valid;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  g_mutex_lock (&self->lock);
  grant = g_hash_table_lookup (self->access_tokens, token);
  valid = grant != NULL && grant->expires_at > g_get_monotonic_time ();
  g_mutex_unlock (&self->lock);
  return valid;
}

static char *
dup_locked (McMockOAuth *self,
            char       **field)
{
  char *copy;

  g_mutex_lock (&self->lock);
  copy = g_strdup (*field);
  g_mutex_unlock (&self->lock);
  return copy;
}

/**
 * mc_mock_oauth_dup_last_access_token:
 * @self: a mock
 *
 * Returns: (transfer full) (nullable): the last access token issued
 */
char *
mc_mock_oauth_dup_last_access_token (McMockOAuth *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return dup_locked (self, &self->last_access_token);
}

/**
 * mc_mock_oauth_dup_last_refresh_token:
 * @self: a mock
 *
 * Returns: (transfer full) (nullable): the last refresh token issued
 */
char *
mc_mock_oauth_dup_last_refresh_token (McMockOAuth *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return dup_locked (self, &self->last_refresh_token);
}

/**
 * mc_mock_oauth_dup_last_registered_client:
 * @self: a mock
 *
 * Returns: (transfer full) (nullable): the client id the last successful
 *   dynamic registration issued
 */
char *
mc_mock_oauth_dup_last_registered_client (McMockOAuth *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return dup_locked (self, &self->last_registered_client);
}

/**
 * mc_mock_oauth_dup_metadata_document_clients:
 * @self: a mock
 *
 * Returns: (transfer full): the client ID metadata document URLs taken as
 *   client ids, in the order first seen
 */
GStrv
mc_mock_oauth_dup_metadata_document_clients (McMockOAuth *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->metadata_document_clients->len; i++)
    g_strv_builder_add (builder, self->metadata_document_clients->pdata[i]);
  g_mutex_unlock (&self->lock);
  return g_strv_builder_end (builder);
}

/* The test's HTTP client */

static SoupSession *
new_session (void)
{
  /* Direct, whatever proxy the environment names: all of this is on
   * the loopback interface. */
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);

  return soup_session_new_with_options ("proxy-resolver", direct,
                                        "timeout", MC_TEST_TIMEOUT_SECONDS,
                                        NULL);
}

/**
 * mc_mock_oauth_authorize_in_browser:
 * @self: a mock
 * @authorization_url: the URL the broker opened in the browser
 * @error: a location for a #GError, or %NULL
 *
 * Plays the user's browser: GETs @authorization_url without following the
 * redirect and returns where the server sent the browser, normally the
 * broker's loopback redirect URI with the code or the error. Runs in the
 * calling thread.
 *
 * Returns: (transfer full): the Location of the redirect, or %NULL and
 *   @error set when the server answered anything but a redirect
 */
char *
mc_mock_oauth_authorize_in_browser (McMockOAuth  *self,
                                    const char   *authorization_url,
                                    GError      **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *location;
  guint status;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (authorization_url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  message = soup_message_new ("GET", authorization_url);
  if (message == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not a URL: %s", authorization_url);
      return NULL;
    }
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);

  session = new_session ();
  body = soup_session_send_and_read (session, message, NULL, error);
  if (body == NULL)
    return NULL;

  status = soup_message_get_status (message);
  location = soup_message_headers_get_one (soup_message_get_response_headers (message), "Location");
  if (!SOUP_STATUS_IS_REDIRECTION (status) || location == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The authorization server answered %u, not a redirect: %.*s", status,
                   (int) MIN (g_bytes_get_size (body), 500), (const char *) g_bytes_get_data (body, NULL));
      return NULL;
    }
  return g_strdup (location);
}

/**
 * mc_mock_oauth_fetch:
 * @url: a URL
 * @host_header_override: (nullable): a Host header to send instead of the
 *   URL's
 * @out_body: (out) (optional) (nullable): the body of the answer
 *
 * GETs @url in the calling thread, without following redirects: what a
 * browser (or another local program) does to the broker's loopback
 * listener.
 *
 * Returns: the HTTP status, or 0 when there was no HTTP answer
 */
guint
mc_mock_oauth_fetch (const char  *url,
                     const char  *host_header_override,
                     char       **out_body)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (url != NULL, 0);

  if (out_body != NULL)
    *out_body = NULL;

  message = soup_message_new ("GET", url);
  g_return_val_if_fail (message != NULL, 0);
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  /* libsoup sets Host from the URL only when none is set. */
  if (host_header_override != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Host", host_header_override);

  session = new_session ();
  body = soup_session_send_and_read (session, message, NULL, &error);
  if (body == NULL)
    {
      g_test_message ("GET %s: %s", url, error->message);
      return 0;
    }

  if (out_body != NULL)
    *out_body = g_bytes_get_size (body) > 0 ? g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body))
                                            : g_strdup ("");
  return soup_message_get_status (message);
}
