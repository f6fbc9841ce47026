"""The exact text of a postmortem file, with enough bookkeeping to change bytes surgically."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pm_sync.errors import DocumentError

BOM = "\ufeff"
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Source:
    """Decoded text plus line offsets; `text` excludes the BOM so offsets match the parser's."""

    path: str
    text: str
    bom: bool
    digest: str
    line_starts: tuple[int, ...] = field(repr=False)

    @classmethod
    def from_bytes(cls, data: bytes, path: str) -> Source:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise DocumentError(
                "file is not valid UTF-8",
                path=path,
                line=line,
                hint="save the postmortem as UTF-8",
            ) from exc
        bom = text.startswith(BOM)
        if bom:
            text = text[1:]
        starts = [0]
        starts.extend(m.end() for m in _LINE_END.finditer(text))
        return cls(
            path=path,
            text=text,
            bom=bom,
            digest=hashlib.sha256(data).hexdigest(),
            line_starts=tuple(starts),
        )

    @classmethod
    def read(cls, path: Path | str) -> Source:
        p = Path(path)
        try:
            data = p.read_bytes()
        except FileNotFoundError as exc:
            raise DocumentError("file not found", path=str(path), hint="check the path") from exc
        except IsADirectoryError as exc:
            raise DocumentError("is a directory, not a file", path=str(path)) from exc
        except OSError as exc:
            raise DocumentError(f"cannot read file: {exc.strerror}", path=str(path)) from exc
        return cls.from_bytes(data, str(path))

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_span(self, index: int) -> tuple[int, int]:
        """Start and end (before the line ending) of 0-based line `index`."""
        start = self.line_starts[index]
        if index + 1 < len(self.line_starts):
            end = self.line_starts[index + 1]
            while end > start and self.text[end - 1] in "\r\n":
                end -= 1
        else:
            end = len(self.text)
        return start, end

    def line(self, index: int) -> str:
        start, end = self.line_span(index)
        return self.text[start:end]

    def parser_text(self) -> str:
        """Text in the form markdown-it sees it: line endings folded to LF, same line numbers."""
        return _LINE_END.sub("\n", self.text).replace("\0", "\ufffd")

    def encode(self, text: str) -> bytes:
        return ((BOM if self.bom else "") + text).encode("utf-8")
