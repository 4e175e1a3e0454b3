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

import dataclasses
import functools
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources as importlib_resources
from typing import Any

from .candidates import Candidate, CandidateGenerator, lexicon_evidence
from .config import DEFAULT_CONFIG, Config
from .errors import CheckTimeout
from .lexicon import Lexicon, builtin_lexicon
from .report import Alternative, Finding, Report, Verdict, apply_findings, match_case
from .resources import Resources, default_resources
from .text import STOPWORDS, Token, check_text, sentence_spans, tokenize

# Decoder constants, chosen with bench/detect.py on synthetic spins of the BBC
# training split and the development pairs.  A permissive decoder proposes
# substitutions; the finding model (data/finding_model.json) decides which to keep.
SUBSTITUTION_COST = -0.5  # log10 cost of claiming any substitution in the beam search
PRIOR_WEIGHT = 0.5  # weight of the channel prior (log10) against the language model
LOCAL_MARGIN = 2.5  # candidates this much worse than the word as written are pruned
MAX_CANDIDATES = 4  # candidates per position kept for the beam search
PRESELECT = 8  # candidates per position given a full context score
BEAM = 6  # states kept per position
GATE = -4.0  # log10 P(word, next | context) above which a word's synonyms are not examined


@dataclass(frozen=True, slots=True)
class _Edge:
    start: int
    cand: Candidate
    local_gain: float

    @property
    def local_score(self) -> float:
        """How much better the candidate reads here than the word, with its priors."""
        return self.local_gain + PRIOR_WEIGHT * self.cand.prior - SUBSTITUTION_COST * self.cand.lexicon_evidence


class Engine:
    """Detects and restores spun text; holds its resources and lexicon."""

    def __init__(
        self,
        config: Config = DEFAULT_CONFIG,
        resources: Resources | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.config = config
        self.res = resources or default_resources()
        if lexicon is None:
            lexicon = builtin_lexicon() if config.use_builtin_lexicon else Lexicon()
            if config.lexicon_path:
                lexicon = lexicon.merge(Lexicon.load(config.lexicon_path))
        self.lexicon = lexicon
        self.candidates = CandidateGenerator(self.res, lexicon)
        self.doc_model = _load_model("doc_model.json", "unspin-doc-model 1")
        self.finding_model = _load_model("finding_model.json", "unspin-finding-model 1")

    # --- public ---------------------------------------------------------------

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
        tokens = tokenize(text)
        words = [t for t in tokens if t.kind == "word"]
        if len(words) < self.config.min_words:
            return _uncertain(text, f"too short to judge: {len(words)} words, need {self.config.min_words}")
        share = self._english_share(words)
        if share < self.config.min_english_share:
            return _uncertain(
                text,
                f"does not look like English: {share:.0%} of words are known English words "
                f"(need {self.config.min_english_share:.0%})",
            )
        findings: list[Finding] = []
        stats = _Stats()
        spans = sentence_spans(text, tokens)
        for done, (a, b) in enumerate(spans):
            for seg in _segments(tokens[a:b]):
                if deadline is not None and time.monotonic() > deadline:
                    raise CheckTimeout("the check ran past its deadline")
                findings.extend(self._decode(text, seg, stats))
            if progress is not None:
                progress(done + 1, len(spans))
        features = stats.features(findings)
        prob = self.doc_model.probability(features)
        # A swap in a text that otherwise reads naturally needs stronger evidence:
        # the language evidence of each finding is weighed by how spun the
        # document looks (a lexicon's record of the swap is not).
        findings = [_weigh(f, 0.7 + 0.3 * prob) for f in findings]
        accepted = tuple(f for f in findings if f.confidence >= self.config.finding_threshold)
        cfg = self.config
        hi, lo = cfg.spun_threshold, cfg.clean_threshold
        if stats.content < cfg.short_text_words:  # little evidence: only clear cases get a verdict
            hi, lo = max(hi, 0.9), min(lo, 0.1)
        verdict: Verdict = "spun" if prob >= hi else "clean" if prob <= lo else "uncertain"
        reason = "" if verdict != "uncertain" else (
            f"short text ({stats.content} content words): the evidence is not conclusive"
            if stats.content < cfg.short_text_words else "the evidence is not conclusive"
        )
        return Report(
            verdict=verdict,
            spun_probability=prob,
            findings=accepted,
            restored=apply_findings(text, accepted),
            reason=reason,
            features=features,
        )

    def _english_share(self, words: Sequence[Token]) -> float:
        """Share of lowercase words that are English function words or in the thesaurus
        (capitalised words are left out: names are unknown in any language)."""
        th, infl = self.res.thesaurus, self.res.inflector
        lower = [t for t in words if not t.text[:1].isupper()] or list(words)
        known = sum(
            1
            for t in lower
            if t.norm in STOPWORDS or t.norm in th or any(lemma in th for _, lemma, _ in infl.analyses(t.norm))
        )
        return known / len(lower)

    # --- decoding ---------------------------------------------------------------

    def _mutable(self, seg: Sequence[Token], i: int, sentence_start: bool) -> bool:
        tok = seg[i]
        if tok.kind != "word" or tok.norm in STOPWORDS or not tok.norm.replace("-", "").isalpha():
            return False
        if tok.text[:1].isupper() and not sentence_start:
            return False  # a name: spinners leave those
        return not (tok.text.isupper() and len(tok.text) > 1)

    def _edges(self, seg: Sequence[Token], words: list[str], stats: _Stats) -> list[list[_Edge]]:
        lm = self.res.lm
        n = len(words)
        edges: list[list[_Edge]] = [[] for _ in range(n)]
        lex_max = self.lexicon.max_len
        # which words a spinner could have swapped (a segment's first word may be capitalised)
        inside = [self._mutable(seg, j, False) for j in range(n)]
        for i in range(n):
            mutable = inside[i] or (i == 0 and self._mutable(seg, 0, True))
            cands: list[Candidate] = []
            p2 = words[i - 2] if i >= 2 else None
            p1 = words[i - 1] if i >= 1 else None
            if mutable:
                stats.content += 1
                # cheap gate: a word that reads naturally where it stands is left alone
                fit = lm.score(words[i : i + 2], (p2, p1))
                if fit < GATE:
                    cands.extend(self.candidates.single(words[i]))
                else:
                    stats.gains.append(0.0)
                cands.extend(self.candidates.lexicon_hits((words[i],)))
            for length in range(2, min(max(3, lex_max), n - i) + 1):
                span = tuple(words[i : i + length])
                if mutable or any(inside[i : i + length]):
                    if length <= 3:
                        cands.extend(self.candidates.phrase(span))
                cands.extend(self.candidates.lexicon_hits(span))
            if not cands:
                continue
            if len(cands) > PRESELECT:
                # one cheap look at the left context picks the candidates worth a full score
                quick = sorted(
                    (-(lm.logprob(c.original[0], p1, p2) + PRIOR_WEIGHT * c.prior), k)
                    for k, c in enumerate(cands)
                    if c.source != "lexicon"
                )
                keep = {k for _, k in quick[:PRESELECT]}
                cands = [c for k, c in enumerate(cands) if c.source == "lexicon" or k in keep]
            scored: list[_Edge] = []
            base: dict[int, float] = {}
            for c in cands:
                right = words[i + c.length : i + c.length + 2]
                with_s = base.get(c.length)
                if with_s is None:
                    with_s = base[c.length] = lm.score([*words[i : i + c.length], *right], (p2, p1))
                gain = lm.score([*c.original, *right], (p2, p1)) - with_s
                scored.append(_Edge(i, c, gain))
            scored.sort(key=lambda e: -e.local_score)
            if mutable and fit < GATE:
                best_single = max((e.local_gain for e in scored if e.cand.length == 1), default=0.0)
                stats.gains.append(best_single)
            edges[i] = [e for e in scored if e.local_score > -LOCAL_MARGIN][:MAX_CANDIDATES]
        return edges

    def _decode(self, text: str, seg: list[Token], stats: _Stats) -> list[Finding]:
        words = [t.norm for t in seg]
        n = len(words)
        edges = self._edges(seg, words, stats)
        if not any(edges):
            return []
        lm = self.res.lm
        # beams[pos]: (p2, p1) -> (score, path) where path is a tuple of chosen edges
        beams: list[dict[tuple[str | None, str | None], tuple[float, tuple[_Edge, ...]]]] = [
            {} for _ in range(n + 1)
        ]
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
                    cost = SUBSTITUTION_COST * (1.0 - e.cand.lexicon_evidence)
                    s = score + cost + PRIOR_WEIGHT * e.cand.prior + lm.score(list(out), (p2, p1))
                    key = (out[-2] if len(out) > 1 else p1, out[-1])
                    _push(beams[pos + e.cand.length], key, s, (*path, e))
        final = max(beams[n].values(), key=lambda v: v[0])
        chosen = final[1]
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
        return [self._finding(text, seg, words, restored, starts[e.start], e, edges) for e in chosen]

    def _finding(
        self, text: str, seg: list[Token], words: list[str], restored: list[str], at: int, e: _Edge,
        edges: list[list[_Edge]],
    ) -> Finding:
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
            "lexicon": 1.0 if c.source == "lexicon" else 0.0,
            "related": 1.0 if c.source == "related" else 0.0,
            "span_words": float(c.length),
            "candidates": float(len(edges[e.start])),
            "lexicon_count": c.lexicon_count,
        }
        # the model judges the language evidence; a lexicon's record of this very
        # swap is independent evidence, combined as a noisy-or (in _weigh)
        feats["language_confidence"] = self.finding_model.probability(feats)
        confidence = _combine(feats["language_confidence"], c.lexicon_evidence)
        first, last = seg[e.start], seg[e.start + c.length - 1]
        surface = text[first.start : last.end]
        alts: list[Alternative] = []
        seen: set[tuple[str, ...]] = set()
        same_span = [x for x in edges[e.start] if x.cand.length == c.length]
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
            signals={**feats, "margin": margin, "source": c.source},
        )


def _combine(language: float, lexicon: float) -> float:
    """Noisy-or of the language evidence and the lexicon evidence."""
    return 1.0 - (1.0 - language) * (1.0 - lexicon)


def _weigh(f: Finding, document_weight: float) -> Finding:
    """``f`` with its language evidence scaled by ``document_weight`` (0..1)."""
    language = float(f.signals["language_confidence"]) * document_weight
    lexicon = lexicon_evidence(float(f.signals["lexicon_count"]))
    return dataclasses.replace(f, confidence=_combine(language, lexicon))


def _push(beam: dict[Any, tuple[float, tuple[_Edge, ...]]], key: Any, score: float, path: tuple[_Edge, ...]) -> None:
    old = beam.get(key)
    if old is None or score > old[0]:
        beam[key] = (score, path)


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


class _Stats:
    def __init__(self) -> None:
        self.content = 0
        self.gains: list[float] = []

    def features(self, findings: Sequence[Finding]) -> dict[str, float]:
        """Document features from every decoded finding (before the confidence cut)."""
        n = max(1, self.content)
        confs = [f.confidence for f in findings]
        return {
            "content_words": float(self.content),
            "log_content_words": math.log(1 + self.content),
            "finding_rate": sum(1 for c in confs if c >= 0.5) / n,
            "strong_rate": sum(1 for c in confs if c >= 0.8) / n,
            "confidence_mass": sum(confs) / n,
            "mean_confidence": sum(confs) / len(confs) if confs else 0.0,
            "gain1_rate": sum(1 for g in self.gains if g > 1.0) / n,
            "gain2_rate": sum(1 for g in self.gains if g > 2.0) / n,
        }


@dataclass(frozen=True)
class LogisticModel:
    """A logistic model stored as JSON: standardised features, weights, bias."""

    weights: dict[str, float]
    bias: float
    mean: dict[str, float]
    scale: dict[str, float]

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias
        for k, w in self.weights.items():
            z += w * (features.get(k, 0.0) - self.mean.get(k, 0.0)) / self.scale.get(k, 1.0)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@functools.lru_cache(maxsize=8)
def _load_model(name: str, fmt: str) -> LogisticModel:
    raw = json.loads(importlib_resources.files("unspin").joinpath(f"data/{name}").read_text(encoding="utf-8"))
    if raw.get("format") != fmt:
        raise ValueError(f"unspin/data/{name} is not in format {fmt!r}")
    return LogisticModel(
        dict(raw["weights"]), float(raw["bias"]), dict(raw.get("mean", {})), dict(raw.get("scale", {}))
    )


def _uncertain(text: str, reason: str) -> Report:
    return Report(verdict="uncertain", spun_probability=0.5, findings=(), restored=text, reason=reason)


@functools.lru_cache(maxsize=4)
def _engine(config: Config) -> Engine:
    return Engine(config)


def check(text: str, config: Config | None = None) -> Report:
    """Check ``text`` for spinning: verdict, probability, findings and the restored text."""
    return _engine(config or DEFAULT_CONFIG).check(text)


def restore(text: str, config: Config | None = None) -> str:
    """The most likely original wording of ``text`` (the input itself where nothing was found)."""
    return check(text, config).restored
