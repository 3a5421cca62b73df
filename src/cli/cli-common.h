/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-dbus.h"

G_BEGIN_DECLS

/* Exit codes, documented in docs/cli.md. */
enum
{
  CLI_EXIT_OK = 0,
  CLI_EXIT_UNREACHABLE = 1,
  CLI_EXIT_REFUSED = 2,
  CLI_EXIT_NOT_AUTHORIZED = 3,
  CLI_EXIT_POLICY_MALFORMED = 4,
  CLI_EXIT_INTERRUPTED = 130,
};

void           cli_print_error        (const char       *format,
                                       ...) G_GNUC_PRINTF (1, 2);
int            cli_report_call_error  (GError           *error);
McDbusBroker1 *cli_connect_broker     (int              *exit_status);
gboolean       cli_parse_options      (GOptionContext   *context,
                                       int              *argc,
                                       char           ***argv,
                                       int               expected_args);

/* One call that answers through a Request1 object's Response signal. */
typedef struct _CliRequest CliRequest;

CliRequest    *cli_request_new        (McDbusBroker1    *broker);
const char    *cli_request_get_token  (CliRequest       *self);
int            cli_request_wait       (CliRequest       *self,
                                       const char       *handle,
                                       guint32          *out_response,
                                       GVariant        **out_results);
void           cli_request_free       (CliRequest       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliRequest, cli_request_free)

G_END_DECLS
