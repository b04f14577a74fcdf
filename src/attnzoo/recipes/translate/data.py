"""The ``translate`` recipe's data: Tatoeba pairs read, split by a hash of the source, BPE-tokenised and
bucketed into batches that every variant shares."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from attnzoo.data.batching import Seq2SeqBatch
from attnzoo.data.seq2seq import bucket_pairs, train_pair_tokenizers
from attnzoo.data.subword import SubwordTokenizer
from attnzoo.data.translation import filter_by_length, group_references, split_pairs, subsample

__all__ = ["TranslationData", "load_pairs", "prepare_data"]

_log = logging.getLogger("attnzoo.recipes.translate")


@dataclass
class TranslationData:
    """Everything the variants share: tokenisers, training batches, valid/test sentences with references."""

    src_tok: SubwordTokenizer
    tgt_tok: SubwordTokenizer
    train_batches: list[Seq2SeqBatch]
    valid_batches: list[Seq2SeqBatch]
    valid_sources: list[str]
    valid_refs: list[list[str]]
    test_sources: list[str]
    test_refs: list[list[str]]
    stats: dict = field(default_factory=dict)


def load_pairs(data: str, source: str) -> list[tuple[str, str]]:
    """Read the Tatoeba TSV (fetching the registered dataset if needed); French first if ``source="fr"``."""
    from attnzoo.data import DATASETS, fetch, get_spec, read_tatoeba

    if data in DATASETS:
        path = fetch(data) / get_spec(data).files[0].target
    else:
        path = Path(data)
        if not path.is_file():
            raise FileNotFoundError(f"data {data!r} is neither a registered dataset nor a file")
    pairs = read_tatoeba(path)
    return [(t, s) for s, t in pairs] if source == "fr" else pairs


def _grouped_subset(pairs, n: int | None, seed: int) -> tuple[list[str], list[list[str]]]:
    sources, refs = group_references(pairs)
    keep = subsample(list(range(len(sources))), n, seed=seed)
    return [sources[i] for i in keep], [refs[i] for i in keep]


def prepare_data(cfg, *, seed: int) -> TranslationData:
    """Read, deduplicate, split (hash of the source), filter, subsample, train BPE on train, batch."""
    pairs = load_pairs(cfg.data, cfg.source)
    if cfg.source_prefixes:
        prefixes = tuple(p.lower() for p in cfg.source_prefixes)
        pairs = [p for p in pairs if p[0].lower().startswith(prefixes)]
    splits = split_pairs(pairs)
    train = subsample(filter_by_length(splits.train, max_len=cfg.max_train_words), cfg.n_train, seed=seed)
    valid = filter_by_length(splits.valid, max_len=cfg.max_train_words)
    src_tok, tgt_tok = train_pair_tokenizers(train, cfg.vocab_size)

    def batches(pairs, shuffle_seed):
        return bucket_pairs(pairs, src_tok, tgt_tok, batch_size=cfg.batch_size, seed=shuffle_seed)

    valid_sources, valid_refs = _grouped_subset(valid, cfg.n_valid_bleu, seed=0)
    test = splits.test
    if cfg.max_test_words is not None:  # the source's length only: every reference of it stays
        test = [p for p in test if len(p[0].split()) <= cfg.max_test_words]
    test_sources, test_refs = _grouped_subset(test, cfg.n_test, seed=0)
    stats = {
        "pairs_train": len(train),
        "pairs_valid": len(valid),
        "pairs_test": len(test),
        "test_sources_decoded": len(test_sources),
        "src_vocab": src_tok.vocab_size,
        "tgt_vocab": tgt_tok.vocab_size,
    }
    _log.info("translate data: %s", stats)
    return TranslationData(
        src_tok,
        tgt_tok,
        batches(train, seed),
        batches(subsample(valid, cfg.n_valid_loss, seed=0), 0),
        valid_sources,
        valid_refs,
        test_sources,
        test_refs,
        stats,
    )
