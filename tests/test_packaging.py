"""What an app developer installs: the sdist and the wheel built from it, as pip builds them (sdist -> wheel)."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from conftest import ROOT

BUILD = "from setuptools import build_meta as b; import sys; print(b.{}(sys.argv[1]))"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist of this checkout, and the wheel built from the unpacked sdist (so what it lacks, the wheel lacks)."""
    out = tmp_path_factory.mktemp("dist")
    # A copy without egg-info: setuptools puts every file of an old egg-info's SOURCES.txt into a new sdist.
    source = out / "checkout"
    skip = shutil.ignore_patterns(".*", "*.egg-info", "build", "dist", "out", "__pycache__")
    shutil.copytree(ROOT, source, ignore=skip)
    sdist = out / _build("build_sdist", source, out)
    with tarfile.open(sdist) as tar:
        tar.extractall(out, filter="data")
    unpacked = out / sdist.name.removesuffix(".tar.gz")
    return sdist, out / _build("build_wheel", unpacked, out)


def _build(hook: str, source: Path, out: Path) -> str:
    done = subprocess.run([sys.executable, "-c", BUILD.format(hook), str(out)], cwd=source,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SetuptoolsDeprecationWarning" not in done.stderr, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_sdist_holds_what_make_test_needs(built: tuple[Path, Path]) -> None:
    sdist, _ = built
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    wanted = {"LICENSE", "CHANGELOG.md", "Makefile", "requirements.txt", "requirements-dev.txt", "pyproject.toml"}
    wanted |= {str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("*.py")}  # conftest.py and toy.py too
    wanted |= {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*") if p.is_file()}
    assert wanted - names == set()


def test_wheel_holds_models_web_page_typing_marker_and_license(built: tuple[Path, Path]) -> None:
    _, wheel = built
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    for name in ["py.typed", "models/default/bundle.json", "models/default/weights.safetensors",
                 "models/reps/config.json", "models/reps/weights.safetensors", "web/static/index.html"]:  # fmt: skip
        assert f"workout_analysis/{name}" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_wheel_metadata_admits_the_tested_pins_and_this_python(built: tuple[Path, Path]) -> None:
    _, wheel = built
    with zipfile.ZipFile(wheel) as whl:
        name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(whl.read(name).decode())
    assert meta["License-Expression"] == "MIT"
    python = SpecifierSet(meta["Requires-Python"])
    assert platform.python_version() in python and "3.13.0" not in python  # no mediapipe 0.10.21 wheel for 3.13

    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("#")[0].strip().split("==")
            pins[name.lower().replace("_", "-")] = version
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist")]
    for req in requires:  # every dependency is pinned in requirements.txt, within the wheel's own range
        assert pins[req.name.lower()] in req.specifier, f"requirements.txt's {req.name} outside {req}"
    pyarrow = next(r for r in requires if r.name == "pyarrow")
    assert "26.0.1" not in pyarrow.specifier  # pyarrow 26 refuses numpy 1.26; its metadata does not say so
