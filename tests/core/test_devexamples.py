"""MOOSE's developer example classes Example and Ex, against pymoose 5.0.0
(side venv)."""

import pytest

import moosepy as moose
from side_pymoose import run_both

SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
e = moose.Example('/e'); x = moose.Ex('/x')
out = {'ticks': [e.tick, x.tick], 'defaults': [e.x, e.y, x.n, x.x, x.value[3], x.value[9]]}
x.value[3] = 2.5
x.n = 4
out['set'] = [x.value[3], x.n]
e.x = 1.5; e.y = 2.25
t = moose.Table2('/t'); moose.connect(e, 'output', t, 'input')
t2 = moose.Table2('/t2'); moose.connect(x, 'output', t2, 'input')
moose.reinit(); moose.start(5 * e.dt)
out['example'] = list(t.vector)
out['ex sends'] = len(t2.vector)
print('JSON' + json.dumps(out))
'''


def test_against_pymoose():
    out = run_both(SCRIPT)
    m, p = out['moose'], out['moosepy']
    for k in m:
        assert m[k].tolist() == p[k].tolist() if hasattr(m[k], 'tolist') else m[k] == p[k], k


def test_ex_values_after_reinit():
    """MOOSE's Ex empties its values at reinit (reading one then throws and
    crashes pymoose 5.0); moosepy raises FieldError."""
    if moose.exists('/exv'):
        moose.delete('/exv')
    moose.Neutral('/exv')
    x = moose.Ex('/exv/x')
    with pytest.raises(moose.FieldError, match='0..9'):
        x.value[10]
    moose.reinit()
    with pytest.raises(moose.FieldError, match='reinit'):
        x.value[0]
    moose.delete('/exv')
