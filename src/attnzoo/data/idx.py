"""The IDX format of MNIST-like datasets: reader, writer, and a loader for MNIST / Fashion-MNIST folders.

IDX (LeCun et al., http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code, the number of
dimensions ``n``, then ``n`` big-endian uint32 sizes, then the data big-endian in C order.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IDX_DTYPES", "find_mnist_files", "load_mnist_like", "read_idx", "write_idx"]

# type code -> big-endian numpy dtype
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(2)
    opener = gzip.open if head == _GZIP_MAGIC else open
    try:
        with opener(path, "rb") as fh:
            return fh.read()
    except (OSError, EOFError, zlib.error) as err:  # a damaged gzip raises any of the three
        raise ValueError(f"{path}: cannot read ({'gzip' if head == _GZIP_MAGIC else 'file'}): {err}") from err


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or gzip, detected by content) into a native-endian numpy array.

    Args:
        path: the file, e.g. ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``.

    Returns:
        Array with the file's dtype (uint8 for MNIST) and shape ``dims``.

    Raises:
        ValueError: bad magic, unknown type code, data size not matching the header's dimensions, or a
            damaged gzip stream; the message names the file.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: IDX file too short for its 4-byte magic ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file: magic {data[:4].hex()}, expected 0000 then type and ndim")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X}; known: {known}")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header says 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: IDX header for {ndim} dims needs {header} bytes, file has {len(data)}")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = math.prod(dims) * dtype.itemsize  # exact: np.prod would wrap for a forged header
    if len(data) - header != expected:
        raise ValueError(
            f"{path}: IDX dims {dims} of {dtype.newbyteorder('=').name} need {expected} data bytes, "
            f"file has {len(data) - header}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip when ``path`` ends in ``.gz``); the inverse of :func:`read_idx`.

    Raises:
        TypeError: the dtype has no IDX type code (uint8, int8, int16, int32, float32, float64).
    """
    path, array = Path(path), np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes or array.ndim == 0 or array.ndim > 255:
        raise TypeError(f"write_idx: array of dtype {array.dtype} and ndim {array.ndim} has no IDX encoding")
    header = bytes([0, 0, codes[native], array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[codes[native]]).tobytes()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as fh:
        fh.write(payload)
    return path


def find_mnist_files(root: str | os.PathLike, split: str) -> tuple[Path, Path]:
    """The (images, labels) IDX files of ``split`` in ``root``, for MNIST and Fashion-MNIST namings.

    Accepts ``train-images-idx3-ubyte``, ``train-images.idx3-ubyte``, either with ``.gz``; ``t10k`` or
    ``test`` prefixes for the test split.

    Raises:
        ValueError: ``split`` not "train" / "test".
        FileNotFoundError: no file (or more than one) matches; the message lists the folder's files.
    """
    prefixes = {"train": ("train",), "test": ("t10k", "test")}
    if split not in prefixes:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root)
    out = []
    for kind, idx in (("images", "idx3"), ("labels", "idx1")):
        names = [
            f"{p}-{kind}{sep}{idx}-ubyte{gz}" for p in prefixes[split] for sep in "-." for gz in ("", ".gz")
        ]
        hits = [root / n for n in names if (root / n).is_file()]
        if len(hits) != 1:
            have = sorted(p.name for p in root.iterdir()) if root.is_dir() else "(folder missing)"
            what = "no file" if not hits else f"{len(hits)} files ({[h.name for h in hits]})"
            msg = f"{root}: {what} for {split} {kind}; looked for {names}; folder has {have}"
            raise FileNotFoundError(msg)
        out.append(hits[0])
    return out[0], out[1]


def load_mnist_like(root_or_name: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST-like split: a folder of IDX files, or the name of a registered dataset.

    Args:
        root_or_name: folder with the IDX files, or e.g. ``"mnist"`` / ``"fashion-mnist"`` (from the cache;
            raises with fetch instructions if not fetched).
        split: "train" or "test".

    Returns:
        ``(images, labels)``: uint8 ``(N, H, W)`` (28x28 for MNIST) and int64 ``(N,)``.
    """
    from attnzoo.data.registry import DATASETS, dataset_path

    root = Path(root_or_name)
    if isinstance(root_or_name, str) and root_or_name in DATASETS and not root.is_dir():
        root = dataset_path(root_or_name)
    img_path, lab_path = find_mnist_files(root, split)
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{img_path}: expected uint8 images (N, H, W), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(f"{lab_path}: expected {images.shape[0]} labels (N,), got shape {labels.shape}")
    return images, labels.astype(np.int64)
