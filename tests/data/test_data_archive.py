"""Safe extraction: traversal, absolute paths and outside links are refused before anything is written."""

import io
import os
import stat
import tarfile
import zipfile

import pytest

from attnzoo.data import UnsafeArchiveError, extract_members, sha256_file, verify_sha256


def _tar(path, members, mode="w:gz"):
    """members: list of (name, bytes) for files, or (name, TarInfo-type, linkname)."""
    with tarfile.open(path, mode) as tf:
        for m in members:
            info = tarfile.TarInfo(m[0])
            if len(m) == 2:
                info.size = len(m[1])
                tf.addfile(info, io.BytesIO(m[1]))
            else:
                info.type, info.linkname = m[1], m[2]
                tf.addfile(info)
    return path


def _zip(path, members):
    """members: list of (name, bytes) or (name, bytes, 'symlink')."""
    with zipfile.ZipFile(path, "w") as zf:
        for m in members:
            info = zipfile.ZipInfo(m[0])
            if len(m) == 3:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, m[1])
    return path


@pytest.mark.parametrize("kind", ["tar.gz", "tar", "zip"])
def test_extracts_all_or_selected_members(tmp_path, kind):
    files = [("top/a.txt", b"alpha"), ("top/sub/b.bin", b"\x00\x01"), ("./top/c.txt", b"gamma")]
    arc = tmp_path / f"x.{kind}"
    _zip(arc, files) if kind == "zip" else _tar(arc, files, "w:gz" if kind == "tar.gz" else "w")
    written = extract_members(arc, tmp_path / "all")
    assert len(written) == 3
    assert (tmp_path / "all/top/sub/b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "all/top/c.txt").read_bytes() == b"gamma"
    extract_members(arc, tmp_path / "one", ["./top/a.txt"])
    assert [p.name for p in (tmp_path / "one").rglob("*") if p.is_file()] == ["a.txt"]


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_missing_member_names_lookalikes(tmp_path, kind):
    arc = tmp_path / f"x.{kind}"
    files = [("pkg/data/fra.txt", b"x")]
    _zip(arc, files) if kind == "zip" else _tar(arc, files)
    with pytest.raises(KeyError, match=r"no member 'data/fra.txt'.*pkg/data/fra.txt"):
        extract_members(arc, tmp_path / "out", ["data/fra.txt"])


BAD_TAR = [
    ("dotdot", [("ok.txt", b"fine"), ("../evil.txt", b"bad")], "contains '..'"),
    ("nested dotdot", [("a/../../evil.txt", b"bad")], "contains '..'"),
    ("absolute", [("ok.txt", b"fine"), ("/tmp/evil.txt", b"bad")], "absolute path"),
    ("symlink out", [("ok.txt", b"fine"), ("link", tarfile.SYMTYPE, "../../etc/passwd")], "links outside"),
    ("symlink abs", [("link", tarfile.SYMTYPE, "/etc/passwd")], "absolute path"),
    ("hardlink out", [("ok.txt", b"fine"), ("d/hard", tarfile.LNKTYPE, "../../x")], "links outside"),
    ("fifo", [("ok.txt", b"fine"), ("pipe", tarfile.FIFOTYPE, "")], "special file"),
]


@pytest.mark.parametrize(("label", "members", "message"), BAD_TAR, ids=[b[0] for b in BAD_TAR])
def test_unsafe_tar_refused_before_writing(tmp_path, label, members, message):
    arc = _tar(tmp_path / "bad.tar.gz", members)
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=message):
        extract_members(arc, dest)
    assert list(dest.rglob("*")) == []  # not even the safe member was written
    assert not (tmp_path / "evil.txt").exists()


BAD_ZIP = [
    ("dotdot", [("ok.txt", b"fine"), ("../evil.txt", b"bad")], "contains '..'"),
    ("absolute", [("ok.txt", b"fine"), ("/tmp/evil.txt", b"bad")], "absolute path"),
    ("drive", [("C:/evil.txt", b"bad")], "absolute path"),
    ("backslash", [("..\\evil.txt", b"bad")], "contains '..'"),
    ("symlink out", [("ok.txt", b"fine"), ("link", b"../../etc/passwd", "symlink")], "links outside"),
    ("symlink abs", [("link", b"/etc/passwd", "symlink")], "absolute path"),
]


@pytest.mark.parametrize(("label", "members", "message"), BAD_ZIP, ids=[b[0] for b in BAD_ZIP])
def test_unsafe_zip_refused_before_writing(tmp_path, label, members, message):
    arc = _zip(tmp_path / "bad.zip", members)
    assert zipfile.ZipFile(arc).namelist()[-1] == members[-1][0]  # the crafted name really is in the file
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=message):
        extract_members(arc, dest)
    assert list(dest.rglob("*")) == []


def test_link_inside_archive_is_kept(tmp_path):
    arc = _tar(tmp_path / "x.tar", [("d/real.txt", b"data"), ("d/alias", tarfile.SYMTYPE, "real.txt")], "w")
    extract_members(arc, tmp_path / "out")
    assert os.readlink(tmp_path / "out/d/alias") == "real.txt"
    assert (tmp_path / "out/d/alias").read_bytes() == b"data"


def test_member_through_a_symlinked_folder_refused(tmp_path):
    # the link itself points inside, but the folder it names is outside once resolved at write time
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "out"
    dest.mkdir()
    os.symlink(outside, dest / "d")
    arc = _tar(tmp_path / "x.tar", [("d/evil.txt", b"bad")], "w")
    with pytest.raises(UnsafeArchiveError, match=r"outside"):
        extract_members(arc, dest)
    assert list(outside.iterdir()) == []


CHAINS = [
    # "y" -> "." and "x" -> "y/y/.." look inside textually, but x really resolves to the parent of out/
    ("two", [("y", tarfile.SYMTYPE, "."), ("x", tarfile.SYMTYPE, "y/y/..")], "resolves outside"),
    (
        "three",
        [
            ("ok.txt", b"fine"),
            ("a", tarfile.SYMTYPE, "."),
            ("b", tarfile.SYMTYPE, "a/a"),
            ("c", tarfile.SYMTYPE, "b/.."),
        ],
        "resolves outside",
    ),
    ("via folder", [("d/up", tarfile.SYMTYPE, ".."), ("d/x", tarfile.SYMTYPE, "up/..")], "resolves outside"),
    (
        "loop",
        [("ok.txt", b"fine"), ("p", tarfile.SYMTYPE, "q"), ("q", tarfile.SYMTYPE, "p/x")],
        "loop of links",
    ),
]


@pytest.mark.parametrize(("label", "members", "message"), CHAINS, ids=[c[0] for c in CHAINS])
def test_chained_links_that_escape_refused_before_writing(tmp_path, label, members, message):
    arc = _tar(tmp_path / "x.tar", members, "w")
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=message):
        extract_members(arc, dest)
    assert [p.name for p in dest.iterdir()] == []  # no link (nor the safe file) was written first


def test_chained_zip_links_refused_before_writing(tmp_path):
    arc = _zip(tmp_path / "x.zip", [("y", b".", "symlink"), ("x", b"y/y/..", "symlink")])
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match="resolves outside"):
        extract_members(arc, dest)
    assert [p.name for p in dest.iterdir()] == []


def test_chain_of_links_inside_is_kept(tmp_path):
    members = [("d/real.txt", b"data"), ("d/a", tarfile.SYMTYPE, "real.txt"), ("b", tarfile.SYMTYPE, "d/a")]
    extract_members(_tar(tmp_path / "x.tar", members, "w"), tmp_path / "out")
    assert (tmp_path / "out/b").read_bytes() == b"data"


@pytest.mark.parametrize(
    ("members", "target"),
    [
        (
            [("real.txt", b"data"), ("sym", tarfile.SYMTYPE, "real.txt"), ("hard", tarfile.LNKTYPE, "sym")],
            "sym",
        ),
        ([("hard", tarfile.LNKTYPE, "later.txt"), ("later.txt", b"data")], "later.txt"),
        ([("d", tarfile.DIRTYPE, ""), ("hard", tarfile.LNKTYPE, "d")], "d"),
        ([("hard", tarfile.LNKTYPE, "ghost")], "ghost"),
    ],
    ids=["to-symlink", "to-later-file", "to-folder", "to-missing"],
)
def test_hardlink_to_a_non_file_is_the_modules_error(tmp_path, members, target):
    arc = _tar(tmp_path / "x.tar", members, "w")
    dest = tmp_path / "out"
    with pytest.raises(
        UnsafeArchiveError, match=rf"hardlink 'hard' points to '{target}', which is not a regular"
    ):
        extract_members(arc, dest)  # was tarfile's KeyError
    assert list(dest.iterdir()) == []


def test_hardlink_to_a_file_and_to_a_hardlink_extract(tmp_path):
    members = [("real.txt", b"data"), ("h1", tarfile.LNKTYPE, "real.txt"), ("h2", tarfile.LNKTYPE, "h1")]
    extract_members(_tar(tmp_path / "x.tar", members, "w"), tmp_path / "out")
    assert (tmp_path / "out/h1").read_bytes() == (tmp_path / "out/h2").read_bytes() == b"data"


def test_not_an_archive(tmp_path):
    (tmp_path / "f.txt").write_text("plain text")
    with pytest.raises(ValueError, match=r"neither a tar nor a zip"):
        extract_members(tmp_path / "f.txt", tmp_path / "out")


def test_sha256(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2 test vector
    assert sha256_file(p) == digest
    verify_sha256(p, digest.upper())
    with pytest.raises(ValueError, match=r"sha256 mismatch.*expected 00"):
        verify_sha256(p, "00" * 32)
