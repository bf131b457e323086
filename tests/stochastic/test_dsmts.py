"""DSMTS cases 00001-00039 of the SBML Test Suite (read from
../shared/sbml-test-suite/stochastic/, never copied): each model is read
with ``moose.readSBML(file, path, solver='gssa')``, run n times through the
ensemble runner of its Gsolve, and judged by the suite's rule: at each
output time Z = sqrt(n)(mean - mu)/sigma within meanRange and
Y = sqrt(n/2)(S^2/sigma^2 - 1) within sdRange, with at most one miss of
each per column (the suite's README: 0-1 misses per test is what a correct
simulator shows).

Skipped until SBML loading with the stochastic solver exists (issue 3).
"""

from pathlib import Path

import numpy as np
import pytest

import moosepy as moose

pytestmark = [pytest.mark.stochastic, pytest.mark.sbml]

SUITE = Path(__file__).resolve().parents[3] / 'shared' / 'sbml-test-suite' / 'stochastic'
CASES = [f'{i:05d}' for i in range(1, 40)]
NRUNS = 4000


def _settings(case):
    out = {}
    for line in (SUITE / case / f'{case}-settings.txt').read_text().splitlines():
        if ':' in line:
            k, v = line.split(':', 1)
            out[k.strip()] = v.strip()
    return out


def _range(s):
    lo, hi = s.strip('()[] ').split(',')
    return float(lo), float(hi)


@pytest.mark.parametrize('case', CASES)
def test_dsmts_case(case):
    if not SUITE.is_dir():
        pytest.skip(f'{SUITE} not present')
    if not hasattr(moose, 'readSBML'):
        pytest.skip('needs moose.readSBML (issue 3)')
    from moosepy.stochastic.ensemble import run_ensemble
    xml = sorted((SUITE / case).glob(f'{case}-sbml-*.xml'))[-1]
    try:
        moose.readSBML(str(xml), '/model', solver='gssa')
    except moose.SolverError as exc:
        if 'not available' in str(exc) or 'stochastic' in str(exc):
            pytest.skip(f'needs moose.readSBML(..., solver="gssa") (issue 3): {exc}')
        raise
    st = _settings(case)
    gs = moose.wildcardFind('/model/##[ISA=Gsolve]')
    assert len(gs) == 1, f'{case}: expected one Gsolve under /model'
    g = gs[0]
    start, dur, steps = float(st['start']), float(st['duration']), int(st['steps'])
    times = np.linspace(start, start + dur, steps + 1)
    outputs = [c.strip() for c in st['output'].split(',')]
    species = sorted({c.rsplit('-', 1)[0] for c in outputs})
    pools = {p.name: p for p in moose.wildcardFind('/model/##[ISA=PoolBase]')}
    missing = [s for s in species if s not in pools]
    if missing:
        pytest.skip(f'{case}: outputs {missing} are not pools (rules/events outside Gsolve)')
    res = run_ensemble(g, NRUNS, times, pools=[pools[s] for s in species], seed=int(case))
    data = np.genfromtxt(SUITE / case / f'{case}-results.csv', delimiter=',', names=True)
    zlo, zhi = _range(st['meanRange'])
    ylo, yhi = _range(st['sdRange'])
    for k, s in enumerate(species):
        X = res.counts[:, :, k]
        mu = data[f'{s}mean'] if f'{s}mean' in data.dtype.names else data[f'{s}_mean']
        sd = data[f'{s}sd'] if f'{s}sd' in data.dtype.names else data[f'{s}_sd']
        ok = sd > 0
        Z = np.sqrt(NRUNS) * (X.mean(1)[ok] - mu[ok]) / sd[ok]
        if f'{s}-mean' in outputs:
            assert np.sum((Z <= zlo) | (Z >= zhi)) <= 1, (s, Z)
        if f'{s}-sd' in outputs:
            Y = np.sqrt(NRUNS / 2) * (X.var(1, ddof=1)[ok] / sd[ok] ** 2 - 1)
            assert np.sum((Y <= ylo) | (Y >= yhi)) <= 1, (s, Y)
