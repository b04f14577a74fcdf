"""The tour: every registered recipe at its smoke budget on its default real data, one index page.

``attnzoo tour`` is attnzoo's main job: it shows every mechanism working, end to end, in minutes. A recipe
that fails is reported on the index page (with its error) and the tour goes on; the exit status says
whether all succeeded.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from attnzoo.recipes import get_recipe, list_recipes
from attnzoo.train.interrupted import TrainingInterrupted

__all__ = ["run_tour"]

log = logging.getLogger("attnzoo.tour")


def _compact(value):
    """Round floats to 3 significant digits, recursively, for a readable one-line digest."""
    if isinstance(value, float):
        return float(f"{value:.3g}")
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_compact(v) for v in value]
    return value


def _headline(summary: dict) -> str:
    """A one-line digest of a recipe's summary for the index page."""
    parts = [f"{k}: {_compact(v)}" for k, v in summary.items() if k not in ("recipe", "budget", "config")]
    text = "; ".join(parts)
    return text if len(text) <= 600 else text[:597] + "..."


def run_tour(out: Path, *, only: Sequence[str] | None = None, seed: int = 0) -> bool:
    """Run the recipes (all, or ``only``) at the smoke budget under ``out/NAME``; write ``out/index.html``.

    Returns True when every recipe succeeded.
    """
    from attnzoo import viz

    recipes = [get_recipe(n) for n in only] if only else list_recipes()
    out.mkdir(parents=True, exist_ok=True)
    entries, results, ok = [], {}, True
    bar = tqdm(recipes, desc="tour", unit="recipe")
    for recipe in bar:
        bar.set_postfix_str(recipe.name)
        t0 = time.perf_counter()
        try:
            summary = recipe.run(out / recipe.name, budget="smoke", seed=seed)
            status, text = "ok", _headline(summary)
        except TrainingInterrupted:  # the user stopped it: stop the tour too, as any recipe does
            raise
        except Exception as err:  # one broken recipe must not hide the others
            ok = False
            status, text = "failed", f"{type(err).__name__}: {err}"
            log.error("recipe %s failed:\n%s", recipe.name, traceback.format_exc())
            (out / recipe.name).mkdir(parents=True, exist_ok=True)
        seconds = time.perf_counter() - t0
        log.info("%s: %s in %.0f s", recipe.name, status, seconds)
        results[recipe.name] = {"status": status, "seconds": round(seconds, 1), "summary": text}
        entries.append(
            {
                "title": f"{recipe.name} — {recipe.summary}",
                "path": out / recipe.name,
                "status": f"{status}, {seconds:.0f} s",
                "summary": f"data: {recipe.data}. {text}",
            }
        )
    command = "attnzoo tour" + (f" --only {' '.join(only)}" if only else "")
    index = viz.write_index(out / "index.html", entries, title="attnzoo tour", command=command)
    (out / "tour.json").write_text(json.dumps(results, indent=2))
    log.info("tour index: %s", index)
    return ok
