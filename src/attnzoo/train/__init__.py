"""attnzoo.train: the one training loop every recipe uses; it knows nothing of particular models.

A recipe supplies a model, an optimizer, a map-style dataset and two small functions::

    import torch
    from attnzoo.train import TrainConfig, Trainer, load_weights, seed_everything

    seed_everything(0)  # before building the model, so its initial weights are reproducible
    model = torch.nn.Linear(1, 1)
    data = torch.utils.data.TensorDataset(torch.randn(256, 1), torch.randn(256, 1))

    def step_fn(model, batch):  # -> (loss tensor, {metric: float})
        x, y = batch
        loss = torch.nn.functional.mse_loss(model(x), y)  # call model(...) itself: DDP syncs there
        return loss, {}

    def eval_fn(model):  # eval mode, no_grad; -> {metric: float}, recorded as "eval/<name>"
        x, y = data.tensors
        return {"loss": torch.nn.functional.mse_loss(model(x), y).item()}

    config = TrainConfig(out_dir="runs/demo", epochs=3, batch_size=32, checkpoint_every=4, resume=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    history = Trainer(model, opt, data, step_fn=step_fn, eval_fn=eval_fn, config=config).fit()
    load_weights(model, "runs/demo/best.safetensors")  # best by config.best_metric (here eval/loss, min)

``Trainer.fit(load_best=True)`` ends on the best weights instead (``trainer.load_best()`` does it later);
after a SIGINT/SIGTERM, ``trainer.raise_if_interrupted()`` raises :class:`TrainingInterrupted` (signal, run
dir, resume hint), which the CLI turns into exit code 130 for every recipe.

What ``fit()`` does: reseeds (``seed + rank``), then each epoch reads the data in an order fixed by
``(seed, epoch)``, shows a tqdm bar (rank 0, terminals only, ``progress=False`` hides it), appends records
to ``out_dir/metrics.jsonl`` (see :func:`read_metrics`), evaluates, and writes ``last.safetensors`` (the
previous one becomes ``prev.safetensors``) and ``best.safetensors``; every ``checkpoint_every`` steps it
also saves ``last`` mid-epoch. With ``eval_every_steps=N`` it evaluates every N optimizer steps (and
after the last) instead of at epoch ends: ``"eval"`` records in ``metrics.jsonl`` and :attr:`Trainer.evals`,
each a candidate for ``best``, resumed exactly. Checkpoints hold weights, optimizer, scheduler, RNG
states of every rank, position in the epoch and the config, as safetensors plus a JSON index (no
pickle), written atomically.

Resume: ``resume=True`` continues from ``last`` (falling back to ``prev``, then ``best``, with a warning
when one is unreadable) and reaches the same weights as an uninterrupted run. SIGINT/SIGTERM finish the
current step, save, log how to resume (``config.resume_hint``, ``"--resume"`` by default) and return;
``trainer.interrupted`` then names the signal. Randomness in DataLoader *workers* (``num_workers > 0``)
restarts on resume: derive per-sample randomness from the index, or use ``num_workers=0``, for exactness.

Distributed: run the same script with ``torchrun --nproc_per_node N``; the trainer starts the process group
(gloo on CPU, nccl on CUDA), wraps the model in DDP and shards each global batch of ``batch_size``
samples over the ranks (so results match one process with the same ``batch_size``); only rank 0 writes
files, shows the bar and runs ``eval_fn`` (on the unwrapped model; its numbers are broadcast).

Also here, for recipes to share: :func:`count_flops` and :func:`inference_speed` (``train.profile``), and
:func:`run_jobs` (``train.workers``: independent runs in spawned processes, results as in one process).
"""

from attnzoo.train.atomic import atomic_write_bytes, atomic_write_text
from attnzoo.train.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    load_weights,
    save_checkpoint,
)
from attnzoo.train.config import TrainConfig
from attnzoo.train.distributed import DistInfo, setup_distributed
from attnzoo.train.interrupted import TrainingInterrupted
from attnzoo.train.metrics import METRICS_FILE, read_metrics
from attnzoo.train.profile import count_flops, inference_speed
from attnzoo.train.seeding import get_rng_state, seed_everything, set_deterministic, set_rng_state
from attnzoo.train.trainer import BEST, LAST, PREV, EvalFn, StepFn, Trainer
from attnzoo.train.workers import run_jobs

__all__ = [
    "BEST",
    "LAST",
    "METRICS_FILE",
    "PREV",
    "Checkpoint",
    "CheckpointError",
    "DistInfo",
    "EvalFn",
    "StepFn",
    "TrainConfig",
    "Trainer",
    "TrainingInterrupted",
    "atomic_write_bytes",
    "atomic_write_text",
    "count_flops",
    "get_rng_state",
    "inference_speed",
    "load_checkpoint",
    "load_weights",
    "read_metrics",
    "run_jobs",
    "save_checkpoint",
    "seed_everything",
    "set_deterministic",
    "set_rng_state",
    "setup_distributed",
]
