"""Any text made safe for one GFM table cell (placeholder; the full version lands separately)."""

from __future__ import annotations

import re

_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def cell_text(value: str) -> tuple[str, bool]:
    """One line, control characters removed; pipes are escaped by write-back. Returns the text
    and whether anything had to change."""
    text = _CONTROL.sub("", _BREAKS.sub(" ", value))
    text = " ".join(text.split())
    return text, text != value
