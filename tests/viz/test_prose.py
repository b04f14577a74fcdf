"""Prose to HTML: the reST/Markdown subset, escaping, and no markup left in the recipes' own prose."""

import html
import importlib
import re
import sys

import pytest

from attnzoo.recipes import list_recipes
from attnzoo.viz import Report
from attnzoo.viz.prose import inline_html, prose_html

# Every recipe module named here is checked if it still exists (they may move into packages); whatever is
# registered is checked too, through its run function's module and the packages above it.
_KNOWN = ["nw_regression", "sentiment", "translate", "vision"]
_MARKUP = {
    "backtick": re.compile(r"`"),
    "role": re.compile(r":[a-z]+:"),
    "strong": re.compile(r"\*\*"),
    "emphasis": re.compile(r"(?<![\w*])\*(?=[^\s*]).*?(?<=[^\s*])\*(?![\w*])"),
    "markdown link": re.compile(r"\[[^\]]+\]\([^)]+\)"),
}


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("via :class:`attnzoo.train.Trainer`.", "via <code>attnzoo.train.Trainer</code>."),
        (":func:`~attnzoo.viz.attention_rollout`", "<code>attention_rollout</code>"),
        (":py:meth:`Report.write`", "<code>Report.write</code>"),
        (":ref:`the tour <tour-page>`", "the tour"),
        ("``x ~ U(0, 5)`` and ``a*b*c``", "<code>x ~ U(0, 5)</code> and <code>a*b*c</code>"),
        ("`code` and ``lit``", "<code>code</code> and <code>lit</code>"),
        ("against *all* translations", "against <em>all</em> translations"),
        ("**Data**: real", "<strong>Data</strong>: real"),
        ("2 * 3 * 4 and a*b", "2 * 3 * 4 and a*b"),
        ("`BLEU <https://x.org/b>`_ here", '<a href="https://x.org/b">BLEU</a> here'),
        ("[docs](../a/index.html)", '<a href="../a/index.html">docs</a>'),
        ("[bad](javascript:alert(1))", "[bad](javascript:alert(1))"),
        ("``<b>`` <i>", "<code>&lt;b&gt;</code> &lt;i&gt;"),
        ("a \x00 0 \x00 b", "a  0  b"),
    ],
)
def test_inline(text, expect):
    assert inline_html(text) == expect


def test_blocks():
    out = prose_html("# Results\n\nOne\nline::\n\n- a *b*\n- c\n\n1. x\n2) y\n\n#### deep")
    assert out.split("\n") == [
        "<h2>Results</h2>",
        "<p>One<br>",
        "line:</p>",
        "<ul><li>a <em>b</em></li><li>c</li></ul>",
        "<ol><li>x</li><li>y</li></ol>",
        "<h5>deep</h5>",
    ]
    evil = '<script>alert("x")</script>'
    assert "<script>" not in prose_html(f"*{evil}* `{evil}`")


def _visible(page_html: str) -> str:
    """The page's text outside code, with tags dropped and entities decoded."""
    body = page_html.split("<body>", 1)[1]
    body = re.sub(r"<code>.*?</code>", " ", body, flags=re.S)
    body = re.sub(r'<p class="meta">.*?</p>', " ", body, flags=re.S)  # the command line, in code
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _recipe_docstrings() -> dict[str, str]:
    docs = {}
    for name in _KNOWN:
        try:
            mod = importlib.import_module(f"attnzoo.recipes.{name}")
        except ImportError:
            continue
        docs[mod.__name__] = mod.__doc__ or ""
    for recipe in list_recipes():
        parts = recipe.run.__module__.split(".")
        for i in range(len(parts), 2, -1):  # the module and its packages, down to attnzoo.recipes
            mod = sys.modules[".".join(parts[:i])]
            docs[mod.__name__] = mod.__doc__ or ""
    return docs


def test_no_markup_survives_in_recipe_prose(tmp_path):
    docs = _recipe_docstrings()
    assert len(docs) >= 4, sorted(docs)
    report = Report("prose", "test")
    for text in docs.values():
        report.add_text(text)  # whole docstrings, as the recipes pass them (or parts of them)
    page = report.write(tmp_path).read_text()
    text = _visible(page)
    for what, pattern in _MARKUP.items():
        found = pattern.search(text)
        assert found is None, (
            f"{what} markup left in the rendered prose: ...{text[found.start() - 40 :][:80]}..."
        )
    assert "<code>attnzoo.train.Trainer</code>" in page  # roles became code, not deleted
