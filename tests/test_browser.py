"""The report and the notebook view in a real browser (headless Chromium) at 1280 px:
nothing scrolls sideways, and printing keeps every pair. Skipped without Chromium
(CI installs Debian's ``chromium`` and ``poppler-utils``: see ``.ci/run``)."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

import matching
from matching.report.html import report_html

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs a Chromium browser")

MEASURE = ("<script>(function(){var d=document.documentElement;var w=d.clientWidth;"
           "var wide=Array.prototype.filter.call(document.querySelectorAll('table,svg,pre,ul,p'),"
           "function(e){return e.getBoundingClientRect().right>w+1;}).length;"
           "document.body.setAttribute('data-overflow',String(d.scrollWidth-w));"
           "document.body.setAttribute('data-wide',String(wide));})();</script>")


def _chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--disable-background-networking", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def _overflow(tmp_path, html: str) -> tuple[int, int]:
    page = tmp_path / "measure.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    found = re.search(r'data-overflow="(-?\d+)" data-wide="(\d+)"', dom)
    assert found, dom[-2000:]
    return int(found.group(1)), int(found.group(2))


@pytest.fixture(scope="module")
def cohort_300():
    from benchmarks.generate import make_cohort

    mentees, mentors, related = make_cohort(300, seed=3)
    rng = np.random.default_rng(3)
    for frame, word in ((mentees, "Mentee"), (mentors, "Mentor")):
        frame["name"] = [f"{word} Bartholomew-Featherstonehaugh {k}" for k in range(len(frame))]
        frame["title"] = rng.choice(["Senior Intergovernmental Affairs Coordinator", "Analyst",
                                     "Deputy Director of Neighborhood Services"], len(frame))
    return matching.match(mentees, mentors, relatedness=related)


@pytest.fixture(scope="module")
def revised(base):
    pinned = base.with_pins([("E001", "M018")], reason="first choice", decided_by="chair")
    return pinned.with_exclusions([("E002", pinned.mentor_of["E002"])], reason="conflict of interest",
                                  decided_by="HR")


@pytest.mark.parametrize("which", ["example", "revised", "cohort_300"])
def test_report_does_not_scroll_sideways_at_1280(tmp_path, request, base, which):
    result = request.getfixturevalue(which) if which != "example" else base
    html = report_html(result, previous=base if which == "revised" else None)
    assert _overflow(tmp_path, html) == (0, 0)


def test_notebook_view_does_not_scroll_sideways_at_1280(tmp_path, revised, cohort_300):
    for result in (revised, cohort_300):
        page = f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{result._repr_html_()}</body></html>'
        assert _overflow(tmp_path, page) == (0, 0)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_printing_keeps_every_pair(tmp_path, cohort_300):
    html = tmp_path / "report.html"
    cohort_300.report(html, display=())
    pdf = tmp_path / "report.pdf"
    _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    pairs = text.split("Pairs (")[1].split("Unmatched mentees")[0]
    missing = [m for m in cohort_300.pairs["mentee_id"] if m not in pairs]
    assert not missing, missing[:10]
    assert "details" not in pairs  # folded details are not printed; each pair's why line is
