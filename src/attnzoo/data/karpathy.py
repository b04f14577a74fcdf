"""Reader for the Karpathy-split caption JSON (``dataset_flickr8k.json``, ``dataset_flickr30k.json``,
``dataset_coco.json``) used by Show, Attend and Tell's successors, with the image folder beside it.

The format: ``{"images": [{"filename": ..., "filepath": ... (COCO only), "split": "train" | "val" |
"test" | "restval", "sentences": [{"tokens": [...], "raw": ...}, ...]}, ...]}``. An image's file is
``image_root / filepath / filename`` (``image_root / filename`` when ``filepath`` is absent).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["KarpathyImage", "load_karpathy_image", "read_karpathy_split"]

_SPLITS = ("train", "val", "test", "restval")


@dataclass(frozen=True)
class KarpathyImage:
    """One image of the split file: where it is and its reference captions."""

    path: Path  # the image file
    split: str  # "train", "val", "test" or "restval"
    captions: tuple[tuple[str, ...], ...]  # token lists as the file gives them


def read_karpathy_split(
    json_path: str | os.PathLike,
    image_root: str | os.PathLike,
    split: str | tuple[str, ...] = "train",
    *,
    check_files: bool = True,
) -> list[KarpathyImage]:
    """Read the images of ``split`` (e.g. ``"test"`` or ``("train", "restval")``) from a Karpathy JSON.

    Args:
        json_path: the ``dataset_*.json`` file.
        image_root: folder the ``filepath``/``filename`` entries are relative to.
        split: one split name or a tuple of them.
        check_files: raise if an image file of the selection is missing.

    Returns:
        The selected images in file order. Malformed input raises ``ValueError`` naming the file.
    """
    json_path, root = Path(json_path), Path(image_root)
    wanted = (split,) if isinstance(split, str) else tuple(split)
    bad = [s for s in wanted if s not in _SPLITS]
    if bad or not wanted:
        raise ValueError(f"split must be among {_SPLITS} (or a tuple of them), got {split!r}")
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{json_path}: not a readable JSON file ({e})") from e
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise ValueError(f"{json_path}: expected an object with an 'images' list")
    out = []
    for i, entry in enumerate(data["images"]):
        where = f"{json_path}: images[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} is {type(entry).__name__}, expected an object")
        for key in ("filename", "split", "sentences"):
            if key not in entry:
                raise ValueError(f"{where} has no {key!r}")
        if entry["split"] not in _SPLITS:
            raise ValueError(f"{where}: split {entry['split']!r} is not one of {_SPLITS}")
        if entry["split"] not in wanted:
            continue
        sents = entry["sentences"]
        if not isinstance(sents, list) or not sents:
            raise ValueError(f"{where}: 'sentences' must be a non-empty list")
        caps = []
        for j, s in enumerate(sents):
            toks = s.get("tokens") if isinstance(s, dict) else None
            if not isinstance(toks, list) or not all(isinstance(t, str) for t in toks):
                raise ValueError(f"{where}.sentences[{j}]: 'tokens' must be a list of strings")
            caps.append(tuple(toks))
        path = root / entry.get("filepath", "") / entry["filename"]
        if check_files and not path.is_file():
            raise ValueError(f"{where}: image file {path} does not exist")
        out.append(KarpathyImage(path, entry["split"], tuple(caps)))
    return out


def load_karpathy_image(path: str | os.PathLike, size: int, *, grey: bool = False) -> np.ndarray:
    """An image file resized (bilinear) to ``size x size``: float32 ``(3, size, size)`` (or ``(1, ...)``
    grey) in [0, 1].

    Raises:
        FileNotFoundError: no file. ValueError: a file Pillow cannot read (or a decompression bomb),
            naming it.
    """
    from PIL import Image

    from attnzoo.data.text_images import _PIL_ERRORS

    try:
        with Image.open(path) as im:
            im = im.convert("L" if grey else "RGB").resize((size, size), Image.BILINEAR)
    except FileNotFoundError:
        raise
    except _PIL_ERRORS as err:
        raise ValueError(f"{path}: not a readable image ({err})") from None
    arr = np.asarray(im, dtype=np.float32) / 255.0
    return arr[None] if grey else arr.transpose(2, 0, 1)
