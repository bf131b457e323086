"""Which reaction selector for Gsolve's exact SSA?  Measures, on the
benchmark models, events per CPU-second of

* ``direct-linear``: the direct method with a linear scan of the
  propensities (the shipped kernel with the block scan switched off),
* ``direct-blocks``: the shipped kernel (two-level scan: block sums of 16,
  then one block),
* ``next-reaction``: Gibson and Bruck's next-reaction method (one
  exponential per event, putative times rescaled for the dependents,
  an indexed binary min-heap), written here only for this measurement.

    python benchmarks/gsolve_selectors.py

Same model arrays and random streams for all; best of 3 runs each.
"""

import importlib.util
import os
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import moosepy as moose  # noqa: E402
from moosepy.kinetics.stoich import compile_stoich  # noqa: E402
from moosepy.stochastic import kernels as K  # noqa: E402
from moosepy.stochastic.kernels import _exp1, _prop  # noqa: E402
from moosepy.stochastic.events import no_events  # noqa: E402
from moosepy.stochastic.model import SsaModel  # noqa: E402
from benchmarks.gsolve_models import MODELS  # noqa: E402


@numba.njit(cache=True)
def _sift(heap, pos, tau, i):
    """Restore the heap property around heap slot i (up, then down)."""
    n = heap.shape[0]
    while i > 0:
        p = (i - 1) // 2
        if tau[heap[i]] < tau[heap[p]]:
            heap[i], heap[p] = heap[p], heap[i]
            pos[heap[i]] = i
            pos[heap[p]] = p
            i = p
        else:
            break
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and tau[heap[c + 1]] < tau[heap[c]]:
            c += 1
        if tau[heap[c]] < tau[heap[i]]:
            heap[i], heap[c] = heap[c], heap[i]
            pos[heap[i]] = i
            pos[heap[c]] = c
            i = c
        else:
            break


@numba.njit(cache=True)
def nrm_run(x, P, krow, kmrow, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz, chg_ptr,
            chg_idx, chg_val, dep_ptr, dep_idx, rng, t1):
    """Next-reaction method on one voxel state x (P pools + the 1.0 slot)
    to time t1; returns the number of events."""
    R = krow.shape[0]
    frate = np.zeros(R)
    a = np.empty(R)
    tau = np.empty(R)
    q0, q1, q2, q3 = rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3]
    for r in range(R):
        a[r] = _prop(r, x, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult,
                     mm_enz)
        if a[r] > 0.0:
            e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
            tau[r] = e / a[r]
        else:
            tau[r] = np.inf
    heap = np.argsort(tau).astype(np.int64)
    pos = np.empty(R, dtype=np.int64)
    for i in range(R):
        pos[heap[i]] = i
    nev = 0
    while True:
        mu = heap[0]
        t = tau[mu]
        if t > t1:
            break
        for q in range(chg_ptr[mu], chg_ptr[mu + 1]):
            x[chg_idx[q]] += chg_val[q]
        nev += 1
        done_mu = False
        for q in range(dep_ptr[mu], dep_ptr[mu + 1]):
            d = dep_idx[q]
            pt = ptype[d]
            if pt <= 2:
                nv = krow[d] * x[s0[d]] * x[s1[d]]
            else:
                nv = _prop(d, x, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult,
                           mm_enz)
            if d == mu:
                done_mu = True
                if nv > 0.0:
                    e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                    tau[d] = t + e / nv
                else:
                    tau[d] = np.inf
            elif nv > 0.0 and a[d] > 0.0 and tau[d] < np.inf:
                tau[d] = t + (a[d] / nv) * (tau[d] - t)
            elif nv > 0.0:
                e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                tau[d] = t + e / nv
            else:
                tau[d] = np.inf
            a[d] = nv
            _sift(heap, pos, tau, pos[d])
        if not done_mu:
            if a[mu] > 0.0:
                e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                tau[mu] = t + e / a[mu]
            else:
                tau[mu] = np.inf
            _sift(heap, pos, tau, pos[mu])
    rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3] = q0, q1, q2, q3
    return nev


def _linear_kernel():
    """The shipped ssa_run with the block scan switched off."""
    src = open(K.__file__).read().replace('_LINEAR_MAX = 32', '_LINEAR_MAX = 1 << 40')
    src = src.replace('from ..kinetics.kernels', 'from moosepy.kinetics.kernels')
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '_gsolve_linear_tmp.py')
    with open(path, 'w') as fh:
        fh.write(src.replace('cache=True', 'cache=False'))
    try:
        spec = importlib.util.spec_from_file_location('_gsolve_linear_tmp', path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        os.remove(path)
    return mod.ssa_run


def measure(name, lin):
    m = MODELS[name](moose)
    comp = compile_stoich(m['gsolve'].stoich._el)
    y0 = np.array([p.cols['nInit'][0] for p in comp.pool_els], dtype=float)
    s = SsaModel(comp, y0=y0)
    T = m['runtime']
    e = np.zeros(0, dtype=np.int64)
    out = {}

    def direct(fn):
        y = y0.copy()
        fires = np.zeros((1, s.R), dtype=np.int64)
        c0 = time.process_time()
        n = fn(y, len(y0), s.kk, s.km, *s.kernel_args(), K.seed_streams(1, 1),
               np.full(1, -np.inf), fires, 0.0, T, np.zeros(0), np.zeros(2, np.int64), e, e,
               np.zeros((0, 0)), no_events().E, np.zeros((1, 0), np.int64),
               np.zeros((1, 0), np.int64))
        return n, time.process_time() - c0

    def nrm():
        x = np.append(y0, 1.0)
        krow = s.kk[0].copy()
        K._fold_held(krow, x, s.hf_ptr, s.hf_idx, s.hf_mult)
        c0 = time.process_time()
        n = nrm_run(x, len(y0), krow, s.km[0], s.ptype, s.s0, s.s1, s.rs_ptr, s.rs_idx,
                    s.rs_mult, s.mm_enz, s.chg_ptr, s.chg_idx, s.chg_val, s.dep_ptr,
                    s.dep_idx, K.seed_streams(1, 1), T)
        return n, time.process_time() - c0

    for label, run in (('direct-linear', lambda: direct(lin)),
                       ('direct-blocks', lambda: direct(K.ssa_run)),
                       ('next-reaction', nrm)):
        run()
        best = max(n / c for n, c in (run() for _ in range(3)))
        out[label] = best
    moose.delete(m['gsolve'].parent.parent.path)
    return s.R, out


def main():
    lin = _linear_kernel()
    print(f'{"model":16s} {"terms":>5s} ' + ' '.join(f'{k:>14s}' for k in
                                                  ('direct-linear', 'direct-blocks',
                                                   'next-reaction')) + '   (M events/CPU-s)')
    for name in MODELS:
        R, out = measure(name, lin)
        print(f'{name:16s} {R:5d} ' + ' '.join(f'{v / 1e6:14.2f}' for v in out.values()))


if __name__ == '__main__':
    main()
