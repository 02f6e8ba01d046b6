"""Refuse a PDF bomb from its bytes, before pdfium or pdfminer inflate anything.

A one-megabyte PDF whose content stream inflates to a gigabyte of blanks took 2.1 GB and 13 s to
read, to find no text; under a memory cap pdfium does not fail but aborts the process.  Both
parsers inflate whole streams, so the bound has to come first:

- a stream that could inflate past :data:`MAX_STREAM_BYTES` is inflated here, in chunks that are
  counted and thrown away, and the file is refused if it does.  Deflate cannot compress more than
  about 1032 to 1, so only streams of more than ``MAX_STREAM_BYTES / 1032`` compressed bytes (a few
  a file at most: scanned pages, embedded fonts) and streams with two compressing filters need it;
- an image whose ``/Width`` × ``/Height`` exceeds :data:`MAX_IMAGE_PIXELS` is refused (pdfium
  decodes an image whole when it renders a page for OCR).

Streams are found by their ``stream``/``endstream`` keywords, which every stream has in the file's
own bytes (object streams hold dictionaries, never streams).  Damaged data is left to the parsers:
this only ever refuses what is provably too large.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from kehoach.pipeline.limits import MAX_RENDER_PIXELS, LimitExceededError, format_size

MAX_STREAM_BYTES = 256 << 20
"""Inflated size of one stream: a page's content stream is kilobytes, a 600-dpi scan page ~30 MB."""
MAX_INFLATED_BYTES = 1 << 30
"""Inflated size of the streams checked, together."""
MAX_IMAGE_PIXELS = MAX_RENDER_PIXELS
DEFLATE_MAX_RATIO = 1032
_CHUNK = 1 << 20
_STREAM = re.compile(rb"stream\r?\n")
_DICT_START = re.compile(rb"\d+\s+\d+\s+obj\b")
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)\b")
_OTHER_COMPRESSION = re.compile(rb"/(?:LZWDecode|LZW|RunLengthDecode|RL)\b")
_WIDTH = re.compile(rb"/(?:Width|W)\s+(\d{1,12})\b")
_HEIGHT = re.compile(rb"/(?:Height|H)\s+(\d{1,12})\b")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
LOOK_BACK = 4096
"""Bytes before ``stream`` searched for the stream's dictionary."""


def inflated_size(raw: bytes, bound: int) -> int:
    """Bytes ``raw`` inflates to, counted up to just past ``bound`` (never holding more than a chunk)."""
    inflater = zlib.decompressobj()
    total = 0
    data = raw
    try:
        while data and total <= bound and not inflater.eof:
            out = inflater.decompress(data, _CHUNK)
            if not out and inflater.unconsumed_tail == data:
                break  # no progress: not deflate data after all
            total += len(out)
            data = inflater.unconsumed_tail
        if total <= bound and not inflater.eof:
            total += len(inflater.flush())
    except zlib.error:
        pass  # damaged: what inflated so far counts, the parsers report the rest
    return total


def check_pdf_bounds(path: Path, data: bytes) -> None:
    """Raise :class:`LimitExceededError` if a stream or an image of the PDF ``data`` is too large to open."""
    threshold = MAX_STREAM_BYTES // DEFLATE_MAX_RATIO
    total = 0
    for found in _STREAM.finditer(data):
        start = found.end()
        head = data[max(0, found.start() - LOOK_BACK) : found.start()]
        objects = list(_DICT_START.finditer(head))
        dictionary = head[objects[-1].end() :] if objects else head
        if dictionary.rstrip()[-2:] != b">>":
            continue  # the word "stream" inside some other data, not a stream keyword
        _check_image(path, dictionary)
        flates = len(_FLATE.findall(dictionary))
        if not flates:
            continue
        end = data.find(b"endstream", start)
        end = len(data) if end < 0 else end
        if end - start <= threshold and flates < 2 and not _OTHER_COMPRESSION.search(dictionary):
            continue
        size = inflated_size(data[start:end], MAX_STREAM_BYTES)
        if size > MAX_STREAM_BYTES:
            raise LimitExceededError(
                path,
                f"a stream of {format_size(end - start)} would inflate past {format_size(MAX_STREAM_BYTES)}, "
                "the limit for one PDF stream (a compression bomb?)",
            )
        total += size
        if total > MAX_INFLATED_BYTES:
            raise LimitExceededError(
                path, f"the PDF's streams would inflate past {format_size(MAX_INFLATED_BYTES)} (a compression bomb?)"
            )


def _check_image(path: Path, dictionary: bytes) -> None:
    if not _IMAGE.search(dictionary):
        return
    width, height = _WIDTH.search(dictionary), _HEIGHT.search(dictionary)
    if width is None or height is None:
        return
    pixels = int(width.group(1)) * int(height.group(1))
    if pixels > MAX_IMAGE_PIXELS:
        raise LimitExceededError(
            path,
            f"an image of {int(width.group(1)):,} × {int(height.group(1)):,} pixels, above the limit of "
            f"{MAX_IMAGE_PIXELS / 1e6:,.0f} million (decoding it would take {pixels * 3 / (1 << 30):,.1f} GB)",
        )
