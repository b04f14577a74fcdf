import csv
import json
import random

import numpy as np
import pytest
import torch

from attnzoo.data import is_fetched
from attnzoo.recipes.sentiment import explain, run
from attnzoo.recipes.sentiment.bundle import load_bundle
from attnzoo.recipes.sentiment.data import load_corpus
from attnzoo.recipes.sentiment.evaluate import paired_bootstrap
from attnzoo.recipes.sentiment.explain import above_uniform
from attnzoo.recipes.sentiment.report import pick_examples

_POS, _NEG = ["great", "wonderful", "moving", "superb"], ["awful", "boring", "dull", "clumsy"]
_FILLER = [
    "the",
    "a",
    "film",
    "plot",
    "actors",
    "story",
    "it",
    "was",
    "and",
    "its",
    "of",
    "director",
    "scenes",
    "music",
]

TINY = {  # a model small enough to train in seconds
    "embed_dim": 16, "hidden_size": 16, "attention_dim": 8, "batch_size": 16, "epochs": 3, "lr": 0.02,
    "seeds": 2, "max_train": None, "max_eval": None, "examples": 6,
    "models": ("attention", "mean", "last", "tfidf"),
}  # fmt: skip


def _write_reviews(path, n=300, seed=0):
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for i in range(n):
            label = i % 2
            words = [rng.choice(_FILLER) for _ in range(rng.randint(4, 14))]
            words.insert(rng.randint(0, len(words)), rng.choice(_POS if label else _NEG))
            w.writerow([" ".join(words).capitalize() + ".", "pos" if label else "neg"])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sentiment")
    _write_reviews(root / "reviews.csv")
    summary = run(root / "run", budget="smoke", data="csv", data_dir=str(root / "reviews.csv"), **TINY)
    return root / "run", summary


def test_tiny_run_compares_every_model_and_writes_a_report(tiny_run):
    out, summary = tiny_run
    assert len(summary["test_acc"]) == 4  # attention, mean, last, TF-IDF + LR
    att = summary["test_acc"]["bi-GRU + attention (HAN word attention)"]
    assert att[0] >= 0.9, summary["test_acc"]  # the decisive word is easy to find
    assert summary["sizes"]["train"] + summary["sizes"]["valid"] + summary["sizes"]["test"] == 300
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "TF-IDF" in page and "mean pooling" in page and "last pooling" in page
    assert page.count('class="attnzoo-words"') == TINY["examples"]
    assert json.loads((out / "summary.json").read_text())["data"] == "csv"
    diag = {k: mean for k, (mean, std) in summary["attention"].items()}  # mean, std over seeds
    assert 0 < diag["normalised entropy (1 = uniform)"] <= 1 and diag["max weight / uniform share"] >= 1
    assert diag["reviews"] == summary["sizes"]["test"]  # every fixture review has 5+ words
    assert page.count("erase most-attended word: prob drop") == 1  # one table, a row per seed
    assert "does it point at words that matter" in page
    versus = summary["attention_minus_baseline"]
    assert len(versus) == 3 and all("[" in v and "]" in v for v in versus.values())
    assert "paired bootstrap" in page
    # the tour card: erasing the most-attended word (the planted one) hurts more than erasing a random one
    claim = summary["claim"]
    assert claim["held"] is (
        diag["erase most-attended word: prob drop"] > diag["erase random word: prob drop"]
    )
    assert claim["held"] is True, claim
    assert claim["numbers"]["prob drop, most-attended word"] == pytest.approx(
        diag["erase most-attended word: prob drop"], abs=1e-3
    )
    assert summary["thumbnail"] == "erasure" and list((out / "figures").glob("*-erasure.png"))
    assert page.count('data-az-view="text"') == 1  # one explorer: the shown reviews, a toggle of models
    assert "attention, seed 0" in page and "mean pooling (uniform)" in page


def test_explain_with_the_runs_checkpoint(tiny_run, tmp_path):
    out, _ = tiny_run
    label, prob, words, weights = explain("The plot was superb and the music moving!", checkpoint=out)
    assert label == "positive" and 0.5 < prob <= 1
    assert words == ["the", "plot", "was", "superb", "and", "the", "music", "moving", "[!]"]
    assert len(weights) == len(words) and sum(weights) == pytest.approx(1, abs=1e-5)
    res = explain("Awful, boring film.", checkpoint=out / "model.safetensors", html=tmp_path / "e.html")
    assert res.label == "negative" and res.note == ""
    assert 'class="attnzoo-words"' in (tmp_path / "e.html").read_text(encoding="utf-8")
    assert "negative (probability" in res.format()


@pytest.mark.parametrize(
    ("text", "note"),
    [("", "no words"), ("  ... --- ", "no words"), ("Zyzzyva quokka xylophone", "none of its words")],
)
def test_explain_empty_or_unknown_review_gets_a_clear_answer(tiny_run, text, note):
    out, _ = tiny_run
    res = explain(text, checkpoint=out)
    assert res.label in ("negative", "positive") and 0.5 <= res.prob <= 1
    assert note in res.note
    if "no words" in note:
        model, *_ = load_bundle(out)
        prior = torch.softmax(model.classifier.bias.detach(), -1).max().item()  # bias alone: the prior
        assert res.words == [] and res.weights == [] and res.prob == pytest.approx(prior)
    else:
        assert res.words == ["[zyzzyva]", "[quokka]", "[xylophone]"]


def test_explain_errors(tiny_run, tmp_path):
    out, _ = tiny_run
    with pytest.raises(FileNotFoundError, match="attnzoo run sentiment"):
        explain("good", checkpoint=tmp_path / "nothing.safetensors")
    with pytest.raises(ValueError, match="not a sentiment model bundle"):
        explain("good", checkpoint=out / "train" / "attention-seed0" / "best.safetensors")
    with pytest.raises(TypeError, match="text must be a str"):
        explain(None, checkpoint=out)


def test_load_corpus_sources_and_errors(tmp_path):
    with pytest.raises(
        ValueError, match="unknown data 'sst'; valid: rotten-tomatoes, mr-sentences, imdb, csv"
    ):
        load_corpus("sst")
    with pytest.raises(ValueError, match="needs data_dir"):
        load_corpus("imdb")
    for split in ("train", "test"):
        for sub, text in (("pos", "good"), ("neg", "bad")):
            d = tmp_path / "aclImdb" / split / sub
            d.mkdir(parents=True)
            for i in range(20):
                (d / f"{i}_5.txt").write_text(f"{text} film number {i} {split}", encoding="utf-8")
    corpus = load_corpus("imdb", tmp_path / "aclImdb")
    assert len(corpus["test"]) == 40 and len(corpus["train"]) + len(corpus["valid"]) == 40
    assert all(t.endswith("test") for t, _ in corpus["test"])


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"hiden_size": 3}, r"unknown override.*valid keys: max_len"),
        ({"models": "mean,tfidf"}, "models must include 'attention'"),
        ({"models": "attention,cnn"}, "valid: attention, mean, last, tfidf"),
    ],
)
def test_bad_overrides_are_named(tmp_path, overrides, match):
    with pytest.raises(ValueError, match=match):
        run(tmp_path, budget="smoke", data="csv", data_dir="x.csv", **overrides)


def test_above_uniform():
    assert above_uniform([0.25, 0.25, 0.25, 0.25]) == [0.0] * 4
    assert above_uniform([0.5, 0.3, 0.2]) == pytest.approx([0.5, 0.0, 0.0], abs=1e-12)
    assert above_uniform([]) == []


def test_pick_examples_half_right_half_wrong():
    correct = [True] * 30 + [False] * 3
    picks = pick_examples(correct, 10, [10] * 33)
    assert len(picks) == 10 and sum(not correct[i] for i in picks) == 3
    picks = pick_examples([True, False] * 10, 10, [10] * 20)
    assert sum(not [True, False][i % 2] for i in picks) == 5


@pytest.mark.slow
@pytest.mark.skipif(not is_fetched("rotten-tomatoes"), reason="run `attnzoo data fetch rotten-tomatoes`")
def test_smoke_budget_on_real_reviews(tmp_path):
    summary = run(tmp_path, budget="smoke")
    assert summary["sizes"]["test"] > 0 and (tmp_path / "index.html").is_file()
    assert min(v[0] for v in summary["test_acc"].values()) > 0.6  # the majority class (fresh) is 0.58


def test_paired_bootstrap_interval():
    rng = np.random.default_rng(0)
    b = (rng.random((1, 2000)) < 0.75).astype(int)
    assert paired_bootstrap(b, b) == (0.0, 0.0, 0.0)  # the same predictions: no difference at all
    better = b.copy()
    better[0, np.flatnonzero(b[0] == 0)[:200]] = 1  # 200 of 2000 reviews fixed: +10 points
    diff, lo, hi = paired_bootstrap(better, b)
    assert diff == pytest.approx(10.0) and 8.5 < lo < 10.0 < hi < 11.5
    flip = b.copy()
    flip[0, :10] = 1 - flip[0, :10]  # a few reviews changed either way: indistinguishable
    diff, lo, hi = paired_bootstrap(flip, b)
    assert lo < 0 < hi
    seeds = np.stack([better[0], b[0]])  # two seeds averaged per review: half the gain
    assert paired_bootstrap(seeds, b)[0] == pytest.approx(5.0)
