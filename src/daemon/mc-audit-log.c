/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc-audit-log.h"
#include "mc-audit-reader.h"
#include "mc-error.h"

/* The tamper-evident audit log (docs/audit.md): one JSON line per event in
 * $XDG_STATE_HOME/mcp-consent/audit.jsonl, each holding the SHA-256 of the
 * line before it, rotated by size; the same events go to the journal.
 *
 * Records are built and chained on the main thread, in the order events
 * happen, and written by one writer thread, so that the main loop never
 * waits for the disk.  A D-Bus answer that an event caused is sent from the
 * completion of mc_audit_log_flush_async(), once the writer has written
 * everything queued before it. */

static const struct
{
  const char *name;
  const char *message_id;
} kinds[MC_AUDIT_N_KINDS] = {
  [MC_AUDIT_PROMPT_SHOWN] = { "prompt-shown", "e8ad1871189a45f5a08fe5cf31004a37" },
  [MC_AUDIT_USER_DECISION] = { "user-decision", "19ea440694dc4a4a85f61f43cd2714c1" },
  [MC_AUDIT_PROMPT_ENDED] = { "prompt-ended", "92cc2c0c9c174d40ae9287c37633b5eb" },
  [MC_AUDIT_BROWSER_OPENED] = { "browser-opened", "4904636da58b4ac7a2c03408eafba3ad" },
  [MC_AUDIT_AUTHORIZATION] = { "authorization", "7915476d123d41f3b4031701836753c1" },
  [MC_AUDIT_TOKEN_ISSUED] = { "token-issued", "f6997d4b4bae4900ba2a5d3d32fcb336" },
  [MC_AUDIT_TOKEN_REFRESHED] = { "token-refreshed", "93217a197f374c368859bbcc9f93d388" },
  [MC_AUDIT_TOKEN_REFUSED] = { "token-refused", "022dcb1eb2754709901a0ebfe3731017" },
  [MC_AUDIT_TOKEN_REVOKED] = { "token-revoked", "a37ffe6e3e004df2b4a4e7e4ab185b99" },
  [MC_AUDIT_TOKEN_SERVED] = { "token-served", "ef1b7c27b0d2427d96203a78ac8aa2cf" },
  [MC_AUDIT_POLICY_BLOCKED] = { "policy-blocked", "23462188d1dd45268d932240e04c8ffa" },
  [MC_AUDIT_LISTENER_REJECTED] = { "listener-rejected", "38315eae2ea0436cbfa37028fea5b1d7" },
  [MC_AUDIT_LOG_REPAIRED] = { "log-repaired", "ab8b58cf9a0c46c5b497c132d30c3d05" },
};

/* Journal only: the log itself could not be written. */
#define WRITE_FAILED_MESSAGE_ID "4ac105b3f43e4bf8890c587e868f1507"

const char *
mc_audit_kind_to_string (McAuditKind kind)
{
  g_return_val_if_fail (kind < MC_AUDIT_N_KINDS, NULL);

  return kinds[kind].name;
}

const char *
mc_audit_kind_message_id (McAuditKind kind)
{
  g_return_val_if_fail (kind < MC_AUDIT_N_KINDS, NULL);

  return kinds[kind].message_id;
}

/* Records {{{1 */

struct _McAuditRecord
{
  McAuditKind  kind;
  /* The members after the fixed ones, each with its leading comma. */
  GString     *json;
  /* "KEY=value" for the journal, and the same for people in MESSAGE. */
  GPtrArray   *journal;
  GString     *summary;
};

McAuditRecord *
mc_audit_record_new (McAuditKind kind)
{
  McAuditRecord *record = NULL;

  g_return_val_if_fail (kind < MC_AUDIT_N_KINDS, NULL);

  record = g_new0 (McAuditRecord, 1);
  record->kind = kind;
  record->json = g_string_new (NULL);
  record->journal = g_ptr_array_new_with_free_func (g_free);
  record->summary = g_string_new (NULL);
  return record;
}

McAuditRecord *
mc_audit_record_copy (const McAuditRecord *record)
{
  McAuditRecord *copy = NULL;

  g_return_val_if_fail (record != NULL, NULL);

  copy = mc_audit_record_new (record->kind);
  g_string_append_len (copy->json, record->json->str, record->json->len);
  g_string_append_len (copy->summary, record->summary->str, record->summary->len);
  for (guint i = 0; i < record->journal->len; i++)
    g_ptr_array_add (copy->journal, g_strdup (g_ptr_array_index (record->journal, i)));
  return copy;
}

void
mc_audit_record_free (McAuditRecord *record)
{
  if (record == NULL)
    return;
  g_string_free (record->json, TRUE);
  g_string_free (record->summary, TRUE);
  g_ptr_array_unref (record->journal);
  g_free (record);
}

static void
append_json_string (GString    *out,
                    const char *value)
{
  g_autofree char *valid = NULL;

  /* Values come from D-Bus and the network: keep the line valid UTF-8. */
  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);

  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      guchar c = (guchar)*p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else if (c < 0x20 || c == 0x7F)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

static void
add_member (McAuditRecord *record,
            const char    *key,
            const char    *shown)
{
  g_autofree char *journal_key = g_ascii_strup (key, -1);
  g_autofree char *escaped = g_strescape (shown, NULL);

  g_return_if_fail (record != NULL);

  /* Journal field names: upper case, digits and underscores. */
  g_ptr_array_add (record->journal, g_strdup_printf ("MCP_CONSENT_%s=%s", journal_key, shown));
  g_string_append_printf (record->summary, "%s%s=%s", record->summary->len > 0 ? " " : "", key, escaped);

  g_string_append_c (record->json, ',');
  append_json_string (record->json, key);
  g_string_append_c (record->json, ':');
}

void
mc_audit_record_add_string (McAuditRecord *record,
                            const char    *key,
                            const char    *value)
{
  g_return_if_fail (record != NULL && key != NULL);

  if (value == NULL)
    return;
  add_member (record, key, value);
  append_json_string (record->json, value);
}

void
mc_audit_record_add_int (McAuditRecord *record,
                         const char    *key,
                         gint64         value)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  g_return_if_fail (record != NULL && key != NULL);

  add_member (record, key, text);
  g_string_append (record->json, text);
}

void
mc_audit_record_add_bool (McAuditRecord *record,
                          const char    *key,
                          gboolean       value)
{
  g_return_if_fail (record != NULL && key != NULL);

  add_member (record, key, value ? "true" : "false");
  g_string_append (record->json, value ? "true" : "false");
}

void
mc_audit_record_add_strv (McAuditRecord      *record,
                          const char         *key,
                          const char * const *value)
{
  g_autofree char *joined = NULL;
  const char * const empty[] = { NULL };

  g_return_if_fail (record != NULL && key != NULL);

  if (value == NULL)
    value = empty;
  joined = g_strjoinv (" ", (char **)value);
  add_member (record, key, joined);

  g_string_append_c (record->json, '[');
  for (gsize i = 0; value[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (record->json, ',');
      append_json_string (record->json, value[i]);
    }
  g_string_append_c (record->json, ']');
}

/* The writer thread {{{1 */

typedef enum
{
  ITEM_LINE,
  ITEM_FLUSH,
  ITEM_QUIT,
} ItemType;

typedef struct
{
  ItemType  type;
  char     *line;
  gsize     length;
  guint64   seq;
  GTask    *task;
} Item;

static void
item_free (Item *item)
{
  g_free (item->line);
  g_clear_object (&item->task);
  g_free (item);
}

/* Owned by the writer thread once it runs. */
typedef struct
{
  char    *dir;
  char    *path;
  goffset  rotate_size;
  guint    keep_files;
  int      fd;
  goffset  size;
  guint64  first_seq;
  char    *error_message;
} Writer;

struct _McAuditLog
{
  GObject       parent_instance;

  char         *dir;
  GThread      *thread;
  GAsyncQueue  *queue;
  Writer        writer;
  /* Lines queued and not yet written; set by both threads. */
  gint          n_pending;
  gint          failing;

  /* Main thread: the chain's end. */
  guint64       last_seq;
  guint8        last_hash[MC_AUDIT_HASH_SIZE];

  /* Main thread: key → Bucket, for aggregated events. */
  GHashTable   *buckets;
  guint         sweep_id;
  gboolean      closed;
};

G_DEFINE_FINAL_TYPE (McAuditLog, mc_audit_log, G_TYPE_OBJECT)

static McAuditLog *default_log;

static int
open_current (Writer  *writer,
              GError **error)
{
  int fd = g_open (writer->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not open %s: %s", writer->path, g_strerror (saved_errno));
    }
  return fd;
}

/* Keeps the newest rotated files; older records are gone for good, and
 * --verify says where the kept chain starts. */
static void
prune_rotated (Writer *writer)
{
  g_autoptr(GPtrArray) files = mc_audit_list_files (writer->dir, NULL);
  guint n_rotated;

  if (files == NULL)
    return;
  n_rotated = files->len;
  if (n_rotated > 0 && g_str_has_suffix (g_ptr_array_index (files, files->len - 1), "/" MC_AUDIT_FILE_NAME))
    n_rotated--;

  for (guint i = 0; n_rotated > writer->keep_files && i < files->len; i++, n_rotated--)
    {
      if (g_unlink (g_ptr_array_index (files, i)) < 0)
        g_warning ("Could not remove the old audit log file %s: %s",
                   (const char *)g_ptr_array_index (files, i), g_strerror (errno));
    }
}

static void
rotate (Writer  *writer,
        guint64  next_seq)
{
  g_autofree char *name = g_strdup_printf ("audit-%012" G_GUINT64_FORMAT ".jsonl", writer->first_seq);
  g_autofree char *rotated = g_build_filename (writer->dir, name, NULL);

  /* The chain simply goes on: the new file's first record holds the hash
   * of the old file's last line. */
  if (g_file_test (rotated, G_FILE_TEST_EXISTS) || g_rename (writer->path, rotated) < 0)
    {
      g_warning ("Could not rotate the audit log to %s; it keeps growing", rotated);
      return;
    }

  close (writer->fd);
  writer->fd = -1;
  writer->size = 0;
  writer->first_seq = next_seq;
  prune_rotated (writer);
}

static gboolean
write_line (Writer     *writer,
            const Item *item)
{
  g_autoptr(GError) error = NULL;
  gsize done = 0;

  if (writer->fd >= 0 && writer->size > 0 && writer->size + (goffset)item->length > writer->rotate_size)
    rotate (writer, item->seq);

  if (writer->fd < 0)
    {
      writer->fd = open_current (writer, &error);
      if (writer->fd < 0)
        {
          g_free (writer->error_message);
          writer->error_message = g_strdup (error->message);
          return FALSE;
        }
      writer->size = lseek (writer->fd, 0, SEEK_END);
      if (writer->size == 0)
        writer->first_seq = item->seq;
    }

  /* One write(2) of the whole line in O_APPEND mode: a crash leaves at
   * most this line unfinished, never a mix of two. */
  while (done < item->length)
    {
      ssize_t written = write (writer->fd, item->line + done, item->length - done);

      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        {
          int saved_errno = errno;

          g_free (writer->error_message);
          writer->error_message = g_strdup_printf ("Could not write to %s: %s", writer->path,
                                                   g_strerror (saved_errno));
          /* Drop what got out of a half-written line, so the next line
           * starts on a line of its own. */
          if (done > 0 && ftruncate (writer->fd, writer->size) < 0)
            {
              close (writer->fd);
              writer->fd = -1;
            }
          return FALSE;
        }
      done += (gsize)written;
    }

  writer->size += (goffset)item->length;
  return TRUE;
}

static gpointer
writer_thread (gpointer user_data)
{
  McAuditLog *self = user_data;

  for (;;)
    {
      Item *item = g_async_queue_pop (self->queue);

      switch (item->type)
        {
        case ITEM_LINE:
          if (write_line (&self->writer, item))
            g_atomic_int_set (&self->failing, FALSE);
          else
            {
              /* Once per failure, not per record: a full disk stays full. */
              if (!g_atomic_int_get (&self->failing))
                {
                  g_autofree char *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, item->seq);

                  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                                    "MESSAGE_ID", WRITE_FAILED_MESSAGE_ID,
                                    "MCP_CONSENT_AUDIT_SEQ", seq,
                                    "MESSAGE", "Audit record %s was not written: %s",
                                    seq, self->writer.error_message);
                }
              g_atomic_int_set (&self->failing, TRUE);
            }
          g_atomic_int_dec_and_test (&self->n_pending);
          break;

        case ITEM_FLUSH:
          if (g_atomic_int_get (&self->failing))
            g_task_return_new_error (item->task, MC_ERROR, MC_ERROR_FAILED,
                                     "The audit log cannot be written: %s", self->writer.error_message);
          else
            g_task_return_boolean (item->task, TRUE);
          break;

        case ITEM_QUIT:
        default:
          item_free (item);
          return NULL;
        }
      item_free (item);
    }
}

/* Opening: the end of the chain, read from the end {{{1 */

/* The first record of audit.jsonl names the file when it is rotated. */
static guint64
read_first_seq (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McAuditEntry) entry = NULL;
  char head[4096];
  const char *newline;
  ssize_t got;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    return 0;
  got = read (fd, head, sizeof head);
  close (fd);
  if (got <= 0)
    return 0;
  newline = memchr (head, '\n', got);
  if (newline == NULL)
    return 0;
  entry = mc_audit_entry_parse (head, newline - head, &error);
  return entry != NULL ? entry->seq : 0;
}

static gboolean
find_chain_end (McAuditLog  *self,
                goffset     *out_dropped,
                GError     **error)
{
  g_autofree char *line = NULL;
  g_autoptr(McAuditEntry) entry = NULL;
  g_autoptr(GError) parse_error = NULL;
  goffset complete_size = 0;
  struct stat st;

  *out_dropped = 0;
  if (!mc_audit_read_tail (self->writer.path, &line, &complete_size, error))
    return FALSE;

  /* A line cut short by a crash would run into the next record. */
  if (g_stat (self->writer.path, &st) == 0 && st.st_size > complete_size)
    {
      if (truncate (self->writer.path, complete_size) < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "Could not cut the unfinished last line of %s: %s", self->writer.path,
                       g_strerror (saved_errno));
          return FALSE;
        }
      *out_dropped = st.st_size - complete_size;
    }

  /* An empty audit.jsonl after a rotation: the chain ends in the newest
   * rotated file. */
  if (line == NULL)
    {
      g_autoptr(GPtrArray) files = mc_audit_list_files (self->dir, error);

      if (files == NULL)
        return FALSE;
      for (guint i = files->len; line == NULL && i > 0; i--)
        {
          const char *path = g_ptr_array_index (files, i - 1);

          if (g_str_equal (path, self->writer.path))
            continue;
          if (!mc_audit_read_tail (path, &line, &complete_size, error))
            return FALSE;
        }
    }

  if (line == NULL)
    return TRUE;

  mc_audit_hash_line (line, strlen (line), self->last_hash);
  entry = mc_audit_entry_parse (line, strlen (line), &parse_error);
  if (entry == NULL)
    {
      /* The chain goes on from these bytes all the same; --verify will
       * name the line. */
      g_warning ("The last line of the audit log is not a record (%s); the log needs checking "
                 "with “mcp-consent audit --verify”", parse_error->message);
      return TRUE;
    }
  self->last_seq = entry->seq;
  return TRUE;
}

/**
 * mc_audit_log_new:
 * @dir: the directory of the log (created if missing)
 * @rotate_size: the size from which audit.jsonl is rotated
 * @keep_files: how many rotated files to keep
 * @error: where to say why it cannot be opened
 *
 * Opens the log for appending: reads the last record only — from the end
 * of the file — to continue the chain, and starts the writer thread.  Runs
 * at start-up, before the daemon serves anyone.
 *
 * Returns: (transfer full) (nullable): the log
 */
McAuditLog *
mc_audit_log_new (const char  *dir,
                  goffset      rotate_size,
                  guint        keep_files,
                  GError     **error)
{
  g_autoptr(McAuditLog) self = NULL;
  goffset dropped = 0;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (rotate_size > 0, NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not create %s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

  self = g_object_new (MC_TYPE_AUDIT_LOG, NULL);
  self->dir = g_strdup (dir);
  self->writer.dir = g_strdup (dir);
  self->writer.path = g_build_filename (dir, MC_AUDIT_FILE_NAME, NULL);
  self->writer.rotate_size = rotate_size;
  self->writer.keep_files = keep_files;

  if (!find_chain_end (self, &dropped, error))
    return NULL;

  self->writer.fd = open_current (&self->writer, error);
  if (self->writer.fd < 0)
    return NULL;
  self->writer.size = lseek (self->writer.fd, 0, SEEK_END);
  self->writer.first_seq = read_first_seq (self->writer.path);
  if (self->writer.first_seq == 0)
    self->writer.first_seq = self->last_seq + 1;

  self->queue = g_async_queue_new_full ((GDestroyNotify)item_free);
  self->thread = g_thread_new ("audit-writer", writer_thread, self);

  if (dropped > 0)
    {
      McAuditRecord *record = mc_audit_record_new (MC_AUDIT_LOG_REPAIRED);

      mc_audit_record_add_int (record, "dropped_bytes", dropped);
      mc_audit_record_add_string (record, "reason", "unfinished last line");
      mc_audit_log_append (self, record);
    }

  return g_steal_pointer (&self);
}

const char *
mc_audit_log_get_dir (McAuditLog *self)
{
  g_return_val_if_fail (MC_IS_AUDIT_LOG (self), NULL);

  return self->dir;
}

/* Appending {{{1 */

static void
send_to_journal (McAuditRecord *record,
                 guint64        seq)
{
  g_autofree char *message = NULL;
  g_autofree char *seq_text = g_strdup_printf ("%" G_GUINT64_FORMAT, seq);
  g_autofree GLogField *fields = g_new0 (GLogField, record->journal->len + 6);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  gsize n = 0;

  message = g_strdup_printf ("Audit #%s %s: %s", seq_text, kinds[record->kind].name, record->summary->str);
  fields[n++] = (GLogField) { "MESSAGE", message, -1 };
  fields[n++] = (GLogField) { "MESSAGE_ID", kinds[record->kind].message_id, -1 };
  fields[n++] = (GLogField) { "PRIORITY", "5", -1 };
  fields[n++] = (GLogField) { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 };
  fields[n++] = (GLogField) { "MCP_CONSENT_AUDIT_KIND", kinds[record->kind].name, -1 };
  fields[n++] = (GLogField) { "MCP_CONSENT_AUDIT_SEQ", seq_text, -1 };

  for (guint i = 0; i < record->journal->len; i++)
    {
      const char *entry = g_ptr_array_index (record->journal, i);
      const char *equals = strchr (entry, '=');
      char *key = g_strndup (entry, equals - entry);

      g_ptr_array_add (keys, key);
      fields[n++] = (GLogField) { key, equals + 1, -1 };
    }

  g_log_structured_array (G_LOG_LEVEL_MESSAGE, fields, n);
}

/**
 * mc_audit_log_append:
 * @self: the log
 * @record: (transfer full): what happened
 *
 * Chains @record to the log and queues it for the writer thread; sends it
 * to the journal.  Returns at once: to answer a caller only once it is
 * written, answer from mc_audit_log_flush_async().
 */
void
mc_audit_log_append (McAuditLog    *self,
                     McAuditRecord *record)
{
  g_autoptr(McAuditRecord) owned G_GNUC_UNUSED = record;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *time = NULL;
  g_autofree char *prev = NULL;
  GString *line = NULL;
  Item *item = NULL;

  g_return_if_fail (MC_IS_AUDIT_LOG (self));
  g_return_if_fail (record != NULL);

  if (self->closed)
    {
      g_warning ("Audit record %s after the log was closed", kinds[record->kind].name);
      return;
    }

  now = g_date_time_new_now_utc ();
  time = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  prev = mc_audit_hash_to_hex (self->last_hash);

  line = g_string_sized_new (128 + record->json->len);
  g_string_append_printf (line, "{\"v\":%d,\"seq\":%" G_GUINT64_FORMAT ",\"time\":\"%s\",\"kind\":\"%s\","
                          "\"prev\":\"%s\"",
                          MC_AUDIT_FORMAT_VERSION, self->last_seq + 1, time, kinds[record->kind].name, prev);
  g_string_append_len (line, record->json->str, record->json->len);
  g_string_append_c (line, '}');

  self->last_seq++;
  mc_audit_hash_line (line->str, line->len, self->last_hash);

  g_string_append_c (line, '\n');
  item = g_new0 (Item, 1);
  item->type = ITEM_LINE;
  item->seq = self->last_seq;
  item->length = line->len;
  item->line = g_string_free (line, FALSE);

  g_atomic_int_inc (&self->n_pending);
  g_async_queue_push (self->queue, item);

  send_to_journal (record, self->last_seq);
}

/* Aggregated events {{{1 */

typedef struct
{
  gint64         start;
  guint          count;
  McAuditRecord *first;
} Bucket;

static void
bucket_free (Bucket *bucket)
{
  mc_audit_record_free (bucket->first);
  g_free (bucket);
}

static void
append_summary (McAuditLog *self,
                Bucket     *bucket)
{
  McAuditRecord *summary = mc_audit_record_copy (bucket->first);
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc (bucket->start / G_USEC_PER_SEC);
  g_autofree char *start_text = g_date_time_format (start, "%Y-%m-%dT%H:%M:%SZ");

  mc_audit_record_add_int (summary, "count", bucket->count);
  mc_audit_record_add_string (summary, "window_start", start_text);
  mc_audit_record_add_int (summary, "window_seconds", MC_AUDIT_AGGREGATE_SECONDS);
  mc_audit_log_append (self, summary);
}

/* Writes the counts of the windows that are over. */
static void
sweep_buckets (McAuditLog *self,
               gboolean    all)
{
  GHashTableIter iter;
  Bucket *bucket = NULL;
  gint64 now = g_get_real_time ();

  g_hash_table_iter_init (&iter, self->buckets);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&bucket))
    {
      if (!all && now - bucket->start < MC_AUDIT_AGGREGATE_SECONDS * G_USEC_PER_SEC)
        continue;
      if (bucket->count > 0)
        append_summary (self, bucket);
      g_hash_table_iter_remove (&iter);
    }
}

static gboolean
on_sweep (gpointer user_data)
{
  McAuditLog *self = user_data;

  sweep_buckets (self, FALSE);
  if (g_hash_table_size (self->buckets) > 0)
    return G_SOURCE_CONTINUE;
  self->sweep_id = 0;
  return G_SOURCE_REMOVE;
}

/**
 * mc_audit_log_append_aggregated:
 * @self: the log
 * @record: (transfer full): what happened
 * @key: what to count it under (the app and the grant, say)
 *
 * The first event of @key in a window of %MC_AUDIT_AGGREGATE_SECONDS is
 * appended as it is; the others of the window are counted, and their count
 * appended as one record, a copy of the first with "count",
 * "window_start" and "window_seconds", when the window is over.  A busy
 * caller costs the log two records a minute, however often it calls.
 *
 * Returns: whether @record was appended now (so there is something to
 *   flush before answering)
 */
gboolean
mc_audit_log_append_aggregated (McAuditLog    *self,
                                McAuditRecord *record,
                                const char    *key)
{
  g_autoptr(McAuditRecord) owned = record;
  g_autofree char *full_key = NULL;
  Bucket *bucket = NULL;
  gint64 now = g_get_real_time ();

  g_return_val_if_fail (MC_IS_AUDIT_LOG (self), FALSE);
  g_return_val_if_fail (record != NULL && key != NULL, FALSE);

  full_key = g_strconcat (kinds[record->kind].name, "\x1f", key, NULL);
  bucket = g_hash_table_lookup (self->buckets, full_key);
  if (bucket != NULL && now - bucket->start < MC_AUDIT_AGGREGATE_SECONDS * G_USEC_PER_SEC)
    {
      bucket->count++;
      return FALSE;
    }

  if (bucket != NULL)
    {
      if (bucket->count > 0)
        append_summary (self, bucket);
      g_hash_table_remove (self->buckets, full_key);
    }

  bucket = g_new0 (Bucket, 1);
  bucket->start = now;
  bucket->first = mc_audit_record_copy (record);
  g_hash_table_insert (self->buckets, g_steal_pointer (&full_key), bucket);
  if (self->sweep_id == 0)
    self->sweep_id = g_timeout_add_seconds (5, on_sweep, self);

  mc_audit_log_append (self, g_steal_pointer (&owned));
  return TRUE;
}

/* Flushing {{{1 */

/**
 * mc_audit_log_flush_async:
 * @self: the log
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once every record appended so far is written
 * @user_data: for @callback
 *
 * Waits, without blocking, for the writer thread to write what was
 * appended before this call (write(2): the records survive a crash of the
 * daemon).  Fails if the log cannot be written.
 */
void
mc_audit_log_flush_async (McAuditLog          *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Item *item = NULL;

  g_return_if_fail (MC_IS_AUDIT_LOG (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_audit_log_flush_async);

  if (self->closed || g_atomic_int_get (&self->n_pending) == 0)
    {
      if (g_atomic_int_get (&self->failing))
        g_task_return_new_error (task, MC_ERROR, MC_ERROR_FAILED, "The audit log cannot be written");
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  item = g_new0 (Item, 1);
  item->type = ITEM_FLUSH;
  item->task = g_steal_pointer (&task);
  g_async_queue_push (self->queue, item);
}

gboolean
mc_audit_log_flush_finish (McAuditLog    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mc_audit_log_is_failing:
 * @self: the log
 *
 * Returns: whether the last write failed
 */
gboolean
mc_audit_log_is_failing (McAuditLog *self)
{
  g_return_val_if_fail (MC_IS_AUDIT_LOG (self), TRUE);

  return g_atomic_int_get (&self->failing);
}

/**
 * mc_audit_log_close:
 * @self: the log
 *
 * Appends the counts of open windows, writes everything and stops the
 * writer thread: at exit, after the last event.  Waits for the disk, so
 * only once the daemon no longer serves.
 */
void
mc_audit_log_close (McAuditLog *self)
{
  Item *item = NULL;

  g_return_if_fail (MC_IS_AUDIT_LOG (self));

  if (self->closed || self->thread == NULL)
    return;

  sweep_buckets (self, TRUE);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  self->closed = TRUE;

  item = g_new0 (Item, 1);
  item->type = ITEM_QUIT;
  g_async_queue_push (self->queue, item);
  g_thread_join (g_steal_pointer (&self->thread));
}

/* The process's log {{{1 */

/**
 * mc_audit_log_set_default:
 * @log: (nullable): the daemon's log
 *
 * Makes @log the one every part of the daemon records its events in (see
 * mc-audit-events.h); without one, events are not recorded.
 */
void
mc_audit_log_set_default (McAuditLog *log)
{
  g_return_if_fail (log == NULL || MC_IS_AUDIT_LOG (log));

  g_set_object (&default_log, log);
}

/**
 * mc_audit_log_get_default:
 *
 * Returns: (transfer none) (nullable): the daemon's log
 */
McAuditLog *
mc_audit_log_get_default (void)
{
  return default_log;
}

/* Object {{{1 */

static void
mc_audit_log_dispose (GObject *object)
{
  McAuditLog *self = (McAuditLog *)object;

  if (self->thread != NULL)
    mc_audit_log_close (self);
  g_clear_handle_id (&self->sweep_id, g_source_remove);

  G_OBJECT_CLASS (mc_audit_log_parent_class)->dispose (object);
}

static void
mc_audit_log_finalize (GObject *object)
{
  McAuditLog *self = (McAuditLog *)object;

  if (self->writer.fd >= 0)
    close (self->writer.fd);
  g_free (self->writer.dir);
  g_free (self->writer.path);
  g_free (self->writer.error_message);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->buckets, g_hash_table_unref);
  g_free (self->dir);

  G_OBJECT_CLASS (mc_audit_log_parent_class)->finalize (object);
}

static void
mc_audit_log_class_init (McAuditLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_audit_log_dispose;
  object_class->finalize = mc_audit_log_finalize;
}

static void
mc_audit_log_init (McAuditLog *self)
{
  self->writer.fd = -1;
  self->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)bucket_free);
}
