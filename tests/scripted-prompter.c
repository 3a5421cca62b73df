/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* A stand-in for mcp-consent-prompter that speaks the same private
 * protocol but takes its answers from a script, so daemon and end-to-end
 * tests run without a display.  See tests/README.md:
 *
 *   MCP_CONSENT_TEST_SCRIPT  answers, one per line, the first line consumed
 *                            per prompt: open, decline, dismiss,
 *                            open-always, open-scopes SCOPE..., hang (no
 *                            answer), crash (abort), hold (answer with
 *                            the next line once the test writes one)
 *   MCP_CONSENT_TEST_RECORD  one JSON line appended per event: the prompt
 *                            as the real dialog would show it, and the
 *                            notices and dismissals that follow
 */

#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <unistd.h>

#include "mc-dbus.h"

#define CHANNEL_FD 3
#define PROMPTER_PATH "/io/github/mcp_consent/Prompter"

static GMainLoop *loop;

static void
record (const char *event,
        const char *prompt_id,
        GVariant   *details,
        const char *answer,
        GVariant   *results,
        const char *reason)
{
  const char *path = g_getenv ("MCP_CONSENT_TEST_RECORD");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *line = NULL;
  JsonObject *object = NULL;
  int fd = -1;

  if (path == NULL)
    return;

  node = details != NULL ? json_gvariant_serialize (details) : json_node_new (JSON_NODE_OBJECT);
  if (details == NULL)
    json_node_take_object (node, json_object_new ());
  object = json_node_get_object (node);
  json_object_set_string_member (object, "event", event);
  json_object_set_string_member (object, "id", prompt_id);
  if (answer != NULL)
    json_object_set_string_member (object, "answer", answer);
  if (results != NULL)
    json_object_set_member (object, "results", json_gvariant_serialize (results));
  if (reason != NULL)
    json_object_set_string_member (object, "reason", reason);

  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  line = json_generator_to_data (generator, NULL);

  fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    g_error ("scripted-prompter: cannot open %s", path);
  if (write (fd, line, strlen (line)) < 0 || write (fd, "\n", 1) < 0)
    g_error ("scripted-prompter: cannot write %s", path);
  close (fd);
}

/* Takes the first line off the script, so a prompter started again after
 * a crash continues where the last one stopped. */
static char *
next_answer (void)
{
  const char *path = g_getenv ("MCP_CONSENT_TEST_SCRIPT");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  char *newline = NULL;
  char *answer = NULL;

  if (path == NULL || !g_file_get_contents (path, &contents, NULL, NULL) || contents[0] == '\0')
    return g_strdup ("hang");

  newline = strchr (contents, '\n');
  if (newline != NULL)
    *newline = '\0';
  answer = g_strstrip (g_strdup (contents));

  if (!g_file_set_contents (path, newline != NULL ? newline + 1 : "", -1, &error))
    g_error ("scripted-prompter: cannot update %s: %s", path, error->message);

  return answer;
}

typedef struct
{
  McDbusPrompter1 *skeleton;
  char            *prompt_id;
  char            *answer;
  GVariant        *results;
} Answer;

static gboolean
send_answer (gpointer user_data)
{
  Answer *answer = user_data;

  mc_dbus_prompter1_emit_answered (answer->skeleton, answer->prompt_id, answer->answer,
                                   answer->results);
  g_object_unref (answer->skeleton);
  g_free (answer->prompt_id);
  g_free (answer->answer);
  g_variant_unref (answer->results);
  g_free (answer);
  return G_SOURCE_REMOVE;
}

static gboolean
is_authorize (GVariant *details)
{
  const char *kind = NULL;

  return g_variant_lookup (details, "kind", "&s", &kind) && g_str_equal (kind, "authorize");
}

/* What Answered carries.  "open" on a sign-in keeps every scope offered,
 * as the real dialog does when nothing is unticked; "open-scopes" sends
 * the scopes it names, as written, even ones never offered and even on a
 * link prompt, so that daemon tests can check what the daemon does with
 * them. */
static GVariant *
create_results (const char * const *words,
                GVariant           *details)
{
  g_auto(GVariantDict) results = G_VARIANT_DICT_INIT (NULL);

  if (g_str_equal (words[0], "open-scopes"))
    {
      g_variant_dict_insert_value (&results, "scopes", g_variant_new_strv (words + 1, -1));
    }
  else if (g_str_equal (words[0], "open") && is_authorize (details))
    {
      g_autoptr(GVariant) scopes = g_variant_lookup_value (details, "scopes", G_VARIANT_TYPE_STRING_ARRAY);

      g_variant_dict_insert_value (&results, "scopes", scopes ? scopes : g_variant_new_strv (NULL, 0));
    }

  return g_variant_ref_sink (g_variant_dict_end (&results));
}

/* Answers @prompt_id with a script line: records it as @event (with
 * @details, for a prompt), completes @invocation if there is one, and
 * sends the answer after the reply, as a person would. */
static void
answer_prompt (McDbusPrompter1       *skeleton,
               GDBusMethodInvocation *invocation,
               const char            *event,
               const char            *prompt_id,
               GVariant              *details,
               const char            *line)
{
  g_auto(GStrv) words = g_strsplit_set (line, " \t", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parts = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autofree char *answer = NULL;
  Answer *pending = NULL;

  /* Words of the line, however many spaces apart. */
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_strv_builder_add (builder, words[i]);
  parts = g_strv_builder_end (builder);

  /* A blank line answers nothing, as an empty script does. */
  if (parts[0] == NULL)
    answer = g_strdup ("hang");
  else
    answer = g_strdup (g_str_equal (parts[0], "open-scopes") ? "open" : parts[0]);
  if (!g_str_equal (answer, "hang") && !g_str_equal (answer, "crash"))
    results = create_results ((const char * const *) parts, details);

  record (event, prompt_id, invocation != NULL ? details : NULL, answer, results, NULL);
  if (invocation != NULL)
    mc_dbus_prompter1_complete_show_prompt (skeleton, invocation);

  if (g_str_equal (answer, "crash"))
    abort ();

  if (g_str_equal (answer, "hang"))
    return;

  pending = g_new0 (Answer, 1);
  pending->skeleton = g_object_ref (skeleton);
  pending->prompt_id = g_strdup (prompt_id);
  pending->answer = g_steal_pointer (&answer);
  pending->results = g_steal_pointer (&results);
  g_idle_add (send_answer, pending);
}

/* The prompt a "hold" line keeps on screen: the test decides when the
 * user answers by writing the script again, so it can act while the
 * prompt shows (send CompleteElicitation, say) without racing the answer. */
typedef struct
{
  McDbusPrompter1 *skeleton;
  char            *prompt_id;
  GVariant        *details;
  GFileMonitor    *monitor;
} Held;

static Held *held;

static void
held_free (Held *h)
{
  g_signal_handlers_disconnect_by_data (h->monitor, h);
  g_file_monitor_cancel (h->monitor);
  g_object_unref (h->monitor);
  g_object_unref (h->skeleton);
  g_free (h->prompt_id);
  g_variant_unref (h->details);
  g_free (h);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Held, held_free)

static void
release_if_answered (void)
{
  g_autoptr(Held) h = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *line = NULL;

  if (held == NULL ||
      !g_file_get_contents (g_getenv ("MCP_CONSENT_TEST_SCRIPT"), &contents, NULL, NULL) ||
      contents[0] == '\0')
    return;

  h = g_steal_pointer (&held);
  line = next_answer ();
  answer_prompt (h->skeleton, NULL, "answered", h->prompt_id, h->details, line);
}

static void
on_script_changed (GFileMonitor      *monitor,
                   GFile             *file,
                   GFile             *other_file,
                   GFileMonitorEvent  event_type,
                   gpointer           user_data)
{
  release_if_answered ();
}

static void
hold_prompt (McDbusPrompter1 *skeleton,
             const char      *prompt_id,
             GVariant        *details)
{
  g_autoptr(GFile) script = g_file_new_for_path (g_getenv ("MCP_CONSENT_TEST_SCRIPT"));
  g_autoptr(GError) error = NULL;
  Held *h = g_new0 (Held, 1);

  /* One prompt is on screen at a time: a new one ends the hold. */
  g_clear_pointer (&held, held_free);

  h->skeleton = g_object_ref (skeleton);
  h->prompt_id = g_strdup (prompt_id);
  h->details = g_variant_ref (details);
  h->monitor = g_file_monitor_file (script, G_FILE_MONITOR_NONE, NULL, &error);
  if (h->monitor == NULL)
    g_error ("scripted-prompter: cannot watch the script: %s", error->message);
  g_signal_connect (h->monitor, "changed", G_CALLBACK (on_script_changed), h);
  held = h;

  /* The test may have written its answer already. */
  release_if_answered ();
}

static gboolean
handle_show_prompt (McDbusPrompter1       *skeleton,
                    GDBusMethodInvocation *invocation,
                    const char            *prompt_id,
                    GVariant              *details)
{
  g_autofree char *line = next_answer ();

  if (g_str_equal (line, "hold"))
    {
      record ("prompt", prompt_id, details, "hold", NULL, NULL);
      mc_dbus_prompter1_complete_show_prompt (skeleton, invocation);
      hold_prompt (skeleton, prompt_id, details);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  answer_prompt (skeleton, invocation, "prompt", prompt_id, details, line);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_show_opened (McDbusPrompter1       *skeleton,
                    GDBusMethodInvocation *invocation,
                    const char            *prompt_id,
                    GVariant              *details)
{
  record ("opened", prompt_id, details, NULL, NULL, NULL);
  mc_dbus_prompter1_complete_show_opened (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_show_open_failed (McDbusPrompter1       *skeleton,
                         GDBusMethodInvocation *invocation,
                         const char            *prompt_id,
                         const char            *reason)
{
  record ("open-failed", prompt_id, NULL, NULL, NULL, reason);
  mc_dbus_prompter1_complete_show_open_failed (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_dismiss (McDbusPrompter1       *skeleton,
                GDBusMethodInvocation *invocation,
                const char            *prompt_id)
{
  record ("dismissed", prompt_id, NULL, NULL, NULL, NULL);
  /* A dismissed prompt cannot be answered any more. */
  if (held != NULL && g_str_equal (held->prompt_id, prompt_id))
    g_clear_pointer (&held, held_free);
  mc_dbus_prompter1_complete_dismiss (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_closed (GDBusConnection *connection,
           gboolean         remote_peer_vanished,
           GError          *error,
           gpointer         user_data)
{
  g_main_loop_quit (loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(McDbusPrompter1) skeleton = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new_from_fd (CHANNEL_FD, &error);
  if (socket == NULL)
    {
      g_printerr ("scripted-prompter: no channel on fd %d: %s\n", CHANNEL_FD, error->message);
      return EXIT_FAILURE;
    }
  fcntl (CHANNEL_FD, F_SETFD, FD_CLOEXEC);

  stream = g_socket_connection_factory_create_connection (socket);
  connection = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                           G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
                                           NULL, NULL, &error);
  if (connection == NULL)
    {
      g_printerr ("scripted-prompter: %s\n", error->message);
      return EXIT_FAILURE;
    }

  skeleton = mc_dbus_prompter1_skeleton_new ();
  g_signal_connect (skeleton, "handle-show-prompt", G_CALLBACK (handle_show_prompt), NULL);
  g_signal_connect (skeleton, "handle-show-opened", G_CALLBACK (handle_show_opened), NULL);
  g_signal_connect (skeleton, "handle-show-open-failed", G_CALLBACK (handle_show_open_failed), NULL);
  g_signal_connect (skeleton, "handle-dismiss", G_CALLBACK (handle_dismiss), NULL);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (skeleton), connection, PROMPTER_PATH, &error))
    {
      g_printerr ("scripted-prompter: %s\n", error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), NULL);
  g_dbus_connection_start_message_processing (connection);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);

  return EXIT_SUCCESS;
}
