"""Checkpoints: exact round trips, no pickle, clear errors for damaged files."""

import json
import math
import pickle
import struct

import pytest
import torch
from safetensors.torch import save_file

from attnzoo.train import CheckpointError, load_checkpoint, load_weights, save_checkpoint

_OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01, centered=True),
}


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))


def _blank():
    """A model of the same shape with every parameter and buffer zeroed: loading must fill it."""
    model = _model()
    with torch.no_grad():
        for t in model.state_dict().values():
            t.zero_()
    return model


def _train(model, opt, sched, steps=3):
    gen = torch.Generator().manual_seed(1)
    for _ in range(steps):
        opt.zero_grad()
        model(torch.randn(8, 3, generator=gen)).pow(2).mean().backward()
        opt.step()
        sched.step()


def _assert_tree_equal(a, b):
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict))  # OrderedDict vs dict
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_tree_equal(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_tree_equal(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


@pytest.mark.parametrize("opt_name", sorted(_OPTIMIZERS))
def test_checkpoint_roundtrip_resumes_optimizer_exactly(tmp_path, opt_name):
    model = _model()
    opt = _OPTIMIZERS[opt_name](model.parameters())
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=10)
    _train(model, opt, sched)
    path = save_checkpoint(
        tmp_path / "c.safetensors", model, optimizer=opt, scheduler=sched, state={"epoch": 3}
    )
    ckpt = load_checkpoint(path)
    _assert_tree_equal(ckpt.model, model.state_dict())
    _assert_tree_equal(ckpt.optimizer, opt.state_dict())
    _assert_tree_equal(ckpt.scheduler, sched.state_dict())
    assert ckpt.state == {"epoch": 3} and ckpt.path == path

    model2 = _model()
    opt2 = _OPTIMIZERS[opt_name](model2.parameters())
    sched2 = torch.optim.lr_scheduler.OneCycleLR(opt2, max_lr=0.05, total_steps=10)
    model2.load_state_dict(ckpt.model)
    opt2.load_state_dict(ckpt.optimizer)
    sched2.load_state_dict(ckpt.scheduler)
    _train(model, opt, sched)
    _train(model2, opt2, sched2)
    _assert_tree_equal(model.state_dict(), model2.state_dict())


def test_checkpoint_state_tree_roundtrip(tmp_path):
    state = {
        "ints": {1: "one", 2: (3, 4.5, None)},
        "floats": [float("inf"), -0.0, 1e-300],
        "nested": {"t": torch.arange(6, dtype=torch.int16).reshape(2, 3), "b": torch.tensor([True, False])},
        "bf16": torch.ones(3, dtype=torch.bfloat16),
        "scalar": torch.tensor(2.5),
        "flag": True,
    }
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "c.safetensors", {"w": torch.zeros(2)}, state=state))
    _assert_tree_equal(ckpt.state, state)
    assert ckpt.optimizer is None and ckpt.scheduler is None
    nan = load_checkpoint(save_checkpoint(tmp_path / "n.safetensors", {}, state={"x": float("nan")}))
    assert math.isnan(nan.state["x"])


def test_checkpoint_rejects_values_json_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match=r"state\['cfg'\]\['fn'\].*function"):
        save_checkpoint(tmp_path / "c.safetensors", {}, state={"cfg": {"fn": len}})
    with pytest.raises(TypeError, match="model must be"):
        save_checkpoint(tmp_path / "c.safetensors", [torch.zeros(1)])
    assert not (tmp_path / "c.safetensors").exists()


def test_checkpoint_with_tied_weights(tmp_path):
    model = torch.nn.Sequential(torch.nn.Embedding(5, 3), torch.nn.Linear(3, 5, bias=False))
    model[1].weight = model[0].weight  # tied, as in language models
    path = save_checkpoint(tmp_path / "c.safetensors", model)
    fresh = torch.nn.Sequential(torch.nn.Embedding(5, 3), torch.nn.Linear(3, 5, bias=False))
    load_weights(fresh, path)
    assert torch.equal(fresh[0].weight, model[0].weight) and torch.equal(fresh[1].weight, model[0].weight)


def test_checkpoint_loads_without_pickle(tmp_path, monkeypatch):
    model = _model()
    opt = torch.optim.Adam(model.parameters())
    _train(model, opt, torch.optim.lr_scheduler.StepLR(opt, 2))
    path = save_checkpoint(tmp_path / "c.safetensors", model, optimizer=opt, state={"step": 3})

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle/torch.load used while loading a checkpoint")

    for mod, name in [(pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (torch, "load")]:
        monkeypatch.setattr(mod, name, forbidden)
    ckpt = load_checkpoint(path)
    _assert_tree_equal(ckpt.model, model.state_dict())
    _assert_tree_equal(load_weights(_blank(), path).state_dict(), model.state_dict())

    # The file is plain safetensors: 8-byte header length, a JSON header, raw tensor bytes.
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    index = json.loads(header["__metadata__"]["attnzoo"])
    assert index["format"] == "attnzoo.checkpoint" and index["state"] == {"__dict__": [["step", 3]]}
    names = [k for k in header if k != "__metadata__"]
    assert {k.split("/")[0] for k in names} == {"model", "optim"}
    end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
    assert len(raw) == 8 + n + end


def _damage(path, how):
    raw = bytearray(path.read_bytes())
    (n,) = struct.unpack("<Q", raw[:8])
    if how == "truncated":
        raw = raw[: len(raw) - 7]
    elif how == "truncated_header":
        raw = raw[: 8 + n // 2]
    elif how == "flipped_byte":
        raw[-3] ^= 0xFF  # inside the last tensor's data: only the checksum can tell
    elif how == "empty":
        raw = bytearray()
    elif how == "not_safetensors":
        raw = bytearray(b"PK\x03\x04 this is a zip, as torch.save writes")
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("how", ["truncated", "truncated_header", "flipped_byte", "empty", "not_safetensors"])
def test_damaged_checkpoint_gives_clear_error_naming_file(tmp_path, how):
    model = _model()
    path = save_checkpoint(
        tmp_path / "last.safetensors", model, optimizer=torch.optim.SGD(model.parameters(), 0.1)
    )
    _damage(path, how)
    with pytest.raises(CheckpointError, match=r"last\.safetensors"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"last\.safetensors"):
        load_weights(_model(), path)


def test_load_checkpoint_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.safetensors"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_load_weights_reads_plain_safetensors_and_reports_mismatch(tmp_path):
    model = _model()
    save_file(model.state_dict(), tmp_path / "plain.safetensors")
    fresh = load_weights(_blank(), tmp_path / "plain.safetensors")
    _assert_tree_equal(fresh.state_dict(), model.state_dict())
    with pytest.raises(CheckpointError, match="plain safetensors"):
        load_checkpoint(tmp_path / "plain.safetensors")
    other = torch.nn.Linear(3, 3)
    with pytest.raises(RuntimeError, match=r"plain\.safetensors: weights do not fit"):
        load_weights(other, tmp_path / "plain.safetensors")


def test_wrapped_models_are_saved_and_loaded_unwrapped(tmp_path):
    model = _model()
    wrapped = torch.nn.DataParallel(model)  # on CPU it only wraps; its state dict says "module."
    path = save_checkpoint(tmp_path / "c.safetensors", wrapped)
    assert all(not k.startswith("module.") for k in load_checkpoint(path).model)
    fresh = torch.nn.DataParallel(_blank())
    load_weights(fresh, path)
    _assert_tree_equal(fresh.module.state_dict(), model.state_dict())
