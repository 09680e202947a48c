"""Feedback to fine-tune, end to end: corrections sent to a running server, then
`skucut train --finetune` on them, and the comparison it prints.

    python bench/feedback_finetune.py [--n 40] [--steps 200] [--model skucut-fast-v1]

Stands in for a shop: it picks the N training photos (../shared/data/train) the model gets
most wrong, sends each with its true mask as the corrected alpha to `POST /v1/feedback` of a
real `skucut serve --feedback-dir` (uvicorn), and fine-tunes on what the server stored, with
products-dev as the check that nothing was forgotten. Writes into a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from skucut.data.pairs import find_pairs
from skucut.metrics.measures import iou
from skucut.pipeline import load_segmenter

DATA = Path(__file__).resolve().parents[2] / "shared/data"


def worst_pairs(model: str, n: int) -> list[tuple[Path, Path, float]]:
    segmenter = load_segmenter(model)
    scored = []
    for folder in sorted((DATA / "train").iterdir()):
        for image, mask in find_pairs(folder):
            rgb = np.asarray(Image.open(image).convert("RGB"))
            gt = np.asarray(Image.open(mask))
            scored.append((image, mask, iou(segmenter.predict(rgb), gt)))
    return sorted(scored, key=lambda s: s[2])[:n]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send_corrections(pairs, model: str, feedback: Path) -> int:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "skucut.cli", "serve", "--port", str(port),
         "--feedback-dir", str(feedback), "--models", model],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        accepted = 0
        for image, mask, _ in pairs:
            alpha = io.BytesIO()
            Image.open(mask).point(lambda v: 255 if v > 128 else 0).save(alpha, "PNG")
            files = {
                "photo": (image.name, image.read_bytes()),
                "alpha": ("a.png", alpha.getvalue()),
            }
            data = {"model": model, "options": json.dumps({})}
            response = httpx.post(f"{url}/v1/feedback", files=files, data=data, timeout=60)
            accepted += response.status_code == 200
        return accepted
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--model", default="skucut-fast-v1")
    args = parser.parse_args()
    pairs = worst_pairs(args.model, args.n)
    print(f"{len(pairs)} worst training photos, raw IoU {pairs[0][2]:.3f} .. {pairs[-1][2]:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        feedback = Path(tmp) / "feedback"
        accepted = send_corrections(pairs, args.model, feedback)
        print(f"POST /v1/feedback: {accepted} of {len(pairs)} accepted")
        command = [sys.executable, "-m", "skucut.cli", "train", "--finetune", str(feedback),
                   "--from", args.model, "--steps", str(args.steps), "--out-dir",
                   str(Path(tmp) / "run"), "--dev", str(DATA / "eval/products-dev")]  # fmt: skip
        print(" ".join(command[2:]), flush=True)
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
