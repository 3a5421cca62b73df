/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* Real X key events for the ui and e2e tests: xdotool sends them through
 * XTEST to the private Xvfb of mc-test-xvfb.c, as a keyboard would. */

#include "config.h"

#include <gio/gio.h>

#include "mc-test-xdotool.h"

#define WAIT_TIMEOUT_MS 20000

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  char     *stdout_text;
} ProcessResult;

static void
communicate_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ProcessResult *process_result = user_data;
  g_autoptr(GError) error = NULL;

  process_result->ok = g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source_object), result,
                                                             &process_result->stdout_text, NULL,
                                                             &error);
  g_assert_no_error (error);
  process_result->done = TRUE;
}

/* Runs xdotool to its end, or kills it at the deadline (a --sync search
 * would otherwise wait for ever).  Returns its standard output. */
static char *
xdotool (int                *exit_status,
         const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  ProcessResult result = { FALSE, FALSE, NULL };
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_MS * 1000;
  guint tick = g_timeout_add (10, tick_cb, NULL);

  g_ptr_array_add (argv, (gpointer) "xdotool");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, &result);
  while (!result.done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  if (!result.done)
    {
      g_subprocess_force_exit (process);
      while (!result.done)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (tick);
      g_free (result.stdout_text);
      g_error ("xdotool %s did not finish within %d ms", args[0], WAIT_TIMEOUT_MS);
    }
  g_source_remove (tick);

  *exit_status = g_subprocess_get_exit_status (process);
  return result.stdout_text;
}

char *
mc_test_xdotool_find_window (const char *title)
{
  const char * const args[] = { "search", "--sync", "--onlyvisible", "--name", title, NULL };
  g_autofree char *output = NULL;
  g_auto(GStrv) ids = NULL;
  int status = -1;

  output = xdotool (&status, args);
  g_assert_cmpint (status, ==, 0);
  ids = g_strsplit (g_strstrip (output), "\n", -1);
  g_assert_cmpuint (g_strv_length (ids), ==, 1);

  return g_strdup (ids[0]);
}

gboolean
mc_test_xdotool_window_exists (const char *title)
{
  const char * const args[] = { "search", "--onlyvisible", "--name", title, NULL };
  g_autofree char *output = NULL;
  int status = -1;

  output = xdotool (&status, args);
  return status == 0 && output != NULL && g_strstrip (output)[0] != '\0';
}

/* The keys go to whatever has the X input focus: make that @window first. */
void
mc_test_xdotool_press_keys (const char *window,
                            const char *keys)
{
  g_auto(GStrv) split = g_strsplit (keys, " ", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char * const focus[] = { "windowfocus", "--sync", window, NULL };
  g_autofree char *output = NULL;
  g_auto(GStrv) args = NULL;
  int status = -1;

  output = xdotool (&status, focus);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&output, g_free);

  g_strv_builder_add_many (builder, "key", "--clearmodifiers", "--delay", "20", NULL);
  g_strv_builder_addv (builder, (const char **) split);
  args = g_strv_builder_end (builder);
  output = xdotool (&status, (const char * const *) args);
  g_assert_cmpint (status, ==, 0);
}
