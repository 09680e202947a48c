"""Fetch an input image by URL without becoming a proxy into the private network (SSRF).

Every hop (the URL and each redirect) must resolve only to public addresses; the connection
then goes to the address that was checked, so a DNS answer cannot change in between.
Size and time are capped.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import httpx

MAX_REDIRECTS = 3


class FetchError(Exception):
    """Why a URL was refused or could not be fetched; ``status`` is the HTTP answer to give."""

    def __init__(self, detail: str, status: int = 400):
        super().__init__(detail)
        self.status = status


# IPv6 forms whose low 32 bits are the IPv4 address actually reached: mapped, compatible
# (deprecated), SIIT-translated and the NAT64 well-known prefix. Such an address is judged by
# its IPv4 address, so "::127.0.0.1" is loopback. 6to4 (2002::/16) is decoded by ipaddress.
_EMBEDS_IPV4 = tuple(
    ipaddress.IPv6Network(net)
    for net in ("::ffff:0:0/96", "::/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)
# Forms whose target the address alone does not tell (local-use NAT64 with an operator-chosen
# prefix length; Teredo relays): never public.
_OPAQUE = tuple(ipaddress.IPv6Network(net) for net in ("64:ff9b:1::/48", "2001::/32"))


def reached_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """The address a connection to ``ip`` really reaches, or None when that cannot be told."""
    if ip.version == 4:
        return ip
    if any(ip in net for net in _OPAQUE):
        return None
    if ip.sixtofour:
        return ip.sixtofour
    if any(ip in net for net in _EMBEDS_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return ip


def is_public(address: str) -> bool:
    ip = reached_address(ipaddress.ip_address(address))
    return ip is not None and ip.is_global and not ip.is_multicast


def public_address(host: str, port: int) -> str:
    """The first address of ``host``, if all of its addresses are public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):  # unknown name, bad IDNA label, NUL byte
        raise FetchError(f"cannot resolve host {host!r}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(is_public(a) for a in addresses):
        raise FetchError(f"host {host!r} is not a public address", status=403)
    return addresses[0]


def fetch(
    url: str, sink: BinaryIO, max_bytes: int, timeout_s: float, resolve=public_address
) -> int:
    """Write the body at ``url`` into ``sink`` (a file, so it need not sit in memory)."""
    deadline = time.monotonic() + timeout_s
    for _ in range(MAX_REDIRECTS + 1):
        parts, port = _split(url)
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
                    return _read_capped(response, sink, max_bytes, deadline)
                finally:
                    response.close()
        except httpx.TimeoutException:
            raise FetchError("url fetch timed out", status=504) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(f"url fetch failed: {exc.__class__.__name__}") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _split(url: str):
    """(parts, port) of an http(s) URL; anything malformed (port 99999, "[::1") is a 400."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"invalid url: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("url must be http(s)://host/...")
    return parts, port or (443 if parts.scheme == "https" else 80)


def _read_capped(response: httpx.Response, sink: BinaryIO, max_bytes: int, deadline: float) -> int:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"url content over {max_bytes} bytes", status=413)
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"url content over {max_bytes} bytes", status=413)
        if time.monotonic() > deadline:
            raise FetchError("url fetch timed out", status=504)
        sink.write(chunk)
    return size
