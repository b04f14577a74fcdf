"""The tour's cards: a recipe's summary claim and thumbnail (the contract in attnzoo.recipes.tour)."""

import re

import numpy as np
import pytest

from attnzoo.recipes.tour import recipe_claim, tour_entry
from attnzoo.viz import Report, attention_heatmap, write_index


def test_recipe_claim_contract():
    assert recipe_claim({"bleu": 3}) is None and recipe_claim(None) is None
    assert recipe_claim({"claim": " it holds "}) == {"text": "it holds", "held": None}
    full = {"text": "a beats b", "held": False, "numbers": {"a": 1.0, "b": 2.0}, "note": "full budget"}
    assert recipe_claim({"claim": full}) == full
    for bad, message in [
        ({"text": ""}, "non-empty sentence"),
        ({"text": "x", "held": 1.0}, "True, False or None"),
        ({"text": "x", "numbers": [1, 2]}, "numbers'\\] must be a dict"),
        ({"text": "x", "verdict": True}, "unknown keys \\['verdict'\\]"),
        (3, "must be a dict or a str"),
    ]:
        with pytest.raises(ValueError, match=message):
            recipe_claim({"claim": bad})


def test_tour_entry_reads_the_summary(tmp_path):
    rep = Report("r", "c")
    for name in ("loss", "bleu by length"):
        rep.add_figure(attention_heatmap(np.eye(2), dpi=30), name)
    rep.write(tmp_path / "r")
    summary = {
        "recipe": "r",
        "budget": "smoke",
        "config": {"epochs": 1},
        "claim": {"text": "attention helps", "held": True, "numbers": {"BLEU": 14.2}},
        "thumbnail": "bleu by length",  # the figure's name, matched to figures/NN-bleu-by-length.png
        "scores": {"bahdanau": {"greedy": 14.2}},
    }
    e = tour_entry("r", "one line", "fra-eng", tmp_path / "r", summary=summary, seconds=12.5)
    assert e["status"] == "ok" and e["claim"]["held"] is True and e["seconds"] == 12.5
    assert e["thumbnail"] == tmp_path / "r" / "figures" / "02-bleu-by-length.png"
    assert e["details"] == {"scores": {"bahdanau": {"greedy": 14.2}}}  # not recipe, budget, config, claim
    e = tour_entry(
        "r", "x", "d", tmp_path / "r", summary={"thumbnail": "figures/01-loss.png", "mse": [0.123456]}
    )
    assert e["thumbnail"] == tmp_path / "r" / "figures" / "01-loss.png"
    assert "claim" not in e and e["summary"].endswith("mse: 0.123")
    failed = tour_entry("r", "x", "d", tmp_path / "r", summary={"claim": {"bad": 1}}, error="ValueError: no")
    assert failed["status"] == "failed" and failed["error"] == "ValueError: no" and "claim" not in failed
    page = write_index(tmp_path / "index.html", [e, failed]).read_text()
    assert len(re.findall(r'<div class="card( failed)?">', page)) == 2 and "figures/01-loss.png" in page


# Recipes run by the parallel tour's spawned workers: module-level, so they pickle by reference.
def _fake_run(out_dir, *, budget="smoke", seed=0):
    import os

    import torch

    from attnzoo.viz import Report

    Report(f"fake {out_dir.name}", "c").add_figure(attention_heatmap(np.eye(2), dpi=30), name="eye").write(
        out_dir
    )
    return {
        "claim": {"text": f"{out_dir.name} works", "held": True},
        "thumbnail": "eye",
        "pid": os.getpid(),
        "threads": torch.get_num_threads(),
    }


def _fake_training(out_dir, *, budget="smoke", seed=0):
    import torch

    from attnzoo.train import TrainConfig, Trainer

    model = torch.nn.Linear(1, 1)

    def step_fn(m, batch):
        (out_dir / "started").touch()  # the test interrupts once both recipes train
        return m(batch[0]).pow(2).mean(), {}

    data = torch.utils.data.TensorDataset(torch.ones(10**6, 1))
    tc = TrainConfig(out_dir=str(out_dir / "train"), epochs=1, batch_size=1, progress=False)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=1e-3), data, step_fn=step_fn, config=tc)
    trainer.fit()
    trainer.raise_if_interrupted()
    return {}


def _fake_recipes(monkeypatch, run):
    from attnzoo.recipes import Recipe, tour

    recipes = {n: Recipe(n, run, f"{n} line", "none") for n in ("fake-a", "fake-b")}
    monkeypatch.setattr(tour, "get_recipe", recipes.__getitem__)
    return tour


def test_tour_runs_two_recipes_at_a_time_in_one_thread_each(tmp_path, monkeypatch):
    import json
    import os

    tour = _fake_recipes(monkeypatch, _fake_run)
    seen, real = [], tour.tour_entry

    def entry(*args, summary=None, **kw):
        seen.append(summary)
        return real(*args, summary=summary, **kw)

    monkeypatch.setattr(tour, "tour_entry", entry)
    assert tour.run_tour(tmp_path, only=["fake-a", "fake-b"], workers=2)
    assert all(s["threads"] == 1 for s in seen)
    assert len({s["pid"] for s in seen} | {os.getpid()}) == 3  # two workers, neither the tour itself
    page = (tmp_path / "index.html").read_text()
    assert "fake-a works" in page and "fake-b works" in page and "figures/01-eye.png" in page
    assert "2 at a time" in page
    results = json.loads((tmp_path / "tour.json").read_text())
    assert list(results) == ["fake-a", "fake-b"] and all(r["status"] == "ok" for r in results.values())
    assert all(r["claim"]["held"] is True for r in results.values())


def test_sigint_stops_every_running_recipe_of_a_parallel_tour(tmp_path, monkeypatch):
    import os
    import signal
    import threading

    from attnzoo.recipes import Recipe
    from attnzoo.train import TrainingInterrupted

    tour = _fake_recipes(monkeypatch, _fake_training)
    later = Recipe("fake-c", _fake_run, "c", "none")  # queued behind the two: must never start
    monkeypatch.setattr(
        tour,
        "get_recipe",
        {**{n: tour.get_recipe(n) for n in ("fake-a", "fake-b")}, "fake-c": later}.__getitem__,
    )
    monkeypatch.setattr(tour, "_COST", {"fake-a": 2, "fake-b": 2, "fake-c": 1})
    markers = [tmp_path / n / "started" for n in ("fake-a", "fake-b")]
    stop = threading.Event()

    def interrupt_when_both_train():
        while not stop.wait(0.05):
            if all(m.exists() for m in markers):
                os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C reaches the tour
                return

    threading.Thread(target=interrupt_when_both_train, daemon=True).start()
    try:
        with pytest.raises(TrainingInterrupted):
            tour.run_tour(tmp_path, only=["fake-a", "fake-b", "fake-c"], workers=2)
    finally:
        stop.set()
    assert not (tmp_path / "fake-c").exists()  # queued to a worker before the signal, stopped there
    for n in ("fake-a", "fake-b"):  # each worker got one SIGINT, stopped after its step and saved
        assert (tmp_path / n / "train" / "last.safetensors").is_file()
    assert not (tmp_path / "index.html").exists()
