/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mc-error.h"
#include "mc-uri-opener.h"
#include "mc-url-verdict.h"

/* URLs open in a short-lived copy of the daemon ("mcp-consentd
 * --open-uri"), which hands them to GIO's default handler for their scheme
 * and exits. Launching through GIO loads the desktop-file index, the MIME
 * database and their monitors, well over a megabyte the daemon would
 * otherwise carry for the rest of its life; in a child, all of it goes away
 * with the child. The URL travels on stdin: command lines are readable by
 * every process of the user. */

#define MAX_URI_LENGTH (MC_URL_MAX_LENGTH + 1)

static char *
self_executable (GError **error)
{
  return g_file_read_link ("/proc/self/exe", error);
}

static void
on_child_done (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GSubprocess *child = G_SUBPROCESS (source_object);
  g_autoptr(GTask) task = user_data;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_communicate_utf8_finish (child, result, NULL, &err, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_subprocess_get_if_exited (child) && g_subprocess_get_exit_status (child) == EXIT_SUCCESS)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_strstrip (err);
  g_task_return_new_error (task, MC_ERROR, MC_ERROR_FAILED, "%s",
                           err[0] != '\0' ? err : "The browser could not be started");
}

/**
 * mc_uri_opener_open_async:
 * @uri: a URL that is not blocked
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the browser was started, or could not be
 * @user_data: data for @callback
 *
 * Opens @uri with GIO's default handler for its scheme (inside Flatpak,
 * the OpenURI portal), from a child process.
 */
void
mc_uri_opener_open_async (const char          *uri,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autofree char *self = NULL;
  g_autofree char *input = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (uri != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_uri_opener_open_async);

  self = self_executable (&error);
  if (self != NULL)
    child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                              G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, self, MC_URI_OPENER_OPTION, NULL);
  if (child == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  input = g_strconcat (uri, "\n", NULL);
  g_subprocess_communicate_utf8_async (child, input, cancellable, on_child_done, g_steal_pointer (&task));
}

gboolean
mc_uri_opener_open_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static char *
read_uri_from_stdin (void)
{
  g_autofree char *buffer = g_malloc (MAX_URI_LENGTH + 2);
  size_t length = fread (buffer, 1, MAX_URI_LENGTH + 1, stdin);

  if (length == 0 || length > MAX_URI_LENGTH)
    return NULL;

  buffer[length] = '\0';
  if (buffer[length - 1] == '\n')
    buffer[length - 1] = '\0';
  return g_steal_pointer (&buffer);
}

/* The daemon reads this child's stderr to its end, and only then takes the
 * browser as started.  Whatever GIO launches inherits the descriptors 0 to
 * 2, so a browser that was not running yet, and keeps running, would hold
 * that pipe open until it quits: the daemon would wait that long (for a
 * sign-in, until it times out).  So the pipe moves to a close-on-exec
 * descriptor for the child's own report, and what is launched gets
 * /dev/null, as it does for stdout.  Returns the stream to report on. */
static FILE *
detach_report_pipe (void)
{
  int report_fd = fcntl (STDERR_FILENO, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  int null_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  FILE *report = NULL;

  if (report_fd >= 0 && null_fd >= 0 && dup2 (null_fd, STDERR_FILENO) >= 0)
    report = fdopen (report_fd, "w");

  if (null_fd >= 0)
    close (null_fd);
  if (report != NULL)
    return report;

  /* Out of descriptors or memory: report on the pipe as before, and put up
   * with the wait. */
  if (report_fd >= 0)
    {
      dup2 (report_fd, STDERR_FILENO);
      close (report_fd);
    }
  return stderr;
}

/**
 * mc_uri_opener_run_child:
 *
 * The child's side: reads one URL from stdin, opens it, and exits with
 * EXIT_SUCCESS or with the reason on stderr.
 *
 * Returns: the exit status
 */
int
mc_uri_opener_run_child (void)
{
  g_autofree char *uri = read_uri_from_stdin ();
  g_autoptr(McUrlVerdict) verdict = NULL;
  g_autoptr(GError) error = NULL;
  FILE *report = NULL;

  if (uri == NULL)
    {
      fprintf (stderr, "No URL was given\n");
      return EXIT_FAILURE;
    }

  /* The daemon never asks for a blocked URL; this child is a program
   * anyone can run, so it checks again rather than trust its input. */
  verdict = mc_url_verdict_new (uri, NULL);
  if (mc_url_verdict_get_risk (verdict) == MC_URL_RISK_BLOCKED)
    {
      fprintf (stderr, "This URL is never opened: %s\n", mc_url_verdict_get_reason (verdict));
      return EXIT_FAILURE;
    }

  report = detach_report_pipe ();
  if (!g_app_info_launch_default_for_uri (uri, NULL, &error))
    {
      fprintf (report, "%s\n", error->message);
      fclose (report);
      return EXIT_FAILURE;
    }

  fclose (report);
  return EXIT_SUCCESS;
}
