"""Time course of a compiled SBML :class:`~.system.System`.

Integration uses scipy's LSODA (or BDF/Radau/RK45) through its step-by-step
interface, with the right-hand side evaluated by the numba kernels.  After
every step the event triggers are evaluated; when one changes, the crossing
time is found by bisection on the step's dense output, the integrator stops
there, the events fire (in priority order, with delays, persistence and
values from trigger or execution time as the SBML Level 3 specification
says), and integration restarts.  Values at output times come from the
dense output of the step that covers them.
"""

import heapq
import math

import numpy as np
from scipy import integrate

from ...core.errors import SolverError
from ...core.health import first_nonfinite
from . import kernels as K

_METHODS = {'lsoda': 'LSODA', 'bdf': 'BDF', 'radau': 'Radau', 'rk45': 'RK45',
            'rk5': 'RK45', 'gsl': 'RK45', 'rk8': 'DOP853'}


class Engine:
    """Runs a System: ``reset()``, then ``advance(t_end, out_times)``."""

    def __init__(self, S, method='lsoda', rtol=1e-10, atol=1e-14, seed=None):
        self.S = S
        m = method.lower()
        if m not in _METHODS:
            raise SolverError(f'SBML engine: unknown method {method!r}; valid: '
                              f'{", ".join(sorted(_METHODS))}')
        self.method = _METHODS[m]
        self.rtol = rtol
        self.atol = atol
        self.rng = np.random.default_rng(seed)
        S.code.code = np.asarray(S.code.code, dtype=np.int64)
        S.code.args = np.asarray(S.code.args, dtype=np.int64)
        S.code.consts = np.asarray(S.code.consts if len(S.code.consts) else [0.0],
                                   dtype=np.float64)
        depth = max(S.main.depth, S.init.depth, S.evs.depth)
        self.stack = np.zeros(depth + 4)
        self.nslot = len(S.slot_names)
        self.vtmp = np.zeros(self.nslot)
        self.cap = 1024
        self.hist_t = np.zeros(self.cap)
        self.hist_v = np.zeros((self.cap, self.nslot))
        self.nhist = 0
        self.dy = np.zeros(len(S.state_slots))
        self.evals = 0
        self.max_steps = 500000      # per integration interval
        self.max_step = np.inf
        # the species' value slots, checked for NaN/inf after every advance
        self.sp_ids = list(S.species)
        self.sp_slots = np.array([S.slots['amt:' + sid] if S.species[sid].mode == 'amount'
                                  else S.slots[sid] for sid in self.sp_ids], dtype=np.int64)
        self.name_of = lambda sid: f'species {sid!r}'

    # ---------------------------------------------------------------- kernels
    def _run(self, P, t, v):
        c = self.S.code
        K.run_statements(t, v, c.code, c.args, c.consts, P.kind, P.target, P.a0, P.a1,
                         P.b0, P.b1, 0, P.n, self.stack, self.hist_t, self.hist_v,
                         self.nhist, self.vtmp)

    def _eval(self, t, y, v):
        S = self.S
        c = S.code
        P = S.main
        K.evaluate(t, y, v, S.state_slots, S.deriv_slots, self.dy, c.code, c.args,
                   c.consts, P.kind, P.target, P.a0, P.a1, P.b0, P.b1, P.n, self.stack,
                   self.hist_t, self.hist_v, self.nhist, self.vtmp, S.alg_u, S.alg_r,
                   S.alg_nonneg)
        self.evals += 1
        return self.dy

    def rhs(self, t, y):
        return self._eval(t, y, self.vw).copy()

    def _record_history(self, t, v=None):
        if not self.S.has_delay:
            return
        if v is None:
            v = self.v
        if self.nhist and t <= self.hist_t[self.nhist - 1]:
            # an event at the same time: replace the last record
            self.hist_v[self.nhist - 1] = v
            return
        if self.nhist == self.cap:
            self.cap *= 2
            self.hist_t = np.resize(self.hist_t, self.cap)
            hv = np.zeros((self.cap, self.nslot))
            hv[:self.nhist] = self.hist_v[:self.nhist]
            self.hist_v = hv
        self.hist_t[self.nhist] = t
        self.hist_v[self.nhist] = v
        self.nhist += 1

    # ---------------------------------------------------------------- setup
    def reset(self):
        S = self.S
        v = S.v0.copy()
        self._run(S.init, 0.0, v)
        for sid, amount in getattr(S, 'init_override', {}).items():
            sp = S.species[sid]
            if sp.mode == 'amount':
                v[S.slots['amt:' + sid]] = amount
            else:
                v[S.slots[sid]] = amount if sp.hosu else amount / v[S.slots[sp.comp]]
        for u in S.alg_u:            # algebraic unknowns: a finite first guess
            if not np.isfinite(v[u]):
                v[u] = 1.0
        if len(S.fast_species):
            self._relax_fast(v)
        y = v[S.state_slots].copy()
        self.vw = v.copy()
        self.v = v
        self.t = 0.0
        self.nhist = 0
        self._eval(0.0, y, self.v)        # algebraic unknowns, rates
        self._check_algebraic(0.0, self.v)
        self._run(S.evs, 0.0, self.v)
        self._record_history(0.0)
        self.pending = []     # heap of (time, seq, event index, values or None)
        self.seq = 0
        self.prev = [bool(ev.initial) for ev in S.events]
        self._fire(0.0)

    def _check_algebraic(self, t, v):
        """Newton's method on the algebraic rules (and fast reactions) found
        no root: the residual is not at round-off of the unknowns' size (a
        rule with no solution, e.g. p - (p + 1) = 0).  A SolverError naming
        the unknowns, instead of running on with whatever the last iterate
        was."""
        S = self.S
        if not len(S.alg_r):
            return
        res = v[S.alg_r]
        scale = max(1.0, float(np.max(np.abs(v[S.alg_u])))) if np.all(
            np.isfinite(v[S.alg_u])) else math.inf
        if np.all(np.isfinite(res)) and float(np.max(np.abs(res))) <= 1e-9 * scale:
            return
        k = int(np.argmax(np.where(np.isfinite(res), np.abs(res), math.inf)))
        raise SolverError(f'{S.source}: the algebraic rules / fast reactions have no solution '
                          f'at t = {t:g}: equation {k + 1} of {len(S.alg_r)} keeps a residual of '
                          f'{res[k]:.6g} (unknowns {", ".join(map(str, S.alg_vars))}); an '
                          f'algebraic rule that contradicts itself or the other rules')

    def _relax_fast(self, v):
        """Run the fast reactions alone to their equilibrium from the initial
        state (a good first point for Newton's method, and the right root
        when the equilibrium lies on a boundary such as A = 0)."""
        S = self.S
        sl = np.array([S.slots['amt:' + x] for x in S.fast_species])
        rs = np.array([S.slots[r] for r in S.fast_rates])
        N = S.fast_N
        w = v.copy()

        def f(_t, x):
            w[sl] = np.maximum(x, 0.0)
            self._run(S.main, 0.0, w)
            return N @ w[rs]
        x0 = v[sl].copy()
        scale = max(float(np.max(np.abs(x0))), 1e-300)
        try:
            sol = integrate.solve_ivp(f, (0.0, 1e8), x0, method='LSODA', rtol=1e-12,
                                      atol=1e-14 * scale)
            v[sl] = np.maximum(sol.y[:, -1], 0.0)
        except Exception:       # noqa: BLE001 - Newton's method still follows
            pass

    # ---------------------------------------------------------------- events
    def _trig(self, v):
        S = self.S
        return [v[S.slots[ev.trig]] != 0.0 for ev in S.events]

    def _values(self, ev, v):
        return [v[self.S.slots[name]] for _var, name in ev.assign]

    def _schedule(self, k, t):
        S = self.S
        ev = S.events[k]
        d = 0.0
        if ev.delay is not None:
            d = float(self.v[S.slots[ev.delay]])
            if d < 0 or math.isnan(d):
                raise SolverError(f'{S.source}: event {ev.id!r}: delay evaluated to {d} at '
                                  f't = {t}')
        vals = self._values(ev, self.v) if ev.from_trigger else None
        heapq.heappush(self.pending, (t + d, self.seq, k, vals))
        self.seq += 1

    def _apply(self, k, vals, t):
        S = self.S
        ev = S.events[k]
        if vals is None:
            vals = self._values(ev, self.v)
        species = S.species
        # a concentration assigned to a species becomes an amount with the
        # compartment size from before the event (SBML: a size change by the
        # same event then keeps that amount)
        amounts = []
        for (var, _name), val in zip(ev.assign, vals):
            if var in species and species[var].mode == 'amount':
                sp = species[var]
                amounts.append((var, val if sp.hosu else val * self.v[S.slots[sp.comp]]))
        # species integrated as concentrations (rate rules) keep their amount
        # when the event resizes their compartment
        targets = {var for var, _n in ev.assign}
        resized = {var for var in targets if S.kinds.get(var) == 'compartment'}
        keep = []
        if resized:
            newval = {var: val for (var, _n), val in zip(ev.assign, vals)}
            for sid, sp in species.items():
                if sp.mode == 'rate' and not sp.hosu and sp.comp in resized:
                    # an assigned concentration is taken at the old size too
                    c = newval[sid] if sid in newval else self.v[S.slots[sid]]
                    keep.append((sid, c * self.v[S.slots[sp.comp]]))
        for (var, _name), val in zip(ev.assign, vals):
            if not (var in species and species[var].mode == 'amount'):
                self.v[S.slots[var]] = val
        for sid, amt in keep:
            self.v[S.slots[sid]] = amt / self.v[S.slots[species[sid].comp]]
        for var, amt in amounts:
            self.v[S.slots['amt:' + var]] = amt
        self._refresh(t)

    def _refresh(self, t):
        S = self.S
        y = self.v[S.state_slots].copy()
        self._eval(t, y, self.v)
        self._run(S.evs, t, self.v)

    def _fire(self, t):
        """Handle trigger changes at time t and execute events due at t."""
        S = self.S
        if not S.events:
            return
        guard = 0
        while True:
            guard += 1
            if guard > 100000:
                raise SolverError(f'{S.source}: events keep firing at t = {t} '
                                  f'(more than 100000 executions)')
            cur = self._trig(self.v)
            for k, ev in enumerate(S.events):
                if cur[k] and not self.prev[k]:
                    self._schedule(k, t)
                elif not cur[k] and self.prev[k] and not ev.persistent:
                    self.pending = [p for p in self.pending if p[2] != k]
                    heapq.heapify(self.pending)
            self.prev = cur
            due = [p for p in self.pending if p[0] <= t]
            if not due:
                return
            # highest priority first; equal priorities in random order
            best, bestp = [], -math.inf
            for p in due:
                ev = S.events[p[2]]
                pr = self.v[S.slots[ev.prio]] if ev.prio is not None else -math.inf
                if math.isnan(pr):
                    pr = -math.inf
                if pr > bestp:
                    best, bestp = [p], pr
                elif pr == bestp:
                    best.append(p)
            if len(best) > 1 and any(S.events[p[2]].prio is not None for p in best):
                pick = best[int(self.rng.integers(len(best)))]
            else:
                pick = min(best, key=lambda p: (p[0], p[1]))
            self.pending.remove(pick)
            heapq.heapify(self.pending)
            self._apply(pick[2], pick[3], t)

    # ---------------------------------------------------------------- run
    def advance(self, t_end, out_times, record):
        """Integrate to *t_end*, calling record(t, v) at each of the sorted
        *out_times* in (current t, t_end]."""
        S = self.S
        t_start = self.t
        out = [x for x in out_times if x > self.t - 1e-15 * max(1, abs(self.t))]
        if len(out) > 1 and (S.events or S.has_delay):
            # no step longer than the output spacing: events and delays see
            # the solution at least that finely
            self.max_step = float(np.min(np.diff(out))) if np.min(np.diff(out)) > 0 else \
                np.inf
        oi = 0
        while oi < len(out) and out[oi] <= self.t + 1e-13 * max(1.0, abs(self.t)):
            record(out[oi], self.v)
            oi += 1
        zeno = 0
        while self.t < t_end * (1 - 1e-15) or oi < len(out):
            t_stop = t_end
            if self.pending:
                t_stop = min(t_stop, self.pending[0][0])
            if t_stop <= self.t:
                t_stop = self.t
            if len(S.state_slots) == 0 or t_stop == self.t:
                t_new, oi = self._jump(t_stop, out, oi, record)
            else:
                t_new, oi = self._integrate(t_stop, out, oi, record)
            # events that fire again and again while time does not advance
            # (each integration ends at the next crossing a round-off later)
            # would never let the run finish
            zeno = zeno + 1 if t_new - self.t <= 1e-12 * max(1.0, abs(t_new)) else 0
            if zeno > 1000:
                raise SolverError(f'{S.source}: events fire over and over without time '
                                  f'advancing, at t = {t_new:g} (1000 times within '
                                  f'{1e-12 * max(1.0, abs(t_new)):g} s each); the model '
                                  f'cannot be run past this time (check the event '
                                  f'triggers and what their assignments change)')
            self.t = t_new
            if self.pending and self.pending[0][0] <= self.t * (1 + 1e-14):
                self._fire(self.t)
                self._record_history(self.t)
            if self.t >= t_end * (1 - 1e-15) and (not self.pending or
                                                   self.pending[0][0] > t_end):
                while oi < len(out):
                    record(out[oi], self.v)
                    oi += 1
                break
        self._check_species(t_start, self.t)

    def _check_species(self, t0, t1):
        """A species whose value is NaN or infinite raises (parameters may
        be: SBML allows them and the test suite has such cases; a species is
        an amount of matter).  One reduction over the species' slots."""
        if not len(self.sp_slots):
            return
        vals = self.v[self.sp_slots]
        k = first_nonfinite(vals)
        if k < 0:
            return
        sid = self.sp_ids[k]
        sp = self.S.species[sid]
        size = float(self.v[self.S.slots[sp.comp]])
        why = f' (its compartment {sp.comp!r} has size {size!r})' if not (
            math.isfinite(size) and size > 0) else ''
        raise SolverError(f'{self.S.source}: {self.name_of(sid)} became {float(vals[k])!r}{why} '
                          f'between t = {t0:g} and {t1:g} s; its value cannot be trusted '
                          f'after this time (check the rules, events, kinetic laws and '
                          f'compartment sizes that reach it)')

    def _jump(self, t_stop, out, oi, record):
        """No ODE states: step through output times, checking triggers."""
        S = self.S
        y = np.zeros(0)
        grid = [x for x in out[oi:] if x < t_stop] + [t_stop]
        t0 = self.t
        for tn in grid:
            v = self.v.copy()
            self._eval(tn, y, v)
            self._run(S.evs, tn, v)
            if S.events and self._trig(v) != self.prev:
                tc = self._bisect(t0, tn, lambda tt: self._state_at_nostate(tt))
                self._eval(tc, y, self.v)
                self._run(S.evs, tc, self.v)
                while oi < len(out) and out[oi] < tc:
                    vv = self.v.copy()
                    self._eval(out[oi], y, vv)
                    record(out[oi], vv)
                    oi += 1
                self._record_history(tc)
                self._fire(tc)
                return tc, oi
            self.v = v
            self._record_history(tn)
            while oi < len(out) and out[oi] <= tn + 1e-13 * max(1.0, abs(tn)):
                record(out[oi], self.v)
                oi += 1
            t0 = tn
        return t_stop, oi

    def _state_at_nostate(self, tt):
        v = self.v.copy()
        self._eval(tt, np.zeros(0), v)
        self._run(self.S.evs, tt, v)
        return v

    def _bisect(self, ta, tb, vfun):
        """Earliest time in (ta, tb] where the triggers differ from prev."""
        prev = self.prev
        lo, hi = ta, tb
        tol = max(1e-13 * max(1.0, abs(hi)), 1e-10 * (tb - ta))
        for _ in range(200):
            if hi - lo <= tol:
                break
            mid = 0.5 * (lo + hi)
            if self._trig(vfun(mid)) != prev:
                hi = mid
            else:
                lo = mid
        return hi

    def _integrate(self, t_stop, out, oi, record):
        S = self.S
        y0 = self.v[S.state_slots].copy()
        self.vw = self.v.copy()
        # absolute tolerance scaled by the magnitude of the states, so that
        # models in tiny units (amounts of 1e-22 mol) are integrated as
        # accurately as models in units of order one
        fin = np.abs(y0[np.isfinite(y0)])
        big = float(fin.max()) if fin.size and fin.max() > 0 else 1.0
        kw = {'atol': self.atol * min(big, 1.0) if big < 1.0 else self.atol}
        try:
            if self.max_step < np.inf:
                kw['max_step'] = self.max_step
            solver = getattr(integrate, self.method)(self.rhs, self.t, y0, t_stop,
                                                     rtol=self.rtol, **kw)
        except ValueError as e:
            raise SolverError(f'{S.source}: cannot start the integrator at t = {self.t}: '
                              f'{e}') from None
        has_events = bool(S.events)
        tiny = 0
        nsteps = 0
        while True:
            ta = solver.t
            msg = solver.step()
            if solver.status == 'failed':
                raise SolverError(f'{S.source}: integration failed at t = {solver.t}: {msg}')
            nsteps += 1
            h = solver.t - ta
            tiny = tiny + 1 if h <= 1e-12 * max(1.0, abs(solver.t)) else 0
            if tiny > 200 or nsteps > self.max_steps:
                raise SolverError(f'{S.source}: the integrator stalls at t = {solver.t:g} '
                                  f'(step {h:.3g} after {nsteps} steps): the model is too '
                                  f'stiff or its values overflow')
            tb = solver.t
            dense = solver.dense_output() if tb > ta else None
            vb = self.v.copy()
            self._eval(tb, solver.y, vb)
            if has_events:
                self._run(S.evs, tb, vb)
            crossed = None
            if has_events and dense is not None:
                def vfun(tt):
                    vv = self.v.copy()
                    self._eval(tt, dense(tt), vv)
                    self._run(S.evs, tt, vv)
                    return vv
                # triggers are checked at 8 points of every step, so that one
                # that is true only briefly inside a long step is not missed
                lo = ta
                # interior points no further apart than 1/8 of the output
                # spacing (short steps, e.g. just after an event, need none)
                nq = 8 if self.max_step == np.inf else int(min(8, max(
                    1, np.ceil(8 * (tb - ta) / self.max_step - 1e-9))))
                for q in range(1, nq + 1):
                    tq = tb if q == nq else ta + (tb - ta) * q / nq
                    if self._trig(vb if q == nq else vfun(tq)) != self.prev:
                        crossed = (lo, tq)
                        break
                    lo = tq
            if crossed is not None:
                tc = self._bisect(crossed[0], crossed[1], vfun)
                while oi < len(out) and out[oi] < tc:
                    vv = self.v.copy()
                    self._eval(out[oi], dense(out[oi]), vv)
                    record(out[oi], vv)
                    oi += 1
                self.v = vfun(tc)
                self._record_history(tc)
                self._fire(tc)
                self._record_history(tc)
                return tc, oi
            while oi < len(out) and out[oi] <= tb + 1e-13 * max(1.0, abs(tb)):
                tt = out[oi]
                if dense is not None and tt < tb:
                    vv = self.v.copy()
                    self._eval(tt, dense(tt), vv)
                    record(tt, vv)
                else:
                    record(tt, vb)
                oi += 1
            self.v = vb
            if S.has_delay and dense is not None:
                # several points per step, so that linear interpolation of
                # the history is accurate to the integrator's tolerance
                for q in range(1, 16):
                    tq = ta + (tb - ta) * q / 16.0
                    vq = self.v.copy()
                    self._eval(tq, dense(tq), vq)
                    self._record_history(tq, vq)
            self._record_history(tb)
            if solver.status == 'finished' or tb >= t_stop:
                return tb, oi


def species_value(S, v, sid, want):
    """A species' amount or concentration from the value vector."""
    sp = S.species[sid]
    vol = v[S.slots[sp.comp]]
    if sp.mode == 'amount':
        amt = v[S.slots['amt:' + sid]]
    else:
        sym = v[S.slots[sid]]
        amt = sym if sp.hosu else sym * vol
    if want == 'amount':
        return amt
    return amt / vol
