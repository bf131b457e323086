"""Messages: connect with every msgType, Sparse editing, validation errors,
auto get/set destinations and message introspection."""

import numpy as np
import pytest

import moosepy as moose


def _mentions_path(msg, plain):
    indexed = '/' + '/'.join(p + '[0]' for p in plain.strip('/').split('/'))
    return plain in msg or indexed in msg


def _pairs(m):
    a, b = m.pairs()
    return sorted(zip((int(x) for x in a), (int(y) for y in b)))


def _epaths(objs):
    return [moose.element(o).path for o in objs]


@pytest.fixture
def arrays():
    """Two Pool arrays (3 and 4 entries) and a Table2 array of 3."""
    moose.Neutral('/m')
    a = moose.Pool('/m/a', 3)
    b = moose.Pool('/m/b', 4)
    c = moose.Pool('/m/c', 3)
    t = moose.Table2('/m/t', 3)
    return a, b, c, t


# ------------------------------------------------------------ msg types
class TestMsgTypes:
    def test_single(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(moose.vec(a)[1], 'nOut', moose.vec(b)[2], 'setN')
        assert m.className == 'SingleMsg'
        assert _pairs(m) == [(1, 2)]
        assert list(m.srcFieldsOnE1) == ['nOut']
        assert list(m.destFieldsOnE2) == ['setN']

    def test_msg_e1_e2_are_moose_objects(self, arrays):
        # MOOSE: msg.e1 / msg.e2 are Ids (vecs) usable with moose.element
        a, b, c, t = arrays
        m = moose.connect(a, 'nOut', b, 'setN')
        assert moose.element(m.e1).name == 'a'
        assert moose.element(m.e2).name == 'b'
        assert moose.element(m.e1).path == '/m[0]/a[0]'

    def test_single_default_msgtype(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(a, 'nOut', b, 'setN')
        assert m.className == 'SingleMsg'
        assert _pairs(m) == [(0, 0)]

    def test_single_by_path(self, arrays):
        m = moose.connect('/m/a[2]', 'nOut', '/m/b[1]', 'setN')
        assert _pairs(m) == [(2, 1)]

    def test_one_to_one(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(t, 'requestOut', c, 'getConc', 'OneToOne')
        assert m.className == 'OneToOneMsg'
        assert _pairs(m) == [(0, 0), (1, 1), (2, 2)]

    def test_one_to_one_size_mismatch(self, arrays):
        # MOOSE accepts it and pairs the entries below the smaller count
        # (pymoose oracle: tests/core/test_onetoone_sizes.py)
        a, b, c, t = arrays
        m = moose.connect(t, 'requestOut', b, 'getConc', 'OneToOne')
        assert _pairs(m) == [(0, 0), (1, 1), (2, 2)]

    def test_one_to_all(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(moose.vec(a)[1], 'nOut', b, 'setN', 'OneToAll')
        assert m.className == 'OneToAllMsg'
        assert _pairs(m) == [(1, 0), (1, 1), (1, 2), (1, 3)]

    def test_diagonal_default_stride_is_one(self, arrays):
        # MOOSE's DiagonalMsg starts with stride 1
        a, b, c, t = arrays
        m = moose.connect(a, 'nOut', b, 'setN', 'Diagonal')
        assert m.className == 'DiagonalMsg'
        assert m.stride == 1
        assert _pairs(m) == [(0, 1), (1, 2), (2, 3)]

    def test_diagonal_stride(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(a, 'nOut', b, 'setN', 'Diagonal')
        m.stride = -1
        assert _pairs(m) == [(1, 0), (2, 1)]
        m.stride = 2
        assert _pairs(m) == [(0, 2), (1, 3)]

    def test_sparse_set_entry(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(a, 'nOut', b, 'setN', 'Sparse')
        assert m.className == 'SparseMsg'
        assert _pairs(m) == []
        m.setEntry(0, 3, 0)
        m.setEntry(2, 1, 0)
        assert _pairs(m) == [(0, 3), (2, 1)]

    def test_sparse_pair_fill(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(a, 'nOut', b, 'setN', 'Sparse')
        m.pairFill([0, 1, 2, 2], [3, 2, 1, 0])
        assert _pairs(m) == [(0, 3), (1, 2), (2, 0), (2, 1)]

    def test_sparse_random_connectivity(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a', 20)
        b = moose.Pool('/m/b', 30)
        m1 = moose.connect(a, 'nOut', b, 'setN', 'Sparse')
        m1.setRandomConnectivity(0.3, 42)
        p1 = _pairs(m1)
        m2 = moose.connect(a, 'nOut', b, 'setN', 'Sparse')
        m2.setRandomConnectivity(0.3, 42)
        assert _pairs(m2) == p1              # same seed, same pairs
        m3 = moose.connect(a, 'nOut', b, 'setN', 'Sparse')
        m3.setRandomConnectivity(0.3, 43)
        assert _pairs(m3) != p1
        assert len(set(p1)) == len(p1)
        assert all(0 <= i < 20 and 0 <= j < 30 for i, j in p1)
        # 600 candidate pairs at p = 0.3: 180 +- 5 sigma (sigma = 11.2)
        assert 124 <= len(p1) <= 236

    def test_sparse_random_extremes(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(a, 'nOut', b, 'setN', 'Sparse')
        m.setRandomConnectivity(1.0, 1)
        assert _pairs(m) == [(i, j) for i in range(3) for j in range(4)]
        m.setRandomConnectivity(0.0, 1)
        assert _pairs(m) == []

    def test_sparse_editing_only_on_sparse(self, arrays):
        a, b, c, t = arrays
        m = moose.connect(a, 'nOut', b, 'setN', 'Single')
        with pytest.raises(moose.MessageError):
            m.setEntry(0, 0, 0)

    def test_msg_appears_in_msgin_msgout(self, arrays):
        a, b, c, t = arrays
        n_out, n_in = len(a.msgOut), len(b.msgIn)
        m = moose.connect(a, 'nOut', b, 'setN')
        assert len(a.msgOut) == n_out + 1
        assert len(b.msgIn) == n_in + 1
        assert m in list(a.msgOut)
        assert m in list(b.msgIn)


# ------------------------------------------------------------ errors
class TestConnectErrors:
    @pytest.fixture
    def objs(self):
        moose.Neutral('/m')
        p = moose.Pool('/m/p')
        q = moose.Pool('/m/q')
        r = moose.Reac('/m/r')
        t = moose.Table2('/m/t')
        return p, q, r, t

    def _state(self, *objs):
        return [(list(o.msgIn), list(o.msgOut)) for o in objs]

    def _fails(self, objs, src, sf, dest, df, msgType='Single'):
        before = self._state(*objs)
        with pytest.raises(moose.MessageError) as ei:
            moose.connect(src, sf, dest, df, msgType)
        assert self._state(*objs) == before
        return str(ei.value)

    def test_unknown_src_port(self, objs):
        p, q, r, t = objs
        msg = self._fails(objs, p, 'nOutt', q, 'setN')
        assert _mentions_path(msg, '/m/p')
        assert 'nOutt' in msg
        assert 'nOut' in msg.replace('nOutt', '')
        assert 'reac' in msg          # lists the valid source ports

    def test_unknown_dest_port(self, objs):
        p, q, r, t = objs
        msg = self._fails(objs, p, 'nOut', q, 'setNN')
        assert _mentions_path(msg, '/m/q')
        assert 'setNN' in msg
        assert 'increment' in msg     # lists valid destinations

    def test_wrong_direction(self, objs):
        # a destination used as a source
        p, q, r, t = objs
        msg = self._fails(objs, p, 'setN', q, 'setN')
        assert _mentions_path(msg, '/m/p')
        assert 'setN' in msg
        assert 'nOut' in msg          # names the valid sources

    def test_wrong_direction_src_as_dest(self, objs):
        p, q, r, t = objs
        msg = self._fails(objs, p, 'nOut', q, 'nOut')
        assert _mentions_path(msg, '/m/q')
        assert 'nOut' in msg
        assert 'valid' in msg.lower()

    @pytest.mark.parametrize('src,sf,dest,df,paths', [
        ('p', 'reac', 't', 'input', ('/m/p', '/m/t')),
        ('p', 'reac', 't', 'requestOut', ('/m/p', '/m/t')),
        ('t', 'requestOut', 'p', 'reac', ('/m/t', '/m/p')),
        ('r', 'sub', 'r', 'prd', ('/m/r',)),
        ('p', 'reac', 'q', 'reac', ('/m/p', '/m/q')),
        ('t', 'requestOut', 'p', 'setN', ('/m/t', '/m/p')),
        ('p', 'nOut', 'q', 'getConc', ('/m/p', '/m/q')),
    ])
    def test_incompatible(self, objs, src, sf, dest, df, paths):
        d = dict(zip('pqrt', objs))
        msg = self._fails(objs, d[src], sf, d[dest], df)
        assert sf in msg and df in msg
        assert any(_mentions_path(msg, pth) for pth in paths)
        assert 'valid' in msg.lower()

    def test_unknown_msg_type(self, objs):
        p, q, r, t = objs
        msg = self._fails(objs, p, 'nOut', q, 'setN', 'OneToMany')
        assert 'OneToMany' in msg
        for ok in ('Single', 'OneToAll', 'OneToOne', 'Diagonal', 'Sparse'):
            assert ok in msg

    def test_message_error_is_moose_error(self, objs):
        p, q, r, t = objs
        with pytest.raises(moose.MooseError):
            moose.connect(p, 'bogus', q, 'setN')

    def test_connect_method(self, objs):
        p, q, r, t = objs
        m = t.connect('requestOut', p, 'getConc')
        assert m.className == 'SingleMsg'


# ------------------------------------------------------------ auto get/set
class TestAutoGetSet:
    def test_getconc_and_setconcinit_valid(self):
        moose.Neutral('/m')
        p = moose.Pool('/m/p')
        q = moose.Pool('/m/q')
        t = moose.Table2('/m/t')
        moose.connect(t, 'requestOut', p, 'getConc')
        moose.connect(t, 'requestOut', p, 'getN')
        moose.connect(p, 'nOut', q, 'setConcInit')
        moose.connect(p, 'nOut', q, 'setN')

    def test_every_value_field_has_get_and_set(self):
        dests = set(moose.getFieldNames('Pool', 'destFinfo'))
        vf = moose.element('/classes/Pool').valueFields
        for name, (typ, unit, ro, doc) in vf.items():
            cap = name[0].upper() + name[1:]
            assert 'get' + cap in dests, name
            if ro:
                assert 'set' + cap not in dests, name
            else:
                assert 'set' + cap in dests, name

    def test_every_class_value_field_getter(self):
        for cname in ('Reac', 'Table2', 'Function', 'Ksolve', 'CubeMesh', 'Enz'):
            dests = set(moose.getFieldNames(cname, 'destFinfo'))
            for name in moose.getFieldNames(cname, 'valueFinfo'):
                assert 'get' + name[0].upper() + name[1:] in dests, (cname, name)

    def test_set_read_only_invalid(self):
        moose.Neutral('/m')
        p = moose.Pool('/m/p')
        q = moose.Pool('/m/q')
        before = (list(q.msgIn), list(p.msgOut))
        with pytest.raises(moose.MessageError) as ei:
            moose.connect(p, 'nOut', q, 'setClassName')
        assert 'setClassName' in str(ei.value)
        with pytest.raises(moose.MessageError):
            moose.connect(p, 'nOut', q, 'setVolume')
        assert (list(q.msgIn), list(p.msgOut)) == before

    def test_reac_auto_fields(self):
        moose.Neutral('/m')
        r = moose.Reac('/m/r')
        f = moose.Function('/m/f')
        moose.connect(f, 'valueOut', r, 'setNumKf')
        moose.connect(f, 'valueOut', r, 'setKf')
        with pytest.raises(moose.MessageError):
            moose.connect(f, 'valueOut', r, 'setNumSubstrates')


# ------------------------------------------------------------ introspection
class TestIntrospection:
    @pytest.fixture
    def reac2a(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a')
        b = moose.Pool('/m/b')
        c = moose.Pool('/m/c')
        r = moose.Reac('/m/r')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'sub', b, 'reac')
        moose.connect(r, 'prd', c, 'reac')
        return a, b, c, r

    def test_num_substrates_counts_repeats(self, reac2a):
        a, b, c, r = reac2a
        assert r.numSubstrates == 3
        assert r.numProducts == 1

    def test_two_a(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a')
        c = moose.Pool('/m/c')
        r = moose.Reac('/m/r')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', c, 'reac')
        assert r.numSubstrates == 2
        assert _epaths(r.neighbors['sub']) == ['/m[0]/a[0]', '/m[0]/a[0]']

    def test_neighbors_lookup(self, reac2a):
        a, b, c, r = reac2a
        assert _epaths(r.neighbors['sub']) == ['/m[0]/a[0]', '/m[0]/a[0]', '/m[0]/b[0]']
        assert _epaths(r.neighbors['prd']) == ['/m[0]/c[0]']
        # from the pool side: the reaction, twice
        assert _epaths(a.neighbors['reac']) == ['/m[0]/r[0]', '/m[0]/r[0]']
        assert r.neighbors['nothing'] == []

    def test_neighbors_function(self, reac2a):
        a, b, c, r = reac2a
        assert _epaths(moose.neighbors(r, 'sub')) == ['/m[0]/a[0]', '/m[0]/a[0]', '/m[0]/b[0]']
        assert _epaths(moose.neighbors(r, 'prd')) == ['/m[0]/c[0]']
        assert len(moose.neighbors(r, '*')) == 4

    def test_neighbors_direction(self):
        moose.Neutral('/m')
        p = moose.Pool('/m/p')
        t = moose.Table2('/m/t')
        moose.connect(t, 'requestOut', p, 'getConc')
        assert _epaths(moose.neighbors(t, 'requestOut')) == ['/m[0]/p[0]']
        assert _epaths(moose.neighbors(p, 'getConc')) == ['/m[0]/t[0]']
        assert moose.neighbors(p, 'getConc', direction='output') == []
        assert _epaths(moose.neighbors(p, 'getConc', direction='input')) == ['/m[0]/t[0]']

    def test_msgin_msgout(self, reac2a):
        a, b, c, r = reac2a
        out = [m for m in r.msgOut if m.className == 'SingleMsg']
        assert len(out) == 4
        assert sorted(m.srcFieldsOnE1[0] for m in out) == ['prd', 'sub', 'sub', 'sub']
        into_a = [m for m in a.msgIn if m.className == 'SingleMsg'
                  and m.srcFieldsOnE1[0] in ('sub', 'prd')]
        assert len(into_a) == 2
        assert all(m.destFieldsOnE2[0] == 'reac' for m in into_a)

    def test_showmsg(self, reac2a, capsys):
        a, b, c, r = reac2a
        t = moose.Table2('/m/t')
        moose.connect(t, 'requestOut', a, 'getConc')
        moose.showmsg(a)
        out = capsys.readouterr().out
        assert 'INCOMING' in out.upper()
        assert 'OUTGOING' in out.upper()
        assert 'getConc' in out
        assert 'requestOut' in out
        assert 'reac' in out
        assert _mentions_path(out, '/m/t')
        assert _mentions_path(out, '/m/r')

    def test_listmsg(self, reac2a):
        a, b, c, r = reac2a
        msgs = moose.listmsg(r)
        assert len([m for m in msgs if m.className == 'SingleMsg']) == 4

    def test_delete_drops_neighbors(self, reac2a):
        a, b, c, r = reac2a
        moose.delete(b)
        assert _epaths(r.neighbors['sub']) == ['/m[0]/a[0]', '/m[0]/a[0]']
        assert r.numSubstrates == 2


def test_element_of_a_message_is_the_message():
    """MOOSE scripts call moose.element(connect(...)) to reach a Sparse
    message's methods (recurrentIntFire.py: setRandomConnectivity)."""
    moose.Neutral('/net')
    moose.IntFire('/net/a', 4)
    moose.SimpleSynHandler('/net/s', 4)
    m = moose.connect(moose.vec('/net/a'), 'spikeOut', moose.vec('/net/s/synapse'),
                      'addSpike', 'Sparse')
    assert moose.element(m) is m
    moose.element(m).setRandomConnectivity(0.5, 1)


def test_deleted_messages_leave_the_serial_registry():
    """Messages are found by their /Msgs path through a registry by serial;
    deleting a model or one message takes them out of it (no model is kept
    alive by its messages)."""
    from moosepy.core import msg as M
    from moosepy.core.msgclasses import msg_at
    n0 = len(M._LIVE)
    moose.Neutral('/m')
    cs = [moose.Compartment(f'/m/c{i}') for i in range(5)]
    ms = [moose.connect(a, 'raxial', b, 'axial') for a, b in zip(cs, cs[1:])]
    assert len(M._LIVE) == n0 + 4
    assert msg_at(ms[0].path) is ms[0]
    moose.delete(ms[1])
    assert len(M._LIVE) == n0 + 3 and msg_at(ms[1].path) is None
    moose.delete('/m')
    assert len(M._LIVE) == n0
    assert msg_at(ms[0].path) is None
