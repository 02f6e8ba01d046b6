"""OCR of PDF pages with Tesseract's Vietnamese model, as positioned words.

Pages without a text layer (scans) or with a garbled one are rendered at
300 dpi (pdfplumber's renderer, pypdfium2) and read by the ``tesseract``
command with ``-l vie --psm 6``.  ``--psm 6`` (one uniform block) keeps table
pages in row order (FACTS: 4.4 % character error against 51 % for the default
layout analysis); the letterhead's two columns are then separated by the same
geometry code as text-layer pages, because we take Tesseract's word boxes
(TSV output), not its text.

Nothing is downloaded: a missing ``tesseract`` binary or ``vie`` model raises
:class:`MissingDependencyError` naming the Debian packages to install.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import IngestError, MissingDependencyError
from pipeline.ingest.pdf_layout import Word

if TYPE_CHECKING:
    from pdfplumber.page import Page
    from PIL import Image

RESOLUTION = 300
LANGUAGE = "vie"
PAGE_SEGMENTATION = "6"
TIMEOUT_SECONDS = 180
MIN_CONFIDENCE = 30.0
"""Words Tesseract is less sure of than this are mostly stamp and signature specks, not text."""
INSTALL_HINT = "install the Debian packages tesseract-ocr and tesseract-ocr-vie (apt-get install tesseract-ocr-vie)"


@functools.cache
def missing_ocr() -> str | None:
    """Why OCR cannot run here (None when Tesseract with the Vietnamese model is available)."""
    binary = shutil.which("tesseract")
    if binary is None:
        return f"the tesseract command is not installed: {INSTALL_HINT}"
    try:
        listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"tesseract cannot be run ({exc}): {INSTALL_HINT}"
    languages = {line.strip() for line in (listed.stdout + listed.stderr).splitlines()}
    if LANGUAGE not in languages:
        return f"Tesseract's Vietnamese model (vie.traineddata) is missing: {INSTALL_HINT}"
    return None


def require_ocr(path: str | Path, why: str) -> None:
    reason = missing_ocr()
    if reason is not None:
        raise MissingDependencyError(path, f"{why} and needs OCR, but {reason}")


def render(page: Page) -> Image.Image:
    """The page as a grey image at :data:`RESOLUTION` dpi."""
    return page.to_image(resolution=RESOLUTION).original.convert("L")


def ocr_words(page: Page, path: str | Path, image: Image.Image | None = None) -> list[Word]:
    """Tesseract's words of one page, with boxes in PDF points (page coordinates)."""
    return ocr_image(image if image is not None else render(page), path, page.page_number)


def ocr_region(image: Image.Image, bbox: tuple[float, float, float, float], path: str | Path, page: int) -> list[Word]:
    """OCR one box of the page (a table cell, in points): ruled lines around a cell confuse whole-page OCR."""
    scale = RESOLUTION / 72.0
    x0, top, x1, bottom = bbox
    box = (int(x0 * scale) + 3, int(top * scale) + 3, int(x1 * scale) - 3, int(bottom * scale) - 3)
    if box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return []
    crop = image.crop(box)
    if crop.getextrema()[0] > 128:  # no dark pixel: an empty cell
        return []
    return ocr_image(crop, path, page, offset=(x0 + 3 / scale, top + 3 / scale))


def ocr_image(image: Image.Image, path: str | Path, page: int, offset: tuple[float, float] = (0.0, 0.0)) -> list[Word]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    env = dict(os.environ, OMP_THREAD_LIMIT=os.environ.get("OMP_THREAD_LIMIT", "1"))
    command = ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--psm", PAGE_SEGMENTATION, "tsv"]
    try:
        done = subprocess.run(
            command, input=buffer.getvalue(), capture_output=True, timeout=TIMEOUT_SECONDS, check=False, env=env
        )
    except subprocess.TimeoutExpired as exc:
        raise IngestError(path, f"OCR of page {page} took over {TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise IngestError(path, f"OCR of page {page} failed: {message[-1] if message else 'tesseract error'}")
    return parse_tsv(done.stdout.decode("utf-8"), scale=72.0 / RESOLUTION, offset=offset)


def parse_tsv(tsv: str, scale: float, offset: tuple[float, float] = (0.0, 0.0)) -> list[Word]:
    """Word rows (level 5) of Tesseract's TSV, scaled from pixels to points.

    A word gets the vertical extent of its whole line (level 4): ink boxes of
    single words are as short as their letters, while the layout code compares
    gaps with a font-size-like line height, as on text-layer pages.
    """
    words: list[Word] = []
    line_extent: dict[tuple[str, ...], tuple[float, float]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        key = (row.get("page_num", ""), row.get("block_num", ""), row.get("par_num", ""), row.get("line_num", ""))
        top = float(row["top"]) * scale + offset[1]
        height = float(row["height"]) * scale
        if row.get("level") == "4":
            line_extent[key] = (top, top + height)
            continue
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text or float(row.get("conf") or -1) < MIN_CONFIDENCE:
            continue
        left, width = float(row["left"]) * scale + offset[0], float(row["width"]) * scale
        line_top, line_bottom = line_extent.get(key, (top, top + height))
        words.append(Word(text=text, x0=left, x1=left + width, top=line_top, bottom=line_bottom))
    return words
