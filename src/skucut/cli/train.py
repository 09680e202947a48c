"""skucut train / skucut export: the training chain (needs the [train] extra)."""

from __future__ import annotations

import dataclasses

from skucut.cli._common import fail


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a model from a YAML/TOML config, or fine-tune one on your own pairs",
        epilog="fine-tune: skucut train --finetune feedback/ --from skucut-fast-v1 "
        "--out-dir runs/my-shop  (then compare the printed table and use "
        "runs/my-shop/model.onnx with -m if it is better)",
    )
    p.add_argument("--config", help="training recipe (YAML/TOML); not with --finetune")
    p.add_argument(
        "--finetune",
        metavar="DIR",
        help="fine-tune --from MODEL on DIR's images/ + masks/ pairs (e.g. serve's feedback)",
    )
    p.add_argument("--from", dest="base", metavar="MODEL", help="shipped model or weights .pt")
    p.add_argument(
        "--holdout-every", type=int, default=5, help="keep every Nth pair out to judge by (5)"
    )
    p.add_argument(
        "--no-replay",
        dest="replay",
        action="store_false",
        help="train on DIR alone, without the original data (faster; may forget)",
    )
    p.add_argument("--dev", nargs="*", default=[], help="also compare on these pair folders")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in out_dir")
    p.add_argument("--steps", type=int, help="override the config's step count")
    p.add_argument(
        "--stop-after", type=int, help="stop (with a checkpoint) at this step; resume later"
    )
    # The same recipe elsewhere (e.g. a GPU machine with an unpacked `skucut data pack`).
    p.add_argument("--data-root", help="folder the config's data paths are relative to")
    p.add_argument("--device", choices=["cpu", "cuda"])
    p.add_argument("--batch-size", type=int)
    p.add_argument("--workers", type=int, dest="num_workers", help="data loader processes")
    p.add_argument("--out-dir", help="run folder (checkpoints, log)")
    p.set_defaults(run=run_train)
    r = sub.add_parser(
        "prune", help="prune a trained U-Net's channels to a share of its FLOPs, then fine-tune"
    )
    r.add_argument("checkpoint", help="trained checkpoint (e.g. runs/unet-v4/best.pt)")
    r.add_argument("--flops", type=float, required=True, help="share of FLOPs to keep, e.g. 0.8")
    r.add_argument("--out-dir", required=True, help="run folder for the fine-tune")
    r.add_argument("--config", help="fine-tuning recipe (default: the checkpoint's own)")
    r.add_argument("--steps", type=int, default=600, help="fine-tuning steps")
    r.add_argument("--lr", type=float, help="peak fine-tuning learning rate (default: recipe's)")
    r.add_argument("--model-version", help="version to record (default: VERSION-pNN)")
    r.add_argument("--dry-run", action="store_true", help="report the pruned shape, no training")
    r.set_defaults(run=run_prune)
    e = sub.add_parser("export", help="export a checkpoint to ONNX with ModelCfg metadata")
    e.add_argument("checkpoint")
    e.add_argument("-o", "--output", required=True)
    e.add_argument(
        "--input-size", type=int, help="inference size to record (default: the config's)"
    )
    e.add_argument(
        "--weights", help="also write the weights alone (float16) here, to train on from later"
    )
    e.add_argument(
        "--model-version",
        help="version to record (default: the checkpoint's); a new working size is a new model",
    )
    e.set_defaults(run=run_export)


def _need_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        fail("training needs the [train] extra: pip install 'skucut[train]'")
        return False
    return True


def run_train(args) -> int:
    if not _need_torch():
        return 2
    if args.finetune or args.base:
        return run_finetune(args)
    if not args.config:
        fail("give --config RECIPE, or --finetune DIR --from MODEL")
        return 2
    from skucut._files import load_mapping

    raw = load_mapping(args.config)
    if raw.get("task") == "sr":  # super-resolution (skucut.train.sr)
        from skucut.train.sr import SRTrainConfig as Config
        from skucut.train.sr import train_sr as run
    else:
        from skucut.train.config import TrainConfig as Config
        from skucut.train.loop import train as run
    cfg = Config.from_dict(raw)
    overrides = ("steps", "data_root", "device", "batch_size", "num_workers", "out_dir")
    given = {k: getattr(args, k) for k in overrides if getattr(args, k) is not None}
    if args.data_root and not cfg.data_root:
        fail(f"{args.config} has no data_root, so its data paths cannot be moved")
        return 2
    unsupported = sorted(set(given) - {f.name for f in dataclasses.fields(cfg)})
    if unsupported:
        fail(f"{args.config}: this task has no {', '.join(unsupported)} option")
        return 2
    cfg = dataclasses.replace(cfg, **given)
    print(run(cfg, resume=not args.fresh, stop_after=args.stop_after))
    return 0


def run_finetune(args) -> int:
    from pathlib import Path

    from skucut.errors import SkucutError
    from skucut.export import export_onnx
    from skucut.train.finetune import compare, plan_finetune
    from skucut.train.loop import train

    if not (args.finetune and args.base):
        fail("fine-tuning needs both --finetune DIR and --from MODEL")
        return 2
    out = Path(args.out_dir or f"runs/finetune-{Path(args.base).stem}")
    try:
        plan = plan_finetune(
            args.finetune, args.base, out, args.steps or 300, args.holdout_every, args.replay,
            args.dev,
        )  # fmt: skip
    except (SkucutError, ValueError, OSError) as exc:
        fail(str(exc))
        return getattr(exc, "exit_code", 2)
    cfg = plan.config
    print(f"fine-tuning {args.base} on {args.finetune}: {cfg.steps} steps -> {out}")
    best = train(cfg, resume=not args.fresh, stop_after=args.stop_after)
    tuned = out / "model.onnx"
    export_onnx(best, tuned)
    base = plan.base_model
    if base is None:  # weights given by path: export them too, to compare like with like
        base = out / "base.onnx"
        export_onnx(cfg.init_from, base)
    results = compare(base, tuned, [str(plan.holdout), *args.dev], out)
    print(f"{'set':<16}{'model':<12}{'IoU':>8}{'S':>8}{'BF1':>8}")
    for label, sets in results.items():
        for name, m in sets.items():
            print(f"{name:<16}{label:<12}{m['iou']:>8.4f}{m['s_measure']:>8.4f}"
                  f"{m['boundary_f1']:>8.4f}")  # fmt: skip
    print(f"fine-tuned model: {tuned} (use it with -m {tuned}); table in {out}/comparison.json")
    return 0


def run_prune(args) -> int:
    """Prune + fine-tune is a training run whose config has init_from and prune_flops."""
    if not _need_torch():
        return 2
    from pathlib import Path

    import yaml

    from skucut.modelcfg import ModelCfg
    from skucut.train.checkpoint import load_checkpoint
    from skucut.train.config import TrainConfig
    from skucut.train.loop import train
    from skucut.train.prune import prune_checkpoint, pruning_report

    state = load_checkpoint(args.checkpoint)
    cfg = TrainConfig.from_file(args.config) if args.config else TrainConfig(**state["config"])
    trained = ModelCfg.from_json(state["model_cfg"])
    cfg = cfg.replace(
        model_version=args.model_version or f"{trained.version}-p{round(args.flops * 100)}",
        init_from=str(args.checkpoint),
        prune_flops=args.flops,
        steps=args.steps,
        lr=args.lr or cfg.lr,
        out_dir=args.out_dir,
    )
    try:  # checked and shown before anything is written
        report = pruning_report(
            *prune_checkpoint(state, args.flops, cfg.input_size), cfg.input_size
        )
    except ValueError as exc:  # not a unet, or a share below what 8-channel layers allow
        fail(f"{args.checkpoint}: {exc}")
        return 2
    print(report)
    if args.dry_run:
        return 0
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # The run's own config, so `skucut train --config OUT/config.yaml` reproduces or resumes it.
    (out / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    print(train(cfg))  # prunes again from init_from: a pure function of its weights
    return 0


def run_export(args) -> int:
    if not _need_torch():
        return 2
    from skucut.train.checkpoint import load_checkpoint, save_weights

    checkpoint = load_checkpoint(args.checkpoint)
    if "refiner_cfg" in checkpoint:  # an edge refiner (python -m skucut.train.refiner)
        from skucut.export.refiner import export_refiner

        ref = export_refiner(args.checkpoint, args.output, args.weights)
        print(f"wrote {args.output}: {ref.name} v{ref.version}, edge refiner")
        return 0
    if args.weights:
        save_weights(checkpoint, args.weights)
        print(f"wrote {args.weights}: weights at step {checkpoint.get('step', '?')}")
    if "sr_cfg" in checkpoint:
        from skucut.train.sr import export_sr

        sr = export_sr(args.checkpoint, args.output)
        print(f"wrote {args.output}: {sr.name} v{sr.version}, x{sr.scale} super-resolution")
        return 0
    from skucut.export import export_onnx

    cfg = export_onnx(
        args.checkpoint, args.output, input_size=args.input_size, version=args.model_version
    )
    print(f"wrote {args.output}: {cfg.name} v{cfg.version}, input {cfg.input_size}px")
    return 0
