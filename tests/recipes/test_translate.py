"""The translate recipe: scores, word alignments, a tiny end-to-end run on a synthetic Tatoeba-style file."""

import json
import random

import numpy as np
import pytest
import torch

from attnzoo.recipes.translate import BUDGETS, VARIANTS, Translation, run, translate_sentence
from attnzoo.recipes.translate.evaluate import align, bleu_by_length, corpus_scores
from attnzoo.recipes.translate.models import load_model

NAMES = ["Tom", "Mary", "John", "Alice"]
VERBS = [("sees", "voit"), ("likes", "aime"), ("chases", "poursuit"), ("helps", "aide")]


def test_corpus_scores_perfect_and_multi_reference():
    hyps = ["le chat dort .", "il pleut ."]
    assert corpus_scores(hyps, [[h] for h in hyps])["bleu"] == pytest.approx(100.0)
    one = corpus_scores(hyps, [["le chien dort ."], ["il pleut ."]])
    many = corpus_scores(hyps, [["le chien dort .", "le chat dort ."], ["il pleut ."]])
    assert many["bleu"] == pytest.approx(100.0) and one["bleu"] < 100.0
    assert many["bleu_1ref"] < 100.0  # each (hypothesis, reference) pair scored alone


def test_bleu_by_length_buckets():
    sources = ["a b", "a b c d e f g", "a " * 25]
    rows = bleu_by_length(sources, ["x", "y", "z"], [["x"], ["y"], ["w"]])
    assert [r["n"] for r in rows] == [1, 1, 0, 0, 1]
    assert rows[0]["bleu"] == pytest.approx(0.0) or rows[0]["bleu"] >= 0  # 1-word segments: BLEU defined
    assert np.isnan(rows[2]["bleu"])


def _write_tsv(path, n=600, seed=0):
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        a, b = rng.sample(NAMES, 2)
        en, fr = rng.choice(VERBS)
        lines.append(f"{a} {en} {b}.\t{a} {fr} {b}.\tCC-BY 2.0 (France)")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TINY = dict(
    variants=("seq2seq", "bahdanau"),
    source_prefixes=None,  # the smoke budget's easy subset ("I am ...") is not in the synthetic file
    max_test_words=None,
    n_train=None,
    n_valid_bleu=20,
    n_valid_loss=50,
    n_test=20,
    vocab_size=40,
    emb_dim=16,
    hidden_dim=16,
    epochs=1,
    rounds_per_epoch=2,
    batch_size=16,
    lr=1e-2,
    beam_size=2,
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("translate")
    tsv = _write_tsv(root / "pairs.txt")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        summary = run(root / "run", budget="smoke", data=str(tsv), **TINY)
    finally:
        torch.set_num_threads(n)
    return root / "run", summary


def test_run_writes_report_and_summary(tiny_run):
    out, summary = tiny_run
    assert (out / "index.html").is_file() and (out / "summary.json").is_file()
    assert json.loads((out / "summary.json").read_text())["test"] == summary["test"]
    assert set(summary["test"]) == {"seq2seq", "bahdanau"}
    for scores in summary["test"].values():
        assert set(scores) == {"greedy", "beam 2"}
        assert all(0 <= s["bleu"] <= 100 and 0 <= s["chrf"] <= 100 for s in scores.values())
    html = (out / "index.html").read_text()
    assert "BLEU against source length" in html or "bleu-length" in html
    assert len(list((out / "figures").glob("*align-bahdanau*"))) >= 4
    assert not list((out / "figures").glob("*align-seq2seq*"))  # no attention, no picture
    assert html.count('data-az-view="alignment"') == 1  # bahdanau on the probe (no 6-12 word tests)
    assert summary["claim"]["held"] is (
        summary["test"]["bahdanau"]["beam 2"]["bleu"] > summary["test"]["seq2seq"]["beam 2"]["bleu"]
    )
    assert summary["thumbnail"] == "align-bahdanau"
    for v in ("seq2seq", "bahdanau"):
        assert {"model.json", "src.model", "tgt.model", "best.safetensors", "metrics.jsonl"} <= {
            p.name for p in (out / v).iterdir()
        }
    # two rounds a pass: two evaluations, so a learning curve
    assert sum(1 for r in summary_history(out / "bahdanau") if "eval/bleu" in r) == 2


def summary_history(folder):
    from attnzoo.train import read_metrics

    return read_metrics(folder, kind="eval")


def test_translate_sentence_from_checkpoint(tiny_run, tmp_path):
    out, _ = tiny_run
    res = translate_sentence("Tom chases Mary.", checkpoint=out / "bahdanau", plot=tmp_path / "a.png")
    assert isinstance(res, Translation) and isinstance(res.translation, str)
    a = res.alignment
    assert a.source_words[-1] == "</s>" and a.source_words[:3] == ["Tom", "chases", "Mary."]
    np.testing.assert_allclose(a.weights.sum(1), 1.0, atol=1e-5)
    assert a.weights.shape == (len(a.target_words), len(a.source_words))
    assert (tmp_path / "a.png").stat().st_size > 0
    assert res.translation in res.format() and "<-" in res.format()
    plain = translate_sentence("Tom sees John.", checkpoint=out / "seq2seq" / "best.safetensors")
    assert plain.alignment is None and "no attention" in plain.format()


def test_align_pools_pieces_to_words(tiny_run):
    out, _ = tiny_run
    model, src_tok, tgt_tok, _ = load_model(out / "bahdanau")
    tgt = tgt_tok.encode("Tom poursuit Marie.")
    a = align(model, "Tom chases Mary.", tgt, src_tok, tgt_tok)
    assert a.target_words == ["Tom", "poursuit", "Marie.", "</s>"]
    np.testing.assert_allclose(a.weights.sum(1), 1.0, atol=1e-5)


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown variant"):
        run(tmp_path, budget="smoke", variants=("bahdanau", "rnnsearch"))
    with pytest.raises(ValueError, match="source must be"):
        run(tmp_path, budget="smoke", source="de")
    with pytest.raises(ValueError, match="unknown budget"):
        run(tmp_path, budget="huge")
    with pytest.raises(FileNotFoundError, match=r"model\.json"):
        translate_sentence("Hello.", checkpoint=tmp_path)
    with pytest.raises(ValueError, match="non-empty"):
        translate_sentence("  ", checkpoint=tmp_path)


def test_budgets_name_known_variants():
    for cfg in BUDGETS.values():
        assert set(cfg.variants) <= set(VARIANTS)


def test_head_maps_pool_every_layer_and_head_to_words_and_roll_out_the_encoder():
    from attnzoo.data.seq2seq import train_pair_tokenizers
    from attnzoo.recipes.translate import TranslateConfig
    from attnzoo.recipes.translate.evaluate import head_maps
    from attnzoo.recipes.translate.models import build_model
    from attnzoo.viz import alignment_view, attention_rollout

    pairs = [(f"tom sees {w} now", f"tom voit {w} maintenant") for w in "abcdefghijklmnop"]
    src_tok, tgt_tok = train_pair_tokenizers(pairs, vocab_size=40)
    cfg = TranslateConfig(emb_dim=16, tf_layers=2, tf_heads=4, tf_ff=32)
    torch.manual_seed(0)
    model = build_model("transformer", cfg, src_tok.vocab_size, tgt_tok.vocab_size).eval()
    target = tgt_tok.encode("tom voit b maintenant")
    h = head_maps(model, "tom sees b now", target, src_tok, tgt_tok)
    S, T = len(h.source_words), len(h.target_words)
    assert h.source_words[-1] == "</s>" and h.target_words[-1] == "</s>" and S == 5
    assert h.cross.shape == (2, 4, T, S) and h.encoder.shape == (2, 4, S, S) and h.rollout.shape == (S, S)
    for rows in (h.cross, h.encoder, h.rollout):  # pooled rows stay distributions over the source words
        np.testing.assert_allclose(rows.sum(-1), 1.0, atol=1e-6)
    if len(src_tok.encode("tom sees b now")) == 4:  # one piece a word: pooling is the identity
        assert np.allclose(h.rollout, attention_rollout(list(torch.tensor(h.encoder)[:, None]))[0].numpy())
    view = alignment_view(h.source_words, h.target_words, list(h.cross), extra={"r": h.cross[0, 0]})
    assert 'data-az-view="alignment"' in view
    rnn = build_model("bahdanau", cfg, src_tok.vocab_size, tgt_tok.vocab_size)
    assert head_maps(rnn, "tom sees b now", target, src_tok, tgt_tok) is None  # no heads: align() instead


def test_claim_compares_measured_bleu():
    from attnzoo.recipes.translate import BUDGETS
    from attnzoo.recipes.translate.recipe import _claim

    def results(**bleu):
        return {n: {"scores": {"beam 3": {"bleu": b}}} for n, b in bleu.items()}

    cfg = BUDGETS["smoke"]
    c = _claim(results(seq2seq=6.1, bahdanau=14.2, transformer=5.0), cfg, 384)
    assert c["held"] is True and "bahdanau" in c["text"] and "at most 6 words" in c["text"]
    assert c["numbers"] == {"BLEU, bahdanau": 14.2, "BLEU, seq2seq": 6.1, "BLEU, transformer": 5.0}
    assert "1 of 2 attention variants" in c["note"]
    assert _claim(results(seq2seq=9.0, bahdanau=8.0), cfg, 10)["held"] is False
    assert _claim(results(bahdanau=8.0), cfg, 10)["held"] is None  # nothing to compare with
