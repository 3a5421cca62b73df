/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "mc-state-file.h"

/* The discipline of mc-remembered.c, shared by the grant store and the
 * client registry: a damaged file is moved aside with a warning, never
 * silently reset; saves replace the file atomically and privately; saves
 * run one at a time, and a change during a save asks for another, so the
 * file always ends up with the latest state. */
struct _McStateFile
{
  char                 *path;
  /* Not a reference: the owner holds this. */
  GObject              *owner;
  McStateSerializeFunc  serialize;
  /* For the set-aside warning: "no grants", "no registrations". */
  char                 *empty_state;
  gboolean              saving;
  gboolean              dirty;
  /* GTasks waiting for the save in flight, and for the one after it. */
  GPtrArray            *inflight_waiters;
  GPtrArray            *pending_waiters;
};

/**
 * mc_state_file_new:
 * @path: the file
 * @owner: the object that keeps the state; it owns the result
 * @serialize: gives what to write, from @owner
 * @empty_state: what the daemon starts with when the file is set aside,
 *   for the warning ("no grants")
 *
 * Returns: (transfer full): the file's keeper, freed by @owner
 */
McStateFile *
mc_state_file_new (const char           *path,
                   GObject              *owner,
                   McStateSerializeFunc  serialize,
                   const char           *empty_state)
{
  McStateFile *self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (G_IS_OBJECT (owner), NULL);
  g_return_val_if_fail (serialize != NULL, NULL);
  g_return_val_if_fail (empty_state != NULL, NULL);

  self = g_new0 (McStateFile, 1);
  self->path = g_strdup (path);
  self->owner = owner;
  self->serialize = serialize;
  self->empty_state = g_strdup (empty_state);
  self->pending_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  return self;
}

void
mc_state_file_free (McStateFile *self)
{
  if (self == NULL)
    return;

  /* A save in flight holds a reference to the owner, so none is. */
  g_assert (!self->saving);
  g_free (self->path);
  g_free (self->empty_state);
  g_clear_pointer (&self->inflight_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->pending_waiters, g_ptr_array_unref);
  g_free (self);
}

const char *
mc_state_file_get_path (McStateFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->path;
}

/**
 * mc_state_file_read:
 * @self: a #McStateFile
 *
 * Reads the file synchronously: this runs once, at start-up, before the
 * daemon serves anyone.  An absent file is the normal first start; one
 * that cannot be read is warned about.
 *
 * Returns: (transfer full) (nullable): its contents, or %NULL
 */
GBytes *
mc_state_file_read (McStateFile *self)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_return_val_if_fail (self != NULL, NULL);

  if (!g_file_get_contents (self->path, &contents, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Could not read %s: %s", self->path, error->message);
      return NULL;
    }

  return g_bytes_new_take (contents, length);
}

/**
 * mc_state_file_set_aside:
 * @self: a #McStateFile
 * @reason: why the owner refused the contents
 *
 * Moves the damaged file to PATH.corrupt-TIMESTAMP, with a warning: the
 * user's data is kept for inspection rather than silently replaced at the
 * next save.
 */
void
mc_state_file_set_aside (McStateFile  *self,
                         const GError *reason)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *aside = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (reason != NULL);

  aside = g_strdup_printf ("%s.corrupt-%s", self->path, stamp);

  if (g_rename (self->path, aside) == 0)
    g_warning ("%s is damaged (%s); moved it to %s and starting with %s",
               self->path, reason->message, aside, self->empty_state);
  else
    g_warning ("%s is damaged (%s) and could not be moved aside: %s; starting with %s",
               self->path, reason->message, g_strerror (errno), self->empty_state);
}

/**
 * mc_state_file_changed:
 * @self: a #McStateFile
 *
 * Says the owner's state changed: the next save writes it.
 */
void
mc_state_file_changed (McStateFile *self)
{
  g_return_if_fail (self != NULL);

  self->dirty = TRUE;
}

typedef struct
{
  GObject     *owner;
  McStateFile *file;
} Save;

static void start_save (McStateFile *self);

static void
on_saved (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Save *save = user_data;
  /* The save's reference: it keeps the owner, and so @self, alive until
   * the end of this function. */
  GObject *owner = save->owner;
  McStateFile *self = save->file;
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->inflight_waiters);
  g_autoptr(GError) error = NULL;

  g_free (save);
  self->saving = FALSE;

  if (!g_file_replace_contents_finish (G_FILE (source_object), result, NULL, &error))
    g_warning ("Could not save %s: %s", self->path, error->message);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }

  if (self->dirty || self->pending_waiters->len > 0)
    start_save (self);

  g_object_unref (owner);
}

static void
start_save (McStateFile *self)
{
  g_autoptr(GFile) file = g_file_new_for_path (self->path);
  g_autoptr(GFile) parent = g_file_get_parent (file);
  g_autoptr(GBytes) bytes = NULL;
  Save *save = NULL;

  /* The state directory is the user's; creating it is cheap and rare
   * enough (the first save ever) to do inline. */
  if (g_mkdir_with_parents (g_file_peek_path (parent), 0700) != 0)
    g_debug ("Could not create %s: %s", g_file_peek_path (parent), g_strerror (errno));

  bytes = self->serialize (self->owner);
  self->dirty = FALSE;
  self->saving = TRUE;
  self->inflight_waiters = g_steal_pointer (&self->pending_waiters);
  self->pending_waiters = g_ptr_array_new_with_free_func (g_object_unref);

  save = g_new0 (Save, 1);
  save->owner = g_object_ref (self->owner);
  save->file = self;

  /* Replace writes a temporary file and renames it over: a crash leaves
   * the old or the new file, never half of one.  Private: the files say
   * which apps use which servers. */
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       NULL, on_saved, save);
}

/**
 * mc_state_file_save_async:
 * @self: a #McStateFile
 * @cancellable: (nullable): a #GCancellable; it ends the wait, not the
 *   save
 * @callback: called once the current state is on disk
 * @user_data: data for @callback
 *
 * The task's source object is the owner.
 */
void
mc_state_file_save_async (McStateFile         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self->owner, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_state_file_save_async);

  if (!self->dirty)
    {
      /* Nothing changed since the save in flight started: it will do. */
      if (self->saving)
        g_ptr_array_add (self->inflight_waiters, g_steal_pointer (&task));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->pending_waiters, g_steal_pointer (&task));
  if (!self->saving)
    start_save (self);
}

gboolean
mc_state_file_save_finish (McStateFile   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self->owner), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_state_file_save_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mc_state_check_web_url:
 * @url: a URL read from a state or configuration file
 * @name: the field, for the error
 * @error: a location for a #GError, or %NULL
 *
 * What such files may hold where the daemon will send a request (or a
 * token): an absolute https URL with a host, or http to a loopback host
 * (local servers, tests); no user info, no fragment.  The files are the
 * user's own, but a hand edit or a damaged file must not make the daemon
 * post a refresh token somewhere odd.
 *
 * Returns: %TRUE if @url is acceptable; %FALSE with a
 *   %G_IO_ERROR_INVALID_DATA error naming @name otherwise
 */
gboolean
mc_state_check_web_url (const char  *url,
                        const char  *name,
                        GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme = NULL;
  const char *host = NULL;

  g_return_val_if_fail (url != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not a URL", name);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if (host == NULL || host[0] == '\0' || g_uri_get_userinfo (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "“%s” must have a host and no user info or fragment", name);
      return FALSE;
    }

  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (scheme, "http") == 0 && mc_state_host_is_loopback (host))
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "“%s” must be an https URL (http only to this computer)", name);
  return FALSE;
}

/**
 * mc_state_host_is_loopback:
 * @host: a host as #GUri gives it (IPv6 without brackets)
 *
 * Returns: whether @host is "localhost" or a loopback address
 */
gboolean
mc_state_host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  g_return_val_if_fail (host != NULL, FALSE);

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}
