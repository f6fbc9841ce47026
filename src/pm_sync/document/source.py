"""The exact text of a postmortem file, with enough bookkeeping to change bytes surgically."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from pm_sync.errors import DocumentError

BOM = "\ufeff"
MAX_BYTES = 10 * 1024 * 1024
_KIND = {
    stat.S_IFDIR: "is a directory, not a file",
    stat.S_IFIFO: "is a named pipe (FIFO), not a file",
    stat.S_IFCHR: "is a character device, not a file",
    stat.S_IFBLK: "is a block device, not a file",
    stat.S_IFSOCK: "is a socket, not a file",
}
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
        """Read a postmortem, refusing anything that is not a regular file of sane size.

        A FIFO, a device or `/dev/zero` named by mistake would otherwise block or read forever:
        the path is checked with stat before it is opened, the open never blocks, and reading
        stops one byte past MAX_BYTES.
        """
        return cls.from_bytes(read_capped(path), str(path))

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


def read_capped(path: Path | str) -> bytes:
    shown = str(path)
    try:
        check_regular(os.stat(path), shown)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise DocumentError("file not found", path=shown, hint="check the path") from None
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror}", path=shown) from None
    try:
        check_regular(os.fstat(fd), shown)  # swapped for a pipe between stat and open
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror}", path=shown) from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        _too_large(shown)
    return b"".join(chunks)


def check_regular(st: os.stat_result, shown: str) -> None:
    """A postmortem is a regular file of sane size; anything else is a located error."""
    if not stat.S_ISREG(st.st_mode):
        message = _KIND.get(stat.S_IFMT(st.st_mode), "is not a regular file")
        raise DocumentError(message, path=shown, hint="pass a postmortem Markdown file")
    if st.st_size > MAX_BYTES:
        _too_large(shown)


def _too_large(shown: str) -> NoReturn:
    raise DocumentError(
        f"file is larger than {MAX_BYTES // (1024 * 1024)} MB, far more than any postmortem",
        path=shown,
        hint="check the path: a postmortem is a small Markdown file",
    )
