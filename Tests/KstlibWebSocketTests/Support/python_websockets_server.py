"""An echo server built on Python's `websockets`: a second WebSocket implementation for tests.

Prints its port on the first line of stdout, then echoes every message with its type until
stdin closes. `--compression deflate` offers permessage-deflate, `--compression none` refuses it.
"""
import argparse
import asyncio
import sys

import websockets


async def echo(connection):
    try:
        async for message in connection:
            await connection.send(message)
    except websockets.ConnectionClosed:
        pass


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    args = parser.parse_args()
    compression = None if args.compression == "none" else "deflate"
    async with websockets.serve(echo, "127.0.0.1", 0, compression=compression, max_size=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(port, flush=True)
        # Stop when the test closes our stdin (or dies).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
