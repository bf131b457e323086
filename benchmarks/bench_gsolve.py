"""Gsolve speed: events per CPU-second on four models and trajectories per
CPU-second, moosepy beside pymoose 5.0.0's Gsolve.

    python benchmarks/bench_gsolve.py [--pymoose /work/sidevenv/bin/python] [--rounds 3]

Both simulators run the same builders (benchmarks/gsolve_models.py) through
benchmarks/gsolve_run.py, each in its own fresh process, alternately for
``--rounds`` rounds (this machine is shared, so timings drift; the best of
all rounds is kept for each side).  Timed: ``reinit(); start(runtime)``,
CPU seconds of the process; events: the sum of the Gsolve's numFire.
moosepy's numba kernels are compiled once and cached on disk; the first
run of a fresh process (cache load included) is printed separately.
"""

import argparse
import json
import os
import subprocess
import sys
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, 'gsolve_run.py')
TARGET = {'birth-death': 30e6, 'dimerisation': 29e6, 'schlogl': 21e6,
          'random-100x300': 3.8e6}


def _run(python, module, repeats, extra=()):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.path.dirname(HERE) + os.pathsep + env.get('PYTHONPATH', '')
    p = subprocess.run([python, RUNNER, '--module', module, '--repeats', str(repeats),
                        *extra], capture_output=True, text=True, env=env, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(f'{module} runner failed:\n{p.stderr[-3000:]}')
    return json.loads(p.stdout.strip().splitlines()[-1])


def _merge(best, res):
    if best is None:
        return res
    for k, v in res['models'].items():
        b = best['models'][k]
        if v['events_per_cpu_s'] > b['events_per_cpu_s']:
            v['first_cpu_s'] = min(v['first_cpu_s'], b['first_cpu_s'])
            best['models'][k] = v
    for key in ('trajectories', 'ensemble'):
        if key in res and res[key]['trajectories_per_cpu_s'] > \
                best[key]['trajectories_per_cpu_s']:
            best[key] = res[key]
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pymoose', default='/work/sidevenv/bin/python',
                    help='python of a side venv with pymoose 5.0.0 ("" to skip)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args()
    have_moose = bool(a.pymoose) and os.path.exists(a.pymoose)
    ours = theirs = None
    for _ in range(a.rounds):
        ours = _merge(ours, _run(sys.executable, 'moosepy', a.repeats))
        if have_moose:
            theirs = _merge(theirs, _run(a.pymoose, 'moose', a.repeats))
    print(f'{"model":16s} {"events":>9s} {"moosepy ev/CPU-s":>17s} {"MOOSE ev/CPU-s":>15s} '
          f'{"ratio":>6s} {"target":>7s}')
    for name, r in ours['models'].items():
        m = theirs['models'][name] if theirs else None
        ratio = r['events_per_cpu_s'] / m['events_per_cpu_s'] if m else float('nan')
        print(f'{name:16s} {r["events"]:9d} {r["events_per_cpu_s"] / 1e6:15.2f} M '
              f'{(m["events_per_cpu_s"] / 1e6 if m else float("nan")):13.2f} M '
              f'{ratio:6.2f} {TARGET[name] / 1e6:5.1f} M')
    t = ours['trajectories']
    tm = theirs['trajectories'] if theirs else None
    print('\n1000 birth-death trajectories of 1 s (one Gsolve, 1000 voxels, '
          'reinit+start):')
    tt = t['trajectories_per_cpu_s']
    tmm = tm['trajectories_per_cpu_s'] if tm else float('nan')
    print(f'  moosepy {tt:9.0f} /CPU-s   MOOSE {tmm:9.0f} /CPU-s   ratio {tt / tmm:.2f}')
    e = ours.get('ensemble')
    if e:
        print(f'  moosepy run_ensemble (one kernel call): {e["trajectories_per_cpu_s"]:9.0f} '
              f'/CPU-s')
    bd = ours['models']['birth-death']
    print(f'\nfirst birth-death run in a fresh process (numba cache load included): '
          f'{bd["first_cpu_s"]:.3f} CPU-s')


if __name__ == '__main__':
    main()
