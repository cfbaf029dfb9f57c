"""Regression tests, one per bug found (oldest first)."""

import numpy as np
import pandas as pd
import pytest

import matching


def test_exclusions_do_not_mark_listed_pairs_excluded(example):
    """Bug: with any exclusion present, every *listed* pair (pin checks, reasons) was
    reported as excluded, because the lookup filled absent pairs with 0, not None."""
    bans = pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M015"]})
    pins = pd.DataFrame({"mentee_id": ["E002"], "mentor_id": ["M001"]})
    result = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"],
                            exclusions=bans, pins=pins)
    assert result.mentor_of["E002"] == "M001"
    assert result.mentor_of.get("E001") != "M015"
    reason = result.unmatched.set_index("mentee_id").loc["E055", "reason"]
    assert "excluded" not in reason


def test_user_criterion_exception_becomes_library_error(example):
    """A user criterion that raises its own error escaped as that error (e.g. ZeroDivisionError)."""

    def broken(mentees, mentors):
        return 1 / 0

    with pytest.raises(matching.MatchingError, match="criterion 'broken' raised ZeroDivisionError"):
        matching.match(example["mentees"], example["mentors"], extra_criteria={"broken": broken})


def test_unmatched_ids_are_plain_str(example):
    """unmatched.mentee_id held numpy str_ values, unlike pairs.mentee_id."""
    result = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])
    assert {type(x) for x in result.unmatched["mentee_id"]} == {str}


def test_rematch_reads_back_ids_our_export_neutralised(tmp_path):
    """An id like '=X' is written as "'=X" (spreadsheet-safe); rematch() read the
    exported pairs.csv as the unknown id "'=X"."""
    mentees = pd.DataFrame({"id": ["=E1", "E2"], "level": [1, 1], "area": ["a", "a"], "kbu": ["k", "k"]})
    mentors = pd.DataFrame({"id": ["M1", "M2", "M3"], "level": [3, 3, 3], "area": ["b", "c", "d"],
                            "kbu": ["k", "k", "k"]})
    first = matching.match(mentees, mentors)
    first.to_csv(tmp_path)
    assert "'=E1" in (tmp_path / "pairs.csv").read_text(encoding="utf-8-sig")
    asks = pd.DataFrame({"mentee_id": ["=E1"], "mentor_id": [first.mentor_of["=E1"]], "requested_by": ["mentee"]})
    new = matching.rematch(tmp_path / "pairs.csv", mentees, mentors, asks)
    assert new.mentor_of["=E1"] not in ("", first.mentor_of["=E1"])


def test_rematch_result_has_the_same_views_and_exports(tmp_path, example):
    """RematchResult had no _repr_html_/to_csv/report, unlike MatchResult."""
    first = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])
    pair = first.pairs.iloc[0]
    asks = pd.DataFrame({"mentee_id": [pair.mentee_id], "mentor_id": [pair.mentor_id], "requested_by": ["both"]})
    new = matching.rematch(first, example["mentees"], example["mentors"], asks, relatedness=example["relatedness"])
    written = {p.name for p in new.to_csv(tmp_path)}
    assert {"pairs.csv", "changes.csv", "withdrawn.csv", "available_mentors.csv", "history.csv"} <= written
    assert "<table" in new._repr_html_()
    assert new.report(tmp_path / "r.html").exists()


def _sparse(monkeypatch, k=2):
    from matching.scoring import scores as scoring

    monkeypatch.setattr(scoring, "FULL_LIMIT", 0)
    monkeypatch.setattr(scoring, "TOP_K", k)
    monkeypatch.setattr(scoring, "MENTOR_K", 1)


def test_reasons_count_the_full_problem_on_the_sparse_path(monkeypatch):
    """On the sparse (certified) path, reasons and mentor notes counted only the
    shortlisted pairs: too few eligible mentors, and 'no mentee is eligible' for a
    spare mentor outside every shortlist."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generate import make_cohort

    mentees, mentors, relatedness = make_cohort(150, 60, seed=3, capacity=(0, 2))
    full = matching.match(mentees, mentors, relatedness=relatedness)
    _sparse(monkeypatch)
    sparse = matching.match(mentees, mentors, relatedness=relatedness)
    assert "certificate" in sparse.info.extra
    assert sparse.info.score == full.info.score
    assert list(sparse.unmatched["code"]) == list(full.unmatched["code"])
    counts = lambda r: r.unmatched["reason"].str.extract(r"(\d+) eligible")[0].tolist()  # noqa: E731
    assert counts(sparse) == counts(full)
    assert list(sparse.mentors["note"]) == list(full.mentors["note"])


def test_ban_on_a_sparse_result_keeps_the_certificate(monkeypatch, example):
    """with_exclusions rebuilt Candidates positionally, dropping 'complete', so a
    sparse set was then solved as if it listed every allowed pair."""
    _sparse(monkeypatch)
    first = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])
    mentee, mentor = first.pairs.iloc[0][["mentee_id", "mentor_id"]]
    banned = first.with_exclusions([(mentee, mentor)])
    reference = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"],
                               exclusions=pd.DataFrame({"mentee_id": [mentee], "mentor_id": [mentor]}))
    assert banned.info.score == reference.info.score
    assert "certificate" in banned.info.extra


def test_weight_naming_no_criterion_is_an_error(example):
    """A mistyped weight ('cross_kbuu') was silently ignored."""
    with pytest.raises(matching.SettingsError, match="The weight 'cross_kbuu' names no criterion"):
        matching.match(example["mentees"], example["mentors"], settings={"weights": {"cross_kbuu": 2}})
    ok = matching.match(example["mentees"], example["mentors"], settings={"weights": {"site": 2}},
                        extra_criteria={"site": lambda e, m: np.zeros((len(e), len(m)))})
    assert ok.info.status == "OPTIMAL"


def test_round_limit_gives_a_feasible_answer_marked_not_proven(monkeypatch):
    """Reaching the certificate's round limit raised an error; issue 7 asks for the best
    answer found, marked as not proven optimal, with a warning."""
    import sys
    from pathlib import Path

    from matching.solvers import certified

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generate import make_cohort

    mentees, mentors, relatedness = make_cohort(200, seed=5, collide=True)
    _sparse(monkeypatch, k=1)
    monkeypatch.setattr(certified, "MAX_ROUNDS", 1)
    with pytest.warns(matching.MatchingWarning, match="not proven optimal"):
        result = matching.match(mentees, mentors, relatedness=relatedness)
    assert result.info.status == "FEASIBLE"
    assert result.info.extra["certificate"]["certified"] is False
    assert len(result.pairs) + len(result.unmatched) == len(mentees)
    assert (result.mentors["assigned"] <= result.mentors["capacity"]).all()


def test_area_groups_declare_related_areas(example):
    """Issue 2: the committee can declare whole groups of areas related."""
    base = matching.candidates(example["mentees"], example["mentors"])
    grouped = matching.candidates(example["mentees"], example["mentors"], settings={
        "area_groups": {"Safety": ["Police", "Fire"]}, "group_relatedness": 0.9})
    def between(a, b):
        return (base["mentee_id"].isin(example["mentees"].query("area == @a")["id"])
                & base["mentor_id"].isin(example["mentors"].query("area == @b")["id"]))

    police_fire = between("Police", "Fire") | between("Fire", "Police")
    assert police_fire.any()
    assert (base.loc[police_fire, "relatedness"] == 2 * 0.5).all()      # default, weight 2
    assert (grouped.loc[police_fire, "relatedness"] == 2 * 0.9).all()
    assert (grouped.loc[~police_fire, "relatedness"] == base.loc[~police_fire, "relatedness"]).all()
    with pytest.raises(matching.SettingsError, match="names 'Polise'"):
        matching.match(example["mentees"], example["mentors"], settings={"area_groups": {"S": ["Polise"]}})


def test_what_if_resolves_keep_current_pairs_among_equal_optima():
    """Re-solves with a pin had no preference for current pairs: equally good answers
    reshuffled mentees (E00006 <-> E00009 swapped at no gain), so explanations and
    with_pins().diff() overstated disruption (5 moves where 1 is needed)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generate import make_cohort

    mentees, mentors, relatedness = make_cohort(60, 40, seed=3, collide=True)
    first = matching.match(mentees, mentors, relatedness=relatedness)
    pinned = first.with_pins([("E00001", "M00003")])
    assert sorted(pinned.diff(first)["mentee_id"]) == ["E00001", "E00016"]
    independent = matching.match(mentees, mentors, relatedness=relatedness,
                                 pins=pd.DataFrame({"mentee_id": ["E00001"], "mentor_id": ["M00003"]}))
    assert pinned.info.score == independent.info.score
    assert pinned.info.matched_priority == independent.info.matched_priority


def test_missing_people_table_is_named(example):
    """match(None, mentors) raised an InputError with '0 problems' and no failure cases."""
    with pytest.raises(matching.InputError, match="the mentees table is required") as info:
        matching.match(None, example["mentors"])
    assert list(info.value.failure_cases["column"]) == ["mentees"]


def test_diff_of_a_non_result_is_a_library_error(example):
    """result.diff(5) raised AttributeError."""
    result = matching.match(example["mentees"], example["mentors"])
    with pytest.raises(matching.MatchingError, match="compares two results"):
        result.diff(5)


def test_documented_submodules_are_reachable():
    """The README names matching.privacy.diversity_table, but matching.privacy was not imported."""
    import subprocess
    import sys

    code = "import matching; matching.privacy.diversity_table; matching.export.read_back"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_user_criterion_cannot_change_the_cohort(example):
    """User criteria got the cohort's live mentor arrays: an in-place normalisation
    rewrote mentor levels inside the frozen cohort (level gaps of -3 in the output)."""

    def normalised(mentees, mentors):
        levels = mentors.level
        levels -= levels.min()  # in place: must not reach the cohort
        return np.zeros((len(mentees), len(mentors)))

    with pytest.raises(matching.MatchingError, match="criterion 'normalised' raised ValueError.*read-only"):
        matching.match(example["mentees"], example["mentors"], extra_criteria={"normalised": normalised})
    result = matching.match(example["mentees"], example["mentors"])
    assert (result.pairs["level_gap"] >= 1).all()


def test_input_hash_ignores_row_order_of_duplicate_exclusions(example):
    """A pair excluded twice with different reasons kept the first row's reason, so the
    input hash depended on row order."""
    bans = pd.DataFrame({"mentee_id": ["E001", "E001"], "mentor_id": ["M015", "M015"],
                         "reason": ["conflict of interest", "same team"]})
    a = matching.match(example["mentees"], example["mentors"], exclusions=bans)
    b = matching.match(example["mentees"], example["mentors"], exclusions=bans.iloc[::-1])
    assert a.info.input_hash == b.info.input_hash
    assert a.overrides.query("mentee_id == 'E001'")["reason"].tolist() == ["conflict of interest; same team"]


def test_input_hash_covers_columns_user_criteria_read(example):
    """Changing an extra column a user criterion reads changed the answer, not the hash."""
    def same_site(mentees, mentors):
        return (mentees.column("site")[:, None] == mentors.column("site")[None, :]).astype(float)

    mentees = example["mentees"].assign(site="North")
    mentors = example["mentors"].assign(site="North")
    moved = mentors.assign(site=["South" if k % 2 else "North" for k in range(len(mentors))])
    a = matching.match(mentees, mentors, extra_criteria={"site": same_site})
    b = matching.match(mentees, moved, extra_criteria={"site": same_site})
    assert a.info.score != b.info.score
    assert a.info.input_hash != b.info.input_hash


def test_unwritable_destination_is_a_library_error(tmp_path, example):
    """to_csv('/dev/null/x'), to_excel(<a folder>) and report('/dev/null/x.html') raised
    bare OS errors from the library API."""
    result = matching.match(example["mentees"], example["mentors"])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for write in (lambda: result.to_csv(blocker / "out"), lambda: result.to_excel(tmp_path),
                  lambda: result.report(blocker / "r.html"), lambda: result.to_json(blocker / "r.json")):
        with pytest.raises(matching.MatchingError, match="cannot write"):
            write()
    assert blocker.read_text() == "x"


def test_complex_criterion_values_are_refused(example):
    """A user criterion returning complex numbers was silently cast to real."""
    with pytest.raises(matching.MatchingError, match="must return real numbers"):
        matching.match(example["mentees"], example["mentors"],
                       extra_criteria={"z": lambda e, m: np.ones((len(e), len(m))) * (1 + 2j)})


def test_excel_ids_with_zero_padded_format_keep_their_zeros(tmp_path):
    """An Excel id cell holding the number 1 shown as 001 (format '000') was read as '1'."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "level", "area", "kbu"])
    for k, (level, area) in enumerate([(2, "a"), (2, "b")], start=1):
        sheet.append([k, level, area, "k"])
        sheet.cell(row=k + 1, column=1).number_format = "000"
    book.save(tmp_path / "mentees.xlsx")
    frame = matching.read_table(tmp_path / "mentees.xlsx")
    assert frame["id"].tolist() == ["001", "002"]
    assert frame["level"].tolist() == ["2", "2"]


def test_scoring_and_certificate_rounds_show_progress_on_a_terminal(monkeypatch, example, capsys):
    # Issue 14: long steps (scoring at scale, certificate rounds) show progress; quiet otherwise.
    from matching.files import progress

    _sparse(monkeypatch)
    monkeypatch.setattr(progress, "DELAY", 0)
    shown = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"], progress=True)
    err = capsys.readouterr().err
    assert "certificate rounds" in err and "scoring pairs" in err
    quiet = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"],
                           progress=False)
    assert capsys.readouterr().err == "" and shown.mentor_of == quiet.mentor_of
