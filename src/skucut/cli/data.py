"""skucut data preview (a contact sheet of what a config feeds the model) and data pack."""

from __future__ import annotations

from skucut.cli._common import fail


def register(sub) -> None:
    p = sub.add_parser("data", help="look at training data")
    actions = p.add_subparsers(dest="action", required=True)
    preview = actions.add_parser("preview", help="write a contact sheet PNG of training samples")
    preview.add_argument("--config", required=True, help="training config (YAML/TOML)")
    preview.add_argument("-o", "--output", default="data-preview.png")
    preview.add_argument("-n", type=int, default=24, help="number of samples")
    preview.add_argument("--start", type=int, default=0, help="first sample index")
    preview.set_defaults(run=run)
    pack = actions.add_parser(
        "pack", help="pack a data folder into one compact ZIP (to train on another machine)"
    )
    pack.add_argument("root", help="data folder, e.g. ../shared/data")
    pack.add_argument("-o", "--output", required=True, help="ZIP to write")
    pack.add_argument(
        "--config", help="pack only the folders this training config uses (needs data_root)"
    )
    pack.add_argument("--folders", nargs="+", help="folders under ROOT to pack")
    pack.add_argument("--max-side", type=int, default=320, help="longest side of pair images")
    pack.add_argument("--quality", type=int, default=80, help="WebP quality of photos")
    pack.set_defaults(run=run_pack)
    pseudo = actions.add_parser(
        "pseudo-label",
        help="label unlabeled photos with a trained model, keeping only sure pixels (self-training)",
    )
    pseudo.add_argument("photos", help="folder of unlabeled photos (never an eval set)")
    pseudo.add_argument("-o", "--output", required=True, help="images/ + masks/ folder to write")
    pseudo.add_argument("-m", "--model", required=True, help="the labelling model (.onnx or name)")
    pseudo.add_argument(
        "--sure", type=float, default=0.9, help="probability a pixel needs to be labelled (0.9)"
    )
    pseudo.add_argument(
        "--sides",
        type=int,
        nargs="+",
        help="working sizes of the views that must agree, each also mirrored "
        "(default: the model's own size only)",
    )
    pseudo.add_argument(
        "--threads", type=int, default=0, help="onnxruntime threads (0 = one per core)"
    )
    pseudo.add_argument(
        "--exclude",
        help="a file of name prefixes to leave out, one a line (e.g. the SKUs of a dev set)",
    )
    pseudo.set_defaults(run=run_pseudo)


def run_pack(args) -> int:
    from skucut.data.pack import build_pack

    folders = args.folders or []
    if args.config:
        from skucut.train.config import TrainConfig

        try:
            cfg = TrainConfig.from_file(args.config)
        except (ValueError, OSError) as exc:
            fail(str(exc))
            return 2
        if not cfg.data_root:
            fail(f"{args.config} has no data_root; list --folders instead")
            return 2
        configured = [d for dirs in cfg.data_dirs().values() for d in dirs]
        folders = list(dict.fromkeys([*folders, *configured]))  # worn_dirs repeat train_dirs
    if not folders:
        fail("name what to pack: --config CONFIG or --folders A B ...")
        return 2
    try:
        summary = build_pack(
            args.root, args.output, sorted(set(folders)), args.max_side, args.quality
        )
    except (OSError, ValueError) as exc:
        fail(str(exc))
        return 2
    mib = summary.bytes / 2**20
    print(
        f"{summary.files} files from {len(summary.folders)} folders -> {args.output} ({mib:.1f} MiB)"
    )
    return 0


def run_pseudo(args) -> int:
    from skucut.catalog import resolve_model
    from skucut.data.pairs import read_name_list
    from skucut.data.pseudo import pseudo_label
    from skucut.errors import SkucutError

    try:
        exclude = sorted(read_name_list(args.exclude)) if args.exclude else []
        report = pseudo_label(
            resolve_model(args.model),
            args.photos,
            args.output,
            args.sure,
            sides=args.sides or [None],
            exclude=exclude,
            threads=args.threads,
        )
    except (SkucutError, ValueError, OSError) as exc:
        fail(str(exc))
        return getattr(exc, "exit_code", 2)
    print(f"{report.written} pairs -> {args.output}; {len(report.skipped)} photos left out")
    for name, reason in sorted(report.skipped.items()):
        print(f"  left out {name}: {reason}")
    return 0


def run(args) -> int:
    try:
        import numpy as np
        from PIL import Image

        from skucut.models import create_model
        from skucut.train.config import TrainConfig
        from skucut.train.loop import model_cfg_for, training_pairs, training_samples
    except ImportError as exc:
        fail(f"needs the train extra: pip install 'skucut[train]' ({exc.name} missing)")
        return 2
    try:
        cfg = TrainConfig.from_file(args.config).resolved()
        model = create_model(cfg.arch, **cfg.arch_kwargs)
        model_cfg = model_cfg_for(cfg, model)  # only its normalisation is needed here
        mean, std = model_cfg.mean, model_cfg.std
        samples = training_samples(cfg, training_pairs(cfg), mean, std)
    except (ValueError, OSError) as exc:
        fail(str(exc))
        return 2
    tiles = []
    for k in range(args.start, args.start + args.n):
        sample = samples[k]
        image = sample["image"].transpose(1, 2, 0) * np.float32(std) + np.float32(mean)
        image = (np.clip(image, 0, 1) * 255).astype(np.uint8)
        overlay = image.copy()
        product, ignore = sample["target"][0] > 0.5, sample["valid"][0] < 0.5
        overlay[product] = (overlay[product] * 0.5 + np.array([0, 255, 0]) * 0.5).astype(np.uint8)
        overlay[ignore] = (255, 0, 0)
        tiles.append(np.hstack([image, overlay]))
    columns = 4
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    Image.fromarray(np.vstack(rows)).save(args.output)
    print(f"{args.n} samples (image | green = product, red = ignored) -> {args.output}")
    return 0
