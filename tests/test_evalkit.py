"""The benchmark's metric functions (bench/evalkit.py) on tiny hand-made inputs."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import evalkit as ek  # noqa: E402

ORIGINAL = "The quick brown fox jumps over the lazy dog near the old river bank."
SPUN = "The fast brown fox leaps over the lazy hound near the old river bank."


def test_chrf_identical_is_100() -> None:
    assert ek.chrf("a small test sentence", "a small test sentence") == pytest.approx(100.0)


def test_chrf_disjoint_is_0_and_ignores_whitespace() -> None:
    assert ek.chrf("xyz", "abc") == 0.0
    assert ek.chrf("a b c", "abc") == pytest.approx(100.0)


def test_chrf_orders_and_recall_weight() -> None:
    partial = ek.chrf("The fast brown fox", "The quick brown fox")
    assert 0 < partial < 100
    # beta = 2 weighs recall: a hypothesis missing text scores lower than one with extra text
    assert ek.chrf("brown fox", "brown fox jumps") < ek.chrf("brown fox jumps high", "brown fox jumps")


def test_chrf_matches_sacrebleu_when_installed() -> None:
    sacrebleu = pytest.importorskip("sacrebleu")
    for hyp, ref in [(SPUN, ORIGINAL), ("a cat sat", "the cat sat on the mat")]:
        assert ek.chrf(hyp, ref) == pytest.approx(sacrebleu.sentence_chrf(hyp, [ref]).score, abs=0.01)


def test_roc_auc() -> None:
    assert ek.roc_auc([0.9, 0.8], [0.1, 0.2, 0.3]) == 1.0
    assert ek.roc_auc([0.1], [0.9]) == 0.0
    assert ek.roc_auc([0.5, 0.5], [0.5]) == 0.5
    assert ek.roc_auc([0.9, 0.2], [0.5]) == 0.5
    assert math.isnan(ek.roc_auc([], [0.1]))


def test_threshold_for_fpr() -> None:
    neg = [i / 100 for i in range(100)]  # 0.00 .. 0.99
    t = ek.threshold_for_fpr(neg, 0.01)
    assert sum(1 for x in neg if x > t) == 1
    t0 = ek.threshold_for_fpr([0.2, 0.2, 0.1], 0.01)
    assert sum(1 for x in [0.2, 0.2, 0.1] if x > t0) == 0


def test_alignment_finds_substituted_spans() -> None:
    edits = ek.align_edits(SPUN, ORIGINAL)
    assert [(e.spun, e.original, e.kind) for e in edits] == [
        ("fast", "quick", "substitute"),
        ("leaps", "jumps", "substitute"),
        ("hound", "dog", "substitute"),
    ]
    for e in edits:
        assert SPUN[e.start : e.end] == e.spun
        assert ORIGINAL[e.orig_start : e.orig_end] == e.original


def test_alignment_insertions_and_multiword() -> None:
    orig = "Doctors say the disease is common in older adults."
    spun = "Medical professionals state the sickness is really typical in older adults."
    edits = ek.align_edits(spun, orig)
    kinds = {(e.spun, e.original): e.kind for e in edits}
    assert kinds[("Medical professionals state", "Doctors say")] == "substitute"
    assert kinds[("sickness", "disease")] == "substitute"
    assert kinds[("really typical", "common")] == "substitute"


def test_phrase_scores_overlap_and_exact() -> None:
    edits = ek.align_edits(SPUN, ORIGINAL)
    fast = SPUN.index("fast")
    hound = SPUN.index("hound")
    findings = [
        ek.Span(fast, fast + 4, "quick"),  # exact
        ek.Span(hound - 5, hound + 5, "dog"),  # overlaps, not exact
        ek.Span(0, 3, "A"),  # false alarm on "The"
    ]
    prf = ek.phrase_scores(findings, edits)
    assert (prf.tp_pred, prf.n_pred, prf.tp_gold, prf.n_gold) == (2, 3, 2, 3)
    assert prf.f1 == pytest.approx(2 / 3)
    exact = ek.phrase_scores(findings, edits, exact=True)
    assert (exact.tp_pred, exact.tp_gold) == (1, 1)
    none = ek.phrase_scores([], edits)
    assert math.isnan(none.precision) and none.recall == 0 and none.f1 == 0


def test_restoration_counts() -> None:
    edits = ek.align_edits(SPUN, ORIGINAL)
    # identity restores nothing and breaks nothing
    c = ek.restoration_counts(ORIGINAL, SPUN, SPUN, edits)
    assert (c.substituted, c.restored, c.untouched, c.broken) == (3, 0, 11, 0)
    # two of three restored (case-insensitive), one untouched word wrongly changed
    restored = "The QUICK brown fox leaps over the lazy dog near the new river bank."
    c = ek.restoration_counts(ORIGINAL, SPUN, restored, edits)
    assert (c.substituted, c.restored, c.untouched, c.broken) == (3, 2, 11, 1)
    assert c.restored_share == pytest.approx(2 / 3)
    assert c.broken_share == pytest.approx(1 / 11)


def test_restoration_ignores_words_shared_by_a_multiword_replacement() -> None:
    orig = "They look at the results."
    spun = "They look into the results."
    edit = ek.Edit(5, 14, 5, 12, "look into", "look at", "substitute")  # a two-word synthetic edit
    c = ek.restoration_counts(orig, spun, spun, [edit])
    assert (c.substituted, c.restored) == (1, 0)  # only "at" was really substituted


def test_tortured_split_and_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = ["tortured\texpected\tpapers"] + [f"odd phrase {i}\tplain phrase {i} (PP)\t{i}" for i in range(200)]
    rows += ["mystery words\t???\t3", "unclear thing\t(?)\t1"]
    (tmp_path / "tortured_phrases_dev.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv(ek.DATA_ENV, str(tmp_path))
    dev, held = ek.tortured_split()
    assert len(dev) + len(held) == 200
    assert 30 <= len(held) <= 90  # about 30%
    assert not {r.tortured for r in dev} & {r.tortured for r in held}
    assert ek.tortured_split() == (dev, held)  # fixed, not random per run
    assert held[0].expected.startswith("plain phrase") and "(" not in held[0].expected
    text, expected, (a, b) = ek.tortured_case(held[0])
    assert text[a:b] == held[0].tortured
    assert ek.tortured_ok(expected.upper(), held[0])
    assert not ek.tortured_ok(text, held[0])
    # a change elsewhere in the carrier does not hide a restored phrase, but is reported
    damaged = expected.replace("propose", "suggest")
    assert ek.tortured_ok(damaged, held[0]) and ek.carrier_changed(damaged) and not ek.carrier_changed(expected)
    # leftover words next to the phrase are not an exact restoration
    assert not ek.tortured_ok(expected.replace(" for this", " odd for this"), held[0])
    lookup = ek.TorturedLookup(dev)
    out = lookup.run(ek.tortured_case(dev[0])[0])
    assert out.flagged and ek.tortured_ok(out.restored, dev[0])
    assert not lookup.run(text).flagged


def test_tortured_acronyms_are_ignored() -> None:
    row = ek.Tortured("guileless byes (NB)", ek._strip_acronym("Naive Bayes (NB)"), 1)
    assert row.expected == "Naive Bayes"
    assert ek.tortured_ok(ek.CARRIER.format("naive Bayes (NB)"), row)
    assert ek._strip_acronym("NLP (natural language processing)") == "NLP (natural language processing)"


def test_near_duplicate_groups() -> None:
    base = " ".join(f"word{i}" for i in range(60))
    texts = {"a.txt": base, "b.txt": base + " extra words here", "c.txt": "something else entirely " * 5}
    assert ek.near_duplicate_groups(texts) == [["a.txt", "b.txt"]]


def test_system_run_records_errors() -> None:
    class Broken(ek.System):
        def analyse(self, text: str) -> ek.Outcome:
            raise RuntimeError("boom")

    out = Broken().run("some text")
    assert out.error == "RuntimeError: boom" and out.restored == "some text" and not out.flagged


def test_score_set_with_identity() -> None:
    doc = ek.Doc("x", SPUN, 1, "t", "word", original=ORIGINAL, edits=ek.align_edits(SPUN, ORIGINAL))
    sc = ek.score_set([doc], [ek.Identity().run(SPUN)])
    assert sc.restore is not None and sc.restore.restored == 0
    assert sc.chrf_restored == pytest.approx(sc.chrf_spun)


def test_dev_eval_overrides_engine_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    import dev_eval
    import unspin.candidates
    import unspin.detect

    monkeypatch.setattr(unspin.detect, "PRESELECT", unspin.detect.PRESELECT)
    monkeypatch.setattr(unspin.candidates, "MAX_PER_SPAN", unspin.candidates.MAX_PER_SPAN)
    dev_eval.override(["detect.PRESELECT=5", "candidates.MAX_PER_SPAN=7"])
    assert unspin.detect.PRESELECT == 5 and isinstance(unspin.detect.PRESELECT, int)
    assert unspin.candidates.MAX_PER_SPAN == 7
    for bad in ("PRESELECT=5", "detect.NO_SUCH=1", "search.BEAM=2", "detect.PRESELECT"):
        with pytest.raises(SystemExit):
            dev_eval.override([bad])


def test_a_floors_file_with_a_floor_above_its_measurement_is_refused(tmp_path: Path) -> None:
    """Every gate's floors file is read by read_floors, which refuses a floor above the value it
    was measured at (the detection gate checked that; the learning gate did not)."""
    good = {"format": ek.FLOORS_FORMAT, "fingerprint": "0" * 64,
            "metrics": {"recall": {"floor": 0.8, "measured": 0.82}}}
    path = tmp_path / "floors.json"
    path.write_text(json.dumps(good), encoding="utf-8")
    assert ek.read_floors(path)["metrics"]["recall"]["floor"] == 0.8
    good["metrics"]["recall"]["floor"] = 0.9
    path.write_text(json.dumps(good), encoding="utf-8")
    with pytest.raises(ValueError, match="floors above the values they were measured at: recall"):
        ek.read_floors(path)
    del good["fingerprint"]
    path.write_text(json.dumps(good), encoding="utf-8")
    with pytest.raises(ValueError, match="no fingerprint"):
        ek.read_floors(path)
