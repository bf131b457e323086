"""Streaming to disk: a run of 10^6 steps recording 100 variables with an
NSDFWriter keeps resident memory flat and the file holds every sample.

    python benchmarks/bench_writers.py [--steps 1000000] [--vars 100] [--gzip 0]
                                       [--out /tmp/bench_writers.nsdf]

Model: 100 first-order decays A_i -> B_i (Kf 1e-3..5e-3 /s) in one Ksolve
(rk5), dt 0.01 s on the chemical ticks and on the writer's tick 30, so the
writer takes one sample per step of every A_i's conc.  The run is cut into
10 ``start()`` calls; after each the script prints the process's resident
memory (``/proc/self/statm``), and at the end the file's size, its sample
count and the largest deviation from the analytic decays.  For contrast it
prints what the same samples would take in memory (steps x vars x 8 bytes).
"""

import argparse
import os
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import moosepy as moose  # noqa: E402


def rss_mb():
    with open('/proc/self/statm') as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**20


def build(n, dt):
    mesh = moose.CubeMesh('/m')
    mesh.volume = 1e-18
    ks = np.linspace(1e-3, 5e-3, n)
    pools = []
    for i in range(n):
        a = moose.Pool(f'/m/a{i}')
        b = moose.Pool(f'/m/b{i}')
        a.concInit = 1.0 + 0.01 * i
        r = moose.Reac(f'/m/r{i}')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
        r.Kf, r.Kb = ks[i], 0.0
        pools.append(a)
    ksolve = moose.Ksolve('/m/ksolve')
    st = moose.Stoich('/m/stoich')
    st.compartment = mesh
    st.ksolve = ksolve
    st.reacSystemPath = '/m/##'
    for t in list(range(10, 20)) + [30]:
        moose.setClock(t, dt)
    return pools, ks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=1_000_000)
    ap.add_argument('--vars', type=int, default=100)
    ap.add_argument('--gzip', type=int, default=0, help='deflate level (0: none)')
    ap.add_argument('--out', default='/tmp/bench_writers.nsdf')
    a = ap.parse_args()
    dt = 0.01
    pools, ks = build(a.vars, dt)
    w = moose.NSDFWriter('/m/writer')
    w.filename = a.out
    w.mode = 2
    w.compression = a.gzip
    for p in pools:
        moose.connect(w, 'requestOut', p, 'getConc')
    moose.reinit()
    print(f'model: {a.vars} decays in one Ksolve, {a.steps} steps of {dt} s, '
          f'writer role: {type(w)._batch_role(w._el)}')
    print(f'in memory the samples would take {a.steps * a.vars * 8 / 2**20:.0f} MiB')
    seg = a.steps // 10
    base = rss_mb()
    print(f'RSS after reinit: {base:.0f} MiB')
    t0 = time.perf_counter()
    peak = base
    for k in range(10):
        moose.start(seg * dt)
        r = rss_mb()
        peak = max(peak, r)
        print(f'  {(k + 1) * seg:>8d} steps  RSS {r:6.0f} MiB  wall {time.perf_counter() - t0:6.1f} s')
    w.close()
    wall = time.perf_counter() - t0
    import h5py
    with h5py.File(a.out, 'r') as f:
        d = f['data/uniform/Pool/conc']
        shape = d.shape
        t = float(d.attrs['tstart']) + dt * np.arange(shape[1])
        err = 0.0
        a0 = 1.0 + 0.01 * np.arange(a.vars)
        for s in range(0, shape[1], 100_000):
            blk = d[:, s:s + 100_000]
            ex = a0[:, None] * np.exp(-ks[:, None] * t[None, s:s + blk.shape[1]])
            err = max(err, float(np.abs(blk - ex).max()))
    print(f'file {a.out}: {os.path.getsize(a.out) / 2**20:.0f} MiB, dataset {shape} '
          f'(expected ({a.vars}, {10 * seg})), max |error| vs analytic {err:.2e} mM')
    print(f'RSS growth over the run: {peak - base:+.0f} MiB (peak {peak:.0f} MiB); '
          f'wall {wall:.1f} s, {10 * seg * a.vars / wall / 1e6:.1f} M values/s')


if __name__ == '__main__':
    main()
