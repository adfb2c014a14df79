"""Section 7, close handling, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import Informational, WrongCodeFails, register
from .utf8 import VSS
from ..judge import describe_event
from ..verdicts import NON_STRICT, OK
from ..wire import CLOSE_INVALID_PAYLOAD, CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR


def register_cases() -> None:
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
