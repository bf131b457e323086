"""The network benchmark's model (benchmarks/bench_network.py) stays a
working network: built by the benchmark's own builder at N = 20, K = 5,
the kernel path (synapses inside HSolve) and the Python-stepped path
(``ABSORB_SYNAPSES = False``) give the same spike times to 1e-12 s, every
cell fires, and the activity is still going at the end of the run."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from moosepy.electrical import hsolve

BENCH = Path(__file__).resolve().parents[2] / 'benchmarks' / 'bench_network.py'


@pytest.fixture(scope='module')
def bench():
    if not BENCH.exists():
        pytest.skip(f'{BENCH} not found')
    spec = importlib.util.spec_from_file_location('bench_network', BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_connectivity_is_as_documented(bench):
    m = bench.make_model(20, 5, seed=3)
    pre = m['pre']
    assert pre.shape == (20, 5)
    for i in range(20):
        assert i not in pre[i]                       # no self-connection
        assert len(set(pre[i].tolist())) == 5        # K distinct presynaptic cells
    assert np.all((m['delay'] >= 1e-3) & (m['delay'] <= 5e-3))
    assert np.all((m['inject'] > 0) & (m['inject'] < bench.RHEOBASE))
    assert len(m['kicked']) == 1
    assert m['gbar'] == pytest.approx(0.5e-9 * np.sqrt(2.0))
    # the same seed gives the same network (all simulators read one model)
    m2 = bench.make_model(20, 5, seed=3)
    assert all(np.array_equal(m[k], m2[k]) for k in ('pre', 'delay', 'weight', 'inject'))


def test_kernel_and_python_paths_agree_and_every_cell_fires(bench):
    model = bench.make_model(20, 5)
    model['runtime'] = 0.04                 # 40 ms keeps the Python path at a few s
    a = bench.run_moosepy(20, 5, absorb=True, model=model)
    assert hsolve.ABSORB_SYNAPSES is True
    b = bench.run_moosepy(20, 5, absorb=False, model=model)
    assert hsolve.ABSORB_SYNAPSES is True          # restored
    for x, y in zip(a['raster'], b['raster']):
        assert len(x) == len(y)
        assert np.max(np.abs(x - y), initial=0.0) < 1e-12
    # every cell fires, though only one is kicked: the synapses carry the
    # activity; and it is still going in the last 10 ms
    assert all(len(x) >= 1 for x in a['raster'])
    assert a['silent'] == 0
    last = np.concatenate(a['raster'])
    assert np.count_nonzero(last > 0.03) >= 5
    # spikes are >= refractT (2 ms) apart and within the run
    for x in a['raster']:
        assert np.all(np.diff(x) >= 2e-3 - 1e-12)
        assert np.all((x > 0) & (x <= 0.04 + 1e-12))
    # the event count is spikes x out-degree (all delays <= 5 ms arrive
    # by the end of the run for spikes before 35 ms)
    outdeg = np.bincount(model['pre'].ravel(), minlength=20)
    early = sum(int(np.count_nonzero(x <= 0.035)) * outdeg[j] for j, x in enumerate(a['raster']))
    assert early <= a['events'] <= sum(len(x) * outdeg[j] for j, x in enumerate(a['raster']))
