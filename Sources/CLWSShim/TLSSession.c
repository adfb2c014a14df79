// The rejected-upgrade replay's TLS client (see lwss_tls.h). OpenSSL directly rather than a
// libwebsockets raw client: libwebsockets parses an HTTP proxy's answer to CONNECT only in its
// HTTP client role, so a raw client cannot go through the proxy a wss:// connection may use.
#define _GNU_SOURCE
#include "lwss_tls.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct lwss_tls {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    int allow_self_signed;
    int allow_unknown_issuer;
    int allow_expired;
};

static int g_session_index = -1;
static pthread_once_t g_index_once = PTHREAD_ONCE_INIT;

static void make_index(void) { g_session_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/// 1 when `fd` is ready for `events` before `deadline`, 0 when the time ran out, -1 on error.
static int wait_ready(int fd, short events, long long deadline) {
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd entry = {.fd = fd, .events = events, .revents = 0};
        int ready = poll(&entry, 1, (int)left);
        if (ready > 0)
            return 1;
        if (ready < 0 && errno != EINTR)
            return -1;
    }
}

/// The errors libwebsockets' client verify callback excuses for LCCSCF_ALLOW_SELFSIGNED,
/// LCCSCF_ALLOW_INSECURE and LCCSCF_ALLOW_EXPIRED, excused here for the same settings.
static int verify_callback(int preverify_ok, X509_STORE_CTX *store) {
    if (preverify_ok)
        return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    const struct lwss_tls *session = ssl ? SSL_get_ex_data(ssl, g_session_index) : NULL;
    if (!session)
        return 0;
    int error = X509_STORE_CTX_get_error(store);
    int excused =
        ((error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN) &&
         session->allow_self_signed) ||
        ((error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) &&
         session->allow_unknown_issuer) ||
        ((error == X509_V_ERR_CERT_NOT_YET_VALID || error == X509_V_ERR_CERT_HAS_EXPIRED) && session->allow_expired);
    if (!excused)
        return 0;
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
}

static int add_trust_roots(SSL_CTX *ctx, const char *pem, size_t len) {
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return 0;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    X509 *certificate;
    while ((certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (X509_STORE_add_cert(store, certificate))
            added++;
        X509_free(certificate);
    }
    ERR_clear_error(); // the loop ends on "no start line"
    BIO_free(bio);
    return added;
}

static int use_certificate_pem(SSL_CTX *ctx, const char *pem, size_t len) {
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return 0;
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    int ok = leaf && SSL_CTX_use_certificate(ctx, leaf) == 1;
    X509_free(leaf);
    X509 *intermediate;
    while (ok && (intermediate = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (SSL_CTX_add_extra_chain_cert(ctx, intermediate) != 1) { // takes ownership on success
            X509_free(intermediate);
            ok = 0;
        }
    }
    ERR_clear_error();
    BIO_free(bio);
    return ok;
}

static int use_key_pem(SSL_CTX *ctx, const char *pem, size_t len) {
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return 0;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    int ok = key && SSL_CTX_use_PrivateKey(ctx, key) == 1;
    EVP_PKEY_free(key);
    BIO_free(bio);
    return ok;
}

static void describe(char *error, size_t error_len, const char *what) {
    unsigned long code = ERR_get_error();
    if (code) {
        char text[256];
        ERR_error_string_n(code, text, sizeof(text));
        snprintf(error, error_len, "%s (%s)", what, text);
    } else {
        snprintf(error, error_len, "%s", what);
    }
    ERR_clear_error();
}

/// Runs `SSL_write` or `SSL_read` with SIGPIPE blocked on this thread, and consumes a SIGPIPE the
/// call raised: a peer that already closed must fail the call, never end the process.
static int without_sigpipe(int writing, SSL *ssl, void *bytes, int len) {
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    int result = writing ? SSL_write(ssl, bytes, len) : SSL_read(ssl, bytes, len);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        (void)sigtimedwait(&pipe_only, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return result;
}

lwss_tls *lwss_tls_connect(int fd, const struct lwss_tls_settings *settings, int timeout_ms, char *error,
                           size_t error_len) {
    long long deadline = now_ms() + timeout_ms;
    pthread_once(&g_index_once, make_index);
    if (g_session_index < 0) {
        snprintf(error, error_len, "OpenSSL has no room for the session's data");
        return NULL;
    }
    struct lwss_tls *session = calloc(1, sizeof(*session));
    if (!session) {
        snprintf(error, error_len, "out of memory");
        return NULL;
    }
    session->fd = fd;
    session->allow_self_signed = settings->allow_self_signed;
    session->allow_unknown_issuer = settings->allow_unknown_issuer;
    session->allow_expired = settings->allow_expired;
    session->ctx = SSL_CTX_new(TLS_client_method());
    if (!session->ctx) {
        describe(error, error_len, "cannot create a TLS context");
        goto fail;
    }
    if (settings->use_system_store)
        SSL_CTX_set_default_verify_paths(session->ctx);
    if (settings->ca_pem && settings->ca_pem_len && !add_trust_roots(session->ctx, settings->ca_pem, settings->ca_pem_len)) {
        snprintf(error, error_len, "the additional trust roots contain no usable certificate");
        goto fail;
    }
    if ((settings->cert_file && SSL_CTX_use_certificate_chain_file(session->ctx, settings->cert_file) != 1) ||
        (settings->cert_pem && !use_certificate_pem(session->ctx, settings->cert_pem, settings->cert_pem_len))) {
        describe(error, error_len, "cannot load the client certificate");
        goto fail;
    }
    if ((settings->key_file && SSL_CTX_use_PrivateKey_file(session->ctx, settings->key_file, SSL_FILETYPE_PEM) != 1) ||
        (settings->key_pem && !use_key_pem(session->ctx, settings->key_pem, settings->key_pem_len))) {
        describe(error, error_len, "cannot load the client key");
        goto fail;
    }
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    // A server that closes without close_notify ends a close-delimited body, as it does over TCP.
    SSL_CTX_set_options(session->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    session->ssl = SSL_new(session->ctx);
    if (!session->ssl || SSL_set_fd(session->ssl, fd) != 1) {
        describe(error, error_len, "cannot create the TLS session");
        goto fail;
    }
    SSL_set_ex_data(session->ssl, g_session_index, session);
    SSL_set_verify(session->ssl, SSL_VERIFY_PEER, verify_callback);
    if (settings->server_name) {
        SSL_set_tlsext_host_name(session->ssl, settings->server_name);
        if (!settings->skip_name_check) {
            X509_VERIFY_PARAM *param = SSL_get0_param(session->ssl);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (!X509_VERIFY_PARAM_set1_ip_asc(param, settings->server_name))
                X509_VERIFY_PARAM_set1_host(param, settings->server_name, 0);
        }
    }
    for (;;) {
        ERR_clear_error();
        int result = SSL_connect(session->ssl);
        if (result == 1)
            return session;
        int reason = SSL_get_error(session->ssl, result);
        int ready;
        if (reason == SSL_ERROR_WANT_READ)
            ready = wait_ready(fd, POLLIN, deadline);
        else if (reason == SSL_ERROR_WANT_WRITE)
            ready = wait_ready(fd, POLLOUT, deadline);
        else {
            long verdict = SSL_get_verify_result(session->ssl);
            if (verdict != X509_V_OK) {
                snprintf(error, error_len, "certificate verification failed: %s (X509 error %ld)",
                         X509_verify_cert_error_string(verdict), verdict);
                ERR_clear_error();
            } else {
                describe(error, error_len, "the TLS handshake failed");
            }
            goto fail;
        }
        if (ready == 0) {
            snprintf(error, error_len, "the TLS handshake did not complete in time");
            goto fail;
        }
        if (ready < 0) {
            snprintf(error, error_len, "the TLS handshake failed: poll: %s", strerror(errno));
            goto fail;
        }
    }
fail:
    lwss_tls_free(session);
    return NULL;
}

int lwss_tls_write(lwss_tls *session, const void *bytes, size_t len, int timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    size_t done = 0;
    while (done < len) {
        ERR_clear_error();
        int written = without_sigpipe(1, session->ssl, (char *)bytes + done, (int)(len - done));
        if (written > 0) {
            done += (size_t)written;
            continue;
        }
        int reason = SSL_get_error(session->ssl, written);
        int ready;
        if (reason == SSL_ERROR_WANT_WRITE)
            ready = wait_ready(session->fd, POLLOUT, deadline);
        else if (reason == SSL_ERROR_WANT_READ)
            ready = wait_ready(session->fd, POLLIN, deadline);
        else
            return -1;
        if (ready <= 0)
            return ready == 0 ? -2 : -1;
    }
    return 0;
}

long lwss_tls_read(lwss_tls *session, void *buffer, size_t len, int timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        ERR_clear_error();
        int count = without_sigpipe(0, session->ssl, buffer, (int)len);
        if (count > 0)
            return count;
        int reason = SSL_get_error(session->ssl, count);
        int ready;
        if (reason == SSL_ERROR_ZERO_RETURN)
            return 0;
        if (reason == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && count == 0)
            return 0; // FIN without close_notify (OpenSSL 1.1)
        if (reason == SSL_ERROR_WANT_READ)
            ready = wait_ready(session->fd, POLLIN, deadline);
        else if (reason == SSL_ERROR_WANT_WRITE)
            ready = wait_ready(session->fd, POLLOUT, deadline);
        else {
            ERR_clear_error();
            return -1;
        }
        if (ready <= 0)
            return ready == 0 ? -2 : -1;
    }
}

void lwss_tls_free(lwss_tls *session) {
    if (!session)
        return;
    if (session->ssl)
        SSL_free(session->ssl);
    if (session->ctx)
        SSL_CTX_free(session->ctx);
    free(session);
}
