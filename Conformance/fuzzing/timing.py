"""The delays and bounds the server and the cases share."""
from __future__ import annotations


CHOP_DELAY = 0.00001  # Autobahn's QUEUED_WRITE_DELAY between chops
SYNC_DELAY = 0.001  # a sync frame is flushed and left alone on the wire for a moment
MIN_KILL_AFTER = 3.0  # Autobahn's killAfter(0.5/1) fallback, stretched so a busy machine never trips it
PROCESS_EXIT_GRACE = 8.0  # after the connection ended; libwebsockets waits up to 5 s for a close ack
CONNECT_TIMEOUT = 10.0
