"""Result types of detection and restoration.

A :class:`Report` carries its evidence: each :class:`Finding` says where it is,
what it suggests, how sure it is and why.  ``Report.restored`` is exactly
:func:`apply_findings` of the input and the findings, so a user can replay it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["spun", "clean", "uncertain"]


@dataclass(frozen=True, slots=True)
class Alternative:
    """A candidate original for a finding, with its score (higher is better)."""

    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True)
class Finding:
    """A span that looks like a spinner's substitution.

    ``start``/``end`` are character offsets into the checked text, ``text`` is
    that slice, ``original`` the best guess at what it replaced.  ``signals``
    holds the evidence: language-model gain, channel prior, lexicon hits.
    ``alternatives`` are the candidate originals of the same span, ``original``
    first, the others by score: how much better (log10) each reads than ``text``
    between the text's own neighbours, with its channel prior and topic bonus.
    The decoder chooses a sentence's findings together, so where a neighbour is
    restored too, ``original`` can score below an alternative here.
    """

    start: int
    end: int
    text: str
    original: str
    confidence: float
    alternatives: tuple[Alternative, ...] = ()
    signals: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "original": self.original,
            "confidence": round(self.confidence, 4),
            "alternatives": [a.to_dict() for a in self.alternatives],
            "signals": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.signals.items()},
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The answer to "was this text spun, where, and what did it say?"."""

    verdict: Verdict
    spun_probability: float
    findings: tuple[Finding, ...]
    restored: str
    reason: str = ""
    features: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object printed by ``unspin check --format json``."""
        return {
            "verdict": self.verdict,
            "spun_probability": round(self.spun_probability, 4),
            "findings": [f.to_dict() for f in self.findings],
            "restored": self.restored,
        }


def evidence_summary(report: Report) -> str:
    """What the verdict rests on besides the findings, in words ("" where the text was not judged):
    how many substitutions among how many content words, and the share of words that fit neither
    neighbour (the document model's ``isolated`` feature) against clean news."""
    from .detect import ISOLATED_PRIOR  # (detect imports this module)

    f = report.features
    content, known, isolated = f.get("content_words"), f.get("known_words"), f.get("isolated_words")
    if not content or not known or isolated is None:
        return ""
    return (
        f"{len(report.findings)} substitution{'s' if len(report.findings) != 1 else ''} found among "
        f"{content:.0f} content words; {isolated / known:.0%} of the words fit neither neighbour "
        f"(about {ISOLATED_PRIOR:.0%} in clean news)"
    )


def apply_findings(text: str, findings: Iterable[Finding]) -> str:
    """Replace each finding's span of ``text`` by its ``original``.

    Findings must not overlap and must match ``text`` (``text[start:end] ==
    finding.text``); a :class:`ValueError` says which one does not.
    """
    out: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        if not 0 <= f.start <= f.end <= len(text):
            raise ValueError(f"finding at {f.start}-{f.end} lies outside the text's 0-{len(text)}")
        if f.start < pos:
            raise ValueError(f"finding at {f.start}-{f.end} overlaps the previous one")
        if text[f.start : f.end] != f.text:
            raise ValueError(
                f"finding at {f.start}-{f.end} says {f.text!r} but the text there is {text[f.start:f.end]!r}"
            )
        out.append(text[pos : f.start])
        out.append(f.original)
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def match_case(original: str, observed: str) -> str:
    """Give ``original`` the capitalisation pattern of ``observed``; a word it shares with
    ``observed`` keeps the capitals it has there ("quick Fourier remodel" -> "fast Fourier
    transform", where a lexicon gives the original in lower case)."""
    if observed.isupper() and len(observed) > 1:
        return original.upper()
    # (the first word's capital may only start a sentence: "Diabetes mellitus" -> "type 1 diabetes")
    first, *rest = observed.split() or [""]
    written = {w.lower(): w for w in rest if not w.islower()}
    if first[1:] != first[1:].lower():
        written.setdefault(first.lower(), first)
    if written:
        original = " ".join(written.get(w, w) if w.islower() else w for w in original.split(" "))
    if observed[:1].isupper():
        return original[:1].upper() + original[1:]
    return original

