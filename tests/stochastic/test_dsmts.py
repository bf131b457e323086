"""DSMTS cases 00001-00039 of the SBML Test Suite (read from
../shared/sbml-test-suite/stochastic/, never copied): each model is read
with ``moose.readSBML(file, path, solver='gssa')``, run n times through the
ensemble runner of its Gsolve, and judged by the suite's rule: at each
output time Z = sqrt(n)(mean - mu)/sigma within meanRange and
Y = sqrt(n/2)(S^2/sigma^2 - 1) within sdRange, with at most one miss of
each per column (the suite's README: 0-1 misses per test is what a correct
simulator shows; 2-3 are worth checking for a pattern, which a second
independent ensemble does here).

Every case loads (events and assignment rules included, see
moosepy.kinetics.sbml.stochastic): a refusal of the stochastic SBML path is
a failure here, not a skip.
"""

from pathlib import Path

import numpy as np
import pytest

import moosepy as moose

pytestmark = [pytest.mark.stochastic, pytest.mark.sbml]

SUITE = Path(__file__).resolve().parents[3] / 'shared' / 'sbml-test-suite' / 'stochastic'
CASES = [f'{i:05d}' for i in range(1, 40)]
NRUNS = 10_000
EVENT_BUDGET = 5e7    # events per ensemble


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


# Known gaps of the SBML reader's stochastic path (issue 3), not of Gsolve
# (none at present)
KNOWN = {}


def _misses(res, data, species, outputs, zr, yr):
    """Misses of the suite's rule per judged column: {column: count}."""
    n = res.counts.shape[1]
    out = {}
    for k, s in enumerate(species):
        X = res.counts[:, :, k]
        mu = data[f'{s}mean']
        sd = data[f'{s}sd']
        ok = sd > 0
        if f'{s}-mean' in outputs:
            Z = np.sqrt(n) * (X.mean(1)[ok] - mu[ok]) / sd[ok]
            out[f'{s}-mean'] = int(np.sum((Z <= zr[0]) | (Z >= zr[1])))
        if f'{s}-sd' in outputs:
            Y = np.sqrt(n / 2) * (X.var(1, ddof=1)[ok] / sd[ok] ** 2 - 1)
            out[f'{s}-sd'] = int(np.sum((Y <= yr[0]) | (Y >= yr[1])))
    return out


@pytest.mark.parametrize('case', CASES)
def test_dsmts_case(case):
    """The suite's rule, with its advice for misses: at most one miss per
    column passes; otherwise a second, independent ensemble (another seed)
    is judged, since a wrong simulator misses in a pattern that repeats and
    chance does not (the Z and Y of neighbouring times are strongly
    correlated, so one unlucky ensemble misses at several times; and for
    heavy-tailed laws such as case 00003's late times Y is far from normal)."""
    if not SUITE.is_dir():
        pytest.skip(f'{SUITE} not present')
    if not hasattr(moose, 'readSBML'):
        pytest.skip('needs moose.readSBML (issue 3)')
    from moosepy.stochastic.ensemble import run_ensemble
    if case in KNOWN:
        pytest.xfail(KNOWN[case])
    xml = sorted((SUITE / case).glob(f'{case}-sbml-*.xml'))[-1]
    moose.readSBML(str(xml), '/model', solver='gssa')
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
    assert not missing, f'{case}: outputs {missing} are not pools'
    data = np.genfromtxt(SUITE / case / f'{case}-results.csv', delimiter=',', names=True)
    zr, yr = _range(st['meanRange']), _range(st['sdRange'])
    # 10,000 runs (the suite's advice), fewer (not below its minimum of
    # 1,000) for the models with ~1e5 events per run, to stay in the CI budget
    pilot = run_ensemble(g, 20, times, pools=[pools[s] for s in species], seed=99)
    nruns = int(min(NRUNS, max(1000, EVENT_BUDGET / max(pilot.events / 20, 1))))
    tries = []
    for seed in (int(case), 1000 + int(case)):
        res = run_ensemble(g, nruns, times, pools=[pools[s] for s in species], seed=seed)
        m = _misses(res, data, species, outputs, zr, yr)
        tries.append(m)
        if max(m.values()) <= 1:
            print(f'{case}: {nruns} runs, misses per column {tries}')
            return
    pytest.fail(f'{case}: misses per column in two independent ensembles of {nruns}: '
                f'{tries}')
