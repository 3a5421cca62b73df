/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-grant-store.h"

G_BEGIN_DECLS

/* Friend API of McGrantStore: the state file's parser and writer without
 * the file, for the fuzzer and the tests. */

McGrantStore *_mc_grant_store_new_empty       (const char    *path);
gboolean      _mc_grant_store_load_from_data  (McGrantStore  *self,
                                               const char    *contents,
                                               gsize          length,
                                               GError       **error);
GBytes       *_mc_grant_store_serialize       (McGrantStore  *self);

G_END_DECLS
