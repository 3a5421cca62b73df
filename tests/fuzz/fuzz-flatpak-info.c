/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for a caller's /.flatpak-info, which the sandbox
 * provides.  The input is the file's contents, given to
 * _mc_caller_info_parse_flatpak_info() with its length, as
 * inspect_flatpak_info() gives it.
 * Besides crashes, sanitizer reports and criticals it checks what the
 * identity relies on: an accepted file yields an app id that
 * _mc_caller_info_is_valid_app_id() accepts (it becomes "flatpak:APPID"
 * and names APPID.desktop) and a non-empty UTF-8 instance id, and only
 * from a file without a NUL; a refused file yields nothing and an
 * INVALID_DATA error in UTF-8.
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
  const char *contents = (const char *) data;
  g_autofree char *app_id = NULL;
  g_autofree char *instance_id = NULL;
  g_autoptr(GError) error = NULL;
  gboolean parsed;

  parsed = _mc_caller_info_parse_flatpak_info (contents, size, &app_id, &instance_id, &error);

  if (parsed)
    {
      check (error == NULL);
      /* We must see the file Flatpak and the portal see, to its end. */
      check (memchr (contents, '\0', size) == NULL);
      check (_mc_caller_info_is_valid_app_id (app_id));
      check (instance_id != NULL && instance_id[0] != '\0');
      check (g_utf8_validate (instance_id, -1, NULL));
    }
  else
    {
      check (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
      check (g_utf8_validate (error->message, -1, NULL));
      check (app_id == NULL && instance_id == NULL);
    }

  /* The outputs are optional, and leaving them out changes nothing. */
  check (_mc_caller_info_parse_flatpak_info (contents, size, NULL, NULL, NULL) == parsed);

  return 0;
}
