// cbaseline_client: one libwebsockets client context serviced on the calling thread, and the
// callback that turns its events into whole messages and writeable slots for the workloads.
//
// The settings mirror KstlibWebSocket's transport (Transport/EventLoop.swift, ContextTables.swift,
// LibWebSockets/ClientConnectRequest.swift and LWSConnection+Callbacks.swift) so the comparison
// measures the Swift layers, not a different libwebsockets configuration.
#include "cbaseline_client.h"
#include "cbaseline_process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CB_RX_BUFFER = 64 * 1024 };

/// Connection errors printed per process; a failing `conns` run would print thousands.
enum { CB_ERRORS_SHOWN = 5 };
static int cb_errors_seen;

static const char cb_protocol_name[] = "kstlib-ws";

static void cb_conn_end(cb_conn *conn) {
    if (conn->ended) return;
    conn->ended = 1;
    if (conn->wsi) lws_set_opaque_user_data(conn->wsi, NULL);
    conn->wsi = NULL;
    if (conn->ops->ended) conn->ops->ended(conn);
}

static int cb_receive(cb_conn *conn, struct lws *wsi, const unsigned char *in, size_t len) {
    int first = lws_is_first_fragment(wsi);
    int last = lws_is_final_fragment(wsi);
    if (first && last) {
        if (conn->ops->message) conn->ops->message(conn, in, len);
        return 0;
    }
    if (first) conn->rx_len = 0;
    if (conn->rx_len + len > conn->rx_cap) {
        size_t cap = conn->rx_cap ? conn->rx_cap : 4096;
        while (cap < conn->rx_len + len) cap *= 2;
        unsigned char *grown = realloc(conn->rx, cap);
        if (!grown) return -1;
        conn->rx = grown;
        conn->rx_cap = cap;
    }
    memcpy(conn->rx + conn->rx_len, in, len);
    conn->rx_len += len;
    if (last && conn->ops->message) conn->ops->message(conn, conn->rx, conn->rx_len);
    return 0;
}

static int cb_writeable(cb_conn *conn, struct lws *wsi) {
    // lws may call once more after the close: write nothing (a second -1 would cut TCP).
    if (conn->close_sent) return 0;
    if (conn->closing) {
        conn->close_sent = 1;
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    return conn->ops->writeable ? conn->ops->writeable(conn) : 0;
}

static int cb_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    (void)user;
    cb_conn *conn = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!conn) return 0;
    if (!conn->wsi && !conn->ended) conn->wsi = wsi;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return cb_receive(conn, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return cb_writeable(conn, wsi);
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        conn->established = 1;
        if (conn->ops->established) conn->ops->established(conn);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        conn->failed = 1;
        if (++cb_errors_seen <= CB_ERRORS_SHOWN)
            fprintf(stderr, "c-baseline-client: connection error: %s%s\n", in ? (const char *)in : "(none)",
                    cb_errors_seen == CB_ERRORS_SHOWN ? " (further errors not shown)" : "");
        break;
    case LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED:
        return conn->client->target.compression ? 0 : 1;
    case LWS_CALLBACK_WS_EXT_DEFAULTS:
        // The Swift transport's permessage-deflate tuning (LWSConnection+Callbacks.swift).
        if (in && len > 0) lws_strncpy(in, "rx_buf_size=16; tx_buf_size=15", len);
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        cb_conn_end(conn);
        break;
    default:
        break;
    }
    return 0;
}

const char *cbaseline_library_version(void) {
    return lws_get_library_version();
}

int cb_client_init(cb_client *client, const cbaseline_target *target) {
    memset(client, 0, sizeof *client);
    client->target = *target;
    int is_v6 = strchr(target->address, ':') != NULL;
    if (target->port == 80)
        snprintf(client->host_header, sizeof client->host_header, is_v6 ? "[%s]" : "%s", target->address);
    else
        snprintf(client->host_header, sizeof client->host_header, is_v6 ? "[%s]:%d" : "%s:%d", target->address,
                 target->port);

    client->protocols[0].name = cb_protocol_name;
    client->protocols[0].callback = cb_callback;
    client->protocols[0].rx_buffer_size = CB_RX_BUFFER;
    client->extensions[0].name = "permessage-deflate";
    client->extensions[0].callback = lws_extension_callback_pm_deflate;
    client->extensions[0].client_offer = "permessage-deflate; client_max_window_bits";
    // Zeroed: secs_since_valid_hangup == 0 turns libwebsockets' keepalive off.
    memset(&client->idle_policy, 0, sizeof client->idle_policy);

    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = client->protocols;
    info.extensions = client->extensions;
    // No LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT: the benchmark is plain ws, and from libwebsockets 4.5 the
    // last context with it calls OPENSSL_cleanup() when destroyed, after which the next one crashes.
    info.options = LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
    info.pt_serv_buf_size = CB_RX_BUFFER;
    info.timeout_secs = 120;
    info.connect_timeout_secs = 120;
    info.fd_limit_per_thread = cb_raise_fd_limit();
    client->context = lws_create_context(&info);
    return client->context ? 0 : -1;
}

void cb_client_destroy(cb_client *client) {
    if (client->context) lws_context_destroy(client->context);
    client->context = NULL;
}

void cb_client_run_until(cb_client *client, const int *flag) {
    while (!*flag) {
        if (cb_client_service(client) < 0) break;
    }
}

int cb_client_service(cb_client *client) {
    return lws_service(client->context, 0) < 0 ? -1 : 0;
}

int cb_conn_open(cb_client *client, cb_conn *conn, const char *path, const cb_conn_ops *ops, void *user) {
    memset(conn, 0, sizeof *conn);
    conn->client = client;
    conn->ops = ops;
    conn->user = user;

    struct lws_client_connect_info info;
    memset(&info, 0, sizeof info);
    info.context = client->context;
    info.address = client->target.address;
    info.port = client->target.port;
    info.path = path;
    info.host = client->host_header;
    info.local_protocol_name = cb_protocol_name;
    info.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
    info.retry_and_idle_policy = &client->idle_policy;
    info.opaque_user_data = conn;
    struct lws *wsi = lws_client_connect_via_info(&info);
    if (!wsi) {
        if (!conn->ended) {
            // No callback follows a NULL return.
            conn->failed = 1;
            cb_conn_end(conn);
        }
        return -1;
    }
    if (!conn->ended) conn->wsi = wsi;
    return 0;
}

void cb_conn_want_write(cb_conn *conn) {
    if (conn->wsi && conn->established) lws_callback_on_writable(conn->wsi);
}

void cb_conn_close(cb_conn *conn) {
    if (conn->ended || conn->closing) return;
    conn->closing = 1;
    cb_conn_want_write(conn);
}

int cb_conn_write(cb_conn *conn, unsigned char *buffer, size_t payload_len) {
    return lws_write(conn->wsi, buffer + LWS_PRE, payload_len, LWS_WRITE_BINARY);
}

int cb_conn_choked(cb_conn *conn) {
    return lws_send_pipe_choked(conn->wsi);
}

void cb_conn_release(cb_conn *conn) {
    free(conn->rx);
    conn->rx = NULL;
    conn->rx_len = conn->rx_cap = 0;
}
