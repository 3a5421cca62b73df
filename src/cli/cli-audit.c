/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "cli-audit.h"
#include "cli-common.h"
#include "mc-audit-reader.h"
#include "mc-paths.h"
#include "mc-text.h"

/* `mcp-consent audit`: reads the audit log's files directly (they are the
 * user's own), so it works with the daemon stopped, and --verify checks
 * what is on disk, not what a daemon says about it (docs/audit.md). */

/* What --verify answers when the chain is broken (docs/cli.md). */
#define EXIT_TAMPERED 1

#define MAX_SHOWN_CHARS 120

/**
 * cli_audit_parse_time:
 * @text: "2026-11-26", "2026-11-26T14:00", an RFC 3339 time, or a time
 *   ago: "90s", "30m", "2h", "7d"
 * @now: the present, in microseconds since the epoch
 * @out_time: (out): @text in microseconds since the epoch
 *
 * Times without a zone are local.
 *
 * Returns: whether @text is a time
 */
gboolean
cli_audit_parse_time (const char *text,
                      gint64      now,
                      gint64     *out_time)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  gsize length = strlen (text);
  guint64 amount = 0;

  if (length >= 2 && strchr ("smhd", text[length - 1]) != NULL)
    {
      g_autofree char *number = g_strndup (text, length - 1);
      guint64 unit = text[length - 1] == 's' ? 1 : text[length - 1] == 'm' ? 60 :
                     text[length - 1] == 'h' ? 3600 : 86400;

      if (g_ascii_string_to_unsigned (number, 10, 0, G_GUINT64_CONSTANT (100) * 365 * 86400 / unit, &amount, NULL))
        {
          *out_time = now - (gint64)(amount * unit) * G_USEC_PER_SEC;
          return TRUE;
        }
      return FALSE;
    }

  time = g_date_time_new_from_iso8601 (text, local);
  if (time == NULL && length == 10)
    {
      g_autofree char *midnight = g_strconcat (text, "T00:00:00", NULL);

      time = g_date_time_new_from_iso8601 (midnight, local);
    }
  if (time == NULL)
    return FALSE;

  *out_time = g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
  return TRUE;
}

typedef struct
{
  gint64   since;
  gboolean json;
  guint64  shown;
} Listing;

static char *
describe_field (const McAuditField *field)
{
  g_autofree char *value = NULL;

  switch (field->type)
    {
    case MC_AUDIT_VALUE_STRING:
      value = g_strdup (field->string);
      break;
    case MC_AUDIT_VALUE_INT:
      value = g_strdup_printf ("%" G_GINT64_FORMAT, field->integer);
      break;
    case MC_AUDIT_VALUE_BOOL:
      value = g_strdup (field->boolean ? "yes" : "no");
      break;
    case MC_AUDIT_VALUE_STRV:
    default:
      value = g_strjoinv (",", field->strv);
      break;
    }

  /* Names and messages come from callers and servers: no control or
   * bidi characters reach the terminal. */
  return mc_text_clean_for_display (value, MAX_SHOWN_CHARS, MC_TEXT_SINGLE_LINE);
}

static gboolean
show_entry (const McAuditEntry *entry,
            const char         *line,
            gsize               length,
            gpointer            user_data)
{
  Listing *listing = user_data;
  g_autoptr(GString) details = g_string_new (NULL);
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *when = NULL;
  g_autofree char *app = NULL;
  gint64 entry_time;

  if (listing->since != G_MININT64)
    {
      entry_time = mc_audit_entry_get_time (entry);
      if (entry_time >= 0 && entry_time < listing->since)
        return TRUE;
    }
  listing->shown++;

  if (listing->json)
    {
      g_print ("%.*s\n", (int)length, line);
      return TRUE;
    }

  time = g_date_time_new_from_iso8601 (entry->time, NULL);
  local = time != NULL ? g_date_time_to_local (time) : NULL;
  when = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : g_strdup (entry->time);
  app = mc_text_clean_for_display (mc_audit_entry_get_string (entry, "app") != NULL
                                     ? mc_audit_entry_get_string (entry, "app") : "-",
                                   40, MC_TEXT_SINGLE_LINE);

  for (guint i = 0; i < entry->fields->len; i++)
    {
      const McAuditField *field = &g_array_index (entry->fields, McAuditField, i);
      g_autofree char *value = NULL;

      if (g_str_equal (field->key, "app") || g_str_equal (field->key, "app_id") ||
          g_str_equal (field->key, "caller_kind") || g_str_has_suffix (field->key, "_sha256"))
        continue;
      value = describe_field (field);
      g_string_append_printf (details, "%s%s=%s", details->len > 0 ? " " : "", field->key, value);
    }

  g_print ("%-19s %6" G_GUINT64_FORMAT "  %-17s %-24s %s\n", when, entry->seq, entry->kind, app, details->str);
  return TRUE;
}

static int
verify (const char *dir)
{
  g_auto(McAuditChainState) state = { 0 };
  g_autoptr(GError) error = NULL;

  if (!mc_audit_walk (dir, NULL, NULL, &state, &error))
    {
      cli_print_error (_("Could not read the audit log: %s"), error->message);
      return CLI_EXIT_REFUSED;
    }

  if (!state.intact)
    {
      g_print (_("The audit log was tampered with or damaged: %s"), state.problem);
      g_print ("\n");
      return EXIT_TAMPERED;
    }

  g_print (g_dngettext (GETTEXT_PACKAGE, "The audit log is intact: %" G_GUINT64_FORMAT " record.",
                        "The audit log is intact: %" G_GUINT64_FORMAT " records.", state.n_records),
           state.n_records);
  g_print ("\n");
  if (state.first_seq > 1)
    {
      g_print (_("It starts at record #%" G_GUINT64_FORMAT "; older ones were rotated away."), state.first_seq);
      g_print ("\n");
    }
  if (state.incomplete_tail)
    {
      g_print ("%s\n", _("Its last line is unfinished (being written, or cut short by a crash) and was skipped."));
    }
  return CLI_EXIT_OK;
}

int
cli_cmd_audit (int    argc,
               char **argv)
{
  g_autofree char *since_text = NULL;
  gboolean json = FALSE;
  gboolean opt_verify = FALSE;
  const GOptionEntry entries[] = {
    { "since", 0, 0, G_OPTION_ARG_STRING, &since_text,
      N_("Only events since TIME (2026-11-26, 2026-11-26T14:00, or 30m, 2h, 7d ago)"), N_("TIME") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the records as they are stored, one JSON object a line"), NULL },
    { "verify", 0, 0, G_OPTION_ARG_NONE, &opt_verify,
      N_("Check the hash chain; name the first record edited, removed, reordered or inserted"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_auto(McAuditChainState) state = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = mc_paths_state_file ("");
  Listing listing = { G_MININT64, FALSE, 0 };

  g_option_context_set_summary (context, _("Show the audit log of consent decisions, sign-ins and tokens, "
                                           "or check that nobody changed it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 0))
    return CLI_EXIT_REFUSED;

  if (opt_verify)
    return verify (dir);

  if (since_text != NULL && !cli_audit_parse_time (since_text, g_get_real_time (), &listing.since))
    {
      cli_print_error (_("“%s” is not a time: give a date, an ISO 8601 time, or an age like 30m, 2h or 7d"),
                       since_text);
      return CLI_EXIT_REFUSED;
    }
  listing.json = json;

  if (!json)
    g_print ("%-19s %6s  %-17s %-24s %s\n", _("TIME"), "#", _("EVENT"), _("APP"), _("DETAILS"));

  if (!mc_audit_walk (dir, show_entry, &listing, &state, &error))
    {
      cli_print_error (_("Could not read the audit log: %s"), error->message);
      return CLI_EXIT_REFUSED;
    }

  /* A listing is not a check, but a damaged log should not look fine. */
  if (!state.intact)
    cli_print_error (_("Warning: the audit log does not verify: %s"), state.problem);
  return CLI_EXIT_OK;
}
