"""Section 6, UTF-8 handling, as Autobahn|Testsuite plays them."""
from __future__ import annotations

from ..case import SUBCATEGORIES, expect_failure, expect_normal_close, register
from ..peer import Peer
from ..verdicts import NON_STRICT, OK
from ..wire import CLOSE_INVALID_PAYLOAD, frame_header, is_utf8


VSS = bytes.fromhex("cebae1bdb9cf83cebcceb5")  # "κόσμε"


def utf8_test_sequences() -> list[tuple[str, list[tuple[bool, bytes]]]]:
    """Autobahn's createUtf8TestSequences (Markus Kuhn's UTF-8 decoder stress test)."""
    h = bytes.fromhex
    seqs: list[tuple[str, list[tuple[bool, bytes]]]] = []
    seqs.append(("Some valid UTF-8 sequences", [
        (True, b"hello\x24world"), (True, b"hello\xc2\xa2world"), (True, b"hello\xe2\x82\xacworld"),
        (True, b"hello\xf0\xa4\xad\xa2world"), (True, VSS)]))
    seqs.append(("All prefixes of a valid UTF-8 string that contains multi-byte code points",
                 [(is_utf8(VSS[:i]), VSS[:i]) for i in range(1, len(VSS) + 1)]))
    seqs.append(("First possible sequence of a certain length", [
        (True, h("00")), (True, h("c280")), (True, h("e0a080")), (True, h("f0908080"))]))
    seqs.append(("First possible sequence length 5/6 (invalid codepoints)", [
        (False, h("f888808080")), (False, h("fc8480808080"))]))
    seqs.append(("Last possible sequence of a certain length", [
        (True, h("7f")), (True, h("dfbf")), (True, h("efbfbf")), (True, h("f48fbfbf"))]))
    seqs.append(("Last possible sequence length 4/5/6 (invalid codepoints)", [
        (False, h("f7bfbfbf")), (False, h("fbbfbfbfbf")), (False, h("fdbfbfbfbfbf"))]))
    seqs.append(("Other boundary conditions", [
        (True, h("ed9fbf")), (True, h("ee8080")), (True, h("efbfbd")), (True, h("f48fbfbf")),
        (False, h("f4908080"))]))
    seqs.append(("Unexpected continuation bytes", [
        (False, h("80")), (False, h("bf")), (False, h("80bf")), (False, h("80bf80")), (False, h("80bf80bf")),
        (False, h("80bf80bf80")), (False, h("80bf80bf80bf")), (False, bytes(range(0x80, 0xbf)))]))
    lonely = []
    for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb), (0xfc, 0xfd)):
        lonely.append((False, b"".join(bytes([i, 0x20]) for i in range(lo, hi))))
    seqs.append(("Lonely start characters", lonely))
    k = [h("c0"), h("e080"), h("f08080"), h("f8808080"), h("fc80808080"),
         h("df"), h("efbf"), h("f7bfbf"), h("fbbfbfbf"), h("fdbfbfbfbf")]
    seqs.append(("Sequences with last continuation byte missing", [(False, x) for x in k]))
    seqs.append(("Concatenation of incomplete sequences", [(False, b"".join(k))]))
    seqs.append(("Impossible bytes", [(False, h("fe")), (False, h("ff")), (False, h("fefeffff"))]))
    seqs.append(("Examples of an overlong ASCII character", [
        (False, h("c0af")), (False, h("e080af")), (False, h("f08080af")), (False, h("f8808080af")),
        (False, h("fc80808080af"))]))
    seqs.append(("Maximum overlong sequences", [
        (False, h("c1bf")), (False, h("e09fbf")), (False, h("f08fbfbf")), (False, h("f887bfbfbf")),
        (False, h("fc83bfbfbfbf"))]))
    seqs.append(("Overlong representation of the NUL character", [
        (False, h("c080")), (False, h("e08080")), (False, h("f0808080")), (False, h("f880808080")),
        (False, h("fc8080808080"))]))
    seqs.append(("Single UTF-16 surrogates", [(False, h(x)) for x in (
        "eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf")]))
    seqs.append(("Paired UTF-16 surrogates", [(False, h(x)) for x in (
        "eda080edb080", "eda080edbfbf", "edadbfedb080", "edadbfedbfbf",
        "edae80edb080", "edae80edbfbf", "edafbfedb080", "edafbfedbfbf")]))
    nonchars = [(True, h("efbfbe")), (True, h("efbfbf"))]
    for z1 in (0xf0, 0xf1, 0xf2, 0xf3, 0xf4):
        for z2 in (0x8f, 0x9f, 0xaf, 0xbf):
            if not (z1 == 0xf4 and z2 != 0x8f):
                for z3 in (0xbe, 0xbf):
                    zz = bytes([z1, z2, 0xbf, z3])
                    if zz not in (h("f08fbfbe"), h("f08fbfbf")):
                        nonchars.append((True, zz))
    seqs.append(("Non-character code points (valid UTF-8)", nonchars))
    seqs.append(("Unicode specials (i.e. replacement char)", [(True, h(x)) for x in (
        "efbfb9", "efbfba", "efbfbb", "efbfbc", "efbfbd", "efbfbe", "efbfbf")]))
    return seqs


def register_cases() -> None:
    def echo(payload, frames):
        def on_open(self):
            self.expected[OK] = [("message", payload, False)]
            expect_normal_close(self)
            for opcode, fin, part in frames:
                self.p.send_frame(opcode, part, fin=fin)
            self.p.close_after(1)
        return on_open

    register("6.1.1", DESCRIPTION="Send text message of length 0.",
             EXPECTATION="A message is echo'ed back to us (with empty payload).", on_open=echo(b"", [(1, True, b"")]))
    register("6.1.2", DESCRIPTION="Send fragmented text message, 3 fragments each of length 0.",
             EXPECTATION="A message is echo'ed back to us (with empty payload).",
             on_open=echo(b"", [(1, False, b""), (0, False, b""), (0, True, b"")]))
    mid = b"middle frame payload"
    register("6.1.3", DESCRIPTION="Send fragmented text message, 3 fragments, first and last of length 0, middle "
             "non-empty.", EXPECTATION="A message is echo'ed back to us (with payload = payload of middle fragment).",
             on_open=echo(mid, [(1, False, b""), (0, False, mid), (0, True, b"")]))

    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    p1, p2 = "Hello-µ@ßöä".encode(), "üàá-UTF-8!!".encode()

    def message(payload, fragment_size=None, valid=True, kill=None):
        def on_open(self):
            if valid:
                self.expected[OK] = [("message", payload, False)]
                expect_normal_close(self)
            else:
                self.expected[OK] = []
                expect_failure(self, CLOSE_INVALID_PAYLOAD, fatal=True)
            self.p.send_message(payload, binary=False, fragment_size=fragment_size)
            if kill is not None:
                self.p.kill_after(kill)
            else:
                self.p.close_after(1)
        return on_open

    register("6.2.1", DESCRIPTION="Send a valid UTF-8 text message in one fragment.",
             EXPECTATION="The message is echo'ed back to us.", on_open=message(hello))
    register("6.2.2", DESCRIPTION="Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code "
             "point boundary.", EXPECTATION="The message is echo'ed back to us.",
             on_open=echo(p1 + p2, [(1, False, p1), (0, True, p2)]))
    register("6.2.3", DESCRIPTION="Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames "
             "ending on positions which are not code point ends.", EXPECTATION="The message is echo'ed back to us.",
             on_open=message(hello, fragment_size=1))
    register("6.2.4", DESCRIPTION="Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames "
             "ending on positions which are not code point ends.", EXPECTATION="The message is echo'ed back to us.",
             on_open=message(VSS, fragment_size=1))

    bad = VSS + bytes.fromhex("eda080") + b"edited"
    exp_bad = "The connection is failed immediately, since the payload is not valid UTF-8."
    register("6.3.1", DESCRIPTION="Send invalid UTF-8 text message unfragmented.", EXPECTATION=exp_bad,
             on_open=message(bad, valid=False, kill=1))
    register("6.3.2", DESCRIPTION="Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames "
             "ending on positions which are not code point ends.", EXPECTATION=exp_bad,
             on_open=message(bad, fragment_size=1, valid=False, kill=1))

    # 6.4.x: fail fast.  The invalid octets arrive 1 s after a valid start; failing before the
    # rest arrives (another second later) is OK, failing only at the end is NON-STRICT.
    q1, q2, q3 = VSS, bytes.fromhex("f4908080"), b"edited"
    whole = q1 + q2 + q3
    parts_641 = (q1, q2, q3)
    parts_642 = (whole[:12], whole[12:13], whole[13:])

    def fail_fast(parts, one_frame):
        def on_open(self):
            self.expected[OK] = [("timeout", "A")]
            self.expected[NON_STRICT] = [("timeout", "A"), ("timeout", "B")]
            expect_failure(self, CLOSE_INVALID_PAYLOAD, fatal=True)
            if one_frame:
                self.p.send_raw(frame_header(1, len(whole)) + parts[0])
            else:
                self.p.send_frame(1, parts[0], fin=False)
            self.p.continue_later(1, lambda: part2(self))

        def part2(self):
            if self.p.state == Peer.OPEN:
                self.received.append(("timeout", "A"))
                if one_frame:
                    self.p.send_raw(parts[1])
                else:
                    self.p.send_frame(0, parts[1], fin=False)
                self.p.continue_later(1, lambda: part3(self))

        def part3(self):
            if self.p.state == Peer.OPEN:
                self.received.append(("timeout", "B"))
                if one_frame:
                    self.p.send_raw(parts[2])
                else:
                    self.p.send_frame(0, parts[2], fin=True)
                self.p.kill_after(1)
        return on_open

    exp64 = ("The first frame is accepted, we expect to timeout on the first wait. The 2nd frame should be rejected "
             "immediately (fail fast on UTF-8). If we timeout, we expect the connection is failed at least then, "
             "since the complete message payload is not valid UTF-8.")
    register("6.4.1", DESCRIPTION="Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is "
             "valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, "
             "then 3rd frame with rest.", EXPECTATION=exp64, on_open=fail_fast(parts_641, False))
    register("6.4.2", DESCRIPTION="Same as Case 6.4.1, but in 2nd frame, we send only up to and including the "
             "octet making the complete payload invalid.", EXPECTATION=exp64, on_open=fail_fast(parts_642, False))
    register("6.4.3", DESCRIPTION="Same as Case 6.4.1, but we send message not in 3 frames, but in 3 chops of the "
             "same message frame.", EXPECTATION=exp64, on_open=fail_fast(parts_641, True))
    register("6.4.4", DESCRIPTION="Same as Case 6.4.2, but we send message not in 3 frames, but in 3 chops of the "
             "same message frame.", EXPECTATION=exp64, on_open=fail_fast(parts_642, True))

    for i, (title, tests) in enumerate(utf8_test_sequences(), 5):
        SUBCATEGORIES[f"6.{i}"] = title
        for j, (valid, payload) in enumerate(tests, 1):
            if valid:
                desc = "Send a text message with payload which is valid UTF-8 in one fragment."
                exp = "The message is echo'ed back to us."
            else:
                desc = "Send a text message with payload which is not valid UTF-8 in one fragment."
                exp = exp_bad
            register(f"6.{i}.{j}", DESCRIPTION=f"{desc} Payload: 0x{payload.hex()}", EXPECTATION=exp,
                     on_open=message(payload, valid=valid, kill=0.5))
