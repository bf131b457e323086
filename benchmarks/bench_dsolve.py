"""Diffusion benchmark: moosepy's Dsolve beside MOOSE's (pymoose 5.0.0),
the same script in fresh processes of each.

Cases (all: CylMesh of 1 um voxels, radius 0.5 um, a pulse of 1 mM in the
first 10 voxels, diffConst 1e-12 m^2/s, MOOSE's default ticks: Dsolve 0.01 s,
Ksolve 0.1 s, 10 s simulated):

* ``pulse``      1000 voxels, one diffusing pool
* ``reac``       the same with A <-> B (Kf 0.1 /s, Kb 0.01 /s, B fixed in place)
* ``big``        100,000 voxels, one diffusing pool

For each: the first run in the process (build + reinit + start, CPU s), the
whole process (wall s, imports included), and the best of ``--warm`` further
reinit + start rounds (simulation only, CPU s).  Run::

    python benchmarks/bench_dsolve.py --pymoose ../pymoose-venv/bin/python

The machine is shared: repeat (``--repeat``) and read the spread; compare
figures from one run only.
"""

import argparse
import json
import os
import subprocess
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

CHILD = r'''
import json, sys, time
t_proc = time.perf_counter()
who, case, warm = sys.argv[1], sys.argv[2], int(sys.argv[3])
if who == 'moose':
    import moose
else:
    import moosepy as moose
import numpy as np
n = {'pulse': 1000, 'reac': 1000, 'big': 100000}[case]
c0 = time.process_time()
m = moose.CylMesh('/cyl')
m.x1 = n * 1e-6
m.diffLength = 1e-6
m.r0 = m.r1 = 0.5e-6
a = moose.Pool('/cyl/a')
a.diffConst = 1e-12
if case == 'reac':
    b = moose.Pool('/cyl/b')
    r = moose.Reac('/cyl/r')
    r.Kf, r.Kb = 0.1, 0.01
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
st = moose.Stoich('/cyl/st')
ks = moose.Ksolve('/cyl/ks')
ds = moose.Dsolve('/cyl/ds')
st.compartment = m
st.ksolve = ks
st.dsolve = ds
st.reacSystemPath = '/cyl/##'
ci = np.zeros(n)
ci[:10] = 1.0
moose.vec('/cyl/a').concInit = ci
moose.reinit()
moose.start(10.0)
first = time.process_time() - c0
tot = float(np.sum(moose.vec('/cyl/a').n))
best = None
for _ in range(warm):
    moose.reinit()
    t0 = time.process_time()
    moose.start(10.0)
    dt = time.process_time() - t0
    best = dt if best is None else min(best, dt)
print('JSON' + json.dumps({'first': first, 'warm': best, 'total_a': tot,
                           'process': time.perf_counter() - t_proc}))
'''


def run(python, who, case, warm):
    t0 = time.perf_counter()
    p = subprocess.run([python, '-c', CHILD, who, case, str(warm)], capture_output=True,
                       text=True, timeout=1200)
    wall = time.perf_counter() - t0
    line = [x for x in p.stdout.splitlines() if x.startswith('JSON')]
    if not line:
        raise RuntimeError(f'{who} {case} failed:\n{p.stderr[-2000:]}')
    d = json.loads(line[0][4:])
    d['wall'] = wall
    return d


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pymoose', default=None, help='python of a venv with pymoose 5.0.0')
    ap.add_argument('--cases', default='pulse,reac,big')
    ap.add_argument('--repeat', type=int, default=3, help='fresh processes per case')
    ap.add_argument('--warm', type=int, default=3, help='warm rounds per process')
    args = ap.parse_args(argv)
    sims = [('moosepy', sys.executable)]
    if args.pymoose:
        sims.append(('moose', args.pymoose))
    print(f'# bench_dsolve: {args.repeat} fresh processes x {args.warm} warm rounds; '
          f'load {os.getloadavg()[0]:.1f}')
    print(f'{"case":6} {"sim":8} {"first CPU s":>18} {"process wall s":>18} '
          f'{"warm CPU s (best)":>22}')
    for case in args.cases.split(','):
        res = {}
        for who, py in sims:
            rs = [run(py, who, case, args.warm) for _ in range(args.repeat)]
            res[who] = rs

            def span(k):
                xs = sorted(r[k] for r in rs)
                return f'{xs[0]:.4f}-{xs[-1]:.4f}'
            print(f'{case:6} {who:8} {span("first"):>18} {span("wall"):>18} '
                  f'{span("warm"):>22}')
        if 'moose' in res:
            w = min(r['warm'] for r in res['moosepy']) / min(r['warm'] for r in res['moose'])
            ma = res['moosepy'][0]['total_a']
            mb = res['moose'][0]['total_a']
            print(f'{case:6} warm ratio moosepy/MOOSE {w:.2f}; total A after 10 s '
                  f'relative difference {abs(ma - mb) / mb:.1e}')


if __name__ == '__main__':
    main()
