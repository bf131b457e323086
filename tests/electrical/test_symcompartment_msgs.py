"""SymCompartments without HSolve, by message passing as MOOSE: a
neighbour reaches a compartment through Ra_n (1 + sum_k Ra/Ra_k)/2 over
its proximal, distal and sibling neighbours.  Oracle: pymoose 5.0.0 (side
venv) on a soma with two sibling dendrites and a chain below one."""

import numpy as np

from side_pymoose import run_both

SCRIPT = '''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/model')
def sc(name, Rm, Cm, Ra):
    c = moose.SymCompartment('/model/' + name)
    c.Em = -0.06; c.initVm = -0.06; c.Rm = Rm; c.Cm = Cm; c.Ra = Ra
    return c
soma = sc('soma', 1e9, 2e-11, 2e5)
d1 = sc('d1', 4e8, 2e-12, 2e7)
d2 = sc('d2', 3e10, 8e-13, 3e7)
d3 = sc('d3', 4e8, 2e-12, 1e7)
moose.connect(d1, 'proximal', soma, 'distal')
moose.connect(d2, 'proximal', soma, 'distal')
moose.connect(d1, 'sibling', d2, 'sibling')
moose.connect(d3, 'proximal', d1, 'distal')
pg = moose.PulseGen('/model/pulse')
pg.delay[0] = 1e-3; pg.width[0] = 2e-3; pg.level[0] = 1e-10; pg.delay[1] = 1e9
moose.connect(pg, 'output', d3, 'injectMsg')
out = {}
tabs = []
for c in (soma, d1, d2, d3):
    t = moose.Table('/model/t' + c.name)
    moose.connect(t, 'requestOut', c, 'getVm')
    tabs.append(t)
for i in range(3):
    moose.setClock(i, 1e-5)
moose.useClock(0, '/model/##[ISA=Compartment]', 'init')
moose.useClock(1, '/model/##', 'process')
moose.useClock(2, '/model/##[ISA=Table]', 'process')
moose.reinit()
moose.start(5e-3)
for t in tabs:
    out[t.name] = list(map(float, t.vector))
print('JSON' + json.dumps(out))
'''


def test_sym_star_coupling_as_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    assert set(a) == set(b)
    for k in b:
        assert len(a[k]) == len(b[k]) == 501
        np.testing.assert_allclose(a[k], b[k], rtol=1e-9, atol=1e-12, err_msg=k)
    assert b['tsoma'][-1] > -0.06 + 1e-4       # the pulse reached the soma
