"""Bounded load run against a real `skucut serve` on loopback.

    python bench/serve_load.py [--seconds 120] [--concurrency 8] [--image examples/coffee.jpg]

Starts the server as a subprocess, keeps ``--concurrency`` requests in flight for
``--seconds``, and prints throughput, latency percentiles, status counts and the server's
resident memory (start, peak, end) sampled every second: memory must stay flat.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "coffee.jpg"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(url: str, data: bytes, seconds: float, concurrency: int, pid: int, query: str):
    latencies, statuses, memory = [], collections.Counter(), []
    deadline = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient):
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = await client.post(f"{url}/v1/remove{query}", content=data)
            statuses[response.status_code] += 1
            if response.status_code == 200:
                latencies.append(time.perf_counter() - started)
            elif response.status_code == 503:
                await asyncio.sleep(float(response.headers.get("retry-after", 1)))

    async def sample_memory():
        while time.monotonic() < deadline:
            memory.append(rss_mb(pid))
            await asyncio.sleep(1)

    async with httpx.AsyncClient(timeout=120) as client:
        await asyncio.gather(sample_memory(), *(worker(client) for _ in range(concurrency)))
    return latencies, statuses, memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--image", default=str(EXAMPLE))
    parser.add_argument("--query", default="", help="e.g. ?preset=white-main")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "skucut.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        data = Path(args.image).read_bytes()
        httpx.post(f"{url}/v1/remove{args.query}", content=data, timeout=60)  # warm
        started = time.monotonic()
        latencies, statuses, memory = asyncio.run(
            run(url, data, args.seconds, args.concurrency, server.pid, args.query)
        )
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(10)
    ms = np.percentile(latencies, [50, 95, 99]) * 1000 if latencies else [float("nan")] * 3
    print(f"{Path(args.image).name}, {args.seconds:.0f} s, concurrency {args.concurrency}")
    print(f"{'completed':<14}{len(latencies):>10}")
    print(f"{'images/s':<14}{len(latencies) / elapsed:>10.2f}")
    for name, value in zip(("p50 ms", "p95 ms", "p99 ms"), ms, strict=True):
        print(f"{name:<14}{value:>10.0f}")
    print(f"{'statuses':<14}{dict(statuses)!s:>10}")
    print(f"{'rejected 503':<14}{statuses.get(503, 0):>10}")
    third = max(1, len(memory) // 3)
    print(f"{'RSS MB start':<14}{np.mean(memory[:third]):>10.0f}")
    print(f"{'RSS MB peak':<14}{max(memory):>10.0f}")
    print(f"{'RSS MB end':<14}{np.mean(memory[-third:]):>10.0f}")


if __name__ == "__main__":
    main()
