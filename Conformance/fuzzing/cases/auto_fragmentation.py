"""Section 10, auto-fragmentation, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import Case, expect_normal_close, register
from ..verdicts import FAILED, OK


def register_cases() -> None:
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
