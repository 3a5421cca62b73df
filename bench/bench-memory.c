/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The daemon's memory: idle beside xdg-desktop-portal, both on the same
 * private session bus in the same environment and measured the same way;
 * then after thousands of URL elicitations answered by the scripted
 * dialog, to tell a warm-up (grows once, then flat) from a leak (grows
 * with every thousand).
 *
 * Prints Markdown on stdout and progress on stderr.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "mc-bench-env.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"
#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
/* Every x-d-p build exports it, with or without backends. */
#define PORTAL_IFACE "org.freedesktop.portal.Trash"

static int opt_repeat = 5;
static int opt_settle_ms = 2000;
static int opt_flows = 1000;
static int opt_rounds = 3;
static int opt_flow_runs = 3;
static char *opt_portal = NULL;
static char *opt_mix = NULL;
static int opt_checks = 10000;

static const GOptionEntry entries[] = {
  { "repeat", 'r', 0, G_OPTION_ARG_INT, &opt_repeat, "Idle measurements (fresh processes each) to take the median of", "N" },
  { "settle", 's', 0, G_OPTION_ARG_INT, &opt_settle_ms, "Idle time before each measurement", "MS" },
  { "flows", 'n', 0, G_OPTION_ARG_INT, &opt_flows, "Elicitations between two measurements", "N" },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds, "Measurements after elicitations, per daemon", "N" },
  { "flow-runs", 0, 0, G_OPTION_ARG_INT, &opt_flow_runs, "Daemons driven through the elicitations", "N" },
  { "portal", 0, 0, G_OPTION_ARG_FILENAME, &opt_portal, "xdg-desktop-portal to compare with (empty: none)", "PATH" },
  { "checks", 0, 0, G_OPTION_ARG_INT, &opt_checks, "CheckUrl calls before the last measurement (0: none)", "N" },
  { "mix", 0, 0, G_OPTION_ARG_STRING, &opt_mix, "Dialog answers in turn (default open,decline,dismiss); one alone tells which flow grows", "LIST" },
  { NULL }
};

static const char *
find_portal (void)
{
  static const char * const candidates[] = {
    "/usr/libexec/xdg-desktop-portal",
    "/usr/lib/xdg-desktop-portal/xdg-desktop-portal",
  };

  /* --portal= (empty) measures the daemon alone. */
  if (opt_portal != NULL)
    return opt_portal[0] != '\0' ? opt_portal : NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (g_file_test (candidates[i], G_FILE_TEST_IS_EXECUTABLE))
        return candidates[i];
    }
  return NULL;
}

/* One trivial call, the same for both: read the interface's "version"
 * property, which each serves from its main thread. */
static void
trivial_call (McBenchEnv *env,
              const char *bus_name,
              const char *object_path,
              const char *interface_name)
{
  g_autoptr(GError) error = NULL;

  if (!mc_bench_call (env->connection, bus_name, object_path, "org.freedesktop.DBus.Properties", "Get",
                      g_variant_new ("(ss)", interface_name, "version"), NULL, NULL, &error))
    g_error ("%s did not answer Properties.Get: %s", bus_name, error->message);
}

static GSubprocess *
start_portal (McBenchEnv *env,
              const char *portal)
{
  const char * const argv[] = { portal, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  process = mc_bench_env_spawnv (env, "xdg-desktop-portal.log", argv, &error);
  if (process == NULL || !mc_bench_env_wait_name (env, PORTAL_NAME, process, &error))
    g_error ("Cannot start %s: %s", portal, error->message);
  return g_steal_pointer (&process);
}

static GSubprocess *
start_daemon (McBenchEnv *env)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *daemon = mc_bench_env_start_daemon (env, &error);

  if (daemon == NULL)
    g_error ("Cannot start the daemon: %s", error->message);
  return daemon;
}

static McBenchMemory
measure (GSubprocess *process,
         const char  *what)
{
  McBenchMemory memory;

  if (!mc_bench_read_memory (mc_bench_subprocess_get_pid (process), &memory))
    g_error ("%s exited before it was measured", what);
  return memory;
}

/* MiB, since /proc's "kB" are KiB; 8 MB (the target) is 7.63 MiB. */
static double
median_of (GArray *samples)
{
  return mc_bench_percentile (samples, 0.5);
}

static void
append_kb (GArray  *samples,
           guint64  kb)
{
  double mb = kb / 1024.0;

  g_array_append_val (samples, mb);
}

typedef struct
{
  GArray *rss;
  GArray *pss;
  GArray *anon;
} Series;

static void
series_init (Series *series)
{
  series->rss = g_array_new (FALSE, FALSE, sizeof (double));
  series->pss = g_array_new (FALSE, FALSE, sizeof (double));
  series->anon = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
series_clear (Series *series)
{
  g_array_unref (series->rss);
  g_array_unref (series->pss);
  g_array_unref (series->anon);
}

static void
series_add (Series              *series,
            const McBenchMemory *memory)
{
  append_kb (series->rss, memory->vm_rss);
  append_kb (series->pss, memory->pss);
  append_kb (series->anon, memory->rss_anon);
}

/* Idle, beside xdg-desktop-portal {{{1 */

static void
run_idle (McBenchEnv *env,
          const char *portal)
{
  Series daemon_series;
  Series portal_series;

  series_init (&daemon_series);
  series_init (&portal_series);

  for (int i = 0; i < opt_repeat; i++)
    {
      g_autoptr(GSubprocess) daemon = NULL;
      g_autoptr(GSubprocess) xdp = NULL;
      McBenchMemory daemon_memory;
      McBenchMemory portal_memory;

      /* Alternate who starts first, so neither always finds the other's
       * pages already in the page cache or its bus traffic in flight. */
      if (i % 2 == 0)
        {
          daemon = start_daemon (env);
          if (portal != NULL)
            xdp = start_portal (env, portal);
        }
      else
        {
          if (portal != NULL)
            xdp = start_portal (env, portal);
          daemon = start_daemon (env);
        }

      trivial_call (env, BUS_NAME, BROKER_PATH, BROKER_IFACE);
      if (xdp != NULL)
        trivial_call (env, PORTAL_NAME, PORTAL_PATH, PORTAL_IFACE);
      mc_bench_settle (opt_settle_ms);

      daemon_memory = measure (daemon, "mcp-consentd");
      series_add (&daemon_series, &daemon_memory);
      if (xdp != NULL)
        {
          portal_memory = measure (xdp, "xdg-desktop-portal");
          series_add (&portal_series, &portal_memory);
        }

      g_printerr ("idle %d/%d: mcp-consentd %" G_GUINT64_FORMAT " kB RSS, %" G_GUINT64_FORMAT " kB PSS",
                  i + 1, opt_repeat, daemon_memory.vm_rss, daemon_memory.pss);
      if (xdp != NULL)
        g_printerr ("; xdg-desktop-portal %" G_GUINT64_FORMAT " kB RSS, %" G_GUINT64_FORMAT " kB PSS",
                    portal_memory.vm_rss, portal_memory.pss);
      g_printerr ("\n");

      mc_bench_stop_process (daemon);
      if (xdp != NULL)
        mc_bench_stop_process (xdp);
    }

  printf ("### Idle memory (median of %d fresh starts, %d ms idle after one call)\n\n", opt_repeat, opt_settle_ms);
  printf ("| | mcp-consentd | xdg-desktop-portal | ratio | target |\n");
  printf ("| --- | ---: | ---: | ---: | --- |\n");
  if (portal != NULL)
    {
      printf ("| VmRSS | %.2f MiB | %.2f MiB | %.2f | ≤ 8 MB |\n",
              median_of (daemon_series.rss), median_of (portal_series.rss),
              median_of (daemon_series.rss) / median_of (portal_series.rss));
      printf ("| Pss | %.2f MiB | %.2f MiB | %.2f | |\n",
              median_of (daemon_series.pss), median_of (portal_series.pss),
              median_of (daemon_series.pss) / median_of (portal_series.pss));
      printf ("| RssAnon (heap, stacks) | %.2f MiB | %.2f MiB | %.2f | |\n",
              median_of (daemon_series.anon), median_of (portal_series.anon),
              median_of (daemon_series.anon) / median_of (portal_series.anon));
    }
  else
    {
      printf ("| VmRSS | %.2f MiB | not installed | | ≤ 8 MB |\n", median_of (daemon_series.rss));
      printf ("| Pss | %.2f MiB | | | |\n", median_of (daemon_series.pss));
      printf ("| RssAnon (heap, stacks) | %.2f MiB | | | |\n", median_of (daemon_series.anon));
    }
  printf ("\n");
  if (portal != NULL)
    printf ("xdg-desktop-portal: `%s` with no arguments, `XDG_CURRENT_DESKTOP=GNOME`, the same private bus "
            "and XDG dirs as the daemon; it loads the portal files installed on this machine but its backends "
            "are not running (none are activatable on the private bus).\n\n", portal);

  series_clear (&daemon_series);
  series_clear (&portal_series);
}

/* After elicitations {{{1 */

/* The dialog's answers, and what the caller must get for each. */
static const struct
{
  const char *answer;
  const char *action;
} answers[] = {
  { "open", "accept" },
  { "decline", "decline" },
  { "dismiss", "cancel" },
};

/* Indices into answers[], given in turn. */
static guint mix[G_N_ELEMENTS (answers) * 4];
static guint mix_length;

static gboolean
parse_mix (const char *list)
{
  g_auto(GStrv) names = g_strsplit (list, ",", -1);

  mix_length = 0;
  for (guint i = 0; names[i] != NULL; i++)
    {
      gsize j;

      for (j = 0; j < G_N_ELEMENTS (answers); j++)
        {
          if (g_str_equal (names[i], answers[j].answer))
            break;
        }
      if (j == G_N_ELEMENTS (answers) || mix_length == G_N_ELEMENTS (mix))
        return FALSE;
      mix[mix_length++] = j;
    }
  return mix_length > 0;
}

static guint
count_opens (guint flows)
{
  guint opens = 0;

  for (guint i = 0; i < flows; i++)
    opens += mix[i % mix_length] == 0;
  return opens;
}

static void
run_flows (McBenchClient *client,
           McBenchEnv    *env,
           guint          first,
           guint          count)
{
  for (guint i = first; i < first + count; i++)
    {
      const char *answer = answers[mix[i % mix_length]].answer;
      const char *expected = answers[mix[i % mix_length]].action;
      g_autofree char *elicitation_id = g_strdup_printf ("elicitation-%u", i);
      g_autofree char *script = g_strconcat (answer, "\n", NULL);
      g_autofree char *action = NULL;
      g_autoptr(GError) error = NULL;

      /* One line per prompt, written before the call that reads it. */
      mc_bench_env_set_script (env, script);
      action = mc_bench_client_elicit (client, elicitation_id, NULL, NULL, &error);
      if (action == NULL)
        g_error ("Elicitation %u failed: %s", i, error->message);
      if (!g_str_equal (action, expected))
        g_error ("Elicitation %u: the dialog said %s, the caller got %s", i, answer, action);

      /* The server reports the user done in the browser; the client
       * forwards it, which ends the "finish in your browser" notice. */
      if (g_str_equal (answer, "open") && !mc_bench_client_complete (client, elicitation_id, &error))
        g_error ("Elicitation %u was not waiting for completion: %s", i,
                 error != NULL ? error->message : "no match");
    }
}

typedef struct
{
  McBenchEnv *env;
  guint       count;
} LaunchWait;

static gboolean
all_launched (gpointer user_data)
{
  LaunchWait *wait = user_data;

  return mc_bench_env_count_browser_launches (wait->env) >= wait->count;
}

static void
run_after_flows (McBenchEnv *env)
{
  g_autoptr(McBenchClient) client = mc_bench_client_new (env->connection);
  g_autoptr(GPtrArray) rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr(GArray) idle = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) idle_pss = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) rounds_pss = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr(GArray) rates = g_array_new (FALSE, FALSE, sizeof (double));
  guint flows = 0;
  guint launches = 0;
  double idle_mb, last_mb;

  for (int r = 0; r < opt_rounds; r++)
    {
      g_ptr_array_add (rounds, g_array_new (FALSE, FALSE, sizeof (double)));
      g_ptr_array_add (rounds_pss, g_array_new (FALSE, FALSE, sizeof (double)));
    }

  for (int run = 0; run < opt_flow_runs; run++)
    {
      g_autoptr(GSubprocess) daemon = start_daemon (env);
      McBenchMemory memory;

      trivial_call (env, BUS_NAME, BROKER_PATH, BROKER_IFACE);
      mc_bench_settle (opt_settle_ms);
      memory = measure (daemon, "mcp-consentd");
      append_kb (idle, memory.vm_rss);
      append_kb (idle_pss, memory.pss);
      g_printerr ("run %d: idle %" G_GUINT64_FORMAT " kB RSS (anon %" G_GUINT64_FORMAT ")",
                  run + 1, memory.vm_rss, memory.rss_anon);

      for (int r = 0; r < opt_rounds; r++)
        {
          gint64 start = g_get_monotonic_time ();
          double rate;

          run_flows (client, env, flows, opt_flows);
          flows += opt_flows;
          rate = opt_flows / ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
          g_array_append_val (rates, rate);

          mc_bench_settle (opt_settle_ms);
          memory = measure (daemon, "mcp-consentd");
          append_kb (g_ptr_array_index (rounds, r), memory.vm_rss);
          append_kb (g_ptr_array_index (rounds_pss, r), memory.pss);
          g_printerr (", after %d: %" G_GUINT64_FORMAT " kB (anon %" G_GUINT64_FORMAT ")",
                      (r + 1) * opt_flows, memory.vm_rss, memory.rss_anon);
        }
      g_printerr ("\n");

      mc_bench_stop_process (daemon);
    }

  /* Each "open" must have reached the browser through GIO; the last
   * browsers may still be writing. */
  launches = count_opens (flows);
  if (!mc_bench_wait_until (all_launched, &(LaunchWait) { env, launches }, MC_BENCH_TIMEOUT_SECONDS))
    g_error ("The test browser got %u URLs for %u \"open\" answers",
             mc_bench_env_count_browser_launches (env), launches);

  idle_mb = median_of (idle);
  printf ("### Memory after elicitations (median of %d daemons)\n\n", opt_flow_runs);
  printf ("Each elicitation: `ElicitUrl` → scripted dialog → `Response`; the dialog answers in turn %s "
          "(open: the browser is started through GIO, then the client sends `CompleteElicitation`); "
          "%.0f flows/s. Measured after %d ms idle.\n\n", opt_mix, median_of (rates), opt_settle_ms);
  printf ("| elicitations | VmRSS | Δ vs idle | Pss | target |\n");
  printf ("| ---: | ---: | ---: | ---: | --- |\n");
  printf ("| 0 (idle) | %.2f MiB | | %.2f MiB | ≤ 8 MB |\n", idle_mb, median_of (idle_pss));
  last_mb = idle_mb;
  for (int r = 0; r < opt_rounds; r++)
    {
      double mb = median_of (g_ptr_array_index (rounds, r));

      printf ("| %d | %.2f MiB | %+.2f MiB | %.2f MiB | %s |\n", (r + 1) * opt_flows, mb, mb - idle_mb,
              median_of (g_ptr_array_index (rounds_pss, r)), r == 0 ? "Δ ≤ 1 MB" : "flat");
      last_mb = mb;
    }
  if (opt_rounds > 1)
    printf ("\nGrowth from %d to %d elicitations: %+.0f kB per 1,000.\n", opt_flows, opt_rounds * opt_flows,
            (last_mb - median_of (g_ptr_array_index (rounds, 0))) * 1024.0 * 1000.0 / ((opt_rounds - 1) * opt_flows));
  printf ("\n");
}

/* After CheckUrl calls {{{1 */

static void
run_checks (McBenchEnv *env)
{
  g_autoptr(GSubprocess) daemon = start_daemon (env);
  g_autoptr(GVariant) server = NULL;
  McBenchMemory before, after;
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  /* Nothing is queued or shown: what grows here grows per D-Bus call. */
  g_variant_dict_insert (&dict, "url", "s", "https://mcp.example.com/mcp");
  server = g_variant_ref_sink (g_variant_dict_end (&dict));

  trivial_call (env, BUS_NAME, BROKER_PATH, BROKER_IFACE);
  mc_bench_settle (opt_settle_ms);
  before = measure (daemon, "mcp-consentd");

  for (int i = 0; i < opt_checks; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!mc_bench_call (env->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "CheckUrl",
                          g_variant_new ("(s@a{sv})", "https://accounts.example.com/sign-in?step=2", server),
                          NULL, NULL, &error))
        g_error ("CheckUrl failed: %s", error->message);
    }

  mc_bench_settle (opt_settle_ms);
  after = measure (daemon, "mcp-consentd");
  mc_bench_stop_process (daemon);

  g_printerr ("checks: idle %" G_GUINT64_FORMAT " kB, after %d CheckUrl %" G_GUINT64_FORMAT " kB\n",
              before.vm_rss, opt_checks, after.vm_rss);
  printf ("### Memory after %d `CheckUrl` calls (one daemon)\n\n", opt_checks);
  printf ("| | VmRSS | RssAnon | Pss |\n");
  printf ("| --- | ---: | ---: | ---: |\n");
  printf ("| idle | %.2f MiB | %.2f MiB | %.2f MiB |\n", before.vm_rss / 1024.0, before.rss_anon / 1024.0, before.pss / 1024.0);
  printf ("| after %d calls | %.2f MiB | %.2f MiB | %.2f MiB |\n", opt_checks,
          after.vm_rss / 1024.0, after.rss_anon / 1024.0, after.pss / 1024.0);
  printf ("| per 1,000 calls | %+.0f kB | %+.0f kB | |\n\n",
          ((double) after.vm_rss - before.vm_rss) * 1000.0 / opt_checks,
          ((double) after.rss_anon - before.rss_anon) * 1000.0 / opt_checks);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- measure the daemon's memory");
  g_autoptr(GError) error = NULL;
  g_autoptr(McBenchEnv) env = NULL;
  const char *portal = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_repeat < 1 || opt_settle_ms < 0 || opt_flows < 1 || opt_rounds < 1 || opt_flow_runs < 1 || opt_checks < 0)
    {
      g_printerr ("--repeat, --flows, --rounds and --flow-runs must be positive\n");
      return 2;
    }

  if (opt_mix == NULL)
    opt_mix = g_strdup ("open,decline,dismiss");
  if (!parse_mix (opt_mix))
    {
      g_printerr ("--mix takes a comma-separated list of open, decline and dismiss\n");
      return 2;
    }

  portal = find_portal ();
  if (portal == NULL)
    g_printerr ("xdg-desktop-portal not found; measuring the daemon alone\n");

  env = mc_bench_env_new ();
  /* x-d-p picks its backends by desktop; the daemon ignores it. */
  mc_bench_env_setenv (env, "XDG_CURRENT_DESKTOP", "GNOME");

  run_idle (env, portal);
  run_after_flows (env);
  if (opt_checks > 0)
    run_checks (env);

  return EXIT_SUCCESS;
}
