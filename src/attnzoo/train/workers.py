"""Independent jobs (e.g. one training run per (model, seed)) in parallel worker processes."""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

__all__ = ["run_jobs"]

_log = logging.getLogger("attnzoo.train")

R = TypeVar("R")


def run_jobs(
    fn: Callable[..., R],
    jobs: Sequence[tuple[Any, ...]],
    *,
    workers: int,
    cost: Callable[[tuple[Any, ...]], float] | None = None,
) -> list[R]:
    """``[fn(*job) for job in jobs]``, computed in ``workers`` spawned processes; results in ``jobs`` order.

    Each job runs alone in a fresh interpreter (``spawn``: no state forked from the caller), so a job that
    seeds its own RNGs, as every :class:`~attnzoo.train.Trainer` run does, gives the result it would give
    in one process. ``workers == 1`` runs the jobs here, one after another, with no process at all.

    Args:
        fn: a module-level function (it is pickled by reference); each process may cache what jobs share
            (e.g. ``functools.lru_cache`` on a data loader) since a process runs several jobs.
        jobs: the argument tuples; they and the results must pickle.
        workers: processes (>= 1). Each should use few torch threads: workers x threads <= cores.
        cost: optional guess of a job's relative run time; the longest jobs are submitted first, so the
            last to finish is a short one. Only the order of submission changes, never the results.

    Returns:
        The results, ``results[i] = fn(*jobs[i])``. A job that raises re-raises here.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if workers == 1:
        return [fn(*job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -cost(jobs[i])) if cost else list(range(len(jobs)))
    results: dict[int, R] = {}
    _log.info("running %d jobs in %d worker processes", len(jobs), workers)
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(fn, *jobs[i]): i for i in order}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()  # a failed job raises here, with its traceback
            _log.info("finished job %d/%d: %s", len(results), len(jobs), jobs[i][:2])
    return [results[i] for i in range(len(jobs))]
