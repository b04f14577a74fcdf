"""Word images rendered with Pillow: real words, several fonts, random size, slight rotation, noise, blur.

Every image is a pure function of ``(seed, index)`` (one ``numpy`` generator per index), so a data set is
the same on every machine that has the same fonts and Pillow, in any order and under any DataLoader
workers. :func:`split_words` splits a vocabulary *by word* (a hash of the word decides), so the words of
the test split never occur in training, whatever the seed or the sizes.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from torch import Tensor
from torch.utils.data import Dataset

__all__ = [
    "FONT_DIRS",
    "RenderConfig",
    "RenderedWords",
    "find_fonts",
    "render_word",
    "save_rendered",
    "split_words",
    "words_from_sentences",
]

# Where Debian/Ubuntu put TrueType fonts; DejaVu comes with the package `fonts-dejavu-core`.
FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/share/fonts/opentype", "/usr/local/share/fonts")

_WORD = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*")  # letters (any script, accents included), ' and -


@dataclass(frozen=True)
class RenderConfig:
    """How a word becomes an image; sizes in pixels of the final (resized) image."""

    height: int = 32  # every image is resized to this height (width follows the aspect ratio)
    max_width: int = 192  # wider renderings are squeezed horizontally to this width
    font_sizes: tuple[int, int] = (22, 40)  # font size drawn from this range (before resizing)
    max_rotation: float = 3.0  # degrees, uniform in [-max_rotation, max_rotation]
    noise_std: tuple[float, float] = (0.0, 0.08)  # std of the Gaussian pixel noise, uniform in this range
    max_blur: float = 1.0  # Gaussian blur radius uniform in [0, max_blur] (before resizing)
    min_contrast: float = 0.5  # |ink - background| intensity is at least this (intensities in [0, 1])
    margin: tuple[int, int] = (2, 10)  # blank pixels around the text, drawn from this range per side

    def __post_init__(self):
        if self.height < 8:
            raise ValueError(f"height must be >= 8 pixels, got {self.height}")
        if self.max_width < self.height:
            raise ValueError(f"max_width must be >= height ({self.height}), got {self.max_width}")
        if not 0 < self.font_sizes[0] <= self.font_sizes[1]:
            raise ValueError(f"font_sizes must be (low, high) with 0 < low <= high, got {self.font_sizes}")
        if not 0 < self.min_contrast <= 1:
            raise ValueError(f"min_contrast must be in (0, 1], got {self.min_contrast}")


def find_fonts(patterns: Sequence[str] = ("DejaVu*.ttf",), dirs: Sequence[str] | None = None) -> list[str]:
    """Font files matching ``patterns`` (globs on the file name) under ``dirs``, sorted by path.

    ``dirs=None`` searches :data:`FONT_DIRS` and, only where nothing there matches, matplotlib's own font
    folder: matplotlib (a dependency) ships 14 DejaVu faces, so a fresh machine without the Debian package
    still renders words (with fewer faces than the package's 21, so a run there is not the same run).

    Raises:
        FileNotFoundError: none found; the message names the Debian package that provides DejaVu.
    """
    searched = list(FONT_DIRS if dirs is None else dirs)
    fonts = _match_fonts(patterns, searched)
    if not fonts and dirs is None:
        import matplotlib  # only for its data folder; matplotlib is a dependency

        bundled = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
        searched.append(bundled)
        fonts = _match_fonts(patterns, [bundled])
    if not fonts:
        raise FileNotFoundError(
            f"no font matching {list(patterns)} under {searched}; install the Debian package "
            "`fonts-dejavu-core` (apt-get install fonts-dejavu-core) or pass dirs= a folder of .ttf files"
        )
    return fonts


def _match_fonts(patterns: Sequence[str], dirs: Sequence[str]) -> list[str]:
    found = set()
    for d in dirs:
        for pat in patterns:
            found.update(glob.glob(os.path.join(d, "**", pat), recursive=True))
    # Math/symbol faces draw no usable Latin letters for this purpose
    return sorted(f for f in found if "Math" not in os.path.basename(f))


def words_from_sentences(
    sentences: Iterable[str], *, lowercase: bool = True, min_len: int = 1, max_len: int = 16
) -> list[str]:
    """The distinct words (letters incl. accents, inner ``'``/``-``) of ``sentences``, sorted."""
    words = set()
    for s in sentences:
        for w in _WORD.findall(s.lower() if lowercase else s):
            if min_len <= len(w) <= max_len:
                words.add(w)
    return sorted(words)


def _bucket(word: str, salt: str) -> float:
    h = hashlib.sha1(f"{salt}\0{word}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def split_words(
    words: Iterable[str], *, test_fraction: float = 0.1, val_fraction: float = 0.0, salt: str = "ocr"
) -> dict[str, list[str]]:
    """Split distinct words into ``train``/``val``/``test`` by a hash of each word (never by position).

    A word's split depends only on the word and ``salt``, so test words never occur in training, and the
    split of a word does not change when the vocabulary grows.
    """
    if not (0 <= test_fraction < 1 and 0 <= val_fraction < 1 and test_fraction + val_fraction < 1):
        raise ValueError(f"need 0 <= test_fraction + val_fraction < 1, got {test_fraction}, {val_fraction}")
    out: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for w in sorted(set(words)):
        u = _bucket(w, salt)
        out["test" if u < test_fraction else "val" if u < test_fraction + val_fraction else "train"].append(w)
    return out


@functools.lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A loaded font, kept: parsing the file for every image costs about as much as drawing it."""
    return ImageFont.truetype(path, size)


def render_word(
    word: str, rng: np.random.Generator, fonts: Sequence[str], config: RenderConfig = RenderConfig()
) -> np.ndarray:
    """Render one word: a float32 grey image ``(height, W)`` in [0, 1], ``W <= config.max_width``."""
    if not word:
        raise ValueError("word must be a non-empty string")
    if not fonts:
        raise ValueError("fonts must name at least one font file (see find_fonts)")
    c = config
    font = _font(fonts[int(rng.integers(len(fonts)))], int(rng.integers(*c.font_sizes, endpoint=True)))
    left, _top, right, _bottom = font.getbbox(word)
    ascent, descent = font.getmetrics()
    mx, my = (int(v) for v in rng.integers(c.margin[0], c.margin[1] + 1, size=2))
    # the line box (ascent + descent), not the ink box, so x-height and accents keep their place
    w, h = right - min(left, 0) + 2 * mx, ascent + descent + 2 * my
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).text((mx - min(left, 0), my), word, font=font, fill=255)
    angle = float(rng.uniform(-c.max_rotation, c.max_rotation))
    img = img.rotate(angle, resample=Image.BILINEAR, expand=True, fillcolor=0)
    blur = float(rng.uniform(0, c.max_blur))
    if blur > 0.05:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    new_w = min(c.max_width, max(1, round(img.width * c.height / img.height)))
    img = img.resize((new_w, c.height), Image.BILINEAR)
    ink = np.asarray(img, dtype=np.float32) / 255.0  # 1 where the text is
    bg = float(rng.uniform(0, 1))
    contrast = float(rng.uniform(c.min_contrast, 1))
    fg = bg - contrast if bg - contrast >= 0 or bg + contrast > 1 else bg + contrast
    fg = float(np.clip(fg, 0, 1))
    out = bg + (fg - bg) * ink
    out = out + rng.normal(0, rng.uniform(*c.noise_std), size=out.shape)
    return np.clip(out, 0, 1).astype(np.float32)


class RenderedWords(Dataset):
    """``n`` rendered images cycling over ``words``: item ``i`` is ``(image (1, H, W), words[i % len])``.

    Item ``i`` is rendered on demand from ``np.random.default_rng([seed, i])``: deterministic, and no image
    is stored, so ``n`` may be many times the number of words (each pass sees new renderings).
    """

    def __init__(
        self,
        words: Sequence[str],
        *,
        fonts: Sequence[str],
        n: int | None = None,
        seed: int = 0,
        config: RenderConfig = RenderConfig(),
    ):
        if not words:
            raise ValueError("words must be a non-empty sequence of strings")
        self.words, self.fonts, self.seed, self.config = list(words), list(fonts), seed, config
        self.n = len(self.words) if n is None else n
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {n}")

    def __len__(self) -> int:
        return self.n

    def label(self, i: int) -> str:
        """The word of item ``i`` (no rendering)."""
        return self.words[i % len(self.words)]

    def __getitem__(self, i: int) -> tuple[Tensor, str]:
        if not -self.n <= i < self.n:
            raise IndexError(f"index {i} out of range for {self.n} items")
        i %= self.n
        rng = np.random.default_rng([self.seed, i])
        img = render_word(self.label(i), rng, self.fonts, self.config)
        return torch.from_numpy(img)[None], self.label(i)


def save_rendered(dataset: RenderedWords, folder: str | Path, count: int | None = None) -> Path:
    """Write the first ``count`` items as ``NAME.png`` + ``NAME.txt`` (``read_image_folder``'s layout)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(len(dataset) if count is None else min(count, len(dataset))):
        img, word = dataset[i]
        Image.fromarray((img[0].numpy() * 255).round().astype(np.uint8)).save(folder / f"{i:06d}.png")
        (folder / f"{i:06d}.txt").write_text(word + "\n", encoding="utf-8")
    return folder
