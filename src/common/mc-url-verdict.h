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

/* Longer URLs (in bytes) are blocked outright. */
#define MC_URL_MAX_LENGTH 32768

#define MC_TYPE_URL_VERDICT (mc_url_verdict_get_type ())

/**
 * McUrlVerdict:
 *
 * An immutable, reference-counted judgement of one URL, optionally
 * against the URL of the MCP server that asked to open it.
 *
 * Offsets: mc_url_verdict_get_host_range() gives the half-open byte range
 * [@start, @end) of the host *as written* inside the URL string that was
 * passed to mc_url_verdict_new(), so that `url + start` for `end - start`
 * bytes is the host text the user sees.  For an IPv6 literal the range
 * excludes the brackets; a trailing dot, if written, is included; any
 * userinfo and port are excluded.  The text in the range may differ from
 * mc_url_verdict_get_host() (case, punycode, full-width forms, IPv4
 * spelled in hex...).  It is available exactly when
 * mc_url_verdict_get_host() is not %NULL.
 *
 * mc_url_verdict_get_registrable_domain_range() gives, the same way, the
 * labels of the host as written that make up the registrable domain
 * (from the first byte of its first label to the last byte of its last
 * label, so never a trailing dot).  It is available exactly when
 * mc_url_verdict_get_registrable_domain() is not %NULL, and always lies
 * inside the host range.
 */
typedef struct _McUrlVerdict McUrlVerdict;

GType               mc_url_verdict_get_type               (void);
McUrlVerdict       *mc_url_verdict_new                    (const char          *url,
                                                           const char          *server_url);
McUrlVerdict       *mc_url_verdict_block_by_policy        (const McUrlVerdict  *self);
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
gboolean            mc_url_verdict_get_registrable_domain_range
                                                          (const McUrlVerdict  *self,
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
