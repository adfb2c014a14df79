// Implementation of the CLWSShim helpers; see the header for why each one exists.
#define _GNU_SOURCE
#include "CLWSShim.h"

#include <pthread.h>
#include <stdatomic.h>

#include <string.h>
#include <sys/socket.h>
#include <openssl/ssl.h>

// Atomic: the client loop installs the hook while the embedded server's thread may be logging.
static _Atomic(lwss_log_sink) g_sink;
static _Atomic int g_forward_mask;
static _Atomic int g_installed;
// The level handed to libwebsockets, for lwss_write's temporary change.
static _Atomic int g_level;

// Per service thread: the embedded server and the client loop each run their own thread.
static _Thread_local char t_last_line[200];
static _Thread_local char t_failure[200];
static _Thread_local int t_has_failure;
static _Thread_local int t_ping;
static _Thread_local struct lws *t_armed;
static _Atomic(lwss_ping_handler) g_ping_handler;

static void copy_line(char *dst, size_t n, const char *src) {
    size_t len = strlen(src);
    while (len > 0 && (src[len - 1] == '\n' || src[len - 1] == '\r'))
        len--;
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

// Strips libwebsockets' "[timestamp] I: " style prefix if present, so reasons read cleanly.
static const char *after_prefix(const char *line) {
    const char *p = strstr(line, ": ");
    if (line[0] == '[' && p)
        return p + 2;
    return line;
}

// The lines libwebsockets 4.1's client parser (lib/roles/ws/client-parser-ws.c) logs right
// before giving up on a frame. "client_rx_sm exited" alone is not enough: it also follows the
// server's close acknowledgement, which is no violation at all.
static const char *const k_violations[] = {
    "illegal rsv bits", "illegal opcode", "disordered continuation", "owed us a FIN",
    "can't be fragmented", "extended length is illegal", "b63 of length", "Unhandled ext opc",
};

static int is_violation(const char *line) {
    for (size_t i = 0; i < sizeof(k_violations) / sizeof(k_violations[0]); i++)
        if (strstr(line, k_violations[i]))
            return 1;
    return 0;
}

static void lwss_emit(int level, const char *line) {
    if (level & (LLL_INFO | LLL_WARN | LLL_ERR)) {
        if (strstr(line, "client_rx_sm exited")) {
            if (is_violation(t_last_line)) {
                copy_line(t_failure, sizeof(t_failure), after_prefix(t_last_line));
                t_has_failure = 1;
            }
        } else {
            copy_line(t_last_line, sizeof(t_last_line), line);
            // lib/roles/ws/client-parser-ws.c, right before it stashes (or drops) a ping.
            if (strstr(line, "byte ping, sending pong")) {
                struct lws *armed = t_armed;
                t_armed = NULL;
                lwss_ping_handler handler = g_ping_handler;
                if (armed && handler)
                    handler(armed);
                t_ping = 1;
            }
        }
    }
    lwss_log_sink sink = g_sink;
    if ((level & g_forward_mask) && sink)
        sink(level, line);
}

// Installs are serialised: the client loop's install and the embedded server's default one can
// run at the same time on two threads, and the default must never undo the client's.
static pthread_mutex_t g_install_lock = PTHREAD_MUTEX_INITIALIZER;

static void install_locked(int forward_mask, lwss_log_sink sink) {
    g_sink = sink;
    g_forward_mask = forward_mask;
    g_installed = 1;
    g_level = forward_mask | LLL_ERR | LLL_WARN | LLL_INFO;
    lws_set_log_level(g_level, lwss_emit);
}

void lwss_install_log(int forward_mask, lwss_log_sink sink) {
    pthread_mutex_lock(&g_install_lock);
    install_locked(forward_mask, sink);
    pthread_mutex_unlock(&g_install_lock);
}

int lwss_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol protocol) {
    int level = g_level;
    // Only when INFO is ours alone: a user who forwards INFO lines wants these too.
    int quiet = (level & LLL_INFO) && !(g_forward_mask & LLL_INFO);
    if (quiet)
        lws_set_log_level(level & ~LLL_INFO, NULL);
    int written = lws_write(wsi, buf, len, protocol);
    if (quiet)
        lws_set_log_level(level, NULL);
    return written;
}

void lwss_install_default_log(void) {
    pthread_mutex_lock(&g_install_lock);
    if (!g_installed)
        install_locked(0, NULL);
    pthread_mutex_unlock(&g_install_lock);
}

void lwss_log(int level, const char *line) { _lws_log(level, "%s\n", line); }

int lwss_take_protocol_failure(char *out, size_t out_len) {
    if (!t_has_failure)
        return 0;
    t_has_failure = 0;
    if (out && out_len)
        copy_line(out, out_len, t_failure);
    return 1;
}

void lwss_clear_protocol_failure(void) { t_has_failure = 0; }

int lwss_has_protocol_failure(void) { return t_has_failure; }

void lwss_set_ping_handler(lwss_ping_handler handler) { g_ping_handler = handler; }

int lwss_take_ping(void) {
    int seen = t_ping;
    t_ping = 0;
    return seen;
}

void lwss_arm_ping(struct lws *wsi) { t_armed = wsi; }

void lwss_ping_forget(struct lws *wsi) {
    if (t_armed == wsi)
        t_armed = NULL;
}

void lwss_ping_callback_seen(struct lws *wsi) {
    t_ping = 0;
    if (t_armed != wsi)
        t_armed = NULL;
}

int lwss_write_raw_close(struct lws *wsi, uint16_t code) {
    unsigned char frame[8];
    unsigned char mask[4];
    if (lws_get_random(lws_get_context(wsi), mask, sizeof(mask)) != sizeof(mask))
        memset(mask, 0x5a, sizeof(mask));
    frame[0] = 0x88; // FIN + close
    frame[1] = 0x80 | 2; // masked, two-byte payload
    memcpy(frame + 2, mask, 4);
    frame[6] = (unsigned char)(code >> 8) ^ mask[0];
    frame[7] = (unsigned char)(code & 0xff) ^ mask[1];
#if defined(LWS_WITH_TLS)
    if (lws_is_ssl(wsi)) {
        SSL *ssl = lws_get_ssl(wsi);
        return ssl ? SSL_write(ssl, frame, sizeof(frame)) : -1;
    }
#endif
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0)
        return -1;
    return (int)send(fd, frame, sizeof(frame), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void lwss_name_thread(const char *name) { (void)pthread_setname_np(pthread_self(), name); }
