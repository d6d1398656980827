from __future__ import annotations

import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cgan.core.download import download
from cgan.core.errors import CganError

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    """/good, /drop (dies halfway on the first request, honours Range), /wrong, /html, /404, /flaky (503 once)."""

    hits: dict[str, int] = {}
    ranges: list[str] = []

    def log_message(self, *a):
        pass

    def do_GET(self):
        n = Handler.hits[self.path] = Handler.hits.get(self.path, 0) + 1
        rng = self.headers.get("Range")
        Handler.ranges.append(rng or "")
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        body = PAYLOAD
        if self.path == "/404":
            self.send_error(404)
            return
        if self.path == "/flaky" and n == 1:
            self.send_error(503)
            return
        if self.path == "/html":
            page = b"<!DOCTYPE html><html><body>Quota exceeded</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        if self.path == "/wrong":
            body = bytes(len(PAYLOAD))
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        if self.path == "/drop" and n == 1:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body[start:])


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def fetch(url, dest, sha=SHA, **kw):
    return download(url, dest, sha, retries=2, backoff=0.01, timeout=5, progress=False, **kw)


def only(d):
    return sorted(p.name for p in d.iterdir())


def test_good_file(server, tmp_path):
    p = fetch(f"{server}/good", tmp_path / "m.pt")
    assert p.read_bytes() == PAYLOAD and only(tmp_path) == ["m.pt"]


def test_dropped_connection_resumes_with_range(server, tmp_path):
    Handler.ranges.clear()
    p = fetch(f"{server}/drop", tmp_path / "m.pt")
    assert p.read_bytes() == PAYLOAD
    assert Handler.ranges[-1] == f"bytes={len(PAYLOAD) // 2}-"  # the second request continued, not restarted
    assert only(tmp_path) == ["m.pt"]


def test_server_error_is_retried(server, tmp_path):
    assert fetch(f"{server}/flaky", tmp_path / "m.pt").read_bytes() == PAYLOAD


@pytest.mark.parametrize("path, message", [
    ("/wrong", "sha256 mismatch"),
    ("/404", "HTTP 404"),
    ("/html", "HTML page"),
])
def test_bad_downloads_leave_nothing(server, tmp_path, path, message):
    with pytest.raises(CganError, match=message):
        fetch(f"{server}{path}", tmp_path / "m.pt")
    assert only(tmp_path) == []


def test_no_server(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(CganError, match="download failed after 3 attempts"):
        fetch(f"http://127.0.0.1:{port}/m.pt", tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_local_path_and_file_url(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    assert fetch(str(src), tmp_path / "out" / "a.pt").read_bytes() == PAYLOAD
    assert fetch(src.as_uri(), tmp_path / "out" / "b.pt").read_bytes() == PAYLOAD
    with pytest.raises(CganError, match="sha256 mismatch"):
        fetch(str(src), tmp_path / "out" / "c.pt", sha="0" * 64)
    assert only(tmp_path / "out") == ["a.pt", "b.pt"]
