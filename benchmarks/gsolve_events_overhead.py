"""Does the event machinery cost models without events anything?  Times the
shipped ``ssa_run`` against an earlier version of the kernel module (before
events), in one process, on the benchmark models, alternately, so both see
the same machine load; prints the best events per CPU-second of each.

    git show a1f1ff4:moosepy/stochastic/kernels.py > /tmp/kernels_before.py
    python benchmarks/gsolve_events_overhead.py /tmp/kernels_before.py [--rounds 7]

The earlier module is loaded as a throw-away module (its relative imports
made absolute, its Function evaluator stubbed: these models have none) and
compiled without the disk cache.  Both kernels get the
same model arrays, random streams and run time (a model without Functions
or events: the old argument list is the new one without its last three).
"""

import argparse
import importlib.util
import os
import sys
import tempfile
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import moosepy as moose  # noqa: E402
from moosepy.kinetics.stoich import compile_stoich  # noqa: E402
from moosepy.stochastic import kernels as K  # noqa: E402
from moosepy.stochastic.events import no_events  # noqa: E402
from moosepy.stochastic.model import SsaModel  # noqa: E402
from benchmarks.gsolve_models import MODELS  # noqa: E402


_STUB = '''
from moosepy.kinetics.kernels import unpack


@numba.njit
def _apply_funcs(t, w, kloc, extra, v, M, assign_only):
    pass    # the models timed here have no Functions (asserted in main)
'''


def load_old(path):
    src = open(path).read()
    # the old kernel's Function evaluator may not match today's kinetics
    # kernels; it is never called on these models, so a stub stands in
    src = src.replace('from ..kinetics.kernels import _apply_funcs, unpack', _STUB)
    src = src.replace('from ..kinetics.kernels', 'from moosepy.kinetics.kernels')
    src = src.replace('cache=True', 'cache=False')
    fd, tmp = tempfile.mkstemp(suffix='.py', prefix='_gsolve_old_')
    with os.fdopen(fd, 'w') as fh:
        fh.write(src)
    try:
        spec = importlib.util.spec_from_file_location('_gsolve_old', tmp)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        os.remove(tmp)
    return mod.ssa_run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('old_kernels', help='kernels.py of the version to compare with')
    ap.add_argument('--rounds', type=int, default=7)
    a = ap.parse_args()
    old = load_old(a.old_kernels)
    E = no_events().E
    print(f"{'model':16s} {'before ev/CPU-s':>16s} {'now ev/CPU-s':>14s} {'now/before':>10s}")
    for name in MODELS:
        m = MODELS[name](moose)
        comp = compile_stoich(m['gsolve'].stoich._el)
        y0 = np.array([p.cols['nInit'][0] for p in comp.pool_els], dtype=float)
        s = SsaModel(comp, y0=y0)
        assert not np.any(s.fdep), f'{name}: has Functions; not comparable'
        T = m['runtime']
        e = np.zeros(0, dtype=np.int64)

        def run(fn, new):
            y = y0.copy()
            fires = np.zeros((1, s.R), dtype=np.int64)
            extra = (E, np.zeros((1, 0), np.int64), np.zeros((1, 0), np.int64)) if new else ()
            c0 = time.process_time()
            n = fn(y, len(y0), s.kk, s.km, *s.kernel_args(), K.seed_streams(1, 1),
                   np.full(1, -np.inf), fires, 0.0, T, np.zeros(0), np.zeros(2, np.int64),
                   e, e, np.zeros((0, 0)), *extra)
            return n / (time.process_time() - c0)
        run(old, False)
        run(K.ssa_run, True)
        best_old = best_new = 0.0
        for _ in range(a.rounds):
            best_old = max(best_old, run(old, False))
            best_new = max(best_new, run(K.ssa_run, True))
        print(f'{name:16s} {best_old / 1e6:14.2f} M {best_new / 1e6:12.2f} M '
              f'{best_new / best_old:10.3f}')
        moose.delete(m['gsolve'].parent.parent.path)


if __name__ == '__main__':
    main()
