"""The Dsolve's tree kernel (Hines elimination over the voxel tree,
dkernels.tree_steps) against the general sparse LU (SuperLU factors,
dkernels.lu_steps) on the same models: tapered cylinders with diffusion and
motor transport in both directions, a branched NeuroMesh, both schemes.
The two are independent factorisations of the same step matrix, so they
must agree to rounding; each must conserve molecules to rounding.  The
analytic checks (second moment of a pulse, uniform end state of a tapered
cylinder, motor speed) are in test_dsolve.py and run the tree kernel, the
default."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.kinetics import dsolve


@pytest.fixture(autouse=True)
def _clean():
    keep = dsolve.TREE_KERNEL
    for p in ('/tk', '/tkcell'):
        if moose.exists(p):
            moose.delete(p)
    yield
    dsolve.TREE_KERNEL = keep
    for p in ('/tk', '/tkcell'):
        if moose.exists(p):
            moose.delete(p)


def _solve(mesh, method):
    p = mesh.path
    st = moose.Stoich(p + '/st')
    st.compartment = mesh
    st.ksolve = moose.Ksolve(p + '/ks')
    ds = moose.Dsolve(p + '/ds')
    ds.method = method
    st.dsolve = ds
    st.reacSystemPath = p + '/##'
    return ds


def _cylinder(tree, method, motor):
    dsolve.TREE_KERNEL = tree
    if moose.exists('/tk'):
        moose.delete('/tk')
    moose.Neutral('/tk')
    m = moose.CylMesh('/tk/cyl')
    m.x1, m.diffLength, m.r0, m.r1 = 200e-6, 1e-6, 0.5e-6, 1.5e-6
    a = moose.Pool('/tk/cyl/A')
    a.diffConst, a.motorConst = 1e-12, motor
    ds = _solve(m, method)
    v = moose.vec('/tk/cyl/A')
    c = np.zeros(len(v))
    c[:10] = 1.0
    c[100:105] = 2.0
    v.concInit = c
    moose.reinit()
    n0 = np.array(v.n)
    moose.start(20.0)
    return n0, np.array(v.n), ds._el.data['plan']


@pytest.mark.parametrize('method', ['be', 'cn'])
@pytest.mark.parametrize('motor', [0.0, 2e-7, -2e-7])
def test_cylinder_tree_equals_lu(method, motor):
    n0, a, plan = _cylinder(True, method, motor)
    assert plan.arrays[0] == 'tree' and plan.arrays[-1] is True    # one chain
    _, b, plan_lu = _cylinder(False, method, motor)
    assert plan_lu.arrays[0] != 'tree'
    assert np.abs(a - b).max() <= 1e-12 * np.abs(b).max()
    for x in (a, b):
        assert abs(x.sum() - n0.sum()) <= 1e-12 * n0.sum()
    # it moved: the pulse spread (a kernel that did nothing would agree too)
    assert np.abs(a - n0).max() > 0.1 * n0.max()


def _branched(tree, method):
    dsolve.TREE_KERNEL = tree
    for p in ('/tk', '/tkcell'):
        if moose.exists(p):
            moose.delete(p)
    moose.Neutral('/tkcell')

    def comp(name, par, x0, y0, x1, y1, dia):
        c = moose.Compartment('/tkcell/' + name)
        c.x0, c.y0, c.x, c.y, c.diameter = x0, y0, x1, y1, dia
        if par is not None:
            moose.connect(par, 'axial', c, 'raxial')
        return c
    u = 1e-6
    s = comp('soma', None, 0, 0, 10 * u, 0, 10 * u)
    d1 = comp('d1', s, 10 * u, 0, 40 * u, 0, 2 * u)
    comp('d2', d1, 40 * u, 0, 60 * u, 20 * u, 1 * u)
    d3 = comp('d3', d1, 40 * u, 0, 60 * u, -20 * u, 1.5 * u)
    comp('d4', d3, 60 * u, -20 * u, 80 * u, -20 * u, 1 * u)
    moose.Neutral('/tk')
    nm = moose.NeuroMesh('/tk/dend')
    a = moose.Pool('/tk/dend/A')
    a.diffConst = 1e-12
    nm.diffLength = 2 * u
    nm.subTreePath = '/tkcell/#'
    ds = _solve(nm, method)
    v = moose.vec('/tk/dend/A')
    c = np.zeros(len(v))
    c[3] = 1.0
    c[-1] = 2.0
    v.concInit = c
    moose.reinit()
    n0 = np.array(v.n)
    moose.start(20.0)
    return n0, np.array(v.n), ds._el.data['plan']


@pytest.mark.parametrize('method', ['be', 'cn'])
def test_branched_neuromesh_tree_equals_lu(method):
    n0, a, plan = _branched(True, method)
    assert plan.arrays[0] == 'tree' and plan.arrays[-1] is False   # branched
    _, b, plan_lu = _branched(False, method)
    assert plan_lu.arrays[0] != 'tree'
    assert len(a) > 40
    assert np.abs(a - b).max() <= 1e-12 * np.abs(b).max()
    for x in (a, b):
        assert abs(x.sum() - n0.sum()) <= 1e-12 * n0.sum()
    assert np.abs(a - n0).max() > 0.1 * n0.max()


def test_cubemesh_keeps_the_lu():
    dsolve.TREE_KERNEL = True
    moose.Neutral('/tk')
    m = moose.CubeMesh('/tk/cube')
    m.x0, m.y0, m.z0 = 0, 0, 0
    m.x1, m.y1, m.z1 = 4e-6, 4e-6, 1e-6
    m.dx, m.dy, m.dz = 1e-6, 1e-6, 1e-6
    a = moose.Pool('/tk/cube/A')
    a.diffConst = 1e-12
    ds = _solve(m, 'be')
    v = moose.vec('/tk/cube/A')
    c = np.zeros(len(v))
    c[0] = 1.0
    v.concInit = c
    moose.reinit()
    n0 = np.array(v.n)
    moose.start(1.0)
    assert ds._el.data['plan'].arrays[0] != 'tree'
    n1 = np.array(v.n)
    assert abs(n1.sum() - n0.sum()) <= 1e-12 * n0.sum()
    assert n1[0] < 0.9 * n0[0]          # it moved


@pytest.mark.parametrize('use_b', [False, True])
@pytest.mark.parametrize('ncols', [2, 3, 5])
def test_chain_pools_side_by_side_equal_one_at_a_time(use_b, ncols):
    """On a chain the tree kernel steps two pools at a time
    (dkernels._chain_pair): every count, the smallest and the sum equal bit
    for bit those of the pools taken one at a time (a call per pool) and of
    the kernel's general tree path (chain=False), under backward Euler and
    Crank-Nicolson, odd and even numbers of pools."""
    from moosepy.kinetics import dkernels
    rng = np.random.default_rng(5)
    n, nsteps, npools = 57, 7, 6
    order = rng.permutation(n).astype(np.int64)
    ppos = np.append(np.arange(1, n), -1).astype(np.int64)
    cols = np.sort(rng.choice(npools, ncols, replace=False)).astype(np.int64)
    m = ncols * n
    # factors of some diagonally dominant chain matrices (any numbers will
    # do for equality; these keep the counts finite)
    inv, f, up = rng.uniform(0.5, 0.9, m), rng.uniform(-0.3, 0.0, m), rng.uniform(-0.3, 0.0, m)
    bd, bup, bdown = rng.uniform(0.6, 1.0, m), rng.uniform(0, 0.2, m), rng.uniform(0, 0.2, m)
    S0 = rng.uniform(0.0, 100.0, (n, npools))

    def run(S, c, chain, sl=slice(None)):
        return dkernels.tree_steps(S, c, nsteps, n, order, ppos, inv[sl], f[sl], up[sl],
                                   bd[sl], bup[sl], bdown[sl], use_b, chain)
    S1 = S0.copy()
    lo1, tot1 = run(S1, cols, True)
    S2 = S0.copy()
    lo2, tot2 = run(S2, cols, False)
    S3 = S0.copy()
    lows, tot3 = [], 0.0
    for q in range(ncols):
        lo, tot = run(S3, cols[q:q + 1], True, slice(q * n, (q + 1) * n))
        lows.append(lo)
        tot3 += tot         # (each call sums from 0: the same order only per pool)
    assert np.array_equal(S1, S2) and np.array_equal(S1, S3)
    assert not np.array_equal(S1, S0)
    assert lo1 == lo2 == min(lows)
    assert tot1 == tot2


def _plan_and_counts(light, build, monkeypatch):
    monkeypatch.setattr(dsolve, 'LIGHT_MATRICES', light)
    n0, n1, plan = build()
    return n1, plan.arrays


@pytest.mark.parametrize('case', ['be', 'cn', 'be motor', 'cn motor back', 'branched be',
                                  'branched cn', 'lu'])
def test_plan_without_scipy_sparse_equals_scipys(case, monkeypatch):
    """The tree kernel's plan built from dsolve._Entries (no scipy.sparse)
    has the arrays, and the run the counts, of the plan built from
    scipy.sparse's CSR, bit for bit: on a chain (each entry at most two
    terms), with motor transport and on a branched mesh (entries of three
    terms: scipy.sparse is used) and for the LU path (the entries handed to
    scipy)."""
    if case.startswith('branched'):
        def build():
            return _branched(True, case.split()[1])
    else:
        motor = 2e-7 if 'motor' in case else 0.0
        motor = -motor if 'back' in case else motor

        def build():
            return _cylinder(case != 'lu', 'cn' if case.startswith('cn') else 'be', motor)
    a, pa = _plan_and_counts(True, build, monkeypatch)
    b, pb = _plan_and_counts(False, build, monkeypatch)
    assert np.array_equal(a, b)
    if case == 'lu':
        flat = lambda arrs: [x for t in arrs for x in (t if isinstance(t, tuple) else (t,))]  # noqa: E731
        assert all(np.array_equal(x, y) for x, y in zip(flat(pa), flat(pb)))
        return
    assert pa[0] == pb[0] == 'tree' and pa[-1] == pb[-1]
    for x, y in zip(pa[1:-1], pb[1:-1]):
        assert np.array_equal(x, y)


def test_a_tree_meshs_first_run_does_not_import_scipy_sparse(tmp_path):
    """A cylinder with diffusion and a reaction, run in a fresh process,
    never imports scipy.sparse (0.2 s of the first run): its plan is
    built from dsolve._Entries."""
    import subprocess
    import sys
    code = '''
import sys
import moosepy as moose
m = moose.CylMesh('/c'); m.x1, m.diffLength = 20e-6, 1e-6
a = moose.Pool('/c/A'); b = moose.Pool('/c/B')
a.diffConst, b.diffConst, a.concInit = 1e-12, 1e-12, 1.0
r = moose.Reac('/c/r'); moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'prd', b, 'reac')
st = moose.Stoich('/c/st'); st.compartment = m
st.ksolve = moose.Ksolve('/c/ks'); st.dsolve = moose.Dsolve('/c/ds'); st.reacSystemPath = '/c/##'
moose.reinit(); moose.start(1.0)
assert moose.element('/c/ds')._el.data['plan'].arrays[0] == 'tree'
print('sparse' if 'scipy.sparse' in sys.modules else 'no sparse')
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env={**__import__('os').environ, 'MOOSEPY_AUTO_WARMUP': '0'},
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith('no sparse')
