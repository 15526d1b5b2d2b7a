"""The PDF decks' fonts and right-to-left text.

ReportLab's built-in Helvetica covers Windows-1252 only: "Esenboğa" printed as "Esenbo■a"
and Cyrillic, Greek, Hebrew and Arabic not at all. Decks are set in **DejaVu Sans** (regular
and bold), embedded as subsets, which covers Latin Extended, Greek, Cyrillic, Hebrew and
Arabic (with its presentation forms). The fonts come from Debian's ``fonts-dejavu-core``
(installed by ``make test``; the README's set-up names it for ``make run`` machines), or from
the folder ``INCIDENT_MAP_FONTS`` names; fontconfig's ``fc-match`` finds them elsewhere.

Right-to-left text (Hebrew, Arabic) is shaped (Arabic letters joined: ``arabic-reshaper``)
and put in display order (the Unicode bidirectional algorithm: ``python-bidi``) one line at
a time, after the line breaks are chosen, so a wrapped RTL paragraph reads top to bottom.
A PDF stores glyphs in display order, so copied RTL text comes out in that order.

>>> has_rtl("Esenboğa"), has_rtl("תל אביב"), has_rtl("Александр")
(False, True, False)
"""

from __future__ import annotations

import functools
import html
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

from dashboard.exports.sizes import ExportError

#: ReportLab's names for the deck's fonts.
REGULAR, BOLD = "DeckSans", "DeckSans-Bold"
FAMILY = "DeckSans"
#: File names of the fonts, regular and bold.
FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
#: Folders searched after ``INCIDENT_MAP_FONTS`` and fontconfig (Debian, Fedora, Arch, macOS).
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/Library/Fonts",
    "/Library/Fonts",
)
INSTALL_HINT = (
    "the PDF deck needs the DejaVu Sans fonts (DejaVuSans.ttf and DejaVuSans-Bold.ttf) to "
    "print every script; install them (Debian/Ubuntu: `apt-get install fonts-dejavu-core`) or "
    "set INCIDENT_MAP_FONTS to a folder holding both files"
)


def _fc_match(name: str) -> Path | None:
    """The file fontconfig gives for ``name``, if fontconfig is installed."""
    binary = shutil.which("fc-match")
    if not binary:
        return None
    try:
        found = subprocess.run([binary, "-f", "%{file}", name], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(found) if found else None


def find_fonts() -> dict[str, Path]:
    """The font files by ReportLab name; :class:`ExportError` when one is missing."""
    found: dict[str, Path] = {}
    folders = [os.environ.get("INCIDENT_MAP_FONTS", "")]
    for name, file_name in FILES.items():
        candidates = [Path(folder).expanduser() / file_name for folder in folders if folder]
        style = "DejaVu Sans:bold" if name == BOLD else "DejaVu Sans"
        matched = _fc_match(style)
        if matched is not None and matched.name == file_name:
            candidates.append(matched)
        candidates += [Path(folder).expanduser() / file_name for folder in FONT_DIRS]
        for candidate in candidates:
            if candidate.is_file():
                found[name] = candidate
                break
        else:
            raise ExportError(INSTALL_HINT)
    return found


@functools.cache
def register_fonts() -> tuple[str, str]:
    """Register the deck's fonts with ReportLab once; their names (regular, bold)."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, path in find_fonts().items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    # <b> inside a paragraph picks the bold face.
    for bold, italic, name in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, REGULAR), (1, 1, BOLD)):
        addMapping(FAMILY, bold, italic, name)
    return REGULAR, BOLD


def fonts_ready() -> bool:
    """Whether the deck's fonts can be found (for a message before any work)."""
    try:
        find_fonts()
    except ExportError:
        return False
    return True


_RTL_CLASSES = {"R", "AL"}


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds a right-to-left letter (Hebrew, Arabic, ...)."""
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


def starts_rtl(text: str) -> bool:
    """Whether the first letter with a direction of its own is right-to-left (the
    paragraph's direction, Unicode's rule P2)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in _RTL_CLASSES:
            return True
        if kind == "L":
            return False
    return False


def display_lines(text: str, *, font: str, size: float, width: float) -> list[str]:
    """``text`` as the lines a PDF draws, left to right: broken to ``width`` points in
    ``font`` at ``size``, each line with right-to-left runs shaped and reordered."""
    from arabic_reshaper import reshape
    from bidi import get_display
    from reportlab.lib.utils import simpleSplit

    lines: list[str] = []
    for paragraph in text.split("\n"):
        shaped = reshape(paragraph) if has_rtl(paragraph) else paragraph
        broken = simpleSplit(shaped, font, size, width) or [""]
        direction = "R" if starts_rtl(paragraph) else "L"
        lines += [get_display(line, base_dir=direction) if has_rtl(paragraph) else line
                  for line in broken]
    return lines


def pdf_markup(text: str, *, font: str, size: float, width: float) -> str:
    """``text`` for a ReportLab paragraph (whose markup is XML-like): escaped, and, when it
    holds right-to-left letters, broken into display-ordered lines joined by ``<br/>``."""
    if not has_rtl(text):
        return html.escape(text, quote=False)
    return "<br/>".join(html.escape(line, quote=False)
                        for line in display_lines(text, font=font, size=size, width=width))


def inline_markup(text: str) -> str:
    """A short text inside a line of other text (a place after "Place:"): escaped, its
    right-to-left runs shaped and reordered as one line."""
    if not has_rtl(text):
        return html.escape(text, quote=False)
    from arabic_reshaper import reshape
    from bidi import get_display

    return html.escape(get_display(reshape(text), base_dir="L"), quote=False)
