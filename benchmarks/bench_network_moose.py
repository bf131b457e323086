"""MOOSE side of bench_network.py (run with the Python that has pymoose
5.0.0): builds the network of the .npz file written by bench_network.py
(see its docstring for the model) with MOOSE's API, one HSolve per cell,
and prints one JSON line with the sim-only time (``moose.start``), and
every cell's spike times.

    python bench_network_moose.py model.npz [repeats]

Per cell: /net/c<i>/{soma, soma/Na, soma/K, soma/syn (SynChan),
soma/syn/sh (SimpleSynHandler with K synapses), spike (SpikeGen), spk
(Table, 'spike'), hsolve}; one PulseGen kicks the kicked cells.  The
HSolve target is set after the whole cell is built (MOOSE sets the solver
up when the target is assigned).
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


def build(m):
    N, K = int(m['N']), int(m['K'])
    dt = float(m['dt'])
    area = 1e-9
    protos()
    moose.Neutral('/net')
    somas, gens, handlers, tabs = [], [], [], []
    for i in range(N):
        cell = moose.Neutral(f'/net/c{i}')
        soma = moose.Compartment(f'/net/c{i}/soma')
        soma.Cm, soma.Rm, soma.Em, soma.initVm = 0.01 * area, 1 / (3.0 * area), -0.0543, -0.065
        soma.inject = float(m['inject'][i])
        for name, dens in (('Na', 1200.0), ('K', 360.0)):
            ch = moose.element(moose.copy('/library/' + name, soma, name))
            ch.Gbar = dens * area
            moose.connect(ch, 'channel', soma, 'channel')
        chan = moose.SynChan(soma.path + '/syn')
        chan.Gbar, chan.Ek, chan.tau1, chan.tau2 = float(m['gbar']), 0.0, 1e-3, 3e-3
        moose.connect(chan, 'channel', soma, 'channel')
        sh = moose.SimpleSynHandler(chan.path + '/sh')
        sh.synapse.num = K
        moose.connect(sh, 'activationOut', chan, 'activation')
        sg = moose.SpikeGen(cell.path + '/spike')
        sg.threshold, sg.refractT = 0.0, 2e-3
        moose.connect(soma, 'VmOut', sg, 'Vm')
        tab = moose.Table(cell.path + '/spk')
        moose.connect(sg, 'spikeOut', tab, 'spike')
        somas.append(soma)
        gens.append(sg)
        handlers.append(sh)
        tabs.append(tab)
    for i in range(N):
        syns = handlers[i].synapse
        for k in range(K):
            syns[k].weight = float(m['weight'][i, k])
            syns[k].delay = float(m['delay'][i, k])
            moose.connect(gens[int(m['pre'][i, k])], 'spikeOut', syns[k], 'addSpike')
    start, width, level = (float(x) for x in m['kick'])
    pg = moose.PulseGen('/net/kick')
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = start + dt, width, level, 1e9
    for i in m['kicked']:
        moose.connect(pg, 'output', somas[int(i)], 'injectMsg')
    for tick in range(10):
        moose.setClock(tick, dt)
    for i in range(N):
        hs = moose.HSolve(f'/net/c{i}/hsolve')
        hs.dt = dt
        hs.target = somas[i].path
    return tabs


def crossings(v, dt, refract=2e-3):
    """Upward crossings of 0 V in a Vm trace (linear interpolation), at
    least *refract* apart: what an edge-triggered SpikeGen counts."""
    v = np.asarray(v)
    i = np.nonzero((v[:-1] <= 0) & (v[1:] > 0))[0]
    out = []
    for t in (i + (0 - v[i]) / (v[i + 1] - v[i])) * dt:
        if not out or t >= out[-1] + refract:
            out.append(float(t))
    return out


def run(path, repeats=3):
    m = dict(np.load(path))
    dt, runtime = float(m['dt']), float(m['runtime'])
    tabs = build(m)
    best = 1e9
    for _ in range(repeats):
        moose.reinit()
        t0 = time.perf_counter()
        moose.start(runtime)
        best = min(best, time.perf_counter() - t0)
    first = [[float(x) for x in t.vector] for t in tabs]
    # MOOSE 5.0.0's Table 'spike' keeps only the first spike (it re-arms
    # when the value it receives, a spike time, drops below its threshold,
    # which never happens): the spikes are counted from Vm tables in a
    # second, untimed run of the same (deterministic) model
    vtabs = []
    for i in range(int(m['N'])):
        t = moose.Table(f'/net/c{i}/vm')
        moose.connect(t, 'requestOut', f'/net/c{i}/soma', 'getVm')
        vtabs.append(t)
    moose.reinit()
    moose.start(runtime)
    spikes = [crossings(t.vector, dt) for t in vtabs]
    return {'sim': 'MOOSE', 'sim_s': best, 'spikes_per_cell': spikes,
            'spike_table_lengths': [len(x) for x in first],
            'first_from_spike_table': [x[0] if x else None for x in first]}


if __name__ == '__main__':
    rep = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(json.dumps(run(sys.argv[1], rep)))
