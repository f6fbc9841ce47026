"""`pm-sync doctor` as a library call: is this setup ready for push, reconcile and overdue?

Checks, in the order a first run would trip on them: the config file; the postmortems it
points at; every tracker in use (the default, routed, configured, or named by a document) with
its own `Connector.doctor` — reachable, signed in, projects and fields there, owners assignable.
Each check is a `Diagnostic`: `info` when it passed, `error` with its fix as the hint when it
failed, `warning` for what works but deserves a look.

Nothing secret is printed: connectors scrub their own errors, and every message is scrubbed
once more of the values of the environment variables the config names (`token_env`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pm_sync.config import Config, load_config
from pm_sync.diagnostics import Diagnostic, Severity, from_exception, info, warning
from pm_sync.document.discover import expand
from pm_sync.document.model import Postmortem
from pm_sync.document.parse import parse_file
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync.compare import first_owner
from pm_sync.sync.routing import Trackers
from pm_sync.tracker.secrets import Secrets


@dataclass
class DoctorReport:
    checks: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.is_error for c in self.checks)

    def counts(self) -> dict[str, int]:
        return {
            "passed": sum(c.severity is Severity.INFO for c in self.checks),
            "warnings": sum(c.severity is Severity.WARNING for c in self.checks),
            "failed": sum(c.severity is Severity.ERROR for c in self.checks),
        }

    def public(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            **self.counts(),
            "checks": [{"passed": not c.is_error, **c.as_dict()} for c in self.checks],
        }


@dataclass
class _Usage:
    """What the postmortems ask of one tracker: owners (first place each is named) and projects."""

    owners: dict[str, tuple[str, int]] = field(default_factory=dict)
    projects: set[str] = field(default_factory=set)


def doctor(
    paths: Sequence[str] = (),
    *,
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> DoctorReport:
    """Run every check; raises only for a usage error (explicit paths that match nothing)."""
    report = DoctorReport()
    try:
        cfg = load_config(config_path, env, near=paths)
    except ConfigError as exc:
        report.checks.append(from_exception(exc, code="config"))
        return report
    if cfg.path:
        report.checks.append(info("config", f"{cfg.path} is valid"))
    else:
        report.checks.append(info("config", "no pm-sync.toml found: using the defaults (the local tracker)"))
    trackers = Trackers(cfg, env)
    try:
        names = _tracker_names(cfg)
        broken = _tracker_configs(cfg, names, report)
        usage = _usage(_postmortems(paths, cfg, report), trackers, broken, report)
        names = sorted(set(names) | set(usage), key=lambda n: (n != cfg.tracker, n))
        for name in names:
            if name not in broken:
                checks = _tracker(trackers, name, usage.get(name, _Usage()))
                report.checks += [_owner_policy(c, cfg) for c in checks]
    finally:
        trackers.close()
    secrets = _secrets(cfg, names, trackers.env)
    report.checks = [
        replace(c, message=secrets.scrub(c.message), hint=secrets.scrub(c.hint) if c.hint else None)
        for c in report.checks
    ]
    return report


def _tracker_names(cfg: Config) -> list[str]:
    return list(dict.fromkeys([cfg.tracker, *cfg.routes.values(), *cfg.trackers]))


def _tracker_configs(cfg: Config, names: Sequence[str], report: DoctorReport) -> set[str]:
    """Each tracker table validated on its own, so one bad table does not hide the others."""
    broken: set[str] = set()
    for name in names:
        try:
            cfg.tracker_config(name)
        except ConfigError as exc:
            broken.add(name)
            report.checks.append(from_exception(exc, code=f"{name}-config"))
    return broken


def _postmortems(paths: Sequence[str], cfg: Config, report: DoctorReport) -> list[Postmortem]:
    files = expand(paths, cfg.docs.paths, base=cfg.root)
    if not files:
        report.checks.append(
            warning(
                "postmortems",
                f"no postmortems found under {', '.join(paths or cfg.docs.paths)}",
                hint="pass their paths, or set [docs] paths in pm-sync.toml; owners are not checked",
            )
        )
        return []
    out: list[Postmortem] = []
    for path in files:
        try:
            out.append(parse_file(path))
        except PmSyncError as exc:
            report.checks.append(
                warning("postmortems", f"skipped: {exc.message}", path=str(path), hint=exc.hint)
            )
    items = sum(len(pm.action_items) for pm in out)
    report.checks.append(info("postmortems", f"{len(out)} postmortem(s) read, {items} action item(s)"))
    return out


def _usage(
    postmortems: Sequence[Postmortem], trackers: Trackers, broken: set[str], report: DoctorReport
) -> dict[str, _Usage]:
    """Route every item as push would; one routing failure is reported once, where first seen."""
    usage: dict[str, _Usage] = {}
    seen: set[str] = set()
    for pm in postmortems:
        for item in pm.action_items:
            try:
                route = trackers.route(pm, item)
            except PmSyncError as exc:
                if exc.message not in seen and not (isinstance(exc, ConfigError) and broken):
                    seen.add(exc.message)
                    report.checks.append(from_exception(exc, code="route", path=pm.path, line=item.line))
                continue
            use = usage.setdefault(route.tracker, _Usage())
            if route.project:
                use.projects.add(route.project)
            handle = first_owner(item.owner)
            if handle:
                use.owners.setdefault(handle, (pm.path, item.line))
    return usage


def _tracker(trackers: Trackers, name: str, use: _Usage) -> list[Diagnostic]:
    try:
        connector = trackers.get(name)
        checks = connector.doctor(sorted(use.owners), sorted(use.projects))
    except PmSyncError as exc:
        return [from_exception(exc, code=f"{name}-error")]
    return [_place_owner(c, use) for c in checks]


def _place_owner(check: Diagnostic, use: _Usage) -> Diagnostic:
    """An unknown owner's failure, placed where the postmortems first name them."""
    if check.code != "owner-unknown" or check.path is not None:
        return check
    for handle, (path, line) in use.owners.items():
        if f"owner {handle} " in check.message:
            return check.at(path, line)
    return check


def _owner_policy(check: Diagnostic, cfg: Config) -> Diagnostic:
    """With `unknown_owner = "unassigned"` push creates an unknown owner's tickets unassigned and
    warns, so doctor warns too: the fix it names for the failure must make it pass."""
    if check.code != "owner-unknown" or not check.is_error or cfg.unknown_owner != "unassigned":
        return check
    return replace(
        check,
        severity=Severity.WARNING,
        message=f'{check.message}; its tickets are created unassigned (unknown_owner = "unassigned")',
        hint="map it under [owners], or fix the Owner cell, to have its tickets assigned",
    )


def _secrets(cfg: Config, names: Sequence[str], env: Mapping[str, str]) -> Secrets:
    """The values of every variable a tracker table names (`token_env`, `..._env`), defaults too."""
    secrets = Secrets()
    for name in names:
        try:
            settings = cfg.tracker_config(name).model_dump()
        except PmSyncError:
            settings = dict(cfg.trackers.get(name, {}))
        for key, var in settings.items():
            if key.endswith("_env") and isinstance(var, str) and env.get(var):
                secrets.add(env[var].strip())
    return secrets
