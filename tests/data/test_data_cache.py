"""A cached dataset that changed after it was installed is refused by name before use, and can be repaired."""

import hashlib
import io
import json
import os
import tarfile

import pytest

from attnzoo.data import (
    DataFile,
    DatasetCorruptedError,
    DatasetNotFetchedError,
    DatasetSpec,
    cli_main,
    dataset_path,
    fetch,
    is_fetched,
    register_client,
    register_dataset,
    sha256_file,
    verify_dataset,
)
from attnzoo.data import manifest as manifest_mod
from attnzoo.data.registry import MARKER

A, B = b"Go.\tVa !\nHi.\tSalut !\n", b"readme text"


@pytest.fixture
def toy(tmp_path, cache, sandbox):
    """Dataset 'toy' (a.txt with a catalog sha256, b.txt without) served by fake client 'cache-fake'."""
    arc = tmp_path / "toy-1.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        for name, data in (("toy-1/a.txt", A), ("toy-1/b.txt", B)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    calls = []

    @register_client("cache-fake")
    def _client(spec, workdir):
        calls.append(spec.name)
        return arc

    files = (
        DataFile("a.txt", ("toy-1/a.txt",), hashlib.sha256(A).hexdigest()),
        DataFile("b.txt", ("toy-1/b.txt",)),
    )
    register_dataset(
        DatasetSpec("toy", "cache-fake", "toy==1", arc.name, sha256_file(arc), files, "toy", "none")
    )
    return cache / "toy", calls


def _marker(folder):
    return json.loads((folder / MARKER).read_text())


def _age(folder, seconds=60):
    """Make the files' mtimes older than their records by ``seconds`` (records no longer 'racy')."""
    marker = _marker(folder)
    for name, rec in marker["manifest"].items():
        t = rec["recorded_ns"] - seconds * 10**9
        os.utime(folder / name, ns=(t, t))
        rec["mtime_ns"] = t
    (folder / MARKER).write_text(json.dumps(marker))


def _hashes(monkeypatch):
    seen = []
    real = manifest_mod.sha256_file
    monkeypatch.setattr(manifest_mod, "sha256_file", lambda p: seen.append(p.name) or real(p))
    return seen


def test_fetch_records_size_mtime_and_sha256_of_every_file(toy):
    folder, _ = toy
    fetch("toy")
    man = _marker(folder)["manifest"]
    assert sorted(man) == ["a.txt", "b.txt"]
    assert man["a.txt"]["size"] == len(A) and man["a.txt"]["sha256"] == hashlib.sha256(A).hexdigest()
    assert man["b.txt"]["mtime_ns"] == (folder / "b.txt").stat().st_mtime_ns


def test_unchanged_files_cost_a_stat_not_a_hash(toy, monkeypatch):
    folder, _ = toy
    fetch("toy")
    _age(folder)
    seen = _hashes(monkeypatch)
    assert dataset_path("toy") == folder and is_fetched("toy")
    assert seen == []


def test_a_file_cut_short_is_refused_by_name(toy):
    folder, calls = toy
    fetch("toy")
    (folder / "a.txt").write_bytes(A[:5])  # like fra.txt cut to a third
    for call in (lambda: dataset_path("toy"), lambda: fetch("toy")):
        with pytest.raises(DatasetCorruptedError) as info:
            call()
        msg = str(info.value)
        assert str(folder / "a.txt") in msg and "5 bytes" in msg and f"recorded {len(A)}" in msg
        assert "attnzoo data fetch toy --force" in msg and "attnzoo data verify toy" in msg
    assert not is_fetched("toy") and calls == ["toy"]  # fetch without --force did not replace the copy


def test_same_size_edit_is_found_by_the_hash_the_new_mtime_asks_for(toy):
    folder, _ = toy
    fetch("toy")
    _age(folder)
    (folder / "b.txt").write_bytes(B.upper())  # same size; no catalog sha256: the recorded one is used
    with pytest.raises(
        DatasetCorruptedError, match=r"b.txt has sha256 .* expects " + hashlib.sha256(B).hexdigest()
    ):
        dataset_path("toy")


def test_touched_file_is_hashed_once_then_trusted(toy, monkeypatch):
    folder, _ = toy
    fetch("toy")
    _age(folder)
    old = _marker(folder)["manifest"]["a.txt"]["mtime_ns"]
    os.utime(folder / "a.txt", ns=(old - 10**11, old - 10**11))  # e.g. copied without keeping mtimes
    seen = _hashes(monkeypatch)
    assert dataset_path("toy") == folder and seen == ["a.txt"]
    assert _marker(folder)["manifest"]["a.txt"]["mtime_ns"] == old - 10**11
    dataset_path("toy")
    assert seen == ["a.txt"]


def test_racy_record_is_hashed_even_when_mtime_and_size_match(toy):
    # written in the same clock tick as the record: mtime and size cannot show the change, the hash does
    folder, _ = toy
    fetch("toy")
    st = (folder / "b.txt").stat()
    (folder / "b.txt").write_bytes(B.upper())
    os.utime(folder / "b.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(DatasetCorruptedError, match=r"b.txt has sha256"):
        dataset_path("toy")


def test_verify_hashes_everything_and_catches_a_forged_mtime(toy):
    folder, _ = toy
    fetch("toy")
    _age(folder)
    st = (folder / "a.txt").stat()
    (folder / "a.txt").write_bytes(A.upper())
    os.utime(folder / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert dataset_path("toy") == folder  # the cheap check is fooled by a forged mtime ...
    problems = verify_dataset("toy")  # ... a full verify is not
    assert len(problems) == 1 and str(folder / "a.txt") in problems[0] and "sha256" in problems[0]


def test_missing_file_of_a_complete_copy(toy):
    folder, _ = toy
    fetch("toy")
    (folder / "b.txt").unlink()
    with pytest.raises(DatasetCorruptedError, match=r"b.txt is missing from dataset 'toy'"):
        dataset_path("toy")


def test_force_refetches_over_a_changed_copy(toy):
    folder, calls = toy
    fetch("toy")
    (folder / "a.txt").write_bytes(b"x")
    fetch("toy", force=True)
    assert calls == ["toy", "toy"] and (folder / "a.txt").read_bytes() == A
    assert dataset_path("toy") == folder and verify_dataset("toy") == []


def test_cache_of_the_previous_version_is_checked_then_given_a_manifest(toy):
    folder, _ = toy
    fetch("toy")
    marker = _marker(folder)
    del marker["manifest"]  # what the previous version wrote: only sha256s under "files"
    (folder / MARKER).write_text(json.dumps(marker))
    assert dataset_path("toy") == folder
    assert sorted(_marker(folder)["manifest"]) == ["a.txt", "b.txt"]

    for name, data, expected in (("a.txt", A, "catalog"), ("b.txt", B, "marker")):
        (folder / MARKER).write_text(json.dumps(marker))
        (folder / name).write_bytes(data[::-1])
        with pytest.raises(DatasetCorruptedError, match=rf"{name} has sha256 .* expects") as info:
            dataset_path("toy")  # a.txt against the catalog's sha256, b.txt against the old marker's
        assert hashlib.sha256(data).hexdigest() in str(info.value), expected
        (folder / name).write_bytes(data)


def test_files_placed_by_hand_are_recorded_and_then_watched(toy):
    folder, calls = toy
    folder.mkdir(parents=True)
    (folder / "a.txt").write_bytes(A)
    (folder / "b.txt").write_bytes(B)
    assert dataset_path("toy") == folder and calls == []
    marker = _marker(folder)
    assert marker["placed_by_hand"] and sorted(marker["manifest"]) == ["a.txt", "b.txt"]
    (folder / "b.txt").write_bytes(B + b"more")
    with pytest.raises(DatasetCorruptedError, match=r"b.txt has .* bytes but dataset 'toy' recorded"):
        dataset_path("toy")


def test_read_only_marker_still_works(toy, monkeypatch):
    folder, _ = toy
    fetch("toy")

    def refuse(folder, info):
        raise PermissionError("read-only file system")

    monkeypatch.setattr("attnzoo.data.registry._write_marker", refuse)
    assert dataset_path("toy") == folder  # the refreshed record could not be written: checked again next time


def test_cli_verify_list_and_fetch_force(toy, capsys):
    folder, _ = toy
    assert cli_main(["verify"]) == 0 and "no dataset in the cache" in capsys.readouterr().out
    assert cli_main(["verify", "toy"]) == 1 and "not in the cache" in capsys.readouterr().err
    assert cli_main(["verify", "nope"]) == 2 and "unknown dataset 'nope'" in capsys.readouterr().err
    assert cli_main(["fetch", "toy"]) == 0
    capsys.readouterr()
    assert cli_main(["verify", "toy"]) == 0 and "toy: ok (2 files" in capsys.readouterr().out
    (folder / "a.txt").write_bytes(A[::-1])
    assert cli_main(["verify"]) == 1
    err = capsys.readouterr().err
    assert "toy: CHANGED" in err and str(folder / "a.txt") in err and "--force" in err
    cli_main(["list"])
    assert "CHANGED" in next(x for x in capsys.readouterr().out.splitlines() if x.startswith("toy ")).split()
    assert cli_main(["path", "toy"]) == 1 and "a.txt" in capsys.readouterr().err
    assert cli_main(["fetch", "toy"]) == 1 and "attnzoo data fetch toy --force" in capsys.readouterr().err
    assert cli_main(["fetch", "toy", "--force"]) == 0
    capsys.readouterr()
    assert cli_main(["verify", "toy"]) == 0 and (folder / "a.txt").read_bytes() == A


def test_verify_reports_a_wrong_file_placed_by_hand(toy):
    folder, _ = toy
    folder.mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"wrong")
    (folder / "b.txt").write_bytes(B)
    problems = verify_dataset("toy")
    assert len(problems) == 1 and "a.txt has sha256" in problems[0]
    (folder / "b.txt").unlink()
    with pytest.raises(DatasetNotFetchedError):
        verify_dataset("toy")


def test_concurrent_refreshes_never_leave_a_half_written_marker(toy):
    # just fetched, the records are "racy": every use re-hashes and rewrites the marker, here from 4 threads
    from concurrent.futures import ThreadPoolExecutor

    folder, _ = toy
    fetch("toy")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: dataset_path("toy"), range(40)))
    assert results == [folder] * 40
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, "a.txt", "b.txt"]  # no temp file left
    assert (folder / MARKER).stat().st_mode & 0o777 == 0o644
