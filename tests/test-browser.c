/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The "web browser" of the tests: registered as the default handler of
 * x-scheme-handler/http(s) through mimeapps.list, as a real browser is on a
 * desktop, it appends every argument it gets, one per line, to
 * $MCP_CONSENT_TEST_BROWSER_LOG. */

#include "config.h"

#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <unistd.h>

int
main (int   argc,
      char *argv[])
{
  const char *path = g_getenv ("MCP_CONSENT_TEST_BROWSER_LOG");
  int fd = -1;

  if (path == NULL)
    {
      g_printerr ("test-browser: MCP_CONSENT_TEST_BROWSER_LOG is not set\n");
      return EXIT_FAILURE;
    }

  fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return EXIT_FAILURE;

  for (int i = 1; i < argc; i++)
    {
      g_autofree char *line = g_strconcat (argv[i], "\n", NULL);

      /* One write per line keeps concurrent launches from interleaving. */
      if (write (fd, line, strlen (line)) < 0)
        return EXIT_FAILURE;
    }

  close (fd);
  return EXIT_SUCCESS;
}
