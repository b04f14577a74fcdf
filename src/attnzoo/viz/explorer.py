"""The attention explorer: self-contained, offline HTML views of attention, embedded in reports.

Each view function returns an HTML fragment, ``<div class="az-explorer">`` holding its data as compact JSON
(floats rounded to ``digits`` decimals) in ``<script type="application/json" class="az-data">``. The plain
JavaScript and CSS that draw it (package data, ``explorer_assets/``) are inlined once a page, by
:meth:`attnzoo.viz.Report.write` or :func:`explorer_page`; nothing is fetched: no server, no CDN, no network.

JSON schemas (every view: ``"view"``, ``"v": 1``, ``"title"``: str or null, ``"digits"``: decimals shown):

- ``alignment``: ``"target"``: T str (queries), ``"source"``: S str (keys), ``"query_label"``,
  ``"key_label"``, ``"maps"``: ``[{"name": str, "heads": H x T x S numbers}]`` (layers, then extra maps
  such as a rollout);
- ``text``: ``"models"``: M str, ``"docs"``: ``[{"words": L str, "weights": M x L, "note": str|null,
  "notes": M str|null}]``;
- ``image``: ``"image"``: PNG data URL, ``"width"``, ``"height"`` (pixels), ``"scale"`` (display zoom),
  ``"tokens"``: T str, ``"grid"``: ``[gh, gw]``, ``"weights"``: T x gh x gw;
- ``glimpses``: image keys as above, ``"steps"``: ``[{"boxes": K x 4 (x0, y0, x1, y1 pixels), "note"}]``;
- ``ocr``: image keys as above, ``"chars"``: T str, ``"weights"``: T x P (P columns across the image).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from attnzoo.viz._common import _to_numpy

__all__ = ["alignment_view", "explorer_assets", "explorer_page", "text_view"]

_MARKER = 'class="az-explorer"'
_NOSCRIPT = (
    "<noscript>This interactive view needs JavaScript; the static figures show the same weights.</noscript>"
)


@cache
def _asset(name: str) -> str:
    return (resources.files("attnzoo.viz") / "explorer_assets" / name).read_text(encoding="utf-8")


def explorer_assets() -> str:
    """The explorer's ``<style>`` and ``<script>`` (inlined, no network); once a page, after its fragments."""
    return f"<style>{_asset('explorer.css')}</style>\n<script>{_asset('explorer.js')}</script>"


def explorer_page(fragments: Sequence[str] | str, *, title: str = "attnzoo explorer") -> str:
    """A standalone HTML page of explorer fragments (reports embed them with ``Report.add_explorer``)."""
    parts = [fragments] if isinstance(fragments, str) else list(fragments)
    for i, f in enumerate(parts):
        if _MARKER not in str(f):
            raise ValueError(f"fragments[{i}] is not an explorer view (made by attnzoo.viz.*_view)")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n"
        '<body style="font: 15px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; '
        'padding: 0 1em">\n'
        f"<h1>{html.escape(title)}</h1>\n"
        + "\n".join(parts)
        + "\n"
        + explorer_assets()
        + "\n</body>\n</html>\n"
    )


def _digits(digits: Any) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 6:
        raise ValueError(f"digits must be an int in [1, 6], got {digits!r}")
    return digits


def _labels(tokens: Any, name: str, *, allow_str: bool = False) -> list[str]:
    """``tokens`` as a non-empty list of str (a str is one token a character only if ``allow_str``)."""
    if isinstance(tokens, str) and not allow_str:
        raise TypeError(
            f"{name} must be a sequence of tokens (e.g. a list of words), got a str; split it first"
        )
    if not isinstance(tokens, Sequence) and not hasattr(tokens, "__iter__"):
        raise TypeError(f"{name} must be a sequence of tokens, got {type(tokens).__name__}")
    out = [str(t) for t in tokens]
    if not out:
        raise ValueError(f"{name} is empty")
    return out


def _weights(x: Any, name: str, ndim: int | tuple[int, ...], shape: tuple | None = None) -> np.ndarray:
    """Finite, non-negative weights as a float array; ``shape`` entries None are free."""
    a = _to_numpy(x, name, ndim)
    if shape is not None and (
        len(shape) != a.ndim or any(s is not None and s != n for s, n in zip(shape, a.shape, strict=True))
    ):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {tuple(a.shape)}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} has NaN or inf entries")
    if (a < 0).any():
        raise ValueError(f"{name} must be >= 0 (attention weights), got min {a.min():.3g}")
    return a


def _rounded(a: np.ndarray, digits: int) -> Any:
    """Nested lists of ``a`` rounded to ``digits`` decimals, whole numbers as ints (compact JSON)."""

    def conv(v):
        if isinstance(v, list):
            return [conv(x) for x in v]
        return int(v) if float(v).is_integer() else v

    return conv(np.round(np.asarray(a, dtype=np.float64), digits).tolist())


def _fragment(view: str, data: Mapping[str, Any], title: str | None, digits: int) -> str:
    payload = {"view": view, "v": 1, "title": None if title is None else str(title), "digits": digits, **data}
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # "</script>" or "<!--" inside a string must not end the script element
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'<div {_MARKER} data-az-view="{view}">{_NOSCRIPT}'
        f'<script type="application/json" class="az-data">{text}</script></div>'
    )


def _layer_maps(weights: Any, T: int, S: int) -> list[np.ndarray]:
    """Every layer as an (H, T, S) array."""
    # a list of arrays is layers (as attnzoo Transformers return them); nested number lists are one array
    if isinstance(weights, (list, tuple)) and weights and all(hasattr(w, "shape") for w in weights):
        arrays = [_weights(w, f"weights[{i}]", (2, 3)) for i, w in enumerate(weights)]
    else:
        a = _weights(weights, "weights", (2, 3, 4))
        arrays = list(a) if a.ndim == 4 else [a]  # (N, H, T, S) or one layer
    out = []
    for i, a in enumerate(arrays):
        a = a[None] if a.ndim == 2 else a
        if a.shape[1:] != (T, S):
            raise ValueError(
                f"weights (layer {i}) has shape {tuple(a.shape)}: expected (H, {T}, {S}) for {T} target and "
                f"{S} source tokens"
            )
        out.append(a)
    return out


def alignment_view(
    source: Sequence[Any],
    target: Sequence[Any],
    weights: Any,
    *,
    extra: Mapping[str, Any] | None = None,
    map_names: Sequence[str] | None = None,
    query_label: str = "target",
    key_label: str = "source",
    title: str | None = None,
    digits: int = 3,
) -> str:
    """Sequence-to-sequence attention: hover a target word to see its weights over the source words.

    With several layers or heads it is a head view (after bertviz): pick a layer and a head, or see every
    head at once in its own colour (the numbers are then the mean over heads). ``extra`` maps, such as
    :func:`attnzoo.viz.attention_rollout` of a self-attention stack, are further choices of the layer menu.

    Args:
        source: the S key tokens (e.g. source words).
        target: the T query tokens (e.g. the words the decoder produced).
        weights: ``(T, S)``, one layer of heads ``(H, T, S)``, layers ``(N, H, T, S)``, or a list of
            per-layer ``(T, S)`` / ``(H, T, S)`` tensors or arrays, e.g. the ``weights`` tuple of attnzoo's
            Transformer modules for one batch row (torch or numpy; finite, >= 0).
        extra: more named maps ``(T, S)`` or ``(H, T, S)``, shown after the layers.
        map_names: names of the layers (default "layer 1", ...; "attention" for a single map).
        query_label, key_label: what the two columns are called.
        title: shown above the view.
        digits: decimals kept in the data and shown.

    Returns:
        The HTML fragment (embed with ``Report.add_explorer``).
    """
    digits = _digits(digits)
    src, tgt = _labels(source, "source"), _labels(target, "target")
    layers = _layer_maps(weights, len(tgt), len(src))
    if map_names is None:
        names = ["attention"] if len(layers) == 1 else [f"layer {i + 1}" for i in range(len(layers))]
    else:
        names = [str(n) for n in map_names]
        if len(names) != len(layers):
            raise ValueError(f"map_names has {len(names)} names but weights has {len(layers)} layers")
    for name, m in (extra or {}).items():
        a = _weights(m, f"extra[{name!r}]", (2, 3))
        a = a[None] if a.ndim == 2 else a
        if a.shape[1:] != (len(tgt), len(src)):
            raise ValueError(f"extra[{name!r}] has shape {tuple(a.shape)}: expected ({len(tgt)}, {len(src)})")
        names.append(str(name))
        layers.append(a)
    maps = [{"name": n, "heads": _rounded(a, digits)} for n, a in zip(names, layers, strict=True)]
    data = {"source": src, "target": tgt, "query_label": str(query_label), "key_label": str(key_label)}
    return _fragment("alignment", {**data, "maps": maps}, title, digits)


def text_view(
    docs: Sequence[Mapping[str, Any]],
    *,
    models: Sequence[str] | None = None,
    title: str | None = None,
    digits: int = 3,
) -> str:
    """Words shaded by their attention weight, one or more documents; hover a word, toggle between models.

    Args:
        docs: ``{"words": [...], "weights": {model: (L,) weights} (or one (L,) array for one model),
            "note": optional text above the words (e.g. the true label), "notes": optional {model: text}
            (e.g. each model's prediction)}``.
        models: the models in toggle order (default: the first document's ``weights`` keys).
        title: shown above the view.
        digits: decimals kept in the data and shown.

    Returns:
        The HTML fragment (embed with ``Report.add_explorer``).
    """
    digits = _digits(digits)
    if isinstance(docs, Mapping) or not isinstance(docs, Sequence) or not docs:
        raise ValueError("docs must be a non-empty list of {'words': ..., 'weights': ...} dicts")
    first = docs[0].get("weights") if isinstance(docs[0], Mapping) else None
    if models is None:
        models = list(first) if isinstance(first, Mapping) else ["attention"]
    models = _labels(models, "models")
    out = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, Mapping) or "words" not in doc or "weights" not in doc:
            raise ValueError(f"docs[{i}] must be a dict with 'words' and 'weights'")
        words = _labels(doc["words"], f"docs[{i}]['words']")
        ws = doc["weights"] if isinstance(doc["weights"], Mapping) else {models[0]: doc["weights"]}
        if set(ws) != set(models):
            raise ValueError(f"docs[{i}]['weights'] has models {sorted(ws)} but models are {sorted(models)}")
        rows = [_weights(ws[m], f"docs[{i}]['weights'][{m!r}]", 1, (len(words),)) for m in models]
        notes = doc.get("notes")
        if notes is not None:
            if not isinstance(notes, Mapping) or set(notes) != set(models):
                raise ValueError(f"docs[{i}]['notes'] must map every model {sorted(models)} to a text")
            notes = [str(notes[m]) for m in models]
        note = None if doc.get("note") is None else str(doc["note"])
        out.append(
            {"words": words, "weights": _rounded(np.stack(rows), digits), "note": note, "notes": notes}
        )
    return _fragment("text", {"models": models, "docs": out}, title, digits)
