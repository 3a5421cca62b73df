/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mc-remembered.h"
#include "mc-remembered-private.h"

static char *
state_path (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "mcp-consent", NULL);

  return g_build_filename (dir, "remembered.json", NULL);
}

static void
on_saved (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (mc_remembered_save_finish (MC_REMEMBERED (source_object), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
save_and_wait (McRemembered *remembered)
{
  gboolean done = FALSE;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  mc_remembered_save_async (remembered, NULL, on_saved, &done);
  while (!done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_remembered_lookup_rules (void)
{
  g_autofree char *path = state_path ();
  g_autoptr(McRemembered) remembered = mc_remembered_new (path);
  const char *id = NULL;

  id = mc_remembered_add (remembered, "flatpak:org.example.App", "org.example.App",
                          "Calendar", "https://mcp.example.com/mcp", "example.com", MC_URL_RISK_OK);
  g_assert_nonnull (id);

  g_assert_cmpstr (mc_remembered_lookup (remembered, "flatpak:org.example.App", "Calendar",
                                         "https://mcp.example.com/mcp", "example.com", MC_URL_RISK_OK), ==, id);
  /* Bound to the app, the server and the domain. */
  g_assert_null (mc_remembered_lookup (remembered, "flatpak:org.example.Other", "Calendar",
                                       "https://mcp.example.com/mcp", "example.com", MC_URL_RISK_OK));
  g_assert_null (mc_remembered_lookup (remembered, "flatpak:org.example.App", "Mail",
                                       "https://mcp.example.com/mcp", "example.com", MC_URL_RISK_OK));
  g_assert_null (mc_remembered_lookup (remembered, "flatpak:org.example.App", "Calendar",
                                       "https://evil.example.net/mcp", "example.com", MC_URL_RISK_OK));
  g_assert_null (mc_remembered_lookup (remembered, "flatpak:org.example.App", "Calendar",
                                       "https://mcp.example.com/mcp", "example.org", MC_URL_RISK_OK));
  /* An "ok" decision does not cover a URL with a warning, nor a danger. */
  g_assert_null (mc_remembered_lookup (remembered, "flatpak:org.example.App", "Calendar",
                                       "https://mcp.example.com/mcp", "example.com", MC_URL_RISK_CAUTION));
  g_assert_null (mc_remembered_lookup (remembered, "flatpak:org.example.App", "Calendar",
                                       "https://mcp.example.com/mcp", "example.com", MC_URL_RISK_DANGER));

  /* Adding the same decision again returns the same entry. */
  g_assert_cmpstr (mc_remembered_add (remembered, "flatpak:org.example.App", "org.example.App",
                                      "Calendar", "https://mcp.example.com/mcp", "example.com",
                                      MC_URL_RISK_OK), ==, id);
  g_assert_cmpuint (mc_remembered_get_n_entries (remembered), ==, 1);
}

static void
test_remembered_persists (void)
{
  g_autofree char *path = state_path ();
  g_autoptr(McRemembered) first = mc_remembered_new (path);
  g_autoptr(McRemembered) second = NULL;
  g_autoptr(McRemembered) third = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autofree char *id = NULL;
  const char *domain = NULL;
  GStatBuf buf;

  id = g_strdup (mc_remembered_add (first, "host-app:org.example.Editor", "org.example.Editor",
                                    "Files", NULL, "files.example.org", MC_URL_RISK_CAUTION));
  save_and_wait (first);

  /* Private to the user: the file says which apps use which servers. */
  g_assert_cmpint (g_stat (path, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);

  second = mc_remembered_new (path);
  g_assert_cmpstr (mc_remembered_lookup (second, "host-app:org.example.Editor", "Files", NULL,
                                         "files.example.org", MC_URL_RISK_CAUTION), ==, id);
  list = g_variant_ref_sink (mc_remembered_list (second, "host-app:org.example.Editor"));
  g_assert_cmpuint (g_variant_n_children (list), ==, 1);
  {
    g_autoptr(GVariant) entry = g_variant_get_child_value (list, 0);

    g_assert_true (g_variant_lookup (entry, "domain", "&s", &domain));
    g_assert_cmpstr (domain, ==, "files.example.org");
  }
  g_clear_pointer (&list, g_variant_unref);
  list = g_variant_ref_sink (mc_remembered_list (second, "flatpak:org.example.Other"));
  g_assert_cmpuint (g_variant_n_children (list), ==, 0);

  g_assert_true (mc_remembered_forget (second, id));
  g_assert_false (mc_remembered_forget (second, id));
  save_and_wait (second);

  third = mc_remembered_new (path);
  g_assert_cmpuint (mc_remembered_get_n_entries (third), ==, 0);
}

static void
test_remembered_corrupt_file_set_aside (void)
{
  g_autofree char *path = state_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(McRemembered) remembered = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *name = NULL;
  gboolean found_aside = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "{\"version\": 1, \"entries\": [{\"id\": 42}]}", -1, NULL));

  g_test_expect_message ("mcp-consentd", G_LOG_LEVEL_WARNING, "*damaged*moved it to*");
  remembered = mc_remembered_new (path);
  g_test_assert_expected_messages ();

  /* Nothing remembered, but nothing lost either: the file is kept aside. */
  g_assert_cmpuint (mc_remembered_get_n_entries (remembered), ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    found_aside |= g_str_has_prefix (name, "remembered.json.corrupt-");
  g_assert_true (found_aside);
}

static void
test_remembered_refuses_danger_from_disk (void)
{
  g_autofree char *path = state_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(McRemembered) remembered = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path,
                                      "{\"version\": 1, \"entries\": [{\"id\": \"x\", \"identity\": \"flatpak:a.b\","
                                      " \"server_name\": \"s\", \"domain\": \"d.example\", \"risk\": \"danger\"}]}",
                                      -1, NULL));

  g_test_expect_message ("mcp-consentd", G_LOG_LEVEL_WARNING, "*never remembered*");
  remembered = mc_remembered_new (path);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (mc_remembered_get_n_entries (remembered), ==, 0);
}

/* The parser without the file: all or nothing, and what it loads is
 * what a save writes back. */
static void
test_remembered_load_from_data (void)
{
  static const char good[] =
    "{\"version\": 1, \"entries\": ["
    "{\"id\": \"a\", \"identity\": \"flatpak:org.example.App\", \"app_id\": \"org.example.App\","
    " \"server_name\": \"Calendar\", \"server_url\": \"https://mcp.example.com/mcp\","
    " \"domain\": \"example.com\", \"risk\": \"caution\", \"created\": 1700000000}]}";
  static const char bad_second[] =
    "{\"version\": 1, \"entries\": ["
    "{\"id\": \"a\", \"identity\": \"host\", \"server_name\": \"s\", \"domain\": \"d\", \"risk\": \"ok\"},"
    "{\"id\": \"b\", \"identity\": \"host\", \"server_name\": \"s\", \"domain\": \"d\", \"risk\": \"bad\"}]}";
  g_autoptr(McRemembered) remembered = g_object_new (MC_TYPE_REMEMBERED, NULL);
  g_autoptr(McRemembered) reloaded = g_object_new (MC_TYPE_REMEMBERED, NULL);
  g_autoptr(McRemembered) damaged = g_object_new (MC_TYPE_REMEMBERED, NULL);
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(GBytes) resaved = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (_mc_remembered_load_from_data (remembered, good, strlen (good), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mc_remembered_get_n_entries (remembered), ==, 1);
  g_assert_cmpstr (mc_remembered_lookup (remembered, "flatpak:org.example.App", "Calendar",
                                         "https://mcp.example.com/mcp", "example.com",
                                         MC_URL_RISK_CAUTION), ==, "a");

  saved = _mc_remembered_serialize (remembered);
  g_assert_true (_mc_remembered_load_from_data (reloaded, g_bytes_get_data (saved, NULL),
                                                g_bytes_get_size (saved), &error));
  g_assert_no_error (error);
  resaved = _mc_remembered_serialize (reloaded);
  g_assert_true (g_bytes_equal (saved, resaved));

  /* The first entry was fine, but the file is damaged: none is kept. */
  g_assert_false (_mc_remembered_load_from_data (damaged, bad_second, strlen (bad_second), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpuint (mc_remembered_get_n_entries (damaged), ==, 0);
}

/* Loads @contents through the file, as the daemon does at start-up, and
 * expects it set aside with a warning that matches @reason. */
static void
assert_set_aside (const char *contents,
                  gsize       length,
                  const char *reason)
{
  g_autofree char *path = state_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *pattern = g_strdup_printf ("*damaged*%s*moved it to*", reason);
  g_autoptr(McRemembered) remembered = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, length, NULL));

  g_test_expect_message ("mcp-consentd", G_LOG_LEVEL_WARNING, pattern);
  remembered = mc_remembered_new (path);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (mc_remembered_get_n_entries (remembered), ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Found by fuzz-remembered: json-glib parses an empty file to no root,
 * which the parser passed on to a json-glib check that raised a critical. */
static void
test_remembered_empty_file (void)
{
  assert_set_aside ("", 0, "empty");
  assert_set_aside (" \n\t", 3, "empty");
}

/* json-glib's integer getters raise a critical on an object or an array,
 * and make a number up from anything else (fuzz-remembered found
 * "version": {}; the same call read "created"). */
static void
test_remembered_non_integer_numbers (void)
{
  static const char * const files[] = {
    "{\"version\": {}, \"entries\": []}",
    "{\"version\": [1], \"entries\": []}",
    "{\"version\": 1.0, \"entries\": []}",
    "{\"version\": true, \"entries\": []}",
    "{\"version\": 1, \"entries\": [{\"id\": \"a\", \"identity\": \"host\", \"server_name\": \"s\","
    " \"domain\": \"d\", \"risk\": \"ok\", \"created\": {}}]}",
    "{\"version\": 1, \"entries\": [{\"id\": \"a\", \"identity\": \"host\", \"server_name\": \"s\","
    " \"domain\": \"d\", \"risk\": \"ok\", \"created\": \"yesterday\"}]}",
    "{\"version\": 1, \"entries\": [{\"id\": \"a\", \"identity\": \"host\", \"server_name\": \"s\","
    " \"domain\": \"d\", \"risk\": \"ok\", \"created\": 1e300}]}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_test_message ("File %s", files[i]);
      assert_set_aside (files[i], strlen (files[i]), "is not an integer");
    }
}

/* json-glib 1.6 turns a lone surrogate escape into bytes that are not
 * UTF-8, in a string it returns ("\udc00" followed by anything) and in its
 * own error messages (fuzz-remembered found those).  Such a string made
 * ListRemembered raise a critical. */
static void
test_remembered_not_utf8 (void)
{
  static const char lone_in_value[] =
    "{\"version\": 1, \"entries\": [{\"id\": \"a\", \"identity\": \"host\","
    " \"server_name\": \"\\udc00x\", \"domain\": \"d\", \"risk\": \"ok\"}]}";
  static const char lone_in_key[] = "{\"ver\\ud8001, \"entries\": []}";
  g_autoptr(McRemembered) remembered = g_object_new (MC_TYPE_REMEMBERED, NULL);
  g_autoptr(GError) error = NULL;

  assert_set_aside (lone_in_value, strlen (lone_in_value), "“server_name” is not valid UTF-8");

  g_assert_false (_mc_remembered_load_from_data (remembered, lone_in_key, strlen (lone_in_key), &error));
  g_assert_nonnull (error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* json-glib 1.6 recurses once per nested array or object, without a
 * limit: this file overflowed the stack and crashed the daemon at every
 * start, so it was never set aside. */
static void
test_remembered_deep_nesting (void)
{
  g_autoptr(GString) deep = g_string_new ("{\"version\": 1, \"entries\": ");
  g_autoptr(McRemembered) remembered = g_object_new (MC_TYPE_REMEMBERED, NULL);
  g_autoptr(GError) error = NULL;
  static const char * const not_strict[] = {
    "{\"version\": 1, /* \" */ \"entries\": []}",
    "{\"version\": 1, \"entries\": ['a']}",
  };
  static const char within[] =
    "{\"version\": 1, \"entries\": [], \"later\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"
    " \"text\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}";

  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  assert_set_aside (deep->str, deep->len, "nested deeper than 32 levels");

  for (gsize i = 0; i < G_N_ELEMENTS (not_strict); i++)
    assert_set_aside (not_strict[i], strlen (not_strict[i]), "a comment or a single quote");

  /* 32 levels are fine, and brackets in strings do not count. */
  g_assert_true (_mc_remembered_load_from_data (remembered, within, strlen (within), &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/remembered/lookup-rules", test_remembered_lookup_rules);
  g_test_add_func ("/remembered/persists", test_remembered_persists);
  g_test_add_func ("/remembered/corrupt-file-set-aside", test_remembered_corrupt_file_set_aside);
  g_test_add_func ("/remembered/refuses-danger-from-disk", test_remembered_refuses_danger_from_disk);
  g_test_add_func ("/remembered/load-from-data", test_remembered_load_from_data);
  g_test_add_func ("/remembered/empty-file", test_remembered_empty_file);
  g_test_add_func ("/remembered/non-integer-numbers", test_remembered_non_integer_numbers);
  g_test_add_func ("/remembered/not-utf8", test_remembered_not_utf8);
  g_test_add_func ("/remembered/deep-nesting", test_remembered_deep_nesting);

  return g_test_run ();
}
