"""Species: molWt default and setting, the pool <-> species link, against
pymoose 5.0.0 (side venv)."""

import pytest

import moosepy as moose
from moosepy.kinetics.species import species_of
from side_pymoose import run_both

SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
sp = moose.Species('/sp')
out = {'default': sp.molWt, 'tick': sp.tick}
sp.molWt = 40.0
out['set'] = sp.molWt
p = moose.Pool('/p')
m = moose.connect(sp, 'pool', p, 'species')
out['class'] = moose.element(m).className
out['neighbours'] = [x.path.replace('[0]', '') for x in p.neighbors['species']]
print('JSON' + json.dumps(out))
'''


def test_against_pymoose():
    out = run_both(SCRIPT)
    m, p = out['moose'], out['moosepy']
    for k in m:
        assert (m[k].tolist() if hasattr(m[k], 'tolist') else m[k]) == \
            (p[k].tolist() if hasattr(p[k], 'tolist') else p[k]), k


def test_link_and_errors():
    for x in ('/spx',):
        if moose.exists(x):
            moose.delete(x)
    moose.Neutral('/spx')
    sp = moose.Species('/spx/ca')
    p = moose.Pool('/spx/p')
    assert species_of(p) is None
    moose.connect(sp, 'pool', p, 'species')
    assert species_of(p).path == sp.path
    with pytest.raises(moose.FieldError, match='molWt'):
        sp.molWt = float('nan')
    with pytest.raises(moose.MessageError):
        moose.connect(sp, 'pool', p, 'reac')
    moose.delete('/spx')
