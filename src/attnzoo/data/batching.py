"""Padded, length-bucketed batches of token-id sequences for sequence-to-sequence training.

Sentences of similar length go in the same batch, so little compute is spent on padding. The batches are
made once (deterministic for a seed); a training loop shuffles their order each epoch. Knows nothing of
models: a batch is a :class:`Seq2SeqBatch` of padded tensors.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor
from torch.utils.data import Dataset

__all__ = ["BatchDataset", "Seq2SeqBatch", "bucket_batches", "collate_pairs", "pad_sequences"]


class Seq2SeqBatch(NamedTuple):
    """One batch; ``tgt_in = [BOS] + y`` and ``tgt_out = y + [EOS]`` (teacher forcing).

    Shape: src ``(B, S)``, src_lengths ``(B,)``, tgt_in ``(B, T)``, tgt_out ``(B, T)``, tgt_lengths
    ``(B,)``; padding is ``pad_id`` on the right; ``index`` ``(B,)`` the examples' positions in the input.
    """

    src: Tensor
    src_lengths: Tensor
    tgt_in: Tensor
    tgt_out: Tensor
    tgt_lengths: Tensor
    index: Tensor


def pad_sequences(seqs: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[Tensor, Tensor]:
    """Right-pad id lists into ``(B, max_len)`` long and return it with the lengths ``(B,)``."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), int(lengths.max()) if len(seqs) else 0), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    return out, lengths


def collate_pairs(
    src: Sequence[Sequence[int]],
    tgt: Sequence[Sequence[int]],
    index: Sequence[int] | None = None,
    *,
    pad_id: int = 0,
    bos_id: int = 2,
    eos_id: int = 3,
) -> Seq2SeqBatch:
    """Make one :class:`Seq2SeqBatch` from source and target id lists (without BOS/EOS).

    The source gets an EOS appended (so an empty sentence still has one key to attend to).
    """
    if len(src) != len(tgt):
        raise ValueError(f"src and tgt must have the same number of sentences, got {len(src)} and {len(tgt)}")
    s, s_len = pad_sequences([[*x, eos_id] for x in src], pad_id)
    t_in, t_len = pad_sequences([[bos_id, *y] for y in tgt], pad_id)
    t_out, _ = pad_sequences([[*y, eos_id] for y in tgt], pad_id)
    idx = torch.as_tensor(list(range(len(src))) if index is None else list(index), dtype=torch.long)
    return Seq2SeqBatch(s, s_len, t_in, t_out, t_len, idx)


def bucket_batches(
    src: Sequence[Sequence[int]],
    tgt: Sequence[Sequence[int]],
    *,
    batch_size: int | None = None,
    max_tokens: int | None = None,
    seed: int = 0,
    pad_id: int = 0,
    bos_id: int = 2,
    eos_id: int = 3,
) -> list[Seq2SeqBatch]:
    """Sort by (source, target) length with seeded random tie-breaking, then cut into batches.

    Args:
        src, tgt: id lists of the same number of sentences.
        batch_size: sentences a batch (at most).
        max_tokens: padded tokens a batch, source plus target (at most; a longer single pair is alone).
            Give ``batch_size``, ``max_tokens`` or both.
        seed: the tie-breaking order among sentences of equal lengths.

    Returns:
        The batches in increasing length; every input pair is in exactly one of them.
    """
    if len(src) != len(tgt):
        raise ValueError(f"src and tgt must have the same number of sentences, got {len(src)} and {len(tgt)}")
    if batch_size is None and max_tokens is None:
        raise ValueError("give batch_size, max_tokens or both")
    for name, v in (("batch_size", batch_size), ("max_tokens", max_tokens)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name} must be None or an int >= 1, got {v!r}")
    rng = random.Random(seed)
    tie = [rng.random() for _ in src]
    order = sorted(range(len(src)), key=lambda i: (len(src[i]), len(tgt[i]), tie[i]))
    batches: list[list[int]] = []
    cur: list[int] = []
    max_s = max_t = 0  # longest source / target in the current batch (+1 each for EOS / BOS)
    for i in order:
        s_len, t_len = max(max_s, len(src[i]) + 1), max(max_t, len(tgt[i]) + 1)
        full = batch_size is not None and len(cur) >= batch_size
        too_big = max_tokens is not None and cur and (s_len + t_len) * (len(cur) + 1) > max_tokens
        if full or too_big:
            batches.append(cur)
            cur, s_len, t_len = [], len(src[i]) + 1, len(tgt[i]) + 1
        cur.append(i)
        max_s, max_t = s_len, t_len
    if cur:
        batches.append(cur)
    return [
        collate_pairs(
            [src[i] for i in b], [tgt[i] for i in b], b, pad_id=pad_id, bos_id=bos_id, eos_id=eos_id
        )
        for b in batches
    ]


class BatchDataset(Dataset):
    """A map-style dataset whose items are whole pre-made batches.

    Give it to a loop that draws one item a step (``batch_size=1`` with ``collate_fn=BatchDataset.unwrap``):
    the loop then shuffles the order of the length buckets each epoch.
    """

    def __init__(self, batches: Sequence[Seq2SeqBatch]):
        if not batches:
            raise ValueError("batches is empty")
        self.batches = list(batches)

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> Seq2SeqBatch:
        return self.batches[i]

    @staticmethod
    def unwrap(items: list[Seq2SeqBatch]) -> Seq2SeqBatch:
        """``collate_fn`` for a loader of batch size 1 over this dataset."""
        if len(items) != 1:
            raise ValueError(
                f"BatchDataset items are whole batches: load them one at a time, got {len(items)}"
            )
        return items[0]
