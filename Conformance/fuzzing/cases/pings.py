"""Section 2, pings and pongs, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import expect_failure, expect_normal_close, register, settings
from ..verdicts import OK
from ..wire import CLOSE_NORMAL


def register_cases() -> None:
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
            self.pongs_for_some_pings = settings.pings_one_at_a_time
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
