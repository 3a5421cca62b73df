/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* mcp-consent-bridge's command line: what mcp-remote users write. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "mc-bridge-error.h"
#include "mc-bridge-options.h"

static const char * const test_envp[] = {
  "AUTH_TOKEN=secret-token",
  "AUTH_HEADER=Bearer from-env",
  "EVIL=a\r\nX-Injected: 1",
  NULL,
};

/* Parses "mcp-consent-bridge" and the NULL-terminated arguments. */
static McBridgeOptions *
parse (GError     **error,
       const char  *first,
       ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (args, (char *) "mcp-consent-bridge");
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return mc_bridge_options_parse (args->len - 1, (char **) args->pdata, test_envp, error);
}

static void
expect_refused (const char *what,
                GError     *error)
{
  g_assert_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_BAD_ARGUMENT);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (what != NULL && strstr (error->message, what) == NULL)
    g_error ("“%s” does not say “%s”", error->message, what);
}

static gboolean
notes_say (McBridgeOptions *options,
           const char      *what)
{
  for (guint i = 0; i < options->notes->len; i++)
    {
      if (strstr (options->notes->pdata[i], what) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_bridge_options_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McBridgeOptions) options = parse (&error, "https://mcp.example.com/mcp", NULL);

  g_assert_no_error (error);
  g_assert_cmpstr (options->url, ==, "https://mcp.example.com/mcp");
  g_assert_cmpuint (options->header_names->len, ==, 0);
  g_assert_false (options->allow_http);
  g_assert_false (options->verbose);
  g_assert_false (options->silent);
  g_assert_cmpuint (options->max_message, ==, MC_BRIDGE_DEFAULT_MAX_MESSAGE);
  g_assert_cmpint (options->transport, ==, MC_BRIDGE_TRANSPORT_HTTP_FIRST);
  g_assert_cmpuint (options->notes->len, ==, 0);
}

static void
test_bridge_options_urls (void)
{
  const char *accepted[] = {
    "https://mcp.example.com/mcp",
    "https://mcp.example.com:8443/v1/sse?tenant=a",
    "http://localhost:3000/mcp",
    "http://127.0.0.1:8080/mcp",
    "http://[::1]:8080/mcp",
    "HTTPS://MCP.EXAMPLE.COM/",
  };
  const struct
  {
    const char *url;
    const char *says;
  } refused[] = {
    { "http://mcp.example.com/mcp", "--allow-http" },
    { "http://10.0.0.5/mcp", "--allow-http" },
    { "ftp://mcp.example.com/mcp", "not an http or https URL" },
    { "mcp.example.com/mcp", "not a URL" },
    { "https:///mcp", "not an http or https URL" },
    { "https://user:password@mcp.example.com/mcp", "user name or password" },
    { "https://mcp.example.com/mcp#x", "fragment" },
    { "", "not a URL" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McBridgeOptions) options = parse (&error, accepted[i], NULL);

      g_assert_no_error (error);
      g_assert_cmpstr (options->url, ==, accepted[i]);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McBridgeOptions) options = parse (&error, refused[i].url, NULL);

      g_assert_null (options);
      expect_refused (refused[i].says, error);
    }

  /* --allow-http, anywhere on the line. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(McBridgeOptions) options = parse (&error, "--allow-http", "http://mcp.internal/mcp", NULL);

    g_assert_no_error (error);
    g_assert_true (options->allow_http);
  }
}

static void
test_bridge_options_headers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McBridgeOptions) options = NULL;

  options = parse (&error, "https://mcp.example.com/mcp",
                   "--header", "Authorization: Bearer ${AUTH_TOKEN}",
                   "--header", "X-Tenant:acme",
                   "--header=X-Empty:",
                   "--header", "X-Missing: ${NOT_SET}-${AUTH_TOKEN}",
                   "--header", "x-tenant: second",
                   NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (options->header_names->len, ==, 4);
  g_assert_cmpstr (options->header_names->pdata[0], ==, "Authorization");
  g_assert_cmpstr (options->header_values->pdata[0], ==, "Bearer secret-token");
  g_assert_cmpstr (options->header_names->pdata[1], ==, "X-Empty");
  g_assert_cmpstr (options->header_values->pdata[1], ==, "");
  /* A variable that is not set stays as written, and the user is told. */
  g_assert_cmpstr (options->header_names->pdata[2], ==, "X-Missing");
  g_assert_cmpstr (options->header_values->pdata[2], ==, "${NOT_SET}-secret-token");
  g_assert_true (notes_say (options, "NOT_SET"));
  /* The last value for a name wins, whatever its case. */
  g_assert_cmpstr (options->header_names->pdata[3], ==, "x-tenant");
  g_assert_cmpstr (options->header_values->pdata[3], ==, "second");
  g_clear_pointer (&options, mc_bridge_options_free);

  /* The no-space form mcp-remote's README suggests for Cursor. */
  options = parse (&error, "https://mcp.example.com/mcp", "--header", "Authorization:${AUTH_HEADER}", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (options->header_values->pdata[0], ==, "Bearer from-env");
  g_clear_pointer (&options, mc_bridge_options_free);

  options = parse (&error, "https://mcp.example.com/mcp", "--header", "No colon here", NULL);
  g_assert_null (options);
  expect_refused ("Name:Value", error);
  g_clear_error (&error);

  options = parse (&error, "https://mcp.example.com/mcp", "--header", "Bad Name: x", NULL);
  g_assert_null (options);
  expect_refused ("not a valid header name", error);
  g_clear_error (&error);

  options = parse (&error, "https://mcp.example.com/mcp", "--header", "mcp-session-id: stolen", NULL);
  g_assert_null (options);
  expect_refused ("Mcp-Session-Id", error);
  g_clear_error (&error);

  /* A line break, however it comes, would let a value write headers. */
  options = parse (&error, "https://mcp.example.com/mcp", "--header", "X-Evil: ${EVIL}", NULL);
  g_assert_null (options);
  expect_refused ("line break", error);
}

static void
test_bridge_options_header_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McBridgeOptions) options = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mc-bridge-options-XXXXXX", &error);
  g_autofree char *good = g_build_filename (dir, "good", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);

  g_assert_no_error (error);
  g_file_set_contents (good, "# credentials\n\nAuthorization: Bearer ${AUTH_TOKEN}\r\n  X-Custom-Header: v  \n", -1,
                       &error);
  g_assert_no_error (error);
  g_file_set_contents (bad, "X-Ok: 1\nnot a header\n", -1, &error);
  g_assert_no_error (error);

  options = parse (&error, "https://mcp.example.com/mcp", "--header-file", good, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (options->header_names->len, ==, 2);
  g_assert_cmpstr (options->header_values->pdata[0], ==, "Bearer secret-token");
  g_assert_cmpstr (options->header_names->pdata[1], ==, "X-Custom-Header");
  g_assert_cmpstr (options->header_values->pdata[1], ==, "v");
  g_clear_pointer (&options, mc_bridge_options_free);

  /* A line that is not a header is an error naming it, not a warning. */
  options = parse (&error, "https://mcp.example.com/mcp", "--header-file", bad, NULL);
  g_assert_null (options);
  expect_refused ("Line 2", error);
  g_clear_error (&error);

  /* A file that cannot be read fails at once, rather than sending the
   * requests without their credentials. */
  options = parse (&error, "https://mcp.example.com/mcp", "--header-file", missing, NULL);
  g_assert_null (options);
  expect_refused ("header file", error);

  g_unlink (good);
  g_unlink (bad);
  g_rmdir (dir);
}

static void
test_bridge_options_positional (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McBridgeOptions) options = NULL;

  /* mcp-remote's callback port: accepted, and said to be ignored. */
  options = parse (&error, "https://mcp.example.com/mcp", "3334", NULL);
  g_assert_no_error (error);
  g_assert_true (notes_say (options, "3334"));
  g_clear_pointer (&options, mc_bridge_options_free);

  options = parse (&error, "https://mcp.example.com/mcp", "sse", NULL);
  g_assert_null (options);
  expect_refused ("sse", error);
  g_clear_error (&error);

  options = parse (&error, "https://mcp.example.com/mcp", "3334", "extra", NULL);
  g_assert_null (options);
  expect_refused ("extra", error);
  g_clear_error (&error);

  options = parse (&error, NULL);
  g_assert_null (options);
  expect_refused ("URL is missing", error);
  g_clear_error (&error);

  options = parse (&error, "--frobnicate", "https://mcp.example.com/mcp", NULL);
  g_assert_null (options);
  expect_refused ("--help", error);
}

static void
test_bridge_options_mcp_remote (void)
{
  const char *ignored[] = { "--host", "--callback-path", "--auth-timeout", "--connect-timeout",
                            "--headers-timeout", "--body-timeout", "--ping-interval", "--auth-success-url" };
  const char *ignored_flags[] = { "--keep-alive", "--ipv4", "--enable-proxy", "--disable-cookies" };
  const char *refused[] = { "--resource", "--authorize-param", "--static-oauth-client-metadata",
                            "--static-oauth-client-info", "--client-metadata-url", "--token-endpoint" };
  const char *refused_flags[] = { "--disable-resource-parameter", "--client-credentials", "--device-code",
                                  "--use-id-token" };

  for (gsize i = 0; i < G_N_ELEMENTS (ignored); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McBridgeOptions) options = parse (&error, "https://mcp.example.com/mcp", ignored[i], "x", NULL);

      g_assert_no_error (error);
      g_assert_true (notes_say (options, ignored[i]));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (ignored_flags); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McBridgeOptions) options = parse (&error, ignored_flags[i], "https://mcp.example.com/mcp", NULL);

      g_assert_no_error (error);
      g_assert_true (notes_say (options, ignored_flags[i]));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McBridgeOptions) options = parse (&error, "https://mcp.example.com/mcp", refused[i], "x", NULL);

      g_assert_null (options);
      expect_refused (refused[i], error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refused_flags); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McBridgeOptions) options = parse (&error, refused_flags[i], "https://mcp.example.com/mcp", NULL);

      g_assert_null (options);
      expect_refused (refused_flags[i], error);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(McBridgeOptions) options = parse (&error, "https://mcp.example.com/mcp", "--ignore-tool", "delete*",
                                                NULL);

    g_assert_null (options);
    expect_refused ("every tool", error);
  }
}

static void
test_bridge_options_switches (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McBridgeOptions) options = NULL;
  const struct
  {
    const char        *name;
    McBridgeTransport  transport;
  } transports[] = {
    { "http-first", MC_BRIDGE_TRANSPORT_HTTP_FIRST },
    { "http-only", MC_BRIDGE_TRANSPORT_HTTP_ONLY },
    { "sse-only", MC_BRIDGE_TRANSPORT_SSE_ONLY },
    { "sse-first", MC_BRIDGE_TRANSPORT_SSE_FIRST },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (transports); i++)
    {
      options = parse (&error, "https://mcp.example.com/mcp", "--transport", transports[i].name, NULL);
      g_assert_no_error (error);
      g_assert_cmpint (options->transport, ==, transports[i].transport);
      g_clear_pointer (&options, mc_bridge_options_free);
    }
  options = parse (&error, "https://mcp.example.com/mcp", "--transport", "websocket", NULL);
  g_assert_null (options);
  expect_refused ("websocket", error);
  g_clear_error (&error);

  options = parse (&error, "https://mcp.example.com/mcp", "--protocol", "legacy", "--debug", "--silent", NULL);
  g_assert_no_error (error);
  g_assert_true (options->verbose);
  /* Debugging beats silence, as in mcp-remote. */
  g_assert_false (options->silent);
  g_clear_pointer (&options, mc_bridge_options_free);

  options = parse (&error, "https://mcp.example.com/mcp", "--protocol", "auto", NULL);
  g_assert_null (options);
  expect_refused ("--protocol auto", error);
  g_clear_error (&error);

  options = parse (&error, "https://mcp.example.com/mcp", "--silent", "--max-message-size", "65536", NULL);
  g_assert_no_error (error);
  g_assert_true (options->silent);
  g_assert_cmpuint (options->max_message, ==, 65536);
  g_clear_pointer (&options, mc_bridge_options_free);

  options = parse (&error, "https://mcp.example.com/mcp", "--max-message-size", "100", NULL);
  g_assert_null (options);
  expect_refused ("--max-message-size", error);
  g_clear_error (&error);

  options = parse (&error, "--version", NULL);
  g_assert_no_error (error);
  g_assert_true (options->show_version);
}

static void
test_bridge_options_expand_env (void)
{
  g_autoptr(GPtrArray) unset = g_ptr_array_new_with_free_func (g_free);
  const struct
  {
    const char *value;
    const char *expanded;
  } cases[] = {
    { "plain", "plain" },
    { "${AUTH_TOKEN}", "secret-token" },
    { "a${AUTH_TOKEN}b${AUTH_TOKEN}", "asecret-tokenbsecret-token" },
    { "${}", "${}" },
    { "${AUTH_TOKEN", "${AUTH_TOKEN" },
    { "$AUTH_TOKEN", "$AUTH_TOKEN" },
    { "${${AUTH_TOKEN}}", "${${AUTH_TOKEN}}" },
    { "${NOPE}", "${NOPE}" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expanded = mc_bridge_expand_env (cases[i].value, test_envp, unset);

      g_assert_cmpstr (expanded, ==, cases[i].expanded);
    }
  /* ${NOPE}, and ${${AUTH_TOKEN}}, which names "${AUTH_TOKEN"; "${AUTH_TOKEN"
   * has no end, and is no variable. */
  g_assert_cmpuint (unset->len, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bridge-options/defaults", test_bridge_options_defaults);
  g_test_add_func ("/bridge-options/urls", test_bridge_options_urls);
  g_test_add_func ("/bridge-options/headers", test_bridge_options_headers);
  g_test_add_func ("/bridge-options/header-file", test_bridge_options_header_file);
  g_test_add_func ("/bridge-options/positional", test_bridge_options_positional);
  g_test_add_func ("/bridge-options/mcp-remote", test_bridge_options_mcp_remote);
  g_test_add_func ("/bridge-options/switches", test_bridge_options_switches);
  g_test_add_func ("/bridge-options/expand-env", test_bridge_options_expand_env);

  return g_test_run ();
}
