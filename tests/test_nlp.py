"""The spaCy + underthesea base: offsets that never drift, registry entities, role cues."""

from __future__ import annotations

from pathlib import Path

import pytest
from kehoach.extractors.agencies import find_mentions
from kehoach.extractors.nlp import find_cues, get_nlp, parse
from kehoach.models.text_forms import nfc

DEV = sorted((Path(__file__).parent / "corpus" / "dev").glob("*.txt"))
REAL = sorted((Path(__file__).parent / "corpus" / "real").glob("*.reference.txt"))


@pytest.fixture(scope="module")
def nlp():
    return get_nlp()


@pytest.mark.parametrize("path", DEV + REAL, ids=lambda p: p.name[:24])
def test_nlp_doc_text_is_the_input_for_every_file_and_line(nlp, path: Path) -> None:
    # the readers hand the NLP base NFC content (some corpus files are stored decomposed, NFD)
    text = nfc(path.read_text(encoding="utf-8"))
    assert nlp(text).text == text
    tokenizer = nlp.tokenizer
    bad = [line for line in text.split("\n") if tokenizer(line).text != line]
    assert bad == []


def test_nlp_get_nlp_is_loaded_once() -> None:
    assert get_nlp() is get_nlp()
    assert get_nlp().pipe_names == ["agency_entities"]


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Sở Kế hoạch và Đầu tư chủ trì", "Kế hoạch"),
        ("phối hợp với các sở, ban, ngành", "phối hợp"),
    ],
)
def test_nlp_multi_syllable_words_are_one_token(nlp, text: str, token: str) -> None:
    assert token in [t.text for t in nlp(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Sở Kế hoạch và Đầu\ntư, Tài\nnguyên và Môi trường",  # underthesea joins these across the break
        "Cơ quan thực hiện: Sở Nội vụ chủ\ntrì phối hợp",
        "UBND  tỉnh   Lạng Sơn",
    ],
)
def test_nlp_no_token_spans_a_line_break_or_blank_run(nlp, text: str) -> None:
    doc = nlp(text)
    assert doc.text == text
    for token in doc:
        if not token.is_space:
            assert "\n" not in token.text and "  " not in token.text


def test_nlp_tone_placement_variants_share_a_norm(nlp) -> None:
    assert nlp("hoà")[0].norm_ == nlp("hòa")[0].norm_ == "hòa"
    assert nlp("Uỷ ban")[0].norm_.startswith("ủy")


def test_nlp_entities_carry_canonical_names(nlp) -> None:
    doc = nlp("Giao Sở KH&ĐT chủ trì, phối hợp với các sở, ban, ngành và UBND các huyện, thành phố.")
    ents = [(e.label_, e.kb_id_) for e in doc.ents]
    assert ents == [
        ("ORG", "Sở Kế hoạch và Đầu tư"),
        ("ORG_GROUP", "các sở, ban, ngành"),
        ("ORG_GROUP", "Ủy ban nhân dân các huyện, thành phố"),
    ]


@pytest.mark.parametrize("path", DEV, ids=lambda p: p.name[:3])
def test_nlp_entities_agree_with_find_mentions(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    doc = parse(text)
    mentions = find_mentions(text)
    assert len(mentions) >= len(doc.ents) > 0
    for ent in doc.ents:
        inside = [m for m in mentions if ent.start_char <= m.span[0] and m.span[1] <= ent.end_char]
        assert inside, ent.text
        assert ent.kb_id_.split("|")[0] == inside[0].name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Giao Sở Tài chính chủ trì, phối hợp với các sở",
            [("giao", "Giao"), ("chu_tri", "chủ trì"), ("phoi_hop", "phối hợp với")],
        ),
        (
            "Cơ quan thực hiện: Sở Nội vụ chủ\ntrì",
            [("co_quan_thuc_hien", "Cơ quan thực hiện"), ("chu_tri", "chủ\ntrì")],
        ),
        ("b) Đơn vị thực hiện: Phòng Quản lý xây dựng", [("don_vi_thuc_hien", "Đơn vị thực hiện")]),
        ("c) Đơn vị phối hợp: Các Sở, ban, ngành", [("don_vi_phoi_hop", "Đơn vị phối hợp")]),
        ("Sở Xây dựng tham mưu UBND tỉnh", [("tham_muu", "tham mưu")]),
        ("Chủ trì, phối hợp với các đơn vị có liên quan", [("chu_tri", "Chủ trì"), ("phoi_hop", "phối hợp với")]),
    ],
)
def test_nlp_find_cues(text: str, expected: list[tuple[str, str]]) -> None:
    doc = parse(text)
    assert [(label, text[start:end]) for label, start, end in find_cues(doc)] == expected


@pytest.mark.parametrize("path", DEV[:8], ids=lambda p: p.name[:24])
def test_nlp_doc_entities_are_the_mentions_extraction_uses(path: Path) -> None:
    """find_mentions skips the Doc (no word segmentation) but must see exactly what the spaCy component writes."""
    from kehoach.extractors.agencies import find_mentions

    text = nfc(path.read_text(encoding="utf-8"))
    from_doc = [(m.start, m.end, m.name) for ent in parse(text).ents for m in ent._.agency_mentions]
    direct = [(m.span[0], m.span[1], m.name) for m in find_mentions(text)]
    assert from_doc == direct
