/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "mc-grant-store.h"
#include "mc-grant-store-private.h"
#include "mc-json.h"
#include "mc-state-file.h"

#define FORMAT_VERSION 1

/* Longest id accepted from the file; ours are 36 characters. */
#define MAX_ID_LENGTH 64

/* What the broker knows about each grant, without its secrets (those are
 * in the keyring), kept in the state directory as JSON: one grant per
 * caller identity and MCP server.  The file is read once at start-up; a
 * damaged one is set aside, never silently reset. */
struct _McGrantStore
{
  GObject      parent_instance;

  McStateFile *file;
  /* Owned McGrant, in the order they were put. */
  GPtrArray   *grants;
};

G_DEFINE_FINAL_TYPE (McGrantStore, mc_grant_store, G_TYPE_OBJECT)

/**
 * mc_grant_new:
 *
 * Returns: (transfer full): an empty grant, to be filled in
 */
McGrant *
mc_grant_new (void)
{
  return g_new0 (McGrant, 1);
}

/**
 * mc_grant_copy:
 * @self: a grant
 *
 * Returns: (transfer full): a deep copy
 */
McGrant *
mc_grant_copy (const McGrant *self)
{
  McGrant *copy = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (McGrant, 1);
  copy->id = g_strdup (self->id);
  copy->app = g_strdup (self->app);
  copy->app_id = g_strdup (self->app_id);
  copy->resource = g_strdup (self->resource);
  copy->issuer = g_strdup (self->issuer);
  copy->client_id = g_strdup (self->client_id);
  copy->auth_method = g_strdup (self->auth_method);
  copy->token_endpoint = g_strdup (self->token_endpoint);
  copy->revocation_endpoint = g_strdup (self->revocation_endpoint);
  copy->scopes = g_strdupv (self->scopes);
  copy->created = self->created;
  copy->signed_in = self->signed_in;
  copy->last_used = self->last_used;
  copy->expires_at = self->expires_at;
  copy->has_refresh_token = self->has_refresh_token;
  copy->needs_sign_in = self->needs_sign_in;
  return copy;
}

void
mc_grant_free (McGrant *self)
{
  if (self == NULL)
    return;

  g_free (self->id);
  g_free (self->app);
  g_free (self->app_id);
  g_free (self->resource);
  g_free (self->issuer);
  g_free (self->client_id);
  g_free (self->auth_method);
  g_free (self->token_endpoint);
  g_free (self->revocation_endpoint);
  g_strfreev (self->scopes);
  g_free (self);
}

/**
 * mc_grant_to_variant:
 * @self: a grant
 *
 * The a{sv} of ListGrants: id, app_id ("" when unknown), resource,
 * issuer, client_id, scopes (as), created, last_used, expires_at (x) and
 * needs_sign_in (b).  Nothing secret, and not the caller identity key.
 *
 * Returns: (transfer floating): the grant as an a{sv}
 */
GVariant *
mc_grant_to_variant (const McGrant *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  const char * const no_scopes[] = { NULL };

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->id != NULL && self->resource != NULL, NULL);
  g_return_val_if_fail (self->issuer != NULL && self->client_id != NULL, NULL);

  g_variant_builder_add (&builder, "{sv}", "id", g_variant_new_string (self->id));
  g_variant_builder_add (&builder, "{sv}", "app_id", g_variant_new_string (self->app_id ?: ""));
  g_variant_builder_add (&builder, "{sv}", "resource", g_variant_new_string (self->resource));
  g_variant_builder_add (&builder, "{sv}", "issuer", g_variant_new_string (self->issuer));
  g_variant_builder_add (&builder, "{sv}", "client_id", g_variant_new_string (self->client_id));
  g_variant_builder_add (&builder, "{sv}", "scopes",
                         g_variant_new_strv (self->scopes != NULL ? (const char * const *)self->scopes : no_scopes, -1));
  g_variant_builder_add (&builder, "{sv}", "created", g_variant_new_int64 (self->created));
  g_variant_builder_add (&builder, "{sv}", "last_used", g_variant_new_int64 (self->last_used));
  g_variant_builder_add (&builder, "{sv}", "expires_at", g_variant_new_int64 (self->expires_at));
  g_variant_builder_add (&builder, "{sv}", "needs_sign_in", g_variant_new_boolean (self->needs_sign_in));

  return g_variant_builder_end (&builder);
}

static gboolean
is_valid_id (const char *id)
{
  gsize length = strlen (id);

  if (length == 0 || length > MAX_ID_LENGTH)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isalnum (id[i]) && id[i] != '_' && id[i] != '-')
        return FALSE;
    }
  return TRUE;
}

/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
static gboolean
is_valid_scope (const char *scope)
{
  if (scope[0] == '\0')
    return FALSE;
  for (const char *c = scope; *c != '\0'; c++)
    {
      if (*c < 0x21 || *c > 0x7e || *c == '"' || *c == '\\')
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_valid_auth_method (const char *method)
{
  return g_strcmp0 (method, "none") == 0 ||
         g_strcmp0 (method, "client_secret_basic") == 0 ||
         g_strcmp0 (method, "client_secret_post") == 0;
}

static gboolean
require (gboolean     condition,
         const char  *message,
         GError     **error)
{
  if (!condition)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
  return condition;
}

/**
 * mc_grant_is_valid:
 * @self: a grant
 * @error: a location for a #GError, or %NULL
 *
 * Whether the store may keep @self: the rules the state file is read
 * with, so that a save never writes what the next start would set aside.
 * The id may be %NULL (mc_grant_store_put() assigns one).  The flow checks
 * a grant built from a server's answers with this before putting it.
 *
 * Returns: %TRUE if it may; %FALSE with a %G_IO_ERROR_INVALID_DATA error
 *   naming the field otherwise
 */
gboolean
mc_grant_is_valid (const McGrant  *self,
                   GError        **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!require (self->id == NULL || is_valid_id (self->id), "“id” is not a grant id", error) ||
      !require (self->app != NULL && self->app[0] != '\0' && g_utf8_validate (self->app, -1, NULL),
                "“app” is missing", error) ||
      !require (self->app_id == NULL || g_utf8_validate (self->app_id, -1, NULL),
                "“app_id” is not UTF-8", error) ||
      !require (self->client_id != NULL && self->client_id[0] != '\0' &&
                g_utf8_validate (self->client_id, -1, NULL), "“client_id” is missing", error) ||
      !require (is_valid_auth_method (self->auth_method), "“auth_method” is not one the broker uses", error) ||
      !require (self->resource != NULL, "“resource” is missing", error) ||
      !mc_state_check_web_url (self->resource, "resource", error) ||
      !require (self->issuer != NULL, "“issuer” is missing", error) ||
      !mc_state_check_web_url (self->issuer, "issuer", error) ||
      !require (self->token_endpoint != NULL, "“token_endpoint” is missing", error) ||
      !mc_state_check_web_url (self->token_endpoint, "token_endpoint", error) ||
      (self->revocation_endpoint != NULL &&
       !mc_state_check_web_url (self->revocation_endpoint, "revocation_endpoint", error)) ||
      !require (self->created >= 0 && self->signed_in >= 0 && self->last_used >= 0 && self->expires_at >= 0,
                "a time is negative", error))
    return FALSE;

  for (guint i = 0; self->scopes != NULL && self->scopes[i] != NULL; i++)
    {
      if (!require (is_valid_scope (self->scopes[i]), "“scopes” holds something that is not a scope", error))
        return FALSE;
    }

  return TRUE;
}

static void
mc_grant_store_finalize (GObject *object)
{
  McGrantStore *self = (McGrantStore *)object;

  g_clear_pointer (&self->file, mc_state_file_free);
  g_clear_pointer (&self->grants, g_ptr_array_unref);

  G_OBJECT_CLASS (mc_grant_store_parent_class)->finalize (object);
}

static void
mc_grant_store_class_init (McGrantStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mc_grant_store_finalize;
}

static void
mc_grant_store_init (McGrantStore *self)
{
  self->grants = g_ptr_array_new_with_free_func ((GDestroyNotify)mc_grant_free);
}

static McGrant *
find_by_id (McGrantStore *self,
            const char   *id)
{
  for (guint i = 0; i < self->grants->len; i++)
    {
      McGrant *grant = g_ptr_array_index (self->grants, i);

      if (g_str_equal (grant->id, id))
        return grant;
    }
  return NULL;
}

static McGrant *
find_by_key (McGrantStore *self,
             const char   *app,
             const char   *resource)
{
  for (guint i = 0; i < self->grants->len; i++)
    {
      McGrant *grant = g_ptr_array_index (self->grants, i);

      if (g_str_equal (grant->app, app) && g_str_equal (grant->resource, resource))
        return grant;
    }
  return NULL;
}

static McGrant *
grant_from_json (JsonNode  *node,
                 GError   **error)
{
  g_autoptr(McGrant) grant = mc_grant_new ();
  JsonObject *object = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an object");
      return NULL;
    }
  object = json_node_get_object (node);

  if (!mc_json_get_string (object, "id", TRUE, &grant->id, error) ||
      !mc_json_get_string (object, "app", TRUE, &grant->app, error) ||
      !mc_json_get_string (object, "app_id", FALSE, &grant->app_id, error) ||
      !mc_json_get_string (object, "resource", TRUE, &grant->resource, error) ||
      !mc_json_get_string (object, "issuer", TRUE, &grant->issuer, error) ||
      !mc_json_get_string (object, "client_id", TRUE, &grant->client_id, error) ||
      !mc_json_get_string (object, "auth_method", TRUE, &grant->auth_method, error) ||
      !mc_json_get_string (object, "token_endpoint", TRUE, &grant->token_endpoint, error) ||
      !mc_json_get_string (object, "revocation_endpoint", FALSE, &grant->revocation_endpoint, error) ||
      !mc_json_get_string_array (object, "scopes", FALSE, &grant->scopes, error) ||
      !mc_json_get_int (object, "created", 0, &grant->created, error) ||
      !mc_json_get_int (object, "signed_in", -1, &grant->signed_in, error) ||
      !mc_json_get_int (object, "last_used", 0, &grant->last_used, error) ||
      !mc_json_get_int (object, "expires_at", 0, &grant->expires_at, error) ||
      !mc_json_get_boolean (object, "has_refresh_token", FALSE, &grant->has_refresh_token, error) ||
      !mc_json_get_boolean (object, "needs_sign_in", FALSE, &grant->needs_sign_in, error))
    return NULL;

  if (grant->scopes == NULL)
    grant->scopes = g_new0 (char *, 1);
  /* Files written before "signed_in" existed: the grant was signed in to
   * when it was created, at the latest. */
  if (grant->signed_in == -1)
    grant->signed_in = grant->created;

  if (!mc_grant_is_valid (grant, error))
    return NULL;

  return g_steal_pointer (&grant);
}

/**
 * _mc_grant_store_load_from_data:
 * @self: an empty #McGrantStore
 * @contents: (array length=length): what the state file holds
 * @length: length of @contents in bytes
 * @error: a location for a #GError, or %NULL
 *
 * Parses the state file's contents into @self.  All or nothing: a damaged
 * grant fails the whole file, so a half-read file never serves a token to
 * the wrong app.
 *
 * Returns: %TRUE if @contents was loaded; %FALSE with @error set, and @self
 *   still empty, otherwise
 */
gboolean
_mc_grant_store_load_from_data (McGrantStore  *self,
                                const char    *contents,
                                gsize          length,
                                GError       **error)
{
  g_autoptr(JsonObject) root = NULL;
  JsonArray *array = NULL;

  g_return_val_if_fail (MC_IS_GRANT_STORE (self), FALSE);
  g_return_val_if_fail (self->grants->len == 0, FALSE);
  g_return_val_if_fail (contents != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  array = mc_json_parse_state_list (contents, length, FORMAT_VERSION, "grants", &root, error);
  if (array == NULL)
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      McGrant *grant = grant_from_json (json_array_get_element (array, i), error);

      if (grant == NULL)
        {
          g_prefix_error (error, "grant %u: ", i + 1);
          g_ptr_array_set_size (self->grants, 0);
          return FALSE;
        }
      /* Two grants with one id, or for one app and server, would make
       * RevokeGrant and GetToken ambiguous: the file was not written by
       * us. */
      if (find_by_id (self, grant->id) != NULL || find_by_key (self, grant->app, grant->resource) != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "grant %u: a second grant with the same id, or for the same app and server", i + 1);
          mc_grant_free (grant);
          g_ptr_array_set_size (self->grants, 0);
          return FALSE;
        }
      g_ptr_array_add (self->grants, grant);
    }

  return TRUE;
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *name,
             gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

/**
 * _mc_grant_store_serialize:
 * @self: a #McGrantStore
 *
 * Returns: (transfer full): what mc_grant_store_save_async() writes
 */
GBytes *
_mc_grant_store_serialize (McGrantStore *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text = NULL;
  gsize length = 0;

  g_return_val_if_fail (MC_IS_GRANT_STORE (self), NULL);

  json_builder_begin_object (builder);
  add_int (builder, "version", FORMAT_VERSION);
  json_builder_set_member_name (builder, "grants");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->grants->len; i++)
    {
      McGrant *grant = g_ptr_array_index (self->grants, i);

      json_builder_begin_object (builder);
      add_string (builder, "id", grant->id);
      add_string (builder, "app", grant->app);
      add_string (builder, "app_id", grant->app_id);
      add_string (builder, "resource", grant->resource);
      add_string (builder, "issuer", grant->issuer);
      add_string (builder, "client_id", grant->client_id);
      add_string (builder, "auth_method", grant->auth_method);
      add_string (builder, "token_endpoint", grant->token_endpoint);
      add_string (builder, "revocation_endpoint", grant->revocation_endpoint);
      json_builder_set_member_name (builder, "scopes");
      json_builder_begin_array (builder);
      for (guint j = 0; grant->scopes != NULL && grant->scopes[j] != NULL; j++)
        json_builder_add_string_value (builder, grant->scopes[j]);
      json_builder_end_array (builder);
      add_int (builder, "created", grant->created);
      add_int (builder, "signed_in", grant->signed_in);
      add_int (builder, "last_used", grant->last_used);
      add_int (builder, "expires_at", grant->expires_at);
      add_boolean (builder, "has_refresh_token", grant->has_refresh_token);
      add_boolean (builder, "needs_sign_in", grant->needs_sign_in);
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

static GBytes *
serialize (GObject *owner)
{
  return _mc_grant_store_serialize (MC_GRANT_STORE (owner));
}

/**
 * _mc_grant_store_new_empty:
 * @path: (nullable): where it would save; %NULL for a store that is never
 *   saved (the fuzzer)
 *
 * Returns: (transfer full): a store that read nothing
 */
McGrantStore *
_mc_grant_store_new_empty (const char *path)
{
  McGrantStore *self = g_object_new (MC_TYPE_GRANT_STORE, NULL);

  if (path != NULL)
    self->file = mc_state_file_new (path, G_OBJECT (self), serialize, "no grants");
  return self;
}

/**
 * mc_grant_store_new:
 * @path: the state file, `$XDG_STATE_HOME/mcp-consent/grants.json`
 *
 * Loads the grants synchronously: this runs once, at start-up, before the
 * daemon serves anyone.  A damaged file is moved aside with a warning (its
 * grants' tokens stay in the keyring, unused, until the user signs in
 * again and they are replaced).
 *
 * Returns: (transfer full): the store
 */
McGrantStore *
mc_grant_store_new (const char *path)
{
  g_autoptr(McGrantStore) self = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = _mc_grant_store_new_empty (path);
  contents = mc_state_file_read (self->file);
  if (contents != NULL &&
      !_mc_grant_store_load_from_data (self, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents), &error))
    mc_state_file_set_aside (self->file, error);

  return g_steal_pointer (&self);
}

/**
 * mc_grant_store_find:
 * @self: a #McGrantStore
 * @app: the caller identity key
 * @resource: the MCP server's canonical URI
 *
 * Returns: (transfer full) (nullable): a copy of @app's grant for
 *   @resource; a copy, so that it stays valid across the awaits of a flow
 */
McGrant *
mc_grant_store_find (McGrantStore *self,
                     const char   *app,
                     const char   *resource)
{
  McGrant *grant = NULL;

  g_return_val_if_fail (MC_IS_GRANT_STORE (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (resource != NULL, NULL);

  grant = find_by_key (self, app, resource);
  return grant != NULL ? mc_grant_copy (grant) : NULL;
}

/**
 * mc_grant_store_lookup:
 * @self: a #McGrantStore
 * @id: a grant id
 *
 * Returns: (transfer full) (nullable): a copy of the grant with that id
 */
McGrant *
mc_grant_store_lookup (McGrantStore *self,
                       const char   *id)
{
  McGrant *grant = NULL;

  g_return_val_if_fail (MC_IS_GRANT_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  grant = find_by_id (self, id);
  return grant != NULL ? mc_grant_copy (grant) : NULL;
}

/**
 * mc_grant_store_put:
 * @self: a #McGrantStore
 * @grant: (transfer full): a grant that mc_grant_is_valid() accepts
 *
 * Keeps @grant, replacing the grant of the same app and resource, and any
 * grant with its id: one grant per (app, resource).  A grant without an id
 * gets a new random one.  To change a grant (last_used, expires_at,
 * needs_sign_in), put a changed copy.  mc_grant_store_save_async() writes
 * the change.
 *
 * Returns: (transfer none): the grant as kept, valid until the next put
 *   or remove; %NULL (and @grant freed, with a critical) if @grant is not
 *   valid
 */
McGrant *
mc_grant_store_put (McGrantStore *self,
                    McGrant      *grant)
{
  g_autoptr(McGrant) owned = grant;
  g_autoptr(GError) error = NULL;
  McGrant *old = NULL;

  g_return_val_if_fail (MC_IS_GRANT_STORE (self), NULL);
  g_return_val_if_fail (grant != NULL, NULL);

  if (!mc_grant_is_valid (owned, &error))
    {
      g_critical ("Refusing to keep an invalid grant: %s", error->message);
      return NULL;
    }

  if (owned->id == NULL)
    {
      owned->id = g_uuid_string_random ();
      g_strdelimit (owned->id, "-", '_');
    }
  if (owned->scopes == NULL)
    owned->scopes = g_new0 (char *, 1);

  while ((old = find_by_key (self, owned->app, owned->resource)) != NULL ||
         (old = find_by_id (self, owned->id)) != NULL)
    g_ptr_array_remove (self->grants, old);

  g_ptr_array_add (self->grants, owned);
  if (self->file != NULL)
    mc_state_file_changed (self->file);

  return g_steal_pointer (&owned);
}

/**
 * mc_grant_store_remove:
 * @self: a #McGrantStore
 * @id: a grant id
 *
 * Forgets the grant; its tokens are the caller's to clear from the keyring.
 *
 * Returns: %TRUE if there was such a grant
 */
gboolean
mc_grant_store_remove (McGrantStore *self,
                       const char   *id)
{
  McGrant *grant = NULL;

  g_return_val_if_fail (MC_IS_GRANT_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  grant = find_by_id (self, id);
  if (grant == NULL)
    return FALSE;

  g_ptr_array_remove (self->grants, grant);
  if (self->file != NULL)
    mc_state_file_changed (self->file);
  return TRUE;
}

/**
 * mc_grant_store_list:
 * @self: a #McGrantStore
 * @app: (nullable): only this caller identity's grants, or all of them
 *
 * Returns: (transfer container) (element-type McGrant): copies of the
 *   grants, in the order they were made
 */
GPtrArray *
mc_grant_store_list (McGrantStore *self,
                     const char   *app)
{
  GPtrArray *list = NULL;

  g_return_val_if_fail (MC_IS_GRANT_STORE (self), NULL);

  list = g_ptr_array_new_with_free_func ((GDestroyNotify)mc_grant_free);
  for (guint i = 0; i < self->grants->len; i++)
    {
      McGrant *grant = g_ptr_array_index (self->grants, i);

      if (app == NULL || g_str_equal (grant->app, app))
        g_ptr_array_add (list, mc_grant_copy (grant));
    }
  return list;
}

guint
mc_grant_store_get_n_grants (McGrantStore *self)
{
  g_return_val_if_fail (MC_IS_GRANT_STORE (self), 0);

  return self->grants->len;
}

/**
 * mc_grant_store_save_async:
 * @self: a #McGrantStore
 * @cancellable: (nullable): a #GCancellable; it ends the wait, not the save
 * @callback: called once the current state is on disk
 * @user_data: data for @callback
 */
void
mc_grant_store_save_async (McGrantStore        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (MC_IS_GRANT_STORE (self));
  g_return_if_fail (self->file != NULL);

  mc_state_file_save_async (self->file, cancellable, callback, user_data);
}

gboolean
mc_grant_store_save_finish (McGrantStore  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (MC_IS_GRANT_STORE (self), FALSE);
  g_return_val_if_fail (self->file != NULL, FALSE);

  return mc_state_file_save_finish (self->file, result, error);
}
