/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-request.h"
#include "mc-audit-events.h"

/* How often a clashing handle_token gets a random suffix before giving up;
 * a clash needs the same caller to reuse a token while it is pending. */
#define MAX_EXPORT_ATTEMPTS 8

/* Paths of exported requests: a skeleton cannot retry its export at
 * another path, so a free one is found first.  Main thread only. */
static GHashTable *exported_paths;

struct _McRequest
{
  McDbusRequest1Skeleton  parent_instance;

  GDBusConnection        *connection;
  char                   *sender;
  char                   *token;
  char                   *path;
  gboolean                exported;
  /* Response is on its way, waiting for the audit log. */
  gboolean                responding;
};

enum
{
  SIGNAL_CLOSE_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void mc_request_iface_init (McDbusRequest1Iface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (McRequest, mc_request, MC_DBUS_TYPE_REQUEST1_SKELETON,
                               G_IMPLEMENT_INTERFACE (MC_DBUS_TYPE_REQUEST1, mc_request_iface_init))

static gboolean
mc_request_handle_close (McDbusRequest1         *object,
                         GDBusMethodInvocation  *invocation)
{
  McRequest *self = MC_REQUEST (object);
  g_autoptr(McRequest) hold G_GNUC_UNUSED = g_object_ref (self);

  g_debug ("Request %s closed by its caller", self->path);

  mc_dbus_request1_complete_close (object, invocation);
  mc_request_unexport (self);
  g_signal_emit (self, signals[SIGNAL_CLOSE_REQUESTED], 0);

  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
mc_request_iface_init (McDbusRequest1Iface *iface)
{
  iface->handle_close = mc_request_handle_close;
}

/* Runs in a GDBus worker thread: only immutable fields may be read. */
static gboolean
mc_request_authorize_method (GDBusInterfaceSkeleton *skeleton,
                             GDBusMethodInvocation  *invocation)
{
  McRequest *self = MC_REQUEST (skeleton);

  if (g_strcmp0 (g_dbus_method_invocation_get_sender (invocation), self->sender) != 0)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                             "Only the caller that made a request may close it");
      return FALSE;
    }

  return TRUE;
}

static void
mc_request_dispose (GObject *object)
{
  McRequest *self = (McRequest *)object;

  mc_request_unexport (self);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (mc_request_parent_class)->dispose (object);
}

static void
mc_request_finalize (GObject *object)
{
  McRequest *self = (McRequest *)object;

  g_clear_pointer (&self->sender, g_free);
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (mc_request_parent_class)->finalize (object);
}

static void
mc_request_class_init (McRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS (klass);

  object_class->dispose = mc_request_dispose;
  object_class->finalize = mc_request_finalize;
  skeleton_class->g_authorize_method = mc_request_authorize_method;

  /**
   * McRequest::close-requested:
   *
   * The caller withdrew the request with Close(); the object is already
   * unexported and no Response must follow.
   */
  signals[SIGNAL_CLOSE_REQUESTED] =
    g_signal_new ("close-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
mc_request_init (McRequest *self)
{
}

static char *
escape_sender (const char *sender)
{
  /* ":1.42" → "1_42", as xdg-desktop-portal does, so clients can predict
   * the path and subscribe before they call. */
  char *escaped = g_strdup (sender[0] == ':' ? sender + 1 : sender);

  g_strdelimit (escaped, ".", '_');
  return escaped;
}

/**
 * mc_request_new:
 * @connection: the bus connection to export on
 * @sender: unique name of the caller
 * @handle_token: (nullable): the caller's validated handle_token option
 *
 * Returns: (transfer full): a request, not yet exported
 */
McRequest *
mc_request_new (GDBusConnection *connection,
                const char      *sender,
                const char      *handle_token)
{
  McRequest *self = NULL;
  g_autofree char *escaped_sender = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (sender != NULL, NULL);

  self = g_object_new (MC_TYPE_REQUEST, NULL);
  self->connection = g_object_ref (connection);
  self->sender = g_strdup (sender);
  /* Made-up tokens are random, not counted: a client that stays on the
   * bus while the daemon restarts must not get a path it already waits
   * on for an older request. */
  if (handle_token != NULL)
    self->token = g_strdup (handle_token);
  else
    self->token = g_strdup_printf ("mc%08x%08x", g_random_int (), g_random_int ());

  escaped_sender = escape_sender (sender);
  self->path = g_strconcat (MC_REQUEST_PATH_PREFIX, escaped_sender, "/", self->token, NULL);

  return self;
}

/**
 * mc_request_export:
 * @self: a #McRequest
 * @error: return location for a #GError
 *
 * Exports the request at the path derived from its sender and token.  If
 * that path is taken (the caller reused a pending token), a random suffix
 * is added, as portals do; the caller learns the path from the reply.
 *
 * Returns: %TRUE if exported
 */
gboolean
mc_request_export (McRequest  *self,
                   GError    **error)
{
  g_autofree char *base_path = NULL;

  g_return_val_if_fail (MC_IS_REQUEST (self), FALSE);
  g_return_val_if_fail (!self->exported, FALSE);

  if (exported_paths == NULL)
    exported_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  base_path = g_strdup (self->path);
  for (guint attempt = 0; g_hash_table_contains (exported_paths, self->path); attempt++)
    {
      if (attempt == MAX_EXPORT_ATTEMPTS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "Could not find a free object path for request %s", base_path);
          return FALSE;
        }
      g_free (self->path);
      self->path = g_strdup_printf ("%s_%08x", base_path, g_random_int ());
    }

  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self),
                                         self->connection, self->path, error))
    return FALSE;

  g_hash_table_add (exported_paths, g_strdup (self->path));
  self->exported = TRUE;
  return TRUE;
}

void
mc_request_unexport (McRequest *self)
{
  g_return_if_fail (MC_IS_REQUEST (self));

  if (!self->exported)
    return;

  self->exported = FALSE;
  g_hash_table_remove (exported_paths, self->path);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self));
}

const char *
mc_request_get_sender (McRequest *self)
{
  g_return_val_if_fail (MC_IS_REQUEST (self), NULL);

  return self->sender;
}

const char *
mc_request_get_path (McRequest *self)
{
  g_return_val_if_fail (MC_IS_REQUEST (self), NULL);

  return self->path;
}

gboolean
mc_request_is_exported (McRequest *self)
{
  g_return_val_if_fail (MC_IS_REQUEST (self), FALSE);

  return self->exported;
}

typedef struct
{
  McRequest  *request;
  McResponse  response;
  GVariant   *results;
} Respond;

static void
emit_response (McRequest  *self,
               McResponse  response,
               GVariant   *results)
{
  g_autoptr(GError) error = NULL;

  if (!self->exported)
    return;

  if (!g_dbus_connection_emit_signal (self->connection,
                                      self->sender,
                                      self->path,
                                      "io.github.mcp_consent.Request1",
                                      "Response",
                                      g_variant_new ("(u@a{sv})", (guint32)response, results),
                                      &error))
    g_debug ("Could not send Response on %s: %s", self->path, error->message);

  mc_request_unexport (self);
}

static void
on_audit_flushed (gboolean      written,
                  const GError *error,
                  gpointer      user_data)
{
  g_autofree Respond *respond = user_data;
  g_autoptr(McRequest) self = respond->request;
  g_autoptr(GVariant) results = respond->results;

  /* The user's answer stands even if it could not be recorded: the
   * browser may be open already (docs/audit.md). */
  emit_response (self, respond->response, results);
}

/**
 * mc_request_respond:
 * @self: an exported #McRequest
 * @response: the response code
 * @results: (transfer floating): an a{sv} of results
 *
 * Sends Response to the caller only — never broadcast, so other peers
 * cannot learn how the user answered — and unexports the request.  Does
 * nothing if the request was already answered, closed or withdrawn.
 * Response leaves once the audit log has written what led to it.
 */
void
mc_request_respond (McRequest  *self,
                    McResponse  response,
                    GVariant   *results)
{
  g_autoptr(GVariant) owned_results = NULL;
  Respond *respond = NULL;

  g_return_if_fail (MC_IS_REQUEST (self));
  g_return_if_fail (results != NULL);

  owned_results = g_variant_ref_sink (results);

  if (!self->exported || self->responding)
    return;
  self->responding = TRUE;

  respond = g_new0 (Respond, 1);
  respond->request = g_object_ref (self);
  respond->response = response;
  respond->results = g_steal_pointer (&owned_results);
  mc_audit_after_flush (on_audit_flushed, respond);
}
