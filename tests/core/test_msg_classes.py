"""Message classes as named classes (SingleMsg, OneToAllMsg, OneToOneMsg,
DiagonalMsg, SparseMsg): what connect gives, paths under /Msgs, fields and
SparseMsg editing, checked against pymoose 5.0.0 (side venv)."""

import json

import pytest

import moosepy as moose
from side_pymoose import run_both

SCRIPT = r'''
import sys, json, re
who = sys.argv[1]
if who == 'moose':
    import moose
else:
    import moosepy as moose
a = moose.Pool('/a', 3); b = moose.Pool('/b', 3); r = moose.Reac('/r')
out = {}
ms = {'single': moose.connect(moose.element('/a[2]'), 'nOut', moose.element('/b[1]'), 'nIn'),
      'o2a': moose.connect(moose.element('/a[1]'), 'nOut', moose.vec('/b'), 'increment',
                           'OneToAll'),
      'o2o': moose.connect(moose.vec('/a'), 'nOut', moose.vec('/b'), 'decrement', 'OneToOne'),
      'diag': moose.connect(moose.vec('/a'), 'nOut', moose.vec('/b'), 'nIn', 'Diagonal'),
      'sparse': moose.connect(moose.vec('/a'), 'nOut', moose.vec('/b'), 'increment',
                              'Sparse')}
for k, m in ms.items():
    e = moose.element(m)
    out[k] = [e.className, e.name, re.sub(r'\[\d+\]$', '[N]', e.path), e.parent.path,
              e.isA['Msg'], e.tick, moose.exists(e.path), moose.element(e.path).className,
              type(moose.element(e.path)).__name__,
              # (a vec's path: '/a' in MOOSE, '/a[0]' in moosepy)
              e.e1.path.replace('[0]', ''), e.e2.path.replace('[0]', '')]
s = ms['single']
out['single i'] = [s.i1, s.i2]
s.i2 = 0
out['single i2 set'] = s.i2
out['o2a i1'] = ms['o2a'].i1
d = ms['diag']
out['stride'] = d.stride
d.stride = -1
out['stride set'] = d.stride
m = ms['sparse']
def rep(m):
    return [int(m.numRows), int(m.numColumns), int(m.numEntries), [int(x) for x in m.matrixEntry],
            [int(x) for x in m.columnIndex], [int(x) for x in m.rowStart],
            [int(x) for x in m.connectionList]]
out['sparse0'] = rep(m)
m.setEntry(0, 2, 7); m.setEntry(1, 0, 0); m.setEntry(0, 1, 0)
out['setEntry'] = rep(m)
m.setEntry(2, 1, 4)
m.transpose()
out['transpose'] = rep(m)
m.transpose()
m.unsetEntry(1, 0)
out['unset'] = rep(m)
m.unsetEntry(1, 2)
out['unset absent'] = rep(m)
m.clear()
out['clear'] = rep(m)
m.setRandomConnectivity(0.5, 3)
n = int(m.numEntries)
me = [int(x) for x in m.matrixEntry]
cols = [int(x) for x in m.columnIndex]
# each entry's value: how many earlier entries (row by row) share its column
out['random entries'] = me == [cols[:k].count(c) for k, c in enumerate(cols)]
p = moose.element(ms['o2a']).path
n0 = len(moose.element('/a[1]').msgOut)
moose.delete(p)
out['deleted by path'] = n0 - len(moose.element('/a[1]').msgOut)
print('JSON' + json.dumps({'r': json.dumps(out)}))   # ragged lists: one string
'''


def test_against_pymoose():
    out = run_both(SCRIPT)
    m, p = json.loads(out['moose']['r']), json.loads(out['moosepy']['r'])
    assert set(m) == set(p)
    for k in m:
        assert m[k] == p[k], (k, m[k], p[k])


@pytest.fixture
def net():
    for x in ('/mc',):
        if moose.exists(x):
            moose.delete(x)
    moose.Neutral('/mc')
    a = moose.Pool('/mc/a', 3)
    b = moose.Pool('/mc/b', 3)
    yield a, b
    moose.delete('/mc')


def test_classes_and_isinstance(net):
    a, b = net
    m = moose.connect(moose.vec('/mc/a'), 'nOut', moose.vec('/mc/b'), 'nIn', 'Sparse')
    assert isinstance(m, moose.SparseMsg) and isinstance(m, moose.Msg)
    assert not isinstance(m, moose.SingleMsg)
    s = moose.connect(a, 'nOut', b, 'nIn')
    assert type(s) is moose.SingleMsg and moose.element(s.path) is s
    assert moose.element('/classes/SparseMsg').baseClass == 'Msg'
    assert 'matrixEntry' in moose.getFieldNames('SparseMsg')
    assert set(moose.getFieldNames('SingleMsg')) >= {'e1', 'e2', 'i1', 'i2', 'srcFieldsOnE1'}
    with pytest.raises(moose.PathError, match='connect'):
        moose.SingleMsg('/mc/x')
    with pytest.raises(moose.FieldError, match='i1'):
        s.i1 = -1
    with pytest.raises(moose.FieldError, match='read-only|writable'):
        s.setField('e1', a)
    # adjacent: the other end (pymoose 5.0 cannot take an object as the key)
    assert s.adjacent[a].path == b.path
    assert s.adjacent[b].path == a.path
    # the path of a deleted message is gone
    path = s.path
    moose.delete(s)
    assert not moose.exists(path)
    with pytest.raises(moose.PathError):
        moose.element(path)


def test_triplet_and_pair_fill(net):
    m = moose.connect(moose.vec('/mc/a'), 'nOut', moose.vec('/mc/b'), 'nIn', 'Sparse')
    m.pairFill([0, 1, 2, 2], [2, 2, 0, 2])
    # MOOSE's pairFill: an entry's value counts the earlier ones to its column
    assert m.matrixEntry.tolist() == [0, 1, 0, 2]
    assert m.columnIndex.tolist() == [2, 2, 0, 2]
    m.tripletFill1([0, 1, 2, 1, 1, 1, 5, 6, 7])
    assert m.numEntries == 3
    assert m.matrixEntry.tolist() == [5, 6, 7]
    with pytest.raises(moose.MessageError, match='3n'):
        m.tripletFill1([0, 1])
