/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Deepest nesting of arrays and objects accepted in any JSON we read. */
#define MC_JSON_MAX_NESTING 32

JsonNode   *mc_json_parse              (const char   *data,
                                        gsize         length,
                                        guint         max_nesting,
                                        GError      **error);
JsonObject *mc_json_parse_object       (const char   *data,
                                        gsize         length,
                                        GError      **error);
gboolean    mc_json_get_string         (JsonObject   *object,
                                        const char   *name,
                                        gboolean      required,
                                        char        **out_value,
                                        GError      **error);
gboolean    mc_json_get_int            (JsonObject   *object,
                                        const char   *name,
                                        gint64        default_value,
                                        gint64       *out_value,
                                        GError      **error);
gboolean    mc_json_get_boolean        (JsonObject   *object,
                                        const char   *name,
                                        gboolean      default_value,
                                        gboolean     *out_value,
                                        GError      **error);
gboolean    mc_json_get_string_array   (JsonObject   *object,
                                        const char   *name,
                                        gboolean      required,
                                        GStrv        *out_value,
                                        GError      **error);

JsonArray  *mc_json_parse_state_list   (const char   *data,
                                        gsize         length,
                                        gint64        format_version,
                                        const char   *list_name,
                                        JsonObject  **out_root,
                                        GError      **error);

G_END_DECLS
