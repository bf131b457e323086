"""A Python-stepped Function sending to many pool entries: the values are
written to the pools' columns in one go (moosepy.kinetics.function
_deliver), and the resolved targets are kept until the structure changes.
Oracle: the setter's arithmetic, n = conc * (NA * voxel volume) for
setConc (BufPool: nInit too), n = value for setN, on pools a Ksolve and a
Dsolve own, in a tapered cylinder (every voxel has another volume)."""

import pytest

import moosepy as moose
from moosepy.core.errors import SolverError
from moosepy.core.units import NA

N = 10
A_CONC = [2, 3, 4, 5, 6, 7]     # A entries set through setConc
B_CONC = [1, 3, 5]              # BufPool entries set through setConc
A_N = 8                         # one A entry set through setN


def _build(expr='k', k=8e-4):
    m = moose.CylMesh('/cyl')
    m.x1 = N * 1e-6
    m.diffLength = 1e-6
    m.r0, m.r1 = 1e-6, 2e-6
    a = moose.Pool('/cyl/A')
    b = moose.BufPool('/cyl/B')
    c = moose.Pool('/cyl/C')
    d = moose.Pool('/cyl/D')
    c.diffConst = 1e-12
    r = moose.Reac('/cyl/r')
    r.Kf, r.Kb = 2.0, 0.5
    moose.connect(r, 'sub', c, 'reac')
    moose.connect(r, 'prd', d, 'reac')
    moose.vec('/cyl/C').concInit = 1e-3
    moose.vec('/cyl/A').concInit = 5e-5
    st = moose.Stoich('/cyl/st')
    st.compartment = m
    st.ksolve = moose.Ksolve('/cyl/ks')
    st.dsolve = moose.Dsolve('/cyl/ds')
    st.reacSystemPath = '/cyl/##'
    moose.Neutral('/stim')
    f = moose.Function('/stim/f')
    f.c['k'] = k
    f.expr = expr
    msgs = {}
    for i in A_CONC:
        msgs[('A', i)] = moose.connect(f, 'valueOut', moose.element(f'/cyl/A[{i}]'),
                                       'setConc')
    for i in B_CONC:
        msgs[('B', i)] = moose.connect(f, 'valueOut', moose.element(f'/cyl/B[{i}]'),
                                       'setConc')
    moose.connect(f, 'valueOut', moose.element(f'/cyl/A[{A_N}]'), 'setN')
    moose.setClock(f.tick, 0.005)       # the Function steps in Python every 5 ms
    return m, f, msgs


def _expected_n(conc, vol):
    return conc * (NA * vol)            # the setter's arithmetic (units.conc_to_n)


def test_bulk_values_match_the_setter_on_solved_pools():
    m, f, _ = _build()
    vols = list(m.voxelVolume)
    assert len(set(vols)) == N          # a tapered cylinder
    moose.reinit()
    moose.start(0.25)
    a, b = moose.vec('/cyl/A'), moose.vec('/cyl/B')
    an, bn, bni = list(a.n), list(b.n), list(b.nInit)
    for i in A_CONC:
        assert an[i] == _expected_n(8e-4, vols[i])          # bit-equal
    for i in B_CONC:
        assert bn[i] == _expected_n(8e-4, vols[i])
        assert bni[i] == bn[i]                              # BufPool: nInit too
    assert an[A_N] == 8e-4
    for i in set(range(N)) - set(A_CONC) - {A_N}:
        assert an[i] == pytest.approx(_expected_n(5e-5, vols[i]), rel=1e-12)
    for i in set(range(N)) - set(B_CONC):
        assert bn[i] == 0.0
    # the reaction ran meanwhile (the Ksolve owns the state)
    assert list(moose.vec('/cyl/D').n)[0] > 0.0


def test_targets_follow_message_changes():
    m, f, msgs = _build()
    vols = list(m.voxelVolume)
    moose.reinit()
    moose.start(0.02)
    # a new target, a deleted one and a new value (a constant: no structure change)
    moose.connect(f, 'valueOut', moose.element('/cyl/A[9]'), 'setConc')
    moose.delete(msgs[('A', 2)])
    f.c['k'] = 2e-3
    moose.start(0.02)
    an = list(moose.vec('/cyl/A').n)
    assert an[9] == _expected_n(2e-3, vols[9])
    assert an[2] == _expected_n(8e-4, vols[2])      # no longer set
    for i in A_CONC[1:]:
        assert an[i] == _expected_n(2e-3, vols[i])
    assert f.output_targets('valueOut')[-1][1] == 9


def test_refused_value_names_the_first_target():
    _build(expr='k', k=-1.0)
    moose.reinit()
    with pytest.raises(SolverError, match=r'/stim/f \(Function\).*/cyl\[0\]/A\[2\] \(Pool\)\.conc'):
        moose.start(0.01)
