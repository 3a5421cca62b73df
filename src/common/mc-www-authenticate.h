/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Longest WWW-Authenticate header the broker reads (callers pass it over
 * D-Bus; servers send it in HTTP). */
#define MC_WWW_AUTHENTICATE_MAX_LENGTH 8192

/**
 * McBearerChallenge:
 * @realm: (nullable): the realm parameter
 * @scope: (nullable): the scope parameter, a space-separated list
 * @error: (nullable): the error parameter (e.g. "invalid_token",
 *   "insufficient_scope")
 * @error_description: (nullable): the error_description parameter
 * @resource_metadata: (nullable): the resource_metadata parameter of RFC
 *   9728 §5.1, the URL of the Protected Resource Metadata
 *
 * The Bearer challenge of a WWW-Authenticate header (RFC 6750 §3, RFC 9728
 * §5.1). Values are unquoted and unescaped, valid UTF-8; unknown
 * parameters are ignored.
 */
typedef struct
{
  char *realm;
  char *scope;
  char *error;
  char *error_description;
  char *resource_metadata;
} McBearerChallenge;

#define MC_TYPE_BEARER_CHALLENGE (mc_bearer_challenge_get_type ())

GType              mc_bearer_challenge_get_type  (void);
McBearerChallenge *mc_bearer_challenge_parse     (const char               *header,
                                                  GError                  **error);
char              *mc_bearer_challenge_to_string (const McBearerChallenge  *self);
McBearerChallenge *mc_bearer_challenge_copy      (const McBearerChallenge  *self);
void               mc_bearer_challenge_free      (McBearerChallenge        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McBearerChallenge, mc_bearer_challenge_free)

G_END_DECLS
