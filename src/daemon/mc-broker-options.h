/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-options.h"

G_BEGIN_DECLS

#define MC_BROKER_MAX_ELICITATION_ID_LENGTH 256
#define MC_BROKER_MAX_SERVER_URL_LENGTH 8192
#define MC_BROKER_DEFAULT_TIMEOUT 300
#define MC_BROKER_MAX_TIMEOUT 3600
#define MC_BROKER_DEFAULT_AUTHORIZE_TIMEOUT 600
#define MC_BROKER_DEFAULT_AUDIT_EVENTS 100
#define MC_BROKER_MAX_AUDIT_EVENTS 1000
#define MC_BROKER_MAX_AUDIT_KINDS 16

/* The server dictionary of ElicitUrl and CompleteElicitation. */
extern const McOptionKey mc_broker_server_keys[];
extern const gsize       mc_broker_n_server_keys;
/* The server dictionary of CheckUrl: nothing required. */
extern const McOptionKey mc_broker_check_server_keys[];
extern const gsize       mc_broker_n_check_server_keys;
/* The options of ElicitUrl. */
extern const McOptionKey mc_broker_elicit_option_keys[];
extern const gsize       mc_broker_n_elicit_option_keys;

/* The options of Authorize and GetToken. */
extern const McOptionKey mc_broker_authorize_option_keys[];
extern const gsize       mc_broker_n_authorize_option_keys;
extern const McOptionKey mc_broker_get_token_option_keys[];
extern const gsize       mc_broker_n_get_token_option_keys;

/* The options of ListAuditEvents. */
extern const McOptionKey mc_broker_audit_option_keys[];
extern const gsize       mc_broker_n_audit_option_keys;

G_END_DECLS
