"""10 - Two cells joined by a synapse.

Cell A (a Hodgkin-Huxley squid compartment, 1000 um^2) is driven by a
current step; a ``SpikeGen`` on its Vm sends a spike time to synapse 0 of a
``SimpleSynHandler`` (weight 1, delay 3 ms), whose ``activationOut`` drives
an excitatory ``SynChan`` (Ek 0 V, tau1 1 ms, tau2 3 ms, Gbar 20 nS) on cell
B, an identical but unstimulated compartment.  Each cell has its own HSolve;
the two HSolves run as one group, which also steps the SpikeGen, the
synapse handler and the SynChan inside its kernel: the whole run is one
compiled call, with no Python per step.

Expected result: A fires regularly; B fires once per A spike, each B spike
a little more than 3 ms after the A spike (the delay plus the rise of the
synaptic conductance and of B's Vm).
Run it with ``python 10_two_cells_synapse.py``; it writes
``10_two_cells_synapse.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

DT = 25e-6
RUNTIME = 0.05
AREA = 1e-9          # m^2 (1000 um^2)
DELAY = 3e-3         # s


def hh_rates(v):
    """Hodgkin-Huxley rates at 6.3 degC, v in V -> 1/s."""
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


def make_prototypes():
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
        g.tableA, g.tableB = a, a + b


def make_cell(path):
    moose.Neuron(path)
    soma = moose.Compartment(path + '/soma')
    soma.Cm, soma.Rm = 0.01 * AREA, 1.0 / (3.0 * AREA)
    soma.Em, soma.initVm = -0.0543, -0.065
    soma.diameter = soma.length = np.sqrt(AREA / np.pi)
    for name, dens in (('Na', 1200.0), ('K', 360.0)):
        ch = moose.element(moose.copy('/library/' + name, soma, name))
        ch.Gbar = dens * AREA
        moose.connect(ch, 'channel', soma, 'channel')
    hs = moose.HSolve(path + '/hsolve')
    hs.dt, hs.target = DT, soma.path
    return soma


def build():
    make_prototypes()
    a = make_cell('/A')
    b = make_cell('/B')
    stim = moose.PulseGen('/A/stim')
    stim.firstDelay, stim.firstWidth, stim.firstLevel, stim.secondDelay = 0.005, 0.08, 1.5e-10, 1e9
    moose.connect(stim, 'output', a, 'injectMsg')
    # presynaptic spike detector
    sg = moose.SpikeGen('/A/soma/spike')
    sg.threshold, sg.refractT = 0.0, 2e-3
    moose.connect(a, 'VmOut', sg, 'Vm')
    # postsynaptic channel and its synapse handler
    chan = moose.SynChan('/B/soma/glu')
    chan.Gbar, chan.Ek, chan.tau1, chan.tau2 = 20e-9, 0.0, 1e-3, 3e-3
    moose.connect(chan, 'channel', b, 'channel')
    syn = moose.SimpleSynHandler('/B/soma/glu/sh')
    syn.synapse.num = 1
    syn.synapse[0].weight = 1.0
    syn.synapse[0].delay = DELAY
    moose.connect(syn, 'activationOut', chan, 'activation')
    moose.connect(sg, 'spikeOut', syn.synapse[0], 'addSpike')
    tabs = {}
    for name, obj, field in (('VmA', a, 'getVm'), ('VmB', b, 'getVm'), ('Gsyn', chan, 'getGk')):
        t = moose.Table('/' + name)
        moose.connect(t, 'requestOut', obj, field)
        tabs[name] = t
    spikes = moose.Table('/spikesA')
    moose.connect(sg, 'spikeOut', spikes, 'spike')
    return tabs, spikes


def crossings(v, dt):
    i = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    return (i + (0 - v[i]) / (v[i + 1] - v[i])) * dt


def main():
    tabs, spikes = build()
    for t in range(10):
        moose.setClock(t, DT)
    moose.reinit()
    w0 = time.perf_counter()
    moose.start(RUNTIME)
    wall = time.perf_counter() - w0
    va, vb, g = tabs['VmA'].vector, tabs['VmB'].vector, tabs['Gsyn'].vector
    t = np.arange(len(va)) * DT
    sa, sb = crossings(va, DT), crossings(vb, DT)
    sg_times = spikes.vector
    print(f'A spikes (ms): {np.round(sa * 1e3, 2).tolist()}')
    print(f'SpikeGen events (ms): {np.round(sg_times * 1e3, 2).tolist()}')
    print(f'B spikes (ms): {np.round(sb * 1e3, 2).tolist()}  (sim {wall:.2f} s)')
    assert len(sa) >= 3 and len(sb) == len(sa)
    assert np.allclose(sg_times, sa, atol=2 * DT)
    lag = sb - sa
    print(f'A -> B lag (ms): {np.round(lag * 1e3, 2).tolist()}')
    assert np.all(lag > DELAY) and np.all(lag < DELAY + 5e-3)
    onset = t[np.argmax(g > 0)]
    assert sa[0] + DELAY - DT <= onset <= sa[0] + DELAY + 2 * DT
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    ax1.plot(t * 1e3, va * 1e3, label='cell A (driven)')
    ax1.plot(t * 1e3, vb * 1e3, label='cell B (synaptic input)')
    ax1.set_ylabel('Vm (mV)')
    ax1.legend(loc='upper right')
    ax2.plot(t * 1e3, g * 1e9, color='C2')
    ax2.set_ylabel('SynChan Gk (nS)')
    ax2.set_xlabel('time (ms)')
    ax1.set_title(f'A -> B through a SynChan, delay {DELAY * 1e3:.0f} ms')
    fig.tight_layout()
    fig.savefig(out_path('10_two_cells_synapse.png'), dpi=80)


if __name__ == '__main__':
    main()
