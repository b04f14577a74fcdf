"""Global attention: Luong, Pham & Manning 2015, "Effective Approaches to Attention-based Neural Machine
Translation" (arXiv 1508.04025).

Paper-faithful parts: stacked unidirectional LSTM encoder and decoder, the decoder starting from the
encoder's final states; at step ``t`` the *current* top decoder state ``h_t`` attends over the encoder's top
states ``h̄_s`` with ``a_t = softmax_s score(h_t, h̄_s)`` (section 3.1), where score is ``dot``
``h_t^T h̄_s``, ``general`` ``h_t^T W_a h̄_s`` or ``concat`` ``v_a^T tanh(W_a [h_t; h̄_s])``; then
``c_t = sum_s a_t(s) h̄_s``, the attentional vector ``h~_t = tanh(W_c [c_t; h_t])`` and
``p(y_t) = softmax(W_s h~_t)``; with input feeding (section 3.3) ``h~_{t-1}`` is concatenated to the next
input. Dropout between layers as the paper (0.2). Only global attention (the paper's local attention is
not here); sizes are smaller (the paper: 4 layers of 1000).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attnzoo.functional import attention
from attnzoo.models._rnn import _additive_on_projected, _check_sizes, _RNNEncoder
from attnzoo.models.encdec import EncoderDecoder, State, StepOutput, source_mask
from attnzoo.nn import AdditiveScore, BilinearScore

__all__ = ["LUONG_SCORES", "Luong", "LuongConfig"]

LUONG_SCORES = ("dot", "general", "concat")


@dataclass(frozen=True)
class LuongConfig:
    """Sizes and choices of the global-attention model (the paper's: 4 layers, 1000 units, dropout 0.2)."""

    src_vocab: int  # source vocabulary size
    tgt_vocab: int  # target vocabulary size
    score: str = "general"  # "dot", "general" or "concat"
    emb_dim: int = 256  # word embedding size
    hidden_dim: int = 256  # LSTM size (encoder and decoder)
    num_layers: int = 2  # stacked LSTM layers (encoder and decoder)
    input_feeding: bool = True  # feed h~_{t-1} to the next step (section 3.3)
    dropout: float = 0.2  # between LSTM layers, on embeddings and on h~_t
    pad_id: int = 0  # padding id in both vocabularies

    def __post_init__(self):
        _check_sizes(self)
        if self.score not in LUONG_SCORES:
            raise ValueError(f"LuongConfig.score must be one of {list(LUONG_SCORES)}, got {self.score!r}")
        if isinstance(self.num_layers, bool) or not isinstance(self.num_layers, int) or self.num_layers < 1:
            raise ValueError(f"LuongConfig.num_layers must be an int >= 1, got {self.num_layers!r}")


class Luong(EncoderDecoder):
    """Stacked-LSTM encoder-decoder with global attention (dot / general / concat) and input feeding.

    Shape: src ``(B, S)``, src_lengths ``(B,)``, tgt_in ``(B, T)`` -> logits ``(B, T, V)`` and, with
    ``return_attention=True``, attention ``(B, T, S)`` (exactly 0 on source padding).
    """

    def __init__(self, config: LuongConfig):
        super().__init__()
        c = self.config = config
        self.pad_id = c.pad_id
        n = c.hidden_dim
        self.encoder = _RNNEncoder(
            c.src_vocab,
            c.emb_dim,
            n,
            cell="lstm",
            num_layers=c.num_layers,
            bidirectional=False,
            dropout=c.dropout,
            pad_id=c.pad_id,
        )
        self.embed = nn.Embedding(c.tgt_vocab, c.emb_dim, padding_idx=c.pad_id)
        self.drop = nn.Dropout(c.dropout)
        in_dim = c.emb_dim + (n if c.input_feeding else 0)
        self.rnn = nn.LSTM(
            in_dim,
            n,
            num_layers=c.num_layers,
            batch_first=True,
            dropout=c.dropout if c.num_layers > 1 else 0.0,
        )
        if c.score == "general":
            self.score = BilinearScore(n, n)  # W_a
        elif c.score == "concat":
            self.score = AdditiveScore(n, n, n)  # W_a = [W_q | W_k], v_a
        self.combine = nn.Linear(2 * n, n, bias=False)  # W_c
        self.out = nn.Linear(n, c.tgt_vocab)  # W_s

    def encode(self, src: Tensor, src_lengths: Tensor) -> State:
        H, (h_n, c_n) = self.encoder(src, src_lengths)  # (B, S, n), (layers, B, n) x2
        B, n = src.shape[0], self.config.hidden_dim
        state = {
            "memory": H,
            "mask": source_mask(src_lengths, src.shape[1]),  # (B, S)
            "h": h_n.transpose(0, 1),  # batch first so beam search can reorder it, (B, layers, n)
            "c": c_n.transpose(0, 1),
        }
        if self.config.score == "concat":
            state["keys"] = self.score.project_keys(H)  # the key half of W_a [h_t; h̄_s], once
        if self.config.input_feeding:
            state["feed"] = H.new_zeros(B, n)  # h~_0 = 0
        return state

    def _attend(self, h_t: Tensor, state: State) -> tuple[Tensor, Tensor]:
        q, mask = h_t.unsqueeze(1), state["mask"].unsqueeze(1)  # (N, 1, n), (N, 1, S)
        H, score = state["memory"], self.config.score
        if score == "dot":
            out = attention(q, H, H, score="dot", mask=mask, return_weights=True)
        elif score == "general":
            out = attention(
                q, H, H, score="general", weight=self.score.weight, mask=mask, return_weights=True
            )
        else:
            out = attention(
                q,
                state["keys"],
                H,
                score=_additive_on_projected,
                score_module=self.score,
                mask=mask,
                return_weights=True,
            )
        return out.output.squeeze(1), out.weights.squeeze(1)  # (N, n), (N, S)

    def step(self, tokens: Tensor, state: State) -> StepOutput:
        x = self.drop(self.embed(tokens))  # (N, emb)
        if self.config.input_feeding:
            x = torch.cat([x, state["feed"]], -1)
        hc = (state["h"].transpose(0, 1).contiguous(), state["c"].transpose(0, 1).contiguous())
        out, (h, c) = self.rnn(x.unsqueeze(1), hc)  # (N, 1, n)
        h_t = out.squeeze(1)
        ctx, weights = self._attend(h_t, state)
        h_tilde = torch.tanh(self.combine(torch.cat([ctx, h_t], -1)))  # h~_t, (N, n)
        logits = self.out(self.drop(h_tilde))
        new = {**state, "h": h.transpose(0, 1), "c": c.transpose(0, 1)}
        if self.config.input_feeding:
            new["feed"] = h_tilde
        return StepOutput(logits, new, weights)
