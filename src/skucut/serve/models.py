"""The models a server serves: a fixed list, so a request cannot load anything else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skucut.catalog import DEFAULT_MODEL, ModelInfo, list_models
from skucut.pipeline import RemoveOptions, prepare
from skucut.serve.errors import ApiError


@dataclass(frozen=True)
class ServedModels:
    names: tuple[str, ...]  # what a request's ``model`` may be, exactly
    default: str  # for requests that name none
    preload: tuple[str, ...]  # loaded at start-up; the rest on first use

    @classmethod
    def of(cls, configured: tuple[str, ...]) -> ServedModels:
        """The configured models (all loaded up front), else every installed segmentation
        model: a fixed, small set either way, so memory is bounded."""
        if configured:
            default = DEFAULT_MODEL if DEFAULT_MODEL in configured else configured[0]
            return cls(tuple(configured), default, tuple(configured))
        names = tuple(m.name for m in list_models() if m.task == "segmentation")
        return cls(names, DEFAULT_MODEL, (DEFAULT_MODEL,))

    def load(self) -> None:
        """Load the start-up models; a missing or unusable one raises its SkucutError."""
        for name in self.preload:
            prepare(RemoveOptions(model=name))

    def check(self, name: str | None) -> str:
        """The model to use. Anything not served gets the same answer, whether or not such a
        file exists on the server (no existence oracle)."""
        name = name or self.default
        if name not in self.names:
            raise ApiError(
                404,
                "model_not_found",
                f"model {name[:100]!r} is not served here; served: {', '.join(self.names)}",
            )
        return name

    def describe(self) -> list[ModelInfo]:
        """The served models, then the upscalers behind the ``upscale`` option."""
        installed = {m.name: m for m in list_models()}
        served = [
            installed.get(n) or ModelInfo(n, Path(n), Path(n).stat().st_size) for n in self.names
        ]
        return served + [m for m in installed.values() if m.task == "super-resolution"]
