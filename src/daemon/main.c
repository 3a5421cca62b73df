/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "mc-audit-log.h"
#include "mc-broker.h"
#include "mc-error.h"
#include "mc-log.h"
#include "mc-paths.h"
#include "mc-uri-opener.h"

/* Exit with failure if the name is not ours within this time, so a stuck
 * activation does not leave a daemon nobody can reach. */
#define NAME_ACQUIRE_TIMEOUT_SECONDS 30

typedef struct
{
  GMainLoop        *loop;
  McBroker         *broker;
  McPrompterClient *prompter;
  McRemembered     *remembered;
  McAuthServices    auth;
  McAuditLog       *audit;
  guint             acquire_timeout_id;
  int               exit_status;
} Daemon;

static gboolean opt_replace;
static gboolean opt_verbose;
static gboolean opt_version;

static const GOptionEntry entries[] = {
  { "replace", 'r', 0, G_OPTION_ARG_NONE, &opt_replace, N_("Replace a running instance"), NULL },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, N_("Print debug information"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
  { NULL }
};

static char *
find_prompter (void)
{
  const char *override = g_getenv ("MCP_CONSENT_PROMPTER");

  /* A test hook: the user's own processes are trusted (see
   * docs/threat-model.md), and they could replace the binary anyway. */
  if (override != NULL && override[0] != '\0')
    return g_strdup (override);

  return g_build_filename (LIBEXECDIR, "mcp-consent-prompter", NULL);
}


static void
quit (Daemon *daemon,
      int     exit_status)
{
  daemon->exit_status = exit_status;
  g_main_loop_quit (daemon->loop);
}

/* The bus reports callers by their process ids in its own PID namespace.
 * If ours differs (inside a Flatpak, a container), those ids name nothing
 * here — or one of our own processes — so callers cannot be inspected.
 * Asked once, at start-up, before anyone is served. */
static gboolean
shares_pid_namespace_with_bus (GDBusConnection *connection)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 pid = 0;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", g_dbus_connection_get_unique_name (connection)),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    {
      g_warning ("The bus does not say which process we are (%s); callers will not be identified",
                 error->message);
      return FALSE;
    }

  g_variant_get (reply, "(u)", &pid);
  if (pid != (guint32)getpid ())
    {
      g_message ("The bus sees this daemon as process %u, not %d: running in a sandbox, "
                 "callers cannot be identified", pid, (int)getpid ());
      return FALSE;
    }
  return TRUE;
}

static void
on_bus_acquired (GDBusConnection *connection,
                 const char      *name,
                 gpointer         user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;

  /* Exported before the name is requested: anyone who sees the name can
   * call us. */
  daemon->broker = mc_broker_new (connection, daemon->prompter, daemon->remembered, &daemon->auth,
                                  shares_pid_namespace_with_bus (connection));
  if (!mc_broker_export (daemon->broker, &error))
    {
      g_printerr ("mcp-consentd: could not export the broker: %s\n", error->message);
      quit (daemon, EXIT_FAILURE);
    }
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  Daemon *daemon = user_data;

  g_clear_handle_id (&daemon->acquire_timeout_id, g_source_remove);
  g_debug ("Owning %s", name);
}

static void
on_name_lost (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  Daemon *daemon = user_data;

  /* GDBus passes no connection when it could not connect, or when the
   * bus went away (the session ends). */
  if (connection == NULL && daemon->broker == NULL)
    {
      g_printerr ("mcp-consentd: cannot connect to the session bus\n");
      quit (daemon, EXIT_FAILURE);
      return;
    }

  if (connection == NULL)
    g_message ("The session bus went away; exiting");
  else
    g_message ("Lost the name %s (replaced, or another instance runs); exiting", name);
  quit (daemon, EXIT_SUCCESS);
}

static gboolean
on_acquire_timeout (gpointer user_data)
{
  Daemon *daemon = user_data;

  daemon->acquire_timeout_id = 0;
  g_printerr ("mcp-consentd: could not own %s within %d seconds\n", BUS_NAME, NAME_ACQUIRE_TIMEOUT_SECONDS);
  quit (daemon, EXIT_FAILURE);
  return G_SOURCE_REMOVE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Daemon *daemon = user_data;

  g_debug ("Signal received; exiting");
  quit (daemon, EXIT_SUCCESS);
  return G_SOURCE_CONTINUE;
}

/* A test hook, as MCP_CONSENT_PROMPTER: tests of a server that never
 * answers should not wait half a minute. */
static guint
http_timeout (void)
{
  const char *value = g_getenv ("MCP_CONSENT_HTTP_TIMEOUT");
  guint64 seconds = 0;

  if (value != NULL && g_ascii_string_to_unsigned (value, 10, 1, 3600, &seconds, NULL))
    return (guint)seconds;
  return MC_HTTP_DEFAULT_TIMEOUT;
}

/* A test hook, as MCP_CONSENT_HTTP_TIMEOUT: rotation without writing
 * megabytes. */
static goffset
audit_rotate_size (void)
{
  const char *value = g_getenv ("MCP_CONSENT_AUDIT_ROTATE_SIZE");
  guint64 bytes = 0;

  if (value != NULL && g_ascii_string_to_unsigned (value, 10, 256, G_MAXINT32, &bytes, NULL))
    return (goffset)bytes;
  return MC_AUDIT_DEFAULT_ROTATE_SIZE;
}

/* Runs the main context until nothing is left to dispatch, or a while. */
static void
drain_main_context (void)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prompter_path = NULL;
  g_autofree char *remembered_path = NULL;
  g_autofree char *grants_path = NULL;
  g_autofree char *clients_config_path = NULL;
  g_autofree char *registrations_path = NULL;
  g_autofree char *state_dir = NULL;
  Daemon daemon = { 0 };
  guint owner_id = 0;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* The daemon's own helper for opening a URL (see mc-uri-opener.c). */
  if (argc == 2 && g_str_equal (argv[1], MC_URI_OPENER_OPTION))
    return mc_uri_opener_run_child ();

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("MCP Consent Broker: the trusted consent service for MCP clients."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("mcp-consentd: %s\n", error->message);
      return EXIT_FAILURE;
    }

  if (opt_version)
    {
      g_print ("mcp-consentd %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  mc_log_init (opt_verbose);

  /* Registers the io.github.mcp_consent.Error names. */
  (void) MC_ERROR;

  /* Nothing is served that cannot be recorded (docs/audit.md); the log
   * is opened, from its end, before the name is owned. */
  state_dir = mc_paths_state_file ("");
  daemon.audit = mc_audit_log_new (state_dir, audit_rotate_size (), MC_AUDIT_DEFAULT_KEEP_FILES, &error);
  if (daemon.audit == NULL)
    {
      g_printerr ("mcp-consentd: cannot open the audit log: %s\n", error->message);
      return EXIT_FAILURE;
    }
  mc_audit_log_set_default (daemon.audit);

  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.exit_status = EXIT_SUCCESS;

  prompter_path = find_prompter ();
  daemon.prompter = mc_prompter_client_new (prompter_path);
  remembered_path = mc_paths_state_file ("remembered.json");
  daemon.remembered = mc_remembered_new (remembered_path);
  grants_path = mc_paths_state_file ("grants.json");
  clients_config_path = mc_paths_config_file ("clients.ini");
  registrations_path = mc_paths_state_file ("registrations.json");
  daemon.auth.http = mc_http_new (http_timeout ());
  daemon.auth.grants = mc_grant_store_new (grants_path);
  daemon.auth.clients = mc_client_registry_new (clients_config_path, registrations_path);

  g_unix_signal_add (SIGTERM, on_quit_signal, &daemon);
  g_unix_signal_add (SIGINT, on_quit_signal, &daemon);
  g_unix_signal_add (SIGHUP, on_quit_signal, &daemon);

  daemon.acquire_timeout_id = g_timeout_add_seconds (NAME_ACQUIRE_TIMEOUT_SECONDS, on_acquire_timeout, &daemon);
  owner_id = g_bus_own_name (G_BUS_TYPE_SESSION,
                             BUS_NAME,
                             G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT |
                             (opt_replace ? G_BUS_NAME_OWNER_FLAGS_REPLACE : 0),
                             on_bus_acquired,
                             on_name_acquired,
                             on_name_lost,
                             &daemon,
                             NULL);

  g_main_loop_run (daemon.loop);

  /* Answer everyone still waiting before the connection goes. */
  if (daemon.broker != NULL)
    {
      GDBusConnection *connection = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (daemon.broker));
      g_autoptr(GDBusConnection) hold = connection != NULL ? g_object_ref (connection) : NULL;

      mc_broker_shutdown (daemon.broker);

      /* What the shutdown cancelled (sign-ins, refreshes) finishes from
       * the main loop; let it, so that each lets go of what it holds.
       * Then the last records are written, and the answers waiting for
       * them go out. */
      drain_main_context ();
      mc_audit_log_close (daemon.audit);
      drain_main_context ();
      if (hold != NULL)
        g_dbus_connection_flush_sync (hold, NULL, NULL);
    }
  mc_audit_log_close (daemon.audit);

  g_bus_unown_name (owner_id);
  g_clear_handle_id (&daemon.acquire_timeout_id, g_source_remove);
  g_clear_object (&daemon.broker);
  g_clear_object (&daemon.prompter);
  g_clear_object (&daemon.remembered);
  g_clear_object (&daemon.auth.http);
  g_clear_object (&daemon.auth.grants);
  g_clear_object (&daemon.auth.clients);
  mc_audit_log_set_default (NULL);
  g_clear_object (&daemon.audit);
  g_main_loop_unref (daemon.loop);

  return daemon.exit_status;
}
