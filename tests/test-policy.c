/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The policy file parser and what each rule decides (docs/policy.md). */

#include "config.h"

#include <string.h>

#include "mc-policy.h"

static McPolicy *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  McPolicy *policy = mc_policy_parse ("/etc/p.ini", text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (policy);
  return policy;
}

static void
assert_parse_error (const char *text,
                    const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McPolicy) policy = mc_policy_parse ("/etc/p.ini", text, strlen (text), &error);

  g_assert_null (policy);
  g_assert_error (error, MC_POLICY_ERROR, MC_POLICY_ERROR_MALFORMED);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_empty (void)
{
  g_autoptr(McPolicy) empty = parse_ok ("");
  g_autoptr(McPolicy) comments = parse_ok ("# nothing\n; nothing either\n\n[policy]\n   \n");
  g_autoptr(McPolicy) defaults = mc_policy_new_default ();

  for (McPolicy **p = (McPolicy *[]) { empty, comments, defaults, NULL }; *p != NULL; p++)
    {
      g_assert_false (mc_policy_blocks_url (*p, "https://example.com/"));
      g_assert_false (mc_policy_blocks_url (*p, "https://127.0.0.1/"));
      g_assert_true (mc_policy_get_always_allow (*p));
      g_assert_false (mc_policy_get_verified_callers_only (*p));
      g_assert_cmpint (mc_policy_get_max_grant_lifetime (*p), ==, 0);
      g_assert_false (mc_policy_forbids_scope (*p, "admin"));
    }
}

static void
test_blocked_domains (void)
{
  g_autoptr(McPolicy) policy = parse_ok ("[policy]\n"
                                         "blocked-domains = evil.com, EXAMPLE.co.uk\n"
                                         "blocked-domains = bücher.de\n");
  g_autoptr(McUrlVerdict) verdict = mc_policy_judge_url (policy, "https://login.evil.com/x", NULL);

  g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, MC_URL_RISK_BLOCKED);
  g_assert_true (mc_url_verdict_has_flag (verdict, "policy"));
  g_assert_cmpstr (mc_url_verdict_get_reason (verdict), ==, mc_url_flag_describe ("policy"));

  /* subdomains, case, trailing dots, IDN written either way */
  g_assert_true (mc_policy_blocks_url (policy, "https://evil.com/"));
  g_assert_true (mc_policy_blocks_url (policy, "https://a.b.evil.com./"));
  g_assert_true (mc_policy_blocks_url (policy, "https://WWW.Example.CO.UK/"));
  g_assert_true (mc_policy_blocks_url (policy, "https://xn--bcher-kva.de/"));
  g_assert_true (mc_policy_blocks_url (policy, "https://shop.bücher.de/"));
  /* not a suffix match on text */
  g_assert_false (mc_policy_blocks_url (policy, "https://notevil.com/"));
  g_assert_false (mc_policy_blocks_url (policy, "https://evil.com.example.org/"));
  g_assert_false (mc_policy_blocks_url (policy, "https://example.com/"));
  /* without a host there is nothing for the policy to judge */
  g_assert_false (mc_policy_blocks_url (policy, "evil.com"));
  /* the rule that decided, as the audit log names it */
  g_assert_cmpstr (mc_policy_get_url_rule (policy, "https://a.b.evil.com./"), ==, "blocked-domains");
  g_assert_null (mc_policy_get_url_rule (policy, "https://notevil.com/"));
  g_assert_null (mc_policy_get_url_rule (policy, "evil.com"));
}

static void
test_allow_list (void)
{
  g_autoptr(McPolicy) policy = parse_ok ("[policy]\nallowed-domains = example.com\n");
  g_autoptr(McPolicy) nothing = parse_ok ("[policy]\nallowed-domains =\n");

  g_assert_false (mc_policy_blocks_url (policy, "https://example.com/"));
  g_assert_false (mc_policy_blocks_url (policy, "https://docs.example.com/"));
  g_assert_true (mc_policy_blocks_url (policy, "https://example.org/"));
  g_assert_true (mc_policy_blocks_url (policy, "https://93.184.216.34/"));
  g_assert_true (mc_policy_blocks_url (policy, "http://localhost:8080/"));

  g_assert_true (mc_policy_blocks_url (nothing, "https://example.com/"));
  g_assert_cmpstr (mc_policy_get_url_rule (policy, "https://example.org/"), ==, "allowed-domains");
  g_assert_null (mc_policy_get_url_rule (policy, "https://docs.example.com/"));
}

static void
test_single_values (void)
{
  g_autoptr(McPolicy) policy = parse_ok ("[policy]\n"
                                         "always-allow = false\n"
                                         "only-verified-callers = true\n"
                                         "max-grant-lifetime = 12h\n"
                                         "never-grant-scopes = admin  files:write\n");
  struct { const char *text; gint64 seconds; } lifetimes[] = {
    { "1s", 1 }, { "90m", 5400 }, { "2d", 172800 }, { "1w", 604800 }, { "3650d", 3650 * 86400 },
  };

  g_assert_false (mc_policy_get_always_allow (policy));
  g_assert_true (mc_policy_get_verified_callers_only (policy));
  g_assert_cmpint (mc_policy_get_max_grant_lifetime (policy), ==, 12 * 3600);
  g_assert_true (mc_policy_forbids_scope (policy, "admin"));
  g_assert_true (mc_policy_forbids_scope (policy, "files:write"));
  g_assert_false (mc_policy_forbids_scope (policy, "files:read"));

  for (guint i = 0; i < G_N_ELEMENTS (lifetimes); i++)
    {
      g_autofree char *text = g_strdup_printf ("[policy]\nmax-grant-lifetime = %s\n", lifetimes[i].text);
      g_autoptr(McPolicy) parsed = parse_ok (text);

      g_assert_cmpint (mc_policy_get_max_grant_lifetime (parsed), ==, lifetimes[i].seconds);
    }
}

static void
test_filter_scopes (void)
{
  g_autoptr(McPolicy) policy = parse_ok ("[policy]\nnever-grant-scopes = admin\n");
  const char * const asked[] = { "read", "admin", "write", NULL };
  g_auto(GStrv) removed = NULL;
  g_auto(GStrv) kept = mc_policy_filter_scopes (policy, asked, &removed);
  const char * const expected_kept[] = { "read", "write", NULL };
  const char * const expected_removed[] = { "admin", NULL };

  g_assert_true (g_strv_equal ((const char * const *) kept, expected_kept));
  g_assert_true (g_strv_equal ((const char * const *) removed, expected_removed));
}

static void
test_errors (void)
{
  const struct { const char *text; const char *message; } cases[] = {
    { "blocked-domains = evil.com\n", "/etc/p.ini:1: “blocked-domains” comes before the [policy] section" },
    { "[policy]\n[other]\n", "/etc/p.ini:2: unknown section [other]; the only section is [policy]" },
    { "[policy]\n\njust words\n", "/etc/p.ini:3: expected “setting = value”" },
    { "[policy]\nblocked-domain = evil.com\n", "/etc/p.ini:2: unknown setting “blocked-domain”" },
    { "[policy]\nblocked-domains = www.evil.com\n",
      "/etc/p.ini:2: “www.evil.com” is not a registrable domain; write “evil.com”, which covers it" },
    { "[policy]\nallowed-domains = co.uk\n",
      "/etc/p.ini:2: “co.uk” is a public suffix shared by many sites, not a registrable domain" },
    { "[policy]\nblocked-domains = 10.0.0.1\n", "/etc/p.ini:2: “10.0.0.1” is an IP address, not a domain" },
    { "[policy]\nblocked-domains = evil_site.com\n", "/etc/p.ini:2: “evil_site.com” is not a valid domain name" },
    { "[policy]\nblocked-domains = a..com\n", "/etc/p.ini:2: “a..com” is not a valid domain name" },
    { "[policy]\nalways-allow = no\n", "/etc/p.ini:2: “no” is not true or false" },
    { "[policy]\nonly-verified-callers = 1\n", "/etc/p.ini:2: “1” is not true or false" },
    { "[policy]\nalways-allow = false\n# again\nalways-allow = false\n",
      "/etc/p.ini:4: “always-allow” is set twice (first on line 2)" },
    { "[policy]\nmax-grant-lifetime = 30\n",
      "/etc/p.ini:2: “30” is not a duration such as 12h or 30d (units: s, m, h, d, w)" },
    { "[policy]\nmax-grant-lifetime = 0d\n", "/etc/p.ini:2: “0d” is not a duration between 1s and 3650d" },
    { "[policy]\nmax-grant-lifetime = 3651d\n", "/etc/p.ini:2: “3651d” is not a duration between 1s and 3650d" },
    { "[policy]\nmax-grant-lifetime = -1h\n", "/etc/p.ini:2: “-1h” is not a duration between 1s and 3650d" },
    { "[policy]\nnever-grant-scopes = a\"b\n", "/etc/p.ini:2: “a\"b” is not an OAuth scope" },
    { "[policy]\nalways-allow = \xff\n", "/etc/p.ini:2: the line is not UTF-8 text" },
    /* a bidi override in a value is not printed as such */
    { "[policy]\nalways-allow = \u202Etrue\n", "/etc/p.ini:2: “true” is not true or false" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_parse_error (cases[i].text, cases[i].message);
}

static void
test_binary_and_size (void)
{
  const char with_nul[] = "[policy]\nalways-allow = false\0\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(McPolicy) policy = mc_policy_parse ("/etc/p.ini", with_nul, sizeof with_nul - 1, &error);
  g_autofree char *big = g_malloc (MC_POLICY_MAX_FILE_SIZE + 1);

  g_assert_null (policy);
  g_assert_cmpstr (error->message, ==, "/etc/p.ini:2: the line is not UTF-8 text");
  g_clear_error (&error);

  memset (big, '#', MC_POLICY_MAX_FILE_SIZE + 1);
  policy = mc_policy_parse ("/etc/p.ini", big, MC_POLICY_MAX_FILE_SIZE + 1, &error);
  g_assert_null (policy);
  g_assert_cmpstr (error->message, ==, "/etc/p.ini:0: the file is larger than 64 KiB");
}

/* A user file can only tighten: every rule, in both orders. */
static void
test_merge_never_loosens (void)
{
  g_autoptr(McPolicy) admin = parse_ok ("[policy]\n"
                                        "blocked-domains = evil.com\n"
                                        "allowed-domains = example.com example.org evil.com\n"
                                        "always-allow = false\n"
                                        "only-verified-callers = true\n"
                                        "max-grant-lifetime = 1d\n"
                                        "never-grant-scopes = admin\n");
  g_autoptr(McPolicy) user = parse_ok ("[policy]\n"
                                       "blocked-domains = example.org\n"
                                       "allowed-domains = example.com example.org example.net\n"
                                       "always-allow = true\n"
                                       "only-verified-callers = false\n"
                                       "max-grant-lifetime = 30d\n"
                                       "never-grant-scopes = write\n");
  McPolicy *orders[2][2] = { { admin, user }, { user, admin } };

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(McPolicy) merged = mc_policy_merge (orders[i][0], orders[i][1]);

      g_assert_true (mc_policy_blocks_url (merged, "https://evil.com/"));
      g_assert_true (mc_policy_blocks_url (merged, "https://example.org/"));
      g_assert_true (mc_policy_blocks_url (merged, "https://example.net/"));
      g_assert_false (mc_policy_blocks_url (merged, "https://www.example.com/"));
      g_assert_false (mc_policy_get_always_allow (merged));
      g_assert_true (mc_policy_get_verified_callers_only (merged));
      g_assert_cmpint (mc_policy_get_max_grant_lifetime (merged), ==, 86400);
      g_assert_true (mc_policy_forbids_scope (merged, "admin"));
      g_assert_true (mc_policy_forbids_scope (merged, "write"));
    }
}

static void
test_strictest (void)
{
  g_autoptr(McPolicy) strictest = mc_policy_new_strictest ("/etc/p.ini");
  g_autoptr(McPolicy) loose = parse_ok ("[policy]\nallowed-domains = example.com\nalways-allow = true\n");
  g_autoptr(McPolicy) merged = mc_policy_merge (loose, strictest);
  g_autofree char *description = mc_policy_describe (merged);

  g_assert_true (mc_policy_blocks_url (strictest, "https://example.com/"));
  g_assert_false (mc_policy_get_always_allow (strictest));
  g_assert_true (mc_policy_get_verified_callers_only (strictest));
  g_assert_true (mc_policy_blocks_url (merged, "https://example.com/"));
  g_assert_nonnull (strstr (description, "strictest default (/etc/p.ini is malformed)"));
}

static void
test_describe (void)
{
  g_autoptr(McPolicy) admin = NULL;
  g_autoptr(McPolicy) user = NULL;
  g_autoptr(McPolicy) merged = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  const char *admin_text = "[policy]\nblocked-domains = xn--bcher-kva.de\nallowed-domains = example.com\n";
  const char *user_text = "[policy]\nallowed-domains = example.com\nmax-grant-lifetime = 36h\n";

  admin = mc_policy_parse ("/etc/mcp-consent/policy.ini", admin_text, strlen (admin_text), &error);
  g_assert_no_error (error);
  user = mc_policy_parse ("/home/u/.config/mcp-consent/policy.ini", user_text, strlen (user_text), &error);
  g_assert_no_error (error);
  merged = mc_policy_merge (admin, user);
  description = mc_policy_describe (merged);

  g_assert_cmpstr (description, ==,
                   "[policy]\n"
                   "blocked-domains = bücher.de              # /etc/mcp-consent/policy.ini:2\n"
                   "allowed-domains = example.com            # /etc/mcp-consent/policy.ini:3, "
                   "/home/u/.config/mcp-consent/policy.ini:2\n"
                   "always-allow = true                      # default\n"
                   "only-verified-callers = false            # default\n"
                   "max-grant-lifetime = 36h                 # /home/u/.config/mcp-consent/policy.ini:3\n"
                   "never-grant-scopes =                     # default\n");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/policy/empty", test_empty);
  g_test_add_func ("/policy/blocked-domains", test_blocked_domains);
  g_test_add_func ("/policy/allow-list", test_allow_list);
  g_test_add_func ("/policy/single-values", test_single_values);
  g_test_add_func ("/policy/filter-scopes", test_filter_scopes);
  g_test_add_func ("/policy/errors", test_errors);
  g_test_add_func ("/policy/binary-and-size", test_binary_and_size);
  g_test_add_func ("/policy/merge-never-loosens", test_merge_never_loosens);
  g_test_add_func ("/policy/strictest", test_strictest);
  g_test_add_func ("/policy/describe", test_describe);

  return g_test_run ();
}
