"""Heatmaps, grids, line/fit plots and image overlays: valid PNGs, labels in place and inside the figure."""

import sys

import matplotlib.image
import numpy as np
import pytest
import torch

from attnzoo.viz import attention_heatmap, fit_plot, heatmap_grid, image_overlay, line_plot, upsample_map

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _check_png(path, min_bytes=2000):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > min_bytes
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    return img


def _labels_inside(fig):
    """Every query/key tick label lies inside the figure's canvas (nothing is cut off).

    Colorbars are left out: their end labels may overhang by a few pixels on screen; saved PNGs use a
    tight bounding box, so they are whole there.
    """
    fig.canvas.draw()
    W, H = fig.canvas.get_width_height()
    for ax in (a for a in fig.axes if a.get_label() != "<colorbar>"):
        for t in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
            if t.get_text():
                box = t.get_window_extent()
                assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= W + 1 and box.y1 <= H + 1, t.get_text()


@pytest.mark.parametrize("as_torch", [False, True])
def test_attention_heatmap_png_and_labels(tmp_path, as_torch):
    src = ["the", "agreement", "on", "the", "European", "Economic", "Area", "<end>"]
    tgt = ["l'", "accord", "sur", "la", "zone", "économique", "<end>"]
    w = torch.softmax(torch.randn(len(tgt), len(src)), -1)
    fig = attention_heatmap(
        w if as_torch else w.numpy(),
        row_labels=tgt,
        col_labels=src,
        title="t",
        path=tmp_path / "sub" / "h.png",
        dpi=80,
    )
    _check_png(tmp_path / "sub" / "h.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == src
    assert [t.get_text() for t in ax.get_yticklabels()] == tgt
    assert ax.get_xticklabels()[0].get_rotation() == 60  # long key labels are rotated
    assert len(fig.axes) == 2  # the map and its colorbar
    np.testing.assert_allclose(ax.images[0].get_array(), w.numpy(), rtol=1e-6)
    _labels_inside(fig)


def test_heatmap_long_labels_stay_inside(tmp_path):
    words = [f"word_{i}_with_a_long_suffix" for i in range(30)]
    fig = attention_heatmap(np.random.rand(30, 30), row_labels=words, col_labels=words)
    _labels_inside(fig)


def test_heatmap_annotate_and_ax(tmp_path):
    from matplotlib.figure import Figure

    outer = Figure()
    ax = outer.add_subplot()
    fig = attention_heatmap(np.eye(3), annotate=True, ax=ax, colorbar=False)
    assert fig is outer
    assert sorted(t.get_text() for t in ax.texts) == ["0.00"] * 6 + ["1.00"] * 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": np.zeros((2, 3, 4))}, r"weights must be 2-D, got shape \(2, 3, 4\)"),
        (
            {"weights": np.zeros((2, 3)), "col_labels": ["a", "b"]},
            "col_labels has 2 labels but the weights have 3",
        ),
        (
            {"weights": np.zeros((2, 3)), "row_labels": ["a"]},
            "row_labels has 1 labels but the weights have 2",
        ),
        ({"weights": "not numbers"}, "weights must be array-like of numbers"),
    ],
)
def test_heatmap_bad_input(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        attention_heatmap(kwargs.pop("weights"), **kwargs)


def test_no_pyplot_needed():
    before = "matplotlib.pyplot" in sys.modules
    attention_heatmap(np.eye(2))
    heatmap_grid(np.ones((1, 2, 2, 2)))
    if not before:
        assert "matplotlib.pyplot" not in sys.modules


def test_heatmap_grid(tmp_path):
    w = torch.softmax(torch.randn(2, 3, 5, 4), -1)
    fig = heatmap_grid(
        w,
        row_titles=["layer 0", "layer 1"],
        col_titles=["h0", "h1", "h2"],
        row_labels=list("abcde"),
        col_labels=list("wxyz"),
        path=tmp_path / "g.png",
        dpi=80,
    )
    _check_png(tmp_path / "g.png")
    maps = [a for a in fig.axes if a.images and a.get_label() != "<colorbar>"]
    assert len(maps) == 6
    assert [a.get_title() for a in maps[:3]] == ["h0", "h1", "h2"]
    assert maps[0].get_ylabel() == "layer 0" and maps[3].get_ylabel() == "layer 1"
    lims = {a.images[0].get_clim() for a in maps}
    assert len(lims) == 1  # one shared colour scale
    assert [t.get_text() for t in maps[3].get_xticklabels()] == list("wxyz")
    assert maps[0].get_xticklabels() == [] or all(not t.get_text() for t in maps[0].get_xticklabels())
    _labels_inside(fig)


def test_heatmap_grid_ragged_list_and_titles():
    fig = heatmap_grid([np.eye(3), np.ones((2, 5))], titles=["a", "b"], share_scale=False)
    assert [a.get_title() for a in fig.axes if a.get_title()] == ["a", "b"]
    with pytest.raises(ValueError, match="titles has 1 entries but there are 2 maps"):
        heatmap_grid([np.eye(3), np.eye(3)], titles=["only one"])
    with pytest.raises(ValueError, match="row_titles has 3 entries but the grid has 1"):
        heatmap_grid(np.ones((1, 2, 2, 2)), row_titles=["a", "b", "c"])


def test_line_plot_series_points_bands(tmp_path):
    x = np.arange(5)
    fig = line_plot(
        x,
        {"a": x**2, "b": x},
        points={"measured": ([1, 2], [1, 3])},
        bands={"a range": (x, x + 1)},
        logy=False,
        xlabel="n",
        ylabel="t",
        title="curves",
        path=tmp_path / "l.png",
        dpi=80,
    )
    _check_png(tmp_path / "l.png")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), x**2)
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["a", "a range", "b", "measured"]
    assert ax.get_xlabel() == "n" and ax.get_title() == "curves"


def test_line_plot_array_inputs_and_errors():
    fig = line_plot(None, np.ones((3, 4)), labels=["p", "q", "r"], logx=True)
    assert len(fig.axes[0].lines) == 3 and fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="has 3 values but x has 4"):
        line_plot(np.arange(4), {"s": [1, 2, 3]})
    with pytest.raises(ValueError, match="labels has 1 entries but there are 3 series"):
        line_plot(None, np.ones((3, 4)), labels=["p"])


def test_fit_plot_evaluates_callables():
    x = np.linspace(0, 3, 20)
    fig = fit_plot(x, np.sin(x), {"sin": np.sin, "zero": np.zeros(200)})
    ax = fig.axes[0]
    grid = ax.lines[0].get_xdata()
    assert grid.shape == (200,) and grid[0] == 0 and grid[-1] == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.sin(grid))
    with pytest.raises(ValueError, match="x has 20 values but y has 3"):
        fit_plot(x, [1, 2, 3], {})


def test_upsample_map():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(upsample_map(a, (4, 6), "nearest"), np.kron(a, np.ones((2, 2))))
    np.testing.assert_allclose(upsample_map(np.full((3, 3), 0.25), (28, 28)), 0.25)
    up = upsample_map(torch.rand(7, 7), (28, 28))
    assert up.shape == (28, 28)
    with pytest.raises(ValueError, match="mode must be 'bilinear' or 'nearest'"):
        upsample_map(a, (4, 6), "cubic")


@pytest.mark.parametrize(
    "image", [np.zeros((28, 28)), np.zeros((3, 20, 24)), np.zeros((20, 24, 3), np.uint8) + 200]
)
def test_image_overlay(tmp_path, image):
    att = np.zeros((4, 4))
    att[1, 2] = 1.0
    fig = image_overlay(image, att, title="glimpse", path=tmp_path / "o.png")
    _check_png(tmp_path / "o.png", min_bytes=1000)
    layer = fig.axes[0].images[1].get_array()
    H, W = image.shape[1:] if image.shape[0] == 3 else image.shape[:2]
    assert layer.shape == (H, W) and float(layer.max()) == pytest.approx(1.0)


def test_image_overlay_bad_image():
    with pytest.raises(ValueError, match=r"image must be \(H, W\), \(H, W, 3\) or \(3, H, W\)"):
        image_overlay(np.zeros((5, 6, 4)), np.ones((2, 2)))
