"""Local engine: N worker processes, each with its own single-thread model session.

At most a few tasks per worker are in flight, so a million-image run never queues a million
futures. A worker that dies (OOM killer, segfault, kill -9) breaks the pool: its tasks go back
to pending and a fresh pool carries on.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from skucut.batch.state import RunState, Task
from skucut.batch.worker import EXPLAIN_FOLDER, init_worker, process

IN_FLIGHT_PER_WORKER = 4
MAX_POOL_RESTARTS = 20


def run_local(state: RunState, tasks: list[Task], config: dict, record, workers: int) -> None:
    queue = list(reversed(tasks))
    restarts = 0
    while queue:
        try:
            _drain(state, queue, config, record, workers)
        except BrokenProcessPool:
            restarts += 1
            if restarts > MAX_POOL_RESTARTS:
                raise RuntimeError("worker processes keep dying; see failures.csv") from None


def _drain(state, queue: list[Task], config: dict, record, workers: int) -> None:
    in_flight: dict = {}
    model = config["options"].get("model")
    initargs = (model, os.getpid())
    with ProcessPoolExecutor(workers, initializer=init_worker, initargs=initargs) as pool:
        try:
            while queue or in_flight:
                while queue and len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
                    task = queue.pop()
                    state.mark_running([task.id])
                    explain = str(state.dir / EXPLAIN_FOLDER)  # pictures for the review sheet
                    future = pool.submit(
                        process, task, config["options"], config["output"], explain
                    )
                    in_flight[future] = task
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()  # a broken pool raises here: task stays in flight
                    del in_flight[future]
                    record(result)
        except BrokenProcessPool:
            lost = list(in_flight.values())
            state.requeue([t.id for t in lost])
            queue.extend(reversed(lost))
            raise
        except KeyboardInterrupt:
            _stop_now(pool)
            raise


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Ctrl+C: stop the workers instead of waiting for the images they hold (on a big canvas
    that took minutes). Nothing is lost: outputs are written atomically, and the images left
    "running" are shown as interrupted and redone by --resume."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
    else:
        for worker in list((getattr(pool, "_processes", None) or {}).values()):
            worker.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
