"""Adaptor: electrical -> chemical and back, against pymoose 5.0.0 (side
venv) and against its formula."""

import numpy as np
import pytest

import moosepy as moose

from side_pymoose import run_both

_SIDE = open(__file__.replace('test_adaptor.py', 'adaptor_side.py')).read()


def test_formula_mean_of_requests_and_inputs():
    # BufPools: as in MOOSE 5.0, an unsolved Pool's n stays at nInit (a set
    # of n changes nothing), a BufPool's n follows a set
    moose.Neutral('/m')
    a = moose.BufPool('/m/a')
    b = moose.BufPool('/m/b')
    a.n, b.n = 10.0, 30.0
    dst = moose.BufPool('/m/dst')
    ad = moose.Adaptor('/m/ad')
    moose.connect(ad, 'requestOut', a, 'getN')
    moose.connect(ad, 'requestOut', b, 'getN')
    moose.connect(ad, 'output', dst, 'setN')
    ad.inputOffset, ad.scale, ad.outputOffset = 5.0, 2.0, 1.0
    moose.reinit()
    # reinit processes once, as MOOSE: 1 + 2 * ((10 + 30)/2 - 5)
    assert ad.outputValue == 31.0 and dst.n == 31.0
    moose.Adaptor._recv_input(ad, 100.0)    # a value arriving on 'input' joins the mean
    moose.start(0.1)                         # one tick of 0.1 s
    assert ad.outputValue == pytest.approx(1 + 2 * ((10 + 30 + 100) / 3 - 5))


@pytest.mark.parametrize('hsolve,pulse', [(False, True), (True, True), (True, False)])
def test_bridge_both_ways_as_pymoose(hsolve, pulse):
    """Vm sets a pool's concentration; its product sets the injected
    current.  With tight Ksolve tolerances the traces agree with MOOSE's to
    1e-8: the exchanges happen at the same ticks in the same order.  Without
    the pulse generator the Adaptors are the only objects stepped in Python:
    the HSolve and the Ksolve run whole intervals between their ticks."""
    out = run_both(f'{_SIDE}\nTOL = 1e-12\nHSOLVE = {hsolve}\nPULSE = {pulse}\nrun()\n')
    ref, got = out['moose'], out['moosepy']
    for k in ref:
        a, b = np.asarray(ref[k], float), np.asarray(got[k], float)
        assert a.shape == b.shape, k
        assert np.max(np.abs(a - b)) <= 1e-8 * np.max(np.abs(a)), k
    # the coupling did something: B rose, and the current it drives is on
    assert ref['b'][-1] > 1e-3 and ref['ad2'][0] > 1e-11


def test_destinations_called_as_methods_as_pymoose():
    """pymoose lets a script call a destination port: sg.Vm(0.0),
    ad.input(1.0), pool.setN(5), pool.getN()."""
    moose.Neutral('/m')
    sg = moose.SpikeGen('/m/sg')
    sg.threshold = -1.0
    sg.Vm(0.0)
    p = moose.Pool('/m/p')
    p.setN(5.0)         # an unsolved Pool keeps n = nInit (pymoose 5.0.0: 0.0)
    assert p.n == 0.0 and p.getN() == 0.0
    bp = moose.BufPool('/m/bp')
    bp.setN(5.0)
    assert bp.n == 5.0 and bp.getN() == 5.0
    with pytest.raises(moose.FieldError, match='messages only'):
        sg.process()


def test_output_to_other_ports_and_after_new_messages():
    """Sends that are not a set<Field>: another Adaptor's input and a
    Table's input get each tick's value; a message made between runs is
    used from the next tick (the looked-up targets are made again)."""
    moose.Neutral('/m')
    src = moose.BufPool('/m/src')
    src.n = 4.0
    ad = moose.Adaptor('/m/ad')
    ad2 = moose.Adaptor('/m/ad2')           # after ad on the tick: sees its value
    tab = moose.Table('/m/tab')
    moose.connect(ad, 'requestOut', src, 'getN')
    moose.connect(ad, 'output', ad2, 'input')
    moose.connect(ad, 'output', tab, 'input')
    ad.scale = 0.5
    ad2.outputOffset = 1.0
    moose.reinit()
    moose.start(0.3)                        # three ticks
    assert ad.outputValue == 2.0 and ad2.outputValue == 3.0
    assert list(tab.vector)[-3:] == [2.0, 2.0, 2.0]
    src2 = moose.BufPool('/m/src2')
    src2.n = 10.0
    moose.connect(ad, 'requestOut', src2, 'getN')
    moose.start(0.1)
    assert ad.outputValue == 0.5 * (4.0 + 10.0) / 2
    assert ad2.outputValue == 1.0 + 0.5 * (4.0 + 10.0) / 2
    assert tab.vector[-1] == 3.5


def _fast_access_run(fast):
    """Adaptors reading a compartment's Vm (a plain column) and a solved
    pool's conc (a getter), writing a Ksolve pool's conc and n, a BufPool's
    conc (its own setter), a Gsolve pool's conc (hooks: the solver is told)
    and an unsolved Pool's conc (holds its own n); then one whose output
    goes negative.  Returns the recorded values and the error's words."""
    from moosepy.core import adaptor
    keep = adaptor.FAST_ACCESS
    adaptor.FAST_ACCESS = fast
    try:
        if moose.exists('/fa'):
            moose.delete('/fa')
        moose.Neutral('/fa')
        c = moose.Compartment('/fa/c')
        c.Rm, c.Cm, c.Em, c.initVm, c.inject = 1e9, 1e-11, -0.07, -0.07, 1e-11
        k = moose.CubeMesh('/fa/k')
        k.volume = 1e-18
        a = moose.Pool('/fa/k/a')
        b = moose.Pool('/fa/k/b')
        r = moose.Reac('/fa/k/r')
        r.Kf, r.Kb = 1.0, 0.5
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
        buf = moose.BufPool('/fa/k/buf')
        st = moose.Stoich('/fa/k/st')
        st.compartment = k
        st.ksolve = moose.Ksolve('/fa/k/ks')
        st.reacSystemPath = '/fa/k/##'
        g = moose.CubeMesh('/fa/g')
        g.volume = 1e-18
        gp = moose.Pool('/fa/g/gp')
        moose.Pool('/fa/g/gq')
        gst = moose.Stoich('/fa/g/st')
        gst.compartment = g
        gst.ksolve = moose.Gsolve('/fa/g/gs')
        gst.reacSystemPath = '/fa/g/##'
        free = moose.Pool('/fa/free')
        tabs = {}
        for name, src, sport, dst, dport, scale in (
                ('vm2a', c, 'getVm', a, 'setConc', -10.0),
                ('a2n', a, 'getConc', b, 'setN', 100.0),
                ('vm2buf', c, 'getVm', buf, 'setConc', -5.0),
                ('vm2g', c, 'getVm', gp, 'setConc', -2.0),
                ('vm2free', c, 'getVm', free, 'setConc', -1.0)):
            ad = moose.Adaptor('/fa/' + name)
            moose.connect(ad, 'requestOut', src, sport)
            moose.connect(ad, 'output', dst, dport)
            ad.scale = scale
            t = moose.Table2('/fa/t_' + name)
            moose.connect(t, 'requestOut', dst, 'getConc' if dport == 'setConc' else 'getN')
            t.tick = 18
            tabs[name] = t
        for tick in (11, 18):
            moose.setClock(tick, 0.05)
        moose.reinit()
        moose.start(0.5)
        out = {k2: np.array(t.vector) for k2, t in tabs.items()}
        out['a.n'] = a.n
        bad = moose.Adaptor('/fa/bad')
        moose.connect(bad, 'requestOut', c, 'getVm')
        moose.connect(bad, 'output', a, 'setConc')
        bad.scale = 10.0                    # Vm < 0: a negative concentration
        with pytest.raises(moose.MooseError) as e:
            moose.reinit()
            moose.start(0.1)
        return out, str(e.value)
    finally:
        adaptor.FAST_ACCESS = keep
        if moose.exists('/fa'):
            moose.delete('/fa')


def test_fast_access_gives_the_field_machinerys_values_and_errors():
    """The Adaptor's direct column reads and the Pool's writer
    (adaptor.FAST_ACCESS) against getattr/setattr: every value bit for bit,
    the same error for a negative concentration."""
    slow, slow_err = _fast_access_run(False)
    fast, fast_err = _fast_access_run(True)
    assert slow.keys() == fast.keys()
    for k in slow:
        assert np.array_equal(slow[k], fast[k]), k
    assert fast_err == slow_err and 'conc' in fast_err
    assert np.ptp(slow['vm2a']) > 0 and slow['vm2buf'][-1] > 0 and slow['vm2g'][-1] > 0
