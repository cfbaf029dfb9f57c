"""The program ledger: two sessions end to end, crash safety, concurrent writers,
migration, backup, and what it refuses."""

from __future__ import annotations

import json
import multiprocessing as mp
import sqlite3
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pandas as pd
import pytest

import matching
from matching import InputError, MatchingError, MatchingWarning, Program
from matching.cli import main
from matching.program import schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    return matching.load_example()


def _pairs(frame) -> set:
    return set(zip(frame["mentee_id"].astype(str), frame["mentor_id"].astype(str)))


def _checkpoint_requests(pairs: pd.DataFrame, data) -> pd.DataFrame:
    """The docs' worked example: E001 (fewest fitting mentors) and four pairs whose mentor cannot take E001."""
    table = matching.candidates(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    pairs = pairs[["mentee_id", "mentor_id"]].sort_values("mentee_id")
    n_fit = table.groupby("mentee_id").size()
    hard = pairs.assign(n=pairs["mentee_id"].map(n_fit)).sort_values(["n", "mentee_id"])["mentee_id"].iloc[0]
    fits = set(table.loc[table["mentee_id"] == hard, "mentor_id"])
    others = pairs[~pairs["mentor_id"].isin(fits) & (pairs["mentee_id"] != hard)].head(4)
    asks = pd.concat([pairs[pairs["mentee_id"] == hard], others]).sort_values("mentee_id")
    return asks.assign(requested_by=["mentee", "mentor", "mentee", "both", "mentee"][:len(asks)])


def _mates(groups: pd.DataFrame) -> set:
    """Every pair of people sharing a group."""
    out = set()
    for _, members in groups.groupby("group")["id"]:
        ids = sorted(map(str, members))
        out |= {(a, b) for k, a in enumerate(ids) for b in ids[k + 1:]}
    return out


def _survey(pairs: pd.DataFrame, asks: pd.DataFrame) -> pd.DataFrame:
    """The three-month survey as a form exports it: every pair answers; ``asks`` want a change."""
    want = {(a, b): r for a, b, r in asks[["mentee_id", "mentor_id", "requested_by"]].itertuples(index=False)}
    rows = []
    for a, b in pairs[["mentee_id", "mentor_id"]].itertuples(index=False):
        who = want.get((a, b))
        for side in ("mentee", "mentor"):
            change = who in (side, "both")
            rows.append({"Mentee ID": a, "Mentor ID": b, "Respondent": side.title(),
                         "Compatibility": "2" if change else "4", "Wishes to change": "Yes" if change else "No"})
    return pd.DataFrame(rows)


def test_two_sessions_end_to_end(tmp_path, data):
    db = tmp_path / "mentoring.db"
    rel = data["relatedness"]
    with Program(db) as prog:
        first = prog.match(data["mentees"], data["mentors"], session="2026", relatedness=rel)
        revised = prog.save(first.with_pins([("E001", "M018")], reason="first choice", decided_by="chair"))
        assert _pairs(prog.pairs("2026")) == _pairs(revised.pairs)
        decisions = prog.decisions("2026")
        assert decisions[["kind", "mentee_id", "mentor_id", "reason", "decided_by"]].values.tolist() == [
            ["pin", "E001", "M018", "first choice", "chair"]]
        assert decisions["decided_at"].str.match(r"\d{4}-\d\d-\d\dT").all()
        asks = _checkpoint_requests(revised.pairs, data)
        check = prog.rematch(_survey(revised.pairs, asks), data["mentees"], data["mentors"], session="2026",
                             relatedness=rel, low_rating=2)
        assert set(check.changes["requested_by"].dropna()) >= {"mentee", "mentor", "both"}
        assert _pairs(prog.pairs("2026")) == _pairs(check.pairs)
        assert _pairs(prog.history()) == _pairs(asks)
        withdrawn = set(check.withdrawn["mentee_id"])
        assert set(prog.carry_over("2026")["mentee_id"]) == withdrawn
        g1 = prog.groups(data["mentees"], session="2026", size=(5, 6), settings={"max_iterations": 200})
        assert _mates(prog.groups_of("2026")) == _mates(g1.groups)
    # a later session, from the same file in a new process-like open
    with Program(db) as prog:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            nxt = prog.match(data["mentees"], data["mentors"], session="2027", relatedness=rel)
        # the pairs that ran in 2026 (after the checkpoint) and every dissolved pair never form again
        ever = _pairs(check.pairs) | _pairs(asks)
        assert _pairs(prog.pairs("2026")) | _pairs(prog.history()) == ever
        assert not (_pairs(nxt.pairs) & ever), "a pair of an earlier session formed again"
        if withdrawn:
            assert any(issubclass(w.category, MatchingWarning) and "carried over" in str(w.message) for w in caught)
        g2 = prog.groups(data["mentees"], session="2027", size=(5, 6), settings={"max_iterations": 200})
        assert not (_mates(g2.groups) & _mates(g1.groups)), "two people shared a group twice"
        assert list(prog.sessions()["session"]) == ["2026", "2027"]
        assert prog.sessions().set_index("session").loc["2026", "decisions"] == 1


def test_completed_pairs_may_form_again_when_allowed(tmp_path, data):
    rel = data["relatedness"]
    with Program(tmp_path / "a.db", allow_completed=True) as prog:
        one = prog.match(data["mentees"], data["mentors"], session="1", relatedness=rel)
        two = prog.match(data["mentees"], data["mentors"], session="2", relatedness=rel)
    assert _pairs(one.pairs) == _pairs(two.pairs)


def test_carry_over_raises_priority_in_the_next_session(tmp_path):
    mentees = pd.DataFrame({"id": ["A", "B"], "level": ["1", "1"], "area": ["x", "x"], "kbu": ["k", "k"]})
    mentors = pd.DataFrame({"id": ["X"], "level": ["3"], "area": ["y"], "kbu": ["j"]})
    with Program(tmp_path / "c.db") as prog:
        first = prog.match(mentees, mentors, session="s1")
        paired = first.pairs["mentee_id"].iloc[0]
        asks = pd.DataFrame({"mentee_id": [paired], "mentor_id": ["X"], "requested_by": ["mentee"]})
        check = prog.rematch(asks, mentees, mentors, session="s1")
        assert list(check.withdrawn["mentee_id"]) == [paired]
        carried = prog.carry_over("s1")
        assert list(carried["mentee_id"]) == [paired] and float(carried["priority"].iloc[0]) > 1
        mentors2 = pd.DataFrame({"id": ["X", "Y"], "level": ["3", "3"], "area": ["y", "z"], "kbu": ["j", "j"]})
        mentees2 = mentees.assign(id=["A", "B"])
        with pytest.warns(MatchingWarning, match="carried over"):
            nxt = prog.match(mentees2, mentors2.iloc[[1]], session="s2")
    # one seat, two mentees: the carried-over mentee (higher priority) gets it
    assert list(nxt.pairs["mentee_id"]) == [paired]


_KILLER = textwrap.dedent("""
    import os, signal, sys
    import matching
    from matching.program import store
    data = matching.load_example()
    prog = matching.Program(sys.argv[1])
    store.BEFORE_COMMIT = lambda: os.kill(os.getpid(), signal.SIGKILL)
    prog.match(data["mentees"], data["mentors"], session="killed", relatedness=data["relatedness"])
""")


def test_a_step_killed_midway_records_nothing(tmp_path, data):
    db = tmp_path / "k.db"
    with Program(db) as prog:
        prog.match(data["mentees"], data["mentors"], session="2026", relatedness=data["relatedness"])
        before = prog.steps()
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _KILLER, str(db)], env=env, capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    with Program(db) as prog:
        pd.testing.assert_frame_equal(prog.steps(), before)
        assert list(prog.sessions()["session"]) == ["2026"]


def _writer(db, session, barrier):
    data = matching.load_example()
    barrier.wait()
    with Program(db) as prog:
        prog.match(data["mentees"], data["mentors"], session=session, relatedness=data["relatedness"])


def test_two_concurrent_writers_are_both_recorded(tmp_path):
    db = tmp_path / "w.db"
    Program(db).close()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(str(db), s, barrier)) for s in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0, 0]
    with Program(db) as prog:
        assert sorted(prog.sessions()["session"]) == ["a", "b"]
        assert sorted(prog.steps()["kind"]) == ["match", "match"]


def test_a_first_version_ledger_is_migrated(tmp_path):
    db = tmp_path / "v1.db"
    con = schema.connect(db, target=1)
    con.execute("INSERT INTO sessions VALUES ('2025', '2025-01-01T00:00:00+00:00')")
    con.execute("INSERT INTO steps VALUES (1, '2025', 'match', '2025-01-01T00:00:00+00:00', '0.1.0', '{}', 'h', "
                "'OPTIMAL', '{}')")
    con.execute("INSERT INTO pairs VALUES (1, 'E1', 'M1', 1.5, 'paired')")
    con.close()
    with Program(db) as prog:
        assert prog._con.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert _pairs(prog.pairs("2025")) == {("E1", "M1")}
        assert prog.carry_over("2025").empty and prog.groups_of("2025").empty


def test_export_and_restore_give_the_same_ledger(tmp_path, data):
    with Program(tmp_path / "o.db") as prog:
        r = prog.match(data["mentees"], data["mentors"], session="2026", relatedness=data["relatedness"])
        prog.save(r.with_exclusions([tuple(r.pairs[["mentee_id", "mentor_id"]].iloc[0])], reason="conflict",
                                    decided_by="chair"))
        out = prog.export(tmp_path / "backup.json")
    restored = Program.restore(out, tmp_path / "r.db")
    again = restored.export(tmp_path / "again.json")
    restored.close()
    assert json.loads(out.read_text()) == json.loads(again.read_text())
    with pytest.raises(MatchingError, match="exists already"):
        Program.restore(out, tmp_path / "r.db")


def test_files_that_are_not_ledgers_are_input_errors(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database\n" * 100)
    with pytest.raises(InputError, match="not a mentoring-program ledger"):
        Program(text)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="without the ledger's tables"):
        Program(other)
    with pytest.raises(InputError, match="folder"):
        Program(tmp_path)


def test_a_newer_ledger_is_refused(tmp_path):
    db = tmp_path / "new.db"
    Program(db).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(MatchingError, match="newer"):
        Program(db)


def test_the_ledger_never_holds_gender_or_race(tmp_path, data):
    mentees, mentors = data["mentees"].copy(), data["mentors"].copy()
    mentees["gender"] = ["CANARYGENDER" if k % 2 else "OTHERCANARY" for k in range(len(mentees))]
    mentors["race"] = ["CANARYRACE" if k % 2 else "RACECANARY" for k in range(len(mentors))]
    db = tmp_path / "p.db"
    with Program(db) as prog:
        r = prog.match(mentees, mentors, session="2026", relatedness=data["relatedness"])
        prog.rematch(r.pairs[["mentee_id", "mentor_id"]].head(2).assign(requested_by="mentee"), mentees, mentors,
                     session="2026", relatedness=data["relatedness"])
        prog.export(tmp_path / "p.json")
    raw = db.read_bytes() + (tmp_path / "p.json").read_bytes()
    for wal in tmp_path.glob("p.db-*"):
        raw += wal.read_bytes()
    assert b"CANARY" not in raw


def test_cli_program_show(tmp_path, data, capsys):
    db = tmp_path / "cli.db"
    with Program(db) as prog:
        r = prog.match(data["mentees"], data["mentors"], session="2026", relatedness=data["relatedness"])
        prog.save(r.with_pins([("E001", "M018")], reason="first choice", decided_by="chair"))
    assert main(["program", "show", str(db)]) == 0
    out = capsys.readouterr().out
    assert "1 session(s)" in out and "2026" in out and "first choice" in out
    assert main(["program", "show", str(tmp_path / "missing-dir" / "x.db")]) == 1


def test_cli_records_steps_in_a_ledger(tmp_path, data):
    paths = matching.example_paths()
    db, out = tmp_path / "cli.db", tmp_path / "out"
    common = ["--relatedness", str(paths["relatedness"])]
    assert main(["--program", str(db), "match", str(paths["mentees"]), str(paths["mentors"]), *common,
                 "--out", str(out / "m"), "--session", "2027"]) == 0
    with Program(db) as prog:
        pairs = prog.pairs("2027")
    asks = pairs.head(2)[["mentee_id", "mentor_id"]].assign(requested_by="mentee")
    asks.to_csv(tmp_path / "asks.csv", index=False)
    assert main(["--program", str(db), "rematch", str(paths["mentees"]), str(paths["mentors"]),
                 str(tmp_path / "asks.csv"), *common, "--out", str(out / "c"), "--session", "2027"]) == 0
    with Program(db) as prog:
        assert list(prog.steps()["kind"]) == ["match", "rematch"]
        assert _pairs(prog.history()) == _pairs(asks)
    people = tmp_path / "people.csv"
    data["mentees"].to_csv(people, index=False)
    for session in ("2027", "2028"):
        assert main(["--program", str(db), "groups", str(people), "--size", "5-6", "--max-iterations", "100",
                     "--out", str(out / f"g{session}"), "--session", session]) == 0
    with Program(db) as prog:
        assert not (_mates(prog.groups_of("2027")) & _mates(prog.groups_of("2028")))
    with pytest.raises(SystemExit) as stop:  # a ledger step needs its session
        main(["--program", str(db), "match", str(paths["mentees"]), str(paths["mentors"])])
    assert stop.value.code == 2


def test_a_carried_over_mentee_with_an_unreadable_priority_is_still_an_error(tmp_path):
    # The ledger raises readable or empty priorities only; "high" stays for the validator to report.
    from matching.program.inputs import raise_priorities

    mentees = pd.DataFrame({"id": ["A", "B", "C"], "priority": ["high", "", "1.5"]})
    with pytest.warns(MatchingWarning, match="carried over"):
        out = raise_priorities(mentees, {"A": (3.0, "s1"), "B": (2.0, "s1"), "C": (2.0, "s1")})
    assert out["priority"].tolist() == ["high", "2.0", "2.0"]
    with pytest.warns(MatchingWarning, match="1 mentee"):
        bare = raise_priorities(pd.DataFrame({"ID": ["A", "B"]}), {"B": (2.0, "s1")})
    assert bare["priority"].tolist() == ["", "2.0"]
    only_bad = pd.DataFrame({"id": ["A"], "priority": ["high"]})
    assert raise_priorities(only_bad, {"A": (3.0, "s1")}) is only_bad
