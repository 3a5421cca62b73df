/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-policy-monitor.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/inotify.h>
#include <unistd.h>

/* The daemon's view of the policy files (docs/policy.md): read once at
 * start, before anyone is served, then again — asynchronously — whenever
 * one of them changes.  Each file keeps its last good contents: a file
 * that turns malformed changes nothing, and one that is malformed from the
 * start counts as the strictest policy.  The effective policy is always
 * the combination of all files, never none.
 *
 * The files are watched with one inotify descriptor of our own, read on
 * the main loop, and read without GFile: a GFile and a GFileMonitor make
 * GIO load its modules, register every extension point and bring in its
 * file-monitor machinery, which cost the idle daemon 250-370 kB of
 * libgio pages and 48 kB of heap (docs/benchmarks.md).  Each file's parent directory is watched, not the file, so that
 * creating, deleting, and replacing it by rename (what editors and
 * install(1) do) are all seen; while the parent does not exist, its
 * nearest existing ancestor is watched until the missing directories
 * appear. */

/* How long events of one change of a file may be apart. */
#define SETTLE_MS 50

/* What a watched directory tells: its entries appearing, going, being
 * written; and itself going, after which its watch ends (IN_IGNORED). */
#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | \
                    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

typedef struct
{
  McPolicyMonitor *monitor;
  char            *path;
  /* The directory watched for it: its parent, or the nearest existing
   * ancestor of the parent; and in it, the name of the file or of the
   * directory on the way to it.  wd is -1 when nothing is watched. */
  char            *watched_dir;
  char            *next_name;
  int              wd;
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
  /* -1 when inotify is unavailable: changes then apply at the next start. */
  int           inotify_fd;
  guint         inotify_id;
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

  /* Its watch ends with the inotify descriptor, closed in dispose. */
  g_clear_handle_id (&file->settle_id, g_source_remove);
  g_free (file->watched_dir);
  g_free (file->next_name);
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

/* Read in a worker thread, not through GFile: the first GFile makes GIO
 * load its modules and register every extension point (VFS, settings,
 * notifications, file monitors...), which alone costs the idle daemon
 * about 250 kB of libgio pages (docs/benchmarks.md). */
static void
read_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &data, &length, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_bytes_new_take (data, length), (GDestroyNotify)g_bytes_unref);
}

static void
on_file_loaded (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  PolicyFile *file = user_data;
  McPolicyMonitor *self = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(McPolicy) policy = NULL;
  const char *data = NULL;
  gsize length = 0;
  gboolean applied = TRUE;

  /* Cancelled in dispose, where @file was freed: touch nothing. */
  bytes = g_task_propagate_pointer (G_TASK (result), &error);
  if (bytes == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* An empty file's bytes may have no data at all. */
  if (bytes != NULL)
    data = g_bytes_get_data (bytes, &length);
  if (data == NULL)
    data = "";

  self = file->monitor;
  file->loading = FALSE;

  if (error != NULL && g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT) && file->policy == NULL)
    {
      /* It was absent and still is (a directory on its way to it came or
       * went): nothing changed, so nothing to tell. */
      if (file->dirty)
        load_file (file);
      return;
    }
  else if (error != NULL && g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
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
  g_autoptr(GTask) task = NULL;

  if (file->loading)
    {
      file->dirty = TRUE;
      return;
    }

  file->loading = TRUE;
  file->dirty = FALSE;
  task = g_task_new (NULL, file->monitor->cancellable, on_file_loaded, file);
  g_task_set_source_tag (task, load_file);
  g_task_set_task_data (task, g_strdup (file->path), g_free);
  g_task_run_in_thread (task, read_in_thread);
}

static gboolean
on_file_settled (gpointer user_data)
{
  PolicyFile *file = user_data;

  file->settle_id = 0;
  load_file (file);
  return G_SOURCE_REMOVE;
}

/* Reads the file once the events of one change have come: a replacement
 * is deleted, created, closed after writing, or moved in. */
static void
schedule_load (PolicyFile *file)
{
  if (file->settle_id == 0)
    file->settle_id = g_timeout_add (SETTLE_MS, on_file_settled, file);
}

/* Drops the file's watch, unless another file's parent is the same
 * directory (inotify gives both the same watch descriptor). */
static void
unwatch (PolicyFile *file)
{
  McPolicyMonitor *self = file->monitor;
  int wd = file->wd;

  file->wd = -1;
  g_clear_pointer (&file->watched_dir, g_free);
  g_clear_pointer (&file->next_name, g_free);
  if (wd < 0)
    return;
  for (guint i = 0; i < self->files->len; i++)
    {
      PolicyFile *other = g_ptr_array_index (self->files, i);

      if (other->wd == wd)
        return;
    }
  inotify_rm_watch (self->inotify_fd, wd);
}

/* Watches the file's parent directory or, while it does not exist, its
 * nearest existing ancestor.  One inotify_add_watch() a level: a lookup
 * of local directories, as cheap as a stat, done at start and when a
 * directory on the way appears or goes. */
static void
watch (PolicyFile *file)
{
  McPolicyMonitor *self = file->monitor;
  g_autofree char *dir = g_path_get_dirname (file->path);
  g_autofree char *next = g_path_get_basename (file->path);

  unwatch (file);
  if (self->inotify_fd < 0)
    return;

  for (;;)
    {
      g_autofree char *parent = NULL;
      int wd = inotify_add_watch (self->inotify_fd, dir, WATCH_MASK);
      int saved_errno = errno;

      if (wd >= 0)
        {
          file->wd = wd;
          file->watched_dir = g_steal_pointer (&dir);
          file->next_name = g_steal_pointer (&next);
          return;
        }

      parent = g_path_get_dirname (dir);
      if ((saved_errno != ENOENT && saved_errno != ENOTDIR) || g_str_equal (parent, dir))
        {
          g_warning ("Cannot watch %s for the policy file %s (%s); its changes apply at the next start",
                     dir, file->path, g_strerror (saved_errno));
          return;
        }
      g_free (next);
      next = g_path_get_basename (dir);
      g_free (dir);
      dir = g_steal_pointer (&parent);
    }
}

static gboolean
watches_parent (PolicyFile *file)
{
  g_autofree char *parent = g_path_get_dirname (file->path);

  return file->watched_dir != NULL && g_str_equal (file->watched_dir, parent);
}

static void
handle_event (PolicyFile                 *file,
              const struct inotify_event *event)
{
  /* The watched directory went (or its file system): the file went
   * with it, or is elsewhere now.  Watch what is there instead. */
  if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT))
    {
      /* After IN_IGNORED the kernel has dropped the watch already. */
      if (event->mask & IN_IGNORED)
        file->wd = -1;
      watch (file);
      schedule_load (file);
      return;
    }

  if (event->len == 0 || file->next_name == NULL || !g_str_equal (event->name, file->next_name))
    return;

  if (watches_parent (file))
    {
      /* IN_MODIFY is not asked for: a file written in place is read when
       * it is closed, so that half a file is never read. */
      schedule_load (file);
    }
  else if (event->mask & (IN_CREATE | IN_MOVED_TO))
    {
      /* A directory on the way appeared, perhaps with the file in it
       * already (mkdir -p, or a directory moved in). */
      watch (file);
      schedule_load (file);
    }
}

/* The queue of events overflowed and some were lost: whatever they said,
 * reading every file again and watching anew covers it. */
static void
handle_overflow (McPolicyMonitor *self)
{
  g_message ("Too many changes of the policy files' directories at once; reading the files again");
  for (guint i = 0; i < self->files->len; i++)
    {
      PolicyFile *file = g_ptr_array_index (self->files, i);

      watch (file);
      schedule_load (file);
    }
}

static gboolean
on_inotify_ready (int          fd,
                  GIOCondition condition,
                  gpointer     user_data)
{
  McPolicyMonitor *self = user_data;
  /* Aligned for the events; room for several, each at most
   * sizeof (struct inotify_event) + NAME_MAX + 1 bytes. */
  char buffer[4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));

  for (;;)
    {
      ssize_t n_read = read (fd, buffer, sizeof buffer);

      if (n_read < 0 && errno == EINTR)
        continue;
      if (n_read < 0 && errno == EAGAIN)
        return G_SOURCE_CONTINUE;
      if (n_read <= 0)
        {
          g_warning ("Cannot read the changes of the policy files (%s); they apply at the next start",
                     n_read < 0 ? g_strerror (errno) : "end of file");
          self->inotify_id = 0;
          return G_SOURCE_REMOVE;
        }

      for (char *p = buffer; p < buffer + n_read;)
        {
          /* The kernel pads each name so that the next event is aligned
           * as the buffer is. */
          const struct inotify_event *event = (const void *)p;

          p += sizeof (struct inotify_event) + event->len;
          if (event->mask & IN_Q_OVERFLOW)
            {
              handle_overflow (self);
              continue;
            }
          for (guint i = 0; i < self->files->len; i++)
            {
              PolicyFile *file = g_ptr_array_index (self->files, i);

              if (file->wd >= 0 && file->wd == event->wd)
                handle_event (file, event);
            }
        }
    }
}

/* Without inotify (none in the kernel, or the user's limit of instances
 * reached), the files are read at start only. */
static void
start_watching (McPolicyMonitor *self)
{
  self->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (self->inotify_fd < 0)
    {
      g_warning ("Cannot watch the policy files (inotify: %s); changes to them apply at the next start",
                 g_strerror (errno));
      return;
    }
  self->inotify_id = g_unix_fd_add (self->inotify_fd, G_IO_IN, on_inotify_ready, self);
}

static void
mc_policy_monitor_dispose (GObject *object)
{
  McPolicyMonitor *self = (McPolicyMonitor *)object;

  /* Pending loads hold a pointer to their file: they must end first. */
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->inotify_id, g_source_remove);
  if (self->inotify_fd >= 0)
    {
      close (self->inotify_fd);
      self->inotify_fd = -1;
    }
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
  self->inotify_fd = -1;
}

/* Blocking, at start only: nobody is served before the policy is known. */
static void
load_file_at_start (PolicyFile *file)
{
  g_autoptr(GError) problem = NULL;

  file->policy = mc_policy_read_file_sync (file->path, &problem);
  if (problem != NULL)
    g_warning ("Policy file cannot be used: %s; applying the strictest policy until it is fixed", problem->message);
  else if (file->policy != NULL)
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

  start_watching (self);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      PolicyFile *file = g_new0 (PolicyFile, 1);

      file->monitor = self;
      file->path = g_strdup (paths[i]);
      file->wd = -1;
      g_ptr_array_add (self->files, file);

      /* Watched before the first read, so that no change is missed. */
      watch (file);
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
