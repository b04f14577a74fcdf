"""The manifest of a cached dataset: each file's size, mtime and sha256, recorded when it is installed.

Checked on every use, cheaply: a file whose size and mtime match its record is taken as unchanged; a changed
size is a changed file; a changed mtime means a full sha256 (a file merely touched or copied is accepted and
its record refreshed). A record taken within :data:`RACY_NS` of the file's own mtime cannot tell a later
write in the same clock tick from none (git's "racily clean" entries), so such files are hashed until a
record is taken later. Files without a record (caches of earlier versions, files placed by hand) are hashed
against the catalog's sha256s, else the sha256s an earlier marker listed, and then recorded.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attnzoo.data.archive import sha256_file

if TYPE_CHECKING:
    from attnzoo.data.registry import DataFile

__all__ = ["RACY_NS", "DatasetCorruptedError", "inspect_files", "record_files", "repair_hint"]

RACY_NS = 2_000_000_000  # a record taken less than 2 s after the file's mtime is not trusted (coarse clocks)
_KEYS = {"size": int, "mtime_ns": int, "sha256": str, "recorded_ns": int}


class DatasetCorruptedError(ValueError):
    """A cached dataset's file is missing or changed since it was recorded; the message names the file
    and how to repair the cache."""


def _record(path: Path, sha256: str, size: int, mtime_ns: int) -> dict[str, Any]:
    return {"size": size, "mtime_ns": mtime_ns, "sha256": sha256, "recorded_ns": time.time_ns()}


def record_files(folder: Path, targets: Iterable[str], sums: Mapping[str, str] | None = None) -> dict:
    """Manifest entries ``{target: {size, mtime_ns, sha256, recorded_ns}}`` for files in ``folder``.

    Args:
        folder: the dataset folder.
        targets: file names in it.
        sums: sha256s already computed (the rest are computed here).
    """
    out = {}
    for t in targets:
        path = folder / t
        st = path.stat()  # before hashing: a write during the hash then shows as a changed mtime later
        digest = (sums or {}).get(t) or sha256_file(path)
        out[t] = _record(path, digest, st.st_size, st.st_mtime_ns)
    return out


def _valid(rec: Any) -> bool:
    return isinstance(rec, dict) and all(isinstance(rec.get(k), v) for k, v in _KEYS.items())


def repair_hint(name: str) -> str:
    """How to repair dataset ``name``'s cache (one line)."""
    return (
        f"repair: `attnzoo data fetch {name} --force` fetches a fresh copy (or put the original file back); "
        f"`attnzoo data verify {name}` re-hashes every file"
    )


def inspect_files(
    name: str, folder: Path, files: Iterable[DataFile], marker: Mapping, *, full: bool = False
) -> tuple[list[str], dict, bool]:
    """Check ``files`` in ``folder`` against ``marker``'s manifest (see the module docstring).

    Args:
        name: the dataset (for messages).
        folder: its cache folder.
        files: the spec's files (their ``sha256``, where known, is authoritative).
        marker: the parsed completion marker (``{}`` for files placed by hand).
        full: hash every file whatever its size and mtime (``attnzoo data verify``).

    Returns:
        ``(problems, manifest, changed)``: one line per missing or changed file, naming it; the manifest
        to record; whether it differs from the marker's.
    """
    old = marker.get("manifest") if isinstance(marker.get("manifest"), dict) else {}
    legacy = marker.get("files") if isinstance(marker.get("files"), dict) else {}
    problems, manifest = [], {}
    for f in files:
        path = folder / f.target
        rec = old.get(f.target) if _valid(old.get(f.target)) else None
        listed = legacy.get(f.target) if isinstance(legacy.get(f.target), str) else None
        expected = f.sha256 or (rec["sha256"] if rec else listed)
        try:
            st = path.stat()
        except OSError:
            problems.append(f"{path} is missing from dataset {name!r}")
            continue
        if not path.is_file():
            problems.append(f"{path} is not a regular file")
            continue
        if rec and st.st_size != rec["size"]:
            problems.append(
                f"{path} has {st.st_size} bytes but dataset {name!r} recorded {rec['size']} when it was "
                "installed: the file changed"
            )
            continue
        trusted = (
            rec is not None
            and not full
            and st.st_mtime_ns == rec["mtime_ns"]
            and rec["mtime_ns"] < rec["recorded_ns"] - RACY_NS
            and rec["sha256"] == expected
        )
        if trusted:
            manifest[f.target] = rec
            continue
        digest = sha256_file(path)
        if expected and digest != expected:
            problems.append(f"{path} has sha256 {digest} but dataset {name!r} expects {expected}")
            continue
        manifest[f.target] = _record(path, digest, st.st_size, st.st_mtime_ns)
    return problems, manifest, manifest != old
