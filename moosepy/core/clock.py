"""Scheduling: 32 clock ticks, ``setClock``, ``useClock``, ``reinit``,
``start`` and ``stop``.

Every element carries a tick (its class default, or what ``useClock``
gave it).  Within one base step, ticks fire in index order; a tick of dt d
fires on every step that is a multiple of d / baseDt.  ``start(t)`` runs
exactly ``round(t / baseDt)`` base steps and can be called again to go on.

Objects that a compiled solver can advance on its own (a Ksolve, and the
tables that read its state) are run *batched*: the solver is asked to
advance over many steps in one compiled call and to hand back the samples
the tables would have taken, so that no Python runs per tick per object.
Everything else is processed tick by tick in Python.  A long run is cut into
chunks; between chunks progress is reported (when asked) and Ctrl-C or
``stop()`` ends the run with the state consistent at a chunk boundary.
"""

import gc
import logging
import math
import signal
import sys
import threading
import time

import numpy as np

from .errors import MooseError
from .fields import Field, LookupField
from .structure import changed as structure_changed, version as structure_version

log = logging.getLogger('moosepy.core')

NUM_TICKS = 32
#: MOOSE 5.0.0's default dt of each tick [s]
DEFAULT_DTS = (5e-5, 5e-5, 5e-5, 5e-5, 5e-5, 5e-5, 5e-5, 5e-5,
               1e-4, 0.0, 0.01, 0.1, 0.1, 0.1, 0.1, 0.1,
               0.1, 0.1, 1.0, 1.0, 10.0, 0.0, 0.0, 0.0,
               0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.01)


class _ClockState:
    def __init__(self):
        self.reset()

    def reset(self):
        self.dts = np.array(DEFAULT_DTS, dtype=float)
        self.current_time = 0.0
        self.current_step = 0
        self.base_dt = 0.0
        # MOOSE's time grid: its Clock's dt_, 50 us at start and lowered by
        # every smaller dt given to setClock (never raised); times are
        # grid_dt * (base steps * grid_mult), as MOOSE's dt_ * step, so
        # they round as MOOSE's do (0 when base_dt is not a multiple)
        self.grid_dt = 5e-5
        self.grid_mult = 0
        self.nsteps = 0
        self.runtime = 0.0
        self.running = False
        self.stop_requested = False
        self.reinited = False
        self.schedule = []      # [(tick, [elements])] in tick order
        self.strides = {}
        self.last_wall = 0.0
        # reinits counted over the whole process (never reset), and the
        # structure version at the end of the last one (see core.structure)
        self.reinit_serial = getattr(self, 'reinit_serial', 0)
        self.reinit_version = -1
        self.in_reinit = False


clock = _ClockState()


# ----------------------------------------------------------------- user API
def setClock(tick, dt):
    """Set the dt [s] of a tick (0..31)."""
    tick = _check_tick(tick)
    dt = float(dt)
    if dt < 0 or not math.isfinite(dt):
        raise MooseError(f'setClock({tick}, {dt}): dt must be a finite number >= 0')
    if clock.dts[tick] != dt:
        structure_changed()
    clock.dts[tick] = dt
    if 0 < dt < clock.grid_dt:
        clock.grid_dt = dt
    clock.reinited = False


def _check_tick(tick):
    try:
        t = int(tick)
    except (TypeError, ValueError):
        raise MooseError(f'tick must be an integer 0..{NUM_TICKS - 1}, got {tick!r}') from None
    if not 0 <= t < NUM_TICKS:
        raise MooseError(f'tick must be 0..{NUM_TICKS - 1}, got {t}')
    return t


def useClock(tick, path, field='process'):
    """Schedule every element matching the wildcard *path* on *tick*
    ('process' or 'init' are both accepted, as in MOOSE)."""
    from .shell import wildcardFind
    tick = _check_tick(tick)
    if field not in ('process', 'init', 'proc'):
        raise MooseError(f"useClock: field must be 'process' or 'init', got {field!r}")
    found = wildcardFind(path)
    for h in found:
        h._el.tick = tick
    structure_changed()
    clock.reinited = False
    return len(found)


_SCHED = {'version': None, 'sched': None}

# Order of classes within one tick.  pymoose 5.0.0 processes the objects of
# a tick grouped by class, in an order its build fixes (it sorts the tick's
# targets by the address of their process function), not in creation
# order.  Measured (a Table and the object on one tick, against the Table
# on a later tick): Tables (Table, Table2) read these classes *before* they
# step, i.e. record the previous step's value; every other class measured
# (Compartment, Function, Arith, LIF, CaConc, VClamp) steps before the
# Tables.  Unmeasured classes are put before the Tables too.
_AFTER_TABLES = frozenset(('PulseGen', 'StimulusTable', 'TimeTable', 'DiffAmp', 'RC',
                           'Interpol', 'PIDController'))
_TABLES = frozenset(('Table', 'Table2'))
# Steps first in its tick: pymoose 5.0.0 runs a RandSpike before the synapse
# handlers of tick 1 whatever the creation order (measured: a periodic spike
# with delay 0 reaches the SynChan in the step it is made), so a spike is
# queued before the handler looks at its queue.
_FIRST = frozenset(('RandSpike',))


def _tick_rank(cls):
    for k in cls.__mro__:
        n = k.__name__
        if n in _FIRST:
            return -2
        if n in _AFTER_TABLES:
            return 1
        if n in _TABLES:
            return 0
    return -1


def _live_scheduled():
    """[(tick, [elements])] of the live elements on ticks with dt > 0, in
    tick order; a new list each call, walked again only when the structure
    changed (objects, ticks and dts are structure)."""
    v = structure_version()
    if _SCHED['version'] != v:
        from .element import root
        by_tick = {}
        dts = clock.dts
        on = [t for t in range(len(dts)) if dts[t] > 0]
        stack = [root()]            # (Element.walk's order, without a generator)
        pop, extend = stack.pop, stack.extend
        while stack:
            el = pop()
            t = el.tick
            if t >= 0 and t in on:
                by_tick.setdefault(t, []).append(el)
            ch = el.children
            if ch:
                extend(reversed(ch.values()))
        ranks = {}

        def rank(e):                # (_tick_rank once per class)
            r = ranks.get(e.cls)
            if r is None:
                r = ranks[e.cls] = _tick_rank(e.cls)
            return r
        for els in by_tick.values():
            els.sort(key=rank)      # stable: tree order kept
        _SCHED['sched'] = sorted(by_tick.items())
        _SCHED['version'] = v
    return list(_SCHED['sched'])


def reinit():
    """Reset time to 0, compile solvers and put every scheduled object in its
    initial state, in tick order."""
    from .element import root
    if root() is None:
        from .shell import _init_root
        _init_root()
    clock.current_time = 0.0
    clock.current_step = 0
    clock.stop_requested = False
    clock.schedule = _live_scheduled()
    dts = [clock.dts[t] for t, _ in clock.schedule]
    clock.base_dt = min(dts) if dts else 0.0
    clock.strides = {t: max(1, int(round(clock.dts[t] / clock.base_dt)))
                     for t, _ in clock.schedule}
    _set_grid()
    clock.reinit_serial += 1
    # compiling makes many small objects in a model of many: the cyclic
    # garbage collector would walk the whole model again and again meanwhile
    gc_on = gc.isenabled()
    gc.disable()
    clock.in_reinit = True
    try:
        _reinit_objects()
    finally:
        clock.in_reinit = False
        if gc_on:
            gc.enable()
            # the young objects a compile made (elements' data dicts that
            # now hold their solver, the solver's lists), looked at now:
            # else the first allocation of the user's next call pays for it
            # (3-4 ms for a 4000-compartment cell; gc.get_count() does not
            # count dicts that became tracked, so it cannot tell)
            gc.collect(0)
    clock.reinited = True
    clock.reinit_version = structure_version()


_PLAN = {'sched': None, 'lists': None, 'pre': None, 'post': None}


def _reinit_plan():
    """([(element, its class's _prepare_reinit)], ([elements], [their
    _reinit])) of the schedule, in its order: made again only when the
    schedule is a new one (a structure change makes a new one).  A class
    that sets ``_prepare_reinit_once`` has its hook called for its first
    element only (a hook that does not depend on the element).  (Two lists
    and one bound method per class, not a pair per element: the plan lives
    as long as the model, and 24,000 small objects more made the garbage
    collector's next pass after a compile cost ~3 ms.)"""
    sched = _SCHED.get('sched')
    lists = [els for _t, els in clock.schedule]
    if _PLAN['sched'] is sched and sched is not None and len(lists) == len(_PLAN['lists']) \
            and all(a is b for a, b in zip(lists, _PLAN['lists'])):
        return _PLAN['pre'], _PLAN['post']
    pre, once = [], set()
    post_els, post_fns = [], []
    hooks = {}
    for els in lists:
        for el in els:
            cls = el.cls
            h = hooks.get(cls)
            if h is None:
                h = hooks[cls] = (getattr(cls, '_prepare_reinit', None),
                                  getattr(cls, '_reinit', None))
            fn = h[0]
            if fn is not None:
                if getattr(cls, '_prepare_reinit_once', False):
                    key = getattr(fn, '__func__', fn)
                    if key in once:
                        fn = None
                    once.add(key)
                if fn is not None:
                    pre.append((el, fn))
            if h[1] is not None:
                post_els.append(el)
                post_fns.append(h[1])
    post = (post_els, post_fns)
    if sched is not None and all(a is b for a, b in zip(lists, [e for _t, e in sched])):
        _PLAN.update(sched=sched, lists=lists, pre=pre, post=post)
    return pre, post


def _reinit_objects():
    # solvers first: each may keep what it compiled (nothing structural
    # changed) and names the objects whose reinit it does itself, in bulk
    pre, (post_els, post_fns) = _reinit_plan()
    done = set()
    for el, fn in pre:
        if el.alive:
            done.update(map(id, fn(el)))
    for el, fn in zip(post_els, post_fns):
        if el.alive and id(el) not in done:
            fn(el)


def stop():
    """Ask a running simulation to stop at the next chunk boundary."""
    clock.stop_requested = True


def _stale_schedule():
    if _SCHED['version'] == structure_version() and clock.schedule == _SCHED['sched']:
        return False
    return any(not el.alive for _, els in clock.schedule for el in els) or \
        _live_scheduled() != clock.schedule


def start(runtime, notify=False):
    """Advance the simulation by *runtime* [s].

    Runs ``floor(runtime / baseDt + 0.5)`` base steps (baseDt: the smallest dt
    of the ticks in use).  ``notify=True`` reports
    progress (simulated time, wall time, ETA) on stderr.  Ctrl-C or
    :func:`stop` ends the run early at a consistent state.
    """
    runtime = float(runtime)
    if runtime < 0 or not math.isfinite(runtime):
        raise MooseError(f'start({runtime}): runtime must be a finite number >= 0')
    if not clock.reinited or _stale_schedule():
        if clock.current_step == 0:
            reinit()
        else:
            # keep time going; pick up new objects and dts without resetting
            _reschedule()
    if clock.base_dt <= 0:
        clock.current_time += runtime
        return
    # as MOOSE: whole steps of the smallest dt in use, halves rounded up
    q = runtime / clock.base_dt
    if not q < 2.0 ** 53:
        # (a dt of 1e-300 from a file: the run could never end, and past
        # 2^53 the steps cannot be counted in a double)
        raise MooseError(f'start({runtime}): {q:.3g} steps of the smallest dt in use '
                         f'({clock.base_dt:g} s); more than 2^53 steps cannot be run or '
                         f'counted: check the dts given to setClock (or the file\'s SIMDT)')
    nsteps = int(math.floor(q + 0.5))
    clock.nsteps = nsteps
    clock.runtime = runtime
    _run(nsteps, notify)


def _set_grid():
    """grid_mult: base_dt in MOOSE's grid steps (0 if not a whole number)."""
    r = float(clock.base_dt) / float(clock.grid_dt) if clock.grid_dt > 0 else 0.0
    if not math.isfinite(r):        # a subnormal grid dt (a file's SIMDT of 1e-320)
        r = 0.0
    m = int(round(r))
    clock.grid_mult = m if m >= 1 and abs(r - m) <= 1e-6 * r else 0


def step_time(s):
    """Time [s] at the end of base step *s*: MOOSE's dt * step on its grid
    (the same float MOOSE computes), else s * base_dt."""
    m = clock.grid_mult
    if m:
        return clock.grid_dt * (s * m)
    return s * clock.base_dt


def _reschedule():
    clock.schedule = _live_scheduled()
    dts = [clock.dts[t] for t, _ in clock.schedule]
    base = min(dts) if dts else 0.0
    if clock.base_dt and base and abs(base - clock.base_dt) > 1e-12 * base:
        clock.current_step = int(round(clock.current_time / base))
    clock.base_dt = base
    clock.strides = {t: max(1, int(round(clock.dts[t] / base))) for t, _ in clock.schedule}
    _set_grid()
    clock.reinited = True


# ----------------------------------------------------------------- run loop
class _Interrupt:
    def __init__(self):
        self.old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self.old = signal.signal(signal.SIGINT, self._handler)
            except ValueError:
                self.old = None
        return self

    def _handler(self, signum, frame):
        clock.stop_requested = True

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)
        return False


def _plan():
    """Split scheduled elements into batch solvers, their samplers and
    Python-processed ones."""
    solvers, samplers, python = [], [], []
    for t, els in clock.schedule:
        for el in els:
            role = getattr(el.cls, '_batch_role', None)
            r = role(el) if role is not None else 'python'
            if r == 'solver':
                solvers.append((t, el))
            elif r == 'sampler':
                samplers.append((t, el))
            elif r == 'idle':
                continue
            else:
                python.append((t, el))
    return solvers, samplers, python


def _run(nsteps, notify):
    solvers, samplers, python = _plan()
    clock.running = True
    clock.stop_requested = False
    wall0 = time.perf_counter()
    t_start_sim = clock.current_time
    done = 0
    try:
        with _Interrupt():
            if python and solvers and min(clock.strides[t] for t, _ in python) > 1:
                done = _run_hybrid(nsteps, solvers, samplers, python, notify, wall0)
            elif python:
                done = _run_python(nsteps, notify, wall0)
            else:
                done = _run_batched(nsteps, solvers, samplers, notify, wall0)
    finally:
        clock.running = False
        clock.last_wall = time.perf_counter() - wall0
    _after_run()
    if done < nsteps:
        log.warning('run stopped at t = %g s (%d of %d steps)', clock.current_time,
                    done, nsteps)
    elif notify:
        sys.stderr.write(f'moosepy: simulated {clock.current_time - t_start_sim:g} s in '
                         f'{clock.last_wall:.3g} s wall\n')


def _after_run():
    """Objects that keep output (the HDF5/NSDF writers, Streamer) write what
    they buffered, so the files hold every sample when start() returns."""
    for t, els in clock.schedule:
        for el in els:
            fn = getattr(el.cls, '_after_run', None)
            if fn is not None and el.alive:
                fn(el)


def _progress(notify, done, nsteps, wall0):
    if not notify or done == 0:
        return
    wall = time.perf_counter() - wall0
    eta = wall * (nsteps - done) / done
    sys.stderr.write(f'moosepy: t = {clock.current_time:g} s ({100 * done / nsteps:.0f}%), '
                     f'wall {wall:.2f} s, ETA {eta:.2f} s\n')


def _run_python(nsteps, notify, wall0):
    """Tick-by-tick loop for models with Python-processed objects.  Objects
    whose role is 'idle' (nothing to do per tick: driven by a solver, or a
    table without sources) are skipped, as in the batched loop."""
    def busy(el):
        role = getattr(el.cls, '_batch_role', None)
        return role is None or role(el) != 'idle'
    sched = [(tick, [el for el in els if busy(el)]) for tick, els in clock.schedule]
    strides = clock.strides
    base = clock.base_dt
    last_report = time.perf_counter()
    quiet = _quiet_capable(sched, strides)
    k = 0
    while k < nsteps:
        if clock.stop_requested:
            return k
        if quiet and nsteps - k > 1:
            q = _skip_quiet(sched, nsteps - k - 1)
            if q:
                k += q
                continue
        k += 1
        s = clock.current_step + 1
        t = step_time(s)
        for tick, els in sched:
            if s % strides[tick]:
                continue
            dt = clock.dts[tick]
            for el in els:
                fn = getattr(el.cls, '_process', None)
                if fn is not None and el.alive:
                    fn(el, t, dt)
        clock.current_step = s
        clock.current_time = t
        if notify and time.perf_counter() - last_report > 1.0:
            last_report = time.perf_counter()
            _progress(notify, k, nsteps, wall0)
    return nsteps


#: longest run of quiet steps taken in one go (the RandSpikes draw their
#: uniforms this far ahead)
QUIET_WINDOW = 4096


def _quiet_capable(sched, strides):
    """True when every object to step can say how many of the coming steps
    it would spend doing nothing (``_quiet_steps``) and can be moved over
    them in one go (``_skip_steps``), all on ticks of the base step: a
    model of RandSpikes, event-driven plasticity handlers and Tables.
    Objects on slower ticks need not be: a quiet run stops before each
    step where one of them fires (:func:`_skip_quiet`)."""
    n = 0
    for tick, els in sched:
        if strides[tick] != 1:
            continue
        for el in els:
            if getattr(el.cls, '_quiet_steps', None) is None:
                return False
            n += 1
    return n > 0


def _skip_quiet(sched, most):
    """Steps in which no object of the model does anything but what
    ``_skip_steps`` reproduces (a RandSpike draws its uniforms and does not
    fire, a handler has no event due, a Table records an unchanged value):
    taken in one go, exactly as the step-by-step loop would; returns how
    many (0: the next step is a busy one).  The step after them runs
    normally, so the objects never see each other's events inside."""
    s0 = clock.current_step
    q = min(most, QUIET_WINDOW)
    strides = clock.strides
    for tick, els in sched:
        st = strides[tick]
        if st != 1 and els:
            # objects of a slower tick are stepped as usual: stop before
            # the next step where it fires
            q = min(q, st - 1 - s0 % st)
            if q <= 0:
                return 0
    for tick, els in sched:
        if strides[tick] != 1:
            continue
        dt = clock.dts[tick]
        for el in els:
            if el.alive:
                q = min(q, el.cls._quiet_steps(el, s0, q, dt))
                if q <= 0:
                    return 0
    for tick, els in sched:
        if strides[tick] != 1:
            continue
        dt = clock.dts[tick]
        for el in els:
            if el.alive:
                el.cls._skip_steps(el, s0, q, dt)
    clock.current_step = s0 + q
    clock.current_time = step_time(s0 + q)
    return q


def step_times(s0, n):
    """:func:`step_time` of steps s0+1 .. s0+n, as an array (the same floats)."""
    ks = np.arange(s0 + 1, s0 + n + 1, dtype=np.int64)
    m = clock.grid_mult
    if m:
        return clock.grid_dt * (ks * m)
    return ks * clock.base_dt


def _run_hybrid(nsteps, solvers, samplers, python, notify, wall0):
    """Compiled solvers beside Python-processed objects that fire less often
    than every base step (an Adaptor, a Function, Stats on slow ticks): the
    solvers advance in whole chunks between the steps where a Python object
    fires; at those steps every tick that fires is processed in tick order,
    as in :func:`_run_python`."""
    base = clock.base_dt
    strides = clock.strides
    feeds = [(tick, el, el.cls._sample_source(el)) for tick, el in samplers]
    py_strides = sorted({strides[t] for t, _ in python})
    kind = {}
    for t, el in solvers:
        kind[id(el)] = 'solver'
    for t, el in samplers:
        kind[id(el)] = 'sampler'
    for t, el in python:
        kind[id(el)] = 'python'
    sched = sorted(solvers + samplers + python, key=lambda te: te[0])
    last_report = time.perf_counter()
    done = 0
    from . import paced
    pplan = paced.plan(solvers, samplers, python, strides, base) if paced.PACED else None
    chunk = 256
    while done < nsteps:
        if clock.stop_requested:
            break
        s0 = clock.current_step
        s_end = s0 + (nsteps - done)
        if pplan is not None and s0 % pplan.K == 0:
            # whole Adaptor intervals in compiled calls (core.paced), sized
            # by wall time as _run_batched's chunks
            m = min((s_end - s0) // pplan.K, chunk)
            if m >= paced.MIN_STOPS:
                tw = time.perf_counter()
                got = paced.run(pplan, s0, m)
                if got:
                    clock.current_step = s0 + got * pplan.K
                    clock.current_time = step_time(clock.current_step)
                    done += got * pplan.K
                    elapsed = time.perf_counter() - tw
                    if elapsed > 0:
                        chunk = max(paced.MIN_STOPS, int(m * min(8.0, 0.25 / elapsed)))
                    if notify and time.perf_counter() - last_report > 1.0:
                        last_report = time.perf_counter()
                        _progress(notify, done, nsteps, wall0)
                    continue
                pplan = None            # (the hybrid loop from here)
        s_py = min((s0 // k + 1) * k for k in py_strides)
        # the steps before the next Python firing, in one chunk
        n = min(s_py - 1, s_end) - s0
        fold = None
        if n > 0 and s_py <= s_end and FOLD_FIRING_STEP:
            fold = _fold_at(s_py, python, kind, strides, sched)
        if n > 0:
            _advance_chunk(s0, n, solvers, feeds, strides, base, fold)
            clock.current_step = s0 + n
            clock.current_time = step_time(clock.current_step)
            done += n
        if s_py > s_end or clock.stop_requested:
            continue
        s = s_py
        t = step_time(s)
        for tick, el in sched:
            if s % strides[tick] or not el.alive:
                continue
            if fold is not None and tick < fold[0]:
                continue        # (solvers and tables before the first Python tick: done)
            k = kind[id(el)]
            if k == 'solver':
                el.cls._batch_advance(el, t, [])
            else:
                fn = getattr(el.cls, '_process', None)
                if fn is not None:
                    fn(el, t, clock.dts[tick])
        clock.current_step = s
        clock.current_time = t
        done += 1
        if notify and time.perf_counter() - last_report > 1.0:
            last_report = time.perf_counter()
            _progress(notify, done, nsteps, wall0)
    return done


#: in :func:`_run_hybrid`, the step at which Python objects fire is taken
#: into the chunk before it for the solvers and tables whose ticks come
#: before the first Python tick that fires there (they are processed before
#: it in any case): one solver call per chunk instead of two.  False: that
#: step is processed tick by tick, as the others of the Python objects' ticks
FOLD_FIRING_STEP = True


def _fold_at(s, python, kind, strides, sched):
    """(P, ids of the solvers that fire at step *s* on ticks before P): P
    is the lowest tick of the Python objects that fire at *s*; every
    solver and table firing at *s* on a lower tick can take step *s* in
    the chunk before it (tables read in the chunk by the same rule as tick
    by tick).  None when nothing would be folded."""
    P = min((tick for tick, el in python if not s % strides[tick] and el.alive), default=None)
    if P is None:
        return None
    early = set()
    for tick, el in sched:
        if tick >= P:
            break
        if not s % strides[tick] and el.alive and kind[id(el)] == 'solver':
            early.add(id(el))
    return (P, early)


def _run_batched(nsteps, solvers, samplers, notify, wall0):
    """Advance compiled solvers over whole chunks of steps."""
    base = clock.base_dt
    strides = clock.strides
    # tables: which solver feeds them, and how
    feeds = []
    for tick, el in samplers:
        src = el.cls._sample_source(el)   # (solver element, spec) or None
        feeds.append((tick, el, src))
    chunk = nsteps
    if solvers:
        # first chunk: a few thousand solver steps, then sized by wall time
        smin = min(strides[t] for t, _ in solvers)
        chunk = min(nsteps, 4000 * smin)
    done = 0
    while done < nsteps:
        if clock.stop_requested:
            break
        n = min(chunk, nsteps - done)
        s0 = clock.current_step
        tw = time.perf_counter()
        _advance_chunk(s0, n, solvers, feeds, strides, base)
        clock.current_step = s0 + n
        clock.current_time = step_time(clock.current_step)
        done += n
        elapsed = time.perf_counter() - tw
        if elapsed > 0:
            chunk = max(1, int(n * min(8.0, 0.25 / elapsed)))
        _progress(notify, done, nsteps, wall0)
    return done


def _fire_steps(s0, n, stride):
    """Base steps in (s0, s0+n] at which a tick of this stride fires."""
    first = (s0 // stride + 1) * stride
    return np.arange(first, s0 + n + 1, stride, dtype=np.int64)


def _advance_chunk(s0, n, solvers, feeds, strides, base, fold=None):
    """Advance every solver over base steps (s0, s0+n]; give tables the
    values they would have read at their ticks.  *fold*: (P, solver ids)
    from :func:`_fold_at`: those solvers, and the tables on ticks before P,
    take step s0+n+1 too."""
    solver_tick = {id(el): t for t, el in solvers}
    requests = {id(el): [] for _, el in solvers}
    for tick, tab, src in feeds:
        nn = n + 1 if fold is not None and tick < fold[0] else n
        steps = _fire_steps(s0, nn, strides[tick])
        if src is None:
            tab.cls._record_batch(tab, steps * base, None)
            continue
        sel, spec = src
        st = solver_tick[id(sel)]
        ks = strides[st]
        # state time the table sees: the solver's last firing at or before
        # this step (strictly before if the solver's tick comes later)
        if st <= tick:
            last = (steps // ks) * ks
        else:
            last = ((steps - 1) // ks) * ks
        requests[id(sel)].append((tab, steps * base, last * base, spec))
    for tick, sel in solvers:
        # a solver joined to others (Dsolve junctions) advances them and
        # fills their tables: it finds their requests here
        sel.data['_requests'] = requests[id(sel)]
    for tick, sel in solvers:
        ks = strides[tick]
        t_end = ((s0 + n + (fold is not None and id(sel) in fold[1])) // ks) * ks * base
        reqs = requests[id(sel)]
        sel.cls._batch_advance(sel, t_end, reqs)
        sel.data.pop('_requests', None)


# ----------------------------------------------------------------- /clock
from .element import Neutral, Element  # noqa: E402


class Clock(Neutral):
    """The scheduler at ``/clock``: 32 ticks, each with its own dt."""

    baseDt = Field(5e-5, 's', "MOOSE's base timestep: 50 us at start, lowered by every "
                   "smaller dt given to setClock, never raised (the ticks' dts are whole "
                   "multiples of it, as MOOSE rounds them)", stored=False)
    stride = Field(1, '', 'Base timesteps per step of the run: smallest dt of the ticks '
                   'in use / baseDt, set at reinit (1 before)', type='unsigned int', ro=True,
                   stored=False)
    currentTime = Field(0.0, 's', 'Simulated time', ro=True, stored=False)
    currentStep = Field(0, '', 'Base steps since reinit', type='int', ro=True, stored=False)
    dts = Field(None, 's', 'dt of every tick', type='vector', ro=True, stored=False)
    isRunning = Field(False, '', 'True while start() runs', type='bool', ro=True, stored=False)
    nsteps = Field(0, '', 'Base steps of the last start()', type='int', ro=True, stored=False)
    runTime = Field(0.0, 's', 'Runtime of the last start()', ro=True, stored=False)
    numTicks = Field(NUM_TICKS, '', 'Number of ticks', type='int', ro=True, stored=False)
    tickDt = LookupField('unsigned int', 'double', 's', 'dt of a tick')
    tickStep = LookupField('unsigned int', 'unsigned int', '', 'Base steps per firing of a tick')
    defaultTick = LookupField('string', 'unsigned int', '', 'Default tick of a class')

    def _get_baseDt(self):
        return clock.grid_dt

    def _get_stride(self):
        if clock.base_dt <= 0 or clock.grid_dt <= 0:
            return 1
        # C's round (half away from zero), as MOOSE rounds a tick's dt
        return max(1, int(math.floor(clock.base_dt / clock.grid_dt + 0.5)))

    def _set_baseDt(self, v):
        raise MooseError('/clock.baseDt follows from the tick dts; use setClock')

    def _get_currentTime(self):
        return clock.current_time

    def _get_currentStep(self):
        return clock.current_step

    def _get_dts(self):
        return clock.dts.copy()

    def _get_isRunning(self):
        return clock.running

    def _get_nsteps(self):
        return clock.nsteps

    def _get_runTime(self):
        return clock.runtime

    def _get_numTicks(self):
        return NUM_TICKS

    def _lookup_tickDt(self, tick):
        return float(clock.dts[_check_tick(tick)])

    def _lookupset_tickDt(self, tick, dt):
        setClock(tick, dt)

    def _lookup_tickStep(self, tick):
        t = _check_tick(tick)
        return clock.strides.get(t, 0)

    def _lookup_defaultTick(self, classname):
        from .fields import registry
        cls = registry.get(classname)
        if cls is None:
            raise MooseError(f"unknown class '{classname}'")
        return cls.default_tick


def make_clock_element(root_el):
    Element('clock', root_el, Clock)
