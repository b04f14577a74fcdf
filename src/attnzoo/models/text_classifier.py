"""Bi-GRU text classifier with word attention pooling: Yang et al. 2016, "Hierarchical Attention Networks for
Document Classification" (NAACL 2016), the word encoder and word attention of Sec. 2.2.

Shape legend: B batch, S tokens (padded), D = 2 * hidden_size (both GRU directions), A attention_dim,
C classes. Padding comes after each review's ``lengths[b]`` real tokens and is invisible to the model: the
GRU runs on packed sequences (so the backward direction starts at the last real word, not at a pad) and
every pooling sees only real tokens. Padding a review to another length does not change its prediction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from attnzoo.functional import attention, lengths_to_mask
from attnzoo.models._rnn import _bigru_padded

__all__ = ["POOLINGS", "ClassifierOutput", "TextClassifier", "TextClassifierConfig", "WordAttention"]

PoolFn = Callable[["TextClassifier", Tensor, Tensor, Tensor, bool], tuple[Tensor, Tensor | None]]
POOLINGS: dict[str, PoolFn] = {}


def _register_pooling(name: str) -> Callable[[PoolFn], PoolFn]:
    def wrap(fn: PoolFn) -> PoolFn:
        POOLINGS[name] = fn
        return fn

    return wrap


@dataclass(frozen=True)
class TextClassifierConfig:
    """Hyper-parameters; the defaults are the classic TF1 bi-GRU + attention IMDB example's."""

    vocab_size: int = 10_000  # ids 0..vocab_size-1, including <pad> (0) and <unk> (1)
    embed_dim: int = 100  # word embedding size
    hidden_size: int = 150  # GRU state size per direction (the pooled vector has 2 * hidden_size)
    attention_dim: int = 50  # A: size of u_t = tanh(W h_t + b) and of the word context vector u_w
    dropout: float = 0.2  # on the pooled vector before the classifier (the example's keep_prob 0.8)
    num_classes: int = 2  # C: softmax classes (the example's single sigmoid unit is the C=2 case)
    pooling: str = "attention"  # "attention" (HAN word attention), or the baselines "mean", "last"
    padding_idx: int = 0  # the <pad> id: its embedding is zero and gets no gradient
    # Embeddings start U(-a, a). The TF1 example used a = 1 and PyTorch's default is N(0, 1); such large
    # vectors saturate the GRU's gates, and on MR sentences a = 0.1 trains markedly faster and better.
    embed_init: float = 0.1
    # The word context vector u_w starts N(0, s^2); the score scale |W| |u_w| sets how peaked attention gets
    # in a short run. The TF1 example draws W and u_w from N(0, 0.1^2); with PyTorch's default init of W
    # (std ~0.03 for D = 300), s = 0.3 gives about the same initial scale. At s = 0.1 attention stayed near
    # uniform after 3 epochs on MR (entropy 0.99 of the maximum) and erasure could not tell it from random.
    context_init: float = 0.3

    def __post_init__(self) -> None:
        for name in ("vocab_size", "embed_dim", "hidden_size", "attention_dim", "num_classes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"TextClassifierConfig.{name} must be a positive int, got {value!r}")
        if self.num_classes < 2:
            raise ValueError(f"TextClassifierConfig.num_classes must be >= 2, got {self.num_classes}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"TextClassifierConfig.dropout must be in [0, 1), got {self.dropout!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {self.pooling!r}; valid: {', '.join(sorted(POOLINGS))}")
        for name in ("embed_init", "context_init"):
            if not getattr(self, name) > 0:
                raise ValueError(f"TextClassifierConfig.{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.padding_idx < self.vocab_size:
            raise ValueError(f"padding_idx must be in [0, {self.vocab_size}), got {self.padding_idx}")

    def to_dict(self) -> dict:
        return asdict(self)


class ClassifierOutput(NamedTuple):
    """``(logits (B, C), weights (B, S) or None)``: the per-word attention weights, when asked for and the
    pooling has them; exactly 0 on padding, summing to 1 over each review's real tokens (all 0 for an
    empty review)."""

    logits: Tensor
    weights: Tensor | None


class WordAttention(nn.Module):
    """HAN word attention (Yang et al. 2016, eqs. 5-7), paper-faithful: ``u_t = tanh(W h_t + b)``,
    ``alpha_t = softmax_t(u_t . u_w)`` over real tokens only, ``s = sum_t alpha_t h_t``; the word context
    vector ``u_w`` is learned.

    Shape: h ``(B, S, D)``, mask ``(B, S)`` bool (True = real token) -> ``(s (B, D), alpha (B, S) or None)``.
    A row with no real token pools to zeros with all-zero weights.
    """

    def __init__(self, input_dim: int, attention_dim: int, context_init: float = 0.3):
        super().__init__()
        self.proj = nn.Linear(input_dim, attention_dim)
        self.context = nn.Parameter(torch.randn(attention_dim) * context_init)  # u_w

    def forward(
        self, h: Tensor, mask: Tensor, return_attention: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        u = torch.tanh(self.proj(h))  # (B, S, A)
        query = self.context.expand(h.shape[0], 1, -1)  # (B, 1, A)
        out = attention(query, u, h, score="dot", mask=mask[:, None, :], return_weights=return_attention)
        weights = out.weights.squeeze(1) if out.weights is not None else None  # (B, S)
        return out.output.squeeze(1), weights  # (B, D)


class TextClassifier(nn.Module):
    """Embedding -> bidirectional GRU -> pooling (word attention, mean or last state) -> dropout -> linear.

    Args:
        config: a :class:`TextClassifierConfig` (defaults: the TF1 IMDB example's sizes).

    Shape: tokens ``(B, S)`` int64, lengths ``(B,)`` (default: the number of non-pad tokens, which must all
    come first) -> :class:`ClassifierOutput` with logits ``(B, C)`` and, for ``return_attention=True`` with
    attention pooling, the per-word weights ``(B, S)``.

    ``torch.compile(model, fullgraph=True)`` captures the whole forward once
    ``torch._dynamo.config.allow_rnn = True`` (dynamo leaves ``nn.GRU`` out otherwise): compiled, the input
    value checks are skipped and the GRU runs unpacked (``_bigru_padded``: the same outputs, twice the GRU
    FLOPs).
    """

    def __init__(self, config: TextClassifierConfig | None = None):
        super().__init__()
        self.config = config = config or TextClassifierConfig()
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=config.padding_idx)
        with torch.no_grad():
            self.embedding.weight.uniform_(-config.embed_init, config.embed_init)
            self.embedding.weight[config.padding_idx] = 0
        self.gru = nn.GRU(config.embed_dim, config.hidden_size, batch_first=True, bidirectional=True)
        D = 2 * config.hidden_size
        self.attention = None
        if config.pooling == "attention":
            self.attention = WordAttention(D, config.attention_dim, config.context_init)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(D, config.num_classes)

    def forward(self, tokens: Tensor, lengths: Tensor | None = None, *, return_attention: bool = False):
        lengths, mask = self._check(tokens, lengths)
        S = tokens.shape[1]
        x = self.embedding(tokens)  # (B, S, E)
        # pack needs length >= 1: an empty review runs the GRU over one pad, and its mask hides the result.
        n = lengths.clamp_min(1)
        if torch.compiler.is_compiling():  # dynamo cannot trace packing: the same function unpacked
            h, h_n = _bigru_padded(self.gru, x, n)  # needs allow_rnn, see there
        else:
            packed = pack_padded_sequence(x, n.cpu(), batch_first=True, enforce_sorted=False)
            h_seq, h_n = self.gru(packed)
            h, _ = pad_packed_sequence(h_seq, batch_first=True, total_length=S)  # (B, S, D), zeros on pads
        # (B, D): the forward state after the last word and the backward state after the first
        last = torch.cat([h_n[0], h_n[1]], dim=-1)
        pooled, weights = POOLINGS[self.config.pooling](self, h, mask, last, return_attention)
        logits = self.classifier(self.dropout(pooled))  # (B, C)
        return ClassifierOutput(logits, weights)

    def _check(self, tokens: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor]:
        if not isinstance(tokens, Tensor) or tokens.ndim != 2 or tokens.is_floating_point():
            got = tokens
            if isinstance(tokens, Tensor):
                got = f"shape {tuple(tokens.shape)} dtype {tokens.dtype}"
            raise ValueError(f"tokens must be an integer tensor of shape (B, S), got {got}")
        B, S = tokens.shape
        # The value checks read tensors (data-dependent branches, graph breaks): skipped under torch.compile.
        checking = not torch.compiler.is_compiling()
        if lengths is None:
            lengths = (tokens != self.config.padding_idx).sum(1)
            mask = lengths_to_mask(lengths, S)
            if checking and not torch.equal(mask, tokens != self.config.padding_idx):
                raise ValueError("tokens have pads before real words: pass lengths, or pad only at the end")
            return lengths, mask
        lengths = torch.as_tensor(lengths, device=tokens.device)
        if lengths.shape != (B,):
            raise ValueError(
                f"lengths must have shape ({B},) to match tokens {tuple(tokens.shape)}, "
                f"got {tuple(lengths.shape)}"
            )
        if checking and B and (int(lengths.min()) < 0 or int(lengths.max()) > S):
            raise ValueError(f"lengths must be in [0, {S}] (S = tokens.shape[1]), got {lengths.tolist()}")
        return lengths, lengths_to_mask(lengths, S)


@_register_pooling("attention")
def _attention_pool(model: TextClassifier, h: Tensor, mask: Tensor, last: Tensor, return_attention: bool):
    return model.attention(h, mask, return_attention)


@_register_pooling("mean")
def _mean_pool(model: TextClassifier, h: Tensor, mask: Tensor, last: Tensor, return_attention: bool):
    n = mask.sum(1, keepdim=True).clamp_min(1).to(h.dtype)  # (B, 1)
    return (h * mask[..., None]).sum(1) / n, None  # (B, D); zeros for an empty review


@_register_pooling("last")
def _last_pool(model: TextClassifier, h: Tensor, mask: Tensor, last: Tensor, return_attention: bool):
    return last * mask.any(1, keepdim=True), None  # (B, D); zeros for an empty review
