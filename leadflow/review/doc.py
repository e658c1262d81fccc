"""A tiny document model shared by every offline tool's output: headings, paragraphs,
tables, lists and figures, rendered as aligned plain text, Markdown or one self-contained
HTML page (the simulator report's page shell, style sheet and SVG figures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from simulator.report.figure import Plot


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    left: int = 1  # the first LEFT columns are left-aligned, the rest right-aligned
    marks: list[str] = field(default_factory=list)  # per row: "", "ok", "bad" (HTML colour)
    wrap: tuple[int, ...] = ()  # columns of words (HTML: may wrap, so the table fits the page)


@dataclass
class Section:
    key: str
    title: str
    parts: list[str | Table | list[str] | Plot] = field(default_factory=list)


@dataclass
class Doc:
    title: str
    sub: str
    sections: list[Section]
    footer: str = ""
    banner: str = ""  # a caveat shown on top of every rendering


def _text_table(t: Table) -> list[str]:
    body = [t.header, *t.rows]
    widths = [max(len(r[i]) for r in body) for i in range(len(t.header))]
    lines = [t.caption] if t.caption else []
    for k, row in enumerate([t.header, ["-" * w for w in widths], *t.rows]):
        cells = [
            c.ljust(w) if i < t.left else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        del k
    return lines


def render_text(doc: Doc) -> str:
    out = [doc.title, "=" * len(doc.title), doc.sub]
    if doc.banner:
        out += ["", f"NOTE: {doc.banner}"]
    for s in doc.sections:
        out += ["", s.title, "-" * len(s.title)]
        for part in s.parts:
            if isinstance(part, Table):
                out += _text_table(part)
            elif isinstance(part, list):
                out += [f"  - {item}" for item in part]
            elif isinstance(part, Plot):
                out.append(f"[figure: {part.alt}]")
            else:
                out.append(part)
            out.append("")
        while out and out[-1] == "":
            out.pop()
    if doc.footer:
        out += ["", doc.footer]
    return "\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(doc: Doc) -> str:
    out = [f"# {doc.title}", "", doc.sub]
    if doc.banner:
        out += ["", f"> **Note:** {doc.banner}"]
    for s in doc.sections:
        out += ["", f"## {s.title}", ""]
        for part in s.parts:
            if isinstance(part, Table):
                if part.caption:
                    out += [f"*{part.caption}*", ""]
                out.append("| " + " | ".join(_md_cell(h) for h in part.header) + " |")
                out.append(
                    "|" + "|".join(
                        ":---" if i < part.left else "---:" for i in range(len(part.header))
                    ) + "|"
                )
                out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in part.rows]
            elif isinstance(part, list):
                out += [f"- {item}" for item in part]
            elif isinstance(part, Plot):
                out.append(f"*(figure: {part.alt}; see the HTML rendering)*")
            else:
                out.append(part)
            out.append("")
        while out and out[-1] == "":
            out.pop()
    if doc.footer:
        out += ["", f"---\n{doc.footer}"]
    return "\n".join(out) + "\n"


EXTRA_CSS = """
.banner.caveat { background: #fff8c5; border: 1px solid #d4a72c; }
tr.bad td { color: var(--bad); } tr.ok td { color: var(--ok); }
td.l, th.l { text-align: left; white-space: normal; }
td.w, th.w { white-space: normal; min-width: 8em; }
section p { margin: 6px 0; }
"""


def _html_table(t: Table) -> str:
    cap = f"<caption>{escape(t.caption)}</caption>" if t.caption else ""

    def col(i: int) -> str:
        return " class=l" if i < t.left else " class=w" if i in t.wrap else ""

    head = "".join(f'<th scope="col"{col(i)}>{escape(h)}</th>' for i, h in enumerate(t.header))
    body = []
    for k, row in enumerate(t.rows):
        mark = t.marks[k] if k < len(t.marks) else ""
        cls = f' class="{mark}"' if mark else ""
        cells = "".join(f"<td{col(i)}>{escape(c)}</td>" for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return (f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def render_html(doc: Doc) -> str:
    from simulator.report.page import page, section

    body = []
    if doc.banner:
        body.append(f'<div class="banner caveat">{escape(doc.banner)}</div>')
    for s in doc.sections:
        inner = []
        for part in s.parts:
            if isinstance(part, Table):
                inner.append(_html_table(part))
            elif isinstance(part, list):
                inner.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in part) + "</ul>")
            elif isinstance(part, Plot):
                inner.append(f"<figure>{part.img()}</figure>")
            else:
                inner.append(f"<p>{escape(part)}</p>")
        body.append(section(s.key, s.title, "".join(inner)))
    html = page(doc.title, doc.sub, body, doc.footer)
    return html.replace("</style>", EXTRA_CSS + "</style>", 1)


def render(doc: Doc, fmt: str) -> str:
    if fmt == "markdown":
        return render_markdown(doc)
    if fmt == "html":
        return render_html(doc)
    return render_text(doc)


__all__ = ["Doc", "Section", "Table", "render", "render_html", "render_markdown", "render_text"]
