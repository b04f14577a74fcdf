"""The contract every attnzoo translation model keeps, so training, decoding and pictures treat them alike.

A model encodes a padded source once, then scores one target step at a time from a *state*: a dict of
batch-first tensors, so beam search can reorder it with ``index_select`` on dim 0 and nothing is kept on
``self``. Teacher-forced ``forward`` returns logits and, when asked, the attention of every target step.

Shape legend: B batch, S source length, T target length, V target vocabulary, N rows being decoded
(B, or B * beam).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from attnzoo.functional import lengths_to_mask
from attnzoo.nn.decoding import SearchResult, beam_search, greedy_search

__all__ = ["EncoderDecoder", "Seq2SeqOutput", "StepOutput", "generate", "source_mask"]

State = dict[str, Any]  # batch-first tensors (or nestings of them, e.g. a key/value cache)


class Seq2SeqOutput(NamedTuple):
    """Teacher-forced output: ``logits (B, T, V)``; ``attention (B, T, S)`` when asked (None when not
    asked, or for a model without attention).

    ``attention[b, i]`` is the distribution over source positions used while predicting target token
    ``i``; it sums to 1 over the ``src_lengths[b]`` real positions and is exactly 0 on padding.
    """

    logits: Tensor
    attention: Tensor | None


class StepOutput(NamedTuple):
    """One decoding step: ``logits (N, V)``, the next ``state``, ``attention (N, S)`` or None."""

    logits: Tensor
    state: State
    attention: Tensor | None


def source_mask(src_lengths: Tensor, S: int) -> Tensor:
    """``(B, S)`` bool, True on real source positions (the core's convention: True = may attend)."""
    return lengths_to_mask(src_lengths.to("cpu"), S).to(src_lengths.device)


def _check_inputs(src: Tensor, src_lengths: Tensor) -> None:
    if not isinstance(src, Tensor) or src.ndim != 2 or src.dtype != torch.long:
        raise ValueError(f"src must be a (B, S) long tensor, got {getattr(src, 'shape', type(src))}")
    if not isinstance(src_lengths, Tensor) or src_lengths.shape != src.shape[:1]:
        raise ValueError(
            f"src_lengths must be a (B,) tensor with B={src.shape[0]}, got "
            f"{tuple(src_lengths.shape) if isinstance(src_lengths, Tensor) else type(src_lengths)}"
        )
    if torch.compiler.is_compiling():  # the value check reads the tensor: torch.compile skips it
        return
    if src_lengths.numel() and (int(src_lengths.min()) < 1 or int(src_lengths.max()) > src.shape[1]):
        raise ValueError(f"src_lengths must be in [1, S={src.shape[1]}], got {src_lengths.tolist()}")


class EncoderDecoder(nn.Module, metaclass=ABCMeta):
    """Base of the translation models: ``encode`` once, ``step`` per target token.

    Subclasses implement :meth:`encode` and :meth:`step`; the default :meth:`forward` runs ``step`` over the
    target (teacher forcing), which is what recurrent decoders do anyway and guarantees that training and
    decoding compute the same function. Models that can run the target in parallel override ``forward``.
    """

    pad_id: int = 0

    @abstractmethod
    def encode(self, src: Tensor, src_lengths: Tensor) -> State:
        """Encode ``src (B, S)`` with ``src_lengths (B,)``; returns the initial decoding state."""

    @abstractmethod
    def step(self, tokens: Tensor, state: State) -> StepOutput:
        """Feed the previous target tokens ``(N,)``; return next-token logits, new state, attention."""

    def forward(
        self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor, *, return_attention: bool = False
    ) -> Seq2SeqOutput:
        """Teacher-forced logits for ``tgt_in (B, T)`` (``[BOS] + y``).

        Returns:
            :class:`Seq2SeqOutput` with ``logits (B, T, V)`` and ``attention (B, T, S)`` if asked.
        """
        _check_inputs(src, src_lengths)
        state = self.encode(src, src_lengths)
        logits, attn = [], []
        for t in range(tgt_in.shape[1]):
            out = self.step(tgt_in[:, t], state)
            state = out.state
            logits.append(out.logits)
            if return_attention and out.attention is not None:
                attn.append(out.attention)
        return Seq2SeqOutput(torch.stack(logits, 1), torch.stack(attn, 1) if attn else None)


@torch.no_grad()
def generate(
    model: EncoderDecoder,
    src: Tensor,
    src_lengths: Tensor,
    *,
    bos: int,
    eos: int,
    max_len: int,
    beam_size: int | None = None,
    length_penalty: float = 0.0,
) -> SearchResult:
    """Translate a batch: greedy search (``beam_size=None``) or beam search (any ``beam_size >= 1``).

    Runs :func:`attnzoo.nn.greedy_search` / :func:`attnzoo.nn.beam_search` over the model's ``step``; the
    model's state is reordered by the search, so nothing is stored on the model. Padding and ``bos`` are
    never produced. Call ``model.eval()`` first.

    Returns:
        :class:`attnzoo.nn.SearchResult`: tokens ``(B, T)`` ending in ``eos`` then padding with ``eos``,
        scores ``(B,)``, lengths ``(B,)`` (counting the ``eos``).
    """
    _check_inputs(src, src_lengths)
    state = model.encode(src, src_lengths)

    never = [model.pad_id, bos]  # tokens a translation cannot contain

    def step_fn(tokens: Tensor, st: State) -> tuple[Tensor, State]:
        out = model.step(tokens, st)
        logits = out.logits.float().index_fill(-1, torch.tensor(never, device=tokens.device), float("-inf"))
        return torch.log_softmax(logits, -1), out.state

    if beam_size is None:
        return greedy_search(step_fn, state, bos=bos, eos=eos, max_len=max_len)
    return beam_search(
        step_fn, state, bos=bos, eos=eos, beam_size=beam_size, max_len=max_len, length_penalty=length_penalty
    )
