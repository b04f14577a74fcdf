"""The ``translate`` recipe's variants (a registry of builders), and saving and loading a trained one
(``model.json`` + safetensors weights + SentencePiece models, no pickle)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from attnzoo.data.subword import SubwordTokenizer
from attnzoo.models.bahdanau import Bahdanau, BahdanauConfig
from attnzoo.models.encdec import EncoderDecoder
from attnzoo.models.luong import Luong, LuongConfig
from attnzoo.models.seq2seq import Seq2Seq, Seq2SeqConfig
from attnzoo.recipes.translate.data import TranslationData

__all__ = ["DEFAULT_CHECKPOINT", "VARIANTS", "build_model", "load_model", "register_variant", "save_model"]

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
    types = _model_type(meta.get("class"))
    if types is None:
        known = [*MODEL_TYPES, "TransformerSeq2Seq"]
        raise ValueError(f"{meta_path}: unknown model class {meta.get('class')!r}; known: {known}")
    model_cls, config_cls = types
    config = config_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta["config"].items()})
    model = load_weights(model_cls(config), weights).eval()
    return (
        model,
        SubwordTokenizer.load(folder / "src.model"),
        SubwordTokenizer.load(folder / "tgt.model"),
        meta,
    )
