/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-prompter-application.h"
#include "mc-prompter-service.h"

struct _McPrompterApplication
{
  GtkApplication     parent_instance;

  GIOStream         *stream;
  GDBusConnection   *connection;
  McPrompterService *service;
  GCancellable      *cancellable;
  guint              idle_timeout;
  guint              idle_source;
  int                exit_status;
};

G_DEFINE_FINAL_TYPE (McPrompterApplication, mc_prompter_application, GTK_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_STREAM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
fail (McPrompterApplication *self,
      const char            *message)
{
  g_printerr ("%s\n", message);
  self->exit_status = 1;
  g_application_quit (G_APPLICATION (self));
}

static gboolean
idle_timeout_cb (gpointer user_data)
{
  McPrompterApplication *self = user_data;

  self->idle_source = 0;
  g_debug ("No window for %u s, exiting", self->idle_timeout);
  g_application_quit (G_APPLICATION (self));

  return G_SOURCE_REMOVE;
}

static void
update_idle_timer (McPrompterApplication *self)
{
  gboolean idle = gtk_application_get_windows (GTK_APPLICATION (self)) == NULL;

  if (!idle)
    g_clear_handle_id (&self->idle_source, g_source_remove);
  else if (self->idle_source == 0)
    self->idle_source = g_timeout_add_seconds (self->idle_timeout, idle_timeout_cb, self);
}

static void
connection_closed_cb (GDBusConnection       *connection,
                      gboolean               remote_peer_vanished,
                      GError                *error,
                      McPrompterApplication *self)
{
  /* The daemon went away or let go of us: whatever is on screen can no
   * longer be answered, so it goes too.  This is the normal way to end. */
  g_debug ("Connection to mcp-consentd closed");
  g_application_quit (G_APPLICATION (self));
}

static void
connection_ready_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(McPrompterApplication) self = user_data;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_dbus_connection_new_finish (result, &error);
  if (connection == NULL)
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* Translators: %s is a technical error message */
      message = g_strdup_printf (_("mcp-consent-prompter could not talk to mcp-consentd: %s"),
                                 error->message);
      fail (self, message);
      return;
    }

  self->connection = g_steal_pointer (&connection);
  self->service = mc_prompter_service_new (GTK_APPLICATION (self));

  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->service),
                                         self->connection,
                                         MC_PROMPTER_OBJECT_PATH,
                                         &error))
    {
      fail (self, error->message);
      return;
    }

  g_signal_connect_object (self->connection, "closed",
                           G_CALLBACK (connection_closed_cb), self, 0);

  /* The connection was created with message processing delayed, so no
   * call can arrive before the object is there to answer it. */
  g_dbus_connection_start_message_processing (self->connection);

  if (g_dbus_connection_is_closed (self->connection))
    g_application_quit (G_APPLICATION (self));
}

static guint
read_idle_timeout (void)
{
  const char *text = g_getenv ("MCP_CONSENT_PROMPTER_IDLE_TIMEOUT");
  guint64 value = 0;
  g_autoptr(GError) error = NULL;

  if (text == NULL)
    return MC_PROMPTER_IDLE_TIMEOUT_S;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT / 1000, &value, &error))
    {
      g_warning ("Ignoring MCP_CONSENT_PROMPTER_IDLE_TIMEOUT: %s", error->message);
      return MC_PROMPTER_IDLE_TIMEOUT_S;
    }

  return (guint) value;
}

static void
mc_prompter_application_startup (GApplication *application)
{
  McPrompterApplication *self = MC_PROMPTER_APPLICATION (application);

  G_APPLICATION_CLASS (mc_prompter_application_parent_class)->startup (application);

  /* Windows come and go at the daemon's request; the process lives until
   * the daemon lets go or nothing has been shown for a while. */
  g_application_hold (application);

  /* Task switchers show the broker, not a generic window. */
  gtk_window_set_default_icon_name (APP_ID);

  self->idle_timeout = read_idle_timeout ();
  g_signal_connect_swapped (self, "window-added", G_CALLBACK (update_idle_timer), self);
  g_signal_connect_swapped (self, "window-removed", G_CALLBACK (update_idle_timer), self);
  update_idle_timer (self);

  if (self->stream == NULL)
    {
      fail (self, _("mcp-consent-prompter is started by mcp-consentd"));
      return;
    }

  g_dbus_connection_new (self->stream,
                         NULL,
                         (G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                          G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING),
                         NULL,
                         self->cancellable,
                         connection_ready_cb,
                         g_object_ref (self));
}

static void
mc_prompter_application_activate (GApplication *application)
{
  /* Nothing to show until the daemon asks. */
}

static void
mc_prompter_application_shutdown (GApplication *application)
{
  McPrompterApplication *self = MC_PROMPTER_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->idle_source, g_source_remove);

  if (self->service != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->service));
  g_clear_object (&self->service);

  G_APPLICATION_CLASS (mc_prompter_application_parent_class)->shutdown (application);
}

static void
mc_prompter_application_dispose (GObject *object)
{
  McPrompterApplication *self = (McPrompterApplication *)object;

  g_clear_handle_id (&self->idle_source, g_source_remove);
  g_clear_object (&self->service);
  g_clear_object (&self->connection);
  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (mc_prompter_application_parent_class)->dispose (object);
}

static void
mc_prompter_application_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  McPrompterApplication *self = MC_PROMPTER_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      g_value_set_object (value, self->stream);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mc_prompter_application_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  McPrompterApplication *self = MC_PROMPTER_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      self->stream = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mc_prompter_application_class_init (McPrompterApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = mc_prompter_application_dispose;
  object_class->get_property = mc_prompter_application_get_property;
  object_class->set_property = mc_prompter_application_set_property;

  application_class->startup = mc_prompter_application_startup;
  application_class->activate = mc_prompter_application_activate;
  application_class->shutdown = mc_prompter_application_shutdown;

  /**
   * McPrompterApplication:stream:
   *
   * The private channel to mcp-consentd.
   */
  properties[PROP_STREAM] =
    g_param_spec_object ("stream", NULL, NULL,
                         G_TYPE_IO_STREAM,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mc_prompter_application_init (McPrompterApplication *self)
{
  self->cancellable = g_cancellable_new ();
  self->idle_timeout = MC_PROMPTER_IDLE_TIMEOUT_S;
}

/**
 * mc_prompter_application_new:
 * @stream: the prompter's end of the private channel to mcp-consentd
 *
 * The application id only names the windows for the desktop: the daemon
 * owns that name on the bus, so the prompter runs non-unique and takes no
 * name of its own.
 *
 * Returns: (transfer full): a new #McPrompterApplication
 */
McPrompterApplication *
mc_prompter_application_new (GIOStream *stream)
{
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  return g_object_new (MC_TYPE_PROMPTER_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "stream", stream,
                       NULL);
}

int
mc_prompter_application_get_exit_status (McPrompterApplication *self)
{
  g_return_val_if_fail (MC_IS_PROMPTER_APPLICATION (self), 1);

  return self->exit_status;
}
