"""DDP on CPU: 2 gloo processes reach the single-process weights for the same global batch."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from _train_jobs import HANG_GUARD_S, ddp_job, join, launch, reserved_port

from attnzoo.train import load_checkpoint, read_metrics


def _run(root, jobs):
    """Start ``{name: args for ddp_job}`` together; wait; fail with the job's log if one did not exit 0."""
    procs = {
        name: launch(ddp_job, root / out, root / f"{name}.log", *rest) for name, (out, *rest) in jobs.items()
    }
    codes = {name: join(proc) for name, proc in procs.items()}  # None: hung past the guard, killed
    logs = {n: (root / f"{n}.log").read_text() if (root / f"{n}.log").exists() else "" for n in procs}
    for name, code in codes.items():
        assert code == 0, f"{name} exited with {code}:\n{logs[name]}"
    return logs


def _assert_ddp_matches_single(single_dir, ddp_dir):
    single, ddp = (
        load_checkpoint(single_dir / "last.safetensors"),
        load_checkpoint(ddp_dir / "last.safetensors"),
    )
    assert ddp.state["world_size"] == 2 and len(ddp.state["rng"]) == 2  # every rank's RNG state is kept
    for key in single.model:
        torch.testing.assert_close(ddp.model[key], single.model[key], rtol=0, atol=1e-6)
    assert not torch.equal(
        single.model["0.weight"], load_checkpoint(single_dir / "prev.safetensors").model["0.weight"]
    )
    # only rank 0 wrote: one record per epoch, and the epoch means cover the global batch
    epochs_single, epochs_ddp = read_metrics(single_dir, kind="epoch"), read_metrics(ddp_dir, kind="epoch")
    assert [r["step"] for r in epochs_ddp] == [r["step"] for r in epochs_single] == [4, 8]
    for a, b in zip(epochs_single, epochs_ddp, strict=True):
        assert b["train/loss"] == pytest.approx(a["train/loss"], abs=1e-6)
        assert b["eval/loss"] == pytest.approx(a["eval/loss"], abs=1e-6)
    assert sorted(p.name for p in ddp_dir.iterdir()) == sorted(p.name for p in single_dir.iterdir())


def test_two_process_ddp_matches_single_process_and_resumes_exactly(tmp_path):
    with reserved_port() as port, reserved_port() as port_cut:
        logs = _run(
            tmp_path,
            {
                "single": ("single",),
                "rank0": ("ddp", 0, 2, port),
                "rank1": ("ddp", 1, 2, port),
                "cut0": ("cut", 0, 2, port_cut, 3),  # stops after step 3 of 4 in epoch 1: a mid-epoch save
                "cut1": ("cut", 1, 2, port_cut, 3),
            },
        )
    _assert_ddp_matches_single(tmp_path / "single", tmp_path / "ddp")
    assert "epoch 2 done" in logs["rank0"] and "epoch 2 done" not in logs["rank1"]  # rank 0 alone reports

    with reserved_port() as port:
        _run(
            tmp_path, {"resume0": ("cut", 0, 2, port, None, True), "resume1": ("cut", 1, 2, port, None, True)}
        )
    full, cut = (
        load_checkpoint(tmp_path / "ddp" / "last.safetensors"),
        load_checkpoint(tmp_path / "cut" / "last.safetensors"),
    )
    for key in full.model:
        assert torch.equal(full.model[key], cut.model[key]), key
    assert full.state["rng"] == cut.state["rng"]  # both ranks' RNG states came back
    # the epoch means after the resume count every rank's batches once, before and after the cut
    full_epochs = read_metrics(tmp_path / "ddp", kind="epoch")
    cut_epochs = [r for r in read_metrics(tmp_path / "cut", kind="epoch") if not r.get("partial")]
    assert [r["train/loss"] for r in cut_epochs] == [r["train/loss"] for r in full_epochs]


@pytest.mark.slow
def test_torchrun_two_processes_match_single_process(tmp_path):
    script = Path(__file__).with_name("_train_jobs.py")
    env_cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    for cmd in (
        [sys.executable, str(script), "ddp", str(tmp_path / "single")],
        [*env_cmd, str(script), "ddp", str(tmp_path / "ddp")],
    ):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=HANG_GUARD_S)  # a hang guard only
        assert done.returncode == 0, done.stderr
    _assert_ddp_matches_single(tmp_path / "single", tmp_path / "ddp")
