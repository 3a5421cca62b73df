/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* How long a URL verdict takes, next to the least any client must do with
 * the same URL anyway (parse it, find its registrable domain).  Both run
 * over the same corpus, in alternating rounds, in one process, so the
 * ratio holds even when the machine is busy; the absolute numbers do not.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libsoup/soup.h>

#include "mc-url-verdict.h"

typedef struct
{
  const char *url;
  const char *server_url;
} Sample;

/* What an MCP client meets: authorization redirects with long queries,
 * loopback callbacks, sign-in and payment pages, IDN, and the occasional
 * hostile or broken URL.
 */
static const Sample corpus[] = {
  { "https://accounts.example.com/o/oauth2/v2/auth?response_type=code&client_id=1234567890-abcdefghijklmnop.apps.example.com"
    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A53682%2Fcallback&scope=openid%20email%20profile%20https%3A%2F%2Fwww.example.com%2Fauth%2Fdrive.readonly"
    "&state=5f2c1a9e0b7d4c3a8e6f&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    "&resource=https%3A%2F%2Fmcp.example.com%2Fmcp", "https://mcp.example.com/mcp" },
  { "https://github.com/login/oauth/authorize?client_id=Iv1.0123456789abcdef&redirect_uri=http%3A%2F%2Flocalhost%3A33418%2Fcallback&state=abc123",
    "https://api.githubcopilot.com/mcp/" },
  { "http://localhost:33418/callback?code=4%2F0AfJohXk&state=abc123", "http://localhost:33418/mcp" },
  { "http://127.0.0.1:53682/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz", NULL },
  { "https://mcp.example.com/elicit/confirm?id=8f14e45f-ceea-467f-a0e6-2b2b9e6a1c3b", "https://mcp.example.com/mcp" },
  { "https://checkout.stripe.com/c/pay/cs_test_a1B2c3D4e5F6g7H8i9J0#fidkdWxOYHwnPyd1blpxYHZxWjA0", "https://mcp.shop.example/mcp" },
  { "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=00000000-0000-0000-0000-000000000000&response_type=code"
    "&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2F&scope=offline_access%20User.Read", "https://graph.example.com/mcp" },
  { "https://www.example.co.uk/account/api-keys/new", "https://mcp.example.co.uk/mcp" },
  { "https://console.cloud.example.com:8443/settings?tab=keys", NULL },
  { "https://b\u00FCcher.de/konto/anmelden", NULL },
  { "https://www.\u043F\u0440\u0438\u043C\u0435\u0440.\u0440\u0444/\u0432\u0445\u043E\u0434", NULL },
  { "https://xn--80ak6aa92e.com/login", NULL },
  { "https://p\u0430ypal.com/signin", "https://mcp.paypal.com/mcp" },
  { "https://\u65E5\u672C\u8A9E.jp/\u30ED\u30B0\u30A4\u30F3", NULL },
  { "https://0x7f.1/admin", NULL },
  { "https://[2001:db8::1]:8443/", NULL },
  { "https://user:pw@evil.example/", NULL },
  { "http://example.com/login", NULL },
  { "javascript:alert(document.cookie)", NULL },
  { "https://docs.example.io/guides/getting-started#install", "https://mcp.example.io/mcp" },
};

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The minimum: g_uri_parse() and the Public Suffix List. */
static guint
run_baseline (guint iterations)
{
  guint found = 0;

  for (guint i = 0; i < iterations; i++)
    {
      for (gsize j = 0; j < G_N_ELEMENTS (corpus); j++)
        {
          g_autoptr(GUri) uri = g_uri_parse (corpus[j].url, G_URI_FLAGS_NONE, NULL);

          if (uri != NULL && g_uri_get_host (uri) != NULL &&
              soup_tld_get_base_domain (g_uri_get_host (uri), NULL) != NULL)
            found++;
        }
    }

  return found;
}

static guint
run_verdicts (guint iterations)
{
  guint found = 0;

  for (guint i = 0; i < iterations; i++)
    {
      for (gsize j = 0; j < G_N_ELEMENTS (corpus); j++)
        {
          g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (corpus[j].url, corpus[j].server_url);

          if (mc_url_verdict_get_registrable_domain (verdict) != NULL)
            found++;
        }
    }

  return found;
}

static double
time_per_url (guint (*run) (guint),
              guint  iterations)
{
  gint64 start = g_get_monotonic_time ();
  volatile guint sink = run (iterations);

  (void) sink;
  return (double) (g_get_monotonic_time () - start) / (iterations * G_N_ELEMENTS (corpus));
}

/* The slowest URL allowed through: MC_URL_MAX_LENGTH bytes, all of which
 * must be scanned.
 */
static double
time_longest (guint iterations)
{
  g_autoptr(GString) url = g_string_new ("https://example.com/search?q=");
  gint64 start;

  while (url->len < MC_URL_MAX_LENGTH)
    g_string_append_c (url, url->len % 7 == 0 ? '+' : 'a');

  start = g_get_monotonic_time ();
  for (guint i = 0; i < iterations; i++)
    {
      g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url->str, NULL);

      g_assert (mc_url_verdict_get_risk (verdict) == MC_URL_RISK_CAUTION);
    }
  return (double) (g_get_monotonic_time () - start) / iterations;
}

int
main (int   argc,
      char *argv[])
{
  int rounds = 15;
  int iterations = 2000;
  const GOptionEntry entries[] = {
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Alternating rounds to take the median of", "N" },
    { "iterations", 'n', 0, G_OPTION_ARG_INT, &iterations, "Passes over the corpus per round", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- time URL verdicts");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) baseline = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) verdicts = g_array_new (FALSE, FALSE, sizeof (double));
  double baseline_us, verdict_us;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (rounds < 1 || iterations < 1)
    {
      g_printerr ("--rounds and --iterations must be positive\n");
      return 2;
    }

  /* Warm up: the suffix list, GLib's Unicode tables, the allocator. */
  run_baseline (100);
  run_verdicts (100);

  for (int r = 0; r < rounds; r++)
    {
      double b = time_per_url (run_baseline, iterations);
      double v = time_per_url (run_verdicts, iterations);

      g_array_append_val (baseline, b);
      g_array_append_val (verdicts, v);
    }

  g_array_sort (baseline, compare_doubles);
  g_array_sort (verdicts, compare_doubles);
  baseline_us = g_array_index (baseline, double, baseline->len / 2);
  verdict_us = g_array_index (verdicts, double, verdicts->len / 2);

  printf ("corpus: %" G_GSIZE_FORMAT " URLs, %d rounds × %d passes (median round)\n",
          G_N_ELEMENTS (corpus), rounds, iterations);
  printf ("baseline (g_uri_parse + soup_tld_get_base_domain): %.3f µs/URL\n", baseline_us);
  printf ("verdict  (mc_url_verdict_new + unref):              %.3f µs/URL\n", verdict_us);
  printf ("ratio verdict/baseline:                             %.2f\n", verdict_us / baseline_us);
  printf ("fastest/slowest verdict round:                      %.3f / %.3f µs/URL\n",
          g_array_index (verdicts, double, 0), g_array_index (verdicts, double, verdicts->len - 1));
  printf ("longest allowed URL (%d bytes):                  %.3f µs/verdict\n",
          MC_URL_MAX_LENGTH, time_longest (MAX (1, iterations / 20)));

  return 0;
}
