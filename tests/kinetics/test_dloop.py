"""The compiled chemical tick loop (moosepy.kinetics.dloop, used by
dsolve.advance_split where COMPILED_TICKS allows) against the Python loop
it replaces, on the same models: a spiny dendrite's three joined
chemistries (NeuroMesh + SpineMesh + PsdMesh, Ksolve + Dsolve each,
junctions), with tables on every mesh read at every chemical tick and at
a slower tick, run in chunks; the same with the generic Runge-Kutta kernel
(rk2); one cylinder alone.  The loop makes the same kernel calls in the same
order, so every table and every final count must be equal bit for bit.
Also: a count just below zero (round-off) put into the state is clipped by
the Python check the loop stops for, and the run resumes as the Python loop
does; an integrator's failure raises the Python loop's error."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.kinetics import dsolve, dloop


@pytest.fixture(autouse=True)
def _clean():
    keep = dsolve.COMPILED_TICKS
    for p in ('/dl',):
        if moose.exists(p):
            moose.delete(p)
    yield
    dsolve.COMPILED_TICKS = keep
    if moose.exists('/dl'):
        moose.delete('/dl')


@pytest.fixture
def calls(monkeypatch):
    """How many times each compiled loop ran."""
    n = {'gsl': 0, 'rk': 0}
    for name, key in (('run_ticks', 'gsl'), ('run_ticks_rk', 'rk')):
        fn = getattr(dloop, name)

        def counted(*a, fn=fn, key=key):
            n[key] += 1
            return fn(*a)
        monkeypatch.setattr(dloop, name, counted)
    return n


def _compt(path, parent, length, dia, x0, y0, x1, y1):
    c = moose.Compartment(path)
    c.length, c.diameter = length, dia
    c.x0, c.y0, c.z0, c.x, c.y, c.z = x0, y0, 0.0, x1, y1, 0.0
    if parent is not None:
        moose.connect(parent, 'axial', c, 'raxial')
    c.tick = -1
    return c


def _oscillator(compt):
    # reacDiffSpinyNeuron's a/b/s oscillator: three MMenz and a Reac
    p = compt.path
    a, b, s = moose.Pool(p + '/a'), moose.Pool(p + '/b'), moose.Pool(p + '/s')
    a.concInit, b.concInit, s.concInit = 0.1, 0.1, 1.0
    for k, (sub, prd, enz, km, kcat) in enumerate(((s, a, a, 1.0, 1.0), (s, b, a, 1.0, 0.5),
                                                    (a, s, b, 0.1, 1.0))):
        e = moose.MMenz(f'{p}/e{k}')
        moose.connect(e, 'sub', sub, 'reac')
        moose.connect(e, 'prd', prd, 'reac')
        moose.connect(enz, 'nOut', e, 'enzDest')
        e.Km, e.kcat = km, kcat
    r = moose.Reac(p + '/r1')
    moose.connect(r, 'sub', b, 'reac')
    moose.connect(r, 'prd', s, 'reac')
    r.Kf, r.Kb = 0.3, 0.0
    a.diffConst, b.diffConst = 1e-12, 1e-11


def _spiny(method='rk5', nd=8):
    u = 1e-6
    moose.Neutral('/dl')
    moose.Neutral('/dl/cell')
    prev = _compt('/dl/cell/soma', None, 10 * u, 10 * u, 0, 0, 10 * u, 0)
    x = 10 * u
    for i in range(nd):
        prev = _compt(f'/dl/cell/dend{i}', prev, 2 * u, 1.5 * u, x, 0, x + 2 * u, 0)
        xs = x + u
        neck = _compt(f'/dl/cell/shaft{i}', prev, u, 0.2 * u, xs, 0.75 * u, xs, 1.75 * u)
        _compt(f'/dl/cell/head{i}', neck, 0.5 * u, 0.5 * u, xs, 1.75 * u, xs, 2.25 * u)
        x += 2 * u
    moose.Neutral('/dl/chem')
    dend = moose.NeuroMesh('/dl/chem/dend')
    spine = moose.SpineMesh('/dl/chem/spine')
    psd = moose.PsdMesh('/dl/chem/psd')
    dend.separateSpines = 1
    moose.connect(dend, 'spineListOut', spine, 'spineList', 'OneToOne')
    moose.connect(dend, 'psdListOut', psd, 'psdList', 'OneToOne')
    for m in (dend, spine, psd):
        _oscillator(m)
    dend.diffLength = 2 * u
    dend.subTreePath = '/dl/cell/#'
    ds = []
    for m in (dend, spine, psd):
        st = moose.Stoich(m.path + '/stoich')
        st.compartment = m
        ks = moose.Ksolve(m.path + '/ksolve')
        ks.method = method
        if method != 'rk5':
            ks.epsRel = ks.epsAbs = 1e-5
        st.ksolve = ks
        st.dsolve = moose.Dsolve(m.path + '/dsolve')
        st.reacSystemPath = m.path + '/#'
        ds.append(moose.element(m.path + '/dsolve'))
    ds[0].buildNeuroMeshJunctions(ds[1], ds[2])
    moose.element('/dl/chem/psd/a[0]').concInit *= 1.5
    tabs = []
    for k, (mesh, pool, vox, tick) in enumerate((('dend', 'a', 0, 18), ('dend', 'b', 3, 18),
                                                  ('spine', 'a', 0, 18), ('psd', 'b', 1, 18),
                                                  ('psd', 'a', 0, 19))):
        t = moose.Table2(f'/dl/tab{k}')
        moose.connect(t, 'requestOut', moose.element(f'/dl/chem/{mesh}/{pool}[{vox}]'),
                      'getConc')
        t.tick = tick
        tabs.append(t)
    moose.setClock(19, 0.5)
    return tabs


def _run(build, compiled, chunks=(3.0, 0.25, 0.05, 6.7)):
    dsolve.COMPILED_TICKS = compiled
    if moose.exists('/dl'):
        moose.delete('/dl')
    tabs = build()
    moose.reinit()
    for c in chunks:
        moose.start(c)
    vecs = [np.array(t.vector) for t in tabs]
    ns = [np.array(moose.vec(f'/dl/chem/{m}/{p}').n) for m in ('dend', 'spine', 'psd')
          for p in ('a', 'b', 's')] if moose.exists('/dl/chem/spine') else \
        [np.array(moose.vec('/dl/cyl/A').n)]
    return vecs, ns


@pytest.mark.parametrize('method', ['rk5', 'rk2'])
def test_joined_meshes_give_the_python_loops_numbers(method, calls):
    py_tabs, py_ns = _run(lambda: _spiny(method), False)
    assert calls == {'gsl': 0, 'rk': 0}
    c_tabs, c_ns = _run(lambda: _spiny(method), True)
    assert calls['gsl' if method == 'rk5' else 'rk'] >= 2
    for a, b in zip(py_tabs, c_tabs):
        assert len(a) > 10
        assert np.array_equal(a, b)
    for a, b in zip(py_ns, c_ns):
        assert np.array_equal(a, b)
    # and the chemistry moved: the oscillator is not at rest
    assert np.ptp(py_tabs[0]) > 0.01


def _cylinder():
    moose.Neutral('/dl')
    m = moose.CylMesh('/dl/cyl')
    m.x1, m.diffLength, m.r0, m.r1 = 100e-6, 1e-6, 0.5e-6, 1e-6
    a = moose.Pool('/dl/cyl/A')
    b = moose.Pool('/dl/cyl/B')
    moose.BufPool('/dl/cyl/C').concInit = 0.01
    a.diffConst = 1e-12
    r = moose.Reac('/dl/cyl/r')
    r.Kf, r.Kb = 0.1, 0.01
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    st = moose.Stoich('/dl/cyl/st')
    st.compartment = m
    st.ksolve = moose.Ksolve('/dl/cyl/ks')
    st.dsolve = moose.Dsolve('/dl/cyl/ds')
    st.reacSystemPath = '/dl/cyl/##'
    c = np.zeros(100)
    c[:10] = 1.0
    moose.vec('/dl/cyl/A').concInit = c
    tabs = []
    for k, v in enumerate((0, 9, 40)):
        t = moose.Table2(f'/dl/t{k}')
        moose.connect(t, 'requestOut', moose.element(f'/dl/cyl/A[{v}]'), 'getConc')
        tabs.append(t)
    return tabs


def test_one_cylinder_gives_the_python_loops_numbers(calls):
    py_tabs, py_ns = _run(_cylinder, False)
    c_tabs, c_ns = _run(_cylinder, True)
    assert calls['gsl'] >= 2
    for a, b in zip(py_tabs + py_ns, c_tabs + c_ns):
        assert np.array_equal(a, b)


def _nudged(compiled, calls):
    """The cylinder with counts of -1e-18 put into voxel 50's A (moved by
    diffusion) and voxel 60's C (buffered: neither moved nor cleared by the
    GSL driver) after 1 s: round-off below zero, which the checks clip (the
    diffusion check, then the chemical step's), each stopping the loop."""
    dsolve.COMPILED_TICKS = compiled
    if moose.exists('/dl'):
        moose.delete('/dl')
    _cylinder()
    moose.reinit()
    moose.start(1.0)
    comp = moose.element('/dl/cyl/ks')._el.data['compiled']
    col = {p.name: j for j, p in enumerate(comp.pool_els)}
    before = dict(calls)
    comp.state[50, col['A']] = -1e-18
    moose.start(1.0)
    comp.state[60, col['C']] = -1e-18
    moose.start(1.0)
    return np.array(moose.vec('/dl/cyl/A').n), np.array(moose.vec('/dl/cyl/C').n), \
        calls['gsl'] - before['gsl']


def test_round_off_below_zero_is_clipped_and_the_run_goes_on(calls):
    a_py, b_py, _ = _nudged(False, calls)
    a_c, b_c, ncalls = _nudged(True, calls)
    assert ncalls >= 4          # stopped for each check, then resumed
    assert np.array_equal(a_py, a_c) and np.array_equal(b_py, b_c)
    assert a_c.min() >= 0.0 and b_c.min() >= 0.0


def _failing(compiled):
    dsolve.COMPILED_TICKS = compiled
    if moose.exists('/dl'):
        moose.delete('/dl')
    _cylinder()
    moose.element('/dl/cyl/r').Kf = 1e305     # the rates overflow
    moose.reinit()
    with pytest.raises(moose.SolverError) as e:
        moose.start(2.0)
    return str(e.value)


def test_an_integrators_failure_raises_the_python_loops_error():
    msg = _failing(False)
    assert '/dl/cyl/ks' in msg
    assert _failing(True) == msg
