"""An element's msgOut and msgIn list the messages pymoose 5.0.0 lists: a
shared message (axial/raxial, sub/reac, channel) in both ends' msgOut and
in its second end's msgIn, a one-way message (requestOut, spikeOut) at its
source's msgOut and its target's msgIn.  (MOOSE's own parent-child and
clock messages, which moosepy does not keep, are left out of the
comparison.)"""

from side_pymoose import run_both

SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/w')
s = moose.Compartment('/w/soma'); d = moose.Compartment('/w/dend')
moose.connect(s, 'axial', d, 'raxial')
k = moose.Leakage('/w/dend/leak'); moose.connect(d, 'channel', k, 'channel')
sg = moose.SpikeGen('/w/soma/sg'); moose.connect(s, 'VmOut', sg, 'Vm')
a = moose.Pool('/w/a'); b = moose.Pool('/w/b'); r = moose.Reac('/w/r')
moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'prd', b, 'reac')
t = moose.Table2('/w/t'); moose.connect(t, 'requestOut', b, 'getConc')
def ends(lst, me):
    out = []
    for m in lst:
        if m.className == 'OneToAllMsg' or m.e1.path.startswith('/clock'):
            continue        # (MOOSE's parent-child and clock messages)
        out.append([m.e1.path.replace('[0]', ''), m.e2.path.replace('[0]', '')])
    return sorted(out)
res = {}
for o in (s, d, k, sg, a, b, r, t):
    res[o.path.replace('[0]', '')] = [ends(o.msgOut, o), ends(o.msgIn, o)]
print('JSON' + json.dumps(res))
'''


def test_msg_out_and_in_list_what_pymoose_lists():
    r = run_both(SCRIPT, raw=True)
    mp, mo = r['moosepy'], r['moose']
    assert set(mp) == set(mo)
    for p in mo:
        assert mp[p][0] == mo[p][0], (p, 'msgOut', mo[p][0], mp[p][0])
        assert mp[p][1] == mo[p][1], (p, 'msgIn', mo[p][1], mp[p][1])
    # the dendrite lists the soma's axial message among its outgoing ones
    assert ['/w/soma', '/w/dend'] in mp['/w/dend'][0]
