"""OCR of a scan's pages on every core: one single-threaded Tesseract process per page, up to the CPU count.

Tesseract's own OpenMP threads barely help one page (its line recogniser is
sequential) and fight each other when several pages run, so each process
gets ``OMP_THREAD_LIMIT=1`` and parallelism comes from running pages side by
side.  Each page is one run: frame 1 of a multi-page TIFF is the page,
frames 2… its inked table cells (read on their own because ruling lines
confuse whole-page OCR), so the ``vie`` model is loaded once per page
instead of once per cell.  A job's ``masks`` paint boxes white in the page
frame, for a caller that throws away the page's words inside its tables.
Measured on the Lào Cai plan (three of six pages are ruled tables), Tesseract
s/page over the file: one run per cell 1.12, cells batched 0.88, batched and
masked 0.83 (the same words but a few letters of a stamp over a title).

The caller renders pages in its own thread (pypdfium2 is not thread-safe) as
:func:`ocr_pages` pulls them from an iterable, so at most ``workers + 2``
page images are alive at a time whatever the length of the scan; the
Tesseract processes run in threads of this process (a subprocess releases
the GIL), which needs no pickling and no second Python interpreter.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from kehoach.pipeline.ingest import ocr
from kehoach.pipeline.ingest.ocr import BBox
from kehoach.pipeline.ingest.pdf_layout import Word

if TYPE_CHECKING:
    from PIL import Image

Tag = TypeVar("Tag")

WORKERS_VARIABLE = "KEHOACH_OCR_WORKERS"
"""Environment variable capping the Tesseract processes of one document (ingest workers × this = processes)."""


@dataclass
class PageJob(Generic[Tag]):
    """One page to OCR: its image at :data:`ocr.RESOLUTION`, the table cells to read alone, the boxes to blank."""

    number: int
    image: Image.Image
    cells: Sequence[BBox] = ()
    masks: Sequence[BBox] = ()
    """Boxes (points) painted white before the whole page is read: usually the bounding boxes of its tables."""
    tag: Tag | None = None
    """Anything the caller needs back with the result (its table objects, for instance)."""


@dataclass
class PageOcr:
    number: int
    words: list[Word]
    """Words of the page outside its masks, boxes in points."""
    cells: dict[BBox, list[Word]] = field(default_factory=dict)

    def cell(self, bbox: BBox) -> list[Word]:
        """The words of one requested cell (the ``cell_words`` callback of the table reader)."""
        return self.cells.get(tuple(bbox), [])  # type: ignore[arg-type]


def default_workers() -> int:
    """Tesseract processes to run at once: $KEHOACH_OCR_WORKERS, else the CPUs this process may use."""
    configured = os.environ.get(WORKERS_VARIABLE, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def ocr_page(job: PageJob[Tag], path: str | Path) -> PageOcr:
    """One page and its cells in one Tesseract run."""
    page_image = _masked(job.image, job.masks)
    crops = ocr.cell_crops(job.image, job.cells)
    frames = [page_image, *(crop for crop, _ in crops.values())]
    offsets = [(0.0, 0.0), *(offset for _, offset in crops.values())]
    read = ocr.ocr_frames(frames, offsets, path, job.number)
    cells: dict[BBox, list[Word]] = {tuple(bbox): [] for bbox in job.cells}  # type: ignore[misc]
    cells.update(zip(crops, read[1:], strict=True))
    return PageOcr(number=job.number, words=read[0], cells=cells)


def ocr_pages(
    jobs: Iterable[PageJob[Tag]], path: str | Path, workers: int | None = None
) -> Iterator[tuple[PageJob[Tag], PageOcr]]:
    """Each job with its result, in the jobs' order, ``workers`` pages at a time.

    ``jobs`` is pulled lazily (render in a generator); an error of any page
    (:class:`IngestError`) is raised when that page's turn comes, and pages
    not yet started are cancelled.
    """
    count = workers if workers is not None else default_workers()
    pending = iter(jobs)
    if count <= 1:
        for job in pending:
            yield job, ocr_page(job, path)
        return
    executor = ThreadPoolExecutor(max_workers=count, thread_name_prefix="tesseract")
    running: deque[tuple[PageJob[Tag], Future[PageOcr]]] = deque()
    try:
        for job in pending:
            running.append((job, executor.submit(ocr_page, job, path)))
            if len(running) > count:  # one queued: a freed process starts at once while the caller renders
                break
        while running:
            job, future = running.popleft()
            result = future.result()
            next_job = next(pending, None)
            if next_job is not None:
                running.append((next_job, executor.submit(ocr_page, next_job, path)))
            yield job, result
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _masked(image: Image.Image, masks: Sequence[BBox]) -> Image.Image:
    if not masks:
        return image
    from PIL import ImageDraw

    scale = ocr.RESOLUTION / 72.0
    blank = image.copy()
    draw = ImageDraw.Draw(blank)
    for x0, top, x1, bottom in masks:
        draw.rectangle((int(x0 * scale), int(top * scale), int(x1 * scale) + 1, int(bottom * scale) + 1), fill=255)
    return blank
