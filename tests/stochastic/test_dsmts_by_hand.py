"""Three DSMTS models built by hand through the MOOSE API (no SBML reader
needed) and judged against the suite's own expected means and standard
deviations (../shared/sbml-test-suite/stochastic/, read in place) by the
suite's rule: n = 10,000 runs, Z in (-3, 3) and Y in (-5, 5) at each output
time, at most one miss of each per column.

* 00001 birth-death: X -> 2X at 0.1 X, X -> 0 at 0.11 X, X0 = 100
* 00020 immigration-death: 0 -> X at 1, X -> 0 at 0.1 X, X0 = 0
* 00030 dimerisation with the SBML kinetic law k1 P (P-1)/2 (k1 = 0.001)
  and k2 P2 (k2 = 0.01), P0 = 100: in MOOSE's convention numKf = k1/2
"""

from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.stochastic.ensemble import run_ensemble

from gsolve_models import make_mesh, reac, attach

pytestmark = pytest.mark.stochastic

SUITE = Path(__file__).resolve().parents[3] / 'shared' / 'sbml-test-suite' / 'stochastic'
N = 10_000


def _expected(case):
    if not SUITE.is_dir():
        pytest.skip(f'{SUITE} not present')
    d = np.genfromtxt(SUITE / case / f'{case}-results.csv', delimiter=',', names=True)
    return d


def _judge(res, data, names):
    for k, s in enumerate(names):
        mu, sd = data[f'{s}mean'], data[f'{s}sd']
        ok = sd > 0
        X = res.counts[:, :, k][ok]
        Z = np.sqrt(N) * (X.mean(axis=1) - mu[ok]) / sd[ok]
        Y = np.sqrt(N / 2) * (X.var(axis=1, ddof=1) / sd[ok] ** 2 - 1)
        assert np.sum(np.abs(Z) >= 3) <= 1, (s, np.round(Z, 2))
        assert np.sum(np.abs(Y) >= 5) <= 1, (s, np.round(Y, 2))


def test_dsmts_00001_birth_death():
    data = _expected('00001')
    mesh = make_mesh()
    x = moose.Pool('/m/X')
    x.nInit = 100
    reac('/m/birth', [x], [x, x], 0.1)
    reac('/m/death', [x], [], 0.11)
    g = attach(mesh)
    res = run_ensemble(g, N, data['time'], pools=[x], seed=1001)
    _judge(res, data, ['X'])


def test_dsmts_00020_immigration_death():
    data = _expected('00020')
    mesh = make_mesh()
    src = moose.BufPool('/m/src')
    src.nInit = 1
    x = moose.Pool('/m/X')
    reac('/m/immigration', [src], [src, x], 1.0)
    reac('/m/death', [x], [], 0.1)
    g = attach(mesh)
    res = run_ensemble(g, N, data['time'], pools=[x], seed=1020)
    _judge(res, data, ['X'])


def test_dsmts_00030_dimerisation_sbml_law():
    data = _expected('00030')
    mesh = make_mesh()
    p = moose.Pool('/m/P')
    p.nInit = 100
    p2 = moose.Pool('/m/P2')
    reac('/m/dim', [p, p], [p2], 0.001 / 2, 0.01)
    g = attach(mesh)
    res = run_ensemble(g, N, data['time'], pools=[p, p2], seed=1030)
    _judge(res, data, ['P', 'P2'])
