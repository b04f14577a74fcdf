"""The ``sentiment`` recipe's one-file model bundle: weights, config, vocabulary and labels
in one safetensors file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors.torch import save_file

from attnzoo.data.text import (
    Vocab,
)
from attnzoo.models.text_classifier import TextClassifier, TextClassifierConfig
from attnzoo.train.checkpoint import load_weights
from attnzoo.train.schema import build_checked, config_from_dict, read_metadata

__all__ = ["DEFAULT_CHECKPOINT", "load_bundle", "save_bundle"]


DEFAULT_CHECKPOINT = Path("runs/sentiment/model.safetensors")  # where `attnzoo run sentiment` puts it


_FORMAT = "attnzoo.sentiment/1"
# the bundle's metadata: each key and its type (JSON-decoded unless str)
_SPEC = {"format": str, "config": dict, "vocab": str, "labels": list, "max_len": int, "info": dict}


def save_bundle(path: Path, model: TextClassifier, vocab: Vocab, labels: list[str], max_len: int, info: dict):
    """Write the model's weights with its config, vocabulary, label names and ``info`` as metadata."""
    meta = {
        "format": _FORMAT,
        "config": json.dumps(model.config.to_dict()),
        "vocab": vocab.to_json(),
        "labels": json.dumps(labels),
        "max_len": str(max_len),
        "info": json.dumps(info),
    }
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(state, str(tmp), metadata=meta)
    os.replace(tmp, path)


def load_bundle(path: str | os.PathLike) -> tuple[TextClassifier, Vocab, list[str], int, dict]:
    """``(model in eval mode, vocab, labels, max_len, info)`` from a file written by the sentiment recipe.

    The metadata is checked (keys, types, ranges, the vocabulary's and labels' sizes against the config)
    and the weights' shapes against the config before the model is built: a malformed bundle is a
    ``ValueError`` naming the file and the field, and nothing large is allocated for a lying one.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(
            f"no sentiment model at {path}: train one with `attnzoo run sentiment` (it writes "
            f"{DEFAULT_CHECKPOINT}, the default), or pass --checkpoint with a run's model.safetensors"
        )
    meta = read_metadata(path, {})
    if meta.get("format") != _FORMAT:
        raise ValueError(
            f"{path} is not a sentiment model bundle (metadata format {meta.get('format')!r}, "
            f"expected {_FORMAT!r}); pass the run's model.safetensors, not best.safetensors"
        )
    meta = read_metadata(path, _SPEC)
    config = config_from_dict(TextClassifierConfig, meta["config"], source=f"{path}: metadata 'config'")
    max_len, labels = meta["max_len"], meta["labels"]
    if max_len < 1:
        raise ValueError(f"{path}: metadata 'max_len' must be >= 1, got {max_len}")
    if len(labels) != config.num_classes or not all(isinstance(x, str) for x in labels):
        raise ValueError(
            f"{path}: metadata 'labels' must be {config.num_classes} names (the config's num_classes), "
            f"got {labels!r}"
        )
    try:
        vocab = Vocab.from_json(meta["vocab"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: metadata 'vocab' is not a vocabulary: {e}") from None
    if len(vocab) != config.vocab_size:
        raise ValueError(
            f"{path}: metadata 'vocab' holds {len(vocab)} tokens, the config's vocab_size is "
            f"{config.vocab_size}"
        )
    model = load_weights(build_checked(TextClassifier, config, path), path)
    return model.eval(), vocab, labels, max_len, meta["info"]
