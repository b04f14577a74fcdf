"""The tour: every registered recipe at its smoke budget on its default real data, one index page.

``attnzoo tour`` is attnzoo's main job: it shows every mechanism working, end to end, in minutes. A recipe
that fails is reported on the index page (with its error) and the tour goes on; the exit status says
whether all succeeded.

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
    (with the reason), since the recipe broke this contract.
``summary["thumbnail"]``
    Its most telling figure: a path relative to the recipe's ``out_dir`` (``"figures/03-bleu.png"``) or
    the figure's ``name=`` given to ``Report.add_figure`` (``"bleu"``, matched against
    ``figures/NN-bleu.*``). Default: the first PNG in ``out_dir/figures``.

Every other key (except ``recipe``, ``budget`` and ``config``) goes in the card's folded "all numbers" list,
formatted by :func:`attnzoo.viz.format_value` (no Python reprs).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
import traceback
from collections.abc import Mapping, Sequence
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


def run_tour(out: Path, *, only: Sequence[str] | None = None, seed: int = 0, force: bool = False) -> bool:
    """Run the recipes (all, or ``only``) at the smoke budget under ``out/NAME``; write ``out/index.html``.

    Each recipe's subfolder is deleted first (a fresh smoke run) when ``out`` is the tour's own folder or
    ``force`` is set; a foreign folder holding runs is refused before anything runs (FileExistsError).

    Returns True when every recipe succeeded.
    """
    from attnzoo import viz

    recipes = [get_recipe(n) for n in only] if only else list_recipes()
    out = check_output_dir(out, "tour folder (--out)")
    _check_tour_dir(out, [r.name for r in recipes], force)
    (out / TOUR_MARKER).write_text("written by `attnzoo tour`: its recipe folders are replaced on a rerun\n")
    entries, results, ok = [], {}, True
    bar = tqdm(recipes, desc="tour", unit="recipe")
    for recipe in bar:
        bar.set_postfix_str(recipe.name)
        t0 = time.perf_counter()
        summary, error = None, None
        if (out / recipe.name).exists():  # the tour's own earlier smoke run (or --force): start afresh
            shutil.rmtree(out / recipe.name)
        try:
            summary = recipe.run(out / recipe.name, budget="smoke", seed=seed)
            recipe_claim(summary)  # a claim that breaks the contract fails this recipe's card
        except TrainingInterrupted:  # the user stopped it: stop the tour too, as any recipe does
            raise
        except Exception as err:  # one broken recipe must not hide the others
            ok = False
            error = f"{type(err).__name__}: {err}"
            log.error("recipe %s failed:\n%s", recipe.name, traceback.format_exc())
            (out / recipe.name).mkdir(parents=True, exist_ok=True)
        seconds = time.perf_counter() - t0
        log.info("%s: %s in %.0f s", recipe.name, "failed" if error else "ok", seconds)
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
    command = "attnzoo tour" + (f" --only {' '.join(only)}" if only else "")
    intro = (
        "Every recipe at its smoke budget on its default data. Each card states the recipe's claim and "
        "whether it held at this budget; the report behind each link has the figures and the details."
    )
    index = viz.write_index(out / "index.html", entries, title="attnzoo tour", command=command, intro=intro)
    (out / "tour.json").write_text(json.dumps(results, indent=2, default=str))
    log.info("tour index: %s", index)
    return ok
