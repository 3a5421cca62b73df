/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

/* What every fuzzer but the oldest (fuzz-url-verdict.c) shares. */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

/* An invariant the callers rely on; breaking it is a finding like a crash. */
#define check(condition) \
  G_STMT_START { if (!(condition)) { g_printerr ("invariant failed: %s\n", #condition); abort (); } } G_STMT_END

int LLVMFuzzerInitialize   (int             *argc,
                            char          ***argv);
int LLVMFuzzerTestOneInput (const uint8_t   *data,
                            size_t           size);

/* A critical means the code under test broke a GLib contract (say, a
 * non-UTF-8 string into g_variant_new_string()), and the daemon may run
 * with G_DEBUG=fatal-criticals; a warning from a pure parser means it
 * took a path it should not. Both abort, so libFuzzer keeps the input. */
static inline void
fuzz_make_messages_fatal (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

/* The input as a C string, as the code under test receives it when it
 * reads a file: up to the first NUL. */
static inline char *
fuzz_dup_string (const uint8_t *data,
                 size_t         size)
{
  return g_strndup ((const char *) data, size);
}
