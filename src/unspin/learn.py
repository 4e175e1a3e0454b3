"""Learn a spinner's substitution dictionary from traced pairs.

Every confident trace match aligns a spun copy with its source; each swapped
word or phrase in it is a lesson ("grumbled" was "complained").  Collected in
a :class:`~unspin.lexicon.Lexicon` with counts, the lessons make detection and
restoration sharper on later texts, also for spinners whose thesaurus nobody
listed (pass the file to ``Config(lexicon_path=...)`` or ``--lexicon``).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .index import Match
from .lexicon import Lexicon
from .text import STOPWORDS, Token, tokenize

MAX_PHRASE_WORDS = 3


@dataclass
class LearnSummary:
    """What one learning pass saw and kept."""

    matches: int = 0
    used: int = 0
    pairs: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


MIN_SCORE = 0.5  # a match is learned from when it scores at least this
MIN_COVERAGE = 0.5  # and covers at least this share of the copy


def learn(
    traced: Iterable[tuple[str, Sequence[Match]]],
    lexicon: Lexicon | None = None,
    *,
    min_score: float = MIN_SCORE,
    min_coverage: float = MIN_COVERAGE,
    source: str = "learned",
) -> tuple[Lexicon, LearnSummary]:
    """Add the substitutions of the confident matches of each traced text to ``lexicon`` (a new
    one by default); ``traced`` gives each spun text with its matches (what
    :meth:`~unspin.index.Index.trace` returned for it).

    A match is used when its score and coverage reach ``min_score`` and
    ``min_coverage``: a weak alignment would teach wrong pairs.  Pairs longer
    than three words on either side, or that only change function words or
    numbers, are skipped and counted in the summary.

    Besides the swaps, the copied passages of the used matches tell how often the
    spinner left each spun phrase of the lexicon as it was (``Lexicon.add_kept``): a
    word it swapped a few times but mostly left alone is weak evidence of a swap.

    A text the lexicon has learned from already (``Lexicon.learned_from``, by its words:
    :func:`text_digest`) is skipped and counted, so learning again from the same files,
    after an interruption, say, counts nothing twice.
    """
    lex = lexicon if lexicon is not None else Lexicon()
    summary = LearnSummary()
    runs: list[list[str | None]] = []  # the copied passages' words; None where a swap or punctuation is
    for text, matches in traced:
        digest = text_digest(text)
        if digest in lex.learned_from:  # learning a text twice would count its swaps twice
            summary.skip("text already learned")
            continue
        tokens = tokenize(text)
        for m in matches:
            summary.matches += 1
            if m.score < min_score or m.coverage < min_coverage:
                summary.skip("weak match")
                continue
            summary.used += 1
            lex.learned_from.add(digest)
            for sub in m.substitutions:
                spun = [t.norm for t in tokenize(sub.spun) if t.kind == "word"]
                orig = [t.norm for t in tokenize(sub.original) if t.kind == "word"]
                if not spun or not orig or spun == orig:
                    summary.skip("empty or identical")
                elif len(spun) > MAX_PHRASE_WORDS or len(orig) > MAX_PHRASE_WORDS:
                    summary.skip("phrase too long")
                elif all(w in STOPWORDS for w in spun + orig):
                    summary.skip("function words only")
                else:
                    lex.add(" ".join(spun), " ".join(orig), 1, source)
                    summary.pairs += 1
            runs.extend(_copied_words(tokens, m))
    _count_kept(lex, runs)
    return lex, summary


def text_digest(text: str) -> str:
    """A short digest of a text's words (whitespace aside), to know a text learned from."""
    return hashlib.blake2b(" ".join(text.split()).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _copied_words(tokens: Sequence[Token], match: Match) -> list[list[str | None]]:
    """The words of each passage of ``match`` as the spinner left them, ``None`` for a token
    inside a substitution and for punctuation (a phrase never spans either)."""
    starts = [t.start for t in tokens]
    words: list[str | None] = [t.norm if t.kind == "word" else None for t in tokens]
    for sub in match.substitutions:  # the tokens a substitution overlaps
        lo, hi = sub.query
        for j in range(max(0, bisect.bisect_right(starts, lo) - 1), bisect.bisect_left(starts, hi)):
            if tokens[j].end > lo:
                words[j] = None
    out = []
    for passage in match.passages:
        lo, hi = passage.query
        first, last = bisect.bisect_left(starts, lo), bisect.bisect_left(starts, hi)
        out.append([words[j] for j in range(first, last) if tokens[j].end <= hi])
    return out


def _count_kept(lex: Lexicon, runs: Sequence[Sequence[str | None]]) -> None:
    """Add to ``lex`` how often each of its spun phrases occurs in ``runs``."""
    counts = dict.fromkeys((e.spun for e in lex), 0)
    for words in runs:
        for i in range(len(words)):
            key = ""
            for w in words[i : i + lex.max_len]:  # the phrases starting here, shortest first
                if w is None:
                    break
                key = f"{key} {w}" if key else w
                if key in counts:
                    counts[key] += 1
    for phrase, n in counts.items():
        lex.add_kept(phrase, n)
