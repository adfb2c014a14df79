"""Running a case: the client process, the listening server, the opening handshake."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import signal
import socket
import time
from typing import TYPE_CHECKING

from .deflate import Deflate, parse_extensions
from .judge import judge
from .peer import Peer
from .timing import CONNECT_TIMEOUT, PROCESS_EXIT_GRACE
from .verdicts import FAILED
from .wire import GUID

if TYPE_CHECKING:
    from .case import Case


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
