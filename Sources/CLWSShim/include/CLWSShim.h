// CLWSShim: the few libwebsockets helpers Swift cannot call or import directly.
// Every symbol carries the `lwss_` prefix so it never collides with libwebsockets' own.
#ifndef CLWSSHIM_H
#define CLWSSHIM_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

/// LWS_PRE is a macro Swift does not import: the headroom libwebsockets needs before a payload.
enum { LWSS_PRE = LWS_PRE };

/// A receiver for libwebsockets log lines (without their trailing newline).
typedef void (*lwss_log_sink)(int level, const char *line);

/// Installs the process-wide log hook. `forward_mask` selects the levels handed to `sink`;
/// the hook always listens to ERR, WARN and INFO itself because libwebsockets 4.1 reports a
/// client parser failure only as an INFO line followed by a silent TCP drop.
void lwss_install_log(int forward_mask, lwss_log_sink sink);

/// Installs the hook with nothing forwarded, unless a hook is already installed. For users of
/// libwebsockets (such as the embedded server) that want quiet logs but the parser-failure hook.
void lwss_install_default_log(void);

/// `lws_write` without its INFO line. libwebsockets 4.1 formats an INFO line for every write
/// (`lws_issue_raw`: "ssl_capable_write (N) says N"), and INFO is on for the log hook's sake
/// (parser violations, pings: lines that come only while reading), so every message sent paid a
/// `vsnprintf` and a pass through the hook: about 0.4 µs of a 25 µs round trip. INFO is off for
/// the duration of the write, on the service thread; libwebsockets' level is a plain global, and
/// in a process whose only libwebsockets thread is ours nothing else reads it meanwhile.
int lwss_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol protocol);

/// Emits one line through libwebsockets' own logger (the lwsl_* macros are variadic).
void lwss_log(int level, const char *line);

/// Takes the parser failure libwebsockets logged on this thread since the last call, if any.
/// Returns 1 and copies the reason (NUL-terminated) into `out` when there was one.
int lwss_take_protocol_failure(char *out, size_t out_len);

/// Forgets a parser failure noted on this thread (called when a callback shows it was
/// not followed by a drop, so it cannot be pinned on the wrong connection).
void lwss_clear_protocol_failure(void);

/// Whether a parser failure is pending on this thread (cheap: one thread-local load).
int lwss_has_protocol_failure(void);

/// Called from the log hook when libwebsockets' client parser starts on a ping of the
/// connection armed with `lwss_arm_ping` (see LWSConnection+PingHold.swift for why).
typedef void (*lwss_ping_handler)(struct lws *wsi);

/// Sets the handler for pings of an armed connection (once per process).
void lwss_set_ping_handler(lwss_ping_handler handler);

/// Whether libwebsockets logged "received N byte ping" on this thread since the last callback,
/// consumed. libwebsockets 4.1 answers one ping at a time and silently drops any ping that
/// arrives while a pong is still pending; the log line is the only sign that its parser is
/// handling a ping right now.
int lwss_take_ping(void);

/// Arms `wsi`: the next ping line on this thread, before any callback for another connection,
/// is that connection's and goes to the ping handler.
void lwss_arm_ping(struct lws *wsi);

/// The connection is going away (WSI_DESTROY): an armed pointer to it must not outlive it.
void lwss_ping_forget(struct lws *wsi);

/// Every callback but GET_THREAD_ID: forgets a noted ping and disarms other connections (the
/// notes are only true until libwebsockets moves on).
void lwss_ping_callback_seen(struct lws *wsi);

/// Writes a masked close frame with `code` straight to the connection's socket (or TLS
/// session). Used only at the moment libwebsockets drops a connection for a protocol
/// violation, when it would otherwise vanish without the 1002 that RFC 6455 asks for.
/// Returns the bytes written, or -1.
int lwss_write_raw_close(struct lws *wsi, uint16_t code);

/// Names the calling thread for ps, top and debuggers (Foundation's Thread.name does not, on
/// Linux, and pthread_setname_np is not visible to Swift without _GNU_SOURCE).
void lwss_name_thread(const char *name);

#endif
