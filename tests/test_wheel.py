"""The built wheel works on its own: installed into a fresh venv and run outside the checkout.

The wheel is built from the checkout (``pip wheel --no-deps
--no-build-isolation``: the build backend is the test extra's setuptools, so
nothing is downloaded) and installed with ``--no-deps --no-index`` into a new
venv.  Its dependencies come from the project venv's site-packages through a
``.pth`` line: a ``.pth`` *line* only appends that folder to ``sys.path``, so
the project's editable-install hook (itself a ``.pth`` file there) is not run
and cannot map ``kehoach`` back to the checkout; the new venv's own
site-packages comes first, so ``kehoach`` is the installed wheel.  Every
command runs from a temporary folder that holds a user's own ``models.py``,
``pipeline.py`` and ``extractors.py``, which must not shadow kehoach's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "corpus" / "dev"
SHADOWS = ("models", "pipeline", "extractors")
PACKAGE_DIRS = {
    "kehoach": "kehoach",
    "pipeline": "kehoach/pipeline",
    "extractors": "kehoach/extractors",
    "models": "kehoach/models",
}
"""Repository folder → installed package path (pyproject's [tool.setuptools.package-dir])."""


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the checkout."""
    dist = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)]
    run([*command, str(ROOT)], dist, clean_env())
    (built,) = dist.glob("kehoach-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(venv folder, working folder outside the checkout, environment) with the wheel installed."""
    base = tmp_path_factory.mktemp("wheel")
    env = clean_env()
    target = base / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    site = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], base, env).stdout.strip()
    )
    (site / "kehoach_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], base, env)
    work = base / "work"
    work.mkdir()
    for name in SHADOWS:  # a user's own modules of those names, which would break kehoach if they were found first
        (work / f"{name}.py").write_text(f"raise ImportError('the user\\'s own {name}.py was imported')\n")
    env["PATH"] = f"{target / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return target, work, env


def test_wheel_holds_the_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"kehoach/__init__.py", "kehoach/py.typed", "kehoach/pipeline/cli.py", "kehoach/models/schema.py"} <= names
    assert any(n.startswith("kehoach/extractors/resources/") and n.endswith(".json") for n in names)
    assert "kehoach/models/migrations/script.py.mako" in names
    assert any(n.startswith("kehoach/models/migrations/versions/0001") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.split("/")[0] in SHADOWS for n in names)  # nothing installs as top-level models/pipeline
    # Every file git tracks in the package folders ships (templates, static files, JSON tables, migrations).
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", *PACKAGE_DIRS], capture_output=True, text=True, check=True
    ).stdout.split()
    if tracked:  # a source tree without git (an sdist) has nothing to compare with
        installed = [PACKAGE_DIRS[path.split("/")[0]] + path[path.index("/") :] for path in tracked]
        assert not [path for path in installed if path not in names], "tracked files missing from the wheel"


def test_cli_runs_from_the_wheel_outside_the_checkout(installed: tuple[Path, Path, dict[str, str]]) -> None:
    target, work, env = installed
    kehoach = target / "bin" / "kehoach"
    assert "Usage" in run([str(kehoach), "--help"], work, env).stdout
    version = run([str(target / "bin" / "python"), "-m", "kehoach", "--version"], work, env).stdout
    assert version.split()[-1] == _project_version()
    plan = min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)
    copy = work / plan.name
    copy.write_bytes(plan.read_bytes())
    done = run([str(kehoach), "extract", copy.name, "--json"], work, env)
    payload = json.loads(done.stdout)
    assert payload["tasks"], "the extraction found the plan's tasks"
    db = work / "k.db"
    run([str(kehoach), "ingest", copy.name, "--db", str(db), "--no-progress"], work, env)  # migrations ship too
    count = run(
        [str(kehoach), "query", "SELECT count(*) AS n FROM v_tasks", "--db", str(db), "--format", "csv"], work, env
    )
    assert int(count.stdout.split()[-1]) == len(payload["tasks"])


def test_api_imports_from_the_venv_not_the_checkout(installed: tuple[Path, Path, dict[str, str]]) -> None:
    target, work, env = installed
    plan = min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)
    (work / "plan.txt").write_bytes(plan.read_bytes())
    probe = """
import json, sys
import kehoach, kehoach.pipeline, kehoach.models, kehoach.extractors
parsed = kehoach.read_document("plan.txt")
extraction = kehoach.extract(parsed)
mods = {n: m.__file__ for n, m in sys.modules.items() if (n == "kehoach" or n.startswith("kehoach.")) and getattr(m, "__file__", None)}
print(json.dumps({"modules": mods, "tasks": len(extraction.tasks), "shadows": [n for n in ("models", "pipeline", "extractors") if n in sys.modules]}))
"""  # noqa: E501
    result = json.loads(run([str(target / "bin" / "python"), "-c", probe], work, env).stdout)
    assert result["tasks"] > 0
    assert result["shadows"] == []
    modules = result["modules"]
    assert {"kehoach", "kehoach.pipeline", "kehoach.models", "kehoach.extractors"} <= set(modules)
    resolved = {name: Path(path).resolve() for name, path in modules.items()}
    outside = {name: path for name, path in resolved.items() if not path.is_relative_to(target.resolve())}
    assert not outside, f"modules imported from outside the venv: {outside}"
    assert not [name for name, path in resolved.items() if path.is_relative_to(ROOT)]


def _project_version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
