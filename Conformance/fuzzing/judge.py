"""The verdict of one case run, from what the client did and how its process ended."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .timing import PROCESS_EXIT_GRACE
from .verdicts import FAILED, INFORMATIONAL, NON_STRICT, UNCLEAN, UNIMPLEMENTED, WRONG_CODE
from .wire import CLOSE_NORMAL, short

if TYPE_CHECKING:
    from .peer import Peer
    from .server import CaseRun


def describe_event(e: tuple) -> str:
    if e[0] == "message":
        return f"{'binary' if e[2] else 'text'} message {len(e[1])} B ({short(e[1], 12)})"
    if e[0] in ("ping", "pong"):
        return f"{e[0]} {len(e[1])} B ({short(e[1], 12)})"
    return f"{e[0]} {e[1]}"


def client_close_summary(p: Peer) -> str:
    if p.close_received:
        raw = p.remote_close_raw or b""
        if len(raw) >= 2:
            reason = raw[2:]
            txt = reason.decode("utf-8", "replace")
            return f"client close {p.remote_close_code}" + (f" {txt!r}" if reason else "")
        return f"client close with {len(raw)}-byte payload ({short(raw)})"
    if p.client_eof:
        return "client dropped TCP without a close frame"
    if p.timed_out:
        return "client sent no close"
    return "client sent no close frame"


def judge(run: CaseRun, killed_by_us: bool, exit_wait_failed: bool) -> None:
    case, p = run.case, run.peer
    facts = []
    if case is not None and p is not None:
        case.on_connection_lost()
        events = ", ".join(describe_event(e) for e in case.received if e[0] != "timeout") or "nothing"
        facts.append(f"received: {events}")
        facts.append(client_close_summary(p))
        if p.close_sent and p.closed_by_me:
            facts.append("server closed first")
        if run.cls.PMD is not None:
            facts.append(f"extension: {run.answer or 'none'}; client frames compressed: {p.rx_compressed}"
                         f"/{p.rx_messages}")
    if run.exit_code is not None:
        facts.append(f"exit {run.exit_code}")
    fact_text = "; ".join(facts)

    def set_(verdict, reason):
        run.verdict = verdict
        run.reason = reason + (f" [{fact_text}]" if fact_text else "")

    if run.exit_code is not None and run.exit_code < 0 and not killed_by_us:
        return set_(FAILED, f"client crashed (signal {-run.exit_code})")
    if exit_wait_failed:
        return set_(FAILED, f"client still running {PROCESS_EXIT_GRACE:.0f} s after the connection ended (killed)")
    if case is None or p is None:
        return set_(FAILED, run.handshake_error or "no WebSocket connection")
    if run.notes:
        return set_(FAILED, "; ".join(run.notes))
    if p.timed_out:
        return set_(FAILED, f"case did not finish within {run.limit:.0f} s ({case.result})")
    if case.informational:
        extra = ("; the server saw: " + "; ".join(p.violations)) if p.violations else ""
        return set_(INFORMATIONAL, case.result + extra)
    if p.violations:
        return set_(FAILED, "client protocol violation: " + "; ".join(p.violations))
    if case.behavior == UNIMPLEMENTED:
        return set_(FAILED, f"UNIMPLEMENTED: {case.result} (offer {run.offer!r})")
    if p.killed_by_timer:
        if case.expected_close.get("closedByMe") and p.close_sent:
            return set_(FAILED, "client neither answered the server's close nor dropped the connection")
        if not case.expected_close.get("closedByMe"):
            return set_(FAILED, "client did not fail the connection; the server dropped it")
        return set_(FAILED, f"server had to drop the connection: {case.result}")
    if case.behavior == FAILED:
        return set_(FAILED, case.result)
    if case.behavior_close == FAILED:
        return set_(FAILED, case.result_close)
    if case.behavior_close == UNCLEAN:
        return set_(FAILED, "no closing handshake where RFC 6455 requires one (UNCLEAN)")
    if case.behavior_close == WRONG_CODE:
        if p.remote_close_code == CLOSE_NORMAL:
            return set_(FAILED, f"closed normally (1000) instead of failing the connection: {case.result_close}")
        return set_(NON_STRICT, f"WRONG CODE: {case.result_close}")
    if not case.expected_close.get("requireClean", True) and not p.close_received:
        return set_(NON_STRICT, "failed the connection by dropping TCP without a close frame")
    if case.behavior == NON_STRICT:
        return set_(NON_STRICT, case.result)
    set_(case.behavior, case.result)
