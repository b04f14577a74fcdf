"""Attention grounding: does the attention that wrote a digit word land on that digit?

For each scored word: the attention mass inside the digit's box (each grid cell counts with the share of
its pixels the box covers, i.e. attention is taken as uniform within a cell), whether the most-attended
cell's centre lies in the box, and the chance level, the box's share of the image (what uniform attention
would put there, and about how often a random cell's centre falls inside it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from attnzoo.data.scenes import SIZES, Scene

__all__ = ["Grounding", "digit_word_boxes", "grounding", "summarize_grounding"]

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1), x1/y1 exclusive


class Grounding(NamedTuple):
    """Per-word grounding numbers, each ``(N,)``."""

    mass: np.ndarray  # attention mass inside the box(es)
    argmax_in: np.ndarray  # bool: the most-attended cell's centre lies in a box
    chance: np.ndarray  # the boxes' share of the image


def grounding(maps: np.ndarray, boxes: Sequence[Sequence[Box]], image_size: tuple[int, int]) -> Grounding:
    """Score attention maps against boxes.

    Args:
        maps: ``(N, h, w)`` attention over the grid for N words (each sums to 1).
        boxes: for each word, the boxes of the digit(s) it may refer to (their union is scored).
        image_size: ``(H, W)`` in pixels; must be multiples of ``(h, w)``.

    Returns: :class:`Grounding`.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3:
        raise ValueError(f"maps must be (N, h, w), got shape {maps.shape}")
    if len(boxes) != maps.shape[0]:
        raise ValueError(f"boxes has {len(boxes)} entries but maps has {maps.shape[0]}")
    N, h, w = maps.shape
    H, W = image_size
    if H % h or W % w:
        raise ValueError(f"image_size {image_size} is not a multiple of the grid ({h}, {w})")
    ch, cw = H // h, W // w
    mass, hit, chance = np.zeros(N), np.zeros(N, dtype=bool), np.zeros(N)
    for n in range(N):
        if not boxes[n]:
            raise ValueError(f"boxes[{n}] is empty: every scored word needs at least one box")
        pix = np.zeros((H, W), dtype=bool)
        for x0, y0, x1, y1 in boxes[n]:
            pix[y0:y1, x0:x1] = True
        cover = pix.reshape(h, ch, w, cw).mean(axis=(1, 3))  # (h, w) share of each cell inside
        mass[n] = float((maps[n] * cover).sum())
        i, j = np.unravel_index(int(maps[n].argmax()), (h, w))
        hit[n] = bool(pix[int((i + 0.5) * ch), int((j + 0.5) * cw)])
        chance[n] = float(pix.mean())
    return Grounding(mass, hit, chance)


def digit_word_boxes(tokens: Sequence[str], scene: Scene) -> tuple[list[int], list[list[Box]], int]:
    """The digit words of a (generated) caption and the boxes each may refer to.

    A digit word refers to the scene's digits of that class, narrowed to the size the word before it
    names (if it names one). Returns ``(positions, boxes, n_unmatched)``: words naming a digit the scene
    does not hold are not scored, only counted.
    """
    positions, out, missing = [], [], 0
    for p, tok in enumerate(tokens):
        if not (len(tok) == 1 and tok.isdigit()):
            continue
        size = tokens[p - 1] if p > 0 and tokens[p - 1] in SIZES else None
        cand = [
            b
            for lab, sz, b in zip(scene.labels, scene.sizes, scene.boxes, strict=True)
            if lab == int(tok) and (size is None or sz == size)
        ]
        if cand:
            positions.append(p)
            out.append(cand)
        else:
            missing += 1
    return positions, out, missing


def summarize_grounding(g: Grounding, unmatched: int = 0) -> dict[str, float | int | None]:
    """Means over the scored words: mass in box, argmax in box, chance (None when no word was scored);
    the counts; and ``z``, how many standard deviations the argmax hits lie above chance.

    ``z = (hits - sum_n c_n) / sqrt(sum_n c_n (1 - c_n))``: under "the argmax cell is a random cell" each
    word hits with about its chance ``c_n`` (independently), so z >= 3 is a one-sided test at about 0.1 %
    (None when no word was scored or every chance is 0 or 1).
    """
    n = len(g.mass)
    mean = (lambda a: float(np.mean(a))) if n else (lambda a: None)
    var = float(np.sum(g.chance * (1 - g.chance)))
    z = float((np.sum(g.argmax_in) - np.sum(g.chance)) / np.sqrt(var)) if var > 0 else None
    return {
        "mass_in_box": mean(g.mass),
        "argmax_in_box": mean(g.argmax_in),
        "chance": mean(g.chance),
        "z": z,
        "words": n,
        "unmatched_words": unmatched,
    }
