/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>

#include "mc-dbus.h"
#include "mc-error.h"
#include "mc-url-verdict.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define REQUEST_INTERFACE "io.github.mcp_consent.Request1"
#define REQUEST_PATH_PREFIX "/io/github/mcp_consent/Broker/request/"

/* Exit codes, documented in docs/cli.md. */
enum
{
  EXIT_OK = 0,
  EXIT_UNREACHABLE = 1,
  EXIT_REFUSED = 2,
  EXIT_INTERRUPTED = 130,
};

static void
print_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static void
print_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("mcp-consent: %s\n", message);
}

static gboolean
is_refusal (const GError *error)
{
  return g_error_matches (error, MC_ERROR, MC_ERROR_URL_BLOCKED) ||
         g_error_matches (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT) ||
         g_error_matches (error, MC_ERROR, MC_ERROR_NOT_ALLOWED) ||
         g_error_matches (error, MC_ERROR, MC_ERROR_BUSY) ||
         g_error_matches (error, MC_ERROR, MC_ERROR_NOT_FOUND);
}

/* Maps a failed call to an exit code and a one-line message. */
static int
report_call_error (GError *error)
{
  g_dbus_error_strip_remote_error (error);

  if (is_refusal (error))
    {
      print_error ("%s", error->message);
      return EXIT_REFUSED;
    }

  print_error (_("The MCP Consent Broker is not reachable: %s"), error->message);
  return EXIT_UNREACHABLE;
}

static McDbusBroker1 *
connect_broker (int *exit_status)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  McDbusBroker1 *broker = NULL;

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (connection == NULL)
    {
      print_error (_("Cannot reach the session bus: %s"), error->message);
      *exit_status = EXIT_UNREACHABLE;
      return NULL;
    }

  /* No properties and no signals are needed up front; the first call
   * activates the daemon. */
  broker = mc_dbus_broker1_proxy_new_sync (connection,
                                           G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                           G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                           BUS_NAME, BROKER_PATH, NULL, &error);
  if (broker == NULL)
    {
      *exit_status = report_call_error (error);
      return NULL;
    }

  return broker;
}

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

static gboolean
parse_options (GOptionContext   *context,
               int              *argc,
               char           ***argv,
               int               expected_args)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      print_error ("%s", error->message);
      return FALSE;
    }

  if (*argc != expected_args + 1)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return FALSE;
    }

  return TRUE;
}

/* elicit {{{1 */

typedef struct
{
  GMainLoop     *loop;
  McDbusBroker1 *broker;
  char          *handle;
  guint          subscription;
  char          *action;
  gboolean       interrupted;
  gboolean       broker_vanished;
} ElicitState;

static void
on_response (GDBusConnection *connection,
             const char      *sender_name,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  ElicitState *state = user_data;
  g_autoptr(GVariant) results = NULL;
  const char *action = NULL;
  guint32 response = 0;

  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  if (!g_variant_lookup (results, "action", "&s", &action))
    action = response == 0 ? "accept" : response == 1 ? "decline" : "cancel";

  state->action = g_strdup (action);
  g_main_loop_quit (state->loop);
}

static guint
subscribe_response (GDBusConnection *connection,
                    const char      *path,
                    ElicitState     *state)
{
  return g_dbus_connection_signal_subscribe (connection, BUS_NAME, REQUEST_INTERFACE, "Response",
                                             path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                             on_response, state, NULL);
}

static void
on_broker_vanished (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  ElicitState *state = user_data;

  /* It answers everyone before it exits; vanishing unanswered is a crash. */
  state->broker_vanished = TRUE;
  g_main_loop_quit (state->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  ElicitState *state = user_data;

  state->interrupted = TRUE;
  g_main_loop_quit (state->loop);
  return G_SOURCE_CONTINUE;
}

static char *
expected_request_path (GDBusConnection *connection,
                       const char      *token)
{
  g_autofree char *sender = g_strdup (g_dbus_connection_get_unique_name (connection) + 1);

  g_strdelimit (sender, ".", '_');
  return g_strconcat (REQUEST_PATH_PREFIX, sender, "/", token, NULL);
}

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
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *token = NULL;
  g_autofree char *expected_path = NULL;
  GDBusConnection *connection = NULL;
  ElicitState state = { 0 };
  guint sigint_id = 0;
  guint sigterm_id = 0;
  guint watch_id = 0;
  int exit_status = EXIT_OK;

  g_option_context_set_summary (context, _("Ask the user, through the trusted dialog, whether to open a URL.\n"
                                           "Prints accept, decline or cancel."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv, 0))
    return EXIT_REFUSED;

  if (server_name == NULL || url == NULL)
    {
      print_error (_("--server-name and --url are required"));
      return EXIT_REFUSED;
    }

  /* Refuse what can never be opened without starting anything. */
  verdict = mc_url_verdict_new (url, server_url);
  if (mc_url_verdict_get_risk (verdict) == MC_URL_RISK_BLOCKED)
    {
      print_error (_("This URL is never opened: %s"), mc_url_verdict_get_reason (verdict));
      return EXIT_REFUSED;
    }

  broker = connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;
  connection = g_dbus_proxy_get_connection (G_DBUS_PROXY (broker));

  token = g_strdup_printf ("mcp_consent_cli_%08x", g_random_int ());
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  if (elicitation_id != NULL)
    g_variant_builder_add (&options, "{sv}", "elicitation_id", g_variant_new_string (elicitation_id));
  if (timeout > 0)
    g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (timeout));

  state.loop = g_main_loop_new (NULL, FALSE);
  state.broker = broker;

  /* Subscribe before calling, so the Response cannot be missed. */
  expected_path = expected_request_path (connection, token);
  state.subscription = subscribe_response (connection, expected_path, &state);

  if (!mc_dbus_broker1_call_elicit_url_sync (broker, "",
                                             build_server (server_name, server_title, server_url),
                                             url, message != NULL ? message : "",
                                             g_variant_builder_end (&options),
                                             &state.handle, NULL, &error))
    {
      g_dbus_connection_signal_unsubscribe (connection, state.subscription);
      g_main_loop_unref (state.loop);
      return report_call_error (error);
    }

  if (!g_str_equal (state.handle, expected_path))
    {
      g_dbus_connection_signal_unsubscribe (connection, state.subscription);
      state.subscription = subscribe_response (connection, state.handle, &state);
    }

  sigint_id = g_unix_signal_add (SIGINT, on_interrupt, &state);
  sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, &state);
  watch_id = g_bus_watch_name_on_connection (connection, BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             NULL, on_broker_vanished, &state, NULL);

  if (state.action == NULL)
    g_main_loop_run (state.loop);

  g_bus_unwatch_name (watch_id);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_dbus_connection_signal_unsubscribe (connection, state.subscription);

  if (state.action == NULL && state.broker_vanished)
    {
      print_error (_("The MCP Consent Broker stopped before it answered"));
      exit_status = EXIT_UNREACHABLE;
    }
  else if (state.interrupted)
    {
      /* Withdraw the prompt rather than leave it on screen for nobody. */
      g_dbus_connection_call_sync (connection, BUS_NAME, state.handle, REQUEST_INTERFACE, "Close",
                                   NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL);
      exit_status = EXIT_INTERRUPTED;
    }
  else
    {
      g_print ("%s\n", state.action);
    }

  g_free (state.action);
  g_free (state.handle);
  g_main_loop_unref (state.loop);
  return exit_status;
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
  int exit_status = EXIT_OK;

  g_option_context_set_summary (context, _("Tell the broker that the server reported an elicitation complete."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv, 0))
    return EXIT_REFUSED;

  if (server_name == NULL || elicitation_id == NULL)
    {
      print_error (_("--server-name and --elicitation-id are required"));
      return EXIT_REFUSED;
    }

  broker = connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (!mc_dbus_broker1_call_complete_elicitation_sync (broker, build_server (server_name, NULL, NULL),
                                                       elicitation_id, &matched, NULL, &error))
    return report_call_error (error);

  if (matched)
    g_print ("%s\n", _("completed"));
  else
    g_printerr ("%s\n", _("No elicitation with that id is waiting; ignored."));
  return EXIT_OK;
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
  if (!parse_options (context, &argc, &argv, 1))
    return EXIT_REFUSED;

  verdict = mc_url_verdict_new (argv[1], server_url);
  json = mc_url_verdict_to_json (verdict);
  g_print ("%s\n", json);
  return EXIT_OK;
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
  int exit_status = EXIT_OK;

  g_option_context_set_summary (context, _("Show the daemon’s version and how many prompts wait."));
  if (!parse_options (context, &argc, &argv, 0))
    return EXIT_REFUSED;

  broker = connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (!mc_dbus_broker1_call_get_status_sync (broker, &status, NULL, &error))
    return report_call_error (error);

  g_variant_lookup (status, "daemon_version", "&s", &version);
  g_variant_lookup (status, "pending_prompts", "u", &pending);
  g_variant_lookup (status, "prompter_running", "b", &prompter_running);

  g_print (_("Daemon version: %s\n"), version != NULL ? version : "?");
  g_print (_("Pending prompts: %u\n"), pending);
  g_print (_("Dialog process: %s\n"), prompter_running ? _("running") : _("not running"));
  return EXIT_OK;
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
  int exit_status = EXIT_OK;

  g_option_context_set_summary (context, _("List the “always allow” decisions, or forget one."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv, 0))
    return EXIT_REFUSED;

  broker = connect_broker (&exit_status);
  if (broker == NULL)
    return exit_status;

  if (forget != NULL)
    {
      if (!mc_dbus_broker1_call_forget_remembered_sync (broker, forget, NULL, &error))
        return report_call_error (error);
      g_print (_("Forgotten; the dialog will ask again.\n"));
      return EXIT_OK;
    }

  if (!mc_dbus_broker1_call_list_remembered_sync (broker, &entries_variant, NULL, &error))
    return report_call_error (error);

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
  return EXIT_OK;
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
      return argc < 2 ? EXIT_REFUSED : EXIT_OK;
    }

  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("mcp-consent %s\n", PACKAGE_VERSION);
      return EXIT_OK;
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

  print_error (_("Unknown command “%s”"), argv[1]);
  print_usage ();
  return EXIT_REFUSED;
}
