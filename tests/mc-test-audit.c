/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-test-audit.h"

static gboolean
collect (const McAuditEntry *entry,
         const char         *line,
         gsize               length,
         gpointer            user_data)
{
  GPtrArray *entries = user_data;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (entries, mc_audit_entry_parse (line, length, &error));
  g_assert_no_error (error);
  return TRUE;
}

/**
 * mc_test_audit_read:
 * @dir: the directory of an audit log
 * @state: (out caller-allocates): what the walk found
 *
 * Returns: (transfer full) (element-type McAuditEntry): the log's
 *   well-formed records, oldest first
 */
GPtrArray *
mc_test_audit_read (const char        *dir,
                    McAuditChainState *state)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify)mc_audit_entry_free);

  g_assert_true (mc_audit_walk (dir, collect, entries, state, &error));
  g_assert_no_error (error);
  return entries;
}
