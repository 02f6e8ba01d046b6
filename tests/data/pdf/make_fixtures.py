"""Regenerate the small bad-PDF fixtures of this folder (needs ``pip install pypdf``; tests do not).

encrypted.pdf: one blank A4 page behind a user password ("secret", RC4-128), the
kind of file a reader cannot open without the password.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfWriter

HERE = Path(__file__).parent


def main() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner-secret", algorithm="RC4-128")
    with open(HERE / "encrypted.pdf", "wb") as handle:
        writer.write(handle)


if __name__ == "__main__":
    main()
