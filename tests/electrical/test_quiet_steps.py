"""Quiet steps taken in one go (core.clock._skip_quiet; issue 10): a model
of RandSpikes, Graupner-Brunel plasticity handlers and Tables (MOOSE's
HigginsGraupnerBrunel2014 snippet) does nothing on most steps: no spike,
no event due, the tables record unchanged values.  Those steps are taken
in one go.  Oracle: the step-by-step loop (``_quiet_capable`` forced
False), which must be reproduced to the bit: the same uniforms from each
RandSpike's seeded generator in the same order, the same spikes, Ca and
weights, the same table samples.  And the busy steps are far fewer."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.core import clock as ck
from moosepy.electrical import plasticity


def _model(noisy=True, with_hasfired_table=False):
    pre = moose.RandSpike('/pre', 2)
    pre.vec.rate = [20.0, 35.0]
    pre.vec.refractT = [0.0, 4e-3]
    post = moose.RandSpike('/post')
    post.rate = 25.0
    per = moose.RandSpike('/per')
    per.rate, per.doPeriodic = 7.0, True
    syn = moose.GraupnerBrunel2012CaPlasticitySynHandler('/syn')
    syn.numSynapses = 3
    moose.connect(pre.vec[0], 'spikeOut', syn.synapse[0], 'addSpike')
    moose.connect(pre.vec[1], 'spikeOut', syn.synapse[1], 'addSpike')
    moose.connect(per, 'spikeOut', syn.synapse[2], 'addSpike')
    moose.connect(post, 'spikeOut', syn, 'addPostSpike')
    for i, d in enumerate((0.0, 2e-3, 1e-3)):
        syn.synapse[i].delay = d
        syn.synapse[i].weight = 0.6
    syn.tauCa, syn.tauSyn = 22.6936e-3, 346.3615
    syn.CaPre, syn.CaPost, syn.delayD = 0.5617539, 1.23964, 4.6098e-3
    syn.thetaD, syn.thetaP, syn.gammaD, syn.gammaP = 1.0, 1.3, 331.909, 725.085
    syn.weightMax, syn.weightMin = 1.0, 0.0
    syn.noisy, syn.noiseSD, syn.bistable = noisy, 3.3501, True
    tabs = []
    for src, port in ((syn, 'getCa'), (syn.synapse[0], 'getWeight'),
                      (syn.synapse[2], 'getWeight'), (pre.vec[1], 'getLastEventT')):
        t = moose.Table(f'/tab{len(tabs)}')
        moose.connect(t, 'requestOut', src, port)
        tabs.append(t)
    if with_hasfired_table:
        t = moose.Table('/tabfired')
        moose.connect(t, 'requestOut', post, 'getHasFired')
        tabs.append(t)
    sp = moose.Table('/spikes')
    moose.connect(post, 'spikeOut', sp, 'spike')
    tabs.append(sp)
    for i in range(10):
        moose.setClock(i, 1e-3)
    return syn, tabs


def _run(quiet, monkeypatch, runtime=20.0, **kw):
    from moosepy.core.shell import reset_tree
    reset_tree()
    monkeypatch.setattr(ck, '_quiet_capable',
                        ck._quiet_capable if quiet else (lambda *a: False))
    calls = [0]
    real = plasticity.GraupnerBrunel2012CaPlasticitySynHandler._process.__func__

    def counting(cls, el, t, dt):
        calls[0] += 1
        return real(cls, el, t, dt)
    monkeypatch.setattr(plasticity.GraupnerBrunel2012CaPlasticitySynHandler, '_process',
                        classmethod(counting))
    syn, tabs = _model(**kw)
    moose.seed(7)
    moose.reinit()
    moose.start(runtime / 2)
    syn.synapse[1].weight = 0.9          # a change between starts
    moose.start(runtime / 2)
    out = [t.vector.copy() for t in tabs]
    state = (syn.Ca, [syn.synapse[i].weight for i in range(3)],
             [moose.element('/pre').vec[i].hasFired for i in range(2)],
             moose.element('/post').lastEventT)
    monkeypatch.undo()
    return out, state, calls[0]


@pytest.mark.parametrize('noisy', [True, False])
def test_quiet_steps_equal_the_step_by_step_loop_to_the_bit(noisy, monkeypatch):
    a, sa, ca = _run(True, monkeypatch, noisy=noisy)
    b, sb, cb = _run(False, monkeypatch, noisy=noisy)
    for x, y in zip(a, b):
        assert len(x) == len(y)
        assert np.array_equal(x, y)
    assert sa == sb
    assert len(a[0]) == 20001
    # something happened: spikes, Ca, weights that moved
    assert len(a[-1]) > 100 and np.max(a[0]) > 1.0 and np.ptp(a[1]) > 0
    # the handler ran on the busy steps only
    assert cb == 20000 and ca < cb / 3, (ca, cb)


def test_a_table_of_a_field_that_changes_when_quiet_keeps_the_loop_step_by_step(monkeypatch):
    # hasFired falls on the step after a spike: a Table reading it needs
    # every step (no field of RandSpike's _quiet_fields)
    a, sa, ca = _run(True, monkeypatch, runtime=2.0, with_hasfired_table=True)
    b, sb, cb = _run(False, monkeypatch, runtime=2.0, with_hasfired_table=True)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    assert sa == sb and ca == cb == 2000


def _lif_pair():
    # the GraupnerBrunel2012 STDP snippet's network: two LIFs, a
    # Graupner-Brunel synapse from 0 onto 1, Vm and spikes pushed to Tables
    net = moose.LIF('/network', 2)
    net.vec.Em = -70e-3
    net.vec.initVm = -70e-3
    net.vec.vReset = -70e-3
    net.vec.thresh = -50e-3
    net.vec.refractoryPeriod = 2e-3
    net.vec.Rm, net.vec.Cm = 1e9, 1e-11        # tau 10 ms
    syn = moose.GraupnerBrunel2012CaPlasticitySynHandler('/network/syn')
    syn.numSynapses = 1
    moose.connect(syn, 'activationOut', net.vec[1], 'activation')
    moose.connect(net.vec[0], 'spikeOut', syn.synapse[0], 'addSpike')
    moose.connect(net.vec[1], 'spikeOut', syn, 'addPostSpike')
    syn.synapse[0].weight = 0.5
    syn.tauCa, syn.tauSyn, syn.CaPre, syn.CaPost = 20e-3, 150.0, 1.0, 2.0
    syn.delayD, syn.thetaD, syn.thetaP = 13.7e-3, 1.0, 1.3
    syn.gammaD, syn.gammaP, syn.weightScale = 200.0, 321.808, 5e-3
    syn.weightMax, syn.weightMin, syn.bistable = 1.0, 0.0, True
    vms = moose.Table('/vms', 2)
    moose.connect(net, 'VmOut', vms, 'input', 'OneToOne')
    spk = moose.Table('/spk', 2)
    moose.connect(net, 'spikeOut', spk, 'input', 'OneToOne')
    ca = moose.Table('/ca')
    moose.connect(ca, 'requestOut', syn, 'getCa')
    wt = moose.Table('/wt')
    moose.connect(wt, 'requestOut', syn.synapse[0], 'getWeight')
    moose.useClock(0, '/network/syn', 'process')
    moose.useClock(1, '/network', 'process')
    for i in range(10):
        moose.setClock(i, 1e-3)
    return net, syn, [vms, spk, ca, wt]


def _lif_run(quiet, monkeypatch):
    from moosepy.core.shell import reset_tree
    reset_tree()
    monkeypatch.setattr(ck, '_quiet_capable',
                        ck._quiet_capable if quiet else (lambda *a: False))
    calls = [0]
    real = moose.LIF._process.__func__

    def counting(cls, el, t, dt):
        calls[0] += 1
        return real(cls, el, t, dt)
    monkeypatch.setattr(moose.LIF, '_process', classmethod(counting))
    net, syn, tabs = _lif_pair()
    moose.reinit()
    for deltat in (0.01, 0.004, -0.006):
        for _ in range(3):
            first, second = (1, 0) if deltat > 0 else (0, 1)
            net.vec[first].inject = 1e-7
            moose.start(1e-3)
            net.vec[first].inject = 0.0
            moose.start(abs(deltat))
            net.vec[second].inject = 1e-7
            moose.start(1e-3)
            net.vec[second].inject = 0.0
            moose.start(0.3)
    out = [t.vector.copy() for t in tabs]
    vm = [net.vec[i].Vm for i in range(2)]
    monkeypatch.undo()
    return out, (vm, syn.Ca, syn.synapse[0].weight), calls[0]


def test_lif_network_quiet_steps_equal_the_step_by_step_loop(monkeypatch):
    a, sa, ca = _lif_run(True, monkeypatch)
    b, sb, cb = _lif_run(False, monkeypatch)
    for x, y in zip(a, b):
        assert len(x) == len(y)
        assert np.array_equal(x, y)
    assert sa == sb
    # neuron 0 spiked at each of its 9 pulses (entry 0 of the spike
    # table), the weight moved
    assert len(a[1]) == 9 and sa[2] != 0.5
    assert ca < cb / 5, (ca, cb)


def test_lif_with_a_channel_message_is_stepped_every_step(monkeypatch):
    from moosepy.core.shell import reset_tree
    reset_tree()
    net, syn, tabs = _lif_pair()
    pg = moose.PulseGen('/pg')
    pg.firstLevel, pg.firstWidth, pg.firstDelay = 1e-10, 5e-3, 2e-3
    moose.connect(pg, 'output', net.vec[0], 'injectMsg')
    assert moose.LIF._quiet_links(net._el if hasattr(net, '_el') else
                                  moose.element('/network')._el) is None
