/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-error.h"
#include "mc-options.h"

static const McOptionKey test_keys[] = {
  { "handle_token", "s", 0, FALSE, mc_options_validate_token },
  { "name", "s", 16, TRUE, NULL },
  { "timeout", "u", 0, FALSE, NULL },
};

static GVariant *
parse_options (const char *text)
{
  g_autoptr(GError) error = NULL;
  GVariant *variant = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);

  g_assert_no_error (error);
  return variant;
}

static void
test_options_accepts_whitelisted (void)
{
  g_autoptr(GVariant) options = parse_options ("{'name': <'srv'>, 'timeout': <uint32 5>, 'extra': <42>}");
  g_auto(GVariantDict) filtered = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;
  const char *name = NULL;
  guint32 timeout = 0;

  g_assert_true (mc_options_filter (options, test_keys, G_N_ELEMENTS (test_keys), &filtered, &error));
  g_assert_no_error (error);
  g_assert_true (g_variant_dict_lookup (&filtered, "name", "&s", &name));
  g_assert_cmpstr (name, ==, "srv");
  g_assert_true (g_variant_dict_lookup (&filtered, "timeout", "u", &timeout));
  g_assert_cmpuint (timeout, ==, 5);
  /* Unknown keys are dropped, not passed on. */
  g_assert_false (g_variant_dict_contains (&filtered, "extra"));
}

static void
test_options_rejects_wrong_type (void)
{
  g_autoptr(GVariant) options = parse_options ("{'name': <'srv'>, 'timeout': <'soon'>}");
  g_auto(GVariantDict) filtered = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (mc_options_filter (options, test_keys, G_N_ELEMENTS (test_keys), &filtered, &error));
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "timeout"));
}

static void
test_options_rejects_long_string (void)
{
  g_autoptr(GVariant) options = parse_options ("{'name': <'seventeen-bytes-xx'>}");
  g_auto(GVariantDict) filtered = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (mc_options_filter (options, test_keys, G_N_ELEMENTS (test_keys), &filtered, &error));
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
}

static void
test_options_requires_keys (void)
{
  g_autoptr(GVariant) options = parse_options ("{'timeout': <uint32 5>}");
  g_auto(GVariantDict) filtered = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (mc_options_filter (options, test_keys, G_N_ELEMENTS (test_keys), &filtered, &error));
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "name"));
}

static void
test_options_tokens (void)
{
  g_autofree char *too_long = g_strnfill (65, 'a');
  g_autofree char *longest = g_strnfill (64, 'a');
  g_autoptr(GVariant) options = parse_options ("{'name': <'n'>, 'handle_token': <'../x'>}");
  g_auto(GVariantDict) filtered = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (mc_options_is_valid_token ("mcp_consent_42"));
  g_assert_true (mc_options_is_valid_token (longest));
  g_assert_false (mc_options_is_valid_token (""));
  g_assert_false (mc_options_is_valid_token (too_long));
  g_assert_false (mc_options_is_valid_token ("a-b"));
  g_assert_false (mc_options_is_valid_token ("a/b"));
  g_assert_false (mc_options_is_valid_token ("é"));

  g_assert_false (mc_options_filter (options, test_keys, G_N_ELEMENTS (test_keys), &filtered, &error));
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/options/accepts-whitelisted", test_options_accepts_whitelisted);
  g_test_add_func ("/options/rejects-wrong-type", test_options_rejects_wrong_type);
  g_test_add_func ("/options/rejects-long-string", test_options_rejects_long_string);
  g_test_add_func ("/options/requires-keys", test_options_requires_keys);
  g_test_add_func ("/options/tokens", test_options_tokens);

  return g_test_run ();
}
