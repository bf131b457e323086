"""numba kernels of the diffusion solver (:mod:`moosepy.kinetics.dsolve`).

``tree_steps``: the same implicit steps on meshes whose voxels form a tree
(each couples only with its parent: CylMesh, NeuroMesh dendrites), by Hines
elimination (factored by ``tree_factor``), as MOOSE's Dsolve does.

``lu_steps``: implicit steps of linear transport ``dn/dt = A n`` of each
diffusing pool (a column of the solver state, molecules per voxel), with the
step matrix factored once (sparse LU, scipy's SuperLU; other meshes, e.g.
CubeMesh): backward Euler
solves ``(I - dt A) n' = n`` (first order, unconditionally stable, keeps
n >= 0); Crank-Nicolson solves ``(I - dt/2 A) n' = (I + dt/2 A) n`` (second
order; keeps n >= 0 only while ``dt`` x the largest rate out of a voxel is
<= 2, i.e. ``D dt / dx^2 <= 1`` on a uniform mesh, and can undershoot near
steep fronts beyond that: the Dsolve's check refuses it).  The
columns of A sum to zero, so both conserve molecules to rounding.

``junction_exchange``, ``junction_step``, ``chan_step``, ``xfer_step``:
exchanges between two Dsolves across a junction (MOOSE's scheme).

Whole molecules (Gsolve) move by the kernels of
:mod:`moosepy.kinetics.dkernels_rng`, which draw from numba's seeded
stream: ``hop_steps``, the same transport in which, in each step, every
molecule of voxel i leaves with probability ``1 - exp(-k_i dt)`` (``k_i``
its total rate out), to neighbour k with probability ``A[k, i] / k_i``
(counts stay whole and non-negative, totals exact), and the junction
exchanges of whole molecules.  The kernels here go through
:func:`moosepy.jit.njit`, so ``moosepy warmup`` compiles them ahead of
time and a run after it does not load numba.
"""

import numpy as np

from ..jit import njit


@njit(cache=True)
def lu_steps(S, cols, nsteps, n, Lp, Li, Lx, Lo, Ld, Up, Ui, Ux, Uo, Ud, pr, pc, Bp, Bi, Bx,
             Bo, use_b):
    """Advance columns *cols* of the state S (voxels, pools) by *nsteps*
    implicit steps.  Per pool q: the strictly lower and upper triangles of
    its LU factors in CSR (row pointers at q*(n+1), entries from offset
    Lo[q]/Uo[q]) with their inverse diagonals Ld/Ud (at q*n), the row and
    column permutations pr/pc (at q*n), and (use_b) the explicit half B of
    Crank-Nicolson in CSR at offset Bo[q].

    Returns (smallest count, sum of the counts) over the columns advanced,
    taken while they are written back (the solver's health check: a sum
    that is not finite means a NaN or infinite count, a smallest count < 0
    an undershoot; no extra pass over the state)."""
    b = np.empty(n)
    y = np.empty(n)
    x = np.empty(n)
    lowest = np.inf
    total = 0.0
    for q in range(len(cols)):
        j = cols[q]
        rp = q * (n + 1)
        pq = q * n
        lo = Lo[q]
        uo = Uo[q]
        for i in range(n):
            x[i] = S[i, j]
        for _s in range(nsteps):
            if use_b:
                for i in range(n):
                    acc = 0.0
                    for k in range(Bp[rp + i], Bp[rp + i + 1]):
                        acc += Bx[Bo[q] + k] * x[Bi[Bo[q] + k]]
                    b[i] = acc
                for i in range(n):
                    y[pr[pq + i]] = b[i]
            else:
                for i in range(n):
                    y[pr[pq + i]] = x[i]
            for i in range(n):
                acc = y[i]
                for k in range(Lp[rp + i], Lp[rp + i + 1]):
                    acc -= Lx[lo + k] * y[Li[lo + k]]
                y[i] = acc * Ld[pq + i]
            for i in range(n - 1, -1, -1):
                acc = y[i]
                for k in range(Up[rp + i], Up[rp + i + 1]):
                    acc -= Ux[uo + k] * y[Ui[uo + k]]
                y[i] = acc * Ud[pq + i]
            for i in range(n):
                x[i] = y[pc[pq + i]]
        for i in range(n):
            xi = x[i]
            S[i, j] = xi
            total += xi
            if xi < lowest:
                lowest = xi
    return lowest, total


@njit(cache=True)
def tree_factor(n, order, ppos, Md, Mup, Mdown):
    """Factor the step matrix M of one pool on a tree of voxels (entries
    only between a voxel and its parent) for :func:`tree_steps`, by Hines
    elimination: voxels in *order* (every child before its parent; ppos[k]
    the position of voxel order[k]'s parent in *order*, -1 for a root),
    Md[k] the diagonal, Mup[k] = M[v, parent] and Mdown[k] = M[parent, v]
    (v = order[k]).  Returns (1 / eliminated diagonal, forward multiplier
    Mdown / eliminated diagonal), both by position.  No pivoting: M = I -
    theta dt A with A's columns summing to zero and its off-diagonal
    entries >= 0 is column diagonally dominant, so the eliminated
    diagonals stay >= 1."""
    d = Md.copy()
    inv = np.empty(n)
    f = np.empty(n)
    for k in range(n):
        inv[k] = 1.0 / d[k]
        f[k] = Mdown[k] * inv[k]
        p = ppos[k]
        if p >= 0:
            d[p] -= f[k] * Mup[k]
    return inv, f


@njit(cache=True)
def tree_steps(S, cols, nsteps, n, order, ppos, inv, f, up, bd, bup, bdown, use_b, chain):
    """Advance columns *cols* of the state S (voxels, pools) by *nsteps*
    implicit steps on a tree of voxels (CylMesh, unbranched or branched
    NeuroMesh dendrites), O(voxels) per step without indirection through
    sparse factors.  Per pool q, from offset q*n, by position in *order*
    (see :func:`tree_factor`): inv and f its factors, up = M[v, parent] x
    inv (the substitution's multiplier, so that one multiply and one
    subtract lie on its chain of dependent operations);
    with use_b (Crank-Nicolson) bd, bup, bdown the diagonal, B[v, parent]
    and B[parent, v] of the explicit half B = I + dt/2 A.  Per step:
    b = B x (or x), forward elimination towards the roots, substitution
    back towards the leaves.  *chain*: the tree is one unbranched chain
    in order (ppos[k] = k + 1 but for the last, the root), as on a
    CylMesh.

    Returns (smallest count, sum of the counts) over the columns advanced,
    as :func:`lu_steps` does."""
    x = np.empty(n)
    b = np.empty(n)
    lowest = np.inf
    total = 0.0
    q0 = 0
    if chain:
        # on a chain, two pools at a time: each one's elimination and
        # substitution are chains of dependent operations (latency-bound);
        # side by side they overlap.  Each pool's operations and their
        # order are those of the one-pool loop below.
        x2 = np.empty(n)
        b2 = np.empty(n)
        while q0 + 1 < len(cols):
            lo, tot = _chain_pair(S, cols[q0], cols[q0 + 1], q0 * n, (q0 + 1) * n, nsteps, n,
                                  order, inv, f, up, bd, bup, bdown, use_b, x, b, x2, b2, total)
            total = tot
            if lo < lowest:
                lowest = lo
            q0 += 2
    for q in range(q0, len(cols)):
        j = cols[q]
        o = q * n
        for k in range(n):
            x[k] = S[order[k], j]
        for _s in range(nsteps):
            if use_b:
                for k in range(n):
                    b[k] = bd[o + k] * x[k]
                for k in range(n):
                    p = ppos[k]
                    if p >= 0:
                        b[k] += bup[o + k] * x[p]
                        b[p] += bdown[o + k] * x[k]
            else:
                for k in range(n):
                    b[k] = x[k]
            if chain:
                # one unbranched chain (ppos[k] = k + 1): the running value
                # stays in a register instead of going through memory
                acc = b[0]
                for k in range(n - 1):
                    acc = b[k + 1] - f[o + k] * acc
                    b[k + 1] = acc
                acc = b[n - 1] * inv[o + n - 1]
                x[n - 1] = acc
                for k in range(n - 2, -1, -1):
                    acc = b[k] * inv[o + k] - up[o + k] * acc
                    x[k] = acc
                continue
            for k in range(n):
                p = ppos[k]
                if p >= 0:
                    b[p] -= f[o + k] * b[k]
            for k in range(n - 1, -1, -1):
                p = ppos[k]
                if p >= 0:
                    x[k] = b[k] * inv[o + k] - up[o + k] * x[p]
                else:
                    x[k] = b[k] * inv[o + k]
        total, lowest = _scatter(S, x, order, j, n, total, lowest)
    return lowest, total


@njit(cache=True, inline='always')
def _scatter(S, x, order, j, n, total, lowest):
    """Column j of S from x (positions in *order*); (*total* plus the
    counts in that order, the smallest of *lowest* and them)."""
    for k in range(n):
        xk = x[k]
        S[order[k], j] = xk
        total += xk
        if xk < lowest:
            lowest = xk
    return total, lowest


@njit(cache=True, inline='always')
def _chain_pair(S, j, j2, o, o2, nsteps, n, order, inv, f, up, bd, bup, bdown, use_b, x, b, x2,
                b2, total):
    """:func:`tree_steps` on a chain for columns j and j2 (factor offsets o
    and o2) side by side.  Returns (smallest count, *total* + the counts of
    column j, then of column j2, summed in that order)."""
    for k in range(n):
        x[k] = S[order[k], j]
        x2[k] = S[order[k], j2]
    for _s in range(nsteps):
        if use_b:
            for k in range(n):
                b[k] = bd[o + k] * x[k]
                b2[k] = bd[o2 + k] * x2[k]
            # (ppos[k] = k + 1 but for the last, the root)
            for k in range(n - 1):
                b[k] += bup[o + k] * x[k + 1]
                b[k + 1] += bdown[o + k] * x[k]
                b2[k] += bup[o2 + k] * x2[k + 1]
                b2[k + 1] += bdown[o2 + k] * x2[k]
        else:
            for k in range(n):
                b[k] = x[k]
                b2[k] = x2[k]
        acc = b[0]
        acc2 = b2[0]
        for k in range(n - 1):
            acc = b[k + 1] - f[o + k] * acc
            b[k + 1] = acc
            acc2 = b2[k + 1] - f[o2 + k] * acc2
            b2[k + 1] = acc2
        acc = b[n - 1] * inv[o + n - 1]
        x[n - 1] = acc
        acc2 = b2[n - 1] * inv[o2 + n - 1]
        x2[n - 1] = acc2
        for k in range(n - 2, -1, -1):
            acc = b[k] * inv[o + k] - up[o + k] * acc
            x[k] = acc
            acc2 = b2[k] * inv[o2 + k] - up[o2 + k] * acc2
            x2[k] = acc2
    total, lowest = _scatter(S, x, order, j, n, total, np.inf)
    total, lowest = _scatter(S, x2, order, j2, n, total, lowest)
    return lowest, total


@njit(cache=True, inline='always')
def _integ(n, rf, rb, dt):
    """Exponential-Euler relaxation of n molecules leaving at rate rf and
    arriving at rate rb [#/s] over dt (MOOSE's junction step)."""
    if n > 1e-12 and rf > 1e-12:
        c = np.exp(-rf * dt / n)
        n *= c + (rb / rf) * (1.0 - c)
    else:
        n += (rb - rf) * dt
    return n if n > 0.0 else 0.0


@njit(cache=True, inline='always')
def _pair_step(Sa, Sb, a, ja, b, jb, ra, rb, dt):
    """One voxel pair of one pool across a junction over dt: per-molecule
    rates ra (a -> b) and rb (b -> a) [1/s]; see junction_exchange."""
    na = Sa[a, ja]
    nbb = Sb[b, jb]
    na2 = _integ(na, ra * na, rb * nbb, dt)
    nb2 = nbb + na - na2
    if nb2 < 0.0:
        na2 += nb2
        nb2 = 0.0
    Sa[a, ja] = na2
    Sb[b, jb] = nb2


@njit(cache=True, inline='always')
def _exchange(Sa, Sb, ca, cb, va, vb, kk, qa, qb, dt, rates):
    """One exchange step of dt for every pool pair m and voxel pair p with
    coupling kk[m * npairs + p] > 0: *rates* True, qa and qb are the
    per-molecule rates of entry m * npairs + p; else the voxel volumes of
    pair p, the rates kk / pa and kk / pb taken here."""
    npairs = len(va)
    for m in range(len(ca)):
        ja = ca[m]
        jb = cb[m]
        for p in range(npairs):
            e = m * npairs + p
            k = kk[e]
            if k <= 0.0:
                continue
            if rates:
                _pair_step(Sa, Sb, va[p], ja, vb[p], jb, qa[e], qb[e], dt)
            else:
                _pair_step(Sa, Sb, va[p], ja, vb[p], jb, k / qa[p], k / qb[p], dt)


@njit(cache=True)
def junction_step(Sa, Sb, ca, cb, va, vb, pa, pb, kk, dt):
    """One exchange step of dt for every pool pair and voxel pair (the
    arguments of junction_exchange)."""
    _exchange(Sa, Sb, ca, cb, va, vb, kk, pa, pb, dt, False)


@njit(cache=True)
def junction_exchange(Sa, Sb, ca, cb, va, vb, pa, pb, kk, dt):
    """Exchange molecules between voxel pairs of two solvers: pair p joins
    voxel va[p] of Sa (this side) with vb[p] of Sb; pool pair m is column
    ca[m] of Sa and cb[m] of Sb, with coupling kk[m*npairs + p] = D * g
    [m^3/s]; pa/pb: voxel volumes [m^3].  MOOSE's scheme: two half steps
    of dt in which this side's count relaxes exponentially towards the
    other side's concentration (the other held) and the other side takes
    the difference (molecules conserved).  (Whole molecules, with a Gsolve:
    :func:`junction_pairs` and :func:`moosepy.kinetics.dkernels_rng.pairs_whole`.)"""
    junction_step(Sa, Sb, ca, cb, va, vb, pa, pb, kk, 0.5 * dt)
    junction_step(Sa, Sb, ca, cb, va, vb, pa, pb, kk, 0.5 * dt)


@njit(cache=True, inline='always')
def junction_exchange_rates(Sa, Sb, ca, cb, va, vb, kk, ra, rb, dt):
    """:func:`junction_exchange` with the per-molecule rates of every pool
    and voxel pair computed once (ra = kk / pa, rb = kk / pb, entry m *
    npairs + p: the same quotients junction_step takes at every call), for
    a caller that exchanges across the same junction tick after tick
    (kinetics.dloop)."""
    _exchange(Sa, Sb, ca, cb, va, vb, kk, ra, rb, 0.5 * dt, True)
    _exchange(Sa, Sb, ca, cb, va, vb, kk, ra, rb, 0.5 * dt, True)


@njit(cache=True)
def chan_step(Sa, Sb, ja, jb, jc, nfix, va, vb, pa, pb, perm, dt):
    """A ConcChan across a junction over dt: pool column ja of Sa (the side
    of the channel pool, column jc of Sa, or nfix channels when jc < 0) and
    column jb of Sb exchange at permeability * N_chan * (c_b - c_a) [#/s]
    (perm in 1/(mM s), c in mM = n / (NA V)), per voxel pair, as MOOSE's
    Dsolve computes its junction channels."""
    NA = 6.02214076e23
    for p in range(len(va)):
        a = va[p]
        nchan = Sa[a, jc] if jc >= 0 else nfix
        k = perm * nchan / NA
        if k <= 0.0:
            continue
        _pair_step(Sa, Sb, a, ja, vb[p], jb, k / pa[p], k / pb[p], dt)


@njit(cache=True)
def junction_pairs(ca, cb, va, vb, pa, pb, kk):
    """The (voxel, column) pairs a junction_step moves molecules between,
    in its order, with their per-molecule rates [1/s]: (a, ja, b, jb, ra,
    rb) arrays, for the whole-molecule exchange (dkernels_rng.pairs_whole)."""
    npairs = len(va)
    n = 0
    for m in range(len(ca)):
        for p in range(npairs):
            if kk[m * npairs + p] > 0.0:
                n += 1
    a = np.empty(n, dtype=np.int64)
    ja = np.empty(n, dtype=np.int64)
    b = np.empty(n, dtype=np.int64)
    jb = np.empty(n, dtype=np.int64)
    ra = np.empty(n)
    rb = np.empty(n)
    q = 0
    for m in range(len(ca)):
        for p in range(npairs):
            k = kk[m * npairs + p]
            if k <= 0.0:
                continue
            a[q], ja[q], b[q], jb[q] = va[p], ca[m], vb[p], cb[m]
            ra[q], rb[q] = k / pa[p], k / pb[p]
            q += 1
    return a, ja, b, jb, ra, rb


@njit(cache=True)
def chan_pairs(Sa, ja, jb, jc, nfix, va, vb, pa, pb, perm):
    """chan_step's pairs and rates (as junction_pairs), read from the
    channel counts now."""
    NA = 6.02214076e23
    n = len(va)
    a = np.empty(n, dtype=np.int64)
    b = np.empty(n, dtype=np.int64)
    ra = np.empty(n)
    rb = np.empty(n)
    q = 0
    for p in range(n):
        nchan = Sa[va[p], jc] if jc >= 0 else nfix
        k = perm * nchan / NA
        if k <= 0.0:
            continue
        a[q], b[q] = va[p], vb[p]
        ra[q], rb[q] = k / pa[p], k / pb[p]
        q += 1
    return (a[:q], np.full(q, ja, dtype=np.int64), b[:q], np.full(q, jb, dtype=np.int64),
            ra[:q], rb[:q])


@njit(cache=True)
def xfer_step(Ss, Sd, Sp, cs, cd, vs, vd):
    """MOOSE's cross-compartment transfer: proxy pool column cs[m] of Ss
    (voxel vs[p]) and its original, column cd[m] of Sd (voxel vd[p]): the
    original gains what the proxy's own chemistry changed since Sp (the
    proxy's state before that chemistry) and the proxy takes the result.
    A count that would go below zero is held at zero."""
    for m in range(len(cs)):
        js = cs[m]
        jd = cd[m]
        for p in range(len(vs)):
            a = vs[p]
            b = vd[p]
            x = Ss[a, js] + Sd[b, jd] - Sp[a, js]
            if x < 0.0:
                x = 0.0
            Ss[a, js] = x
            Sd[b, jd] = x
