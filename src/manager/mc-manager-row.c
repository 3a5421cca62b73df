/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-manager-row.h"

/* One entry of a manager list: a title, lines of detail, and at most one
 * action (Revoke, Forget).  The row itself is what the keyboard lands on;
 * its accessible label reads the whole entry, so a screen reader says
 * what the row is before the user acts on it, and Delete on the row asks
 * for the action as its button does. */

struct _McManagerRow
{
  GtkListBoxRow  parent_instance;

  char          *item_id;
  char          *title;
  GString       *spoken;
  GtkBox        *details;
  GtkLabel      *title_label;
  GtkButton     *action_button;
};

G_DEFINE_FINAL_TYPE (McManagerRow, mc_manager_row, GTK_TYPE_LIST_BOX_ROW)

enum
{
  SIGNAL_ACTION_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_accessible_label (McManagerRow *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->spoken->str,
                                  -1);
}

static void
on_action_clicked (GtkButton    *button,
                   McManagerRow *self)
{
  g_signal_emit (self, signals[SIGNAL_ACTION_REQUESTED], 0);
}

static void
request_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  McManagerRow *self = MC_MANAGER_ROW (widget);

  if (self->action_button != NULL)
    g_signal_emit (self, signals[SIGNAL_ACTION_REQUESTED], 0);
}

static void
mc_manager_row_finalize (GObject *object)
{
  McManagerRow *self = MC_MANAGER_ROW (object);

  g_free (self->item_id);
  g_free (self->title);
  g_string_free (self->spoken, TRUE);

  G_OBJECT_CLASS (mc_manager_row_parent_class)->finalize (object);
}

static void
mc_manager_row_class_init (McManagerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = mc_manager_row_finalize;

  /**
   * McManagerRow::action-requested:
   *
   * The user asked for the row's action: its button, or Delete on the row.
   * Whoever listens confirms before doing anything.
   */
  signals[SIGNAL_ACTION_REQUESTED] =
    g_signal_new ("action-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "row.request-action", NULL, request_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "row.request-action", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "row.request-action", NULL);
}

static void
mc_manager_row_init (McManagerRow *self)
{
  self->spoken = g_string_new (NULL);
}

/**
 * mc_manager_row_new:
 * @item_id: what the daemon calls the entry (a grant or decision id)
 * @title: the entry's first line
 *
 * Returns: (transfer floating): a new row
 */
McManagerRow *
mc_manager_row_new (const char *item_id,
                    const char *title)
{
  McManagerRow *self = NULL;
  GtkWidget *box = NULL;
  GtkWidget *text = NULL;

  g_return_val_if_fail (item_id != NULL, NULL);
  g_return_val_if_fail (title != NULL, NULL);

  self = g_object_new (MC_TYPE_MANAGER_ROW, NULL);
  self->item_id = g_strdup (item_id);
  self->title = g_strdup (title);
  g_string_append (self->spoken, title);

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_add_css_class (box, "row-content");
  text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (text, TRUE);

  self->title_label = GTK_LABEL (gtk_label_new (title));
  gtk_label_set_xalign (self->title_label, 0);
  gtk_label_set_wrap (self->title_label, TRUE);
  gtk_label_set_wrap_mode (self->title_label, PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "row-title");
  gtk_box_append (GTK_BOX (text), GTK_WIDGET (self->title_label));

  self->details = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 2));
  gtk_box_append (GTK_BOX (text), GTK_WIDGET (self->details));
  gtk_box_append (GTK_BOX (box), text);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (self), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self), FALSE);
  update_accessible_label (self);

  return self;
}

const char *
mc_manager_row_get_item_id (McManagerRow *self)
{
  g_return_val_if_fail (MC_IS_MANAGER_ROW (self), NULL);

  return self->item_id;
}

const char *
mc_manager_row_get_title (McManagerRow *self)
{
  g_return_val_if_fail (MC_IS_MANAGER_ROW (self), NULL);

  return self->title;
}

void
mc_manager_row_add_detail (McManagerRow *self,
                           const char   *detail)
{
  GtkWidget *label = NULL;

  g_return_if_fail (MC_IS_MANAGER_ROW (self));
  g_return_if_fail (detail != NULL);

  label = gtk_label_new (detail);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "row-detail");
  gtk_box_append (self->details, label);

  g_string_append (self->spoken, ". ");
  g_string_append (self->spoken, detail);
  update_accessible_label (self);
}

/**
 * mc_manager_row_set_action:
 * @self: a #McManagerRow
 * @label: the button's label, with a mnemonic
 * @accessible_label: what a screen reader says for the button: the
 *   action and what it acts on, since several rows have the same button
 */
void
mc_manager_row_set_action (McManagerRow *self,
                           const char   *label,
                           const char   *accessible_label)
{
  GtkWidget *box = NULL;

  g_return_if_fail (MC_IS_MANAGER_ROW (self));
  g_return_if_fail (self->action_button == NULL);

  self->action_button = GTK_BUTTON (gtk_button_new_with_mnemonic (label));
  gtk_widget_set_valign (GTK_WIDGET (self->action_button), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->action_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_label,
                                  -1);
  g_signal_connect (self->action_button, "clicked", G_CALLBACK (on_action_clicked), self);

  box = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (self));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->action_button));
}

gboolean
mc_manager_row_has_action (McManagerRow *self)
{
  g_return_val_if_fail (MC_IS_MANAGER_ROW (self), FALSE);

  return self->action_button != NULL;
}
