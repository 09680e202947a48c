"""decode -> segment -> refine -> decontaminate -> (upscale) -> compose -> encode.

Orchestration only; each step lives in its own module.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from skucut.catalog import resolve_model
from skucut.compose import ComposeOptions, product_box
from skucut.compose import compose as compose_image
from skucut.enhance import (
    enhance_photo,
    enhance_steps,
    parse_enhance,
    sharpen_amount,
    sharpen_cutout,
)
from skucut.errors import ImageTooLarge
from skucut.io import DEFAULT_MAX_PIXELS, Decoded, decode_image, encode_cutout, encode_mask
from skucut.io.encode import FORMATS, parse_color
from skucut.presets import get_preset, load_presets
from skucut.refine import REFINE_MODES, estimate_foreground, refine_alpha
from skucut.refine.person import product_probability, remove_person, require_person_map
from skucut.review import Review, review_cutout
from skucut.runtime import Segmenter
from skucut.stages import stage
from skucut.upscale import load_upscaler

UPSCALE_CHOICES = ("off", "2", "4", "auto")


def parse_canvas(value: str | tuple | list | None) -> tuple[int, int] | None:
    """'2000x1500', '2000' (square) or (w, h)."""
    if value is None:
        return None
    if isinstance(value, tuple | list):
        parts = list(value)
    else:
        try:
            parts = [int(p) for p in str(value).lower().split("x")]
        except ValueError:
            raise ValueError(f"canvas must look like 2000x2000, got {value!r}") from None
        if len(parts) == 1:
            parts *= 2
    if len(parts) != 2 or not all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        raise ValueError(f"canvas must look like 2000x2000 (two whole numbers), got {value!r}")
    return parts[0], parts[1]


# Option values arrive typed (CLI, HTTP, Python) or as text (batch manifests, preset files);
# text is converted by the field's kind, and anything else of the wrong kind is refused.
_BOOL_OPTIONS = ("mask", "cleanup", "decontaminate", "trim", "product_only")
_INT_OPTIONS = ("quality", "max_pixels")
_FLOAT_OPTIONS = ("fill", "shadow_opacity")
_TEXT_OPTIONS = ("format", "refine", "upscale", "bg_fit", "align", "shadow", "enhance")
_OPTIONAL_TEXT = ("model", "bg_image")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
# What a mask leaves out: given with mask, these would do nothing, so they are refused (the
# values that change nothing are allowed).
IGNORED_BY_MASK = {
    "enhance": "off",
    "format": "png",
    "upscale": "off",
    "bg_color": None,
    "bg_image": None,
    "bg_fit": None,
    "trim": None,
    "margin": None,
    "canvas": None,
    "fill": None,
    "align": None,
    "shadow": "none",
    "shadow_opacity": None,
}


def _coerce(name: str, value: Any) -> Any:
    if name in _BOOL_OPTIONS:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"{name} must be true or false, got {value!r}")
    if name in _INT_OPTIONS or name in _FLOAT_OPTIONS:
        kind = int if name in _INT_OPTIONS else float
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"{name} must be a number, got {value!r}")
        try:
            number = kind(value.strip() if isinstance(value, str) else value)
        except (ValueError, OverflowError):
            raise ValueError(f"{name} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        return number
    if name in _TEXT_OPTIONS or (name in _OPTIONAL_TEXT and value is not None):
        if not isinstance(value, str | Path) or (name in _TEXT_OPTIONS and isinstance(value, Path)):
            raise ValueError(f"{name} must be text, got {value!r}")
        return str(value)
    return value


@dataclass(frozen=True)
class RemoveOptions:
    model: str | None = None  # name or .onnx path; None = the default model
    format: str = "png"  # png | webp | jpg
    quality: int = 92  # JPEG/WebP
    mask: bool = False  # write only the alpha as a single-channel PNG (input resolution)
    max_pixels: int = DEFAULT_MAX_PIXELS
    # Edges.
    # none | guided | fast | quality | learned. fast (graph cut) stays the default: guided is
    # level on dev-set metrics at a fifth of the CPU but, looked at, leaves white backdrop
    # between arms and under lids on white (docs/refiner.md)
    refine: str = "fast"
    cleanup: bool = True  # drop specks, fill false holes
    decontaminate: bool = True  # remove the old background's colour from edges
    # The product alone: the model's subject minus its person map (skin, hair, face, hands);
    # needs a model with a person map (skucut.refine.person).
    product_only: bool = False
    # Learned super-resolution of the cutout: off, 2, 4, or auto (when the product would be
    # enlarged onto the canvas by 1.5x or more).
    upscale: str = "off"
    # Photo enhancement measured on the backdrop (skucut.enhance): off, auto (every step), or
    # a comma list of wb, exposure, denoise, sharpen.
    enhance: str = "off"
    # Composition (see skucut.compose.ComposeOptions).
    bg_color: tuple[int, int, int] | None = None
    bg_image: str | None = None  # path of a background photo
    bg_fit: str = "fill"
    trim: bool = False
    margin: str | int = 0
    canvas: tuple[int, int] | None = None
    fill: float = 0.85
    align: str = "center"
    shadow: str = "none"
    shadow_opacity: float = 0.35

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _coerce(f.name, getattr(self, f.name)))
        fmt = self.format.lower().replace("jpeg", "jpg")
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}; choose one of {', '.join(FORMATS)}")
        if self.refine not in REFINE_MODES:
            raise ValueError(
                f"unknown refine mode {self.refine!r}; choose one of {', '.join(REFINE_MODES)}"
            )
        object.__setattr__(self, "upscale", str(self.upscale).lower())
        object.__setattr__(self, "enhance", parse_enhance(self.enhance))
        if self.upscale not in UPSCALE_CHOICES:
            raise ValueError(
                f"unknown upscale {self.upscale!r}; choose one of {', '.join(UPSCALE_CHOICES)}"
            )
        if not 1 <= self.quality <= 100:
            raise ValueError(f"quality must be 1..100, got {self.quality}")
        object.__setattr__(self, "format", fmt)
        object.__setattr__(self, "bg_color", parse_color(self.bg_color))
        object.__setattr__(self, "canvas", parse_canvas(self.canvas))
        if self.max_pixels < 1:
            raise ValueError(f"max_pixels must be positive, got {self.max_pixels}")
        self.compose_options(background=None)  # validates the composition fields

    @classmethod
    def build(
        cls, preset: str | None = None, preset_file: str | Path | None = None, **given: Any
    ) -> RemoveOptions:
        """A preset's options (built in or from ``preset_file``), overridden by ``given``.

        ``None`` values in ``given`` mean "not given", so CLI and HTTP defaults don't mask
        the preset.
        """
        base = (
            get_preset(preset, load_presets(preset_file) if preset_file else None) if preset else {}
        )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(base) - known)
        if unknown:
            raise ValueError(f"preset {preset!r} has unknown options: {', '.join(unknown)}")
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(
                f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
            )
        if given.get("mask") is not None and _coerce("mask", given["mask"]):
            ignored = [f"preset {preset}"] if preset else []
            ignored += [
                name
                for name, harmless in IGNORED_BY_MASK.items()
                if given.get(name) is not None and given[name] != harmless
            ]
            if ignored:
                raise ValueError(
                    f"mask gives the alpha channel only, so it cannot be combined with "
                    f"{' or '.join(ignored)}; use mask alone, or leave it out"
                )
        return cls(**{**base, **{k: v for k, v in given.items() if v is not None}})

    @property
    def extension(self) -> str:
        return "png" if self.mask else self.format

    def compose_options(self, background: np.ndarray | None) -> ComposeOptions:
        return ComposeOptions(
            bg_color=self.bg_color,
            bg_image=background,
            bg_fit=self.bg_fit,
            trim=self.trim,
            margin=self.margin,
            canvas=self.canvas,
            fill=self.fill,
            align=self.align,
            shadow=self.shadow,
            shadow_opacity=self.shadow_opacity,
            max_pixels=self.max_pixels,
        )


_SEGMENTERS: dict[Path, Segmenter] = {}
_LOCK = threading.Lock()


def load_segmenter(model: str | None = None, threads: int = 0) -> Segmenter:
    """One session per model file per process: weights are never reloaded per image."""
    path = resolve_model(model).resolve()
    with _LOCK:
        if path not in _SEGMENTERS:
            _SEGMENTERS[path] = Segmenter(path, threads=threads)
        return _SEGMENTERS[path]


@functools.lru_cache(maxsize=4)
def _background(path: str, max_pixels: int) -> np.ndarray:
    """Decoded once per process, not once per image of a batch."""
    return decode_image(path, max_pixels).rgb


def prepare(options: RemoveOptions) -> None:
    """Load what every image needs (model, background photo), so a bad name fails up front."""
    segmenter = load_segmenter(options.model)
    if options.product_only:
        require_person_map(segmenter.outputs, segmenter.path.stem)
    for factor in {"2": [2], "4": [4], "auto": [2, 4]}.get(options.upscale, []):
        load_upscaler(factor)
    if options.bg_image:
        _background(options.bg_image, options.max_pixels)


def predict_alpha(decoded: Decoded, options: RemoveOptions) -> tuple[np.ndarray, Review]:
    """Refined alpha (uint8, input resolution), never more opaque than the image's own alpha,
    and whether a person should check it."""
    segmenter = load_segmenter(options.model)
    with stage("model"):
        maps = segmenter.maps(decoded.rgb)  # one forward pass for every map
    prob, person = maps["subject"], maps.get("person")
    if options.product_only:
        require_person_map(segmenter.outputs, segmenter.path.stem)
        prob = product_probability(prob, person)
    with stage("refine"):
        alpha = refine_alpha(decoded.rgb, prob, options.refine, options.cleanup)
    if options.product_only:
        alpha = remove_person(alpha, person)
    alpha = cv2.convertScaleAbs(alpha, alpha=255.0)  # rounds and saturates, ~5x np.round
    if decoded.alpha is not None:
        alpha = np.minimum(alpha, decoded.alpha)
    return alpha, review_cutout(prob, alpha, person, decoded.rgb, options.product_only)


class Rendered(NamedTuple):
    pixels: np.ndarray  # the mask alone with ``mask``; else RGB
    alpha: np.ndarray | None  # None when the result is opaque (or a mask)
    review: Review


def _no_checkpoint() -> None:
    pass


def render(
    decoded: Decoded,
    options: RemoveOptions,
    background: np.ndarray | None = None,
    checkpoint: Callable[[], None] = _no_checkpoint,
) -> Rendered:
    """The result of ``options`` on a decoded image, and its review.

    ``background`` (RGB uint8) replaces ``options.bg_image`` (a path), e.g. for an upload.
    ``checkpoint`` is called between the steps; it may raise to stop a job that ran out of
    time (the service's deadline), since a worker thread cannot be killed.
    """
    alpha, review = predict_alpha(decoded, options)
    if options.mask:
        return Rendered(alpha, None, review)
    checkpoint()
    rgb, steps = decoded.rgb, enhance_steps(options.enhance)
    if steps:  # measured on the backdrop, so before decontamination replaces it at the edges
        rgb, enhancement = enhance_photo(rgb, alpha, steps)
        sharpen = sharpen_amount(steps, upscale_factor(alpha, options))
        review = dataclasses.replace(
            review, enhancement=dataclasses.replace(enhancement, sharpen=sharpen)
        )
        checkpoint()
    return Rendered(*finish(rgb, alpha, options, background, checkpoint), review)


def finish(
    rgb: np.ndarray,
    alpha: np.ndarray,
    options: RemoveOptions,
    background: np.ndarray | None = None,
    checkpoint: Callable[[], None] = _no_checkpoint,
    box: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Edge colours, upscaling and composition of an image whose alpha is known: (RGB,
    alpha or None). ``box`` (x0, y0, x1, y1) is placed on the canvas instead of the product's
    own box: a spin set frames every frame by the union of the product's extents."""
    if options.decontaminate:
        with stage("decontaminate"):
            rgb = estimate_foreground(rgb, alpha)
        checkpoint()
    factor = upscale_factor(alpha, options, box)
    if factor > 1:
        if box is not None:  # the fixed box is what is kept: enlarge it, then place all of it
            x0, y0, x1, y1 = box
            rgb, alpha = rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1]
        # Coverage this faint is refinement's noise around the edge (and a product's own
        # shadow, half-found): invisible at the photo's size, a grey smear once a small
        # product is enlarged 4-17x onto a canvas. Dropped before enlarging.
        alpha = np.where(alpha < FAINT_ALPHA, 0, alpha).astype(np.uint8)
        rgb, alpha = _upscale(rgb, alpha, factor, options, whole=box is not None)
        amount = sharpen_amount(enhance_steps(options.enhance), factor)
        rgb = sharpen_cutout(rgb, alpha, factor, amount)
        box = None if box is None else (0, 0, alpha.shape[1], alpha.shape[0])
        checkpoint()
    if background is None and options.bg_image:
        background = _background(options.bg_image, options.max_pixels)
    with stage("compose"):
        return compose_image(rgb, alpha, options.compose_options(background), box)


FAINT_ALPHA = 13  # out of 255 (5%): below it, enlarged coverage reads as a smear, not an edge


def _upscale(
    rgb: np.ndarray, alpha: np.ndarray, factor: int, options: RemoveOptions, whole: bool = False
):
    """The cutout enlarged by ``factor``; on a canvas only the product, which is all compose
    keeps (``whole``: all of it). "auto" never fails: when the result would pass max_pixels it
    leaves the size alone."""
    box = product_box(alpha) if options.canvas is not None and not whole else None
    if box is not None:  # plus a few pixels, so the network sees the edge's surroundings
        x0, y0, x1, y1 = box
        y0, x0 = max(0, y0 - 4), max(0, x0 - 4)
        rgb, alpha = rgb[y0 : y1 + 4, x0 : x1 + 4], alpha[y0 : y1 + 4, x0 : x1 + 4]
    height, width = alpha.shape
    if height * width * factor * factor > options.max_pixels:
        if options.upscale == "auto":
            return rgb, alpha
        raise ImageTooLarge(
            f"upscaling {width}x{height} by {factor} exceeds the {options.max_pixels} px limit"
        )
    return load_upscaler(factor).upscale_cutout(rgb, alpha)


def upscale_factor(
    alpha: np.ndarray, options: RemoveOptions, box: tuple[int, int, int, int] | None = None
) -> int:
    """2 or 4 when asked; with "auto", by how much compose would enlarge the product (or
    ``box``, when one is placed instead)."""
    if options.upscale in ("2", "4"):
        return int(options.upscale)
    if options.upscale != "auto" or options.canvas is None:
        return 1
    box = box or product_box(alpha)
    if box is None:
        return 1
    x0, y0, x1, y1 = box
    width, height = options.canvas
    enlarge = options.fill * min(width / (x1 - x0), height / (y1 - y0))
    return 4 if enlarge >= 3 else 2 if enlarge >= 1.5 else 1


def encode(pixels: np.ndarray, alpha: np.ndarray | None, options: RemoveOptions) -> bytes:
    if options.mask:
        return encode_mask(pixels)
    return encode_cutout(pixels, alpha, options.format, quality=options.quality)


class Result(NamedTuple):
    data: bytes  # the encoded output file
    review: Review


def remove_bytes(
    data: bytes | str | Path, options: RemoveOptions, background: np.ndarray | None = None
) -> Result:
    """Image bytes (or a path) in, encoded result and its review out."""
    with stage("decode"):
        decoded = decode_image(data, options.max_pixels)
    pixels, alpha, review = render(decoded, options, background)
    with stage("encode"):
        data = encode(pixels, alpha, options)
    return Result(data, review)
