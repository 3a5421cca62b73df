/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* A bus peer for tests: connects to the bus at argv[1], prints its unique
 * name on stdout, and stays connected until its stdin is closed, so the
 * test decides when it leaves. It may run inside a sandbox (bwrap), so it
 * needs nothing but the bus socket and its own libraries.
 *
 * With a command after the address it is instead one caller of the
 * broker's grant methods, for the tests of whose grant is whose; it makes
 * the call, prints one line and exits 0 whatever the broker answered:
 *
 *   caller-probe ADDRESS get-token URL     → "token" or "error NAME"
 *   caller-probe ADDRESS list-grants       → "grants N" or "error NAME"
 *   caller-probe ADDRESS revoke-grant ID   → "revoked" or "error NAME"
 *   caller-probe ADDRESS elicit URL        → "response CODE" once the
 *     prompt is answered, or "error NAME"
 *   caller-probe ADDRESS list-audit-events → "events N" or "error NAME"
 *
 * The token itself is never printed: the test only needs to know whether
 * this caller got one. */

#include "config.h"

#include <gio/gio.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"

static int
usage (const char *program)
{
  g_printerr ("Usage: %s BUS-ADDRESS [get-token URL | list-grants | revoke-grant ID | elicit URL | "
              "list-audit-events]\n", program);
  return 2;
}

static void
on_response (GDBusConnection *connection,
             const char      *sender_name,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  guint32 *code = user_data;

  g_variant_get (parameters, "(u@a{sv})", code, NULL);
}

/* ElicitUrl for a server of the test, then the wait for its Response:
 * the caller stays on the bus until the prompt is answered.  Subscribed
 * before the call, so the Response cannot come first; a probe makes one
 * request, so any Response is its own. */
static int
elicit (GDBusConnection *connection,
        const char      *url)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) server = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  guint32 code = G_MAXUINT32;
  guint subscription;

  subscription = g_dbus_connection_signal_subscribe (connection, BUS_NAME, "io.github.mcp_consent.Request1",
                                                     "Response", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                     on_response, &code, NULL);
  g_variant_builder_add (&server, "{sv}", "name", g_variant_new_string ("Probe Server"));
  g_variant_builder_add (&server, "{sv}", "url", g_variant_new_string ("https://mcp.example.com/mcp"));
  reply = g_dbus_connection_call_sync (connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "ElicitUrl",
                                       g_variant_new ("(s@a{sv}ss@a{sv})", "", g_variant_builder_end (&server),
                                                      url, "From the probe", g_variant_new ("a{sv}", NULL)),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    {
      g_autofree char *name = g_dbus_error_get_remote_error (error);

      printf ("error %s\n", name != NULL ? name : error->message);
    }
  else
    {
      /* The test's deadline bounds this wait: it kills the probe. */
      while (code == G_MAXUINT32)
        g_main_context_iteration (NULL, TRUE);
      printf ("response %u\n", code);
    }

  g_dbus_connection_signal_unsubscribe (connection, subscription);
  fflush (stdout);
  return 0;
}

/* One method call of the broker; prints its outcome. */
static int
call_broker (GDBusConnection  *connection,
             const char       *command,
             const char       *argument)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *method = NULL;
  GVariant *parameters = NULL;

  if (g_str_equal (command, "get-token") && argument != NULL)
    {
      method = "GetToken";
      parameters = g_variant_new ("(s@a{sv})", argument, g_variant_new ("a{sv}", NULL));
    }
  else if (g_str_equal (command, "list-grants") && argument == NULL)
    {
      method = "ListGrants";
    }
  else if (g_str_equal (command, "list-audit-events") && argument == NULL)
    {
      method = "ListAuditEvents";
      parameters = g_variant_new ("(@a{sv})", g_variant_new ("a{sv}", NULL));
    }
  else if (g_str_equal (command, "revoke-grant") && argument != NULL)
    {
      method = "RevokeGrant";
      parameters = g_variant_new ("(s)", argument);
    }
  else if (g_str_equal (command, "elicit") && argument != NULL)
    return elicit (connection, argument);
  else
    return -1;

  reply = g_dbus_connection_call_sync (connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, method, parameters,
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    {
      g_autofree char *name = g_dbus_error_get_remote_error (error);

      printf ("error %s\n", name != NULL ? name : error->message);
    }
  else if (g_str_equal (method, "GetToken"))
    printf ("token\n");
  else if (g_str_equal (method, "ListGrants"))
    {
      g_autoptr(GVariant) grants = g_variant_get_child_value (reply, 0);

      printf ("grants %" G_GSIZE_FORMAT "\n", g_variant_n_children (grants));
    }
  else if (g_str_equal (method, "ListAuditEvents"))
    {
      g_autoptr(GVariant) events = g_variant_get_child_value (reply, 0);

      printf ("events %" G_GSIZE_FORMAT "\n", g_variant_n_children (events));
    }
  else
    printf ("revoked\n");

  fflush (stdout);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  if (argc < 2 || argc > 4)
    return usage (argv[0]);

  connection = g_dbus_connection_new_for_address_sync (argv[1],
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  if (connection == NULL)
    {
      g_printerr ("caller-probe: %s\n", error->message);
      return 1;
    }

  if (argc > 2)
    {
      int status = call_broker (connection, argv[2], argc > 3 ? argv[3] : NULL);

      return status >= 0 ? status : usage (argv[0]);
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
