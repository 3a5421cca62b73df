/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *mc_pkce_new_verifier       (void);
gboolean  mc_pkce_verifier_is_valid  (const char *verifier);
char     *mc_pkce_challenge_s256     (const char *verifier);
char     *mc_oauth_random_token      (gsize       n_bytes);
void      mc_oauth_secret_free       (char       *secret);

G_END_DECLS
