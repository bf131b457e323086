"""The spiny case of ``bench_multiscale.py`` at equal accuracy: moosepy
beside MOOSE (pymoose 5.0.0), each configuration's error against a tight
reference and its warm simulation time.

Why: the spiny chemistry (three meshes, reacDiffSpinyNeuron's oscillator in
every voxel, Ksolve + Dsolve each, junctions; 100 s) is stepped as MOOSE
steps it, reaction and diffusion split at every 0.1 s chemical tick.  At
that tick the splitting error (about 2e-3 mM here) is far larger than the
GSL integrator's (epsRel 1e-7 keeps it near 4e-5), and the integrator
takes one step per voxel per tick whatever its tolerance, so the time a
configuration takes and the error it makes are set by different things.
This benchmark prints both, so that equal accuracy can be read off:

* MOOSE gsl (rk5) at its defaults, and MOOSE rk2 at epsRel = epsAbs = 1e-4
  (its cheapest method here at the same error);
* moosepy rk5 at its defaults (MOOSE's numbers to ~1e-14), and moosepy rk2
  at 1e-4 (both Ksolves' rk2 are Heun-Euler with their own step control).

Error: the largest over every voxel of the three meshes, the pools a, b and
s and the samples at 1, 2, ... 100 s of |c - c_ref| [mM], also as a
fraction of the reference's range.  c_ref: MOOSE (gsl, epsRel = epsAbs =
1e-12) with every chemical tick at 1 ms, where the splitting error is 100x
smaller; its own error is estimated from the same at 2 ms (first-order
splitting: the 1 ms run is off by about their difference).  The reference
comes from MOOSE's code, not ours.

Time: ``process_time`` of ``reinit(); start(100)``, the best of ``--warm``
rounds in each of ``--repeat`` fresh processes per configuration; the
processes run in turn, MOOSE's and moosepy's alternating.

    python benchmarks/bench_spiny_accuracy.py --pymoose /work/pymoose-venv/bin/python
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = Path(__file__).resolve().parent

# (label, simulator, SOLVER_OPTS)
CONFIGS = [
    ('MOOSE gsl (rk5), defaults', 'moose', {}),
    ('moosepy rk5, defaults', 'moosepy', {}),
    ('MOOSE rk2, 1e-4', 'moose', {'method': 'rk2', 'eps': 1e-4}),
    ('moosepy rk2, 1e-4', 'moosepy', {'method': 'rk2', 'eps': 1e-4}),
]


def child(sim, opts, mode, dt, warm, out):
    """Run in a fresh process: the spiny model with *opts*; mode 'traj'
    saves the samples to *out* (.npy), 'time' prints the warm times."""
    import time
    sys.path.insert(0, str(HERE))
    if sim == 'moose':
        import moose
    else:
        import moosepy as moose
    import numpy as np
    import multiscale_models as mm
    mm.SOLVER_OPTS.update(opts)
    runtime, _check = mm._spiny(moose, np)
    if dt:
        for tick in range(10, 20):
            moose.setClock(tick, dt)
    moose.reinit()
    if mode == 'traj':
        rows = []
        for _ in range(int(round(runtime))):
            moose.start(1.0)
            rows.append(np.concatenate([np.array(moose.vec(f'/model/chem/{m}/{p}').conc)
                                        for m in ('dend', 'spine', 'psd') for p in 'abs']))
        np.save(out, np.array(rows))
        return
    moose.start(runtime)
    best = None
    for _ in range(warm):
        moose.reinit()
        c = time.process_time()
        moose.start(runtime)
        c = time.process_time() - c
        best = c if best is None else min(best, c)
    print('JSON' + json.dumps({'warm_cpu': best}))


def spawn(python, sim, opts, mode, dt=0.0, warm=3, out=''):
    cmd = [python, __file__, '--child', sim, json.dumps(opts), mode, str(dt), str(warm), out]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        raise RuntimeError(f'{sim} {opts} {mode} failed:\n{p.stderr[-3000:]}')
    line = [x for x in p.stdout.splitlines() if x.startswith('JSON')]
    return json.loads(line[0][4:]) if line else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pymoose', required=True, help='python of the side venv with pymoose')
    ap.add_argument('--repeat', type=int, default=2)
    ap.add_argument('--warm', type=int, default=3)
    a = ap.parse_args()
    import numpy as np
    py = {'moose': a.pymoose, 'moosepy': sys.executable}
    tmp = Path(tempfile.mkdtemp(prefix='spiny_acc_'))
    print('# reference: MOOSE gsl 1e-12, chemical ticks 1 ms (and 2 ms for its error)',
          flush=True)
    tight = {'eps': 1e-12}
    spawn(a.pymoose, 'moose', tight, 'traj', 0.001, out=str(tmp / 'ref1.npy'))
    spawn(a.pymoose, 'moose', tight, 'traj', 0.002, out=str(tmp / 'ref2.npy'))
    ref = np.load(tmp / 'ref1.npy')
    ref2 = np.load(tmp / 'ref2.npy')
    span = float(ref.max() - ref.min())
    print(f'# reference range {span:.4g} mM; its own error ~ {np.abs(ref - ref2).max():.2g} mM '
          f'({np.abs(ref - ref2).max() / span:.1e} of range)', flush=True)
    errs = {}
    for label, sim, opts in CONFIGS:
        f = tmp / f'{len(errs)}.npy'
        spawn(py[sim], sim, opts, 'traj', out=str(f))
        errs[label] = float(np.abs(np.load(f) - ref).max())
    times = {label: [] for label, _s, _o in CONFIGS}
    for _ in range(a.repeat):
        for label, sim, opts in CONFIGS:
            times[label].append(spawn(py[sim], sim, opts, 'time', warm=a.warm)['warm_cpu'])
    print(f'{"configuration":28s} {"error mM":>10s} {"of range":>9s} {"warm CPU s":>17s} '
          f'{"/ MOOSE default":>15s} {"/ MOOSE rk2":>12s}')
    base = min(times[CONFIGS[0][0]])
    base2 = min(times[CONFIGS[2][0]])
    for label, _s, _o in CONFIGS:
        t = times[label]
        print(f'{label:28s} {errs[label]:10.3e} {errs[label] / span:9.1e} '
              f'{min(t):8.4f}-{max(t):.4f} {min(t) / base:15.2f} {min(t) / base2:12.2f}')


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--child':
        sim, opts, mode, dt, warm, out = sys.argv[2:8]
        child(sim, json.loads(opts), mode, float(dt), int(warm), out)
    else:
        main()
