/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Seconds without a window before the prompter exits. */
#define MC_PROMPTER_IDLE_TIMEOUT_S 60

#define MC_TYPE_PROMPTER_APPLICATION (mc_prompter_application_get_type ())

G_DECLARE_FINAL_TYPE (McPrompterApplication, mc_prompter_application, MC, PROMPTER_APPLICATION, GtkApplication)

McPrompterApplication *mc_prompter_application_new              (GIOStream             *stream);
int                    mc_prompter_application_get_exit_status  (McPrompterApplication *self);

G_END_DECLS
