"""Caption diagnostic: grounding of the attention at each digit word and at the 1-2 tokens before it.

Usage: ``OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/caption_grounding_offsets.py CAPTIONER_DIR N``
(a variant folder of a ``full`` run, e.g. ``runs/caption/soft``; greedy on the first N test scenes). Scores
the same words as the recipe's grounding (:func:`digit_word_boxes`), only at earlier steps.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from attnzoo.data.scenes import SceneSet
from attnzoo.recipes.caption import _load_digits
from attnzoo.recipes.caption.config import BUDGETS
from attnzoo.recipes.caption.evaluate import evaluate_variant
from attnzoo.recipes.caption.grounding import digit_word_boxes, grounding
from attnzoo.recipes.caption.train import build_scenes, default_vocab, load_captioner


def main() -> None:
    torch.set_num_threads(1)
    cfg = BUDGETS["full"]
    data, vocab = build_scenes(cfg, 0, _load_digits(cfg)), default_vocab()
    model = load_captioner(sys.argv[1])[0].eval()
    n = int(sys.argv[2])
    test = SceneSet(data["test"].images[:n], data["test"].scenes[:n])
    ev = evaluate_variant(model, test, vocab, beam_size=0, max_len=cfg.max_len)
    for off in (0, 1, 2):
        maps, boxes = [], []
        for words, mp, scene in zip(ev["captions"], ev["maps"], test.scenes, strict=True):
            positions, word_boxes, _ = digit_word_boxes(words, scene)
            for p, b in zip(positions, word_boxes, strict=True):
                if p >= off:
                    maps.append(np.asarray(mp)[p - off])
                    boxes.append(b)
        g = grounding(np.stack(maps), boxes, (cfg.canvas, cfg.canvas))
        print(f"{off} token(s) before the digit word: argmax in box {g.argmax_in.mean():.3f}, "
              f"mass {g.mass.mean():.3f}, chance {g.chance.mean():.3f}, words {len(maps)}")  # fmt: skip


if __name__ == "__main__":
    main()
