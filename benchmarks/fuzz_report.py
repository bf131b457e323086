"""The fuzz suite's mutants through moosepy and pymoose 5.0.0 side by side
(issue 15, item 6): per format, how many mutants each simulator loaded,
refused cleanly, refused with an exception that is not its own, crashed
on (the process died), hung on (past the time limit), exited on (the
library called quit()), or read as another model than the unmutated file.

    python benchmarks/fuzz_report.py [N] [--seed S] [--formats sbml,kkit]
                                     [--only moosepy|pymoose] [--json out.json]

N mutants a format (default 40, the CI size).  The mutants and the worker
are ``tests/hostile/fuzzlib.py`` and ``fuzz_worker.py``; pymoose runs in
the side venv (/work/pymoose-venv) as a MOOSE user would call it:
``moose.readSBML``, ``moose.loadModel`` (kkit, SWC, .p, cspace),
``moose.neuroml.ChannelML`` / ``MorphML``, and ``rdesigneur.jardesigner``
for spec documents; then ``reinit`` and a short ``start``.

For pymoose, which has no exception hierarchy, "rejected" counts
RuntimeError, ValueError, OSError and exceptions defined in its own
packages; "foreign" the rest (KeyError, IndexError, UnboundLocalError, ...).
"""

import os
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile
import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests' / 'hostile'))
import fuzzlib  # noqa: E402

COLS = ('ok', 'rejected', 'foreign', 'crash', 'hang', 'exit', 'wrong')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('n', nargs='?', type=int, default=40)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--formats', default=','.join(fuzzlib.FORMATS))
    ap.add_argument('--only', choices=('moosepy', 'pymoose'))
    ap.add_argument('--json')
    a = ap.parse_args(argv)
    sims = [a.only] if a.only else ['moosepy', 'pymoose']
    if 'pymoose' in sims and not fuzzlib.PYMOOSE_PY.exists():
        print(f'pymoose side venv absent ({fuzzlib.PYMOOSE_PY}): moosepy only')
        sims = ['moosepy']
    out = {}
    head = f"{'format':10s} {'simulator':9s} " + ' '.join(f'{c:>8s}' for c in COLS) + '   time'
    print(f'{a.n} mutants a format, seed {a.seed}, time limit {fuzzlib.TIME_LIMIT:g} s '
          f'a mutant, memory limit {fuzzlib.MEM_LIMIT / 2**30:g} GiB')
    print(head)
    print('-' * len(head))
    for fmt in a.formats.split(','):
        jobs = fuzzlib.make_mutants(fmt, a.n, a.seed)
        for sim in sims:
            t0 = time.perf_counter()
            res, skip = fuzzlib.run_format(fmt, a.n, sim=sim, seed=a.seed, jobs=jobs)
            wall = time.perf_counter() - t0
            c = fuzzlib.counts(res)
            print(f'{fmt:10s} {sim:9s} ' + ' '.join(f'{c[k]:8d}' for k in COLS)
                  + f' {wall:6.0f} s' + (f'   ({skip[:90]})' if skip else ''), flush=True)
            detail = collections.Counter(
                (r['cls'], r.get('exc') or (f"rc {r['rc']}" if 'rc' in r else ''))
                for r in res if r['cls'] not in ('ok',))
            bad = {f'{k[0]}:{k[1]}': v for k, v in sorted(detail.items()) if k[0] != 'rejected'}
            if bad:
                print(' ' * 21 + ', '.join(f'{k} {v}' for k, v in bad.items()))
            out[f'{fmt}/{sim}'] = dict(counts=c, skipped=skip, wall_s=round(wall, 1),
                                       detail={f'{k[0]}:{k[1]}': v for k, v in detail.items()},
                                       examples=[dict(op=r['op'], path=r['path'], cls=r['cls'],
                                                      exc=r.get('exc'),
                                                      msg=(r.get('msg') or '')[:200])
                                                 for r in res if r['cls'] in
                                                 ('foreign', 'crash', 'hang', 'exit',
                                                  'wrong')][:20])
    total = {sim: collections.Counter() for sim in sims}
    for key, v in out.items():
        total[key.split('/')[1]].update(v['counts'])
    print('-' * len(head))
    for sim in sims:
        print(f"{'all':10s} {sim:9s} " + ' '.join(f'{total[sim][k]:8d}' for k in COLS))
    if a.json:
        Path(a.json).write_text(json.dumps(dict(n=a.n, seed=a.seed, results=out), indent=1))


if __name__ == '__main__':
    main()
