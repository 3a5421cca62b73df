/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "mc-error.h"
#include "mc-token-store.h"

/* Tokens and client secrets live in the Secret Service, through libsecret's
 * password API, and nowhere else: when no keyring answers, or it stays
 * locked, the caller gets an error, never a file.  The password API (not
 * SecretService directly) is what makes the Flatpak build work: there
 * libsecret keeps the items in its own file keyring, encrypted with a
 * per-app secret from the Secret portal (docs/flatpak.md).
 *
 * What libsecret 0.20.5 and gnome-keyring 42.1 do, as tried with
 * tests/test-token-store.c (docs/storage.md has the details):
 *  - store into a locked collection tries to unlock it (a prompt, on a
 *    desktop); if it stays locked: SECRET_ERROR_IS_LOCKED;
 *  - lookup (secret_password_lookup()) of a locked item tries to unlock it
 *    likewise; if it stays locked it returns NULL *without an error*, as
 *    if there were no item;
 *  - clear skips locked items and returns FALSE, also without an error;
 *  - a collection locked since gnome-keyring started shows no items at
 *    all, so neither can even see the item to try;
 *  - no Secret Service on the bus: G_DBUS_ERROR_SERVICE_UNKNOWN; no bus:
 *    a G_IO_ERROR from connecting.
 * So a lookup finds the item itself and looks at whether it is locked; a
 * miss, and every clear, looks at the default collection and unlocks it
 * if it can; clear refuses rather than delete part. */

#define SCHEMA_NAME "io.github.mcp_consent.Token"

/* Bumped when what an item holds or how it is keyed changes: items of
 * another generation are then simply not found, and the user signs in
 * again, rather than the broker misreading them. */
#define FORMAT_GENERATION "1"

/* SECRET_SCHEMA_NONE: the schema name is matched too (xdg:schema), so an
 * item someone else stored with the same attribute names is never taken
 * for ours.  We have no items from before the schema to match. */
static const SecretSchema token_schema = {
  SCHEMA_NAME, SECRET_SCHEMA_NONE,
  {
    { "resource", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "issuer", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "client", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "app", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "generation", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/**
 * mc_token_kind_to_string:
 * @kind: a #McTokenKind
 *
 * Returns: the value of the "kind" attribute for @kind
 */
const char *
mc_token_kind_to_string (McTokenKind kind)
{
  switch (kind)
    {
    case MC_TOKEN_KIND_ACCESS:
      return "access";
    case MC_TOKEN_KIND_REFRESH:
      return "refresh";
    case MC_TOKEN_KIND_CLIENT_SECRET:
      return "client-secret";
    default:
      g_return_val_if_reached (NULL);
    }
}

static gboolean
is_valid_kind (McTokenKind kind)
{
  return kind == MC_TOKEN_KIND_ACCESS || kind == MC_TOKEN_KIND_REFRESH || kind == MC_TOKEN_KIND_CLIENT_SECRET;
}

static gboolean
is_valid_key (const McTokenKey *key)
{
  return key != NULL &&
         key->resource != NULL && g_utf8_validate (key->resource, -1, NULL) &&
         key->issuer != NULL && g_utf8_validate (key->issuer, -1, NULL) &&
         key->client != NULL && g_utf8_validate (key->client, -1, NULL) &&
         key->app != NULL && g_utf8_validate (key->app, -1, NULL);
}

/* The attributes of @key; with @kind >= 0 also the kind and generation,
 * which find exactly one item.  Without them, every kind and generation
 * stored for the key matches: what clearing a grant removes. */
static GHashTable *
key_attributes (const McTokenKey *key,
                int               kind)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  /* Copies: libsecret keeps the table and reads the values only once it
   * has connected to the Secret Service, after the caller's @key may be
   * gone. */
  g_hash_table_insert (attributes, (char *)"resource", g_strdup (key->resource));
  g_hash_table_insert (attributes, (char *)"issuer", g_strdup (key->issuer));
  g_hash_table_insert (attributes, (char *)"client", g_strdup (key->client));
  g_hash_table_insert (attributes, (char *)"app", g_strdup (key->app));
  if (kind >= 0)
    {
      g_hash_table_insert (attributes, (char *)"kind", g_strdup (mc_token_kind_to_string (kind)));
      g_hash_table_insert (attributes, (char *)"generation", g_strdup (FORMAT_GENERATION));
    }

  return attributes;
}

/* The app as people know it: the app id of "flatpak:ID" or "host-app:ID". */
static const char *
app_for_display (const char *app)
{
  if (g_str_has_prefix (app, "flatpak:"))
    return app + strlen ("flatpak:");
  if (g_str_has_prefix (app, "host-app:"))
    return app + strlen ("host-app:");
  return app;
}

/* What Seahorse, KeePassXC and `secret-tool search` show: enough for a
 * person to know what the item is for and whose it is. */
static char *
item_label (McTokenKind       kind,
            const McTokenKey *key)
{
  switch (kind)
    {
    case MC_TOKEN_KIND_ACCESS:
      /* Translators: the label of a keyring item. The first %s is the URL
       * of an MCP server, the second the app the token was given to. */
      return g_strdup_printf (_("MCP Consent: access token for %s (%s)"),
                              key->resource, app_for_display (key->app));
    case MC_TOKEN_KIND_REFRESH:
      /* Translators: the label of a keyring item. The first %s is the URL
       * of an MCP server, the second the app the token was given to. */
      return g_strdup_printf (_("MCP Consent: refresh token for %s (%s)"),
                              key->resource, app_for_display (key->app));
    case MC_TOKEN_KIND_CLIENT_SECRET:
      /* Translators: the label of a keyring item. The first %s is an OAuth
       * client id, the second the URL of the authorization server. */
      return g_strdup_printf (_("MCP Consent: client secret of %s at %s"),
                              key->client, key->issuer);
    default:
      g_assert_not_reached ();
    }
}

/* libsecret's errors as the broker's callers need them: whether the user
 * can fix it by unlocking, or there is no keyring at all.  The original is
 * logged for the user's journal; it names no secret (libsecret's messages
 * name items by D-Bus path). */
static GError *
map_error (const GError *error,
           const char   *operation)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  g_message ("Keyring %s failed: %s (%s, %d)", operation, error->message,
             g_quark_to_string (error->domain), error->code);

  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    return g_error_new_literal (MC_ERROR, MC_ERROR_KEYRING_LOCKED,
                                _("The keyring is locked; unlock it and try again"));

  /* Storing into the "default" alias when no collection has it: libsecret
   * asks the service to create one, which needs a prompt; when none can be
   * shown (or it is dismissed), the retried store names the missing
   * collection. */
  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
    return g_error_new_literal (MC_ERROR, MC_ERROR_KEYRING_UNAVAILABLE,
                                _("There is no default keyring to keep tokens in, and none could be created"));

  /* No Secret Service on the bus (G_DBUS_ERROR_SERVICE_UNKNOWN,
   * NAME_HAS_NO_OWNER), no session bus (G_IO_ERROR, G_SPAWN_ERROR from
   * autolaunch), a service that does not answer or speaks nonsense
   * (SECRET_ERROR_PROTOCOL): the broker has nowhere to keep secrets, and
   * it never falls back to a file of its own. */
  return g_error_new_literal (MC_ERROR, MC_ERROR_KEYRING_UNAVAILABLE,
                              _("No keyring is available to keep tokens in: the Secret Service (such as GNOME Keyring) is not running or does not answer"));
}

/* Whether an item libsecret found is in a collection that is locked: only
 * the Secret Service backend has such items; the file backend's are
 * readable whenever they are found. */
static gboolean
is_locked_item (gpointer item)
{
  return SECRET_IS_ITEM (item) && secret_item_get_locked (SECRET_ITEM (item));
}

static gboolean
any_locked (GList *items)
{
  for (GList *l = items; l != NULL; l = l->next)
    {
      if (is_locked_item (l->data))
        return TRUE;
    }
  return FALSE;
}

static GError *
new_locked_error (void)
{
  return g_error_new_literal (MC_ERROR, MC_ERROR_KEYRING_LOCKED,
                              _("The keyring is locked; unlock it and try again"));
}

/* Ensuring the default collection is unlocked.
 *
 * A collection that was locked when gnome-keyring started (the usual case
 * on a desktop whose login did not unlock it) shows no items at all: a
 * search finds nothing, so libsecret neither prompts nor reports anything,
 * and a lookup or clear would say "no such token" while the token sits in
 * the locked keyring.  So when nothing is found, or before deleting, the
 * default collection itself is checked, and unlocked through the Secret
 * Service: on a desktop the user gets the keyring's unlock prompt; with no
 * prompter (headless) it fails at once.  The wait for the user ends with
 * the caller's cancellable. */

typedef enum
{
  DEFAULT_WAS_UNLOCKED,
  DEFAULT_UNLOCKED_NOW,
} DefaultState;

static void
on_default_unlocked (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GList *unlocked = NULL;
  gboolean any = FALSE;

  secret_service_unlock_finish (SECRET_SERVICE (source_object), result, &unlocked, &error);
  any = unlocked != NULL;
  g_list_free_full (unlocked, g_object_unref);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* A prompt that could not be shown or was dismissed unlocks nothing,
   * with or without an error: either way the keyring stays locked. */
  if (error != NULL)
    g_message ("Could not unlock the keyring: %s", error->message);
  if (!any)
    {
      g_task_return_error (task, new_locked_error ());
      return;
    }

  g_task_return_int (task, DEFAULT_UNLOCKED_NOW);
}

static void
on_default_collection (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GList) objects = NULL;
  SecretService *service = g_task_get_task_data (task);

  collection = secret_collection_for_alias_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (error, "unlock"));
      return;
    }

  /* No default collection: nothing can be hidden in it. */
  if (collection == NULL || !secret_collection_get_locked (collection))
    {
      g_task_return_int (task, DEFAULT_WAS_UNLOCKED);
      return;
    }

  objects = g_list_append (NULL, collection);
  secret_service_unlock (service, objects, g_task_get_cancellable (task),
                         on_default_unlocked, g_object_ref (task));
}

static void
on_service (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SecretService) service = NULL;

  service = secret_service_get_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (error, "unlock"));
      return;
    }

  g_task_set_task_data (task, g_object_ref (service), g_object_unref);
  secret_collection_for_alias (service, SECRET_COLLECTION_DEFAULT,
                               SECRET_COLLECTION_NONE, g_task_get_cancellable (task),
                               on_default_collection, g_object_ref (task));
}

/* Whether libsecret's password API talks to the Secret Service, rather
 * than keeping a file keyring of its own.  libsecret 0.20 does not export
 * its choice (SecretBackend is not in its public headers), so this
 * restates its rule: the file backend when SECRET_BACKEND=file, or inside
 * a Flatpak or Snap (where it also needs the Secret portal; without one it
 * would try the Secret Service, which the sandbox does not let us reach).
 * The file backend has no locked state. */
static gboolean
uses_secret_service (void)
{
  static gsize answer = 0;

  if (g_once_init_enter (&answer))
    {
      gboolean sandboxed = g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) ||
                           g_getenv ("SNAP_NAME") != NULL;

      g_once_init_leave (&answer, (!sandboxed && g_strcmp0 (g_getenv ("SECRET_BACKEND"), "file") != 0) ? 2 : 1);
    }

  return answer == 2;
}

static void
ensure_default_unlocked_async (GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, ensure_default_unlocked_async);

  if (!uses_secret_service ())
    {
      g_task_return_int (task, DEFAULT_WAS_UNLOCKED);
      return;
    }

  secret_service_get (SECRET_SERVICE_NONE, cancellable, on_service, g_steal_pointer (&task));
}

/* Returns: the #DefaultState, or -1 with @error set: %MC_ERROR_KEYRING_LOCKED
 * if it stays locked, or what map_error() makes of libsecret's error. */
static int
ensure_default_unlocked_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_assert (g_task_get_source_tag (G_TASK (result)) == ensure_default_unlocked_async);

  return g_task_propagate_int (G_TASK (result), error);
}

static void
on_stored (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      g_task_return_error (task, map_error (error, "store"));
      return;
    }

  g_debug ("Stored the %s secret for %s in the keyring",
           (const char *)g_task_get_task_data (task), g_task_get_name (task));
  g_task_return_boolean (task, TRUE);
}

/**
 * mc_token_store_store_async:
 * @kind: what @secret is
 * @key: what it is for
 * @secret: the token or client secret, UTF-8
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the item is stored
 * @user_data: data for @callback
 *
 * Stores @secret in the default collection, replacing the item of the same
 * kind and key if there is one.  @secret is copied at once; the caller may
 * wipe and free it when this returns.
 */
void
mc_token_store_store_async (McTokenKind          kind,
                            const McTokenKey    *key,
                            const char          *secret,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (is_valid_kind (kind));
  g_return_if_fail (is_valid_key (key));
  g_return_if_fail (secret != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_token_store_store_async);
  /* For the debug log: names the item, never the secret. */
  g_task_set_task_data (task, (gpointer)mc_token_kind_to_string (kind), NULL);
  g_task_set_name (task, key->resource[0] != '\0' ? key->resource : key->issuer);

  /* Tokens come from servers; a server that sent an empty or non-UTF-8
   * one is not the caller's bug, and libsecret takes text only. */
  if (secret[0] == '\0' || !g_utf8_validate (secret, -1, NULL))
    {
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                               "Refusing to store an empty or non-UTF-8 secret");
      return;
    }

  attributes = key_attributes (key, kind);
  label = item_label (kind, key);
  secret_password_storev (&token_schema, attributes, SECRET_COLLECTION_DEFAULT, label, secret,
                          cancellable, on_stored, g_steal_pointer (&task));
}

/**
 * mc_token_store_store_finish:
 * @result: the result given to the callback
 * @error: a location for a #GError, or %NULL
 *
 * Errors: %MC_ERROR_KEYRING_LOCKED when the default collection is locked
 * and was not unlocked; %MC_ERROR_KEYRING_UNAVAILABLE when there is no
 * Secret Service or no default collection; %G_IO_ERROR_CANCELLED.
 *
 * Returns: %TRUE if the secret is in the keyring
 */
gboolean
mc_token_store_store_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_token_store_store_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  GHashTable *attributes;
  /* Lookup: whether the default collection was unlocked and the lookup
   * tried again; clear: how many items the search found. */
  gboolean    retried;
  guint       found;
} Op;

static void
op_free (gpointer data)
{
  Op *op = data;

  g_clear_pointer (&op->attributes, g_hash_table_unref);
  g_free (op);
}

static Op *
op_new (const McTokenKey *key,
        int               kind)
{
  Op *op = g_new0 (Op, 1);

  op->attributes = key_attributes (key, kind);

  return op;
}

static void start_lookup (GTask *task);

static void
on_lookup_default_unlocked (GObject      *source_object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Op *op = g_task_get_task_data (task);
  int state = 0;

  state = ensure_default_unlocked_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (state == DEFAULT_UNLOCKED_NOW)
    {
      op->retried = TRUE;
      start_lookup (g_steal_pointer (&task));
      return;
    }

  g_task_return_pointer (task, NULL, NULL);
}

static void
on_retrieved (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  SecretValue *value = NULL;

  value = secret_retrievable_retrieve_secret_finish (SECRET_RETRIEVABLE (source_object), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (error, "lookup"));
      return;
    }

  /* We store text (the password API's text/plain); anything else under
   * our schema was not written by us. */
  if (value == NULL || secret_value_get_text (value) == NULL)
    {
      if (value != NULL)
        {
          g_message ("Ignoring a keyring item of schema %s that does not hold text", SCHEMA_NAME);
          secret_value_unref (value);
        }
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  /* Into nonpageable memory, wiped by secret_password_free(). */
  g_task_return_pointer (task, secret_value_unref_to_password (value, NULL),
                         (GDestroyNotify)mc_token_store_secret_free);
}

static void
on_lookup_searched (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Op *op = g_task_get_task_data (task);
  GList *items = NULL;
  g_autoptr(SecretRetrievable) item = NULL;

  items = secret_password_search_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (error, "lookup"));
      return;
    }

  if (items == NULL)
    {
      /* Nothing found: or a collection locked since the service started
       * hides it. */
      if (op->retried)
        g_task_return_pointer (task, NULL, NULL);
      else
        ensure_default_unlocked_async (g_task_get_cancellable (task), on_lookup_default_unlocked,
                                       g_object_ref (task));
      return;
    }

  /* Without SECRET_SEARCH_ALL, the one item libsecret would pick: the
   * unlocked one most recently stored, if any. */
  item = g_object_ref (items->data);
  g_list_free_full (items, g_object_unref);

  /* libsecret tried to unlock it (a prompt on a desktop), and could not. */
  if (is_locked_item (item))
    {
      g_task_return_error (task, new_locked_error ());
      return;
    }

  secret_retrievable_retrieve_secret (item, g_task_get_cancellable (task), on_retrieved,
                                      g_object_ref (task));
}

/* Not secret_password_lookup(): libsecret 0.20.5 leaks the D-Bus reply of
 * every GetSecrets it makes (secret_service_get_secret(s)_for_dbus_path(s)_finish,
 * fixed in 0.21.2 by "secret-paths: Make sure to unref GVariant"), and
 * that reply carries the secret, encrypted with the session key or, in a
 * plain session, in clear, in memory nobody wipes.  The item's own
 * GetSecret, through SecretRetrievable, does not leak; it also lets a
 * locked item be told from a missing one without a second search. */
static void
start_lookup (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  secret_password_searchv (&token_schema, op->attributes, SECRET_SEARCH_UNLOCK,
                           g_task_get_cancellable (task), on_lookup_searched, task);
}

/**
 * mc_token_store_lookup_async:
 * @kind: what to look up
 * @key: what it is for
 * @cancellable: (nullable): a #GCancellable; it also ends the wait for the
 *   user at the keyring's unlock prompt
 * @callback: called with the result
 * @user_data: data for @callback
 *
 * Looks the secret up.  A locked collection is unlocked if the Secret
 * Service can ask the user (a prompt on a desktop).
 */
void
mc_token_store_lookup_async (McTokenKind          kind,
                             const McTokenKey    *key,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op = NULL;

  g_return_if_fail (is_valid_kind (kind));
  g_return_if_fail (is_valid_key (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_token_store_lookup_async);
  op = op_new (key, kind);
  g_task_set_task_data (task, op, op_free);

  start_lookup (g_steal_pointer (&task));
}

/**
 * mc_token_store_lookup_finish:
 * @result: the result given to the callback
 * @error: a location for a #GError, or %NULL
 *
 * Errors: %MC_ERROR_KEYRING_LOCKED when the item, or the default
 * collection, is locked and was not unlocked (while the collection is
 * locked, whether it holds the item cannot be known);
 * %MC_ERROR_KEYRING_UNAVAILABLE; %G_IO_ERROR_CANCELLED.
 *
 * Returns: (transfer full) (nullable): the secret, to be freed with
 *   mc_token_store_secret_free(); %NULL without an error if there is none
 */
char *
mc_token_store_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_token_store_lookup_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_cleared (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Op *op = g_task_get_task_data (task);
  gboolean cleared = FALSE;

  cleared = secret_password_clear_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (error, "clear"));
      return;
    }

  /* libsecret says only whether it deleted anything.  What it deleted is
   * what the search found, unless someone changed the keyring in between. */
  g_task_return_int (task, cleared ? op->found : 0);
}

static void
on_clear_searched (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Op *op = g_task_get_task_data (task);
  GList *items = NULL;
  gboolean locked = FALSE;

  items = secret_password_search_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (error, "clear"));
      return;
    }

  locked = any_locked (items);
  op->found = g_list_length (items);
  g_list_free_full (items, g_object_unref);

  /* libsecret's clear skips locked items and reports no error: the caller
   * would believe the tokens gone.  Refuse instead, before deleting any. */
  if (locked)
    {
      g_task_return_error (task, new_locked_error ());
      return;
    }

  if (op->found == 0)
    {
      g_task_return_int (task, 0);
      return;
    }

  secret_password_clearv (&token_schema, op->attributes,
                          g_task_get_cancellable (task), on_cleared, g_object_ref (task));
}

static void
on_clear_default_unlocked (GObject      *source_object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Op *op = g_task_get_task_data (task);

  if (ensure_default_unlocked_finish (result, &error) < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Items moved to another collection may still be locked: unlock them
   * too, or refuse. */
  secret_password_searchv (&token_schema, op->attributes, SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK,
                           g_task_get_cancellable (task), on_clear_searched, g_object_ref (task));
}

/**
 * mc_token_store_clear_async:
 * @key: what the secrets are for
 * @cancellable: (nullable): a #GCancellable; it also ends the wait for the
 *   user at the keyring's unlock prompt
 * @callback: called when they are gone
 * @user_data: data for @callback
 *
 * Deletes every secret stored for @key: all kinds, and all format
 * generations, so nothing outlives a revoked grant.  A locked collection is
 * unlocked first if the Secret Service can ask the user.
 */
void
mc_token_store_clear_async (const McTokenKey    *key,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (is_valid_key (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_token_store_clear_async);
  g_task_set_task_data (task, op_new (key, -1), op_free);

  /* Items in a collection locked since the service started are invisible
   * to the search below; look at the collection first. */
  ensure_default_unlocked_async (cancellable, on_clear_default_unlocked, g_steal_pointer (&task));
}

/**
 * mc_token_store_clear_finish:
 * @result: the result given to the callback
 * @error: a location for a #GError, or %NULL
 *
 * Errors: %MC_ERROR_KEYRING_LOCKED (then nothing was deleted);
 * %MC_ERROR_KEYRING_UNAVAILABLE; %G_IO_ERROR_CANCELLED.
 *
 * Returns: how many items were deleted; 0 with @error set on failure
 */
guint
mc_token_store_clear_finish (GAsyncResult  *result,
                             GError       **error)
{
  gssize deleted = 0;

  g_return_val_if_fail (g_task_is_valid (result, NULL), 0);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_token_store_clear_async, 0);

  deleted = g_task_propagate_int (G_TASK (result), error);
  return deleted > 0 ? (guint)deleted : 0;
}

/**
 * mc_token_store_secret_free:
 * @secret: (nullable): a secret from mc_token_store_lookup_finish()
 *
 * Wipes and frees @secret.
 */
void
mc_token_store_secret_free (char *secret)
{
  if (secret != NULL)
    secret_password_free (secret);
}

/**
 * mc_token_store_get_schema_name:
 *
 * Returns: the xdg:schema of the broker's items, for `secret-tool search`
 */
const char *
mc_token_store_get_schema_name (void)
{
  return SCHEMA_NAME;
}

/**
 * mc_token_store_get_generation:
 *
 * Returns: the "generation" attribute this version writes and reads
 */
const char *
mc_token_store_get_generation (void)
{
  return FORMAT_GENERATION;
}
