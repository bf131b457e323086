"""Gsolve's exact SSA against exact statistics, with fixed seeds and
tolerances from the sample size.

* immigration-death (0 -> X at 1/s, X -> 0 at 0.1/s, X0 = 0): the exact law
  is Poisson(10 (1 - exp(-0.1 t))); the DSMTS rule (at most one of the 50
  times with |Z| >= 3 and at most one with |Y| >= 5) with n = 10,000 runs;
* dimerisation 2P <-> P2 (MOOSE's propensity numKf*P*(P-1)) against the
  distribution of its chemical master equation (scipy expm);
* birth-death stationary law against Poisson by chi-square;
* MMenz and explicit Enz propensities against their master equations;
* a Function-driven birth rate (recomputed after every event) against the
  exact stationary law of the birth-death chain it makes.
"""

import numpy as np
import pytest
from scipy import stats

import moosepy as moose
from moosepy.stochastic.ensemble import run_ensemble

from gsolve_models import (make_mesh, reac, attach, immigration_death, dimerisation,
                           zy, cme, dimer_generator)

pytestmark = pytest.mark.stochastic

N = 10_000


def chi2_pvalue(samples, pmf_support, pmf):
    """Chi-square of integer samples against a pmf on pmf_support; cells
    merged from the tails until every expected count is >= 5."""
    n = len(samples)
    obs = np.array([np.sum(samples == k) for k in pmf_support], dtype=float)
    exp = n * np.asarray(pmf, dtype=float)
    # everything outside the support goes to the last cell (its exp ~ 0)
    obs[-1] += n - obs.sum()
    cells_o, cells_e = [], []
    acc_o = acc_e = 0.0
    for o, e in zip(obs, exp):
        acc_o += o
        acc_e += e
        if acc_e >= 5:
            cells_o.append(acc_o)
            cells_e.append(acc_e)
            acc_o = acc_e = 0.0
    cells_o[-1] += acc_o
    cells_e[-1] += acc_e
    cells_e = np.array(cells_e) * n / np.sum(cells_e)
    return stats.chisquare(cells_o, cells_e).pvalue


def test_immigration_death_transient_dsmts_rule():
    g, x = immigration_death()
    t = np.arange(0.0, 51.0)
    res = run_ensemble(g, N, t, pools=[x], seed=20261125)
    X = res.counts[1:, :, 0]
    mu = 10 * (1 - np.exp(-0.1 * t[1:]))     # Poisson: sigma^2 = mu
    Z, Y = zy(X, mu, np.sqrt(mu))
    assert np.all(res.counts[0] == 0)
    assert np.sum(np.abs(Z) >= 3) <= 1, Z
    assert np.sum(np.abs(Y) >= 5) <= 1, Y
    # and not the low-count bias of MOOSE's Gsolve (mean 1.80 at t = 1 s):
    # at t = 1 the mean is 0.952 within 4 standard errors
    assert abs(X[0].mean() - mu[0]) < 4 * np.sqrt(mu[0] / N)


def test_dimerisation_matches_master_equation():
    kf, kb, p0 = 0.005, 0.4, 30
    g, p, p2 = dimerisation(kf, kb, p0)
    t = np.array([0.25, 0.5, 1.0, 2.0, 5.0, 10.0])
    res = run_ensemble(g, N, t, pools=[p2], seed=7)
    Q = dimer_generator(kf, kb, p0)
    p_init = np.zeros(Q.shape[0])
    p_init[0] = 1.0
    P = cme(Q, p_init, t)
    d = np.arange(Q.shape[0])
    for k in range(len(t)):
        mu = P[k] @ d
        sd = np.sqrt(P[k] @ d ** 2 - mu ** 2)
        Z, Y = zy(res.counts[k:k + 1, :, 0], np.array([mu]), np.array([sd]))
        assert abs(Z[0]) < 3.5 and abs(Y[0]) < 5, (t[k], Z, Y)
        assert chi2_pvalue(res.counts[k, :, 0], d, P[k]) > 1e-3
    # conservation P + 2 P2 in every trajectory
    res2 = run_ensemble(g, 50, t, seed=1)
    np.testing.assert_array_equal(res2.counts[:, :, 0] + 2 * res2.counts[:, :, 1], p0)


def test_textbook_convention_is_half_numKf():
    """Gillespie's c*P*(P-1)/2 is numKf = c/2: same master equation."""
    c = 0.01
    g, p, p2 = dimerisation(c / 2, 0.4, 30)
    res = run_ensemble(g, N, [1.0], pools=[p2], seed=3)
    nd = 16
    Q = np.zeros((nd, nd))
    for d in range(nd):
        P = 30 - 2 * d
        if d + 1 < nd:
            Q[d, d + 1] = c * P * (P - 1) / 2
        if d > 0:
            Q[d, d - 1] = 0.4 * d
        Q[d, d] = -Q[d].sum()
    pinit = np.eye(nd)[0]
    assert chi2_pvalue(res.counts[0, :, 0], np.arange(nd), cme(Q, pinit, [1.0])[0]) > 1e-3


def test_birth_death_stationary_poisson_chi_square():
    g, x = immigration_death(k_in=5.0, k_out=0.5, x0=10)
    res = run_ensemble(g, 5000, [40.0], pools=[x], seed=11)
    X = res.counts[0, :, 0]
    k = np.arange(0, 40)
    assert chi2_pvalue(X, k, stats.poisson.pmf(k, 10.0)) > 1e-3
    assert abs(X.mean() - 10) < 4 * np.sqrt(10 / 5000)


def test_mmenz_propensity_in_molecules():
    """S -> P by MMenz (E = 5 molecules, kcat 0.2/s, numKm 20): S is a pure
    death chain with rate kcat*E*S/(numKm + S)."""
    mesh = make_mesh()
    e = moose.Pool('/m/E')
    e.nInit = 5
    s = moose.Pool('/m/S')
    s.nInit = 40
    p = moose.Pool('/m/P')
    mm = moose.MMenz('/m/E/mm')
    moose.connect(e, 'nOut', mm, 'enzDest')
    moose.connect(mm, 'sub', s, 'reac')
    moose.connect(mm, 'prd', p, 'reac')
    mm.kcat = 0.2
    mm.numKm = 20.0
    g = attach(mesh)
    t = np.array([2.0, 5.0, 10.0])
    res = run_ensemble(g, N, t, pools=[s], seed=5)
    Q = np.zeros((41, 41))
    for n in range(1, 41):
        Q[n, n - 1] = 0.2 * 5 * n / (20.0 + n)
        Q[n, n] = -Q[n, n - 1]
    P = cme(Q, np.eye(41)[40], t)
    for k in range(len(t)):
        assert chi2_pvalue(res.counts[k, :, 0], np.arange(41), P[k]) > 1e-3


def test_explicit_enz_three_steps():
    """E + S <-> ES -> E + P with 2 enzymes and 8 substrates, against the
    master equation over (S, ES)."""
    mesh = make_mesh()
    e = moose.Pool('/m/E')
    e.nInit = 2
    s = moose.Pool('/m/S')
    s.nInit = 8
    p = moose.Pool('/m/P')
    enz = moose.Enz('/m/E/enz')
    cplx = moose.Pool('/m/E/enz/cplx')
    moose.connect(enz, 'enz', e, 'reac')
    moose.connect(enz, 'cplx', cplx, 'reac')
    moose.connect(enz, 'sub', s, 'reac')
    moose.connect(enz, 'prd', p, 'reac')
    enz.Km = 1e-5      # [mM]: k1 = (k2 + k3)/Km, about 0.07/(# s) in 1e-18 m^3
    enz.k2, enz.k3 = 0.5, 0.3
    g = attach(mesh)
    # MOOSE's Enz.k1 is per molecule already [1/(# s)]; setting k3 after k2
    # keeps the ratio k2/k3 (and Km), so read the constants back
    k1, k2, k3 = enz.k1, enz.k2, enz.k3
    assert k1 > 0 and k2 > 0 and k3 > 0
    states = [(S, C) for S in range(9) for C in range(3) if S + C <= 8]
    ix = {st: i for i, st in enumerate(states)}
    Q = np.zeros((len(states), len(states)))
    for (S, C), i in ix.items():
        E = 2 - C
        for (dS, dC, a) in ((-1, 1, k1 * E * S), (1, -1, k2 * C), (0, -1, k3 * C)):
            tgt = (S + dS, C + dC)
            if a > 0 and tgt in ix:
                Q[i, ix[tgt]] += a
        Q[i, i] = -Q[i].sum()
    t = np.array([1.0, 4.0, 12.0])
    res = run_ensemble(g, N, t, pools=[s, cplx], seed=9)
    P = cme(Q, np.eye(len(states))[ix[(8, 0)]], t)
    for k in range(len(t)):
        code = res.counts[k, :, 0].astype(int) * 3 + res.counts[k, :, 1].astype(int)
        support = np.array([S * 3 + C for S, C in states])
        order = np.argsort(support)
        assert chi2_pvalue(code, support[order], P[k][order]) > 1e-3


def test_function_driven_birth_rate_recomputed_per_event():
    """Birth of X at rate 20/(1 + X) set through a Function on numKf, death
    0.5/s: stationary law pi(x+1)/pi(x) = 20/(1+x) / (0.5 (x+1))."""
    mesh = make_mesh()
    src = moose.BufPool('/m/src')
    src.nInit = 1
    x = moose.Pool('/m/x')
    birth = reac('/m/birth', [src], [src, x], 1.0)
    reac('/m/death', [x], [], 0.5)
    f = moose.Function('/m/birth/f')
    f.expr = '20/(1+x0)'
    moose.connect(x, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', birth, 'setNumKf')
    g = attach(mesh)
    res = run_ensemble(g, 4000, [15.0], pools=[x], seed=2)
    k = np.arange(0, 30)
    w = np.ones(len(k))
    for i in range(1, len(k)):
        w[i] = w[i - 1] * (20.0 / i) / (0.5 * i)
    assert chi2_pvalue(res.counts[0, :, 0], k, w / w.sum()) > 1e-3


def test_schlogl_type_trimolecular_with_held_pools():
    """A + 2X <-> 3X and B <-> X with A, B buffered (held pools folded into
    the rates; the 3X propensity k*X(X-1)(X-2)) against the master equation
    of the one-dimensional chain, truncated far above any reached count."""
    mesh = make_mesh()
    a = moose.BufPool('/m/A')
    a.nInit = 2
    b = moose.BufPool('/m/B')
    b.nInit = 3
    x = moose.Pool('/m/X')
    x.nInit = 10
    k1, k2, k3, k4 = 0.05, 0.002, 1.0, 0.5
    reac('/m/r1', [a, x, x], [x, x, x], k1, k2)
    reac('/m/r2', [b], [x], k3, k4)
    g = attach(mesh)
    t = np.array([0.5, 1.5, 4.0])
    res = run_ensemble(g, 5000, t, pools=[x], seed=31)
    nmax = 150
    Q = np.zeros((nmax + 1, nmax + 1))
    for n in range(nmax + 1):
        up = k1 * 2 * n * (n - 1) + k3 * 3
        down = k2 * n * (n - 1) * (n - 2) + k4 * n
        if n < nmax:
            Q[n, n + 1] = up
        if n > 0:
            Q[n, n - 1] = down
        Q[n, n] = -Q[n].sum()
    P = cme(Q, np.eye(nmax + 1)[10], t)
    assert res.counts.max() < nmax - 20
    for k in range(len(t)):
        assert chi2_pvalue(res.counts[k, :, 0], np.arange(nmax + 1), P[k]) > 1e-3
