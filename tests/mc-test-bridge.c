/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "mc-test-bridge.h"

struct _McTestBridge
{
  GSubprocess      *process;
  GCancellable     *cancellable;

  GOutputStream    *input;
  GQueue            writes;
  gboolean          writing;
  gboolean          close_requested;
  gboolean          input_closed;

  GDataInputStream *output;
  gboolean          reading;
  gboolean          reading_wanted;
  gboolean          output_ended;
  GPtrArray        *lines;

  GDataInputStream *errors;
  gboolean          errors_ended;
  GString          *stderr_text;

  gboolean          exited;
};

/* stdin {{{1 */

static void write_next (McTestBridge *self);

static void
on_input_closed (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  McTestBridge *self = user_data;

  g_output_stream_close_finish (G_OUTPUT_STREAM (source_object), result, NULL);
  self->writing = FALSE;
  self->input_closed = TRUE;
}

static void
on_written (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  McTestBridge *self = user_data;
  g_autoptr(GError) error = NULL;

  g_bytes_unref (g_queue_pop_head (&self->writes));
  self->writing = FALSE;
  /* A bridge that exited has its stdin closed; the test sees the exit. */
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source_object), result, NULL, &error))
    {
      g_test_message ("Writing to the bridge: %s", error->message);
      g_queue_clear_full (&self->writes, (GDestroyNotify) g_bytes_unref);
    }
  write_next (self);
}

static void
write_next (McTestBridge *self)
{
  GBytes *bytes = NULL;

  if (self->writing || self->input_closed)
    return;

  if (g_queue_is_empty (&self->writes))
    {
      if (self->close_requested)
        {
          self->writing = TRUE;
          g_output_stream_close_async (self->input, G_PRIORITY_DEFAULT, NULL, on_input_closed, self);
        }
      return;
    }

  bytes = g_queue_peek_head (&self->writes);
  self->writing = TRUE;
  g_output_stream_write_all_async (self->input, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_PRIORITY_DEFAULT, NULL, on_written, self);
}

/**
 * mc_test_bridge_send_bytes:
 * @self: a #McTestBridge
 * @data: (array length=length): bytes for stdin
 * @length: how many
 *
 * Queues bytes for the bridge's stdin, written in order as the bridge
 * reads them (the test never blocks on a bridge that stops reading).
 */
void
mc_test_bridge_send_bytes (McTestBridge *self,
                           const char   *data,
                           gsize         length)
{
  g_assert_false (self->close_requested);
  g_queue_push_tail (&self->writes, g_bytes_new (data, length));
  write_next (self);
}

/**
 * mc_test_bridge_send:
 * @self: a #McTestBridge
 * @line: one line, without its "\n"
 */
void
mc_test_bridge_send (McTestBridge *self,
                     const char   *line)
{
  g_autofree char *with_newline = g_strconcat (line, "\n", NULL);

  mc_test_bridge_send_bytes (self, with_newline, strlen (with_newline));
}

void
mc_test_bridge_send_printf (McTestBridge *self,
                            const char   *format,
                            ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  mc_test_bridge_send (self, line);
}

/**
 * mc_test_bridge_close_stdin:
 * @self: a #McTestBridge
 *
 * Closes stdin once everything queued was written, as a client that
 * exits does.
 */
void
mc_test_bridge_close_stdin (McTestBridge *self)
{
  self->close_requested = TRUE;
  write_next (self);
}

/* stdout and stderr {{{1 */

static void read_next_line (McTestBridge *self);

static void
on_line (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  McTestBridge *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *line = NULL;
  gsize length = 0;

  self->reading = FALSE;
  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source_object), result, &length, &error);
  if (line == NULL)
    {
      self->output_ended = TRUE;
      return;
    }

  /* stdout is the client's: every line must be one JSON-RPC message. */
  node = json_from_string (line, &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
      g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node), "jsonrpc", NULL),
                 "2.0") != 0)
    g_error ("The bridge wrote a line to stdout that is not a JSON-RPC message: %s", line);
  g_assert_cmpuint (strlen (line), ==, length);

  g_ptr_array_add (self->lines, json_object_ref (json_node_get_object (node)));
  read_next_line (self);
}

static void
read_next_line (McTestBridge *self)
{
  if (self->reading || self->output_ended || !self->reading_wanted)
    return;

  self->reading = TRUE;
  g_data_input_stream_read_line_async (self->output, G_PRIORITY_DEFAULT, self->cancellable, on_line, self);
}

static void read_next_error (McTestBridge *self);

static void
on_error_line (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  McTestBridge *self = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source_object), result, NULL, NULL);
  if (line == NULL)
    {
      self->errors_ended = TRUE;
      return;
    }

  g_test_message ("bridge: %s", line);
  g_string_append_printf (self->stderr_text, "%s\n", line);
  read_next_error (self);
}

static void
read_next_error (McTestBridge *self)
{
  g_data_input_stream_read_line_async (self->errors, G_PRIORITY_DEFAULT, self->cancellable, on_error_line, self);
}

/**
 * mc_test_bridge_set_reading:
 * @self: a #McTestBridge
 * @reading: whether the client reads stdout
 *
 * Stops or resumes reading the bridge's stdout, as a client that is busy.
 */
void
mc_test_bridge_set_reading (McTestBridge *self,
                            gboolean      reading)
{
  self->reading_wanted = reading;
  read_next_line (self);
}

/* Starting and stopping {{{1 */

static void
on_exited (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  McTestBridge *self = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, NULL);
  self->exited = TRUE;
}

/**
 * mc_test_bridge_startv:
 * @env: the test's environment
 * @args: (array zero-terminated=1): the bridge's arguments
 *
 * Returns: (transfer full): the running bridge
 */
McTestBridge *
mc_test_bridge_startv (McTestEnv          *env,
                       const char * const *args)
{
  McTestBridge *self = g_new0 (McTestBridge, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (char *) mc_test_build_path ("MC_TEST_BRIDGE"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                            G_SUBPROCESS_FLAGS_STDERR_PIPE);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  self->cancellable = g_cancellable_new ();
  self->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->stderr_text = g_string_new (NULL);
  g_queue_init (&self->writes);
  self->input = g_object_ref (g_subprocess_get_stdin_pipe (self->process));
  self->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  self->errors = g_data_input_stream_new (g_subprocess_get_stderr_pipe (self->process));
  g_data_input_stream_set_newline_type (self->output, G_DATA_STREAM_NEWLINE_TYPE_LF);

  self->reading_wanted = TRUE;
  read_next_line (self);
  read_next_error (self);
  g_subprocess_wait_async (self->process, NULL, on_exited, self);
  return self;
}

McTestBridge *
mc_test_bridge_start (McTestEnv  *env,
                      const char *first_arg,
                      ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return mc_test_bridge_startv (env, (const char * const *) args->pdata);
}

static gboolean
all_done (gpointer user_data)
{
  McTestBridge *self = user_data;

  return self->exited && self->output_ended && self->errors_ended && !self->writing;
}

/**
 * mc_test_bridge_wait_exit:
 * @self: a #McTestBridge
 *
 * Waits for the bridge to exit and for its output to end.
 *
 * Returns: its exit status (-1 if a signal ended it)
 */
int
mc_test_bridge_wait_exit (McTestBridge *self)
{
  /* Whatever is still unread is read to the end. */
  mc_test_bridge_set_reading (self, TRUE);
  mc_test_wait_until (all_done, self, "the bridge to exit");
  if (!g_subprocess_get_if_exited (self->process))
    return -1;
  return g_subprocess_get_exit_status (self->process);
}

gboolean
mc_test_bridge_has_exited (McTestBridge *self)
{
  return self->exited;
}

int
mc_test_bridge_get_pid (McTestBridge *self)
{
  const char *identifier = g_subprocess_get_identifier (self->process);

  g_assert_nonnull (identifier);
  return atoi (identifier);
}

void
mc_test_bridge_free (McTestBridge *self)
{
  if (self == NULL)
    return;

  /* The test's child, stopped by its pid if the test did not end it. */
  if (!self->exited)
    {
      g_subprocess_send_signal (self->process, SIGKILL);
      mc_test_wait_until (all_done, self, "the killed bridge to exit");
    }
  g_cancellable_cancel (self->cancellable);
  while (self->reading || self->writing)
    g_main_context_iteration (NULL, TRUE);

  g_queue_clear_full (&self->writes, (GDestroyNotify) g_bytes_unref);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->errors);
  g_clear_object (&self->process);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->lines, g_ptr_array_unref);
  g_string_free (self->stderr_text, TRUE);
  g_free (self);
}

/* What came out {{{1 */

guint
mc_test_bridge_count_lines (McTestBridge *self)
{
  return self->lines->len;
}

/**
 * mc_test_bridge_get_line:
 * @self: a #McTestBridge
 * @index: which line of stdout
 *
 * Returns: (transfer none): the message on it
 */
JsonObject *
mc_test_bridge_get_line (McTestBridge *self,
                         guint         index)
{
  g_assert_cmpuint (index, <, self->lines->len);
  return self->lines->pdata[index];
}

typedef struct
{
  McTestBridge *self;
  guint         index;
} LineWait;

static gboolean
has_line (gpointer user_data)
{
  LineWait *wait = user_data;

  return wait->self->lines->len > wait->index || wait->self->output_ended;
}

/**
 * mc_test_bridge_wait_line:
 * @self: a #McTestBridge
 * @index: which line of stdout
 *
 * Returns: (transfer none): the message on it, once it came
 */
JsonObject *
mc_test_bridge_wait_line (McTestBridge *self,
                          guint         index)
{
  LineWait wait = { self, index };

  mc_test_wait_until (has_line, &wait, "a line from the bridge");
  if (self->lines->len <= index)
    g_error ("The bridge's stdout ended after %u lines; stderr:\n%s", self->lines->len, self->stderr_text->str);
  return self->lines->pdata[index];
}

static gboolean
has_id (JsonObject *message,
        const char *id_json)
{
  g_autofree char *id = NULL;

  if (!json_object_has_member (message, "id") ||
      (!json_object_has_member (message, "result") && !json_object_has_member (message, "error")))
    return FALSE;
  id = json_to_string (json_object_get_member (message, "id"), FALSE);
  return g_str_equal (id, id_json);
}

/**
 * mc_test_bridge_find_response:
 * @self: a #McTestBridge
 * @id_json: the id as JSON text: `5`, `"abc"`, `null`
 *
 * Returns: (transfer none) (nullable): the first response with that id
 *   so far
 */
JsonObject *
mc_test_bridge_find_response (McTestBridge *self,
                              const char   *id_json)
{
  for (guint i = 0; i < self->lines->len; i++)
    {
      if (has_id (self->lines->pdata[i], id_json))
        return self->lines->pdata[i];
    }
  return NULL;
}

guint
mc_test_bridge_count_responses (McTestBridge *self,
                                const char   *id_json)
{
  guint count = 0;

  for (guint i = 0; i < self->lines->len; i++)
    {
      if (has_id (self->lines->pdata[i], id_json))
        count++;
    }
  return count;
}

typedef struct
{
  McTestBridge *self;
  const char   *id_json;
} ResponseWait;

static gboolean
has_response (gpointer user_data)
{
  ResponseWait *wait = user_data;

  return mc_test_bridge_find_response (wait->self, wait->id_json) != NULL || wait->self->output_ended;
}

/**
 * mc_test_bridge_wait_response:
 * @self: a #McTestBridge
 * @id_json: the id as JSON text
 *
 * Returns: (transfer none): the response with that id, once it came
 */
JsonObject *
mc_test_bridge_wait_response (McTestBridge *self,
                              const char   *id_json)
{
  ResponseWait wait = { self, id_json };
  JsonObject *response = NULL;

  mc_test_wait_until (has_response, &wait, "a response from the bridge");
  response = mc_test_bridge_find_response (self, id_json);
  if (response == NULL)
    g_error ("The bridge's stdout ended without a response to %s; stderr:\n%s", id_json, self->stderr_text->str);
  return response;
}

/**
 * mc_test_bridge_initialize:
 * @self: a #McTestBridge
 * @protocol_version: the version the client asks for
 *
 * The MCP handshake as a client does it: initialize (id 0), then
 * notifications/initialized.
 *
 * Returns: (transfer none): the initialize result
 */
JsonObject *
mc_test_bridge_initialize (McTestBridge *self,
                           const char   *protocol_version)
{
  JsonObject *response = NULL;

  mc_test_bridge_send_printf (self, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
                                    "{\"protocolVersion\":\"%s\",\"capabilities\":{},"
                                    "\"clientInfo\":{\"name\":\"mc-test\",\"version\":\"1.0\"}}}",
                              protocol_version);
  response = mc_test_bridge_wait_response (self, "0");
  if (!json_object_has_member (response, "result"))
    g_error ("initialize failed: %s", mc_test_bridge_error_message (response));
  mc_test_bridge_send (self, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
  return json_object_get_object_member (response, "result");
}

const char *
mc_test_bridge_get_stderr (McTestBridge *self)
{
  return self->stderr_text->str;
}

typedef struct
{
  McTestBridge *self;
  const char   *text;
} StderrWait;

static gboolean
stderr_has (gpointer user_data)
{
  StderrWait *wait = user_data;

  return strstr (wait->self->stderr_text->str, wait->text) != NULL || wait->self->errors_ended;
}

/**
 * mc_test_bridge_wait_stderr:
 * @self: a #McTestBridge
 * @text: what to wait for
 *
 * Waits until the bridge wrote @text to stderr.
 */
void
mc_test_bridge_wait_stderr (McTestBridge *self,
                            const char   *text)
{
  StderrWait wait = { self, text };

  mc_test_wait_until (stderr_has, &wait, text);
  if (strstr (self->stderr_text->str, text) == NULL)
    g_error ("The bridge's stderr ended without “%s”:\n%s", text, self->stderr_text->str);
}

/**
 * mc_test_bridge_dup_transcript:
 * @self: a #McTestBridge
 *
 * Everything the client saw of the bridge so far: its stderr, then every
 * line of stdout (as JSON text), one per line.  What a test searches for
 * what must not reach the client.
 *
 * Returns: (transfer full): the text
 */
char *
mc_test_bridge_dup_transcript (McTestBridge *self)
{
  GString *seen = g_string_new (self->stderr_text->str);

  for (guint i = 0; i < self->lines->len; i++)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autofree char *line = NULL;

      json_node_set_object (node, self->lines->pdata[i]);
      line = json_to_string (node, FALSE);
      g_string_append_printf (seen, "\n%s", line);
    }
  return g_string_free (seen, FALSE);
}

/**
 * mc_test_bridge_error_message:
 * @response: an error response
 *
 * Returns: its error's message
 */
const char *
mc_test_bridge_error_message (JsonObject *response)
{
  g_assert_true (json_object_has_member (response, "error"));
  return json_object_get_string_member (json_object_get_object_member (response, "error"), "message");
}

gint64
mc_test_bridge_error_code (JsonObject *response)
{
  g_assert_true (json_object_has_member (response, "error"));
  return json_object_get_int_member (json_object_get_object_member (response, "error"), "code");
}

/**
 * mc_test_bridge_call_tool:
 * @self: a #McTestBridge
 * @id_json: the request's id as JSON text
 * @name: the tool
 * @arguments: (nullable): its arguments as a JSON object, or %NULL for none
 *
 * Sends tools/call.
 */
void
mc_test_bridge_call_tool (McTestBridge *self,
                          const char   *id_json,
                          const char   *name,
                          const char   *arguments)
{
  mc_test_bridge_send_printf (self, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"tools/call\","
                                    "\"params\":{\"name\":\"%s\",\"arguments\":%s}}",
                              id_json, name, arguments != NULL ? arguments : "{}");
}

/**
 * mc_test_bridge_result_text:
 * @response: the response to tools/call
 *
 * Returns: the text of its first content item; the test fails on an error
 */
const char *
mc_test_bridge_result_text (JsonObject *response)
{
  JsonObject *result = NULL;
  JsonArray *content = NULL;

  if (!json_object_has_member (response, "result"))
    g_error ("Expected a result, got the error “%s”", mc_test_bridge_error_message (response));
  result = json_object_get_object_member (response, "result");
  content = json_object_get_array_member (result, "content");
  return json_object_get_string_member (json_array_get_object_element (content, 0), "text");
}
