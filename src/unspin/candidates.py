"""Candidate originals for spun words and phrases.

The inverse thesaurus (WordNet synonymy is symmetric, so the originals a
spinner could have turned into ``s`` are the synonyms of ``s``), inflected to
fit, plus learned and curated lexicon pairs.  Each candidate carries its
channel prior: how likely a spinner turns that original into what we see.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from .function_phrases import FunctionPhrases, builtin_function_phrases
from .lexicon import CERTAIN_WEIGHT, Lexicon
from .resources import UPOS, Inflector, Resources, Thesaurus, memoised
from .text import STOPWORDS

_POS_OF_UPOS = {v: k for k, v in UPOS.items()}
MAX_PER_SPAN = 15  # thesaurus candidates kept per span, by channel prior
_MEMO_SIZE = 500_000  # memoised answers per table before it is reset
_VECTOR_POS = {"VERB": "verb", "ADJ": "adj", "ADV": "adv"}  # readings that may take a vector neighbour
LEMMA_SLACK = 0.15  # Moby words whose lemma is this much less similar than asked are not inflected to check
LEMMA_POOL = 4  # nor are more than this many per candidate asked for, per reading of the spun word
# Never proposed as an original: WordNet lists these as synonyms of ordinary words ("fluff" and
# "fuck up" share a sense), but no article a spinner copies is likely to have used them.
VULGAR = frozenset("fuck fucked fucking fucks shit shits shitting crap piss pissed bullshit cunt".split())


class Candidate(NamedTuple):
    """``original`` may have been spun into the ``length`` tokens starting here.

    A named tuple, not a frozen dataclass: a check makes and reads back (from the candidate
    store) some thousands, and a tuple is made in a fifth of the time."""

    length: int
    original: tuple[str, ...]
    prior: float  # log10 of the channel prior P(spun | original), <= 0
    source: str  # "thesaurus" (synonym), "related" (WordNet relation), "lexicon", "function", "embedding" or "moby"
    # a lexicon's record of the pair, whose evidence is 1 - 0.5**lexicon_count: a curated entry's
    # weight, or for a learned one the count that gives its swap share (CandidateGenerator.lexicon_hits)
    lexicon_count: float = 0.0
    learned: bool = False  # the record was learned from traced copies, not curated
    # of a curated pair that traced copies taught too: the count that gives its swaps' share, whose
    # evidence is weighed as a learned record's and joins the weight's (never raising the weight)
    swaps_count: float = 0.0

    @property
    def lexicon_evidence(self) -> float:
        return lexicon_evidence(self.lexicon_count)

    @property
    def swaps_evidence(self) -> float:
        return lexicon_evidence(self.swaps_count)

    @property
    def certain(self) -> bool:
        """A curated lexicon pair weighed :data:`~unspin.lexicon.CERTAIN_WEIGHT` or more: a swap no
        writer makes, restored wherever its phrase stands."""
        return self.source == "lexicon" and not self.learned and self.lexicon_count >= CERTAIN_WEIGHT


def lexicon_evidence(count: float) -> float:
    """Probability-like strength of a lexicon's record of a swap seen ``count`` times: 1 - 0.5**count."""
    return 1.0 - 0.5**count if count > 0 else 0.0


class CandidateGenerator:
    """Answers "what could these spun tokens have been?" with scored candidates."""

    def __init__(self, resources: Resources, lexicon: Lexicon, functions: FunctionPhrases | None = None) -> None:
        self.res = resources
        self.lexicon = lexicon
        self.functions = builtin_function_phrases() if functions is None else functions

    # single() and phrase() keep no cache of their own: the engine keeps the candidates it
    # uses (weighed by similarity) per span, and a second copy here doubled the objects
    # the garbage collector walks (a full collection took 0.42 s after 120 articles, 0.18 s
    # without it).  The lookups they are made of are memoised below.

    def single(self, word: str) -> tuple[Candidate, ...]:
        """Candidates for one spun word (lowercase)."""
        return tuple(self._thesaurus((word,)))

    def phrase(self, words: tuple[str, ...]) -> tuple[Candidate, ...]:
        """Candidates for a spun multi-word span: thesaurus multiword lemmas and lexicon."""
        if all(w in STOPWORDS for w in words):
            return ()
        if not any(key in self.res.thesaurus for key, _, _ in self._phrase_readings(words)):
            return ()  # no thesaurus entry spans these words
        return tuple(self._thesaurus(words))

    def may_be_phrase(self, words: tuple[str, ...]) -> bool:
        """A cheap test that :meth:`phrase` cannot find anything for ``words`` where it fails:
        a span is read either at its first word (a lemma of it, then the other words as
        written) or at its last (the words before it as written, then a noun's lemma), so
        some multiword lemma must begin and end so.  On 5 KB news articles it lets through
        about a third of the spans that the first-word test alone did (about 240 a document
        against 660; 20 of them have candidates)."""
        th, analyses = self.res.thesaurus, self.res.inflector.analyses
        firsts = th.multiword_firsts
        # read at its first word: the other words as written follow a lemma of the first
        if " ".join(words[1:]) in th.multiword_rests and (
            words[0] in firsts or any(lemma in firsts for _, lemma, _ in analyses(words[0]))
        ):
            return True
        # read at its last word (a noun compound): the words before it as written, then a noun
        # whose lemma ends some multiword lemma
        if " ".join(words[:-1]) not in th.multiword_heads:
            return False
        lasts = th.multiword_lasts
        return any(upos == "NOUN" and lemma in lasts for upos, lemma, _ in analyses(words[-1]))

    def phrase_spans(self, vocabulary: Container[str]) -> list[tuple[str, ...]]:
        """The two- and three-word spans of ``vocabulary`` words that text could show for a
        thesaurus multiword lemma, and that :meth:`may_be_phrase` lets through: the lemma
        with its first word in each of that word's forms ("takes place"), or with its last
        in each of its noun forms ("respiratory tracts").  What ``unspin cache --fill`` works
        out ahead of time; a span found otherwise (a form the inflector reads but does not
        make) is worked out when met."""
        infl = self.res.inflector
        spans: dict[tuple[str, ...], None] = {}
        for lemma in self.res.thesaurus.multiword_lemmas:
            words = lemma.split()
            if len(words) > 3:
                continue
            first, last = words[0], words[-1]
            for form in (first, *(f for forms in infl.forms(first).values() for f in forms)):
                spans[(form, *words[1:])] = None
            nouns = (f for tag, forms in infl.forms(last).items() if tag.startswith("NN") for f in forms)
            for form in (last, *nouns):
                spans[(*words[:-1], form)] = None
        return [s for s in spans if all(w in vocabulary for w in s) and self.may_be_phrase(s)]

    def _phrase_readings(self, words: tuple[str, ...]) -> list[tuple[str, str | None, str | None]]:
        """``(lemma key, upos, tag)`` readings of a multiword span: inflected at its first
        word ("takes place" as "take place", VBZ) or, for a noun compound, at its last
        ("respiratory tracts" as "respiratory tract", NNS)."""
        th, infl = self.res.thesaurus, self.res.inflector
        out: list[tuple[str, str | None, str | None]] = []
        rest = " ".join(words[1:])
        if rest in th.multiword_rests:  # some multiword lemma continues with these words
            for upos, lemma, tag in infl.analyses(words[0]) or ((None, words[0], None),):
                if " " not in lemma:
                    out.append((f"{lemma} {rest}", upos, tag))
        head = " ".join(words[:-1])
        for upos, lemma, tag in infl.analyses(words[-1]):
            if upos == "NOUN":
                out.append((f"{head} {lemma}", upos, tag))
        return out

    def lexicon_hits(self, words: tuple[str, ...]) -> list[Candidate]:
        """The lexicon's originals of ``words``, ranked by how often each was seen.

        A curated entry's count is a weight (evidence ``1 - 0.5**count``).  A learned entry's
        evidence is the share of the phrase's counted occurrences in the traced copies that
        were swaps, ``swaps / (swaps + kept + 1)``: a spinner that swapped "told" for "said"
        24 times but left "told" alone 14 is no proof that a "told" was swapped, however many
        copies were traced.  (It is stored as the count that gives that evidence.)"""
        key = " ".join(words)
        entries = self.lexicon.originals(key)
        if not entries:
            return []
        total = sum(e.count for e in entries)
        swaps = sum(e.learned for e in entries)  # (a curated weight is no swap seen)
        learned_count = -math.log2(1.0 - swaps / (swaps + self.lexicon.kept(key) + 1.0))
        out = []
        for e in entries:
            # a pair both curated and learned is one candidate, of its curated weight, which its
            # swaps never raise: their evidence joins the weight's where the text reads spun
            # (two candidates took two of the places a position has, and the learned one, weighed by
            # how spun the text reads, could win the beam and drop the curated finding)
            original, prior = tuple(e.original.split()), math.log10(max(e.count / total, 0.05))
            if e.weight > 0:
                out.append(Candidate(len(words), original, prior, "lexicon", e.weight, False,
                                     learned_count if e.learned > 0 else 0.0))
            else:
                out.append(Candidate(len(words), original, prior, "lexicon", learned_count, True))
        return out

    def function_hits(self, words: tuple[str, ...]) -> list[Candidate]:
        """Function words and connectives a spinner may have turned into ``words``."""
        return [Candidate(len(words), s.original, s.prior, "function") for s in self.functions.originals(words)]

    def _thesaurus(self, words: tuple[str, ...]) -> list[Candidate]:
        th, infl = self.res.thesaurus, self.res.inflector
        best: dict[tuple[str, ...], tuple[float, str]] = {}
        if len(words) == 1:
            readings: list[tuple[str, str | None, str | None]] = [
                (lemma, upos, tag) for upos, lemma, tag in infl.analyses(words[0]) or ((None, words[0], None),)
            ]
        else:
            readings = self._phrase_readings(words)
        for key, upos, tag in readings:
            if key not in th:
                continue
            for out, prior, src in self._forms(key, upos, tag):
                if out == words:
                    continue
                if prior > best.get(out, (-99.0, ""))[0]:
                    best[out] = (prior, src)
        # keep the likeliest originals: common words with a plausible channel prior (the sort is
        # stable on the key alone: ties keep the order the forms came in)
        known_score = self._known_score
        ranked = sorted(
            ((-(ps[0] + sc), o, ps) for o, ps in best.items()
             if VULGAR.isdisjoint(o) and (sc := known_score(o)) is not None),
            key=itemgetter(0),
        )
        n = len(words)
        return [Candidate(n, o, p, src) for _, o, (p, src) in ranked[:MAX_PER_SPAN]]

    @memoised(200_000)
    def loose(self, word: str, limit: int, min_sim: float) -> tuple[tuple[str, bool, float], ...]:
        """Moby thesaurus words a spinner could have turned into ``word`` (lowercase):
        ``(original, listed both ways, similarity)`` for the ``limit`` nearest to ``word``
        by word vector with similarity at least ``min_sim``, best first.

        Each original is inflected as a reading of ``word`` of a part of speech WordNet
        gives it ("assisting" for "helping", "roles" for "jobs") and read so by the
        inflector; never another form of ``word`` itself, a WordNet antonym, a function
        word or a vulgarity.  A list holds a hundred words or more, so they are
        ranked by the similarity of their lemmas first (one matrix product) and only the
        nearest (:data:`LEMMA_POOL` per candidate asked for) are inflected and checked."""
        res = self.res
        emb, th, lm, infl = res.embeddings, res.thesaurus, res.lm, res.inflector
        at = emb.index.get(word)
        if at is None:
            return ()
        readings = infl.analyses(word)
        own = {lemma for _, lemma, _ in readings} | {word}
        near: list[tuple[float, str, bool, str, str, frozenset[str]]] = []
        for upos, lemma, tag in readings:
            pos = _POS_OF_UPOS.get(upos)
            if pos is None:
                continue
            others, both, ids = self._moby_pool(lemma)
            if not others:
                continue
            sims = emb.matrix[ids] @ emb.matrix[at]
            opposites = th.antonyms(lemma)
            for k in sims.argsort()[::-1][: LEMMA_POOL * limit].tolist():
                if sims[k] < min_sim - LEMMA_SLACK:
                    break
                near.append((float(sims[k]), others[k], both[k], pos, tag, opposites))
        near.sort(key=lambda x: -x[0])
        out: dict[str, tuple[bool, float]] = {}
        for _, other, both_ways, pos, tag, opposites in near:
            if len(out) >= limit:
                break
            if other in own or other in STOPWORDS or other in VULGAR or other in opposites:
                continue  # "help" is no spin of "helping"
            if pos not in th.parts_of_speech(other):
                continue
            form = " ".join(self._form(other, tag, pos == "verb"))
            if " " in form or not lm.known(form):
                continue
            if not swaps_as(infl, form, tag, own):
                continue  # "helps" (or "helping") for "helping"; "retail" left as it is for the plural "jobs"
            sim = emb.similarity((word,), (form,))
            if sim >= min_sim:
                old = out.get(form)
                out[form] = (both_ways or (old is not None and old[0]), sim)
        return tuple(sorted(((f, b, s) for f, (b, s) in out.items()), key=lambda x: -x[2]))

    @memoised(50_000)
    def _moby_pool(self, lemma: str) -> tuple[tuple[str, ...], tuple[bool, ...], Any]:
        """The Moby words paired with ``lemma`` that have a word vector, whether each pair is
        listed both ways, and their rows in the vector matrix."""
        import numpy as np

        index = self.res.embeddings.index
        pairs = [(other, both) for other, both in self.res.moby.related(lemma).items() if other in index]
        return (
            tuple(o for o, _ in pairs),
            tuple(b for _, b in pairs),
            np.array([index[o] for o, _ in pairs], dtype=np.intp),
        )

    @memoised(200_000)
    def _forms(self, key: str, upos: str | None, tag: str | None) -> tuple[tuple[tuple[str, ...], float, str], ...]:
        """``(original words, log10 prior, source)`` for each thesaurus original of lemma
        ``key`` read as ``upos``, inflected as ``tag``: the best prior per form, in
        the order each form first appears."""
        best: dict[tuple[str, ...], tuple[float, str]] = {}
        verb = upos == "VERB"
        for word, prior, src in self._originals(key, _POS_OF_UPOS.get(upos) if upos else None):
            out = self._form(word, tag, verb)
            if prior > best.get(out, (-99.0, ""))[0]:
                best[out] = (prior, src)
        return tuple((out, prior, src) for out, (prior, src) in best.items())

    @memoised(200_000)
    def _originals(self, key: str, pos: str | None) -> tuple[tuple[str, float, str], ...]:
        """``(original lemma, log10 prior, source)`` for each synonym, then each related
        lemma, of ``key`` (of part of speech ``pos``) a spinner could have swapped."""
        th = self.res.thesaurus
        synonyms = th.synonym_items(key, pos)
        synonym_words = {word for word, _, _ in synonyms}
        out = []
        for word, syn_pos, weight in (*synonyms, *th.related_items(key, pos)):
            if word in STOPWORDS or not word.replace(" ", "").replace("-", "").isalpha():
                continue
            # P(spun | original): the original's use in the shared sense
            is_synonym = word in synonym_words
            w = self._reverse_weight(word, key, syn_pos) if is_synonym else weight
            out.append((word, math.log10(max(w, 1e-3)), "thesaurus" if is_synonym else "related"))
        return tuple(out)

    @memoised(_MEMO_SIZE)
    def _form(self, word: str, tag: str | None, verb: bool) -> tuple[str, ...]:
        """The words of lemma ``word`` inflected as ``tag`` (as it is without a tag)."""
        return tuple((_inflect(self.res.inflector, word, tag, verb) if tag is not None else word).split())

    @memoised(_MEMO_SIZE)
    def _known_score(self, words: tuple[str, ...]) -> float | None:
        """``lm.score(words)`` without context where the language model knows every word, else ``None``."""
        lm = self.res.lm
        return lm.score(words) if all(lm.known(w) for w in words) else None

    @memoised(200_000)
    def _reverse_weight(self, original_lemma: str, spun_lemma: str, pos: str) -> float:
        """The weight of ``spun_lemma`` among the synonyms of ``original_lemma`` (1e-3 if none)."""
        return self.res.thesaurus.sense_share(original_lemma, spun_lemma, pos) or 1e-3


def _inflect(inflector: Inflector, lemma: str, tag: str, verb: bool) -> str:
    """``lemma`` inflected as ``tag``; a multiword verb inflects its first word ("puts away")."""
    if " " in lemma and verb:
        head, _, tail = lemma.partition(" ")
        return f"{inflector.inflect(head, tag)} {tail}"
    return inflector.inflect(lemma, tag)


def swaps_as(inflector: Inflector, form: str, tag: str, own: set[str]) -> bool:
    """Whether ``form`` can stand where a word with lemmas ``own`` stood as ``tag``: the
    inflector reads it as ``tag`` (an inflection that failed leaves the lemma as it
    is) and it is no form of those lemmas."""
    analyses = inflector.analyses(form)
    return tag in {t for _, _, t in analyses} and not own & {lemma for _, lemma, _ in analyses}


def non_noun_tags(readings: Sequence[tuple[str, str, str]], thesaurus: Thesaurus) -> set[str]:
    """Penn tags of the verb, adjective and adverb readings of a word that WordNet
    confirms (lemminflect also reads attributive nouns, "council", as adjectives)."""
    return {
        tag for upos, lemma, tag in readings
        if upos in _VECTOR_POS and _VECTOR_POS[upos] in thesaurus.parts_of_speech(lemma)
    }


def neighbour_swaps(
    res: Resources, word: str, neighbours: Iterable[tuple[str, float]]
) -> Iterator[tuple[str, float]]:
    """The ``(other, similarity)`` vector neighbours of ``word`` that a loose thesaurus
    could list for it: alphabetic, no function word or vulgarity, sharing a Penn tag with a verb,
    adjective or adverb reading of ``word``, not ``word`` itself inflected otherwise and
    not its WordNet antonym (opposites sit close in vector space: "lucky", "unlucky").
    Nouns get none: a noun's nearest vectors are mostly its co-hyponyms ("asthma" and
    "diabetes", "girlfriend" and "daughter"), not synonyms.  Used alike by the detector
    (candidate originals) and by ``unspin.synth`` (its ``neighbour`` style)."""
    infl = res.inflector
    readings = infl.analyses(word)
    tags = non_noun_tags(readings, res.thesaurus)
    if not tags:
        return
    lemmas = {lemma for _, lemma, _ in readings} | {word}
    opposites = frozenset().union(*(res.thesaurus.antonyms(lemma) for lemma in lemmas))
    for other, sim in neighbours:
        if other in STOPWORDS or other in VULGAR or not other.isalpha():
            continue
        analyses = infl.analyses(other)
        theirs = {lemma for _, lemma, _ in analyses} | {other}
        if tags & {tag for _, _, tag in analyses} and not lemmas & theirs and not opposites & theirs:
            yield other, sim
