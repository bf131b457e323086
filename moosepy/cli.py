"""``moosepy`` command line: ``moosepy run [MODEL] [--runtime T] [--out DIR]``.

A model is a Python file of this project's ``models/`` kind (it defines
``build(moose, path)`` returning a dict of tables, and ``RUNTIME`` [s]), or a
model file ``moose.loadModel`` reads: SBML ``.xml``/``.sbml`` or kkit ``.g``
(its pools are plotted, 100 s by default), or a cell ``.swc``/``.p`` (an
HSolve takes the cell, a 0.1 nA current step from 10 to 60 ms goes into the
soma, and the Vm of the soma and of the farthest compartment are plotted,
0.1 s by default).  With no MODEL the bundled default
(``models/mapk_feedback.py``) runs.  The run prints a summary, and writes
the recorded tables as CSV and a PNG plot.

``moosepy run ... --movie out.mp4`` also records the compartments' Vm in 3D
(:mod:`moosepy.viz3d`, 100 frames); ``moosepy view cell.swc [--out PNG]
[--field Vm]`` renders a cell file to a PNG, headless.

``moosepy warmup [--only NAME ...] [--no-aot] [--aot-dir DIR]`` compiles
every kernel ahead of time (:mod:`moosepy.warmup`): later processes then
start their first run without loading numba.  Both commands report on
stderr what numba is compiling, and for how long, while it does (the first
run after installing takes 15-30 s of compilation).
"""

import argparse
import importlib.util
import logging
import os
import sys
import time
from pathlib import Path

DEFAULT_MODEL = 'mapk_feedback.py'


def models_dir():
    return Path(__file__).resolve().parent.parent / 'models'


def _load_model_file(path):
    from .core.errors import ModelImportError
    p = Path(path)
    if not p.exists():
        cand = models_dir() / path
        if cand.exists():
            p = cand
        else:
            have = ', '.join(sorted(x.name for x in models_dir().glob('*.py')))
            raise ModelImportError(f'{path}: no such model file (bundled models: {have})')
    spec = importlib.util.spec_from_file_location('moosepy_model_' + p.stem, p)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not hasattr(mod, 'build'):
        raise ModelImportError(f'{p}: a model file must define build(moose, path)')
    return p, mod


class _FileModel:
    """A model file moose.loadModel reads (.xml/.sbml SBML, .g kkit): every
    pool is recorded (at most 12)."""
    RUNTIME = 100.0
    UNIT = ('concentration', 'mM', 1.0)

    def __init__(self, path):
        self.path = path

    def build(self, moose, modelpath):
        moose.loadModel(str(self.path), modelpath, 'lsoda')
        tables = {}
        plots = moose.Neutral(modelpath + '/moosepy_plots')
        for pl in moose.wildcardFind(modelpath + '/##[ISA=PoolBase]')[:12]:
            t = moose.Table2(f'{plots.path}/p{len(tables)}')
            moose.connect(t, 'requestOut', pl, 'getConc')
            tables[pl.name] = t
        return tables


class _CellModel:
    """A cell file (.swc, .p): HSolve, a current step into the soma, Vm of
    the soma and of the compartment farthest from it recorded."""
    RUNTIME = 0.1
    UNIT = ('Vm', 'mV', 1e3)
    DT = 25e-6

    def __init__(self, path):
        self.path = path

    def build(self, moose, modelpath):
        import numpy as np
        moose.loadModel(str(self.path), modelpath)
        comps = moose.wildcardFind(modelpath + '/##[ISA=CompartmentBase]')
        if not comps:
            from .core.errors import ModelImportError
            raise ModelImportError(f'{self.path}: no compartments in the cell')
        soma = next((c for c in comps if 'soma' in c.name.lower()), comps[0])
        far = max(comps, key=lambda c: float(np.hypot(np.hypot(c.x - soma.x, c.y - soma.y),
                                                      c.z - soma.z)))
        for tick in range(10):
            moose.setClock(tick, self.DT)
        hs = moose.HSolve(modelpath + '/hsolve')
        hs.dt, hs.target = self.DT, soma.path
        stim = moose.PulseGen(modelpath + '/stim')
        stim.firstDelay, stim.firstWidth, stim.firstLevel = 0.01, 0.05, 1e-10
        stim.secondDelay = 1e9
        moose.connect(stim, 'output', soma, 'injectMsg')
        plots = moose.Neutral(modelpath + '/moosepy_plots')
        tables = {}
        for name, c in (('soma', soma), (far.name, far)):
            t = moose.Table(f'{plots.path}/v{len(tables)}')
            moose.connect(t, 'requestOut', c, 'getVm')
            tables[name] = t
        return tables


def run(model=None, runtime=None, out='moosepy_out', show=False, movie=None):
    """Build, run and record a model; returns (times, {name: vector}, wall).
    *movie*: also record a 3D movie (moosepy.viz3d) of the compartments' Vm,
    100 frames over the run."""
    import numpy as np
    import moosepy as moose
    from .loaders import _KINDS
    if model is not None and Path(model).suffix.lower() in _KINDS:
        if not Path(model).exists():
            from .core.errors import ModelImportError
            raise ModelImportError(f'{model}: no such file')
        cell = Path(model).suffix.lower() in ('.swc', '.p')
        p, mod = Path(model), (_CellModel if cell else _FileModel)(model)
    else:
        p, mod = _load_model_file(model or models_dir() / DEFAULT_MODEL)
    tables = mod.build(moose, '/model')
    T = float(runtime if runtime is not None else getattr(mod, 'RUNTIME', 100.0))
    viewer = None
    if movie:
        from . import viz3d
        viewer = viz3d.Viewer([viz3d.View('/model/##[ISA=CompartmentBase]', 'Vm')],
                              movie=movie, offscreen=True)
        viewer.attach(T / 100)
    t0 = time.perf_counter()
    moose.reinit()
    moose.start(T)
    wall = time.perf_counter() - t0
    if viewer is not None:
        viewer.detach()
        print(f'movie    : {viewer.finalize()} ({viewer.nframes} frames)')
    label, unit, scale = getattr(mod, 'UNIT', ('concentration', 'mM', 1.0))
    data = {name: np.asarray(t.vector) * scale for name, t in tables.items()}
    dt = next(iter(tables.values())).dt if tables else 1.0
    n = max((len(v) for v in data.values()), default=0)
    times = np.arange(n) * dt
    os.makedirs(out, exist_ok=True)
    csv = Path(out) / (p.stem + '.csv')
    cols = [times] + [np.resize(v, n) for v in data.values()]
    np.savetxt(csv, np.column_stack(cols), delimiter=',',
               header='time_s,' + ','.join(f'{k}_{unit}' for k in data), comments='')
    from .core.provenance import collect, to_json
    prov_file = Path(out) / (p.stem + '.provenance.json')
    prov_file.write_text(to_json(collect([p], wall_time=wall, extra={'runtime_s': T})))
    png = Path(out) / (p.stem + '.png')
    import matplotlib
    if not show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, v in data.items():
        ax.plot(times[:len(v)], v, label=k)
    ax.set_xlabel('time (s)')
    ax.set_ylabel(f'{label} ({unit})')
    ax.set_title(f'{p.name}: {T:g} s simulated in {wall:.3f} s')
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)
    print(f'model    : {p}')
    print(f'simulated: {T:g} s in {wall:.3f} s wall (reinit + start)')
    print(f'tables   : {len(data)} x {n} samples at dt {dt:g} s')
    for k, v in data.items():
        print(f'  {k:<10} start {v[0]:.6g} {unit}   end {v[-1]:.6g} {unit}   '
              f'max {v.max():.6g} {unit}')
    print(f'wrote    : {csv} (provenance: {prov_file.name})')
    print(f'wrote    : {png}')
    return times, data, wall


class _StderrHandler(logging.StreamHandler):
    """``moosepy: message`` lines on stderr; on a terminal, progress
    records (``extra={'progress': True}``) rewrite one line in place."""

    def __init__(self):
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter('moosepy: %(message)s'))
        self._open = False

    def emit(self, record):
        try:
            msg = self.format(record)
            tty = getattr(self.stream, 'isatty', lambda: False)()
            if getattr(record, 'progress', False) and tty:
                self.stream.write('\r' + msg + '\x1b[K')
                self._open = True
            else:
                self.stream.write(('\n' if self._open else '') + msg + '\n')
                self._open = False
            self.flush()
        except Exception:
            self.handleError(record)


def report_progress(interval=2.0):
    """Show moosepy's compile and warm-up messages on stderr (INFO), with a
    progress line every *interval* seconds while numba compiles; returns
    the handler (remove it from the 'moosepy' logger to stop)."""
    from . import jit
    logger = logging.getLogger('moosepy')
    for h in logger.handlers:
        if isinstance(h, _StderrHandler):
            return h
    h = _StderrHandler()
    h.setLevel(logging.INFO)
    for name in ('moosepy.jit', 'moosepy.warmup'):
        logging.getLogger(name).setLevel(logging.INFO)
    logger.addHandler(h)
    jit.report_compiles(interval)
    return h


def warmup(only=None, aot=True, aot_dir=None):
    """Compile every kernel (``moosepy warmup``); prints what was done and
    the time it took; returns the summary of :func:`moosepy.warmup.warmup`."""
    from . import warmup as wu
    s = wu.warmup(aot=aot, names=only, out_dir=aot_dir)
    sec = s['seconds']
    print(f"numba    : {len(s['exercise'])} models run, {s['harvested']} more "
          f"specialisations from the cache, {sec['numba']:.1f} s")
    if s['aot'] is not None:
        n = sum(v[0] for v in s['aot'].values())
        print(f"aot      : {n} specialisations of {len(s['aot'])} kernel modules, "
              f"{sec['aot']:.1f} s, in {s['aot_dir']}")
    elif aot:
        print(f"aot      : skipped ({s.get('aot_error', '?')})")
    print(f"total    : {sec['total']:.1f} s")
    return s


def _drop_lock(aot_dir):
    """Remove the background warm-up's lock if this process (or the one
    that started it) holds it."""
    from pathlib import Path
    from . import jit
    lock = Path(aot_dir or jit.aot_dir()) / jit.AUTO_LOCK
    try:
        pid = int(lock.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if pid in (os.getpid(), os.getppid()):
        try:
            lock.unlink()
        except OSError:
            pass


def main(argv=None):
    ap = argparse.ArgumentParser(prog='moosepy', description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd')
    r = sub.add_parser('run', help='run a model (default: the bundled mapk_feedback.py)')
    r.add_argument('model', nargs='?', default=None, help='model file (.py with build(), .xml/.sbml/.g, or a cell .swc/.p)')
    r.add_argument('--runtime', type=float, default=None, help='simulated time [s]')
    r.add_argument('--out', default='moosepy_out', help='folder for the CSV and PNG')
    w = sub.add_parser('warmup', help='compile every kernel ahead of time (a few minutes, once)')
    w.add_argument('--only', nargs='+', metavar='NAME',
                   help='only the exercise models whose label contains NAME '
                        '(chemistry, lsoda, rk5, stochastic, ssa, tau, cell)')
    w.add_argument('--no-aot', action='store_true',
                   help="fill numba's cache only; no ahead-of-time modules")
    w.add_argument('--aot-dir', default=None,
                   help='folder for the ahead-of-time modules (default: see moosepy.jit.aot_dir)')
    w.add_argument('--background', action='store_true',
                   help='the detached warm-up a process starts as it exits (see moosepy.jit): '
                        'at the end, drop the lock it was started under')
    r.add_argument('--movie', default=None, help='also write a 3D movie of Vm (.mp4/.gif)')
    v = sub.add_parser('view', help='render a cell file (.swc, .p) to a PNG, headless')
    v.add_argument('cell')
    v.add_argument('--out', default=None, help='PNG path (default: <cell>.png)')
    v.add_argument('--field', default='Vm')
    v.add_argument('--window', action='store_true',
                   help='also open the interactive 3D window (needs a display)')
    from .batch import add_sweep_parser
    add_sweep_parser(sub)
    args = ap.parse_args(argv)
    if args.cmd not in ('run', 'warmup', 'view', 'sweep'):
        ap.print_help()
        return 2
    from .core.errors import MooseError
    handler = report_progress()
    try:
        if args.cmd == 'warmup':
            try:
                s = warmup(args.only, not args.no_aot, args.aot_dir)
            finally:
                if args.background:
                    _drop_lock(args.aot_dir)
            return 1 if 'aot_error' in s else 0
        if args.cmd == 'sweep':
            from .batch import sweep_command
            return sweep_command(args)
        if args.cmd == 'view':
            from .viz3d import render_cell
            png = render_cell(args.cell, args.out, args.field, window=args.window)
            print(f'wrote    : {png}')
            return 0
        run(args.model, args.runtime, args.out, movie=args.movie)
    except MooseError as exc:
        print(f'moosepy: error: {exc}', file=sys.stderr)
        return 1
    finally:
        logging.getLogger('moosepy').removeHandler(handler)
    return 0


if __name__ == '__main__':
    sys.exit(main())
