/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *mc_pkce_new_verifier       (void);
char *mc_pkce_challenge_s256     (const char *verifier);
char *mc_oauth_random_token      (gsize       n_bytes);

G_END_DECLS
