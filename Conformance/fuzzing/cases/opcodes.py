"""Section 4, reserved opcodes, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import expect_failure, register
from ..verdicts import NON_STRICT, OK


def register_cases() -> None:
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
