/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-test-env.h"

G_BEGIN_DECLS

/**
 * McTestClient:
 * @connection: its own connection to the test's bus
 *
 * One D-Bus client of the broker, as an MCP client would be: it collects
 * every Response sent to it, so that none is missed however late the test
 * waits for it.
 */
typedef struct
{
  GDBusConnection *connection;
  guint            subscription;
  /* object path → GVariant (ua{sv}) */
  GHashTable      *responses;
} McTestClient;

McTestClient *mc_test_client_new            (McTestEnv     *env);
void          mc_test_client_free           (McTestClient  *client);
GVariant     *mc_test_client_call           (McTestClient  *client,
                                             const char    *method,
                                             GVariant      *parameters,
                                             GError       **error);
gboolean      mc_test_client_has_response   (McTestClient  *client,
                                             const char    *handle);
guint32       mc_test_client_wait_response  (McTestClient  *client,
                                             const char    *handle,
                                             GVariant     **out_results);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McTestClient, mc_test_client_free)

G_END_DECLS
