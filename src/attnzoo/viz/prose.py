"""Prose to safe HTML: the few reST and Markdown constructs that attnzoo's docstrings and reports use.

Everything is HTML-escaped first; then only these constructs become markup (anything else stays text):

- blocks: paragraphs split by blank lines, ``#`` headings (a line of its own), ``-`` / ``*`` bullet lists,
  ``1.`` numbered lists; a paragraph's closing reST ``::`` becomes ``:``;
- literals: reST ``double backticks``, Markdown single backticks, and Sphinx roles such as
  ``:class:`attnzoo.train.Trainer``` or ``:func:`~attnzoo.viz.attention_rollout``` (shown as code, ``~``
  keeping the last dotted name as Sphinx does; ``:ref:``/``:doc:``/``:cite:`` show their title as text);
- ``**strong**``, ``*emphasis*`` (reST's rule: the stars touch the word inside and not the words outside,
  so ``2 * 3 * 4`` stays as it is);
- links ``[text](url)`` and reST ```text <url>`_``, to http(s) or relative addresses only.
"""

from __future__ import annotations

import html
import re

__all__ = ["inline_html", "prose_html"]

_HOLE = "\x00{}\x00"  # placeholder for a finished piece; NUL never survives html.escape'd user text
_ROLE = re.compile(r":(?:[a-z]+:)?([a-z]+):`([^`]+)`")
_REST_LINK = re.compile(r"`([^`]+?)\s*&lt;((?:https?://|\.{0,2}/)[^`\s]*?)&gt;`__?")
_DOUBLE = re.compile(r"``(.+?)``")
_SINGLE = re.compile(r"`([^`]+)`")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(((?:https?://|\.{0,2}/|[\w.-]+(?:/|\.html|#))[^)\s]*)\)")
_STRONG = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")
_EMPH = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_TEXT_ROLES = ("ref", "doc", "cite", "term")


def _role(name: str, body: str) -> str:
    """The shown text of a Sphinx role, as HTML (its body is already escaped)."""
    titled = re.fullmatch(r"(.+?)\s*&lt;(.+)&gt;", body)  # "title <target>"
    if titled:
        body = titled.group(1)
    elif body.startswith("~"):
        body = body[1:].rsplit(".", 1)[-1]
    body = body.lstrip("!")
    return body if name in _TEXT_ROLES else f"<code>{body}</code>"


def inline_html(text: str) -> str:
    """One line or paragraph of prose as escaped HTML with its inline markup rendered (see the module)."""
    out = html.escape(str(text).replace("\x00", ""), quote=True)
    held: list[str] = []

    def hold(piece: str) -> str:
        held.append(piece)
        return _HOLE.format(len(held) - 1)

    out = _ROLE.sub(lambda m: hold(_role(m.group(1), m.group(2))), out)
    out = _REST_LINK.sub(lambda m: hold(f'<a href="{m.group(2)}">{m.group(1)}</a>'), out)
    out = _DOUBLE.sub(lambda m: hold(f"<code>{m.group(1)}</code>"), out)
    out = _SINGLE.sub(lambda m: hold(f"<code>{m.group(1)}</code>"), out)
    out = _MD_LINK.sub(r'<a href="\2">\1</a>', out)
    out = _STRONG.sub(r"<strong>\1</strong>", out)
    out = _EMPH.sub(r"<em>\1</em>", out)
    return re.sub("\x00(\\d+)\x00", lambda m: held[int(m.group(1))], out)


def prose_html(text: str) -> str:
    """Prose (a docstring, a report paragraph) as HTML blocks; every character of ``text`` is escaped.

    Args:
        text: plain text with the reST/Markdown subset of the module docstring.

    Returns:
        ``<p>``, ``<h2>``-``<h5>`` (``#`` is h2: a report's title is its h1), ``<ul>`` and ``<ol>`` blocks.
    """
    blocks = []
    for block in re.split(r"\n\s*\n", str(text).strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", lines[0])
        if heading and len(lines) == 1:
            level = len(heading.group(1)) + 1
            blocks.append(f"<h{level}>{inline_html(heading.group(2))}</h{level}>")
        elif all(ln[:2] in ("- ", "* ") for ln in lines):
            blocks.append("<ul>" + "".join(f"<li>{inline_html(ln[2:])}</li>" for ln in lines) + "</ul>")
        elif all(re.match(r"\d+[.)] ", ln) for ln in lines):
            items = (re.sub(r"^\d+[.)] ", "", ln) for ln in lines)
            blocks.append("<ol>" + "".join(f"<li>{inline_html(it)}</li>" for it in items) + "</ol>")
        else:
            if lines[-1].endswith("::"):  # reST: "text::" introduces a literal block and shows as "text:"
                lines[-1] = lines[-1][:-1]
            blocks.append("<p>" + "<br>\n".join(inline_html(ln) for ln in lines) + "</p>")
    return "\n".join(blocks)
