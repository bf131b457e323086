"""moosepy.batch scaling: wall time and speedup on 1 and 2 workers of a
Dask LocalCluster, and the batch layer's per-run overhead.

    python benchmarks/bench_batch.py [--workers 1 2] [--skip-hh] [--scheduler tcp://host:8786]

Workloads (each run builds its model in a worker process, runs it and
returns its table):

* Gsolve ensemble: 64 seeds of birth-death (0 -> X at 1000/s, X -> 0 at
  1/s, X0 = 1000; benchmarks/gsolve_models.py), 1000 s simulated (about
  2e6 SSA events per run), X recorded every 1 s.
* HH sweep: 32 current amplitudes (0.1-3.2 nA) into the soma of a
  101-compartment HH cell under HSolve (benchmarks/cell_models.py), 50 ms
  simulated at dt 25 us, soma Vm recorded.
* Overhead: 64 runs of a builder that builds nothing and returns a number;
  the per-run overhead is (wall x workers) / runs minus the mean time a
  run spent in its worker.

Each cluster is started and warmed (every worker runs the workload once,
loading numba's cached kernels) before it is timed; cluster start-up is
printed separately.  The machine's load is printed too: on a shared
2-core machine the speedup is bounded by what the other processes leave.
"""

import argparse
import os
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
os.environ['PYTHONPATH'] = os.pathsep.join([HERE, os.path.dirname(HERE),
                                            os.environ.get('PYTHONPATH', '')])

import cloudpickle  # noqa: E402
import cell_models  # noqa: E402
import gsolve_models  # noqa: E402
import hh_tables  # noqa: E402

# workers started by hand may not have benchmarks/ on their path: the
# model modules travel with the builders
for _m in (cell_models, gsolve_models, hh_tables):
    cloudpickle.register_pickle_by_value(_m)


def gsolve_run(runtime=1000.0):
    import moosepy as moose
    m = gsolve_models.birth_death(moose, '/bd', runtime=runtime)
    t = moose.Table2('/bd/tx')
    moose.connect(t, 'requestOut', m['pools'][0], 'getN')
    for tick in range(10, 20):
        moose.setClock(tick, 1.0)
    return {'X': t}


def hh_run(amp=1e-9):
    import moosepy as moose
    c = cell_models.build_cell(moose, 101)
    moose.element('/cell/stim').firstLevel = amp
    moose.element('/cell/stim').firstWidth = 40e-3
    return {'Vm': c['tables'][0]}


def noop(x=0.0):
    return {'x': float(x)}


def timed(fn, client, **kw):
    from moosepy.batch import run_batch
    t0 = time.perf_counter()
    ds = run_batch(fn, scheduler=client, **kw)
    wall = time.perf_counter() - t0
    bad = int((ds.error.values != '').sum())
    if bad:
        print(f'    {bad} runs failed: {ds.error.values[ds.error.values != ""][0]}')
    return wall, float(np.nanmean(ds.wall_s.values)), ds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--skip-hh', action='store_true')
    ap.add_argument('--scheduler', default=None,
                    help="time a running cluster instead (e.g. 'dask scheduler' and "
                         "'dask worker ADDR --nthreads 1 --nworkers 2' started by hand)")
    a = ap.parse_args()
    from distributed import Client, LocalCluster
    load = os.getloadavg()[0]
    print(f'machine: {os.cpu_count()} CPUs, load average {load:.1f}')
    work = [('Gsolve ensemble, 64 seeds', gsolve_run, dict(n_seeds=64, runtime=1000.0),
             dict(n_seeds=1, runtime=10.0))]
    if not a.skip_hh:
        amps = list(np.linspace(0.1e-9, 3.2e-9, 32))
        work.append(('HH sweep, 32 amplitudes', hh_run, dict(grid={'amp': amps},
                                                             runtime=0.05),
                     dict(grid={'amp': [1e-9]}, runtime=0.005)))
    work.append(('overhead, 64 empty runs', noop, dict(grid={'x': list(range(64))}),
                 dict(grid={'x': [0]})))
    res = {}
    if a.scheduler:
        a.workers = [None]
    for n in a.workers:
        t0 = time.perf_counter()
        if a.scheduler:
            cluster, client = None, Client(a.scheduler)
            n = len(client.nthreads())
            print(f'\n{a.scheduler}: {n} worker(s)')
        else:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=':0')
            client = Client(cluster)
            print(f'\n{n} worker(s): cluster up in {time.perf_counter() - t0:.2f} s')
        try:
            for label, fn, kw, warm in work:
                w = dict(warm)
                if 'grid' in w:
                    w['grid'] = {k: v * n for k, v in w['grid'].items()}
                else:
                    w['n_seeds'] = n
                timed(fn, client, **w)            # every worker loads its kernels
                wall, per_run, ds = timed(fn, client, **kw)
                nrun = ds.sizes['run']
                over = wall * n / nrun - per_run
                res[(label, n)] = wall
                print(f'  {label:<28} wall {wall:7.2f} s   {nrun} runs, {per_run * 1e3:8.1f} '
                      f'ms each in the worker, batch overhead {over * 1e3:6.1f} ms/run')
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    if len(a.workers) > 1:
        n0 = a.workers[0]
        print('\nspeedup:')
        for label, _fn, _kw, _w in work:
            for n in a.workers[1:]:
                print(f'  {label:<28} {n} vs {n0} worker(s): '
                      f'{res[(label, n0)] / res[(label, n)]:.2f}x')


if __name__ == '__main__':
    main()
