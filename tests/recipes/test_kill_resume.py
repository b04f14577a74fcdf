"""kill -9 then ``attnzoo run RECIPE --resume`` ends where the uninterrupted run ends, bit for bit, for the
ram, draw, caption and ocr recipes, on tiny synthetic data (no cache, no network).

Each recipe runs three times in child processes (tests/recipes/_resume_jobs.py): uninterrupted; SIGKILLed
once its first checkpoint (the first model's, at an epoch end or, for ocr, mid-pass) is on disk; and
again with ``--resume`` in the killed run's folder. The resumed run must leave the same tensors in every
safetensors file (weights, optimizer state, best checkpoints, saved bundles), the same metrics.jsonl and
the same summary.json, timings aside. Nothing waits on the clock: the parent waits on a file the child
writes after its checkpoint, and on the processes' exits (with a generous hang guard that fails the test
with the child's log, not a statement about speed).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load_file

from attnzoo.data import write_idx

from ._resume_jobs import launch

_HANG_GUARD_S = 900  # far beyond any run here: only a hung child gets here


def _idx(root: Path, n_train: int = 60, n_test: int = 20) -> Path:
    """A bright bar at a class-specific height on a dim noisy 28x28 background, as MNIST IDX files."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 30, size=(n, 28, 28)).astype(np.uint8)
        for i, y in enumerate(labels):
            images[i, 2 + 2 * y : 6 + 2 * y, 4:24] = 230
        write_idx(root / f"{split}-images-idx3-ubyte", images)
        write_idx(root / f"{split}-labels-idx1-ubyte", labels)
    return root


def _ram(tmp: Path) -> list[str]:
    return [f"data_dir={_idx(tmp / 'idx')}", "task=mnist", "epochs=2", "batch_size=10", "val_size=20",
            "val_eval_size=20", "hidden=16", "glimpses=2", "mc_samples=2", "figures=false",
            "compare=random"]  # fmt: skip


def _draw(tmp: Path) -> list[str]:
    return [f"data_dir={_idx(tmp / 'idx')}", "steps=3", "hidden=8", "z_dim=2", "epochs=2", "batch_size=10",
            "samples=2", "val_limit=10", "train_limit=30", "n_validation=10"]  # fmt: skip


def _caption(tmp: Path) -> list[str]:
    return [f"data_root={_idx(tmp / 'mnist')}", "n_train=12", "n_val=4", "n_test=4", "epochs=2",
            "batch_images=6", "enc_channels=4,8", "feat_dim=8", "emb_dim=8", "hidden_dim=8", "att_dim=8",
            "canvas=32", "max_len=6", "figure_images=1", "beam_size=1"]  # fmt: skip


def _ocr(tmp: Path) -> list[str]:
    words = "le,la,les,un,une,été,où,chat,chien,maison,rue,île,noël,cœur,ami,eau,feu,jeu,bon,bien"
    return [f"words={words}", "test_fraction=0.25", "val_fraction=0.2", "train_samples=32",
            "models=recursive,ctc", "val_samples=4", "test_samples=4", "batch_size=8", "checkpoint_every=2",
            "channels=4", "iterations=1", "dim=8", "hidden_dim=8", "emb_dim=4", "align_dim=8",
            "figure_words=1"]  # fmt: skip


RECIPES = {"ram": _ram, "draw": _draw, "caption": _caption, "ocr": _ocr}


def _wait_for(path: Path, proc, log: Path) -> None:
    """Until ``path`` exists; fail with the child's log if it exits first or hangs."""
    guard = time.monotonic() + _HANG_GUARD_S
    while not path.exists():
        if not proc.is_alive():
            pytest.fail(f"the run ended (exit {proc.exitcode}) before its first checkpoint:\n{_read(log)}")
        if time.monotonic() > guard:
            proc.kill()
            pytest.fail(f"no checkpoint after {_HANG_GUARD_S} s: the run hangs\n{_read(log)}")
        time.sleep(0.05)  # a poll interval, not a bound: the loop waits as long as the child works


def _join(proc, log: Path) -> int:
    proc.join(_HANG_GUARD_S)
    if proc.is_alive():
        proc.kill()
        pytest.fail(f"still running after {_HANG_GUARD_S} s: the run hangs\n{_read(log)}")
    return proc.exitcode


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else "(no log)"


_TIMING = re.compile(r"seconds|per_s|_s$|^s_per|_time|elapsed")


def _untimed(x):
    """``x`` (parsed JSON) without the fields that measure time, which differ run to run."""
    if isinstance(x, dict):
        return {k: _untimed(v) for k, v in x.items() if not _TIMING.search(k)}
    if isinstance(x, list):
        return [_untimed(v) for v in x]
    return x


def _assert_same_run(ref: Path, got: Path) -> None:
    files = sorted(
        p.relative_to(ref) for p in ref.rglob("*") if p.suffix in (".safetensors", ".jsonl", ".json")
    )
    assert any(f.suffix == ".safetensors" for f in files), "the run saved no checkpoint"
    for rel in files:
        a, b = ref / rel, got / rel
        assert b.is_file(), f"{rel} is missing after the resume"
        if rel.suffix == ".safetensors":
            ta, tb = load_file(a), load_file(b)
            assert ta.keys() == tb.keys(), rel
            for key in ta:
                assert ta[key].equal(tb[key]), f"{rel}: {key} differs"
        elif rel.suffix == ".jsonl":
            ra = [_untimed(json.loads(line)) for line in a.read_text().splitlines()]
            rb = [_untimed(json.loads(line)) for line in b.read_text().splitlines()]
            rb = [r for r in rb if not r.get("partial")]  # the epoch cut by the kill, if it logged one
            assert ra == rb, rel
        else:
            assert _untimed(json.loads(a.read_text())) == _untimed(json.loads(b.read_text())), rel


# ram in the default suite (the fastest); the others take 25-50 s each on the loaded 2-core machine
_SLOW = [pytest.param(r, marks=pytest.mark.slow) for r in ("draw", "caption", "ocr")]


@pytest.mark.parametrize("recipe", ["ram", *_SLOW])
def test_kill_9_then_resume_equals_the_uninterrupted_run(recipe, tmp_path):
    overrides = RECIPES[recipe](tmp_path)
    argv = lambda out, *more: ["run", recipe, "--budget", "smoke", "--out", str(out), *more, *overrides]  # noqa: E731
    logs = {n: tmp_path / f"{n}.log" for n in ("ref", "killed", "resumed")}
    marker = tmp_path / "checkpoint-saved"
    ref = launch(argv(tmp_path / "ref"), logs["ref"])
    killed = launch(argv(tmp_path / "run"), logs["killed"], marker)
    _wait_for(marker, killed, logs["killed"])
    os.kill(killed.pid, signal.SIGKILL)
    assert _join(killed, logs["killed"]) == -signal.SIGKILL
    assert not (tmp_path / "run" / "summary.json").exists()  # it was killed inside training
    resumed = launch(argv(tmp_path / "run", "--resume"), logs["resumed"])
    assert _join(ref, logs["ref"]) == 0, _read(logs["ref"])
    assert _join(resumed, logs["resumed"]) == 0, _read(logs["resumed"])
    assert "resumed from" in _read(logs["resumed"])
    _assert_same_run(tmp_path / "ref", tmp_path / "run")
