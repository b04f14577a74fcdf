"""Rows of docs/errors.md for the image recipes' loaders: `caption` and `read` (ocr) folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from attnzoo.cli import main
from attnzoo.data.text_images import CharVocab
from attnzoo.models.attention_ocr import AttentionOCR, AttentionOCRConfig
from attnzoo.models.show_attend_tell import ShowAttendTell, ShowAttendTellConfig
from attnzoo.recipes.caption import CaptionConfig
from attnzoo.recipes.caption.train import default_vocab, load_captioner, save_captioner
from attnzoo.recipes.ocr.train import MODEL_FILE, load_reader
from attnzoo.train import BEST, save_checkpoint
from tests._errors import Case, CliExit, cli
from tests._errors_loaders import lie_in_header

SECTION = "Model loaders: `caption` and `read` (ocr) folders"
INTRO = (
    "`load_captioner` (`attnzoo caption --checkpoint`) and `load_reader` (`attnzoo read --checkpoint`) check "
    "the JSON beside the weights (keys, types, ranges, the model config against its dataclass, the "
    "vocabulary against the config) and the weights' shapes against the config before building anything, "
    "as the loaders above: a `ValueError` naming the file and the field; on the command line, exit 2 and "
    "that line."
)


def _captioner(tmp: Path) -> Path:
    vocab = default_vocab()
    cfg = ShowAttendTellConfig(vocab_size=len(vocab), enc_channels=(2,), feat_dim=4, emb_dim=4, hidden_dim=4,
                               att_dim=4)  # fmt: skip
    folder = tmp / "soft"
    save_captioner(ShowAttendTell(cfg), vocab, CaptionConfig(), folder)
    return folder


def _captioner_with(tmp: Path, edit) -> Path:
    folder = _captioner(tmp)
    meta = json.loads((folder / "captioner.json").read_text())
    edit(meta)
    (folder / "captioner.json").write_text(json.dumps(meta))
    return folder


def _captioner_text(tmp: Path, text: str) -> Path:
    folder = _captioner(tmp)
    (folder / "captioner.json").write_text(text)
    return folder


def _reader(tmp: Path) -> Path:
    vocab = CharVocab("abc")
    cfg = AttentionOCRConfig(vocab_size=len(vocab), channels=2, iterations=1, dim=4, hidden_dim=4, emb_dim=2,
                             align_dim=4)  # fmt: skip
    folder = tmp / "recursive"
    folder.mkdir(parents=True)
    save_checkpoint(folder / BEST, AttentionOCR(cfg))
    meta = {"kind": "recursive", "config": cfg.__dict__, "chars": "abc"}
    (folder / MODEL_FILE).write_text(json.dumps(meta))
    return folder


def _reader_with(tmp: Path, edit) -> Path:
    folder = _reader(tmp)
    meta = json.loads((folder / MODEL_FILE).read_text())
    edit(meta)
    (folder / MODEL_FILE).write_text(json.dumps(meta))
    return folder


def _reader_text(tmp: Path, text: str) -> Path:
    folder = _reader(tmp)
    (folder / MODEL_FILE).write_text(text)
    return folder


def _trunc(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _image(tmp: Path) -> Path:
    path = tmp / "x.png"
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(path)
    return path


def _set(meta: dict, section: str | None, **values) -> None:
    (meta if section is None else meta[section]).update(values)


def _caption_broken_header(t: Path) -> None:
    folder = _captioner(t)
    lie_in_header(folder / "model.safetensors")
    load_captioner(folder)


def _reader_truncated(t: Path) -> None:
    folder = _reader(t)
    _trunc(folder / BEST)
    load_reader(folder)


def _cli_caption(t: Path) -> None:
    folder = _captioner_with(t, lambda m: m.pop("model"))
    cli(main, ["caption", str(_image(t)), "--checkpoint", str(folder)])


def _cli_read(t: Path) -> None:
    folder = _reader_with(t, lambda m: _set(m, "config", dim=10**6))
    cli(main, ["read", str(_image(t)), "--checkpoint", str(folder)])


CASES = [
    Case("load_captioner", "`captioner.json` not JSON", lambda t: load_captioner(_captioner_text(t, "{oops")),
         ValueError, "captioner.json: not valid JSON"),
    Case("load_captioner", "`captioner.json` a list", lambda t: load_captioner(_captioner_text(t, "[1]")),
         ValueError, "expected a JSON object, got list"),
    Case("load_captioner", "without `vocab`",
         lambda t: load_captioner(_captioner_with(t, lambda m: m.pop("vocab"))), ValueError, "lacks 'vocab'"),
    Case("load_captioner", "`canvas` a string",
         lambda t: load_captioner(_captioner_with(t, lambda m: _set(m, None, canvas="64"))),
         ValueError, "'canvas' must be int, got str"),
    Case("load_captioner", "`canvas` 10^6 (10^12 pixels)",
         lambda t: load_captioner(_captioner_with(t, lambda m: _set(m, None, canvas=10**6))),
         ValueError, "'canvas' must be in [1, 4096], got 1000000"),
    Case("load_captioner", "`vocab` with a number in it",
         lambda t: load_captioner(_captioner_with(t, lambda m: m["vocab"].append(3))),
         ValueError, "'vocab' must be a list of strings"),
    Case("load_captioner", "a word fewer than the model's vocab_size",
         lambda t: load_captioner(_captioner_with(t, lambda m: m["vocab"].pop())),
         ValueError, "but the model's vocab_size is"),
    Case("load_captioner", "an unknown model field",
         lambda t: load_captioner(_captioner_with(t, lambda m: _set(m, "model", depth=3))),
         ValueError, "unknown field(s) depth for ShowAttendTellConfig"),
    Case("load_captioner", "model `hidden_dim` a float",
         lambda t: load_captioner(_captioner_with(t, lambda m: _set(m, "model", hidden_dim=4.5))),
         ValueError, "field hidden_dim must be int, got float"),
    Case("load_captioner", "model `hidden_dim` 10^6 against 4-unit weights",
         lambda t: load_captioner(_captioner_with(t, lambda m: _set(m, "model", hidden_dim=10**6))),
         ValueError, "the weights do not fit the saved ShowAttendTell config"),
    Case("load_captioner", "a header that claims more bytes than the file has", _caption_broken_header,
         ValueError, "not a readable safetensors file"),
    Case("attnzoo caption", "`--checkpoint` a folder whose captioner.json lacks `model`", _cli_caption,
         CliExit, "lacks 'model'", 2),
    Case("load_reader", f"`{MODEL_FILE}` not JSON", lambda t: load_reader(_reader_text(t, "{")),
         ValueError, f"{MODEL_FILE}: not valid JSON"),
    Case("load_reader", "without `chars`", lambda t: load_reader(_reader_with(t, lambda m: m.pop("chars"))),
         ValueError, "lacks 'chars'"),
    Case("load_reader", "an unknown `kind`",
         lambda t: load_reader(_reader_with(t, lambda m: _set(m, None, kind="lstm"))),
         ValueError, "'kind' must be one of recursive, plain, ctc, got 'lstm'"),
    Case("load_reader", "config `vocab_size` a string",
         lambda t: load_reader(_reader_with(t, lambda m: _set(m, "config", vocab_size="7"))),
         ValueError, "field vocab_size must be int, got str"),
    Case("load_reader", "`chars` one fewer than the config's vocab_size",
         lambda t: load_reader(_reader_with(t, lambda m: _set(m, None, chars="ab"))),
         ValueError, "'chars' makes 6 symbols, the config's vocab_size is 7"),
    Case("load_reader", "config `dim` 10^6 against 4-wide weights",
         lambda t: load_reader(_reader_with(t, lambda m: _set(m, "config", dim=10**6))),
         ValueError, "the weights do not fit the saved AttentionOCR config"),
    Case("load_reader", "a truncated weights file", _reader_truncated, ValueError,
         "not a readable safetensors file"),
    Case("attnzoo read", "`--checkpoint` config `dim` 10^6 against the weights", _cli_read, CliExit,
         "the weights do not fit the saved AttentionOCR config", 2),
]  # fmt: skip
