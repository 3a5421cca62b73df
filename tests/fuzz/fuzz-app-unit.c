/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for _mc_caller_info_parse_app_unit(), the systemd unit
 * name parser behind the host-app identity.  The input is the unit name,
 * up to the first NUL.  (fuzz-cgroup reaches the same parser only through
 * a well-formed cgroup path; this target feeds it directly.)  Besides
 * crashes, sanitizer reports and criticals it checks that an accepted name
 * yields a valid app id and a plain launcher, and that the parse is
 * canonical: the app id and launcher, escaped the way systemd escapes them
 * into any of the three app unit forms, parse back to themselves.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-caller-info-private.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

/* systemd escapes "-" inside the id, since "-" separates the parts. */
static char *
escape_app_id (const char *app_id)
{
  GString *escaped = g_string_new (NULL);

  for (const char *p = app_id; *p != '\0'; p++)
    {
      if (*p == '-')
        g_string_append (escaped, "\\x2d");
      else
        g_string_append_c (escaped, *p);
    }

  return g_string_free (escaped, FALSE);
}

static void
check_reparses (const char *launcher,
                const char *app_id)
{
  g_autofree char *escaped = escape_app_id (app_id);
  g_autofree char *prefix = g_strconcat ("app-", launcher ? launcher : "", launcher ? "-" : "",
                                         escaped, NULL);
  const char *suffixes[] = { "-1.scope", ".service", "@1.service" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *unit = g_strconcat (prefix, suffixes[i], NULL);
      g_autofree char *launcher2 = NULL;
      g_autofree char *app_id2 = NULL;

      /* systemd's limit, which the parser enforces too. */
      if (strlen (unit) > 255)
        continue;

      check (_mc_caller_info_parse_app_unit (unit, &launcher2, &app_id2));
      check (g_strcmp0 (launcher, launcher2) == 0);
      check (g_str_equal (app_id, app_id2));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *unit = fuzz_dup_string (data, size);
  g_autofree char *launcher = NULL;
  g_autofree char *app_id = NULL;
  gboolean parsed;

  parsed = _mc_caller_info_parse_app_unit (unit, &launcher, &app_id);
  check (_mc_caller_info_parse_app_unit (unit, NULL, NULL) == parsed);

  if (!parsed)
    {
      check (launcher == NULL && app_id == NULL);
      return 0;
    }

  check (strlen (unit) <= 255);
  check (g_str_has_prefix (unit, "app-"));
  check (g_str_has_suffix (unit, ".scope") || g_str_has_suffix (unit, ".service"));
  check (_mc_caller_info_is_valid_app_id (app_id));
  if (launcher != NULL)
    {
      check (launcher[0] != '\0');
      for (const char *p = launcher; *p != '\0'; p++)
        check (g_ascii_isalnum (*p) || *p == '_');
    }

  check_reparses (launcher, app_id);

  return 0;
}
