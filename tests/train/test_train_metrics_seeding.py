"""metrics.jsonl reading, seeding, RNG state capture and deterministic mode."""

import json
import logging
import random

import numpy as np
import pytest
import torch

from attnzoo.train import get_rng_state, read_metrics, seed_everything, set_deterministic, set_rng_state


def test_read_metrics_filters_kinds_and_skips_a_cut_last_line(tmp_path, caplog):
    records = [
        {"kind": "train", "step": 1, "loss": 0.5},
        {"kind": "epoch", "step": 2, "eval/acc": float("nan")},
    ]
    text = "".join(json.dumps(r) + "\n" for r in records)
    (tmp_path / "metrics.jsonl").write_text(text + '{"kind": "train", "st')  # killed mid-append
    with caplog.at_level(logging.WARNING, logger="attnzoo.train"):
        got = read_metrics(tmp_path)
    assert "incomplete last line 3" in caplog.text
    assert got[0] == records[0] and np.isnan(got[1]["eval/acc"])
    assert read_metrics(tmp_path / "metrics.jsonl", kind="train") == [records[0]]


def test_read_metrics_rejects_damage_before_the_end(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\nnot json\n{"step": 3}\n')
    with pytest.raises(ValueError, match=r"metrics\.jsonl:2: not a JSON record"):
        read_metrics(path)
    path.write_text("[1, 2]\n")
    with pytest.raises(ValueError, match="expected a JSON object, got list"):
        read_metrics(path)
    with pytest.raises(FileNotFoundError, match="no metrics file"):
        read_metrics(tmp_path / "missing")


def _draw():
    return random.random(), float(np.random.rand()), torch.rand(3).tolist(), random.gauss(0, 1)


def test_seed_everything_makes_all_rngs_repeat():
    assert seed_everything(42) == 42
    first = _draw()
    seed_everything(42)
    assert _draw() == first
    seed_everything(43)
    assert _draw() != first


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), (2**32, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_seed_everything_rejects_bad_seeds(seed, error):
    with pytest.raises(error, match="seed must be"):
        seed_everything(seed)


def test_rng_state_survives_a_json_round_trip():
    seed_everything(0)
    random.gauss(0, 1)  # leaves a cached gaussian in python's state
    np.random.standard_normal()  # and in numpy's
    state = json.loads(json.dumps(get_rng_state()))
    expected = _draw()
    _draw()
    set_rng_state(state)
    assert _draw() == expected
    with pytest.raises(ValueError, match=r"rng state lacks \['numpy', 'torch'\]"):
        set_rng_state({"python": state["python"]})


def test_set_deterministic_toggles_torch_flags():
    before = torch.are_deterministic_algorithms_enabled()
    try:
        set_deterministic(True)
        assert torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.deterministic
        set_deterministic(False)
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(before)
        torch.backends.cudnn.deterministic = False
    with pytest.raises(TypeError, match="enabled must be a bool"):
        set_deterministic("yes")
