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
    assert text.count('<details class="more">') == len(res.pairs)
    for mid in res.pairs["mentee_id"].iloc[:3]:
        assert escape(explanation_text(res, mid)) in text
    unmatched = text.split("<h2>Unmatched mentees")[1].split("<h2>")[0]
    for mid in res.unmatched["mentee_id"]:
        assert mid in unmatched
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


# --- the committee's report: words first, names and titles, decisions, what changed ---------------------------


@pytest.fixture(scope="module")
def revised(base):
    pinned = base.with_pins([("E001", "M018")], reason="first choice", decided_by="chair")
    return pinned.with_exclusions([("E002", pinned.mentor_of["E002"])], reason="conflict of interest",
                                  decided_by="HR")


def test_summary_comes_first_in_words(base):
    page = report_html(base)
    n, paired = base.summary["mentees"], base.summary["pairs"]
    words = f"{paired} of {n} mentees have a mentor; {n - paired} do not:"
    assert words in page and page.index(words) < page.index("<h2>Pairs")
    codes = base.unmatched["code"].value_counts()
    assert f"{codes['capacity_exhausted']} because every fitting mentor was full" in page
    assert "preferences / ranks" not in page and "1st choice" in page


def test_names_and_titles_shown_by_default_and_on_request(example, base):
    page = report_html(base, explanations=False)
    row = example["mentees"].set_index("id").loc["E001"]
    assert escape_(row["name"]) in page and escape_(row["title"]) in page
    bare = report_html(base, explanations=False, display=())
    assert escape_(row["name"]) not in bare.split("<h2>Pairs")[1].split("<h2>Unmatched")[0]
    only = report_html(base, explanations=False, display=["Title"])  # headers loosely matched
    assert escape_(row["title"]) in only


def escape_(text) -> str:
    from html import escape

    return escape(str(text))


def test_every_pair_has_a_visible_why_line(base):
    page = report_html(base)
    why = base.explain_many()
    pairs = page.split("<h2>Pairs")[1].split("<h2>Unmatched")[0]
    for mid, e in why.items():
        assert escape_(e.line) in pairs
    assert pairs.count("<tr>") == len(base.pairs) + 1


def test_decisions_and_what_changed(base, revised):
    page = report_html(revised, previous=base, explanations=False)
    decisions = page.split("<h2>Decisions")[1].split("<h2>")[0]
    assert "pinned" in decisions and "banned" in decisions and "conflict of interest" in decisions
    assert "chair" in decisions and "HR" in decisions
    changed = page.split("<h2>What changed")[1].split("<h2>")[0]
    moved = revised.diff(base)
    assert f"{len(moved)} mentees changed" in changed
    assert revised.decisions.equals(revised.decisions) and len(revised.decisions) == 2
    notebook = revised._repr_html_()
    assert "<h4>decisions</h4>" in notebook and "conflict of interest" in notebook


def test_explanations_read_as_text_in_a_notebook(base):
    html = base.explain("E001")._repr_html_()
    assert html.startswith("<pre") and "Explanation(" not in html and "best alternatives" in html
    assert base.explain("E001", why_not="M014")._repr_html_().startswith("<pre")
