"""The ``sentiment`` recipe's one-file model bundle: weights, config, vocabulary and labels
in one safetensors file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save_file

from attnzoo.data.text import (
    Vocab,
)
from attnzoo.models.text_classifier import TextClassifier, TextClassifierConfig

__all__ = ["DEFAULT_CHECKPOINT", "load_bundle", "save_bundle"]


DEFAULT_CHECKPOINT = Path("runs/sentiment/model.safetensors")  # where `attnzoo run sentiment` puts it


_FORMAT = "attnzoo.sentiment/1"


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
    """``(model in eval mode, vocab, labels, max_len, info)`` from a file written by the sentiment recipe."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(
            f"no sentiment model at {path}: train one with `attnzoo run sentiment` (it writes "
            f"{DEFAULT_CHECKPOINT}, the default), or pass --checkpoint with a run's model.safetensors"
        )
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        if meta.get("format") != _FORMAT:
            raise ValueError(
                f"{path} is not a sentiment model bundle (metadata format {meta.get('format')!r}, "
                f"expected {_FORMAT!r}); pass the run's model.safetensors, not best.safetensors"
            )
        state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118  (safe_open has no __iter__)
    model = TextClassifier(TextClassifierConfig(**json.loads(meta["config"])))
    model.load_state_dict(state)
    vocab = Vocab.from_json(meta["vocab"])
    return model.eval(), vocab, json.loads(meta["labels"]), int(meta["max_len"]), json.loads(meta["info"])
