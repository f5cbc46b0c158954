"""Griffe extension for the docs: render the project's reST-flavoured docstrings as Markdown.

The docstrings are written for reading in the source: ``double backticks``, Sphinx roles
(:class:`X`), reST simple tables (``===  ===``) and definition-list sections (a title line, then
its text indented by four spaces). Markdown would show the indented text as a code block and
break the tables, so before mkdocstrings renders a docstring this extension rewrites it:

* a section title followed by an indented body becomes ``**Title**`` and the dedented body;
* a reST simple table becomes a preformatted block (its columns line up in the source);
* ``:role:`target``` becomes ```target``` (``~`` prefixes dropped).

Configured in ``mkdocs.yml`` under the mkdocstrings handler's ``extensions``.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|mod|meth|data|attr|exc|obj|const|ref):`~?([^`]+)`")
BORDER = re.compile(r"^\s*=+(\s+=+)+\s*$")
TITLE = re.compile(r"^[A-Z][\w ()/'-]{0,38}$")


def _tables(lines: list[str]) -> list[str]:
    """Fence each reST simple table (three border lines) as preformatted text."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if BORDER.match(lines[i]):
            borders = [j for j in range(i, len(lines)) if BORDER.match(lines[j])][:3]
            if len(borders) == 3:
                indent = len(lines[i]) - len(lines[i].lstrip())
                body = [line[indent:] for line in lines[i : borders[2] + 1]]
                out += ["", " " * indent + "```text", *(" " * indent + b for b in body)]
                out += [" " * indent + "```", ""]
                i = borders[2] + 1
                continue
        out.append(lines[i])
        i += 1
    return out


def _sections(lines: list[str]) -> list[str]:
    """``Title`` + 4-space-indented body -> ``**Title**`` + the dedented body."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        # a new item starts after a blank line or right after the previous item's indented body
        starts = i == 0 or not lines[i - 1].strip() or lines[i - 1].startswith("    ")
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if starts and TITLE.match(line) and nxt.startswith("    ") and nxt.strip():
            j = i + 1
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                j += 1
            body = textwrap.dedent("\n".join(lines[i + 1 : j])).split("\n")
            out += ["", f"**{line.strip()}**", "", *body, ""]
            i = j
            continue
        out.append(line)
        i += 1
    return out


def markdown(text: str) -> str:
    """The docstring ``text`` rewritten for Markdown (see the module docstring)."""
    text = ROLE.sub(r"`\1`", text)
    lines = _tables(text.split("\n"))
    return "\n".join(_sections(lines))


class RestDocstrings(griffe.Extension):
    """Rewrite every docstring before mkdocstrings parses it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
