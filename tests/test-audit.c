/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The audit log on its own: what McAuditLog writes, how the chain goes on
 * across restarts and rotation, and what `mcp-consent audit --verify`
 * says about a log someone edited, cut, reordered or added to. */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "mc-audit-events.h"
#include "mc-audit-log.h"
#include "mc-audit-reader.h"
#include "mc-error.h"
#include "mc-test-audit.h"

/* The broker's state directory in this test's isolated XDG dirs: where
 * the CLI, started with the same environment, looks. */
static char *
state_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "mcp-consent", NULL);
}

static char *
current_path (void)
{
  g_autofree char *dir = state_dir ();

  return g_build_filename (dir, MC_AUDIT_FILE_NAME, NULL);
}

static McAuditLog *
open_log (goffset rotate_size,
          guint   keep_files)
{
  g_autofree char *dir = state_dir ();
  g_autoptr(GError) error = NULL;
  McAuditLog *log = mc_audit_log_new (dir, rotate_size, keep_files, &error);

  g_assert_no_error (error);
  g_assert_nonnull (log);
  return log;
}

static void
append_numbered (McAuditLog *log,
                 guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      McAuditRecord *record = mc_audit_record_new (MC_AUDIT_USER_DECISION);

      mc_audit_record_add_string (record, "app", "host");
      mc_audit_record_add_int (record, "n", i);
      mc_audit_log_append (log, record);
    }
}

/* A closed log of @n records. */
static void
write_log (guint n)
{
  g_autoptr(McAuditLog) log = open_log (MC_AUDIT_DEFAULT_ROTATE_SIZE, MC_AUDIT_DEFAULT_KEEP_FILES);

  append_numbered (log, n);
  mc_audit_log_close (log);
}

static void
walk (McAuditChainState *state)
{
  g_autofree char *dir = state_dir ();
  g_autoptr(GError) error = NULL;

  g_assert_true (mc_audit_walk (dir, NULL, NULL, state, &error));
  g_assert_no_error (error);
}

static GStrv
read_lines (void)
{
  g_autofree char *path = current_path ();
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (contents, "\n"));
  contents[strlen (contents) - 1] = '\0';
  return g_strsplit (contents, "\n", -1);
}

static void
write_lines (char **lines)
{
  g_autofree char *path = current_path ();
  g_autofree char *joined = g_strjoinv ("\n", lines);
  g_autofree char *contents = g_strconcat (joined, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Runs `mcp-consent audit ARG` on this test's log; its exit status. */
static int
run_cli (const char  *arg,
         char       **out_stdout)
{
  const char *cli = g_getenv ("MC_TEST_CLI");
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *argv[] = { cli, "audit", arg, NULL };
  /* GLib isolates the test's dirs inside the process only. */
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);

  g_assert_nonnull (cli);
  g_spawn_sync (NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL, out_stdout, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* The CLI says the log was tampered with, naming what @expected says. */
static void
assert_tampered (const char *expected)
{
  g_auto(McAuditChainState) state = { 0 };
  g_autofree char *output = NULL;

  walk (&state);
  g_assert_false (state.intact);
  g_assert_nonnull (state.problem);
  if (strstr (state.problem, expected) == NULL)
    g_error ("Expected “%s” in “%s”", expected, state.problem);

  g_assert_cmpint (run_cli ("--verify", &output), ==, 1);
  g_assert_nonnull (strstr (output, expected));
}

/* Writing and reading back {{{1 */

static GPtrArray *
read_entries (McAuditChainState *state)
{
  g_autofree char *dir = state_dir ();

  return mc_test_audit_read (dir, state);
}

static void
test_round_trip (void)
{
  g_autoptr(McAuditLog) log = open_log (MC_AUDIT_DEFAULT_ROTATE_SIZE, MC_AUDIT_DEFAULT_KEEP_FILES);
  McAuditRecord *record = mc_audit_record_new (MC_AUDIT_PROMPT_SHOWN);
  const char * const flags[] = { "other-domain", "non-default-port", NULL };
  const char *tricky = "Quote \" back\\slash\nnew line \x01 ünïcödé ☃ \xe2\x80\xae";
  g_auto(McAuditChainState) state = { 0 };
  g_autoptr(GPtrArray) entries = NULL;
  const McAuditEntry *entry;
  const McAuditField *field;
  g_autofree char *hex = NULL;

  mc_audit_record_add_string (record, "server", tricky);
  mc_audit_record_add_int (record, "count", -42);
  mc_audit_record_add_bool (record, "always_allowed", TRUE);
  mc_audit_record_add_strv (record, "flags", flags);
  mc_audit_record_add_strv (record, "scopes", NULL);
  mc_audit_log_append (log, record);
  append_numbered (log, 2);
  mc_audit_log_close (log);

  entries = read_entries (&state);
  g_assert_true (state.intact);
  g_assert_cmpuint (state.n_records, ==, 3);
  g_assert_cmpuint (state.first_seq, ==, 1);
  g_assert_cmpuint (state.last_seq, ==, 3);
  g_assert_cmpuint (entries->len, ==, 3);

  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpuint (entry->seq, ==, 1);
  g_assert_cmpstr (entry->kind, ==, "prompt-shown");
  g_assert_cmpint (mc_audit_entry_get_time (entry), >, 0);
  hex = mc_audit_hash_to_hex (entry->prev);
  g_assert_cmpstr (hex, ==, "0000000000000000000000000000000000000000000000000000000000000000");
  g_assert_cmpstr (mc_audit_entry_get_string (entry, "server"), ==, tricky);
  field = mc_audit_entry_lookup (entry, "count");
  g_assert_cmpint (field->type, ==, MC_AUDIT_VALUE_INT);
  g_assert_cmpint (field->integer, ==, -42);
  field = mc_audit_entry_lookup (entry, "always_allowed");
  g_assert_true (field->type == MC_AUDIT_VALUE_BOOL && field->boolean);
  field = mc_audit_entry_lookup (entry, "flags");
  g_assert_cmpint (field->type, ==, MC_AUDIT_VALUE_STRV);
  g_assert_cmpstrv (field->strv, flags);
  field = mc_audit_entry_lookup (entry, "scopes");
  g_assert_cmpuint (g_strv_length (field->strv), ==, 0);

  /* Each record holds the hash of the line before it. */
  for (guint i = 1; i < entries->len; i++)
    {
      const McAuditEntry *previous = g_ptr_array_index (entries, i - 1);
      const McAuditEntry *next = g_ptr_array_index (entries, i);

      g_assert_cmpmem (next->prev, MC_AUDIT_HASH_SIZE, previous->hash, MC_AUDIT_HASH_SIZE);
      g_assert_cmpuint (next->seq, ==, previous->seq + 1);
    }
}

/* The daemon starts again where it stopped: the chain goes on. */
static void
test_reopen (void)
{
  g_auto(McAuditChainState) state = { 0 };
  g_autofree char *output = NULL;

  write_log (3);
  write_log (2);

  walk (&state);
  g_assert_true (state.intact);
  g_assert_cmpuint (state.n_records, ==, 5);
  g_assert_cmpuint (state.last_seq, ==, 5);

  g_assert_cmpint (run_cli ("--verify", &output), ==, 0);
  g_assert_nonnull (strstr (output, "intact: 5 records"));
}

static guint
count_files (void)
{
  g_autofree char *dir = state_dir ();
  g_autoptr(GPtrArray) files = mc_audit_list_files (dir, NULL);

  return files->len;
}

/* Rotated by size; the first record of each new file holds the hash of
 * the last line of the one before; verification walks across them. */
static void
test_rotation (void)
{
  g_auto(McAuditChainState) state = { 0 };
  g_autofree char *output = NULL;

  {
    g_autoptr(McAuditLog) log = open_log (1024, 100);

    append_numbered (log, 60);
    mc_audit_log_close (log);
  }
  g_assert_cmpuint (count_files (), >, 3);

  walk (&state);
  g_assert_true (state.intact);
  g_assert_cmpuint (state.n_records, ==, 60);
  g_assert_cmpint (run_cli ("--verify", &output), ==, 0);

  /* Reopened after a rotation, and kept to two old files: the oldest
   * records go, and the chain kept still verifies. */
  mc_audit_chain_state_clear (&state);
  {
    g_autoptr(McAuditLog) log = open_log (1024, 2);

    append_numbered (log, 20);
    mc_audit_log_close (log);
  }
  g_assert_cmpuint (count_files (), ==, 3);
  walk (&state);
  g_assert_true (state.intact);
  g_assert_cmpuint (state.last_seq, ==, 80);
  g_assert_cmpuint (state.first_seq, >, 1);
  g_clear_pointer (&output, g_free);
  g_assert_cmpint (run_cli ("--verify", &output), ==, 0);
  g_assert_nonnull (strstr (output, "rotated away"));
}

/* Tampering {{{1 */

static void
test_edited (void)
{
  g_auto(GStrv) lines = NULL;
  GString *edited = NULL;

  write_log (10);
  lines = read_lines ();
  edited = g_string_new (lines[3]);
  g_string_replace (edited, "\"n\":3", "\"n\":7", 1);
  g_free (lines[3]);
  lines[3] = g_string_free (edited, FALSE);
  write_lines (lines);

  assert_tampered ("record #4 was edited");
}

static void
test_removed (void)
{
  g_auto(GStrv) lines = NULL;

  write_log (10);
  lines = read_lines ();
  g_free (lines[4]);
  memmove (lines + 4, lines + 5, 6 * sizeof (char *));
  write_lines (lines);

  assert_tampered ("records #5 to #5 were removed");
}

static void
test_swapped (void)
{
  g_auto(GStrv) lines = NULL;
  char *swap;

  write_log (10);
  lines = read_lines ();
  swap = lines[5];
  lines[5] = lines[6];
  lines[6] = swap;
  write_lines (lines);

  assert_tampered ("record #7 is out of order");
}

static void
test_inserted (void)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) with_insert = g_ptr_array_new ();
  const char *forged = "{\"v\":1,\"seq\":4,\"time\":\"2026-01-01T00:00:00.000000Z\",\"kind\":\"user-decision\","
                       "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\","
                       "\"app\":\"host\",\"decision\":\"open\"}";

  write_log (10);
  lines = read_lines ();
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (i == 3)
        g_ptr_array_add (with_insert, (char *)forged);
      g_ptr_array_add (with_insert, lines[i]);
    }
  g_ptr_array_add (with_insert, NULL);
  write_lines ((char **)with_insert->pdata);

  assert_tampered ("audit.jsonl:4: record #4 was inserted");
}

/* An insert by someone who computed the hash right: the record after it
 * still holds the hash of the one before. */
static void
test_inserted_with_hash (void)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) with_insert = g_ptr_array_new ();
  guint8 hash[MC_AUDIT_HASH_SIZE];
  g_autofree char *prev = NULL;
  g_autofree char *forged = NULL;

  write_log (10);
  lines = read_lines ();
  mc_audit_hash_line (lines[2], strlen (lines[2]), hash);
  prev = mc_audit_hash_to_hex (hash);
  forged = g_strdup_printf ("{\"v\":1,\"seq\":4,\"time\":\"2026-01-01T00:00:00.000000Z\",\"kind\":\"user-decision\","
                            "\"prev\":\"%s\",\"app\":\"host\",\"decision\":\"open\"}", prev);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (i == 3)
        g_ptr_array_add (with_insert, forged);
      g_ptr_array_add (with_insert, lines[i]);
    }
  g_ptr_array_add (with_insert, NULL);
  write_lines ((char **)with_insert->pdata);

  assert_tampered ("audit.jsonl:4: record #4 was inserted");
}

/* A file that is not a log at all gets an error naming the line. */
static void
test_garbage (void)
{
  g_autofree char *path = current_path ();
  g_autofree char *dir = state_dir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_file_set_contents (path, "{\"v\":1}\nnot json at all\n\x01\x02\n", -1, &error);
  g_assert_no_error (error);

  assert_tampered ("audit.jsonl:1: not an audit record");
  g_assert_cmpint (run_cli ("--json", &output), ==, 0);
}

/* Crashes and failures {{{1 */

/* The writer thread's warning when a record cannot be written, which
 * test_write_failure() provokes; anything else goes on as usual (and
 * warnings stay fatal). */
static gint n_write_warnings;

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
          strstr (fields[i].value, " was not written: ") != NULL)
        {
          g_atomic_int_inc (&n_write_warnings);
          return G_LOG_WRITER_HANDLED;
        }
    }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* A line cut short (the daemon killed in the middle of a write) is
 * skipped by --verify, and cut off when the daemon starts again, which
 * says so in the log. */
static void
test_unfinished_line (void)
{
  g_autofree char *path = current_path ();
  g_auto(McAuditChainState) state = { 0 };
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *output = NULL;
  const McAuditEntry *last;
  FILE *file;

  write_log (4);
  file = g_fopen (path, "a");
  fputs ("{\"v\":1,\"seq\":5,\"ti", file);
  fclose (file);

  walk (&state);
  g_assert_true (state.intact);
  g_assert_true (state.incomplete_tail);
  g_assert_cmpint (run_cli ("--verify", &output), ==, 0);
  mc_audit_chain_state_clear (&state);

  write_log (1);
  entries = read_entries (&state);
  g_assert_true (state.intact);
  g_assert_false (state.incomplete_tail);
  g_assert_cmpuint (entries->len, ==, 6);
  last = g_ptr_array_index (entries, 4);
  g_assert_cmpstr (last->kind, ==, "log-repaired");
  g_assert_cmpint (mc_audit_entry_lookup (last, "dropped_bytes")->integer, ==, 18);
}

static void
on_flushed (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError **error = user_data;
  gboolean *done = (gboolean *)(error + 1);

  mc_audit_log_flush_finish (MC_AUDIT_LOG (source_object), result, error);
  *done = TRUE;
}

static gboolean
flush (McAuditLog  *log,
       GError     **error)
{
  struct { GError *error; gboolean done; } wait = { NULL, FALSE };

  mc_audit_log_flush_async (log, NULL, on_flushed, &wait);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  if (wait.error != NULL)
    {
      g_propagate_error (error, wait.error);
      return FALSE;
    }
  return TRUE;
}

/* A flush completes once what came before it is in the file. */
static void
test_flush (void)
{
  g_autoptr(McAuditLog) log = open_log (MC_AUDIT_DEFAULT_ROTATE_SIZE, MC_AUDIT_DEFAULT_KEEP_FILES);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  append_numbered (log, 200);
  g_assert_true (flush (log, &error));
  g_assert_no_error (error);
  lines = read_lines ();
  g_assert_cmpuint (g_strv_length (lines), ==, 200);

  /* With nothing queued it completes too. */
  g_assert_true (flush (log, &error));
}

/* A log that cannot be written makes the flush fail (and GetToken with
 * it); once it can be written again, it recovers. */
static void
test_write_failure (void)
{
  g_autoptr(McAuditLog) log = open_log (MC_AUDIT_DEFAULT_ROTATE_SIZE, MC_AUDIT_DEFAULT_KEEP_FILES);
  g_autofree char *path = current_path ();
  g_autoptr(GError) error = NULL;
  struct rlimit saved, limit;
  GStatBuf st;

  append_numbered (log, 1);
  g_assert_true (flush (log, NULL));

  /* The file may grow by no more than a few bytes (as on a full disk). */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limit = saved;
  limit.rlim_cur = st.st_size + 4;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  append_numbered (log, 1);
  g_assert_false (flush (log, &error));
  g_assert_error (error, MC_ERROR, MC_ERROR_FAILED);
  g_assert_true (mc_audit_log_is_failing (log));
  g_clear_error (&error);

  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  append_numbered (log, 1);
  g_assert_true (flush (log, &error));
  g_assert_no_error (error);
  g_assert_false (mc_audit_log_is_failing (log));
  g_assert_cmpuint (g_atomic_int_get (&n_write_warnings), ==, 1);
}

/* Events {{{1 */

/* A busy caller costs two records a window, with the count in the second. */
static void
test_aggregation (void)
{
  g_auto(McAuditChainState) state = { 0 };
  g_autoptr(GPtrArray) entries = NULL;
  const McAuditEntry *summary;

  {
    g_autoptr(McAuditLog) log = open_log (MC_AUDIT_DEFAULT_ROTATE_SIZE, MC_AUDIT_DEFAULT_KEEP_FILES);

    for (guint i = 0; i < 500; i++)
      {
        McAuditRecord *record = mc_audit_record_new (MC_AUDIT_TOKEN_SERVED);

        mc_audit_record_add_string (record, "app", "host");
        mc_audit_record_add_string (record, "grant", i % 2 ? "g1" : "g2");
        g_assert_true (mc_audit_log_append_aggregated (log, record, i % 2 ? "host g1" : "host g2") == (i < 2));
      }
    mc_audit_log_close (log);
  }

  entries = read_entries (&state);
  g_assert_true (state.intact);
  g_assert_cmpuint (entries->len, ==, 4);
  summary = g_ptr_array_index (entries, 3);
  g_assert_cmpstr (summary->kind, ==, "token-served");
  g_assert_cmpint (mc_audit_entry_lookup (summary, "count")->integer, ==, 249);
  g_assert_cmpint (mc_audit_entry_lookup (summary, "window_seconds")->integer, ==, MC_AUDIT_AGGREGATE_SECONDS);
  g_assert_nonnull (mc_audit_entry_get_string (summary, "window_start"));
}

/* The policy's kind, ready for the policy's code to call. */
static void
test_policy_blocked (void)
{
  g_autoptr(McAuditLog) log = open_log (MC_AUDIT_DEFAULT_ROTATE_SIZE, MC_AUDIT_DEFAULT_KEEP_FILES);
  g_autoptr(McCallerInfo) caller = mc_caller_info_new_for_testing (MC_CALLER_KIND_FLATPAK, ":1.42",
                                                                   "org.example.Agent", NULL);
  g_auto(McAuditChainState) state = { 0 };
  g_autoptr(GPtrArray) entries = NULL;
  const McAuditEntry *entry;

  mc_audit_log_set_default (log);
  mc_audit_policy_blocked (caller, "Example", "https://evil.example/login?code=SECRET123#frag",
                           "block-domain:evil.example", "The administrator does not allow this site");
  mc_audit_log_set_default (NULL);
  mc_audit_log_close (log);

  entries = read_entries (&state);
  g_assert_cmpuint (entries->len, ==, 1);
  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpstr (entry->kind, ==, "policy-blocked");
  g_assert_cmpstr (mc_audit_entry_get_string (entry, "app_id"), ==, "org.example.Agent");
  g_assert_cmpstr (mc_audit_entry_get_string (entry, "server"), ==, "Example");
  g_assert_cmpstr (mc_audit_entry_get_string (entry, "rule"), ==, "block-domain:evil.example");
  g_assert_cmpstr (mc_audit_entry_get_string (entry, "url"), ==, "https://evil.example/login");
  g_assert_nonnull (mc_audit_entry_get_string (entry, "url_sha256"));
}

/* Sign-in URLs carry codes and states in their query: never logged. */
static void
test_describe_url (void)
{
  struct { const char *url; const char *shown; } cases[] = {
    { "https://as.example/authorize?code_challenge=abc&state=xyz", "https://as.example/authorize" },
    { "https://user:pw@example.com:8443/a/b?q#f", "https://example.com:8443/a/b" },
    { "http://[::1]:8080/cb?code=1", "http://[::1]:8080/cb" },
    { "not a url", "(not a URL)" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sha256 = NULL;
      g_autofree char *shown = mc_audit_describe_url (cases[i].url, &sha256);

      g_assert_cmpstr (shown, ==, cases[i].shown);
      g_assert_cmpuint (strlen (sha256), ==, 64);
    }

  /* The hash is of the whole URL as given (sha256sum of the same text). */
  {
    g_autofree char *sha256 = NULL;
    g_autofree char *shown = mc_audit_describe_url ("not a url", &sha256);

    g_assert_cmpstr (shown, ==, "(not a URL)");
    g_assert_cmpstr (sha256, ==, "d8b5bf9b9fd4760c61234d12614d80c96892c75fe92d8819c6320f1ca6b3533d");
  }
}

/* The strict parser refuses what the daemon never writes. */
static void
test_parser (void)
{
  const char *zeros = "0000000000000000000000000000000000000000000000000000000000000000";
  const char *bad[] = {
    "",
    "{}",
    "[]",
    "{\"v\":2,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\"}",
    "{\"v\":1,\"seq\":0,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\"}",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\",\"a\":{}}",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\",\"a\":1.5}",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\",\"a\":null}",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\",\"a\":1,\"a\":2}",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\",\"a\":\"\\ud800\"}",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\",\"a\":\"\\u0000\"}",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\",\"a\":99999999999999999999}",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\"} x",
    "{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"ABC\"}",
  };
  g_autofree char *good = g_strdup_printf ("{\"v\":1,\"seq\":1,\"time\":\"t\",\"kind\":\"k\",\"prev\":\"%s\","
                                           "\"s\":\"\\u00e9\\ud83d\\ude00\",\"l\":[\"a\",\"b\"]}", zeros);
  g_autoptr(McAuditEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  entry = mc_audit_entry_parse (good, strlen (good), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mc_audit_entry_get_string (entry, "s"), ==, "é😀");

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      GString *with_prev = g_string_new (bad[i]);
      g_autofree char *line = NULL;
      g_autoptr(McAuditEntry) refused = NULL;

      g_string_replace (with_prev, "%s", zeros, 0);
      line = g_string_free (with_prev, FALSE);

      g_clear_error (&error);
      refused = mc_audit_entry_parse (line, strlen (line), &error);
      g_assert_null (refused);
      g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_log_set_writer_func (log_writer, NULL, NULL);

  g_test_add_func ("/audit/round-trip", test_round_trip);
  g_test_add_func ("/audit/reopen", test_reopen);
  g_test_add_func ("/audit/rotation", test_rotation);
  g_test_add_func ("/audit/verify/edited", test_edited);
  g_test_add_func ("/audit/verify/removed", test_removed);
  g_test_add_func ("/audit/verify/swapped", test_swapped);
  g_test_add_func ("/audit/verify/inserted", test_inserted);
  g_test_add_func ("/audit/verify/inserted-with-hash", test_inserted_with_hash);
  g_test_add_func ("/audit/verify/garbage", test_garbage);
  g_test_add_func ("/audit/unfinished-line", test_unfinished_line);
  g_test_add_func ("/audit/flush", test_flush);
  g_test_add_func ("/audit/write-failure", test_write_failure);
  g_test_add_func ("/audit/aggregation", test_aggregation);
  g_test_add_func ("/audit/policy-blocked", test_policy_blocked);
  g_test_add_func ("/audit/describe-url", test_describe_url);
  g_test_add_func ("/audit/parser", test_parser);

  return g_test_run ();
}
