"""Discrete events of a Gsolve: instantaneous changes of molecule counts
when a trigger becomes true (what SBML events become on the stochastic
path, ``readSBML(..., solver='gssa')``).

MOOSE's Gsolve has no events.  moosepy keeps them as plain data on the
Gsolve element, a list of :class:`SsaEvent` set with :func:`set_events` and
read with :func:`get_events` (firings so far: :func:`event_fires`).  They
are compiled at ``reinit`` (pools resolved against the Stoich, errors name
the event) and honoured by both the clock-driven solver (``moose.start``)
and :func:`moosepy.stochastic.ensemble.run_ensemble`::

    from moosepy.stochastic.events import SsaEvent, Threshold, Assignment, set_events
    set_events(gsolve, [SsaEvent('reset', when=Threshold({'/m/c/P2': 1.0}, -30.0),
                                 assign=(Assignment('/m/c/P', const=100),
                                         Assignment('/m/c/P2', const=0)))])

Semantics (SBML's, for events without delay):

* **Time trigger** (``at=T``): the trigger ``time >= T`` goes from false to
  true once, at T: the SSA is stopped at exactly T (the pending waiting time
  is dropped and drawn anew, which the Markov property makes exact), the
  event fires, and the run goes on.  A trigger already true at t = 0 fires
  at t = 0 only if ``initial`` (SBML's initialValue) is False.  A sample at
  time T shows the state after the event.
* **State trigger** (``when=Threshold(coefs, const, strict)``): the
  trigger is ``sum_j coefs[j] * n_j + const > 0`` (``>= 0`` when not
  strict), n_j the counts of the pools named in coefs.  It is evaluated
  after every reaction firing that changes one of those pools (and at the
  start of every solver call, which catches counts written from outside),
  so it fires at the exact firing time at which it goes from false to true;
  it can fire any number of times.  Before t = 0 it has the value
  ``initial``.
* **Assignments** ``n_pool = const + sum_j coefs[j] * n_j``: the values of
  all the assignments of one event are computed from the counts before any
  of them is written.  Coefficients and constants must be whole numbers, so
  counts stay whole; a negative result raises SolverError naming the event.
  After an event, Functions are re-evaluated and all propensities
  recomputed.
* Several events at one instant fire in list order (SBML leaves the order
  of events without priorities open); an event whose assignments make
  another state trigger rise fires that one at the same instant (cascade;
  more than 10,000 firings at one instant is an error).  A non-persistent
  event (``persistent=False``) whose trigger went false again before its
  turn is skipped.

Not expressible here (the SBML reader refuses them by id): delays,
priorities, triggers that mix time and counts or read quantities that are
not pool counts (parameters that change, Function-assigned pools), and
triggers other than one comparison.  Events need the exact method
(``Gsolve.method = 'ssa'``).

Cost: a model without events runs the same kernel code as before (event
checks sit in the branch a reaction takes only when it changes a pool that a
trigger reads).
"""

from dataclasses import dataclass, field

import numpy as np

from ..core.errors import SolverError

MAX_CASCADE = 10000


@dataclass(frozen=True)
class Threshold:
    """State trigger ``sum coefs[pool] * n_pool + const > 0`` (strict) or
    ``>= 0``; coefs: {pool path: coefficient [1/#]}, const [dimensionless]."""
    coefs: dict
    const: float = 0.0
    strict: bool = True


@dataclass(frozen=True)
class Assignment:
    """``n_pool = const + sum coefs[p] * n_p`` [#]; whole coefficients and
    constant."""
    pool: str
    coefs: dict = field(default_factory=dict)
    const: float = 0.0


@dataclass
class SsaEvent:
    """An event: a time trigger ``at`` [s] or a state trigger ``when``
    (exactly one), and the assignments it makes when it fires."""
    id: str
    at: float = None
    when: Threshold = None
    assign: tuple = ()
    initial: bool = True
    persistent: bool = True


def _path(p):
    return (p if isinstance(p, str) else p.path).replace('[0]', '')


def _whole(x):
    return np.isfinite(x) and float(x) == round(float(x))


def _check(g, ev):
    where = f'{g.path} (Gsolve) event {getattr(ev, "id", ev)!r}'
    if not isinstance(ev, SsaEvent):
        raise SolverError(f'{g.path} (Gsolve): events must be SsaEvent objects, got '
                          f'{type(ev).__name__}')
    if (ev.at is None) == (ev.when is None):
        raise SolverError(f'{where}: give exactly one trigger, a time (at=) or a '
                          f'Threshold (when=)')
    if ev.at is not None and not np.isfinite(float(ev.at)):
        raise SolverError(f'{where}: trigger time {ev.at!r} is not finite')
    if ev.when is not None:
        if not isinstance(ev.when, Threshold) or not ev.when.coefs:
            raise SolverError(f'{where}: when= must be a Threshold on at least one pool')
        vals = list(ev.when.coefs.values()) + [ev.when.const]
        if not all(np.isfinite(float(c)) for c in vals):
            raise SolverError(f'{where}: trigger coefficients must be finite')
    for a in ev.assign:
        if not isinstance(a, Assignment):
            raise SolverError(f'{where}: assignments must be Assignment objects')
        for c in list(a.coefs.values()) + [a.const]:
            if not _whole(c):
                raise SolverError(f'{where}: assignment to {_path(a.pool)} has the '
                                  f'non-integer coefficient {c!r}; Gsolve counts whole '
                                  f'molecules')


def set_events(gsolve, events):
    """Give the Gsolve its events (a list of :class:`SsaEvent`, replacing
    any earlier ones); they take effect at the next ``moose.reinit()``."""
    from ..core.shell import element
    g = element(gsolve) if isinstance(gsolve, str) else gsolve
    events = list(events)
    for ev in events:
        _check(g, ev)
    ids = [ev.id for ev in events]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SolverError(f'{g.path} (Gsolve): event ids {dup} are not unique')
    g._el.data['events'] = events


def get_events(gsolve):
    """The Gsolve's events (a copy of the list)."""
    from ..core.shell import element
    g = element(gsolve) if isinstance(gsolve, str) else gsolve
    return list(g._el.data.get('events', ()))


def event_fires(gsolve, voxel=0):
    """{event id: firings since the last reinit} in one voxel of a Gsolve."""
    from ..core.shell import element
    g = element(gsolve) if isinstance(gsolve, str) else gsolve
    c = g._el.data.get('compiled')
    if c is None:
        raise SolverError(f'{g.path} (Gsolve): not compiled yet (call moose.reinit())')
    v = int(voxel)
    if not 0 <= v < c.nvox:
        raise SolverError(f'{g.path} (Gsolve): voxel {voxel} out of range (0..{c.nvox - 1})')
    return {eid: int(c.ev_state.counts[v, e]) for e, eid in enumerate(c.ev.ids)}


class CompiledEvents:
    """The events of one Gsolve as kernel arrays.

    ``E`` (the tuple the kernels take): kind (0 time, 1 state), strict,
    persistent, trigger CSR (tr_ptr, tr_idx, tr_coef), tr_const, assignment
    rows per event (as_ptr), their target pools, constants and CSR of terms
    (as_cptr, as_idx, as_coef).  ``timed``: [(time, event)] sorted, the
    time events that will fire.  ``prev0``: trigger values before t = 0."""

    def __init__(self, g, events, pool_els):
        index = {p.path.replace('[0]', ''): j for j, p in enumerate(pool_els)}
        self.ids = [ev.id for ev in events]
        n = len(events)
        self.n = n
        kind = np.zeros(n, np.int64)
        strict = np.zeros(n, np.int64)
        persist = np.ones(n, np.int64)
        tr_ptr, tr_idx, tr_coef = [0], [], []
        tr_const = np.zeros(n)
        as_ptr, as_tgt, as_const, as_cptr, as_idx, as_coef = [0], [], [], [0], [], []
        self.timed = []
        self.prev0 = np.zeros(n, np.int64)
        self.trig_pools = set()

        def pool(ev, p, what):
            j = index.get(_path(p))
            if j is None:
                raise SolverError(f'{g.path} (Gsolve) event {ev.id!r}: {what} {_path(p)} is '
                                  f'not a pool of this solver')
            return j
        for e, ev in enumerate(events):
            _check(g, ev)
            persist[e] = 1 if ev.persistent else 0
            if ev.at is not None:
                T = float(ev.at)
                # the trigger time >= T is true at t = 0 when T <= 0
                if T > 0:
                    self.timed.append((T, e))
                elif not ev.initial:
                    self.timed.append((0.0, e))
            else:
                kind[e] = 1
                th = ev.when
                strict[e] = 1 if th.strict else 0
                tr_const[e] = float(th.const)
                for p, c in th.coefs.items():
                    j = pool(ev, p, 'trigger pool')
                    tr_idx.append(j)
                    tr_coef.append(float(c))
                    self.trig_pools.add(j)
                self.prev0[e] = 1 if ev.initial else 0
            tr_ptr.append(len(tr_idx))
            for a in ev.assign:
                as_tgt.append(pool(ev, a.pool, 'assigned pool'))
                as_const.append(float(round(a.const)))
                for p, c in a.coefs.items():
                    as_idx.append(pool(ev, p, 'pool read by an assignment of'))
                    as_coef.append(float(round(c)))
                as_cptr.append(len(as_idx))
            as_ptr.append(len(as_tgt))
        self.timed.sort()
        i64 = lambda x: np.ascontiguousarray(x, dtype=np.int64)   # noqa: E731
        f64 = lambda x: np.ascontiguousarray(x, dtype=np.float64)  # noqa: E731
        self.E = (i64(kind), i64(strict), i64(persist), i64(tr_ptr), i64(tr_idx),
                  f64(tr_coef), f64(tr_const), i64(as_ptr), i64(as_tgt), f64(as_const),
                  i64(as_cptr), i64(as_idx), f64(as_coef))
        self.nstate = int(kind.sum())
        self.nassign = len(as_tgt)
        self.assigned = set(as_tgt)

    def check_held(self, g, held, func_pools):
        """Refuse what the kernels cannot do: triggers on Function-assigned
        pools (not re-evaluated inside a cascade) and assignments to pools
        that are held (BufPools, Function-assigned)."""
        for e, eid in enumerate(self.ids):
            lo, hi = self.E[3][e], self.E[3][e + 1]
            for j in self.E[4][lo:hi]:
                if int(j) in func_pools:
                    raise SolverError(f'{g.path} (Gsolve) event {eid!r}: its trigger reads a '
                                      f'pool that a Function assigns; Gsolve triggers read '
                                      f'counts changed by reactions and events only')
            for a in range(self.E[7][e], self.E[7][e + 1]):
                if held[self.E[8][a]]:
                    raise SolverError(f'{g.path} (Gsolve) event {eid!r}: it assigns a '
                                      f'buffered or Function-assigned pool')

    def state(self, nvox):
        """Fresh run state: (prev (nvox, n) trigger values, done (n,) time
        events fired, counts (nvox, n) firings)."""
        return EventState(np.tile(self.prev0, (nvox, 1)).astype(np.int64),
                          np.zeros(self.n, dtype=bool),
                          np.zeros((nvox, self.n), dtype=np.int64))


@dataclass
class EventState:
    prev: np.ndarray
    done: np.ndarray
    counts: np.ndarray


_EMPTY = None


def no_events():
    """The CompiledEvents of a solver without events (shared)."""
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = CompiledEvents(None, [], [])
    return _EMPTY


def compile_events(g, pool_els):
    evs = g._el.data.get('events') or []
    if not evs:
        return no_events()
    return CompiledEvents(g, evs, pool_els)


def _decode(res, ssa, ev, where, t0, t1, tnext=None):
    if res >= 0:
        return res
    from .kernels import STALL, MAX_EVENTS_LEFT
    if -res >= STALL:
        v = -res - STALL
        at = f' (reached t = {tnext[v]:.6g} s)' if tnext is not None else ''
        top = int(np.argmax(ssa.kk[v])) if ssa.R else -1
        who = f'; the largest rate constant is that of {ssa.labels[top]}' if top >= 0 else ''
        raise SolverError(f'{where}: the stochastic run cannot finish between t = {t0:g} and '
                          f'{t1:g} s in voxel {v}{at}: more than {MAX_EVENTS_LEFT:.0e} '
                          f'reaction firings remain (propensities overflow or are of the '
                          f'order 1e300, or time no longer advances){who}; check the rate '
                          f'constants, use a deterministic solver (Ksolve), or split a long run '
                          f'into several start() calls')
    c = -res - 1
    if c < ssa.R:
        raise SolverError(f'{ssa.labels[c]}: a Function made its rate negative near '
                          f't = {t0:g}..{t1:g} s; a propensity must be >= 0 ({where})')
    c -= ssa.R
    if c < ev.n:
        raise SolverError(f'event {ev.ids[c]!r} of {where}: an assignment made a count '
                          f'negative near t = {t0:g}..{t1:g} s')
    c -= ev.n
    raise SolverError(f'event {ev.ids[c]!r} of {where}: more than {MAX_CASCADE} event '
                      f'firings at one instant near t = {t0:g}..{t1:g} s (events that '
                      f'trigger each other without end)')


def run_ssa(ssa, ev, st, y, P, rng, tnext, fires, t0, t1, times, rec_ptr, rec_pool,
            rec_col, out, where):
    """The exact SSA of every voxel from t0 to t1 with events: the run is cut
    at the time events that fall in (t0, t1] (and those due at t0 = 0), each
    fired for all voxels between two kernel calls.  Arguments as
    :func:`moosepy.stochastic.kernels.ssa_run`; st: the :class:`EventState`.
    Returns the number of reaction events; raises SolverError."""
    from . import kernels
    total = 0
    lo = 0
    t = t0
    for ta, e in ev.timed:
        if st.done[e] or ta > t1:
            continue
        ta = max(ta, t)
        hi = int(np.searchsorted(times, ta, 'left'))
        res = kernels.ssa_run(y, P, ssa.kk, ssa.km, *ssa.kernel_args(), rng, tnext, fires,
                              t, ta, times[lo:hi], rec_ptr, rec_pool, rec_col, out[lo:hi],
                              ev.E, st.prev, st.counts)
        total += _decode(res, ssa, ev, where, t, ta, tnext)
        res = kernels.fire_event_all(y, P, ev.E, e, st.counts)
        if res < 0:
            _decode(-(1 + ssa.R + e), ssa, ev, where, ta, ta)
        st.done[e] = True
        tnext[:] = -np.inf          # the state changed: waits are drawn anew
        t, lo = ta, hi
    res = kernels.ssa_run(y, P, ssa.kk, ssa.km, *ssa.kernel_args(), rng, tnext, fires, t,
                          t1, times[lo:], rec_ptr, rec_pool, rec_col, out[lo:], ev.E,
                          st.prev, st.counts)
    return total + _decode(res, ssa, ev, where, t, t1, tnext)
