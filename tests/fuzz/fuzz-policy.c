/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the policy files, /etc/mcp-consent/policy.ini and
 * $XDG_CONFIG_HOME/mcp-consent/policy.ini.  The input is the file's bytes,
 * given to mc_policy_parse() as the daemon and the CLI give them.  Besides
 * crashes, sanitizer reports and criticals it checks what the broker
 * relies on: a failure names the file and a line and is printable; a
 * parsed policy can be described; combined with anything — the default,
 * the strictest, itself — it never loosens: whatever it blocks, the
 * combination blocks too.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-policy.h"

#define PATH "/etc/mcp-consent/policy.ini"

static const char * const probe_urls[] = {
  "https://example.com/",
  "https://www.example.org/x",
  "https://xn--bcher-kva.de/",
  "https://evil.com/",
  "https://127.0.0.1/",
  "https://a.b.example.co.uk/",
};

static const char * const probe_scopes[] = { "admin", "read", "files:write", "openid", NULL };

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

/* @merged must be at least as strict as @part. */
static void
check_not_looser (McPolicy *merged,
                  McPolicy *part)
{
  for (gsize i = 0; i < G_N_ELEMENTS (probe_urls); i++)
    check (!mc_policy_blocks_url (part, probe_urls[i]) || mc_policy_blocks_url (merged, probe_urls[i]));
  for (gsize i = 0; probe_scopes[i] != NULL; i++)
    check (!mc_policy_forbids_scope (part, probe_scopes[i]) || mc_policy_forbids_scope (merged, probe_scopes[i]));
  check (mc_policy_get_always_allow (part) || !mc_policy_get_always_allow (merged));
  check (!mc_policy_get_verified_callers_only (part) || mc_policy_get_verified_callers_only (merged));
  check (mc_policy_get_max_grant_lifetime (part) == 0 ||
         (mc_policy_get_max_grant_lifetime (merged) != 0 &&
          mc_policy_get_max_grant_lifetime (merged) <= mc_policy_get_max_grant_lifetime (part)));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McPolicy) policy = mc_policy_parse (PATH, (const char *) data, size, &error);
  g_autoptr(McPolicy) defaults = mc_policy_new_default ();
  g_autoptr(McPolicy) strictest = mc_policy_new_strictest (PATH);
  g_autoptr(McPolicy) with_default = NULL;
  g_autoptr(McPolicy) with_strictest = NULL;
  g_autoptr(McPolicy) with_itself = NULL;
  g_autofree char *description = NULL;
  g_auto(GStrv) kept = NULL;
  g_auto(GStrv) removed = NULL;

  if (policy == NULL)
    {
      /* "PATH:LINE: reason", printable as it is */
      check (error != NULL && error->domain == MC_POLICY_ERROR);
      check (g_str_has_prefix (error->message, PATH ":"));
      check (g_utf8_validate (error->message, -1, NULL));
      for (const char *p = error->message; *p != '\0'; p++)
        check (*p != '\n' && *p != '\r' && *p != '\x1b');
      return 0;
    }
  check (error == NULL);

  description = mc_policy_describe (policy);
  check (g_utf8_validate (description, -1, NULL));

  with_default = mc_policy_merge (defaults, policy);
  with_strictest = mc_policy_merge (policy, strictest);
  with_itself = mc_policy_merge (policy, policy);
  check_not_looser (with_default, policy);
  check_not_looser (with_strictest, policy);
  check_not_looser (with_strictest, strictest);
  check_not_looser (with_itself, policy);
  check_not_looser (policy, with_itself);

  kept = mc_policy_filter_scopes (policy, probe_scopes, &removed);
  check (g_strv_length (kept) + g_strv_length (removed) == g_strv_length ((char **) probe_scopes));
  for (guint i = 0; kept[i] != NULL; i++)
    check (!mc_policy_forbids_scope (policy, kept[i]));

  return 0;
}
