/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-manager-application.h"
#include "mc-manager-window.h"

/* "MCP Consent", the app users launch.  Its application id is the
 * project's (APP_ID), so that the desktop file, the icon and the window
 * belong together; but the daemon owns that same name on the session bus,
 * so the manager must not try to: it runs non-unique (docs/manager.md),
 * and a second launch opens a second window in its own process. */

struct _McManagerApplication
{
  GtkApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (McManagerApplication, mc_manager_application, GTK_TYPE_APPLICATION)

static void
mc_manager_application_activate (GApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    {
      GDBusConnection *connection = g_application_get_dbus_connection (application);

      window = GTK_WINDOW (mc_manager_window_new (GTK_APPLICATION (application), connection));
    }
  gtk_window_present (window);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
mc_manager_application_startup (GApplication *application)
{
  static const GActionEntry entries[] = {
    { .name = "quit", .activate = quit_action },
  };
  static const char * const quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (mc_manager_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), entries, G_N_ELEMENTS (entries), application);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.quit", quit_accels);
  gtk_window_set_default_icon_name (APP_ID);
}

static void
mc_manager_application_class_init (McManagerApplicationClass *klass)
{
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  application_class->startup = mc_manager_application_startup;
  application_class->activate = mc_manager_application_activate;
}

static void
mc_manager_application_init (McManagerApplication *self)
{
}

McManagerApplication *
mc_manager_application_new (void)
{
  return g_object_new (MC_TYPE_MANAGER_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       NULL);
}
