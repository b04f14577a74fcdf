"""RNN encoder-decoder without attention: Cho et al. 2014, "Learning Phrase Representations using RNN
Encoder-Decoder for Statistical Machine Translation" (arXiv 1406.1078), the RNNencdec baseline of Bahdanau
et al. 2015 (arXiv 1409.0473, appendix A.1).

The whole source is squeezed into one fixed vector ``c = tanh(V h_enc)``; the decoder starts from
``s_0 = tanh(V' c)`` and reads the *same* ``c`` at every step, in the GRU and in the maxout deep output
``t~_i = U_o s_{i-1} + V_o E y_{i-1} + C_o c``. Everything else (encoder, sizes, output layer) is the
:class:`~attnzoo.models.bahdanau.Bahdanau` model's, so a side-by-side run measures what attention buys.
Not the paper: the encoder is bidirectional by default (``h_enc = [fwd_h_S; bwd_h_1]``, as in
RNNsearch, so the two models read the source identically); ``bidirectional=False`` gives Cho's
``h_enc = h_S``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attnzoo.models._rnn import _check_sizes, _last_fwd_first_bwd, _MaxoutReadout, _RNNEncoder
from attnzoo.models.encdec import EncoderDecoder, State, StepOutput

__all__ = ["Seq2Seq", "Seq2SeqConfig"]


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Sizes of RNNencdec (the paper's: emb 620, hidden 1000, maxout 500)."""

    src_vocab: int  # source vocabulary size
    tgt_vocab: int  # target vocabulary size
    emb_dim: int = 256  # word embedding size m
    hidden_dim: int = 256  # GRU size n (each encoder direction, and the decoder)
    context_dim: int = 512  # size of the fixed context vector c
    maxout_dim: int = 256  # deep-output size l (2l units before the maxout)
    bidirectional: bool = True  # encoder reads both ways (False: Cho et al.'s unidirectional encoder)
    dropout: float = 0.2  # on embeddings and the deep output
    pad_id: int = 0  # padding id in both vocabularies

    def __post_init__(self):
        _check_sizes(self)


class Seq2Seq(EncoderDecoder):
    """Encoder-decoder with one fixed context vector: no attention, so ``step`` returns ``attention=None``.

    Shape: src ``(B, S)``, src_lengths ``(B,)``, tgt_in ``(B, T)`` -> logits ``(B, T, V)``.
    """

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        c = self.config = config
        self.pad_id = c.pad_id
        dirs = 2 if c.bidirectional else 1
        self.encoder = _RNNEncoder(
            c.src_vocab,
            c.emb_dim,
            c.hidden_dim,
            bidirectional=c.bidirectional,
            dropout=c.dropout,
            pad_id=c.pad_id,
        )
        self.summary = nn.Linear(dirs * c.hidden_dim, c.context_dim)  # V
        self.init_state = nn.Linear(c.context_dim, c.hidden_dim)  # V'
        self.embed = nn.Embedding(c.tgt_vocab, c.emb_dim, padding_idx=c.pad_id)
        self.drop = nn.Dropout(c.dropout)
        self.cell = nn.GRUCell(c.emb_dim + c.context_dim, c.hidden_dim)
        self.readout = _MaxoutReadout(
            c.hidden_dim, c.emb_dim, c.context_dim, c.maxout_dim, c.tgt_vocab, c.dropout
        )

    def encode(self, src: Tensor, src_lengths: Tensor) -> State:
        _, h_n = self.encoder(src, src_lengths)  # (dirs, B, n)
        h = _last_fwd_first_bwd(h_n) if self.config.bidirectional else h_n[0]
        c = torch.tanh(self.summary(h))  # the one fixed context vector, (B, context_dim)
        return {"context": c, "s": torch.tanh(self.init_state(c))}

    def step(self, tokens: Tensor, state: State) -> StepOutput:
        s, c = state["s"], state["context"]
        e = self.drop(self.embed(tokens))  # (N, m)
        logits = self.readout(s, e, c)
        return StepOutput(logits, {**state, "s": self.cell(torch.cat([e, c], -1), s)}, None)
