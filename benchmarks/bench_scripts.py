"""Whole scripts, moosepy beside MOOSE: the wall and CPU time of the whole
process (interpreter start, import, build, run, exit) of every example in
``examples/`` and of the benchmark models (``script_models.py``), under
this interpreter with moosepy and under pymoose 5.0.0, alternating, in
rounds; then the warm simulation-only time of a second run in the same
process for kin_large (lsoda, rk5), the 1000-compartment axon and the SWC
cell.

    python benchmarks/bench_scripts.py --pymoose /work/pymoose-venv/bin/python

How each side runs:

* an example runs as ``python examples/NN_name.py`` (moosepy); MOOSE runs a
  temporary copy whose only change is the import line (``import moosepy as
  moose`` -> ``import moose``), placed in ``build/`` (same depth in the
  repository, so the examples' relative paths hold) with ``examples/`` on
  ``PYTHONPATH`` for ``_common``.  An example that imports anything else
  from moosepy cannot run on MOOSE: it is listed "moosepy only", with the
  line that makes it so;
* both sides run in a scratch folder with ``MPLBACKEND=Agg`` and
  ``MOOSEPY_EXAMPLE_OUT`` there, and compiled bytecode under one
  ``PYTHONPYCACHEPREFIX`` (``PYTHONDONTWRITEBYTECODE`` removed: a user's
  installation has its .pyc files; the first, untimed pass writes them);
* moosepy's kernels come from its own cache folder (``--cache-dir``,
  ``benchmarks/results/scripts_cache``): ``numba`` is numba's on-disk cache
  warm with ``MOOSEPY_AOT=0``; ``aot`` is after ``moosepy warmup`` into that
  folder (run by this script when ``--states`` has ``aot``).  The first,
  untimed pass fills numba's cache.

Figures: the median over rounds and the range (min-max), of wall seconds
(``time.perf_counter`` around ``subprocess.run``) and of CPU seconds (user
+ system of the child, from ``resource.getrusage(RUSAGE_CHILDREN)``
deltas); the load average before and after.  ``--json`` writes every
sample.
"""

import argparse
import json
import os
import re
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
EXAMPLES = ROOT / 'examples'
DRIVER = HERE / 'script_models.py'
KKIT = ['EGFR_MAPK_58.g', 'Kholodenko.g', 'NN_mapk15.g', 'psd53.g', 'Repressillator.g']
WARM_CASES = ['kin_large-lsoda', 'kin_large-rk5', 'axon1000', 'swc']
IMPORT_LINE = re.compile(r'^import moosepy as moose\s*$', re.M)


def moosepy_only(src):
    """The first line that uses moosepy beyond ``import moosepy as moose``,
    or None."""
    for line in src.splitlines():
        s = line.strip()
        if IMPORT_LINE.match(s):
            continue
        if re.match(r'(from|import)\s+moosepy\b', s) or 'moosepy.' in s.split('#')[0] \
                and not s.startswith(('"', "'")):
            return s
    return None


def jobs(args):
    """[(name, {'moosepy': argv, 'moose': argv or None}, note)]"""
    out = []
    tmp = ROOT / 'build'
    keep = args.only.split(',') if args.only else None
    for path in sorted(EXAMPLES.glob('[0-9]*.py')):
        if keep and not any(k in path.stem for k in keep):
            continue
        src = path.read_text()
        why = moosepy_only(src)
        cmds = {'moosepy': [args.python, str(path)]}
        note = ''
        if why:
            cmds['moose'] = None
            note = f'moosepy only: {why}'
        elif not IMPORT_LINE.search(src):
            cmds['moose'] = None
            note = 'moosepy only: no "import moosepy as moose" line'
        elif args.pymoose:
            tmp.mkdir(exist_ok=True)
            copy = tmp / f'bench_scripts_{path.name}'
            copy.write_text(IMPORT_LINE.sub('import moose', src, count=1))
            cmds['moose'] = [args.pymoose, str(copy)]
        out.append((path.stem, cmds, note))
    cases = args.cases.split(',') if args.cases else (
        ['kin_small-lsoda', 'kin_small-rk5', 'kin_large-lsoda', 'kin_large-rk5',
         'axon1000', 'swc', 'cell1000'] + ['kkit:' + k for k in KKIT])
    for case in cases:
        cmds = {'moosepy': [args.python, str(DRIVER), 'moosepy', case],
                'moose': [args.pymoose, str(DRIVER), 'moose', case] if args.pymoose else None}
        out.append((case, cmds, ''))
    if keep:
        out = [j for j in out if any(k in j[0] for k in keep)]
    return out


def env_for(side, state, args, scratch):
    env = dict(os.environ)
    for k in ('NUMBA_CACHE_DIR', 'MOOSEPY_AOT', 'MOOSEPY_AOT_DIR', 'PYTHONDONTWRITEBYTECODE',
              'PYTHONPATH'):
        env.pop(k, None)
    env.update(MPLBACKEND='Agg', MOOSEPY_EXAMPLE_OUT=str(scratch),
               PYTHONPYCACHEPREFIX=str(Path(args.cache_dir) / 'pyc'),
               PYTHONPATH=str(EXAMPLES), PYTHONFAULTHANDLER='1')
    if side == 'moosepy':
        env['NUMBA_CACHE_DIR'] = str(Path(args.cache_dir) / 'numba')
        if state == 'numba':
            env['MOOSEPY_AOT'] = '0'
    return env


def run_once(cmd, env, cwd, timeout):
    """(wall s, CPU s, returncode, stdout, stderr tail) of one child process."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                           timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = 'timeout', '', str(e)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, rc, out, err[-4000:]


def why_failed(rc, err):
    """One line: the exit (a signal by name) and the last message line."""
    raw = err.strip().splitlines()
    where = ''
    for i, x in enumerate(raw[:-1]):       # faulthandler: the innermost frame
        if 'most recent call first' in x:
            where = ' at ' + raw[i + 1].strip().replace(str(ROOT) + '/', '')
    lines = [x for x in raw
             if x.strip() and not x.startswith(('INFO:', 'ReadSwc', '  File', '    ', 'Fatal Python',
                                                'Current thread', 'Thread 0x', 'Extension modules',
                                                'Segmentation fault'))]
    last = lines[-1].strip() if lines else ''
    if isinstance(rc, int) and rc < 0:
        import signal
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = str(-rc)
        return f'killed by {name}{where}' + (f' after "{last[:160]}"' if last and not
                                               last.startswith('File') else '')
    return f'exit {rc}: {last[:200]}'


def stat(xs):
    if not xs:
        return None
    return statistics.median(xs), min(xs), max(xs)


def fmt(xs, w=18):
    s = stat(xs)
    return f'{"-":>{w}}' if s is None else f'{s[0]:6.2f} ({s[1]:.2f}-{s[2]:.2f})'.rjust(w)


def load():
    return ' '.join(f'{x:.2f}' for x in os.getloadavg())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--pymoose', default='/work/pymoose-venv/bin/python',
                    help='python of a venv with pymoose 5.0.0 ("" for none)')
    ap.add_argument('--python', default=sys.executable, help='python with moosepy')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--states', default='numba,aot',
                    help='moosepy kernel states: numba (cache warm, MOOSEPY_AOT=0), '
                         'aot (after moosepy warmup)')
    ap.add_argument('--cases', default=None, help='script_models cases (default: all)')
    ap.add_argument('--only', default=None, help='comma list of substrings of job names')
    ap.add_argument('--warm-runs', type=int, default=3,
                    help='runs per process for the warm sim-only figures (0: skip)')
    ap.add_argument('--cache-dir', default=str(HERE / 'results' / 'scripts_cache'))
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('--no-prepass', action='store_true',
                    help='skip the untimed pass (bytecode and numba cache already written)')
    ap.add_argument('--json', default=None, help='write every sample here')
    args = ap.parse_args(argv)
    if args.pymoose and not Path(args.pymoose).exists():
        args.pymoose = None
    states = [s for s in args.states.split(',') if s]
    Path(args.cache_dir).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix='bench-scripts-'))
    todo = jobs(args)
    sides = [('moosepy', s) for s in states] + ([('moose', '')] if args.pymoose else [])
    load_start = os.getloadavg()
    print(f'# bench_scripts: {len(todo)} scripts, {args.rounds} rounds, python '
          f'{sys.version.split()[0]}, {os.cpu_count()} CPUs; load average at start {load()}',
          flush=True)

    # untimed pass: writes .pyc files and fills numba's cache; finds failures
    failed = {}
    for name, cmds, _ in ([] if args.no_prepass else todo):
        for side, state in sides:
            if cmds.get(side) is None or (side == 'moosepy' and state == 'aot'):
                continue
            w, c, rc, out, err = run_once(cmds[side], env_for(side, state, args, scratch),
                                          scratch, args.timeout)
            if rc != 0:
                failed[(name, side)] = why_failed(rc, err)
            print(f'  pass 0 {name:<28} {side:<8} {w:6.2f} s wall {c:6.2f} s CPU'
                  f'{"  FAILED " + failed[(name, side)] if (name, side) in failed else ""}',
                  flush=True)
    if 'aot' in states:
        env = env_for('moosepy', 'aot', args, scratch)
        w, c, rc, out, err = run_once([args.python, '-m', 'moosepy.cli', 'warmup'], env,
                                      scratch, 3600)
        print(f'moosepy warmup: {w:.1f} s wall, {c:.1f} s CPU, exit {rc} '
              f'(AOT modules in {args.cache_dir}/numba/moosepy_aot)', flush=True)
        if rc != 0:
            print(err)

    samples = {}          # (name, side label) -> [(wall, cpu)]
    load_seen = [load_start, os.getloadavg()]
    for r in range(args.rounds):
        for name, cmds, _ in todo:
            # alternate which side goes first, round by round
            order = sides if r % 2 == 0 else sides[::-1]
            for side, state in order:
                if cmds.get(side) is None or (name, side) in failed:
                    continue
                w, c, rc, _, err = run_once(cmds[side], env_for(side, state, args, scratch),
                                            scratch, args.timeout)
                label = side if side == 'moose' else f'moosepy-{state}'
                if rc != 0:
                    failed[(name, side)] = why_failed(rc, err)
                    continue
                samples.setdefault((name, label), []).append((w, c))
        load_seen.append(os.getloadavg())
        print(f'  round {r + 1} done, load average {load()}', flush=True)

    # warm sim-only: a second (and later) run in the same process
    warm = {}
    if args.warm_runs >= 2:
        for r in range(args.rounds):
            for case in WARM_CASES:
                for side, state in (sides if r % 2 == 0 else sides[::-1]):
                    if side == 'moosepy' and state != states[0]:
                        continue
                    py = args.python if side == 'moosepy' else args.pymoose
                    cmd = [py, str(DRIVER), side, case, '--runs', str(args.warm_runs)]
                    w, c, rc, out, err = run_once(cmd, env_for(side, state, args, scratch),
                                                  scratch, args.timeout)
                    res = [json.loads(line[7:]) for line in out.splitlines()
                           if line.startswith('RESULT ')]
                    if rc != 0 or not res:
                        print(f'  warm {case} {side} failed: {err.strip()[-300:]}')
                        continue
                    d = warm.setdefault((case, side), {'first': [], 'later': []})
                    d['first'].append(res[0]['starts'][0])
                    d['later'].extend(res[0]['starts'][1:])
        load_seen.append(os.getloadavg())
    shutil.rmtree(scratch, ignore_errors=True)
    for _, cmds, _ in todo:                  # the MOOSE copies of the examples
        if cmds.get('moose') and cmds['moose'][1].startswith(str(ROOT / 'build')):
            Path(cmds['moose'][1]).unlink(missing_ok=True)
    try:
        (ROOT / 'build').rmdir()             # only if nothing else is there
    except OSError:
        pass

    report(todo, sides, samples, failed, warm, load_seen, args)
    if args.json:
        Path(args.json).write_text(json.dumps({
            'samples': {f'{k[0]}|{k[1]}': v for k, v in samples.items()},
            'warm': {f'{k[0]}|{k[1]}': v for k, v in warm.items()},
            'failed': {f'{k[0]}|{k[1]}': v for k, v in failed.items()},
            'load': load_seen, 'rounds': args.rounds, 'date': time.strftime('%Y-%m-%d %H:%M'),
        }, indent=1))


def report(todo, sides, samples, failed, warm, load_seen, args):
    labels = [s if s == 'moose' else f'moosepy-{t}' for s, t in sides]
    ref = 'moose' if 'moose' in labels else None
    print()
    print(f'whole process, median (min-max) of {args.rounds} rounds; wall s, then CPU s')
    head = f'{"script":<28}' + ''.join(f'{lab + " wall":>20}{lab + " CPU":>20}' for lab in labels)
    if ref:
        head += f'{"wall ratio":>11}{"CPU ratio":>10}'
    print(head)
    notes = []
    for name, cmds, note in todo:
        line = f'{name:<28}'
        for lab in labels:
            xs = samples.get((name, lab), [])
            line += f'{fmt([x[0] for x in xs], 20)}{fmt([x[1] for x in xs], 20)}'
        if ref:
            for k, w in ((0, 11), (1, 10)):
                a = stat([x[k] for x in samples.get((name, labels[0]), [])])
                b = stat([x[k] for x in samples.get((name, ref), [])])
                line += f'{a[0] / b[0]:>{w}.2f}' if a and b else f'{"-":>{w}}'
        print(line)
        if note:
            notes.append(f'{name}: {note}')
        for (n, side), why in failed.items():
            if n == name:
                notes.append(f'{name}: {side} failed ({why})')
    for n in notes:
        print('  ' + n)
    if warm:
        print()
        print('warm simulation only (start() of runs 2.., same model, same process), '
              'median (min-max) wall s, then CPU s')
        print(f'{"model":<18}{"moosepy wall":>20}{"MOOSE wall":>20}{"ratio":>7}'
              f'{"moosepy CPU":>20}{"MOOSE CPU":>20}{"ratio":>7}')
        for case in WARM_CASES:
            a = warm.get((case, 'moosepy'), {}).get('later', [])
            b = warm.get((case, 'moose'), {}).get('later', [])
            line = f'{case:<18}'
            for k in (0, 1):
                xa, xb = [x[k] for x in a], [x[k] for x in b]
                sa, sb = stat(xa), stat(xb)
                ratio = f'{sa[0] / sb[0]:>7.2f}' if sa and sb else f'{"-":>7}'
                line += fmt(xa, 20) + fmt(xb, 20) + ratio
            print(line)
    print(f'load average (1, 5, 15 min) at start {" ".join(f"{x:.2f}" for x in load_seen[0])}, '
          f'at end {" ".join(f"{x:.2f}" for x in load_seen[-1])}; {os.cpu_count()} CPUs')


if __name__ == '__main__':
    sys.exit(main())
