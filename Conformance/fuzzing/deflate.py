"""permessage-deflate (RFC 7692): parsing an offer, the server's compressor and inflater."""
from __future__ import annotations

import zlib


def parse_extensions(header: str) -> list[tuple[str, dict[str, str | None]]]:
    offers = []
    for part in header.split(","):
        items = [x.strip() for x in part.split(";") if x.strip()]
        if not items:
            continue
        params: dict[str, str | None] = {}
        for item in items[1:]:
            if "=" in item:
                k, v = item.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
            else:
                params[item.lower()] = None
        offers.append((items[0].lower(), params))
    return offers


class Deflate:
    """The server's half of a negotiated permessage-deflate: compress out, inflate in."""

    def __init__(self, server_wbits: int, server_nct: bool, client_wbits: int, client_nct: bool):
        self.server_wbits, self.server_nct = server_wbits, server_nct
        self.client_wbits, self.client_nct = client_wbits, client_nct
        self._c = None
        self._d = None

    def compress(self, payload: bytes) -> bytes:
        if self._c is None or self.server_nct:
            self._c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -max(self.server_wbits, 9))
        data = self._c.compress(payload) + self._c.flush(zlib.Z_SYNC_FLUSH)
        if data.endswith(b"\x00\x00\xff\xff"):
            data = data[:-4]
        return data or b"\x00"

    def decompress(self, payload: bytes) -> bytes:
        # Inflating with exactly the negotiated window (and a fresh context under
        # client_no_context_takeover) makes a client that ignores the negotiation fail here.
        if self._d is None or self.client_nct:
            self._d = zlib.decompressobj(-max(self.client_wbits, 9))
        return self._d.decompress(payload + b"\x00\x00\xff\xff")
