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
from ..core.shell import wildcard_elements
from ..core import structure
from ..core.units import NA
from .concchan import ConcChan, chan_pools
from .enz import EnzBase, Enz
from .function import Function
from .mesh import ChemCompt, DEFAULT_VOLUME, compartment_of
from .pool import PoolBase
from .reac import ReacBase


def _obj_field(name, doc, classes):
    """A field holding a reference to another object (stored as element)."""
    f = Field(None, '', doc, type='object', stored=False)
    hid = '_' + name

    def get(self):
        el = self._el.data.get(hid)
        return None if el is None or not el.alive else el.handle(0)

    def set(self, v):
        structure.changed()
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
    dsolve = _obj_field('dsolve', 'Diffusion solver (Dsolve) that moves the pools between '
                        'voxels', ())
    reacSystemPath = Field('', '', 'Wildcard path of the reaction system', type='string',
                           structural=True)
    path = Field('', '', "Full path of this object.  MOOSE 4's Stoich.path (the reaction "
                 "system) is reacSystemPath since MOOSE 5; assigning path, as old scripts do, "
                 "changes nothing and warns, as MOOSE 5.0 does", type='string', stored=False)

    _get_path = Neutral._get_path

    def _set_reacSystemPath(self, value):
        self._el.cols['reacSystemPath'][self._idx] = value
        # what MOOSE's Stoich does to its objects at once (pools read 0 until
        # reinit, their Functions leave the clock): see takeover.py
        from .takeover import take_over
        take_over(self._el, value)

    def _set_path(self, value):
        # MOOSE 5.0 prints "No field or child named 'setPath'" and goes on:
        # the system is not built, its Ksolve then solves nothing
        import warnings
        warnings.warn(
            f"{self.path} (Stoich): 'path' is this element's path and cannot be set; "
            f"assigning {value!r} changes nothing (as in MOOSE 5.0). The reaction system is "
            f"set by reacSystemPath (MOOSE 4's Stoich.path)", stacklevel=4)
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

    def _set_dsolve(self, v):
        from .dsolve import Dsolve
        old = self._el.data.get('_dsolve')
        if v is not None and v != '':
            from ..core.shell import resolve
            el = resolve(v)[0]
            if not issubclass(el.cls, Dsolve):
                raise FieldError(f"{self.path} (Stoich).dsolve: expected a Dsolve, got "
                                 f"{el.path} ({el.cls.__name__})")
        _obj_field('dsolve', '', ()).setter(self, v)
        if old is not None and old.data.get('stoich') is self._el:
            old.data.pop('stoich', None)
        ds = self._el.data.get('_dsolve')
        if ds is not None:
            ds.data['stoich'] = self._el

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
Stoich.dsolve.setter = Stoich._set_dsolve


# ------------------------------------------------------------------ compiling
#
# Compiling is two steps.  build_layout() reads the structure (which pools,
# reactions, enzymes and Functions, and the messages between them) into
# arrays; it is kept on the Stoich and reused until core.structure's version
# moves.  read_values() gathers the values (rate constants, Km, volumes,
# Function constants) from the objects' columns at every compile, so a value
# set between runs is always seen and never costs a rebuild.

_PORTS = ('sub', 'prd', 'enz', 'cplx', 'enzDest')
_PORT = {p: k for k, p in enumerate(_PORTS)}
SUB, PRD, ENZ, CPLX, ENZDEST = range(5)
# what a term's rate constant is made of (Layout.rkind)
KF, KB, K1, K2, K3, MM = range(6)
_SUFFIX = (':f', ':b', ':k1', ':k2', ':k3', '')
# (first, second) port segment of the reactants R and of the products P of a
# term of each kind; its changes are P - R (-1: no segment)
_R_SEGS = ((SUB, -1), (PRD, -1), (ENZ, SUB), (CPLX, -1), (CPLX, -1), (SUB, -1))
_P_SEGS = ((PRD, -1), (SUB, -1), (CPLX, -1), (ENZ, SUB), (ENZ, PRD), (PRD, -1))

_kinds = {}


def _kind(cls):
    """0 pool, 1 reaction, 2 Enz, 3 MMenz (or other enzyme), 4 Function,
    5 ConcChan, -1 anything else; cached per class."""
    k = _kinds.get(cls)
    if k is None:
        k = (0 if issubclass(cls, PoolBase) else 1 if issubclass(cls, ReacBase)
             else 2 if issubclass(cls, Enz) else 3 if issubclass(cls, EnzBase)
             else 4 if issubclass(cls, Function) else 5 if issubclass(cls, ConcChan) else -1)
        _kinds[cls] = k
    return k


_held_cls = {}


def _held_class(el):
    """Pools of this class are held at their initial value (BufPool)."""
    v = _held_cls.get(el.cls)
    if v is None:
        v = el.cls.__name__ == 'BufPool' or bool(el.handle(0).isBuffered)
        _held_cls[el.cls] = v
    return v


def _ragged(starts, lens):
    """Concatenated ranges starts[i] .. starts[i] + lens[i]."""
    lens = np.asarray(lens, dtype=np.int64)
    tot = int(lens.sum())
    if tot == 0:
        return np.zeros(0, dtype=np.int64)
    off = np.cumsum(lens) - lens
    return np.repeat(np.asarray(starts, dtype=np.int64) - off, lens) + np.arange(tot)


class Layout:
    """What the structure of a chemical system fixes: the pools, reactions,
    enzymes and absorbed Functions, the reactant and change lists of every
    rate term (sorted as the kernels want them), and, per term, where its
    rate constant comes from (``rkind``: KF, KB, K1, K2, K3, MM; ``robj``:
    the reaction or enzyme; ``kexp``/``kmexp``: the power of NA*volume that
    turns it into molecule units).  Built by :func:`build_layout` at
    structure version ``version``."""

    @property
    def labels(self):
        """'element path:direction' of each term (for Gsolve.rateLabels)."""
        if self._labels is None:
            objs = self.reacs + self.enzs
            off = np.where(self.rkind <= KB, 0, len(self.reacs))
            paths = {}
            out = []
            for k, o in zip(self.rkind.tolist(), (self.robj + off).tolist()):
                p = paths.get(o)
                if p is None:
                    p = paths[o] = objs[o].path
                out.append(p + _SUFFIX[k])
            self._labels = out
        return self._labels


class Compiled:
    """A chemical system compiled to arrays (molecule units, per voxel): a
    :class:`Layout` with the values read at one compile."""

    def __init__(self, layout, values, allow_negative):
        self.t = 0.0
        self.h = 0.0
        self.dirty = False
        self.layout = layout
        A = dict(layout.arrays)
        A.update(values)
        self.arrays = A
        self.pool_els = layout.pools
        self.reac_els, self.enz_els, self.func_els = layout.reacs, layout.enzs, layout.absorbed
        self.npools, self.nvox, self.nterms = layout.npools, layout.nvox, layout.nterms
        self.voxvol = values['voxvol']
        self.n_func, self.n_buf, self.n_var = layout.n_func, layout.n_buf, layout.n_var
        self.n_rates = layout.n_rates
        self.allow_negative = allow_negative

    @property
    def term_labels(self):
        return self.layout.labels

    def stoich_matrix(self):
        N = np.zeros((self.npools, self.nterms))
        for r in range(self.nterms):
            for q in range(self.arrays['chg_ptr'][r], self.arrays['chg_ptr'][r + 1]):
                N[self.arrays['chg_idx'][q], r] += self.arrays['chg_coef'][q]
        return N


def _pool_error(owner, port, pel):
    return SolverError(f"{owner.path} ({owner.cls.__name__}): its '{port}' pool "
                       f"{pel.path} is not in the Stoich's reacSystemPath")


def compile_stoich(stoich_el):
    """The :class:`Compiled` model of a Stoich element: its layout (kept on
    the Stoich while the structure is unchanged, else built again) and the
    values read now.  Raises SolverError (nothing in the tree is changed) if
    it cannot be compiled."""
    lay = stoich_el.data.get('_layout')
    vals = None
    if lay is not None and lay.version == structure.version():
        vals = read_values(lay)
    if vals is None:
        stoich_el.data.pop('_layout', None)
        lay = build_layout(stoich_el)
        vals = read_values(lay)
        if vals is None:
            raise SolverError(f'{stoich_el.path} (Stoich): the model changed while it was '
                              f'compiled')
        stoich_el.data['_layout'] = lay
        stoich_el.data['_builds'] = stoich_el.data.get('_builds', 0) + 1
    return Compiled(lay, vals, bool(stoich_el.cols['allowNegative'][0]))


def num_builds(stoich):
    """How many times the layout of *stoich* (a Stoich or its element) was
    built, for tests that a run of reinits reuses it."""
    el = getattr(stoich, '_el', stoich)
    return el.data.get('_builds', 0)


def _col(els, name):
    """Entry 0 of column *name* of each element, as a float array."""
    return np.fromiter((e.cols[name][0] for e in els), dtype=np.float64, count=len(els))


def read_values(L):
    """Rate constants per voxel in molecule units (kk, km), Function
    constants and voxel volumes of layout *L*, read from the objects now.
    None if what was read no longer fits the layout (build it again)."""
    comp = L.comp_el
    if not comp.alive:
        return None
    voxvol = np.asarray(comp.handle(0)._voxel_volumes(), dtype=float)
    if len(voxvol) != L.nvox:
        return None
    nr = len(L.reacs) - L.n_chans
    kf, kb = _col(L.reacs[:nr], '_kf'), _col(L.reacs[:nr], '_kb')
    if L.n_chans:
        # a ConcChan's two terms: permeability [1/(mM s)], times numChan where
        # no channel pool is a reactant; kexp -1 makes it per molecule
        chans = L.reacs[nr:]
        kc = _col(chans, 'permeability') * np.where(L.chan_fixed, _col(chans, '_numChan'),
                                                    1.0)
        kf, kb = np.concatenate([kf, kc]), np.concatenate([kb, kc])
    km_e, k3 = _col(L.enzs, '_Km'), _col(L.enzs, '_k3')
    k2 = np.fromiter((e.cols['_k2'][0] if '_k2' in e.cols else 0.0 for e in L.enzs),
                     dtype=np.float64, count=len(L.enzs))
    rk, ro = L.rkind, L.robj
    kval = np.zeros(L.nterms)
    kmval = np.zeros(L.nterms)
    for kind, src in ((KF, kf), (KB, kb), (K2, k2), (K3, k3), (MM, k3)):
        sel = rk == kind
        kval[sel] = src[ro[sel]]
    sel = rk == K1
    e = ro[sel]
    kval[sel] = (k2[e] + k3[e]) / km_e[e]
    sel = rk == MM
    kmval[sel] = km_e[ro[sel]]
    cvol = None
    if L.nvox == 1 and L.npools:
        cvol = np.array([DEFAULT_VOLUME if c is None else
                         float(c.handle(0)._voxel_volumes()[0]) for c in L.pool_comps])
    fconsts = []
    for f, code, args, nconst in L.func_progs:
        prog = f.handle(0)._program()
        if (len(prog.consts) != nconst or not np.array_equal(prog.code, code)
                or not np.array_equal(prog.args, args)):
            return None
        fconsts.append(prog.consts)
    fconsts = np.concatenate(fconsts) if fconsts else np.zeros(0)
    key = (kval, kmval, voxvol, cvol, fconsts)
    last = L.last_values
    if last is not None and all(a is None and b is None or a is not None and b is not None
                                and np.array_equal(a, b) for a, b in zip(key, last[0])):
        return last[1]        # nothing changed: the same arrays (solvers reuse their packing)
    # per voxel: k * (NA*vol)**kexp, computed once per distinct volume
    uvol, vox_of = np.unique(NA * voxvol, return_inverse=True)
    kk = (kval[None, :] * uvol[:, None] ** L.kexp[None, :])[vox_of.ravel()]
    km = (kmval[None, :] * uvol[:, None] ** L.kmexp[None, :])[vox_of.ravel()]
    if cvol is not None:
        # pools of several single-voxel compartments in one system (e.g. a
        # kkit model whose reactions cross compartments): each term converts
        # with the volume of its own reference pool
        pvol = cvol[L.pool_comp]
        if np.any(pvol != voxvol[0]):
            tv = np.where(L.tref >= 0, pvol[np.maximum(L.tref, 0)], voxvol[0])
            kk = (kval * (NA * tv) ** L.kexp)[None, :]
            km = (kmval * (NA * tv) ** L.kmexp)[None, :]
            sel = L.reac_term
            if sel.any():
                # MOOSE's convention for Reacs (see reac.py): K divided by
                # the product of NA*V over the term's reactants, times NA*V
                # of the forward reaction's first substrate
                lv = np.log(NA * pvol)
                sp, si = L.arrays['sub_ptr'], L.arrays['sub_idx']
                cs = np.concatenate([[0.0], np.cumsum(lv[si])])
                tsum = cs[sp[1:]] - cs[sp[:-1]]
                ref = lv[np.maximum(L.fwd_ref, 0)]
                kk[0, sel] = kval[sel] * np.exp(ref[sel] - tsum[sel])
    out = {'kk': kk, 'km': km, 'fconsts': fconsts, 'voxvol': voxvol}
    L.last_values = (key, out)
    return out


def build_layout(stoich_el):
    """Read the structure of a Stoich's reaction system into a
    :class:`Layout`: one pass over the objects' messages, the rest in bulk
    array operations.  Raises SolverError naming the element if the system
    cannot be compiled."""
    version = structure.version()
    h = stoich_el.handle(0)
    comp_el = stoich_el.data.get('_compartment')
    if comp_el is None or not comp_el.alive:
        raise SolverError(f"{stoich_el.path} (Stoich): 'compartment' is not set; set it to "
                          f"the mesh of the reaction system")
    path = h.reacSystemPath
    if not path:
        raise SolverError(f"{stoich_el.path} (Stoich): 'reacSystemPath' is not set "
                          f"(e.g. '{comp_el.path}/##')")
    groups = ([], [], [], [], [], [])  # pools, reactions, enzymes, (unused), Functions, ConcChans
    for el in wildcard_elements(path):
        k = _kind(el.cls)
        if k >= 0:
            groups[2 if k == 3 else k].append(el)
    pools, reacs, enzs, _unused, funcs, chans = groups
    nvox = len(comp_el.handle(0)._voxel_volumes())
    # pools of one entry not spread yet (reacSystemPath set before the
    # compartment or the ksolve): spread now, as MOOSE's Stoich does
    from .mesh import spread_pool
    for p in pools:
        if p.num == 1 and nvox != 1:
            spread_pool(p)
    nums = np.fromiter((p.num for p in pools), dtype=np.int64, count=len(pools))
    bad = np.nonzero(nums != nvox)[0]
    if len(bad):
        p = pools[bad[0]]
        raise SolverError(f'{p.path}: has {p.num} entries but compartment {comp_el.path} '
                          f'has {nvox} voxels')
    npools = len(pools)
    index = {id(p): j for j, p in enumerate(pools)}

    # ---- ConcChans become reactions after the Reacs (see concchan.py); one
    # whose pools lie in two Stoichs joined by Dsolves is the junction's
    cross_chans = []
    if stoich_el.data.get('_dsolve') is not None:
        chans, cross_chans = _split_cross_chans(chans, index)
    chan_fixed = _chan_entries(chans, index, path)
    nreac = len(reacs)
    reacs = reacs + chans

    # ---- messages of reactions and enzymes: one pass, in message order
    objs = reacs + enzs
    nobj = len(objs)
    e_obj, e_port, e_pool = [], [], []
    missing = {}
    for k, el in enumerate(objs):
        for m in el.msg_out:
            c = _PORT.get(m.srcField)
            if c is not None and _kind(m.el2.cls) == 0:
                j = index.get(id(m.el2), -1)
                if j < 0:
                    missing[len(e_obj)] = m.el2
                e_obj.append(k)
                e_port.append(c)
                e_pool.append(j)
        for m in el.msg_in:
            c = _PORT.get(m.destField)
            if c is not None and _kind(m.el1.cls) == 0:
                j = index.get(id(m.el1), -1)
                if j < 0:
                    missing[len(e_obj)] = m.el1
                e_obj.append(k)
                e_port.append(c)
                e_pool.append(j)
    for k, (ents, _fixed) in enumerate(chan_fixed):
        for port, j in ents:
            e_obj.append(nreac + k)
            e_port.append(port)
            e_pool.append(j)
    e_obj = np.asarray(e_obj, dtype=np.int64)
    e_port = np.asarray(e_port, dtype=np.int64)
    e_pool = np.asarray(e_pool, dtype=np.int64)
    cnt = np.bincount(e_obj * 5 + e_port, minlength=nobj * 5).reshape(nobj, 5)
    okind = np.array([1] * len(reacs) + [_kind(e.cls) for e in enzs], dtype=np.int64)
    _check(objs, okind, cnt, e_obj, e_port, missing)

    # entries grouped by (object, port), message order kept within
    o = np.lexsort((np.arange(len(e_obj)), e_port, e_obj))
    seg_pool = e_pool[o]
    seg_start = (np.cumsum(cnt.ravel()) - cnt.ravel()).reshape(nobj, 5)

    # ---- terms: per reaction f (and b if it has products); per Enz k1, k2,
    # k3; per MMenz one; in object order
    is_reac = okind == 1
    nt = np.where(is_reac, 1 + (cnt[:, PRD] > 0), np.where(okind == 2, 3, 1))
    nterms = int(nt.sum())
    t_obj = np.repeat(np.arange(nobj), nt)
    t_sub = np.arange(nterms) - np.repeat(np.cumsum(nt) - nt, nt)   # 0, 1, 2 within object
    t_kind = np.where(is_reac[t_obj], KF + t_sub,
                      np.where(okind[t_obj] == 2, K1 + t_sub, MM))

    def expand(segs):
        """Pools and term of the entries of segment lists (R or P) of all terms."""
        ports = np.array(segs, dtype=np.int64)[t_kind]          # (nterms, 2)
        lens = np.where(ports >= 0, cnt[t_obj[:, None], np.maximum(ports, 0)], 0)
        starts = seg_start[t_obj[:, None], np.maximum(ports, 0)]
        lens, starts = lens.ravel(), starts.ravel()
        idx = _ragged(starts, lens)
        return seg_pool[idx], np.repeat(np.repeat(np.arange(nterms), 2), lens)

    r_pool, r_term = expand(_R_SEGS)
    p_pool, p_term = expand(_P_SEGS)
    n_r = np.bincount(r_term, minlength=nterms)
    # changes P - R, netted per (term, pool), in order of first appearance
    # (reactants first)
    a_term = np.concatenate([r_term, p_term])
    a_pool = np.concatenate([r_pool, p_pool])
    a_coef = np.concatenate([-np.ones(len(r_term)), np.ones(len(p_term))])
    a_side = np.concatenate([np.zeros(len(r_term), np.int64), np.ones(len(p_term), np.int64)])
    o = np.lexsort((np.arange(len(a_term)), a_side, a_term))
    key = a_term[o] * (npools + 1) + a_pool[o]
    _u, first, inv = np.unique(key, return_index=True, return_inverse=True)
    net = np.bincount(inv.ravel(), weights=a_coef[o], minlength=len(_u))
    keep = np.nonzero(net != 0)[0]
    keep = keep[np.argsort(first[keep], kind='stable')]
    c_term = a_term[o][first[keep]]
    c_pool = a_pool[o][first[keep]]
    c_coef = net[keep]
    n_c = np.bincount(c_term, minlength=nterms)

    ttype = (t_kind == MM).astype(np.int64)
    t_enzdest = np.full(nterms, -1, dtype=np.int64)
    mm = np.nonzero(t_kind == MM)[0]
    if len(mm):
        t_enzdest[mm] = seg_pool[seg_start[t_obj[mm], ENZDEST]]
    # terms sorted by shape (type, reactant and change counts): the kernel's
    # short inner loops then have predictable trip counts
    perm = np.lexsort((n_c, n_r, ttype))
    inv_perm = np.empty(nterms, dtype=np.int64)
    inv_perm[perm] = np.arange(nterms)

    def by_new_term(terms, *cols):
        q = np.argsort(inv_perm[terms], kind='stable')
        return [c[q] for c in cols]

    sub_idx, = by_new_term(r_term, r_pool)
    chg_idx, chg_coef, chg_newterm = by_new_term(c_term, c_pool, c_coef, inv_perm[c_term])
    n_r_p, n_c_p = n_r[perm], n_c[perm]
    sub_ptr = np.concatenate([[0], np.cumsum(n_r_p)]).astype(np.int64)
    chg_ptr = np.concatenate([[0], np.cumsum(n_c_p)]).astype(np.int64)
    sub0 = np.where(n_r_p > 0, sub_idx[np.minimum(sub_ptr[:-1], max(len(sub_idx) - 1, 0))]
                    if len(sub_idx) else npools, npools)
    sub1 = np.where(n_r_p > 1, sub_idx[np.minimum(sub_ptr[:-1] + 1, max(len(sub_idx) - 1, 0))]
                    if len(sub_idx) else npools, npools)
    rows = np.lexsort((chg_newterm, chg_idx))
    held = np.fromiter((_held_class(p) for p in pools), dtype=np.int64, count=npools)

    # rate constant recipe, per term (new order)
    rkind = t_kind[perm]
    robj = t_obj[perm] - np.where(rkind <= KB, 0, len(reacs))
    nsub_p = n_r_p - (rkind == K1)
    kexp = np.where(rkind <= KB, np.where(n_r_p <= 1, 0.0, 1.0 - n_r_p),
                    np.where(rkind == K1, -nsub_p.astype(float), 0.0)).astype(float)
    kmexp = np.where(rkind == MM, n_r_p, 0).astype(float)
    if chans:
        # per channel molecule and per molecule of the pool: 1/(NA * V) always
        # (also where a fixed numChan leaves one reactant)
        kexp[(rkind <= KB) & (robj >= nreac)] = -1.0
    first_r = sub_idx[np.minimum(sub_ptr[:-1], max(len(sub_idx) - 1, 0))] \
        if len(sub_idx) else np.zeros(nterms, np.int64)
    second_r = sub_idx[np.minimum(sub_ptr[:-1] + 1, max(len(sub_idx) - 1, 0))] \
        if len(sub_idx) else np.zeros(nterms, np.int64)
    tref = np.where(rkind == K1, second_r, np.where(n_r_p > 0, first_r, -1))
    # a Reac's terms across compartments convert as MOOSE's (reac.py): the
    # volume product of the term's reactants over the forward first substrate
    reac_term = (rkind <= KB) & (robj < nreac) & (n_r_p > 0)
    fwd_first = np.full(max(nreac, 1), -1, dtype=np.int64)
    sel = reac_term & (rkind == KF)
    fwd_first[robj[sel]] = first_r[sel]
    fwd_ref = np.where(reac_term, fwd_first[np.where(reac_term, robj, 0)], -1)
    fwd_ref = np.where(reac_term & (fwd_ref < 0), first_r, fwd_ref)

    # ---- Functions (few: a loop)
    func = _functions(funcs, index, pools, reacs, objs, t_obj, t_kind, inv_perm, held)

    L = Layout()
    L._labels = None
    L.last_values = None
    L.version = version
    L.comp_el = comp_el
    L.pools, L.reacs, L.enzs = pools, reacs, enzs
    L.n_chans = len(chans)
    L.cross_chans = cross_chans
    L.chan_fixed = np.array([f for _e, f in chan_fixed], dtype=bool)
    L.absorbed = func['absorbed']
    L.func_progs = func['progs']
    L.npools, L.nvox, L.nterms = npools, nvox, nterms
    L.rkind, L.robj, L.kexp, L.kmexp, L.tref = rkind, robj, kexp, kmexp, tref
    L.reac_term, L.fwd_ref = reac_term, fwd_ref
    comps, pool_comp = _pool_compartments(pools)
    L.pool_comps, L.pool_comp = comps, pool_comp
    nf = len(func['fout_kind'])
    A = {}
    A['dims'] = np.array([nvox, npools, nterms, nf], dtype=np.int64)
    A['ttype'] = ttype[perm]
    A['sub_ptr'], A['sub_idx'] = sub_ptr, sub_idx
    A['sub0'], A['sub1'] = np.asarray(sub0, np.int64), np.asarray(sub1, np.int64)
    A['row_ptr'] = np.searchsorted(chg_idx[rows], np.arange(npools + 1)).astype(np.int64)
    A['row_term'] = chg_newterm[rows]
    A['row_coef'] = chg_coef[rows]
    A['chg_ptr'], A['chg_idx'], A['chg_coef'] = chg_ptr, chg_idx, chg_coef
    A['mm_enz'] = t_enzdest[perm]
    A['held'] = held
    for k in ('fcode', 'fargs', 'fstart', 'fin_ptr', 'fin_idx', 'fin_kind', 'fout_kind',
              'fout_target'):
        A[k] = np.asarray(func[k], dtype=np.int64)
    A['term_order'] = n_r_p.astype(float)
    A.update(_flux_arrays(chg_ptr, chg_idx, chg_coef, held, A['ttype'], n_r_p,
                          A['fout_kind'], nterms, A['sub0'], A['sub1'], npools))
    L.arrays = A
    L.n_func = len(func['func_pools'])
    L.n_buf = int(held.sum()) - L.n_func
    L.n_var = npools - L.n_buf - L.n_func
    L.n_rates = nreac + int(np.sum(np.where(okind == 2, 2, 1)[len(reacs):]))
    return L


def _split_cross_chans(chans, index):
    """(ConcChans with both pools in this Stoich, the others): a ConcChan
    one of whose 'in'/'out' pools lies outside a Stoich that has a Dsolve
    runs across the Dsolve junction (dsolve.py) instead."""
    inside, cross = [], []
    for el in chans:
        ins, outs, _chan = chan_pools(el)
        if len(ins) == 1 and len(outs) == 1 and (id(ins[0]) in index) != (id(outs[0]) in index):
            cross.append(el)
        else:
            inside.append(el)
    return inside, cross


def _chan_entries(chans, index, path):
    """Per ConcChan: its reactant entries [(port, pool index)] as a reaction
    out + chan -> in + chan (SUB: outer pool then the channel pool, PRD:
    inner pool then the channel pool; the first reactant of each direction
    gives the volume that converts it), and whether it has no channel pool
    (then numChan is a constant factor).  Raises SolverError naming the
    ConcChan if a pool is missing or outside the reaction system."""
    out = []
    for el in chans:
        ins, outs, chan = chan_pools(el)
        for port, ps in (('in', ins), ('out', outs)):
            if len(ps) != 1:
                raise SolverError(f"{el.path} (ConcChan): needs exactly one pool on '{port}', "
                                  f"has {len(ps)}")
        if len(chan) > 1:
            raise SolverError(f"{el.path} (ConcChan): {len(chan)} pools send nOut to "
                              f"setNumChan; connect one channel pool")
        for port, ps in (('in', ins), ('out', outs), ('setNumChan', chan)):
            if ps and id(ps[0]) not in index:
                raise SolverError(
                    f"{el.path} (ConcChan): its '{port}' pool {ps[0].path} is not in the "
                    f"Stoich's reacSystemPath '{path}'; a ConcChan runs inside one Stoich: "
                    f"give the compartments of its pools one Stoich (MOOSE's membrane "
                    f"junction between two Dsolves is not supported)")
        if ins[0] is outs[0]:
            raise SolverError(f"{el.path} (ConcChan): 'in' and 'out' are the same pool "
                              f"{ins[0].path}")
        ents = [(SUB, index[id(outs[0])])]
        if chan:
            ents.append((SUB, index[id(chan[0])]))
        ents.append((PRD, index[id(ins[0])]))
        if chan:
            ents.append((PRD, index[id(chan[0])]))
        out.append((ents, not chan))
    return out


def _check(objs, okind, cnt, e_obj, e_port, missing):
    """Raise the first error of the reactions and enzymes, in object order
    (the counts are checked in bulk; the loop runs only on a bad model)."""
    nsub = cnt[:, SUB]
    bad = (nsub == 0) & (okind != 1)
    bad |= (okind == 2) & ((cnt[:, ENZ] != 1) | (cnt[:, CPLX] != 1))
    bad |= (okind == 3) & (cnt[:, ENZDEST] != 1)
    zero = np.nonzero((nsub == 0) & (okind == 1))[0]
    for k in zero:
        if not objs[k].data.get('allow_zero_order'):
            bad[k] = True
    if missing:
        bad[e_obj[list(missing)]] = True
    if not bad.any():
        return
    mpos = {}
    for q in sorted(missing):
        mpos.setdefault(int(e_obj[q]), []).append(q)
    for k in np.nonzero(bad)[0]:
        el = objs[k]
        name = el.cls.__name__
        for q in mpos.get(int(k), ()):
            if e_port[q] != ENZDEST:
                raise _pool_error(el, _PORTS[e_port[q]], missing[q])
        if okind[k] == 1:
            if nsub[k] == 0 and not el.data.get('allow_zero_order'):
                raise SolverError(f"{el.path} ({name}): a reaction with no substrates; "
                                  f"connect at least one pool to 'sub'")
            continue
        if nsub[k] == 0:
            raise SolverError(f"{el.path} ({name}): an enzyme with no substrates; "
                              f"connect at least one pool to 'sub'")
        if okind[k] == 2:
            if cnt[k, ENZ] != 1:
                raise SolverError(f"{el.path} (Enz): needs exactly one pool on 'enz', "
                                  f"has {cnt[k, ENZ]}")
            if cnt[k, CPLX] != 1:
                raise SolverError(f"{el.path} (Enz): needs exactly one complex pool on "
                                  f"'cplx', has {cnt[k, CPLX]}")
        else:
            if cnt[k, ENZDEST] != 1:
                raise SolverError(f"{el.path} (MMenz): needs exactly one enzyme pool sending "
                                  f"'nOut' to 'enzDest', has {cnt[k, ENZDEST]}")
            for q in mpos.get(int(k), ()):
                raise _pool_error(el, 'enzDest', missing[q])


def _pool_compartments(pools):
    """The compartments holding the pools (None: no compartment) and the
    index of each pool's, found once per parent element."""
    comps, where, by_parent = [], {}, {}
    out = np.empty(len(pools), dtype=np.int64)
    for j, p in enumerate(pools):
        k = by_parent.get(id(p.parent))
        if k is None:
            c = compartment_of(p)
            k = where.get(id(c))
            if k is None:
                k = where[id(c)] = len(comps)
                comps.append(c)
            by_parent[id(p.parent)] = k
        out[j] = k
    return comps, out


def _functions(funcs, index, pools, reacs, objs, t_obj, t_kind, inv_perm, held):
    """Arrays of the Functions the solver absorbs (those whose inputs and
    outputs are all its pools and reactions); *held* gets the pools they
    assign."""
    fcode, fargs, fstart = [], [], [0]
    fin_ptr, fin_idx, fin_kind = [0], [], []
    fout_kind, fout_target = [], []
    absorbed, progs = [], []
    func_pools = set()
    nconst = 0
    term_of = None
    for f in funcs:
        if term_of is None:
            term_of = {}
            for t in np.nonzero(t_kind <= KB)[0]:
                term_of[(id(objs[t_obj[t]]), 'f' if t_kind[t] == KF else 'b')] = int(t)
        fh = f.handle(0)
        prog = fh._program()
        outs = []
        ok = True
        for o, j, port in fh.output_targets('valueOut'):
            if _kind(o.cls) == 0 and id(o) in index and port in ('setN', 'setConc', 'nIn'):
                outs.append((1 if port == 'setConc' else 0, index[id(o)]))
            elif _kind(o.cls) == 1 and port in ('setNumKf', 'setKf', 'setNumKb', 'setKb'):
                d = 'f' if port.endswith('f') else 'b'
                t = term_of.get((id(o), d))
                if t is None:
                    ok = False
                    break
                outs.append((3 if 'Num' in port else 4, int(inv_perm[t])))
            elif _kind(o.cls) == 0 and id(o) in index and port == 'increment':
                outs.append((2, index[id(o)]))
            else:
                ok = False
                break
        for o, j, port in fh.output_targets('rateOut'):
            if _kind(o.cls) == 0 and id(o) in index and port == 'increment':
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
            if _kind(o.cls) == 0 and id(o) in index and fld in ('n', 'conc'):
                ins.append((index[id(o)], 1 if fld == 'conc' else 0))
            else:
                ok = False
        if not ok or not outs:
            continue   # runs in Python on its own tick
        absorbed.append(f)
        code = np.asarray(prog.code, dtype=np.int64)
        args = np.asarray(prog.args, dtype=np.int64)
        for kind, tgt in outs:
            progs.append((f, code, args, len(prog.consts)))
            fcode += code.tolist()
            fargs += [a + nconst if c == 0 else a for c, a in zip(code.tolist(), args.tolist())]
            nconst += len(prog.consts)
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
    return {'fcode': fcode, 'fargs': fargs, 'fstart': fstart, 'fin_ptr': fin_ptr,
            'fin_idx': fin_idx, 'fin_kind': fin_kind, 'fout_kind': fout_kind,
            'fout_target': fout_target, 'absorbed': absorbed, 'progs': progs,
            'func_pools': func_pools}


def _flux_arrays(chg_ptr, chg_idx, chg_coef, held, ttype, order, fout_kind, nterms, sub0=(),
                 sub1=(), npools=0):
    """Arrays of the explicit integrators' right-hand side (kernels.rhs_m).

    Terms whose changes of the free (not held) pools are opposite (the two
    directions of a Reac, an Enz's binding and unbinding) are netted into
    one flux, rate[a] - rate[b], that is then scattered to the free pools
    it changes (held pools get no entries: their dn/dt is 0).  Terms are
    taken in order; each takes as partner the first term after it, not yet
    taken, whose free changes are its own negated (so the i-th term of a
    set of changes pairs with the i-th of the opposite set).  Fluxes of a
    single term have b = nterms, a rate slot that holds 0.  ``rk_info`` =
    [terms of plain mass action of order <= 2 (they come first), fluxes,
    assigning Functions, Functions adding rates, Functions setting rate
    constants, 1 where the fused form (``fuse_idx``, ``fuse_coef``: see
    :func:`_fused_fluxes`) applies]."""
    term = np.repeat(np.arange(nterms), np.diff(chg_ptr))
    keep = held[chg_idx] == 0
    ft, fj, fc = term[keep], chg_idx[keep], chg_coef[keep]
    nfree = np.bincount(ft, minlength=nterms)
    # each term's free changes as a row (pool, coef, pool, coef, ...) sorted
    # by pool and padded with (-1, 0): equal rows are equal change sets
    o = np.lexsort((fj, ft))
    w = int(nfree.max()) if nterms else 0
    pos = np.arange(len(o)) - (np.cumsum(nfree) - nfree)[ft[o]]
    key = np.zeros((nterms, 2 * w))
    key[:, 0::2] = -1.0
    key[ft[o], 2 * pos] = fj[o]
    key[ft[o], 2 * pos + 1] = fc[o]
    neg = key.copy()
    neg[ft[o], 2 * pos + 1] = -fc[o]
    both = np.ascontiguousarray(np.concatenate([key, neg]))
    if w:
        rowid = np.unique(both.view(np.dtype((np.void, both.dtype.itemsize * 2 * w))).ravel(),
                          return_inverse=True)[1].ravel()
    else:
        rowid = np.zeros(2 * nterms, dtype=np.int64)
    gid, ngid = rowid[:nterms], rowid[nterms:]
    act = np.nonzero(nfree > 0)[0]
    g, ng = gid[act], ngid[act]
    o2 = np.lexsort((act, g))
    sorted_t, sorted_g = act[o2], g[o2]
    rank = np.empty(len(act), dtype=np.int64)
    rank[o2] = np.arange(len(act))
    rank -= np.searchsorted(sorted_g, g, 'left')
    ng_lo = np.searchsorted(sorted_g, ng, 'left')
    has = rank < np.searchsorted(sorted_g, ng, 'right') - ng_lo
    partner = np.full(len(act), nterms, dtype=np.int64)
    partner[has] = sorted_t[ng_lo[has] + rank[has]]
    lead = ~has | (partner > act)
    fa, fb = act[lead], partner[lead]
    fidx = np.full(nterms, -1, dtype=np.int64)
    fidx[fa] = np.arange(len(fa))
    sel = fidx[ft] >= 0
    simple = (np.asarray(ttype) == 0) & (np.asarray(order) <= 2)
    nsimple = int(np.argmin(simple)) if not simple.all() else nterms
    fk = np.asarray(fout_kind)
    ef, ep, ec = fidx[ft[sel]], fj[sel], fc[sel]
    fuse_idx, fuse_coef, fused = _fused_fluxes(fa, fb, ef, ep, ec, nsimple, nterms, sub0, sub1,
                                               npools)
    return {'rk_info': np.array([nsimple, len(fa), int(np.sum(fk <= 1)), int(np.sum(fk == 2)),
                                 int(np.sum(fk >= 3)), fused], dtype=np.int64),
            'flux_a': fa, 'flux_b': fb, 'ent_flux': ef, 'ent_pool': ep, 'ent_coef': ec,
            'fuse_idx': fuse_idx, 'fuse_coef': fuse_coef}


FUSE_WIDTH = 4


def _fused_fluxes(fa, fb, ef, ep, ec, nsimple, nterms, sub0, sub1, npools):
    """The fused form of the explicit right-hand side (kernels._rhs_fused),
    for a model whose terms are all plain mass action of order <= 2 and
    whose fluxes each change at most FUSE_WIDTH free pools: per flux g a row
    of 8 ints, the reactants of its two terms (npools: a slot holding 1.0;
    npools + 1: a slot holding 0.0, the absent second term) then the pools
    it changes (npools + 2: a slot never read), and a row of FUSE_WIDTH
    coefficients (0 where unused); fuse_idx ends with the term of each
    flux's second rate constant (its own first term where it has none, the
    rate being multiplied by the 0.0 slot).  Returns (idx, coef, 1) or
    empty arrays and 0 when the model does not qualify."""
    nflux = len(fa)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0))
    if nsimple != nterms or nflux == 0:
        return empty + (0,)
    cnt = np.bincount(ef, minlength=nflux)
    if cnt.max(initial=0) > FUSE_WIDTH:
        return empty + (0,)
    sub0, sub1 = np.asarray(sub0, np.int64), np.asarray(sub1, np.int64)
    rows = np.empty((nflux, 8), dtype=np.int64)
    rows[:, 0], rows[:, 1] = sub0[fa], sub1[fa]
    two = fb < nterms
    fbk = np.where(two, fb, fa)
    rows[:, 2] = np.where(two, sub0[fbk], npools + 1)
    rows[:, 3] = np.where(two, sub1[fbk], npools + 1)
    rows[:, 4:] = npools + 2
    coef = np.zeros((nflux, FUSE_WIDTH))
    o = np.argsort(ef, kind='stable')
    slot = np.arange(len(o)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    rows[ef[o], 4 + slot] = ep[o]
    coef[ef[o], slot] = ec[o]
    idx = np.concatenate([rows.ravel(), fbk.astype(np.int64)])
    return idx, coef.ravel(), 1
