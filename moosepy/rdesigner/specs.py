"""Typed specs: the one internal form of every rdesigneur list entry.

MOOSE's rdesigneur takes lists of strings (``['Na', 'soma', 'Gbar',
'1200']``).  Each entry is turned here, at once, into a small dataclass
(``ChanDistrib(proto='Na', path='soma', fields=[('Gbar', Expr('1200'))])``)
that the builder uses and nothing else.  A spec object can also be given
directly in place of a list.  Numbers are accepted where MOOSE insisted on
strings.  A bad entry raises :class:`SpecError` naming the list, the
entry's index, the field, the value given and what is valid.

What this module does not own: checks that need the model (a prototype
name that is not in /library, a path that matches no compartment); the
builder makes those before it builds anything.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any, List, Tuple

from ..core.errors import MooseError

from .geometry import Expr, ExprError, GEOM_VARS, suggest  # noqa: F401

__all__ = ['SpecError', 'CellProto', 'ChanProto', 'SpineProto', 'ChemProto',
           'PassiveDistrib', 'ChanDistrib', 'SpineDistrib', 'ChemDistrib', 'AdaptorSpec',
           'rstim', 'rplot', 'rmoog', 'rfile', 'normalise']


class SpecError(MooseError, ValueError):
    """A bad rdesigneur spec entry (names the list, index, field and value)."""


def _where(lst, idx, fld=None):
    s = f'{lst}[{idx}]' if idx is not None else lst
    return f'{s} {fld}' if fld else s


def _err(lst, idx, fld, val, what):
    return SpecError(f'rdesigneur {_where(lst, idx, fld)} = {val!r}: {what}')


def _text(lst, idx, fld, val, allow_num=False):
    if isinstance(val, str):
        return val
    if allow_num and isinstance(val, (int, float)) and not isinstance(val, bool):
        return repr(val)
    raise _err(lst, idx, fld, val, 'expected a string' + (' or a number' if allow_num else ''))


#: segments of a dendrite in a cell shape (a spec asking for 1e23 built forever)
MAX_SEGMENTS = 100_000


def _num(lst, idx, fld, val, integer=False, positive=False):
    try:
        if isinstance(val, bool):
            raise TypeError
        x = float(val)
    except (TypeError, ValueError):
        raise _err(lst, idx, fld, val, 'expected a number' +
                   (' (an integer)' if integer else '')) from None
    if not abs(x) < float('inf'):      # nan, inf (int() of them raises)
        raise _err(lst, idx, fld, val, 'expected a finite number')
    if integer:
        if x != int(x):
            raise _err(lst, idx, fld, val, 'expected an integer')
        x = int(x)
    if positive and not x > 0:
        raise _err(lst, idx, fld, val, 'expected a number > 0')
    return x


def _expr(lst, idx, fld, val, variables=GEOM_VARS):
    try:
        return Expr(val, variables, where=f'rdesigneur {_where(lst, idx, fld)}')
    except ExprError as exc:
        raise SpecError(str(exc)) from None


def _seq(lst, idx, entry, minlen=0, maxlen=None):
    if not isinstance(entry, (list, tuple)):
        raise _err(lst, idx, None, entry, 'expected a list')
    if len(entry) < minlen or (maxlen is not None and len(entry) > maxlen):
        want = f'{minlen}' if maxlen == minlen else (
            f'{minlen} to {maxlen}' if maxlen is not None else f'at least {minlen}')
        raise _err(lst, idx, None, entry, f'expected {want} entries, got {len(entry)}')
    return list(entry)


# ================================================================ prototypes
CELL_SHAPES = {
    'somaProto': ('name', 'somaDia', 'somaLen'),
    'ballAndStick': ('name', 'somaDia', 'somaLen', 'dendDia', 'dendLen', 'numDendSeg'),
    'branchedCell': ('name', 'somaDia', 'somaLen', 'dendDia', 'dendLen', 'dendNumSeg',
                     'branchDia', 'branchLen', 'branchNumSeg'),
}
SHAPE_DEFAULTS = {
    'somaProto': ('soma', 5e-4, 5e-4),
    'ballAndStick': ('cell', 10e-6, 10e-6, 4e-6, 200e-6, 1),
    'branchedCell': ('cell', 10e-6, 10e-6, 4e-6, 200e-6, 1, 2.5e-6, 200e-6, 1),
}


@dataclass
class CellProto:
    """A cell prototype: a built-in shape (``kind`` 'somaProto',
    'ballAndStick', 'branchedCell', with ``params`` in metres and segment
    counts) or a ``source`` (a function, 'func()', a file, or an object
    already in memory) built into /library/<name>."""
    source: Any
    name: str
    kind: str = 'source'
    params: dict = field(default_factory=dict)


@dataclass
class ChanProto:
    """A channel (or CaConc, synapse) prototype built into /library/<name>
    (a one-entry ChannelML form keeps the names the file gives:
    ``named`` False)."""
    source: Any
    name: str
    named: bool = True


@dataclass
class SpineProto:
    source: Any
    name: str


@dataclass
class ChemProto:
    source: Any
    name: str


def _proto(lst, idx, entry, cls):
    if isinstance(entry, cls):
        return entry
    e = _seq(lst, idx, entry, 2, 2)
    if not (callable(e[0]) or isinstance(e[0], str)):
        raise _err(lst, idx, 'source', e[0], "expected a function, 'func()', a file name "
                   'or an object path')
    return cls(e[0], _text(lst, idx, 'name', e[1]))


def norm_cell_proto(idx, entry):
    lst = 'cellProto'
    if isinstance(entry, CellProto):
        return entry
    e = _seq(lst, idx, entry, 1)
    kind = e[0]
    if isinstance(kind, str) and kind in CELL_SHAPES:
        names = CELL_SHAPES[kind]
        if len(e) - 1 > len(names):
            raise _err(lst, idx, None, entry, f'{kind} takes at most {len(names)} values '
                       f'after the shape ({", ".join(names)})')
        vals = list(SHAPE_DEFAULTS[kind])
        for k, v in enumerate(e[1:]):
            vals[k] = v
        params = {}
        for k, (nm, v) in enumerate(zip(names, vals)):
            if k == 0:
                params[nm] = _text(lst, idx, nm, v)
            elif 'NumSeg' in nm or nm == 'numDendSeg':
                params[nm] = _num(lst, idx, nm, v, integer=True)
                if not 1 <= params[nm] <= MAX_SEGMENTS:
                    raise _err(lst, idx, nm, v, f'expected an integer >= 1 and <= {MAX_SEGMENTS} '
                               '(number of segments)')
            else:
                params[nm] = _num(lst, idx, nm, v, positive=True)
        return CellProto(kind, params.pop('name'), kind, params)
    if len(e) != 2:
        raise _err(lst, idx, None, entry, "expected [source, name] or a shape "
                   f"({', '.join(CELL_SHAPES)}, ...)"
                   + (suggest(kind, CELL_SHAPES) if isinstance(kind, str) else ''))
    p = _proto(lst, idx, e, ChanProto)
    return CellProto(p.source, p.name)


def norm_chan_proto(idx, entry):
    lst = 'chanProto'
    if isinstance(entry, ChanProto):
        return entry
    e = _seq(lst, idx, entry, 1, 2)
    if len(e) == 1:
        src = _text(lst, idx, 'source', e[0])
        if not src.endswith('.xml'):
            raise _err(lst, idx, 'source', src, 'a one-entry chanProto must be a ChannelML '
                       "file ending in '.xml'; otherwise give [source, name]")
        base = src.rsplit('/', 1)[-1][:-4]
        if not base:
            raise _err(lst, idx, 'source', src, 'bad file name')
        return ChanProto(src, base, named=False)
    return _proto(lst, idx, e, ChanProto)


# ============================================================= distributions
PASSIVE_FIELDS = ('RM', 'RA', 'CM', 'Rm', 'Ra', 'Cm', 'Em', 'initVm', 'EM', 'INITVM')


@dataclass
class PassiveDistrib:
    """``[path, field, expr, field, expr, ...]``: specific (RM Ω·m², RA Ω·m,
    CM F/m²) or absolute (Rm Ω, Ra Ω, Cm F) values, Em and initVm [V]."""
    path: str
    fields: List[Tuple[str, Expr]]


def norm_passive(idx, entry):
    lst = 'passiveDistrib'
    if isinstance(entry, PassiveDistrib):
        return entry
    e = _seq(lst, idx, entry, 3)
    if e[0] == '.' and len(e) % 2 == 0:
        e = e[1:]
    if len(e) % 2 != 1:
        raise _err(lst, idx, None, entry, 'expected [path, field, expr, field, expr, ...] '
                   '(an odd number of entries)')
    path = _text(lst, idx, 'path', e[0])
    fields = []
    for k in range(1, len(e), 2):
        f = _text(lst, idx, f'field {k}', e[k])
        if f not in PASSIVE_FIELDS:
            raise _err(lst, idx, 'field', f, f'unknown passive field{suggest(f, PASSIVE_FIELDS)}'
                       f'; valid: {", ".join(PASSIVE_FIELDS[:8])}')
        fields.append((f, _expr(lst, idx, f"'{f}' expression", e[k + 1])))
    return PassiveDistrib(path, fields)


@dataclass
class ChanDistrib:
    """``[proto, path, field, expr, ...]``: copy /library/<proto> into the
    compartments of *path* where the first expression > 0, then set the
    fields (ChanBase: Gbar S/m², Ek V; CaConcBase: tau s, CaBasal mM, thick
    m, floor, ceiling, B)."""
    proto: str
    path: str
    fields: List[Tuple[str, Expr]]


CHAN_FIELDS = ('Gbar', 'Ek')
CACONC_FIELDS = ('tau', 'CaBasal', 'thick', 'floor', 'ceiling', 'B')


def norm_chan(idx, entry):
    lst = 'chanDistrib'
    if isinstance(entry, ChanDistrib):
        return entry
    e = _seq(lst, idx, entry, 4)
    if len(e) % 2 != 0:
        raise _err(lst, idx, None, entry, 'expected [proto, path, field, expr, field, expr, '
                   '...] (an even number of entries)')
    proto = _text(lst, idx, 'proto', e[0])
    path = _text(lst, idx, 'path', e[1])
    fields = []
    for k in range(2, len(e), 2):
        f = _text(lst, idx, 'field', e[k])
        fields.append((f, _expr(lst, idx, f"'{f}' expression", e[k + 1])))
    return ChanDistrib(proto, path, fields)


@dataclass
class SpineDistrib:
    """Spines of prototype *proto* on the compartments of *path*: spacing
    [m] (expression; <= 0: none), minSpacing [m] (< 0: regular placement),
    size (scale), sizeDistrib (uniform width), angle [rad], angleDistrib."""
    proto: str
    path: str
    spacing: Expr
    minSpacing: Expr
    size: Expr
    sizeDistrib: Expr
    angle: Expr
    angleDistrib: Expr


SPINE_KEYS = ('spacing', 'spacingDistrib', 'size', 'sizeDistrib', 'angle', 'angleDistrib')
SPINE_DEFAULTS = ('10e-6', '1e-6', '1', '0.5', '0', '6.2831853')
# MOOSE's defaults for keys missing from the legacy keyword form
SPINE_KEYWORD_DEFAULTS = ('1.0e-6', '0', '1', '0', '0', '6.283185307')


def norm_spine(idx, entry):
    lst = 'spineDistrib'
    if isinstance(entry, SpineDistrib):
        return entry
    e = _seq(lst, idx, entry, 2)
    proto = _text(lst, idx, 'proto', e[0])
    path = _text(lst, idx, 'path', e[1])
    rest = e[2:]
    if any(isinstance(v, str) and v in SPINE_KEYS for v in rest):   # legacy keyword form
        if len(rest) % 2:
            raise _err(lst, idx, None, entry, 'the keyword form needs key, value pairs')
        kv = {}
        for k in range(0, len(rest), 2):
            key = _text(lst, idx, 'key', rest[k])
            if key not in SPINE_KEYS:
                raise _err(lst, idx, 'key', key, f'unknown key{suggest(key, SPINE_KEYS)}; '
                           f'valid: {", ".join(SPINE_KEYS)}')
            kv[key] = rest[k + 1]
        vals = [kv.get(k, d) for k, d in zip(SPINE_KEYS, SPINE_KEYWORD_DEFAULTS)]
    else:
        if len(rest) > len(SPINE_KEYS):
            raise _err(lst, idx, None, entry, 'expected at most 8 entries: proto, path, '
                       + ', '.join(SPINE_KEYS))
        vals = list(rest) + list(SPINE_DEFAULTS[len(rest):])
    ex = [_expr(lst, idx, k, v) for k, v in zip(SPINE_KEYS, vals)]
    return SpineDistrib(proto, path, *ex)


MESH_TYPES = ('soma', 'dend', 'spine', 'psd', 'psd_dend', 'presyn_dend', 'presyn_spine',
              'endo', 'endo_axial')


@dataclass
class ChemDistrib:
    """``[chemSrc, elecPath, meshType, geomExpr, extra...]`` (MOOSE 5.0) or
    the 4.x ``[chem, elecPath, 'install', geomExpr]``."""
    chemSrc: str
    elecPath: str
    meshType: str
    geomExpr: Expr
    voxelLength: float = 0.0       # dend [m]
    parent: str = ''               # spine, psd: the dend mesh
    radius: float = 0.0            # presyn [m]
    radiusSdev: float = 0.0
    spacing: float = 0.0           # presyn_dend [m]
    surround: str = ''             # endo
    radiusRatio: float = 0.0       # endo


def norm_chem(idx, entry):
    lst = 'chemDistrib'
    if isinstance(entry, ChemDistrib):
        return entry
    e = _seq(lst, idx, entry, 4)
    src = _text(lst, idx, 'chemSrc', e[0])
    path = _text(lst, idx, 'elecPath', e[1])
    mt = _text(lst, idx, 'meshType', e[2])
    if mt == 'install':
        return ChemDistrib(src, path, 'install', _expr(lst, idx, 'geomExpr', e[3]))
    if mt not in MESH_TYPES:
        raise _err(lst, idx, 'meshType', mt, f'unknown mesh type{suggest(mt, MESH_TYPES)}; '
                   f'valid: {", ".join(MESH_TYPES)}, install')
    spec = ChemDistrib(src, path, mt, _expr(lst, idx, 'geomExpr', e[3]))
    need = {'dend': 5, 'spine': 5, 'psd': 5, 'presyn_dend': 7, 'presyn_spine': 6,
            'endo': 6, 'endo_axial': 6}.get(mt, 4)
    if len(e) < need:
        raise _err(lst, idx, None, entry, f"meshType '{mt}' needs {need} entries")
    if mt == 'dend':
        spec.voxelLength = _num(lst, idx, 'voxel length', e[4], positive=True)
    elif mt in ('spine', 'psd'):
        spec.parent = _text(lst, idx, 'parent dend', e[4])
    elif mt.startswith('presyn'):
        spec.radius = _num(lst, idx, 'radius', e[4], positive=True)
        spec.radiusSdev = _num(lst, idx, 'radius sdev', e[5])
        if spec.radiusSdev < 0:
            raise _err(lst, idx, 'radius sdev', e[5], 'expected a number >= 0 (a standard '
                       'deviation)')
        if mt == 'presyn_dend':
            spec.spacing = _num(lst, idx, 'spacing', e[6], positive=True)
    elif mt.startswith('endo'):
        spec.surround = _text(lst, idx, 'surround', e[4])
        spec.radiusRatio = _num(lst, idx, 'radius ratio', e[5], positive=True)
    return spec


@dataclass
class AdaptorSpec:
    """``[source, sourceField, dest, destField, offset, scale]``:
    dest.destField = offset + scale * mean(source.sourceField)."""
    source: str
    sourceField: str
    dest: str
    destField: str
    offset: float = 0.0
    scale: float = 1.0


def norm_adaptor(idx, entry):
    lst = 'adaptorList'
    if isinstance(entry, AdaptorSpec):
        return entry
    e = _seq(lst, idx, entry, 6, 6)
    return AdaptorSpec(_text(lst, idx, 'source', e[0]), _text(lst, idx, 'sourceField', e[1]),
                       _text(lst, idx, 'dest', e[2]), _text(lst, idx, 'destField', e[3]),
                       _num(lst, idx, 'offset', e[4]), _num(lst, idx, 'scale', e[5]))


# ======================================================= plots, stims, files
PLOT_FIELDS = {
    # field: (class the object must be, scale for display, label)
    'Vm': ('CompartmentBase', 1e3, 'Memb. Potential (mV)'),
    'spikeTime': ('CompartmentBase', 1, 'Spike Times (s)'),
    'Im': ('CompartmentBase', 1e9, 'Memb. current (nA)'),
    'Cm': ('CompartmentBase', 1e12, 'Memb. capacitance (pF)'),
    'Rm': ('CompartmentBase', 1e-9, 'Memb. Res (GOhm)'),
    'Ra': ('CompartmentBase', 1e-6, 'Axial Res (MOhm)'),
    'inject': ('CompartmentBase', 1e9, 'inject current (nA)'),
    'Gbar': ('ChanBase', 1e9, 'chan max conductance (nS)'),
    'modulation': ('ChanBase', 1, 'chan modulation (unitless)'),
    'Gk': ('ChanBase', 1e9, 'chan conductance (nS)'),
    'Ik': ('ChanBase', 1e9, 'chan current (nA)'),
    'ICa': ('NMDAChan', 1e9, 'Ca current (nA)'),
    'Ca': ('CaConcBase', 1e3, 'Ca conc (uM)'),
    'n': ('PoolBase', 1, '# of molecules'),
    'conc': ('PoolBase', 1000, 'Concentration (uM)'),
    'nInit': ('PoolBase', 1, '# of molecules'),
    'concInit': ('PoolBase', 1000, 'Concentration (uM)'),
    'volume': ('PoolBase', 1e18, 'Volume (um^3)'),
    'current': ('VClamp', 1e9, 'Holding Current (nA)'),
}
MOOG_FIELDS = ('Vm', 'initVm', 'Im', 'inject', 'Gbar', 'Gk', 'Ik', 'ICa', 'Ca', 'n', 'conc',
               'volume')
STIM_FIELDS = ('inject', 'Ca', 'n', 'conc', 'nInit', 'concInit', 'increment', 'vclamp',
               'randsyn', 'periodicsyn')
CHEM_FIELDS = ('n', 'conc', 'nInit', 'concInit', 'volume', 'increment')


class _Spec:
    _list = ''
    _fields = ()

    @classmethod
    def convertArg(cls, arg, idx=None):
        if isinstance(arg, cls):
            return arg
        if isinstance(arg, dict):
            return cls(**arg)
        if isinstance(arg, (list, tuple)):
            if len(arg) > len(cls._fields):
                raise _err(cls._list, idx, None, arg, f'expected at most {len(cls._fields)} '
                           f'entries ({", ".join(cls._fields)})')
            return cls(*arg)
        raise _err(cls._list, idx, None, arg, f'expected a list or an {cls.__name__}')

    def _validate(self, idx):
        pass

    def as_list(self):
        return [getattr(self, f) for f in self._fields]

    def __repr__(self):
        return f'{type(self).__name__}(' + ', '.join(
            f'{f}={getattr(self, f)!r}' for f in self._fields) + ')'

    def __eq__(self, other):
        return type(self) is type(other) and self.as_list() == other.as_list()


def _plain_text(v):
    return v if isinstance(v, str) else (repr(v) if isinstance(v, (int, float)) else v)


class rplot(_Spec):
    """A plot: the *field* of object *relpath* under each compartment of
    *elecpath* where *geom_expr* > 0, recorded in /model/graphs/plot<k>
    (raw SI units / mM; *title*, *mode* ('time' or 'wave'), ymin/ymax and
    the display scale are for :meth:`rdesigneur.display`).  *saveFile*
    ('.csv' or '.xml') is written by display()."""
    _list = 'plotList'
    _fields = ('elecpath', 'geom_expr', 'relpath', 'field', 'title', 'mode', 'ymin', 'ymax',
               'saveFile', 'saveResolution', 'show')

    def __init__(self, elecpath='soma', geom_expr='1', relpath='.', field='Vm',
                 title='Membrane potential', mode='time', ymin=0.0, ymax=0.0, saveFile='',
                 saveResolution=3, show=True):
        self.elecpath = elecpath
        self.geom_expr = _plain_text(geom_expr)
        self.relpath = relpath
        self.field = field
        self.title = title
        self.mode = mode
        self.ymin = ymin
        self.ymax = ymax
        self.saveFile = saveFile or ''
        self.saveResolution = saveResolution
        self.show = show
        if self.saveFile:
            suf = str(self.saveFile).rsplit('.', 1)[-1]
            if '.' not in str(self.saveFile) or suf not in ('csv', 'xml'):
                raise _err(self._list, None, 'saveFile', saveFile,
                           "expected a file name ending in '.csv' or '.xml'")

    @property
    def filename(self):
        return self.saveFile

    def _validate(self, idx):
        lst = self._list
        _text(lst, idx, 'elecpath', self.elecpath)
        self.geom = _expr(lst, idx, 'geom_expr', self.geom_expr)
        _text(lst, idx, 'relpath', self.relpath)
        f = self.field
        valid = PLOT_FIELDS if lst == 'plotList' else MOOG_FIELDS
        if f not in valid:
            raise _err(lst, idx, 'field', f, f'unknown field{suggest(str(f), valid)}; valid: '
                       f'{", ".join(valid)}')
        _num(lst, idx, 'ymin', self.ymin)
        _num(lst, idx, 'ymax', self.ymax)


class rmoog(rplot):
    """A 3-D display panel (the moogList): as rplot, with *diaScale*."""
    _list = 'moogList'
    _fields = ('elecpath', 'geom_expr', 'relpath', 'field', 'title', 'ymin', 'ymax', 'show',
               'diaScale')

    def __init__(self, elecpath='soma', geom_expr='1', relpath='.', field='Vm',
                 title='Membrane potential', ymin=0.0, ymax=0.0, show=True, diaScale=1.0):
        super().__init__(elecpath, geom_expr, relpath, field, title, 'time', ymin, ymax)
        self.show = show
        self.diaScale = diaScale


class rstim(_Spec):
    """A stimulus: *field* of object *relpath* under each compartment of
    *elecpath* where *geom_expr* > 0 follows *expr*, a function of t [s].
    Fields: inject [A], Ca [mM], n, conc [mM], nInit, concInit, increment,
    vclamp [V], randsyn / periodicsyn (rate [Hz]; geom_expr is then the
    synaptic weight)."""
    _list = 'stimList'
    _fields = ('elecpath', 'geom_expr', 'relpath', 'field', 'expr')

    def __init__(self, elecpath='soma', geom_expr='1', relpath='.', field='inject', expr='0'):
        self.elecpath = elecpath
        self.geom_expr = _plain_text(geom_expr)
        self.relpath = relpath
        self.field = field
        self.expr = _plain_text(expr)

    def _validate(self, idx):
        lst = self._list
        _text(lst, idx, 'elecpath', self.elecpath)
        _text(lst, idx, 'relpath', self.relpath)
        if self.field not in STIM_FIELDS:
            raise _err(lst, idx, 'field', self.field, f'unknown stimulus field'
                       f'{suggest(str(self.field), STIM_FIELDS)}; valid: '
                       f'{", ".join(STIM_FIELDS)}')
        if self.field in ('randsyn', 'periodicsyn'):
            self.weight = _num(lst, idx, 'geom_expr (the synaptic weight for '
                               f'{self.field})', self.geom_expr)
            self.geom = Expr('1')
        else:
            self.geom = _expr(lst, idx, 'geom_expr', self.geom_expr)
        self.texpr = _expr(lst, idx, 'expr', self.expr, variables=('t',))


class rfile(_Spec):
    """An output file: *field* of *path* sampled every *dt* [s] into
    *fname* (.h5/.nsdf written by NSDF; .csv/.txt as text)."""
    _list = 'outputFileList'
    _fields = ('fname', 'path', 'field', 'dt', 'flushSteps', 'start', 'stop', 'ftype')

    def __init__(self, fname='output.h5', path='soma', field='Vm', dt=1e-4, flushSteps=200,
                 start=0.0, stop=-1.0, ftype='nsdf'):
        self.fname = fname
        self.path = path
        self.field = field
        self.dt = dt
        self.flushSteps = flushSteps
        self.start = start
        self.stop = stop
        self.ftype = str(fname).rsplit('.', 1)[-1]

    def _validate(self, idx):
        lst = self._list
        _text(lst, idx, 'fname', self.fname)
        if self.ftype not in ('txt', 'csv', 'h5', 'nsdf'):
            raise _err(lst, idx, 'fname', self.fname, 'unknown file type; valid suffixes: '
                       '.txt, .csv, .h5, .nsdf')
        if self.field not in MOOG_FIELDS:
            raise _err(lst, idx, 'field', self.field, f'unknown field'
                       f'{suggest(str(self.field), MOOG_FIELDS)}; valid: '
                       f'{", ".join(MOOG_FIELDS)}')
        _num(lst, idx, 'dt', self.dt, positive=True)


# ================================================================ normalise
_NORMALISERS = {
    'cellProto': norm_cell_proto,
    'chanProto': norm_chan_proto,
    'spineProto': lambda i, e: _proto('spineProto', i, e, SpineProto),
    'chemProto': lambda i, e: _proto('chemProto', i, e, ChemProto),
    'passiveDistrib': norm_passive,
    'chanDistrib': norm_chan,
    'spineDistrib': norm_spine,
    'chemDistrib': norm_chem,
    'adaptorList': norm_adaptor,
}
_HELPER_CLASSES = {'stimList': rstim, 'plotList': rplot, 'moogList': rmoog,
                   'outputFileList': rfile}
SPEC_LISTS = tuple(_NORMALISERS) + tuple(_HELPER_CLASSES)


def normalise(name, entries):
    """The typed specs of spec list *name* (one of :data:`SPEC_LISTS`)."""
    if entries is None:
        return []
    if not isinstance(entries, (list, tuple)):
        raise SpecError(f'rdesigneur {name} = {entries!r}: expected a list of entries')
    if name in _HELPER_CLASSES:
        cls = _HELPER_CLASSES[name]
        out = []
        for i, e in enumerate(entries):
            try:
                s = cls.convertArg(e, i)
            except TypeError as exc:
                raise _err(name, i, None, e, str(exc)) from None
            except SpecError as exc:
                msg = str(exc).replace(f'rdesigneur {name} ', f'rdesigneur {name}[{i}] ', 1)
                raise SpecError(msg) from None
            s._validate(i)
            out.append(s)
        return out
    f = _NORMALISERS[name]
    return [f(i, e) for i, e in enumerate(entries)]


def spec_to_list(spec):
    """A spec object back in MOOSE's list form (expressions as text)."""
    if isinstance(spec, _Spec):
        return spec.as_list()
    out = []
    for f in dataclasses.fields(spec):
        v = getattr(spec, f.name)
        if isinstance(v, Expr):
            v = v.text
        elif isinstance(v, list):
            v = [x for pair in v for x in ((pair[0], pair[1].text) if isinstance(pair, tuple)
                                            else (pair,))]
            out.extend(v)
            continue
        out.append(v)
    return out
