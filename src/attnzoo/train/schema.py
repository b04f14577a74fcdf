"""Checking a saved model before building it: its config against the config's dataclass, its metadata
against a spec, and its weights file's shapes against the model that config describes.

A loader that builds a model from a file's metadata must not trust it: a ``vocab_size`` of 1e10 would be
allocated (1.28 TB) before ``load_state_dict`` could object. :func:`build_checked` builds the model on
PyTorch's ``meta`` device first (no memory), compares every state-dict shape with the shapes in the
safetensors header (read without loading a tensor), and only then builds it for real. Every failure is a
``ValueError`` naming the file and the field or tensor (a missing file stays ``FileNotFoundError``).

A loader adopts it in three calls::

    meta = read_metadata(path, {"config": dict, "max_len": int})
    config = config_from_dict(MyConfig, meta["config"], source=f"{path}: metadata 'config'")
    model = build_checked(MyModel, config, path)  # then load_weights(model, path)
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors import safe_open

__all__ = [
    "build_checked",
    "config_from_dict",
    "read_json",
    "read_metadata",
    "type_name",
    "type_ok",
    "weight_shapes",
]

C = TypeVar("C")


def type_ok(value: Any, annotation: Any) -> bool:
    """Does ``value`` fit a simple annotation (``int``, ``float``, ``bool``, ``str``, ``X | None``,
    ``tuple[X, ...]``, a class)? An int fits ``float``; a bool fits only ``bool``; others pass."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(type_ok(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is tuple:
        args = typing.get_args(annotation)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(type_ok(v, args[0]) for v in value)
        return len(args) == len(value) and all(type_ok(v, a) for v, a in zip(value, args, strict=True))
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True  # an annotation this checker does not model: left to the config's own checks


def type_name(annotation: Any) -> str:
    """``int``, ``int | None``, ``tuple[int, ...]``: an annotation as its source spells it."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _tuples(value: Any) -> Any:
    """JSON has no tuples: lists (nested too) back to tuples."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def config_from_dict(cls: type[C], data: Any, *, source: str) -> C:
    """Build the dataclass ``cls`` from a JSON-decoded dict, checking keys and types first.

    Args:
        cls: a dataclass (its ``__post_init__`` then checks ranges).
        data: the decoded JSON (lists become tuples).
        source: what to name in errors, e.g. ``"runs/x/model.json: 'config'"``.

    Raises:
        ValueError: not an object, unknown or missing fields, a value of the wrong type, or one the
            dataclass refuses (its message kept), each naming ``source`` and the field.
    """
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{source}: expected a JSON object of {cls.__name__} fields, got {type(data).__name__}"
        )
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(
            f"{source}: unknown field(s) {', '.join(map(str, unknown))} for {cls.__name__}; "
            f"valid: {', '.join(fields)}"
        )
    required = [
        n
        for n, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.init
    ]
    missing = [n for n in required if n not in data]
    if missing:
        raise ValueError(f"{source}: missing field(s) {', '.join(missing)} of {cls.__name__}")
    hints = typing.get_type_hints(cls)
    values = {k: _tuples(v) for k, v in data.items()}
    for k, v in values.items():
        if k in hints and not type_ok(v, hints[k]):
            raise ValueError(
                f"{source}: field {k} must be {type_name(hints[k])}, got {type(v).__name__} {v!r}"
            )
    try:
        return cls(**values)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{source}: {e}") from None


def _open_error(path: Path, e: Exception) -> ValueError:
    return ValueError(f"{path}: not a readable safetensors file (truncated, corrupt or not one?): {e}")


def read_metadata(path: str | os.PathLike, spec: Mapping[str, type]) -> dict[str, Any]:
    """The safetensors header's metadata of ``path``, each key of ``spec`` present and of its type.

    ``str`` entries are returned as stored; any other type is JSON-decoded first (``int``: ``"250"``;
    ``dict``, ``list``: JSON text). Keys not in ``spec`` are returned unchanged (strings).

    Raises:
        FileNotFoundError: no file. ValueError: an unreadable header, or a key missing or of another type.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no safetensors file at {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
    except Exception as e:  # safetensors' own error type (SafetensorError) for bad headers
        raise _open_error(path, e) from None
    out: dict[str, Any] = dict(meta)
    for key, kind in spec.items():
        if key not in meta:
            raise ValueError(f"{path}: metadata lacks {key!r} (has: {', '.join(sorted(meta)) or 'nothing'})")
        value = meta[key]
        if kind is not str:
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(f"{path}: metadata {key!r} is not valid JSON: {meta[key][:80]!r}") from None
        if not type_ok(value, kind):
            raise ValueError(f"{path}: metadata {key!r} must be {kind.__name__}, got {type(value).__name__}")
        out[key] = value
    return out


def read_json(path: str | os.PathLike, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON file holding an object, each key of ``spec`` present and of its type (an annotation
    :func:`type_ok` checks: ``str``, ``int``, ``dict``, ``list``, ``X | None``...). The sidecar-file
    counterpart of :func:`read_metadata`; other keys are returned unchecked.

    Raises:
        FileNotFoundError: no file. ValueError: not UTF-8 JSON, not an object, or a key missing or of
            another type, naming the file and the key.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(data).__name__}")
    for key, kind in spec.items():
        if key not in data:
            raise ValueError(f"{path}: lacks {key!r} (has: {', '.join(sorted(data)) or 'nothing'})")
        if not type_ok(data[key], kind):
            raise ValueError(f"{path}: {key!r} must be {type_name(kind)}, got {type(data[key]).__name__}")
    return data


def weight_shapes(path: str | os.PathLike) -> dict[str, tuple[int, ...]]:
    """The model tensors' shapes in a safetensors file, from its header alone (no tensor is read).

    An attnzoo checkpoint (:func:`attnzoo.train.save_checkpoint`) gives its ``model/`` section with the
    prefix removed; a plain safetensors state dict gives every tensor.

    Raises:
        FileNotFoundError: no file. ValueError: a header safetensors cannot parse.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            checkpoint = "attnzoo" in (f.metadata() or {})
            shapes = {n: tuple(f.get_slice(n).get_shape()) for n in f.keys()}  # noqa: SIM118
    except Exception as e:
        raise _open_error(path, e) from None
    if checkpoint:
        shapes = {n.split("/", 1)[1]: s for n, s in shapes.items() if n.startswith("model/")}
    return shapes


def build_checked(
    model_cls: type[torch.nn.Module], config: Any, weights: str | os.PathLike
) -> torch.nn.Module:
    """``model_cls(config)``, built only after its state-dict shapes are checked against ``weights``.

    The model is first built on the ``meta`` device (nothing allocated), so a config whose sizes disagree
    with the file is refused before any memory is spent on it.

    Returns:
        A fresh model (initial weights, CPU); load the file into it with :func:`attnzoo.train.load_weights`.

    Raises:
        ValueError: tensors missing, unexpected or of another shape (up to three named), or a config the
            model refuses; FileNotFoundError: no weights file.
    """
    path = Path(weights)
    found = weight_shapes(path)
    try:
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in model_cls(config).state_dict().items()}
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: the saved config does not build a {model_cls.__name__}: {e}") from None
    problems = [f"missing {k}" for k in expected if k not in found]
    problems += [f"unexpected {k}" for k in found if k not in expected]
    problems += [
        f"{k} is {list(found[k])}, the config makes {list(s)}"
        for k, s in expected.items()
        if k in found and found[k] != s
    ]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ValueError(
            f"{path}: the weights do not fit the saved {model_cls.__name__} config: "
            f"{'; '.join(problems[:3])}{more}"
        )
    return model_cls(config)
