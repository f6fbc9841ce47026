"""One run of push or reconcile over many postmortems.

Every postmortem is read first, then each tracker is asked once for all of them (`Book`), then
each postmortem is planned; only then, one postmortem at a time and under its lock, is anything
written. A postmortem that changed since it was read, or that will create tickets, is planned
again under the lock, so two runs never both create the same ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pm_sync.config import Config, load_config
from pm_sync.diagnostics import error, from_exception, warning
from pm_sync.document.discover import expand
from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync.apply import apply_plan
from pm_sync.sync.book import Book
from pm_sync.sync.engine import Doc, Options, blocking_problems, load_doc, plan_document, wants
from pm_sync.sync.lock import postmortem_lock
from pm_sync.sync.plan import Create, Plan, Update
from pm_sync.sync.result import Result
from pm_sync.sync.routing import Trackers


class Progress(Protocol):
    """Told how many postmortems a run will handle, then about each one as it finishes."""

    def start(self, total: int) -> None: ...

    def done(self, path: Path, result: Result) -> None: ...


@dataclass
class Run:
    options: Options
    dry_run: bool = False
    skip_drafts: bool = False


def run(
    paths: Sequence[str],
    spec: Run,
    *,
    config: Config | None = None,
    config_path: str | None = None,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    use_default_paths: bool = False,
) -> list[Result]:
    cfg = config or load_config(config_path, env)
    files = expand(paths, cfg.docs.paths if use_default_paths else (), cfg.root)
    trackers = Trackers(cfg, env)
    if progress:
        progress.start(len(files))
    try:
        return _run(files, spec, trackers, progress)
    finally:
        trackers.close()


def _run(files: list[Path], spec: Run, trackers: Trackers, progress: Progress | None) -> list[Result]:
    results = [Result(file=str(path), dry_run=spec.dry_run) for path in files]
    docs: dict[int, Doc] = {}
    for n, path in enumerate(files):
        doc = _read(path, spec, trackers, results[n])
        if doc is not None:
            docs[n] = doc
    book = Book()
    book.fill(trackers, wants(list(docs.values()), trackers))
    plans = {n: plan_document(doc, book, trackers, spec.options) for n, doc in docs.items()}
    over = _over_threshold(plans.values(), trackers.config, spec.options.force)
    for n, path in enumerate(files):
        result = results[n]
        if n in docs:
            _finish(docs[n], plans[n], spec=spec, trackers=trackers, book=book, result=result, over=over)
        if progress:
            progress.done(path, result)
    return results


def _read(path: Path, spec: Run, trackers: Trackers, result: Result) -> Doc | None:
    try:
        source = Source.read(path)
        pm = parse_source(source)
    except PmSyncError as exc:
        result.diagnostics.append(from_exception(exc, code="unreadable", path=str(path)))
        return None
    if spec.skip_drafts and not pm.is_final:
        result.skipped = f"status is {pm.status or 'not set'}, not Final"
        return None
    doc = load_doc(path, source, pm, trackers)
    problems = blocking_problems(doc, spec.options)
    if problems:
        result.plan = Plan(path=pm.path, diagnostics=problems)
        result.diagnostics += problems
        return None
    return doc


def _over_threshold(plans: object, config: Config, force: bool) -> str | None:
    """octodns-style brakes: a run that would create or update far more tickets than usual
    (a document's identity changed, a tracker URL points elsewhere) stops and asks for --force."""
    creates = updates = 0
    for plan in plans:  # type: ignore[attr-defined]
        creates += len(plan.of(Create))
        updates += sum(1 for c in plan.of(Update) if not c.changes.is_empty())
    limits = config.safety
    if force:
        return None
    if creates > limits.max_creates:
        return f"this run would create {creates} tickets, more than safety.max_creates ({limits.max_creates})"
    if updates > limits.max_updates:
        return f"this run would update {updates} tickets, more than safety.max_updates ({limits.max_updates})"
    return None


def _finish(
    doc: Doc, plan: Plan, *, spec: Run, trackers: Trackers, book: Book, result: Result, over: str | None
) -> None:
    result.plan = plan
    if over is not None and (plan.of(Create) or plan.of(Update)):
        make = error if not spec.dry_run else warning
        result.diagnostics.append(
            make(
                "safety-threshold",
                over,
                path=str(doc.path),
                hint="check the plan with --dry-run; pass --force if it is right",
            )
        )
        if not spec.dry_run:
            result.diagnostics += plan.diagnostics
            return
    if spec.dry_run:
        result.diagnostics += plan.diagnostics
        return
    try:
        with postmortem_lock(doc.path):
            doc, plan = _again(doc, plan, spec, trackers, book)
            result.plan = plan
            result.diagnostics += plan.diagnostics
            apply_plan(plan, trackers, book, result)
    except ConfigError:
        raise
    except PmSyncError as exc:
        result.diagnostics.append(from_exception(exc, path=str(doc.path)))


def _again(doc: Doc, plan: Plan, spec: Run, trackers: Trackers, book: Book) -> tuple[Doc, Plan]:
    """Under the lock: plan again if the file changed since it was read, or if tickets are to be
    created (another run may have created them meanwhile)."""
    source = Source.read(doc.path)
    if source.digest == doc.source.digest and not plan.of(Create):
        return doc, plan
    fresh = load_doc(doc.path, source, parse_source(source), trackers)
    needed = wants([fresh], trackers)
    for name, want in needed.items():
        book.forget_markers(name, want.markers)
        try:
            book.ask(name, trackers.get(name), want)
        except ConfigError:
            raise
        except PmSyncError as exc:
            book.failed.setdefault(name, exc)
    return fresh, plan_document(fresh, book, trackers, spec.options)


Job = Callable[..., list[Result]]
