"""skucut eval --model M --data DIR: metrics at original resolution plus a per-image CSV;
with --corrupt, the robustness benchmark (skucut.metrics.robust) instead."""

from __future__ import annotations

import json
from pathlib import Path

from skucut.cli._common import fail
from skucut.errors import SkucutError
from skucut.metrics.corrupt import CORRUPTIONS
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
    robust = p.add_argument_group("robustness (--corrupt)")
    robust.add_argument(
        "--corrupt",
        action="store_true",
        help="IoU and BF1 under each corruption at 3 severities, and the drop from clean "
        "(default: off)",
    )
    robust.add_argument(
        "--corruptions",
        nargs="+",
        metavar="NAME",
        help="only these (default: all of " + ", ".join(CORRUPTIONS) + ")",
    )
    robust.add_argument(
        "--weights",
        help="the model's torch weights (checkpoint or weights .pt, needs skucut[train]): adds "
        "adversarial rows, an attack on the model itself (default: none)",
    )
    robust.add_argument(
        "--attack-eps",
        nargs=3,
        type=float,
        default=[1, 2, 4],
        metavar="E",
        help="L-infinity budgets of severities 1-3, in 1/255 of pixel intensity (default: 1 2 4)",
    )
    robust.add_argument(
        "--attack-steps", type=int, default=10, help="PGD steps; 1 = FGSM (default: 10)"
    )
    robust.add_argument("--seed", type=int, default=0, help="corruption seed (default: 0)")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.corrupt:
        return run_corrupt(args)
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


def run_corrupt(args) -> int:
    from skucut.metrics.robust import robustness_rows, robustness_table, summarize_robustness
    from skucut.pipeline import load_segmenter
    from skucut.refine import refine_alpha

    unknown = sorted(set(args.corruptions or []) - set(CORRUPTIONS))
    if unknown:
        fail(f"unknown corruption(s) {', '.join(unknown)}; valid: {', '.join(CORRUPTIONS)}")
        return 2
    try:
        segmenter = load_segmenter(args.model)
    except SkucutError as exc:
        fail(str(exc))
        return exc.exit_code
    print(f"model: {segmenter.path}  refine: {args.refine}  cleanup: {args.cleanup}")
    attack = _attack(args, segmenter) if args.weights else None
    if args.weights and attack is None:
        return 2

    def predict(rgb):
        return refine_alpha(rgb, segmenter.probability(rgb), args.refine, args.cleanup)

    results = {}
    for data in args.data:
        name = Path(data).name
        rows = robustness_rows(
            predict, data, args.corruptions or list(CORRUPTIONS), attack, args.seed
        )
        summary = summarize_robustness(rows)
        n_images = sum(row["corruption"] == "clean" for row in rows)
        print(robustness_table(name, summary, n_images, attack.label if attack else None) + "\n")
        results[name] = {k: {m: round(v, 4) for m, v in d.items()} for k, d in summary.items()}
    if args.json:
        Path(args.json).write_text(json.dumps({"robustness": results}, indent=2) + "\n")
    return 0


def _attack(args, segmenter):
    """The adversarial rows' predictor, or None (after saying why) when it cannot be made."""
    from skucut.metrics.evaluate import labelled_images

    try:
        from skucut.train.adversarial import AttackPredictor
    except ImportError:
        fail("adversarial rows need torch: pip install 'skucut[train]'")
        return None
    try:
        attack = AttackPredictor(args.weights, segmenter, args.attack_eps, args.attack_steps)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        fail(f"--weights: {exc}")
        return None
    _, rgb, _ = next(labelled_images(args.data[0]))
    gap = attack.mean_difference(rgb)
    # Mean gap: int8-stored weights move steep edge pixels a lot (max 0.5 measured on
    # skucut-fast-v1) but the whole map little (mean 0.011); other weights differ more.
    if gap > 0.03:
        fail(
            f"--weights {args.weights} are not {segmenter.path.name}'s: probabilities differ "
            f"by {gap:.3f} on average"
        )
        return None
    print(f"attack: {attack.label(1)} .. {attack.label(3)}, white box on {args.weights}")
    return attack
