// cbaseline_client: the libwebsockets plumbing shared by the baseline's workloads (private).
//
// One cb_client is one lws context serviced on the calling thread. One cb_conn is one client
// connection; the workload sees it only through cb_conn_ops: whole messages, writeable slots,
// its establishment and its end.
#ifndef CBASELINE_CLIENT_H
#define CBASELINE_CLIENT_H

#include <libwebsockets.h>
#include <stddef.h>

#include "cbaseline.h"

struct cb_conn;

/// What a workload does with a connection's events. Every member may be NULL.
typedef struct cb_conn_ops {
    void (*established)(struct cb_conn *conn);
    /// A whole message. `data` is valid only during the call.
    void (*message)(struct cb_conn *conn, const unsigned char *data, size_t len);
    /// The socket can take data: write with cb_conn_write. Return -1 to drop the connection.
    int (*writeable)(struct cb_conn *conn);
    /// The connection is gone (WSI_DESTROY); after a failure to connect too.
    void (*ended)(struct cb_conn *conn);
} cb_conn_ops;

typedef struct cb_client {
    struct lws_context *context;
    struct lws_protocols protocols[2];
    struct lws_extension extensions[2];
    lws_retry_bo_t idle_policy;
    cbaseline_target target;
    char host_header[80];
} cb_client;

typedef struct cb_conn {
    cb_client *client;
    struct lws *wsi;
    const cb_conn_ops *ops;
    /// The workload's own state.
    void *user;
    int established;
    int ended;
    int failed;
    /// A close was asked for; it goes out from the next WRITEABLE.
    int closing;
    int close_sent;
    /// Reassembly of messages that span several RECEIVE callbacks.
    unsigned char *rx;
    size_t rx_len;
    size_t rx_cap;
} cb_conn;

/// Creates the context. Returns 0, or -1 if libwebsockets refused.
int cb_client_init(cb_client *client, const cbaseline_target *target);
void cb_client_destroy(cb_client *client);

/// Services the context until `*flag` becomes nonzero (set from a callback).
void cb_client_run_until(cb_client *client, const int *flag);

/// One lws_service pass: returns after the next batch of events. Returns -1 if the context failed.
int cb_client_service(cb_client *client);

/// Starts connecting `conn` to `path`. Returns 0, or -1 when libwebsockets returned NULL
/// (no callback follows; `conn` is marked failed and ended, and `ended` is called).
int cb_conn_open(cb_client *client, cb_conn *conn, const char *path, const cb_conn_ops *ops, void *user);

/// Asks for a WRITEABLE callback.
void cb_conn_want_write(cb_conn *conn);

/// Sends a close frame with 1000 at the next WRITEABLE.
void cb_conn_close(cb_conn *conn);

/// Writes one binary message from `buffer`, whose first LWS_PRE bytes are headroom. Returns
/// the lws_write result (< 0 is fatal). libwebsockets masks the payload in place.
int cb_conn_write(cb_conn *conn, unsigned char *buffer, size_t payload_len);

/// Whether the socket is backed up (no more writes in this WRITEABLE).
int cb_conn_choked(cb_conn *conn);

/// Releases the reassembly buffer.
void cb_conn_release(cb_conn *conn);

#endif
