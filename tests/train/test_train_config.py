"""TrainConfig and Trainer arguments: bad values fail early, naming the field and what came."""

import dataclasses
from pathlib import Path

import pytest
import torch

from attnzoo.train import TrainConfig, Trainer


@pytest.mark.parametrize(
    ("field", "value", "error", "match"),
    [
        ("epochs", 0, ValueError, r"epochs must be >= 1, got 0"),
        ("epochs", 2.0, TypeError, r"epochs must be int, got float"),
        ("epochs", True, TypeError, r"epochs must be int, got bool"),
        ("batch_size", -4, ValueError, r"batch_size must be >= 1"),
        ("batch_size", "32", TypeError, r"batch_size must be int, got str"),
        ("seed", -1, ValueError, r"seed must be >= 0 and <= 4294967295"),
        ("seed", 2**32, ValueError, r"seed must be"),
        ("checkpoint_every", 0, ValueError, r"checkpoint_every must be >= 1"),
        ("eval_every", 0, ValueError, r"eval_every must be >= 1"),
        ("log_every", 0, ValueError, r"log_every must be >= 1"),
        ("max_steps", 0, ValueError, r"max_steps must be >= 1"),
        ("num_workers", -1, ValueError, r"num_workers must be >= 0"),
        ("num_threads", 0, ValueError, r"num_threads must be >= 1"),
        ("grad_clip", 0.0, ValueError, r"grad_clip must be a positive finite number"),
        ("grad_clip", float("nan"), ValueError, r"grad_clip must be a positive finite number"),
        ("grad_clip", "1", TypeError, r"grad_clip must be"),
        ("best_mode", "avg", ValueError, r"best_mode must be one of \['min', 'max'\], got 'avg'"),
        ("best_metric", "", ValueError, r"best_metric must be a non-empty"),
        ("best_metric", 3, TypeError, r"best_metric must be str"),
        ("scheduler_interval", "batch", ValueError, r"scheduler_interval must be one of \['step', 'epoch'\]"),
        ("shuffle", 1, TypeError, r"shuffle must be bool, got int"),
        ("resume", "yes", TypeError, r"resume must be bool, got str"),
        ("out_dir", "", ValueError, r"out_dir must be a non-empty path"),
        ("out_dir", None, TypeError, r"out_dir must be str"),
        ("device", 0, TypeError, r"device must be str"),
    ],
)
def test_config_rejects_bad_values(field, value, error, match):
    with pytest.raises(error, match=match):
        TrainConfig(**{"out_dir": "runs/x", field: value})


def test_config_rejects_resume_with_overwrite():
    with pytest.raises(ValueError, match="resume=True and overwrite=True"):
        TrainConfig(out_dir="runs/x", resume=True, overwrite=True)


def test_config_is_frozen_json_able_and_takes_paths(tmp_path):
    cfg = TrainConfig(out_dir=tmp_path / "run", epochs=2)
    assert cfg.out_dir == str(tmp_path / "run") and Path(cfg.out_dir).name == "run"
    assert cfg.to_dict()["epochs"] == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.epochs = 3


def _parts(tmp_path):
    model = torch.nn.Linear(2, 1)
    data = torch.utils.data.TensorDataset(torch.zeros(4, 2), torch.zeros(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, opt, data, TrainConfig(out_dir=str(tmp_path), progress=False)


def _step(model, batch):
    x, y = batch
    return (model(x) - y).pow(2).mean(), {}


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"model": "net"}, TypeError, r"model must be an nn.Module, got str"),
        ({"optimizer": None}, TypeError, r"optimizer must be a torch.optim.Optimizer, got NoneType"),
        ({"train_dataset": iter([1])}, TypeError, r"train_dataset must be a map-style dataset"),
        ({"train_dataset": []}, ValueError, r"train_dataset is empty"),
        ({"step_fn": None}, TypeError, r"step_fn is required"),
        ({"step_fn": 3}, TypeError, r"step_fn must be callable, got int"),
        ({"eval_fn": "acc"}, TypeError, r"eval_fn must be callable, got str"),
        ({"config": {"epochs": 1}}, TypeError, r"config must be a TrainConfig, got dict"),
        ({"scheduler": 0.1}, TypeError, r"scheduler must have step\(\) and state_dict\(\)"),
    ],
)
def test_trainer_rejects_bad_arguments(tmp_path, change, error, match):
    model, opt, data, cfg = _parts(tmp_path)
    kwargs = {
        "model": model,
        "optimizer": opt,
        "train_dataset": data,
        "step_fn": _step,
        "config": cfg,
    } | change
    with pytest.raises(error, match=match):
        Trainer(**kwargs)


def test_trainer_rejects_eval_metric_without_eval_fn_and_plateau_per_step(tmp_path):
    model, opt, data, cfg = _parts(tmp_path)
    with pytest.raises(ValueError, match=r"best_metric 'eval/acc' needs an eval_fn"):
        Trainer(model, opt, data, step_fn=_step, config=dataclasses.replace(cfg, best_metric="eval/acc"))
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau needs TrainConfig\.scheduler_interval='epoch'"):
        Trainer(model, opt, data, step_fn=_step, config=cfg, scheduler=plateau)
