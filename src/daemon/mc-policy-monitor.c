/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-policy-monitor.h"

/* The daemon's view of the policy files (docs/policy.md): read once at
 * start, before anyone is served, then again — asynchronously — whenever
 * one of them changes.  Each file keeps its last good contents: a file
 * that turns malformed changes nothing, and one that is malformed from the
 * start counts as the strictest policy.  The effective policy is always
 * the combination of all files, never none. */

/* How long events of one change of a file may be apart. */
#define SETTLE_MS 50

typedef struct
{
  McPolicyMonitor *monitor;
  GFile           *file;
  char            *path;
  GFileMonitor    *file_monitor;
  /* The file's last good policy, or the strictest one; NULL while the
   * file does not exist. */
  McPolicy        *policy;
  guint            settle_id;
  gboolean         loading;
  gboolean         dirty;
} PolicyFile;

struct _McPolicyMonitor
{
  GObject       parent_instance;

  GPtrArray    *files;   /* PolicyFile */
  McPolicy     *effective;
  GCancellable *cancellable;
};

enum
{
  SIGNAL_RELOADED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (McPolicyMonitor, mc_policy_monitor, G_TYPE_OBJECT)

static void
policy_file_free (gpointer data)
{
  PolicyFile *file = data;

  if (file->file_monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (file->file_monitor, file);
      g_file_monitor_cancel (file->file_monitor);
    }
  g_clear_handle_id (&file->settle_id, g_source_remove);
  g_clear_object (&file->file_monitor);
  g_clear_object (&file->file);
  g_clear_pointer (&file->policy, mc_policy_unref);
  g_free (file->path);
  g_free (file);
}

static void
update_effective (McPolicyMonitor *self)
{
  g_autoptr(McPolicy) effective = mc_policy_new_default ();

  for (guint i = 0; i < self->files->len; i++)
    {
      PolicyFile *file = g_ptr_array_index (self->files, i);
      McPolicy *merged = NULL;

      if (file->policy == NULL)
        continue;
      merged = mc_policy_merge (effective, file->policy);
      g_clear_pointer (&effective, mc_policy_unref);
      effective = merged;
    }

  g_clear_pointer (&self->effective, mc_policy_unref);
  self->effective = g_steal_pointer (&effective);
}

static void load_file (PolicyFile *file);

static void
on_file_loaded (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  PolicyFile *file = user_data;
  McPolicyMonitor *self = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(McPolicy) policy = NULL;
  gsize length = 0;
  gboolean applied = TRUE;

  if (!g_file_load_contents_finish (G_FILE (source_object), result, &data, &length, NULL, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = file->monitor;
  file->loading = FALSE;

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_message ("Policy file %s was removed; it no longer applies", file->path);
      g_clear_pointer (&file->policy, mc_policy_unref);
    }
  else if (error != NULL)
    {
      g_warning ("Could not read the policy file %s (%s); keeping its last good version",
                 file->path, error->message);
      applied = FALSE;
    }
  else if ((policy = mc_policy_parse (file->path, data, length, &error)) == NULL)
    {
      g_warning ("Policy file is malformed: %s; keeping its last good version", error->message);
      applied = FALSE;
    }
  else
    {
      g_message ("Policy file %s read again; it applies now", file->path);
      g_clear_pointer (&file->policy, mc_policy_unref);
      file->policy = g_steal_pointer (&policy);
    }

  update_effective (self);
  g_signal_emit (self, signals[SIGNAL_RELOADED], 0, file->path, applied);

  /* It changed again while being read. */
  if (file->dirty)
    load_file (file);
}

static void
load_file (PolicyFile *file)
{
  if (file->loading)
    {
      file->dirty = TRUE;
      return;
    }

  file->loading = TRUE;
  file->dirty = FALSE;
  g_file_load_contents_async (file->file, file->monitor->cancellable, on_file_loaded, file);
}

static gboolean
on_file_settled (gpointer user_data)
{
  PolicyFile *file = user_data;

  file->settle_id = 0;
  load_file (file);
  return G_SOURCE_REMOVE;
}

static void
on_file_changed (GFileMonitor      *file_monitor,
                 GFile             *changed,
                 GFile             *other,
                 GFileMonitorEvent  event,
                 gpointer           user_data)
{
  PolicyFile *file = user_data;

  /* CHANGED comes for every write of a file being written in place: wait
   * for the write to end, so that half a file is never read. */
  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
    case G_FILE_MONITOR_EVENT_RENAMED:
      /* One change of the file comes as several events (a replacement:
       * deleted, created, changes done): read it once they have come. */
      if (file->settle_id == 0)
        file->settle_id = g_timeout_add (SETTLE_MS, on_file_settled, file);
      break;

    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
    case G_FILE_MONITOR_EVENT_MOVED:
    default:
      break;
    }
}

static void
mc_policy_monitor_dispose (GObject *object)
{
  McPolicyMonitor *self = (McPolicyMonitor *)object;

  /* Pending loads hold a pointer to their file: they must end first. */
  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->effective, mc_policy_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (mc_policy_monitor_parent_class)->dispose (object);
}

static void
mc_policy_monitor_class_init (McPolicyMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_policy_monitor_dispose;

  /**
   * McPolicyMonitor::reloaded:
   * @path: the file that changed
   * @applied: %FALSE if the changed file was malformed or unreadable and
   *   its last good version stays
   *
   * A policy file changed and was read again.
   */
  signals[SIGNAL_RELOADED] = g_signal_new ("reloaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
mc_policy_monitor_init (McPolicyMonitor *self)
{
  self->files = g_ptr_array_new_with_free_func (policy_file_free);
  self->cancellable = g_cancellable_new ();
}

/* Blocking, at start only: nobody is served before the policy is known. */
static void
load_file_at_start (PolicyFile *file)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  if (!g_file_get_contents (file->path, &data, &length, &error))
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return;
      g_warning ("Could not read the policy file %s (%s); applying the strictest policy until it can be read",
                 file->path, error->message);
      file->policy = mc_policy_new_strictest (file->path);
      return;
    }

  file->policy = mc_policy_parse (file->path, data, length, &error);
  if (file->policy == NULL)
    {
      g_warning ("Policy file is malformed: %s; applying the strictest policy until it is fixed",
                 error->message);
      file->policy = mc_policy_new_strictest (file->path);
      return;
    }
  g_debug ("Policy file %s applies", file->path);
}

/**
 * mc_policy_monitor_new:
 *
 * Reads the policy files (mc_policy_dup_paths()) now, and watches them.
 *
 * Returns: (transfer full): the monitor
 */
McPolicyMonitor *
mc_policy_monitor_new (void)
{
  g_autoptr(McPolicyMonitor) self = g_object_new (MC_TYPE_POLICY_MONITOR, NULL);
  g_auto(GStrv) paths = mc_policy_dup_paths ();

  for (guint i = 0; paths[i] != NULL; i++)
    {
      PolicyFile *file = g_new0 (PolicyFile, 1);
      g_autoptr(GError) error = NULL;

      file->monitor = self;
      file->path = g_strdup (paths[i]);
      file->file = g_file_new_for_path (paths[i]);
      g_ptr_array_add (self->files, file);

      /* Watched before the first read, so that no change is missed. */
      file->file_monitor = g_file_monitor_file (file->file, G_FILE_MONITOR_NONE, NULL, &error);
      if (file->file_monitor == NULL)
        g_warning ("Cannot watch the policy file %s (%s); changes apply at the next start",
                   file->path, error->message);
      else
        g_signal_connect (file->file_monitor, "changed", G_CALLBACK (on_file_changed), file);

      load_file_at_start (file);
    }

  update_effective (self);
  return g_steal_pointer (&self);
}

/**
 * mc_policy_monitor_get_policy:
 * @self: a #McPolicyMonitor
 *
 * Returns: (transfer none): the effective policy now; take a reference to
 *   keep it across a return to the main loop
 */
McPolicy *
mc_policy_monitor_get_policy (McPolicyMonitor *self)
{
  g_return_val_if_fail (MC_IS_POLICY_MONITOR (self), NULL);

  return self->effective;
}
