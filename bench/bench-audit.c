/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The audit log's costs (docs/audit.md):
 *
 * - appending: what an event costs the daemon's main thread (building the
 *   line, chaining it, queueing it), and what an answer waits when it is
 *   sent only once its record is written (append + flush), beside the
 *   least any log must do: one write(2) of the same line, on the caller's
 *   thread;
 * - verification: `mcp-consent audit --verify` over a log of N records
 *   (100,000 by default), in records per second, beside sha256sum over the
 *   same files (hashing alone);
 * - the daemon's memory and start-up with that log beside an empty one: it
 *   reads only the log's last line.
 *
 * Prints a Markdown section for docs/benchmarks.md; progress on stderr. */

#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc-audit-log.h"
#include "mc-audit-reader.h"
#include "mc-bench-config.h"
#include "mc-bench-env.h"

#define BUS_NAME "io.github.mcp_consent.Broker"
#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"

static int opt_records = 100000;
static int opt_appends = 20000;
static int opt_flushed = 2000;
static int opt_rounds = 5;
static int opt_starts = 5;

static const GOptionEntry entries[] = {
  { "records", 'n', 0, G_OPTION_ARG_INT, &opt_records, "Records in the log verified and started with", "N" },
  { "appends", 0, 0, G_OPTION_ARG_INT, &opt_appends, "Appends per round of the append benchmark", "N" },
  { "flushed", 0, 0, G_OPTION_ARG_INT, &opt_flushed, "Appends each waited for, per round", "N" },
  { "rounds", 'r', 0, G_OPTION_ARG_INT, &opt_rounds, "Rounds (the median is reported)", "N" },
  { "starts", 0, 0, G_OPTION_ARG_INT, &opt_starts, "Daemon starts per log", "N" },
  { NULL }
};

/* The daemon's events go to the journal too; here they would go to the
 * terminal, which is not what is measured. */
static GLogWriterOutput
quiet_writer (GLogLevelFlags   log_level,
              const GLogField *fields,
              gsize            n_fields,
              gpointer         user_data)
{
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (log_level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *values)
{
  g_array_sort (values, compare_doubles);
  return g_array_index (values, double, values->len / 2);
}

/* A typical record: a prompt shown, with its URL verdict. */
static McAuditRecord *
typical_record (guint i)
{
  McAuditRecord *record = mc_audit_record_new (MC_AUDIT_PROMPT_SHOWN);
  const char * const flags[] = { "other-domain", NULL };
  g_autofree char *prompt = g_strdup_printf ("p%u", i);

  mc_audit_record_add_string (record, "prompt", prompt);
  mc_audit_record_add_string (record, "type", "url");
  mc_audit_record_add_string (record, "app", "flatpak:org.example.Agent");
  mc_audit_record_add_string (record, "app_id", "org.example.Agent");
  mc_audit_record_add_string (record, "caller_kind", "flatpak");
  mc_audit_record_add_string (record, "server", "Example Files");
  mc_audit_record_add_string (record, "server_url", "https://mcp.example.com/mcp");
  mc_audit_record_add_string (record, "url", "https://auth.example.org/connect");
  mc_audit_record_add_string (record, "url_sha256", "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b");
  mc_audit_record_add_string (record, "host", "auth.example.org");
  mc_audit_record_add_string (record, "registrable_domain", "example.org");
  mc_audit_record_add_string (record, "risk", "caution");
  mc_audit_record_add_strv (record, "flags", flags);
  return record;
}

static McAuditLog *
open_log (const char *dir)
{
  g_autoptr(GError) error = NULL;
  McAuditLog *log = mc_audit_log_new (dir, MC_AUDIT_DEFAULT_ROTATE_SIZE, 1000, &error);

  if (log == NULL)
    g_error ("Could not open a log in %s: %s", dir, error->message);
  return log;
}

static void
on_flushed (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;

  if (!mc_audit_log_flush_finish (MC_AUDIT_LOG (source_object), result, NULL))
    g_error ("The benchmark's log could not be written");
  *done = TRUE;
}

static void
flush (McAuditLog *log)
{
  gboolean done = FALSE;

  mc_audit_log_flush_async (log, NULL, on_flushed, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static char *
scratch_dir (McBenchEnv *env,
             const char *name)
{
  char *dir = g_build_filename (env->dir, name, NULL);

  g_mkdir_with_parents (dir, 0700);
  return dir;
}

static void
remove_files (const char *dir)
{
  g_autoptr(GPtrArray) files = mc_audit_list_files (dir, NULL);

  for (guint i = 0; files != NULL && i < files->len; i++)
    g_unlink (g_ptr_array_index (files, i));
}

/* Appending {{{1 */

static void
run_appends (McBenchEnv *env)
{
  g_autofree char *dir = scratch_dir (env, "append");
  g_autofree char *plain_path = g_build_filename (dir, "plain.jsonl", NULL);
  g_autoptr(GArray) queued = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) written = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) flushed = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) plain = g_array_new (FALSE, FALSE, sizeof (double));
  gsize line_length = 0;

  for (int round = 0; round < opt_rounds; round++)
    {
      g_autoptr(McAuditLog) log = NULL;
      gint64 start, end;
      double value;
      int fd;

      remove_files (dir);
      log = open_log (dir);

      /* The main thread's share, then until the writer is done. */
      start = g_get_monotonic_time ();
      for (int i = 0; i < opt_appends; i++)
        mc_audit_log_append (log, typical_record (i));
      end = g_get_monotonic_time ();
      value = (double)(end - start) / opt_appends;
      g_array_append_val (queued, value);
      flush (log);
      end = g_get_monotonic_time ();
      value = (double)(end - start) / opt_appends;
      g_array_append_val (written, value);

      /* An answer that waits for its record: one at a time. */
      start = g_get_monotonic_time ();
      for (int i = 0; i < opt_flushed; i++)
        {
          mc_audit_log_append (log, typical_record (i));
          flush (log);
        }
      end = g_get_monotonic_time ();
      value = (double)(end - start) / opt_flushed;
      g_array_append_val (flushed, value);
      mc_audit_log_close (log);

      /* The peer: the same bytes, one write(2) each, on this thread. */
      {
        g_autofree char *path = g_build_filename (dir, MC_AUDIT_FILE_NAME, NULL);
        g_autofree char *contents = NULL;
        gsize length = 0;
        const char *p;

        g_file_get_contents (path, &contents, &length, NULL);
        p = contents;
        line_length = strchr (p, '\n') - p + 1;
        g_unlink (plain_path);
        fd = g_open (plain_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        start = g_get_monotonic_time ();
        for (int i = 0; i < opt_appends; i++)
          {
            if (write (fd, p, line_length) != (ssize_t)line_length)
              g_error ("write failed");
          }
        end = g_get_monotonic_time ();
        close (fd);
        value = (double)(end - start) / opt_appends;
        g_array_append_val (plain, value);
      }

      g_printerr ("appends %d/%d: %.2f µs queued, %.2f µs written, %.1f µs flushed each, plain write %.2f µs\n",
                  round + 1, opt_rounds, g_array_index (queued, double, round),
                  g_array_index (written, double, round), g_array_index (flushed, double, round),
                  g_array_index (plain, double, round));
    }

  printf ("### Audit log: appending an event (median of %d rounds)\n\n", opt_rounds);
  printf ("| per event (%" G_GSIZE_FORMAT "-byte record) | audit log | peer: one `write(2)` of the line | ratio |\n",
          line_length);
  printf ("| --- | ---: | ---: | ---: |\n");
  printf ("| main thread: build, chain, queue (%d in a row) | %.2f µs | %.2f µs | %.2f |\n",
          opt_appends, median (queued), median (plain), median (queued) / median (plain));
  printf ("| until written by the writer thread (%d in a row) | %.2f µs | | %.2f |\n",
          opt_appends, median (written), median (written) / median (plain));
  printf ("| append, then wait for the write (as an answer does; %d) | %.1f µs | | %.1f |\n\n",
          opt_flushed, median (flushed), median (flushed) / median (plain));
}

/* Verification {{{1 */

static gboolean
write_big_log (const char *dir,
               int         records)
{
  g_autoptr(McAuditLog) log = open_log (dir);

  remove_files (dir);
  g_clear_object (&log);
  log = open_log (dir);
  for (int i = 0; i < records; i++)
    mc_audit_log_append (log, typical_record (i));
  mc_audit_log_close (log);
  return TRUE;
}

static double
time_command (McBenchEnv         *env,
              const char * const *argv,
              int                 expected_status,
              char              **out_stdout)
{
  g_autoptr(GSubprocessLauncher) launcher = mc_bench_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, out_stdout, NULL, &error))
    g_error ("Could not run %s: %s", argv[0], error->message);
  if (g_subprocess_get_exit_status (process) != expected_status)
    g_error ("%s exited with %d", argv[0], g_subprocess_get_exit_status (process));
  return (g_get_monotonic_time () - start) / 1e6;
}

static void
run_verify (McBenchEnv *env)
{
  g_autofree char *dir = g_build_filename (env->dir, "state", "mcp-consent", NULL);
  g_autoptr(GArray) cli = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) walk = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) sums = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) sha_argv = g_ptr_array_new ();
  g_autoptr(GPtrArray) files = NULL;
  goffset total_size = 0;

  g_mkdir_with_parents (dir, 0700);
  write_big_log (dir, opt_records);
  files = mc_audit_list_files (dir, NULL);
  g_ptr_array_add (sha_argv, (char *)"sha256sum");
  for (guint i = 0; i < files->len; i++)
    {
      GStatBuf st;

      g_stat (g_ptr_array_index (files, i), &st);
      total_size += st.st_size;
      g_ptr_array_add (sha_argv, g_ptr_array_index (files, i));
    }
  g_ptr_array_add (sha_argv, NULL);

  for (int round = 0; round < opt_rounds; round++)
    {
      const char *verify_argv[] = { MC_BENCH_CLI, "audit", "--verify", NULL };
      g_autofree char *output = NULL;
      g_auto(McAuditChainState) state = { 0 };
      gint64 start;
      double seconds;

      seconds = time_command (env, verify_argv, 0, &output);
      if (strstr (output, "intact") == NULL)
        g_error ("The benchmark's log does not verify: %s", output);
      g_array_append_val (cli, seconds);

      start = g_get_monotonic_time ();
      if (!mc_audit_walk (dir, NULL, NULL, &state, NULL) || !state.intact ||
          state.n_records != (guint64)opt_records)
        g_error ("The benchmark's log does not verify in process");
      seconds = (g_get_monotonic_time () - start) / 1e6;
      g_array_append_val (walk, seconds);

      seconds = time_command (env, (const char * const *)sha_argv->pdata, 0, NULL);
      g_array_append_val (sums, seconds);

      g_printerr ("verify %d/%d: CLI %.3f s, in process %.3f s, sha256sum %.3f s\n", round + 1, opt_rounds,
                  g_array_index (cli, double, round), g_array_index (walk, double, round),
                  g_array_index (sums, double, round));
    }

  printf ("### Audit log: `mcp-consent audit --verify` over %d records (%u files, %.1f MiB; median of %d)\n\n",
          opt_records, files->len, total_size / 1048576.0, opt_rounds);
  printf ("| | time | records/s | peer: `sha256sum` of the files | ratio | target |\n");
  printf ("| --- | ---: | ---: | ---: | ---: | --- |\n");
  printf ("| `mcp-consent audit --verify` (process start included) | %.3f s | %.0f | %.3f s | %.2f | ≥ 200,000 records/s |\n",
          median (cli), opt_records / median (cli), median (sums), median (cli) / median (sums));
  printf ("| the same walk in process (`mc_audit_walk`) | %.3f s | %.0f | | %.2f | |\n\n",
          median (walk), opt_records / median (walk), median (walk) / median (sums));
}

/* The daemon with a long log {{{1 */

static gboolean
status_call (McBenchEnv *env)
{
  return mc_bench_call (env->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "GetStatus", NULL, NULL, NULL, NULL);
}

static void
measure_daemon (McBenchEnv *env,
                GArray     *rss,
                GArray     *anon,
                GArray     *start_ms)
{
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GError) error = NULL;
  McBenchMemory memory;
  gint64 start = g_get_monotonic_time ();
  double value;

  daemon = mc_bench_env_start_daemon (env, &error);
  if (daemon == NULL || !status_call (env))
    g_error ("Could not start the daemon: %s", error != NULL ? error->message : "GetStatus failed");
  value = (g_get_monotonic_time () - start) / 1000.0;
  g_array_append_val (start_ms, value);
  mc_bench_settle (500);
  if (!mc_bench_read_memory (mc_bench_subprocess_get_pid (daemon), &memory))
    g_error ("Could not read the daemon's memory");
  value = memory.vm_rss / 1024.0;
  g_array_append_val (rss, value);
  value = memory.rss_anon / 1024.0;
  g_array_append_val (anon, value);
  mc_bench_stop_process (daemon);
}

static void
run_daemon (McBenchEnv *env)
{
  g_autofree char *dir = g_build_filename (env->dir, "state", "mcp-consent", NULL);
  g_autofree char *aside = g_build_filename (env->dir, "state", "mcp-consent-aside", NULL);
  g_autoptr(GArray) empty_rss = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) empty_anon = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) empty_start = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) long_rss = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) long_anon = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) long_start = g_array_new (FALSE, FALSE, sizeof (double));

  mc_bench_env_set_script (env, "decline\n");
  for (int i = 0; i < opt_starts; i++)
    {
      /* The long log (from run_verify()), then none, in turn. */
      measure_daemon (env, long_rss, long_anon, long_start);
      if (g_rename (dir, aside) != 0)
        g_error ("Could not set the log aside");
      measure_daemon (env, empty_rss, empty_anon, empty_start);
      /* The empty log that daemon made. */
      remove_files (dir);
      g_rmdir (dir);
      if (g_rename (aside, dir) != 0)
        g_error ("Could not put the log back");
      g_printerr ("daemon %d/%d: %.2f MiB RSS with the log, %.2f MiB without; started in %.1f / %.1f ms\n",
                  i + 1, opt_starts, g_array_index (long_rss, double, i), g_array_index (empty_rss, double, i),
                  g_array_index (long_start, double, i), g_array_index (empty_start, double, i));
    }

  printf ("### Audit log: the daemon with a %d-record log (median of %d starts each, interleaved)\n\n",
          opt_records, opt_starts);
  printf ("| | with the log | with no log | ratio |\n");
  printf ("| --- | ---: | ---: | ---: |\n");
  printf ("| VmRSS | %.2f MiB | %.2f MiB | %.2f |\n", median (long_rss), median (empty_rss),
          median (long_rss) / median (empty_rss));
  printf ("| RssAnon | %.2f MiB | %.2f MiB | %.2f |\n", median (long_anon), median (empty_anon),
          median (long_anon) / median (empty_anon));
  printf ("| start → first answer (GetStatus) | %.1f ms | %.1f ms | %.2f |\n\n", median (long_start),
          median (empty_start), median (long_start) / median (empty_start));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- measure the audit log");
  g_autoptr(GError) error = NULL;
  g_autoptr(McBenchEnv) env = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_records < 1 || opt_appends < 1 || opt_flushed < 1 || opt_rounds < 1 || opt_starts < 1)
    {
      g_printerr ("every count must be positive\n");
      return 2;
    }
  g_log_set_writer_func (quiet_writer, NULL, NULL);

  env = mc_bench_env_new ();
  run_appends (env);
  run_verify (env);
  run_daemon (env);
  return 0;
}
