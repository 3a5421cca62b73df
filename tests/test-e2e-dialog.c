/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The whole product with its real face: the installed mcp-consent asks the
 * D-Bus-activated installed daemon, which starts the installed
 * mcp-consent-prompter on a private Xvfb; a user's key presses (XTEST)
 * answer it; the URL reaches the browser registered in mimeapps.list. */

#include "config.h"

#include <glib/gstdio.h>

#include "mc-test-env.h"
#include "mc-test-xdotool.h"
#include "mc-test-xvfb.h"

#define URL "https://accounts.example.com/connect?flow=42&state=abc"

static McTestEnv *
env_with_display (void)
{
  McTestEnv *env = mc_test_env_new (MC_TEST_ENV_ACTIVATION | MC_TEST_ENV_REAL_PROMPTER);

  mc_test_env_setenv (env, "DISPLAY", mc_test_xvfb_get_display ());
  mc_test_env_setenv (env, "GDK_BACKEND", "x11");
  /* No accessibility bus in the test session; the dialog must not look. */
  mc_test_env_setenv (env, "GTK_A11Y", "none");
  /* The icon theme, as on a desktop; the test browser stays the default,
   * since the user's mimeapps.list comes first. */
  mc_test_env_setenv (env, "XDG_DATA_DIRS", "/usr/local/share:/usr/share");
  return env;
}

static GSubprocess *
start_elicit (McTestEnv  *env,
              const char *server,
              const char *url)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *cli = mc_test_env_spawn_cli (env, &error, "elicit", "--server-name", server, "--url", url,
                                            "--message", "Sign in to continue.", NULL);

  g_assert_no_error (error);
  return cli;
}

typedef struct
{
  gboolean done;
  char    *out;
} CliResult;

static void
on_cli_done (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  CliResult *cli_result = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source_object), result, &cli_result->out, NULL, &error);
  g_assert_no_error (error);
  cli_result->done = TRUE;
}

static guint
count_colours (const char *path)
{
  g_autoptr(GSubprocess) identify = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  identify = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                               "identify", "-format", "%k", path, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (identify, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  return (guint)g_ascii_strtoull (out, NULL, 10);
}

static void
save_window (const char *window,
             const char *name)
{
  g_autofree char *dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "screenshots", NULL);
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  gint64 deadline = g_get_monotonic_time () + MC_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  /* An artifact of what the X server shows, for people to look at. A
   * window is mapped before its first frame is drawn, so capture until
   * there is more than the blank background. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  do
    {
      g_autoptr(GSubprocess) import = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      import = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "import", "-window", window, path, NULL);
      g_assert_no_error (error);
      g_subprocess_wait_check (import, NULL, &error);
      g_assert_no_error (error);
    }
  while (count_colours (path) < 16);

  g_test_message ("Screenshot: %s", path);
}

static void
test_open_by_keyboard (void)
{
  g_autoptr(McTestEnv) env = env_with_display ();
  g_autoptr(GSubprocess) cli = start_elicit (env, "Example Files", URL);
  g_autofree char *window = NULL;
  g_autofree char *browser = NULL;
  g_autofree char *notice = NULL;
  CliResult result = { FALSE, NULL };
  gint64 deadline = g_get_monotonic_time () + MC_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  g_subprocess_communicate_utf8_async (cli, NULL, NULL, on_cli_done, &result);
  window = mc_test_xdotool_find_window ("Open a link for Example Files?");
  save_window (window, "e2e-dialog");

  /* Enter must not open; Open's mnemonic does, once the dialog has had
   * focus for its unlock delay. Keep pressing until the answer comes. */
  mc_test_xdotool_press_keys (window, "Return");
  while (!result.done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      mc_test_xdotool_press_keys (window, "alt+o");
      g_main_context_iteration (NULL, FALSE);
    }

  g_assert_cmpstr (result.out, ==, "accept\n");
  browser = mc_test_env_wait_browser (env);
  g_assert_cmpstr (browser, ==, URL "\n");

  /* The "finish in your browser" notice follows. */
  notice = mc_test_xdotool_find_window ("Finish in your browser");
  save_window (notice, "e2e-opened-notice");
  g_free (result.out);
}

static void
test_escape_cancels (void)
{
  g_autoptr(McTestEnv) env = env_with_display ();
  g_autoptr(GSubprocess) cli = start_elicit (env, "Escape Server", URL);
  g_autofree char *window = NULL;
  g_autofree char *browser = NULL;
  CliResult result = { FALSE, NULL };

  g_subprocess_communicate_utf8_async (cli, NULL, NULL, on_cli_done, &result);
  window = mc_test_xdotool_find_window ("Open a link for Escape Server?");
  mc_test_xdotool_press_keys (window, "Escape");

  while (!result.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (result.out, ==, "cancel\n");
  browser = mc_test_env_read_browser_log (env);
  g_assert_cmpstr (browser, ==, "");
  g_free (result.out);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  /* Before any thread exists: the X server's address goes into our
   * environment, and from there into each test's. */
  if (!mc_test_xvfb_start (&error))
    g_error ("Cannot start Xvfb: %s", error->message);

  g_test_init (&argc, &argv, NULL);
  mc_test_ensure_installed ();

  g_test_add_func ("/e2e-dialog/open-by-keyboard", test_open_by_keyboard);
  g_test_add_func ("/e2e-dialog/escape-cancels", test_escape_cancels);

  status = g_test_run ();
  mc_test_xvfb_stop ();
  return status;
}
