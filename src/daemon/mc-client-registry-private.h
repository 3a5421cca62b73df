/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-client-registry.h"

G_BEGIN_DECLS

/* Friend API of McClientRegistry: the parsers of clients.ini and
 * registrations.json without the files, for the fuzzers and the tests. */

typedef struct _McClientsConfig McClientsConfig;

McClientsConfig  *_mc_clients_config_parse                          (const char        *data,
                                                                     gsize              length,
                                                                     GError           **error);
void              _mc_clients_config_free                           (McClientsConfig   *config);
McOAuthClient    *_mc_clients_config_find                           (McClientsConfig   *config,
                                                                     const char        *issuer,
                                                                     const char        *resource);
const char       *_mc_clients_config_get_metadata_url               (McClientsConfig   *config);
guint             _mc_clients_config_get_n_clients                  (McClientsConfig   *config);
char             *_mc_normalize_url                                 (const char        *url);
gboolean          _mc_check_redirect_uri                            (const char        *uri,
                                                                     GError           **error);
gboolean          _mc_check_metadata_url                            (const char        *url,
                                                                     GError           **error);

McClientRegistry *_mc_client_registry_new_empty                     (const char        *config_path,
                                                                     const char        *state_path);
gboolean          _mc_client_registry_load_registrations_from_data  (McClientRegistry  *self,
                                                                     const char        *contents,
                                                                     gsize              length,
                                                                     GError           **error);
GBytes           *_mc_client_registry_serialize_registrations       (McClientRegistry  *self);
guint             _mc_client_registry_get_n_registrations           (McClientRegistry  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McClientsConfig, _mc_clients_config_free)

G_END_DECLS
