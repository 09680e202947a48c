"""The training loop, readable top to bottom.

Data are a pure function of (seed, sample index) and the checkpoint holds model, optimizer,
scheduler, step and RNG state, so a resumed run continues exactly where it stopped.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

from skucut.data.augment import AugmentCfg
from skucut.data.composite import (
    CompositeCfg,
    CompositePairs,
    MixedSamples,
    load_backgrounds,
    load_cutouts,
    objects_from_pairs,
)
from skucut.data.corrupted import with_corruptions
from skucut.data.pairs import (
    EvalPairs,
    TrainPairs,
    find_pairs,
    ignore_wearer,
    load_pair,
    load_pairs,
    read_name_list,
    without_person,
)
from skucut.modelcfg import ModelCfg
from skucut.models import create_model
from skucut.train.adversarial import create_adversary
from skucut.train.checkpoint import load_checkpoint
from skucut.train.config import TrainConfig, strict_config
from skucut.train.ema import inference_weights
from skucut.train.gan import create_gan
from skucut.train.prune import prune_checkpoint
from skucut.train.steps import StepLoop
from skucut.train.task import segmentation_step


def model_cfg_for(cfg: TrainConfig, model, training_data: str = "") -> ModelCfg:
    """The exported contract: stride from the model, and its encoder's input normalisation
    when it has a pretrained one (the others use ModelCfg's defaults)."""
    normalisation = {"mean": model.mean, "std": model.std} if hasattr(model, "mean") else {}
    return ModelCfg(
        name=cfg.model_name,
        version=cfg.model_version,
        arch=cfg.arch,
        arch_kwargs=dict(cfg.arch_kwargs),
        input_size=cfg.input_size,
        stride=model.stride,
        training_data=training_data,
        outputs=tuple(getattr(model, "outputs", ("subject",))),
        **normalisation,
    )


def cpu_has_native_bf16() -> bool:
    """AVX-512 BF16 or AMX in the CPU flags (torch's capability string does not say: it reads
    "AVX512" on CPUs with and without bf16 instructions)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _use_bf16(cfg: TrainConfig) -> bool:
    if cfg.bf16 == "auto":
        return cfg.device == "cuda" or cpu_has_native_bf16()
    return cfg.bf16 == "on"


def param_groups(model, cfg: TrainConfig) -> list[dict]:
    """A pretrained encoder learns at ``encoder_lr_scale`` times the decoder's rate: it already
    knows what objects look like, and a full rate would wash that out in the first steps."""
    encoder = getattr(model, "encoder", None)
    if encoder is None or cfg.encoder_lr_scale == 1.0:
        return [{"params": list(model.parameters()), "lr": cfg.lr}]
    own = {id(p) for p in encoder.parameters()}
    rest = [p for p in model.parameters() if id(p) not in own]
    return [
        {"params": list(encoder.parameters()), "lr": cfg.lr * cfg.encoder_lr_scale},
        {"params": rest, "lr": cfg.lr},
    ]


def load_teacher(path: str, student_norm, device):
    """A function: student-normalised images -> the teacher's probabilities (no gradient).

    The images are re-normalised to the teacher's own mean and std first (the encoders of the
    two may have been trained with different ones)."""
    from skucut.train.checkpoint import load_trained_model

    teacher, cfg = load_trained_model(path)
    teacher = teacher.to(device).to(memory_format=torch.channels_last)
    scale = torch.tensor(student_norm[1], device=device).view(1, 3, 1, 1)
    shift = torch.tensor(student_norm[0], device=device).view(1, 3, 1, 1)
    t_mean = torch.tensor(cfg.mean, device=device).view(1, 3, 1, 1)
    t_std = torch.tensor(cfg.std, device=device).view(1, 3, 1, 1)

    @torch.no_grad()
    def probabilities(image: torch.Tensor) -> torch.Tensor:
        subject = teacher((image * scale + shift - t_mean) / t_std)[:, :1]
        return torch.sigmoid(subject.float())

    return probabilities


def split_holdout(folder: str, cfg: TrainConfig) -> tuple[list, list]:
    """(training, held-out) (image, mask) paths of one train folder, its last
    ``holdout[folder]`` pairs held out: each side decodes only its own photos."""
    paths = find_pairs(folder)
    n = int(cfg.holdout.get(folder, 0))
    return (paths[:-n], paths[-n:]) if n else (paths, [])


def _load(paths: list, max_side: int) -> list:
    return [load_pair(image, mask, max_side) for image, mask in paths]


def training_pairs(cfg: TrainConfig) -> list:
    """The real pairs of ``cfg.train_dirs`` (each repeated per ``train_repeats``) less the
    held-out ones, people's skin and heads ignored in ``worn_dirs``, the photos listed in
    ``no_person`` labelled "no person"."""
    unknown = sorted(set(cfg.worn_dirs) - set(cfg.train_dirs))
    unknown += sorted(set(cfg.holdout) - set(cfg.train_dirs))
    if unknown:
        raise ValueError(f"worn_dirs and holdout must be train_dirs too: {', '.join(unknown)}")
    repeats = cfg.train_repeats or [1] * len(cfg.train_dirs)
    if len(repeats) != len(cfg.train_dirs) or min(repeats, default=1) < 1:
        raise ValueError("train_repeats needs one whole number >= 1 per train_dirs folder")
    no_person = read_name_list(cfg.no_person) if cfg.no_person else set()
    pairs = []
    for folder, times in zip(cfg.train_dirs, repeats, strict=True):
        loaded = _load(split_holdout(folder, cfg)[0], cfg.max_side)
        if folder in cfg.worn_dirs:
            loaded = [ignore_wearer(pair) for pair in loaded]
        set_name = Path(folder).name
        loaded = [
            without_person(pair) if f"{set_name}/{pair.name}" in no_person else pair
            for pair in loaded
        ]
        pairs += loaded * times
    return pairs


def load_init_weights(model, weights: dict) -> None:
    """Trained weights into ``model``; only a person head the trained model did not have may
    be missing (it starts fresh: a one-output model grows a person output this way)."""
    try:
        missing, unexpected = model.load_state_dict(weights, strict=False)
    except RuntimeError as exc:  # shapes differ
        raise ValueError(f"init_from weights do not fit {type(model).__name__}: {exc}") from None
    new = [k for k in missing if not k.startswith("person_head.")]
    if new or unexpected:
        raise ValueError(
            f"init_from weights do not fit {type(model).__name__}: "
            f"missing {new[:5]}, unexpected {unexpected[:5]}"
        )


def training_samples(cfg: TrainConfig, pairs: list, mean, std):
    """What the model is fed: augmented real pairs, mixed with composites if configured, a
    share of them corrupted if configured."""
    augment = strict_config(AugmentCfg, cfg.augment)
    real = TrainPairs(pairs, cfg.train_size, mean, std, cfg.seed, augment)
    if not cfg.composite_weight:
        return with_corruptions(real, cfg, mean, std)
    foregrounds = load_cutouts(cfg.cutout_dirs)
    if cfg.objects_from_train:
        foregrounds += objects_from_pairs(pairs)
    backgrounds = load_backgrounds(cfg.background_dirs)
    composite = CompositePairs(
        foregrounds,
        backgrounds,
        cfg.train_size,
        cfg.seed,
        strict_config(CompositeCfg, cfg.composite),
    )
    return with_corruptions(
        MixedSamples(real, composite, cfg.composite_weight, mean, std), cfg, mean, std
    )


def rescale_batch(batch: dict[str, torch.Tensor], side: int) -> dict[str, torch.Tensor]:
    """The batch resized to side x side: images and targets smoothly, the valid masks exactly."""
    if batch["image"].shape[-1] == side and batch["image"].shape[-2] == side:
        return batch
    smooth = {"size": (side, side), "mode": "bilinear", "align_corners": False}
    exact = {"size": (side, side), "mode": "nearest"}
    return {
        key: F.interpolate(value, **(exact if key.endswith("valid") else smooth))
        for key, value in batch.items()
    }


def step_side(cfg: TrainConfig, step: int) -> int:
    """The training side for ``step``: a pure function of (seed, step), so resume is exact."""
    if not cfg.scales:
        return cfg.train_size
    return int(np.random.default_rng((cfg.seed, step)).choice(cfg.scales))


def _data_summary(cfg: TrainConfig, n_train: int) -> str:
    names = ", ".join(Path(d).name for d in cfg.train_dirs)
    summary = f"{n_train} image/mask pairs from: {names}"
    if cfg.composite_weight:
        sources = ", ".join(Path(d).name for d in [*cfg.cutout_dirs, *cfg.background_dirs])
        summary += f"; {cfg.composite_weight:.0%} composites ({sources})"
    return summary


def _ious(prob, target, valid) -> list[float]:
    """Per-image IoU at threshold 0.5 over valid pixels (images with none left out)."""
    pred = (prob > 0.5).float()
    inter = (pred * target * valid).sum(dim=(1, 2, 3))
    union = (((pred + target) > 0).float() * valid).sum(dim=(1, 2, 3))
    labelled = valid.sum(dim=(1, 2, 3)) > 0
    return (inter / union.clamp_min(1))[labelled].tolist()


@torch.no_grad()
def validate(model, loaders: dict[str, DataLoader], device, autocast) -> dict[str, float]:
    """Mean per-image IoU (threshold 0.5) and MAE on valid pixels, at the model's resolution;
    the person output's IoU (``NAME/person_iou``) on sets that label people. The score (which
    picks the best checkpoint) is the mean subject IoU over the dev sets, held-out parts of
    training folders ("-holdout") left out: models are chosen on eval/*-dev only."""
    model.eval()
    result = {}
    for name, loader in loaders.items():
        ious, maes, person_ious = [], [], []
        for batch in loader:
            image = batch["image"].to(device).to(memory_format=torch.channels_last)
            with autocast():
                probs = torch.sigmoid(model(image).float()).cpu()
            prob, valid, target = probs[:, :1], batch["valid"], batch["target"]
            ious += _ious(prob, target, valid)
            maes += (
                (prob - target).abs().mul(valid).sum(dim=(1, 2, 3)) / valid.sum(dim=(1, 2, 3))
            ).tolist()
            if probs.shape[1] > 1:
                person_ious += _ious(probs[:, 1:2], batch["person"], batch["person_valid"])
        result[f"{name}/iou"] = float(np.mean(ious))
        result[f"{name}/mae"] = float(np.mean(maes))
        if person_ious:
            result[f"{name}/person_iou"] = float(np.mean(person_ious))
    scored = [v for k, v in result.items() if k.endswith("/iou") and "-holdout/" not in k]
    result["score"] = float(np.mean(scored))
    model.train()
    return result


def train(cfg: TrainConfig, resume: bool = True, stop_after: int | None = None) -> Path:
    """Train per ``cfg``; returns the path of the best checkpoint.

    ``stop_after`` ends this call at that step (with a checkpoint) without changing the
    schedule, so a long run can be done in time-boxed pieces and resumed.
    """
    cfg = cfg.resolved()
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but CUDA is not available")
    use_bf16 = _use_bf16(cfg)

    def autocast():
        if not use_bf16:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=torch.bfloat16)

    resuming = resume and (out / "last.pt").exists()
    arch_kwargs = dict(cfg.arch_kwargs)
    if cfg.prune_flops:
        # The trained model is pruned whatever its shape (an already pruned one too). Pruning is
        # a pure function of its weights, so a resumed run prunes again to the same shape.
        if not cfg.init_from:
            raise ValueError("prune_flops needs init_from: the trained weights to prune")
        init = load_checkpoint(cfg.init_from)
        _, model = prune_checkpoint(init, cfg.prune_flops, cfg.input_size)
        trained = ModelCfg.from_json(init["model_cfg"]).arch_kwargs
        arch_kwargs = {**trained, "channels": model.channels}
    else:
        model = create_model(cfg.arch, **arch_kwargs)
        if cfg.init_from and not resuming:
            load_init_weights(model, inference_weights(load_checkpoint(cfg.init_from)))
        elif cfg.encoder_weights and not resuming:
            if not hasattr(model, "load_pretrained"):
                raise ValueError(f"encoder_weights: {cfg.arch} has no pretrained encoder")
            model.load_pretrained(cfg.encoder_weights)
    model.freeze_encoder_bn = cfg.freeze_encoder_bn
    if any(side % model.stride for side in cfg.scales):
        raise ValueError(f"scales must be multiples of the model's stride {model.stride}")
    # channels_last: oneDNN's convolutions run faster on NHWC on this CPU (measured ~10%).
    model = model.to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(param_groups(model, cfg), weight_decay=cfg.weight_decay)
    train_pairs = training_pairs(cfg)
    model_cfg = model_cfg_for(
        cfg.replace(arch_kwargs=arch_kwargs), model, _data_summary(cfg, len(train_pairs))
    )
    gan = create_gan(cfg, device)
    loop = StepLoop(
        cfg, model, optimizer, out, {"model_cfg": model_cfg.to_json()}, {"gan": gan} if gan else {}
    )
    if resuming:
        loop.resume()

    mean, std = model_cfg.mean, model_cfg.std
    train_set = training_samples(cfg, train_pairs, mean, std)
    # Global sample indices: step s uses samples [s*B, (s+1)*B), whatever happened before.
    end = min(cfg.steps, stop_after or cfg.steps)
    loader = DataLoader(
        train_set,
        batch_size=cfg.batch_size,
        sampler=range(loop.step * cfg.batch_size, end * cfg.batch_size),
        num_workers=cfg.num_workers,
        persistent_workers=cfg.num_workers > 0,
        drop_last=True,
    )
    val_sets = {Path(d).name: load_pairs([d], cfg.max_side) for d in cfg.val_dirs}
    for folder in cfg.holdout:
        val_sets[f"{Path(folder).name}-holdout"] = _load(
            split_holdout(folder, cfg)[1], cfg.max_side
        )
    val_loaders = {
        name: DataLoader(EvalPairs(pairs, cfg.input_size, mean, std), batch_size=16)
        for name, pairs in val_sets.items()
    }

    teach = load_teacher(cfg.teacher, (mean, std), device) if cfg.teacher else None
    adversary = create_adversary(cfg, mean, std, device)

    def loss_fn(batch):
        batch = rescale_batch(
            {k: v.to(device) for k, v in batch.items()}, step_side(cfg, loop.step)
        )
        batch["image"] = batch["image"].to(memory_format=torch.channels_last)
        if adversary:
            batch["image"] = adversary(model, batch, autocast, loop.step)
        with autocast():
            if teach:
                batch["teacher"] = teach(batch["image"])
            parts, logits = segmentation_step(
                model, batch, cfg.loss_weights, cfg.distill_weight, cfg.person_weight
            )
        if gan:
            parts = gan(parts, batch, logits, loop.step)
        return parts["loss"], {k: v.detach() for k, v in parts.items()}

    return loop.run(
        loader,
        loss_fn,
        (lambda m: validate(m, val_loaders, device, autocast)) if val_loaders else None,
        end=end,
        grad_clip=cfg.grad_clip,
    )
