/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-sse-stream.h"

/* One text/event-stream response being read: the body is read a chunk at
 * a time, each chunk goes through McSseParser, and each event is emitted
 * as it completes.  The next chunk is only read when the stream is not
 * paused, so a client that reads stdout slowly slows the server down
 * rather than filling the bridge's memory.
 *
 * ::event is emitted for each event, ::ended once, when the body ends,
 * fails or breaks the parser's limits; nothing is emitted after
 * mc_sse_stream_stop(). */

#define READ_CHUNK 16384

struct _McSseStream
{
  GObject       parent_instance;

  GInputStream *body;
  McSseParser  *parser;
  GCancellable *cancellable;
  gboolean      started;
  gboolean      reading;
  gboolean      paused;
  gboolean      stopped;
  guint         n_events;
};

G_DEFINE_FINAL_TYPE (McSseStream, mc_sse_stream, G_TYPE_OBJECT)

enum
{
  EVENT,
  ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mc_sse_stream_dispose (GObject *object)
{
  McSseStream *self = (McSseStream *)object;

  self->stopped = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->body);

  G_OBJECT_CLASS (mc_sse_stream_parent_class)->dispose (object);
}

static void
mc_sse_stream_finalize (GObject *object)
{
  McSseStream *self = (McSseStream *)object;

  g_clear_pointer (&self->parser, mc_sse_parser_free);

  G_OBJECT_CLASS (mc_sse_stream_parent_class)->finalize (object);
}

static void
mc_sse_stream_class_init (McSseStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_sse_stream_dispose;
  object_class->finalize = mc_sse_stream_finalize;

  /**
   * McSseStream::event:
   * @self: the stream
   * @event: (type McSseEvent): the event, valid during the emission
   */
  signals[EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 1, G_TYPE_POINTER);

  /**
   * McSseStream::ended:
   * @self: the stream
   * @error: (nullable): why it ended, %NULL at the end of the body
   */
  signals[ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
mc_sse_stream_init (McSseStream *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * mc_sse_stream_new:
 * @body: the response's body
 * @max_event: the longest line and the largest event accepted, in bytes
 *
 * Returns: (transfer full): a stream, not reading yet
 */
McSseStream *
mc_sse_stream_new (GInputStream *body,
                   gsize         max_event)
{
  McSseStream *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (body), NULL);

  self = g_object_new (MC_TYPE_SSE_STREAM, NULL);
  self->body = g_object_ref (body);
  self->parser = mc_sse_parser_new (max_event, max_event);
  return self;
}

static void
end (McSseStream  *self,
     const GError *error)
{
  if (self->stopped)
    return;
  self->stopped = TRUE;
  mc_sse_parser_end (self->parser);
  g_input_stream_close_async (self->body, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_signal_emit (self, signals[ENDED], 0, error);
}

static void read_next (McSseStream *self);

static void
on_read (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(McSseStream) self = user_data;
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gboolean ok = TRUE;

  self->reading = FALSE;
  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source_object), result, &error);
  if (self->stopped)
    return;

  if (chunk == NULL)
    {
      end (self, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      end (self, NULL);
      return;
    }

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_sse_event_free);
  ok = mc_sse_parser_feed (self->parser, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk), events, &error);
  for (guint i = 0; i < events->len && !self->stopped; i++)
    {
      self->n_events++;
      g_signal_emit (self, signals[EVENT], 0, events->pdata[i]);
    }

  if (!ok)
    {
      end (self, error);
      return;
    }

  read_next (self);
}

static void
read_next (McSseStream *self)
{
  if (self->stopped || self->paused || self->reading)
    return;

  self->reading = TRUE;
  g_input_stream_read_bytes_async (self->body, READ_CHUNK, G_PRIORITY_DEFAULT, self->cancellable, on_read,
                                   g_object_ref (self));
}

/**
 * mc_sse_stream_start:
 * @self: a #McSseStream
 *
 * Starts reading the body.
 */
void
mc_sse_stream_start (McSseStream *self)
{
  g_return_if_fail (MC_IS_SSE_STREAM (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  read_next (self);
}

/**
 * mc_sse_stream_set_paused:
 * @self: a #McSseStream
 * @paused: whether to stop reading for now
 *
 * Stops or resumes reading.  A read under way completes, and its events
 * are emitted.
 */
void
mc_sse_stream_set_paused (McSseStream *self,
                          gboolean     paused)
{
  g_return_if_fail (MC_IS_SSE_STREAM (self));

  self->paused = paused;
  if (self->started)
    read_next (self);
}

/**
 * mc_sse_stream_stop:
 * @self: a #McSseStream
 *
 * Stops reading and closes the body; no signal is emitted after this,
 * not even ::ended.  It may be called from a signal handler.
 */
void
mc_sse_stream_stop (McSseStream *self)
{
  g_return_if_fail (MC_IS_SSE_STREAM (self));

  if (self->stopped)
    return;

  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_input_stream_close_async (self->body, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/**
 * mc_sse_stream_get_last_event_id:
 * @self: a #McSseStream
 *
 * Returns: the last event id received, or "" if none was
 */
const char *
mc_sse_stream_get_last_event_id (McSseStream *self)
{
  g_return_val_if_fail (MC_IS_SSE_STREAM (self), NULL);

  return mc_sse_parser_get_last_event_id (self->parser);
}

/**
 * mc_sse_stream_get_retry:
 * @self: a #McSseStream
 *
 * Returns: the reconnection time the server set, in milliseconds, or -1
 */
gint64
mc_sse_stream_get_retry (McSseStream *self)
{
  g_return_val_if_fail (MC_IS_SSE_STREAM (self), -1);

  return mc_sse_parser_get_retry (self->parser);
}

/**
 * mc_sse_stream_get_n_events:
 * @self: a #McSseStream
 *
 * Returns: how many events were emitted
 */
guint
mc_sse_stream_get_n_events (McSseStream *self)
{
  g_return_val_if_fail (MC_IS_SSE_STREAM (self), 0);

  return self->n_events;
}
