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
    :mod:`moosepy.stochastic.kernels`)."""

    def __init__(self, comp):
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
        self.labels = labels + [f'{fname}->{comp.pool_els[j].path}:rate' for j in fr_pools]

        ptype = np.zeros(R, dtype=np.int64)
        s0 = np.zeros(R, dtype=np.int64)
        s1 = np.zeros(R, dtype=np.int64)
        rs_ptr, rs_idx, rs_mult = [0], [], []
        reads = []
        for r in range(R0):
            subs = [int(j) for j in sub_idx[sub_ptr[r]:sub_ptr[r + 1]]]
            cnt = Counter(subs)
            for j, m in sorted(cnt.items()):
                rs_idx.append(j)
                rs_mult.append(m)
            rs_ptr.append(len(rs_idx))
            rd = set(cnt)
            if ttype[r] == 1:
                ptype[r] = 5
                rd.add(int(mm_enz[r]))
            elif len(subs) == 0:
                ptype[r] = 0
            elif len(subs) == 1:
                ptype[r], s0[r] = 1, subs[0]
            elif len(subs) == 2 and subs[0] != subs[1]:
                ptype[r], s0[r], s1[r] = 2, subs[0], subs[1]
            elif len(subs) == 2:
                ptype[r], s0[r] = 3, subs[0]
            else:
                ptype[r] = 4
            reads.append(rd)
        for q, j in enumerate(fr_pools):
            ptype[R0 + q] = 6
            rs_ptr.append(len(rs_idx))
            reads.append(set())

        # state changes (held pools never change)
        cp, ci, cv = [0], [], []
        changed = []
        for r in range(R0):
            ch = set()
            for q in range(chg_ptr[r], chg_ptr[r + 1]):
                c = chg_coef[q]
                if c != round(c):
                    raise SolverError(f'{labels[r]}: stoichiometry {c:g} of pool '
                                      f'{comp.pool_els[chg_idx[q]].path} is not a whole number; '
                                      f'Gsolve fires whole molecules')
                j = int(chg_idx[q])
                if held[j] or c == 0:
                    continue
                ci.append(j)
                cv.append(float(round(c)))
                ch.add(j)
            cp.append(len(ci))
            changed.append(ch)
        for j in fr_pools:
            ci.append(j)
            cv.append(1.0)
            cp.append(len(ci))
            changed.append({j})

        readers = {}
        for t, rd in enumerate(reads):
            for j in rd:
                readers.setdefault(j, set()).add(t)
        finp = set(int(j) for j in fin_idx)
        dp, di = [0], []
        fdep = np.zeros(R, dtype=np.int64)
        for r in range(R):
            deps = set()
            for j in changed[r]:
                deps |= readers.get(j, set())
                if j in finp:
                    fdep[r] = 1
            di.extend(sorted(deps))
            dp.append(len(di))

        self.ptype, self.s0, self.s1 = ptype, s0, s1
        self.rs_ptr = np.array(rs_ptr, dtype=np.int64)
        self.rs_idx = np.array(rs_idx, dtype=np.int64)
        self.rs_mult = np.array(rs_mult, dtype=np.int64)
        self.mm_enz = np.concatenate([np.maximum(mm_enz, 0), np.zeros(len(fr_pools), np.int64)])
        self.chg_ptr = np.array(cp, dtype=np.int64)
        self.chg_idx = np.array(ci, dtype=np.int64)
        self.chg_val = np.array(cv, dtype=float)
        self.dep_ptr = np.array(dp, dtype=np.int64)
        self.dep_idx = np.array(di, dtype=np.int64)
        self.fdep = fdep
        self.fr_term = np.arange(R0, R, dtype=np.int64)
        self.fr_pool = np.array(fr_pools, dtype=np.int64)
        self.nfunc = int(A['dims'][3])
        self.var = (held == 0).astype(np.int64)
        self.set_rates(comp)

    def set_rates(self, comp):
        """Rate constants (per voxel, molecule units) from the compiled system."""
        A = comp.arrays
        kk = np.asarray(A['kk'], dtype=float)
        km = np.asarray(A['km'], dtype=float)
        nvox = kk.shape[0]
        extra = self.R - self.nterms
        self.kk = np.ascontiguousarray(np.hstack([kk, np.zeros((nvox, extra))]))
        self.km = np.ascontiguousarray(np.hstack([km, np.zeros((nvox, extra))]))
        bad = np.nonzero(~(self.kk >= 0) | ~np.isfinite(self.kk))
        if len(bad[1]):
            r = bad[1][0]
            raise SolverError(f'{self.labels[r]}: rate constant {self.kk[bad[0][0], r]!r} is '
                              f'not a finite value >= 0; no propensity can be made of it')
        from ..kinetics import kernels as kk_mod
        self.I, self.F = kk_mod.pack(A)

    def kernel_args(self):
        return (self.ptype, self.s0, self.s1, self.rs_ptr, self.rs_idx, self.rs_mult,
                self.mm_enz, self.chg_ptr, self.chg_idx, self.chg_val, self.dep_ptr,
                self.dep_idx, self.fdep, self.fr_term, self.fr_pool, self.I, self.F,
                self.nfunc)
