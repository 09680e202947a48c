"""Fetch an input image by URL without becoming a proxy into the private network (SSRF).

Every hop (the URL and each redirect) must resolve only to public addresses; the connection
then goes to the address that was checked, so a DNS answer cannot change in between.
Size and time are capped.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import httpx

MAX_REDIRECTS = 3


class FetchError(Exception):
    """Why a URL was refused or could not be fetched; ``status`` is the HTTP answer to give."""

    def __init__(self, detail: str, status: int = 400):
        super().__init__(detail)
        self.status = status


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def public_address(host: str, port: int) -> str:
    """The first address of ``host``, if all of its addresses are public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"cannot resolve host {host!r}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(is_public(a) for a in addresses):
        raise FetchError(f"host {host!r} is not a public address", status=403)
    return addresses[0]


def fetch(url: str, max_bytes: int, timeout_s: float, resolve=public_address) -> bytes:
    deadline = time.monotonic() + timeout_s
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("url must be http(s)://host/...")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(parts.hostname, port)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("url fetch timed out", status=504)
        # Connect to the checked address; Host header and TLS name stay the original host.
        netloc = f"[{address}]" if ":" in address else address
        target = parts._replace(netloc=f"{netloc}:{port}").geturl()
        extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
        try:
            with httpx.Client(timeout=remaining, follow_redirects=False) as client:
                request = client.build_request(
                    "GET", target, headers={"Host": parts.netloc}, extensions=extensions
                )
                response = client.send(request, stream=True)
                try:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"url answered HTTP {response.status_code}")
                    return _read_capped(response, max_bytes, deadline)
                finally:
                    response.close()
        except httpx.TimeoutException:
            raise FetchError("url fetch timed out", status=504) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"url fetch failed: {exc.__class__.__name__}") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"url content over {max_bytes} bytes", status=413)
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"url content over {max_bytes} bytes", status=413)
        if time.monotonic() > deadline:
            raise FetchError("url fetch timed out", status=504)
        chunks.append(chunk)
    return b"".join(chunks)
