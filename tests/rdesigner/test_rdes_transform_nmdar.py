"""rdesigneur.transformNMDAR (run on every cell read from a file) against
pymoose 5.0.0's: a SynChan named NMDA becomes an NMDAChan keeping Ek, tau1,
tau2 and Gbar, with messages to the same elements as MOOSE's; a cell without one is left as it is."""

import json

import pytest

from side_pymoose import run_both

SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose, importlib
    rd = importlib.import_module('rdesigneur.rdesigneur')    # (the module, not the class)
else:
    import moosepy as moose, moosepy.rdesigner as rd
moose.Neutral('/cell')
s = moose.Compartment('/cell/soma')
d = moose.Compartment('/cell/dend')
moose.connect(s, 'axial', d, 'raxial')
if sys.argv[2] == 'nmda':
    c = moose.SynChan('/cell/dend/NMDA')
    c.Ek, c.tau1, c.tau2, c.Gbar = 0.01, 3e-3, 40e-3, 2e-9
    moose.connect(d, 'channel', c, 'channel')
    moose.CaConc('/cell/dend/Ca_conc')
rd.transformNMDAR('/cell')
out = {}
for e in moose.wildcardFind('/cell/##'):
    p = e.path.replace('[0]', '')
    row = {'cls': e.className}
    if e.className in ('SynChan', 'NMDAChan'):
        row.update(Ek=e.Ek, tau1=e.tau1, tau2=e.tau2, Gbar=e.Gbar)
    # the elements it exchanges messages with (MOOSE names a shared
    # message's fields by their parts and lists it on both ends' msgOut)
    me = e.path.replace('[0]', '')
    ends = set()
    for m in list(e.msgOut) + list(e.msgIn):
        if 'childOut' in m.srcFieldsOnE1:
            continue        # (MOOSE's parent-child link is a message too)
        for x in (m.e1, m.e2):
            q = x.path.replace('[0]', '')
            if q != me and q.startswith('/cell'):
                ends.add(q)
    row['out'] = sorted(ends)
    out[p] = row
print('JSON' + json.dumps(out))
'''


@pytest.mark.parametrize('case', ['nmda', 'none'])
def test_transform_nmdar_as_pymoose(case):
    r = run_both(SCRIPT, args=(case,), raw=True)
    mp, mo = r['moosepy'], r['moose']
    assert set(mp) == set(mo)
    for p in mo:
        assert mp[p]['cls'] == mo[p]['cls'], p
        for f in ('Ek', 'tau1', 'tau2', 'Gbar'):
            if f in mo[p]:
                assert mp[p][f] == pytest.approx(mo[p][f], rel=1e-12), (p, f)
        assert mp[p]['out'] == mo[p]['out'], (p, mo[p]['out'], mp[p]['out'])
    if case == 'nmda':
        assert mp['/cell/dend/NMDA']['cls'] == 'NMDAChan'
    else:
        assert all(v['cls'] != 'NMDAChan' for v in mp.values())
