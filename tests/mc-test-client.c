/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-test-client.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"
#define REQUEST_IFACE "io.github.mcp_consent.Request1"

static void
on_response (GDBusConnection *connection,
             const char      *sender_name,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  McTestClient *client = user_data;

  /* A request is answered once. */
  g_assert_false (g_hash_table_contains (client->responses, object_path));
  g_hash_table_insert (client->responses, g_strdup (object_path), g_variant_ref (parameters));
}

McTestClient *
mc_test_client_new (McTestEnv *env)
{
  McTestClient *client = g_new0 (McTestClient, 1);

  client->connection = mc_test_env_connect (env);
  client->responses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
  client->subscription = g_dbus_connection_signal_subscribe (client->connection, BUS_NAME, REQUEST_IFACE,
                                                             "Response", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                             on_response, client, NULL);
  return client;
}

void
mc_test_client_free (McTestClient *client)
{
  g_dbus_connection_signal_unsubscribe (client->connection, client->subscription);
  if (!g_dbus_connection_is_closed (client->connection))
    g_dbus_connection_close_sync (client->connection, NULL, NULL);
  g_object_unref (client->connection);
  g_hash_table_unref (client->responses);
  g_free (client);
}

/**
 * mc_test_client_call:
 * @client: a client
 * @method: a Broker1 method
 * @parameters: (transfer floating): its arguments
 * @error: return location for the D-Bus error
 *
 * Returns: (transfer full) (nullable): the reply
 */
GVariant *
mc_test_client_call (McTestClient  *client,
                     const char    *method,
                     GVariant      *parameters,
                     GError       **error)
{
  return g_dbus_connection_call_sync (client->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE,
                                      method, parameters, NULL, G_DBUS_CALL_FLAGS_NONE,
                                      MC_TEST_TIMEOUT_SECONDS * 1000, NULL, error);
}

gboolean
mc_test_client_has_response (McTestClient *client,
                             const char   *handle)
{
  return g_hash_table_contains (client->responses, handle);
}

typedef struct
{
  McTestClient *client;
  const char   *handle;
} ResponseWait;

static gboolean
has_response (gpointer user_data)
{
  ResponseWait *wait = user_data;

  return mc_test_client_has_response (wait->client, wait->handle);
}

/**
 * mc_test_client_wait_response:
 * @client: a client
 * @handle: the request's object path
 * @out_results: (out) (optional) (transfer full): the results
 *
 * Waits, with the tests' deadline, for the Response to @handle.
 *
 * Returns: its response code
 */
guint32
mc_test_client_wait_response (McTestClient  *client,
                              const char    *handle,
                              GVariant     **out_results)
{
  ResponseWait wait = { client, handle };
  GVariant *response = NULL;
  guint32 code = 0;

  mc_test_wait_until (has_response, &wait, "a Response");
  response = g_hash_table_lookup (client->responses, handle);
  g_variant_get (response, "(u@a{sv})", &code, out_results);
  return code;
}
