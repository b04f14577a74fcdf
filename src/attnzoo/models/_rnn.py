"""Pieces shared by the recurrent translation models: a packed bidirectional GRU encoder and the maxout
deep-output layer of Bahdanau et al. 2015 (arXiv 1409.0473, appendix A.2.2), also used for the
no-attention baseline so that the two differ only in the context vector."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from attnzoo.nn import AdditiveScore


class _RNNEncoder(nn.Module):
    """Embedding + (bi)directional GRU or LSTM over a right-padded source, packed so padding is skipped.

    Shape: src ``(B, S)``, lengths ``(B,)`` -> annotations ``(B, S, dirs * hidden)`` (zeros on padding) and
    the final states ``h_n`` (and ``c_n`` for LSTM) as ``(layers * dirs, B, hidden)``. Under
    ``torch.compile`` a one-layer bi-GRU runs unpacked (:func:`_bigru_padded`, the same result); other
    cells still pack, which breaks the graph.
    """

    def __init__(
        self,
        vocab_size: int,
        emb_dim: int,
        hidden_dim: int,
        *,
        cell: str = "gru",
        num_layers: int = 1,
        bidirectional: bool = True,
        dropout: float = 0.0,
        pad_id: int = 0,
    ):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.drop = nn.Dropout(dropout)
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.rnn = rnn(
            emb_dim,
            hidden_dim,
            num_layers=num_layers,
            bidirectional=bidirectional,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )

    def forward(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        x = self.drop(self.embed(src))  # (B, S, emb)
        if torch.compiler.is_compiling() and _packing_free(self.rnn):
            return _bigru_padded(self.rnn, x, lengths)
        packed = pack_padded_sequence(x, lengths.to("cpu"), batch_first=True, enforce_sorted=False)
        out, final = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # (B, S, dirs*h)
        return out, final


def _packing_free(rnn: nn.Module) -> bool:
    """Whether :func:`_bigru_padded` computes this RNN (a one-layer bidirectional GRU, batch first)."""
    return isinstance(rnn, nn.GRU) and rnn.num_layers == 1 and rnn.bidirectional and rnn.batch_first


def _bigru_padded(rnn: nn.GRU, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """What ``pack -> rnn -> pad`` returns for a one-layer bi-GRU, without packing (which dynamo cannot
    trace, so ``torch.compile(fullgraph=True)`` takes this path; it needs
    ``torch._dynamo.config.allow_rnn = True`` to capture ``nn.GRU``).

    The forward direction runs over ``x`` (right padding comes after the real steps, so its outputs there are
    exact); the backward direction runs over each row rolled right by ``S - lengths[b]``, so it starts at the
    last real step from a zero state, as packing does. The bi-GRU thus runs twice (twice the FLOPs of the
    packed call), and each run keeps only one direction. Equal to the packed path up to float rounding.

    Shape: x ``(B, S, I)``, lengths ``(B,)`` in [1, S] -> out ``(B, S, 2h)`` (zeros on padding),
    h_n ``(2, B, h)``.
    """
    B, S, _ = x.shape
    h = rnn.hidden_size
    lengths = lengths.to(x.device)
    steps = torch.arange(S, device=x.device)  # (S,)
    real = (steps < lengths[:, None])[..., None]  # (B, S, 1)
    fwd = rnn(x)[0][..., :h]  # (B, S, h)
    to_right = (steps + lengths[:, None]) % S  # (B, S): row b rolled right by S - lengths[b]
    shifted = x.gather(1, to_right[..., None].expand_as(x))  # (B, S, I), pads first
    bwd_right = rnn(shifted)[0][..., h:]  # (B, S, h)
    back = (steps + S - lengths[:, None]) % S  # (B, S): undo the roll
    bwd = bwd_right.gather(1, back[..., None].expand(B, S, h))  # (B, S, h)
    out = torch.cat([fwd, bwd], dim=-1) * real  # (B, S, 2h)
    last = (lengths - 1)[:, None, None].expand(B, 1, h)
    h_n = torch.stack([fwd.gather(1, last)[:, 0], bwd[:, 0]])  # (2, B, h)
    return out, h_n


def _last_fwd_first_bwd(h_n: Tensor) -> Tensor:
    """``[fwd at the last real step; bwd at step 1]`` from a one-layer bi-GRU's ``h_n (2, B, h)``."""
    return torch.cat([h_n[0], h_n[1]], dim=-1)  # (B, 2h)


class _MaxoutReadout(nn.Module):
    """Deep output ``t~ = U_o s + V_o E y + C_o c``, maxout over pairs, then ``W_o t`` (Bahdanau A.2.2).

    Shape: state ``(N, n)``, embedded previous word ``(N, m)``, context ``(N, c)`` -> logits ``(N, V)``.
    """

    def __init__(self, state_dim: int, emb_dim: int, ctx_dim: int, maxout_dim: int, vocab_size: int, dropout):
        super().__init__()
        self.U = nn.Linear(state_dim, 2 * maxout_dim)
        self.V = nn.Linear(emb_dim, 2 * maxout_dim, bias=False)
        self.C = nn.Linear(ctx_dim, 2 * maxout_dim, bias=False)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(maxout_dim, vocab_size)

    def forward(self, s: Tensor, emb: Tensor, ctx: Tensor) -> Tensor:
        t = self.U(s) + self.V(emb) + self.C(ctx)  # (N, 2l)
        t = t.view(*t.shape[:-1], -1, 2).amax(-1)  # maxout over pairs, (N, l)
        return self.out(self.drop(t))  # (N, V)


def _check_sizes(cfg) -> None:
    """Validate the integer sizes and the dropout of a model config (named in the error)."""
    for name in ("src_vocab", "tgt_vocab", "emb_dim", "hidden_dim"):
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{type(cfg).__name__}.{name} must be an int >= 1, got {v!r}")
    if not 0.0 <= cfg.dropout < 1.0:
        raise ValueError(f"{type(cfg).__name__}.dropout must be in [0, 1), got {cfg.dropout!r}")


def _additive_on_projected(query: Tensor, projected_keys: Tensor, *, score_module: AdditiveScore) -> Tensor:
    """A score for :func:`attnzoo.functional.attention` whose ``key`` are already ``U_a h_j``."""
    return score_module(query, projected_keys=projected_keys)
