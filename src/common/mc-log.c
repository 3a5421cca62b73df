/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "mc-log.h"

static GLogWriterOutput
mc_log_writer (GLogLevelFlags   log_level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  g_autofree char *line = NULL;
  const char *domain = NULL;
  const char *message_id = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE_ID"))
        message_id = fields[i].value;
    }

  if (g_log_writer_default_would_drop (log_level, domain))
    return G_LOG_WRITER_HANDLED;

  /* Under systemd, structured fields go to the journal as they are. */
  if (g_log_writer_is_journald (fileno (stderr)) &&
      g_log_writer_journald (log_level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;

  /* Everything else goes to stderr, debug included: stdout belongs to the
   * program's output (and to a parent that reads it). */
  line = g_log_writer_format_fields (log_level, fields, n_fields, FALSE);
  /* The audit events' ids, which the journal would have as a field
   * (docs/audit.md): what a test or a log collector matches. */
  if (message_id != NULL)
    fprintf (stderr, "%s MESSAGE_ID=%s\n", line, message_id);
  else
    fprintf (stderr, "%s\n", line);
  fflush (stderr);

  return G_LOG_WRITER_HANDLED;
}

/**
 * mc_log_init:
 * @verbose: whether to show debug messages of every domain
 *
 * Sends the process's log to the journal or to stderr, never to stdout.
 */
void
mc_log_init (gboolean verbose)
{
  if (verbose)
    g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (mc_log_writer, NULL, NULL);
}
