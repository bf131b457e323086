"""The compiled chemical system (:class:`moosepy.kinetics.stoich.Compiled`)
turned into the arrays of the stochastic kernels.

Propensities are those of the MOOSE API objects, in molecule units with the
per-voxel constants ``kk`` of the Stoich (``numKf`` etc.):

* ``Reac`` with substrates A, B, ...: ``numKf * A * B``; a repeated
  substrate counts as the falling factorial, so ``2A -> ...`` fires at
  ``numKf * A * (A - 1)`` (MOOSE's and STEPS' convention: the mean then
  follows the ODE rate ``numKf * A**2``).  Gillespie's textbook ``c*A*(A-1)/2``
  is ``numKf = c/2``; an SBML kinetic law is read as written by the SBML
  reader, which sets ``numKf`` accordingly.
* ``Enz``: its three mass-action steps (E + S -> ES, ES -> E + S,
  ES -> E + P) with k1, k2, k3 in molecule units.
* ``MMenz``: ``kcat * E * S / (numKm + S)`` (S the product of the
  substrate counts): one event converts one substrate set to products.
* A Function's ``rateOut``/``valueOut`` into a pool's ``increment``: a
  birth process of propensity equal to the value [#/s].  Functions that set
  ``numKf``/``Kf`` (or a pool's n/conc) are re-evaluated after every event
  that changes one of their input pools.
* BufPools and Function-assigned pools are held: no event changes them.
"""

from collections import Counter

import numpy as np

from ..core.errors import SolverError


class SsaModel:
    """Arrays of one compiled system for the kernels (see
    :mod:`moosepy.stochastic.kernels`).

    The kernel's reaction order (``labels``, ``numFire``) is not the
    Stoich's: reactions are sorted by their initial propensity in voxel 0,
    largest first, and reactions whose rate constant is zero everywhere (and
    that no Function drives) come last and leave the dependency lists, so
    the selection scan stops early (the "optimised direct method").  *order*
    (kernel position -> compiled term) can be given to keep an earlier
    order.

    ``fdep[k]``: bit 1, reaction k changes an input of a Function (all
    functions and propensities are recomputed after it fires); bit 2, it
    changes one of *event_pools*, pools a state trigger reads (the triggers
    are checked after it fires, see :mod:`moosepy.stochastic.events`)."""

    def __init__(self, comp, y0=None, order=None, event_pools=()):
        A = comp.arrays
        P, R0 = comp.npools, comp.nterms
        self.npools, self.nterms = P, R0
        labels = list(getattr(comp, 'term_labels', None) or [f'term {r}' for r in range(R0)])
        held = np.asarray(A['held'], dtype=np.int64)
        self.held = held
        sub_ptr = np.asarray(A['sub_ptr'], dtype=np.int64)
        sub_idx = np.asarray(A['sub_idx'], dtype=np.int64)
        chg_ptr = np.asarray(A['chg_ptr'], dtype=np.int64)
        chg_idx = np.asarray(A['chg_idx'], dtype=np.int64)
        chg_coef = np.asarray(A['chg_coef'], dtype=float)
        ttype = np.asarray(A['ttype'], dtype=np.int64)
        mm_enz = np.asarray(A['mm_enz'], dtype=np.int64)
        fout_kind = list(A['fout_kind'])
        fout_target = list(A['fout_target'])
        fin_idx = [j for j in A['fin_idx'] if j >= 0]

        # pseudo-reactions: Function rate outputs into pools (kind 2)
        fr_pools = sorted({int(t) for k, t in zip(fout_kind, fout_target) if k == 2})
        for j in fr_pools:
            if held[j]:
                raise SolverError(f'{comp.pool_els[j].path}: a Function adds to it at a rate '
                                  f'but it is buffered or assigned; Gsolve cannot fire '
                                  f'events into a held pool')
        R = R0 + len(fr_pools)
        self.R = R
        func_els = list(getattr(comp, 'func_els', []))
        fname = func_els[0].path if len(func_els) == 1 else 'Function'
        labels = labels + [f'{fname}->{comp.pool_els[j].path}:rate' for j in fr_pools]
        driven = {int(t) for k, t in zip(fout_kind, fout_target) if k in (3, 4)}
        driven |= set(range(R0, R))

        # per term (compiled order): type, reactants, pools read, changes
        ptype = np.zeros(R, dtype=np.int64)
        s0 = np.zeros(R, dtype=np.int64)
        s1 = np.zeros(R, dtype=np.int64)
        rs = []      # variable reactants (pool, multiplicity)
        hs = []      # held reactants: folded into the rate constant
        full = []    # all reactants (for the initial ordering)
        reads = []
        for r in range(R0):
            subs = [int(j) for j in sub_idx[sub_ptr[r]:sub_ptr[r + 1]]]
            cnt = Counter(subs)
            full.append(sorted(cnt.items()))
            if ttype[r] == 1:
                ptype[r] = 5
                rs.append(sorted(cnt.items()))
                hs.append([])
                reads.append(set(cnt) | {int(mm_enz[r])})
                continue
            var = sorted((j, m) for j, m in cnt.items() if not held[j])
            hs.append(sorted((j, m) for j, m in cnt.items() if held[j]))
            rs.append(var)
            nord = sum(m for _, m in var)
            if nord == 0:
                ptype[r], s0[r], s1[r] = 0, P, P      # x[P] = 1.0 in the kernels
            elif nord == 1:
                ptype[r], s0[r], s1[r] = 1, var[0][0], P
            elif nord == 2 and len(var) == 2:
                ptype[r], s0[r], s1[r] = 2, var[0][0], var[1][0]
            elif nord == 2:
                ptype[r], s0[r] = 3, var[0][0]
            elif nord == 3 and len(var) == 1:
                ptype[r], s0[r] = 7, var[0][0]
            else:
                ptype[r] = 4
            reads.append(set(j for j, _ in var))
        for q, j in enumerate(fr_pools):
            ptype[R0 + q] = 6
            rs.append([])
            hs.append([])
            full.append([])
            reads.append(set())
        changes = []
        for r in range(R0):
            ch = []
            for q in range(chg_ptr[r], chg_ptr[r + 1]):
                c = chg_coef[q]
                if c != round(c):
                    raise SolverError(f'{labels[r]}: stoichiometry {c:g} of pool '
                                      f'{comp.pool_els[chg_idx[q]].path} is not a whole number; '
                                      f'Gsolve fires whole molecules')
                j = int(chg_idx[q])
                if held[j] or c == 0:
                    continue
                ch.append((j, float(round(c))))
            changes.append(ch)
        for j in fr_pools:
            changes.append([(j, 1.0)])

        kk0 = np.asarray(A['kk'], dtype=float)
        live = [r >= R0 or r in driven or bool(np.any(kk0[:, r] != 0.0)) for r in range(R)]
        if order is None:
            y = np.zeros(P) if y0 is None else np.asarray(y0, dtype=float)
            a = np.zeros(R)
            for r in range(R0):
                v = kk0[0, r] if kk0.shape[0] else 0.0
                for j, m in full[r]:
                    for i in range(m):
                        v *= max(y[j] - i, 0.0)
                if ptype[r] == 5:
                    v = kk0[0, r] * y[mm_enz[r]]
                a[r] = v
            # live first, by decreasing initial propensity; stable on ties
            order = sorted(range(R), key=lambda r: (not live[r], -a[r] if live[r] else 0.0, r))
        order = np.asarray(order, dtype=np.int64)
        pos = np.empty(R, dtype=np.int64)
        pos[order] = np.arange(R)

        readers = {}
        for t in range(R):
            if live[t]:
                for j in reads[t]:
                    readers.setdefault(j, set()).add(int(pos[t]))
        finp = set(int(j) for j in fin_idx)
        rs_ptr, rs_idx, rs_mult = [0], [], []
        cp, ci, cv = [0], [], []
        dp, di = [0], []
        fdep = np.zeros(R, dtype=np.int64)
        hf_ptr, hf_idx, hf_mult = [0], [], []
        for k, r in enumerate(order):
            for j, m in rs[r]:
                rs_idx.append(j)
                rs_mult.append(m)
            rs_ptr.append(len(rs_idx))
            for j, m in hs[r]:
                hf_idx.append(j)
                hf_mult.append(m)
            hf_ptr.append(len(hf_idx))
            deps = set()
            for j, c in changes[r]:
                ci.append(j)
                cv.append(c)
                deps |= readers.get(j, set())
                if j in finp:
                    fdep[k] |= 1
                if j in event_pools:
                    fdep[k] |= 2
            cp.append(len(ci))
            di.extend(sorted(deps))
            dp.append(len(di))

        self.order = order
        self.labels = [labels[r] for r in order]
        self.ptype, self.s0, self.s1 = ptype[order], s0[order], s1[order]
        self.rs_ptr = np.array(rs_ptr, dtype=np.int64)
        self.rs_idx = np.array(rs_idx, dtype=np.int64)
        self.rs_mult = np.array(rs_mult, dtype=np.int64)
        self.hf_ptr = np.array(hf_ptr, dtype=np.int64)
        self.hf_idx = np.array(hf_idx, dtype=np.int64)
        self.hf_mult = np.array(hf_mult, dtype=np.int64)
        mmz = np.concatenate([np.maximum(mm_enz, 0), np.zeros(len(fr_pools), np.int64)])
        self.mm_enz = mmz[order]
        self.chg_ptr = np.array(cp, dtype=np.int64)
        self.chg_idx = np.array(ci, dtype=np.int64)
        self.chg_val = np.array(cv, dtype=float)
        self.dep_ptr = np.array(dp, dtype=np.int64)
        self.dep_idx = np.array(di, dtype=np.int64)
        self.fdep = fdep
        self.fr_term = pos[np.arange(R0, R)].astype(np.int64)
        self.fr_pool = np.array(fr_pools, dtype=np.int64)
        self.nfunc = int(A['dims'][3])
        self.var = (held == 0).astype(np.int64)
        self._live = live
        # Functions address the compiled terms: give them a map
        self.set_rates(comp)

    def set_rates(self, comp):
        """Rate constants (per voxel, molecule units) from the compiled
        system, in kernel order."""
        A = comp.arrays
        kk = np.asarray(A['kk'], dtype=float)
        km = np.asarray(A['km'], dtype=float)
        nvox = kk.shape[0]
        extra = self.R - self.nterms
        kk = np.hstack([kk, np.zeros((nvox, extra))])
        km = np.hstack([km, np.zeros((nvox, extra))])
        bad = np.nonzero(~(kk >= 0) | ~np.isfinite(kk))
        if len(bad[1]):
            r = bad[1][0]
            raise SolverError(f'{self.labels[int(np.nonzero(self.order == r)[0][0])]}: rate '
                              f'constant {kk[bad[0][0], r]!r} is not a finite value >= 0; no '
                              f'propensity can be made of it')
        for r in range(self.R):
            if not self._live[r] and np.any(kk[:, r] != 0.0):
                raise SolverError(f'{self.labels[int(np.nonzero(self.order == r)[0][0])]}: '
                                  f'a rate constant that was 0 at reinit changed; call '
                                  f'moose.reinit()')
        self.kk = np.ascontiguousarray(kk[:, self.order])
        self.km = np.ascontiguousarray(km[:, self.order])
        from ..kinetics import kernels as kk_mod
        A2 = dict(A)
        # Function outputs that set rates address compiled terms: map them
        # to kernel positions
        pos = np.empty(self.R, dtype=np.int64)
        pos[self.order] = np.arange(self.R)
        A2['fout_target'] = [int(pos[t]) if k >= 3 else int(t)
                             for k, t in zip(A['fout_kind'], A['fout_target'])]
        A2['term_order'] = np.concatenate([np.asarray(A['term_order'], dtype=float),
                                           np.zeros(extra)])[self.order]
        A2['kk'] = self.kk
        A2['km'] = self.km
        A2['dims'] = [A['dims'][0], A['dims'][1], self.R, A['dims'][3]]
        self.I, self.F = kk_mod.pack(A2)

    def kernel_args(self):
        return (self.ptype, self.s0, self.s1, self.rs_ptr, self.rs_idx, self.rs_mult,
                self.mm_enz, self.hf_ptr, self.hf_idx, self.hf_mult, self.chg_ptr,
                self.chg_idx, self.chg_val, self.dep_ptr,
                self.dep_idx, self.fdep, self.fr_term, self.fr_pool, self.I, self.F,
                self.nfunc)
