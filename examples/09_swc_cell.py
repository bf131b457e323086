"""09 - A spiking cell built from an SWC morphology.

``moose.loadModel('cell.swc', '/cell')`` reads a reconstruction the way
MOOSE does (one compartment per SWC point); ``read_swc(..., length=10e-6)``
cuts every unbranched section into pieces of at most 10 um as NEURON's
``nseg`` does.  This script loads the dentate granule cell of
``../shared/models-ref/swc/mp_ma_40984_gc2.CNG.swc`` (or, when that folder is
absent, a small made-up cell written below) with 10 um compartments, puts
Hodgkin-Huxley Na and K channels (squid densities, exact rates tabulated) on
the soma, a passive membrane everywhere (RM 2 ohm m^2, RA 1 ohm m, CM
0.01 F/m^2), injects 0.3 nA into the soma from 10 to 90 ms and runs HSolve.

Expected result: the soma fires regularly (6 spikes in the granule cell, the
same as NEURON's run of this model, first spike at 12.25 ms); the spike is
attenuated and delayed along the longest dendrite.
Run it with ``python 09_swc_cell.py``; it writes ``09_swc_cell.png``.
"""

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose
from moosepy.electrical.morphology import read_swc, segment_table

DT = 25e-6
RUNTIME = 0.1
SWC = Path(__file__).resolve().parents[2] / 'shared' / 'models-ref' / 'swc' / \
    'mp_ma_40984_gc2.CNG.swc'

# A fallback cell (made up for this example): a 16 um soma, two dendrites
# of which one branches (id type x y z radius parent, in um)
SMALL = """1 1 0 0 0 8 -1
2 3 10 0 0 0.5 1
3 3 40 0 0 0.4 2
4 3 80 0 0 0.35 3
5 3 110 20 0 0.25 4
6 3 150 40 0 0.2 5
7 3 110 -20 0 0.25 4
8 3 150 -40 0 0.2 7
9 3 -10 0 0 0.5 1
10 3 -60 5 0 0.35 9
11 3 -120 10 0 0.25 10
"""


def hh_rates(v):
    """Hodgkin-Huxley rates at 6.3 degC, v in V -> 1/s (NEURON's hh.mod)."""
    vm = np.asarray(v) * 1e3
    with np.errstate(all='ignore'):
        am = np.where(np.abs(vm + 40) < 1e-6, 1.0, 0.1 * (vm + 40) / (1 - np.exp(-(vm + 40) / 10)))
        an = np.where(np.abs(vm + 55) < 1e-6, 0.1,
                      0.01 * (vm + 55) / (1 - np.exp(-(vm + 55) / 10)))
    bm = 4 * np.exp(-(vm + 65) / 18)
    ah = 0.07 * np.exp(-(vm + 65) / 20)
    bh = 1 / (1 + np.exp(-(vm + 35) / 10))
    bn = 0.125 * np.exp(-(vm + 65) / 80)
    return [(am * 1e3, bm * 1e3), (ah * 1e3, bh * 1e3), (an * 1e3, bn * 1e3)]


def make_channel_prototypes():
    moose.Neutral('/library')
    v = np.linspace(-0.1, 0.05, 3001)
    (am, bm), (ah, bh), (an, bn) = hh_rates(v)
    na = moose.HHChannel('/library/Na')
    na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
    k = moose.HHChannel('/library/K')
    k.Xpower, k.Ek = 4, -0.077
    for path, (a, b) in (('/library/Na/gateX', (am, bm)), ('/library/Na/gateY', (ah, bh)),
                         ('/library/K/gateX', (an, bn))):
        g = moose.element(path)
        g.min, g.max = -0.1, 0.05
        g.tableA, g.tableB = a, a + b          # alpha, alpha + beta


def build(swc_path):
    make_channel_prototypes()
    cell = read_swc(swc_path, '/cell', RM=2.0, RA=1.0, CM=0.01, length=10e-6, Em=-0.065)
    segs = segment_table(cell)
    for s in segs:
        if s.swc_type != 1:
            continue
        c = moose.element('/cell/' + s.name)
        gl = 0.5 + 3.0                     # passive + HH leak [S/m^2]
        c.Rm = 1.0 / (gl * s.area)
        c.Em = (0.5 * -0.065 + 3.0 * -0.0543) / gl
        for name, dens in (('Na', 1200.0), ('K', 360.0)):      # S/m^2
            ch = moose.element(moose.copy('/library/' + name, c, name))
            ch.Gbar = dens * s.area
            moose.connect(ch, 'channel', c, 'channel')
    somas = [s.name for s in segs if s.swc_type == 1]
    soma = moose.element('/cell/' + somas[len(somas) // 2])
    # the compartment furthest from the soma along the tree
    dist = cell.pathDistanceFromSoma
    comps = cell.compartments
    tip = comps[int(np.argmax(dist))]
    stim = moose.PulseGen('/cell/stim')
    stim.firstDelay, stim.firstWidth, stim.firstLevel = 0.010 + DT, 0.080, 3e-10
    stim.secondDelay = 1e9
    moose.connect(stim, 'output', soma, 'injectMsg')
    tabs = []
    for c in (soma, tip):
        t = moose.Table('/cell/vm_' + c.name.replace('.', '_'))
        moose.connect(t, 'requestOut', c, 'getVm')
        tabs.append(t)
    hs = moose.HSolve('/cell/hsolve')
    hs.dt, hs.target, hs.method = DT, soma.path, 'be'
    return cell, soma, tip, tabs, float(dist.max())


def spike_times(v, dt):
    i = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    return (i + (0 - v[i]) / (v[i + 1] - v[i])) * dt


def main():
    tmp = None
    path = SWC
    if not SWC.exists():
        tmp = tempfile.NamedTemporaryFile('w', suffix='.swc', delete=False)
        tmp.write(SMALL)
        tmp.close()
        path = Path(tmp.name)
    cell, soma, tip, (tsoma, ttip), maxdist = build(path)
    for t in range(10):
        moose.setClock(t, DT)
    moose.reinit()
    w0 = time.perf_counter()
    moose.start(RUNTIME)
    wall = time.perf_counter() - w0
    vs, vt = tsoma.vector, ttip.vector
    t = np.arange(len(vs)) * DT
    sp = spike_times(vs, DT)
    print(f'{path.name}: {cell.numCompartments} compartments, {cell.numBranches} sections, '
          f'path to the furthest tip {maxdist * 1e6:.0f} um')
    print(f'soma spikes at (ms): {np.round(sp * 1e3, 3).tolist()}  (sim {wall:.2f} s)')
    print(f'peak Vm: soma {vs.max() * 1e3:.1f} mV, tip {tip.name} {vt.max() * 1e3:.1f} mV')
    assert len(sp) >= 3, 'the soma should fire repeatedly'
    assert vt.max() < vs.max(), 'the spike is attenuated along the dendrite'
    if SWC.exists():
        assert len(sp) == 6 and abs(sp[0] * 1e3 - 12.2502) < 0.05   # NEURON: 12.2502 ms
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(t * 1e3, vs * 1e3, label=f'soma ({soma.name})')
    ax.plot(t * 1e3, vt * 1e3, label=f'dendrite tip ({tip.name})')
    ax.set_xlabel('time (ms)')
    ax.set_ylabel('Vm (mV)')
    ax.set_title(f'{path.name}: 0.3 nA into the soma, HSolve (BE, dt 25 us)')
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_path('09_swc_cell.png'), dpi=80)
    if tmp is not None:
        os.unlink(tmp.name)


if __name__ == '__main__':
    main()
