/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for mc_url_verdict_new().  The input is the URL, then
 * optionally a NUL and the server URL (up to the next NUL).  Besides
 * crashes and sanitizer reports it checks the invariants the dialog and
 * the daemon rely on, and aborts when one breaks.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc-url-verdict.h"

#define check(condition) \
  G_STMT_START { if (!(condition)) { g_printerr ("invariant failed: %s\n", #condition); abort (); } } G_STMT_END

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* The character rule the slow, obvious way, to hold the library's
 * word-at-a-time scan to: "invalid-utf8", "control-character" or NULL.
 */
static const char *
naive_character_flag (const char *url)
{
  if (!g_utf8_validate (url, -1, NULL))
    return "invalid-utf8";

  for (const char *p = url; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c <= 0x20 || c == 0x7F || c == '\\' ||
          (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
          (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069) ||
          c == 0xFEFF)
        return "control-character";
    }

  return NULL;
}

static void
check_verdict (const McUrlVerdict *verdict,
               const char         *url)
{
  const char * const *flags = mc_url_verdict_get_flags (verdict);
  McUrlRisk risk = mc_url_verdict_get_risk (verdict);
  McUrlRisk strongest = MC_URL_RISK_OK;
  const char *host = mc_url_verdict_get_host (verdict);
  const char *host_ascii = mc_url_verdict_get_host_ascii (verdict);
  const char *domain = mc_url_verdict_get_registrable_domain (verdict);
  gsize start = 0, end = 0, domain_start = 0, domain_end = 0;
  g_autoptr(GVariant) variant = NULL;
  g_autofree char *json = NULL;

  /* The risk is the strongest flag's, and every flag is a known one. */
  for (guint i = 0; flags[i] != NULL; i++)
    {
      check (mc_url_flag_describe (flags[i]) != NULL);
      check (mc_url_verdict_has_flag (verdict, flags[i]));
      strongest = MAX (strongest, mc_url_flag_get_risk (flags[i]));
    }
  check (risk == strongest);

  if (strlen (url) > MC_URL_MAX_LENGTH)
    {
      check (g_strv_length ((char **) flags) == 1 && g_str_equal (flags[0], "too-long"));
    }
  else
    {
      const char *expected = naive_character_flag (url);

      check (!mc_url_verdict_has_flag (verdict, "too-long"));
      if (expected != NULL)
        check (g_strv_length ((char **) flags) == 1 && g_str_equal (flags[0], expected));
      else
        check (!mc_url_verdict_has_flag (verdict, "invalid-utf8") &&
               !mc_url_verdict_has_flag (verdict, "control-character"));
    }
  check ((mc_url_verdict_get_reason (verdict) != NULL) == (risk == MC_URL_RISK_BLOCKED));

  check ((host == NULL) == (host_ascii == NULL));
  check (domain == NULL || host != NULL);
  check (mc_url_verdict_get_host_range (verdict, &start, &end) == (host != NULL));

  if (host != NULL)
    {
      check (g_utf8_validate (host, -1, NULL));
      check (*host != '\0');
      check (g_str_is_ascii (host_ascii));
      check (strlen (host_ascii) <= 253);
      for (const char *p = host_ascii; *p != '\0'; p++)
        check (!g_ascii_isupper (*p));
      check (start < end && end <= strlen (url));
      check (g_utf8_validate (url + start, end - start, NULL));
    }

  check (mc_url_verdict_get_registrable_domain_range (verdict, &domain_start, &domain_end) == (domain != NULL));
  if (domain != NULL)
    {
      check (g_utf8_validate (domain, -1, NULL));
      check (g_str_has_suffix (host, domain));
      check (start <= domain_start && domain_start < domain_end && domain_end <= end);
    }

  variant = mc_url_verdict_to_variant (verdict);
  check (variant != NULL && !g_variant_is_floating (variant));
  json = mc_url_verdict_to_json (verdict);
  check (json != NULL && strchr (json, '\n') == NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *input = NULL;
  const char *server_url = NULL;
  const char *nul;
  g_autoptr(McUrlVerdict) verdict = NULL;

  /* One extra NUL so that both halves are C strings. */
  input = g_malloc (size + 1);
  memcpy (input, data, size);
  input[size] = '\0';

  nul = memchr (input, '\0', size);
  if (nul != NULL)
    server_url = nul + 1;

  verdict = mc_url_verdict_new (input, server_url);
  check (verdict != NULL);
  check_verdict (verdict, input);

  return 0;
}
