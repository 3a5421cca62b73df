/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <gio/gio.h>

#include "mc-error.h"

static const GDBusErrorEntry mc_error_entries[] = {
  { MC_ERROR_FAILED, "io.github.mcp_consent.Error.Failed" },
  { MC_ERROR_INVALID_ARGUMENT, "io.github.mcp_consent.Error.InvalidArgument" },
  { MC_ERROR_NOT_ALLOWED, "io.github.mcp_consent.Error.NotAllowed" },
  { MC_ERROR_BUSY, "io.github.mcp_consent.Error.Busy" },
  { MC_ERROR_URL_BLOCKED, "io.github.mcp_consent.Error.UrlBlocked" },
  { MC_ERROR_NOT_FOUND, "io.github.mcp_consent.Error.NotFound" },
  { MC_ERROR_NOT_AUTHORIZED, "io.github.mcp_consent.Error.NotAuthorized" },
  { MC_ERROR_KEYRING_LOCKED, "io.github.mcp_consent.Error.KeyringLocked" },
  { MC_ERROR_KEYRING_UNAVAILABLE, "io.github.mcp_consent.Error.KeyringUnavailable" },
  { MC_ERROR_REMOTE, "io.github.mcp_consent.Error.Remote" },
  { MC_ERROR_POLICY_DENIED, "io.github.mcp_consent.Error.PolicyDenied" },
};

GQuark
mc_error_quark (void)
{
  static gsize quark = 0;

  /* Registering maps the codes to D-Bus names in both directions, so the
   * daemon sends named errors and clients get McError codes back. */
  g_dbus_error_register_error_domain ("mc-error-quark",
                                      &quark,
                                      mc_error_entries,
                                      G_N_ELEMENTS (mc_error_entries));
  return (GQuark) quark;
}
