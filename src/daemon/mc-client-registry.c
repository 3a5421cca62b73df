/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mc-client-registry.h"
#include "mc-client-registry-private.h"
#include "mc-json.h"
#include "mc-state-file.h"

/* The OAuth clients the broker can use with an authorization server, in
 * MCP's order of preference:
 *
 *  - pre-registered, from clients.ini ($XDG_CONFIG_HOME/mcp-consent/),
 *    written by the user or `mcp-consent client set`;
 *  - the broker's client ID metadata document, whose URL the user sets
 *    in the same file;
 *  - registered by the broker itself (RFC 7591), remembered per issuer in
 *    registrations.json ($XDG_STATE_HOME/mcp-consent/).
 *
 * Neither file holds a secret: client secrets are in the keyring, kind
 * client-secret, keyed by issuer and client id (mc-token-store.c). */

#define FORMAT_VERSION 1

/* Longest value accepted in either file: client ids are opaque, but no
 * server issues one this long. */
#define MAX_VALUE_LENGTH 2048

/* clients.ini */

typedef enum
{
  MATCH_ISSUER,
  MATCH_RESOURCE,
} MatchKind;

typedef struct
{
  MatchKind  kind;
  /* As written, and normalized for matching. */
  char      *url;
  char      *key;
  char      *client_id;
  char      *auth_method;
  char      *redirect_uri;
  /* Resource groups only: the authorization server this client is
   * registered with, normalized; NULL for any. */
  char      *issuer_key;
} ConfigEntry;

struct _McClientsConfig
{
  char      *metadata_url;
  GPtrArray *entries;
};

static void
config_entry_free (gpointer data)
{
  ConfigEntry *entry = data;

  g_free (entry->url);
  g_free (entry->key);
  g_free (entry->client_id);
  g_free (entry->auth_method);
  g_free (entry->redirect_uri);
  g_free (entry->issuer_key);
  g_free (entry);
}

void
_mc_clients_config_free (McClientsConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->metadata_url);
  g_clear_pointer (&config->entries, g_ptr_array_unref);
  g_free (config);
}

static McClientsConfig *
clients_config_new (void)
{
  McClientsConfig *config = g_new0 (McClientsConfig, 1);

  config->entries = g_ptr_array_new_with_free_func (config_entry_free);
  return config;
}

/**
 * _mc_normalize_url:
 * @url: an http(s) URL
 *
 * The form URLs written by people are compared in: scheme and host in
 * lower case, the default port dropped, trailing slashes of the path
 * dropped ("https://Auth.Example.com:443/" and "https://auth.example.com"
 * are one).  The flow's canonical resource URIs and the issuers servers
 * announce go through the same function before being compared.
 *
 * Returns: (transfer full) (nullable): the normalized URL, or %NULL if
 *   @url is not an absolute http(s) URL with a host
 */
char *
_mc_normalize_url (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  g_autofree char *path = NULL;
  int port = -1;
  gsize length = 0;

  /* Encoded: "a%2Fb" is one path segment, not "a/b". */
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    return NULL;

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  if (!g_str_equal (scheme, "https") && !g_str_equal (scheme, "http"))
    return NULL;

  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  port = g_uri_get_port (uri);
  if ((g_str_equal (scheme, "https") && port == 443) || (g_str_equal (scheme, "http") && port == 80))
    port = -1;

  path = g_strdup (g_uri_get_path (uri));
  length = strlen (path);
  while (length > 0 && path[length - 1] == '/')
    path[--length] = '\0';

  return g_uri_join (G_URI_FLAGS_ENCODED, scheme, NULL, host, port, path, g_uri_get_query (uri), NULL);
}

static GError *
config_error (guint       line,
              const char *group,
              const char *format,
              ...) G_GNUC_PRINTF (3, 4);

/* "line 12, [issuer https://auth.example.com]: …": where to look. */
static GError *
config_error (guint       line,
              const char *group,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  g_autofree char *where = NULL;
  g_autofree char *valid = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (group != NULL)
    where = g_strdup_printf ("line %u, [%s]", line, group);
  else
    where = g_strdup_printf ("line %u", line);

  /* The file's bytes may be quoted in @message; the error goes to the
   * journal and to D-Bus callers, which need UTF-8. */
  valid = g_utf8_make_valid (message, -1);
  return g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", where, valid);
}

typedef struct
{
  /* Line numbers of groups, and of "GROUP\nKEY". */
  GHashTable *group_lines;
  GHashTable *key_lines;
} LineMap;

static void
line_map_clear (LineMap *map)
{
  g_clear_pointer (&map->group_lines, g_hash_table_unref);
  g_clear_pointer (&map->key_lines, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LineMap, line_map_clear)

/* A first pass over the lines, in GKeyFile's grammar, for what GKeyFile
 * does not say or does not refuse: the line numbers of groups and keys
 * (its errors have none), a NUL (it would stop there), a group or key
 * given twice (it silently merges or keeps the last). */
static gboolean
scan_lines (const char  *data,
            gsize        length,
            LineMap     *map,
            GError     **error)
{
  g_autofree char *group = NULL;
  const char *line = data;
  const char *end = data + length;
  guint number = 0;

  if (memchr (data, '\0', length) != NULL)
    {
      const char *nul = memchr (data, '\0', length);
      guint nul_line = 1;

      for (const char *c = data; c < nul; c++)
        nul_line += *c == '\n';
      g_propagate_error (error, config_error (nul_line, NULL, "a NUL byte"));
      return FALSE;
    }

  map->group_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  map->key_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  while (line < end)
    {
      const char *newline = memchr (line, '\n', end - line);
      const char *line_end = newline != NULL ? newline : end;
      g_autofree char *text = NULL;
      const char *start = NULL;
      gsize text_length = 0;

      number++;
      text = g_strndup (line, line_end - line);
      line = newline != NULL ? newline + 1 : end;

      if (!g_utf8_validate (text, -1, NULL))
        {
          g_propagate_error (error, config_error (number, group, "not valid UTF-8"));
          return FALSE;
        }

      text_length = strlen (text);
      if (text_length > 0 && text[text_length - 1] == '\r')
        text[--text_length] = '\0';
      start = text;
      while (g_ascii_isspace (*start))
        start++;

      if (*start == '\0' || *start == '#')
        continue;

      if (*start == '[')
        {
          /* As GKeyFile reads it: the name ends at the first "]", and only
           * blanks may follow. */
          const char *close = strchr (start, ']');
          const char *after = close != NULL ? close + 1 : NULL;

          while (after != NULL && (*after == ' ' || *after == '\t'))
            after++;
          if (close == NULL || close == start + 1 || *after != '\0')
            {
              g_propagate_error (error, config_error (number, NULL, "“%s” is not a group header", start));
              return FALSE;
            }
          g_free (group);
          group = g_strndup (start + 1, close - start - 1);
          if (g_hash_table_contains (map->group_lines, group))
            {
              g_propagate_error (error, config_error (number, group, "the group appears again (first at line %u)",
                                                      GPOINTER_TO_UINT (g_hash_table_lookup (map->group_lines, group))));
              return FALSE;
            }
          g_hash_table_insert (map->group_lines, g_strdup (group), GUINT_TO_POINTER (number));
          continue;
        }

      {
        const char *equals = strchr (start, '=');
        g_autofree char *key = NULL;
        g_autofree char *key_path = NULL;

        if (equals == NULL)
          {
            g_propagate_error (error, config_error (number, group, "“%s” is not key=value, a group or a comment", start));
            return FALSE;
          }
        if (group == NULL)
          {
            g_propagate_error (error, config_error (number, NULL, "a key before any group"));
            return FALSE;
          }

        key = g_strstrip (g_strndup (start, equals - start));
        key_path = g_strconcat (group, "\n", key, NULL);
        if (g_hash_table_contains (map->key_lines, key_path))
          {
            g_propagate_error (error, config_error (number, group, "“%s” is set again (first at line %u)", key,
                                                    GPOINTER_TO_UINT (g_hash_table_lookup (map->key_lines, key_path))));
            return FALSE;
          }
        g_hash_table_insert (map->key_lines, g_steal_pointer (&key_path), GUINT_TO_POINTER (number));
      }
    }

  return TRUE;
}

static guint
key_line (LineMap    *map,
          const char *group,
          const char *key)
{
  g_autofree char *key_path = g_strconcat (group, "\n", key, NULL);
  gpointer line = g_hash_table_lookup (map->key_lines, key_path);

  return line != NULL ? GPOINTER_TO_UINT (line) : GPOINTER_TO_UINT (g_hash_table_lookup (map->group_lines, group));
}

/* A value, or NULL if the key is not there. */
static char *
get_value (GKeyFile    *key_file,
           LineMap     *map,
           const char  *group,
           const char  *key,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *value = NULL;

  if (!g_key_file_has_key (key_file, group, key, NULL))
    return NULL;

  /* Raw, not g_key_file_get_string(): GLib 2.74 sets its GError twice on
   * an invalid escape followed by a trailing backslash (a GLib-WARNING,
   * fatal under G_DEBUG=fatal-warnings; found by fuzz-clients-ini).  No
   * value the broker reads — URLs, client ids, method names — needs an
   * escape, so a backslash is refused instead of interpreted. */
  value = g_key_file_get_value (key_file, group, key, &local_error);
  if (value == NULL)
    {
      g_propagate_error (error, config_error (key_line (map, group, key), group, "%s", local_error->message));
      return NULL;
    }
  if (strchr (value, '\\') != NULL)
    {
      g_propagate_error (error, config_error (key_line (map, group, key), group,
                                              "“%s” has a backslash; values are taken as written, without escapes",
                                              key));
      g_free (value);
      return NULL;
    }
  if (value[0] == '\0' || strlen (value) > MAX_VALUE_LENGTH)
    {
      g_propagate_error (error, config_error (key_line (map, group, key), group,
                                              "“%s” is empty or too long", key));
      g_free (value);
      return NULL;
    }
  for (const char *c = value; *c != '\0'; c++)
    {
      if (g_ascii_iscntrl (*c))
        {
          g_propagate_error (error, config_error (key_line (map, group, key), group,
                                                  "“%s” has a control character", key));
          g_free (value);
          return NULL;
        }
    }

  return value;
}

static const char *
auth_method_from_config (const char *value)
{
  if (g_str_equal (value, "none"))
    return "none";
  if (g_str_equal (value, "basic") || g_str_equal (value, "client_secret_basic"))
    return "client_secret_basic";
  if (g_str_equal (value, "post") || g_str_equal (value, "client_secret_post"))
    return "client_secret_post";
  return NULL;
}

static const char *
auth_method_to_config (const char *method)
{
  if (g_str_equal (method, "client_secret_basic"))
    return "basic";
  if (g_str_equal (method, "client_secret_post"))
    return "post";
  return "none";
}

/**
 * _mc_check_redirect_uri:
 * @uri: a redirect URI
 * @error: a location for a #GError, or %NULL
 *
 * What a fixed redirect URI may be (RFC 8252 §7.3): http to the IPv4 or
 * IPv6 loopback literal (the broker's listener binds those, not
 * "localhost"), with a port, since a server that matches redirect URIs
 * exactly needs the same port every time; no query or fragment.
 *
 * Returns: %TRUE if @uri is acceptable
 */
gboolean
_mc_check_redirect_uri (const char  *uri,
                        GError     **error)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  const char *host = NULL;

  if (parsed == NULL || g_strcmp0 (g_uri_get_scheme (parsed), "http") != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the redirect URI must be an http URL to 127.0.0.1 or [::1]");
      return FALSE;
    }

  host = g_uri_get_host (parsed);
  if (g_strcmp0 (host, "127.0.0.1") != 0 && g_strcmp0 (host, "::1") != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the redirect URI’s host must be 127.0.0.1 or [::1]");
      return FALSE;
    }
  if (g_uri_get_port (parsed) <= 0 || g_uri_get_userinfo (parsed) != NULL ||
      g_uri_get_query (parsed) != NULL || g_uri_get_fragment (parsed) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the redirect URI needs a port, and no user info, query or fragment");
      return FALSE;
    }

  return TRUE;
}

/**
 * _mc_check_metadata_url:
 * @url: the URL of a client ID metadata document
 * @error: a location for a #GError, or %NULL
 *
 * The URL is the client id: the MCP specification wants it https, with a
 * path.
 *
 * Returns: %TRUE if @url is acceptable
 */
gboolean
_mc_check_metadata_url (const char  *url,
                        GError     **error)
{
  g_autoptr(GUri) parsed = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *path = NULL;

  if (parsed == NULL || g_ascii_strcasecmp (g_uri_get_scheme (parsed), "https") != 0 ||
      g_uri_get_host (parsed) == NULL || g_uri_get_host (parsed)[0] == '\0' ||
      g_uri_get_userinfo (parsed) != NULL || g_uri_get_fragment (parsed) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the client metadata URL must be an https URL with a host, and no user info or fragment");
      return FALSE;
    }

  path = g_uri_get_path (parsed);
  if (path[0] == '\0' || g_str_equal (path, "/"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the client metadata URL must have a path (the document’s)");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_keys (GKeyFile           *key_file,
            LineMap            *map,
            const char         *group,
            const char * const *allowed,
            GError            **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (key_file, group, NULL, NULL);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      /* A typo ("client_id") must not silently fall back to registering
       * a new client. */
      if (!g_strv_contains (allowed, keys[i]))
        {
          g_propagate_error (error, config_error (key_line (map, group, keys[i]), group,
                                                  "unknown key “%s”", keys[i]));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_broker_group (GKeyFile         *key_file,
                    LineMap          *map,
                    McClientsConfig  *config,
                    GError          **error)
{
  static const char * const allowed[] = { "client-metadata-url", NULL };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url = NULL;

  if (!check_keys (key_file, map, "broker", allowed, error))
    return FALSE;

  url = get_value (key_file, map, "broker", "client-metadata-url", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (url != NULL && !_mc_check_metadata_url (url, &local_error))
    {
      g_propagate_error (error, config_error (key_line (map, "broker", "client-metadata-url"), "broker",
                                              "%s", local_error->message));
      return FALSE;
    }

  config->metadata_url = g_steal_pointer (&url);
  return TRUE;
}

static gboolean
parse_client_group (GKeyFile         *key_file,
                    LineMap          *map,
                    const char       *group,
                    MatchKind         kind,
                    const char       *url,
                    McClientsConfig  *config,
                    GError          **error)
{
  static const char * const issuer_keys[] = { "client-id", "auth-method", "redirect-uri", NULL };
  static const char * const resource_keys[] = { "client-id", "auth-method", "redirect-uri", "issuer", NULL };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *auth_method = NULL;
  g_autofree char *issuer = NULL;
  ConfigEntry *entry = NULL;
  guint line = GPOINTER_TO_UINT (g_hash_table_lookup (map->group_lines, group));

  if (!check_keys (key_file, map, group, kind == MATCH_ISSUER ? issuer_keys : resource_keys, error))
    return FALSE;

  if (!mc_state_check_web_url (url, kind == MATCH_ISSUER ? "issuer" : "resource", &local_error))
    {
      g_propagate_error (error, config_error (line, group, "%s", local_error->message));
      return FALSE;
    }

  entry = g_new0 (ConfigEntry, 1);
  entry->kind = kind;
  entry->url = g_strdup (url);
  entry->key = _mc_normalize_url (url);
  g_ptr_array_add (config->entries, entry);

  for (guint i = 0; i < config->entries->len - 1; i++)
    {
      ConfigEntry *other = g_ptr_array_index (config->entries, i);

      if (other->kind == kind && g_str_equal (other->key, entry->key))
        {
          g_propagate_error (error, config_error (line, group, "the same %s as [%s %s]",
                                                  kind == MATCH_ISSUER ? "issuer" : "resource",
                                                  kind == MATCH_ISSUER ? "issuer" : "resource", other->url));
          return FALSE;
        }
    }

  entry->client_id = get_value (key_file, map, group, "client-id", &local_error);
  if (local_error == NULL && entry->client_id == NULL)
    local_error = config_error (line, group, "“client-id” is missing");
  if (local_error == NULL)
    auth_method = get_value (key_file, map, group, "auth-method", &local_error);
  if (local_error == NULL)
    {
      entry->auth_method = g_strdup (auth_method_from_config (auth_method != NULL ? auth_method : "none"));
      if (entry->auth_method == NULL)
        local_error = config_error (key_line (map, group, "auth-method"), group,
                                    "auth-method “%s” is not none, basic or post", auth_method);
    }
  if (local_error == NULL)
    entry->redirect_uri = get_value (key_file, map, group, "redirect-uri", &local_error);
  if (local_error == NULL && entry->redirect_uri != NULL)
    {
      g_autoptr(GError) uri_error = NULL;

      if (!_mc_check_redirect_uri (entry->redirect_uri, &uri_error))
        local_error = config_error (key_line (map, group, "redirect-uri"), group, "%s", uri_error->message);
    }
  if (local_error == NULL && kind == MATCH_RESOURCE)
    issuer = get_value (key_file, map, group, "issuer", &local_error);
  if (local_error == NULL && issuer != NULL)
    {
      g_autoptr(GError) url_error = NULL;

      if (!mc_state_check_web_url (issuer, "issuer", &url_error))
        local_error = config_error (key_line (map, group, "issuer"), group, "%s", url_error->message);
      else
        entry->issuer_key = _mc_normalize_url (issuer);
    }

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

/**
 * _mc_clients_config_parse:
 * @data: (array length=length): the contents of clients.ini
 * @length: its length in bytes
 * @error: a location for a #GError, or %NULL
 *
 * Parses clients.ini.  Every problem is an error naming the line and the
 * group: an unknown group or key, a group or key given twice, a missing
 * client-id, an auth method, URL or redirect URI the broker cannot use.
 * A file the user wrote wrong must be fixed, not half used.
 *
 * Returns: (transfer full): the configuration, or %NULL with a
 *   %G_IO_ERROR_INVALID_DATA error
 */
McClientsConfig *
_mc_clients_config_parse (const char  *data,
                          gsize        length,
                          GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_auto(LineMap) map = { NULL, NULL };
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) groups = NULL;
  McClientsConfig *config = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!scan_lines (data != NULL ? data : "", length, &map, error))
    return NULL;

  if (!g_key_file_load_from_data (key_file, data != NULL ? data : "", length, G_KEY_FILE_NONE, &local_error))
    {
      g_autofree char *message = g_utf8_make_valid (local_error->message, -1);

      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
      return NULL;
    }

  config = clients_config_new ();
  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *group = groups[i];
      gboolean ok = FALSE;

      if (g_str_equal (group, "broker"))
        ok = parse_broker_group (key_file, &map, config, error);
      else if (g_str_has_prefix (group, "issuer "))
        ok = parse_client_group (key_file, &map, group, MATCH_ISSUER, group + strlen ("issuer "), config, error);
      else if (g_str_has_prefix (group, "resource "))
        ok = parse_client_group (key_file, &map, group, MATCH_RESOURCE, group + strlen ("resource "), config, error);
      else
        g_propagate_error (error, config_error (GPOINTER_TO_UINT (g_hash_table_lookup (map.group_lines, group)), group,
                                                "unknown group (expected [broker], [issuer URL] or [resource URL])"));

      if (!ok)
        {
          _mc_clients_config_free (config);
          return NULL;
        }
    }

  return config;
}

static McOAuthClient *
client_from_entry (const ConfigEntry *entry,
                   const char        *issuer)
{
  McOAuthClient *client = g_new0 (McOAuthClient, 1);

  client->source = MC_CLIENT_SOURCE_PRE_REGISTERED;
  client->issuer = g_strdup (issuer);
  client->client_id = g_strdup (entry->client_id);
  client->auth_method = g_strdup (entry->auth_method);
  client->redirect_uri = g_strdup (entry->redirect_uri);
  /* The secret is the user's to put in the keyring (kind client-secret,
   * this issuer and client id); a confidential method needs one. */
  client->has_secret = !g_str_equal (entry->auth_method, "none");
  return client;
}

/**
 * _mc_clients_config_find:
 * @config: a parsed clients.ini
 * @issuer: the authorization server's issuer
 * @resource: the MCP server's canonical URI
 *
 * A [resource …] group for @resource wins over an [issuer …] group for
 * @issuer: it is the more specific, for one server among several that
 * share an authorization server.  A resource group with issuer= matches
 * only when @issuer is that one, so a client id is never sent to an
 * authorization server it was not registered with.
 *
 * Returns: (transfer full) (nullable): the client
 */
McOAuthClient *
_mc_clients_config_find (McClientsConfig *config,
                         const char      *issuer,
                         const char      *resource)
{
  g_autofree char *issuer_key = NULL;
  g_autofree char *resource_key = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (issuer != NULL, NULL);
  g_return_val_if_fail (resource != NULL, NULL);

  issuer_key = _mc_normalize_url (issuer);
  resource_key = _mc_normalize_url (resource);

  for (guint i = 0; resource_key != NULL && i < config->entries->len; i++)
    {
      ConfigEntry *entry = g_ptr_array_index (config->entries, i);

      if (entry->kind == MATCH_RESOURCE && g_str_equal (entry->key, resource_key) &&
          (entry->issuer_key == NULL || g_strcmp0 (entry->issuer_key, issuer_key) == 0))
        return client_from_entry (entry, issuer);
    }

  for (guint i = 0; issuer_key != NULL && i < config->entries->len; i++)
    {
      ConfigEntry *entry = g_ptr_array_index (config->entries, i);

      if (entry->kind == MATCH_ISSUER && g_str_equal (entry->key, issuer_key))
        return client_from_entry (entry, issuer);
    }

  return NULL;
}

const char *
_mc_clients_config_get_metadata_url (McClientsConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);

  return config->metadata_url;
}

guint
_mc_clients_config_get_n_clients (McClientsConfig *config)
{
  g_return_val_if_fail (config != NULL, 0);

  return config->entries->len;
}

/* McOAuthClient */

McOAuthClient *
mc_oauth_client_copy (const McOAuthClient *self)
{
  McOAuthClient *copy = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (McOAuthClient, 1);
  copy->source = self->source;
  copy->issuer = g_strdup (self->issuer);
  copy->client_id = g_strdup (self->client_id);
  copy->auth_method = g_strdup (self->auth_method);
  copy->redirect_uri = g_strdup (self->redirect_uri);
  copy->has_secret = self->has_secret;
  copy->secret_expires_at = self->secret_expires_at;
  return copy;
}

void
mc_oauth_client_free (McOAuthClient *self)
{
  if (self == NULL)
    return;

  g_free (self->issuer);
  g_free (self->client_id);
  g_free (self->auth_method);
  g_free (self->redirect_uri);
  g_free (self);
}

static gboolean
is_valid_value (const char *value)
{
  if (value == NULL || value[0] == '\0' || strlen (value) > MAX_VALUE_LENGTH ||
      !g_utf8_validate (value, -1, NULL))
    return FALSE;
  for (const char *c = value; *c != '\0'; c++)
    {
      if (g_ascii_iscntrl (*c))
        return FALSE;
    }
  return TRUE;
}

/**
 * mc_oauth_client_is_valid_registration:
 * @self: a client the broker registered
 * @error: a location for a #GError, or %NULL
 *
 * The rules registrations.json is read with: an https (or loopback http)
 * issuer, a client id, an auth method the broker uses, a loopback redirect
 * URI if any, no negative expiry.  The flow checks a registration
 * response's client with this before remembering it.
 *
 * Returns: %TRUE if it may be remembered
 */
gboolean
mc_oauth_client_is_valid_registration (const McOAuthClient  *self,
                                       GError              **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->issuer == NULL || !mc_state_check_web_url (self->issuer, "issuer", error))
    {
      if (self->issuer == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“issuer” is missing");
      return FALSE;
    }
  if (!is_valid_value (self->client_id))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“client_id” is missing or not text");
      return FALSE;
    }
  if (self->auth_method == NULL || auth_method_from_config (self->auth_method) == NULL ||
      !g_str_equal (auth_method_from_config (self->auth_method), self->auth_method))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "“auth_method” is not none, client_secret_basic or client_secret_post");
      return FALSE;
    }
  if (self->redirect_uri != NULL && !_mc_check_redirect_uri (self->redirect_uri, error))
    return FALSE;
  if (self->secret_expires_at < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“secret_expires_at” is negative");
      return FALSE;
    }

  return TRUE;
}

/* McClientRegistry */

struct _McClientRegistry
{
  GObject          parent_instance;

  char            *config_path;
  McClientsConfig *config;
  McStateFile     *registrations_file;
  /* Owned McOAuthClient, one per issuer, source DYNAMIC. */
  GPtrArray       *registrations;
};

G_DEFINE_FINAL_TYPE (McClientRegistry, mc_client_registry, G_TYPE_OBJECT)

static void
mc_client_registry_finalize (GObject *object)
{
  McClientRegistry *self = (McClientRegistry *)object;

  g_clear_pointer (&self->config_path, g_free);
  g_clear_pointer (&self->config, _mc_clients_config_free);
  g_clear_pointer (&self->registrations_file, mc_state_file_free);
  g_clear_pointer (&self->registrations, g_ptr_array_unref);

  G_OBJECT_CLASS (mc_client_registry_parent_class)->finalize (object);
}

static void
mc_client_registry_class_init (McClientRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mc_client_registry_finalize;
}

static void
mc_client_registry_init (McClientRegistry *self)
{
  self->config = clients_config_new ();
  self->registrations = g_ptr_array_new_with_free_func ((GDestroyNotify)mc_oauth_client_free);
}

static McOAuthClient *
find_registration (McClientRegistry *self,
                   const char       *issuer)
{
  for (guint i = 0; i < self->registrations->len; i++)
    {
      McOAuthClient *client = g_ptr_array_index (self->registrations, i);

      /* Issuers compare exactly (RFC 8414 §3.3): these come from the
       * servers' metadata, not from people. */
      if (g_str_equal (client->issuer, issuer))
        return client;
    }
  return NULL;
}

static McOAuthClient *
registration_from_json (JsonNode  *node,
                        GError   **error)
{
  g_autoptr(McOAuthClient) client = g_new0 (McOAuthClient, 1);
  JsonObject *object = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an object");
      return NULL;
    }
  object = json_node_get_object (node);

  client->source = MC_CLIENT_SOURCE_DYNAMIC;
  if (!mc_json_get_string (object, "issuer", TRUE, &client->issuer, error) ||
      !mc_json_get_string (object, "client_id", TRUE, &client->client_id, error) ||
      !mc_json_get_string (object, "auth_method", TRUE, &client->auth_method, error) ||
      !mc_json_get_string (object, "redirect_uri", FALSE, &client->redirect_uri, error) ||
      !mc_json_get_boolean (object, "has_secret", FALSE, &client->has_secret, error) ||
      !mc_json_get_int (object, "secret_expires_at", 0, &client->secret_expires_at, error) ||
      !mc_oauth_client_is_valid_registration (client, error))
    return NULL;

  return g_steal_pointer (&client);
}

/**
 * _mc_client_registry_load_registrations_from_data:
 * @self: a #McClientRegistry with no registrations
 * @contents: (array length=length): what registrations.json holds
 * @length: length of @contents in bytes
 * @error: a location for a #GError, or %NULL
 *
 * All or nothing, like the other state files.
 *
 * Returns: %TRUE if @contents was loaded; %FALSE with @error set, and no
 *   registration kept, otherwise
 */
gboolean
_mc_client_registry_load_registrations_from_data (McClientRegistry  *self,
                                                  const char        *contents,
                                                  gsize              length,
                                                  GError           **error)
{
  g_autoptr(JsonObject) root = NULL;
  JsonArray *array = NULL;

  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (self), FALSE);
  g_return_val_if_fail (self->registrations->len == 0, FALSE);
  g_return_val_if_fail (contents != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  array = mc_json_parse_state_list (contents, length, FORMAT_VERSION, "registrations", &root, error);
  if (array == NULL)
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      McOAuthClient *client = registration_from_json (json_array_get_element (array, i), error);

      if (client != NULL && find_registration (self, client->issuer) != NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "a second registration with the same issuer");
          g_clear_pointer (&client, mc_oauth_client_free);
        }
      if (client == NULL)
        {
          g_prefix_error (error, "registration %u: ", i + 1);
          g_ptr_array_set_size (self->registrations, 0);
          return FALSE;
        }
      g_ptr_array_add (self->registrations, client);
    }

  return TRUE;
}

/**
 * _mc_client_registry_serialize_registrations:
 * @self: a #McClientRegistry
 *
 * Returns: (transfer full): what mc_client_registry_save_async() writes
 */
GBytes *
_mc_client_registry_serialize_registrations (McClientRegistry *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text = NULL;
  gsize length = 0;

  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, FORMAT_VERSION);
  json_builder_set_member_name (builder, "registrations");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->registrations->len; i++)
    {
      McOAuthClient *client = g_ptr_array_index (self->registrations, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "issuer");
      json_builder_add_string_value (builder, client->issuer);
      json_builder_set_member_name (builder, "client_id");
      json_builder_add_string_value (builder, client->client_id);
      json_builder_set_member_name (builder, "auth_method");
      json_builder_add_string_value (builder, client->auth_method);
      if (client->redirect_uri != NULL)
        {
          json_builder_set_member_name (builder, "redirect_uri");
          json_builder_add_string_value (builder, client->redirect_uri);
        }
      json_builder_set_member_name (builder, "has_secret");
      json_builder_add_boolean_value (builder, client->has_secret);
      json_builder_set_member_name (builder, "secret_expires_at");
      json_builder_add_int_value (builder, client->secret_expires_at);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);

  return g_bytes_new_take (text, length);
}

guint
_mc_client_registry_get_n_registrations (McClientRegistry *self)
{
  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (self), 0);

  return self->registrations->len;
}

static GBytes *
serialize_registrations (GObject *owner)
{
  return _mc_client_registry_serialize_registrations (MC_CLIENT_REGISTRY (owner));
}

/**
 * _mc_client_registry_new_empty:
 * @config_path: (nullable): clients.ini, or %NULL for none
 * @state_path: (nullable): registrations.json, or %NULL for a registry
 *   that is never saved (the fuzzer)
 *
 * Returns: (transfer full): a registry that read nothing yet
 */
McClientRegistry *
_mc_client_registry_new_empty (const char *config_path,
                               const char *state_path)
{
  McClientRegistry *self = g_object_new (MC_TYPE_CLIENT_REGISTRY, NULL);

  self->config_path = g_strdup (config_path);
  if (state_path != NULL)
    self->registrations_file = mc_state_file_new (state_path, G_OBJECT (self), serialize_registrations,
                                                  "no registrations (the broker registers again)");
  return self;
}

/**
 * mc_client_registry_new:
 * @config_path: clients.ini, `$XDG_CONFIG_HOME/mcp-consent/clients.ini`
 * @state_path: registrations.json,
 *   `$XDG_STATE_HOME/mcp-consent/registrations.json`
 *
 * Loads the registrations synchronously, at start-up, setting a damaged
 * file aside.  clients.ini is read by mc_client_registry_load_config_async(),
 * before each authorization.
 *
 * Returns: (transfer full): the registry
 */
McClientRegistry *
mc_client_registry_new (const char *config_path,
                        const char *state_path)
{
  g_autoptr(McClientRegistry) self = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (config_path != NULL, NULL);
  g_return_val_if_fail (state_path != NULL, NULL);

  self = _mc_client_registry_new_empty (config_path, state_path);
  contents = mc_state_file_read (self->registrations_file);
  if (contents != NULL &&
      !_mc_client_registry_load_registrations_from_data (self, g_bytes_get_data (contents, NULL),
                                                         g_bytes_get_size (contents), &error))
    mc_state_file_set_aside (self->registrations_file, error);

  return g_steal_pointer (&self);
}

/* Reads and parses clients.ini in a worker thread. */
static void
load_config_in_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  McClientsConfig *config = NULL;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      /* No file: no pre-registered clients, which is the usual case. */
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_task_return_pointer (task, clients_config_new (), (GDestroyNotify)_mc_clients_config_free);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not read %s: %s",
                                 path, error->message);
      return;
    }

  config = _mc_clients_config_parse (contents, length, &error);
  if (config == NULL)
    {
      g_prefix_error (&error, "%s: ", path);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, config, (GDestroyNotify)_mc_clients_config_free);
}

static void
on_config_loaded (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  McClientRegistry *self = MC_CLIENT_REGISTRY (source_object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  McClientsConfig *config = NULL;

  config = g_task_propagate_pointer (G_TASK (result), &error);
  if (config == NULL)
    {
      /* The last good configuration stays: a file being edited must not
       * turn pre-registered clients into dynamic registrations. */
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Back on the main context: the registry is not shared with threads. */
  g_clear_pointer (&self->config, _mc_clients_config_free);
  self->config = config;
  g_task_return_boolean (task, TRUE);
}

/**
 * mc_client_registry_load_config_async:
 * @self: a #McClientRegistry
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when clients.ini was read
 * @user_data: data for @callback
 *
 * (Re)reads clients.ini, in a worker thread: the daemon calls this before
 * every authorization, so edits take effect without a restart.  A missing
 * file is no client; a malformed one fails, naming the line and group, and
 * the configuration read before stays in use.
 */
void
mc_client_registry_load_config_async (McClientRegistry    *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;

  g_return_if_fail (MC_IS_CLIENT_REGISTRY (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_client_registry_load_config_async);

  if (self->config_path == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  worker = g_task_new (self, cancellable, on_config_loaded, g_steal_pointer (&task));
  g_task_set_source_tag (worker, load_config_in_thread);
  g_task_set_task_data (worker, g_strdup (self->config_path), g_free);
  g_task_run_in_thread (worker, load_config_in_thread);
}

gboolean
mc_client_registry_load_config_finish (McClientRegistry  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_client_registry_load_config_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mc_client_registry_find_pre_registered:
 * @self: a #McClientRegistry
 * @issuer: the authorization server's issuer
 * @resource: the MCP server's canonical URI
 *
 * A [resource …] group of clients.ini for @resource wins over an
 * [issuer …] group for @issuer (see _mc_clients_config_find()).
 *
 * Returns: (transfer full) (nullable): the client the user configured
 */
McOAuthClient *
mc_client_registry_find_pre_registered (McClientRegistry *self,
                                        const char       *issuer,
                                        const char       *resource)
{
  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (self), NULL);
  g_return_val_if_fail (issuer != NULL, NULL);
  g_return_val_if_fail (resource != NULL, NULL);

  return _mc_clients_config_find (self->config, issuer, resource);
}

/**
 * mc_client_registry_get_metadata_url:
 * @self: a #McClientRegistry
 *
 * Returns: (nullable): the URL of the broker's client ID metadata
 *   document, if the user configured one.  The string is interned, so it
 *   stays valid across reloads of clients.ini, which may happen while a
 *   flow awaits (each distinct URL is kept once for the daemon's life)
 */
const char *
mc_client_registry_get_metadata_url (McClientRegistry *self)
{
  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (self), NULL);

  return g_intern_string (self->config->metadata_url);
}

/**
 * mc_client_registry_find_dynamic:
 * @self: a #McClientRegistry
 * @issuer: the authorization server's issuer, exactly as its metadata
 *   gives it
 *
 * The caller checks @secret_expires_at: a client whose secret expired must
 * register again.
 *
 * Returns: (transfer full) (nullable): the client the broker registered
 *   there
 */
McOAuthClient *
mc_client_registry_find_dynamic (McClientRegistry *self,
                                 const char       *issuer)
{
  McOAuthClient *client = NULL;

  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (self), NULL);
  g_return_val_if_fail (issuer != NULL, NULL);

  client = find_registration (self, issuer);
  return client != NULL ? mc_oauth_client_copy (client) : NULL;
}

/**
 * mc_client_registry_remember_dynamic:
 * @self: a #McClientRegistry
 * @client: a client that mc_oauth_client_is_valid_registration() accepts
 *
 * Remembers @client as the broker's registration with its issuer,
 * replacing any earlier one; its secret, if any, is the caller's to store
 * in the keyring.  mc_client_registry_save_async() writes it.  An invalid
 * @client is refused with a critical (the signature has no GError).
 */
void
mc_client_registry_remember_dynamic (McClientRegistry    *self,
                                     const McOAuthClient *client)
{
  g_autoptr(GError) error = NULL;
  McOAuthClient *old = NULL;
  McOAuthClient *copy = NULL;

  g_return_if_fail (MC_IS_CLIENT_REGISTRY (self));
  g_return_if_fail (client != NULL);

  if (!mc_oauth_client_is_valid_registration (client, &error))
    {
      g_critical ("Refusing to remember an invalid registration: %s", error->message);
      return;
    }

  old = find_registration (self, client->issuer);
  if (old != NULL)
    g_ptr_array_remove (self->registrations, old);

  copy = mc_oauth_client_copy (client);
  copy->source = MC_CLIENT_SOURCE_DYNAMIC;
  g_ptr_array_add (self->registrations, copy);
  if (self->registrations_file != NULL)
    mc_state_file_changed (self->registrations_file);
}

/**
 * mc_client_registry_forget_dynamic:
 * @self: a #McClientRegistry
 * @issuer: an issuer
 *
 * Forgets the broker's registration there (say, the server no longer
 * knows the client); its secret is the caller's to clear.
 */
void
mc_client_registry_forget_dynamic (McClientRegistry *self,
                                   const char       *issuer)
{
  McOAuthClient *client = NULL;

  g_return_if_fail (MC_IS_CLIENT_REGISTRY (self));
  g_return_if_fail (issuer != NULL);

  client = find_registration (self, issuer);
  if (client == NULL)
    return;

  g_ptr_array_remove (self->registrations, client);
  if (self->registrations_file != NULL)
    mc_state_file_changed (self->registrations_file);
}

/**
 * mc_client_registry_save_async:
 * @self: a #McClientRegistry
 * @cancellable: (nullable): a #GCancellable; it ends the wait, not the save
 * @callback: called once registrations.json holds the current state
 * @user_data: data for @callback
 */
void
mc_client_registry_save_async (McClientRegistry    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (MC_IS_CLIENT_REGISTRY (self));
  g_return_if_fail (self->registrations_file != NULL);

  mc_state_file_save_async (self->registrations_file, cancellable, callback, user_data);
}

gboolean
mc_client_registry_save_finish (McClientRegistry  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (MC_IS_CLIENT_REGISTRY (self), FALSE);
  g_return_val_if_fail (self->registrations_file != NULL, FALSE);

  return mc_state_file_save_finish (self->registrations_file, result, error);
}

/* Editing clients.ini, for `mcp-consent client set`.  Synchronous: the
 * command line calls these, never the daemon's main loop. */

static GKeyFile *
load_for_edit (const char  *config_path,
               GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (config_path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&key_file);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  /* Refuse to edit a file the daemon would refuse: writing it back could
   * lose what the user meant. */
  {
    McClientsConfig *config = _mc_clients_config_parse (contents, length, &local_error);

    if (config == NULL)
      {
        g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", config_path);
        return NULL;
      }
    _mc_clients_config_free (config);
  }

  if (!g_key_file_load_from_data (key_file, contents, length, G_KEY_FILE_KEEP_COMMENTS, error))
    return NULL;

  return g_steal_pointer (&key_file);
}

static gboolean
save_edited (GKeyFile    *key_file,
             const char  *config_path,
             GError     **error)
{
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  McClientsConfig *config = NULL;

  data = g_key_file_to_data (key_file, &length, NULL);

  /* Never write what the daemon would refuse to read. */
  config = _mc_clients_config_parse (data, length, &local_error);
  if (config == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  _mc_clients_config_free (config);

  dir = g_path_get_dirname (config_path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "Could not create %s: %s",
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* Atomic (a temporary file renamed over), and private: the file says
   * which servers the user signs in to. */
  return g_file_set_contents_full (config_path, data, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                   0600, error);
}

/* The group for @url: an existing one whose URL is the same once
 * normalized, or a new "[MATCH URL]". */
static char *
group_for (GKeyFile   *key_file,
           const char *match,
           const char *url)
{
  g_auto(GStrv) groups = g_key_file_get_groups (key_file, NULL);
  g_autofree char *prefix = g_strconcat (match, " ", NULL);
  g_autofree char *key = _mc_normalize_url (url);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *other = NULL;

      if (!g_str_has_prefix (groups[i], prefix))
        continue;
      other = _mc_normalize_url (groups[i] + strlen (prefix));
      if (g_strcmp0 (other, key) == 0)
        return g_strdup (groups[i]);
    }

  return g_strconcat (prefix, url, NULL);
}

/**
 * mc_clients_config_set_client:
 * @config_path: clients.ini
 * @match: "issuer" or "resource"
 * @url: the issuer or the resource
 * @client_id: the client id
 * @auth_method: "none", "basic" or "post" (or the OAuth names)
 * @redirect_uri: (nullable): a fixed loopback redirect URI, or %NULL for
 *   any port
 * @error: a location for a #GError, or %NULL
 *
 * Sets the pre-registered client for an issuer or a resource in
 * clients.ini, keeping everything else in the file, comments included,
 * and replacing the file atomically.  A malformed file is not touched.
 * The client's secret, if it has one, goes into the keyring, not here.
 *
 * Returns: %TRUE if the file now says so
 */
gboolean
mc_clients_config_set_client (const char  *config_path,
                              const char  *match,
                              const char  *url,
                              const char  *client_id,
                              const char  *auth_method,
                              const char  *redirect_uri,
                              GError     **error)
{
  g_autoptr(GKeyFile) key_file = NULL;
  g_autofree char *group = NULL;
  const char *method = NULL;

  g_return_val_if_fail (config_path != NULL, FALSE);
  g_return_val_if_fail (match != NULL, FALSE);
  g_return_val_if_fail (url != NULL, FALSE);
  g_return_val_if_fail (client_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* These come from the command line: say what is wrong, plainly. */
  if (!g_str_equal (match, "issuer") && !g_str_equal (match, "resource"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not issuer or resource", match);
      return FALSE;
    }
  if (!mc_state_check_web_url (url, match, error))
    return FALSE;
  if (strchr (url, '[') != NULL || strchr (url, ']') != NULL)
    {
      /* GKeyFile group names cannot hold brackets. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "clients.ini cannot name a URL with an IPv6 address; use a host name");
      return FALSE;
    }
  /* GKeyFile would escape a backslash or a leading blank, which the
   * reader refuses; no client id has either. */
  if (!is_valid_value (client_id) || strchr (client_id, '\\') != NULL ||
      g_ascii_isspace (client_id[0]) || g_ascii_isspace (client_id[strlen (client_id) - 1]))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "the client id is empty, not text, or has a backslash or blanks around it");
      return FALSE;
    }
  method = auth_method_from_config (auth_method != NULL ? auth_method : "none");
  if (method == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not none, basic or post", auth_method);
      return FALSE;
    }
  if (redirect_uri != NULL && !_mc_check_redirect_uri (redirect_uri, error))
    return FALSE;

  key_file = load_for_edit (config_path, error);
  if (key_file == NULL)
    return FALSE;

  group = group_for (key_file, match, url);
  g_key_file_set_string (key_file, group, "client-id", client_id);
  g_key_file_set_string (key_file, group, "auth-method", auth_method_to_config (method));
  if (redirect_uri != NULL)
    g_key_file_set_string (key_file, group, "redirect-uri", redirect_uri);
  else
    g_key_file_remove_key (key_file, group, "redirect-uri", NULL);

  return save_edited (key_file, config_path, error);
}

/**
 * mc_clients_config_set_metadata_url:
 * @config_path: clients.ini
 * @url: (nullable): the https URL of the broker's client ID metadata
 *   document, or %NULL to remove it
 * @error: a location for a #GError, or %NULL
 *
 * Like mc_clients_config_set_client(), for [broker] client-metadata-url.
 *
 * Returns: %TRUE if the file now says so
 */
gboolean
mc_clients_config_set_metadata_url (const char  *config_path,
                                    const char  *url,
                                    GError     **error)
{
  g_autoptr(GKeyFile) key_file = NULL;

  g_return_val_if_fail (config_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (url != NULL && !_mc_check_metadata_url (url, error))
    return FALSE;

  key_file = load_for_edit (config_path, error);
  if (key_file == NULL)
    return FALSE;

  if (url != NULL)
    g_key_file_set_string (key_file, "broker", "client-metadata-url", url);
  else
    g_key_file_remove_key (key_file, "broker", "client-metadata-url", NULL);

  return save_edited (key_file, config_path, error);
}
