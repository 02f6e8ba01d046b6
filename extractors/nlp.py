"""The one place that loads underthesea and spaCy.

``get_nlp()`` returns a spaCy ``Language`` whose tokenizer is underthesea's
word segmentation *realigned to the original text*: underthesea returns words
whose text differs from its input (tone marks moved, syllables joined across
line breaks, NFD folded to NFC), so we never trust its strings, only its word
boundaries, and find every syllable again in the original.  ``doc.text == text``
holds for every input (a tested invariant), so token and entity offsets are
offsets into ``ParsedDocument.content``.

The pipeline has one component, ``agency_entities``: agency and group names
from the registry (``extractors/resources/agencies.json``) found on
characters, not on word tokens (the segmenter splits the same name
differently in different contexts), and written to ``doc.ents`` as ``ORG`` /
``ORG_GROUP`` with ``kb_id_`` = the canonical name.  ``find_cues`` finds the
role cue words ("chủ trì", "phối hợp", ...) with a token ``Matcher``.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import spacy
from kehoach.models.text_forms import matching_form, nfc
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import DummyTokenizer, filter_spans
from spacy.vocab import Vocab

RESOURCES = Path(__file__).parent / "resources"
_SYLLABLES = re.compile(r"\S+")
_RUNS = re.compile(r"\s+|\S+")
_PARSE_CACHE_SIZE = 16


# --------------------------------------------------------------------------- tokenizer


def _realign(words: list[str], text: str) -> tuple[list[str], list[bool], list[int]]:
    """Map underthesea's words back onto ``text``: token strings are slices of ``text``.

    A word whose syllables are separated by single spaces in ``text`` stays one
    token ("Kế hoạch"); a word underthesea joined across a line break or a run
    of blanks becomes one token per syllable, so no token holds a line break.
    Characters underthesea dropped or rewrote beyond recognition become their
    own tokens, so the realignment never fails.
    """
    tokens: list[str] = []
    spaces: list[bool] = []
    offsets: list[int] = []
    pos = 0
    n = len(text)
    folded = matching_form(text)

    def take_gap(upto: int) -> None:
        # a single space after a token is its trailing space; other runs become tokens of their own
        gap = text[pos:upto]
        if gap.startswith(" ") and tokens and not spaces[-1]:
            spaces[-1] = True
            gap = gap[1:]
        for run in _RUNS.finditer(gap):
            tokens.append(run.group())
            spaces.append(False)
            offsets.append(upto - len(gap) + run.start())

    def emit(start: int, end: int) -> None:
        nonlocal pos
        take_gap(start)
        tokens.append(text[start:end])
        spaces.append(False)
        offsets.append(start)
        pos = end

    for word in words:
        syllables = _SYLLABLES.findall(matching_form(nfc(word)))
        found: list[tuple[int, int]] = []
        for syllable in syllables:
            cursor = found[-1][1] if found else pos
            while cursor < n and text[cursor].isspace():
                cursor += 1
            end = cursor + len(syllable)
            if folded.startswith(syllable, cursor):
                found.append((cursor, end))
                continue
            hit = folded.find(syllable, cursor, cursor + 64 + len(syllable))
            if hit >= 0:
                found.append((hit, hit + len(syllable)))
            # else: underthesea rewrote this syllable; its characters fall into the next gap
        if not found:
            continue
        joined_by_single_spaces = all(
            text[a_end:b_start] == " " for (_, a_end), (b_start, _) in itertools.pairwise(found)
        )
        if joined_by_single_spaces:
            emit(found[0][0], found[-1][1])
        else:
            for start, end in found:
                emit(start, end)
    take_gap(n)
    return tokens, spaces, offsets


class UnderthesaTokenizer(DummyTokenizer):
    """spaCy tokenizer: underthesea word segmentation, every token a slice of the input."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        from underthesea import word_tokenize  # heavy import: only when a pipeline is built

        self._word_tokenize = word_tokenize

    def __call__(self, text: str) -> Doc:
        text = nfc(text)
        words = self._word_tokenize(text) if text.strip() else []
        tokens, spaces, offsets = _realign(words, text)
        doc = Doc(self.vocab, words=tokens, spaces=spaces)
        # NORM = lower case with one tone-mark placement, so "hoà" and "hòa" match alike
        folded = matching_form(text)
        lowered = text.lower()
        for i, (token, start) in enumerate(zip(tokens, offsets, strict=True)):
            end = start + len(token)
            if folded[start:end] != lowered[start:end]:
                doc[i].norm_ = folded[start:end]
        return doc


@spacy.registry.tokenizers("kehoach.underthesea_tokenizer.v1")
def create_underthesea_tokenizer() -> Any:
    def make(nlp: Language) -> UnderthesaTokenizer:
        return UnderthesaTokenizer(nlp.vocab)

    return make


# --------------------------------------------------------------------------- agency entities

if not Span.has_extension("agency_mentions"):
    Span.set_extension(
        "agency_mentions",
        getter=lambda span: [
            m for m in span.doc._.agency_mentions if span.start_char <= m.start and m.end <= span.end_char
        ],
    )
if not Doc.has_extension("agency_mentions"):
    Doc.set_extension("agency_mentions", default=[])


@Language.factory("agency_entities")
def create_agency_entities(nlp: Language, name: str) -> AgencyEntities:
    return AgencyEntities()


class AgencyEntities:
    """Pipeline component: registry-driven agency recognition on characters, written as entities.

    The exact character matches go to ``doc._.agency_mentions``; ``doc.ents``
    holds them expanded to token boundaries (``alignment_mode="expand"``), and
    ``ent._.agency_mentions`` gives back the exact matches inside each entity.
    Matches whose expanded spans would overlap share one entity.
    """

    def __init__(self) -> None:
        from kehoach.extractors import agencies  # the registry lives there; imported late to avoid a cycle

        self._find = agencies.match_text

    def __call__(self, doc: Doc) -> Doc:
        mentions = self._find(doc.text)
        doc._.agency_mentions = mentions
        ents: list[Span] = []
        for mention in mentions:
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if span is None:
                continue
            if ents and span.start < ents[-1].end:
                # the segmenter glued two names together: one entity carries both mentions
                last = ents[-1]
                span = doc[min(last.start, span.start) : max(last.end, span.end)]
                ents[-1] = Span(doc, span.start, span.end, label="ORG", kb_id=last.kb_id_ + "|" + mention.name)
                continue
            label = "ORG_GROUP" if mention.kind == "group" else "ORG"
            ents.append(Span(doc, span.start, span.end, label=label, kb_id=mention.name))
        doc.ents = ents
        return doc


# --------------------------------------------------------------------------- pipeline


@functools.lru_cache(maxsize=1)
def get_nlp() -> Language:
    """The process-wide pipeline: underthesea tokenizer + agency entities (loaded once)."""
    nlp = spacy.blank("xx", config={"nlp": {"tokenizer": {"@tokenizers": "kehoach.underthesea_tokenizer.v1"}}})
    nlp.add_pipe("agency_entities")
    return nlp


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def parse(text: str) -> Doc:
    """``get_nlp()(text)``, cached: the agency, cue and task extractors share one parse per text."""
    return get_nlp()(text)


# --------------------------------------------------------------------------- role cues


def _cue_table() -> dict[str, list[str]]:
    data = json.loads((RESOURCES / "agency_patterns.json").read_text(encoding="utf-8"))
    return {label: entry["phrases"] for label, entry in data["role_cues"]["labels"].items()}


def _segmentations(syllables: list[str]) -> Iterator[list[str]]:
    """Every way to group consecutive syllables into tokens ("chủ trì" or "chủ" + "trì")."""
    if not syllables:
        yield []
        return
    for cut in range(1, len(syllables) + 1):
        head = " ".join(syllables[:cut])
        for rest in _segmentations(syllables[cut:]):
            yield [head, *rest]


@functools.lru_cache(maxsize=1)
def _cue_matcher() -> Matcher:
    matcher = Matcher(get_nlp().vocab)
    for label, phrases in _cue_table().items():
        patterns = []
        for phrase in phrases:
            syllables = matching_form(phrase).split()
            for parts in _segmentations(syllables):
                # a line break between syllables is a whitespace token of its own
                pattern: list[dict[str, Any]] = []
                for part in parts:
                    if pattern:
                        pattern.append({"IS_SPACE": True, "OP": "*"})
                    pattern.append({"NORM": part})
                patterns.append(pattern)
        matcher.add(label, patterns)
    return matcher


def find_cues(doc: Doc) -> list[tuple[str, int, int]]:
    """Role cue words in ``doc`` as ``(label, start_char, end_char)``, longest match, text order.

    Labels and phrases come from ``agency_patterns.json`` (``role_cues``):
    ``chu_tri``, ``phoi_hop``, ``thuc_hien``, ``giao``, ``tham_muu``,
    ``don_vi_thuc_hien``, ``co_quan_thuc_hien``, ...
    """
    matcher = _cue_matcher()
    spans = matcher(doc, as_spans=True)
    return [(span.label_, span.start_char, span.end_char) for span in sorted(filter_spans(spans))]
