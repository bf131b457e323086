"""13 - A small network whose synapses let calcium in.

Twenty Hodgkin-Huxley cells (single compartments, 1000 um^2, squid channels
at 6.3 degC), each with its own HSolve.  Every cell has an AMPA-like
``SynChan`` (tau 1 ms / 3 ms) and an ``NMDAChan`` (tau 2 ms / 20 ms,
Mg2+ block of Jahr & Stevens) fed by one ``SimpleSynHandler`` each; each cell
receives synapses from 4 random others (delays 1-5 ms) through its
``SpikeGen``.  The NMDA receptors' calcium current (``ICaOut``) fills a
``CaConc`` per cell, which sends its concentration back to the receptor
(``concOut -> assignIntCa``).  A Poisson ``RandSpike`` input (100 Hz) drives
two cells.

Everything here - channels, synapses with their delays, spike detection,
the Poisson inputs and the calcium pools - runs inside the HSolve kernel:
the whole run is a few compiled calls, with no Python per step.

Expected result: the driven cells fire and recruit others through the
network; calcium rises in each cell with its NMDA input (the Mg2+ block
lets it in mostly while the cell is depolarised).
Run it with ``python 13_nmda_calcium_network.py``; it writes
``13_nmda_calcium_network.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

DT = 25e-6
RUNTIME = 0.2
N, K = 20, 4
AREA = 1e-9            # m^2


def hh_prototypes():
    moose.Neutral('/library')
    vm = np.linspace(-100.0, 50.0, 3001)                  # mV
    with np.errstate(all='ignore'):
        am = np.where(np.abs(vm + 40) < 1e-6, 1.0, 0.1 * (vm + 40) / (1 - np.exp(-(vm + 40) / 10)))
        an = np.where(np.abs(vm + 55) < 1e-6, 0.1,
                      0.01 * (vm + 55) / (1 - np.exp(-(vm + 55) / 10)))
    bm = 4 * np.exp(-(vm + 65) / 18)
    ah = 0.07 * np.exp(-(vm + 65) / 20)
    bh = 1 / (1 + np.exp(-(vm + 35) / 10))
    bn = 0.125 * np.exp(-(vm + 65) / 80)
    na = moose.HHChannel('/library/Na')
    na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
    k = moose.HHChannel('/library/K')
    k.Xpower, k.Ek = 4, -0.077
    for path, a, b in (('/library/Na/gateX', am, bm), ('/library/Na/gateY', ah, bh),
                       ('/library/K/gateX', an, bn)):
        g = moose.element(path)
        g.min, g.max = -0.1, 0.05
        g.tableA, g.tableB = a * 1e3, (a + b) * 1e3         # 1/ms -> 1/s


def cell(i):
    path = f'/net/c{i}'
    moose.Neutral(path)
    soma = moose.Compartment(path + '/soma')
    soma.Cm, soma.Rm = 0.01 * AREA, 1.0 / (3.0 * AREA)
    soma.Em, soma.initVm = -0.0543, -0.065
    for name, dens in (('Na', 1200.0), ('K', 360.0)):
        ch = moose.element(moose.copy('/library/' + name, soma, name))
        ch.Gbar = dens * AREA
        moose.connect(ch, 'channel', soma, 'channel')
    ampa = moose.SynChan(soma.path + '/ampa')
    ampa.Gbar, ampa.Ek, ampa.tau1, ampa.tau2 = 6e-9, 0.0, 1e-3, 3e-3
    nmda = moose.NMDAChan(soma.path + '/nmda')
    nmda.Gbar, nmda.Ek, nmda.tau1, nmda.tau2 = 3e-9, 0.0, 2e-3, 20e-3
    nmda.KMg_A, nmda.KMg_B, nmda.CMg = 3.57, 1 / 62.0, 1.2
    handlers = []
    for ch in (ampa, nmda):
        moose.connect(ch, 'channel', soma, 'channel')
        h = moose.SimpleSynHandler(ch.path + '/sh')
        h.synapse.num = K + 1
        moose.connect(h, 'activationOut', ch, 'activation')
        handlers.append(h)
    ca = moose.CaConc(soma.path + '/ca')
    ca.tau, ca.B, ca.CaBasal = 0.05, 2e10, 5e-5
    moose.connect(nmda, 'ICaOut', ca, 'current')
    moose.connect(ca, 'concOut', nmda, 'assignIntCa')
    sg = moose.SpikeGen(soma.path + '/spike')
    sg.threshold, sg.refractT = 0.0, 2e-3
    moose.connect(soma, 'VmOut', sg, 'Vm')
    hs = moose.HSolve(path + '/hsolve')
    hs.dt, hs.target = DT, soma.path
    return soma, sg, handlers, ca


def build():
    hh_prototypes()
    moose.Neutral('/net')
    cells = [cell(i) for i in range(N)]
    rng = np.random.default_rng(3)
    for i, (_soma, _sg, handlers, _ca) in enumerate(cells):
        pre = rng.choice([j for j in range(N) if j != i], size=K, replace=False)
        for s, j in enumerate(pre):
            for h in handlers:
                h.synapse[s].weight = 1.0
                h.synapse[s].delay = rng.uniform(1e-3, 5e-3)
                moose.connect(cells[j][1], 'spikeOut', h.synapse[s], 'addSpike')
    for i in (0, 1):
        rs = moose.RandSpike(f'/net/input{i}')
        rs.rate, rs.refractT = 100.0, 1e-3
        for h in cells[i][2]:
            h.synapse[K].weight = 2.0
            moose.connect(rs, 'spikeOut', h.synapse[K], 'addSpike')
    tabs = {'spikes': [], 'vm': [], 'ca': []}
    for i, (soma, sg, _h, ca) in enumerate(cells):
        t = moose.Table(f'/net/spk{i}')
        moose.connect(sg, 'spikeOut', t, 'spike')
        tabs['spikes'].append(t)
        if i < 3:
            for key, obj, f in (('vm', soma, 'getVm'), ('ca', ca, 'getCa')):
                t = moose.Table(f'/net/{key}{i}')
                moose.connect(t, 'requestOut', obj, f)
                tabs[key].append(t)
    return tabs


def main():
    moose.seed(11)
    tabs = build()
    for t in range(10):
        moose.setClock(t, DT)
    moose.reinit()
    w0 = time.perf_counter()
    moose.start(RUNTIME)
    wall = time.perf_counter() - w0
    counts = [len(t.vector) for t in tabs['spikes']]
    print(f'{N} cells, {RUNTIME * 1e3:.0f} ms in {wall:.2f} s (first run includes loading '
          f'the compiled kernel)')
    print(f'spikes per cell: {counts}')
    cas = [t.vector for t in tabs['ca']]
    print('peak Ca of cells 0-2 (uM): ' + ', '.join(f'{c.max() * 1e3:.2f}' for c in cas))
    assert sum(c > 0 for c in counts) >= 5, 'the network should recruit cells'
    assert max(c.max() for c in cas) > 2 * 5e-5, 'NMDA calcium should raise Ca'
    t = np.arange(len(tabs['vm'][0].vector)) * DT * 1e3
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(7, 7), sharex=True)
    for i, tab in enumerate(tabs['spikes']):
        ax1.plot(np.asarray(tab.vector) * 1e3, np.full(len(tab.vector), i), '|k')
    ax1.set_ylabel('cell')
    for i, v in enumerate(tabs['vm']):
        ax2.plot(t, v.vector * 1e3, label=f'cell {i}')
    ax2.set_ylabel('Vm (mV)')
    ax2.legend(loc='upper right')
    for i, c in enumerate(cas):
        ax3.plot(t, c * 1e3, label=f'cell {i}')
    ax3.set_ylabel('Ca (uM)')
    ax3.set_xlabel('time (ms)')
    ax1.set_title('AMPA + NMDA network; NMDA calcium into CaConc')
    fig.tight_layout()
    fig.savefig(out_path('13_nmda_calcium_network.png'), dpi=100)


if __name__ == '__main__':
    main()
