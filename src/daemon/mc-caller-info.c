/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-caller-info.h"
#include "mc-caller-info-private.h"

#include <gio/gdesktopappinfo.h>
#include <gio/gunixfdlist.h>

#include "mc-error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* See docs/caller-identity.md for the reasoning behind every step. */

/* Both files are a few hundred bytes; a caller must not make us buffer more. */
#define FLATPAK_INFO_MAX_SIZE (64 * 1024)
#define CGROUP_MAX_SIZE       (64 * 1024)
#define EXE_PATH_MAX_SIZE     (64 * 1024)

/* systemd's UNIT_NAME_MAX, which includes the terminating NUL. */
#define UNIT_NAME_MAX 256
#define APP_ID_MAX    255

#define FUSE_SUPER_MAGIC 0x65735546

struct _McCallerInfo
{
  GObject       parent_instance;

  McCallerKind  kind;
  guint32       pid;
  char         *unique_name;
  char         *app_id;
  char         *instance_id;
  char         *display_name;
  char         *icon;
  char         *executable;
  char         *identity_key;
};

G_DEFINE_FINAL_TYPE (McCallerInfo, mc_caller_info, G_TYPE_OBJECT)

/* GLib 2.74 has no g_autofd; this is the same thing. */
typedef int McAutoFd;

static void
mc_auto_fd_clear (McAutoFd *fd)
{
  if (*fd >= 0)
    {
      int errsv = errno;

      close (*fd);
      *fd = -1;
      errno = errsv;
    }
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (McAutoFd, mc_auto_fd_clear)

static void
mc_caller_info_finalize (GObject *object)
{
  McCallerInfo *self = (McCallerInfo *)object;

  g_clear_pointer (&self->unique_name, g_free);
  g_clear_pointer (&self->app_id, g_free);
  g_clear_pointer (&self->instance_id, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->icon, g_free);
  g_clear_pointer (&self->executable, g_free);
  g_clear_pointer (&self->identity_key, g_free);

  G_OBJECT_CLASS (mc_caller_info_parent_class)->finalize (object);
}

static void
mc_caller_info_class_init (McCallerInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mc_caller_info_finalize;
}

static void
mc_caller_info_init (McCallerInfo *self)
{
  self->kind = MC_CALLER_KIND_UNVERIFIED;
}

static McCallerInfo *
mc_caller_info_new (McCallerKind  kind,
                    const char   *unique_name,
                    guint32       pid,
                    const char   *app_id,
                    const char   *instance_id,
                    const char   *display_name,
                    const char   *icon,
                    const char   *executable)
{
  McCallerInfo *self = g_object_new (MC_TYPE_CALLER_INFO, NULL);

  self->kind = kind;
  self->pid = pid;
  self->unique_name = g_strdup (unique_name);
  self->app_id = g_strdup (app_id);
  self->instance_id = g_strdup (instance_id);
  self->icon = g_strdup (icon);
  self->executable = g_strdup (executable);

  if (display_name != NULL)
    self->display_name = g_strdup (display_name);
  else if (app_id != NULL)
    self->display_name = g_strdup (app_id);
  else if (executable != NULL)
    self->display_name = g_path_get_basename (executable);

  switch (kind)
    {
    case MC_CALLER_KIND_FLATPAK:
      self->identity_key = g_strconcat ("flatpak:", app_id, NULL);
      break;

    case MC_CALLER_KIND_HOST_APP:
      self->identity_key = g_strconcat ("host-app:", app_id, NULL);
      break;

    case MC_CALLER_KIND_UNVERIFIED:
      /* The threat model trusts the user's own unsandboxed processes, and
       * nothing tells them apart, so they share one identity. */
      self->identity_key = g_strdup ("host");
      break;

    case MC_CALLER_KIND_UNKNOWN:
      /* Could be anyone, a sandboxed app included: never the trusted
       * "host", and never shared with another connection. */
      self->identity_key = g_strconcat ("connection:", unique_name, NULL);
      break;

    default:
      g_assert_not_reached ();
    }

  return self;
}

/**
 * mc_caller_info_new_for_testing:
 * @kind: the kind of caller
 * @unique_name: (nullable): the caller's unique bus name
 * @app_id: (nullable): the app id; required for %MC_CALLER_KIND_FLATPAK and
 *   %MC_CALLER_KIND_HOST_APP
 * @executable: (nullable): the executable path, for %MC_CALLER_KIND_UNVERIFIED
 *
 * Builds a caller without asking the bus or reading any file, for unit tests
 * of code that consumes an #McCallerInfo. The display name is the app id (or
 * the executable's basename); there is no icon and the PID is 0.
 *
 * Returns: (transfer full): a new #McCallerInfo
 */
static gboolean
mc_caller_info_is_verified_kind (McCallerKind kind)
{
  return kind == MC_CALLER_KIND_FLATPAK || kind == MC_CALLER_KIND_HOST_APP;
}

McCallerInfo *
mc_caller_info_new_for_testing (McCallerKind  kind,
                                const char   *unique_name,
                                const char   *app_id,
                                const char   *executable)
{
  g_return_val_if_fail (kind == MC_CALLER_KIND_UNVERIFIED || kind == MC_CALLER_KIND_UNKNOWN ||
                        _mc_caller_info_is_valid_app_id (app_id), NULL);
  g_return_val_if_fail (kind != MC_CALLER_KIND_UNKNOWN || unique_name != NULL, NULL);

  return mc_caller_info_new (kind,
                             unique_name,
                             0,
                             mc_caller_info_is_verified_kind (kind) ? app_id : NULL,
                             NULL,
                             NULL,
                             NULL,
                             executable);
}

/**
 * mc_caller_info_new_unknown:
 * @unique_name: the caller's unique bus name
 *
 * A caller the broker cannot look at: for a broker that runs in another
 * PID namespace than the bus, where the PIDs the bus reports name nothing
 * (or, worse, one of the broker's own processes).
 *
 * Returns: (transfer full): a new #McCallerInfo of kind
 *   %MC_CALLER_KIND_UNKNOWN
 */
McCallerInfo *
mc_caller_info_new_unknown (const char *unique_name)
{
  g_return_val_if_fail (unique_name != NULL, NULL);

  return mc_caller_info_new (MC_CALLER_KIND_UNKNOWN, unique_name, 0,
                             NULL, NULL, NULL, NULL, NULL);
}

/* Pure helpers */

/**
 * _mc_caller_info_is_valid_app_id:
 * @app_id: (nullable): a candidate app id
 *
 * Host desktop file ids are not always reverse-DNS ("firefox-esr"), so this
 * accepts what a desktop file basename reasonably is, and nothing that could
 * leave the applications directory, smuggle control characters into the
 * dialog, or confuse a "kind:id" identity key.
 *
 * Returns: whether @app_id may name an app
 */
gboolean
_mc_caller_info_is_valid_app_id (const char *app_id)
{
  gsize len;

  if (app_id == NULL)
    return FALSE;

  len = strlen (app_id);
  if (len == 0 || len > APP_ID_MAX)
    return FALSE;

  if (!g_ascii_isalnum (app_id[0]) && app_id[0] != '_')
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = app_id[i];

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_unit_name_char (char c)
{
  /* systemd's VALID_CHARS plus the instance separator. */
  return g_ascii_isalnum (c) || c == ':' || c == '-' || c == '_' ||
         c == '.' || c == '\\' || c == '@';
}

/* Undoes systemd's unit name escaping ("\x2d" for "-"). Any other use of a
 * backslash is malformed, so the whole name is refused rather than guessed. */
static char *
unit_name_unescape (const char *escaped,
                    gsize       len)
{
  g_autoptr(GString) out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      int hi, lo;

      if (escaped[i] != '\\')
        {
          g_string_append_c (out, escaped[i]);
          continue;
        }

      if (i + 3 >= len)
        return NULL;
      if (escaped[i + 1] != 'x')
        return NULL;

      hi = g_ascii_xdigit_value (escaped[i + 2]);
      lo = g_ascii_xdigit_value (escaped[i + 3]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return NULL;

      g_string_append_c (out, (char) (hi * 16 + lo));
      i += 3;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static const char *
find_char (const char *start,
           const char *end,
           char        c)
{
  for (const char *p = start; p < end; p++)
    {
      if (*p == c)
        return p;
    }

  return NULL;
}

static const char *
find_last_char (const char *start,
                const char *end,
                char        c)
{
  for (const char *p = end; p > start; p--)
    {
      if (p[-1] == c)
        return p - 1;
    }

  return NULL;
}

/**
 * _mc_caller_info_parse_app_unit:
 * @unit: a systemd user unit name
 * @out_launcher: (out) (optional) (nullable): the launcher, if the name has one
 * @out_app_id: (out) (optional): the unescaped application id
 *
 * Parses the names systemd's "XDG standardization for applications" gives
 * desktop apps: `app-[<launcher>-]<ApplicationID>-<RANDOM>.scope` and
 * `app-[<launcher>-]<ApplicationID>[@<RANDOM>].service`, where a `-` inside
 * the id is escaped as `\x2d`. Because of that escaping an unescaped `-`
 * left in the middle can only separate the launcher from the id; a name with
 * more than one is ambiguous and refused. Slices are refused: the unit a
 * process runs in is never a slice, and a slice named like an app groups
 * other units (GNOME Terminal's `app-org.gnome.Terminal.slice` holds one
 * `vte-spawn-*.scope` per tab, and a shell in a tab is not the terminal).
 *
 * Returns: whether @unit is an app unit with a valid app id
 */
gboolean
_mc_caller_info_parse_app_unit (const char  *unit,
                                char       **out_launcher,
                                char       **out_app_id)
{
  g_autofree char *launcher = NULL;
  g_autofree char *app_id = NULL;
  const char *body;
  const char *end;
  const char *id_start;
  const char *dash;
  gsize len;

  g_return_val_if_fail (unit != NULL, FALSE);

  len = strlen (unit);
  if (len >= UNIT_NAME_MAX)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      if (!is_unit_name_char (unit[i]))
        return FALSE;
    }

  if (!g_str_has_prefix (unit, "app-"))
    return FALSE;

  body = unit + strlen ("app-");

  if (g_str_has_suffix (unit, ".scope"))
    {
      const char *random;

      end = unit + len - strlen (".scope");
      if (end <= body || find_char (body, end, '@') != NULL)
        return FALSE;

      dash = find_last_char (body, end, '-');
      if (dash == NULL || dash + 1 == end)
        return FALSE;

      for (random = dash + 1; random < end; random++)
        {
          if (!g_ascii_isalnum (*random))
            return FALSE;
        }

      end = dash;
    }
  else if (g_str_has_suffix (unit, ".service"))
    {
      const char *at;

      end = unit + len - strlen (".service");
      if (end <= body)
        return FALSE;

      at = find_char (body, end, '@');
      if (at != NULL)
        {
          /* An empty instance is a template, which never runs. */
          if (at + 1 == end || find_char (at + 1, end, '@') != NULL)
            return FALSE;
          end = at;
        }
    }
  else
    {
      return FALSE;
    }

  dash = find_char (body, end, '-');
  if (dash != NULL)
    {
      if (dash == body || find_char (dash + 1, end, '-') != NULL)
        return FALSE;

      for (const char *p = body; p < dash; p++)
        {
          if (!g_ascii_isalnum (*p) && *p != '_')
            return FALSE;
        }

      launcher = g_strndup (body, dash - body);
      id_start = dash + 1;
    }
  else
    {
      id_start = body;
    }

  if (id_start >= end)
    return FALSE;

  app_id = unit_name_unescape (id_start, end - id_start);
  if (!_mc_caller_info_is_valid_app_id (app_id))
    return FALSE;

  if (out_launcher != NULL)
    *out_launcher = g_steal_pointer (&launcher);
  if (out_app_id != NULL)
    *out_app_id = g_steal_pointer (&app_id);

  return TRUE;
}

static gboolean
is_user_manager (const char *component)
{
  const char *p;

  if (!g_str_has_prefix (component, "user@"))
    return FALSE;

  p = component + strlen ("user@");
  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;

  return g_str_equal (p, ".service");
}

/**
 * _mc_caller_info_user_unit_from_cgroup:
 * @cgroup: the contents of `/proc/PID/cgroup`
 *
 * Finds the systemd user unit a process runs in, the way
 * `sd_pid_get_user_unit()` does: the path must lead through a
 * `user@UID.service`, and the unit is the first component after it that is
 * not a slice. Only the unit counts, not where the process sits inside it.
 *
 * Returns: (transfer full) (nullable): the unit name, or %NULL if the
 *   process is not in a unit of a user manager
 */
char *
_mc_caller_info_user_unit_from_cgroup (const char *cgroup)
{
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) components = NULL;
  const char *systemd_path = NULL;
  const char *unified_path = NULL;
  const char *path;
  gsize i = 0;

  g_return_val_if_fail (cgroup != NULL, NULL);

  lines = g_strsplit (cgroup, "\n", -1);
  for (gsize l = 0; lines[l] != NULL; l++)
    {
      const char *controllers;
      const char *line_path;

      controllers = strchr (lines[l], ':');
      if (controllers == NULL)
        continue;
      controllers++;

      line_path = strchr (controllers, ':');
      if (line_path == NULL)
        continue;
      line_path++;

      /* On a legacy or hybrid hierarchy systemd keeps its own named
       * hierarchy, which is the one that always follows its units. */
      if (g_str_has_prefix (controllers, "name=systemd:"))
        systemd_path = line_path;
      else if (g_str_has_prefix (lines[l], "0::"))
        unified_path = line_path;
    }

  path = systemd_path != NULL ? systemd_path : unified_path;
  if (path == NULL || path[0] != '/')
    return NULL;

  components = g_strsplit (path + 1, "/", -1);

  while (components[i] != NULL && g_str_has_suffix (components[i], ".slice"))
    i++;
  if (components[i] == NULL || !is_user_manager (components[i]))
    return NULL;
  i++;

  while (components[i] != NULL && g_str_has_suffix (components[i], ".slice"))
    i++;
  if (components[i] == NULL)
    return NULL;

  if (!g_str_has_suffix (components[i], ".scope") &&
      !g_str_has_suffix (components[i], ".service"))
    return NULL;

  return g_strdup (components[i]);
}

/**
 * _mc_caller_info_lookup_desktop_app:
 * @app_id: an app id
 * @out_name: (out) (optional): the desktop file's name
 * @out_icon: (out) (optional) (nullable): the serialized icon, if any
 *
 * Looks up `APPID.desktop` in the XDG data dirs. Blocking; call it from a
 * worker thread in the daemon.
 *
 * Returns: whether a (not hidden) desktop file exists for @app_id
 */
gboolean
_mc_caller_info_lookup_desktop_app (const char  *app_id,
                                    char       **out_name,
                                    char       **out_icon)
{
  g_autoptr(GDesktopAppInfo) app_info = NULL;
  g_autofree char *desktop_id = NULL;
  GIcon *icon;

  g_return_val_if_fail (app_id != NULL, FALSE);

  if (!_mc_caller_info_is_valid_app_id (app_id))
    return FALSE;

  desktop_id = g_strconcat (app_id, ".desktop", NULL);
  app_info = g_desktop_app_info_new (desktop_id);
  if (app_info == NULL)
    return FALSE;

  if (out_name != NULL)
    *out_name = g_strdup (g_app_info_get_name (G_APP_INFO (app_info)));

  icon = g_app_info_get_icon (G_APP_INFO (app_info));
  if (out_icon != NULL)
    *out_icon = icon != NULL ? g_icon_to_string (icon) : NULL;

  return TRUE;
}

/**
 * _mc_caller_info_host_app_from_cgroup:
 * @cgroup: the contents of `/proc/PID/cgroup`
 * @out_app_id: (out) (optional): the app id
 * @out_name: (out) (optional): the desktop file's name
 * @out_icon: (out) (optional) (nullable): the serialized icon, if any
 *
 * The host app step: the process's user unit must be an app unit and its
 * `APPID.desktop` must exist. Blocking, like
 * _mc_caller_info_lookup_desktop_app().
 *
 * Returns: whether the process is a host app
 */
gboolean
_mc_caller_info_host_app_from_cgroup (const char  *cgroup,
                                      char       **out_app_id,
                                      char       **out_name,
                                      char       **out_icon)
{
  g_autofree char *unit = NULL;
  g_autofree char *app_id = NULL;

  g_return_val_if_fail (cgroup != NULL, FALSE);

  unit = _mc_caller_info_user_unit_from_cgroup (cgroup);
  if (unit == NULL)
    return FALSE;

  if (!_mc_caller_info_parse_app_unit (unit, NULL, &app_id))
    {
      g_debug ("Unit %s is not an app unit", unit);
      return FALSE;
    }

  if (!_mc_caller_info_lookup_desktop_app (app_id, out_name, out_icon))
    {
      g_debug ("Unit %s names %s, which has no desktop file", unit, app_id);
      return FALSE;
    }

  if (out_app_id != NULL)
    *out_app_id = g_steal_pointer (&app_id);

  return TRUE;
}

/* Reading /proc */

static void
set_error_from_errno (GError     **error,
                      int          errsv,
                      const char  *format,
                      ...) G_GNUC_PRINTF (3, 4);

static void
set_error_from_errno (GError     **error,
                      int          errsv,
                      const char  *format,
                      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               "%s: %s", message, g_strerror (errsv));
}

/* The file's bytes, NUL-terminated; @out_length, if given, receives their
 * number, which tells a NUL inside the file from the terminating one. */
static char *
read_fd_limited (int          fd,
                 gsize        max_size,
                 const char  *what,
                 gsize       *out_length,
                 GError     **error)
{
  g_autoptr(GString) contents = g_string_new (NULL);

  for (;;)
    {
      char buffer[4096];
      gssize n_read = read (fd, buffer, sizeof buffer);

      if (n_read < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;

          set_error_from_errno (error, errsv, "Could not read %s", what);
          return NULL;
        }

      if (n_read == 0)
        break;

      if (contents->len + n_read > max_size)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "%s is larger than %" G_GSIZE_FORMAT " bytes",
                       what, max_size);
          return NULL;
        }

      g_string_append_len (contents, buffer, n_read);
    }

  if (out_length != NULL)
    *out_length = contents->len;
  return g_string_free (g_steal_pointer (&contents), FALSE);
}

static char *
read_link_at (int          dirfd,
              const char  *name,
              GError     **error)
{
  gsize size = 256;

  for (;;)
    {
      g_autofree char *target = g_malloc (size);
      gssize len = readlinkat (dirfd, name, target, size);

      if (len < 0)
        {
          set_error_from_errno (error, errno, "Could not read the link %s", name);
          return NULL;
        }

      if ((gsize) len < size)
        {
          target[len] = '\0';
          return g_steal_pointer (&target);
        }

      if (size >= EXE_PATH_MAX_SIZE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "The link %s is too long", name);
          return NULL;
        }

      size *= 2;
    }
}

/* The PID a pidfd refers to, in our PID namespace, from /proc/self/fdinfo;
 * 0 if the process is not in our namespace, -1 if it has been reaped. */
static gboolean
get_pidfd_pid (int       pidfd,
               gint64   *out_pid,
               GError  **error)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/fdinfo/%d", pidfd);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "Pid:"))
        {
          const char *value = lines[i] + strlen ("Pid:");

          while (*value == ' ' || *value == '\t')
            value++;

          return g_ascii_string_to_signed (value, 10, -1, G_MAXINT32, out_pid, error);
        }
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "File descriptor %d is not a pidfd", pidfd);
  return FALSE;
}

static gboolean
check_pidfd_alive (int       pidfd,
                   guint32   pid,
                   GError  **error)
{
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  int res;

  do
    res = poll (&pfd, 1, 0);
  while (res < 0 && errno == EINTR);

  if (res < 0)
    {
      set_error_from_errno (error, errno, "Could not poll the caller's pidfd");
      return FALSE;
    }

  /* A pidfd becomes readable when its process exits. Checked after /proc/PID
   * was opened, "still running" means the PID was never free in between, so
   * the directory we hold is that process and not one that reused the PID. */
  if (pfd.revents != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "Caller process %u has exited", pid);
      return FALSE;
    }

  return TRUE;
}

/* A key's value as the file has it, for the keys Flatpak writes without
 * escapes.  Not g_key_file_get_string(): GLib 2.74's unescaping sets its
 * GError twice (a GLib-WARNING, fatal under G_DEBUG=fatal-warnings) when an
 * invalid escape is followed by a trailing backslash.  A value with any
 * escape is refused instead: a valid app id has no backslash, and
 * Flatpak's instance ids are digits. */
static char *
dup_plain_value (GKeyFile   *key_file,
                 const char *group,
                 const char *key)
{
  g_autofree char *value = g_key_file_get_value (key_file, group, key, NULL);

  if (value == NULL || strchr (value, '\\') != NULL || !g_utf8_validate (value, -1, NULL))
    return NULL;

  return g_steal_pointer (&value);
}

/**
 * _mc_caller_info_parse_flatpak_info:
 * @contents: (array length=length): what the caller's `/.flatpak-info` holds
 * @length: the length of @contents in bytes
 * @out_app_id: (out) (optional): the app id, valid for
 *   _mc_caller_info_is_valid_app_id()
 * @out_instance_id: (out) (optional): the instance id, never empty
 * @error: a location for a #GError, or %NULL
 *
 * Reads the app id and instance id from a Flatpak sandbox's metadata.
 * Pure, so it can be tested and fuzzed without a sandbox.
 *
 * Returns: whether @contents names a valid app and an instance
 */
gboolean
_mc_caller_info_parse_flatpak_info (const char  *contents,
                                    gsize        length,
                                    char       **out_app_id,
                                    char       **out_instance_id,
                                    GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *app_id = NULL;
  g_autofree char *instance_id = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *group;

  g_return_val_if_fail (contents != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Flatpak never writes a NUL. Given a C string, GKeyFile would stop at
   * one, while Flatpak and xdg-desktop-portal read on to the end of the
   * file: a NUL could hide a [Runtime] group from us that they see. */
  if (length > 0 && memchr (contents, '\0', length) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The caller's .flatpak-info contains a NUL byte");
      return FALSE;
    }

  if (!g_key_file_load_from_data (key_file, contents, length, G_KEY_FILE_NONE, &local_error))
    {
      /* GKeyFile quotes the line it refused, whatever its bytes; this
       * message ends up in the D-Bus error the caller gets, and D-Bus
       * strings must be UTF-8. */
      g_autofree char *reason = g_utf8_make_valid (local_error->message, -1);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Could not parse the caller's .flatpak-info: %s", reason);
      return FALSE;
    }

  /* A runtime run on its own ("flatpak run org.gnome.Sdk") is as sandboxed
   * as an app; like xdg-desktop-portal we name it by the runtime. */
  group = g_key_file_has_group (key_file, "Runtime") ? "Runtime" : "Application";

  app_id = dup_plain_value (key_file, group, "name");
  if (!_mc_caller_info_is_valid_app_id (app_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The caller's .flatpak-info has no valid [%s] name", group);
      return FALSE;
    }

  instance_id = dup_plain_value (key_file, "Instance", "instance-id");
  if (instance_id == NULL || instance_id[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The caller's .flatpak-info has no instance id");
      return FALSE;
    }

  if (out_app_id != NULL)
    *out_app_id = g_steal_pointer (&app_id);
  if (out_instance_id != NULL)
    *out_instance_id = g_steal_pointer (&instance_id);

  return TRUE;
}

static McCallerInfo *
inspect_flatpak_info (int          info_fd,
                      const char  *unique_name,
                      guint32      pid,
                      GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *app_id = NULL;
  g_autofree char *instance_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *icon = NULL;
  gsize length = 0;
  struct stat st;

  if (fstat (info_fd, &st) != 0)
    {
      set_error_from_errno (error, errno, "Could not stat .flatpak-info");
      return NULL;
    }

  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "The caller's .flatpak-info is not a regular file");
      return NULL;
    }

  contents = read_fd_limited (info_fd, FLATPAK_INFO_MAX_SIZE, ".flatpak-info", &length, error);
  if (contents == NULL)
    return NULL;

  if (!_mc_caller_info_parse_flatpak_info (contents, length, &app_id, &instance_id, error))
    return NULL;

  _mc_caller_info_lookup_desktop_app (app_id, &name, &icon);

  return mc_caller_info_new (MC_CALLER_KIND_FLATPAK, unique_name, pid,
                             app_id, instance_id, name, icon, NULL);
}

/**
 * _mc_caller_info_inspect_process:
 * @unique_name: the caller's unique bus name, recorded in the result
 * @pid: the caller's PID as the bus reported it, or 0 to take it from @pidfd
 * @pidfd: the caller's pidfd as the bus handed it over, or -1 (borrowed)
 * @cancellable: (nullable): a #GCancellable
 * @error: a location for a #GError, or %NULL
 *
 * Everything mc_caller_info_resolve_async() does after asking the bus,
 * except re-asking it. Blocking: it reads /proc and desktop files, so the
 * daemon runs it in a worker thread.
 *
 * Returns: (transfer full): the caller, or %NULL and @error is set
 */
McCallerInfo *
_mc_caller_info_inspect_process (const char    *unique_name,
                                 guint32        pid,
                                 int            pidfd,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autofree char *proc_path = NULL;
  g_autofree char *cgroup = NULL;
  g_autofree char *executable = NULL;
  g_autofree char *app_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *icon = NULL;
  g_auto(McAutoFd) pid_dirfd = -1;
  g_auto(McAutoFd) root_fd = -1;
  g_auto(McAutoFd) info_fd = -1;
  g_auto(McAutoFd) cgroup_fd = -1;

  g_return_val_if_fail (pid > 0 || pidfd >= 0, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (pidfd >= 0)
    {
      gint64 pidfd_pid;

      if (!get_pidfd_pid (pidfd, &pidfd_pid, error))
        return NULL;

      if (pidfd_pid <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The caller's process has exited or is not in our PID namespace");
          return NULL;
        }

      if (pid != 0 && pidfd_pid != pid)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "The bus reported PID %u but a pidfd for PID %" G_GINT64_FORMAT,
                       pid, pidfd_pid);
          return NULL;
        }

      pid = (guint32) pidfd_pid;
    }

  /* Everything below goes through this directory, which stays bound to the
   * process it was opened for even if that process dies and its PID is
   * reused; reads then fail instead of describing the newcomer. */
  proc_path = g_strdup_printf ("/proc/%u", pid);
  pid_dirfd = open (proc_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
  if (pid_dirfd < 0)
    {
      set_error_from_errno (error, errno, "Could not open %s", proc_path);
      return NULL;
    }

  if (pidfd >= 0 && !check_pidfd_alive (pidfd, pid, error))
    return NULL;

  /* Step 2: Flatpak. */
  root_fd = openat (pid_dirfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    {
      set_error_from_errno (error, errno, "Could not open %s/root", proc_path);
      return NULL;
    }

  /* O_NOFOLLOW: a symlink would resolve against our root, not the caller's.
   * O_NONBLOCK: a FIFO must not hang the worker; it is refused below. */
  info_fd = openat (root_fd, ".flatpak-info",
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (info_fd >= 0)
    return inspect_flatpak_info (info_fd, unique_name, pid, error);

  if (errno == EACCES)
    {
      struct statfs sfs;

      /* A FUSE root (a toolbox container) refuses us; Flatpak never uses
       * one. Any other refusal might be a sandboxed process hiding its root,
       * and must not make it the shared "host" identity. */
      if (fstatfs (root_fd, &sfs) != 0 || sfs.f_type != FUSE_SUPER_MAGIC)
        {
          set_error_from_errno (error, EACCES, "Could not open the caller's .flatpak-info");
          return NULL;
        }
    }
  else if (errno != ENOENT)
    {
      set_error_from_errno (error, errno, "Could not open the caller's .flatpak-info");
      return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* Step 3: an app in its own systemd unit. */
  cgroup_fd = openat (pid_dirfd, "cgroup", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (cgroup_fd < 0)
    {
      set_error_from_errno (error, errno, "Could not open %s/cgroup", proc_path);
      return NULL;
    }

  cgroup = read_fd_limited (cgroup_fd, CGROUP_MAX_SIZE, "the caller's cgroup", NULL, error);
  if (cgroup == NULL)
    return NULL;

  if (_mc_caller_info_host_app_from_cgroup (cgroup, &app_id, &name, &icon))
    return mc_caller_info_new (MC_CALLER_KIND_HOST_APP, unique_name, pid,
                               app_id, NULL, name, icon, NULL);

  /* Step 4: anything else. */
  executable = read_link_at (pid_dirfd, "exe", error);
  if (executable == NULL)
    return NULL;

  return mc_caller_info_new (MC_CALLER_KIND_UNVERIFIED, unique_name, pid,
                             NULL, NULL, NULL, NULL, executable);
}

/* Resolving over the bus */

typedef struct
{
  GDBusConnection *connection;
  char            *unique_name;
  guint32          pid;
  int              pidfd;
  McCallerInfo    *info;
} ResolveData;

static void
resolve_data_free (ResolveData *data)
{
  g_clear_object (&data->connection);
  g_clear_pointer (&data->unique_name, g_free);
  g_clear_object (&data->info);
  if (data->pidfd >= 0)
    close (data->pidfd);
  g_free (data);
}

static void
return_resolve_error (GTask  *task,
                      GError *error)
{
  ResolveData *data = g_task_get_task_data (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }

  g_dbus_error_strip_remote_error (error);
  g_debug ("Could not identify caller %s: %s", data->unique_name, error->message);

  /* One code for every failure: the broker must refuse the call, whatever
   * went wrong. polkit's CVE-2021-3560 came from a failed lookup that was
   * read as an identity (root's); here it never becomes one, least of all
   * the trusted "host". */
  g_task_return_new_error (task, MC_ERROR, MC_ERROR_NOT_ALLOWED,
                           "Could not identify caller %s: %s",
                           data->unique_name, error->message);
  g_error_free (error);
}

static void
get_connection_credentials (GDBusConnection     *connection,
                            const char          *unique_name,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_dbus_connection_call_with_unix_fd_list (connection,
                                            "org.freedesktop.DBus",
                                            "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus",
                                            "GetConnectionCredentials",
                                            g_variant_new ("(s)", unique_name),
                                            G_VARIANT_TYPE ("(a{sv})"),
                                            G_DBUS_CALL_FLAGS_NONE,
                                            -1,
                                            NULL,
                                            cancellable,
                                            callback,
                                            user_data);
}

static gboolean
parse_credentials (GDBusConnection  *connection,
                   GAsyncResult     *result,
                   guint32          *out_pid,
                   int              *out_pidfd,
                   GError          **error)
{
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) credentials = NULL;
  guint32 pid = 0;
  gint32 handle;
  int pidfd = -1;

  reply = g_dbus_connection_call_with_unix_fd_list_finish (connection, &fd_list, result, error);
  if (reply == NULL)
    return FALSE;

  credentials = g_variant_get_child_value (reply, 0);
  g_variant_lookup (credentials, "ProcessID", "u", &pid);

  if (out_pidfd != NULL &&
      fd_list != NULL &&
      g_variant_lookup (credentials, "ProcessFD", "h", &handle))
    {
      pidfd = g_unix_fd_list_get (fd_list, handle, error);
      if (pidfd < 0)
        return FALSE;
    }

  if (pid == 0 && pidfd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "The bus did not say which process the caller is");
      return FALSE;
    }

  *out_pid = pid;
  if (out_pidfd != NULL)
    *out_pidfd = pidfd;

  return TRUE;
}

static void
on_credentials_rechecked (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ResolveData *data = g_task_get_task_data (task);
  GError *error = NULL;
  guint32 pid = 0;

  if (!parse_credentials (G_DBUS_CONNECTION (source), result, &pid, NULL, &error))
    {
      return_resolve_error (task, error);
      return;
    }

  if (pid != data->pid)
    {
      return_resolve_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                               "Its PID changed from %u to %u",
                                               data->pid, pid));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&data->info), g_object_unref);
}

static void
on_process_inspected (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ResolveData *data = g_task_get_task_data (task);
  g_autoptr(McCallerInfo) info = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  info = g_task_propagate_pointer (G_TASK (result), &error);
  if (info == NULL)
    {
      return_resolve_error (task, error);
      return;
    }

  if (data->pidfd >= 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&info), g_object_unref);
      return;
    }

  /* Without a pidfd the PID may have been reused between the bus's answer
   * and our opening /proc/PID. If the connection is still there with the
   * same PID after that open, the process we read is the caller (unless it
   * handed its bus socket to another process before exiting). */
  data->info = g_steal_pointer (&info);
  cancellable = g_task_get_cancellable (task);
  g_dbus_connection_call (data->connection,
                          "org.freedesktop.DBus",
                          "/org/freedesktop/DBus",
                          "org.freedesktop.DBus",
                          "GetConnectionCredentials",
                          g_variant_new ("(s)", data->unique_name),
                          G_VARIANT_TYPE ("(a{sv})"),
                          G_DBUS_CALL_FLAGS_NONE,
                          -1,
                          cancellable,
                          on_credentials_rechecked,
                          g_steal_pointer (&task));
}

static void
inspect_process_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  ResolveData *data = task_data;
  McCallerInfo *info;
  GError *error = NULL;

  info = _mc_caller_info_inspect_process (data->unique_name, data->pid, data->pidfd,
                                          cancellable, &error);
  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, g_object_unref);
}

static void
on_credentials (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GTask) inspect_task = NULL;
  ResolveData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!parse_credentials (G_DBUS_CONNECTION (source), result, &data->pid, &data->pidfd, &error))
    {
      return_resolve_error (task, error);
      return;
    }

  /* The worker reads @data while this task, which owns it, waits. */
  inspect_task = g_task_new (NULL, g_task_get_cancellable (task),
                             on_process_inspected, g_object_ref (task));
  g_task_set_source_tag (inspect_task, inspect_process_thread);
  g_task_set_task_data (inspect_task, data, NULL);
  g_task_run_in_thread (inspect_task, inspect_process_thread);
}

/**
 * mc_caller_info_resolve_async:
 * @connection: the bus connection the call arrived on
 * @unique_name: the caller's unique name (the method invocation's sender)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the caller is identified
 * @user_data: data for @callback
 *
 * Finds out who a bus peer is, from the bus and the kernel only: its PID
 * (and pidfd, where the bus offers one) from `GetConnectionCredentials`,
 * then its Flatpak metadata, its systemd app unit, or else its executable.
 * Nothing the caller sends is consulted.
 */
void
mc_caller_info_resolve_async (GDBusConnection     *connection,
                              const char          *unique_name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ResolveData *data;

  g_return_if_fail (G_IS_DBUS_CONNECTION (connection));
  g_return_if_fail (unique_name != NULL && g_dbus_is_unique_name (unique_name));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_caller_info_resolve_async);

  data = g_new0 (ResolveData, 1);
  data->connection = g_object_ref (connection);
  data->unique_name = g_strdup (unique_name);
  data->pidfd = -1;
  g_task_set_task_data (task, data, (GDestroyNotify) resolve_data_free);

  get_connection_credentials (connection, unique_name, cancellable,
                              on_credentials, g_steal_pointer (&task));
}

/**
 * mc_caller_info_resolve_finish:
 * @result: the #GAsyncResult passed to the callback
 * @error: a location for a #GError, or %NULL
 *
 * Any failure, including the caller having left the bus, is an error in
 * the %MC_ERROR domain (%MC_ERROR_NOT_ALLOWED), or %G_IO_ERROR_CANCELLED.
 * It never degrades to %MC_CALLER_KIND_UNVERIFIED.
 *
 * Returns: (transfer full): the caller, or %NULL and @error is set
 */
McCallerInfo *
mc_caller_info_resolve_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_caller_info_resolve_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Getters */

McCallerKind
mc_caller_info_get_kind (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), MC_CALLER_KIND_UNVERIFIED);

  return self->kind;
}

/**
 * mc_caller_info_is_verified:
 * @self: an #McCallerInfo
 *
 * Returns: whether the app id is known (Flatpak or host app)
 */
gboolean
mc_caller_info_is_verified (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), FALSE);

  return mc_caller_info_is_verified_kind (self->kind);
}

const char *
mc_caller_info_get_unique_name (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), NULL);

  return self->unique_name;
}

/**
 * mc_caller_info_get_app_id:
 * @self: an #McCallerInfo
 *
 * Returns: (nullable): the app id; %NULL for an unverified caller
 */
const char *
mc_caller_info_get_app_id (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), NULL);

  return self->app_id;
}

/**
 * mc_caller_info_get_display_name:
 * @self: an #McCallerInfo
 *
 * The name of `APPID.desktop`, else the app id; for an unverified caller
 * the executable's basename, which proves nothing and must be shown as such.
 *
 * Returns: (nullable): a name to show the user
 */
const char *
mc_caller_info_get_display_name (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), NULL);

  return self->display_name;
}

/**
 * mc_caller_info_get_icon:
 * @self: an #McCallerInfo
 *
 * Returns: (nullable): the app's icon as g_icon_to_string() serializes it
 *   (g_icon_new_for_string() reads it back), or %NULL
 */
const char *
mc_caller_info_get_icon (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), NULL);

  return self->icon;
}

/**
 * mc_caller_info_get_executable:
 * @self: an #McCallerInfo
 *
 * Returns: (nullable): for an unverified caller, the path of its executable
 *   (`/proc/PID/exe`); %NULL for the other kinds
 */
const char *
mc_caller_info_get_executable (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), NULL);

  return self->executable;
}

/**
 * mc_caller_info_get_pid:
 * @self: an #McCallerInfo
 *
 * For logs only: the process may have exited since, and its PID been reused.
 *
 * Returns: the PID the caller had when it was resolved, or 0
 */
guint32
mc_caller_info_get_pid (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), 0);

  return self->pid;
}

/**
 * mc_caller_info_get_identity_key:
 * @self: an #McCallerInfo
 *
 * What grants and remembered decisions are bound to: `flatpak:APPID`,
 * `host-app:APPID`, or `host` for every unverified program.
 *
 * Returns: the identity key
 */
const char *
mc_caller_info_get_identity_key (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), NULL);

  return self->identity_key;
}

/**
 * mc_caller_info_get_instance_id:
 * @self: an #McCallerInfo
 *
 * Returns: (nullable): the Flatpak instance id, or %NULL for other kinds
 */
const char *
mc_caller_info_get_instance_id (McCallerInfo *self)
{
  g_return_val_if_fail (MC_IS_CALLER_INFO (self), NULL);

  return self->instance_id;
}

const char *
mc_caller_kind_to_string (McCallerKind kind)
{
  switch (kind)
    {
    case MC_CALLER_KIND_FLATPAK:
      return "flatpak";

    case MC_CALLER_KIND_HOST_APP:
      return "host-app";

    case MC_CALLER_KIND_UNVERIFIED:
      return "unverified";

    case MC_CALLER_KIND_UNKNOWN:
      return "unknown";

    default:
      g_return_val_if_reached ("invalid");
    }
}
