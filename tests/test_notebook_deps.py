"""Everything the notebook imports comes with `pip install -e ".[notebook]"` (what `make run` installs).

The notebook's import statements are read with ``ast``; each module must be
the standard library, kehoach itself, or provided by a distribution reached
from kehoach's core requirements plus its ``notebook`` extra (dependencies
followed transitively, as pip installs them).  A library only the test extra
brings would pass the notebook test in CI and fail a user after `make run`.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import nbformat
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "timeline_exploration.ipynb"


def notebook_imports() -> set[str]:
    modules = set()
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return modules


def _name(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def installed_with(extra: str) -> set[str]:
    """Normalised names of the distributions `pip install kehoach[extra]` brings, transitively."""
    wanted, seen = [("kehoach", extra)], set()
    while wanted:
        name, chosen = wanted.pop()
        if (name, chosen) in seen:
            continue
        seen.add((name, chosen))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # an optional dependency not installed here cannot provide an import either
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({"extra": chosen}):
                continue
            # kehoach[test] asks for kehoach[serve,review,dask,notebook]: each extra is followed on its own
            wanted += [(_name(requirement.name), e) for e in sorted(requirement.extras) or [""]]
    return {name for name, _ in seen}


def test_notebook_imports_come_with_the_notebook_extra() -> None:
    provided = installed_with("notebook")
    assert {"plotly", "ipykernel", "nbclient", "pandas", "sqlalchemy"} <= provided
    owners = metadata.packages_distributions()
    missing = {}
    for module in sorted(notebook_imports()):
        if module in sys.stdlib_module_names or module == "kehoach":
            continue
        distributions = {_name(d) for d in owners.get(module, [])}
        if not distributions & provided:
            missing[module] = sorted(distributions) or ["(not installed)"]
    assert not missing, f"the notebook imports modules the notebook extra does not install: {missing}"


def test_the_check_sees_a_module_outside_the_extra() -> None:
    # playwright is in the test extra only: if the notebook imported it, the check above must fail.
    assert "playwright" not in installed_with("notebook")
    assert "playwright" in installed_with("test")
