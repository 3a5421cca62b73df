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

static inline GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  GLogWriterOutput result = g_log_writer_default (log_level, fields, n_fields, user_data);

  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();

  return result;
}

/* A critical means the code under test broke a GLib contract (say, a
 * non-UTF-8 string into g_variant_new_string()), and the daemon may run
 * with G_DEBUG=fatal-criticals; a warning from a pure parser means it
 * took a path it should not. Both abort.  Not g_log_set_always_fatal():
 * GLib then raises SIGTRAP, which libFuzzer does not catch, and the input
 * that did it is lost; SIGABRT it catches, and keeps the input. */
static inline void
fuzz_make_messages_fatal (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

/* The input as a C string, as the code under test receives it when it
 * reads a file: up to the first NUL. */
static inline char *
fuzz_dup_string (const uint8_t *data,
                 size_t         size)
{
  return g_strndup ((const char *) data, size);
}
