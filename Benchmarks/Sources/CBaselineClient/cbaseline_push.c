// cbaseline_push: the `push` workload: the server streams COUNT messages of SIZE bytes and the
// client counts them as fast as they arrive.
#include "cbaseline_client.h"
#include "cbaseline_process.h"

#include <stdio.h>

typedef struct push_state {
    long expected;
    long messages;
    long long bytes;
    double started;
    double finished;
    int done;
} push_state;

static void push_message(cb_conn *conn, const unsigned char *data, size_t len) {
    (void)data;
    push_state *state = conn->user;
    state->messages += 1;
    state->bytes += (long long)len;
    if (state->messages == state->expected) state->finished = cb_now();
}

static void push_ended(cb_conn *conn) {
    ((push_state *)conn->user)->done = 1;
}

static const cb_conn_ops push_ops = {.message = push_message, .ended = push_ended};

int cbaseline_push(const cbaseline_target *target, long count, int size, cbaseline_throughput *out) {
    cb_client client;
    if (cb_client_init(&client, target) != 0) return -1;
    char path[128];
    snprintf(path, sizeof path, "/push?count=%ld&size=%d&binary=1", count, size);

    push_state state = {.expected = count};
    cb_conn conn;
    state.started = cb_now();
    if (cb_conn_open(&client, &conn, path, &push_ops, &state) == 0) {
        // The server closes with 1000 after the last message.
        cb_client_run_until(&client, &state.done);
    }
    cb_conn_release(&conn);
    cb_client_destroy(&client);

    out->messages = state.messages;
    out->bytes = state.bytes;
    out->seconds = state.finished > 0 ? state.finished - state.started : 0;
    return state.messages == count ? 0 : -1;
}
