/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for mc-oauth-urls.h.  The input, up to the first NUL,
 * is a URL (also tried as an issuer, as a host and as a scope list); what
 * follows the NUL, up to the next one, is a second scope list, and a
 * second URL to compare origins with.  Besides
 * crashes, sanitizer reports and criticals it checks:
 *
 * - the canonical resource is its own canonical form, an absolute http(s)
 *   URL without fragment or trailing slash, with a lower-case scheme and
 *   host, the same resource as the input, and acceptable exactly when
 *   the input is;
 * - the discovery URLs exist exactly when the resource (or issuer) is
 *   valid, in MCP's number and order, on its origin, each its own
 *   canonical form, and acceptable when the resource or issuer is;
 * - the origin exists exactly when the URL parses (query and fragment
 *   allowed), is "scheme://authority" of the canonical resource, its own
 *   origin and canonical resource, and acceptable exactly when the URL
 *   is; same-origin agrees with comparing origins, both ways round, and
 *   holds for the same resource;
 * - a loopback host makes plain http acceptable;
 * - scope lists split exactly when every character is a space or a
 *   scope character, into valid, distinct tokens that join and split
 *   back to themselves; union, minus and subset agree with each other.
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "fuzz-common.h"
#include "mc-error.h"
#include "mc-oauth-urls.h"
#include "mc-oauth-urls-private.h"

#define WELL_KNOWN_PRM "/.well-known/oauth-protected-resource"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

static void
check_refusal (const GError *error)
{
  check (error != NULL);
  check (g_error_matches (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT));
  check (g_utf8_validate (error->message, -1, NULL));
}

/* "scheme://authority" of a URL that parsed. */
static char *
origin_of (const char *url)
{
  const char *authority = strstr (url, "://");

  check (authority != NULL);
  authority += 3;
  return g_strndup (url, authority + strcspn (authority, "/?#") - url);
}

static void
check_canonical (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again_error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *canonical = mc_oauth_canonical_resource (url, &error);
  g_autofree char *again = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *lower_origin = NULL;
  g_autofree char *before_query = NULL;
  gboolean acceptable;

  if (canonical == NULL)
    {
      check_refusal (error);
      check (mc_oauth_prm_urls (url) == NULL);
      check (!mc_oauth_same_resource (url, url));
      return;
    }

  check (error == NULL);
  again = mc_oauth_canonical_resource (canonical, &again_error);
  if (again == NULL)
    {
      g_printerr ("canonical “%s” refused: %s\n", canonical, again_error->message);
      abort ();
    }
  check (g_str_equal (again, canonical));

  check (g_str_has_prefix (canonical, "https://") || g_str_has_prefix (canonical, "http://"));
  check (strchr (canonical, '#') == NULL);
  /* No trailing slash on the path; a query may end with one. */
  before_query = g_strndup (canonical, strcspn (canonical, "?"));
  check (!g_str_has_suffix (before_query, "/"));
  /* An empty query is dropped; a query may hold and end with '?'. */
  check (canonical[strlen (before_query)] == '\0' || canonical[strlen (before_query) + 1] != '\0');
  check (mc_oauth_same_resource (url, canonical));

  origin = origin_of (canonical);
  lower_origin = g_ascii_strdown (origin, -1);
  check (g_str_equal (origin, lower_origin));
  check (strchr (origin, '@') == NULL);
  check (!g_str_has_suffix (origin, ":443") || g_str_has_prefix (origin, "http:"));
  check (!g_str_has_suffix (origin, ":80") || g_str_has_prefix (origin, "https:"));

  uri = _mc_oauth_parse_url (canonical, MC_OAUTH_URL_PARTS_QUERY, NULL);
  check (uri != NULL);

  /* Canonicalising never changes the scheme or whether the host is
   * this computer. */
  acceptable = mc_oauth_url_is_acceptable (url, NULL);
  check (acceptable == mc_oauth_url_is_acceptable (canonical, NULL));
}

static void
check_origin (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = _mc_oauth_parse_url (url, MC_OAUTH_URL_PARTS_QUERY | MC_OAUTH_URL_PARTS_FRAGMENT, NULL);
  g_autofree char *origin = mc_oauth_origin (url, &error);
  g_autofree char *again = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *canonical_origin = NULL;
  g_autofree char *resource = NULL;

  check ((origin == NULL) == (uri == NULL));
  if (origin == NULL)
    {
      check_refusal (error);
      check (!mc_oauth_same_origin (url, url));
      return;
    }

  check (error == NULL);
  /* Nothing after the authority: a canonical resource without path or
   * query, and its own origin. */
  canonical_origin = origin_of (origin);
  check (g_str_equal (canonical_origin, origin));
  canonical = mc_oauth_canonical_resource (origin, NULL);
  check (canonical != NULL && g_str_equal (canonical, origin));
  again = mc_oauth_origin (origin, NULL);
  check (again != NULL && g_str_equal (again, origin));
  check (mc_oauth_same_origin (url, origin));
  check (mc_oauth_url_is_acceptable (origin, NULL) == mc_oauth_url_is_acceptable (url, NULL));

  /* The origin of the server's canonical URI, when it has one. */
  resource = mc_oauth_canonical_resource (url, NULL);
  if (resource != NULL)
    {
      g_autofree char *resource_origin = origin_of (resource);

      check (g_str_equal (resource_origin, origin));
    }
}

static void
check_same_origin (const char *a,
                   const char *b)
{
  g_autofree char *origin_a = mc_oauth_origin (a, NULL);
  g_autofree char *origin_b = mc_oauth_origin (b, NULL);
  gboolean same = mc_oauth_same_origin (a, b);

  check (same == mc_oauth_same_origin (b, a));
  check (same == (origin_a != NULL && origin_b != NULL && g_str_equal (origin_a, origin_b)));
  check (!mc_oauth_same_resource (a, b) || same);
}

static void
check_discovery_urls (GPtrArray  *urls,
                      const char *origin,
                      gboolean    acceptable)
{
  for (guint i = 0; i < urls->len; i++)
    {
      const char *url = g_ptr_array_index (urls, i);
      g_autofree char *url_origin = origin_of (url);
      g_autofree char *canonical = mc_oauth_canonical_resource (url, NULL);

      check (g_str_equal (url_origin, origin));
      check (canonical != NULL && g_str_equal (canonical, url));
      check (!acceptable || mc_oauth_url_is_acceptable (url, NULL));
    }
}

static void
check_prm_urls (const char *url)
{
  g_autofree char *canonical = mc_oauth_canonical_resource (url, NULL);
  g_autoptr(GPtrArray) urls = mc_oauth_prm_urls (url);
  g_autofree char *origin = NULL;
  g_autofree char *root = NULL;
  gboolean at_root;

  check ((canonical == NULL) == (urls == NULL));
  if (urls == NULL)
    return;

  origin = origin_of (canonical);
  root = g_strconcat (origin, WELL_KNOWN_PRM, NULL);
  at_root = g_str_equal (canonical, origin);

  check (urls->len == (at_root ? 1 : 2));
  check (g_str_equal (g_ptr_array_index (urls, urls->len - 1), root));
  if (!at_root)
    {
      const char *inserted = g_ptr_array_index (urls, 0);

      /* The well-known path goes between the origin and the rest. */
      check (g_str_has_prefix (inserted, root));
      check (g_str_equal (inserted + strlen (root), canonical + strlen (origin)));
    }
  check_discovery_urls (urls, origin, mc_oauth_url_is_acceptable (url, NULL));
}

static void
check_as_metadata_urls (const char *issuer)
{
  g_autoptr(GUri) uri = _mc_oauth_parse_url (issuer, MC_OAUTH_URL_PARTS_NONE, NULL);
  g_autoptr(GPtrArray) urls = mc_oauth_as_metadata_urls (issuer);
  g_autofree char *canonical = NULL;
  g_autofree char *origin = NULL;
  gboolean has_path;

  check ((uri == NULL) == (urls == NULL));
  if (urls == NULL)
    return;

  canonical = mc_oauth_canonical_resource (issuer, NULL);
  check (canonical != NULL);
  origin = origin_of (canonical);
  has_path = !g_str_equal (canonical, origin);

  check (urls->len == (has_path ? 3 : 2));
  check (strstr (g_ptr_array_index (urls, 0), "/.well-known/oauth-authorization-server") != NULL);
  check (strstr (g_ptr_array_index (urls, 1), "/.well-known/openid-configuration") != NULL);
  if (has_path)
    check (g_str_has_suffix (g_ptr_array_index (urls, 2), "/.well-known/openid-configuration"));
  check_discovery_urls (urls, origin, mc_oauth_url_is_acceptable (issuer, NULL));
}

static void
check_acceptable (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;

  if (!mc_oauth_url_is_acceptable (url, &error))
    {
      check_refusal (error);
      return;
    }

  check (error == NULL);
  uri = _mc_oauth_parse_url (url, MC_OAUTH_URL_PARTS_QUERY | MC_OAUTH_URL_PARTS_FRAGMENT, NULL);
  check (uri != NULL);
  check (g_str_equal (g_uri_get_scheme (uri), "https") || mc_oauth_host_is_loopback (g_uri_get_host (uri)));
  check (g_uri_get_userinfo (uri) == NULL);
}

static void
check_loopback (const char *host)
{
  g_autofree char *lower = NULL;
  g_autofree char *url = NULL;

  if (!mc_oauth_host_is_loopback (host))
    return;

  lower = g_ascii_strdown (host, -1);
  check (g_str_equal (lower, "localhost") || g_str_has_suffix (lower, ".localhost") ||
         g_str_has_prefix (lower, "127.") || strchr (lower, ':') != NULL);

  if (strchr (host, ':') != NULL && host[0] != '[')
    url = g_strdup_printf ("http://[%s]/", host);
  else
    url = g_strdup_printf ("http://%s/", host);
  check (mc_oauth_url_is_acceptable (url, NULL));
}

static gboolean
is_scope_char (char c)
{
  return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

static GStrv
check_split (const char *scope)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) scopes = mc_oauth_scope_split (scope, &error);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *joined = NULL;
  g_auto(GStrv) again = NULL;
  gboolean valid = TRUE;

  for (const char *p = scope; *p != '\0'; p++)
    valid &= *p == ' ' || is_scope_char (*p);

  check ((scopes != NULL) == valid);
  if (scopes == NULL)
    {
      check_refusal (error);
      return NULL;
    }

  for (gsize i = 0; scopes[i] != NULL; i++)
    {
      check (mc_oauth_is_valid_scope_token (scopes[i]));
      check (!g_hash_table_contains (seen, scopes[i]));
      g_hash_table_add (seen, scopes[i]);
    }

  joined = mc_oauth_scope_join ((const char * const *) scopes);
  again = mc_oauth_scope_split (joined, NULL);
  check (again != NULL && g_strv_equal ((const char * const *) again, (const char * const *) scopes));

  return g_steal_pointer (&scopes);
}

static void
check_scope_sets (const char * const *a,
                  const char * const *b)
{
  g_auto(GStrv) a_or_b = mc_oauth_scopes_union (a, b);
  g_auto(GStrv) a_minus_b = mc_oauth_scopes_minus (a, b);
  g_auto(GStrv) rebuilt = NULL;
  gsize n_a = g_strv_length ((GStrv) a);

  /* a's scopes first, in order, then b's new ones. */
  for (gsize i = 0; i < n_a; i++)
    check (g_str_equal (a_or_b[i], a[i]));
  check (mc_oauth_scopes_subset (a, (const char * const *) a_or_b));
  check (mc_oauth_scopes_subset (b, (const char * const *) a_or_b));
  for (gsize i = n_a; a_or_b[i] != NULL; i++)
    check (!g_strv_contains (a, a_or_b[i]) && g_strv_contains (b, a_or_b[i]));

  check (mc_oauth_scopes_subset ((const char * const *) a_minus_b, a));
  for (gsize i = 0; a_minus_b[i] != NULL; i++)
    check (!g_strv_contains (b, a_minus_b[i]));
  check (mc_oauth_scopes_subset (a, b) == (a_minus_b[0] == NULL));

  rebuilt = mc_oauth_scopes_union ((const char * const *) a_minus_b, b);
  check (mc_oauth_scopes_subset ((const char * const *) rebuilt, (const char * const *) a_or_b));
  check (mc_oauth_scopes_subset ((const char * const *) a_or_b, (const char * const *) rebuilt));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_dup_string (data, size);
  g_autofree char *second = NULL;
  g_auto(GStrv) a = NULL;
  g_auto(GStrv) b = NULL;
  gsize text_length = strlen (text);

  second = text_length < size ? fuzz_dup_string (data + text_length + 1, size - text_length - 1) : g_strdup ("");

  check_canonical (text);
  check_origin (text);
  check_same_origin (text, second);
  check_prm_urls (text);
  check_as_metadata_urls (text);
  check_acceptable (text);
  check_loopback (text);

  a = check_split (text);
  b = check_split (second);
  if (a != NULL && b != NULL)
    {
      check_scope_sets ((const char * const *) a, (const char * const *) b);
      check_scope_sets ((const char * const *) b, (const char * const *) a);
    }

  return 0;
}
