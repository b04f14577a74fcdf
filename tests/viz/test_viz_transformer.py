"""Transformer pictures: the head x layer grid and the positional-encoding plot."""

import pytest
import torch

from attnzoo.nn import TransformerEncoder, TransformerEncoderLayer, sinusoidal_encoding
from attnzoo.viz.transformer import plot_attention_grid, plot_positional_encoding


@pytest.mark.parametrize("average", [False, True])
def test_attention_grid_from_a_model(tmp_path, average):
    enc = TransformerEncoder(TransformerEncoderLayer(8, 2, 16), 3)
    out = enc(torch.randn(2, 4, 8), return_attention=True, average_weights=average)
    path = tmp_path / "grid.png"
    fig = plot_attention_grid(out.weights, index=1, query_labels="abcd", key_labels="abcd", path=path)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 3 * (1 if average else 2)  # one panel per (layer, head)
    assert path.stat().st_size > 0
    drawn = images[0].images[0].get_array()
    expect = out.weights[0][1] if average else out.weights[0][1, 0]
    assert torch.allclose(torch.as_tensor(drawn.data), expect.detach().double())


def test_attention_grid_accepts_stacked_arrays_and_checks_names():
    w = torch.rand(2, 3, 4, 5).softmax(-1)  # (layers, H, L, S)
    fig = plot_attention_grid(w, layer_names=["enc 0", "enc 1"])
    assert sum(1 for ax in fig.axes if ax.images) == 6
    assert sum(1 for ax in plot_attention_grid(w[0]).axes if ax.images) == 3
    with pytest.raises(ValueError, match="layer_names"):
        plot_attention_grid(w, layer_names=["only one"])
    with pytest.raises(ValueError, match="index"):
        plot_attention_grid((torch.rand(2, 3, 4, 4),), index=5)


def test_positional_encoding_plot(tmp_path):
    pe = sinusoidal_encoding(60, 32)
    fig = plot_positional_encoding(pe, dims=[0, 1, 10], path=tmp_path / "pe.png")
    heat, curves = fig.axes[0], fig.axes[1]
    assert heat.images[0].get_array().shape == (60, 32)
    assert len(curves.lines) == 3
    assert (tmp_path / "pe.png").stat().st_size > 0
    with pytest.raises(ValueError, match="outside"):
        plot_positional_encoding(pe, dims=[40])
