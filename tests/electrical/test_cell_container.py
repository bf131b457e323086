"""Cell (MOOSE's GENESIS-style cell container) against pymoose 5.0.0:
fields, methods, and that no solver appears under it."""

import pytest

import moosepy as moose
from side_pymoose import run_both

SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
c = moose.Cell('/c')
f = ['description', 'implicit', 'method', 'solverClock', 'solverName', 'variableDt', 'tick']
out = {'default': [getattr(c, k) for k in f]}
c.method = 'ee'
out['ee'] = [getattr(c, k) for k in f]
c.method = 'hsolve'
a = moose.Compartment('/c/a')
a.Rm, a.Cm, a.Em, a.initVm, a.inject = 1e8, 1e-11, -0.07, -0.07, 1e-10
t = moose.Table2('/t'); moose.connect(t, 'requestOut', a, 'getVm')
moose.reinit(); moose.start(0.01)
out['children'] = sorted(x.name for x in c.children)
out['vm'] = list(t.vector)
print('JSON' + json.dumps({'r': json.dumps(out)}))
'''


def test_against_pymoose():
    import json
    out = run_both(SCRIPT)
    m, p = json.loads(out['moose']['r']), json.loads(out['moosepy']['r'])
    for k in ('default', 'ee', 'children'):
        assert m[k] == p[k], k
    # the compartment is stepped on its own (no solver made): same trace
    assert len(m['vm']) == len(p['vm'])
    assert max(abs(a - b) for a, b in zip(m['vm'], p['vm'])) < 1e-9


def test_unknown_method_raises():
    if moose.exists('/cc'):
        moose.delete('/cc')
    c = moose.Cell('/cc')
    with pytest.raises(moose.FieldError, match='ee, hsolve'):
        c.method = 'gsl'
    moose.delete('/cc')
