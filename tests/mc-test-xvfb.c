/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "mc-test-xvfb.h"

/* A private X server per test program.  Xvfb picks a free display number
 * itself and writes it to -displayfd, so tests running in parallel never
 * race for one; the server is stopped by the process id we started. */

#define START_TIMEOUT_S 30
#define STOP_TIMEOUT_S 10

static GSubprocess *xvfb;
static char *display;

static void
child_setup (gpointer user_data)
{
  /* If the test crashes or is killed, its X server goes with it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
read_display_number (int      fd,
                     GString *line,
                     GError **error)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_S * G_USEC_PER_SEC;

  while (strchr (line->str, '\n') == NULL)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 remaining_ms = (deadline - g_get_monotonic_time ()) / 1000;
      char buffer[32];
      ssize_t n;
      int ready;

      if (remaining_ms <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "Xvfb did not report a display within %d s", START_TIMEOUT_S);
          return FALSE;
        }

      ready = poll (&pfd, 1, (int) remaining_ms);
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "poll: %s", g_strerror (errno));
          return FALSE;
        }
      if (ready == 0)
        continue;

      n = read (fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "Xvfb exited before reporting a display");
          return FALSE;
        }
      g_string_append_len (line, buffer, n);
      if (line->len > 16)
        break;
    }

  return TRUE;
}

/**
 * mc_test_xvfb_start:
 * @error: return location for an error
 *
 * Starts `Xvfb -displayfd … -screen 0 1280x800x24 -nolisten tcp` and points
 * `DISPLAY` (and `GDK_BACKEND`) at it, for this process and its children.
 * Call it before gtk_test_init(); if the test also uses #GTestDBus, start
 * that first, since g_test_dbus_up() unsets `DISPLAY`.
 *
 * Returns: %TRUE if the server is up
 */
gboolean
mc_test_xvfb_start (GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GSubprocess) process = NULL;
  int fds[2];
  guint64 number = 0;

  g_return_val_if_fail (xvfb == NULL, FALSE);

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return FALSE;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  process = g_subprocess_launcher_spawn (launcher, error,
                                         "Xvfb", "-displayfd", "3",
                                         "-screen", "0", "1280x800x24",
                                         "-nolisten", "tcp",
                                         "-noreset",
                                         NULL);
  /* Dropping the launcher closes our copy of the write end, so a dying
   * Xvfb shows up as end-of-file rather than a hang. */
  g_clear_object (&launcher);
  if (process == NULL)
    {
      close (fds[0]);
      return FALSE;
    }

  if (!read_display_number (fds[0], line, error))
    {
      close (fds[0]);
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      return FALSE;
    }
  close (fds[0]);

  g_strstrip (line->str);
  if (!g_ascii_string_to_unsigned (line->str, 10, 0, 65535, &number, error))
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      return FALSE;
    }

  xvfb = g_steal_pointer (&process);
  display = g_strdup_printf (":%" G_GUINT64_FORMAT, number);
  g_setenv ("DISPLAY", display, TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_unsetenv ("WAYLAND_DISPLAY");

  return TRUE;
}

typedef struct
{
  gboolean finished;
  gboolean exited;
} WaitState;

static void
wait_done_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  WaitState *state = user_data;

  state->exited = g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, NULL);
  state->finished = TRUE;
}

static gboolean
timed_out_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* On a private main context, so that nothing of the test's own runs while
 * it waits. */
static gboolean
wait_for_exit (GSubprocess *process,
               guint        timeout_s)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (timeout_s);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  WaitState state = { FALSE, FALSE };

  g_main_context_push_thread_default (context);
  g_source_set_callback (timeout, timed_out_cb, cancellable, NULL);
  g_source_attach (timeout, context);
  g_subprocess_wait_async (process, cancellable, wait_done_cb, &state);
  while (!state.finished)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  return state.exited;
}

/**
 * mc_test_xvfb_stop:
 *
 * Stops the server mc_test_xvfb_start() started: SIGTERM, then SIGKILL if
 * it is still there after a while.
 */
void
mc_test_xvfb_stop (void)
{
  if (xvfb == NULL)
    return;

  g_subprocess_send_signal (xvfb, SIGTERM);
  if (!wait_for_exit (xvfb, STOP_TIMEOUT_S))
    {
      g_subprocess_force_exit (xvfb);
      wait_for_exit (xvfb, STOP_TIMEOUT_S);
    }

  g_clear_object (&xvfb);
  g_clear_pointer (&display, g_free);
}

/**
 * mc_test_xvfb_get_display:
 *
 * Returns: (nullable): the display, such as ":3", while the server runs
 */
const char *
mc_test_xvfb_get_display (void)
{
  return display;
}
