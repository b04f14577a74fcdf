"""Image grids with boxes and animated GIFs (generic drawing helpers)."""

import numpy as np
import pytest
from PIL import Image

from attnzoo.viz import image_grid, save_gif


def test_image_grid_with_boxes():
    imgs = np.random.default_rng(0).random((5, 6, 7))
    boxes = [[(0, 0, 3, 3)], [(-9, -9, 99, 99)], [(20, 20, 30, 30)], [], [(1, 1, 2, 2)] * 2]
    fig = image_grid(imgs, ncols=3, titles=list("abcde"), boxes=boxes)
    axes = [a for a in fig.axes if a.images]
    assert len(axes) == 5
    assert len(axes[0].patches) == 1 and len(axes[4].patches) == 2 and not axes[3].patches
    assert axes[1].patches[0].get_bbox().bounds == (-0.5, -0.5, 7, 6)  # clipped to the outline
    assert not axes[2].patches  # wholly outside: not drawn
    with pytest.raises(ValueError, match="one entry per image"):
        image_grid(imgs, boxes=[[]])
    with pytest.raises(ValueError, match="3-D"):
        image_grid(imgs[0])


def test_save_gif_frames_and_boxes(tmp_path):
    frames = np.zeros((4, 5, 6))
    for t in range(4):  # distinct frames (Pillow merges identical consecutive ones)
        frames[t, 4, t] = 1.0
    path = save_gif(frames, tmp_path / "a.gif", boxes=[[(-0.5, -0.5, 1.5, 1.5)]] * 4, scale=4)
    with Image.open(path) as im:
        assert im.n_frames == 4 and im.size == (24, 20)
        im.seek(0)
        rgb = np.asarray(im.convert("RGB"))
        assert rgb[0, 0, 0] > 150 and rgb[0, 0, 1] < 100  # the red box's corner
        assert (rgb[10:16, 10:] == 0).all()  # black away from the box and the lit pixel
        assert (rgb[16:, 0:4] == 255).all()  # frame 0's lit pixel, scaled 4x
    with pytest.raises(ValueError, match="scale"):
        save_gif(frames, tmp_path / "b.gif", scale=0)
