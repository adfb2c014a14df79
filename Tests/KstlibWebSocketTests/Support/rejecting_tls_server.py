"""A TLS server that refuses every WebSocket upgrade with a fixed HTTP answer, for tests.

Prints its port on the first line of stdout, then one line per request it answered:
`request <n> <the request head as JSON>`. Stops when stdin closes. With --client-ca it requires
a client certificate issued by that CA, so a connection that presents none fails its handshake.
With --garbage it answers with bytes that are not a TLS record, written under the session.
"""
import argparse
import json
import os
import socket
import ssl
import sys
import threading


def serve(connection, number, answer, garbage):
    try:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = connection.recv(4096)
            if not chunk:
                return
            head += chunk
        text = head.split(b"\r\n\r\n")[0].decode("latin-1")
        print(f"request {number} {json.dumps(text)}", flush=True)
        if garbage:
            os.write(connection.fileno(), b"\x17\x03\x03\x00\x05hello, not a record")
        else:
            connection.sendall(answer)
    except (ssl.SSLError, OSError):
        pass
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--client-ca")
    parser.add_argument("--status", default="403 Forbidden")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body", default="")
    parser.add_argument("--garbage", action="store_true")
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(args.client_ca)
    body = args.body.encode()
    lines = [f"HTTP/1.1 {args.status}", *args.header, f"Content-Length: {len(body)}", "Connection: close"]
    answer = ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)

    def accept_loop():
        number = 0
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            number += 1
            try:
                connection = context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                raw.close()
                continue
            threading.Thread(target=serve, args=(connection, number, answer, args.garbage), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()
    listener.close()


main()
