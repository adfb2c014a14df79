"""Every case, registered in Autobahn's order (section 1 first): the order numbers the cases'
URLs (/case/N) and the order of the report."""
from __future__ import annotations

from ..case import CASES
from . import (auto_fragmentation, closing, compression, fragmentation, framing, limits, opcodes, pings,
               reserved_bits, utf8)

for _section in (framing, pings, reserved_bits, opcodes, fragmentation, utf8, closing, limits, auto_fragmentation,
                 compression):
    _section.register_cases()
assert len(CASES) == 517, len(CASES)
