"""How moosepy's numeric kernels are compiled and loaded.

The kernel modules (``electrical/hkernels.py``, ``kinetics/kernels.py``,
``stochastic/kernels.py``, ``stochastic/tau.py``, ``kinetics/sbml/kernels.py``)
declare their functions with :func:`njit` from here, with numba.njit's
options.  A declared kernel is a :class:`Kernel`: nothing is imported or
compiled until it is first called.  A call then runs in one of two ways:

* **ahead-of-time (AOT)**: ``moosepy warmup`` (:mod:`moosepy.warmup`)
  compiles the specialisations of the kernels Python calls, those its
  models and earlier runs used, into extension modules (numba.pycc, same
  source, same numba pipeline and options; results equal bit for bit) in
  :func:`aot_dir`.
  A call whose argument types are exactly those of a compiled
  specialisation (numba's typing: Python float -> float64, int -> int64,
  bool -> boolean, arrays by dtype, ndim, layout C/F/A, read-only) runs it
  without importing numba.  A new process then pays milliseconds for its
  first run instead of numba's start-up (measured on the 2-core project
  machine: import 0.25 s, typing and target context set-up 0.3-0.5 s, of
  which 0.2 s imports scipy.linalg, then each cached kernel's load).
  A group (the kernels declared in one module) is used only while the
  sources it was built from are unchanged (a hash of their files, numba's
  and numpy's versions); otherwise numba takes over.
* **numba**: otherwise numba is imported once, every declared kernel
  becomes a ``numba.njit`` dispatcher of the same function (``cache=True``
  keeps numba's on-disk cache), and the module globals that held
  :class:`Kernel` objects are rebound to the dispatchers, so that kernels
  calling kernels compile as before and later calls skip this module.

The first compile after installation takes 15-30 s; while numba compiles,
the ``moosepy.jit`` logger says what (INFO) and, after
:func:`report_compiles`, how long it has been going (a line every few
seconds).  The command line turns this on.

**Background warm-up.** A process that had to run a kernel on numba
because its module has no valid AOT modules (none built yet, or built from
older sources) starts, as it exits, ``moosepy warmup --background`` as a
detached low-priority process (:func:`auto_warmup`): the AOT modules are
then there for the next process, with no step asked of the user.  It says
so in one line on stderr and logs to ``warmup.log`` in :func:`aot_dir`.
It is tried once per set of sources (``auto_warmup.json`` there records
what was tried), never while another runs (``warmup.lock``), and not
without a C compiler.  ``MOOSEPY_AUTO_WARMUP=0`` turns it off (the tests
and benchmarks do); ``MOOSEPY_AOT=0`` turns off both.

This module does not hold kernels or numerics; it decides only how they
are loaded.  ``MOOSEPY_AOT=0`` turns the AOT path off.
"""

import atexit
import functools
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger('moosepy.jit')

FORMAT = 2
MANIFEST = 'manifest.json'
PACKAGE_DIR = Path(__file__).resolve().parent

_kernels = []          # every Kernel declared, in order
_numba = None          # the numba module, once kernels are numba dispatchers
_lock = threading.RLock()
_manifest = None       # None: not read yet; {} when there is none
_groups = {}           # group -> {key: [(spec, fn), ...]} or None (stale / absent)
_missing = set()       # groups whose kernels ran on numba for want of AOT modules


# ----------------------------------------------------------------- declaring
def njit(*args, **options):
    """``numba.njit`` that defers numba until the kernel is first called.

    Use as ``@njit(cache=True, ...)`` or ``name = njit(cache=True)(func)``;
    the options are numba.njit's.  Returns a :class:`Kernel` (or, once numba
    is in use, the numba dispatcher itself; the kernel is registered either
    way, for ``moosepy warmup``).
    """
    group = sys._getframe(1).f_globals.get('__name__', '?')

    def decorate(func):
        k = Kernel(func, options, group)
        _kernels.append(k)
        if _numba is not None:
            k._disp = _numba.njit(**options)(func)
            return k._disp
        return k

    if args:
        if len(args) == 1 and callable(args[0]) and not options:
            return decorate(args[0])
        raise TypeError('njit: use @njit(option=value, ...) (signatures are not taken)')
    return decorate


class Kernel:
    """A declared kernel: calls go to an AOT-compiled specialisation when
    the argument types match one, otherwise to numba's dispatcher.

    Attributes: ``py_func`` (the Python function), ``options`` (numba.njit
    options), ``group`` (the declaring module), ``key`` (group:qualname,
    the name of its AOT entries).
    """

    def __init__(self, py_func, options, group):
        self.py_func = py_func
        self.options = dict(options)
        self.group = group
        self.key = f'{group}:{py_func.__qualname__}'
        self._disp = None
        self._call = self._first_call
        functools.update_wrapper(self, py_func)

    def __repr__(self):
        return f'<moosepy kernel {self.key}>'

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    # the first call decides how this kernel runs
    def _first_call(self, *args, **kwargs):
        with _lock:
            if self._call == self._first_call:
                entries = None
                if self.options.get('inline') != 'always':
                    table = _group_table(self.group)
                    entries = table.get(self.key) if table else None
                if entries:
                    self._call = _make_aot_call(self, entries)
                else:
                    if self.options.get('inline') != 'always':
                        _note_missing(self.group)
                    self._call = self.numba_call
        return self._call(*args, **kwargs)

    def numba_call(self, *args, **kwargs):
        """Call through numba's dispatcher (numba is loaded if it is not)."""
        return self.dispatcher(*args, **kwargs)

    @property
    def _numba_type_(self):
        # numba code that finds a Kernel (a kernel declared with numba.njit
        # directly, compiled before use_numba) types it as its dispatcher
        from numba.core import types
        return types.Dispatcher(self.dispatcher)

    @property
    def targetoptions(self):
        # read by numba's inlining pass (inline='always')
        return self.dispatcher.targetoptions

    @property
    def dispatcher(self):
        """The numba dispatcher of this kernel (loads numba for all kernels)."""
        if self._disp is None:
            use_numba()
        return self._disp


def kernels():
    """Every kernel declared so far (:class:`Kernel`)."""
    return list(_kernels)


def use_numba():
    """Turn every declared kernel into a numba dispatcher and rebind the
    module globals that held them; later :func:`njit` declarations give
    dispatchers directly.  Returns the numba module."""
    global _numba
    with _lock:
        if _numba is not None:
            return _numba
        t0 = time.perf_counter()
        import numba
        for k in _kernels:
            k._disp = numba.njit(**k.options)(k.py_func)
        _numba = numba
        _rebind()
        _install_listener()
        log.debug('numba %s loaded for %d kernels in %.3f s', numba.__version__,
                  len(_kernels), time.perf_counter() - t0)
        return numba


def _rebind():
    # numba types globals when it compiles: kernels calling kernels must see
    # dispatchers, wherever the name was imported to
    for name, mod in list(sys.modules.items()):
        if not (name == 'moosepy' or name.startswith('moosepy.')) or mod is None:
            continue
        d = getattr(mod, '__dict__', None)
        if not d:
            continue
        for attr, v in list(d.items()):
            if type(v) is Kernel:
                d[attr] = v._disp


# ----------------------------------------------------------------- AOT lookup
def aot_dir():
    """Where ``moosepy warmup`` puts the AOT modules: ``$MOOSEPY_AOT_DIR``;
    else ``$NUMBA_CACHE_DIR/moosepy_aot``; else ``moosepy/__pycache__/aot``
    in the installed package when writable; else
    ``~/.cache/moosepy/aot``."""
    env = os.environ.get('MOOSEPY_AOT_DIR')
    if env:
        return Path(env)
    nb = os.environ.get('NUMBA_CACHE_DIR')
    if nb:
        return Path(nb) / 'moosepy_aot'
    pkg = PACKAGE_DIR / '__pycache__'
    if os.access(pkg if pkg.exists() else PACKAGE_DIR, os.W_OK):
        return pkg / 'aot'
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return Path(base) / 'moosepy' / 'aot'


def environment():
    """What an AOT module depends on besides the kernel sources."""
    import platform
    import numpy as np
    spec = importlib.util.find_spec('numba')
    try:
        st = os.stat(spec.origin)
        nb = f'{spec.origin}:{st.st_size}:{int(st.st_mtime)}'
    except (AttributeError, TypeError, OSError):
        nb = 'no numba'
    return {'format': FORMAT, 'python': sys.version, 'machine': platform.machine(),
            'numpy': np.__version__, 'numba': nb}


def source_tag(files):
    """Hash of the kernel source files (paths relative to the package)."""
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.encode() + b'\0')
        try:
            h.update((PACKAGE_DIR / f).read_bytes())
        except OSError:
            h.update(b'<missing>')
    return h.hexdigest()


def _read_manifest():
    global _manifest
    if _manifest is None:
        _manifest = {}
        if os.environ.get('MOOSEPY_AOT', '1') != '0':
            try:
                m = json.loads((aot_dir() / MANIFEST).read_text())
            except (OSError, ValueError):
                m = None
            if m and m.get('environment') == environment():
                _manifest = m
            elif m:
                log.info('AOT kernels in %s were built for another numba/numpy/Python; '
                         'using numba (run `moosepy warmup` again)', aot_dir())
    return _manifest


def _group_table(group):
    """{kernel key: [(argument spec, function), ...]} of a group's valid AOT
    modules, or None."""
    if group in _groups:
        return _groups[group]
    table = None
    g = _read_manifest().get('groups', {}).get(group)
    if g is not None:
        if source_tag(g['files']) != g['tag']:
            log.info('AOT kernels of %s are older than its sources; using numba '
                     '(`moosepy warmup` rebuilds them)', group)
        else:
            mods = {}
            try:
                for name, fname in g['modules'].items():
                    spec = importlib.util.spec_from_file_location(name, aot_dir() / fname)
                    mods[name] = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(mods[name])
            except (ImportError, OSError) as exc:
                log.warning('AOT module of %s did not load (%s); using numba', group, exc)
            else:
                table = {key: [(tuple(spec_), getattr(mods[mod], name))
                               for mod, name, spec_ in ents]
                         for key, ents in g['entries'].items()}
    _groups[group] = table
    return table


def forget_aot():
    """Drop what was read of the AOT modules (after a rebuild), so that
    kernels not yet called look again."""
    global _manifest
    with _lock:
        _manifest = None
        _groups.clear()
        for k in _kernels:
            if k._disp is None:
                k._call = k._first_call


# --------------------------------------------------- argument type checking
_SCALARS = {'int64': ('int', 'np.int64'), 'float64': ('float', 'np.float64'),
            'bool': ('bool', 'np.bool_'), 'complex128': ('complex', 'np.complex128')}
_LAYOUT = {'C': '{f}.c_contiguous',
           'F': '(not {f}.c_contiguous and {f}.f_contiguous)',
           'A': '(not {f}.c_contiguous and not {f}.f_contiguous)'}


def _condition(s, expr, tag):
    """A Python expression true when the value *expr* has exactly the numba
    type of the spec *s* (see :func:`spec_of`)."""
    if s[0] == 's':
        pys = _SCALARS.get(s[1], (f'np.{s[1]}',))
        return '(' + ' or '.join(f'type({expr}) is {p}' for p in pys) + ')'
    if s[0] == 't':
        parts = [f'type({expr}) is tuple', f'len({expr}) == {len(s[1])}']
        parts += [_condition(e, f'{expr}[{j}]', f'{tag}_{j}') for j, e in enumerate(s[1])]
        return '(' + ' and '.join(parts) + ')'
    _, dt, ndim, layout, readonly = s
    f = f'f{tag}'
    # (the dtype by identity first, then by equality: arrays an AOT kernel
    # returns carry dtype objects of their own, equal to numpy's but not it)
    return (f'(type({expr}) is ND and (({expr}.dtype is DT_{dt}) or {expr}.dtype == DT_{dt}) '
            f'and {expr}.ndim == {ndim} '
            f'and ({f} := {expr}.flags).aligned and '
            f'{"not " if readonly else ""}{f}.writeable and '
            + _LAYOUT[layout].format(f=f) + ')')


def _conditions(spec):
    """A Python expression true when the arguments a0, a1, ... have exactly
    the numba types of *spec*."""
    conds = [_condition(s, f'a{i}', str(i)) for i, s in enumerate(spec)]
    return ' and '.join(conds) if conds else 'True'


def _dtypes(spec):
    for s in spec:
        if s[0] == 'a':
            yield s[1]
        elif s[0] == 't':
            yield from _dtypes(s[1])


def _make_aot_call(kernel, entries):
    """A function of the kernel's arguments that runs the first AOT entry
    whose types match, else the numba dispatcher."""
    import numpy as np
    n = len(entries[0][0])
    env = {'np': np, 'ND': np.ndarray, 'FALLBACK': kernel.numba_call}
    body = []
    for j, (spec, fn) in enumerate(entries):
        if len(spec) != n:
            continue
        env[f'AOT{j}'] = fn
        body.append(f'    if {_conditions(spec)}:\n'
                    f'        return AOT{j}(*args)')
    for dt in {d for spec, _ in entries for d in _dtypes(spec)}:
        env[f'DT_{dt}'] = np.dtype(dt)
    unpack = (', '.join(f'a{i}' for i in range(n)) + (',' if n == 1 else '')) if n else '_'
    src = (f'def call(*args, **kwargs):\n'
           f'    if kwargs or len(args) != {n}:\n'
           f'        return FALLBACK(*args, **kwargs)\n'
           f'    {unpack} = args\n' if n else
           'def call(*args, **kwargs):\n    if kwargs or args:\n'
           '        return FALLBACK(*args, **kwargs)\n')
    src += '\n'.join(body) + '\n    return FALLBACK(*args)\n'
    exec(compile(src, f'<moosepy.jit {kernel.key}>', 'exec'), env)
    return env['call']


def spec_of(numba_type):
    """The argument spec of a numba type, or None where the AOT path does
    not take it: ``('s', name)`` a numeric scalar, ``('a', dtype, ndim,
    layout, readonly)`` an aligned numeric array, ``('t', (specs))`` a
    plain tuple of these."""
    from numba.core import types
    from numba.np.numpy_support import as_dtype
    t = numba_type
    if isinstance(t, types.Literal):
        return None
    if isinstance(t, (types.UniTuple, types.Tuple)) and not isinstance(t, types.BaseNamedTuple):
        inner = tuple(spec_of(e) for e in t.types)
        return None if any(e is None for e in inner) else ('t', inner)
    if isinstance(t, types.Array):
        if type(t) is not types.Array or not t.aligned or t.layout not in 'CFA':
            return None
        try:
            dt = as_dtype(t.dtype)
        except Exception:
            return None
        if dt.kind not in 'biufc' or not dt.isnative:
            return None
        return ('a', dt.name, t.ndim, t.layout, not t.mutable)
    if isinstance(t, types.Boolean):
        return ('s', 'bool')
    if isinstance(t, (types.Integer, types.Float, types.Complex)):
        return ('s', str(t))
    return None


# ----------------------------------------------------- compile reporting
class _Progress:
    """Logs numba compilations of moosepy kernels: what, and for how long."""

    def __init__(self):
        self.stack = []            # names of the functions being compiled
        self.t0 = 0.0
        self.count = 0
        self.quiet = False
        self.interval = None       # seconds between progress lines; None: off
        self._stop = None

    def start(self, name):
        if not self.stack:
            self.t0 = time.perf_counter()
            self.count = 0
            # numba's own helpers compiled on their own (by an AOT build) are
            # not news
            self.quiet = not name.startswith('moosepy')
            if not self.quiet:
                log.info('compiling %s (numba: first use after installing or changing moosepy, '
                         'cached afterwards; `moosepy warmup` compiles every kernel at once)',
                         name)
            if self.interval and not self.quiet:
                self._stop = threading.Event()
                threading.Thread(target=self._tick, args=(self._stop,), daemon=True,
                                 name='moosepy-compile-progress').start()
        self.stack.append(name)
        self.count += 1

    def end(self):
        top = self.stack[0] if self.stack else '?'
        if self.stack:
            self.stack.pop()
        if not self.stack:
            if self._stop is not None:
                self._stop.set()
                self._stop = None
            if not self.quiet:
                log.info('compiled %s in %.1f s (%d function%s)', top,
                         time.perf_counter() - self.t0, self.count,
                         '' if self.count == 1 else 's')

    def _tick(self, stop):
        while not stop.wait(self.interval):
            stack = list(self.stack)
            if not stack:
                continue
            log.info('compiling %s: %.0f s, %d function%s so far, now %s', stack[0],
                     time.perf_counter() - self.t0, self.count,
                     '' if self.count == 1 else 's', stack[-1], extra={'progress': True})


_progress = _Progress()
_listener_installed = False


def _install_listener():
    global _listener_installed
    if _listener_installed:
        return
    from numba.core import event

    class Listener(event.Listener):
        def on_start(self, ev):
            disp = ev.data.get('dispatcher')
            f = getattr(disp, 'py_func', None)
            name = f'{f.__module__}.{f.__qualname__}' if f is not None else str(disp)
            _progress.start(name)

        def on_end(self, ev):
            _progress.end()

    event.register('numba:compile', Listener())
    _listener_installed = True


def report_compiles(interval=3.0):
    """Log a progress line every *interval* seconds while numba compiles
    (None: only the start and end of each compilation, at INFO)."""
    _progress.interval = interval


# ------------------------------------------------------ background warm-up
AUTO_RECORD = 'auto_warmup.json'
AUTO_LOCK = 'warmup.lock'
AUTO_LOG = 'warmup.log'


def _note_missing(group):
    """A kernel of *group* runs on numba: no AOT module has it."""
    if not _missing:
        atexit.register(_auto_warmup_at_exit)
    _missing.add(group)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _group_tags(groups):
    from .warmup import _group_files
    return {g: source_tag(_group_files(g)) for g in sorted(groups)}


def _c_compiler():
    for cc in (os.environ.get('CC'), 'cc', 'gcc', 'clang'):
        if cc and shutil.which(cc.split()[0]):
            return True
    return False


def auto_warmup_reason(groups=None):
    """Why a background warm-up would not start now (a string), or None
    when it would: for *groups* (default: the kernel modules this process
    ran on numba for want of AOT modules)."""
    groups = _missing if groups is None else set(groups)
    if os.environ.get('MOOSEPY_AUTO_WARMUP', '1') == '0':
        return 'MOOSEPY_AUTO_WARMUP=0'
    if os.environ.get('MOOSEPY_AOT', '1') == '0':
        return 'MOOSEPY_AOT=0'
    if not groups:
        return 'every kernel called ran from its AOT module'
    if not _c_compiler():
        return 'no C compiler (numba.pycc needs one)'
    d = aot_dir()
    try:
        rec = json.loads((d / AUTO_RECORD).read_text())
    except (OSError, ValueError):
        rec = {}
    tags = _group_tags(groups)
    if rec.get('environment') == environment() and \
            all(rec.get('tags', {}).get(g) == t for g, t in tags.items()):
        return (f'a warm-up was started for these sources at {rec.get("started", "?")} '
                f'(log: {d / AUTO_LOG}); `moosepy warmup` runs one in the foreground')
    return None


def _take_lock(path):
    """Create the lock file; False if a live process holds it."""
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(Path(path).read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pid = None
            if pid is not None and _pid_alive(pid):
                return False
            try:
                os.remove(path)       # left by a process that is gone
            except OSError:
                return False
            continue
        with os.fdopen(fd, 'w') as fh:
            fh.write(f'{os.getpid()}\n')
        return True
    return False


def auto_warmup(groups=None, popen=None):
    """Start ``moosepy warmup --background`` detached, at low priority, if
    :func:`auto_warmup_reason` finds nothing against it.  Returns the
    process (*popen*'s result; default ``subprocess.Popen``) or None."""
    popen = subprocess.Popen if popen is None else popen
    groups = _missing if groups is None else set(groups)
    why = auto_warmup_reason(groups)
    if why is not None:
        log.debug('no background warm-up: %s', why)
        return None
    d = aot_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        lock = d / AUTO_LOCK
        if not _take_lock(lock):
            return None
        from .warmup import known_groups
        rec = {'environment': environment(), 'tags': _group_tags(known_groups()),
               'started': time.strftime('%Y-%m-%d %H:%M:%S'), 'pid_parent': os.getpid()}
        tmp = d / (AUTO_RECORD + '.tmp')
        tmp.write_text(json.dumps(rec, indent=1, sort_keys=True))
        os.replace(tmp, d / AUTO_RECORD)
        env = dict(os.environ, MOOSEPY_AUTO_WARMUP='0')
        cmd = [sys.executable, '-m', 'moosepy.cli', 'warmup', '--background',
               '--aot-dir', os.fspath(d)]
        with open(d / AUTO_LOG, 'w') as out:
            kw = {}
            if os.name == 'posix':
                kw = {'start_new_session': True, 'preexec_fn': lambda: os.nice(10)}
            proc = popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                         env=env, cwd=os.fspath(d), close_fds=True, **kw)
        lock.write_text(f'{proc.pid}\n')
    except OSError as exc:
        log.debug('no background warm-up: %s', exc)
        return None
    sys.stderr.write(
        f'moosepy: compiling its kernels ahead of time in the background (pid {proc.pid}, '
        f'a few minutes, log: {d / AUTO_LOG}); later processes then start without '
        f'loading numba. MOOSEPY_AUTO_WARMUP=0 turns this off.\n')
    return proc


def _auto_warmup_at_exit():
    try:
        auto_warmup()
    except Exception as exc:       # never fail a user's exit over this
        log.debug('background warm-up not started: %s', exc)
