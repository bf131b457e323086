"""HSolve's builder of stimulus Functions (:class:`FunctionBuilder`, part of
the group): a ``Function`` whose expression reads only ``t`` and constants
and whose every ``valueOut`` goes to a field the kernel holds (a solved
compartment's ``inject`` or ``Em``, a solved HHChannel's ``Gbar``, ``Ek``
or ``modulation``, an absorbed RandSpike's ``rate``) is evaluated inside the
kernel at the steps of its own tick, with the evaluator that runs unsolved
Functions (:func:`moosepy.kinetics.kernels.eval_program`), so the values are
the same to the bit and no Python runs per step.  This is how rdesigneur's
``stimList`` expressions of time (``inject``, ``randsyn``/``periodicsyn``
rates) run.

The kernel keeps the clock's order: a Function placed before the solver in
a step sets its targets for that step, one after it for the next step, as
when both are stepped on their ticks.  The Function's ``value``,
``derivative`` and its targets' fields are written back after each kernel
call.  Not taken over (stepped in Python as before): Functions with inputs
(``x``, ``requestOut``), ``rand()``, ``useTrigger``, ``rateOut`` or
``derivativeOut`` messages, other messages in or out, a tick that is not a
whole number of solver steps, or any target the kernel does not hold.
``ABSORB_FUNCTIONS = False`` keeps them all in Python (for comparisons).
"""

import logging

import numpy as np

from ..core.errors import FieldError

log = logging.getLogger('moosepy.electrical')

#: HSolve takes over Functions of t into its fields (False: they stay
#: Python-stepped; for comparisons of the two paths)
ABSORB_FUNCTIONS = True

# destination port -> (kind in the kernel, field name)
_COMP_DEST = {'setInject': (0, 'inject'), 'setEm': (1, 'Em')}
_CHAN_DEST = {'setGbar': (2, 'Gbar'), 'setEk': (3, 'Ek'), 'setModulation': (4, 'modulation')}
_RS_DEST = {'setRate': (5, 'rate')}
_RAND_OPS = (40, 55)


def _empty_fn():
    i64 = np.zeros(0, dtype=np.int64)
    return (i64, i64, np.zeros(0), np.zeros(1, dtype=np.int64), i64, i64, np.zeros(0),
            np.zeros(0), i64, np.zeros(0), np.zeros(1, dtype=np.int64), i64, i64, i64,
            np.zeros(1, dtype=np.int64), np.zeros(2), np.array([0, -1, -1], dtype=np.int64))


class FunctionBuilder:
    """Part of the group: Functions of t driving solved fields."""

    def _fn_target(self, other, j, oport):
        """(kind, flat index, tree position) of a solved field that port
        *oport* of entry *j* of *other* sets, or None."""
        from .channels import HHChannel
        oid = id(other)
        if oport in _COMP_DEST and oid in self.off:
            i = self.off[oid] + j
            return _COMP_DEST[oport][0], i, int(self.posof[i])
        if oport in _CHAN_DEST and oid in self.choff and issubclass(other.cls, HHChannel):
            return _CHAN_DEST[oport][0], self.choff[oid] + j, 0
        if oport in _RS_DEST and oid in getattr(self, 'rsoff', {}):
            return _RS_DEST[oport][0], self.rsoff[oid] + j, 0
        return None

    def _fn_candidates(self):
        """Functions sending valueOut to an element the group holds."""
        els = [el for c in self.cells for el in c.comp_els] + \
            [el for c in self.cells for el in c.chan_els] + list(getattr(self, 'rs_els', []))
        seen, out = set(), []
        dests = set(_COMP_DEST) | set(_CHAN_DEST) | set(_RS_DEST)
        for el in els:
            for m in el.msg_in:
                f = m.el1
                if m.destField in dests and m.srcField == 'valueOut' and \
                        f.cls.__name__ == 'Function' and id(f) not in seen:
                    seen.add(id(f))
                    out.append(f)
        return out

    def _fn_takes(self, f, clock):
        """The targets [(entry, kind, flat, tree position, element, field)]
        of Function *f* when the kernel can take it over, else None."""
        if not f.alive or f.data.get('absorbed') or f.tick < 0 or \
                clock.dts[f.tick] <= 0:
            return None
        r = clock.dts[f.tick] / self.dt
        if round(r) < 1 or abs(r - round(r)) > 1e-9 * r:
            return None
        if f.msg_in or any(m.srcField != 'valueOut' for m in f.msg_out):
            return None
        xe = f.children.get('x')
        if xe is not None and (xe.msg_in or xe.msg_out):
            return None
        c = f.cols
        if np.any(c['useTrigger']):
            return None
        tg = []
        for i in range(f.num):
            prog = f.handle(i)._program()
            if prog.xs or prog.ys or np.isin(prog.code, _RAND_OPS).any():
                return None
        for m in f.msg_out:
            a, b = m.pairs()
            for i, j in zip(np.asarray(a).tolist(), np.asarray(b).tolist()):
                t = self._fn_target(m.el2, j, m.destField)
                if t is None:
                    return None
                field = {**_COMP_DEST, **_CHAN_DEST, **_RS_DEST}[m.destField][1]
                tg.append((i, t[0], t[1], t[2], m.el2, j, field))
        return tg

    def _build_fn(self, clock):
        """Take over the Functions of t that drive only the group's fields
        (called after the synapses are built: RandSpike rates)."""
        self.fn_els, self.fn_targets = [], []
        self.fn = _empty_fn()
        g, m, _ = self._grid(0.0)
        if not ABSORB_FUNCTIONS or m < 1:
            return
        found = self._fn_candidates()
        if not found:
            return
        place = self._places()
        here = place.get(id(self.leader))
        if here is None:
            return
        cands = []
        for f in found:
            tg = self._fn_takes(f, clock)
            if tg is not None and id(f) in place:
                cands.append((place[id(f)], f, tg))
        # what reads the fields they set must read them as on the clock
        while cands:
            ids = {id(f) for _, f, _ in cands}
            keep = [c for c in cands if all(self._fn_readers_ok(c[0], here, el, field, place,
                                                                ids)
                                            for (_i, _k, _fl, _p, el, _j, field) in c[2])]
            if len(keep) == len(cands):
                break
            cands = keep
        if not cands:
            return
        cands.sort(key=lambda c: c[0])
        fn_every, fn_before, fn_dt, fo_ptr, fo_kind, fo_i, fo_p = [], [], [], [0], [], [], []
        targets = []
        for pl, f, tg in cands:
            every = int(round(clock.dts[f.tick] / self.dt))
            for i in range(f.num):
                fn_every.append(every)
                fn_before.append(1 if pl < here else 0)
                fn_dt.append(float(clock.dts[f.tick]))
                for (e, kind, flat, pos, el, j, field) in tg:
                    if e != i:
                        continue
                    fo_kind.append(kind)
                    fo_i.append(flat)
                    fo_p.append(pos)
                    targets.append((len(fn_every) - 1, kind, flat, el, j, field))
                fo_ptr.append(len(fo_kind))
            f.data['hsolve_group'] = self
            f.data['hsolve'] = self.leader
            f.data['hsolve_fn'] = True
            self.owned.append(f)
            self.fn_els.append(f)
            f.hooks.append(self._fn_dirty)
            self._hooked_els.append(f)
        i64 = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
        nf = len(fn_every)
        self.fn_targets = targets
        self._fn_static = (i64(fn_every), i64(fn_before), np.zeros(nf), np.zeros(nf),
                           np.zeros(nf, dtype=np.int64), np.array(fn_dt), i64(fo_ptr),
                           i64(fo_kind), i64(fo_i), i64(fo_p))
        self._read_fn()

    def _fn_dirty(self, el, name):
        if el.cls.__name__ == 'Function' and name in ('c', 'expr', '_expr'):
            self._fn_stale = True

    def _read_fn(self):
        """The Functions' programs and constants laid end to end (again
        after a constant changed)."""
        self._fn_stale = False
        if not self.fn_els:
            return
        code, args, consts, start, depth = [], [], [], [0], 1
        for f in self.fn_els:
            for i in range(f.num):
                prog = f.handle(i)._program()
                pc = prog.code.tolist()
                code += pc
                args += [a + len(consts) if op == 0 else a
                         for op, a in zip(pc, prog.args.tolist())]
                consts += prog.consts.tolist()
                start.append(len(code))
                depth = max(depth, prog.depth)
        st = self._fn_static
        self.fn = (np.array(code, dtype=np.int64), np.array(args, dtype=np.int64),
                   np.array(consts, dtype=float), np.array(start, dtype=np.int64)) + st + \
            (np.zeros(1, dtype=np.int64), np.zeros(depth + 2),
             np.array([0, -1, -1], dtype=np.int64))
        self._args = None

    def _fn_before_call(self, js0):
        """Before a kernel call: the Functions' last values (their reinit
        may have evaluated them) and the solver step before the call."""
        if not self.fn_els:
            return
        if self._fn_stale:
            self._read_fn()
        fn_val, fn_der, fn_has = self.fn[6], self.fn[7], self.fn[8]
        q = 0
        for f in self.fn_els:
            last = f.data['last']
            for i in range(f.num):
                v = last[i]
                fn_has[q] = 0 if v is None else 1
                fn_val[q] = 0.0 if v is None else v
                fn_der[q] = f.cols['derivative'][i]
                q += 1
        self.fn[14][0] = js0

    def _fn_after_call(self):
        """After a kernel call: the Functions' value and derivative, and the
        fields they set (those that are not views of the kernel's arrays)."""
        if not self.fn_els:
            return
        fn_val, fn_der, fn_has, bad = self.fn[6], self.fn[7], self.fn[8], self.fn[16]
        q = 0
        for f in self.fn_els:
            last = f.data['last']
            for i in range(f.num):
                if fn_has[q]:
                    last[i] = float(fn_val[q])
                    f.cols['value'][i] = fn_val[q]
                    f.cols['derivative'][i] = fn_der[q]
                q += 1
        nodes = self.nodes
        for (fq, kind, flat, el, j, field) in self.fn_targets:
            if kind == 0:
                el.cols['inject'][j] = nodes[4][flat]
            elif kind == 1:
                el.cols['Em'][j] = nodes[3][flat]
            elif kind == 2:
                el.cols['Gbar'][j] = self.chan[1][flat]
            elif kind == 3:
                el.cols['Ek'][j] = self.chan[2][flat]
            elif kind == 4:
                el.cols['modulation'][j] = self.chan[3][flat]
        if bad[0]:
            log.warning('%s: %d negative RandSpike rate(s) from Functions taken as 0',
                        self.leader.path, int(bad[0]))
            bad[0] = 0
        if bad[1] >= 0:
            fq, o = int(bad[2]), int(bad[1])
            bad[1] = bad[2] = -1
            _q, _kind, _flat, el, j, field = self.fn_targets[o]
            f = next(e for e in self.fn_els)
            k = 0
            for e in self.fn_els:
                if k <= fq < k + e.num:
                    f = e
                    break
                k += e.num
            raise FieldError(f'{el.path}[{j}] ({el.cls.__name__}).{field}: Function '
                             f'{f.path} set a non-finite or negative value (expected a '
                             f'finite value >= 0)')

    def _fn_readers_ok(self, pf, here, el, field, place, ids):
        """True when every reader of *field* of *el* (set by a Function at
        place *pf*; the solver at *here*) sees what it would see with the
        Function on its tick: a table the kernel feeds (inject), or an
        object stepped in Python between kernel calls, which sees the
        values written back after the call."""
        port = 'get' + field[0].upper() + field[1:]
        readers = [m.el1 for m in el.msg_in if m.destField == port]
        probe = None
        for T in readers:
            pt = place.get(id(T))
            if pt is None:
                return False
            if (pt > here and pf < pt) or (pt < here and pf > pt):
                continue            # Python-stepped, it reads the written-back value
            if field == 'inject' and T.cls.__name__ == 'Table' and T.num == 1 and \
                    len(T.msg_out) == 1:
                if probe is None:
                    probe = self.fn_probe_kind(el, readers, ids) is not None
                if probe:
                    continue
            return False
        return True

    def fn_probe_kind(self, comp_el, readers, ids=None):
        """Probe kind for tables *readers* of *comp_el*'s ``inject``: 12
        (the kernel's record, before the Functions that follow the solver
        in a step) or 13 (after them), whichever shows every reader what
        it would see stepped on its tick; None when none does (the tables
        then read the field in Python)."""
        setters = [m.el1 for m in comp_el.msg_in if m.destField == 'setInject']
        if not setters:
            return 12
        fns = {id(f) for f in self.fn_els} if ids is None else ids
        if any(id(s) not in fns for s in setters):
            return None
        place = self._places()
        H = place.get(id(self.leader))
        need = set()
        for T in readers:
            pt = place.get(id(T))
            if pt is None or H is None:
                return None
            for F in setters:
                pf = place.get(id(F))
                if pf is None:
                    return None
                if pt > H:
                    # the table reads step k's end: Functions before the
                    # solver are in both records; after it, those before
                    # the table need the later record
                    if pf > H:
                        need.add(13 if pf < pt else 12)
                else:
                    # the table reads step k-1's end (the solver comes
                    # later): a Function before the solver must also come
                    # after the table; one after the solver fired at k-1
                    if pf < H:
                        if pf < pt:
                            return None
                    else:
                        need.add(13)
        if len(need) > 1:
            return None
        return need.pop() if need else 12
