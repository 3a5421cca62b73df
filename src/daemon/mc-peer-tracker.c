/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-error.h"
#include "mc-peer-tracker.h"

/* Knows who each connected caller is, resolving each once, and tells the
 * broker when a caller leaves the bus so its prompts can be withdrawn. */
struct _McPeerTracker
{
  GObject          parent_instance;

  GDBusConnection *connection;
  guint            name_owner_changed_id;
  /* FALSE when the daemon shares no PID namespace with the bus. */
  gboolean         can_see_callers;
  /* unique name → McPeer */
  GHashTable      *peers;
};

typedef struct
{
  McCallerInfo *info;
  /* GTasks waiting for the resolution in flight, or NULL once resolved. */
  GPtrArray    *waiters;
} McPeer;

enum
{
  SIGNAL_PEER_VANISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (McPeerTracker, mc_peer_tracker, G_TYPE_OBJECT)

static void
fail_waiters (GPtrArray    *waiters,
              const GError *error)
{
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
}

static void
mc_peer_free (gpointer data)
{
  McPeer *peer = data;

  if (peer->waiters != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (MC_ERROR, MC_ERROR_NOT_ALLOWED,
                                                     "The caller left the bus");

      fail_waiters (peer->waiters, error);
      g_ptr_array_unref (peer->waiters);
    }
  g_clear_object (&peer->info);
  g_free (peer);
}

static void
on_name_owner_changed (GDBusConnection *connection,
                       const char      *sender_name,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  McPeerTracker *self = MC_PEER_TRACKER (user_data);
  const char *name = NULL;
  const char *old_owner = NULL;
  const char *new_owner = NULL;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);

  if (name[0] != ':' || new_owner[0] != '\0')
    return;

  if (g_hash_table_remove (self->peers, name))
    {
      g_debug ("Caller %s left the bus", name);
      g_signal_emit (self, signals[SIGNAL_PEER_VANISHED], 0, name);
    }
}

static void
mc_peer_tracker_dispose (GObject *object)
{
  McPeerTracker *self = (McPeerTracker *)object;

  if (self->name_owner_changed_id != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->connection, self->name_owner_changed_id);
      self->name_owner_changed_id = 0;
    }
  g_clear_pointer (&self->peers, g_hash_table_unref);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (mc_peer_tracker_parent_class)->dispose (object);
}

static void
mc_peer_tracker_class_init (McPeerTrackerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_peer_tracker_dispose;

  /**
   * McPeerTracker::peer-vanished:
   * @unique_name: the caller's unique bus name
   *
   * A caller the tracker knew left the bus.
   */
  signals[SIGNAL_PEER_VANISHED] =
    g_signal_new ("peer-vanished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
mc_peer_tracker_init (McPeerTracker *self)
{
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, mc_peer_free);
}

/**
 * mc_peer_tracker_new:
 * @connection: the bus connection callers arrive on
 * @can_see_callers: whether the process ids the bus reports name processes
 *   this daemon can inspect; if not, every caller is
 *   %MC_CALLER_KIND_UNKNOWN
 *
 * Returns: (transfer full): a tracker
 */
McPeerTracker *
mc_peer_tracker_new (GDBusConnection *connection,
                     gboolean         can_see_callers)
{
  McPeerTracker *self = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  self = g_object_new (MC_TYPE_PEER_TRACKER, NULL);
  self->connection = g_object_ref (connection);
  self->can_see_callers = can_see_callers;
  self->name_owner_changed_id =
    g_dbus_connection_signal_subscribe (connection,
                                        "org.freedesktop.DBus",
                                        "org.freedesktop.DBus",
                                        "NameOwnerChanged",
                                        "/org/freedesktop/DBus",
                                        NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE,
                                        on_name_owner_changed,
                                        self, NULL);
  return self;
}

typedef struct
{
  McPeerTracker *self;
  char          *unique_name;
} ResolveData;

static void
resolve_data_free (ResolveData *data)
{
  g_object_unref (data->self);
  g_free (data->unique_name);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ResolveData, resolve_data_free)

static void
on_resolved (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ResolveData) data = user_data;
  McPeerTracker *self = data->self;
  g_autoptr(McCallerInfo) info = NULL;
  g_autoptr(GPtrArray) waiters = NULL;
  g_autoptr(GError) error = NULL;
  McPeer *peer = NULL;

  info = mc_caller_info_resolve_finish (result, &error);

  /* A peer that left meanwhile was removed, and its waiters were failed. */
  if (self->peers == NULL)
    return;
  peer = g_hash_table_lookup (self->peers, data->unique_name);
  if (peer == NULL || peer->waiters == NULL)
    return;

  waiters = g_steal_pointer (&peer->waiters);

  if (info == NULL)
    {
      g_autoptr(GError) not_allowed = NULL;

      /* Never fall back to "unverified" when the lookup fails: a caller
       * that cannot be identified is refused (polkit CVE-2021-3560). */
      if (g_error_matches (error, MC_ERROR, MC_ERROR_NOT_ALLOWED))
        not_allowed = g_error_copy (error);
      else
        not_allowed = g_error_new (MC_ERROR, MC_ERROR_NOT_ALLOWED,
                                   "Could not identify caller %s: %s", data->unique_name, error->message);
      g_hash_table_remove (self->peers, data->unique_name);
      fail_waiters (waiters, not_allowed);
      return;
    }

  g_debug ("Caller %s is %s (%s)", data->unique_name,
           mc_caller_info_get_identity_key (info),
           mc_caller_info_get_display_name (info));
  peer->info = g_object_ref (info);

  for (guint i = 0; i < waiters->len; i++)
    g_task_return_pointer (g_ptr_array_index (waiters, i), g_object_ref (info), g_object_unref);
}

/**
 * mc_peer_tracker_lookup_async:
 * @self: a #McPeerTracker
 * @unique_name: the caller's unique bus name, from the message header
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the #McCallerInfo
 * @user_data: data for @callback
 *
 * Identifies a caller, once per connection: later lookups are answered
 * from the cache, and lookups that arrive while one is in flight wait for
 * it.
 */
void
mc_peer_tracker_lookup_async (McPeerTracker       *self,
                              const char          *unique_name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  McPeer *peer = NULL;
  ResolveData *data = NULL;

  g_return_if_fail (MC_IS_PEER_TRACKER (self));
  g_return_if_fail (unique_name != NULL && unique_name[0] == ':');
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_peer_tracker_lookup_async);

  peer = g_hash_table_lookup (self->peers, unique_name);
  if (peer != NULL && peer->info != NULL)
    {
      g_task_return_pointer (task, g_object_ref (peer->info), g_object_unref);
      return;
    }

  if (peer != NULL)
    {
      g_ptr_array_add (peer->waiters, g_steal_pointer (&task));
      return;
    }

  peer = g_new0 (McPeer, 1);

  if (!self->can_see_callers)
    {
      peer->info = mc_caller_info_new_unknown (unique_name);
      g_hash_table_insert (self->peers, g_strdup (unique_name), peer);
      g_task_return_pointer (task, g_object_ref (peer->info), g_object_unref);
      return;
    }

  peer->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (peer->waiters, g_steal_pointer (&task));
  g_hash_table_insert (self->peers, g_strdup (unique_name), peer);

  data = g_new0 (ResolveData, 1);
  data->self = g_object_ref (self);
  data->unique_name = g_strdup (unique_name);
  mc_caller_info_resolve_async (self->connection, unique_name, NULL, on_resolved, data);
}

/**
 * mc_peer_tracker_lookup_finish:
 * @self: a #McPeerTracker
 * @result: the result
 * @error: return location for an %MC_ERROR_NOT_ALLOWED error
 *
 * Returns: (transfer full): who the caller is, or %NULL if it could not be
 *   identified or left the bus
 */
McCallerInfo *
mc_peer_tracker_lookup_finish (McPeerTracker  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (MC_IS_PEER_TRACKER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

guint
mc_peer_tracker_get_n_peers (McPeerTracker *self)
{
  g_return_val_if_fail (MC_IS_PEER_TRACKER (self), 0);

  return g_hash_table_size (self->peers);
}
