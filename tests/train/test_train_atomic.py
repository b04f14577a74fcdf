"""Atomic writes: the old file survives any failure before the final rename."""

import os

import pytest

import attnzoo.train.atomic as atomic_mod
from attnzoo.train import atomic_write_bytes, atomic_write_text


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "a" / "b" / "file.bin"
    assert atomic_write_bytes(target, b"first") == target
    assert target.read_bytes() == b"first"
    atomic_write_bytes(target, bytearray(b"second"))
    assert target.read_bytes() == b"second"
    atomic_write_text(target, "third ✓")
    assert target.read_text(encoding="utf-8") == "third ✓"
    assert _leftovers(target.parent) == []


def test_atomic_write_keeps_file_mode(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "x")
    assert target.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    os.chmod(target, 0o640)
    atomic_write_text(target, "y")
    assert target.stat().st_mode & 0o777 == 0o640


class _HalfWriter:
    """A file object that writes half the data, then fails like a full disk."""

    def __init__(self, handle):
        self._handle = handle

    def write(self, data):
        self._handle.write(bytes(data[: len(data) // 2]))
        self._handle.flush()
        raise OSError(28, "No space left on device")

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()


@pytest.mark.parametrize("fail_at", ["write", "fsync", "replace"])
def test_atomic_write_failure_midway_keeps_old_file(tmp_path, monkeypatch, fail_at):
    target = tmp_path / "ckpt.bin"
    target.write_bytes(b"old content")
    real_fdopen, real_replace = os.fdopen, os.replace
    if fail_at == "write":
        monkeypatch.setattr(atomic_mod.os, "fdopen", lambda fd, mode: _HalfWriter(real_fdopen(fd, mode)))
    elif fail_at == "fsync":

        def bad_fsync(fd):
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(atomic_mod.os, "fsync", bad_fsync)
    else:

        def bad_replace(src, dst):
            if str(dst) == str(target):
                raise OSError(1, "Operation not permitted")
            real_replace(src, dst)

        monkeypatch.setattr(atomic_mod.os, "replace", bad_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new content that is longer than the old one" * 100)
    assert target.read_bytes() == b"old content"
    assert _leftovers(tmp_path) == []


def test_atomic_write_backup_keeps_previous_version(tmp_path):
    target, backup = tmp_path / "last.bin", tmp_path / "prev.bin"
    atomic_write_bytes(target, b"v1", backup=backup)
    assert not backup.exists()
    atomic_write_bytes(target, b"v2", backup=backup)
    assert (target.read_bytes(), backup.read_bytes()) == (b"v2", b"v1")


def test_atomic_write_failure_leaves_backup_untouched(tmp_path, monkeypatch):
    target, backup = tmp_path / "last.bin", tmp_path / "prev.bin"
    atomic_write_bytes(target, b"v1", backup=backup)
    atomic_write_bytes(target, b"v2", backup=backup)

    def bad_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic_mod.os, "fsync", bad_fsync)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"v3", backup=backup)
    assert (target.read_bytes(), backup.read_bytes()) == (b"v2", b"v1")


@pytest.mark.parametrize(("fn", "bad"), [(atomic_write_bytes, "text"), (atomic_write_text, b"bytes")])
def test_atomic_write_rejects_wrong_type(tmp_path, fn, bad):
    with pytest.raises(TypeError, match="must be"):
        fn(tmp_path / "x", bad)
    assert not (tmp_path / "x").exists()
