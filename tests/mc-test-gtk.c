/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-test-gtk.h"
#include "mc-test-xvfb.h"

/* What the tests that build GTK windows in their own process share: the
 * setup of a private bus and Xvfb, and screenshots. */

/**
 * mc_test_gtk_init:
 * @argc: main()'s
 * @argv: main()'s
 *
 * Sets the environment GTK reads (the cairo renderer, so screenshots come
 * out the same everywhere; the test accessibility backend, so
 * gtk_test_accessible_* can look), starts a private session bus (first,
 * since g_test_dbus_up() unsets DISPLAY) so that GTK never reaches for or
 * autolaunches a real one, then a private Xvfb, then GTK and the GLib test
 * framework.  Animations are off, so a page shown is drawn at once.
 * Bails out (TAP) when Xvfb cannot start.
 *
 * Returns: (transfer full): the bus, for mc_test_gtk_shutdown()
 */
GTestDBus *
mc_test_gtk_init (int    *argc,
                  char ***argv)
{
  GTestDBus *bus = NULL;
  g_autoptr(GError) error = NULL;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "test", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  if (!mc_test_xvfb_start (&error))
    {
      g_print ("Bail out! Cannot start Xvfb: %s\n", error->message);
      exit (1);
    }

  gtk_test_init (argc, argv, NULL);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  return bus;
}

void
mc_test_gtk_shutdown (GTestDBus *bus)
{
  mc_test_xvfb_stop ();
  g_test_dbus_down (bus);
  g_object_unref (bus);
}

/**
 * mc_test_gtk_save_screenshot:
 * @widget: a realized widget, usually a window
 * @name: the file name without ".png"
 *
 * Draws @widget as it is now into BUILDDIR/tests/screenshots/NAME.png.
 */
void
mc_test_gtk_save_screenshot (GtkWidget  *widget,
                             const char *name)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  int width, height;

  gtk_test_widget_wait_for_draw (widget);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)),
                                         node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));

  directory = g_test_build_filename (G_TEST_BUILT, "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (directory, 0755), ==, 0);
  file_name = g_strdup_printf ("%s.png", name);
  path = g_build_filename (directory, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s (%d×%d)", path, width, height);
}
