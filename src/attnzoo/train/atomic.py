"""Atomic file writes: a reader, or a kill at any moment, sees the old file or the new one, never a mix.

The recipe is the POSIX one: write a temporary file in the same directory (so ``os.replace`` is a rename on
one filesystem), flush and ``fsync`` it, ``os.replace`` it over the target, then ``fsync`` the directory so
the rename itself is durable.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def _fsync_dir(directory: Path) -> None:
    # Durability of the rename; some filesystems (and Windows) cannot open a directory, which is harmless.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(
    path: str | os.PathLike, data: bytes | bytearray | memoryview, *, backup: str | os.PathLike | None = None
) -> Path:
    """Write ``data`` to ``path`` atomically, creating parent directories as needed.

    If anything fails (or the process dies) before the final rename, ``path`` keeps its previous content and
    the temporary file is removed (or, after a kill, left as ``.<name>.*.tmp`` beside it, never read).

    Args:
        path: destination file.
        data: the complete new content.
        backup: if given and ``path`` exists, the old file is renamed to ``backup`` once the new content is
            safely on disk, just before the new file takes its place (a kill between the two renames leaves
            only ``backup``, which is complete).

    Returns:
        The destination as a ``Path``.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, bytearray or memoryview, got {type(data).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes the file 0600; keep the old file's mode, else the usual 0644.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if backup is not None and path.exists():
            os.replace(path, backup)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`).

    Args:
        path: destination file.
        text: the complete new content.
        encoding: text encoding.

    Returns:
        The destination as a ``Path``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    return atomic_write_bytes(path, text.encode(encoding))
