"""``Stoich``: compiles the chemical system under ``reacSystemPath`` into
arrays for a solver.

The Stoich is only a description (compartment, ksolve, path) until
``reinit``; then :func:`compile_stoich` walks the pools, reactions, enzymes
and functions, reads their messages once, and builds a :class:`Compiled`
model: sparse reactant lists and stoichiometry, per-voxel rate constants in
molecule units, and the expression programs of absorbed Functions.  Fields
may be set in any order.  A model that cannot be compiled raises
:class:`~moosepy.core.errors.SolverError` naming the element and leaves the
tree as it was.
"""

import numpy as np

from ..core.element import Neutral
from ..core.errors import SolverError, FieldError
from ..core.fields import Field
from ..core.msg import links
from ..core.shell import wildcardFind
from ..core.units import NA
from .enz import EnzBase, Enz
from .function import Function
from .mesh import ChemCompt, voxel_volumes
from .pool import PoolBase
from .reac import ReacBase, reactants


def _obj_field(name, doc, classes):
    """A field holding a reference to another object (stored as element)."""
    f = Field(None, '', doc, type='object', stored=False)
    hid = '_' + name

    def get(self):
        el = self._el.data.get(hid)
        return None if el is None or not el.alive else el.handle(0)

    def set(self, v):
        if v is None or v == '':
            self._el.data.pop(hid, None)
            return
        from ..core.shell import resolve
        el = resolve(v)[0]
        if classes and not any(issubclass(el.cls, c) for c in classes):
            raise FieldError(f"{self.path} ({self.className}).{name}: expected a "
                             f"{' or '.join(c.__name__ for c in classes)}, got {el.path} "
                             f"({el.cls.__name__})")
        self._el.data[hid] = el
    f.getter, f.setter = get, set
    return f


class Stoich(Neutral):
    """Stoichiometry of a chemical system, compiled for a Ksolve/Gsolve at
    reinit.  Set ``compartment``, ``ksolve`` and ``reacSystemPath`` in any
    order."""

    compartment = _obj_field('compartment', 'Chemical compartment (mesh) of the system',
                             (ChemCompt,))
    ksolve = _obj_field('ksolve', 'Solver that integrates the system', ())
    dsolve = _obj_field('dsolve', 'Diffusion solver (not yet implemented)', ())
    reacSystemPath = Field('', '', 'Wildcard path of the reaction system', type='string')
    allowNegative = Field(False, '', 'Allow negative concentrations (else clipped at 0)',
                          type='bool')
    numVarPools = Field(0, '', 'Pools integrated by the solver', type='unsigned int', ro=True,
                        stored=False)
    numBufPools = Field(0, '', 'Buffered pools', type='unsigned int', ro=True, stored=False)
    numFuncPools = Field(0, '', 'Pools assigned by Functions', type='unsigned int', ro=True,
                         stored=False)
    numProxyPools = Field(0, '', 'Proxy pools (cross-compartment)', type='unsigned int',
                          ro=True, stored=False)
    numAllPools = Field(0, '', 'All pools', type='unsigned int', ro=True, stored=False)
    numRates = Field(0, '', 'Rates as MOOSE counts them: 1 per Reac, 2 per Enz, 1 per MMenz',
                     type='unsigned int',
                     ro=True, stored=False)
    status = Field(0, '', '0: compiled, 1: not yet compiled', type='int', ro=True,
                   stored=False)
    matrixEntry = Field(None, '', 'Stoichiometry matrix entries (CSR, pools x rates)',
                        type='vector', ro=True, stored=False)
    columnIndex = Field(None, '', 'Column (rate) index of each entry', type='vector', ro=True,
                        stored=False)
    rowStart = Field(None, '', 'Start of each pool row in matrixEntry', type='vector',
                     ro=True, stored=False)
    poolIdMap = Field(None, '', 'Paths of the pools in solver order', type='vector', ro=True,
                      stored=False)

    def _set_ksolve(self, v):
        _obj_field('ksolve', '', ()).setter(self, v)
        ks = self._el.data.get('_ksolve')
        if ks is not None:
            ks.data['stoich'] = self._el

    def _compiled(self):
        ks = self._el.data.get('_ksolve')
        return None if ks is None else ks.data.get('compiled')

    def _count(self, what):
        c = self._compiled()
        if c is None:
            # not reinitialised yet: compile a throw-away copy to count, as
            # MOOSE reports counts as soon as reacSystemPath is set
            try:
                c = compile_stoich(self._el)
            except Exception:
                return 0
        return getattr(c, what)

    def _get_numVarPools(self):
        return self._count('n_var')

    def _get_numBufPools(self):
        return self._count('n_buf')

    def _get_numFuncPools(self):
        return self._count('n_func')

    def _get_numProxyPools(self):
        return 0

    def _get_numAllPools(self):
        return self._count('npools')

    def _get_numRates(self):
        return self._count('n_rates')

    def _get_status(self):
        return 0 if self._compiled() is not None else 1

    def _csr(self):
        c = self._compiled()
        if c is None:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(1, int)
        N = c.stoich_matrix()
        rows, cols = np.nonzero(N)
        start = np.searchsorted(rows, np.arange(N.shape[0] + 1))
        return N[rows, cols].astype(int), cols, start

    def _get_matrixEntry(self):
        return self._csr()[0]

    def _get_columnIndex(self):
        return self._csr()[1]

    def _get_rowStart(self):
        return self._csr()[2]

    def _get_poolIdMap(self):
        c = self._compiled()
        return [] if c is None else [p.path for p in c.pool_els]


Stoich.ksolve.setter = Stoich._set_ksolve


class Compiled:
    """A chemical system compiled to arrays (molecule units, per voxel)."""

    def __init__(self):
        self.t = 0.0
        self.h = 0.0
        self.dirty = False

    def stoich_matrix(self):
        N = np.zeros((self.npools, self.nterms))
        for r in range(self.nterms):
            for q in range(self.arrays['chg_ptr'][r], self.arrays['chg_ptr'][r + 1]):
                N[self.arrays['chg_idx'][q], r] += self.arrays['chg_coef'][q]
        return N


def _pool_index(index, pel, owner, port):
    j = index.get(id(pel))
    if j is None:
        raise SolverError(f"{owner.path} ({owner.cls.__name__}): its '{port}' pool "
                          f"{pel.path} is not in the Stoich's reacSystemPath")
    return j


def compile_stoich(stoich_el):
    """Build the :class:`Compiled` model of a Stoich element; raise
    SolverError (nothing in the tree is changed) if it cannot be built."""
    h = stoich_el.handle(0)
    comp_el = stoich_el.data.get('_compartment')
    if comp_el is None or not comp_el.alive:
        raise SolverError(f"{stoich_el.path} (Stoich): 'compartment' is not set; set it to "
                          f"the mesh of the reaction system")
    path = h.reacSystemPath
    if not path:
        raise SolverError(f"{stoich_el.path} (Stoich): 'reacSystemPath' is not set "
                          f"(e.g. '{comp_el.path}/##')")
    found = [x._el for x in wildcardFind(path)]
    pools = [e for e in found if issubclass(e.cls, PoolBase)]
    reacs = [e for e in found if issubclass(e.cls, ReacBase)]
    enzs = [e for e in found if issubclass(e.cls, EnzBase)]
    funcs = [e for e in found if issubclass(e.cls, Function)]
    comp = comp_el.handle(0)
    voxvol = np.asarray(comp._voxel_volumes(), dtype=float)
    nvox = len(voxvol)
    for p in pools:
        if p.num != nvox:
            raise SolverError(f'{p.path}: has {p.num} entries but compartment {comp_el.path} '
                              f'has {nvox} voxels')
    index = {id(p): j for j, p in enumerate(pools)}
    npools = len(pools)

    sub_lists, chg_lists, ttype, mm_enz, order = [], [], [], [], []
    kval, kexp, kmval, kmexp = [], [], [], []
    term_of = {}   # (element id, 'f'/'b') -> term index, for Function rate outputs
    navol = NA * voxvol

    labels = []   # 'element path:direction' of each term (for Gsolve.numFire)
    tref = []     # pool whose volume converts each term's rate constant

    def add_term(subs, changes, k, kx, kind=0, enzj=-1, km=0.0, kmx=0.0, label='', vref=None):
        """A rate term; its per-voxel constant is k * (NA*vol)**kx (molecule
        units), and for MM terms numKm = km * (NA*vol)**kmx.  vol is that of
        pool *vref* (default: the first reactant), as the Reac/Enz fields
        convert; it differs from the Stoich's only for pools of another
        single-voxel compartment."""
        labels.append(label)
        tref.append(subs[0] if vref is None and subs else (-1 if vref is None else vref))
        sub_lists.append(subs)
        chg_lists.append(changes)
        ttype.append(kind)
        mm_enz.append(enzj)
        kval.append(float(k))
        kexp.append(float(kx))
        kmval.append(float(km))
        kmexp.append(float(kmx))
        order.append(len(subs))
        return len(sub_lists) - 1

    def changes_of(minus, plus):
        d = {}
        for j in minus:
            d[j] = d.get(j, 0) - 1
        for j in plus:
            d[j] = d.get(j, 0) + 1
        return [(j, c) for j, c in d.items() if c != 0]

    def conv(n):
        return 0.0 if n <= 1 else 1.0 - n

    def ports_of(el):
        """Pool indices on each shared port of a reaction, in one pass over
        its messages (repeats kept: they are the stoichiometry)."""
        out = {}
        for m in el.msg_out:
            o = m.el2
            if issubclass(o.cls, PoolBase):
                out.setdefault(m.srcField, []).append(
                    _pool_index(index, o, el, m.srcField))
        for m in el.msg_in:
            o = m.el1
            if issubclass(o.cls, PoolBase) and m.destField in ('sub', 'prd', 'enz', 'cplx'):
                out.setdefault(m.destField, []).append(
                    _pool_index(index, o, el, m.destField))
        return out

    for r in reacs:
        ps = ports_of(r)
        subs, prds = ps.get('sub', []), ps.get('prd', [])
        if not subs and not r.data.get('allow_zero_order'):
            raise SolverError(f"{r.path} ({r.cls.__name__}): a reaction with no substrates; "
                              f"connect at least one pool to 'sub'")
        term_of[(id(r), 'f')] = add_term(subs, changes_of(subs, prds), r.cols['_kf'][0],
                                         conv(len(subs)), label=r.path + ':f')
        if prds:
            term_of[(id(r), 'b')] = add_term(prds, changes_of(prds, subs), r.cols['_kb'][0],
                                             conv(len(prds)), label=r.path + ':b')
    for e in enzs:
        ps = ports_of(e)
        subs, prds = ps.get('sub', []), ps.get('prd', [])
        if not subs:
            raise SolverError(f"{e.path} ({e.cls.__name__}): an enzyme with no substrates; "
                              f"connect at least one pool to 'sub'")
        km = e.cols['_Km'][0]
        k3 = e.cols['_k3'][0]
        if issubclass(e.cls, Enz):
            enz = reactants(e, 'enz')
            cplx = reactants(e, 'cplx')
            if len(enz) != 1:
                raise SolverError(f"{e.path} (Enz): needs exactly one pool on 'enz', "
                                  f"has {len(enz)}")
            if len(cplx) != 1:
                raise SolverError(f"{e.path} (Enz): needs exactly one complex pool on 'cplx', "
                                  f"has {len(cplx)}")
            ej = _pool_index(index, enz[0], e, 'enz')
            cj = _pool_index(index, cplx[0], e, 'cplx')
            k2 = e.cols['_k2'][0]
            add_term([ej] + subs, changes_of([ej] + subs, [cj]), (k2 + k3) / km, -len(subs),
                     label=e.path + ':k1', vref=subs[0])
            add_term([cj], changes_of([cj], [ej] + subs), k2, 0.0, label=e.path + ':k2')
            add_term([cj], changes_of([cj], [ej] + prds), k3, 0.0, label=e.path + ':k3')
        else:
            srcs = [o for o, _p, _m, _f in links(e, 'enzDest') if issubclass(o.cls, PoolBase)]
            if len(srcs) != 1:
                raise SolverError(f"{e.path} (MMenz): needs exactly one enzyme pool sending "
                                  f"'nOut' to 'enzDest', has {len(srcs)}")
            ej = _pool_index(index, srcs[0], e, 'enzDest')
            add_term(subs, changes_of(subs, prds), k3, 0.0, 1, ej, km, len(subs),
                     label=e.path)

    held = np.array([1 if p.cls.__name__ == 'BufPool' or p.handle(0).isBuffered else 0
                     for p in pools], dtype=np.int64)

    # ---- Functions -------------------------------------------------------------
    fcode, fargs, fconsts, fstart = [], [], [], [0]
    fin_ptr, fin_idx, fin_kind = [0], [], []
    fout_kind, fout_target = [], []
    absorbed = []
    func_pools = set()
    for f in funcs:
        fh = f.handle(0)
        prog = fh._program()
        outs = []
        ok = True
        for o, j, port in fh.output_targets('valueOut'):
            if issubclass(o.cls, PoolBase) and id(o) in index and port in ('setN', 'setConc',
                                                                           'nIn'):
                outs.append((1 if port == 'setConc' else 0, index[id(o)]))
            elif issubclass(o.cls, ReacBase) and port in ('setNumKf', 'setKf', 'setNumKb',
                                                          'setKb'):
                d = 'f' if port.endswith('f') else 'b'
                t = term_of.get((id(o), d))
                if t is None:
                    ok = False
                    break
                outs.append((3 if 'Num' in port else 4, t))
            elif issubclass(o.cls, PoolBase) and id(o) in index and port == 'increment':
                outs.append((2, index[id(o)]))
            else:
                ok = False
                break
        for o, j, port in fh.output_targets('rateOut'):
            if issubclass(o.cls, PoolBase) and id(o) in index and port == 'increment':
                outs.append((2, index[id(o)]))
            else:
                ok = False
        srcs = fh.input_sources()
        ins = []
        for k in range(max(prog.nvars, len(srcs))):
            s = srcs[k] if k < len(srcs) else []
            if not s:
                ins.append((-1, 0))
                continue
            o, j, fld = s[-1]
            if issubclass(o.cls, PoolBase) and id(o) in index and fld in ('n', 'conc'):
                ins.append((index[id(o)], 1 if fld == 'conc' else 0))
            else:
                ok = False
        if not ok or not outs:
            continue   # runs in Python on its own tick
        absorbed.append(f)
        for kind, tgt in outs:
            off = len(fconsts)
            code = list(prog.code)
            args = [a + off if c == 0 else a for c, a in zip(code, prog.args)]
            fcode += code
            fargs += args
            fconsts += list(prog.consts)
            fstart.append(len(fcode))
            for j, k in ins:
                fin_idx.append(j)
                fin_kind.append(k)
            fin_ptr.append(len(fin_idx))
            fout_kind.append(kind)
            fout_target.append(tgt)
            if kind <= 1:
                if tgt in func_pools:
                    raise SolverError(f'{pools[tgt].path}: assigned by more than one Function')
                func_pools.add(tgt)
                held[tgt] = 1
    nterms = len(sub_lists)
    # terms sorted by shape (reactant and change counts): the kernel's short
    # inner loops then have predictable trip counts
    perm = sorted(range(nterms), key=lambda r: (ttype[r], len(sub_lists[r]),
                                                len(chg_lists[r])))
    inv = {old: new for new, old in enumerate(perm)}
    sub_lists = [sub_lists[r] for r in perm]
    chg_lists = [chg_lists[r] for r in perm]
    ttype, mm_enz, order = ([x[r] for r in perm] for x in (ttype, mm_enz, order))
    kval, kexp, kmval, kmexp = (np.array([x[r] for r in perm], dtype=float)
                                for x in (kval, kexp, kmval, kmexp))
    fout_target = [inv[t] if k >= 3 else t for k, t in zip(fout_kind, fout_target)]
    A = {}
    A['dims'] = [nvox, npools, nterms, len(fout_kind)]
    A['kk'] = kval[None, :] * navol[:, None] ** kexp[None, :]
    A['km'] = kmval[None, :] * navol[:, None] ** kmexp[None, :]
    if nvox == 1 and pools:
        # pools of several single-voxel compartments in one system (e.g. a
        # kkit model whose reactions cross compartments): each term converts
        # with the volume of its own reference pool
        pvol = np.array([float(voxel_volumes(p)[0]) for p in pools])
        if np.any(pvol != voxvol[0]):
            tv = np.array([pvol[tref[r]] if tref[r] >= 0 else voxvol[0] for r in perm])
            A['kk'] = (kval * (NA * tv) ** kexp)[None, :]
            A['km'] = (kmval * (NA * tv) ** kmexp)[None, :]
    A['ttype'] = ttype
    A['sub_ptr'] = np.concatenate([[0], np.cumsum([len(s) for s in sub_lists])]).astype(int)
    A['sub_idx'] = [j for s in sub_lists for j in s]
    A['sub0'] = [s[0] if len(s) > 0 else npools for s in sub_lists]
    A['sub1'] = [s[1] if len(s) > 1 else npools for s in sub_lists]
    rows = sorted((j, r, c) for r, chg in enumerate(chg_lists) for j, c in chg)
    A['row_ptr'] = np.searchsorted([j for j, _, _ in rows], np.arange(npools + 1))
    A['row_term'] = [r for _, r, _ in rows]
    A['row_coef'] = [float(c) for _, _, c in rows]
    A['chg_ptr'] = np.concatenate([[0], np.cumsum([len(c) for c in chg_lists])]).astype(int)
    A['chg_idx'] = [j for c in chg_lists for j, _ in c]
    A['chg_coef'] = [float(v) for c in chg_lists for _, v in c]
    A['mm_enz'] = mm_enz
    A['held'] = held
    A['fcode'], A['fargs'], A['fconsts'], A['fstart'] = fcode, fargs, fconsts, fstart
    A['fin_ptr'], A['fin_idx'], A['fin_kind'] = fin_ptr, fin_idx, fin_kind
    A['fout_kind'], A['fout_target'] = fout_kind, fout_target
    A['term_order'] = np.array(order, dtype=float)
    A['voxvol'] = voxvol
    A.update(flux_arrays(chg_lists, ttype, order, held, fout_kind, npools))
    c = Compiled()
    c.arrays = A
    c.term_labels = [labels[r] for r in perm]
    c.pool_els = pools
    c.reac_els, c.enz_els, c.func_els = reacs, enzs, absorbed
    c.npools, c.nvox, c.nterms = npools, nvox, nterms
    c.voxvol = voxvol
    c.n_func = len(func_pools)
    c.n_buf = int(sum(1 for j, p in enumerate(pools) if held[j] and j not in func_pools))
    c.n_var = npools - c.n_buf - c.n_func
    c.allow_negative = bool(h.allowNegative)
    c.n_rates = len(reacs) + sum(2 if issubclass(e.cls, Enz) else 1 for e in enzs)
    return c


def flux_arrays(chg_lists, ttype, order, held, fout_kind, npools):
    """Arrays of the explicit integrators' right-hand side (kernels.rhs_m).

    Terms whose changes of the free (not held) pools are opposite (the two
    directions of a Reac, an Enz's binding and unbinding) are netted into
    one flux, rate[a] - rate[b], that is then scattered to the free pools
    it changes (held pools get no entries: their dn/dt is 0).  Fluxes of a
    single term have b = nterms, a rate slot that holds 0.  ``rk_info`` =
    [terms of plain mass action of order <= 2 (they come first), fluxes,
    assigning Functions, Functions adding rates, Functions setting rate
    constants]."""
    nterms = len(chg_lists)
    free = [[(j, c) for j, c in chg if not held[j]] for chg in chg_lists]
    keys = [tuple(sorted(f)) for f in free]
    waiting = {}
    for r in range(nterms):
        waiting.setdefault(keys[r], []).append(r)
    used = [False] * nterms
    fa, fb, ent = [], [], []
    for r in range(nterms):
        if used[r] or not free[r]:
            continue
        used[r] = True
        neg = tuple(sorted((j, -c) for j, c in free[r]))
        partner = nterms
        for q in waiting.get(neg, ()):
            if not used[q]:
                partner = q
                used[q] = True
                break
        ent += [(len(fa), j, c) for j, c in free[r]]
        fa.append(r)
        fb.append(partner)
    nsimple = 0
    while nsimple < nterms and ttype[nsimple] == 0 and order[nsimple] <= 2:
        nsimple += 1
    fk = list(fout_kind)
    return {'rk_info': [nsimple, len(fa), sum(1 for k in fk if k <= 1),
                        sum(1 for k in fk if k == 2), sum(1 for k in fk if k >= 3)],
            'flux_a': fa, 'flux_b': fb, 'ent_flux': [g for g, _, _ in ent],
            'ent_pool': [j for _, j, _ in ent], 'ent_coef': [float(c) for _, _, c in ent]}
