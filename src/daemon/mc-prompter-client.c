/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc-dbus.h"
#include "mc-error.h"
#include "mc-prompter-client.h"

#define PROMPTER_OBJECT_PATH "/io/github/mcp_consent/Prompter"
#define PROMPTER_CHANNEL_FD 3

/* Starts mcp-consent-prompter on demand and talks to it over peer-to-peer
 * D-Bus on a socketpair: only this process holds the other end, so no
 * other program can show, answer or read our dialogs. */
struct _McPrompterClient
{
  GObject          parent_instance;

  char            *executable;
  GSubprocess     *subprocess;
  GDBusConnection *connection;
  McDbusPrompter1 *proxy;
  /* GTasks waiting for the prompter to be ready; non-NULL while starting. */
  GPtrArray       *waiters;
  /* Bumped on every start and stop, so late callbacks of an old prompter
   * process are recognised and ignored. */
  guint            generation;
};

enum
{
  SIGNAL_ANSWERED,
  SIGNAL_NOTICE_CLOSED,
  SIGNAL_FORGET_REQUESTED,
  SIGNAL_STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (McPrompterClient, mc_prompter_client, G_TYPE_OBJECT)

typedef struct
{
  McPrompterClient *self;
  guint             generation;
} StartData;

static StartData *
start_data_new (McPrompterClient *self)
{
  StartData *data = g_new0 (StartData, 1);

  data->self = g_object_ref (self);
  data->generation = self->generation;
  return data;
}

static void
start_data_free (StartData *data)
{
  g_object_unref (data->self);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StartData, start_data_free)

static void
complete_waiters (McPrompterClient *self,
                  const GError     *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  if (waiters == NULL)
    return;

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
reset (McPrompterClient *self)
{
  gboolean was_running = self->proxy != NULL;

  self->generation++;

  if (self->proxy != NULL)
    g_signal_handlers_disconnect_by_data (self->proxy, self);
  g_clear_object (&self->proxy);

  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      /* Closing our end tells the prompter to go away. */
      g_dbus_connection_close (self->connection, NULL, NULL, NULL);
      g_clear_object (&self->connection);
    }
  g_clear_object (&self->subprocess);

  if (self->waiters != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (MC_ERROR, MC_ERROR_FAILED,
                                                     "The dialog process stopped before it was ready");
      complete_waiters (self, error);
    }

  if (was_running)
    g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
}

static void
mc_prompter_client_dispose (GObject *object)
{
  McPrompterClient *self = (McPrompterClient *)object;

  reset (self);

  G_OBJECT_CLASS (mc_prompter_client_parent_class)->dispose (object);
}

static void
mc_prompter_client_finalize (GObject *object)
{
  McPrompterClient *self = (McPrompterClient *)object;

  g_clear_pointer (&self->executable, g_free);

  G_OBJECT_CLASS (mc_prompter_client_parent_class)->finalize (object);
}

static void
mc_prompter_client_class_init (McPrompterClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_prompter_client_dispose;
  object_class->finalize = mc_prompter_client_finalize;

  /**
   * McPrompterClient::answered:
   * @prompt_id: the prompt
   * @answer: "open", "open-always", "decline" or "dismiss"
   * @results: an a{sv}: "scopes" (as) for an authorize prompt
   */
  signals[SIGNAL_ANSWERED] =
    g_signal_new ("answered",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_VARIANT);

  /**
   * McPrompterClient::notice-closed:
   * @prompt_id: the prompt whose notice the user closed
   */
  signals[SIGNAL_NOTICE_CLOSED] =
    g_signal_new ("notice-closed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * McPrompterClient::forget-requested:
   * @remembered_id: the "always allow" decision to forget
   */
  signals[SIGNAL_FORGET_REQUESTED] =
    g_signal_new ("forget-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * McPrompterClient::stopped:
   *
   * The prompter process is gone, whether it exited idle or crashed;
   * whatever it showed is gone with it.
   */
  signals[SIGNAL_STOPPED] =
    g_signal_new ("stopped",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
mc_prompter_client_init (McPrompterClient *self)
{
}

/**
 * mc_prompter_client_new:
 * @executable: the prompter program to start
 *
 * Returns: (transfer full): a client; nothing is started yet
 */
McPrompterClient *
mc_prompter_client_new (const char *executable)
{
  McPrompterClient *self = NULL;

  g_return_val_if_fail (executable != NULL, NULL);

  self = g_object_new (MC_TYPE_PROMPTER_CLIENT, NULL);
  self->executable = g_strdup (executable);
  return self;
}

static void
on_answered (McDbusPrompter1  *proxy,
             const char       *prompt_id,
             const char       *answer,
             GVariant         *results,
             McPrompterClient *self)
{
  g_signal_emit (self, signals[SIGNAL_ANSWERED], 0, prompt_id, answer, results);
}

static void
on_notice_closed (McDbusPrompter1  *proxy,
                  const char       *prompt_id,
                  McPrompterClient *self)
{
  g_signal_emit (self, signals[SIGNAL_NOTICE_CLOSED], 0, prompt_id);
}

static void
on_forget_requested (McDbusPrompter1  *proxy,
                     const char       *remembered_id,
                     McPrompterClient *self)
{
  g_signal_emit (self, signals[SIGNAL_FORGET_REQUESTED], 0, remembered_id);
}

static void
on_connection_closed (GDBusConnection  *connection,
                      gboolean          remote_peer_vanished,
                      GError           *error,
                      McPrompterClient *self)
{
  g_autoptr(McPrompterClient) hold G_GNUC_UNUSED = g_object_ref (self);

  g_debug ("Dialog channel closed%s", remote_peer_vanished ? " by the prompter" : "");
  reset (self);
}

static void
on_process_exited (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(StartData) data = user_data;
  McPrompterClient *self = data->self;
  GSubprocess *subprocess = G_SUBPROCESS (source_object);
  gboolean clean = FALSE;

  g_subprocess_wait_finish (subprocess, result, NULL);
  clean = g_subprocess_get_if_exited (subprocess) && g_subprocess_get_exit_status (subprocess) == 0;

  if (clean)
    g_debug ("Dialog process exited");
  else
    g_warning ("Dialog process %s ended abnormally", g_subprocess_get_identifier (subprocess) ?: "");

  if (data->generation == self->generation)
    reset (self);
}

static void
on_proxy_ready (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(StartData) data = user_data;
  McPrompterClient *self = data->self;
  g_autoptr(McDbusPrompter1) proxy = NULL;
  g_autoptr(GError) error = NULL;

  proxy = mc_dbus_prompter1_proxy_new_finish (result, &error);
  if (data->generation != self->generation)
    return;

  if (proxy == NULL)
    {
      g_warning ("Could not talk to the dialog process: %s", error->message);
      complete_waiters (self, error);
      reset (self);
      return;
    }

  self->proxy = g_steal_pointer (&proxy);
  g_signal_connect (self->proxy, "answered", G_CALLBACK (on_answered), self);
  g_signal_connect (self->proxy, "notice-closed", G_CALLBACK (on_notice_closed), self);
  g_signal_connect (self->proxy, "forget-requested", G_CALLBACK (on_forget_requested), self);

  g_debug ("Dialog process is ready");
  complete_waiters (self, NULL);
}

static void
on_connection_ready (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(StartData) data = user_data;
  McPrompterClient *self = data->self;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_dbus_connection_new_finish (result, &error);
  if (data->generation != self->generation)
    return;

  if (connection == NULL)
    {
      g_warning ("The dialog process did not connect: %s", error->message);
      complete_waiters (self, error);
      reset (self);
      return;
    }

  self->connection = g_steal_pointer (&connection);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_connection_closed), self);

  mc_dbus_prompter1_proxy_new (self->connection,
                               G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                               G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                               NULL,
                               PROMPTER_OBJECT_PATH,
                               NULL,
                               on_proxy_ready,
                               start_data_new (self));
}

static gboolean
start (McPrompterClient  *self,
       GError           **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autofree char *guid = NULL;
  int fds[2] = { -1, -1 };

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create the dialog channel: %s", g_strerror (saved_errno));
      return FALSE;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_fd (launcher, fds[1], PROMPTER_CHANNEL_FD);

  g_debug ("Starting dialog process %s", self->executable);
  self->subprocess = g_subprocess_launcher_spawn (launcher, error, self->executable, NULL);
  if (self->subprocess == NULL)
    {
      close (fds[0]);
      g_prefix_error (error, "Could not start %s: ", self->executable);
      return FALSE;
    }

  socket = g_socket_new_from_fd (fds[0], error);
  if (socket == NULL)
    {
      close (fds[0]);
      g_subprocess_force_exit (self->subprocess);
      g_clear_object (&self->subprocess);
      return FALSE;
    }

  self->generation++;
  g_subprocess_wait_async (self->subprocess, NULL, on_process_exited, start_data_new (self));

  stream = g_socket_connection_factory_create_connection (socket);
  guid = g_dbus_generate_guid ();
  g_dbus_connection_new (G_IO_STREAM (stream),
                         guid,
                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER,
                         NULL,
                         NULL,
                         on_connection_ready,
                         start_data_new (self));
  return TRUE;
}

static void
ensure_async (McPrompterClient    *self,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, ensure_async);

  if (self->proxy != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->waiters != NULL)
    {
      g_ptr_array_add (self->waiters, g_steal_pointer (&task));
      return;
    }

  if (!start (self, &error))
    {
      g_warning ("%s", error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->waiters, g_steal_pointer (&task));
}

static gboolean
ensure_finish (McPrompterClient  *self,
               GAsyncResult      *result,
               GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  char     *prompt_id;
  GVariant *details;
  char     *reason;
  enum { CALL_SHOW_PROMPT, CALL_SHOW_OPENED, CALL_SHOW_OPEN_FAILED } kind;
} CallData;

static void
call_data_free (CallData *data)
{
  g_free (data->prompt_id);
  g_clear_pointer (&data->details, g_variant_unref);
  g_free (data->reason);
  g_free (data);
}

static void
on_show_prompt_called (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!mc_dbus_prompter1_call_show_prompt_finish (MC_DBUS_PROMPTER1 (source_object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_notice_called (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  /* Notices are best effort: the answer already went to the caller. */
  reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source_object), result, &error);
  if (reply == NULL)
    g_warning ("The dialog could not show a notice: %s", error->message);
}

static void
on_ensured (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  McPrompterClient *self = MC_PROMPTER_CLIENT (source_object);
  g_autoptr(GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;

  if (!ensure_finish (self, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  switch (data->kind)
    {
    case CALL_SHOW_PROMPT:
      mc_dbus_prompter1_call_show_prompt (self->proxy, data->prompt_id, data->details,
                                          cancellable, on_show_prompt_called, g_steal_pointer (&task));
      break;

    case CALL_SHOW_OPENED:
      mc_dbus_prompter1_call_show_opened (self->proxy, data->prompt_id, data->details,
                                          NULL, on_notice_called, NULL);
      g_task_return_boolean (task, TRUE);
      break;

    case CALL_SHOW_OPEN_FAILED:
      mc_dbus_prompter1_call_show_open_failed (self->proxy, data->prompt_id, data->reason,
                                               NULL, on_notice_called, NULL);
      g_task_return_boolean (task, TRUE);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
call_when_ready (McPrompterClient    *self,
                 CallData            *data,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, call_when_ready);
  g_task_set_task_data (task, data, (GDestroyNotify)call_data_free);
  ensure_async (self, cancellable, on_ensured, g_steal_pointer (&task));
}

/**
 * mc_prompter_client_show_prompt_async:
 * @self: a #McPrompterClient
 * @prompt_id: the prompt's id; answers carry it
 * @details: (transfer floating): the prompt dictionary
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the dialog shows the prompt, or could not
 * @user_data: data for @callback
 *
 * Starts the prompter if needed and shows a prompt.  The answer arrives
 * later as #McPrompterClient::answered.
 */
void
mc_prompter_client_show_prompt_async (McPrompterClient    *self,
                                      const char          *prompt_id,
                                      GVariant            *details,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  CallData *data = NULL;

  g_return_if_fail (MC_IS_PROMPTER_CLIENT (self));
  g_return_if_fail (prompt_id != NULL);
  g_return_if_fail (details != NULL);

  data = g_new0 (CallData, 1);
  data->kind = CALL_SHOW_PROMPT;
  data->prompt_id = g_strdup (prompt_id);
  data->details = g_variant_ref_sink (details);
  call_when_ready (self, data, cancellable, callback, user_data);
}

gboolean
mc_prompter_client_show_prompt_finish (McPrompterClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_return_val_if_fail (MC_IS_PROMPTER_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_notice_sent (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("Could not show a notice: %s", error->message);
}

/**
 * mc_prompter_client_show_opened:
 * @self: a #McPrompterClient
 * @prompt_id: the prompt
 * @details: (transfer floating): the prompt dictionary
 *
 * Shows the "finish in your browser" notice, starting the prompter if
 * needed (an "always allow" decision opens URLs without a dialog).
 */
void
mc_prompter_client_show_opened (McPrompterClient *self,
                                const char       *prompt_id,
                                GVariant         *details)
{
  CallData *data = NULL;

  g_return_if_fail (MC_IS_PROMPTER_CLIENT (self));
  g_return_if_fail (prompt_id != NULL);
  g_return_if_fail (details != NULL);

  data = g_new0 (CallData, 1);
  data->kind = CALL_SHOW_OPENED;
  data->prompt_id = g_strdup (prompt_id);
  data->details = g_variant_ref_sink (details);
  call_when_ready (self, data, NULL, on_notice_sent, NULL);
}

/**
 * mc_prompter_client_show_open_failed:
 * @self: a #McPrompterClient
 * @prompt_id: the prompt
 * @reason: why no browser could be started
 */
void
mc_prompter_client_show_open_failed (McPrompterClient *self,
                                     const char       *prompt_id,
                                     const char       *reason)
{
  CallData *data = NULL;

  g_return_if_fail (MC_IS_PROMPTER_CLIENT (self));
  g_return_if_fail (prompt_id != NULL);
  g_return_if_fail (reason != NULL);

  data = g_new0 (CallData, 1);
  data->kind = CALL_SHOW_OPEN_FAILED;
  data->prompt_id = g_strdup (prompt_id);
  data->reason = g_strdup (reason);
  call_when_ready (self, data, NULL, on_notice_sent, NULL);
}

/**
 * mc_prompter_client_dismiss:
 * @self: a #McPrompterClient
 * @prompt_id: the prompt
 *
 * Takes down whatever shows @prompt_id; does not start a prompter just to
 * say so.
 */
void
mc_prompter_client_dismiss (McPrompterClient *self,
                            const char       *prompt_id)
{
  g_return_if_fail (MC_IS_PROMPTER_CLIENT (self));
  g_return_if_fail (prompt_id != NULL);

  if (self->proxy == NULL)
    return;

  mc_dbus_prompter1_call_dismiss (self->proxy, prompt_id, NULL, on_notice_called, NULL);
}

gboolean
mc_prompter_client_is_running (McPrompterClient *self)
{
  g_return_val_if_fail (MC_IS_PROMPTER_CLIENT (self), FALSE);

  return self->subprocess != NULL;
}

/**
 * mc_prompter_client_stop:
 * @self: a #McPrompterClient
 *
 * Closes the channel, which makes the prompter exit.
 */
void
mc_prompter_client_stop (McPrompterClient *self)
{
  g_return_if_fail (MC_IS_PROMPTER_CLIENT (self));

  reset (self);
}
