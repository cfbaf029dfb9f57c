"""Write examples/committee.ipynb (without outputs) from the cells below.

Run ``python examples/make_notebook.py`` after editing; tests/test_notebook.py executes
the notebook top to bottom, so it cannot rot.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", """# The selection committee's workflow

The bundled example cohort is a synthetic city government (no real person): about 60
applicants to the mentoring program and 40 mentors. This notebook matches them, reviews
why each pair was chosen, records the committee's decisions (one pin, one ban),
re-solves, compares, looks at the charts, and exports the files the committee keeps."""),
    ("code", """import matching
from IPython.display import HTML

data = matching.load_example()
data["mentees"][["id", "title", "level", "area", "kbu", "preferences"]].head()"""),
    ("md", """## Match

The objective is lexicographic: first as many mentees matched as possible, then the
highest total score. Hard rules (seniority, experience, adjacent area, exclusions, pins)
always hold. The summary is on top; gender and race appear only as cross-pair flags."""),
    ("code", """result = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
result"""),
    ("md", """## Review the explanations

Every pair can be defended: each criterion's part in plain words, the best alternatives
and what each would cost the cohort, and why ranked mentors were not given."""),
    ("code", """print(result.explain("E001"))"""),
    ("code", """first_unmatched = result.unmatched["mentee_id"].iloc[0]
print(result.explain_unmatched(first_unmatched))"""),
    ("md", """## The committee's decisions

Pin E001 to their first choice, and ban one pair (a conflict of interest); each decision
records a reason and who made it. The cohort is re-solved around them."""),
    ("code", """revised = result.with_pins([("E001", "M018")], reason="mentee's first choice",
                          decided_by="committee chair")
revised = revised.with_exclusions([("E002", "M015")], reason="conflict of interest",
                                  decided_by="committee chair")
assert revised.mentor_of["E001"] == "M018"
assert revised.mentor_of.get("E002") != "M015"
revised.overrides"""),
    ("md", "What changed, mentee by mentee:"),
    ("code", """changes = revised.diff(result)
changes"""),
    ("md", """## Charts

Score distribution, preference rank obtained, and the share of cross-KBU, cross-gender and
cross-race pairs (a share is hidden when a group is smaller than `min_group_size`)."""),
    ("code", """from matching.report.charts import result_charts

HTML("".join(result_charts(revised).values()))"""),
    ("md", """## Export

CSV and Excel files are safe to open in a spreadsheet (cells that could start a formula
are neutralised) and written atomically; the report is one self-contained HTML file."""),
    ("code", """from pathlib import Path
from matching.export import read_back, write_csv

out = Path("committee-output")
written = revised.to_csv(out)
written += write_csv({"changes": changes}, out)
written.append(revised.to_excel(out / "revised.xlsx"))
written.append(revised.report(out / "report.html"))
[str(p) for p in written]"""),
    ("code", """back = read_back(out)
assert back["pairs"]["mentee_id"].tolist() == revised.pairs["mentee_id"].tolist()
back["changes"]"""),
]


def build() -> nbformat.NotebookNode:
    cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    for k, cell in enumerate(cells):
        cell["id"] = f"cell-{k:02d}"  # stable ids: regenerating gives the same file
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


if __name__ == "__main__":
    path = Path(__file__).with_name("committee.ipynb")
    nbformat.write(build(), path)
    print(f"wrote {path}")
