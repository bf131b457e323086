"""The Dsolve's kernels that draw random numbers (whole molecules, beside a
Gsolve): ``hop_steps`` (molecules hop between voxels) and the junction
exchanges of whole molecules.  They are numba's own (not
:func:`moosepy.jit.njit`, which ``moosepy warmup`` compiles ahead of time
into modules with RNG states of their own) so that they draw from the one
stream ``seed`` sets; importing this module loads numba.  The
deterministic transport kernels are in :mod:`moosepy.kinetics.dkernels`.
"""

import numpy as np
import numba as nb


@nb.njit(cache=True)
def seed(s):
    np.random.seed(s)


@nb.njit(cache=True)
def hop_steps(S, cols, nsteps, dt, n, Op, Oi, Ox, Oo):
    """Whole-molecule transport of columns *cols* of S over *nsteps* steps
    of *dt*.  Per pool q: out-rates in CSR by source voxel (pointers at
    q*(n+1), destinations Oi and rates Ox [1/s] from offset Oo[q])."""
    moved = np.zeros(n)
    for q in range(len(cols)):
        j = cols[q]
        rp = q * (n + 1)
        for _s in range(nsteps):
            for i in range(n):
                moved[i] = 0.0
            for i in range(n):
                m = int(S[i, j] + 0.5)
                if m <= 0:
                    continue
                ktot = 0.0
                for k in range(Op[rp + i], Op[rp + i + 1]):
                    ktot += Ox[Oo[q] + k]
                if ktot <= 0.0:
                    continue
                leave = np.random.binomial(m, 1.0 - np.exp(-ktot * dt))
                if leave == 0:
                    continue
                moved[i] -= leave
                left = ktot
                for k in range(Op[rp + i], Op[rp + i + 1]):
                    r = Ox[Oo[q] + k]
                    if leave == 0:
                        break
                    if r >= left:
                        x = leave
                    else:
                        x = np.random.binomial(leave, r / left)
                    moved[Oi[Oo[q] + k]] += x
                    leave -= x
                    left -= r
            for i in range(n):
                S[i, j] += moved[i]


@nb.njit(cache=True)
def _pair_whole(Sa, Sb, a, ja, b, jb, ra, rb, dt):
    """One voxel pair of one pool across a junction over dt, whole
    molecules: per-molecule rates ra (a -> b) and rb (b -> a) [1/s]; each
    molecule of the isolated pair ends on the other side with the exact
    two-state probability over dt (binomial draws)."""
    x = int(Sa[a, ja] + 0.5)
    y = int(Sb[b, jb] + 0.5)
    f = 1.0 - np.exp(-(ra + rb) * dt)
    ab = np.random.binomial(x, f * ra / (ra + rb)) if x > 0 else 0
    ba = np.random.binomial(y, f * rb / (ra + rb)) if y > 0 else 0
    Sa[a, ja] = x - ab + ba
    Sb[b, jb] = y - ba + ab


@nb.njit(cache=True)
def junction_step_whole(Sa, Sb, ca, cb, va, vb, pa, pb, kk, dt):
    """One exchange of whole molecules over dt for every pool pair and
    voxel pair (the arguments of dkernels.junction_exchange)."""
    npairs = len(va)
    for m in range(len(ca)):
        ja = ca[m]
        jb = cb[m]
        for p in range(npairs):
            k = kk[m * npairs + p]
            if k <= 0.0:
                continue
            _pair_whole(Sa, Sb, va[p], ja, vb[p], jb, k / pa[p], k / pb[p], dt)


@nb.njit(cache=True)
def chan_step_whole(Sa, Sb, ja, jb, jc, nfix, va, vb, pa, pb, perm, dt):
    """dkernels.chan_step for whole molecules."""
    NA = 6.02214076e23
    for p in range(len(va)):
        a = va[p]
        nchan = Sa[a, jc] if jc >= 0 else nfix
        k = perm * nchan / NA
        if k <= 0.0:
            continue
        _pair_whole(Sa, Sb, a, ja, vb[p], jb, k / pa[p], k / pb[p], dt)
