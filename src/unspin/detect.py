"""Detection and restoration: one noisy-channel engine for both.

For each sentence segment (a run of words between punctuation) a beam search
chooses, token by token, either the word as written or a candidate original
(:mod:`unspin.candidates`), scoring the output with the trigram language model
plus the channel prior of each substitution.  Where the best path swaps a word,
that is a finding; the path itself is the restoration.  Document-level
features (finding density and strength, the share of words for which a
synonym reads much more naturally) feed a small logistic model for
``spun_probability``.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources as importlib_resources
from typing import TYPE_CHECKING, Any, NamedTuple

from . import candidates as _candidates_module
from . import embeddings as _embeddings_module
from . import resources as _resources_module
from .candidates import (
    Candidate,
    CandidateGenerator,
    neighbour_swaps,
    non_noun_tags,
)
from .candstore import CandidateStore
from .config import DEFAULT_CONFIG, Config
from .embeddings import Embeddings
from .errors import CheckTimeout
from .lexicon import CERTAIN_WEIGHT, Lexicon, builtin_lexicon
from .report import Alternative, Finding, Report, Verdict, apply_findings, match_case
from .resources import LanguageModel, Resources, default_resources, settled, untrack_acyclic
from .spelling import Speller
from .text import (
    STOPWORDS,
    Token,
    check_text,
    in_capitals,
    lowered_in_place,
    most_repeated,
    sentence_spans,
    tokenize,
    with_links,
)

if TYPE_CHECKING:
    from ._speedups import FastLM

_MISSING = object()  # a memo's "not there" (None is an answer)

# Decoder constants, chosen with bench/detect.py on synthetic spins of the BBC
# training split and the development pairs.  A permissive decoder proposes
# substitutions; the finding model (data/finding_model.json) decides which to keep.
SUBSTITUTION_COST = -0.5  # log10 cost of claiming any substitution in the beam search
PRIOR_WEIGHT = 0.5  # weight of the channel prior (log10) against the language model
LOCAL_MARGIN = 2.5  # candidates this much worse than the word as written are pruned
MAX_CANDIDATES = 4  # candidates per position kept for the beam search
PRESELECT = 8  # candidates per position given a full context score
BEAM = 6  # states kept per position
# A certain lexicon pair's edge (lexicon.CERTAIN_WEIGHT: a curated pair no writer makes) gets this
# (log10) per spun word in the beam search, more than any path could gain without it, so it is
# restored wherever its phrase stands (and the longest of overlapping pairs wins).
CERTAIN_GAIN = 1000.0
GATE = -4.0  # log10 P(word, next | context) above which a word's synonyms are not examined
REPEAT_MIN_WORDS = 10  # content words a text needs before Config.max_repeat_share applies
SIM_WEIGHT = 2.0  # log10 prior added per unit of word-vector similarity above SIM_CENTRE
SIM_CENTRE = 0.5
NEIGHBOURS = 30  # nearest word vectors examined per gated word
MAX_NEIGHBOUR_CANDIDATES = 5  # of which at most this many become candidates
NEIGHBOUR_MIN_SIM = 0.55  # and only those at least this similar
NEIGHBOUR_PRIOR = -1.0  # log10 channel prior of a vector neighbour at SIM_CENTRE
MOBY_CANDIDATES = 3  # Moby thesaurus words kept per gated word, the most similar first
MOBY_MIN_SIM = 0.4  # and only those at least this similar
MOBY_PRIOR = -1.0  # log10 channel prior of a Moby word at SIM_CENTRE
MOBY_BOTH_WAYS = 0.3  # log10 prior added when Moby lists the pair both ways
# Candidate sources that restore but are no evidence that a document was spun: Moby's loose
# lists find a likelier word for much clean prose too (counted, recall on 10% word spins at a 1%
# false-positive rate was 79%, uncounted 81%; bench/verdict_threshold.py, models refitted each time).
UNCOUNTED = frozenset({"moby"})
DOC_WEIGHT_FLOOR = 0.4  # a finding's language evidence counts this much in a surely clean document, fully in a spun one
PSEUDO_WORDS = 10  # content words without findings added to every document's rates
# ... and to the rate of function-phrase weight beyond the strongest one (function_excess): one
# connective, however typical of spinners, is no evidence that a text was spun, and a few of them in
# a short text little more ("The library may be open within the month" is ordinary English)
FUNCTION_PSEUDO_WORDS = 50
PRIOR_CONFIDENCE = 0.3  # the mean finding confidence a document is assumed to start from
TOPIC_WEIGHT = 3.0  # log10 bonus per unit of cosine the candidate is closer to the document's topic
# A word is supported by a neighbour when the neighbour raises its probability (or its own, read
# the other way) by at least this much in log10.  A spinner's synonym, chosen without looking at
# the context, is more often supported by neither: the share of such words is a document feature
# that needs no candidate.  Of 0.2, 0.3 and 0.5, 0.2 gave the document model the best held-out
# AUC on the BBC training spins of bench/train_models.py (0.9954, 0.9949, 0.9946; session 9).
SUPPORT = 0.2
ISOLATED_PRIOR = 0.2  # the share of unsupported words a document is assumed to start from (BBC test: 0.21)


class _Edge(NamedTuple):  # (a named tuple: a check makes thousands, and a tuple is quick to make)
    start: int
    cand: Candidate
    local_gain: float
    topic_gain: float = 0.0  # how much closer the candidate is to the document's topic than the spun words
    certain: bool = False  # a curated pair no writer makes (lexicon.CERTAIN_WEIGHT): the beam search always takes it

    @property
    def bonus(self) -> float:
        """Evidence for the candidate besides the language model: priors and topic."""
        return PRIOR_WEIGHT * self.cand.prior + TOPIC_WEIGHT * self.topic_gain

    @property
    def local_score(self) -> float:
        """How much better the candidate reads here than the word, with its priors."""
        return self.local_gain + self.bonus - SUBSTITUTION_COST * self.cand.lexicon_evidence


class Engine:
    """Detects and restores spun text; holds its resources and lexicon."""

    def __init__(
        self,
        config: Config = DEFAULT_CONFIG,
        resources: Resources | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.config = config
        # the on-disk candidate store holds what the default resources give (test resources differ)
        self._store = (
            CandidateStore.open(_store_settings(config)) if config.cache_candidates and resources is None else None
        )
        self.res = resources or default_resources()
        if lexicon is None:
            lexicon = builtin_lexicon() if config.use_builtin_lexicon else Lexicon()
            if config.lexicon_path:
                lexicon = lexicon.merge(Lexicon.load(config.lexicon_path))
        self.lexicon = lexicon
        self.candidates = CandidateGenerator(self.res, lexicon)
        self.embeddings: Embeddings | None = self.res.embeddings if config.use_embeddings else None
        # candidates per spun word and per spun phrase; they depend on the span alone.  Apart, so
        # that the many phrases a text offers (mostly without candidates) never push out the words
        self._cand_cache: dict[tuple[str, ...], tuple[Candidate, ...]] = {}
        self._phrase_cache: dict[tuple[str, ...], tuple[Candidate, ...]] = {}
        self.speller = Speller(self.res)
        self._lexicon_respelled = False
        self._certain_firsts: set[str] = set()  # first words of the lexicon's certain pairs (lexicon.CERTAIN_WEIGHT)
        # whether it has any (known without the resources that respelling it needs)
        self._any_certain = any(e.certain for e in lexicon)
        self._english_words: dict[str, bool] = {}  # word -> known English (see _english)
        self._may_be_phrase: dict[str, bool] = {}  # span text -> CandidateGenerator.may_be_phrase (see _look)
        self.doc_model = _load_model("doc_model.json", "unspin-doc-model 1")
        # with the Moby candidates, a finding model fitted on their findings (bench/train_models.py --moby)
        finding_model = "finding_model_moby.json" if config.use_moby else "finding_model.json"
        self.finding_model = _load_model(finding_model, "unspin-finding-model 1")

    # --- public ---------------------------------------------------------------

    def prepare(self) -> None:
        """Load every resource a check needs now, by checking a short built-in text (they load on
        first use otherwise): for a caller that times each check (``scan --time-limit``), so that
        its first document is not charged with some seconds of loading."""
        from . import demo

        self.check(demo.SPUN)

    def check(
        self,
        text: str,
        *,
        deadline: float | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Report:
        """Check ``text``.

        With ``deadline`` (a :func:`time.monotonic` value) the check stops with
        :class:`~unspin.errors.CheckTimeout` once it has passed (tested between
        segments); ``progress(done, total)`` is called after each sentence.
        """
        check_text(text, self.config.max_input_bytes)
        tokens = with_links(text, tokenize(text))
        words = [t for t in tokens if t.kind == "word"]
        # punctuation marks and numbers, and a web address as one (its dots and slashes are no
        # sign that a text is not prose: an article with a few links is still one)
        symbols = sum(1 for k, t in enumerate(tokens) if t.kind in ("punct", "number") or (
            t.kind == "link" and not (k and tokens[k - 1].kind == "link" and tokens[k - 1].end == t.start)))
        # (judged first for a text long enough to tell that has no word at all: a list of addresses)
        judged = len(words) >= self.config.min_words or (not words and len(tokens) >= self.config.min_words)
        if judged and symbols > self.config.max_symbols_per_word * len(words):
            many = f"{symbols / len(words):.1f} punctuation marks and numbers per word" if words else (
                "no words, only punctuation marks, numbers and web addresses")
            return _uncertain(
                text,
                f"does not read as prose: {many} "
                f"(code, addresses or a table; prose has under {self.config.max_symbols_per_word:g})",
            )
        if len(words) < self.config.min_words:
            return self._listed_only(text, tokens, f"too short to judge: {len(words)} word{'s' if len(words) != 1 else ''}, need {self.config.min_words}")
        if in_capitals(words):
            # every word would read as a name or an abbreviation, which spinners leave, so the
            # text is checked in lower case and its findings put back in its capitals
            return _recased(text, self.check(lowered_in_place(text), deadline=deadline, progress=progress))
        word, count, content = most_repeated(words)
        if content >= REPEAT_MIN_WORDS and count >= self.config.max_repeat_share * content:
            return _uncertain(
                text,
                f"too repetitive to judge: {word!r} is {count} of its {content} content words "
                f"(at most {self.config.max_repeat_share:.0%} in written text)",
            )
        share = self._english_share(words)
        if share < self.config.min_english_share:
            return _uncertain(
                text,
                f"does not look like English: {share:.0%} of words are known English words "
                f"(need {self.config.min_english_share:.0%})",
            )
        with _one_blas_thread:
            return self._check_words(text, tokens, words, deadline, progress)

    def _check_words(
        self,
        text: str,
        tokens: list[Token],
        words: list[Token],
        deadline: float | None,
        progress: Callable[[int, int], None] | None,
    ) -> Report:
        """:meth:`check` once the text is known to be judgeable."""
        self._lexicon_ready()
        spans = sentence_spans(text, tokens)
        segments = [_segments(tokens[a:b]) for a, b in spans]
        names = _names(tokens, spans)
        # the words worth a look, found first so their vector neighbours come in one batch (a
        # long text's looks take seconds: the deadline is kept here too, sentence by sentence)
        looks = []
        for segs in segments:
            if deadline is not None and time.monotonic() > deadline:
                raise CheckTimeout("the check ran past its deadline")
            looks.append([self._look(seg, k == 0, names) for k, seg in enumerate(segs)])
        if self._store is not None:
            try:
                return self._check(text, words, spans, segments, looks, deadline, progress)
            finally:
                self._store.flush()
        return self._check(text, words, spans, segments, looks, deadline, progress)

    def _check(
        self,
        text: str,
        words: list[Token],
        spans: list[tuple[int, int]],
        segments: list[list[list[Token]]],
        looks: list[list[_Look]],
        deadline: float | None,
        progress: Callable[[int, int], None] | None,
    ) -> Report:
        """Decode every segment and judge the document, once the words worth a look are known."""
        # the words a spinner could have swapped (what _edges counts as content): too few, and
        # there is nothing to judge, so nothing is decoded
        content = sum(sum(look.mutable) for ls in looks for look in ls)
        need = max(self.config.min_content_words, math.ceil(self.config.min_content_share * len(words)))
        if content < need:
            return _uncertain(
                text,
                f"too little to judge: {content} of its {len(words)} words could be examined, need {need} "
                "(the others read as function words, names, abbreviations or numbers)",
            )
        decoded: list[_Decoded] = []
        stats = _Stats()
        # the words worth a look that this process has not met yet: their candidates come
        # from the store where it has them, their vector neighbours in one batch otherwise
        unseen = [look.words[i] for ls in looks for look in ls for i in range(len(look.words))
                  if look.gated[i] and (look.words[i],) not in self._cand_cache]
        if self._store is not None:
            # and so do those of the phrases (a phrase's key is its words joined by spaces)
            phrases = (" ".join(look.words[i : i + n]) for ls in looks for look in ls for i, n in look.phrases)
            keys = [*unseen, *(p for p in phrases if tuple(p.split(" ")) not in self._phrase_cache)]
            for key, cands in self._store.get_many(keys).items():
                self._remember(tuple(key.split(" ")), cands)
        if self.embeddings is not None:
            # the document's topic: the mean vector of its content words
            stats.topic = self.embeddings.vector([t.norm for t in words if t.norm not in STOPWORDS])
            if stats.topic is not None:
                stats.topic_scores = self.embeddings.scores(stats.topic)
            stats.neighbours = self._neighbour_batch(w for w in unseen if (w,) not in self._cand_cache)
        for done, (segs, ls) in enumerate(zip(segments, looks, strict=True)):
            for seg, look in zip(segs, ls, strict=True):
                if deadline is not None and time.monotonic() > deadline:
                    raise CheckTimeout("the check ran past its deadline")
                decoded.extend(self._decode(seg, look, stats))
            if progress is not None:
                progress(done + 1, len(spans))
        features = stats.features((d.confidence, d.edge.cand.source) for d in decoded)
        prob = self.doc_model.probability(features)
        # A swap in a text that otherwise reads naturally needs stronger evidence:
        # the language evidence of each finding is weighed by how spun the
        # document looks (a lexicon's record of the swap is not).  Only the
        # findings that pass are built.
        weight = DOC_WEIGHT_FLOOR + (1.0 - DOC_WEIGHT_FLOOR) * prob
        threshold = self.config.finding_threshold
        accepted = with_articles(text, tuple(
            self._finding(text, d, confidence) for d in decoded if (confidence := d.weighed(weight, prob)) >= threshold
        ))
        verdict, reason = _verdict(prob, stats.content, self.config, accepted)
        return Report(
            verdict=verdict,
            spun_probability=prob,
            findings=accepted,
            restored=apply_findings(text, accepted),
            reason=reason,
            features=features,
        )

    def _lexicon_ready(self) -> None:
        if not self._lexicon_respelled:
            # the lexicon's spun phrases as the detector spells words (a learned "organised" is
            # looked up as "organized"); done here, not when the engine is made, as it needs the
            # language model and the thesaurus, which load on first use
            lexicon = self.lexicon.respelled(self.speller.american)
            plurals = self._plurals(lexicon)
            self.lexicon = self.candidates.lexicon = lexicon.merge(plurals) if len(plurals) else lexicon
            self._certain_firsts = {
                e.spun.partition(" ")[0] for e in self.lexicon if e.certain
            }
            self._lexicon_respelled = True

    def _plurals(self, lexicon: Lexicon) -> Lexicon:
        """The plural of each certain pair whose phrase ends in a singular noun and which the lexicon
        does not list in the plural itself ("mystery layers" for "hidden layers", where a screener's
        list gives "mystery layer"): papers write both, and a listed phrase in the plural was missed."""
        inflector = self.res.inflector
        out = Lexicon()
        for e in lexicon:
            last = e.spun.rpartition(" ")[2]
            if not e.certain or not any(tag == "NN" for _, _, tag in inflector.analyses(last)):
                continue
            spun, original = inflector.inflect(e.spun, "NNS"), inflector.inflect(e.original, "NNS")
            if spun != e.spun and not lexicon.originals(spun):
                out.add(spun, original, e.weight, "curated")
        return out

    def _listed_only(self, text: str, tokens: list[Token], reason: str) -> Report:
        """The report on a text too short to judge: "uncertain", with the certain lexicon pairs it
        holds as its findings (a paper's title with a listed tortured phrase), nothing else.  They
        are looked up as the decoder does (:meth:`_certain_hits`), within runs of words, the longest
        first."""
        if not self._any_certain:
            return _uncertain(text, reason)
        self._lexicon_ready()
        found: list[Finding] = []
        for seg in _segments(tokens):
            norms = [self.speller.american(t.norm) for t in seg]
            i = 0
            while i < len(seg):
                hits = self._certain_hits(norms, i, False) if norms[i] in self._certain_firsts else []
                if not hits:
                    i += 1
                    continue
                c = max(hits, key=lambda c: c.length)  # (the first of the longest: the lexicon's most counted)
                first, last = seg[i], seg[i + c.length - 1]
                surface = text[first.start : last.end]
                found.append(Finding(first.start, last.end, surface, match_case(" ".join(c.original), surface),
                                     c.lexicon_evidence, (),
                                     {"source": "lexicon", "lexicon_kind": "curated", "lexicon_weight": c.lexicon_count}))
                i += c.length
        if not found:
            return _uncertain(text, reason)
        findings = with_articles(text, tuple(found))
        return Report("uncertain", 0.5, findings, apply_findings(text, findings),
                      f"{reason}, but it holds a swap no writer makes ({findings[0].text!r} for {findings[0].original!r})")

    def _english_share(self, words: Sequence[Token]) -> float:
        """Share of lowercase words that are English function words or in the thesaurus
        (capitalised words are left out: names are unknown in any language)."""
        lower = [t for t in words if not t.text[:1].isupper()] or list(words)
        memo, english = self._english_words, self._english
        return sum(e if (e := memo.get(t.norm)) is not None else english(t.norm) for t in lower) / len(lower)

    def _english(self, word: str) -> bool:
        """Whether ``word`` is an English function word or in the thesaurus (as it is or as a
        lemma of it), remembered for :meth:`_english_share`."""
        th = self.res.thesaurus
        known = word in STOPWORDS or word in th or any(lemma in th for _, lemma, _ in self.res.inflector.analyses(word))
        if len(self._english_words) >= 200_000:
            self._english_words.clear()
        self._english_words[word] = known
        return known

    # --- decoding ---------------------------------------------------------------

    def _mutable(self, seg: Sequence[Token], i: int, sentence_start: bool) -> bool:
        tok = seg[i]
        if tok.kind != "word" or tok.norm in STOPWORDS or not tok.norm.replace("-", "").isalpha():
            return False
        if len(tok.norm) < 3:
            return False  # "m" in "£5m", "ft", "uk": abbreviations, which spinners leave
        if tok.text[:1].isupper() and not sentence_start:
            return False  # a name: spinners leave those
        return not (tok.text.isupper() and len(tok.text) > 1)

    def _look(self, seg: Sequence[Token], sentence_start: bool, names: frozenset[str] = frozenset()) -> _Look:
        """Which words of a segment a spinner could have swapped, and which of them
        read oddly enough (below :data:`GATE`) to be examined.  A capitalised word
        counts as a name unless it starts a sentence (not merely a segment: after a
        comma or bracket, "(Canis lupus" is a name) and is not among the ``names`` the
        text writes with a capital inside a sentence ("Meridian" opening a sentence of a
        text that names the company Meridian elsewhere)."""
        lm = self.res.lm
        # the words as the language model spells them ("organise" is read as "organize")
        words = [self.speller.american(t.norm) for t in seg]
        n = len(words)
        inside = [self._mutable(seg, j, False) for j in range(n)]
        mutable = [inside[i] or (i == 0 and sentence_start and seg[0].norm not in names and self._mutable(seg, 0, True))
                   for i in range(n)]
        gated = [False] * n
        known = isolated = 0
        logprob = lm.logprob
        for i in range(n):
            if not mutable[i]:
                continue
            w = words[i]
            p1 = words[i - 1] if i >= 1 else None
            p2 = words[i - 2] if i >= 2 else None
            # log10 P(word | context) and P(next | word, context): their sum is the gate
            left = logprob(w, p1, p2)
            right = logprob(words[i + 1], w, p1) if i + 1 < n else 0.0
            gated[i] = left + right < GATE
            if lm.known(w):
                # does either neighbour make the word likelier than it is alone?
                known += 1
                alone = logprob(w)
                if (p1 is None or left - alone < SUPPORT) and (
                    i + 1 >= n or right - logprob(words[i + 1]) < SUPPORT
                ):
                    isolated += 1
        capitalised = [t.text[:1].isupper() for t in seg]
        # the spans that may be a thesaurus phrase (found now, so that their candidates come
        # from the store in one batch): never starting at a name nor taking one in
        may_be_phrase = self.candidates.may_be_phrase
        # (may_be_phrase reads a span either as a first word and a "rest" or as a "head" and a
        # last word: where neither part is in the thesaurus it cannot pass, and most spans stop here)
        rests, heads = self.res.thesaurus.multiword_rests, self.res.thesaurus.multiword_heads
        tested = self._may_be_phrase  # span text -> may_be_phrase's answer
        phrases: set[tuple[int, int]] = set()
        for i in range(n - 1):
            if capitalised[i] and not mutable[i] and not (i == 0 and sentence_start):
                continue
            for length in range(2, min(3, n - i) + 1):
                if capitalised[i + length - 1]:
                    break
                if not (mutable[i] or any(inside[i : i + length])):
                    continue
                if length == 2:
                    either = words[i + 1] in rests or words[i] in heads
                else:
                    either = f"{words[i + 1]} {words[i + 2]}" in rests or f"{words[i]} {words[i + 1]}" in heads
                if not either:
                    continue
                # remembered by the span's text: a string key, unlike a tuple, is nothing for
                # the garbage collector to count or walk (a tuple-keyed memo cost more than it saved)
                key = " ".join(words[i : i + length])
                ok = tested.get(key)
                if ok is None:
                    ok = may_be_phrase(tuple(words[i : i + length]))
                    if len(tested) >= 200_000:
                        tested.clear()
                    tested[key] = ok
                if ok:
                    phrases.add((i, length))
        return _Look(words, inside, mutable, gated, capitalised, sentence_start, known, isolated, phrases)

    def _edges(self, seg: Sequence[Token], words: list[str], look: _Look, stats: _Stats) -> list[list[_Edge]]:
        lm = self.res.lm
        fast = lm.fast_decoder
        n = len(words)
        edges: list[list[_Edge]] = [[] for _ in range(n)]
        lex_max, fn_max = self.lexicon.max_len, self.candidates.functions.max_len
        lex_firsts, fn_firsts = self.lexicon.first_words, self.candidates.functions.first_words
        mutable, gated, phrases = look.mutable, look.gated, look.phrases
        neigh = stats.neighbours

        def topic_gain(spun: Sequence[str], original: Sequence[str]) -> float:
            return self._topic_gain(spun, original, stats)

        # what the C loop needs to score a position as _rank does (read now: bench scripts change them)
        constants = (PRESELECT, PRIOR_WEIGHT, TOPIC_WEIGHT, SUBSTITUTION_COST, LOCAL_MARGIN, MAX_CANDIDATES)
        emb = self.embeddings
        index = emb.index if emb is not None else {}
        scores = stats.topic_scores if emb is not None and stats.topic is not None else None
        if fast and scores is not None and getattr(getattr(scores, "dtype", None), "char", "") != "f":
            fast = None  # the C loop reads float32 topic scores (what the word vectors give) only
        # where a thesaurus phrase may start (found by _look; a phrase may also start with
        # another form of its first word, so each span was tested on its own)
        phrase_starts = {start for start, _ in phrases}
        certain_firsts = self._certain_firsts
        for i in range(n):
            name = look.capitalised[i] and not look.mutable[i]
            certain = self._certain_hits(words, i, name) if words[i] in certain_firsts else []
            cands: list[Candidate] = []
            # which tables have a phrase (or a word) starting with this word: where neither
            # has, their lookups below would find nothing
            in_lexicon = words[i] in lex_firsts
            in_functions = words[i] in fn_firsts
            if mutable[i]:
                stats.content += 1
                if gated[i]:
                    cands.extend(self._single_candidates(words[i], neigh))
                else:
                    stats.gains.append(0.0)
                if in_lexicon:
                    cands.extend(self.candidates.lexicon_hits((words[i],)))
            name = look.capitalised[i] and not mutable[i] and not (i == 0 and look.sentence_start)
            if not name and in_functions:
                _add_new(cands, self.candidates.function_hits((words[i],)))
            longest = 1 if name or not (in_lexicon or in_functions or i in phrase_starts) else min(
                max(3, lex_max, fn_max), n - i)
            for length in range(2, longest + 1):
                if look.capitalised[i + length - 1]:
                    break  # a span never takes in a name
                in_phrases = (i, length) in phrases
                if not (in_phrases or in_lexicon or in_functions):
                    continue
                span = tuple(words[i : i + length])
                if in_phrases:
                    cands.extend(self._phrase_candidates(span))
                if in_lexicon:
                    cands.extend(self.candidates.lexicon_hits(span))
                if in_functions:
                    _add_new(cands, self.candidates.function_hits(span))
            if cands:
                if fast:
                    kept, best = fast.rank(words, i, cands, constants, index, scores, topic_gain, UNCOUNTED)
                else:
                    kept, best = _rank(lm, words, i, cands, topic_gain)
                if gated[i]:
                    stats.gains.append(0.0 if best is None else best)
                edges[i] = [_Edge(i, cands[k], gain, topic) for k, gain, topic in kept]
            if certain:
                edges[i] = _with_certain(lm, words, i, edges[i], certain, topic_gain)
        return edges

    def _certain_hits(self, words: list[str], i: int, name: bool) -> list[Candidate]:
        """The lexicon's certain pairs (:attr:`Candidate.certain`) whose spun phrase starts at ``i``,
        shortest first.  A phrase of two words or more may take in a name; a single word that is a
        name (``name``) is left."""
        out: list[Candidate] = []
        for length in range(2 if name else 1, min(self.lexicon.max_len, len(words) - i) + 1):
            out.extend(c for c in self.candidates.lexicon_hits(tuple(words[i : i + length])) if c.certain)
        return out

    def _topic_gain(self, spun: Sequence[str], original: Sequence[str], stats: _Stats) -> float:
        """Cosine of ``original`` with the document's topic vector minus that of ``spun``."""
        emb, topic = self.embeddings, stats.topic
        if emb is None or topic is None:
            return 0.0
        if len(spun) == 1 and len(original) == 1:
            i, j = emb.index.get(original[0]), emb.index.get(spun[0])
            return 0.0 if i is None or j is None else float(stats.topic_scores[i] - stats.topic_scores[j])
        # each span's cosine once per document: a spun span has several candidates, and an
        # original is offered at several places
        dots = stats.topic_dots
        ko, ks = tuple(original), tuple(spun)  # (the C loop passes the spun words as a list)
        do = dots.get(ko, _MISSING)
        if do is _MISSING:
            vo = emb.vector(ko)
            do = dots[ko] = None if vo is None else vo @ topic
        ds = dots.get(ks, _MISSING)
        if ds is _MISSING:
            vs = emb.vector(ks)
            ds = dots[ks] = None if vs is None else vs @ topic
        if do is None or ds is None:
            return 0.0
        return float(do - ds)

    def _neighbour_batch(self, words: Iterable[str]) -> dict[str, tuple[tuple[str, float], ...]]:
        """Vector neighbours, in one matrix product, of those ``words`` that may take one (a
        reading other than a noun): what :meth:`_single_candidates` expects to be given."""
        if self.embeddings is None:
            return {}
        infl, th = self.res.inflector, self.res.thesaurus
        return self.embeddings.neighbours_many(
            (w for w in words if non_noun_tags(infl.analyses(w), th)), NEIGHBOURS, NEIGHBOUR_MIN_SIM
        )

    def fill_store(self, keys: Sequence[str], progress: Callable[[int, int], None] | None = None) -> int:
        """Work out and store the candidates of those ``keys`` (a word, or a phrase's words joined
        by spaces: see :meth:`CandidateGenerator.phrase_spans`) the candidate store lacks, so
        that later processes find them there (``unspin cache --fill``); returns how many were
        added.  Without a store (``cache_candidates`` off, or caching off) it does nothing."""
        store = self._store
        if store is None:
            return 0
        added = 0
        for k in range(0, len(keys), 500):
            # (a word this process worked out is in the store already; a phrase may not be, as
            # one without candidates is kept in memory only)
            batch = [key for key in dict.fromkeys(keys[k : k + 500]) if " " in key or (key,) not in self._cand_cache]
            known = store.get_many(batch)
            todo = [key for key in batch if key not in known]
            neighbours = self._neighbour_batch(w for w in todo if " " not in w)
            for key in todo:
                if " " in key:
                    # a thesaurus phrase's form: kept with or without candidates
                    store.add(key, self._phrase_candidates(tuple(key.split(" "))))
                else:
                    self._single_candidates(key, neighbours)
            store.flush()
            added += len(todo)
            if progress is not None:
                progress(min(k + 500, len(keys)), len(keys))
        return added

    def _single_candidates(
        self, word: str, neighbours: dict[str, tuple[tuple[str, float], ...]]
    ) -> tuple[Candidate, ...]:
        """Thesaurus and vector-neighbour candidates of one word, priors weighed by similarity
        (cached: they depend on the word only; ``neighbours`` must hold the word's neighbours
        unless it is cached)."""
        hit = self._cand_cache.get((word,))
        if hit is None:
            same = self.speller.same_word
            single = tuple(c for c in self.candidates.single(word) if not same(word, c.original[-1]))
            near = neighbours.get(word)
            if near is None and self.embeddings is not None:
                # not batched (the cache held the word when the batch was made): look it up now,
                # so the candidates never depend on what the cache happened to hold
                if non_noun_tags(self.res.inflector.analyses(word), self.res.thesaurus):
                    near = self.embeddings.neighbours(word, NEIGHBOURS, NEIGHBOUR_MIN_SIM)
            near_cands = self._neighbour_candidates(word, near or (), single)
            hit = (
                *self._with_similarity((word,), single),
                *near_cands,
                *self._moby_candidates(word, (*single, *near_cands)),
            )
            self._remember((word,), hit)
            if self._store is not None:
                self._store.add(word, hit)
        return hit

    def _phrase_candidates(self, span: tuple[str, ...]) -> tuple[Candidate, ...]:
        hit = self._phrase_cache.get(span)
        if hit is None:
            hit = tuple(self._with_similarity(span, self.candidates.phrase(span)))
            self._remember(span, hit)
            if self._store is not None and hit:
                # (not the many spans without any: a crawl would fill the store with them)
                self._store.add(" ".join(span), hit)
        return hit

    def _remember(self, span: tuple[str, ...], cands: tuple[Candidate, ...]) -> None:
        """Keep a span's candidates: a word's in the words' cache, a phrase's in the phrases'."""
        cache = self._cand_cache if len(span) == 1 else self._phrase_cache
        if len(cache) >= 50_000:
            cache.clear()
        # kept for long: not for the garbage collector to walk (the cache's dict stays
        # untracked too where its keys and values are)
        if cands:  # (most phrases have none: the empty tuple is never tracked)
            untrack_acyclic((*cands, cands))
        cache[settled(span)] = cands

    def _similarity(self, spun: Sequence[str], original: Sequence[str]) -> float:
        return self.embeddings.similarity(spun, original) if self.embeddings is not None else SIM_CENTRE

    def _with_similarity(self, spun: tuple[str, ...], cands: Sequence[Candidate]) -> list[Candidate]:
        """``cands`` with their channel priors adjusted by word-vector similarity to ``spun``:
        a thesaurus synonym in the sense the text uses sits close to the spun word."""
        if self.embeddings is None:
            return list(cands)
        out = []
        for c in cands:
            sim = self._similarity(spun, c.original)
            # built directly: Candidate._replace costs as much as the similarity itself
            prior = min(0.0, c.prior + SIM_WEIGHT * (sim - SIM_CENTRE))
            out.append(Candidate(c.length, c.original, prior, c.source, c.lexicon_count, c.learned))
        return out

    def _neighbour_candidates(
        self, word: str, neighbours: Sequence[tuple[str, float]], known: Sequence[Candidate]
    ) -> list[Candidate]:
        """Nearest word vectors of ``word`` in the same inflection, as candidate originals
        (real spinners' thesauri are looser than WordNet's synonym sets)."""
        lm, same = self.res.lm, self.speller.same_word
        if not word.isalpha():
            return []
        seen = {c.original for c in known}
        out: list[Candidate] = []
        for other, sim in neighbour_swaps(self.res, word, neighbours):
            if sim < NEIGHBOUR_MIN_SIM:
                break
            if (other,) in seen or not lm.known(other) or same(word, other):
                continue  # a thesaurus candidate already, unknown to the model, or a spelling variant
            prior = min(0.0, NEIGHBOUR_PRIOR + SIM_WEIGHT * (sim - SIM_CENTRE))
            out.append(Candidate(1, (other,), prior, "embedding"))
            if len(out) >= MAX_NEIGHBOUR_CANDIDATES:
                break
        return out

    def _moby_candidates(self, word: str, known: Sequence[Candidate]) -> list[Candidate]:
        """The Moby thesaurus words most similar to ``word`` in vector space, as candidate
        originals (see :mod:`unspin.moby`; their findings restore but are :data:`UNCOUNTED`);
        without word vectors, none."""
        if self.embeddings is None or not self.config.use_moby:
            return []
        seen = {c.original for c in known}
        same = self.speller.same_word
        out: list[Candidate] = []
        for other, both, sim in self.candidates.loose(word, 2 * MOBY_CANDIDATES, MOBY_MIN_SIM):
            if (other,) in seen or same(word, other):
                continue
            prior = min(0.0, MOBY_PRIOR + MOBY_BOTH_WAYS * both + SIM_WEIGHT * (sim - SIM_CENTRE))
            out.append(Candidate(1, (other,), prior, "moby"))
            if len(out) >= MOBY_CANDIDATES:
                break
        return out

    def _decode(self, seg: list[Token], look: _Look, stats: _Stats) -> list[_Decoded]:
        words = look.words
        stats.known += look.known
        stats.isolated += look.isolated
        total, strongest = self._function_weight(words)
        stats.function_weight += total
        stats.function_max = max(stats.function_max, strongest)
        edges = self._edges(seg, words, look, stats)
        if not any(edges):
            return []
        lm = self.res.lm
        fast = lm.fast_decoder
        chosen = _fast_beam(fast, words, edges) if fast else _beam(lm, words, edges)
        if not chosen:
            return []
        # output word sequence of the chosen path, to judge each choice in its restored context
        restored: list[str] = []
        starts: dict[int, int] = {}
        pos = 0
        for e in chosen:
            restored.extend(words[pos : e.start])
            starts[e.start] = len(restored)
            restored.extend(e.cand.original)
            pos = e.start + e.cand.length
        restored.extend(words[pos:])
        return [self._judge(seg, words, restored, starts[e.start], e, edges) for e in chosen]

    def _function_weight(self, words: list[str]) -> tuple[float, float]:
        """The summed weights of the function-phrase table's spun forms in a segment ("thanks to",
        "may be", "within": how typical each is of a spinner), the longest at each word, whether
        or not the language model prefers the original there, and the largest of them: for a
        document feature that needs no candidate to win."""
        table = self.candidates.functions
        firsts, longest = table.first_words, table.max_len
        total = strongest = 0.0
        for i, w in enumerate(words):
            if w not in firsts:
                continue
            for n in range(min(longest, len(words) - i), 0, -1):
                swaps = table.originals(tuple(words[i : i + n]))
                if swaps:
                    weight = max(s.weight for s in swaps)
                    total += weight
                    strongest = max(strongest, weight)
                    break
        return total, strongest

    def _judge(
        self, seg: list[Token], words: list[str], restored: list[str], at: int, e: _Edge,
        edges: list[list[_Edge]],
    ) -> _Decoded:
        """The evidence for a substitution the decoder chose, judged in its restored context."""
        lm = self.res.lm
        c = e.cand
        left = restored[max(0, at - 2) : at]
        hist = (left[-2] if len(left) > 1 else None, left[-1] if left else None)
        right = restored[at + len(c.original) : at + len(c.original) + 2]
        spun_words = words[e.start : e.start + c.length]
        with_o = lm.score([*c.original, *right], hist)
        with_s = lm.score([*spun_words, *right], hist)
        margin = with_o - with_s + SUBSTITUTION_COST + PRIOR_WEIGHT * c.prior
        feats = {
            "lm_gain": with_o - with_s,
            "channel_prior": c.prior,
            "fit": lm.score(spun_words, hist) / len(spun_words),
            "spun_unigram": lm.score(spun_words) / len(spun_words),
            "original_unigram": lm.score(c.original) / len(c.original),
            # (a learned pair is judged on its language like any synonym: the model's weight for
            # "lexicon" was fitted on curated swaps no writer makes; its own evidence is combined below)
            "lexicon": 1.0 if c.source == "lexicon" and not c.learned else 0.0,
            "related": 1.0 if c.source == "related" else 0.0,
            "embedding": 1.0 if c.source == "embedding" else 0.0,
            "function": 1.0 if c.source == "function" else 0.0,
            "moby": 1.0 if c.source == "moby" else 0.0,
            "similarity": self._similarity(spun_words, c.original),
            "topic_gain": e.topic_gain,
            "span_words": float(c.length),
            "candidates": float(len(edges[e.start])),
            "lexicon_count": c.lexicon_count,
        }
        # the model judges the language evidence; a lexicon's record of this very
        # swap is independent evidence, combined as a noisy-or (in _combine)
        language = self.finding_model.probability(feats)
        feats["language_confidence"] = language
        return _Decoded(seg, e, edges[e.start], feats, margin, language)

    def _finding(self, text: str, d: _Decoded, confidence: float) -> Finding:
        """The reported finding of decoded substitution ``d``, with its final ``confidence``."""
        e, c, seg = d.edge, d.edge.cand, d.seg
        first, last = seg[e.start], seg[e.start + c.length - 1]
        surface = text[first.start : last.end]
        alts: list[Alternative] = []
        seen: set[tuple[str, ...]] = set()
        same_span = [x for x in d.rivals if x.cand.length == c.length]
        for other in sorted(same_span, key=lambda x: (x.cand.original != c.original, -x.local_score)):
            if other.cand.original in seen:
                continue
            seen.add(other.cand.original)
            alts.append(Alternative(match_case(" ".join(other.cand.original), surface), other.local_score))
            if len(alts) >= self.config.max_alternatives:
                break
        return Finding(
            start=first.start,
            end=last.end,
            text=surface,
            original=match_case(" ".join(c.original), surface),
            confidence=confidence,
            alternatives=tuple(alts),
            signals={**d.feats, "margin": d.margin, "source": c.source, **self._lexicon_signals(e.start, d)},
        )

    def _lexicon_signals(self, start: int, d: _Decoded) -> dict[str, float | str]:
        """What a lexicon knows of the finding's swap, for a person to check: whether the record
        is curated or learned, and for a learned one how often the spinner was seen swapping the
        phrase for this original and leaving it as it was."""
        c = d.edge.cand
        if c.source != "lexicon":
            return {}
        curated: dict[str, float | str] = {"lexicon_kind": "curated", "lexicon_weight": c.lexicon_count}
        if not (c.learned or c.swaps_count):
            return curated
        key = " ".join(self.speller.american(t.norm) for t in d.seg[start : start + c.length])  # as _look spells it
        original = " ".join(c.original)
        swaps = next((e.learned for e in self.lexicon.originals(key) if e.original == original), 0.0)
        learned = {"lexicon_swaps": swaps, "lexicon_kept": self.lexicon.kept(key),
                   "lexicon_evidence": c.lexicon_evidence if c.learned else c.swaps_evidence}
        return {"lexicon_kind": "learned", **learned} if c.learned else {**curated, **learned}


def stored_candidates(config: Config | None = None) -> int | None:
    """How many words and phrases the candidate store for ``config`` holds (0 where it has not
    been made yet); ``None`` where the engine keeps none (caching off)."""
    from .candstore import count_entries

    config = config or DEFAULT_CONFIG
    store = CandidateStore.open(_store_settings(config)) if config.cache_candidates else None
    if store is None:
        return None
    return count_entries(store.path) or 0


def _store_settings(config: Config) -> tuple[object, ...]:
    """What the single-word candidates depend on besides the code and the resources: the
    switches and the constants as they stand now (bench scripts change some at run time)."""
    c, e, r = _candidates_module, _embeddings_module, _resources_module
    return (
        config.use_embeddings, config.use_moby, SIM_WEIGHT, SIM_CENTRE, NEIGHBOURS, MAX_NEIGHBOUR_CANDIDATES,
        NEIGHBOUR_MIN_SIM, NEIGHBOUR_PRIOR, MOBY_CANDIDATES, MOBY_MIN_SIM, MOBY_PRIOR, MOBY_BOTH_WAYS,
        c.MAX_PER_SPAN, c.LEMMA_SLACK, c.LEMMA_POOL, tuple(sorted(c.VULGAR)), e.NEIGHBOUR_POOL,
        tuple(sorted(r.RELATION_WEIGHTS.items())), tuple(sorted(STOPWORDS)),
    )


def _combine(language: float, lexicon: float) -> float:
    """Noisy-or of the language evidence and the lexicon evidence."""
    return 1.0 - (1.0 - language) * (1.0 - lexicon)


class _OneBlasThread:
    """numpy's BLAS on the calling thread only, for the length of a check.

    A check's matrix products are small (the topic against 100,000 word vectors, a few
    hundred neighbour rows), and OpenBLAS's helper threads spin while they wait for the next:
    measured on 5 KB articles with a filled candidate store, a check took the same wall-clock
    time on one BLAS thread and twice the CPU time on two.  A crawl runs one process per
    core, so those threads only take cores from the other processes.  The setting is
    process-wide: the first of overlapping checks (several threads) limits it and the last
    restores what was there before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._controller: Any = None  # threadpoolctl's, made once numpy is loaded (False without threadpoolctl)
        self._limit: Any = None  # the limit in force, restored by the last check out

    def _get_controller(self) -> Any:
        if self._controller is None:
            try:
                # numpy loaded now, not during the check: a process's first check loads the
                # resources, numpy with them, and ran on all of BLAS's threads, its topic
                # scores (and so its report, in the last bits) unlike those of later checks
                import numpy  # noqa: F401
                from threadpoolctl import ThreadpoolController
            except ImportError:
                self._controller = False
            else:
                self._controller = ThreadpoolController()
        return self._controller

    def __enter__(self) -> None:
        with self._lock:
            self._active += 1
            if self._active == 1:
                controller = self._get_controller()
                if controller:
                    self._limit = controller.limit(limits=1, user_api="blas")

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._limit is not None:
                self._limit.restore_original_limits()
                self._limit = None


_one_blas_thread = _OneBlasThread()


def _add_new(cands: list[Candidate], more: Sequence[Candidate]) -> None:
    """Append the candidates of ``more`` whose reading is not among ``cands`` yet."""
    if more:
        have = {(c.length, c.original) for c in cands}
        cands.extend(c for c in more if (c.length, c.original) not in have)


def _gains(lm: LanguageModel, words: list[str], i: int, cands: list[Candidate]) -> list[tuple[int, float]]:
    """``(index, gain)`` for the candidates at ``i`` worth a full score: how much likelier
    (log10) the span and the two words after it read with the candidate than as written.

    Where there are more than :data:`PRESELECT` candidates, one cheap look at the context
    (the span and the next word: "related to smart beings", where "intelligent" reads badly
    after "to" alone) picks those worth it; lexicon candidates are always scored.
    ``unspin._speedups`` computes the same numbers in C (``LanguageModel.fast_decoder``)."""
    p2 = words[i - 2] if i >= 2 else None
    p1 = words[i - 1] if i >= 1 else None
    keep: Iterable[int] = range(len(cands))
    if len(cands) > PRESELECT:
        # per span length: the word after the span, and how the span reads before it
        context: dict[int, tuple[list[str], float]] = {}
        ranked: list[tuple[float, int]] = []
        for k, c in enumerate(cands):
            if c.source == "lexicon":
                continue
            ctx = context.get(c.length)
            if ctx is None:
                after = words[i + c.length : i + c.length + 1]
                ctx = context[c.length] = (after, lm.score([*words[i : i + c.length], *after], (p2, p1)))
            after, as_written = ctx
            ranked.append((as_written - lm.score([*c.original, *after], (p2, p1)) - PRIOR_WEIGHT * c.prior, k))
        ranked.sort()
        best = {k for _, k in ranked[:PRESELECT]}
        keep = [k for k, c in enumerate(cands) if c.source == "lexicon" or k in best]
    out: list[tuple[int, float]] = []
    base: dict[int, float] = {}
    for k in keep:
        c = cands[k]
        right = words[i + c.length : i + c.length + 2]
        with_s = base.get(c.length)
        if with_s is None:
            with_s = base[c.length] = lm.score([*words[i : i + c.length], *right], (p2, p1))
        out.append((k, lm.score([*c.original, *right], (p2, p1)) - with_s))
    return out


def _rank(
    lm: LanguageModel, words: list[str], i: int, cands: list[Candidate],
    topic_gain: Callable[[Sequence[str], Sequence[str]], float],
) -> tuple[list[tuple[int, float, float]], float | None]:
    """The candidates at ``i`` that the beam search weighs, as ``(index, language-model gain,
    topic gain)``, best local score first (:attr:`_Edge.local_score`; ties in candidate order):
    at most :data:`MAX_CANDIDATES`, none more than :data:`LOCAL_MARGIN` worse than the word as
    written.  Also the best gain of a one-word candidate from a counted source (``None`` if
    there is none), the document's "a synonym reads much better here" evidence.
    ``unspin._speedups`` computes the same in C (``LanguageModel.fast_decoder``)."""
    scored = []
    best: float | None = None
    for k, gain in _gains(lm, words, i, cands):
        c = cands[k]
        e = _Edge(i, c, gain, topic_gain(words[i : i + c.length], c.original))
        scored.append((e.local_score, k, e))
        if c.length == 1 and c.source not in UNCOUNTED and (best is None or gain > best):
            best = gain
    scored.sort(key=lambda t: -t[0])
    kept = [(k, e.local_gain, e.topic_gain) for local, k, e in scored if local > -LOCAL_MARGIN]
    return kept[:MAX_CANDIDATES], best


def _with_certain(
    lm: LanguageModel, words: list[str], i: int, edges: list[_Edge], certain: list[Candidate],
    topic_gain: Callable[[Sequence[str], Sequence[str]], float],
) -> list[_Edge]:
    """``edges`` at ``i`` with each of the ``certain`` candidates marked certain: the edge the
    ranking kept for it, or a new one where it pruned it (the language model may read the
    original worse than the spun phrase: it knows news, not papers)."""
    out = list(edges)
    for c in certain:
        at = next((k for k, e in enumerate(out) if e.cand == c), None)
        if at is not None:
            out[at] = out[at]._replace(certain=True)
        else:
            ((_, gain),) = _gains(lm, words, i, [c])
            out.append(_Edge(i, c, gain, topic_gain(words[i : i + c.length], c.original), True))
    return out


def _beam(lm: LanguageModel, words: list[str], edges: list[list[_Edge]]) -> tuple[_Edge, ...]:
    """The best path through a segment, token by token: each word as written or one of the
    edges starting there, scored by the language model over the output plus each edge's
    cost and bonus; :data:`BEAM` states (the last two words out) kept per position.
    ``unspin._speedups`` walks the same beam in C (``LanguageModel.fast_decoder``)."""
    n = len(words)
    # beams[pos]: (p2, p1) -> (score, path) where path is a tuple of chosen edges
    beams: list[dict[tuple[str | None, str | None], tuple[float, tuple[_Edge, ...]]]] = [{} for _ in range(n + 1)]
    beams[0][(None, None)] = (0.0, ())
    for pos in range(n):
        beam = beams[pos]
        if not beam:
            continue
        if len(beam) > BEAM:
            beam = dict(sorted(beam.items(), key=lambda kv: -kv[1][0])[:BEAM])
        for (p2, p1), (score, path) in beam.items():
            # keep the word as written
            s = score + lm.logprob(words[pos], p1, p2)
            _push(beams[pos + 1], (p1, words[pos]), s, path)
            for e in edges[pos]:
                out = e.cand.original
                cost = SUBSTITUTION_COST * (1.0 - e.cand.lexicon_evidence) + (CERTAIN_GAIN * e.cand.length if e.certain else 0.0)
                s = score + cost + e.bonus + lm.score(list(out), (p2, p1))
                key = (out[-2] if len(out) > 1 else p1, out[-1])
                _push(beams[pos + e.cand.length], key, s, (*path, e))
    return max(beams[n].values(), key=lambda v: v[0])[1]


def _fast_beam(fast: FastLM, words: list[str], edges: list[list[_Edge]]) -> tuple[_Edge, ...]:
    """:func:`_beam` walked in C (which reads the edges' candidates and topic gains itself)."""
    constants = (SUBSTITUTION_COST, PRIOR_WEIGHT, TOPIC_WEIGHT, CERTAIN_GAIN)
    return tuple(edges[pos][k] for pos, k in fast.beam(words, edges, BEAM, constants))


def _push(beam: dict[Any, tuple[float, tuple[_Edge, ...]]], key: Any, score: float, path: tuple[_Edge, ...]) -> None:
    old = beam.get(key)
    if old is None or score > old[0]:
        beam[key] = (score, path)


def _names(tokens: Sequence[Token], spans: Sequence[tuple[int, int]]) -> frozenset[str]:
    """The words a text writes with a capital inside a sentence, not all in capitals: its names
    (spinners leave those), which a sentence may open with too."""
    return frozenset(
        t.norm for a, b in spans for t in tokens[a + 1 : b]
        if t.kind == "word" and t.text[:1].isupper() and not t.text.isupper()
    )


def _segments(tokens: Sequence[Token]) -> list[list[Token]]:
    """Runs of word tokens; punctuation, numbers and line breaks split them."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    for t in tokens:
        if t.kind == "word":
            cur.append(t)
        else:
            if cur:
                out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


@dataclass(frozen=True, slots=True)
class _Look:
    words: list[str]  # normalised, in American spelling where confirmed
    inside: list[bool]  # could have been swapped (no capitalised word)
    mutable: list[bool]  # could have been swapped, a capitalised sentence-initial word included
    gated: list[bool]  # and reads oddly enough to be examined
    capitalised: list[bool]
    sentence_start: bool  # the segment starts a sentence
    known: int  # mutable words the language model knows
    isolated: int  # of which neither neighbour supports (see SUPPORT)
    phrases: set[tuple[int, int]]  # (start, length) of the spans that may be a thesaurus phrase


@dataclass(frozen=True, slots=True)
class _Decoded:
    """A substitution the decoder chose and its evidence; the :class:`Finding` is built only
    where the document's weighing lets it through (most decoded swaps in clean text do not)."""

    seg: list[Token]
    edge: _Edge
    rivals: list[_Edge]  # the edges at its position, for the alternatives
    feats: dict[str, float]
    margin: float
    language: float  # the finding model's language confidence

    def weighed(self, weight: float, prob: float) -> float:
        """Its confidence in a document of spun probability ``prob``: the language evidence
        weighed by ``weight`` (the document's weight), a learned lexicon's by ``prob`` itself
        (how often a spinner swapped a phrase tells of a text only as far as that spinner may
        have written it); a curated record of a swap no writer makes is not weighed."""
        c = self.edge.cand
        lexicon = c.lexicon_evidence * (prob if c.learned else 1.0)
        if c.swaps_count:  # (a curated pair's learned swaps, weighed as a learned record)
            lexicon = _combine(lexicon, c.swaps_evidence * prob)
        return _combine(self.language * weight, lexicon)

    @property
    def confidence(self) -> float:
        """Its confidence before the document's weighing, as the document's features read it
        (without a learned lexicon's evidence, which the weighing needs the document's
        probability for)."""
        return self.weighed(1.0, 0.0)


class _Stats:
    def __init__(self) -> None:
        self.content = 0
        self.known = 0  # content words the language model knows
        self.isolated = 0  # of which neither neighbour supports
        self.function_weight = 0.0  # summed weights of the function-phrase table's spun forms met
        self.function_max = 0.0  # the largest of them
        self.gains: list[float] = []
        self.neighbours: dict[str, tuple[tuple[str, float], ...]] = {}
        self.topic: Any = None  # unit vector (numpy) or None
        self.topic_scores: Any = None  # cosine of every embedded word with the topic
        self.topic_dots: dict[tuple[str, ...], Any] = {}  # a span's cosine with the topic (None: no vector)

    def features(self, findings: Iterable[tuple[float, str]]) -> dict[str, float]:
        """Document features from every decoded finding, as ``(confidence, source)`` before
        the confidence cut, but those from :data:`UNCOUNTED` sources.

        Rates are shrunk towards "no evidence" by :data:`PSEUDO_WORDS` content words
        without findings, and the mean confidence towards :data:`PRIOR_CONFIDENCE`
        by two findings, so one odd word in a short text is not a spun document.
        ``isolated`` is the share of the content words the model knows that neither
        neighbour supports (see :data:`SUPPORT`), shrunk likewise towards
        :data:`ISOLATED_PRIOR`: it needs no candidate, so it sees spinners whose
        synonyms the candidate sources do not know."""
        n = self.content + PSEUDO_WORDS
        confs = [conf for conf, source in findings if source not in UNCOUNTED]
        return {
            "content_words": float(self.content),
            "log_content_words": math.log(1 + self.content),
            "finding_rate": sum(1 for c in confs if c >= 0.5) / n,
            "strong_rate": sum(1 for c in confs if c >= 0.8) / n,
            "confidence_mass": sum(confs) / n,
            "mean_confidence": (sum(confs) + 2 * PRIOR_CONFIDENCE) / (len(confs) + 2),
            "gain1_rate": sum(1 for g in self.gains if g > 1.0) / n,
            "gain2_rate": sum(1 for g in self.gains if g > 2.0) / n,
            "isolated": (self.isolated + PSEUDO_WORDS * ISOLATED_PRIOR) / (self.known + PSEUDO_WORDS),
            "function_rate": self.function_weight / n,
            "function_excess": (self.function_weight - self.function_max) / (self.content + FUNCTION_PSEUDO_WORDS),
            "known_words": float(self.known),
            "isolated_words": float(self.isolated),
        }


@dataclass(frozen=True)
class LogisticModel:
    """A logistic model stored as JSON: standardised features, weights, bias."""

    weights: dict[str, float]
    bias: float
    mean: dict[str, float]
    scale: dict[str, float]
    # each weight with its feature's mean and scale, read once (a check asks the finding model
    # a hundred times)
    _terms: tuple[tuple[str, float, float, float], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        terms = tuple((k, w, self.mean.get(k, 0.0), self.scale.get(k, 1.0)) for k, w in self.weights.items())
        object.__setattr__(self, "_terms", terms)

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias
        get = features.get
        for k, w, mean, scale in self._terms:
            z += w * (get(k, 0.0) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@functools.lru_cache(maxsize=8)
def _load_model(name: str, fmt: str) -> LogisticModel:
    raw = json.loads(importlib_resources.files("unspin").joinpath(f"data/{name}").read_text(encoding="utf-8"))
    if raw.get("format") != fmt:
        raise ValueError(f"unspin/data/{name} is not in format {fmt!r}")
    return LogisticModel(
        dict(raw["weights"]), float(raw["bias"]), dict(raw.get("mean", {})), dict(raw.get("scale", {}))
    )


# "a" or "an" as a word of its own, never the end of a longer token ("example.com/an", "Qur'an",
# "Bhut\u00adan", "co-an" are left as written), before spaces or one line break (a wrapped line)
_ARTICLE_BEFORE = re.compile(
    r"(?<![\w\-/.@\u00ad\u200b-\u200d\u2060\ufeff])(?<!\w['\u2019])(an?)"
    r"(?:[ \t\u00a0]+|[ \t\u00a0]*\r?\n[ \t\u00a0]*)\Z",
    re.IGNORECASE,
)
ARTICLE_WINDOW = 12  # characters before a finding searched for its article ("an" and the space after it)
# words that start with a vowel letter but a consonant sound ("a university"), and the reverse ("an hour")
_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "ure", "uro", "eu", "ewe", "one", "once", "ubiq")
_VOWEL_SOUND = ("hour", "honest", "honor", "honour", "heir")


def _article_for(word: str) -> str:
    """"a" or "an" before ``word``, by its first sound as its spelling suggests."""
    w = word.lower()
    if w.startswith(_VOWEL_SOUND):
        return "an"
    if w[:1] in "aeiou" and not w.startswith(_CONSONANT_SOUND):
        return "an"
    return "a"


def _with_article(original: str, written: str, space: str) -> str:
    """``original`` after the indefinite article it needs, in the case of the one ``written``."""
    a = _article_for(original.split()[0]) if original.strip() else written.lower()
    return (a.capitalize() if written[0].isupper() else a) + space + original


def with_articles(text: str, findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """``findings`` with each one whose original needs the other indefinite article than the one
    written before it ("An irregular woodland" restored as "A random forest", not "An random
    forest") taking that article into its span and its original (and its alternatives)."""
    out: list[Finding] = []
    end = 0  # where the previous finding ends: an article inside it is that finding's
    for f in sorted(findings, key=lambda f: f.start):
        m = _ARTICLE_BEFORE.search(text, max(end, f.start - ARTICLE_WINDOW), f.start)
        if m is not None and f.original and _article_for(f.original.split()[0]) != m.group(1).lower():
            written, space = m.group(1), text[m.end(1) : m.end()]
            f = replace(
                f, start=m.start(), text=text[m.start() : f.end], original=_with_article(f.original, written, space),
                alternatives=tuple(replace(a, text=_with_article(a.text, written, space)) for a in f.alternatives),
            )
        out.append(f)
        end = f.end
    return tuple(out)


def _verdict(prob: float, content: int, cfg: Config, findings: Sequence[Finding] = ()) -> tuple[Verdict, str]:
    """The verdict on a text of spun probability ``prob`` with ``content`` content words, and the
    reason where it is "uncertain".  A text holding a certain lexicon pair (a swap no writer makes,
    :data:`~unspin.lexicon.CERTAIN_WEIGHT`) is never "clean", however natural the rest reads."""
    hi, lo = cfg.spun_threshold, cfg.clean_threshold
    if content < cfg.short_text_words:  # little evidence: only clear cases get a verdict
        hi, lo = max(hi, cfg.short_spun_threshold), min(lo, cfg.short_clean_threshold)
    verdict: Verdict = "spun" if prob >= hi else "clean" if prob <= lo else "uncertain"
    certain = next((f for f in findings if f.signals.get("lexicon_weight", 0.0) >= CERTAIN_WEIGHT), None)
    if verdict == "clean" and certain is not None:
        return "uncertain", (f"it holds a swap no writer makes ({certain.text!r} for {certain.original!r}), "
                             "though little else in it reads spun")
    reason = "" if verdict != "uncertain" else (
        f"short text ({content} content words): the evidence is not conclusive"
        if content < cfg.short_text_words else "the evidence is not conclusive"
    )
    return verdict, reason


def rejudged(text: str, report: Report, config: Config) -> Report:
    """``report`` on ``text`` as ``config``'s thresholds judge it: the verdict from its spun
    probability by ``config``'s spun and clean thresholds, the findings at least
    ``config.finding_threshold`` confident, the restored text made of those.  The report must
    come from a configuration whose finding threshold is no higher (findings below that were never
    made).  A text that was not judged (too short, not English, ...) keeps its report."""
    content = report.features.get("content_words")
    if content is None:
        return report
    findings = tuple(f for f in report.findings if f.confidence >= config.finding_threshold)
    verdict, reason = _verdict(report.spun_probability, int(content), config, findings)
    return Report(verdict, report.spun_probability, findings, apply_findings(text, findings), reason, report.features)


def _uncertain(text: str, reason: str) -> Report:
    return Report(verdict="uncertain", spun_probability=0.5, findings=(), restored=text, reason=reason)


def _recased(text: str, report: Report) -> Report:
    """The report on ``text`` checked in lower case (:func:`~unspin.text.lowered_in_place`, so the
    offsets hold): each finding's text as ``text`` has it, originals in its capitals."""
    findings = []
    for f in report.findings:
        surface = text[f.start : f.end]
        alternatives = tuple(Alternative(match_case(a.text, surface), a.score) for a in f.alternatives)
        findings.append(replace(f, text=surface, original=match_case(f.original, surface), alternatives=alternatives))
    return replace(report, findings=tuple(findings), restored=apply_findings(text, findings))


@functools.lru_cache(maxsize=4)
def _engine(config: Config) -> Engine:
    return Engine(config)


def check(text: str, config: Config | None = None) -> Report:
    """Check ``text`` for spinning: verdict, probability, findings and the restored text."""
    if config is not None and not isinstance(config, Config):
        raise TypeError(f"config must be an unspin.Config, not {type(config).__name__}: Config(**settings) makes one")
    return _engine(config or DEFAULT_CONFIG).check(text)


def restore(text: str, config: Config | None = None) -> str:
    """The most likely original wording of ``text`` (the input itself where nothing was found)."""
    return check(text, config).restored
