# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's offline installs into a virtual environment made with --system-site-packages
(Debian's numpy and pandas visible): pip from the built package directory, and a .pth file."""
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

import pkh

BUILT = pathlib.Path(pkh.__file__).resolve().parents[1]  # <build>/python, holding pkh/
CHECK = ("import sys, pkh, numpy, pandas; "
         "t = pkh.read_csv(sys.argv[1]); "
         "print(pkh.__file__); print(numpy.__file__); print(len(t), pkh.describe(t).shape)")


def expected_shape(sample):
    """What CHECK prints last: rows, and describe's shape (a row per column, 8 fields)."""
    with open(sample) as f:
        lines = f.read().splitlines()
    return f"{len(lines) - 1} ({len(lines[0].split(','))}, 8)"


def make_venv(path):
    # --without-pip: the venv uses Debian's pip through the system site-packages
    r = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                        str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot make a virtual environment: {r.stderr.strip()}")
    return path / "bin" / "python"


def run_outside(python, sample, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    r = subprocess.run([str(python), "-c", CHECK, sample], capture_output=True, text=True,
                       cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_pip_install_offline(tmp_path, sample):
    for module in ("pip", "setuptools", "wheel"):
        if subprocess.run([sys.executable, "-c", f"import {module}"]).returncode != 0:
            pytest.skip(f"Debian's python3-{module} is not installed")
    python = make_venv(tmp_path / "venv")
    src = tmp_path / "src"
    shutil.copytree(BUILT, src, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                              "__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INDEX"] = "1"  # offline, whatever the user's pip configuration says
    r = subprocess.run([str(python), "-m", "pip", "install", "--no-index",
                        "--no-build-isolation", "--disable-pip-version-check", str(src)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    where, numpy_file, shape = run_outside(python, sample, tmp_path)
    assert where.startswith(str(tmp_path / "venv"))
    assert numpy_file.startswith("/usr/lib/python3")  # Debian's numpy
    assert shape == expected_shape(sample)


def test_pth_file(tmp_path, sample):
    python = make_venv(tmp_path / "venv")
    purelib = subprocess.run([str(python), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True).stdout.strip()
    assert purelib.startswith(str(tmp_path))
    pathlib.Path(purelib, "pkh-build.pth").write_text(f"{BUILT}\n")
    where, _, shape = run_outside(python, sample, tmp_path)
    assert where == str(BUILT / "pkh" / "__init__.py")
    assert shape == expected_shape(sample)
    assert sysconfig.get_paths()["purelib"] != purelib
