"""The README's table of contents, generated from its `## ` headings.

`venv/bin/python tools/readme_toc.py` rewrites the block between the toc markers in
README.md; `make toc` runs it and tests/test_readme_toc.py fails when the block is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- toc -->", "<!-- /toc -->"


def anchor(heading: str, seen: dict[str, int]) -> str:
    """GitHub's anchor: lower case, punctuation dropped, spaces to hyphens, -N for repeats."""
    slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return f"{slug}-{count}" if count else slug


def headings(text: str) -> list[str]:
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("## ") and line != "## Contents":
            found.append(line[3:].strip())
    return found


def table_of_contents(text: str) -> str:
    seen: dict[str, int] = {}
    return "\n".join(f"- [{heading}](#{anchor(heading, seen)})" for heading in headings(text))


def with_toc(text: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"README.md has no {START} ... {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table_of_contents(text)}\n{END}{tail}"


def main() -> int:
    try:
        README.write_text(with_toc(README.read_text(encoding="utf-8")), encoding="utf-8")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
