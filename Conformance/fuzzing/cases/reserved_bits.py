"""Section 3, reserved bits set without an extension, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import expect_failure, register
from ..verdicts import NON_STRICT, OK


def register_cases() -> None:
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
