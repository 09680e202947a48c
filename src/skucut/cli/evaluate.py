"""skucut eval --model M --data DIR: metrics at original resolution plus a per-image CSV."""

from __future__ import annotations

import json
from pathlib import Path

from skucut.cli._common import fail
from skucut.errors import SkucutError
from skucut.refine import REFINE_MODES


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate a model on images/ + masks/ folders")
    p.add_argument("--model", default=None, help="model name or .onnx path")
    p.add_argument("--data", nargs="+", required=True, help="one or more dataset folders")
    p.add_argument(
        "--refine",
        default="none",
        choices=list(REFINE_MODES),
        help="evaluate with edge refinement as `skucut remove` does (default: the raw model)",
    )
    p.add_argument("--cleanup", action="store_true", help="also clean the mask (islands, holes)")
    p.add_argument("--report", metavar="DIR", help="also write an HTML report with examples")
    p.add_argument("--csv-dir", default="eval-results", help="where per-image CSVs go")
    p.add_argument(
        "--json", help="also write {dataset: mean metrics} to this file (model cards use it)"
    )
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        import py_sod_metrics  # noqa: F401
    except ImportError:
        fail("evaluation needs pysodmetrics: pip install 'skucut[eval]'")
        return 2
    from skucut.metrics import evaluate_dataset, summarize, table_header, table_row
    from skucut.pipeline import load_segmenter
    from skucut.refine import refine_alpha

    try:
        segmenter = load_segmenter(args.model)
    except SkucutError as exc:
        fail(str(exc))
        return exc.exit_code
    print(f"model: {segmenter.path}  refine: {args.refine}  cleanup: {args.cleanup}")

    def predict(rgb):
        return refine_alpha(rgb, segmenter.probability(rgb), args.refine, args.cleanup)

    print(table_header())
    summaries, results = {}, {}
    for data in args.data:
        name = Path(data).name
        csv_path = Path(args.csv_dir) / f"{name}.csv"
        rows = evaluate_dataset(predict, data, csv_path)
        print(table_row(name, rows))
        summaries[name] = {k: round(v, 4) for k, v in summarize(rows).items()}
        results[name] = (data, rows)
    print(f"per-image CSVs in {args.csv_dir}/")
    if args.report:
        from skucut.metrics.report import write_report

        title = f"{segmenter.path.parent.name}, refine {args.refine}"
        print(f"report: {write_report(predict, results, args.report, title)}")
    if args.json:
        Path(args.json).write_text(json.dumps({"metrics": summaries}, indent=2) + "\n")
    return 0
