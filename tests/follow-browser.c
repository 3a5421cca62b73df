/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* A "web browser" that does what a browser does with a sign-in page that
 * needs no user: registered as the default handler of x-scheme-handler/http(s)
 * through mimeapps.list, it GETs the URL it is given, follows the
 * authorization server's redirects to the broker's loopback listener, and
 * reads the page there.  No script: the SDK's demo authorization server
 * approves at once with a 302.
 *
 *   follow-browser [--cookies FILE] [--submit-forms [--fill-text TEXT]]
 *                  [--loopback-only] URL
 *
 * With --cookies it keeps cookies in FILE (Mozilla's cookies.txt format)
 * from one run to the next, as a browser profile does; without, it keeps
 * none.  With --submit-forms it then does what a user does on a page with
 * a form (the SDK's URL elicitation pages: an API key form, a payment
 * confirmation): it fills the form's text fields with TEXT (default
 * "mc-test-api-key"), keeps its hidden fields, and presses the form's
 * first submit button, as Enter does; only the first form of the page,
 * only once.  With --loopback-only a URL whose host is not a loopback
 * address is not requested at all (a test stays off the network).
 *
 * It appends JSON lines to $MCP_CONSENT_TEST_BROWSER_LOG:
 *
 *   {"event":"started","pid":N}
 *   {"event":"loaded","pid":N,"url":"…","final_url":"…","status":200,
 *    "redirects":1,"heading":"…"}
 *   {"event":"submitted","pid":N,"url":"…","action":"…","method":"POST",
 *    "fields":["session",…],"pressed":"action=confirm","status":200,
 *    "heading":"…"}                                     (--submit-forms)
 *
 * or, when no answer came, {"event":"failed","pid":N,"url":"…","error":"…"};
 * with --loopback-only, {"event":"skipped","pid":N,"url":"…","reason":"…"}
 * for another host.  The first line comes before any request, so a test
 * knows the process to wait for (GIO starts it from a child that exits at
 * once: it is nobody's child the test could wait on). */

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
/* A page larger than this is not searched for a form. */
#define MAX_FORM_PAGE_BYTES (1024 * 1024)
/* Fields one form may have; the rest are not sent. */
#define MAX_FORM_FIELDS 64
#define DEFAULT_FILL_TEXT "mc-test-api-key"

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

/* The HTTP status the page came with. */
static void
add_status (JsonBuilder *builder,
            SoupMessage *message)
{
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, soup_message_get_status (message));
}

static int
log_failure (const char *url,
             const char *error)
{
  g_autoptr(JsonBuilder) failed = begin_event ("failed");

  add_string (failed, "url", url);
  add_string (failed, "error", error);
  json_builder_end_object (failed);
  log_event (failed);
  return EXIT_FAILURE;
}

/* The text of the page's first <h1>, which is all a test needs to tell
 * the listener's pages apart; no HTML parser for that. */
static char *
find_heading (const char *text)
{
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

/* The body as a string: up to its first NUL, which no page of a test has. */
static char *
body_text (GBytes *body)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);

  return g_strndup (data, length);
}

/* Whether libsoup can request @uri: http(s) with a host (it answers
 * anything else with a critical). */
static gboolean
is_http_url (GUri *uri)
{
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  return scheme != NULL && host != NULL && *host != '\0' &&
         (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0);
}

/* Whether @url is http(s) on a loopback host: localhost, *.localhost,
 * 127.0.0.0/8 or ::1. */
static gboolean
is_loopback_url (GUri *uri)
{
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  g_autoptr(GInetAddress) address = NULL;

  if (!is_http_url (uri))
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* Stops a request that is redirected off loopback (--loopback-only). */
static void
on_restarted_check_host (SoupMessage *message,
                         gpointer     user_data)
{
  GCancellable *cancellable = user_data;

  if (!is_loopback_url (soup_message_get_uri (message)))
    g_cancellable_cancel (cancellable);
}

static void
on_restarted (SoupMessage *message,
              gpointer     user_data)
{
  guint *redirects = user_data;

  (*redirects)++;
}

/* Makes @message a top-level navigation to its own URL, as a browser's
 * address bar or form does, so that the cookie jar sends SameSite=Lax
 * cookies with it. */
static void
navigate (SoupMessage *message)
{
  GUri *uri = soup_message_get_uri (message);

  soup_message_set_first_party (message, uri);
  soup_message_set_site_for_cookies (message, uri);
  soup_message_set_is_top_level_navigation (message, TRUE);
}

/* A minimal form reader {{{1 */

/* Decodes the character references the pages of a test use: the five
 * named ones and numeric ones. */
static char *
decode_entities (const char *text,
                 gsize       length)
{
  GString *decoded = g_string_sized_new (length);
  static const struct { const char *name; char value; } named[] = {
    { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
  };

  for (gsize i = 0; i < length; i++)
    {
      gboolean done = FALSE;

      if (text[i] != '&')
        {
          g_string_append_c (decoded, text[i]);
          continue;
        }
      for (gsize n = 0; n < G_N_ELEMENTS (named) && !done; n++)
        {
          gsize name_length = strlen (named[n].name);

          if (length - i >= name_length && strncmp (text + i, named[n].name, name_length) == 0)
            {
              g_string_append_c (decoded, named[n].value);
              i += name_length - 1;
              done = TRUE;
            }
        }
      if (!done && length - i > 3 && text[i + 1] == '#')
        {
          gboolean hex = text[i + 2] == 'x' || text[i + 2] == 'X';
          gsize digits = i + (hex ? 3 : 2);
          gsize end = digits;
          guint64 code = 0;

          while (end < length && end - digits < 8 &&
                 (hex ? g_ascii_isxdigit (text[end]) : g_ascii_isdigit (text[end])))
            end++;
          if (end > digits && end < length && text[end] == ';')
            {
              g_autofree char *number = g_strndup (text + digits, end - digits);

              code = g_ascii_strtoull (number, NULL, hex ? 16 : 10);
              if (code > 0 && code <= 0x10FFFF && g_unichar_validate ((gunichar) code))
                {
                  g_string_append_unichar (decoded, (gunichar) code);
                  i = end;
                  done = TRUE;
                }
            }
        }
      if (!done)
        g_string_append_c (decoded, '&');
    }
  return g_string_free (decoded, FALSE);
}

/* Reads the attributes of a tag from @p, just after its name, to its
 * '>' (or @limit); *@end is past it.  Names are lower-cased; an
 * attribute without a value has "". */
static GHashTable *
read_attributes (const char  *p,
                 const char  *limit,
                 const char **end)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  while (p < limit)
    {
      const char *name_start = NULL;
      g_autofree char *name = NULL;
      char *value = NULL;

      while (p < limit && (g_ascii_isspace (*p) || *p == '/'))
        p++;
      if (p >= limit || *p == '>')
        break;

      name_start = p;
      while (p < limit && !g_ascii_isspace (*p) && *p != '=' && *p != '>' && *p != '/')
        p++;
      name = g_ascii_strdown (name_start, p - name_start);
      while (p < limit && g_ascii_isspace (*p))
        p++;

      if (p < limit && *p == '=')
        {
          const char *value_start = NULL;

          p++;
          while (p < limit && g_ascii_isspace (*p))
            p++;
          if (p < limit && (*p == '"' || *p == '\''))
            {
              char quote = *p++;

              value_start = p;
              while (p < limit && *p != quote)
                p++;
              value = decode_entities (value_start, p - value_start);
              if (p < limit)
                p++;
            }
          else
            {
              value_start = p;
              while (p < limit && !g_ascii_isspace (*p) && *p != '>')
                p++;
              value = decode_entities (value_start, p - value_start);
            }
        }

      if (*name != '\0' && !g_hash_table_contains (attributes, name))
        g_hash_table_insert (attributes, g_steal_pointer (&name), value != NULL ? value : g_strdup (""));
      else
        g_free (value);
    }

  *end = p < limit ? p + 1 : limit;
  return attributes;
}

/* Whether a tag @name starts at @p (just after its '<'). */
static gboolean
tag_is (const char *p,
        const char *limit,
        const char *name)
{
  gsize length = strlen (name);

  return (gsize) (limit - p) > length && g_ascii_strncasecmp (p, name, length) == 0 &&
         !g_ascii_isalnum (p[length]);
}

typedef struct
{
  char      *method;
  char      *action;
  /* Alternating names and values, in document order. */
  GPtrArray *fields;
  char      *pressed;
} Form;

static void
form_free (Form *form)
{
  g_free (form->method);
  g_free (form->action);
  g_ptr_array_unref (form->fields);
  g_free (form->pressed);
  g_free (form);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Form, form_free)

static void
form_add (Form       *form,
          const char *name,
          const char *value)
{
  if (form->fields->len / 2 >= MAX_FORM_FIELDS)
    return;
  g_ptr_array_add (form->fields, g_strdup (name));
  g_ptr_array_add (form->fields, g_strdup (value));
}

/* The first submit button: its name=value is sent, as a click (or Enter)
 * sends it. */
static void
form_press (Form       *form,
            GHashTable *attributes)
{
  const char *name = g_hash_table_lookup (attributes, "name");
  const char *value = g_hash_table_lookup (attributes, "value");

  if (form->pressed != NULL || g_hash_table_contains (attributes, "disabled"))
    return;
  form->pressed = g_strdup_printf ("%s=%s", name != NULL ? name : "", value != NULL ? value : "");
  if (name != NULL && *name != '\0')
    form_add (form, name, value != NULL ? value : "");
}

static void
form_input (Form       *form,
            GHashTable *attributes,
            const char *fill_text)
{
  const char *name = g_hash_table_lookup (attributes, "name");
  const char *value = g_hash_table_lookup (attributes, "value");
  const char *type_attribute = g_hash_table_lookup (attributes, "type");
  g_autofree char *type = g_ascii_strdown (type_attribute != NULL ? type_attribute : "text", -1);

  if (g_str_equal (type, "submit") || g_str_equal (type, "image"))
    {
      form_press (form, attributes);
      return;
    }
  if (name == NULL || *name == '\0' || g_hash_table_contains (attributes, "disabled"))
    return;

  if (g_str_equal (type, "hidden"))
    form_add (form, name, value != NULL ? value : "");
  else if (g_str_equal (type, "checkbox") || g_str_equal (type, "radio"))
    {
      if (g_hash_table_contains (attributes, "checked"))
        form_add (form, name, value != NULL ? value : "on");
    }
  else if (g_str_equal (type, "text") || g_str_equal (type, "search") || g_str_equal (type, "email") ||
           g_str_equal (type, "password") || g_str_equal (type, "url") || g_str_equal (type, "tel"))
    /* What the user types into an empty field; a filled one is kept. */
    form_add (form, name, value != NULL && *value != '\0' ? value : fill_text);
  /* Files, buttons, resets and the rest: nothing to send. */
}

/* The first <form> of @text with its <input>s and <button>s (no
 * <select> or <textarea>: the pages of the tests have none), or %NULL. */
static Form *
find_form (const char *text,
           const char *fill_text)
{
  const char *limit = text + strlen (text);
  const char *p = text;
  Form *form = NULL;

  while ((p = strchr (p, '<')) != NULL)
    {
      g_autoptr(GHashTable) attributes = NULL;
      const char *after = NULL;

      p++;
      if (form == NULL)
        {
          if (!tag_is (p, limit, "form"))
            continue;
          attributes = read_attributes (p + strlen ("form"), limit, &after);
          form = g_new0 (Form, 1);
          form->method = g_ascii_strup (g_hash_table_lookup (attributes, "method") != NULL
                                          ? g_hash_table_lookup (attributes, "method") : "GET", -1);
          form->action = g_strdup (g_hash_table_lookup (attributes, "action"));
          form->fields = g_ptr_array_new_with_free_func (g_free);
        }
      else if (tag_is (p, limit, "/form"))
        break;
      else if (tag_is (p, limit, "input"))
        {
          attributes = read_attributes (p + strlen ("input"), limit, &after);
          form_input (form, attributes, fill_text);
        }
      else if (tag_is (p, limit, "button"))
        {
          const char *type = NULL;

          attributes = read_attributes (p + strlen ("button"), limit, &after);
          type = g_hash_table_lookup (attributes, "type");
          if (type == NULL || g_ascii_strcasecmp (type, "submit") == 0)
            form_press (form, attributes);
        }
      else
        continue;
      p = after;
    }

  return form;
}

static char *
encode_form (Form *form)
{
  GString *encoded = g_string_new (NULL);

  for (guint i = 0; i + 1 < form->fields->len; i += 2)
    {
      g_autofree char *name = g_uri_escape_string (form->fields->pdata[i], NULL, FALSE);
      g_autofree char *value = g_uri_escape_string (form->fields->pdata[i + 1], NULL, FALSE);

      g_string_append_printf (encoded, "%s%s=%s", encoded->len > 0 ? "&" : "", name, value);
    }
  return g_string_free (encoded, FALSE);
}

/* Submits @form of the page at @page_url, as a user does, and logs what
 * came of it. */
static int
submit_form (SoupSession *session,
             const char  *page_url,
             Form        *form,
             gboolean     loopback_only)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) action = NULL;
  g_autoptr(JsonBuilder) done = NULL;
  g_autofree char *action_url = NULL;
  g_autofree char *encoded = encode_form (form);
  g_autofree char *text = NULL;
  g_autofree char *heading = NULL;

  /* An empty or missing action is the page itself. */
  action = g_uri_parse_relative (NULL, page_url, G_URI_FLAGS_ENCODED, NULL);
  if (action != NULL && form->action != NULL && *form->action != '\0')
    {
      GUri *resolved = g_uri_parse_relative (action, form->action, G_URI_FLAGS_ENCODED, &error);

      g_clear_pointer (&action, g_uri_unref);
      action = resolved;
    }
  if (action == NULL)
    return log_failure (page_url, error != NULL ? error->message : "the page's URL cannot be parsed");
  if (!is_http_url (action))
    return log_failure (page_url, "the form's action is not an http(s) URL");
  if (loopback_only && !is_loopback_url (action))
    return log_failure (page_url, "the form's action is not on a loopback host");

  if (g_str_equal (form->method, "POST"))
    {
      action_url = g_uri_to_string (action);
      message = soup_message_new_from_encoded_form (SOUP_METHOD_POST, action_url, g_steal_pointer (&encoded));
    }
  else
    {
      g_autoptr(GUri) with_query = soup_uri_copy (action, SOUP_URI_QUERY, encoded, SOUP_URI_FRAGMENT, NULL,
                                                  SOUP_URI_NONE);

      action_url = g_uri_to_string (with_query);
      message = soup_message_new (SOUP_METHOD_GET, action_url);
    }
  if (message == NULL)
    return log_failure (page_url, "the form's action is not a URL libsoup can request");
  navigate (message);

  body = soup_session_send_and_read (session, message, NULL, &error);
  if (body == NULL)
    return log_failure (action_url, error->message);
  text = body_text (body);
  heading = find_heading (text);

  done = begin_event ("submitted");
  add_string (done, "url", page_url);
  add_string (done, "action", action_url);
  add_string (done, "method", form->method);
  json_builder_set_member_name (done, "fields");
  json_builder_begin_array (done);
  for (guint i = 0; i + 1 < form->fields->len; i += 2)
    json_builder_add_string_value (done, form->fields->pdata[i]);
  json_builder_end_array (done);
  add_string (done, "pressed", form->pressed);
  add_status (done, message);
  add_string (done, "heading", heading);
  json_builder_end_object (done);
  log_event (done);

  return SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)) ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* main {{{1 */

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(JsonBuilder) started = NULL;
  g_autoptr(JsonBuilder) done = NULL;
  g_autoptr(Form) form = NULL;
  g_autofree char *cookies = NULL;
  g_autofree char *fill_text = NULL;
  g_autofree char *final_url = NULL;
  g_autofree char *text = NULL;
  g_autofree char *heading = NULL;
  gboolean submit_forms = FALSE;
  gboolean loopback_only = FALSE;
  const char *url = NULL;
  guint redirects = 0;
  const GOptionEntry entries[] = {
    { "cookies", 0, 0, G_OPTION_ARG_FILENAME, &cookies, "Keep cookies in FILE between runs", "FILE" },
    { "submit-forms", 0, 0, G_OPTION_ARG_NONE, &submit_forms, "Submit the page's first form", NULL },
    { "fill-text", 0, 0, G_OPTION_ARG_STRING, &fill_text, "What to type into empty text fields", "TEXT" },
    { "loopback-only", 0, 0, G_OPTION_ARG_NONE, &loopback_only, "Request nothing off loopback", NULL },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");

  context = g_option_context_new ("URL");
  g_option_context_add_main_entries (context, entries, NULL);
  log_path = g_getenv ("MCP_CONSENT_TEST_BROWSER_LOG");
  if (!g_option_context_parse (context, &argc, &argv, &error) || log_path == NULL || argc != 2)
    {
      g_printerr ("Usage: MCP_CONSENT_TEST_BROWSER_LOG=FILE follow-browser [--cookies FILE] "
                  "[--submit-forms [--fill-text TEXT]] [--loopback-only] URL\n");
      return EXIT_FAILURE;
    }
  url = argv[1];

  started = begin_event ("started");
  json_builder_end_object (started);
  log_event (started);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (loopback_only && !is_loopback_url (uri))
    {
      done = begin_event ("skipped");
      add_string (done, "url", url);
      add_string (done, "reason", "not on a loopback host: the test browser stays off the network");
      json_builder_end_object (done);
      log_event (done);
      return EXIT_SUCCESS;
    }

  /* No cookie jar unless asked for (none is added by default): the demo
   * server's cookie is not needed for a sign-in. */
  session = g_object_new (SOUP_TYPE_SESSION,
                          "timeout", TIMEOUT_SECONDS,
                          "idle-timeout", TIMEOUT_SECONDS,
                          "user-agent", "mcp-consent-follow-browser ",
                          NULL);
  if (cookies != NULL)
    {
      g_autoptr(SoupCookieJar) jar = soup_cookie_jar_text_new (cookies, FALSE);

      soup_cookie_jar_set_accept_policy (jar, SOUP_COOKIE_JAR_ACCEPT_ALWAYS);
      soup_session_add_feature (session, SOUP_SESSION_FEATURE (jar));
    }

  message = is_http_url (uri) ? soup_message_new (SOUP_METHOD_GET, url) : NULL;
  if (message == NULL)
    return log_failure (url, "not a URL libsoup can request");
  navigate (message);

  /* libsoup follows redirects of a GET itself, as a browser does; each one
   * restarts the message. */
  g_signal_connect (message, "restarted", G_CALLBACK (on_restarted), &redirects);
  if (loopback_only)
    g_signal_connect (message, "restarted", G_CALLBACK (on_restarted_check_host), cancellable);
  body = soup_session_send_and_read (session, message, cancellable, &error);
  if (body == NULL)
    return log_failure (url, g_cancellable_is_cancelled (cancellable)
                               ? "redirected off loopback" : error->message);

  final_url = g_uri_to_string (soup_message_get_uri (message));
  text = body_text (body);
  heading = find_heading (text);

  done = begin_event ("loaded");
  add_string (done, "url", url);
  add_string (done, "final_url", final_url);
  add_status (done, message);
  json_builder_set_member_name (done, "redirects");
  json_builder_add_int_value (done, redirects);
  add_string (done, "heading", heading);
  json_builder_end_object (done);
  log_event (done);

  if (!submit_forms || soup_message_get_status (message) != SOUP_STATUS_OK ||
      g_bytes_get_size (body) > MAX_FORM_PAGE_BYTES)
    return EXIT_SUCCESS;
  form = find_form (text, fill_text != NULL ? fill_text : DEFAULT_FILL_TEXT);
  if (form == NULL)
    return EXIT_SUCCESS;
  return submit_form (session, final_url, form, loopback_only);
}
