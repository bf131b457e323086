"""Wall time and pass count of the whole SBML Test Suite (semantic cases),
moosepy beside MOOSE (pymoose 5.0.0 in a side venv, if present).

    python benchmarks/bench_sbml_suite.py [--moose /work/sidevenv/bin/python] [--limit N]

moosepy's figure is load + simulate + judge for every TimeCourse case in
one process (numba kernels already cached).  MOOSE's runs in a child
process that is restarted after a crash; its figure is the sum of the
per-case wall times it reports.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from moosepy.kinetics.sbml.testsuite import suite_root, case_files, case_type, run_case  # noqa


def ours(cases, root):
    res = collections.Counter()
    t0 = time.perf_counter()
    for c in cases:
        try:
            st, _ = run_case(root / c)
        except Exception:               # noqa: BLE001
            st = 'error'
        res[st] += 1
    return res, time.perf_counter() - t0


def theirs(py, cases, root):
    res = collections.Counter()
    wall = 0.0
    todo = list(cases)
    while todo:
        p = subprocess.run([py, str(HERE / 'sbml_suite_pymoose.py'), str(root)] + todo[:200],
                           capture_output=True, text=True, timeout=3600)
        done = [json.loads(x) for x in p.stdout.splitlines() if x.startswith('{')]
        for r in done:
            res[r['status']] += 1
            wall += r['wall']
        nd = len(done)
        if nd < min(200, len(todo)):      # crashed on case todo[nd]
            res['crash'] += 1
            nd += 1
        todo = todo[nd:]
    return res, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--moose', default='/work/sidevenv/bin/python')
    ap.add_argument('--limit', type=int, default=0)
    a = ap.parse_args()
    root = suite_root() / 'semantic'
    cases = sorted(p.name for p in root.iterdir())
    cases = [c for c in cases if case_type(case_files(root / c)[3]) == 'TimeCourse']
    # the cases the tests skip as too slow (see tests/sbml/suite_expected_failures.txt)
    xf = HERE.parent / 'tests' / 'sbml' / 'suite_expected_failures.txt'
    slow = {ln.split()[0] for ln in xf.read_text().splitlines()
            if ln[:1].isdigit() and 'SLOW:' in ln}
    print(f'{len(cases)} TimeCourse cases; {len(slow)} slow ones left out: '
          f'{", ".join(sorted(slow))}')
    cases = [c for c in cases if c not in slow]
    if a.limit:
        cases = cases[:a.limit]
    run_case(root / cases[0])            # compile / load the kernels first
    res, wall = ours(cases, root)
    n = sum(res.values())
    print(f'moosepy: {res["pass"]}/{n} TimeCourse cases pass '
          f'({dict(res)}), wall {wall:.1f} s ({1000 * wall / n:.0f} ms/case)')
    if os.path.exists(a.moose):
        res2, wall2 = theirs(a.moose, cases, root)
        n2 = sum(res2.values())
        print(f'MOOSE 5.0.0: {res2["pass"]}/{n2} pass ({dict(res2)}), wall {wall2:.1f} s '
              f'(sum of per-case times)')
    else:
        print(f'MOOSE: {a.moose} not found; skipped')


if __name__ == '__main__':
    main()
