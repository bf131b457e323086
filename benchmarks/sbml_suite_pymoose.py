"""MOOSE side of bench_sbml_suite.py: run SBML Test Suite cases with pymoose
5.0.0 (run it with the side venv's python).  Prints one JSON line per case:
{"case", "status" (pass/fail/error), "wall"}.  Species are read from MOOSE's
pools (amount = n / NA mol, concentration = conc [mM] x 1e-3 mol/L); cases
asking for parameters, compartments or reactions count as errors, since
MOOSE's reader does not keep them as objects.

    /work/sidevenv/bin/python benchmarks/sbml_suite_pymoose.py SUITE_DIR CASE...
"""

import json
import sys
import time
from pathlib import Path

import numpy as np


def settings(path):
    st = {}
    for line in Path(path).read_text().splitlines():
        if ':' in line:
            k, v = line.split(':', 1)
            st[k.strip()] = v.strip()
    lst = lambda k: [x.strip() for x in st.get(k, '').split(',') if x.strip()]  # noqa: E731
    return (float(st.get('start', 0) or 0), float(st['duration']), int(float(st['steps'])),
            lst('variables'), float(st.get('absolute') or 0), float(st.get('relative') or 0),
            set(lst('amount')))


def run_case(moose, d):
    num = d.name
    start, dur, steps, variables, ta, tr, amount = settings(d / f'{num}-settings.txt')
    xml = sorted(d.glob(f'{num}-sbml-l*.xml'))[-1]
    if moose.exists('/model'):
        moose.delete('/model')
    if moose.exists('/data'):
        moose.delete('/data')
    moose.readSBML(str(xml), '/model', 'gsl')   # MOOSE's readSBML ignores 'lsoda' (no solver)
    pools = {p.name: p for p in moose.wildcardFind('/model/##[ISA=PoolBase]')}
    moose.Neutral('/data')
    dt = dur / steps
    tabs = []
    for v in variables:
        if v not in pools:
            return 'error'
        t = moose.Table2(f'/data/{v}')
        moose.connect(t, 'requestOut', pools[v], 'getN' if v in amount else 'getConc')
        tabs.append((v, t))
    moose.setClock(18, dt)
    moose.reinit()
    moose.start(start + dur)
    lines = (d / f'{num}-results.csv').read_text().strip().splitlines()
    exp = np.array([[float(x) for x in ln.split(',')[1:]] for ln in lines[1:]])
    got = np.zeros_like(exp)
    NA = 6.02214076e23
    for j, (v, t) in enumerate(tabs):
        vec = np.asarray(t.vector)[-(steps + 1):]
        if len(vec) < steps + 1:
            return 'fail'
        got[:, j] = vec / NA if v in amount else vec * 1e-3
    ok = np.all(np.abs(exp - got) <= ta + tr * np.abs(exp)) or np.allclose(exp, got, equal_nan=True,
                                                                      rtol=tr, atol=ta)
    return 'pass' if ok else 'fail'


def main():
    import moose
    root = Path(sys.argv[1])
    for num in sys.argv[2:]:
        t0 = time.perf_counter()
        try:
            status = run_case(moose, root / num)
        except Exception:                 # noqa: BLE001 - MOOSE's own failures count
            status = 'error'
        print(json.dumps({'case': num, 'status': status,
                          'wall': time.perf_counter() - t0}), flush=True)


if __name__ == '__main__':
    main()
