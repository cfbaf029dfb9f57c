"""HTML: the notebook view and the self-contained report escape user text and hide small groups."""

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matching
from matching.report import charts
from matching.report.html import explanation_text, report_html

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile(example):
    """A cohort with HTML in an id, an area and the relatedness table."""
    mentees, mentors = example["mentees"].copy(), example["mentors"].copy()
    first = mentees["id"].iloc[0]
    mentees["id"] = mentees["id"].replace({first: SCRIPT})
    area = '<img src="http://evil/x.png">'
    mentees["area"] = mentees["area"].replace({"Fire": area})
    mentors["area"] = mentors["area"].replace({"Fire": area})
    related = example["relatedness"].replace({"Fire": area})
    return matching.match(mentees, mentors, relatedness=related)


@pytest.fixture(scope="module")
def page(hostile):
    return report_html(hostile)


def test_html_escapes_user_text(hostile, page):
    assert SCRIPT in set(hostile.pairs["mentee_id"]) | set(hostile.unmatched["mentee_id"])
    for html in (page, hostile._repr_html_()):
        assert "<script" not in html.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img" not in html and "&lt;img src=" in html


@pytest.fixture(scope="module")
def written(example, tmp_path_factory):
    res = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])
    folder = tmp_path_factory.mktemp("report")
    path = res.report(folder / "report.html")
    return res, folder, path.read_text(encoding="utf-8")


def test_report_is_self_contained(written):
    _, folder, text = written
    lowered = text.lower()
    for needle in ("http://", "https://", "src=", "<link", "<script", "@import", "url(", "<iframe", "href="):
        assert needle not in lowered, needle
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert [p.name for p in folder.iterdir()] == ["report.html"]


def test_report_holds_pairs_explanations_statistics_and_charts(written):
    from html import escape

    res, _, text = written
    assert text.count("<svg") == 3
    for title in ("Pair scores", "Preference rank obtained", "Share of pairs across KBU"):
        assert title in text
    assert text.count("<details>") == len(res.pairs)
    for mid in res.pairs["mentee_id"].iloc[:3]:
        assert escape(explanation_text(res, mid)) in text
    for mid in res.unmatched["mentee_id"]:
        assert f"<td>{mid}</td>" in text
    assert "1st choice" in text and "cross-KBU" in text


def test_notebook_view_has_the_summary_on_top(example):
    res = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])
    html = res._repr_html_()
    assert html.index("capacity used") < html.index("<h4>pairs</h4>")
    assert html.count("<tr>") >= len(res.pairs) + len(res.unmatched)


def test_no_gender_or_race_value_reaches_the_html(example):
    mentees, mentors = example["mentees"].copy(), example["mentors"].copy()
    for frame in (mentees, mentors):
        frame["gender"] = "Gzq" + frame["gender"].astype(str)
        frame["race"] = "Rzq" + frame["race"].astype(str)
    res = matching.match(mentees, mentors, relatedness=example["relatedness"])
    assert "zq" not in res._repr_html_().lower()
    page = report_html(res)
    head, rest = page.split('<section id="diversity">')
    section, tail = rest.split("</section>", 1)
    assert "zq" not in (head + tail).lower()  # no label outside the aggregate section
    from matching.privacy import diversity_table

    table = diversity_table(res)
    shown = set(table.loc[~table["suppressed"].astype(bool), "group"])
    labels = set(pd.concat([mentees["gender"], mentees["race"]]).dropna())
    assert labels & shown and all(f"<td>{label}</td>" in section for label in labels & shown)
    assert labels - shown and not [label for label in labels - shown if label in page]  # small groups never


def test_small_cohort_hides_diversity_shares():
    from benchmarks.generate import make_cohort

    mentees, mentors, related = make_cohort(4, 4, seed=1)
    res = matching.match(mentees, mentors, relatedness=related)
    assert len(res.pairs) < res.settings.min_group_size
    html = report_html(res, explanations=False)
    assert "suppressed" in html
    for label in ("cross-KBU share", "cross-gender share", "cross-race share"):
        cell = re.search(rf"<td>{label}</td><td>([^<]*)</td>", html).group(1)
        assert cell.startswith("suppressed"), (label, cell)


@given(yes=st.integers(0, 30), no=st.integers(0, 30), k=st.integers(1, 8))
def test_cross_shares_suppress_exactly_the_small_cells(yes, no, k):
    frame = pd.DataFrame({f"is_cross_{c}": [True] * yes + [False] * no for c in ("kbu", "gender", "race")})
    shares = charts.cross_shares(frame, k)
    for value in shares.values():
        if 0 < yes < k or 0 < no < k or yes + no == 0:
            assert value is None
        else:
            assert value == round(yes / (yes + no), 4)


def test_charts_escape_labels_and_handle_empty_input():
    svg = charts.bar_chart(["<b>x</b>"], [None], title="t&t")
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "suppressed" in svg and "t&amp;t" in svg
    assert "no values" in charts.histogram([], title="empty")
    assert charts.ordinal(1) == "1st" and charts.ordinal(12) == "12th" and charts.ordinal(23) == "23rd"
