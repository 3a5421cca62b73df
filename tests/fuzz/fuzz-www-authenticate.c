/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for mc_bearer_challenge_parse(): the input, up to the
 * first NUL, is a WWW-Authenticate header value, as a D-Bus caller or
 * libsoup hands it over.  Besides crashes, sanitizer reports and criticals
 * it checks what the flow relies on: a refusal is an INVALID_ARGUMENT
 * error in UTF-8, naming the header; every value read is UTF-8 without a
 * control character; writing the challenge out and reading it back gives
 * the same values; and another challenge before or after the header
 * changes nothing, since the first Bearer challenge is the one read.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-error.h"
#include "mc-www-authenticate.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

static gboolean
is_clean (const char *value)
{
  if (value == NULL)
    return TRUE;
  if (!g_utf8_validate (value, -1, NULL))
    return FALSE;
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static gboolean
challenges_equal (const McBearerChallenge *a,
                  const McBearerChallenge *b)
{
  return g_strcmp0 (a->realm, b->realm) == 0 &&
         g_strcmp0 (a->scope, b->scope) == 0 &&
         g_strcmp0 (a->error, b->error) == 0 &&
         g_strcmp0 (a->error_description, b->error_description) == 0 &&
         g_strcmp0 (a->resource_metadata, b->resource_metadata) == 0;
}

/* Parses @header, which must give the same values as @expected. */
static void
check_same (const char              *header,
            const McBearerChallenge *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McBearerChallenge) challenge = NULL;

  if (strlen (header) > MC_WWW_AUTHENTICATE_MAX_LENGTH)
    return;

  challenge = mc_bearer_challenge_parse (header, &error);
  if (challenge == NULL)
    {
      g_printerr ("“%s” does not parse: %s\n", header, error->message);
      abort ();
    }
  check (challenges_equal (challenge, expected));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *header = fuzz_dup_string (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(McBearerChallenge) challenge = NULL;
  g_autoptr(McBearerChallenge) copy = NULL;
  g_autofree char *serialized = NULL;
  g_autofree char *prefixed = NULL;
  g_autofree char *suffixed = NULL;

  challenge = mc_bearer_challenge_parse (header, &error);
  if (challenge == NULL)
    {
      check (error != NULL);
      check (g_error_matches (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT));
      check (g_utf8_validate (error->message, -1, NULL));
      check (g_str_has_prefix (error->message, "The WWW-Authenticate header"));
      return 0;
    }

  check (error == NULL);
  check (strlen (header) <= MC_WWW_AUTHENTICATE_MAX_LENGTH);
  check (is_clean (challenge->realm));
  check (is_clean (challenge->scope));
  check (is_clean (challenge->error));
  check (is_clean (challenge->error_description));
  check (is_clean (challenge->resource_metadata));

  copy = mc_bearer_challenge_copy (challenge);
  check (challenges_equal (copy, challenge));

  /* What the parser read survives being written out. */
  serialized = mc_bearer_challenge_to_string (challenge);
  check_same (serialized, challenge);

  /* Other challenges around it change nothing. */
  prefixed = g_strconcat ("Basic realm=\"Bearer realm=x\", ", header, NULL);
  check_same (prefixed, challenge);
  suffixed = g_strconcat (header, ", Bearer realm=\"second\", Negotiate a2V5==", NULL);
  check_same (suffixed, challenge);

  return 0;
}
