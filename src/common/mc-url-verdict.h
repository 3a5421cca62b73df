/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * McUrlRisk:
 * @MC_URL_RISK_OK: nothing unusual
 * @MC_URL_RISK_CAUTION: shown with a warning
 * @MC_URL_RISK_DANGER: shown with a strong warning; opening needs an extra step
 * @MC_URL_RISK_BLOCKED: never shown, never opened
 *
 * How risky a URL is, strongest last, so levels compare with < and >.
 * docs/url-verdicts.md states the rules.
 */
typedef enum
{
  MC_URL_RISK_OK,
  MC_URL_RISK_CAUTION,
  MC_URL_RISK_DANGER,
  MC_URL_RISK_BLOCKED,
} McUrlRisk;

#define MC_URL_MAX_LENGTH 32768

#define MC_TYPE_URL_VERDICT (mc_url_verdict_get_type ())

typedef struct _McUrlVerdict McUrlVerdict;

GType               mc_url_verdict_get_type               (void);
McUrlVerdict       *mc_url_verdict_new                    (const char          *url,
                                                           const char          *server_url);
McUrlVerdict       *mc_url_verdict_ref                    (McUrlVerdict        *self);
void                mc_url_verdict_unref                  (McUrlVerdict        *self);
McUrlRisk           mc_url_verdict_get_risk               (const McUrlVerdict  *self);
const char         *mc_url_verdict_get_host               (const McUrlVerdict  *self);
const char         *mc_url_verdict_get_host_ascii         (const McUrlVerdict  *self);
const char         *mc_url_verdict_get_registrable_domain (const McUrlVerdict  *self);
const char * const *mc_url_verdict_get_flags              (const McUrlVerdict  *self);
gboolean            mc_url_verdict_has_flag               (const McUrlVerdict  *self,
                                                           const char          *flag);
const char         *mc_url_verdict_get_reason             (const McUrlVerdict  *self);
gboolean            mc_url_verdict_get_host_range         (const McUrlVerdict  *self,
                                                           gsize               *start,
                                                           gsize               *end);
GVariant           *mc_url_verdict_to_variant             (const McUrlVerdict  *self);
char               *mc_url_verdict_to_json                (const McUrlVerdict  *self);

const char         *mc_url_risk_to_string                 (McUrlRisk            risk);
gboolean            mc_url_risk_from_string               (const char          *string,
                                                           McUrlRisk           *risk);
const char         *mc_url_flag_describe                  (const char          *flag);
McUrlRisk           mc_url_flag_get_risk                  (const char          *flag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McUrlVerdict, mc_url_verdict_unref)

G_END_DECLS
