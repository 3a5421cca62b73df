/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The admin policy (docs/policy.md) as the daemon applies it: each rule
 * through CheckUrl, ElicitUrl, Authorize and GetToken; a user file that
 * cannot loosen the admin's; reloads, and a malformed file that keeps the
 * last good policy.  The daemon built in the tree on the test's bus, the
 * scripted prompter, a real gnome-keyring and the OAuth mock; the admin
 * file is the one MCP_CONSENT_TEST_ADMIN_POLICY names. */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "mc-error.h"
#include "mc-test-audit.h"
#include "mc-test-oauth.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"

/* Helpers {{{1 */

static char *
admin_path (McTestEnv *env)
{
  return g_build_filename (env->dir, "admin-policy.ini", NULL);
}

static char *
user_path (McTestEnv *env)
{
  return g_build_filename (env->dir, "config", "mcp-consent", "policy.ini", NULL);
}

/* A test world whose daemon starts with @admin as the admin policy (and
 * @user as the user's, unless %NULL). */
static McTestEnv *
env_with_policy (const char *admin,
                 const char *user,
                 const char *script)
{
  McTestEnv *env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autofree char *path = admin_path (env);
  g_autofree char *user_file = user_path (env);

  (void) MC_ERROR;
  mc_test_write_file (path, admin);
  /* Without @user, the user's directory does not exist: as on most
   * systems, where the daemon starts before anyone made it. */
  if (user != NULL)
    mc_test_write_file (user_file, user);
  mc_test_env_setenv (env, "MCP_CONSENT_TEST_ADMIN_POLICY", path);
  if (script != NULL)
    mc_test_env_set_script (env, script);
  mc_test_env_start_daemon (env);
  return env;
}

/* The admin file of an OAuth fixture, whose world only exists once its
 * daemon runs: in the test case's own data directory, which GLib removes
 * (G_TEST_OPTION_ISOLATE_DIRS). */
static char *
oauth_admin_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "admin-policy.ini", NULL);
}

static McTestOAuth *
oauth_with_policy (const McMockOAuthOptions *options,
                   const char               *admin)
{
  g_autofree char *path = oauth_admin_path ();
  const char *variables[] = { "MCP_CONSENT_TEST_ADMIN_POLICY", path, NULL };

  mc_test_write_file (path, admin);
  return mc_test_oauth_new_with_env (options, MC_TEST_ENV_NONE, variables);
}

static GVariant *
server_dict (const char *name)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (name));
  g_variant_builder_add (&builder, "{sv}", "url", g_variant_new_string ("https://mcp.example.com/mcp"));
  return g_variant_builder_end (&builder);
}

/* CheckUrl's verdict: its risk, and whether it has the flag "policy". */
static char *
check_url (McTestClient *client,
           const char   *url,
           gboolean     *policy_flag)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = mc_test_client_call (client, "CheckUrl",
                                                   g_variant_new ("(s@a{sv})", url, server_dict ("Example")),
                                                   &error);
  g_autoptr(GVariant) verdict = NULL;
  g_autofree const char **flags = NULL;
  char *risk = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(@a{sv})", &verdict);
  g_assert_true (g_variant_lookup (verdict, "risk", "s", &risk));
  g_assert_true (g_variant_lookup (verdict, "flags", "^a&s", &flags));
  *policy_flag = g_strv_contains (flags, "policy");
  return risk;
}

static gboolean
policy_blocks (McTestClient *client,
               const char   *url)
{
  gboolean flag = FALSE;
  g_autofree char *risk = check_url (client, url, &flag);

  g_assert_true (!flag || g_str_equal (risk, "blocked"));
  return flag;
}

/* ElicitUrl from the test (an unverified host program); the request
 * path, or NULL and @error. */
static char *
elicit (McTestClient  *client,
        const char    *url,
        GError       **error)
{
  g_autoptr(GVariant) reply = NULL;
  char *handle = NULL;

  reply = mc_test_client_call (client, "ElicitUrl",
                               g_variant_new ("(s@a{sv}ss@a{sv})", "", server_dict ("Example"), url,
                                              "Sign in, please.", g_variant_new ("a{sv}", NULL)),
                               error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(o)", &handle);
  return handle;
}

static void
assert_nothing_shown_or_opened (McTestEnv *env)
{
  g_autofree char *browser = mc_test_env_read_browser_log (env);

  g_assert_cmpuint (mc_test_env_count_records (env), ==, 0);
  g_assert_cmpstr (browser, ==, "");
}

/* The PolicyReloaded signals the daemon sent, in order. */
typedef struct
{
  guint      subscription;
  GPtrArray *files;
  GArray    *applied;  /* gboolean */
} Reloads;

static void
on_policy_reloaded (GDBusConnection *connection,
                    const char      *sender_name,
                    const char      *object_path,
                    const char      *interface_name,
                    const char      *signal_name,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  Reloads *reloads = user_data;
  const char *file = NULL;
  gboolean applied = FALSE;

  g_variant_get (parameters, "(&sb)", &file, &applied);
  g_ptr_array_add (reloads->files, g_strdup (file));
  g_array_append_val (reloads->applied, applied);
}

static void
reloads_watch (Reloads   *reloads,
               McTestEnv *env)
{
  reloads->files = g_ptr_array_new_with_free_func (g_free);
  reloads->applied = g_array_new (FALSE, FALSE, sizeof (gboolean));
  reloads->subscription = g_dbus_connection_signal_subscribe (env->connection, NULL, BROKER_IFACE,
                                                              "PolicyReloaded", BROKER_PATH, NULL,
                                                              G_DBUS_SIGNAL_FLAGS_NONE, on_policy_reloaded,
                                                              reloads, NULL);
}

static void
reloads_clear (Reloads   *reloads,
               McTestEnv *env)
{
  g_dbus_connection_signal_unsubscribe (env->connection, reloads->subscription);
  g_ptr_array_unref (reloads->files);
  g_array_unref (reloads->applied);
}

typedef struct
{
  Reloads    *reloads;
  guint       from;
  const char *file;
  gboolean    applied;
} ReloadWait;

static gboolean
has_reload (gpointer user_data)
{
  ReloadWait *wait = user_data;

  for (guint i = wait->from; i < wait->reloads->applied->len; i++)
    if (g_str_equal (g_ptr_array_index (wait->reloads->files, i), wait->file) &&
        g_array_index (wait->reloads->applied, gboolean, i) == wait->applied)
      return TRUE;
  return FALSE;
}

/* Waits for the daemon to say it read @path (@applied) or refused it
 * (!@applied), in a signal after the first @from. */
static void
wait_reload (Reloads    *reloads,
             guint       from,
             const char *path,
             gboolean    applied)
{
  ReloadWait wait = { reloads, from, path, applied };

  mc_test_wait_until (has_reload, &wait, applied ? "the policy to be reloaded" : "the policy to be refused");
}

/* Writes @contents to @path and waits for the daemon to say it read it
 * (@applied) or refused it (!@applied). */
static void
change_policy (Reloads    *reloads,
               const char *path,
               const char *contents,
               gboolean    applied)
{
  guint from = reloads->applied->len;

  mc_test_write_file (path, contents);
  wait_reload (reloads, from, path, applied);
}

/* Runs caller-probe as the Flatpak app @app_id (a verified caller);
 * returns the line it printed. */
static char *
run_flatpak_probe (McTestEnv  *env,
                   const char *app_id,
                   const char *command,
                   const char *argument)
{
  g_autofree char *probe = g_test_build_filename (G_TEST_BUILT, "caller-probe", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char line[256] = { 0 };
  gsize n_read = 0;

  process = mc_test_env_spawn_in_flatpak (env, app_id, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                          probe, env->bus_address, command, argument, NULL);
  g_assert_no_error (error);
  mc_test_wait_subprocess (process);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  /* One short line: the pipe held it while the probe ran. */
  g_input_stream_read_all (g_subprocess_get_stdout_pipe (process), line, sizeof line - 1, &n_read, NULL, &error);
  g_assert_no_error (error);
  return g_strstrip (g_strdup (line));
}

/* URLs {{{1 */

/* The rules of the audit log's policy-blocked records, oldest first,
 * after checking that the chain is intact and that no record holds
 * @secret (a URL's query, say). */
static char *
audited_blocks (McTestEnv  *env,
                const char *secret)
{
  g_autofree char *dir = g_build_filename (env->dir, "state", "mcp-consent", NULL);
  g_auto(McAuditChainState) state = { 0 };
  g_autoptr(GPtrArray) entries = mc_test_audit_read (dir, &state);
  g_autoptr(GString) rules = g_string_new (NULL);

  g_assert_true (state.intact);
  for (guint i = 0; i < entries->len; i++)
    {
      const McAuditEntry *entry = g_ptr_array_index (entries, i);

      for (guint f = 0; secret != NULL && f < entry->fields->len; f++)
        {
          const McAuditField *field = &g_array_index (entry->fields, McAuditField, f);

          g_assert_true (field->string == NULL || strstr (field->string, secret) == NULL);
        }
      if (!g_str_equal (entry->kind, "policy-blocked"))
        continue;
      if (rules->len > 0)
        g_string_append_c (rules, ' ');
      g_string_append (rules, mc_audit_entry_get_string (entry, "rule"));
    }
  return g_string_free (g_steal_pointer (&rules), FALSE);
}

static void
test_blocked_domains (void)
{
  g_autoptr(McTestEnv) env = env_with_policy ("[policy]\nblocked-domains = evil.com bücher.de\n", NULL, "open\n");
  g_autoptr(McTestClient) client = mc_test_client_new (env);
  g_autoptr(GError) error = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *out = NULL;
  g_autofree char *audited = NULL;
  const char *blocked[] = { "https://evil.com/", "https://login.evil.com/a?b=c", "https://xn--bcher-kva.de/",
                            "https://shop.bücher.de/" };

  for (gsize i = 0; i < G_N_ELEMENTS (blocked); i++)
    {
      g_autofree char *refused = NULL;

      g_test_message ("%s", blocked[i]);
      g_assert_true (policy_blocks (client, blocked[i]));
      refused = elicit (client, blocked[i], &error);
      g_assert_null (refused);
      g_assert_error (error, MC_ERROR, MC_ERROR_URL_BLOCKED);
      g_assert_nonnull (strstr (error->message, "administrator’s policy"));
      g_clear_error (&error);
    }
  assert_nothing_shown_or_opened (env);
  /* Each refusal in the audit log, the URL without its query. */
  audited = audited_blocks (env, "b=c");
  g_assert_cmpstr (audited, ==, "blocked-domains blocked-domains blocked-domains blocked-domains");

  g_assert_false (policy_blocks (client, "https://notevil.com/"));
  g_assert_false (policy_blocks (client, "https://example.com/"));

  /* The command line agrees, without the daemon. */
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "check-url", "https://login.evil.com/", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "{\"risk\":\"blocked\",\"host\":\"login.evil.com\",\"host_ascii\":\"login.evil.com\","
                   "\"registrable_domain\":\"evil.com\",\"flags\":[\"policy\"]}\n");

  /* Elsewhere, the dialog as usual. */
  handle = elicit (client, "https://example.com/login", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mc_test_client_wait_response (client, handle, NULL), ==, 0);
}

static void
test_allow_list (void)
{
  g_autoptr(McTestEnv) env = env_with_policy ("[policy]\nallowed-domains = example.com\n", NULL, "open\n");
  g_autoptr(McTestClient) client = mc_test_client_new (env);
  g_autoptr(GError) error = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *browser = NULL;
  g_autofree char *audited = NULL;

  g_assert_false (policy_blocks (client, "https://example.com/"));
  g_assert_false (policy_blocks (client, "https://docs.example.com/"));
  g_assert_true (policy_blocks (client, "https://example.org/"));
  g_assert_true (policy_blocks (client, "https://93.184.216.34/"));
  g_assert_true (policy_blocks (client, "http://localhost:8080/"));

  refused = elicit (client, "https://example.org/", &error);
  g_assert_error (error, MC_ERROR, MC_ERROR_URL_BLOCKED);
  assert_nothing_shown_or_opened (env);
  g_clear_error (&error);
  audited = audited_blocks (env, NULL);
  g_assert_cmpstr (audited, ==, "allowed-domains");

  handle = elicit (client, "https://docs.example.com/start", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mc_test_client_wait_response (client, handle, NULL), ==, 0);
  browser = mc_test_env_wait_browser (env);
  g_assert_cmpstr (browser, ==, "https://docs.example.com/start\n");
}

/* Callers and "always allow" {{{1 */

static void
test_only_verified_callers (void)
{
  g_autoptr(McTestEnv) env = env_with_policy ("[policy]\nonly-verified-callers = true\n", NULL, "open\n");
  g_autoptr(McTestClient) client = mc_test_client_new (env);
  g_autoptr(GError) error = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *probe = NULL;
  g_autofree char *audited = NULL;

  /* The test is a host program the broker cannot identify. */
  refused = elicit (client, "https://example.com/", &error);
  g_assert_error (error, MC_ERROR, MC_ERROR_POLICY_DENIED);
  g_assert_nonnull (strstr (error->message, "administrator’s policy accepts only apps"));
  assert_nothing_shown_or_opened (env);
  audited = audited_blocks (env, NULL);
  g_assert_cmpstr (audited, ==, "only-verified-callers");

  /* An app in a Flatpak is verified, and asked. */
  probe = run_flatpak_probe (env, "org.example.Agent", "elicit", "https://example.com/");
  g_assert_cmpstr (probe, ==, "response 0");
  g_assert_cmpuint (mc_test_env_count_records (env), >=, 1);
}

static void
test_no_always_allow (void)
{
  g_autoptr(McTestEnv) env = env_with_policy ("[policy]\nalways-allow = false\n", NULL,
                                              "open-always\nopen-always\n");
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *out = NULL;

  one = run_flatpak_probe (env, "org.example.Agent", "elicit", "https://auth.example.com/one");
  g_assert_cmpstr (one, ==, "response 0");
  first = mc_test_env_wait_event (env, "prompt", NULL, 0);
  g_assert_false (json_object_get_boolean_member (first, "can_remember"));
  g_assert_true (json_object_get_boolean_member (first, "policy_no_always_allow"));

  /* Answered "always" anyway: nothing was remembered, the dialog asks. */
  two = run_flatpak_probe (env, "org.example.Agent", "elicit", "https://auth.example.com/two");
  g_assert_cmpstr (two, ==, "response 0");
  second = mc_test_env_wait_event (env, "prompt", NULL, 1);
  g_assert_cmpstr (json_object_get_string_member (second, "url"), ==, "https://auth.example.com/two");
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "remembered", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "");
}

/* Files: precedence, reloads, malformed {{{1 */

static void
test_user_cannot_loosen (void)
{
  g_autoptr(McTestEnv) env = env_with_policy ("[policy]\n"
                                              "blocked-domains = evil.com\n"
                                              "allowed-domains = example.com example.org evil.com\n"
                                              "only-verified-callers = false\n",
                                              "[policy]\n"
                                              "# tries to loosen, and tightens\n"
                                              "allowed-domains = example.com evil.com example.net\n"
                                              "only-verified-callers = true\n",
                                              NULL);
  g_autoptr(McTestClient) client = mc_test_client_new (env);
  g_autoptr(GError) error = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *out = NULL;
  g_autofree char *admin = admin_path (env);
  g_autofree char *user = user_path (env);
  g_autofree char *expected = NULL;

  g_assert_true (policy_blocks (client, "https://evil.com/"));
  g_assert_true (policy_blocks (client, "https://example.net/"));
  g_assert_true (policy_blocks (client, "https://example.org/"));
  g_assert_false (policy_blocks (client, "https://example.com/"));
  refused = elicit (client, "https://example.com/", &error);
  g_assert_error (error, MC_ERROR, MC_ERROR_POLICY_DENIED);

  /* Where each line comes from. */
  g_assert_cmpint (mc_test_env_run_cli (env, &out, NULL, "policy", NULL), ==, 0);
  expected = g_strdup_printf ("[policy]\n"
                              "blocked-domains = evil.com               # %s:2\n"
                              "allowed-domains = example.com            # %s:3, %s:3\n"
                              "allowed-domains = evil.com               # %s:3, %s:3\n"
                              "always-allow = true                      # default\n"
                              "only-verified-callers = true             # %s:4\n"
                              "# max-grant-lifetime = (none)            # default\n"
                              "never-grant-scopes =                     # default\n",
                              admin, admin, user, admin, user, user);
  g_assert_cmpstr (out, ==, expected);
}

static void
test_reload_and_malformed (void)
{
  g_autoptr(McTestEnv) env = env_with_policy ("[policy]\nblocked-domains = evil.com\n", NULL, NULL);
  g_autoptr(McTestClient) client = mc_test_client_new (env);
  g_autofree char *admin = admin_path (env);
  g_autofree char *user = user_path (env);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected_error = NULL;
  Reloads reloads;

  reloads_watch (&reloads, env);
  g_assert_true (policy_blocks (client, "https://evil.com/"));

  change_policy (&reloads, admin, "[policy]\nblocked-domains = example.org\n", TRUE);
  g_assert_false (policy_blocks (client, "https://evil.com/"));
  g_assert_true (policy_blocks (client, "https://example.org/"));

  /* Malformed: the last good policy stays. */
  change_policy (&reloads, admin, "[policy]\nblocked-domains = example.org\nblocked-domains = www.example.net\n",
                 FALSE);
  g_assert_true (policy_blocks (client, "https://example.org/"));
  g_assert_false (policy_blocks (client, "https://example.net/"));

  /* The command line says what is wrong, where. */
  g_assert_cmpint (mc_test_env_run_cli (env, &out, &err, "policy", NULL), ==, 4);
  expected_error = g_strdup_printf ("mcp-consent: Malformed policy file: %s:3: “www.example.net” is not a "
                                    "registrable domain; write “example.net”, which covers it\n", admin);
  g_assert_true (g_str_has_prefix (err, expected_error));

  /* Fixed: applies at once.  A user file appearing, in a directory that
   * did not exist when the daemon started, applies too. */
  change_policy (&reloads, admin, "[policy]\nblocked-domains = example.net\n", TRUE);
  g_assert_true (policy_blocks (client, "https://example.net/"));
  g_assert_false (policy_blocks (client, "https://example.org/"));
  change_policy (&reloads, user, "[policy]\nblocked-domains = example.org\n", TRUE);
  g_assert_true (policy_blocks (client, "https://example.net/"));
  g_assert_true (policy_blocks (client, "https://example.org/"));

  reloads_clear (&reloads, env);
}

/* Writes @contents into @path in place, in two writes, as a shell's
 * redirection or an editor that does not replace files does. */
static void
write_in_place (const char *path,
                const char *contents)
{
  FILE *stream = fopen (path, "w");
  gsize half = strlen (contents) / 2;

  g_assert_nonnull (stream);
  g_assert_cmpuint (fwrite (contents, 1, half, stream), ==, half);
  g_assert_cmpint (fflush (stream), ==, 0);
  g_assert_cmpuint (fwrite (contents + half, 1, strlen (contents) - half, stream), ==, strlen (contents) - half);
  g_assert_cmpint (fclose (stream), ==, 0);
}

/* Every way an admin changes the files while the daemon runs: written in
 * place, deleted, its directory removed, a directory with the file in it
 * moved into place.  (Replacing by rename is how mc_test_write_file()
 * writes, in the other tests.) */
static void
test_reload_edits (void)
{
  g_autoptr(McTestEnv) env = env_with_policy ("[policy]\nblocked-domains = evil.com\n", NULL, NULL);
  g_autoptr(McTestClient) client = mc_test_client_new (env);
  g_autofree char *admin = admin_path (env);
  g_autofree char *user = user_path (env);
  g_autofree char *user_dir = g_path_get_dirname (user);
  g_autofree char *staging = g_build_filename (env->dir, "staging", NULL);
  g_autofree char *staged = g_build_filename (staging, "policy.ini", NULL);
  Reloads reloads;
  guint from = 0;

  reloads_watch (&reloads, env);

  from = reloads.applied->len;
  write_in_place (admin, "[policy]\nblocked-domains = example.org\n");
  wait_reload (&reloads, from, admin, TRUE);
  g_assert_false (policy_blocks (client, "https://evil.com/"));
  g_assert_true (policy_blocks (client, "https://example.org/"));

  /* Deleted: it no longer applies. */
  from = reloads.applied->len;
  g_assert_cmpint (g_remove (admin), ==, 0);
  wait_reload (&reloads, from, admin, TRUE);
  g_assert_false (policy_blocks (client, "https://example.org/"));

  /* The user's file and its directory appear, go, and come back as a
   * directory moved into place with the file in it. */
  change_policy (&reloads, user, "[policy]\nblocked-domains = example.net\n", TRUE);
  g_assert_true (policy_blocks (client, "https://example.net/"));
  from = reloads.applied->len;
  g_assert_cmpint (g_remove (user), ==, 0);
  g_assert_cmpint (g_rmdir (user_dir), ==, 0);
  wait_reload (&reloads, from, user, TRUE);
  g_assert_false (policy_blocks (client, "https://example.net/"));

  mc_test_write_file (staged, "[policy]\nblocked-domains = example.com\n");
  from = reloads.applied->len;
  g_assert_cmpint (g_rename (staging, user_dir), ==, 0);
  wait_reload (&reloads, from, user, TRUE);
  g_assert_true (policy_blocks (client, "https://example.com/"));

  reloads_clear (&reloads, env);
}

static void
test_malformed_at_start_is_strictest (void)
{
  g_autoptr(McTestEnv) env = env_with_policy ("[policy]\nalways-allow = maybe\n", NULL, NULL);
  g_autoptr(McTestClient) client = mc_test_client_new (env);
  g_autoptr(GError) error = NULL;
  g_autofree char *refused = NULL;

  /* No last good policy: the strictest default, never none. */
  g_assert_true (policy_blocks (client, "https://example.com/"));
  refused = elicit (client, "https://example.com/", &error);
  g_assert_nonnull (error);
  g_assert_true (g_error_matches (error, MC_ERROR, MC_ERROR_URL_BLOCKED));
  assert_nothing_shown_or_opened (env);
}

/* Authorization and tokens {{{1 */

static void
test_authorization_server_outside_allow_list (void)
{
  g_autoptr(McTestOAuth) fixture = oauth_with_policy (NULL, "[policy]\nallowed-domains = example.com\n");
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *audited = NULL;

  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, &results), ==, 2);
  g_assert_cmpstr (mc_test_oauth_results_string (results, "reason"), ==, "policy");
  g_assert_nonnull (strstr (mc_test_oauth_results_string (results, "message"), "administrator’s policy"));

  /* Before any dialog or browser. */
  assert_nothing_shown_or_opened (fixture->env);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 0);
  audited = audited_blocks (fixture->env, NULL);
  g_assert_cmpstr (audited, ==, "allowed-domains");
}

/* The sign-in page is in a blocked domain (the mock's metadata says so;
 * nothing is ever fetched there). */
static void
test_authorization_endpoint_blocked (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *audited = NULL;

  mc_mock_oauth_options_init (&options);
  options.authorization_endpoint_override = "https://login.evil-corp.com/authorize";
  fixture = oauth_with_policy (&options, "[policy]\nblocked-domains = evil-corp.com\n");

  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, &results), ==, 2);
  g_assert_cmpstr (mc_test_oauth_results_string (results, "reason"), ==, "policy");
  assert_nothing_shown_or_opened (fixture->env);
  audited = audited_blocks (fixture->env, NULL);
  g_assert_cmpstr (audited, ==, "blocked-domains");
}

static void
test_never_grant_scopes (void)
{
  McMockOAuthOptions options;
  const char * const scopes[] = { "files:read", "admin", "files:write", NULL };
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GVariant) grant = NULL;
  g_autoptr(GVariant) grants = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *authorization_url = NULL;
  g_autofree char *callback_url = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree const char **granted = NULL;
  JsonArray *asked = NULL;
  JsonArray *removed = NULL;

  mc_mock_oauth_options_init (&options);
  options.scopes_supported = scopes;
  fixture = oauth_with_policy (&options, "[policy]\nnever-grant-scopes = admin\n");

  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_assert_nonnull (grant_id);
  prompt = mc_test_env_wait_event (fixture->env, "prompt", NULL, 0);
  asked = json_object_get_array_member (prompt, "scopes");
  g_assert_cmpuint (json_array_get_length (asked), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (asked, 0), ==, "files:read");
  g_assert_cmpstr (json_array_get_string_element (asked, 1), ==, "files:write");
  removed = json_object_get_array_member (prompt, "policy_removed_scopes");
  g_assert_cmpuint (json_array_get_length (removed), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (removed, 0), ==, "admin");

  grants = mc_test_oauth_list_grants (fixture);
  grant = g_variant_get_child_value (grants, 0);
  g_assert_true (g_variant_lookup (grant, "scopes", "^a&s", &granted));
  g_assert_false (g_strv_contains (granted, "admin"));

  /* A server that grants it anyway: refused like any escalation. */
  options.extra_scope = "admin";
  mc_mock_oauth_reconfigure (fixture->mock, &options);
  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);
  authorization_url = mc_test_oauth_wait_authorization_url (fixture);
  g_assert_null (strstr (authorization_url, "admin"));
  callback_url = mc_mock_oauth_authorize_in_browser (fixture->mock, authorization_url, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 200);
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, &results), ==, 2);
  g_assert_cmpstr (mc_test_oauth_results_string (results, "reason"), ==, "scope-escalation");
}

typedef struct
{
  McTestOAuth *fixture;
  char        *message;
} ExpiryWait;

static gboolean
token_refused (gpointer user_data)
{
  ExpiryWait *wait = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = mc_test_oauth_get_token (wait->fixture, NULL, FALSE, NULL, &error);

  if (token != NULL)
    return FALSE;
  g_assert_error (error, MC_ERROR, MC_ERROR_NOT_AUTHORIZED);
  g_dbus_error_strip_remote_error (error);
  wait->message = g_strdup (error->message);
  return TRUE;
}

static void
assert_token (McTestOAuth *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
}

/* Every rule that GetToken applies, changed while the grant exists. */
static void
test_get_token (void)
{
  g_autoptr(McTestOAuth) fixture = oauth_with_policy (NULL, "[policy]\n");
  g_autofree char *path = oauth_admin_path ();
  g_autofree char *grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_autofree char *message = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *audited = NULL;
  ExpiryWait wait = { fixture, NULL };
  Reloads reloads;

  g_assert_nonnull (grant_id);
  reloads_watch (&reloads, fixture->env);
  assert_token (fixture);

  /* The lifetime runs out (the shortest one a file can say): a new
   * sign-in is needed, and the message says why. */
  change_policy (&reloads, path, "[policy]\nmax-grant-lifetime = 1s\n", TRUE);
  mc_test_wait_until (token_refused, &wait, "the grant to outlive the policy's lifetime");
  g_assert_nonnull (strstr (wait.message, "older than the 1s the administrator’s policy allows"));
  g_free (wait.message);
  change_policy (&reloads, path, "[policy]\nmax-grant-lifetime = 1h\n", TRUE);
  assert_token (fixture);

  /* A scope the grant has is never to be granted any more. */
  change_policy (&reloads, path, "[policy]\nnever-grant-scopes = mcp:basic\n", TRUE);
  message = mc_test_oauth_get_token_error (fixture, FALSE, MC_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (message, "“mcp:basic”"));
  g_clear_pointer (&message, g_free);

  /* The authorization server is outside the allow-list. */
  change_policy (&reloads, path, "[policy]\nallowed-domains = example.com\n", TRUE);
  message = mc_test_oauth_get_token_error (fixture, FALSE, MC_ERROR_POLICY_DENIED);
  g_assert_nonnull (strstr (message, "does not allow the authorization server"));
  g_clear_pointer (&message, g_free);

  /* Unverified callers: neither tokens nor sign-ins. */
  change_policy (&reloads, path, "[policy]\nonly-verified-callers = true\n", TRUE);
  message = mc_test_oauth_get_token_error (fixture, FALSE, MC_ERROR_POLICY_DENIED);
  g_clear_pointer (&message, g_free);
  {
    g_autoptr(GError) error = NULL;

    refused = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
    g_assert_null (refused);
    g_assert_error (error, MC_ERROR, MC_ERROR_POLICY_DENIED);
  }

  /* And back: the grant was kept all along. */
  change_policy (&reloads, path, "[policy]\n", TRUE);
  assert_token (fixture);

  /* Every refusal was the policy's, and the audit log says which rule
   * (the lifetime's as often as the test asked before it ran out). */
  audited = audited_blocks (fixture->env, NULL);
  g_assert_true (g_str_has_suffix (audited, "max-grant-lifetime never-grant-scopes allowed-domains "
                                            "only-verified-callers only-verified-callers"));
  g_assert_true (g_str_has_prefix (audited, "max-grant-lifetime"));

  reloads_clear (&reloads, fixture->env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/policy-broker/blocked-domains", test_blocked_domains);
  g_test_add_func ("/policy-broker/allow-list", test_allow_list);
  g_test_add_func ("/policy-broker/only-verified-callers", test_only_verified_callers);
  g_test_add_func ("/policy-broker/no-always-allow", test_no_always_allow);
  g_test_add_func ("/policy-broker/user-cannot-loosen", test_user_cannot_loosen);
  g_test_add_func ("/policy-broker/reload-and-malformed", test_reload_and_malformed);
  g_test_add_func ("/policy-broker/reload-edits", test_reload_edits);
  g_test_add_func ("/policy-broker/malformed-at-start", test_malformed_at_start_is_strictest);
  g_test_add_func ("/policy-broker/authorization-server", test_authorization_server_outside_allow_list);
  g_test_add_func ("/policy-broker/authorization-endpoint-blocked", test_authorization_endpoint_blocked);
  g_test_add_func ("/policy-broker/never-grant-scopes", test_never_grant_scopes);
  g_test_add_func ("/policy-broker/get-token", test_get_token);

  return g_test_run ();
}
