// Implementation of the CLWSShim helpers; see the header for why each one exists.
#define _GNU_SOURCE
#include "CLWSShim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/ssl.h>

const char *lwss_compiled_version(void) { return LWS_LIBRARY_VERSION; }

static pthread_mutex_t context_lifetime_lock = PTHREAD_MUTEX_INITIALIZER;

#if LWS_LIBRARY_VERSION_MAJOR == 4 && LWS_LIBRARY_VERSION_MINOR >= 5
static pthread_once_t tls_anchor_once = PTHREAD_ONCE_INIT;
static struct lws_context *tls_anchor;

static void create_tls_anchor(void) {
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    // Its descriptor table is sized by this, not by the process's (raised) limit.
    info.fd_limit_per_thread = 8;
    pthread_mutex_lock(&context_lifetime_lock);
    tls_anchor = lws_create_context(&info);
    pthread_mutex_unlock(&context_lifetime_lock);
    if (!tls_anchor)
        lwsl_err("kstlib: could not create the context that keeps OpenSSL initialised\n");
}

int lwss_hold_tls_library(void) {
    pthread_once(&tls_anchor_once, create_tls_anchor);
    return tls_anchor != NULL;
}
#else
int lwss_hold_tls_library(void) { return 0; }
#endif

struct lws_context *lwss_create_context(const struct lws_context_creation_info *info) {
    lwss_hold_tls_library();
    pthread_mutex_lock(&context_lifetime_lock);
    struct lws_context *context = lws_create_context(info);
    pthread_mutex_unlock(&context_lifetime_lock);
    return context;
}

void lwss_destroy_context(struct lws_context *context) {
    pthread_mutex_lock(&context_lifetime_lock);
    lws_context_destroy(context);
    pthread_mutex_unlock(&context_lifetime_lock);
}

// Atomic: the client loop installs the hook while the embedded server's thread may be logging.
static _Atomic(lwss_log_sink) g_sink;
static _Atomic int g_installed;

static void lwss_emit(int level, const char *line) {
    lwss_log_sink sink = g_sink;
    if (sink)
        sink(level, line);
}

// Installs are serialised: the client loop's install and the embedded server's default one can
// run at the same time on two threads, and the default must never undo the client's.
static pthread_mutex_t g_install_lock = PTHREAD_MUTEX_INITIALIZER;

void lwss_install_log(int forward_mask, lwss_log_sink sink) {
    pthread_mutex_lock(&g_install_lock);
    g_sink = sink;
    g_installed = 1;
    lws_set_log_level(forward_mask, lwss_emit);
    pthread_mutex_unlock(&g_install_lock);
}

int lwss_log_hook_installed(void) { return g_sink != NULL; }

void lwss_install_default_log(void) {
    pthread_mutex_lock(&g_install_lock);
    if (!g_installed) {
        g_installed = 1;
        lws_set_log_level(LLL_ERR, NULL);
    }
    pthread_mutex_unlock(&g_install_lock);
}

int lwss_write(struct lws *wsi, unsigned char *buf, size_t len, int protocol) {
    return lws_write(wsi, buf, len, (enum lws_write_protocol)protocol);
}

void lwss_close_reason(struct lws *wsi, int status, unsigned char *buf, size_t len) {
    lws_close_reason(wsi, (enum lws_close_status)status, buf, len);
}

int lwss_write_ws_flags(int initial, int is_start, int is_end) {
    return (int)lws_write_ws_flags(initial, is_start, is_end);
}

int lwss_set_client_key_mem(struct lws_context_creation_info *info, const void *key, size_t length) {
#if LWS_LIBRARY_VERSION_NUMBER < 4001000
    (void)info; (void)key; (void)length;
    return -1;
#else
    if (!info)
        return 0; // asked whether it is supported
    info->client_ssl_key_mem = key;
    info->client_ssl_key_mem_len = (unsigned int)length;
    return 0;
#endif
}

void lwss_set_connect_timeout(struct lws_context_creation_info *info, unsigned int seconds) {
#if LWS_LIBRARY_VERSION_NUMBER < 4001000
    (void)info; (void)seconds;
#else
    info->connect_timeout_secs = seconds;
#endif
}

#if defined(LWS_WITH_CUSTOM_HEADERS) && LWS_LIBRARY_VERSION_NUMBER >= 4003000
struct name_list {
    char *out;
    size_t left;
    int count;
};

static void collect_name(const char *name, int nlen, void *opaque) {
    struct name_list *list = opaque;
    if (nlen <= 0 || (size_t)nlen + 1 > list->left)
        return;
    memcpy(list->out, name, (size_t)nlen);
    list->out[nlen] = '\0';
    list->out += nlen + 1;
    list->left -= (size_t)nlen + 1;
    list->count++;
}
#endif

int lwss_custom_header_names(struct lws *wsi, char *out, size_t out_len) {
#if defined(LWS_WITH_CUSTOM_HEADERS) && LWS_LIBRARY_VERSION_NUMBER >= 4003000
    if (!out)
        return 0;
    struct name_list list = {out, out_len, 0};
    if (lws_hdr_custom_name_foreach(wsi, collect_name, &list))
        return -1;
    return list.count;
#else
    (void)wsi; (void)out; (void)out_len;
    return -1;
#endif
}

void lwss_sul_cancel(struct lws_context *context, lws_sorted_usec_list_t *sul) {
#if LWS_LIBRARY_VERSION_NUMBER < 4001000
    lws_sul_schedule(context, 0, sul, NULL, LWS_SET_TIMER_USEC_CANCEL);
#else
    (void)context;
    lws_sul_cancel(sul);
#endif
}

void lwss_log(int level, const char *line) { _lws_log(level, "%s\n", line); }

enum lwss_peer_state lwss_peer_state(struct lws *wsi) {
#if defined(LWS_WITH_TLS)
    if (lws_is_ssl(wsi)) {
        SSL *ssl = lws_get_ssl(wsi);
        if (ssl && (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN))
            return LWSS_PEER_CLOSED;
    }
#endif
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0)
        return LWSS_PEER_FAILED;
    unsigned char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0)
        return LWSS_PEER_HEALTHY;
    if (n == 0) {
        // End of stream: a FIN leaves the socket in CLOSE_WAIT; a reset whose error was already
        // read (by libwebsockets) leaves it CLOSED.
        struct tcp_info info;
        socklen_t size = sizeof(info);
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) == 0 && info.tcpi_state == TCP_CLOSE)
            return LWSS_PEER_FAILED;
        return LWSS_PEER_CLOSED;
    }
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? LWSS_PEER_HEALTHY : LWSS_PEER_FAILED;
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
