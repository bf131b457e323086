"""Compiling chemical models at reinit: build, first reinit, second reinit
and run CPU times (time.process_time) for kkit models and for large
element-per-object models, moosepy beside MOOSE (pymoose 5.0.0) in the same
run, and the scaling exponent of the first reinit against model size.

    python benchmarks/bench_reinit_kinetics.py [--pymoose PY] [--quick]

Models (every one built through the MOOSE API, so the same code builds it
in both simulators):

* kkit: the .g files of ../shared/models-ref/kkit/ and
  ../shared/moose-examples/genesis/ (read there, never copied), loaded with
  ``loadModel(path, '/model', 'gsl')``, run for 100 s;
* wide-N: N pools in one voxel, N Reacs (1-2 substrates, 1-2 products),
  N/10 MMenz and N/20 Enz (with their complex pools), one element per
  object, rk5, 1 s;
* deep-V: a CubeMesh of V voxels holding 10 pools, 10 Reacs and 2 MMenz,
  rk5, 1 s.

moosepy runs in this process, MOOSE in one side process (this file with
``--side``) that gets the same tasks one at a time, interleaved with
moosepy's.  MOOSE compiles its Stoich when ``reacSystemPath`` is set, inside
"build"; the column "setup" is that part of its build (wide/deep only).
Both sides first run a small warm-up model (moosepy's numba kernels load
then: JIT start-up is measured elsewhere).  "diff" is the largest relative
difference of the final concentrations (pools matched by path; deep: voxel
0) above 1e-9 mM.  It is not a check of moosepy: where it is large, MOOSE
differs for known reasons (PYMOOSE_NOTES.md, kkit_pymoose_side.py): models
marked * have several compartments, between which MOOSE's loadModel adds a
Dsolve and diffuses same-named pools (as moosepy's has done since issue
12; the README's figures are from before), and
MOOSE's rk5 fails at random on acc35 ("GSL integration error").
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), 'shared')
MARK = '@@RESULT '
ROOTS = ('/model', '/wide', '/deep', '/kin_large', '/kin_small')


# ------------------------------------------------------------------ models
def build_wide(moose, npools, nvox=1, seed=3, path='/wide', method='rk5'):
    """npools pools in nvox voxels of 1e-18 m^3, npools Reacs, npools/10
    MMenz and npools/20 Enz, one element per object.  Returns the seconds
    spent setting the Stoich's reacSystemPath (MOOSE compiles there)."""
    rng = np.random.default_rng(seed)
    moose.Neutral(path)
    mesh = moose.CubeMesh(path + '/compt')
    mesh.x0, mesh.y0, mesh.z0 = 0, 0, 0
    mesh.x1, mesh.y1, mesh.z1 = 1e-6 * nvox, 1e-6, 1e-6
    mesh.nx, mesh.ny, mesh.nz = nvox, 1, 1
    conc = rng.uniform(0, 1, npools)
    pools = []
    for i in range(npools):
        p = moose.Pool(f'{mesh.path}/p{i}')
        p.concInit = float(conc[i])
        pools.append(p)
    for j in range(npools):
        r = moose.Reac(f'{mesh.path}/r{j}')
        for k in rng.choice(npools, size=1 + (j % 2), replace=False):
            moose.connect(r, 'sub', pools[int(k)], 'reac')
        for k in rng.choice(npools, size=1 + (j % 3 == 0), replace=False):
            moose.connect(r, 'prd', pools[int(k)], 'reac')
        r.Kf = float(rng.uniform(0.01, 1))
        r.Kb = float(rng.uniform(0.01, 1))
    for j in range(npools // 10):
        e, s, q = (int(x) for x in rng.choice(npools, size=3, replace=False))
        z = moose.MMenz(f'{pools[e].path}/mm{j}')
        moose.connect(pools[e], 'nOut', z, 'enzDest')
        moose.connect(z, 'sub', pools[s], 'reac')
        moose.connect(z, 'prd', pools[q], 'reac')
        z.Km, z.kcat = 0.5, 0.3
    for j in range(npools // 20):
        e, s, q = (int(x) for x in rng.choice(npools, size=3, replace=False))
        z = moose.Enz(f'{pools[e].path}/enz{j}')
        c = moose.Pool(f'{z.path}/cplx')
        moose.connect(z, 'enz', pools[e], 'reac')
        moose.connect(z, 'sub', pools[s], 'reac')
        moose.connect(z, 'prd', pools[q], 'reac')
        moose.connect(z, 'cplx', c, 'reac')
        z.Km, z.kcat = 0.5, 0.3
    return _solver(moose, mesh, method)


def build_deep(moose, nvox, path='/deep', method='rk5'):
    """A CubeMesh of nvox voxels (along x, 1 um cubes) holding 10 pools,
    10 Reacs and 2 MMenz."""
    moose.Neutral(path)
    mesh = moose.CubeMesh(path + '/compt')
    mesh.x0, mesh.y0, mesh.z0 = 0, 0, 0
    mesh.x1, mesh.y1, mesh.z1 = 1e-6 * nvox, 1e-6, 1e-6
    mesh.nx, mesh.ny, mesh.nz = nvox, 1, 1
    pools = []
    for i in range(10):
        p = moose.Pool(f'{mesh.path}/p{i}')
        p.concInit = 0.1 * (i + 1)
        pools.append(p)
    for j in range(10):
        r = moose.Reac(f'{mesh.path}/r{j}')
        moose.connect(r, 'sub', pools[j], 'reac')
        if j % 2:
            moose.connect(r, 'sub', pools[(j + 3) % 10], 'reac')
        moose.connect(r, 'prd', pools[(j + 1) % 10], 'reac')
        r.Kf, r.Kb = 0.1 + 0.05 * j, 0.05
    for j in range(2):
        z = moose.MMenz(f'{pools[j].path}/mm')
        moose.connect(pools[j], 'nOut', z, 'enzDest')
        moose.connect(z, 'sub', pools[j + 4], 'reac')
        moose.connect(z, 'prd', pools[j + 6], 'reac')
        z.Km, z.kcat = 0.5, 0.2
    return _solver(moose, mesh, method)


def _solver(moose, mesh, method):
    ks = moose.Ksolve(mesh.path + '/ksolve')
    ks.method = method
    st = moose.Stoich(mesh.path + '/stoich')
    st.compartment = mesh
    st.ksolve = ks
    t0 = time.process_time()
    st.reacSystemPath = mesh.path + '/##'
    return time.process_time() - t0


# ------------------------------------------------------------------ one task
_DTS = []


def _clear(moose):
    """Delete the models and put back the clocks a kkit file may have set
    (they outlive the model, in both simulators)."""
    for p in ROOTS:
        if moose.exists(p):
            moose.delete(p)
    dts = [float(x) for x in moose.element('/clock').dts]
    if not _DTS:
        _DTS.extend(dts)
    for i, (now, first) in enumerate(zip(dts, _DTS)):
        if now != first and first > 0:
            moose.setClock(i, first)


def _pools(moose, root):
    out = {}
    # entry 0 (voxel 0) of each pool: MOOSE's vec(...).conc takes seconds
    # on a pool of 1000 voxels
    for p in moose.wildcardFind(root + '/##[ISA=PoolBase]'):
        path = p.path.replace('[0]', '')
        out[path] = float(p.conc)
    return out


def task(moose, spec):
    """Build, reinit, reinit, start; CPU seconds of each and final concs."""
    _clear(moose)
    kind = spec['kind']
    cpu = time.process_time
    setup = None
    t0 = cpu()
    if kind == 'kkit':
        moose.loadModel(spec['path'], '/model', 'gsl')
        root = '/model'
    elif kind == 'wide':
        setup = build_wide(moose, spec['n'], spec.get('nvox', 1))
        root = '/wide'
    elif kind == 'deep':
        setup = build_deep(moose, spec['n'])
        root = '/deep'
    else:
        sys.path.insert(0, ROOT)
        from benchmarks.kin_models import build_kin_large, build_kin_small
        b = build_kin_large if kind == 'kin_large' else build_kin_small
        b(moose, method=spec.get('method', 'lsoda'))
        root = '/' + kind
    t1 = cpu()
    moose.reinit()
    t2 = cpu()
    moose.reinit()
    t3 = cpu()
    moose.start(spec['runtime'])
    t4 = cpu()
    res = {'build': t1 - t0, 'reinit1': t2 - t1, 'reinit2': t3 - t2, 'run': t4 - t3,
           'setup': setup, 'conc': _pools(moose, root),
           'nstoich': len(moose.wildcardFind(root + '/##[ISA=Stoich]'))}
    _clear(moose)
    return res


def steady(moose, spec):
    """spec['n'] runs of kin_large built anew each time (reinit + start CPU
    seconds per run), for an interleaved comparison."""
    sys.path.insert(0, ROOT)
    from benchmarks.kin_models import build_kin_large
    out = []
    for _ in range(spec.get('n', 1)):
        _clear(moose)
        m = build_kin_large(moose, method=spec['method'])
        t0 = time.process_time()
        moose.reinit()
        t1 = time.process_time()
        moose.start(m['runtime'])
        t2 = time.process_time()
        out.append((t1 - t0, t2 - t1))
    _clear(moose)
    return out


def serve():
    """The side process: one JSON task per line on stdin, one result line
    (after MARK) on stdout."""
    import moose
    for line in sys.stdin:
        spec = json.loads(line)
        try:
            fn = steady if spec['kind'] == 'steady' else task
            res = {'ok': fn(moose, spec)}
        except Exception as exc:           # reported, the side goes on
            res = {'error': f'{type(exc).__name__}: {exc}'}
        sys.stdout.write('\n' + MARK + json.dumps(res) + '\n')
        sys.stdout.flush()


class Side:
    """MOOSE in a side process, one task at a time.  A task that gives no
    answer within *limit* seconds (MOOSE's rk5 can stall on a kkit model
    loaded again in one process) ends the process; the next task starts a
    new one."""

    def __init__(self, python, limit=300):
        self.python, self.limit, self.p = python, limit, None

    def _start(self):
        import queue
        import threading
        self.p = subprocess.Popen([self.python, os.path.abspath(__file__), '--side'],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        self.lines = queue.Queue()
        out, lines = self.p.stdout, self.lines

        def pump():                    # a thread, so that a wait can time out
            for line in out:
                lines.put(line)
            lines.put(None)
        threading.Thread(target=pump, daemon=True).start()

    def __call__(self, spec):
        import queue
        if self.p is None or self.p.poll() is not None:
            self._start()
        self.p.stdin.write(json.dumps(spec) + '\n')
        self.p.stdin.flush()
        end = time.monotonic() + self.limit
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                print(f'# MOOSE gave no answer in {self.limit} s on {spec}; restarted')
                self.close()
                return None
            if line is None:
                self.close()
                return None
            k = line.find(MARK)
            if k >= 0:
                return json.loads(line[k + len(MARK):]).get('ok')

    def close(self):
        if self.p is not None:
            self.p.kill()
            self.p.wait()
            self.p = None


def find_pymoose(arg):
    for cand in (arg, os.environ.get('MOOSEPY_PYMOOSE_PYTHON'),
                 '/work/pymoose-venv/bin/python', '/work/sidevenv/bin/python'):
        if cand and os.path.exists(cand):
            ok = subprocess.run([cand, '-c', 'import moose'], capture_output=True)
            if ok.returncode == 0:
                return cand
    return None


def _ours(spec):
    import moosepy
    try:
        return task(moosepy, spec)
    except Exception as exc:
        print(f'# moosepy failed on {spec}: {type(exc).__name__}: {exc}')
        return None


def _diff(a, b):
    if a is None or b is None:
        return None
    keys = set(a['conc']) & set(b['conc'])
    if not keys:
        return None
    x = np.array([a['conc'][k] for k in keys])
    y = np.array([b['conc'][k] for k in keys])
    big = np.maximum(np.abs(x), np.abs(y)) > 1e-9
    if not big.any():
        return 0.0
    return float(np.max(np.abs(x - y)[big] / np.maximum(np.abs(y), 1e-300)[big]))


def _f(v, w=7, p=3):
    return f'{"-":>{w}}' if v is None else f'{v:>{w}.{p}f}'


HEAD = (f'{"model":<26} {"size":>7} | {"build":>7} {"reinit1":>7} {"reinit2":>7} '
        f'{"run":>7} | {"build":>7} {"setup":>7} {"reinit1":>7} {"reinit2":>7} '
        f'{"run":>7} | {"diff":>8}')


def row(name, size, a, b):
    d = _diff(a, b)
    a = a or {}
    b = b or {}
    print(f'{name:<26} {size:>7} | {_f(a.get("build"))} {_f(a.get("reinit1"))} '
          f'{_f(a.get("reinit2"), p=4)} {_f(a.get("run"))} | {_f(b.get("build"))} '
          f'{_f(b.get("setup"))} {_f(b.get("reinit1"))} {_f(b.get("reinit2"), p=4)} '
          f'{_f(b.get("run"))} | {"-" if d is None else f"{d:8.1e}"}', flush=True)


def exponent(sizes, times):
    s, t = np.asarray(sizes, float), np.asarray(times, float)
    ok = t > 0
    if ok.sum() < 2:
        return float('nan')
    return float(np.polyfit(np.log(s[ok]), np.log(t[ok]), 1)[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--pymoose', default=None, help='python of a venv with pymoose 5.0.0')
    ap.add_argument('--quick', action='store_true', help='fewer and smaller models')
    ap.add_argument('--side', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--no-kkit', action='store_true')
    args = ap.parse_args()
    if args.side:
        serve()
        return
    sys.path.insert(0, ROOT)
    pym = find_pymoose(args.pymoose)
    side = Side(pym) if pym else (lambda spec: None)
    print(f'# reinit of chemical models, CPU s (time.process_time); pymoose: '
          f'{pym or "not installed"}; load average {os.getloadavg()[0]:.2f} on '
          f'{os.cpu_count()} CPUs')
    print(f'# {"":<33} | {"moosepy":<32} | {"MOOSE 5.0.0":<40} |')
    print(HEAD)
    warm = {'kind': 'kin_small', 'runtime': 10.0}
    row('warm-up kin_small (first)', 5, _ours(warm), side(warm))
    if not args.no_kkit:
        files = sorted(glob.glob(os.path.join(SHARED, 'models-ref', 'kkit', '*.g')))
        if not args.quick:
            files += sorted(glob.glob(os.path.join(SHARED, 'moose-examples', 'genesis',
                                                   '*.g')))
        for path in files:
            spec = {'kind': 'kkit', 'path': path, 'runtime': 100.0}
            a = _ours(spec)
            b = side(spec)
            if a is None and b is None:
                continue
            where = 'ref' if '/models-ref/' in path else 'ex'
            name = os.path.basename(path)
            row(f'{where}:{name}' + ('*' if b and b['nstoich'] > 1 else ''),
                len((a or b)['conc']), a, b)
        if pym:
            side.close()      # a fresh MOOSE: after many kkit loads it can stall
    wide = [500, 1000, 2000, 4000] if args.quick else [1000, 2000, 4000, 8000, 10000]
    deep = [1000, 10000] if args.quick else [1000, 10000, 100000]
    mixed = [] if args.quick else [{'kind': 'wide', 'n': 1000, 'nvox': 100, 'runtime': 1.0},
                                   {'kind': 'wide', 'n': 10000, 'nvox': 10, 'runtime': 0.1}]
    for kind, sizes in (('wide', wide), ('deep', deep)):
        mine, theirs = [], []
        for n in sizes:
            spec = {'kind': kind, 'n': n, 'runtime': 1.0}
            a = _ours(spec)
            b = side(spec)
            row(f'{kind}-{n}', n, a, b)
            mine.append(a['reinit1'] if a else float('nan'))
            theirs.append(b['setup'] if b else float('nan'))
        print(f'# {kind}: first reinit ~ size^{exponent(sizes, mine):.2f} (moosepy); '
              f'MOOSE setup (reacSystemPath) ~ size^{exponent(sizes, theirs):.2f}')
    for spec in mixed:
        row(f'wide-{spec["n"]}x{spec["nvox"]}vox', spec['n'] * spec['nvox'], _ours(spec),
            side(spec))
    if pym:
        side.close()
    print(f'# load average at the end: {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
