/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The audit log's record format (docs/audit.md). */
#define MC_AUDIT_FORMAT_VERSION 1
#define MC_AUDIT_FILE_NAME "audit.jsonl"
#define MC_AUDIT_HASH_SIZE 32
/* A record longer than this is not one the daemon writes. */
#define MC_AUDIT_MAX_LINE_LENGTH 65536

typedef enum
{
  MC_AUDIT_VALUE_STRING,
  MC_AUDIT_VALUE_INT,
  MC_AUDIT_VALUE_BOOL,
  MC_AUDIT_VALUE_STRV,
} McAuditValueType;

/**
 * McAuditField:
 * @key: the member's name
 * @type: which of the values is set
 *
 * One member of a record beyond the fixed ones.
 */
typedef struct
{
  char             *key;
  McAuditValueType  type;
  char             *string;
  gint64            integer;
  gboolean          boolean;
  GStrv             strv;
} McAuditField;

/**
 * McAuditEntry:
 * @seq: the record's number in the whole chain, from 1
 * @time: when it happened, RFC 3339 in UTC
 * @kind: what happened ("prompt-shown", …)
 * @prev: the SHA-256 of the line before it (zeros for the first record)
 * @hash: the SHA-256 of its own line, as written
 * @fields: (element-type McAuditField): the other members, in order
 *
 * One parsed line of the audit log.
 */
typedef struct
{
  guint64  seq;
  char    *time;
  char    *kind;
  guint8   prev[MC_AUDIT_HASH_SIZE];
  guint8   hash[MC_AUDIT_HASH_SIZE];
  GArray  *fields;
} McAuditEntry;

McAuditEntry       *mc_audit_entry_parse       (const char          *line,
                                                gsize                length,
                                                GError             **error);
void                mc_audit_entry_free        (McAuditEntry        *entry);
const McAuditField *mc_audit_entry_lookup      (const McAuditEntry  *entry,
                                                const char          *key);
const char         *mc_audit_entry_get_string  (const McAuditEntry  *entry,
                                                const char          *key);
gint64              mc_audit_entry_get_time    (const McAuditEntry  *entry);
void                mc_audit_hash_line         (const char          *line,
                                                gsize                length,
                                                guint8               hash[MC_AUDIT_HASH_SIZE]);
char               *mc_audit_hash_to_hex       (const guint8         hash[MC_AUDIT_HASH_SIZE]);
gboolean            mc_audit_hash_from_hex     (const char          *hex,
                                                guint8               hash[MC_AUDIT_HASH_SIZE]);

/**
 * McAuditChainState:
 * @n_records: records read (well-formed lines)
 * @first_seq: the number of the oldest record still kept (1 unless older
 *   files were rotated away)
 * @last_seq: the number of the newest record
 * @intact: whether no line was malformed and the chain has no break
 * @problem: (nullable): the first break or malformed line, for people,
 *   naming the file, the line and the record
 * @problem_file: (nullable): the file of @problem
 * @problem_line: the line of @problem, from 1
 * @incomplete_tail: the last file ends in an unfinished line (a write in
 *   progress, or one cut short by a crash), which was skipped
 *
 * What mc_audit_walk() found.
 */
typedef struct
{
  guint64   n_records;
  guint64   first_seq;
  guint64   last_seq;
  gboolean  intact;
  char     *problem;
  char     *problem_file;
  guint64   problem_line;
  gboolean  incomplete_tail;
} McAuditChainState;

void       mc_audit_chain_state_clear (McAuditChainState *state);

/* Called for every well-formed record, in order, with its line as
 * written (without the newline); return FALSE to stop. */
typedef gboolean (*McAuditEntryFunc) (const McAuditEntry *entry,
                                      const char         *line,
                                      gsize               length,
                                      gpointer            user_data);

GPtrArray *mc_audit_list_files        (const char         *dir,
                                       GError            **error);
gboolean   mc_audit_walk              (const char         *dir,
                                       McAuditEntryFunc    func,
                                       gpointer            user_data,
                                       McAuditChainState  *state,
                                       GError            **error);
gboolean   mc_audit_read_tail         (const char         *path,
                                       char              **out_line,
                                       goffset            *out_complete_size,
                                       GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McAuditEntry, mc_audit_entry_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (McAuditChainState, mc_audit_chain_state_clear)

G_END_DECLS
