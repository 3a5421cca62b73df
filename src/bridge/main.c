/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "mc-bridge.h"
#include "mc-bridge-elicitation.h"
#include "mc-bridge-options.h"
#include "mc-bridge-proxy.h"
#include "mc-broker-auth.h"
#include "mc-broker-client.h"

/* mcp-consent-bridge: an MCP client's stdio to a remote MCP server.
 * stdout carries JSON-RPC messages and nothing else; everything for
 * people goes to stderr, one line each, prefixed with the program's name
 * so that an MCP client's log shows where it came from. */

#define PROGRAM "mcp-consent-bridge"
/* Exit status of a command line that cannot be used. */
#define EXIT_USAGE 2

static gboolean log_silent;
static gboolean log_verbose;

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }

  /* --verbose shows the bridge's own debug messages; G_MESSAGES_DEBUG
   * those of GLib and libsoup too. */
  if (g_log_writer_default_would_drop (log_level, domain) &&
      !(log_verbose && (log_level & G_LOG_LEVEL_DEBUG) && g_strcmp0 (domain, G_LOG_DOMAIN) == 0))
    return G_LOG_WRITER_HANDLED;
  if (log_silent && (log_level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)))
    return G_LOG_WRITER_HANDLED;
  if (message == NULL)
    message = "";

  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    fprintf (stderr, "%s: %s-CRITICAL: %s\n", PROGRAM, domain != NULL ? domain : "", message);
  else if (log_level & G_LOG_LEVEL_DEBUG)
    fprintf (stderr, "%s: debug: %s\n", PROGRAM, message);
  else
    fprintf (stderr, "%s: %s\n", PROGRAM, message);
  fflush (stderr);

  return G_LOG_WRITER_HANDLED;
}

static gboolean
on_signal (gpointer user_data)
{
  g_debug ("Stopping on a signal");
  mc_bridge_stop (MC_BRIDGE (user_data));
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  GMainLoop *loop;
  int        exit_status;
} Run;

static void
on_done (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;

  run->exit_status = mc_bridge_run_finish (MC_BRIDGE (source_object), result, NULL);
  g_main_loop_quit (run->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(McBridgeOptions) options = NULL;
  g_autoptr(GProxyResolver) proxy_resolver = NULL;
  g_autoptr(McBridge) bridge = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) bus_error = NULL;
  g_autoptr(McBrokerClient) broker = NULL;
  g_autoptr(McBrokerAuth) auth = NULL;
  g_autoptr(McBridgeElicitation) elicitation = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = NULL;
  Run run = { NULL, 0 };
  guint signal_sources[3] = { 0, 0, 0 };
  const int stop_signals[3] = { SIGTERM, SIGINT, SIGHUP };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* A client that exits while a line is written gives EPIPE, handled as
   * such, not a signal that kills the bridge before it ends the session. */
  signal (SIGPIPE, SIG_IGN);
  g_log_set_writer_func (log_writer, NULL, NULL);

  envp = g_get_environ ();
  options = mc_bridge_options_parse (argc, argv, (const char * const *) envp, &error);
  if (options == NULL)
    {
      fprintf (stderr, "%s: %s\n", PROGRAM, error->message);
      return EXIT_USAGE;
    }

  if (options->show_version)
    {
      g_print ("%s %s\n", PROGRAM, PACKAGE_VERSION);
      return 0;
    }

  log_verbose = options->verbose;
  log_silent = options->silent;
  for (guint i = 0; i < options->notes->len; i++)
    g_message ("%s", (const char *) options->notes->pdata[i]);
  for (guint i = 0; i < options->header_names->len; i++)
    g_debug ("Sending the header %s with every request", (const char *) options->header_names->pdata[i]);

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  proxy_resolver = mc_bridge_proxy_resolver_new ((const char * const *) envp);
  bridge = mc_bridge_new (options, proxy_resolver, STDIN_FILENO, STDOUT_FILENO);

  /* Sign-ins and URL elicitations go to the broker. Without a session bus
   * the bridge still serves servers that need neither, and says why it
   * cannot when one does. Connecting to a local socket takes about a
   * millisecond, before anything else runs. */
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &bus_error);
  if (bus != NULL)
    broker = mc_broker_client_new (bus);
  else
    g_debug ("No session bus: %s", bus_error->message);
  auth = mc_broker_auth_new (broker, options->url, bus_error);
  mc_bridge_set_auth (bridge, MC_BRIDGE_AUTH (auth));
  elicitation = mc_bridge_elicitation_new (bridge, broker, bus_error);
  for (gsize i = 0; i < G_N_ELEMENTS (stop_signals); i++)
    signal_sources[i] = g_unix_signal_add (stop_signals[i], on_signal, bridge);

  g_debug ("Bridging stdio to %s", options->url);
  mc_bridge_run_async (bridge, NULL, on_done, &run);
  g_main_loop_run (loop);

  for (gsize i = 0; i < G_N_ELEMENTS (signal_sources); i++)
    g_source_remove (signal_sources[i]);
  g_clear_object (&elicitation);
  /* Gives stdout its blocking mode back. */
  g_clear_object (&bridge);

  return run.exit_status;
}
