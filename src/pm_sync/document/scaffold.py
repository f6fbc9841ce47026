"""`pm-sync new`: write a fresh postmortem from the house template, never overwriting one.

A fresh standard draft lints with exactly these findings, all things the author still has to do:
`missing-metadata` for Duration (and Authors when none were given), `no-action-items`, and
`placeholder` warnings for the bracketed text. A quick draft: `missing-metadata` for Duration,
and `placeholder` warnings.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from importlib import resources
from pathlib import Path
from string import Template

from pm_sync.document.metadata import strip_title_prefix
from pm_sync.document.values import severity_name
from pm_sync.errors import DocumentError, UsageError

SLUG_MAX = 60
DEFAULT_SLUG = "incident"


class PostmortemExistsError(DocumentError):
    """The target file already exists; `new` never overwrites a postmortem."""


def slugify(title: str, max_length: int = SLUG_MAX) -> str:
    """ASCII slug: transliterated, lowercase, `[a-z0-9-]`, never empty, never a path."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        # Prefer cutting at a word boundary when one is reasonably close.
        if slug[max_length] != "-" and "-" in cut[max_length // 2 :]:
            cut = cut[: cut.rfind("-")]
        slug = cut.strip("-")
    return slug or DEFAULT_SLUG


def file_name(date: dt.date, title: str) -> str:
    return f"postmortem-{date.isoformat()}-{slugify(title)}.md"


def _one_line(value: str, what: str) -> str:
    text = " ".join(value.split())
    if "|" in text:
        raise UsageError(f"{what} must not contain '|'", hint=f"check the {what} you passed")
    return text


def render(title: str, *, severity: str, date: dt.date, quick: bool, authors: list[str] | None) -> str:
    """The template's text with title, date, severity and authors filled in."""
    clean_title = strip_title_prefix(" ".join(title.split()))
    if not clean_title:
        raise UsageError("the title is empty", hint='pass a short title, e.g. "Payment outage"')
    sev = _one_line(severity, "severity")
    if not sev:
        raise UsageError("the severity is empty", hint="pass e.g. --severity SEV2")
    if severity_name(sev) is None:
        raise UsageError(
            f"--severity {sev!r} is not a severity", hint="pass SEV1 to SEV5, SEV1 being the worst"
        )
    sev = severity_name(sev) or sev
    names = [_one_line(a, "author") for a in authors or [] if a.strip()]
    name = "quick.md" if quick else "standard.md"
    template = resources.files("pm_sync.document").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(template).substitute(
        # Backslashes are Markdown escapes; double them so the title reads back as typed.
        title=clean_title.replace("\\", "\\\\"),
        date=date.isoformat(),
        severity=sev,
        authors=", ".join(names) if names else "TBD",
    )


def default_severity(quick: bool) -> str:
    """The quick template is for SEV3 incidents; the standard one starts at SEV2."""
    return "SEV3" if quick else "SEV2"


def new_postmortem(
    title: str,
    *,
    severity: str | None = None,
    date: dt.date | None = None,
    quick: bool = False,
    directory: Path = Path("docs/technical"),
    authors: list[str] | None = None,
) -> Path:
    """Write `<directory>/postmortem-YYYY-MM-DD-<slug>.md` with Status Draft and return its path.

    Creates the directory; raises `PostmortemExistsError` instead of overwriting.
    """
    when = date or dt.date.today()
    sev = default_severity(quick) if severity is None else severity
    text = render(title, severity=sev, date=when, quick=quick, authors=authors)
    directory = Path(directory)
    target = directory / file_name(when, title)
    # The slug has no separators or dots-only parts, so this holds by construction; keep the
    # check so a future change to slugify cannot write outside the directory.
    if target.resolve().parent != directory.resolve():
        raise UsageError("refusing to write outside the target directory", path=target)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DocumentError(f"cannot create directory: {exc.strerror}", path=directory) from exc
    try:
        with target.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError as exc:
        raise PostmortemExistsError(
            "a postmortem with this date and title already exists",
            path=target,
            hint="edit the existing file, or pass a different title or --date",
        ) from exc
    except OSError as exc:
        raise DocumentError(f"cannot write file: {exc.strerror}", path=target) from exc
    return target
