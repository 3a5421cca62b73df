/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "mc-bridge-error.h"
#include "mc-bridge-options.h"
#include "mc-oauth-urls.h"

/* The command line of mcp-consent-bridge, modelled on mcp-remote 0.15's
 * so that a configuration can switch by changing the command:
 *
 *   mcp-consent-bridge URL [CALLBACK_PORT] [--header NAME:VALUE]… [--allow-http] …
 *
 * mcp-remote's other options fall in three groups (docs/bridge.md lists
 * them): those the bridge does too (--header, --header-file, --allow-http,
 * --transport, --debug, --silent); those about mechanics the broker
 * replaces or the bridge does differently, accepted with a note (the
 * callback port and host, timeouts, proxies); and those that would change
 * what the user signs in to or what the client may do, refused, because
 * quietly ignoring them would give the user something else than they
 * configured (--resource, --ignore-tool, static OAuth clients, …). */

#define PROGRAM "mcp-consent-bridge"

/* Headers the bridge sets itself; a second value would confuse the
 * server or break the transport. */
static const char * const reserved_headers[] = {
  "Accept",
  "Connection",
  "Content-Length",
  "Content-Type",
  "Host",
  "Last-Event-ID",
  "MCP-Protocol-Version",
  "Mcp-Session-Id",
  "Transfer-Encoding",
};

typedef struct
{
  McBridgeOptions     *options;
  const char * const  *envp;
} ParseState;

void
mc_bridge_options_free (McBridgeOptions *options)
{
  if (options == NULL)
    return;

  g_free (options->url);
  g_clear_pointer (&options->header_names, g_ptr_array_unref);
  g_clear_pointer (&options->header_values, g_ptr_array_unref);
  g_clear_pointer (&options->notes, g_ptr_array_unref);
  g_free (options);
}

/**
 * mc_bridge_expand_env:
 * @value: a header value
 * @envp: the environment
 * @unset: (element-type utf8): where the names of variables that are not
 *   set are added
 *
 * Replaces each `${NAME}` by the variable's value, as mcp-remote does:
 * one pass, no nesting, no default values; a variable that is not set
 * leaves `${NAME}` as it is.
 *
 * Returns: (transfer full): the expanded value
 */
char *
mc_bridge_expand_env (const char         *value,
                      const char * const *envp,
                      GPtrArray          *unset)
{
  GString *out = g_string_new (NULL);
  const char *p = value;

  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (unset != NULL, NULL);

  while (*p != '\0')
    {
      const char *start = strstr (p, "${");
      const char *close = NULL;
      g_autofree char *name = NULL;
      const char *found = NULL;

      if (start == NULL || (close = strchr (start + 2, '}')) == NULL || close == start + 2)
        {
          g_string_append (out, p);
          break;
        }

      g_string_append_len (out, p, start - p);
      name = g_strndup (start + 2, close - start - 2);
      found = g_environ_getenv ((char **) envp, name);
      if (found != NULL)
        {
          g_string_append (out, found);
        }
      else
        {
          g_string_append_len (out, start, close - start + 1);
          g_ptr_array_add (unset, g_steal_pointer (&name));
        }
      p = close + 1;
    }

  return g_string_free (out, FALSE);
}

/**
 * mc_bridge_check_url:
 * @url: the MCP server URL given
 * @allow_http: whether plain http to another host is allowed
 * @error: return location for a #GError
 *
 * Returns: whether the bridge may connect to @url: an absolute http(s)
 *   URL with a host, without user information or fragment, and https
 *   unless the host is this computer or @allow_http
 */
gboolean
mc_bridge_check_url (const char  *url,
                     gboolean     allow_http,
                     GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme = NULL;
  const char *host = NULL;

  g_return_val_if_fail (url != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("“%s” is not a URL; give the MCP server’s address, such as https://mcp.example.com/mcp"),
                   url);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if ((g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0) ||
      host == NULL || *host == '\0')
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("“%s” is not an http or https URL; give the MCP server’s address, such as https://mcp.example.com/mcp"),
                   url);
      return FALSE;
    }

  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                           _("The URL holds a user name or password, which the bridge does not send; "
                             "remove it, and pass credentials with --header if the server needs them"));
      return FALSE;
    }

  if (g_uri_get_fragment (uri) != NULL)
    {
      g_set_error_literal (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                           _("The URL has a fragment (“#…”), which is never sent to a server; remove it"));
      return FALSE;
    }

  if (g_ascii_strcasecmp (scheme, "http") == 0 && !allow_http && !mc_oauth_host_is_loopback (host))
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("Plain http to %s is refused: anyone on the way could read or change what the client "
                     "and the server say. Use https, or pass --allow-http if this network is trusted"),
                   host);
      return FALSE;
    }

  return TRUE;
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL;
}

static gboolean
add_header (ParseState  *state,
            const char  *line,
            const char  *where,
            GError     **error)
{
  McBridgeOptions *options = state->options;
  const char *colon = strchr (line, ':');
  g_autofree char *name = NULL;
  g_autofree char *value = NULL;
  g_autoptr(GPtrArray) unset = g_ptr_array_new_with_free_func (g_free);
  const char *raw_value = NULL;

  if (colon == NULL || colon == line)
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("%s is not a header: write it as Name:Value, such as \"Authorization: Bearer ${TOKEN}\""),
                   where);
      return FALSE;
    }

  name = g_strndup (line, colon - line);
  for (const char *p = name; *p != '\0'; p++)
    {
      if (!is_token_char (*p))
        {
          g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                       _("%s: “%s” is not a valid header name"), where, name);
          return FALSE;
        }
    }

  for (gsize i = 0; i < G_N_ELEMENTS (reserved_headers); i++)
    {
      if (g_ascii_strcasecmp (name, reserved_headers[i]) == 0)
        {
          g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                       _("%s: the bridge sets the %s header itself; remove it"), where, reserved_headers[i]);
          return FALSE;
        }
    }

  raw_value = colon + 1;
  while (*raw_value == ' ' || *raw_value == '\t')
    raw_value++;
  value = mc_bridge_expand_env (raw_value, state->envp, unset);
  g_strchomp (value);

  /* Checked after expansion: a variable may hold a line break, and a
   * header with one would let it write headers of its own. */
  for (const char *p = value; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 && *p != '\t')
        {
          g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                       _("%s: the value of the %s header holds a line break or a control character"),
                       where, name);
          return FALSE;
        }
    }
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("%s: the value of the %s header is not UTF-8 text"), where, name);
      return FALSE;
    }

  for (guint i = 0; i < unset->len; i++)
    g_ptr_array_add (options->notes,
                     g_strdup_printf (_("The environment variable %s is not set: the %s header keeps “${%s}” as it is"),
                                      (const char *) unset->pdata[i], name, (const char *) unset->pdata[i]));

  /* The last value given for a name wins, as in mcp-remote. */
  for (guint i = 0; i < options->header_names->len; i++)
    {
      if (g_ascii_strcasecmp (options->header_names->pdata[i], name) == 0)
        {
          g_ptr_array_remove_index (options->header_names, i);
          g_ptr_array_remove_index (options->header_values, i);
          break;
        }
    }
  g_ptr_array_add (options->header_names, g_steal_pointer (&name));
  g_ptr_array_add (options->header_values, g_steal_pointer (&value));
  return TRUE;
}

static gboolean
on_header (const char  *option_name,
           const char  *value,
           gpointer     data,
           GError     **error)
{
  ParseState *state = data;
  g_autofree char *where = g_strdup_printf ("--header “%s”", value);

  return add_header (state, value, where, error);
}

static gboolean
on_header_file (const char  *option_name,
                const char  *value,
                gpointer     data,
                GError     **error)
{
  ParseState *state = data;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) lines = NULL;

  /* Read before the main loop runs: a start-up file, like a config. */
  if (!g_file_get_contents (value, &contents, NULL, &local_error))
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("Cannot read the header file: %s"), local_error->message);
      return FALSE;
    }

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *where = NULL;
      char *line = g_strstrip (lines[i]);

      if (*line == '\0' || *line == '#')
        continue;
      where = g_strdup_printf (_("Line %u of %s"), i + 1, value);
      if (!add_header (state, line, where, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
on_transport (const char  *option_name,
              const char  *value,
              gpointer     data,
              GError     **error)
{
  ParseState *state = data;
  static const struct
  {
    const char        *name;
    McBridgeTransport  transport;
  } strategies[] = {
    { "http-first", MC_BRIDGE_TRANSPORT_HTTP_FIRST },
    { "http-only", MC_BRIDGE_TRANSPORT_HTTP_ONLY },
    { "sse-only", MC_BRIDGE_TRANSPORT_SSE_ONLY },
    { "sse-first", MC_BRIDGE_TRANSPORT_SSE_FIRST },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (strategies); i++)
    {
      if (g_str_equal (value, strategies[i].name))
        {
          state->options->transport = strategies[i].transport;
          return TRUE;
        }
    }

  g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
               _("--transport “%s” is not one of http-first, http-only, sse-first and sse-only"), value);
  return FALSE;
}

static gboolean
on_protocol (const char  *option_name,
             const char  *value,
             gpointer     data,
             GError     **error)
{
  if (g_str_equal (value, "legacy"))
    return TRUE;

  g_set_error_literal (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                       _("--protocol auto is not supported: the bridge passes the client’s initialize to "
                         "the server as it is (what --protocol legacy does); remove the option"));
  return FALSE;
}

/* mcp-remote options that concern its own sign-in machinery, or tuning
 * the bridge does without: accepted, and the user told. */
static gboolean
on_ignored (const char  *option_name,
            const char  *value,
            gpointer     data,
            GError     **error)
{
  ParseState *state = data;

  g_ptr_array_add (state->options->notes,
                   g_strdup_printf (_("%s is an mcp-remote option the bridge does not need; ignored "
                                      "(see “Options of mcp-remote” in docs/bridge.md)"),
                                    option_name));
  return TRUE;
}

/* mcp-remote options whose effect the bridge cannot give: refused, since
 * going on without it would give the user something else than asked. */
static gboolean
on_refused (const char  *option_name,
            const char  *value,
            gpointer     data,
            GError     **error)
{
  if (g_str_equal (option_name, "--ignore-tool"))
    g_set_error_literal (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                         _("--ignore-tool is not supported: the bridge would pass every tool on to the client; "
                           "remove the option, or keep mcp-remote for this server"));
  else
    g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                 _("%s is not supported: sign-ins are the broker’s, configured in its clients.ini "
                   "(docs/authorization.md); remove the option"),
                 option_name);
  return FALSE;
}

static gboolean
parse_callback_port (const char *text)
{
  guint64 port = 0;

  return g_ascii_string_to_unsigned (text, 10, 1, 65535, &port, NULL);
}

/**
 * mc_bridge_options_parse:
 * @argc: the number of arguments
 * @argv: (array length=argc): the arguments, the program's name first;
 *   not changed
 * @envp: the environment, for `${VAR}` in header values
 * @error: return location for a #GError
 *
 * Parses the command line.  `--help` prints the help and exits, as
 * GOption does.
 *
 * Returns: (transfer full): the options, or %NULL with @error set to a
 *   message for the user
 */
McBridgeOptions *
mc_bridge_options_parse (int                  argc,
                         char               **argv,
                         const char * const  *envp,
                         GError             **error)
{
  g_autoptr(McBridgeOptions) options = g_new0 (McBridgeOptions, 1);
  ParseState state = { options, envp };
  gboolean verbose = FALSE;
  gboolean debug = FALSE;
  gboolean silent = FALSE;
  gboolean allow_http = FALSE;
  gboolean show_version = FALSE;
  gint64 max_message = MC_BRIDGE_DEFAULT_MAX_MESSAGE;
  const GOptionEntry entries[] = {
    { "header", 0, 0, G_OPTION_ARG_CALLBACK, on_header,
      N_("Send this header with every request; ${VAR} is replaced by the environment variable VAR"),
      N_("NAME:VALUE") },
    { "header-file", 0, 0, G_OPTION_ARG_CALLBACK, on_header_file,
      N_("Send the headers in this file, one Name: value a line (keeps secrets off the command line)"),
      N_("FILE") },
    { "allow-http", 0, 0, G_OPTION_ARG_NONE, &allow_http,
      N_("Allow plain http to hosts other than this computer"), NULL },
    { "transport", 0, 0, G_OPTION_ARG_CALLBACK, on_transport,
      N_("http-first (default), http-only, sse-first or sse-only"), N_("STRATEGY") },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT64, &max_message,
      N_("The largest message passed either way, in bytes (default 4194304)"), N_("BYTES") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log what passes, without contents, on stderr"), NULL },
    { "debug", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &debug, NULL, NULL },
    { "silent", 0, 0, G_OPTION_ARG_NONE, &silent, N_("Log nothing but errors"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version, N_("Print the version and exit"), NULL },
    { "protocol", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_protocol, NULL, NULL },
    /* mcp-remote's, with no use here. */
    { "host", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "callback-path", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "auth-timeout", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "auth-success-url", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "connect-timeout", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "headers-timeout", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "body-timeout", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "ping-interval", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "keep-alive", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "ipv4", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "enable-proxy", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_ignored, NULL, NULL },
    { "disable-cookies", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_ignored, NULL,
      NULL },
    /* mcp-remote's, whose effect the bridge cannot give. */
    { "resource", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { "authorize-param", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { "static-oauth-client-metadata", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { "static-oauth-client-info", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { "client-metadata-url", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { "token-endpoint", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { "ignore-tool", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { "disable-resource-parameter", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
      on_refused, NULL, NULL },
    { "client-credentials", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_refused,
      NULL, NULL },
    { "device-code", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { "use-id-token", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_refused, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("URL [CALLBACK-PORT]"));
  GOptionGroup *group = NULL;
  g_auto(GStrv) args = NULL;
  guint n_args = 0;

  g_return_val_if_fail (argc >= 1 && argv != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  options->header_names = g_ptr_array_new_with_free_func (g_free);
  options->header_values = g_ptr_array_new_with_free_func (g_free);
  options->notes = g_ptr_array_new_with_free_func (g_free);
  options->transport = MC_BRIDGE_TRANSPORT_HTTP_FIRST;

  group = g_option_group_new (PROGRAM, NULL, NULL, &state, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_context_set_main_group (context, group);
  g_option_context_set_summary (context,
                                _("Connects an MCP client that speaks stdio to a remote MCP server over "
                                  "Streamable HTTP (or the older HTTP+SSE transport).\n"
                                  "The client writes JSON-RPC to stdin and reads the server’s messages on "
                                  "stdout; logs go to stderr."));
  g_option_context_set_description (context,
                                    _("Example, as the command of an MCP client’s configuration:\n"
                                      "  mcp-consent-bridge https://mcp.example.com/mcp\n"
                                      "See docs/bridge.md for client configurations and mcp-remote’s options."));

  /* GOption rearranges and shortens the vector it is given; in strv
   * mode it frees what it takes out. */
  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  if (!g_option_context_parse_strv (context, &args, error))
    {
      if (error != NULL && *error != NULL && (*error)->domain != MC_BRIDGE_ERROR)
        {
          g_autofree char *message = g_strdup ((*error)->message);

          g_clear_error (error);
          g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                       _("%s; run mcp-consent-bridge --help for the options"), message);
        }
      return NULL;
    }
  n_args = g_strv_length (args);

  options->verbose = verbose || debug;
  options->silent = silent && !options->verbose;
  options->allow_http = allow_http;
  options->show_version = show_version;
  if (show_version)
    return g_steal_pointer (&options);

  if (max_message < MC_BRIDGE_MIN_MAX_MESSAGE || max_message > MC_BRIDGE_MAX_MAX_MESSAGE)
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("--max-message-size must be between %d and %" G_GINT64_FORMAT " bytes"),
                   MC_BRIDGE_MIN_MAX_MESSAGE, MC_BRIDGE_MAX_MAX_MESSAGE);
      return NULL;
    }
  options->max_message = max_message;

  if (n_args < 2)
    {
      g_set_error_literal (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                           _("The MCP server’s URL is missing: mcp-consent-bridge https://mcp.example.com/mcp"));
      return NULL;
    }

  /* mcp-remote's second argument is the port of its OAuth redirect
   * listener; the broker picks its own. */
  if (n_args >= 3 && !parse_callback_port (args[2]))
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("Unexpected argument “%s”; run mcp-consent-bridge --help for the options"), args[2]);
      return NULL;
    }
  if (n_args >= 3)
    g_ptr_array_add (options->notes,
                     g_strdup_printf (_("The callback port %s is ignored: the broker listens for sign-in "
                                        "redirects on a port of its own"),
                                      args[2]));
  if (n_args > 3)
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT,
                   _("Unexpected argument “%s”; run mcp-consent-bridge --help for the options"), args[3]);
      return NULL;
    }

  if (!mc_bridge_check_url (args[1], options->allow_http, error))
    return NULL;
  options->url = g_strdup (args[1]);

  return g_steal_pointer (&options);
}
