"""Choosing cases by id and printing what they gave: one line each, a table, a report file."""
from __future__ import annotations

import fnmatch
import os
from typing import TYPE_CHECKING

from .case import CASES
from .verdicts import FAILED, INFORMATIONAL, NON_STRICT, OK

if TYPE_CHECKING:
    from .server import CaseRun


def select(patterns: str | None) -> list[tuple[int, type[Case]]]:
    chosen = []
    pats = [p.strip() for p in patterns.split(",")] if patterns else []
    for i, cls in enumerate(CASES, 1):
        if not pats or any(fnmatch.fnmatchcase(cls.ID, p) or cls.ID == p or cls.ID.startswith(p + ".")
                           for p in pats):
            chosen.append((i, cls))
    return chosen


def section_of(cid: str) -> str:
    return cid.split(".")[0]


SECTION_NAMES = {"1": "Framing", "2": "Pings/Pongs", "3": "Reserved Bits", "4": "Opcodes", "5": "Fragmentation",
                 "6": "UTF-8 Handling", "7": "Close Handling", "9": "Limits/Performance",
                 "10": "Auto-Fragmentation", "12": "WebSocket Compression (different payloads)",
                 "13": "WebSocket Compression (different parameters)"}


def case_line(run: CaseRun) -> str:
    return f"{run.cls.ID:<9} {run.verdict:<10} {run.duration:6.2f}s  {run.reason}"


def write_report(path: str, runs: list[CaseRun], args, elapsed: float) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# Autobahn client cases against `{os.path.basename(args.client)}`\n\n")
        f.write(f"{'quick' if args.quick else 'full'} run, {len(runs)} cases, {elapsed:.1f} s\n\n")
        f.write("| case | verdict | time | close printed by the client | exit | description | reason |\n")
        f.write("| --- | --- | --- | --- | --- | --- | --- |\n")
        for r in runs:
            f.write(f"| {r.cls.ID} | {r.verdict} | {r.duration:.2f} s | {cell(r.printed_close)} | {r.exit_code} | "
                    f"{cell(r.cls.DESCRIPTION)} | {cell(r.reason)} |\n")


def print_summary(ordered: list[CaseRun], elapsed: float, verbose: bool) -> list[CaseRun]:
    """The failed cases, a table per section, and the last line `N passed, M failed`; the failed runs."""
    sections: dict[str, list[CaseRun]] = {}
    for r in ordered:
        sections.setdefault(section_of(r.cls.ID), []).append(r)
    failed = [r for r in ordered if r.verdict == FAILED]
    if failed:
        print("\nFailed cases:")
        for r in failed:
            print(f"  {r.cls.ID}: {r.reason}")
            if verbose and r.stderr.strip():
                tail = r.stderr.strip().splitlines()[-3:]
                for line in tail:
                    print(f"      stderr: {line[:300]}")
    print()
    print(f"{'section':<48} {'cases':>5} {'ok':>5} {'non-strict':>10} {'info':>5} {'failed':>6} {'time':>8}")
    for sec, rs in sections.items():
        name = f"{sec} {SECTION_NAMES.get(sec, '')}"
        count = {v: sum(1 for r in rs if r.verdict == v) for v in (OK, NON_STRICT, INFORMATIONAL, FAILED)}
        print(f"{name:<48} {len(rs):>5} {count[OK]:>5} {count[NON_STRICT]:>10} {count[INFORMATIONAL]:>5} "
              f"{count[FAILED]:>6} {sum(r.duration for r in rs):>7.1f}s")
    passed = len(ordered) - len(failed)
    print(f"{'total':<48} {len(ordered):>5} {sum(r.verdict == OK for r in ordered):>5} "
          f"{sum(r.verdict == NON_STRICT for r in ordered):>10} {sum(r.verdict == INFORMATIONAL for r in ordered):>5} "
          f"{len(failed):>6} {elapsed:>7.1f}s wall")
    print(f"{passed} passed, {len(failed)} failed", flush=True)
    return failed
