"""DRAW: A Recurrent Neural Network For Image Generation (Gregor, Danihelka, Graves, Rezende, Wierstra 2015;
arXiv 1502.04623).

A sequential variational auto-encoder: at each of T steps an encoder LSTM reads the image and the error of
the current canvas, a Gaussian latent ``z_t`` is drawn from ``Q(z_t | h_enc_t)`` by the reparameterisation
trick, a decoder LSTM turns it into a write onto the canvas; after T steps ``sigmoid(c_T)`` are the means of a
Bernoulli distribution over the pixels (paper section 2, eq. 3-8)::

    x_hat = x - sigmoid(c_{t-1})
    r_t = read(x, x_hat, h_dec_{t-1})
    h_enc_t = LSTM_enc(h_enc_{t-1}, [r_t, h_dec_{t-1}])
    z_t = mu_t + sigma_t * eps,   mu_t = W h_enc_t,  sigma_t = exp(W h_enc_t)
    h_dec_t = LSTM_dec(h_dec_{t-1}, z_t)
    c_t = c_{t-1} + write(h_dec_t)

Loss (nats per image): ``L^x = -log D(x | c_T)`` (binary cross-entropy with the logits ``c_T``) plus
``L^z = sum_t KL(Q(z_t | h_enc_t) || N(0, I))`` (eq. 10-11), an upper bound on ``-log p(x)``.

With ``attention=True`` read is the filterbank glimpse of ``x`` and ``x_hat`` (one set of read filters for
both, eq. 27) and write a patch through separate write filters (eq. 28-29); with ``attention=False`` read is
``[x, x_hat]`` and write a linear map onto the whole image (eq. 17-18), the paper's no-attention model.
As in the paper, ``c_0``, ``h_enc_0`` and ``h_dec_0`` are learned biases (the LSTM cell states start at 0).
The paper gives no initialisation; ours starts the windows smooth and centred (``DRAWConfig.window_init``,
:meth:`DRAW.init_windows`), without which the attention model stays at the mean image on short budgets.

Shape legend: B batch, C channels, H height, W width, T steps, Z latent size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.nn.filterbank import FilterbankAttention, FilterbankParams

__all__ = ["DRAW", "DRAWConfig", "DRAWOutput", "DRAWSample", "gaussian_kl"]


@dataclass(frozen=True)
class DRAWConfig:
    """Configuration of DRAW; the defaults are the paper's MNIST model with attention (its section 4.2)."""

    # image channels (1: binarised MNIST)
    channels: int = 1
    # image height and width (paper: 28 x 28 MNIST)
    height: int = 28
    width: int = 28
    # glimpses / canvas updates per image (paper: 64 for its best MNIST models)
    steps: int = 64
    # encoder and decoder LSTM units (paper: 256 each)
    enc_hidden: int = 256
    dec_hidden: int = 256
    # size of each step's Gaussian latent z_t (paper: 100)
    z_dim: int = 100
    # True: filterbank read and write; False: full read [x, x_hat] and full linear write (the ablation)
    attention: bool = True
    # read grid N x N (paper, MNIST: 2) and write grid (paper, MNIST: 5); ignored without attention
    read_n: int = 2
    write_n: int = 5
    # True (our choice; the paper gives no initialisation): the read grid starts centred over the middle
    # 3/4 of the image with smooth, overlapping filters, and the write as a smooth tiling of the whole image
    # whose 1/gamma makes a patch of ones add about one logit a pixel, as the full write does (see
    # DRAW.init_windows). False: PyTorch's default biases, where the 2 x 2 read sits on the four (empty)
    # corner pixels and the write's 25 one-pixel dots are ~45x weaker than the full write; that model stays
    # at the mean image on short budgets. Ignored without attention
    window_init: bool = True

    def __post_init__(self) -> None:
        for name in ("channels", "height", "width", "steps", "enc_hidden", "dec_hidden", "z_dim"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"DRAWConfig.{name} must be a positive int, got {v!r}")
        for name in ("read_n", "write_n"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"DRAWConfig.{name} must be a positive int, got {v!r}")
        for name in ("attention", "window_init"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"DRAWConfig.{name} must be a bool, got {getattr(self, name)!r}")


class DRAWOutput(NamedTuple):
    """What :meth:`DRAW.forward` returns (nats; sums over pixels and steps, one value per image)."""

    logits: Tensor  # (B, C, H, W) the final canvas c_T; sigmoid(logits) are the Bernoulli means
    recon: Tensor  # (B,) -log D(x | c_T)
    kl: Tensor  # (B, T) KL(Q(z_t | x, z_<t) || N(0, I)) per step
    loss: Tensor  # (B,) recon + kl.sum(1), the negative ELBO
    canvases: Tensor | None  # (B, T, C, H, W) c_1 .. c_T as logits, if asked for
    read_params: FilterbankParams | None  # each (B, T), read attention per step; None without attention
    write_params: FilterbankParams | None  # each (B, T), write attention per step; None without attention


class DRAWSample(NamedTuple):
    """What :meth:`DRAW.sample` returns."""

    images: Tensor  # (n, C, H, W) sigmoid(c_T), the Bernoulli means
    canvases: Tensor  # (n, T, C, H, W) sigmoid(c_t) after each step
    write_params: FilterbankParams | None  # each (n, T); None without attention


def gaussian_kl(mu: Tensor, log_sigma: Tensor) -> Tensor:
    """``KL(N(mu, sigma^2) || N(0, 1)) = 1/2 sum(mu^2 + sigma^2 - 2 log sigma - 1)`` over the last axis."""
    return 0.5 * (mu.pow(2) + torch.exp(2 * log_sigma) - 2 * log_sigma - 1).sum(-1)


def _stack_params(ps: list[FilterbankParams]) -> FilterbankParams:
    return FilterbankParams(*(torch.stack(v, 1) for v in zip(*ps, strict=True)))


class DRAW(nn.Module):
    """The DRAW network; see the module docstring for the equations.

    Args:
        config: a :class:`DRAWConfig`.

    Shape:
        x: (B, C, H, W) in [0, 1] (binary for the paper's likelihood) -> :class:`DRAWOutput`.
    """

    def __init__(self, config: DRAWConfig = DRAWConfig()) -> None:
        super().__init__()
        if not isinstance(config, DRAWConfig):
            raise TypeError(f"config must be a DRAWConfig, got {type(config).__name__}")
        self.config = c = config
        pixels = c.channels * c.height * c.width
        if c.attention:
            self.read_att = FilterbankAttention(c.dec_hidden, c.height, c.width, c.read_n)
            self.write_att = FilterbankAttention(c.dec_hidden, c.height, c.width, c.write_n)
            read_size = 2 * c.channels * c.read_n**2
            self.write_patch = nn.Linear(c.dec_hidden, c.channels * c.write_n**2)
        else:
            read_size = 2 * pixels
            self.write_full = nn.Linear(c.dec_hidden, pixels)
        self.encoder = nn.LSTMCell(read_size + c.dec_hidden, c.enc_hidden)
        self.decoder = nn.LSTMCell(c.z_dim, c.dec_hidden)
        self.latent = nn.Linear(c.enc_hidden, 2 * c.z_dim)  # (mu, log sigma)
        self.h_enc0 = nn.Parameter(torch.zeros(c.enc_hidden))
        self.h_dec0 = nn.Parameter(torch.zeros(c.dec_hidden))
        self.c0 = nn.Parameter(torch.zeros(c.channels, c.height, c.width))
        if c.attention and c.window_init:
            self.init_windows()

    def init_windows(self) -> None:
        """Start the read and write windows smooth and centred (``DRAWConfig.window_init``).

        Read: the grid spans the middle 3/4 of the longer side, ``sigma = delta / 2`` (MNIST, N = 2: four
        overlapping quadrants of the digit box, so the encoder sees the digit and the window has gradient).
        Write: the paper's whole-image spread ``delta = (max(H, W) - 1)/(N - 1)``, ``sigma = delta / 2``,
        and ``gamma = 1/delta^2``: the filters' rows sum to one over the image, so their columns sum to about
        ``1/delta`` and a patch of ones writes ``1/(gamma delta^2) = 1`` a pixel in the interior.
        """
        c = self.config
        self.read_att.init_window(extent=0.75 * max(c.height, c.width))
        delta = (max(c.height, c.width) - 1) / max(c.write_n - 1, 1)
        self.write_att.init_window(gain=1 / delta**2)

    def _check(self, x: Tensor) -> None:
        c = self.config
        if x.dim() != 4 or tuple(x.shape[1:]) != (c.channels, c.height, c.width):
            raise ValueError(
                f"x must have shape (B, {c.channels}, {c.height}, {c.width}), got {tuple(x.shape)}"
            )

    def _read(self, x: Tensor, x_hat: Tensor, h_dec: Tensor) -> tuple[Tensor, FilterbankParams | None]:
        if not self.config.attention:
            return torch.cat([x.flatten(1), x_hat.flatten(1)], 1), None  # (B, 2 C H W)
        glimpse, p = self.read_att.read(torch.cat([x, x_hat], 1), h_dec)  # (B, 2C, N, N)
        return glimpse.flatten(1), p

    def _write(self, h_dec: Tensor) -> tuple[Tensor, FilterbankParams | None]:
        c = self.config
        B = h_dec.shape[0]
        if not c.attention:
            return self.write_full(h_dec).view(B, c.channels, c.height, c.width), None
        w = self.write_patch(h_dec).view(B, c.channels, c.write_n, c.write_n)  # (B, C, N, N)
        return self.write_att.write(w, h_dec)

    def forward(
        self, x: Tensor, *, return_canvases: bool = False, generator: torch.Generator | None = None
    ) -> DRAWOutput:
        """Encode and reconstruct ``x``; one latent sample per step (``generator`` fixes it)."""
        self._check(x)
        c = self.config
        B = x.shape[0]
        h_enc, h_dec = self.h_enc0.expand(B, -1), self.h_dec0.expand(B, -1)
        s_enc, s_dec = x.new_zeros(B, c.enc_hidden), x.new_zeros(B, c.dec_hidden)
        canvas = self.c0.expand(B, -1, -1, -1)
        kls, canvases, rps, wps = [], [], [], []
        for _ in range(c.steps):
            x_hat = x - torch.sigmoid(canvas)
            r, rp = self._read(x, x_hat, h_dec)
            h_enc, s_enc = self.encoder(torch.cat([r, h_dec], 1), (h_enc, s_enc))
            mu, log_sigma = self.latent(h_enc).chunk(2, -1)  # (B, Z) each
            eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
            z = mu + torch.exp(log_sigma) * eps  # reparameterisation
            h_dec, s_dec = self.decoder(z, (h_dec, s_dec))
            update, wp = self._write(h_dec)
            canvas = canvas + update
            kls.append(gaussian_kl(mu, log_sigma))
            if return_canvases:
                canvases.append(canvas)
            if rp is not None:
                rps.append(rp)
                wps.append(wp)
        kl = torch.stack(kls, 1)  # (B, T)
        recon = F.binary_cross_entropy_with_logits(canvas, x, reduction="none").flatten(1).sum(1)  # (B,)
        return DRAWOutput(
            logits=canvas,
            recon=recon,
            kl=kl,
            loss=recon + kl.sum(1),
            canvases=torch.stack(canvases, 1) if return_canvases else None,
            read_params=_stack_params(rps) if rps else None,
            write_params=_stack_params(wps) if wps else None,
        )

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | int | None = None) -> DRAWSample:
        """Generate ``n`` images: ``z_t ~ N(0, I)`` through the decoder and writes (paper section 2.3).

        Args:
            n: number of images.
            generator: a ``torch.Generator``, or an int seed for a fresh CPU one (same seed, same images).
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        if isinstance(generator, int) and not isinstance(generator, bool):
            generator = torch.Generator().manual_seed(generator)
        c = self.config
        p0 = self.h_dec0
        h_dec, s_dec = p0.expand(n, -1), p0.new_zeros(n, c.dec_hidden)
        canvas = self.c0.expand(n, -1, -1, -1)
        canvases, wps = [], []
        for _ in range(c.steps):
            z = torch.randn(n, c.z_dim, generator=generator, dtype=p0.dtype).to(p0.device)
            h_dec, s_dec = self.decoder(z, (h_dec, s_dec))
            update, wp = self._write(h_dec)
            canvas = canvas + update
            canvases.append(torch.sigmoid(canvas))
            if wp is not None:
                wps.append(wp)
        return DRAWSample(canvases[-1], torch.stack(canvases, 1), _stack_params(wps) if wps else None)
