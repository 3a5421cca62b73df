/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The audit log of real flows: the daemon built in the tree on a private
 * bus, the scripted dialog, a real gnome-keyring and the mock
 * authorization server.  Every event kind lands with its fields; nothing
 * secret lands anywhere; answers leave only once their record is on disk;
 * a daemon killed mid-flow leaves a log that verifies. */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "mc-audit-reader.h"
#include "mc-error.h"
#include "mc-test-audit.h"
#include "mc-test-oauth.h"

/* Reading the log {{{1 */

static char *
audit_dir (McTestEnv *env)
{
  return g_build_filename (env->dir, "state", "mcp-consent", NULL);
}

/* The log's records, after checking that its chain is intact. */
static GPtrArray *
read_audit (McTestEnv *env)
{
  g_autofree char *dir = audit_dir (env);
  g_auto(McAuditChainState) state = { 0 };
  GPtrArray *entries = mc_test_audit_read (dir, &state);

  if (!state.intact)
    g_error ("The audit log does not verify: %s", state.problem);
  return entries;
}

static char *
read_audit_text (McTestEnv *env)
{
  g_autofree char *dir = audit_dir (env);
  g_autofree char *path = g_build_filename (dir, MC_AUDIT_FILE_NAME, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

static guint
count_kind (GPtrArray  *entries,
            const char *kind)
{
  guint count = 0;

  for (guint i = 0; i < entries->len; i++)
    {
      const McAuditEntry *entry = g_ptr_array_index (entries, i);

      if (g_str_equal (entry->kind, kind))
        count++;
    }
  return count;
}

/* The @nth record of @kind (from 0); fails the test if there is none. */
static const McAuditEntry *
find_kind (GPtrArray  *entries,
           const char *kind,
           guint       nth)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const McAuditEntry *entry = g_ptr_array_index (entries, i);

      if (g_str_equal (entry->kind, kind) && nth-- == 0)
        return entry;
    }
  g_error ("No audit record “%s”", kind);
  return NULL;
}

static const char *
get_string (const McAuditEntry *entry,
            const char         *key)
{
  const char *value = mc_audit_entry_get_string (entry, key);

  if (value == NULL)
    g_error ("Audit record %s has no string “%s”", entry->kind, key);
  return value;
}

static GStrv
get_strv (const McAuditEntry *entry,
          const char         *key)
{
  const McAuditField *field = mc_audit_entry_lookup (entry, key);

  if (field == NULL || field->type != MC_AUDIT_VALUE_STRV)
    g_error ("Audit record %s has no list “%s”", entry->kind, key);
  return field->strv;
}

static gint64
get_int (const McAuditEntry *entry,
         const char         *key)
{
  const McAuditField *field = mc_audit_entry_lookup (entry, key);

  if (field == NULL || field->type != MC_AUDIT_VALUE_INT)
    g_error ("Audit record %s has no integer “%s”", entry->kind, key);
  return field->integer;
}

static int
verify_with_cli (McTestEnv  *env,
                 char      **out_stdout)
{
  g_autofree char *err = NULL;

  return mc_test_env_run_cli (env, out_stdout, &err, "audit", "--verify", NULL);
}

static void
assert_nowhere (McTestEnv  *env,
                const char *what,
                const char *secret)
{
  g_autoptr(GPtrArray) files = NULL;

  g_assert_nonnull (secret);
  files = mc_test_env_find_in_files (env, secret);
  if (files->len > 0)
    g_error ("The %s was found in %s", what, (const char *)g_ptr_array_index (files, 0));
}

/* Sign-in and tokens {{{1 */

/* A whole life of a grant: every event in the log, in order, with its
 * fields, the answers after their records, and no secret in any file. */
static void
test_sign_in_and_tokens (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *authorization_url = NULL;
  g_autofree char *callback_url = NULL;
  g_autofree char *forged_url = NULL;
  g_autofree char *state = NULL;
  g_autofree char *code = NULL;
  g_autofree char *verifier = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *text = NULL;
  g_autofree char *log = NULL;
  g_autofree char *verified = NULL;
  g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GHashTable) exchange = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const McAuditEntry *entry;
  GString *forged = NULL;

  mc_mock_oauth_options_init (&options);
  fixture = mc_test_oauth_new (&options, MC_TEST_ENV_DAEMON_LOG);

  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);
  authorization_url = mc_test_oauth_wait_authorization_url (fixture);
  state = mc_test_oauth_url_param (authorization_url, "state");
  callback_url = mc_mock_oauth_authorize_in_browser (fixture->mock, authorization_url, &error);
  g_assert_no_error (error);
  code = mc_test_oauth_url_param (callback_url, "code");

  /* Someone else knocks at the loopback listener first. */
  forged = g_string_new (callback_url);
  g_string_replace (forged, state, "not-the-state", 1);
  forged_url = g_string_free (forged, FALSE);
  g_assert_cmpuint (mc_mock_oauth_fetch (forged_url, NULL, NULL), ==, 400);

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 200);
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, &results), ==, 0);
  g_assert_true (g_variant_lookup (results, "grant_id", "s", &grant_id));

  /* The Response left after the record of what caused it was written. */
  text = read_audit_text (fixture->env);
  g_assert_nonnull (strstr (text, "\"kind\":\"authorization\""));
  g_assert_nonnull (strstr (text, "\"kind\":\"token-issued\""));
  g_clear_pointer (&text, g_free);

  exchange = mc_mock_oauth_dup_last_params (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  verifier = g_strdup (g_hash_table_lookup (exchange, "code_verifier"));
  g_ptr_array_add (secrets, mc_mock_oauth_dup_last_refresh_token (fixture->mock));

  /* A busy client: one record now, its count later. */
  for (guint i = 0; i < 5; i++)
    {
      g_ptr_array_add (secrets, mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error));
      g_assert_no_error (error);
      if (i == 0)
        {
          text = read_audit_text (fixture->env);
          g_assert_nonnull (strstr (text, "\"kind\":\"token-served\""));
          g_clear_pointer (&text, g_free);
        }
    }
  g_ptr_array_add (secrets, mc_test_oauth_get_token (fixture, NULL, TRUE, NULL, &error));
  g_assert_no_error (error);
  g_ptr_array_add (secrets, mc_mock_oauth_dup_last_refresh_token (fixture->mock));

  reply = mc_test_client_call (fixture->client, "RevokeGrant", g_variant_new ("(s)", grant_id), &error);
  g_assert_no_error (error);
  text = read_audit_text (fixture->env);
  g_assert_nonnull (strstr (text, "\"kind\":\"token-revoked\""));

  /* At exit the open window's count is written. */
  mc_test_env_stop_daemon (fixture->env);
  entries = read_audit (fixture->env);

  entry = find_kind (entries, "prompt-shown", 0);
  g_assert_cmpstr (get_string (entry, "type"), ==, "authorize");
  g_assert_cmpstr (get_string (entry, "app"), ==, "host");
  g_assert_cmpstr (get_string (entry, "resource"), ==, mc_mock_oauth_get_resource_url (fixture->mock));
  g_assert_cmpstr (get_string (entry, "issuer"), ==, mc_mock_oauth_get_issuer (fixture->mock));
  g_assert_cmpstr (get_string (entry, "url"), ==,
                   mc_mock_oauth_get_endpoint_url (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE));
  g_assert_cmpstr (get_string (entry, "risk"), ==, "ok");
  g_assert_cmpstrv (get_strv (entry, "scopes_asked"), ((const char * const[]) { "mcp:basic", NULL }));

  entry = find_kind (entries, "user-decision", 0);
  g_assert_cmpstr (get_string (entry, "decision"), ==, "allow");
  g_assert_cmpstrv (get_strv (entry, "scopes_allowed"), ((const char * const[]) { "mcp:basic", NULL }));

  entry = find_kind (entries, "browser-opened", 0);
  g_assert_cmpstr (get_string (entry, "type"), ==, "authorize");

  entry = find_kind (entries, "listener-rejected", 0);
  g_assert_cmpstr (get_string (entry, "reason"), ==, "wrong state");
  g_assert_cmpint (get_int (entry, "port"), >, 0);

  entry = find_kind (entries, "authorization", 0);
  g_assert_cmpstr (get_string (entry, "result"), ==, "granted");
  g_assert_cmpstr (get_string (entry, "grant"), ==, grant_id);
  g_assert_cmpstrv (get_strv (entry, "scopes_asked"), ((const char * const[]) { "mcp:basic", NULL }));
  g_assert_cmpstrv (get_strv (entry, "scopes_allowed"), ((const char * const[]) { "mcp:basic", NULL }));
  g_assert_cmpstrv (get_strv (entry, "scopes_granted"), ((const char * const[]) { "mcp:basic", NULL }));

  entry = find_kind (entries, "token-issued", 0);
  g_assert_cmpstr (get_string (entry, "grant"), ==, grant_id);
  g_assert_cmpstr (get_string (entry, "issuer"), ==, mc_mock_oauth_get_issuer (fixture->mock));

  /* Six GetToken calls in a minute: the first, and a count of five. */
  g_assert_cmpuint (count_kind (entries, "token-served"), ==, 2);
  entry = find_kind (entries, "token-served", 0);
  g_assert_cmpstr (get_string (entry, "grant"), ==, grant_id);
  g_assert_null (mc_audit_entry_lookup (entry, "count"));
  entry = find_kind (entries, "token-served", 1);
  g_assert_cmpint (get_int (entry, "count"), ==, 5);

  entry = find_kind (entries, "token-refreshed", 0);
  g_assert_cmpstr (get_string (entry, "grant"), ==, grant_id);

  entry = find_kind (entries, "token-revoked", 0);
  g_assert_cmpstr (get_string (entry, "grant"), ==, grant_id);
  g_assert_cmpstr (get_string (entry, "by"), ==, "host");

  /* The same events in the daemon's structured log, by MESSAGE_ID. */
  log = mc_test_env_read_daemon_log (fixture->env);
  g_assert_nonnull (strstr (log, "MESSAGE_ID=e8ad1871189a45f5a08fe5cf31004a37"));  /* prompt-shown */
  g_assert_nonnull (strstr (log, "MESSAGE_ID=7915476d123d41f3b4031701836753c1"));  /* authorization */
  g_assert_nonnull (strstr (log, "MESSAGE_ID=ef1b7c27b0d2427d96203a78ac8aa2cf"));  /* token-served */
  g_assert_nonnull (strstr (log, "MESSAGE_ID=a37ffe6e3e004df2b4a4e7e4ab185b99"));  /* token-revoked */

  /* No code, verifier or state in the audit log or the daemon's log (the
   * browser, which the test plays, saw them); no token in any file. */
  g_clear_pointer (&text, g_free);
  text = read_audit_text (fixture->env);
  g_assert_null (strstr (text, state));
  g_assert_null (strstr (log, state));
  g_assert_null (strstr (text, code));
  g_assert_null (strstr (log, code));
  g_assert_null (strstr (text, verifier));
  g_assert_null (strstr (log, verifier));
  for (guint i = 0; i < secrets->len; i++)
    assert_nowhere (fixture->env, "token", g_ptr_array_index (secrets, i));

  g_assert_cmpint (verify_with_cli (fixture->env, &verified), ==, 0);
  g_assert_nonnull (strstr (verified, "intact"));
}

/* A token with more than the user allowed is refused, and the log says
 * which scopes were too many. */
static void
test_token_refused (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *callback_url = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  const McAuditEntry *entry;

  mc_mock_oauth_options_init (&options);
  options.extra_scope = "admin";
  fixture = mc_test_oauth_new (&options, MC_TEST_ENV_NONE);

  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);
  callback_url = mc_test_oauth_play_browser (fixture);
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, NULL), !=, 0);

  entries = read_audit (fixture->env);
  entry = find_kind (entries, "token-refused", 0);
  g_assert_cmpstr (get_string (entry, "during"), ==, "sign-in");
  g_assert_cmpstr (get_string (entry, "app"), ==, "host");
  g_assert_cmpstrv (get_strv (entry, "scopes_not_allowed"), ((const char * const[]) { "admin", NULL }));
  g_assert_true (mc_audit_entry_lookup (entry, "revoked")->boolean);

  entry = find_kind (entries, "authorization", 0);
  g_assert_cmpstr (get_string (entry, "result"), ==, "failed");
  g_assert_nonnull (strstr (get_string (entry, "message"), "admin"));
  g_assert_cmpuint (count_kind (entries, "token-issued"), ==, 0);
  g_assert_cmpstr (get_string (find_kind (entries, "prompt-ended", 0), "outcome"), ==, "scope-escalation");
}

/* A log that cannot be written (here: a disk that is always full) lets
 * the user's answers through, but not a token. */
static void
test_log_unwritable (void)
{
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *log = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;

  fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_DAEMON_LOG);
  mc_test_env_stop_daemon (fixture->env);
  {
    g_autofree char *dir = audit_dir (fixture->env);
    g_autofree char *path = g_build_filename (dir, MC_AUDIT_FILE_NAME, NULL);

    g_assert_cmpint (g_unlink (path), ==, 0);
    g_assert_cmpint (symlink ("/dev/full", path), ==, 0);
  }
  mc_test_env_start_daemon (fixture->env);

  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_assert_nonnull (grant_id);

  token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_null (token);
  g_assert_error (error, MC_ERROR, MC_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "audit log cannot be written"));

  log = mc_test_env_read_daemon_log (fixture->env);
  g_assert_nonnull (strstr (log, "MESSAGE_ID=4ac105b3f43e4bf8890c587e868f1507"));
}

/* Elicitations and ListAuditEvents {{{1 */

static char *
elicit (McTestClient *client,
        const char   *url)
{
  g_auto(GVariantBuilder) server = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  char *handle = NULL;

  g_variant_builder_add (&server, "{sv}", "name", g_variant_new_string ("Example Files"));
  g_variant_builder_add (&server, "{sv}", "url", g_variant_new_string ("https://mcp.example.com/mcp"));
  reply = mc_test_client_call (client, "ElicitUrl",
                               g_variant_new ("(sa{sv}ssa{sv})", "", &server, url, "Sign in", NULL), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(o)", &handle);
  return handle;
}

static GVariant *
list_events (McTestClient  *client,
             GVariant      *options,
             GVariant     **out_chain,
             GError       **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *events = NULL;

  reply = mc_test_client_call (client, "ListAuditEvents",
                               g_variant_new ("(@a{sv})", options != NULL ? options : g_variant_new ("a{sv}", NULL)),
                               error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(@aa{sv}@a{sv})", &events, out_chain);
  return events;
}

static void
assert_list_refused (McTestClient *client,
                     GVariant     *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) chain = NULL;
  g_autoptr(GVariant) events = list_events (client, options, &chain, &error);

  g_assert_null (events);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
}

static GVariant *
options_of (const char *key,
            GVariant   *value)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&builder, "{sv}", key, value);
  return g_variant_builder_end (&builder);
}

static void
test_elicit_and_list (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_DAEMON_LOG);
  g_autoptr(McTestClient) client = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *declined = NULL;
  g_autofree char *text = NULL;
  g_autofree char *log = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GVariant) events = NULL;
  g_autoptr(GVariant) chain = NULL;
  g_autoptr(GVariant) last = NULL;
  g_autoptr(GError) error = NULL;
  const McAuditEntry *entry;
  const char *url = "https://auth.example.com/connect?code=QUERYSECRET42&state=abc";
  const char *kind = NULL;
  gboolean intact = FALSE;
  guint64 records = 0;

  mc_test_env_set_script (env, "open\ndecline\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  opened = elicit (client, url);
  g_assert_cmpuint (mc_test_client_wait_response (client, opened, NULL), ==, 0);
  declined = elicit (client, "https://auth.example.com/other");
  g_assert_cmpuint (mc_test_client_wait_response (client, declined, NULL), ==, 1);

  /* The answer came after its record. */
  text = read_audit_text (env);
  g_assert_nonnull (strstr (text, "\"outcome\":\"decline\""));

  entries = read_audit (env);
  entry = find_kind (entries, "prompt-shown", 0);
  g_assert_cmpstr (get_string (entry, "type"), ==, "url");
  g_assert_cmpstr (get_string (entry, "server"), ==, "Example Files");
  g_assert_cmpstr (get_string (entry, "server_url"), ==, "https://mcp.example.com/mcp");
  g_assert_cmpstr (get_string (entry, "url"), ==, "https://auth.example.com/connect");
  g_assert_cmpuint (strlen (get_string (entry, "url_sha256")), ==, 64);
  g_assert_cmpstr (get_string (entry, "host"), ==, "auth.example.com");
  g_assert_cmpstr (get_string (entry, "registrable_domain"), ==, "example.com");
  g_assert_cmpstr (get_string (entry, "risk"), ==, "ok");
  g_assert_cmpuint (g_strv_length (get_strv (entry, "flags")), ==, 0);
  g_assert_cmpstr (get_string (find_kind (entries, "user-decision", 0), "decision"), ==, "open");
  g_assert_cmpstr (get_string (find_kind (entries, "browser-opened", 0), "url"), ==,
                   "https://auth.example.com/connect");
  g_assert_cmpstr (get_string (find_kind (entries, "user-decision", 1), "decision"), ==, "decline");
  g_assert_cmpstr (get_string (find_kind (entries, "prompt-ended", 0), "outcome"), ==, "decline");

  /* The URL's query is in neither log (the browser and the dialog, which
   * the test plays, got it in full). */
  log = mc_test_env_read_daemon_log (env);
  g_assert_null (strstr (text, "QUERYSECRET42"));
  g_assert_null (strstr (log, "QUERYSECRET42"));

  /* The manager window's view, newest last. */
  events = list_events (client, NULL, &chain, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (events), ==, entries->len);
  g_assert_true (g_variant_lookup (chain, "intact", "b", &intact));
  g_assert_true (intact);
  g_assert_true (g_variant_lookup (chain, "records", "t", &records));
  g_assert_cmpuint (records, ==, entries->len);
  g_clear_pointer (&events, g_variant_unref);
  g_clear_pointer (&chain, g_variant_unref);

  events = list_events (client, options_of ("limit", g_variant_new_uint32 (2)), &chain, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (events), ==, 2);
  last = g_variant_get_child_value (events, 1);
  g_assert_true (g_variant_lookup (last, "kind", "&s", &kind));
  g_assert_cmpstr (kind, ==, ((const McAuditEntry *)g_ptr_array_index (entries, entries->len - 1))->kind);
  g_clear_pointer (&events, g_variant_unref);
  g_clear_pointer (&chain, g_variant_unref);

  events = list_events (client, options_of ("kinds", g_variant_new_strv ((const char * const[]) { "user-decision", NULL }, -1)),
                        &chain, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (events), ==, 2);

  /* The same discipline as every other method. */
  assert_list_refused (client, options_of ("limit", g_variant_new_string ("10")));
  assert_list_refused (client, options_of ("limit", g_variant_new_uint32 (0)));
  assert_list_refused (client, options_of ("limit", g_variant_new_uint32 (100000)));
  assert_list_refused (client, options_of ("since", g_variant_new_int64 (-1)));
  assert_list_refused (client, options_of ("kinds", g_variant_new_strv ((const char * const[]) { "../etc", NULL }, -1)));
}

/* Crashes {{{1 */

static gboolean
has_prompt_shown (gpointer user_data)
{
  McTestEnv *env = user_data;
  g_autofree char *text = read_audit_text (env);

  return strstr (text, "\"kind\":\"prompt-shown\"") != NULL;
}

/* A daemon killed mid-flow leaves a log that verifies; the next one goes
 * on with the chain. */
static void
test_killed_mid_flow (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_DAEMON_LOG);
  g_autoptr(McTestClient) client = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *again = NULL;
  g_autofree char *verified = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  mc_test_env_set_script (env, "hang\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);
  handle = elicit (client, "https://auth.example.com/connect");
  mc_test_wait_until (has_prompt_shown, env, "the prompt's record");

  g_assert_cmpint (kill ((pid_t)mc_test_env_get_daemon_pid (env), SIGKILL), ==, 0);
  mc_test_env_stop_daemon (env);
  g_assert_cmpint (verify_with_cli (env, &verified), ==, 0);
  g_clear_pointer (&verified, g_free);

  mc_test_env_set_script (env, "decline\n");
  mc_test_env_start_daemon (env);
  g_clear_pointer (&client, mc_test_client_free);
  client = mc_test_client_new (env);
  again = elicit (client, "https://auth.example.com/connect");
  g_assert_cmpuint (mc_test_client_wait_response (client, again, NULL), ==, 1);

  entries = read_audit (env);
  g_assert_cmpuint (count_kind (entries, "prompt-shown"), ==, 2);
  g_assert_cmpint (verify_with_cli (env, &verified), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/audit-flows/sign-in-and-tokens", test_sign_in_and_tokens);
  g_test_add_func ("/audit-flows/token-refused", test_token_refused);
  g_test_add_func ("/audit-flows/log-unwritable", test_log_unwritable);
  g_test_add_func ("/audit-flows/elicit-and-list", test_elicit_and_list);
  g_test_add_func ("/audit-flows/killed-mid-flow", test_killed_mid_flow);

  return g_test_run ();
}
