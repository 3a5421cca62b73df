/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* Runs one operation of the daemon's token store (src/daemon/mc-token-store.c)
 * and prints its outcome as one line of JSON.  The keyring tests run it in
 * their private environment (bus, HOME, XDG dirs): libsecret talks to the
 * session bus of its process's environment, and a test never changes its
 * own environment.  Secrets go in on stdin, never in arguments, as in the
 * daemon.
 *
 *   token-store-probe store KIND RESOURCE ISSUER CLIENT APP < secret
 *     → {"stored": true}
 *   token-store-probe lookup KIND RESOURCE ISSUER CLIENT APP
 *     → {"secret": "…"} or {"secret": null}
 *   token-store-probe clear RESOURCE ISSUER CLIENT APP
 *     → {"deleted": N}
 *   any of them, on failure
 *     → {"error": {"domain": "…", "code": N, "message": "…"}}
 *
 * KIND is access, refresh or client-secret.  Exit status 0 whatever the
 * outcome; 2 for a usage error.
 */

#include "config.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <unistd.h>

#include "mc-token-store.h"

typedef struct
{
  gboolean    done;
  JsonNode   *outcome;
} Probe;

static JsonNode *
new_error (const GError *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "domain");
  json_builder_add_string_value (builder, g_quark_to_string (error->domain));
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, error->code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, error->message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static JsonNode *
new_outcome (const char *name,
             JsonNode   *value)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_member (object, name, value);
  json_node_set_object (node, object);
  return node;
}

static void
on_stored (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;

  if (mc_token_store_store_finish (result, &error))
    probe->outcome = new_outcome ("stored", json_node_init_boolean (json_node_alloc (), TRUE));
  else
    probe->outcome = new_error (error);
  probe->done = TRUE;
}

static void
on_looked_up (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(McTokenSecret) secret = NULL;

  secret = mc_token_store_lookup_finish (result, &error);
  if (error != NULL)
    probe->outcome = new_error (error);
  else if (secret != NULL)
    probe->outcome = new_outcome ("secret", json_node_init_string (json_node_alloc (), secret));
  else
    probe->outcome = new_outcome ("secret", json_node_init_null (json_node_alloc ()));
  probe->done = TRUE;
}

static void
on_cleared (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  guint deleted = 0;

  deleted = mc_token_store_clear_finish (result, &error);
  if (error != NULL)
    probe->outcome = new_error (error);
  else
    probe->outcome = new_outcome ("deleted", json_node_init_int (json_node_alloc (), deleted));
  probe->done = TRUE;
}

static gboolean
parse_kind (const char  *name,
            McTokenKind *kind)
{
  for (McTokenKind k = MC_TOKEN_KIND_ACCESS; k <= MC_TOKEN_KIND_CLIENT_SECRET; k++)
    {
      if (g_str_equal (name, mc_token_kind_to_string (k)))
        {
          *kind = k;
          return TRUE;
        }
    }
  return FALSE;
}

static char *
read_stdin (void)
{
  g_autoptr(GInputStream) input = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  g_output_stream_splice (output, input, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (output, "", 1, NULL, NULL, NULL);
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (output));
}

static int
usage (void)
{
  g_printerr ("usage: token-store-probe store|lookup KIND RESOURCE ISSUER CLIENT APP\n"
              "       token-store-probe clear RESOURCE ISSUER CLIENT APP\n");
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  Probe probe = { FALSE, NULL };
  McTokenKind kind = MC_TOKEN_KIND_ACCESS;
  McTokenKey key = { NULL, NULL, NULL, NULL };

  setlocale (LC_ALL, "");

  if (argc == 7 && (g_str_equal (argv[1], "store") || g_str_equal (argv[1], "lookup")))
    {
      if (!parse_kind (argv[2], &kind))
        return usage ();
      key.resource = argv[3];
      key.issuer = argv[4];
      key.client = argv[5];
      key.app = argv[6];
    }
  else if (argc == 6 && g_str_equal (argv[1], "clear"))
    {
      key.resource = argv[2];
      key.issuer = argv[3];
      key.client = argv[4];
      key.app = argv[5];
    }
  else
    return usage ();

  if (g_str_equal (argv[1], "store"))
    {
      g_autofree char *secret = read_stdin ();

      mc_token_store_store_async (kind, &key, secret, NULL, on_stored, &probe);
    }
  else if (g_str_equal (argv[1], "lookup"))
    mc_token_store_lookup_async (kind, &key, NULL, on_looked_up, &probe);
  else
    mc_token_store_clear_async (&key, NULL, on_cleared, &probe);

  while (!probe.done)
    g_main_context_iteration (NULL, TRUE);

  json_generator_set_root (generator, probe.outcome);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  json_node_unref (probe.outcome);

  return 0;
}
