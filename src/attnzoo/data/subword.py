"""Subword tokenisation with SentencePiece (Kudo & Richardson 2018, arXiv 1808.06226), BPE model type
(Sennrich et al. 2016, arXiv 1508.07909).

Why this tokeniser: it is trained on the training split only, so no test word leaks into the vocabulary;
any input is encoded (rare and unseen words such as "Jerry" become pieces, never ``<unk>``), which matters
on Tatoeba where names and inflections are long-tailed; ``decode`` is lossless up to the NFKC
normalisation, so BLEU/chrF are computed on detokenised text against the raw references, as sacrebleu
expects; the model is a small protobuf file (no pickle) saved beside the checkpoint. BPE rather than the
unigram model trains in seconds on 170k sentences (unigram: ~40 s) with about the same token counts.
Word-level tokenisation (e.g. sacremoses) would need an ``<unk>`` token and a detokeniser that does not
round-trip French exactly.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["BOS_ID", "EOS_ID", "PAD_ID", "UNK_ID", "SubwordTokenizer"]

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3


def _spm():
    try:
        import sentencepiece
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("attnzoo's translation data needs sentencepiece: pip install sentencepiece") from e
    return sentencepiece


class SubwordTokenizer:
    """A trained SentencePiece model: text <-> ids, with ``pad=0, unk=1, bos=2, eos=3``.

    Build one with :meth:`train` (on training sentences only), store it with :meth:`save` and get it back
    with :meth:`load`. ``encode`` adds no BOS/EOS: the batching code does.
    """

    def __init__(self, model_proto: bytes):
        if not isinstance(model_proto, bytes | bytearray) or not model_proto:
            raise TypeError(f"model_proto must be non-empty bytes, got {type(model_proto).__name__}")
        self._proto = bytes(model_proto)
        self._sp = _spm().SentencePieceProcessor(model_proto=self._proto)
        got = (self._sp.pad_id(), self._sp.unk_id(), self._sp.bos_id(), self._sp.eos_id())
        if got != (PAD_ID, UNK_ID, BOS_ID, EOS_ID):
            raise ValueError(f"the model's (pad, unk, bos, eos) ids must be (0, 1, 2, 3), got {got}")

    @classmethod
    def train(
        cls,
        sentences: Iterable[str],
        vocab_size: int,
        *,
        model_type: str = "bpe",
        character_coverage: float = 1.0,
    ) -> SubwordTokenizer:
        """Train a SentencePiece model on ``sentences``.

        Args:
            sentences: training text, one sentence each (pass the training split only).
            vocab_size: pieces including the 4 special ones; a soft limit (fewer on tiny corpora).
            model_type: ``bpe`` (default) or ``unigram``.
            character_coverage: fraction of characters covered; 1.0 keeps every accented letter.
        """
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 8:
            raise ValueError(f"vocab_size must be an int >= 8, got {vocab_size!r}")
        if model_type not in ("bpe", "unigram"):
            raise ValueError(f"model_type must be 'bpe' or 'unigram', got {model_type!r}")
        sentences = [s for s in sentences if s.strip()]
        if not sentences:
            raise ValueError("sentences is empty: nothing to train a tokeniser on")
        buf = io.BytesIO()
        _spm().SentencePieceTrainer.train(
            sentence_iterator=iter(sentences),
            model_writer=buf,
            vocab_size=vocab_size,
            model_type=model_type,
            character_coverage=character_coverage,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=BOS_ID,
            eos_id=EOS_ID,
            hard_vocab_limit=False,
            num_threads=1,  # deterministic piece order
            minloglevel=2,
        )
        return cls(buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> SubwordTokenizer:
        """Read a ``.model`` file written by :meth:`save` (or by SentencePiece itself)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no tokenizer model at {path}")
        return cls(path.read_bytes())

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model (a SentencePiece protobuf) to ``path``; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self._proto)
        return path

    @property
    def vocab_size(self) -> int:
        return self._sp.get_piece_size()

    def encode(self, text: str) -> list[int]:
        """Piece ids of ``text`` (no BOS/EOS)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return self._sp.encode(text)

    def encode_pieces(self, text: str) -> list[str]:
        """The pieces of ``text`` as strings (``▁`` marks the start of a word)."""
        return self._sp.encode(text, out_type=str)

    def decode(self, ids: Iterable[int]) -> str:
        """Text from ids; special ids (pad, bos, eos) are dropped."""
        return self._sp.decode([int(i) for i in ids if int(i) not in (PAD_ID, BOS_ID, EOS_ID)])

    def id_to_piece(self, i: int) -> str:
        return self._sp.id_to_piece(int(i))

    def word_starts(self, ids: Iterable[int]) -> list[bool]:
        """For each id, whether its piece begins a new word (starts with ``▁``); the first is always True."""
        starts = [self._sp.id_to_piece(int(i)).startswith("\u2581") for i in ids]
        if starts:
            starts[0] = True
        return starts
