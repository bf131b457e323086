"""The explicit integrators' fused right-hand side (stoich._fused_fluxes,
kernels._rhs_fused): models of plain mass-action terms only compute each
flux from its two rate constants and scatter it at once.  It must give the
general loop's values bit for bit (same products, same differences), take
effect only where it applies, and keep the analytic answer."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.kinetics import kernels


def _ksolve_comp(ks):
    return ks._el.data['compiled']


def _model(path, nvox=1, enz=True, held=True, extra_prd=False):
    """A + B <-> C, 2 A -> D, C -> E (irreversible), a buffered X feeding
    A, a mass-action Enz (E + S <-> ES -> E + P); *extra_prd*: a Reac with
    five products (more pools than a fused row holds)."""
    moose.Neutral(path)
    mesh = moose.CubeMesh(path + '/c')
    if nvox > 1:
        mesh.x1, mesh.y1, mesh.z1 = nvox * 1e-6, 1e-6, 1e-6
        mesh.nx = nvox
    else:
        mesh.volume = 1e-18
    p = {}
    for k, (name, c0) in enumerate((('A', 1.0), ('B', 0.7), ('C', 0.0), ('D', 0.0),
                                    ('E', 0.0), ('S', 0.5), ('P', 0.0), ('Z', 0.01))):
        p[name] = moose.Pool(f'{mesh.path}/{name}')
        p[name].concInit = c0
    def reac(name, subs, prds, kf, kb):
        r = moose.Reac(f'{mesh.path}/{name}')
        for s in subs:
            moose.connect(r, 'sub', p[s], 'reac')
        for q in prds:
            moose.connect(r, 'prd', p[q], 'reac')
        r.Kf, r.Kb = kf, kb
    reac('r1', 'AB', 'C', 2.0, 0.3)
    reac('r2', 'AA', 'D', 0.5, 0.0)
    reac('r3', 'C', 'E', 0.4, 0.0)
    if held:
        p['X'] = moose.BufPool(mesh.path + '/X')
        p['X'].concInit = 0.2
        reac('feed', 'X', 'A', 0.3, 0.1)
    if enz:
        e = moose.Enz(p['Z'].path + '/enz')
        moose.connect(e, 'enz', p['Z'], 'reac')
        moose.connect(e, 'sub', p['S'], 'reac')
        moose.connect(e, 'prd', p['P'], 'reac')
        cplx = moose.Pool(e.path + '/cplx')
        moose.connect(e, 'cplx', cplx, 'reac')
        e.Km, e.kcat, e.ratio = 0.1, 2.0, 4.0
    if extra_prd:
        for q in 'FGHIJ':
            p[q] = moose.Pool(f'{mesh.path}/{q}')
        reac('burst', 'P', 'FGHIJ', 0.2, 0.0)
    ks = moose.Ksolve(mesh.path + '/ksolve')
    ks.method = 'rk5'
    st = moose.Stoich(mesh.path + '/stoich')
    st.compartment = mesh
    st.ksolve = ks
    st.reacSystemPath = mesh.path + '/##'
    return ks


def _integrate(comp, I, t1=5.0):
    A, B, E, C, order = kernels.tableau('rk5')
    y = comp.state.reshape(-1).copy()
    times = np.linspace(0.0, t1, 11)
    flats = np.arange(y.size)
    out = np.zeros((times.size, flats.size))
    h = kernels.rk_integrate(y, 0.0, t1, 0.0, A, B, E, C, float(order), 1e-8, 1e-8, times,
                             flats, out, I, comp.F, 10 ** 7)
    assert h > 0
    return out


@pytest.mark.parametrize('nvox', [1, 3])
def test_fused_equals_general_bit_for_bit(nvox):
    ks = _model('/fz%d' % nvox, nvox=nvox)
    moose.reinit()
    comp = _ksolve_comp(ks)
    info = kernels.unpack(comp.I, comp.F)[27]
    assert info[5] == 1                      # the fused form applies
    off = comp.I.copy()
    kernels.unpack(off, comp.F)[27][5] = 0   # the same model through the general loop
    a, b = _integrate(comp, comp.I), _integrate(comp, off)
    assert np.ptp(a) > 0.1                   # something happened
    assert np.array_equal(a, b)
    # and the right-hand side itself, called as LSODA calls it
    y = comp.state.reshape(-1).copy() + 0.37
    d1, d2 = np.empty_like(y), np.empty_like(y)
    kernels.rhs(0.0, y, d1, comp.I, comp.F)
    kernels.rhs(0.0, y, d2, off, comp.F)
    assert np.array_equal(d1, d2) and np.any(d1 != 0)
    moose.delete('/fz%d' % nvox)


def test_fused_form_only_where_it_applies():
    ks = _model('/fzx', extra_prd=True)        # a flux changing 6 pools
    moose.reinit()
    assert kernels.unpack(_ksolve_comp(ks).I, _ksolve_comp(ks).F)[27][5] == 0
    moose.delete('/fzx')
    moose.Neutral('/fzm')
    mesh = moose.CubeMesh('/fzm/c')
    mesh.volume = 1e-18
    s, e, q = (moose.Pool('/fzm/c/' + n) for n in 'SEP')
    s.concInit, e.concInit = 1.0, 0.01
    mm = moose.MMenz('/fzm/c/E/mm')
    moose.connect(e, 'nOut', mm, 'enzDest')
    moose.connect(mm, 'sub', s, 'reac')
    moose.connect(mm, 'prd', q, 'reac')
    ks = moose.Ksolve('/fzm/c/ks')
    ks.method = 'rk5'
    st = moose.Stoich('/fzm/c/st')
    st.compartment, st.ksolve, st.reacSystemPath = mesh, ks, '/fzm/c/##'
    moose.reinit()                              # a Michaelis-Menten term: general loop
    assert kernels.unpack(_ksolve_comp(ks).I, _ksolve_comp(ks).F)[27][5] == 0
    moose.delete('/fzm')


def test_fused_reversible_reaction_is_analytic():
    """A <-> B (Kf 2, Kb 0.5 /s) from A = 1 mM: A(t) = Aeq + (1 - Aeq) e^{-(Kf+Kb)t},
    Aeq = Kb/(Kf+Kb) mM, through the fused form."""
    moose.Neutral('/fza')
    mesh = moose.CubeMesh('/fza/c')
    mesh.volume = 1e-18
    a, b = moose.Pool('/fza/c/A'), moose.Pool('/fza/c/B')
    a.concInit = 1.0
    r = moose.Reac('/fza/c/r')
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    r.Kf, r.Kb = 2.0, 0.5
    ks = moose.Ksolve('/fza/c/ks')
    ks.method = 'rk5'
    st = moose.Stoich('/fza/c/st')
    st.compartment, st.ksolve, st.reacSystemPath = mesh, ks, '/fza/c/##'
    tab = moose.Table2('/fza/t')
    moose.connect(tab, 'requestOut', a, 'getConc')
    moose.reinit()
    assert kernels.unpack(_ksolve_comp(ks).I, _ksolve_comp(ks).F)[27][5] == 1
    moose.start(3.0)
    v = np.asarray(tab.vector)
    t = np.arange(v.size) * tab.dt
    want = 0.2 + 0.8 * np.exp(-2.5 * t)
    assert np.max(np.abs(v - want)) < 1e-6
    moose.delete('/fza')
