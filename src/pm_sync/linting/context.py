"""What lint rules look at: a `Context` over one parsed postmortem, and the shape of a rule's
hits (line, message) before they become `Diagnostic`s."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from pm_sync.document.model import Postmortem
from pm_sync.document.source import Source
from pm_sync.linting.text import BOLD_KEY

Hit = tuple[int | None, str]


@dataclass
class Context:
    """What rules look at: the parsed postmortem plus the prose lines of its source."""

    pm: Postmortem
    source: Source
    prose: list[tuple[int, str]] = field(default_factory=list)  # (1-based line, text)

    @property
    def anchor(self) -> int:
        """Where document-level findings point: the H1, else line 1."""
        return next((line for line, level, _ in self.pm.headings if level == 1), 1)

    def sections(self, match: Callable[[str], bool]) -> list[tuple[int, int, int]]:
        """(heading line, first line, last line) of every section whose heading matches.

        The title H1 is not a section; other H1s are (GitLab-style documents keep the title in
        front matter and use `# Summary`, `# Timeline`, ...)."""
        heads = self.pm.headings
        title_line = (
            None
            if "title" in self.pm.metadata_lines
            else next((line for line, level, _ in heads if level == 1), None)
        )
        out = []
        for i, (line, level, text) in enumerate(heads):
            if line != title_line and match(text):
                end = next((h[0] - 1 for h in heads[i + 1 :] if h[1] <= level), self.source.line_count)
                out.append((line, line + 1, end))
        return out

    @cached_property
    def _bold_keys(self) -> list[tuple[int, str]]:
        """(index into prose, key) of every `**Key**: text` line, found once for all rules."""
        out = []
        for idx, (_, text) in enumerate(self.prose):
            if "*" in text or "_" in text:
                m = BOLD_KEY.match(text)
                if m:
                    out.append((idx, m.group("key") or m.group("key2") or ""))
        return out

    def bold_paragraphs(self, match: Callable[[str], bool]) -> list[tuple[int, int, int]]:
        """(line, line, last line) of `**Key**: text` paragraphs whose key matches."""
        out = []
        for idx, key in self._bold_keys:
            if not match(key):
                continue
            line = end = self.prose[idx][0]
            for nxt, nxt_text in self.prose[idx + 1 :]:
                if nxt != end + 1 or not nxt_text.strip() or BOLD_KEY.match(nxt_text):
                    break
                end = nxt
            out.append((line, line, end))
        return out

    @cached_property
    def _numbers(self) -> list[int]:
        return [n for n, _ in self.prose]

    def lines_in(self, spans: Iterable[tuple[int, int, int]]) -> list[tuple[int, str]]:
        """The prose lines inside any of the spans, in order, each once."""
        out: list[tuple[int, str]] = []
        end = 0  # index into prose past what is already taken
        for first, last in sorted((first, last) for _, first, last in spans):
            start = max(end, bisect.bisect_left(self._numbers, first))
            stop = bisect.bisect_right(self._numbers, last)
            if stop > start:
                out += self.prose[start:stop]
                end = stop
        return out


def lines_with(hint: re.Pattern[str], lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The lines in which `hint` (lower-case words) occurs, found in one search over their
    joined lower-cased text; a rule's full pattern is then tried only there."""
    joined = "\n".join(text for _, text in lines).lower()  # lower() keeps every newline
    picked: dict[int, None] = {}
    index, pos = 0, 0
    for m in hint.finditer(joined):
        index += joined.count("\n", pos, m.start())
        pos = m.start()
        picked[index] = None
    return [lines[i] for i in picked]
