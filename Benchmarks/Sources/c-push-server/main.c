// c-push-server: a plain C libwebsockets server for the `push` workload, fast enough never to be
// what a client's push figure measures (the embedded Swift server tops out near 150,000 msg/s).
//
// `/push?count=N&size=S` streams N binary messages of S bytes, filling each WRITEABLE with as
// many frames as the socket takes, then closes with 1000. For every push connection it prints one
// JSON line on stdout with its own send rate and the CPU time it spent sending, so the orchestrator can show when a client merely
// kept up with the server. Protocol with the parent, as `kstlib-bench serve`: `{"port":P}` once
// listening, and it exits when its stdin reaches end of file.
#include <libwebsockets.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct push_session {
    long count;
    int size;
    long sent;
    double first_sent;
    double last_sent;
    // Process CPU time at those moments: the server's busy time, without its waits on a full
    // socket, which is what a slow client makes it do.
    double first_cpu;
    double last_cpu;
    int reported;
    int closing;
    size_t frame_len;     // header + payload of one frame
    long batch_frames;    // frames in `batch`
    unsigned char *batch; // LWS_PRE bytes of headroom, then `batch_frames` whole frames
} push_session;

enum { BATCH_BYTES = 64 * 1024 };

static volatile int stdin_closed;
static struct lws_context *context;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long url_arg(struct lws *wsi, const char *name, long fallback) {
    char value[32];
    const char *found = lws_get_urlarg_by_name(wsi, name, value, (int)sizeof value);
    return found ? strtol(found, NULL, 10) : fallback;
}

// One line per connection, whether it finished or was cut short (`sent` < `count`): the
// orchestrator reads one line per push connection and must never wait for a missing one.
static void report(push_session *session) {
    if (session->reported) return;
    session->reported = 1;
    double seconds = session->sent > 1 ? session->last_sent - session->first_sent : 0;
    double cpu = session->sent > 1 ? session->last_cpu - session->first_cpu : 0;
    printf("{\"server\":\"c\",\"count\":%ld,\"size\":%d,\"sent\":%ld,\"seconds\":%.9f,\"cpu_seconds\":%.9f}\n",
           session->count, session->size, session->sent, seconds, cpu);
    fflush(stdout);
}

// A server frame's header: FIN + binary opcode, unmasked, with the shortest length encoding.
static size_t frame_header(unsigned char *out, size_t payload) {
    out[0] = 0x82;
    if (payload < 126) {
        out[1] = (unsigned char)payload;
        return 2;
    }
    if (payload <= 0xffff) {
        out[1] = 126;
        out[2] = (unsigned char)(payload >> 8);
        out[3] = (unsigned char)payload;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++) out[2 + i] = (unsigned char)((unsigned long long)payload >> (56 - 8 * i));
    return 10;
}

// lws_write frames one message per call and makes one send(2) per call, which caps a 64-byte
// push near 800,000 msg/s; so the frames are built here once, a batch of them side by side, and
// written raw, a batch (up to 64 KiB, at least one frame) per call.
static int prepare_batch(push_session *session) {
    unsigned char header[10];
    size_t header_len = frame_header(header, (size_t)session->size);
    session->frame_len = header_len + (size_t)session->size;
    session->batch_frames = (long)(BATCH_BYTES / session->frame_len);
    if (session->batch_frames < 1) session->batch_frames = 1;
    session->batch = calloc(1, LWS_PRE + (size_t)session->batch_frames * session->frame_len);
    if (!session->batch) return -1;
    for (long i = 0; i < session->batch_frames; i++)
        memcpy(session->batch + LWS_PRE + (size_t)i * session->frame_len, header, header_len);
    return 0;
}

static int push_writeable(struct lws *wsi, push_session *session) {
    if (session->closing) return 0;
    if (session->sent == session->count) {
        // Every frame has left lws's buffer (it calls WRITEABLE only once a partial write drained).
        session->closing = 1;
        report(session);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (session->sent == 0) {
        session->first_sent = now_seconds();
        session->first_cpu = cpu_seconds();
    }
    do {
        long frames = session->count - session->sent;
        if (frames > session->batch_frames) frames = session->batch_frames;
        size_t bytes = (size_t)frames * session->frame_len;
        // A partial send is kept by lws and sent before the next WRITEABLE.
        if (lws_write(wsi, session->batch + LWS_PRE, bytes, LWS_WRITE_RAW) < 0) return -1;
        session->sent += frames;
    } while (session->sent < session->count && !lws_send_pipe_choked(wsi));
    session->last_sent = now_seconds();
    session->last_cpu = cpu_seconds();
    lws_callback_on_writable(wsi);
    return 0;
}

static int push_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    (void)in;
    (void)len;
    push_session *session = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
        char path[16] = "";
        lws_hdr_copy(wsi, path, (int)sizeof path, WSI_TOKEN_GET_URI);
        if (strcmp(path, "/push") != 0) return -1;
        memset(session, 0, sizeof *session);
        session->count = url_arg(wsi, "count=", 1000);
        session->size = (int)url_arg(wsi, "size=", 64);
        if (session->count < 0 || session->size < 0) return -1;
        if (prepare_batch(session) != 0) return -1;
        lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return push_writeable(wsi, session);
    case LWS_CALLBACK_CLOSED:
        if (session->batch) report(session);
        free(session->batch);
        session->batch = NULL;
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"kstlib-push", push_callback, sizeof(push_session), 64 * 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

// stdin's end of file is the parent's stop signal; the service loop cannot watch it, so a
// thread waits for it and wakes the loop.
static void *watch_stdin(void *unused) {
    (void)unused;
    char buffer[256];
    while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
    }
    stdin_closed = 1;
    lws_cancel_service(context);
    return NULL;
}

// lws sizes its descriptor table from the soft limit: raise it so 10,000 clients fit.
static void raise_descriptor_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    }
    signal(SIGPIPE, SIG_IGN);
    raise_descriptor_limit();
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.iface = host;
    info.protocols = protocols;
    info.pt_serv_buf_size = 64 * 1024;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "c-push-server: cannot create the context\n");
        return 1;
    }
    struct lws_vhost *vhost = lws_get_vhost_by_name(context, "default");
    printf("{\"port\":%d}\n", vhost ? lws_get_vhost_listen_port(vhost) : 0);
    fflush(stdout);

    pthread_t watcher;
    pthread_create(&watcher, NULL, watch_stdin, NULL);
    while (!stdin_closed && lws_service(context, 0) >= 0) {
    }
    lws_context_destroy(context);
    return 0;
}
