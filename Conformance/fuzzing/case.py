"""A case: its expected traces and close, and how the client's events are judged against them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .verdicts import FAILED, NON_STRICT, OK, UNCLEAN, WRONG_CODE
from .wire import CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR

if TYPE_CHECKING:
    from .peer import Peer


class Case:
    ID = ""
    DESCRIPTION = ""
    EXPECTATION = ""
    PMD: dict | None = None  # permessage-deflate answer for 12.x/13.x
    LIMIT = 10.0

    def __init__(self, p: Peer, quick: bool = False):
        self.p = p
        self.quick = quick
        self.received: list[tuple] = []
        self.expected: dict[str, list[tuple]] = {}
        self.expected_close: dict = {}
        self.behavior = FAILED
        self.behavior_close = FAILED
        self.result = "Actual events differ from any expected."
        self.result_close = "TCP connection was dropped without close handshake"
        self.suppress_close = False
        self.informational = False
        self.init()

    def init(self) -> None:
        pass

    def on_open(self) -> None:
        pass

    def on_message(self, payload: bytes, binary: bool) -> None:
        self.received.append(("message", payload, binary))
        self.finish_when_done()

    def on_ping(self, payload: bytes) -> None:
        self.received.append(("ping", payload))
        self.finish_when_done()

    def on_pong(self, payload: bytes) -> None:
        self.received.append(("pong", payload))
        self.finish_when_done()

    def finish_when_done(self) -> None:
        for trace in self.expected.values():
            if self.received != trace:
                return
        if self.expected_close.get("closedByMe") and not self.suppress_close:
            self.p.send_close(self.expected_close["closeCode"][0])

    def send_next_or_pass(self) -> None:
        """Round-trip cases (9.7, 9.8, 12, 13): the next message (`send_one`, counting
        `self.count` up to `self.count_total`), or a pass once every one came back."""
        if self.count < self.count_total:
            self.send_one()
        else:
            self.behavior = OK
            self.result = f"Ok, received all {self.count_total} echo'ed messages in time."
            self.p.send_close(CLOSE_NORMAL)

    def on_connection_lost(self) -> None:
        """Autobahn's Case.onConnectionLost."""
        for verdict, trace in self.expected.items():
            if self.received == trace:
                self.behavior = verdict
                self.result = "Actual events match at least one expected."
                break
        else:
            if getattr(self, "pongs_for_some_pings", False) and self.received and \
                    is_subsequence(self.received, self.expected.get(OK, [])):
                # RFC 6455 5.5.3: an endpoint MAY answer only some of the pings it received
                # before it could send a pong; the client declared it does (--ping-replies).
                self.behavior = NON_STRICT
                self.result = "Pongs for some of the pings, in order (client declared oneAtATime)."
        p = self.p
        ec = self.expected_close
        if p.connection_was_open:
            if ec["closedByMe"] != p.closed_by_me:
                self.behavior_close = FAILED
                self.result_close = "The connection was failed by the wrong endpoint"
            elif ec["requireClean"] and not p.was_clean:
                self.behavior_close = UNCLEAN
                self.result_close = "The spec requires the connection to be failed cleanly here"
            elif p.remote_close_code is not None and p.remote_close_code not in ec["closeCode"]:
                self.behavior_close = WRONG_CODE
                self.result_close = ("The close code should have been %s or empty"
                                     % ",".join(map(str, ec["closeCode"])))
            else:
                self.behavior_close = OK
                self.result_close = "Connection was properly closed"
            if ec.get("closedByWrongEndpointIsFatal") and ec["closedByMe"] != p.closed_by_me:
                self.behavior = FAILED
        else:
            self.behavior_close = FAILED
            self.result_close = "The WebSocket opening handshake was never completed!"


def is_subsequence(events: list, trace: list) -> bool:
    """Whether `events` appear in `trace` in the same order (not necessarily next to each other)."""
    it = iter(trace)
    return all(any(event == t for t in it) for event in events)


class Settings:
    """Options of the command line that the cases read while they run."""

    # --ping-replies oneAtATime: the client answers only some pings of a burst (RFC 6455 5.5.3).
    pings_one_at_a_time = False


settings = Settings()


def expect_normal_close(case: Case) -> None:
    case.expected_close = {"closedByMe": True, "closeCode": [CLOSE_NORMAL], "requireClean": True}


def expect_failure(case: Case, code: int = CLOSE_PROTOCOL_ERROR, fatal: bool = False) -> None:
    case.expected_close = {"closedByMe": False, "closeCode": [code], "requireClean": False}
    if fatal:
        case.expected_close["closedByWrongEndpointIsFatal"] = True


class WrongCodeFails(Case):
    """Section 7: a WRONG CODE close fails the case outright (Autobahn's override)."""

    def on_connection_lost(self) -> None:
        super().on_connection_lost()
        if self.behavior_close == WRONG_CODE:
            self.behavior = FAILED
            self.result = self.result_close


class Informational(Case):
    def on_connection_lost(self) -> None:
        super().on_connection_lost()
        self.informational = True


CASES: list[type[Case]] = []
SUBCATEGORIES: dict[str, str] = {}


def register(cid: str, base: type[Case] = Case, **attrs) -> type[Case]:
    cls = type("Case" + cid.replace(".", "_"), (base,), {"ID": cid, **attrs})
    CASES.append(cls)
    return cls
