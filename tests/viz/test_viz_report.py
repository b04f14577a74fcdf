"""The HTML report (escaping, relative figure links, command and version, atomic write); word highlights."""

import html
import re

import numpy as np
import pytest
import torch

from attnzoo.viz import Report, attention_heatmap, highlight_words_html, highlight_words_terminal, write_index

EVIL = '<script>alert("x")</script>'


def test_report_escapes_and_links_figures(tmp_path):
    png = tmp_path / "given.png"
    attention_heatmap(np.eye(3), path=png, dpi=50)
    fig = attention_heatmap(np.ones((2, 2)), dpi=50)
    r = Report(f"title {EVIL}", ["attnzoo", "run", "x", "--note", EVIL])
    r.add_heading(f"section {EVIL}")
    r.add_text(
        f"# Results\n\nsome **bold** and `code` and {EVIL}\n\n- one\n- two [docs](https://example.org/a)"
    )
    r.add_text("[bad](javascript:alert(1)) and [rel](../other/index.html)")
    r.add_table([{"model": EVIL, "bleu": 12.3456789}, {"model": "b", "loss": np.float32(0.5)}], caption=EVIL)
    r.add_table([["a", 1], ["b", 2]], header=["name", "n"])
    r.add_figure(fig, f"caption {EVIL}")
    r.add_figure(png)
    r.add_code(EVIL)
    r.add_html("<b>raw</b>")
    out = r.write(tmp_path / "report")
    page = out.read_text()
    assert out == tmp_path / "report" / "index.html"
    assert "<script>" not in page and page.count(html.escape(EVIL)) >= 6
    assert "attnzoo run x --note" in html.unescape(page) and "command:" in page
    assert re.search(r"attnzoo \d+\.\d+\.\d+.* \d{4}-\d\d-\d\d \d\d:\d\d UTC", page)
    assert "<h2>Results</h2>" in page and "<strong>bold</strong>" in page and "<code>code</code>" in page
    assert "<li>one</li>" in page and '<a href="https://example.org/a">docs</a>' in page
    assert 'href="javascript' not in page and '<a href="../other/index.html">rel</a>' in page
    assert "<th>model</th><th>bleu</th><th>loss</th>" in page and ">12.35<" in page and ">0.5<" in page
    assert "<b>raw</b>" in page
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == 2
    for src in srcs:
        assert not src.startswith("/") and src.startswith("figures/")
        data = (out.parent / src).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out.parent / srcs[1]).read_bytes() == png.read_bytes()
    assert sorted(p.name for p in out.parent.iterdir()) == ["figures", "index.html"]  # no temp files left


def test_report_rewrite_and_errors(tmp_path):
    r = Report("t", "cmd")
    with pytest.raises(ValueError, match="table row 1 has 1 cells but the table has 2 columns"):
        r.add_table([["a", 1], ["b"]], header=["x", "y"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        r.add_figure(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="level must be"):
        r.add_heading("x", level=1)
    first = r.add_text("v1").write(tmp_path)
    r.add_text("v2").write(tmp_path)
    assert "v2" in first.read_text()


def test_write_index_relative_links(tmp_path):
    a = Report("A", "attnzoo run a").write(tmp_path / "runs" / "a")
    b_dir = tmp_path / "runs" / "b"
    Report("B", "attnzoo run b").write(b_dir)
    out = write_index(
        tmp_path / "tour" / "index.html",
        [{"title": "Report A", "path": a, "summary": EVIL, "status": "ok"}, {"title": EVIL, "path": b_dir}],
        command="attnzoo tour",
    )
    page = out.read_text()
    hrefs = re.findall(r'<a href="([^"]+)"', page)
    assert hrefs == ["../runs/a/index.html", "../runs/b/index.html"]
    assert all((out.parent / h).resolve().is_file() for h in hrefs)
    assert "<script>" not in page and '<span class="badge ok">ok</span>' in page and "attnzoo tour" in page
    with pytest.raises(ValueError, match=r"entries\[0\] needs 'title' and 'path'"):
        write_index(tmp_path / "x.html", [{"title": "no path"}])


WORDS = ["the", "<cat>", "sat", "&", "ran"]


@pytest.mark.parametrize(
    "weights", [np.array([0.1, 0.4, 0.2, 0.0, 0.3]), torch.tensor([1.0, 4.0, 2.0, 0.0, 3.0])]
)
def test_highlight_words_html(weights):
    out = highlight_words_html(WORDS, weights)
    spans = re.findall(r"<span [^>]*>(.*?)</span>", out)
    assert spans == [html.escape(w) for w in WORDS]
    alphas = [float(a) for a in re.findall(r"rgba\(\d+, \d+, \d+, ([\d.]+)\)", out)]
    assert alphas == pytest.approx([0.25, 1.0, 0.5, 0.0, 0.75], abs=1e-3)


def test_highlight_words_terminal():
    out = highlight_words_terminal(WORDS, [0.1, 0.4, 0.2, 0.0, 0.3])
    assert out.count("\x1b[0m") == len(WORDS)
    shades = [int(s) for s in re.findall(r"\x1b\[30;48;5;(\d+)m", out)]
    assert len(shades) == 5 and shades[1] == 196 and shades[3] == 231  # strongest red, white for zero
    assert re.sub(r"\x1b\[[\d;]*m", "", out) == " ".join(WORDS)


@pytest.mark.parametrize("fn", [highlight_words_html, highlight_words_terminal])
@pytest.mark.parametrize(
    ("weights", "kwargs", "message"),
    [
        ([0.5, 0.5], {}, "words has 5 items but weights has 2"),
        ([0.1, np.nan, 0, 0, 0], {}, "must be finite"),
        ([0.1, -0.2, 0, 0, 0], {}, "must be >= 0"),
        ([0.1, 2.0, 0, 0, 0], {"normalise": False}, r"must be in \[0, 1\]"),
        (np.ones((5, 1)), {}, "weights must be 1-D"),
    ],
)
def test_highlight_rejects_bad_weights(fn, weights, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fn(WORDS, weights, **kwargs)
