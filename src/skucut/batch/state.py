"""Run state in SQLite: one row per item, so a run survives Ctrl-C, kill -9 and crashes.

Only the coordinating process writes to the database, and only one at a time: it holds an
exclusive lock on the run folder for its whole life (the kernel drops it when the process dies,
even by kill -9). An item is ``pending`` until a worker takes it (``running``), then ``done``
(output written, checksum kept) or, after its attempts are used up, ``failed``; an item that can
never be done (a bad manifest row, a FIFO) is ``failed`` from the start. Reopening a run turns
``running`` back into ``pending``: work that was in flight when the run stopped is simply done
again, and outputs are written atomically, so nothing is ever left half-written or counted twice.

A done item also keeps its review (``skucut.review``): the confidence, whether a person should
look at it and why. Runs made before these columns existed gain them when an engine opens them;
a read-only look (``status``, ``review``) sees them as empty instead, never changing the file.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from skucut._files import write_atomic
from skucut.batch.items import Item
from skucut.enhance import ENHANCE_CSV, Enhancement
from skucut.review import Review

DB_NAME = "state.sqlite"
LOCK_NAME = "lock"


class RunInUse(RuntimeError):
    """Another process is running this run folder."""


# Added with the review queue; NULL until the item is done (or when an earlier skucut did it).
# enhance: what --enhance measured and did, JSON (skucut.enhance.Enhancement.as_dict).
REVIEW_COLUMNS = {
    "confidence": "REAL",
    "needs_review": "INTEGER",
    "reason": "TEXT",
    "enhance": "TEXT",
}
_REVIEW_SQL = ", ".join(f"{name} {kind}" for name, kind in REVIEW_COLUMNS.items())

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,  -- not unique: one photo may give several outputs
    output TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    output_uri TEXT,
    checksum TEXT,
    updated REAL,
    """
    + _REVIEW_SQL
    + """
);
CREATE INDEX IF NOT EXISTS items_status ON items(status);
"""
)


@dataclass(frozen=True)
class Task:
    id: int
    source: str
    output: str
    options: dict


@dataclass(frozen=True)
class Flagged:
    """A done item that needs review."""

    source: str
    output_uri: str
    confidence: float
    reason: str


def _lock(run_dir: Path) -> int:
    """An exclusive lock on the run folder, or RunInUse naming the process that holds it.

    flock: the kernel releases it when its last holder dies, and forked workers share it, so
    no second engine starts while any process of this one may still write.
    """
    fd = os.open(run_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise RunInUse(
            f"{run_dir} is in use by process {holder} (another skucut batch); "
            "wait for it to end or stop it"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _status(item: Item) -> str:
    return "failed" if item.error else "pending"  # an item that can never be done is not tried


def _write_new(path: Path, items: list[Item], config: dict) -> None:
    """The whole database in a temp file, renamed into place: a run folder holds a complete
    run or none (a creation killed midway leaves only the temp file, replaced next time)."""
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(SCHEMA)
        with db:
            db.execute("INSERT INTO run VALUES ('config', ?)", (json.dumps(config),))
            db.execute("INSERT INTO run VALUES ('created', ?)", (str(time.time()),))
            db.executemany(
                "INSERT INTO items (source, output, options, status, error) VALUES (?, ?, ?, ?, ?)",
                ((i.source, i.output, json.dumps(i.options), _status(i), i.error) for i in items),
            )
        db.close()
        tmp.replace(path)
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise


class RunState:
    def __init__(self, run_dir: str | Path, lock: int | None = None):
        self.dir = Path(run_dir)
        self._lock = lock  # ours to release; None: a read-only look that must not disturb a run
        try:
            self.db = sqlite3.connect(self.dir / DB_NAME, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across kill -9
            self.db.executescript(SCHEMA)
            self._add_review_columns()
        except BaseException:
            self._release()
            raise

    def _add_review_columns(self) -> None:
        """Give a run made by an earlier skucut the review columns: for real when this process
        holds the lock, else as a temporary view that shadows the table for this connection
        alone (a look must not write: an earlier engine may be running the run)."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(items)")}
        missing = [k for k in REVIEW_COLUMNS if k not in have]
        if not missing:
            return
        if self._lock is not None:
            for name in missing:
                self.db.execute(f"ALTER TABLE items ADD COLUMN {name} {REVIEW_COLUMNS[name]}")
        else:
            nulls = ", ".join(f"NULL AS {name}" for name in missing)
            self.db.execute(f"CREATE TEMP VIEW items AS SELECT *, {nulls} FROM main.items")

    @classmethod
    def create(cls, run_dir: str | Path, items: list[Item], config: dict) -> RunState:
        run_dir = Path(run_dir)
        made = not run_dir.exists()
        run_dir.mkdir(parents=True, exist_ok=True)
        lock = _lock(run_dir)
        try:
            if (run_dir / DB_NAME).exists():
                raise FileExistsError(f"{run_dir} already holds a run; use --resume {run_dir}")
            _write_new(run_dir / DB_NAME, items, config)
        except BaseException:
            os.close(lock)
            if made:  # ours alone: nothing half-created is left behind
                shutil.rmtree(run_dir, ignore_errors=True)
            raise
        return cls(run_dir, lock)

    @classmethod
    def open(cls, run_dir: str | Path) -> RunState:
        """The run, to execute: locked against other engines, in-flight work back to pending."""
        _check_exists(run_dir)
        state = cls(run_dir, _lock(Path(run_dir)))
        state.reset_running()
        return state

    @classmethod
    def inspect(cls, run_dir: str | Path) -> RunState:
        """The run, to read (``status``, ``review``) while an engine may be running it."""
        _check_exists(run_dir)
        return cls(run_dir)

    def engine_pid(self) -> int | None:
        """The process of the engine running this run now, or None when none is.

        Read from the lock file, never by taking the lock (a look must not make an engine
        that is starting at that moment fail): the holder wrote its pid there, and a pid
        whose process is gone (Ctrl+C, kill -9, a crash) means nobody runs it."""
        try:
            pid = int((self.dir / LOCK_NAME).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:  # alive, someone else's
            return pid
        return pid

    def reset_running(self) -> None:
        """Work that was in flight when a run or an engine stopped is done again; only the
        lock's holder may call it (it would take another engine's work)."""
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

    def mark_done(self, item_id: int, output_uri: str, checksum: str, review: Review) -> None:
        self.db.execute(
            "UPDATE items SET status='done', error=NULL, output_uri=?, checksum=?, updated=?, "
            "confidence=?, needs_review=?, reason=?, enhance=? WHERE id=?",
            (
                output_uri,
                checksum,
                time.time(),
                review.confidence,
                review.needs_review,
                review.reason,
                None if review.enhancement is None else json.dumps(review.enhancement.as_dict()),
                item_id,
            ),
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

    def review_counts(self) -> tuple[int, int]:
        """Done items that need review, and done items with no review (an earlier skucut's)."""
        flagged, unscored = self.db.execute(
            "SELECT SUM(needs_review = 1), SUM(needs_review IS NULL) FROM items WHERE status='done'"
        ).fetchone()
        return flagged or 0, unscored or 0

    def flagged(self, limit: int = -1) -> list[Flagged]:
        """Done items that need review, least confident first (-1: all of them)."""
        rows = self.db.execute(
            "SELECT source, output_uri, confidence, reason FROM items "
            "WHERE status='done' AND needs_review = 1 ORDER BY confidence, id LIMIT ?",
            (limit,),
        )
        return [Flagged(*row) for row in rows]

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
        rows = self.db.execute(
            "SELECT source, output, attempts, error FROM items WHERE status='failed' ORDER BY id"
        )
        return self._write_csv("failures.csv", ["source", "output", "attempts", "error"], rows)

    def write_review_list(self) -> Path:
        """``review.csv``: the flagged items, least confident first, for a person or a script."""
        rows = ((f.source, f.output_uri, round(f.confidence, 4), f.reason) for f in self.flagged())
        return self._write_csv("review.csv", ["source", "output", "confidence", "reason"], rows)

    def enhancements(self) -> list[tuple[str, str, Enhancement]]:
        """(source, output, what enhance did) of the done items that ran with --enhance."""
        rows = self.db.execute(
            "SELECT source, output_uri, enhance FROM items "
            "WHERE status='done' AND enhance IS NOT NULL ORDER BY id"
        )
        return [(src, out, Enhancement.from_dict(json.loads(text))) for src, out, text in rows]

    def write_enhance_report(self) -> Path:
        """``enhance.csv``: per enhanced item, the measured light, the amounts and any note."""
        header = ["source", "output", *ENHANCE_CSV]
        rows = ((src, out, *report.columns()) for src, out, report in self.enhancements())
        return self._write_csv("enhance.csv", header, rows)

    def _write_csv(self, name: str, header: list[str], rows) -> Path:
        """One row per item, replacing the previous report whole (a unique temp file: ``batch
        review`` may write review.csv while the engine does)."""
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        write_atomic(self.dir / name, text.getvalue().encode())
        return self.dir / name

    def close(self) -> None:
        self.db.close()
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # the lock goes with its last descriptor
            self._lock = None


def _check_exists(run_dir: str | Path) -> None:
    if not (Path(run_dir) / DB_NAME).exists():
        raise FileNotFoundError(f"no run in {run_dir}")
