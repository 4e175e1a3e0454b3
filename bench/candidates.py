"""Candidate coverage on the real spun/original pairs: is the original among the candidates?

    python bench/candidates.py [--style word] [--list]

Restoration can only give back an original that the candidate generator
proposes.  For every one-to-one word substitution in the real pairs of
``../shared/data`` (spun span and original span of equal length, content
words on both sides), this prints whether the original is among the engine's
candidates for the spun word (the thesaurus, the vector neighbours and the
Moby thesaurus words as the engine filters them, or any of these; and, for
comparison, whether the whole Moby lists of the spun word hold it) and whether
``unspin.check`` restored it, by default and with ``--moby``.  A second table
follows the default engine swap by swap: did the gate let the word through (were its
candidates looked up at all), was there any finding on it, was the original among its
candidates, was it kept for the beam search, did the decoder choose it, did its
confidence pass the threshold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402
from unspin.config import Config  # noqa: E402
from unspin.detect import NEIGHBOUR_MIN_SIM, NEIGHBOURS, Engine  # noqa: E402
from unspin.text import STOPWORDS, tokenize  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--style", default="word", help="real pairs of this style (word or fluent; default word)")
    ap.add_argument("--list", action="store_true", help="print every pair")
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2
    engine = Engine()
    with_moby = Engine(Config(use_moby=True))  # --moby
    uncut = Engine(Config(finding_threshold=0.0))  # every decoded finding, before the confidence cut
    # what the decoder saw at each word of the last text the uncut engine checked, by character
    # offset: whether the gate let the word through, and the originals it kept for the beam search
    seen: dict[int, tuple[bool, set[tuple[str, ...]]]] = {}

    def edges_seen(seg: Any, words: Any, look: Any, stats: Any) -> Any:
        edges = Engine._edges(uncut, seg, words, look, stats)
        for i, tok in enumerate(seg):
            seen[tok.start] = (look.gated[i], {e.cand.original for e in edges[i] if e.cand.length == 1})
        return edges

    uncut._edges = edges_seen  # type: ignore[method-assign]
    emb = engine.embeddings
    rows = []
    for spun, _ in ek.real_pairs():
        if spun.style != args.style:
            continue
        report = engine.check(spun.text)
        moby_report = with_moby.check(spun.text)
        seen.clear()
        uncut_report = uncut.check(spun.text)
        for e in spun.edits or ():
            if e.kind != "substitute":
                continue
            sw = [t for t in tokenize(e.spun) if t.kind == "word"]
            ow = [t.norm for t in tokenize(e.original) if t.kind == "word"]
            if len(sw) != len(ow):
                continue
            for tok, orig in zip(sw, ow, strict=True):
                word = engine.speller.american(tok.norm)
                if word == orig or word in STOPWORDS or orig in STOPWORDS:
                    continue
                thesaurus = (orig,) in {c.original for c in engine.candidates.single(word)}
                neigh = emb.neighbours(word, NEIGHBOURS, NEIGHBOUR_MIN_SIM) if emb else ()
                near = engine._neighbour_candidates(word, neigh, ())
                vectors = (orig,) in {c.original for c in near}
                moby = (orig,) in {c.original for c in with_moby._moby_candidates(word, ())}
                moby_all = orig in {w for w, _, _ in engine.candidates.loose(word, 100_000, -1.0)}
                at = e.start + tok.start
                restored, moby_restored, decoded = (
                    any(f.start <= at < f.end and orig in f.original.lower().split() for f in r.findings)
                    for r in (report, moby_report, uncut_report)
                )
                examined = any(f.start <= at < f.end for f in uncut_report.findings)
                gated, kept = seen.get(at, (False, set()))
                rows.append((spun.id, tok.norm, orig, thesaurus, vectors, moby, restored, moby_all, moby_restored,
                             decoded, examined, gated, (orig,) in kept))
    n = len(rows)
    if not n:
        print("no one-to-one substitutions found")
        return 0
    if args.list:
        for r in rows:
            print(f"{r[0]:8} {r[1]:>16} <- {r[2]:<16} thesaurus={int(r[3])} vectors={int(r[4])} "
                  f"moby={int(r[5])} decoded={int(r[9])} restored={int(r[6])}")
    th, vec, moby = sum(r[3] for r in rows), sum(r[4] for r in rows), sum(r[5] for r in rows)
    either, restored = sum(r[3] or r[4] or r[5] for r in rows), sum(r[6] for r in rows)
    print(f"one-to-one word substitutions in real {args.style} pairs: {n}")
    print(f"{'original among candidates':<36} {'count':>6} {'share':>7}")
    for label, k in (("thesaurus (WordNet)", th), ("vector neighbours", vec),
                     ("Moby thesaurus, whole lists", sum(r[7] for r in rows)),
                     ("Moby thesaurus, most similar", moby), ("any", either),
                     ("restored by unspin.check", restored),
                     ("restored by unspin.check with --moby", sum(r[8] for r in rows))):
        print(f"{label:<36} {k:>6} {k / n:>7.1%}")
    # where the default engine loses the swaps, step by step
    covered = [r for r in rows if r[3] or r[4]]
    print()
    print(f"{'the default engine, swap by swap':<58} {'count':>6} {'share':>7}")
    for label, k in (
        ("the gate let the word through (candidates looked up)", sum(r[11] for r in rows)),
        ("a finding on the word (any original, any confidence)", sum(r[10] for r in rows)),
        ("original among its candidates (thesaurus or vectors)", len(covered)),
        ("... and kept for the beam search (the best by local score)", sum(r[12] for r in covered)),
        ("... and the decoder chose it (any confidence)", sum(r[9] for r in covered)),
        ("... and its confidence passed the threshold", sum(r[9] and r[6] for r in covered)),
    ):
        print(f"{label:<58} {k:>6} {k / n:>7.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
