"""A page that links several reports (the tour's index): one card a report, written to be read.

A card shows the report's headline claim and whether it held, the numbers behind it, a thumbnail of its
most telling figure, its status and time, and the link; any further numbers are in a folded list. Nothing
is printed as a Python repr: numbers, lists and nested dicts are formatted by :func:`format_value`.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attnzoo._version import __version__
from attnzoo.viz.prose import inline_html, prose_html
from attnzoo.viz.report import _atomic_write, _page

__all__ = ["format_value", "write_index"]

_CARD_CSS = """<style>
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(17em, 1fr)); gap: 1em;
         margin: 1.2em 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .7em .9em; background: #fff; display: flex;
        flex-direction: column; gap: .35em; }
.card.failed { border-color: #e0a0a0; background: #fff8f8; }
.card h2 { font-size: 1.05em; margin: 0; } .card h2 a { color: #124; text-decoration: none; }
.card .thumb { display: block; height: 150px; background: #fafafa; border: 1px solid #eee;
               text-align: center; }
.card .thumb img { max-width: 100%; max-height: 148px; object-fit: contain; }
.card .claim { font-size: .98em; } .card .numbers { color: #444; font-size: .88em; }
.badge { display: inline-block; font-size: .78em; padding: 0 .45em; border-radius: 3px; font-weight: 600;
         white-space: nowrap; vertical-align: 1px; }
.badge.held { background: #dcf2dc; color: #185c18; } .badge.not-held { background: #fbe8c8; color: #7a4a00; }
.badge.unknown { background: #eee; color: #555; } .badge.ok { background: #e6eef8; color: #1f4a7a; }
.badge.failed { background: #f6d4d4; color: #8a1c1c; }
.card .error { color: #8a1c1c; font-size: .85em; white-space: pre-wrap; word-break: break-word; }
.card details { font-size: .85em; color: #444; } .card dl { margin: .3em 0 0 .2em; }
.card dt { font-weight: 600; } .card dd { margin: 0 0 .2em 1em; font-variant-numeric: tabular-nums; }
</style>"""


def _number(v: float) -> str:
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v == 0 or (float(v).is_integer() and abs(v) < 1e15):
        return f"{int(v):,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1e-3:
        return f"{v:.3g}"
    return f"{v:.2e}"


def format_value(value: Any) -> str:
    """A value as short readable text: 3 significant digits, lists joined, dicts as ``key value; ...``.

    Example: ``{"average": [0.94823, 0.0724], "n": 50}`` -> ``"average 0.948, 0.0724; n 50"``.
    """
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy / torch values
        value = value.tolist()
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return _number(float(value)) if isinstance(value, float) else f"{value:,}"
    if isinstance(value, Mapping):
        return "; ".join(f"{k} {format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner})" if any(isinstance(v, (list, tuple, Mapping)) for v in value) else inner
    return str(value)


def _details(value: Mapping[str, Any], depth: int = 0) -> str:
    """Nested dicts as nested definition lists (scalars and lists formatted inline)."""
    items = []
    for k, v in value.items():
        shown = (
            _details(v, depth + 1)
            if isinstance(v, Mapping) and v and depth < 3
            else html.escape(format_value(v))
        )
        items.append(f"<dt>{html.escape(str(k))}</dt><dd>{shown}</dd>")
    return "<dl>" + "".join(items) + "</dl>"


def _seconds(s: float) -> str:
    return (
        f"{s:.1f} s" if s < 10 else f"{s:.0f} s" if s < 100 else f"{int(s // 60)} min {round(s % 60):02d} s"
    )


def _claim_html(claim: Mapping[str, Any], i: int) -> str:
    if not isinstance(claim, Mapping) or not isinstance(claim.get("text"), str) or not claim["text"].strip():
        raise ValueError(f"entries[{i}]['claim'] must be a dict with a non-empty 'text', got {claim!r}")
    held = claim.get("held")
    if not any(held is v for v in (True, False, None)):  # identity: 1.0 == True must not pass
        raise ValueError(f"entries[{i}]['claim']['held'] must be True, False or None, got {held!r}")
    badge = {True: ("held", "held"), False: ("not-held", "did not hold"), None: ("unknown", "not measured")}
    cls, word = badge[held]
    out = [f'<div class="claim"><span class="badge {cls}">{word}</span> {inline_html(claim["text"])}</div>']
    numbers = claim.get("numbers")
    if numbers:
        shown = (
            " &middot; ".join(
                f"{html.escape(str(k))} <strong>{html.escape(format_value(v))}</strong>"
                for k, v in numbers.items()
            )
            if isinstance(numbers, Mapping)
            else html.escape(format_value(numbers))
        )
        out.append(f'<div class="numbers">{shown}</div>')
    if claim.get("note"):
        out.append(f'<div class="numbers">{inline_html(str(claim["note"]))}</div>')
    return "".join(out)


def _thumbnail(entry: Mapping[str, Any], folder: Path, out_dir: Path) -> str | None:
    """Relative link to the entry's thumbnail: as given, else the first PNG of its ``figures/``."""
    given = entry.get("thumbnail")
    path = None
    if given:
        p = Path(given)
        path = p if p.is_absolute() else folder / p
        if not path.is_file():
            path = None
    if path is None:
        figures = sorted((folder / "figures").glob("*.png")) if (folder / "figures").is_dir() else []
        path = figures[0] if figures else None
    if path is None:
        return None
    return Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()


def _card(i: int, e: Mapping[str, Any], out_dir: Path) -> str:
    if "title" not in e or "path" not in e:
        raise ValueError(f"entries[{i}] needs 'title' and 'path', got keys {sorted(e)}")
    target = Path(e["path"])
    folder, target = (target.parent, target) if target.suffix == ".html" else (target, target / "index.html")
    href = html.escape(Path(os.path.relpath(target.resolve(), out_dir.resolve())).as_posix())
    status = str(e.get("status") or "")
    failed = status.split(",")[0].strip() == "failed" or bool(e.get("error"))
    parts = []
    thumb = _thumbnail(e, folder, out_dir)
    if thumb:
        alt = html.escape(f"figure of {e['title']}")
        parts.append(
            f'<a class="thumb" href="{href}"><img src="{html.escape(thumb)}" alt="{alt}" loading="lazy"></a>'
        )
    meta = (
        [f'<span class="badge {"failed" if failed else "ok"}">{html.escape(status)}</span>'] if status else []
    )
    if e.get("seconds") is not None:
        meta.append(html.escape(_seconds(float(e["seconds"]))))
    parts.append(f'<h2><a href="{href}">{html.escape(str(e["title"]))}</a></h2>')
    if e.get("description"):
        parts.append(f'<div class="meta">{inline_html(str(e["description"]))}</div>')
    if e.get("claim") is not None:
        parts.append(_claim_html(e["claim"], i))
    elif e.get("summary") and not failed:
        parts.append(f'<div class="claim">{inline_html(str(e["summary"]))}</div>')
    if e.get("error"):
        parts.append(f'<div class="error">{html.escape(str(e["error"]))}</div>')
    meta_line = " &middot; ".join(meta + ([f"data: {inline_html(str(e['data']))}"] if e.get("data") else []))
    if meta_line:
        parts.append(f'<div class="meta">{meta_line}</div>')
    if e.get("details"):
        parts.append(f"<details><summary>all numbers</summary>{_details(e['details'])}</details>")
    return f'<div class="card{" failed" if failed else ""}">' + "\n".join(parts) + "</div>"


def write_index(
    out_path: str | os.PathLike,
    entries: Sequence[Mapping[str, Any]],
    *,
    title: str = "attnzoo reports",
    command: str | Sequence[str] | None = None,
    intro: str | None = None,
) -> Path:
    """Write a page of cards linking several reports (e.g. the tour's), with relative links.

    Args:
        out_path: the HTML file to write (atomically).
        entries: one dict a report; ``"title"`` and ``"path"`` (the report's index.html or its folder) are
            required, the rest optional: ``"status"`` (short text; "failed" or one starting "failed,"
            marks the card), ``"seconds"``, ``"description"`` (one line), ``"data"``, ``"claim"``
            (``{"text": sentence, "held": True | False | None, "numbers": {label: value}, "note": text}``),
            ``"summary"`` (text shown when there is no claim), ``"thumbnail"`` (image path, absolute or
            relative to the report's folder; default the first PNG in its ``figures/``), ``"error"``,
            ``"details"`` (a dict of further numbers, folded).
        title: page title.
        command: the command that produced the page.
        intro: prose under the title (reST/Markdown subset of :func:`attnzoo.viz.prose.prose_html`).

    Returns:
        ``out_path`` as a Path.
    """
    out_path = Path(out_path)
    cards = [_card(i, e, out_path.parent) for i, e in enumerate(entries)]
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = command if command is None or isinstance(command, str) else shlex.join(str(c) for c in command)
    meta = (
        f"command: <code>{html.escape(cmd)}</code><br>" if cmd else ""
    ) + f"attnzoo {__version__} &middot; {stamp}"
    body = (
        _CARD_CSS
        + (prose_html(intro) if intro else "")
        + '\n<div class="cards">\n'
        + "\n".join(cards)
        + "\n</div>"
    )
    _atomic_write(out_path, _page(title, body, meta))
    return out_path
