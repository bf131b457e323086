"""SymCompartment 'sphere' and 'cylinder' links to children's
'proximalOnly' (a soma with evenly spaced dendrites, a dendrite with
spines), run by MOOSE's message passing and under HSolve: Vm traces
against pymoose 5.0.0, and the pairing rules of the ports."""

import numpy as np
import pytest

import moosepy as moose
from side_pymoose import run_both

_SIDE = r'''
import json, sys
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
solve = %(solve)r
moose.Neutral('/n')
def comp(name, ra, rm, cm):
    c = moose.SymCompartment('/n/' + name)
    c.Ra, c.Rm, c.Cm, c.Em, c.initVm = ra, rm, cm, -0.065, -0.065
    return c
soma = comp('soma', 2e6, 1e8, 1e-10)
d1 = comp('d1', 5e6, 3e8, 3e-11)
d2 = comp('d2', 8e6, 4e8, 2e-11)
sp = comp('sp', 3e7, 1e9, 5e-12)
moose.connect(soma, 'sphere', d1, 'proximalOnly', 'Single')
moose.connect(soma, 'sphere', d2, 'proximalOnly', 'Single')
moose.connect(d1, 'cylinder', sp, 'proximalOnly', 'Single')
soma.inject = 2e-10
out = {}
tabs = {}
for c in (soma, d1, d2, sp):
    t = moose.Table2('/n/t' + c.name)
    moose.connect(t, 'requestOut', c, 'getVm')
    tabs[c.name] = t
for i in range(10):
    moose.setClock(i, 1e-5)
moose.setClock(18, 1e-4)
if solve:
    hs = moose.HSolve('/n/hsolve')
    hs.dt = 1e-5
    hs.target = '/n/soma'
moose.reinit()
moose.start(0.02)
print('JSON' + json.dumps({k: list(t.vector) for k, t in tabs.items()}))
'''


@pytest.mark.parametrize('solve', [False, True])
def test_soma_dendrites_spine_as_pymoose(solve):
    res = run_both(_SIDE % {'solve': solve})
    a, b = res['moosepy'], res['moose']
    for k in b:
        ya, yb = np.asarray(a[k]), np.asarray(b[k])
        assert ya.shape == yb.shape, k
        # depolarisation from rest, compared to 1e-4 of its range
        rng = np.ptp(yb)
        assert rng > 1e-4, k
        assert np.abs(ya - yb).max() <= 1e-4 * rng, (k, np.abs(ya - yb).max() / rng)


def test_pairing():
    moose.Neutral('/n')
    s = moose.SymCompartment('/n/s')
    d = moose.SymCompartment('/n/d')
    e = moose.SymCompartment('/n/e')
    moose.connect(s, 'sphere', d, 'proximalOnly')
    moose.connect(d, 'cylinder', e, 'proximalOnly')
    moose.connect(s, 'sphere', e, 'cylinder')          # MOOSE pairs these too
    with pytest.raises(moose.MessageError, match="'distal'.*'proximalOnly'"):
        moose.connect(s, 'distal', e, 'proximalOnly')
