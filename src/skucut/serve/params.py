"""Request options: the same names as the CLI flags, as query parameters or form fields."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Options(BaseModel):
    model: str | None = Field(None, description="model name (GET /v1/models)")
    preset: str | None = Field(None, description="output preset (GET /v1/presets)")
    format: Literal["png", "webp", "jpg", "jpeg"] | None = Field(
        None, description="output format; default from Accept, else png"
    )
    quality: int | None = Field(None, ge=1, le=100)
    mask: bool | None = Field(None, description="answer the alpha mask only (PNG)")
    refine: Literal["none", "guided", "fast", "quality", "learned"] | None = None
    cleanup: bool | None = None
    decontaminate: bool | None = None
    product_only: bool | None = Field(
        None, description="the product alone, without the person wearing or holding it"
    )
    explain: bool | None = Field(
        None,
        description="answer the explain picture (PNG: outline, unsure areas, person map, "
        "parts kept or dropped) instead of the cutout; in a batch, add explain/NAME.png",
    )
    uncertainty: bool | None = Field(
        None,
        description="answer the model's uncertainty map instead of the cutout (grey PNG at "
        "the model's working size, stretched over the whole photo; white = unsure)",
    )
    enhance: str | None = Field(
        None,
        description="photo enhancement measured on the backdrop: auto, off, or a comma list of "
        "wb, exposure, denoise, sharpen (docs/enhance.md); what it did: X-Skucut-Enhance",
        max_length=64,
    )
    upscale: Literal["off", "2", "4", "auto"] | None = Field(
        None, description="learned super-resolution of the cutout"
    )
    bg_color: str | None = Field(None, description="white, #f0f0f0 or 255,255,255")
    bg_fit: Literal["fill", "fit"] | None = None
    trim: bool | None = None
    margin: str | None = Field(None, description="pixels or N%")
    canvas: str | None = Field(None, description="WxH, e.g. 2000x2000")
    fill: float | None = Field(None, ge=0.05, le=1.0)
    align: Literal["center", "bottom"] | None = None
    shadow: Literal["none", "drop", "contact"] | None = None
    shadow_opacity: float | None = Field(None, ge=0.0, le=1.0)

    def given(self) -> dict:
        return {k: v for k, v in self.model_dump().items() if v is not None and v != ""}
