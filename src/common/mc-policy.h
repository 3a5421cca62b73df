/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib-object.h>

#include "mc-url-verdict.h"

G_BEGIN_DECLS

/* A policy file larger than this (in bytes) is malformed. */
#define MC_POLICY_MAX_FILE_SIZE (64 * 1024)
/* More entries than this in one list of one file are malformed. */
#define MC_POLICY_MAX_ENTRIES 1024
/* The longest max-grant-lifetime that can be written: ten years. */
#define MC_POLICY_MAX_LIFETIME_SECONDS ((gint64) 3650 * 24 * 3600)

#define MC_POLICY_ERROR (mc_policy_error_quark ())

/**
 * McPolicyError:
 * @MC_POLICY_ERROR_MALFORMED: a policy file could not be read as a policy;
 *   the message starts with "FILE:LINE: " (LINE 0 for the whole file)
 */
typedef enum
{
  MC_POLICY_ERROR_MALFORMED,
} McPolicyError;

GQuark mc_policy_error_quark (void);

#define MC_TYPE_POLICY (mc_policy_get_type ())

/**
 * McPolicy:
 *
 * An immutable, reference-counted admin policy: what one policy file
 * says, or the strictest combination of several (mc_policy_merge()).
 * docs/policy.md states the format and the rules.
 */
typedef struct _McPolicy McPolicy;

GType         mc_policy_get_type                (void);
McPolicy     *mc_policy_new_default             (void);
McPolicy     *mc_policy_new_strictest           (const char          *path);
McPolicy     *mc_policy_parse                   (const char          *path,
                                                 const char          *data,
                                                 gsize                length,
                                                 GError             **error);
McPolicy     *mc_policy_merge                   (McPolicy            *a,
                                                 McPolicy            *b);
McPolicy     *mc_policy_ref                     (McPolicy            *self);
void          mc_policy_unref                   (McPolicy            *self);

const char   *mc_policy_get_host_rule           (McPolicy            *self,
                                                 const char          *host_ascii);
const char   *mc_policy_get_url_rule            (McPolicy            *self,
                                                 const char          *url);
gboolean      mc_policy_blocks_host             (McPolicy            *self,
                                                 const char          *host_ascii);
McUrlVerdict *mc_policy_judge_url               (McPolicy            *self,
                                                 const char          *url,
                                                 const char          *server_url);
gboolean      mc_policy_blocks_url              (McPolicy            *self,
                                                 const char          *url);
gboolean      mc_policy_get_always_allow        (McPolicy            *self);
gboolean      mc_policy_get_verified_callers_only (McPolicy          *self);
gint64        mc_policy_get_max_grant_lifetime  (McPolicy            *self);
gboolean      mc_policy_forbids_scope           (McPolicy            *self,
                                                 const char          *scope);
GStrv         mc_policy_filter_scopes           (McPolicy            *self,
                                                 const char * const  *scopes,
                                                 GStrv               *removed);
char         *mc_policy_describe                (McPolicy            *self);
char         *mc_policy_format_lifetime         (gint64               seconds);

char         *mc_policy_admin_path              (void);
char         *mc_policy_user_path               (void);
GStrv         mc_policy_dup_paths               (void);
McPolicy     *mc_policy_read_file_sync          (const char          *path,
                                                 GError             **problem);
McPolicy     *mc_policy_load_sync               (GPtrArray           *problems);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McPolicy, mc_policy_unref)

G_END_DECLS
