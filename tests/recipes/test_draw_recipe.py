"""The ``draw`` recipe end to end on tiny hand-written IDX files (no cache, no network)."""

import json

import numpy as np
import pytest
from PIL import Image

from attnzoo.data import write_idx
from attnzoo.recipes import get_recipe
from attnzoo.recipes.draw import BUDGETS
from attnzoo.recipes.draw.figures import shown_steps


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory):
    """Bright bars at a few places on 28x28: binarised, a learnable little set."""
    root = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for split, n in (("train", 60), ("t10k", 10)):
        images = rng.integers(0, 20, size=(n, 28, 28)).astype(np.uint8)
        for i in range(n):
            r = 4 + 5 * (i % 4)
            images[i, r : r + 4, 6:22] = 240
        write_idx(root / f"{split}-images-idx3-ubyte", images)
        write_idx(root / f"{split}-labels-idx1-ubyte", np.zeros(n, np.uint8))
    return root


TINY = {"steps": "3", "hidden": "8", "z_dim": "2", "epochs": "2", "batch_size": "10", "samples": "4",
        "val_limit": "10", "train_limit": "40", "n_validation": "20"}  # fmt: skip


def test_end_to_end(tmp_path, idx_dir):
    summary = get_recipe("draw").run(tmp_path, budget="smoke", data_dir=str(idx_dir), **TINY)
    assert set(summary["test_nll"]) == {"attention", "no-attention"}
    for v, nll in summary["test_nll"].items():
        assert np.isfinite(nll) and nll > 0
        assert nll == pytest.approx(summary["test_recon"][v] + summary["test_kl"][v])
    assert summary["n_train"] == 40 and summary["n_test"] == 10
    html = (tmp_path / "index.html").read_text()
    assert "test NLL bound (nats)" in html and "no-attention" in html and "80.97" in html
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["test_nll"] == summary["test_nll"]
    nll, claim = summary["test_nll"], summary["claim"]
    assert claim["held"] is (nll["attention"] < nll["no-attention"])
    assert claim["numbers"]["mean image (learned nothing)"] == round(summary["mean_image_nll"], 1) > 0
    assert summary["thumbnail"] == "curve"
    figs = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert any("attention-read" in f for f in figs) and any(f.endswith(".gif") for f in figs)
    with Image.open(tmp_path / "animations" / "attention-generation.gif") as im:
        assert im.size == (28 * 8, 28 * 8)
    # the recorded curve: one validation point an epoch, for each variant
    for v in ("attention", "no-attention"):
        lines = (tmp_path / "train" / v / "metrics.jsonl").read_text().splitlines()
        epochs = [json.loads(x) for x in lines if json.loads(x)["kind"] == "epoch"]
        assert [e["epoch"] for e in epochs] == [1, 2] and all("eval/loss" in e for e in epochs)


def test_bad_overrides(tmp_path, idx_dir):
    with pytest.raises(ValueError, match="variants must be"):
        get_recipe("draw").run(tmp_path, data_dir=str(idx_dir), variants="attention,glimpse", **TINY)
    with pytest.raises(ValueError, match="unknown override"):
        get_recipe("draw").run(tmp_path, data_dir=str(idx_dir), stepz="3")


def test_budgets_and_steps_shown():
    assert BUDGETS["full"].steps == 64 and BUDGETS["full"].read_n == 2 and BUDGETS["full"].write_n == 5
    assert BUDGETS["full"].hidden == 256 and BUDGETS["full"].z_dim == 100
    assert shown_steps(64)[-1] == 63 and len(shown_steps(64)) == 12 and shown_steps(3) == [0, 1, 2]
