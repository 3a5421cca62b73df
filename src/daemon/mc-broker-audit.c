/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-audit-log.h"
#include "mc-audit-reader.h"
#include "mc-broker-options.h"
#include "mc-broker-private.h"
#include "mc-error.h"
#include "mc-options.h"

/* ListAuditEvents, of io.github.mcp_consent.Broker1: the newest records of
 * the audit log and the state of its chain, for the manager window.  The
 * log is read and checked in a thread: with a long log that takes a
 * noticeable fraction of a second, which the main loop must not wait. */

typedef struct
{
  char     *dir;
  /* NULL: everything; else only this app's records. */
  char     *visible;
  guint     limit;
  gint64    since;
  GStrv     kinds;
  /* The newest matching records so far, oldest first. */
  GQueue    events;
} Listing;

static void
listing_free (Listing *listing)
{
  g_free (listing->dir);
  g_free (listing->visible);
  g_strfreev (listing->kinds);
  g_queue_clear_full (&listing->events, (GDestroyNotify)g_variant_unref);
  g_free (listing);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Listing, listing_free)

static GVariant *
field_to_variant (const McAuditField *field)
{
  switch (field->type)
    {
    case MC_AUDIT_VALUE_STRING:
      return g_variant_new_string (field->string);
    case MC_AUDIT_VALUE_INT:
      return g_variant_new_int64 (field->integer);
    case MC_AUDIT_VALUE_BOOL:
      return g_variant_new_boolean (field->boolean);
    case MC_AUDIT_VALUE_STRV:
    default:
      return g_variant_new_strv ((const char * const *)field->strv, -1);
    }
}

static gboolean
collect_entry (const McAuditEntry *entry,
               const char         *line,
               gsize               length,
               gpointer            user_data)
{
  Listing *listing = user_data;
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  gint64 time = mc_audit_entry_get_time (entry);

  if (listing->visible != NULL && g_strcmp0 (mc_audit_entry_get_string (entry, "app"), listing->visible) != 0)
    return TRUE;
  if (listing->since > 0 && time >= 0 && time < listing->since * G_USEC_PER_SEC)
    return TRUE;
  if (listing->kinds != NULL && !g_strv_contains ((const char * const *)listing->kinds, entry->kind))
    return TRUE;

  g_variant_builder_add (&builder, "{sv}", "seq", g_variant_new_uint64 (entry->seq));
  g_variant_builder_add (&builder, "{sv}", "time", g_variant_new_int64 (time));
  g_variant_builder_add (&builder, "{sv}", "kind", g_variant_new_string (entry->kind));
  for (guint i = 0; i < entry->fields->len; i++)
    {
      const McAuditField *field = &g_array_index (entry->fields, McAuditField, i);

      /* The fixed names win: a record cannot pass itself off as another. */
      if (g_str_equal (field->key, "seq") || g_str_equal (field->key, "time") || g_str_equal (field->key, "kind"))
        continue;
      g_variant_builder_add (&builder, "{sv}", field->key, field_to_variant (field));
    }

  g_queue_push_tail (&listing->events, g_variant_ref_sink (g_variant_builder_end (&builder)));
  if (g_queue_get_length (&listing->events) > listing->limit)
    g_variant_unref (g_queue_pop_head (&listing->events));
  return TRUE;
}

static void
read_log (GTask        *task,
          gpointer      source_object,
          gpointer      task_data,
          GCancellable *cancellable)
{
  Listing *listing = task_data;
  g_auto(McAuditChainState) state = { 0 };
  g_auto(GVariantBuilder) events = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa{sv}"));
  g_auto(GVariantBuilder) chain = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  GError *error = NULL;

  if (!mc_audit_walk (listing->dir, collect_entry, listing, &state, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  for (GList *l = listing->events.head; l != NULL; l = l->next)
    g_variant_builder_add_value (&events, l->data);

  g_variant_builder_add (&chain, "{sv}", "intact", g_variant_new_boolean (state.intact));
  g_variant_builder_add (&chain, "{sv}", "records", g_variant_new_uint64 (state.n_records));
  g_variant_builder_add (&chain, "{sv}", "first_seq", g_variant_new_uint64 (state.first_seq));
  g_variant_builder_add (&chain, "{sv}", "last_seq", g_variant_new_uint64 (state.last_seq));
  if (state.problem != NULL)
    g_variant_builder_add (&chain, "{sv}", "problem", g_variant_new_string (state.problem));

  g_task_return_pointer (task, g_variant_ref_sink (g_variant_new ("(@aa{sv}@a{sv})",
                                                                  g_variant_builder_end (&events),
                                                                  g_variant_builder_end (&chain))),
                         (GDestroyNotify)g_variant_unref);
}

static void
on_log_read (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) events = NULL;
  g_autoptr(GVariant) chain = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_task_propagate_pointer (G_TASK (result), &error);
  if (reply == NULL)
    {
      g_dbus_method_invocation_return_error (g_steal_pointer (&invocation), MC_ERROR, MC_ERROR_FAILED,
                                             "Could not read the audit log: %s", error->message);
      return;
    }

  g_variant_get (reply, "(@aa{sv}@a{sv})", &events, &chain);
  mc_dbus_broker1_complete_list_audit_events (MC_DBUS_BROKER1 (source_object), g_steal_pointer (&invocation),
                                              events, chain);
}

static void
list_audit_events (McBroker              *self,
                   GDBusMethodInvocation *invocation,
                   McCallerInfo          *caller,
                   GVariant              *arguments)
{
  McAuditLog *log = mc_audit_log_get_default ();
  g_autoptr(Listing) listing = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GVariant) options = NULL;
  const char *visible = mc_broker_visible_identity (caller);

  if (log == NULL)
    {
      g_dbus_method_invocation_return_error_literal (invocation, MC_ERROR, MC_ERROR_FAILED,
                                                     "This broker keeps no audit log");
      return;
    }

  g_variant_get (arguments, "(@a{sv})", &options);
  listing = g_new0 (Listing, 1);
  listing->dir = g_strdup (mc_audit_log_get_dir (log));
  listing->visible = g_strdup (visible);
  listing->limit = MC_BROKER_DEFAULT_AUDIT_EVENTS;
  g_variant_lookup (options, "limit", "u", &listing->limit);
  g_variant_lookup (options, "since", "x", &listing->since);
  g_variant_lookup (options, "kinds", "^as", &listing->kinds);
  g_queue_init (&listing->events);

  task = g_task_new (self, NULL, on_log_read, invocation);
  g_task_set_source_tag (task, list_audit_events);
  g_task_set_task_data (task, g_steal_pointer (&listing), (GDestroyNotify)listing_free);
  g_task_run_in_thread (task, read_log);
}

gboolean
mc_broker_handle_list_audit_events (McDbusBroker1         *object,
                                    GDBusMethodInvocation *invocation,
                                    GVariant              *arg_options)
{
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;

  if (!mc_options_filter (arg_options, mc_broker_audit_option_keys, mc_broker_n_audit_option_keys,
                          &options, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  mc_broker_with_caller (MC_BROKER (object), invocation,
                         g_variant_new ("(@a{sv})", g_variant_dict_end (&options)), list_audit_events);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
