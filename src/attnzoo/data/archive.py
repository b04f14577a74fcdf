"""Checksums and safe extraction of tar and zip archives (no root, no path traversal).

Every member of an archive is checked before anything is written: absolute paths, ``..`` components,
symlinks that lead outside the destination (followed through the archive's other symlinks, as the kernel
would), hardlinks to anything but a regular file of the archive, and special files make the whole archive
refused. Each file is also checked, just before it is written, to resolve inside the destination on disk
(so a symlink extracted earlier, or one already in ``dest``, cannot redirect a later member).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["UnsafeArchiveError", "extract_members", "normalise_member", "sha256_file", "verify_sha256"]

_CHUNK = 1 << 20


class UnsafeArchiveError(ValueError):
    """An archive member would land outside the extraction directory, or is not a plain file/dir/link."""


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: str | os.PathLike, expected: str) -> None:
    """Raise ``ValueError`` naming the file and both digests if ``path``'s sha256 is not ``expected``."""
    got = sha256_file(path)
    if got != expected.lower():
        raise ValueError(f"sha256 mismatch for {path}: expected {expected.lower()}, got {got}")


def normalise_member(name: str) -> str:
    """Member name as a clean relative posix path (``./a//b`` -> ``a/b``); raise if it is unsafe.

    Raises:
        UnsafeArchiveError: absolute path, drive letter, or a ``..`` component.
    """
    raw = name.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise UnsafeArchiveError(f"archive member {name!r} has an absolute path")
    if ".." in raw.split("/"):
        raise UnsafeArchiveError(f"archive member {name!r} contains '..'")
    clean = posixpath.normpath(raw)
    return "" if clean == "." else clean


def _check_link(name: str, target: str, *, hard: bool) -> None:
    """Refuse a link whose target is absolute or resolves outside the archive root."""
    if target.startswith("/") or (len(target) > 1 and target[1] == ":"):
        raise UnsafeArchiveError(f"archive member {name!r} links to absolute path {target!r}")
    # hardlink targets are archive-root relative; symlink targets are relative to the link's folder
    base = "" if hard else posixpath.dirname(name)
    resolved = posixpath.normpath(posixpath.join(base, target.replace("\\", "/")))
    if resolved == ".." or resolved.startswith("../"):
        raise UnsafeArchiveError(f"archive member {name!r} links outside the archive ({target!r})")


def _inside(dest: Path, rel: str) -> Path:
    """Path of ``rel`` under ``dest``, after checking its real location (links resolved) is inside."""
    out = dest / rel
    real_dest = os.path.realpath(dest)
    real_parent = os.path.realpath(out.parent)
    if os.path.commonpath([real_dest, real_parent]) != real_dest:
        raise UnsafeArchiveError(f"archive member {rel!r} would be written outside {dest}")
    return out


def _symlink(target: str, out: Path, dest: Path) -> None:
    """Create a symlink, then check where it really leads (chains of links can escape textual checks)."""
    os.symlink(target, out)
    real_dest, real = os.path.realpath(dest), os.path.realpath(out)
    if os.path.commonpath([real_dest, real]) != real_dest:
        out.unlink()
        raise UnsafeArchiveError(
            f"archive link {out.relative_to(dest)} -> {target!r} resolves outside {dest}"
        )


_MAX_HOPS = 40  # as the kernel's limit on nested symlinks (ELOOP)


def _resolve_links(name: str, start: list[str], links: dict[str, str]) -> None:
    """Resolve path components the way the kernel would, following the archive's own symlinks ``links``
    (normalised name -> target); refuse a path that leaves the root, or loops."""
    out: list[str] = []
    parts, hops = list(start), 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                raise UnsafeArchiveError(f"archive link {name!r} resolves outside the archive")
            out.pop()
            continue
        here = "/".join([*out, part])
        if here in links:
            hops += 1
            if hops > _MAX_HOPS:
                raise UnsafeArchiveError(f"archive link {name!r} is part of a loop of links")
            parts = links[here].replace("\\", "/").split("/") + parts  # relative to the link's folder
            continue
        out.append(part)


def _check_all_links(links: dict[str, str]) -> None:
    """Every symlink of the archive, followed through the others, must stay inside (checked before any
    member is written, so a refused chain leaves nothing behind)."""
    for name, target in links.items():
        _resolve_links(
            name, [*posixpath.dirname(name).split("/"), *target.replace("\\", "/").split("/")], links
        )


def _tar_index(tf: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    index, links, readable = {}, {}, set()
    for m in tf.getmembers():
        name = normalise_member(m.name)
        if m.issym() or m.islnk():
            _check_link(m.name, m.linkname, hard=m.islnk())
        elif not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError(f"archive member {m.name!r} is a device, fifo or other special file")
        if m.issym():
            links[name] = m.linkname
        elif m.islnk():  # tarfile reads a hardlink's data from an earlier member, which must hold data
            if normalise_member(m.linkname) not in readable:
                raise UnsafeArchiveError(
                    f"archive hardlink {m.name!r} points to {m.linkname!r}, which is not a regular file "
                    "earlier in the archive"
                )
            readable.add(name)
        elif m.isfile():
            readable.add(name)
        if name:
            index[name] = m
    _check_all_links(links)
    return index


def _zip_index(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    index, links = {}, {}
    for info in zf.infolist():
        name = normalise_member(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            target = zf.read(info).decode("utf-8", "replace")
            _check_link(info.filename, target, hard=False)
            links[name] = target
        if name:
            index[name] = info
    _check_all_links(links)
    return index


def _select(index: dict, members: Iterable[str] | None, archive: Path) -> list[str]:
    if members is None:
        return list(index)
    chosen = []
    for want in members:
        key = normalise_member(want)
        if key not in index:
            near = [n for n in index if posixpath.basename(n) == posixpath.basename(key)]
            hint = f"; members with that file name: {near}" if near else ""
            raise KeyError(f"{archive.name} has no member {want!r}{hint}")
        chosen.append(key)
    return chosen


def _extract_tar(archive: Path, dest: Path, members: Iterable[str] | None) -> list[Path]:
    written = []
    with tarfile.open(archive, "r:*") as tf:
        index = _tar_index(tf)
        chosen = _select(index, members, archive)
        for name in chosen:  # where each would land given what is on disk now, before writing any
            _inside(dest, name)
        for name in chosen:
            m = index[name]
            out = _inside(dest, name)
            if m.isdir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            if m.issym():
                _symlink(m.linkname, out, dest)
            else:  # regular file or hardlink: extractfile follows hardlinks to their data
                src = tf.extractfile(m)
                if src is None:
                    raise UnsafeArchiveError(f"cannot read archive member {m.name!r}")
                with src, open(out, "wb") as fh:
                    shutil.copyfileobj(src, fh, _CHUNK)
            written.append(out)
    return written


def _extract_zip(archive: Path, dest: Path, members: Iterable[str] | None) -> list[Path]:
    written = []
    with zipfile.ZipFile(archive) as zf:
        index = _zip_index(zf)
        chosen = _select(index, members, archive)
        for name in chosen:
            _inside(dest, name)
        for name in chosen:
            info = index[name]
            out = _inside(dest, name)
            if info.is_dir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(info.external_attr >> 16):
                _symlink(zf.read(info).decode("utf-8"), out, dest)
            else:
                with zf.open(info) as src, open(out, "wb") as fh:
                    shutil.copyfileobj(src, fh, _CHUNK)
            written.append(out)
    return written


def extract_members(
    archive: str | os.PathLike, dest: str | os.PathLike, members: Iterable[str] | None = None
) -> list[Path]:
    """Extract ``members`` (all when ``None``) of a tar (any compression) or zip archive into ``dest``.

    The whole archive is checked first; one unsafe member refuses it, before anything is written.

    Args:
        archive: path of a ``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``, ``.zip`` or ``.whl``.
        dest: existing or new directory to extract into.
        members: member names to extract (``./`` prefixes ignored); a missing one raises ``KeyError``.

    Returns:
        Paths written (files and links), in archive order.

    Raises:
        UnsafeArchiveError: a member with an absolute path, ``..``, a link leading outside (alone or through
            other links), a loop of links, a hardlink to a non-file, or a special file.
        ValueError: ``archive`` is neither a tar nor a zip.
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        return _extract_zip(archive, dest, members)
    if tarfile.is_tarfile(archive):
        return _extract_tar(archive, dest, members)
    raise ValueError(f"archive {archive} is neither a tar nor a zip file")
