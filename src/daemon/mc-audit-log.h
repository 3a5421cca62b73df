/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * McAuditKind:
 *
 * What a record of the audit log says happened; each has a stable
 * journal MESSAGE_ID (docs/audit.md lists them).
 */
typedef enum
{
  MC_AUDIT_PROMPT_SHOWN,
  MC_AUDIT_USER_DECISION,
  MC_AUDIT_PROMPT_ENDED,
  MC_AUDIT_BROWSER_OPENED,
  MC_AUDIT_AUTHORIZATION,
  MC_AUDIT_TOKEN_ISSUED,
  MC_AUDIT_TOKEN_REFRESHED,
  MC_AUDIT_TOKEN_REFUSED,
  MC_AUDIT_TOKEN_REVOKED,
  MC_AUDIT_TOKEN_SERVED,
  MC_AUDIT_POLICY_BLOCKED,
  MC_AUDIT_LISTENER_REJECTED,
  MC_AUDIT_LOG_REPAIRED,
  MC_AUDIT_N_KINDS,
} McAuditKind;

/* Records are at most this much apart in rotation (docs/audit.md). */
#define MC_AUDIT_DEFAULT_ROTATE_SIZE (8 * 1024 * 1024)
#define MC_AUDIT_DEFAULT_KEEP_FILES 8
/* GetToken and listener rejections: one record per key and window. */
#define MC_AUDIT_AGGREGATE_SECONDS 60

const char *mc_audit_kind_to_string     (McAuditKind kind);
const char *mc_audit_kind_message_id    (McAuditKind kind);

typedef struct _McAuditRecord McAuditRecord;

McAuditRecord *mc_audit_record_new        (McAuditKind          kind);
McAuditRecord *mc_audit_record_copy       (const McAuditRecord *record);
void           mc_audit_record_free       (McAuditRecord       *record);
void           mc_audit_record_add_string (McAuditRecord       *record,
                                           const char          *key,
                                           const char          *value);
void           mc_audit_record_add_int    (McAuditRecord       *record,
                                           const char          *key,
                                           gint64               value);
void           mc_audit_record_add_bool   (McAuditRecord       *record,
                                           const char          *key,
                                           gboolean             value);
void           mc_audit_record_add_strv   (McAuditRecord       *record,
                                           const char          *key,
                                           const char * const  *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McAuditRecord, mc_audit_record_free)

#define MC_TYPE_AUDIT_LOG (mc_audit_log_get_type ())

G_DECLARE_FINAL_TYPE (McAuditLog, mc_audit_log, MC, AUDIT_LOG, GObject)

McAuditLog *mc_audit_log_new          (const char           *dir,
                                       goffset               rotate_size,
                                       guint                 keep_files,
                                       GError              **error);
const char *mc_audit_log_get_dir      (McAuditLog           *self);
void        mc_audit_log_append       (McAuditLog           *self,
                                       McAuditRecord        *record);
gboolean    mc_audit_log_append_aggregated (McAuditLog      *self,
                                       McAuditRecord        *record,
                                       const char           *key);
void        mc_audit_log_flush_async  (McAuditLog           *self,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean    mc_audit_log_flush_finish (McAuditLog           *self,
                                       GAsyncResult         *result,
                                       GError              **error);
gboolean    mc_audit_log_is_failing   (McAuditLog           *self);
void        mc_audit_log_close        (McAuditLog           *self);

void        mc_audit_log_set_default  (McAuditLog           *log);
McAuditLog *mc_audit_log_get_default  (void);

G_END_DECLS
