/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-error.h"
#include "mc-oauth-urls.h"

static void
assert_canonical (const char *url,
                  const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *canonical = mc_oauth_canonical_resource (url, &error);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (canonical, ==, expected);

  again = mc_oauth_canonical_resource (canonical, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, canonical);
}

static void
assert_not_canonical (const char *url,
                      const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *canonical = mc_oauth_canonical_resource (url, &error);

  g_test_message ("%s", url);
  g_assert_null (canonical);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, "The MCP server URL "));
  if (strstr (error->message, message_part) == NULL)
    g_error ("“%s”: expected “%s” in “%s”", url, message_part, error->message);
}

/* MCP 2025-11-25, "Canonical Server URI", and RFC 3986 §6.2.2. */
static void
test_canonical_resource (void)
{
  /* The specification's valid examples are their own canonical form. */
  assert_canonical ("https://mcp.example.com/mcp", "https://mcp.example.com/mcp");
  assert_canonical ("https://mcp.example.com", "https://mcp.example.com");
  assert_canonical ("https://mcp.example.com:8443", "https://mcp.example.com:8443");
  assert_canonical ("https://mcp.example.com/server/mcp", "https://mcp.example.com/server/mcp");

  /* Lower case scheme and host; the path keeps its case. */
  assert_canonical ("HTTPS://MCP.Example.COM/MCP", "https://mcp.example.com/MCP");
  /* Default ports go, others stay. */
  assert_canonical ("https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp");
  assert_canonical ("http://localhost:80/mcp", "http://localhost/mcp");
  assert_canonical ("http://localhost:443/mcp", "http://localhost:443/mcp");
  assert_canonical ("https://mcp.example.com:80/mcp", "https://mcp.example.com:80/mcp");
  /* Trailing slashes go, including a lone one. */
  assert_canonical ("https://mcp.example.com/", "https://mcp.example.com");
  assert_canonical ("https://mcp.example.com/mcp/", "https://mcp.example.com/mcp");
  assert_canonical ("https://mcp.example.com/mcp//", "https://mcp.example.com/mcp");
  assert_canonical ("https://mcp.example.com:8443/", "https://mcp.example.com:8443");
  /* Dot segments and %-escapes of unreserved characters. */
  assert_canonical ("https://mcp.example.com/a/../mcp/./", "https://mcp.example.com/mcp");
  assert_canonical ("https://mcp.example.com/%7euser/%6dcp", "https://mcp.example.com/~user/mcp");
  assert_canonical ("https://mcp.example.com/a%2fb", "https://mcp.example.com/a%2Fb");
  /* A query stays; an empty one goes. */
  assert_canonical ("https://mcp.example.com/mcp?tenant=a", "https://mcp.example.com/mcp?tenant=a");
  assert_canonical ("https://mcp.example.com/?tenant=a", "https://mcp.example.com?tenant=a");
  assert_canonical ("https://mcp.example.com/mcp?", "https://mcp.example.com/mcp");
  /* Addresses. */
  assert_canonical ("http://127.0.0.1:3000/mcp", "http://127.0.0.1:3000/mcp");
  assert_canonical ("http://[0:0:0:0:0:0:0:1]:3000/mcp", "http://[::1]:3000/mcp");
  assert_canonical ("https://[2001:DB8::1]/", "https://[2001:db8::1]");
  assert_canonical ("https://xn--bcher-kva.example/mcp", "https://xn--bcher-kva.example/mcp");

  /* The specification's invalid examples. */
  assert_not_canonical ("mcp.example.com", "not an absolute URL");
  assert_not_canonical ("https://mcp.example.com#fragment", "fragment");
  assert_not_canonical ("https://mcp.example.com/mcp#", "fragment");

  assert_not_canonical ("", "not an absolute URL");
  assert_not_canonical ("/mcp", "not an absolute URL");
  assert_not_canonical ("ftp://mcp.example.com/", "not an http or https URL");
  assert_not_canonical ("javascript:alert(1)", "not an http or https URL");
  assert_not_canonical ("https:mcp.example.com/mcp", "no host");
  assert_not_canonical ("https:///mcp", "no host");
  assert_not_canonical ("https://user:pass@mcp.example.com/", "user information");
  assert_not_canonical ("https://@mcp.example.com/", "user information");
  assert_not_canonical ("https://mcp.example.com/a b", "must be %-encoded");
  assert_not_canonical ("https://mcp.example.com/a\tb", "must be %-encoded");
  assert_not_canonical ("https://mcp.example.com\\@evil.example/", "must be %-encoded");
  assert_not_canonical ("https://bücher.example/", "must be %-encoded");
  assert_not_canonical ("https://mcp.example.com/%zz", "not a valid URL");
  assert_not_canonical ("https://mcp.example.com:99999/", "not a valid URL");
  assert_not_canonical ("https://mcp.example.com:0/", "port 0");
  assert_not_canonical ("https://mcp.example.com./", "ends with a dot");
  assert_not_canonical ("https://mcp..example.com/", "empty label");
  assert_not_canonical ("https://mcp.ex%61mple.com/", "%-escape in its host");
  assert_not_canonical ("https://mcp.example.com:%34%34%33/", "%-escape in its host");
  assert_not_canonical ("https://mcp_x!.example.com/", "character host names cannot have");
  assert_not_canonical ("https://127.1/", "dotted-decimal");
  assert_not_canonical ("https://0x7f.1/", "dotted-decimal");
  assert_not_canonical ("https://010.0.0.1/", "dotted-decimal");
  assert_not_canonical ("https://256.0.0.1/", "dotted-decimal");
  assert_not_canonical ("https://[fe80::1%25eth0]/", "%-escape in its host");
  assert_not_canonical ("https://[v1.x]/", "not a valid URL");
  /* GLib 2.74's GUri takes this for an IPv6 address (found by
   * fuzz-oauth-urls). */
  assert_not_canonical ("HTTPS://[:]", "not an IPv6 address");
}

static void
test_canonical_resource_long (void)
{
  g_autoptr(GString) url = g_string_new ("https://mcp.example.com/");
  g_autoptr(GError) error = NULL;
  g_autofree char *canonical = NULL;

  while (url->len <= MC_OAUTH_URL_MAX_LENGTH)
    g_string_append_c (url, 'a');

  canonical = mc_oauth_canonical_resource (url->str, &error);
  g_assert_null (canonical);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
}

static void
test_same_resource (void)
{
  g_assert_true (mc_oauth_same_resource ("https://mcp.example.com/mcp", "HTTPS://MCP.EXAMPLE.COM:443/mcp/"));
  g_assert_true (mc_oauth_same_resource ("https://mcp.example.com", "https://mcp.example.com/"));
  g_assert_false (mc_oauth_same_resource ("https://mcp.example.com/mcp", "https://mcp.example.com/MCP"));
  g_assert_false (mc_oauth_same_resource ("https://mcp.example.com/mcp", "http://mcp.example.com/mcp"));
  g_assert_false (mc_oauth_same_resource ("https://mcp.example.com/mcp", "https://mcp.example.com/mcp/x"));
  g_assert_false (mc_oauth_same_resource ("not a url", "not a url"));
}

static void
assert_origin (const char *url,
               const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *origin = mc_oauth_origin (url, &error);
  g_autofree char *canonical = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (origin, ==, expected);
  /* An origin is a canonical resource, and its own origin. */
  canonical = mc_oauth_canonical_resource (origin, NULL);
  g_assert_cmpstr (canonical, ==, origin);
  g_assert_true (mc_oauth_same_origin (url, origin));
}

/* MCP 2025-03-26's "authorization base URL": the server's URL without its
 * path. */
static void
test_origin (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *origin = NULL;

  assert_origin ("https://mcp.example.com/public/mcp", "https://mcp.example.com");
  assert_origin ("https://mcp.example.com", "https://mcp.example.com");
  assert_origin ("HTTPS://MCP.Example.COM:443/MCP/", "https://mcp.example.com");
  assert_origin ("https://mcp.example.com:8443/mcp?tenant=a#x", "https://mcp.example.com:8443");
  assert_origin ("http://localhost:80/mcp", "http://localhost");
  assert_origin ("http://127.0.0.1:3000/oauth/", "http://127.0.0.1:3000");
  assert_origin ("http://[0:0:0:0:0:0:0:1]:3000/mcp", "http://[::1]:3000");

  origin = mc_oauth_origin ("https://user@mcp.example.com/mcp", &error);
  g_assert_null (origin);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, "The URL "));
  g_clear_error (&error);
  origin = mc_oauth_origin ("ftp://mcp.example.com/mcp", &error);
  g_assert_null (origin);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
}

static void
test_same_origin (void)
{
  g_assert_true (mc_oauth_same_origin ("https://mcp.example.com/mcp", "https://MCP.example.com:443/oauth"));
  g_assert_true (mc_oauth_same_origin ("http://127.0.0.1:3000", "http://127.0.0.1:3000/"));
  g_assert_true (mc_oauth_same_origin ("http://[::1]:3000/a", "http://[0::1]:3000/b"));
  g_assert_false (mc_oauth_same_origin ("https://mcp.example.com/mcp", "http://mcp.example.com/mcp"));
  g_assert_false (mc_oauth_same_origin ("https://mcp.example.com/mcp", "https://mcp.example.com:8443/mcp"));
  g_assert_false (mc_oauth_same_origin ("https://mcp.example.com", "https://auth.mcp.example.com"));
  g_assert_false (mc_oauth_same_origin ("http://127.0.0.1:3000", "http://localhost:3000"));
  g_assert_false (mc_oauth_same_origin ("not a url", "not a url"));
}

static void
assert_urls (GPtrArray         *urls,
             const char * const expected[])
{
  g_assert_nonnull (urls);
  for (guint i = 0; i < urls->len; i++)
    g_assert_cmpstr (g_ptr_array_index (urls, i), ==, expected[i]);
  g_assert_cmpstr (expected[urls->len], ==, NULL);
}

/* MCP 2025-11-25, "Protected Resource Metadata Discovery Requirements". */
static void
test_prm_urls (void)
{
  g_autoptr(GPtrArray) with_path = mc_oauth_prm_urls ("https://example.com/public/mcp");
  g_autoptr(GPtrArray) root = mc_oauth_prm_urls ("https://example.com");
  g_autoptr(GPtrArray) root_slash = mc_oauth_prm_urls ("https://example.com/");
  g_autoptr(GPtrArray) trailing = mc_oauth_prm_urls ("https://Example.com:443/public/mcp/");
  g_autoptr(GPtrArray) port = mc_oauth_prm_urls ("http://localhost:3000/mcp");
  g_autoptr(GPtrArray) query = mc_oauth_prm_urls ("https://example.com/mcp?tenant=a");
  g_autoptr(GPtrArray) query_only = mc_oauth_prm_urls ("https://example.com/?tenant=a");
  g_autoptr(GPtrArray) invalid = mc_oauth_prm_urls ("https://example.com/#x");

  assert_urls (with_path, (const char * const[]) {
    "https://example.com/.well-known/oauth-protected-resource/public/mcp",
    "https://example.com/.well-known/oauth-protected-resource",
    NULL });
  assert_urls (root, (const char * const[]) {
    "https://example.com/.well-known/oauth-protected-resource",
    NULL });
  assert_urls (root_slash, (const char * const[]) {
    "https://example.com/.well-known/oauth-protected-resource",
    NULL });
  assert_urls (trailing, (const char * const[]) {
    "https://example.com/.well-known/oauth-protected-resource/public/mcp",
    "https://example.com/.well-known/oauth-protected-resource",
    NULL });
  assert_urls (port, (const char * const[]) {
    "http://localhost:3000/.well-known/oauth-protected-resource/mcp",
    "http://localhost:3000/.well-known/oauth-protected-resource",
    NULL });
  /* RFC 9728 §3.1 inserts the well-known path before path and query. */
  assert_urls (query, (const char * const[]) {
    "https://example.com/.well-known/oauth-protected-resource/mcp?tenant=a",
    "https://example.com/.well-known/oauth-protected-resource",
    NULL });
  assert_urls (query_only, (const char * const[]) {
    "https://example.com/.well-known/oauth-protected-resource?tenant=a",
    "https://example.com/.well-known/oauth-protected-resource",
    NULL });
  g_assert_null (invalid);
}

/* MCP 2025-11-25, "Authorization Server Metadata Discovery". */
static void
test_as_metadata_urls (void)
{
  g_autoptr(GPtrArray) with_path = mc_oauth_as_metadata_urls ("https://auth.example.com/tenant1");
  g_autoptr(GPtrArray) root = mc_oauth_as_metadata_urls ("https://auth.example.com");
  g_autoptr(GPtrArray) root_slash = mc_oauth_as_metadata_urls ("http://localhost:3001/");
  g_autoptr(GPtrArray) trailing = mc_oauth_as_metadata_urls ("https://kc.example.com/realms/mcp/");
  g_autoptr(GPtrArray) query = mc_oauth_as_metadata_urls ("https://auth.example.com/?tenant=a");
  g_autoptr(GPtrArray) fragment = mc_oauth_as_metadata_urls ("https://auth.example.com/#a");
  g_autoptr(GPtrArray) userinfo = mc_oauth_as_metadata_urls ("https://a@auth.example.com/");

  assert_urls (with_path, (const char * const[]) {
    "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
    "https://auth.example.com/.well-known/openid-configuration/tenant1",
    "https://auth.example.com/tenant1/.well-known/openid-configuration",
    NULL });
  assert_urls (root, (const char * const[]) {
    "https://auth.example.com/.well-known/oauth-authorization-server",
    "https://auth.example.com/.well-known/openid-configuration",
    NULL });
  assert_urls (root_slash, (const char * const[]) {
    "http://localhost:3001/.well-known/oauth-authorization-server",
    "http://localhost:3001/.well-known/openid-configuration",
    NULL });
  /* RFC 8414 §3.1: "any terminating / MUST be removed". */
  assert_urls (trailing, (const char * const[]) {
    "https://kc.example.com/.well-known/oauth-authorization-server/realms/mcp",
    "https://kc.example.com/.well-known/openid-configuration/realms/mcp",
    "https://kc.example.com/realms/mcp/.well-known/openid-configuration",
    NULL });
  /* RFC 8414 §2: an issuer has no query or fragment. */
  g_assert_null (query);
  g_assert_null (fragment);
  g_assert_null (userinfo);
}

static void
assert_acceptable (const char *url)
{
  g_autoptr(GError) error = NULL;

  if (!mc_oauth_url_is_acceptable (url, &error))
    g_error ("“%s” refused: %s", url, error->message);
}

static void
assert_not_acceptable (const char *url,
                       const char *message_part)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (mc_oauth_url_is_acceptable (url, &error));
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, "The URL "));
  if (strstr (error->message, message_part) == NULL)
    g_error ("“%s”: expected “%s” in “%s”", url, message_part, error->message);
}

static void
test_url_is_acceptable (void)
{
  assert_acceptable ("https://auth.example.com/token");
  assert_acceptable ("https://auth.example.com:8443/authorize?audience=x");
  assert_acceptable ("HTTPS://AUTH.EXAMPLE.COM/");
  assert_acceptable ("https://mcp.example.com/.well-known/oauth-protected-resource#x");
  assert_acceptable ("http://localhost:3000/mcp");
  assert_acceptable ("http://LOCALHOST/");
  assert_acceptable ("http://mcp.localhost:8080/");
  assert_acceptable ("http://127.0.0.1:3000/");
  assert_acceptable ("http://127.255.0.9/");
  assert_acceptable ("http://[::1]:3000/");

  assert_not_acceptable ("http://auth.example.com/token", "plain http");
  assert_not_acceptable ("http://10.0.0.1/", "plain http");
  assert_not_acceptable ("http://128.0.0.1/", "plain http");
  assert_not_acceptable ("http://localhost.example.com/", "plain http");
  assert_not_acceptable ("http://[::ffff:127.0.0.1]/", "plain http");
  assert_not_acceptable ("http://127.1/", "dotted-decimal");
  assert_not_acceptable ("http://localhost./", "ends with a dot");
  assert_not_acceptable ("https://user@auth.example.com/", "user information");
  assert_not_acceptable ("http://localhost@evil.example/", "user information");
  assert_not_acceptable ("auth.example.com/token", "not an absolute URL");
  assert_not_acceptable ("file:///etc/passwd", "not an http or https URL");
  assert_not_acceptable ("https://auth.example.com/a\nb", "must be %-encoded");
}

static void
test_host_is_loopback (void)
{
  const char *loopback[] = {
    "localhost", "LocalHost", "a.localhost", "mcp.dev.localhost", "127.0.0.1", "127.0.0.53",
    "127.255.255.255", "::1", "[::1]", "0:0:0:0:0:0:0:1", "[0::1]",
  };
  const char *not_loopback[] = {
    "", "localhost.", ".localhost", "a..localhost", "a b.localhost", "localhost.example.com",
    "mylocalhost", "127.1", "127.0.0.01", "0x7f000001", "2130706433", "128.0.0.1", "0.0.0.0",
    "::", "::2", "::ffff:127.0.0.1", "::1%lo", "[::1", "[127.0.0.1]", "[localhost]",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (loopback); i++)
    if (!mc_oauth_host_is_loopback (loopback[i]))
      g_error ("“%s” should be loopback", loopback[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (not_loopback); i++)
    if (mc_oauth_host_is_loopback (not_loopback[i]))
      g_error ("“%s” should not be loopback", not_loopback[i]);
}

static void
assert_strv (GStrv              strv,
             const char * const expected[])
{
  g_assert_nonnull (strv);
  g_assert_true (g_strv_equal ((const char * const *) strv, expected));
}

static void
test_scope_token (void)
{
  g_assert_true (mc_oauth_is_valid_scope_token ("files:read"));
  g_assert_true (mc_oauth_is_valid_scope_token ("https://www.googleapis.com/auth/drive.readonly"));
  g_assert_true (mc_oauth_is_valid_scope_token ("repo,gist"));
  g_assert_true (mc_oauth_is_valid_scope_token ("!#[]~"));
  g_assert_false (mc_oauth_is_valid_scope_token (NULL));
  g_assert_false (mc_oauth_is_valid_scope_token (""));
  g_assert_false (mc_oauth_is_valid_scope_token ("a b"));
  g_assert_false (mc_oauth_is_valid_scope_token ("a\"b"));
  g_assert_false (mc_oauth_is_valid_scope_token ("a\\b"));
  g_assert_false (mc_oauth_is_valid_scope_token ("a\tb"));
  g_assert_false (mc_oauth_is_valid_scope_token ("caf\xc3\xa9"));
  g_assert_false (mc_oauth_is_valid_scope_token ("a\x7f"));
}

static void
test_scope_split (void)
{
  g_auto(GStrv) simple = mc_oauth_scope_split ("openid profile", NULL);
  g_auto(GStrv) runs = mc_oauth_scope_split ("  a   b  a c b ", NULL);
  g_auto(GStrv) empty = mc_oauth_scope_split ("", NULL);
  g_auto(GStrv) blank = mc_oauth_scope_split ("   ", NULL);
  g_auto(GStrv) null = mc_oauth_scope_split (NULL, NULL);
  g_auto(GStrv) invalid = NULL;
  g_auto(GStrv) tab = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) tab_error = NULL;

  assert_strv (simple, (const char * const[]) { "openid", "profile", NULL });
  assert_strv (runs, (const char * const[]) { "a", "b", "c", NULL });
  assert_strv (empty, (const char * const[]) { NULL });
  assert_strv (blank, (const char * const[]) { NULL });
  assert_strv (null, (const char * const[]) { NULL });

  invalid = mc_oauth_scope_split ("read \"write\"", &error);
  g_assert_null (invalid);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "byte 5"));

  /* Only the space separates (RFC 6749 §3.3). */
  tab = mc_oauth_scope_split ("read\twrite", &tab_error);
  g_assert_null (tab);
  g_assert_error (tab_error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
}

static void
test_scope_sets (void)
{
  const char * const a[] = { "mcp:read", "mcp:write", "openid", NULL };
  const char * const b[] = { "mcp:write", "mcp:admin", "mcp:admin", NULL };
  const char * const none[] = { NULL };
  g_autofree char *joined = mc_oauth_scope_join (a);
  g_autofree char *joined_none = mc_oauth_scope_join (none);
  g_autofree char *joined_null = mc_oauth_scope_join (NULL);
  g_auto(GStrv) a_or_b = mc_oauth_scopes_union (a, b);
  g_auto(GStrv) b_or_a = mc_oauth_scopes_union (b, a);
  g_auto(GStrv) b_or_null = mc_oauth_scopes_union (b, NULL);
  g_auto(GStrv) a_minus_b = mc_oauth_scopes_minus (a, b);
  g_auto(GStrv) b_minus_a = mc_oauth_scopes_minus (b, a);
  g_auto(GStrv) a_minus_null = mc_oauth_scopes_minus (a, NULL);
  g_auto(GStrv) null_minus_a = mc_oauth_scopes_minus (NULL, a);
  g_auto(GStrv) round_trip = mc_oauth_scope_split (joined, NULL);

  g_assert_cmpstr (joined, ==, "mcp:read mcp:write openid");
  g_assert_cmpstr (joined_none, ==, "");
  g_assert_cmpstr (joined_null, ==, "");
  assert_strv (round_trip, a);

  assert_strv (a_or_b, (const char * const[]) { "mcp:read", "mcp:write", "openid", "mcp:admin", NULL });
  assert_strv (b_or_a, (const char * const[]) { "mcp:write", "mcp:admin", "mcp:read", "openid", NULL });
  assert_strv (b_or_null, (const char * const[]) { "mcp:write", "mcp:admin", NULL });
  assert_strv (a_minus_b, (const char * const[]) { "mcp:read", "openid", NULL });
  assert_strv (b_minus_a, (const char * const[]) { "mcp:admin", NULL });
  assert_strv (a_minus_null, a);
  assert_strv (null_minus_a, none);

  g_assert_true (mc_oauth_scopes_subset (none, a));
  g_assert_true (mc_oauth_scopes_subset (NULL, NULL));
  g_assert_true (mc_oauth_scopes_subset (a, a));
  g_assert_true (mc_oauth_scopes_subset ((const char * const *) a_minus_b, a));
  g_assert_true (mc_oauth_scopes_subset (a, (const char * const *) a_or_b));
  g_assert_true (mc_oauth_scopes_subset (b, (const char * const *) a_or_b));
  g_assert_false (mc_oauth_scopes_subset (b, a));
  g_assert_false (mc_oauth_scopes_subset (a, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/oauth-urls/canonical-resource", test_canonical_resource);
  g_test_add_func ("/oauth-urls/canonical-resource-long", test_canonical_resource_long);
  g_test_add_func ("/oauth-urls/same-resource", test_same_resource);
  g_test_add_func ("/oauth-urls/origin", test_origin);
  g_test_add_func ("/oauth-urls/same-origin", test_same_origin);
  g_test_add_func ("/oauth-urls/prm-urls", test_prm_urls);
  g_test_add_func ("/oauth-urls/as-metadata-urls", test_as_metadata_urls);
  g_test_add_func ("/oauth-urls/url-is-acceptable", test_url_is_acceptable);
  g_test_add_func ("/oauth-urls/host-is-loopback", test_host_is_loopback);
  g_test_add_func ("/oauth-urls/scope-token", test_scope_token);
  g_test_add_func ("/oauth-urls/scope-split", test_scope_split);
  g_test_add_func ("/oauth-urls/scope-sets", test_scope_sets);

  return g_test_run ();
}
