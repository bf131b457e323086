"""The 2243-compartment NeuroML CA1 under HSolve, moosepy beside MOOSE
(pymoose 5.0.0) in the same run (issue 10: it took 28 minutes).

The cell is ``tutorials/Rdesigneur/chans/CA1.morph.xml`` with its kdr,
kap, na3 and nax channels (4501 of them), as tests/electrical/
test_neuroml1.py loads it (the variable_parameter and hd mechanisms taken
out: pymoose 5.0.0 crashes on them), read by ``moose.neuroml.NeuroML``
with ``combineSegments=False`` into ``/library`` and copied into
``/model``; 0.2 nA into the soma, every tick at 25 us, an HSolve on the
copy, a Table on the soma.  As in MOOSE, the unsolved prototype in
``/library`` is stepped too (exponential Euler): in moosepy by the
compiled unsolved path (moosepy.electrical.eesolve), before it by one
Python call per element per step.

Per simulator, over ``--repeat`` fresh processes run alternately (the
spread is printed as min-max), CPU seconds (time.process_time) of: the
import, the build (read + copy + HSolve + Table; MOOSE sets its HSolve up
here), the first ``reinit``, the first run of ``--runtime`` (default
100 ms; moosepy loads its numba kernels in it), a second ``reinit`` and
run in the same process (best of ``--warm`` rounds), and the wall time of
the whole process.  Before any time is printed the answers are compared:
the solved soma's Vm trace and the prototype soma's, to 1e-9 of their
range.  The machine is shared: the load average is printed; compare
figures of one run only::

    python benchmarks/bench_neuroml_ca1.py                # moosepy and MOOSE
    python benchmarks/bench_neuroml_ca1.py --repeat 1 --runtime 0.01 --per-element
                                                          # the old per-element path

MOOSE runs through ``$MOOSE_PYTHON`` (default /work/pymoose-venv/bin/python).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = Path(__file__).resolve().parent
CHANS = HERE.parent.parent / 'shared' / 'moose-examples' / 'tutorials' / 'Rdesigneur' / 'chans'


def cell_files(folder):
    """The CA1 file without variable_parameter and hd, beside its channels."""
    text = (CHANS / 'CA1.morph.xml').read_text()
    for block in re.findall(r'<bio:mechanism .*?</bio:mechanism>', text, re.S):
        if 'variable_parameter' in block or 'name="hd"' in block:
            text = text.replace(block, '')
    folder = Path(folder)
    (folder / 'CA1.morph.xml').write_text(text)
    for ch in ('kdr', 'kap', 'na3', 'nax'):
        shutil.copy(CHANS / f'{ch}.xml', folder / f'{ch}.xml')
    return folder / 'CA1.morph.xml'


def worker(who, fname, runtime, warm, per_element):
    cpu = time.process_time
    t0 = cpu()
    if who == 'moose':
        import moose
        import moose.utils as mu
        if not hasattr(mu, 'connect_CaConc'):       # missing in pymoose 5.0.0
            mu.connect_CaConc = lambda *a, **k: None
        from moose.neuroml import NeuroML
    else:
        sys.path.insert(0, str(HERE.parent))
        import moosepy as moose
        from moosepy.neuroml import NeuroML
        if per_element:
            from moosepy.electrical import eesolve
            eesolve.ENABLED = False
    t1 = cpu()
    NeuroML().readNeuroMLFromFile(fname, params={'combineSegments': False})
    moose.Neutral('/model')
    moose.copy(moose.element('/library/CA1'), '/model', 'CA1')
    soma = moose.element('/model/CA1/Seg0_soma_0_0')
    soma.inject = 2e-10
    for i in range(10):
        moose.setClock(i, 25e-6)
    h = moose.HSolve('/model/CA1/hsolve')
    h.dt = 25e-6
    h.target = soma.path
    tab = moose.Table('/model/tab')
    moose.connect(tab, 'requestOut', soma, 'getVm')
    lib = moose.Table('/model/libtab')
    moose.connect(lib, 'requestOut', moose.element('/library/CA1/Seg0_soma_0_0'), 'getVm')
    t2 = cpu()
    moose.reinit()
    t3 = cpu()
    moose.start(runtime)
    t4 = cpu()
    out = {'import': t1 - t0, 'build': t2 - t1, 'reinit1': t3 - t2, 'run1': t4 - t3,
           'vm': list(tab.vector), 'lib': list(lib.vector),
           'ncomp': len(moose.wildcardFind('/library/CA1/#[ISA=CompartmentBase]'))}
    re2, run2 = [], []
    for _ in range(warm):
        a = cpu()
        moose.reinit()
        b = cpu()
        moose.start(runtime)
        c = cpu()
        re2.append(b - a)
        run2.append(c - b)
    out['reinit2'] = min(re2) if re2 else float('nan')
    out['run2'] = min(run2) if run2 else float('nan')
    print('JSON' + json.dumps(out))


def child(python, who, fname, runtime, warm, per_element):
    t0 = time.perf_counter()
    p = subprocess.run([python, __file__, '--worker', who, fname, str(runtime), str(warm),
                        str(int(per_element))], capture_output=True, text=True,
                       timeout=7200, cwd=str(HERE.parent))
    wall = time.perf_counter() - t0
    line = [x for x in p.stdout.splitlines() if x.startswith('JSON')]
    if not line:
        raise RuntimeError(f'{who} failed:\n{p.stderr[-3000:]}')
    d = json.loads(line[0][4:])
    d['wall'] = wall
    return d


KEYS = ('import', 'build', 'reinit1', 'run1', 'reinit2', 'run2', 'wall')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--runtime', type=float, default=0.1, help='simulated time per run [s]')
    ap.add_argument('--repeat', type=int, default=3, help='fresh processes per simulator')
    ap.add_argument('--warm', type=int, default=2, help='reinit + run rounds after the first')
    ap.add_argument('--per-element', action='store_true',
                    help="moosepy without the compiled unsolved path (eesolve.ENABLED = False)")
    ap.add_argument('--no-ref', action='store_true', help='moosepy only')
    ap.add_argument('--json', default=None, help='write all results here')
    ap.add_argument('--worker', nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        w = a.worker
        worker(w[0], w[1], float(w[2]), int(w[3]), w[4] == '1')
        return
    if not (CHANS / 'CA1.morph.xml').exists():
        sys.exit(f'{CHANS} not found (moose-examples corpus)')
    sims = [('moosepy', sys.executable)]
    moo = os.environ.get('MOOSE_PYTHON', '/work/pymoose-venv/bin/python')
    if not a.no_ref and Path(moo).exists():
        sims.append(('moose', moo))
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        fname = str(cell_files(tmp))
        load = os.getloadavg()[0]
        for _ in range(a.repeat):
            for who, py in sims:
                res.setdefault(who, []).append(child(py, who, fname, a.runtime, a.warm,
                                                     a.per_element))
    r0 = res['moosepy'][0]
    print(f'# bench_neuroml_ca1: CA1 {r0["ncomp"]} compartments, HSolve copy + stepped '
          f'prototype, {a.runtime * 1e3:g} ms per run; {a.repeat} fresh processes x '
          f'{a.warm} warm rounds; CPU s (min-max); load average {load:.2f}; '
          f'{os.cpu_count()} CPUs' + ('; moosepy per-element path' if a.per_element else ''))
    if 'moose' in res:
        import numpy as np
        m = res['moose'][0]
        worst = 0.0
        for k in ('vm', 'lib'):
            x, y = np.asarray(m[k]), np.asarray(r0[k])
            if x.shape != y.shape:
                sys.exit(f'answers differ: {k} has {len(x)} samples in MOOSE, {len(y)} here')
            worst = max(worst, float(np.max(np.abs(x - y)) / np.ptp(x)))
        print(f'check: soma Vm (solved) and prototype soma Vm, worst difference {worst:.1e} '
              f'of range (tolerance 1e-9): {"ok" if worst <= 1e-9 else "MISMATCH"}')
        if worst > 1e-9:
            sys.exit('times not reported: the answers differ')
    print(f'{"sim":8} ' + ' '.join(f'{k:>17}' for k in KEYS))
    for who, _ in sims:
        rs = res[who]
        cells = []
        for k in KEYS:
            xs = sorted(r[k] for r in rs)
            cells.append(f'{xs[0]:8.3f}-{xs[-1]:<8.3f}')
        print(f'{"MOOSE" if who == "moose" else who:8} ' + ' '.join(cells))
    if 'moose' in res:
        for k in ('run1', 'run2', 'wall'):
            r = min(x[k] for x in res['moosepy']) / min(x[k] for x in res['moose'])
            print(f'moosepy / MOOSE, best {k}: {r:.3f}')
    if a.json:
        Path(a.json).write_text(json.dumps({'load': load, 'runtime': a.runtime,
                                            'per_element': a.per_element, **res}))


if __name__ == '__main__':
    main()
