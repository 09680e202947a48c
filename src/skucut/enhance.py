"""Photo enhancement measured on the backdrop: white balance, exposure, denoise, sharpen.

A studio backdrop is meant to be neutral and light, so its colour in the photo measures the light
that fell on the product, and its brightness how far the photo is under-exposed. skucut knows
which pixels are backdrop (the alpha), so it reads them in a ring around the product, away from
the edge: shadows (darker than the ring's light part), highlights and clipped pixels, and
textured pixels are left out. What remains must be plain (one colour) and lie near the
blackbody locus (the colours a white surface takes under lamps and daylight); a backdrop that is
clearly coloured, textured, too dark or blown out is left alone, and the report says why.

- white balance: one gain per channel in linear sRGB makes the backdrop grey (luminance kept);
- exposure: a backdrop darker than a studio shot's (sRGB < 215) is lifted towards 238, never so
  far that the product's own highlights would clip (a white product stays unclipped); darkened
  only when it was brighter than white (known from a clipped channel recovered on the locus);
- denoise: an edge-preserving filter on the product, only where the backdrop shows noise;
- sharpen: an unsharp mask of the luminance after a learned upscale.

White balance and exposure together are one 256-entry curve per channel (cheap at any size).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

STEPS = ("wb", "exposure", "denoise", "sharpen")
ENHANCE_HELP = (
    "auto: white balance and exposure measured on the backdrop, denoise where noise is "
    "measured, sharpen after --upscale; or a comma list of wb, exposure, denoise, sharpen; off"
)

WORK_SIDE = 512  # the backdrop is measured at this size (its colour is smooth)
RING = (0.02, 0.15)  # backdrop read between these distances from the product (share of diagonal)
MIN_BACKDROP = 0.02  # at least this share of the work image must be usable backdrop
CLIPPED = 250  # sRGB level from which a channel counts as a highlight (or clipped)
SHADOW = 0.7  # pixels darker than this share of the ring's light part are shadows
FLAT = 6.0  # sRGB levels per pixel: steeper pixels are texture or edges, not backdrop
PLAIN_SPREAD = 0.06  # log-chroma spread (median absolute deviation) of a plain backdrop
DARKEST = 90  # a backdrop darker than this (sRGB) is a dark set, not a dim studio shot
# A white backdrop under any lamp or daylight sits on the blackbody locus, where sRGB's own white
# (D65) is 0.003 above it; farther than LOCUS_DUV from there it is a coloured backdrop (pink,
# mint, ...), and so is one hotter or colder than any plausible light.
D65_DUV, LOCUS_DUV = 0.0032, 0.010
LOCUS_K = (2000.0, 12000.0)
MAX_GAIN = 8.0  # per channel: blue under a 2000 K lamp needs about 6
MIN_GAIN_CHANGE = 0.02  # white balance this close to neutral is left alone (clean photos stay)
LIFT_BELOW, LIFT_TO = 215.0, 238.0  # backdrop sRGB level: dimmer ones are lifted to LIFT_TO
MAX_EV = 2.0  # the largest exposure lift, in stops
MIN_EV_CHANGE = 0.05  # smaller exposure changes are left out (the photo stays bit-identical)
PRODUCT_PEAK = 0.995  # the product's brightest 0.5% may touch white, the rest never clips
NOISE_FROM = 1.8  # measured noise (8-bit levels) from which the product is denoised
NOISE_TILE, NOISE_TILES = 32, 24  # noise is measured in this many tiles of this side (px)
SHARPEN_AMOUNT = 0.5  # unsharp mask after a learned upscale
SHARPEN_SIGMA = 0.6  # times the upscale factor

# sRGB D65 primaries -> CIE XYZ
_RGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], np.float64
)
_LUMA = _RGB_TO_XYZ[1]


def _decode_curve() -> np.ndarray:
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


TO_LINEAR = _decode_curve()  # sRGB level -> linear light, 256 entries


def to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light (any shape, float) -> sRGB in [0, 1]."""
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def parse_enhance(value: str) -> str:
    """'off', 'auto' or a comma list of steps -> its canonical form (steps in running order)."""
    text = str(value).strip().lower().replace(" ", "")
    if text in ("off", "none", "false", "no", ""):
        return "off"
    if text in ("auto", "on", "true", "yes"):
        return "auto"
    asked = set(text.split(","))
    unknown = sorted(asked - set(STEPS))
    if unknown:
        raise ValueError(
            f"unknown enhance {value!r} ({', '.join(unknown)}); choose auto, off, or a comma "
            f"list of {', '.join(STEPS)}"
        )
    steps = [s for s in STEPS if s in asked]
    return "auto" if len(steps) == len(STEPS) else ",".join(steps)


def enhance_steps(value: str) -> frozenset[str]:
    canonical = parse_enhance(value)
    if canonical == "off":
        return frozenset()
    return frozenset(STEPS if canonical == "auto" else canonical.split(","))


@dataclass(frozen=True)
class Enhancement:
    """What enhancement measured and did to one photo (the amounts are 0 / 1 when it did not)."""

    steps: tuple[str, ...] = ()  # the steps asked for
    note: str = ""  # why a measured step was left out ("" when nothing was)
    illuminant_k: float | None = None  # colour temperature of the light on the backdrop
    wb_gains: tuple[float, float, float] = (1.0, 1.0, 1.0)  # linear R, G, B gains applied
    exposure_ev: float = 0.0  # exposure lift applied, in stops
    noise: float | None = None  # noise measured on the backdrop, 8-bit levels (sigma)
    denoised: bool = False
    sharpen: float = 0.0  # unsharp-mask amount applied

    @property
    def changed(self) -> bool:
        return (
            self.wb_gains != (1.0, 1.0, 1.0)
            or self.exposure_ev != 0
            or self.denoised
            or self.sharpen > 0
        )

    def summary(self) -> str:
        """One line for a person (also the HTTP header): what changed, or why nothing did."""
        parts = []
        if self.wb_gains != (1.0, 1.0, 1.0):
            gains = "/".join(f"{g:.2f}" for g in self.wb_gains)
            parts.append(f"white balance {self.illuminant_k:.0f}K (gains {gains})")
        if self.exposure_ev:
            parts.append(f"exposure {self.exposure_ev:+.2f} EV")
        if self.denoised:
            parts.append(f"denoised (noise {self.noise:.1f})")
        if self.sharpen:
            parts.append(f"sharpened {self.sharpen:.2f}")
        text = ", ".join(parts) or "unchanged"
        return f"{text}; {self.note}" if self.note else text

    def as_dict(self) -> dict:
        return {
            "steps": ",".join(self.steps),
            "changed": self.changed,
            "summary": self.summary(),
            "note": self.note,
            "illuminant_k": None if self.illuminant_k is None else round(self.illuminant_k),
            "wb_gains": [round(g, 4) for g in self.wb_gains],
            "exposure_ev": round(self.exposure_ev, 3),
            "noise": None if self.noise is None else round(self.noise, 2),
            "denoised": self.denoised,
            "sharpen": self.sharpen,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Enhancement:
        """The inverse of ``as_dict`` (a batch run keeps it as JSON)."""
        steps = tuple(s for s in str(data.get("steps", "")).split(",") if s)
        return cls(
            steps=steps,
            note=str(data.get("note", "")),
            illuminant_k=data.get("illuminant_k"),
            wb_gains=tuple(float(g) for g in data.get("wb_gains", (1.0, 1.0, 1.0))),
            exposure_ev=float(data.get("exposure_ev", 0.0)),
            noise=data.get("noise"),
            denoised=bool(data.get("denoised", False)),
            sharpen=float(data.get("sharpen", 0.0)),
        )

    def columns(self) -> tuple:
        """The values of ENHANCE_CSV, for a report row."""
        gains = " ".join(f"{g:.3f}" for g in self.wb_gains)
        kelvin = "" if self.illuminant_k is None else round(self.illuminant_k)
        noise = "" if self.noise is None else self.noise
        return (self.changed, kelvin, gains, self.exposure_ev, noise, self.denoised,
                self.sharpen, self.note)  # fmt: skip


ENHANCE_CSV = ("changed", "illuminant_k", "wb_gains", "exposure_ev", "noise", "denoised",
               "sharpen", "note")  # fmt: skip


@dataclass
class Backdrop:
    """The backdrop as measured in the ring around the product."""

    linear: np.ndarray | None = None  # mean linear RGB of the plain, lit backdrop pixels
    reason: str = ""  # why it cannot be used ("" when it can)
    # Plain backdrop pixels near the product (bool, work size), where noise can be measured;
    # None when the backdrop is no plain surface (texture would read as noise).
    flat: np.ndarray | None = field(default=None, repr=False)
    product: np.ndarray | None = field(default=None, repr=False)  # its opaque pixels, work size


# --- the blackbody locus (Kim et al. cubic fits of the Planckian xy, 1667-25000 K) ----------


def planck_xy(kelvin: float | np.ndarray) -> np.ndarray:
    t = np.asarray(kelvin, np.float64)
    x = np.where(
        t <= 4000,
        -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910,
        -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390,
    )
    y = np.where(
        t <= 2222,
        -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683,
        np.where(
            t <= 4000,
            -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867,
            3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483,
        ),
    )
    return np.stack([x, y], -1)


def _uv(xy: np.ndarray) -> np.ndarray:
    """CIE 1960 uv, where distances from the locus (Duv) are defined."""
    x, y = xy[..., 0], xy[..., 1]
    d = -2 * x + 12 * y + 3
    return np.stack([4 * x / d, 6 * y / d], -1)


_LOCUS_K = np.geomspace(1667, 25000, 600)
_LOCUS_UV = _uv(planck_xy(_LOCUS_K))


def _locus_rgb() -> np.ndarray:
    """Linear sRGB of a white under each locus light, green = 1."""
    xy = planck_xy(_LOCUS_K)
    xyz = np.stack([xy[:, 0] / xy[:, 1], np.ones(len(xy)), (1 - xy.sum(1)) / xy[:, 1]], 1)
    rgb = xyz @ np.linalg.inv(_RGB_TO_XYZ).T
    return rgb / rgb[:, 1:2]


_LOCUS_RGB = _locus_rgb()


def cct_duv(linear_rgb: np.ndarray) -> tuple[float, float]:
    """Correlated colour temperature and signed distance from the blackbody locus of a linear
    sRGB colour (positive: greenish, negative: magenta)."""
    xyz = _RGB_TO_XYZ @ np.asarray(linear_rgb, np.float64)
    xy = xyz[:2] / max(xyz.sum(), 1e-9)
    uv = _uv(xy)
    d = np.hypot(*(_LOCUS_UV - uv).T)
    i = int(np.argmin(d))
    j = min(i + 1, len(_LOCUS_K) - 1)
    tangent = _LOCUS_UV[j] - _LOCUS_UV[max(i - 1, 0)]
    offset = uv - _LOCUS_UV[i]
    # Hotter along the locus is towards smaller u, so "above" (greenish) is clockwise of it.
    side = -np.sign(tangent[0] * offset[1] - tangent[1] * offset[0])
    return float(_LOCUS_K[i]), float(side * d[i])


# --- measuring ------------------------------------------------------------------------------


def measure_backdrop(rgb: np.ndarray, alpha: np.ndarray) -> Backdrop:
    """The plain, lit backdrop near the product (robust to shadows, highlights and texture)."""
    height, width = alpha.shape
    scale = min(1.0, WORK_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    small_alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA) if scale < 1 else alpha
    product = small_alpha > 127
    if not product.any():
        return Backdrop(reason="no product found")
    # Distance from the product: the edge itself (halo, spill, contact shadow) is left out, and
    # far corners (another wall, the floor's end) count less than the backdrop behind it.
    distance = cv2.distanceTransform((~product).astype(np.uint8), cv2.DIST_L2, 3)
    diagonal = float(np.hypot(*size))
    backdrop = small_alpha < 4
    ring = backdrop & (distance >= RING[0] * diagonal) & (distance <= RING[1] * diagonal)
    least = MIN_BACKDROP * product.size
    if ring.sum() < least:
        ring = backdrop & (distance >= RING[0] * diagonal)
    if ring.sum() < least:
        return Backdrop(reason="too little backdrop around the product")

    # Slopes of a blurred copy: edges and texture stay steep, sensor noise does not.
    luma = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 1.5)
    slope = np.abs(cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3)) + np.abs(
        cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3)
    )
    flat = ring & (slope < FLAT * 8)  # (the 3x3 Sobel sums 8 steps' worth of a slope)
    if flat.sum() < 0.5 * ring.sum():
        return Backdrop(reason="backdrop is not plain (texture or a scene)")
    over = small >= CLIPPED
    n_over = over.sum(axis=2)
    if (flat & (n_over >= 2)).sum() > 0.5 * flat.sum():
        return Backdrop(reason="backdrop is blown out (already white)", flat=flat)
    whole = flat & (n_over == 0)
    if whole.sum() >= 0.25 * flat.sum():
        light = _plain_light(TO_LINEAR[small[whole]], least)
    else:
        # A strong cast on a bright backdrop clips one channel (red under a warm lamp, blue
        # in shade); the other two still say where on the blackbody locus the light is.
        one = flat & (n_over == 1)
        channel = int(np.argmax(over[one].sum(axis=0)))
        light = _plain_light(TO_LINEAR[small[one & over[..., channel]]], least)
        if not isinstance(light, str):
            light = _from_locus(light, channel)
    if isinstance(light, str):  # (several colours: texture, so no noise is measured there)
        return Backdrop(reason=light, flat=None if "not plain" in light else flat)
    if to_srgb(light @ _LUMA) * 255 < DARKEST:
        return Backdrop(reason="backdrop is too dark for a studio backdrop", flat=flat)
    # The product's pixels a little smoothed: its highlights, not its noise, cap the exposure.
    product = cv2.blur(small, (3, 3))[small_alpha > 250]
    return Backdrop(linear=light, flat=flat, product=product)


def _plain_light(pixels: np.ndarray, least: float) -> np.ndarray | str:
    """Mean colour of the lit pixels of one plain colour, or why there is none."""
    lum = pixels @ _LUMA
    pixels = pixels[lum >= SHADOW * np.percentile(lum, 90)]  # shadows out
    if len(pixels) < least / 2:
        return "too little lit backdrop around the product"
    pixels = pixels[:: max(1, len(pixels) // 20000)]  # plenty for a mean and its spread
    chroma = np.log(np.maximum(pixels[:, [0, 2]], 1e-4) / np.maximum(pixels[:, 1:2], 1e-4))
    centre = np.median(chroma, axis=0)
    spread = np.median(np.abs(chroma - centre), axis=0)
    if spread.max() > PLAIN_SPREAD:
        return "backdrop is not plain (several colours)"
    close = np.all(np.abs(chroma - centre) <= 3 * np.maximum(spread, 0.01), axis=1)
    return pixels[close].mean(axis=0)


def _from_locus(light: np.ndarray, clipped: int) -> np.ndarray | str:
    """The light's colour from its two unclipped channels, on the blackbody locus; a clipped
    channel the locus says was dim is no cast but a coloured backdrop."""
    if clipped == 1:
        return "coloured backdrop (green clipped): left alone"
    other = 2 - clipped  # red clipped: blue/green places it on the locus, and the other way
    measured = np.log(light[other] / max(light[1], 1e-6))
    locus = _LOCUS_RGB[:, other]
    gap = np.abs(np.log(np.maximum(locus, 1e-6)) - measured)
    i = int(np.argmin(np.where(locus > 0, gap, np.inf)))  # (below ~1900 K blue is negative)
    estimate = _LOCUS_RGB[i] * light[1]
    if estimate[clipped] < TO_LINEAR[CLIPPED - 5]:
        return "coloured backdrop (one channel clipped): left alone"
    return estimate


def noise_level(rgb: np.ndarray, flat: np.ndarray) -> float | None:
    """Sensor noise (8-bit levels, sigma) on the plain backdrop: the robust spread of what a
    small blur takes away, in up to NOISE_TILES full-resolution tiles that lie wholly on it
    (``flat``: bool, work size). A lit sweep's gradient survives the blur, and a phone's noise,
    made blotchy by demosaicing and JPEG, is measured whole (a 3x3 Laplacian sees a third)."""
    scale = rgb.shape[0] / flat.shape[0]
    reach = max(1, int(np.ceil(NOISE_TILE / 2 / scale)))  # a tile's half side, work pixels
    inside = cv2.erode(flat.astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8))
    ys, xs = np.nonzero(inside)
    if not len(ys):
        return None
    pick = np.linspace(0, len(ys) - 1, min(NOISE_TILES, len(ys))).astype(int)
    sigmas = []
    for y, x in zip(ys[pick], xs[pick], strict=True):
        cy, cx = int(y * scale), int(x * scale)
        y0, x0 = max(cy - NOISE_TILE // 2, 0), max(cx - NOISE_TILE // 2, 0)
        tile = rgb[y0 : y0 + NOISE_TILE, x0 : x0 + NOISE_TILE].astype(np.float32)
        detail = (tile - cv2.GaussianBlur(tile, (0, 0), 2.0))[4:-4, 4:-4].reshape(-1, 3)
        spread = np.median(np.abs(detail - np.median(detail, 0)), 0)
        sigmas.append(1.4826 * float(spread.mean()))
    return float(np.median(sigmas))


# --- correcting -----------------------------------------------------------------------------


def _curves(gains: np.ndarray) -> np.ndarray:
    """One 256-entry curve per channel: linear gain, back to sRGB (256 x 3 uint8)."""
    linear = TO_LINEAR[:, None] * gains[None, :]
    return np.round(to_srgb(linear) * 255).astype(np.uint8)


def _apply_curves(rgb: np.ndarray, curves: np.ndarray) -> np.ndarray:
    return cv2.LUT(rgb, curves.reshape(256, 1, 3))


def _white_balance(light: np.ndarray) -> tuple[np.ndarray, float, str]:
    """Gains that make the backdrop grey at its own luminance, its colour temperature, and why
    not (a coloured backdrop)."""
    kelvin, duv = cct_duv(light)
    if abs(duv - D65_DUV) > LOCUS_DUV or not LOCUS_K[0] <= kelvin <= LOCUS_K[1]:
        return np.ones(3), kelvin, f"coloured backdrop (Duv {duv:+.3f}, {kelvin:.0f}K): left alone"
    gains = float(light @ _LUMA) / np.maximum(light, 1e-6)
    if np.abs(np.log(gains)).max() < MIN_GAIN_CHANGE:
        return np.ones(3), kelvin, ""
    return np.clip(gains, 1 / MAX_GAIN, MAX_GAIN), kelvin, ""


def _exposure(light: np.ndarray, product: np.ndarray) -> float:
    """Linear gain that lifts a dim backdrop towards a studio shot's, capped so the product's
    highlights stay below white. ``light``: the backdrop after white balance; ``product``: its
    pixels' brightest channel after white balance (linear). A backdrop is darkened only when
    it was brighter than white: a clipped channel recovered from the locus says so."""
    luminance = float(light @ _LUMA)
    target = TO_LINEAR[round(LIFT_TO)]
    if luminance > 1.0:
        return max(target / luminance, 2.0**-MAX_EV)
    if to_srgb(luminance) * 255 >= LIFT_BELOW:
        return 1.0
    gain = min(target / max(luminance, 1e-6), 2.0**MAX_EV)
    if len(product):
        peak = float(np.quantile(product, PRODUCT_PEAK))
        gain = min(gain, 1.0 / max(peak, 1e-6))
    return max(gain, 1.0)


def _denoise(rgb: np.ndarray, alpha: np.ndarray, sigma: float) -> np.ndarray:
    """Edge-preserving smoothing of the product's box only (the backdrop is dropped anyway)."""
    ys, xs = np.nonzero(alpha)
    if not len(ys):
        return rgb
    y0, y1 = max(ys.min() - 4, 0), min(ys.max() + 5, rgb.shape[0])
    x0, x1 = max(xs.min() - 4, 0), min(xs.max() + 5, rgb.shape[1])
    out = rgb.copy()
    out[y0:y1, x0:x1] = cv2.bilateralFilter(
        np.ascontiguousarray(rgb[y0:y1, x0:x1]), 5, 2.5 * sigma, 2.0
    )
    return out


def enhance_photo(
    rgb: np.ndarray, alpha: np.ndarray, steps: frozenset[str]
) -> tuple[np.ndarray, Enhancement]:
    """White balance, exposure and denoise of the whole photo (RGB uint8, alpha uint8 of the
    same size), measured on its backdrop. Returns the photo and what was done."""
    asked = tuple(s for s in STEPS if s in steps)
    report = Enhancement(steps=asked)
    if not steps & {"wb", "exposure", "denoise"}:
        return rgb, report
    backdrop = measure_backdrop(rgb, alpha)
    notes = []
    if backdrop.linear is None:
        notes.append(backdrop.reason + ": left alone")
    elif steps & {"wb", "exposure"}:
        light = backdrop.linear
        gains, kelvin, why = _white_balance(light)
        report = replace(report, illuminant_k=kelvin)
        if why:
            notes.append(why)
        elif "wb" in steps:
            report = replace(report, wb_gains=tuple(round(float(g), 4) for g in gains))
        gains = np.asarray(report.wb_gains)
        if "exposure" in steps and not why:
            product = (TO_LINEAR[backdrop.product] * gains).max(axis=1)
            lift = _exposure(light * gains, product)
            lift = 1.0 if abs(np.log2(lift)) < MIN_EV_CHANGE else lift  # (invisible: leave it)
            gains = gains * lift
            report = replace(report, exposure_ev=round(float(np.log2(lift)), 3))
        if report.changed:
            rgb = _apply_curves(rgb, _curves(gains))
    if "denoise" in steps and backdrop.flat is not None:
        noise = noise_level(rgb, backdrop.flat)
        report = replace(report, noise=None if noise is None else round(noise, 2))
        if noise is not None and noise >= NOISE_FROM:
            rgb = _denoise(rgb, alpha, noise)
            report = replace(report, denoised=True)
    return rgb, replace(report, note="; ".join(notes))


def sharpen_amount(steps: frozenset[str], factor: int) -> float:
    """The unsharp-mask amount for a cutout upscaled by ``factor`` (0: none)."""
    return SHARPEN_AMOUNT if "sharpen" in steps and factor > 1 else 0.0


def sharpen_cutout(rgb: np.ndarray, alpha: np.ndarray, factor: int, amount: float) -> np.ndarray:
    """Unsharp mask of the luminance after a learned upscale by ``factor``: the network's
    output is a little soft, and sharpening only the luminance adds no colour fringes."""
    if amount <= 0:
        return rgb
    image = rgb.astype(np.float32)
    luma = image @ np.array([0.299, 0.587, 0.114], np.float32)
    detail = luma - cv2.GaussianBlur(luma, (0, 0), SHARPEN_SIGMA * factor)
    out = image + (amount * detail * (alpha > 0))[..., None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def enhance_line(reports: list[Enhancement]) -> str:
    """The run summary's line: "enhance: 7 changed, 3 left alone (2 coloured backdrop, 1 ...)"."""
    changed = sum(r.changed for r in reports)
    why: dict[str, int] = {}
    for report in reports:
        if not report.changed:
            kind = report.note.split(";")[0].split(" (")[0].split(":")[0] or "nothing needed"
            why[kind] = why.get(kind, 0) + 1
    text = f"enhance: {changed} changed, {len(reports) - changed} left alone"
    if why:
        text += " (" + ", ".join(f"{n} {k}" for k, n in sorted(why.items(), key=lambda i: -i[1]))
        text += ")"
    return text
