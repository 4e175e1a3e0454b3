"""British and American spellings: one judge for both.

The language model is American English ("organize", "color", "defense"), so
British text ("organise", "colour", "defence") reads to it as rare or unknown
words, and the thesaurus lists the two spellings as synonyms of each other.
Without care, every British spelling becomes a "finding" and its American
twin the "original".  :func:`american_variant` proposes the American
spelling of a word by the regular rules; :class:`Speller` accepts a proposal
only where the resources confirm it (the language model knows the variant
and prefers it, and the thesaurus does not tell two different words apart).
"""

from __future__ import annotations

import re

from .resources import Resources, memoised

# word-final rules, longest first: (British ending, American ending)
_ENDINGS: tuple[tuple[str, str], ...] = (
    ("isations", "izations"), ("isation", "ization"),
    ("ising", "izing"), ("ised", "ized"), ("ises", "izes"), ("iser", "izer"), ("isers", "izers"), ("ise", "ize"),
    ("ysing", "yzing"), ("ysed", "yzed"), ("yses", "yzes"), ("yse", "yze"),
    ("ours", "ors"), ("oured", "ored"), ("ouring", "oring"), ("ourite", "orite"), ("ourites", "orites"),
    ("ourable", "orable"), ("our", "or"),
    ("ence", "ense"),
    ("tres", "ters"), ("tre", "ter"),
    ("ogues", "ogs"), ("ogue", "og"),
    ("mme", "m"), ("mmes", "ms"),
)
# a vowel, a doubled l and a suffix: "travelled" -> "traveled", "modelling" -> "modeling"
_DOUBLE_L = re.compile(r"^(.*[aeiou])ll(ed|ing|er|ers)$")
_WORDS = {
    "grey": "gray", "greys": "grays", "tyre": "tire", "tyres": "tires", "mould": "mold", "moulds": "molds",
    "plough": "plow", "ploughs": "plows", "sceptic": "skeptic", "sceptical": "skeptical",
    "jewellery": "jewelry", "ageing": "aging", "judgement": "judgment", "judgements": "judgments",
    "acknowledgement": "acknowledgment", "enrolment": "enrollment", "fulfil": "fulfill",
    "instalment": "installment", "practise": "practice", "practised": "practiced", "practising": "practicing",
    "licence": "license", "licences": "licenses", "pyjamas": "pajamas", "aluminium": "aluminum",
    "manoeuvre": "maneuver", "manoeuvres": "maneuvers", "oestrogen": "estrogen", "anaemia": "anemia",
    "diarrhoea": "diarrhea", "paediatric": "pediatric", "foetus": "fetus", "haemorrhage": "hemorrhage",
}


def american_variant(word: str) -> str | None:
    """The American spelling the regular rules give for lowercase ``word`` (unchecked), or ``None``."""
    if word in _WORDS:
        return _WORDS[word]
    m = _DOUBLE_L.match(word)
    if m and len(m.group(1)) >= 3:
        return f"{m.group(1)}l{m.group(2)}"
    for british, american in _ENDINGS:
        if word.endswith(british) and len(word) - len(british) >= 3:
            return word[: -len(british)] + american
    return None


class Speller:
    """Maps British spellings to the American ones the language model knows, when confirmed."""

    def __init__(self, resources: Resources) -> None:
        self.res = resources

    @memoised(200_000)
    def american(self, word: str) -> str:
        """``word`` in American spelling where that is confirmed, else ``word`` itself."""
        variant = american_variant(word)
        if variant is None or variant == word:
            return word
        lm, th = self.res.lm, self.res.thesaurus
        if not lm.known(variant):
            return word  # "rise" -> "rize": no such word
        if lm.known(word) and lm.logprob(word) >= lm.logprob(variant):
            return word  # both are words and the "British" one is the commoner: not a spelling pair
        # both in the thesaurus but never sharing a synset: two different words ("hour", "hor")
        if word in th and variant in th and not any(s.word == variant for s in th.synonyms(word)):
            lemmas = {lemma for _, lemma, _ in self.res.inflector.analyses(word)}
            if not any(any(s.word == variant or variant.startswith(s.word) for s in th.synonyms(lem)) for lem in lemmas):
                return word
        return variant

    def same_word(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` are spellings of one word ("organisation", "organization")."""
        return a == b or self.american(a) == b or self.american(b) == a or self.american(a) == self.american(b)
