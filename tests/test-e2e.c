/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The product as a user's session meets it: the installed `mcp-consent`
 * activates the installed daemon through D-Bus, the scripted dialog
 * answers, and the URL reaches the browser registered in mimeapps.list.
 * Flatpak callers are real bwrap sandboxes with a /.flatpak-info. */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>

#include "mc-test-env.h"

#define ELICIT_URL "https://accounts.example.com/oauth/authorize?client_id=files&state=xyz"

static void
assert_daemon_activated_from_prefix (McTestEnv *env)
{
  guint32 pid = mc_test_env_get_daemon_pid (env);
  g_autofree char *exe_link = g_strdup_printf ("/proc/%u/exe", pid);
  g_autofree char *exe = g_file_read_link (exe_link, NULL);
  g_autofree char *expected = g_build_filename (mc_test_build_path ("MC_TEST_PREFIX"),
                                                "libexec", "mcp-consentd", NULL);

  g_assert_cmpuint (pid, !=, 0);
  g_assert_cmpstr (exe, ==, expected);
}

static gboolean
daemon_running (McTestEnv *env)
{
  return mc_test_env_get_daemon_pid (env) != 0;
}

static gboolean
process_is_gone (gpointer user_data)
{
  return mc_test_process_gone (GPOINTER_TO_INT (user_data));
}

static void
test_elicit_open (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autoptr(JsonObject) prompt = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *browser = NULL;

  mc_test_env_set_script (env, "open\n");
  g_assert_false (daemon_running (env));

  g_assert_cmpint (mc_test_env_run_cli (env, &out, &err, "elicit",
                                        "--server-name", "Example Files",
                                        "--server-url", "https://mcp.example.com/mcp",
                                        "--url", ELICIT_URL,
                                        "--message", "Sign in to Example Files to continue.",
                                        NULL), ==, 0);
  g_assert_cmpstr (out, ==, "accept\n");
  assert_daemon_activated_from_prefix (env);

  browser = mc_test_env_wait_browser (env);
  g_assert_cmpstr (browser, ==, ELICIT_URL "\n");

  prompt = mc_test_env_wait_record (env, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "url"), ==, ELICIT_URL);
  g_assert_cmpstr (json_object_get_string_member (prompt, "server_name"), ==, "Example Files");
  g_assert_cmpstr (json_object_get_string_member (prompt, "message"), ==, "Sign in to Example Files to continue.");
}

static void
test_elicit_decline_and_dismiss (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autofree char *declined = NULL;
  g_autofree char *dismissed = NULL;
  g_autofree char *browser = NULL;

  mc_test_env_set_script (env, "decline\ndismiss\n");

  g_assert_cmpint (mc_test_env_run_cli (env, &declined, NULL, "elicit", "--server-name", "Example",
                                        "--url", ELICIT_URL, NULL), ==, 0);
  g_assert_cmpstr (declined, ==, "decline\n");
  g_assert_cmpint (mc_test_env_run_cli (env, &dismissed, NULL, "elicit", "--server-name", "Example",
                                        "--url", ELICIT_URL, NULL), ==, 0);
  g_assert_cmpstr (dismissed, ==, "cancel\n");

  browser = mc_test_env_read_browser_log (env);
  g_assert_cmpstr (browser, ==, "");
}

static void
test_elicit_blocked (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  const char *urls[] = { "javascript:alert(document.cookie)", "http://example.com/", "https://a b.example/" };

  mc_test_env_set_script (env, "open\nopen\nopen\n");

  for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (mc_test_env_run_cli (env, &out, &err, "elicit", "--server-name", "Example",
                                            "--url", urls[i], NULL), ==, 2);
      g_assert_cmpstr (out, ==, "");
      g_assert_true (g_str_has_prefix (err, "mcp-consent: "));
      g_assert_nonnull (strstr (err, "never opened"));
    }

  /* Nothing shown, nothing opened: not even the daemon was started. */
  g_assert_cmpuint (mc_test_env_count_records (env), ==, 0);
  g_assert_false (daemon_running (env));
  {
    g_autofree char *browser = mc_test_env_read_browser_log (env);
    g_assert_cmpstr (browser, ==, "");
  }
}

static void
test_complete (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(JsonObject) opened = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autofree char *out = NULL;
  g_autofree char *completed = NULL;
  g_autofree char *ignored_err = NULL;

  mc_test_env_set_script (env, "open\n");
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "elicit", "--server-name", "Example",
                                        "--url", ELICIT_URL, "--elicitation-id", "e-1", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "accept\n");
  prompt = mc_test_env_wait_record (env, 0);
  opened = mc_test_env_wait_record (env, 1);
  g_assert_cmpstr (json_object_get_string_member (opened, "event"), ==, "opened");

  /* Another process of the same program reports the completion. */
  g_assert_cmpint (mc_test_env_run_cli (env, &completed, NULL, "complete", "--server-name", "Example",
                                        "--elicitation-id", "e-1", NULL), ==, 0);
  g_assert_cmpstr (completed, ==, "completed\n");
  dismissed = mc_test_env_wait_record (env, 2);
  g_assert_cmpstr (json_object_get_string_member (dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (json_object_get_string_member (dismissed, "id"), ==,
                   json_object_get_string_member (prompt, "id"));

  g_assert_cmpint (mc_test_env_run_cli (env, NULL, &ignored_err, "complete", "--server-name", "Example",
                                        "--elicitation-id", "e-1", NULL), ==, 0);
  g_assert_nonnull (strstr (ignored_err, "ignored"));
}

static void
test_check_url_needs_no_daemon (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  JsonObject *verdict = NULL;
  JsonArray *flags = NULL;

  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "check-url",
                                        "https://xn--80ak6aa92e.com:8443/login",
                                        "--server-url", "https://mcp.example.com/", NULL), ==, 0);
  /* One JSON object on one line. */
  g_assert_true (g_str_has_suffix (out, "}\n"));
  g_assert_true (strchr (out, '\n') == out + strlen (out) - 1);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  verdict = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (verdict, "risk"), ==, "danger");
  g_assert_cmpstr (json_object_get_string_member (verdict, "host"), ==, "аррӏе.com");
  g_assert_cmpstr (json_object_get_string_member (verdict, "host_ascii"), ==, "xn--80ak6aa92e.com");
  g_assert_cmpstr (json_object_get_string_member (verdict, "registrable_domain"), ==, "аррӏе.com");
  flags = json_object_get_array_member (verdict, "flags");
  g_assert_cmpuint (json_array_get_length (flags), >=, 3);
  g_assert_false (daemon_running (env));

  /* Blocked is a verdict too: still exit 0. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "check-url", "javascript:alert(1)", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"risk\":\"blocked\""));
  g_assert_nonnull (strstr (out, "\"registrable_domain\":null"));
}

static void
test_status_and_unreachable (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autoptr(McTestEnv) empty = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *version_line = g_strdup_printf ("Daemon version: %s\n", PACKAGE_VERSION);

  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "status", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, version_line));
  g_assert_nonnull (strstr (out, "Pending prompts: 0\n"));

  /* A bus where the broker is not installed: exit 1 with the reason. */
  g_clear_pointer (&out, g_free);
  empty = mc_test_env_new (MC_TEST_ENV_NONE);
  g_assert_cmpint (mc_test_env_run_cli (empty, &out, &err, "elicit", "--server-name", "Example",
                                        "--url", ELICIT_URL, NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "not reachable"));
}

static void
communicate (GSubprocess  *process,
             char        **out,
             char        **err)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
}

static int
run_in_flatpak (McTestEnv  *env,
                const char *app_id,
                char      **out,
                const char *url)
{
  g_autofree char *cli = g_build_filename (mc_test_build_path ("MC_TEST_PREFIX"), "bin", "mcp-consent", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  process = mc_test_env_spawn_in_flatpak (env, app_id,
                                          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                          &error, cli, "elicit",
                                          "--server-name", "Example Calendar",
                                          "--server-url", "https://mcp.example.com/mcp",
                                          "--url", url, NULL);
  g_assert_no_error (error);
  communicate (process, out, &err);
  if (err != NULL && err[0] != '\0')
    g_test_message ("mcp-consent in the sandbox said: %s", err);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
test_flatpak_caller_always_allow (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) opened = NULL;
  g_autoptr(JsonObject) third = NULL;
  g_autofree char *desktop = NULL;
  g_autofree char *out = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *browser = NULL;
  g_autofree char *remembered_id = NULL;
  g_autofree char *forgotten = NULL;
  guint records = 0;

  desktop = mc_test_env_write_desktop_file (env, "org.example.Agent", "Example Agent");
  mc_test_env_set_script (env, "open-always\ndecline\n");

  /* First time: the dialog names the verified app and offers "always". */
  g_assert_cmpint (run_in_flatpak (env, "org.example.Agent", &out, "https://auth.example.com/one"), ==, 0);
  g_assert_cmpstr (out, ==, "accept\n");
  first = mc_test_env_wait_record (env, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "app_kind"), ==, "flatpak");
  g_assert_cmpstr (json_object_get_string_member (first, "app_id"), ==, "org.example.Agent");
  g_assert_cmpstr (json_object_get_string_member (first, "app_name"), ==, "Example Agent");
  g_assert_true (json_object_get_boolean_member (first, "can_remember"));
  opened = mc_test_env_wait_record (env, 1);
  remembered_id = g_strdup (json_object_get_string_member_with_default (opened, "remembered_id", NULL));
  g_assert_nonnull (remembered_id);

  /* Second time, same app, server and domain: opened without asking. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_in_flatpak (env, "org.example.Agent", &out, "https://auth.example.com/two"), ==, 0);
  g_assert_cmpstr (out, ==, "accept\n");
  browser = mc_test_env_wait_browser (env);
  {
    g_autoptr(JsonObject) notice = mc_test_env_wait_record (env, 2);

    g_assert_cmpstr (json_object_get_string_member (notice, "event"), ==, "opened");
    g_assert_cmpstr (json_object_get_string_member (notice, "url"), ==, "https://auth.example.com/two");
    g_assert_cmpstr (json_object_get_string_member (notice, "remembered_id"), ==, remembered_id);
  }

  /* Another app gets no free pass. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_in_flatpak (env, "org.example.Other", &out, "https://auth.example.com/three"), ==, 0);
  g_assert_cmpstr (out, ==, "decline\n");
  third = mc_test_env_wait_record (env, 3);
  g_assert_cmpstr (json_object_get_string_member (third, "event"), ==, "prompt");
  g_assert_cmpstr (json_object_get_string_member (third, "app_id"), ==, "org.example.Other");

  /* The decision is listed, and forgetting it brings the dialog back. */
  g_assert_cmpint (mc_test_env_run_cli (env, &listing, NULL, "remembered", NULL), ==, 0);
  g_assert_nonnull (strstr (listing, remembered_id));
  g_assert_nonnull (strstr (listing, "example.com for Example Calendar (org.example.Agent)"));
  g_assert_cmpint (mc_test_env_run_cli (env, &forgotten, NULL, "remembered", "--forget", remembered_id, NULL), ==, 0);

  mc_test_env_set_script (env, "decline\n");
  records = mc_test_env_count_records (env);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_in_flatpak (env, "org.example.Agent", &out, "https://auth.example.com/four"), ==, 0);
  g_assert_cmpstr (out, ==, "decline\n");
  {
    g_autoptr(JsonObject) again = mc_test_env_wait_record (env, records);

    g_assert_cmpstr (json_object_get_string_member (again, "event"), ==, "prompt");
  }
}

static void
test_unverified_caller_never_remembered (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *out = NULL;

  /* Even if a dialog answered "open-always", nothing is remembered for a
   * program the broker cannot identify. */
  mc_test_env_set_script (env, "open-always\ndecline\n");
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "elicit", "--server-name", "Example",
                                        "--url", ELICIT_URL, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "accept\n");
  first = mc_test_env_wait_record (env, 0);
  g_assert_false (json_object_get_boolean_member (first, "can_remember"));
  g_assert_cmpstr (json_object_get_string_member (first, "app_kind"), ==, "unverified");

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "elicit", "--server-name", "Example",
                                        "--url", ELICIT_URL, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "decline\n");
  second = mc_test_env_wait_record (env, 2);
  g_assert_cmpstr (json_object_get_string_member (second, "event"), ==, "prompt");
}

static void
test_no_browser_cancels (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION | MC_TEST_ENV_NO_BROWSER);
  g_autoptr(JsonObject) failed = NULL;
  g_autofree char *out = NULL;

  mc_test_env_set_script (env, "open\n");
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "elicit", "--server-name", "Example",
                                        "--url", ELICIT_URL, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "cancel\n");
  failed = mc_test_env_wait_record (env, 1);
  g_assert_cmpstr (json_object_get_string_member (failed, "event"), ==, "open-failed");
  g_assert_nonnull (json_object_get_string_member (failed, "reason"));
}

static gboolean
lingering_browser_started (gpointer user_data)
{
  return g_file_test (user_data, G_FILE_TEST_EXISTS);
}

static void
test_browser_keeps_running (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autofree char *script_path = g_build_filename (env->dir, "lingering-browser.sh", NULL);
  g_autofree char *pid_path = g_build_filename (env->dir, "lingering-browser.pid", NULL);
  g_autofree char *q_pid_path = g_shell_quote (pid_path);
  g_autofree char *script = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *out = NULL;
  g_autofree char *pid_text = NULL;
  g_autoptr(GError) error = NULL;
  int pid = 0;

  /* A browser that was not running stays running after it opened the
   * page, with the descriptors GIO gave it.  The answer must not wait for
   * it to quit.  (sleep stands in for the browser's life: it is what is
   * waited on if the bug is back, never what the test waits for.) */
  script = g_strdup_printf ("#!/bin/sh\n"
                            "%s \"$1\"\n"
                            "echo $$ > %s.part && mv %s.part %s\n"
                            "exec sleep 120\n",
                            mc_test_build_path ("MC_TEST_BROWSER"), q_pid_path, q_pid_path, q_pid_path);
  g_file_set_contents (script_path, script, -1, &error);
  g_assert_no_error (error);
  g_assert_no_errno (g_chmod (script_path, 0700));
  exec = g_strdup_printf ("%s %%u", script_path);
  mc_test_env_register_browser (env, "mc-lingering-browser.desktop", exec);

  mc_test_env_set_script (env, "open\n");
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "elicit", "--server-name", "Example",
                                        "--url", ELICIT_URL, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "accept\n");

  /* Still running: not ours to wait for, so stopped by its pid. */
  mc_test_wait_until (lingering_browser_started, pid_path, "the browser to write its pid");
  g_file_get_contents (pid_path, &pid_text, NULL, &error);
  g_assert_no_error (error);
  pid = atoi (pid_text);
  g_assert_cmpint (pid, >, 1);
  g_assert_false (mc_test_process_gone (pid));
  g_assert_no_errno (kill (pid, SIGKILL));
  mc_test_wait_until (process_is_gone, GINT_TO_POINTER (pid), "the browser to exit");
}

static void
test_elicit_when_broker_crashes (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_ACTIVATION);
  g_autoptr(GSubprocess) cli = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  mc_test_env_set_script (env, "hang\n");
  cli = mc_test_env_spawn_cli (env, &error, "elicit", "--server-name", "Example", "--url", ELICIT_URL, NULL);
  g_assert_no_error (error);
  prompt = mc_test_env_wait_record (env, 0);

  /* A crash answers nobody; the client must not wait forever. */
  g_assert_cmpint (kill (mc_test_env_get_daemon_pid (env), SIGKILL), ==, 0);
  communicate (cli, &out, &err);
  g_assert_cmpint (g_subprocess_get_exit_status (cli), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "stopped before it answered"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  mc_test_ensure_installed ();

  g_test_add_func ("/e2e/elicit-open", test_elicit_open);
  g_test_add_func ("/e2e/elicit-decline-and-dismiss", test_elicit_decline_and_dismiss);
  g_test_add_func ("/e2e/elicit-blocked", test_elicit_blocked);
  g_test_add_func ("/e2e/complete", test_complete);
  g_test_add_func ("/e2e/check-url-needs-no-daemon", test_check_url_needs_no_daemon);
  g_test_add_func ("/e2e/status-and-unreachable", test_status_and_unreachable);
  g_test_add_func ("/e2e/flatpak-caller-always-allow", test_flatpak_caller_always_allow);
  g_test_add_func ("/e2e/unverified-never-remembered", test_unverified_caller_never_remembered);
  g_test_add_func ("/e2e/no-browser-cancels", test_no_browser_cancels);
  g_test_add_func ("/e2e/browser-keeps-running", test_browser_keeps_running);
  g_test_add_func ("/e2e/broker-crash", test_elicit_when_broker_crashes);

  return g_test_run ();
}
