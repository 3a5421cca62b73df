/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-pkce.h"

static gboolean
is_base64url (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* RFC 7636 Appendix B. */
static void
test_pkce_rfc7636_example (void)
{
  g_autofree char *challenge = mc_pkce_challenge_s256 ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

  g_assert_cmpstr (challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void
test_pkce_new_verifier (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 100; i++)
    {
      char *verifier = mc_pkce_new_verifier ();
      g_autofree char *challenge = mc_pkce_challenge_s256 (verifier);

      /* 32 bytes of base64url without padding. */
      g_assert_cmpuint (strlen (verifier), ==, 43);
      g_assert_true (is_base64url (verifier));
      g_assert_true (mc_pkce_verifier_is_valid (verifier));
      g_assert_cmpuint (strlen (challenge), ==, 43);
      g_assert_true (is_base64url (challenge));
      g_assert_false (g_hash_table_contains (seen, verifier));
      g_hash_table_add (seen, verifier);
    }
}

static void
test_pkce_verifier_is_valid (void)
{
  g_autofree char *min = g_strnfill (43, 'a');
  g_autofree char *max = g_strnfill (128, '~');
  g_autofree char *too_short = g_strnfill (42, 'a');
  g_autofree char *too_long = g_strnfill (129, 'a');
  g_autofree char *with_plus = g_strconcat (min, "+", NULL);

  g_assert_true (mc_pkce_verifier_is_valid (min));
  g_assert_true (mc_pkce_verifier_is_valid (max));
  g_assert_true (mc_pkce_verifier_is_valid ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk.~"));
  g_assert_false (mc_pkce_verifier_is_valid (NULL));
  g_assert_false (mc_pkce_verifier_is_valid (""));
  g_assert_false (mc_pkce_verifier_is_valid (too_short));
  g_assert_false (mc_pkce_verifier_is_valid (too_long));
  g_assert_false (mc_pkce_verifier_is_valid (with_plus));
}

static void
test_pkce_random_token (void)
{
  g_autofree char *state = mc_oauth_random_token (32);
  g_autofree char *other = mc_oauth_random_token (32);
  g_autofree char *one = mc_oauth_random_token (1);
  g_autofree char *long_token = mc_oauth_random_token (1024);

  g_assert_cmpuint (strlen (state), ==, 43);
  g_assert_true (is_base64url (state));
  g_assert_cmpstr (state, !=, other);
  g_assert_cmpuint (strlen (one), ==, 2);
  g_assert_cmpuint (strlen (long_token), ==, 1366);
  g_assert_true (is_base64url (long_token));
}

static void
test_pkce_secret_free (void)
{
  mc_oauth_secret_free (NULL);
  mc_oauth_secret_free (mc_pkce_new_verifier ());
  mc_oauth_secret_free (g_strdup (""));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pkce/rfc7636-example", test_pkce_rfc7636_example);
  g_test_add_func ("/pkce/new-verifier", test_pkce_new_verifier);
  g_test_add_func ("/pkce/verifier-is-valid", test_pkce_verifier_is_valid);
  g_test_add_func ("/pkce/random-token", test_pkce_random_token);
  g_test_add_func ("/pkce/secret-free", test_pkce_secret_free);

  return g_test_run ();
}
