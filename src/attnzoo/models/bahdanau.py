"""RNNsearch: Bahdanau, Cho & Bengio 2015, "Neural Machine Translation by Jointly Learning to Align and
Translate" (arXiv 1409.0473).

Paper-faithful parts (appendix A.2): a bidirectional GRU encoder whose annotations are
``h_j = [fwd_h_j; bwd_h_j]``; the decoder starts from ``s_0 = tanh(W_s bwd_h_1)``; at every target step
``i`` the alignment ``e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j)`` is recomputed from the previous decoder
state, ``alpha_i = softmax_j(e_ij)`` and ``c_i = sum_j alpha_ij h_j``; the GRU reads ``[E y_{i-1}; c_i]``;
the output is the maxout deep output ``t~_i = U_o s_{i-1} + V_o E y_{i-1} + C_o c_i`` (the appendix's form;
eq. (4) of the main text writes ``s_i``). ``U_a h_j`` does not depend on ``i``, so it is computed once per
sentence (:meth:`attnzoo.nn.AdditiveScore.project_keys`). Not in the paper: dropout (the paper trained on
WMT'14 without it; this data is 100x smaller), and the sizes (the paper: 620 / 1000 / 500). ``W_s`` has
no bias, as in the paper (checkpoints saved while it had one carry ``init_state.bias`` and no longer load).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attnzoo.functional import attention
from attnzoo.models._rnn import _additive_on_projected, _check_sizes, _MaxoutReadout, _RNNEncoder
from attnzoo.models.encdec import (
    EncoderDecoder,
    Seq2SeqOutput,
    State,
    StepOutput,
    _check_inputs,
    source_mask,
)
from attnzoo.nn import AdditiveScore

__all__ = ["Bahdanau", "BahdanauConfig"]


@dataclass(frozen=True)
class BahdanauConfig:
    """Sizes of RNNsearch (the paper's: emb 620, hidden 1000, align 1000, maxout 500)."""

    src_vocab: int  # source vocabulary size
    tgt_vocab: int  # target vocabulary size
    emb_dim: int = 256  # word embedding size m
    hidden_dim: int = 256  # GRU size n (each encoder direction, and the decoder)
    align_dim: int = 256  # hidden size n' of the alignment MLP
    maxout_dim: int = 256  # deep-output size l (2l units before the maxout)
    dropout: float = 0.2  # on embeddings and the deep output; 0 = the paper
    pad_id: int = 0  # padding id in both vocabularies

    def __post_init__(self):
        _check_sizes(self)


class Bahdanau(EncoderDecoder):
    """RNNsearch: bi-GRU encoder, additive attention recomputed at every decoder step, maxout output.

    Shape: src ``(B, S)``, src_lengths ``(B,)``, tgt_in ``(B, T)`` -> logits ``(B, T, V)`` and, with
    ``return_attention=True``, attention ``(B, T, S)`` (exactly 0 on source padding).
    """

    def __init__(self, config: BahdanauConfig):
        super().__init__()
        c = self.config = config
        self.pad_id = c.pad_id
        self.encoder = _RNNEncoder(c.src_vocab, c.emb_dim, c.hidden_dim, dropout=c.dropout, pad_id=c.pad_id)
        self.init_state = nn.Linear(c.hidden_dim, c.hidden_dim, bias=False)  # W_s: no bias in the paper
        self.score = AdditiveScore(c.hidden_dim, 2 * c.hidden_dim, c.align_dim)  # W_a, U_a, v_a
        self.embed = nn.Embedding(c.tgt_vocab, c.emb_dim, padding_idx=c.pad_id)
        self.drop = nn.Dropout(c.dropout)
        self.cell = nn.GRUCell(c.emb_dim + 2 * c.hidden_dim, c.hidden_dim)
        self.readout = _MaxoutReadout(
            c.hidden_dim, c.emb_dim, 2 * c.hidden_dim, c.maxout_dim, c.tgt_vocab, c.dropout
        )

    def encode(self, src: Tensor, src_lengths: Tensor) -> State:
        H, h_n = self.encoder(src, src_lengths)  # (B, S, 2n), (2, B, n)
        return {
            "memory": H,
            "keys": self.score.project_keys(H),  # U_a h_j once per sentence, (B, S, n')
            "mask": source_mask(src_lengths, src.shape[1]),  # (B, S)
            "s": torch.tanh(self.init_state(h_n[1])),  # s_0 = tanh(W_s bwd_h_1), (B, n)
        }

    def _attend(self, s: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """``alpha_i = softmax_j(v_a^T tanh(W_a s_{i-1} + U_a h_j))``, ``c_i = sum_j alpha_ij h_j``.

        Shape: s (N, n), keys (N, S, n'), memory (N, S, 2n), mask (N, 1, S) -> c (N, 2n), alpha (N, S).
        """
        ctx, weights = attention(
            s.unsqueeze(1),  # (N, 1, n)
            keys,
            memory,
            score=_additive_on_projected,
            score_kwargs={"score_module": self.score},
            mask=mask,
            return_weights=True,
        )
        return ctx.squeeze(1), weights.squeeze(1)

    def step(self, tokens: Tensor, state: State) -> StepOutput:
        s = state["s"]  # s_{i-1}, (N, n)
        e = self.drop(self.embed(tokens))  # E y_{i-1}, (N, m)
        ctx, weights = self._attend(s, state["keys"], state["memory"], state["mask"].unsqueeze(1))  # c_i
        logits = self.readout(s, e, ctx)  # from s_{i-1}, y_{i-1}, c_i (appendix A.2.2)
        s_new = self.cell(torch.cat([e, ctx], -1), s)  # s_i
        return StepOutput(logits, {**state, "s": s_new}, weights)

    def forward(
        self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor, *, return_attention: bool = False
    ) -> Seq2SeqOutput:
        """Teacher-forced logits for ``tgt_in (B, T)``: the function of :meth:`step` applied T times.

        Only the recurrence (the alignment and the GRU, which need ``s_{i-1}``) runs step by step. The
        embeddings of all T inputs are looked up at once, and the deep output with its vocabulary
        projection (the largest matmul of a step) runs once over the (B, T) states and contexts after the
        loop: the same numbers as stepping (in train mode dropout draws its masks in another order).

        Returns:
            :class:`Seq2SeqOutput` with ``logits (B, T, V)`` and ``attention (B, T, S)`` if asked.
        """
        _check_inputs(src, src_lengths)
        state = self.encode(src, src_lengths)
        s, keys, memory = state["s"], state["keys"], state["memory"]
        mask = state["mask"].unsqueeze(1)  # (B, 1, S)
        emb = self.drop(self.embed(tgt_in))  # E y_{i-1} for every step, (B, T, m)
        states, contexts, attn = [], [], []
        for t in range(tgt_in.shape[1]):
            ctx, weights = self._attend(s, keys, memory, mask)
            states.append(s)
            contexts.append(ctx)
            if return_attention:
                attn.append(weights)
            s = self.cell(torch.cat([emb[:, t], ctx], -1), s)
        if not states:  # T = 0: no step, as the base class
            return super().forward(src, src_lengths, tgt_in, return_attention=return_attention)
        logits = self.readout(torch.stack(states, 1), emb, torch.stack(contexts, 1))  # (B, T, V)
        return Seq2SeqOutput(logits, torch.stack(attn, 1) if return_attention else None)
