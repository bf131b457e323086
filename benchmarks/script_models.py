"""The benchmark models as whole scripts, for ``bench_scripts.py``: written
against the MOOSE API, so that pymoose 5.0.0 and moosepy run the very same
code (the module is the first argument).

    python benchmarks/script_models.py moosepy kin_large-lsoda
    /work/pymoose-venv/bin/python benchmarks/script_models.py moose axon1000
    python benchmarks/script_models.py moosepy swc --runs 3

One process = import, build, ``reinit(); start(T)``, exit: what a user's
script does.  With ``--runs N`` the model is run N times (``reinit();
start(T)`` again on the same, unchanged model) and the wall and CPU seconds
of every ``start`` are printed as one JSON line (``RESULT {...}``), so the
second run gives the warm simulation-only time.

Cases (the builders are the benchmark modules', not copies):

* ``kin_small-lsoda``, ``kin_small-rk5``, ``kin_large-lsoda``,
  ``kin_large-rk5``: ``kin_models.build_kin_small`` / ``build_kin_large``
  (5 pools 1000 s; 200 pools, 400 reactions 100 s).
* ``axon1000``: the 1000-compartment HH axon of ``bench_electrical.py``,
  built one Compartment element per compartment by
  ``bench_electrical_moose.build`` (MOOSE's side of that benchmark); 50 ms
  at dt 25 us.
* ``swc``: the granule cell ``mp_ma_40984_gc2.CNG.swc`` read by
  ``moose.loadModel`` (both readers: one compartment per SWC point, 353
  compartments; ``bench_electrical.py``'s SWC cell uses NEURON's 10-um
  discretisation, which MOOSE cannot read), Na and K copied from
  ``/library`` into the soma, 0.3 nA from 10 to 90 ms, HSolve, 100 ms at
  dt 25 us.
* ``cell1000``: ``cell_models.build_cell(moose, 1000)`` (one element per
  compartment, 8 dendrites, channels copied from ``/library``), 50 ms.
* ``kkit:<file>.g``: ``moose.loadModel(file, '/model', 'gsl')`` of a file in
  ``../shared/models-ref/kkit``, run for the time that
  ``kkit_pymoose_ref.json`` records for it.
"""

import argparse
import importlib
import json
import os
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = os.path.dirname(os.path.abspath(__file__))
KKIT = os.path.join(HERE, '..', '..', 'shared', 'models-ref', 'kkit')
SWC = os.path.join(HERE, '..', '..', 'shared', 'models-ref', 'swc', 'mp_ma_40984_gc2.CNG.swc')
DT = 25e-6
CASES = ['kin_small-lsoda', 'kin_small-rk5', 'kin_large-lsoda', 'kin_large-rk5',
         'axon1000', 'swc', 'cell1000']


def kkit_runtime(name):
    with open(os.path.join(HERE, 'kkit_pymoose_ref.json')) as fh:
        return float(json.load(fh)['models'][name]['runtime'])


def build(moose, case):
    """Build *case*; returns its runtime [s]."""
    if case.startswith('kin_'):
        import kin_models
        name, method = case.split('-')
        m = getattr(kin_models, 'build_' + name)(moose, path='/' + name, method=method)
        return m['runtime']
    if case == 'axon1000':
        sys.modules.setdefault('moose', moose)   # the MOOSE-side script imports 'moose'
        import bench_electrical_moose
        return bench_electrical_moose.build('axon', 1000)[1]
    if case == 'cell1000':
        import cell_models
        cell_models.build_cell(moose, 1000)
        return 0.05
    if case == 'swc':
        return build_swc(moose)
    if case.startswith('kkit:'):
        name = case[5:]
        moose.loadModel(os.path.join(KKIT, name), '/model', 'gsl')
        return kkit_runtime(name)
    raise SystemExit(f'unknown case {case!r}; valid: {", ".join(CASES)}, kkit:<file>.g')


def build_swc(moose):
    import cell_models
    cell_models.make_library(moose)
    moose.loadModel(SWC, '/gc')
    cell_models.dress_swc_cell(moose, '/gc', DT)
    return 0.1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('module', choices=['moose', 'moosepy'])
    ap.add_argument('case')
    ap.add_argument('--runs', type=int, default=1)
    a = ap.parse_args()
    sys.path.insert(0, HERE)
    w0, c0 = time.perf_counter(), time.process_time()
    moose = importlib.import_module(a.module)
    w1, c1 = time.perf_counter(), time.process_time()
    runtime = build(moose, a.case)
    w2, c2 = time.perf_counter(), time.process_time()
    starts = []
    for _ in range(a.runs):
        moose.reinit()
        w, c = time.perf_counter(), time.process_time()
        moose.start(runtime)
        starts.append((time.perf_counter() - w, time.process_time() - c))
    if a.runs > 1:
        print('RESULT ' + json.dumps({'import': (w1 - w0, c1 - c0), 'build': (w2 - w1, c2 - c1),
                                      'starts': starts, 'runtime': runtime}))


if __name__ == '__main__':
    main()
