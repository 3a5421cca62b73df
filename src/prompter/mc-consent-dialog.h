/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/**
 * McConsentDialogState:
 * @MC_CONSENT_DIALOG_STATE_PROMPT: asking the user; no answer yet
 * @MC_CONSENT_DIALOG_STATE_OPENING: the user chose Open; waiting for the daemon
 * @MC_CONSENT_DIALOG_STATE_OPENED: the "finish in your browser" notice
 * @MC_CONSENT_DIALOG_STATE_OPEN_FAILED: the "no web browser" notice
 *
 * What the dialog shows.
 */
typedef enum
{
  MC_CONSENT_DIALOG_STATE_PROMPT,
  MC_CONSENT_DIALOG_STATE_OPENING,
  MC_CONSENT_DIALOG_STATE_OPENED,
  MC_CONSENT_DIALOG_STATE_OPEN_FAILED,
} McConsentDialogState;

/* How long Open stays insensitive after the dialog gains focus. */
#define MC_CONSENT_DIALOG_UNLOCK_DELAY_MS 1000

#define MC_TYPE_CONSENT_DIALOG (mc_consent_dialog_get_type ())

G_DECLARE_FINAL_TYPE (McConsentDialog, mc_consent_dialog, MC, CONSENT_DIALOG, GtkWindow)

McConsentDialog      *mc_consent_dialog_new                (const char      *prompt_id,
                                                            GVariant        *prompt);
const char           *mc_consent_dialog_get_prompt_id      (McConsentDialog *self);
McConsentDialogState  mc_consent_dialog_get_state          (McConsentDialog *self);
void                  mc_consent_dialog_show_opened        (McConsentDialog *self,
                                                            GVariant        *prompt);
void                  mc_consent_dialog_show_open_failed   (McConsentDialog *self,
                                                            const char      *reason);
void                  mc_consent_dialog_withdraw           (McConsentDialog *self);
guint                 mc_consent_dialog_get_unlock_delay   (McConsentDialog *self);
void                  mc_consent_dialog_set_unlock_delay   (McConsentDialog *self,
                                                            guint            delay_ms);

G_END_DECLS
