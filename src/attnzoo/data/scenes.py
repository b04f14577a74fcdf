"""``mnist-scenes``: a captioning set built from real MNIST digits, with each digit's box kept.

A scene is a square canvas holding 1-4 digits at random, non-overlapping places, each ``small`` (the digit
downsampled 2x) or ``large`` (as MNIST draws it). Its captions come from a small grammar that names every
digit with its size and chains them by spatial relations::

    a small 3 to the left of a large 7 above a small 1

The relation between two consecutive mentions is the dominant axis of the displacement of their centres
(``to the left of`` / ``to the right of`` when it is horizontal, ``above`` / ``below`` when vertical). Each
scene gets up to four captions, one for each reading order (left to right, right to left, top to bottom,
bottom to top; duplicates dropped), so every caption is true of its image. For each caption the positions
of its digit words and the digit each one names are kept, to score where the attention looks.

Deterministic: the same digit arrays, count and seed give the same scenes. Build the test split from
MNIST's test digits (``load_mnist_like("mnist", "test")``) so no test digit was seen in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RELATIONS", "SIZES", "Scene", "SceneSet", "make_scenes", "relation", "scene_vocabulary"]

SIZES = {"small": 14, "large": 28}  # size word -> side of the pasted digit in pixels
RELATIONS = ("to the left of", "to the right of", "above", "below")


@dataclass(frozen=True)
class Scene:
    """One canvas's digits and captions (the image itself is a row of :attr:`SceneSet.images`)."""

    labels: tuple[int, ...]  # digit class of each digit in the scene
    sizes: tuple[str, ...]  # size word of each digit ("small" / "large")
    boxes: tuple[tuple[int, int, int, int], ...]  # (x0, y0, x1, y1) of each pasted digit, x1/y1 exclusive
    captions: tuple[tuple[str, ...], ...]  # token lists (no bos/eos)
    refers: tuple[tuple[tuple[int, int], ...], ...]  # per caption: (token position, digit index) pairs


@dataclass(frozen=True)
class SceneSet:
    """Images ``(N, size, size)`` float32 in [0, 1] and their :class:`Scene` records."""

    images: np.ndarray  # (N, H, W) float32 canvases
    scenes: tuple[Scene, ...]  # one per image

    def __len__(self) -> int:
        return len(self.scenes)


def relation(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> str:
    """Where box ``a`` is relative to box ``b``: the dominant axis of the centre displacement."""
    dx = (a[0] + a[2]) - (b[0] + b[2])  # twice the centre difference; only signs and sizes matter
    dy = (a[1] + a[3]) - (b[1] + b[3])
    if abs(dx) >= abs(dy):
        return "to the left of" if dx < 0 else "to the right of"
    return "above" if dy < 0 else "below"


def scene_vocabulary() -> list[str]:
    """Every word the grammar can produce, in a fixed order."""
    words = ["a", *SIZES, *(str(d) for d in range(10))]
    for r in RELATIONS:
        words += [w for w in r.split() if w not in words]
    return words


def _caption(order: list[int], labels, sizes, boxes) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    tokens: list[str] = []
    refers: list[tuple[int, int]] = []
    for k, i in enumerate(order):
        if k:
            tokens += relation(boxes[order[k - 1]], boxes[i]).split()
        tokens += ["a", sizes[i], str(labels[i])]
        refers.append((len(tokens) - 1, i))
    return tuple(tokens), tuple(refers)


def _captions(labels, sizes, boxes):
    cx = [b[0] + b[2] for b in boxes]
    cy = [b[1] + b[3] for b in boxes]
    n = range(len(labels))
    orders = [sorted(n, key=lambda i: (cx[i], cy[i])), sorted(n, key=lambda i: (cy[i], cx[i]))]
    orders += [o[::-1] for o in orders]
    seen, caps, refs = set(), [], []
    for o in orders:
        c, r = _caption(o, labels, sizes, boxes)
        if c not in seen:
            seen.add(c)
            caps.append(c)
            refs.append(r)
    return tuple(caps), tuple(refs)


def _shrink(digit: np.ndarray, side: int) -> np.ndarray:
    """Area-average a (28, 28) digit to ``side`` (a divisor of 28)."""
    f = digit.shape[0] // side
    return digit.reshape(side, f, side, f).mean(axis=(1, 3))


def _check_digits(digits: np.ndarray, labels: np.ndarray, n: int) -> None:
    """Corrupted arrays would draw wrong scenes silently (NaN pixels, a caption naming digit 12)."""
    if digits.dtype != np.uint8:
        if digits.dtype.kind != "f":
            raise ValueError(f"digits must be uint8 (0-255) or float (0-1), got dtype {digits.dtype}")
        if digits.size and not (np.isfinite(digits).all() and digits.min() >= 0 and digits.max() <= 1):
            raise ValueError("float digits must be finite and in [0, 1] (uint8 ones are 0-255)")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integer digit classes 0-9, got dtype {labels.dtype}")
    if labels.size and not (labels.min() >= 0 and labels.max() <= 9):
        raise ValueError(f"labels must be digit classes 0-9, got values in [{labels.min()}, {labels.max()}]")
    if n and not len(digits):
        raise ValueError(f"digits is empty: no digit to draw {n} scenes from")


def make_scenes(
    digits: np.ndarray,
    labels: np.ndarray,
    n: int,
    *,
    seed: int,
    size: int = 64,
    max_digits: int = 4,
    sizes: tuple[str, ...] = tuple(SIZES),
    tries: int = 200,
) -> SceneSet:
    """Build ``n`` scenes from MNIST-like digits.

    Args:
        digits: uint8 or float ``(N, 28, 28)`` digit images (0-255 if uint8).
        labels: int ``(N,)`` digit classes 0-9.
        n: number of scenes.
        seed: seeds the choice of digits, counts, sizes and places.
        size: canvas side in pixels (>= 28).
        max_digits: most digits a scene holds (1-4); the count is uniform in 1..max_digits.
        sizes: the size words drawn from, uniformly (keys of :data:`SIZES`); ``("large",)`` makes an
            easier set (every digit as MNIST draws it; captions still name the size).
        tries: random placements tried per digit before the scene keeps fewer digits.

    Returns:
        :class:`SceneSet`; where digits overlap the canvas takes their maximum (they never do: places
        are drawn until no two boxes intersect).
    """
    digits, labels = np.asarray(digits), np.asarray(labels)
    if digits.ndim != 3 or digits.shape[1:] != (28, 28):
        raise ValueError(f"digits must have shape (N, 28, 28), got {digits.shape}")
    if labels.shape != (digits.shape[0],):
        raise ValueError(f"labels must have shape ({digits.shape[0]},), got {labels.shape}")
    _check_digits(digits, labels, n)
    if not (isinstance(n, int) and n >= 0):
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if not (isinstance(size, int) and size >= 28):
        raise ValueError(f"size must be an int >= 28, got {size!r}")
    if max_digits not in (1, 2, 3, 4):
        raise ValueError(f"max_digits must be 1-4, got {max_digits!r}")
    if not sizes or any(w not in SIZES for w in sizes):
        raise ValueError(f"sizes must be a non-empty tuple of {tuple(SIZES)}, got {sizes!r}")
    scale = 255.0 if digits.dtype == np.uint8 else 1.0
    rng = np.random.default_rng(seed)
    images = np.zeros((n, size, size), dtype=np.float32)
    scenes = []
    size_words = list(sizes)
    for s in range(n):
        count = int(rng.integers(1, max_digits + 1))
        boxes: list[tuple[int, int, int, int]] = []
        labs, szs = [], []
        for _ in range(count):
            word = size_words[int(rng.integers(len(size_words)))]
            side = SIZES[word]
            for _ in range(tries):
                x, y = (int(v) for v in rng.integers(0, size - side + 1, size=2))
                box = (x, y, x + side, y + side)
                if all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1] for b in boxes):
                    break
            else:
                continue  # no room left: the scene keeps the digits placed so far
            j = int(rng.integers(digits.shape[0]))
            patch = _shrink(digits[j].astype(np.float32) / scale, side)
            images[s, box[1] : box[3], box[0] : box[2]] = np.maximum(
                images[s, box[1] : box[3], box[0] : box[2]], patch
            )
            boxes.append(box)
            labs.append(int(labels[j]))
            szs.append(word)
        caps, refs = _captions(labs, szs, boxes)
        scenes.append(Scene(tuple(labs), tuple(szs), tuple(boxes), caps, refs))
    return SceneSet(images, tuple(scenes))
