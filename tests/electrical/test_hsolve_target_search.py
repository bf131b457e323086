"""An HSolve whose target names no element: MOOSE resolves the path to the
root and solves the cell of the first compartment a depth-first search
(last child first) finds there (HSolve::setPath); only with no unsolved
compartment left does it solve nothing.  Which compartments end up solved
is compared with pymoose 5.0.0 (its ZombieCompartment class names)."""

import pytest

from side_pymoose import run_both

ONE = r'''
import sys, json
who, tgt = sys.argv[1], TARGET
if who == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/n'); moose.Neutral('/n/elec')
c = moose.Compartment('/n/elec/compt')
moose.Neutral('/a'); moose.Neutral('/a/b'); d = moose.Compartment('/a/b/d')
d2 = moose.Compartment('/a/b/d2'); moose.connect(d, 'raxial', d2, 'axial')
h = moose.HSolve('/n/hsolve'); h.dt = 5e-5
h.target = tgt
moose.reinit()
moose.start(1e-3)
def solved(p):
    if who == 'moose':
        return moose.element(p).className.startswith('Zombie')
    return moose.element(p)._element().data.get('hsolve') is not None
out = {'solved': [solved(p) for p in ('/n/elec/compt', '/a/b/d', '/a/b/d2')]}
print('JSON' + json.dumps(out))
'''


@pytest.mark.parametrize('target', ['/n/compt', '/zzz', '/a/b/zz', '/n/elec'])
def test_target_search_as_pymoose(target):
    r = run_both(ONE.replace('TARGET', repr(target)))
    assert list(r['moosepy']['solved']) == list(r['moose']['solved'])
    # a path naming nothing solves the cell found last-child-first from the root
    if target != '/n/elec':
        assert list(r['moose']['solved']) == [False, True, True]
