"""Tests of the glimpse-path figures: they draw, the GIF has one frame per glimpse, bad input is refused."""

import numpy as np
import pytest
from PIL import Image

from attnzoo.viz import glimpse_animation, glimpse_paths, location_heatmaps


def _data(n=3, t=4):
    rng = np.random.default_rng(0)
    return rng.random((n, 20, 20)), rng.uniform(-1, 1, (n, t, 2))


def test_glimpse_paths_draws_a_panel_per_image(tmp_path):
    images, locs = _data()
    fig = glimpse_paths(images, locs, [4, 8], titles=["a", "b", "c"], ncols=2, path=tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 0
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == 3
    line = axes[0].lines[0]  # the path through the glimpse centres, in pixel-corner coordinates
    expected = np.floor((np.clip(locs[0], -1, 1) + 1) / 2 * 20) - 0.5
    assert np.allclose(np.c_[line.get_xdata(), line.get_ydata()], expected)
    assert len(axes[0].patches) == 4 * 2  # one box per scale per glimpse


def test_glimpse_animation_has_one_frame_per_glimpse(tmp_path):
    images, locs = _data(t=5)
    path = glimpse_animation(images, locs, [4], tmp_path / "a.gif", frame_ms=100)
    with Image.open(path) as gif:
        assert gif.n_frames == 5


def test_location_heatmaps_and_bad_input(tmp_path):
    images, locs = _data(n=6)
    fig = location_heatmaps(
        locs, [0, 1, 2, 0, 1, 2], backgrounds=np.zeros((3, 28, 28)), path=tmp_path / "h.png"
    )
    assert len([ax for ax in fig.axes if ax.images]) == 3
    with pytest.raises(ValueError, match="locations must be"):
        glimpse_paths(images, locs[:2], [4])
    with pytest.raises(ValueError, match="box_sizes"):
        glimpse_paths(images, locs, [])
    with pytest.raises(ValueError, match="backgrounds has 2 images for 3 groups"):
        location_heatmaps(locs, [0, 1, 2, 0, 1, 2], backgrounds=np.zeros((2, 28, 28)))
