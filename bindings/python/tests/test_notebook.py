# SPDX-License-Identifier: GPL-3.0-or-later
"""examples/notebooks/poverty-profile.ipynb runs headless from top to bottom (Debian's
python3-nbclient and python3-ipykernel, with /usr/bin/python3 and this build's pkh): a cell
that fails fails the test. Its charts (the Lorenz curve, PKH coverage by decile) are drawn."""
import sys

import pytest

from conftest import SOURCE_DIR

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = SOURCE_DIR / "examples" / "notebooks" / "poverty-profile.ipynb"


def test_the_notebook_runs(tmp_path, monkeypatch):
    # the kernel inherits this environment (PYTHONPATH reaches this build's pkh); keep its
    # files out of the home directory
    for name in ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "the notebook is stored without outputs"
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, when a cell fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2, "the Lorenz curve and the coverage by decile"
    assert nb.metadata["language_info"]["version"].startswith(
        f"{sys.version_info.major}.{sys.version_info.minor}")
