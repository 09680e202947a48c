"""How well the review ranks bad cutouts, on the dev sets.

    python bench/confidence.py [--model M] [--data DIR ...] [--flag 0.2] [--bad 0.8]
                               [--product-only] [--cache FILE] [--fit]

For every image: the cutout `skucut remove` writes (refine fast, clean-up; with
--product-only, the product alone), its IoU against the mask as cut, and the review's signals
(skucut.review.measure) plus one more, the disagreement between the model at its working size
and at 1.5x that size (1 - IoU of the two maps). If the lowest ``--flag`` share of a score is
flagged for review: which share of the bad cutouts (IoU < ``--bad``) is caught, per set and
pooled. Rows: the model's plain confidence (the old ranking), the shipped ranking
(skucut.review.risk with RISK_WEIGHTS) and, with --fit, a logistic scorer fitted on the pool
with and without the two-scale signal (printed weights go into RISK_WEIGHTS), each also
scored leave-one-set-out so a fit is not only judged on what it was fitted to.
``--cache`` keeps the per-image rows (JSON lines), so a refit does not rerun the model.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import cv2
import numpy as np

from skucut.io import decode_image
from skucut.metrics.evaluate import _pairs
from skucut.metrics.measures import iou
from skucut.pipeline import RemoveOptions, load_segmenter, predict_alpha
from skucut.review import FEATURES, RISK_WEIGHTS, features, risk

DEV = Path(__file__).resolve().parents[2] / "shared/data/eval"
SETS = ("products-dev", "msra-dev", "pascals-dev", "grabcut-dev")


def disagreement(segmenter, rgb: np.ndarray, prob: np.ndarray) -> float:
    """1 - IoU of the subject at the working size and at 1.5x it."""
    cfg = segmenter.cfg
    side = round(1.5 * cfg.input_size / cfg.stride) * cfg.stride
    big = segmenter.maps(rgb, side)["subject"]
    big = cv2.resize(big, prob.shape[::-1], interpolation=cv2.INTER_AREA) > 0.5
    small = prob > 0.5
    union = (big | small).sum()
    return float(1 - (big & small).sum() / union) if union else 0.0


def rows_of(root: Path, options: RemoveOptions) -> list[dict]:
    segmenter = load_segmenter(options.model)
    rows = []
    for image_path, mask_path in _pairs(root):
        decoded = decode_image(image_path)
        gt = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
        alpha, review = predict_alpha(decoded, options)
        signals = dict(review.signals)
        signals["contrast"] = min(signals["contrast"], 1e9)  # JSON has no infinity
        rows.append({
            "set": root.name,
            "name": image_path.stem,
            "iou": iou(alpha.astype(np.float32) / 255, gt),
            "signals": signals,
            "disagree": disagreement(segmenter, decoded.rgb, review.evidence.subject),
        })  # fmt: skip
    return rows


def caught(score: np.ndarray, bad: np.ndarray, flag: float) -> float:
    """Share of the bad ones among the ``flag`` share with the highest score."""
    if not bad.any():
        return math.nan
    order = np.argsort(-score, kind="stable")
    flagged = np.zeros(len(score), bool)
    flagged[order[: max(1, round(flag * len(score)))]] = True
    return float((flagged & bad).sum() / bad.sum())


def matrix(rows: list[dict], two_scale: bool) -> np.ndarray:
    x = [features(r["signals"]) + ([r["disagree"]] if two_scale else []) for r in rows]
    return np.asarray(x, np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Weights (features..., bias) of an L2-regularised logistic regression (Newton steps),
    fitted on standardised features and returned for the raw ones."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    w = _newton((x - mean) / std, y, l2)
    raw = w[:-1] / std
    return np.append(raw, w[-1] - (raw * mean).sum())


def _newton(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -50, 50)))
        grad = xb.T @ (p - y) + reg * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def score_with(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.hstack([x, np.ones((len(x), 1))]) @ w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--data", nargs="+", type=Path, default=[DEV / n for n in SETS])
    parser.add_argument("--flag", type=float, default=0.2, help="share flagged for review")
    parser.add_argument("--bad", type=float, default=0.8, help="IoU under which a cutout is bad")
    parser.add_argument("--product-only", action="store_true")
    parser.add_argument("--cache", type=Path, default=None, help="JSON lines of per-image rows")
    parser.add_argument("--fit", action="store_true", help="fit a logistic scorer on the pool")
    args = parser.parse_args()
    options = RemoveOptions(model=args.model, product_only=args.product_only)

    rows: list[dict] = []
    if args.cache and args.cache.exists():
        rows = [json.loads(line) for line in args.cache.read_text().splitlines() if line]
    have = {r["set"] for r in rows}
    for root in args.data:
        if root.name not in have:
            rows += rows_of(root, options)
    if args.cache:
        args.cache.write_text("".join(json.dumps(r) + "\n" for r in rows))
    wanted = {root.name for root in args.data}
    rows = [r for r in rows if r["set"] in wanted]

    bad = np.array([r["iou"] < args.bad for r in rows])
    sets = [r["set"] for r in rows]
    names = sorted(set(sets), key=lambda n: [root.name for root in args.data].index(n))
    scorers = {
        "plain confidence (old)": np.array([-r["signals"]["confidence"] for r in rows]),
        "review.risk (shipped)": np.array([risk(r["signals"]) for r in rows]),
        "two-scale disagreement alone": np.array([r["disagree"] for r in rows]),
    }
    held_out = {}
    if args.fit:
        y = bad.astype(np.float64)
        for two_scale in (False, True):
            x = matrix(rows, two_scale)
            w = fit_logistic(x, y)
            label = "fitted" + (" + two-scale" if two_scale else "")
            scorers[label + " (in-sample)"] = score_with(w, x)
            cols = [*FEATURES, *(["disagree"] if two_scale else []), "bias"]
            print(
                f"{label} weights: "
                + ", ".join(f"{c}={v:.3f}" for c, v in zip(cols, w, strict=True))
            )
            out = np.zeros(len(rows))
            for name in names:  # leave one set out: fit on the others, score this one
                test = np.array([s == name for s in sets])
                out[test] = score_with(fit_logistic(x[~test], y[~test]), x[test])
            held_out[label + " (set held out)"] = out
        scorers.update(held_out)

    print(f"model: {args.model or 'default'}{' product-only' if args.product_only else ''}; "
          f"flag the top {args.flag:.0%} by risk; bad = IoU < {args.bad}")  # fmt: skip
    counts = " | ".join(
        f"{n} ({int(bad[np.array(sets) == n].sum())}/{sets.count(n)} bad)" for n in names
    )
    print(f"| ranking | {counts} | pooled ({int(bad.sum())}/{len(rows)} bad) |")
    print("|---|" + "---|" * (len(names) + 1))
    for label, score in scorers.items():
        cells = []
        for name in names:
            mask = np.array([s == name for s in sets])
            cells.append(f"{caught(score[mask], bad[mask], args.flag):.0%}")
        # Pooled: the same score over every image (the flag share taken from the whole pool).
        cells.append(f"{caught(score, bad, args.flag):.0%}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    cells = [
        f"{min(1, args.flag * sets.count(n) / max(1, bad[np.array(sets) == n].sum())):.0%}"
        for n in names
    ]
    cells.append(f"{min(1, args.flag * len(rows) / max(1, bad.sum())):.0%}")
    print(f"| (most a {args.flag:.0%} flag can catch) | " + " | ".join(cells) + " |")
    shipped = np.array([risk(r["signals"]) for r in rows])
    threshold = float(np.quantile(shipped, 1 - args.flag))
    print(f"\nshipped risk at the {1 - args.flag:.0%} quantile: {threshold:.3f} "
          f"(RISK_ABOVE should be about that); RISK_WEIGHTS = {RISK_WEIGHTS}")  # fmt: skip
    print("reasons fired (share of images):", _reason_rates(rows))


def _reason_rates(rows: list[dict]) -> str:
    from skucut.review import reasons

    counts: dict[str, int] = {}
    for r in rows:
        s = dict(r["signals"])
        for said in reasons(s, np.zeros((3, 3), bool) | (np.eye(3) > 0)):
            key = said.split(" (")[0].split(" at the")[0]
            key = "separate parts" if key.endswith("separate parts") else key
            counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} {v / len(rows):.0%}" for k, v in sorted(counts.items()))


if __name__ == "__main__":
    main()
