"""What a script pays around the kernel: build, first reinit, second reinit
(nothing changed), 10 ms of simulation and a 10-run parameter sweep, for
cells built the way MOOSE scripts build them (benchmarks/cell_models.py:
one Compartment element per compartment, Na and K copied from /library,
three Tables, a PulseGen, an HSolve), moosepy beside pymoose 5.0.0 in the
same run; and the compile time of a ~10,000-compartment SWC cell.

Every figure is CPU seconds (time.process_time) of one fresh process per
model and simulator, run alternately, ``--rounds`` times; the table gives
the best and the spread (max - min).  moosepy's kernels are loaded before
the timed part (a 20-compartment cell is run first), so "run" is the warm
simulation; the first run in a fresh process is measured by
bench_startup.py.  MOOSE sets its HSolve up when ``target`` is set, i.e.
inside "build".

Usage::

    python benchmarks/bench_reinit.py                      # 1000, 4000, 16000
    python benchmarks/bench_reinit.py --sizes 1000,4000 --rounds 3
    python benchmarks/bench_reinit.py --no-ref             # moosepy only

MOOSE runs through ``$MOOSE_PYTHON`` (default /work/pymoose-venv/bin/python,
then /work/sidevenv/bin/python).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = Path(__file__).resolve().parent
SWC = HERE.parent.parent / 'shared' / 'models-ref' / 'swc' / 'DHC-neuron.CNG.swc'


def worker(module, kind, n):
    sys.path.insert(0, str(HERE))
    if module == 'moosepy':
        sys.path.insert(0, str(HERE.parent))
    import importlib
    moose = importlib.import_module(module)
    from cell_models import build_cell
    cpu = time.process_time
    out = {'module': module, 'kind': kind, 'n': n}
    if module == 'moosepy':             # kernels loaded, outside the timing
        build_cell(moose, 20, path='/warm')
        moose.reinit()
        moose.start(0.001)
        moose.delete('/warm')
    if kind == 'cell':
        t0 = cpu()
        m = build_cell(moose, n)
        t1 = cpu()
        moose.reinit()
        t2 = cpu()
        moose.reinit()
        t3 = cpu()
        moose.start(0.01)
        t4 = cpu()
        out.update(build=t1 - t0, reinit1=t2 - t1, reinit2=t3 - t2, run=t4 - t3,
                   vmax=float(max(m['tables'][0].vector)))
        na = [moose.element(c.path + '/Na') for c in m['comps']]
        g0 = [c.Gbar for c in na]
        t5 = cpu()
        for k in range(10):
            f = 0.8 + 0.04 * k
            for c, g in zip(na, g0):
                c.Gbar = g * f
            moose.reinit()
            moose.start(0.01)
        out['sweep10'] = cpu() - t5
        out['sweep_vmax'] = float(max(m['tables'][0].vector))
    else:                               # SWC cell, moosepy's reader
        from moosepy.electrical.morphology import read_swc
        t0 = cpu()
        read_swc(str(SWC), '/swc', length=n * 1e-9)
        comps = moose.wildcardFind('/swc/##[ISA=CompartmentBase]')
        hs = moose.HSolve('/swc/hs')
        hs.dt = 25e-6
        hs.target = comps[0].path
        t1 = cpu()
        moose.reinit()
        t2 = cpu()
        moose.reinit()
        t3 = cpu()
        moose.start(0.01)
        t4 = cpu()
        out.update(n=len(comps), build=t1 - t0, reinit1=t2 - t1, reinit2=t3 - t2,
                   run=t4 - t3)
    print(json.dumps(out))


def side(python, module, kind, n):
    try:
        r = subprocess.run([python, __file__, '--worker', module, kind, str(n)],
                           capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        return None
    for line in r.stdout.splitlines()[::-1]:
        if line.startswith('{'):
            return json.loads(line)
    sys.stderr.write(f'{module} {kind} {n} failed:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}\n')
    return None


def moose_python():
    for p in (os.environ.get('MOOSE_PYTHON'), '/work/pymoose-venv/bin/python',
              '/work/sidevenv/bin/python'):
        if p and Path(p).exists():
            return p
    return None


KEYS = ('build', 'reinit1', 'reinit2', 'run', 'sweep10')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sizes', default='1000,4000,16000')
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--no-ref', action='store_true')
    ap.add_argument('--swc-length-nm', type=int, default=1000,
                    help='segment length of the SWC cell [nm] (1000: ~10,000 compartments)')
    ap.add_argument('--worker', nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker[0], a.worker[1], int(a.worker[2]))
        return
    moo = None if a.no_ref else moose_python()
    sizes = [int(s) for s in a.sizes.split(',')]
    res = {}
    for _ in range(a.rounds):
        for n in sizes:
            for mod in ('moosepy', 'moose'):
                if mod == 'moose' and moo is None:
                    continue
                r = side(sys.executable if mod == 'moosepy' else moo, mod, 'cell', n)
                if r:
                    res.setdefault((mod, n), []).append(r)
        if SWC.exists():
            r = side(sys.executable, 'moosepy', 'swc', a.swc_length_nm)
            if r:
                res.setdefault(('moosepy', 'swc'), []).append(r)
    load = os.getloadavg()[0]
    print(f'CPU seconds, best of {a.rounds} fresh processes (spread max-min); load average '
          f'{load:.2f}')
    print(f'{"cell":>7} {"sim":>8} ' + ' '.join(f'{k:>16}' for k in KEYS) + '  Vm peak')
    for n in sizes:
        for mod in ('moosepy', 'moose'):
            rs = res.get((mod, n))
            if not rs:
                continue
            cells = []
            for k in KEYS:
                v = [r[k] for r in rs]
                cells.append(f'{min(v):8.4f} ({max(v) - min(v):5.3f})')
            print(f'{n:>7} {"MOOSE" if mod == "moose" else mod:>8} ' + ' '.join(cells) +
                  f'  {rs[0]["vmax"]:.6f}')
    pts = [(n, min(r['reinit1'] for r in res[('moosepy', n)])) for n in sizes
           if ('moosepy', n) in res]
    if len(pts) >= 2:
        (n0, t0), (n1, t1) = pts[0], pts[-1]
        print(f'moosepy first reinit: {1e6 * t1 / n1:.1f} us per compartment at {n1}; '
              f'scaling exponent {math.log(t1 / t0) / math.log(n1 / n0):.3f} '
              f'({n0} -> {n1})')
    rs = res.get(('moosepy', 'swc'))
    if rs:
        r = rs[0]
        print(f'SWC cell {SWC.name} at {a.swc_length_nm} nm segments: {r["n"]} compartments, '
              f'build (read) {min(x["build"] for x in rs):.3f} s, first reinit '
              f'{min(x["reinit1"] for x in rs):.3f} s, second reinit '
              f'{min(x["reinit2"] for x in rs):.4f} s, 10 ms run {min(x["run"] for x in rs):.3f} s')


if __name__ == '__main__':
    main()
