"""Training jobs the subprocess tests run, and how they start them.

Jobs run in child processes made by a multiprocessing *forkserver* that has imported torch once, so each
child is a fresh process (own memory, own signal handlers, killable) that does not pay torch's import again.
They can also be run by hand, or under torchrun::

    python tests/train/_train_jobs.py resume OUT_DIR [--resume] [--kill-at N] [--term-at N]
    python -m torch.distributed.run --standalone --nproc_per_node 2 tests/train/_train_jobs.py ddp OUT_DIR
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import random
import signal
import socket
from collections.abc import Iterator

import numpy as np
import torch

from attnzoo.train import TrainConfig, Trainer, seed_everything

RESUME_EPOCHS, RESUME_SAMPLES, RESUME_BATCH, RESUME_CHECKPOINT_EVERY = (
    3,
    100,
    8,
    3,
)  # 13 batches/epoch, last of 4


def _log_to(log_path: str | None) -> None:
    fmt = "%(levelname)s %(name)s: %(message)s"
    if log_path is None:
        logging.basicConfig(level=logging.INFO, format=fmt, force=True)
    else:
        logging.basicConfig(level=logging.INFO, format=fmt, filename=log_path, force=True)


def resume_job(out_dir, log_path=None, resume=False, kill_at=None, term_at=None) -> None:
    """Dropout, noise from the torch/numpy/python RNGs, shuffling with a short last batch, Adam and StepLR:
    an exact resume has to restore all of them. ``kill_at``/``term_at`` (step numbers of this process)
    SIGKILL or SIGTERM the process inside that step, before its optimizer step."""
    _log_to(log_path)
    seed_everything(1234)
    model = torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 3)
    )
    gen = torch.Generator().manual_seed(0)
    x, y = (
        torch.randn(RESUME_SAMPLES, 5, generator=gen),
        torch.randint(0, 3, (RESUME_SAMPLES,), generator=gen),
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.9)
    calls = [0]

    def step_fn(model, batch):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if calls[0] == term_at:
            signal.raise_signal(signal.SIGTERM)  # to this thread, handled before it returns
        xb, yb = batch
        xb = xb + 0.1 * torch.randn_like(xb) * (1 + random.random()) + float(np.random.rand())
        logits = model(xb)
        return torch.nn.functional.cross_entropy(logits, yb), {
            "acc": (logits.argmax(-1) == yb).float().mean()
        }

    def eval_fn(model):
        return {"loss": torch.nn.functional.cross_entropy(model(x), y).item()}

    config = TrainConfig(
        out_dir=str(out_dir),
        epochs=RESUME_EPOCHS,
        batch_size=RESUME_BATCH,
        checkpoint_every=RESUME_CHECKPOINT_EVERY,
        log_every=4,
        num_threads=1,
        resume=resume,
        progress=False,
    )
    data = torch.utils.data.TensorDataset(x, y)
    Trainer(model, opt, data, step_fn=step_fn, eval_fn=eval_fn, config=config, scheduler=sched).fit()


def ddp_job(
    out_dir, log_path=None, rank=None, world_size=None, port=None, max_steps=None, resume=False
) -> None:
    """A tiny SGD run (2 epochs of 4 steps); with ``rank``/``world_size``/``port`` it sets the environment
    torchrun would."""
    if world_size is not None:
        os.environ.update(
            RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_WORLD_SIZE=str(world_size)
        )
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    _log_to(log_path)
    seed_everything(7)  # the same initial weights on every rank (DDP would broadcast rank 0's anyway)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=gen)
    y = x.sum(-1, keepdim=True) + 0.1 * torch.randn(32, 1, generator=gen)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def step_fn(model, batch):
        xb, yb = batch
        return torch.nn.functional.mse_loss(model(xb), yb), {}

    def eval_fn(model):
        return {"loss": torch.nn.functional.mse_loss(model(x), y).item()}

    # batch_size is GLOBAL: each of 2 ranks gets 4 of the single process's 8 samples
    config = TrainConfig(
        out_dir=str(out_dir),
        epochs=2,
        batch_size=8,
        max_steps=max_steps,
        resume=resume,
        num_threads=1,
        progress=False,
    )
    data = torch.utils.data.TensorDataset(x, y)
    Trainer(model, opt, data, step_fn=step_fn, eval_fn=eval_fn, config=config).fit()


_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(["torch", "torch._dynamo", "numpy", "attnzoo.train", "_train_jobs"])


def _logged(target, *args) -> None:
    try:
        target(*args)
    except BaseException:
        logging.getLogger("attnzoo.train").exception("job failed")
        raise


def launch(target, *args) -> multiprocessing.Process:
    """Start ``target(*args)`` in a fresh child process (exceptions also go to its log file)."""
    proc = _CTX.Process(target=_logged, args=(target, *args), daemon=True)
    proc.start()
    return proc


HANG_GUARD_S = 1800  # far beyond any job here: only a hung child reaches it (not a statement about speed)


def join(proc: multiprocessing.Process) -> int | None:
    """Wait for ``proc`` to exit and return its exit code; a child still alive after the hang guard is
    killed and gives None (the caller fails with its log)."""
    proc.join(HANG_GUARD_S)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None
    return proc.exitcode


@contextlib.contextmanager
def reserved_port() -> Iterator[int]:
    """A free TCP port held for the block: bound here with SO_REUSEADDR and not listening, so gloo's store
    (libuv binds with SO_REUSEADDR too) can take it, but no other process can between "found free" and
    "bound by rank 0" (the race of binding port 0, closing, and handing the number on)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("job", choices=["resume", "ddp"])
    parser.add_argument("out_dir")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--kill-at", type=int, default=None)
    parser.add_argument("--term-at", type=int, default=None)
    args = parser.parse_args()
    if args.job == "resume":
        resume_job(args.out_dir, resume=args.resume, kill_at=args.kill_at, term_at=args.term_at)
    else:
        ddp_job(args.out_dir)
