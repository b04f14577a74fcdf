"""Greedy and beam-search decoding for any step-wise decoder (Transformer, RNN encoder-decoder, ...).

Beam search as used by Vaswani et al. 2017 (1706.03762, sec. 6.1: beam 4, length penalty alpha 0.6), with
the length penalty of Wu et al. 2016, *Google's NMT System* (arXiv 1609.08144, eq. 14):
``lp(Y) = ((5 + |Y|) / 6) ** alpha``; hypotheses are ranked by ``log P(Y) / lp(Y)``.

The decoder is a function ``step_fn(tokens, state) -> (log_probs, new_state)``: ``tokens`` (N,) are the
last tokens, ``log_probs`` (N, V) the next-token log-probabilities, and ``state`` any nesting of tuples,
lists, dicts and NamedTuples whose tensors have the N rows first (other leaves pass through). Beam search
runs N = B * beam_size rows and reorders the state with :func:`reorder_state`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor

__all__ = ["SearchResult", "beam_search", "greedy_search", "length_penalty", "reorder_state"]

StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]


class SearchResult(NamedTuple):
    """The best hypothesis of each batch row."""

    tokens: Tensor  # (B, T) generated tokens (bos excluded, eos included), then `pad`
    scores: Tensor  # (B,) total log-probability of the tokens up to and including eos
    lengths: Tensor  # (B,) number of generated tokens up to and including eos


def reorder_state(state: Any, index: Tensor) -> Any:
    """Select rows ``index`` of every tensor in a (nested) state; other leaves are returned as they are."""
    if isinstance(state, Tensor):
        return state.index_select(0, index)
    if isinstance(state, tuple) and hasattr(state, "_fields"):  # NamedTuple
        return type(state)(*(reorder_state(s, index) for s in state))
    if isinstance(state, (tuple, list)):
        return type(state)(reorder_state(s, index) for s in state)
    if isinstance(state, dict):
        return {k: reorder_state(v, index) for k, v in state.items()}
    return state


def length_penalty(lengths: Tensor, alpha: float) -> Tensor:
    """GNMT length penalty ``((5 + length) / 6) ** alpha`` (1 when alpha is 0)."""
    return ((5.0 + lengths.to(torch.float64)) / 6.0) ** alpha


def _first_tensor(state: Any) -> Tensor | None:
    if isinstance(state, Tensor):
        return state
    items = state.values() if isinstance(state, dict) else state if isinstance(state, (tuple, list)) else ()
    for s in items:
        t = _first_tensor(s)
        if t is not None:
            return t
    return None


def _setup(initial_state: Any, bos: int | Tensor, max_len: int) -> tuple[int, Tensor]:
    """Batch size and the (B,) start tokens."""
    if not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}")
    ref = _first_tensor(initial_state)
    if isinstance(bos, Tensor):
        if bos.dim() != 1:
            raise ValueError(f"bos must be an int or a (B,) tensor, got shape {tuple(bos.shape)}")
        if ref is not None and ref.shape[0] != bos.shape[0]:
            raise ValueError(f"bos has {bos.shape[0]} rows but the state's tensors have {ref.shape[0]}")
        return bos.shape[0], bos.long()
    if ref is None:
        raise ValueError("cannot tell the batch size: pass bos as a (B,) tensor or a state holding tensors")
    return ref.shape[0], torch.full((ref.shape[0],), int(bos), dtype=torch.long, device=ref.device)


def _check_step(log_probs: Tensor, rows: int) -> None:
    if not isinstance(log_probs, Tensor) or log_probs.dim() != 2 or log_probs.shape[0] != rows:
        got = tuple(log_probs.shape) if isinstance(log_probs, Tensor) else type(log_probs).__name__
        raise ValueError(f"step_fn must return log_probs of shape ({rows}, V), got {got}")


@torch.no_grad()
def greedy_search(
    step_fn: StepFn, initial_state: Any, *, bos: int | Tensor, eos: int, max_len: int, pad: int | None = None
) -> SearchResult:
    """Take the most probable token at every step until ``eos`` (or ``max_len`` tokens).

    Args:
        step_fn: ``step_fn(tokens (B,), state) -> (log_probs (B, V), state)``.
        initial_state: the decoder state for the B rows (e.g. encoder output, RNN hidden state).
        bos: start token (int, or (B,) tensor).
        eos: end token; a row stops after producing it.
        max_len: most tokens to generate.
        pad: token written (and fed back) after eos; defaults to ``eos``.

    Returns: :class:`SearchResult` with tokens (B, T), T <= max_len.
    """
    B, tokens = _setup(initial_state, bos, max_len)
    pad = eos if pad is None else pad
    state, out = initial_state, []
    finished = torch.zeros(B, dtype=torch.bool, device=tokens.device)
    scores = torch.zeros(B, dtype=torch.float64, device=tokens.device)
    lengths = torch.zeros(B, dtype=torch.long, device=tokens.device)
    for _ in range(max_len):
        log_probs, state = step_fn(tokens, state)
        _check_step(log_probs, B)
        best = log_probs.argmax(-1)
        gained = log_probs.gather(1, best[:, None]).squeeze(1).to(torch.float64)
        scores += gained.masked_fill(finished, 0.0)
        lengths += (~finished).long()
        tokens = best.masked_fill(finished, pad)
        finished |= tokens == eos
        out.append(tokens)
        if bool(finished.all()):
            break
    return SearchResult(torch.stack(out, dim=1), scores, lengths)


@torch.no_grad()
def beam_search(
    step_fn: StepFn,
    initial_state: Any,
    *,
    bos: int | Tensor,
    eos: int,
    beam_size: int,
    max_len: int,
    length_penalty: float = 0.0,
    pad: int | None = None,
) -> SearchResult:
    """Keep the ``beam_size`` best hypotheses of each row; return the best finished one.

    Hypotheses that produced ``eos`` stay in the beam with their score frozen and compete with the open
    ones on ``log P / lp`` (GNMT length penalty, ``length_penalty`` = alpha; 0 ranks by log P). The
    search stops when every hypothesis of every row has finished, or after ``max_len`` tokens.

    Args: as :func:`greedy_search`, plus ``beam_size`` (K) and ``length_penalty`` (alpha; the paper 0.6).
        ``initial_state`` holds B rows; ``step_fn`` is called with B * K rows (row b*K + k is beam k of b).

    Returns: :class:`SearchResult` of the best hypothesis per row.
    """
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size must be a positive int, got {beam_size!r}")
    B, start = _setup(initial_state, bos, max_len)
    K, dev = beam_size, start.device
    pad = eos if pad is None else pad
    state = reorder_state(initial_state, torch.arange(B, device=dev).repeat_interleave(K))
    tokens = start.repeat_interleave(K)  # (B*K,)
    scores = torch.zeros(B, K, dtype=torch.float64, device=dev)
    scores[:, 1:] = float("-inf")  # all beams start equal: expand only the first
    finished = torch.zeros(B, K, dtype=torch.bool, device=dev)
    lengths = torch.zeros(B, K, dtype=torch.long, device=dev)
    history = torch.zeros(B, K, 0, dtype=torch.long, device=dev)
    for _ in range(max_len):
        log_probs, state = step_fn(tokens, state)
        _check_step(log_probs, B * K)
        V = log_probs.shape[-1]
        cont = log_probs.view(B, K, V).to(torch.float64)
        # a finished hypothesis has one continuation, `pad`, that costs nothing
        only_pad = finished[..., None] & (torch.arange(V, device=dev) == pad)
        cont = torch.where(finished[..., None], torch.where(only_pad, 0.0, float("-inf")), cont)
        cand = scores[..., None] + cont  # (B, K, V)
        cand_len = lengths + (~finished).long()  # (B, K)
        ranked = cand / _lp(cand_len, length_penalty)[..., None]
        _, idx = ranked.view(B, K * V).topk(K, dim=1)  # (B, K)
        src, tok = idx // V, idx % V
        scores = cand.view(B, K * V).gather(1, idx)
        lengths = cand_len.gather(1, src)
        finished = finished.gather(1, src) | (tok == eos)
        history = torch.cat([history.gather(1, src[..., None].expand_as(history)), tok[..., None]], dim=2)
        state = reorder_state(state, (src + K * torch.arange(B, device=dev)[:, None]).view(-1))
        tokens = tok.view(-1)
        if bool(finished.all()):
            break
    best = (scores / _lp(lengths, length_penalty)).argmax(dim=1)  # (B,)
    rows = torch.arange(B, device=dev)
    return SearchResult(history[rows, best], scores[rows, best], lengths[rows, best])


_lp = length_penalty  # inside beam_search the name `length_penalty` is its argument
