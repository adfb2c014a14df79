// cbaseline_conns: the `conns` workload: K connections to `/echo` on one context (one thread),
// opened with at most WINDOW handshakes in flight, then one echo on each, then RSS with all of
// them open and idle.
//
// Why a window: libwebsockets 4.1 keeps every pending timeout in one sorted list
// (lws_dll2_add_sorted, a linear scan per insertion), and each connection in its handshake has
// one; with all K in flight, opening costs O(K^2) and at K = 10,000 the handshakes starve long
// enough for the server's 5 s handshake timeout to drop some of them.
#include "cbaseline_client.h"
#include "cbaseline_process.h"

#include <stdlib.h>
#include <string.h>

typedef enum conns_phase { PHASE_OPENING, PHASE_ECHOING, PHASE_CLOSING } conns_phase;

typedef struct conns_state {
    int total;
    int size;
    /// Connections started so far.
    int started;
    conns_phase phase;
    int opened;
    int echoed;
    int failed;
    int ended;
    /// Set when the current phase's condition is met; cleared by the driver between phases.
    int phase_done;
    unsigned char *buffer;
} conns_state;

/// A connection with its one-shot send flag; `conn` first so a cb_conn * is a conns_slot *.
typedef struct conns_slot {
    cb_conn conn;
    int due;
} conns_slot;

static void conns_check(conns_state *state) {
    switch (state->phase) {
    case PHASE_OPENING: state->phase_done = state->opened + state->failed >= state->total; break;
    case PHASE_ECHOING: state->phase_done = state->echoed + state->failed >= state->total; break;
    case PHASE_CLOSING: state->phase_done = state->ended >= state->total; break;
    }
}

static void conns_established(cb_conn *conn) {
    conns_state *state = conn->user;
    state->opened += 1;
    conns_check(state);
}

static int conns_writeable(cb_conn *conn) {
    conns_state *state = conn->user;
    conns_slot *slot = (conns_slot *)conn;
    if (!slot->due) return 0;
    slot->due = 0;
    return cb_conn_write(conn, state->buffer, (size_t)state->size) < 0 ? -1 : 0;
}

static void conns_message(cb_conn *conn, const unsigned char *data, size_t len) {
    (void)data;
    (void)len;
    conns_state *state = conn->user;
    state->echoed += 1;
    conns_check(state);
}

static void conns_ended(cb_conn *conn) {
    conns_state *state = conn->user;
    state->ended += 1;
    // Only an unexpected end is a failure; the closes of the last phase are not.
    if (state->phase != PHASE_CLOSING) state->failed += 1;
    conns_check(state);
}

static const cb_conn_ops conns_ops = {
    .established = conns_established, .message = conns_message, .writeable = conns_writeable, .ended = conns_ended};

/// Opens one connection, echoes once and closes it: the context, the lws buffers and the
/// allocator are warm before the baseline RSS is read.
static int conns_warm_up(cb_client *client, conns_state *shared) {
    conns_state state = *shared;
    state.total = 1;
    conns_slot slot;
    if (cb_conn_open(client, &slot.conn, "/echo", &conns_ops, &state) != 0) return -1;
    state.phase = PHASE_OPENING;
    cb_client_run_until(client, &state.phase_done);
    state.phase = PHASE_ECHOING;
    state.phase_done = 0;
    slot.due = 1;
    cb_conn_want_write(&slot.conn);
    cb_client_run_until(client, &state.phase_done);
    state.phase = PHASE_CLOSING;
    state.phase_done = 0;
    conns_check(&state);
    cb_conn_close(&slot.conn);
    cb_client_run_until(client, &state.phase_done);
    cb_conn_release(&slot.conn);
    return state.failed ? -1 : 0;
}

/// Starts connections while fewer than `window` handshakes are in flight (all when 0).
static void conns_top_up(cb_client *client, conns_slot *slots, conns_state *state, int window) {
    while (state->started < state->total) {
        int in_flight = state->started - state->opened - state->failed;
        if (window > 0 && in_flight >= window) break;
        cb_conn_open(client, &slots[state->started].conn, "/echo", &conns_ops, state);
        state->started += 1;
    }
}

int cbaseline_conns(const cbaseline_target *target, int conns, int window, int size, cbaseline_conns_result *out) {
    memset(out, 0, sizeof *out);
    out->requested = conns;
    cb_client client;
    if (cb_client_init(&client, target) != 0) return -1;
    conns_state state = {.total = conns, .size = size, .phase = PHASE_OPENING};
    state.buffer = calloc(1, LWS_PRE + (size_t)size);
    conns_slot *slots = calloc((size_t)conns, sizeof *slots);
    if (state.buffer) memset(state.buffer + LWS_PRE, 'x', (size_t)size);
    if (!state.buffer || !slots || conns_warm_up(&client, &state) != 0) {
        free(slots);
        free(state.buffer);
        cb_client_destroy(&client);
        return -1;
    }
    out->rss_base_kb = cb_status_kb("VmRSS:");
    out->heap_base_kb = cb_heap_in_use_kb();

    double started = cb_now();
    conns_top_up(&client, slots, &state, window);
    conns_check(&state);
    while (!state.phase_done) {
        if (cb_client_service(&client) < 0) break;
        conns_top_up(&client, slots, &state, window);
    }
    double opened = cb_now();

    state.phase = PHASE_ECHOING;
    state.phase_done = 0;
    for (int i = 0; i < conns; i++) {
        if (!slots[i].conn.established || slots[i].conn.ended) continue;
        slots[i].due = 1;
        cb_conn_want_write(&slots[i].conn);
    }
    conns_check(&state);
    cb_client_run_until(&client, &state.phase_done);
    double echoed = cb_now();

    out->rss_open_kb = cb_status_kb("VmRSS:");
    out->rss_peak_kb = cb_status_kb("VmHWM:");
    out->heap_open_kb = cb_heap_in_use_kb();
    out->opened = state.opened;
    out->echoed = state.echoed;
    out->failed = state.failed;
    out->open_seconds = opened - started;
    out->echo_seconds = echoed - opened;

    state.phase = PHASE_CLOSING;
    state.phase_done = 0;
    for (int i = 0; i < conns; i++) cb_conn_close(&slots[i].conn);
    conns_check(&state);
    cb_client_run_until(&client, &state.phase_done);

    for (int i = 0; i < conns; i++) cb_conn_release(&slots[i].conn);
    cb_client_destroy(&client);
    free(slots);
    free(state.buffer);
    return out->echoed == conns ? 0 : -1;
}
