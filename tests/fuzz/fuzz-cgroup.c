/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for /proc/PID/cgroup, whose paths name cgroups the
 * caller may have created itself.  The input is the file's contents, given
 * to _mc_caller_info_user_unit_from_cgroup() as
 * _mc_caller_info_host_app_from_cgroup() gives it, and any unit found goes
 * on to _mc_caller_info_parse_app_unit(), as it does there.  Besides
 * crashes, sanitizer reports and criticals it checks that a unit found is
 * one whole path component of the input, a scope or a service, and that an
 * app id parsed from it is a valid one.
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

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *cgroup = fuzz_dup_string (data, size);
  g_autofree char *unit = NULL;
  g_autofree char *launcher = NULL;
  g_autofree char *app_id = NULL;
  g_autofree char *component = NULL;
  gsize unit_len;

  unit = _mc_caller_info_user_unit_from_cgroup (cgroup);
  if (unit == NULL)
    return 0;

  unit_len = strlen (unit);
  check (unit_len > 0);
  check (strchr (unit, '/') == NULL && strchr (unit, '\n') == NULL);
  check (g_str_has_suffix (unit, ".scope") || g_str_has_suffix (unit, ".service"));
  /* A user unit sits below a user manager in the path. */
  check (strstr (cgroup, "/user@") != NULL);
  component = g_strconcat ("/", unit, NULL);
  check (strstr (cgroup, component) != NULL);

  if (_mc_caller_info_parse_app_unit (unit, &launcher, &app_id))
    {
      check (_mc_caller_info_is_valid_app_id (app_id));
      check (g_str_has_prefix (unit, "app-"));
      check (launcher == NULL || launcher[0] != '\0');
    }
  else
    {
      check (app_id == NULL && launcher == NULL);
    }

  return 0;
}
