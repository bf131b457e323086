"""Numba kernels of the deterministic chemical solver (Ksolve).

The model arrives packed in two arrays, ``I`` (int64) and ``F`` (float64),
built by :func:`pack` (two arguments keep numba's call overhead small when
scipy's LSODA calls back); :func:`unpack` returns the tuple ``M`` of views:

=====  =============================================================
index  content
=====  =============================================================
0      nvox, npools, nterms, nfuncs packed in an int64 array
1      k[nvox, nterms]  rate constant of each term, per molecule
2      km[nvox, nterms] numKm of Michaelis-Menten terms (else 0)
3      ttype[nterms]    0 mass action, 1 Michaelis-Menten
4,5    sub_ptr, sub_idx reactant pools of each term (repeats = order)
6,7,8  chg_ptr, chg_idx, chg_coef  change of each pool per firing
9      mm_enz[nterms]   enzyme pool of an MM term
10     held[npools]     1 for buffered and function-assigned pools
11-14  fcode, fargs, fconsts, fstart (nfuncs+1) expression programs
15,16  fin_ptr, fin_idx inputs of each function (pool index)
17     fin_kind         0: input is n, 1: input is conc
18,19  fout_kind, fout_target  0 set n, 1 set conc, 2 add rate [#/s],
                              3 set numK of a term, 4 set conc-unit K
20     term_order[nterms] reactant count of each term
21     voxvol[nvox]     voxel volumes [m^3]
22,23  sub0, sub1       first two reactants of a term, npools where absent (a
                        slot holding 1.0): the branch-free path of order <= 2
24-26  row_ptr, row_term, row_coef  stoichiometry by pool rows (CSR)
27     rk_info          [plain terms (mass action, order <= 2, first),
                        fluxes, assigning / rate-adding / rate-setting
                        Functions]
28,29  flux_a, flux_b   the terms of each flux: rate[a] - rate[b] (b =
                        nterms: a slot holding 0); opposite terms are netted
30-32  ent_flux, ent_pool, ent_coef  what each flux changes: the free (not
                        held) pools only, flux-major (see stoich.flux_arrays)
33,34  fuse_idx, fuse_coef  the same fluxes fused with their rates, for
                        models of plain terms only (stoich._fused_fluxes);
                        empty, and rk_info[5] = 0, for other models
=====  =============================================================

Units: state in molecules (#) per voxel, time in s.  The right-hand side is
dn/dt [#/s], scattered flux by flux (measured faster here than gathering
pool rows: no short inner loops of varying length).  Integrators: embedded
explicit Runge-Kutta pairs with adaptive steps and the error control of GSL
(``|err_i| <= epsAbs + epsRel*|y_i|``), taking the higher order solution;
Functions that assign pools act on the state of every stage.

Speed notes (numba 0.68, measured on acc35): array views taken from ``M``
or from the work buffer inside a hot inlined function cost reference
counting on every call unless the function has no early exits; branches
for rarely used features (Functions, non-plain terms) slow the rate loops
even when not taken, so each integrator variant is compiled with constant
flags and the rare code sits in separate, non-inlined functions.
"""

import math

import numpy as np

from ..jit import njit
from .expr import _eval_impl

eval_program = njit(cache=True, nogil=True)(_eval_impl)

NA = 6.02214076e23

_INT_NAMES = ('dims', 'ttype', 'sub_ptr', 'sub_idx', 'chg_ptr', 'chg_idx', 'mm_enz', 'held',
              'fcode', 'fargs', 'fstart', 'fin_ptr', 'fin_idx', 'fin_kind', 'fout_kind',
              'fout_target', 'sub0', 'sub1', 'row_ptr', 'row_term')
_FLT_NAMES = ('kk', 'km', 'chg_coef', 'fconsts', 'term_order', 'voxvol', 'row_coef')
# arrays of the explicit integrators' right-hand side, added later: their
# offsets follow the older ones' in the header (slots 32-39), so that the
# layout of the older arrays (read by the stochastic kernels, and by their
# numba caches) is unchanged
_INT2_NAMES = ('rk_info', 'flux_a', 'flux_b', 'ent_flux', 'ent_pool')
_FLT2_NAMES = ('ent_coef',)
_FHDR = 24
_HDR2 = 32
# the fused right-hand side's arrays (slots 40-43): int start, int end,
# float start, float end
_HDR3 = 40
_HDR = 44


def pack(arrays):
    """Pack a dict of named arrays into (I, F) for the kernels."""
    ints = [np.asarray(arrays[k], dtype=np.int64).ravel() for k in _INT_NAMES]
    flts = [np.asarray(arrays[k], dtype=np.float64).ravel() for k in _FLT_NAMES]
    ints2 = [np.asarray(arrays[k], dtype=np.int64).ravel() for k in _INT2_NAMES]
    flts2 = [np.asarray(arrays[k], dtype=np.float64).ravel() for k in _FLT2_NAMES]
    hdr = np.zeros(_HDR, dtype=np.int64)
    pos = _HDR
    for k, a in enumerate(ints):
        hdr[k] = pos
        pos += a.size
    hdr[len(ints)] = pos
    for k, a in enumerate(ints2):
        hdr[_HDR2 + k] = pos
        pos += a.size
    hdr[_HDR2 + len(ints2)] = pos
    fpos = 0
    for k, a in enumerate(flts):
        hdr[_FHDR + k] = fpos
        fpos += a.size
    hdr[_FHDR + len(flts)] = fpos
    hdr[_HDR2 + len(ints2) + 1] = fpos
    fpos += flts2[0].size
    hdr[_HDR2 + len(ints2) + 2] = fpos
    fuse_i = np.asarray(arrays.get('fuse_idx', ()), dtype=np.int64).ravel()
    fuse_f = np.asarray(arrays.get('fuse_coef', ()), dtype=np.float64).ravel()
    hdr[_HDR3], hdr[_HDR3 + 1] = pos, pos + fuse_i.size
    hdr[_HDR3 + 2], hdr[_HDR3 + 3] = fpos, fpos + fuse_f.size
    fpos += fuse_f.size
    I = np.concatenate([hdr] + ints + ints2 + [fuse_i])
    F = np.concatenate(flts + flts2 + [fuse_f]) if fpos else np.zeros(0)
    return I, F


@njit(cache=True, nogil=True)
def unpack(I, F):
    """Views of the packed model, in the order of the table above."""
    dims = I[I[0]:I[1]]
    nvox, nterms = dims[0], dims[2]
    kk = F[I[24]:I[25]].reshape((nvox, nterms))
    km = F[I[25]:I[26]].reshape((nvox, nterms))
    return (dims, kk, km, I[I[1]:I[2]], I[I[2]:I[3]], I[I[3]:I[4]], I[I[4]:I[5]],
            I[I[5]:I[6]], F[I[26]:I[27]], I[I[6]:I[7]], I[I[7]:I[8]], I[I[8]:I[9]],
            I[I[9]:I[10]], F[I[27]:I[28]], I[I[10]:I[11]], I[I[11]:I[12]], I[I[12]:I[13]],
            I[I[13]:I[14]], I[I[14]:I[15]], I[I[15]:I[16]], F[I[28]:I[29]], F[I[29]:I[30]],
            I[I[16]:I[17]], I[I[17]:I[18]], I[I[18]:I[19]], I[I[19]:I[20]],
            F[I[30]:I[31]], I[I[32]:I[33]], I[I[33]:I[34]], I[I[34]:I[35]], I[I[35]:I[36]],
            I[I[36]:I[37]], F[I[38]:I[39]], I[I[40]:I[41]], F[I[42]:I[43]])


@njit(cache=True, nogil=True, inline='always')
def _func_inputs(f, w, base, navol, fin_ptr, fin_idx, fin_kind, xbuf):
    """Fill xbuf with the inputs of function f, read from the voxel whose
    pools start at w[base] (navol = NA * its volume); returns their count."""
    a, b = fin_ptr[f], fin_ptr[f + 1]
    for q in range(a, b):
        j = fin_idx[q]
        if j < 0:
            xbuf[q - a] = 0.0
        elif fin_kind[q] == 1:
            xbuf[q - a] = w[base + j] / navol
        else:
            xbuf[q - a] = w[base + j]
    return b - a


@njit(cache=True, nogil=True)
def _term_rate(r, k, ye, kmrow, M):
    """Rate [#/s] of term r with rate constant k (molecule units) on the
    voxel state ye (its pools and a trailing 1.0)."""
    sub_ptr, sub_idx = M[4], M[5]
    s = 1.0
    for q in range(sub_ptr[r], sub_ptr[r + 1]):
        s *= ye[sub_idx[q]]
    if M[3][r] == 0:
        return k * s
    return k * ye[M[9][r]] * s / (kmrow[r] + s)


@njit(cache=True, nogil=True)
def _apply_rate_funcs(t, ye, navol, kmrow, rate, extra, M, stack, xbuf):
    """The functions that add a rate [#/s] to a pool (into extra) or set a
    term's rate constant (numKf/Kf...: that term's rate is recomputed), on
    the voxel state ye (after the assigning functions)."""
    fcode, fargs, fconsts, fstart = M[11], M[12], M[13], M[14]
    fout_kind, fout_target = M[18], M[19]
    order = M[20]
    for f in range(M[0][3]):
        kind = fout_kind[f]
        if kind <= 1:
            continue
        m = _func_inputs(f, ye, 0, navol, M[15], M[16], M[17], xbuf)
        val = eval_program(fcode, fargs, fconsts, xbuf[:m + 1], t, stack, fstart[f],
                           fstart[f + 1])
        tgt = fout_target[f]
        if kind == 2:
            extra[tgt] += val
        elif kind == 3:
            rate[tgt] = _term_rate(tgt, val, ye, kmrow, M)
        else:
            rate[tgt] = _term_rate(tgt, val * navol ** (1.0 - order[tgt]), ye, kmrow, M)


# inlined: called once per voxel and RK stage; as a call it cost a third of
# an rk5 step of a Michaelis-Menten model (3 MMenz + 1 Reac, 105 voxels:
# 36 -> 24 us a step, results bit-identical; acc35 unchanged)
@njit(cache=True, nogil=True, inline='always')
def _general_rates(ye, krow, kmrow, rate, ttype, sub_ptr, sub_idx, mm_enz, nsimple):
    """Rates of the terms after the plain ones: mass action of order > 2 and
    Michaelis-Menten (k * enzyme * s / (numKm + s), s the substrates'
    product)."""
    for r in range(nsimple, krow.shape[0]):
        a, b = sub_ptr[r], sub_ptr[r + 1]
        s = 1.0
        for q in range(a, b):
            s *= ye[sub_idx[q]]
        if ttype[r] == 0:
            rate[r] = krow[r] * s
        else:
            rate[r] = krow[r] * ye[mm_enz[r]] * s / (kmrow[r] + s)


@njit(cache=True, nogil=True)
def work_buffer(M):
    """Scratch space of rhs_m, laid out as :func:`_work_parts` reads it: one
    voxel's state + a trailing 1.0, the rates + a trailing 0.0, the fluxes,
    and for functions their rates into pools, an evaluation stack, their
    inputs, a copy of the state (so that no call allocates), and the fused
    form's dn/dt with its spare slots."""
    dims = M[0]
    fin_ptr = M[15]
    nin = fin_ptr[dims[3]] - fin_ptr[0]
    nw = dims[0] * dims[1] if dims[3] > 0 else 0
    return np.empty(3 * dims[1] + dims[2] + 6 + M[27][1] + 64 + nin + 1 + nw)


@njit(cache=True, nogil=True, inline='always')
def _work_parts(M, work):
    """(ye, rate, flux, extra, stack, xbuf, state copy, fused dn/dt) views of
    a work buffer; ye has two spare slots (1.0 for an absent reactant, 0.0
    for the fused form's absent term), the fused dn/dt three (the last one
    written, never read, by unused entries)."""
    dims = M[0]
    npools, nterms, nf = dims[1], dims[2], dims[3]
    a = npools + 2
    b = a + nterms + 1
    c = b + M[27][1]
    d = c + npools
    e = d + 64
    f = e + 1 + M[15][nf] - M[15][0]
    g = f + (dims[0] * npools if nf > 0 else 0)
    return (work[:a], work[a:b], work[b:c], work[c:d], work[d:e], work[e:f], work[f:g],
            work[g:g + npools + 3])


@njit(cache=True, nogil=True, inline='always')
def _rhs(t, y, dydt, M, W, rfuncs, fused=False):
    """dn/dt [#/s] for all voxels of state y (voxel-major, molecules), whose
    function-assigned pools hold their values already.

    Per voxel: copy the state (with a trailing 1.0 standing in for absent
    reactants), compute the rates (plain terms, k * ye[sub0] * ye[sub1], in
    one branch-free loop; then the others), let the Functions that add
    rates or set rate constants act (only if *rfuncs*), net opposite terms
    into fluxes (rate[flux_a] - rate[flux_b]), and scatter the fluxes to the
    free pools (ent_*); held pools have no entries: their dn/dt stays 0.

    *rfuncs* is a constant of each caller: the code for a model without such
    Functions has no function branches (measured on acc35: their mere
    presence slowed the rate loops by half).  *fused*, also a constant of
    each caller, takes the fused form (:func:`_rhs_fused`; only for models
    with rk_info[5] set and no Functions acting on rates): compiled beside
    the general loop in one function, its loop ran no faster than that."""
    ye, rate, flux, extra, stack, xbuf = W[0], W[1], W[2], W[3], W[4], W[5]
    if fused:
        _rhs_fused(y, dydt, M[0][0], M[0][1], M[1], M[28], M[33], M[34], ye, W[7])
    else:
        _rhs_general(t, y, dydt, M, W, rfuncs, ye, rate, flux, extra, stack, xbuf)


@njit(cache=True, nogil=True, inline='always')
def _rhs_fused(y, dydt, nvox, npools, kk, fa, fi, fc, ye, dd):
    """dn/dt of a model of plain terms only, each flux computed from its two
    rate constants and scattered at once (stoich._fused_fluxes): no rate or
    flux arrays.  Same values as the general loop, bit for bit; rk5 on a
    200-pool, 400-reaction network took 25 % less time (0.069 s against
    0.092 s in one process)."""
    nflux = fa.shape[0]
    kb_at = 8 * nflux
    for v in range(nvox):
        base = v * npools
        for j in range(npools):
            ye[j] = y[base + j]
            dd[j] = 0.0
        ye[npools] = 1.0
        ye[npools + 1] = 0.0
        for g in range(nflux):
            r = 8 * g
            c = 4 * g
            f = (kk[v, fa[g]] * ye[fi[r]] * ye[fi[r + 1]]
                 - kk[v, fi[kb_at + g]] * ye[fi[r + 2]] * ye[fi[r + 3]])
            dd[fi[r + 4]] += fc[c] * f
            dd[fi[r + 5]] += fc[c + 1] * f
            dd[fi[r + 6]] += fc[c + 2] * f
            dd[fi[r + 7]] += fc[c + 3] * f
        for j in range(npools):
            dydt[base + j] = dd[j]


@njit(cache=True, nogil=True)
def gather_form(M, fused):
    """The fused right-hand side (:func:`_rhs_fused`) of each voxel, laid
    out for :func:`_rhs_gather`: per flux its two rate constants (kf, kb:
    voxels x fluxes) and its four reactant slots (ridx: npools reads a 1.0,
    npools + 1 a 0.0); a table of values to sum (ftab: each flux, its
    negation, the products coef * flux of the entries whose coefficient is
    not +-1 (xg, xc), and a 0.0 last); and each pool's entries of that
    table in flux order, pools taken four at a time (bpool; npools: a
    spare slot), a block's entries lane by lane (bidx from bstart, bk per
    pool, padded with the 0.0).  Index arrays are unsigned: numba adds no
    negative-index wraparound to their reads, which made the fused loop
    twice as slow.  Empty arrays unless *fused*."""
    npools = M[0][1]
    nvox = M[0][0]
    kk, fa, fi, fc = M[1], M[28], M[33], M[34]
    nflux = fa.shape[0] if fused else 0
    kb_at = 8 * nflux
    kf = np.empty((nvox, nflux))
    kb = np.empty((nvox, nflux))
    for v in range(nvox):
        for g in range(nflux):
            kf[v, g] = kk[v, fa[g]]
            kb[v, g] = kk[v, fi[kb_at + g]]
    ridx = np.empty(4 * nflux, dtype=np.uint32)
    cnt = np.zeros(npools + 1, dtype=np.int64)
    nx = 0
    for g in range(nflux):
        for q in range(4):
            ridx[4 * g + q] = fi[8 * g + q]
            o = fi[8 * g + 4 + q]
            if o < npools:
                cnt[o] += 1
                c = fc[4 * g + q]
                if c != 1.0 and c != -1.0:
                    nx += 1
    xg = np.empty(nx, dtype=np.uint32)
    xc = np.empty(nx)
    zero = 2 * nflux + nx
    ftab = np.zeros(zero + 1)
    # pools by entry count (counting sort), four to a block
    nb = (npools + 3) // 4 if nflux > 0 else 0
    kmax = 0
    for p in range(npools):
        kmax = max(kmax, cnt[p])
    byk = np.zeros(kmax + 2, dtype=np.int64)
    for p in range(npools):
        byk[cnt[p] + 1] += 1
    for k in range(kmax + 1):
        byk[k + 1] += byk[k]
    bpool = np.full(4 * nb, npools, dtype=np.uint32)
    for p in range(npools if nflux > 0 else 0):
        bpool[byk[cnt[p]]] = p
        byk[cnt[p]] += 1
    bk = np.zeros(nb, dtype=np.int64)
    bstart = np.zeros(nb + 1, dtype=np.int64)
    lane = np.zeros(npools + 1, dtype=np.int64)      # a pool's block * 4 + lane
    for j in range(4 * nb):
        p = bpool[j]
        b = j // 4
        if p < npools and cnt[p] > bk[b]:
            bk[b] = cnt[p]
        lane[p] = j
    for b in range(nb):
        bstart[b + 1] = bstart[b] + 4 * bk[b]
    bidx = np.full(bstart[nb], zero, dtype=np.uint32)
    fill = np.zeros(npools + 1, dtype=np.int64)
    x = 0
    for g in range(nflux):
        for q in range(4):
            o = fi[8 * g + 4 + q]
            if o < npools:
                c = fc[4 * g + q]
                if c == 1.0:
                    e = g
                elif c == -1.0:
                    e = nflux + g
                else:
                    xg[x] = g
                    xc[x] = c
                    e = 2 * nflux + x
                    x += 1
                j = lane[o]
                bidx[bstart[j // 4] + 4 * fill[o] + j % 4] = e
                fill[o] += 1
    return (kf, kb, ridx, xg, xc, ftab, bstart.astype(np.uint64), bk.astype(np.uint64), bpool,
            bidx)


# not inlined: the one-voxel GSL drivers compile their variants with constant
# flags, and an inlined copy was compiled into the variants that never take
# it (cold compile of the four 60 -> 72 s CPU); as a call it costs no
# measurable time (kin_large rk5 kernel 0.057 s either way)
@njit(cache=True, nogil=True)
def _rhs_gather(y, dydt, kf, kb, ridx, xg, xc, ftab, bstart, bk, bpool, bidx):
    """dn/dt of the fused form (:func:`gather_form`) of one voxel whose
    pools are y[:npools], followed by 1.0 and 0.0: :func:`_rhs_fused`'s
    numbers bit for bit (each flux's products in its order; each pool's
    sum from 0.0 over its entries in flux order, +-f for a coefficient of
    +-1, as 1.0 * f and -1.0 * f are), with the pools summed four at a
    time (independent chains) rather than scattered flux by flux.
    dydt has a spare slot at npools."""
    nflux = kf.shape[0]
    for g in range(nflux):
        r = 4 * g
        f = kf[g] * y[ridx[r]] * y[ridx[r + 1]] - kb[g] * y[ridx[r + 2]] * y[ridx[r + 3]]
        ftab[g] = f
        ftab[nflux + g] = -f
    for x in range(xg.shape[0]):
        ftab[2 * nflux + x] = xc[x] * ftab[xg[x]]
    u1 = np.uint64(1)
    u2 = np.uint64(2)
    u3 = np.uint64(3)
    u4 = np.uint64(4)
    for b in range(bk.shape[0]):
        q = bstart[b]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for _ in range(bk[b]):
            s0 += ftab[bidx[q]]
            s1 += ftab[bidx[q + u1]]
            s2 += ftab[bidx[q + u2]]
            s3 += ftab[bidx[q + u3]]
            q += u4
        j = 4 * b
        dydt[bpool[j]] = s0
        dydt[bpool[j + 1]] = s1
        dydt[bpool[j + 2]] = s2
        dydt[bpool[j + 3]] = s3


@njit(cache=True, nogil=True, inline='always')
def _rhs_general(t, y, dydt, M, W, rfuncs, ye, rate, flux, extra, stack, xbuf):
    """dn/dt by rates, fluxes and entries (any model; see :func:`_rhs`)."""
    dims = M[0]
    nvox, npools, nterms = dims[0], dims[1], dims[2]
    kk, km, held = M[1], M[2], M[10]
    ttype, sub_ptr, sub_idx, mm_enz = M[3], M[4], M[5], M[9]
    s0, s1 = M[22], M[23]
    info = M[27]
    nsimple = info[0]
    fa, fb, ef, ep, ec = M[28], M[29], M[30], M[31], M[32]
    nflux = fa.shape[0]
    nent = ef.shape[0]
    for v in range(nvox):
        base = v * npools
        for j in range(npools):
            ye[j] = y[base + j]
            dydt[base + j] = 0.0
        ye[npools] = 1.0
        for r in range(nsimple):
            rate[r] = kk[v, r] * ye[s0[r]] * ye[s1[r]]
        if nsimple < nterms:
            _general_rates(ye, kk[v], km[v], rate, ttype, sub_ptr, sub_idx, mm_enz, nsimple)
        rate[nterms] = 0.0
        if rfuncs:
            for j in range(npools):
                extra[j] = 0.0
            _apply_rate_funcs(t, ye, NA * M[21][v], km[v], rate, extra, M, stack, xbuf)
        for g in range(nflux):
            flux[g] = rate[fa[g]] - rate[fb[g]]
        for q in range(nent):
            dydt[base + ep[q]] += ec[q] * flux[ef[q]]
        if rfuncs and info[3] > 0:
            for j in range(npools):
                if not held[j]:
                    dydt[base + j] += extra[j]


@njit(cache=True, nogil=True)
def rhs_m(t, y, dydt, M, work):
    """dn/dt [#/s] for all voxels of state y (voxel-major, molecules; not
    changed: Functions assign their pools in a copy); work from
    :func:`work_buffer`."""
    info = M[27]
    W = _work_parts(M, work)
    if M[0][3] == 0:
        if info[5] != 0:
            _rhs(t, y, dydt, M, W, False, True)
        else:
            _rhs(t, y, dydt, M, W, False)
        return
    w = y
    if info[2] > 0:
        w = W[6]
        for i in range(y.shape[0]):
            w[i] = y[i]
        _assign_m(t, w, M, W)
    if info[3] + info[4] > 0:
        _rhs(t, w, dydt, M, W, True)
    else:
        _rhs(t, w, dydt, M, W, False)


@njit(cache=True, nogil=True)
def assign(t, y, I, F):
    """Put the values of function-assigned pools into state y."""
    M = unpack(I, F)
    _assign_m(t, y, M, _work_parts(M, work_buffer(M)))


@njit(cache=True, nogil=True, inline='always')
def _assign_m(t, y, M, W):
    """Let the functions that set pools (n or conc) assign them, in their
    order, in every voxel of state y (molecules).  W: the work buffer's
    parts (:func:`_work_parts`)."""
    dims = M[0]
    npools, nf = dims[1], dims[3]
    stack, xbuf = W[4], W[5]
    fcode, fargs, fconsts, fstart = M[11], M[12], M[13], M[14]
    fin_ptr, fin_idx, fin_kind = M[15], M[16], M[17]
    fout_kind, fout_target = M[18], M[19]
    voxvol = M[21]
    for v in range(dims[0]):
        navol = NA * voxvol[v]
        base = v * npools
        for f in range(nf):
            kind = fout_kind[f]
            if kind <= 1:
                m = _func_inputs(f, y, base, navol, fin_ptr, fin_idx, fin_kind, xbuf)
                val = eval_program(fcode, fargs, fconsts, xbuf[:m + 1], t, stack, fstart[f],
                                   fstart[f + 1])
                # assigned as computed: NaN and values below zero reach the
                # state, where the solver's check after the interval names
                # them (clipping hid a NaN as 0.0 and a forced negative);
                # round-off below zero is clipped there (moosepy.core.health)
                y[base + fout_target[f]] = val if kind == 0 else val * navol


@njit(cache=True, nogil=True, inline='always')
def _jadd(J, r, c, v, mu):
    if mu == -2:
        J[c, r] += v
    elif mu < 0:
        J[r, c] += v
    else:
        J[mu + r - c, c] += v


@njit(cache=True, nogil=True)
def jac_m(t, y, J, M, mu):
    """Jacobian d(dn/dt)/dn.  Mass-action and MM terms analytically; with
    functions, by forward differences of :func:`rhs`.  With mu < 0, J is the
    dense (n, n) matrix; else J is LAPACK/ODEPACK band storage with mu upper
    diagonals (entry (r, c) at J[mu + r - c, c]): voxels do not interact here,
    so the Jacobian is block diagonal and fits a band of npools - 1.  With
    mu == -2, J is the dense matrix transposed (J[c, r])."""
    dims = M[0]
    nvox, npools, nterms = dims[0], dims[1], dims[2]
    n = nvox * npools
    J[:, :] = 0.0
    if dims[3] > 0:
        f0 = np.empty(n)
        f1 = np.empty(n)
        work = work_buffer(M)
        rhs_m(t, y, f0, M, work)
        yp = y.copy()
        for c in range(n):
            h = 1e-7 * max(abs(y[c]), 1e-3)
            yp[c] = y[c] + h
            rhs_m(t, yp, f1, M, work)
            yp[c] = y[c]
            vb = (c // npools) * npools
            for r in range(vb, vb + npools):
                _jadd(J, r, c, (f1[r] - f0[r]) / h, mu)
        return
    kk, km, ttype = M[1], M[2], M[3]
    sub_ptr, sub_idx = M[4], M[5]
    chg_ptr, chg_idx, chg_coef = M[6], M[7], M[8]
    mm_enz, held = M[9], M[10]
    for v in range(nvox):
        base = v * npools
        for r in range(nterms):
            a, b = sub_ptr[r], sub_ptr[r + 1]
            if ttype[r] == 0:
                for p in range(a, b):
                    d = kk[v, r]
                    for q in range(a, b):
                        if q != p:
                            d *= y[base + sub_idx[q]]
                    if d == 0.0:
                        continue
                    col = base + sub_idx[p]
                    for q in range(chg_ptr[r], chg_ptr[r + 1]):
                        _jadd(J, base + chg_idx[q], col, chg_coef[q] * d, mu)
            else:
                s = 1.0
                for q in range(a, b):
                    s *= y[base + sub_idx[q]]
                e = y[base + mm_enz[r]]
                K = km[v, r]
                k = kk[v, r]
                de = k * s / (K + s)
                ds = k * e * K / ((K + s) * (K + s))
                for q in range(chg_ptr[r], chg_ptr[r + 1]):
                    _jadd(J, base + chg_idx[q], base + mm_enz[r], chg_coef[q] * de, mu)
                for p in range(a, b):
                    dsp = 1.0
                    for q in range(a, b):
                        if q != p:
                            dsp *= y[base + sub_idx[q]]
                    col = base + sub_idx[p]
                    for q in range(chg_ptr[r], chg_ptr[r + 1]):
                        _jadd(J, base + chg_idx[q], col, chg_coef[q] * ds * dsp, mu)
        for j in range(npools):
            if held[j]:
                for c in range(base, base + npools):
                    if mu == -2:
                        J[c, base + j] = 0.0
                    elif mu < 0:
                        J[base + j, c] = 0.0
                    else:
                        J[mu + base + j - c, c] = 0.0


@njit(cache=True, nogil=True, inline='always')
def _slot_rates_general(yt, k, nact, npools, kr, kmr, M, R):
    """dn/dt of the general form (kernels._rhs_general without Functions:
    plain mass action, higher orders, Michaelis-Menten) for the packed
    slots (slot j's pools at yt[j*npools:], its rate constants kr[j] and
    Km kmr[j]): the same products, quotients, differences and sums in the
    same order per voxel, bit for bit, term by term and entry by entry
    over the slots instead of voxel by voxel (its inner loops run over a
    handful of terms; these over the voxels).  *R*: room for
    (terms + 1 + pools) x nact numbers: each term's rates over the slots,
    a row of zeros, then each pool's sum of fluxes over the slots (summed
    there, flux by flux in the model's order, and copied into k at the
    end).  Used by gslrk's side-by-side drivers (the packed slots) and by
    :func:`_rk_step` (every voxel; kr = kk).

    Every inner loop indexes views (rows of R, a 2-D view of the state)
    with its loop counter alone: numba wraps a negative index around, and
    with ``o + j`` it cannot know the sum is not negative, so it kept
    that test in every iteration and left the loop scalar.  Measured on
    spiny's rates (100 slots, 3 pools, 5 terms): 12.8 -> 7.0 ns per slot.
    (Also tried, 2026-12-04: the rate constants transposed, term-major:
    no faster.)"""
    nterms = kr.shape[1]
    ttype, sub_ptr, sub_idx, mm_enz = M[3], M[4], M[5], M[9]
    s0, s1 = M[22], M[23]
    nsimple = M[27][0]
    fa, fb, ef, ep, ec = M[28], M[29], M[30], M[31], M[32]
    Y = yt[:nact * npools].reshape((nact, npools))
    for r in range(nsimple):
        i0 = s0[r]
        i1 = s1[r]
        Rr = R[r * nact:(r + 1) * nact]
        if i0 < npools and i1 < npools:
            for j in range(nact):
                Rr[j] = kr[j, r] * Y[j, i0] * Y[j, i1]
        elif i0 < npools:
            for j in range(nact):
                Rr[j] = kr[j, r] * Y[j, i0] * 1.0
        elif i1 < npools:
            for j in range(nact):
                Rr[j] = kr[j, r] * 1.0 * Y[j, i1]
        else:
            for j in range(nact):
                Rr[j] = kr[j, r] * 1.0 * 1.0
    for r in range(nsimple, nterms):
        a, c = sub_ptr[r], sub_ptr[r + 1]
        Rr = R[r * nact:(r + 1) * nact]
        e = mm_enz[r]
        if ttype[r] != 0 and c == a + 1 and e < npools and sub_idx[a] < npools:
            # (Michaelis-Menten of one substrate, the usual MMenz: s = 1.0 * S)
            x = sub_idx[a]
            for j in range(nact):
                sv = Y[j, x]
                Rr[j] = kr[j, r] * Y[j, e] * sv / (kmr[j, r] + sv)
            continue
        for j in range(nact):
            sv = 1.0
            for q in range(a, c):
                x = sub_idx[q]
                sv *= Y[j, x] if x < npools else 1.0
            if ttype[r] == 0:
                Rr[j] = kr[j, r] * sv
            else:
                Rr[j] = kr[j, r] * (Y[j, e] if e < npools else 1.0) * sv / (kmr[j, r] + sv)
    Rz = R[nterms * nact:(nterms + 1) * nact]
    for j in range(nact):
        Rz[j] = 0.0
    S = R[(nterms + 1) * nact:(nterms + 1 + npools) * nact]
    for i in range(npools * nact):
        S[i] = 0.0
    for q in range(ef.shape[0]):
        g = ef[q]
        Ra = R[fa[g] * nact:(fa[g] + 1) * nact]
        Rb = R[fb[g] * nact:(fb[g] + 1) * nact]
        p = ep[q]
        Sp = S[p * nact:(p + 1) * nact]
        cq = ec[q]
        for j in range(nact):
            Sp[j] += cq * (Ra[j] - Rb[j])
    K = k[:nact * npools].reshape((nact, npools))
    for p in range(npools):
        Sp = S[p * nact:(p + 1) * nact]
        for j in range(nact):
            K[j, p] = Sp[j]


#: fewest voxels whose general rates are taken term by term over the voxels
#: (:func:`_slot_rates_general`); fewer go voxel by voxel
SLOT_RATES_MIN = 4


@njit(cache=True, nogil=True, inline='always')
def _rk_step(t, y, h, A, B, E, C, nst, ks, M, ytmp, ynew, err, W, afuncs, rfuncs, fused, R):
    """One embedded RK step: ynew (higher order) and err (difference).
    With *afuncs*, the Functions assign their pools in each stage's state
    (ytmp) before its right-hand side; y is not changed.  *R*: room for
    :func:`_slot_rates_general`'s rates (general rates of a model without
    Functions, several voxels), else empty."""
    n = y.shape[0]
    slots = R.shape[0] > 0
    if afuncs:
        for i in range(n):
            ytmp[i] = y[i]
        _assign_m(t, ytmp, M, W)
        _rhs(t, ytmp, ks[0], M, W, rfuncs, fused)
    elif slots:
        _slot_rates_general(y, ks[0], M[0][0], M[0][1], M[1], M[2], M, R)
    else:
        _rhs(t, y, ks[0], M, W, rfuncs, fused)
    for s in range(1, nst):
        for i in range(n):
            ytmp[i] = y[i]
        for r in range(s):
            a = h * A[s, r]
            if a != 0.0:
                for i in range(n):
                    ytmp[i] += a * ks[r, i]
        ts = t + C[s] * h
        if afuncs:
            _assign_m(ts, ytmp, M, W)
        if slots:
            _slot_rates_general(ytmp, ks[s], M[0][0], M[0][1], M[1], M[2], M, R)
        else:
            _rhs(ts, ytmp, ks[s], M, W, rfuncs, fused)
    for i in range(n):
        ynew[i] = y[i]
        err[i] = 0.0
    for s in range(nst):
        b = h * B[s]
        e = h * E[s]
        if b != 0.0:
            for i in range(n):
                ynew[i] += b * ks[s, i]
        if e != 0.0:
            for i in range(n):
                err[i] += e * ks[s, i]


def rk_integrate(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out, I, F,
                 max_steps):
    """Integrate y (in place) from t0 to t1 with an embedded RK pair.

    Records ``y[rec_idx]`` at every time of the sorted ``sample_t`` into the
    rows of ``out`` (times at or before t0 are recorded at once).  Returns
    the last proposed step size, or -1.0 if max_steps was exceeded, or -2.0
    if the state became non-finite.  Negative values produced by round-off
    are clipped to zero after each accepted step.
    """
    info = I[I[32]:I[33]]
    if info[3] + info[4] > 0:
        fn = _rk_integrate_rf
    elif info[5] != 0:
        fn = _rk_integrate_af_fz if info[2] > 0 else _rk_integrate_nf_fz
    else:
        fn = _rk_integrate_af if info[2] > 0 else _rk_integrate_nf
    return fn(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out, I, F,
              max_steps)


@njit(cache=True, nogil=True, inline='always')
def _rk_integrate(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out, I, F,
                  max_steps, afuncs, rfuncs, fused=False):
    M = unpack(I, F)
    n = y.shape[0]
    nst = B.shape[0]
    ks = np.empty((nst, n))
    ytmp = np.empty(n)
    ynew = np.empty(n)
    err = np.empty(n)
    W = _work_parts(M, work_buffer(M))
    # the general rates over the voxels term by term (no Functions, not
    # fused, several voxels): the same numbers as voxel by voxel
    nvox = M[0][0]
    if not afuncs and not rfuncs and not fused and nvox >= SLOT_RATES_MIN:
        R = np.empty((M[0][2] + 1 + M[0][1]) * nvox)
    else:
        R = np.empty(0)
    ns = sample_t.shape[0]
    si = 0
    t = t0
    while si < ns and sample_t[si] <= t + 1e-12 * max(1.0, abs(t)):
        for q in range(rec_idx.shape[0]):
            out[si, q] = y[rec_idx[q]]
        si += 1
    if h <= 0.0:
        h = (t1 - t0) * 1e-3 if t1 > t0 else 1e-6
        h = min(h, 1e-2)
    steps = 0
    expo = 1.0 / order
    while t < t1 - 1e-12 * max(1.0, abs(t1)):
        target = t1
        if si < ns and sample_t[si] < target:
            target = sample_t[si]
        hstep = h
        hit = False
        if t + hstep >= target - 1e-12 * max(1.0, abs(target)):
            hstep = target - t
            hit = True
        elif hstep < 1e-14 * max(1.0, abs(t)):
            # the step size collapsed (rates of 1e300, a singular rate law):
            # the integration cannot advance; the caller raises
            return -3.0
        _rk_step(t, y, hstep, A, B, E, C, nst, ks, M, ytmp, ynew, err, W, afuncs, rfuncs,
                 fused, R)
        steps += 1
        if steps > max_steps:
            return -1.0
        emax = 0.0
        finite = True
        for i in range(n):
            if not math.isfinite(ynew[i]):
                finite = False
                break
            sc = atol + rtol * max(abs(y[i]), abs(ynew[i]))
            r = abs(err[i]) / sc
            if r > emax:
                emax = r
        if not finite:
            if hstep < 1e-300:
                return -2.0
            h = hstep * 0.1
            continue
        if emax <= 1.0:
            t = target if hit else t + hstep
            for i in range(n):
                v = ynew[i]
                y[i] = v if v > 0.0 else 0.0
            if afuncs:
                _assign_m(t, y, M, W)
            fac = 5.0 if emax == 0.0 else min(5.0, max(0.2, 0.9 * emax ** (-expo)))
            hn = hstep * fac
            # a step cut short to land on a sample does not shrink the next one
            h = max(hn, h) if hit else hn
            if hit and si < ns and target == sample_t[si]:
                while si < ns and sample_t[si] <= t + 1e-12 * max(1.0, abs(t)):
                    for q in range(rec_idx.shape[0]):
                        out[si, q] = y[rec_idx[q]]
                    si += 1
        else:
            h = hstep * max(0.1, 0.9 * emax ** (-expo))
    while si < ns:
        for q in range(rec_idx.shape[0]):
            out[si, q] = y[rec_idx[q]]
        si += 1
    return h


@njit(cache=True, nogil=True)
def _rk_integrate_nf(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out, I, F,
                     max_steps):
    """:func:`rk_integrate` of a model without Functions."""
    return _rk_integrate(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out,
                         I, F, max_steps, False, False)


@njit(cache=True, nogil=True)
def _rk_integrate_af(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out, I, F,
                     max_steps):
    """:func:`rk_integrate` of a model whose Functions only assign pools."""
    return _rk_integrate(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out,
                         I, F, max_steps, True, False)


@njit(cache=True, nogil=True)
def _rk_integrate_nf_fz(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out, I,
                        F, max_steps):
    """:func:`rk_integrate` of a model of plain terms (fused right-hand
    side) without Functions."""
    return _rk_integrate(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out,
                         I, F, max_steps, False, False, True)


@njit(cache=True, nogil=True)
def _rk_integrate_af_fz(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out, I,
                        F, max_steps):
    """:func:`rk_integrate` of a model of plain terms (fused right-hand
    side) whose Functions only assign pools."""
    return _rk_integrate(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out,
                         I, F, max_steps, True, False, True)


@njit(cache=True, nogil=True)
def _rk_integrate_rf(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out, I, F,
                     max_steps):
    """:func:`rk_integrate` of a model with Functions that add rates or set
    rate constants (and perhaps assign pools)."""
    return _rk_integrate(y, t0, t1, h, A, B, E, C, order, rtol, atol, sample_t, rec_idx, out,
                         I, F, max_steps, True, True)


@njit(cache=True, nogil=True)
def rhs(t, y, dydt, I, F):
    """dn/dt of the packed model into dydt."""
    M = unpack(I, F)
    rhs_m(t, y, dydt, M, work_buffer(M))


@njit(cache=True, nogil=True)
def rhs_odeint(y, t, I, F):
    """scipy odeint's callback form: returns dn/dt."""
    M = unpack(I, F)
    out = np.empty_like(y)
    rhs_m(t, y, out, M, work_buffer(M))
    return out


@njit(cache=True, nogil=True)
def jac_odeint(y, t, I, F):
    """scipy odeint's Jacobian callback (dense)."""
    n = y.shape[0]
    J = np.empty((n, n))
    jac_m(t, y, J, unpack(I, F), -1)
    return J


@njit(cache=True, nogil=True)
def rhs_gather_odeint(y, t, Gi, Gf, out):
    """scipy odeint's callback form of a one-voxel model of plain terms
    without Functions (rk_info[5] set): dn/dt into *out*, returned (an
    argument is returned without a new array; the model in two arrays:
    each array argument costs numba's dispatcher time on every call).
    Gi (uint32): npools, nflux, nx, nb, then :func:`gather_form`'s ridx,
    xg, bpool, bk, bstart, bidx; Gf: kf, kb, xc, then scratch: ftab, the
    state with 1.0 and 0.0 after it, dn/dt with a spare slot.  The same
    numbers as :func:`rhs_odeint`, bit for bit."""
    npools = np.int64(Gi[0])
    nflux = np.int64(Gi[1])
    nx = np.int64(Gi[2])
    nb = np.int64(Gi[3])
    a = 4
    ridx = Gi[a:a + 4 * nflux]
    a += 4 * nflux
    xg = Gi[a:a + nx]
    a += nx
    bpool = Gi[a:a + 4 * nb]
    a += 4 * nb
    bk = Gi[a:a + nb]
    a += nb
    bstart = Gi[a:a + nb + 1]
    bidx = Gi[a + nb + 1:]
    kf = Gf[:nflux]
    kb = Gf[nflux:2 * nflux]
    xc = Gf[2 * nflux:2 * nflux + nx]
    a = 2 * nflux + nx
    ftab = Gf[a:a + 2 * nflux + nx + 1]
    a += 2 * nflux + nx + 1
    ys = Gf[a:a + npools + 2]
    dd = Gf[a + npools + 2:]
    for i in range(npools):
        ys[i] = y[i]
    _rhs_gather(ys, dd, kf, kb, ridx, xg, xc, ftab, bstart, bk, bpool, bidx)
    for i in range(npools):
        out[i] = dd[i]
    return out


@njit(cache=True, nogil=True)
def jac_odeint_cols(y, t, I, F, JT):
    """:func:`jac_odeint` by columns into *JT* (JT[c, r] = d(dn_r/dt)/dn_c,
    odeint's col_deriv form: ODEPACK copies it without a transposition),
    returned: no 200 x 200 array made and transposed per call."""
    jac_m(t, y, JT, unpack(I, F), -2)
    return JT


@njit(cache=True, nogil=True)
def jac_banded_odeint(y, t, I, F):
    """Banded Jacobian for odeint (ml = mu = npools - 1), block-diagonal model."""
    M = unpack(I, F)
    npools = M[0][1]
    band = np.empty((2 * npools - 1, y.shape[0]))
    jac_m(t, y, band, M, npools - 1)
    return band


# --------------------------------------------------------------- tableaus
def _tab(A, B, Bhat, C):
    A = np.array(A, dtype=float)
    B = np.array(B, dtype=float)
    return A, B, B - np.array(Bhat, dtype=float), np.array(C, dtype=float)


def _fehlberg():
    A = np.zeros((6, 6))
    A[1, 0] = 1 / 4
    A[2, :2] = [3 / 32, 9 / 32]
    A[3, :3] = [1932 / 2197, -7200 / 2197, 7296 / 2197]
    A[4, :4] = [439 / 216, -8, 3680 / 513, -845 / 4104]
    A[5, :5] = [-8 / 27, 2, -3544 / 2565, 1859 / 4104, -11 / 40]
    B = [16 / 135, 0, 6656 / 12825, 28561 / 56430, -9 / 50, 2 / 55]
    Bh = [25 / 216, 0, 1408 / 2565, 2197 / 4104, -1 / 5, 0]
    return _tab(A, B, Bh, [0, 1 / 4, 3 / 8, 12 / 13, 1, 1 / 2]) + (5,)


def _cash_karp():
    A = np.zeros((6, 6))
    A[1, 0] = 1 / 5
    A[2, :2] = [3 / 40, 9 / 40]
    A[3, :3] = [3 / 10, -9 / 10, 6 / 5]
    A[4, :4] = [-11 / 54, 5 / 2, -70 / 27, 35 / 27]
    A[5, :5] = [1631 / 55296, 175 / 512, 575 / 13824, 44275 / 110592, 253 / 4096]
    B = [37 / 378, 0, 250 / 621, 125 / 594, 0, 512 / 1771]
    Bh = [2825 / 27648, 0, 18575 / 48384, 13525 / 55296, 277 / 14336, 1 / 4]
    return _tab(A, B, Bh, [0, 1 / 5, 3 / 10, 3 / 5, 1, 7 / 8]) + (5,)


def _heun_euler():
    A = np.zeros((2, 2))
    A[1, 0] = 1.0
    return _tab(A, [0.5, 0.5], [1.0, 0.0], [0, 1]) + (2,)


def _classical_rk4():
    # Classical RK4 propagates.  The error estimate is h/10 (k4 - k5), with
    # k5 = f(t + h, y_new): a conservative O(h^3) estimate (it overstates the
    # local error of the 4th-order step), so steps are controlled as order 3.
    A = np.zeros((5, 5))
    A[1, 0] = 0.5
    A[2, 1] = 0.5
    A[3, 2] = 1.0
    A[4, :4] = [1 / 6, 1 / 3, 1 / 3, 1 / 6]
    B = [1 / 6, 1 / 3, 1 / 3, 1 / 6, 0]
    # Zonneveld's embedded 3rd-order companion of classical RK4
    Bh = [1 / 6, 1 / 3, 1 / 3, 1 / 6 - 0.1, 0.1]
    return _tab(A, B, Bh, [0, 0.5, 0.5, 1, 1]) + (3,)


def _dop853():
    from scipy.integrate._ivp import dop853_coefficients as dc
    n = dc.N_STAGES
    A = np.array(dc.A[:n, :n], dtype=float)
    B = np.array(dc.B, dtype=float)
    C = np.array(dc.C[:n], dtype=float)
    E = np.array(dc.E5, dtype=float)   # 8th minus 5th order: conservative estimate
    return A, B, E, C, 6


_TABLEAUS = {}


def tableau(method):
    """(A, B, E, C, order) of an integration method name."""
    if method not in _TABLEAUS:
        _TABLEAUS[method] = {'rk5': _fehlberg, 'rkck': _cash_karp, 'rk2': _heun_euler,
                             'rk4': _classical_rk4, 'rk8': _dop853}[method]()
    return _TABLEAUS[method]
