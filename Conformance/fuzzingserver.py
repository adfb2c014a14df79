#!/usr/bin/env python3
"""fuzzingserver.py: the Autobahn|Testsuite client cases, played against echo-client.

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
    answers with its own parameter set (see PMD_13 below).
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
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import fnmatch
import hashlib
import json
import math
import os
import random
import re
import signal
import socket
import struct
import sys
import time
import zlib

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OK = "OK"
NON_STRICT = "NON-STRICT"
FAILED = "FAILED"
INFORMATIONAL = "INFO"
UNIMPLEMENTED = "UNIMPLEMENTED"
WRONG_CODE = "WRONG CODE"
UNCLEAN = "UNCLEAN"

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_PAYLOAD = 1007
VALID_CLOSE_CODES = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}

CHOP_DELAY = 0.00001  # Autobahn's QUEUED_WRITE_DELAY between chops
SYNC_DELAY = 0.001  # a sync frame is flushed and left alone on the wire for a moment
MIN_KILL_AFTER = 3.0  # Autobahn's killAfter(0.5/1) fallback, stretched so a busy machine never trips it
PROCESS_EXIT_GRACE = 8.0  # after the connection ended; libwebsockets waits up to 5 s for a close ack
CONNECT_TIMEOUT = 10.0


# ----------------------------------------------------------------------------------------------
# Frames
# ----------------------------------------------------------------------------------------------

def repeat_to(payload: bytes, length: int) -> bytes:
    """Autobahn's `payload_len`: the payload repeated (and cut) to `length` octets."""
    if length == len(payload):
        return payload
    return (payload * (length // len(payload) + 1))[:length]


def frame_header(opcode: int, length: int, fin: bool = True, rsv: int = 0) -> bytes:
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    if length < 126:
        return struct.pack("!BB", b0, length)
    if length < 65536:
        return struct.pack("!BBH", b0, 126, length)
    return struct.pack("!BBQ", b0, 127, length)


def unmask(data: bytes, key: bytes) -> bytes:
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def is_utf8(data: bytes) -> bool:
    # Python's strict codec rejects overlongs, surrogates and code points above U+10FFFF, like
    # Autobahn's validator; an incomplete sequence at the end is invalid too.
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def short(data: bytes, limit: int = 24) -> str:
    if len(data) <= limit:
        return data.hex() if data else "''"
    return f"{data[:limit].hex()}..."


# ----------------------------------------------------------------------------------------------
# permessage-deflate (RFC 7692)
# ----------------------------------------------------------------------------------------------

def parse_extensions(header: str) -> list[tuple[str, dict[str, str | None]]]:
    offers = []
    for part in header.split(","):
        items = [x.strip() for x in part.split(";") if x.strip()]
        if not items:
            continue
        params: dict[str, str | None] = {}
        for item in items[1:]:
            if "=" in item:
                k, v = item.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
            else:
                params[item.lower()] = None
        offers.append((items[0].lower(), params))
    return offers


class Deflate:
    """The server's half of a negotiated permessage-deflate: compress out, inflate in."""

    def __init__(self, server_wbits: int, server_nct: bool, client_wbits: int, client_nct: bool):
        self.server_wbits, self.server_nct = server_wbits, server_nct
        self.client_wbits, self.client_nct = client_wbits, client_nct
        self._c = None
        self._d = None

    def compress(self, payload: bytes) -> bytes:
        if self._c is None or self.server_nct:
            self._c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -max(self.server_wbits, 9))
        data = self._c.compress(payload) + self._c.flush(zlib.Z_SYNC_FLUSH)
        if data.endswith(b"\x00\x00\xff\xff"):
            data = data[:-4]
        return data or b"\x00"

    def decompress(self, payload: bytes) -> bytes:
        # Inflating with exactly the negotiated window (and a fresh context under
        # client_no_context_takeover) makes a client that ignores the negotiation fail here.
        if self._d is None or self.client_nct:
            self._d = zlib.decompressobj(-max(self.client_wbits, 9))
        return self._d.decompress(payload + b"\x00\x00\xff\xff")


# ----------------------------------------------------------------------------------------------
# The server side of one connection (Autobahn's WebSocketProtocol, as far as the cases use it)
# ----------------------------------------------------------------------------------------------

class ClientViolation(Exception):
    def __init__(self, what: str, code: int = CLOSE_PROTOCOL_ERROR):
        super().__init__(what)
        self.code = code


class Peer:
    OPEN, CLOSING, CLOSED = "open", "closing", "closed"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, run: "CaseRun"):
        self.r, self.w, self.run = reader, writer, run
        self.loop = asyncio.get_running_loop()
        self.state = Peer.OPEN
        self.connection_was_open = False
        self.closed_by_me = False  # the server sent the first close
        self.dropped_by_me = False
        self.was_clean = False  # close sent and close received
        self.close_sent = False
        self.close_received = False
        self.remote_close_code: int | None = None
        self.remote_close_reason: bytes | None = None
        self.remote_close_raw: bytes | None = None
        self.killed_by_timer = False
        self.timed_out = False
        self.client_eof = False  # the client closed TCP before the server did
        self.violations: list[str] = []
        self.pmd: Deflate | None = None
        self.auto_fragment_size = 0
        self.tx_frames: dict[int, int] = {}
        self.rx_messages = 0
        self.rx_compressed = 0
        self._queue: asyncio.Queue = asyncio.Queue()
        self._timers: list[asyncio.TimerHandle] = []
        self._lost = asyncio.Event()
        self._writer_task: asyncio.Task | None = None
        self.case: Case | None = None

    # --- sending (synchronous for the cases: everything goes through one ordered queue) ---

    def _enqueue(self, data: bytes, chopsize: int | None = None, sync: bool = False) -> None:
        if self._lost.is_set():
            return
        self._queue.put_nowait(("data", data, chopsize, sync))

    def _count(self, opcode: int) -> None:
        self.tx_frames[opcode] = self.tx_frames.get(opcode, 0) + 1

    def send_frame(self, opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0,
                   payload_len: int | None = None, chopsize: int | None = None, sync: bool = False) -> None:
        if payload_len is not None:
            payload = repeat_to(payload, payload_len)
        self._count(opcode)
        self._enqueue(frame_header(opcode, len(payload), fin, rsv) + payload, chopsize, sync)

    def send_raw(self, data: bytes, sync: bool = False) -> None:
        self._enqueue(data, None, sync)

    def send_message(self, payload: bytes, binary: bool = False, fragment_size: int | None = None,
                     sync: bool = False) -> None:
        opcode = 2 if binary else 1
        rsv = 0
        if self.pmd is not None:
            payload = self.pmd.compress(payload)
            rsv = 4
        size = fragment_size or self.auto_fragment_size
        if size and len(payload) > size:
            parts = [payload[i:i + size] for i in range(0, len(payload), size)]
            out = []
            for i, part in enumerate(parts):
                op = opcode if i == 0 else 0
                self._count(op)
                out.append(frame_header(op, len(part), i == len(parts) - 1, rsv if i == 0 else 0))
                out.append(part)
            self._enqueue(b"".join(out), None, sync)
        else:
            self._count(opcode)
            self._enqueue(frame_header(opcode, len(payload), True, rsv) + payload, None, sync)

    def send_close(self, code: int | None = None, reason: bytes = b"") -> None:
        """A well-formed close that starts the closing handshake (Autobahn's sendClose)."""
        self.send_close_frame(code, reason)

    def send_close_frame(self, code: int | None = None, reason_utf8: bytes | None = None) -> None:
        """A raw close frame (Autobahn's sendCloseFrame): any code, any reason, no checks."""
        if self.state != Peer.OPEN:
            return
        payload = b""
        if code is not None:
            payload = struct.pack("!H", code)
        if reason_utf8:
            payload += reason_utf8
        self._count(8)
        self._enqueue(frame_header(8, len(payload)) + payload)
        self.close_sent = True
        self.closed_by_me = True
        self.state = Peer.CLOSING

    # --- timers (Autobahn's closeAfter / killAfter / continueLater) ---

    def _later(self, delay: float, fn) -> None:
        def fire():
            if not self._lost.is_set():
                try:
                    fn()
                except Exception as exc:  # a bug in a case must not hang the run
                    self.run.note(f"internal error in timer: {exc!r}")
                    self.drop()
        self._timers.append(self.loop.call_later(delay, fire))

    def close_after(self, delay: float) -> None:
        self._later(delay, lambda: self.send_close(CLOSE_NORMAL) if self.state == Peer.OPEN else None)

    def kill_after(self, delay: float) -> None:
        def kill():
            self.killed_by_timer = True
            self.drop()
        self._later(max(delay, MIN_KILL_AFTER), kill)

    def continue_later(self, delay: float, fn) -> None:
        self._later(delay, fn)

    def drop(self, flush: bool = False) -> None:
        """Ends the TCP connection from the server side."""
        if self._lost.is_set():
            return
        self.dropped_by_me = True
        if flush:
            self._queue.put_nowait(("drop",))
        else:
            self._teardown()

    def _teardown(self) -> None:
        if self._lost.is_set():
            return
        self._lost.set()
        for t in self._timers:
            t.cancel()
        try:
            self.w.transport.abort() if not self.w.is_closing() else None
        except Exception:
            pass

    async def _writer_loop(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if item[0] == "drop":
                    try:
                        await self.w.drain()
                        self.w.close()
                    except Exception:
                        pass
                    self._lost.set()
                    for t in self._timers:
                        t.cancel()
                    return
                _, data, chopsize, sync = item
                if chopsize:
                    for i in range(0, len(data), chopsize):
                        self.w.write(data[i:i + chopsize])
                        await self.w.drain()
                        await asyncio.sleep(CHOP_DELAY)
                else:
                    self.w.write(data)
                    await self.w.drain()
                    if sync:
                        await asyncio.sleep(SYNC_DELAY)
        except (ConnectionError, OSError):
            self._teardown()

    # --- receiving ---

    async def _reader_loop(self) -> None:
        fragments: list[bytes] = []
        frag_opcode = None
        frag_compressed = False
        r = self.r
        try:
            while not self._lost.is_set():
                b0, b1 = await r.readexactly(2)
                fin, rsv, opcode = b0 >> 7, (b0 >> 4) & 7, b0 & 0x0F
                masked, length = b1 >> 7, b1 & 0x7F
                if length == 126:
                    length = struct.unpack("!H", await r.readexactly(2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", await r.readexactly(8))[0]
                    if length >> 63:
                        raise ClientViolation("64-bit frame length with the top bit set")
                key = await r.readexactly(4) if masked else b""
                payload = await r.readexactly(length)
                if not masked:
                    raise ClientViolation(f"unmasked frame from the client (opcode {opcode})")
                payload = unmask(payload, key)
                if self.state == Peer.CLOSED:
                    raise ClientViolation(f"frame (opcode {opcode}) after the client's close frame")

                if opcode >= 8:  # control frames
                    if rsv:
                        raise ClientViolation(f"control frame (opcode {opcode}) with RSV={rsv}")
                    if not fin:
                        raise ClientViolation(f"fragmented control frame (opcode {opcode})")
                    if length > 125:
                        raise ClientViolation(f"control frame (opcode {opcode}) with {length}-byte payload")
                    if opcode == 8:
                        self._on_close_frame(payload)
                        if self.state == Peer.CLOSED:
                            return  # the closing handshake is done; the server drops TCP
                    elif opcode == 9:
                        if self.state == Peer.OPEN:
                            self.case.on_ping(payload)
                            self.send_frame(10, payload)
                    elif opcode == 10:
                        self.case.on_pong(payload)
                    else:
                        raise ClientViolation(f"reserved control opcode {opcode}")
                    continue

                if opcode not in (0, 1, 2):
                    raise ClientViolation(f"reserved data opcode {opcode}")
                allowed_rsv = 4 if (self.pmd is not None and opcode in (1, 2)) else 0
                if rsv & ~allowed_rsv:
                    raise ClientViolation(f"data frame (opcode {opcode}) with RSV={rsv} that no extension defines")
                if opcode == 0:
                    if frag_opcode is None:
                        raise ClientViolation("continuation frame without a message to continue")
                else:
                    if frag_opcode is not None:
                        raise ClientViolation(f"new data frame (opcode {opcode}) inside a fragmented message")
                    frag_opcode = opcode
                    frag_compressed = bool(rsv & 4)
                fragments.append(payload)
                if not fin:
                    continue
                message = b"".join(fragments)
                binary = frag_opcode == 2
                fragments, frag_opcode = [], None
                self.rx_messages += 1
                if frag_compressed:
                    self.rx_compressed += 1
                    try:
                        message = self.pmd.decompress(message)
                    except zlib.error as exc:
                        raise ClientViolation(f"compressed message does not inflate with the negotiated "
                                              f"parameters: {exc}", 1007)
                if not binary and not is_utf8(message):
                    raise ClientViolation(f"text message with invalid UTF-8 ({short(message)})", 1007)
                self.case.on_message(message, binary)
        except ClientViolation as v:
            self.violations.append(str(v))
            if self.state == Peer.OPEN:
                # Autobahn fails the connection: a close with the code, then the TCP drop.
                self.send_close_frame(v.code)
                self.closed_by_me = False
            self.drop(flush=True)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            if not self._lost.is_set():
                self.client_eof = True
        finally:
            if not self._lost.is_set() and self.client_eof:
                self._teardown()

    def _on_close_frame(self, payload: bytes) -> None:
        self.close_received = True
        self.remote_close_raw = payload
        if len(payload) == 1:
            raise ClientViolation("close frame with a 1-byte payload")
        if len(payload) >= 2:
            code = struct.unpack("!H", payload[:2])[0]
            self.remote_close_code = code
            self.remote_close_reason = payload[2:]
            if not (code in VALID_CLOSE_CODES or 3000 <= code <= 4999):
                raise ClientViolation(f"close frame with code {code}, which may not be sent")
            if not is_utf8(payload[2:]):
                raise ClientViolation(f"close reason is not valid UTF-8 ({short(payload[2:])})")
        if self.state == Peer.OPEN:
            # The client starts (or fails with) the closing handshake: answer with the same code.
            self.state = Peer.CLOSED
            body = payload[:2]
            self._count(8)
            self._enqueue(frame_header(8, len(body)) + body)
            self.close_sent = True
            self.was_clean = True
        elif self.state == Peer.CLOSING:
            self.state = Peer.CLOSED
            self.was_clean = True
        # The server drops TCP once the closing handshake is done (its job under RFC 6455 7.1.1).
        self.drop(flush=True)

    async def serve(self, limit: float) -> None:
        self.connection_was_open = True
        self._writer_task = asyncio.create_task(self._writer_loop())
        reader_task = asyncio.create_task(self._reader_loop())
        try:
            self.case.on_open()
        except Exception as exc:
            self.run.note(f"internal error in case: {exc!r}")
            self.drop()
        try:
            await asyncio.wait_for(self._lost.wait(), timeout=limit)
        except asyncio.TimeoutError:
            self.timed_out = True
            self._teardown()
        reader_task.cancel()
        if self._writer_task is not None:
            self._writer_task.cancel()
        await asyncio.gather(reader_task, self._writer_task, return_exceptions=True)
        if self.state != Peer.CLOSED:
            self.state = Peer.CLOSED
        try:
            self.w.close()
        except Exception:
            pass


# ----------------------------------------------------------------------------------------------
# Cases (transcribed from autobahntestsuite/case/*.py)
# ----------------------------------------------------------------------------------------------

class Case:
    ID = ""
    DESCRIPTION = ""
    EXPECTATION = ""
    PMD: dict | None = None  # permessage-deflate answer for 12.x/13.x
    LIMIT = 10.0

    def __init__(self, p: Peer, quick: bool = False):
        self.p = p
        self.quick = quick
        self.received: list[tuple] = []
        self.expected: dict[str, list[tuple]] = {}
        self.expected_close: dict = {}
        self.behavior = FAILED
        self.behavior_close = FAILED
        self.result = "Actual events differ from any expected."
        self.result_close = "TCP connection was dropped without close handshake"
        self.suppress_close = False
        self.informational = False
        self.init()

    def init(self) -> None:
        pass

    def on_open(self) -> None:
        pass

    def on_message(self, payload: bytes, binary: bool) -> None:
        self.received.append(("message", payload, binary))
        self.finish_when_done()

    def on_ping(self, payload: bytes) -> None:
        self.received.append(("ping", payload))
        self.finish_when_done()

    def on_pong(self, payload: bytes) -> None:
        self.received.append(("pong", payload))
        self.finish_when_done()

    def finish_when_done(self) -> None:
        for trace in self.expected.values():
            if self.received != trace:
                return
        if self.expected_close.get("closedByMe") and not self.suppress_close:
            self.p.send_close(self.expected_close["closeCode"][0])

    def on_connection_lost(self) -> None:
        """Autobahn's Case.onConnectionLost."""
        for verdict, trace in self.expected.items():
            if self.received == trace:
                self.behavior = verdict
                self.result = "Actual events match at least one expected."
                break
        else:
            if getattr(self, "pongs_for_some_pings", False) and self.received and \
                    is_subsequence(self.received, self.expected.get(OK, [])):
                # RFC 6455 5.5.3: an endpoint MAY answer only some of the pings it received
                # before it could send a pong; the client declared it does (--ping-replies).
                self.behavior = NON_STRICT
                self.result = "Pongs for some of the pings, in order (client declared oneAtATime)."
        p = self.p
        ec = self.expected_close
        if p.connection_was_open:
            if ec["closedByMe"] != p.closed_by_me:
                self.behavior_close = FAILED
                self.result_close = "The connection was failed by the wrong endpoint"
            elif ec["requireClean"] and not p.was_clean:
                self.behavior_close = UNCLEAN
                self.result_close = "The spec requires the connection to be failed cleanly here"
            elif p.remote_close_code is not None and p.remote_close_code not in ec["closeCode"]:
                self.behavior_close = WRONG_CODE
                self.result_close = ("The close code should have been %s or empty"
                                     % ",".join(map(str, ec["closeCode"])))
            else:
                self.behavior_close = OK
                self.result_close = "Connection was properly closed"
            if ec.get("closedByWrongEndpointIsFatal") and ec["closedByMe"] != p.closed_by_me:
                self.behavior = FAILED
        else:
            self.behavior_close = FAILED
            self.result_close = "The WebSocket opening handshake was never completed!"


def is_subsequence(events: list, trace: list) -> bool:
    """Whether `events` appear in `trace` in the same order (not necessarily next to each other)."""
    it = iter(trace)
    return all(any(event == t for t in it) for event in events)


# Set by --ping-replies oneAtATime: the client answers only some pings of a burst (RFC 6455 5.5.3).
PINGS_ONE_AT_A_TIME = False


def expect_normal_close(case: Case) -> None:
    case.expected_close = {"closedByMe": True, "closeCode": [CLOSE_NORMAL], "requireClean": True}


def expect_failure(case: Case, code: int = CLOSE_PROTOCOL_ERROR, fatal: bool = False) -> None:
    case.expected_close = {"closedByMe": False, "closeCode": [code], "requireClean": False}
    if fatal:
        case.expected_close["closedByWrongEndpointIsFatal"] = True


class WrongCodeFails(Case):
    """Section 7: a WRONG CODE close fails the case outright (Autobahn's override)."""

    def on_connection_lost(self) -> None:
        super().on_connection_lost()
        if self.behavior_close == WRONG_CODE:
            self.behavior = FAILED
            self.result = self.result_close


class Informational(Case):
    def on_connection_lost(self) -> None:
        super().on_connection_lost()
        self.informational = True


CASES: list[type[Case]] = []
SUBCATEGORIES: dict[str, str] = {}


def register(cid: str, base: type[Case] = Case, **attrs) -> type[Case]:
    cls = type("Case" + cid.replace(".", "_"), (base,), {"ID": cid, **attrs})
    CASES.append(cls)
    return cls


# --- 1 Framing ---

def _section1() -> None:
    sizes = [0, 125, 126, 127, 128, 65535, 65536, 65536]
    for binary, sub in ((False, 1), (True, 2)):
        for i, n in enumerate(sizes, 1):
            payload = (b"\xfe" if binary else b"*") * n
            chop = 997 if i == 8 else None

            def on_open(self, payload=payload, chop=chop, binary=binary):
                self.expected[OK] = [("message", payload, binary)]
                expect_normal_close(self)
                self.p.send_frame(2 if binary else 1, payload, chopsize=chop)
                self.p.kill_after(10 if len(payload) >= 65535 else 1)

            kind = "binary" if binary else "text"
            desc = f"Send {kind} message with payload of length {n}" + (
                ". Sent out data in chops of 997 octets." if chop else ".")
            register(f"1.{sub}.{i}", DESCRIPTION=desc, on_open=on_open,
                     EXPECTATION=f"Receive echo'ed {kind} message (with payload as sent). Clean close with normal code.")


# --- 2 Pings/Pongs ---

def _section2() -> None:
    def ping_case(cid, desc, payload, chopsize=None):
        def on_open(self):
            self.expected[OK] = [("pong", payload)]
            expect_normal_close(self)
            self.p.send_frame(9, payload, chopsize=chopsize)
            self.p.close_after(2 if chopsize else 1)
        register(cid, DESCRIPTION=desc, on_open=on_open,
                 EXPECTATION="Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.")

    ping_case("2.1", "Send ping without payload.", b"")
    ping_case("2.2", "Send ping with small text payload.", b"Hello, world!")
    ping_case("2.3", "Send ping with small binary (non UTF-8) payload.", b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")
    ping_case("2.4", "Send ping with binary payload of 125 octets.", b"\xfe" * 125)

    def c2_5(self):
        self.expected[OK] = []
        expect_failure(self)
        self.p.send_frame(9, b"\xfe" * 126)
        self.p.kill_after(1)
    register("2.5", DESCRIPTION="Send ping with binary payload of 126 octets.", on_open=c2_5,
             EXPECTATION="Connection is failed immediately (1002/Protocol Error), since control frames are "
                         "only allowed to have payload up to and including 125 octets.")

    ping_case("2.6", "Send ping with binary payload of 125 octets, send in octet-wise chops.", b"\xfe" * 125, 1)

    def unsolicited(payload):
        def on_open(self):
            self.expected[OK] = []
            expect_normal_close(self)
            self.p.send_frame(10, payload)
            self.p.send_close(CLOSE_NORMAL)
            self.p.close_after(1)
        return on_open
    register("2.7", DESCRIPTION="Send unsolicited pong without payload. Verify nothing is received. Clean close "
             "with normal code.", EXPECTATION="Nothing.", on_open=unsolicited(b""))
    register("2.8", DESCRIPTION="Send unsolicited pong with payload. Verify nothing is received. Clean close with "
             "normal code.", EXPECTATION="Nothing.", on_open=unsolicited(b"unsolicited pong payload"))

    def c2_9(self):
        self.expected[OK] = [("pong", b"ping payload")]
        expect_normal_close(self)
        self.p.send_frame(10, b"unsolicited pong payload")
        self.p.send_frame(9, b"ping payload")
        self.p.close_after(1)
    register("2.9", DESCRIPTION="Send unsolicited pong with payload. Send ping with payload. Verify pong for ping "
             "is received.", EXPECTATION="Nothing in reply to own Pong, but Pong with payload echo'ed in reply to "
             "Ping. Clean close with normal code.", on_open=c2_9)

    def ten_pings(chopsize):
        def on_open(self):
            self.expected[OK] = []
            self.pongs_for_some_pings = PINGS_ONE_AT_A_TIME
            for i in range(10):
                payload = b"payload-%d" % i
                self.expected[OK].append(("pong", payload))
                self.p.send_frame(9, payload, chopsize=chopsize)
            expect_normal_close(self)
            self.p.close_after(3)
        return on_open
    exp = ("Pongs for our Pings with all the payloads. Note: This is not required by the Spec .. but we check "
           "for this behaviour anyway. Clean close with normal code.")
    register("2.10", DESCRIPTION="Send 10 Pings with payload.", EXPECTATION=exp, on_open=ten_pings(None))
    register("2.11", DESCRIPTION="Send 10 Pings with payload. Send out octets in octet-wise chops.",
             EXPECTATION=exp, on_open=ten_pings(1))


# --- 3 Reserved bits ---

def _section3() -> None:
    hello = b"Hello, world!"
    exp_fail = ("The connection is failed immediately (1002/protocol error), since RSV must be 0, when no "
                "extension defining RSV meaning has been negotiated.")
    exp_echo_then_fail = ("Echo for first message is received, but then connection is failed immediately, "
                          "since RSV must be 0, when no extension defining RSV meaning has been negotiated. "
                          "The Pong is not received.")

    def c3_1(self):
        self.expected[OK] = []
        expect_failure(self)
        self.p.send_frame(1, hello, rsv=1)
        self.p.kill_after(1)
    register("3.1", DESCRIPTION="Send small text message with RSV = 1.", EXPECTATION=exp_fail, on_open=c3_1)

    def echo_then_rsv(rsv, sync=False, chopsize=None):
        def on_open(self):
            self.expected[OK] = [("message", hello, False)]
            self.expected[NON_STRICT] = []
            expect_failure(self)
            self.p.send_frame(1, hello, sync=sync, chopsize=chopsize)
            self.p.send_frame(1, hello, rsv=rsv, sync=sync, chopsize=chopsize)
            self.p.send_frame(9, sync=sync, chopsize=chopsize)
            self.p.kill_after(1)
        return on_open
    register("3.2", DESCRIPTION="Send small text message, then send again with RSV = 2, then send Ping.",
             EXPECTATION=exp_echo_then_fail, on_open=echo_then_rsv(2))
    register("3.3", DESCRIPTION="Send small text message, then send again with RSV = 3, then send Ping. Octets "
             "are sent in frame-wise chops.", EXPECTATION=exp_echo_then_fail, on_open=echo_then_rsv(3, sync=True))
    register("3.4", DESCRIPTION="Send small text message, then send again with RSV = 4, then send Ping. Octets "
             "are sent in octet-wise chops.", EXPECTATION=exp_echo_then_fail, on_open=echo_then_rsv(4, chopsize=1))

    def c3_5(self):
        self.expected[OK] = []
        expect_failure(self)
        self.p.send_frame(2, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5)
        self.p.kill_after(1)
    register("3.5", DESCRIPTION="Send small binary message with RSV = 5.",
             EXPECTATION="The connection is failed immediately, since RSV must be 0.", on_open=c3_5)

    def c3_6(self):
        self.expected[OK] = []
        expect_failure(self)
        # Autobahn's description says "Ping", its code sends opcode 2: we send what Autobahn sends.
        self.p.send_frame(2, hello, rsv=6)
        self.p.kill_after(1)
    register("3.6", DESCRIPTION="Send Ping with RSV = 6.",
             EXPECTATION="The connection is failed immediately, since RSV must be 0.", on_open=c3_6)

    def c3_7(self):
        self.expected[OK] = []
        expect_failure(self)
        self.p.send_frame(8, rsv=7)
        self.p.kill_after(1)
    register("3.7", DESCRIPTION="Send Close with RSV = 7.",
             EXPECTATION="The connection is failed immediately, since RSV must be 0.", on_open=c3_7)


# --- 4 Opcodes ---

def _section4() -> None:
    hello = b"Hello, world!"

    def alone(opcode, payload):
        def on_open(self):
            self.expected[OK] = []
            expect_failure(self)
            self.p.send_frame(opcode, payload)
            self.p.kill_after(1)
        return on_open

    def between(opcode, payload, chopsize=None):
        def on_open(self):
            self.expected[OK] = [("message", hello, False)]
            self.expected[NON_STRICT] = []
            expect_failure(self)
            self.p.send_frame(1, hello, chopsize=chopsize)
            self.p.send_frame(opcode, payload, chopsize=chopsize)
            self.p.send_frame(9, chopsize=chopsize)
            self.p.kill_after(1)
        return on_open

    for group, kind, ops in ((1, "non-control", (3, 4, 5, 6, 7)), (2, "control", (11, 12, 13, 14, 15))):
        o = ops
        exp1 = "The connection is failed immediately."
        exp2 = ("Echo for first message is received, but then connection is failed immediately, since reserved "
                "opcode frame is used. A Pong is not received.")
        register(f"4.{group}.1", DESCRIPTION=f"Send frame with reserved {kind} Opcode = {o[0]}.",
                 EXPECTATION=exp1, on_open=alone(o[0], b""))
        register(f"4.{group}.2", DESCRIPTION=f"Send frame with reserved {kind} Opcode = {o[1]} and non-empty "
                 "payload.", EXPECTATION=exp1, on_open=alone(o[1], b"reserved opcode payload"))
        register(f"4.{group}.3", DESCRIPTION=f"Send small text message, then send frame with reserved {kind} "
                 f"Opcode = {o[2]}, then send Ping.", EXPECTATION=exp2, on_open=between(o[2], b""))
        register(f"4.{group}.4", DESCRIPTION=f"Send small text message, then send frame with reserved {kind} "
                 f"Opcode = {o[3]} and non-empty payload, then send Ping.", EXPECTATION=exp2,
                 on_open=between(o[3], hello))
        register(f"4.{group}.5", DESCRIPTION=f"Send small text message, then send frame with reserved {kind} "
                 f"Opcode = {o[4]} and non-empty payload, then send Ping.", EXPECTATION=exp2,
                 on_open=between(o[4], hello, chopsize=1))


# --- 5 Fragmentation ---

def _section5() -> None:
    def fail_frames(frames, **send):
        def on_open(self):
            self.expected[OK] = []
            expect_failure(self)
            for opcode, fin, payload in frames:
                self.p.send_frame(opcode, payload, fin=fin, **send)
            self.p.kill_after(1)
        return on_open

    exp_ctrl = "Connection is failed immediately, since control message MUST NOT be fragmented."
    register("5.1", DESCRIPTION="Send Ping fragmented into 2 fragments.", EXPECTATION=exp_ctrl,
             on_open=fail_frames([(9, False, b"fragment1"), (0, True, b"fragment2")]))
    register("5.2", DESCRIPTION="Send Pong fragmented into 2 fragments.", EXPECTATION=exp_ctrl,
             on_open=fail_frames([(10, False, b"fragment1"), (0, True, b"fragment2")]))

    def echo_fragments(sync=False, chopsize=None, ping=False):
        def on_open(self):
            frags = [b"fragment1", b"fragment2"]
            self.expected[OK] = ([("pong", b"ping payload")] if ping else []) + [("message", b"".join(frags), False)]
            expect_normal_close(self)
            self.p.send_frame(1, frags[0], fin=False, sync=sync, chopsize=chopsize)
            if ping:
                self.p.send_frame(9, b"ping payload", sync=sync, chopsize=chopsize)
            self.p.send_frame(0, frags[1], sync=sync, chopsize=chopsize)
            self.p.close_after(1)
        return on_open

    exp_echo = "Message is processed and echo'ed back to us."
    register("5.3", DESCRIPTION="Send text Message fragmented into 2 fragments.", EXPECTATION=exp_echo,
             on_open=echo_fragments())
    register("5.4", DESCRIPTION="Send text Message fragmented into 2 fragments, octets are sent in frame-wise "
             "chops.", EXPECTATION=exp_echo, on_open=echo_fragments(sync=True))
    register("5.5", DESCRIPTION="Send text Message fragmented into 2 fragments, octets are sent in octet-wise "
             "chops.", EXPECTATION=exp_echo, on_open=echo_fragments(chopsize=1))
    exp_ping = "A pong is received, then the message is echo'ed back to us."
    register("5.6", DESCRIPTION="Send text Message fragmented into 2 fragments, one ping with payload in-between.",
             EXPECTATION=exp_ping, on_open=echo_fragments(ping=True))
    register("5.7", DESCRIPTION="Send text Message fragmented into 2 fragments, one ping with payload in-between. "
             "Octets are sent in frame-wise chops.", EXPECTATION=exp_ping, on_open=echo_fragments(sync=True, ping=True))
    register("5.8", DESCRIPTION="Send text Message fragmented into 2 fragments, one ping with payload in-between. "
             "Octets are sent in octet-wise chops.", EXPECTATION=exp_ping,
             on_open=echo_fragments(chopsize=1, ping=True))

    nothing = "The connection is failed immediately, since there is no message to continue."
    orphan = [(0, True, b"non-continuation payload"), (1, True, b"Hello, world!")]
    orphan_nofin = [(0, False, b"non-continuation payload"), (1, True, b"Hello, world!")]
    register("5.9", DESCRIPTION="Send unfragmented Text Message after Continuation Frame with FIN = true, where "
             "there is nothing to continue, sent in one chop.", EXPECTATION=nothing, on_open=fail_frames(orphan))
    register("5.10", DESCRIPTION="Send unfragmented Text Message after Continuation Frame with FIN = true, where "
             "there is nothing to continue, sent in per-frame chops.", EXPECTATION=nothing,
             on_open=fail_frames(orphan, sync=True))
    register("5.11", DESCRIPTION="Send unfragmented Text Message after Continuation Frame with FIN = true, where "
             "there is nothing to continue, sent in octet-wise chops.", EXPECTATION=nothing,
             on_open=fail_frames(orphan, chopsize=1))
    register("5.12", DESCRIPTION="Send unfragmented Text Message after Continuation Frame with FIN = false, where "
             "there is nothing to continue, sent in one chop.", EXPECTATION=nothing, on_open=fail_frames(orphan_nofin))
    register("5.13", DESCRIPTION="Send unfragmented Text Message after Continuation Frame with FIN = false, where "
             "there is nothing to continue, sent in per-frame chops.", EXPECTATION=nothing,
             on_open=fail_frames(orphan_nofin, sync=True))
    register("5.14", DESCRIPTION="Send unfragmented Text Message after Continuation Frame with FIN = false, where "
             "there is nothing to continue, sent in octet-wise chops.", EXPECTATION=nothing,
             on_open=fail_frames(orphan_nofin, chopsize=1))

    def c5_15(self):
        f = [b"fragment1", b"fragment2", b"fragment3", b"fragment4"]
        self.expected[OK] = [("message", f[0] + f[1], False)]
        self.expected[NON_STRICT] = []
        expect_failure(self)
        self.p.send_frame(1, f[0], fin=False)
        self.p.send_frame(0, f[1], fin=True)
        self.p.send_frame(0, f[2], fin=False)
        self.p.send_frame(1, f[3], fin=True)
        self.p.kill_after(1)
    register("5.15", DESCRIPTION="Send text Message fragmented into 2 fragments, then Continuation Frame with FIN "
             "= false where there is nothing to continue, then unfragmented Text Message, all sent in one chop.",
             EXPECTATION=nothing, on_open=c5_15)
    twice_nofin = [(0, False, b"fragment1"), (1, False, b"fragment2"), (0, True, b"fragment3")] * 2
    twice_fin = [(0, True, b"fragment1"), (1, False, b"fragment2"), (0, True, b"fragment3")] * 2
    register("5.16", DESCRIPTION="Repeated 2x: Continuation Frame with FIN = false (where there is nothing to "
             "continue), then text Message fragmented into 2 fragments.", EXPECTATION=nothing,
             on_open=fail_frames(twice_nofin))
    register("5.17", DESCRIPTION="Repeated 2x: Continuation Frame with FIN = true (where there is nothing to "
             "continue), then text Message fragmented into 2 fragments.", EXPECTATION=nothing,
             on_open=fail_frames(twice_fin))
    register("5.18", DESCRIPTION="Send text Message fragmented into 2 fragments, with both frame opcodes set to "
             "text, sent in one chop.", EXPECTATION="The connection is failed immediately, since all data frames "
             "after the initial data frame must have opcode 0.",
             on_open=fail_frames([(1, False, b"fragment1"), (1, True, b"fragment2")]))

    def pings_in_between(sync):
        frags = [b"fragment1", b"fragment2", b"fragment3", b"fragment4", b"fragment5"]
        pings = [b"pongme 1!", b"pongme 2!"]

        def on_open(self):
            self.expected[OK] = [("pong", pings[0]), ("pong", pings[1]), ("message", b"".join(frags), False)]
            expect_normal_close(self)
            self.p.send_frame(1, frags[0], fin=False, sync=sync)
            self.p.send_frame(0, frags[1], fin=False, sync=sync)
            self.p.send_frame(9, pings[0], sync=sync)
            self.p.continue_later(1, lambda: part2(self))

        def part2(self):
            self.p.send_frame(0, frags[2], fin=False, sync=sync)
            self.p.send_frame(0, frags[3], fin=False, sync=sync)
            self.p.send_frame(9, pings[1], sync=sync)
            self.p.send_frame(0, frags[4], fin=True, sync=sync)
            self.p.close_after(1)
        return on_open
    exp19 = ("The peer immediately answers the first Ping before it has received the last text message fragment. "
             "The peer pong's back the Ping's payload exactly, and echo's the payload of the fragmented message "
             "back to us.")
    register("5.19", DESCRIPTION="A fragmented text message is sent in multiple frames. After sending the first 2 "
             "frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, "
             "another Ping and then the final text fragment. Everything is legal.", EXPECTATION=exp19,
             on_open=pings_in_between(False))
    register("5.20", DESCRIPTION="Same as Case 5.19, but send all frames with SYNC = True. Note, this does not "
             "change the octets sent in any way, only how the stream is chopped up on the wire.",
             EXPECTATION="Same as Case 5.19. Implementations must be agnostic to how octet stream is chopped up "
                         "on wire (must be TCP clean).", on_open=pings_in_between(True))


# --- 6 UTF-8 handling ---

VSS = bytes.fromhex("cebae1bdb9cf83cebcceb5")  # "κόσμε"


def utf8_test_sequences() -> list[tuple[str, list[tuple[bool, bytes]]]]:
    """Autobahn's createUtf8TestSequences (Markus Kuhn's UTF-8 decoder stress test)."""
    h = bytes.fromhex
    seqs: list[tuple[str, list[tuple[bool, bytes]]]] = []
    seqs.append(("Some valid UTF-8 sequences", [
        (True, b"hello\x24world"), (True, b"hello\xc2\xa2world"), (True, b"hello\xe2\x82\xacworld"),
        (True, b"hello\xf0\xa4\xad\xa2world"), (True, VSS)]))
    seqs.append(("All prefixes of a valid UTF-8 string that contains multi-byte code points",
                 [(is_utf8(VSS[:i]), VSS[:i]) for i in range(1, len(VSS) + 1)]))
    seqs.append(("First possible sequence of a certain length", [
        (True, h("00")), (True, h("c280")), (True, h("e0a080")), (True, h("f0908080"))]))
    seqs.append(("First possible sequence length 5/6 (invalid codepoints)", [
        (False, h("f888808080")), (False, h("fc8480808080"))]))
    seqs.append(("Last possible sequence of a certain length", [
        (True, h("7f")), (True, h("dfbf")), (True, h("efbfbf")), (True, h("f48fbfbf"))]))
    seqs.append(("Last possible sequence length 4/5/6 (invalid codepoints)", [
        (False, h("f7bfbfbf")), (False, h("fbbfbfbfbf")), (False, h("fdbfbfbfbfbf"))]))
    seqs.append(("Other boundary conditions", [
        (True, h("ed9fbf")), (True, h("ee8080")), (True, h("efbfbd")), (True, h("f48fbfbf")),
        (False, h("f4908080"))]))
    seqs.append(("Unexpected continuation bytes", [
        (False, h("80")), (False, h("bf")), (False, h("80bf")), (False, h("80bf80")), (False, h("80bf80bf")),
        (False, h("80bf80bf80")), (False, h("80bf80bf80bf")), (False, bytes(range(0x80, 0xbf)))]))
    lonely = []
    for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb), (0xfc, 0xfd)):
        lonely.append((False, b"".join(bytes([i, 0x20]) for i in range(lo, hi))))
    seqs.append(("Lonely start characters", lonely))
    k = [h("c0"), h("e080"), h("f08080"), h("f8808080"), h("fc80808080"),
         h("df"), h("efbf"), h("f7bfbf"), h("fbbfbfbf"), h("fdbfbfbfbf")]
    seqs.append(("Sequences with last continuation byte missing", [(False, x) for x in k]))
    seqs.append(("Concatenation of incomplete sequences", [(False, b"".join(k))]))
    seqs.append(("Impossible bytes", [(False, h("fe")), (False, h("ff")), (False, h("fefeffff"))]))
    seqs.append(("Examples of an overlong ASCII character", [
        (False, h("c0af")), (False, h("e080af")), (False, h("f08080af")), (False, h("f8808080af")),
        (False, h("fc80808080af"))]))
    seqs.append(("Maximum overlong sequences", [
        (False, h("c1bf")), (False, h("e09fbf")), (False, h("f08fbfbf")), (False, h("f887bfbfbf")),
        (False, h("fc83bfbfbfbf"))]))
    seqs.append(("Overlong representation of the NUL character", [
        (False, h("c080")), (False, h("e08080")), (False, h("f0808080")), (False, h("f880808080")),
        (False, h("fc8080808080"))]))
    seqs.append(("Single UTF-16 surrogates", [(False, h(x)) for x in (
        "eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf")]))
    seqs.append(("Paired UTF-16 surrogates", [(False, h(x)) for x in (
        "eda080edb080", "eda080edbfbf", "edadbfedb080", "edadbfedbfbf",
        "edae80edb080", "edae80edbfbf", "edafbfedb080", "edafbfedbfbf")]))
    nonchars = [(True, h("efbfbe")), (True, h("efbfbf"))]
    for z1 in (0xf0, 0xf1, 0xf2, 0xf3, 0xf4):
        for z2 in (0x8f, 0x9f, 0xaf, 0xbf):
            if not (z1 == 0xf4 and z2 != 0x8f):
                for z3 in (0xbe, 0xbf):
                    zz = bytes([z1, z2, 0xbf, z3])
                    if zz not in (h("f08fbfbe"), h("f08fbfbf")):
                        nonchars.append((True, zz))
    seqs.append(("Non-character code points (valid UTF-8)", nonchars))
    seqs.append(("Unicode specials (i.e. replacement char)", [(True, h(x)) for x in (
        "efbfb9", "efbfba", "efbfbb", "efbfbc", "efbfbd", "efbfbe", "efbfbf")]))
    return seqs


def _section6() -> None:
    def echo(payload, frames):
        def on_open(self):
            self.expected[OK] = [("message", payload, False)]
            expect_normal_close(self)
            for opcode, fin, part in frames:
                self.p.send_frame(opcode, part, fin=fin)
            self.p.close_after(1)
        return on_open

    register("6.1.1", DESCRIPTION="Send text message of length 0.",
             EXPECTATION="A message is echo'ed back to us (with empty payload).", on_open=echo(b"", [(1, True, b"")]))
    register("6.1.2", DESCRIPTION="Send fragmented text message, 3 fragments each of length 0.",
             EXPECTATION="A message is echo'ed back to us (with empty payload).",
             on_open=echo(b"", [(1, False, b""), (0, False, b""), (0, True, b"")]))
    mid = b"middle frame payload"
    register("6.1.3", DESCRIPTION="Send fragmented text message, 3 fragments, first and last of length 0, middle "
             "non-empty.", EXPECTATION="A message is echo'ed back to us (with payload = payload of middle fragment).",
             on_open=echo(mid, [(1, False, b""), (0, False, mid), (0, True, b"")]))

    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    p1, p2 = "Hello-µ@ßöä".encode(), "üàá-UTF-8!!".encode()

    def message(payload, fragment_size=None, valid=True, kill=None):
        def on_open(self):
            if valid:
                self.expected[OK] = [("message", payload, False)]
                expect_normal_close(self)
            else:
                self.expected[OK] = []
                expect_failure(self, CLOSE_INVALID_PAYLOAD, fatal=True)
            self.p.send_message(payload, binary=False, fragment_size=fragment_size)
            if kill is not None:
                self.p.kill_after(kill)
            else:
                self.p.close_after(1)
        return on_open

    register("6.2.1", DESCRIPTION="Send a valid UTF-8 text message in one fragment.",
             EXPECTATION="The message is echo'ed back to us.", on_open=message(hello))
    register("6.2.2", DESCRIPTION="Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code "
             "point boundary.", EXPECTATION="The message is echo'ed back to us.",
             on_open=echo(p1 + p2, [(1, False, p1), (0, True, p2)]))
    register("6.2.3", DESCRIPTION="Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames "
             "ending on positions which are not code point ends.", EXPECTATION="The message is echo'ed back to us.",
             on_open=message(hello, fragment_size=1))
    register("6.2.4", DESCRIPTION="Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames "
             "ending on positions which are not code point ends.", EXPECTATION="The message is echo'ed back to us.",
             on_open=message(VSS, fragment_size=1))

    bad = VSS + bytes.fromhex("eda080") + b"edited"
    exp_bad = "The connection is failed immediately, since the payload is not valid UTF-8."
    register("6.3.1", DESCRIPTION="Send invalid UTF-8 text message unfragmented.", EXPECTATION=exp_bad,
             on_open=message(bad, valid=False, kill=1))
    register("6.3.2", DESCRIPTION="Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames "
             "ending on positions which are not code point ends.", EXPECTATION=exp_bad,
             on_open=message(bad, fragment_size=1, valid=False, kill=1))

    # 6.4.x: fail fast.  The invalid octets arrive 1 s after a valid start; failing before the
    # rest arrives (another second later) is OK, failing only at the end is NON-STRICT.
    q1, q2, q3 = VSS, bytes.fromhex("f4908080"), b"edited"
    whole = q1 + q2 + q3
    parts_641 = (q1, q2, q3)
    parts_642 = (whole[:12], whole[12:13], whole[13:])

    def fail_fast(parts, one_frame):
        def on_open(self):
            self.expected[OK] = [("timeout", "A")]
            self.expected[NON_STRICT] = [("timeout", "A"), ("timeout", "B")]
            expect_failure(self, CLOSE_INVALID_PAYLOAD, fatal=True)
            if one_frame:
                self.p.send_raw(frame_header(1, len(whole)) + parts[0])
            else:
                self.p.send_frame(1, parts[0], fin=False)
            self.p.continue_later(1, lambda: part2(self))

        def part2(self):
            if self.p.state == Peer.OPEN:
                self.received.append(("timeout", "A"))
                if one_frame:
                    self.p.send_raw(parts[1])
                else:
                    self.p.send_frame(0, parts[1], fin=False)
                self.p.continue_later(1, lambda: part3(self))

        def part3(self):
            if self.p.state == Peer.OPEN:
                self.received.append(("timeout", "B"))
                if one_frame:
                    self.p.send_raw(parts[2])
                else:
                    self.p.send_frame(0, parts[2], fin=True)
                self.p.kill_after(1)
        return on_open

    exp64 = ("The first frame is accepted, we expect to timeout on the first wait. The 2nd frame should be rejected "
             "immediately (fail fast on UTF-8). If we timeout, we expect the connection is failed at least then, "
             "since the complete message payload is not valid UTF-8.")
    register("6.4.1", DESCRIPTION="Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is "
             "valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, "
             "then 3rd frame with rest.", EXPECTATION=exp64, on_open=fail_fast(parts_641, False))
    register("6.4.2", DESCRIPTION="Same as Case 6.4.1, but in 2nd frame, we send only up to and including the "
             "octet making the complete payload invalid.", EXPECTATION=exp64, on_open=fail_fast(parts_642, False))
    register("6.4.3", DESCRIPTION="Same as Case 6.4.1, but we send message not in 3 frames, but in 3 chops of the "
             "same message frame.", EXPECTATION=exp64, on_open=fail_fast(parts_641, True))
    register("6.4.4", DESCRIPTION="Same as Case 6.4.2, but we send message not in 3 frames, but in 3 chops of the "
             "same message frame.", EXPECTATION=exp64, on_open=fail_fast(parts_642, True))

    for i, (title, tests) in enumerate(utf8_test_sequences(), 5):
        SUBCATEGORIES[f"6.{i}"] = title
        for j, (valid, payload) in enumerate(tests, 1):
            if valid:
                desc = "Send a text message with payload which is valid UTF-8 in one fragment."
                exp = "The message is echo'ed back to us."
            else:
                desc = "Send a text message with payload which is not valid UTF-8 in one fragment."
                exp = exp_bad
            register(f"6.{i}.{j}", DESCRIPTION=f"{desc} Payload: 0x{payload.hex()}", EXPECTATION=exp,
                     on_open=message(payload, valid=valid, kill=0.5))


# --- 7 Close handling ---

def _section7() -> None:
    def clean(code=CLOSE_NORMAL):
        return {"closedByMe": True, "closeCode": [CLOSE_NORMAL] if code == CLOSE_NORMAL else [CLOSE_NORMAL, code],
                "requireClean": True}

    def c7_1_1(self):
        payload = b"Hello World!"
        self.expected[OK] = [("message", payload, False)]
        self.expected_close = clean()
        self.p.send_frame(1, payload)
        self.p.kill_after(1)
    register("7.1.1", WrongCodeFails, DESCRIPTION="Send a message followed by a close frame",
             EXPECTATION="Echoed message followed by clean close with normal code.", on_open=c7_1_1)

    def after_close(first_fragment, extra_opcode, extra_payload, extra_fin=True):
        def init(self):
            self.suppress_close = True

        def on_open(self):
            self.expected[OK] = []
            self.expected_close = clean()
            if first_fragment:
                self.p.send_frame(1, b"fragment1", fin=False)
            self.p.send_close(CLOSE_NORMAL)
            self.p.send_frame(extra_opcode, extra_payload, fin=extra_fin)
            self.p.kill_after(1)
        return {"init": init, "on_open": on_open}
    register("7.1.2", WrongCodeFails, DESCRIPTION="Send two close frames",
             EXPECTATION="Clean close with normal code. Second close frame ignored.", **after_close(False, 8, b""))
    register("7.1.3", WrongCodeFails, DESCRIPTION="Send a ping after close message",
             EXPECTATION="Clean close with normal code, no pong.", **after_close(False, 9, b""))
    register("7.1.4", WrongCodeFails, DESCRIPTION="Send text message after sending a close frame.",
             EXPECTATION="Clean close with normal code. Text message ignored.",
             **after_close(False, 1, b"Hello World!"))
    register("7.1.5", WrongCodeFails, DESCRIPTION="Send message fragment1 followed by close then fragment",
             EXPECTATION="Clean close with normal code.", **after_close(True, 0, b"fragment2"))

    class Case7_1_6(Informational):
        def init(self):
            self.suppress_close = True

        def on_open(self):
            payload = b"Hello World!"
            self.expected[OK] = [("message", payload, False)]
            self.expected[NON_STRICT] = []
            self.expected_close = clean()
            self.p.send_frame(1, b"BAsd7&jh23", payload_len=256 * 2 ** 10)
            self.p.send_frame(1, payload)
            self.p.send_close(CLOSE_NORMAL)
            self.p.send_frame(9)
            self.p.kill_after(1)

        def on_connection_lost(self):
            super().on_connection_lost()
            if self.behavior == OK:
                self.result = "Text message was processed before close."
            elif self.behavior == NON_STRICT:
                self.result = "Close was processed before text message could be returned."
            else:
                self.result = "Echoed: " + ", ".join(describe_event(e) for e in self.received)
    register("7.1.6", Case7_1_6, DESCRIPTION="Send 256K message followed by close then a ping",
             EXPECTATION="Case outcome depends on implementation defined close behavior.")

    def close_with(code, reason, expected_codes, require_clean):
        def init(self):
            self.suppress_close = True

        def on_open(self):
            self.expected[OK] = []
            self.expected_close = {"closedByMe": True, "closeCode": expected_codes, "requireClean": require_clean}
            self.p.send_close_frame(code, reason)
            self.p.kill_after(1)
        return {"init": init, "on_open": on_open}
    register("7.3.1", WrongCodeFails, DESCRIPTION="Send a close frame with payload length 0 (no close code, no "
             "close reason)", EXPECTATION="Clean close with normal code.",
             **close_with(None, None, [CLOSE_NORMAL], True))
    register("7.3.2", WrongCodeFails, DESCRIPTION="Send a close frame with payload length 1",
             EXPECTATION="Clean close with protocol error or drop TCP.",
             **close_with(None, b"a", [CLOSE_PROTOCOL_ERROR], False))
    register("7.3.3", WrongCodeFails, DESCRIPTION="Send a close frame with payload length 2 (regular close with a "
             "code)", EXPECTATION="Clean close with normal code.", **close_with(CLOSE_NORMAL, None, [CLOSE_NORMAL], True))
    register("7.3.4", WrongCodeFails, DESCRIPTION="Send a close frame with close code and close reason",
             EXPECTATION="Clean close with normal code.",
             **close_with(CLOSE_NORMAL, b"Hello World!", [CLOSE_NORMAL], True))
    register("7.3.5", WrongCodeFails, DESCRIPTION="Send a close frame with close code and close reason of maximum "
             "length (123)", EXPECTATION="Clean close with normal code.",
             **close_with(CLOSE_NORMAL, b"*" * 123, [CLOSE_NORMAL], True))
    register("7.3.6", WrongCodeFails, DESCRIPTION="Send a close frame with close code and close reason which is too "
             "long (124) - total frame payload 126 octets", EXPECTATION="Clean close with protocol error code or "
             "dropped TCP connection.", **close_with(CLOSE_NORMAL, b"*" * 124, [CLOSE_PROTOCOL_ERROR], False))
    register("7.5.1", WrongCodeFails, DESCRIPTION="Send a close frame with invalid UTF8 payload",
             EXPECTATION="Clean close with protocol error or invalid utf8 code or dropped TCP.",
             **close_with(CLOSE_NORMAL, VSS + bytes.fromhex("eda080") + b"edited",
                          [CLOSE_PROTOCOL_ERROR, CLOSE_INVALID_PAYLOAD], False))
    for i, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], 1):
        register(f"7.7.{i}", WrongCodeFails, DESCRIPTION=f"Send close with valid close code {code}",
                 EXPECTATION="Clean close with normal or echoed code",
                 **close_with(code, None, [CLOSE_NORMAL, code], True))
    for i, code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999], 1):
        register(f"7.9.{i}", WrongCodeFails, DESCRIPTION=f"Send close with invalid close code {code}",
                 EXPECTATION="Clean close with protocol error code or drop TCP",
                 **close_with(code, None, [CLOSE_PROTOCOL_ERROR], False))
    for i, code in enumerate([5000, 65535], 1):
        register(f"7.13.{i}", Informational, DESCRIPTION=f"Send close with close code {code}",
                 EXPECTATION="Actual events are undefined by the spec.",
                 **close_with(code, None, [CLOSE_NORMAL, code, CLOSE_PROTOCOL_ERROR], False))


# --- 9 Limits/Performance ---

class Big(Case):
    """9.1-9.6: one big message, echoed exactly (Autobahn checks only the length; we check every byte)."""
    LIMIT = 30.0
    BINARY = False
    DATALEN = 0
    PATTERN = b""
    FRAGSIZE: int | None = None
    CHOPSIZE: int | None = None
    QUICK_DIVISOR = 16

    def init(self):
        self.length = self.DATALEN // self.QUICK_DIVISOR if self.quick else self.DATALEN
        self.payload = repeat_to(self.PATTERN, self.length)
        self.reportTime = True

    def on_open(self):
        self.behavior = FAILED
        expect_normal_close(self)
        self.result = "Did not receive the message in time."
        opcode = 2 if self.BINARY else 1
        if self.FRAGSIZE:
            self.p.send_message(self.payload, binary=self.BINARY, fragment_size=min(self.FRAGSIZE, self.length))
        else:
            self.p.send_frame(opcode, self.payload, chopsize=self.CHOPSIZE)

    def on_message(self, payload, binary):
        kind = "binary" if self.BINARY else "text"
        if binary != self.BINARY:
            self.result = f"Expected {kind} message with payload, but got {'binary' if binary else 'text'}."
        elif len(payload) != self.length:
            self.result = f"Expected {kind} message with payload of length {self.length}, but got {len(payload)}."
        elif payload != self.payload:
            first = next(i for i in range(len(payload)) if payload[i] != self.payload[i])
            self.result = f"Echo differs from what was sent, first at offset {first}."
        else:
            self.behavior = OK
            self.result = f"Received {kind} message of length {len(payload)}."
        self.p.send_close(CLOSE_NORMAL)


class RoundTrips(Case):
    """9.7/9.8: COUNT messages, each sent when the previous one came back."""
    LIMIT = 30.0
    LEN = 0
    COUNT = 1000
    BINARY = False

    def on_open(self):
        self.count_total = max(self.COUNT // 10, 1) if self.quick else self.COUNT
        self.behavior = FAILED
        expect_normal_close(self)
        self.result = "Case did not finish in time."
        self.count = 0
        self.payload = (b"\xfe" if self.BINARY else b"*") * self.LEN
        self.send_one()

    def send_one(self):
        self.p.send_frame(2 if self.BINARY else 1, self.payload)
        self.count += 1

    def on_message(self, payload, binary):
        if binary != self.BINARY or payload != self.payload:
            self.behavior = FAILED
            self.result = (f"Echo'ed message type or payload differs from what I sent (got binary = {binary}, "
                           f"payload length = {len(payload)}).")
            self.p.send_close(CLOSE_NORMAL)
        elif self.count < self.count_total:
            self.send_one()
        else:
            self.behavior = OK
            self.result = f"Ok, received all {self.count_total} echo'ed messages in time."
            self.p.send_close(CLOSE_NORMAL)


def _section9() -> None:
    K, M = 2 ** 10, 2 ** 20
    sizes = [64 * K, 256 * K, 1 * M, 4 * M, 8 * M, 16 * M]
    names = ["64k", "256k", "1M", "4M", "8M", "16M"]
    for i, (n, name) in enumerate(zip(sizes, names), 1):
        register(f"9.1.{i}", Big, DATALEN=n, PATTERN=b"BAsd7&jh23",
                 DESCRIPTION=f"Send text message message with payload of length {name}.",
                 EXPECTATION="Receive echo'ed text message (with payload as sent).")
    for i, (n, name) in enumerate(zip(sizes, names), 1):
        register(f"9.2.{i}", Big, DATALEN=n, PATTERN=b"\x00\xfe\x23\xfa\xf0", BINARY=True,
                 DESCRIPTION=f"Send binary message message with payload of length {name}.",
                 EXPECTATION="Receive echo'ed binary message (with payload as sent).")
    frags = [64, 256, 1 * K, 4 * K, 16 * K, 64 * K, 256 * K, 1 * M, 4 * M]
    fnames = ["64", "256", "1k", "4k", "16k", "64k", "256k", "1M", "4M"]
    for sub, binary in ((3, False), (4, True)):
        kind = "binary" if binary else "text"
        for i, (f, fname) in enumerate(zip(frags, fnames), 1):
            # Autobahn sends 9.4.1 as 0xfe octets and the rest of 9.4 as '*'.
            pattern = b"\xfe" if (binary and i == 1) else b"*"
            register(f"9.{sub}.{i}", Big, DATALEN=4 * M, FRAGSIZE=f, PATTERN=pattern, BINARY=binary,
                     DESCRIPTION=f"Send fragmented {kind} message message with message payload of length 4M. "
                                 f"Sent out in fragments of {fname}.",
                     EXPECTATION=f"Receive echo'ed {kind} message (with payload as sent).")
    chops = [64, 128, 256, 512, 1024, 2048]
    for sub, binary, pattern in ((5, False, b"BAsd7&jh23"), (6, True, b"\x00\xfe\x23\xfa\xf0")):
        kind = "binary" if binary else "text"
        for i, c in enumerate(chops, 1):
            register(f"9.{sub}.{i}", Big, DATALEN=1 * M, CHOPSIZE=c, PATTERN=pattern, BINARY=binary,
                     DESCRIPTION=f"Send {kind} message message with payload of length 1M. Sent out data in chops "
                                 f"of {c} octets.",
                     EXPECTATION=f"Receive echo'ed {kind} message (with payload as sent).")
    for sub, binary in ((7, False), (8, True)):
        kind = "binary" if binary else "text"
        for i, n in enumerate([0, 16, 64, 256, 1024, 4096], 1):
            register(f"9.{sub}.{i}", RoundTrips, LEN=n, BINARY=binary,
                     DESCRIPTION=f"Send 1000 {kind} messages of payload size {n} to measure implementation/network "
                                 "RTT (round trip time) / latency.",
                     EXPECTATION=f"Receive echo'ed {kind} messages (with payload as sent).")


# --- 10 Auto-Fragmentation ---

def _section10() -> None:
    class Case10_1_1(Case):
        def on_open(self):
            self.payload = b"*" * 65536
            self.p.auto_fragment_size = 1300
            self.expected[OK] = [("message", self.payload, False)]
            expect_normal_close(self)
            self.p.send_message(self.payload)
            self.p.kill_after(10)

        def on_connection_lost(self):
            super().on_connection_lost()
            want = {0: len(self.payload) // 1300, 1: 1 if len(self.payload) % 1300 else 0}
            got = {0: self.p.tx_frames.get(0, 0), 1: self.p.tx_frames.get(1, 0)}
            if want != got:
                self.behavior = FAILED
                self.result = f"Frames transmitted {got} does not match what we expected {want}."
    register("10.1.1", Case10_1_1, DESCRIPTION="Send text message with payload of length 65536 auto-fragmented "
             "with autoFragmentSize = 1300.", EXPECTATION="Receive echo'ed text message (with payload as sent and "
             "transmitted frame counts as expected). Clean close with normal code.")


# --- 12/13 permessage-deflate ---

MSG_SIZES = [  # (payload length, message count, autofragment size), Autobahn's MSG_SIZES
    (16, 1000, 0), (64, 1000, 0), (256, 1000, 0), (1024, 1000, 0), (4096, 1000, 0), (8192, 1000, 0),
    (16384, 1000, 0), (32768, 1000, 0), (65536, 1000, 0), (131072, 1000, 0),
    (8192, 1000, 256), (16384, 1000, 256), (32768, 1000, 256), (65536, 1000, 256), (131072, 1000, 256),
    (131072, 1000, 1024), (131072, 1000, 4096), (131072, 1000, 32768),
]
QUICK_PMD_COUNT = 20


def _rng(seed: str) -> random.Random:
    return random.Random(hashlib.sha256(seed.encode()).digest())


def data_json() -> str:
    """Like Autobahn's data1.json (a test report, 194 KB): JSON text with a little non-ASCII."""
    r = _rng("json")
    agents = ["AutobahnPython/0.6.0", "kstlib-swift/1.0", "Ågent µWS/2.1", "libwebsockets/4.1.6", "Ölberg/0.3"]
    behaviors = ["OK", "OK", "OK", "NON-STRICT", "FAILED", "INFORMATIONAL"]
    report: dict = {}
    for agent in agents:
        cases = {}
        for cls in CASES[:190]:
            cases[cls.ID] = {"behavior": r.choice(behaviors), "behaviorClose": r.choice(["OK", "OK", "WRONG CODE"]),
                             "duration": r.randint(0, 3000), "remoteCloseCode": r.choice([1000, 1002, 1007, None]),
                             "reportfile": f"{agent.lower().replace('/', '_')}_case_{cls.ID.replace('.', '_')}.json"}
        report[agent] = cases
    return json.dumps(report, indent=3, ensure_ascii=False)


def data_bitmap() -> bytes:
    """Like lena512.bmp (263 KB): a 512x512 8-bit grey bitmap with smooth shapes and noise."""
    r = _rng("bitmap")
    w = h = 512
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
    header = b"BM" + struct.pack("<IHHI", 14 + 40 + 1024 + w * h, 0, 0, 14 + 40 + 1024)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 0, w * h, 2835, 2835, 256, 256)
    rows = []
    for y in range(h):
        row = bytearray(w)
        for x in range(w):
            v = 128 + 55 * math.sin(x / 23.0 + y / 71.0) + 45 * math.cos(y / 17.0) * math.sin(x / 97.0)
            row[x] = max(0, min(255, int(v + r.gauss(0, 6))))
        rows.append(bytes(row))
    return header + info + palette + b"".join(rows)


def data_german_text() -> bytes:
    """Like pg2229.txt (Goethe's Faust, 222 KB): German verse, UTF-8, sent as binary."""
    r = _rng("faust")
    words = ("ich du er sie es wir ihr und oder aber doch nicht nun schon noch wohl ach weh Herz Geist Welt Natur "
             "Himmel Erde Nacht Tag Licht Schatten Liebe Leben Tod Seele Wissen Kunst Gott Teufel Mensch Zeit "
             "Stunde Augenblick verweile bist schön möchte wüßte fühlt glüht träumt schwört über für Mädchen "
             "Gretchen Faust Mephistopheles Schüler Wagner Bürger Straße Kirche Brunnen Garten Höhle Wald Blätter "
             "Flüsse Göttin Träne Glück Unglück Schmerz Freude Müh Sorge Größe heißt weiß Spaß Fuß süß groß").split()
    speakers = ["FAUST.", "MEPHISTOPHELES.", "MARGARETE.", "WAGNER.", "CHOR DER ENGEL.", "MARTHE."]
    out = []
    size = 0
    while size < 222000:
        lines = [r.choice(speakers)]
        for _ in range(r.randint(2, 8)):
            n = r.randint(4, 9)
            line = " ".join(r.choice(words) for _ in range(n))
            lines.append(line[0].upper() + line[1:] + r.choice([",", ".", "!", "?", ";", ""]))
        block = "\n".join(lines) + "\n\n"
        out.append(block)
        size += len(block.encode())
    return "".join(out).encode()


def data_html() -> str:
    """Like data1.html (264 KB): an HTML report page, CSS plus a big table."""
    r = _rng("html")
    head = ("<!DOCTYPE html>\n<html>\n   <head>\n      <meta charset=\"utf-8\" />\n      <style lang=\"css\">\n"
            "body {\n   background-color: #F4F4F4;\n   color: #333;\n   font-family: Segoe UI,Tahoma,Arial,Verdana,"
            "sans-serif;\n}\n.case_ok { background-color: #0a0; }\n.case_failed { background-color: #900; }\n"
            "      </style>\n   </head>\n   <body>\n      <table id=\"agent_case_results\">\n")
    rows = []
    size = len(head)
    i = 0
    while size < 263000:
        cid = CASES[i % len(CASES)].ID
        res = r.choice(["Pass", "Pass", "Pass", "Non-Strict", "Fail", "Info"])
        cls = {"Pass": "case_ok", "Fail": "case_failed"}.get(res, "case_info")
        row = (f"         <tr class=\"agent_case_result_row\">\n            <td class=\"case\"><a href=\"#case_desc_"
               f"{cid.replace('.', '_')}\">Case {cid}</a></td>\n            <td class=\"{cls}\"><a href=\"agent_"
               f"case_{cid.replace('.', '_')}.html\">{res}</a><br/><span class=\"case_duration\">{r.randint(0, 999)}"
               f" ms</span></td><td class=\"close close_hide {cls}\"><span class=\"close_code\">"
               f"{r.choice([1000, 1002, 1007])}</span></td>\n         </tr>\n")
        rows.append(row)
        size += len(row)
        i += 1
    return head + "".join(rows) + "      </table>\n   </body>\n</html>\n"


def data_pdf() -> bytes:
    """Like the 1 MB PDF: text objects mixed with incompressible (already compressed) streams."""
    r = _rng("pdf")
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    size = 0
    n = 1
    while size < 1042000:
        if r.random() < 0.5:
            stream = r.randbytes(r.randint(2000, 12000))
            obj = (b"%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % (n, len(stream))) + stream + \
                b"\nendstream\nendobj\n"
        else:
            text = " ".join(f"({w}) Tj" for w in r.choices(["WebSocket", "protocol", "latency", "frame", "the",
                                                               "of", "and", "message", "server", "client"], k=300))
            obj = (b"%d 0 obj\n<< /Type /Page /Contents [ BT /F1 12 Tf 72 712 Td " % n) + text.encode() + \
                b" ET ] >>\nendobj\n"
        out.append(obj)
        size += len(obj)
        n += 1
    out.append(b"trailer\n<< /Size %d >>\n%%%%EOF\n" % n)
    return b"".join(out)


TESTDATA_SPECS = [  # Autobahn's WS_COMPRESSION_TESTDATA_KEYS order
    ("json_data1", "Large JSON data file", False, data_json),
    ("lena512", "Bitmap 512x512 grey (synthetic)", True, data_bitmap),
    ("gutenberg_faust", "Human readable text, German verse (synthetic)", True, data_german_text),
    ("html_data1", "Large HTML file", False, data_html),
    ("ooms", "A larger PDF-like file (synthetic)", True, data_pdf),
]
_TESTDATA_CACHE: dict[str, object] = {}


def testdata(name: str):
    if name not in _TESTDATA_CACHE:
        fn = next(s[3] for s in TESTDATA_SPECS if s[0] == name)
        _TESTDATA_CACHE[name] = fn()
    return _TESTDATA_CACHE[name]


class Compressed(Case):
    """12.x/13.x: COUNT messages through permessage-deflate, each echo checked by SHA-1."""
    LIMIT = 120.0
    LEN = 0
    COUNT = 1000
    AUTOFRAGSIZE = 0
    DATA = "json_data1"
    BINARY = False

    def init(self):
        self.count_total = QUICK_PMD_COUNT if self.quick else self.COUNT
        self.ptr = 0
        self.data = testdata(self.DATA)

    def on_open(self):
        expect_normal_close(self)
        self.p.auto_fragment_size = self.AUTOFRAGSIZE
        if self.p.pmd is None:
            self.behavior = UNIMPLEMENTED
            self.result = "permessage-deflate was not negotiated"
            self.p.send_close(CLOSE_NORMAL)
            return
        self.behavior = FAILED
        self.result = "Case did not finish in time."
        self.count = 0
        self.send_one()

    def send_one(self):
        data = self.data
        if self.LEN > 0:
            a = self.ptr
            b = (self.ptr + self.LEN) % len(data)
            msg = data[a:b] if b > a else data[a:] + data[:b]
            self.ptr = b
        else:
            msg = data[:0]
        if isinstance(msg, str):
            msg = msg.encode()
        self.expected_hash = hashlib.sha1(msg).digest()
        self.expected_len = len(msg)
        self.p.send_message(msg, binary=self.BINARY)
        self.count += 1

    def on_message(self, payload, binary):
        digest = hashlib.sha1(payload).digest()
        if binary != self.BINARY or len(payload) != self.expected_len or digest != self.expected_hash:
            self.behavior = FAILED
            if binary != self.BINARY:
                self.result = f"Echo'ed message type differs (got binary {binary}, expected {self.BINARY})."
            elif len(payload) != self.expected_len:
                self.result = f"Echo'ed message length differs (got {len(payload)}, expected {self.expected_len})."
            else:
                self.result = f"Echo'ed message contents differ (SHA1 {digest.hex()}, expected " \
                              f"{self.expected_hash.hex()})."
            self.p.send_close(CLOSE_NORMAL)
        elif self.count < self.count_total:
            self.send_one()
        else:
            self.behavior = OK
            self.result = f"Ok, received all {self.count_total} echo'ed messages in time."
            self.p.send_close(CLOSE_NORMAL)


# 13.N: the permessage-deflate answer (Autobahn's DEFLATE_PARAMS, see the module docstring).
# (server_no_context_takeover, server_max_window_bits, client_no_context_takeover, client_max_window_bits)
PMD_13 = [
    ("server accepts the offer as is", False, 0, False, 0),
    ("server_no_context_takeover; client_no_context_takeover", True, 0, True, 0),
    ("server_max_window_bits=9; client_max_window_bits=9", False, 9, False, 9),
    ("server_max_window_bits=15; client_max_window_bits=15", False, 15, False, 15),
    ("no context takeover and max_window_bits=9 for both sides", True, 9, True, 9),
    ("no context takeover and max_window_bits=15 for both sides", True, 15, True, 15),
    ("asymmetric: client_no_context_takeover; client_max_window_bits=9 (server keeps its context, 15 bits)",
     False, 0, True, 9),
]


def _sections12_13() -> None:
    for j, (name, desc, binary, _) in enumerate(TESTDATA_SPECS, 1):
        SUBCATEGORIES[f"12.{j}"] = f"{desc} ({'binary' if binary else 'utf8'})"
        for i, (n, count, frag) in enumerate(MSG_SIZES, 1):
            register(f"12.{j}.{i}", Compressed, LEN=n, COUNT=count, AUTOFRAGSIZE=frag, DATA=name, BINARY=binary,
                     PMD={"snct": False, "sbits": 0, "cnct": False, "cbits": 0},
                     DESCRIPTION=f"Send {count} compressed messages each of payload size {n}, auto-fragment to "
                                 f"{frag} octets. Use default permessage-deflate offer.",
                     EXPECTATION="Receive echo'ed messages (with payload as sent).")
    for j, (desc, snct, sbits, cnct, cbits) in enumerate(PMD_13, 1):
        SUBCATEGORIES[f"13.{j}"] = f"Large JSON data file (utf8) - {desc}"
        for i, (n, count, frag) in enumerate(MSG_SIZES, 1):
            register(f"13.{j}.{i}", Compressed, LEN=n, COUNT=count, AUTOFRAGSIZE=frag, DATA="json_data1",
                     BINARY=False, PMD={"snct": snct, "sbits": sbits, "cnct": cnct, "cbits": cbits},
                     DESCRIPTION=f"Send {count} compressed messages each of payload size {n}, auto-fragment to "
                                 f"{frag} octets. permessage-deflate answer: {desc}.",
                     EXPECTATION="Receive echo'ed messages (with payload as sent).")


for _build in (_section1, _section2, _section3, _section4, _section5, _section6, _section7, _section9,
               _section10, _sections12_13):
    _build()
assert len(CASES) == 517, len(CASES)


def describe_event(e: tuple) -> str:
    if e[0] == "message":
        return f"{'binary' if e[2] else 'text'} message {len(e[1])} B ({short(e[1], 12)})"
    if e[0] in ("ping", "pong"):
        return f"{e[0]} {len(e[1])} B ({short(e[1], 12)})"
    return f"{e[0]} {e[1]}"


# ----------------------------------------------------------------------------------------------
# Running a case: the client process, the connection, the verdict
# ----------------------------------------------------------------------------------------------

class CaseRun:
    def __init__(self, index: int, cls: type[Case], quick: bool):
        self.index, self.cls, self.quick = index, cls, quick
        self.connected = asyncio.get_running_loop().create_future()
        self.done = asyncio.Event()
        self.peer: Peer | None = None
        self.case: Case | None = None
        self.notes: list[str] = []
        self.handshake_error: str | None = None
        self.offer: str | None = None
        self.answer: str | None = None
        self.limit = cls.LIMIT if not quick else min(cls.LIMIT, 60.0)
        # results
        self.verdict = FAILED
        self.reason = ""
        self.exit_code: int | None = None
        self.printed_close = ""
        self.stdout = ""
        self.stderr = ""
        self.duration = 0.0

    def note(self, text: str) -> None:
        self.notes.append(text)

    async def handle(self, reader, writer, request: dict) -> None:
        """Called by the server for the connection on /case/<index>."""
        if self.connected.done():
            writer.close()
            return
        self.connected.set_result(True)
        offer = request.get("sec-websocket-extensions")
        self.offer = offer
        key = request.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        peer = Peer(reader, writer, self)
        self.peer = peer
        headers = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                   f"Sec-WebSocket-Accept: {accept}"]
        if self.cls.PMD is not None and offer:
            answer, deflate = negotiate(offer, self.cls.PMD)
            if answer:
                headers.append(f"Sec-WebSocket-Extensions: {answer}")
                peer.pmd = deflate
                self.answer = answer
        writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
        self.case = self.cls(peer, self.quick)
        peer.case = self.case
        await peer.serve(self.limit)
        self.done.set()


def negotiate(offer_header: str, pmd: dict) -> tuple[str | None, Deflate | None]:
    """Accepts the client's first permessage-deflate offer with this case's parameters, or declines
    (Autobahn's accept functions: a client_max_window_bits answer needs it in the offer)."""
    for name, params in parse_extensions(offer_header):
        if name != "permessage-deflate":
            continue
        if pmd["cbits"] and "client_max_window_bits" not in params:
            continue
        answer = ["permessage-deflate"]
        snct = pmd["snct"] or "server_no_context_takeover" in params
        sbits = pmd["sbits"]
        if not sbits and params.get("server_max_window_bits"):
            sbits = int(params["server_max_window_bits"])
        if snct:
            answer.append("server_no_context_takeover")
        if sbits:
            answer.append(f"server_max_window_bits={sbits}")
        if pmd["cnct"]:
            answer.append("client_no_context_takeover")
        if pmd["cbits"]:
            answer.append(f"client_max_window_bits={pmd['cbits']}")
        return "; ".join(answer), Deflate(sbits or 15, snct, pmd["cbits"] or 15, pmd["cnct"])
    return None, None


class Server:
    def __init__(self):
        self.runs: dict[str, CaseRun] = {}
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self, port: int) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", port, limit=2 ** 20)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except Exception:
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        path = parts[1] if len(parts) >= 3 else ""
        request = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                k = k.strip().lower()
                request[k] = (request[k] + ", " + v.strip()) if k in request else v.strip()
        run = self.runs.get(path.split("?")[0])
        problems = []
        if parts[0] != "GET":
            problems.append(f"method {parts[0]}")
        if request.get("upgrade", "").lower() != "websocket":
            problems.append("no Upgrade: websocket")
        if "upgrade" not in request.get("connection", "").lower():
            problems.append("no Connection: Upgrade")
        if request.get("sec-websocket-version") != "13":
            problems.append(f"Sec-WebSocket-Version {request.get('sec-websocket-version')!r}")
        key = request.get("sec-websocket-key", "")
        try:
            if len(base64.b64decode(key, validate=True)) != 16:
                problems.append("bad Sec-WebSocket-Key")
        except Exception:
            problems.append("bad Sec-WebSocket-Key")
        if run is None or problems:
            status = "404 Not Found" if run is None else "400 Bad Request"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            try:
                await writer.drain()
            finally:
                writer.close()
            if run is not None and not run.connected.done():
                run.handshake_error = "bad opening handshake: " + ", ".join(problems)
                run.connected.set_result(False)
            return
        await run.handle(reader, writer, request)


def parse_printed_close(stdout: str) -> str:
    for line in reversed(stdout.splitlines()):
        m = re.match(r"closed: (.*?) after (\d+) messages", line)
        if m:
            return line.strip()
    return ""


async def run_case(server: Server, index: int, cls: type[Case], args) -> CaseRun:
    run = CaseRun(index, cls, args.quick)
    path = f"/case/{index}"
    server.runs[path] = run
    started = time.monotonic()
    url = f"ws://127.0.0.1:{server.port}{path}"
    proc = await asyncio.create_subprocess_exec(
        args.client, url, *args.client_arg, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    output = asyncio.create_task(proc.communicate())
    killed_by_us = False
    exit_wait_failed = False
    try:
        waiter = asyncio.ensure_future(run.connected)
        finished, _ = await asyncio.wait({waiter, output}, timeout=CONNECT_TIMEOUT,
                                         return_when=asyncio.FIRST_COMPLETED)
        if waiter in finished and waiter.result():
            await run.done.wait()
        elif waiter not in finished:
            if output in finished:
                run.handshake_error = "the client exited without opening a connection"
            else:
                run.handshake_error = f"the client did not connect within {CONNECT_TIMEOUT:.0f} s"
            waiter.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(output), PROCESS_EXIT_GRACE)
        except asyncio.TimeoutError:
            exit_wait_failed = True
            killed_by_us = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        out, err = await output
    finally:
        if proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await proc.wait()
        del server.runs[path]
    run.duration = time.monotonic() - started
    run.exit_code = proc.returncode
    run.stdout = out.decode("utf-8", "replace")
    run.stderr = err.decode("utf-8", "replace")
    run.printed_close = parse_printed_close(run.stdout)
    judge(run, killed_by_us, exit_wait_failed)
    return run


def client_close_summary(p: Peer) -> str:
    if p.close_received:
        raw = p.remote_close_raw or b""
        if len(raw) >= 2:
            reason = raw[2:]
            txt = reason.decode("utf-8", "replace")
            return f"client close {p.remote_close_code}" + (f" {txt!r}" if reason else "")
        return f"client close with {len(raw)}-byte payload ({short(raw)})"
    if p.client_eof:
        return "client dropped TCP without a close frame"
    if p.timed_out:
        return "client sent no close"
    return "client sent no close frame"


def judge(run: CaseRun, killed_by_us: bool, exit_wait_failed: bool) -> None:
    case, p = run.case, run.peer
    facts = []
    if case is not None and p is not None:
        case.on_connection_lost()
        events = ", ".join(describe_event(e) for e in case.received if e[0] != "timeout") or "nothing"
        facts.append(f"received: {events}")
        facts.append(client_close_summary(p))
        if p.close_sent and p.closed_by_me:
            facts.append("server closed first")
        if run.cls.PMD is not None:
            facts.append(f"extension: {run.answer or 'none'}; client frames compressed: {p.rx_compressed}"
                         f"/{p.rx_messages}")
    if run.exit_code is not None:
        facts.append(f"exit {run.exit_code}")
    fact_text = "; ".join(facts)

    def set_(verdict, reason):
        run.verdict = verdict
        run.reason = reason + (f" [{fact_text}]" if fact_text else "")

    if run.exit_code is not None and run.exit_code < 0 and not killed_by_us:
        return set_(FAILED, f"client crashed (signal {-run.exit_code})")
    if exit_wait_failed:
        return set_(FAILED, f"client still running {PROCESS_EXIT_GRACE:.0f} s after the connection ended (killed)")
    if case is None or p is None:
        return set_(FAILED, run.handshake_error or "no WebSocket connection")
    if run.notes:
        return set_(FAILED, "; ".join(run.notes))
    if p.timed_out:
        return set_(FAILED, f"case did not finish within {run.limit:.0f} s ({case.result})")
    if case.informational:
        extra = ("; the server saw: " + "; ".join(p.violations)) if p.violations else ""
        return set_(INFORMATIONAL, case.result + extra)
    if p.violations:
        return set_(FAILED, "client protocol violation: " + "; ".join(p.violations))
    if case.behavior == UNIMPLEMENTED:
        return set_(FAILED, f"UNIMPLEMENTED: {case.result} (offer {run.offer!r})")
    if p.killed_by_timer:
        if case.expected_close.get("closedByMe") and p.close_sent:
            return set_(FAILED, "client neither answered the server's close nor dropped the connection")
        if not case.expected_close.get("closedByMe"):
            return set_(FAILED, "client did not fail the connection; the server dropped it")
        return set_(FAILED, f"server had to drop the connection: {case.result}")
    if case.behavior == FAILED:
        return set_(FAILED, case.result)
    if case.behavior_close == FAILED:
        return set_(FAILED, case.result_close)
    if case.behavior_close == UNCLEAN:
        return set_(FAILED, "no closing handshake where RFC 6455 requires one (UNCLEAN)")
    if case.behavior_close == WRONG_CODE:
        if p.remote_close_code == CLOSE_NORMAL:
            return set_(FAILED, f"closed normally (1000) instead of failing the connection: {case.result_close}")
        return set_(NON_STRICT, f"WRONG CODE: {case.result_close}")
    if not case.expected_close.get("requireClean", True) and not p.close_received:
        return set_(NON_STRICT, "failed the connection by dropping TCP without a close frame")
    if case.behavior == NON_STRICT:
        return set_(NON_STRICT, case.result)
    set_(case.behavior, case.result)


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------

def select(patterns: str | None) -> list[tuple[int, type[Case]]]:
    chosen = []
    pats = [p.strip() for p in patterns.split(",")] if patterns else []
    for i, cls in enumerate(CASES, 1):
        if not pats or any(fnmatch.fnmatchcase(cls.ID, p) or cls.ID == p or cls.ID.startswith(p + ".")
                           for p in pats):
            chosen.append((i, cls))
    return chosen


def section_of(cid: str) -> str:
    return cid.split(".")[0]


SECTION_NAMES = {"1": "Framing", "2": "Pings/Pongs", "3": "Reserved Bits", "4": "Opcodes", "5": "Fragmentation",
                 "6": "UTF-8 Handling", "7": "Close Handling", "9": "Limits/Performance",
                 "10": "Auto-Fragmentation", "12": "WebSocket Compression (different payloads)",
                 "13": "WebSocket Compression (different parameters)"}


def case_line(run: CaseRun) -> str:
    return f"{run.cls.ID:<9} {run.verdict:<10} {run.duration:6.2f}s  {run.reason}"


def write_report(path: str, runs: list[CaseRun], args, elapsed: float) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# Autobahn client cases against `{os.path.basename(args.client)}`\n\n")
        f.write(f"{'quick' if args.quick else 'full'} run, {len(runs)} cases, {elapsed:.1f} s\n\n")
        f.write("| case | verdict | time | close printed by the client | exit | description | reason |\n")
        f.write("| --- | --- | --- | --- | --- | --- | --- |\n")
        for r in runs:
            f.write(f"| {r.cls.ID} | {r.verdict} | {r.duration:.2f} s | {cell(r.printed_close)} | {r.exit_code} | "
                    f"{cell(r.cls.DESCRIPTION)} | {cell(r.reason)} |\n")


async def main_async(args) -> int:
    chosen = select(args.cases)
    if args.exclude:
        excluded = {i for i, _ in select(args.exclude)}
        chosen = [(i, c) for i, c in chosen if i not in excluded]
    if not chosen:
        print("no case matches", file=sys.stderr)
        return 2
    if any(c.PMD is not None for _, c in chosen):
        for name, *_ in TESTDATA_SPECS:  # generate once, before any case runs
            testdata(name)
    server = Server()
    await server.start(args.port)
    print(f"fuzzingserver: ws://127.0.0.1:{server.port}/case/N, {len(chosen)} cases "
          f"({'quick' if args.quick else 'full'}), {args.jobs} at a time, client {args.client}", flush=True)
    started = time.monotonic()
    sem = asyncio.Semaphore(args.jobs)
    runs: dict[int, CaseRun] = {}

    async def one(i, cls):
        async with sem:
            run = await run_case(server, i, cls, args)
            runs[i] = run
            if args.verbose:
                print(case_line(run), flush=True)
            elif run.verdict == FAILED:
                print(f"FAILED {run.cls.ID}: {run.reason}", flush=True)

    await asyncio.gather(*(one(i, cls) for i, cls in chosen))
    elapsed = time.monotonic() - started
    server.server.close()
    ordered = [runs[i] for i, _ in chosen]

    if args.report:
        write_report(args.report, ordered, args, elapsed)

    sections: dict[str, list[CaseRun]] = {}
    for r in ordered:
        sections.setdefault(section_of(r.cls.ID), []).append(r)
    failed = [r for r in ordered if r.verdict == FAILED]
    if failed:
        print("\nFailed cases:")
        for r in failed:
            print(f"  {r.cls.ID}: {r.reason}")
            if args.verbose and r.stderr.strip():
                tail = r.stderr.strip().splitlines()[-3:]
                for line in tail:
                    print(f"      stderr: {line[:300]}")
    print()
    print(f"{'section':<48} {'cases':>5} {'ok':>5} {'non-strict':>10} {'info':>5} {'failed':>6} {'time':>8}")
    for sec, rs in sections.items():
        name = f"{sec} {SECTION_NAMES.get(sec, '')}"
        count = {v: sum(1 for r in rs if r.verdict == v) for v in (OK, NON_STRICT, INFORMATIONAL, FAILED)}
        print(f"{name:<48} {len(rs):>5} {count[OK]:>5} {count[NON_STRICT]:>10} {count[INFORMATIONAL]:>5} "
              f"{count[FAILED]:>6} {sum(r.duration for r in rs):>7.1f}s")
    passed = len(ordered) - len(failed)
    print(f"{'total':<48} {len(ordered):>5} {sum(r.verdict == OK for r in ordered):>5} "
          f"{sum(r.verdict == NON_STRICT for r in ordered):>10} {sum(r.verdict == INFORMATIONAL for r in ordered):>5} "
          f"{len(failed):>6} {elapsed:>7.1f}s wall")
    print(f"{passed} passed, {len(failed)} failed", flush=True)
    return 0 if not failed else 1


def main() -> int:
    ap = argparse.ArgumentParser(description="Autobahn|Testsuite client cases against an echo client.")
    ap.add_argument("--client", required=True, help="path of the echo client executable")
    ap.add_argument("--client-arg", action="append", default=[],
                    help="extra argument for the client (repeatable), e.g. --client-arg=--no-compression")
    ap.add_argument("--cases", help="comma-separated case ids or patterns, e.g. '1.*,7.9.*,9.1'")
    ap.add_argument("--exclude", help="comma-separated case ids or patterns to skip")
    ap.add_argument("--quick", action="store_true",
                    help="CI sizes: 9.x payloads / 16 (at most 1 MiB), 9.7-9.8 and 12-13 with fewer messages")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at the same time (default 2)")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    ap.add_argument("--verbose", action="store_true", help="print every case with its verdict and reason")
    ap.add_argument("--report", help="write a markdown table of every case to this file")
    ap.add_argument("--list", action="store_true", help="list the selected cases and exit")
    ap.add_argument("--ping-replies", choices=["everyPing", "oneAtATime"], default="everyPing",
                    help="what the client promises for a burst of pings (its LibWebSocketsRuntime.pingReplies): "
                         "with oneAtATime, 2.10/2.11 answered for some pings only are NON-STRICT, not FAILED")
    args = ap.parse_args()
    global PINGS_ONE_AT_A_TIME
    PINGS_ONE_AT_A_TIME = args.ping_replies == "oneAtATime"
    if args.list:
        for i, cls in select(args.cases):
            print(f"{i:4} {cls.ID:<9} {cls.DESCRIPTION}")
        return 0
    if not (os.path.isfile(args.client) and os.access(args.client, os.X_OK)):
        print(f"fuzzingserver: client {args.client!r} is not an executable file", file=sys.stderr)
        return 2
    args.jobs = max(1, args.jobs)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
