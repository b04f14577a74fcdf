"""Text classification data: a documented tokeniser, a top-N vocabulary, readers for labelled text (the
``aclImdb/`` folder layout, a CSV/TSV of text and label, the packaged movie-review corpora), a fixed
deterministic split, and a padded batch collator.

Nothing here knows about models: a batch is ``(tokens (B, S) int64, lengths (B,) int64, labels (B,) int64)``
with ``tokens`` padded by :data:`PAD_ID` after each review's ``lengths[b]`` real tokens.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor

__all__ = [
    "PAD",
    "PAD_ID",
    "UNK",
    "UNK_ID",
    "TextDataset",
    "Vocab",
    "hash_split",
    "label_mr_scores",
    "pad_collate",
    "read_aclimdb",
    "read_text_label_csv",
    "tokenize",
]

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1

# A token is a run of letters/digits with inner apostrophes ("don't", "director's", "90s"), or a "!" / "?"
# (they carry sentiment). Everything else (punctuation, quotes, HTML line breaks) separates tokens.
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[!?]")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    """Lower-case regex tokenisation: words (letters/digits, inner apostrophes kept) and ``!``/``?``.

    ``tokenize("I didn't like it!<br />Not at all.") == ["i", "didn't", "like", "it", "!", "not", "at",
    "all"]``. IMDB's ``<br />`` tags count as spaces; curly apostrophes become straight ones.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = _BREAK.sub(" ", text).lower().replace("’", "'")
    return _TOKEN.findall(text)


class Vocab:
    """Token <-> id table: ``<pad>`` = 0, ``<unk>`` = 1, then the most frequent tokens.

    Args:
        tokens: every token in id order, starting with ``<pad>`` and ``<unk>``.
    """

    def __init__(self, tokens: Sequence[str]):
        tokens = list(tokens)
        if tokens[:2] != [PAD, UNK]:
            raise ValueError(f"tokens must start with {PAD!r}, {UNK!r}; got {tokens[:2]}")
        if len(set(tokens)) != len(tokens):
            dup = next(t for t, n in Counter(tokens).items() if n > 1)
            raise ValueError(f"tokens must be unique; {dup!r} appears more than once")
        self.itos = tokens
        self.stoi = {t: i for i, t in enumerate(tokens)}

    @classmethod
    def build(cls, texts: Iterable[Sequence[str]], max_size: int = 10_000, min_freq: int = 1) -> Vocab:
        """The ``max_size - 2`` most frequent tokens of ``texts`` (token lists) seen ``>= min_freq`` times.

        ``max_size`` counts ``<pad>`` and ``<unk>`` (as Keras' ``num_words`` counts its reserved ids). Ties in
        frequency are broken alphabetically, so the vocabulary does not depend on the order of ``texts``.
        """
        if not isinstance(max_size, int) or max_size < 2:
            raise ValueError(f"max_size must be an int >= 2 (it counts <pad> and <unk>), got {max_size!r}")
        if not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"min_freq must be an int >= 1, got {min_freq!r}")
        counts: Counter[str] = Counter()
        for toks in texts:
            if isinstance(toks, str):
                raise TypeError("texts must hold token lists (see tokenize), got a str")
            counts.update(toks)
        kept = (t for t, n in counts.items() if n >= min_freq and t not in (PAD, UNK))
        ranked = sorted(kept, key=lambda t: (-counts[t], t))
        return cls([PAD, UNK, *ranked[: max_size - 2]])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    __hash__ = None  # type: ignore[assignment]  # mutable-free but compared by content

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, most_frequent={self.itos[2:7]})"

    def encode(self, tokens: Sequence[str], max_len: int | None = None) -> list[int]:
        """Ids of ``tokens`` (``<unk>`` for unknown ones), keeping the first ``max_len`` when given."""
        if isinstance(tokens, str):
            raise TypeError("encode takes a token list (see tokenize), got a str")
        ids = [self.stoi.get(t, UNK_ID) for t in tokens]
        return ids if max_len is None else ids[:max_len]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``; raises ``IndexError`` naming an id outside ``[0, len(vocab))``."""
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise IndexError(f"id {i} is outside the vocabulary [0, {len(self.itos)})")
            out.append(self.itos[i])
        return out

    def to_json(self) -> str:
        return json.dumps({"format": "attnzoo.Vocab/1", "tokens": self.itos}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != "attnzoo.Vocab/1":
            raise ValueError("not an attnzoo vocabulary: expected a JSON object, format 'attnzoo.Vocab/1'")
        return cls(data["tokens"])

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON (UTF-8)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocab:
        """Read a vocabulary written by :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


# --- readers -----------------------------------------------------------------------------------------------


def read_aclimdb(root: str | os.PathLike, split: str = "train") -> list[tuple[str, int]]:
    """Read the Large Movie Review Dataset's folder layout (Maas et al. 2011): ``root/{split}/pos/*.txt``
    (label 1) and ``root/{split}/neg/*.txt`` (label 0); ``unsup/`` is ignored.

    Args:
        root: the ``aclImdb`` folder (or its parent).
        split: ``"train"`` or ``"test"``.

    Returns:
        ``[(text, label), ...]`` in sorted file-name order, negatives first; bytes that are not UTF-8 are
        replaced (U+FFFD).

    Raises:
        FileNotFoundError: ``root/{split}/pos`` or ``neg`` is not a folder.
        ValueError: a bad ``split``, a ``*.txt`` entry that is not a regular file, or no review at all.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root)
    if not (root / split).is_dir() and (root / "aclImdb" / split).is_dir():
        root = root / "aclImdb"
    out: list[tuple[str, int]] = []
    for label, sub in ((0, "neg"), (1, "pos")):
        folder = root / split / sub
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{folder} is not a folder: read_aclimdb expects the aclImdb layout root/{split}/pos/*.txt "
                f"and root/{split}/neg/*.txt (IMDB cannot be downloaded here; point data_dir at a copy)"
            )
        for f in sorted(folder.glob("*.txt")):
            if not f.is_file():  # a folder or a dangling link named *.txt
                raise ValueError(f"{f}: not a regular file (read_aclimdb reads every {sub}/*.txt)")
            out.append((f.read_text(encoding="utf-8", errors="replace").strip(), label))
    if not out:
        raise ValueError(f"{root / split}: pos/ and neg/ hold no .txt files")
    return out


# Label spellings accepted in a CSV/TSV; anything else must be an integer class id.
_LABEL_WORDS = {w: 0 for w in ("neg", "negative", "rotten", "false")} | {
    w: 1 for w in ("pos", "positive", "fresh", "true")
}


def read_text_label_csv(
    path: str | os.PathLike, *, text_column: str = "text", label_column: str = "label"
) -> list[tuple[str, int]]:
    """Read a CSV (``,``) or TSV (``.tsv``/``.tab``: tab) with a header naming a text and a label column.

    Labels are integer class ids (``0``, ``1``, ...) or the words neg/negative/rotten/false (0) and
    pos/positive/fresh/true (1), any case. Rows with an empty text are skipped.

    Returns:
        ``[(text, label), ...]`` in file order.

    Raises:
        ValueError: missing columns, a label that is neither a class id nor a known word, no rows, text
            that is not UTF-8 or not CSV; every message names the file.
    """
    path = Path(path)
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    with open(path, encoding="utf-8", newline="") as fh:  # a missing file raises FileNotFoundError
        try:
            out = _label_rows(path, csv.DictReader(fh, delimiter=delimiter), text_column, label_column)
        except (UnicodeDecodeError, csv.Error) as err:
            raise ValueError(f"{path}: cannot read as UTF-8 CSV: {type(err).__name__}: {err}") from err
    if not out:
        raise ValueError(f"{path}: no rows with a non-empty {text_column!r}")
    return out


def _label_rows(path: Path, reader: csv.DictReader, text_column: str, label_column: str) -> list:
    missing = [c for c in (text_column, label_column) if c not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; the header is {reader.fieldnames}")
    out = []
    for row in reader:
        text, raw = (row[text_column] or "").strip(), (row[label_column] or "").strip()
        if not text:
            continue
        label = _LABEL_WORDS.get(raw.lower())
        if label is None:
            if not (raw.isascii() and raw.isdigit()):  # str.isdigit alone accepts "²", which int() refuses
                raise ValueError(
                    f"{path}: row {reader.line_num}: label {raw!r} is neither a class id (0, 1, ...) nor "
                    f"one of {sorted(_LABEL_WORDS)}"
                )
            label = int(raw)
        out.append((text, label))
    return out


def label_mr_scores(pairs: Iterable[tuple[str, float]], min_abs_score: float = 0.0) -> list[tuple[str, int]]:
    """Binary labels for human-rated sentences (score -4..4): ``score > 0`` -> 1, ``score < 0`` -> 0.

    Sentences with ``|score| <= min_abs_score`` are dropped (at the default 0, only exact zeros: 37 of the
    10,605 Pang & Lee sentences, leaving 5,242 positive / 5,326 negative, close to MR's 5,331 / 5,331).
    """
    if min_abs_score < 0:
        raise ValueError(f"min_abs_score must be >= 0, got {min_abs_score!r}")
    return [(t, int(s > 0)) for t, s in pairs if abs(s) > min_abs_score]


def hash_split(
    pairs: Sequence[tuple[str, int]], valid: float = 0.1, test: float = 0.1
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]:
    """A fixed split by a hash of each text: ``(train, valid, test)``.

    A text's part depends only on its own words (SHA-1 of its whitespace-normalised lower-case form), so
    the split is the same on every machine and run whatever the order of ``pairs``, and duplicate texts
    never straddle train and test.
    """
    if not (0 <= valid < 1 and 0 <= test < 1 and valid + test < 1):
        raise ValueError(f"valid and test must be fractions with valid + test < 1, got {valid}, {test}")
    parts: tuple[list, list, list] = ([], [], [])
    for text, label in pairs:
        key = " ".join(text.lower().split()).encode("utf-8")
        u = int.from_bytes(hashlib.sha1(key).digest()[:8], "big") / 2.0**64  # uniform in [0, 1)
        parts[2 if u < test else 1 if u < test + valid else 0].append((text, label))
    return parts


# --- batches -----------------------------------------------------------------------------------------------


class TextDataset(torch.utils.data.Dataset):
    """Encoded reviews: item ``i`` is ``(ids (S_i,) int64, label int)``.

    Args:
        pairs: ``[(text, label), ...]``.
        vocab: the :class:`Vocab` to encode with.
        max_len: keep the first ``max_len`` tokens of each text.
    """

    def __init__(self, pairs: Sequence[tuple[str, int]], vocab: Vocab, max_len: int | None = None):
        self.texts = [t for t, _ in pairs]
        self.labels = [int(y) for _, y in pairs]
        self.ids = [torch.tensor(vocab.encode(tokenize(t), max_len), dtype=torch.long) for t in self.texts]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        return self.ids[i], self.labels[i]


def pad_collate(batch: Sequence[tuple[Tensor, int]]) -> tuple[Tensor, Tensor, Tensor]:
    """Pad a list of ``(ids, label)`` to ``(tokens (B, S), lengths (B,), labels (B,))``, ``S`` = longest."""
    lengths = torch.tensor([len(ids) for ids, _ in batch], dtype=torch.long)
    S = max(int(lengths.max()), 1) if len(batch) else 1  # an all-empty batch still has one (pad) column
    tokens = torch.full((len(batch), S), PAD_ID, dtype=torch.long)
    for b, (ids, _) in enumerate(batch):
        tokens[b, : len(ids)] = ids
    return tokens, lengths, torch.tensor([int(y) for _, y in batch], dtype=torch.long)
