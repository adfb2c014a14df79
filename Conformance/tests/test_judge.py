"""The judge: Autobahn's two verdicts per case (behavior, behaviorClose) and the combined verdict,
checked on recorded facts without a client or a socket."""
from __future__ import annotations

import unittest
from types import SimpleNamespace

from fuzzing.case import Case, Informational, WrongCodeFails, expect_failure, expect_normal_close, is_subsequence
from fuzzing.judge import judge
from fuzzing.verdicts import FAILED, INFORMATIONAL, NON_STRICT, OK, UNCLEAN, UNIMPLEMENTED, WRONG_CODE

MESSAGE = ("message", b"x", False)


class EchoCase(Case):
    """A 1.1.x-like case: one text message echoed, then the server closes normally."""
    ID = "1.1.1"

    def init(self) -> None:
        self.expected[OK] = [MESSAGE]
        expect_normal_close(self)


class FailCase(Case):
    """A 3.x-like case: the client must fail the connection with 1002."""
    ID = "3.1"

    def init(self) -> None:
        self.expected[OK] = []
        self.expected[NON_STRICT] = []
        expect_failure(self)


class InvalidPayloadCase(Case):
    """A 6.x-like case: the client must fail the connection with 1007."""
    ID = "6.3.1"

    def init(self) -> None:
        self.expected[OK] = []
        expect_failure(self, 1007)


class CloseCodeCase(WrongCodeFails):
    ID = "7.9.1"

    def init(self) -> None:
        self.expected[OK] = []
        expect_failure(self)


class OpenEndedCase(Informational):
    ID = "7.1.6"

    def init(self) -> None:
        self.expected[INFORMATIONAL] = []
        expect_normal_close(self)


class SomePongsCase(Case):
    ID = "2.10"

    def init(self) -> None:
        self.expected[OK] = [("pong", b"payload-%d" % i) for i in range(10)]
        self.pongs_for_some_pings = True
        expect_normal_close(self)


def peer(**facts) -> SimpleNamespace:
    """What the server side of the connection recorded: by default a clean close the server began."""
    recorded = dict(connection_was_open=True, closed_by_me=True, was_clean=True, close_sent=True,
                    close_received=True, remote_close_code=1000, remote_close_raw=b"\x03\xe8", client_eof=False,
                    timed_out=False, killed_by_timer=False, violations=[], rx_compressed=0, rx_messages=0)
    recorded.update(facts)
    return SimpleNamespace(**recorded)


def judged(case_class: type[Case] = EchoCase, received=(MESSAGE,), killed_by_us: bool = False,
           exit_wait_failed: bool = False, peer_facts: dict | None = None, **run_facts) -> SimpleNamespace:
    """A run of `case_class` whose client sent `received`, judged."""
    p = peer(**(peer_facts or {}))
    case = case_class(p)
    case.received = list(received)
    run = SimpleNamespace(case=case, peer=p, cls=case_class, exit_code=0, notes=[], limit=10.0, answer=None,
                          offer="permessage-deflate", handshake_error=None, verdict=None, reason="")
    for name, value in run_facts.items():
        setattr(run, name, value)
    judge(run, killed_by_us, exit_wait_failed)
    return run


class CombinedVerdictTests(unittest.TestCase):
    def test_an_echo_and_a_clean_close_is_ok_with_the_facts(self):
        run = judged()
        self.assertEqual(run.verdict, OK)
        self.assertEqual(run.reason, "Actual events match at least one expected. [received: text message 1 B (78); "
                                     "client close 1000; server closed first; exit 0]")

    def test_a_crash_fails_whatever_the_client_sent(self):
        run = judged(exit_code=-11)
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("client crashed (signal 11) ["), run.reason)

    def test_a_client_that_does_not_exit_fails_even_when_we_killed_it(self):
        run = judged(exit_code=-9, killed_by_us=True, exit_wait_failed=True)
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("client still running 8 s after the connection ended (killed)"))

    def test_no_connection_fails_with_the_handshake_problem(self):
        run = SimpleNamespace(case=None, peer=None, cls=EchoCase, exit_code=1, notes=[], limit=10.0,
                              handshake_error="the client did not connect within 10 s", verdict=None, reason="")
        judge(run, False, False)
        self.assertEqual((run.verdict, run.reason), (FAILED, "the client did not connect within 10 s [exit 1]"))

    def test_notes_of_the_run_fail_it(self):
        run = judged(notes=["the client sent a second request", "bad mask"])
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("the client sent a second request; bad mask ["))

    def test_running_past_the_limit_fails(self):
        run = judged(peer_facts={"timed_out": True})
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("case did not finish within 10 s ("), run.reason)

    def test_a_protocol_violation_fails(self):
        run = judged(peer_facts={"violations": ["unmasked frame"]})
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("client protocol violation: unmasked frame ["))

    def test_an_informational_case_reports_what_the_server_saw_without_failing(self):
        run = judged(OpenEndedCase, received=(), peer_facts={"violations": ["close after close"]})
        self.assertEqual(run.verdict, INFORMATIONAL)
        self.assertIn("the server saw: close after close", run.reason)

    def test_a_client_that_never_fails_the_connection_fails_the_case(self):
        run = judged(FailCase, received=(), peer_facts={"killed_by_timer": True, "closed_by_me": True,
                                                        "close_received": False, "was_clean": False})
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("client did not fail the connection; the server dropped it ["))

    def test_a_client_that_ignores_the_servers_close_fails(self):
        run = judged(peer_facts={"killed_by_timer": True, "close_received": False})
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("client neither answered the server's close nor dropped"))

    def test_other_events_than_expected_fail(self):
        run = judged(received=(("message", b"y", False),))
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("Actual events differ from any expected. ["))

    def test_an_unimplemented_behavior_fails_with_the_offer(self):
        class Unimplemented(EchoCase):
            def on_connection_lost(self) -> None:
                super().on_connection_lost()
                self.behavior = UNIMPLEMENTED

        run = judged(Unimplemented)
        self.assertEqual(run.verdict, FAILED)
        self.assertIn("(offer 'permessage-deflate')", run.reason)

    def test_another_close_code_than_expected_is_non_strict(self):
        run = judged(InvalidPayloadCase, received=(), peer_facts={"closed_by_me": False, "remote_close_code": 1002,
                                                                  "remote_close_raw": b"\x03\xea"})
        self.assertEqual(run.verdict, NON_STRICT)
        self.assertTrue(run.reason.startswith("WRONG CODE: The close code should have been 1007 or empty ["))

    def test_a_normal_close_where_the_client_had_to_fail_the_connection_fails(self):
        run = judged(FailCase, received=(), peer_facts={"closed_by_me": False})
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("closed normally (1000) instead of failing the connection"))

    def test_section_7_fails_a_wrong_code_outright(self):
        run = judged(CloseCodeCase, received=(), peer_facts={"closed_by_me": False, "remote_close_code": 1007,
                                                             "remote_close_raw": b"\x03\xef"})
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("The close code should have been 1002 or empty ["), run.reason)

    def test_no_closing_handshake_where_one_is_required_fails(self):
        run = judged(peer_facts={"was_clean": False})
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("no closing handshake where RFC 6455 requires one (UNCLEAN) ["))

    def test_failing_by_dropping_tcp_without_a_close_frame_is_non_strict(self):
        run = judged(FailCase, received=(), peer_facts={"closed_by_me": False, "close_received": False,
                                                        "remote_close_code": None, "client_eof": True,
                                                        "was_clean": False})
        self.assertEqual(run.verdict, NON_STRICT)
        self.assertEqual(run.reason, "failed the connection by dropping TCP without a close frame "
                                     "[received: nothing; client dropped TCP without a close frame; exit 0]")

    def test_the_wrong_endpoint_closing_first_fails(self):
        run = judged(peer_facts={"closed_by_me": False})
        self.assertEqual(run.verdict, FAILED)
        self.assertTrue(run.reason.startswith("The connection was failed by the wrong endpoint ["))

    def test_pongs_for_some_pings_are_non_strict_when_the_client_declared_it(self):
        run = judged(SomePongsCase, received=(("pong", b"payload-0"), ("pong", b"payload-9")))
        self.assertEqual(run.verdict, NON_STRICT)
        self.assertTrue(run.reason.startswith("Pongs for some of the pings, in order (client declared oneAtATime)."))


class BehaviorTests(unittest.TestCase):
    """Autobahn's own two verdicts, before they are combined."""

    def test_behavior_close_names_each_way_a_connection_can_end(self):
        cases = [
            ({}, OK, "Connection was properly closed"),
            ({"closed_by_me": False}, FAILED, "The connection was failed by the wrong endpoint"),
            ({"was_clean": False}, UNCLEAN, "The spec requires the connection to be failed cleanly here"),
            ({"remote_close_code": 1002}, WRONG_CODE, "The close code should have been 1000 or empty"),
            ({"connection_was_open": False}, FAILED, "The WebSocket opening handshake was never completed!"),
        ]
        for facts, verdict, words in cases:
            with self.subTest(facts=facts):
                case = EchoCase(peer(**facts))
                case.received = [MESSAGE]
                case.on_connection_lost()
                self.assertEqual((case.behavior_close, case.result_close), (verdict, words))

    def test_a_fatal_wrong_endpoint_fails_the_behavior_too(self):
        class Fatal(FailCase):
            def init(self) -> None:
                self.expected[OK] = []
                expect_failure(self, fatal=True)

        case = Fatal(peer(closed_by_me=True))
        case.on_connection_lost()
        self.assertEqual((case.behavior, case.behavior_close), (FAILED, FAILED))

    def test_is_subsequence_keeps_the_order(self):
        trace = [1, 2, 3, 4]
        self.assertTrue(is_subsequence([1, 3], trace))
        self.assertTrue(is_subsequence([], trace))
        self.assertFalse(is_subsequence([3, 1], trace))
        self.assertFalse(is_subsequence([5], trace))


if __name__ == "__main__":
    unittest.main()
