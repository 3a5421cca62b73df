/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gstdio.h>

#include "mc-grant-store.h"
#include "mc-grant-store-private.h"

static char *
state_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "mcp-consent", "grants.json", NULL);
}

typedef struct
{
  guint     done;
  gboolean  ok;
} Saved;

static void
on_saved (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Saved *saved = user_data;
  g_autoptr(GError) error = NULL;

  saved->ok = mc_grant_store_save_finish (MC_GRANT_STORE (source_object), result, &error);
  g_assert_no_error (error);
  saved->done++;
}

static void
wait_saved (Saved *saved,
            guint  count)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (saved->done < count)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
save_and_wait (McGrantStore *store)
{
  Saved saved = { 0, FALSE };

  mc_grant_store_save_async (store, NULL, on_saved, &saved);
  wait_saved (&saved, 1);
  g_assert_true (saved.ok);
}

static void
set_string (char       **field,
            const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static McGrant *
new_grant (const char *app,
           const char *resource)
{
  McGrant *grant = mc_grant_new ();
  const char * const scopes[] = { "files:read", "files:write", NULL };

  grant->app = g_strdup (app);
  grant->app_id = g_str_has_prefix (app, "flatpak:") ? g_strdup (app + strlen ("flatpak:")) : NULL;
  grant->resource = g_strdup (resource);
  grant->issuer = g_strdup ("https://auth.example.com");
  grant->client_id = g_strdup ("client-1");
  grant->auth_method = g_strdup ("none");
  grant->token_endpoint = g_strdup ("https://auth.example.com/token");
  grant->revocation_endpoint = g_strdup ("https://auth.example.com/revoke");
  grant->scopes = g_strdupv ((char **)scopes);
  grant->created = 1700000000;
  grant->last_used = 1700000100;
  grant->expires_at = 1700003600;
  grant->has_refresh_token = TRUE;
  return grant;
}

static void
assert_grants_equal (const McGrant *a,
                     const McGrant *b)
{
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpstr (a->app, ==, b->app);
  g_assert_cmpstr (a->app_id, ==, b->app_id);
  g_assert_cmpstr (a->resource, ==, b->resource);
  g_assert_cmpstr (a->issuer, ==, b->issuer);
  g_assert_cmpstr (a->client_id, ==, b->client_id);
  g_assert_cmpstr (a->auth_method, ==, b->auth_method);
  g_assert_cmpstr (a->token_endpoint, ==, b->token_endpoint);
  g_assert_cmpstr (a->revocation_endpoint, ==, b->revocation_endpoint);
  g_assert_true (g_strv_equal ((const char * const *)a->scopes, (const char * const *)b->scopes));
  g_assert_cmpint (a->created, ==, b->created);
  g_assert_cmpint (a->last_used, ==, b->last_used);
  g_assert_cmpint (a->expires_at, ==, b->expires_at);
  g_assert_cmpint (a->has_refresh_token, ==, b->has_refresh_token);
  g_assert_cmpint (a->needs_sign_in, ==, b->needs_sign_in);
}

static void
test_round_trip (void)
{
  g_autofree char *path = state_path ();
  g_autoptr(McGrantStore) first = mc_grant_store_new (path);
  g_autoptr(McGrantStore) second = NULL;
  g_autoptr(McGrant) kept = NULL;
  g_autoptr(McGrant) found = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) mine = NULL;
  McGrant *put = NULL;
  McGrant *host = NULL;
  GStatBuf buf;

  put = mc_grant_store_put (first, new_grant ("flatpak:org.example.App", "https://mcp.example.com/mcp"));
  g_assert_nonnull (put);
  /* Ids are made for D-Bus and object paths: no dashes. */
  g_assert_nonnull (put->id);
  g_assert_null (strchr (put->id, '-'));
  kept = mc_grant_copy (put);
  host = new_grant ("host", "https://files.example.org/mcp");
  g_clear_pointer (&host->revocation_endpoint, g_free);
  g_clear_pointer (&host->scopes, g_strfreev);
  host->needs_sign_in = TRUE;
  set_string (&host->auth_method, "client_secret_basic");
  mc_grant_store_put (first, host);
  save_and_wait (first);

  /* Private to the user: it says which apps use which servers. */
  g_assert_cmpint (g_stat (path, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);

  second = mc_grant_store_new (path);
  g_assert_cmpuint (mc_grant_store_get_n_grants (second), ==, 2);
  found = mc_grant_store_find (second, "flatpak:org.example.App", "https://mcp.example.com/mcp");
  g_assert_nonnull (found);
  assert_grants_equal (found, kept);
  g_clear_pointer (&found, mc_grant_free);
  found = mc_grant_store_lookup (second, kept->id);
  assert_grants_equal (found, kept);
  g_clear_pointer (&found, mc_grant_free);

  /* Bound to the app and the server. */
  g_assert_null (mc_grant_store_find (second, "flatpak:org.example.Other", "https://mcp.example.com/mcp"));
  g_assert_null (mc_grant_store_find (second, "flatpak:org.example.App", "https://files.example.org/mcp"));

  found = mc_grant_store_find (second, "host", "https://files.example.org/mcp");
  g_assert_nonnull (found);
  g_assert_null (found->revocation_endpoint);
  g_assert_nonnull (found->scopes);
  g_assert_cmpuint (g_strv_length (found->scopes), ==, 0);
  g_assert_true (found->needs_sign_in);

  all = mc_grant_store_list (second, NULL);
  g_assert_cmpuint (all->len, ==, 2);
  mine = mc_grant_store_list (second, "host");
  g_assert_cmpuint (mine->len, ==, 1);
  g_assert_cmpstr (((McGrant *)g_ptr_array_index (mine, 0))->resource, ==, "https://files.example.org/mcp");
}

static void
test_put_replaces (void)
{
  g_autofree char *path = state_path ();
  g_autoptr(McGrantStore) store = mc_grant_store_new (path);
  g_autoptr(McGrant) changed = NULL;
  g_autoptr(McGrant) found = NULL;
  g_autofree char *first_id = NULL;
  McGrant *put = NULL;

  put = mc_grant_store_put (store, new_grant ("host", "https://mcp.example.com/mcp"));
  first_id = g_strdup (put->id);

  /* A new authorization for the same app and server replaces the grant. */
  put = mc_grant_store_put (store, new_grant ("host", "https://mcp.example.com/mcp"));
  g_assert_cmpstr (put->id, !=, first_id);
  g_assert_cmpuint (mc_grant_store_get_n_grants (store), ==, 1);
  g_assert_null (mc_grant_store_lookup (store, first_id));

  /* Changing a grant: put a changed copy, same id. */
  changed = mc_grant_copy (put);
  changed->last_used = 1800000000;
  changed->needs_sign_in = TRUE;
  put = mc_grant_store_put (store, g_steal_pointer (&changed));
  g_assert_cmpuint (mc_grant_store_get_n_grants (store), ==, 1);
  found = mc_grant_store_lookup (store, put->id);
  g_assert_cmpint (found->last_used, ==, 1800000000);
  g_assert_true (found->needs_sign_in);

  /* put's result is the store's, and gone with the grant. */
  g_free (first_id);
  first_id = g_strdup (put->id);
  g_assert_true (mc_grant_store_remove (store, first_id));
  g_assert_false (mc_grant_store_remove (store, first_id));
  g_assert_cmpuint (mc_grant_store_get_n_grants (store), ==, 0);
}

static void
test_to_variant (void)
{
  g_autoptr(McGrant) grant = new_grant ("flatpak:org.example.App", "https://mcp.example.com/mcp");
  g_autoptr(GVariant) variant = NULL;
  g_autofree const char **scopes = NULL;
  const char *string = NULL;
  gint64 number = 0;
  gboolean flag = TRUE;

  grant->id = g_strdup ("abc_123");
  variant = g_variant_ref_sink (mc_grant_to_variant (grant));
  g_assert_true (g_variant_is_of_type (variant, G_VARIANT_TYPE_VARDICT));
  /* Exactly what ListGrants documents: no identity key, no endpoints. */
  g_assert_cmpuint (g_variant_n_children (variant), ==, 10);
  g_assert_true (g_variant_lookup (variant, "id", "&s", &string));
  g_assert_cmpstr (string, ==, "abc_123");
  g_assert_true (g_variant_lookup (variant, "app_id", "&s", &string));
  g_assert_cmpstr (string, ==, "org.example.App");
  g_assert_true (g_variant_lookup (variant, "resource", "&s", &string));
  g_assert_cmpstr (string, ==, "https://mcp.example.com/mcp");
  g_assert_true (g_variant_lookup (variant, "issuer", "&s", &string));
  g_assert_cmpstr (string, ==, "https://auth.example.com");
  g_assert_true (g_variant_lookup (variant, "client_id", "&s", &string));
  g_assert_cmpstr (string, ==, "client-1");
  g_assert_true (g_variant_lookup (variant, "scopes", "^a&s", &scopes));
  g_assert_cmpuint (g_strv_length ((char **)scopes), ==, 2);
  g_assert_cmpstr (scopes[1], ==, "files:write");
  g_assert_true (g_variant_lookup (variant, "created", "x", &number));
  g_assert_cmpint (number, ==, 1700000000);
  g_assert_true (g_variant_lookup (variant, "last_used", "x", &number));
  g_assert_cmpint (number, ==, 1700000100);
  g_assert_true (g_variant_lookup (variant, "expires_at", "x", &number));
  g_assert_cmpint (number, ==, 1700003600);
  g_assert_true (g_variant_lookup (variant, "needs_sign_in", "b", &flag));
  g_assert_false (flag);
}

static void
test_validation (void)
{
  g_autoptr(McGrantStore) store = _mc_grant_store_new_empty (NULL);
  static const struct { const char *field; const char *value; } bad[] = {
    { "token_endpoint", "http://auth.example.com/token" },
    { "token_endpoint", "https://user@auth.example.com/token" },
    { "token_endpoint", "/token" },
    { "resource", "ftp://mcp.example.com/" },
    { "issuer", "https://auth.example.com/#frag" },
    { "auth_method", "private_key_jwt" },
    { "scope", "files read" },
    { "scope", "" },
    { "id", "not/an/id" },
    { "app", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(McGrant) grant = new_grant ("host", "https://mcp.example.com/mcp");
      g_autoptr(GError) error = NULL;

      if (g_str_equal (bad[i].field, "token_endpoint"))
        set_string (&grant->token_endpoint, bad[i].value);
      else if (g_str_equal (bad[i].field, "resource"))
        set_string (&grant->resource, bad[i].value);
      else if (g_str_equal (bad[i].field, "issuer"))
        set_string (&grant->issuer, bad[i].value);
      else if (g_str_equal (bad[i].field, "auth_method"))
        set_string (&grant->auth_method, bad[i].value);
      else if (g_str_equal (bad[i].field, "scope"))
        set_string (&grant->scopes[0], bad[i].value);
      else if (g_str_equal (bad[i].field, "id"))
        grant->id = g_strdup (bad[i].value);
      else if (g_str_equal (bad[i].field, "app"))
        set_string (&grant->app, bad[i].value);

      g_test_message ("%s = “%s”", bad[i].field, bad[i].value);
      g_assert_false (mc_grant_is_valid (grant, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);

      /* What the next start would set aside is never kept. */
      g_test_expect_message ("mcp-consentd", G_LOG_LEVEL_CRITICAL, "*Refusing to keep an invalid grant*");
      g_assert_null (mc_grant_store_put (store, g_steal_pointer (&grant)));
      g_test_assert_expected_messages ();
    }

  /* http to this computer is fine: local servers. */
  {
    g_autoptr(McGrant) grant = new_grant ("host", "http://127.0.0.1:8080/mcp");

    set_string (&grant->token_endpoint, "http://localhost:9000/token");
    set_string (&grant->issuer, "http://[::1]:9000");
    g_assert_true (mc_grant_is_valid (grant, NULL));
  }

  g_assert_cmpuint (mc_grant_store_get_n_grants (store), ==, 0);
}

static const char valid_grant[] =
  "{\"id\": \"g1\", \"app\": \"host\", \"resource\": \"https://mcp.example.com/mcp\","
  " \"issuer\": \"https://auth.example.com\", \"client_id\": \"c\", \"auth_method\": \"none\","
  " \"token_endpoint\": \"https://auth.example.com/token\", \"scopes\": [\"a\"]}";

static void
test_load_all_or_nothing (void)
{
  static const char * const damaged[] = {
    "",
    "[]",
    "{\"version\": 2, \"grants\": []}",
    "{\"version\": 1}",
    "{\"version\": 1, \"grants\": {}}",
    "{\"version\": 1, \"grants\": [GRANT, 42]}",
    "{\"version\": 1, \"grants\": [GRANT, GRANT]}",
    "{\"version\": 1, \"grants\": [GRANT, {\"id\": \"g2\", \"app\": \"host\"}]}",
    "{\"version\": 1, \"grants\": [{\"id\": \"g\", \"app\": \"host\", \"resource\": \"https://m\","
    " \"issuer\": \"https://a\", \"client_id\": \"c\", \"auth_method\": \"none\","
    " \"token_endpoint\": \"http://a.example/token\"}]}",
    "{\"version\": 1, \"grants\": [{\"id\": \"g\", \"app\": \"host\", \"resource\": \"https://m\","
    " \"issuer\": \"https://a\", \"client_id\": \"c\", \"auth_method\": \"none\","
    " \"token_endpoint\": \"https://a/token\", \"created\": -1}]}",
    "{\"version\": 1, \"grants\": [{\"id\": \"g\", \"app\": \"host\", \"resource\": \"https://m\","
    " \"issuer\": \"https://a\", \"client_id\": \"c\", \"auth_method\": \"none\","
    " \"token_endpoint\": \"https://a/token\", \"needs_sign_in\": 1}]}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (damaged); i++)
    {
      g_autoptr(McGrantStore) store = _mc_grant_store_new_empty (NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = NULL;

      g_auto(GStrv) parts = g_strsplit (damaged[i], "GRANT", -1);

      contents = g_strjoinv (valid_grant, parts);
      g_test_message ("%s", contents);
      g_assert_false (_mc_grant_store_load_from_data (store, contents, strlen (contents), &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_cmpuint (mc_grant_store_get_n_grants (store), ==, 0);
    }

  {
    g_autoptr(McGrantStore) store = _mc_grant_store_new_empty (NULL);
    g_autofree char *contents = g_strdup_printf ("{\"version\": 1, \"grants\": [%s]}", valid_grant);
    g_autoptr(GError) error = NULL;

    g_assert_true (_mc_grant_store_load_from_data (store, contents, strlen (contents), &error));
    g_assert_no_error (error);
    g_assert_cmpuint (mc_grant_store_get_n_grants (store), ==, 1);
  }
}

static void
test_damaged_file_set_aside (void)
{
  g_autofree char *path = state_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(McGrantStore) store = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *name = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *kept = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "{\"version\": 1, \"grants\": [{\"id\": 42}]}", -1, NULL));

  g_test_expect_message ("mcp-consentd", G_LOG_LEVEL_WARNING, "*damaged*grant 1*moved it to*no grants*");
  store = mc_grant_store_new (path);
  g_test_assert_expected_messages ();

  /* No grants, but nothing lost: the file is kept aside as it was. */
  g_assert_cmpuint (mc_grant_store_get_n_grants (store), ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      if (g_str_has_prefix (name, "grants.json.corrupt-"))
        aside = g_build_filename (dir, name, NULL);
    }
  g_assert_nonnull (aside);
  g_assert_true (g_file_get_contents (aside, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "{\"version\": 1, \"grants\": [{\"id\": 42}]}");

  /* The next save writes a good file; the one aside stays. */
  mc_grant_store_put (store, new_grant ("host", "https://mcp.example.com/mcp"));
  save_and_wait (store);
  g_assert_true (g_file_test (aside, G_FILE_TEST_EXISTS));
}

static void
test_saves_in_order (void)
{
  g_autofree char *path = state_path ();
  g_autoptr(McGrantStore) store = mc_grant_store_new (path);
  g_autoptr(McGrantStore) reloaded = NULL;
  Saved saved = { 0, FALSE };

  /* Changes during a save are written by the next one; every waiter is
   * answered once the state it saw is on disk. */
  mc_grant_store_put (store, new_grant ("host", "https://one.example.com/mcp"));
  mc_grant_store_save_async (store, NULL, on_saved, &saved);
  mc_grant_store_put (store, new_grant ("host", "https://two.example.com/mcp"));
  mc_grant_store_save_async (store, NULL, on_saved, &saved);
  mc_grant_store_save_async (store, NULL, on_saved, &saved);
  wait_saved (&saved, 3);

  reloaded = mc_grant_store_new (path);
  g_assert_cmpuint (mc_grant_store_get_n_grants (reloaded), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/grant-store/round-trip", test_round_trip);
  g_test_add_func ("/grant-store/put-replaces", test_put_replaces);
  g_test_add_func ("/grant-store/to-variant", test_to_variant);
  g_test_add_func ("/grant-store/validation", test_validation);
  g_test_add_func ("/grant-store/load-all-or-nothing", test_load_all_or_nothing);
  g_test_add_func ("/grant-store/damaged-file-set-aside", test_damaged_file_set_aside);
  g_test_add_func ("/grant-store/saves-in-order", test_saves_in_order);

  return g_test_run ();
}
