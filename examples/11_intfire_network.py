"""11 - A small network of integrate-and-fire neurons.

200 ``IntFire`` neurons (tau 20 ms, threshold 1, refractory 5 ms), each with
a ``SimpleSynHandler`` of 11 synapses: synapse 0 gets Poisson spikes from its
own ``RandSpike`` (150 Hz, a jump of 0.35 per spike); synapses 1..10 get
spikes from 10 randomly chosen neurons of the network (jumps of 0.12, delay
2-6 ms).  As in MOOSE, an IntFire adds what its handler sends, weight/dt
per event, so the weights are the jumps times dt.  All
connections go through two ``Sparse`` messages to the synapse vec whose
columns are the handler entries (MOOSE's convention: each pair takes the
entry's next synapse).

Expected result: the network fires irregularly; every neuron respects its
refractory period; recurrent excitation raises the firing rate above what
the Poisson input alone gives (the script runs both and prints the rates).
Run it with ``python 11_intfire_network.py``; it writes
``11_intfire_network.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

N, C = 200, 10           # neurons, recurrent inputs per neuron
K = 1 + C                # synapses per neuron
DT = 1e-4
RUNTIME = 0.3


def build(recurrent_weight, seed=1):
    rng = np.random.default_rng(seed)
    moose.Neutral('/net')
    net = moose.IntFire('/net/cells', N)
    cells = moose.vec(net)
    cells.tau = 20e-3
    cells.thresh = 1.0
    cells.refractoryPeriod = 5e-3
    syn = moose.SimpleSynHandler('/net/cells/syn', N)
    synv = moose.vec('/net/cells/syn/synapse')
    moose.connect(syn, 'activationOut', net, 'activation', 'OneToOne')
    # As in MOOSE, the columns of a Sparse message to the synapse vec are
    # the handler entries; every pair gets the entry's next synapse.
    # Synapse 0 of neuron i: its own Poisson source.
    inp = moose.RandSpike('/net/input', N)
    moose.vec(inp).rate = 150.0
    m_in = moose.connect(inp, 'spikeOut', synv, 'addSpike', 'Sparse')
    m_in.pairFill(np.arange(N), np.arange(N))
    # synapses 1..C: random presynaptic neurons (no self-connections)
    pre = np.array([rng.choice(np.delete(np.arange(N), i), C, replace=False)
                    for i in range(N)])
    m_rec = moose.connect(net, 'spikeOut', synv, 'addSpike', 'Sparse')
    m_rec.pairFill(pre.ravel(), np.repeat(np.arange(N), C))
    assert np.all(moose.vec(syn).numSynapses == K)
    w = np.full(N * K, recurrent_weight * DT)     # jump = weight / dt (MOOSE)
    w[::K] = 0.35 * DT
    d = rng.uniform(2e-3, 6e-3, N * K)
    d[::K] = 0.0
    synv.weight = w
    synv.delay = d
    spikes = moose.Table('/net/spikes', N)
    moose.connect(net, 'spikeOut', spikes, 'spike', 'OneToOne')
    return spikes


def run(recurrent_weight):
    if moose.exists('/net'):
        moose.delete('/net')
    moose.seed(42)
    build(recurrent_weight)
    for t in range(9):
        moose.setClock(t, DT)
    moose.reinit()
    w0 = time.perf_counter()
    moose.start(RUNTIME)
    wall = time.perf_counter() - w0
    trains = [moose.element(f'/net/spikes[{i}]').vector for i in range(N)]
    rate = sum(len(s) for s in trains) / (N * RUNTIME)
    return trains, rate, wall


def main():
    _, rate0, wall0 = run(0.0)
    trains, rate, wall = run(0.12)
    print(f'{N} IntFire neurons, {N * K} synapses')
    print(f'Poisson input only: {rate0:.1f} Hz per neuron  (sim {wall0:.2f} s)')
    print(f'with recurrent excitation: {rate:.1f} Hz per neuron  (sim {wall:.2f} s)')
    isi = np.concatenate([np.diff(s) for s in trains if len(s) > 1])
    print(f'shortest interspike interval {isi.min() * 1e3:.2f} ms (refractory 5 ms)')
    assert rate0 > 1.0 and rate > rate0
    assert isi.min() >= 5e-3 - 1e-9
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5), sharex=True,
                                   gridspec_kw={'height_ratios': [3, 1]})
    for i, s in enumerate(trains):
        ax1.plot(s * 1e3, np.full(len(s), i), '|', color='k', markersize=2)
    ax1.set_ylabel('neuron')
    ax1.set_title(f'IntFire network: {rate:.1f} Hz (input only: {rate0:.1f} Hz)')
    allsp = np.concatenate(trains)
    ax2.hist(allsp * 1e3, bins=np.arange(0, RUNTIME * 1e3 + 5, 5))
    ax2.set_xlabel('time (ms)')
    ax2.set_ylabel('spikes / 5 ms')
    fig.tight_layout()
    fig.savefig(out_path('11_intfire_network.png'), dpi=80)


if __name__ == '__main__':
    main()
