// cbaseline: the C libwebsockets client the Swift client is measured against.
//
// Each function runs one workload to completion on a libwebsockets client context of its own,
// serviced on the calling thread, and fills a result struct. The context and every connection
// use the settings of KstlibWebSocket's transport (EventLoop, LWSConnection): a 64 KiB protocol
// rx buffer, pt_serv_buf_size 64 KiB, a zeroed retry/idle policy (libwebsockets' keepalive off),
// the same permessage-deflate offer and defaults, no redirects, fd table sized from the soft
// RLIMIT_NOFILE raised to the hard limit. Messages are binary. A message that arrives in one
// RECEIVE callback is consumed in place; one that spans callbacks is reassembled into a
// per-connection buffer first, as any C client must.
#ifndef CBASELINE_H
#define CBASELINE_H

#include <stddef.h>

/// Where to connect and how.
typedef struct cbaseline_target {
    /// A numeric IPv4 or IPv6 address (no name resolution happens here).
    const char *address;
    int port;
    /// Offer permessage-deflate.
    int compression;
} cbaseline_target;

/// The outcome of a throughput workload (push, pipe).
typedef struct cbaseline_throughput {
    long messages;
    long long bytes;
    /// From just before the connect call to the last message's arrival.
    double seconds;
} cbaseline_throughput;

/// The outcome of the connection-count workload.
typedef struct cbaseline_conns_result {
    int requested;
    int opened;
    int echoed;
    int failed;
    /// From just before the first connect call until every connection was open.
    double open_seconds;
    /// From then until every connection had its echo back.
    double echo_seconds;
    /// VmRSS after a warm-up connection came and went, before the first of the K connections.
    long rss_base_kb;
    /// VmRSS with all K connections open and idle, after their echo.
    long rss_open_kb;
    /// VmHWM (peak RSS) of the process at that moment.
    long rss_peak_kb;
    /// Bytes malloc has handed out and not taken back (mallinfo2: uordblks + hblkhd), in kB,
    /// at the two moments of rss_base_kb and rss_open_kb: the live heap, without what the
    /// allocator keeps from freed blocks.
    long heap_base_kb;
    long heap_open_kb;
} cbaseline_conns_result;

/// libwebsockets' own version string (e.g. "4.1.6-").
const char *cbaseline_library_version(void);

/// `/push?count=COUNT&size=SIZE&binary=1`: counts the messages the server streams.
/// Returns 0 on success, -1 if the connection failed or ended early (`out` has what arrived).
int cbaseline_push(const cbaseline_target *target, long count, int size, cbaseline_throughput *out);

/// `/echo` with `window` messages of `size` bytes in flight until `count` came back.
int cbaseline_pipe(const cbaseline_target *target, long count, int size, int window, cbaseline_throughput *out);

/// `/echo`, one message of `size` bytes at a time; `samples_us[i]` is the i-th round trip in
/// microseconds, from the decision to send to the echo's arrival. `samples_us` holds `count`.
int cbaseline_rtt(const cbaseline_target *target, long count, int size, double *samples_us);

/// Opens `conns` connections to `/echo`, at most `window` handshakes in flight at a time (0: all
/// at once), then each echoes one message of `size` bytes; measures RSS with all of them open,
/// then closes them.
int cbaseline_conns(const cbaseline_target *target, int conns, int window, int size, cbaseline_conns_result *out);

#endif
