"""URL inputs: only public addresses, on every redirect hop, with size limits (real HTTP)."""

from __future__ import annotations

import http.server
import io
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
        # IPv6 forms that embed an IPv4 address are judged by that address (issue 17, item 16).
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::10.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 well-known prefix
        ("64:ff9b::a9fe:a9fe", False),  # ... to 169.254.169.254
        ("2002:7f00:1::", False),  # 6to4
        ("2002:c0a8:1::1", False),  # 6to4 of 192.168.0.1
        ("::ffff:0:7f00:1", False),  # SIIT-translated
        ("::ffff:10.1.2.3", False),  # IPv4-mapped
        ("64:ff9b::808:808", True),
        ("2002:808:808::1", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b:1::808:808", False),  # local-use NAT64: the embedding cannot be told
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ],
)
def test_is_public(address, public):
    assert is_public(address) is public


def fetched(url: str, max_bytes: int = 10_000, resolve=fake_dns) -> bytes:
    sink = io.BytesIO()
    assert fetch(url, sink, max_bytes, 5, resolve=resolve) == len(sink.getvalue())
    return sink.getvalue()


def test_fetch_follows_redirects_between_public_hosts(server):
    assert fetched(f"http://public.test:{server}/to-public") == BODY


def test_redirect_to_a_private_host_is_refused(server):
    with pytest.raises(FetchError) as info:
        fetched(f"http://public.test:{server}/to-private")
    assert info.value.status in (400, 403)


def test_loopback_is_refused_with_the_real_resolver(server):
    with pytest.raises(FetchError) as info:
        fetched(f"http://localhost:{server}/image", resolve=public_address)
    assert info.value.status == 403


def test_size_limit_and_bad_scheme(server):
    with pytest.raises(FetchError) as info:
        fetched(f"http://public.test:{server}/image", 100)
    assert info.value.status == 413
    with pytest.raises(FetchError):
        fetched("file:///etc/passwd")
    with pytest.raises(FetchError, match="HTTP 404"):
        fetched(f"http://public.test:{server}/missing")


@pytest.mark.parametrize(
    "url", ["http://public.test:99999/x", "http://public.test:port/x", "http://[::1/x", "ftp://h/x"]
)
def test_malformed_urls_are_a_400(url):
    with pytest.raises(FetchError) as info:
        fetched(url)
    assert info.value.status == 400


def test_unresolvable_names_are_a_400():
    for host in ("a..b", "x" * 300, "nul\x00byte"):
        with pytest.raises(FetchError) as info:
            public_address(host, 80)
        assert info.value.status == 400
