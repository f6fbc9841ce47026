"""Building blocks for a connector's `doctor`: the owner check every tracker shares, and the
shape of a failed step, so each tracker reports its checks the same way.

A check that passed is an `info` diagnostic; one that failed is an `error` whose hint is the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pm_sync.diagnostics import Diagnostic, error, info
from pm_sync.errors import AuthError, ConfigError, PmSyncError
from pm_sync.tracker.tickets import OwnerResolution

if TYPE_CHECKING:
    from pm_sync.tracker.contract import Connector


def owner_checks(connector: Connector[Any], handles: Sequence[str]) -> list[Diagnostic]:
    """One failure per owner the tracker cannot assign, else one line saying all of them map.

    Uses the connector's own `resolve_owners`, so doctor agrees with what push will do."""
    if not handles:
        return owner_report(connector.name, handles, OwnerResolution())
    return owner_report(connector.name, handles, resolve(connector, handles))


def resolve(connector: Connector[Any], handles: Sequence[str]) -> OwnerResolution:
    """The owners as push resolves them: the `[owners]` entry for this tracker, else the handle."""
    mapped = {h: connector.context.owner_entry(h).get(connector.name) for h in handles}
    return connector.resolve_owners(list(handles), mapped)


def owner_report(name: str, handles: Sequence[str], resolution: OwnerResolution) -> list[Diagnostic]:
    if not handles:
        return [info(f"{name}-owners", f"no owners in the postmortems routed to {name}")]
    out = [
        error(
            "owner-unknown",
            f"owner {handle} is unknown to {name}: {resolution.unknown.get(handle, 'not found')}",
            hint=f'map it under [owners] ("{handle}" = {{ {name} = "..." }}), fix the Owner cell, '
            'or set unknown_owner = "unassigned"',
        )
        for handle in handles
        if handle not in resolution.ids
    ]
    if not out:
        out.append(info(f"{name}-owners", f"all {len(handles)} owner(s) map to assignable {name} users"))
    return out


def step_failed(exc: PmSyncError, tracker: str, step: str) -> Diagnostic:
    """A failed doctor step, coded by what went wrong (credentials, settings, the connection)."""
    if isinstance(exc, AuthError):
        code = f"{tracker}-credentials"
    elif isinstance(exc, ConfigError):
        code = f"{tracker}-config"
    else:
        code = f"{tracker}-{step}"
    return error(code, exc.message, hint=exc.hint)
