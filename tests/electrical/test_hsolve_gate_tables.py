"""HSolve's gate tables, compiled in bulk (hsolve_channels._gate_instances):
every gate of a cell is looked up on its cell's one grid of its kind
(voltage; concentration for a Z gate with useConcentration), spanning the
smallest min to the largest max of those gates with their smallest step, as
MOOSE's HSolve does; copies of one prototype share one table.

The expected tables are computed here from the gates' own tables and the
rule above (np.interp at the grid points), not by the solver's code: two
cells of one group with different grids, a copy given its own table, a
concentration gate, and a gate with a power but no table."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import SolverError


def _gate(g, lo, hi, n, k):
    v = np.linspace(lo, hi, n)
    g.min, g.max = lo, hi
    g.tableA = k * (1.0 + np.tanh((v - lo) / (hi - lo) * 4 - 2))
    g.tableB = g.tableA + k * 2.0
    g.useInterpolation = True


def _library():
    moose.Neutral('/lib')
    na = moose.HHChannel('/lib/Na')
    na.Xpower, na.Ypower = 3, 1
    _gate(moose.element('/lib/Na/gateX'), -0.1, 0.05, 151, 1e3)
    _gate(moose.element('/lib/Na/gateY'), -0.1, 0.05, 151, 2e2)
    kf = moose.HHChannel('/lib/Kf')
    kf.Xpower = 4
    _gate(moose.element('/lib/Kf/gateX'), -0.12, 0.06, 361, 5e2)      # step 0.5 mV
    kca = moose.HHChannel('/lib/KCa')
    kca.Zpower = 1
    kca.useConcentration = True
    _gate(moose.element('/lib/KCa/gateZ'), 0.0, 0.01, 101, 1e2)


def _cell(path, n, protos):
    moose.Neutral(path)
    comps, chans = [], []
    for i in range(n):
        c = moose.Compartment(f'{path}/c{i}')
        c.Rm, c.Cm, c.Ra, c.initVm, c.Em = 1e9, 1e-11, 1e6, -0.065, -0.065
        if comps:
            moose.connect(comps[-1], 'raxial', c, 'axial')
        for p in protos:
            ch = moose.element(moose.copy('/lib/' + p, c, p))
            ch.Gbar = 1e-9
            moose.connect(ch, 'channel', c, 'channel')
            chans.append(ch)
        comps.append(c)
    hs = moose.HSolve(f'{path}/hs')
    hs.dt = 50e-6
    hs.target = comps[0].path
    return comps, chans, hs


def _grid(gates):
    lo = min(g.min for g in gates)
    hi = max(g.max for g in gates)
    dx = min((g.max - g.min) / (len(g.tableA) - 1) for g in gates)
    return lo, hi, int((hi - lo) / dx + 0.5)


def _expected(g, grid):
    lo, hi, n = grid
    own = np.linspace(g.min, g.max, len(g.tableA))
    x = lo + ((hi - lo) / n) * np.arange(n + 1)
    return np.interp(x, own, g.tableA), np.interp(x, own, g.tableB)


def _table(group, ch, j):
    """(A, B, min, max, divisions) of the kernel's table of gate *j* of *ch*."""
    tabA, tabB, toff, tn, tmin, tinv = group.tabs
    go = group.gateoff[(id(ch._el), j)]
    t = int(group.gates[1][go])
    a, b = int(toff[t]), int(toff[t] + tn[t] + 1)
    return t, tabA[a:b], tabB[a:b], tmin[t], tmin[t] + tn[t] / tinv[t], int(tn[t])


def test_two_cells_each_on_its_own_grid_copies_share_tables():
    _library()
    ca_comps, a_chans, hs_a = _cell('/a', 3, ('Na', 'Kf'))
    b_comps, b_chans, hs_b = _cell('/b', 3, ('Na',))
    # a copy in cell b with a table of its own (coarser, narrower)
    own = moose.element('/b/c1/Na/gateX')
    _gate(own, -0.08, 0.04, 61, 7e2)
    # a Ca-dependent channel in cell a, fed by a pool
    pool = moose.CaConc('/a/c0/Ca')
    pool.tau, pool.B, pool.CaBasal = 0.02, 1e6, 5e-5
    kca = moose.element(moose.copy('/lib/KCa', ca_comps[0], 'KCa'))
    kca.Gbar = 1e-9
    moose.connect(kca, 'channel', ca_comps[0], 'channel')
    moose.connect(pool, 'concOut', kca, 'concen')
    moose.reinit()
    group = hs_a._el.data['group']
    assert group is hs_b._el.data['group']           # one group: both cells compiled together

    na_a = [moose.element(c.path + '/Na') for c in ca_comps]
    kf_a = [moose.element(c.path + '/Kf') for c in ca_comps]
    na_b = [moose.element(c.path + '/Na') for c in b_comps]
    gates_a = [moose.element(f'/lib/Na/gate{g}') for g in 'XY'] + \
        [moose.element('/lib/Kf/gateX')]
    gates_b = [moose.element(f'/lib/Na/gate{g}') for g in 'XY'] + [own]
    grid_a, grid_b = _grid(gates_a), _grid(gates_b)
    assert grid_a != grid_b
    grid_ca = _grid([moose.element('/lib/KCa/gateZ')])

    def check(ch, j, g, grid):
        t, A, B, lo, hi, n = _table(group, ch, j)
        ea, eb = _expected(g, grid)
        assert (n, lo) == (grid[2], grid[0])
        assert hi == pytest.approx(grid[1], rel=1e-12)
        np.testing.assert_allclose(A, ea, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(B, eb, rtol=1e-12, atol=1e-9)
        return t

    mine = moose.element('/b/c1/Na')._el
    lib = {('Na', 0): gates_a[0], ('Na', 1): gates_a[1], ('Kf', 0): gates_a[2]}
    tids = {}
    for chans, name, grid, cell in ((na_a, 'Na', grid_a, 'a'), (kf_a, 'Kf', grid_a, 'a'),
                                    (na_b, 'Na', grid_b, 'b')):
        for ch in chans:
            for j in ((0, 1) if name == 'Na' else (0,)):
                g = own if ch._el is mine and j == 0 else lib[(name, j)]
                tids.setdefault((cell, name, j, g.path), set()).add(check(ch, j, g, grid))
    check(kca, 2, moose.element('/lib/KCa/gateZ'), grid_ca)
    # copies of one gate in one cell share one table; cells on different
    # grids do not share, and the copy with its own table has its own
    assert all(len(s) == 1 for s in tids.values())
    flat = [next(iter(s)) for s in tids.values()]
    assert len(set(flat)) == len(flat)

    # and the group runs on them
    moose.start(0.005)
    va = [c.Vm for c in ca_comps] + [c.Vm for c in b_comps]
    assert np.all(np.isfinite(va))


def test_a_gate_with_a_power_but_no_table_is_named():
    _library()
    _cell('/a', 2, ('Na',))
    moose.element('/a/c1/Na').Zpower = 1          # gateZ made empty: one entry, min 0 max 1
    with pytest.raises(SolverError, match=r'/a/c1/Na .*Zpower = 1.* gateZ has no usable'):
        moose.reinit()
