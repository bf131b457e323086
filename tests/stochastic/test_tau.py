"""Tau-leaping (Gsolve.method = 'tau'): Poisson numbers, no negative counts,
accuracy at large counts (where it is meant to be used), and the drop-in
path through moose.start."""

import numpy as np
import pytest
from scipy import stats

import moosepy as moose
from moosepy.stochastic.ensemble import run_ensemble
from moosepy.stochastic.kernels import seed_streams
from moosepy.stochastic.tau import poisson_samples

from gsolve_models import make_mesh, reac, attach, immigration_death, table

pytestmark = pytest.mark.stochastic


@pytest.mark.parametrize('lam', [0.3, 4.0, 9.99, 10.0, 37.5, 2500.0])
def test_poisson_numbers(lam):
    n = 50_000
    s = poisson_samples(lam, n, seed_streams(int(lam * 100), 1))
    assert abs(s.mean() - lam) < 4 * np.sqrt(lam / n)
    # variance of the sample variance of a Poisson: (lam + 2 lam^2 (n/(n-1))) / n
    assert abs(s.var(ddof=1) - lam) < 4 * np.sqrt((lam + 2 * lam ** 2) / n)
    lo, hi = stats.poisson.ppf([1e-4, 1 - 1e-4], lam).astype(int)
    k = np.arange(lo, hi + 1)
    obs = np.array([np.sum(s == i) for i in k], dtype=float)
    exp = stats.poisson.pmf(k, lam) * n
    keep = exp >= 5
    o = np.append(obs[keep], n - obs[keep].sum())
    e = np.append(exp[keep], n - exp[keep].sum())
    assert stats.chisquare(o, e).pvalue > 1e-3


def test_large_count_birth_death_close_to_exact():
    """0 -> X 1000/s, X -> 0 1/s from X0 = 1000: Poisson(1000) at all times.
    With epsilon = 0.01 the leap-induced variance error (about k*tau/2) is
    a few percent; the mean is unbiased."""
    g, x = immigration_death(k_in=1000.0, k_out=1.0, x0=1000)
    n = 4000
    res = run_ensemble(g, n, [2.0, 10.0], pools=[x], seed=8, method='tau', epsilon=0.01)
    X = res.counts[:, :, 0]
    assert np.all(X == np.round(X))
    for k in range(2):
        assert abs(X[k].mean() - 1000) < 4 * np.sqrt(1000 / n)
        assert abs(X[k].var(ddof=1) / 1000 - 1) < 0.06 + 4 * np.sqrt(2 / n)
    # far fewer leaps than events: the run fired ~2e4 events per trajectory
    assert res.events > 1.5e4 * n


def test_counts_never_negative_and_small_counts_fall_back_to_exact_steps():
    """A + B -> C with 30 A, 20 B and a fast rate: B must end at exactly 0,
    A at 10, never below, conservation kept in every trajectory."""
    mesh = make_mesh()
    a = moose.Pool('/m/A')
    a.nInit = 30
    b = moose.Pool('/m/B')
    b.nInit = 20
    c = moose.Pool('/m/C')
    reac('/m/r', [a, b], [c], 0.5)
    d = moose.Pool('/m/D')
    d.nInit = 5000
    reac('/m/decay', [d], [], 3.0)
    g = attach(mesh, method='tau')
    t = np.linspace(0.05, 3.0, 30)
    res = run_ensemble(g, 500, t, pools=[a, b, c, d], seed=4)
    A, B, C, D = (res.counts[:, :, i] for i in range(4))
    assert A.min() >= 0 and B.min() >= 0 and C.min() >= 0 and D.min() >= 0
    np.testing.assert_array_equal(A + C, 30)
    np.testing.assert_array_equal(B + C, 20)
    assert np.all(B[-1] == 0) and np.all(A[-1] == 10)
    # the decay mean: exact 5000 exp(-3t).  A leap of tau multiplies the mean
    # by 1 - k tau instead of exp(-k tau): with tau = eps/k (the mean bound
    # of the step selection) the relative bias after time t is about
    # k t eps / 2; allow twice that plus 4 standard errors
    eps = g.epsilon
    mu = 5000 * np.exp(-3 * t)
    se = np.sqrt(5000 * np.exp(-3 * t) * (1 - np.exp(-3 * t)) / 500)
    err = np.abs(D.mean(axis=1) - mu)
    assert np.all(err <= 3 * t * eps * mu + 4 * se), err / mu
    assert np.any(err > 4 * se)    # and it is not exact: the bias shows


def test_tau_through_moose_start_is_reproducible():
    runs = []
    for _ in range(2):
        if moose.exists('/m'):
            moose.delete('/m')
        g, x = immigration_death(k_in=1000.0, k_out=1.0, x0=1000, method='tau', seed=3)
        tab = table(x)
        moose.reinit()
        moose.start(20)
        runs.append(tab.vector.copy())
        assert g.method == 'tau' and g.usedSeed == 3
    assert np.array_equal(runs[0], runs[1])
    v = runs[0]
    assert len(v) == 21 and np.all(v == np.round(v)) and np.all(v > 800)
    assert g.numEvents > 30_000
