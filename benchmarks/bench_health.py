"""Cost of the solver state checks of issue 15 (items 3 and 4): NaN/inf and
forced-negative checks after each advanced interval (moosepy.core.health).

Models:

* ``kin_large`` (benchmarks/kin_models.py): 200 pools, 400 reversible
  reactions, one voxel, 100 s with 20 tables on conc (tick dt 0.1 s:
  1000 recorded points), under ``lsoda`` and ``rk5``.  The Ksolve checks
  once per call to its advance (one ``np.add.reduce`` and one ``min`` over
  the state; for lsoda also the rows of the output grid).
* ``axon 1000`` (benchmarks/bench_electrical.py): 1000-compartment HH
  axon, 50 ms at dt 25 us under HSolve.  HSolve's kernel sums Vm once per
  call while copying it back (this predates the issue; the check only names
  the compartment when it fails), so its cost is that of one sum over the
  nodes per call: measured here as numpy's sum over 1000 values times the
  number of calls, an upper bound.
* ``axon 200, Python-stepped`` (no HSolve): the Compartment class steps in
  Python every dt; one ``np.add.reduce`` over Vm per step and element.

* ``dsolve 100k``: one pool that only diffuses (inert chemistry: the
  Dsolve's check after each chemical tick is the only one) on a
  100,000-voxel CylMesh, 10 s, backward Euler and Crank-Nicolson.

Figures: time spent inside the checks (timed by wrapping them) as a share
of the run, and for Ksolve also an A/B of whole runs with the checks
replaced by no-ops (medians of alternating repeats; noisy on a shared
machine, the first figure is the precise one).

Usage: ``python benchmarks/bench_health.py [--repeats 5] [--only kin|axon|dsolve]``
"""

import os
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile
import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

import moosepy as moose  # noqa: E402
from moosepy.kinetics import ksolve as K  # noqa: E402


class Timer:
    """Wraps a function, summing the wall time spent in it."""

    def __init__(self, fn):
        self.fn, self.t, self.n = fn, 0.0, 0

    def __call__(self, *a, **kw):
        t0 = time.perf_counter()
        try:
            return self.fn(*a, **kw)
        finally:
            self.t += time.perf_counter() - t0
            self.n += 1


def kin_large(method, repeats):
    from kin_models import build_kin_large
    m = build_kin_large(moose, method=method)
    runtime = m['runtime']
    moose.reinit()
    moose.start(runtime)          # compile / warm
    orig_check, orig_fin = K.check_state, K.first_nonfinite
    runs = {'on': [], 'off': []}
    inside = []
    for rep in range(repeats):
        for mode in (('on', 'off') if rep % 2 == 0 else ('off', 'on')):
            if mode == 'on':
                tc, tf = Timer(orig_check), Timer(orig_fin)
                K.check_state, K.first_nonfinite = tc, tf
            else:
                K.check_state = lambda *a, **kw: None
                K.first_nonfinite = lambda a: -1
            moose.reinit()
            t0 = time.perf_counter()
            moose.start(runtime)
            dt = time.perf_counter() - t0
            runs[mode].append(dt)
            if mode == 'on':
                # (first_nonfinite's time inside check_state is counted in
                # both: the sum is an upper bound)
                inside.append((tc.t + tf.t, tc.n, dt))
            K.check_state, K.first_nonfinite = orig_check, orig_fin
    moose.delete(m['root'])
    share = statistics.median(i / d for i, _n, d in inside)
    calls = inside[0][1]
    on, off = statistics.median(runs['on']), statistics.median(runs['off'])
    print(f'kin_large {method:5s}: run {on * 1e3:8.1f} ms with checks, {off * 1e3:8.1f} ms '
          f'without (A/B {100 * (on - off) / off:+.2f} %); inside the checks '
          f'{100 * share:.3f} % of the run ({calls} check calls per run)')


def axon_hsolve(repeats):
    import bench_electrical as be
    be.build_axon(1000)
    moose.reinit()
    moose.start(0.05)
    from moosepy.electrical import hkernels as HK
    calls = {'n': 0}
    orig = HK.advance

    def counting(*a):
        calls['n'] += 1
        return orig(*a)
    HK.advance = counting
    times = []
    for _ in range(repeats):
        calls['n'] = 0
        moose.reinit()
        t0 = time.perf_counter()
        moose.start(0.05)
        times.append(time.perf_counter() - t0)
    HK.advance = orig
    V = np.random.default_rng(0).normal(size=1000)
    t0 = time.perf_counter()
    for _ in range(10000):
        np.add.reduce(V)
    per = (time.perf_counter() - t0) / 10000
    run = statistics.median(times)
    print(f'axon 1000 HSolve: run {run * 1e3:8.1f} ms, {calls["n"]} kernel calls; one sum '
          f'over 1000 Vm {per * 1e6:.2f} us -> {100 * per * calls["n"] / run:.4f} % of the run '
          f'(upper bound; the kernel sums while copying Vm back)')
    moose.delete('/axon')


def axon_python(repeats, n=200, tstop=0.005):
    import math
    import bench_electrical as be
    be.build_axon(n)
    moose.delete('/axon/hsolve')
    moose.reinit()
    moose.start(0.001)
    times = []
    for _ in range(repeats):
        moose.reinit()
        t0 = time.perf_counter()
        moose.start(tstop)
        times.append(time.perf_counter() - t0)
    # the check as the step runs it, on the element's own Vm column
    V = moose.element('/axon/c')._el.cols['Vm']
    reps = 20000
    t0 = time.perf_counter()
    for _ in range(reps):
        if not math.isfinite(float(np.add.reduce(V))):
            raise AssertionError
    per = (time.perf_counter() - t0) / reps
    steps = round(tstop / be.DT)
    run = statistics.median(times)
    print(f'axon {n} Python-stepped: run {run * 1e3:8.1f} ms ({steps} steps); the per-step '
          f'Vm check {per * 1e6:.2f} us -> {100 * per * steps / run:.3f} % of the run')
    moose.delete('/axon')


def dsolve_100k(method, repeats, nvox=100_000, runtime=10.0):
    """One pool that only diffuses (no reaction: the chemistry is inert,
    so only the Dsolve's own check sees the state) on a 100,000-voxel
    CylMesh (1 µm voxels, D 1e-12 m^2/s, a sharp step of 1 uM over the
    first half), Dsolve dt 0.01 s, chemistry dt 0.1 s: 10 diffusion steps
    and one check per chemical tick, 1000 ticks."""
    from moosepy.kinetics import dsolve as DS
    if moose.exists('/dbench'):
        moose.delete('/dbench')
    moose.Neutral('/dbench')
    m = moose.CylMesh('/dbench/cyl')
    m.x1 = nvox * 1e-6
    m.diffLength = 1e-6
    m.r0 = m.r1 = 0.5e-6
    a = moose.Pool('/dbench/cyl/a')
    a.diffConst = 1e-12
    st = moose.Stoich('/dbench/cyl/st')
    ks = moose.Ksolve('/dbench/cyl/ks')
    ds = moose.Dsolve('/dbench/cyl/ds')
    ds.method = method
    st.compartment = m
    st.ksolve = ks
    st.dsolve = ds
    st.reacSystemPath = '/dbench/cyl/##'
    for t in range(10, 19):
        moose.setClock(t, 0.1)
    moose.setClock(10, 0.01)
    c0 = np.zeros(nvox)
    c0[:nvox // 2] = 1e-3
    moose.vec('/dbench/cyl/a').concInit = c0
    moose.reinit()
    moose.start(0.2)          # compile / warm
    orig = DS.check_diffused
    runs = {'on': [], 'off': []}
    inside = []
    for rep in range(repeats):
        for mode in (('on', 'off') if rep % 2 == 0 else ('off', 'on')):
            tc = Timer(orig)
            DS.check_diffused = tc if mode == 'on' else (lambda *a, **kw: None)
            moose.reinit()
            t0 = time.perf_counter()
            moose.start(runtime)
            dt = time.perf_counter() - t0
            runs[mode].append(dt)
            if mode == 'on':
                inside.append((tc.t, tc.n, dt))
            DS.check_diffused = orig
    n = np.array(moose.vec('/dbench/cyl/a').n)
    moose.delete('/dbench')
    share = statistics.median(i / d for i, _n, d in inside)
    on, off = statistics.median(runs['on']), statistics.median(runs['off'])
    print(f'dsolve {nvox} voxels, {method}, pool only diffusing, {runtime:g} s: run '
          f'{on * 1e3:8.1f} ms with checks, {off * 1e3:8.1f} ms without (A/B '
          f'{100 * (on - off) / off:+.2f} %); inside the checks {100 * share:.3f} % of the run '
          f'({inside[0][1]} check calls per run); min n after the run {n.min():.3g}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--only', choices=['kin', 'axon', 'dsolve'], default=None)
    a = ap.parse_args()
    if a.only in (None, 'kin'):
        kin_large('lsoda', a.repeats)
        kin_large('rk5', a.repeats)
    if a.only in (None, 'axon'):
        axon_hsolve(a.repeats)
        axon_python(max(1, a.repeats // 2))
    if a.only in (None, 'dsolve'):
        dsolve_100k('be', a.repeats)
        dsolve_100k('cn', a.repeats)


if __name__ == '__main__':
    main()
