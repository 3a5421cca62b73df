/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* A bus peer for tests: connects to the bus at argv[1], prints its unique
 * name on stdout, and stays connected until its stdin is closed, so the
 * test decides when it leaves. It may run inside a sandbox (bwrap), so it
 * needs nothing but the bus socket and its own libraries. */

#include "config.h"

#include <gio/gio.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  if (argc != 2)
    {
      g_printerr ("Usage: %s BUS-ADDRESS\n", argv[0]);
      return 2;
    }

  connection = g_dbus_connection_new_for_address_sync (argv[1],
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  if (connection == NULL)
    {
      g_printerr ("caller-probe: %s\n", error->message);
      return 1;
    }

  printf ("%s\n", g_dbus_connection_get_unique_name (connection));
  fflush (stdout);

  for (;;)
    {
      char buffer[64];
      gssize n_read = read (STDIN_FILENO, buffer, sizeof buffer);

      if (n_read == 0 || (n_read < 0 && errno != EINTR))
        break;
    }

  return 0;
}
