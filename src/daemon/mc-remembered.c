/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mc-json.h"
#include "mc-remembered.h"
#include "mc-remembered-private.h"

#define FORMAT_VERSION 1
/* The format nests three deep; this leaves room for a later version. */

/* "Always allow <domain> for <server>" decisions, bound to a verified app
 * identity, kept in the state directory as JSON.  Nothing here is secret. */
struct _McRemembered
{
  GObject    parent_instance;

  char      *path;
  GPtrArray *entries;
  /* Saves run one at a time; a change during a save asks for another. */
  gboolean   saving;
  gboolean   dirty;
  /* GTasks waiting for the save in flight, and for the one after it. */
  GPtrArray *inflight_waiters;
  GPtrArray *pending_waiters;
};

typedef struct
{
  char      *id;
  char      *identity_key;
  char      *app_id;
  char      *server_name;
  char      *server_url;
  char      *domain;
  McUrlRisk  risk;
  gint64     created;
} Entry;

G_DEFINE_FINAL_TYPE (McRemembered, mc_remembered, G_TYPE_OBJECT)

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->id);
  g_free (entry->identity_key);
  g_free (entry->app_id);
  g_free (entry->server_name);
  g_free (entry->server_url);
  g_free (entry->domain);
  g_free (entry);
}

static void
mc_remembered_finalize (GObject *object)
{
  McRemembered *self = (McRemembered *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->inflight_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->pending_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (mc_remembered_parent_class)->finalize (object);
}

static void
mc_remembered_class_init (McRememberedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mc_remembered_finalize;
}

static void
mc_remembered_init (McRemembered *self)
{
  self->entries = g_ptr_array_new_with_free_func (entry_free);
  self->pending_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

static char *
dup_member (JsonObject *object,
            const char *name,
            gboolean    required,
            GError    **error)
{
  char *value = NULL;

  /* The member must be there: a NULL return says "error or absent". */
  if (!mc_json_get_string (object, name, required, &value, error))
    return NULL;
  if (value == NULL && required)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "entry lacks “%s”", name);
  return value;
}

static Entry *
entry_from_json (JsonNode  *node,
                 GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *risk = NULL;
  JsonObject *object = NULL;
  Entry *entry = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "entry is not an object");
      return NULL;
    }
  object = json_node_get_object (node);

  entry = g_new0 (Entry, 1);
  if ((entry->id = dup_member (object, "id", TRUE, &local_error)) == NULL ||
      (entry->identity_key = dup_member (object, "identity", TRUE, &local_error)) == NULL ||
      (entry->server_name = dup_member (object, "server_name", TRUE, &local_error)) == NULL ||
      (entry->domain = dup_member (object, "domain", TRUE, &local_error)) == NULL ||
      (risk = dup_member (object, "risk", TRUE, &local_error)) == NULL)
    {
      entry_free (entry);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  entry->app_id = dup_member (object, "app_id", FALSE, &local_error);
  if (local_error == NULL)
    entry->server_url = dup_member (object, "server_url", FALSE, &local_error);
  if (local_error == NULL && !mc_url_risk_from_string (risk, &entry->risk))
    g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown risk “%s”", risk);
  if (local_error == NULL && entry->risk >= MC_URL_RISK_DANGER)
    g_set_error_literal (&local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         "dangerous URLs are never remembered");
  if (local_error == NULL)
    mc_json_get_int (object, "created", 0, &entry->created, &local_error);
  if (local_error != NULL)
    {
      entry_free (entry);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return entry;
}

/**
 * _mc_remembered_load_from_data:
 * @self: an empty #McRemembered
 * @contents: (array length=length): what the state file holds
 * @length: length of @contents in bytes
 * @error: a location for a #GError, or %NULL
 *
 * Parses the state file's contents into @self.  All or nothing: a damaged
 * entry fails the whole file, so a half-read file never grants anything.
 *
 * Returns: %TRUE if @contents was loaded; %FALSE with @error set, and @self
 *   still empty, otherwise
 */
gboolean
_mc_remembered_load_from_data (McRemembered  *self,
                               const char    *contents,
                               gsize          length,
                               GError       **error)
{
  g_autoptr(JsonObject) root = NULL;
  JsonArray *entries = NULL;

  g_return_val_if_fail (MC_IS_REMEMBERED (self), FALSE);
  g_return_val_if_fail (self->entries->len == 0, FALSE);
  g_return_val_if_fail (contents != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  entries = mc_json_parse_state_list (contents, length, FORMAT_VERSION, "entries", &root, error);
  if (entries == NULL)
    return FALSE;

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      Entry *entry = entry_from_json (json_array_get_element (entries, i), error);

      if (entry == NULL)
        {
          g_prefix_error (error, "entry %u: ", i + 1);
          g_ptr_array_set_size (self->entries, 0);
          return FALSE;
        }
      g_ptr_array_add (self->entries, entry);
    }

  return TRUE;
}

static void
set_aside (const char   *path,
           const GError *reason)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *aside = g_strdup_printf ("%s.corrupt-%s", path, stamp);

  /* Keep the user's data for inspection rather than silently resetting. */
  if (g_rename (path, aside) == 0)
    g_warning ("%s is damaged (%s); moved it to %s and starting with no remembered decisions",
               path, reason->message, aside);
  else
    g_warning ("%s is damaged (%s) and could not be moved aside: %s; ignoring it",
               path, reason->message, g_strerror (errno));
}

/**
 * mc_remembered_new:
 * @path: the state file
 *
 * Loads the decisions synchronously: this runs once, at start-up, before
 * the daemon serves anyone.  A damaged file is moved aside with a warning.
 *
 * Returns: (transfer full): the store
 */
McRemembered *
mc_remembered_new (const char *path)
{
  g_autoptr(McRemembered) self = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (MC_TYPE_REMEMBERED, NULL);
  self->path = g_strdup (path);

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Could not read %s: %s", path, error->message);
      return g_steal_pointer (&self);
    }

  if (!_mc_remembered_load_from_data (self, contents, length, &error))
    set_aside (path, error);

  return g_steal_pointer (&self);
}

static Entry *
find_entry (McRemembered *self,
            const char   *id)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (g_str_equal (entry->id, id))
        return entry;
    }
  return NULL;
}

static Entry *
find_decision (McRemembered *self,
               const char   *identity_key,
               const char   *server_name,
               const char   *server_url,
               const char   *domain)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (g_str_equal (entry->identity_key, identity_key) &&
          g_str_equal (entry->server_name, server_name) &&
          g_strcmp0 (entry->server_url, server_url) == 0 &&
          g_str_equal (entry->domain, domain))
        return entry;
    }
  return NULL;
}

/**
 * mc_remembered_lookup:
 * @self: a #McRemembered
 * @identity_key: the verified caller identity
 * @server_name: the MCP server's name
 * @server_url: (nullable): the MCP server's URL
 * @domain: the registrable domain (or host) of the URL
 * @risk: the URL's verdict
 *
 * A decision covers URLs no riskier than the one the user allowed: a
 * caution they accepted once does not cover a danger, nor does an "ok"
 * cover a URL with a new warning.
 *
 * Returns: (nullable): the id of the decision that allows this URL
 */
const char *
mc_remembered_lookup (McRemembered *self,
                      const char   *identity_key,
                      const char   *server_name,
                      const char   *server_url,
                      const char   *domain,
                      McUrlRisk     risk)
{
  Entry *entry = NULL;

  g_return_val_if_fail (MC_IS_REMEMBERED (self), NULL);
  g_return_val_if_fail (identity_key != NULL, NULL);
  g_return_val_if_fail (server_name != NULL, NULL);
  g_return_val_if_fail (domain != NULL, NULL);

  if (risk >= MC_URL_RISK_DANGER)
    return NULL;

  entry = find_decision (self, identity_key, server_name, server_url, domain);
  if (entry == NULL || risk > entry->risk)
    return NULL;

  return entry->id;
}

/**
 * mc_remembered_add:
 * @self: a #McRemembered
 * @identity_key: the verified caller identity
 * @app_id: (nullable): the app id, for display
 * @server_name: the MCP server's name
 * @server_url: (nullable): the MCP server's URL
 * @domain: the registrable domain (or host)
 * @risk: the verdict of the URL the user allowed, below danger
 *
 * Remembers a decision in memory; mc_remembered_save_async() writes it.
 *
 * Returns: the decision's id
 */
const char *
mc_remembered_add (McRemembered *self,
                   const char   *identity_key,
                   const char   *app_id,
                   const char   *server_name,
                   const char   *server_url,
                   const char   *domain,
                   McUrlRisk     risk)
{
  Entry *entry = NULL;

  g_return_val_if_fail (MC_IS_REMEMBERED (self), NULL);
  g_return_val_if_fail (identity_key != NULL, NULL);
  g_return_val_if_fail (server_name != NULL, NULL);
  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (risk < MC_URL_RISK_DANGER, NULL);

  entry = find_decision (self, identity_key, server_name, server_url, domain);
  if (entry != NULL)
    {
      entry->risk = MAX (entry->risk, risk);
      self->dirty = TRUE;
      return entry->id;
    }

  entry = g_new0 (Entry, 1);
  entry->id = g_uuid_string_random ();
  g_strdelimit (entry->id, "-", '_');
  entry->identity_key = g_strdup (identity_key);
  entry->app_id = g_strdup (app_id);
  entry->server_name = g_strdup (server_name);
  entry->server_url = g_strdup (server_url);
  entry->domain = g_strdup (domain);
  entry->risk = risk;
  entry->created = g_get_real_time () / G_USEC_PER_SEC;
  g_ptr_array_add (self->entries, entry);
  self->dirty = TRUE;

  return entry->id;
}

/**
 * mc_remembered_forget:
 * @self: a #McRemembered
 * @id: a decision's id
 *
 * Returns: %TRUE if there was such a decision
 */
gboolean
mc_remembered_forget (McRemembered *self,
                      const char   *id)
{
  Entry *entry = NULL;

  g_return_val_if_fail (MC_IS_REMEMBERED (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  entry = find_entry (self, id);
  if (entry == NULL)
    return FALSE;

  g_ptr_array_remove (self->entries, entry);
  self->dirty = TRUE;
  return TRUE;
}

const char *
mc_remembered_get_identity (McRemembered *self,
                            const char   *id)
{
  Entry *entry = NULL;

  g_return_val_if_fail (MC_IS_REMEMBERED (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  entry = find_entry (self, id);
  return entry != NULL ? entry->identity_key : NULL;
}

/**
 * mc_remembered_list:
 * @self: a #McRemembered
 * @identity_key: (nullable): only this identity's decisions, or all
 *
 * Returns: (transfer floating): an aa{sv}, as ListRemembered returns it
 */
GVariant *
mc_remembered_list (McRemembered *self,
                    const char   *identity_key)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa{sv}"));

  g_return_val_if_fail (MC_IS_REMEMBERED (self), NULL);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (identity_key != NULL && !g_str_equal (entry->identity_key, identity_key))
        continue;

      g_variant_builder_open (&builder, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&builder, "{sv}", "id", g_variant_new_string (entry->id));
      g_variant_builder_add (&builder, "{sv}", "app_id", g_variant_new_string (entry->app_id ?: ""));
      g_variant_builder_add (&builder, "{sv}", "server_name", g_variant_new_string (entry->server_name));
      if (entry->server_url != NULL)
        g_variant_builder_add (&builder, "{sv}", "server_url", g_variant_new_string (entry->server_url));
      g_variant_builder_add (&builder, "{sv}", "domain", g_variant_new_string (entry->domain));
      g_variant_builder_add (&builder, "{sv}", "created", g_variant_new_int64 (entry->created));
      g_variant_builder_close (&builder);
    }

  return g_variant_builder_end (&builder);
}

guint
mc_remembered_get_n_entries (McRemembered *self)
{
  g_return_val_if_fail (MC_IS_REMEMBERED (self), 0);

  return self->entries->len;
}

/**
 * _mc_remembered_serialize:
 * @self: a #McRemembered
 *
 * Returns: (transfer full): what mc_remembered_save_async() writes
 */
GBytes *
_mc_remembered_serialize (McRemembered *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text = NULL;
  gsize length = 0;

  g_return_val_if_fail (MC_IS_REMEMBERED (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, FORMAT_VERSION);
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, entry->id);
      json_builder_set_member_name (builder, "identity");
      json_builder_add_string_value (builder, entry->identity_key);
      if (entry->app_id != NULL)
        {
          json_builder_set_member_name (builder, "app_id");
          json_builder_add_string_value (builder, entry->app_id);
        }
      json_builder_set_member_name (builder, "server_name");
      json_builder_add_string_value (builder, entry->server_name);
      if (entry->server_url != NULL)
        {
          json_builder_set_member_name (builder, "server_url");
          json_builder_add_string_value (builder, entry->server_url);
        }
      json_builder_set_member_name (builder, "domain");
      json_builder_add_string_value (builder, entry->domain);
      json_builder_set_member_name (builder, "risk");
      json_builder_add_string_value (builder, mc_url_risk_to_string (entry->risk));
      json_builder_set_member_name (builder, "created");
      json_builder_add_int_value (builder, entry->created);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);

  return g_bytes_new_take (text, length);
}

static void start_save (McRemembered *self);

static void
on_saved (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(McRemembered) self = MC_REMEMBERED (user_data);
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->inflight_waiters);
  g_autoptr(GError) error = NULL;

  self->saving = FALSE;

  if (!g_file_replace_contents_finish (G_FILE (source_object), result, NULL, &error))
    g_warning ("Could not save %s: %s", self->path, error->message);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }

  if (self->dirty || self->pending_waiters->len > 0)
    start_save (self);
}

static void
start_save (McRemembered *self)
{
  g_autoptr(GFile) file = g_file_new_for_path (self->path);
  g_autoptr(GFile) parent = g_file_get_parent (file);
  g_autoptr(GBytes) bytes = NULL;

  /* The state directory is the user's; creating it is cheap and rare
   * enough (first decision ever) to do inline. */
  if (g_mkdir_with_parents (g_file_peek_path (parent), 0700) != 0)
    g_debug ("Could not create %s: %s", g_file_peek_path (parent), g_strerror (errno));

  bytes = _mc_remembered_serialize (self);
  self->dirty = FALSE;
  self->saving = TRUE;
  self->inflight_waiters = g_steal_pointer (&self->pending_waiters);
  self->pending_waiters = g_ptr_array_new_with_free_func (g_object_unref);

  /* Replace writes a temporary file and renames it over: a crash leaves
   * the old or the new file, never half of one. */
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       NULL, on_saved, g_object_ref (self));
}

/**
 * mc_remembered_save_async:
 * @self: a #McRemembered
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the current state is on disk
 * @user_data: data for @callback
 */
void
mc_remembered_save_async (McRemembered        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MC_IS_REMEMBERED (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_remembered_save_async);

  if (!self->dirty)
    {
      /* Nothing changed since the save in flight started: it will do. */
      if (self->saving)
        g_ptr_array_add (self->inflight_waiters, g_steal_pointer (&task));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->pending_waiters, g_steal_pointer (&task));
  if (!self->saving)
    start_save (self);
}

gboolean
mc_remembered_save_finish (McRemembered  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (MC_IS_REMEMBERED (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
