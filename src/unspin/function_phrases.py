"""What spinners write for function words and connectives.

WordNet has no synonyms for "because", "when" or "is", yet spinners swap them
("on the grounds that", "at the point when", "may be").  The table
``data/function_phrases.tsv`` lists such swaps with a weight: its log10 is the
channel prior of the swap.  The detector proposes the original wherever a
spun form appears and lets the language model decide; the spin generator uses
the table the other way round.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources as importlib_resources

from .errors import ResourceError
from .lexicon import tsv_rows

FORMAT = "# unspin-function-phrases 1"


@dataclass(frozen=True, slots=True)
class FunctionSwap:
    spun: tuple[str, ...]
    original: tuple[str, ...]
    weight: float  # (0, 1]: how typical the swap is of a spinner

    @property
    def prior(self) -> float:
        """log10 channel prior of the swap."""
        return math.log10(self.weight)


class FunctionPhrases:
    """The swaps of a function-phrase table, by spun form and by original."""

    def __init__(self, swaps: list[FunctionSwap]) -> None:
        self.by_spun: dict[tuple[str, ...], tuple[FunctionSwap, ...]] = {}
        self.by_original: dict[tuple[str, ...], tuple[FunctionSwap, ...]] = {}
        for s in swaps:
            self.by_spun[s.spun] = (*self.by_spun.get(s.spun, ()), s)
            self.by_original[s.original] = (*self.by_original.get(s.original, ()), s)
        self.max_len = max((len(s.spun) for s in swaps), default=1)
        self.first_words = frozenset(spun[0] for spun in self.by_spun)  # the first word of every spun form
        self.max_original_len = max((len(s.original) for s in swaps), default=1)

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_spun.values())

    def originals(self, spun: tuple[str, ...]) -> tuple[FunctionSwap, ...]:
        return self.by_spun.get(spun, ())

    def spun_forms(self, original: tuple[str, ...]) -> tuple[FunctionSwap, ...]:
        return self.by_original.get(original, ())

    @classmethod
    def parse(cls, text: str, name: str = "function phrase table") -> FunctionPhrases:
        swaps = []
        for n, (spun, original, weight_text) in tsv_rows(text, FORMAT, 3, name, "a function phrase table"):
            try:
                weight = float(weight_text)
            except ValueError:
                raise ResourceError(f"{name}:{n}: weight {weight_text!r} is not a number") from None
            if not spun.split() or not original.split() or not 0.0 < weight <= 1.0:
                raise ResourceError(f"{name}:{n}: empty phrase or weight outside (0, 1]")
            swaps.append(FunctionSwap(tuple(spun.split()), tuple(original.split()), weight))
        return cls(swaps)


@functools.cache
def builtin_function_phrases() -> FunctionPhrases:
    """The table shipped in the package."""
    path = importlib_resources.files("unspin").joinpath("data/function_phrases.tsv")
    return FunctionPhrases.parse(path.read_text(encoding="utf-8"), "unspin/data/function_phrases.tsv")
