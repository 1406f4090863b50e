"""What every headless command shares: its exit statuses (documented in `agent-console sync --help`) and
how it prints: JSON that cannot steer a terminal, text cut and columns lined up in terminal cells."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from rich.cells import cell_len, set_cell_size

EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, EXIT_REJECTED, EXIT_AUTH = 0, 1, 2, 3, 4


def iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# JSON escapes C0 controls itself; C1 controls and bidi overrides would pass through raw and reach the
# terminal, so they are written as \u escapes too. Everything else (Chinese) stays readable.
UNSAFE_IN_JSON = re.compile("[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def print_json(value) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2)
    print(UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


def cut_to_cells(text: str, width: int) -> str:
    """`text` cut to at most `width` terminal cells (a Chinese character takes two)."""
    return text if cell_len(text) <= width else set_cell_size(text, width).rstrip()


def table_lines(header: list[str], rows: list[list[str]], right_aligned: frozenset[int] = frozenset()) -> list[str]:
    """Columns as wide as their widest text in terminal cells, not characters, so Chinese text lines up."""
    widths = [max(cell_len(text) for text in column) for column in zip(header, *rows)]

    def line(texts: list[str]) -> str:
        padded = []
        for index, (text, width) in enumerate(zip(texts, widths)):
            gap = " " * (width - cell_len(text))
            padded.append(gap + text if index in right_aligned else text + gap)
        return "  ".join(padded).rstrip()

    return [line(header), *(line(row) for row in rows)]
