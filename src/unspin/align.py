"""Aligning a suspect text with a candidate source: copied passages, swapped words, coverage.

The alignment is a longest-matching-blocks alignment (``difflib``) of the two
token sequences, read as a spinner's edit script: equal runs are copied
text, and short replaced runs between them are substitutions.  A substitution
is *explained* when the thesaurus (WordNet, through the lemmas of both sides)
or the learned lexicon knows the pair; otherwise it is kept as ``unverified``.

A copy may put its source's paragraphs in another order, which one alignment in order cannot
follow: the stretches of the query left outside every passage are aligned with the whole source
again, on their own (:data:`RESIDUAL_ROUNDS` times at most), and what they match is added.

A **passage** is a maximal chain of equal runs joined by short edits
(at most :data:`MAX_GAP` tokens on either side).  Chains with fewer than
``min_passage_words`` copied or explained words are chance matches ("of the",
"he said") and are dropped; so are chains where under half of the query's
words are explained.  Everything reported carries character offsets into the
two texts as given.

Scores: ``coverage`` is the share of the query's words inside passages;
``evidence`` is the number of query words in passages that are copied or
explained; ``score = evidence / (evidence + SCORE_HALF)`` maps it to 0..1
(0.5 at :data:`SCORE_HALF` explained words).  The reporting threshold
(:attr:`unspin.config.Config.trace_threshold`) is calibrated on unrelated text
by ``bench/trace.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Literal

from .lexicon import Lexicon
from .resources import Resources, default_resources
from .text import _TOKEN_RE, normalize_token

#: longest edit (in tokens, on either side) that can sit inside one passage
MAX_GAP = 4
#: explained words at which the score is 0.5
SCORE_HALF = 20.0
#: times the query's stretches outside every passage are aligned again on their own (a copy with
#: its paragraphs in another order matches its source in more than one order)
RESIDUAL_ROUNDS = 2
#: the most of a stretch's source span that passages found before may already hold: a part of the
#: source is copied once, and a second stretch reading like it (a template filled in again, a
#: repeated paragraph) is no copy of it; passages found in order may reach a little into another's
OVERLAP_SHARE = 0.25

Evidence = Literal["thesaurus", "lexicon", "unverified"]


@dataclass(frozen=True, slots=True)
class Passage:
    """A copied passage: ``query[0]:query[1]`` of the suspect text came from ``source[0]:source[1]``."""

    query: tuple[int, int]
    source: tuple[int, int]
    words: int  # query words in the passage
    explained: int  # of which copied verbatim or swapped for a known synonym

    def to_dict(self) -> dict[str, Any]:
        return {"query": list(self.query), "source": list(self.source)}


@dataclass(frozen=True, slots=True)
class Substitution:
    """``spun`` at ``query`` offsets replaced ``original`` at ``source`` offsets."""

    spun: str
    original: str
    query: tuple[int, int]
    source: tuple[int, int]
    evidence: Evidence

    def to_dict(self) -> dict[str, Any]:
        return {"spun": self.spun, "original": self.original, "query": list(self.query), "source": list(self.source),
                "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class Alignment:
    passages: tuple[Passage, ...]
    substitutions: tuple[Substitution, ...]
    coverage: float
    evidence: int
    score: float


@dataclass(frozen=True, slots=True)
class Tokens:
    """Tokens of a text as parallel lists (norms, offsets, whether a word): cheap to build."""

    norms: list[str]
    starts: list[int]
    ends: list[int]
    is_word: list[bool]

    @classmethod
    def of(cls, text: str) -> Tokens:
        spans = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
        if text.isascii():
            low = text.lower()
            norms = [low[a:b] for a, b in spans]
        else:
            norms = [normalize_token(text[a:b]) for a, b in spans]
        return cls(
            norms,
            [a for a, _ in spans],
            [b for _, b in spans],
            [n[0].isalnum() for n in norms],
        )


class Aligner:
    """Aligns texts; holds the thesaurus, lexicon and a cache of synonym checks."""

    def __init__(
        self,
        resources: Resources | None = None,
        lexicon: Lexicon | None = None,
        min_passage_words: int = 8,
    ) -> None:
        self._res = resources or default_resources()
        self._lex = lexicon
        self.min_passage_words = min_passage_words
        self._related = lru_cache(maxsize=500_000)(self._related_uncached)

    def _lemmas(self, word: str) -> set[str]:
        out = {word}
        if " " not in word:
            out.update(lemma for _u, lemma, _t in self._res.inflector.analyses(word))
        return out

    def _related_uncached(self, spun: str, original: str) -> Evidence:
        if self._lex is not None and any(e.original == original for e in self._lex.originals(spun)):
            return "lexicon"
        th = self._res.thesaurus
        targets = self._lemmas(original)
        for lemma in self._lemmas(spun):
            for syn in th.synonyms(lemma):
                if syn.word in targets:
                    return "thesaurus"
        return "unverified"

    def relation(self, spun: str, original: str) -> Evidence:
        """How ``spun`` relates to ``original`` (lowercase words or phrases)."""
        return self._related(spun, original)

    def align(
        self,
        query: str,
        source: str,
        query_tokens: Tokens | None = None,
        source_tokens: Tokens | None = None,
    ) -> Alignment:
        """Align ``query`` (the suspect text) with ``source``."""
        qt = query_tokens or Tokens.of(query)
        st = source_tokens or Tokens.of(source)
        total_words = sum(qt.is_word)
        matcher = SequenceMatcher(None, autojunk=True)
        matcher.set_seq2(st.norms)  # (its index of the source is made once, for every stretch)
        chains = self._chains(query, source, qt, st, matcher, 0, len(qt.norms))
        # (only where the text was copied at all, and each stretch once: one that gave nothing
        # gives nothing again; a round looks at the stretches the last one's passages cut)
        tried: set[tuple[int, int]] = set()
        for _ in range(RESIDUAL_ROUNDS if chains else 0):
            found = False
            for lo, hi in self._gaps(qt, [span for _, _, span in chains]):
                if (lo, hi) in tried:
                    continue
                tried.add((lo, hi))
                used = [p.source for p, _, _ in chains]
                for chain in self._chains(query, source, qt, st, matcher, lo, hi):
                    a, b = chain[0].source  # (see OVERLAP_SHARE)
                    if sum(max(0, min(b, d) - max(a, c)) for c, d in used) <= OVERLAP_SHARE * (b - a):
                        chains.append(chain)
                        used.append((a, b))
                        found = True
            if not found:
                break
        passages = sorted((p for p, _, _ in chains), key=lambda p: p.query)
        subs = [sub for _, chain_subs, _ in chains for sub in chain_subs]
        subs.sort(key=lambda x: x.query)
        covered = sum(p.words for p in passages)
        evidence = sum(p.explained for p in passages)
        return Alignment(
            tuple(passages),
            tuple(subs),
            covered / total_words if total_words else 0.0,
            evidence,
            evidence / (evidence + SCORE_HALF),
        )

    def _gaps(self, qt: Tokens, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The query's token ranges outside every passage (``spans``) long enough to hold a
        passage and a bit (twice :attr:`min_passage_words` words)."""
        out = []
        at = 0
        for a, b in [*sorted(spans), (len(qt.norms), len(qt.norms))]:
            if a > at and sum(qt.is_word[at:a]) >= 2 * self.min_passage_words:
                out.append((at, a))
            at = max(at, b)
        return out

    def _chains(
        self, query: str, source: str, qt: Tokens, st: Tokens, matcher: SequenceMatcher[str], lo: int, hi: int
    ) -> list[tuple[Passage, list[Substitution], tuple[int, int]]]:
        """The passages of the query's tokens ``lo:hi`` in the source (``matcher`` holds the source
        as its second sequence), each with its substitutions and its query token range."""
        matcher.set_seq1(qt.norms[lo:hi])
        ops = [(tag, i1 + lo, i2 + lo, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
        found: list[tuple[Passage, list[Substitution], tuple[int, int]]] = []
        chain: list[tuple[str, int, int, int, int]] = []

        def close() -> None:
            while chain and chain[-1][0] != "equal":
                chain.pop()
            if not chain:
                return
            words = explained = 0
            chain_subs: list[Substitution] = []
            for tag, i1, i2, j1, j2 in chain:
                qw = sum(qt.is_word[i1:i2])
                words += qw
                if tag == "equal":
                    explained += qw
                elif tag == "replace" and qw:
                    for sub, sub_words in self._substitutions(query, source, qt, st, i1, i2, j1, j2):
                        chain_subs.append(sub)
                        if sub.evidence != "unverified":
                            explained += sub_words
            chain.clear()
            if explained >= self.min_passage_words and explained * 2 >= words:
                first, last = chain_first, chain_last
                passage = Passage(
                    (qt.starts[first[1]], qt.ends[last[2] - 1]), (st.starts[first[3]], st.ends[last[4] - 1]), words, explained
                )
                found.append((passage, chain_subs, (first[1], last[2])))

        chain_first = chain_last = ("", 0, 0, 0, 0)
        for op in ops:
            tag, i1, i2, j1, j2 = op
            if tag == "equal":
                if not chain:
                    chain_first = op
                chain.append(op)
                chain_last = op
            elif chain and i2 - i1 <= MAX_GAP and j2 - j1 <= MAX_GAP:
                chain.append(op)
            else:
                close()
        close()
        return found

    def _substitutions(
        self, query: str, source: str, qt: Tokens, st: Tokens, i1: int, i2: int, j1: int, j2: int
    ) -> list[tuple[Substitution, int]]:
        """One substitution per replaced run, or one per word when both sides have as many words
        and each word pair is a known synonym pair ("discovered severe harm" / "found serious damage")."""
        if i2 - i1 == j2 - j1 > 1:
            pairs = [self._substitution(query, source, qt, st, i, i + 1, j, j + 1) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            subs = [p for p in pairs if p is not None]
            if subs and any(p.evidence != "unverified" for p in subs):
                return [(p, 1) for p in subs]
        sub = self._substitution(query, source, qt, st, i1, i2, j1, j2)
        return [] if sub is None else [(sub, sum(qt.is_word[i1:i2]))]

    def _substitution(
        self, query: str, source: str, qt: Tokens, st: Tokens, i1: int, i2: int, j1: int, j2: int
    ) -> Substitution | None:
        # trim punctuation at the edges: "word," vs "other," -> word vs other
        while i1 < i2 and not qt.is_word[i1]:
            i1 += 1
        while i2 > i1 and not qt.is_word[i2 - 1]:
            i2 -= 1
        while j1 < j2 and not st.is_word[j1]:
            j1 += 1
        while j2 > j1 and not st.is_word[j2 - 1]:
            j2 -= 1
        if i1 >= i2 or j1 >= j2:
            return None
        spun_norm = " ".join(qt.norms[i1:i2])
        orig_norm = " ".join(st.norms[j1:j2])
        if spun_norm == orig_norm:
            return None  # a word kept as it was, paired word by word beside real swaps ("by" for "by"): no swap
        evidence = self.relation(spun_norm, orig_norm)
        qs, qe = qt.starts[i1], qt.ends[i2 - 1]
        ss, se = st.starts[j1], st.ends[j2 - 1]
        return Substitution(query[qs:qe], source[ss:se], (qs, qe), (ss, se), evidence)
