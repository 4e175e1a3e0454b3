from __future__ import annotations

import pytest

from unspin.errors import BinaryInputError, EmptyInputError, EncodingError, InputTooLargeError
from unspin.text import (
    check_text,
    decode_input,
    is_content_word,
    sentence_spans,
    sentences,
    tokenize,
)

SAMPLES = [
    "Mr. Smith said: \"The U.S. economy grew 3.5% in 2004.\" It\u2019s well-known.",
    "Caf\u00e9 owners in Z\u00fcrich don't agree \u2014 prices rose 12,5% (approx.)!",
    "  leading spaces\tand tabs\nand\r\nwindows line ends  ",
    "e\u0301 combining accents and emoji \U0001f600 stay put, na\u00efve co\u00f6perate.",
    "",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_every_token_slices_back(text: str) -> None:
    for tok in tokenize(text):
        assert text[tok.start : tok.end] == tok.text
        assert tok.norm == tok.norm.lower()


def test_token_kinds_and_norms() -> None:
    toks = tokenize("It\u2019s 3.5% of U.S. GDP, well-known.")
    assert [(t.text, t.kind) for t in toks] == [
        ("It\u2019s", "word"), ("3.5%", "number"), ("of", "word"), ("U.S.", "word"),
        ("GDP", "word"), (",", "punct"), ("well-known", "word"), (".", "punct"),
    ]
    assert toks[0].norm == "it's"
    assert [t.index for t in toks] == list(range(len(toks)))


def test_tokenize_does_not_change_the_text() -> None:
    text = "Unicode \ufb01ne ligature and \u00bd half"
    toks = tokenize(text)
    assert "".join(text[t.start : t.end] for t in toks) == "".join(t.text for t in toks)
    assert toks[1].text == "\ufb01ne" and toks[1].norm == "fine"  # NFKC only in norm


def test_sentences_respect_abbreviations_and_paragraphs() -> None:
    text = "Dr. Jones met Mr. Smith. They talked!\n\nA new paragraph without a stop\nNext line"
    got = [" ".join(t.text for t in s) for s in sentences(text)]
    assert got == [
        "Dr . Jones met Mr . Smith .",
        "They talked !",
        "A new paragraph without a stop",
        "Next line",
    ]


def test_sentence_spans_cover_all_tokens_in_order() -> None:
    text = SAMPLES[0] + " Another one? Yes."
    toks = tokenize(text)
    spans = sentence_spans(text, toks)
    assert spans[0][0] == 0 and spans[-1][1] == len(toks)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_content_words() -> None:
    toks = tokenize("The dog of 2004 quickly ran.")
    assert [t.text for t in toks if is_content_word(t)] == ["dog", "quickly", "ran"]


@pytest.mark.parametrize(
    ("data", "error", "needle"),
    [
        (b"", EmptyInputError, "empty"),
        (b"   \n\t ", EmptyInputError, "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", BinaryInputError, "PNG"),
        (b"%PDF-1.7 ...", BinaryInputError, "PDF"),
        (b"abc\x00def\x00", BinaryInputError, "NUL"),
        (b"caf\xe9 au lait", EncodingError, "UTF-8"),
        (b"x" * 101, InputTooLargeError, "limit"),
    ],
)
def test_decode_input_refuses_with_a_specific_message(data: bytes, error: type, needle: str) -> None:
    with pytest.raises(error) as info:
        decode_input(data, max_bytes=100)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_decode_input_accepts_bom_and_utf16_and_explicit_encoding() -> None:
    assert decode_input("\ufeffhello".encode(), 100) == "hello"
    assert decode_input("h\u00e9llo".encode("utf-16"), 100) == "h\u00e9llo"
    assert decode_input(b"caf\xe9", 100, encoding="latin-1") == "caf\u00e9"
    with pytest.raises(EncodingError, match="unknown encoding"):
        decode_input(b"abc", 100, encoding="no-such-codec")


def test_check_text_controls() -> None:
    with pytest.raises(BinaryInputError):
        check_text("\x01\x02\x03\x04\x05 mostly control", 1000)
    assert check_text("fine text\n", 1000) == "fine text\n"
    with pytest.raises(TypeError, match="decode bytes first"):
        check_text(b"bytes", 1000)  # type: ignore[arg-type]


def test_check_text_refuses_a_lone_surrogate() -> None:
    """Half of an encoded character ("\\ud83d" in JSON) is no text: refused, where before it was
    checked and then failed where the text was written out (a report page, an index)."""
    with pytest.raises(EncodingError, match=r"lone surrogate \(U\+D83D\) at character 4"):
        check_text("The \ud83d council stated it.", 1000)
    assert check_text("The \U0001f600 council stated it.", 1000)  # a whole character is fine


def test_capitals_and_lowering_in_place() -> None:
    from unspin.text import in_capitals, lowered_in_place

    def words(text: str) -> list:  # type: ignore[type-arg]
        return [t for t in tokenize(text) if t.kind == "word"]

    assert in_capitals(words("THE MAYOR SAID IT, A BBC REPORTER WROTE."))
    assert not in_capitals(words("The BBC and the UN said the EU would act."))  # acronyms in prose
    assert not in_capitals(words("A I"))  # one-letter words say nothing
    assert not in_capitals(words("The Mayor Said The Work Would Start In The Spring."))  # title case: no
    # a headline in capitals above ordinary prose: the prose decides
    assert not in_capitals(words("COUNCIL VOTES ON BRIDGE REPAIRS\n\nThe mayor said that the work would start soon."))
    assert lowered_in_place("THE MAYOR SAID") == "the mayor said"
    text = "İSTANBUL ĞÜZEL ß"  # "İ".lower() is two characters: left as it is
    low = lowered_in_place(text)
    assert len(low) == len(text) and low == "İstanbul ğüzel ß"


def test_invisible_characters_belong_to_the_word_they_sit_in() -> None:
    """A soft hyphen or zero-width character inside a word stays in its text (offsets hold) and
    leaves its norm; between words it is skipped like a space, never a punctuation token."""
    text = "The spe\u00adcial re\u200bport \u200b said: \ufeffgo now\u2060."
    toks = tokenize(text)
    assert [t.text for t in toks] == ["The", "spe\u00adcial", "re\u200bport", "said", ":", "go", "now", "."]
    assert [t.norm for t in toks if t.kind == "word"] == ["the", "special", "report", "said", "go", "now"]
    assert all(text[t.start : t.end] == t.text for t in toks)


def test_lookalike_letters_in_a_latin_word_read_as_latin() -> None:
    from unspin.text import _LOOKALIKES, unmasked

    assert all(len(chr(k)) == 1 and v is not None for k, v in _LOOKALIKES.items())
    text = "The mayor st\u0430ted th\u0435 w\u03bfrk would c\u043emmence. \u041c\u043e\u0441\u043a\u0432\u0430 is far."
    toks = [t for t in tokenize(text) if t.kind == "word"]
    assert [t.norm for t in toks][:6] == ["the", "mayor", "stated", "the", "work", "would"]
    assert toks[6].norm == "commence" and toks[6].text == "c\u043emmence"  # the text is as written
    assert toks[7].norm == "\u043c\u043e\u0441\u043a\u0432\u0430"  # a Russian word stays Russian
    assert unmasked("\u0391\u03b8\u03ae\u03bd\u03b1") == "\u0391\u03b8\u03ae\u03bd\u03b1"  # so does a Greek one
    assert unmasked("plain") == "plain"



def test_control_characters_are_unicode_cc_but_line_breaks_and_tabs() -> None:
    """check_text counts control characters with a regular expression; it must match exactly
    the characters of Unicode category Cc other than tab, line feed, vertical tab, form feed and
    carriage return, over every code point."""
    import unicodedata

    from unspin.text import _CONTROLS

    allowed = {"\t", "\n", "\v", "\f", "\r"}
    wrong = [hex(cp) for cp in range(0x110000)
             if (unicodedata.category(chr(cp)) == "Cc" and chr(cp) not in allowed) != bool(_CONTROLS.fullmatch(chr(cp)))]
    assert wrong == []


def test_a_page_is_read_in_the_character_set_it_declares() -> None:
    from unspin.text import decode_input

    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"></head>'
            "<body><p>Le café était fermé ce matin.</p></body></html>")
    assert "Le café était fermé" in decode_input(page.encode("latin-1"), 10_000)
    assert "Le café" in decode_input(page.encode("utf-8"), 10_000)  # UTF-8 first, whatever it says
    odd = b'<meta charset="no-such-set"><p>caf\xe9</p>'
    with pytest.raises(EncodingError, match="not valid UTF-8"):
        decode_input(odd, 10_000)


def test_utf16_without_its_mark_gets_a_hint() -> None:
    from unspin.text import decode_input

    with pytest.raises(BinaryInputError, match="--encoding utf-16-le"):
        decode_input("The council stated it would mend the bridge.".encode("utf-16-le"), 10_000)
    with pytest.raises(BinaryInputError, match="--encoding utf-16-be"):
        decode_input("The council stated it would mend the bridge.".encode("utf-16-be"), 10_000)
    with pytest.raises(BinaryInputError) as exc:
        decode_input(b"\x00\x01\x02\x03binary\x00\x00\x00" * 10, 10_000)
    assert "utf-16" not in str(exc.value)


def test_a_lone_line_break_before_a_lowercase_word_wraps_the_sentence() -> None:
    from unspin.text import sentences

    wrapped = "The network has one mystery\nlayer and an output layer,\nas most do.\nA new sentence starts here.\n\nheading below"
    got = [" ".join(t.text for t in s) for s in sentences(wrapped)]
    assert got == ["The network has one mystery layer and an output layer , as most do .",
                   "A new sentence starts here .", "heading below"]
    assert len(list(sentences("Title Line\nThe text begins."))) == 2  # a heading and its text


def test_web_and_mail_addresses_are_link_tokens() -> None:
    from unspin.text import tokenize, with_links

    text = ("See https://www.example.com/dogs/residential-puppy and info@puppy-club.org, or "
            "bigdogs.org/commence/stated.html. The dog stated e.g. that the U.S. firm was here.")
    tokens = with_links(text, tokenize(text))
    links = "".join(t.text for t in tokens if t.kind == "link")
    assert links == ("https://www.example.com/dogs/residential-puppy" "info@puppy-club.org"
                     "bigdogs.org/commence/stated.html")
    words = [t.text for t in tokens if t.kind == "word"]
    assert words[:1] == ["See"] and "dog" in words and "stated" in words and "firm" in words
    # prose that only looks like an address: a sentence run on without its space, a time
    for prose in ("Please follow.Us on the weekend.", "It was fine.De facto it was over.", "Meet me@5.30pm today."):
        assert not any(t.kind == "link" for t in with_links(prose, tokenize(prose))), prose


def test_restoring_never_rewrites_an_address() -> None:
    import unspin
    from unspin.demo import SPUN

    links = " Read more at https://www.example.com/residential-puppy/stated.html or write to info@commence.org."
    restored = unspin.restore(SPUN + links)
    assert restored.endswith(links)


def test_finding_addresses_takes_linear_time() -> None:
    """Runs like "a.a.a." or "cheap-shoes-online-" made the address pattern backtrack in quadratic
    time: 40 KB of them took 80 s, and neither a time limit nor the server's could stop it."""
    import time

    from unspin.text import link_spans

    # (a guard against a hang, not a speed goal: 2 MB of such runs take about half a second, and
    # took minutes before)
    for unit in ("a.", "a-a.", "cheap-shoes-online-", "aaaa:", "a.a.a.a.a.a.a.a.a_://x "):
        one_run = "The mayor stated it. " + unit * (200_000 // len(unit))
        many_runs = " ".join([(unit * 1000)[:1999]] * 1000)
        t = time.perf_counter()
        link_spans(one_run)
        link_spans(many_runs)
        assert time.perf_counter() - t < 10.0, unit


def test_the_index_and_check_agree_on_control_characters() -> None:
    """A document the index takes can be traced: both read control characters with one test
    (the index let C1 controls through, which check and trace refuse), and text with C1 controls
    (Windows-1252 read as Latin-1) is told how to read it."""
    from unspin.errors import BinaryInputError
    from unspin.index import _text_problem
    from unspin.text import check_text

    cp1252_as_latin1 = "He said \x93yes\x94 to the plan. " * 20
    assert _text_problem(cp1252_as_latin1, 5_000_000).startswith("misread text: it has 40 control characters")
    assert _text_problem(cp1252_as_latin1, 5_000_000).endswith("read it as cp1252")
    with pytest.raises(BinaryInputError, match="most of them C1 controls .* read it as cp1252"):
        check_text(cp1252_as_latin1, 5_000_000)
    escapes = "\x1b[31mred\x1b[0m and more words here " * 20
    assert _text_problem(escapes, 5_000_000) == "binary: it has 40 control characters in its first 660: it looks binary, not text"
    with pytest.raises(BinaryInputError, match="^input has 40 control characters in its first 660: it looks binary"):
        check_text(escapes, 5_000_000)
    fine = "A line with one \x93 quote. " + "Plain words follow here. " * 20
    assert _text_problem(fine, 5_000_000) == "" and check_text(fine, 5_000_000) == fine


def test_unicode_hyphens_join_words_and_every_line_break_ends_a_line() -> None:
    """U+2010 and U+2011 join a compound as "-" does (its norm has ASCII's), and a line break
    is any that str.splitlines knows: a CR-only file, Unicode's separators (a title line ran into
    its paragraph, whose first word was then taken for a name and never examined)."""
    from unspin.text import line_breaks, sentence_spans

    toks = tokenize("Three\u2010fold and non\u2011stop co-op")
    assert [(t.text, t.norm) for t in toks] == [
        ("Three\u2010fold", "three-fold"), ("and", "and"), ("non\u2011stop", "non-stop"), ("co-op", "co-op")]
    assert [line_breaks(g) for g in (" ", "\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\u2028", "\u2029", "\x85", "\t")] == [
        0, 1, 1, 1, 2, 2, 1, 2, 1, 0]
    # one line end however it was written: converted twice, beside a page break, an old Mac's blank line
    assert [line_breaks(g) for g in ("\r\r\n", "\n\f", "\f\n", "\x85\n", "\r\r", "\f")] == [1, 1, 1, 1, 2, 1]
    text = "Wales make two changes for France\n\nWales coach Mike Ruddock has made two changes."
    expected = sentence_spans(text)
    assert len(expected) == 2
    for nl in ("\r", "\r\n", "\u2028", "\u2029", "\x0c", "\x85"):
        assert sentence_spans(text.replace("\n", nl)) == expected, repr(nl)
    wrapped = "The coach has made two\nchanges to the team."  # (a lone break before a lowercase word wraps)
    for nl in ("\n", "\r", "\r\n", "\r\r\n", "\n\f", "\x85\n"):
        assert len(sentence_spans(wrapped.replace("\n", nl))) == 1, repr(nl)
