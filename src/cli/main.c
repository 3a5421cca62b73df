/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>

#include "cli-audit.h"
#include "cli-common.h"
#include "cli-oauth.h"
#include "mc-error.h"
#include "mc-url-verdict.h"

static GVariant *
build_server (const char *name,
              const char *title,
              const char *url)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (name != NULL)
    g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (name));
  if (title != NULL)
    g_variant_builder_add (&builder, "{sv}", "title", g_variant_new_string (title));
  if (url != NULL)
    g_variant_builder_add (&builder, "{sv}", "url", g_variant_new_string (url));

  return g_variant_builder_end (&builder);
}

/* elicit {{{1 */

static int
cmd_elicit (int    argc,
            char **argv)
{
  g_autofree char *server_name = NULL;
  g_autofree char *server_title = NULL;
  g_autofree char *server_url = NULL;
  g_autofree char *url = NULL;
  g_autofree char *message = NULL;
  g_autofree char *elicitation_id = NULL;
  int timeout = 0;
  const GOptionEntry entries[] = {
    { "server-name", 0, 0, G_OPTION_ARG_STRING, &server_name, N_("Name of the MCP server that asks"), N_("NAME") },
    { "server-title", 0, 0, G_OPTION_ARG_STRING, &server_title, N_("Display title of the MCP server"), N_("TITLE") },
    { "server-url", 0, 0, G_OPTION_ARG_STRING, &server_url, N_("URL of the remote MCP server"), N_("URL") },
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, N_("The URL the server wants opened"), N_("URL") },
    { "message", 0, 0, G_OPTION_ARG_STRING, &message, N_("The server’s explanation"), N_("TEXT") },
    { "elicitation-id", 0, 0, G_OPTION_ARG_STRING, &elicitation_id, N_("The MCP elicitation id"), N_("ID") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("Seconds to wait for the user (default 300)"), N_("SECONDS") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(McUrlVerdict) verdict = NULL;
  g_autoptr(CliRequest) request = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *handle = NULL;
  const char *action = NULL;
  guint32 response = 0;
  int exit_status = CLI_EXIT_OK;

  g_option_context_set_summary (context, _("Ask the user, through the trusted dialog, whether to open a URL.\n"
                                           "Prints accept, decline or cancel."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 0))
    return CLI_EXIT_REFUSED;

  if (server_name == NULL || url == NULL)
    {
      cli_print_error (_("--server-name and --url are required"));
      return CLI_EXIT_REFUSED;
    }

  /* Refuse what can never be opened without starting anything. */
  verdict = mc_url_verdict_new (url, server_url);
  if (mc_url_verdict_get_risk (verdict) == MC_URL_RISK_BLOCKED)
    {
      cli_print_error (_("This URL is never opened: %s"), mc_url_verdict_get_reason (verdict));
      return CLI_EXIT_REFUSED;
    }

  broker = cli_connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  request = cli_request_new (broker);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (cli_request_get_token (request)));
  if (elicitation_id != NULL)
    g_variant_builder_add (&options, "{sv}", "elicitation_id", g_variant_new_string (elicitation_id));
  if (timeout > 0)
    g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (timeout));

  if (!mc_dbus_broker1_call_elicit_url_sync (broker, "",
                                             build_server (server_name, server_title, server_url),
                                             url, message != NULL ? message : "",
                                             g_variant_builder_end (&options),
                                             &handle, NULL, &error))
    return cli_report_call_error (error);

  exit_status = cli_request_wait (request, handle, &response, &results);
  if (exit_status != CLI_EXIT_OK)
    return exit_status;

  if (!g_variant_lookup (results, "action", "&s", &action))
    action = response == 0 ? "accept" : response == 1 ? "decline" : "cancel";
  g_print ("%s\n", action);
  return CLI_EXIT_OK;
}

/* complete {{{1 */

static int
cmd_complete (int    argc,
              char **argv)
{
  g_autofree char *server_name = NULL;
  g_autofree char *elicitation_id = NULL;
  const GOptionEntry entries[] = {
    { "server-name", 0, 0, G_OPTION_ARG_STRING, &server_name, N_("Name of the MCP server"), N_("NAME") },
    { "elicitation-id", 0, 0, G_OPTION_ARG_STRING, &elicitation_id, N_("The id from notifications/elicitation/complete"), N_("ID") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(GError) error = NULL;
  gboolean matched = FALSE;
  int exit_status = CLI_EXIT_OK;

  g_option_context_set_summary (context, _("Tell the broker that the server reported an elicitation complete."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 0))
    return CLI_EXIT_REFUSED;

  if (server_name == NULL || elicitation_id == NULL)
    {
      cli_print_error (_("--server-name and --elicitation-id are required"));
      return CLI_EXIT_REFUSED;
    }

  broker = cli_connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (!mc_dbus_broker1_call_complete_elicitation_sync (broker, build_server (server_name, NULL, NULL),
                                                       elicitation_id, &matched, NULL, &error))
    return cli_report_call_error (error);

  if (matched)
    g_print ("%s\n", _("completed"));
  else
    g_printerr ("%s\n", _("No elicitation with that id is waiting; ignored."));
  return CLI_EXIT_OK;
}

/* check-url {{{1 */

static int
cmd_check_url (int    argc,
               char **argv)
{
  g_autofree char *server_url = NULL;
  const GOptionEntry entries[] = {
    { "server-url", 0, 0, G_OPTION_ARG_STRING, &server_url, N_("URL of the MCP server to compare with"), N_("URL") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("URL"));
  g_autoptr(McUrlVerdict) verdict = NULL;
  g_autofree char *json = NULL;

  g_option_context_set_summary (context, _("Print the verdict on a URL as one line of JSON, without asking anyone."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 1))
    return CLI_EXIT_REFUSED;

  verdict = mc_url_verdict_new (argv[1], server_url);
  json = mc_url_verdict_to_json (verdict);
  g_print ("%s\n", json);
  return CLI_EXIT_OK;
}

/* status {{{1 */

static int
cmd_status (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GError) error = NULL;
  const char *version = NULL;
  guint32 pending = 0;
  gboolean prompter_running = FALSE;
  int exit_status = CLI_EXIT_OK;

  g_option_context_set_summary (context, _("Show the daemon’s version and how many prompts wait."));
  if (!cli_parse_options (context, &argc, &argv, 0))
    return CLI_EXIT_REFUSED;

  broker = cli_connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (!mc_dbus_broker1_call_get_status_sync (broker, &status, NULL, &error))
    return cli_report_call_error (error);

  g_variant_lookup (status, "daemon_version", "&s", &version);
  g_variant_lookup (status, "pending_prompts", "u", &pending);
  g_variant_lookup (status, "prompter_running", "b", &prompter_running);

  g_print (_("Daemon version: %s\n"), version != NULL ? version : "?");
  g_print (_("Pending prompts: %u\n"), pending);
  g_print (_("Dialog process: %s\n"), prompter_running ? _("running") : _("not running"));
  return CLI_EXIT_OK;
}

/* remembered {{{1 */

static int
cmd_remembered (int    argc,
                char **argv)
{
  g_autofree char *forget = NULL;
  const GOptionEntry entries[] = {
    { "forget", 0, 0, G_OPTION_ARG_STRING, &forget, N_("Forget the decision with this id"), N_("ID") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(McDbusBroker1) broker = NULL;
  g_autoptr(GVariant) entries_variant = NULL;
  g_autoptr(GError) error = NULL;
  GVariantIter iter;
  int exit_status = CLI_EXIT_OK;

  g_option_context_set_summary (context, _("List the “always allow” decisions, or forget one."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv, 0))
    return CLI_EXIT_REFUSED;

  broker = cli_connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (forget != NULL)
    {
      if (!mc_dbus_broker1_call_forget_remembered_sync (broker, forget, NULL, &error))
        return cli_report_call_error (error);
      g_print (_("Forgotten; the dialog will ask again.\n"));
      return CLI_EXIT_OK;
    }

  if (!mc_dbus_broker1_call_list_remembered_sync (broker, &entries_variant, NULL, &error))
    return cli_report_call_error (error);

  g_variant_iter_init (&iter, entries_variant);
  for (;;)
    {
      g_autoptr(GVariant) entry = g_variant_iter_next_value (&iter);
      const char *id = NULL, *app_id = NULL, *server_name = NULL, *domain = NULL;

      if (entry == NULL)
        break;

      g_variant_lookup (entry, "id", "&s", &id);
      g_variant_lookup (entry, "app_id", "&s", &app_id);
      g_variant_lookup (entry, "server_name", "&s", &server_name);
      g_variant_lookup (entry, "domain", "&s", &domain);
      /* TRANSLATORS: id, then "<domain> for <server> (<app>)" */
      g_print (_("%s  %s for %s (%s)\n"), id, domain, server_name, app_id);
    }
  return CLI_EXIT_OK;
}

/* main {{{1 */

typedef struct
{
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "elicit", cmd_elicit, N_("Ask the user whether to open a URL") },
  { "complete", cmd_complete, N_("Report an elicitation as complete") },
  { "check-url", cmd_check_url, N_("Print the verdict on a URL") },
  { "status", cmd_status, N_("Show the daemon’s state") },
  { "remembered", cmd_remembered, N_("List or forget “always allow” decisions") },
  { "authorize", cli_cmd_authorize, N_("Sign in to an MCP server (OAuth)") },
  { "token", cli_cmd_token, N_("Print an access token for an MCP server") },
  { "grants", cli_cmd_grants, N_("List the sign-ins the broker keeps") },
  { "revoke", cli_cmd_revoke, N_("Sign out: revoke a grant and delete its tokens") },
  { "client", cli_cmd_client, N_("Set the OAuth client to use for a server") },
  { "audit", cli_cmd_audit, N_("Show or verify the audit log") },
};

static void
print_usage (void)
{
  g_printerr ("%s\n\n", _("Usage: mcp-consent COMMAND [OPTION…]"));
  g_printerr ("%s\n", _("Commands:"));
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_printerr ("  %-12s %s\n", commands[i].name, _(commands[i].summary));
  g_printerr ("\n%s\n", _("Run “mcp-consent COMMAND --help” for a command’s options."));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *prgname = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Registers the io.github.mcp_consent.Error names, so replies map back. */
  (void) MC_ERROR;

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      print_usage ();
      return argc < 2 ? CLI_EXIT_REFUSED : CLI_EXIT_OK;
    }

  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("mcp-consent %s\n", PACKAGE_VERSION);
      return CLI_EXIT_OK;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (argv[1], commands[i].name))
        {
          prgname = g_strdup_printf ("mcp-consent %s", commands[i].name);
          g_set_prgname (prgname);
          return commands[i].run (argc - 1, argv + 1);
        }
    }

  cli_print_error (_("Unknown command “%s”"), argv[1]);
  print_usage ();
  return CLI_EXIT_REFUSED;
}
