/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* Request → dialog on screen: the time from calling ElicitUrl until the
 * X server maps the dialog's window, under a private Xvfb, with the
 * prompter not running (cold: the daemon starts it) and already running
 * from the previous prompt (warm).  Beside it, in the same rounds:
 *
 *  - the floor for any GTK 4 window: bench-gtk-window, a minimal GTK 4
 *    program, from spawn to map (cold) and from a line on its stdin to
 *    its next window's map (warm);
 *  - the daemon driving that minimal program as its dialog (it speaks
 *    the private protocol), which splits the daemon's share of the path
 *    from the real dialog's.
 *
 * Mapping is seen exactly: SubstructureNotify on the root window reports
 * MapNotify for every new top-level (Xvfb runs no window manager, so the
 * map is the window appearing).
 *
 * Prints Markdown on stdout and progress on stderr.
 */

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include "mc-bench-config.h"
#include "mc-bench-env.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"
#define REQUEST_IFACE "io.github.mcp_consent.Request1"

static int opt_runs = 20;
static char *opt_prompter = NULL;
static char *opt_xvfb = NULL;

static const GOptionEntry entries[] = {
  { "runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "Cold and warm measurements of each kind", "N" },
  { "prompter", 0, 0, G_OPTION_ARG_FILENAME, &opt_prompter, "The dialog program (default: this build's)", "PATH" },
  { "xvfb", 0, 0, G_OPTION_ARG_FILENAME, &opt_xvfb, "The Xvfb to start", "PATH" },
  { NULL }
};

/* The X server and what it maps {{{1 */

typedef struct
{
  GSubprocess      *xvfb;
  char             *display;
  xcb_connection_t *connection;
  xcb_window_t      root;
  guint             watch_id;
  /* Counts every MapNotify of a top-level; the last one's window and
   * when the benchmark learnt of it. */
  guint             maps;
  xcb_window_t      last_window;
  gint64            last_map_time;
  /* Top-levels mapped now. */
  GHashTable       *mapped;
} Screen;

static void
drain_events (Screen *screen)
{
  xcb_generic_event_t *event = NULL;

  while ((event = xcb_poll_for_event (screen->connection)) != NULL)
    {
      switch (event->response_type & ~0x80)
        {
        case XCB_MAP_NOTIFY:
          {
            xcb_map_notify_event_t *map = (xcb_map_notify_event_t *) event;

            /* Menus and tooltips are override-redirect; dialogs are not. */
            if (map->event == screen->root && !map->override_redirect)
              {
                screen->last_map_time = g_get_monotonic_time ();
                screen->last_window = map->window;
                screen->maps++;
                g_hash_table_add (screen->mapped, GUINT_TO_POINTER (map->window));
              }
          }
          break;

        case XCB_UNMAP_NOTIFY:
          g_hash_table_remove (screen->mapped,
                               GUINT_TO_POINTER (((xcb_unmap_notify_event_t *) event)->window));
          break;

        case XCB_DESTROY_NOTIFY:
          g_hash_table_remove (screen->mapped,
                               GUINT_TO_POINTER (((xcb_destroy_notify_event_t *) event)->window));
          break;

        default:
          break;
        }
      free (event);
    }

  if (xcb_connection_has_error (screen->connection))
    g_error ("Lost the connection to Xvfb");
}

static gboolean
on_x_readable (int          fd,
               GIOCondition condition,
               gpointer     user_data)
{
  drain_events (user_data);
  return G_SOURCE_CONTINUE;
}

static void
screen_start (Screen     *screen,
              McBenchEnv *env,
              const char *xvfb)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *number = NULL;
  g_autofree char *log_path = g_build_filename (env->dir, "xvfb.log", NULL);
  xcb_screen_t *root_screen = NULL;
  xcb_generic_error_t *x_error = NULL;
  guint32 mask = XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY;
  int fds[2];

  /* -displayfd: the server picks a free display and writes its number
   * when it accepts connections, so there is no race and no guessing. */
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, &error))
    g_error ("pipe: %s", error->message);
  launcher = mc_bench_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  screen->xvfb = g_subprocess_launcher_spawn (launcher, &error, xvfb, "-displayfd", "3", "-nolisten", "tcp",
                                              "-noreset", "-screen", "0", "1280x800x24", NULL);
  if (screen->xvfb == NULL)
    g_error ("Cannot start %s: %s", xvfb, error->message);
  /* Our copy of the write end must go, or a failed server means no EOF. */
  g_clear_object (&launcher);

  input = g_unix_input_stream_new (fds[0], TRUE);
  lines = g_data_input_stream_new (input);
  number = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  if (number == NULL)
    g_error ("Xvfb gave no display number (see %s)", log_path);
  screen->display = g_strconcat (":", g_strstrip (number), NULL);

  screen->connection = xcb_connect (screen->display, NULL);
  if (xcb_connection_has_error (screen->connection))
    g_error ("Cannot connect to Xvfb on %s", screen->display);
  root_screen = xcb_setup_roots_iterator (xcb_get_setup (screen->connection)).data;
  screen->root = root_screen->root;

  x_error = xcb_request_check (screen->connection,
                               xcb_change_window_attributes_checked (screen->connection, screen->root,
                                                                     XCB_CW_EVENT_MASK, &mask));
  if (x_error != NULL)
    g_error ("Cannot watch the root window (X error %d)", x_error->error_code);

  screen->mapped = g_hash_table_new (NULL, NULL);
  screen->watch_id = g_unix_fd_add (xcb_get_file_descriptor (screen->connection), G_IO_IN, on_x_readable, screen);
}

static void
screen_stop (Screen *screen)
{
  g_clear_handle_id (&screen->watch_id, g_source_remove);
  g_clear_pointer (&screen->connection, xcb_disconnect);
  g_clear_pointer (&screen->mapped, g_hash_table_unref);
  if (screen->xvfb != NULL)
    mc_bench_stop_process (screen->xvfb);
  g_clear_object (&screen->xvfb);
  g_clear_pointer (&screen->display, g_free);
}

typedef struct
{
  Screen *screen;
  guint   maps;
} MapWait;

static gboolean
mapped_since (gpointer user_data)
{
  MapWait *wait = user_data;

  /* Events read along with a reply sit in XCB's queue, not on the fd. */
  drain_events (wait->screen);
  return wait->screen->maps > wait->maps;
}

/* Returns the time from @start to the first top-level mapped after
 * @maps maps, in µs, or a negative number if none came. */
static double
wait_map (Screen *screen,
          guint   maps,
          gint64  start)
{
  MapWait wait = { screen, maps };

  if (!mc_bench_wait_until (mapped_since, &wait, MC_BENCH_TIMEOUT_SECONDS))
    return -1;
  return screen->last_map_time - start;
}

typedef struct
{
  Screen       *screen;
  xcb_window_t  window;
} UnmapWait;

static gboolean
window_gone (gpointer user_data)
{
  UnmapWait *wait = user_data;

  drain_events (wait->screen);
  if (wait->window == XCB_WINDOW_NONE)
    return g_hash_table_size (wait->screen->mapped) == 0;
  return !g_hash_table_contains (wait->screen->mapped, GUINT_TO_POINTER (wait->window));
}

/* Waits until @window (or, with XCB_WINDOW_NONE, every top-level) is
 * gone from the screen. */
static void
wait_unmapped (Screen       *screen,
               xcb_window_t  window)
{
  UnmapWait wait = { screen, window };

  if (!mc_bench_wait_until (window_gone, &wait, MC_BENCH_TIMEOUT_SECONDS))
    g_error ("A window stayed on screen after its program was told to take it down");
}

/* The kinds measured {{{1 */

typedef struct
{
  const char *name;
  GArray     *cold;
  GArray     *warm;
  guint       not_warm;
  gboolean    skipped;
} Kind;

static void
kind_init (Kind       *kind,
           const char *name)
{
  kind->name = name;
  kind->cold = g_array_new (FALSE, FALSE, sizeof (double));
  kind->warm = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
kind_clear (Kind *kind)
{
  g_array_unref (kind->cold);
  g_array_unref (kind->warm);
}

static void
add_sample (GArray     *samples,
            double      microseconds,
            const char *what)
{
  double ms = microseconds / 1000.0;

  if (microseconds < 0)
    g_error ("%s: no window appeared within %d s", what, MC_BENCH_TIMEOUT_SECONDS);
  g_array_append_val (samples, ms);
}

/* The floor, cold: a fresh bench-gtk-window, from spawn to map. */
static void
floor_cold (McBenchEnv *env,
            Screen     *screen,
            Kind       *kind)
{
  /* The mode given, not inherited from the daemon's environment. */
  const char * const argv[] = { MC_BENCH_GTK_WINDOW, "--window", NULL };
  g_autoptr(GSubprocess) window = NULL;
  g_autoptr(GError) error = NULL;
  guint maps = screen->maps;
  gint64 start = g_get_monotonic_time ();

  window = mc_bench_env_spawnv (env, "bench-gtk-window.log", argv, &error);
  if (window == NULL)
    g_error ("Cannot start bench-gtk-window: %s", error->message);
  add_sample (kind->cold, wait_map (screen, maps, start), "bench-gtk-window (cold)");

  mc_bench_stop_process (window);
  wait_unmapped (screen, XCB_WINDOW_NONE);
}

/* The floor, warm: the running program maps another window per line. */
static void
floor_warm (GOutputStream *input,
            Screen        *screen,
            Kind          *kind)
{
  g_autoptr(GError) error = NULL;
  guint maps = screen->maps;
  gint64 start = g_get_monotonic_time ();

  if (!g_output_stream_write_all (input, "\n", 1, NULL, NULL, &error) ||
      !g_output_stream_flush (input, NULL, &error))
    g_error ("Cannot write to bench-gtk-window: %s", error->message);
  add_sample (kind->warm, wait_map (screen, maps, start), "bench-gtk-window (warm)");
}

static void
close_request (McBenchEnv *env,
               const char *handle)
{
  g_autoptr(GError) error = NULL;

  /* Withdrawn, as a client does whose server gave up: the daemon takes
   * the dialog down. */
  if (!mc_bench_call (env->connection, BUS_NAME, handle, REQUEST_IFACE, "Close", NULL, NULL, NULL, &error))
    g_error ("Close failed: %s", error->message);
}

static gboolean
prompter_running (McBenchEnv *env)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GError) error = NULL;
  gboolean running = FALSE;

  if (!mc_bench_call (env->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "GetStatus",
                      NULL, &reply, NULL, &error))
    g_error ("GetStatus failed: %s", error->message);
  status = g_variant_get_child_value (reply, 0);
  g_variant_lookup (status, "prompter_running", "b", &running);
  return running;
}

/* ElicitUrl → map; then the request is withdrawn and the window awaited
 * gone.  Returns the latency in µs. */
static double
elicit_to_map (McBenchEnv    *env,
               McBenchClient *client,
               Screen        *screen)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *handle = NULL;
  guint maps = screen->maps;
  gint64 start = g_get_monotonic_time ();
  double latency = 0;

  handle = mc_bench_client_elicit_begin (client, NULL, &error);
  if (handle == NULL)
    g_error ("ElicitUrl failed: %s", error->message);
  latency = wait_map (screen, maps, start);
  if (latency >= 0)
    {
      xcb_window_t window = screen->last_window;

      close_request (env, handle);
      wait_unmapped (screen, window);
    }
  return latency;
}

static GSubprocess *
start_daemon (McBenchEnv *env)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *daemon = mc_bench_env_start_daemon (env, &error);

  if (daemon == NULL)
    g_error ("Cannot start the daemon: %s", error->message);
  /* The caller's identity is looked up once per peer: not part of a
   * prompt's way to the screen after the first. */
  prompter_running (env);
  return daemon;
}

/* Cold: a fresh daemon (so no dialog process), one prompt. */
static void
dialog_cold (McBenchEnv *env,
             Screen     *screen,
             Kind       *kind)
{
  g_autoptr(GSubprocess) daemon = start_daemon (env);
  g_autoptr(McBenchClient) client = mc_bench_client_new (env->connection);

  if (prompter_running (env))
    g_error ("%s: the dialog runs before any prompt", kind->name);
  add_sample (kind->cold, elicit_to_map (env, client, screen), kind->name);

  /* The dialog's channel closes with the daemon; it must exit. */
  mc_bench_stop_process (daemon);
  wait_unmapped (screen, XCB_WINDOW_NONE);
}

static void
dialog_warm (McBenchEnv    *env,
             McBenchClient *client,
             Screen        *screen,
             Kind          *kind)
{
  if (!prompter_running (env))
    kind->not_warm++;
  add_sample (kind->warm, elicit_to_map (env, client, screen), kind->name);
}

static void
setup_display (McBenchEnv *env,
               Screen     *screen)
{
  mc_bench_env_setenv (env, "DISPLAY", screen->display);
  mc_bench_env_setenv (env, "GDK_BACKEND", "x11");
  /* GTK 4 asks the session bus for org.a11y.Bus and, on the private
   * bus, hears at once that there is none: every GTK program measured
   * pays that same round trip.  GTK_A11Y=none would hide it. */
  mc_bench_env_setenv (env, "GTK_A11Y", NULL);
}

/* Output {{{1 */

static void
print_row (Kind *kind,
           Kind *floor)
{
  double cold = 0, warm = 0;

  if (kind->skipped)
    {
      printf ("| %s | not built | | | | | |\n", kind->name);
      return;
    }

  cold = mc_bench_percentile (kind->cold, 0.5);
  warm = mc_bench_percentile (kind->warm, 0.5);
  printf ("| %s | %.1f ms | %.1f ms | %.1f× | %.1f ms | %.1f ms | %.1f× |\n", kind->name,
          cold, mc_bench_percentile (kind->cold, 0.9), cold / mc_bench_percentile (floor->cold, 0.5),
          warm, mc_bench_percentile (kind->warm, 0.9), warm / mc_bench_percentile (floor->warm, 0.5));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- time a prompt's way to the screen");
  g_autoptr(GError) error = NULL;
  g_autoptr(McBenchEnv) env_minimal = NULL;
  g_autoptr(McBenchEnv) env_real = NULL;
  g_autoptr(GSubprocess) floor_process = NULL;
  g_autoptr(GSubprocess) daemon_minimal = NULL;
  g_autoptr(GSubprocess) daemon_real = NULL;
  g_autoptr(McBenchClient) client_minimal = NULL;
  g_autoptr(McBenchClient) client_real = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *xvfb = NULL;
  const char *prompter = NULL;
  Screen screen = { 0 };
  Kind floor, minimal, real;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_runs < 1)
    {
      g_printerr ("--runs must be positive\n");
      return 2;
    }

  xvfb = opt_xvfb != NULL ? g_strdup (opt_xvfb) : g_find_program_in_path ("Xvfb");
  if (xvfb == NULL)
    {
      g_printerr ("Xvfb is not installed (Debian: xvfb)\n");
      return 77;
    }
  prompter = opt_prompter != NULL ? opt_prompter : MC_BENCH_PROMPTER;

  kind_init (&floor, "GTK 4 floor: `bench-gtk-window`");
  kind_init (&minimal, "daemon + minimal GTK dialog (`bench-gtk-window --prompter`)");
  kind_init (&real, "daemon + `mcp-consent-prompter`");
  real.skipped = !g_file_test (prompter, G_FILE_TEST_IS_EXECUTABLE);
  if (real.skipped)
    g_printerr ("%s is not built: measuring the floors only\n", prompter);

  /* Two worlds on one screen, each with its own bus, so both daemons can
   * run at once for the interleaved warm rounds. */
  env_minimal = mc_bench_env_new ();
  env_real = mc_bench_env_new ();
  screen_start (&screen, env_minimal, xvfb);

  setup_display (env_minimal, &screen);
  setup_display (env_real, &screen);
  mc_bench_env_setenv (env_minimal, "MCP_CONSENT_PROMPTER", MC_BENCH_GTK_WINDOW);
  mc_bench_env_setenv (env_minimal, "MC_BENCH_GTK_WINDOW_MODE", "prompter");
  mc_bench_env_setenv (env_real, "MCP_CONSENT_PROMPTER", prompter);

  /* The first start of each reads its libraries from disk; "cold" here
   * means "not running", with the page cache warm, as on a desktop where
   * GTK programs run all day. */
  floor_cold (env_minimal, &screen, &floor);
  g_array_set_size (floor.cold, 0);

  for (int i = 0; i < opt_runs; i++)
    {
      /* Rotated, so none always follows the same one. */
      for (int k = 0; k < 3; k++)
        {
          switch ((i + k) % 3)
            {
            case 0:
              floor_cold (env_minimal, &screen, &floor);
              break;
            case 1:
              dialog_cold (env_minimal, &screen, &minimal);
              break;
            case 2:
            default:
              if (!real.skipped)
                dialog_cold (env_real, &screen, &real);
              break;
            }
        }
      g_printerr ("cold: %d/%d\n", i + 1, opt_runs);
    }

  /* Warm: every program started once and shown once, then measured. */
  launcher = mc_bench_env_new_launcher (env_minimal, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  floor_process = g_subprocess_launcher_spawn (launcher, &error, MC_BENCH_GTK_WINDOW, "--stdin", NULL);
  if (floor_process == NULL)
    g_error ("Cannot start bench-gtk-window: %s", error->message);
  floor_warm (g_subprocess_get_stdin_pipe (floor_process), &screen, &floor);
  g_array_set_size (floor.warm, 0);

  mc_bench_env_setenv (env_minimal, "MC_BENCH_GTK_WINDOW_MODE", "prompter");
  daemon_minimal = start_daemon (env_minimal);
  client_minimal = mc_bench_client_new (env_minimal->connection);
  elicit_to_map (env_minimal, client_minimal, &screen);
  if (!real.skipped)
    {
      daemon_real = start_daemon (env_real);
      client_real = mc_bench_client_new (env_real->connection);
      elicit_to_map (env_real, client_real, &screen);
    }

  for (int i = 0; i < opt_runs; i++)
    {
      for (int k = 0; k < 3; k++)
        {
          switch ((i + k) % 3)
            {
            case 0:
              floor_warm (g_subprocess_get_stdin_pipe (floor_process), &screen, &floor);
              break;
            case 1:
              dialog_warm (env_minimal, client_minimal, &screen, &minimal);
              break;
            case 2:
            default:
              if (!real.skipped)
                dialog_warm (env_real, client_real, &screen, &real);
              break;
            }
        }
      g_printerr ("warm: %d/%d\n", i + 1, opt_runs);
    }

  printf ("### Request → dialog on screen (Xvfb, %d runs each, interleaved; ms)\n\n", opt_runs);
  printf ("| | cold p50 | cold p90 | cold ÷ floor | warm p50 | warm p90 | warm ÷ floor |\n");
  printf ("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  print_row (&floor, &floor);
  print_row (&minimal, &floor);
  print_row (&real, &floor);
  printf ("\nTargets for the real dialog: cold ≤ 250 ms, warm ≤ 50 ms. Cold: the daemon runs, the dialog "
          "process does not (page cache warm). Warm: the dialog process runs and showed the previous "
          "prompt, which the client withdrew with `Close`. Floors: spawn → map, and stdin line → map "
          "of a new window.\n");
  if (minimal.not_warm > 0 || real.not_warm > 0)
    printf ("\nThe dialog process had exited before %u (minimal) and %u (real) of the warm runs: "
            "those were cold starts.\n", minimal.not_warm, real.not_warm);
  if (real.skipped)
    printf ("\n`%s` is not built yet: the real dialog's row still needs a run.\n", prompter);
  printf ("\n");

  g_clear_pointer (&client_real, mc_bench_client_free);
  g_clear_pointer (&client_minimal, mc_bench_client_free);
  if (daemon_real != NULL)
    mc_bench_stop_process (daemon_real);
  mc_bench_stop_process (daemon_minimal);
  mc_bench_stop_process (floor_process);
  screen_stop (&screen);
  kind_clear (&floor);
  kind_clear (&minimal);
  kind_clear (&real);

  return EXIT_SUCCESS;
}
