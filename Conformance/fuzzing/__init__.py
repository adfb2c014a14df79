"""The Autobahn|Testsuite client cases, played against echo-client (run by fuzzingserver.py).

An adversarial raw-socket WebSocket server (Python 3.11 standard library only) that replays the
client test cases of Autobahn|Testsuite's `fuzzingserver` against a WebSocket *client* that echoes
every message back with the same type (our `echo-client`), and judges each case the way Autobahn
does.

    python3 Conformance/fuzzingserver.py --client .build/debug/echo-client            # full
    python3 Conformance/fuzzingserver.py --client .build/debug/echo-client --quick    # CI
    python3 Conformance/fuzzingserver.py --client ... --cases '1.*,7.9.*' --verbose --report r.md

For every case the server listens on 127.0.0.1, starts `CLIENT ws://127.0.0.1:PORT/case/N`, plays
the case on the connection the client opens, records what the client sent back (messages, pongs,
pings, its close frame or a bare TCP drop), and waits for the client process to exit.

Groups: 1 framing, 2 pings/pongs, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close
handling, 9 limits/performance, 10 auto-fragmentation, 12-13 permessage-deflate: 517 cases, the
same ids, payloads, chop sizes and timings as Autobahn|Testsuite 0.8 (`autobahntestsuite/case/`).
The deliberate differences (listed in Conformance/README.md):
  * 12.x/13.x use synthetic, deterministic test data of the same kind and size as Autobahn's
    files (JSON, bitmap, German text, HTML, PDF-like), so nothing third-party is vendored.
  * 13.x: Autobahn's fuzzingserver only adjusts its answer to what the client offers; echo-client's
    offer is fixed (`permessage-deflate; client_max_window_bits`), so each 13.N subgroup instead
    answers with its own parameter set (PMD_13 in cases/compression.py).
  * The client's compressed messages are inflated with exactly the negotiated window and context
    rules, and 9.x echoes are compared byte for byte (Autobahn compares lengths).

Judging.  Each case first gets Autobahn's own two verdicts:
  behavior       the client's events (echoed messages, pongs, pings, in order) compared with the
                 case's expected traces: OK, NON-STRICT, FAILED, INFORMATIONAL, UNIMPLEMENTED;
  behaviorClose  how the connection ended: OK, WRONG CODE, UNCLEAN, FAILED (wrong endpoint).
They are combined into one verdict (OK / NON-STRICT / INFO / FAILED), first match wins:
  FAILED      the client crashed (killed by a signal), or did not exit within 8 s of the end of
              the connection; the client broke the protocol itself (unmasked or malformed frame,
              invalid UTF-8, an invalid close code or payload, ...); the client never failed or
              answered and the server had to drop the connection (Autobahn's killAfter timer)
              or the case ran past its time limit (10 s; 30 s for 9.x; 12-13: 120 s, 60 s
              quick); behavior FAILED or UNIMPLEMENTED; behaviorClose FAILED or UNCLEAN (RFC 6455
              5.5.1: a close MUST be answered with a close).
  INFO        an informational case (7.1.6, 7.13.x): the spec leaves the outcome open; only a
              crash or a hang fails it.
  NON-STRICT  behavior NON-STRICT (e.g. UTF-8 failed late, after the whole message); a WRONG CODE
              close (e.g. 1002 where 1007 was expected; a normal 1000 where the client had to fail
              the connection is FAILED); or the connection was failed by dropping
              TCP without the close frame that RFC 6455 7.1.7 says it SHOULD send.
  OK          otherwise.
INFO counts as passed, like in Autobahn's reports.  The last line printed is `N passed, M failed`
(passed = OK + NON-STRICT + INFO) and the exit status is 0 only when M == 0.

Modules: `wire` (frames), `deflate` (permessage-deflate), `peer` (the server side of one
connection), `case` (a case's expectations and Autobahn's two verdicts), `cases` (one module per
section, registered in Autobahn's order), `judge` (the combined verdict), `server` (the client
process and the handshake), `report` (selection, table, report file), `cli` (the command line).
"""
