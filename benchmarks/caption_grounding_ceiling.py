"""The grounding metric's ceiling on the full caption set: an oracle attention (a digit's ink per grid cell).

    python benchmarks/caption_grounding_ceiling.py     (needs the MNIST cache; a few seconds)

If the scenes' boxes and the encoder's grid cells did not line up, an oracle would score below 100 % argmax in
box. Measured 2026-12-02: 100 % for small and large digits on the 8x8 and the 16x16 grid (100 test scenes,
240 digits; chance 4.8 % small, 19.1 % large), so the full set's 19-36 % is the model, not the metric.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from attnzoo.recipes.caption import _load_digits
from attnzoo.recipes.caption.config import BUDGETS
from attnzoo.recipes.caption.grounding import grounding
from attnzoo.recipes.caption.train import build_scenes


def main() -> None:
    torch.set_num_threads(1)
    cfg = replace(BUDGETS["full"], n_test=100, n_train=16, n_val=16)
    test = build_scenes(cfg, 0, _load_digits(cfg))["test"]
    side = cfg.canvas
    for grid in (8, 16):
        cell = side // grid
        maps, boxes, sizes, outside = [], [], [], 0.0
        for img, scene in zip(test.images, test.scenes, strict=True):
            in_a_box = np.zeros((side, side), bool)
            for x0, y0, x1, y1 in scene.boxes:
                in_a_box[y0:y1, x0:x1] = True
            outside += float(img[~in_a_box].sum())
            for (x0, y0, x1, y1), size in zip(scene.boxes, scene.sizes, strict=True):
                ink = np.zeros((side, side))
                ink[y0:y1, x0:x1] = img[y0:y1, x0:x1]
                per_cell = ink.reshape(grid, cell, grid, cell).sum((1, 3))
                maps.append(per_cell / per_cell.sum())
                boxes.append([(x0, y0, x1, y1)])
                sizes.append(size)
        g, s = grounding(np.stack(maps), boxes, (side, side)), np.array(sizes)
        by_size = {k: round(float(g.argmax_in[s == k].mean()), 3) for k in ("small", "large")}
        chance = {k: round(float(g.chance[s == k].mean()), 3) for k in ("small", "large")}
        print(f"grid {grid}x{grid}: oracle argmax in box {by_size}, all {float(g.argmax_in.mean()):.3f}; "
              f"mass in box {float(g.mass.mean()):.3f}; chance {chance}; ink outside boxes {outside:.1f}; "
              f"{len(s)} digits")  # fmt: skip


if __name__ == "__main__":
    main()
