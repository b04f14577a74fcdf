"""Property: fuzzed bytes of the image recipes' inputs give the reader's result or a ValueError naming the
file: the Karpathy caption JSON and its images, the OCR image folder (images, per-image labels,
labels.tsv), and the IDX files behind binarised MNIST. Also: corrupted arrays given to the scene generator
are refused with a ValueError naming the argument. Mutations and the fixed-seed profile as in
test_data_fuzz.py.
"""

from __future__ import annotations

import io
import json
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from attnzoo.data import write_idx
from attnzoo.data.binarized import binarized_mnist_splits
from attnzoo.data.karpathy import load_karpathy_image, read_karpathy_split
from attnzoo.data.scenes import make_scenes
from attnzoo.data.text_images import load_image, read_image_folder
from tests.data.test_data_fuzz import MUTATIONS, _mutate


def _png(shape=(6, 9), mode="L") -> bytes:
    arr = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape) * 3
    buf = io.BytesIO()
    Image.fromarray(arr).convert(mode).save(buf, format="PNG")
    return buf.getvalue()


_KARPATHY = {
    "images": [
        {
            "filepath": "val2014",
            "filename": "a.png",
            "split": "train",
            "sentences": [{"tokens": ["a", "dog"]}],
        },
        {"filename": "b.png", "split": "test", "sentences": [{"tokens": ["one"]}, {"tokens": ["two", "x"]}]},
    ],
    "dataset": "coco",
}
_ALL = ("train", "val", "test", "restval")


def _karpathy_json(tmp, ops):
    (tmp / "val2014").mkdir(exist_ok=True)
    for p in (tmp / "val2014" / "a.png", tmp / "b.png"):
        p.write_bytes(_png())
    path = tmp / "dataset_coco.json"
    path.write_bytes(_mutate(json.dumps(_KARPATHY).encode(), ops))
    return (lambda: read_karpathy_split(path, tmp, _ALL, check_files=False)), path


def _karpathy_image(tmp, ops):
    path = tmp / "a.png"
    path.write_bytes(_mutate(_png(mode="RGB"), ops))
    return (lambda: load_karpathy_image(path, 8)), path


def _ocr_image(tmp, ops):
    folder = tmp / "words"
    folder.mkdir(exist_ok=True)
    (folder / "a.png").write_bytes(_mutate(_png(), ops))
    (folder / "a.txt").write_text("garçon", encoding="utf-8")
    return (lambda: read_image_folder(folder, height=8)), folder / "a.png"


def _ocr_label(tmp, ops):
    folder = tmp / "words"
    folder.mkdir(exist_ok=True)
    (folder / "a.png").write_bytes(_png())
    (folder / "a.txt").write_bytes(_mutate("garçon".encode(), ops))
    return (lambda: read_image_folder(folder, height=8)), folder / "a.txt"


def _ocr_tsv(tmp, ops):
    folder = tmp / "words"
    folder.mkdir(exist_ok=True)
    for name in ("a.png", "b.png"):
        (folder / name).write_bytes(_png())
    (folder / "labels.tsv").write_bytes(_mutate("a.png\tgarçon\nb.png\tœuf\n".encode(), ops))
    return (lambda: read_image_folder(folder, height=8)), folder / "labels.tsv"


def _binarized(tmp, ops):
    root = tmp / "mnist"
    root.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 4), ("t10k", 2)):
        write_idx(root / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 5, 5), dtype=np.uint8))
        write_idx(root / f"{split}-labels-idx1-ubyte", np.zeros(n, np.uint8))
    bad = root / "train-images-idx3-ubyte"
    bad.write_bytes(_mutate(bad.read_bytes(), ops))
    return (lambda: binarized_mnist_splits(root, n_validation=1)), bad


CASES = {
    "karpathy.json": _karpathy_json,
    "karpathy-image": _karpathy_image,
    "ocr-folder-image": _ocr_image,
    "ocr-folder-label": _ocr_label,
    "ocr-folder-labels.tsv": _ocr_tsv,
    "binarized-mnist-idx": _binarized,
}


@pytest.mark.parametrize("case", sorted(CASES))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=MUTATIONS)
def test_fuzzed_file_gives_a_result_or_a_value_error_naming_it(tmp_path, case, ops):
    read, damaged = CASES[case](tmp_path, ops)
    try:
        read()
    except ValueError as err:
        assert str(damaged) in str(err), f"{type(err).__name__} does not name {damaged}: {err}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_undamaged_file_reads(tmp_path, case):
    read, _ = CASES[case](tmp_path, [])
    assert len(read()) > 0  # the fuzz starts from inputs that really are valid


def test_a_decompression_bomb_header_is_a_value_error_naming_the_file(tmp_path):
    # a PNG whose header claims 2^31 x 2^31 pixels: refused before Pillow would allocate them
    raw = bytearray(_png())
    raw[16:24] = (2**31 - 1).to_bytes(4, "big") * 2  # IHDR width, height
    raw[29:33] = zlib.crc32(bytes(raw[12:29])).to_bytes(4, "big")  # and its CRC, so the header is valid
    path = tmp_path / "bomb.png"
    path.write_bytes(bytes(raw))
    for read in (lambda: load_karpathy_image(path, 8), lambda: load_image(path)):
        with pytest.raises(ValueError, match=r"bomb\.png"):
            read()


# --- the scene generator: corrupted digit arrays ---------------------------------------------------------

_DIGITS = np.zeros((5, 28, 28), np.uint8)
_LABELS = np.arange(5)


@pytest.mark.parametrize(
    ("digits", "labels", "word"),
    [
        (_DIGITS, np.array([0, 1, 2, 3, 10]), "labels"),
        (_DIGITS, np.array([0, 1, 2, 3, -1]), "labels"),
        (_DIGITS, np.array([0, 1, 2, 3, 4.5]), "labels"),
        (_DIGITS, np.array(["0", "1", "2", "3", "4"]), "labels"),
        (np.full((5, 28, 28), np.nan, np.float32), _LABELS, "digits"),
        (np.full((5, 28, 28), 255.0, np.float32), _LABELS, "digits"),  # floats must be in [0, 1]
        (np.full((5, 28, 28), -0.5), _LABELS, "digits"),
        (np.zeros((5, 28, 28), np.int16) - 3, _LABELS, "digits"),
        (np.zeros((5, 28, 28), bool), _LABELS, "digits"),
        (np.zeros((0, 28, 28), np.uint8), np.zeros(0, int), "digits"),  # nothing to draw from
    ],
    ids=[
        "label-10",
        "label-neg",
        "label-float",
        "label-str",
        "nan",
        "float-255",
        "negative",
        "int16",
        "bool",
        "empty",
    ],
)
def test_scenes_refuse_corrupted_digits_naming_the_argument(digits, labels, word):
    with pytest.raises(ValueError, match=word):
        make_scenes(digits, labels, 3, seed=0)


@given(
    seed=st.integers(0, 2**16), n=st.integers(0, 4), size=st.integers(28, 40), max_digits=st.integers(1, 4)
)
def test_scenes_from_any_valid_digits_are_in_range_and_their_captions_name_their_digits(
    seed, n, size, max_digits
):
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 6)
    ss = make_scenes(digits, labels, n, seed=seed, size=size, max_digits=max_digits)
    assert ss.images.shape == (n, size, size) and np.isfinite(ss.images).all()
    assert ss.images.min(initial=0) >= 0 and ss.images.max(initial=0) <= 1
    for sc in ss.scenes:
        assert 1 <= len(sc.labels) <= max_digits and set(sc.labels) <= set(labels.tolist())
        assert all(0 <= b[0] < b[2] <= size and 0 <= b[1] < b[3] <= size for b in sc.boxes)
