/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-fair-queue.h"

static GObject *
item_new (const char *name)
{
  GObject *item = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data_full (item, "name", g_strdup (name), g_free);
  return item;
}

static char *
pop_name (McFairQueue *queue)
{
  g_autoptr(GObject) item = mc_fair_queue_pop (queue);

  return item != NULL ? g_strdup (g_object_get_data (item, "name")) : NULL;
}

static void
push (McFairQueue *queue,
      const char  *key,
      const char  *name)
{
  g_autoptr(GObject) item = item_new (name);

  mc_fair_queue_push (queue, key, item);
}

static void
test_fair_queue_round_robin (void)
{
  g_autoptr(McFairQueue) queue = mc_fair_queue_new ();
  const char *expected[] = { "a1", "b1", "c1", "a2", "b2", "a3", "a4" };

  /* A flood from one caller must not push the others back. */
  push (queue, "a", "a1");
  push (queue, "a", "a2");
  push (queue, "a", "a3");
  push (queue, "b", "b1");
  push (queue, "a", "a4");
  push (queue, "b", "b2");
  push (queue, "c", "c1");

  g_assert_cmpuint (mc_fair_queue_get_length (queue), ==, 7);
  g_assert_cmpuint (mc_fair_queue_count_for_key (queue, "a"), ==, 4);
  g_assert_cmpuint (mc_fair_queue_count_for_key (queue, "b"), ==, 2);
  g_assert_cmpuint (mc_fair_queue_count_for_key (queue, "z"), ==, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *name = pop_name (queue);

      g_assert_cmpstr (name, ==, expected[i]);
    }

  g_assert_null (mc_fair_queue_pop (queue));
  g_assert_cmpuint (mc_fair_queue_get_length (queue), ==, 0);
}

static void
test_fair_queue_remove (void)
{
  g_autoptr(McFairQueue) queue = mc_fair_queue_new ();
  g_autoptr(GObject) b1 = item_new ("b1");
  g_autoptr(GObject) stranger = item_new ("x");
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  push (queue, "a", "a1");
  mc_fair_queue_push (queue, "b", b1);
  push (queue, "a", "a2");

  g_assert_true (mc_fair_queue_remove (queue, b1));
  g_assert_false (mc_fair_queue_remove (queue, b1));
  g_assert_false (mc_fair_queue_remove (queue, stranger));
  g_assert_cmpuint (mc_fair_queue_count_for_key (queue, "b"), ==, 0);

  /* With "b" gone, "a" keeps every turn. */
  first = pop_name (queue);
  second = pop_name (queue);
  g_assert_cmpstr (first, ==, "a1");
  g_assert_cmpstr (second, ==, "a2");
  g_assert_null (mc_fair_queue_pop (queue));
}

static void
test_fair_queue_late_key_waits_one_turn (void)
{
  g_autoptr(McFairQueue) queue = mc_fair_queue_new ();
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;

  push (queue, "a", "a1");
  push (queue, "a", "a2");
  first = pop_name (queue);
  /* "b" arrives while "a" still has a turn pending: it goes next. */
  push (queue, "b", "b1");
  second = pop_name (queue);
  third = pop_name (queue);

  g_assert_cmpstr (first, ==, "a1");
  g_assert_cmpstr (second, ==, "a2");
  g_assert_cmpstr (third, ==, "b1");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fair-queue/round-robin", test_fair_queue_round_robin);
  g_test_add_func ("/fair-queue/remove", test_fair_queue_remove);
  g_test_add_func ("/fair-queue/late-key", test_fair_queue_late_key_waits_one_turn);

  return g_test_run ();
}
