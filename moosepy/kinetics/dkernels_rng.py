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
def pairs_whole(Sa, Sb, a, ja, b, jb, ra, rb, dt):
    """Whole molecules across a junction over dt, pair by pair in order
    (dkernels.junction_pairs, chan_pairs): per-molecule rates ra (a -> b)
    and rb (b -> a) [1/s]; each molecule of the isolated pair ends on the
    other side with the exact two-state probability over dt (binomial
    draws)."""
    for q in range(len(a)):
        x = int(Sa[a[q], ja[q]] + 0.5)
        y = int(Sb[b[q], jb[q]] + 0.5)
        r1, r2 = ra[q], rb[q]
        f = 1.0 - np.exp(-(r1 + r2) * dt)
        ab = np.random.binomial(x, f * r1 / (r1 + r2)) if x > 0 else 0
        ba = np.random.binomial(y, f * r2 / (r1 + r2)) if y > 0 else 0
        Sa[a[q], ja[q]] = x - ab + ba
        Sb[b[q], jb[q]] = y - ba + ab
