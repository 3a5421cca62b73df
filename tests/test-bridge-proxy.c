/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* Which proxy mcp-consent-bridge's requests take, from the environment a
 * user's MCP client starts it with (docs/bridge.md, "Proxies"). */

#include "config.h"

#include "mc-bridge-proxy.h"

/* The proxy the resolver made from @envp gives for @uri, or "direct://"
 * when it made none. */
static char *
proxy_for (const char * const *envp,
           const char         *uri)
{
  g_autoptr(GProxyResolver) resolver = mc_bridge_proxy_resolver_new (envp);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) proxies = NULL;

  if (resolver == NULL)
    return g_strdup ("direct://");
  proxies = g_proxy_resolver_lookup (resolver, uri, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (proxies), ==, 1);
  return g_strdup (proxies[0]);
}

static void
assert_proxy (const char * const *envp,
              const char         *uri,
              const char         *expected)
{
  g_autofree char *proxy = proxy_for (envp, uri);

  g_assert_cmpstr (proxy, ==, expected);
}

static void
test_proxy_none (void)
{
  const char * const envp[] = { "PATH=/usr/bin", "HOME=/home/me", NULL };
  const char * const empty[] = { "http_proxy=", "https_proxy=", NULL };

  /* No proxy named: no resolver at all, so that GIO loads no proxy
   * module. */
  g_assert_null (mc_bridge_proxy_resolver_new (envp));
  g_assert_null (mc_bridge_proxy_resolver_new (empty));
}

static void
test_proxy_variables (void)
{
  const char * const http_only[] = { "http_proxy=http://proxy.example:3128", NULL };
  const char * const both[] = { "http_proxy=http://proxy.example:3128", "https_proxy=http://tls-proxy.example:8080", NULL };
  const char * const upper[] = { "HTTPS_PROXY=http://upper.example:1", NULL };
  const char * const lower_wins[] = { "https_proxy=http://lower.example:1", "HTTPS_PROXY=http://upper.example:1", NULL };
  const char * const bare[] = { "https_proxy=proxy.example:3128", NULL };
  const char * const socks[] = { "all_proxy=socks5://ignored.example:1", "https_proxy=socks5://socks.example:1080", NULL };

  /* https falls back to the http proxy, as undici's EnvHttpProxyAgent
   * (mcp-remote --enable-proxy) does. */
  assert_proxy (http_only, "http://mcp.example.com/mcp", "http://proxy.example:3128");
  assert_proxy (http_only, "https://mcp.example.com/mcp", "http://proxy.example:3128");
  assert_proxy (both, "http://mcp.example.com/mcp", "http://proxy.example:3128");
  assert_proxy (both, "https://mcp.example.com/mcp", "http://tls-proxy.example:8080");
  assert_proxy (upper, "https://mcp.example.com/mcp", "http://upper.example:1");
  assert_proxy (upper, "http://mcp.example.com/mcp", "direct://");
  assert_proxy (lower_wins, "https://mcp.example.com/mcp", "http://lower.example:1");
  /* Without a scheme, as curl takes it: http. */
  assert_proxy (bare, "https://mcp.example.com/mcp", "http://proxy.example:3128");
  assert_proxy (socks, "https://mcp.example.com/mcp", "socks5://socks.example:1080");
}

static void
test_proxy_no_proxy (void)
{
  const char * const envp[] = {
    "https_proxy=http://proxy.example:3128",
    "no_proxy=internal.example, .corp.example *.lab.example,10.0.0.0/8,,local.example:8443",
    NULL,
  };
  const char * const all[] = { "https_proxy=http://proxy.example:3128", "NO_PROXY=localhost,*", NULL };

  assert_proxy (envp, "https://mcp.example.com/mcp", "http://proxy.example:3128");
  /* A domain covers its subdomains, with or without a leading dot or
   * star. */
  assert_proxy (envp, "https://internal.example/mcp", "direct://");
  assert_proxy (envp, "https://mcp.internal.example/mcp", "direct://");
  assert_proxy (envp, "https://corp.example/mcp", "direct://");
  assert_proxy (envp, "https://a.b.corp.example/mcp", "direct://");
  assert_proxy (envp, "https://x.lab.example/mcp", "direct://");
  assert_proxy (envp, "https://notinternal.example/mcp", "http://proxy.example:3128");
  assert_proxy (envp, "https://10.1.2.3/mcp", "direct://");
  assert_proxy (envp, "https://11.1.2.3/mcp", "http://proxy.example:3128");
  /* With a port, only that port. */
  assert_proxy (envp, "https://local.example:8443/mcp", "direct://");
  assert_proxy (envp, "https://local.example/mcp", "http://proxy.example:3128");
  /* "*": no proxy for anything. */
  g_assert_null (mc_bridge_proxy_resolver_new (all));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/bridge-proxy/none", test_proxy_none);
  g_test_add_func ("/bridge-proxy/variables", test_proxy_variables);
  g_test_add_func ("/bridge-proxy/no-proxy", test_proxy_no_proxy);

  return g_test_run ();
}
