"""`attnzoo data list | fetch | path` as functions, offline with a fake client."""

import io
import tarfile

from attnzoo.data import DataFile, DatasetSpec, cli_main, register_client, register_dataset, sha256_file


def _toy(tmp_path):
    arc = tmp_path / "toy-1.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        info = tarfile.TarInfo("toy-1/a.txt")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))

    @register_client("cli-fake")
    def _client(spec, workdir):
        return arc

    register_dataset(
        DatasetSpec(
            "toy",
            "cli-fake",
            "toy==1",
            arc.name,
            sha256_file(arc),
            (DataFile("a.txt", ("toy-1/a.txt",)),),
            "a toy dataset",
            "none",
        )
    )


def test_cli_list_fetch_path(tmp_path, cache, sandbox, capsys):
    _toy(tmp_path)
    assert cli_main(["list"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("toy "))
    assert "no" in line.split() and "a toy dataset" in line and "mnist" in out and str(cache) in out
    assert cli_main(["path", "toy"]) == 1
    err = capsys.readouterr().err
    assert "attnzoo data fetch toy" in err and str(cache / "toy") in err
    assert cli_main(["fetch", "toy"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(cache / "toy") and "toy: done in" in captured.err
    assert cli_main(["path", "toy"]) == 0
    assert capsys.readouterr().out.strip() == str(cache / "toy")
    cli_main(["list"])
    assert "yes" in next(x for x in capsys.readouterr().out.splitlines() if x.startswith("toy ")).split()


def test_cli_unknown_name(cache, capsys):
    assert cli_main(["fetch", "nope"]) == 2
    assert "unknown dataset 'nope'; valid:" in capsys.readouterr().err
    assert cli_main(["path", "nope"]) == 2
    assert "valid:" in capsys.readouterr().err
