/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MC_TYPE_PROMPTER_CLIENT (mc_prompter_client_get_type ())

G_DECLARE_FINAL_TYPE (McPrompterClient, mc_prompter_client, MC, PROMPTER_CLIENT, GObject)

McPrompterClient *mc_prompter_client_new               (const char           *executable);
void              mc_prompter_client_show_prompt_async (McPrompterClient     *self,
                                                        const char           *prompt_id,
                                                        GVariant             *details,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          mc_prompter_client_show_prompt_finish (McPrompterClient    *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void              mc_prompter_client_show_opened       (McPrompterClient     *self,
                                                        const char           *prompt_id,
                                                        GVariant             *details);
void              mc_prompter_client_show_open_failed  (McPrompterClient     *self,
                                                        const char           *prompt_id,
                                                        const char           *reason);
void              mc_prompter_client_dismiss           (McPrompterClient     *self,
                                                        const char           *prompt_id);
gboolean          mc_prompter_client_is_running        (McPrompterClient     *self);
void              mc_prompter_client_stop              (McPrompterClient     *self);

G_END_DECLS
