/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The token store against a real gnome-keyring on a private bus, and with
 * no keyring at all.  The store's code runs in token-store-probe, started
 * in the test's environment; what ends up in the keyring is read from the
 * Secret Service itself, and every file under the test's directory is
 * searched for the secrets. */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "mc-error.h"
#include "mc-test-env.h"

#define SCHEMA "io.github.mcp_consent.Token"
#define RESOURCE "https://mcp.example.com/mcp"
#define ISSUER "https://auth.example.com"
#define CLIENT "mcp-consent-client-1"
#define APP "flatpak:org.example.App"

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
} Communicated;

static void
on_communicated (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communicated *communicated = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source_object), result,
                                        &communicated->out, &communicated->err, &error);
  g_assert_no_error (error);
  communicated->done = TRUE;
}

static gboolean
is_communicated (gpointer user_data)
{
  return ((Communicated *)user_data)->done;
}

/* Runs token-store-probe with @input on stdin; returns its JSON outcome. */
static JsonObject *
probe_v (McTestEnv   *env,
         const char  *input,
         const char **args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) probe = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  Communicated communicated = { FALSE, NULL, NULL };
  JsonObject *outcome = NULL;

  g_ptr_array_add (argv, (char *)mc_test_build_path ("MC_TEST_TOKEN_STORE_PROBE"));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *)args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                            G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                            G_SUBPROCESS_FLAGS_STDERR_PIPE);
  probe = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (probe, input != NULL ? input : "", NULL, on_communicated, &communicated);
  mc_test_wait_until (is_communicated, &communicated, "token-store-probe to finish");
  mc_test_wait_subprocess (probe);

  g_assert_true (g_subprocess_get_if_exited (probe));
  if (g_subprocess_get_exit_status (probe) != 0)
    g_error ("token-store-probe %s exited with status %d:\n%s", args[0],
             g_subprocess_get_exit_status (probe), communicated.err);

  json_parser_load_from_data (parser, communicated.out, -1, &error);
  g_assert_no_error (error);
  outcome = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  g_free (communicated.out);
  g_free (communicated.err);
  return outcome;
}

static void
store (McTestEnv  *env,
       const char *kind,
       const char *resource,
       const char *client,
       const char *app,
       const char *secret)
{
  const char *args[] = { "store", kind, resource, ISSUER, client, app, NULL };
  g_autoptr(JsonObject) outcome = probe_v (env, secret, args);

  if (json_object_has_member (outcome, "error"))
    g_error ("store failed: %s",
             json_object_get_string_member (json_object_get_object_member (outcome, "error"), "message"));
  g_assert_true (json_object_get_boolean_member (outcome, "stored"));
}

static JsonObject *
try_store (McTestEnv  *env,
           const char *secret)
{
  const char *args[] = { "store", "access", RESOURCE, ISSUER, CLIENT, APP, NULL };

  return probe_v (env, secret, args);
}

static JsonObject *
try_lookup (McTestEnv  *env,
            const char *kind,
            const char *resource,
            const char *client,
            const char *app)
{
  const char *args[] = { "lookup", kind, resource, ISSUER, client, app, NULL };

  return probe_v (env, NULL, args);
}

/* The secret found, or NULL when none; fails the test on an error. */
static char *
lookup (McTestEnv  *env,
        const char *kind,
        const char *resource,
        const char *client,
        const char *app)
{
  g_autoptr(JsonObject) outcome = try_lookup (env, kind, resource, client, app);

  if (json_object_has_member (outcome, "error"))
    g_error ("lookup failed: %s",
             json_object_get_string_member (json_object_get_object_member (outcome, "error"), "message"));
  return g_strdup (json_object_get_string_member (outcome, "secret"));
}

static JsonObject *
try_clear (McTestEnv  *env,
           const char *resource,
           const char *client,
           const char *app)
{
  const char *args[] = { "clear", resource, ISSUER, client, app, NULL };

  return probe_v (env, NULL, args);
}

static gint64
clear (McTestEnv  *env,
       const char *resource,
       const char *client,
       const char *app)
{
  g_autoptr(JsonObject) outcome = try_clear (env, resource, client, app);

  if (json_object_has_member (outcome, "error"))
    g_error ("clear failed: %s",
             json_object_get_string_member (json_object_get_object_member (outcome, "error"), "message"));
  return json_object_get_int_member (outcome, "deleted");
}

static void
assert_mc_error (JsonObject *outcome,
                 McError     code,
                 const char *message)
{
  JsonObject *error = NULL;

  g_assert_true (json_object_has_member (outcome, "error"));
  error = json_object_get_object_member (outcome, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "domain"), ==, g_quark_to_string (MC_ERROR));
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), ==, message);
}

/* A token no file could contain by chance. */
static char *
new_secret (const char *what)
{
  g_autofree char *uuid = g_uuid_string_random ();

  return g_strdup_printf ("mc-test-%s-%s", what, uuid);
}

static void
assert_in_no_file (McTestEnv  *env,
                   const char *secret)
{
  g_autoptr(GPtrArray) found = mc_test_env_find_in_files (env, secret);

  for (guint i = 0; i < found->len; i++)
    g_test_message ("%s is in %s", secret, (const char *)g_ptr_array_index (found, i));
  g_assert_cmpuint (found->len, ==, 0);
}

static McTestSecretItem *
find_item (GPtrArray  *items,
           const char *kind)
{
  for (guint i = 0; i < items->len; i++)
    {
      McTestSecretItem *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (g_hash_table_lookup (item->attributes, "kind"), kind) == 0)
        return item;
    }
  return NULL;
}

static void
assert_attributes (McTestSecretItem *item,
                   const char       *resource,
                   const char       *client,
                   const char       *app,
                   const char       *kind)
{
  /* Exactly these, nothing more: attributes are not secret, and anyone
   * can read them. */
  g_assert_cmpuint (g_hash_table_size (item->attributes), ==, 7);
  g_assert_cmpstr (g_hash_table_lookup (item->attributes, "xdg:schema"), ==, SCHEMA);
  g_assert_cmpstr (g_hash_table_lookup (item->attributes, "resource"), ==, resource);
  g_assert_cmpstr (g_hash_table_lookup (item->attributes, "issuer"), ==, ISSUER);
  g_assert_cmpstr (g_hash_table_lookup (item->attributes, "client"), ==, client);
  g_assert_cmpstr (g_hash_table_lookup (item->attributes, "app"), ==, app);
  g_assert_cmpstr (g_hash_table_lookup (item->attributes, "kind"), ==, kind);
  g_assert_cmpstr (g_hash_table_lookup (item->attributes, "generation"), ==, "1");
}

static void
test_round_trip (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_KEYRING | MC_TEST_ENV_NO_BROWSER);
  g_autofree char *access = new_secret ("access");
  g_autofree char *refresh = new_secret ("refresh");
  g_autofree char *access2 = new_secret ("access2");
  g_autofree char *found = NULL;
  g_autoptr(GPtrArray) items = NULL;
  McTestSecretItem *item = NULL;

  store (env, "access", RESOURCE, CLIENT, APP, access);
  store (env, "refresh", RESOURCE, CLIENT, APP, refresh);

  found = lookup (env, "access", RESOURCE, CLIENT, APP);
  g_assert_cmpstr (found, ==, access);
  g_clear_pointer (&found, g_free);
  found = lookup (env, "refresh", RESOURCE, CLIENT, APP);
  g_assert_cmpstr (found, ==, refresh);
  g_clear_pointer (&found, g_free);

  /* Bound to the app, the resource and the client. */
  found = lookup (env, "access", RESOURCE, CLIENT, "flatpak:org.example.Other");
  g_assert_null (found);
  found = lookup (env, "access", "https://other.example.com/mcp", CLIENT, APP);
  g_assert_null (found);
  found = lookup (env, "access", RESOURCE, "another-client", APP);
  g_assert_null (found);
  found = lookup (env, "client-secret", RESOURCE, CLIENT, APP);
  g_assert_null (found);

  /* Storing again replaces: one item per kind and key. */
  store (env, "access", RESOURCE, CLIENT, APP, access2);
  found = lookup (env, "access", RESOURCE, CLIENT, APP);
  g_assert_cmpstr (found, ==, access2);
  g_clear_pointer (&found, g_free);

  items = mc_test_env_list_secret_items (env, SCHEMA);
  g_assert_cmpuint (items->len, ==, 2);
  item = find_item (items, "access");
  g_assert_nonnull (item);
  assert_attributes (item, RESOURCE, CLIENT, APP, "access");
  g_assert_cmpstr (item->label, ==, "MCP Consent: access token for " RESOURCE " (org.example.App)");
  item = find_item (items, "refresh");
  g_assert_nonnull (item);
  assert_attributes (item, RESOURCE, CLIENT, APP, "refresh");
  g_assert_cmpstr (item->label, ==, "MCP Consent: refresh token for " RESOURCE " (org.example.App)");
  g_clear_pointer (&items, g_ptr_array_unref);

  /* Nowhere in clear: not in the keyring's file, not in any log. */
  assert_in_no_file (env, access);
  assert_in_no_file (env, access2);
  assert_in_no_file (env, refresh);

  /* Clearing another app's grant leaves this one alone. */
  g_assert_cmpint (clear (env, RESOURCE, CLIENT, "flatpak:org.example.Other"), ==, 0);
  g_assert_cmpint (clear (env, RESOURCE, CLIENT, APP), ==, 2);
  found = lookup (env, "access", RESOURCE, CLIENT, APP);
  g_assert_null (found);
  g_assert_cmpint (clear (env, RESOURCE, CLIENT, APP), ==, 0);
  items = mc_test_env_list_secret_items (env, SCHEMA);
  g_assert_cmpuint (items->len, ==, 0);

  /* What gnome-keyring wrote when it stopped. */
  mc_test_env_stop_keyring (env);
  assert_in_no_file (env, access);
  assert_in_no_file (env, refresh);
}

static void
test_client_secret (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_KEYRING | MC_TEST_ENV_NO_BROWSER);
  g_autofree char *secret = new_secret ("client-secret");
  g_autofree char *access = new_secret ("access");
  g_autofree char *found = NULL;
  g_autoptr(GPtrArray) items = NULL;
  McTestSecretItem *item = NULL;

  /* Kept per issuer and client, for every app and resource. */
  store (env, "client-secret", "", CLIENT, "", secret);
  store (env, "access", RESOURCE, CLIENT, APP, access);
  found = lookup (env, "client-secret", "", CLIENT, "");
  g_assert_cmpstr (found, ==, secret);
  g_clear_pointer (&found, g_free);

  items = mc_test_env_list_secret_items (env, SCHEMA);
  g_assert_cmpuint (items->len, ==, 2);
  item = find_item (items, "client-secret");
  g_assert_nonnull (item);
  assert_attributes (item, "", CLIENT, "", "client-secret");
  g_assert_cmpstr (item->label, ==, "MCP Consent: client secret of " CLIENT " at " ISSUER);
  assert_in_no_file (env, secret);

  /* Clearing a grant does not take the client's secret with it. */
  g_assert_cmpint (clear (env, RESOURCE, CLIENT, APP), ==, 1);
  found = lookup (env, "client-secret", "", CLIENT, "");
  g_assert_cmpstr (found, ==, secret);
  g_assert_cmpint (clear (env, "", CLIENT, ""), ==, 1);
}

static void
test_locked (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_KEYRING | MC_TEST_ENV_NO_BROWSER);
  g_autofree char *access = new_secret ("access");
  g_autoptr(JsonObject) outcome = NULL;
  g_autoptr(GPtrArray) items = NULL;

  store (env, "access", RESOURCE, CLIENT, APP, access);
  store (env, "refresh", RESOURCE, CLIENT, APP, access);
  mc_test_env_lock_keyring (env);
  mc_test_env_tolerate_libsecret_unlock_leaks (env);

  /* libsecret answers "no such item" here; the store tells locked. */
  outcome = try_lookup (env, "access", RESOURCE, CLIENT, APP);
  assert_mc_error (outcome, MC_ERROR_KEYRING_LOCKED, "The keyring is locked; unlock it and try again");
  g_clear_pointer (&outcome, json_object_unref);
  /* Also for a key with no item: while locked, nobody can tell. */
  outcome = try_lookup (env, "access", RESOURCE, CLIENT, "flatpak:org.example.Other");
  assert_mc_error (outcome, MC_ERROR_KEYRING_LOCKED, "The keyring is locked; unlock it and try again");
  g_clear_pointer (&outcome, json_object_unref);

  outcome = try_store (env, "another");
  assert_mc_error (outcome, MC_ERROR_KEYRING_LOCKED, "The keyring is locked; unlock it and try again");
  g_clear_pointer (&outcome, json_object_unref);

  /* libsecret's clear skips locked items silently; ours refuses, and
   * deletes nothing. */
  outcome = try_clear (env, RESOURCE, CLIENT, APP);
  assert_mc_error (outcome, MC_ERROR_KEYRING_LOCKED, "The keyring is locked; unlock it and try again");
  items = mc_test_env_list_secret_items (env, SCHEMA);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_true (((McTestSecretItem *)g_ptr_array_index (items, 0))->locked);
}

static void
test_locked_at_start (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_KEYRING | MC_TEST_ENV_NO_BROWSER);
  g_autofree char *access = new_secret ("access");
  g_autofree char *found = NULL;
  g_autoptr(JsonObject) outcome = NULL;
  g_autoptr(GPtrArray) items = NULL;

  store (env, "access", RESOURCE, CLIENT, APP, access);

  /* As after a login that did not unlock the keyring: the service shows
   * no items of a collection locked since it started. */
  mc_test_env_stop_keyring (env);
  mc_test_env_start_keyring (env, FALSE);
  mc_test_env_tolerate_libsecret_unlock_leaks (env);
  items = mc_test_env_list_secret_items (env, SCHEMA);
  g_assert_cmpuint (items->len, ==, 0);

  outcome = try_lookup (env, "access", RESOURCE, CLIENT, APP);
  assert_mc_error (outcome, MC_ERROR_KEYRING_LOCKED, "The keyring is locked; unlock it and try again");
  g_clear_pointer (&outcome, json_object_unref);
  outcome = try_store (env, "another");
  assert_mc_error (outcome, MC_ERROR_KEYRING_LOCKED, "The keyring is locked; unlock it and try again");
  g_clear_pointer (&outcome, json_object_unref);
  outcome = try_clear (env, RESOURCE, CLIENT, APP);
  assert_mc_error (outcome, MC_ERROR_KEYRING_LOCKED, "The keyring is locked; unlock it and try again");

  /* Unlocked again with the password, the token is still there. */
  mc_test_env_stop_keyring (env);
  mc_test_env_start_keyring (env, TRUE);
  found = lookup (env, "access", RESOURCE, CLIENT, APP);
  g_assert_cmpstr (found, ==, access);
  assert_in_no_file (env, access);
}

static void
test_no_default_keyring (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER);
  g_autoptr(JsonObject) outcome = NULL;
  g_autofree char *found = NULL;

  /* A fresh gnome-keyring that was never unlocked has no login keyring,
   * and needs a prompt to create one. */
  mc_test_env_start_keyring (env, FALSE);
  mc_test_env_tolerate_libsecret_unlock_leaks (env);

  outcome = try_store (env, "a-token");
  assert_mc_error (outcome, MC_ERROR_KEYRING_UNAVAILABLE,
                   "There is no default keyring to keep tokens in, and none could be created");
  found = lookup (env, "access", RESOURCE, CLIENT, APP);
  g_assert_null (found);
  g_assert_cmpint (clear (env, RESOURCE, CLIENT, APP), ==, 0);
  assert_in_no_file (env, "a-token");
}

static void
assert_unavailable (McTestEnv *env)
{
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) looked_up = NULL;
  g_autoptr(JsonObject) cleared = NULL;
  const char *message = "No keyring is available to keep tokens in: the Secret Service "
                        "(such as GNOME Keyring) is not running or does not answer";

  stored = try_store (env, "a-token-with-nowhere-to-go");
  assert_mc_error (stored, MC_ERROR_KEYRING_UNAVAILABLE, message);
  looked_up = try_lookup (env, "access", RESOURCE, CLIENT, APP);
  assert_mc_error (looked_up, MC_ERROR_KEYRING_UNAVAILABLE, message);
  cleared = try_clear (env, RESOURCE, CLIENT, APP);
  assert_mc_error (cleared, MC_ERROR_KEYRING_UNAVAILABLE, message);

  /* Never a file instead. */
  assert_in_no_file (env, "a-token-with-nowhere-to-go");
}

static void
test_no_service (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER);

  /* The bus has no service files: nothing owns or activates
   * org.freedesktop.secrets. */
  assert_unavailable (env);
}

static void
test_no_bus (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER);
  g_autofree char *nowhere = g_build_filename (env->dir, "no-bus-here", NULL);
  g_autofree char *address = g_strconcat ("unix:path=", nowhere, NULL);

  mc_test_env_setenv (env, "DBUS_SESSION_BUS_ADDRESS", address);
  assert_unavailable (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/token-store/round-trip", test_round_trip);
  g_test_add_func ("/token-store/client-secret", test_client_secret);
  g_test_add_func ("/token-store/locked", test_locked);
  g_test_add_func ("/token-store/locked-at-start", test_locked_at_start);
  g_test_add_func ("/token-store/no-default-keyring", test_no_default_keyring);
  g_test_add_func ("/token-store/no-service", test_no_service);
  g_test_add_func ("/token-store/no-bus", test_no_bus);

  return g_test_run ();
}
