"""skucut tune: hyper-parameter search over a training recipe (Optuna; needs the [tune] extra)."""

from __future__ import annotations

from pathlib import Path

from skucut.cli._common import fail


def register(sub) -> None:
    p = sub.add_parser(
        "tune",
        help="search a recipe's learning rates, loss weights and augmentation (short runs)",
        epilog="run it again with the same --storage to resume or extend a search",
    )
    p.add_argument("--config", required=True, help="the recipe to start from (YAML/TOML)")
    p.add_argument(
        "--trials", type=int, required=True, help="finished trials the study should have"
    )
    p.add_argument(
        "--budget-steps", type=int, required=True, help="training steps of each trial's run"
    )
    p.add_argument("--out-dir", help="trial runs and study (default: runs/tune/CONFIG-NAME)")
    p.add_argument("--storage", help="Optuna storage URL (default: sqlite:///OUT-DIR/study.db)")
    p.add_argument("--study", help="study name (default: CONFIG-NAME)")
    p.add_argument("-o", "--output", help="the best recipe's YAML (default: OUT-DIR/best.yaml)")
    p.add_argument("--seed", type=int, default=0, help="sampler seed (default: 0)")
    p.add_argument("--data-root", help="folder the config's data paths are relative to")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        import optuna  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        fail("tuning needs Optuna and torch: pip install 'skucut[tune]'")
        return 2
    import yaml

    from skucut._files import load_mapping, write_atomic
    from skucut.train.config import TrainConfig
    from skucut.train.tune import best_config, trials_table, tune

    raw = load_mapping(args.config)
    if args.data_root and not raw.get("data_root"):
        fail(f"{args.config} has no data_root, so its data paths cannot be moved")
        return 2
    base = TrainConfig.from_dict(raw)
    if args.data_root:  # for these runs only: the recipe written keeps the file's own
        base = base.replace(data_root=args.data_root)
    name = Path(args.config).stem
    out_dir = Path(args.out_dir or f"runs/tune/{name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    storage = args.storage or f"sqlite:///{out_dir / 'study.db'}"
    try:
        study = tune(
            base, args.trials, args.budget_steps, storage, args.study or name, out_dir, args.seed
        )
    except ValueError as exc:
        fail(str(exc))
        return 2
    print(trials_table(study))
    best = study.best_trial
    output = Path(args.output or out_dir / "best.yaml")
    header = (
        f"# skucut tune: best of {args.study or name} in {storage}: trial {best.number}, "
        f"mean IoU {best.value:.4f} on {', '.join(Path(d).name for d in base.val_dirs)} after "
        f"{args.budget_steps} steps\n# (from {args.config}; the full schedule is its own)\n"
    )
    body = yaml.safe_dump(best_config(base, raw, best), sort_keys=False)
    write_atomic(output, (header + body).encode())
    print(f"best: trial {best.number}, score {best.value:.4f}; its recipe: {output}")
    return 0
