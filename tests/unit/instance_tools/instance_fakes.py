"""Test doubles for the instance tools: a sandboxed instance root and a real local HTTP server.

The server is a threading `http.server` on 127.0.0.1 (a free port) that records every
request and answers from a script per route, so the tools' real HTTP code (requests,
botocore) is exercised end to end without any outside network.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ACCESS_KEY = "AKIDINSTANCE0000001"
SECRET_KEY = "instance-secret-key-0001"
TENANT_ID = "tenant-1"
STACK_NAME = "web"
STACK_ID = "5f3c0e1a-0000-4000-8000-000000000001"
RESOURCE = "Server"
METADATA_PATH = f"/v1/{TENANT_ID}/stacks/{STACK_NAME}/{STACK_ID}/resources/{RESOURCE}/metadata"
CREDENTIALS_PATH = (
    f"/v1/{TENANT_ID}/stacks/{STACK_NAME}/{STACK_ID}/resources/{RESOURCE}/credentials"
)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def authorization(self) -> str:
        return self.headers.get("authorization", "")


@dataclass
class Reply:
    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body).encode(), headers


Script = Callable[[Recorded], Reply]


class FakeServer:
    """Answers each (method, path) from a list of replies: used in order, the last repeats."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: dict[tuple[str, str], list[Reply | Script]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, path: str, *replies: Reply | Script) -> None:
        with self._lock:
            self._routes[(method, path)] = list(replies)

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def _answer(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            replies = self._routes.get((request.method, request.path))
            if not replies:
                return Reply(404, {"message": f"no route for {request.method} {request.path}"})
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(request) if callable(reply) else reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                reply = server._answer(recorded)
                body, headers = reply.encoded()
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@dataclass
class Instance:
    """A sandboxed instance root with cfn files pointing at the fake server."""

    root: Path
    server: FakeServer

    def path(self, instance_path: str) -> Path:
        return self.root / instance_path.lstrip("/")

    def write(self, instance_path: str, text: str, mode: int = 0o644) -> Path:
        location = self.path(instance_path)
        location.parent.mkdir(parents=True, exist_ok=True)
        if location.exists():
            location.chmod(0o600)
        location.write_text(text)
        location.chmod(mode)
        return location

    def write_credentials(self, access_key: str = ACCESS_KEY, secret: str = SECRET_KEY) -> Path:
        text = f"AWSAccessKeyId={access_key}\nAWSSecretKey={secret}\n"
        return self.write("/etc/cfn/cfn-credentials", text, mode=0o400)

    def write_boot_metadata(self, metadata: dict[str, Any]) -> Path:
        return self.write("/var/lib/heat-cfntools/cfn-init-data", json.dumps(metadata))

    def serve_metadata(self, *metadata: dict[str, Any], path: str = METADATA_PATH) -> None:
        self.server.route("GET", path, *(Reply(200, {"metadata": m}) for m in metadata))


def assert_sigv4(request: Recorded, service: str, access_key: str = ACCESS_KEY) -> None:
    """The request carries a SigV4 signature by `access_key` for `service` in us-east-1."""
    authorization = request.authorization
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={access_key}/"), authorization
    assert f"/us-east-1/{service}/aws4_request" in authorization
    assert "SignedHeaders=" in authorization
    assert "host" in authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert "Signature=" in authorization
    assert request.headers.get("x-amz-date")
