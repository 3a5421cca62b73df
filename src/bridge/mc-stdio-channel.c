/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc-bridge-error.h"
#include "mc-line-framer.h"
#include "mc-stdio-channel.h"

/* The client's side of the bridge: MCP's stdio transport.  Lines are read
 * from stdin as they come and framed by McLineFramer; each becomes a
 * McJsonrpcMessage (::message) or, when it is not one, an error response
 * written back at once: -32700 for what is not JSON, -32600 for JSON that
 * is not a JSON-RPC message, -32600 for a line over the limit (answered to
 * its id when the start of the line shows it).  The bridge goes on with
 * the next line in every case.
 *
 * Messages to the client are queued and written in order, one line each,
 * never blocking the main loop: a stdout that is a pipe or a socket is
 * made non-blocking (and given back as it was when the channel goes), so
 * a client that stops reading fills the queue, not a blocked write; the
 * bridge watches the queue (mc_stdio_channel_get_queued(), ::drained) and
 * stops reading from the server and from stdin while it is long.
 *
 * Reading stops while paused (the read under way completes and its lines
 * are delivered: at most one chunk's worth). */

#define READ_CHUNK 65536

struct _McStdioChannel
{
  GObject        parent_instance;

  int            in_fd;
  int            out_fd;
  /* The flags stdout had, to give back; -1 if they were not changed. */
  int            out_flags;
  GInputStream  *input;
  GOutputStream *output;
  McLineFramer  *framer;
  gsize          max_message;
  GCancellable  *cancellable;

  gboolean       started;
  gboolean       reading;
  gboolean       paused;
  gboolean       read_stopped;
  gboolean       eof;

  /* GBytes, each a whole line with its "\n". */
  GQueue         out_queue;
  gsize          queued;
  gboolean       writing;
  GError        *write_error;
  GPtrArray     *flush_waiters;
};

G_DEFINE_FINAL_TYPE (McStdioChannel, mc_stdio_channel, G_TYPE_OBJECT)

enum
{
  MESSAGE,
  EOF_REACHED,
  DRAINED,
  WRITE_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
complete_flush_waiters (McStdioChannel *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->flush_waiters);

  self->flush_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = waiters->pdata[i];

      if (self->write_error != NULL)
        g_task_return_error (task, g_error_copy (self->write_error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
mc_stdio_channel_dispose (GObject *object)
{
  McStdioChannel *self = (McStdioChannel *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_queue_clear_full (&self->out_queue, (GDestroyNotify) g_bytes_unref);

  if (self->out_flags >= 0)
    {
      fcntl (self->out_fd, F_SETFL, self->out_flags);
      self->out_flags = -1;
    }

  G_OBJECT_CLASS (mc_stdio_channel_parent_class)->dispose (object);
}

static void
mc_stdio_channel_finalize (GObject *object)
{
  McStdioChannel *self = (McStdioChannel *)object;

  g_clear_pointer (&self->framer, mc_line_framer_free);
  g_clear_error (&self->write_error);
  g_clear_pointer (&self->flush_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (mc_stdio_channel_parent_class)->finalize (object);
}

static void
mc_stdio_channel_class_init (McStdioChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_stdio_channel_dispose;
  object_class->finalize = mc_stdio_channel_finalize;

  /**
   * McStdioChannel::message:
   * @self: the channel
   * @message: a message from the client
   */
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 1, MC_TYPE_JSONRPC_MESSAGE);

  /**
   * McStdioChannel::eof:
   * @self: the channel
   *
   * stdin has ended, and every message on it was emitted.
   */
  signals[EOF_REACHED] = g_signal_new ("eof", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 0);

  /**
   * McStdioChannel::drained:
   * @self: the channel
   *
   * Everything queued for stdout was written.
   */
  signals[DRAINED] = g_signal_new ("drained", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);

  /**
   * McStdioChannel::write-failed:
   * @self: the channel
   * @error: why
   *
   * stdout cannot be written to (the client went away); nothing more will
   * be.
   */
  signals[WRITE_FAILED] = g_signal_new ("write-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
mc_stdio_channel_init (McStdioChannel *self)
{
  self->out_flags = -1;
  self->cancellable = g_cancellable_new ();
  self->flush_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->out_queue);
}

static gboolean
is_pipe_or_socket (int fd)
{
  struct stat buf;

  return fstat (fd, &buf) == 0 && (S_ISFIFO (buf.st_mode) || S_ISSOCK (buf.st_mode));
}

/**
 * mc_stdio_channel_new:
 * @in_fd: where the client's messages come from (0)
 * @out_fd: where messages to the client go (1)
 * @max_message: the longest line accepted, in bytes
 *
 * Returns: (transfer full): the channel, not reading yet
 */
McStdioChannel *
mc_stdio_channel_new (int   in_fd,
                      int   out_fd,
                      gsize max_message)
{
  McStdioChannel *self;

  g_return_val_if_fail (in_fd >= 0, NULL);
  g_return_val_if_fail (out_fd >= 0, NULL);
  g_return_val_if_fail (max_message > 0, NULL);

  self = g_object_new (MC_TYPE_STDIO_CHANNEL, NULL);
  self->in_fd = in_fd;
  self->out_fd = out_fd;
  self->max_message = max_message;
  self->framer = mc_line_framer_new (max_message);
  self->input = g_unix_input_stream_new (in_fd, FALSE);
  self->output = g_unix_output_stream_new (out_fd, FALSE);

  /* A blocking pipe would block the main loop on a long line to a client
   * that does not read; non-blocking, GIO waits for it asynchronously. */
  if (is_pipe_or_socket (out_fd))
    {
      int flags = fcntl (out_fd, F_GETFL);

      if (flags >= 0 && !(flags & O_NONBLOCK) && fcntl (out_fd, F_SETFL, flags | O_NONBLOCK) == 0)
        self->out_flags = flags;
    }

  return self;
}

/* Writing {{{1 */

static void write_next (McStdioChannel *self);

static void
on_written (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(McStdioChannel) self = user_data;
  g_autoptr(GBytes) line = NULL;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  line = g_queue_pop_head (&self->out_queue);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source_object), result, NULL, &error))
    {
      if (self->write_error == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->write_error = g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED,
                                           _("Cannot write to the MCP client (%s); it has probably exited"),
                                           error->message);
          g_queue_clear_full (&self->out_queue, (GDestroyNotify) g_bytes_unref);
          self->queued = 0;
          complete_flush_waiters (self);
          g_signal_emit (self, signals[WRITE_FAILED], 0, self->write_error);
        }
      return;
    }

  self->queued -= g_bytes_get_size (line);
  if (g_queue_is_empty (&self->out_queue))
    {
      complete_flush_waiters (self);
      g_signal_emit (self, signals[DRAINED], 0);
      return;
    }
  write_next (self);
}

static void
write_next (McStdioChannel *self)
{
  GBytes *line = NULL;

  if (self->writing || self->write_error != NULL || g_queue_is_empty (&self->out_queue))
    return;

  line = g_queue_peek_head (&self->out_queue);
  self->writing = TRUE;
  g_output_stream_write_all_async (self->output, g_bytes_get_data (line, NULL), g_bytes_get_size (line),
                                   G_PRIORITY_DEFAULT, self->cancellable, on_written, g_object_ref (self));
}

/**
 * mc_stdio_channel_write:
 * @self: a #McStdioChannel
 * @message: a message for the client
 *
 * Queues @message as one line on stdout, after everything queued before.
 */
void
mc_stdio_channel_write (McStdioChannel   *self,
                        McJsonrpcMessage *message)
{
  GBytes *text = NULL;
  GByteArray *line = NULL;
  gsize length = 0;
  const guint8 *data = NULL;

  g_return_if_fail (MC_IS_STDIO_CHANNEL (self));
  g_return_if_fail (message != NULL);

  if (self->write_error != NULL)
    return;

  text = mc_jsonrpc_message_get_bytes (message);
  data = g_bytes_get_data (text, &length);
  line = g_byte_array_sized_new (length + 1);
  g_byte_array_append (line, data, length);
  g_byte_array_append (line, (const guint8 *) "\n", 1);

  self->queued += line->len;
  g_queue_push_tail (&self->out_queue, g_byte_array_free_to_bytes (line));
  write_next (self);
}

/**
 * mc_stdio_channel_get_queued:
 * @self: a #McStdioChannel
 *
 * Returns: how many bytes wait to be written to stdout
 */
gsize
mc_stdio_channel_get_queued (McStdioChannel *self)
{
  g_return_val_if_fail (MC_IS_STDIO_CHANNEL (self), 0);

  return self->queued;
}

/**
 * mc_stdio_channel_flush_async:
 * @self: a #McStdioChannel
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when everything queued so far is written
 * @user_data: for @callback
 */
void
mc_stdio_channel_flush_async (McStdioChannel      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MC_IS_STDIO_CHANNEL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_stdio_channel_flush_async);

  if (self->write_error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->write_error));
      return;
    }
  if (g_queue_is_empty (&self->out_queue))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_ptr_array_add (self->flush_waiters, g_steal_pointer (&task));
}

gboolean
mc_stdio_channel_flush_finish (McStdioChannel  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Reading {{{1 */

static void
answer_bad_line (McStdioChannel *self,
                 JsonNode       *id,
                 int             code,
                 const char     *message)
{
  g_autoptr(McJsonrpcMessage) response = mc_jsonrpc_message_new_error (id, code, message, NULL);

  mc_stdio_channel_write (self, response);
}

static void
on_line (McLineKind  kind,
         const char *line,
         gsize       length,
         guint64     total_length,
         gpointer    user_data)
{
  McStdioChannel *self = user_data;
  g_autoptr(McJsonrpcMessage) message = NULL;
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(GError) error = NULL;

  if (kind == MC_LINE_OVERSIZED)
    {
      g_autofree char *text = NULL;

      id = mc_jsonrpc_scan_id (line, length);
      text = g_strdup_printf (_("Invalid Request: the message is %" G_GUINT64_FORMAT " bytes long, more than "
                                "the %" G_GSIZE_FORMAT " bytes the bridge accepts (--max-message-size)"),
                              total_length, self->max_message);
      g_warning ("The client sent a message of %" G_GUINT64_FORMAT " bytes, over the limit of %" G_GSIZE_FORMAT
                 "; answered with an error", total_length, self->max_message);
      answer_bad_line (self, id, MC_JSONRPC_INVALID_REQUEST, text);
      return;
    }

  message = mc_jsonrpc_message_parse (line, length, &id, &error);
  if (message == NULL)
    {
      gboolean parse_error = g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_PARSE);

      g_warning ("The client sent a line that is not a JSON-RPC message (%s); answered with an error",
                 error->message);
      answer_bad_line (self, parse_error ? NULL : id,
                       parse_error ? MC_JSONRPC_PARSE_ERROR : MC_JSONRPC_INVALID_REQUEST,
                       error->message);
      return;
    }

  g_signal_emit (self, signals[MESSAGE], 0, message);
}

static void read_next (McStdioChannel *self);

static void
on_read (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(McStdioChannel) self = user_data;
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GError) error = NULL;

  self->reading = FALSE;
  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source_object), result, &error);
  if (self->read_stopped)
    return;

  if (chunk == NULL || g_bytes_get_size (chunk) == 0)
    {
      if (chunk == NULL)
        g_warning ("Cannot read from the MCP client (%s); taken as the end of its input", error->message);
      mc_line_framer_end (self->framer, on_line, self);
      self->eof = TRUE;
      self->read_stopped = TRUE;
      g_debug ("The client closed stdin");
      g_signal_emit (self, signals[EOF_REACHED], 0);
      return;
    }

  mc_line_framer_feed (self->framer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk), on_line, self);
  read_next (self);
}

static void
read_next (McStdioChannel *self)
{
  if (!self->started || self->reading || self->paused || self->read_stopped)
    return;

  self->reading = TRUE;
  g_input_stream_read_bytes_async (self->input, READ_CHUNK, G_PRIORITY_DEFAULT, self->cancellable, on_read,
                                   g_object_ref (self));
}

/**
 * mc_stdio_channel_start:
 * @self: a #McStdioChannel
 *
 * Starts reading stdin.
 */
void
mc_stdio_channel_start (McStdioChannel *self)
{
  g_return_if_fail (MC_IS_STDIO_CHANNEL (self));

  self->started = TRUE;
  read_next (self);
}

/**
 * mc_stdio_channel_set_paused:
 * @self: a #McStdioChannel
 * @paused: whether to stop reading stdin for now
 */
void
mc_stdio_channel_set_paused (McStdioChannel *self,
                             gboolean        paused)
{
  g_return_if_fail (MC_IS_STDIO_CHANNEL (self));

  if (self->paused != paused)
    g_debug ("%s reading from the client", paused ? "Pausing" : "Resuming");
  self->paused = paused;
  read_next (self);
}

/**
 * mc_stdio_channel_stop_reading:
 * @self: a #McStdioChannel
 *
 * Reads no more from stdin; no ::message or ::eof follows.
 */
void
mc_stdio_channel_stop_reading (McStdioChannel *self)
{
  g_return_if_fail (MC_IS_STDIO_CHANNEL (self));

  self->read_stopped = TRUE;
}
