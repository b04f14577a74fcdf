"""The attention strip under a line image."""

import numpy as np
import pytest

from attnzoo.viz.strip import attention_strip


def test_strip_draws_one_row_per_output(tmp_path):
    img = np.random.default_rng(0).random((32, 40))
    w = np.eye(3, 10)
    fig = attention_strip(img, w, ["a", "b", "c"], column_width=4, path=tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 0
    strip_ax = fig.axes[1]
    assert [t.get_text() for t in strip_ax.get_yticklabels()] == ["a", "b", "c"]
    arr = strip_ax.images[0].get_array()
    assert arr.shape == (3, 10) and np.allclose(arr, w)
    assert strip_ax.images[0].get_extent()[:2] == [0, 40]  # 10 columns of 4 pixels


def test_strip_errors():
    with pytest.raises(ValueError, match="labels has 2 labels"):
        attention_strip(np.zeros((8, 8)), np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(ValueError, match="weights must be 2-D"):
        attention_strip(np.zeros((8, 8)), np.zeros(3))
    with pytest.raises(ValueError, match="column_width"):
        attention_strip(np.zeros((8, 8)), np.zeros((1, 2)), column_width=0)
