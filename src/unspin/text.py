"""Text handling: input checks, tokens with character offsets, sentences.

Offsets always point into the string the caller passed.  Normalisation is
done per token (``Token.norm``) and never rewrites the text itself, so a
finding's ``text[start:end]`` is exactly what the user wrote.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from typing import Literal, NamedTuple

from .errors import BinaryInputError, EmptyInputError, EncodingError, InputTooLargeError

TokenKind = Literal["word", "number", "punct", "link"]

# Characters that show nothing: soft hyphen, zero-width space, non-joiner and joiner, word joiner,
# byte-order mark.  Web text carries them (HTML's &shy;), and they are slipped into words to
# get a copy past duplicate checks: inside a word they belong to it (and its norm drops them),
# between words they are skipped like spaces.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

# Hyphens that join the parts of a word: ASCII's, and Unicode's hyphen and non-breaking hyphen
# (word processors and web pages write them; a word's norm has ASCII's)
HYPHENS = "-\u2010\u2011"

# A word: letters/digits with inner apostrophes, hyphens, invisible characters or periods
# (U.S., e-mail, don't).
_TOKEN_RE = re.compile(
    rf"""
    (?P<number>\d+(?:[.,:/]\d+)*%?)
  | (?P<word>(?:[^\W\d_]\.){{2,}}|[^\W\d_](?:[^\W_]|['\u2019](?=[^\W\d_])|[{HYPHENS}](?=[^\W_])|[{INVISIBLE}]+(?=[^\W_]))*)
  | (?P<punct>[^\w\s{INVISIBLE}])
    """,
    re.VERBOSE,
)

# straight apostrophes for curly ones, and no invisible characters (for str.translate)
PLAIN_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", **dict.fromkeys(INVISIBLE)})
# ... and ASCII hyphens, for a word's norm (the fingerprints keep the table above: their scheme is
# stored in indexes)
_PLAIN_WORD = {**PLAIN_APOSTROPHES, ord("\u2010"): "-", ord("\u2011"): "-"}


class Token(NamedTuple):
    """One token: its surface text, where it is, and a normalised form.

    ``text == source[start:end]`` always holds for the ``source`` it came from.  A named tuple,
    not a frozen dataclass: a 5 KB article makes about a thousand, and a tuple is made in a
    third of the time.
    """

    text: str
    start: int
    end: int
    kind: TokenKind
    norm: str
    index: int  # type: ignore[assignment]  # (the token's place in the text: it hides tuple.index, unused)

    @property
    def is_word(self) -> bool:
        return self.kind == "word"


# Cyrillic and Greek letters drawn like Latin ones.  A word that mixes them with Latin letters
# ("stаted" with a Cyrillic "а") is a Latin word in disguise: the swap hides a copy from duplicate
# checks and a word from dictionaries.  Words written wholly in another script are left alone.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝһӏАВЕКМНОРСТХІЈЅҮ" "οαικνρυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwhlABEKMHOPCTXIJSY" "oaikvpuxABEZHIKMNOPTYX",
)
_LATIN = re.compile(r"[A-Za-z]")


def unmasked(word: str) -> str:
    """``word`` with Cyrillic and Greek lookalikes read as the Latin letters they imitate, where
    it mixes them with Latin letters; otherwise ``word`` as it is."""
    if word.isascii() or not _LATIN.search(word):
        return word
    return word.translate(_LOOKALIKES)


def normalize_token(surface: str) -> str:
    """Lowercase, NFKC, straight apostrophes, no invisible characters and Latin letters for
    lookalikes in a Latin word (:func:`unmasked`): the form resources are keyed by."""
    if surface.isascii():
        return surface.lower()  # NFKC and the apostrophe table leave ASCII as it is
    return unmasked(unicodedata.normalize("NFKC", surface).translate(_PLAIN_WORD)).lower()


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word, number and punctuation tokens with offsets."""
    tokens: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        assert kind in ("word", "number", "punct")
        surface = m.group()
        tokens.append(Token(surface, m.start(), m.end(), kind, normalize_token(surface), len(tokens)))  # type: ignore[arg-type]
    return tokens


# web and e-mail addresses in prose, each read within one run of non-space characters (so the
# time is linear in the text: a pattern searched over the whole text backtracked through runs
# such as "a.a.a.a..." in quadratic time): a scheme or "www." and the rest of the run; an e-mail
# address; a bare domain of a common top-level domain, with its path
_RUN = re.compile(r"\S+")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
MAX_SCHEME = 32  # characters of a scheme ("https", "git+ssh") looked back over from "://"
# (the domain of an address starts with a letter and ends in letters: "me@5.30pm" is a time; the
# top-level domain is in lower case: "follow.Us" is a sentence run on without its space)
_MAIL = re.compile(r"[\w.+-]+@[a-zA-Z][\w-]*(?:\.[\w-]+)*\.[a-zA-Z]{2,}")
_DOMAIN = re.compile(r"(?:[a-zA-Z0-9-]+\.)+(?:com|org|net|edu|gov|int|info|io|co|uk|us|de|fr|eu|au|ca)\b(?:/\S*)?")
_OPENERS = "([{<\"'“‘"
_CLOSERS = ".,;:!?)]}>\"'”’"
MAX_LINK = 2000  # characters: a longer run is no address


def link_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each web or e-mail address in ``text`` (``https://www.example.com/dogs``,
    ``info@example.com``, ``example.org/a.html``), without the brackets, quotes and full stop
    around it."""
    spans = []
    for run in _RUN.finditer(text):
        word = run.group()
        if len(word) > MAX_LINK or not ("." in word or "@" in word):
            continue
        a, b = 0, len(word)
        while a < b and word[a] in _OPENERS:
            a += 1
        while b > a and word[b - 1] in _CLOSERS:
            b -= 1
        start = _link_start(word, a, b)
        if start is not None:
            a = start
        elif not (_MAIL.fullmatch(word, a, b) or _DOMAIN.fullmatch(word, a, b)):
            continue
        spans.append((run.start() + a, run.start() + b))
    return spans


def _link_start(word: str, a: int, b: int) -> int | None:
    """Where a web address begins in ``word[a:b]``: its scheme ("https://") or "www.", if any
    (found as plain substrings first, so a long run is read once)."""
    at = word.find("://", a, b)
    if at > a:
        # back over the scheme's characters (a bounded walk: a search for a scheme pattern before
        # "://" restarted at every letter of a long run, in quadratic time), to its first letter
        start = at
        while start > max(a, at - MAX_SCHEME) and word[start - 1] in _SCHEME_CHARS:
            start -= 1
        while start < at and not word[start].isalpha():
            start += 1
        if start < at:
            return start
    at = word.lower().find("www.", a, b)
    return None if at < 0 else at


def with_links(text: str, tokens: list[Token]) -> list[Token]:
    """``tokens`` with those inside a web or e-mail address (:func:`link_spans`) made ``"link"``
    tokens: an address's words are names, not prose, and a text's restoration must never rewrite
    them."""
    spans = link_spans(text)
    if not spans:
        return tokens
    out = list(tokens)
    k = 0
    for i, tok in enumerate(tokens):
        while k < len(spans) and spans[k][1] <= tok.start:
            k += 1
        if k == len(spans):
            break
        if spans[k][0] <= tok.start and tok.end <= spans[k][1]:
            out[i] = tok._replace(kind="link")
    return out


def in_capitals(words: list[Token], share: float = 0.5) -> bool:
    """Whether at least ``share`` of the words of two or more letters are written in capitals
    ("THE MAYOR STATED ..."): such a text reads as names and abbreviations unless lowered.
    (Title case is not read so: it cannot be told from a list of names.)"""
    longer = [t for t in words if len(t.text) > 1]
    return bool(longer) and sum(t.text.isupper() for t in longer) >= share * len(longer)


def lowered_in_place(text: str) -> str:
    """``text`` in lower case, character for character, so that every offset still points at
    the same character: a character whose lower case is longer ("İ") is left as it is."""
    low = text.lower()
    if len(low) == len(text):  # (no character lowers to nothing, so each gave exactly one)
        return low
    return "".join(low_c if len(low_c := c.lower()) == 1 else c for c in text)


_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e inc ltd co corp gen gov sen rep no fig al approx dept est jan feb mar apr jun jul aug sep sept oct nov dec".split()
)


# a line end however a file wrote it: "\n", "\r\n", "\r\r\n" (a Windows file converted twice) or an old
# Mac's lone "\r"; and the other breaks str.splitlines knows, counted where there is no line end
_LINE_END = re.compile(r"\r*\n|\r")
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028"


def line_breaks(gap: str) -> int:
    """How many line breaks the space ``gap`` holds: its line ends, however encoded ("\\r\\n" one; a
    lone "\\r" one), or else its other breaks (a page break "\\f", Unicode's line separator; a page
    break beside a line end, as pdftotext writes, adds none); Unicode's paragraph separator is a
    blank line, two."""
    ends = len(_LINE_END.findall(gap)) if "\r" in gap else gap.count("\n")
    if not ends:
        ends = sum(gap.count(c) for c in _OTHER_BREAKS)
    return ends + 2 * gap.count("\u2029")


def sentence_spans(text: str, tokens: list[Token] | None = None) -> list[tuple[int, int]]:
    """Token index ranges ``[a, b)`` of the sentences of ``text``.

    A sentence ends at ``.``, ``!`` or ``?`` (not after a known abbreviation or
    a single capital), or at a blank line / line break between paragraphs; a single
    line break before a lowercase word, after a word or a comma, only wraps the line.
    """
    toks = tokens if tokens is not None else tokenize(text)
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(toks)
    for i, tok in enumerate(toks):
        end_here = False
        if tok.kind == "punct" and tok.text in ".!?…":
            prev = toks[i - 1] if i > 0 else None
            if tok.text == "." and prev is not None and prev.end == tok.start and (
                prev.norm.rstrip(".") in _ABBREVIATIONS or (len(prev.text) == 1 and prev.text.isupper())
            ):
                end_here = False
            else:
                end_here = True
        if not end_here and i + 1 < n:
            gap = text[tok.end : toks[i + 1].start]
            breaks = line_breaks(gap) if gap and gap != " " else 0
            if breaks:
                # a lone line break between a word (or a comma) and a lowercase word wraps a line of
                # the same sentence (hard-wrapped text, a PDF's lines), where any other ends one
                nxt = toks[i + 1]
                wrapped = (breaks == 1 and nxt.kind == "word" and nxt.text[:1].islower()
                           and (tok.kind == "word" or tok.text in ",;:"))
                end_here = not wrapped
        if end_here:
            j = i + 1
            while j < n and toks[j].kind == "punct" and toks[j].text in "\"'”’)]»" and toks[j].start == toks[j - 1].end:
                j += 1
            if j > start:
                spans.append((start, j))
            start = max(start, j)
    if start < n:
        spans.append((start, n))
    return spans


def sentences(text: str) -> Iterator[list[Token]]:
    """Yield the tokens of each sentence of ``text``."""
    toks = tokenize(text)
    for a, b in sentence_spans(text, toks):
        yield toks[a:b]


# --- input checks ---------------------------------------------------------------

# control characters (Unicode category Cc: C0, DEL and C1) other than line breaks and tabs
# ("\t\n\v\f\r" are U+0009 to U+000D)
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def check_text(text: str, max_bytes: int) -> str:
    """Validate an already-decoded text and return it unchanged.

    Raises :class:`EmptyInputError`, :class:`BinaryInputError`, :class:`EncodingError` (a lone
    surrogate) or :class:`InputTooLargeError` with a message saying what is wrong.
    """
    if not isinstance(text, str):
        raise TypeError(
            f"expected str, got {type(text).__name__}; decode bytes first with unspin.text.decode_input()"
        )
    try:
        size, surrogate = len(text.encode("utf-8")), -1
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud83d" in JSON): not text any file can hold
        size, surrogate = len(text.encode("utf-8", "surrogatepass")), exc.start
    if size > max_bytes:
        raise InputTooLargeError(
            f"input is {size:,} bytes, over the limit of {max_bytes:,} bytes; split it or raise max_input_bytes"
        )
    if surrogate >= 0:
        raise EncodingError(
            f"input holds a lone surrogate (U+{ord(text[surrogate]):04X}) at character {surrogate:,}, half of an "
            "encoded character: it is not valid Unicode text (was it cut from a longer string?)"
        )
    if not text.strip():
        raise EmptyInputError("input is empty: there is no text to check")
    if "\x00" in text:
        raise BinaryInputError("input contains NUL bytes: it looks like a binary file, not text")
    problem = control_problem(text)
    if problem:
        raise BinaryInputError(f"input has {problem}")
    return text


MISREAD_CP1252 = ("most of them C1 controls (U+0080 to U+009F), which Windows-1252 text read as Latin-1 "
                  "gives: read it as cp1252")


def control_problem(text: str) -> str:
    """Why ``text`` does not read as text for its control characters, worded to follow "input has"
    ('' where it reads as text): more than 1% of its first 20,000 characters (and more than 3)
    are control characters other than tabs and line breaks.  The one test of it: check_text and
    the index (whose documents must pass check_text to be traced) both use it."""
    sample = text[:20000]
    if not _CONTROLS.search(sample):
        return ""
    found = _CONTROLS.findall(sample)
    if len(found) <= max(3, len(sample) // 100):
        return ""
    where = f"{len(found)} control characters in its first {len(sample):,}"
    if sum(c >= "\x80" for c in found) * 2 > len(found):  # C1 controls: Windows-1252 read as Latin-1
        return f"{where}, {MISREAD_CP1252}"
    return f"{where}: it looks binary, not text"


_MAGIC = {
    # (Word, OpenDocument and PDF documents are read by unspin.documents before text is decoded: what
    # reaches here is another archive, a damaged document, or bytes given to decode_input directly)
    b"%PDF": "a PDF file (unspin.documents.input_text reads its text)",
    b"PK\x03\x04": "a ZIP archive (a spreadsheet, a presentation or a damaged document, say)",
    b"\x1f\x8b": "gzip-compressed data",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x7fELF": "an executable",
    b"SQLite format 3": "an SQLite database",
}


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
                      re.IGNORECASE)


def _declared_charset(data: bytes) -> str | None:
    """The character set an HTML page (or XML document) declares in its first 4 KB
    (``<meta charset="iso-8859-1">``), where Python knows it."""
    m = _CHARSET.search(data[:4096])
    if m is None:
        return None
    name = (m.group(1) or m.group(2)).decode("ascii")
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _utf16_hint(data: bytes) -> str:
    """A hint where NUL bytes sit at every other position, as in UTF-16 text without its byte-order mark."""
    head = data[:4096]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.3 * len(head[1::2]) and even == 0:
        return "; if it is UTF-16 text without a byte-order mark, pass --encoding utf-16-le"
    if even > 0.3 * len(head[0::2]) and odd == 0:
        return "; if it is UTF-16 text without a byte-order mark, pass --encoding utf-16-be"
    return ""


def decode_input(data: bytes, max_bytes: int, encoding: str | None = None, fallback: str | None = None) -> str:
    """Decode raw input bytes into text, refusing what is not text.

    UTF-8 (with or without BOM) is the default; UTF-16 is recognised by its
    BOM; bytes that are not UTF-8 are read in the character set an HTML page
    declares (``<meta charset>``), where it declares one, else in ``fallback``
    where given (a crawl's HTTP header, or the encoding a user names for a
    folder's files that are not UTF-8).  Pass ``encoding`` to read another
    encoding explicitly.
    """
    if len(data) > max_bytes:
        # (a reader that stops one byte past the limit knows no more than that)
        size = "" if len(data) == max_bytes + 1 else f"{len(data):,} bytes, "
        raise InputTooLargeError(f"input is {size}over the limit of {max_bytes:,} bytes; split it or raise max_input_bytes")
    if not data.strip():
        raise EmptyInputError("input is empty: there is no text to check")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise BinaryInputError(f"input is {what}, not text; extract its text first")
    if encoding is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        elif b"\x00" in data[:4096]:
            raise BinaryInputError("input contains NUL bytes: it looks like a binary file, not text" + _utf16_hint(data))
        else:
            encoding = "utf-8-sig"
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                # a page that says what it is in, else what the caller was told
                encoding = _declared_charset(data) or fallback or encoding
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"input is not valid {exc.encoding.upper()} (byte {exc.start} is 0x{data[exc.start]:02x}); "
            "pass the right encoding (--encoding latin-1, for example)"
        ) from None
    except LookupError:
        raise EncodingError(f"unknown encoding {encoding!r}") from None
    return check_text(text, max_bytes)


# Function words: the skeleton a synonym spinner leaves alone.  Written for
# unspin; used by fingerprints (trace), the spin generator and detection.
STOPWORDS = frozenset(
    """
    a about above after again against all also although am an and any are as at be because been
    before being below between both but by can could did do does doing down during each either
    else ever few for from further had has have having he her here hers herself him himself his
    how however i if in into is it its itself just may me might more most must my myself neither
    no nor not now of off on once only or other our ours ourselves out over own same shall she
    should since so some such than that the their theirs them themselves then there these they
    this those though through to too under until up upon us very was we were what when where
    whether which while who whom whose why will with within without would yet you your yours
    yourself yourselves one two three four five six seven eight nine ten first last many much
    still even ago per via
    """.split()
)


def is_content_word(tok: Token) -> bool:
    """A word a synonym spinner might replace: alphabetic, not a function word."""
    return tok.kind == "word" and tok.norm not in STOPWORDS and tok.norm.replace("-", "").isalpha()


def most_repeated(words: list[Token]) -> tuple[str, int, int]:
    """The content word (:func:`is_content_word`, three letters or more) a text repeats most, how
    often, and how many content words it has: ``("", 0, 0)`` without any."""
    counts: dict[str, int] = {}
    for t in words:
        if len(t.norm) > 2 and is_content_word(t):
            counts[t.norm] = counts.get(t.norm, 0) + 1
    if not counts:
        return "", 0, 0
    word = max(counts, key=counts.__getitem__)
    return word, counts[word], sum(counts.values())

