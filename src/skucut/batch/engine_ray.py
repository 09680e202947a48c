"""Ray engine: the same job on a Ray cluster through Ray Data.

An actor pool loads the model once per actor and processes batches of images; results stream
back to this process, which records them in the same SQLite run state as the local engine,
so a run can be resumed with either engine.
"""

from __future__ import annotations

import json

from skucut.batch.state import RunState, Task
from skucut.batch.worker import ROW_COLUMNS, Result, init_worker, process

BATCH_SIZE = 4


class _Remover:
    """Ray Data callable class: constructed once per actor."""

    def __init__(self, config: dict):
        self.config = config
        init_worker(config["options"].get("model"))

    def __call__(self, batch: dict) -> dict:
        results = [
            process(
                Task(int(i), s, o, json.loads(opts)), self.config["options"], self.config["output"]
            )
            for i, s, o, opts in zip(
                batch["id"], batch["source"], batch["output"], batch["options"], strict=True
            )
        ]
        rows = [r.as_row() for r in results]
        return {key: [row[key] for row in rows] for key in ROW_COLUMNS}


def run_ray(
    state: RunState, tasks: list[Task], config: dict, record, workers: int, address: str | None
) -> None:
    import ray

    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    rows = [
        {"id": t.id, "source": t.source, "output": t.output, "options": json.dumps(t.options)}
        for t in tasks
    ]
    state.mark_running([t.id for t in tasks])
    results = ray.data.from_items(rows).map_batches(
        _Remover,
        fn_constructor_args=(config,),
        batch_size=BATCH_SIZE,
        concurrency=workers,
        num_cpus=1,
        batch_format="numpy",
    )
    for row in results.iter_rows():
        record(Result.from_row(row))
