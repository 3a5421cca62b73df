/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest URL (in bytes) the OAuth code reads: servers' URLs, endpoints,
 * issuers.  Real ones are a few hundred bytes. */
#define MC_OAUTH_URL_MAX_LENGTH 8192

/* What the consent dialog can show as checkboxes: more, or longer, and a
 * list stops being something a person can read before agreeing to it. */
#define MC_OAUTH_MAX_SCOPES 64
#define MC_OAUTH_MAX_SCOPE_LENGTH 200

char      *mc_oauth_canonical_resource       (const char          *url,
                                              GError             **error);
gboolean   mc_oauth_same_resource            (const char          *a,
                                              const char          *b);
char      *mc_oauth_origin                   (const char          *url,
                                              GError             **error);
gboolean   mc_oauth_same_origin              (const char          *a,
                                              const char          *b);
GPtrArray *mc_oauth_prm_urls                 (const char          *resource);
GPtrArray *mc_oauth_as_metadata_urls         (const char          *issuer);
gboolean   mc_oauth_url_is_acceptable        (const char          *url,
                                              GError             **error);
gboolean   mc_oauth_host_is_loopback         (const char          *host);
gboolean   mc_oauth_is_valid_scope_token     (const char          *scope);
gboolean   mc_oauth_check_scopes_shown       (const char * const  *scopes,
                                              GError             **error);
GStrv      mc_oauth_scope_split              (const char          *scope,
                                              GError             **error);
char      *mc_oauth_scope_join               (const char * const  *scopes);
GStrv      mc_oauth_scopes_union             (const char * const  *a,
                                              const char * const  *b);
GStrv      mc_oauth_scopes_minus             (const char * const  *a,
                                              const char * const  *b);
gboolean   mc_oauth_scopes_subset            (const char * const  *scopes,
                                              const char * const  *of);

G_END_DECLS
