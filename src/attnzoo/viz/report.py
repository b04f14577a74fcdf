"""One HTML report format for every recipe: title, the command that made it, text, tables and figures.

Reports are self-contained folders (``index.html`` + ``figures/*.png``, relative links, inline CSS) so they
can be copied or opened from disk. All user text is HTML-escaped; only :meth:`Report.add_html` is raw.
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import os
import re
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attnzoo._version import __version__

__all__ = ["Report", "write_index"]

_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60em; margin: 2em auto;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.25em; margin-top: 1.6em; }
.meta { color: #666; font-size: .9em; } .meta code, pre { background: #f4f4f4; }
pre { padding: .6em; overflow-x: auto; font-size: .85em; } code { font-size: .92em; padding: 0 .2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; } th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption, figcaption { color: #555; font-size: .9em; caption-side: bottom; padding-top: .3em; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
"""

_INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    # links only to http(s) or relative paths; the text was escaped already
    (
        re.compile(r"\[([^\]]+)\]\(((?:https?://|\.{0,2}/|[\w.-]+(?:/|\.html|#))[^)\s]*)\)"),
        r'<a href="\2">\1</a>',
    ),
]


def _inline(text: str) -> str:
    out = html.escape(text)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def _markdown(text: str) -> str:
    """A small, safe subset: blank-line paragraphs, ``#`` headings, ``-`` lists, `code`, **bold**, links."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", lines[0])
        if heading and len(lines) == 1:
            level = min(len(heading.group(1)) + 1, 5)  # "#" is a section (h2); the report title is h1
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif all(ln[:2] in ("- ", "* ") for ln in lines):
            blocks.append("<ul>" + "".join(f"<li>{_inline(ln[2:])}</li>" for ln in lines) + "</ul>")
        else:
            blocks.append("<p>" + "<br>\n".join(_inline(ln) for ln in lines) + "</p>")
    return "\n".join(blocks)


def _cell(value: Any, floatfmt: str) -> tuple[str, bool]:
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy / torch scalars
        value = value.item()
    if isinstance(value, float):
        return format(value, floatfmt), True
    return html.escape(str(value)), isinstance(value, int)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _page(title: str, body: str, meta: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<h1>{html.escape(title)}</h1>\n<p class="meta">{meta}</p>\n{body}\n</body>\n</html>\n'
    )


class Report:
    """An HTML report being built; :meth:`write` puts ``index.html`` and its figures in a folder.

    Args:
        title: page title.
        command: the command that produced the report (a string or an argv list), shown at the top.

    Example:
        >>> r = Report("Bahdanau attention on fra-eng", "attnzoo run bahdanau --budget tiny")
        >>> r.add_text("BLEU on 1,000 held-out pairs.").add_table([{"model": "rnnsearch", "bleu": 12.3}])
        >>> r.add_figure(fig, "attention of one sentence"); r.write("runs/bahdanau")
    """

    def __init__(self, title: str, command: str | Sequence[str]) -> None:
        self.title = str(title)
        self.command = command if isinstance(command, str) else shlex.join(str(c) for c in command)
        self._parts: list[str | tuple[str, bytes, str, str | None]] = []  # html, or a figure to write

    def add_heading(self, text: str, level: int = 2) -> Report:
        """A section heading (``level`` 2-5; the title is level 1)."""
        if level not in (2, 3, 4, 5):
            raise ValueError(f"level must be 2, 3, 4 or 5, got {level}")
        self._parts.append(f"<h{level}>{html.escape(str(text))}</h{level}>")
        return self

    def add_text(self, text: str) -> Report:
        """Text (escaped) in a small markdown subset.

        Paragraphs split by blank lines, ``#`` headings, ``-`` lists, `code`, **bold**, and ``[text](url)``
        links to http(s) or relative addresses only.
        """
        self._parts.append(_markdown(str(text)))
        return self

    def add_code(self, text: str) -> Report:
        """Preformatted text (logs, configs), escaped."""
        self._parts.append(f"<pre>{html.escape(str(text))}</pre>")
        return self

    def add_html(self, raw: str) -> Report:
        """Raw HTML, inserted as is (e.g. from :func:`attnzoo.viz.highlight_words_html`)."""
        self._parts.append(str(raw))
        return self

    def add_table(
        self,
        rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
        *,
        header: Sequence[str] | None = None,
        caption: str | None = None,
        floatfmt: str = ".4g",
    ) -> Report:
        """A table from a list of dicts (columns in first-seen key order) or from rows plus ``header``.

        Args:
            rows: ``[{"model": "x", "bleu": 12.3}, ...]`` or ``[["x", 12.3], ...]``.
            header: column names for sequence rows (ignored for dict rows, whose keys are the header).
            caption: text under the table.
            floatfmt: format spec for floats.
        """
        rows = list(rows)
        if rows and isinstance(rows[0], Mapping):
            cols = list(dict.fromkeys(k for r in rows for k in r))
            body = [[r.get(c) for c in cols] for r in rows]
        else:
            cols, body = (list(header) if header is not None else None), [list(r) for r in rows]
            width = len(cols) if cols is not None else (len(body[0]) if body else 0)
            bad = [i for i, r in enumerate(body) if len(r) != width]
            if bad:
                raise ValueError(
                    f"table row {bad[0]} has {len(body[bad[0]])} cells but the table has {width} columns"
                )
        out = ["<table>"]
        if caption:
            out.append(f"<caption>{html.escape(str(caption))}</caption>")
        if cols:
            out.append("<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in cols) + "</tr>")
        for r in body:
            cells = [_cell(v, floatfmt) for v in r]
            tds = "".join(f'<td class="num">{t}</td>' if n else f"<td>{t}</td>" for t, n in cells)
            out.append(f"<tr>{tds}</tr>")
        out.append("</table>")
        self._parts.append("\n".join(out))
        return self

    def add_figure(
        self, figure: Any, caption: str | None = None, *, name: str | None = None, dpi: int = 150
    ) -> Report:
        """A figure: a matplotlib Figure (rendered to PNG now) or an image file (copied now).

        Args:
            figure: ``matplotlib.figure.Figure`` or path of a .png/.jpg/.svg file.
            caption: text under the figure (also the image's alt text).
            name: file name stem in ``figures/`` (default from the caption or the file name).
            dpi: resolution for a Figure.
        """
        if hasattr(figure, "savefig"):
            buf = io.BytesIO()
            figure.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
            data, suffix, stem = buf.getvalue(), ".png", name or caption or "figure"
        else:
            path = Path(figure)
            if not path.is_file():
                raise FileNotFoundError(f"figure file {path} does not exist")
            data, suffix, stem = path.read_bytes(), path.suffix.lower() or ".png", name or path.stem
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", str(stem)).strip("-")[:40] or "figure"
        self._parts.append(("figure", data, f"{slug}{suffix}", caption))
        return self

    def write(self, out_dir: str | os.PathLike) -> Path:
        """Write ``out_dir/index.html`` (atomically) and ``out_dir/figures/*``; return the HTML's path."""
        out_dir = Path(out_dir)
        (out_dir / "figures").mkdir(parents=True, exist_ok=True)
        body, n = [], 0
        for part in self._parts:
            if isinstance(part, str):
                body.append(part)
                continue
            _, data, fname, caption = part
            n += 1
            rel = f"figures/{n:02d}-{fname}"
            (out_dir / rel).write_bytes(data)
            cap = html.escape(str(caption)) if caption else ""
            body.append(
                f'<figure><img src="{html.escape(rel)}" alt="{cap or html.escape(fname)}">'
                + (f"<figcaption>{cap}</figcaption>" if cap else "")
                + "</figure>"
            )
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        meta = f"command: <code>{html.escape(self.command)}</code><br>attnzoo {__version__} &middot; {stamp}"
        path = out_dir / "index.html"
        _atomic_write(path, _page(self.title, "\n".join(body), meta))
        return path


def write_index(
    out_path: str | os.PathLike,
    entries: Sequence[Mapping[str, Any]],
    *,
    title: str = "attnzoo reports",
    command: str | Sequence[str] | None = None,
) -> Path:
    """Write a page linking several reports (e.g. the tour's), with relative links.

    Args:
        out_path: the HTML file to write (atomically).
        entries: ``{"title": ..., "path": report index.html or its folder, "summary": optional text,
            "status": optional short text such as "ok" or "failed"}``.
        title: page title.
        command: the command that produced the page.

    Returns:
        ``out_path`` as a Path.
    """
    out_path = Path(out_path)
    rows = []
    for i, e in enumerate(entries):
        if "title" not in e or "path" not in e:
            raise ValueError(f"entries[{i}] needs 'title' and 'path', got keys {sorted(e)}")
        target = Path(e["path"])
        target = target / "index.html" if target.suffix != ".html" else target
        href = Path(os.path.relpath(target.resolve(), out_path.parent.resolve())).as_posix()
        status = f' <span class="meta">[{html.escape(str(e["status"]))}]</span>' if e.get("status") else ""
        summary = (
            f'<br><span class="meta">{html.escape(str(e["summary"]))}</span>' if e.get("summary") else ""
        )
        rows.append(
            f'<li><a href="{html.escape(href)}">{html.escape(str(e["title"]))}</a>{status}{summary}</li>'
        )
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = command if command is None or isinstance(command, str) else shlex.join(str(c) for c in command)
    meta = (
        f"command: <code>{html.escape(cmd)}</code><br>" if cmd else ""
    ) + f"attnzoo {__version__} &middot; {stamp}"
    _atomic_write(out_path, _page(title, "<ul>\n" + "\n".join(rows) + "\n</ul>", meta))
    return out_path
