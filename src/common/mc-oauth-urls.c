/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-oauth-urls.h"
#include "mc-oauth-urls-private.h"

#include <gio/gio.h>
#include <string.h>

#include "mc-error.h"

/* The URLs of OAuth: the MCP server's resource identifier (RFC 8707, RFC
 * 9728), the well-known locations of metadata (RFC 9728 §3.1, RFC 8414
 * §3.1, OpenID Connect Discovery §4), which URLs the broker may talk to,
 * and scope lists (RFC 6749 §3.3).
 *
 * GUri alone is too lenient for URLs that become keys and get compared:
 * it takes spaces, control characters, backslashes and user information,
 * and reads hosts that resolvers read differently.  So the text is
 * checked first, and GUri only splits what passed. */

#define WELL_KNOWN_PRM "/.well-known/oauth-protected-resource"
#define WELL_KNOWN_AS "/.well-known/oauth-authorization-server"
#define WELL_KNOWN_OIDC "/.well-known/openid-configuration"

/* RFC 3986 §2: unreserved, reserved and '%'; nothing else may appear
 * unescaped in a URI. */
static gboolean
is_uri_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("-._~:/?#[]@!$&'()*+,;=%", c) != NULL;
}

/* The dotted-decimal form inet_pton() takes, without leading zeros, which
 * inet_aton() would read as octal. */
static gboolean
parse_ipv4 (const char *host,
            guint8      octets[4])
{
  const char *p = host;

  for (guint i = 0; i < 4; i++)
    {
      guint value = 0;
      guint n_digits = 0;

      if (i > 0)
        {
          if (*p != '.')
            return FALSE;
          p++;
        }

      while (g_ascii_isdigit (*p) && n_digits < 4)
        {
          value = value * 10 + (*p - '0');
          n_digits++;
          p++;
        }

      if (n_digits == 0 || n_digits > 3 || value > 255)
        return FALSE;
      if (n_digits > 1 && p[-(int) n_digits] == '0')
        return FALSE;
      octets[i] = value;
    }

  return *p == '\0';
}

/* WHATWG URL's "ends in a number": such a host is read as an IPv4 address
 * (in any of inet_aton()'s forms, "127.1" or "0x7f.1") by browsers and by
 * getaddrinfo(), so it must be a plain dotted-decimal address or nothing. */
static gboolean
ends_in_a_number (const char *host)
{
  const char *last = strrchr (host, '.');

  last = last != NULL ? last + 1 : host;
  if (*last == '\0')
    return FALSE;

  if (last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
    {
      for (const char *p = last + 2; *p != '\0'; p++)
        if (!g_ascii_isxdigit (*p))
          return FALSE;
      return TRUE;
    }

  for (const char *p = last; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
check_host_name (const char  *host,
                 GError     **error)
{
  gsize label_length = 0;
  guint8 octets[4];

  for (const char *p = host; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (label_length == 0)
            {
              g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                                   "has a host name with an empty label");
              return FALSE;
            }
          label_length = 0;
        }
      else if (g_ascii_isalnum (*p) || *p == '-' || *p == '_')
        {
          label_length++;
        }
      else
        {
          g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                               "has a host name with a character host names cannot have");
          return FALSE;
        }
    }

  /* "host." names the same host as "host", but would be another key. */
  if (label_length == 0)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "has a host name that ends with a dot");
      return FALSE;
    }

  if (ends_in_a_number (host) && !parse_ipv4 (host, octets))
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "has a host that is neither a name nor an IPv4 address in dotted-decimal form");
      return FALSE;
    }

  return TRUE;
}

/**
 * _mc_oauth_parse_url:
 * @url: a URL from anywhere
 * @allowed: whether a query and a fragment are allowed
 * @error: return location for a #GError
 *
 * Parses an absolute http or https URL strictly: printable ASCII of RFC
 * 3986 only, a host that is a name of letters, digits, '-' and '_', an
 * IPv4 address in dotted-decimal form or a bracketed IPv6 address without
 * a zone, a port from 1 to 65535 if any, and no user information.
 *
 * The error, %MC_ERROR_INVALID_ARGUMENT, is a clause without a subject
 * ("has a fragment"), so that callers can say which URL it is about.
 *
 * Returns: (transfer full): the URL parsed with %G_URI_FLAGS_ENCODED (so
 *   its path and query have their %-escapes normalised and dot segments
 *   removed), or %NULL with @error set
 */
GUri *
_mc_oauth_parse_url (const char       *url,
                     McOAuthUrlParts   allowed,
                     GError          **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *scheme = NULL;
  const char *authority = NULL;
  gsize authority_length;
  gsize length;
  const char *host = NULL;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  length = strlen (url);
  if (length > MC_OAUTH_URL_MAX_LENGTH)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "is longer than %d bytes", MC_OAUTH_URL_MAX_LENGTH);
      return NULL;
    }

  for (gsize i = 0; i < length; i++)
    {
      if (!is_uri_char (url[i]))
        {
          g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                       "has a character that must be %%-encoded in URLs, at byte %" G_GSIZE_FORMAT, i);
          return NULL;
        }
    }

  /* Not g_uri_peek_scheme(): it interns every scheme it is shown. */
  scheme = g_uri_parse_scheme (url);
  if (scheme == NULL)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "is not an absolute URL");
      return NULL;
    }
  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "is not an http or https URL");
      return NULL;
    }

  /* GUri takes "https:host/path" as a path without a host. */
  authority = url + strlen (scheme) + 1;
  if (!g_str_has_prefix (authority, "//"))
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "has no host");
      return NULL;
    }
  authority += 2;
  authority_length = strcspn (authority, "/?#");

  /* Any '@', even with nothing before it: GUri takes the host after the
   * first one and browsers after the last. */
  if (memchr (authority, '@', authority_length) != NULL)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "has user information (“…@”)");
      return NULL;
    }

  /* GUri decodes some escapes in a host and keeps others; a host is
   * compared and shown as written, so it has none (nor a zone, "%25"). */
  if (memchr (authority, '%', authority_length) != NULL)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "has a %-escape in its host");
      return NULL;
    }

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "is not a valid URL (%s)", local_error->message);
      return NULL;
    }

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "has no host");
      return NULL;
    }

  if (authority[0] == '[')
    {
      /* GUri refuses IPvFuture, but GLib 2.74 takes "[:]" for an IPv6
       * address, so the address is checked again. */
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);

      if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
        {
          g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                               "has a host in brackets that is not an IPv6 address");
          return NULL;
        }
    }
  else if (!check_host_name (host, error))
    {
      return NULL;
    }

  if (g_uri_get_port (uri) == 0)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "has port 0");
      return NULL;
    }

  if (!(allowed & MC_OAUTH_URL_PARTS_QUERY) && g_uri_get_query (uri) != NULL)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "has a query (“?…”)");
      return NULL;
    }

  if (!(allowed & MC_OAUTH_URL_PARTS_FRAGMENT) && g_uri_get_fragment (uri) != NULL)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "has a fragment (“#…”)");
      return NULL;
    }

  return g_steal_pointer (&uri);
}

static gboolean
is_https (GUri *uri)
{
  return g_str_equal (g_uri_get_scheme (uri), "https");
}

/* "scheme://host[:port]", lower-case, with an IPv6 address in its
 * shortest form and the scheme's default port left out. */
static char *
url_origin (GUri *uri)
{
  const char *host = g_uri_get_host (uri);
  int port = g_uri_get_port (uri);
  g_autofree char *canonical_host = NULL;
  g_autoptr(GString) origin = g_string_new (g_uri_get_scheme (uri));

  g_string_append (origin, "://");

  if (strchr (host, ':') != NULL)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);

      /* _mc_oauth_parse_url() let through only what GUri parsed as IPv6. */
      g_assert (address != NULL);
      canonical_host = g_inet_address_to_string (address);
      g_string_append_printf (origin, "[%s]", canonical_host);
    }
  else
    {
      canonical_host = g_ascii_strdown (host, -1);
      g_string_append (origin, canonical_host);
    }

  if (port != -1 && port != (is_https (uri) ? 443 : 80))
    g_string_append_printf (origin, ":%d", port);

  return g_string_free (g_steal_pointer (&origin), FALSE);
}

/* The path without its trailing slashes: "/" and "" become "". */
static char *
path_without_trailing_slashes (GUri *uri)
{
  const char *path = g_uri_get_path (uri);
  gsize length = strlen (path);

  while (length > 0 && path[length - 1] == '/')
    length--;

  return g_strndup (path, length);
}

/**
 * mc_oauth_canonical_resource:
 * @url: the URL of an MCP server
 * @error: return location for a #GError
 *
 * Turns @url into the canonical URI of the MCP server (RFC 8707 §2, MCP
 * 2025-11-25 "Canonical Server URI"): the "resource" parameter of
 * authorization and token requests, and the key of what is stored for the
 * server.
 *
 * The URL must be an absolute http or https URL without user information
 * or fragment (see _mc_oauth_parse_url() for the exact rules).  The scheme
 * and host are lower-cased, an IPv6 address written in its shortest form,
 * the default port dropped, %-escapes normalised and dot segments removed
 * (RFC 3986 §6.2.2), and trailing slashes dropped, including a lone "/"
 * ("https://mcp.example.com/" becomes "https://mcp.example.com").  A
 * query is kept (RFC 8707 allows one, and a server may be told apart by
 * it), an empty one dropped.  Whether plain http is acceptable is not
 * judged here; see mc_oauth_url_is_acceptable().
 *
 * The result is its own canonical form.
 *
 * Returns: (transfer full): the canonical URI, or %NULL with @error set to
 *   %MC_ERROR_INVALID_ARGUMENT
 */
char *
mc_oauth_canonical_resource (const char  *url,
                             GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *path = NULL;
  const char *query = NULL;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uri = _mc_oauth_parse_url (url, MC_OAUTH_URL_PARTS_QUERY, error);
  if (uri == NULL)
    {
      g_prefix_error (error, "The MCP server URL ");
      return NULL;
    }

  origin = url_origin (uri);
  path = path_without_trailing_slashes (uri);
  query = g_uri_get_query (uri);

  if (query != NULL && *query != '\0')
    return g_strconcat (origin, path, "?", query, NULL);
  return g_strconcat (origin, path, NULL);
}

/* Whether @a and @b both have a @form, and it is the same. */
static gboolean
same_form (char *(*form) (const char *url, GError **error),
           const char *a,
           const char *b)
{
  g_autofree char *form_a = form (a, NULL);
  g_autofree char *form_b = form (b, NULL);

  return form_a != NULL && form_b != NULL && g_str_equal (form_a, form_b);
}

/**
 * mc_oauth_same_resource:
 * @a: a URL
 * @b: another URL
 *
 * Whether @a and @b identify the same MCP server: both have a canonical
 * form (mc_oauth_canonical_resource()), and it is the same.  RFC 9728 §3.3
 * asks for the "resource" of protected resource metadata to be identical
 * to the URL it was found for; MCP asks that upper case be accepted too.
 *
 * Returns: %TRUE if they are the same resource
 */
gboolean
mc_oauth_same_resource (const char *a,
                        const char *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return same_form (mc_oauth_canonical_resource, a, b);
}

/**
 * mc_oauth_origin:
 * @url: an absolute http or https URL
 * @error: return location for a #GError
 *
 * The origin of @url (RFC 6454 §4), in the form of
 * mc_oauth_canonical_resource(): "scheme://host[:port]", the scheme and
 * host lower-cased, an IPv6 address in its shortest form, the default
 * port left out.  MCP 2025-03-26 calls it the "authorization base URL"
 * of a server: its URL with the path discarded.  A query and a fragment
 * are allowed in @url, and dropped.
 *
 * Returns: (transfer full): the origin, which is its own canonical
 *   resource, or %NULL with @error set to %MC_ERROR_INVALID_ARGUMENT
 */
char *
mc_oauth_origin (const char  *url,
                 GError     **error)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uri = _mc_oauth_parse_url (url, MC_OAUTH_URL_PARTS_QUERY | MC_OAUTH_URL_PARTS_FRAGMENT, error);
  if (uri == NULL)
    {
      g_prefix_error (error, "The URL ");
      return NULL;
    }

  return url_origin (uri);
}

/**
 * mc_oauth_same_origin:
 * @a: a URL
 * @b: another URL
 *
 * Whether @a and @b both have an origin (mc_oauth_origin()), and it is
 * the same: same scheme, host and port, however they are written.
 *
 * Returns: %TRUE if they are on the same origin
 */
gboolean
mc_oauth_same_origin (const char *a,
                      const char *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return same_form (mc_oauth_origin, a, b);
}

/**
 * mc_oauth_prm_urls:
 * @resource: the URL of an MCP server
 *
 * The locations of the server's Protected Resource Metadata to try, in
 * MCP's order (2025-11-25, "Protected Resource Metadata Discovery"), when
 * no WWW-Authenticate header named one: the well-known URI inserted before
 * the path (RFC 9728 §3.1, which keeps the query too), then at the root.
 * For "https://example.com/public/mcp":
 * "https://example.com/.well-known/oauth-protected-resource/public/mcp",
 * "https://example.com/.well-known/oauth-protected-resource".  A server at
 * the root has only the second.  @resource is made canonical first.
 *
 * Returns: (transfer full) (element-type utf8) (nullable): the URLs, or
 *   %NULL if @resource has no canonical form
 */
GPtrArray *
mc_oauth_prm_urls (const char *resource)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GPtrArray) urls = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *path = NULL;
  const char *query = NULL;

  g_return_val_if_fail (resource != NULL, NULL);

  canonical = mc_oauth_canonical_resource (resource, NULL);
  if (canonical == NULL)
    return NULL;

  uri = _mc_oauth_parse_url (canonical, MC_OAUTH_URL_PARTS_QUERY, NULL);
  g_assert (uri != NULL);

  origin = url_origin (uri);
  path = path_without_trailing_slashes (uri);
  query = g_uri_get_query (uri);

  urls = g_ptr_array_new_with_free_func (g_free);
  if (query != NULL && *query != '\0')
    g_ptr_array_add (urls, g_strconcat (origin, WELL_KNOWN_PRM, path, "?", query, NULL));
  else if (*path != '\0')
    g_ptr_array_add (urls, g_strconcat (origin, WELL_KNOWN_PRM, path, NULL));
  g_ptr_array_add (urls, g_strconcat (origin, WELL_KNOWN_PRM, NULL));

  return g_steal_pointer (&urls);
}

/**
 * mc_oauth_as_metadata_urls:
 * @issuer: an authorization server's issuer identifier
 *
 * The locations of the authorization server's metadata to try, in MCP's
 * order (2025-11-25, "Authorization Server Metadata Discovery").  For an
 * issuer with a path, "https://auth.example.com/tenant1":
 * ".../.well-known/oauth-authorization-server/tenant1" (RFC 8414 §3.1),
 * ".../.well-known/openid-configuration/tenant1",
 * ".../tenant1/.well-known/openid-configuration" (OpenID Connect Discovery
 * §4); without one: ".../.well-known/oauth-authorization-server",
 * ".../.well-known/openid-configuration".  Trailing slashes of the path
 * are dropped first, as both specifications say.
 *
 * Returns: (transfer full) (element-type utf8) (nullable): the URLs, or
 *   %NULL if @issuer is no absolute http(s) URL without user information,
 *   query or fragment (RFC 8414 §2)
 */
GPtrArray *
mc_oauth_as_metadata_urls (const char *issuer)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GPtrArray) urls = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (issuer != NULL, NULL);

  uri = _mc_oauth_parse_url (issuer, MC_OAUTH_URL_PARTS_NONE, NULL);
  if (uri == NULL)
    return NULL;

  origin = url_origin (uri);
  path = path_without_trailing_slashes (uri);

  urls = g_ptr_array_new_with_free_func (g_free);
  if (*path != '\0')
    {
      g_ptr_array_add (urls, g_strconcat (origin, WELL_KNOWN_AS, path, NULL));
      g_ptr_array_add (urls, g_strconcat (origin, WELL_KNOWN_OIDC, path, NULL));
      g_ptr_array_add (urls, g_strconcat (origin, path, WELL_KNOWN_OIDC, NULL));
    }
  else
    {
      g_ptr_array_add (urls, g_strconcat (origin, WELL_KNOWN_AS, NULL));
      g_ptr_array_add (urls, g_strconcat (origin, WELL_KNOWN_OIDC, NULL));
    }

  return g_steal_pointer (&urls);
}

/**
 * mc_oauth_url_is_acceptable:
 * @url: a URL the broker is about to send a request to
 * @error: return location for a #GError
 *
 * Whether the broker may talk OAuth to @url: an absolute URL without user
 * information (see _mc_oauth_parse_url()), and https, or plain http only to
 * the loopback interface (mc_oauth_host_is_loopback()), where local
 * servers and test servers live.
 *
 * Returns: %TRUE if it may, or %FALSE with @error set to
 *   %MC_ERROR_INVALID_ARGUMENT
 */
gboolean
mc_oauth_url_is_acceptable (const char  *url,
                            GError     **error)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  uri = _mc_oauth_parse_url (url, MC_OAUTH_URL_PARTS_QUERY | MC_OAUTH_URL_PARTS_FRAGMENT, error);
  if (uri == NULL)
    {
      g_prefix_error (error, "The URL ");
      return FALSE;
    }

  if (!is_https (uri) && !mc_oauth_host_is_loopback (g_uri_get_host (uri)))
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "The URL uses plain http to a host other than this computer; "
                           "OAuth needs https there");
      return FALSE;
    }

  return TRUE;
}

/**
 * mc_oauth_host_is_loopback:
 * @host: a host as GUri gives it (an IPv6 address with or without its
 *   brackets)
 *
 * Whether @host is this computer: "localhost" or a name under it (RFC 6761
 * §6.3), an address of 127.0.0.0/8 in dotted-decimal form, or ::1.  Other
 * spellings that resolvers may take for loopback ("127.1", "localhost.",
 * "::ffff:127.0.0.1") are not, so plain http is refused for them.
 *
 * Returns: %TRUE if @host is the loopback host
 */
gboolean
mc_oauth_host_is_loopback (const char *host)
{
  g_autofree char *lower = NULL;
  g_autofree char *unbracketed = NULL;
  g_autoptr(GInetAddress) address = NULL;
  guint8 octets[4];
  gsize length;

  g_return_val_if_fail (host != NULL, FALSE);

  length = strlen (host);
  if (length > 253 + 2)
    return FALSE;

  if (parse_ipv4 (host, octets))
    return octets[0] == 127;

  if (length >= 2 && host[0] == '[' && host[length - 1] == ']')
    unbracketed = g_strndup (host + 1, length - 2);
  else
    unbracketed = g_strdup (host);

  if (strchr (unbracketed, ':') != NULL)
    {
      /* A zone makes a link-local address, never loopback. */
      if (strchr (unbracketed, '%') != NULL)
        return FALSE;
      address = g_inet_address_new_from_string (unbracketed);
      return address != NULL &&
             g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
             g_inet_address_get_is_loopback (address);
    }

  if (host[0] == '[')
    return FALSE;

  lower = g_ascii_strdown (host, -1);
  if (g_str_equal (lower, "localhost"))
    return TRUE;

  /* "a.localhost", with only host name characters and no empty label. */
  return g_str_has_suffix (lower, ".localhost") && check_host_name (lower, NULL);
}

/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
static gboolean
is_scope_char (char c)
{
  return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

/**
 * mc_oauth_is_valid_scope_token:
 * @scope: (nullable): one scope
 *
 * Returns: %TRUE if @scope is a scope-token of RFC 6749 §3.3: printable
 *   ASCII but space, '"' and '\'
 */
gboolean
mc_oauth_is_valid_scope_token (const char *scope)
{
  if (scope == NULL || *scope == '\0')
    return FALSE;

  for (const char *p = scope; *p != '\0'; p++)
    if (!is_scope_char (*p))
      return FALSE;
  return TRUE;
}

/**
 * mc_oauth_check_scopes_shown:
 * @scopes: scopes to put in front of the user
 * @error: return location for an %MC_ERROR_INVALID_ARGUMENT error
 *
 * The one rule the daemon and the dialog share for scopes they show: at
 * most %MC_OAUTH_MAX_SCOPES, each a scope-token of at most
 * %MC_OAUTH_MAX_SCOPE_LENGTH bytes.
 *
 * Returns: whether @scopes may be shown
 */
gboolean
mc_oauth_check_scopes_shown (const char * const  *scopes,
                             GError             **error)
{
  guint n_scopes;

  g_return_val_if_fail (scopes != NULL, FALSE);

  n_scopes = g_strv_length ((char **)scopes);
  if (n_scopes > MC_OAUTH_MAX_SCOPES)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "%u scopes are asked for; at most %d can be shown", n_scopes, MC_OAUTH_MAX_SCOPES);
      return FALSE;
    }

  for (guint i = 0; i < n_scopes; i++)
    {
      if (strlen (scopes[i]) > MC_OAUTH_MAX_SCOPE_LENGTH || !mc_oauth_is_valid_scope_token (scopes[i]))
        {
          g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                       "A scope asked for is not 1 to %d printable ASCII characters without spaces, "
                       "quotes or backslashes", MC_OAUTH_MAX_SCOPE_LENGTH);
          return FALSE;
        }
    }
  return TRUE;
}

/* Adds @scope to @builder unless @seen has it already. */
static void
add_once (GStrvBuilder *builder,
          GHashTable   *seen,
          const char   *scope)
{
  if (g_hash_table_contains (seen, scope))
    return;
  g_hash_table_add (seen, (gpointer) scope);
  g_strv_builder_add (builder, scope);
}

/**
 * mc_oauth_scope_split:
 * @scope: (nullable): a scope parameter: scope-tokens separated by spaces
 * @error: return location for a #GError
 *
 * Splits a scope parameter (RFC 6749 §3.3).  Runs of spaces, and spaces at
 * either end, count as one separator; a scope given twice is kept once,
 * where it first appears.  %NULL and "" are the empty list.
 *
 * Returns: (transfer full): the scopes, or %NULL with @error set to
 *   %MC_ERROR_INVALID_ARGUMENT if one has a character scopes cannot have
 */
GStrv
mc_oauth_scope_split (const char  *scope,
                      GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *p = scope;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (scope == NULL)
    return g_strv_builder_end (builder);

  while (*p != '\0')
    {
      const char *start = NULL;
      char *token = NULL;

      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;

      start = p;
      while (*p != ' ' && *p != '\0')
        {
          if (!is_scope_char (*p))
            {
              g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "The scope list has a character scopes cannot have, at byte %" G_GSIZE_FORMAT,
                           (gsize) (p - scope));
              return NULL;
            }
          p++;
        }

      token = g_strndup (start, p - start);
      if (g_hash_table_contains (seen, token))
        {
          g_free (token);
          continue;
        }
      /* The table owns the copy; the builder copies it again. */
      g_hash_table_add (seen, token);
      g_strv_builder_add (builder, token);
    }

  return g_strv_builder_end (builder);
}

/**
 * mc_oauth_scope_join:
 * @scopes: (nullable) (array zero-terminated=1): scopes
 *
 * Returns: (transfer full): @scopes separated by single spaces: the scope
 *   parameter; "" for %NULL or none
 */
char *
mc_oauth_scope_join (const char * const *scopes)
{
  if (scopes == NULL)
    return g_strdup ("");
  return g_strjoinv (" ", (GStrv) scopes);
}

/**
 * mc_oauth_scopes_union:
 * @a: (nullable) (array zero-terminated=1): scopes
 * @b: (nullable) (array zero-terminated=1): more scopes
 *
 * Returns: (transfer full): the scopes of @a, then those of @b that @a
 *   lacks, each once
 */
GStrv
mc_oauth_scopes_union (const char * const *a,
                       const char * const *b)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (gsize i = 0; a != NULL && a[i] != NULL; i++)
    add_once (builder, seen, a[i]);
  for (gsize i = 0; b != NULL && b[i] != NULL; i++)
    add_once (builder, seen, b[i]);

  return g_strv_builder_end (builder);
}

/**
 * mc_oauth_scopes_minus:
 * @a: (nullable) (array zero-terminated=1): scopes
 * @b: (nullable) (array zero-terminated=1): scopes to leave out
 *
 * Returns: (transfer full): the scopes of @a that are not in @b, in
 *   order, each once
 */
GStrv
mc_oauth_scopes_minus (const char * const *a,
                       const char * const *b)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  /* What is to be left out counts as seen already. */
  for (gsize i = 0; b != NULL && b[i] != NULL; i++)
    g_hash_table_add (seen, (gpointer) b[i]);
  for (gsize i = 0; a != NULL && a[i] != NULL; i++)
    add_once (builder, seen, a[i]);

  return g_strv_builder_end (builder);
}

/**
 * mc_oauth_scopes_subset:
 * @scopes: (nullable) (array zero-terminated=1): scopes
 * @of: (nullable) (array zero-terminated=1): other scopes
 *
 * Returns: %TRUE if every scope of @scopes is in @of (so always for none)
 */
gboolean
mc_oauth_scopes_subset (const char * const *scopes,
                        const char * const *of)
{
  g_autoptr(GHashTable) set = g_hash_table_new (g_str_hash, g_str_equal);

  for (gsize i = 0; of != NULL && of[i] != NULL; i++)
    g_hash_table_add (set, (gpointer) of[i]);
  for (gsize i = 0; scopes != NULL && scopes[i] != NULL; i++)
    if (!g_hash_table_contains (set, scopes[i]))
      return FALSE;

  return TRUE;
}
