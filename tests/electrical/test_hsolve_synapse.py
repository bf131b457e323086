"""Synapses and spikes inside the HSolve kernel (issue 5, item 2).

An HSolve takes over the SynChans of its compartments, the
SimpleSynHandlers that drive only those, and the SpikeGens that read a
solved Vm.  Oracles:

* analytic: the dual-exponential conductance after one event, the arrival
  step of a delayed event, the threshold-crossing time of a charging
  passive compartment;
* the Python-stepped path (``hsolve.ABSORB_SYNAPSES = False``), whose
  SynChan update matches pymoose 5.0.0 to rounding
  (tests/electrical/test_synapse.py): the absorbed path must reproduce it
  step for step, on networks of spiking cells with delays, NMDA channels,
  Python spike sources and spikes to Tables;
* and it must do so without Python per step: one kernel call per chunk.
"""

import math

import numpy as np
import pytest

import moosepy as moose
from moosepy.electrical import hsolve, hkernels
from moosepy.electrical import synapse as syn

DT = 25e-6


def _sized(pool, B):
    """A pool of B [mM/(A s)] given the cylinder (length = diameter) whose
    volume gives that B = 1/(2 F vol): MOOSE's HSolve takes B from the
    geometry when it takes the pool over."""
    from moosepy.core.units import FaradayConst
    d = (4.0 / (math.pi * 2 * FaradayConst * B)) ** (1.0 / 3.0)
    pool.length = pool.diameter = d
    pool.B = B


@pytest.fixture(autouse=True)
def _absorb_on():
    yield
    hsolve.ABSORB_SYNAPSES = True


def _clocks(dt=DT):
    for t in range(10):
        moose.setClock(t, dt)


def _hh_prototypes():
    moose.Neutral('/library')
    v = np.linspace(-0.1, 0.05, 3001)
    vm = v * 1e3
    with np.errstate(all='ignore'):
        am = np.where(np.abs(vm + 40) < 1e-6, 1.0, 0.1 * (vm + 40) / (1 - np.exp(-(vm + 40) / 10)))
        an = np.where(np.abs(vm + 55) < 1e-6, 0.1, 0.01 * (vm + 55) / (1 - np.exp(-(vm + 55) / 10)))
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
        g.tableA, g.tableB = a * 1e3, (a + b) * 1e3


def _hh_cell(path, area=1e-9):
    moose.Neutral(path)
    soma = moose.Compartment(path + '/soma')
    soma.Cm, soma.Rm = 0.01 * area, 1.0 / (3.0 * area)
    soma.Em, soma.initVm = -0.0543, -0.065
    for name, dens in (('Na', 1200.0), ('K', 360.0)):
        ch = moose.element(moose.copy('/library/' + name, soma, name))
        ch.Gbar = dens * area
        moose.connect(ch, 'channel', soma, 'channel')
    hs = moose.HSolve(path + '/hsolve')
    hs.dt, hs.target = DT, soma.path
    return soma


def _synapse_onto(soma, name, gbar=20e-9, tau1=1e-3, tau2=3e-3, ek=0.0, cls=syn.SynChan):
    chan = cls(soma.path + '/' + name)
    chan.Gbar, chan.Ek, chan.tau1, chan.tau2 = gbar, ek, tau1, tau2
    moose.connect(chan, 'channel', soma, 'channel')
    h = syn.SimpleSynHandler(chan.path + '/sh')
    moose.connect(h, 'activationOut', chan, 'activation')
    return chan, h


def _ring_network(n, delays, weights, nmda=False):
    """n HH cells in a ring: cell i's SpikeGen drives a synapse (and, with
    nmda, an NMDAChan) on cell i+1; cell 0 gets a current step.  Tables
    record every Vm, every SynChan Gk and every SpikeGen's spikes."""
    _hh_prototypes()
    moose.Neutral('/net')
    somas = [_hh_cell(f'/net/c{i}') for i in range(n)]
    stim = moose.PulseGen('/net/stim')
    stim.firstDelay, stim.firstWidth, stim.firstLevel, stim.secondDelay = 2e-3, 0.5e-3, 3e-10, 1e9
    moose.connect(stim, 'output', somas[0], 'injectMsg')
    tabs = {'vm': [], 'gk': [], 'spk': [], 'ica': []}
    for i, soma in enumerate(somas):
        sg = moose.SpikeGen(soma.path + '/spike')
        sg.threshold, sg.refractT = 0.0, 2e-3
        moose.connect(soma, 'VmOut', sg, 'Vm')
        post = somas[(i + 1) % n]
        chans = [_synapse_onto(post, 'ampa')]
        if nmda:
            c, h = _synapse_onto(post, 'nmda', gbar=5e-9, tau1=2e-3, tau2=20e-3,
                                 cls=syn.NMDAChan)
            c.KMg_A, c.KMg_B, c.CMg = 3.57, 1 / 62.0, 1.2
            chans.append((c, h))
            t = moose.Table(f'/net/ica{i}')
            moose.connect(t, 'requestOut', c, 'getICa')
            tabs['ica'].append(t)
        for chan, h in chans:
            h.synapse.num = 1
            h.synapse[0].weight = weights[i]
            h.synapse[0].delay = delays[i]
            moose.connect(sg, 'spikeOut', h.synapse[0], 'addSpike')
            t = moose.Table(f'/net/gk{len(tabs["gk"])}')
            moose.connect(t, 'requestOut', chan, 'getGk')
            tabs['gk'].append(t)
        t = moose.Table(f'/net/vm{i}')
        moose.connect(t, 'requestOut', soma, 'getVm')
        tabs['vm'].append(t)
        t = moose.Table(f'/net/spk{i}')
        moose.connect(sg, 'spikeOut', t, 'spike')
        tabs['spk'].append(t)
    return tabs


def _run_both(build, runtime, monkeypatch=None):
    """Build and run twice (kernel path, then Python path); return the table
    vectors of each and the number of kernel calls of each."""
    out = {}
    for absorb in (True, False):
        if moose.exists('/net'):
            moose.delete('/net')
        if moose.exists('/library'):
            moose.delete('/library')
        hsolve.ABSORB_SYNAPSES = absorb
        tabs = build()
        _clocks()
        calls = [0]
        real = hkernels.advance

        def counting(*a, **k):
            calls[0] += 1
            return real(*a, **k)
        if monkeypatch is not None:
            monkeypatch.setattr(hkernels, 'advance', counting)
        moose.reinit()
        moose.start(runtime)
        if monkeypatch is not None:
            monkeypatch.setattr(hkernels, 'advance', real)
        out[absorb] = ({k: [t.vector.copy() for t in v] for k, v in tabs.items()}, calls[0])
    return out[True], out[False]


def test_ring_network_equals_python_path_and_runs_batched(monkeypatch):
    n = 6
    delays = [1e-3, 2.5e-3, 0.0, 1.2e-3, 3e-3, 0.7e-3]
    weights = [1.0, 1.2, 0.9, 1.1, 1.0, 1.3]
    runtime = 0.06
    (a, calls_a), (b, calls_b) = _run_both(lambda: _ring_network(n, delays, weights), runtime,
                                           monkeypatch)
    nsteps = int(round(runtime / DT))
    # no Python per step: the kernel takes the run in a few chunks
    assert calls_a <= 10, calls_a
    assert calls_b >= nsteps            # the Python path steps one by one
    for k in ('vm', 'gk'):
        for x, y in zip(a[k], b[k]):
            assert len(x) == len(y) == nsteps + 1
            assert np.max(np.abs(x - y)) < 1e-9 * max(1.0, np.max(np.abs(y)))
    for x, y in zip(a['spk'], b['spk']):
        assert len(x) == len(y)
        assert np.max(np.abs(x - y), initial=0.0) < 1e-12   # (times to rounding)
    # activity goes round the ring (each cell fires), so the synapses work
    assert all(len(x) >= 2 for x in a['spk'])
    # and each spike of cell i reaches cell i+1 after at least its delay
    for i in range(n):
        pre, post = a['spk'][i][0], a['spk'][(i + 1) % n]
        assert np.any(post >= pre + delays[i])


def test_nmda_network_equals_python_path():
    delays = [1e-3, 2e-3, 1.5e-3]
    weights = [1.0, 1.0, 1.0]
    (a, _), (b, _) = _run_both(lambda: _ring_network(3, delays, weights, nmda=True), 0.04)
    for x, y in zip(a['gk'] + a['vm'], b['gk'] + b['vm']):
        assert np.max(np.abs(x - y)) < 1e-9 * max(1.0, np.max(np.abs(y)))
    # the NMDA Ca current: the kernel's GHK equals NMDAChan's own
    for x, y in zip(a['ica'], b['ica']):
        assert np.max(np.abs(x - y)) <= 1e-9 * np.max(np.abs(y)) and np.max(y) > 0
    for x, y in zip(a['spk'], b['spk']):
        assert len(x) == len(y) and np.max(np.abs(x - y), initial=0.0) < 1e-12
    # the NMDA channels conduct (blocked only in part at depolarised Vm)
    assert max(np.max(g) for g in a['gk'][1::2]) > 0


def _passive_with_synchan(spike_times, delay, weight, gbar, tau1, tau2, source='timetable'):
    moose.Neutral('/net')
    c = moose.Compartment('/net/c')
    c.Cm, c.Rm, c.Em, c.initVm = 1e-11, 1e9, -0.07, -0.07
    hs = moose.HSolve('/net/hs')
    hs.dt, hs.target = DT, c.path
    chan, h = _synapse_onto(c, 'syn', gbar=gbar, tau1=tau1, tau2=tau2)
    h.synapse.num = 1
    h.synapse[0].weight, h.synapse[0].delay = weight, delay
    tt = syn.TimeTable('/net/tt')
    tt.vector = spike_times
    moose.connect(tt, 'eventOut', h.synapse[0], 'addSpike')
    tg = moose.Table('/net/gk')
    moose.connect(tg, 'requestOut', chan, 'getGk')
    return c, chan, h, tg


@pytest.mark.parametrize('tau1,tau2', [(2e-3, 2e-3), (1e-3, 5e-3)])
def test_absorbed_synchan_matches_closed_form(tau1, tau2):
    """One event from a Python source (a TimeTable) into an absorbed handler:
    the conductance is the dual exponential from the arrival step on."""
    gbar, w, t_spike, delay = 2e-9, 0.7, 1e-3, 2e-3
    c, chan, h, tg = _passive_with_synchan([t_spike], delay, w, gbar, tau1, tau2)
    _clocks()
    moose.reinit()
    for el in (chan, h):
        assert el._el.cls._batch_role(el._el) == 'idle'       # stepped by the kernel
    moose.start(t_spike + delay + 10 * max(tau1, tau2))
    g = tg.vector
    t = np.arange(len(g)) * DT
    ta = t_spike + delay - DT
    s = np.clip(t - ta, 0.0, None)
    if tau1 == tau2:
        ref = w * gbar * (s / tau1) * np.exp(1 - s / tau1)
    else:
        tp = tau1 * tau2 * math.log(tau1 / tau2) / (tau1 - tau2)
        peak = math.exp(-tp / tau1) - math.exp(-tp / tau2)
        ref = w * gbar * (np.exp(-s / tau1) - np.exp(-s / tau2)) / peak
    bound = w * gbar * DT * (1 / tau1 + 1 / tau2)
    assert np.max(np.abs(g - ref)) < bound
    assert np.all(g[t < ta - DT / 2] == 0.0)
    assert chan.Ik == pytest.approx(chan.Gk * (chan.Ek - c.Vm), rel=1e-3)


@pytest.mark.parametrize('delay', [0.0, 1.234e-3, 3.3e-3, 40e-3])
def test_spike_to_absorbed_synapse_arrives_after_its_delay(delay):
    """A SpikeGen on a charging passive compartment fires at the end of the
    step in which V crosses the threshold (analytic crossing time); the target SynChan's conductance starts exactly
    max(1, ceil(delay/dt)) steps after the spike step."""
    moose.Neutral('/net')
    a = moose.Compartment('/net/a')
    Rm, Cm, Em, inj = 1e8, 1e-10, -0.07, 3e-10
    a.Rm, a.Cm, a.Em, a.initVm, a.inject = Rm, Cm, Em, Em, inj
    b = moose.Compartment('/net/b')
    b.Cm, b.Rm, b.Em, b.initVm = 1e-11, 1e9, -0.07, -0.07
    for c in (a, b):
        hs = moose.HSolve(f'/net/hs_{c.name}')
        hs.dt, hs.target = DT, c.path
    sg = moose.SpikeGen('/net/sg')
    sg.threshold = -0.05
    moose.connect(a, 'VmOut', sg, 'Vm')
    chan, h = _synapse_onto(b, 'syn', gbar=1e-9)
    h.synapse.num = 1
    h.synapse[0].delay = delay
    moose.connect(sg, 'spikeOut', h.synapse[0], 'addSpike')
    tg = moose.Table('/net/gk')
    moose.connect(tg, 'requestOut', chan, 'getGk')
    ts = moose.Table('/net/spk')
    moose.connect(sg, 'spikeOut', ts, 'spike')
    _clocks()
    moose.reinit()
    for el in (sg, chan, h):
        assert el._el.cls._batch_role(el._el) == 'idle'       # stepped by the kernel
    moose.start(0.06)
    t_cross = -Rm * Cm * math.log(1 - (sg.threshold - Em) / (inj * Rm))
    spikes = ts.vector
    # the spike is the end of the step whose new V is above threshold (the
    # solver checks its SpikeGens after its step, as MOOSE's HSolve does):
    # t_cross <= t < t_cross + dt (to the CN error of V, ~1e-9 s here)
    assert len(spikes) == 1
    assert t_cross - 1e-8 <= spikes[0] < t_cross + DT + 1e-8
    k_spike = int(round(spikes[0] / DT))
    g = tg.vector
    onset = int(np.argmax(g > 0))
    assert onset == k_spike + max(1, math.ceil(delay / DT - 1e-9))


@pytest.mark.parametrize('with_intfire', [False, True])
def test_spike_log_overflow_and_python_targets_equal_python_path(monkeypatch, with_intfire):
    """A SpikeGen that fires every step (edgeTriggered off, no refractory
    period) into Tables and an IntFire (Python-stepped): the kernel's log of
    spikes for outside targets fills and is delivered between calls; every
    spike arrives, at the same times as on the Python path."""

    def build():
        moose.Neutral('/net')
        c = moose.Compartment('/net/c')
        c.Cm, c.Rm, c.Em, c.initVm = 1e-11, 1e9, 0.01, 0.01    # above threshold
        hs = moose.HSolve('/net/hs')
        hs.dt, hs.target = DT, c.path
        sgs = []
        for i in range(2):
            sg = moose.SpikeGen(f'/net/sg{i}')
            sg.threshold, sg.edgeTriggered, sg.refractT = 0.0, False, i * 1e-4
            moose.connect(c, 'VmOut', sg, 'Vm')
            sgs.append(sg)
        t = moose.Table('/net/spk')
        moose.connect(sgs[0], 'spikeOut', t, 'spike')
        t2 = moose.Table('/net/spk2')
        moose.connect(sgs[1], 'spikeOut', t2, 'spike')
        out = {'spk': [t, t2]}
        # and a sampled Vm, so the early returns meet the tables' samples
        c.inject = 2e-12
        tv = moose.Table('/net/vm')
        moose.connect(tv, 'requestOut', c, 'getVm')
        out['vm'] = [tv]
        if not with_intfire:
            return out
        # sg1 also drives an IntFire through a handler outside the solver
        fire = syn.IntFire('/net/if')
        fire.tau, fire.thresh, fire.refractoryPeriod = 10e-3, 0.5, 1e-3
        hI = syn.SimpleSynHandler('/net/if/sh')
        hI.synapse.num = 1
        hI.synapse[0].weight, hI.synapse[0].delay = 0.2, 0.5e-3
        moose.connect(sgs[1], 'spikeOut', hI.synapse[0], 'addSpike')
        moose.connect(hI, 'activationOut', fire, 'activation')
        t3 = moose.Table('/net/spk3')
        moose.connect(fire, 'spikeOut', t3, 'spike')
        out['spk'].append(t3)
        return out

    (a, calls_a), (b, _) = _run_both(build, 0.1, monkeypatch)
    nsteps = int(round(0.1 / DT))
    assert len(a['spk'][0]) == nsteps          # one spike per step
    if with_intfire:
        assert len(a['spk'][2]) > 10    # the IntFire fires (step by step)
    else:
        # batched, but the log (1024 entries) fills: a call per 1024 spikes
        nspk = len(a['spk'][0]) + len(a['spk'][1])
        assert math.ceil(nspk / 1024) <= calls_a <= math.ceil(nspk / 1024) + 3, calls_a
    assert len(a['vm'][0]) == nsteps + 1 and np.max(np.abs(a['vm'][0] - b['vm'][0])) < 1e-15
    for x, y in zip(a['spk'], b['spk']):
        assert len(x) == len(y)
        assert np.max(np.abs(x - y)) < 1e-12      # (times to rounding)


def test_weight_and_delay_changes_between_starts_and_pending_events_survive_relayout():
    """Events queued in the kernel survive a change the group cannot follow
    (a new synapse: the group is released and rebuilt, the events go back to
    the handler's queue and return); a new weight and delay between starts
    take effect.  Checked against the Python path run the same way."""

    def scenario():
        c, chan, h, tg = _passive_with_synchan([1e-3, 6e-3], 3e-3, 1.0, 1e-9, 1e-3, 2e-3)
        _clocks()
        moose.reinit()
        moose.start(2e-3)                 # first event queued, due at 4 ms
        h.synapse.num = 2                 # relayout: the group lets go
        moose.start(1e-3)
        h.synapse[0].weight = 2.0
        h.synapse[0].delay = 1e-3
        moose.start(7e-3)
        return tg.vector.copy()

    hsolve.ABSORB_SYNAPSES = True
    a = scenario()
    moose.delete('/net')
    hsolve.ABSORB_SYNAPSES = False
    b = scenario()
    assert len(a) == len(b)
    assert np.max(np.abs(a - b)) < 1e-12 * 1e-9 + 1e-21
    # both events arrived: the first (weight 1) at 4 ms, the second with the
    # new weight and delay at 7 ms
    t = np.arange(len(a)) * DT
    assert np.all(a[t < 4e-3 - 1.5 * DT] == 0) and a[int(round(4e-3 / DT)) + 2] > 0
    assert a.max() > 1.5e-9


def test_poisson_and_timetable_inputs_run_in_the_kernel_as_on_the_clock(monkeypatch):
    """RandSpike (Poisson and periodic) and TimeTable sources onto absorbed
    synapses are stepped by the kernel too: the run takes a few kernel calls,
    and gives the Python path's spikes and conductances (the RandSpikes draw
    the same uniforms from the same seeded generators; the TimeTable on a
    4x coarser tick emits on the same steps)."""

    def build():
        _hh_prototypes()
        moose.Neutral('/net')
        moose.Neutral('/net/inp')     # stepped before the handlers (same tick)
        somas = [_hh_cell(f'/net/c{i}') for i in range(3)]
        tabs = {'spk': [], 'gk': []}
        for i, soma in enumerate(somas):
            chan, h = _synapse_onto(soma, 'ampa', gbar=8e-9)
            h.synapse.num = 2
            h.synapse[0].weight, h.synapse[0].delay = 1.0, 0.0 if i == 0 else 0.4e-3
            h.synapse[1].weight, h.synapse[1].delay = 0.5, 1e-3
            rs = syn.RandSpike(f'/net/inp/rs{i}' if i < 2 else f'/net/rs{i}')
            rs.rate, rs.refractT = 300.0, 1e-3
            rs.doPeriodic = i == 2
            moose.connect(rs, 'spikeOut', h.synapse[0], 'addSpike')
            sg = moose.SpikeGen(soma.path + '/spike')
            sg.threshold, sg.refractT = 0.0, 2e-3
            moose.connect(soma, 'VmOut', sg, 'Vm')
            t = moose.Table(f'/net/spk{i}')
            moose.connect(sg, 'spikeOut', t, 'spike')
            tabs['spk'].append(t)
            t = moose.Table(f'/net/gk{i}')
            moose.connect(t, 'requestOut', chan, 'getGk')
            tabs['gk'].append(t)
        tt = syn.TimeTable('/net/tt')
        tt.vector = np.arange(1e-3, 0.05, 3.3e-3)
        moose.connect(tt, 'eventOut', moose.element('/net/c1/soma/ampa/sh').synapse[1],
                      'addSpike')
        moose.useClock(11, '/net/tt', 'process')
        return tabs

    def run(absorb, calls):
        for p in ('/net', '/library'):
            if moose.exists(p):
                moose.delete(p)
        hsolve.ABSORB_SYNAPSES = absorb
        tabs = build()
        _clocks()
        moose.setClock(11, 4 * DT)
        moose.seed(7)
        real = hkernels.advance

        def counting(*a, **k):
            calls[0] += 1
            return real(*a, **k)
        monkeypatch.setattr(hkernels, 'advance', counting)
        moose.reinit()
        moose.start(0.05)
        monkeypatch.setattr(hkernels, 'advance', real)
        return {k: [t.vector.copy() for t in v] for k, v in tabs.items()}

    ca, cb = [0], [0]
    a = run(True, ca)
    b = run(False, cb)
    assert ca[0] <= 10 and cb[0] >= 2000
    for x, y in zip(a['gk'], b['gk']):
        assert np.max(np.abs(x - y)) < 1e-18
    for x, y in zip(a['spk'], b['spk']):
        assert len(x) == len(y) and np.max(np.abs(x - y), initial=0.0) < 1e-12
    # the inputs drive the cells: each fires, and each conductance is non-zero
    assert all(len(x) >= 1 for x in a['spk']) and all(g.max() > 0 for g in a['gk'])


def test_solved_and_unsolved_spikegen_fire_in_the_same_step():
    """With or without an HSolve, a SpikeGen fires at the end of the step in
    which its compartment's Vm crosses the threshold: on its tick (5) after
    the compartment's (3) without a solver, inside the solver's step with
    one (as MOOSE's HSolve does; pymoose 5.0.0 fires in that step in both
    cases too)."""
    out = []
    for solved in (False, True):
        if moose.exists('/net'):
            moose.delete('/net')
        moose.Neutral('/net')
        c = moose.Compartment('/net/c')
        c.Rm, c.Cm, c.Em, c.initVm, c.inject = 1e8, 1e-10, -0.07, -0.07, 3e-10
        sg = moose.SpikeGen('/net/sg')
        sg.threshold = -0.05
        moose.connect(c, 'VmOut', sg, 'Vm')
        ts = moose.Table('/net/spk')
        moose.connect(sg, 'spikeOut', ts, 'spike')
        tv = moose.Table('/net/vm')
        moose.connect(tv, 'requestOut', c, 'getVm')
        if solved:
            hs = moose.HSolve('/net/hs')
            hs.dt, hs.target = DT, c.path
        _clocks()
        moose.reinit()
        moose.start(0.02)
        v = tv.vector
        k_above = int(np.argmax(v > -0.05))       # first sample above threshold
        assert len(ts.vector) == 1
        assert ts.vector[0] == pytest.approx(k_above * DT, abs=1e-12)
        out.append(ts.vector[0])
    assert out[0] == pytest.approx(out[1], abs=1e-12)


_TWO_CELLS = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    sys.path.insert(0, '.')
    import moosepy as moose
DT = 25e-6
AREA = 1e-9
v = np.linspace(-0.1, 0.05, 3001); vm = v * 1e3
with np.errstate(all='ignore'):
    am = np.where(np.abs(vm + 40) < 1e-6, 1.0, 0.1 * (vm + 40) / (1 - np.exp(-(vm + 40) / 10)))
    an = np.where(np.abs(vm + 55) < 1e-6, 0.1, 0.01 * (vm + 55) / (1 - np.exp(-(vm + 55) / 10)))
bm = 4 * np.exp(-(vm + 65) / 18); ah = 0.07 * np.exp(-(vm + 65) / 20)
bh = 1 / (1 + np.exp(-(vm + 35) / 10)); bn = 0.125 * np.exp(-(vm + 65) / 80)
moose.Neutral('/library')
na = moose.HHChannel('/library/Na'); na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
k = moose.HHChannel('/library/K'); k.Xpower, k.Ek = 4, -0.077
for path, a, b in (('/library/Na/gateX', am, bm), ('/library/Na/gateY', ah, bh), ('/library/K/gateX', an, bn)):
    g = moose.element(path); g.min, g.max, g.divs = -0.1, 0.05, 3000
    g.tableA, g.tableB = a * 1e3, (a + b) * 1e3
def cell(path):
    moose.Neutral(path)
    s = moose.Compartment(path + '/soma')
    s.Cm, s.Rm = 0.01 * AREA, 1 / (3.0 * AREA); s.Em, s.initVm = -0.0543, -0.065
    s.Ra = 1e6; s.length = s.diameter = np.sqrt(AREA / np.pi)
    for name, dens in (('Na', 1200.0), ('K', 360.0)):
        ch = moose.element(moose.copy('/library/' + name, s, name)); ch.Gbar = dens * AREA
        moose.connect(ch, 'channel', s, 'channel')
    return s
a, b = cell('/A'), cell('/B')
pg = moose.PulseGen('/A/stim'); pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 5e-3, 30e-3, 1.5e-10, 1e9
moose.connect(pg, 'output', a, 'injectMsg')
sg = moose.SpikeGen('/A/soma/spike'); sg.threshold, sg.refractT = 0.0, 2e-3
moose.connect(a, 'VmOut', sg, 'Vm')
ch = moose.SynChan('/B/soma/glu'); ch.Gbar, ch.Ek, ch.tau1, ch.tau2 = 20e-9, 0.0, 1e-3, 3e-3
moose.connect(ch, 'channel', b, 'channel')
h = moose.SimpleSynHandler('/B/soma/glu/sh'); h.synapse.num = 1
h.synapse[0].weight, h.synapse[0].delay = 1.0, 2e-3
moose.connect(h, 'activationOut', ch, 'activation')
moose.connect(sg, 'spikeOut', h.synapse[0], 'addSpike')
tabs = {}
for name, obj, f in (('va', a, 'getVm'), ('vb', b, 'getVm'), ('gk', ch, 'getGk')):
    t = moose.Table('/' + name); moose.connect(t, 'requestOut', obj, f); tabs[name] = t
for t in range(10): moose.setClock(t, DT)
for p in ('/A', '/B'):
    hs = moose.HSolve(p + '/hsolve'); hs.dt = DT; hs.target = p + '/soma'
moose.reinit(); moose.start(0.04)
print('JSON' + json.dumps({k: list(map(float, t.vector)) for k, t in tabs.items()}))
'''
from pymoose_side import have_pymoose, run_both  # noqa: E402


@pytest.mark.skipif(not have_pymoose(), reason='pymoose side venv /work/sidevenv absent')
def test_two_cells_through_a_synapse_equal_pymoose_hsolve():
    """One script, run by pymoose 5.0.0 and by moosepy: two HH cells, each
    with its HSolve, A's SpikeGen -> synapse (delay 2 ms) -> SynChan on B.
    MOOSE steps the SynChan on its tick and the SpikeGen inside its HSolve;
    moosepy does both in the kernel.  The SynChan conductance is the same
    to rounding, the synaptic onset and every spike (Vm crossing 0) fall on
    the same step, and Vm agrees to the two solvers' table interpolation."""
    out = run_both(_TWO_CELLS)
    m, p = out['moose'], out['moosepy']
    for k in m:
        assert len(m[k]) == len(p[k])
    assert np.max(np.abs(m['gk'] - p['gk'])) <= 1e-9 * np.max(m['gk'])
    assert int(np.argmax(m['gk'] > 0)) == int(np.argmax(p['gk'] > 0))

    def crossings(v):
        return np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    for k in ('va', 'vb'):
        assert len(crossings(m[k])) >= 3
        assert np.array_equal(crossings(m[k]), crossings(p[k]))
        assert np.max(np.abs(m[k] - p[k])) < 2e-3


def test_synapses_connected_or_deleted_between_starts_take_effect():
    """After a start, a new SpikeGen -> synapse message reaches the kernel
    (the group lets go and takes the model again), and a deleted SynChan no
    longer conducts."""
    moose.Neutral('/net')
    a = moose.Compartment('/net/a')
    a.Rm, a.Cm, a.Em, a.initVm, a.inject = 1e8, 1e-10, -0.07, -0.07, 3e-10
    b = moose.Compartment('/net/b')
    b.Cm, b.Rm, b.Em, b.initVm = 1e-11, 1e9, -0.07, -0.07
    for c in (a, b):
        hs = moose.HSolve(f'/net/hs_{c.name}')
        hs.dt, hs.target = DT, c.path
    sg = moose.SpikeGen('/net/sg')
    sg.threshold, sg.edgeTriggered, sg.refractT = -0.06, False, 2e-3
    moose.connect(a, 'VmOut', sg, 'Vm')
    chan, h = _synapse_onto(b, 'syn', gbar=1e-9)
    h.synapse.num = 1
    tg = moose.Table('/net/gk')
    moose.connect(tg, 'requestOut', chan, 'getGk')
    _clocks()
    moose.reinit()
    moose.start(0.02)
    assert np.all(tg.vector == 0)                 # not connected yet
    moose.connect(sg, 'spikeOut', h.synapse[0], 'addSpike')
    moose.start(0.01)
    assert tg.vector[-1] > 0                       # the new message works in the kernel
    assert chan._el.cls._batch_role(chan._el) == 'idle'
    vb = b.Vm
    moose.delete(chan)
    moose.start(0.02)
    # no conductance any more: b relaxes back towards Em
    assert abs(b.Vm - b.Em) < abs(vb - b.Em)


def test_copy_of_a_solved_network_runs_as_the_original():
    """moose.copy of a cell with absorbed synapses, after a run: the copy
    carries no hold of the original's solver, and after reinit both cells
    (each with its HSolve) give the same trace."""
    _hh_prototypes()
    moose.Neutral('/net')
    soma = _hh_cell('/net/c0')
    chan, h = _synapse_onto(soma, 'ampa')
    h.synapse.num = 1
    tt = syn.TimeTable('/net/c0/tt')
    tt.vector = [2e-3, 4e-3]
    moose.connect(tt, 'eventOut', h.synapse[0], 'addSpike')
    _clocks()
    moose.reinit()
    moose.start(5e-3)
    cp = moose.element(moose.copy('/net/c0', '/net', 'c1'))
    for el in moose.wildcardFind(cp.path + '/##'):
        assert not any(k.startswith('hsolve') for k in el._el.data)
    moose.element('/net/c1/hsolve').target = '/net/c1/soma'
    tabs = []
    for p in ('/net/c0/soma', '/net/c1/soma'):
        t = moose.Table(f'/net/v{len(tabs)}')
        moose.connect(t, 'requestOut', moose.element(p), 'getVm')
        tabs.append(t)
    moose.reinit()
    moose.start(0.02)
    v0, v1 = tabs[0].vector, tabs[1].vector
    assert v0.max() > 0.0                      # the synaptic events make it fire
    assert np.max(np.abs(v0 - v1)) < 1e-12


def _nmda_calcium_loop():
    """An HH soma at /net/c0 with an NMDA receptor driven by a TimeTable
    (2, 3, 4 ms) whose Ca current feeds a CaConc (tau 20 ms, CaBasal 1e-4
    mM) that sets the receptor's intCa back; returns (soma, nmda, caconc)."""
    _hh_prototypes()
    moose.Neutral('/net')
    soma = _hh_cell('/net/c0')
    nm, h = _synapse_onto(soma, 'nmda', gbar=2e-9, tau1=2e-3, tau2=20e-3,
                  cls=syn.NMDAChan)
    nm.KMg_A, nm.KMg_B, nm.CMg = 3.57, 1 / 62.0, 1.2
    h.synapse.num = 1
    tt = syn.TimeTable('/net/tt')
    tt.vector = [2e-3, 3e-3, 4e-3]
    moose.connect(tt, 'eventOut', h.synapse[0], 'addSpike')
    ca = moose.CaConc(soma.path + '/ca')
    ca.tau, ca.CaBasal = 0.02, 1e-4
    moose.connect(nm, 'ICaOut', ca, 'current')
    moose.connect(ca, 'concOut', nm, 'assignIntCa')
    return soma, nm, ca


def _ca_vm_gk_tables(soma, nm, ca):
    """{'ca', 'vm', 'gk': [Table]} reading the pool's Ca, the soma's Vm
    and the receptor's Gk."""
    tabs = {'ca': [], 'vm': [], 'gk': []}
    for key, obj, f in (('ca', ca, 'getCa'), ('vm', soma, 'getVm'), ('gk', nm, 'getGk')):
        t = moose.Table(f'/net/{key}')
        moose.connect(t, 'requestOut', obj, f)
        tabs[key].append(t)
    return tabs


def test_nmda_calcium_into_a_solved_pool_in_the_kernel(monkeypatch):
    """An NMDA receptor whose Ca current feeds a CaConc (ICaOut -> current)
    that sets its intCa back (concOut -> assignIntCa), the pool also fed by
    an HHChannel (so that the HSolve takes it over, as MOOSE's does only for
    pools of HHChannels): the solver takes the loop into its kernel (batched
    run) and gives the Python path's Ca, ICa and Vm step for step; the Ca
    rises with the synaptic events."""

    def build():
        soma, nm, ca = _nmda_calcium_loop()
        _sized(ca, 3e10)
        cach = moose.HHChannel(soma.path + '/CaL')      # a weak Ca channel
        cach.Xpower, cach.Ek, cach.Gbar = 1, 0.12, 1e-12
        g = moose.element(cach.path + '/gateX')
        v = np.linspace(-0.1, 0.05, 151)
        g.min, g.max = -0.1, 0.05
        g.tableA = 2000.0 / (1 + np.exp(-(v + 0.02) / 0.005))
        g.tableB = 2000.0 * np.ones_like(v)
        moose.connect(cach, 'channel', soma, 'channel')
        moose.connect(cach, 'IkOut', ca, 'current')
        return _ca_vm_gk_tables(soma, nm, ca)

    (a, calls_a), (b, calls_b) = _run_both(build, 0.03, monkeypatch)
    assert calls_a <= 10                  # batched: the NMDA-Ca loop is in the kernel
    for k in ('ca', 'vm', 'gk'):
        x, y = a[k][0], b[k][0]
        assert len(x) == len(y)
        assert np.max(np.abs(x - y)) <= 1e-9 * np.max(np.abs(y))
    assert a['ca'][0].max() > 2e-4       # the Ca current raises the pool


def test_nmda_only_pool_steps_on_its_own_tick_in_the_kernel(monkeypatch):
    """A CaConc fed only by an NMDA receptor (as rdesigneur's spine heads):
    MOOSE's HSolve does not take it (it steps on tick 1, a step behind the
    receptor's current; tests/rdesigner/test_rdes_spines_seeded.py compares
    with pymoose); the kernel steps it so (batched run), equal to the path
    where the receptor is Python-stepped, and keeps the B that was set."""

    def build():
        soma, nm, ca = _nmda_calcium_loop()
        ca.B = 3e10
        return _ca_vm_gk_tables(soma, nm, ca)

    (a, calls_a), (b, calls_b) = _run_both(build, 0.03, monkeypatch)
    assert calls_a <= 10                  # batched
    assert moose.element('/net/c0/soma/ca').B == 3e10
    for k in ('ca', 'vm', 'gk'):
        x, y = a[k][0], b[k][0]
        assert len(x) == len(y)
        assert np.max(np.abs(x - y)) <= 1e-9 * np.max(np.abs(y)), k
    assert a['ca'][0].max() > 2e-4
    # a step behind the receptor: the pool first moves the step after its Gk
    i_g = int(np.nonzero(a['gk'][0] > 0)[0][0])
    i_c = int(np.nonzero(a['ca'][0] != a['ca'][0][0])[0][0])
    assert i_c == i_g + 1


def test_hhchannel2d_on_a_solved_cell_runs_in_the_kernel(monkeypatch):
    """A V- and Ca-dependent HHChannel2D (a KC-like gate on tableA/B over
    (Vm, Ca)) on an HH cell whose Ca pool is fed by a Ca channel: the HSolve
    steps it inside its kernel (batched run) with the exponential Euler it
    uses on its tick, and gives the Python path's Vm, Ca and Gk."""

    def build():
        _hh_prototypes()
        moose.Neutral('/net')
        soma = _hh_cell('/net/c0')
        cach = moose.HHChannel(soma.path + '/CaL')
        cach.Xpower, cach.Ek, cach.Gbar = 1, 0.12, 2e-10
        g = moose.element(cach.path + '/gateX')
        v = np.linspace(-0.1, 0.05, 151)
        g.min, g.max = -0.1, 0.05
        g.tableA = 2000.0 / (1 + np.exp(-(v + 0.02) / 0.005))
        g.tableB = 2000.0 * np.ones_like(v)
        moose.connect(cach, 'channel', soma, 'channel')
        ca = moose.CaConc(soma.path + '/ca')
        ca.tau, ca.B, ca.CaBasal = 0.01, 2e9, 5e-5
        moose.connect(cach, 'IkOut', ca, 'current')
        kc = moose.HHChannel2D(soma.path + '/KC')
        kc.Xpower, kc.Ek, kc.Gbar = 1, -0.08, 5e-9
        kc.Xindex = 'VOLT_C1_INDEX'
        gx = moose.element(kc.path + '/gateX')
        gx.xmin, gx.xmax, gx.ymin, gx.ymax = -0.1, 0.05, 0.0, 0.01
        vv, cc = np.meshgrid(np.linspace(-0.1, 0.05, 31), np.linspace(0, 0.01, 21), indexing='ij')
        alpha = 500.0 * (cc / (cc + 1e-3)) * np.exp((vv + 0.01) / 0.03)
        gx.tableA = alpha
        gx.tableB = alpha + 200.0
        moose.connect(kc, 'channel', soma, 'channel')
        moose.connect(ca, 'concOut', kc, 'concen')
        stim = moose.PulseGen('/net/stim')
        stim.firstDelay, stim.firstWidth, stim.firstLevel, stim.secondDelay = 2e-3, 30e-3, 1e-10, 1e9
        moose.connect(stim, 'output', soma, 'injectMsg')
        tabs = {}
        for key, obj, f in (('vm', soma, 'getVm'), ('ca', ca, 'getCa'), ('gk', kc, 'getGk')):
            t = moose.Table(f'/net/{key}')
            moose.connect(t, 'requestOut', obj, f)
            tabs[key] = [t]
        return tabs

    (a, calls_a), (b, calls_b) = _run_both(build, 0.04, monkeypatch)
    assert calls_a <= 10 and calls_b >= 1600
    for k in ('vm', 'ca', 'gk'):
        x, y = a[k][0], b[k][0]
        assert len(x) == len(y)
        assert np.max(np.abs(x - y)) <= 1e-9 * np.max(np.abs(y))
    assert a['gk'][0].max() > 1e-10 and a['vm'][0].max() > 0.0   # it spikes, KC opens
