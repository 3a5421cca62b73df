/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the OAuth redirect listener: the input is one
 * connection's bytes, handed to _mc_loopback_listener_accept_stream() (the
 * code every accepted socket goes through) as an in-memory stream, and
 * then once more on a second connection, as a replay. Byte 0 holds the
 * flow's settings: bit 0, iss_required; bit 1, no issuer known; bit 2,
 * port 80 instead of 49152 (where Host may leave the port out). Besides
 * crashes, sanitizer reports and criticals it checks:
 *
 * - the wait completes at most once, and only for a request whose query,
 *   decoded by a plain restatement of the rules, carries the expected
 *   state and exactly the code or error returned; it fails (MC_ERROR_REMOTE)
 *   only for such a request whose iss breaks RFC 9207;
 * - a plain valid callback (request line, Host, nothing else) does
 *   complete it;
 * - every page is well-formed HTTP with the security headers and a
 *   Content-Length that is right, and its body is one of the fixed pages,
 *   which were rendered at start-up and hold no state and no code; only a
 *   completed OAuth error shows server text, escaped;
 * - the response never holds the state; a replay is refused once the wait
 *   completed, and otherwise gets the same page (the listener keeps no
 *   other state between requests);
 * - empty input gets no answer, any other input gets one, and nothing
 *   waits on a timer (the in-memory stream always has its bytes).
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "fuzz-common.h"
#include "mc-error.h"
#include "mc-loopback-listener-private.h"

#define PORT 49152
#define HOST_LINE "Host: 127.0.0.1:49152\r\n"
#define STATE "kq3cz9pWQeR1vT_xY-2nL8sH0aJ4bD6fG7mU5oI3eEw"
#define ISSUER "https://auth.example.com"
#define BASE_CODE "SplxlOBeZQQYbYS6WxSbIA"

#define FLAG_ISS_REQUIRED 1
#define FLAG_NO_ISSUER    2
#define FLAG_PORT_80      4

static const char *const security_headers[] = {
  "\r\nContent-Type: text/html; charset=utf-8\r\n",
  "\r\nCache-Control: no-store\r\n",
  "\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'\r\n",
  "\r\nX-Frame-Options: DENY\r\n",
  "\r\nReferrer-Policy: no-referrer\r\n",
  "\r\nX-Content-Type-Options: nosniff\r\n",
  "\r\nConnection: close\r\n",
};

typedef struct
{
  guint             n_completions;
  McCallbackResult *result;
  GError           *error;
} Outcome;

typedef struct
{
  guint  status;
  char  *body;
} Page;

/* Bodies of the pages that show nothing from the request. */
static GHashTable *fixed_bodies;
static char *success_body;
static char *denied_body;
static char *issuer_body;
static char *already_done_body;
/* How many '<' the OAuth error page has, without and with a message. */
static gsize error_page_tags[2];

static void
on_waited (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->n_completions++;
  g_clear_pointer (&outcome->result, mc_callback_result_free);
  g_clear_error (&outcome->error);
  outcome->result = mc_loopback_listener_wait_finish (MC_LOOPBACK_LISTENER (source_object), result,
                                                      &outcome->error);
}

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->result, mc_callback_result_free);
  g_clear_error (&outcome->error);
}

/* One connection: the input, then the end of the stream. */
static GBytes *
serve (McLoopbackListener *listener,
       const guint8       *data,
       gsize               size)
{
  g_autoptr(GInputStream) input = g_memory_input_stream_new_from_data (data, size, NULL);
  g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable ();
  g_autoptr(GIOStream) stream = g_simple_io_stream_new (input, output);
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  _mc_loopback_listener_accept_stream (listener, stream);
  while (_mc_loopback_listener_get_n_connections (listener) > 0)
    {
      /* In memory, nothing is ever waited for. */
      check (g_get_monotonic_time () < deadline);
      g_main_context_iteration (NULL, FALSE);
    }
  /* And the result reaches the flow from an idle. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  check (g_output_stream_is_closed (output));
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (output));
}

static gboolean
has_header_line (const char *head,
                 const char *line)
{
  return strstr (head, line) != NULL;
}

/* Checks the framing and headers of a response and returns its page. */
static Page
parse_response (GBytes *response)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (response, &size);
  g_autofree char *text = g_strndup (data, size);
  const char *end = NULL;
  g_autofree char *head = NULL;
  const char *length_header = NULL;
  guint64 content_length = 0;
  Page page = { 0 };

  check (strlen (text) == size);
  check (g_str_has_prefix (text, "HTTP/1.1 "));
  check (g_ascii_isdigit (text[9]) && g_ascii_isdigit (text[10]) && g_ascii_isdigit (text[11]) && text[12] == ' ');
  page.status = (text[9] - '0') * 100 + (text[10] - '0') * 10 + (text[11] - '0');
  check (page.status == 200 || page.status == 400 || page.status == 404 || page.status == 405 ||
         page.status == 414 || page.status == 431 || page.status == 505);

  end = strstr (text, "\r\n\r\n");
  check (end != NULL);
  head = g_strndup (text, end + 2 - text);
  for (gsize i = 0; i < G_N_ELEMENTS (security_headers); i++)
    check (has_header_line (head, security_headers[i]));
  check (has_header_line (head, "\r\nAllow: GET\r\n") == (page.status == 405));

  length_header = strstr (head, "\r\nContent-Length: ");
  check (length_header != NULL);
  content_length = g_ascii_strtoull (length_header + strlen ("\r\nContent-Length: "), NULL, 10);
  page.body = g_strdup (end + 4);
  check (content_length == strlen (page.body));
  check (g_utf8_validate (page.body, -1, NULL));
  check (strstr (text, STATE) == NULL);

  return page;
}

static McLoopbackListener *
new_listener (guint8 flags)
{
  McLoopbackListener *listener = _mc_loopback_listener_new_unbound ((flags & FLAG_PORT_80) ? 80 : PORT);

  mc_loopback_listener_expect (listener, STATE,
                               (flags & FLAG_NO_ISSUER) ? NULL : ISSUER,
                               (flags & FLAG_ISS_REQUIRED) != 0);
  return listener;
}

static gsize
count_char (const char *s,
            char        c)
{
  gsize n = 0;

  for (; *s != '\0'; s++)
    n += *s == c;
  return n;
}

/* Serves @request (flow settings 0) on a fresh listener, or on @listener,
 * and returns its page body. */
static char *
baseline (McLoopbackListener *listener,
          const char         *request,
          guint               status)
{
  g_autoptr(McLoopbackListener) own = listener != NULL ? g_object_ref (listener) : new_listener (0);
  g_autoptr(GBytes) response = serve (own, (const guint8 *) request, strlen (request));
  Page page = parse_response (response);

  if (page.status != status)
    {
      g_printerr ("baseline %s: status %u, not %u\n", request, page.status, status);
      abort ();
    }
  check (strstr (page.body, BASE_CODE) == NULL);
  g_hash_table_add (fixed_bodies, g_strdup (page.body));
  return page.body;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(McLoopbackListener) listener = NULL;
  g_autoptr(GString) long_line = g_string_new ("GET /callback?");
  g_autoptr(GString) many_headers = g_string_new ("GET /callback HTTP/1.1\r\n" HOST_LINE);
  g_autofree char *error_page = NULL;
  g_autofree char *error_page_described = NULL;

  fuzz_make_messages_fatal ();
  fixed_bodies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  listener = new_listener (0);
  success_body = baseline (listener, "GET /callback?code=" BASE_CODE "&state=" STATE " HTTP/1.1\r\n" HOST_LINE "\r\n", 200);
  already_done_body = baseline (listener, "GET /callback?code=" BASE_CODE "&state=" STATE " HTTP/1.1\r\n" HOST_LINE "\r\n", 400);
  denied_body = baseline (NULL, "GET /callback?error=access_denied&state=" STATE " HTTP/1.1\r\n" HOST_LINE "\r\n", 200);
  issuer_body = baseline (NULL, "GET /callback?code=" BASE_CODE "&state=" STATE "&iss=x HTTP/1.1\r\n" HOST_LINE "\r\n", 400);
  g_free (baseline (NULL, "GET /callback?code=" BASE_CODE "&state=x HTTP/1.1\r\n" HOST_LINE "\r\n", 400));
  g_free (baseline (NULL, "GET /callback?state=" STATE " HTTP/1.1\r\n" HOST_LINE "\r\n", 400));
  g_free (baseline (NULL, "x\r\n\r\n", 400));
  g_free (baseline (NULL, "GET / HTTP/1.1\r\n" HOST_LINE "\r\n", 404));
  g_free (baseline (NULL, "POST /callback HTTP/1.1\r\n" HOST_LINE "\r\n", 405));
  g_free (baseline (NULL, "GET /callback HTTP/2.0\r\n" HOST_LINE "\r\n", 505));
  while (long_line->len <= MC_LOOPBACK_MAX_REQUEST_TARGET + 64)
    g_string_append_c (long_line, 'a');
  g_free (baseline (NULL, long_line->str, 414));
  while (many_headers->len <= MC_LOOPBACK_MAX_HEADER_BYTES + 64)
    g_string_append (many_headers, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
  g_free (baseline (NULL, many_headers->str, 431));

  /* The page with server text is not a fixed one; it is known by its
   * markup, which escaped text cannot add to. */
  error_page = baseline (NULL, "GET /callback?error=e&state=" STATE " HTTP/1.1\r\n" HOST_LINE "\r\n", 200);
  error_page_described = baseline (NULL, "GET /callback?error=e&error_description=d&state=" STATE
                                   " HTTP/1.1\r\n" HOST_LINE "\r\n", 200);
  g_hash_table_remove (fixed_bodies, error_page);
  g_hash_table_remove (fixed_bodies, error_page_described);
  error_page_tags[0] = count_char (error_page, '<');
  error_page_tags[1] = count_char (error_page_described, '<');

  return 0;
}

/* The rules, restated: application/x-www-form-urlencoded, no NUL, UTF-8. */
static char *
reference_decode (const char *s,
                  gsize       length)
{
  g_autofree char *plus = g_strndup (s, length);
  g_autofree char *decoded = NULL;

  g_strdelimit (plus, "+", ' ');
  decoded = g_uri_unescape_segment (plus, NULL, NULL);
  if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
    return NULL;
  return g_steal_pointer (&decoded);
}

/* The query of "GET /callback?QUERY HTTP/1.x" on the first line, decoded;
 * NULL if there is none, it does not decode, or a name repeats. */
static GHashTable *
reference_params (const guint8 *data,
                  gsize         size,
                  gsize        *out_target_length)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const guint8 *line_end = memmem (data, size, "\r\n", 2);
  g_autofree char *text = NULL;
  const char *query = NULL;
  g_auto(GStrv) pieces = NULL;

  /* What follows the head, the listener never reads. */
  if (line_end == NULL || memchr (data, '\0', line_end - data) != NULL)
    return NULL;
  text = g_strndup ((const char *) data, line_end - data);
  if (!g_str_has_prefix (text, "GET /callback?") ||
      !(g_str_has_suffix (text, " HTTP/1.1") || g_str_has_suffix (text, " HTTP/1.0")))
    return NULL;
  text[strlen (text) - strlen (" HTTP/1.1")] = '\0';
  query = text + strlen ("GET /callback?");
  *out_target_length = strlen (text) - strlen ("GET ");

  pieces = g_strsplit (query, "&", -1);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      char *equals = strchr (pieces[i], '=');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (pieces[i][0] == '\0')
        continue;
      name = reference_decode (pieces[i], equals != NULL ? (gsize) (equals - pieces[i]) : strlen (pieces[i]));
      value = equals != NULL ? reference_decode (equals + 1, strlen (equals + 1)) : g_strdup ("");
      if (name == NULL || value == NULL || g_hash_table_contains (params, name))
        return NULL;
      g_hash_table_insert (params, g_steal_pointer (&name), g_steal_pointer (&value));
    }

  return g_steal_pointer (&params);
}

static gboolean
visible_ascii (const char *s,
               const char *excluded)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    {
      if ((guchar) *s < 0x20 || (guchar) *s > 0x7E || strchr (excluded, *s) != NULL)
        return FALSE;
    }
  return TRUE;
}

/* A request a browser could send: the request line, Host, the end. */
static gboolean
is_plain_request (const guint8 *data,
                  gsize         size,
                  guint8        flags)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  const char *line_end = strstr (text, "\r\n");
  const char *rest = (flags & FLAG_PORT_80) ? "\r\nHost: 127.0.0.1:80\r\n\r\n" : "\r\n" HOST_LINE "\r\n";

  if (line_end == NULL || strlen (text) != size || !g_str_equal (line_end, rest))
    return FALSE;
  for (const char *p = text; p < line_end; p++)
    {
      if ((guchar) *p < 0x20 || (guchar) *p > 0x7E || *p == '#')
        return FALSE;
    }
  /* Two spaces around the target, one after "Host:". */
  return count_char (text, ' ') == 3;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(McLoopbackListener) listener = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GHashTable) params = NULL;
  Outcome outcome = { 0 };
  Page page = { 0 };
  Page replay = { 0 };
  gsize target_length = 0;
  const char *issuer;
  gboolean iss_required;
  guint n_after_first;

  if (size < 1)
    return 0;

  issuer = (data[0] & FLAG_NO_ISSUER) ? NULL : ISSUER;
  iss_required = (data[0] & FLAG_ISS_REQUIRED) != 0;
  listener = new_listener (data[0]);
  mc_loopback_listener_wait_async (listener, NULL, on_waited, &outcome);

  first = serve (listener, data + 1, size - 1);
  n_after_first = outcome.n_completions;
  second = serve (listener, data + 1, size - 1);

  check (outcome.n_completions <= 1);
  check (outcome.n_completions == n_after_first);
  check ((g_bytes_get_size (first) == 0) == (size == 1));
  check ((g_bytes_get_size (second) == 0) == (size == 1));
  if (size == 1)
    {
      mc_loopback_listener_close (listener);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      outcome_clear (&outcome);
      return 0;
    }

  page = parse_response (first);
  replay = parse_response (second);
  params = reference_params (data + 1, size - 1, &target_length);

  if (outcome.n_completions == 1)
    {
      const char *iss = NULL;
      gboolean iss_ok;

      check (params != NULL);
      check (target_length <= MC_LOOPBACK_MAX_REQUEST_TARGET);
      check (g_strcmp0 (g_hash_table_lookup (params, "state"), STATE) == 0);
      iss = g_hash_table_lookup (params, "iss");
      iss_ok = iss != NULL ? g_strcmp0 (iss, issuer) == 0 : !iss_required;

      if (outcome.result != NULL)
        {
          McCallbackResult *result = outcome.result;

          check (iss_ok);
          check ((result->code == NULL) != (result->error == NULL));
          check (g_strcmp0 (result->code, g_hash_table_lookup (params, "code")) == 0);
          check (g_strcmp0 (result->error, g_hash_table_lookup (params, "error")) == 0);
          check (g_strcmp0 (result->iss, iss) == 0);
          if (result->error != NULL)
            check (g_strcmp0 (result->error_description, g_hash_table_lookup (params, "error_description")) == 0);
          else
            check (result->error_description == NULL);

          check (page.status == 200);
          if (result->code != NULL)
            check (g_str_equal (page.body, success_body));
          else if (g_str_equal (result->error, "access_denied"))
            check (g_str_equal (page.body, denied_body));
          else
            {
              /* The error page: server text only where it belongs, escaped. */
              gsize tags = count_char (page.body, '<');

              check (tags == error_page_tags[0] || tags == error_page_tags[1]);
              check (strstr (page.body, STATE) == NULL);
            }
        }
      else
        {
          check (g_error_matches (outcome.error, MC_ERROR, MC_ERROR_REMOTE));
          check (g_utf8_validate (outcome.error->message, -1, NULL));
          check (!iss_ok);
          check (g_str_equal (page.body, issuer_body));
        }

      /* Spent. */
      check (replay.status == 400);
      check (g_str_equal (replay.body, already_done_body));
    }
  else
    {
      check (g_hash_table_contains (fixed_bodies, page.body));
      /* Nothing changed, so the replay gets the same page. */
      check (replay.status == page.status);
      check (g_str_equal (replay.body, page.body));
    }

  /* A callback as a browser sends it, which the rules accept, completes. */
  if (params != NULL && is_plain_request (data + 1, size - 1, data[0]) &&
      target_length <= MC_LOOPBACK_MAX_REQUEST_TARGET &&
      g_strcmp0 (g_hash_table_lookup (params, "state"), STATE) == 0)
    {
      const char *code = g_hash_table_lookup (params, "code");
      const char *error = g_hash_table_lookup (params, "error");

      if ((code != NULL) != (error != NULL) &&
          (code == NULL || visible_ascii (code, "")) &&
          (error == NULL || visible_ascii (error, "\"\\")))
        check (outcome.n_completions == 1);
    }

  mc_loopback_listener_close (listener);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  outcome_clear (&outcome);
  g_free (page.body);
  g_free (replay.body);
  return 0;
}
