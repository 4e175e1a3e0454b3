"""A spin generator for training and benchmarks (not a user-facing feature).

It substitutes thesaurus synonyms into clean text at a chosen rate and logs
every change, so ground truth is exact.  Styles:

``word``
    single content words replaced by a synonym of their most likely senses;
``wrong_sense``
    synonyms drawn from any sense with equal chance, as careless spinners do;
``phrase``
    two-word thesaurus entries replaced as a unit, and single words replaced by
    multiword synonyms where WordNet has them;
``filler``
    ``word`` plus inserted filler words ("actually", "really", ...);
``loose``
    words replaced by near-synonyms one WordNet relation away (a broader or
    narrower term, a similar adjective: "pooch" for "dog"), as spinners with
    looser thesauri than WordNet's synonym sets do;
``neighbour``
    verbs, adjectives and adverbs replaced by a close word-vector neighbour in
    the same inflection ("numerous" for "many", "incredibly" for
    "extraordinarily"), for thesauri that list words of related meaning rather
    than strict synonyms;
``moby``
    words replaced by one of the entries of their Moby thesaurus list (the
    loose lists spinners draw on, :mod:`unspin.moby`: "roles" to "jobs",
    "domestic" to "residential"), of the same part of speech and inflection,
    chosen among the most similar by word vector;
``common``
    words replaced by a synonym drawn in proportion to how common it is: among
    the word's WordNet synonyms and Moby entries of the same part of speech and
    inflection and close by word vector, so mostly an everyday word ("people"
    for "humans", "jobs" for "roles", "noise" for "sound"), as the real
    spinners of the development pairs often write;
``function``
    ``word`` plus function words and connectives swapped as in
    ``data/function_phrases.tsv`` ("on the grounds that" for "because", "may
    be" for "is"), each occurrence with probability ``rate``.
``function_only``
    those function-word swaps alone, content words left as they are: the
    rewriters that turn "is" into "may be" and "some" into "a couple of"
    through a text whose content words they leave alone or change in ways
    no thesaurus explains.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .function_phrases import builtin_function_phrases
from .report import match_case
from .resources import UPOS, Resources, default_resources
from .text import Token, is_content_word, tokenize

Style = Literal[
    "word", "wrong_sense", "phrase", "filler", "loose", "neighbour", "moby", "common", "function", "function_only"
]
STYLES: tuple[Style, ...] = (
    "word", "wrong_sense", "phrase", "filler", "loose", "neighbour", "moby", "common", "function", "function_only",
)
NEIGHBOUR_MIN_SIM = 0.6  # the neighbour style's least similarity
MOBY_MIN_SIM = 0.4  # the moby style's least similarity
MOBY_CHOICES = 8  # the moby style picks among this many of the most similar entries

_FILLERS = ("actually", "really", "basically", "truly", "in fact", "certainly")


@dataclass(frozen=True, slots=True)
class Change:
    """One edit: ``original[orig_start:orig_end]`` became ``spun[start:end]``."""

    orig_start: int
    orig_end: int
    start: int
    end: int
    original: str
    spun: str
    kind: str  # "substitute" or "insert"


@dataclass(frozen=True, slots=True)
class SpunText:
    original: str
    text: str
    changes: tuple[Change, ...]
    style: str
    rate: float


def spin(
    text: str,
    rate: float = 0.3,
    style: Style = "word",
    seed: int = 0,
    resources: Resources | None = None,
) -> SpunText:
    """Spin ``text``: replace about ``rate`` of its word tokens by synonyms."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {rate}")
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    res = resources or default_resources()
    rng = random.Random(seed)
    toks = tokenize(text)
    words = [t for t in toks if t.kind == "word"]
    eligible = [t for t in words if is_content_word(t) and len(t.norm) > 2]
    p = min(1.0, rate * len(words) / max(1, len(eligible)))

    out: list[str] = []
    changes: list[Change] = []
    pos = 0  # position in original
    length = 0  # length of output so far
    i = 0
    while i < len(toks):
        tok = toks[i]
        replacement: str | None = None
        span_end_tok = i
        if style in ("function", "function_only") and tok.kind == "word":
            span_end_tok, replacement = _function_swap(text, toks, i, rng, rate)
        if (replacement is None and style != "function_only" and is_content_word(tok) and len(tok.norm) > 2
                and rng.random() < p):
            if style == "phrase" and i + 1 < len(toks) and toks[i + 1].kind == "word":
                nxt = toks[i + 1]
                pair = f"{tok.norm} {nxt.norm}"
                if pair in res.thesaurus and text[tok.end : nxt.start] == " ":
                    syns = res.thesaurus.synonyms(pair)
                    if syns:
                        replacement = rng.choice(syns[:4]).word
                        span_end_tok = i + 1
            if replacement is None:
                replacement = _synonym(tok, res, rng, style)
        if replacement is not None:
            end_tok = toks[span_end_tok]
            out.append(text[pos : tok.start])
            length += tok.start - pos
            surface = match_case(replacement, tok.text)
            changes.append(
                Change(tok.start, end_tok.end, length, length + len(surface), text[tok.start : end_tok.end], surface, "substitute")
            )
            out.append(surface)
            length += len(surface)
            pos = end_tok.end
            i = span_end_tok + 1
            continue
        if style == "filler" and tok.kind == "word" and tok.norm in ("is", "are", "was", "were", "has", "have") and rng.random() < rate / 2:
            out.append(text[pos : tok.end])
            length += tok.end - pos
            filler = " " + rng.choice(_FILLERS)
            changes.append(Change(tok.end, tok.end, length + 1, length + len(filler), "", filler[1:], "insert"))
            out.append(filler)
            length += len(filler)
            pos = tok.end
        i += 1
    out.append(text[pos:])
    return SpunText(text, "".join(out), tuple(changes), style, rate)


def _function_swap(text: str, toks: list[Token], i: int, rng: random.Random, rate: float) -> tuple[int, str | None]:
    """A spinner's form for the function phrase starting at token ``i`` (with probability
    ``rate``): the index of the phrase's last token and the replacement, or ``(i, None)``."""
    table = builtin_function_phrases()
    for length in range(min(table.max_original_len, len(toks) - i), 0, -1):
        span = toks[i : i + length]
        if any(t.kind != "word" for t in span) or any(
            text[a.end : b.start] != " " for a, b in zip(span, span[1:], strict=False)
        ):
            continue
        forms = table.spun_forms(tuple(t.norm for t in span))
        if forms:
            if rng.random() >= rate:
                return i, None
            pick = rng.choices(forms, weights=[f.weight for f in forms], k=1)[0]
            return i + length - 1, " ".join(pick.spun)
    return i, None


def _synonym(tok: Token, res: Resources, rng: random.Random, style: Style) -> str | None:
    if style == "neighbour":
        return _neighbour(tok, res, rng)
    if style == "moby":
        return _moby(tok, res, rng)
    if style == "common":
        return _common(tok, res, rng)
    options: list[tuple[str, float]] = []
    for upos, lemma, tag in res.inflector.analyses(tok.norm):
        pos = {v: k for k, v in UPOS.items()}.get(upos)
        if pos is None:
            continue
        pool = res.thesaurus.related(lemma, pos) if style == "loose" else res.thesaurus.synonyms(lemma, pos)
        for syn in pool:
            if style != "phrase" and " " in syn.word:
                continue
            form = res.inflector.inflect(syn.word, tag)
            if form != tok.norm and form.replace(" ", "").replace("-", "").isalpha():
                weight = 1.0 if style == "wrong_sense" else syn.weight
                options.append((form, weight))
    return _draw(rng, options)


def _draw(rng: random.Random, options: Sequence[tuple[str, float]]) -> str | None:
    """One of the ``(word, weight)`` options, drawn by weight (``None`` if there are none)."""
    if not options:
        return None
    words, weights = zip(*options, strict=True)
    return rng.choices(words, weights=weights, k=1)[0]


def _neighbour(tok: Token, res: Resources, rng: random.Random) -> str | None:
    from .candidates import neighbour_swaps

    near = res.embeddings.neighbours(tok.norm, 20, NEIGHBOUR_MIN_SIM)
    return _draw(rng, list(itertools.islice(neighbour_swaps(res, tok.norm, near), 5)))


def _moby(tok: Token, res: Resources, rng: random.Random) -> str | None:
    options = _loose_options(tok, res, common=False)
    return _draw(rng, sorted(options.items(), key=lambda kv: -kv[1])[:MOBY_CHOICES])


def _common(tok: Token, res: Resources, rng: random.Random) -> str | None:
    # weighted by how common each word is (unigram probability): mostly everyday words
    options = _loose_options(tok, res, common=True)
    return _draw(rng, [(w, 10.0 ** res.lm.logprob(w)) for w in sorted(options)])


def _loose_options(tok: Token, res: Resources, common: bool) -> dict[str, float]:
    """Moby entries (and, with ``common``, WordNet synonyms) of ``tok`` of the same part of
    speech and inflection, known to the language model and at least :data:`MOBY_MIN_SIM`
    similar by word vector: form -> similarity."""
    from .candidates import swaps_as

    lm, th, emb, infl = res.lm, res.thesaurus, res.embeddings, res.inflector
    options: dict[str, float] = {}
    readings = infl.analyses(tok.norm)
    own = {lemma for _, lemma, _ in readings} | {tok.norm}
    for upos, lemma, tag in readings:
        pos = {v: k for k, v in UPOS.items()}.get(upos)
        if pos is None:
            continue
        others = list(res.moby.entries(lemma))
        if common:
            others += [syn.word for syn in th.synonyms(lemma, pos) if " " not in syn.word]
        for other in others:
            if other in own or pos not in th.parts_of_speech(other):
                continue
            form = infl.inflect(other, tag)
            if not swaps_as(infl, form, tag, own):
                continue  # another form of the word itself, or not inflected as the word is
            if form.isalpha() and lm.known(form):
                sim = emb.similarity((tok.norm,), (form,))
                if sim >= MOBY_MIN_SIM:
                    options[form] = max(options.get(form, 0.0), sim)
    return options
