"""Text-line images: a character vocabulary, a reader for folders of (image, label) pairs, batching.

Folder layout read by :func:`read_image_folder` (either one):

- ``labels.tsv``: one ``FILE<TAB>LABEL`` line per image, ``FILE`` relative to the folder (UTF-8; blank
  lines skipped). Used when the folder has one.
- otherwise pairs ``NAME.png`` (or ``.jpg``/``.jpeg``/``.bmp``) + ``NAME.txt`` holding the label (UTF-8,
  surrounding whitespace stripped).

Images are read as grey, resized to ``height`` keeping the aspect ratio, scaled to [0, 1].
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

__all__ = ["CharVocab", "collate_images", "load_image", "read_image_folder"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


class CharVocab:
    """Characters <-> ids. Ids 0..3 are ``<pad>`` (also the CTC blank), ``<bos>``, ``<eos>``, ``<unk>``.

    Unknown characters: ``encode(..., unknown="error")`` (the default) raises a ValueError naming the
    character and its position; ``unknown="replace"`` maps it to ``<unk>``, which decodes to
    :attr:`PLACEHOLDER` (U+FFFD), so a prediction containing it never equals a real label.
    """

    PAD, BOS, EOS, UNK = 0, 1, 2, 3
    SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
    PLACEHOLDER = "\ufffd"

    def __init__(self, chars: Iterable[str]):
        chars = list(dict.fromkeys(chars))
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(f"chars must be single characters, got {bad[:5]!r}")
        self.chars = chars
        self._index = {c: i + len(self.SPECIALS) for i, c in enumerate(chars)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CharVocab:
        """Every character of ``texts``, sorted by code point."""
        return cls(sorted({c for t in texts for c in t}))

    def __len__(self) -> int:
        return len(self.SPECIALS) + len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self._index

    def encode(self, text: str, *, unknown: str = "error") -> list[int]:
        """Ids of ``text``'s characters (no bos/eos); see the class docstring for ``unknown``."""
        if unknown not in ("error", "replace"):
            raise ValueError(f"unknown must be 'error' or 'replace', got {unknown!r}")
        ids = []
        for pos, c in enumerate(text):
            i = self._index.get(c)
            if i is None:
                if unknown == "error":
                    raise ValueError(
                        f"character {c!r} (U+{ord(c):04X}) at position {pos} of {text!r} is not in the "
                        f"vocabulary of {len(self.chars)} characters; "
                        "pass unknown='replace' to map it to <unk>"
                    )
                i = self.UNK
            ids.append(i)
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``: stops at ``<eos>``, skips ``<pad>``/``<bos>``, ``<unk>`` -> PLACEHOLDER."""
        out = []
        for i in ids:
            i = int(i)
            if i == self.EOS:
                break
            if i in (self.PAD, self.BOS):
                continue
            if i == self.UNK:
                out.append(self.PLACEHOLDER)
            elif 0 <= i - len(self.SPECIALS) < len(self.chars):
                out.append(self.chars[i - len(self.SPECIALS)])
            else:
                raise ValueError(f"id {i} is out of range for a vocabulary of {len(self)}")
        return "".join(out)

    def to_json(self) -> str:
        return json.dumps({"chars": "".join(self.chars)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CharVocab:
        return cls(json.loads(text)["chars"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharVocab) and self.chars == other.chars

    def __repr__(self) -> str:
        return f"CharVocab({len(self.chars)} chars)"


# what Pillow raises for a damaged file: OSError (truncated, UnidentifiedImageError), SyntaxError ("broken
# PNG file"), and from the decoders EOFError, ValueError, struct.error, zlib.error; DecompressionBombError
# for a header that claims more than 2 x Image.MAX_IMAGE_PIXELS
_PIL_ERRORS = (
    OSError,
    SyntaxError,
    EOFError,
    ValueError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
)


def load_image(path: str | Path, *, height: int = 32, max_width: int | None = None) -> np.ndarray:
    """A grey image ``(height, W)`` float32 in [0, 1], resized keeping the aspect ratio.

    Raises:
        ValueError: the file is missing or not an image Pillow can read (the message names it).
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            im = im.convert("L")
    except FileNotFoundError:
        raise ValueError(f"{path}: image file not found") from None
    except _PIL_ERRORS as err:
        raise ValueError(f"{path}: not a readable image ({err})") from None
    w = max(1, round(im.width * height / im.height))
    if max_width is not None:
        w = min(w, max_width)
    return np.asarray(im.resize((w, height), Image.BILINEAR), dtype=np.float32) / 255.0


def _read_utf8(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not valid UTF-8 text ({err})") from None


def _pairs_from_tsv(folder: Path) -> list[tuple[Path, str]]:
    tsv = folder / "labels.tsv"
    pairs = []
    for lineno, line in enumerate(_read_utf8(tsv).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0] or not fields[1].strip():
            raise ValueError(
                f"{tsv}, line {lineno}: expected 'FILE<TAB>LABEL' with a non-empty label, got {line!r}"
            )
        if not (folder / fields[0]).is_file():
            raise ValueError(f"{tsv}, line {lineno}: image file {fields[0]!r} not found in {folder}")
        pairs.append((folder / fields[0], fields[1].strip()))
    return pairs


def _pairs_from_files(folder: Path) -> list[tuple[Path, str]]:
    pairs = []
    for img in sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES):
        txt = img.with_suffix(".txt")
        if not txt.is_file():
            raise ValueError(f"{img}: no label file {txt.name} beside it (or give the folder a labels.tsv)")
        label = _read_utf8(txt).strip()
        if not label:
            raise ValueError(f"{txt}: empty label")
        pairs.append((img, label))
    return pairs


def read_image_folder(
    folder: str | Path, *, height: int = 32, max_width: int | None = None
) -> list[tuple[np.ndarray, str]]:
    """Read ``[(image (height, W), label), ...]`` from a folder (layout in the module docstring).

    Raises:
        ValueError: no such folder, no images, a malformed ``labels.tsv`` line, a missing or unreadable
            image, or a missing/empty label; the message names the file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder {folder} does not exist or is not a directory")
    tsv = folder / "labels.tsv"
    pairs = _pairs_from_tsv(folder) if tsv.is_file() else _pairs_from_files(folder)
    if not pairs and tsv.is_file():
        raise ValueError(f"{tsv}: no 'FILE<TAB>LABEL' line (an empty labels.tsv)")
    if not pairs:
        raise ValueError(f"{folder}: no images found (expected labels.tsv or NAME.png + NAME.txt pairs)")
    return [(load_image(p, height=height, max_width=max_width), label) for p, label in pairs]


def collate_images(
    items: Sequence[tuple[Tensor | np.ndarray, str]], vocab: CharVocab, *, pad_value: float = 0.0
) -> dict[str, Tensor | list[str]]:
    """Batch ``[(image (1, H, W) or (H, W), text), ...]``: images right-padded to the widest.

    Returns ``{"images": (B, 1, H, Wmax), "widths": (B,), "targets": (B, T) ids + eos then pad,
    "target_lengths": (B,) without eos, "texts": [str]}``. Unknown characters raise (see CharVocab).
    """
    imgs = [torch.as_tensor(im).reshape(-1, *torch.as_tensor(im).shape[-2:])[:1] for im, _ in items]
    H = imgs[0].shape[-2]
    if any(im.shape[-2] != H for im in imgs):
        raise ValueError(f"images must share one height, got {sorted({im.shape[-2] for im in imgs})}")
    widths = torch.tensor([im.shape[-1] for im in imgs])
    batch = torch.full((len(imgs), 1, H, int(widths.max())), pad_value)
    for b, im in enumerate(imgs):
        batch[b, :, :, : im.shape[-1]] = im
    texts = [t for _, t in items]
    ids = [vocab.encode(t) for t in texts]
    T = max(len(i) for i in ids) + 1
    targets = torch.full((len(ids), T), CharVocab.PAD, dtype=torch.long)
    for b, i in enumerate(ids):
        targets[b, : len(i) + 1] = torch.tensor([*i, CharVocab.EOS])
    lengths = torch.tensor([len(i) for i in ids])
    return {"images": batch, "widths": widths, "targets": targets, "target_lengths": lengths, "texts": texts}
