// CLWSShim: the few libwebsockets helpers Swift cannot call or import directly.
// Every symbol carries the `lwss_` prefix so it never collides with libwebsockets' own.
#ifndef CLWSSHIM_H
#define CLWSSHIM_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#include "lwss_tls.h"

/// LWS_PRE is a macro Swift does not import: the headroom libwebsockets needs before a payload.
enum { LWSS_PRE = LWS_PRE };

/// The libwebsockets version these headers describe ("4.1.6", "4.5.8-unknown"...), to compare
/// with `lws_get_library_version()`: a library of another major.minor has other struct layouts.
const char *lwss_compiled_version(void);

/// Keeps OpenSSL usable for the life of the process; called by ``lwss_create_context``.
///
/// libwebsockets 4.5 counts the contexts created with LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT and
/// calls OPENSSL_cleanup() when the last one is destroyed, after which OpenSSL cannot be
/// initialised again in this process: the next context (ours, or any other OpenSSL user's
/// handshake) crashes. One idle context with that option, created once and never destroyed,
/// keeps the count above zero. 4.3 and earlier never clean up, and 5.0 only on an explicit
/// lws_tls_cleanup_process(): they get no anchor. Returns whether an anchor is held.
int lwss_hold_tls_library(void);

/// `lws_create_context` and `lws_context_destroy` under one process-wide lock: libwebsockets
/// 4.5's count of OpenSSL users is a plain int that the client loop and embedded servers would
/// otherwise change from their threads at once (a lost update reaching 0 cleans OpenSSL up).
struct lws_context *lwss_create_context(const struct lws_context_creation_info *info);
void lwss_destroy_context(struct lws_context *context);

/// A receiver for libwebsockets log lines (without their trailing newline).
typedef void (*lwss_log_sink)(int level, const char *line);

/// Installs the process-wide log hook: the levels in `forward_mask` go to `sink`, nothing else is
/// enabled. No guarantee of ours reads a log line (Release builds compile INFO lines out).
void lwss_install_log(int forward_mask, lwss_log_sink sink);

/// Whether a log hook of ours is installed (``lwss_install_log``).
int lwss_log_hook_installed(void);

/// Installs the hook with nothing but errors forwarded, unless one is already installed (the
/// embedded server's default must never undo the client's).
void lwss_install_default_log(void);

/// `lws_write` with the protocol as a plain int: `enum lws_write_protocol` imports as a different
/// Swift type across libwebsockets versions (4.5 added a value that changes its underlying type).
int lwss_write(struct lws *wsi, unsigned char *buf, size_t len, int protocol);

/// `lws_close_reason` with the status as a plain int, for the same reason.
void lwss_close_reason(struct lws *wsi, int status, unsigned char *buf, size_t len);

/// `lws_write_ws_flags` returning a plain int.
int lwss_write_ws_flags(int initial, int is_start, int is_end);

/// Sets a client private key held in memory (a PEM); libwebsockets 4.0 has no such field, and
/// returns -1 there (only a key file would do). With `info` NULL it only answers whether it can.
int lwss_set_client_key_mem(struct lws_context_creation_info *info, const void *key, size_t length);

/// Sets the context's connect timeout (a backstop; 4.0 has no such field and keeps its default).
void lwss_set_connect_timeout(struct lws_context_creation_info *info, unsigned int seconds);

/// Writes the names of the response headers libwebsockets has no token for (such as
/// `x-reject-reason:`) into `out`, each NUL-terminated, and returns how many; -1 where the library
/// cannot list them (before 4.3, or built without LWS_WITH_CUSTOM_HEADERS). With `out` NULL it
/// only answers whether it can.
int lwss_custom_header_names(struct lws *wsi, char *out, size_t out_len);

/// Unlinks a scheduled sul timer: `lws_sul_cancel` from 4.1, a cancelling `lws_sul_schedule` in 4.0.
void lwss_sul_cancel(struct lws_context *context, lws_sorted_usec_list_t *sul);

/// Emits one line through libwebsockets' own logger (the lwsl_* macros are variadic).
void lwss_log(int level, const char *line);

/// What the transport under a connection that libwebsockets is closing says about the peer.
enum lwss_peer_state {
    /// The socket is open both ways: libwebsockets ended the connection on its own.
    LWSS_PEER_HEALTHY = 0,
    /// The peer ended the TCP stream (FIN, or a TLS close_notify).
    LWSS_PEER_CLOSED = 1,
    /// The socket reports an error (reset) or is gone.
    LWSS_PEER_FAILED = 2,
};

/// A non-consuming look at the socket under `wsi` (one MSG_PEEK, non-blocking, and the TCP state
/// when the stream has ended: a reset leaves it CLOSED, a FIN CLOSE_WAIT). Called only while
/// libwebsockets is closing the connection, before it closes the descriptor.
enum lwss_peer_state lwss_peer_state(struct lws *wsi);

/// Writes a masked close frame with `code` straight to the connection's socket (or TLS
/// session). Used only at the moment libwebsockets drops a connection for a protocol
/// violation, when it would otherwise vanish without the 1002 that RFC 6455 asks for.
/// Returns the bytes written, or -1.
int lwss_write_raw_close(struct lws *wsi, uint16_t code);

/// Names the calling thread for ps, top and debuggers (Foundation's Thread.name does not, on
/// Linux, and pthread_setname_np is not visible to Swift without _GNU_SOURCE).
void lwss_name_thread(const char *name);

#endif
