#!/usr/bin/env python3
"""fuzzingserver.py: the Autobahn|Testsuite client cases, played against echo-client.

    python3 Conformance/fuzzingserver.py --client .build/debug/echo-client            # full
    python3 Conformance/fuzzingserver.py --client .build/debug/echo-client --quick    # CI
    python3 Conformance/fuzzingserver.py --client ... --cases '1.*,7.9.*' --verbose --report r.md

The server, its cases and its judge are the `fuzzing` package beside this file (see its
docstring and Conformance/README.md); this script is its command line.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fuzzing.cli import main  # noqa: E402  (the package is found through the path set above)

if __name__ == "__main__":
    sys.exit(main())
