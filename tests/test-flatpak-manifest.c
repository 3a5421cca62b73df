/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

/* Checks flatpak/APP_ID.json against the build that meson configured:
 * APP_ID, BUS_NAME and BINDIR come from config.h, the list of installed
 * files from meson's introspection data. Nothing here runs flatpak. */

static JsonParser *
load_manifest (JsonObject **out_root)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *basename = g_strconcat (APP_ID, ".json", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "flatpak", basename, NULL);
  JsonNode *root;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);

  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  *out_root = json_node_get_object (root);
  return g_steal_pointer (&parser);
}

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    g_error ("The manifest has no “%s”", name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    g_error ("The manifest's “%s” is not a string", name);

  return json_node_get_string (node);
}

/* The members of a JSON array of strings, as a NULL-terminated vector
 * (borrowed strings); fails the test if any member is not a string. */
static const char **
get_string_array (JsonObject *object,
                  const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  JsonArray *array;
  GPtrArray *strings = g_ptr_array_new ();

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    g_error ("“%s” is missing or not an array", name);

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        g_error ("Element %u of “%s” is not a string", i, name);

      g_ptr_array_add (strings, (gpointer) json_node_get_string (element));
    }
  g_ptr_array_add (strings, NULL);

  return (const char **) g_ptr_array_free (strings, FALSE);
}

static void
test_manifest_app_id (void)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL;

  parser = load_manifest (&root);

  g_assert_cmpstr (get_string_member (root, "id"), ==, APP_ID);
  /* The older spelling, if someone adds it, must not disagree. */
  if (json_object_has_member (root, "app-id"))
    g_assert_cmpstr (get_string_member (root, "app-id"), ==, APP_ID);

  g_assert_cmpstr (get_string_member (root, "runtime"), ==, "org.gnome.Platform");
  g_assert_cmpstr (get_string_member (root, "sdk"), ==, "org.gnome.Sdk");
  g_assert_cmpstr (get_string_member (root, "runtime-version"), !=, "");
}

static void
test_manifest_own_name (void)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree const char **finish_args = NULL;
  g_autofree char *own_name = g_strconcat ("--own-name=", BUS_NAME, NULL);
  g_autofree char *app_id_prefix = g_strconcat (APP_ID, ".", NULL);
  JsonObject *root = NULL;

  parser = load_manifest (&root);
  finish_args = get_string_array (root, "finish-args");

  /* Flatpak exports only D-Bus service files named after the app id or
   * below it, so any other bus name could never be activated. */
  g_assert_true (g_str_equal (BUS_NAME, APP_ID) || g_str_has_prefix (BUS_NAME, app_id_prefix));
  g_assert_true (g_strv_contains (finish_args, own_name));
}

/* Whether a --talk-name/--own-name/--see-name value covers @name: equal,
 * or a NAME.* wildcard above it ("org.freedesktop.*" covers
 * "org.freedesktop.secrets"), as xdg-dbus-proxy matches them. */
static gboolean
bus_rule_covers (const char *rule,
                 const char *name)
{
  gsize len = strlen (rule);

  if (g_str_equal (rule, name))
    return TRUE;

  if (len >= 2 && g_str_has_suffix (rule, ".*"))
    {
      g_autofree char *stem = g_strndup (rule, len - 2);
      g_autofree char *prefix = g_strndup (rule, len - 1);

      return g_str_equal (stem, name) || g_str_has_prefix (name, prefix);
    }

  return FALSE;
}

static void
test_manifest_finish_args_minimal (void)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree const char **finish_args = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *root = NULL;
  /* Each of these would undo what the sandbox is for. */
  static const char * const forbidden[] = {
    "--socket=session-bus",   /* the unfiltered bus: every name below, and more */
    "--socket=system-bus",
    "--device=all",
    "--share=all",
    NULL
  };
  static const char * const forbidden_bus_names[] = {
    "org.freedesktop.secrets",  /* every secret of the user, not just ours */
    "org.freedesktop.Flatpak",  /* flatpak-spawn --host: commands on the host */
  };

  parser = load_manifest (&root);
  finish_args = get_string_array (root, "finish-args");

  for (gsize i = 0; finish_args[i] != NULL; i++)
    {
      const char *arg = finish_args[i];
      const char *value = strchr (arg, '=');

      if (g_hash_table_contains (seen, arg))
        g_error ("finish-args lists %s twice", arg);
      g_hash_table_add (seen, (gpointer) arg);

      if (g_strv_contains (forbidden, arg))
        g_error ("finish-args must not grant %s", arg);

      /* The broker needs no files outside its own ~/.var/app directory. */
      if (g_str_has_prefix (arg, "--filesystem="))
        g_error ("finish-args must not grant %s", arg);

      if (value != NULL &&
          (g_str_has_prefix (arg, "--talk-name=") ||
           g_str_has_prefix (arg, "--own-name=") ||
           g_str_has_prefix (arg, "--see-name=")))
        {
          for (gsize j = 0; j < G_N_ELEMENTS (forbidden_bus_names); j++)
            {
              if (bus_rule_covers (value + 1, forbidden_bus_names[j]))
                g_error ("finish-args must not grant %s (it covers %s)",
                         arg, forbidden_bus_names[j]);
            }
        }
    }
}

static void
test_manifest_command_installed (void)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonParser) installed_parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *installed_path = NULL;
  g_autofree char *command_path = NULL;
  JsonObject *root = NULL;
  JsonObject *installed;
  const char *command;
  gboolean found = FALSE;

  parser = load_manifest (&root);
  command = get_string_member (root, "command");

  /* flatpak run looks the command up in /app/bin, so it must be a bare
   * name, installed into bindir. */
  g_assert_null (strchr (command, '/'));
  command_path = g_build_filename (BINDIR, command, NULL);

  /* meson's map of every file "meson install" writes: build or source
   * path → installed path (without DESTDIR). */
  installed_path = g_test_build_filename (G_TEST_BUILT, "..", "meson-info", "intro-installed.json", NULL);
  json_parser_load_from_file (installed_parser, installed_path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (installed_parser)));
  installed = json_node_get_object (json_parser_get_root (installed_parser));

  {
    g_autoptr(GList) members = json_object_get_members (installed);

    for (GList *l = members; l != NULL; l = l->next)
      {
        JsonNode *node = json_object_get_member (installed, l->data);

        if (JSON_NODE_HOLDS_VALUE (node) &&
            json_node_get_value_type (node) == G_TYPE_STRING &&
            g_str_equal (json_node_get_string (node), command_path))
          found = TRUE;
      }
  }

  if (!found)
    g_error ("The manifest's command %s is not installed as %s", command, command_path);
}

static void
test_manifest_project_module (void)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *manifest_dir = g_test_build_filename (G_TEST_DIST, "..", "flatpak", NULL);
  g_autofree char *source_root = g_test_build_filename (G_TEST_DIST, "..", NULL);
  g_autofree char *source_root_real = realpath (source_root, NULL);
  JsonObject *root = NULL;
  JsonObject *project = NULL;
  JsonArray *modules;

  parser = load_manifest (&root);
  g_assert_nonnull (source_root_real);

  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "modules")));
  modules = json_object_get_array_member (root, "modules");

  /* The project is the module built from a "dir" source at the root of
   * this checkout. */
  for (guint i = 0; i < json_array_get_length (modules); i++)
    {
      JsonObject *module = json_array_get_object_element (modules, i);
      JsonArray *sources;

      if (module == NULL || !json_object_has_member (module, "sources"))
        continue;

      sources = json_object_get_array_member (module, "sources");
      for (guint j = 0; sources != NULL && j < json_array_get_length (sources); j++)
        {
          JsonObject *source = json_array_get_object_element (sources, j);
          g_autofree char *path = NULL;
          g_autofree char *path_real = NULL;

          if (source == NULL ||
              g_strcmp0 (json_object_get_string_member_with_default (source, "type", ""), "dir") != 0)
            continue;

          path = g_build_filename (manifest_dir,
                                   json_object_get_string_member_with_default (source, "path", ""),
                                   NULL);
          path_real = realpath (path, NULL);
          if (path_real != NULL && g_str_equal (path_real, source_root_real))
            project = module;
        }
    }

  if (project == NULL)
    g_error ("No module builds this checkout (a \"dir\" source whose path leads to %s)",
             source_root_real);

  g_assert_cmpstr (get_string_member (project, "buildsystem"), ==, "meson");

  /* Flatpak exports no systemd units; a D-Bus service file that names one
   * cannot be activated. */
  {
    g_autofree const char **config_opts = get_string_array (project, "config-opts");

    g_assert_true (g_strv_contains (config_opts, "-Dsystemd=false"));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flatpak-manifest/app-id", test_manifest_app_id);
  g_test_add_func ("/flatpak-manifest/own-name", test_manifest_own_name);
  g_test_add_func ("/flatpak-manifest/finish-args-minimal", test_manifest_finish_args_minimal);
  g_test_add_func ("/flatpak-manifest/command-installed", test_manifest_command_installed);
  g_test_add_func ("/flatpak-manifest/project-module", test_manifest_project_module);

  return g_test_run ();
}
