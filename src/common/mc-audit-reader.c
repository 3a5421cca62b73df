/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc-audit-reader.h"
#include "mc-error.h"

/* Reads the audit log back: the records of the daemon's McAuditLog, for
 * `mcp-consent audit`, ListAuditEvents and the fuzzer.  The files are
 * untrusted input — anyone running as the user can edit them, which is
 * what --verify is for — so the parser is strict and small: a flat JSON
 * object whose values are strings, integers, booleans or arrays of
 * strings, as the daemon writes (docs/audit.md).  It is hand-written
 * rather than json-glib's, so that --verify reads well over 200,000
 * records a second. */

/* Parsing one record {{{1 */

typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  GError    **error;
} Scanner;

static gboolean scanner_fail (Scanner    *s,
                              const char *format,
                              ...) G_GNUC_PRINTF (2, 3);

static gboolean
scanner_fail (Scanner    *s,
              const char *format,
              ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (s->error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, _("%s at column %" G_GSIZE_FORMAT),
               what, (gsize)(s->p - s->start) + 1);
  return FALSE;
}

static void
skip_space (Scanner *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r'))
    s->p++;
}

static gboolean
expect (Scanner *s,
        char     c)
{
  skip_space (s);
  if (s->p >= s->end || *s->p != c)
    return scanner_fail (s, _("expected “%c”"), c);
  s->p++;
  return TRUE;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Scanner  *s,
           gunichar *out)
{
  gunichar value = 0;

  if (s->end - s->p < 4)
    return scanner_fail (s, _("unfinished \\u escape"));
  for (int i = 0; i < 4; i++)
    {
      int digit = hex_digit (s->p[i]);

      if (digit < 0)
        return scanner_fail (s, _("bad \\u escape"));
      value = value << 4 | (gunichar)digit;
    }
  s->p += 4;
  *out = value;
  return TRUE;
}

/* A JSON string, decoded; NUL and invalid UTF-8 are refused. */
static char *
read_string (Scanner *s)
{
  g_autoptr(GString) out = NULL;
  const char *run;

  skip_space (s);
  if (s->p >= s->end || *s->p != '"')
    {
      scanner_fail (s, _("expected a string"));
      return NULL;
    }
  s->p++;
  run = s->p;

  /* Most strings have no escape: copy them in one go. */
  while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (guchar)*s->p >= 0x20)
    s->p++;
  if (s->p < s->end && *s->p == '"')
    {
      if (!g_utf8_validate_len (run, s->p - run, NULL))
        {
          scanner_fail (s, _("a string is not valid UTF-8"));
          return NULL;
        }
      s->p++;
      return g_strndup (run, s->p - 1 - run);
    }
  s->p = run;
  out = g_string_new (NULL);

  while (s->p < s->end)
    {
      guchar c = (guchar)*s->p;

      if (c == '"')
        {
          g_string_append_len (out, run, s->p - run);
          s->p++;
          if (!g_utf8_validate_len (out->str, out->len, NULL))
            {
              scanner_fail (s, _("a string is not valid UTF-8"));
              return NULL;
            }
          return g_string_free (g_steal_pointer (&out), FALSE);
        }
      if (c < 0x20)
        {
          scanner_fail (s, _("a control character in a string"));
          return NULL;
        }
      if (c != '\\')
        {
          s->p++;
          continue;
        }

      g_string_append_len (out, run, s->p - run);
      s->p++;
      if (s->p >= s->end)
        break;
      switch (*s->p++)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar u = 0;
            gunichar low = 0;

            if (!read_hex4 (s, &u))
              return NULL;
            if (u >= 0xD800 && u <= 0xDBFF)
              {
                if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
                  {
                    scanner_fail (s, _("a lone surrogate in a string"));
                    return NULL;
                  }
                s->p += 2;
                if (!read_hex4 (s, &low))
                  return NULL;
                if (low < 0xDC00 || low > 0xDFFF)
                  {
                    scanner_fail (s, _("a lone surrogate in a string"));
                    return NULL;
                  }
                u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
              }
            else if (u >= 0xDC00 && u <= 0xDFFF)
              {
                scanner_fail (s, _("a lone surrogate in a string"));
                return NULL;
              }
            if (u == 0)
              {
                scanner_fail (s, _("a NUL character in a string"));
                return NULL;
              }
            g_string_append_unichar (out, u);
          }
          break;
        default:
          s->p--;
          scanner_fail (s, _("bad escape in a string"));
          return NULL;
        }
      run = s->p;
    }

  scanner_fail (s, _("unfinished string"));
  return NULL;
}

static gboolean
read_integer (Scanner *s,
              gint64  *out)
{
  const char *digits;
  gboolean negative = FALSE;
  guint64 value = 0;

  if (s->p < s->end && *s->p == '-')
    {
      negative = TRUE;
      s->p++;
    }
  digits = s->p;
  while (s->p < s->end && g_ascii_isdigit (*s->p))
    {
      guint digit = (guint)(*s->p - '0');

      if (value > (G_MAXINT64 - digit) / 10)
        return scanner_fail (s, _("a number out of range"));
      value = value * 10 + digit;
      s->p++;
    }
  if (s->p == digits)
    return scanner_fail (s, _("expected a value"));
  if (s->p - digits > 1 && digits[0] == '0')
    return scanner_fail (s, _("a number with a leading zero"));
  if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
    return scanner_fail (s, _("a number that is not an integer"));

  *out = negative ? -(gint64)value : (gint64)value;
  return TRUE;
}

static gboolean
read_word (Scanner    *s,
           const char *word)
{
  gsize length = strlen (word);

  if ((gsize)(s->end - s->p) < length || memcmp (s->p, word, length) != 0)
    return scanner_fail (s, _("expected a value"));
  s->p += length;
  return TRUE;
}

static gboolean
read_strv (Scanner *s,
           GStrv   *out)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  s->p++;
  skip_space (s);
  if (s->p < s->end && *s->p == ']')
    s->p++;
  else
    {
      for (;;)
        {
          char *item = read_string (s);

          if (item == NULL)
            return FALSE;
          g_ptr_array_add (items, item);
          skip_space (s);
          if (s->p < s->end && *s->p == ',')
            {
              s->p++;
              continue;
            }
          if (!expect (s, ']'))
            return FALSE;
          break;
        }
    }

  g_ptr_array_add (items, NULL);
  *out = (GStrv)g_ptr_array_free (g_steal_pointer (&items), FALSE);
  return TRUE;
}

static void
field_clear (gpointer data)
{
  McAuditField *field = data;

  g_free (field->key);
  g_free (field->string);
  g_strfreev (field->strv);
}

static gboolean
read_value (Scanner      *s,
            McAuditField *field)
{
  skip_space (s);
  if (s->p >= s->end)
    return scanner_fail (s, _("expected a value"));

  switch (*s->p)
    {
    case '"':
      field->type = MC_AUDIT_VALUE_STRING;
      field->string = read_string (s);
      return field->string != NULL;
    case '[':
      field->type = MC_AUDIT_VALUE_STRV;
      return read_strv (s, &field->strv);
    case 't':
      field->type = MC_AUDIT_VALUE_BOOL;
      field->boolean = TRUE;
      return read_word (s, "true");
    case 'f':
      field->type = MC_AUDIT_VALUE_BOOL;
      return read_word (s, "false");
    case '{':
      return scanner_fail (s, _("a nested object (records are flat)"));
    default:
      field->type = MC_AUDIT_VALUE_INT;
      return read_integer (s, &field->integer);
    }
}

static gboolean
is_fixed_key (const char *key)
{
  switch (key[0])
    {
    case 'v':
      return key[1] == '\0';
    case 's':
      return strcmp (key, "seq") == 0;
    case 't':
      return strcmp (key, "time") == 0;
    case 'k':
      return strcmp (key, "kind") == 0;
    case 'p':
      return strcmp (key, "prev") == 0;
    default:
      return FALSE;
    }
}

/* Moves the members every record has out of the list. */
static gboolean
take_fixed_members (McAuditEntry *entry,
                    GArray       *members,
                    GError      **error)
{
  gboolean have_version = FALSE;
  gboolean have_prev = FALSE;

  for (guint i = 0; i < members->len; i++)
    {
      McAuditField *field = &g_array_index (members, McAuditField, i);

      if (!is_fixed_key (field->key))
        continue;
      if (g_str_equal (field->key, "v"))
        {
          if (field->type != MC_AUDIT_VALUE_INT || field->integer != MC_AUDIT_FORMAT_VERSION)
            {
              g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           _("“v” is not %d, the only format version known"), MC_AUDIT_FORMAT_VERSION);
              return FALSE;
            }
          have_version = TRUE;
        }
      else if (g_str_equal (field->key, "seq"))
        {
          if (field->type != MC_AUDIT_VALUE_INT || field->integer < 1)
            {
              g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                                   _("“seq” is not a positive integer"));
              return FALSE;
            }
          entry->seq = (guint64)field->integer;
        }
      else if (g_str_equal (field->key, "time") || g_str_equal (field->key, "kind"))
        {
          if (field->type != MC_AUDIT_VALUE_STRING || field->string[0] == '\0')
            {
              g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, _("“%s” is not a string"), field->key);
              return FALSE;
            }
          if (field->key[0] == 't')
            entry->time = g_steal_pointer (&field->string);
          else
            entry->kind = g_steal_pointer (&field->string);
        }
      else if (g_str_equal (field->key, "prev"))
        {
          if (field->type != MC_AUDIT_VALUE_STRING || !mc_audit_hash_from_hex (field->string, entry->prev))
            {
              g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                                   _("“prev” is not a SHA-256 in hexadecimal"));
              return FALSE;
            }
          have_prev = TRUE;
        }
      else
        continue;

      g_array_remove_index (members, i);
      i--;
    }

  if (!have_version || entry->seq == 0 || entry->time == NULL || entry->kind == NULL || !have_prev)
    {
      g_set_error_literal (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                           _("one of “v”, “seq”, “time”, “kind” and “prev” is missing"));
      return FALSE;
    }
  return TRUE;
}

/**
 * mc_audit_entry_parse:
 * @line: one line of the log, without its newline
 * @length: its length in bytes
 * @error: where to say what is wrong with it
 *
 * Returns: (transfer full) (nullable): the record, with the hash of @line
 */
McAuditEntry *
mc_audit_entry_parse (const char  *line,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(McAuditEntry) entry = NULL;
  Scanner s = { line, line, line + length, error };

  g_return_val_if_fail (line != NULL || length == 0, NULL);

  if (length > MC_AUDIT_MAX_LINE_LENGTH)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   _("longer than %d bytes"), MC_AUDIT_MAX_LINE_LENGTH);
      return NULL;
    }

  entry = g_new0 (McAuditEntry, 1);
  entry->fields = g_array_new (FALSE, TRUE, sizeof (McAuditField));
  g_array_set_clear_func (entry->fields, field_clear);

  if (!expect (&s, '{'))
    return NULL;
  skip_space (&s);
  if (s.p < s.end && *s.p == '}')
    s.p++;
  else
    {
      for (;;)
        {
          McAuditField field = { 0 };

          field.key = read_string (&s);
          if (field.key == NULL)
            return NULL;
          for (guint i = 0; i < entry->fields->len; i++)
            {
              const char *other = g_array_index (entry->fields, McAuditField, i).key;

              /* The first byte rules out most pairs without a call. */
              if (other[0] == field.key[0] && strcmp (other, field.key) == 0)
                {
                  g_free (field.key);
                  scanner_fail (&s, _("a repeated member"));
                  return NULL;
                }
            }
          if (!expect (&s, ':') || !read_value (&s, &field))
            {
              field_clear (&field);
              return NULL;
            }
          g_array_append_val (entry->fields, field);

          skip_space (&s);
          if (s.p < s.end && *s.p == ',')
            {
              s.p++;
              continue;
            }
          if (!expect (&s, '}'))
            return NULL;
          break;
        }
    }

  skip_space (&s);
  if (s.p != s.end)
    {
      scanner_fail (&s, _("text after the record"));
      return NULL;
    }

  if (!take_fixed_members (entry, entry->fields, error))
    return NULL;

  mc_audit_hash_line (line, length, entry->hash);
  return g_steal_pointer (&entry);
}

void
mc_audit_entry_free (McAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->time);
  g_free (entry->kind);
  g_clear_pointer (&entry->fields, g_array_unref);
  g_free (entry);
}

/**
 * mc_audit_entry_lookup:
 * @entry: a record
 * @key: a member's name, other than the fixed ones
 *
 * Returns: (nullable): the member
 */
const McAuditField *
mc_audit_entry_lookup (const McAuditEntry *entry,
                       const char         *key)
{
  g_return_val_if_fail (entry != NULL, NULL);
  g_return_val_if_fail (!is_fixed_key (key), NULL);

  for (guint i = 0; i < entry->fields->len; i++)
    {
      const McAuditField *field = &g_array_index (entry->fields, McAuditField, i);

      if (g_str_equal (field->key, key))
        return field;
    }
  return NULL;
}

const char *
mc_audit_entry_get_string (const McAuditEntry *entry,
                           const char         *key)
{
  const McAuditField *field = mc_audit_entry_lookup (entry, key);

  return field != NULL && field->type == MC_AUDIT_VALUE_STRING ? field->string : NULL;
}

/**
 * mc_audit_entry_get_time:
 * @entry: a record
 *
 * Returns: its time in microseconds since the Unix epoch, or -1 if its
 *   "time" is not RFC 3339
 */
gint64
mc_audit_entry_get_time (const McAuditEntry *entry)
{
  g_autoptr(GDateTime) time = NULL;

  g_return_val_if_fail (entry != NULL, -1);

  time = g_date_time_new_from_iso8601 (entry->time, NULL);
  if (time == NULL)
    return -1;
  return g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
}

/* Hashes {{{1 */

/**
 * mc_audit_hash_line:
 * @line: a line as written, without its newline
 * @length: its length
 * @hash: (out caller-allocates): its SHA-256
 *
 * The chain's hash: over the exact bytes of the line, so that any change
 * — even one JSON would not see, like white space — breaks it.
 */
void
mc_audit_hash_line (const char *line,
                    gsize       length,
                    guint8      hash[MC_AUDIT_HASH_SIZE])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize size = MC_AUDIT_HASH_SIZE;

  g_checksum_update (checksum, (const guchar *)line, length);
  g_checksum_get_digest (checksum, hash, &size);
}

char *
mc_audit_hash_to_hex (const guint8 hash[MC_AUDIT_HASH_SIZE])
{
  static const char digits[] = "0123456789abcdef";
  char *hex = g_malloc (MC_AUDIT_HASH_SIZE * 2 + 1);

  for (gsize i = 0; i < MC_AUDIT_HASH_SIZE; i++)
    {
      hex[2 * i] = digits[hash[i] >> 4];
      hex[2 * i + 1] = digits[hash[i] & 0xF];
    }
  hex[MC_AUDIT_HASH_SIZE * 2] = '\0';
  return hex;
}

/* Lower-case only, as written: another spelling is an edit. */
gboolean
mc_audit_hash_from_hex (const char *hex,
                        guint8      hash[MC_AUDIT_HASH_SIZE])
{
  for (gsize i = 0; i < MC_AUDIT_HASH_SIZE; i++)
    {
      int high, low;

      if (hex[2 * i] == '\0' || hex[2 * i + 1] == '\0' ||
          g_ascii_isupper (hex[2 * i]) || g_ascii_isupper (hex[2 * i + 1]))
        return FALSE;
      high = hex_digit (hex[2 * i]);
      low = hex_digit (hex[2 * i + 1]);
      if (high < 0 || low < 0)
        return FALSE;
      hash[i] = (guint8)(high << 4 | low);
    }
  return hex[MC_AUDIT_HASH_SIZE * 2] == '\0';
}

/* The files {{{1 */

/* "audit-000000000123.jsonl": a rotated file, named by its first record. */
static gboolean
parse_rotated_name (const char *name,
                    guint64    *out_seq)
{
  const char *digits;
  g_autofree char *number = NULL;

  if (!g_str_has_prefix (name, "audit-") || !g_str_has_suffix (name, ".jsonl"))
    return FALSE;
  digits = name + strlen ("audit-");
  number = g_strndup (digits, strlen (digits) - strlen (".jsonl"));
  return g_ascii_string_to_unsigned (number, 10, 1, G_MAXUINT64, out_seq, NULL);
}

static int
compare_rotated (gconstpointer a,
                 gconstpointer b)
{
  guint64 seq_a = 0, seq_b = 0;

  parse_rotated_name (*(const char * const *)a, &seq_a);
  parse_rotated_name (*(const char * const *)b, &seq_b);
  return seq_a < seq_b ? -1 : seq_a > seq_b;
}

/**
 * mc_audit_list_files:
 * @dir: the broker's state directory
 * @error: where to say why it cannot be read
 *
 * Returns: (transfer full) (element-type filename): the log's files,
 *   oldest first: the rotated ones, then audit.jsonl; empty when there is
 *   no log yet
 */
GPtrArray *
mc_audit_list_files (const char  *dir,
                     GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) listing = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *current = NULL;
  const char *name;

  g_return_val_if_fail (dir != NULL, NULL);

  listing = g_dir_open (dir, 0, &local_error);
  if (listing == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&paths);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  while ((name = g_dir_read_name (listing)) != NULL)
    {
      guint64 seq;

      if (parse_rotated_name (name, &seq))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_rotated);

  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (paths, g_build_filename (dir, g_ptr_array_index (names, i), NULL));

  current = g_build_filename (dir, MC_AUDIT_FILE_NAME, NULL);
  if (g_file_test (current, G_FILE_TEST_IS_REGULAR))
    g_ptr_array_add (paths, g_steal_pointer (&current));

  return g_steal_pointer (&paths);
}

/* Verifying the chain {{{1 */

typedef struct
{
  guint64     seq;
  guint8      prev[MC_AUDIT_HASH_SIZE];
  guint8      hash[MC_AUDIT_HASH_SIZE];
  const char *file;
  guint64     line;
} ChainLink;

/* The chain is checked a record late, two records ahead: telling an
 * inserted record from a reordered one needs to see what follows it. */
#define WINDOW 3

typedef struct
{
  McAuditChainState *state;
  gboolean           have_last;
  ChainLink          last;
  gboolean           have_before_last;
  guint8             before_last_hash[MC_AUDIT_HASH_SIZE];
  ChainLink          window[WINDOW];
  guint              n_window;
} Chain;

static const guint8 zero_hash[MC_AUDIT_HASH_SIZE] = { 0 };

static void report (McAuditChainState *state,
                    const char        *file,
                    guint64            line,
                    const char        *format,
                    ...) G_GNUC_PRINTF (4, 5);

static void
report (McAuditChainState *state,
        const char        *file,
        guint64            line,
        const char        *format,
        ...)
{
  va_list args;

  state->intact = FALSE;
  if (state->problem != NULL)
    return;

  va_start (args, format);
  state->problem = g_strdup_vprintf (format, args);
  va_end (args);
  state->problem_file = g_strdup (file);
  state->problem_line = line;
}

static void
explain_break (Chain           *chain,
               const ChainLink *r,
               const ChainLink *n,
               const ChainLink *n2)
{
  const ChainLink *p = &chain->last;
  g_autofree char *r_base = g_path_get_basename (r->file);
  g_autofree char *p_base = g_path_get_basename (p->file);

  /* The next record chains to the one before: this one does not belong. */
  if (n != NULL && memcmp (n->prev, p->hash, MC_AUDIT_HASH_SIZE) == 0)
    {
      if (n2 != NULL && memcmp (n2->prev, r->hash, MC_AUDIT_HASH_SIZE) == 0)
        report (chain->state, r->file, r->line,
                _("%s:%" G_GUINT64_FORMAT ": record #%" G_GUINT64_FORMAT " is out of order: "
                  "it was moved before record #%" G_GUINT64_FORMAT),
                r_base, r->line, r->seq, n->seq);
      else
        report (chain->state, r->file, r->line,
                _("%s:%" G_GUINT64_FORMAT ": record #%" G_GUINT64_FORMAT " was inserted: "
                  "the record after it follows record #%" G_GUINT64_FORMAT),
                r_base, r->line, r->seq, p->seq);
    }
  /* It chains to the record before the last one, with the last one's
   * number: the last one was inserted, with a hash that fits. */
  else if (chain->have_before_last && r->seq == p->seq &&
           memcmp (r->prev, chain->before_last_hash, MC_AUDIT_HASH_SIZE) == 0)
    report (chain->state, p->file, p->line,
            _("%s:%" G_GUINT64_FORMAT ": record #%" G_GUINT64_FORMAT " was inserted: "
              "the record after it follows the one before it"),
            p_base, p->line, p->seq);
  else if (r->seq == p->seq + 1)
    report (chain->state, p->file, p->line,
            _("%s:%" G_GUINT64_FORMAT ": record #%" G_GUINT64_FORMAT " was edited: "
              "its hash is not the one record #%" G_GUINT64_FORMAT " holds"),
            p_base, p->line, p->seq, r->seq);
  else if (r->seq > p->seq + 1)
    report (chain->state, r->file, r->line,
            _("%s:%" G_GUINT64_FORMAT ": records #%" G_GUINT64_FORMAT " to #%" G_GUINT64_FORMAT
              " were removed before this line"),
            r_base, r->line, p->seq + 1, r->seq - 1);
  else
    report (chain->state, r->file, r->line,
            _("%s:%" G_GUINT64_FORMAT ": record #%" G_GUINT64_FORMAT " comes after record #%"
              G_GUINT64_FORMAT ": inserted or reordered"),
            r_base, r->line, r->seq, p->seq);
}

/* Checks the oldest record of the window against the last accepted one. */
static void
chain_check_first (Chain *chain)
{
  ChainLink r = chain->window[0];
  const ChainLink *n = chain->n_window > 1 ? &chain->window[1] : NULL;
  const ChainLink *n2 = chain->n_window > 2 ? &chain->window[2] : NULL;

  if (!chain->have_last)
    {
      /* The oldest record kept: the first ever, or older files were
       * rotated away and its predecessor is gone. */
      chain->state->first_seq = r.seq;
      if (r.seq == 1 && memcmp (r.prev, zero_hash, MC_AUDIT_HASH_SIZE) != 0)
        {
          g_autofree char *base = g_path_get_basename (r.file);

          report (chain->state, r.file, r.line,
                  _("%s:%" G_GUINT64_FORMAT ": record #1 does not start the chain: edited"),
                  base, r.line);
        }
    }
  else if (r.seq != chain->last.seq + 1 || memcmp (r.prev, chain->last.hash, MC_AUDIT_HASH_SIZE) != 0)
    explain_break (chain, &r, n, n2);

  if (chain->have_last)
    {
      memcpy (chain->before_last_hash, chain->last.hash, MC_AUDIT_HASH_SIZE);
      chain->have_before_last = TRUE;
    }
  chain->last = r;
  chain->have_last = TRUE;
  chain->state->last_seq = r.seq;

  memmove (chain->window, chain->window + 1, (WINDOW - 1) * sizeof (ChainLink));
  chain->n_window--;
}

static void
chain_push (Chain              *chain,
            const McAuditEntry *entry,
            const char         *file,
            guint64             line)
{
  ChainLink *link;

  if (chain->n_window == WINDOW)
    chain_check_first (chain);

  link = &chain->window[chain->n_window++];
  link->seq = entry->seq;
  memcpy (link->prev, entry->prev, MC_AUDIT_HASH_SIZE);
  memcpy (link->hash, entry->hash, MC_AUDIT_HASH_SIZE);
  link->file = file;
  link->line = line;
}

static gboolean
walk_file (const char        *path,
           gboolean           is_last,
           Chain             *chain,
           McAuditEntryFunc   func,
           gpointer           user_data,
           gboolean          *stopped,
           GError           **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *base = g_path_get_basename (path);
  const char *data;
  const char *end;
  guint64 line_number = 0;

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      /* Rotated away between listing and reading. */
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* An empty file maps to nothing. */
  data = g_mapped_file_get_contents (mapped);
  if (data == NULL)
    return TRUE;
  end = data + g_mapped_file_get_length (mapped);

  while (data < end && !*stopped)
    {
      const char *newline = memchr (data, '\n', end - data);
      g_autoptr(McAuditEntry) entry = NULL;
      g_autoptr(GError) parse_error = NULL;
      const char *line;

      line_number++;
      if (newline == NULL)
        {
          /* A line being written, or cut short by a crash: only the last
           * one of the newest file may be unfinished. */
          if (is_last)
            chain->state->incomplete_tail = TRUE;
          else
            report (chain->state, path, line_number, _("%s:%" G_GUINT64_FORMAT ": unfinished line"),
                    base, line_number);
          break;
        }

      line = data;
      entry = mc_audit_entry_parse (data, newline - data, &parse_error);
      data = newline + 1;
      if (entry == NULL)
        {
          report (chain->state, path, line_number, _("%s:%" G_GUINT64_FORMAT ": not an audit record: %s"),
                  base, line_number, parse_error->message);
          continue;
        }

      chain->state->n_records++;
      chain_push (chain, entry, path, line_number);
      if (func != NULL && !func (entry, line, newline - line, user_data))
        *stopped = TRUE;
    }

  return TRUE;
}

void
mc_audit_chain_state_clear (McAuditChainState *state)
{
  g_clear_pointer (&state->problem, g_free);
  g_clear_pointer (&state->problem_file, g_free);
  memset (state, 0, sizeof *state);
}

/**
 * mc_audit_walk:
 * @dir: the broker's state directory
 * @func: (nullable): called with each well-formed record, oldest first
 * @user_data: for @func
 * @state: (out caller-allocates): what the walk found; clear it with
 *   mc_audit_chain_state_clear()
 * @error: where to say why the files cannot be read
 *
 * Reads every file of the log, oldest first, and checks the hash chain:
 * each record must hold the SHA-256 of the line before it and the next
 * number.  A malformed line or a break does not stop the walk; the first
 * is described in @state.  A missing log is an empty, intact one.
 *
 * Returns: %FALSE if a file could not be read
 */
gboolean
mc_audit_walk (const char         *dir,
               McAuditEntryFunc    func,
               gpointer            user_data,
               McAuditChainState  *state,
               GError            **error)
{
  g_autoptr(GPtrArray) files = NULL;
  Chain chain = { 0 };
  gboolean stopped = FALSE;

  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (state != NULL, FALSE);

  memset (state, 0, sizeof *state);
  state->intact = TRUE;
  chain.state = state;

  files = mc_audit_list_files (dir, error);
  if (files == NULL)
    return FALSE;

  for (guint i = 0; i < files->len && !stopped; i++)
    {
      if (!walk_file (g_ptr_array_index (files, i), i + 1 == files->len, &chain, func, user_data,
                      &stopped, error))
        return FALSE;
    }

  /* The file names in the window belong to @files: check before it goes. */
  while (chain.n_window > 0)
    chain_check_first (&chain);

  /* The problem's file is kept as a path; only its name is shown. */
  return TRUE;
}

/* The newest record {{{1 */

/* memrchr() is a GNU extension. */
static const char *
last_newline (const char *data,
              gsize       length)
{
  while (length > 0)
    {
      if (data[length - 1] == '\n')
        return data + length - 1;
      length--;
    }
  return NULL;
}

/**
 * mc_audit_read_tail:
 * @path: a log file
 * @out_line: (out) (transfer full) (nullable): its last complete line,
 *   without the newline, or %NULL if it has none
 * @out_complete_size: (out): the size of the file up to and including the
 *   last newline; smaller than the file when it ends in an unfinished line
 * @error: where to say why it cannot be read
 *
 * Reads the end of the file only, whatever its size, so that the daemon
 * starts as fast with a long log as with an empty one.
 *
 * Returns: %FALSE if the file could not be read (a missing file is empty)
 */
gboolean
mc_audit_read_tail (const char  *path,
                    char       **out_line,
                    goffset     *out_complete_size,
                    GError     **error)
{
  g_autoptr(GString) tail = g_string_new (NULL);
  struct stat st;
  goffset position;
  goffset complete_size = -1;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (out_line != NULL && out_complete_size != NULL, FALSE);

  *out_line = NULL;
  *out_complete_size = 0;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        return TRUE;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not open %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) < 0)
    {
      int saved_errno = errno;

      close (fd);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not read %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  /* Back from the end, a block at a time, until the last line is whole:
   * the newline that ends it and the one before it (or the start). */
  position = st.st_size;
  while (position > 0)
    {
      char block[4096];
      gsize want = (gsize)MIN ((goffset)sizeof block, position);
      ssize_t got;
      const char *newline;

      position -= want;
      got = pread (fd, block, want, position);
      if (got != (ssize_t)want)
        {
          int saved_errno = got < 0 ? errno : EIO;

          close (fd);
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Could not read %s: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
      g_string_prepend_len (tail, block, want);

      if (complete_size < 0)
        {
          newline = last_newline (tail->str, tail->len);
          if (newline == NULL)
            continue;
          complete_size = position + (newline - tail->str) + 1;
          g_string_truncate (tail, newline - tail->str);
        }

      newline = last_newline (tail->str, tail->len);
      if (newline != NULL)
        {
          g_string_erase (tail, 0, newline - tail->str + 1);
          break;
        }
      if (tail->len > MC_AUDIT_MAX_LINE_LENGTH)
        break;
    }
  close (fd);

  if (complete_size < 0)
    {
      /* Not one finished line. */
      *out_complete_size = 0;
      return TRUE;
    }

  *out_complete_size = complete_size;
  *out_line = g_string_free (g_steal_pointer (&tail), FALSE);
  return TRUE;
}
