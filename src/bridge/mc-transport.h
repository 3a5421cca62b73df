/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <libsoup/soup.h>

#include "mc-jsonrpc.h"

G_BEGIN_DECLS

#define MC_TYPE_TRANSPORT (mc_transport_get_type ())

G_DECLARE_INTERFACE (McTransport, mc_transport, MC, TRANSPORT, GObject)

/**
 * McTransportInterface:
 * @send_async: send one client message; for a request, complete when its
 *   response was emitted (::message) or cannot come
 * @send_finish: %TRUE, or %FALSE with the error to answer the request with
 * @close_async: end the session (DELETE) and stop every stream
 * @close_finish: always completes
 * @set_paused: stop or resume reading the server's streams
 *
 * A way to an MCP server over HTTP: Streamable HTTP (McStreamableHttp) or
 * the 2024-11-05 HTTP+SSE transport (McLegacySse).  Responses are matched
 * to the requests sent, each request answered once.
 */
struct _McTransportInterface
{
  GTypeInterface parent_iface;

  void     (*send_async)   (McTransport          *self,
                            McJsonrpcMessage     *message,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data);
  gboolean (*send_finish)  (McTransport          *self,
                            GAsyncResult         *result,
                            GError              **error);
  void     (*close_async)  (McTransport          *self,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data);
  gboolean (*close_finish) (McTransport          *self,
                            GAsyncResult         *result,
                            GError              **error);
  void     (*set_paused)   (McTransport          *self,
                            gboolean              paused);
};

void              mc_transport_send_async      (McTransport          *self,
                                                McJsonrpcMessage     *message,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean          mc_transport_send_finish     (McTransport          *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void              mc_transport_close_async     (McTransport          *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean          mc_transport_close_finish    (McTransport          *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void              mc_transport_set_paused      (McTransport          *self,
                                                gboolean              paused);

/**
 * McTransportCall:
 * @transport: the transport (a reference)
 * @message: the client's message
 * @task: completed once, when the call finishes
 * @cancellable: the call's HTTP I/O; cancelled when it finishes
 * @refusal: (nullable): an HTTP refusal whose body is being read
 * @done: whether the call finished
 * @finishing: (nullable): for implementations that extend the call: stop
 *   what else it runs, when it finishes
 * @clear: (nullable): for implementations that extend the call: free
 *   their fields
 *
 * One client message on its way, and for a request its answer; the
 * common part of what the transports keep about it.  Implementations
 * that need more embed it first in a structure of their own.
 */
typedef struct _McTransportCall McTransportCall;

struct _McTransportCall
{
  grefcount          ref_count;
  McTransport       *transport;
  McJsonrpcMessage  *message;
  GTask             *task;
  GCancellable      *cancellable;
  SoupMessage       *refusal;
  gboolean           done;
  void             (*finishing) (McTransportCall *call);
  void             (*clear)     (McTransportCall *call);
};

/**
 * McTransportCalls:
 * @calls: (element-type McTransportCall): every call under way
 * @pending: the requests among them, by id key
 *
 * The calls of a transport.
 */
typedef struct
{
  GPtrArray  *calls;
  GHashTable *pending;
} McTransportCalls;

void              mc_transport_calls_init      (McTransportCalls     *calls);
void              mc_transport_calls_clear     (McTransportCalls     *calls);
McTransportCall  *mc_transport_calls_start     (McTransportCalls     *calls,
                                                McTransport          *transport,
                                                gsize                 size,
                                                McJsonrpcMessage     *message,
                                                GTask                *task,
                                                const GError         *failure,
                                                gboolean              closed);
void              mc_transport_calls_finish    (McTransportCalls     *calls,
                                                McTransportCall      *call,
                                                const GError         *error);
void              mc_transport_calls_fail_all  (McTransportCalls     *calls,
                                                const GError         *error);
McTransportCall  *mc_transport_calls_take_response (McTransportCalls *calls,
                                                    McJsonrpcMessage *message);
McTransportCall  *mc_transport_call_ref        (McTransportCall      *call);
void              mc_transport_call_unref      (McTransportCall      *call);
gboolean          mc_transport_call_is_request (McTransportCall      *call);
gboolean          mc_transport_call_is         (McTransportCall      *call,
                                                const char           *method);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McTransportCall, mc_transport_call_unref)

void              mc_transport_emit_message    (McTransport          *self,
                                                McJsonrpcMessage     *message,
                                                McJsonrpcMessage     *request);
void              mc_transport_emit_failed     (McTransport          *self,
                                                const GError         *error);
McJsonrpcMessage *mc_transport_parse_event     (const char           *data,
                                                gsize                 length,
                                                const char           *where);
GPtrArray        *mc_transport_parse_json_body (GBytes               *body,
                                                const char           *where);

G_END_DECLS
