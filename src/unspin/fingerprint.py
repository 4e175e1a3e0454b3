"""Spin-robust fingerprints: the skeleton of a text, shingled and winnowed.

A synonym spinner swaps content words and leaves the rest alone: function
words, word order, punctuation, numbers and names.  Word-shingle hashes
(MinHash, SimHash) break at every swapped word; fingerprints of the part the
spinner cannot touch do not.

The **skeleton** of a text keeps, in order:

* function words (:data:`unspin.text.STOPWORDS`; Stamatatos 2011),
* numbers,
* *immutable* words: words for which the thesaurus offers no single-word
  synonym, under any reading of the word (names, rare terms, most proper
  nouns; the "immutables" of DSpin, NDSS 2014),
* sentence punctuation (``. , ; : ? ! "`` and the like),

and collapses every run of *mutable* words (the ones a spinner may swap) into
one gap marker ``*``.  Collapsing keeps the shape of the sentence while
ignoring how many words a spinner used for a phrase ("help" -> "give a hand").

Fingerprints are hashes of skeleton ``n``-grams selected by **winnowing**
(Schleimer, Wilkerson & Aiken 2003): in every window of ``w`` consecutive
n-gram hashes the smallest is kept.  That guarantees that any shared run of at
least ``n + w - 1`` skeleton tokens yields at least one shared fingerprint,
while keeping about ``2 / (w + 1)`` of the n-grams.

The defaults ``n = 5`` and ``w = 10`` were chosen by measurement
(``python bench/trace.py --sweep``, table in bench/TRACE.md).  On BBC News
spun by the project's generator every setting from n = 4 to 12 ranks the
source first for all whole copies at 40 % swaps and all partial copies, so
synthetic spins do not discriminate.  Six real spun web pages
(shared/data/wild_dev) do: real spinners also change function words
("such as" -> "together with"), and with n >= 6 one or more of them shares no
fingerprint with its original, while n = 4 or 5 finds all six among the top
10 candidates.  n = 5 gives unrelated articles less chance overlap than
n = 4; w = 10 keeps about 68 fingerprints per BBC article (18 % of the
n-grams) and still guarantees that any shared skeleton run of 14 tokens (a
sentence) is found.

Hashes are stable across processes and machines (BLAKE2 of each skeleton
token, a polynomial combination, a SplitMix64 finaliser) and are 47-bit
non-negative integers so SQLite stores them in 6 bytes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np

from .resources import Resources, default_resources
from .text import PLAIN_APOSTROPHES, STOPWORDS, unmasked

#: Bumped whenever the hashing or the skeleton rules change; stored in indexes.  (3: invisible
#: characters inside a word no longer split it, and a Latin word's Cyrillic or Greek lookalike
#: letters are read as Latin ones; an index of version 2 is refused, to be rebuilt.)
SCHEME_VERSION = 3

HASH_BITS = 47
_MASK = np.uint64((1 << HASH_BITS) - 1)
_GAP = "\x00*"
_DROP = -1

# The token pattern of unspin.text.tokenize, without groups (findall gives strings).
# Words (letters/digits with inner ' or -) and the punctuation kept in skeletons.
# Simpler and three times faster than unspin.text's pattern; offsets are not needed.
_TOKEN_RE = re.compile(r"\w+(?:['-]\w+)*|[.,;:?!\"()]")
# straight quotes for curly ones, and no invisible characters (unspin.text's table, and double quotes)
_PLAIN = {**PLAIN_APOSTROPHES, ord("\u201c"): '"', ord("\u201d"): '"'}
_KEPT_PUNCT = frozenset('.,;:?!"()')


# WordNet's detachment rules (morphy) plus the doubled consonant of "stopped", "running".
_DETACH = (
    ("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
    ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
    ("er", ""), ("est", ""), ("er", "e"), ("est", "e"), ("ier", "y"), ("iest", "y"), ("ied", "y"),
    ("bbed", "b"), ("dded", "d"), ("gged", "g"), ("mmed", "m"), ("nned", "n"), ("pped", "p"), ("rred", "r"), ("tted", "t"),
    ("bbing", "b"), ("dding", "d"), ("gging", "g"), ("mming", "m"), ("nning", "n"), ("pping", "p"), ("rring", "r"), ("tting", "t"),
)


def _load_exceptions(wordnet_dir: Path) -> dict[str, tuple[str, ...]]:
    """WordNet's irregular forms (``verb.exc`` etc.): inflected form -> base forms."""
    out: dict[str, list[str]] = {}
    for pos in ("noun", "verb", "adj", "adv"):
        path = wordnet_dir / f"{pos}.exc"
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2:
                    out.setdefault(parts[0].replace("_", " "), []).extend(p.replace("_", " ") for p in parts[1:])
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def _stable_hash(token: str) -> int:
    """A 62-bit code for a skeleton token, never 0 or -1, the same on every machine."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "little") >> 2) | 1


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return x


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """The fingerprints of one text: sorted unique 47-bit hashes and skeleton size."""

    hashes: np.ndarray  # int64, sorted, unique
    skeleton_length: int

    def __len__(self) -> int:
        return int(self.hashes.shape[0])


class Fingerprinter:
    """Computes skeleton fingerprints; holds the per-word classification cache.

    ``n`` is the skeleton n-gram length, ``w`` the winnowing window.  One
    instance is cheap to keep and faster the longer it lives (each distinct
    word is looked up in the thesaurus once).
    """

    def __init__(self, n: int = 5, w: int = 10, resources: Resources | None = None) -> None:
        if n < 1:
            raise ValueError(f"fingerprint n-gram length must be at least 1, got {n}")
        if w < 1:
            raise ValueError(f"winnowing window must be at least 1, got {w}")
        self.n = n
        self.w = w
        self._res = resources or default_resources()
        self._codes: dict[str, int] = {}
        self._exceptions: dict[str, tuple[str, ...]] | None = None
        self._gap_code = _stable_hash(_GAP)
        self._powers = np.array([pow(0x100000001B3, k, 1 << 64) for k in range(n)][::-1], dtype=np.uint64)

    @property
    def signature(self) -> str:
        """Identifies the scheme; an index built with one signature is queried with the same."""
        return f"skeleton-v{SCHEME_VERSION}:n={self.n}:w={self.w}"

    # --- skeleton ------------------------------------------------------------

    def is_mutable(self, word: str) -> bool:
        """Whether a spinner could swap ``word`` (lowercase) for a thesaurus synonym.

        True when WordNet offers a single-word synonym for the word or for one
        of its base forms (WordNet's own morphology: exception lists and
        suffix rules, as in ``morphy``).
        """
        if word in STOPWORDS:
            return False
        th = self._res.thesaurus
        for lemma in self._base_forms(word):
            for syn in th.synonyms(lemma):
                if " " not in syn.word:
                    return True
        return False

    def _base_forms(self, word: str) -> list[str]:
        if self._exceptions is None:
            self._exceptions = _load_exceptions(self._res.thesaurus.dir)
        th = self._res.thesaurus
        out = [word]
        out.extend(self._exceptions.get(word, ()))
        for suffix, ending in _DETACH:
            if word.endswith(suffix) and len(word) > len(suffix) + 1:
                base = word[: len(word) - len(suffix)] + ending
                if base in th:
                    out.append(base)
        return out

    def _classify(self, tok: str) -> int:
        ch = tok[0]
        if ch.isdigit() or ch == "_":
            code = _stable_hash(tok)
        elif ch.isalpha():
            code = self._gap_code if self.is_mutable(tok) else _stable_hash(tok)
        elif tok in _KEPT_PUNCT:
            code = _stable_hash(tok)
        else:
            code = _DROP
        self._codes[tok] = code
        return code

    def _codes_of(self, tokens: list[str]) -> np.ndarray:
        get = self._codes.get
        codes = np.fromiter(map(get, tokens, repeat(0)), dtype=np.int64, count=len(tokens))
        for i in np.flatnonzero(codes == 0).tolist():
            t = tokens[i]
            codes[i] = get(t) or self._classify(t)
        return codes

    def _tokens(self, text: str) -> list[str]:
        if text.isascii():
            return _TOKEN_RE.findall(text.lower())
        text = unicodedata.normalize("NFKC", text).translate(_PLAIN)
        # (a Latin word with Cyrillic or Greek lookalikes in it is read as the word it imitates)
        return [t if t.isascii() else unmasked(t) for t in _TOKEN_RE.findall(text.lower())]

    def skeleton(self, text: str) -> list[str]:
        """The skeleton as readable tokens (``*`` for a gap); for inspection and tests."""
        tokens = self._tokens(text)
        out: list[str] = []
        for tok, code in zip(tokens, self._codes_of(tokens).tolist(), strict=True):
            if code == _DROP:
                continue
            label = "*" if code == self._gap_code else tok
            if label == "*" and out and out[-1] == "*":
                continue
            out.append(label)
        return out

    # --- fingerprints -------------------------------------------------------

    def fingerprints(self, text: str) -> Fingerprints:
        """The winnowed fingerprints of one text."""
        return self.fingerprints_many([text])[0]

    def fingerprints_many(self, texts: Sequence[str]) -> list[Fingerprints]:
        """Fingerprints of many texts at once (vectorised; same result as one by one)."""
        token_lists = [self._tokens(t) for t in texts]
        flat_tokens = [t for toks in token_lists for t in toks]
        codes = self._codes_of(flat_tokens)
        doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), [len(t) for t in token_lists])
        keep = codes != _DROP
        codes, doc_of = codes[keep], doc_of[keep]
        # collapse runs of gaps (within one document) to one gap
        is_gap = codes == self._gap_code
        dup = np.zeros(codes.shape[0], dtype=bool)
        dup[1:] = is_gap[1:] & is_gap[:-1] & (doc_of[1:] == doc_of[:-1])
        codes, doc_of = codes[~dup], doc_of[~dup]
        return self._select(codes.view(np.uint64), doc_of, len(texts))

    def _select(self, flat: np.ndarray, doc_of: np.ndarray, ndocs: int) -> list[Fingerprints]:
        n, w = self.n, self.w
        lengths = np.bincount(doc_of, minlength=ndocs)
        out: list[Fingerprints] = [Fingerprints(np.empty(0, dtype=np.int64), int(k)) for k in lengths]
        total = int(flat.shape[0])
        if total < n:
            return out
        # n-gram hashes over the concatenation; keep those inside one document
        windows = np.lib.stride_tricks.sliding_window_view(flat, n)
        with np.errstate(over="ignore"):
            raw = (windows * self._powers).sum(axis=1, dtype=np.uint64)
        hashes = (_splitmix(raw) & _MASK).astype(np.int64)
        same = doc_of[: total - n + 1] == doc_of[n - 1 :]
        hashes = hashes[same]
        hdoc = doc_of[: total - n + 1][same]
        if hashes.size == 0:
            return out
        counts = np.bincount(hdoc, minlength=ndocs)
        selected_pos: list[np.ndarray] = []
        if hashes.size >= w:
            win = np.lib.stride_tricks.sliding_window_view(hashes, w)
            pos = win.argmin(axis=1) + np.arange(win.shape[0])
            ok = hdoc[: hashes.size - w + 1] == hdoc[w - 1 :]
            selected_pos.append(pos[ok])
        # documents with fewer than w n-grams: keep their smallest n-gram hash
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        for d in np.nonzero((counts > 0) & (counts < w))[0].tolist():
            first = int(starts[d])
            selected_pos.append(np.array([first + int(hashes[first : first + counts[d]].argmin())]))
        chosen = np.zeros(hashes.shape[0], dtype=bool)
        for pos in selected_pos:
            chosen[pos] = True
        pos_all = np.flatnonzero(chosen)
        sel_doc = hdoc[pos_all]
        sel_hash = hashes[pos_all]
        order = np.lexsort((sel_hash, sel_doc))
        sel_doc, sel_hash = sel_doc[order], sel_hash[order]
        bounds = np.searchsorted(sel_doc, np.arange(ndocs + 1))
        for d in range(ndocs):
            a, b = int(bounds[d]), int(bounds[d + 1])
            if b > a:
                h = sel_hash[a:b]
                keep = np.ones(h.shape[0], dtype=bool)
                keep[1:] = h[1:] != h[:-1]
                out[d] = Fingerprints(h[keep], int(lengths[d]))
        return out
