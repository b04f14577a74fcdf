"""Set-up glue of the ``translate`` recipe: the variants, the prepared data, saving and loading a trained
variant (``model.json`` + safetensors weights + SentencePiece models, no pickle), one-sentence translation."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from attnzoo.data.batching import Seq2SeqBatch, bucket_batches
from attnzoo.data.subword import SubwordTokenizer
from attnzoo.data.translation import filter_by_length, group_references, split_pairs, subsample
from attnzoo.models.bahdanau import Bahdanau, BahdanauConfig
from attnzoo.models.encdec import EncoderDecoder
from attnzoo.models.luong import Luong, LuongConfig
from attnzoo.models.seq2seq import Seq2Seq, Seq2SeqConfig
from attnzoo.recipes._translate_eval import Alignment, align, translate_batch

_log = logging.getLogger("attnzoo.recipes.translate")

VARIANTS: dict[str, Callable[[Any, int, int], EncoderDecoder]] = {}
MODEL_TYPES: dict[str, tuple[type, type]] = {
    "Seq2Seq": (Seq2Seq, Seq2SeqConfig),
    "Bahdanau": (Bahdanau, BahdanauConfig),
    "Luong": (Luong, LuongConfig),
}
DEFAULT_CHECKPOINT = Path("runs/translate/bahdanau")


def register_variant(name: str):
    """Decorator: ``builder(cfg, src_vocab, tgt_vocab) -> model`` under ``name``."""

    def wrap(fn):
        if name in VARIANTS:
            raise ValueError(f"a variant named {name!r} is already registered")
        VARIANTS[name] = fn
        return fn

    return wrap


@register_variant("seq2seq")
def _seq2seq(cfg, sv: int, tv: int) -> EncoderDecoder:
    h = cfg.hidden_dim
    c = Seq2SeqConfig(
        sv, tv, emb_dim=cfg.emb_dim, hidden_dim=h, context_dim=2 * h, maxout_dim=h, dropout=cfg.dropout
    )
    return Seq2Seq(c)


@register_variant("bahdanau")
def _bahdanau(cfg, sv: int, tv: int) -> EncoderDecoder:
    h = cfg.hidden_dim
    return Bahdanau(
        BahdanauConfig(
            sv, tv, emb_dim=cfg.emb_dim, hidden_dim=h, align_dim=h, maxout_dim=h, dropout=cfg.dropout
        )
    )


def _luong(score: str):
    def build(cfg, sv: int, tv: int) -> EncoderDecoder:
        return Luong(
            LuongConfig(
                sv, tv, score=score, emb_dim=cfg.emb_dim, hidden_dim=cfg.hidden_dim, dropout=cfg.dropout
            )
        )

    return build


for _s in ("dot", "general", "concat"):
    register_variant(f"luong-{_s}")(_luong(_s))


@register_variant("transformer")
def _transformer(cfg, sv: int, tv: int) -> EncoderDecoder:
    from attnzoo.models.transformer import TransformerSeq2Seq, TransformerSeq2SeqConfig

    c = TransformerSeq2SeqConfig(
        sv,
        tv,
        emb_dim=cfg.emb_dim,
        num_heads=cfg.tf_heads,
        num_layers=cfg.tf_layers,
        hidden_dim=cfg.tf_ff,
        dropout=cfg.tf_dropout,
    )
    return TransformerSeq2Seq(c)


def _model_type(name: str) -> tuple[type, type] | None:
    if name == "TransformerSeq2Seq":  # imported on demand: it needs attnzoo.nn.Transformer
        from attnzoo.models.transformer import TransformerSeq2Seq, TransformerSeq2SeqConfig

        return TransformerSeq2Seq, TransformerSeq2SeqConfig
    return MODEL_TYPES.get(name)


def build_model(name: str, cfg, src_vocab: int, tgt_vocab: int) -> EncoderDecoder:
    """A fresh model of variant ``name``; a ValueError lists the valid names."""
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; valid: {', '.join(VARIANTS)}")
    return VARIANTS[name](cfg, src_vocab, tgt_vocab)


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
    splits = split_pairs(load_pairs(cfg.data, cfg.source))
    train = subsample(filter_by_length(splits.train, max_len=cfg.max_train_words), cfg.n_train, seed=seed)
    valid = filter_by_length(splits.valid, max_len=cfg.max_train_words)
    src_tok = SubwordTokenizer.train([s for s, _ in train], cfg.vocab_size)
    tgt_tok = SubwordTokenizer.train([t for _, t in train], cfg.vocab_size)

    def batches(pairs, shuffle_seed):
        s = [src_tok.encode(a) for a, _ in pairs]
        t = [tgt_tok.encode(b) for _, b in pairs]
        return bucket_batches(s, t, batch_size=cfg.batch_size, seed=shuffle_seed)

    valid_sources, valid_refs = _grouped_subset(valid, cfg.n_valid_bleu, seed=0)
    test_sources, test_refs = _grouped_subset(splits.test, cfg.n_test, seed=0)
    stats = {
        "pairs_train": len(train),
        "pairs_valid": len(valid),
        "pairs_test": len(splits.test),
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


def save_model(model: EncoderDecoder, variant: str, data: TranslationData, out: Path) -> None:
    """Write ``model.json`` (variant, class, config) and the two tokenisers next to the checkpoints."""
    data.src_tok.save(out / "src.model")
    data.tgt_tok.save(out / "tgt.model")
    meta = {"variant": variant, "class": type(model).__name__, "config": asdict(model.config)}
    (out / "model.json").write_text(json.dumps(meta, indent=2))


def load_model(checkpoint: str | Path) -> tuple[EncoderDecoder, SubwordTokenizer, SubwordTokenizer, dict]:
    """Rebuild a trained variant from its folder (or a ``.safetensors`` file in it)."""
    from attnzoo.train import BEST, load_weights

    path = Path(checkpoint)
    folder, weights = (path.parent, path) if path.suffix == ".safetensors" else (path, path / BEST)
    meta_path = folder / "model.json"
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"no model.json in {folder}: pass a variant folder written by `attnzoo run translate` "
            "(e.g. runs/translate/bahdanau), or train one first"
        )
    meta = json.loads(meta_path.read_text())
    if meta.get("class") not in MODEL_TYPES:
        raise ValueError(
            f"{meta_path}: unknown model class {meta.get('class')!r}; known: {list(MODEL_TYPES)}"
        )
    model_cls, config_cls = MODEL_TYPES[meta["class"]]
    config = config_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta["config"].items()})
    model = load_weights(model_cls(config), weights).eval()
    return (
        model,
        SubwordTokenizer.load(folder / "src.model"),
        SubwordTokenizer.load(folder / "tgt.model"),
        meta,
    )


@dataclass
class Translation:
    """A translated sentence and, for models with attention, where each target word looked."""

    source: str
    translation: str
    alignment: Alignment | None

    def format(self, top: int = 3) -> str:
        """The translation, then one line per target word with its ``top`` source words and weights."""
        lines = [self.translation]
        if self.alignment is None:
            return "\n".join([*lines, "(this model has no attention: one fixed context vector)"])
        a = self.alignment
        width = max(len(w) for w in a.target_words)
        for word, row in zip(a.target_words, a.weights, strict=True):
            best = np.argsort(-row)[:top]
            spread = ", ".join(f"{a.source_words[j]} {row[j]:.2f}" for j in best)
            lines.append(f"  {word:<{width}}  <- {spread}")
        return "\n".join(lines)


def translate_one(text: str, checkpoint: str | Path | None, plot: str | Path | None) -> Translation:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty sentence, got {text!r}")
    model, src_tok, tgt_tok, meta = load_model(DEFAULT_CHECKPOINT if checkpoint is None else checkpoint)
    (ids,) = translate_batch(model, [text], src_tok, tgt_tok, beam_size=5, length_penalty=0.6)
    alignment = align(model, text, ids, src_tok, tgt_tok)
    if plot is not None and alignment is None:
        _log.warning("%s has no attention (one fixed context vector): no plot written", meta["variant"])
    if plot is not None and alignment is not None:
        from attnzoo import viz

        viz.attention_heatmap(
            alignment.weights,
            row_labels=alignment.target_words,
            col_labels=alignment.source_words,
            title=f"{meta['variant']}: attention over source words",
            xlabel="source",
            ylabel="target",
            annotate=True,
            path=plot,
        )
    return Translation(text, tgt_tok.decode(ids), alignment)
