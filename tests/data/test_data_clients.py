"""The real client code paths, offline: pip from a local find-links folder, fake apt-get/npm on PATH."""

import io
import os
import shutil
import subprocess
import tarfile
import zipfile

import pytest

from attnzoo.data import DataFile, DatasetSpec, FetchError, fetch, register_dataset, sha256_file


def _spec(name, client, package, download, sha, files):
    return register_dataset(DatasetSpec(name, client, package, download, sha, files, "test data", "none"))


def _write_tgz(path, members):
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def offline_pip(tmp_path, monkeypatch):
    """pip sees only a local folder of packages."""
    links = tmp_path / "links"
    links.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    return links


def test_pip_wheel_client(offline_pip, cache, sandbox):
    wheel = offline_pip / "toypkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("toypkg/data/corpus.csv", "text,label\nfine,1\n")
        zf.writestr("toypkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: toypkg\nVersion: 1.0\n")
        zf.writestr(
            "toypkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr("toypkg-1.0.dist-info/RECORD", "")
    _spec(
        "toy-wheel",
        "pip-wheel",
        "toypkg==1.0",
        wheel.name,
        sha256_file(wheel),
        (DataFile("corpus.csv", ("toypkg/data/corpus.csv",)),),
    )
    folder = fetch("toy-wheel")
    assert (folder / "corpus.csv").read_text() == "text,label\nfine,1\n"


def test_pip_sdist_unpacked_quirk(offline_pip, cache, sandbox):
    # an sdist with no setup.py: pip downloads it, checks the hash, unpacks it, then refuses it
    sdist = _write_tgz(offline_pip / "toydata-0.1.tar.gz", {"toydata-0.1/toydata/a.bin": b"\x00\x08payload"})
    files = (DataFile("a.bin", ("toydata-0.1/toydata/a.bin",), sha256_file_bytes(b"\x00\x08payload")),)
    _spec("toy-sdist", "pip-sdist-unpacked", "toydata==0.1", sdist.name, sha256_file(sdist), files)
    folder = fetch("toy-sdist")
    assert (folder / "a.bin").read_bytes() == b"\x00\x08payload"
    assert sorted(p.name for p in cache.iterdir()) == ["toy-sdist"]


def test_pip_refuses_wrong_hash(offline_pip, cache, sandbox):
    sdist = _write_tgz(offline_pip / "toydata-0.1.tar.gz", {"toydata-0.1/toydata/a.bin": b"x"})
    _spec(
        "toy-bad",
        "pip-sdist-unpacked",
        "toydata==0.1",
        sdist.name,
        "1" * 64,
        (DataFile("a.bin", ("toydata-0.1/toydata/a.bin",)),),
    )
    with pytest.raises(FetchError, match=r"(?s)toydata==0\.1.*does not match.*by hand"):
        fetch("toy-bad")
    assert not cache.exists() or list(cache.iterdir()) == []


def sha256_file_bytes(data):
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _fake_program(bindir, name, script, monkeypatch):
    bindir.mkdir(exist_ok=True)
    path = bindir / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.skipif(
    shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed (needed to build a .deb)"
)
def test_apt_client_and_deb_extraction(tmp_path, cache, sandbox, monkeypatch):
    root = tmp_path / "debroot"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN/control").write_text(
        "Package: toy-data\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\nDescription: toy\n"
    )
    (root / "usr/share/datasets/toy").mkdir(parents=True)
    (root / "usr/share/datasets/toy/x.idx").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
    deb = tmp_path / "toy-data_1.0_all.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)],
        check=True,
        capture_output=True,
    )
    _fake_program(tmp_path / "bin", "apt-get", f'cp "{deb}" .\n', monkeypatch)
    _spec(
        "toy-deb",
        "apt",
        "toy-data=1.0",
        deb.name,
        sha256_file(deb),
        (DataFile("x.idx", ("usr/share/datasets/toy/x.idx",)),),
    )
    folder = fetch("toy-deb")
    assert (folder / "x.idx").read_bytes() == b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"


def test_apt_failure_says_run_apt_get_update(tmp_path, cache, sandbox, monkeypatch):
    _fake_program(
        tmp_path / "bin",
        "apt-get",
        'echo "E: Unable to locate package toy-data" >&2\nexit 100\n',
        monkeypatch,
    )
    _spec("toy-missing", "apt", "toy-data=1.0", "toy-data_1.0_all.deb", "0" * 64, (DataFile("x", ("x",)),))
    with pytest.raises(FetchError) as info:
        fetch("toy-missing")
    msg = str(info.value)
    assert "apt-get update" in msg and "Unable to locate package toy-data" in msg and "toy-data=1.0" in msg
    assert str(cache / "toy-missing") in msg


def test_npm_client(tmp_path, cache, sandbox, monkeypatch):
    tgz = _write_tgz(tmp_path / "toy-1.0.0.tgz", {"package/src/digits/0.json": b'{"data": [0.5]}'})
    # fake npm: copy the tarball to the folder after --pack-destination
    script = (
        'while [ "$1" != "--pack-destination" ]; do shift; done\n' + f'cp "{tgz}" "$2"\necho toy-1.0.0.tgz\n'
    )
    _fake_program(tmp_path / "bin", "npm", script, monkeypatch)
    _spec(
        "toy-npm",
        "npm",
        "toy@1.0.0",
        tgz.name,
        sha256_file(tgz),
        (DataFile("0.json", ("package/src/digits/0.json",)),),
    )
    assert (fetch("toy-npm") / "0.json").read_bytes() == b'{"data": [0.5]}'


def test_missing_program_is_reported(tmp_path, cache, sandbox, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    _spec("toy-nonpm", "npm", "toy@1.0.0", "toy-1.0.0.tgz", "0" * 64, (DataFile("x", ("x",)),))
    with pytest.raises(FetchError, match="'npm' is not installed"):
        fetch("toy-nonpm")
