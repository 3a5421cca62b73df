/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-mock-oauth.h"
#include "mc-test-client.h"
#include "mc-test-env.h"

G_BEGIN_DECLS

/* What an HTTP request of the daemon may take in the OAuth tests
 * (MCP_CONSENT_HTTP_TIMEOUT), so that a server that never answers fails
 * a test in seconds. */
#define MC_TEST_OAUTH_HTTP_TIMEOUT 2

/**
 * McTestOAuth:
 * @env: the test's world, with a real unlocked gnome-keyring
 * @mock: the authorization server and MCP server the test controls
 * @client: an MCP client of the broker
 *
 * The daemon built in the tree, on the test's bus, signing in to @mock.
 * The test plays the user (the scripted prompter's answers) and the
 * user's browser (mc_test_oauth_play_browser()).
 */
typedef struct
{
  McTestEnv    *env;
  McMockOAuth  *mock;
  McTestClient *client;
  guint         browser_calls;
} McTestOAuth;

McTestOAuth *mc_test_oauth_new                   (const McMockOAuthOptions *options,
                                                  McTestEnvFlags            flags);
void         mc_test_oauth_free                  (McTestOAuth              *self);
char        *mc_test_oauth_authorize             (McTestOAuth              *self,
                                                  const char               *resource_url,
                                                  GVariant                 *options,
                                                  GError                  **error);
guint32      mc_test_oauth_wait_response         (McTestOAuth              *self,
                                                  const char               *handle,
                                                  GVariant                **out_results);
char        *mc_test_oauth_wait_authorization_url (McTestOAuth             *self);
char        *mc_test_oauth_play_browser          (McTestOAuth              *self);
char        *mc_test_oauth_sign_in               (McTestOAuth              *self,
                                                  const char               *answer,
                                                  GVariant                 *options);
char        *mc_test_oauth_get_token             (McTestOAuth              *self,
                                                  const char               *resource_url,
                                                  gboolean                  refresh,
                                                  GVariant                **out_info,
                                                  GError                  **error);
GVariant    *mc_test_oauth_list_grants           (McTestOAuth              *self);
const char  *mc_test_oauth_results_string        (GVariant                 *results,
                                                  const char               *key);
char        *mc_test_oauth_url_param             (const char               *url,
                                                  const char               *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McTestOAuth, mc_test_oauth_free)

G_END_DECLS
