import json

import pytest
import torch

from attnzoo.recipes import get_recipe
from attnzoo.recipes.nw_regression import NWConfig, make_data, truth


def test_data_is_the_books_setup():
    d = make_data(0, NWConfig())
    assert d["x_train"].shape == (50,) and bool((d["x_train"].diff() >= 0).all())
    assert d["x_train"].min() >= 0 and d["x_train"].max() <= 5
    torch.testing.assert_close(d["x_test"], torch.arange(0, 5, 0.1, dtype=torch.float64))
    resid = d["y_train"] - truth(d["x_train"])
    assert 0.3 < float(resid.std()) < 0.7  # noise std 0.5


def test_smoke_run_parametric_beats_average_by_a_wide_margin(tmp_path):
    summary = get_recipe("nw-regression").run(tmp_path, budget="smoke", seed=0, seeds=3, sweep_points=5)
    mse = summary["test_mse"]
    assert mse["parametric"][0] < 0.4 * mse["average"][0]
    assert mse["nonparametric"][0] < mse["average"][0]
    html = (tmp_path / "index.html").read_text()
    assert "attnzoo run nw-regression --budget smoke --seed 0 seeds=3 sweep_points=5" in html
    assert len(list((tmp_path / "figures").glob("*.png"))) == 3
    assert json.loads((tmp_path / "summary.json").read_text())["test_mse"] == mse
    claim = summary["claim"]  # the tour card: a comparison of the measured means, never a constant
    assert claim["held"] is True and claim["numbers"]["MSE, parametric"] == round(mse["parametric"][0], 3)
    assert claim["numbers"]["MSE, average"] == round(mse["average"][0], 3) and "3 of 3" in claim["note"]
    assert summary["thumbnail"] == "fit" and list((tmp_path / "figures").glob("*-fit.png"))


def test_bad_budget_and_override(tmp_path):
    run = get_recipe("nw-regression").run
    with pytest.raises(ValueError, match="unknown budget 'huge'; valid budgets: smoke, full"):
        run(tmp_path, budget="huge")
    with pytest.raises(ValueError, match=r"unknown override.*epocs.*valid keys: n_train"):
        run(tmp_path, epocs=3)
    with pytest.raises(ValueError, match="override seeds='many'"):
        run(tmp_path, seeds="many")
