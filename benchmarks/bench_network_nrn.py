"""NEURON side of bench_network.py (run with a Python that has neuron
9.0.2): builds the network of the .npz file written by bench_network.py
(see its docstring for the model) and prints one JSON line with the
sim-only time (``continuerun``), the spike count and every cell's spike
times.

    python bench_network_nrn.py model.npz [secondorder] [repeats]

secondorder 0 (backward Euler, NEURON's default) or 2 (Crank-Nicolson);
fixed step (cvode off) at the model's dt; exact HH rates (usetable_hh 0).
Each cell: one 1000-um^2 section with ``hh``, an IClamp of its constant
inject from t = 0, an Exp2Syn (tau1 1 ms, tau2 3 ms, e 0 mV) fed by K
NetCons from the presynaptic somata (threshold 0 mV, weight
Gbar*weight in uS, delay in ms); the kicked cells one more IClamp.
"""

import json
import math
import sys
import time

import numpy as np
from neuron import h

h.load_file('stdrun.hoc')


def build(m):
    N, K = int(m['N']), int(m['K'])
    h.celsius = 6.3
    h.usetable_hh = 0
    diam = math.sqrt(1000.0 / math.pi)          # um: area pi*d*L = 1000 um^2
    cells, keep = [], []
    for i in range(N):
        s = h.Section(name=f'c{i}')
        s.L = s.diam = diam
        s.nseg = 1
        s.cm = 1.0
        s.insert('hh')                  # gnabar .12, gkbar .036, gl .0003, el -54.3
        for seg in s:
            seg.ena, seg.ek = 50.0, -77.0
        bg = h.IClamp(s(0.5))
        bg.delay, bg.dur, bg.amp = 0.0, 1e9, float(m['inject'][i]) * 1e9     # nA
        syn = h.Exp2Syn(s(0.5))
        syn.tau1, syn.tau2, syn.e = 1.0, 3.0, 0.0
        cells.append((s, syn))
        keep.append(bg)
    start, width, level = (float(x) for x in m['kick'])
    for i in m['kicked']:
        ic = h.IClamp(cells[int(i)][0](0.5))
        ic.delay, ic.dur, ic.amp = start * 1e3, width * 1e3, level * 1e9
        keep.append(ic)
    gbar_us = float(m['gbar']) * 1e6
    for i in range(N):
        syn = cells[i][1]
        for k in range(K):
            src = cells[int(m['pre'][i, k])][0]
            nc = h.NetCon(src(0.5)._ref_v, syn, sec=src)
            nc.threshold = 0.0
            nc.delay = float(m['delay'][i, k]) * 1e3
            nc.weight[0] = gbar_us * float(m['weight'][i, k])
            keep.append(nc)
    recs = []
    for s, _ in cells:
        nc = h.NetCon(s(0.5)._ref_v, None, sec=s)
        nc.threshold = 0.0
        v = h.Vector()
        nc.record(v)
        keep.append(nc)
        recs.append(v)
    return cells, keep, recs


def run(path, secondorder=0, repeats=3):
    m = dict(np.load(path))
    cells, keep, recs = build(m)
    h.cvode_active(0)
    h.secondorder = secondorder
    h.dt = float(m['dt']) * 1e3
    h.steps_per_ms = 1.0 / h.dt
    tstop = float(m['runtime']) * 1e3
    h.tstop = tstop
    best = 1e9
    for _ in range(repeats):
        h.finitialize(-65)
        t0 = time.perf_counter()
        h.continuerun(tstop)
        best = min(best, time.perf_counter() - t0)
    spikes = [[t * 1e-3 for t in v] for v in recs]
    return {'sim': f'NEURON {"CN" if secondorder == 2 else "BE"}', 'secondorder': secondorder,
            'sim_s': best, 'spikes_per_cell': spikes}


if __name__ == '__main__':
    so = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    rep = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    print(json.dumps(run(sys.argv[1], so, rep)))
