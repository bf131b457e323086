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
