"""Bounded load run against a real `skucut serve` on loopback, optionally under abuse.

    python bench/serve_load.py [--seconds 120] [--concurrency 8] [--image examples/coffee.jpg]
    python bench/serve_load.py --seconds 45 --concurrency 4 --abuse 4

Starts the server as a subprocess, keeps ``--concurrency`` normal requests in flight for
``--seconds`` and, with ``--abuse N``, N more clients cycling through hostile requests (huge
margins and canvases, the largest allowed canvas, oversize and junk uploads, bad API keys,
slow uploads) plus one burst of 40 concurrent 24 MB uploads. Prints normal-traffic
throughput and latency percentiles, status counts per kind of request, and the server's
resident memory (idle before the run, peak sampled twice a second, after the run): memory
must stay bounded and normal requests must keep being served.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "coffee.jpg"
KEY = "bench-key"
MB = 1024 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Run:
    """Shared state of one run: where to send, until when, and what came back."""

    def __init__(self, url: str, data: bytes, query: str, seconds: float, pid: int):
        self.url, self.data, self.query, self.pid = url, data, query, pid
        self.deadline = time.monotonic() + seconds
        self.latencies: list[float] = []
        self.statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.memory: list[float] = []
        buf = io.BytesIO()
        Image.open(io.BytesIO(data)).convert("RGB").resize((96, 96)).save(buf, "JPEG")
        self.small = buf.getvalue()

    @property
    def running(self) -> bool:
        return time.monotonic() < self.deadline

    async def post(self, client: httpx.AsyncClient, kind: str, query: str, body, key=KEY) -> int:
        headers = {"X-API-Key": key} if key is not None else {}
        try:
            response = await client.post(
                f"{self.url}/v1/remove{query}", content=body, headers=headers
            )
        except httpx.HTTPError as exc:  # e.g. the server answered 413 and closed mid-upload
            self.statuses[kind][type(exc).__name__] += 1
            return 0
        self.statuses[kind][str(response.status_code)] += 1
        return response.status_code


async def normal(run: Run, client: httpx.AsyncClient) -> None:
    while run.running:
        started = time.perf_counter()
        status = await run.post(client, "normal", run.query, run.data)
        if status == 200:
            run.latencies.append(time.perf_counter() - started)
        elif status == 503:
            await asyncio.sleep(1)


ABUSE_KINDS = (
    "huge_margin", "margin_inf", "huge_canvas", "max_canvas", "oversize_30mb", "junk_24mb",
    "no_key", "empty_key", "non_ascii_key", "model_path", "slow_upload", "burst",
)  # fmt: skip


def _abuse_kinds(run: Run):
    """(kind, coroutine factory) pairs, cycled through by each abusive client."""
    junk, oversize = b"\xab" * (24 * MB), b"\xab" * (30 * MB)
    return [
        ("huge_margin", lambda c: run.post(c, "huge_margin", "?trim=true&margin=5000", run.small)),
        ("margin_inf", lambda c: run.post(c, "margin_inf", "?margin=inf", run.small)),
        (
            "huge_canvas",
            lambda c: run.post(c, "huge_canvas", "?canvas=10000x10000&shadow=drop", run.small),
        ),
        (
            "max_canvas",
            lambda c: run.post(c, "max_canvas", "?canvas=7000x7000&shadow=drop", run.small),
        ),
        ("oversize_30mb", lambda c: run.post(c, "oversize_30mb", "", oversize)),
        ("junk_24mb", lambda c: run.post(c, "junk_24mb", "", junk)),
        ("no_key", lambda c: run.post(c, "bad_key", "?margin=inf", run.small, key=None)),
        ("empty_key", lambda c: run.post(c, "bad_key", "", run.small, key="")),
        ("non_ascii_key", lambda c: run.post(c, "bad_key", "", run.small, key="k\xe9y".encode())),
        ("model_path", lambda c: run.post(c, "model_path", "?model=/etc/passwd.onnx", run.small)),
        ("slow_upload", lambda c: slow_upload(run)),
    ]


async def abuse(run: Run, client: httpx.AsyncClient, offset: int, only: set[str]) -> None:
    kinds = [(kind, make) for kind, make in _abuse_kinds(run) if kind in only]
    for _, make in itertools.islice(itertools.cycle(kinds), offset, None):
        if not run.running:
            return
        await make(client)


async def slow_upload(run: Run, seconds: float = 8) -> None:
    """Announce 1 MB, send 1 kB every half second, then give up (a slowloris client)."""
    host, port = run.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST /v1/remove HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Length: {MB}\r\n\r\n"
    )
    writer.write(head.encode())
    ended = time.monotonic() + seconds
    try:
        while time.monotonic() < ended and not reader.at_eof():
            writer.write(b"\0" * 1024)
            await writer.drain()
            await asyncio.sleep(0.5)
        run.statuses["slow_upload"]["gave_up"] += 1
    except OSError:
        run.statuses["slow_upload"]["closed_by_server"] += 1
    finally:
        writer.close()


async def burst(run: Run, client: httpx.AsyncClient, count: int = 40) -> None:
    """``count`` concurrent 24 MB uploads at once (issue 17, item 15: was 2.1 GB of RSS)."""
    body = b"\xab" * (24 * MB)
    await asyncio.gather(*(run.post(client, "burst_24mb", "", body) for _ in range(count)))


async def sample_memory(run: Run, done: asyncio.Event) -> None:
    """Until every request has ended, including those still running past the deadline."""
    while not done.is_set():
        run.memory.append(rss_mb(run.pid))
        await asyncio.sleep(0.5)


async def main_async(run: Run, concurrency: int, abusers: int, kinds: set[str]) -> None:
    limits = httpx.Limits(max_connections=concurrency + abusers + 50)
    done = asyncio.Event()
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        tasks = [normal(run, client) for _ in range(concurrency)]
        if abusers:
            tasks += [abuse(run, client, i * 3, kinds) for i in range(abusers)]
        if abusers and "burst" in kinds:
            tasks.append(_later(run.deadline - time.monotonic(), burst(run, client)))
        sampler = asyncio.ensure_future(sample_memory(run, done))
        await asyncio.gather(*tasks)
        done.set()
        await sampler


async def _later(seconds: float, job) -> None:
    await asyncio.sleep(seconds / 3)
    await job


def start_server(port: int, abuse: bool) -> subprocess.Popen:
    command = [sys.executable, "-m", "skucut.cli", "serve", "--port", str(port)]
    if abuse:
        command += ["--api-key", KEY]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(url: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not get ready")


def report(run: Run, args, elapsed: float, memory: tuple[float, float, float]) -> None:
    ms = np.percentile(run.latencies, [50, 95, 99]) * 1000 if run.latencies else [np.nan] * 3
    print(f"{Path(args.image).name}, {args.seconds:.0f} s, {args.concurrency} normal clients, "
          f"{args.abuse} abusive clients")  # fmt: skip
    print(f"{'normal done':<16}{len(run.latencies):>10}")
    print(f"{'normal images/s':<16}{len(run.latencies) / elapsed:>10.2f}")
    for name, value in zip(("normal p50 ms", "normal p95 ms", "normal p99 ms"), ms, strict=True):
        print(f"{name:<16}{value:>10.0f}")
    for kind, counts in sorted(run.statuses.items()):
        print(f"{kind:<16}{dict(sorted(counts.items()))}")
    for name, value in zip(("RSS MB start", "RSS MB peak", "RSS MB end"), memory, strict=True):
        print(f"{name:<16}{value:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--concurrency", type=int, default=8, help="normal clients")
    parser.add_argument("--abuse", type=int, default=0, help="abusive clients beside them")
    parser.add_argument(
        "--abuse-kinds",
        default=",".join(ABUSE_KINDS),
        help=f"comma-separated subset of: {', '.join(ABUSE_KINDS)}",
    )
    parser.add_argument("--image", default=str(EXAMPLE))
    parser.add_argument("--query", default="", help="e.g. ?preset=white-main")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_server(port, abuse=args.abuse > 0)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        data = Path(args.image).read_bytes()
        headers = {"X-API-Key": KEY}
        httpx.post(f"{url}/v1/remove{args.query}", content=data, headers=headers, timeout=60)
        run = Run(url, data, args.query, args.seconds, server.pid)
        started = time.monotonic()
        idle_mb = rss_mb(server.pid)
        asyncio.run(main_async(run, args.concurrency, args.abuse, set(args.abuse_kinds.split(","))))
        elapsed = time.monotonic() - started
        end_mb = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    report(run, args, elapsed, (idle_mb, max(run.memory), end_mb))


if __name__ == "__main__":
    main()
