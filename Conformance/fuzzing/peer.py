"""The server side of one connection (Autobahn's WebSocketProtocol, as far as the cases use it)."""
from __future__ import annotations

import asyncio
import struct
import zlib
from typing import TYPE_CHECKING

from .timing import CHOP_DELAY, MIN_KILL_AFTER, SYNC_DELAY
from .wire import CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR, VALID_CLOSE_CODES, frame_header, is_utf8, repeat_to, short, unmask

if TYPE_CHECKING:
    from .server import CaseRun


class ClientViolation(Exception):
    def __init__(self, what: str, code: int = CLOSE_PROTOCOL_ERROR):
        super().__init__(what)
        self.code = code


class Peer:
    OPEN, CLOSING, CLOSED = "open", "closing", "closed"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, run: CaseRun):
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
