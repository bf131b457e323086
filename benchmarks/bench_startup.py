"""Start-up costs: what a new process pays before and around its first run.

Every figure comes from fresh subprocesses, repeated (``--repeat``, 5 by
default); the median and the range (min-max) of wall and CPU seconds are
printed.  Cases, each run by ``--child`` in a new interpreter:

* ``import``: ``import moosepy`` (``import moose`` for MOOSE);
* ``chem``: ``benchmarks/kin_models.build_kin_small`` (5 pools, lsoda,
  1000 s); ``cell``: ``benchmarks/cell_models.build_cell(moose, 100)``
  (100 compartments, Na + K, HSolve, 50 ms).  The figure is the first
  ``reinit(); start(T)`` minus the same ``reinit(); start(T)`` again in the
  same process: what the first run costs above the simulation itself
  (loading or compiling kernels, first-time imports such as scipy's);
* ``cli``: the whole ``python -m moosepy.cli run`` process (the bundled
  default model, 300 s of mapk_feedback), wall and CPU of the process.

moosepy is measured in three states:

* ``aot``: after ``moosepy warmup`` (ahead-of-time compiled kernels; the
  bench runs the warm-up into its cache folder if needed and prints its
  time);
* ``numba``: numba's on-disk cache warm, no AOT modules (``MOOSEPY_AOT=0``);
* ``auto``: as installed, with nothing asked of the user: a new cache
  folder, one ``moosepy run`` (it compiles, and as it exits starts the
  background warm-up, :func:`moosepy.jit.auto_warmup`), then the figures
  once that warm-up is done (the bench waits for it and prints how long);
* ``cold``: an empty numba cache (a new ``NUMBA_CACHE_DIR`` per run), as the
  first run after ``pip install`` (``--cold-repeat`` runs, 3 by default:
  each compiles for 20-40 s).

MOOSE (pymoose 5.0.0, ``--pymoose PYTHON``) runs the same builders beside.
The numba cache and the AOT modules live in ``--cache-dir``
(``benchmarks/results/startup_cache`` by default), not in the package, so
other work on the sources does not disturb the figures, and the repository's
own caches are left alone.

Usage::

    python benchmarks/bench_startup.py --pymoose /work/pymoose-venv/bin/python
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHEM_T, CELL_T = 1000.0, 0.05


# --------------------------------------------------------------------- child
def _child(case, module):
    """Run one case in this process; print one JSON line of (wall, cpu)."""
    sys.path.insert(0, str(HERE))
    w0, c0 = time.perf_counter(), time.process_time()
    if module == 'moose':
        import moose
    else:
        import moosepy as moose
    w1, c1 = time.perf_counter(), time.process_time()
    out = {'import': (w1 - w0, c1 - c0)}
    if case in ('chem', 'cell'):
        if case == 'chem':
            from kin_models import build_kin_small
            m = build_kin_small(moose)
            T = CHEM_T
        else:
            from cell_models import build_cell
            m = build_cell(moose, 100)
            T = CELL_T
        runs = []
        for _ in range(2):
            w, c = time.perf_counter(), time.process_time()
            moose.reinit()
            moose.start(T)
            runs.append((time.perf_counter() - w, time.process_time() - c))
        out['first'], out['second'] = runs
        out['overhead'] = (runs[0][0] - runs[1][0], runs[0][1] - runs[1][1])
        tab = m['tables']
        tab = next(iter(tab.values())) if isinstance(tab, dict) else tab[0]
        out['last'] = float(tab.vector[-1])
    out['numba_loaded'] = 'numba' in sys.modules
    print('RESULT ' + json.dumps(out))


# -------------------------------------------------------------------- parent
def _run(cmd, env, timeout=900):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                       cwd=str(ROOT))
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if p.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}')
    res = None
    for line in p.stdout.splitlines():
        if line.startswith('RESULT '):
            res = json.loads(line[7:])
    return res, (wall, cpu), p.stderr


def _env(**kw):
    env = dict(os.environ)
    for k in ('NUMBA_CACHE_DIR', 'MOOSEPY_AOT', 'MOOSEPY_AOT_DIR'):
        env.pop(k, None)
    env['PYTHONPATH'] = str(ROOT) + os.pathsep + env.get('PYTHONPATH', '')
    env.update({k: v for k, v in kw.items() if v is not None})
    return env


def _stat(xs):
    return statistics.median(xs), min(xs), max(xs)


def _fmt(xs):
    m, lo, hi = _stat(xs)
    return f'{m:7.3f} ({lo:.3f}-{hi:.3f})'


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--child', nargs=2, metavar=('CASE', 'MODULE'), help=argparse.SUPPRESS)
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--cold-repeat', type=int, default=3)
    ap.add_argument('--pymoose', default=None, help='python of a venv with pymoose 5.0.0')
    ap.add_argument('--cache-dir', default=str(HERE / 'results' / 'startup_cache'))
    ap.add_argument('--states', default='aot,numba,cold',
                    help='moosepy states to measure (aot, auto, numba, cold)')
    ap.add_argument('--cases', default='import,chem,cell,cli')
    args = ap.parse_args(argv)
    if args.child:
        return _child(*args.child)

    py = sys.executable
    me = str(Path(__file__).resolve())
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    states = args.states.split(',')
    cases = args.cases.split(',')
    print(f'python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}; '
          f'{args.repeat} fresh processes per figure ({args.cold_repeat} cold)')

    warm_env = _env(NUMBA_CACHE_DIR=str(cache), MOOSEPY_AOT='0')
    aot_env = _env(NUMBA_CACHE_DIR=str(cache))
    if 'numba' in states or 'aot' in states:
        # fill numba's cache (not timed)
        for case in ('chem', 'cell'):
            _run([py, me, '--child', case, 'moosepy'], warm_env)
    auto_env = _env(NUMBA_CACHE_DIR=str(cache / 'auto'), MOOSEPY_AUTO_WARMUP='1')
    if 'auto' in states:
        # as installed, nothing asked of the user: the first `moosepy run`
        # compiles and, as it exits, starts the background warm-up; wait
        # for it (its lock goes) before measuring
        shutil.rmtree(cache / 'auto', ignore_errors=True)
        out = tempfile.mkdtemp(prefix='moosepy-cli-')
        _, (w, c), err = _run([py, '-m', 'moosepy.cli', 'run', '--out', out], auto_env)
        shutil.rmtree(out, ignore_errors=True)
        started = [ln for ln in err.splitlines() if 'in the background' in ln]
        print(f'first `moosepy run` after install (empty cache): {w:.1f} s wall, {c:.1f} s CPU; '
              f'background warm-up {"started" if started else "NOT started"}')
        lock = cache / 'auto' / 'moosepy_aot' / 'warmup.lock'
        t0 = time.perf_counter()
        while lock.exists() and time.perf_counter() - t0 < 3600:
            time.sleep(2)
        print(f'  background warm-up done {time.perf_counter() - t0:.0f} s later '
              f'(log: {lock.parent / "warmup.log"})')
    if 'aot' in states:
        _, (w, c), err = _run([py, '-m', 'moosepy.cli', 'warmup'], aot_env, timeout=3600)
        print(f'moosepy warmup (into {cache}): {w:.1f} s wall, {c:.1f} s CPU '
              f'(numba cache warm; AOT modules rebuilt only where the sources changed)')
        if not (cache / 'moosepy_aot' / 'manifest.json').exists():
            print('  no AOT modules were built; the aot rows use numba')

    rows = []

    def measure(label, case, module, env, n, python=py, fresh_cache=False):
        vals = {'import': [], 'overhead': [], 'first': [], 'second': [], 'process': []}
        loaded = set()
        for _ in range(n):
            e = dict(env)
            tmp = None
            if fresh_cache:
                tmp = tempfile.mkdtemp(prefix='moosepy-cold-')
                e['NUMBA_CACHE_DIR'] = tmp
            try:
                if case == 'cli':
                    out = tempfile.mkdtemp(prefix='moosepy-cli-')
                    _, proc, _ = _run([python, '-m', 'moosepy.cli', 'run', '--out', out], e)
                    shutil.rmtree(out, ignore_errors=True)
                    res = None
                else:
                    res, proc, _ = _run([python, me, '--child', case, module], e)
            finally:
                if tmp:
                    shutil.rmtree(tmp, ignore_errors=True)
            vals['process'].append(proc)
            if res:
                loaded.add(res['numba_loaded'])
                for k in ('import', 'overhead', 'first', 'second'):
                    if k in res:
                        vals[k].append(tuple(res[k]))
        rows.append((label, case, vals, loaded))
        _print_row(label, case, vals, loaded)

    print()
    print(f'{"what":<34} {"case":<7} {"figure":<22} {"wall s median (range)":<26} '
          f'{"CPU s median (range)":<26}')
    for case in cases:
        for state in states:
            if case == 'import' and state != 'numba':
                continue           # the kernels' state does not touch the import
            label = {'aot': 'moosepy, after warmup (AOT)',
                     'auto': 'moosepy, after background warm-up',
                     'numba': 'moosepy, numba cache warm',
                     'cold': 'moosepy, empty numba cache'}[state]
            env = {'aot': aot_env, 'auto': auto_env, 'numba': warm_env, 'cold': warm_env}[state]
            n = args.cold_repeat if state == 'cold' else args.repeat
            if case == 'import':
                label = 'moosepy'
            measure(label, case, 'moosepy', env, n, fresh_cache=(state == 'cold'))
        if args.pymoose and case != 'cli':
            measure('MOOSE 5.0.0 (pymoose)', case, 'moose', _env(), args.repeat,
                    python=args.pymoose)
    return 0


def _print_row(label, case, vals, loaded):
    def line(fig, pairs):
        if not pairs:
            return
        w = [p[0] for p in pairs]
        c = [p[1] for p in pairs]
        print(f'{label:<34} {case:<7} {fig:<22} {_fmt(w):<26} {_fmt(c):<26}')
    if case == 'import':
        line('import', vals['import'])
        line('whole process', vals['process'])
    elif case == 'cli':
        line('whole process', vals['process'])
    else:
        line('first run - second', vals['overhead'])
        line('second run', vals['second'])
    if True in loaded and ('AOT' in label or 'background' in label):
        print(f'{"":<34} {"":<7} (numba was loaded in some runs: a kernel fell back)')


if __name__ == '__main__':
    sys.exit(main())
