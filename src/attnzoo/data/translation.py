"""Sentence pairs for translation: clean-up, deterministic splits, subsets and length filters.

Works on ``[(source, target), ...]`` as :func:`attnzoo.data.read_tatoeba` returns them; knows nothing of
models. Tokenisation lives in :mod:`attnzoo.data.subword`, batching in :mod:`attnzoo.data.batching`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from typing import NamedTuple

__all__ = [
    "Pair",
    "TranslationSplits",
    "dedupe_pairs",
    "filter_by_length",
    "group_references",
    "source_key",
    "split_pairs",
    "subsample",
]

Pair = tuple[str, str]


class TranslationSplits(NamedTuple):
    """Train / valid / test pairs; no source sentence (see :func:`source_key`) is in two of them."""

    train: list[Pair]
    valid: list[Pair]
    test: list[Pair]


def _norm_space(text: str) -> str:
    return " ".join(text.split())


def source_key(source: str) -> str:
    """The identity of a source sentence for splitting: case-folded, whitespace collapsed.

    "Go." and "go." are one sentence, so they always land in the same split.
    """
    return _norm_space(source).casefold()


def dedupe_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    """Drop exact repeats of a pair (after collapsing whitespace), keeping first occurrences in order.

    Args:
        pairs: ``(source, target)`` strings.

    Returns:
        The pairs with whitespace collapsed and each distinct pair once.
    """
    seen: set[Pair] = set()
    out: list[Pair] = []
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, tuple | list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)):
            raise TypeError(f"pairs[{i}] must be a (source, target) pair of str, got {pair!r}")
        p = (_norm_space(pair[0]), _norm_space(pair[1]))
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _bucket(key: str, salt: str) -> float:
    """A uniform number in [0, 1) fixed by ``key`` (and ``salt``): the same on every machine and run."""
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_pairs(
    pairs: Iterable[Pair], *, valid_frac: float = 0.05, test_frac: float = 0.05, salt: str = ""
) -> TranslationSplits:
    """Deduplicate, then split by source sentence with a hash, so a source is never in two splits.

    Every pair whose :func:`source_key` hashes below ``valid_frac`` goes to valid, below
    ``valid_frac + test_frac`` to test, else to train. The assignment of a sentence depends only on the
    sentence and ``salt``: not on the order of the file, on other sentences, or on a subset taken first.
    All translations of one source stay together (the test set keeps them all as references).

    Args:
        pairs: ``(source, target)`` strings.
        valid_frac: expected fraction of source sentences in valid.
        test_frac: expected fraction of source sentences in test.
        salt: changes the split (a different, equally deterministic draw).

    Returns:
        :class:`TranslationSplits` ``(train, valid, test)``, each in the input order.
    """
    for name, v in (("valid_frac", valid_frac), ("test_frac", test_frac)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < 1:
            raise ValueError(f"{name} must be a number in [0, 1), got {v!r}")
    if valid_frac + test_frac >= 1:
        raise ValueError(f"valid_frac + test_frac must be < 1, got {valid_frac} + {test_frac}")
    out: TranslationSplits = TranslationSplits([], [], [])
    for pair in dedupe_pairs(pairs):
        u = _bucket(source_key(pair[0]), salt)
        split = out.valid if u < valid_frac else out.test if u < valid_frac + test_frac else out.train
        split.append(pair)
    return out


def _n_words(text: str) -> int:
    return len(text.split())


def filter_by_length(
    pairs: Iterable[Pair],
    *,
    min_len: int = 1,
    max_len: int | None = None,
    max_ratio: float | None = None,
) -> list[Pair]:
    """Keep pairs whose source and target both have ``min_len..max_len`` whitespace-separated words.

    Args:
        pairs: ``(source, target)`` strings.
        min_len: fewest words on each side.
        max_len: most words on each side (None: no limit).
        max_ratio: drop pairs whose longer side has more than ``max_ratio`` times the words of the shorter
            (None: no limit); catches misaligned pairs.

    Returns:
        The kept pairs, in order.
    """
    if isinstance(min_len, bool) or not isinstance(min_len, int) or min_len < 0:
        raise ValueError(f"min_len must be an int >= 0, got {min_len!r}")
    if max_len is not None and (
        isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < min_len
    ):
        raise ValueError(f"max_len must be None or an int >= min_len ({min_len}), got {max_len!r}")
    if max_ratio is not None and not (isinstance(max_ratio, int | float) and max_ratio >= 1):
        raise ValueError(f"max_ratio must be None or a number >= 1, got {max_ratio!r}")
    kept = []
    for src, tgt in pairs:
        ns, nt = _n_words(src), _n_words(tgt)
        if min(ns, nt) < min_len or (max_len is not None and max(ns, nt) > max_len):
            continue
        if max_ratio is not None and max(ns, nt) > max_ratio * max(1, min(ns, nt)):
            continue
        kept.append((src, tgt))
    return kept


def subsample(pairs: Sequence[Pair], n: int | None, *, seed: int = 0) -> list[Pair]:
    """``n`` pairs drawn without replacement by a seeded generator, in their original order.

    The Tatoeba file is sorted by length, so its first ``n`` lines would be the shortest sentences only; a
    random subset keeps the length distribution. ``n=None`` or ``n >= len(pairs)`` returns every pair.
    """
    if n is None or n >= len(pairs):
        return list(pairs)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be None or an int >= 0, got {n!r}")
    idx = sorted(random.Random(seed).sample(range(len(pairs)), n))
    return [pairs[i] for i in idx]


def group_references(pairs: Iterable[Pair]) -> tuple[list[str], list[list[str]]]:
    """Group pairs by source sentence: the distinct sources (first-seen order) and all their targets.

    Returns:
        ``(sources, references)`` with ``references[i]`` the list of targets of ``sources[i]``.
    """
    refs: dict[str, list[str]] = {}
    for src, tgt in pairs:
        refs.setdefault(src, []).append(tgt)
    return list(refs), list(refs.values())
