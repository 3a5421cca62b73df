/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* What a URL elicitation costs a client beyond a plain D-Bus call: the
 * time from ElicitUrl to its Response with the scripted dialog answering
 * "decline" at once, beside two floors measured against the same daemon
 * in the same rounds — Peer.Ping (answered by GDBus in its worker thread:
 * the bus and the transport alone) and CheckUrl (dispatched to the
 * daemon's main loop, one URL verdict, no queue, no dialog).  The ratio
 * is what the Request object, the queue and the dialog process add.
 *
 * Prints Markdown on stdout and progress on stderr.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "mc-bench-env.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"

static int opt_runs = 1000;
static int opt_warmup = 50;

static const GOptionEntry entries[] = {
  { "runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "Round trips of each kind", "N" },
  { "warmup", 'w', 0, G_OPTION_ARG_INT, &opt_warmup, "Round trips of each kind before measuring", "N" },
  { NULL }
};

typedef struct
{
  McBenchEnv    *env;
  McBenchClient *client;
  GVariant      *server;
} Bench;

static double
ping (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  gint64 microseconds = 0;

  if (!mc_bench_call (bench->env->connection, BUS_NAME, BROKER_PATH, "org.freedesktop.DBus.Peer", "Ping",
                      NULL, NULL, &microseconds, &error))
    g_error ("Ping failed: %s", error->message);
  return microseconds;
}

static double
check_url (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  gint64 microseconds = 0;

  if (!mc_bench_call (bench->env->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "CheckUrl",
                      g_variant_new ("(s@a{sv})", "https://mcp.example.com/elicit/confirm?id=bench", bench->server),
                      NULL, &microseconds, &error))
    g_error ("CheckUrl failed: %s", error->message);
  return microseconds;
}

static double
elicit (Bench  *bench,
        double *out_reply)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *action = NULL;
  gint64 reply_microseconds = 0;
  gint64 microseconds = 0;

  /* Written before the clock starts; the dialog reads it per prompt. */
  mc_bench_env_set_script (bench->env, "decline\n");
  action = mc_bench_client_elicit (bench->client, NULL, &reply_microseconds, &microseconds, &error);
  if (action == NULL)
    g_error ("ElicitUrl failed: %s", error->message);
  if (!g_str_equal (action, "decline"))
    g_error ("The dialog declined, the caller got “%s”", action);

  if (out_reply != NULL)
    *out_reply = reply_microseconds;
  return microseconds;
}

static void
print_row (const char *what,
           GArray     *samples,
           double      ping_p50,
           double      check_p50)
{
  double p50 = mc_bench_percentile (samples, 0.50);

  printf ("| %s | %.0f µs | %.0f µs | %.0f µs | %.1f× | %.1f× |\n", what,
          p50, mc_bench_percentile (samples, 0.90), mc_bench_percentile (samples, 0.99),
          p50 / ping_p50, p50 / check_p50);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- time ElicitUrl → Response against plain D-Bus calls");
  g_autoptr(GError) error = NULL;
  g_autoptr(McBenchEnv) env = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(McBenchClient) client = NULL;
  g_autoptr(GArray) pings = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) checks = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) replies = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) responses = g_array_new (FALSE, FALSE, sizeof (double));
  g_auto(GVariantDict) server = G_VARIANT_DICT_INIT (NULL);
  Bench bench = { NULL, NULL, NULL };
  double ping_p50, check_p50;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_runs < 1 || opt_warmup < 0)
    {
      g_printerr ("--runs must be positive\n");
      return 2;
    }

  env = mc_bench_env_new ();
  daemon = mc_bench_env_start_daemon (env, &error);
  if (daemon == NULL)
    g_error ("Cannot start the daemon: %s", error->message);
  client = mc_bench_client_new (env->connection);

  g_variant_dict_insert (&server, "url", "s", "https://mcp.example.com/mcp");
  bench.env = env;
  bench.client = client;
  bench.server = g_variant_ref_sink (g_variant_dict_end (&server));

  /* The first elicitation starts the dialog process; the first calls
   * fill the caller cache and the allocator.  Neither is measured. */
  for (int i = 0; i < opt_warmup; i++)
    {
      ping (&bench);
      check_url (&bench);
      elicit (&bench, NULL);
    }

  /* Interleaved, so a burst of load elsewhere hits all three alike. */
  for (int i = 0; i < opt_runs; i++)
    {
      double p = ping (&bench);
      double c = check_url (&bench);
      double reply = 0;
      double r = elicit (&bench, &reply);

      g_array_append_val (pings, p);
      g_array_append_val (checks, c);
      g_array_append_val (replies, reply);
      g_array_append_val (responses, r);
      if ((i + 1) % 250 == 0)
        g_printerr ("round trips: %d/%d\n", i + 1, opt_runs);
    }

  ping_p50 = mc_bench_percentile (pings, 0.50);
  check_p50 = mc_bench_percentile (checks, 0.50);

  printf ("### Round trip: ElicitUrl → Response (scripted dialog answers decline; %d interleaved runs each)\n\n",
          opt_runs);
  printf ("| | p50 | p90 | p99 | p50 ÷ Ping | p50 ÷ CheckUrl |\n");
  printf ("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  print_row ("`Peer.Ping` (floor: bus + transport)", pings, ping_p50, check_p50);
  print_row ("`CheckUrl` (floor: a method on the main loop)", checks, ping_p50, check_p50);
  print_row ("`ElicitUrl` reply (the Request path)", replies, ping_p50, check_p50);
  print_row ("`ElicitUrl` → `Response`", responses, ping_p50, check_p50);
  printf ("\nThe client subscribes to the predicted Request path (one AddMatch) before each ElicitUrl, "
          "as the portal pattern asks. Response = caller identity + Request export + queue + "
          "ShowPrompt to the dialog process over its socketpair + its Answered signal + the Response signal.\n\n");

  g_variant_unref (bench.server);
  mc_bench_stop_process (daemon);
  return EXIT_SUCCESS;
}
