"""MOOSE side of bench_electrical.py (run with the Python that has pymoose
5.0.0): builds the same model with MOOSE's API and HSolve, prints one JSON
line with the sim-only time (``moose.start``).

    python bench_electrical_moose.py axon 1000
    python bench_electrical_moose.py squid
"""

import json
import os
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import numpy as np
import moose

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hh_tables import hh_tables as tables  # noqa: E402

DT = 25e-6


def protos():
    t = tables()
    moose.Neutral('/library')
    na = moose.HHChannel('/library/Na')
    na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
    k = moose.HHChannel('/library/K')
    k.Xpower, k.Ek = 4, -0.077
    for path, key in (('/library/Na/gateX', 'm'), ('/library/Na/gateY', 'h'),
                      ('/library/K/gateX', 'n')):
        g = moose.element(path)
        g.min, g.max, g.divs = -0.1, 0.05, 3000
        g.tableA, g.tableB = t[key]
        g.useInterpolation = True


def add_hh(c, area):
    na = moose.element(moose.copy('/library/Na', c, 'Na'))
    k = moose.element(moose.copy('/library/K', c, 'K'))
    na.Gbar, k.Gbar = 1200.0 * area, 360.0 * area
    moose.connect(na, 'channel', c, 'channel')
    moose.connect(k, 'channel', c, 'channel')


def spikes(v):
    v = np.asarray(v)
    i = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    return (i + (0 - v[i]) / (v[i + 1] - v[i])) * DT


def build(model, n):
    """Build the model under /m (and /library) with its HSolve and clocks;
    returns (tables, runtime)."""
    protos()
    moose.Neutral('/m')
    if model == 'squid':
        area = 1e-9
        c = moose.Compartment('/m/soma')
        c.Cm, c.Rm, c.Em, c.initVm = 0.01 * area, 1 / (3.0 * area), -0.0543, -0.065
        add_hh(c, area)
        pg = moose.PulseGen('/m/stim')
        pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 0.010 + DT, 0.08, 1e-10, 1e9
        moose.connect(pg, 'output', c, 'injectMsg')
        tabs = [moose.Table('/m/v')]
        moose.connect(tabs[0], 'requestOut', c, 'getVm')
        target, runtime = '/m/soma', 0.1
    else:
        L, d = 1e-2, 1e-6
        dx = L / n
        area = np.pi * d * dx
        comps = []
        for i in range(n):
            c = moose.Compartment(f'/m/c{i}')
            c.Rm, c.Cm, c.Ra = 1 / (3.0 * area), 0.01 * area, 0.354 * dx / (np.pi * d * d / 4)
            c.Em, c.initVm = -0.0543, -0.065
            add_hh(c, area)
            if comps:
                moose.connect(comps[-1], 'axial', c, 'raxial')
            comps.append(c)
        pg = moose.PulseGen('/m/stim')
        pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 1e-3 + DT, 5e-4, 2e-10, 1e9
        moose.connect(pg, 'output', comps[0], 'injectMsg')
        tabs = []
        for i in (int(0.3 * n), int(0.7 * n)):
            t = moose.Table(f'/m/v{i}')
            moose.connect(t, 'requestOut', comps[i], 'getVm')
            tabs.append(t)
        target, runtime = '/m/c0', 0.05
    hs = moose.HSolve('/m/hsolve')
    hs.dt = DT
    hs.target = target
    for tick in range(10):
        moose.setClock(tick, DT)
    return tabs, runtime


def run(model, n):
    tabs, runtime = build(model, n)
    moose.reinit()
    t0 = time.perf_counter()
    moose.start(runtime)
    wall = time.perf_counter() - t0
    res = {'model': model, 'n': n, 'sim_s': wall}
    if model == 'axon':
        t3, t7 = (spikes(t.vector)[0] for t in tabs)
        res['cv'] = 0.4 * 1e-2 / (t7 - t3)
    else:
        res['spikes'] = len(spikes(tabs[0].vector))
    moose.delete('/m')
    moose.delete('/library')
    return res


if __name__ == '__main__':
    model = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    best = None
    for _ in range(3 if n <= 10000 else 1):
        r = run(model, n)
        if best is None or r['sim_s'] < best['sim_s']:
            best = r
    print(json.dumps(best))
