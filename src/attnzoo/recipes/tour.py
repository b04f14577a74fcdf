"""The tour: every registered recipe at its smoke budget on its default real data, one index page.

``attnzoo tour`` is attnzoo's main job: it shows every mechanism working, end to end, in minutes. A recipe
that fails is reported on the index page (with its error) and the tour goes on; the exit status says
whether all succeeded. Two recipes run at a time (one spawned process each, one torch thread), the
longest first (by the last tour's times in ``tour.json``, else :data:`_COST`): a new recipe adds its
name and smoke minutes to :data:`_COST`.

Running the tour again into the same folder is the common case, so the tour replaces its own earlier smoke
runs: in a folder the tour made (it holds :data:`TOUR_MARKER`) each recipe's subfolder is deleted before that
recipe runs again. A folder the tour did not make but which holds a run (e.g. ``--out runs``, next to full
runs) is refused unless ``force``: the tour never deletes a run it did not write without being told to.

The index is one card a recipe. What a recipe puts on its card, through the summary dict its ``run``
returns (every key optional; a recipe without them gets a digest of its numbers and its first figure):

``summary["claim"]``
    The recipe's headline, as a dict::

        {"text": "attention beats no attention on sentences of at most 6 words",  # one sentence
         "held": True,      # did it hold at this budget? True, False, or None (not measurable here)
         "numbers": {"BLEU, bahdanau": 14.2, "BLEU, seq2seq": 6.1},  # optional: label -> value
         "note": "needs the full budget for the Transformer"}         # optional: one more line

    A plain string is read as ``{"text": ..., "held": None}``. A malformed claim fails the recipe's card
    (with the reason), since the recipe broke this contract. Build it with
    :func:`attnzoo.recipes._common.claim`, ``held`` a comparison of the run's own numbers::

        summary["claim"] = claim(
            "attention beats no attention on sentences of at most 6 words",
            held=bleu["bahdanau"] > bleu["seq2seq"],  # measured, never a constant
            numbers={"BLEU, bahdanau": bleu["bahdanau"], "BLEU, seq2seq": bleu["seq2seq"]},
            note="needs the full budget for ..." if ... else None,
        )
        summary["thumbnail"] = "align-bahdanau"  # a name= given to Report.add_figure
``summary["thumbnail"]``
    Its most telling figure: a path relative to the recipe's ``out_dir`` (``"figures/03-bleu.png"``) or
    the figure's ``name=`` given to ``Report.add_figure`` (``"bleu"``, matched against
    ``figures/NN-bleu.*``). Default: the first PNG in ``out_dir/figures``.

Every other key (except ``recipe``, ``budget`` and ``config``) goes in the card's folded "all numbers" list,
formatted by :func:`attnzoo.viz.format_value` (no Python reprs).
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing as mp
import os
import re
import shutil
import signal
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed, wait
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from attnzoo.recipes import get_recipe, list_recipes
from attnzoo.recipes._common import RUN_FILES, check_output_dir
from attnzoo.train.interrupted import TrainingInterrupted

__all__ = ["TOUR_MARKER", "recipe_claim", "run_tour", "tour_entry"]

#: The file that marks a folder as the tour's own (its recipe subfolders are replaced on a rerun).
TOUR_MARKER = ".attnzoo-tour"

log = logging.getLogger("attnzoo.tour")

_NOT_NUMBERS = ("recipe", "budget", "config", "claim", "thumbnail")


def recipe_claim(summary: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The summary's ``claim`` checked against the contract above, or None when it states none."""
    claim = (summary or {}).get("claim")
    if claim is None:
        return None
    if isinstance(claim, str):
        claim = {"text": claim, "held": None}
    if not isinstance(claim, Mapping):
        raise ValueError(f"summary['claim'] must be a dict or a str, got {type(claim).__name__}")
    unknown = set(claim) - {"text", "held", "numbers", "note"}
    if unknown:
        raise ValueError(
            f"summary['claim'] has unknown keys {sorted(unknown)}; expected text, held, numbers, note"
        )
    if not isinstance(claim.get("text"), str) or not claim["text"].strip():
        raise ValueError(f"summary['claim']['text'] must be a non-empty sentence, got {claim.get('text')!r}")
    if not any(claim.get("held") is v for v in (True, False, None)):  # identity: 1.0 == True must not pass
        raise ValueError(f"summary['claim']['held'] must be True, False or None, got {claim.get('held')!r}")
    if claim.get("numbers") is not None and not isinstance(claim["numbers"], Mapping):
        raise ValueError(
            f"summary['claim']['numbers'] must be a dict label -> value, got {claim['numbers']!r}"
        )
    return {
        "text": claim["text"].strip(),
        "held": claim.get("held"),
        **{k: claim[k] for k in ("numbers", "note") if claim.get(k) is not None},
    }


def _thumbnail(summary: Mapping[str, Any] | None, folder: Path) -> Path | None:
    given = (summary or {}).get("thumbnail")
    if not given:
        return None
    path = folder / str(given)
    if path.is_file():
        return path
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", str(given)).strip("-")[:40]  # as Report.add_figure names files
    found = sorted((folder / "figures").glob(f"[0-9][0-9]-{slug}.*")) if slug else []
    if not found:
        log.warning("thumbnail %r not found under %s; using the first figure", given, folder)
    return found[0] if found else None


def _digest(summary: Mapping[str, Any]) -> str:
    from attnzoo.viz import format_value

    parts = [f"{k}: {format_value(v)}" for k, v in summary.items() if k not in _NOT_NUMBERS]
    text = "; ".join(parts[:3])
    return text if len(text) <= 300 else text[:297] + "..."


def tour_entry(
    name: str,
    description: str,
    data: str,
    folder: Path,
    *,
    summary: Mapping[str, Any] | None = None,
    error: str | None = None,
    seconds: float | None = None,
) -> dict[str, Any]:
    """One recipe's card for :func:`attnzoo.viz.write_index`, from its summary (or its error).

    Args:
        name: the recipe's registry name.
        description: its one-line summary (``Recipe.summary``).
        data: the data it ran on (``Recipe.data``).
        folder: its report folder (``out/NAME``).
        summary: what its ``run`` returned (the module docstring says which keys the card reads).
        error: ``"Type: message"`` when it failed (the claim is then not read).
        seconds: how long it took.
    """
    entry: dict[str, Any] = {
        "title": name,
        "path": folder,
        "description": description,
        "data": data,
        "status": "failed" if error else "ok",
        "seconds": seconds,
    }
    summary = summary if isinstance(summary, Mapping) else None
    if error:
        entry["error"] = error
    else:
        claim = recipe_claim(summary)
        if claim is not None:
            entry["claim"] = claim
        elif summary:
            entry["summary"] = "No headline claim from this recipe yet. Its numbers: " + _digest(summary)
    thumb = _thumbnail(summary, folder)
    if thumb is not None:
        entry["thumbnail"] = thumb
    details = {k: v for k, v in (summary or {}).items() if k not in _NOT_NUMBERS}
    if details:
        entry["details"] = details
    return entry


def _check_tour_dir(out: Path, names: Sequence[str], force: bool) -> None:
    """Refuse a folder the tour did not make if a recipe's subfolder there holds a run (unless ``force``)."""
    if force or (out / TOUR_MARKER).exists():
        return
    held = [n for n in names if any(next((out / n).rglob(f), None) for f in RUN_FILES)]
    if held:
        raise FileExistsError(
            f"{out} was not written by `attnzoo tour` and already holds runs of {', '.join(held)}: the tour "
            "would replace them. Pick another --out, or pass --force to replace them"
        )


# Smoke-budget minutes on one core, measured; the order when no earlier tour.json says better. A recipe not
# listed counts as 1.5. Longest first, so the last recipe to finish is a short one.
_COST = {
    "translate": 4.0,
    "draw": 3.0,
    "caption": 2.5,
    "ocr": 2.0,
    "sentiment": 2.0,
    "vision": 2.0,
    "ram": 1.0,
    "nw-regression": 0.2,
}


def _order(recipes: list, out: Path) -> list:
    """Longest first: the seconds of the last tour in ``out`` where known, else :data:`_COST`."""
    try:
        last = json.loads((out / "tour.json").read_text())
    except (OSError, ValueError):
        last = {}

    def cost(r) -> float:
        seconds = (last.get(r.name) or {}).get("seconds") if isinstance(last, dict) else None
        return float(seconds) / 60 if isinstance(seconds, int | float) else _COST.get(r.name, 1.5)

    return sorted(recipes, key=lambda r: -cost(r))


def _run_one(name: str, run: Any, folder: Path, seed: int) -> tuple[dict | None, str | None, float]:
    """One recipe at the smoke budget: ``(summary, error, seconds)``; an interruption propagates."""
    t0 = time.perf_counter()
    summary, error = None, None
    if _STOP is not None and _STOP.is_set():  # queued before the interruption, which cancel() cannot reach
        raise KeyboardInterrupt(f"{name}: not started, the tour was interrupted")
    try:
        summary = run(folder, budget="smoke", seed=seed)
        recipe_claim(summary)  # a claim that breaks the contract fails this recipe's card
    except TrainingInterrupted:  # the user stopped it: stop the tour too, as any recipe does
        raise
    except Exception as err:  # one broken recipe must not hide the others
        error = f"{type(err).__name__}: {err}"
        log.error("recipe %s failed:\n%s", name, traceback.format_exc())
        folder.mkdir(parents=True, exist_ok=True)
    return summary, error, time.perf_counter() - t0


_STOP: Any = None  # in a worker: the tour's stop event (set on an interruption)


def _worker_init(stop: Any = None) -> None:
    """A worker process: one torch thread, its own process group, log lines named by recipe.

    Its own process group keeps a terminal's Ctrl-C from reaching it directly: the tour forwards exactly one
    SIGINT to each worker, so a training stops after its step and saves (a second signal would abort it).
    """
    import torch

    global _STOP
    _STOP = stop
    torch.set_num_threads(1)
    os.setpgrp()
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)


def _run_parallel(recipes: list, out: Path, seed: int, workers: int, done) -> None:
    """Every recipe in ``workers`` spawned processes, longest first; ``done(recipe, result)`` as each ends.

    A SIGINT (or a recipe's :class:`TrainingInterrupted`) is forwarded once to every running worker, the
    others are cancelled, and the first interruption (naming a checkpoint to resume from) is raised.
    """
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(stop,))
    futures = {pool.submit(_run_one, r.name, r.run, out / r.name, seed): r for r in recipes}
    t0 = time.perf_counter()
    try:
        for fut in as_completed(futures):
            try:
                result = fut.result()
            except (KeyboardInterrupt, TrainingInterrupted):
                raise
            except Exception as err:  # the worker itself died (e.g. out of memory): this card fails
                result = (None, f"{type(err).__name__}: {err}", time.perf_counter() - t0)
            done(futures[fut], result)
    except (KeyboardInterrupt, TrainingInterrupted) as err:
        stop.set()
        for f in futures:
            f.cancel()
        for child in mp.active_children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGINT)
        stops = [err] if isinstance(err, TrainingInterrupted) else []
        wait(futures)  # the running recipes end soon: a training stops after its current step
        for f in futures:
            exc = None if f.cancelled() else f.exception()
            if isinstance(exc, TrainingInterrupted) and exc is not err:
                stops.append(exc)
        pool.shutdown(wait=True, cancel_futures=True)
        if stops:
            raise stops[0] from None
        raise
    pool.shutdown(wait=True)


def run_tour(
    out: Path,
    *,
    only: Sequence[str] | None = None,
    seed: int = 0,
    workers: int | None = None,
    force: bool = False,
) -> bool:
    """Run the recipes (all, or ``only``) at the smoke budget under ``out/NAME``; write ``out/index.html``.

    Args:
        out: the tour's folder: ``NAME/`` a recipe's report, ``index.html``, ``tour.json``.
        only: recipe names to run (default: every registered recipe).
        seed: each recipe's seed.
        workers: recipes run at a time, each in its own process with one torch thread (default: the CPU
            count, at most 2; 1 runs them here, one after another).
        force: replace runs in a folder the tour did not make.

    Each recipe's subfolder is deleted first (a fresh smoke run) when ``out`` is the tour's own folder or
    ``force`` is set; a foreign folder holding runs is refused before anything runs (FileExistsError).

    Returns True when every recipe succeeded. A SIGINT stops every running recipe after its current step
    (each saves a checkpoint) and raises :class:`TrainingInterrupted`; no index is written then.
    """
    from attnzoo import viz

    recipes = [get_recipe(n) for n in only] if only else list_recipes()
    out = check_output_dir(out, "tour folder (--out)")
    _check_tour_dir(out, [r.name for r in recipes], force)
    (out / TOUR_MARKER).write_text("written by `attnzoo tour`: its recipe folders are replaced on a rerun\n")
    for recipe in recipes:  # the tour's own earlier smoke runs (or --force): start afresh
        if (out / recipe.name).exists():
            shutil.rmtree(out / recipe.name)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    workers = min(workers, len(recipes)) or 1
    finished: dict[str, tuple] = {}
    bar = tqdm(total=len(recipes), desc="tour", unit="recipe")

    def done(recipe, result) -> None:
        _, error, seconds = result
        finished[recipe.name] = result
        log.info("%s: %s in %.0f s", recipe.name, "failed" if error else "ok", seconds)
        bar.set_postfix_str(recipe.name)
        bar.update()

    t0 = time.perf_counter()
    try:
        if workers == 1:
            for recipe in _order(recipes, out):
                done(recipe, _run_one(recipe.name, recipe.run, out / recipe.name, seed))
        else:
            _run_parallel(_order(recipes, out), out, seed, workers, done)
    finally:
        bar.close()
    total = time.perf_counter() - t0
    entries, results = [], {}
    for recipe in recipes:  # the index in name order, whatever order they finished in
        summary, error, seconds = finished[recipe.name]
        entry = tour_entry(
            recipe.name,
            recipe.summary,
            recipe.data,
            out / recipe.name,
            summary=summary,
            error=error,
            seconds=seconds,
        )
        entries.append(entry)
        results[recipe.name] = {
            "status": entry["status"],
            "seconds": round(seconds, 1),
            "claim": entry.get("claim"),
            "error": error,
        }
    ok = all(r["status"] == "ok" for r in results.values())
    command = "attnzoo tour" + (f" --only {' '.join(only)}" if only else "")
    intro = (
        "Every recipe at its smoke budget on its default data. Each card states the recipe's claim and "
        "whether it held at this budget; the report behind each link has the figures and the details. "
        f"{len(recipes)} recipes, {workers} at a time, in {total / 60:.1f} minutes."
    )
    index = viz.write_index(out / "index.html", entries, title="attnzoo tour", command=command, intro=intro)
    (out / "tour.json").write_text(json.dumps(results, indent=2, default=str))
    log.info("tour index: %s (%.0f s)", index, total)
    return ok
