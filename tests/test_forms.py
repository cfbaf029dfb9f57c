"""Real form exports: messy CSV / Excel files written here (BOM, CRLF, question headers, case
and space variants, comma lists, names in preferences, non-answers, duplicate submissions,
one workbook with two sheets, one table with a role column), through the API and the CLI.

Every check compares with an oracle computed here from the raw answers (casefolded,
spaces collapsed), never with the library's own normalisation.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from matching.cli import main

# --------------------------------------------------------------------------- the messy export
Q = {  # form question -> field
    "Email Address": "id",
    "Full name": "name",
    "What is your current grade level?": "level",
    "Which department do you work in?": "area",
    "Which key business unit (KBU) are you part of?": "kbu",
    "Gender": "gender",
    "Race / ethnicity": "race",
}
Q_MENTEE = {"Which competencies would you like to develop?": "competencies",
            "Rank the mentors you'd like to work with, first choice first": "preferences"}
Q_MENTOR = {"Which competencies are your strengths?": "competencies",
            "How many mentees can you take on?": "capacity"}
MENTEE_HEAD = ["Timestamp"] + list(Q) + list(Q_MENTEE)
MENTOR_HEAD = ["Timestamp"] + list(Q) + list(Q_MENTOR)
MENTEES = [
    # an earlier submission of e1, superseded below (other area, other goals)
    ["2024/03/01 9:00:00 AM GMT", "e1@city.org", "Eve One", "2", "Fire", "Public Safety", "Female", "Asian",
     "Builds Trust", ""],
    ["2024/03/01 10:00:00 AM GMT", "e2@city.org", "Ed Two", "1", "POLICE", "Public Safety", "female", "White",
     "Builds Trust", "cy@city.org"],
    ["2024/03/02 11:30:00 AM GMT", "e1@city.org", "Eve One", "2", "Police ", "public  safety", "Female",
     "Prefer not to say", "Thinks Strategically, Manages Change", "ana lopez, BO CHEN"],
    ["2024/03/02 12:00:00 PM GMT", "e3@city.org", "Al Three", "2", "finance", "ADMINISTRATION", "Male", "Asian",
     "thinks strategically", "Ana  Lopez"],
    ["2024/03/02 12:05:00 PM GMT", "e4@city.org", "Di Four", "1", "Fire", "Public Safety", "N/A", "-",
     "Manages change;\nBuilds Trust", "Bo Chen\nCy Diaz"],
]
MENTORS = [
    ["2024/03/01 8:00:00 AM GMT", "ana@city.org", "Ana Lopez", "4", "police", "Public Safety", "female", "White",
     "Thinks Strategically\nManages Change", "1"],
    ["2024/03/01 8:10:00 AM GMT", "bo@city.org", "Bo Chen", "4", "Finance", "Administration", "Male", "white ",
     "Manages Change, Builds Trust", "2"],
    ["2024/03/01 8:20:00 AM GMT", "cy@city.org", "Cy Diaz", "5", "FIRE", "PUBLIC SAFETY", "Prefer not to say",
     "Asian", "Builds Trust", "1"],
    ["2024/03/01 8:30:00 AM GMT", "di@city.org", "Di Fox", "3", "Police", "Public Safety", "Male", "Decline to state",
     "Thinks strategically", "1"],
]
MAP_TOML = "\n".join([f'"{q}" = "{f}"' for q, f in Q.items()] + ["[mentees]"]
                     + [f'"{q}" = "{f}"' for q, f in Q_MENTEE.items()] + ["[mentors]"]
                     + [f'"{q}" = "{f}"' for q, f in Q_MENTOR.items()]) + "\n"
# The committee's relatedness table, in its own canonical spelling.
RELATEDNESS = pd.DataFrame({"area_a": ["Police", "Police", "Fire"], "area_b": ["Finance", "Fire", "Finance"],
                            "relatedness": ["0.2", "0.9", "0.4"]})


def _key(v) -> str | None:
    """The oracle's reading of an answer: NFKC, casefold, spaces collapsed."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    k = " ".join(unicodedata.normalize("NFKC", str(v)).casefold().split())
    return k or None


NON = {"prefer not to say", "decline to state", "n/a", "-", "unknown"}


def _list(v) -> list[str]:
    return [k for k in (_key(x) for x in re.split(r"[;,\n]", v or "")) if k]


def _write_csv(path, head, rows):
    """UTF-8 with BOM and CRLF line ends, as Excel and Forms write them."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows([head] + rows)
    return path


def _write_workbook(path, sheets: dict):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (head, rows) in sheets.items():
        ws = book.create_sheet(name)
        for row in [head] + rows:
            ws.append([v if v != "" else None for v in row])
    book.save(path)
    return path


@pytest.fixture
def export(tmp_path):
    paths = {"mentees": _write_csv(tmp_path / "Mentee application (Responses).csv", MENTEE_HEAD, MENTEES),
             "mentors": _write_csv(tmp_path / "Mentor application (Responses).csv", MENTOR_HEAD, MENTORS),
             "map": tmp_path / "map.toml", "relatedness": tmp_path / "relatedness.csv"}
    paths["map"].write_text(MAP_TOML, encoding="utf-8")
    RELATEDNESS.to_csv(paths["relatedness"], index=False)
    return paths


def _raw(rows, head, extra):
    """The latest row per id, as field -> answer dicts (the oracle's view of the export)."""
    fields = {**Q, **extra}
    latest = {}
    for row in rows:
        rec = {fields.get(h, h): v for h, v in zip(head, row)}
        latest[rec["id"]] = rec
    return latest


RAW_E = _raw(MENTEES, MENTEE_HEAD, Q_MENTEE)
RAW_M = _raw(MENTORS, MENTOR_HEAD, Q_MENTOR)


def _check_pairs(pairs: pd.DataFrame, *, n_mentees=4):
    """The properties a coordinator needs, against the oracle."""
    assert len(pairs) + 0 <= n_mentees and len(pairs) >= 3
    names = {_key(m["name"]): mid for mid, m in RAW_M.items()}
    for _, p in pairs.iterrows():
        e, m = RAW_E[p["mentee_id"]], RAW_M[p["mentor_id"]]
        assert _key(e["area"]) != _key(m["area"]), "paired inside one area"
        goals, strengths = set(_list(e["competencies"])), set(_list(m["competencies"]))
        assert float(p["competency"]) == pytest.approx(len(goals & strengths) / len(goals), abs=1e-3)
        gender = [_key(x["gender"]) for x in (e, m)]
        cross = all(g and g not in NON for g in gender) and gender[0] != gender[1]
        assert float(p["cross_gender"]) == (0.5 if cross else 0.0)
        race = [_key(x["race"]) for x in (e, m)]
        cross = all(r and r not in NON for r in race) and race[0] != race[1]
        assert float(p["cross_race"]) == (0.5 if cross else 0.0)
        prefs = [names.get(k, k) for k in _list(e["preferences"])]
        rank = prefs.index(p["mentor_id"]) + 1 if p["mentor_id"] in prefs else None
        assert (None if pd.isna(p["preference_rank"]) else int(p["preference_rank"])) == rank


def _read_export(paths, **kw):
    both = {**Q}
    mentees = matching.read_table(paths["mentees"], columns={**both, **Q_MENTEE}, keep_latest="Timestamp", **kw)
    mentors = matching.read_table(paths["mentors"], columns={**both, **Q_MENTOR}, keep_latest="Timestamp", **kw)
    return mentees, mentors


# --------------------------------------------------------------------------- through the API
def test_a_messy_export_gets_the_right_pairs_through_the_api(export):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mentees, mentors = _read_export(export)
        result = matching.match(mentees, mentors, relatedness=export["relatedness"])
    text = [str(w.message) for w in caught if issubclass(w.category, matching.MatchingWarning)]
    _check_pairs(result.pairs)
    assert result.mentor_of["e3@city.org"] == "ana@city.org"  # first choice, named in capitals
    assert result.mentor_of["e1@city.org"] == "bo@city.org"  # first choice Ana is in her own area
    # every normalisation is a warning: spellings merged, the earlier submission dropped
    assert any("earlier submission" in t and "e1@city.org" in t and "row 2" in t for t in text)
    assert any(re.search(r"one area: .*'POLICE'.*-> Police", t) for t in text), text
    assert any("one KBU" in t for t in text)
    private = [t for t in text if "gender" in t or "race" in t]
    assert private and not any(re.search(r"female|white|asian", t, re.IGNORECASE) for t in private)
    # outputs show the most frequent spelling
    assert set(result.pairs["mentee_area"]) <= {"Police", "Finance", "Fire"}
    rel = result.pairs.set_index("mentee_id")["relatedness"]
    assert float(rel["e1@city.org"]) == pytest.approx(2 * 0.2)  # Police-Finance from the committee's table


def test_a_duplicate_submission_without_keep_latest_is_an_error_naming_the_option(export):
    mentees = matching.read_table(export["mentees"], columns={**Q, **Q_MENTEE})
    mentors = matching.read_table(export["mentors"], columns={**Q, **Q_MENTOR})
    with pytest.raises(matching.InputError, match="keep_latest='timestamp'") as err, \
            pytest.warns(matching.MatchingWarning, match="spelling"):
        matching.match(mentees, mentors)
    assert "--keep-latest" in str(err.value) and "row 4" in str(err.value)


def test_question_headers_without_a_map_say_how_to_map_them(export):
    with pytest.raises(matching.InputError) as err:
        matching.match(export["mentees"], export["mentors"])
    assert "--columns" in str(err.value) and "form questions" in str(err.value)


def test_a_name_two_mentors_share_is_ambiguous_and_an_unknown_one_is_suggested():
    mentors = pd.DataFrame({"id": ["M1", "M2", "M3"], "full name": ["Sam Lee", "sam  lee", "Ana Ruiz"],
                            "level": [3, 3, 3], "area": ["A", "B", "C"], "kbu": ["K", "K", "K"]})
    mentees = pd.DataFrame({"id": ["E1", "E2"], "level": [1, 1], "area": ["D", "D"], "kbu": ["K", "K"],
                            "preferences": ["Sam Lee", "Anna Ruiz, M3"]})
    with pytest.raises(matching.InputError) as err:
        matching.match(mentees, mentors)
    cases = err.value.failure_cases
    assert len(cases) == 2
    assert "several mentors (M1, M2)" in cases["problem"].iloc[0] and cases["id"].iloc[0] == "E1"
    assert "'Anna Ruiz'" in cases["problem"].iloc[1] and "did you mean 'Ana Ruiz'" in cases["problem"].iloc[1]
    # a name and an id of the same mentor in one list is a repeat
    mentees["preferences"] = ["M1", "ana ruiz; M3"]
    with pytest.raises(matching.InputError, match="mentor 'M3' twice"):
        matching.match(mentees, mentors)


def test_non_answers_are_a_setting_a_program_can_extend():
    def cohort(answer):
        e = pd.DataFrame({"id": ["E1"], "level": [1], "area": ["A"], "kbu": ["K"], "gender": [answer]})
        m = pd.DataFrame({"id": ["M1"], "level": [2], "area": ["B"], "kbu": ["K"], "gender": ["Man"]})
        return e, m

    assert matching.match(*cohort("Woman")).pairs["cross_gender"].iloc[0] > 0
    assert matching.match(*cohort(" prefer NOT to say ")).pairs["cross_gender"].iloc[0] == 0
    own = matching.Settings.from_dict({"non_answers": [*matching.Settings().non_answers, "Withheld"]})
    assert matching.match(*cohort("Withheld")).pairs["cross_gender"].iloc[0] > 0
    assert matching.match(*cohort(" WITHHELD"), settings=own).pairs["cross_gender"].iloc[0] == 0


def test_list_separators_is_a_setting():
    e = pd.DataFrame({"id": ["E1"], "level": [1], "area": ["A"], "kbu": ["K"], "preferences": ["Smith, Jane"]})
    m = pd.DataFrame({"id": ["M1"], "name": ["Smith, Jane"], "level": [2], "area": ["B"], "kbu": ["K"]})
    with pytest.raises(matching.InputError, match="unknown mentor 'Smith'"):
        matching.match(e, m)
    result = matching.match(e, m, settings={"list_separators": [";"]})
    assert int(result.pairs["preference_rank"].iloc[0]) == 1
    with pytest.raises(matching.SettingsError, match="list_separators"):
        matching.Settings.from_dict({"list_separators": []})


def test_a_competency_typo_is_a_warning_naming_the_closest():
    e = pd.DataFrame({"id": ["E1"], "level": [1], "area": ["A"], "kbu": ["K"], "competencies": ["Thinks Strategicaly"]})
    m = pd.DataFrame({"id": ["M1"], "level": [2], "area": ["B"], "kbu": ["K"], "competencies": ["Thinks Strategically"]})
    with pytest.warns(matching.MatchingWarning, match="goal 'Thinks Strategicaly' .*'Thinks Strategically'"):
        matching.match(e, m)


def test_area_groups_and_relatedness_match_any_spelling():
    e = pd.DataFrame({"id": ["E1"], "level": [1], "area": ["POLICE "], "kbu": ["K"]})
    m = pd.DataFrame({"id": ["M1"], "level": [2], "area": ["fire"], "kbu": ["K"]})
    result = matching.match(e, m, settings={"area_groups": {"Safety": ["Police", "Fire"]}, "group_relatedness": 0.7})
    assert result.pairs["relatedness"].iloc[0] == pytest.approx(2 * 0.7)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["police", "fire", "it"]), st.sampled_from([str.upper, str.lower,
                                                                                     str.title, lambda s: f" {s} "])),
                min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_no_pair_inside_one_area_under_any_spelling(spelled, rnd):
    """Property: whatever the case and spacing of the answers, and whatever the row order,
    no pair shares an area and the cohort (and its hash) is the same."""
    n = len(spelled)
    area = [f(a) for a, f in spelled]
    e = pd.DataFrame({"id": [f"E{k}" for k in range(n)], "level": 1, "area": area, "kbu": "K"})
    m = pd.DataFrame({"id": [f"M{k}" for k in range(n)], "level": 2, "area": area[::-1], "kbu": "K"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matching.MatchingWarning)
        result = matching.match(e, m)
        order = list(range(n))
        rnd.shuffle(order)
        again = matching.match(e.iloc[order], m.iloc[order[::-1]])
    by_id = dict(zip(e["id"], area)) | dict(zip(m["id"], area[::-1]))
    for a, b in zip(result.pairs["mentee_id"], result.pairs["mentor_id"]):
        assert _key(by_id[a]) != _key(by_id[b])
    assert result.info.input_hash == again.info.input_hash
    assert result.cohort.areas == again.cohort.areas


def test_split_roles_one_table_with_a_role_column(tmp_path):
    head = ["Email Address", "I am applying as", "Full name", "What is your current grade level?",
            "Which department do you work in?", "Which key business unit (KBU) are you part of?", "Gender",
            "Rank the mentors you'd like to work with, first choice first", "How many mentees can you take on?"]
    rows = [["e1@x.org", "Mentee", "Eve", "1", "Police", "PS", "F", "Bo Chen", ""],
            ["bo@x.org", " MENTOR", "Bo Chen", "3", "finance", "adm", "M", "", "1"],
            ["cy@x.org", "both", "Cy", "2", "Fire", "PS", "", "bo@x.org", "1"]]
    path = _write_csv(tmp_path / "everyone.csv", head, rows)
    frame = matching.read_table(path, columns={h: f for h, f in {**Q, **Q_MENTEE, **Q_MENTOR}.items() if h in head})
    mentees, mentors = matching.split_roles(frame, "I am applying as")
    assert mentees["id"].tolist() == ["e1@x.org", "cy@x.org"] and mentors["id"].tolist() == ["bo@x.org", "cy@x.org"]
    result = matching.match(mentees, mentors)
    assert result.mentor_of == {"e1@x.org": "cy@x.org", "cy@x.org": "bo@x.org"}  # the only way to pair both
    rows.append(["zz@x.org", "observer", "Zed", "1", "IT", "adm", "", "", ""])
    bad = _write_csv(tmp_path / "bad.csv", head, rows)
    with pytest.raises(matching.InputError, match="role 'observer' is not a known answer") as err:
        matching.split_roles(bad, "i am applying as")
    assert err.value.failure_cases["row"].tolist() == [5] and err.value.failure_cases["id"].tolist() == ["zz@x.org"]


# --------------------------------------------------------------------------- through the CLI
def _pairs(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "pairs.csv", dtype=str, encoding="utf-8-sig")


def test_the_cli_maps_question_headers_and_keeps_the_latest_submission(export, tmp_path, capsys):
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matching.MatchingWarning)
        code = main(["match", str(export["mentees"]), str(export["mentors"]), "--columns", str(export["map"]),
                     "--keep-latest", "Timestamp", "--relatedness", str(export["relatedness"]), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    _check_pairs(_pairs(out))
    # the same options on explain and report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matching.MatchingWarning)
        assert main(["explain", str(export["mentees"]), str(export["mentors"]), "e3@city.org", "--columns",
                     str(export["map"]), "--keep-latest", "Timestamp"]) == 0
        assert "ana@city.org" in capsys.readouterr().out
        assert main(["report", str(export["mentees"]), str(export["mentors"]), "--columns", str(export["map"]),
                     "--keep-latest", "Timestamp", "--out", str(tmp_path / "r.html"), "--no-explanations"]) == 0
        first = _pairs(out).iloc[0]
        pd.DataFrame({"mentee_id": [first["mentee_id"]], "mentor_id": [first["mentor_id"]],
                      "requested_by": ["mentee"]}).to_csv(tmp_path / "requests.csv", index=False)
        assert main(["rematch", str(out / "pairs.csv"), str(export["mentees"]), str(export["mentors"]),
                     str(tmp_path / "requests.csv"), "--columns", str(export["map"]), "--keep-latest", "Timestamp",
                     "--out", str(tmp_path / "checkpoint")]) == 0, capsys.readouterr().err
    changed = pd.read_csv(tmp_path / "checkpoint" / "pairs.csv", dtype=str, encoding="utf-8-sig")
    assert set(changed["mentee_id"]) <= set(RAW_E) and ((changed["mentee_id"] == first["mentee_id"])
                                                      & (changed["mentor_id"] == first["mentor_id"])).sum() == 0


def test_the_cli_without_a_map_says_how_to_write_one(export, capsys):
    assert main(["match", str(export["mentees"]), str(export["mentors"])]) == 1
    err = capsys.readouterr().err
    assert "--columns map.toml" in err and '"What is your current grade level?" = "' in err


def test_one_workbook_with_two_sheets_and_a_csv_map(tmp_path, capsys):
    book = _write_workbook(tmp_path / "applications.xlsx", {"Mentees": (MENTEE_HEAD, MENTEES),
                                                           "Mentors": (MENTOR_HEAD, MENTORS)})
    with (tmp_path / "map.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["header", "field"], *Q.items(), *Q_MENTEE.items(), *Q_MENTOR.items()])
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matching.MatchingWarning)
        code = main(["match", str(book), str(book), "--mentees-sheet", "Mentees", "--mentors-sheet", "Mentors",
                     "--columns", str(tmp_path / "map.csv"), "--keep-latest", "Timestamp", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    _check_pairs(_pairs(out))


def test_the_cli_reads_a_one_table_form_with_a_role_column(tmp_path, capsys):
    head = ["Email Address", "Role", "Full name", "What is your current grade level?",
            "Which department do you work in?", "Which key business unit (KBU) are you part of?",
            "Rank the mentors you'd like to work with, first choice first"]
    rows = [["e1@x.org", "Mentee", "Eve", "1", "Police", "PS", "bo chen"],
            ["bo@x.org", "Mentor", "Bo Chen", "3", "finance", "adm", ""]]
    path = _write_csv(tmp_path / "everyone.csv", head, rows)
    (tmp_path / "map.toml").write_text("\n".join(f'"{h}" = "{f}"' for h, f in {**Q, **Q_MENTEE}.items()
                                                 if h in head) + "\n")
    code = main(["match", str(path), "--role-column", "Role", "--columns", str(tmp_path / "map.toml"),
                 "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    pairs = _pairs(tmp_path / "out")
    assert pairs[["mentee_id", "mentor_id", "preference_rank"]].values.tolist() == [["e1@x.org", "bo@x.org", "1"]]


def test_a_map_header_found_in_no_file_is_an_error(export, capsys):
    text = '"What is your favourite colour?" = "colour"\n' + MAP_TOML
    export["map"].write_text(text, encoding="utf-8")
    assert main(["match", str(export["mentees"]), str(export["mentors"]), "--columns", str(export["map"])]) == 1
    assert "favourite colour" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_filled_template_reads_back_without_a_map(tmp_path, fmt, capsys):
    assert main(["template", "--out", str(tmp_path / "t"), "--format", fmt]) == 0
    t = {p.stem: str(p) for p in (tmp_path / "t").iterdir()}
    assert set(t) == {"mentees", "mentors", "relatedness", "exclusions", "pins"}
    from matching.cohort.validate import MENTEE_COLUMNS, MENTOR_COLUMNS

    assert set(MENTEE_COLUMNS) <= set(matching.read_table(t["mentees"]).columns)
    assert set(MENTOR_COLUMNS) <= set(matching.read_table(t["mentors"]).columns)
    if fmt == "xlsx":
        import openpyxl

        assert openpyxl.load_workbook(t["mentees"]).sheetnames == ["mentees", "How to fill this in"]
    capsys.readouterr()
    code = main(["match", t["mentees"], t["mentors"], "--relatedness", t["relatedness"], "--exclusions",
                 t["exclusions"], "--pins", t["pins"], "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0, err
    # the CLI tells its warnings as its own lines on stderr
    assert "matching match: warning: the mentees table still holds the template's example row" in err
    assert _pairs(tmp_path / "out")[["mentee_id", "mentor_id"]].values.tolist() == [["E001", "M001"]]


# --------------------------------------------------------------------------- properties and privacy
COMPETENCIES = ["Builds Trust", "Manages Change", "Thinks Strategically", "Drives Results"]
SPELL = st.sampled_from([str.upper, str.lower, str.title, lambda s: f"  {s} ", lambda s: s.replace(" ", "  ")])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.lists(st.tuples(st.sampled_from(COMPETENCIES), SPELL), min_size=1, max_size=3),
                          st.lists(st.tuples(st.sampled_from(COMPETENCIES), SPELL), min_size=1, max_size=3)),
                min_size=1, max_size=5),
       st.sampled_from([", ", ";", "\n", " ; ", "\r\n"]))
def test_the_competency_part_is_the_overlap_under_any_spelling_and_separator(people, sep):
    n = len(people)
    goals = [sep.join(f(c) for c, f in g) for g, _ in people]
    strengths = [sep.join(f(c) for c, f in s) for _, s in people]
    e = pd.DataFrame({"id": [f"E{k}" for k in range(n)], "level": 1, "area": "A", "kbu": "K", "competencies": goals})
    m = pd.DataFrame({"id": [f"M{k}" for k in range(n)], "level": 2, "area": "B", "kbu": "K",
                      "competencies": strengths})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matching.MatchingWarning)
        table = matching.candidates(e, m)
    for _, row in table.iterrows():
        g = {c for c, _ in people[int(row["mentee_id"][1:])][0]}
        s = {c for c, _ in people[int(row["mentor_id"][1:])][1]}
        assert row["competency"] == pytest.approx(len(g & s) / len(g), abs=1 / matching.RESOLUTION)


def test_gender_and_race_never_reach_a_warning_or_an_error(caplog):
    gender = ["zzgenderA", "ZZGENDERA ", "zzgenderb", "Prefer not to say"]
    race = ["zzraceA", "zzracea", "ZZRACEB", "N/A"]
    e = pd.DataFrame({"id": ["E1", "E2", "E3", "E4"], "level": 1, "area": ["A", "a", "B", "b"], "kbu": "K",
                      "gender": gender, "race": race})
    m = e.assign(id=["M1", "M2", "M3", "M4"], level=2, area=["C", "c", "D", "d"])
    texts = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = matching.match(e, m)
        with pytest.raises(matching.InputError) as err:
            matching.match(e.assign(preferences=["nobody", "M1", "M1, m1", "E4"]), m)
    texts += [str(w.message) for w in caught] + [str(err.value), caplog.text, repr(result)]
    assert any("spellings of gender answers" in t for t in texts)
    assert not any("zzgender" in t.casefold() or "zzrace" in t.casefold() for t in texts), texts


def test_mentors_may_rank_mentees_by_name_too():
    e = pd.DataFrame({"id": ["E1", "E2"], "Full Name": ["Eve Ng", "Al Roy"], "level": 1, "area": "A", "kbu": "K"})
    m = pd.DataFrame({"id": ["M1"], "level": 2, "area": "B", "kbu": "K", "preferences": ["AL ROY, eve ng"]})
    cohort = matching.match(e, m).cohort
    prefs = cohort.mentor_preferences
    assert [(cohort.mentees.ids[i], int(r)) for i, r in zip(prefs.i, prefs.value)] == [("E1", 2), ("E2", 1)]
    with pytest.raises(matching.InputError, match="unknown mentee 'Eve Nq'.*did you mean 'Eve Ng'"):
        matching.match(e, m.assign(preferences=["Eve Nq"]))


def _keys_by_pandas(values):
    """The canonical key by pandas' string methods (the first implementation, the oracle)."""
    text = pd.Series(values, dtype=object)
    missing = text.isna()
    folded = (text.astype(str).str.normalize("NFKC").str.casefold().str.replace(r"\s+", " ", regex=True)
              .str.strip())
    return [None if m or f == "" else f for m, f in zip(missing, folded)]


def _unify_by_pandas(values):
    raw = pd.Series(values, dtype=object).dropna()
    if not len(raw):
        return {}, ()
    seen = raw.value_counts(sort=False)
    text = pd.Series(seen.index.to_numpy(dtype=object), dtype=object).astype(str).str.strip()
    frame = pd.DataFrame({"key": _keys_by_pandas(list(text)), "name": list(text), "n": seen.to_numpy()})
    frame = frame[frame["key"].notna()]
    counts = frame.groupby(["key", "name"], sort=True)["n"].sum().reset_index(name="n")
    names = counts["name"].astype(str)
    counts["flat"] = ((names == names.str.upper()) | (names == names.str.lower())).to_numpy()
    counts = counts.sort_values(["key", "n", "flat", "name"], ascending=[True, False, True, True], kind="stable")
    first = counts.drop_duplicates("key")
    many = counts.groupby("key", sort=True)["name"].agg(lambda s: tuple(sorted(s)))
    return dict(zip(first["key"], first["name"])), tuple((k, v) for k, v in many.items() if len(v) > 1)


_SPELLINGS = st.one_of(st.sampled_from(["Police", "police ", " POLICE", "Fire  Safety", "fire\tsafety", "ﬁre",
                                        "FIRE", "", "  ", "Ärzte", "ärzte", "Ⅸ", "ix", "IX", None]),
                       st.text(alphabet=st.sampled_from("aAbB \tﬁ"), max_size=4))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_SPELLINGS, max_size=12))
def test_canonical_keys_and_display_spellings_equal_the_pandas_oracle(values):
    """Regression (speed rewrite in plain Python): same keys, display spellings and variants."""
    from matching.cohort.values import keys, unify

    assert keys(values).tolist() == _keys_by_pandas(values)
    got = unify([values])
    display, variants = _unify_by_pandas(values)
    assert got.display == display and list(got.display) == list(display) and got.variants == variants
