"""OCR of PDF pages with Tesseract's Vietnamese model, as positioned words.

Pages without a text layer (scans) or with a garbled one are rendered at
:data:`RESOLUTION` dpi (pdfplumber's renderer, pypdfium2) and read by the
``tesseract`` command with ``-l vie --psm 6``.  ``--psm 6`` (one uniform
block) keeps table pages in row order (FACTS: 4.4 % character error against
51 % for the default layout analysis); the letterhead's two columns are then
separated by the same geometry code as text-layer pages, because we take
Tesseract's word boxes (TSV output), not its text.

Tesseract spends ~0.1 s of every run loading the ``vie`` model, so images are
batched: one run reads a multi-page TIFF on stdin and the TSV's ``page_num``
says which frame (page or table cell) each word came from.  A page's table
cells read this way give the same words as one run per cell at a third of the
CPU (22 cells of the Lào Cai table page: 0.53 s against 1.7 s).  Pages of a
scan run in parallel in :mod:`pipeline.ingest.ocr_pool`.

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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kehoach.pipeline.errors import IngestError, MissingDependencyError
from kehoach.pipeline.ingest.pdf_layout import Word
from kehoach.pipeline.limits import check_render

if TYPE_CHECKING:
    from pdfplumber.page import Page
    from PIL import Image

BBox = tuple[float, float, float, float]
"""A box in PDF points: x0, top, x1, bottom."""

RESOLUTION = 300
"""Render resolution (dpi), chosen by measurement (README, OCR): 250 dpi reads the scanned sample's
letterhead "SỞ XÂY DỰNG" as "DỤNG" and 200 dpi loses 0.4 points of character error on the Lào Cai text
pages, for 10 % and 20 % less Tesseract time; 400 dpi costs 20 % more and reads no better."""
LANGUAGE = "vie"
PAGE_SEGMENTATION = "6"
TESSERACT_OPTIONS: tuple[str, ...] = ()
"""Extra ``-c name=value`` settings passed to every run."""
TIMEOUT_SECONDS = 180
MIN_CONFIDENCE = 30.0
"""Words Tesseract is less sure of than this are mostly stamp and signature specks, not text."""
CELL_INSET_PX = 3
"""Pixels cut from each side of a cell so that its ruling lines are not read as letters (I, l, |)."""
MIN_CELL_PX = 8
INK_LEVEL = 128
"""A crop whose darkest pixel is lighter than this grey has no ink: an empty cell, not worth a frame."""
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
    """The page as a grey image at :data:`RESOLUTION` dpi (refused if that image would be too large)."""
    check_render(page.page_number, float(page.width), float(page.height), RESOLUTION)
    return page.to_image(resolution=RESOLUTION).original.convert("L")


def ocr_words(page: Page, path: str | Path, image: Image.Image | None = None) -> list[Word]:
    """Tesseract's words of one page, with boxes in PDF points (page coordinates)."""
    return ocr_image(image if image is not None else render(page), path, page.page_number)


def cell_crop(image: Image.Image, bbox: BBox) -> tuple[Image.Image, tuple[float, float]] | None:
    """The inked inside of a table cell and its top-left corner in points, or None for an empty or tiny cell."""
    scale = RESOLUTION / 72.0
    x0, top, x1, bottom = bbox
    box = (
        int(x0 * scale) + CELL_INSET_PX,
        int(top * scale) + CELL_INSET_PX,
        int(x1 * scale) - CELL_INSET_PX,
        int(bottom * scale) - CELL_INSET_PX,
    )
    if box[2] - box[0] < MIN_CELL_PX or box[3] - box[1] < MIN_CELL_PX:
        return None
    crop = image.crop(box)
    if crop.getextrema()[0] > INK_LEVEL:
        return None
    return crop, (x0 + CELL_INSET_PX / scale, top + CELL_INSET_PX / scale)


def ocr_region(image: Image.Image, bbox: BBox, path: str | Path, page: int) -> list[Word]:
    """OCR one box of the page (a table cell, in points): ruled lines around a cell confuse whole-page OCR.

    One Tesseract run per call: for all cells of a page use :func:`ocr_cells`.
    """
    found = cell_crop(image, bbox)
    if found is None:
        return []
    crop, offset = found
    return ocr_image(crop, path, page, offset=offset)


def cell_crops(image: Image.Image, bboxes: Sequence[BBox]) -> dict[BBox, tuple[Image.Image, tuple[float, float]]]:
    """The inked cells among ``bboxes`` (each box once), with their crops and offsets (see :func:`cell_crop`)."""
    return {bbox: found for bbox in dict.fromkeys(map(tuple, bboxes)) if (found := cell_crop(image, bbox)) is not None}


def ocr_cells(image: Image.Image, bboxes: Sequence[BBox], path: str | Path, page: int) -> dict[BBox, list[Word]]:
    """The words of every cell box of one page image, read in one Tesseract run (empty cells skipped)."""
    crops = cell_crops(image, bboxes)
    words: dict[BBox, list[Word]] = {tuple(bbox): [] for bbox in bboxes}  # type: ignore[misc]
    if not crops:
        return words
    frames = [crop for crop, _ in crops.values()]
    read = ocr_frames(frames, [offset for _, offset in crops.values()], path, page)
    words.update(zip(crops, read, strict=True))
    return words


def ocr_image(image: Image.Image, path: str | Path, page: int, offset: tuple[float, float] = (0.0, 0.0)) -> list[Word]:
    """Tesseract's words of one image, boxes scaled to points and shifted by ``offset`` (points)."""
    return ocr_frames([image], [offset], path, page)[0]


def ocr_frames(
    images: Sequence[Image.Image], offsets: Sequence[tuple[float, float]], path: str | Path, page: int
) -> list[list[Word]]:
    """Each image's words from one Tesseract run over a multi-page TIFF (the model is loaded once)."""
    if not images:
        return []
    frames = split_frames(run_tesseract(tiff_bytes(images), path, page), len(images))
    return [parse_tsv(rows, 72.0 / RESOLUTION, offset) for rows, offset in zip(frames, offsets, strict=True)]


def tiff_bytes(images: Sequence[Image.Image]) -> bytes:
    """Images as one uncompressed multi-page TIFF (cheaper to write than PNG; Tesseract reads it from stdin)."""
    buffer = io.BytesIO()
    images[0].save(buffer, format="TIFF", save_all=len(images) > 1, append_images=list(images[1:]))
    return buffer.getvalue()


def run_tesseract(data: bytes, path: str | Path, page: int) -> str:
    """Tesseract's TSV for the image bytes, one thread (``OMP_THREAD_LIMIT=1``: parallelism is across pages)."""
    env = dict(os.environ, OMP_THREAD_LIMIT=os.environ.get("OMP_THREAD_LIMIT", "1"))
    command = ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--psm", PAGE_SEGMENTATION]
    command += [part for option in TESSERACT_OPTIONS for part in ("-c", option)] + ["tsv"]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=TIMEOUT_SECONDS, check=False, env=env)
    except subprocess.TimeoutExpired as exc:
        raise IngestError(path, f"OCR of page {page} took over {TIMEOUT_SECONDS} s") from exc
    except FileNotFoundError as exc:  # removed after missing_ocr() looked: still a missing tool, not a crash
        raise MissingDependencyError(
            path, f"page {page} needs OCR, but the tesseract command is gone: {INSTALL_HINT}"
        ) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise IngestError(path, f"OCR of page {page} failed: {message[-1] if message else 'tesseract error'}")
    return done.stdout.decode("utf-8")


def split_frames(tsv: str, count: int) -> list[str]:
    """The TSV cut into one TSV (header included) per input frame, by its ``page_num`` column (1-based)."""
    lines = tsv.splitlines()
    if not lines:
        return [""] * count
    header, parts = lines[0], [[] for _ in range(count)]  # type: list[str], list[list[str]]
    column = header.split("\t").index("page_num") if "page_num" in header else 1
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) > column and fields[column].isdigit() and 1 <= int(fields[column]) <= count:
            parts[int(fields[column]) - 1].append(line)
    return ["\n".join([header, *part]) for part in parts]


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
