"""Interrupted runs in real child processes: SIGKILL mid-epoch then resume, and SIGTERM save-and-exit.

Each must end with exactly the weights, optimizer state, RNG states and records of the uninterrupted run.
"""

import signal

import pytest
import torch
from _train_jobs import join, launch, resume_job

from attnzoo.train import load_checkpoint, read_metrics

KILL_AT, TERM_AT = 18, 20  # steps (13 an epoch, checkpoint every 3): both in epoch 2


def _wait(procs, root):
    """``{name: (exit code, log)}`` once every job has exited (a hung one: None, after the hang guard)."""
    result = {}
    for name, proc in procs.items():
        code = join(proc)
        log = root / f"{name}.log"
        result[name] = (code, log.read_text() if log.exists() else "")
    return result


def _progress(path):
    p = load_checkpoint(path).state["progress"]
    return p["step"], p["epoch"], p["batch"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start the reference, killed and SIGTERMed runs together, then resume the two interrupted ones."""
    root = tmp_path_factory.mktemp("resume")
    first = {
        "ref": launch(resume_job, root / "ref", root / "ref.log"),
        "kill": launch(resume_job, root / "kill", root / "kill.log", False, KILL_AT),
        "term": launch(resume_job, root / "term", root / "term.log", False, None, TERM_AT),
    }
    done = _wait(first, root)
    stopped_at = {name: _progress(root / name / "last.safetensors") for name in ("kill", "term")}
    second = {f"{n}2": launch(resume_job, root / n, root / f"{n}2.log", True) for n in ("kill", "term")}
    return root, done, stopped_at, _wait(second, root)


def _assert_same_final_state(a_dir, b_dir):
    a, b = load_checkpoint(a_dir / "last.safetensors"), load_checkpoint(b_dir / "last.safetensors")
    assert a.model.keys() == b.model.keys()
    for key in a.model:
        assert torch.equal(a.model[key], b.model[key]), key
    for pid, state in a.optimizer["state"].items():
        for key, value in state.items():
            assert torch.equal(value, b.optimizer["state"][pid][key]), (pid, key)
    assert a.scheduler == b.scheduler
    assert a.state["rng"] == b.state["rng"]
    assert a.state["progress"]["step"] == b.state["progress"]["step"] == 39

    def strip(records):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in records]

    assert strip(read_metrics(a_dir)) == strip(read_metrics(b_dir))


def test_reference_run_completes(runs):
    root, done, _, _ = runs
    code, log = done["ref"]
    assert code == 0, log
    assert [r["step"] for r in read_metrics(root / "ref", kind="epoch")] == [13, 26, 39]


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted_run(runs):
    root, done, stopped_at, resumed = runs
    code, log = done["kill"]
    assert code == -signal.SIGKILL, log
    # killed inside step 18: the newest checkpoint is the mid-epoch one after step 15 (epoch 2, batch 2)
    assert stopped_at["kill"] == (15, 1, 2)
    code, log = resumed["kill2"]
    assert code == 0, log
    assert "resumed from" in log and "(step 15)" in log
    _assert_same_final_state(root / "ref", root / "kill")


def test_sigterm_saves_and_exits_cleanly_with_resume_hint(runs):
    root, done, stopped_at, resumed = runs
    code, log = done["term"]
    assert code == 0, log
    assert "received SIGTERM" in log and "stopped by SIGTERM at step 20" in log
    assert "--resume" in log and str(root / "term" / "last.safetensors") in log
    assert stopped_at["term"] == (20, 1, 7)  # the step it was in finished, then it saved
    code, log = resumed["term2"]
    assert code == 0, log
    _assert_same_final_state(root / "ref", root / "term")
