"""The package build: meson.build installs every module and header of the source tree, the
metadata says what the project is, and `python -m qemu_py --include` finds the plugin header.

The full `pip install .` into a fresh venv is slow (it fetches the build tools and compiles the
core); it runs when QEMU_PY_TEST_INSTALL=1 is set.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MESON = (ROOT / "meson.build").read_text()
PYPROJECT = (ROOT / "pyproject.toml").read_text()


def listed_in_meson():
    return set(re.findall(r"'(qemu_py/[^']+)'", MESON))


def test_every_module_and_header_is_installed():
    # Every module, and the plugin headers beside them (core/*.h are for the build only).
    wanted = {p.relative_to(ROOT).as_posix() for p in (ROOT / "qemu_py").rglob("*.py")
              if "__pycache__" not in p.parts}
    wanted |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "qemu_py").glob("*.h")}
    missing = sorted(wanted - listed_in_meson())
    assert not missing, f"add these to meson.build: {missing}"


def test_listed_files_exist():
    gone = sorted(f for f in listed_in_meson() if not (ROOT / f).exists())
    assert not gone, f"meson.build lists files that are not there: {gone}"


def test_metadata():
    assert 'name = "qemu-py"' in PYPROJECT
    assert 'license = "GPL-2.0-or-later"' in PYPROJECT
    assert 'requires-python = ">=3.9"' in PYPROJECT
    for dep in ("cffi", "capstone", "pyelftools"):
        assert f'"{dep}"' in PYPROJECT
    assert 'qemu-py-system = "qemu_py.cli:entry_point"' in PYPROJECT
    assert "GNU GENERAL PUBLIC LICENSE" in (ROOT / "LICENSE").read_text()[:200]


@pytest.mark.skipif(os.environ.get("QEMU_PY_TEST_INSTALL") != "1",
                    reason="set QEMU_PY_TEST_INSTALL=1 to build and install into a fresh venv")
def test_pip_install_into_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([venv / "bin" / "pip", "install", "-q", ROOT], check=True, timeout=1800)
    proc = subprocess.run([venv / "bin" / "qemu-py-system", "-M", "virt", "-nographic",
                           "-kernel", ROOT / "demo" / "hello.elf"], capture_output=True,
                          cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, b"Hello from the qemu_py demo guest!\n")
    include = subprocess.run([venv / "bin" / "python", "-m", "qemu_py", "--include"],
                             capture_output=True, text=True, cwd=tmp_path, check=True)
    folder = pathlib.Path(include.stdout.strip())
    assert folder.is_relative_to(venv) and (folder / "plugin.h").is_file()


# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"elftools": "pyelftools"}


def test_third_party_imports_are_dependencies():
    import ast
    declared = set(re.findall(r'"([A-Za-z0-9_.-]+)"',
                              re.search(r"dependencies = \[(.*?)\]", PYPROJECT).group(1)))
    needed = set()
    for path in (ROOT / "qemu_py").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "qemu_py":
                    needed.add(DISTRIBUTIONS.get(top, top))
    assert needed <= declared, f"add to dependencies in pyproject.toml: {sorted(needed - declared)}"


def test_modules_parse_as_python_3_9():
    # requires-python says 3.9: no syntax of later versions (match, except*, ...). Annotations
    # like `int | None` are not caught here; `from __future__ import annotations` makes them safe.
    import ast
    bad = []
    for path in (ROOT / "qemu_py").rglob("*.py"):
        try:
            ast.parse(path.read_text(), feature_version=(3, 9))
        except SyntaxError as e:
            bad.append(f"{path.relative_to(ROOT)}:{e.lineno}: {e.msg}")
    assert not bad, bad
