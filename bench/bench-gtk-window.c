/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The floor for "dialog on screen": the least a GTK 4 program does to
 * map one window.  bench-dialog times it beside the real dialog.
 *
 *   bench-gtk-window [--window]  maps one window at start (cold start)
 *   bench-gtk-window --stdin     maps a new window for every line read on
 *                                stdin, taking down the previous one (a
 *                                running program showing another window)
 *   bench-gtk-window --prompter  speaks the daemon's private Prompter1
 *                                protocol on fd 3 like mcp-consent-prompter,
 *                                a new window per ShowPrompt, destroyed on
 *                                Dismiss: the daemon's own share of the
 *                                path, with the least possible dialog
 *
 * The daemon starts its dialog without arguments, so the mode may also
 * come from MC_BENCH_GTK_WINDOW_MODE ("stdin", "prompter").
 *
 * No GtkApplication: registering on the bus is a cost a minimal program
 * need not pay.  It runs until killed or, with --prompter, until the
 * daemon closes the channel.
 */

#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <gtk/gtk.h>
#include <stdlib.h>

#include "mc-dbus.h"

#define CHANNEL_FD 3
#define PROMPTER_PATH "/io/github/mcp_consent/Prompter"

static GtkWidget *window;
static gboolean done;

static void
show_window (const char *text)
{
  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));

  /* About the dialog's size, so the server draws as many pixels. */
  window = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), "Benchmark window");
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 360);
  gtk_window_set_child (GTK_WINDOW (window), gtk_label_new (text));
  gtk_window_present (GTK_WINDOW (window));
}

static void
hide_window (void)
{
  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  window = NULL;
}

static gboolean
on_stdin (GIOChannel   *channel,
          GIOCondition  condition,
          gpointer      user_data)
{
  g_autofree char *line = NULL;
  GIOStatus status;

  status = g_io_channel_read_line (channel, &line, NULL, NULL, NULL);
  if (status == G_IO_STATUS_EOF || status == G_IO_STATUS_ERROR)
    {
      done = TRUE;
      return G_SOURCE_REMOVE;
    }
  if (status == G_IO_STATUS_NORMAL)
    show_window ("Another window");
  return G_SOURCE_CONTINUE;
}

static gboolean
handle_show_prompt (McDbusPrompter1       *skeleton,
                    GDBusMethodInvocation *invocation,
                    const char            *prompt_id,
                    GVariant              *details)
{
  const char *url = NULL;

  g_variant_lookup (details, "url", "&s", &url);
  show_window (url != NULL ? url : prompt_id);
  mc_dbus_prompter1_complete_show_prompt (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_show_opened (McDbusPrompter1       *skeleton,
                    GDBusMethodInvocation *invocation,
                    const char            *prompt_id,
                    GVariant              *details)
{
  mc_dbus_prompter1_complete_show_opened (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_show_open_failed (McDbusPrompter1       *skeleton,
                         GDBusMethodInvocation *invocation,
                         const char            *prompt_id,
                         const char            *reason)
{
  mc_dbus_prompter1_complete_show_open_failed (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_dismiss (McDbusPrompter1       *skeleton,
                GDBusMethodInvocation *invocation,
                const char            *prompt_id)
{
  hide_window ();
  mc_dbus_prompter1_complete_dismiss (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_closed (GDBusConnection *connection,
           gboolean         remote_peer_vanished,
           GError          *error,
           gpointer         user_data)
{
  done = TRUE;
}

static GDBusConnection *
serve_prompter (McDbusPrompter1 *skeleton)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new_from_fd (CHANNEL_FD, &error);
  if (socket == NULL)
    g_error ("No channel on fd %d: %s", CHANNEL_FD, error->message);
  fcntl (CHANNEL_FD, F_SETFD, FD_CLOEXEC);

  stream = g_socket_connection_factory_create_connection (socket);
  connection = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                           G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
                                           NULL, NULL, &error);
  if (connection == NULL)
    g_error ("Cannot speak D-Bus on the channel: %s", error->message);

  g_signal_connect (skeleton, "handle-show-prompt", G_CALLBACK (handle_show_prompt), NULL);
  g_signal_connect (skeleton, "handle-show-opened", G_CALLBACK (handle_show_opened), NULL);
  g_signal_connect (skeleton, "handle-show-open-failed", G_CALLBACK (handle_show_open_failed), NULL);
  g_signal_connect (skeleton, "handle-dismiss", G_CALLBACK (handle_dismiss), NULL);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (skeleton), connection, PROMPTER_PATH, &error))
    g_error ("Cannot export the prompter: %s", error->message);

  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), NULL);
  g_dbus_connection_start_message_processing (connection);
  return g_steal_pointer (&connection);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(McDbusPrompter1) skeleton = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GIOChannel) input = NULL;
  const char *mode = g_getenv ("MC_BENCH_GTK_WINDOW_MODE");

  if (argc > 1 && g_str_has_prefix (argv[1], "--"))
    mode = argv[1] + 2;
  if (mode == NULL)
    mode = "";

  gtk_init ();

  if (g_str_equal (mode, "stdin"))
    {
      input = g_io_channel_unix_new (STDIN_FILENO);
      g_io_add_watch (input, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
    }
  else if (g_str_equal (mode, "prompter"))
    {
      skeleton = mc_dbus_prompter1_skeleton_new ();
      connection = serve_prompter (skeleton);
    }
  else
    show_window ("Benchmark window");

  while (!done)
    g_main_context_iteration (NULL, TRUE);

  hide_window ();
  return EXIT_SUCCESS;
}
