"""The detection/restoration engine: its contract, whatever its accuracy."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

import unspin
from unspin import Config
from unspin.demo import ARTICLE, SPUN
from unspin.detect import Engine
from unspin.errors import CheckTimeout, EmptyInputError, InputTooLargeError
from unspin.lexicon import CERTAIN_WEIGHT, Lexicon, builtin_lexicon
from unspin.report import apply_findings
from unspin.synth import spin


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(Config())


@pytest.mark.parametrize("text", [SPUN, ARTICLE, spin(ARTICLE, 0.4, "phrase", seed=3).text])
def test_findings_point_at_their_text_and_replay(engine: Engine, text: str) -> None:
    report = engine.check(text)
    for f in report.findings:
        assert text[f.start : f.end] == f.text
        assert 0.0 <= f.confidence <= 1.0 and f.confidence >= engine.config.finding_threshold
        assert f.original and f.original != f.text
        assert {"lm_gain", "channel_prior", "source"} <= set(f.signals)
        assert f.alternatives and f.alternatives[0].text
    assert unspin.apply_findings(text, report.findings) == report.restored
    assert [f.start for f in report.findings] == sorted(f.start for f in report.findings)


def test_spun_article_vs_its_original(engine: Engine) -> None:
    spun, clean = engine.check(SPUN), engine.check(ARTICLE)
    assert spun.verdict == "spun" and clean.verdict == "clean"
    assert spun.spun_probability > 0.5 > clean.spun_probability
    assert "According to council" in spun.restored and "The mayor said" in spun.restored
    assert clean.restored == ARTICLE


@pytest.mark.parametrize(
    "text",
    [
        "Der Stadtrat hat am Dienstag beschlossen, zwölf Millionen Euro für die Reparatur der alten "
        "Hafenbrücke auszugeben, die seit März für den Schwerverkehr gesperrt ist.",
        "Le conseil municipal a voté mardi pour dépenser douze millions d'euros pour réparer le vieux "
        "pont du port, fermé aux poids lourds depuis mars.",
        "El ayuntamiento votó el martes gastar doce millones de euros en reparar el viejo puente del "
        "puerto, cerrado al tráfico pesado desde marzo.",
    ],
)
def test_non_english_is_uncertain_with_a_reason(engine: Engine, text: str) -> None:
    report = engine.check(text)
    assert report.verdict == "uncertain" and "English" in report.reason
    assert report.findings == () and report.restored == text


def test_short_text_is_uncertain(engine: Engine) -> None:
    report = engine.check("The mayor stated it.")
    assert report.verdict == "uncertain" and "too short" in report.reason


def test_a_list_of_names_is_uncertain_not_clean(engine: Engine) -> None:
    """Names, numbers and function words give no evidence either way: no confident verdict."""
    text = "John Smith, Mary Jones, Peter Brown, Alice Green, Robert White, Susan Black and Laura King, 2004."
    report = engine.check(text)
    assert report.verdict == "uncertain" and "too little to judge" in report.reason
    assert report.findings == () and report.restored == text
    # the limits are settings
    assert "too little" not in Engine(Config(min_content_words=1, min_content_share=0.0)).check(text).reason
    # a text in title case reads as names too (it cannot be told from a list of them)
    title = " ".join(w.capitalize() for w in SPUN.split(" "))
    report = engine.check(title)
    assert report.verdict == "uncertain" and "too little to judge" in report.reason
    assert engine.check(SPUN).verdict == "spun"


def test_text_in_capitals_is_checked_in_lower_case(engine: Engine) -> None:
    """Every word in capitals would read as a name or an abbreviation, which spinners leave: such a
    text is judged in lower case, its findings point at its own characters and restore in its capitals."""
    text = ("THE MAYOR STATED THAT THE WORK ON THE OLD BRIDGE WOULD COMMENCE IN THE SPRING, INNING ACCORDANCE "
            "WITH THE COUNCIL PLAN. THE RESIDENTIAL PUPPY IS A DESCENDANT OF THE WOLF.")
    report, lower = engine.check(text), engine.check(text.lower())
    assert report.verdict == lower.verdict == "spun"
    assert report.spun_probability == lower.spun_probability
    assert [(f.start, f.end) for f in report.findings] == [(f.start, f.end) for f in lower.findings]
    for f, g in zip(report.findings, lower.findings, strict=True):
        assert f.text == text[f.start : f.end] == g.text.upper()
        assert f.original == g.original.upper() and f.confidence == g.confidence
        assert [a.text for a in f.alternatives] == [a.text.upper() for a in g.alternatives]
    assert "INNING ACCORDANCE WITH" in {f.text for f in report.findings}
    assert "ACCORDING TO THE COUNCIL PLAN" in report.restored
    assert unspin.apply_findings(text, report.findings) == report.restored
    # a character whose lower case is longer ("İ" has two) leaves the offsets where they were
    dotted = "İSTANBUL: " + text
    report = engine.check(dotted)
    assert report.findings and all(dotted[f.start : f.end] == f.text for f in report.findings)


def test_lookalike_letters_change_nothing(engine: Engine) -> None:
    """Cyrillic letters drawn like Latin ones, slipped into a spun text's words, leave the verdict,
    the probability and the originals as they were (a word so masked was unknown to every resource)."""
    masked = SPUN.replace("stated", "st\u0430ted").replace("commence", "c\u043emmence").replace("council", "c\u043euncil")
    plain, report = engine.check(SPUN), engine.check(masked)
    assert report.verdict == plain.verdict and report.spun_probability == plain.spun_probability
    assert [f.original for f in report.findings] == [f.original for f in plain.findings]
    assert "st\u0430ted" in {f.text for f in report.findings}


def test_invisible_characters_change_nothing_but_the_offsets(engine: Engine) -> None:
    """Soft hyphens and zero-width characters inside and between the words of a spun text (a way to
    slip it past duplicate checks) leave the verdict, the probability and the originals as they were."""
    hidden = SPUN.replace("stated", "sta\u00adted").replace("commence", "com\u200bmence").replace(" the ", " \u200bthe ")
    plain, report = engine.check(SPUN), engine.check(hidden)
    assert report.verdict == plain.verdict and report.spun_probability == plain.spun_probability
    assert [f.original for f in report.findings] == [f.original for f in plain.findings]
    assert all(hidden[f.start : f.end] == f.text for f in report.findings)
    assert "sta\u00adted" in {f.text for f in report.findings}
    invisible = dict.fromkeys(map(ord, "\u00ad\u200b"))
    assert report.restored.translate(invisible) == plain.restored


def test_repetitive_text_is_uncertain_not_spun(engine: Engine) -> None:
    """A word repeated over and over reads oddly at each repeat; such a text is not written prose
    and gets no verdict (it was called spun at 1.0, with 167 findings)."""
    text = "bridge " * 500
    report = engine.check(text)
    assert report.verdict == "uncertain" and "too repetitive" in report.reason and "'bridge'" in report.reason
    stuffed = "Cheap shoes, cheap shoes online, cheap shoes for men, cheap shoes for women, cheap shoes today."
    assert "too repetitive" in engine.check(stuffed).reason
    assert "too repetitive" not in Engine(Config(max_repeat_share=0.9)).check(stuffed).reason
    assert engine.check(SPUN).verdict == "spun"  # a topic word repeated in an article is not repetition


def test_input_errors(engine: Engine) -> None:
    with pytest.raises(EmptyInputError):
        engine.check("   \n")
    with pytest.raises(InputTooLargeError):
        Engine(Config(max_input_bytes=100)).check("word " * 50)


def test_deadline_stops_the_check(engine: Engine) -> None:
    with pytest.raises(CheckTimeout):
        engine.check(SPUN, deadline=time.monotonic() - 1)
    assert engine.check(SPUN, deadline=time.monotonic() + 600).findings


def test_finding_threshold_filters() -> None:
    strict = Engine(Config(finding_threshold=0.99)).check(SPUN)
    assert all(f.confidence >= 0.99 for f in strict.findings)
    assert len(strict.findings) < len(Engine(Config()).check(SPUN).findings)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"max_input_bytes": 0}, "positive"),
        ({"spun_threshold": 0.3, "clean_threshold": 0.6}, "clean_threshold"),
        ({"finding_threshold": 2.0}, "between 0 and 1"),
        ({"max_alternatives": 0}, "at least 1"),
        ({"short_spun_threshold": 0.05}, "short_clean_threshold"),
    ],
)
def test_config_is_validated(changes: dict[str, float], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Config(**changes)  # type: ignore[arg-type]


def test_report_json_shape(engine: Engine) -> None:
    data = engine.check(SPUN).to_dict()
    assert list(data) == ["verdict", "spun_probability", "findings", "restored"]
    assert set(data["findings"][0]) == {"start", "end", "text", "original", "confidence", "alternatives", "signals"}


def test_progress_is_reported_per_sentence(engine: Engine) -> None:
    calls: list[tuple[int, int]] = []
    engine.check(SPUN, progress=lambda done, total: calls.append((done, total)))
    total = calls[-1][1]
    assert total > 3 and calls == [(k, total) for k in range(1, total + 1)]


def test_capitalised_words_inside_a_sentence_are_names(engine: Engine) -> None:
    """Only a sentence's first word may be capitalised and still swapped; a capitalised
    word after a comma or bracket is a name, even though it starts a segment."""
    text = (
        "The grey wolf (Canis lupus) is the largest member of its family, Wolf Park keeps several, "
        "and Grey Owl wrote about them at length in his books."
    )
    report = engine.check(text)
    for f in report.findings:
        assert not f.text[:1].isupper() or f.start == 0, f


def test_vector_neighbours_propose_originals_beyond_the_thesaurus(engine: Engine) -> None:
    emb = engine.embeddings
    assert emb is not None
    cands = engine._neighbour_candidates("extraordinarily", emb.neighbours("extraordinarily", 30, 0.55), ())
    assert cands and all(c.source == "embedding" and c.length == 1 and c.prior <= 0.0 for c in cands)
    assert all(c.original[0] != "extraordinarily" for c in cands)
    # nouns are left to the thesaurus: their nearest vectors are mostly co-hyponyms
    assert engine._neighbour_candidates("asthma", emb.neighbours("asthma", 30, 0.55), ()) == []
    # findings carry the vector evidence
    report = engine.check(SPUN)
    assert report.findings and all({"similarity", "topic_gain", "embedding"} <= set(f.signals) for f in report.findings)


def test_opposites_vulgarities_and_abbreviations_are_never_proposed(engine: Engine) -> None:
    emb = engine.embeddings
    assert emb is not None
    near = emb.neighbours("unlucky", 30, 0.55)
    assert "lucky" in {w for w, _ in near}  # opposites sit close in vector space ...
    cands = {c.original[0] for c in engine._neighbour_candidates("unlucky", near, ())}
    assert "lucky" not in cands and "fortunate" not in cands  # ... but are no restoration
    strict = Engine(Config(finding_threshold=0.0))
    text = "The striker fluffed his lines and the club paid £5m for him. He fluffed a simple chance in front of goal."
    report = strict.check(text)
    assert not any(f.text == "m" for f in report.findings)
    for f in report.findings:
        assert not {"fuck", "shit"} & set(f.original.lower().split()), f
        assert not any({"fuck", "shit"} & set(a.text.lower().split()) for a in f.alternatives), f


def test_works_without_word_vectors() -> None:
    plain = Engine(Config(use_embeddings=False))
    assert plain.embeddings is None
    report = plain.check(SPUN)
    assert report.verdict in ("spun", "clean", "uncertain") and report.restored
    assert unspin.apply_findings(SPUN, report.findings) == report.restored


def test_results_do_not_depend_on_what_the_caches_hold() -> None:
    fresh = Engine(Config()).check(SPUN)
    warm = Engine(Config())
    warm.check(ARTICLE)
    warm._cand_cache.clear()  # evicted between documents, as a full cache is
    again = warm.check(SPUN)
    assert [(f.start, f.end, f.original) for f in again.findings] == [(f.start, f.end, f.original) for f in fresh.findings]
    assert again.spun_probability == pytest.approx(fresh.spun_probability, abs=1e-9)
    assert again.restored == fresh.restored


FORMAL = (  # written for this test
    "We propose a method for estimating soil moisture from satellite images. Previous "
    "approaches rely on ground sensors, which are expensive and cover only small areas. "
    "Furthermore, they require regular calibration. In contrast, our method uses freely "
    "available radar data and therefore scales to entire regions.\n\n"
    "The model is trained on approximately 12,000 labelled images collected within three river "
    "basins. Each image is first normalised and then divided into tiles of equal size. "
    "Moreover, we remove tiles in which clouds cover more than half of the area. Thus, the "
    "training set contains only images with a clear view of the ground.\n\n"
    "Our results show that the proposed method reduces the mean error by 18 percent compared "
    "with the baseline. However, the improvement is smaller in mountainous areas, where the "
    "radar signal is weaker. Hence, we recommend combining the model with local measurements in"
    " such regions. Additionally, the method runs in less than a second per image on a standard"
    " laptop, which makes it suitable for large surveys.\n\n"
    "Regarding future work, we plan to extend the approach to other crops and to study how the "
    "accuracy changes over the growing season. Consequently, farmers could use the estimates to"
    " plan irrigation more precisely."
)


def test_formal_human_prose_is_not_called_spun(engine: Engine) -> None:
    """Scientific prose leans on "furthermore", "moreover", "thus", "hence", "approximately",
    "regarding": a writer's choices, which the plainer words beat in a language model."""
    report = engine.check(FORMAL)
    assert report.verdict != "spun", report.spun_probability
    connectives = {"furthermore", "moreover", "thus", "hence", "consequently", "regarding"}
    assert not [f for f in report.findings if f.text.lower() in connectives]


def test_moby_thesaurus_proposes_originals_wordnet_lacks() -> None:
    from unspin.detect import MOBY_CANDIDATES

    engine = Engine(Config(use_moby=True))
    hues = engine._moby_candidates("hues", ())
    assert ("colors",) in {c.original for c in hues}  # not a WordNet synonym of "hues"
    assert 0 < len(hues) <= MOBY_CANDIDATES
    assert all(c.source == "moby" and c.length == 1 and c.prior <= 0.0 for c in hues)
    # never another form of the word itself
    assert not {("help",), ("helps",), ("helping",)} & {c.original for c in engine._moby_candidates("helping", ())}
    # nothing twice: a candidate the thesaurus already gave is left out
    known = engine.candidates.single("hues")
    assert not {c.original for c in known} & {c.original for c in engine._moby_candidates("hues", known)}
    assert Engine(Config())._moby_candidates("hues", ()) == []  # off by default
    assert "moby" in engine.finding_model.weights  # its own finding model, fitted with Moby findings
    text = (
        "The residential puppy has lived close by people for a great many years. Researchers state that "
        "canines were the principal creatures to be tamed by people, and their hues run from white to dark brown."
    )
    moby = [f for f in engine.check(text).findings if f.signals["source"] == "moby"]
    assert ("hues", "colors") in {(f.text, f.original) for f in moby}


def test_moby_findings_restore_but_are_no_evidence_of_spinning() -> None:
    from unspin.detect import _Stats

    stats = _Stats()
    stats.content = 30

    def finding(source: str) -> tuple[float, str]:
        return (0.9, source)  # a decoded finding's confidence and candidate source

    counted = stats.features([finding("thesaurus")] * 3)
    assert counted["strong_rate"] > 0
    assert stats.features([finding("moby")] * 3) == stats.features([])
    assert stats.features([finding("thesaurus")] * 3 + [finding("moby")] * 5) == counted


def test_the_phrase_precheck_never_hides_a_thesaurus_phrase(engine: Engine) -> None:
    """``may_be_phrase`` lets the decoder skip spans cheaply; it must say yes wherever
    ``phrase`` finds candidates: inflected at the first word, at the last, or as written."""
    gen = engine.candidates
    spans = [("takes", "place"), ("respiratory", "tracts"), ("hot", "dogs"), ("looked", "into"),
             ("big", "data"), ("according", "to"), ("took", "care", "of")]
    words = [w.lower().strip(".,") for w in (ARTICLE + " " + SPUN).split()]
    spans += [tuple(words[i : i + n]) for n in (2, 3) for i in range(len(words) - n + 1)]
    found = [span for span in spans if gen.phrase(span)]
    assert ("takes", "place") in found and ("respiratory", "tracts") in found  # the test sees both readings
    assert all(gen.may_be_phrase(span) for span in found)
    assert not gen.may_be_phrase(("authorities", "stated"))  # no multiword lemma starts or goes on so
    # "big" starts multiword lemmas, but none that a form of "say" ends
    assert "big" in engine.res.thesaurus.multiword_firsts and not gen.may_be_phrase(("big", "said"))


def test_similarity_weighting_keeps_every_field_but_the_prior(engine: Engine) -> None:
    from unspin.candidates import Candidate

    cands = [Candidate(1, ("dog",), -0.7, "lexicon", 2.0, True), Candidate(2, ("big", "data"), -1.0, "thesaurus")]
    for before, after in zip(cands, engine._with_similarity(("puppy",), cands), strict=True):
        assert after == before._replace(prior=after.prior) and after.learned == before.learned


def _edges_at(engine: Engine, text: str, word: str) -> list[tuple[str, ...]]:
    """The candidate originals the decoder weighs for ``word`` in the one segment of ``text``."""
    from unspin.detect import _segments, _Stats
    from unspin.text import tokenize

    (seg,) = _segments(tokenize(text))
    look = engine._look(seg, True)
    stats = _Stats()
    stats.neighbours = engine._neighbour_batch(look.words)
    edges = engine._edges(seg, look.words, look, stats)
    return [e.cand.original for e in edges[look.words.index(word)]]


def test_candidates_are_preselected_with_the_next_word_in_view(engine: Engine) -> None:
    # "intelligent" reads badly after "to" but well before "beings": a look at the left
    # context alone dropped it among "hurt", "shoot" and "better"
    originals = _edges_at(engine, "The machines perform chores usually linked to smart beings", "smart")
    assert ("intelligent",) in originals


def test_a_check_keeps_numpys_blas_on_one_thread_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenBLAS's idle helper threads spin on other cores; a check's small products do not need them."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from unspin import detect

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]

    seen: list[list[int]] = []
    original = detect.Engine._check

    def spy(self: Engine, *args: object, **kwargs: object) -> object:
        seen.append(blas_threads())
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(detect.Engine, "_check", spy)
    unspin.check(ARTICLE)  # loads numpy with the resources
    seen.clear()
    before = blas_threads()
    if not before:
        pytest.skip("threadpoolctl sees no BLAS library here (none to limit)")
    unspin.check(ARTICLE)
    assert seen and seen[0] and all(n == 1 for n in seen[0])
    assert blas_threads() == before


def test_overlapping_checks_restore_blas_threads_only_when_the_last_ends() -> None:
    """Checks in several threads overlap: the first limits BLAS, the last restores it (not to the 1
    a later check saw on its way in)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import numpy  # noqa: F401  (the limit applies to the BLAS numpy loads)

    from unspin import detect

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    limiter = detect._one_blas_thread
    limiter.__enter__()  # check A starts
    limiter.__enter__()  # check B starts
    limiter.__exit__(None, None, None)  # A ends first
    assert all(n == 1 for n in blas_threads())
    limiter.__exit__(None, None, None)  # B ends
    assert blas_threads() == before


def test_a_report_does_not_depend_on_what_the_process_checked_before() -> None:
    """The same text gets the very same report as a fresh process's first check (which loads the
    resources, numpy among them, and once ran on all of BLAS's threads) and after other texts."""
    import subprocess
    import sys

    script = (
        "import json, unspin\n"
        "from unspin import Config, demo\n"
        "from unspin.detect import Engine\n"
        "config = Config(cache_candidates=False)\n"
        "first = Engine(config).check(demo.SPUN).to_dict()\n"
        "later = Engine(config)\n"
        "later.check(demo.ARTICLE)\n"
        "print(json.dumps([first, later.check(demo.SPUN).to_dict()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "UNSPIN_CACHE": "off"})
    assert done.returncode == 0, done.stderr
    first, later = json.loads(done.stdout)
    assert first == later


def test_even_a_process_first_check_keeps_blas_on_one_thread() -> None:
    """The first check of a process loads numpy with the resources; the limit must hold for it too."""
    import subprocess
    import sys

    pytest.importorskip("threadpoolctl")
    script = (
        "import sys\n"
        "from unspin.detect import _one_blas_thread\n"
        "assert 'numpy' not in sys.modules, 'numpy is loaded before any check'\n"
        "with _one_blas_thread:\n"
        "    import numpy\n"
        "    from threadpoolctl import threadpool_info\n"
        "    print([i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    threads = json.loads(done.stdout)
    if not threads:
        pytest.skip("threadpoolctl sees no BLAS library here")
    assert threads == [1] * len(threads)


def test_words_no_neighbour_supports_count_without_any_candidate(engine: Engine) -> None:
    """``isolated``: the share of known content words whose neighbours make neither them nor
    the next word likelier.  A spinner's swaps break such collocations; a synonym the candidate
    sources do not know still raises the share, and the document model reads it."""
    original = (
        "The company said on Monday that its profits rose sharply in the first quarter of the year, "
        "and the chief executive told reporters that demand remained strong across the region."
    )
    spun = (
        "The corporation stated on Monday that its earnings climbed greatly in the initial quarter of the "
        "year, and the main administrator informed journalists that need stayed powerful throughout the area."
    )
    clean, swapped = engine.check(original).features, engine.check(spun).features
    assert swapped["isolated"] > clean["isolated"] + 0.1
    assert "isolated" in engine.doc_model.weights
    assert engine.doc_model.weights["isolated"] > 0  # more unsupported words, more likely spun


def test_the_isolated_share_of_a_short_text_stays_near_its_prior() -> None:
    from unspin.detect import ISOLATED_PRIOR, PSEUDO_WORDS, _Stats

    stats = _Stats()
    stats.known, stats.isolated = 2, 2  # two words, both unsupported: weak evidence
    assert stats.features([])["isolated"] == pytest.approx((2 + PSEUDO_WORDS * ISOLATED_PRIOR) / (2 + PSEUDO_WORDS))
    assert _Stats().features([])["isolated"] == pytest.approx(ISOLATED_PRIOR)


def test_function_phrases_count_whether_or_not_the_language_model_objects(engine: Engine) -> None:
    """``function_rate``: the summed table weights of what spinners write for function words
    ("may be" for "is", "thanks to" for "due to"), longest match at each word, per content word;
    ``function_excess`` (what the document model reads): the same beyond the strongest one, shrunk
    by :data:`FUNCTION_PSEUDO_WORDS`, so that one connective is no evidence.  Such swaps often read
    naturally to a trigram model, so no finding need win for them to count."""
    original = (
        "Obesity is a medical condition in which excess body fat has accumulated to an extent that it "
        "may have a negative effect on health. A few cases are caused by genes, and some people gain weight "
        "due to a slow metabolism."
    )
    spun = (
        "Obesity may be a medical condition during which excess body fat has accumulated to an extent that it "
        "may have a negative effect on health. A couple of cases are caused by genes, and some people gain "
        "weight thanks to a slow metabolism."
    )
    weights = {"may be": 0.15, "a couple of": 0.2, "thanks to": 0.3}  # data/function_phrases.tsv
    table = engine.candidates.functions
    for phrase, weight in weights.items():  # the test's arithmetic rests on the table's weights
        assert max(s.weight for s in table.originals(tuple(phrase.split()))) == weight
    from unspin.detect import FUNCTION_PSEUDO_WORDS, PSEUDO_WORDS

    clean, swapped = engine.check(original).features, engine.check(spun).features
    assert clean["function_rate"] == 0.0 and clean["function_excess"] == 0.0  # its "may have" is no table phrase
    n = swapped["content_words"]
    assert swapped["function_rate"] == pytest.approx(sum(weights.values()) / (n + PSEUDO_WORDS))
    assert swapped["function_excess"] == pytest.approx((0.15 + 0.2) / (n + FUNCTION_PSEUDO_WORDS))
    assert engine.doc_model.weights["function_excess"] > 0
    one = engine.check("The library may be open by the summer, and the council will decide on its hours soon.")
    assert one.features["function_rate"] > 0 and one.features["function_excess"] == 0.0


def test_rejudged_by_other_thresholds() -> None:
    from unspin.detect import rejudged

    report = unspin.check(SPUN)
    assert rejudged(SPUN, report, Config()) == report  # its own thresholds: the same report
    strict = rejudged(SPUN, report, Config(spun_threshold=0.999, short_spun_threshold=0.999, finding_threshold=0.9))
    assert strict.verdict == "uncertain" and strict.reason == "the evidence is not conclusive"
    assert strict.findings == tuple(f for f in report.findings if f.confidence >= 0.9)
    assert strict.restored == unspin.apply_findings(SPUN, strict.findings)
    unjudged = unspin.check("Far too short.")
    assert rejudged("Far too short.", unjudged, Config(spun_threshold=0.9)) is unjudged


CERTAIN_TEXT = ("The network has one mystery layer and an output layer, as most do today. "
                "The authors propose a new method based on quick Fourier remodel for this task.")


def _with_pairs(*pairs: tuple[str, str, float, str]) -> Engine:
    extra = Lexicon()
    for spun, original, count, source in pairs:
        extra.add(spun, original, count, source)
    return Engine(Config(), lexicon=builtin_lexicon().merge(extra))


def test_a_certain_lexicon_pair_is_restored_whatever_the_language_model_prefers() -> None:
    """A curated pair weighed CERTAIN_WEIGHT or more (a screener's list of tortured phrases) is
    restored wherever its phrase stands, a name inside it included, the longest of overlapping
    pairs first; weighed less, or learned, it is one candidate among others, and here the news
    language model prefers other words."""
    certain = _with_pairs(("mystery layer", "hidden layer", 4, "curated"),
                          ("fourier remodel", "fourier transform", 4, "curated"),
                          ("quick fourier remodel", "fast fourier transform", 4, "curated"))
    r = certain.check(CERTAIN_TEXT)
    found = {f.text: f for f in r.findings}
    assert found["mystery layer"].original == "hidden layer"
    assert found["quick Fourier remodel"].original == "fast Fourier transform"  # the name keeps its capital
    assert all(found[t].confidence >= 0.875 for t in ("mystery layer", "quick Fourier remodel"))
    assert "one hidden layer" in r.restored and "on fast Fourier transform for" in r.restored
    assert apply_findings(CERTAIN_TEXT, r.findings) == r.restored
    for count, source in ((CERTAIN_WEIGHT - 0.1, "curated"), (9.0, "learned")):
        weak = _with_pairs(("mystery layer", "hidden layer", count, source),
                           ("quick fourier remodel", "fast fourier transform", count, source))
        restored = weak.check(CERTAIN_TEXT).restored
        assert "hidden layer" not in restored and "Fourier transform" not in restored


def test_code_addresses_and_tables_are_not_judged(engine: Engine) -> None:
    """Identifiers and path words read oddly to a language model (a list of URLs was called spun,
    Python source too): more punctuation marks and numbers than 0.8 a word is no prose."""
    code = "def main(argv):\n    for i, x in enumerate(argv[1:]):\n        print(f'{i}: {x}', file=sys.stderr)\n" * 20
    urls = "\n".join(f"https://example.com/path/{n}/page?q={n}&x=the+mayor+stated" for n in range(100))
    table = "\n".join(f"{n},{n * 3},{n * 7},north,{n % 5}" for n in range(100))
    for text in (code, urls, table):
        r = engine.check(text)
        assert r.verdict == "uncertain" and "does not read as prose" in r.reason and not r.findings
    # prose with its figures is prose
    figures = ("Sales rose by 4.5% in 2004, to £3.2bn, the firm said on Tuesday, after 2.1% in 2003 and a fall "
               "of 0.4% in 2002; its shares closed 12p higher at 345p.")
    assert "prose" not in engine.check(figures).reason


def test_a_text_with_a_certain_pair_is_never_clean() -> None:
    """One listed swap no writer makes in an otherwise natural article: "uncertain" with the reason,
    never "clean" (it was "clean", 0.07, with the swap found at 0.9994)."""
    engine = _with_pairs(("counterfeit consciousness", "artificial intelligence", 4, "curated"))
    text = ARTICLE + " Some readers asked whether counterfeit consciousness would change the work."
    r = engine.check(text)
    found = [f for f in r.findings if f.text == "counterfeit consciousness"]
    assert found and found[0].signals["lexicon_weight"] >= CERTAIN_WEIGHT and found[0].signals["lexicon_kind"] == "curated"
    assert r.verdict != "clean"
    if r.verdict == "uncertain":
        assert "a swap no writer makes ('counterfeit consciousness' for 'artificial intelligence')" in r.reason
    # and as another threshold judges it again (the web API's per-request thresholds)
    lenient = unspin.detect.rejudged(text, r, Config(clean_threshold=0.5, spun_threshold=0.9))
    assert lenient.verdict == "uncertain" and "no writer makes" in lenient.reason


def test_library_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="Config"):
        unspin.check(SPUN, {"finding_threshold": 0.5})  # type: ignore[arg-type]
    for bad in ({"min_english_share": float("nan")}, {"min_english_share": -0.1}, {"min_words": -5},
                {"short_text_words": -1}, {"min_content_share": float("nan")}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Config(**bad)  # type: ignore[arg-type]


def test_a_listed_phrase_wrapped_across_lines_is_restored() -> None:
    engine = _with_pairs(("mystery layer", "hidden layer", 4, "curated"))
    text = "The network has one mystery\nlayer and an output layer, as most of them do today in this field."
    r = engine.check(text)
    assert any(f.original == "hidden layer" and f.text == "mystery\nlayer" for f in r.findings)


def test_a_restored_word_brings_the_article_it_needs() -> None:
    from unspin.detect import _article_for, with_articles
    from unspin.report import Alternative, Finding

    assert [_article_for(w) for w in ("random", "excellent", "university", "hour", "one", "idea")] == [
        "a", "an", "a", "an", "a", "an"]
    text = "An irregular woodland and a fantabulous chance."
    findings = (Finding(3, 21, "irregular woodland", "random forest", 0.95, (Alternative("oak forest", 1.0),)),
                Finding(28, 39, "fantabulous", "excellent", 0.9))
    fixed = with_articles(text, findings)
    assert [(f.start, f.text, f.original) for f in fixed] == [
        (0, "An irregular woodland", "A random forest"), (26, "a fantabulous", "an excellent")]
    assert fixed[0].alternatives[0].text == "An oak forest"
    assert apply_findings(text, fixed) == "A random forest and an excellent chance."
    same = (Finding(28, 39, "fantabulous", "fine", 0.9),)  # the article fits: nothing changes
    assert with_articles(text, same) == same
    # only an article that is a word of its own: never the end of an address or of a longer word
    for before in ("example.com/an", "Qur'an", "Qur\u2019an", "Bhut\u00adan"):
        text = f"See {before} huge information."
        at = text.index("huge")
        finding = (Finding(at, at + 16, "huge information", "big data", 0.9),)
        assert with_articles(text, finding) == finding, before
    for before, expected in (("(an ", "(a "), ("\u201cAn ", "\u201cA "), ("An ", "A "), ("**an ", "**a "),
                             ("'an ", "'a "), ("\u2018an ", "\u2018a "), ("\u2014an ", "\u2014a "), ("\u2013an ", "\u2013a "),
                             ("\u201ean ", "\u201ea "), ("\u2022 an ", "\u2022 a "), ("\u00bfan ", "\u00bfa "), ("<b>an ", "<b>a "),
                             ("the an\n", "the a\n"), ("an\r\n  ", "a\r\n  "), ("an\u00a0", "a\u00a0")):
        text = f"{before}huge information."
        at = text.index("huge")
        fixed = with_articles(text, (Finding(at, at + 16, "huge information", "big data", 0.9),))
        assert apply_findings(text, fixed) == f"{expected}big data.", repr(before)
    text = "an\n\nhuge information."  # (a blank line: the article is not this phrase's)
    finding = (Finding(4, 20, "huge information", "big data", 0.9),)
    assert with_articles(text, finding) == finding


def test_a_title_too_short_to_judge_still_shows_a_listed_swap(engine: Engine) -> None:
    """A paper's title is what a screener checks first: too short for a verdict, but a listed swap
    no writer makes is reported and restored (nothing else is examined)."""
    r = engine.check("Counterfeit consciousness for medical imaging")
    assert r.verdict == "uncertain" and "too short to judge" in r.reason and "no writer makes" in r.reason
    assert [(f.text, f.original) for f in r.findings] == [("Counterfeit consciousness", "Artificial intelligence")]
    assert r.restored == "Artificial intelligence for medical imaging"
    # as in the decoder, a phrase never runs across punctuation
    assert not engine.check("Counterfeit, consciousness for imaging").findings
    plain = engine.check("A short title about dogs")
    assert plain.verdict == "uncertain" and not plain.findings and "no writer" not in plain.reason


def test_an_article_with_a_few_links_is_still_prose(engine: Engine) -> None:
    """Every dot and slash of an address counted as punctuation, so four tracking links made a spun
    article "does not read as prose"; an address counts as one mark."""
    link = "Read more: https://www.example.com/news/2024/05/article?utm_source=feed&utm_medium=rss&id=12345"
    text = "\n\n".join([*SPUN.split("\n\n"), link, link, link, link])
    r = engine.check(text)
    assert "prose" not in r.reason and r.findings


def test_a_sentence_may_open_with_a_name_the_text_writes_elsewhere(engine: Engine) -> None:
    """A capitalised word that opens a sentence is examined (a spinner may have swapped it) unless
    the text writes it with a capital inside a sentence too: then it is a name ("Hale crouched"
    in a story about Inspector Hale was restored as "Whole crouched")."""
    from unspin.detect import _names
    from unspin.text import sentence_spans, tokenize

    text = "Detective Inspector Hale hated the rain. Hale crouched at the edge of the tape. Police said so."
    tokens = tokenize(text)
    spans = sentence_spans(text, tokens)
    assert _names(tokens, spans) == frozenset({"inspector", "hale"})
    second = tokens[spans[1][0] : spans[1][1]]
    assert second[0].text == "Hale"
    assert not engine._look(second, True, _names(tokens, spans)).mutable[0]
    assert engine._look(second, True).mutable[0]  # (no such name elsewhere: examined)
    third = tokens[spans[2][0] : spans[2][1]]
    assert engine._look(third, True, _names(tokens, spans)).mutable[0]  # "Police": not a name here


def test_a_listed_phrase_is_found_in_the_plural(tmp_path: Path) -> None:
    """A screener's list gives "mystery layer"; papers write "mystery layers", which was missed and
    the text called clean.  A certain pair ending in a singular noun is listed in the plural too."""
    lex = Lexicon()
    lex.add("mystery layer", "hidden layer", 4, "curated")
    lex.add("random woodlands", "random forests", 4, "curated")  # (listed in the plural: kept as listed)
    lex.add("random woodland", "random forest", 4, "curated")
    lex.save(tmp_path / "list.tsv")
    engine = Engine(Config(lexicon_path=str(tmp_path / "list.tsv")))
    r = engine.check("We train a network with three mystery layers.")
    assert r.verdict != "clean" and [(f.text, f.original) for f in r.findings] == [("mystery layers", "hidden layers")]
    assert engine.check("One mystery layer was enough.").findings[0].original == "hidden layer"
    (woodlands,) = engine.lexicon.originals("random woodlands")
    assert (woodlands.original, woodlands.weight) == ("random forests", 4.0)  # (not added to twice)
