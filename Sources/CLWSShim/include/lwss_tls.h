// A blocking, deadline-bounded OpenSSL client session over a socket the caller connected: the
// TLS of the rejected-upgrade replay, verified as libwebsockets verifies a wss:// connection.
#ifndef LWSS_TLS_H
#define LWSS_TLS_H

#include <stddef.h>

/// What the session trusts and presents: the same settings as the connection's vhost and its
/// `LCCSCF_*` relaxations, so the replay is verified exactly as the original was.
struct lwss_tls_settings {
    /// Sent as SNI and, unless `skip_name_check`, the name (or IP address) the certificate must match.
    const char *server_name;
    /// Load the system trust store (`SSL_CTX_set_default_verify_paths`).
    int use_system_store;
    /// Additional trust roots, PEM text (a bundle); may be NULL.
    const char *ca_pem;
    size_t ca_pem_len;
    /// The client certificate chain and key: files, or PEM text in memory (either may be NULL).
    const char *cert_file;
    const char *key_file;
    const char *cert_pem;
    size_t cert_pem_len;
    const char *key_pem;
    size_t key_pem_len;
    /// The relaxations libwebsockets' verify callback applies for the matching `LCCSCF_*` flags.
    int allow_self_signed;
    int allow_unknown_issuer;
    int allow_expired;
    int skip_name_check;
};

/// An OpenSSL client session; opaque to Swift.
typedef struct lwss_tls lwss_tls;

/// Runs the TLS handshake on the connected socket `fd` within `timeout_ms`. Returns the session,
/// or NULL with a reason in `error` (our words, then OpenSSL's). The socket stays the caller's.
lwss_tls *lwss_tls_connect(int fd, const struct lwss_tls_settings *settings, int timeout_ms, char *error,
                           size_t error_len);

/// Writes all `len` bytes within `timeout_ms`: 0 on success, -1 on failure, -2 on timeout.
int lwss_tls_write(lwss_tls *session, const void *bytes, size_t len, int timeout_ms);

/// Reads what is available, waiting at most `timeout_ms`: the byte count, 0 at the end of the
/// stream (close_notify or FIN), -1 on failure, -2 on timeout.
long lwss_tls_read(lwss_tls *session, void *buffer, size_t len, int timeout_ms);

/// Frees the session (no close_notify: the connection is abandoned right after).
void lwss_tls_free(lwss_tls *session);

#endif
