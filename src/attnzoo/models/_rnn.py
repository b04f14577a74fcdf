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
    the final states ``h_n`` (and ``c_n`` for LSTM) as ``(layers * dirs, B, hidden)``.
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
        packed = pack_padded_sequence(x, lengths.to("cpu"), batch_first=True, enforce_sorted=False)
        out, final = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # (B, S, dirs*h)
        return out, final


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
