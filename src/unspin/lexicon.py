"""Substitution lexicons: which original phrases a spinner turns into which spun ones.

File format (``unspin-lexicon`` version 2), UTF-8 tab-separated::

    # unspin-lexicon 2
    spun<TAB>original<TAB>count<TAB>source

``spun`` and ``original`` are lowercase, tokens separated by single spaces;
``count`` is how often the pair was seen (learned) or a weight (curated);
``source`` says where it came from (``curated``, ``learned``, ``learned:<corpus>``, ...).
The detector reads an entry whose sources include ``curated`` as a weight
(evidence ``1 - 0.5**count``) and any other as counts learned from traced copies
(see :meth:`unspin.candidates.CandidateGenerator.lexicon_hits`).
A row whose ``original`` is its ``spun`` phrase (version 2) counts the times the
spinner left that phrase as it was: "people" swapped for "humans" three times
but left alone fifty is weak evidence of a swap, and :mod:`unspin.learn`
records both.  Version 1 files (no such rows) are read as well.  Lines
starting with ``#`` after the header are comments; ``# learned-from DIGEST``
ones name the texts :mod:`unspin.learn` has learned from, so that it never
counts a text twice.  The header is checked on load, so a file of another
format fails with a clear error.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path

from .errors import ResourceError, file_problem

HEADER = "# unspin-lexicon 2"
HEADERS = ("# unspin-lexicon 1", HEADER)  # the versions read
LEARNED_FROM = "# learned-from "  # a comment line naming a text learned from (by its digest)
# the largest count or weight a pair may have: a billion times seen; far past where its evidence
# saturates, and far from where float arithmetic on it breaks (a count of 1e16 made every check fail)
MAX_COUNT = 1e9


def tsv_rows(
    text: str, header: str | tuple[str, ...], fields: int, name: str, what: str
) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of each row of a versioned tab-separated data file whose
    first line is ``header`` (or one of them); blank lines and ``#`` comments (indented ones too) are skipped."""
    lines = text.splitlines()
    headers = (header,) if isinstance(header, str) else header
    if not lines or lines[0].strip() not in headers:
        raise ResourceError(f"{name} is not {what}: its first line must be {' or '.join(map(repr, headers))}")
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != fields:
            raise ResourceError(f"{name}:{n}: expected {fields} tab-separated fields, found {len(parts)}")
        yield n, parts


@dataclass(frozen=True, slots=True)
class Entry:
    spun: str
    original: str
    count: float
    source: str
    # ``count`` in its two parts: what curated records gave (a weight) and the swaps seen in traced
    # copies.  A pair both curated and learned (the built-in lexicon's, learned again from a user's
    # copies) keeps them apart: a learned count never raises a curated weight (nor makes a pair
    # certain).  (``swaps`` None: an entry made by hand, all of whose count is of its source's kind.)
    curated: float = 0.0
    swaps: float | None = None

    @property
    def weight(self) -> float:
        """The curated weight (0 where no curated record lists the pair)."""
        if self.swaps is not None:
            return self.curated
        return self.count if _is_curated(self.source) else 0.0

    @property
    def learned(self) -> float:
        """The swaps seen in traced copies."""
        return self.swaps if self.swaps is not None else (0.0 if _is_curated(self.source) else self.count)

    @property
    def certain(self) -> bool:
        """A curated pair weighed :data:`CERTAIN_WEIGHT` or more: one no writer makes."""
        return self.weight >= CERTAIN_WEIGHT

    def parts(self) -> list[tuple[float, str]]:
        """``(count, source)`` of the curated record and of the learned one, those it has."""
        sources = self.source.split(",")
        out = []
        if self.weight > 0:
            out.append((self.weight, "curated"))
        if self.learned > 0:
            out.append((self.learned, ",".join(s for s in sources if s != "curated") or "learned"))
        return out


def _is_curated(source: str) -> bool:
    return "curated" in source.split(",")


class Lexicon:
    """A multiset of (spun phrase → original phrase) pairs with counts."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._by_spun: dict[str, dict[str, Entry]] = defaultdict(dict)
        self._kept: dict[str, float] = {}  # spun phrase -> times the spinner left it as it was
        self.learned_from: set[str] = set()  # digests of the texts learned from (unspin.learn.text_digest)
        self.max_len = 1
        self.first_words: set[str] = set()  # the first word of every spun phrase
        for e in entries:
            for count, source in e.parts():
                self.add(e.spun, e.original, count, source)

    def add(self, spun: str, original: str, count: float = 1.0, source: str = "learned") -> None:
        if not (math.isfinite(count) and count > 0):
            raise ValueError(f"a pair's count must be a positive number, not {count!r}")
        if count > MAX_COUNT:
            raise ValueError(f"a pair's count must be at most {MAX_COUNT:g}, not {count!r}")
        spun, original = _phrase(spun, "spun phrase"), _norm(original)
        if not spun or not original or spun == original:
            return
        curated, swaps = (count, 0.0) if _is_curated(source) else (0.0, count)
        old = self._by_spun[spun].get(original)
        if old is not None:  # (each part capped on its own, so that each reads back as written)
            curated = min(MAX_COUNT, curated + old.curated)
            swaps = min(MAX_COUNT, swaps + old.learned)
            source = old.source if old.source == source else ",".join(dict.fromkeys([*old.source.split(","), *source.split(",")]))
        self._by_spun[spun][original] = Entry(spun, original, curated + swaps, source, curated, swaps)
        self.max_len = max(self.max_len, spun.count(" ") + 1)
        self.first_words.add(spun.partition(" ")[0])

    def add_kept(self, phrase: str, count: float) -> None:
        """Record that the spinner left ``phrase`` as it was ``count`` more times."""
        if not (math.isfinite(count) and 0 <= count <= MAX_COUNT):
            raise ValueError(f"a kept count must be a number of at least 0 and at most {MAX_COUNT:g}, not {count!r}")
        phrase = _phrase(phrase, "kept phrase")
        if phrase and count > 0:
            self._kept[phrase] = min(MAX_COUNT, self._kept.get(phrase, 0.0) + count)

    def kept(self, phrase: str) -> float:
        """How often the spinner was seen leaving ``phrase`` as it was (0 if never)."""
        return self._kept.get(phrase, 0.0)

    def respelled(self, spell: Callable[[str], str]) -> Lexicon:
        """This lexicon with every spun phrase spelled word by word by ``spell`` (the detector
        reads "organised" as "organized"), the counts of phrases that then meet added up; itself
        where no phrase changes."""
        def respell(phrase: str) -> str:
            return " ".join(spell(w) for w in phrase.split())

        if all(respell(p) == p for p in (*self._by_spun, *self._kept)):
            return self
        out = Lexicon()
        for e in self:
            for count, source in e.parts():
                out.add(respell(e.spun), e.original, count, source)
        for phrase, count in self._kept.items():
            out.add_kept(respell(phrase), count)
        out.learned_from = set(self.learned_from)
        return out

    def merge(self, other: Lexicon) -> Lexicon:
        out = Lexicon(self)
        out._kept = dict(self._kept)
        out.learned_from = self.learned_from | other.learned_from
        for e in other:
            for count, source in e.parts():
                out.add(e.spun, e.original, count, source)
        for phrase, count in other._kept.items():
            out.add_kept(phrase, count)
        return out

    def updated(self, other: Lexicon) -> Lexicon:
        """This lexicon with ``other``'s pairs in place of its own for the same swap, and its kept
        counts in place of its own for the same phrase: importing a list again, or with another
        weight, sets the weights it gives instead of adding them up (:meth:`merge` adds)."""
        out = Lexicon()
        for e in [*(e for e in self if not (e.spun in other._by_spun and e.original in other._by_spun[e.spun])), *other]:
            for count, source in e.parts():
                out.add(e.spun, e.original, count, source)
        out._kept = {**self._kept, **other._kept}
        out.learned_from = self.learned_from | other.learned_from
        return out

    def originals(self, spun: str) -> list[Entry]:
        """Known originals of ``spun``, most frequent first."""
        found = self._by_spun.get(spun)
        return sorted(found.values(), key=lambda e: -e.count) if found else []

    def __contains__(self, spun: str) -> bool:
        return spun in self._by_spun

    def __iter__(self) -> Iterator[Entry]:
        for table in self._by_spun.values():
            yield from table.values()

    def __len__(self) -> int:
        return sum(len(t) for t in self._by_spun.values())

    # --- files ---------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Lexicon:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")  # (an editor's byte-order mark is no part of the header)
        except OSError as exc:
            why = file_problem(exc)
            if why is None:
                raise
            raise ResourceError(f"lexicon file {path}: {why}") from None
        except UnicodeDecodeError:
            raise ResourceError(f"lexicon file {path} is not UTF-8 text") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, name: str = "<lexicon>") -> Lexicon:
        lex = cls()
        lex.learned_from = {line[len(LEARNED_FROM):].strip() for line in text.splitlines() if line.startswith(LEARNED_FROM)}
        for n, parts in tsv_rows(text, HEADERS, 4, name, "an unspin lexicon"):
            try:
                count = float(parts[2])
            except ValueError:
                raise ResourceError(f"{name}:{n}: count {parts[2]!r} is not a number") from None
            try:  # (a row with its phrase twice counts the times it was left as it was)
                if _norm(parts[0]) == _norm(parts[1]):
                    lex.add_kept(parts[0], count)
                else:
                    lex.add(parts[0], parts[1], count, parts[3])
            except ValueError as exc:  # the count is out of range: add and add_kept say which are allowed
                raise ResourceError(f"{name}:{n}: {exc}") from None
        return lex

    def dumps(self) -> str:
        # (a pair both curated and learned is written as two rows, its weight and its swaps, which
        # read back as they were)
        rows = [*((e.spun, e.original, n, s) for e in self for n, s in e.parts()),
                *((p, p, n, "kept") for p, n in self._kept.items())]
        rows.sort(key=lambda r: (r[0], r[1] != r[0], -r[2], r[1], r[3]))
        body = "".join(f"{s}\t{o}\t{_count_text(n)}\t{src}\n" for s, o, n, src in rows)
        learned = "".join(f"{LEARNED_FROM}{d}\n" for d in sorted(self.learned_from))
        return f"{HEADER}\n{learned}{body}"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half."""
        path = Path(path)
        try:  # the file's permissions stay as they were; a new one gets the usual ones, not mkstemp's 0600
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644  # (reading the umask would change it for every thread a moment)
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.dumps())
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


# words that name a list's columns ("tortured", "Expected phrase", "spun_phrase", "correct"): a first
# row whose two fields each hold one is the header, not a pair
COLUMN_WORDS = frozenset({
    "spun", "tortured", "phrase", "phrases", "original", "originals", "expected", "replacement", "source",
    "target", "correct", "correction", "fixed", "from", "to", "term", "terms", "text", "wrong", "right",
})
# A curated pair weighed at least this (evidence 1 - 0.5**3 = 0.875) is one no writer makes
# ("counterfeit consciousness", or a screener's list of tortured phrases): the detector restores
# it wherever its phrase stands, whichever words its language model prefers there (it knows
# news, not "hidden layer"), and the phrase may take in a name ("quick Fourier remodel").
CERTAIN_WEIGHT = 3.0


def is_certain(count: float, source: str) -> bool:
    """Whether a record of this count and source is certain (see :data:`CERTAIN_WEIGHT`): curated,
    and weighed that much.  Of a lexicon's pair, which may be curated and learned at once,
    :attr:`Entry.certain` says it (its learned swaps never add to its weight)."""
    return count >= CERTAIN_WEIGHT and _is_curated(source)

_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")


@dataclass
class PairImport:
    """What :func:`import_pairs` read: the lexicon, and the rows it left out by reason, each with
    its line numbers."""

    lexicon: Lexicon
    skipped: dict[str, list[int]]
    header: bool = False  # the first row named the columns and was skipped
    word_pairs: int = 0  # word swaps taken from the listed phrases (see import_pairs)


IMPORT_WEIGHT = 4.0  # the curated weight lexicon import gives each listed pair
IMPORT_WORD_PAIRS = 2  # listed phrases that must show a word swap for it to be taken too


def import_pairs(
    text: str, weight: float = IMPORT_WEIGHT, name: str = "<pairs>", word_pairs: int = IMPORT_WORD_PAIRS
) -> PairImport:
    """A curated lexicon from a list of swapped phrases, one ``spun<TAB>original`` pair per line
    (more columns are ignored: a tortured-phrase list's ``tortured<TAB>expected<TAB>papers``).

    Each pair gets the curated ``weight``; at :data:`CERTAIN_WEIGHT` or more the detector restores
    it wherever its phrase stands.  A first row of column names, blank lines and ``#`` comments are
    skipped.  The spun phrase is read with the detector's own tokenizer, so a row it could never
    match (a number, a bracket or other punctuation in the phrase: the detector's phrases are
    runs of words) is left out and counted, as are rows without an original, with an unknown one
    (``???``) or with the spun phrase as original.  Parenthesised parts of an original, such as
    an acronym ("Fast Fourier Transform (FFT)"), are dropped: the text around the phrase keeps its
    own.

    A spinner that wrote "counterfeit consciousness" writes "counterfeit" for "artificial"
    elsewhere too ("counterfeit neural organizations").  So the word swaps of the listed phrases
    (a phrase and its original of as many words, word for word, function words aside) that at
    least ``word_pairs`` rows show are added as well, as pairs learned from that many copies
    (source ``learned:list``), with the rows that leave the word as it is counted as kept ("learning"
    in "profound learning" for "deep learning": a spinner swaps it seldom): evidence that counts
    only as far as the rest of the text reads spun, and never restored wherever it stands.  ``word_pairs=0`` adds none.  Measured on the
    benchmark's held-out tortured phrases with the dev part imported: at 2, 240 word pairs, 6.8%
    restored and 25.9% flagged against 3.2% and 18.9% without them, findings on 150 clean BBC
    articles 99 -> 103; at 1, 1,343 pairs, 10.7% and 31.2%, but 123 findings on those articles
    and 3 more of 96 clean documentation paragraphs called spun."""
    from .text import STOPWORDS, tokenize

    if not (math.isfinite(weight) and weight > 0):
        raise ValueError(f"a weight must be a positive number, not {weight!r}")
    if word_pairs < 0:
        raise ValueError(f"word_pairs must be 0 or more, not {word_pairs!r}")
    swaps: dict[tuple[str, str], int] = defaultdict(int)  # word swap -> rows showing it
    kept: dict[str, int] = defaultdict(int)  # word -> rows that leave it as it is
    lex = Lexicon()
    skipped: dict[str, list[int]] = defaultdict(list)
    listed: set[tuple[str, str]] = set()  # a row listed twice counts once
    header = False
    seen_row = False
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")]
        first_row, seen_row = not seen_row, True
        if first_row and len(parts) > 1 and all(
            COLUMN_WORDS & set(re.split(r"[^a-z]+", p.lower())) for p in parts[:2]
        ):
            header = True
            continue
        if len(parts) < 2 or not parts[1]:
            skipped["no original (expected spun<TAB>original)"].append(n)
            continue
        tokens = tokenize(parts[0])
        if not tokens or any(t.kind != "word" for t in tokens):
            skipped["the spun phrase holds numbers or punctuation, which split the detector's phrases"].append(n)
            continue
        original = _SPACE_BEFORE_PUNCT.sub(r"\1", _PARENTHESES.sub("", parts[1])).strip()
        if not original or "?" in original:
            skipped["the original is unknown"].append(n)
            continue
        spun = " ".join(t.norm for t in tokens)
        if _norm(spun) == _norm(original):
            skipped["the original is the spun phrase"].append(n)
            continue
        if (spun, _norm(original)) in listed:
            skipped["listed before"].append(n)
            continue
        listed.add((spun, _norm(original)))
        lex.add(spun, original, weight, "curated")
        said = [t.norm for t in tokenize(original) if t.kind == "word"]
        if len(said) == len(tokens):
            for w, o in {(t.norm, o) for t, o in zip(tokens, said, strict=True)}:
                if w == o:
                    kept[w] += 1  # "learning" in "profound learning" for "deep learning"
                elif w not in STOPWORDS and o not in STOPWORDS:
                    swaps[(w, o)] += 1
    if not len(lex) and not skipped and not header:
        raise ResourceError(f"{name}: no pairs found (expected one spun<TAB>original pair per line)")
    taken = 0
    if word_pairs:
        for (w, o), rows in sorted(swaps.items()):
            if rows >= word_pairs:
                lex.add(w, o, float(rows), "learned:list")
                taken += 1
        for w in {w for w, _ in swaps} & set(kept):
            if w in lex:
                lex.add_kept(w, float(kept[w]))
    return PairImport(lex, dict(skipped), header, taken)


def builtin_lexicon() -> Lexicon:
    """The curated lexicon shipped with the package (``unspin/data/lexicon.tsv``)."""
    text = importlib_resources.files("unspin").joinpath("data/lexicon.tsv").read_text(encoding="utf-8")
    return Lexicon.parse(text, "unspin/data/lexicon.tsv")


def _count_text(count: float) -> str:
    """``count`` as the file writes it: exactly (it reads back the same float; "%g" kept six
    digits, so counts over a million stopped growing), a whole number without its ".0"."""
    text = repr(float(count))
    return text[:-2] if text.endswith(".0") else text


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().replace("\u2019", "'").split())


def _phrase(phrase: str, what: str) -> str:
    """``phrase`` normalised, refused where the file could not hold it: a row that starts with
    "#" reads back as a comment."""
    norm = _norm(phrase)
    if norm.startswith("#"):
        raise ValueError(f"a lexicon's {what} must not start with '#' (the file's comment mark), not {phrase!r}")
    return norm
