"""Functions of t evaluated inside the HSolve kernel (issue 10 / 13:
rdesigneur's stimList expressions).

A ``Function`` whose expression reads only ``t`` and constants and whose
``valueOut`` goes to solved fields (compartment ``inject``/``Em``,
HHChannel ``Gbar``/``Ek``/``modulation``, an absorbed RandSpike's ``rate``)
is taken over by the solver.  Oracle: the Python-stepped path
(``hsolve_functions.ABSORB_FUNCTIONS = False``: the Function fires on its
tick and sets the field, the solver steps between), which must be
reproduced to the bit (same evaluator, same step times, same clock order),
in every order of the Function, the solver and the tables in a step; and
analytic values of the recorded stimulus, f(t) on the Function's own
firing times.  The run must then go in a few kernel calls, not one per
Function tick.
"""

import math

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import FieldError
from moosepy.electrical import hkernels
from moosepy.electrical import hsolve_functions as hf

DT = 50e-6


@pytest.fixture(autouse=True)
def _absorb_on():
    yield
    hf.ABSORB_FUNCTIONS = True


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


INJ = '(1 + cos(t / 0.004)) * (t > 0.005 && t < 0.03) * 0.3e-9'
GBAR = '360 * 1e-9 * (1 + 0.5 * sin(t * 300))'


def _cell(fn_tick, tab_tick, fn_dt, tab_dt, with_gbar=True):
    """Ball and stick (soma + 3 dendrite compartments) with HH channels,
    an inject Function on the soma and a Gbar Function on its K channel."""
    _hh_prototypes()
    moose.Neutral('/cell')
    area = 1e-9
    comps = []
    for i in range(4):
        c = moose.Compartment(f'/cell/c{i}')
        c.Cm, c.Rm, c.Ra = 0.01 * area, 1.0 / (3.0 * area), 1e6
        c.Em, c.initVm = -0.0543, -0.065
        if comps:
            moose.connect(comps[-1], 'axial', c, 'raxial')
        comps.append(c)
    chans = {}
    for name, dens in (('Na', 1200.0), ('K', 360.0)):
        ch = moose.element(moose.copy('/library/' + name, comps[0], name))
        ch.Gbar = dens * area
        moose.connect(ch, 'channel', comps[0], 'channel')
        chans[name] = ch
    hs = moose.HSolve('/cell/hsolve')
    hs.dt, hs.target = DT, comps[0].path
    f = moose.Function('/cell/stim')
    f.expr = INJ
    f.doEvalAtReinit = 1
    moose.connect(f, 'valueOut', comps[0], 'setInject')
    fs = [f]
    if with_gbar:
        g = moose.Function('/cell/gstim')
        g.expr = GBAR
        moose.connect(g, 'valueOut', chans['K'], 'setGbar')
        fs.append(g)
    tabs = []
    for src, port in ((comps[0], 'getVm'), (comps[3], 'getVm'), (comps[0], 'getInject'),
                      (chans['K'], 'getGk')):
        t = moose.Table(f'/cell/tab{len(tabs)}')
        moose.connect(t, 'requestOut', src, port)
        tabs.append(t)
    for t in range(32):
        moose.setClock(t, DT)
    for fe in fs:
        fe.tick = fn_tick
    moose.setClock(fn_tick, fn_dt)
    for t in tabs:
        t.tick = tab_tick
    moose.setClock(tab_tick, tab_dt)
    return comps, chans, fs, tabs


def _run(absorb, build, runtime, monkeypatch):
    from moosepy.core.shell import reset_tree
    reset_tree()
    hf.ABSORB_FUNCTIONS = absorb
    comps, chans, fs, tabs = build()
    calls = [0]
    real = hkernels.advance

    def counting(*a, **k):
        calls[0] += 1
        return real(*a, **k)
    monkeypatch.setattr(hkernels, 'advance', counting)
    moose.reinit()
    moose.start(runtime)
    monkeypatch.setattr(hkernels, 'advance', real)
    out = {'tabs': [t.vector.copy() for t in tabs],
           'fval': [(f.value, f.derivative, f.rate) for f in fs],
           'inject': comps[0].inject, 'Gbar': chans['K'].Gbar,
           'roles': [type(f)._batch_role(f._el) for f in fs]}
    return out, calls[0]


# (Function tick, table tick): the solver is on tick 6 here; ticks 3 and 8
# lie before and after it in a step
@pytest.mark.parametrize('fn_tick,tab_tick,fn_mult,tab_mult', [
    (12, 8, 2, 2),     # rdesigneur's layout: solver, tables, then the Function
    (3, 8, 2, 1),      # Function before the solver
    (3, 2, 4, 2),      # Function and tables before the solver
    (12, 2, 1, 3),     # tables before the solver, Function after it
    (7, 8, 3, 1),      # Function between solver and tables
    (0, 2, 2, 2),      # Function, tables, solver (the inject table in Python)
])
def test_function_stimuli_equal_python_path_to_the_bit(fn_tick, tab_tick, fn_mult, tab_mult,
                                                      monkeypatch):
    def build():
        return _cell(fn_tick, tab_tick, fn_mult * DT, tab_mult * DT)
    runtime = 0.04
    a, calls_a = _run(True, build, runtime, monkeypatch)
    b, calls_b = _run(False, build, runtime, monkeypatch)
    for x, y in zip(a['tabs'], b['tabs']):
        assert len(x) == len(y) == int(runtime / (tab_mult * DT) + 1e-9) + 1
        assert np.array_equal(x, y)
    assert a['fval'] == b['fval']
    assert a['inject'] == b['inject'] and a['Gbar'] == b['Gbar']
    assert b['roles'] == ['python', 'python']
    # the cell fires during the stimulus (the stimulus reached the kernel)
    vm = a['tabs'][0]
    assert np.sum((vm[1:] > 0) & (vm[:-1] <= 0)) >= 2
    # the Python path fires the Functions between solver chunks; the
    # kernel path takes the run in a few calls
    assert calls_b >= runtime / (fn_mult * DT)
    if fn_tick == 0:
        # a table between a Function and the solver reads the Function's
        # value of its own step, which the kernel does not record: the
        # Function stays in Python (correct, step by step)
        # (the Gbar Function, read by nobody, is still taken over)
        assert a['roles'] == ['python', 'idle']
        assert calls_a >= runtime / (fn_mult * DT)
    else:
        assert a['roles'] == ['idle', 'idle']
        assert calls_a <= 10, calls_a


def test_recorded_stimulus_is_f_of_the_functions_firing_times(monkeypatch):
    # rdesigneur's layout: the table (tick 8) reads inject after the solver
    # and before the Function (tick 12), so sample k holds f at the
    # Function's previous firing: f((k - 1) * 2 dt), and f(0) at reinit
    (a, _calls) = _run(True, lambda: _cell(12, 8, 2 * DT, 2 * DT, with_gbar=False), 0.03,
                       monkeypatch)
    inj = a['tabs'][2]
    t = np.arange(len(inj)) * 2 * DT
    f = (1 + np.cos(t / 0.004)) * ((t > 0.005) & (t < 0.03)) * 0.3e-9
    expect = np.concatenate([[f[0]], f[:-1]])
    assert np.max(np.abs(inj - expect)) <= 1e-15 * 0.6e-9 + 1e-25
    assert inj.max() > 0.5e-9            # the pulse is in the record


def test_function_value_and_fields_read_after_the_run():
    _cell(12, 8, 2 * DT, 2 * DT)
    moose.reinit()
    moose.start(0.0123)
    f = moose.element('/cell/stim')
    g = moose.element('/cell/gstim')
    assert type(f)._batch_role(f._el) == 'idle' and type(g)._batch_role(g._el) == 'idle'
    # last firing of a 100 us tick at or before 12.3 ms: 12.3 ms itself
    tl = 0.0123
    val = (1 + math.cos(tl / 0.004)) * 0.3e-9
    assert f.value == pytest.approx(val, rel=1e-12)
    assert moose.element('/cell/c0').inject == f.value
    assert moose.element('/cell/c0/K').Gbar == g.value
    assert g.value == pytest.approx(360e-9 * (1 + 0.5 * math.sin(tl * 300)), rel=1e-12)
    # rate: the difference over the tick, as the Python Function computes it;
    # derivative: d expr / d t (independent 't') at that firing, as MOOSE's
    prev = 360e-9 * (1 + 0.5 * math.sin((tl - 2 * DT) * 300))
    assert g.rate == pytest.approx((g.value - prev) / (2 * DT), rel=1e-6)
    assert g.derivative == pytest.approx(360e-9 * 0.5 * 300 * math.cos(tl * 300), rel=1e-5)


def test_constant_changed_between_starts_is_used():
    _cell(12, 8, 2 * DT, 2 * DT, with_gbar=False)
    f = moose.element('/cell/stim')
    f.c['A'] = 1e-10
    f.expr = 'A * (t > 0.001)'
    moose.reinit()
    moose.start(0.002)
    assert moose.element('/cell/c0').inject == pytest.approx(1e-10)
    f.c['A'] = 3e-10
    moose.start(0.002)
    assert moose.element('/cell/c0').inject == pytest.approx(3e-10)
    assert f.value == pytest.approx(3e-10)


def test_functions_with_inputs_or_random_stay_in_python():
    comps, chans, fs, tabs = _cell(12, 8, 2 * DT, 2 * DT, with_gbar=False)
    f = fs[0]
    f.expr = 'rand() * 1e-12'
    moose.reinit()
    moose.start(0.001)
    el = moose.element('/cell/stim')
    from moosepy.kinetics.function import _hsolved
    assert not _hsolved(el._el) and type(el)._batch_role(el._el) == 'python'
    assert comps[0].inject != 0.0


def test_negative_gbar_from_a_function_is_an_error_naming_the_channel():
    comps, chans, fs, tabs = _cell(12, 8, 2 * DT, 2 * DT)
    fs[1].expr = '360e-9 * (t < 0.002) - 1e-9 * (t >= 0.002)'
    moose.reinit()
    with pytest.raises(FieldError, match=r'/cell/c0/K.*Gbar.*gstim'):
        moose.start(0.005)


def test_periodic_randspike_rate_from_a_function_equals_python_path(monkeypatch):
    # rdesigneur's periodicsyn: a Function of t sets an absorbed RandSpike's
    # rate; its spikes drive a SynChan through a SimpleSynHandler
    def build():
        comps, chans, fs, tabs = _cell(12, 8, 2 * DT, 2 * DT, with_gbar=False)
        fs[0].expr = '0'
        sc = moose.SynChan('/cell/c2/glu')
        sc.Gbar, sc.Ek, sc.tau1, sc.tau2 = 5e-9, 0.0, 1e-3, 3e-3
        moose.connect(sc, 'channel', comps[2], 'channel')
        sh = moose.SimpleSynHandler('/cell/c2/glu/sh')
        moose.connect(sh, 'activationOut', sc, 'activation')
        sh.synapse.num = 1
        sh.synapse[0].weight = 1.0
        rs = moose.RandSpike('/cell/c2/glu/sh/synapse/rs')
        rs.doPeriodic = True
        moose.connect(rs, 'spikeOut', sh.synapse[0], 'addSpike')
        r = moose.Function('/cell/rate')
        r.expr = '(t > 0.004) * (t < 0.03) * 200'
        r.doEvalAtReinit = 1
        moose.connect(r, 'valueOut', rs, 'setRate')
        r.tick = 12
        t = moose.Table('/cell/tabgk')
        moose.connect(t, 'requestOut', sc, 'getGk')
        t.tick = 8
        return comps, chans, fs + [r], tabs + [t]
    runtime = 0.04
    a, calls_a = _run(True, build, runtime, monkeypatch)
    b, calls_b = _run(False, build, runtime, monkeypatch)
    for x, y in zip(a['tabs'], b['tabs']):
        assert np.array_equal(x, y)
    assert a['fval'] == b['fval']
    assert np.max(a['tabs'][-1]) > 0            # the synapse conducted
    assert calls_a <= 10 < calls_b
