// cbaseline_pipe: the `pipe` workload: `/echo` with WINDOW messages in flight; every echo that
// comes back lets one more message go, until COUNT have come back.
#include "cbaseline_client.h"
#include "cbaseline_process.h"

#include <stdlib.h>
#include <string.h>

typedef struct pipe_state {
    long count;
    int size;
    int window;
    long sent;
    long received;
    long long bytes;
    /// Messages allowed out but not yet written.
    long ready;
    unsigned char *buffer;
    double started;
    double finished;
    int done;
} pipe_state;

static void pipe_established(cb_conn *conn) {
    pipe_state *state = conn->user;
    state->ready = state->window < state->count ? state->window : state->count;
    cb_conn_want_write(conn);
}

static int pipe_writeable(cb_conn *conn) {
    pipe_state *state = conn->user;
    while (state->ready > 0) {
        if (cb_conn_write(conn, state->buffer, (size_t)state->size) < 0) return -1;
        state->ready -= 1;
        state->sent += 1;
        if (state->ready > 0 && cb_conn_choked(conn)) {
            cb_conn_want_write(conn);
            break;
        }
    }
    return 0;
}

static void pipe_message(cb_conn *conn, const unsigned char *data, size_t len) {
    (void)data;
    pipe_state *state = conn->user;
    state->received += 1;
    state->bytes += (long long)len;
    if (state->received == state->count) {
        state->finished = cb_now();
        cb_conn_close(conn);
        return;
    }
    if (state->sent + state->ready < state->count) {
        state->ready += 1;
        cb_conn_want_write(conn);
    }
}

static void pipe_ended(cb_conn *conn) {
    ((pipe_state *)conn->user)->done = 1;
}

static const cb_conn_ops pipe_ops = {
    .established = pipe_established, .message = pipe_message, .writeable = pipe_writeable, .ended = pipe_ended};

int cbaseline_pipe(const cbaseline_target *target, long count, int size, int window, cbaseline_throughput *out) {
    cb_client client;
    if (cb_client_init(&client, target) != 0) return -1;
    pipe_state state = {.count = count, .size = size, .window = window};
    state.buffer = calloc(1, LWS_PRE + (size_t)size);
    if (!state.buffer) {
        cb_client_destroy(&client);
        return -1;
    }
    memset(state.buffer + LWS_PRE, 'x', (size_t)size);

    cb_conn conn;
    state.started = cb_now();
    if (cb_conn_open(&client, &conn, "/echo", &pipe_ops, &state) == 0) {
        cb_client_run_until(&client, &state.done);
    }
    cb_conn_release(&conn);
    cb_client_destroy(&client);
    free(state.buffer);

    out->messages = state.received;
    out->bytes = state.bytes;
    out->seconds = state.finished > 0 ? state.finished - state.started : 0;
    return state.received == count ? 0 : -1;
}
