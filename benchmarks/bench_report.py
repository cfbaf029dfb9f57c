"""Committee deliverables at any size: the report with every pair explained, against ``match()``.

For each size, in one process and on the same generated cohort (``generate.make_cohort``,
seed 1), prints the medians of

* ``match()`` alone (the baseline), and
* ``write_report(result, ..., explanations=True)`` on a fresh result: every pair's
  explanation with its alternatives and ranked mentors priced (read off the optimum,
  :mod:`matching.review.prices`), every unmatched mentee's reasons, the whole page,

and their ratio (goals: at most 3 at 1,000 mentees, at most 10 at 20,000). The report
is timed from a new ``match()`` result each time, so nothing is cached between runs.
Results also go to ``benchmarks/results/report-<time>.json``.

Usage::

    python benchmarks/bench_report.py [--sizes 1000 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOALS = {1000: 3.0, 20000: 10.0}


def _one(n: int, repeats: int) -> dict:
    sys.path.insert(0, str(HERE))
    from generate import make_cohort

    import matching

    mentees, mentors, related = make_cohort(n, seed=1)
    match_s, report_s, priced = [], [], {}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            started = time.perf_counter()
            result = matching.match(mentees, mentors, relatedness=related, progress=False)
            match_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            result.report(Path(folder) / "report.html", progress=False)
            report_s.append(time.perf_counter() - started)
        why = result.explain_many(progress=False)
        costs = [a.cost for e in why.values() for a in e.alternatives] + \
                [x.cost for e in why.values() for x in e.not_chosen if not x.broken]
        priced = {"prices": len(costs), "unpriced": sum(c is None for c in costs),
                  "bounds": sum(c is not None and not c.exact for c in costs),
                  "short_chain_bounds": sum(c is not None and c.method == "bound" for c in costs),
                  "re_solved": sum(c is not None and c.method == "re-solve" for c in costs),
                  "report_mb": round((Path(folder) / "report.html").stat().st_size / 2**20, 1)}
    m, r = statistics.median(match_s), statistics.median(report_s)
    return {"mentees": n, "mentors": len(mentors), "pairs": len(result.pairs), "match_s": round(m, 3),
            "report_s": round(r, 3), "ratio": round(r / m, 2), "goal": GOALS.get(n),
            "complete_candidates": bool(result.candidates.complete), **priced}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    p.add_argument("--repeats", type=int, default=None, help="default: 3 up to 5,000 mentees, 1 above")
    a = p.parse_args(argv)
    rows = []
    for n in a.sizes:
        row = _one(n, a.repeats or (3 if n <= 5000 else 1))
        rows.append(row)
        goal = row["goal"]
        verdict = "" if goal is None else f"   goal <= {goal:g}: {'met' if row['ratio'] <= goal else 'NOT met'}"
        print(f"{n:>7,} mentees: match() {row['match_s']:7.2f} s   report {row['report_s']:7.2f} s   "
              f"ratio {row['ratio']:5.2f}{verdict}   prices {row['prices']:,} (unpriced {row['unpriced']:,}, "
              f"bounds {row['bounds']:,}, re-solved {row['re_solved']:,})", flush=True)
    out = HERE / "results" / f"report-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
