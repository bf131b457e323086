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
