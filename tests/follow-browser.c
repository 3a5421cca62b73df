/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* A "web browser" that does what a browser does with a sign-in page that
 * needs no user: registered as the default handler of x-scheme-handler/http(s)
 * through mimeapps.list, it GETs the URL it is given, follows the
 * authorization server's redirects to the broker's loopback listener, and
 * reads the page there.  No cookies, no script: the SDK's demo
 * authorization server approves at once with a 302.
 *
 * It appends two JSON lines to $MCP_CONSENT_TEST_BROWSER_LOG:
 *
 *   {"event":"started","pid":N}
 *   {"event":"loaded","pid":N,"url":"…","final_url":"…","status":200,
 *    "redirects":1,"heading":"…"}
 *
 * or, when no answer came, {"event":"failed","pid":N,"url":"…","error":"…"}.
 * The first line comes before any request, so a test knows the process to
 * wait for (GIO starts it from a child that exits at once: it is nobody's
 * child the test could wait on). */

#include "config.h"

#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Shorter than a test's deadline, so a hung server shows up here first. */
#define TIMEOUT_SECONDS 20

static const char *log_path;

static void
log_event (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *json = json_to_string (root, FALSE);
  g_autofree char *line = g_strconcat (json, "\n", NULL);
  int fd = open (log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    return;
  /* One write per line: a reader never sees half of one. */
  if (write (fd, line, strlen (line)) < 0)
    g_printerr ("follow-browser: cannot write to %s\n", log_path);
  close (fd);
}

static JsonBuilder *
begin_event (const char *event)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  return builder;
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* The text of the page's first <h1>, which is all a test needs to tell
 * the listener's pages apart; no HTML parser for that. */
static char *
find_heading (GBytes *body)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);
  g_autofree char *text = g_strndup (data, length);
  const char *start = strstr (text, "<h1>");
  const char *end = NULL;

  if (start == NULL)
    return NULL;
  start += strlen ("<h1>");
  end = strstr (start, "</h1>");
  if (end == NULL)
    return NULL;
  return g_strndup (start, end - start);
}

static void
on_restarted (SoupMessage *message,
              gpointer     user_data)
{
  guint *redirects = user_data;

  (*redirects)++;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) started = NULL;
  g_autoptr(JsonBuilder) done = NULL;
  g_autofree char *final_url = NULL;
  g_autofree char *heading = NULL;
  guint redirects = 0;

  setlocale (LC_ALL, "");

  log_path = g_getenv ("MCP_CONSENT_TEST_BROWSER_LOG");
  if (log_path == NULL || argc != 2)
    {
      g_printerr ("Usage: MCP_CONSENT_TEST_BROWSER_LOG=FILE follow-browser URL\n");
      return EXIT_FAILURE;
    }

  started = begin_event ("started");
  json_builder_end_object (started);
  log_event (started);

  /* A session without a cookie jar (none is added by default): the demo
   * server's cookie is not needed, and nothing is kept between runs. */
  session = g_object_new (SOUP_TYPE_SESSION,
                          "timeout", TIMEOUT_SECONDS,
                          "idle-timeout", TIMEOUT_SECONDS,
                          "user-agent", "mcp-consent-follow-browser ",
                          NULL);
  message = soup_message_new (SOUP_METHOD_GET, argv[1]);
  if (message == NULL)
    {
      done = begin_event ("failed");
      add_string (done, "url", argv[1]);
      add_string (done, "error", "not a URL libsoup can request");
      json_builder_end_object (done);
      log_event (done);
      return EXIT_FAILURE;
    }

  /* libsoup follows redirects of a GET itself, as a browser does; each one
   * restarts the message. */
  g_signal_connect (message, "restarted", G_CALLBACK (on_restarted), &redirects);
  body = soup_session_send_and_read (session, message, NULL, &error);
  if (body == NULL)
    {
      done = begin_event ("failed");
      add_string (done, "url", argv[1]);
      add_string (done, "error", error->message);
      json_builder_end_object (done);
      log_event (done);
      return EXIT_FAILURE;
    }

  final_url = g_uri_to_string (soup_message_get_uri (message));
  heading = find_heading (body);

  done = begin_event ("loaded");
  add_string (done, "url", argv[1]);
  add_string (done, "final_url", final_url);
  json_builder_set_member_name (done, "status");
  json_builder_add_int_value (done, soup_message_get_status (message));
  json_builder_set_member_name (done, "redirects");
  json_builder_add_int_value (done, redirects);
  add_string (done, "heading", heading);
  json_builder_end_object (done);
  log_event (done);

  return EXIT_SUCCESS;
}
