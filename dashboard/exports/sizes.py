"""A PNG's size and the browser context it is taken in, and the exports' error type.

Kept apart from ``view`` (which needs pandas) so that a command line export can open its
browser with the right size before the heavy libraries are loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

#: PNG sizes in CSS pixels (width, height). ``a4`` is A4 landscape at 96 dpi;
#: with ``scale=2`` it gives about 192 dpi for print.
SIZE_PRESETS: dict[str, tuple[int, int]] = {
    "hd": (1600, 900),
    "fhd": (1920, 1080),
    "a4": (1123, 794),
}
DEFAULT_PRESET = "hd"
MIN_SIDE, MAX_SIDE = 200, 8000
SCALES = (1, 2, 3)


class ExportError(Exception):
    """An export that cannot be made; the message says what to change."""


@dataclass(frozen=True)
class PngSize:
    """A PNG's size in CSS pixels and its device scale (2 doubles the pixels for print)."""

    width: int = SIZE_PRESETS[DEFAULT_PRESET][0]
    height: int = SIZE_PRESETS[DEFAULT_PRESET][1]
    scale: int = 1

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if not MIN_SIDE <= value <= MAX_SIDE:
                raise ExportError(f"{name} {value} is out of range; use {MIN_SIDE} to {MAX_SIDE}")
        if self.scale not in SCALES:
            raise ExportError(f"scale {self.scale} is not allowed; use one of 1, 2, 3")

    @classmethod
    def from_options(cls, *, preset: str | None = None, width: int | None = None,
                     height: int | None = None, scale: int = 1) -> PngSize:
        """A preset (``hd``, ``fhd``, ``a4``) with ``width``/``height`` overriding it."""
        key = (preset or DEFAULT_PRESET).lower()
        if key not in SIZE_PRESETS:
            choices = ", ".join(SIZE_PRESETS)
            raise ExportError(f'unknown size preset "{preset}"; use one of {choices}')
        base_width, base_height = SIZE_PRESETS[key]
        return cls(width or base_width, height or base_height, scale)

    @property
    def pixels(self) -> tuple[int, int]:
        return self.width * self.scale, self.height * self.scale


def context_options(size: PngSize) -> dict:
    """The browser context (viewport, device scale) a picture of ``size`` is taken in."""
    return {"viewport": {"width": size.width, "height": size.height},
            "device_scale_factor": size.scale}
