"""The explicit Runge-Kutta path of Ksolve (kinetics/kernels.py) on models
that use every branch of its right-hand side: plain mass action of order
<= 2, opposite terms netted into one flux, mass action of order 3 and
Michaelis-Menten terms (the general loop), a buffered pool and a
function-assigned pool (held: no entries), Functions that assign a pool,
add a rate to a pool and set a rate constant, and several voxels.

Oracles are independent of the solver's compiler: an ODE system written out
by hand in concentrations, integrated by scipy's DOP853 at rtol 1e-12, and
a dense stoichiometry-times-rates product built from the model's own
messages."""

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import moosepy as moose

NA = 6.02214076e23
VOL = 1e-18
NAV = NA * VOL
RK_METHODS = ['rk5', 'rkck', 'rk2', 'rk4', 'rk8']
KKIT = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'kkit'


def _reac(path, subs, prds, kf, kb):
    r = moose.Reac(path)
    for s in subs:
        moose.connect(r, 'sub', s, 'reac')
    for p in prds:
        moose.connect(r, 'prd', p, 'reac')
    r.Kf, r.Kb = kf, kb
    return r


def build_mixed(method):
    """Pools (mM) and the hand-written ODE of the same model (see _mixed_ode)."""
    mesh = moose.CubeMesh('/m')
    mesh.volume = VOL
    P = {}
    for name, c0 in (('A', 1.0), ('B', 0.5), ('C', 0.0), ('D', 0.8), ('S', 1.0), ('Pr', 0.0),
                     ('E', 0.05), ('G', 0.0), ('H', 0.1)):
        P[name] = moose.Pool('/m/' + name)
        P[name].concInit = c0
    P['X'] = moose.BufPool('/m/X')
    P['X'].concInit = 0.3
    _reac('/m/r1', [P['A'], P['B']], [P['C']], 2.0, 0.5)          # A + B <-> C
    _reac('/m/r2', [P['C']], [P['D']], 0.3, 0.0)                   # C -> D
    _reac('/m/r3', [P['D'], P['D'], P['G']], [P['A']], 0.4, 0.1)   # 2D + G <-> A (order 3)
    _reac('/m/r4', [P['X']], [P['B']], 0.1, 0.05)                  # X <-> B, X buffered
    mm = moose.MMenz('/m/E/mm')                                    # S -> Pr, MM by E
    moose.connect(P['E'], 'nOut', mm, 'enzDest')
    moose.connect(mm, 'sub', P['S'], 'reac')
    moose.connect(mm, 'prd', P['Pr'], 'reac')
    mm.Km, mm.kcat = 0.5, 2.0
    r5 = _reac('/m/r5', [P['Pr']], [P['S']], 1.0, 0.0)             # Pr -> S, Kf from f5
    # G = 2 A (setConc): G is assigned, so held
    fg = moose.Function('/m/G/f')
    fg.expr = '2*x0'
    moose.connect(P['A'], 'nOut', fg.x[0], 'input')
    moose.connect(fg, 'valueOut', P['G'], 'setN')
    # d nH/dt += 0.05 nB  [#/s]
    fh = moose.Function('/m/H/f')
    fh.expr = '0.05*x0'
    moose.connect(P['B'], 'nOut', fh.x[0], 'input')
    moose.connect(fh, 'valueOut', P['H'], 'increment')
    # numKf of r5 (first order, 1/s) = 0.1 + 0.2 [A]
    f5 = moose.Function('/m/r5f')
    f5.expr = '0.1 + 0.2*x0/%r' % NAV
    moose.connect(P['A'], 'nOut', f5.x[0], 'input')
    moose.connect(f5, 'valueOut', r5, 'setNumKf')
    ks = moose.Ksolve('/m/ksolve')
    ks.method = method
    ks.epsRel = 1e-9
    ks.epsAbs = 1e-9
    st = moose.Stoich('/m/stoich')
    st.compartment, st.ksolve, st.reacSystemPath = mesh, ks, '/m/##'
    return P, ks


ORDER = ['A', 'B', 'C', 'D', 'S', 'Pr', 'H']


def _mixed_ode(t, u):
    A, B, C, D, S, Pr, H = u
    G, X, E = 2 * A, 0.3, 0.05
    v1 = 2.0 * A * B - 0.5 * C
    v2 = 0.3 * C
    v3 = 0.4 * D * D * G - 0.1 * A
    v4 = 0.1 * X - 0.05 * B
    vm = 2.0 * E * S / (0.5 + S)
    v5 = (0.1 + 0.2 * A) * Pr
    return [-v1 + v3, -v1 + v4, v1 - v2, v2 - 2 * v3, -vm + v5, vm - v5, 0.05 * B]


@pytest.fixture(scope='module')
def mixed_reference():
    t = np.arange(1.0, 21.0)
    sol = solve_ivp(_mixed_ode, (0.0, 20.0), [1.0, 0.5, 0.0, 0.8, 1.0, 0.0, 0.1],
                    method='DOP853', rtol=1e-12, atol=1e-14, t_eval=t)
    assert sol.success
    return t, sol.y


@pytest.mark.parametrize('method', RK_METHODS + ['lsoda'])
def test_mixed_model_every_method_matches_hand_ode(method, mixed_reference):
    """Every integrator against the hand-written ODE, sampled each second
    (tables, so the integrator stops on every sample), to 1e-6 of each
    pool's scale; G follows 2 A, X stays put."""
    t, ref = mixed_reference
    P, ks = build_mixed(method)
    moose.Neutral('/g')
    tabs = {}
    for name in ORDER + ['G', 'X']:
        tabs[name] = moose.Table2('/g/' + name)
        moose.connect(tabs[name], 'requestOut', P[name], 'getConc')
    for tick in (8, 16, 18):
        moose.setClock(tick, 1.0)
    moose.reinit()
    moose.start(20.0)
    for k, name in enumerate(ORDER):
        got = np.asarray(tabs[name].vector)[1:]
        scale = max(np.max(np.abs(ref[k])), 1e-3)
        err = np.max(np.abs(got - ref[k])) / scale
        assert err < 1e-6, f'{method} {name}: max error {err:.2e} of its scale'
    np.testing.assert_allclose(np.asarray(tabs['G'].vector)[1:], 2 * ref[0], rtol=1e-6)
    np.testing.assert_allclose(tabs['X'].vector, 0.3, rtol=1e-12)


def _dense_rhs(comp, y):
    """dn/dt of one voxel from first principles: rates of the compiled
    terms (reactant lists, rate constants) times the stoichiometry matrix,
    held pools' rows zeroed; without the kernels' netting and partitions."""
    A = comp.arrays
    v = np.empty(comp.nterms)
    for r in range(comp.nterms):
        subs = A['sub_idx'][A['sub_ptr'][r]:A['sub_ptr'][r + 1]]
        s = np.prod(y[subs]) if len(subs) else 1.0
        if A['ttype'][r] == 0:
            v[r] = A['kk'][0][r] * s
        else:
            v[r] = A['kk'][0][r] * y[A['mm_enz'][r]] * s / (A['km'][0][r] + s)
    d = comp.stoich_matrix() @ v
    d[np.asarray(A['held'], dtype=bool)] = 0.0
    return d


def test_rhs_equals_dense_stoichiometry_times_rates():
    """The kernel's netted, scattered right-hand side equals N @ v (held
    rows 0) on a model of plain, order-3 and MM terms and a buffered pool,
    at random states (functions left out: their rates are not in N)."""
    from moosepy.kinetics import kernels
    P, ks = build_mixed('rk5')
    for f in ('/m/G/f', '/m/H/f', '/m/r5f'):
        moose.delete(f)
    moose.reinit()
    comp = ks._el.data['compiled']
    assert comp.arrays['rk_info'][0] < comp.nterms        # general terms present
    assert len(comp.arrays['flux_a']) < comp.nterms       # some terms were netted
    rng = np.random.default_rng(3)
    for _ in range(5):
        y = rng.uniform(0.0, 2.0 * NAV, comp.npools)
        got = kernels.rhs_odeint(y, 0.0, comp.I, comp.F)
        want = _dense_rhs(comp, y)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.max(np.abs(want)))


def test_rhs_acc35_equals_dense_stoichiometry():
    """Same check on the largest reference kkit model (81 pools, 136 terms,
    one assigning Function): at its initial state with the Function's pool
    assigned first, as every RK stage does."""
    if not KKIT.is_dir():
        pytest.skip(f'{KKIT} is absent')
    from moosepy.kinetics import kernels
    from moosepy.kinetics.kkit import read_kkit
    read_kkit(str(KKIT / 'acc35.g'), '/model', 'gsl')
    moose.reinit()
    ks = moose.wildcardFind('/model/##[ISA=Ksolve]')[0]
    comp = ks._el.data['compiled']
    y = comp.state.reshape(-1).copy()
    kernels.assign(0.0, y, comp.I, comp.F)
    got = kernels.rhs_odeint(y, 0.0, comp.I, comp.F)
    want = _dense_rhs(comp, y)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12 * np.max(np.abs(want)))


@pytest.mark.parametrize('method', ['rk5', 'rk8'])
def test_voxels_with_assigning_function(method):
    """Three voxels, each: A decays (0.2/s), G = 2 A (Function, per voxel),
    G -> B (0.1/s): B = 0.2 A0 (1 - exp(-0.2 t)) / 0.2 in each voxel."""
    mesh = moose.CubeMesh('/m')
    mesh.x1, mesh.y1, mesh.z1 = 3e-6, 1e-6, 1e-6
    mesh.nx = 3
    a, g, b = (moose.Pool('/m/' + n) for n in 'AGB')
    a0 = np.array([1.0, 2.0, 3.0])
    _reac('/m/decay', [a], [], 0.2, 0.0)
    _reac('/m/make', [g], [b], 0.1, 0.0)
    f = moose.Function('/m/G/f')
    f.expr = '2*x0'
    moose.connect(a, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', g, 'setN')
    ks = moose.Ksolve('/m/k')
    ks.method = method
    st = moose.Stoich('/m/s')
    st.compartment, st.ksolve, st.reacSystemPath = mesh, ks, '/m/##'
    moose.vec('/m/A').concInit = a0     # (one entry per voxel once taken)
    moose.reinit()
    moose.start(5.0)
    t = 5.0
    np.testing.assert_allclose(moose.vec('/m/A').conc, a0 * math.exp(-0.2 * t), rtol=1e-6)
    np.testing.assert_allclose(moose.vec('/m/G').conc, 2 * a0 * math.exp(-0.2 * t), rtol=1e-6)
    np.testing.assert_allclose(moose.vec('/m/B').conc, a0 * (1 - math.exp(-0.2 * t)),
                               rtol=1e-6)


def _identical_voxels(nvox, method):
    """*nvox* equal cubes (no Dsolve) of a model with general rates only
    (a two-substrate MMenz of a buffered enzyme, a one-substrate MMenz, a
    third-order Reac): counts of A, B, C after 20 s."""
    if moose.exists('/iv'):
        moose.delete('/iv')
    moose.Neutral('/iv')
    m = moose.CubeMesh('/iv/cube')
    m.x0, m.y0, m.z0 = 0.0, 0.0, 0.0
    m.x1, m.y1, m.z1 = nvox * 1e-6, 1e-6, 1e-6
    m.dx, m.dy, m.dz = 1e-6, 1e-6, 1e-6
    a, b, c = (moose.Pool(f'/iv/cube/{x}') for x in 'ABC')
    a.concInit, b.concInit, c.concInit = 1.0, 0.5, 0.1
    enz = moose.BufPool('/iv/cube/enz')
    enz.concInit = 0.2
    e = moose.MMenz('/iv/cube/enz/e')
    e.Km, e.kcat = 0.5, 0.4
    moose.connect(enz, 'nOut', e, 'enzDest')
    moose.connect(e, 'sub', b, 'reac')
    moose.connect(e, 'sub', c, 'reac')
    moose.connect(e, 'prd', a, 'reac')
    e2 = moose.MMenz('/iv/cube/B/e2')
    e2.Km, e2.kcat = 0.3, 0.7
    moose.connect(b, 'nOut', e2, 'enzDest')
    moose.connect(e2, 'sub', a, 'reac')
    moose.connect(e2, 'prd', b, 'reac')
    _reac('/iv/cube/r3', [a, a, b], [c], 0.8, 0.02)
    st = moose.Stoich('/iv/cube/st')
    st.compartment = m
    ks = moose.Ksolve('/iv/cube/ks')
    ks.method = method
    st.ksolve = ks
    st.reacSystemPath = '/iv/cube/##'
    moose.reinit()
    moose.start(20.0)
    out = np.array([moose.vec(f'/iv/cube/{x}').n for x in 'ABC'])
    moose.delete('/iv')
    return out


@pytest.mark.parametrize('method', ['rk2', 'rkck'])
def test_general_rates_over_many_voxels_as_one_voxels(method):
    """The generic kernel takes the general rates of several voxels term by
    term over the voxels (kernels._slot_rates_general), one voxel voxel by
    voxel (_rhs_general).  With equal voxels the error control (largest
    over all entries) takes the same steps, so every voxel must follow the
    one-voxel trajectory bit for bit."""
    one = _identical_voxels(1, method)
    many = _identical_voxels(6, method)
    assert many.shape == (3, 6)
    for v in range(6):
        assert np.array_equal(many[:, v], one[:, 0])
    assert abs(one[0, 0] - 1.0 * NAV) > 0.05 * NAV        # A moved
