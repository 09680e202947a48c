"""User corrections, stored as training pairs: ``images/ID.jpg|png`` + ``masks/ID.png`` (255
product, 0 background, 128 ignored), the folder layout ``skucut train`` reads, and
``meta/ID.json`` (model, options, time).

Off unless the server is given a folder. A pair is written file by file, each atomically (temp
file + rename), the photo last: training lists photos that have a mask, so it never sees half a
pair. The folder is bounded in pairs and bytes.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import ValidationError
from starlette.datastructures import FormData

from skucut._files import write_atomic
from skucut._version import __version__
from skucut.errors import SkucutError
from skucut.io import decode_image, encode_cutout, encode_mask
from skucut.serve.errors import ApiError
from skucut.serve.models import ServedModels
from skucut.serve.params import Options
from skucut.serve.uploads import Upload, form_uploads

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The user's alpha at or below SURE_BACKGROUND is background, at or above SURE_PRODUCT
# product; in between (soft edges, anti-aliased brush strokes) the pixel is ignored (128):
# training should not learn an edge position the user did not decide.
SURE_BACKGROUND, SURE_PRODUCT = 12, 243
IGNORE = 128
ALPHA_MODES = ("RGBA", "LA", "PA", "La", "RGBa")
GREY_MODES = ("L", "1", "I", "I;16", "I;16B", "I;16L", "I;16N")
MAX_OPTIONS_CHARS = 4096
SUBFOLDERS = ("images", "masks", "meta")


def trimap(alpha: np.ndarray) -> np.ndarray:
    """The user's alpha as a training mask: 0, 255, or 128 where it is in between."""
    mask = np.full(alpha.shape, IGNORE, np.uint8)
    mask[alpha <= SURE_BACKGROUND] = 0
    mask[alpha >= SURE_PRODUCT] = 255
    return mask


def read_alpha(data: bytes, max_pixels: int) -> np.ndarray:
    """The corrected alpha from a PNG: its alpha channel, or its grey values if it has none."""
    if not data.startswith(PNG_SIGNATURE):
        raise ApiError(415, "unsupported_mask", "the alpha must be a PNG")
    try:
        decoded = decode_image(data, max_pixels)  # limits, corrupt files
    except SkucutError as exc:
        raise ApiError.of(exc, "alpha") from None
    header = Image.open(io.BytesIO(data))
    if header.mode in ALPHA_MODES or "transparency" in header.info:
        opaque = np.full(decoded.rgb.shape[:2], 255, np.uint8)  # decode drops an all-255 alpha
        return opaque if decoded.alpha is None else decoded.alpha
    if header.mode in GREY_MODES:
        return decoded.rgb[..., 0]
    raise ApiError(
        422, "invalid_mask", "send the alpha as a grey PNG or as the alpha of an RGBA PNG"
    )


@dataclass(frozen=True)
class Correction:
    """One feedback request, read from its form (the files are read later, in a work slot)."""

    photo: Upload
    alpha: Upload
    model: str
    options: dict

    @classmethod
    def from_form(cls, form: FormData, served: ServedModels) -> Correction:
        photo, alpha = _one_file(form, "photo"), _one_file(form, "alpha")
        model = form.get("model")
        model = served.check(model if isinstance(model, str) and model else None)
        return cls(photo, alpha, model, _options(form.get("options")))


def _one_file(form: FormData, field: str) -> Upload:
    uploads = form_uploads(form, field)
    if len(uploads) != 1:
        raise ApiError(400, "missing_part", f"send exactly one '{field}' file part")
    if uploads[0].error:
        raise uploads[0].error
    return uploads[0]


def _options(text) -> dict:
    """The options the result was made with: a JSON object of /v1/remove options."""
    if text is None or text == "":
        return {}
    if not isinstance(text, str) or len(text) > MAX_OPTIONS_CHARS:
        raise ApiError(422, "invalid_option", f"options: JSON text of {MAX_OPTIONS_CHARS} chars")
    try:
        given = json.loads(text)
        return Options(**given).given()
    except (ValueError, TypeError) as exc:  # bad JSON, not an object, a bad value
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise ApiError(422, "invalid_option", f"options: {detail}") from None


class FeedbackStore:
    """The feedback folder: at most ``max_pairs`` pairs and ``max_bytes`` bytes."""

    def __init__(self, root: Path, max_pairs: int, max_bytes: int, max_pixels: int):
        self.root, self.max_pairs, self.max_bytes = Path(root), max_pairs, max_bytes
        self.max_pixels = max_pixels
        self._lock = threading.Lock()  # the bound is checked and the pair written together
        for name in SUBFOLDERS:
            (self.root / name).mkdir(parents=True, exist_ok=True)  # fails at start, not later

    def save(self, correction: Correction) -> dict:
        """Validate and store one pair (in a worker thread); its id and what was stored."""
        try:
            decoded = decode_image(correction.photo.read(), self.max_pixels)
        except SkucutError as exc:
            raise ApiError.of(exc, "photo") from None
        alpha = read_alpha(correction.alpha.read(), self.max_pixels)
        height, width = decoded.rgb.shape[:2]
        if alpha.shape != (height, width):
            size = f"{alpha.shape[1]}x{alpha.shape[0]}"
            raise ApiError(422, "size_mismatch", f"alpha is {size}, the photo {width}x{height}")
        mask = trimap(alpha)
        # The photo as decoded (orientation applied, sRGB), so it matches the alpha's pixels.
        jpeg = decoded.format == "JPEG"
        photo = encode_cutout(decoded.rgb, None, "jpg" if jpeg else "png", quality=95)
        pair_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
        meta = {
            "id": pair_id,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": correction.model,
            "options": correction.options,
            "photo": {"name": correction.photo.stem, "width": width, "height": height},
            "product_share": round(float((mask == 255).mean()), 4),
            "ignored_share": round(float((mask == IGNORE).mean()), 4),
            "skucut_version": __version__,
        }
        files = {  # in writing order: the photo last, once its mask exists
            self.root / "meta" / f"{pair_id}.json": json.dumps(meta, indent=2).encode(),
            self.root / "masks" / f"{pair_id}.png": encode_mask(mask),
            self.root / "images" / f"{pair_id}.{'jpg' if jpeg else 'png'}": photo,
        }
        with self._lock:
            self._check_room(sum(len(data) for data in files.values()))
            self._write(files)
        return {"id": pair_id, **{k: meta[k] for k in ("product_share", "ignored_share")}}

    @staticmethod
    def _write(files: dict[Path, bytes]) -> None:
        """All files or none: a failed write (a full disk) removes what it had written."""
        try:
            for path, data in files.items():
                write_atomic(path, data)
        except OSError as exc:
            for path in files:
                path.unlink(missing_ok=True)
            raise ApiError(507, "feedback_unavailable", f"cannot store: {exc.strerror}") from None

    def _check_room(self, adding: int) -> None:
        pairs, used = self.usage()
        if pairs >= self.max_pairs or used + adding > self.max_bytes:
            raise ApiError(
                507,
                "feedback_full",
                f"the feedback folder is full ({pairs} pairs, {used:,} bytes; at most "
                f"{self.max_pairs} pairs, {self.max_bytes:,} bytes)",
            )

    def usage(self) -> tuple[int, int]:
        """(pairs, bytes) now: read from the folder each time, so pairs an operator moved
        away (e.g. after training on them) make room without a restart."""
        pairs = used = 0
        for name in SUBFOLDERS:
            with os.scandir(self.root / name) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False):
                        used += entry.stat(follow_symlinks=False).st_size
                        pairs += name == "masks" and entry.name.endswith(".png")
        return pairs, used
