/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-fair-queue.h"

/* Round robin over keys, first in first out within a key: a caller that
 * queues many prompts delays its own, never another caller's, by more than
 * one prompt each. */
struct _McFairQueue
{
  GObject     parent_instance;

  /* Keys with items, in the order they get their next turn. */
  GQueue      turns;
  /* key → GQueue of GObject items (owned). */
  GHashTable *items_by_key;
  /* item → its key (borrowed from items_by_key), to remove by item. */
  GHashTable *key_by_item;
};

G_DEFINE_FINAL_TYPE (McFairQueue, mc_fair_queue, G_TYPE_OBJECT)

static void
free_item_queue (gpointer data)
{
  g_queue_free_full (data, g_object_unref);
}

static void
mc_fair_queue_finalize (GObject *object)
{
  McFairQueue *self = (McFairQueue *)object;

  g_queue_clear (&self->turns);
  g_clear_pointer (&self->key_by_item, g_hash_table_unref);
  g_clear_pointer (&self->items_by_key, g_hash_table_unref);

  G_OBJECT_CLASS (mc_fair_queue_parent_class)->finalize (object);
}

static void
mc_fair_queue_class_init (McFairQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mc_fair_queue_finalize;
}

static void
mc_fair_queue_init (McFairQueue *self)
{
  g_queue_init (&self->turns);
  self->items_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_item_queue);
  self->key_by_item = g_hash_table_new (NULL, NULL);
}

McFairQueue *
mc_fair_queue_new (void)
{
  return g_object_new (MC_TYPE_FAIR_QUEUE, NULL);
}

/**
 * mc_fair_queue_push:
 * @self: a #McFairQueue
 * @key: whose turn the item waits for
 * @item: the item; the queue takes a reference
 */
void
mc_fair_queue_push (McFairQueue *self,
                    const char  *key,
                    GObject     *item)
{
  GQueue *items = NULL;
  char *owned_key = NULL;

  g_return_if_fail (MC_IS_FAIR_QUEUE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (G_IS_OBJECT (item));
  g_return_if_fail (!g_hash_table_contains (self->key_by_item, item));

  if (!g_hash_table_lookup_extended (self->items_by_key, key, (gpointer *)&owned_key, (gpointer *)&items))
    {
      owned_key = g_strdup (key);
      items = g_queue_new ();
      g_hash_table_insert (self->items_by_key, owned_key, items);
      g_queue_push_tail (&self->turns, owned_key);
    }

  g_queue_push_tail (items, g_object_ref (item));
  g_hash_table_insert (self->key_by_item, item, owned_key);
}

static void
drop_key_if_empty (McFairQueue *self,
                   const char  *key,
                   GQueue      *items)
{
  if (!g_queue_is_empty (items))
    return;

  g_queue_remove (&self->turns, key);
  g_hash_table_remove (self->items_by_key, key);
}

/**
 * mc_fair_queue_pop:
 * @self: a #McFairQueue
 *
 * Returns: (transfer full) (nullable): the next item, or %NULL when empty
 */
GObject *
mc_fair_queue_pop (McFairQueue *self)
{
  const char *key = NULL;
  GQueue *items = NULL;
  GObject *item = NULL;

  g_return_val_if_fail (MC_IS_FAIR_QUEUE (self), NULL);

  key = g_queue_pop_head (&self->turns);
  if (key == NULL)
    return NULL;

  items = g_hash_table_lookup (self->items_by_key, key);
  item = g_queue_pop_head (items);
  g_hash_table_remove (self->key_by_item, item);

  if (g_queue_is_empty (items))
    g_hash_table_remove (self->items_by_key, key);
  else
    g_queue_push_tail (&self->turns, (gpointer)key);

  return item;
}

/**
 * mc_fair_queue_remove:
 * @self: a #McFairQueue
 * @item: an item
 *
 * Returns: %TRUE if @item was queued and is no longer
 */
gboolean
mc_fair_queue_remove (McFairQueue *self,
                      GObject     *item)
{
  const char *key = NULL;
  GQueue *items = NULL;

  g_return_val_if_fail (MC_IS_FAIR_QUEUE (self), FALSE);

  key = g_hash_table_lookup (self->key_by_item, item);
  if (key == NULL)
    return FALSE;

  items = g_hash_table_lookup (self->items_by_key, key);
  g_queue_remove (items, item);
  g_hash_table_remove (self->key_by_item, item);
  drop_key_if_empty (self, key, items);
  g_object_unref (item);

  return TRUE;
}

guint
mc_fair_queue_count_for_key (McFairQueue *self,
                             const char  *key)
{
  GQueue *items = NULL;

  g_return_val_if_fail (MC_IS_FAIR_QUEUE (self), 0);
  g_return_val_if_fail (key != NULL, 0);

  items = g_hash_table_lookup (self->items_by_key, key);
  return items != NULL ? g_queue_get_length (items) : 0;
}

guint
mc_fair_queue_get_length (McFairQueue *self)
{
  g_return_val_if_fail (MC_IS_FAIR_QUEUE (self), 0);

  return g_hash_table_size (self->key_by_item);
}
