"""wildcardFind over vec elements: which entries come back.

Oracle: pymoose 5.0.0 running the same script (side venv; skipped when
absent).  MOOSE lists every entry of a vec for a level whose name ends in
'#' (or is '##', or has an empty '[]'), entry N for '[N]', entry 0 for a
plain name; a field element (synapses) once per parent entry.
"""

import pytest

from side_pymoose import run_both

SCRIPT = '''
import json, sys, warnings
warnings.simplefilter('ignore')
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/n')
moose.IntFire('/n/a', 3)
moose.Pool('/n/b')
moose.Neutral('/n/c', 2)
moose.Neutral('/n/c/d')
s = moose.SimpleSynHandler('/n/sh', 2)
s.vec.numSynapses = 2
f = moose.vec('/n/a')
f.Vm = [0.5, -2.0, 0.7]
out = {}
for pat in ['/n/#', '/n/##', '/n/a', '/n/a[1]', '/n/#[TYPE=IntFire]', '/n/##[ISA=IntFire]',
            '/n/c/#', '/n/sh/#', '/n/##[TYPE=Synapse]', '/##[FIELD(Vm)>0]', '/n/#[FIELD(Vm)>0]',
            '/n/a[]', '/n/a[2]', '/n/a[5]', '/n/#[0]', '/n/a#', '/n/a,/n/#[TYPE=IntFire]']:
    out[pat] = [x.path for x in moose.wildcardFind(pat)]
print('JSON' + json.dumps(out))
'''


def test_entries_as_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    assert set(a) == set(b)
    for pat in b:
        assert list(a[pat]) == list(b[pat]), pat
    # what the comparison covers: every entry of the vec, per-entry fields
    assert list(b['/n/#[TYPE=IntFire]']) == ['/n[0]/a[0]', '/n[0]/a[1]', '/n[0]/a[2]']
    assert list(b['/##[FIELD(Vm)>0]']) == ['/n[0]/a[0]', '/n[0]/a[2]']


def test_wildcard_elements_lists_each_element_once():
    """moosepy's per-element helper (what the Stoich collects pools with)
    takes a vec once while wildcardFind lists its entries."""
    import moosepy as moose
    from moosepy.core.shell import wildcard_elements
    moose.Neutral('/wv')
    moose.Pool('/wv/a', 4)
    moose.Reac('/wv/r')
    assert len(moose.wildcardFind('/wv/#')) == 5
    assert [e.name for e in wildcard_elements('/wv/#')] == ['a', 'r']
