"""Learn a spinner's substitution dictionary from traced pairs.

Every confident trace match aligns a spun copy with its source; each swapped
word or phrase in it is a lesson ("grumbled" was "complained").  Collected in
a :class:`~unspin.lexicon.Lexicon` with counts, the lessons make detection and
restoration sharper on later texts, also for spinners whose thesaurus nobody
listed (pass the file to ``Config(lexicon_path=...)`` or ``--lexicon``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .index import Match
from .lexicon import Lexicon
from .text import STOPWORDS, tokenize

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


def learn(
    matches: Iterable[Match],
    lexicon: Lexicon | None = None,
    *,
    min_score: float = 0.5,
    min_coverage: float = 0.5,
    source: str = "learned",
) -> tuple[Lexicon, LearnSummary]:
    """Add the substitutions of confident ``matches`` to ``lexicon`` (a new one by default).

    A match is used when its score and coverage reach ``min_score`` and
    ``min_coverage``: a weak alignment would teach wrong pairs.  Pairs longer
    than three words on either side, or that only change function words or
    numbers, are skipped and counted in the summary.
    """
    lex = lexicon if lexicon is not None else Lexicon()
    summary = LearnSummary()
    for m in matches:
        summary.matches += 1
        if m.score < min_score or m.coverage < min_coverage:
            summary.skip("weak match")
            continue
        summary.used += 1
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
    return lex, summary
