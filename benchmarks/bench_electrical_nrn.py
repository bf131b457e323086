"""NEURON side of bench_electrical.py (run with a Python that has neuron
9.0.2): builds the same model, prints one JSON line with the sim-only time.

    python bench_electrical_nrn.py axon 1000
    python bench_electrical_nrn.py squid
    python bench_electrical_nrn.py swc path/to/cell.swc

Exact HH rates (usetable_hh = 0), fixed step 25 us, backward Euler
(NEURON's default; secondorder=0), IClamp as in the reference README.
"""

import json
import sys
import time

from neuron import h

h.load_file('stdrun.hoc')


def spikes(vec, dt):
    v = list(vec)
    out = []
    for i in range(len(v) - 1):
        if v[i] < 0 <= v[i + 1]:
            out.append((i + (0 - v[i]) / (v[i + 1] - v[i])) * dt)
    return out


def run(model, n):
    h.celsius = 6.3
    h.usetable_hh = 0
    h.dt = 0.025
    h.steps_per_ms = 40
    h.secondorder = 0
    if model == 'swc':
        h.load_file('import3d.hoc')
        rd = h.Import3d_SWC_read()
        rd.input(n)
        h.Import3d_GUI(rd, False).instantiate(None)
        secs = list(h.allsec())
        for sec in secs:
            sec.nseg = max(1, int(-(-sec.L // 10)))
            sec.cm, sec.Ra = 1, 100
            sec.insert('pas')
            for seg in sec:
                seg.pas.g, seg.pas.e = 5e-5, -65
        soma = [sec for sec in secs if 'soma' in sec.name()][0]
        soma.insert('hh')
        stim = h.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 10, 80, 0.3
        rec = [h.Vector().record(soma(0.5)._ref_v)]
        tstop = 100.0
        res_n = sum(sec.nseg for sec in secs)
    elif model == 'squid':
        s = h.Section(name='soma')
        s.L = s.diam = (1000 / 3.141592653589793) ** 0.5
        s.nseg = 1
        s.insert('hh')
        stim = h.IClamp(s(0.5))
        stim.delay, stim.dur, stim.amp = 10, 80, 0.1
        rec = [h.Vector().record(s(0.5)._ref_v)]
        tstop = 100.0
    else:
        s = h.Section(name='axon')
        s.L, s.diam, s.nseg, s.Ra, s.cm = 10000, 1, n, 35.4, 1
        s.insert('hh')
        stim = h.IClamp(s(0))
        stim.delay, stim.dur, stim.amp = 1, 0.5, 0.2
        rec = [h.Vector().record(s(x)._ref_v) for x in (0.3, 0.7)]
        tstop = 50.0
    h.tstop = tstop
    h.finitialize(-65)
    t0 = time.perf_counter()
    h.continuerun(tstop)
    wall = time.perf_counter() - t0
    res = {'model': model, 'n': n, 'sim_s': wall}
    if model == 'swc':
        sp = spikes(rec[0], 0.025)
        res.update(n=res_n, spikes=len(sp), first_ms=sp[0] if sp else None)
    elif model == 'axon':
        t3, t7 = (spikes(r, 0.025)[0] for r in rec)
        res['cv'] = 0.4 * 10.0 / (t7 - t3)
    else:
        res['spikes'] = len(spikes(rec[0], 0.025))
    return res


if __name__ == '__main__':
    model = sys.argv[1]
    n = sys.argv[2] if model == 'swc' else (int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    best = None
    for _ in range(1 if model == 'swc' or n > 10000 else 3):
        r = run(model, n)
        if best is None or r['sim_s'] < best['sim_s']:
            best = r
    print(json.dumps(best))
