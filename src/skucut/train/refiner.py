"""Training of the learned edge refiner (skucut.models.refiner), resumable like the other tasks.

Crops around true edges (skucut.data.edges) with a coarse alpha as input: a segmentation
model's own map where a map pack is given (skucut.data.edge_maps), else the truth degraded as
a map would be. The loss
counts the uncertain band, where the refiner acts at use, fully and the rest a little (so
flat regions stay flat). Validation compares the refiner with its own input on a fixed set of
crops: mean absolute alpha error in the band (lower is better; ``score`` = its negation).

Run:  nice -n 5 python -m skucut.train.refiner --out-dir runs/refiner-v2 [--steps N]
          [--maps runs/data/refiner-maps-v3]
(re-running the same command resumes from ``last.pt``).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

from skucut.data.edge_maps import load_map_sources
from skucut.data.edges import EdgeCfg, EdgeCrops, load_cutout_sources, load_pair_sources
from skucut.models.refiner import EdgeRefiner
from skucut.refine.learned import uncertain_band
from skucut.refine.refinercfg import RefinerCfg
from skucut.train.checkpoint import load_checkpoint
from skucut.train.ema import inference_weights
from skucut.train.steps import StepLoop

DATA = "/work/shared/data"


@dataclass(frozen=True)
class RefinerTrainConfig:
    model_name: str = "skucut-refiner"
    model_version: str = "1"
    arch_kwargs: dict = field(default_factory=dict)
    cutout_dirs: list[str] = field(default_factory=lambda: [f"{DATA}/cutouts"])
    # Accurate masks only: coarse polygons (coco-coarse) would teach wrong edges.
    pair_dirs: list[str] = field(
        default_factory=lambda: [f"{DATA}/train/msra", f"{DATA}/train/davis"]
    )
    background_dirs: list[str] = field(default_factory=lambda: [f"{DATA}/backgrounds"])
    # Map packs (skucut.data.edge_maps): photos with a segmentation model's own map. Every
    # ``val_every_nth`` photo is held out; validation then measures on those alone.
    map_dirs: list[str] = field(default_factory=list)
    val_every_nth: int = 10
    edges: dict = field(default_factory=dict)  # EdgeCfg overrides
    init_from: str = ""  # weights to start from (a shipped weights.pt), for a longer run
    band_weight_outside: float = 0.1  # loss weight of pixels outside the band
    steps: int = 1300
    batch_size: int = 16
    lr: float = 2e-3
    warmup_steps: int = 100
    ema_decay: float = 0.995  # a short run on a busy CPU: average the last ~200 steps
    threads: int = 1  # the segmentation training has priority on this machine's cores
    seed: int = 0
    out_dir: str = "runs/refiner-v1"
    val_crops: int = 192
    val_every: int = 250
    ckpt_every: int = 150  # ~2-3 minutes on one busy core
    log_every: int = 25

    def refiner_cfg(self, training_data: str = "") -> RefinerCfg:
        return RefinerCfg(
            name=self.model_name,
            version=self.model_version,
            arch_kwargs=dict(self.arch_kwargs),
            training_data=training_data,
        )


def band_weights(batch: dict[str, torch.Tensor], cfg: RefinerTrainConfig) -> torch.Tensor:
    """1 in the band the refiner acts on at use, a little elsewhere, 0 where the label is void."""
    rc = RefinerCfg()
    coarse = batch["input"][:, 3].numpy()
    band = np.stack([uncertain_band(c, rc.band, rc.low, rc.high) for c in coarse])[:, None]
    inside = torch.from_numpy(band.astype(np.float32))
    return batch["weight"] * (cfg.band_weight_outside + (1 - cfg.band_weight_outside) * inside)


def refiner_loss(prediction, target, weight) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Weighted L1 (the alpha error) + weighted BCE (steep where the edge is hard)."""
    norm = weight.sum().clamp_min(1.0)
    l1 = ((prediction - target).abs() * weight).sum() / norm
    p = prediction.clamp(1e-5, 1 - 1e-5)
    bce = (F.binary_cross_entropy(p, target, reduction="none") * weight).sum() / norm
    return l1 + 0.5 * bce, {"l1": l1.detach(), "bce": bce.detach()}


@torch.no_grad()
def validate_refiner(model, batches, cfg: RefinerTrainConfig) -> dict[str, float]:
    model.eval()
    ours = coarse = count = 0.0
    rc = RefinerCfg()
    for batch in batches:
        band = np.stack(
            [uncertain_band(c, rc.band, rc.low, rc.high) for c in batch["input"][:, 3].numpy()]
        )[:, None]
        w = batch["weight"].numpy() * band
        out = model(batch["input"]).numpy()
        target = batch["target"].numpy()
        ours += float((np.abs(out - target) * w).sum())
        coarse += float((np.abs(batch["input"][:, 3:4].numpy() - target) * w).sum())
        count += float(w.sum())
    model.train()
    mae, base = ours / max(count, 1), coarse / max(count, 1)
    return {"band_mae": mae, "coarse_mae": base, "score": -mae}


def train_refiner(
    cfg: RefinerTrainConfig, resume: bool = True, stop_after: int | None = None
) -> Path:
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    started = time.time()
    cutouts = load_cutout_sources(cfg.cutout_dirs)
    pairs = load_pair_sources(cfg.pair_dirs)
    from skucut.data.composite import load_backgrounds

    backgrounds = load_backgrounds(cfg.background_dirs, max_side=1600)
    edge_cfg = dataclasses.replace(EdgeCfg(), **cfg.edges)
    mapped = load_map_sources(cfg.map_dirs)
    n = cfg.val_every_nth
    held_out_maps = mapped[::n]
    mapped = [s for i, s in enumerate(mapped) if i % n]
    data = EdgeCrops(cutouts, pairs, backgrounds, edge_cfg, seed=cfg.seed, mapped=mapped)
    names = ", ".join(Path(d).name for d in cfg.cutout_dirs + cfg.pair_dirs)
    summary = (
        f"{len(cutouts)} cutouts with real alpha on {len(backgrounds)} photo and generated "
        f"studio backgrounds, {len(pairs)} photos with accurate masks ({names}); "
        f"{edge_cfg.crop} px crops around true edges, degraded coarse alpha as input"
    )
    if mapped:
        summary += (
            f"; {edge_cfg.p_model_map:.0%} of crops from {len(mapped)} photos with a "
            f"segmentation model's own map as input ({', '.join(map(str, cfg.map_dirs))}; "
            f"{len(held_out_maps)} more held out for validation)"
        )
    print(f"data loaded in {time.time() - started:.0f} s: {summary}", flush=True)
    model = EdgeRefiner(**cfg.arch_kwargs)
    if cfg.init_from:
        start = load_checkpoint(cfg.init_from)
        model.load_state_dict({k: v.float() for k, v in inference_weights(start).items()})
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    loop = StepLoop(cfg, model, optimizer, out, {"refiner_cfg": cfg.refiner_cfg(summary).to_json()})
    if resume:
        loop.resume()
    if held_out_maps:  # the real task: the model's maps of photos not trained on
        held_out = EdgeCrops([], [], [], edge_cfg, seed=cfg.seed + 1000, mapped=held_out_maps)
    else:
        held_out = EdgeCrops(cutouts, pairs, backgrounds, edge_cfg, seed=cfg.seed + 1000)
    val_batches = list(
        DataLoader(held_out, batch_size=32, sampler=range(cfg.val_crops), drop_last=False)
    )
    end = min(cfg.steps, stop_after or cfg.steps)
    loader = DataLoader(
        data,
        batch_size=cfg.batch_size,
        sampler=range(loop.step * cfg.batch_size, end * cfg.batch_size),
        drop_last=True,
    )

    def loss_fn(batch):
        return refiner_loss(model(batch["input"]), batch["target"], band_weights(batch, cfg))

    return loop.run(
        loader,
        loss_fn,
        lambda m: validate_refiner(m, val_batches, cfg),
        end=end,
        score="score",
        grad_clip=1.0,
        desc="train-refiner",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=RefinerTrainConfig.out_dir)
    parser.add_argument("--steps", type=int, default=RefinerTrainConfig.steps)
    parser.add_argument("--stop-after", type=int, help="stop (with a checkpoint) at this step")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing last.pt")
    parser.add_argument("--init-from", default="", help="weights to start from (weights.pt)")
    parser.add_argument("--lr", type=float, default=RefinerTrainConfig.lr, help="peak rate")
    parser.add_argument("--maps", nargs="*", default=[], help="map packs (skucut.data.edge_maps)")
    parser.add_argument("--version", default=RefinerTrainConfig.model_version)
    parser.add_argument("--threads", type=int, default=RefinerTrainConfig.threads)
    args = parser.parse_args(argv)
    cfg = RefinerTrainConfig(
        out_dir=args.out_dir,
        steps=args.steps,
        init_from=args.init_from,
        lr=args.lr,
        map_dirs=args.maps,
        model_version=args.version,
        threads=args.threads,
    )
    print(train_refiner(cfg, resume=not args.fresh, stop_after=args.stop_after))


if __name__ == "__main__":
    main()
