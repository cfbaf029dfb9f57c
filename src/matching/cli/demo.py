"""``matching demo``: the whole committee flow on the bundled example cohort."""

from __future__ import annotations

from pathlib import Path

from ..api import match
from ..checkpoint.rematch import rematch
from ..examples import example_paths
from ..files.export import atomic_write, result_tables, write_csv, write_excel, write_json
from ..report.html import explanation_text, write_report

NAME = "demo"

__all__ = ["run_demo"]


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="run the whole flow on the bundled example cohort",
                       description="Match the bundled example cohort, explain, pin and ban, re-solve, report "
                                   "and export; write everything into the output folder.")
    p.add_argument("--out", metavar="DIR", default="matching-demo", help="output folder (default: matching-demo)")


def run(args, out) -> None:
    run_demo(args.out, out)


def _pin_and_ban(result):
    """A pin (a mentee's unmet first choice that the rules allow) and a ban (another pair), or None."""
    cohort, cands = result.cohort, result.candidates
    first = cohort.preferences.value == 1
    allowed = set(zip(cands.i.tolist(), cands.j.tolist()))
    given = result.mentor_of
    for i, j in zip(cohort.preferences.i[first].tolist(), cohort.preferences.j[first].tolist()):
        e, m = str(cohort.mentees.ids[i]), str(cohort.mentors.ids[j])
        if (i, j) in allowed and e in given and given[e] != m:
            ban = next((a, b) for a, b in given.items() if a != e and b != m)
            return (e, m), ban
    return None


def run_demo(out_dir, out=None) -> list[Path]:
    """The whole committee flow on the bundled cohort; returns the files written.

    1. match: ``match/*.csv``, ``match.xlsx``, ``match.json``, ``report.html``, ``explanations.txt``;
    2. pin one pair, ban another, re-solve: ``revised/*.csv`` (with ``changes.csv``),
       ``revised.xlsx``, ``revised/report.html``;
    3. checkpoint re-match of two pairs that asked: ``checkpoint/*.csv``, ``checkpoint/report.html``.
    """
    out = out or _Null()
    out_dir = Path(out_dir)
    paths = example_paths()
    result = match(paths["mentees"], paths["mentors"], relatedness=paths["relatedness"])
    out.write(f"matched the example cohort: {result!r}\n")
    ids = list(result.pairs["mentee_id"]) + list(result.unmatched["mentee_id"])
    why = {mid: explanation_text(result, mid) for mid in ids}
    out.write(f"\nwhy {ids[0]}:\n{why[ids[0]]}\n")
    written = write_csv(result, out_dir / "match") + [
        write_excel(result, out_dir / "match.xlsx"), write_json(result, out_dir / "match.json"),
        write_report(result, out_dir / "report.html", explanations=why)]
    text = "\n\n".join(why.values()) + "\n"
    written += atomic_write({out_dir / "explanations.txt": lambda temp: temp.write_text(text, encoding="utf-8")})
    revised, more = _override_step(result, out_dir, out)
    written += more + _checkpoint_step(revised, paths, out_dir, out)
    for path in written:
        out.write(f"wrote {path}\n")
    return written


def _override_step(result, out_dir: Path, out):
    """Pin a mentee's unmet first choice, ban another pair, re-solve and write the diff."""
    choice = _pin_and_ban(result)
    if choice is None:
        return result, []
    pin, ban = choice
    revised = result.with_pins([pin], reason="the mentee's first choice", decided_by="demo committee")
    revised = revised.with_exclusions([ban], reason="conflict of interest", decided_by="demo committee")
    changes = revised.diff(result)
    out.write(f"\npinned {pin}, banned {ban}: {revised!r}\n{changes.to_string(index=False)}\n")
    tables = {**result_tables(revised), "changes": changes}
    written = write_csv(tables, out_dir / "revised") + [write_excel(tables, out_dir / "revised.xlsx"),
                                                        write_report(revised, out_dir / "revised" / "report.html")]
    return revised, written


def _checkpoint_step(result, paths, out_dir: Path, out) -> list[Path]:
    """At the three-month checkpoint two pairs ask for a change; re-match them."""
    asks = result.pairs.loc[~result.pairs["pinned"], ["mentee_id", "mentor_id"]].head(2)
    asks = asks.assign(requested_by=["mentee", "mentor"][:len(asks)])
    new = rematch(result, paths["mentees"], paths["mentors"], asks, relatedness=paths["relatedness"])
    out.write(f"\ncheckpoint: {new!r}\n{new.changes.to_string(index=False)}\n")
    return write_csv(new, out_dir / "checkpoint") + [write_report(new, out_dir / "checkpoint" / "report.html",
                                                                  title="Checkpoint re-match report")]


class _Null:
    def write(self, _text) -> None:
        pass
