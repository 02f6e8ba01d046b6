#!/usr/bin/env python3
# Verbatim copy of ../shared/eval/score.py (the project scorer), bundled so the corpus tests run without ../shared.
"""Score extraction JSON (CONTRACT.md) against gold annotations (GUIDELINES.md).

    score.py --gold GOLD_DIR --pred PRED_DIR [--json] [--min KEY=VALUE ...]

GOLD_DIR holds <document file name>.json gold files; PRED_DIR holds
<document file name>.json predictions. A gold file with no prediction counts
as an empty prediction. Standard library only.

With --min KEY=VALUE (e.g. --min task_f1=0.9) the exit status is 1 when an
overall figure falls below its floor. The last line printed is a one-line
summary of the overall figures.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path


def fold(text: str) -> str:
    """Case-, diacritic- and layout-insensitive form used for all matching."""
    text = unicodedata.normalize("NFD", text or "")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D").lower()
    text = re.sub(r"[*_|#`]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def fold_words(text: str) -> str:
    """fold() with punctuation removed too: the form anchors are matched in."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w%²]+", " ", fold(text))).strip()


def max_matching(edges: list[list[int]], n_right: int) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn): left index -> right index."""
    owner: dict[int, int] = {}

    def take(left: int, seen: set[int]) -> bool:
        # a free candidate first, in document order, so that identical anchors
        # pair with identical tasks in order rather than crosswise
        for right in edges[left]:
            if right not in owner and right not in seen:
                seen.add(right)
                owner[right] = left
                return True
        for right in edges[left]:
            if right in seen:
                continue
            seen.add(right)
            if right not in owner or take(owner[right], seen):
                owner[right] = left
                return True
        return False

    for left in range(len(edges)):
        take(left, set())
    return {left: right for right, left in owner.items()}


ABBREVIATIONS = [
    (r"\bubnd\b", "uy ban nhan dan"),
    (r"\bhdnd\b", "hoi dong nhan dan"),
    (r"\bbcd\b", "ban chi dao"),
    (r"\bbtv\b", "ban thuong vu"),
    (r"\bmttq\b", "mat tran to quoc"),
    (r"\bct-xh\b", "chinh tri - xa hoi"),
    (r"\bs?kh ?& ?dt\b|\bskhdt\b", "ke hoach va dau tu"),
    (r"\btn ?& ?mt\b|\btnmt\b", "tai nguyen va moi truong"),
    (r"\btt ?& ?tt\b|\btttt\b", "thong tin va truyen thong"),
    (r"\bgd ?& ?dt\b", "giao duc va dao tao"),
    (r"\bnn ?& ?ptnt\b", "nong nghiep va phat trien nong thon"),
]

PROVINCES = "|".join(re.escape(p) for p in sorted((
    'an giang', 'ba ria - vung tau', 'ba ria vung tau', 'bac giang', 'bac kan', 'bac lieu', 'bac ninh', 'ben tre', 'binh dinh', 'binh duong', 'binh phuoc', 'binh thuan', 'ca mau', 'can tho', 'cao bang', 'da nang', 'dak lak', 'dak nong', 'dien bien', 'dong nai', 'dong thap', 'gia lai', 'ha giang', 'ha nam', 'ha noi', 'ha tinh', 'hai duong', 'hai phong', 'hau giang', 'hoa binh', 'hung yen', 'khanh hoa', 'kien giang', 'kon tum', 'lai chau', 'lam dong', 'lang son', 'lao cai', 'long an', 'nam dinh', 'nghe an', 'ninh binh', 'ninh thuan', 'phu tho', 'phu yen', 'quang binh', 'quang nam', 'quang ngai', 'quang ninh', 'quang tri', 'soc trang', 'son la', 'tay ninh', 'thai binh', 'thai nguyen', 'thanh hoa', 'thua thien hue', 'hue', 'tien giang', 'tra vinh', 'tuyen quang', 'vinh long', 'vinh phuc', 'yen bai', 'ho chi minh'
), key=len, reverse=True))

GROUPS = [
    (r"^cac so,? (ban,? )?nganh( va)?( (cac )?co quan)?.*$", "GROUP so-ban-nganh"),
    (r"^(cac )?(so|ban),? nganh.*lien quan$", "GROUP so-ban-nganh"),
    (r"^uy ban nhan dan (cac|cap) huyen.*$", "GROUP ubnd-huyen"),
    (r"^uy ban nhan dan (cac|cap) xa.*$", "GROUP ubnd-xa"),
    (r"^(cac )?(co quan|don vi),? (don vi )?(co )?lien quan$", "GROUP lien-quan"),
]


def agency_key(name: str) -> str:
    key = fold(name)
    key = re.sub(r"^(co quan thuc hien|don vi thuc hien|chu tri|phoi hop)\s*:\s*", "", key)
    for pattern, full in ABBREVIATIONS:
        key = re.sub(pattern, full, key)
    key = re.sub(r"^so (ke hoach va dau tu|tai nguyen va moi truong|thong tin va truyen thong)$", r"so \1", key)
    if re.fullmatch(r"(ke hoach va dau tu|tai nguyen va moi truong|thong tin va truyen thong)", key):
        key = "so " + key
    key = re.sub(r"[.;:]+$", "", key).strip()
    key = re.sub(r"\s+(cua )?tinh( (" + PROVINCES + r"))?$", "", key)
    key = re.sub(r"\s+(" + PROVINCES + r")$", "", key) if key.startswith("so ") else key
    key = re.sub(r"\s+(co )?lien quan$", " lien quan", key) if key.startswith("cac ") else key
    key = re.sub(r"\s+", " ", key).strip()
    for pattern, group in GROUPS:
        if re.match(pattern, key):
            return group
    return re.sub(r"^(cac|nhung) ", "", key)


def gold_agency_options(entry: str) -> set[str]:
    return {agency_key(alt) for alt in entry.split("|")}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def date_matches(pred, gold) -> bool:
    if gold is None:
        return pred in (None, "")
    if not pred:
        return False
    return str(pred)[: len(str(gold))] == str(gold)


def num_eq(a, b) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return False


def unit_key(unit) -> str:
    u = fold(str(unit or "")).replace("m2", "m²").replace(" ", "")
    return {"phantram": "%", "percent": "%"}.get(u, u)


class Tally:
    def __init__(self) -> None:
        self.c: dict[str, int] = {}

    def add(self, key: str, n: int = 1) -> None:
        self.c[key] = self.c.get(key, 0) + n

    def __getitem__(self, key: str) -> int:
        return self.c.get(key, 0)


def score_document(gold: dict, pred: dict, t: Tally) -> list[str]:
    """Adds this document's counts to t; returns human-readable misses."""
    misses: list[str] = []
    content = pred.get("content") or ""

    # tasks: a prediction matches a gold task when its text contains the gold
    # anchor; the pairing is a maximum one-to-one matching
    pred_tasks = [p for p in pred.get("tasks") or [] if isinstance(p, dict)]
    pred_folded = [fold_words(p.get("text", "")) for p in pred_tasks]
    gold_tasks = gold.get("tasks", [])
    anchors = [fold_words(g["anchor"]) for g in gold_tasks]
    pairs = max_matching([[i for i, txt in enumerate(pred_folded) if a in txt] for a in anchors], len(pred_tasks))
    for gi, g in enumerate(gold_tasks):
        anchor = anchors[gi]
        hit = pairs.get(gi)
        if hit is None:
            t.add("task_fn")
            misses.append(f"task missed: {g['anchor']}")
            t.add("lead_fn", sum(not x.startswith("?") for x in g.get("lead", [])))
            t.add("coord_fn", sum(not x.startswith("?") for x in g.get("coordinating", [])))
            if g.get("due"):
                t.add("due_total")
            continue
        t.add("task_tp")
        p = pred_tasks[hit]
        for role, field in (("lead", "lead"), ("coord", "coordinating")):
            entries = g.get(field, [])
            pred_keys = {agency_key(x) for x in p.get(field) or [] if isinstance(x, str)}
            matched = set()
            for entry in entries:
                optional = entry.startswith("?")
                opts = gold_agency_options(entry.lstrip("?"))
                m = opts & (pred_keys - matched)
                if m:
                    matched.add(next(iter(m)))
                    t.add(f"{role}_tp")
                elif not optional:
                    t.add(f"{role}_fn")
                    misses.append(f"{role} missed on '{g['anchor']}': {sorted(opts)} not in {sorted(pred_keys)}")
            extra = pred_keys - matched
            t.add(f"{role}_fp", len(extra))
            for e in extra:
                misses.append(f"{role} extra on '{g['anchor']}': {e}")
        if g.get("due"):
            t.add("due_total")
            if date_matches(p.get("due"), g["due"]):
                t.add("due_ok")
            else:
                misses.append(f"due on '{g['anchor']}': got {p.get('due')!r}, want {g['due']!r}")
        elif p.get("due"):
            t.add("due_spurious")
        span = p.get("span")
        t.add("ground_total")
        if (
            isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) for x in span)
            and anchor in fold_words(content[span[0]: span[1]])
        ):
            t.add("ground_ok")
    t.add("task_fp", len(pred_tasks) - len(pairs))

    # targets: same year, same numbers, same unit (maximum one-to-one matching)
    pred_targets = [p for p in pred.get("targets") or [] if isinstance(p, dict)]
    gold_targets = gold.get("targets", [])

    def same(p: dict, g: dict) -> bool:
        return (
            p.get("year") == g.get("year") and num_eq(p.get("min"), g["min"]) and num_eq(p.get("max"), g["max"])
            and unit_key(p.get("unit")) in {unit_key(u) for u in str(g.get("unit") or "").split("|")}
        )

    pairs = max_matching([[i for i, p in enumerate(pred_targets) if same(p, g)] for g in gold_targets], len(pred_targets))
    for gi, g in enumerate(gold_targets):
        if gi in pairs:
            t.add("target_tp")
        else:
            t.add("target_fn")
            misses.append(f"target missed: {g['anchor']} ({g.get('min')}-{g.get('max')} {g.get('unit')} {g.get('year')})")
    t.add("target_fp", len(pred_targets) - len(pairs))

    # references: sets of normalised numbers
    def ref_key(x) -> str:
        n = x.get("number") if isinstance(x, dict) else x
        return re.sub(r"\s+", "", fold(str(n or "")))

    gold_refs = {ref_key(x) for x in gold.get("references", [])}
    pred_refs = {ref_key(x) for x in pred.get("references") or []} - {""}
    t.add("ref_tp", len(gold_refs & pred_refs))
    t.add("ref_fp", len(pred_refs - gold_refs))
    t.add("ref_fn", len(gold_refs - pred_refs))
    for r in sorted(gold_refs - pred_refs):
        misses.append(f"reference missed: {r}")

    # document fields
    gd, pd = gold.get("document", {}), pred.get("document") or {}
    for field in ("doc_type", "number", "issued_date", "signer", "issuer", "title"):
        if field not in gd:
            continue
        t.add("field_total")
        want, got = gd[field], pd.get(field)
        if field in ("issuer", "title"):
            ok = bool(got) and (fold(want) in fold(got) or fold(got) in fold(want)) if want else not got
            if ok and field == "title":
                wt, gt = set(fold(want).split()), set(fold(got).split())
                ok = len(wt & gt) / max(len(wt | gt), 1) >= 0.8
        elif field == "issued_date":
            ok = (got or None) == (want or None)
        elif field == "number":
            ok = re.sub(r"\s+", "", fold(got or "")) == re.sub(r"\s+", "", fold(want or ""))
        else:
            ok = fold(got or "") == fold(want or "")
        if ok:
            t.add("field_ok")
        else:
            misses.append(f"document.{field}: got {got!r}, want {want!r}")
    return misses


def summary(t: Tally) -> dict:
    out = {}
    for name, prefix in (("task", "task"), ("lead", "lead"), ("coord", "coord"), ("target", "target"), ("ref", "ref")):
        p, r, f = prf(t[f"{prefix}_tp"], t[f"{prefix}_fp"], t[f"{prefix}_fn"])
        out[f"{name}_p"], out[f"{name}_r"], out[f"{name}_f1"] = round(p, 3), round(r, 3), round(f, 3)
    out["due_acc"] = round(t["due_ok"] / t["due_total"], 3) if t["due_total"] else 1.0
    out["due_spurious"] = t["due_spurious"]
    out["grounding"] = round(t["ground_ok"] / t["ground_total"], 3) if t["ground_total"] else 0.0
    out["fields_acc"] = round(t["field_ok"] / t["field_total"], 3) if t["field_total"] else 1.0
    out["gold_tasks"] = t["task_tp"] + t["task_fn"]
    out["gold_targets"] = t["target_tp"] + t["target_fn"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", required=True, type=Path)
    ap.add_argument("--pred", required=True, type=Path)
    ap.add_argument("--json", action="store_true", help="print the summary as JSON only")
    ap.add_argument("--quiet", action="store_true", help="do not list misses")
    ap.add_argument("--min", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)

    total = Tally()
    per_doc = {}
    for gold_file in sorted(args.gold.glob("*.json")):
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        pred_file = args.pred / gold_file.name
        try:
            pred = json.loads(pred_file.read_text(encoding="utf-8"))
            if not isinstance(pred, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            pred = {}
            print(f"{gold_file.name}: no usable prediction ({exc.__class__.__name__})", file=sys.stderr)
        t = Tally()
        misses = score_document(gold, pred, t)
        for k, v in t.c.items():
            total.add(k, v)
        per_doc[gold_file.name] = summary(t)
        if not args.json:
            s = per_doc[gold_file.name]
            print(f"== {gold_file.name}: task F1 {s['task_f1']}  lead F1 {s['lead_f1']}  coord F1 {s['coord_f1']}"
                  f"  due {s['due_acc']}  target F1 {s['target_f1']}  ref F1 {s['ref_f1']}  fields {s['fields_acc']}")
            if not args.quiet:
                for m in misses:
                    print("   ", m)
    overall = summary(total)
    if args.json:
        print(json.dumps({"overall": overall, "documents": per_doc}, ensure_ascii=False, indent=1))
    failed = []
    for floor in args.min:
        key, _, value = floor.partition("=")
        if overall.get(key, 0) < float(value):
            failed.append(f"{key} {overall.get(key)} < {value}")
    line = " ".join(f"{k}={v}" for k, v in overall.items() if k.endswith(("_f1", "_acc")) or k == "grounding")
    print(("BELOW: " + "; ".join(failed) + " | " if failed else "") + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
