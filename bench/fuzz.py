"""Fuzz benchmark: thousands of hostile image files through `skucut remove` and skucut.remove().

    python bench/fuzz.py [--n 10000] [--model skucut-fast-v1]

Inputs come from tests/fuzz_inputs.py (valid, truncated, byte-flipped, huge-declared, other
types). Prints, per kind, how many were cut out and how many refused with which error, for the
CLI (one run over a folder) and the Python API, and checks the invariants: no traceback, one
line per failure, an output exactly for each success, every valid image succeeds and every
huge one is ImageTooLarge. Exits 1 if any invariant fails.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fuzz_inputs

from tests.fuzz_inputs import KINDS, fuzz_input

import skucut


def run_cli(folder: Path, out: Path, model: str) -> tuple[dict[str, str], list[str]]:
    """Outcome per file name ("ok" or the error text) and the problems seen."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "skucut.cli", "remove", str(folder), "-o", str(out),
         "-m", model, "--mask"],
        capture_output=True, text=True,
    )  # fmt: skip
    print(f"cli: {time.perf_counter() - started:.0f} s, exit code {result.returncode}")
    problems = ["traceback in stderr"] if "Traceback" in result.stderr else []
    errors = dict(re.findall(r"skucut: error: .*/(f\d{5}-\w+\.\w+): (.*)", result.stderr))
    outcomes = {}
    for path in sorted(folder.iterdir()):
        written = (out / path.name).with_suffix(".png").exists()
        if written == (path.name in errors):
            problems.append(f"{path.name}: output {'and' if written else 'nor'} error")
        outcomes[path.name] = "ok" if written else _error_kind(errors.get(path.name, ""))
    return outcomes, problems


def _error_kind(message: str) -> str:
    if "pixel" in message or "too large" in message:
        return "ImageTooLarge"
    if "unsupported" in message:
        return "UnsupportedImage"
    return "InvalidImage" if message else "missing"


def run_api(files: dict[str, bytes], model: str) -> tuple[dict[str, str], list[str]]:
    outcomes, problems = {}, []
    started = time.perf_counter()
    for name, data in files.items():
        try:
            skucut.remove(data, model=model, mask=True)
            outcomes[name] = "ok"
        except skucut.SkucutError as exc:
            outcomes[name] = type(exc).__name__
        except Exception as exc:  # anything else is a bug
            outcomes[name] = "other"
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
    print(f"api: {time.perf_counter() - started:.0f} s")
    return outcomes, problems


def table(title: str, kinds: dict[str, str], outcomes: dict[str, str]) -> None:
    columns = ["ok", "InvalidImage", "ImageTooLarge", "UnsupportedImage", "other", "missing"]
    counts = Counter((kinds[name], outcome) for name, outcome in outcomes.items())
    print(f"\n{title}\n| kind | n | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 2) + "|")
    for kind in KINDS:
        row = [counts[(kind, c)] for c in columns]
        print(f"| {kind} | {sum(row)} | " + " | ".join(str(v) for v in row) + " |")


def check_kinds(kinds: dict[str, str], outcomes: dict[str, str]) -> list[str]:
    expected = {"valid": "ok", "huge": "ImageTooLarge"}
    return [
        f"{name}: {kinds[name]} gave {outcome}"
        for name, outcome in outcomes.items()
        if kinds[name] in expected and outcome != expected[kinds[name]]
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--model", default="skucut-fast-v1")
    args = parser.parse_args()
    files, kinds = {}, {}
    for k in range(args.n):
        name, data, kind = fuzz_input(k)
        files[name], kinds[name] = data, kind
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        cli, cli_problems = run_cli(folder, out, args.model)
    api, api_problems = run_api(files, args.model)
    table("skucut remove (CLI, one folder run)", kinds, cli)
    table("skucut.remove() (Python API)", kinds, api)
    problems = cli_problems + api_problems + check_kinds(kinds, cli) + check_kinds(kinds, api)
    print(f"\ninvariant violations: {len(problems)}")
    for line in problems[:20]:
        print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
