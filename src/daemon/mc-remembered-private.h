/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-remembered.h"

G_BEGIN_DECLS

/* Friend API of McRemembered: the state file's parser and writer without
 * the file, for the fuzzer and the tests. */

gboolean  _mc_remembered_load_from_data  (McRemembered  *self,
                                          const char    *contents,
                                          gsize          length,
                                          GError       **error);
GBytes   *_mc_remembered_serialize       (McRemembered  *self);

G_END_DECLS
