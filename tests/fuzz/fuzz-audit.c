/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the audit log reader: what `mcp-consent audit
 * --verify` and ListAuditEvents read, and anyone running as the user can
 * write.  The input is the contents of audit.jsonl.  Each line goes to
 * mc_audit_entry_parse(); then the whole file, written to a scratch
 * directory, to mc_audit_walk() and mc_audit_read_tail().  Besides
 * crashes, sanitizer reports and criticals it checks what the callers
 * rely on: a parsed record has its fixed members, valid UTF-8 strings
 * that D-Bus can carry, and the hash of its line; the walk counts exactly
 * the lines that parse, names a file and line whenever the log is not
 * intact, and reports an intact log only when every line parses and each
 * holds the hash of the one before; the tail is the last finished line.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fuzz-common.h"
#include "mc-audit-reader.h"

static char *scratch_dir;
static char *scratch_file;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  scratch_dir = g_dir_make_tmp ("fuzz-audit-XXXXXX", NULL);
  if (scratch_dir == NULL)
    abort ();
  scratch_file = g_build_filename (scratch_dir, MC_AUDIT_FILE_NAME, NULL);
  return 0;
}

static void
check_entry (const McAuditEntry *entry,
             const char         *line,
             gsize               length)
{
  guint8 hash[MC_AUDIT_HASH_SIZE];

  check (entry->seq >= 1);
  check (entry->time != NULL && entry->time[0] != '\0' && g_utf8_validate (entry->time, -1, NULL));
  check (entry->kind != NULL && entry->kind[0] != '\0' && g_utf8_validate (entry->kind, -1, NULL));
  mc_audit_hash_line (line, length, hash);
  check (memcmp (hash, entry->hash, MC_AUDIT_HASH_SIZE) == 0);

  for (guint i = 0; i < entry->fields->len; i++)
    {
      const McAuditField *field = &g_array_index (entry->fields, McAuditField, i);
      g_autoptr(GVariant) variant = NULL;

      check (g_utf8_validate (field->key, -1, NULL));
      check (mc_audit_entry_lookup (entry, field->key) == field);
      /* What ListAuditEvents builds: a critical (fatal here) if a string
       * could not travel over D-Bus. */
      switch (field->type)
        {
        case MC_AUDIT_VALUE_STRING:
          check (field->string != NULL && g_utf8_validate (field->string, -1, NULL));
          variant = g_variant_ref_sink (g_variant_new_string (field->string));
          break;
        case MC_AUDIT_VALUE_STRV:
          check (field->strv != NULL);
          variant = g_variant_ref_sink (g_variant_new_strv ((const char * const *)field->strv, -1));
          break;
        case MC_AUDIT_VALUE_INT:
        case MC_AUDIT_VALUE_BOOL:
        default:
          break;
        }
    }
}

typedef struct
{
  guint64 n_seen;
} Walk;

static gboolean
on_entry (const McAuditEntry *entry,
          const char         *line,
          gsize               length,
          gpointer            user_data)
{
  Walk *walk = user_data;

  check_entry (entry, line, length);
  walk->n_seen++;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *)data;
  const char *end = text + size;
  const char *p = text;
  const char *last_line = NULL;
  gsize last_length = 0;
  guint64 n_parsed = 0;
  guint64 n_lines = 0;
  gboolean all_parsed = TRUE;
  gboolean chained = TRUE;
  guint8 previous[MC_AUDIT_HASH_SIZE] = { 0 };
  guint64 previous_seq = 0;
  g_auto(McAuditChainState) state = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *tail = NULL;
  goffset complete_size = 0;
  Walk walk = { 0 };

  /* Each finished line on its own, as the walk sees them. */
  while (p < end)
    {
      const char *newline = memchr (p, '\n', end - p);
      g_autoptr(McAuditEntry) entry = NULL;
      g_autoptr(GError) parse_error = NULL;

      if (newline == NULL)
        break;
      n_lines++;
      entry = mc_audit_entry_parse (p, newline - p, &parse_error);
      if (entry != NULL)
        {
          check (parse_error == NULL);
          check_entry (entry, p, newline - p);
          n_parsed++;
          if (n_parsed > 1 && (entry->seq != previous_seq + 1 ||
                               memcmp (entry->prev, previous, MC_AUDIT_HASH_SIZE) != 0))
            chained = FALSE;
          memcpy (previous, entry->hash, MC_AUDIT_HASH_SIZE);
          previous_seq = entry->seq;
        }
      else
        {
          check (parse_error != NULL && g_utf8_validate (parse_error->message, -1, NULL));
          all_parsed = FALSE;
        }
      last_line = p;
      last_length = newline - p;
      p = newline + 1;
    }

  if (!g_file_set_contents (scratch_file, text, size, &error))
    abort ();

  check (mc_audit_walk (scratch_dir, on_entry, &walk, &state, &error));
  check (state.n_records == n_parsed && walk.n_seen == n_parsed);
  check (state.incomplete_tail == (p < end));
  if (!state.intact)
    {
      check (state.problem != NULL && state.problem_file != NULL);
      check (state.problem_line >= 1 && state.problem_line <= n_lines);
      check (strstr (state.problem, MC_AUDIT_FILE_NAME ":") != NULL);
    }
  else
    check (state.problem == NULL && all_parsed && chained);
  if (all_parsed && !chained)
    check (!state.intact);

  check (mc_audit_read_tail (scratch_file, &tail, &complete_size, &error));
  check (complete_size == (goffset)(p - text));
  if (last_line == NULL)
    check (tail == NULL);
  else if (last_length <= MC_AUDIT_MAX_LINE_LENGTH && memchr (last_line, '\0', last_length) == NULL)
    check (tail != NULL && strlen (tail) == last_length && memcmp (tail, last_line, last_length) == 0);

  return 0;
}
