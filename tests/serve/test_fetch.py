"""URL inputs: only public addresses, on every redirect hop, with size limits (real HTTP)."""

from __future__ import annotations

import http.server
import threading

import pytest

pytest.importorskip("httpx")
from skucut.serve.fetch import FetchError, fetch, is_public, public_address

BODY = b"\x89PNG fake image bytes" * 100


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/image":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif self.path == "/to-public":
            self.send_response(302)
            self.send_header("Location", f"http://public.test:{self.server.server_port}/image")
            self.end_headers()
        elif self.path == "/to-private":
            self.send_response(302)
            self.send_header("Location", "http://private.test/secret")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_port
    httpd.shutdown()


def fake_dns(host: str, port: int) -> str:
    """'public.test' stands for a public host (served on loopback here); the rest is private."""
    if host == "public.test":
        return "127.0.0.1"
    return public_address(host, port)  # the real check: loopback/private names are refused


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("2606:4700::1111", True),
        ("224.0.0.1", False),
    ],
)
def test_is_public(address, public):
    assert is_public(address) is public


def test_fetch_follows_redirects_between_public_hosts(server):
    url = f"http://public.test:{server}/to-public"
    assert fetch(url, 10_000, 5, resolve=fake_dns) == BODY


def test_redirect_to_a_private_host_is_refused(server):
    with pytest.raises(FetchError) as info:
        fetch(f"http://public.test:{server}/to-private", 10_000, 5, resolve=fake_dns)
    assert info.value.status in (400, 403)


def test_loopback_is_refused_with_the_real_resolver(server):
    with pytest.raises(FetchError) as info:
        fetch(f"http://localhost:{server}/image", 10_000, 5)
    assert info.value.status == 403


def test_size_limit_and_bad_scheme(server):
    with pytest.raises(FetchError) as info:
        fetch(f"http://public.test:{server}/image", 100, 5, resolve=fake_dns)
    assert info.value.status == 413
    with pytest.raises(FetchError):
        fetch("file:///etc/passwd", 100, 5, resolve=fake_dns)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(f"http://public.test:{server}/missing", 100, 5, resolve=fake_dns)
