"""Committee-scale benchmark: the bundled 61 x 40 cohort, as a committee re-runs it.

Prints medians (and the spread) of, in one process after import:

* ``match()`` on the bundled example (goal: under 50 ms), next to ``load_cohort`` alone
  (validation, the part of ``match`` that reads the tables) as a same-run baseline;
* ``matching.candidates()`` (the full table a notebook shows);

and, when the ``matching`` console script is installed, ``matching demo`` end to end in
a fresh interpreter (goal: under 3 s) next to ``python -c "import matching"`` (interpreter
start and import, the floor of any command).

Usage::

    python benchmarks/bench_committee.py [--repeats 50] [--cli-repeats 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def _times(fn, repeats: int) -> list[float]:
    fn()  # warm-up: first-call imports and caches
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def _row(name: str, times: list[float], goal: float | None = None, base: float | None = None) -> str:
    med = statistics.median(times)
    text = f"{name:<34} median {med * 1000:8.1f} ms   (min {min(times) * 1000:7.1f}, max {max(times) * 1000:7.1f})"
    if base:
        text += f"   x{med / base:5.2f} of baseline"
    if goal:
        text += f"   goal {goal * 1000:.0f} ms: {'met' if med < goal else 'NOT met'}"
    return text


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--cli-repeats", type=int, default=5)
    a = p.parse_args(argv)

    import matching
    from matching.cohort.validate import load_cohort

    data = matching.load_example()
    args = (data["mentees"], data["mentors"])
    kw = {"relatedness": data["relatedness"]}
    base = _times(lambda: load_cohort(*args, **kw), a.repeats)
    med_base = statistics.median(base)
    print(_row("load_cohort (baseline)", base))
    print(_row("match()", _times(lambda: matching.match(*args, **kw), a.repeats), 0.050, med_base))
    print(_row("candidates()", _times(lambda: matching.candidates(*args, **kw), a.repeats), None, med_base))

    exe = shutil.which("matching")
    if exe is None:
        print("matching demo: skipped (no `matching` console script on PATH)")
        return
    floor = []
    for _ in range(a.cli_repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import matching"], check=True)
        floor.append(time.perf_counter() - started)
    print(_row("python -c 'import matching' (floor)", floor))
    demo = []
    for _ in range(a.cli_repeats):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            done = subprocess.run([exe, "demo", "--out", out], capture_output=True, text=True)
            demo.append(time.perf_counter() - started)
        if done.returncode != 0:
            print(f"matching demo: failed with exit code {done.returncode}:\n{done.stderr[-2000:]}")
            return
    print(_row("matching demo (fresh interpreter)", demo, 3.0, statistics.median(floor)))


if __name__ == "__main__":
    main()
