"""Fetch a registered dataset: download with its registry's client, verify, extract safely, install.

Order, so that nothing partial ever looks complete: download into a temp folder inside the cache, check the
download's sha256, extract the wanted members (path-traversal safe) into the temp folder, check each
file's sha256 where known, rename the finished folder into place, and write the completion marker last.
"""

from __future__ import annotations

import datetime as _dt
import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from attnzoo.data.archive import UnsafeArchiveError, extract_members, normalise_member, sha256_file
from attnzoo.data.clients import CLIENTS, ClientError
from attnzoo.data.manifest import record_files
from attnzoo.data.registry import (
    DatasetSpec,
    _adopt_placed,
    _marker_ok,
    _write_marker,
    cache_dir,
    get_spec,
)

__all__ = ["FetchError", "fetch", "install_from_download"]

log = logging.getLogger(__name__)


class FetchError(RuntimeError):
    """A fetch failed: the message names the package, the client's error and how to place files by hand."""


def _deb_to_tar(deb: Path, scratch: Path) -> Path:
    """The data tar of a .deb, via ``dpkg-deb --fsys-tarfile`` (no root; extracted by our safe extractor)."""
    out = scratch / (deb.name + ".tar")
    cmd = ["dpkg-deb", "--fsys-tarfile", str(deb)]
    with open(out, "wb") as fh:
        try:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, text=False)
        except FileNotFoundError as err:
            raise ClientError("program 'dpkg-deb' is not installed or not on PATH", cmd) from err
    if proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace")
        raise ClientError(f"dpkg-deb exited with status {proc.returncode}", cmd, stderr)
    return out


def _open_container(path: Path, scratch: Path) -> Path:
    return _deb_to_tar(path, scratch) if path.suffix == ".deb" else path


def _extract_files(spec: DatasetSpec, got: Path, work: Path) -> dict[str, Path]:
    """Follow each file's source chain through (nested) archives; return target name -> extracted path."""
    scratch = work / "extract"
    scratch.mkdir()
    if got.is_dir():  # the client already unpacked the download (and verified it)
        level0 = {}
        for f in spec.files:
            p = got / normalise_member(f.source[0])
            if not p.is_file():
                raise KeyError(f"{spec.download} has no file {f.source[0]!r}")
            level0[f.source[0]] = p
    else:
        container = _open_container(got, scratch)
        wanted = sorted({f.source[0] for f in spec.files})
        extract_members(container, scratch / "0", wanted)  # one pass over the (possibly large) download
        level0 = {m: scratch / "0" / normalise_member(m) for m in wanted}
    out = {}
    for i, f in enumerate(spec.files):
        current = level0[f.source[0]]
        for depth, member in enumerate(f.source[1:], start=1):
            dest = scratch / f"{i}-{depth}"
            extract_members(_open_container(current, scratch), dest, [member])
            current = dest / normalise_member(member)
        out[f.target] = current
    return out


def install_from_download(
    spec: DatasetSpec, got: Path, work: Path, *, say: Callable[[str], None] = log.info
) -> dict[str, str]:
    """Verify ``got`` (the client's result) and install ``spec``'s files atomically; return their sha256s.

    Args:
        spec: the dataset.
        got: downloaded file (checked against ``spec.sha256``) or a folder the client unpacked and verified.
        work: scratch folder on the same filesystem as the cache (it is consumed).
        say: progress callback.
    """
    if got.is_file():
        digest = sha256_file(got)
        if digest != spec.sha256:
            raise ValueError(f"sha256 of downloaded {got.name} is {digest}, expected {spec.sha256}")
        say(f"{spec.name}: sha256 ok: {got.name}")
    files = _extract_files(spec, got, work)
    stage = work / "stage"
    stage.mkdir()
    sums = {}
    for f in spec.files:
        dest = stage / f.target
        shutil.move(files[f.target], dest)
        sums[f.target] = sha256_file(dest)
        if f.sha256 and sums[f.target] != f.sha256:
            raise ValueError(f"sha256 of extracted {f.target} is {sums[f.target]}, expected {f.sha256}")
        say(f"{spec.name}: extracted {f.target} ({dest.stat().st_size / 1e6:.1f} MB)")
    folder = cache_dir() / spec.name
    if folder.exists():  # a stale or forced-over copy: move it aside, swap, then delete it
        old = Path(tempfile.mkdtemp(prefix=f".old-{spec.name}-", dir=folder.parent))
        folder.rename(old / "x")
        stage.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        stage.rename(folder)
    return sums


def fetch(name: str, *, force: bool = False, progress: Callable[[str], None] | None = None) -> Path:
    """Download dataset ``name`` into the cache (if not already there) and return its folder.

    Args:
        name: a registered dataset (see :func:`attnzoo.data.list_datasets`).
        force: download again even if the cache holds a complete copy (also over one that changed).
        progress: called with one-line progress messages (the CLI prints them); default logs them.

    Returns:
        ``cache_dir() / name``, holding the spec's files and a completion marker.

    Raises:
        KeyError: unknown name.
        FetchError: the client failed, a checksum differed, or the archive was unsafe; the message says
            which package was tried, the client's error, and how to place the files by hand.
        DatasetCorruptedError: (without ``force``) a cached file changed since it was installed; the
            message names it and says how to repair the copy.
    """
    spec = get_spec(name)
    say = progress or log.info
    folder = cache_dir() / name
    if not force and _marker_ok(spec):
        say(f"{name}: already in {folder}")
        return folder
    if not force:
        try:
            if _adopt_placed(spec):
                say(f"{name}: files placed by hand in {folder} checked and adopted")
                return folder
        except ValueError as err:
            say(f"{name}: {err}; fetching a fresh copy")
    if spec.client not in CLIENTS:
        raise FetchError(f"dataset {name!r} names unknown client {spec.client!r}; known: {sorted(CLIENTS)}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=folder.parent))
    start = time.perf_counter()
    try:
        say(f"{name}: downloading {spec.package} with {spec.client} ...")
        got = CLIENTS[spec.client](spec, work)
        say(f"{name}: downloaded in {time.perf_counter() - start:.1f} s")
        sums = install_from_download(spec, got, work, say=say)
    except ClientError as err:
        raise FetchError(_failure(spec, err.describe())) from err
    except (UnsafeArchiveError, ValueError, KeyError, OSError) as err:
        raise FetchError(_failure(spec, f"{type(err).__name__}: {err}")) from err
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - start
    info = {
        "name": name,
        "package": spec.package,
        "client": spec.client,
        "download": spec.download,
        "download_sha256": spec.sha256,
        "files": sums,
        "manifest": record_files(folder, sums, sums),
        "fetched_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
    }
    _write_marker(folder, info)
    say(f"{name}: done in {seconds:.1f} s -> {folder}")
    return folder


def _failure(spec: DatasetSpec, reason: str) -> str:
    return (
        f"could not fetch dataset {spec.name!r} from package {spec.package} "
        f"(client {spec.client}, file {spec.download}):\n  {reason}\n"
        "Nothing was left in the cache that looks complete.\n" + spec.how_to_place()
    )
