"""Nadaraya-Watson kernel regression as attention pooling (Nadaraya 1964; Watson 1964), in the set-up of
Dive into Deep Learning ch. 11: 50 sorted training points ``x ~ U(0, 5)``, ``y = 2 sin x + x^0.8 + eps``
with ``eps ~ N(0, 0.5)``, queries ``arange(0, 5, 0.1)``.

Three poolings are compared on the same data, over several seeds: average pooling (every key weighs the
same), non-parametric Gaussian-kernel attention (bandwidth 1), and parametric attention whose ``w`` in
``softmax(-((x - x_i) w)^2 / 2)`` is learned by SGD through :class:`attnzoo.train.Trainer`, each training
point predicted from the others (leave-one-out). Reported: test MSE against the noise-free function.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from attnzoo.functional import nadaraya_watson
from attnzoo.nn import NadarayaWatson
from attnzoo.recipes import register_recipe
from attnzoo.recipes._common import (
    budget_config,
    check_fields,
    claim,
    format_mean_std,
    mean_std,
    parse_overrides_into,
    prepare_run_dir,
    recipe_command,
)
from attnzoo.train import TrainConfig, Trainer, seed_everything

__all__ = ["BUDGETS", "NWConfig", "make_data", "run", "truth"]


@dataclass(frozen=True)
class NWConfig:
    n_train: int = 50  # training points, x ~ U(0, 5), sorted
    noise_std: float = 0.5  # std of the Gaussian noise on the training targets
    seeds: int = 5  # independent data sets / runs; results are mean +- std over them
    epochs: int = 5  # SGD epochs for the parametric model (the book uses 5)
    lr: float = 0.5  # SGD learning rate (the book's)
    batch_size: int = 50  # full batch, as in the book
    w_init: float = 1.0  # initial inverse bandwidth of the parametric model
    bandwidth: float = 1.0  # bandwidth of the non-parametric Gaussian kernel
    sweep_points: int = 25  # bandwidths in the sweep, log-spaced in [0.02, 5]

    def __post_init__(self) -> None:
        positive = ("n_train", "seeds", "epochs", "lr", "batch_size", "w_init", "bandwidth", "sweep_points")
        check_fields(self, positive=positive, nonneg=("noise_std",))
        if self.n_train < 2:  # leave-one-out: each point is predicted from at least one other
            raise ValueError(f"NWConfig.n_train must be >= 2 (leave-one-out), got {self.n_train}")


BUDGETS = {"smoke": NWConfig(), "full": NWConfig(seeds=10, epochs=50, sweep_points=60)}


def truth(x: Tensor) -> Tensor:
    """The noise-free function ``f(x) = 2 sin x + x^0.8``."""
    return 2 * torch.sin(x) + x**0.8


def make_data(seed: int, cfg: NWConfig) -> dict[str, Tensor]:
    """Training points, test queries and the noise-free test targets for one seed."""
    g = torch.Generator().manual_seed(seed)
    x_train = torch.sort(torch.rand(cfg.n_train, generator=g, dtype=torch.float64) * 5).values
    y_train = truth(x_train) + cfg.noise_std * torch.randn(cfg.n_train, generator=g, dtype=torch.float64)
    x_test = torch.arange(0, 5, 0.1, dtype=torch.float64)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": truth(x_test)}


class _LeaveOneOut(nn.Module):
    """Parametric NW over a fixed training set; ``forward(idx)`` predicts points ``idx`` from the others."""

    def __init__(self, x: Tensor, y: Tensor, w_init: float):
        super().__init__()
        self.register_buffer("x", x)
        self.register_buffer("y", y)
        self.nw = NadarayaWatson("gaussian", learnable=True, w=w_init).to(x.dtype)

    def forward(self, idx: Tensor) -> Tensor:
        others = torch.arange(len(self.x), device=idx.device)[None, :] != idx[:, None]  # (b, n)
        return self.nw(self.x[idx], self.x, self.y, others)[0]


def _mse(pred: Tensor, target: Tensor) -> float:
    return float(((pred - target) ** 2).mean())


def _one_seed(seed: int, cfg: NWConfig, out_dir: Path, resume: bool) -> dict:
    d = make_data(seed, cfg)
    xtr, ytr, xte, yte = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
    avg_pred = ytr.mean().expand_as(xte)
    np_pred, np_w = nadaraya_watson(xte, xtr, ytr, bandwidth=cfg.bandwidth)

    seed_everything(seed)
    model = _LeaveOneOut(xtr, ytr, cfg.w_init)
    data = torch.utils.data.TensorDataset(torch.arange(cfg.n_train))

    def step_fn(m, batch):
        (idx,) = batch
        loss = ((m(idx) - ytr[idx]) ** 2).sum()  # summed, as in the book (its lr 0.5 assumes it)
        return loss, {}

    def eval_fn(m):
        pred, _ = m.nw(xte, xtr, ytr)
        return {"loss": _mse(pred, yte)}

    tc = TrainConfig(
        out_dir=str(out_dir / f"seed{seed}"),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        seed=seed,
        resume=resume,
        overwrite=not resume,  # run() has refused an earlier run unless --force (prepare_run_dir)
        progress=False,
    )
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    trainer = Trainer(model, opt, data, step_fn=step_fn, eval_fn=eval_fn, config=tc)
    trainer.fit()
    trainer.raise_if_interrupted()
    with torch.no_grad():
        p_pred, p_w = model.nw(xte, xtr, ytr)
    return {
        "data": d,
        "pred": {"average": avg_pred, "nonparametric": np_pred, "parametric": p_pred},
        "weights": {
            "average": torch.full_like(np_w, 1 / cfg.n_train),
            "nonparametric": np_w,
            "parametric": p_w,
        },
        "mse": {
            "average": _mse(avg_pred, yte),
            "nonparametric": _mse(np_pred, yte),
            "parametric": _mse(p_pred, yte),
        },
        "w": float(model.nw.w.detach().abs()),
    }


def _sweep(cfg: NWConfig, runs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Non-parametric test MSE for each bandwidth in the sweep: ``(bandwidths, mse (seeds, points))``."""
    hs = np.logspace(math.log10(0.02), math.log10(5.0), cfg.sweep_points)
    mse = np.zeros((len(runs), len(hs)))
    for i, r in enumerate(runs):
        d = r["data"]
        for j, h in enumerate(hs):
            pred, _ = nadaraya_watson(d["x_test"], d["x_train"], d["y_train"], bandwidth=float(h))
            mse[i, j] = _mse(pred, d["y_test"])
    return hs, mse


@register_recipe(
    "nw-regression",
    summary="Nadaraya-Watson attention pooling: average vs Gaussian kernel vs learned kernel width (D2L 11)",
    data="synthetic y = 2 sin x + x^0.8 + noise (the book's set-up; no dataset needed)",
)
def run(
    out_dir: str | Path,
    *,
    budget: str = "smoke",
    seed: int = 0,
    resume: bool = False,
    force: bool = False,
    **overrides,
) -> dict:
    """Run the comparison and write ``out_dir/index.html``; returns the headline numbers.

    ``resume`` continues the runs found in ``out_dir``; ``force`` replaces them; without either an earlier
    run there is refused (:func:`attnzoo.recipes._common.prepare_run_dir`). With one seed the std entries
    are ``None`` (one value has no spread).
    """
    from attnzoo import viz

    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    out = prepare_run_dir(out_dir, resume=resume, force=force)
    runs = [_one_seed(seed + s, cfg, out / "train", resume) for s in range(cfg.seeds)]
    names = ["average", "nonparametric", "parametric"]
    table = []
    for n in names:
        m, sd = mean_std([r["mse"][n] for r in runs])
        table.append({"model": n, "test MSE mean": m, "test MSE std": "n=1" if sd is None else sd})
    ws = np.array([r["w"] for r in runs])
    summary = {
        "recipe": "nw-regression",
        "budget": budget,
        "config": asdict(cfg),
        "test_mse": {n: list(mean_std([r["mse"][n] for r in runs])) for n in names},
        "learned_w": list(mean_std(ws)),
    }

    rep = viz.Report(
        "Nadaraya-Watson attention pooling", command=recipe_command("nw-regression", budget, seed, overrides)
    )
    rep.add_text(__doc__.split("\n\n", 1)[1].replace("\n", " "))
    rep.add_table(
        table,
        caption=f"Test MSE against the noise-free function, mean +- std over {cfg.seeds} seeds. "
        f"Learned w = {format_mean_std(ws)} (bandwidth 1/w).",
    )
    r0, d0 = runs[0], runs[0]["data"]
    fits = {"truth": truth(d0["x_test"]).numpy(), **{n: r0["pred"][n].numpy() for n in names}}
    fig = viz.fit_plot(
        d0["x_train"].numpy(),
        d0["y_train"].numpy(),
        fits,
        grid=d0["x_test"].numpy(),
        data_label="training points",
        title=f"Fits (seed {seed})",
        xlabel="x",
        ylabel="y",
    )
    rep.add_figure(fig, "Training points, the true function and the three fits (first seed).", name="fit")
    fig = viz.heatmap_grid(
        np.stack([r0["weights"][n].numpy() for n in names]),
        titles=names,
        suptitle="Attention of each test query (rows, x = 0 ... 4.9) over the training inputs (columns)",
        share_scale=False,
        panel_size=3.4,
    )
    rep.add_figure(
        fig, "Attention weights, test queries x training inputs, for each pooling.", name="attention"
    )

    hs, sweep = _sweep(cfg, runs)
    m = sweep.mean(0)
    sd = sweep.std(0, ddof=1) if len(runs) > 1 else None  # one seed: no band
    summary["sweep_best_bandwidth"] = float(hs[m.argmin()])
    summary["sweep_best_mse"] = float(m.min())
    learned = (1 / ws, np.array([r["mse"]["parametric"] for r in runs]))
    fig = viz.line_plot(
        hs,
        {"non-parametric test MSE": m},
        bands={} if sd is None else {"+- 1 std over seeds": (m - sd, m + sd)},
        points={"parametric: learned bandwidth 1/w": learned},
        logx=True,
        logy=True,
        xlabel="kernel bandwidth h",
        ylabel="test MSE vs noise-free f",
        title="Kernel width sweep",
    )
    rep.add_figure(
        fig,
        "Non-parametric test MSE against the kernel bandwidth; dots: the bandwidths the "
        "parametric model learned, with their test MSE.",
        name="sweep",
    )
    mse = {row["model"]: row["test MSE mean"] for row in table}
    wins = sum(r["mse"]["parametric"] < r["mse"]["average"] for r in runs)
    summary["claim"] = claim(
        "Parametric attention pooling (a learned Gaussian kernel width) beats average pooling on test MSE",
        held=mse["parametric"] < mse["average"],
        numbers={
            "MSE, parametric": mse["parametric"],
            "MSE, average": mse["average"],
            "MSE, non-parametric (h = 1)": mse["nonparametric"],
        },
        note=f"mean over {cfg.seeds} seeds; parametric lower in {wins} of {cfg.seeds}",
    )
    summary["thumbnail"] = "fit"
    rep.write(out)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
