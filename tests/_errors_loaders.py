"""Rows of docs/errors.md for the model loaders: `explain` bundles, `translate` folders, `build_checked`."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from safetensors.torch import load_file, save_file

from attnzoo.data.seq2seq import train_pair_tokenizers
from attnzoo.data.text import Vocab
from attnzoo.models.text_classifier import TextClassifier, TextClassifierConfig
from attnzoo.recipes.sentiment.bundle import load_bundle, save_bundle
from attnzoo.recipes.translate import TranslateConfig
from attnzoo.recipes.translate.data import TranslationData
from attnzoo.recipes.translate.models import build_model, load_model, save_model
from attnzoo.train import BEST, save_checkpoint
from attnzoo.train.schema import build_checked, read_metadata
from tests._errors import Case

SECTION = "Model loaders: `explain` bundles, `translate` folders, `attnzoo.train.schema`"
INTRO = (
    "A loader checks the file's metadata (keys, types, ranges) and the weights' shapes against the config "
    "before building the model (built first on the `meta` device): anything malformed is a `ValueError` "
    "naming the file and the field, never a raw SafetensorError/KeyError/TypeError or a huge allocation."
)

_PAIRS = [(f"tom sees {w} now", f"tom voit {w} maintenant") for w in "abcdefghijkl"]


def _bundle(tmp: Path) -> Path:
    vocab = Vocab.build([["good", "film"], ["bad", "plot"]], max_size=10)
    cfg = TextClassifierConfig(vocab_size=len(vocab), embed_dim=4, hidden_size=4, attention_dim=2)
    path = tmp / "model.safetensors"
    save_bundle(path, TextClassifier(cfg), vocab, ["neg", "pos"], 20, {"seed": 0})
    return path


def _bundle_with(tmp: Path, **changes) -> Path:
    """A valid bundle whose metadata entries are replaced (None: removed; dict: merged into 'config')."""
    path = _bundle(tmp)
    meta = read_metadata(path, {})
    for key, value in changes.items():
        if value is None:
            meta.pop(key)
        elif isinstance(value, dict):
            meta[key] = json.dumps({**json.loads(meta[key]), **value})
        else:
            meta[key] = value
    save_file(load_file(path), str(path), metadata=meta)
    return path


def lie_in_header(path: Path) -> None:
    """Rewrite a safetensors file so its header claims a megabyte more than the file holds."""
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    name = next(k for k in header if k != "__metadata__")
    header[name]["data_offsets"][1] += 10**6  # claims a megabyte the file does not hold
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + raw[8 + n :])


def _lying_header(tmp: Path) -> Path:
    path = _bundle(tmp)
    lie_in_header(path)
    return path


def _translation(tmp: Path) -> Path:
    src, tgt = train_pair_tokenizers(_PAIRS, vocab_size=30)
    cfg = TranslateConfig(emb_dim=8, hidden_dim=8)
    model = build_model("seq2seq", cfg, src.vocab_size, tgt.vocab_size)
    folder = tmp / "seq2seq"
    save_checkpoint(folder / BEST, model)
    save_model(model, "seq2seq", TranslationData(src, tgt, [], [], [], [], [], []), folder)
    return folder


def _translation_with(tmp: Path, edit) -> Path:
    folder = _translation(tmp)
    meta = json.loads((folder / "model.json").read_text())
    result = edit(meta)
    (folder / "model.json").write_text(result if isinstance(result, str) else json.dumps(meta))
    return folder


def _huge_vocab(tmp: Path) -> None:
    cfg = TextClassifierConfig(vocab_size=10**10, embed_dim=4, hidden_size=4, attention_dim=2)
    build_checked(TextClassifier, cfg, _bundle(tmp))  # 10^10 x 4 floats would be 160 GB


CASES = [
    Case(
        "load_bundle",
        "a truncated file",
        lambda t: load_bundle(_trunc(_bundle(t))),
        ValueError,
        "not a readable safetensors file",
    ),
    Case(
        "load_bundle",
        "a header that claims more bytes than the file has",
        lambda t: load_bundle(_lying_header(t)),
        ValueError,
        "not a readable safetensors file",
    ),
    Case(
        "load_bundle",
        "a trainer checkpoint, not a bundle",
        lambda t: load_bundle(_checkpoint(t)),
        ValueError,
        "is not a sentiment model bundle",
    ),
    Case(
        "load_bundle",
        "metadata without `config`",
        lambda t: load_bundle(_bundle_with(t, config=None)),
        ValueError,
        "metadata lacks 'config'",
    ),
    Case(
        "load_bundle",
        "`config` not JSON",
        lambda t: load_bundle(_bundle_with(t, config="{oops")),
        ValueError,
        "metadata 'config' is not valid JSON",
    ),
    Case(
        "load_bundle",
        "config `vocab_size` a string",
        lambda t: load_bundle(_bundle_with(t, config={"vocab_size": "ten"})),
        ValueError,
        "field vocab_size must be int, got str",
    ),
    Case(
        "load_bundle",
        "config `vocab_size` 1e10 (a float)",
        lambda t: load_bundle(_bundle_with(t, config={"vocab_size": 1e10})),
        ValueError,
        "field vocab_size must be int, got float",
    ),
    Case(
        "load_bundle",
        "config `vocab_size` 10^10, weights for 6 words",
        lambda t: load_bundle(_bundle_with(t, config={"vocab_size": 10**10})),
        ValueError,
        "the config's vocab_size is 10000000000",
    ),
    Case(
        "load_bundle",
        "config `hidden_size` not that of the weights",
        lambda t: load_bundle(_bundle_with(t, config={"hidden_size": 5})),
        ValueError,
        "the weights do not fit the saved TextClassifier config",
    ),
    Case(
        "load_bundle",
        "an unknown config field",
        lambda t: load_bundle(_bundle_with(t, config={"depth": 3})),
        ValueError,
        "unknown field(s) depth for TextClassifierConfig",
    ),
    Case(
        "load_bundle",
        "`max_len=-3`",
        lambda t: load_bundle(_bundle_with(t, max_len="-3")),
        ValueError,
        "metadata 'max_len' must be >= 1, got -3",
    ),
    Case(
        "load_bundle",
        "three labels for two classes",
        lambda t: load_bundle(_bundle_with(t, labels='["a", "b", "c"]')),
        ValueError,
        "metadata 'labels' must be 2 names",
    ),
    Case(
        "load_bundle",
        "`vocab` not a vocabulary",
        lambda t: load_bundle(_bundle_with(t, vocab='{"x": 1}')),
        ValueError,
        "metadata 'vocab' is not a vocabulary",
    ),
    Case(
        "build_checked",
        "a config of 10^10 words against small weights",
        _huge_vocab,
        ValueError,
        "embedding.weight is [6, 4], the config makes [10000000000, 4]",
    ),
    Case(
        "load_model (translate)",
        "`model.json` not JSON",
        lambda t: load_model(_translation_with(t, lambda m: "{oops")),
        ValueError,
        "model.json: not valid JSON",
    ),
    Case(
        "load_model (translate)",
        "`model.json` without `config`",
        lambda t: load_model(_translation_with(t, lambda m: m.pop("config"))),
        ValueError,
        "'config' must be a dict, got nothing",
    ),
    Case(
        "load_model (translate)",
        "config without `src_vocab`",
        lambda t: load_model(_translation_with(t, lambda m: m["config"].pop("src_vocab"))),
        ValueError,
        "missing field(s) src_vocab of Seq2SeqConfig",
    ),
    Case(
        "load_model (translate)",
        "config `hidden_dim` a list",
        lambda t: load_model(_translation_with(t, lambda m: m["config"].update(hidden_dim=[8]))),
        ValueError,
        "field hidden_dim must be int, got tuple",
    ),
    Case(
        "load_model (translate)",
        "config `hidden_dim` 10^6 against 8-unit weights",
        lambda t: load_model(_translation_with(t, lambda m: m["config"].update(hidden_dim=10**6))),
        ValueError,
        "the weights do not fit the saved Seq2Seq config",
    ),
    Case(
        "load_model (translate)",
        "a damaged tokeniser",
        lambda t: load_model(_damaged_tokenizer(_translation(t))),
        ValueError,
        "not a SentencePiece model",
    ),
    Case(
        "load_model (translate)",
        "a truncated weights file",
        lambda t: load_model(_trunc(_translation(t) / BEST).parent),
        ValueError,
        "not a readable safetensors file",
    ),
]


def _checkpoint(tmp: Path) -> Path:
    cfg = TextClassifierConfig(vocab_size=6, embed_dim=4, hidden_size=4, attention_dim=2)
    save_checkpoint(tmp / BEST, TextClassifier(cfg))
    return tmp / BEST


def _trunc(path: Path) -> Path:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


def _damaged_tokenizer(folder: Path) -> Path:
    (folder / "src.model").write_bytes(b"\x00garbage" * 10)
    return folder
