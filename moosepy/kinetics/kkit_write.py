"""Writer of GENESIS kinetikit (kkit) ``.g`` files: ``moose.writeKkit``
(and MOOSE's older name ``mooseWriteKkit``).

Writes the chemical model under *modelpath* so that
:func:`moosepy.kinetics.kkit.read_kkit` (or MOOSE's ``loadModel``) builds
it again with the same parameters: the conversions of the reader run
backwards (kkit keeps concentrations in uM, counts with Avogadro's number
taken as 6e23 and a pool's ``vol`` as molecules per uM, 6e20 * volume
[m^3]; see :mod:`moosepy.kinetics.kkit`).

What is written: the model's one chemical compartment (its ``kinetics``
CubeMesh) with its ``Pool``/``BufPool`` (kpool, buffered: slave_enable 4),
``Reac`` (kreac, each substrate and product message written once per unit
of stoichiometry), ``Enz`` (kenz with its complex's initial count) and
``MMenz`` (kenz with usecomplex 1, k2 = 4 kcat) objects, ``Neutral``
groups, and the ``Table2``/``Table`` objects under ``<model>/graphs`` and
``<model>/moregraphs`` that record a pool's ``getConc``/``getN`` (xgraph,
xplot and PLOT messages).  SIMDT and PLOTDT are the dts of ticks 11 and 18,
MAXTIME the runtime of ``<model>/info`` (100 s without one).

What is refused, with a :class:`~moosepy.core.errors.MooseError` naming
the object (rather than written wrongly or dropped): several chemical
compartments, Functions, StimulusTables, ConcChans and other classes a
kkit file cannot hold here, tables recording other fields.  Display
information (colours, positions) is not kept: objects are written at
x = y = 0 in kkit's default colours.
"""

import os

from ..core.errors import MooseError

#: kkit's field lists for the object types written
_DUMPS = (
    ('group', 'xtree_fg_req xtree_textfg_req plotfield expanded movealone link savename '
              'file version md5sum mod_save_flag x y z'),
    ('kpool', 'DiffConst CoInit Co n nInit mwt nMin vol slave_enable geomname '
              'xtree_fg_req xtree_textfg_req x y z'),
    ('kreac', 'kf kb notes xtree_fg_req xtree_textfg_req x y z'),
    ('kenz', 'CoComplexInit CoComplex nComplexInit nComplex vol k1 k2 k3 keepconc '
             'usecomplex notes xtree_fg_req xtree_textfg_req link x y z'),
    ('xgraph', 'xmin xmax ymin ymax overlay'),
    ('xplot', 'pixflags script fg ysquish do_slope wy'),
)
_CHEM = {'Pool', 'BufPool', 'Reac', 'Enz', 'MMenz', 'Neutral', 'Annotator', 'MeshEntry',
         'Ksolve', 'Gsolve', 'Stoich', 'Dsolve', 'SteadyState'}


def _g(x):
    """A number as kkit writes it (round-trip exact)."""
    return repr(float(x))


def writeKkit(modelpath, filepath, sceneitems=None):
    """Write the chemical model under *modelpath* to the kkit file
    *filepath* (see the module doc).  *sceneitems* (MOOSE's display
    positions) is accepted and not used.  Returns True.

    Raises MooseError naming the object that a kkit file cannot hold."""
    import moosepy as moose
    from .kkit import KKIT_NA, NA_RATIO     # not at import moosepy: the reader is big
    if not moose.exists(modelpath):
        raise MooseError(f'writeKkit: no model at {modelpath!r}')
    root = moose.element(modelpath)
    rpath = root.path
    compts = moose.wildcardFind(rpath + '/##[ISA=ChemCompt]')
    if len(compts) != 1:
        raise MooseError(f'writeKkit: {rpath} holds {len(compts)} chemical compartments '
                         f'({", ".join(c.path for c in compts) or "none"}); moosepy writes '
                         f'kkit files of one compartment')
    comp = compts[0]
    cpath = comp.path

    def kpath(obj):
        rel = obj.path[len(cpath):].replace('[0]', '')
        return '/kinetics' + rel

    objs = [o for o in moose.wildcardFind(cpath + '/##') if o.path != cpath]
    for o in objs:
        if o.className not in _CHEM:
            raise MooseError(f'writeKkit: {o.path} is a {o.className}, which moosepy does not '
                             f'write to kkit files (it writes Pool, BufPool, Reac, Enz, MMenz '
                             f'and Neutral groups)')
        if o.className in ('Pool', 'BufPool', 'Reac', 'Enz', 'MMenz') and o.numData != 1:
            raise MooseError(f'writeKkit: {o.path} has {o.numData} entries; kkit objects '
                             f'have one')
    vol_kkit = comp.volume * KKIT_NA / 1e3      # molecules per uM
    lines = ['//genesis', '// kkit Version 11 flat dumpfile', '',
             f'// Saved by moosepy from {rpath}', '', 'include kkit {argv 1}', '']
    clock = moose.element('/clock')
    simdt = clock.tickDt[11] or 0.01
    plotdt = clock.tickDt[18] or 1.0
    runtime = 100.0
    if moose.exists(rpath + '/info'):
        runtime = float(getattr(moose.element(rpath + '/info'), 'runtime', 100.0)) or 100.0
    lines += [f'FASTDT = {_g(simdt / 100)}', f'SIMDT = {_g(simdt)}',
              f'CONTROLDT = {_g(plotdt)}', f'PLOTDT = {_g(plotdt)}',
              f'MAXTIME = {_g(runtime)}', 'TRANSIENT_TIME = 2', 'VARIABLE_DT_FLAG = 0',
              f'DEFAULT_VOL = {_g(vol_kkit)}', 'VERSION = 11.0', 'kparms', '', '//genesis', '',
              'initdump -version 3 -ignoreorphans 1']
    lines += [f'simobjdump {k} {f}' for k, f in _DUMPS]
    msgs = []
    written = set()

    def pool_vol(p):
        return p.volume * KKIT_NA / 1e3

    # parents before children: wildcard order is depth-first
    for o in objs:
        cls = o.className
        p = kpath(o)
        if cls == 'Neutral':
            lines.append(f'simundump group {p} 0 blue black x 0 0 "" defaultfile defaultfile.g '
                         f'0 0 0 0 0 0')
        elif cls in ('Pool', 'BufPool'):
            if o.parent.className == 'Enz' and \
                    o.path in [c.path for c in o.parent.neighbors['cplx']]:
                continue                    # an Enz's complex: kkit makes it itself
            if o.parent.className in ('Enz', 'MMenz'):
                raise MooseError(f'writeKkit: {o.path} is a pool under an enzyme and not its '
                                 f'complex; kkit cannot hold it')
            v = pool_vol(o)
            ninit = o.concInit * 1e3 * v
            lines.append(f'simundump kpool {p} 0 {_g(o.diffConst)} {_g(o.concInit * 1e3)} '
                         f'{_g(o.concInit * 1e3)} {_g(ninit)} {_g(ninit)} 0 0 {_g(v)} '
                         f'{4 if cls == "BufPool" else 0} /kinetics/geometry blue black 0 0 0')
        elif cls == 'Reac':
            subs, prds = o.neighbors['sub'], o.neighbors['prd']
            if not subs:
                raise MooseError(f'writeKkit: {o.path} has no substrates')
            kf = o.numKf / NA_RATIO ** (len(subs) - 1)
            kb = o.numKb / NA_RATIO ** (len(prds) - 1) if prds else o.Kb
            lines.append(f'simundump kreac {p} 0 {_g(kf)} {_g(kb)} "" white black 0 0 0')
            msgs += [f'addmsg {p} {kpath(s)} REAC A B' for s in subs]
            msgs += [f'addmsg {p} {kpath(s)} REAC B A' for s in prds]
        elif cls in ('Enz', 'MMenz'):
            host = o.parent
            if host.className not in ('Pool', 'BufPool'):
                raise MooseError(f'writeKkit: {o.path} must sit on its enzyme pool (kkit '
                                 f'keeps an enzyme under its pool); its parent is a '
                                 f'{host.className}')
            enz = o.neighbors['enzDest' if cls == 'MMenz' else 'enz']
            if [e.path for e in enz] != [host.path]:
                raise MooseError(f'writeKkit: {o.path}: its enzyme pool must be its parent '
                                 f'{host.path} (kkit keeps an enzyme under its pool)')
            subs, prds = o.neighbors['sub'], o.neighbors['prd']
            vsf = pool_vol(host)
            if cls == 'MMenz':
                k3 = o.kcat
                k2 = 4.0 * k3
                k1 = (k2 + k3) / (o.Km * 1e3 * vsf)
                ncplx, usec = 0.0, 1
            else:
                k1 = o.concK1 / (1e3 * vsf * NA_RATIO ** len(subs))
                k2, k3 = o.k2, o.kcat
                cplx = o.neighbors['cplx']
                ncplx = float(moose.element(cplx[0].path).nInit) * NA_RATIO if cplx else 0.0
                usec = 0
            lines.append(f'simundump kenz {p} 0 0 0 {_g(ncplx)} {_g(ncplx)} {_g(vsf)} '
                         f'{_g(k1)} {_g(k2)} {_g(k3)} 0 {usec} "" red 0 "" 0 0 0')
            msgs.append(f'addmsg {kpath(host)} {p} ENZYME n')
            msgs += [f'addmsg {p} {kpath(s)} REAC sA B' for s in subs]
            msgs += [f'addmsg {p} {kpath(s)} MM_PRD pA' for s in prds]
        written.add(o.path)
    # plots
    for graphs in ('graphs', 'moregraphs'):
        gpath = f'{rpath}/{graphs}'
        if not moose.exists(gpath):
            continue
        tabs = moose.wildcardFind(gpath + '/##[ISA=TableBase]')
        made = set()
        for t in tabs:
            src = [(x, port) for x, port in _requested(t)]
            if len(src) != 1 or src[0][1] not in ('getConc', 'getN') or \
                    src[0][0].path not in written:
                raise MooseError(f'writeKkit: table {t.path} must record one pool of the '
                                 f'model by getConc or getN to be written as a kkit plot')
            pool, port = src[0]
            rel = t.path[len(gpath):].replace('[0]', '').strip('/').split('/')
            if len(rel) == 1:
                rel = ['conc1'] + rel
            if len(rel) != 2:
                raise MooseError(f'writeKkit: table {t.path}: kkit plots sit one level '
                                 f'under /{graphs} (in a graph)')
            graph = f'/{graphs}/{rel[0]}'
            if graph not in made:
                lines.append(f'simundump xgraph {graph} 0 0 {_g(runtime)} 0 1 0')
                made.add(graph)
            field = 'Co' if port == 'getConc' else 'n'
            name = rel[1]
            lines.append(f'simundump xplot {graph}/{name} 3 524288 "" blue 0 0 1')
            msgs.append(f'addmsg {kpath(pool)} {graph}/{name} PLOT {field} *{name} *blue')
    lines += msgs
    lines += ['enddump', '// End of dump', '', 'complete_loading', '']
    d = os.path.dirname(os.path.abspath(str(filepath)))
    if not os.path.isdir(d):
        raise MooseError(f'writeKkit: folder {d} does not exist')
    with open(filepath, 'w') as fh:
        fh.write('\n'.join(lines))
    return True


def _requested(t):
    """(element, get-port) pairs a table's requestOut reads."""
    from ..core.msg import linked_indices
    out = []
    for o, j, port in linked_indices(t._el, t._idx, 'requestOut'):
        out.append((o.handle(j), port))
    return out


#: MOOSE's older name
mooseWriteKkit = writeKkit
