"""End-to-end test of the ``ram`` recipe on tiny hand-written IDX files (no cache, no network)."""

import json

import numpy as np
import pytest

from attnzoo.data import write_idx
from attnzoo.recipes import get_recipe


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory):
    """10 classes: a bright 8x8 square at a class-dependent place on a dim noisy 28x28 background."""
    root = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for split, n in (("train", 120), ("t10k", 30)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            r, q = 2 + 12 * (c // 5), 2 + 5 * (c % 5)
            images[i, r : r + 8, q : q + 8] = 220
        write_idx(root / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{split}-labels-idx1-ubyte", labels.astype(np.uint8))
    return root


TINY = {"epochs": "2", "max_steps": "none", "batch_size": "20", "val_size": "20", "val_eval_size": "20",
        "hidden": "32", "glimpses": "3", "mc_samples": "2", "figure_images": "2"}  # fmt: skip


def test_end_to_end_on_idx_files(tmp_path, idx_dir, task="cluttered"):
    out = tmp_path / "out"
    summary = get_recipe("ram").run(out, budget="smoke", seed=2, task=task, data_dir=str(idx_dir), **TINY)
    assert summary["n_train"] == 100 and summary["n_val"] == 20 and summary["n_test"] == 30
    assert list(summary["test_error"]) == ["ram", "random", "convnet"]
    for mean, std in summary["test_error"].values():
        assert 0 <= mean <= 100 and std is None
    runs = summary["runs"]
    assert all(
        r[0]["epochs"] == 2 and r[0]["steps"] == 10 and r[0]["train_images_per_s"] > 0 for r in runs.values()
    )
    assert runs["convnet"][0]["params"] > 0 and runs["random"][0]["params"] == runs["ram"][0]["params"]
    assert [t for t, _ in summary["glimpse_curve"]] == [1, 2, 3] and len(summary["distance_to_digit_px"]) == 3
    html = (out / "index.html").read_text()
    assert f"attnzoo run ram --budget smoke --seed 2 task={task}" in html
    for text in ("RAM (learned policy)", "RAM, random glimpses", "conv net", "images/s", "one seed"):
        assert text in html
    names = sorted(p.name.split("-", 1)[1] for p in (out / "figures").iterdir())
    assert names == ["curves.png", "glimpse-count.png", "glimpse-paths.png", "glimpses.gif", "per-class.png"]
    assert html.count('data-az-view="glimpses"') == 2  # the explorer's glimpse view, figure_images of them
    claim = summary["claim"]
    assert isinstance(claim["held"], bool) and claim["text"] and summary["thumbnail"] == "glimpse-paths"
    assert claim["numbers"]["test error %, RAM"] == round(summary["test_error"]["ram"][0], 2)
    saved = json.loads((out / "summary.json").read_text())
    assert saved["test_error"]["ram"][0] == summary["test_error"]["ram"][0]


def test_resume_gives_the_same_numbers_and_bad_overrides_fail(tmp_path, idx_dir):
    run = get_recipe("ram").run
    over = {
        **TINY,
        "data_dir": str(idx_dir),
        "compare": "",
        "epochs": "1",
        "figures": "false",
        "task": "mnist",
    }
    first = run(tmp_path / "o", budget="smoke", **over)
    again = run(tmp_path / "o", budget="smoke", resume=True, **over)
    assert again["test_error"] == first["test_error"] and again["runs"]["ram"][0]["steps"] == 5
    with pytest.raises(ValueError, match="task must be one of"):
        run(tmp_path / "x", budget="smoke", task="svhn", data_dir=str(idx_dir))
    with pytest.raises(ValueError, match="unknown override"):
        run(tmp_path / "x", budget="smoke", glimpse=3)


def test_the_lower_rate_phase_continues_a_finished_run_on_resume(tmp_path, idx_dir):
    """A run finished without the phase gains it on --resume: 1 more epoch at lr x 0.1 from the best one."""
    run = get_recipe("ram").run
    over = {**TINY, "data_dir": str(idx_dir), "compare": "", "epochs": "1", "figures": "false"}
    first = run(tmp_path / "o", budget="smoke", **over)
    assert first["runs"]["ram"][0]["epochs"] == 1 and not (tmp_path / "o/train/ram-seed0-finetune").exists()
    more = {"finetune_epochs": "1", "finetune_lr_scale": "0.5"}
    again = run(tmp_path / "o", budget="smoke", resume=True, **more, **over)
    ram = again["runs"]["ram"][0]
    assert ram["epochs"] == 2 and ram["steps"] == 10 and [e for e, _ in ram["val_curve"]] == [1, 2]
    records = [json.loads(line) for line in (tmp_path / "o/train/ram-seed0-finetune/metrics.jsonl").open()]
    rates = [r["lr"] for r in records if "lr" in r]
    assert rates and rates == pytest.approx([0.5e-3] * len(rates))  # smoke's lr 1e-3, halved
    with pytest.raises(ValueError, match="finetune_lr_scale"):
        run(tmp_path / "x", budget="smoke", finetune_lr_scale="0", data_dir=str(idx_dir))


def test_the_claim_is_computed_from_the_numbers(monkeypatch):
    import attnzoo.recipes.ram as recipe

    monkeypatch.setattr(recipe, "distance_to_digit", lambda locations, data: [10.0, 10.0])  # random policy

    def runs(ram_err, rand_err):
        random = [{"test_error": rand_err, "test_locations": None}]
        return {"ram": [{"test_error": ram_err}], "random": random}

    good = recipe._claim(runs(20.0, 60.0), [10.5, 3.0, 4.0], None)
    assert good["held"] is True and good["numbers"]["test error %, random glimpses"] == 60.0
    assert good["numbers"]["px from the digit's centre, learned glimpses"] == 3.5
    assert recipe._claim(runs(70.0, 60.0), [10.5, 3.0, 4.0], None)["held"] is False  # loses to random
    assert recipe._claim(runs(20.0, 60.0), [10.5, 12.0, 14.0], None)["held"] is False  # looks away
