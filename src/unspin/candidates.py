"""Candidate originals for spun words and phrases.

The inverse thesaurus (WordNet synonymy is symmetric, so the originals a
spinner could have turned into ``s`` are the synonyms of ``s``), inflected to
fit, plus learned and curated lexicon pairs.  Each candidate carries its
channel prior: how likely a spinner turns that original into what we see.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from .lexicon import Lexicon
from .resources import UPOS, Inflector, Resources
from .text import STOPWORDS

_POS_OF_UPOS = {v: k for k, v in UPOS.items()}
MAX_PER_SPAN = 15  # thesaurus candidates kept per span, by channel prior


@dataclass(frozen=True, slots=True)
class Candidate:
    """``original`` may have been spun into the ``length`` tokens starting here."""

    length: int
    original: tuple[str, ...]
    prior: float  # log10 of the channel prior P(spun | original), <= 0
    source: str  # "thesaurus" (synonym), "related" (WordNet relation) or "lexicon"
    lexicon_count: float = 0.0  # times a lexicon saw this pair (curated entries: a weight)

    @property
    def lexicon_evidence(self) -> float:
        return lexicon_evidence(self.lexicon_count)


def lexicon_evidence(count: float) -> float:
    """Probability-like strength of a lexicon's record of a swap seen ``count`` times: 1 - 0.5**count."""
    return 1.0 - 0.5**count if count > 0 else 0.0


class CandidateGenerator:
    """Answers "what could these spun tokens have been?" with scored candidates."""

    def __init__(self, resources: Resources, lexicon: Lexicon) -> None:
        self.res = resources
        self.lexicon = lexicon

    @functools.lru_cache(maxsize=100_000)  # noqa: B019
    def single(self, word: str) -> tuple[Candidate, ...]:
        """Candidates for one spun word (lowercase)."""
        return tuple(self._thesaurus((word,)))

    @functools.lru_cache(maxsize=100_000)  # noqa: B019
    def phrase(self, words: tuple[str, ...]) -> tuple[Candidate, ...]:
        """Candidates for a spun multi-word span: thesaurus multiword lemmas and lexicon."""
        if all(w in STOPWORDS for w in words):
            return ()
        key = " ".join(words[1:])
        starts = self.res.thesaurus.multiword_starts
        if not any(
            first in starts and key in starts[first]
            for first in (words[0], *(lemma for _, lemma, _ in self.res.inflector.analyses(words[0])))
        ):
            return ()  # no thesaurus entry spans these words
        return tuple(self._thesaurus(words))

    def lexicon_hits(self, words: tuple[str, ...]) -> list[Candidate]:
        key = " ".join(words)
        entries = self.lexicon.originals(key)
        total = sum(e.count for e in entries)
        return [
            Candidate(len(words), tuple(e.original.split()), math.log10(max(e.count / total, 0.05)), "lexicon", e.count)
            for e in entries
        ]

    def _thesaurus(self, words: tuple[str, ...]) -> list[Candidate]:
        th, infl = self.res.thesaurus, self.res.inflector
        best: dict[tuple[str, ...], tuple[float, str]] = {}
        first, rest = words[0], words[1:]
        for upos, lemma, tag in infl.analyses(first) or ((None, first, None),):
            pos = _POS_OF_UPOS.get(upos) if upos else None
            key = " ".join((lemma, *rest))
            if key not in th:
                continue
            synonyms = th.synonyms(key, pos)
            synonym_words = {syn.word for syn in synonyms}
            for syn in (*synonyms, *th.related(key, pos)):
                if syn.word in STOPWORDS or not syn.word.replace(" ", "").replace("-", "").isalpha():
                    continue
                if tag is not None:
                    form = _inflect(infl, syn.word, tag, upos == "VERB")
                else:
                    form = syn.word
                out = tuple(form.split())
                if out == words:
                    continue
                # P(spun | original): the original's use in the shared sense
                is_synonym = syn.word in synonym_words
                w = self._reverse_weight(syn.word, key, syn.pos) if is_synonym else syn.weight
                prior = math.log10(max(w, 1e-3))
                if prior > best.get(out, (-99.0, ""))[0]:
                    best[out] = (prior, "thesaurus" if is_synonym else "related")
        lm = self.res.lm
        # keep the likeliest originals: common words with a plausible channel prior
        ranked = sorted(
            ((o, ps) for o, ps in best.items() if all(lm.known(w) for w in o)),
            key=lambda kv: -(kv[1][0] + lm.score(kv[0])),
        )
        return [Candidate(len(words), o, p, src) for o, (p, src) in ranked[:MAX_PER_SPAN]]

    @functools.lru_cache(maxsize=200_000)  # noqa: B019
    def _reverse_weight(self, original_lemma: str, spun_lemma: str, pos: str) -> float:
        for syn in self.res.thesaurus.synonyms(original_lemma, pos):
            if syn.word == spun_lemma:
                return syn.weight
        return 1e-3


def _inflect(inflector: Inflector, lemma: str, tag: str, verb: bool) -> str:
    """``lemma`` inflected as ``tag``; a multiword verb inflects its first word ("puts away")."""
    if " " in lemma and verb:
        head, _, tail = lemma.partition(" ")
        return f"{inflector.inflect(head, tag)} {tail}"
    return inflector.inflect(lemma, tag)
