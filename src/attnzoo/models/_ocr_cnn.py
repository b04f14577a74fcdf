"""The convolutional front end of the OCR models: a recursive CNN (Lee & Osindero 2016, arXiv 1603.03101)
or its plain-CNN ablation, turning a word image into feature columns ``(B, W', D)`` with a padding mask.

Shape legend: B batch, C channels, H image height, W image width, W' = W // 4 feature columns, D column dim.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnzoo.models._rnn import _bigru_padded

__all__: list[str] = []


def _width_mask(widths: Tensor, W: int) -> Tensor:
    """``(B, W)`` True on real columns."""
    return torch.arange(W, device=widths.device)[None, :] < widths[:, None]


class _RecursiveConv(nn.Module):
    """``h_t = relu(BN_t(conv(h_{t-1})))`` for t = 1..T: one conv's weights unrolled T times when ``shared``.

    ``shared=False`` is the plain-CNN ablation: T convolutions with their own weights (same depth, same
    compute, T times the conv parameters). Batch norms are per iteration either way (the statistics of
    ``h_t`` differ with t), which is this port's choice; the paper's text does not fix it.
    """

    def __init__(self, channels: int, iterations: int, shared: bool):
        super().__init__()
        n_convs = 1 if shared else iterations
        self.convs = nn.ModuleList(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False) for _ in range(n_convs)
        )
        self.norms = nn.ModuleList(nn.BatchNorm2d(channels) for _ in range(iterations))
        self.iterations = iterations

    def conv_at(self, t: int) -> nn.Conv2d:
        """The convolution applied at iteration ``t`` (the same object for every t when shared)."""
        return self.convs[t % len(self.convs)]

    def forward(self, h: Tensor, mask: Tensor) -> Tensor:  # (B, C, H, W), mask (B, 1, 1, W)
        for t in range(self.iterations):
            h = torch.relu(self.norms[t](self.conv_at(t)(h))) * mask
        return h


class _ConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(c_out)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        return torch.relu(self.norm(self.conv(x))) * mask


class _OCRFeatures(nn.Module):
    """Image ``(B, 1, H, W)`` + widths -> columns ``(B, W', D)`` and mask ``(B, W')`` (True = real).

    stem conv -> pool 2x2 -> recursive block -> pool 2x2 -> conv (C -> 2C) -> recursive block -> pool (2, 1)
    -> the remaining ``H / 8`` rows flattened into each column -> linear to D. Activations are zeroed
    outside each image's width after every layer, so a padded image reads exactly as it does alone.
    """

    def __init__(self, height: int, channels: int, iterations: int, shared: bool, out_dim: int):
        super().__init__()
        if height % 8:
            raise ValueError(f"height must be a multiple of 8, got {height}")
        c = channels
        self.stem = _ConvBlock(1, c)
        self.rec1 = _RecursiveConv(c, iterations, shared)
        self.widen = _ConvBlock(c, 2 * c)
        self.rec2 = _RecursiveConv(2 * c, iterations, shared)
        self.proj = nn.Linear(2 * c * (height // 8), out_dim)
        self.height = height

    def forward(self, images: Tensor, widths: Tensor) -> tuple[Tensor, Tensor]:
        if images.dim() != 4 or images.shape[1] != 1 or images.shape[2] != self.height:
            raise ValueError(f"images must be (B, 1, {self.height}, W), got {tuple(images.shape)}")
        if widths.shape != images.shape[:1]:
            raise ValueError(f"widths must be (B,) = ({images.shape[0]},), got {tuple(widths.shape)}")

        def m(x: Tensor, w: Tensor) -> Tensor:
            return _width_mask(w, x.shape[-1])[:, None, None, :].to(x.dtype)

        x = images * m(images, widths)
        x = self.stem(x, m(x, widths))
        x, w = nn.functional.max_pool2d(x, 2), widths // 2  # (B, C, H/2, W/2)
        x = self.rec1(x, m(x, w))
        x, w = nn.functional.max_pool2d(x, 2), w // 2  # (B, C, H/4, W/4)
        x = self.widen(x, m(x, w))
        x = self.rec2(x, m(x, w))
        x = nn.functional.max_pool2d(x, (2, 1))  # (B, 2C, H/8, W')
        B, C, Hs, Ws = x.shape
        cols = self.proj(x.permute(0, 3, 1, 2).reshape(B, Ws, C * Hs))  # (B, W', D)
        mask = _width_mask(w, Ws)  # (B, W')
        return cols * mask[..., None], mask


class _ColumnEncoder(nn.Module):
    """Recursive (or plain) CNN columns, then a bidirectional GRU along the columns (padding packed out;
    unpacked under ``torch.compile``, with the same result: see ``_bigru_padded``)."""

    def __init__(self, height: int, channels: int, iterations: int, shared: bool, dim: int, dropout: float):
        super().__init__()
        self.cnn = _OCRFeatures(height, channels, iterations, shared, dim)
        self.rnn = nn.GRU(dim, dim // 2, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)

    def forward(self, images: Tensor, widths: Tensor) -> tuple[Tensor, Tensor]:
        cols, mask = self.cnn(images, widths)  # (B, W', D), (B, W')
        lengths = mask.sum(1)
        if torch.compiler.is_compiling():  # dynamo cannot trace packing (nor the check): the same, unpacked
            out, _ = _bigru_padded(self.rnn, self.drop(cols), lengths)  # needs allow_rnn, see there
            return self.drop(out), mask
        if bool((lengths < 1).any()):
            raise ValueError(f"every image must be at least 4 pixels wide, got widths {widths.tolist()}")
        packed = nn.utils.rnn.pack_padded_sequence(
            self.drop(cols), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=cols.shape[1])
        return self.drop(out), mask  # (B, W', D), (B, W')
