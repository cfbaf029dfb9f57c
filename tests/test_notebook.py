"""examples/committee.ipynb runs top to bottom (so it can never rot) and is stored without outputs."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "committee.ipynb"


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebook", ROOT / "examples" / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebook_is_stored_without_outputs_and_matches_its_generator():
    pytest.importorskip("nbformat")
    stored = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in stored["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    built = _generator().build()
    assert ["".join(c["source"]) for c in stored["cells"]] == [c["source"] for c in built.cells]


def test_notebook_runs_top_to_bottom(tmp_path):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("capacity used" in h for h in html)  # the result's table, summary on top
    assert any(h.count("<svg") == 3 for h in html)  # the charts
    out = tmp_path / "committee-output"
    assert {"pairs.csv", "changes.csv", "revised.xlsx", "report.html"} <= {p.name for p in out.iterdir()}
