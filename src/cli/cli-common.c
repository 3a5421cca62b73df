/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "cli-common.h"
#include "mc-error.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define REQUEST_INTERFACE "io.github.mcp_consent.Request1"
#define REQUEST_PATH_PREFIX "/io/github/mcp_consent/Broker/request/"

void
cli_print_error (const char *format,
                 ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("mcp-consent: %s\n", message);
}

/* Maps a failed call to an exit code and a one-line message. */
int
cli_report_call_error (GError *error)
{
  g_dbus_error_strip_remote_error (error);

  if (g_error_matches (error, MC_ERROR, MC_ERROR_NOT_AUTHORIZED))
    {
      cli_print_error ("%s", error->message);
      return CLI_EXIT_NOT_AUTHORIZED;
    }

  /* The broker answered, and said no. */
  if (error->domain == MC_ERROR)
    {
      cli_print_error ("%s", error->message);
      return CLI_EXIT_REFUSED;
    }

  cli_print_error (_("The MCP Consent Broker is not reachable: %s"), error->message);
  return CLI_EXIT_UNREACHABLE;
}

McDbusBroker1 *
cli_connect_broker (int *exit_status)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  McDbusBroker1 *broker = NULL;

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (connection == NULL)
    {
      cli_print_error (_("Cannot reach the session bus: %s"), error->message);
      *exit_status = CLI_EXIT_UNREACHABLE;
      return NULL;
    }

  /* No properties and no signals are needed up front; the first call
   * activates the daemon. */
  broker = mc_dbus_broker1_proxy_new_sync (connection,
                                           G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                           G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                           BUS_NAME, BROKER_PATH, NULL, &error);
  if (broker == NULL)
    {
      *exit_status = cli_report_call_error (error);
      return NULL;
    }

  /* A sign-in can take the user minutes; the answer comes as a signal,
   * but GetToken may wait for a refresh. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (broker), 120 * 1000);

  return broker;
}

gboolean
cli_parse_options (GOptionContext   *context,
                   int              *argc,
                   char           ***argv,
                   int               expected_args)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      cli_print_error ("%s", error->message);
      return FALSE;
    }

  if (*argc != expected_args + 1)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return FALSE;
    }

  return TRUE;
}

/* Waiting for a Response {{{1 */

struct _CliRequest
{
  GDBusConnection *connection;
  GMainLoop       *loop;
  char            *token;
  char            *path;
  guint            subscription;
  gboolean         answered;
  guint32          response;
  GVariant        *results;
  gboolean         interrupted;
  gboolean         broker_vanished;
};

static void
on_response (GDBusConnection *connection,
             const char      *sender_name,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  CliRequest *self = user_data;

  if (self->answered || !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    return;

  g_variant_get (parameters, "(u@a{sv})", &self->response, &self->results);
  self->answered = TRUE;
  g_main_loop_quit (self->loop);
}

static void
subscribe (CliRequest *self,
           const char *path)
{
  if (self->subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->subscription);

  g_free (self->path);
  self->path = g_strdup (path);
  self->subscription = g_dbus_connection_signal_subscribe (self->connection, BUS_NAME, REQUEST_INTERFACE,
                                                           "Response", path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                           on_response, self, NULL);
}

/**
 * cli_request_new:
 * @broker: the broker proxy
 *
 * Subscribes to the Response of the request the next call will create,
 * before the call, so that the answer cannot be missed. Pass
 * cli_request_get_token() as the call's "handle_token".
 */
CliRequest *
cli_request_new (McDbusBroker1 *broker)
{
  CliRequest *self = g_new0 (CliRequest, 1);
  g_autofree char *sender = NULL;
  g_autofree char *path = NULL;

  self->connection = g_object_ref (g_dbus_proxy_get_connection (G_DBUS_PROXY (broker)));
  self->loop = g_main_loop_new (NULL, FALSE);
  self->token = g_strdup_printf ("mcp_consent_cli_%08x", g_random_int ());

  sender = g_strdup (g_dbus_connection_get_unique_name (self->connection) + 1);
  g_strdelimit (sender, ".", '_');
  path = g_strconcat (REQUEST_PATH_PREFIX, sender, "/", self->token, NULL);
  subscribe (self, path);

  return self;
}

const char *
cli_request_get_token (CliRequest *self)
{
  return self->token;
}

static void
on_broker_vanished (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  CliRequest *self = user_data;

  /* It answers everyone before it exits; vanishing unanswered is a crash. */
  self->broker_vanished = TRUE;
  g_main_loop_quit (self->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  CliRequest *self = user_data;

  self->interrupted = TRUE;
  g_main_loop_quit (self->loop);
  return G_SOURCE_CONTINUE;
}

/**
 * cli_request_wait:
 * @self: a request
 * @handle: the object path the call returned
 * @out_response: (out): the response code
 * @out_results: (out) (transfer full): the results
 *
 * Waits for the answer. Ctrl+C closes the request, so nothing stays on
 * screen for nobody.
 *
 * Returns: %CLI_EXIT_OK once answered, otherwise the exit status
 */
int
cli_request_wait (CliRequest  *self,
                  const char  *handle,
                  guint32     *out_response,
                  GVariant   **out_results)
{
  guint sigint_id, sigterm_id, watch_id;
  int exit_status = CLI_EXIT_OK;

  if (!g_str_equal (handle, self->path))
    subscribe (self, handle);

  sigint_id = g_unix_signal_add (SIGINT, on_interrupt, self);
  sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, self);
  watch_id = g_bus_watch_name_on_connection (self->connection, BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             NULL, on_broker_vanished, self, NULL);

  if (!self->answered)
    g_main_loop_run (self->loop);

  g_bus_unwatch_name (watch_id);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  if (self->answered)
    {
      *out_response = self->response;
      *out_results = g_variant_ref (self->results);
    }
  else if (self->broker_vanished)
    {
      cli_print_error (_("The MCP Consent Broker stopped before it answered"));
      exit_status = CLI_EXIT_UNREACHABLE;
    }
  else
    {
      g_dbus_connection_call_sync (self->connection, BUS_NAME, handle, REQUEST_INTERFACE, "Close",
                                   NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL);
      exit_status = CLI_EXIT_INTERRUPTED;
    }

  return exit_status;
}

void
cli_request_free (CliRequest *self)
{
  if (self->subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->subscription);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->results, g_variant_unref);
  g_free (self->token);
  g_free (self->path);
  g_free (self);
}
