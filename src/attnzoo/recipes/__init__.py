"""Recipes: one reproduction each (data + model + budget + report). ``attnzoo run NAME`` runs one.

A recipe is a function ``run(out_dir: Path, *, budget: str = "smoke", seed: int = 0, resume: bool = False,
force: bool = False, **overrides) -> dict`` that writes ``out_dir/index.html`` (its report) and returns a
summary (the headline metrics). It registers itself with :func:`register_recipe`; the CLI and the tour find
it in :data:`RECIPES`. Its first lines check everything before any work: the config validates its fields
in ``__post_init__`` (``_common.check_fields``), and ``out = _common.prepare_run_dir(out_dir,
resume=resume, force=force)`` checks the folder is writable and refuses an earlier run there.

A recipe is a package, one idea a module (``translate/``, ``sentiment/``, ``vision/``)::

    config.py    the frozen config (a comment a field), BUDGETS, SUMMARY/DATA and the DESCRIPTION the
                 report shows: settings and their prose in one place
    data.py      its data; models.py its models by name, saving and loading; train.py one training run
    evaluate.py  its measurements; report.py / figures.py its HTML page and pictures
    recipe.py    run(); __init__.py registers it and re-exports the public names

or one file when small (``nw_regression.py``). Modules import downwards only (config <- data/models <-
train/evaluate <- report <- recipe <- __init__); a report never imports its recipe. What two recipes need
lives one layer down: image splits and augmentation in :mod:`attnzoo.data.images`, tokenisers and
bucketing in :mod:`attnzoo.data.seq2seq`, FLOPs in :mod:`attnzoo.train.profile`, parallel runs in
:func:`attnzoo.train.run_jobs`. A training stopped by a signal raises
:class:`attnzoo.train.TrainingInterrupted` (``trainer.raise_if_interrupted()``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from attnzoo._registry import Registry

__all__ = ["BUDGETS", "RECIPES", "Recipe", "get_recipe", "list_recipes", "register_recipe"]

BUDGETS = ("smoke", "full")

# Modules that register recipes when imported; listed here so the registry is complete without the CLI
# importing every recipe's dependencies up front.
_RECIPE_MODULES = [
    "attnzoo.recipes.caption",
    "attnzoo.recipes.draw",
    "attnzoo.recipes.nw_regression",
    "attnzoo.recipes.ocr",
    "attnzoo.recipes.ram",
    "attnzoo.recipes.sentiment",
    "attnzoo.recipes.translate",
    "attnzoo.recipes.vision",
]


@dataclass(frozen=True)
class Recipe:
    name: str  # registry key, e.g. "nw-regression"
    run: Callable[..., dict]  # run(out_dir, *, budget, seed, **overrides) -> summary dict
    summary: str  # one line for `attnzoo list`
    data: str  # the real data it runs on by default


RECIPES: Registry[Recipe] = Registry("recipe")


def register_recipe(
    name: str, *, summary: str, data: str
) -> Callable[[Callable[..., dict]], Callable[..., dict]]:
    """Decorator: register a recipe's ``run`` function under ``name``."""

    def wrap(fn: Callable[..., dict]) -> Callable[..., dict]:
        if name not in RECIPES or RECIPES[name].run is not fn:  # the same function again is a no-op
            RECIPES.add(name, Recipe(name, fn, summary, data))
        return fn

    return wrap


def _load_all() -> None:
    for mod in _RECIPE_MODULES:
        importlib.import_module(mod)


def list_recipes() -> list[Recipe]:
    """Every registered recipe, sorted by name."""
    _load_all()
    return [RECIPES[k] for k in sorted(RECIPES)]


def get_recipe(name: str) -> Recipe:
    """The recipe registered under ``name``; a ValueError lists the valid names."""
    _load_all()
    return RECIPES.lookup(name)
