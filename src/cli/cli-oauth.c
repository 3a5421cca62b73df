/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "cli-common.h"
#include "cli-oauth.h"
#include "mc-client-registry.h"
#include "mc-oauth-urls.h"
#include "mc-paths.h"
#include "mc-token-store.h"

/* The authorization commands: sign in, print a token, list and revoke
 * grants, and configure OAuth clients (docs/cli.md). */

#define MAX_CLIENT_SECRET_LENGTH 4096

static char *
format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = NULL;

  if (unix_seconds <= 0)
    return g_strdup (_("unknown"));

  time = g_date_time_new_from_unix_local (unix_seconds);
  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup (_("unknown"));
}

static char *
join_scopes (GVariant *dict)
{
  g_autofree const char **scopes = NULL;

  if (!g_variant_lookup (dict, "scopes", "^a&s", &scopes) || scopes[0] == NULL)
    return g_strdup (_("(none)"));
  return g_strjoinv (" ", (char **)scopes);
}

/* authorize {{{1 */

int
cli_cmd_authorize (int    argc,
                   char **argv)
{
  g_auto(GStrv) scopes = NULL;
  g_autofree char *www_authenticate = NULL;
  int timeout = 0;
  const GOptionEntry entries[] = {
    { "scope", 0, 0, G_OPTION_ARG_STRING_ARRAY, &scopes, N_("A scope to ask for (repeat for more)"), N_("SCOPE") },
    { "www-authenticate", 0, 0, G_OPTION_ARG_STRING, &www_authenticate,
      N_("The WWW-Authenticate header of the server’s 401 or 403"), N_("HEADER") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("Seconds the whole sign-in may take (default 600)"), N_("SECONDS") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("URL"));
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(CliRequest) request = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *handle = NULL;
  guint32 response = 0;
  int exit_status = CLI_EXIT_OK;

  g_option_context_set_summary (context, _("Sign in to the MCP server at URL: the dialog asks the user, the browser "
                                           "signs in, and the tokens go to the keyring.\n"
                                           "Prints the grant."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 1))
    return CLI_EXIT_REFUSED;

  broker = cli_connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  request = cli_request_new (broker);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (cli_request_get_token (request)));
  if (scopes != NULL)
    g_variant_builder_add (&options, "{sv}", "scopes", g_variant_new_strv ((const char * const *)scopes, -1));
  if (www_authenticate != NULL)
    g_variant_builder_add (&options, "{sv}", "www_authenticate", g_variant_new_string (www_authenticate));
  if (timeout > 0)
    g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (timeout));

  if (!mc_dbus_broker1_call_authorize_sync (broker, "", argv[1], g_variant_builder_end (&options),
                                            &handle, NULL, &error))
    return cli_report_call_error (error);

  g_printerr ("%s\n", _("Waiting for the sign-in…"));
  exit_status = cli_request_wait (request, handle, &response, &results);
  if (exit_status != CLI_EXIT_OK)
    return exit_status;

  if (response == 0)
    {
      const char *grant_id = NULL;
      gint64 expires_at = 0;
      g_autofree char *scope_text = join_scopes (results);
      g_autofree char *expires_text = NULL;

      g_variant_lookup (results, "grant_id", "&s", &grant_id);
      g_variant_lookup (results, "expires_at", "x", &expires_at);
      expires_text = format_time (expires_at);
      g_print (_("Signed in to %s\n"), argv[1]);
      g_print (_("Grant: %s\n"), grant_id != NULL ? grant_id : "?");
      g_print (_("Scopes: %s\n"), scope_text);
      g_print (_("Token expires: %s\n"), expires_text);
      return CLI_EXIT_OK;
    }
  else
    {
      const char *reason = "failed";
      const char *message = "";

      g_variant_lookup (results, "reason", "&s", &reason);
      g_variant_lookup (results, "message", "&s", &message);
      /* TRANSLATORS: the reason code, then the message */
      cli_print_error (_("Not signed in (%s): %s"), reason, message);
      return CLI_EXIT_REFUSED;
    }
}

/* token {{{1 */

int
cli_cmd_token (int    argc,
               char **argv)
{
  gboolean refresh = FALSE;
  const GOptionEntry entries[] = {
    { "refresh", 0, 0, G_OPTION_ARG_NONE, &refresh, N_("Get a new token even if this one has not expired"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("URL"));
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *access_token = NULL;
  int exit_status = CLI_EXIT_OK;

  g_option_context_set_summary (context, _("Print a valid access token for the MCP server at URL (refreshed first if "
                                           "it is about to expire).\n"
                                           "The token is a secret: pipe it, do not show it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 1))
    return CLI_EXIT_REFUSED;

  broker = cli_connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (refresh)
    g_variant_builder_add (&options, "{sv}", "refresh", g_variant_new_boolean (TRUE));

  if (!mc_dbus_broker1_call_get_token_sync (broker, argv[1], g_variant_builder_end (&options),
                                            &access_token, &info, NULL, &error))
    return cli_report_call_error (error);

  g_print ("%s\n", access_token);
  memset (access_token, 0, strlen (access_token));
  return CLI_EXIT_OK;
}

/* grants {{{1 */

static void
add_json_member (JsonBuilder *builder,
                 const char  *key,
                 GVariant    *value)
{
  json_builder_set_member_name (builder, key);

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    json_builder_add_string_value (builder, g_variant_get_string (value, NULL));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    json_builder_add_int_value (builder, g_variant_get_int64 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    json_builder_add_boolean_value (builder, g_variant_get_boolean (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING_ARRAY))
    {
      g_autofree const char **strv = g_variant_get_strv (value, NULL);

      json_builder_begin_array (builder);
      for (gsize i = 0; strv[i] != NULL; i++)
        json_builder_add_string_value (builder, strv[i]);
      json_builder_end_array (builder);
    }
  else
    json_builder_add_null_value (builder);
}

static void
print_grants_json (GVariant *grants)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  GVariantIter grant_iter;
  GVariant *grant = NULL;

  json_builder_begin_array (builder);
  g_variant_iter_init (&grant_iter, grants);
  while ((grant = g_variant_iter_next_value (&grant_iter)) != NULL)
    {
      GVariantIter iter;
      const char *key = NULL;
      GVariant *value = NULL;

      json_builder_begin_object (builder);
      g_variant_iter_init (&iter, grant);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          add_json_member (builder, key, value);
          g_variant_unref (value);
        }
      json_builder_end_object (builder);
      g_variant_unref (grant);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json = json_generator_to_data (generator, NULL);
  g_print ("%s\n", json);
}

static void
print_grants_text (GVariant *grants)
{
  GVariantIter grant_iter;
  GVariant *grant = NULL;

  if (g_variant_n_children (grants) == 0)
    {
      g_print ("%s\n", _("No grants."));
      return;
    }

  g_variant_iter_init (&grant_iter, grants);
  while ((grant = g_variant_iter_next_value (&grant_iter)) != NULL)
    {
      const char *id = "?", *app_id = NULL, *resource = "?", *issuer = "?";
      gint64 expires_at = 0, last_used = 0;
      gboolean needs_sign_in = FALSE;
      g_autofree char *scopes = join_scopes (grant);
      g_autofree char *expires_text = NULL;
      g_autofree char *used_text = NULL;

      g_variant_lookup (grant, "id", "&s", &id);
      g_variant_lookup (grant, "app_id", "&s", &app_id);
      g_variant_lookup (grant, "resource", "&s", &resource);
      g_variant_lookup (grant, "issuer", "&s", &issuer);
      g_variant_lookup (grant, "expires_at", "x", &expires_at);
      g_variant_lookup (grant, "last_used", "x", &last_used);
      g_variant_lookup (grant, "needs_sign_in", "b", &needs_sign_in);
      expires_text = format_time (expires_at);
      used_text = last_used > 0 ? format_time (last_used) : g_strdup (_("never"));

      /* TRANSLATORS: grant id, then "<server> for <app>" */
      g_print (_("%s  %s for %s\n"), id, resource, app_id != NULL && app_id[0] != '\0' ? app_id : _("programs on the host"));
      g_print (_("    signed in at: %s\n"), issuer);
      g_print (_("    scopes: %s\n"), scopes);
      g_print (_("    token expires: %s; last used: %s\n"), expires_text, used_text);
      if (needs_sign_in)
        g_print ("    %s\n", _("the server no longer accepts it: sign in again"));
      g_variant_unref (grant);
    }
}

int
cli_cmd_grants (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(GVariant) grants = NULL;
  g_autoptr(GError) error = NULL;
  int exit_status = CLI_EXIT_OK;

  g_option_context_set_summary (context, _("List the grants (sign-ins) the broker keeps tokens for; no secrets."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 0))
    return CLI_EXIT_REFUSED;

  broker = cli_connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (!mc_dbus_broker1_call_list_grants_sync (broker, &grants, NULL, &error))
    return cli_report_call_error (error);

  if (json)
    print_grants_json (grants);
  else
    print_grants_text (grants);
  return CLI_EXIT_OK;
}

/* revoke {{{1 */

static int
revoke_one (McDbusBroker1 *broker,
            const char    *grant_id,
            const char    *resource)
{
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean at_server = FALSE;
  guint32 deleted = 0;

  if (!mc_dbus_broker1_call_revoke_grant_sync (broker, grant_id, &result, NULL, &error))
    return cli_report_call_error (error);

  g_variant_lookup (result, "revoked_at_server", "b", &at_server);
  g_variant_lookup (result, "keyring_items_deleted", "u", &deleted);
  g_print (_("Revoked grant %s for %s.\n"), grant_id, resource);
  g_print ("  %s\n", at_server ? _("The authorization server revoked it too.")
                               : _("The authorization server was not told: it offers no revocation, or could not be reached."));
  g_print ("  ");
  g_print (g_dngettext (GETTEXT_PACKAGE, "%u token deleted from the keyring.\n",
                        "%u tokens deleted from the keyring.\n", deleted), deleted);
  return CLI_EXIT_OK;
}

int
cli_cmd_revoke (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("GRANT-ID|URL"));
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(GVariant) grants = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *resource = NULL;
  GVariantIter iter;
  GVariant *grant = NULL;
  int exit_status = CLI_EXIT_OK;
  guint matched = 0;

  g_option_context_set_summary (context, _("Revoke one grant (by its id), or every grant for the MCP server at URL: "
                                           "the authorization server is told where it allows it, and the tokens are "
                                           "deleted from the keyring."));
  if (!cli_parse_options (context, &argc, &argv, 1))
    return CLI_EXIT_REFUSED;

  broker = cli_connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (!mc_dbus_broker1_call_list_grants_sync (broker, &grants, NULL, &error))
    return cli_report_call_error (error);

  if (strstr (argv[1], "://") == NULL)
    {
      g_variant_iter_init (&iter, grants);
      while ((grant = g_variant_iter_next_value (&iter)) != NULL)
        {
          const char *id = NULL;
          const char *grant_resource = NULL;
          int status = CLI_EXIT_OK;

          if (g_variant_lookup (grant, "id", "&s", &id) && g_str_equal (id, argv[1]) &&
              g_variant_lookup (grant, "resource", "&s", &grant_resource))
            {
              status = revoke_one (broker, id, grant_resource);
              g_variant_unref (grant);
              return status;
            }
          g_variant_unref (grant);
        }
      cli_print_error (_("No grant “%s”"), argv[1]);
      return CLI_EXIT_REFUSED;
    }

  resource = mc_oauth_canonical_resource (argv[1], &error);
  if (resource == NULL)
    {
      cli_print_error (_("“%s” is not an MCP server URL: %s"), argv[1], error->message);
      return CLI_EXIT_REFUSED;
    }

  g_variant_iter_init (&iter, grants);
  while ((grant = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *id = NULL;
      const char *grant_resource = NULL;

      if (g_variant_lookup (grant, "id", "&s", &id) &&
          g_variant_lookup (grant, "resource", "&s", &grant_resource) &&
          g_str_equal (grant_resource, resource))
        {
          int status = revoke_one (broker, id, grant_resource);

          matched++;
          if (status != CLI_EXIT_OK)
            exit_status = status;
        }
      g_variant_unref (grant);
    }

  if (matched == 0)
    {
      cli_print_error (_("No grant for %s"), resource);
      return CLI_EXIT_REFUSED;
    }
  return exit_status;
}

/* client {{{1 */

typedef struct
{
  GMainLoop *loop;
  GError    *error;
} StoreWait;

static void
on_secret_stored (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  StoreWait *wait = user_data;

  mc_token_store_store_finish (result, &wait->error);
  g_main_loop_quit (wait->loop);
}

/* From stdin, never argv: other users see argv in ps. */
static char *
read_secret_from_stdin (void)
{
  g_autofree char *secret = g_malloc0 (MAX_CLIENT_SECRET_LENGTH + 2);
  gsize length;

  if (fgets (secret, MAX_CLIENT_SECRET_LENGTH + 2, stdin) == NULL)
    return NULL;

  length = strlen (secret);
  if (length > 0 && secret[length - 1] == '\n')
    secret[--length] = '\0';
  if (length == 0 || length > MAX_CLIENT_SECRET_LENGTH)
    {
      memset (secret, 0, length);
      return NULL;
    }
  return g_steal_pointer (&secret);
}

static int
store_client_secret (const char *issuer,
                     const char *client_id)
{
  g_autofree char *secret = NULL;
  McTokenKey key = { .resource = "", .issuer = issuer, .client = client_id, .app = "" };
  StoreWait wait = { 0 };
  int exit_status = CLI_EXIT_OK;

  secret = read_secret_from_stdin ();
  if (secret == NULL)
    {
      cli_print_error (_("No client secret on standard input (one line, at most %d bytes)"),
                       MAX_CLIENT_SECRET_LENGTH);
      return CLI_EXIT_REFUSED;
    }

  wait.loop = g_main_loop_new (NULL, FALSE);
  mc_token_store_store_async (MC_TOKEN_KIND_CLIENT_SECRET, &key, secret, NULL, on_secret_stored, &wait);
  g_main_loop_run (wait.loop);
  g_main_loop_unref (wait.loop);
  memset (secret, 0, strlen (secret));

  if (wait.error != NULL)
    {
      cli_print_error (_("Could not keep the client secret in the keyring: %s"), wait.error->message);
      g_error_free (wait.error);
      exit_status = CLI_EXIT_REFUSED;
    }
  return exit_status;
}

static int
client_set (int    argc,
            char **argv)
{
  g_autofree char *resource = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *auth_method = NULL;
  g_autofree char *redirect_uri = NULL;
  gboolean secret_from_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "resource", 0, 0, G_OPTION_ARG_STRING, &resource, N_("Use the client for this MCP server"), N_("URL") },
    { "issuer", 0, 0, G_OPTION_ARG_STRING, &issuer, N_("Use the client at this authorization server"), N_("URL") },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &client_id, N_("The client id the server issued"), N_("ID") },
    { "auth-method", 0, 0, G_OPTION_ARG_STRING, &auth_method,
      N_("none (the default), basic or post: how the client authenticates"), N_("METHOD") },
    { "redirect-uri", 0, 0, G_OPTION_ARG_STRING, &redirect_uri,
      N_("The registered redirect URI (http://127.0.0.1:PORT/…)"), N_("URI") },
    { "client-secret-stdin", 0, 0, G_OPTION_ARG_NONE, &secret_from_stdin,
      N_("Read the client secret from standard input into the keyring (needs --issuer)"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *config_path = mc_paths_config_file ("clients.ini");
  const char *match = NULL;
  const char *url = NULL;

  g_option_context_set_summary (context, _("Use a client registered by hand (a pre-registered client) instead of "
                                           "registering one, for one MCP server or one authorization server."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 0))
    return CLI_EXIT_REFUSED;

  if ((resource == NULL) == (issuer == NULL) || client_id == NULL)
    {
      cli_print_error (_("Give --client-id and one of --resource or --issuer"));
      return CLI_EXIT_REFUSED;
    }
  if (auth_method == NULL)
    auth_method = g_strdup (secret_from_stdin ? "client_secret_basic" : "none");
  else if (g_str_equal (auth_method, "basic") || g_str_equal (auth_method, "post"))
    {
      g_autofree char *short_name = g_steal_pointer (&auth_method);

      auth_method = g_strconcat ("client_secret_", short_name, NULL);
    }
  if (!g_str_equal (auth_method, "none") && !g_str_equal (auth_method, "client_secret_basic") &&
      !g_str_equal (auth_method, "client_secret_post"))
    {
      cli_print_error (_("--auth-method is none, basic or post"));
      return CLI_EXIT_REFUSED;
    }
  if (secret_from_stdin && issuer == NULL)
    {
      cli_print_error (_("A client secret belongs to an authorization server: give --issuer"));
      return CLI_EXIT_REFUSED;
    }
  if (!g_str_equal (auth_method, "none") && !secret_from_stdin)
    g_printerr ("%s\n", _("Note: this method needs the client secret; set it with --client-secret-stdin"));

  match = resource != NULL ? "resource" : "issuer";
  url = resource != NULL ? resource : issuer;
  if (!mc_clients_config_set_client (config_path, match, url, client_id, auth_method, redirect_uri, &error))
    {
      cli_print_error ("%s", error->message);
      return CLI_EXIT_REFUSED;
    }

  if (secret_from_stdin)
    {
      int status = store_client_secret (issuer, client_id);

      if (status != CLI_EXIT_OK)
        return status;
    }

  g_print (_("Client %s set for %s in %s\n"), client_id, url, config_path);
  return CLI_EXIT_OK;
}

static int
client_set_metadata_url (int    argc,
                         char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("URL"));
  g_autoptr(GError) error = NULL;
  g_autofree char *config_path = mc_paths_config_file ("clients.ini");

  g_option_context_set_summary (context, _("Use the client metadata document at URL (an https URL you host) as the "
                                           "client id wherever the authorization server accepts one."));
  if (!cli_parse_options (context, &argc, &argv, 1))
    return CLI_EXIT_REFUSED;

  if (!mc_clients_config_set_metadata_url (config_path, argv[1], &error))
    {
      cli_print_error ("%s", error->message);
      return CLI_EXIT_REFUSED;
    }

  g_print (_("Client metadata document set to %s in %s\n"), argv[1], config_path);
  return CLI_EXIT_OK;
}

int
cli_cmd_client (int    argc,
                char **argv)
{
  g_autofree char *prgname = NULL;

  if (argc >= 2 && g_str_equal (argv[1], "set"))
    {
      prgname = g_strdup_printf ("%s set", g_get_prgname ());
      g_set_prgname (prgname);
      return client_set (argc - 1, argv + 1);
    }
  if (argc >= 2 && g_str_equal (argv[1], "set-metadata-url"))
    {
      prgname = g_strdup_printf ("%s set-metadata-url", g_get_prgname ());
      g_set_prgname (prgname);
      return client_set_metadata_url (argc - 1, argv + 1);
    }

  g_printerr ("%s\n", _("Usage: mcp-consent client set (--resource URL | --issuer URL) --client-id ID "
                        "[--auth-method none|basic|post] [--redirect-uri URI] [--client-secret-stdin]\n"
                        "       mcp-consent client set-metadata-url URL"));
  return CLI_EXIT_REFUSED;
}
