"""The ``matching`` command: exit codes 0 / 1 / 2, no traceback on bad input, files written."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import matching
from matching.cli import COMMANDS, main
from matching.export import read_back

PATHS = {k: str(v) for k, v in matching.example_paths().items()}
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "matching", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=ENV, timeout=120)


def people(*extra):
    return [PATHS["mentees"], PATHS["mentors"], "--relatedness", PATHS["relatedness"], *extra]


@pytest.fixture
def bad_mentees(tmp_path):
    frame = pd.read_csv(PATHS["mentees"], dtype=str)
    frame.loc[3, "id"] = frame.loc[2, "id"]
    frame.loc[5, "level"] = "senior"
    path = tmp_path / "mentees.csv"
    frame.to_csv(path, index=False)
    return path


def test_match_in_a_subprocess_writes_the_files(tmp_path):
    proc = run("match", *people("--out", tmp_path / "out", "--format", "xlsx", "--report"))
    assert proc.returncode == 0, proc.stderr
    assert "MatchResult(" in proc.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["matching.xlsx", "report.html"]
    assert set(read_back(tmp_path / "out" / "matching.xlsx")) >= {"pairs", "unmatched", "mentors", "summary"}


def test_bad_input_exits_1_with_the_library_message_and_no_traceback(bad_mentees, tmp_path):
    proc = run("match", bad_mentees, PATHS["mentors"], "--out", tmp_path / "out")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert "mentees.csv" in proc.stderr and "'level'" in proc.stderr and "senior" in proc.stderr
    assert "duplicate" in proc.stderr.lower() and "row 5" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["match", "only-one-file"], ["frobnicate"], ["match", "a", "b", "--format", "ods"],
                                  []])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_usage_error_in_a_subprocess_exits_2():
    proc = run("match", "--no-such-option")
    assert proc.returncode == 2 and "usage:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_on_each_command(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"] if command else ["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: matching") and (command is None or command in text)


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("matching")
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, env=ENV, timeout=60)
    assert proc.returncode == 0 and matching.__version__ in proc.stdout


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_match_formats(fmt, tmp_path, capsys):
    assert main(["match", *people("--out", str(tmp_path), "--format", fmt, "--settings", "diversity_first")]) == 0
    back = read_back(tmp_path if fmt == "csv" else tmp_path / "matching.json")
    result = matching.match(PATHS["mentees"], PATHS["mentors"], relatedness=PATHS["relatedness"],
                            settings="diversity_first")
    assert back["pairs"]["mentor_id"].tolist() == result.pairs["mentor_id"].tolist()
    assert "wrote" in capsys.readouterr().out


def test_explain_prints_the_explanation(capsys):
    result = matching.match(PATHS["mentees"], PATHS["mentors"], relatedness=PATHS["relatedness"])
    mid = result.pairs["mentee_id"].iloc[0]
    assert main(["explain", *people(), mid]) == 0
    out = capsys.readouterr().out
    assert result.mentor_of[mid] in out and "cross-gender" in out
    assert main(["explain", *people(), result.unmatched["mentee_id"].iloc[0]]) == 0
    assert "unmatched" in capsys.readouterr().out


def test_explain_unknown_mentee_exits_1(capsys):
    assert main(["explain", *people(), "NOBODY"]) == 1
    err = capsys.readouterr().err
    assert "NOBODY" in err and "Traceback" not in err


def test_report_command(tmp_path, capsys):
    assert main(["report", *people("--out", str(tmp_path / "r.html"), "--no-explanations")]) == 0
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<svg" in text and "<details class=\"more\">" not in text


def test_bad_settings_and_missing_files_exit_1(tmp_path, capsys):
    toml = tmp_path / "s.toml"
    toml.write_text("min_level_gap = -1\n", encoding="utf-8")
    assert main(["match", *people("--settings", str(toml), "--out", str(tmp_path / "o"))]) == 1
    assert "min_level_gap" in capsys.readouterr().err
    assert main(["match", str(tmp_path / "nope.csv"), PATHS["mentors"], "--out", str(tmp_path / "o")]) == 1
    assert "nope.csv" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["match", *people("--out", str(blocker / "sub"))]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_rematch_command(tmp_path, capsys):
    assert main(["match", *people("--out", str(tmp_path / "first"))]) == 0
    pairs = pd.read_csv(tmp_path / "first" / "pairs.csv", dtype=str)
    asks = pairs[["mentee_id", "mentor_id"]].head(2).assign(requested_by="mentee")
    asks.to_csv(tmp_path / "requests.csv", index=False)
    argv = ["rematch", str(tmp_path / "first" / "pairs.csv"), *people(), str(tmp_path / "requests.csv"),
            "--out", str(tmp_path / "second"), "--report"]
    assert main(argv) == 0, capsys.readouterr().err
    back = read_back(tmp_path / "second")
    assert {"pairs", "changes", "withdrawn", "history", "summary"} <= set(back)
    assert set(back["changes"]["mentee_id"]) >= set(asks["mentee_id"]) - set(back["withdrawn"]["mentee_id"])
    assert (tmp_path / "second" / "report.html").exists()
    asks.loc[0, "requested_by"] = "nobody"
    asks.to_csv(tmp_path / "requests.csv", index=False)
    assert main(argv) == 1
    assert "requested_by" in capsys.readouterr().err


def test_demo_writes_its_files(tmp_path):
    proc = run("demo", "--out", tmp_path / "demo")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "demo"
    expected = ["match/pairs.csv", "match/unmatched.csv", "match/mentors.csv", "match.xlsx", "match.json",
                "report.html", "explanations.txt", "revised/pairs.csv", "revised/changes.csv", "revised.xlsx",
                "revised/report.html", "checkpoint/pairs.csv", "checkpoint/changes.csv", "checkpoint/report.html"]
    assert [name for name in expected if not (out / name).exists()] == []
    assert not list(out.rglob("*.tmp"))
    changes = read_back(out / "revised" / "changes.csv")
    assert len(changes) >= 1
    pairs = read_back(out / "revised" / "pairs.csv")
    pinned = pairs[pairs["pinned"] == "True"]
    assert len(pinned) == 1


def test_demo_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    from matching.cli import demo as cli

    calls = []
    monkeypatch.setattr(cli, "run_demo", lambda out_dir, out=None, **kw: calls.append(out_dir))
    assert main(["demo"]) == 0
    assert calls == ["matching-demo"]


def test_encoding_and_sheet_options_read_spreadsheet_exports(tmp_path):
    """Regression: the error told CLI users to 'pass encoding=', which the CLI had no way to do."""
    data = matching.load_example()
    mentees = data["mentees"].copy()
    mentees.loc[0, "name"] = "José Müller"
    mentees.to_csv(tmp_path / "latin.csv", index=False, encoding="cp1252")
    data["mentors"].to_csv(tmp_path / "mentors.csv", index=False)
    with pd.ExcelWriter(tmp_path / "book.xlsx") as book:
        pd.DataFrame({"x": [1]}).to_excel(book, sheet_name="Cover", index=False)
        data["mentors"].to_excel(book, sheet_name="Mentors", index=False)
    bad = run("match", str(tmp_path / "latin.csv"), str(tmp_path / "mentors.csv"), "--out", str(tmp_path / "a"))
    assert bad.returncode == 1 and "--encoding" in bad.stderr
    ok = run("match", str(tmp_path / "latin.csv"), str(tmp_path / "book.xlsx"), "--encoding", "cp1252",
              "--sheet", "Mentors", "--out", str(tmp_path / "b"))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "b" / "pairs.csv").exists()


def test_display_include_and_decisions_options(tmp_path):
    """--include adds input columns to the exports; --display shows them in the report;
    --decisions replays a decision log written by an earlier run."""
    data = matching.load_example()
    base = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    revised = base.with_pins([("E001", "M018")], reason="first choice", decided_by="chair")
    revised.to_csv(tmp_path / "first")
    out = tmp_path / "again"
    assert main(["match", *people("--out", str(out), "--include", "Name,title", "--report",
                                  "--display", "name", "--decisions", str(tmp_path / "first" / "decisions.csv"),
                                  "--no-progress")]) == 0
    pairs = read_back(out / "pairs.csv")
    assert dict(zip(pairs["mentee_id"], pairs["mentor_id"])) == revised.mentor_of
    assert {"mentee_Name", "mentor_title"} <= set(pairs.columns)
    name = data["mentees"].set_index("id").loc["E001", "name"]
    assert name in (out / "report.html").read_text(encoding="utf-8")
    assert list(read_back(out / "decisions.csv")["decided_by"]) == ["chair"]


def test_warnings_are_the_commands_own_lines(tmp_path, capsys):
    # A library warning reaches a CLI user as one line of the command, not a Python source line.
    mentees = tmp_path / "mentees.csv"
    mentees.write_text("id,level,area,kbu\nE1,1,Police,PS\nE2,1,police ,PS\n")
    mentors = tmp_path / "mentors.csv"
    mentors.write_text("id,level,area,kbu\nM1,3,Fire,PS\nM2,3,fire,PS\n")
    assert main(["match", str(mentees), str(mentors), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "matching match: warning: spelling variants read as one area" in err
    assert "return match(" not in err and ".py:" not in err
