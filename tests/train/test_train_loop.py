"""The training loop in one process: records, best checkpoint, fallback on damaged checkpoints, limits."""

import dataclasses
import logging
import math
import signal
import sys

import pytest
import torch

from attnzoo.train import (
    CheckpointError,
    TrainConfig,
    Trainer,
    load_checkpoint,
    load_weights,
    read_metrics,
    seed_everything,
)

N, BATCH = 20, 4  # 5 steps an epoch


def _data():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(N, 3, generator=gen)
    return torch.utils.data.TensorDataset(x, x @ torch.tensor([[1.0], [-2.0], [0.5]]))


def _trainer(out_dir, *, eval_fn="mse", step_fn=None, scheduler=None, lr=0.05, **cfg):
    seed_everything(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1))
    data = _data()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []

    def default_step(model, batch):
        x, y = batch
        out = model(x)
        loss = torch.nn.functional.mse_loss(out, y)
        losses.append(loss.item())
        return loss, {"mae": (out - y).abs().mean()}

    def mse(model):
        x, y = data.tensors
        return {"loss": torch.nn.functional.mse_loss(model(x), y).item()}

    sched = scheduler(opt) if scheduler else None
    config = TrainConfig(**{"out_dir": str(out_dir), "batch_size": BATCH, "progress": False, **cfg})
    fn = mse if eval_fn == "mse" else eval_fn
    trainer = Trainer(
        model, opt, data, step_fn=step_fn or default_step, eval_fn=fn, config=config, scheduler=sched
    )
    return trainer, losses


def _weights(path):
    return load_checkpoint(path).model


def _same_records(a, b):
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in a]
    return strip == [{k: v for k, v in r.items() if k != "seconds"} for r in b]


def test_fit_records_metrics_and_leaves_checkpoints(tmp_path, capsys):
    trainer, losses = _trainer(tmp_path, epochs=2, log_every=2)
    history = trainer.fit()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.safetensors",
        "last.safetensors",
        "metrics.jsonl",
        "prev.safetensors",
    ]
    assert history == read_metrics(tmp_path, kind="epoch") == trainer.history
    assert [r["step"] for r in history] == [5, 10] and [r["epoch"] for r in history] == [1, 2]
    for i, record in enumerate(history):
        assert set(record) == {
            "kind",
            "epoch",
            "step",
            "train/loss",
            "train/mae",
            "eval/loss",
            "lr",
            "seconds",
            "best",
        }
        assert record["train/loss"] == pytest.approx(sum(losses[5 * i : 5 * i + 5]) / 5)
    train = read_metrics(tmp_path / "metrics.jsonl", kind="train")
    assert [r["step"] for r in train] == [2, 4, 6, 8, 10]
    assert train[1]["loss"] == pytest.approx((losses[2] + losses[3]) / 2) and "mae" in train[1]
    last = load_checkpoint(tmp_path / "last.safetensors")
    assert last.state["progress"]["step"] == 10 and last.state["config"]["epochs"] == 2
    assert load_checkpoint(tmp_path / "prev.safetensors").state["progress"]["step"] == 5
    assert torch.equal(last.model["0.weight"], trainer.model[0].weight)
    assert "epoch 1/2" not in capsys.readouterr().err  # no bar when stderr is not a terminal


@pytest.mark.parametrize(("mode", "best_epoch"), [("min", 2), ("max", 1)])
def test_best_checkpoint_is_chosen_by_metric(tmp_path, mode, best_epoch):
    scores, snapshots = iter([3.0, 1.0, 2.0]), []

    def eval_fn(model):
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"score": next(scores)}

    trainer, _ = _trainer(tmp_path, epochs=3, eval_fn=eval_fn, best_metric="eval/score", best_mode=mode)
    history = trainer.fit()
    assert [r["best"] for r in history] == [e == 1 or (mode == "min" and e == 2) for e in (1, 2, 3)]
    best = load_checkpoint(tmp_path / "best.safetensors")
    assert best.state["progress"]["best_epoch"] == best_epoch
    for key, value in best.model.items():
        assert torch.equal(value, snapshots[best_epoch - 1][key])
    fresh = load_weights(_trainer(tmp_path / "other")[0].model, tmp_path / "best.safetensors")
    assert torch.equal(fresh[0].weight, snapshots[best_epoch - 1]["0.weight"])


def test_resume_falls_back_to_prev_when_last_is_truncated(tmp_path, caplog):
    ref, _ = _trainer(tmp_path / "ref", epochs=3)
    ref_history = ref.fit()
    _trainer(tmp_path / "run", epochs=2)[0].fit()
    last = tmp_path / "run" / "last.safetensors"
    last.write_bytes(last.read_bytes()[:-100])
    with caplog.at_level(logging.WARNING, logger="attnzoo.train"):
        history = _trainer(tmp_path / "run", epochs=3, resume=True)[0].fit()
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "last.safetensors" in warned and "prev.safetensors" in warned
    assert _same_records(history, ref_history)  # epoch 2 was replayed from prev (end of epoch 1)
    assert _same_records(read_metrics(tmp_path / "run"), read_metrics(tmp_path / "ref"))
    ref_w, run_w = _weights(tmp_path / "ref" / "last.safetensors"), _weights(last)
    assert all(torch.equal(ref_w[k], run_w[k]) for k in ref_w)


def test_resume_fails_clearly_when_every_checkpoint_is_damaged(tmp_path):
    _trainer(tmp_path, epochs=2, eval_fn=None)[0].fit()
    for name in ("last", "prev", "best"):
        (tmp_path / f"{name}.safetensors").write_bytes(b"\x00" * 5)
    with pytest.raises(CheckpointError, match=r"no usable checkpoint.*last\.safetensors.*prev\.safetensors"):
        _trainer(tmp_path, epochs=3, resume=True)[0].fit()


def test_fresh_start_refuses_to_clobber_a_run(tmp_path):
    _trainer(tmp_path, epochs=1)[0].fit()
    with pytest.raises(FileExistsError, match=r"already holds a run.*--resume.*overwrite=True"):
        _trainer(tmp_path, epochs=1)[0].fit()
    history = _trainer(tmp_path, epochs=1, overwrite=True)[0].fit()
    assert len(read_metrics(tmp_path, kind="epoch")) == len(history) == 1


def test_max_steps_stops_mid_epoch_and_resume_continues_exactly(tmp_path):
    _trainer(tmp_path / "ref", epochs=2)[0].fit()
    history = _trainer(tmp_path / "run", epochs=2, max_steps=7)[0].fit()
    assert [(r["epoch"], r["step"], r.get("partial", False)) for r in history] == [
        (1, 5, False),
        (2, 7, True),
    ]
    assert load_checkpoint(tmp_path / "run" / "last.safetensors").state["progress"]["batch"] == 2
    history = _trainer(tmp_path / "run", epochs=2, resume=True)[0].fit()
    assert [r["step"] for r in history] == [5, 7, 10]
    ref_w, run_w = (
        _weights(tmp_path / "ref" / "last.safetensors"),
        _weights(tmp_path / "run" / "last.safetensors"),
    )
    assert all(torch.equal(ref_w[k], run_w[k]) for k in ref_w)


def test_non_finite_loss_stops_with_clear_error(tmp_path):
    calls = []

    def step(model, batch):
        calls.append(1)
        x, y = batch
        loss = torch.nn.functional.mse_loss(model(x), y)
        return (loss * math.nan if len(calls) == 3 else loss), {}

    trainer, _ = _trainer(tmp_path, epochs=1, step_fn=step)
    with pytest.raises(FloatingPointError, match=r"loss is nan at step 3 \(epoch 1\)"):
        trainer.fit()


@pytest.mark.parametrize(
    ("result", "match"),
    [
        (lambda loss: loss, r"step_fn must return \(loss, \{name: float\}\), got Tensor"),
        (lambda loss: (loss.detach(), {}), r"requires grad"),
        (lambda loss: (loss, {"acc": "high"}), r"step_fn metric 'acc' must be a number"),
    ],
)
def test_bad_step_fn_output_is_explained(tmp_path, result, match):
    def step(model, batch):
        x, y = batch
        return result(torch.nn.functional.mse_loss(model(x), y))

    with pytest.raises(TypeError, match=match):
        _trainer(tmp_path, epochs=1, step_fn=step)[0].fit()


def test_epoch_scheduler_and_plateau_use_eval_metric(tmp_path):
    scores = iter([1.0, 2.0, 3.0])

    def plateau(opt):
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)

    trainer, _ = _trainer(
        tmp_path,
        epochs=3,
        lr=0.1,
        eval_fn=lambda model: {"loss": next(scores)},
        scheduler=plateau,
        scheduler_interval="epoch",
    )
    history = trainer.fit()
    assert [r["lr"] for r in history] == pytest.approx([0.1, 0.1, 0.05])  # recorded before the epoch's step
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.025)


def test_sigint_finishes_the_step_saves_and_a_second_one_aborts(tmp_path, caplog):
    # Python's own Ctrl-C handler for the test's duration: the second SIGINT must reach the handler the
    # trainer found, and what an earlier test in the same process left installed is not that
    outside = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _sigint_twice(tmp_path, caplog, before=signal.default_int_handler)
    finally:
        signal.signal(signal.SIGINT, outside)


def _sigint_twice(tmp_path, caplog, before):
    calls = []

    def step(model, batch, signals=1):
        calls.append(1)
        if len(calls) == 3:
            # raise_signal delivers to this (main) thread and runs the Python handler before it returns, so
            # the second signal is sent only after the first was handled (os.kill could let them merge)
            signal.raise_signal(signal.SIGINT)
            assert signal.getsignal(signal.SIGINT) is before  # the trainer's handler ran and stepped aside
            if signals == 2:
                signal.raise_signal(signal.SIGINT)
        x, y = batch
        return torch.nn.functional.mse_loss(model(x), y), {}

    trainer, _ = _trainer(tmp_path / "once", epochs=2, step_fn=step, resume_hint="attnzoo run demo --resume")
    with caplog.at_level(logging.WARNING, logger="attnzoo.train"):
        trainer.fit()
    assert trainer.interrupted == "SIGINT" and signal.getsignal(signal.SIGINT) is before
    assert "stopped by SIGINT at step 3" in caplog.text and "attnzoo run demo --resume" in caplog.text
    assert load_checkpoint(tmp_path / "once" / "last.safetensors").state["progress"]["step"] == 3
    resumed = _trainer(tmp_path / "once", epochs=2, resume=True, step_fn=step)[0]  # calls > 3: no signal
    assert [r["step"] for r in resumed.fit()] == [5, 10]

    calls.clear()
    trainer, _ = _trainer(tmp_path / "twice", epochs=2, step_fn=lambda m, b: step(m, b, signals=2))
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    assert signal.getsignal(signal.SIGINT) is before
    assert not (tmp_path / "twice" / "last.safetensors").exists()


def test_misnamed_best_metric_keeps_the_epoch_then_explains(tmp_path):
    trainer, _ = _trainer(tmp_path, epochs=2, best_metric="eval/acc")
    with pytest.raises(ValueError, match=r"best_metric 'eval/acc' is not in the epoch record.*'eval/loss'"):
        trainer.fit()
    assert load_checkpoint(tmp_path / "last.safetensors").state["progress"]["epoch"] == 1
    assert len(read_metrics(tmp_path, kind="epoch")) == 1
    history = _trainer(tmp_path, epochs=2, resume=True, best_metric="eval/loss")[0].fit()
    assert [r["best"] for r in history] == [False, True]


class _FakeTTY:
    def __init__(self, stream):
        self._stream, self.written = stream, []

    def isatty(self):
        return True

    def write(self, text):
        self.written.append(text)

    def flush(self):
        pass


def test_progress_bar_shows_on_a_terminal_and_hides_when_asked(tmp_path, monkeypatch):
    fake = _FakeTTY(sys.stderr)
    monkeypatch.setattr(sys, "stderr", fake)
    trainer, _ = _trainer(tmp_path / "bar", epochs=1)
    trainer.config = dataclasses.replace(trainer.config, progress=True)
    trainer.fit()
    assert "epoch 1/1" in "".join(fake.written)
    fake.written.clear()
    _trainer(tmp_path / "quiet", epochs=1)[0].fit()  # progress=False
    assert "epoch 1/1" not in "".join(fake.written)


def test_workers_threads_and_deterministic_mode_do_not_change_the_result(tmp_path):
    _trainer(tmp_path / "plain", epochs=2)[0].fit()
    threads = torch.get_num_threads()
    _trainer(tmp_path / "other", epochs=2, num_workers=2, num_threads=1, deterministic=True)[0].fit()
    assert torch.get_num_threads() == threads and not torch.are_deterministic_algorithms_enabled()  # restored
    a, b = (
        _weights(tmp_path / "plain" / "last.safetensors"),
        _weights(tmp_path / "other" / "last.safetensors"),
    )
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)  # same data order, same RNG stream
