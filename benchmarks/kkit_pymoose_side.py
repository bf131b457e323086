"""Reference trajectories and timings of the kkit models from real MOOSE.

Run with the side virtualenv that has pymoose 5.0.0::

    /work/sidevenv/bin/python benchmarks/kkit_pymoose_side.py [out.json] [--time MODEL]

For every ``*.g`` in ``../shared/models-ref/kkit/`` it loads the model with
``moose.loadModel(path, '/model', 'gsl')`` (MOOSE's default: Ksolve rk5 per
compartment, plus Dsolve and cross-compartment "xfer" pools where there
are several compartments), tightens the Ksolve tolerances (epsAbs, epsRel
1e-10), reinit, and records the concentration [mM] of every pool every
``dt_sample`` for ``runtime`` seconds (``moose.start`` in steps; with rk5 a
split run equals one run, see PYMOOSE_NOTES.md).  Paths are written without
MOOSE's ``[0]`` indices.  These are MOOSE's outputs, used as an oracle by
tests/kinetics/test_kkit.py.

Models with several compartments are also recorded with every diffConst
set to 0 (key ``<name>:nodiff``): MOOSE's loadModel adds a Dsolve per
compartment and lets same-named pools diffuse between them (moosepy's
loadModel has done the same since issue 12; these records are kept as the
uncoupled oracle).

Measured findings (pymoose 5.0.0, this machine):

* MOOSE's rk5 (tolerances 1e-10) and moosepy's LSODA (epsRel 1e-10) agree
  to better than 1e-5 of each pool's range on all 8 single-compartment
  models and on CaOnly/NN_mapk15 without diffusion, so MOOSE's own
  integration error is below the 1e-4 target there.
* psd53: reactions cross compartments; MOOSE exchanges "xfer" pools once
  per solver step, an O(dt) splitting error: Rpp(50 s) = 1.25e-3, 2.88e-4,
  1.95e-4 mM for solver dt 0.5, 0.05, 0.005 s, converging towards moosepy's
  single-solver value 1.88e-4.
* At random (about 2 of 5 fresh processes) MOOSE's rk5 fails on acc35 at
  the first step ("VoxelPools::advance: GSL integration error", repeated
  every tick) and then takes minutes; a kkit model deleted and loaded again
  in one process can stall the same way.  Hence one process per model, a
  time limit and up to 3 attempts.
* MOOSE computes ConcChans only in its Dsolve: between two compartments only
  across a junction built by the Dsolve of a compartment whose
  isMembraneBound was set before (see moosepy/kinetics/concchan.py and
  tests/kinetics/test_concchan.py).  loadModel builds plain junctions, so
  the kkit channels of CICRspineDend.g are inert in these references (the
  run is the same with their permeability 0).  With its xfer pools at
  solver dt 0.02 s MOOSE agrees with moosepy (channels closed) to 3e-6 of
  each pool's range (1.6e-3 at dt 0.2 s, 3e-7 at 0.002 s).

``--time MODEL [RUNTIME]`` instead prints the wall time of loading and of
``reinit + start(RUNTIME)`` (default MAXTIME) for one model, for
bench_kkit.py.
"""

import json
import os
import re
import subprocess
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import moose

LIMIT_S = 120
MULTI = ('CICRspineDend.g', 'CaOnly.g', 'NN_mapk15.g', 'psd53.g')
HERE = os.path.dirname(os.path.abspath(__file__))
KKIT = os.path.normpath(os.path.join(HERE, '..', '..', 'shared', 'models-ref', 'kkit'))

#: simulated time and sampling interval [s] per model (shorter than
#: MAXTIME where MAXTIME is long, to keep the reference file small)
RUNS = {
    'reaction.g': (100.0, 1.0),
    'enz_rea.g': (1.0, 0.01),
    'Kholodenko.g': (3000.0, 20.0),
    'Repressillator.g': (3000.0, 20.0),
    'acc35.g': (500.0, 5.0),
    'EGFR_MAPK_58.g': (500.0, 5.0),
    'bcm.g': (100.0, 1.0),
    'chanPhosphByCaMKII.g': (100.0, 1.0),
    'CaOnly.g': (20.0, 0.2),
    'CICRspineDend.g': (20.0, 0.2),
    'NN_mapk15.g': (20.0, 0.2),
    'psd53.g': (50.0, 0.5),
}


def clean(path):
    return re.sub(r'\[0\]', '', path)


def maxtime(fname):
    with open(fname) as fh:
        for line in fh:
            m = re.match(r'\s*MAXTIME\s*=\s*(\S+)', line)
            if m:
                return float(m.group(1))
    return 100.0


def reference(name, nodiff=False, solver_dt=None):
    runtime, dt = RUNS[name]
    if moose.exists('/model'):
        moose.delete('/model')
    moose.loadModel(os.path.join(KKIT, name), '/model', 'gsl')
    if nodiff:
        # no diffusion between compartments: what is left of MOOSE's
        # coupling is the cross-compartment reactions (through xfer pools)
        for p in moose.wildcardFind('/model/##[ISA=PoolBase]'):
            p.diffConst = 0.0
    for ks in moose.wildcardFind('/model/##[ISA=Ksolve]'):
        ks.epsAbs = 1e-10
        ks.epsRel = 1e-10
    # one sample per dt: the solvers step at their own tick (plot dt), or at
    # solver_dt (also the Dsolve tick, which moves the xfer pools)
    for t in (15, 16):
        moose.setClock(t, dt if solver_dt is None else solver_dt)
    if solver_dt is not None:
        moose.setClock(10, solver_dt)
    pools = [p for p in moose.wildcardFind('/model/##[ISA=PoolBase]')
             if '_xfer_' not in p.name]
    moose.reinit()
    times, conc = [0.0], [[p.conc for p in pools]]
    nsteps = int(round(runtime / dt))
    for k in range(1, nsteps + 1):
        moose.start(dt)
        times.append(k * dt)
        conc.append([p.conc for p in pools])
    ncompt = len(moose.wildcardFind('/model/##[ISA=ChemCompt]'))
    return {'runtime': runtime, 'dt': dt, 'times': times,
            'pools': [clean(p.path) for p in pools],
            'classes': [p.className for p in pools],
            'conc': conc, 'n_compartments': ncompt,
            'ksolve_method': moose.wildcardFind('/model/##[ISA=Ksolve]')[0].method}


FIELDS = {'Pool': ('concInit', 'nInit', 'volume', 'diffConst'),
          'BufPool': ('concInit', 'nInit', 'volume', 'diffConst'),
          'Reac': ('Kf', 'Kb', 'numKf', 'numKb'),
          'Enz': ('Km', 'kcat', 'k1', 'k2', 'k3'),
          'MMenz': ('Km', 'kcat'),
          'CubeMesh': ('volume',),
          'Function': ('expr',)}


def structure(name):
    """Every element under /model (class and the fields above), loaded with
    solver 'ee' (no solver objects, no xfer pools)."""
    if moose.exists('/model'):
        moose.delete('/model')
    moose.loadModel(os.path.join(KKIT, name), '/model', 'ee')
    out = {}
    for e in moose.wildcardFind('/model/##'):
        if e.className in ('Annotator', 'MeshEntry'):
            continue
        d = {'class': e.className}
        for f in FIELDS.get(e.className, ()):
            d[f] = getattr(e, f)
        if e.className == 'Table2':
            d['src'] = [clean(x.path) for x in e.neighbors['requestOut']]
        out[clean(e.path)] = d
    return out


def timing(name, runtime=None):
    """One load and one run, in a fresh process (pymoose 5.0.0 can stall when
    a kkit model is deleted and loaded again in the same process)."""
    path = os.path.join(KKIT, name)
    runtime = maxtime(path) if runtime is None else runtime
    t0 = time.perf_counter()
    moose.loadModel(path, '/model', 'gsl')
    t1 = time.perf_counter()
    moose.reinit()
    moose.start(runtime)
    t2 = time.perf_counter()
    print(json.dumps({'model': name, 'load_s': t1 - t0, 'run_s': t2 - t1,
                      'runtime': runtime, 'moose': moose.__version__}))


def main(argv):
    if '--time' in argv:
        i = argv.index('--time')
        timing(argv[i + 1], float(argv[i + 2]) if len(argv) > i + 2 else None)
        return
    if '--structure' in argv:
        out = argv[argv.index('--structure') + 1]
        res = {'moose_version': moose.__version__, 'models': {}}
        for name in sorted(RUNS):
            res['models'][name] = structure(name)
        with open(out, 'w') as fh:
            json.dump(res, fh, indent=0)
        return
    if '--model' in argv:
        sdt = float(argv[argv.index('--solver-dt') + 1]) if '--solver-dt' in argv else None
        print(json.dumps(reference(argv[argv.index('--model') + 1], '--nodiff' in argv, sdt)))
        return
    out = argv[1] if len(argv) > 1 else os.path.join(HERE, 'kkit_pymoose_ref.json')
    res = {'moose_version': moose.__version__, 'method': 'gsl (rk5), epsAbs=epsRel=1e-10',
           'models': {}, 'failed': {}}
    # one process per model, with a time limit: a model MOOSE cannot run in
    # the limit is listed under 'failed' with the reason
    # models with several compartments are also run without diffusion
    # ('<name>:nodiff'); a run that fails (pymoose's rk5 at times fails at
    # random with "GSL integration error") is tried again, up to 3 times
    jobs = [(n, []) for n in sorted(RUNS)] + [(n + ':nodiff', ['--nodiff']) for n in MULTI]
    # psd53 (reactions cross compartments): MOOSE's xfer coupling at finer
    # solver steps, to show its convergence
    jobs += [(f'psd53.g:nodiff:dt={d}', ['--nodiff', '--solver-dt', d]) for d in ('0.05', '0.005')]
    # CICRspineDend (xfer pools; its ConcChans are inert in MOOSE) at a finer step
    jobs += [('CICRspineDend.g:nodiff:dt=0.02', ['--nodiff', '--solver-dt', '0.02'])]
    if '--only-extra' in argv:
        with open(out) as fh:
            res = json.load(fh)
        jobs = [j for j in jobs if ':dt=' in j[0] and j[0] not in res['models']]
    for key, extra in jobs:
        name = key.split(':')[0]
        t0 = time.perf_counter()
        for attempt in range(3):
            try:
                p = subprocess.run([sys.executable, __file__, '--model', name] + extra,
                                   capture_output=True, text=True, timeout=LIMIT_S)
                lines = [x for x in p.stdout.splitlines() if x.startswith('{')]
                if p.returncode == 0 and lines and 'GSL integration error' not in p.stdout:
                    res['models'][key] = json.loads(lines[-1])
                    res['models'][key]['attempts'] = attempt + 1
                    res['failed'].pop(key, None)
                    break
                res['failed'][key] = f'exit {p.returncode}: {p.stderr[-500:]}'
            except subprocess.TimeoutExpired:
                res['failed'][key] = f'no result within {LIMIT_S} s'
        print(key, f'{time.perf_counter() - t0:.1f} s', file=sys.stderr)
    with open(out, 'w') as fh:
        json.dump(res, fh)


if __name__ == '__main__':
    main(sys.argv)
