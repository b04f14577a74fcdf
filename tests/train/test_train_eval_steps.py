"""Evaluation every N optimizer steps, ``fit(load_best=True)``, and ``TrainingInterrupted``."""

import signal

import pytest
import torch

from attnzoo.train import (
    TrainConfig,
    Trainer,
    TrainingInterrupted,
    load_checkpoint,
    read_metrics,
    seed_everything,
)

N, BATCH = 20, 4  # 5 steps an epoch


def _trainer(out_dir, *, stop_at=None, **cfg):
    seed_everything(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1))
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(N, 3, generator=gen)
    data = torch.utils.data.TensorDataset(x, x @ torch.tensor([[1.0], [-2.0], [0.5]]))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    calls = []

    def step(m, batch):
        calls.append(1)
        if stop_at is not None and len(calls) == stop_at:
            signal.raise_signal(signal.SIGINT)  # to this thread: handled before it returns, not later
        xb, yb = batch
        return torch.nn.functional.mse_loss(m(xb), yb), {}

    def evaluate(m):
        return {"loss": torch.nn.functional.mse_loss(m(x), data.tensors[1]).item()}

    config = TrainConfig(out_dir=str(out_dir), batch_size=BATCH, progress=False, **cfg)
    return Trainer(model, opt, data, step_fn=step, eval_fn=evaluate, config=config)


def _strip(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def test_eval_every_steps_records_and_selects_the_best(tmp_path):
    trainer = _trainer(tmp_path, epochs=3, eval_every_steps=4)
    history = trainer.fit(load_best=True)
    evals = read_metrics(tmp_path, kind="eval")
    assert [r["step"] for r in evals] == [4, 8, 12, 15]  # every 4 steps, and the final weights
    assert evals == trainer.evals
    assert all("eval/loss" not in r for r in history)  # epoch ends no longer evaluate
    best = min(evals, key=lambda r: r["eval/loss"])
    assert [r["best"] for r in evals].count(True) >= 1 and best["best"]
    saved = load_checkpoint(tmp_path / "best.safetensors")
    assert saved.state["progress"]["step"] == best["step"]
    for name, value in trainer.model.state_dict().items():  # load_best=True put the best weights back
        torch.testing.assert_close(value, saved.model[name])


def test_eval_every_steps_is_resume_exact_after_sigint(tmp_path):
    ref = _trainer(tmp_path / "ref", epochs=3, eval_every_steps=4)
    ref.fit()
    cut = _trainer(tmp_path / "cut", epochs=3, eval_every_steps=4, stop_at=8)  # stops on an eval step
    cut.fit()
    assert cut.interrupted == "SIGINT"
    with pytest.raises(TrainingInterrupted, match="stopped by SIGINT") as info:
        cut.raise_if_interrupted()
    assert info.value.signal == "SIGINT" and info.value.run_dir == tmp_path / "cut"
    resumed = _trainer(tmp_path / "cut", epochs=3, eval_every_steps=4, resume=True)
    resumed.fit()
    assert _strip(read_metrics(tmp_path / "cut")) == _strip(read_metrics(tmp_path / "ref"))
    for name in ("last.safetensors", "best.safetensors"):
        a, b = load_checkpoint(tmp_path / "ref" / name), load_checkpoint(tmp_path / "cut" / name)
        assert a.state["progress"]["step"] == b.state["progress"]["step"]
        for k, v in a.model.items():
            torch.testing.assert_close(v, b.model[k])


def test_load_best_without_a_best_checkpoint_is_explained(tmp_path):
    trainer = _trainer(tmp_path, epochs=1)
    with pytest.raises(FileNotFoundError, match=r"no best\.safetensors"):
        trainer.load_best()
    trainer.raise_if_interrupted()  # nothing stopped it: no error


def test_eval_by_steps_and_by_epochs_cannot_be_mixed(tmp_path):
    with pytest.raises(ValueError, match="eval_every=2 and eval_every_steps=3"):
        TrainConfig(out_dir=str(tmp_path), eval_every=2, eval_every_steps=3)
    with pytest.raises(ValueError, match="eval_every_steps must be >= 1"):
        TrainConfig(out_dir=str(tmp_path), eval_every_steps=0)
