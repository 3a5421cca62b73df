/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * McBrokerResponse:
 * @MC_BROKER_RESPONSE_SUCCESS: the user accepted (or signed in)
 * @MC_BROKER_RESPONSE_DECLINED: the user declined
 * @MC_BROKER_RESPONSE_CANCELLED: dismissed, timed out or failed; the
 *   results' "reason" and "message" say which
 *
 * The response codes of a Request1's Response signal.
 */
typedef enum
{
  MC_BROKER_RESPONSE_SUCCESS = 0,
  MC_BROKER_RESPONSE_DECLINED = 1,
  MC_BROKER_RESPONSE_CANCELLED = 2,
} McBrokerResponse;

/**
 * McBrokerServer:
 * @name: the MCP server's name (serverInfo.name); required for URL
 *   elicitations
 * @title: (nullable): its display title
 * @version: (nullable): its version
 * @url: (nullable): its MCP endpoint
 *
 * Who asks, as the broker's `a{sv} server` argument describes it.
 */
typedef struct
{
  const char *name;
  const char *title;
  const char *version;
  const char *url;
} McBrokerServer;

#define MC_TYPE_BROKER_CLIENT (mc_broker_client_get_type ())

G_DECLARE_FINAL_TYPE (McBrokerClient, mc_broker_client, MC, BROKER_CLIENT, GObject)

McBrokerClient *mc_broker_client_new                     (GDBusConnection      *connection);
GDBusConnection *mc_broker_client_get_connection         (McBrokerClient       *self);

void            mc_broker_client_authorize_async         (McBrokerClient       *self,
                                                          const char           *resource_url,
                                                          const char           *www_authenticate,
                                                          const char * const   *scopes,
                                                          guint                 timeout_seconds,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
McBrokerResponse mc_broker_client_authorize_finish       (McBrokerClient       *self,
                                                          GAsyncResult         *result,
                                                          GVariant            **out_results,
                                                          GError              **error);

void            mc_broker_client_get_token_async         (McBrokerClient       *self,
                                                          const char           *resource_url,
                                                          gboolean              refresh,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
char           *mc_broker_client_get_token_finish        (McBrokerClient       *self,
                                                          GAsyncResult         *result,
                                                          GVariant            **out_info,
                                                          GError              **error);

void            mc_broker_client_elicit_url_async        (McBrokerClient       *self,
                                                          const McBrokerServer *server,
                                                          const char           *url,
                                                          const char           *message,
                                                          const char           *elicitation_id,
                                                          guint                 timeout_seconds,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
McBrokerResponse mc_broker_client_elicit_url_finish      (McBrokerClient       *self,
                                                          GAsyncResult         *result,
                                                          GVariant            **out_results,
                                                          GError              **error);

void            mc_broker_client_complete_elicitation_async  (McBrokerClient       *self,
                                                              const McBrokerServer *server,
                                                              const char           *elicitation_id,
                                                              GCancellable         *cancellable,
                                                              GAsyncReadyCallback   callback,
                                                              gpointer              user_data);
gboolean        mc_broker_client_complete_elicitation_finish (McBrokerClient       *self,
                                                              GAsyncResult         *result,
                                                              gboolean             *out_matched,
                                                              GError              **error);

G_END_DECLS
