"""The stochastic rdesigneur tutorials give pymoose 5.0.0's statistics on
moosepy (issue 13 item 1, second half), through
benchmarks/bench_stochastic_tutorials.py: each tutorial runs unchanged under
the corpus runner on both simulators with its seed moved run by run, and
per-run statistics of its /model/graphs tables are compared by Welch's t
test with a Bonferroni correction (details in the benchmark's docstring).

Default (about 45 s): ex11.0 (Gsolve) against pymoose with MOOSE's rule
for outside changes put back into moosepy (moosepy itself redraws the next
event time, MOOSE 5.0 keeps it: tests/stochastic/test_gsolve_outside_change.py),
5 runs a side, and the self-check that moosepy's sample with its random
statistics scaled by 1.2 is rejected; ex9.2 (unseeded random spines), 2 runs
a side: the same spines, tables and values as pymoose seed by seed, other
spines at another seed.  MOOSEPY_SLOW_TUTORIALS=1: all six tutorials at the
benchmark's N.
"""
import importlib.util
import os
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / 'benchmarks' / 'bench_stochastic_tutorials.py'
SLOW = os.environ.get('MOOSEPY_SLOW_TUTORIALS') == '1'


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('bench_stochastic_tutorials', BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if mod.find_corpus() is None:
        pytest.skip('moose-examples corpus (/work/shared or ../shared) absent')
    if mod.find_pymoose() is None:
        pytest.skip('pymoose side venv (../pymoose-venv) absent')
    return mod


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    return tmp_path_factory.mktemp('stoch_tutorials')


def _evaluate(bench, work, name, n, labels=None):
    res = bench.evaluate(name, n, str(work), bench.find_pymoose(), labels=labels,
                         log=lambda s: None)
    for r in res:
        sb = r['side_b']
        if len(r['failed_runs'][sb]) == n:
            pytest.skip(f'pymoose did not run {name} (see {work}/{name}/{sb})')
        assert not r['failed_runs'][r['side_a']], (name, r['side_a'], r['failed_runs'])
        assert not r['failed_runs'][sb], (name, sb, r['failed_runs'])
        assert r['n_a'] == r['n_b'] == n
    return res


def _why(r):
    w = r['worst']
    return (f"{r['name']} [{r['label']}]: worst {w['name']} z {w['z']:.2f} "
            f"p*m {w['p_bonf']:.2e}: moosepy {w['mean_a']:.5g} +- {w['sd_a']:.3g}, "
            f"pymoose {w['mean_b']:.5g} +- {w['sd_b']:.3g}")


def test_ex11_gsolve_statistics_as_pymoose(bench, work):
    label = 'moosepy keeping MOOSE rule'
    (r,) = _evaluate(bench, work, 'ex11.0_presyn_dynamics', 5, labels=[label])
    assert r['m'] >= 60           # 17 tables: mean, sd, final, max; spikes
    assert r['passed'], _why(r)
    # self-check: the same comparison rejects moosepy's sample with the
    # statistics that vary from seed to seed scaled by 1.2
    num_rtol = bench.TUTORIALS['ex11.0_presyn_dynamics']['num_rtol']
    names = bench.random_names(r['sample_a'], r['sample_b'])
    assert len(names) > 30
    bad = bench.compare_samples(bench.scaled(r['sample_a'], 1.2, names), r['sample_b'],
                                num_rtol)
    assert not bad['passed'], _why(bad | {'name': 'scaled x1.2', 'label': label})
    # and the runs differ from seed to seed on both sides (the seeds moved)
    for sample in (r['sample_a'], r['sample_b']):
        assert len({s['plot1[0] mean'] for s in sample}) == len(sample)


def test_ex9_2_same_spines_as_pymoose_seed_by_seed(bench, work):
    (r,) = _evaluate(bench, work, 'ex9.2_spines_in_neuronal_morpho', 2)
    assert r['passed'], _why(r)
    # the same spines and tables at one seed, the values to 1e-9 of the
    # plot's scale (measured 4.8e-12) ...
    assert r['paired'] < 1e-9, r['paired']
    # ... and other spines at another seed
    a0, a1 = r['sample_a']
    assert a0['plot0 n_tables'] != a1['plot0 n_tables']
    assert min(a0['plot0 n_tables'], a1['plot0 n_tables']) > 500   # one Vm table a compartment


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason='the full statistics take ~25 min of CPU; set '
                    'MOOSEPY_SLOW_TUTORIALS=1 to run them')
@pytest.mark.parametrize('name', [
    'ex11.0_presyn_dynamics',
    'ex12.0_multiscale_seq_selectivity',
    'ex13.1_BCM_multiscale', 'ex13.2_BCM_metaplasticity', 'ex13.3_BCM_syn_wt_feedback',
    'ex9.2_spines_in_neuronal_morpho'])
def test_full_statistics(bench, work, name):
    res = _evaluate(bench, work, name, bench.TUTORIALS[name]['n'])
    for r in res:
        if r['expect'] == 'same' or r['expect'] == 'open':
            assert r['passed'], _why(r)
        elif r['expect'] == 'differ':       # MOOSE's Gsolve rule, documented
            assert not r['passed'], _why(r)
        if r['passed'] and r['expect'] != 'info':     # the test can fail
            assert r['power_rand'] is not None and r['power_rand'] <= 0.5, r['power_rand']
