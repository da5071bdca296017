"""`python -m bench.null_endpoint PORT`: a server that answers every POST with `{}` at once.

It does no work at all, so the rate a client reaches against it is the client's own ceiling
on this machine: the most any server could show through that client. The benchmarks print it
beside heatwatch's and moto's figures, so a ratio is read against what the client allows.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# One write per response: headers and body written apart would wait on Nagle's algorithm
# and the peer's delayed ACK (40 ms a request on Linux loopback).
RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/x-amz-json-1.0\r\n"
    b"x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n"
    b"Content-Length: 2\r\n\r\n{}"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as boto3 and requests use

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.wfile.write(RESPONSE)

    def do_GET(self) -> None:  # the readiness probe
        self.do_POST()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), _Handler).serve_forever()


if __name__ == "__main__":
    main()
