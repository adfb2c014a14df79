"""Section 1, framing: text and binary messages of 0-65536 bytes, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import expect_normal_close, register
from ..verdicts import OK


def register_cases() -> None:
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
