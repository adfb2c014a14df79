// cbaseline_rtt: the `rtt` workload: `/echo`, one message at a time; each round trip runs from
// the decision to send (asking for WRITEABLE) to the echo's arrival.
#include "cbaseline_client.h"
#include "cbaseline_process.h"

#include <stdlib.h>
#include <string.h>

typedef struct rtt_state {
    long count;
    int size;
    long received;
    double *samples_us;
    unsigned char *buffer;
    double sent_at;
    int due;
    int done;
} rtt_state;

static void rtt_send_next(cb_conn *conn) {
    rtt_state *state = conn->user;
    state->sent_at = cb_now();
    state->due = 1;
    cb_conn_want_write(conn);
}

static int rtt_writeable(cb_conn *conn) {
    rtt_state *state = conn->user;
    if (!state->due) return 0;
    state->due = 0;
    return cb_conn_write(conn, state->buffer, (size_t)state->size) < 0 ? -1 : 0;
}

static void rtt_message(cb_conn *conn, const unsigned char *data, size_t len) {
    (void)data;
    (void)len;
    rtt_state *state = conn->user;
    state->samples_us[state->received] = (cb_now() - state->sent_at) * 1e6;
    state->received += 1;
    if (state->received == state->count) {
        cb_conn_close(conn);
        return;
    }
    rtt_send_next(conn);
}

static void rtt_ended(cb_conn *conn) {
    ((rtt_state *)conn->user)->done = 1;
}

static const cb_conn_ops rtt_ops = {
    .established = rtt_send_next, .message = rtt_message, .writeable = rtt_writeable, .ended = rtt_ended};

int cbaseline_rtt(const cbaseline_target *target, long count, int size, double *samples_us) {
    cb_client client;
    if (cb_client_init(&client, target) != 0) return -1;
    rtt_state state = {.count = count, .size = size, .samples_us = samples_us};
    state.buffer = calloc(1, LWS_PRE + (size_t)size);
    if (!state.buffer) {
        cb_client_destroy(&client);
        return -1;
    }
    memset(state.buffer + LWS_PRE, 'x', (size_t)size);

    cb_conn conn;
    if (cb_conn_open(&client, &conn, "/echo", &rtt_ops, &state) == 0) {
        cb_client_run_until(&client, &state.done);
    }
    cb_conn_release(&conn);
    cb_client_destroy(&client);
    free(state.buffer);
    return state.received == count ? 0 : -1;
}
