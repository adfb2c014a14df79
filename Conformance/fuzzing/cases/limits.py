"""Section 9, limits and performance, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import Case, expect_normal_close, register
from ..verdicts import FAILED, OK
from ..wire import CLOSE_NORMAL, repeat_to


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
        else:
            self.send_next_or_pass()


def register_cases() -> None:
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
