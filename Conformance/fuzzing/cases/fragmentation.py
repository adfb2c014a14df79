"""Section 5, fragmentation, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import expect_failure, expect_normal_close, register
from ..verdicts import NON_STRICT, OK


def register_cases() -> None:
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
