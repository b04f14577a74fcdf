"""What every recipe shares: budgets, ``key=value`` overrides onto a frozen config, the command line that
reproduces a run."""

from __future__ import annotations

import dataclasses
import math
import os
import shlex
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from attnzoo.train.schema import type_name, type_ok

C = TypeVar("C")

__all__ = [
    "RUN_FILES",
    "budget_config",
    "check_fields",
    "check_output_dir",
    "check_output_file",
    "claim",
    "coerce",
    "format_mean_std",
    "mean_std",
    "parse_overrides_into",
    "prepare_run_dir",
    "recipe_command",
]


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
    raise ValueError(
        f"override {name}={value!r}: expected {type_name(ann)}, could not convert ({'; '.join(errors)})"
    )


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


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_RULES = {
    "positive": ("> 0", lambda v: v > 0),
    "nonneg": (">= 0", lambda v: v >= 0),
    "finite": ("finite", lambda v: True),
    "fraction": ("in [0, 1)", lambda v: 0 <= v < 1),
    "share": ("in [0, 1]", lambda v: 0 <= v <= 1),
}


def check_fields(
    config: Any,
    *,
    positive: Sequence[str] = (),
    nonneg: Sequence[str] = (),
    finite: Sequence[str] = (),
    fraction: Sequence[str] = (),
    share: Sequence[str] = (),
    choices: Mapping[str, Iterable[Any]] | None = None,
) -> None:
    """Validate a frozen config's fields (call it from ``__post_init__``); the error names the field.

    Every field's value is first checked against its annotation (``int``, ``float``, ``bool``, ``str``,
    ``X | None``, ``tuple[X, ...]``; an int is a valid float): a mismatch is a ``TypeError``. Then the
    named fields must be finite numbers that are ``positive`` (> 0), ``nonneg`` (>= 0), merely ``finite``,
    a ``fraction`` (in [0, 1): dropout, label smoothing, momentum) or a ``share`` (in [0, 1], both ends
    allowed: a probability, the part of a run before a schedule starts); ``choices`` maps a field to its
    allowed values. A ``None`` value passes (the annotation said whether it may be None); a tuple field is
    checked element by element. Anything else raises a ``ValueError`` such as ``NWConfig.seeds must be > 0,
    got 0`` or ``NWConfig.lr must be finite and > 0, got nan``.

    Usage: ``def __post_init__(self): check_fields(self, positive=("epochs", "lr"), fraction=("dropout",))``.
    """
    cls = type(config).__name__
    hints = typing.get_type_hints(type(config))
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if f.name in hints and not type_ok(value, hints[f.name]):
            raise TypeError(
                f"{cls}.{f.name} must be {type_name(hints[f.name])}, got {type(value).__name__} {value!r}"
            )
    groups = {"positive": positive, "nonneg": nonneg, "finite": finite, "fraction": fraction, "share": share}
    for rule, names in groups.items():
        text, ok = _RULES[rule]
        for name in names:
            value = getattr(config, name)
            for v in value if isinstance(value, tuple) else (value,):
                if v is None:
                    continue
                if not _is_number(v) or not math.isfinite(v):
                    what = "finite" if rule == "finite" else f"finite and {text}"
                    raise ValueError(f"{cls}.{name} must be {what}, got {value!r}")
                if not ok(v):
                    raise ValueError(f"{cls}.{name} must be {text}, got {value!r}")
    for name, allowed in (choices or {}).items():
        allowed = tuple(allowed)
        value = getattr(config, name)
        bad = [v for v in (value if isinstance(value, tuple) else (value,)) if v not in allowed]
        valid = ", ".join(map(str, allowed))
        if bad and isinstance(value, tuple):
            raise ValueError(f"{cls}.{name}: unknown value(s) {', '.join(map(repr, bad))}; valid: {valid}")
        if bad:
            raise ValueError(f"{cls}.{name} must be one of {valid}; got {value!r}")


def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (ddof=1); the std is ``None`` for a single value (not NaN)."""
    a = np.asarray(values, dtype=float)
    if a.size == 0:
        raise ValueError("mean_std needs at least one value, got none")
    return float(a.mean()), (float(a.std(ddof=1)) if a.size > 1 else None)


def format_mean_std(values: Sequence[float], digits: int = 2, scale: float = 1.0) -> str:
    """``"m +- s"``, or ``"m (n=1)"`` for one value: one seed has no spread to report."""
    m, s = mean_std([scale * v for v in values])
    return f"{m:.{digits}f} (n=1)" if s is None else f"{m:.{digits}f} +- {s:.{digits}f}"


#: Files that mark a directory as holding a run (the trainer's checkpoints and metrics, a recipe's summary).
RUN_FILES = ("last.safetensors", "prev.safetensors", "best.safetensors", "metrics.jsonl", "summary.json")


def _probe_writable(folder: Path, what: str) -> None:
    probe = folder / f".attnzoo-write-probe-{os.getpid()}"
    try:
        with open(probe, "x"):
            pass
        probe.unlink()
    except OSError as e:
        raise PermissionError(f"{what} {folder} is not writable: {e.strerror or e}") from None


def check_output_dir(path: str | os.PathLike, what: str = "output directory") -> Path:
    """Create ``path`` (with its parents) and check that files can be written in it, before any work.

    Raises:
        NotADirectoryError: ``path`` (or a parent) is a file.
        PermissionError: the directory cannot be created or written to.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{what} {out} is a file, not a directory: pass a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NotADirectoryError(f"{what} {out}: a parent of it is a file, not a directory") from None
    except OSError as e:
        raise PermissionError(f"cannot create {what} {out}: {e.strerror or e}") from None
    _probe_writable(out, what)
    return out


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """Check that a file can be written at ``path`` (its folder exists and is writable; ``path`` is not a
    folder) without creating it, so a command fails before its work rather than after.

    Raises:
        IsADirectoryError: ``path`` is a folder.
        FileNotFoundError: its folder does not exist.
        PermissionError: its folder (or an existing file there) cannot be written.
    """
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"{what} {p} is a directory: give a file name, e.g. {p / 'out'}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"{what} {p}: its folder {parent} does not exist")
    _probe_writable(parent, f"{what}'s folder")
    if p.exists() and not os.access(p, os.W_OK):
        raise PermissionError(f"{what} {p} exists and is not writable")
    return p


def prepare_run_dir(out_dir: str | os.PathLike, *, resume: bool = False, force: bool = False) -> Path:
    """A recipe's first step: check ``out_dir`` is a writable folder and refuse to replace an earlier run.

    Call it before loading data or training, so a bad ``--out`` is reported before any work. A folder
    holding an earlier run (any of :data:`RUN_FILES` inside it, at any depth) is refused unless ``resume``
    (carry on from its checkpoints) or ``force`` (start over; the trainer then deletes the old checkpoints
    of each run it restarts). Usage: ``out = prepare_run_dir(out_dir, resume=resume, force=force)``.

    Raises:
        ValueError: ``resume`` and ``force`` together.
        FileExistsError: an earlier run is there and neither flag is set (the message names both).
        NotADirectoryError, PermissionError: as :func:`check_output_dir`.
    """
    if resume and force:
        raise ValueError("--resume and --force contradict each other: continue the run or replace it")
    out = check_output_dir(out_dir, "output directory (--out)")
    if not (resume or force):
        found = sorted(str(p.relative_to(out)) for name in RUN_FILES for p in out.rglob(name))
        if found:
            shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
            raise FileExistsError(
                f"{out} already holds a run ({shown}): continue it with --resume (resume=True), replace it "
                "with --force (force=True), or pick another --out"
            )
    return out
