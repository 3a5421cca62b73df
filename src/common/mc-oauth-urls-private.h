/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * McOAuthUrlParts:
 * @MC_OAUTH_URL_PARTS_NONE: neither a query nor a fragment
 * @MC_OAUTH_URL_PARTS_QUERY: a query is allowed
 * @MC_OAUTH_URL_PARTS_FRAGMENT: a fragment is allowed
 *
 * What a URL may have besides scheme, host, port and path.
 */
typedef enum
{
  MC_OAUTH_URL_PARTS_NONE = 0,
  MC_OAUTH_URL_PARTS_QUERY = 1 << 0,
  MC_OAUTH_URL_PARTS_FRAGMENT = 1 << 1,
} McOAuthUrlParts;

GUri *_mc_oauth_parse_url (const char       *url,
                           McOAuthUrlParts   allowed,
                           GError          **error);

G_END_DECLS
