"""Recipes: one file a reproduction (data + model + budget + report). ``attnzoo run NAME`` runs one.

A recipe is a function ``run(out_dir: Path, *, budget: str = "smoke", seed: int = 0, **overrides) -> dict``
that writes ``out_dir/index.html`` (its report) and returns a summary (the headline metrics). It registers
itself with :func:`register_recipe`; the CLI and the tour find it in :data:`RECIPES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BUDGETS", "RECIPES", "Recipe", "get_recipe", "list_recipes", "register_recipe"]

BUDGETS = ("smoke", "full")

# Modules that register recipes when imported; listed here so the registry is complete without the CLI
# importing every recipe's dependencies up front.
_RECIPE_MODULES = [
    "attnzoo.recipes.caption",
    "attnzoo.recipes.nw_regression",
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


RECIPES: dict[str, Recipe] = {}


def register_recipe(
    name: str, *, summary: str, data: str
) -> Callable[[Callable[..., dict]], Callable[..., dict]]:
    """Decorator: register a recipe's ``run`` function under ``name``."""

    def wrap(fn: Callable[..., dict]) -> Callable[..., dict]:
        if name in RECIPES and RECIPES[name].run is not fn:
            raise ValueError(f"a recipe named {name!r} is already registered")
        RECIPES[name] = Recipe(name, fn, summary, data)
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
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; valid recipes: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]
