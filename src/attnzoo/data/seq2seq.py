"""Sentence pairs to training batches: BPE tokenisers trained on the pairs, then length-bucketed batches.

Knows nothing of models: what comes out is :class:`~attnzoo.data.subword.SubwordTokenizer` pairs and lists
of :class:`~attnzoo.data.batching.Seq2SeqBatch` (padded id tensors with BOS/EOS added).
"""

from __future__ import annotations

from collections.abc import Sequence

from attnzoo.data.batching import Seq2SeqBatch, bucket_batches
from attnzoo.data.subword import BOS_ID, EOS_ID, PAD_ID, SubwordTokenizer

__all__ = ["bucket_pairs", "train_pair_tokenizers"]


def train_pair_tokenizers(
    pairs: Sequence[tuple[str, str]], vocab_size: int
) -> tuple[SubwordTokenizer, SubwordTokenizer]:
    """``(source tokeniser, target tokeniser)``: one SentencePiece BPE model per side of ``pairs``.

    Args:
        pairs: ``(source, target)`` sentences; train them on the training split only.
        vocab_size: pieces per language (a soft limit: SentencePiece lowers it on small data).
    """
    if not pairs:
        raise ValueError("pairs must hold at least one (source, target) sentence pair, got none")
    return (
        SubwordTokenizer.train([s for s, _ in pairs], vocab_size),
        SubwordTokenizer.train([t for _, t in pairs], vocab_size),
    )


def bucket_pairs(
    pairs: Sequence[tuple[str, str]],
    src_tok: SubwordTokenizer,
    tgt_tok: SubwordTokenizer,
    *,
    batch_size: int | None = None,
    max_tokens: int | None = None,
    seed: int = 0,
) -> list[Seq2SeqBatch]:
    """Encode each pair with its side's tokeniser and cut them into length-bucketed batches.

    Args:
        pairs: ``(source, target)`` sentences.
        src_tok, tgt_tok: the tokenisers of each side (e.g. from :func:`train_pair_tokenizers`).
        batch_size, max_tokens, seed: as :func:`~attnzoo.data.batching.bucket_batches` (give one or both
            limits; ``seed`` breaks ties among pairs of equal lengths).

    Returns:
        The batches, shortest first; padding ``PAD_ID``, ``BOS_ID``/``EOS_ID`` of :mod:`attnzoo.data.subword`.

    Shape:
        each batch's ``src (B, S)``, ``tgt_in``/``tgt_out (B, T)``; ``index (B,)`` positions in ``pairs``.
    """
    src = [src_tok.encode(a) for a, _ in pairs]
    tgt = [tgt_tok.encode(b) for _, b in pairs]
    return bucket_batches(
        src,
        tgt,
        batch_size=batch_size,
        max_tokens=max_tokens,
        seed=seed,
        pad_id=PAD_ID,
        bos_id=BOS_ID,
        eos_id=EOS_ID,
    )
