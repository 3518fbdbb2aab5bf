#!/usr/bin/env python3
"""Extracts the C++ code blocks of a Markdown document (README.md, docs/GUIDE.md), so that the
build compiles them.

Every fenced block whose info string is exactly `cpp` (```cpp) becomes
<output-dir>/snippet_<n>.cpp, numbered from 1 in document order. A `#line` directive makes
compiler errors point at the document itself. Blocks fenced as anything else (```c++, ```text,
```cmake, ...) are left alone: use that to show code that is not meant to compile.

A snippet with a main() is built and run by CTest; one without is compiled as an object
file, so it must still be complete code (its own includes, declarations inside functions).

Usage:
    python3 tools/extract_snippets.py README.md --output-dir DIR
        write the snippets (files whose text has not changed are not touched, stale ones are
        removed) and print their paths, one a line
    python3 tools/extract_snippets.py README.md --output-dir DIR --check
        write nothing; exit 1 if DIR does not hold exactly what README.md yields now
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

OPENING_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")


class SnippetError(Exception):
    pass


def extract(readme: Path) -> list[tuple[int, str]]:
    """Returns (line of the first code line, code) for each ```cpp block, in order."""
    snippets: list[tuple[int, str]] = []
    lines = readme.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = OPENING_FENCE.match(lines[index])
        index += 1
        if not opening:
            continue
        indent, fence, info = opening.group("indent"), opening.group("fence"), opening.group("info")
        closing = re.compile(r"^\s*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        start = index
        while index < len(lines) and not closing.match(lines[index]):
            index += 1
        if index == len(lines):
            raise SnippetError(f"{readme}:{start}: code block is never closed")
        if info == "cpp":
            body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                    for line in lines[start:index]]
            snippets.append((start + 1, "\n".join(body)))
        index += 1  # past the closing fence
    return snippets


def render(readme: Path, first_line: int, code: str) -> str:
    return (f"// Extracted from {readme.name} by tools/extract_snippets.py: edit {readme.name}, not this file.\n"
            f'#line {first_line} "{readme.as_posix()}"\n'
            f"{code}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description="Extract a Markdown document's ```cpp blocks.")
    parser.add_argument("readme", type=Path)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if --output-dir is out of date with the README")
    args = parser.parse_args()

    readme: Path = args.readme.resolve()
    output_dir: Path = args.output_dir
    try:
        snippets = extract(readme)
    except (OSError, SnippetError) as error:
        print(f"extract_snippets.py: error: {error}", file=sys.stderr)
        return 2

    wanted = {output_dir / f"snippet_{n}.cpp": render(readme, first_line, code)
              for n, (first_line, code) in enumerate(snippets, start=1)}
    existing = set(output_dir.glob("snippet_*.cpp")) if output_dir.is_dir() else set()

    if args.check:
        stale = sorted(str(path) for path in existing - wanted.keys())
        changed = sorted(str(path) for path, text in wanted.items()
                         if not path.is_file() or path.read_text(encoding="utf-8") != text)
        if not stale and not changed:
            print(f"extract_snippets.py: the {len(wanted)} snippets of {readme.name} are up to date")
            return 0
        print(f"extract_snippets.py: {readme.name} changed after the build was configured "
              f"({len(wanted)} ```cpp blocks now, {len(existing)} then); build again (it re-runs "
              f"cmake) to compile and run the README as it is now", file=sys.stderr)
        for path in changed + stale:
            print(f"  out of date: {path}", file=sys.stderr)
        return 1

    output_dir.mkdir(parents=True, exist_ok=True)
    for path in existing - wanted.keys():
        path.unlink()
    for path, text in wanted.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
        print(path.as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main())
