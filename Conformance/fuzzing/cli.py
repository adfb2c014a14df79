"""The command line: choose the cases, run them a few at a time, print the summary."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import TYPE_CHECKING

from .case import settings
from .cases.compression import TESTDATA_SPECS, testdata
from .report import case_line, print_summary, select, write_report
from .server import Server, run_case
from .verdicts import FAILED

if TYPE_CHECKING:
    from .server import CaseRun


async def main_async(args) -> int:
    chosen = select(args.cases)
    if args.exclude:
        excluded = {i for i, _ in select(args.exclude)}
        chosen = [(i, c) for i, c in chosen if i not in excluded]
    if not chosen:
        print("no case matches", file=sys.stderr)
        return 2
    if any(c.PMD is not None for _, c in chosen):
        for name, *_ in TESTDATA_SPECS:  # generate once, before any case runs
            testdata(name)
    server = Server()
    await server.start(args.port)
    print(f"fuzzingserver: ws://127.0.0.1:{server.port}/case/N, {len(chosen)} cases "
          f"({'quick' if args.quick else 'full'}), {args.jobs} at a time, client {args.client}", flush=True)
    started = time.monotonic()
    sem = asyncio.Semaphore(args.jobs)
    runs: dict[int, CaseRun] = {}

    async def one(i, cls):
        async with sem:
            run = await run_case(server, i, cls, args)
            runs[i] = run
            if args.verbose:
                print(case_line(run), flush=True)
            elif run.verdict == FAILED:
                print(f"FAILED {run.cls.ID}: {run.reason}", flush=True)

    await asyncio.gather(*(one(i, cls) for i, cls in chosen))
    elapsed = time.monotonic() - started
    server.server.close()
    ordered = [runs[i] for i, _ in chosen]

    if args.report:
        write_report(args.report, ordered, args, elapsed)

    failed = print_summary(ordered, elapsed, args.verbose)
    return 0 if not failed else 1


def main() -> int:
    ap = argparse.ArgumentParser(description="Autobahn|Testsuite client cases against an echo client.")
    ap.add_argument("--client", required=True, help="path of the echo client executable")
    ap.add_argument("--client-arg", action="append", default=[],
                    help="extra argument for the client (repeatable), e.g. --client-arg=--no-compression")
    ap.add_argument("--cases", help="comma-separated case ids or patterns, e.g. '1.*,7.9.*,9.1'")
    ap.add_argument("--exclude", help="comma-separated case ids or patterns to skip")
    ap.add_argument("--quick", action="store_true",
                    help="CI sizes: 9.x payloads / 16 (at most 1 MiB), 9.7-9.8 and 12-13 with fewer messages")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at the same time (default 2)")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    ap.add_argument("--verbose", action="store_true", help="print every case with its verdict and reason")
    ap.add_argument("--report", help="write a markdown table of every case to this file")
    ap.add_argument("--list", action="store_true", help="list the selected cases and exit")
    ap.add_argument("--ping-replies", choices=["everyPing", "oneAtATime"], default="everyPing",
                    help="what the client promises for a burst of pings (its LibWebSocketsRuntime.pingReplies): "
                         "with oneAtATime, 2.10/2.11 answered for some pings only are NON-STRICT, not FAILED")
    args = ap.parse_args()
    settings.pings_one_at_a_time = args.ping_replies == "oneAtATime"
    if args.list:
        for i, cls in select(args.cases):
            print(f"{i:4} {cls.ID:<9} {cls.DESCRIPTION}")
        return 0
    if not (os.path.isfile(args.client) and os.access(args.client, os.X_OK)):
        print(f"fuzzingserver: client {args.client!r} is not an executable file", file=sys.stderr)
        return 2
    args.jobs = max(1, args.jobs)
    return asyncio.run(main_async(args))
