"""Hostile input (issue #11): exact ids, bounded memory, atomic output sets, one library error.

Each kind of bad input has a regression test; ``test_fuzzed_ids_*`` drives random ids
(control characters, very long text, look-alikes, accents) through ``match()`` and the
exports against an independent oracle of what must be refused and what must come out.
"""

import os
import re
import tempfile
import tracemalloc
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matching
from matching.cli import main
from matching.files import export
from matching.files.ids import MAX_ID_LENGTH, MAX_NAME_LENGTH
from matching.files.tables import read_table


def people(ids, *, level=1, area="Police", kbu="Safety", **extra) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({"id": list(ids), "level": [level] * n, "area": [area] * n, "kbu": [kbu] * n, **extra})


def mentors(n=2, capacity=2) -> pd.DataFrame:
    return people([f"M{k}" for k in range(1, n + 1)], level=3, area="Fire", kbu="Rescue", capacity=[capacity] * n)


def problems(err) -> list[str]:
    return err.value.failure_cases["problem"].tolist()


# --------------------------------------------------------------------------- ids: nothing merged
@pytest.mark.parametrize("bad", ["E1\x00", "E\x001", "E1\x1f", "\x1cE1", "E1\x7f", "E1\x85", "E\n1", "E1\x00\x00"])
def test_an_id_with_a_control_character_is_refused_naming_the_row(bad):
    with pytest.raises(matching.InputError) as err:
        matching.match(people(["E1", bad]), mentors())
    cases = err.value.failure_cases
    assert len(cases) == 1 and cases["row"].iloc[0] == 1 and cases["column"].iloc[0] == "id"
    assert "control character" in cases["problem"].iloc[0]
    assert "\x00" not in str(err.value) and "\n1" not in cases["id"].iloc[0]


@pytest.mark.parametrize("hidden", ["E1\x85", "E1\x1f", "\x00E1"])
def test_a_pin_or_exclusion_id_hiding_a_control_character_never_lands_on_another_id(hidden):
    for kind in ("pins", "exclusions"):
        table = pd.DataFrame({"mentee_id": [hidden], "mentor_id": ["M1"]})
        with pytest.raises(matching.InputError, match="unknown mentee"):
            matching.match(people(["E1"]), mentors(1), **{kind: table})
    with pytest.raises(matching.InputError, match="control character"):
        matching.match(people(["E1"], preferences=["M1\x85"]), mentors(1))


def test_nul_ids_never_merge_two_people_so_an_exclusion_cannot_land_on_the_other(tmp_path):
    excluded = pd.DataFrame({"mentee_id": ["E1"], "mentor_id": ["M1"]})
    with pytest.raises(matching.InputError, match="control character"):
        matching.match(people(["E1\x00", "E1"]), mentors(1), exclusions=excluded)
    path = tmp_path / "mentees.csv"
    path.write_bytes(b"id,level,area,kbu\nE1\x00,1,Police,Safety\nE1,1,Police,Safety\n")
    with pytest.raises(matching.InputError) as err:
        matching.match(path, mentors(1), exclusions=excluded)
    assert err.value.failure_cases["row"].tolist() == [2] and err.value.failure_cases["file"].iloc[0] == "mentees.csv"


def test_ids_are_held_as_exact_text_not_fixed_width_strings():
    result = matching.match(people(["E1", "E1 x", "x" * MAX_ID_LENGTH]), mentors(2, 3))
    ids = result.cohort.mentees.ids
    assert ids.dtype == object and sorted(ids.tolist()) == sorted(["E1", "E1 x", "x" * MAX_ID_LENGTH])


def test_relatedness_of_an_area_with_itself_given_twice_is_a_conflict():
    table = pd.DataFrame({"area_a": ["Police", "Police"], "area_b": ["Police", "Police"], "relatedness": [0.2, 0.9]})
    for frame in (table, table.iloc[::-1]):
        with pytest.raises(matching.InputError) as err:
            matching.match(people(["E1"]), mentors(), relatedness=frame)
        assert problems(err) == [f"relatedness of 'Police' and 'Police' is given twice with different values "
                                 f"({frame['relatedness'].iloc[0]:g} and {frame['relatedness'].iloc[1]:g})"]
    same = pd.concat([table.iloc[:1]] * 2)  # the same value twice is no conflict
    matching.match(people(["E1"]), mentors(), relatedness=same)


# --------------------------------------------------------------------------- memory bounded by the data
def test_an_over_long_id_or_name_is_refused_and_not_echoed_whole():
    with pytest.raises(matching.InputError) as err:
        matching.match(people(["E1", "E" * 1_000_000]), mentors())
    assert "more than the limit of 256" in problems(err)[0] and len(str(err.value)) < 1000
    with pytest.raises(matching.InputError, match="area has 1,001 characters"):
        matching.match(people(["E1"], area="A" * (MAX_NAME_LENGTH + 1)), mentors())
    with pytest.raises(matching.InputError, match="a competency has"):
        matching.match(people(["E1"], competencies=["x" * (MAX_NAME_LENGTH + 1)]), mentors())


def test_memory_is_bounded_by_the_data_not_rows_times_the_longest_value():
    n = 2000  # one 1 MB note: fixed-width arrays would need n x 1 MB x 4 bytes = 8 GB
    mentees = people([f"E{k}" for k in range(n)], note=["x"] * (n - 1) + ["y" * 1_000_000])
    tracemalloc.start()
    try:
        result = matching.match(mentees, mentors(50, 40), settings={"solver": "flow"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(result.pairs) + len(result.unmatched) == n
    assert peak < 300 * 2**20
    tracemalloc.start()  # 5,000 mentees with one 1 MB id: refused, in memory the size of the data
    try:
        with pytest.raises(matching.InputError, match="more than the limit of 256"):
            matching.match(people([f"E{k}" for k in range(4999)] + ["E" * 2**20]), mentors(50, 40))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20


# --------------------------------------------------------------------------- outputs: all or none
@pytest.fixture(scope="module")
def two_results():
    a = matching.match(people(["E1", "E2", "E3"]), mentors(2, 1))
    b = matching.match(people(["E1", "E2", "E3"]), mentors(2, 2))
    return a, b


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_a_failure_while_swapping_the_set_in_restores_every_previous_file(two_results, tmp_path, monkeypatch,
                                                                       fail_at):
    old, new = two_results
    old.to_csv(tmp_path)
    (tmp_path / "mine.txt").write_text("not ours")
    before = _snapshot(tmp_path)
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2 * fail_at and "staging" not in str(dst):  # the new file of the fail_at-th target
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(matching.MatchingError, match="No space left on device") as err:
        new.to_csv(tmp_path)
    assert str(tmp_path) in str(err.value)
    monkeypatch.setattr(os, "replace", real)
    assert _snapshot(tmp_path) == before and not list(tmp_path.glob(".matching-staging-*"))


def test_cleanup_never_raises_over_the_real_error(two_results, tmp_path, monkeypatch):
    import shutil

    def broken_rmtree(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    def broken_writer(temp):
        raise OSError(28, "No space left on device", str(temp))

    monkeypatch.setattr(shutil, "rmtree", broken_rmtree)
    with pytest.raises(matching.MatchingError, match="No space left on device") as err:
        export.atomic_write({tmp_path / "a.csv": lambda t: t.write_text("a"), tmp_path / "b.csv": broken_writer})
    assert "b.csv" in str(err.value) and not (tmp_path / "a.csv").exists()


def test_a_file_that_cannot_be_put_back_is_kept_and_named(two_results, tmp_path, monkeypatch):
    two_results[0].to_csv(tmp_path)
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 4 or len(calls) >= 5 and "staging" not in str(dst):  # 2nd swap fails, so does undoing
            raise OSError(5, "Input/output error", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(matching.MatchingError, match="could not be put back; it is kept as") as err:
        two_results[1].to_csv(tmp_path)
    kept = re.search(r"kept as '([^']+)'", str(err.value)).group(1)
    assert Path(kept).exists()


def test_an_unwritable_destination_is_a_matching_error_naming_it(two_results, tmp_path, monkeypatch):
    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", denied)
    for write, target in ((two_results[0].to_csv, tmp_path / "out"), (two_results[0].to_json, tmp_path / "r.json"),
                          (two_results[0].to_excel, tmp_path / "r.xlsx")):
        with pytest.raises(matching.MatchingError, match="Permission denied") as err:
            write(target)
        assert str(target) in str(err.value) and not isinstance(err.value, PermissionError)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_or_device_is_never_replaced_by_a_file(two_results, tmp_path):
    pipe = tmp_path / "r.json"
    os.mkfifo(pipe)
    with pytest.raises(matching.MatchingError, match="not a regular file"):
        two_results[0].to_json(pipe)
    assert pipe.is_fifo()


def test_a_failed_write_into_a_new_folder_leaves_no_folder(two_results, tmp_path, monkeypatch):
    def broken(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(matching.MatchingError, match="No space left"):
        two_results[0].to_csv(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []


def test_the_cli_keeps_earlier_outputs_when_the_report_cannot_be_written(tmp_path, monkeypatch, capsys):
    people(["E1", "E2"]).to_csv(tmp_path / "e.csv", index=False)
    mentors().to_csv(tmp_path / "m.csv", index=False)
    out = tmp_path / "out"
    argv = ["match", str(tmp_path / "e.csv"), str(tmp_path / "m.csv"), "--out", str(out), "--report"]
    assert main(argv) == 0
    before = _snapshot(out)
    assert "report.html" in before and "pairs.csv" in before
    mentors(2, 5).to_csv(tmp_path / "m.csv", index=False)  # a different result
    real = Path.write_text

    def failing(self, *args, **kwargs):
        if self.parent.name.startswith(".matching-staging"):
            raise OSError(30, "Read-only file system", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Read-only file system" in err and "Traceback" not in err
    assert _snapshot(out) == before


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_an_unwritable_folder_is_a_matching_error_naming_it(two_results, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        for write in (lambda: two_results[0].to_csv(locked), lambda: two_results[0].to_json(locked / "r.json"),
                      lambda: two_results[0].to_csv(locked / "sub")):
            with pytest.raises(matching.MatchingError, match=re.escape(str(locked))):
                write()
    finally:
        locked.chmod(0o700)


def test_text_longer_than_an_excel_cell_is_refused_not_cut(tmp_path):
    table = {"notes": pd.DataFrame({"text": ["ok", "x" * 32_768]})}
    with pytest.raises(matching.MatchingError, match="32,767"):
        export.write_excel(table, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    export.write_excel({"notes": pd.DataFrame({"text": ["x" * 32_767]})}, tmp_path / "x.xlsx")
    assert export.read_back(tmp_path / "x.xlsx")["notes"]["text"].iloc[0] == "x" * 32_767


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "a\\b", "x:y", "a[1]", "what?", " pad", "", "tab\t", None, 7])
def test_a_table_name_that_is_no_file_or_sheet_name_is_refused(name, tmp_path):
    folder = tmp_path / "out"
    for write in (export.write_csv, export.write_excel, export.write_json):
        with pytest.raises(matching.MatchingError, match="table name"):
            write({name: pd.DataFrame({"a": [1]})}, folder if write is export.write_csv else tmp_path / "f")
    assert list(tmp_path.iterdir()) == []


def test_sheet_names_are_checked_for_length_and_case_clashes(tmp_path):
    with pytest.raises(matching.MatchingError, match="31 characters"):
        export.write_excel({"x" * 32: pd.DataFrame({"a": [1]})}, tmp_path / "f.xlsx")
    with pytest.raises(matching.MatchingError, match="ignoring case"):
        export.write_csv({"Pairs": pd.DataFrame(), "pairs": pd.DataFrame()}, tmp_path)


@pytest.mark.parametrize("dest", [None, 7, "", b"x", ["a"]])
def test_a_destination_that_is_no_path_is_a_library_error(two_results, dest):
    result = two_results[0]
    for write in (result.to_csv, result.to_excel, result.to_json):
        with pytest.raises(matching.MatchingError, match="must be a path"):
            write(dest)
    with pytest.raises(matching.MatchingError, match="nothing to write"):
        export.write_csv(None, "somewhere")


def test_reading_with_no_path_or_a_foreign_file_is_a_library_error(tmp_path):
    (tmp_path / "other.json").write_text("{}")
    for read, arg in ((matching.read_table, None), (matching.read_table, 5), (export.read_back, None),
                      (export.read_back, tmp_path / "missing.json"), (export.read_back, tmp_path / "other.json")):
        with pytest.raises(matching.MatchingError):
            read(arg)
    with pytest.raises(matching.MatchingError, match="include must be column names"):
        export.write_csv({"a": pd.DataFrame()}, tmp_path, include=5)


# --------------------------------------------------------------------------- settings
@pytest.mark.parametrize("values,text", [
    ({"targets": {"max_same_kbu_per_mentor": 10**30}}, "int in [1, 10_000]"),
    ({"seed": 10**30}, "'seed' setting must be at most 2_147_483_647"),
    ({"targets": {"max_rank_lag": 10**30}}, "ranks in [0, 1000]"),
    ({"targets": {"cross_kbu": 1e-300}}, "0 or a share in [0.0001, 1]"),
    ({"targets": {"max_mentor_kbu_share": 1e-300}}, "a share in [0.0001, 1]"),
    ({"targets": {"top3": {"min": 0.5, "weight": 1e-300}}}, "'weight' must be a float in [0.001, 1e6]"),
    ({"weights": {"seniority": 1e-300}}, "rounds to nothing"),
    ({"time_limit": 10**400}, "'time_limit' setting must be a float > 0"),
    ({"min_level_gap": 10**30}, "at most 1_000"),
    ({"preferred_gap": [1, 10**30]}, "a pair of ints at most 1000"),
])
def test_numbers_far_out_of_range_are_settings_errors(values, text):
    with pytest.raises(matching.SettingsError, match=re.escape(text)) as err:
        matching.Settings.from_dict(values)
    assert len(str(err.value)) < 400


_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-10**40, 10**40), st.floats(), st.text(max_size=4),
                 st.sampled_from([np.int64(3), np.float64(0.5), 10**400, 1e-300, "maximin", "kbu"]))
_VALUE = st.recursive(_LEAF, lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(
    st.sampled_from(["min", "max", "weight", "by", "x"]), c, max_size=3)), max_leaves=6)
_KEYS = st.sampled_from(["min_level_gap", "max_level_gap", "preferred_gap", "gap_decay", "weights", "seed",
                         "time_limit", "workers", "area_groups", "preset", "min_group_size", "gap_limit"])
_GOALS = st.sampled_from(["cross_kbu", "top3", "max_same_kbu_per_mentor", "max_mentor_kbu_share", "max_rank_lag",
                          "fairness"])


@given(st.dictionaries(_KEYS, _VALUE, max_size=3), st.dictionaries(_GOALS, _VALUE, max_size=2))
def test_fuzzed_settings_are_valid_or_one_settings_error(values, targets):
    try:
        s = matching.Settings.from_dict({**values, "targets": targets})
    except matching.SettingsError as err:
        assert len(str(err)) < 4000
    else:
        assert matching.Settings.from_dict(s.to_dict()) == s


@pytest.mark.parametrize("call", [lambda: matching.Settings.from_dict("abc"), lambda: matching.Settings.from_dict(None),
                                  lambda: matching.Settings.from_toml(None)])
def test_settings_from_something_that_is_no_dict_or_path_is_a_settings_error(call):
    with pytest.raises(matching.SettingsError):
        call()


def test_settings_accept_numpy_numbers_and_hold_plain_ones():
    s = matching.Settings.from_dict({"min_level_gap": np.int64(2), "time_limit": np.float32(5), "seed": np.uint8(3),
                                     "weights": {"seniority": np.float64(2)}, "preferred_gap": np.array([1, 3]).tolist(),
                                     "targets": {"max_same_kbu_per_mentor": np.int32(2), "cross_kbu": np.float64(0.5)}})
    assert type(s.min_level_gap) is int and type(s.seed) is int and type(s.time_limit) is float
    assert s.to_dict()["targets"] == {"max_same_kbu_per_mentor": 2, "cross_kbu": 0.5}


def test_unreadable_settings_files_are_settings_errors_and_the_cli_prints_no_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"min_level_gap = 2\nname = \"\xff\xfe\"\n")
    for path, text in ((bad, "not valid UTF-8"), (tmp_path, "is a folder")):
        with pytest.raises(matching.SettingsError, match=text):
            matching.Settings.from_toml(path)
        people(["E1"]).to_csv(tmp_path / "e.csv", index=False)
        mentors().to_csv(tmp_path / "m.csv", index=False)
        code = main(["match", str(tmp_path / "e.csv"), str(tmp_path / "m.csv"), "--settings", str(path),
                     "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 1 and text in err and "Traceback" not in err


# --------------------------------------------------------------------------- one library error
@pytest.mark.parametrize("returned", [
    lambda e, m: [[1.0] * len(m)] * (len(e) - 1) + [[1.0]],
    lambda e, m: [[1.0, [2.0]]] * len(e),
    lambda e, m: "scores",
    lambda e, m: None,
])
def test_a_user_criterion_returning_a_ragged_list_or_no_numbers_is_an_input_error(returned):
    with pytest.raises(matching.InputError, match="criterion 'site'") as err:
        matching.match(people(["E1", "E2"]), mentors(), extra_criteria={"site": returned})
    assert err.value.failure_cases["column"].tolist() == ["extra_criteria"]


@pytest.mark.parametrize("shuffle", [
    lambda f: f.sort_values("id", ignore_index=True),
    lambda f: f.sort_values("id").reset_index(drop=True),
    lambda f: f.iloc[::-1].reset_index(drop=True),
    lambda f: f.sort_values("id").reset_index(drop=True).iloc[1:],
    lambda f: f.sort_values("id"),
])
def test_errors_name_the_file_line_of_the_row_after_resorting(tmp_path, shuffle):
    path = tmp_path / "mentees.csv"
    path.write_text("id,level,area,kbu\nE3,1,Police,Safety\nE2,x,Police,Safety\nE1,1,Police,Safety\n")
    with pytest.raises(matching.InputError) as err:
        matching.match(shuffle(read_table(path)), mentors())
    cases = err.value.failure_cases
    assert cases[["file", "row", "id"]].values.tolist() == [["mentees.csv", 3, "E2"]]


def test_an_edited_row_of_a_resorted_frame_names_no_line_rather_than_another_rows(tmp_path):
    path = tmp_path / "mentees.csv"
    path.write_text("id,level,area,kbu\nE3,1,Police,Safety\nE2,1,Police,Safety\nE1,1,Police,Safety\n")
    frame = read_table(path).sort_values("id", ignore_index=True)
    frame.loc[0, "level"] = "x"  # E1, line 4 in the file: no longer its content
    with pytest.raises(matching.InputError) as err:
        matching.match(frame, mentors())
    assert err.value.failure_cases["row"].tolist() in ([None], [4])


# --------------------------------------------------------------------------- look-alikes and NFC
def test_decomposed_and_composed_accents_are_one_id_with_a_warning():
    decomposed, composed = "Jose\u0301", "Jos\u00e9"
    pins = pd.DataFrame({"mentee_id": [composed], "mentor_id": ["M2"]})
    with pytest.warns(matching.MatchingWarning, match="NFC"):
        result = matching.match(people([decomposed, "E2"]), mentors(), pins=pins)
    assert result.mentor_of[composed] == "M2"
    assert result.explain(" " + decomposed + " ", price=False).mentee_id == composed
    with pytest.raises(matching.InputError, match="duplicate id"):
        matching.match(people([decomposed, composed]), mentors())


def test_look_alike_ids_are_kept_apart_with_a_warning_and_suggested_for_unknown_ids():
    ids = ["E1", "\u04151", "E\u200b1"]  # Latin E, Cyrillic Е, a zero-width space
    with pytest.warns(matching.MatchingWarning, match="look-alike") as seen:
        result = matching.match(people(ids), mentors(2, 3))
    assert "E\\u200b1" in str(seen[0].message)
    assert sorted(result.pairs["mentee_id"]) == sorted(ids)
    pins = pd.DataFrame({"mentee_id": ["E01"], "mentor_id": ["\u041c1"]})  # Cyrillic М
    with pytest.raises(matching.InputError) as err:
        matching.match(people(["E1"]), mentors(), pins=pins)
    assert [p.split("; ")[-1] for p in problems(err)] == [f"did you mean '{x}'? (ids are compared as text)"
                                                          for x in ("E1", "M1")]
    with pytest.raises(matching.InputError, match="did you mean 'E1'"):
        result.explain("E01", price=False)


def test_a_mentee_and_a_mentor_id_that_only_look_alike_are_warned_about():
    both = mentors(2, 2)
    both.loc[0, ["id", "level", "area", "kbu"]] = ["\u0415" + "1", 1, "Police", "Safety"]  # Cyrillic Е1
    with pytest.warns(matching.MatchingWarning, match="someone in both tables must have the same id") as seen:
        matching.match(people(["E1", "E2"]), both)
    assert "'E1' / 'Е1'" in str(seen[-1].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", matching.MatchingWarning)
        matching.match(people(["E1", "E2"]), mentors(2, 2))


def test_unknown_ids_in_overrides_and_checkpoint_requests_suggest_the_closest(base, example):
    with pytest.raises(matching.InputError) as err:
        base.with_pins([("E0001", "M01")])
    assert [p.split("; ")[-1] for p in problems(err)] == ["did you mean 'E001'?", "did you mean 'M001'?"]
    current = base.pairs[["mentee_id", "mentor_id"]].head(2)
    asks = pd.DataFrame({"mentee_id": ["e0O1"], "mentor_id": [current["mentor_id"].iloc[0]],
                         "requested_by": ["mentee"]})
    with pytest.raises(matching.InputError, match="unknown mentee 'e0O1'; did you mean 'E001'"):
        matching.rematch(current, example["mentees"], example["mentors"], asks, relatedness=example["relatedness"])


# --------------------------------------------------------------------------- fuzz: nothing merged, nothing lost
CONTROL = st.sampled_from(["\x00", "\x01", "\x1f", "\x7f", "\x85", "\x9f", "\n", "\r", "\t"])
LOOKALIKE = st.sampled_from(["E1", "\u04151", "E\u200b1", "E1\u00ad", "Jose\u0301", "Jos\u00e9", "e1", "E1 ", " E1",
                             "\ufeffE1", "\u0395\u0399", "EI", "=E1", "'E1", "-1", "NA", "nan", "None", "1.0", "001"])
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
IDS = st.one_of(TEXT, LOOKALIKE, st.tuples(TEXT, CONTROL, TEXT).map("".join),
                st.integers(MAX_ID_LENGTH - 2, MAX_ID_LENGTH + 2).map(lambda n: "x" * n))


def _oracle(raw: list[str]):
    """The ids as the library must read them, or None if it must refuse the table."""
    ids = [unicodedata.normalize("NFC", r.strip()) for r in raw]
    hidden = [r for r in raw if re.search(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]", r)]  # strip() would remove some
    bad = [i for i in ids if not i or len(i) > MAX_ID_LENGTH or re.search(r"[\x00-\x1f\x7f-\x9f]", i)]
    bad += hidden
    return None if bad or len(set(ids)) < len(ids) else ids


@given(st.lists(IDS, min_size=1, max_size=5))
def test_fuzzed_ids_are_refused_or_come_out_exactly_once_through_match_and_exports(raw):
    expected = _oracle(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matching.MatchingWarning)
        if expected is None:
            with pytest.raises(matching.InputError):
                matching.match(people(raw), mentors(2, 2))
            return
        excluded = pd.DataFrame({"mentee_id": [raw[0]], "mentor_id": ["M1"]})
        result = matching.match(people(raw), mentors(2, 2), exclusions=excluded)
    out = result.pairs["mentee_id"].tolist() + result.unmatched["mentee_id"].tolist()
    assert sorted(out) == sorted(expected)
    assert result.mentor_of.get(expected[0]) != "M1"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result.to_csv(folder / "csv")
        result.to_json(folder / "r.json")
        for tables in (export.read_back(folder / "csv"), export.read_back(folder / "r.json")):
            back = tables["pairs"]["mentee_id"].tolist() + tables["unmatched"]["mentee_id"].tolist()
            assert back == out


@given(st.lists(st.one_of(TEXT, LOOKALIKE, st.tuples(TEXT, CONTROL).map("".join)), min_size=1, max_size=3))
def test_fuzzed_text_round_trips_through_every_export_or_is_refused_by_excel(texts):
    table = {"notes": pd.DataFrame({"text": texts})}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export.write_csv(table, folder)
        export.write_json(table, folder / "r.json")
        assert export.read_back(folder / "r.json")["notes"]["text"].tolist() == texts
        csv_back = export.read_back(folder)["notes"]["text"].tolist()
        assert csv_back == [t if t != "" else None for t in texts]
        try:
            export.write_excel(table, folder / "r.xlsx")
        except matching.MatchingError as err:
            assert "control character" in str(err) and not (folder / "r.xlsx").exists()
