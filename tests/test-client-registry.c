/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gstdio.h>

#include "mc-client-registry.h"
#include "mc-client-registry-private.h"

static const char example_config[] =
  "# Clients registered by hand with servers that offer no registration.\n"
  "[broker]\n"
  "client-metadata-url=https://broker.example.org/mcp-consent/client.json\n"
  "\n"
  "# Our company's sign-in server.\n"
  "[issuer https://auth.example.com]\n"
  "client-id=issuer-client\n"
  "auth-method=none\n"
  "\n"
  "[resource https://mcp.example.com/mcp]\n"
  "client-id=resource-client\n"
  "auth-method=basic\n"
  "redirect-uri=http://127.0.0.1:33418/callback\n"
  "\n"
  "[resource https://pinned.example.com/mcp]\n"
  "client-id=pinned-client\n"
  "issuer=https://other-auth.example.com\n";

static char *
config_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "mcp-consent", "clients.ini", NULL);
}

static char *
registrations_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "mcp-consent", "registrations.json", NULL);
}

static void
write_config (const char *contents)
{
  g_autofree char *path = config_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_config (void)
{
  g_autofree char *path = config_path ();
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

static void
test_config_precedence (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McClientsConfig) config = _mc_clients_config_parse (example_config, strlen (example_config), &error);
  g_autoptr(McOAuthClient) client = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (_mc_clients_config_get_n_clients (config), ==, 3);
  g_assert_cmpstr (_mc_clients_config_get_metadata_url (config), ==,
                   "https://broker.example.org/mcp-consent/client.json");

  /* The resource group wins over the issuer group. */
  client = _mc_clients_config_find (config, "https://auth.example.com", "https://mcp.example.com/mcp");
  g_assert_nonnull (client);
  g_assert_cmpint (client->source, ==, MC_CLIENT_SOURCE_PRE_REGISTERED);
  g_assert_cmpstr (client->client_id, ==, "resource-client");
  g_assert_cmpstr (client->issuer, ==, "https://auth.example.com");
  g_assert_cmpstr (client->auth_method, ==, "client_secret_basic");
  g_assert_cmpstr (client->redirect_uri, ==, "http://127.0.0.1:33418/callback");
  g_assert_true (client->has_secret);
  g_clear_pointer (&client, mc_oauth_client_free);

  /* Another server of the same authorization server: the issuer group. */
  client = _mc_clients_config_find (config, "https://auth.example.com", "https://files.example.com/mcp");
  g_assert_nonnull (client);
  g_assert_cmpstr (client->client_id, ==, "issuer-client");
  g_assert_cmpstr (client->auth_method, ==, "none");
  g_assert_null (client->redirect_uri);
  g_assert_false (client->has_secret);
  g_clear_pointer (&client, mc_oauth_client_free);

  /* URLs as people write them: case, default port, trailing slash. */
  client = _mc_clients_config_find (config, "HTTPS://Auth.Example.COM:443/", "https://MCP.example.com:443/mcp/");
  g_assert_nonnull (client);
  g_assert_cmpstr (client->client_id, ==, "resource-client");
  g_clear_pointer (&client, mc_oauth_client_free);

  /* A resource group pinned to an issuer does not follow the server to
   * another authorization server. */
  client = _mc_clients_config_find (config, "https://other-auth.example.com", "https://pinned.example.com/mcp");
  g_assert_nonnull (client);
  g_assert_cmpstr (client->client_id, ==, "pinned-client");
  g_clear_pointer (&client, mc_oauth_client_free);
  client = _mc_clients_config_find (config, "https://auth.example.com", "https://pinned.example.com/mcp");
  g_assert_nonnull (client);
  g_assert_cmpstr (client->client_id, ==, "issuer-client");
  g_clear_pointer (&client, mc_oauth_client_free);
  client = _mc_clients_config_find (config, "https://evil.example.net", "https://pinned.example.com/mcp");
  g_assert_null (client);

  /* Nothing for an unknown server, nor for a path that merely starts the
   * same. */
  g_assert_null (_mc_clients_config_find (config, "https://auth.example.net", "https://mcp.example.net/mcp"));
  client = _mc_clients_config_find (config, "https://auth.example.net", "https://mcp.example.com/mcp2");
  g_assert_null (client);
}

static void
test_config_errors (void)
{
  static const struct { const char *contents; const char *message; } bad[] = {
    { "[broker]\nclient-metadata-url=http://broker.example.org/c.json\n",
      "line 2, [broker]: the client metadata URL must be an https URL*" },
    { "[broker]\nclient-metadata-url=https://broker.example.org/\n",
      "line 2, [broker]: the client metadata URL must have a path*" },
    { "[broker]\nclient_metadata_url=https://b.example/c.json\n", "line 2, [broker]: unknown key “client_metadata_url”" },
    { "[issuer https://a.example]\nclient_id=x\n", "line 2, [issuer https://a.example]: unknown key “client_id”" },
    { "[issuer https://a.example]\nauth-method=none\n", "line 1, [issuer https://a.example]: “client-id” is missing" },
    { "# c\n\n[issuer https://a.example]\nclient-id=x\nauth-method=jwt\n",
      "line 5, [issuer https://a.example]: auth-method “jwt” is not none, basic or post" },
    { "[issuer https://a.example]\nclient-id=x\nredirect-uri=http://localhost:8080/cb\n",
      "line 3, [issuer https://a.example]: the redirect URI’s host must be 127.0.0.1 or [::1]" },
    { "[issuer https://a.example]\nclient-id=x\nredirect-uri=http://127.0.0.1/cb\n",
      "line 3, [issuer https://a.example]: the redirect URI needs a port*" },
    { "[issuer http://a.example]\nclient-id=x\n", "line 1, [issuer http://a.example]: “issuer” must be an https URL*" },
    { "[resource https://m.example]\nclient-id=x\nissuer=ftp://a.example\n",
      "line 3, [resource https://m.example]: “issuer” must be an https URL*" },
    { "[clients]\nclient-id=x\n", "line 1, [clients]: unknown group*" },
    { "[issuer https://a.example]\nclient-id=x\n[issuer https://a.example]\nclient-id=y\n",
      "line 3, [issuer https://a.example]: the group appears again (first at line 1)" },
    { "[issuer https://a.example]\nclient-id=x\n[issuer https://A.example/]\nclient-id=y\n",
      "line 3, [issuer https://A.example/]: the same issuer as [issuer https://a.example]" },
    { "[issuer https://a.example]\nclient-id=x\nclient-id=y\n",
      "line 3, [issuer https://a.example]: “client-id” is set again (first at line 2)" },
    { "client-id=x\n", "line 1: a key before any group" },
    { "[issuer https://a.example]\nclient-id x\n", "line 2, [issuer https://a.example]: “client-id x” is not key=value*" },
    { "[issuer https://a.example\n", "line 1: “[issuer https://a.example” is not a group header" },
    { "[issuer https://a.example]\nclient-id=\n", "line 2, [issuer https://a.example]: “client-id” is empty or too long" },
    { "[issuer https://a.example]\nclient-id=a\tb\n", "line 2, [issuer https://a.example]: “client-id” has a control character" },
    { "[issuer https://a.example]\nclient-id=a\\tb\n",
      "line 2, [issuer https://a.example]: “client-id” has a backslash; values are taken as written*" },
    /* GLib 2.74's g_key_file_get_string() set its error twice on this
     * (fuzz-clients-ini, regression-glib-double-error). */
    { "[issuer https://a.example]\nclient-id=a\\-idtc\\d\\\n",
      "line 2, [issuer https://a.example]: “client-id” has a backslash*" },
    { "[issuer https://a.example]\nclient-id=\xff\n", "line 2, [issuer https://a.example]: not valid UTF-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McClientsConfig) config = NULL;

      config = _mc_clients_config_parse (bad[i].contents, strlen (bad[i].contents), &error);
      g_assert_null (config);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_test_message ("%s", error->message);
      if (!g_pattern_match_simple (bad[i].message, error->message))
        g_error ("“%s”: expected “%s”, got “%s”", bad[i].contents, bad[i].message, error->message);
    }

  /* A NUL would hide the rest from GKeyFile. */
  {
    g_autoptr(GError) error = NULL;
    const char with_nul[] = "[issuer https://a.example]\nclient-id=x\0\n[resource https://m.example]\nclient-id=y\n";
    g_autoptr(McClientsConfig) config = _mc_clients_config_parse (with_nul, sizeof with_nul - 1, &error);

    g_assert_null (config);
    g_assert_cmpstr (error->message, ==, "line 2: a NUL byte");
  }
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Loaded;

static void
on_loaded (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Loaded *loaded = user_data;

  loaded->ok = mc_client_registry_load_config_finish (MC_CLIENT_REGISTRY (source_object), result, &loaded->error);
  loaded->done = TRUE;
}

static gboolean
load_config (McClientRegistry  *registry,
             GError           **error)
{
  Loaded loaded = { FALSE, FALSE, NULL };
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  mc_client_registry_load_config_async (registry, NULL, on_loaded, &loaded);
  while (!loaded.done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  if (loaded.error != NULL)
    g_propagate_error (error, loaded.error);
  return loaded.ok;
}

static void
test_load_config (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *state = registrations_path ();
  g_autoptr(McClientRegistry) registry = mc_client_registry_new (path, state);
  g_autoptr(McOAuthClient) client = NULL;
  g_autoptr(GError) error = NULL;

  /* No file: no pre-registered client, no error. */
  g_assert_true (load_config (registry, &error));
  g_assert_no_error (error);
  g_assert_null (mc_client_registry_find_pre_registered (registry, "https://auth.example.com",
                                                         "https://mcp.example.com/mcp"));
  g_assert_null (mc_client_registry_get_metadata_url (registry));

  write_config (example_config);
  g_assert_true (load_config (registry, &error));
  client = mc_client_registry_find_pre_registered (registry, "https://auth.example.com", "https://mcp.example.com/mcp");
  g_assert_cmpstr (client->client_id, ==, "resource-client");
  g_clear_pointer (&client, mc_oauth_client_free);
  g_assert_cmpstr (mc_client_registry_get_metadata_url (registry), ==,
                   "https://broker.example.org/mcp-consent/client.json");

  /* Edits take effect at the next load, without a restart. */
  write_config ("[issuer https://auth.example.com]\nclient-id=edited\n");
  g_assert_true (load_config (registry, &error));
  client = mc_client_registry_find_pre_registered (registry, "https://auth.example.com", "https://mcp.example.com/mcp");
  g_assert_cmpstr (client->client_id, ==, "edited");
  g_clear_pointer (&client, mc_oauth_client_free);
  g_assert_null (mc_client_registry_get_metadata_url (registry));

  /* A broken file fails, naming the file and line, and the last good
   * configuration stays. */
  write_config ("[issuer https://auth.example.com]\nclient-id=edited\nauth-method=maybe\n");
  g_assert_false (load_config (registry, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (strstr (error->message, path) != NULL);
  g_assert_true (strstr (error->message, "line 3, [issuer https://auth.example.com]") != NULL);
  client = mc_client_registry_find_pre_registered (registry, "https://auth.example.com", "https://mcp.example.com/mcp");
  g_assert_cmpstr (client->client_id, ==, "edited");
}

static void
test_set_client (void)
{
  g_autofree char *path = config_path ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(McClientsConfig) config = NULL;
  g_autoptr(McOAuthClient) client = NULL;
  GStatBuf buf;

  /* Into no file at all. */
  g_assert_true (mc_clients_config_set_client (path, "issuer", "https://auth.example.com", "first", "none",
                                               NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);

  /* Into the user's file, keeping their comments and other groups. */
  write_config (example_config);
  g_assert_true (mc_clients_config_set_client (path, "issuer", "https://Auth.Example.com/", "second", "post",
                                               "http://[::1]:40000/callback", &error));
  g_assert_no_error (error);
  g_assert_true (mc_clients_config_set_client (path, "resource", "https://new.example.com/mcp", "third", "basic",
                                               NULL, &error));
  g_assert_no_error (error);
  contents = read_config ();
  g_test_message ("%s", contents);
  g_assert_nonnull (strstr (contents, "# Clients registered by hand with servers that offer no registration.\n"));
  /* GLib 2.74's GKeyFile keeps comments above their group, though it may
   * move blank lines around them. */
  g_assert_true (g_regex_match_simple ("# Our company's sign-in server.\n\n?\\[issuer https://auth.example.com\\]\n",
                                       contents, 0, 0));
  /* The existing group, however the URL was spelled, not a second one. */
  g_assert_null (strstr (contents, "Auth.Example"));

  config = _mc_clients_config_parse (contents, strlen (contents), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (_mc_clients_config_get_n_clients (config), ==, 4);
  client = _mc_clients_config_find (config, "https://auth.example.com", "https://files.example.com/mcp");
  g_assert_cmpstr (client->client_id, ==, "second");
  g_assert_cmpstr (client->auth_method, ==, "client_secret_post");
  g_assert_cmpstr (client->redirect_uri, ==, "http://[::1]:40000/callback");
  g_clear_pointer (&client, mc_oauth_client_free);
  client = _mc_clients_config_find (config, "https://auth.example.com", "https://new.example.com/mcp");
  g_assert_cmpstr (client->client_id, ==, "third");
  g_clear_pointer (&client, mc_oauth_client_free);
  client = _mc_clients_config_find (config, "https://auth.example.com", "https://mcp.example.com/mcp");
  g_assert_cmpstr (client->client_id, ==, "resource-client");
  g_clear_pointer (&client, mc_oauth_client_free);

  /* No redirect URI: the line goes. */
  g_assert_true (mc_clients_config_set_client (path, "issuer", "https://auth.example.com", "second", "post",
                                               NULL, &error));
  g_clear_pointer (&contents, g_free);
  contents = read_config ();
  g_assert_null (strstr (contents, "[::1]"));

  /* Setting what is already there changes nothing: repeated edits do not
   * pile up blank lines. */
  g_assert_true (mc_clients_config_set_client (path, "issuer", "https://auth.example.com", "second", "post",
                                               NULL, &error));
  {
    g_autofree char *again = read_config ();

    g_assert_cmpstr (again, ==, contents);
  }

  /* Refused arguments change nothing. */
  g_assert_false (mc_clients_config_set_client (path, "server", "https://a.example", "x", "none", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (mc_clients_config_set_client (path, "issuer", "http://a.example", "x", "none", NULL, &error));
  g_clear_error (&error);
  g_assert_false (mc_clients_config_set_client (path, "issuer", "http://[::1]:8080", "x", "none", NULL, &error));
  g_clear_error (&error);
  g_assert_false (mc_clients_config_set_client (path, "issuer", "https://a.example", "x", "jwt", NULL, &error));
  g_clear_error (&error);
  g_assert_false (mc_clients_config_set_client (path, "issuer", "https://a.example", "x", "none",
                                                "http://localhost:1/cb", &error));
  g_clear_error (&error);
  {
    g_autofree char *after = read_config ();

    g_assert_cmpstr (after, ==, contents);
  }
}

static void
test_set_client_malformed (void)
{
  g_autofree char *path = config_path ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  const char *broken = "# mine\n[issuer https://a.example]\nclient-id=x\nauth-methd=none\n";

  /* The user's file is wrong: say where, and do not rewrite it. */
  write_config (broken);
  g_assert_false (mc_clients_config_set_client (path, "issuer", "https://b.example", "y", "none", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "line 4"));
  contents = read_config ();
  g_assert_cmpstr (contents, ==, broken);
}

static void
test_set_metadata_url (void)
{
  g_autofree char *path = config_path ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  write_config ("# keep me\n[issuer https://a.example]\nclient-id=x\n");
  g_assert_true (mc_clients_config_set_metadata_url (path, "https://b.example.org/client.json", &error));
  g_assert_no_error (error);
  contents = read_config ();
  g_assert_nonnull (strstr (contents, "# keep me\n"));
  g_assert_nonnull (strstr (contents, "[broker]\nclient-metadata-url=https://b.example.org/client.json\n"));
  g_clear_pointer (&contents, g_free);

  g_assert_false (mc_clients_config_set_metadata_url (path, "https://b.example.org", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (mc_clients_config_set_metadata_url (path, NULL, &error));
  contents = read_config ();
  g_assert_null (strstr (contents, "client-metadata-url"));
}

static McOAuthClient *
new_registration (const char *issuer,
                  const char *client_id)
{
  McOAuthClient *client = g_new0 (McOAuthClient, 1);

  client->source = MC_CLIENT_SOURCE_DYNAMIC;
  client->issuer = g_strdup (issuer);
  client->client_id = g_strdup (client_id);
  client->auth_method = g_strdup ("client_secret_post");
  client->has_secret = TRUE;
  client->secret_expires_at = 1900000000;
  return client;
}

typedef struct
{
  gboolean done;
} Saved;

static void
on_saved (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Saved *saved = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (mc_client_registry_save_finish (MC_CLIENT_REGISTRY (source_object), result, &error));
  g_assert_no_error (error);
  saved->done = TRUE;
}

static void
save_and_wait (McClientRegistry *registry)
{
  Saved saved = { FALSE };
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  mc_client_registry_save_async (registry, NULL, on_saved, &saved);
  while (!saved.done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_registrations (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *state = registrations_path ();
  g_autoptr(McClientRegistry) first = mc_client_registry_new (path, state);
  g_autoptr(McClientRegistry) second = NULL;
  g_autoptr(McClientRegistry) third = NULL;
  g_autoptr(McOAuthClient) registration = new_registration ("https://auth.example.com", "dyn-1");
  g_autoptr(McOAuthClient) found = NULL;
  g_autofree char *contents = NULL;
  GStatBuf buf;

  mc_client_registry_remember_dynamic (first, registration);
  g_clear_pointer (&registration, mc_oauth_client_free);
  registration = new_registration ("http://127.0.0.1:9000", "local");
  g_free (registration->auth_method);
  registration->auth_method = g_strdup ("none");
  registration->has_secret = FALSE;
  registration->secret_expires_at = 0;
  registration->redirect_uri = g_strdup ("http://127.0.0.1:40000/callback");
  mc_client_registry_remember_dynamic (first, registration);
  /* A new registration with the same issuer replaces the old one. */
  g_clear_pointer (&registration, mc_oauth_client_free);
  registration = new_registration ("https://auth.example.com", "dyn-2");
  mc_client_registry_remember_dynamic (first, registration);
  save_and_wait (first);

  g_assert_cmpint (g_stat (state, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);
  /* No secret in it, by construction: the struct has none. */
  g_assert_true (g_file_get_contents (state, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "\"client_secret\""));

  second = mc_client_registry_new (path, state);
  g_assert_cmpuint (_mc_client_registry_get_n_registrations (second), ==, 2);
  found = mc_client_registry_find_dynamic (second, "https://auth.example.com");
  g_assert_nonnull (found);
  g_assert_cmpint (found->source, ==, MC_CLIENT_SOURCE_DYNAMIC);
  g_assert_cmpstr (found->client_id, ==, "dyn-2");
  g_assert_cmpstr (found->auth_method, ==, "client_secret_post");
  g_assert_true (found->has_secret);
  g_assert_cmpint (found->secret_expires_at, ==, 1900000000);
  g_assert_null (found->redirect_uri);
  g_clear_pointer (&found, mc_oauth_client_free);
  found = mc_client_registry_find_dynamic (second, "http://127.0.0.1:9000");
  g_assert_cmpstr (found->redirect_uri, ==, "http://127.0.0.1:40000/callback");
  g_assert_false (found->has_secret);
  g_clear_pointer (&found, mc_oauth_client_free);

  /* Issuers compare exactly: they come from the servers. */
  g_assert_null (mc_client_registry_find_dynamic (second, "https://auth.example.com/"));

  mc_client_registry_forget_dynamic (second, "https://auth.example.com");
  mc_client_registry_forget_dynamic (second, "https://never.example.com");
  save_and_wait (second);
  third = mc_client_registry_new (path, state);
  g_assert_cmpuint (_mc_client_registry_get_n_registrations (third), ==, 1);
  g_assert_null (mc_client_registry_find_dynamic (third, "https://auth.example.com"));
}

static void
test_registration_validation (void)
{
  g_autoptr(McClientRegistry) registry = _mc_client_registry_new_empty (NULL, NULL);
  g_autoptr(McOAuthClient) client = new_registration ("http://auth.example.com", "x");
  g_autoptr(GError) error = NULL;

  g_assert_false (mc_oauth_client_is_valid_registration (client, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_test_expect_message ("mcp-consentd", G_LOG_LEVEL_CRITICAL, "*Refusing to remember an invalid registration*");
  mc_client_registry_remember_dynamic (registry, client);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (_mc_client_registry_get_n_registrations (registry), ==, 0);
}

static void
test_registrations_all_or_nothing (void)
{
  static const char * const damaged[] = {
    "",
    "{\"version\": 1}",
    "{\"version\": 2, \"registrations\": []}",
    "{\"version\": 1, \"registrations\": [{\"issuer\": \"https://a.example\", \"client_id\": \"c\","
    " \"auth_method\": \"none\"}, {\"issuer\": \"https://a.example\", \"client_id\": \"d\", \"auth_method\": \"none\"}]}",
    "{\"version\": 1, \"registrations\": [{\"issuer\": \"https://a.example\", \"client_id\": \"c\","
    " \"auth_method\": \"none\"}, {\"issuer\": \"https://b.example\", \"client_id\": \"\", \"auth_method\": \"none\"}]}",
    "{\"version\": 1, \"registrations\": [{\"issuer\": \"https://a.example\", \"client_id\": \"c\","
    " \"auth_method\": \"none\", \"redirect_uri\": \"https://evil.example/cb\"}]}",
  };
  const char with_secret[] =
    "{\"version\": 1, \"registrations\": [{\"issuer\": \"https://a.example\", \"client_id\": \"c\","
    " \"auth_method\": \"none\", \"client_secret\": \"s3cr3t\"}]}";

  for (gsize i = 0; i < G_N_ELEMENTS (damaged); i++)
    {
      g_autoptr(McClientRegistry) registry = _mc_client_registry_new_empty (NULL, NULL);
      g_autoptr(GError) error = NULL;
      gboolean loaded = FALSE;

      loaded = _mc_client_registry_load_registrations_from_data (registry, damaged[i], strlen (damaged[i]), &error);
      g_test_message ("%s", damaged[i]);
      g_assert_false (loaded);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_cmpuint (_mc_client_registry_get_n_registrations (registry), ==, 0);
    }

  /* Unknown members are ignored: a secret put there by hand is not read,
   * and not written back. */
  {
    g_autoptr(McClientRegistry) registry = _mc_client_registry_new_empty (NULL, NULL);
    g_autoptr(GBytes) saved = NULL;

    g_assert_true (_mc_client_registry_load_registrations_from_data (registry, with_secret, strlen (with_secret), NULL));
    saved = _mc_client_registry_serialize_registrations (registry);
    g_assert_null (g_strstr_len (g_bytes_get_data (saved, NULL), g_bytes_get_size (saved), "s3cr3t"));
  }
}

static void
test_damaged_registrations_set_aside (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *state = registrations_path ();
  g_autofree char *dir = g_path_get_dirname (state);
  g_autoptr(McClientRegistry) registry = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *name = NULL;
  gboolean found_aside = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (state, "{\"version\": 1, \"registrations\": [42]}", -1, NULL));

  g_test_expect_message ("mcp-consentd", G_LOG_LEVEL_WARNING, "*damaged*registration 1*moved it to*no registrations*");
  registry = mc_client_registry_new (path, state);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (_mc_client_registry_get_n_registrations (registry), ==, 0);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    found_aside |= g_str_has_prefix (name, "registrations.json.corrupt-");
  g_assert_true (found_aside);
}

static void
test_normalize_url (void)
{
  static const struct { const char *url; const char *normal; } cases[] = {
    { "https://auth.example.com", "https://auth.example.com" },
    { "HTTPS://Auth.Example.COM:443/", "https://auth.example.com" },
    { "https://auth.example.com:8443/tenant/", "https://auth.example.com:8443/tenant" },
    { "http://127.0.0.1:80/mcp", "http://127.0.0.1/mcp" },
    { "https://mcp.example.com/mcp?x=1", "https://mcp.example.com/mcp?x=1" },
    { "https://mcp.example.com/a%2Fb", "https://mcp.example.com/a%2Fb" },
    { "ftp://a.example", NULL },
    { "/relative", NULL },
    { "https://", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *normal = _mc_normalize_url (cases[i].url);

      g_assert_cmpstr (normal, ==, cases[i].normal);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/client-registry/normalize-url", test_normalize_url);
  g_test_add_func ("/client-registry/config-precedence", test_config_precedence);
  g_test_add_func ("/client-registry/config-errors", test_config_errors);
  g_test_add_func ("/client-registry/load-config", test_load_config);
  g_test_add_func ("/client-registry/set-client", test_set_client);
  g_test_add_func ("/client-registry/set-client-malformed", test_set_client_malformed);
  g_test_add_func ("/client-registry/set-metadata-url", test_set_metadata_url);
  g_test_add_func ("/client-registry/registrations", test_registrations);
  g_test_add_func ("/client-registry/registration-validation", test_registration_validation);
  g_test_add_func ("/client-registry/registrations-all-or-nothing", test_registrations_all_or_nothing);
  g_test_add_func ("/client-registry/damaged-registrations-set-aside", test_damaged_registrations_set_aside);

  return g_test_run ();
}
