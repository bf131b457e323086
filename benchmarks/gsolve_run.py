"""Runs the Gsolve benchmark models in one interpreter and prints JSON.

    python benchmarks/gsolve_run.py --module moosepy
    /work/sidevenv/bin/python benchmarks/gsolve_run.py --module moose

For each model of ``gsolve_models.MODELS``: build (untimed), then
``reinit(); start(runtime)`` timed with ``time.process_time`` (CPU seconds
of this process); events = the sum of the Gsolve's ``numFire[0]``.  Best of
``--repeats`` (the model is rebuilt each time, alone in the tree); the first
run of a fresh process is reported separately (for moosepy it includes
loading the numba kernels from their on-disk cache).  Then trajectories per
CPU-second: birth-death in ``--voxels`` independent voxels of one Gsolve,
1 s each.
"""

import argparse
import importlib
import json
import os
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.gsolve_models import MODELS, birth_death  # noqa: E402


def _events(g, nvox=1):
    return int(sum(int(sum(g.numFire[v])) for v in range(nvox)))


def run(moose, name, repeats):
    cpus, walls, evs = [], [], []
    runtime = None
    for k in range(repeats):
        m = MODELS[name](moose)
        runtime = m['runtime']
        w0, c0 = time.perf_counter(), time.process_time()
        moose.reinit()
        moose.start(m['runtime'])
        c1, w1 = time.process_time(), time.perf_counter()
        cpus.append(c1 - c0)
        walls.append(w1 - w0)
        evs.append(_events(m['gsolve']))
        moose.delete(m['gsolve'].parent.parent.path)
    best = min(range(repeats), key=lambda i: cpus[i] / max(evs[i], 1))
    return dict(events=evs[best], cpu_s=cpus[best], wall_s=walls[best],
                events_per_cpu_s=evs[best] / cpus[best], first_cpu_s=cpus[0],
                first_events=evs[0], runtime=runtime)


def trajectories(moose, nvox, repeats):
    best = None
    for k in range(repeats):
        m = birth_death(moose, path='/traj', nx=nvox, runtime=1.0)
        c0 = time.process_time()
        moose.reinit()
        moose.start(1.0)
        c = time.process_time() - c0
        ev = _events(m['gsolve'], nvox)
        moose.delete('/traj')
        if best is None or c < best[0]:
            best = (c, ev)
    return dict(trajectories=nvox, cpu_s=best[0], events=best[1],
                trajectories_per_cpu_s=nvox / best[0])


def ensemble(moose, ntraj, repeats):
    """moosepy only: the same trajectories through run_ensemble (no clock,
    no tables), one kernel call."""
    from moosepy.stochastic.ensemble import run_ensemble
    m = birth_death(moose, path='/ens', runtime=1.0)
    best = None
    for k in range(repeats):
        c0 = time.process_time()
        r = run_ensemble(m['gsolve'], ntraj, [1.0], seed=k + 1)
        c = time.process_time() - c0
        if best is None or c < best[0]:
            best = (c, r.events)
    moose.delete('/ens')
    return dict(trajectories=ntraj, cpu_s=best[0], events=best[1],
                trajectories_per_cpu_s=ntraj / best[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--module', default='moosepy')
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--voxels', type=int, default=1000)
    ap.add_argument('--models', default=','.join(MODELS))
    ap.add_argument('--method', default=None)
    a = ap.parse_args()
    moose = importlib.import_module(a.module)
    out = {'module': a.module, 'version': getattr(moose, '__version__', '?'), 'models': {}}
    if a.method:
        import benchmarks.gsolve_models as gm
        for k, f in list(gm.MODELS.items()):
            MODELS[k] = (lambda f: lambda mo, **kw: f(mo, method=a.method, **kw))(f)
    for name in a.models.split(','):
        if name:
            out['models'][name] = run(moose, name, a.repeats)
    if a.voxels:
        out['trajectories'] = trajectories(moose, a.voxels, a.repeats)
        if a.module == 'moosepy':
            out['ensemble'] = ensemble(moose, a.voxels, a.repeats)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
