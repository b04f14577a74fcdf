"""What every recipe shares: budgets, ``key=value`` overrides onto a frozen config, the command line that
reproduces a run."""

from __future__ import annotations

import dataclasses
import shlex
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

C = TypeVar("C")

__all__ = ["budget_config", "claim", "coerce", "parse_overrides_into", "recipe_command"]


def budget_config(budgets: dict[str, C], budget: str) -> C:
    """The config of a named budget; a ValueError lists the valid names."""
    if budget not in budgets:
        raise ValueError(f"unknown budget {budget!r}; valid budgets: {', '.join(budgets)}")
    return budgets[budget]


def coerce(name: str, value: Any, annotation: Any) -> Any:
    """Convert a CLI string to a field's annotated type (int, float, bool, str, None, tuple[...])."""
    if not isinstance(value, str):
        return value
    ann = annotation
    options = typing.get_args(ann) if typing.get_origin(ann) in (typing.Union, types.UnionType) else (ann,)
    if value.lower() in ("none", "null") and type(None) in options:
        return None
    errors = []
    for opt in options:
        if opt is type(None):
            continue
        try:
            if opt is bool:
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError("not a boolean")
            if typing.get_origin(opt) is tuple:
                inner = typing.get_args(opt)[0]
                return tuple(coerce(name, v, inner) for v in value.split(",") if v)
            return opt(value)
        except (TypeError, ValueError) as e:
            errors.append(str(e))
    raise ValueError(f"override {name}={value!r}: expected {ann}, could not convert ({'; '.join(errors)})")


def parse_overrides_into(config: C, overrides: dict[str, Any]) -> C:
    """``dataclasses.replace`` with type coercion; unknown keys raise a ValueError listing the fields."""
    fields = {f.name: f for f in dataclasses.fields(config)}
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise ValueError(
            f"unknown override(s) {', '.join(unknown)} for {type(config).__name__}; "
            f"valid keys: {', '.join(fields)}"
        )
    hints = typing.get_type_hints(type(config))
    return dataclasses.replace(config, **{k: coerce(k, v, hints[k]) for k, v in overrides.items()})


def recipe_command(name: str, budget: str, seed: int, overrides: dict[str, Any]) -> str:
    """The ``attnzoo run`` command line that reproduces a run."""
    parts = ["attnzoo", "run", name, "--budget", budget, "--seed", str(seed)]
    parts += [f"{k}={v}" for k, v in overrides.items()]
    return shlex.join(parts)


def claim(
    text: str,
    held: Any,
    numbers: Mapping[str, Any] | None = None,
    note: str | None = None,
    *,
    digits: int = 3,
) -> dict[str, Any]:
    """A recipe's ``summary["claim"]`` for its tour card (the contract is in :mod:`attnzoo.recipes.tour`).

    ``held`` is a comparison of this run's own measurements (``bl_attn > bl_plain``, numpy bools too), or
    None when the run could not measure it; never a constant. Float numbers are rounded to ``digits``
    decimals so the card stays readable.

    Example::

        summary["claim"] = claim(
            "attention beats no attention on sentences of at most 6 words",
            held=bleu["bahdanau"] > bleu["seq2seq"],
            numbers={"BLEU, bahdanau": bleu["bahdanau"], "BLEU, seq2seq": bleu["seq2seq"]},
            note="one seed at the smoke budget",
        )
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty sentence, got {text!r}")
    out: dict[str, Any] = {"text": text.strip(), "held": None if held is None else bool(held)}
    if numbers:
        out["numbers"] = {
            str(k): round(float(v), digits) if isinstance(v, float) or hasattr(v, "dtype") else v
            for k, v in numbers.items()
        }
    if note:
        out["note"] = str(note)
    return out
