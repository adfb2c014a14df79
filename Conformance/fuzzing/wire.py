"""Frames on the wire: the WebSocket GUID, close codes, frame headers, masking."""
from __future__ import annotations

import struct


# RFC 6455 1.3: appended to Sec-WebSocket-Key before hashing it into Sec-WebSocket-Accept.
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_PAYLOAD = 1007
VALID_CLOSE_CODES = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}


def repeat_to(payload: bytes, length: int) -> bytes:
    """Autobahn's `payload_len`: the payload repeated (and cut) to `length` octets."""
    if length == len(payload):
        return payload
    return (payload * (length // len(payload) + 1))[:length]


def frame_header(opcode: int, length: int, fin: bool = True, rsv: int = 0) -> bytes:
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    if length < 126:
        return struct.pack("!BB", b0, length)
    if length < 65536:
        return struct.pack("!BBH", b0, 126, length)
    return struct.pack("!BBQ", b0, 127, length)


def unmask(data: bytes, key: bytes) -> bytes:
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def is_utf8(data: bytes) -> bool:
    # Python's strict codec rejects overlongs, surrogates and code points above U+10FFFF, like
    # Autobahn's validator; an incomplete sequence at the end is invalid too.
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def short(data: bytes, limit: int = 24) -> str:
    if len(data) <= limit:
        return data.hex() if data else "''"
    return f"{data[:limit].hex()}..."
