"""The compiled layout of a Stoich is kept across reinits and built again
exactly when the structure changes (core.structure's version).

The oracle of every test is a fresh build in the same test: the same script
with the change made before the first reinit, so that both runs compile the
same arrays.  A change that the cache missed would leave the first model
running its old structure (a wrong answer, the failure to fear); each
structural case also checks that the change matters, so that a stale
answer could not pass.  Values set between runs must be picked up without
a new build (counted with ``stoich.num_builds``)."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.shell import reset_tree
from moosepy.kinetics.stoich import num_builds

T = 20.0


def build(method='rk5', solver='Ksolve', nvox=1):
    """A + B <-> C, C -> B, X(buffered) -> A, D -> C with D = 2*A assigned
    by a Function, an MMenz (E: C -> A) and an Enz (E: A -> B, complex)."""
    moose.Neutral('/outside')
    mesh = moose.CubeMesh('/m')
    mesh.x1, mesh.y1, mesh.z1 = 1e-6 * nvox, 1e-6, 1e-6
    mesh.nx = nvox
    pools = {}
    for name, c0 in (('A', 1.0), ('B', 0.8), ('C', 0.1), ('D', 0.0), ('E', 0.05)):
        pools[name] = moose.Pool('/m/' + name)
        pools[name].concInit = c0
    X = moose.BufPool('/m/X')
    X.concInit = 0.5
    r = {}
    for name, subs, prds, kf, kb in (('r1', 'AB', 'C', 1.0, 0.1), ('r2', 'C', 'B', 0.2, 0.0),
                                     ('r3', 'X', 'A', 0.05, 0.0), ('r4', 'D', 'C', 0.1, 0.0)):
        r[name] = moose.Reac('/m/' + name)
        for s in subs:
            moose.connect(r[name], 'sub', X if s == 'X' else pools[s], 'reac')
        for p in prds:
            moose.connect(r[name], 'prd', pools[p], 'reac')
        r[name].Kf, r[name].Kb = kf, kb
    mm = moose.MMenz('/m/E/mm')
    moose.connect(pools['E'], 'nOut', mm, 'enzDest')
    moose.connect(mm, 'sub', pools['C'], 'reac')
    moose.connect(mm, 'prd', pools['A'], 'reac')
    mm.Km, mm.kcat = 0.5, 0.3
    z = moose.Enz('/m/z')
    cplx = moose.Pool('/m/cplx')
    moose.connect(z, 'enz', pools['E'], 'reac')
    moose.connect(z, 'sub', pools['A'], 'reac')
    moose.connect(z, 'prd', pools['B'], 'reac')
    moose.connect(z, 'cplx', cplx, 'reac')
    z.Km, z.kcat = 0.2, 0.5
    f = moose.Function('/m/f')
    f.expr = 'x0*2'
    moose.connect(pools['A'], 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', pools['D'], 'setN')
    moose.Neutral('/graphs')
    tab = moose.Table2('/graphs/tC')
    moose.connect(tab, 'requestOut', pools['C'], 'getConc')
    if solver == 'Ksolve':
        ks = moose.Ksolve('/m/ksolve')
        ks.method = method
        ks.epsAbs, ks.epsRel = 1e-9, 1e-10
    else:
        ks = moose.Gsolve('/m/gsolve')
        ks.seed = 11
    st = moose.Stoich('/m/stoich')
    st.compartment, st.ksolve, st.reacSystemPath = mesh, ks, '/m/##'
    return dict(mesh=mesh, pools=pools, X=X, r=r, mm=mm, z=z, cplx=cplx, f=f, tab=tab,
                ks=ks, st=st)


def state():
    """n and conc of every pool (by path), and the table of C."""
    out = {}
    for p in moose.wildcardFind('/m/##[ISA=PoolBase]'):
        v = moose.vec(p)
        out[p._el.path] = (np.array(v.n, dtype=float), np.array(v.conc, dtype=float))
    if moose.exists('/graphs/tC'):
        out['table'] = (np.array(moose.element('/graphs/tC').vector), np.zeros(0))
    return out


def close(a, b, rtol):
    if a.keys() != b.keys():
        return False
    for k in a:
        for x, y in zip(a[k], b[k]):
            if x.shape != y.shape or not np.allclose(x, y, rtol=rtol, atol=1e-12 * (
                    1.0 + np.max(np.abs(y), initial=0.0))):
                return False
    return True


def changed_then_run(change, **kw):
    """Run, change, reinit and run again (the cache path)."""
    m = build(**kw)
    moose.reinit()
    moose.start(T)
    builds = num_builds(m['st'])
    change(m)
    moose.reinit()
    moose.start(T)
    return state(), num_builds(m['st']) - builds


def fresh_run(change=None, **kw):
    """The oracle: a new tree, the change made before the first reinit."""
    reset_tree()
    m = build(**kw)
    if change is not None:
        change(m)
    moose.reinit()
    moose.start(T)
    return state()


# ----------------------------------------------------------- structural changes
def add_pool_and_reac(m):
    p = moose.Pool('/m/P')
    p.concInit = 0.3
    r = moose.Reac('/m/r5')
    moose.connect(r, 'sub', m['pools']['A'], 'reac')
    moose.connect(r, 'prd', p, 'reac')
    r.Kf, r.Kb = 0.7, 0.05


def delete_reac(m):
    moose.delete(m['r']['r1'])


def delete_pool(m):
    moose.delete(m['pools']['B'])


def new_message(m):
    moose.connect(m['r']['r2'], 'prd', m['pools']['A'], 'reac')


def function_expr(m):
    m['f'].expr = 'x0*5'


def function_new_input(m):
    m['f'].expr = 'x0*2 + x1'
    moose.connect(m['pools']['C'], 'nOut', m['f'].x[1], 'input')


def move_reac_out(m):
    moose.move(m['r']['r2'], '/outside')


def move_pool_in(m):
    q = moose.Pool('/outside/Q')
    q.concInit = 2.0
    moose.connect(m['r']['r2'], 'prd', q, 'reac')     # outside the path: no effect yet
    moose.move(q, '/m')


def stoich_path(m):
    m['st'].reacSystemPath = '/m/#'       # leaves out /m/E/mm


def replace_with_bufpool(m):
    moose.delete(m['pools']['B'])
    b = moose.BufPool('/m/B')
    b.concInit = 0.8
    moose.connect(m['r']['r1'], 'sub', b, 'reac')
    moose.connect(m['r']['r2'], 'prd', b, 'reac')


def number_of_voxels(m):
    m['mesh'].nx = 3
    moose.vec(m['pools']['A']).concInit = np.array([1.0, 2.0, 0.5])


def volume(m):
    m['mesh'].volume = 3e-18


STRUCTURAL = [add_pool_and_reac, delete_reac, delete_pool, new_message, function_expr,
              function_new_input, move_reac_out, move_pool_in, stoich_path,
              replace_with_bufpool, number_of_voxels]


@pytest.mark.parametrize('method', ['rk5', 'lsoda'])
@pytest.mark.parametrize('change', STRUCTURAL, ids=lambda f: f.__name__)
def test_structural_change_is_seen_at_reinit(change, method):
    got, builds = changed_then_run(change, method=method)
    assert builds == 1
    want = fresh_run(change, method=method)
    base = fresh_run(None, method=method)
    assert not close(want, base, 1e-3), 'the change must matter, else the test cannot fail'
    assert close(got, want, 1e-7)


# --------------------------------------------------------------- value changes
def set_kf(m):
    m['r']['r1'].Kf = 3.0


def set_kb(m):
    m['r']['r1'].Kb = 1.5


def set_numkf(m):
    m['r']['r2'].numKf = 2.0


def set_km(m):
    m['mm'].Km = 0.05


def set_kcat(m):
    m['z'].kcat = 5.0


def set_enz_k2(m):
    m['z'].k2 = 10.0


def set_concinit(m):
    m['pools']['A'].concInit = 3.0


def set_ninit(m):
    m['pools']['B'].nInit = 100.0


def set_bufpool(m):
    m['X'].concInit = 4.0


VALUES = [set_kf, set_kb, set_numkf, set_km, set_kcat, set_enz_k2, set_concinit, set_ninit,
          set_bufpool, volume]


@pytest.mark.parametrize('method', ['rk5', 'lsoda'])
@pytest.mark.parametrize('change', VALUES, ids=lambda f: f.__name__)
def test_value_change_is_read_without_rebuild(change, method):
    got, builds = changed_then_run(change, method=method)
    assert builds == 0
    want = fresh_run(change, method=method)
    base = fresh_run(None, method=method)
    assert not close(want, base, 1e-3), 'the change must matter, else the test cannot fail'
    assert close(got, want, 1e-7)


def test_function_constant_between_runs():
    """c[] of an absorbed Function is a value: read again at reinit."""
    def use_c(m):
        m['f'].c['c0'] = 2.0
        m['f'].expr = 'x0*c0'

    def set_c(m):
        m['f'].c['c0'] = 6.0
    m = build()
    use_c(m)
    moose.reinit()
    moose.start(T)
    builds = num_builds(m['st'])
    set_c(m)
    moose.reinit()
    moose.start(T)
    assert num_builds(m['st']) == builds
    got = state()
    want = fresh_run(lambda m: (use_c(m), set_c(m)))
    base = fresh_run(use_c)
    assert not close(want, base, 1e-3)
    assert close(got, want, 1e-7)


def test_method_change_between_runs():
    got, builds = changed_then_run(lambda m: setattr(m['ks'], 'method', 'lsoda'))
    assert builds == 0
    assert close(got, fresh_run(method='lsoda'), 1e-6)


def test_unchanged_model_is_compiled_once_over_a_sweep():
    """100 reinit/start cycles over a parameter: one layout build, and the
    last run equals a fresh build with the last value."""
    m = build()
    moose.reinit()
    builds = num_builds(m['st'])
    assert builds >= 1
    kfs = np.linspace(0.5, 3.0, 100)
    for kf in kfs:
        m['r']['r1'].Kf = kf
        moose.reinit()
        moose.start(1.0)
    assert num_builds(m['st']) == builds
    got = state()
    reset_tree()
    m = build()
    m['r']['r1'].Kf = kfs[-1]
    moose.reinit()
    moose.start(1.0)
    assert close(got, state(), 1e-12)


def test_state_array_is_kept_when_nothing_changed():
    """A second reinit reuses the solver state the pools read (no new
    arrays, no re-pointing of columns) and restores the initial values."""
    m = build()
    moose.reinit()
    st = m['ks']._el.data['compiled'].state
    moose.start(T)
    moose.reinit()
    assert m['ks']._el.data['compiled'].state is st
    assert m['pools']['A'].conc == pytest.approx(1.0, rel=1e-12)
    assert m['pools']['A']._el.cols['n'].base is st


@pytest.mark.parametrize('method', ['rk5', 'lsoda'])
def test_structural_change_between_starts_takes_effect(method):
    """A reaction added between two start() calls (no reinit) acts from then
    on: the same as a fresh model of the new structure started from the
    state reached."""
    T1, T2 = 5.0, 10.0
    m = build(method=method)
    moose.reinit()
    moose.start(T1)
    mid = {p._el.path: p.n for p in moose.wildcardFind('/m/##[ISA=PoolBase]')}
    add_pool_and_reac(m)
    moose.start(T2)
    got = state()
    del got['table']
    reset_tree()
    m = build(method=method)
    add_pool_and_reac(m)
    for path, n in mid.items():
        moose.element(path).nInit = n
    moose.reinit()
    moose.start(T2)
    want = state()
    del want['table']
    assert close(got, want, 1e-6)


def test_value_change_between_starts_takes_effect():
    """Kf set between two starts is used from then on, without a build."""
    m = build(method='lsoda')
    moose.reinit()
    moose.start(5.0)
    mid = {p._el.path: p.n for p in moose.wildcardFind('/m/##[ISA=PoolBase]')}
    builds = num_builds(m['st'])
    m['r']['r1'].Kf = 4.0
    moose.start(5.0)
    assert num_builds(m['st']) == builds
    got = state()
    del got['table']
    reset_tree()
    m = build(method='lsoda')
    m['r']['r1'].Kf = 4.0
    for path, n in mid.items():
        moose.element(path).nInit = n
    moose.reinit()
    moose.start(5.0)
    want = state()
    del want['table']
    assert close(got, want, 1e-6)


# ------------------------------------------------------------------- Gsolve
def test_gsolve_structural_change_and_sweep():
    """The Gsolve shares the Stoich's layout: kept over reinits, built again
    after a change, and then the same as a fresh build with the same seed
    (the same arrays, so the same trajectory)."""
    m = build(solver='Gsolve')
    moose.reinit()
    moose.start(T)
    builds = num_builds(m['st'])
    for kf in (0.5, 1.0, 2.0):
        m['r']['r1'].Kf = kf
        moose.reinit()
        moose.start(2.0)
    assert num_builds(m['st']) == builds
    add_pool_and_reac(m)
    moose.reinit()
    moose.start(T)
    assert num_builds(m['st']) == builds + 1
    got = state()

    def both(m):
        m['r']['r1'].Kf = 2.0
        add_pool_and_reac(m)
    want = fresh_run(both, solver='Gsolve')
    base = fresh_run(lambda m: setattr(m['r']['r1'], 'Kf', 2.0), solver='Gsolve')
    assert want.keys() != base.keys()
    assert close(got, want, 0.0)


def test_gsolve_structural_change_between_starts_raises():
    m = build(solver='Gsolve')
    moose.reinit()
    moose.start(1.0)
    add_pool_and_reac(m)
    with pytest.raises(moose.SolverError, match='/m/gsolve.*reinit'):
        moose.start(1.0)


def test_gsolve_reinit_reuses_its_kernel_arrays_exactly():
    """An unchanged model keeps the Gsolve's kernel arrays (no new reaction
    ordering); after a rate set between starts (which keeps the run's
    reaction order) the next reinit orders afresh: each run equals a fresh
    build with the same seed, count for count."""
    m = build(solver='Gsolve')
    moose.reinit()
    ssa = m['ks']._el.data['compiled'].ssa
    moose.start(T)
    first = state()
    moose.reinit()
    assert m['ks']._el.data['compiled'].ssa is ssa
    moose.start(T)
    assert close(state(), first, 0.0)
    moose.reinit()
    moose.start(2.0)
    m['r']['r1'].Kf = 0.001                # between starts: r1 falls down the order
    moose.start(2.0)
    moose.reinit()
    assert m['ks']._el.data['compiled'].ssa is not ssa
    moose.start(T)
    got = state()
    assert close(fresh_run(lambda m: setattr(m['r']['r1'], 'Kf', 0.001), solver='Gsolve'),
                 got, 0.0)
    assert not close(first, got, 1e-3)


@pytest.mark.parametrize('method', ['rk5', 'lsoda'])
def test_volume_change_between_starts_takes_effect(method):
    """A compartment volume set between two starts (no reinit) keeps the
    concentrations and is used from then on: the same as a fresh model of
    the new volume started from the concentrations reached."""
    m = build(method=method)
    moose.reinit()
    moose.start(5.0)
    m['mesh'].volume = 3e-18
    mid = {p._el.path: p.conc for p in moose.wildcardFind('/m/##[ISA=PoolBase]')}
    moose.start(5.0)
    got = state()
    del got['table']
    reset_tree()
    m = build(method=method)
    m['mesh'].volume = 3e-18
    for path, c in mid.items():
        moose.element(path).concInit = c
    moose.reinit()
    moose.start(5.0)
    want = state()
    del want['table']
    assert close(got, want, 1e-6)
