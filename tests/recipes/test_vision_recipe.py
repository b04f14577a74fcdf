"""Tests of the ``vision`` recipe: its pieces, and an end-to-end run on tiny hand-written IDX files."""

import json
import math

import numpy as np
import pytest
import torch

from attnzoo.data import is_fetched, write_idx
from attnzoo.recipes import get_recipe
from attnzoo.recipes.vision import BUDGETS, VisionConfig
from attnzoo.recipes.vision.figures import class_specificity, spatial_map
from attnzoo.recipes.vision.models import model_names
from attnzoo.recipes.vision.report import _verdict, results_table


def _images(n, rng):
    """10 classes: a bright 8x8 square at a class-dependent place on a noisy 28x28 background."""
    labels = np.arange(n) % 10
    images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
    for i, c in enumerate(labels):
        r, q = 2 + 5 * (c // 5), 2 + 4 * (c % 5)
        images[i, r : r + 8, q : q + 8] = 220
    return images, labels.astype(np.uint8)


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for split, n in (("train", 160), ("t10k", 40)):
        images, labels = _images(n, rng)
        write_idx(root / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{split}-labels-idx1-ubyte", labels)
    return root


TINY = {"epochs": "1", "val_size": "40", "widths": "4,8", "blocks": "1,1", "ran_width": "0.03125",
        "batch_size": "32", "figure_images": "2"}  # fmt: skip


def test_end_to_end_on_idx_files(tmp_path, idx_dir):
    run = get_recipe("vision").run
    out = tmp_path / "out"
    over = {**TINY, "data_dir": str(idx_dir), "modules": "se,cbam,ran"}
    summary = run(out, budget="smoke", seed=3, **over)
    assert summary["n_train"] == 120 and summary["n_val"] == 40 and summary["n_test"] == 40
    assert list(summary["test_acc"]) == ["baseline", "se", "cbam", "ran"]  # the baseline always runs
    for mean, std in summary["test_acc"].values():
        assert 0 <= mean <= 100 and std is None  # one seed: no std
    html = (out / "index.html").read_text()
    assert "attnzoo run vision --budget smoke --seed 3 epochs=1" in html
    for name in ("baseline", "se", "cbam", "ran", "MFLOPs / image", "one seed: cannot be told from noise"):
        assert name in html
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    # curves, spatial maps of cbam and of the RAN's masks, channel gates of se and cbam
    assert [f.split("-", 1)[1] for f in figures] == [
        "curves.png", "spatial-cbam.png", "spatial-ran.png", "channel-gates.png"
    ]  # fmt: skip
    saved = json.loads((out / "summary.json").read_text())
    assert saved["best_test_acc"] == summary["best_test_acc"]
    runs = saved["runs"]
    assert runs["se"][0]["params"] > runs["baseline"][0]["params"]
    assert runs["se"][0]["flops"] > runs["baseline"][0]["flops"] > 0
    assert all(r[0]["seed"] == 3 and r[0]["train_images_per_s"] > 0 for r in runs.values())
    assert set(saved["channel_class_specificity"]) == {"se", "cbam"}
    acc, claim = summary["test_acc"], summary["claim"]
    assert claim["held"] is (max(acc[n][0] for n in ("se", "cbam", "ran")) >= acc["baseline"][0])
    assert "full budget" in claim["note"] and summary["thumbnail"] == "spatial-cbam"


def test_resume_retrains_nothing_and_gives_the_same_numbers(tmp_path, idx_dir):
    run = get_recipe("vision").run
    over = {**TINY, "data_dir": str(idx_dir), "modules": ""}  # the baseline alone
    first = run(tmp_path, budget="smoke", **over)
    metrics = (tmp_path / "train" / "baseline" / "seed0" / "metrics.jsonl").read_text()
    again = run(tmp_path, budget="smoke", resume=True, **over)
    assert (tmp_path / "train" / "baseline" / "seed0" / "metrics.jsonl").read_text() == metrics
    assert again["test_acc"] == first["test_acc"]
    assert "against the baseline, as measured" not in (tmp_path / "index.html").read_text()


def test_worker_processes_give_the_same_results_as_one_process(tmp_path, idx_dir):
    run = get_recipe("vision").run
    over = {**TINY, "data_dir": str(idx_dir), "modules": "se", "seeds": "2"}
    serial = run(tmp_path / "serial", budget="smoke", **over)
    parallel = run(tmp_path / "parallel", budget="smoke", workers="2", **over)
    assert parallel["test_acc"] == serial["test_acc"]
    for name in ("baseline", "se"):
        for seed in (0, 1):
            a, b = (
                tmp_path / d / "train" / name / f"seed{seed}" / "result.json" for d in ("serial", "parallel")
            )
            ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
            assert ra["val_acc_per_epoch"] == rb["val_acc_per_epoch"] and ra["test_loss"] == rb["test_loss"]
    assert (tmp_path / "parallel" / "figures").is_dir()


def test_table_pairs_seeds_and_says_what_is_noise():
    def runs(accs):
        base = {"params": 1, "flops": 2, "train_images_per_s": 3.0, "infer_images_per_s": 4.0}
        return [{**base, "seed": s, "test_acc": a} for s, a in enumerate(accs)]

    results = {"baseline": runs([0.90, 0.92]), "up": runs([0.95, 0.97]), "same": runs([0.93, 0.91])}
    rows, stats = results_table(results)
    assert [r["model"] for r in rows] == ["baseline", "up", "same"]
    assert stats["baseline"]["test_acc"] == pytest.approx([91.0, math.sqrt(2)])
    assert stats["up"]["delta_pp"] == pytest.approx([5.0, 0.0], abs=1e-9)
    assert stats["up"]["verdict"] == "better than the baseline"
    assert stats["same"]["delta_pp"][0] == pytest.approx(1.0)  # +3 and -1 pp
    assert stats["same"]["verdict"] == "within seed noise"
    assert _verdict([-1.0, -1.2, -0.9]) == "worse than the baseline"
    assert _verdict([0.4]) == "one seed: cannot be told from noise"


def test_spatial_map_of_each_kind():
    B, C, H, W = 2, 3, 4, 5
    s = torch.rand(B, 1, H, W)
    assert torch.equal(spatial_map({"channel": torch.rand(B, C, 1, 1), "spatial": s}), s[:, 0])
    h, w = torch.rand(B, C, H, 1), torch.rand(B, C, 1, W)
    torch.testing.assert_close(spatial_map({"height": h, "width": w}), (h * w).mean(1))
    m = torch.rand(B, C, H, W)
    torch.testing.assert_close(spatial_map({"mask": m}), m.mean(1))
    assert spatial_map({"channel": torch.rand(B, C, 1, 1)}) is None
    assert spatial_map({}) is None
    assert class_specificity(np.ones((10, 4))) == 0.0


def test_config_and_override_errors(tmp_path):
    run = get_recipe("vision").run
    with pytest.raises(ValueError, match=r"modules: unknown value\(s\) 'nope'; valid: baseline, cbam"):
        run(tmp_path, modules="se,nope")
    with pytest.raises(ValueError, match=r"unknown override.*epoch.*valid keys: dataset"):
        run(tmp_path, epoch=3)
    with pytest.raises(ValueError, match=r"VisionConfig.seeds must be > 0, got 0"):
        VisionConfig(seeds=0)
    assert VisionConfig(modules=("se", "baseline", "se")).models == ["baseline", "se"]
    assert set(BUDGETS["full"].modules) | {"baseline"} == set(model_names()) - {"ran-naive"}


@pytest.mark.slow
@pytest.mark.skipif(
    not is_fetched("fashion-mnist"),
    reason="fashion-mnist not in the cache; `attnzoo data fetch fashion-mnist`",
)
def test_smoke_budget_learns_real_fashion_mnist(tmp_path):
    summary = get_recipe("vision").run(tmp_path, budget="smoke")
    assert summary["n_train"] == 2000 and summary["n_test"] == 1000
    for name, (mean, _) in summary["test_acc"].items():
        assert mean > 60, f"{name} reached only {mean:.1f} % on Fashion-MNIST (chance is 10 %)"
    assert (tmp_path / "index.html").is_file()


def test_compile_option_trains_as_eager_and_saves_plain_weights(tmp_path, idx_dir, monkeypatch):
    from attnzoo.recipes.vision.models import load_model

    real, calls = torch.compile, []

    def eager_compile(model, **kw):  # dynamo's tracing without inductor's C++ build (minutes here)
        calls.append(type(model).__name__)
        return real(model, **{**kw, "backend": "eager"})

    run = get_recipe("vision").run
    over = {**TINY, "data_dir": str(idx_dir), "modules": ""}  # the baseline alone (time)
    plain = run(tmp_path / "plain", budget="smoke", **over)
    assert calls == []
    monkeypatch.setattr(torch, "compile", eager_compile)
    torch._dynamo.reset()
    try:
        compiled = run(tmp_path / "compiled", budget="smoke", compile="true", **over)
    finally:
        torch._dynamo.reset()
    assert calls == ["ResNet"]  # the baseline, for training
    assert compiled["test_acc"] == plain["test_acc"]
    cfg = VisionConfig(widths=(4, 8), blocks=(1, 1))
    a, b = (
        load_model("baseline", cfg, 1, 10, tmp_path / d / "train" / "baseline" / "seed0" / "best.safetensors")
        for d in ("plain", "compiled")
    )
    x = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(a(x), b(x))
