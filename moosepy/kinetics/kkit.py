"""Reader of GENESIS kinetikit (kkit) ``.g`` model files.

:func:`read_kkit` builds, through the public constructors, the objects a
MOOSE script would make, with MOOSE's names and paths:

* ``<model>/kinetics`` a ``CubeMesh`` (the compartment of the largest
  volume), ``<model>/graphs``, ``moregraphs``, ``geometry``, ``groups``
  (``Neutral``);
* ``kpool`` -> ``Pool`` (``BufPool`` when ``slave_enable & 4`` or when a
  stimulus table drives it), ``kreac`` -> ``Reac``, ``kenz`` -> ``Enz`` with
  its complex pool ``<enz>/<enz>_cplx``, or ``MMenz`` (``usecomplex`` set),
  ``group`` -> ``Neutral``, ``xtab`` (loop/once) -> ``StimulusTable``,
  ``xgraph`` -> ``Neutral`` and ``xplot`` -> ``Table2`` (``PLOT`` messages
  become ``requestOut -> getConc``/``getN``), ``SUMTOTAL`` -> a ``Function``
  ``<pool>/func`` summing the sources' ``n`` into ``setN``;
* ``kchan`` -> ``ConcChan`` (as MOOSE: ``permeability`` = kkit's perm times
  1000, 1/(mM s); ``REAC A B`` -> ``in``, ``REAC B A`` -> ``out``, the
  ``NUMCHAN`` pool's ``nOut`` -> ``setNumChan``): flux into the inner pool
  ``P * N * (c_out - c_in)`` [#/s].  The Stoich runs it exactly; MOOSE,
  which runs ConcChans only across membrane-bound Dsolve junctions, leaves
  the channels of a loaded kkit model inert (see ``concchan.py``).

Names are cleaned as MOOSE does (``-`` ``[`` ``]`` ``@`` and blanks become
``_``, ``*`` becomes ``_p``, a leading digit gets a ``_``).

Units (as MOOSE converts them): kkit stores concentrations in uM, molecule
counts with Avogadro's number taken as 6e23, and a pool's ``vol`` is the
scale factor n = vol * conc[uM].  So a pool's volume is
``1e3 * vol / 6e23`` m^3 and ``concInit = nInit / vol * 1e-3`` mM.  Rates are
per molecule in kkit; MOOSE keeps them per molecule after correcting for the
exact NA: ``numKf = kf * (6e23/NA)**(nsub - 1)``; an ``Enz`` gets
``concK1 = k1 * 1e3 * vol * (6e23/NA)**nsub`` (vol of the enzyme's pool),
``k2``, ``k3``; an ``MMenz`` ``Km = (k2 + k3) / (k1 * 1e3 * vol)`` mM and
``kcat = k3``.  These are MOOSE's conversions, kept so that results agree
with MOOSE; note that for an ``Enz`` they differ from an exact rescaling of
kkit's molecule numbers by one factor 6e23/NA (0.37 %) per substrate.

Compartments: pools are sorted into volume classes (relative difference
below 1e-3); the largest is ``/kinetics``, the others become CubeMeshes
``<model>/compartment_<rank>`` and their pools move there; a reaction moves
to the compartment of its first substrate.  Where groups carry the note
"Compartment..." (newer kkit files), each such group becomes a CubeMesh of
its own name instead (volume of its first pool), and ``/kinetics`` a
Neutral when nothing else is left in it.

Solvers (``solverclass``): 'gsl'/'rk5' (and the other Ksolve methods) or
'lsoda' give a ``Stoich`` + ``Ksolve`` in each compartment, and, with
several CubeMesh compartments, a ``Dsolve`` in each, the compartments moved
along x to abut (smallest first) and each joined to the next smaller one by
a junction, so that same-named diffusing pools exchange across them, as
MOOSE's loader does; each tick their chemistries step, and exchange,
smallest compartment first, as MOOSE's (whose clock follows the order the
solvers were made; moosepy's would follow the tree).  Where reactions
cross compartments a single Stoich covers them all (MOOSE instead couples
per-compartment solvers through "xfer" pools, an O(dt) splitting; the
single Stoich converts each rate with the volume of its own reactants);
'ee' gives no solver; 'gssa' a ``Gsolve`` where moosepy has one.  Clocks
are set as MOOSE does: ticks 10-14 to SIMDT, 15-18 to PLOTDT.

Load sequence, as MOOSE 5.0's ``loadModel``: the model is built, the
clocks set, ``<model>/info`` (solver 'ee', runtime MAXTIME) and
``kinetics/info`` Annotators made, then the simulation is reinitialised
(each table holds its t = 0 sample on return, time 0), and only then is
the solver added ('gsl'/'gssa' written to the compartment's info).
Solver names: 'gsl', 'rk5', 'rk', 'rkf', 'ksolve', 'deterministic',
'rungekutta' give a Ksolve (RK5); 'gssa', 'gsolve', 'gillespie',
'stochastic' a Gsolve; 'ee', 'neutral' and 'old_gssa' (an old MOOSE name
that MOOSE 5.0 loads unsolved) none.  Deliberate difference: 'lsoda' and
'rk2'/'rk4'/'rk8'/'rkck' give a Ksolve of that method, where MOOSE 5.0's
Python ``loadModel`` turns any name it does not list into 'ee' (an
unsolved model run by exponential Euler); any other name raises here
rather than running unsolved.

A file that cannot be read raises :class:`~moosepy.core.errors.ModelImportError`
naming the file, the line and what is wrong; the element tree is then
unchanged (the model is built under a staging element and moved into place
only when complete).  Constructs moosepy cannot build (``stim``, ``table``,
``transport`` objects, unknown message types) raise that error too, rather
than being dropped.
"""

import itertools
import logging
import math
import os
import re

from ..core.errors import ModelImportError, MooseError
from ..core.limits import check_text, limits, bound_error
from ..core.units import NA
from .dsolve import PROCESS_ORDER

log = logging.getLogger('moosepy.kinetics')

#: Avogadro's number as kkit (GENESIS) used it
KKIT_NA = 6.0e23
NA_RATIO = KKIT_NA / NA

#: object types that are read and not built (display, notes, geometry: MOOSE
#: takes volumes from the pools)
_IGNORED_TYPES = {'text', 'xcoredraw', 'xtree', 'xtext', 'doqcsinfo', 'geometry'}
_BUILT_TYPES = {'kpool', 'kreac', 'kenz', 'kchan', 'group', 'xtab', 'xgraph', 'xplot'}
_MSG_TYPES = {'REAC', 'SUBSTRATE', 'PRODUCT', 'ENZYME', 'MM_PRD', 'PLOT', 'SUMTOTAL',
              'CONSERVE', 'NUMCHAN', 'SLAVE', 'INTRAMOL'}
_COMMANDS = {'simobjdump', 'simundump', 'addmsg', 'call', 'xtextload', 'loadtab', 'enddump',
             'complete_loading', 'include', 'setfield', 'kparms', 'initdump'}
_HEADER = {'FASTDT', 'SIMDT', 'CONTROLDT', 'PLOTDT', 'MAXTIME', 'TRANSIENT_TIME',
           'VARIABLE_DT_FLAG', 'DEFAULT_VOL', 'VERSION'}
_SOLVERS = ('gsl', 'rk5', 'rkf', 'rk', 'ksolve', 'deterministic', 'rungekutta', 'runge kutta',
            'rk2', 'rk4', 'rk8', 'rkck', 'lsoda', 'ee', 'neutral', 'exponential euler',
            'exponentialeuler', 'old_gssa', 'gssa', 'gsolve', 'gillespie', 'stochastic')
_staging = itertools.count()


# ------------------------------------------------------------------ parsing
class _Obj:
    """One ``simundump`` object: kkit type and path, field values, line."""

    def __init__(self, kind, path, values, line):
        self.kind, self.path, self.values, self.line = kind, path, values, line
        self.notes = ''
        self.el = None          # moosepy element, once built
        self.cplx = None        # Enz complex element
        self.table = []         # loadtab values


class _Msg:
    def __init__(self, src, dst, kind, args, line):
        self.src, self.dst, self.kind, self.args, self.line = src, dst, kind, args, line


class _Parsed:
    def __init__(self):
        self.header = {}
        self.fields = {}        # kkit type -> field names (simobjdump)
        self.objs = {}          # kkit path -> _Obj, in file order
        self.msgs = []
        self.ended = False


_TOKEN = re.compile(r'"[^"]*"|\S+')


class _Reader:
    def __init__(self, fname):
        self.fname = fname
        self.line = 0

    def error(self, what, line=None):
        return ModelImportError(f'{self.fname}:{self.line if line is None else line}: {what}')

    # --- lines -------------------------------------------------------------
    def logical_lines(self, text):
        """(first line number, text) of each logical line: continuation
        backslashes joined, // and /* */ comments removed."""
        out = []
        buf, start = '', None
        in_comment = False
        for num, raw in enumerate(text.split('\n'), 1):
            self.line = num
            s = raw.rstrip('\r')
            bad = re.search(r'[\x00-\x08\x0b\x0e-\x1f\x7f]', s)
            if bad:
                raise self.error(f'binary or control character {bad.group()!r} in the text '
                                 f'(column {bad.start() + 1}); not a kkit text file')
            if in_comment:
                end = s.find('*/')
                if end < 0:
                    continue
                s = s[end + 2:]
                in_comment = False
            st = s.strip()
            if not buf and st.startswith('/*'):
                end = st.find('*/', 2)
                if end < 0:
                    in_comment = True
                    continue
                st = st[end + 2:].strip()
            if start is None:
                start = num
            if st.endswith('\\'):
                buf += st[:-1] + ' '
                continue
            buf += st
            if buf.lstrip().startswith('//'):
                buf = ''
            elif '//' in buf and not buf.lstrip().startswith('call'):
                buf = buf[:buf.index('//')]
            if buf.strip():
                out.append((start, buf.strip()))
            buf, start = '', None
        if buf.strip():
            # a continuation backslash on the last line: the file was cut
            raise self.error('file ends inside a continued line (truncated?)')
        if in_comment:
            raise self.error('file ends inside a /* comment */ (truncated?)')
        return out

    def tokens(self, text):
        if text.count('"') % 2:
            raise self.error('unbalanced double quote')
        return [t[1:-1] if t.startswith('"') else t for t in _TOKEN.findall(text)]

    def number(self, text, what):
        try:
            v = float(text)
        except ValueError:
            raise self.error(f'{what}: expected a number, got {text!r}') from None
        if not math.isfinite(v):
            raise self.error(f'{what}: expected a finite number, got {text!r}')
        return v

    # --- file --------------------------------------------------------------
    def parse(self, text):
        p = _Parsed()
        mode = 'init'
        for num, line in self.logical_lines(text):
            self.line = num
            head = line.split(None, 1)[0]
            if mode == 'init':
                if head == 'initdump':
                    mode = 'data'
                    continue
                tok = line.split()
                if head in _HEADER:
                    if len(tok) != 3 or tok[1] != '=':
                        raise self.error(f"expected '{head} = <number>', got {line!r}")
                    p.header[head] = self.number(tok[2], head)
                    if head.endswith('DT') and not p.header[head] > 0:
                        raise self.error(f'{head} must be > 0 [s], got {tok[2]}')
                continue        # include, setfield, kparms ... as MOOSE: not needed
            if head not in _COMMANDS:
                raise self.error(f"unknown command {head!r}; a kkit dump holds: "
                                 f"{', '.join(sorted(_COMMANDS))}")
            if head == 'call':
                self.call(p, line)
                continue
            tok = self.tokens(line)
            if head == 'simobjdump':
                if len(tok) < 2:
                    raise self.error('simobjdump without an object type')
                p.fields[tok[1]] = tok[2:]
            elif head == 'simundump':
                self.undump(p, tok)
            elif head == 'addmsg':
                if len(tok) < 4:
                    raise self.error(f'addmsg needs source, destination and type, got {line!r}')
                if tok[3] not in _MSG_TYPES:
                    raise self.error(f'unsupported addmsg type {tok[3]!r} '
                                     f'({tok[1]} -> {tok[2]}); supported: '
                                     f"{', '.join(sorted(_MSG_TYPES))}")
                for end in (tok[1], tok[2]):
                    if end not in p.objs:
                        raise self.error(f'addmsg {tok[3]}: no object {end!r} defined before '
                                         f'this line')
                p.msgs.append(_Msg(p.objs[tok[1]], p.objs[tok[2]], tok[3], tok[4:], num))
            elif head == 'loadtab':
                self.loadtab(p, tok)
            elif head == 'enddump':
                p.ended = True
        if not p.ended:
            raise self.error("file ends before 'enddump' (truncated?)")
        return p

    def undump(self, p, tok):
        if len(tok) < 3:
            raise self.error('simundump needs an object type and a path')
        kind, path = tok[1], tok[2]
        if kind not in _IGNORED_TYPES and kind not in _BUILT_TYPES:
            raise self.error(f"unsupported kkit object type {kind!r} ({path}); moosepy reads: "
                             f"{', '.join(sorted(_BUILT_TYPES | _IGNORED_TYPES))}")
        if kind in _IGNORED_TYPES:
            return
        names = p.fields.get(kind)
        if names is None:
            raise self.error(f"simundump {kind} {path}: no 'simobjdump {kind}' line before it "
                             f"gives its fields")
        vals = tok[4:]
        if len(vals) != len(names):
            raise self.error(f'simundump {kind} {path}: expected {len(names) + 1} values '
                             f'({" ".join(names)} after one flag), got {len(tok) - 3}')
        if not path.startswith('/') or '//' in path or path.endswith('/'):
            raise self.error(f'simundump {kind}: bad path {path!r}')
        cap = limits.max_depth
        if cap is not None and path.count('/') > cap:
            raise bound_error(self.fname, self.line, f'a path {path.count("/")} levels deep',
                              'max_depth', cap)
        if path in p.objs:
            raise self.error(f'simundump {kind}: {path} is defined twice (first at line '
                             f'{p.objs[path].line})')
        root = path.split('/')[1]
        want = ('graphs', 'moregraphs') if kind in ('xgraph', 'xplot') else ('kinetics',)
        if root not in want or path.count('/') < 2:
            raise self.error(f'simundump {kind} {path}: expected a path under '
                             f"{' or '.join('/' + w for w in want)}")
        parent = path.rsplit('/', 1)[0]
        if parent.count('/') >= 2 and parent not in p.objs:
            raise self.error(f'simundump {kind} {path}: parent {parent} is not defined '
                             f'before this line')
        values = dict(zip(names, vals))
        num = {'kpool': ('CoInit', 'nInit', 'vol', 'slave_enable'),
               'kreac': ('kf', 'kb'),
               'kenz': ('nComplexInit', 'vol', 'k1', 'k2', 'k3', 'usecomplex'),
               'kchan': ('perm',),
               'xtab': ('input', 'step_mode', 'stepsize')}.get(kind, ())
        for f in num:
            if f not in values:
                raise self.error(f"simundump {kind} {path}: field {f!r} is missing from "
                                 f"'simobjdump {kind}'")
            values[f] = self.number(values[f], f'{path} {f}')
        if kind == 'kpool' and 'DiffConst' in values:
            values['DiffConst'] = self.number(values['DiffConst'], f'{path} DiffConst')
            if values['DiffConst'] < 0:
                raise self.error(f"{path} DiffConst: a diffusion constant must be >= 0 "
                                 f"(m^2/s), got {values['DiffConst']!r}")
        for f in ('kf', 'kb', 'k2', 'k3', 'nInit', 'nComplexInit'):
            if f in num and values[f] < 0:
                raise self.error(f'{path}: {f} must be >= 0, got {values[f]}')
        if kind == 'kpool' and not values['vol'] > 0:
            raise self.error(f'{path}: vol (volume scale, molecules per uM) must be > 0, got '
                             f"{values['vol']}")
        if kind == 'kenz' and not values['k1'] > 0:
            raise self.error(f"{path}: k1 must be > 0, got {values['k1']}")
        if kind == 'kenz' and not (values['k2'] + values['k3']) > 0:
            raise self.error(f'{path}: k2 + k3 must be > 0 (Km would be 0)')
        for f in ('slave_enable', 'usecomplex', 'step_mode'):
            if f in num and values[f] != int(values[f]):
                raise self.error(f'{path}: {f} must be an integer, got {values[f]}')
        if kind == 'kenz' and (parent not in p.objs or p.objs[parent].kind != 'kpool'):
            raise self.error(f'simundump kenz {path}: an enzyme must sit on a pool; '
                             f'{parent} is not a kpool')
        p.objs[path] = _Obj(kind, path, values, self.line)

    def call(self, p, line):
        # call /kinetics/foo/notes LOAD "text" ...
        tok = line.split(None, 3)
        if len(tok) >= 3 and tok[2] == 'LOAD' and tok[1].endswith('/notes'):
            target = p.objs.get(tok[1][:-len('/notes')])
            if target is not None and len(tok) > 3:
                target.notes = ' '.join(t.strip('"') for t in tok[3].split()).strip()

    def loadtab(self, p, tok):
        if len(tok) < 2:
            raise self.error('loadtab without a table')
        if tok[1].startswith('-cont') or tok[1] == '-end':
            if getattr(p, 'last_tab', None) is None:
                raise self.error(f'loadtab {tok[1]} with no table being loaded')
            tab, vals = p.last_tab, tok[2:]
        else:
            tab = p.objs.get(tok[1])
            if tab is None or tab.kind != 'xtab':
                raise self.error(f'loadtab: {tok[1]!r} is not an xtab defined before this line')
            if len(tok) < 7:
                raise self.error('loadtab needs: table calc_mode xdivs xmin xmax values...')
            tab.xmin = self.number(tok[5], 'loadtab xmin')
            tab.xmax = self.number(tok[6], 'loadtab xmax')
            tab.table = []
            vals = tok[7:]
        tab.table.extend(self.number(v, f'loadtab {tab.path} value') for v in vals)
        p.last_tab = None if tok[1] == '-end' else tab


# ------------------------------------------------------------------ naming
def clean_name(name):
    """A kkit object name as MOOSE names it."""
    out = ''.join('_p' if c == '*' else '_' if c in '[]@ -' else c for c in name)
    if out[:1].isdigit():
        out = '_' + out
    return out


def clean_path(path):
    """kkit path ('/kinetics/a-b/c') -> relative moosepy path ('kinetics/a_b/c')."""
    return '/'.join(clean_name(c) for c in path.strip('/').split('/'))


# ------------------------------------------------------------------ building
class _Builder:
    def __init__(self, reader, parsed):
        self.r = reader
        self.p = parsed
        import moosepy as moose
        self.moose = moose

    def err(self, obj_or_msg, what):
        return self.r.error(what, obj_or_msg.line)

    def build(self, base):
        m = self.moose
        self.base = base
        bpath = base.path
        kin = m.CubeMesh(bpath + '/kinetics')
        kin.volume = 1e-15
        m.Annotator(kin.path + '/info')
        for n in ('graphs', 'moregraphs', 'geometry', 'groups'):
            m.Neutral(f'{bpath}/{n}')
        slaves = {id(msg.dst) for msg in self.p.msgs if msg.kind == 'SLAVE'}
        objs = list(self.p.objs.values())
        for o in objs:
            self.at(o, self.make, o, slaves)
        for msg in self.p.msgs:
            self.at(msg, self.connect, msg)
        self.check_reactions()
        self.compartments()
        for o in objs:
            self.at(o, self.parameters, o)
        for msg in self.p.msgs:
            if msg.kind == 'SUMTOTAL':
                self.at(msg, self.sumtotal, msg)
        for o in objs:
            if o.kind == 'kchan':
                self.at(o, self.channel, o)

    def at(self, item, fn, *args):
        """Run one build step; a moosepy error in it names item's line."""
        try:
            fn(*args)
        except ModelImportError:
            raise
        except MooseError as e:
            what = getattr(item, 'path', None) or f'addmsg {item.kind}'
            raise self.err(item, f'{what}: {e}') from e

    def path_of(self, o):
        return self.base.path + '/' + clean_path(o.path)

    def make(self, o, slaves):
        m = self.moose
        path = self.path_of(o)
        if m.exists(path):
            raise self.err(o, f'{o.path}: its MOOSE name {path[len(self.base.path):]} is '
                              f'already taken (names are cleaned as MOOSE does)')
        v = o.values
        if o.kind == 'kpool':
            flag = int(v['slave_enable'])
            cls = m.BufPool if (flag & 4 or id(o) in slaves) else m.Pool
            o.el = cls(path)
            d = v.get('DiffConst', 0.0)
            o.el.diffConst = d if d > 0 else 0.0
        elif o.kind == 'kreac':
            o.el = m.Reac(path)
        elif o.kind == 'kenz':
            if int(v['usecomplex']):
                o.el = m.MMenz(path)
            else:
                o.el = m.Enz(path)
                name = path.rsplit('/', 1)[1] + '_cplx'
                o.cplx = m.Pool(path + '/' + name)
                m.connect(o.el, 'cplx', o.cplx, 'reac', 'OneToAll')
        elif o.kind == 'group':
            o.el = m.Neutral(path)
        elif o.kind == 'xgraph':
            o.el = m.Neutral(path)
        elif o.kind == 'xplot':
            o.el = m.Table2(path)
        elif o.kind == 'xtab':
            mode = int(v['step_mode'])
            if mode not in (1, 2):
                raise self.err(o, f'{o.path}: xtab step_mode {mode} is not supported (1 loop '
                                  f'and 2 once become a StimulusTable)')
            o.el = m.StimulusTable(path)
            o.el.stepSize = v['stepsize']
            if mode == 1:
                o.el.doLoop = True
            start = -v['input'] + getattr(o, 'xmin', 0.0)
            o.el.startTime = start
            o.el.stopTime = getattr(o, 'xmax', 1.0)
            o.el.vector = o.table
        elif o.kind == 'kchan':
            o.el = m.ConcChan(path)
        o.flux_out = None

    def connect(self, msg):
        m = self.moose
        s, d, k, a = msg.src, msg.dst, msg.kind, msg.args

        def need(o, kinds, role):
            if o.kind not in kinds:
                raise self.err(msg, f'addmsg {k}: {role} {o.path} is a {o.kind}, expected '
                                    f"{' or '.join(kinds)}")

        if k == 'REAC':
            if len(a) < 2:
                raise self.err(msg, 'addmsg REAC needs two arguments (A B, B A, sA B, eA B, '
                                    'pA B)')
            pair = (a[0], a[1])
            if pair == ('A', 'B') or pair == ('B', 'A'):
                need(s, ('kreac', 'kchan'), 'source')
                need(d, ('kpool',), 'destination')
                if s.kind == 'kchan':
                    s.__dict__.setdefault('chan_ends', {})['in' if pair[0] == 'A' else 'out'] = d
                    return
                m.connect(s.el, 'sub' if pair[0] == 'A' else 'prd', d.el, 'reac', 'OneToAll')
            elif pair == ('sA', 'B'):
                need(s, ('kenz',), 'source')
                need(d, ('kpool',), 'destination')
                m.connect(s.el, 'sub', d.el, 'reac', 'OneToAll')
            elif pair[0] in ('eA', 'pA'):
                need(s, ('kenz',), 'source')     # enzyme/product: from ENZYME and MM_PRD
            else:
                raise self.err(msg, f'addmsg REAC {a[0]} {a[1]}: unknown arguments; expected '
                                    'A B, B A, sA B, eA B or pA B')
        elif k == 'ENZYME':
            need(s, ('kpool',), 'source')
            need(d, ('kenz',), 'destination')
            if getattr(d, 'has_enz', False):
                raise self.err(msg, f'{d.path}: a second ENZYME message (first at line '
                                    f'{d.has_enz})')
            d.has_enz = msg.line
            if d.el.className == 'MMenz':
                m.connect(s.el, 'nOut', d.el, 'enzDest', 'OneToAll')
            else:
                m.connect(d.el, 'enz', s.el, 'reac', 'OneToAll')
        elif k == 'MM_PRD':
            need(s, ('kenz',), 'source')
            need(d, ('kpool',), 'destination')
            m.connect(s.el, 'prd', d.el, 'reac', 'OneToAll')
        elif k == 'PLOT':
            need(s, ('kpool', 'kenz'), 'source')
            need(d, ('xplot',), 'destination')
            field = a[0] if a else ''
            if field not in ('Co', 'CoComplex', 'n', 'nComplex', 'conc', 'CoInit', 'nInit'):
                raise self.err(msg, f"addmsg PLOT: unknown field {field!r}; expected Co, n, "
                                    f"CoComplex or nComplex")
            pool = s.el
            if s.kind == 'kenz':
                if s.cplx is None:
                    raise self.err(msg, f'addmsg PLOT: {s.path} is an MM enzyme: no complex '
                                        f'to plot')
                pool = s.cplx
            port = 'getN' if field.startswith('n') else 'getConc'
            if field.endswith('Init'):
                port += 'Init'
            m.connect(d.el, 'requestOut', pool, port)
        elif k == 'SUMTOTAL':
            need(s, ('kpool', 'kenz'), 'source')
            need(d, ('kpool',), 'destination')
            if s.kind == 'kenz' and s.cplx is None:
                raise self.err(msg, f'addmsg SUMTOTAL: {s.path} is an MM enzyme: no complex')
        elif k == 'NUMCHAN':
            need(s, ('kpool',), 'source')
            need(d, ('kchan',), 'destination')
            d.numchan = s
        elif k == 'SLAVE':
            need(s, ('xtab',), 'source')
            need(d, ('kpool',), 'destination')
            if a[:1] == ['output']:
                flag = int(d.values['slave_enable'])
                port = 'setConcInit' if flag & 2 else 'setNInit'
                if flag & 2:
                    s.el.vector = [x * 1e-3 for x in s.table]     # uM -> mM
                m.connect(s.el, 'output', d.el, port)
        # SUBSTRATE, PRODUCT, CONSERVE, INTRAMOL: the reverse of REAC messages
        # or display only; MOOSE does not use them either

    def check_reactions(self):
        for o in self.p.objs.values():
            if o.kind == 'kreac' and o.el.numSubstrates == 0:
                raise self.err(o, f"{o.path}: reaction without substrates (no 'REAC A B' "
                                  f"message names it)")
            if o.kind == 'kenz':
                if o.el.numSubstrates == 0:
                    raise self.err(o, f"{o.path}: enzyme without substrates (no 'REAC sA B' "
                                      f"message names it)")
                if not getattr(o, 'has_enz', False):
                    raise self.err(o, f"{o.path}: enzyme without an ENZYME message from its "
                                      f"enzyme pool")
            if o.kind == 'kchan':
                ends = getattr(o, 'chan_ends', {})
                if set(ends) != {'in', 'out'} or getattr(o, 'numchan', None) is None:
                    raise self.err(o, f"{o.path}: a kchan needs REAC A B (inner pool), REAC "
                                      f"B A (outer pool) and NUMCHAN messages")

    # --- compartments ---------------------------------------------------------
    def group_to_compartment(self, g, pools):
        """A group noted "Compartment...": becomes a CubeMesh of its name."""
        m = self.moose
        gel = g.el
        inside = [o for o in pools if _is_under(o.el, gel)]
        if not inside:
            raise self.err(g, f'{g.path}: a "Compartment" group with no pools (its '
                              f'volume comes from its first pool)')
        name = gel.name
        parent = gel.parent
        gel.name = 'group_conv_to_compt_' + name
        mesh = m.CubeMesh(parent.path + '/' + name)
        mesh.volume = inside[0].volume
        for child in list(gel.children):
            m.move(child, mesh)
        m.delete(gel)
        g.el = mesh

    def compartments(self):
        m = self.moose
        pools = [o for o in self.p.objs.values() if o.kind == 'kpool']
        for o in pools:
            o.volume = 1e3 * o.values['vol'] / KKIT_NA
        groups = [o for o in self.p.objs.values()
                  if o.kind == 'group' and o.notes.startswith('Compartment')]
        kin = m.element(self.base.path + '/kinetics')
        if groups:
            for g in groups:
                self.at(g, self.group_to_compartment, g, pools)
            classes = ('Pool', 'BufPool', 'Reac', 'Enz', 'MMenz', 'Neutral')
            if not any(c.className in classes for c in kin.children):
                kin.name = 'kinetics_conv_to_group'
                newk = m.Neutral(self.base.path + '/kinetics')
                for child in list(kin.children):
                    m.move(child, newk)
                m.delete(kin)
            return
        # volume classes, as MOOSE: relative difference below 1e-3
        vols, members = [], []
        for o in pools:
            for i, v in enumerate(vols):
                if abs(v - o.volume) / (abs(v) + abs(o.volume)) < 1e-3:
                    members[i].append(o)
                    break
            else:
                vols.append(o.volume)
                members.append([o])
        order = sorted(range(len(vols)), key=lambda i: -vols[i])
        for rank, i in enumerate(order):
            if rank == 0:
                compt = kin
            else:
                compt = m.CubeMesh(f'{self.base.path}/compartment_{rank}')
            compt.volume = vols[i]
            for o in members[i]:
                if _compartment(o.el) != compt:
                    if o.el.name in [c.name for c in compt.children]:
                        raise self.err(o, f'{o.path}: moving it into compartment '
                                          f'{compt.name} (its volume) clashes with another '
                                          f'pool of that name')
                    self.at(o, m.move, o.el, compt)
        for o in self.p.objs.values():
            if o.kind == 'kreac':
                subs = o.el.neighbors['sub']
                compt = _compartment(subs[0]) if subs else None
                if compt is not None and _compartment(o.el) != compt:
                    if o.el.name in [c.name for c in compt.children]:
                        raise self.err(o, f'{o.path}: moving it into compartment '
                                          f'{compt.name} clashes with another object')
                    self.at(o, m.move, o.el, compt)

    # --- parameters -----------------------------------------------------------
    def parameters(self, o):
        objs = self.p.objs
        if True:
            v = o.values
            if o.kind == 'kpool':
                o.el.concInit = v['nInit'] / v['vol'] * 1e-3
            elif o.kind == 'kreac':
                r = o.el
                nsub, nprd = r.numSubstrates, r.numProducts
                r.numKf = v['kf'] * NA_RATIO ** (nsub - 1) if nsub else v['kf']
                if nprd:
                    r.numKb = v['kb'] * NA_RATIO ** (nprd - 1)
                else:
                    r.Kb = v['kb']
            elif o.kind == 'kenz':
                vsf = objs[o.path.rsplit('/', 1)[0]].values['vol']
                k1, k2, k3 = v['k1'], v['k2'], v['k3']
                e = o.el
                if o.cplx is None:
                    e.Km = (k2 + k3) / (k1 * 1e3 * vsf)
                    e.kcat = k3
                else:
                    nsub = e.numSubstrates
                    e.kcat = k3
                    e.k2 = k2
                    e.concK1 = k1 * 1e3 * vsf * NA_RATIO ** nsub
                    o.cplx.nInit = v['nComplexInit'] / NA_RATIO

    def sumtotal(self, msg):
        m = self.moose
        dest = msg.dst.el
        fpath = dest.path + '/func'
        if m.exists(fpath):
            f = m.element(fpath)
        else:
            f = m.Function(fpath)
            m.connect(f, 'valueOut', dest, 'setN')
        src = msg.src.cplx if msg.src.kind == 'kenz' else msg.src.el
        k = f.numVars if f.expr != '0' else 0
        f.expr = '+'.join(f'x{i}' for i in range(k + 1))
        m.connect(src, 'nOut', f.x[k], 'input')

    def channel(self, o):
        """kchan -> ConcChan: flux P*N*(c_out - c_in) [#/s], c in mM, P the
        kkit perm times 1000 (see module doc)."""
        m = self.moose
        ends = o.chan_ends
        o.el.permeability = o.values['perm'] * 1e3
        m.connect(o.numchan.el, 'nOut', o.el, 'setNumChan')
        m.connect(o.el, 'in', ends['in'].el, 'reac')
        m.connect(o.el, 'out', ends['out'].el, 'reac')


def _is_under(obj, ancestor):
    el, anc = obj._el, ancestor._el
    p = el.parent
    while p is not None:
        if p is anc:
            return True
        p = p.parent
    return False


def _compartment(obj):
    from .mesh import compartment_of
    el = obj._el if hasattr(obj, '_el') else obj
    c = compartment_of(el)
    return None if c is None else c.handle(0)


# ------------------------------------------------------------------ solvers
def _solver_kind(solverclass):
    s = str(solverclass).lower()
    if s not in _SOLVERS:
        raise MooseError(f'read_kkit: unknown solverclass {solverclass!r}; valid: '
                         f"{', '.join(_SOLVERS)}")
    if s in ('ee', 'neutral', 'exponential euler', 'exponentialeuler', 'old_gssa'):
        # 'old_gssa' (MOOSE 2's name): MOOSE 5.0 knows no such solver and
        # loads the model unsolved, run by exponential Euler; so does moosepy
        return 'ee', None
    if s in ('gssa', 'gsolve', 'gillespie', 'stochastic'):
        return 'gssa', None
    if s == 'lsoda':
        return 'ksolve', 'lsoda'
    if s in ('rk2', 'rk4', 'rk8', 'rkck'):
        return 'ksolve', s
    return 'ksolve', 'rk5'


def _crosses(moose, base):
    """True if a reaction, enzyme or ConcChan has reactants in different
    compartments."""
    for r in moose.wildcardFind(base + '/##[ISA=ReacBase],' + base + '/##[ISA=EnzBase],' +
                                base + '/##[ISA=ConcChan]'):
        comps = set()
        for port in ('sub', 'prd', 'enz', 'cplx', 'enzDest', 'in', 'out', 'setNumChan'):
            try:
                for p in r.neighbors[port]:
                    comps.add(_compartment(p).path)
            except MooseError:
                continue
        if len(comps) > 1:
            return True
    for f in moose.wildcardFind(base + '/##[ISA=Function]'):
        comps = {_compartment(p).path for p in f.neighbors['valueOut']}
        for x in range(f.numVars):
            comps |= {_compartment(p).path for p in f.x[x].neighbors['input']}
        if len(comps) > 1:
            return True
    return False


def _add_solvers(moose, base, kind, method):
    if kind == 'ee':
        return
    compts = moose.wildcardFind(base + '/##[ISA=ChemCompt]')
    if kind == 'gssa':
        solver_cls = getattr(moose, 'Gsolve')
        name = 'gsolve'
    else:
        solver_cls = moose.Ksolve
        name = 'ksolve'
    if len(compts) > 1 and _crosses(moose, base):
        # one solver over all compartments (exact coupling of cross-compartment
        # reactions); it sits in the largest compartment
        main = max(compts, key=lambda c: c.volume)
        pairs = [(main, base + '/##')]
    else:
        pairs = [(c, c.path + '/##') for c in compts]
    diffuse = len(pairs) > 1 and all(c.className == 'CubeMesh' for c in compts)
    if diffuse:
        # as MOOSE's setCompartmentSolver: the compartments, smallest first,
        # are moved along x to abut, and each gets a Dsolve; same-named
        # diffusing pools then exchange across the shared faces
        order = sorted(compts, key=lambda c: c.volume)
        for a, b in zip(order, order[1:]):
            c = list(b.coords[:6])
            width = c[3] - c[0]
            c[0], c[3] = a.x1, a.x1 + width    # b starts where a ends
            b.coords = c
        # MOOSE makes the solvers smallest compartment first, and its clock
        # steps the objects of a tick in the order they were made: the
        # joined chemistries step (and exchange across their junctions) in
        # that order, not moosepy's tree order (dsolve.PROCESS_ORDER)
        pairs = sorted(pairs, key=lambda cp: cp[0].volume)
    for rank, (compt, path) in enumerate(pairs):
        ks = solver_cls(compt.path + '/' + name)
        if method is not None:
            ks.method = method
        st = moose.Stoich(compt.path + '/stoich')
        st.compartment = compt
        st.ksolve = ks
        if diffuse:
            st.dsolve = moose.Dsolve(compt.path + '/dsolve')
            ks._element().data[PROCESS_ORDER] = rank
        st.reacSystemPath = path
    if diffuse:
        # each compartment joined to the next smaller one, which it abuts
        # (MOOSE joins them in its wildcard order, which here is this one);
        # the larger one holds the junction, as in MOOSE
        ds = [moose.element(c.path + '/dsolve') for c in order]
        for a, b in zip(ds, ds[1:]):
            b.buildMeshJunctions(a)


# ------------------------------------------------------------------ entry point
def read_kkit(path, modelpath='/model', solverclass='gsl'):
    """Load a GENESIS kkit ``.g`` file into the element tree.

    Parameters
    ----------
    path : str
        The ``.g`` file.
    modelpath : str
        Path of the model element to create (must not exist yet).
    solverclass : str
        'gsl' (= 'rk5', MOOSE's default), 'lsoda', another Ksolve method,
        'gssa' (needs a moosepy Gsolve) or 'ee' (no solver).

    Returns
    -------
    The model element (a ``Neutral``).

    Raises
    ------
    ModelImportError
        When the file cannot be read or is not a valid kkit model; the
        message names the file and line.  The element tree is unchanged.
    """
    import moosepy as moose
    fname = str(path)
    kind, method = _solver_kind(solverclass)
    if kind == 'gssa' and not hasattr(moose, 'Gsolve'):
        raise ModelImportError(f"{fname}: solverclass {solverclass!r} needs moose.Gsolve, "
                               f"which this moosepy does not have; use 'gsl', 'lsoda' or 'ee'")
    if os.path.isfile(fname):
        check_text(fname)       # size, line length, lines (moosepy.limits)
    try:
        with open(fname, 'rb') as fh:
            data = fh.read()
    except OSError as e:
        raise ModelImportError(f'{fname}: cannot read the file ({e.strerror})') from None
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise ModelImportError(f'{fname}:{line}: not a text file (byte 0x{data[e.start]:02x} '
                               f'is not UTF-8)') from None
    reader = _Reader(fname)
    parsed = reader.parse(text)

    modelpath = modelpath if modelpath.startswith('/') else \
        moose.getCwe().path.rstrip('/') + '/' + modelpath
    parent_path, _, name = modelpath.rstrip('/').rpartition('/')
    parent_path = parent_path or '/'
    if not name or not moose.exists(parent_path):
        raise ModelImportError(f'{fname}: cannot create the model at {modelpath!r} (parent '
                               f'{parent_path!r} does not exist)')
    if moose.exists(modelpath):
        raise ModelImportError(f'{fname}: {modelpath} already exists; delete it or load the '
                               f'model elsewhere')
    staging = moose.Neutral(f'/kkit_staging_{next(_staging)}')
    model = None
    try:
        base = moose.Neutral(staging.path + '/' + name)
        _Builder(reader, parsed).build(base)
        model = moose.move(base, parent_path)
        model = moose.element(modelpath)
        moose.delete(staging)
        staging = None
    except MooseError as e:
        if staging is not None:
            moose.delete(staging)
        if model is not None and moose.exists(modelpath):
            moose.delete(modelpath)
        if isinstance(e, ModelImportError):
            raise
        raise ModelImportError(f'{fname}: {e}') from e
    except BaseException:
        if staging is not None and moose.exists(staging.path):
            moose.delete(staging)
        if model is not None and moose.exists(modelpath):
            moose.delete(modelpath)
        raise
    # then as MOOSE's loader: clocks, info Annotators, a reinit of the
    # unsolved model (so each table holds its t = 0 sample on return, as in
    # MOOSE), and only then the solver (MOOSE's Python loadModel adds it
    # after the C++ reader's reinit)
    h = parsed.header
    simdt, plotdt = h.get('SIMDT', 0.01), h.get('PLOTDT', 1.0)
    for t in (10, 11, 12, 13, 14):
        moose.setClock(t, simdt)
    for t in (15, 16, 17, 18):
        moose.setClock(t, plotdt)
    if moose.wildcardFind(modelpath + '/##[ISA=StimulusTable]'):
        moose.useClock(11, modelpath + '/##[ISA=StimulusTable]', 'process')
    info = moose.Annotator(modelpath + '/info')
    info.solver = 'ee'
    info.runtime = h.get('MAXTIME', 1.0)
    from ..core.clock import reinit as _reinit
    _reinit()
    try:
        _add_solvers(moose, modelpath, kind, method)
    except MooseError as e:
        moose.delete(modelpath)
        if isinstance(e, ModelImportError):
            raise
        raise ModelImportError(f'{fname}: {e}') from e
    compts = moose.wildcardFind(modelpath + '/##[ISA=ChemCompt]')
    if kind != 'ee' and compts and moose.exists(compts[0].path + '/info'):
        moose.element(compts[0].path + '/info').solver = 'gssa' if kind == 'gssa' else 'gsl'
    return model
