"""HSolve's builder of cells: the compartment tree of one HSolve
(:func:`compile_cell`, reading each compartment's messages once, the tree
by array operations), and the node arrays of a group of cells in Hines
positions (:class:`NodesBuilder`).  Also the bulk column readers every
builder uses (:func:`_columns`: model fields live in one small column per
element, scattered in memory, so they are read in one pass per element).
"""

from itertools import accumulate, chain
from operator import attrgetter, itemgetter

import numpy as np

from ..core.errors import SolverError
from .compartment import CompartmentBase

_item = np.ndarray.item
_cols_of = attrgetter('cols')

#: reinit generation: cells compiled at an older one are stale
_GEN = {'sched': None, 'gen': 0}


class Cell:
    """What one HSolve owns: its elements and the tree (arrays), compiled
    into a Group with the other HSolves of the tick."""

    def __init__(self, owner):
        self.owner = owner
        self.gen = -1
        self.comp_els = []       # compartment elements, entries numbered in order
        self.ncomp = 0
        self.njunc = 0
        self.order = None        # tree node ids (comps 0..ncomp-1, then junctions), preorder
        self.parent = None       # parent node id of each tree node (-1 root)
        self.gpar = None         # conductance to the parent [S]
        self.chan_els = []
        self.ca_els = []
        self.ca_own = set()      # ids of pools on their own tick (see _ca_pools)
        self.pg_els = []

    @property
    def nodes(self):
        return range(self.ncomp)


def _scan(el, ports):
    """{port: [(other element, other port, msg, el is e1)]} of *el*'s messages
    on *ports*, in one pass over its message lists."""
    out = {}
    for m in el.msg_out:
        if m.srcField in ports:
            out.setdefault(m.srcField, []).append((m.el2, m.destField, m, True))
    for m in el.msg_in:
        if m.destField in ports:
            out.setdefault(m.destField, []).append((m.el1, m.srcField, m, False))
    return out


def _pairs(m):
    """(i on e1, j on e2) of a message, without arrays for a Single one."""
    if m.msgType == 'Single':
        return (m.i1,), (m.i2,)
    return m.pairs()


def _preorder(parent, root):
    """Depth-first preorder of the tree given by *parent* (-1: root) from
    *root*, children in increasing index (networkx's order for the same
    edges); nodes not reached are left out."""
    n = len(parent)
    kids = np.nonzero(parent >= 0)[0]
    srt = kids[np.argsort(parent[kids], kind='stable')]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, parent[kids] + 1, 1)
    ptr = np.cumsum(ptr)
    ptr_l, srt_l = ptr.tolist(), srt.tolist()
    out = []
    stack = [root]
    while stack:
        p = stack.pop()
        out.append(p)
        a, b = ptr_l[p], ptr_l[p + 1]
        if b > a:
            stack.extend(reversed(srt_l[a:b]))
    return np.array(out, dtype=np.int64)


def compile_cell(hs, target):
    """Collect the cell around *target* and its tree; raise SolverError on
    anything the solver cannot take (not a compartment, a loop, two parents,
    zero Ra, part of a vec).  Messages are read once per element from its
    message lists; the tree is built with array operations."""
    tel, tidx = _target(hs, target)
    cell = Cell(hs)
    msgs = _collect(cell, tel)
    els = cell.comp_els
    base, n = _offsets(els)
    names = _namer(els, base)
    par = _parents(hs, msgs, base, n, names)
    _check_tree(hs, target, par, base[id(tel)] + tidx, names)
    for el in els:
        other = el.data.get('hsolve')
        if other is not None and other is not hs and other.alive and \
                other.data.get('cell') is not None and other.data['cell'].gen == _GEN['gen']:
            raise SolverError(f'{hs.path} (HSolve): {el.path} is already solved by '
                              f'{other.path}')
    _electrical_tree(hs, cell, par, names)
    cell.ca_els = _ca_pools(cell, hs)
    return cell


def _target(hs, target):
    """(element, index) of the compartment the walk starts from."""
    from ..core.shell import resolve
    from ..core.errors import PathError
    try:
        tel, tidx = resolve(target)
    except PathError as exc:
        raise SolverError(f'{hs.path} (HSolve).target: {exc}') from None
    if not issubclass(tel.cls, CompartmentBase):
        comps = [e for e in tel.walk() if issubclass(e.cls, CompartmentBase)]
        if not comps:
            raise SolverError(f'{hs.path} (HSolve).target {target!r} is a '
                              f'{tel.cls.__name__} with no compartment under it')
        tel, tidx = comps[0], 0
    return tel, tidx


def _collect(cell, tel):
    """Walk the compartments joined to *tel* by axial messages; on the way
    note what hangs off them (HHChannels, NMDA receptors, PulseGens, and
    which compartments other objects deliver to or read).  Fills *cell*;
    returns the axial messages."""
    from .compartment import AXIAL_PORTS
    from .channels import HHChannel
    from .stimuli import PulseGen
    from .synapse import NMDAChan
    ports = set(AXIAL_PORTS) | {'channel', 'injectMsg', 'randInject', 'handleChannel', 'VmOut'}
    ext, chan_other, vm_out = set(), set(), set()
    els, seen, msgs = [tel], {id(tel)}, {}
    chans, nmdas, pgs, seen_o = [], [], [], set()
    k = 0
    while k < len(els):
        el = els[k]
        k += 1
        for port, ls in _scan(el, ports).items():
            if port in AXIAL_PORTS:
                for other, oport, m, fwd in ls:
                    if oport in AXIAL_PORTS and issubclass(other.cls, CompartmentBase):
                        msgs[id(m)] = m
                        if id(other) not in seen:
                            seen.add(id(other))
                            els.append(other)
                continue
            if port == 'VmOut':
                vm_out.add(id(el))
                continue
            for other, oport, m, fwd in ls:
                plain = port == 'channel' and issubclass(other.cls, HHChannel)
                if not plain:
                    ext.add(id(el))         # Python-stepped objects deliver here
                    if port == 'channel':
                        chan_other.add(id(el))
                if id(other) in seen_o:
                    continue
                seen_o.add(id(other))
                if plain:
                    chans.append(other)
                elif port == 'channel' and issubclass(other.cls, NMDAChan):
                    nmdas.append(other)
                elif port == 'injectMsg' and issubclass(other.cls, PulseGen):
                    pgs.append(other)
    cell.comp_els, cell.chan_els, cell.pg_els, cell.nmda_els = els, chans, pgs, nmdas
    cell.ext, cell.chan_other, cell.vm_out = ext, chan_other, vm_out
    return msgs


def _parents(hs, msgs, base, n, names):
    """Parent of every compartment (-1: none) from the axial messages;
    raises for a compartment joined to itself or with two parents."""
    from .compartment import AXIAL_PORTS
    pl, cl = [], []
    for m in msgs.values():
        a, b = _pairs(m)
        o1, o2 = base[id(m.el1)], base[id(m.el2)]
        if AXIAL_PORTS[m.srcField]:
            pl.extend(o1 + i for i in a)
            cl.extend(o2 + j for j in b)
        else:
            pl.extend(o2 + j for j in b)
            cl.extend(o1 + i for i in a)
    pg_ = np.array(pl, dtype=np.int64)
    cg = np.array(cl, dtype=np.int64)
    if np.any(pg_ == cg):
        q = int(cg[pg_ == cg][0])
        raise SolverError(f'{hs.path} (HSolve): {names(q)} is joined to itself')
    if len(cg):
        # a pair given twice is one link (np.unique would import numpy.ma)
        key = np.sort(cg * (n + 1) + pg_)
        key = key[np.r_[True, key[1:] != key[:-1]]]
        cg, pg_ = key // (n + 1), key % (n + 1)
        dup = np.nonzero(cg[1:] == cg[:-1])[0]
        if len(dup):
            q = int(dup[0])
            raise SolverError(f'{hs.path} (HSolve): {names(int(cg[q]))} has two parents '
                              f'({names(int(pg_[q]))} and {names(int(pg_[q + 1]))}); a '
                              f'cell must be a tree')
    par = np.full(n, -1, dtype=np.int64)
    par[cg] = pg_
    return par


def _check_tree(hs, target, par, t0, names):
    """Raise for a loop, or for compartments of the cell's elements that are
    not joined to the target's tree."""
    n = len(par)
    roots = np.nonzero(par < 0)[0]
    reach = np.zeros(n, dtype=bool)
    for r in roots.tolist():
        reach[_preorder(par, r)] = True
    if not reach.all():
        import networkx as nx
        kids = np.nonzero(par >= 0)[0]
        graph = nx.Graph()
        graph.add_edges_from(zip(par[kids].tolist(), kids.tolist()))
        cyc = nx.find_cycle(graph, int(np.nonzero(~reach)[0][0]))
        raise SolverError(f'{hs.path} (HSolve): the compartments form a loop ('
                          + ' -> '.join(names(a) for a, _ in cyc)
                          + '); a cell must be a tree')
    if len(roots) > 1:
        r0 = t0
        while par[r0] >= 0:
            r0 = int(par[r0])
        mine = np.zeros(n, dtype=bool)
        mine[_preorder(par, r0)] = True
        missing = int(np.nonzero(~mine)[0][0])
        raise SolverError(f'{hs.path} (HSolve): {names(missing)} is in an element of the '
                          f'cell of {target!r} but not joined to it; a vec of compartments '
                          f'must belong to one cell (give each cell its own elements)')


def _electrical_tree(hs, cell, par, names):
    """MOOSE's reading of Ra: every compartment is two Ra/2 halves; a
    parent with one child is joined by Ra_p/2 + Ra_c/2, one with several
    meets them at a star junction (an extra node) of its Ra_p/2 arm and
    their Ra_c/2 arms.  Fills the tree of *cell* and its Hines order."""
    n = len(par)
    ra = _columns(cell.comp_els, ('Ra',))['Ra']
    kids = np.nonzero(par >= 0)[0]
    nkids = np.bincount(par[kids], minlength=n)
    branch = np.nonzero(nkids > 1)[0]
    junc = np.full(n, -1, dtype=np.int64)
    junc[branch] = n + np.arange(len(branch))
    ntot = n + len(branch)
    tpar = np.full(ntot, -1, dtype=np.int64)
    gpar = np.zeros(ntot)
    single = kids[nkids[par[kids]] == 1]
    multi = kids[nkids[par[kids]] > 1]
    r = 0.5 * (ra[par[single]] + ra[single])
    arms = np.concatenate([ra[branch], ra[multi]])
    if np.any(~(r > 0)) or np.any(~(arms > 0)):
        bad = np.concatenate([single[~(r > 0)], branch[~(ra[branch] > 0)],
                              multi[~(ra[multi] > 0)]])
        raise SolverError(f'{hs.path} (HSolve): zero axial resistance at {names(int(bad[0]))};'
                          f' HSolve splits each Ra in two halves, so Ra must be > 0')
    tpar[single] = par[single]
    gpar[single] = 1.0 / r
    tpar[junc[branch]] = branch
    gpar[junc[branch]] = 2.0 / ra[branch]
    tpar[multi] = junc[par[multi]]
    gpar[multi] = 2.0 / ra[multi]
    cell.ncomp, cell.njunc = n, len(branch)
    cell.order = _preorder(tpar, int(np.nonzero(par < 0)[0][0]))
    cell.parent, cell.gpar = tpar, gpar


def _ca_pools(cell, hs):
    """The Ca pools the cell's HHChannels feed (IkOut) or read (concen), and
    those its NMDA receptors feed (ICaOut -> current).  MOOSE's HSolve takes
    only the first kind; a pool that only NMDA receptors feed keeps its own
    tick (tick 1, before the receptors'), stepping on the current they sent
    the step before.  The kernel steps such a pool so (cell.ca_own) when
    its tick runs at the solver's dt before each receptor's and the
    receptors go into the kernel; otherwise it is left out, to its tick."""
    from ..core.clock import clock
    from ..core.msg import links
    from .channels import CaConcBase
    cas, seen = [], set()
    # (the channels' messages in one pass each, in _scan's order: out, then in)
    found = []
    for c in cell.chan_els:
        found.extend([m.el2 for m in c.msg_out if m.srcField == 'IkOut'])
        found.extend([m.el1 for m in c.msg_in if m.destField == 'concen'])
    for other in found:
        if issubclass(other.cls, CaConcBase) and id(other) not in seen:
            seen.add(id(other))
            cas.append(other)
    dts = clock.dts
    hdt = dts[hs.tick] if 0 <= hs.tick < len(dts) else 0.0

    def on_dt(el):
        return 0 <= el.tick < len(dts) and hdt > 0 and abs(dts[el.tick] - hdt) <= 1e-9 * hdt
    own, feeders = [], {}
    for nm in cell.nmda_els:
        for o, _op, _m, _f in links(nm, 'ICaOut'):
            if issubclass(o.cls, CaConcBase) and id(o) not in seen:
                if id(o) not in feeders:
                    own.append(o)
                feeders.setdefault(id(o), []).append(nm)
    from .hsolve import ABSORB_SYNAPSES

    def in_kernel(nm):
        # the receptor will be stepped in the kernel too (see
        # hsolve_synapses); a Python-stepped one would read the pool's Ca
        # a step late, so its pool is left to its tick
        return ABSORB_SYNAPSES and on_dt(nm) and not links(nm, 'IkOut') and \
            not links(nm, 'channelOut')
    cell.ca_own = set()
    for o in own:
        if on_dt(o) and all(in_kernel(nm) and o.tick < nm.tick for nm in feeders[id(o)]):
            cell.ca_own.add(id(o))
            cas.append(o)
    return cas


def _namer(els, base):
    starts = np.array([base[id(e)] for e in els])

    def name(q):
        k = int(np.searchsorted(starts, q, side='right') - 1)
        return els[k].indexed_path(int(q - starts[k]))
    return name


def _uniq(a):
    """Sorted distinct values of *a* (np.unique imports numpy.ma, 0.1 s, at
    its first call in a process)."""
    a = np.sort(np.asarray(a).ravel())
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _columns(els, names):
    """{name: float array of that column of *els* laid end to end}, read in
    one pass over the elements (their columns are scattered in memory)."""
    names = tuple(names)
    if not els or not names:
        return {n: np.zeros(0) for n in names}
    if all(el.num == 1 for el in els):
        get = itemgetter(*names) if len(names) > 1 else (lambda c: (c[names[0]],))
        # (one flat stream of Python numbers: half the time of a list per
        # element of a[0] reads)
        vals = list(map(_item, chain.from_iterable(map(get, map(_cols_of, els)))))
        A = np.array(vals, dtype=float).reshape(len(els), len(names))
        return {n: np.ascontiguousarray(A[:, k]) for k, n in enumerate(names)}
    return {n: _gather(els, n) for n in names}


def _gather(els, name):
    """Column *name* of *els* laid end to end (one float array)."""
    if not els:
        return np.zeros(0)
    return np.concatenate([el.cols[name] for el in els]).astype(float)


def _offsets(els):
    """({id(element): first flat index}, total entries) of *els* laid end to end."""
    nums = [el.num for el in els]
    starts = [0, *accumulate(nums)]
    return dict(zip(map(id, els), starts)), starts[-1]


class NodesBuilder:
    """Part of the group: compartments and junctions as nodes."""

    def _build_nodes(self, cells, comp_els, n, fresh):
        """Node arrays (element blocks, then junctions), the tree in Hines
        positions of all cells, and the compartments' fields as views."""
        njunc = sum(c.njunc for c in cells)
        ntot = n + njunc
        arrs = {}
        ext_els = [el for c in cells for el in c.comp_els if id(el) in c.ext]
        state = CompartmentBase.solver_columns['state']
        got = _columns(comp_els, self._COMP_HOOKED + (() if fresh else state))
        offs, _n = _offsets(comp_els)
        for name in self._COMP_FIELDS:
            col = got[name] if name in got else np.zeros(n)
            if name in self._COMP_EXT:
                for el in ext_els:
                    o = offs[id(el)]
                    col[o:o + el.num] = el.cols[name]
            arrs[name] = np.concatenate([col, np.zeros(njunc)])
        arrs['Cm'][n:] = 0.0      # junctions: no membrane (see the kernel)
        arrs['Rm'][n:] = np.inf
        sidx = np.zeros(ntot, dtype=np.int64)
        par = np.full(ntot, -1, dtype=np.int64)
        gpar = np.zeros(ntot)
        gsum = np.zeros(ntot)
        pos0 = cbase = 0
        jbase = n
        for c in cells:
            m = c.ncomp + c.njunc
            store = np.empty(m, dtype=np.int64)
            store[:c.ncomp] = cbase + np.arange(c.ncomp)
            store[c.ncomp:] = jbase + np.arange(c.njunc)
            posof = np.empty(m, dtype=np.int64)
            posof[c.order] = pos0 + np.arange(m)
            sidx[pos0:pos0 + m] = store[c.order]
            tp = c.parent[c.order]
            has = tp >= 0
            pp = np.full(m, -1, dtype=np.int64)
            pp[has] = posof[tp[has]]
            par[pos0:pos0 + m] = pp
            g = c.gpar[c.order]
            gpar[pos0:pos0 + m] = g
            gsum[pos0:pos0 + m] += g
            np.add.at(gsum, pp[has], g[has])
            pos0 += m
            cbase += c.ncomp
            jbase += c.njunc
        posof = np.empty(ntot, dtype=np.int64)
        posof[sidx] = np.arange(ntot)
        self.posof = posof
        self.initVm = arrs['initVm']
        self.nodes = tuple(arrs[k] for k in self._COMP_FIELDS[:-1])
        self.tree = (sidx, par, gpar, gsum)
        self.ncomp = n
        self._view(comp_els, offs, {k: arrs[k] for k in state})
        self._view(ext_els, offs, {k: arrs[k] for k in self._COMP_EXT})
        self._hooked.update({k: arrs[k] for k in self._COMP_HOOKED})
        self._hook(comp_els)
