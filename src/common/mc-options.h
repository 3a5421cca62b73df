/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest string any a{sv} value may carry unless its key says otherwise. */
#define MC_OPTION_DEFAULT_MAX_LENGTH 1024

typedef gboolean (*McOptionValidator) (const char  *key,
                                       GVariant    *value,
                                       GError     **error);

/**
 * McOptionKey:
 * @key: the dictionary key
 * @type: the only GVariant type accepted for it
 * @max_length: for strings, the longest accepted value in bytes
 *   (0 means %MC_OPTION_DEFAULT_MAX_LENGTH)
 * @required: whether a missing key is an error
 * @validate: (nullable): a further check of the value
 *
 * One entry of the whitelist an untrusted a{sv} is filtered through.
 */
typedef struct
{
  const char        *key;
  const char        *type;
  gsize              max_length;
  gboolean           required;
  McOptionValidator  validate;
} McOptionKey;

gboolean mc_options_filter          (GVariant           *options,
                                     const McOptionKey  *keys,
                                     gsize               n_keys,
                                     GVariantDict       *filtered,
                                     GError            **error);
gboolean mc_options_is_valid_token  (const char         *token);
gboolean mc_options_validate_token  (const char         *key,
                                     GVariant           *value,
                                     GError            **error);

G_END_DECLS
