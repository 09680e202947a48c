"""Run state in SQLite: one row per item, so a run survives Ctrl-C, kill -9 and crashes.

Only the coordinating process writes to the database. An item is ``pending`` until a worker
takes it (``running``), then ``done`` (output written, checksum kept) or, after its attempts
are used up, ``failed``. Reopening a run turns ``running`` back into ``pending``: work that was
in flight when the run stopped is simply done again, and outputs are written atomically, so
nothing is ever left half-written or counted twice.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from skucut.batch.items import Item

SCHEMA = """
CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    output TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    output_uri TEXT,
    checksum TEXT,
    updated REAL
);
CREATE INDEX IF NOT EXISTS items_status ON items(status);
"""


@dataclass(frozen=True)
class Task:
    id: int
    source: str
    output: str
    options: dict


class RunState:
    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)
        self.db = sqlite3.connect(self.dir / "state.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across kill -9
        self.db.executescript(SCHEMA)

    @classmethod
    def create(cls, run_dir: str | Path, items: list[Item], config: dict) -> RunState:
        run_dir = Path(run_dir)
        if (run_dir / "state.sqlite").exists():
            raise FileExistsError(f"{run_dir} already holds a run; use --resume {run_dir}")
        run_dir.mkdir(parents=True, exist_ok=True)
        state = cls(run_dir)
        with state.db:
            state.db.execute("BEGIN")
            state.db.execute("INSERT INTO run VALUES ('config', ?)", (json.dumps(config),))
            state.db.execute("INSERT INTO run VALUES ('created', ?)", (str(time.time()),))
            state.db.executemany(
                "INSERT INTO items (source, output, options) VALUES (?, ?, ?)",
                ((i.source, i.output, json.dumps(i.options)) for i in items),
            )
        return state

    @classmethod
    def open(cls, run_dir: str | Path) -> RunState:
        if not (Path(run_dir) / "state.sqlite").exists():
            raise FileNotFoundError(f"no run in {run_dir}")
        state = cls(run_dir)
        state.reset_running()
        return state

    def reset_running(self) -> None:
        """Work that was in flight when a run or an engine stopped is done again."""
        self.db.execute("UPDATE items SET status='pending' WHERE status='running'")

    @property
    def config(self) -> dict:
        return json.loads(self.db.execute("SELECT value FROM run WHERE key='config'").fetchone()[0])

    def pending(self) -> list[Task]:
        """Items still to do: never tried, interrupted, or failed with attempts left."""
        rows = self.db.execute(
            "SELECT id, source, output, options FROM items WHERE status='pending' ORDER BY id"
        )
        return [Task(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def mark_running(self, ids: list[int]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "UPDATE items SET status='running', attempts=attempts+1, updated=? WHERE id=?",
                ((time.time(), i) for i in ids),
            )

    def mark_done(self, item_id: int, output_uri: str, checksum: str) -> None:
        self.db.execute(
            "UPDATE items SET status='done', error=NULL, output_uri=?, checksum=?, updated=? "
            "WHERE id=?",
            (output_uri, checksum, time.time(), item_id),
        )

    def mark_failed(self, item_id: int, error: str, max_attempts: int) -> None:
        """Back to pending while attempts remain, else failed for good."""
        self.db.execute(
            "UPDATE items SET status=CASE WHEN attempts < ? THEN 'pending' ELSE 'failed' END, "
            "error=?, updated=? WHERE id=?",
            (max_attempts, error, time.time(), item_id),
        )

    def requeue(self, ids: list[int]) -> None:
        """Work lost with a crashed worker: do it again (the attempt still counts)."""
        self.db.executemany(
            "UPDATE items SET status='pending' WHERE id=? AND status='running'",
            ((i,) for i in ids),
        )

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM items GROUP BY status")
        return {status: n for status, n in rows}

    def add_active_time(self, seconds: float) -> None:
        """Wall time spent executing, summed over the run's sessions (resumes included)."""
        self.db.execute(
            "INSERT INTO run VALUES ('active_seconds', ?) ON CONFLICT(key) DO UPDATE "
            "SET value = CAST(value AS REAL) + excluded.value",
            (seconds,),
        )

    def throughput(self) -> float | None:
        """Images done per second of execution."""
        row = self.db.execute("SELECT value FROM run WHERE key='active_seconds'").fetchone()
        done = self.counts().get("done", 0)
        return done / float(row[0]) if row and float(row[0]) > 0 else None

    def write_failures(self) -> Path:
        path = self.dir / "failures.csv"
        rows = self.db.execute(
            "SELECT source, attempts, error FROM items WHERE status='failed' ORDER BY id"
        )
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["source", "attempts", "error"])
            writer.writerows(rows)
        tmp.replace(path)
        return path

    def close(self) -> None:
        self.db.close()
