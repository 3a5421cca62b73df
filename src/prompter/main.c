/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <sys/stat.h>

#include "mc-prompter-application.h"

/* mcp-consentd hands us one end of a socketpair as this descriptor. */
#define DAEMON_CHANNEL_FD 3

static GSocketConnection *
take_daemon_channel (void)
{
  g_autoptr(GSocket) socket = NULL;
  struct stat st;

  if (fstat (DAEMON_CHANNEL_FD, &st) != 0 || !S_ISSOCK (st.st_mode))
    return NULL;

  socket = g_socket_new_from_fd (DAEMON_CHANNEL_FD, NULL);
  if (socket == NULL)
    return NULL;

  /* Nothing we might start (a helper of GTK's) may inherit the channel. */
  fcntl (DAEMON_CHANNEL_FD, F_SETFD, FD_CLOEXEC);

  return g_socket_connection_factory_create_connection (socket);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(McPrompterApplication) app = NULL;
  g_autoptr(GSocketConnection) channel = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  channel = take_daemon_channel ();
  if (channel == NULL)
    {
      g_printerr ("%s\n", _("mcp-consent-prompter is started by mcp-consentd"));
      return 1;
    }

  app = mc_prompter_application_new (G_IO_STREAM (channel));
  status = g_application_run (G_APPLICATION (app), argc, argv);

  return status != 0 ? status : mc_prompter_application_get_exit_status (app);
}
