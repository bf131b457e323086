"""Kinetics benchmark: moosepy against MOOSE (pymoose 5.0.0) on kin_small and
kin_large (see kin_models.py), with MOOSE's default clocks.

Prints, per model and Ksolve method: model size, sim-only wall time
(reinit + start, best of N), MOOSE's time for the same model in the same
run when pymoose is installed in a side virtualenv, the ratio, and the
largest relative difference of the final concentrations.  Then: the time of
``python -c "import moosepy"`` and of a first run in a fresh process (numba
kernels loaded from the on-disk cache, not compiled).

    python benchmarks/bench_kinetics.py [--pymoose /path/to/venv/bin/python]

pymoose is found through --pymoose, $MOOSEPY_PYMOOSE_PYTHON,
/work/pymoose-venv/bin/python or /work/sidevenv/bin/python; without it only
moosepy's figures are printed.

    python benchmarks/bench_kinetics.py --steady 20 [--methods lsoda,rk5]

instead builds and runs kin_large 20 times in one process per simulator
(moosepy here, MOOSE in a side process), the runs interleaved one by one,
and prints the CPU seconds (time.process_time) of each warm run, reinit +
start and start only, with their spread (the first run, which loads
moosepy's numba kernels, is printed apart).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUNNER = os.path.join(HERE, 'run_pymoose_ref.py')


def find_pymoose(arg):
    for cand in (arg, os.environ.get('MOOSEPY_PYMOOSE_PYTHON'), '/work/pymoose-venv/bin/python',
                 '/work/sidevenv/bin/python'):
        if cand and os.path.exists(cand):
            ok = subprocess.run([cand, '-c', 'import moose'], capture_output=True)
            if ok.returncode == 0:
                return cand
    return None


def run_side(python, module, method, repeats):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'r.json')
        cmd = [python, RUNNER, out, '--method', method, '--repeats', str(repeats),
               '--module', module]
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        with open(out) as fh:
            return json.load(fh)['models']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--pymoose', default=None, help='python of a venv with pymoose 5.0.0')
    ap.add_argument('--repeats', type=int, default=7)
    ap.add_argument('--methods', default='lsoda,default')
    ap.add_argument('--steady', type=int, default=0, metavar='N',
                    help='N interleaved runs of kin_large per method: spread of run times')
    args = ap.parse_args()
    import numpy as np
    pym = find_pymoose(args.pymoose)
    if args.steady:
        steady_runs(pym, args.steady, args.methods.replace('default', 'rk5').split(','))
        return
    print(f'# kinetics benchmark  (pymoose: {pym or "not installed"}; load average '
          f'{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)')
    print(f'{"model":<10} {"method":<6} {"pools":>5} {"rates":>5} {"moosepy s":>10} '
          f'{"MOOSE s":>9} {"ratio":>6} {"max rel diff":>12}')
    for method in args.methods.split(','):
        ours = run_side(sys.executable, 'moosepy', method, args.repeats)
        ref = run_side(pym, 'moose', method, args.repeats) if pym else {}
        for name, r in ours.items():
            mine = r['wall_time_s']
            npools = len(r['final_conc'])
            nrates = r.get('num_rates', '')
            if name in ref:
                theirs = ref[name]['wall_time_s']
                a, b = np.array(r['final_conc']), np.array(ref[name]['final_conc'])
                diff = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))
                print(f'{name:<10} {r["method"]:<6} {npools:>5} {nrates:>5} {mine:>10.4f} '
                      f'{theirs:>9.4f} {mine / theirs:>6.2f} {diff:>12.2e}')
            else:
                print(f'{name:<10} {r["method"]:<6} {npools:>5} {nrates:>5} {mine:>10.4f} '
                      f'{"-":>9} {"-":>6} {"-":>12}')
    # import time and a first run in a fresh process (numba cache)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, '-c', 'import moosepy'], check=True)
    t_import = time.perf_counter() - t0
    code = ('import time, sys; sys.path.insert(0, %r); t0 = time.perf_counter(); '
            'import moosepy as moose; from benchmarks.kin_models import build_kin_small; '
            'm = build_kin_small(moose); moose.reinit(); moose.start(m["runtime"]); '
            'print(time.perf_counter() - t0)' % ROOT)
    first = float(subprocess.run([sys.executable, '-c', code], check=True,
                                 capture_output=True, text=True).stdout.strip())
    print(f'python -c "import moosepy": {t_import:.3f} s (whole process)')
    print(f'fresh process, import + build + first kin_small run: {first:.3f} s '
          f'(numba kernels from cache)')
    print(f'load average at the end: {os.getloadavg()[0]:.2f}')


def steady_runs(pym, n, methods):
    """kin_large built and run n times in one process, moosepy and MOOSE
    alternately; CPU seconds of each run."""
    import numpy as np
    sys.path.insert(0, ROOT)
    import moosepy
    from benchmarks.bench_reinit_kinetics import Side, steady
    side = Side(pym) if pym else None
    print(f'# kin_large (200 pools, 400 reactions, 100 s), {n} runs per simulator, each '
          f'built anew in one process, moosepy and MOOSE interleaved; CPU s '
          f'(time.process_time); load average {os.getloadavg()[0]:.2f} on '
          f'{os.cpu_count()} CPUs')
    for method in methods:
        ours, theirs = [], []
        for _ in range(n + 1):
            ours += steady(moosepy, {'method': method, 'n': 1})
            if side is not None:
                r = side({'kind': 'steady', 'method': method, 'n': 1})
                theirs += r or []
        for name, runs in (('moosepy', ours), ('MOOSE', theirs)):
            if not runs:
                continue
            first, warm = runs[0], np.array(runs[1:])
            both = warm.sum(axis=1)
            start = warm[:, 1]
            print(f'{name:<8} {method:<6} first run {sum(first):.4f} | warm x{len(warm)}: '
                  f'reinit+start min {both.min():.4f} median {np.median(both):.4f} '
                  f'max {both.max():.4f} (max/min {both.max() / both.min():.2f}); '
                  f'start only min {start.min():.4f} max {start.max():.4f}')
            print(f'{"":<15} runs: ' + ' '.join(f'{x:.4f}' for x in both))
    if side is not None:
        side.close()
    print(f'# load average at the end: {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
