/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* McSseParser against the WHATWG rules for text/event-stream: the cases
 * below are the standard's examples and the edges of each rule. */

#include "config.h"

#include <string.h>

#include "mc-bridge-error.h"
#include "mc-sse-parser.h"

#define LIMIT 4096

/* Every event of @stream, fed in one piece, as "type|data|id" lines
 * (data with "\n" shown as "\\n"), then "retry=N last=ID". */
static char *
describe (GPtrArray   *events,
          McSseParser *parser)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      McSseEvent *event = events->pdata[i];
      g_auto(GStrv) lines = g_strsplit (event->data, "\n", -1);
      g_autofree char *data = g_strjoinv ("\\n", lines);

      g_assert_cmpuint (strlen (event->data), <=, event->data_length);
      g_string_append_printf (out, "%s|%s|%s\n", event->type, data, event->id);
    }
  g_string_append_printf (out, "retry=%" G_GINT64_FORMAT " last=%s", mc_sse_parser_get_retry (parser),
                          mc_sse_parser_get_last_event_id (parser));
  return g_string_free (out, FALSE);
}

/* Feeds @stream in pieces of @piece bytes (0: whole). */
static char *
parse (const char *stream,
       gsize       length,
       gsize       piece)
{
  g_autoptr(McSseParser) parser = mc_sse_parser_new (LIMIT, LIMIT);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_sse_event_free);
  g_autoptr(GError) error = NULL;

  if (piece == 0)
    piece = MAX (length, 1);
  for (gsize at = 0; at < length; at += piece)
    {
      g_assert_true (mc_sse_parser_feed (parser, stream + at, MIN (piece, length - at), events, &error));
      g_assert_no_error (error);
    }
  mc_sse_parser_end (parser);
  return describe (events, parser);
}

/* Parses @stream whole, a byte at a time and split at every point, and
 * checks each way gives @expected. */
static void
check_stream_len (const char *stream,
                  gsize       length,
                  const char *expected)
{
  g_autofree char *whole = parse (stream, length, 0);
  g_autofree char *bytes = parse (stream, length, 1);

  g_assert_cmpstr (whole, ==, expected);
  g_assert_cmpstr (bytes, ==, expected);

  for (gsize split = 1; split < length; split++)
    {
      g_autoptr(McSseParser) parser = mc_sse_parser_new (LIMIT, LIMIT);
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_sse_event_free);
      g_autofree char *result = NULL;

      g_assert_true (mc_sse_parser_feed (parser, stream, split, events, NULL));
      g_assert_true (mc_sse_parser_feed (parser, stream + split, length - split, events, NULL));
      mc_sse_parser_end (parser);
      result = describe (events, parser);
      g_assert_cmpstr (result, ==, expected);
    }
}

static void
check_stream (const char *stream,
              const char *expected)
{
  check_stream_len (stream, strlen (stream), expected);
}

static void
test_sse_parser_basic (void)
{
  check_stream ("data: hello\n\n", "message|hello|\nretry=-1 last=");
  /* The standard's examples. */
  check_stream ("data: YHOO\ndata: +2\ndata: 10\n\n", "message|YHOO\\n+2\\n10|\nretry=-1 last=");
  check_stream (": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n",
                "message|first event|1\nmessage|second event|\nretry=-1 last=");
  check_stream ("data\n\ndata\ndata\n\ndata:", "message||\nmessage|\\n|\nretry=-1 last=");
  check_stream ("data:test\n\ndata: test\n\n", "message|test|\nmessage|test|\nretry=-1 last=");
  check_stream ("event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
                "add|73857293|\nremove|2153|\nadd|113411|\nretry=-1 last=");
}

static void
test_sse_parser_fields (void)
{
  /* One space after the colon goes, no more; no colon is an empty value. */
  check_stream ("data:x\n\ndata:  x\n\ndata\n\n", "message|x|\nmessage| x|\nmessage||\nretry=-1 last=");
  /* Unknown fields and a field named with a space are ignored. */
  check_stream ("foo: bar\ndata : x\nDATA: y\ndata: z\n\n", "message|z|\nretry=-1 last=");
  /* The last event field wins; the type resets after each event. */
  check_stream ("event: a\nevent: b\ndata: 1\n\ndata: 2\n\n", "b|1|\nmessage|2|\nretry=-1 last=");
  /* An event with no data is not dispatched, and its type does not leak. */
  check_stream ("event: endpoint\n\ndata: x\n\n", "message|x|\nretry=-1 last=");
  /* The empty event type is the default. */
  check_stream ("event:\ndata: x\n\n", "message|x|\nretry=-1 last=");
  /* A colon in the value is the value's. */
  check_stream ("data: a:b: c\n\n", "message|a:b: c|\nretry=-1 last=");
}

static void
test_sse_parser_comments (void)
{
  check_stream (":\n: keep-alive\n:data: x\n\ndata: y\n:\n\n", "message|y|\nretry=-1 last=");
}

static void
test_sse_parser_line_endings (void)
{
  const char *expected = "message|a\\nb|\nmessage|c|\nretry=-1 last=";

  check_stream ("data: a\ndata: b\n\ndata: c\n\n", expected);
  check_stream ("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", expected);
  check_stream ("data: a\rdata: b\r\rdata: c\r\r", expected);
  check_stream ("data: a\r\ndata: b\n\rdata: c\r\n\n", expected);
  /* CR CR LF is a line and an empty line, not two empty lines. */
  check_stream ("data: a\r\r\ndata: b\n\n", "message|a|\nmessage|b|\nretry=-1 last=");
}

static void
test_sse_parser_bom (void)
{
  check_stream ("\xef\xbb\xbf" "data: x\n\n", "message|x|\nretry=-1 last=");
  /* Only one: a second is the start of an unknown field's name. */
  check_stream ("\xef\xbb\xbf\xef\xbb\xbf" "data: x\n\ndata: y\n\n", "message|y|\nretry=-1 last=");
  /* Not at the start: data. */
  check_stream ("data: \xef\xbb\xbfx\n\n", "message|\xef\xbb\xbfx|\nretry=-1 last=");
  /* Something that starts like one. */
  check_stream ("\xef\xbb" "data: x\n\ndata: y\n\n", "message|y|\nretry=-1 last=");
  check_stream ("\xef" "\n" "data: y\n\n", "message|y|\nretry=-1 last=");
}

static void
test_sse_parser_retry (void)
{
  check_stream ("retry: 500\n\n", "retry=500 last=");
  check_stream ("retry:0\n", "retry=0 last=");
  check_stream ("retry: 500\nretry: 1x\nretry: -1\nretry:\nretry: 2.5\nretry:  7\n", "retry=500 last=");
  check_stream ("retry: 99999999999999999999999999\n", "retry=9223372036854775807 last=");
  /* Applied at once, whether or not an event follows. */
  check_stream ("data: x\nretry: 20\n", "retry=20 last=");
}

static void
test_sse_parser_id (void)
{
  /* The id is the stream's, kept from event to event. */
  check_stream ("id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
                "message|a|1\nmessage|b|1\nmessage|c|2\nretry=-1 last=2");
  /* An empty id clears it. */
  check_stream ("id: 1\ndata: a\n\nid\ndata: b\n\n", "message|a|1\nmessage|b|\nretry=-1 last=");
  /* Recorded at the empty line even when no event follows (MCP's
   * priming events have an id and empty data). */
  check_stream ("id: 7\n\n", "retry=-1 last=7");
  check_stream ("id: p\ndata:\n\n", "message||p\nretry=-1 last=p");
  /* An event cut off by the end does not set it. */
  check_stream ("id: 1\n\nid: 2\ndata: x\n", "retry=-1 last=1");
  /* An id with a NUL is ignored. */
  check_stream_len ("id: 3\n\nid: a\0b\ndata: x\n\n", 24, "message|x|3\nretry=-1 last=3");
}

static void
test_sse_parser_end (void)
{
  g_autoptr(McSseParser) parser = mc_sse_parser_new (LIMIT, LIMIT);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_sse_event_free);

  g_assert_true (mc_sse_parser_feed (parser, "id: 1\nretry: 30\ndata: a\n\ndata: b\ndata: c", 40, events, NULL));
  g_assert_cmpuint (events->len, ==, 1);
  mc_sse_parser_end (parser);
  /* What was cut off is gone; the id and retry stay for a reconnection. */
  g_assert_cmpstr (mc_sse_parser_get_last_event_id (parser), ==, "1");
  g_assert_cmpint (mc_sse_parser_get_retry (parser), ==, 30);
  g_assert_true (mc_sse_parser_feed (parser, "\n\n", 2, events, NULL));
  g_assert_cmpuint (events->len, ==, 1);
}

static void
test_sse_parser_utf8 (void)
{
  /* Each invalid byte becomes U+FFFD; a NUL in data stays. */
  check_stream ("data: a\xff" "b\xc3\n\n", "message|a\xef\xbf\xbd" "b\xef\xbf\xbd|\nretry=-1 last=");
  check_stream ("event: \xe2\x82\n" "data: x\n\n", "\xef\xbf\xbd\xef\xbf\xbd|x|\nretry=-1 last=");

  {
    g_autoptr(McSseParser) parser = mc_sse_parser_new (LIMIT, LIMIT);
    g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_sse_event_free);
    McSseEvent *event = NULL;

    g_assert_true (mc_sse_parser_feed (parser, "data: a\0b\n\n", 11, events, NULL));
    g_assert_cmpuint (events->len, ==, 1);
    event = events->pdata[0];
    g_assert_cmpuint (event->data_length, ==, 3);
    g_assert_cmpmem (event->data, 3, "a\0b", 3);
    g_assert_cmpint (event->data[3], ==, '\0');
  }
}

static void
test_sse_parser_limits (void)
{
  g_autoptr(McSseParser) parser = mc_sse_parser_new (16, 24);
  g_autoptr(McSseParser) events_parser = mc_sse_parser_new (16, 20);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_sse_event_free);
  g_autoptr(GError) error = NULL;

  /* A line of exactly the limit is fine; one byte more is not, and the
   * events before it are kept. */
  g_assert_true (mc_sse_parser_feed (parser, "data: 0123456789\n\n", 18, events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_false (mc_sse_parser_feed (parser, "data: 01234", 11, events, &error) &&
                  mc_sse_parser_feed (parser, "567890", 6, events, &error));
  g_assert_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_LINE_TOO_LONG);
  g_assert_nonnull (strstr (error->message, "16 bytes"));
  g_clear_error (&error);
  /* The stream cannot go on. */
  g_assert_false (mc_sse_parser_feed (parser, "\n\n", 2, events, &error));
  g_assert_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_LINE_TOO_LONG);
  g_clear_error (&error);
  /* Even without a line break in sight. */
  {
    g_autoptr(McSseParser) long_line = mc_sse_parser_new (16, 24);

    g_assert_false (mc_sse_parser_feed (long_line, "01234567890123456", 17, events, &error));
    g_assert_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_LINE_TOO_LONG);
    g_clear_error (&error);
  }

  /* Many short data lines make a large event. */
  g_ptr_array_set_size (events, 0);
  g_assert_false (mc_sse_parser_feed (events_parser, "data: 0123456789\ndata: 0123456789\ndata: 0\n\n", 43, events,
                                      &error));
  g_assert_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_EVENT_TOO_LARGE);
  g_assert_cmpuint (events->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sse-parser/basic", test_sse_parser_basic);
  g_test_add_func ("/sse-parser/fields", test_sse_parser_fields);
  g_test_add_func ("/sse-parser/comments", test_sse_parser_comments);
  g_test_add_func ("/sse-parser/line-endings", test_sse_parser_line_endings);
  g_test_add_func ("/sse-parser/bom", test_sse_parser_bom);
  g_test_add_func ("/sse-parser/retry", test_sse_parser_retry);
  g_test_add_func ("/sse-parser/id", test_sse_parser_id);
  g_test_add_func ("/sse-parser/end", test_sse_parser_end);
  g_test_add_func ("/sse-parser/utf8", test_sse_parser_utf8);
  g_test_add_func ("/sse-parser/limits", test_sse_parser_limits);

  return g_test_run ();
}
