/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The largest document the broker reads from a server. */
#define MC_HTTP_MAX_BODY (256 * 1024)
/* How long one request may take, unless the test hook says otherwise. */
#define MC_HTTP_DEFAULT_TIMEOUT 30

/**
 * McHttpResponse:
 * @status: the HTTP status code
 * @body: the body, at most %MC_HTTP_MAX_BODY bytes
 * @content_type: (nullable): the media type, without parameters
 *
 * What a server answered.
 */
typedef struct
{
  guint   status;
  GBytes *body;
  char   *content_type;
} McHttpResponse;

void mc_http_response_free (McHttpResponse *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McHttpResponse, mc_http_response_free)

#define MC_TYPE_HTTP (mc_http_get_type ())

G_DECLARE_FINAL_TYPE (McHttp, mc_http, MC, HTTP, GObject)

McHttp         *mc_http_new              (guint                 timeout_seconds);
void            mc_http_get_async        (McHttp               *self,
                                          const char           *url,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
void            mc_http_post_async       (McHttp               *self,
                                          const char           *url,
                                          const char           *content_type,
                                          GBytes               *body,
                                          const char           *authorization,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
McHttpResponse *mc_http_finish           (McHttp               *self,
                                          GAsyncResult         *result,
                                          GError              **error);

GBytes         *mc_http_form_encode      (const char           *first_name,
                                          ...) G_GNUC_NULL_TERMINATED;
GBytes         *mc_http_form_encodev     (const char * const   *names,
                                          const char * const   *values,
                                          gsize                 n_fields);
char           *mc_http_basic_auth       (const char           *client_id,
                                          const char           *client_secret);

G_END_DECLS
