/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-www-authenticate.h"

#include <string.h>

#include "mc-error.h"

/* The WWW-Authenticate header of RFC 7235 §4.1, of which the broker reads
 * the Bearer challenge (RFC 6750 §3, RFC 9728 §5.1):
 *
 *   WWW-Authenticate = 1#challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 *
 * A comma separates both challenges and the parameters of one, so after
 * each comma the parser looks ahead: "token =" is another parameter,
 * anything else starts a challenge.  The whole header must follow the
 * grammar, or we cannot tell where the Bearer challenge ends; the rules on
 * content (UTF-8, no control characters, each parameter once) apply to the
 * Bearer challenge only, as the others are not ours to judge.  When there
 * are several Bearer challenges, the first is read. */

typedef struct
{
  const char *text;
  gsize       length;
  gsize       pos;
} Scanner;

G_DEFINE_BOXED_TYPE (McBearerChallenge, mc_bearer_challenge,
                     mc_bearer_challenge_copy, mc_bearer_challenge_free)

/* RFC 9110 §5.6.2 */
static gboolean
is_tchar (char c)
{
  return c != '\0' && (g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 7235 §2.1 */
static gboolean
is_token68_char (char c)
{
  return c != '\0' && (g_ascii_isalnum (c) || strchr ("-._~+/", c) != NULL);
}

/* qdtext of RFC 9110 §5.6.4: HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text */
static gboolean
is_qdtext (guchar c)
{
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
         (c >= 0x5D && c <= 0x7E) || c >= 0x80;
}

/* What may follow a backslash: HTAB / SP / VCHAR / obs-text */
static gboolean
is_quoted_pair_char (guchar c)
{
  return c == '\t' || (c >= 0x20 && c <= 0x7E) || c >= 0x80;
}

static gboolean
at_end (const Scanner *s)
{
  return s->pos >= s->length;
}

static char
peek (const Scanner *s)
{
  return at_end (s) ? '\0' : s->text[s->pos];
}

static void
skip_ows (Scanner *s)
{
  while (!at_end (s) && (s->text[s->pos] == ' ' || s->text[s->pos] == '\t'))
    s->pos++;
}

/* Empty list elements are allowed (RFC 9110 §5.6.1.2): ", ," */
static void
skip_separators (Scanner *s)
{
  while (!at_end (s) && (s->text[s->pos] == ' ' || s->text[s->pos] == '\t' || s->text[s->pos] == ','))
    s->pos++;
}

static gsize
scan_token (Scanner *s)
{
  gsize start = s->pos;

  while (!at_end (s) && is_tchar (s->text[s->pos]))
    s->pos++;
  return s->pos - start;
}

static gboolean
syntax_error (const Scanner  *s,
              const char     *expected,
              GError        **error)
{
  g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
               "The WWW-Authenticate header is malformed: expected %s at byte %" G_GSIZE_FORMAT,
               expected, s->pos);
  return FALSE;
}

static gboolean
scan_quoted_string (Scanner  *s,
                    GString  *value,
                    GError  **error)
{
  g_assert (peek (s) == '"');
  s->pos++;

  while (!at_end (s))
    {
      guchar c = s->text[s->pos];

      if (c == '"')
        {
          s->pos++;
          return TRUE;
        }

      if (c == '\\')
        {
          s->pos++;
          if (at_end (s))
            break;
          c = s->text[s->pos];
          if (!is_quoted_pair_char (c))
            return syntax_error (s, "a character that can be escaped", error);
        }
      else if (!is_qdtext (c))
        {
          return syntax_error (s, "a character a quoted string can hold", error);
        }

      g_string_append_c (value, c);
      s->pos++;
    }

  return syntax_error (s, "the closing quote of a quoted string", error);
}

static gboolean
has_control_char (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/* Keeps one parameter of the Bearer challenge. */
static gboolean
take_param (McBearerChallenge  *challenge,
            GHashTable         *seen,
            const char         *name,
            gsize               name_length,
            GString            *value,
            GError            **error)
{
  g_autofree char *lower = g_ascii_strdown (name, name_length);
  char **field = NULL;

  /* RFC 7235 §2.2: "Each parameter name MUST only occur once per
   * challenge"; two scopes would leave us guessing which one counts. */
  if (g_hash_table_contains (seen, lower))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "The WWW-Authenticate header’s Bearer challenge has the parameter “%.64s” more than once",
                   lower);
      return FALSE;
    }

  if (!g_utf8_validate_len (value->str, value->len, NULL))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "The WWW-Authenticate header’s Bearer challenge has a “%.64s” that is not valid UTF-8",
                   lower);
      return FALSE;
    }

  if (has_control_char (value->str))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "The WWW-Authenticate header’s Bearer challenge has a “%.64s” with a control character",
                   lower);
      return FALSE;
    }

  if (g_str_equal (lower, "realm"))
    field = &challenge->realm;
  else if (g_str_equal (lower, "scope"))
    field = &challenge->scope;
  else if (g_str_equal (lower, "error"))
    field = &challenge->error;
  else if (g_str_equal (lower, "error_description"))
    field = &challenge->error_description;
  else if (g_str_equal (lower, "resource_metadata"))
    field = &challenge->resource_metadata;

  if (field != NULL)
    *field = g_strndup (value->str, value->len);

  g_hash_table_add (seen, g_steal_pointer (&lower));
  return TRUE;
}

/* A token68 (RFC 7235 §2.1) stands alone, up to the end or a comma. */
static gboolean
scan_token68 (Scanner *s)
{
  gsize start = s->pos;

  while (!at_end (s) && is_token68_char (s->text[s->pos]))
    s->pos++;
  if (s->pos > start)
    {
      while (peek (s) == '=')
        s->pos++;
      skip_ows (s);
      if (at_end (s) || peek (s) == ',')
        return TRUE;
    }

  s->pos = start;
  return FALSE;
}

/* Reads what follows an auth-scheme, up to the next challenge.  Keeps the
 * parameters in @challenge unless it is %NULL. */
static gboolean
scan_challenge_rest (Scanner            *s,
                     McBearerChallenge  *challenge,
                     GError            **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GString) value = g_string_new (NULL);
  gsize scheme_end = s->pos;

  skip_ows (s);
  if (at_end (s) || peek (s) == ',')
    return TRUE;
  if (s->pos == scheme_end)
    return syntax_error (s, "a space after the authentication scheme", error);

  if (scan_token68 (s))
    {
      if (challenge != NULL)
        {
          g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                               "The WWW-Authenticate header’s Bearer challenge has a token68 "
                               "where parameters were expected");
          return FALSE;
        }
      return TRUE;
    }

  for (;;)
    {
      gsize name_start = s->pos;
      gsize name_length = scan_token (s);
      gsize next;
      gboolean is_param;

      if (name_length == 0)
        return syntax_error (s, "a parameter name", error);

      skip_ows (s);
      if (peek (s) != '=')
        return syntax_error (s, "“=” after a parameter name", error);
      s->pos++;
      skip_ows (s);

      g_string_truncate (value, 0);
      if (peek (s) == '"')
        {
          if (!scan_quoted_string (s, value, error))
            return FALSE;
        }
      else
        {
          gsize value_start = s->pos;
          gsize value_length = scan_token (s);

          if (value_length == 0)
            return syntax_error (s, "a parameter value (a token or a quoted string)", error);
          g_string_append_len (value, s->text + value_start, value_length);
        }

      if (challenge != NULL &&
          !take_param (challenge, seen, s->text + name_start, name_length, value, error))
        return FALSE;

      skip_ows (s);
      if (at_end (s))
        return TRUE;
      if (peek (s) != ',')
        return syntax_error (s, "“,” after a parameter", error);
      skip_separators (s);
      if (at_end (s))
        return TRUE;

      /* Another parameter, or the next challenge? */
      next = s->pos;
      is_param = scan_token (s) > 0;
      skip_ows (s);
      is_param = is_param && peek (s) == '=';
      s->pos = next;
      if (!is_param)
        return TRUE;
    }
}

/**
 * mc_bearer_challenge_parse:
 * @header: the value of a WWW-Authenticate header, with several headers
 *   joined by commas, as libsoup gives them
 * @error: return location for a #GError
 *
 * Finds and reads the Bearer challenge of @header.  Scheme and parameter
 * names are matched in any case; values may be tokens or quoted strings,
 * whose escapes are undone.
 *
 * The errors are %MC_ERROR_INVALID_ARGUMENT, whose messages begin with
 * "The WWW-Authenticate header": the parser cannot know whether the header
 * came from a D-Bus caller or from a server, so a caller that read it from
 * a server makes it %MC_ERROR_REMOTE, naming the server.
 *
 * Returns: (transfer full): the challenge, or %NULL with @error set if
 *   @header is longer than %MC_WWW_AUTHENTICATE_MAX_LENGTH, is malformed,
 *   has no Bearer challenge, or its Bearer challenge has a token68, a
 *   parameter twice, or a value that is not UTF-8 or has a control
 *   character
 */
McBearerChallenge *
mc_bearer_challenge_parse (const char  *header,
                           GError     **error)
{
  g_autoptr(McBearerChallenge) bearer = NULL;
  Scanner s = { header, 0, 0 };

  g_return_val_if_fail (header != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  s.length = strnlen (header, MC_WWW_AUTHENTICATE_MAX_LENGTH + 1);
  if (s.length > MC_WWW_AUTHENTICATE_MAX_LENGTH)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "The WWW-Authenticate header is longer than %d bytes",
                   MC_WWW_AUTHENTICATE_MAX_LENGTH);
      return NULL;
    }

  for (;;)
    {
      gsize scheme_start;
      gsize scheme_length;
      gboolean is_first_bearer;

      skip_separators (&s);
      if (at_end (&s))
        break;

      scheme_start = s.pos;
      scheme_length = scan_token (&s);
      if (scheme_length == 0)
        {
          syntax_error (&s, "an authentication scheme", error);
          return NULL;
        }

      is_first_bearer = bearer == NULL && scheme_length == strlen ("Bearer") &&
                        g_ascii_strncasecmp (header + scheme_start, "Bearer", scheme_length) == 0;
      if (is_first_bearer)
        bearer = g_new0 (McBearerChallenge, 1);

      if (!scan_challenge_rest (&s, is_first_bearer ? bearer : NULL, error))
        return NULL;
    }

  if (bearer == NULL)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           "The WWW-Authenticate header has no Bearer challenge");
      return NULL;
    }

  return g_steal_pointer (&bearer);
}

static void
append_param (GString    *header,
              const char *name,
              const char *value)
{
  if (value == NULL)
    return;

  g_string_append (header, header->len == strlen ("Bearer") ? " " : ", ");
  g_string_append (header, name);
  g_string_append (header, "=\"");
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (header, '\\');
      g_string_append_c (header, *p);
    }
  g_string_append_c (header, '"');
}

/**
 * mc_bearer_challenge_to_string:
 * @self: a challenge
 *
 * Writes @self as a WWW-Authenticate header value, every parameter as a
 * quoted string, for test servers and logs.  What
 * mc_bearer_challenge_parse() returned parses back to the same values.
 *
 * Returns: (transfer full): the header value, e.g.
 *   `Bearer error="insufficient_scope", scope="files:read"`
 */
char *
mc_bearer_challenge_to_string (const McBearerChallenge *self)
{
  GString *header = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  header = g_string_new ("Bearer");
  append_param (header, "realm", self->realm);
  append_param (header, "scope", self->scope);
  append_param (header, "error", self->error);
  append_param (header, "error_description", self->error_description);
  append_param (header, "resource_metadata", self->resource_metadata);

  return g_string_free (header, FALSE);
}

/**
 * mc_bearer_challenge_copy:
 * @self: a challenge
 *
 * Returns: (transfer full): a copy of @self
 */
McBearerChallenge *
mc_bearer_challenge_copy (const McBearerChallenge *self)
{
  McBearerChallenge *copy = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (McBearerChallenge, 1);
  copy->realm = g_strdup (self->realm);
  copy->scope = g_strdup (self->scope);
  copy->error = g_strdup (self->error);
  copy->error_description = g_strdup (self->error_description);
  copy->resource_metadata = g_strdup (self->resource_metadata);

  return copy;
}

/**
 * mc_bearer_challenge_free:
 * @self: (nullable) (transfer full): a challenge
 */
void
mc_bearer_challenge_free (McBearerChallenge *self)
{
  if (self == NULL)
    return;

  g_free (self->realm);
  g_free (self->scope);
  g_free (self->error);
  g_free (self->error_description);
  g_free (self->resource_metadata);
  g_free (self);
}
