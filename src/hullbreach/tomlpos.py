"""Line numbers of keys in a TOML text, for error messages that point at the line.

``tomllib`` keeps no positions, so this small scanner follows ``[table]`` and ``[[array]]`` headers and
``key =`` lines. It is only used to name a line in an error; it never decides what a file means. Keys in
inline tables, and ``key =`` lines inside multi-line strings, are not told apart (the message then names the
nearest header or a wrong line of the same table).
"""

from __future__ import annotations

import re

_ARRAY = re.compile(r"^\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]")
_TABLE = re.compile(r"^\[\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY = re.compile(r'^("?)([A-Za-z0-9_.-]+)\1\s*=')


class TomlLines:
    """``(table, index, key) -> line`` (1-based) of a TOML text; ``index`` counts ``[[table]]`` entries."""

    def __init__(self, text: str):
        self.pos: dict[tuple[str, int, str], int] = {}
        self.header: dict[tuple[str, int], int] = {}
        counts: dict[str, int] = {}
        table, index = "", 0
        for no, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            m = _ARRAY.match(line)
            if m:
                table = m.group(1)
                index = counts.get(table, 0)
                counts[table] = index + 1
                self.header[(table, index)] = no
                continue
            m = _TABLE.match(line)
            if m:
                table, index = m.group(1), 0
                self.header[(table, index)] = no
                continue
            m = _KEY.match(line)
            if m:
                self.pos.setdefault((table, index, m.group(2)), no)

    def line(self, table: str = "", index: int = 0, key: str | None = None) -> int | None:
        """Line of ``key`` in entry ``index`` of ``table``, else of that entry's header, else ``None``."""
        if key is not None and (table, index, key) in self.pos:
            return self.pos[(table, index, key)]
        return self.header.get((table, index))

    def where(self, filename: str, table: str = "", index: int = 0, key: str | None = None) -> str:
        """``file:line (table.key)`` for an error message."""
        no = self.line(table, index, key)
        loc = f"{filename}:{no}" if no else filename
        if key:
            loc += f" ({table + '.' if table else ''}{key})"
        return loc


def load_toml(text: str, filename: str, error_cls):
    """Parse TOML text; return ``(data, TomlLines)``. Invalid TOML raises ``error_cls`` naming the file."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error_cls(f"not valid TOML: {exc}", source=filename) from None
    return data, TomlLines(text)
