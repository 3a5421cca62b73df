/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-error.h"
#include "mc-www-authenticate.h"

typedef struct
{
  const char *header;
  const char *realm;
  const char *scope;
  const char *error;
  const char *error_description;
  const char *resource_metadata;
} Valid;

static const Valid valid[] = {
  /* MCP 2025-11-25, "Protected Resource Metadata Discovery Requirements" */
  { "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource\", scope=\"files:read\"",
    NULL, "files:read", NULL, NULL, "https://mcp.example.com/.well-known/oauth-protected-resource" },
  /* MCP, "Runtime Insufficient Scope Errors" */
  { "Bearer error=\"insufficient_scope\", scope=\"files:read files:write user:profile:write\", "
    "resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource\", "
    "error_description=\"Additional file write permission required\"",
    NULL, "files:read files:write user:profile:write", "insufficient_scope",
    "Additional file write permission required", "https://mcp.example.com/.well-known/oauth-protected-resource" },
  /* RFC 6750 §3 */
  { "Bearer realm=\"example\"", "example", NULL, NULL, NULL, NULL },
  { "Bearer realm=\"example\", error=\"invalid_token\", error_description=\"The access token expired\"",
    "example", NULL, "invalid_token", "The access token expired", NULL },
  { "Bearer", NULL, NULL, NULL, NULL, NULL },
  { "  Bearer  ", NULL, NULL, NULL, NULL, NULL },
  /* Scheme and names in any case, tokens as values, OWS around "=" */
  { "bEaReR REALM=x,Scope = \"a b\" ,ERROR= invalid_token", "x", "a b", "invalid_token", NULL, NULL },
  { "Bearer\trealm=x", "x", NULL, NULL, NULL, NULL },
  /* Several challenges, Bearer anywhere, token68 in others */
  { "Basic realm=\"x\", Bearer scope=\"a b\", error=\"insufficient_scope\"",
    NULL, "a b", "insufficient_scope", NULL, NULL },
  { "Basic YWxhZGRpbjpvcGVuc2VzYW1l, Bearer realm=r", "r", NULL, NULL, NULL, NULL },
  { "Negotiate, Bearer realm=r, Basic realm=b", "r", NULL, NULL, NULL, NULL },
  { "Bearer realm=r, Basic realm=b", "r", NULL, NULL, NULL, NULL },
  { "Bearer, Basic realm=b", NULL, NULL, NULL, NULL, NULL },
  /* A lone token after a comma is a challenge without parameters. */
  { "Bearer realm=a, scope", "a", NULL, NULL, NULL, NULL },
  { "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\", Bearer realm=z",
    "z", NULL, NULL, NULL, NULL },
  /* The first Bearer challenge counts. */
  { "Bearer realm=first, Bearer realm=second, realm=again", "first", NULL, NULL, NULL, NULL },
  /* Empty list elements */
  { ", ,Bearer realm=r,, scope=s , ,", "r", "s", NULL, NULL, NULL },
  /* Quoted strings: escapes undone, UTF-8, empty values */
  { "Bearer realm=\"a\\\"b\\\\c\\d\"", "a\"b\\cd", NULL, NULL, NULL, NULL },
  { "Bearer error_description=\"Zugriff verweigert \xe2\x80\x94 bitte anmelden\"",
    NULL, NULL, NULL, "Zugriff verweigert \xe2\x80\x94 bitte anmelden", NULL },
  { "Bearer scope=\"\"", NULL, "", NULL, NULL, NULL },
  /* Unknown parameters are ignored, including their content */
  { "Bearer realm=r, future=\"x\", other=y", "r", NULL, NULL, NULL, NULL },
  /* A token holds the characters of tchar */
  { "Bearer scope=!#$%&'*+-.^_`|~09AZaz", NULL, "!#$%&'*+-.^_`|~09AZaz", NULL, NULL, NULL },
};

typedef struct
{
  const char *header;
  const char *message_part;
} Invalid;

static const Invalid invalid[] = {
  { "", "no Bearer challenge" },
  { "   ,  ", "no Bearer challenge" },
  { "Basic realm=\"x\"", "no Bearer challenge" },
  { "Bearerx realm=y", "no Bearer challenge" },
  { "Bearer realm=\"unterminated", "closing quote" },
  { "Bearer realm=\"x\\", "closing quote" },
  { "Bearer realm=", "token68" },
  { "Bearer realm=,scope=a", "token68" },
  { "Bearer abc==", "token68" },
  { "Bearer YWxhZGRpbjpvcGVuc2VzYW1l", "token68" },
  { "Bearer realm", "token68" },
  { "Bearer realm=a b", "“,” after a parameter" },
  { "Bearer realm=\"a\"b", "“,” after a parameter" },
  { "Bearer realm=\"a\" scope=b", "“,” after a parameter" },
  { "Bearer realm=a, =b", "authentication scheme" },
  { "Bearer=x", "a space after the authentication scheme" },
  { "Bearer \"x\"", "a parameter name" },
  { "Bearer realm=@", "a parameter value" },
  { "Bearer realm=(x)", "a parameter value" },
  { "\"Bearer\"", "authentication scheme" },
  { "Bearer realm=\"a\x01\"", "character a quoted string can hold" },
  { "Bearer realm=\"a\x7f\"", "character a quoted string can hold" },
  { "Bearer realm=\"a\\\x01\"", "character that can be escaped" },
  { "Bearer realm=\"x\",\r\n scope=\"y\"", "authentication scheme" },
  { "Bearer resource_metadata=\"https://mcp.example.com/\",\n scope=\"files:read\"", "authentication scheme" },
  /* Content rules of the Bearer challenge */
  { "Bearer scope=a, scope=b", "“scope” more than once" },
  { "Bearer scope=a, SCOPE=b", "“scope” more than once" },
  { "Bearer x=a, X=b", "“x” more than once" },
  { "Bearer realm=\"\xff\"", "“realm” that is not valid UTF-8" },
  { "Bearer realm=\"\xc3\"", "“realm” that is not valid UTF-8" },
  { "Bearer unknown=\"\xff\"", "“unknown” that is not valid UTF-8" },
  { "Bearer realm=\"a\tb\"", "“realm” with a control character" },
  { "Bearer realm=\"a\\\tb\"", "“realm” with a control character" },
  { "Bearer error_description=\"\xc2\x85\"", "control character" },
  /* Other challenges' content is theirs; their syntax is not. */
  { "Basic realm=\"\x01\", Bearer", "character a quoted string can hold" },
  { "Basic realm=a realm=b, Bearer", "“,” after a parameter" },
};

static void
assert_challenge (const McBearerChallenge *challenge,
                  const Valid             *expected)
{
  g_assert_cmpstr (challenge->realm, ==, expected->realm);
  g_assert_cmpstr (challenge->scope, ==, expected->scope);
  g_assert_cmpstr (challenge->error, ==, expected->error);
  g_assert_cmpstr (challenge->error_description, ==, expected->error_description);
  g_assert_cmpstr (challenge->resource_metadata, ==, expected->resource_metadata);
}

static void
test_www_authenticate_valid (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McBearerChallenge) challenge = mc_bearer_challenge_parse (valid[i].header, &error);
      g_autoptr(McBearerChallenge) copy = NULL;
      g_autoptr(McBearerChallenge) reparsed = NULL;
      g_autofree char *serialized = NULL;

      g_test_message ("%s", valid[i].header);
      g_assert_no_error (error);
      g_assert_nonnull (challenge);
      assert_challenge (challenge, &valid[i]);

      copy = mc_bearer_challenge_copy (challenge);
      assert_challenge (copy, &valid[i]);

      serialized = mc_bearer_challenge_to_string (challenge);
      reparsed = mc_bearer_challenge_parse (serialized, &error);
      g_assert_no_error (error);
      assert_challenge (reparsed, &valid[i]);
    }
}

static void
test_www_authenticate_invalid (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McBearerChallenge) challenge = mc_bearer_challenge_parse (invalid[i].header, &error);

      g_test_message ("%s", invalid[i].header);
      g_assert_null (challenge);
      g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
      g_assert_true (g_str_has_prefix (error->message, "The WWW-Authenticate header"));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      if (strstr (error->message, invalid[i].message_part) == NULL)
        g_error ("“%s”: expected “%s” in “%s”", invalid[i].header, invalid[i].message_part, error->message);
    }
}

static void
test_www_authenticate_spec_example_folded (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McBearerChallenge) challenge = NULL;

  challenge = mc_bearer_challenge_parse ("Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource\",\n"
                                         "                         scope=\"files:read\"",
                                         &error);
  /* As printed in the specification, across two lines: libsoup hands
   * over header values unfolded, so a line break is garbage. */
  g_assert_null (challenge);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
}

static void
test_www_authenticate_length (void)
{
  g_autoptr(GString) header = g_string_new ("Bearer realm=\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(McBearerChallenge) fits = NULL;
  g_autoptr(McBearerChallenge) too_long = NULL;

  while (header->len < MC_WWW_AUTHENTICATE_MAX_LENGTH - 1)
    g_string_append_c (header, 'a');
  g_string_append_c (header, '"');
  g_assert_cmpuint (header->len, ==, MC_WWW_AUTHENTICATE_MAX_LENGTH);

  fits = mc_bearer_challenge_parse (header->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (fits->realm), ==, MC_WWW_AUTHENTICATE_MAX_LENGTH - strlen ("Bearer realm=\"\""));

  g_string_append_c (header, ' ');
  too_long = mc_bearer_challenge_parse (header->str, &error);
  g_assert_null (too_long);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "longer than 8192 bytes"));
}

static void
test_www_authenticate_to_string (void)
{
  McBearerChallenge challenge = {
    .realm = NULL,
    .scope = (char *) "files:read",
    .error = (char *) "insufficient_scope",
    .error_description = (char *) "say \"please\" \\ now",
    .resource_metadata = NULL,
  };
  McBearerChallenge empty = { NULL, };
  g_autofree char *serialized = mc_bearer_challenge_to_string (&challenge);
  g_autofree char *serialized_empty = mc_bearer_challenge_to_string (&empty);

  g_assert_cmpstr (serialized, ==,
                   "Bearer scope=\"files:read\", error=\"insufficient_scope\", "
                   "error_description=\"say \\\"please\\\" \\\\ now\"");
  g_assert_cmpstr (serialized_empty, ==, "Bearer");
}

static void
test_www_authenticate_boxed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McBearerChallenge) challenge = mc_bearer_challenge_parse ("Bearer realm=r, scope=s", &error);
  McBearerChallenge *copy = NULL;

  g_assert_no_error (error);
  g_assert_true (G_TYPE_IS_BOXED (MC_TYPE_BEARER_CHALLENGE));
  copy = g_boxed_copy (MC_TYPE_BEARER_CHALLENGE, challenge);
  g_assert_true (copy != challenge);
  g_assert_cmpstr (copy->realm, ==, "r");
  g_assert_cmpstr (copy->scope, ==, "s");
  g_boxed_free (MC_TYPE_BEARER_CHALLENGE, copy);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/www-authenticate/valid", test_www_authenticate_valid);
  g_test_add_func ("/www-authenticate/invalid", test_www_authenticate_invalid);
  g_test_add_func ("/www-authenticate/spec-example-folded", test_www_authenticate_spec_example_folded);
  g_test_add_func ("/www-authenticate/length", test_www_authenticate_length);
  g_test_add_func ("/www-authenticate/to-string", test_www_authenticate_to_string);
  g_test_add_func ("/www-authenticate/boxed", test_www_authenticate_boxed);

  return g_test_run ();
}
