"""One run of push or reconcile over many postmortems.

Every postmortem is read first, then each tracker is asked once for all of them (`Book`), then
each postmortem is planned. Only then, under the locks, is anything written: a postmortem that
changed since it was read is planned again, then every ticket of the run is created (batched
per tracker across postmortems), then each postmortem gets its keys written back and its
tickets updated, one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pm_sync.config import Config, load_config
from pm_sync.diagnostics import error, from_exception, warning
from pm_sync.document.atomic import check_writable
from pm_sync.document.discover import expand
from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync.apply import apply_plan, create_all
from pm_sync.sync.book import Book
from pm_sync.sync.engine import Doc, Options, blocking_problems, load_doc, plan_document, wants
from pm_sync.sync.lock import postmortem_lock
from pm_sync.sync.plan import Create, Plan, Pull, Recover, Rekey, Update
from pm_sync.sync.result import Result
from pm_sync.sync.routing import Trackers
from pm_sync.tracker.tickets import TicketDraft, TicketState


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
    cfg = config or load_config(config_path, env, near=paths)
    for name in dict.fromkeys([cfg.tracker, *cfg.routes.values()]):
        cfg.tracker_config(name)  # a bad tracker table is exit 2 before any lock file is made
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
    with ExitStack() as locks:
        held = _lock_all(files, spec, results, locks, trackers.root)
        docs: dict[int, Doc] = {}
        for n, path in enumerate(files):
            if held[n]:
                doc = _read(path, spec, trackers, results[n])
                if doc is not None:
                    docs[n] = doc
        book = Book()
        book.fill(trackers, wants(list(docs.values()), trackers))
        plans = {n: _plan(doc, book, trackers, spec.options) for n, doc in docs.items()}
        over = _over_threshold(plans.values(), trackers.config, spec.options.force)
        ready: dict[int, tuple[Doc, Plan]] = {}
        for n in range(len(files)):
            if n in docs:
                prepared = _prepare(
                    docs[n], plans[n], spec=spec, trackers=trackers, book=book, result=results[n], over=over
                )
                if prepared is not None:
                    ready[n] = prepared
        created = _create_all(ready, results, trackers, book)
        for n, path in enumerate(files):
            if n in ready and n in created:
                _complete(ready[n][1], created[n], trackers=trackers, book=book, result=results[n])
            if progress:
                progress.done(path, results[n])
    return results


def _lock_all(
    files: list[Path], spec: Run, results: list[Result], locks: ExitStack, root: Path
) -> list[bool]:
    """A run that writes holds every postmortem's lock from before it reads them until it is
    done, so no other run creates the same tickets meanwhile. Taken in one order (sorted), two
    runs never wait on each other in a circle."""
    held = [True] * len(files)
    if spec.dry_run:
        return held
    for n in sorted(range(len(files)), key=lambda i: str(files[i].resolve())):
        try:
            locks.enter_context(postmortem_lock(files[n], root))
        except ConfigError:
            raise
        except PmSyncError as exc:
            held[n] = False
            results[n].diagnostics.append(from_exception(exc, path=str(files[n])))
    return held


def _plan(doc: Doc, book: Book, trackers: Trackers, options: Options) -> Plan:
    """A postmortem's plan; a tracker failing while it is planned fails this postmortem only."""
    try:
        return plan_document(doc, book, trackers, options)
    except ConfigError:
        raise
    except PmSyncError as exc:
        return Plan(path=doc.pm.path, diagnostics=[from_exception(exc, path=doc.pm.path)])


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


def _prepare(
    doc: Doc, plan: Plan, *, spec: Run, trackers: Trackers, book: Book, result: Result, over: str | None
) -> tuple[Doc, Plan] | None:
    """The plan to carry out, planned again if the file changed; None when nothing is to be done."""
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
            return None
    if spec.dry_run:
        result.diagnostics += plan.diagnostics
        return None
    try:
        doc, plan = _again(doc, plan, spec, trackers, book)
        result.plan = plan
        if not plan.blocked and any(isinstance(c, Create | Recover | Rekey | Pull) for c in plan.changes):
            check_writable(doc.path)  # refused before anything is created for it
        result.diagnostics += plan.diagnostics
    except ConfigError:
        raise
    except PmSyncError as exc:
        result.diagnostics.append(from_exception(exc, path=str(doc.path)))
        return None
    return doc, plan


def _create_all(
    ready: dict[int, tuple[Doc, Plan]], results: list[Result], trackers: Trackers, book: Book
) -> dict[int, list[tuple[TicketDraft, TicketState]]]:
    """The run's creates, batched across postmortems; a failure no single ticket explains (the
    journal cannot be written) is every waiting postmortem's."""
    order = list(ready)
    try:
        made = create_all([(ready[n][1], results[n]) for n in order], trackers, book)
    except ConfigError:
        raise
    except PmSyncError as exc:
        for n in order:
            results[n].diagnostics.append(from_exception(exc, path=str(ready[n][0].path)))
        return {}
    return dict(zip(order, made, strict=True))


def _complete(
    plan: Plan,
    created: list[tuple[TicketDraft, TicketState]],
    *,
    trackers: Trackers,
    book: Book,
    result: Result,
) -> None:
    try:
        apply_plan(plan, trackers, book, result, created)
    except ConfigError:
        raise
    except PmSyncError as exc:
        result.diagnostics.append(from_exception(exc, path=plan.path))


def _again(doc: Doc, plan: Plan, spec: Run, trackers: Trackers, book: Book) -> tuple[Doc, Plan]:
    """Someone saved the file since it was read: plan it again, asking the trackers only about
    what is new in it (a row whose text changed has a new marker)."""
    source = Source.read(doc.path)
    if source.digest == doc.digest:
        return doc, plan
    fresh = load_doc(doc.path, source, parse_source(source), trackers)
    problems = blocking_problems(fresh, spec.options)
    if problems:
        return fresh, Plan(path=fresh.pm.path, diagnostics=problems)
    for name, want in wants([fresh], trackers).items():
        try:
            book.ask(name, trackers.get(name), want)
        except ConfigError:
            raise
        except PmSyncError as exc:
            book.failed.setdefault(name, exc)
    return fresh, _plan(fresh, book, trackers, spec.options)
