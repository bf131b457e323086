"""Interpol, Interpol2D, VectorTable and Arith against independent oracles
(numpy's and scipy's linear/bilinear interpolation, plain sums) and against
pymoose 5.0.0 running the same script (side venv)."""

import numpy as np
import pytest
from scipy.interpolate import RegularGridInterpolator

import moosepy as moose
from side_pymoose import run_both


def _clamped_interp(x, xmin, xmax, table):
    return np.interp(x, np.linspace(xmin, xmax, len(table)), table)


def test_interpol_follows_its_input_like_numpy_interp():
    """A StimulusTable sweeps x over -4..4 into an Interpol of sin over
    -3.14..3.14; y at each tick is numpy.interp of the table at the x sent
    on the tick before (clamped to the end values outside the range), and
    lookupOut pushes the same values to a Table."""
    dt = 1e-3
    moose.Neutral('/m')
    ip = moose.Interpol('/m/sin')
    tab = np.sin(np.linspace(-3.14, 3.14, 100))
    ip.vector = tab
    ip.xmin, ip.xmax = -3.14, 3.14
    st = moose.StimulusTable('/m/x')
    st.vector = np.linspace(-4, 4, 1000)
    moose.connect(st, 'output', ip, 'input')
    rec, push = moose.Table('/m/rec'), moose.Table('/m/push')
    moose.connect(rec, 'requestOut', ip, 'getY')
    moose.connect(ip, 'lookupOut', push, 'input')
    for t in (0, 8):
        moose.setClock(t, dt)
    moose.reinit()
    moose.start(1.0)
    # x seen at step k is the StimulusTable's output of step k-1 (same tick,
    # created later), i.e. at time (k-1) dt; at step 1 the reinit value
    t = np.arange(1, 1001) * dt
    x = np.interp(t - dt, np.linspace(0, 1, 1000), np.linspace(-4, 4, 1000))
    want = _clamped_interp(x, -3.14, 3.14, tab)
    assert np.max(np.abs(rec.vector[1:] - want)) < 1e-13
    assert np.max(np.abs(push.vector - want)) < 1e-13
    assert ip.lookup(10.0) == tab[-1] and ip.lookup(-10.0) == tab[0]


def test_interpol_table_tools_and_errors():
    ip = moose.Interpol('/ip')
    ip.vector = [1.0, 2.0, 4.0]
    ip.linearTransform(2.0, 1.0)
    assert list(ip.vector) == [3.0, 5.0, 9.0]
    assert ip.compareVec([3.0, 5.0, 10.0], 'rmsd') == pytest.approx(np.sqrt(1 / 3))
    assert ip.outputValue == pytest.approx(np.sqrt(1 / 3))
    with pytest.raises(moose.FieldError, match=r'ip.*xmin.*differ'):
        ip.xmin = 1.0
    with pytest.raises(moose.FieldError, match='read-only'):
        ip.y = 2.0


def test_interpol2d_is_clamped_bilinear():
    """z[x, y] equals scipy's RegularGridInterpolator (linear) at x, y
    clamped to the table's ranges, for random tables and points."""
    rng = np.random.default_rng(3)
    i2 = moose.Interpol2D('/i2')
    i2.xmin, i2.xmax, i2.ymin, i2.ymax = -1.0, 2.0, 0.5, 1.5
    tab = rng.normal(size=(7, 4))
    i2.tableVector2D = tab.tolist()
    assert (i2.xdivs, i2.ydivs) == (6, 3)
    assert i2.dx == pytest.approx(0.5) and i2.dy == pytest.approx(1 / 3)
    ref = RegularGridInterpolator((np.linspace(-1, 2, 7), np.linspace(0.5, 1.5, 4)), tab)
    pts = rng.uniform([-2, 0], [3, 2], size=(200, 2))
    pts = np.vstack([pts, [[-1, 0.5], [2, 1.5], [2, 0.5], [-1, 1.5], [0.5, 1.0]]])
    want = ref(np.clip(pts, [-1, 0.5], [2, 1.5]))
    got = np.array([i2.z[x, y] for x, y in pts])
    assert np.max(np.abs(got - want)) < 1e-12
    assert i2.table[6, 3] == tab[6, 3]
    i2.table[0, 0] = 7.5
    assert i2.tableVector2D[0][0] == 7.5
    i2.xdivs = 8                      # resizing keeps entries, new rows are 0
    assert np.array(i2.tableVector2D).shape == (9, 4)
    assert i2.tableVector2D[8] == [0.0] * 4
    i2.dy = 0.25
    assert i2.ydivs == 4
    with pytest.raises(moose.FieldError, match=r'i2.*table\[20, 0\].*out of range'):
        i2.table[20, 0] = 1.0
    with pytest.raises(moose.FieldError, match='xmin'):
        i2.xmin = 2.0


def test_vectortable_lookups():
    """lookupvalue is numpy.interp over xmin..xmax (clamped), lookupindex
    the entry (the last one past the end); invdx = xdivs/(xmax - xmin),
    following xmin/xmax set after the table."""
    v = moose.VectorTable('/v')
    assert v.invdx == -1.0
    v.xmin, v.xmax = -0.5, 0.5
    tab = [0.0, 0.23, 0.41, 0.46, 0.42, 0.52, 0.49, 0.43, 0.38, 0.43, 0.44]
    v.table = tab
    assert v.xdivs == 10 and v.invdx == pytest.approx(10.0)
    xs = np.linspace(-0.7, 0.7, 57)
    got = [v.lookupvalue[x] for x in xs]
    assert np.allclose(got, _clamped_interp(xs, -0.5, 0.5, tab), atol=1e-14)
    assert v.lookupindex[3] == 0.46 and v.lookupindex[30] == 0.44
    v.xmax = 1.5
    assert v.invdx == pytest.approx(5.0)
    assert v.lookupvalue[1.4] == pytest.approx(np.interp(1.4, np.linspace(-0.5, 1.5, 11), tab))
    with pytest.raises(moose.FieldError, match='empty'):
        v.table = []
    w = moose.VectorTable('/w')
    with pytest.raises(moose.FieldError, match='xmin and xmax'):
        w.table = [1.0, 2.0]
    with pytest.raises(moose.FieldError, match='empty'):
        w.lookupvalue[0.0]


def test_arith_adds_its_arguments():
    """output = arg1 + arg2 + arg3 each tick: arg1/arg2 keep their last
    value, arg3 sums the tick's inputs; anyValue reads and writes output
    and the arguments; only function 'sum' is accepted."""
    moose.Neutral('/m')
    a = moose.Arith('/m/a')
    srcs = {}
    for name, level, port in (('p1', 1.5, 'arg1'), ('p2', -0.25, 'arg2'), ('p3', 2.0, 'arg3'),
                              ('p4', 0.125, 'arg3')):
        pg = moose.PulseGen('/m/' + name)
        pg.baseLevel = level
        moose.connect(pg, 'output', a, port)
        srcs[name] = pg
    out = moose.Table('/m/out')
    moose.connect(a, 'output', out, 'input')
    for t in (0, 12):
        moose.setClock(t, 1e-3)
    moose.reinit()
    moose.start(0.005)
    assert np.allclose(out.vector, 1.5 - 0.25 + 2.0 + 0.125)
    assert a.arg1Value == 1.5
    assert a.anyValue[3] == 0.0             # arg3 cleared after the tick
    a.anyValue[2] = 4.0
    assert a.anyValue[2] == 4.0
    assert a.function == 'sum'
    with pytest.raises(moose.FieldError, match=r"a.*function.*only 'sum'"):
        a.function = 'product'
    with pytest.raises(moose.FieldError, match='anyValue'):
        a.anyValue[4]


def test_copies_keep_their_tables():
    """moose.copy(..., num=3): every copy holds the tables of the original,
    and editing one copy leaves the others and the original alone."""
    moose.Neutral('/p')
    i2 = moose.Interpol2D('/p/i2')
    i2.tableVector2D = [[0, 1], [2, 3]]
    v = moose.VectorTable('/p/v')
    v.xmin, v.xmax = 0.0, 1.0
    v.table = [1.0, 2.0, 3.0]
    ip = moose.Interpol('/p/ip')
    ip.vector = [5.0, 6.0]
    moose.Neutral('/q')
    moose.copy('/p', '/q', 'c', 3)
    for k in range(3):
        assert moose.element(f'/q/c/i2[{k}]').tableVector2D == [[0, 1], [2, 3]]
        assert list(moose.element(f'/q/c/v[{k}]').table) == [1.0, 2.0, 3.0]
        assert list(moose.element(f'/q/c/ip[{k}]').vector) == [5.0, 6.0]
    moose.element('/q/c/i2[1]').table[0, 0] = 9.0
    moose.element('/q/c/v[1]').table = [7.0, 8.0]
    assert [moose.element(f'/q/c/i2[{k}]').table[0, 0] for k in range(3)] == [0, 9.0, 0]
    assert i2.table[0, 0] == 0 and list(v.table) == [1.0, 2.0, 3.0]
    assert list(moose.element('/q/c/v[2]').table) == [1.0, 2.0, 3.0]


_SCRIPT = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/model'); moose.Neutral('/data')
ip = moose.Interpol('/model/sin')
ip.vector = np.sin(np.linspace(-3.14, 3.14, 100))
ip.xmax = 3.14
ip.xmin = -3.14
rec = moose.Table('/data/output')
moose.connect(rec, 'requestOut', ip, 'getY')
st = moose.StimulusTable('/model/x')
st.stepSize = 0.0
st.vector = np.linspace(-4, 4, 1000)
moose.connect(st, 'output', ip, 'input')
push = moose.Table('/data/push')
moose.connect(ip, 'lookupOut', push, 'input')
ar = moose.Arith('/model/ar')
moose.connect(ip, 'lookupOut', ar, 'arg1')
moose.connect(st, 'output', ar, 'arg2')
moose.connect(st, 'output', ar, 'arg3')
moose.connect(ip, 'lookupOut', ar, 'arg3')
arr = moose.Table('/data/ar')
moose.connect(arr, 'requestOut', ar, 'getOutputValue')
arp = moose.Table('/data/arp')
moose.connect(ar, 'output', arp, 'input')
for t in (0, 8, 12):
    moose.setClock(t, 0.001)
moose.reinit()
moose.start(1.0)
i2 = moose.Interpol2D('/i2')
i2.xmin, i2.xmax, i2.ymin, i2.ymax = -1.0, 2.0, 0.5, 1.5
i2.tableVector2D = [[float(3 * i + j * j) for j in range(5)] for i in range(4)]
z = [i2.z[x, y] for x in (-2.0, -1.0, 0.3, 1.99, 2.0, 5.0) for y in (0.0, 0.5, 0.77, 1.5, 3.0)]
vt = moose.VectorTable('/vt')
vt.xmin, vt.xmax = -0.5, 0.5
vt.table = [0.0, 0.23, 0.41, 0.46, 0.42, 0.52, 0.49, 0.43, 0.38, 0.43, 0.44]
print('JSON' + json.dumps({'y': list(rec.vector), 'push': list(push.vector),
                           'ar': list(arr.vector), 'arp': list(arp.vector), 'z': z,
                           'dxdy': [i2.dx, i2.dy, i2.xdivs, i2.ydivs],
                           'vt': [vt.invdx, vt.xdivs, vt.lookupindex[3], vt.lookupindex[30]]}))
'''


def test_interpol_arith_interpol2d_vectortable_equal_pymoose():
    """MOOSE's interpol snippet (StimulusTable -> Interpol -> Tables, on
    ticks 0 and 8) with an Arith fed by both, plus Interpol2D and
    VectorTable lookups: every value equals pymoose 5.0.0's (y at t = 0 is
    uninitialised memory in MOOSE, ~1e-310, and 0 here)."""
    out = run_both(_SCRIPT)
    m, p = out['moose'], out['moosepy']
    for k in ('y', 'push', 'ar', 'arp', 'z', 'dxdy', 'vt'):
        assert len(m[k]) == len(p[k]), k
        assert np.max(np.abs(m[k] - p[k])) < 1e-13, k


_DEFAULTS = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
for c, fields in (('Interpol', ('xmin', 'xmax', 'size', 'outputValue', 'tick')),
                  ('Interpol2D', ('xmin', 'xmax', 'xdivs', 'dx', 'ymin', 'ymax', 'ydivs',
                                  'dy', 'tableVector2D', 'tick')),
                  ('VectorTable', ('xdivs', 'xmin', 'xmax', 'invdx', 'tick')),
                  ('Arith', ('function', 'outputValue', 'arg1Value', 'tick'))):
    o = getattr(moose, c)('/x' + c)
    out[c] = {f: getattr(o, f) for f in fields}
print('JSON' + json.dumps(out))
'''


def test_defaults_equal_pymoose():
    out = run_both(_DEFAULTS)
    assert out['moose'] == out['moosepy']
