"""Reference timings/final states from real MOOSE (pymoose).

Run with the side virtualenv that has pymoose installed, e.g.::

    /work/sidevenv/bin/python benchmarks/run_pymoose_ref.py out.json
    /work/sidevenv/bin/python benchmarks/run_pymoose_ref.py out.json --method default

``--method`` is a Ksolve method name (default 'lsoda'), or 'default' to
leave Ksolve.method untouched.  ``--module moosepy`` runs the same thing
with the clone instead (the JSON layout is identical).

For each model: build (untimed), then time ``moose.reinit();
moose.start(runtime)`` with time.perf_counter.  Repeated ``--repeats``
times (default 5), rebuilding the model from scratch each time with only
that model present in the tree; the best wall time is reported.
"""

import argparse
import importlib
import json
import os
import platform
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.kin_models import build_kin_small, build_kin_large  # noqa

MODELS = {
    'kin_small': (build_kin_small, '/kin_small'),
    'kin_large': (build_kin_large, '/kin_large'),
}


def _clear(moose):
    for _, path in MODELS.values():
        if moose.exists(path):
            moose.delete(path)


def run_model(moose, name, method, repeats):
    builder, path = MODELS[name]
    times, start_times = [], []
    model = None
    for _ in range(repeats):
        _clear(moose)
        model = builder(moose, path=path, method=method)
        t0 = time.perf_counter()
        moose.reinit()
        t1 = time.perf_counter()
        moose.start(model['runtime'])
        t2 = time.perf_counter()
        times.append(t2 - t0)
        start_times.append(t2 - t1)
    pools = model['pools']
    out = {
        'method': model['ksolve'].method,
        'method_requested': method if method is not None else 'default',
        'runtime': model['runtime'],
        'wall_time_s': min(times),
        'wall_times_s': times,
        'start_only_best_s': min(start_times),
        'repeats': repeats,
        'pool_names': list(pools),
        'final_conc': [float(p.conc) for p in pools.values()],
        'final_n': [float(p.n) for p in pools.values()],
        'table_lengths': {k: int(len(t.vector)) for k, t in model['tables'].items()},
        'table_last': {k: float(t.vector[-1]) for k, t in model['tables'].items()},
        'current_time': float(moose.element('/clock').currentTime),
    }
    if 'weights' in model:
        out['weights'] = [float(w) for w in model['weights']]
        out['weighted_total_final_n'] = float(
            sum(w * n for w, n in zip(model['weights'], out['final_n'])))
        out['weighted_total_init_conc'] = float(
            sum(w * c for w, c in zip(model['weights'], model['conc0'])))
    _clear(moose)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--method', default='lsoda')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--module', default='moose')
    ap.add_argument('--models', default=','.join(MODELS))
    a = ap.parse_args()
    moose = importlib.import_module(a.module)
    method = None if a.method == 'default' else a.method
    res = {'module': a.module,
           'version': getattr(moose, '__version__', None),
           'python': platform.python_version(),
           'machine': platform.platform(),
           'models': {}}
    for name in a.models.split(','):
        r = run_model(moose, name, method, a.repeats)
        res['models'][name] = r
        print('%-10s method=%-6s best=%.4fs (start only %.4fs) all=%s' % (
            name, r['method'], r['wall_time_s'], r['start_only_best_s'],
            ' '.join('%.4f' % t for t in r['wall_times_s'])))
    with open(a.out, 'w') as f:
        json.dump(res, f, indent=1)


if __name__ == '__main__':
    main()
