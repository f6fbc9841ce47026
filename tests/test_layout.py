"""The layout is part of the design: small modules, small folders, and a map that is true.

Every module under src/ and connectors/ stays within 400 lines and every package folder within
20 modules, and each module docs/architecture.md names in its package table exists, so the map
a newcomer reads first cannot drift from the tree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREES = (ROOT / "src", ROOT / "connectors")
MAX_LINES = 400
MAX_MODULES = 20


def modules() -> list[Path]:
    return sorted(p for tree in TREES for p in tree.rglob("*.py") if ".venv" not in p.parts)


def test_the_walk_sees_the_code() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in modules()}
    assert {"src/pm_sync/sync/engine.py", "connectors/pm_sync_jira/__init__.py"} <= found


def test_no_module_is_over_400_lines() -> None:
    long = {
        p.relative_to(ROOT).as_posix(): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these by concept: {long}"


def test_no_package_holds_more_than_20_modules() -> None:
    folders: dict[Path, int] = {}
    for p in modules():
        folders[p.parent] = folders.get(p.parent, 0) + 1
    crowded = {f.relative_to(ROOT).as_posix(): n for f, n in folders.items() if n > MAX_MODULES}
    assert crowded == {}, f"group these into sub-packages: {crowded}"


def _package_table() -> list[tuple[str, str]]:
    """(first cell, second cell) of the rows of the `## Packages` table."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Packages", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("package", "---"):
            rows.append((cells[0], cells[1]))
    return rows


def _exists(folder: Path, name: str) -> bool:
    if name.endswith("*"):
        return any(folder.glob(f"{name[:-1]}*.py"))
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


def _named_modules() -> list[tuple[str, Path]]:
    """Every module the table names: `pm_sync.x` in a first cell, and the bare names a package
    row lists (`engine`, `http*`) inside that package."""
    named: list[tuple[str, Path]] = []
    src = ROOT / "src"
    for first, second in _package_table():
        packages = re.findall(r"`(pm_sync(?:\.\w+)*)`", first)
        siblings = [f"pm_sync.{n}" for n in re.findall(r"`([a-z][a-z0-9_]*)`", first) if n != "pm_sync"]
        for dotted in packages + siblings:
            path = src / Path(*dotted.split("."))
            named.append((dotted, path.with_suffix(".py") if not path.is_dir() else path / "__init__.py"))
        if first == "`connectors/`":
            for name in re.findall(r"`(pm_sync_\w+)`", second):
                named.append((name, ROOT / "connectors" / name / "__init__.py"))
            continue
        if len(packages) != 1 or packages[0] == "pm_sync":
            continue
        folder = src / Path(*packages[0].split("."))
        if not folder.is_dir():
            continue
        for name in re.findall(r"`([a-z][a-z0-9_]*\*?)`", second):
            named.append((f"{packages[0]}.{name}", folder / (name if name.endswith("*") else f"{name}.py")))
    return named


def test_the_architecture_table_names_many_modules() -> None:
    names = {name for name, _ in _named_modules()}
    assert {"pm_sync.sync.engine", "pm_sync.linting.rules", "pm_sync.tracker.http*", "pm_sync_jira"} <= names


@pytest.mark.parametrize(
    ("name", "path"), _named_modules(), ids=lambda v: str(v) if isinstance(v, str) else ""
)
def test_every_module_the_architecture_names_exists(name: str, path: Path) -> None:
    if name.endswith("*"):
        assert _exists(path.parent, path.name), f"docs/architecture.md names {name}, which matches no module"
    else:
        assert path.is_file(), (
            f"docs/architecture.md names {name}, but {path.relative_to(ROOT)} does not exist"
        )
