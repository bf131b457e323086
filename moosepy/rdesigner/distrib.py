"""Passive and channel distributions: the one implementation behind
rdesigneur's ``passiveDistrib`` and ``chanDistrib`` lists and the
``Neuron.passiveDistribution`` and ``Neuron.channelDistribution`` fields.

What this module owns
---------------------
* :func:`apply_passive`: set RM, RA, CM (specific: Ω·m², Ω·m, F/m², scaled
  by each compartment's cylinder), Rm, Ra, Cm (absolute: Ω, F), Em and
  initVm (V) on the compartments of a path from geometry expressions.
* :func:`apply_channels`: copy ``/library/<proto>`` into the compartments
  of a path where the first expression is > 0 and set its fields there
  (channels: Gbar in S/m², scaled by the compartment's area, and Ek in V;
  CaConcs: tau s, CaBasal mM, thick m, floor, ceiling, and B as a scale
  over 1/(F·volume)); CaConc lines go before channel lines so a channel
  whose name holds 'Ca' finds the CaConc to feed.
* :func:`set_passive_distribution` and :func:`set_channel_distribution`:
  the Neuron fields, MOOSE's string form.
* :func:`segment_geometry`: the geometry expressions see, as MOOSE's
  Neuron keeps it from its last ``buildSegmentTree``.
* :func:`expression_table`: the Neuron's ``valuesFromExpression`` and
  ``compartmentsFromExpression`` lookups.

Rules, as measured on pymoose 5.0.0 (tests/rdesigner/test_rdes_neuron_distrib.py)
-----------------------------------------------------------------------------
The string form is a flat list of strings, each line ended by an empty
string: ``'.', path, field, expr [, field, expr]..., ''`` for passive
properties (the first entry is not read; rdesigneur puts '.') and
``proto, path, field, expr [, field, expr]..., ''`` for channels.  The
path is a wildcard relative to the Neuron ('#', 'soma', 'dend#',
'##[ISA=Compartment]', ',' for alternatives); only compartments are
touched.  Expressions are those of :mod:`moosepy.rdesigner.geometry`
(variables p, g, L, len, dia, maxP, maxG, maxL, x, y, z; H(x) the step).
Passive fields are each applied on their own: Em and initVm everywhere the
path matches, the R and C fields only where their value is > 0 (0 keeps
the compartment's value).  A channel is installed only where the first
expression is > 0 (an existing child of the prototype's name is reused);
the fields are then set there; Gbar only where its value is > 0.  Setting
the field applies it at once, as in MOOSE; reading it gives back the list.

Where moosepy differs from MOOSE (which prints a warning and goes on, or
crashes): a line with fewer than 4 entries or an odd number, entries not
ended by '', an unknown field, a prototype not in /library (MOOSE
segfaults), a bad expression (MOOSE takes an unknown name as 0), a path
that matches no compartment, and a value no compartment can have (NaN, a
negative resistance) raise FieldError naming the Neuron, the line, the
field and what is valid; everything is checked and evaluated before
anything is changed.  Without a ``buildSegmentTree`` (MOOSE segfaults)
the geometry is taken from the cell as it is.
"""

import math

import numpy as np

from ..core.errors import FieldError
from ..core.units import FaradayConst
from .geometry import CellGeometry, Expr, match_path, suggest, _is_compartment
from .specs import PASSIVE_FIELDS, CHAN_FIELDS, CACONC_FIELDS


#: sign a chanDistrib field must have where its mechanism is installed
#: ('+': > 0, '0+': >= 0); Ek, floor, ceiling and B (a scale, negative in
#: some models) only finite
CHAN_SIGN = {'Gbar': '0+', 'tau': '+', 'CaBasal': '0+', 'thick': '0+'}

def _moose():
    import moosepy
    return moosepy


# ============================================================== geometry
def segment_geometry(neuron):
    """The :class:`CellGeometry` of a Neuron that expressions see: the one
    saved by its last ``buildSegmentTree`` while all of that tree's
    compartments are still its children (compartments added since, such
    as spines, get MOOSE's stand-in values: g = p = distance of the
    proximal end from the soma's, L = 2000 g); otherwise a fresh one of
    the compartments it has now, without the spines it placed."""
    el = neuron._element()
    g = el.data.get('segment_tree')
    if g is not None and g.cell._element() is el and \
            all(el.children.get(c.name) is c and c.alive for c in g.comps):
        return g
    done = [e for sp in el.data.get('spines', ()) for e, _ in sp]
    return CellGeometry(neuron, exclude=done)


def save_segment_tree(neuron):
    """``Neuron.buildSegmentTree``: keep the geometry of the compartments
    the Neuron has now (without the spines it placed) for later
    distributions."""
    el = neuron._element()
    el.data.pop('segment_tree', None)
    el.data['segment_tree'] = segment_geometry(neuron)


def expression_table(neuron, key):
    """MOOSE's Neuron lookups ``valuesFromExpression[key]`` and
    ``compartmentsFromExpression[key]``: *key* is 'path expression' (the
    path a wildcard relative to the Neuron, the expression after the first
    space or tab; none means '1').  Returns the elements the path finds
    and an (n, 13) array, one row per element: the expression's value, p,
    g, L, len, dia, maxP, maxG, maxL, x, y, z and 0 (MOOSE's oldVal); rows
    of elements that are not compartments are zeros, as in MOOSE (None in
    the list stands for the Neuron's Spine field element before it has
    spines)."""
    from ..core.errors import MooseError
    text = str(key).strip()
    where = f'{neuron.path} (Neuron) expression {text!r}'
    if not text:
        raise FieldError(f"{where}: empty; expected 'path expression', e.g. '# p > 50e-6'")
    cut = min((i for i in (text.find(' '), text.find('\t')) if i >= 0), default=len(text))
    path, ex = text[:cut], text[cut:].strip() or '1'
    try:
        expr = Expr(ex, where=where)
    except MooseError as exc:
        raise FieldError(str(exc)) from None
    geom = segment_geometry(neuron)
    found = match_path(geom.cell, path)
    # MOOSE's Neuron always has its Spine field element 'spine' (created
    # with it, so found first); moosepy makes it with the first spine: its
    # row of zeros is kept in place so that rows line up with MOOSE's
    from ..core.shell import _name_match
    if 'spine' not in neuron._element().children and any(
            '/' not in q and '[' not in q and _name_match('spine', q.strip())
            for q in path.split(',') if q.strip()):
        found = [None] + found
    comps = [e for e in found if e is not None and _is_compartment(e)]
    vals = geom.values(comps)
    v = expr(vals, n=len(comps))
    rows = np.zeros((len(found), 13))
    k = 0
    for i, e in enumerate(found):
        if e is not None and _is_compartment(e):
            rows[i, 0] = v[k]
            rows[i, 1:12] = [vals[n][k] for n in ('p', 'g', 'L', 'len', 'dia', 'maxP', 'maxG',
                                                  'maxL', 'x', 'y', 'z')]
            k += 1
    return found, rows


def compartments(cell, path):
    """Compartment elements of *cell* matching the wildcard *path*."""
    return [e for e in match_path(cell, path) if _is_compartment(e)]


# ================================================================= checks
def check_values(err, f, ex, elems, x, sign, where=None):
    """Refuse a distributed value no compartment can have: not finite
    anywhere (MOOSE's test ``value > 0`` silently skips NaN); for passive
    R/C fields (*sign* 'r/c') below 0 (0 leaves the compartment's own
    value, MOOSE's meaning of <= 0); for channel fields (*sign* '+' or
    '0+') below or at 0 where the mechanism is installed (*where*, a mask;
    the first expression of a channel line is the install test, so a value
    <= 0 there means "not here").  *err(field, text, what)* makes the
    exception."""
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid='ignore'):
        bad = ~np.isfinite(x)
        what = 'expected a finite value'
        if sign == 'r/c':
            bad |= x < 0
            what = ('expected a finite value >= 0 (0 keeps the compartment\'s own value, as '
                    'MOOSE; a resistance or capacitance cannot be negative)')
        elif sign in ('+', '0+'):
            low = (x <= 0) if sign == '+' else (x < 0)
            bad |= low & (where if where is not None else True)
            what = (f'expected a finite value {">" if sign == "+" else ">="} 0 where the '
                    'mechanism is installed')
    if bad.any():
        k = int(np.argmax(bad))
        raise err(f"'{f}' expression", ex.text,
                  f'{what}; it is {float(x[k]):g} on {elems[k].path} ({int(bad.sum())} '
                  f'of {len(x)} compartments)')


def chan_fields_for(cls):
    """Fields a channel line may set on a prototype of class *cls*."""
    from ..electrical.channels import ChanBase, CaConcBase
    if issubclass(cls, ChanBase):
        return CHAN_FIELDS
    if issubclass(cls, CaConcBase):
        return CACONC_FIELDS
    return ()


# ================================================================ passive
def passive_values(geom, path, fields, err):
    """[(compartment elements, [(field, values)])] of one passive line,
    checked; nothing is set."""
    elems = compartments(geom.cell, path)
    vals = geom.values(elems)
    out = []
    for f, ex in fields:
        x = ex(vals, n=len(elems))
        check_values(err, f, ex, elems, x,
                     None if f in ('initVm', 'INITVM', 'Em', 'EM') else 'r/c')
        out.append((f, x))
    return elems, out


def set_passive(elems, values):
    """Set the passive *values* ([(field, array)]) on *elems*."""
    for f, x in values:
        for e, v in zip(elems, x):
            c = e.handle(0)
            if f in ('initVm', 'INITVM'):
                c.initVm = v
            elif f in ('Em', 'EM'):
                c.Em = v
            elif v > 0:
                ln, dia = c.length, c.diameter
                if f in ('Rm', 'Ra', 'Cm'):
                    setattr(c, f, v)
                elif f == 'RM':
                    c.Rm = v / (ln * dia * math.pi)
                elif f == 'RA':
                    c.Ra = v * ln * 4 / (dia * dia * math.pi)
                elif f == 'CM':
                    c.Cm = v * ln * dia * math.pi


def apply_passive(geom, path, fields, err):
    """Evaluate, check and set one passive line (*fields*: [(name, Expr)])."""
    elems, values = passive_values(geom, path, fields, err)
    set_passive(elems, values)


# =============================================================== channels
def channel_order(protos):
    """Indices of channel lines with CaConc prototypes first (as MOOSE)."""
    from ..electrical.channels import CaConcBase
    moose = _moose()
    cls = [moose.element('/library/' + p)._element().cls for p in protos]
    first = [i for i, c in enumerate(cls) if issubclass(c, CaConcBase)]
    return first + [i for i in range(len(protos)) if i not in first]


def channel_values(geom, proto, path, fields, err):
    """(compartment elements, install mask, [(field, values)]) of one
    channel line, checked; nothing is built."""
    elems = compartments(geom.cell, path)
    vals = geom.values(elems)
    x0 = fields[0][1](vals, n=len(elems))
    check_values(err, fields[0][0], fields[0][1], elems, x0, None)
    inst = x0 > 0
    out = []
    for f, ex in fields:
        x = ex(vals, n=len(elems))
        check_values(err, f, ex, elems, x, CHAN_SIGN.get(f), inst)
        out.append((f, x))
    return elems, inst, out


def install_channel(proto, elems, inst, values):
    """Copy *proto* into each compartment of *elems* where *inst* (or
    reuse its child of that name), connect it, and set *values*."""
    moose = _moose()
    proto = moose.element(proto)
    for e, ok, k in zip(elems, inst, range(len(elems))):
        if not ok:
            continue
        comp = e.handle(0)
        path = f'{comp.path}/{proto.name}'
        if moose.exists(path):
            m = moose.element(path)
        else:
            m = moose.element(moose.copy(proto, comp, proto.name))
            class_messages(m, comp)
        ln, dia = float(e.cols['length'][0]), float(e.cols['diameter'][0])
        for f, x in values:
            assign(m, f, float(x[k]), ln, dia)


def class_messages(obj, comp):
    """The messages MOOSE's Neuron makes for a copied mechanism: a channel
    to its compartment, a channel with 'Ca' in its name to the
    compartment's CaConc (unless the prototype brings addmsg strings),
    and the prototype's ``addmsg<k>`` strings."""
    moose = _moose()
    from ..electrical.channels import ChanBase
    from .builder import add_messages
    el = obj._element()
    if issubclass(el.cls, ChanBase):
        moose.connect(comp, 'channel', obj, 'channel')
        if 'Ca' in obj.name and 'addmsg1' not in el.children:
            cc = moose.wildcardFind(comp.path + '/#[ISA=CaConcBase]')
            if cc:
                moose.connect(obj, 'IkOut', cc[0], 'current')
    add_messages(obj)


def assign(m, f, v, ln, dia):
    """Set field *f* of mechanism *m* to *v* on a compartment of length
    *ln* and diameter *dia* [m] (Gbar per area; a CaConc takes the
    compartment's size first)."""
    from ..electrical.channels import ChanBase, CaConcBase
    from .prototypes import set_caconc_geometry
    cls = m._element().cls
    if issubclass(cls, ChanBase):
        if f == 'Gbar':
            if v > 0:
                m.Gbar = v * ln * dia * math.pi
        elif f == 'Ek':
            m.Ek = v
    elif issubclass(cls, CaConcBase):
        set_caconc_geometry(m, ln, dia)
        if f == 'thick':
            set_caconc_geometry(m, thick=v)
        elif f in ('tau', 'floor', 'ceiling'):
            setattr(m, f, v)
        elif f == 'CaBasal':
            m.CaBasal = v
        elif f == 'B':
            m.B = v / (FaradayConst * ln * dia * dia * math.pi / 4.0)


# ======================================================= the Neuron fields
def split_lines(where, value, first, form=None):
    """Split MOOSE's flat list of strings (the Neuron's distribution fields)
    into lines ended by '', checking the form: every entry a string, an
    even number of at least 4 per line.  *form* describes a line for the
    messages (default: '<first>, path, field, expression [, field,
    expression]...').  Returns (the entries, the lines)."""
    form = form or f'{first}, path, field, expression [, field, expression]...'
    head = form.split(' [')[0]
    if isinstance(value, str) or not hasattr(value, '__iter__'):
        raise FieldError(f'{where}: expected a list of strings ({head}, ..., '
                         f"'' after each line), got {value!r}")
    items = list(value)
    lines, cur = [], []
    for k, v in enumerate(items):
        if not isinstance(v, str):
            raise FieldError(f'{where}: entry {k} is {v!r} ({type(v).__name__}); every entry '
                             'is a string (numbers as text, e.g. "1e-6")')
        if v == '':
            lines.append(cur)
            cur = []
        else:
            cur.append(v)
    if cur:
        raise FieldError(f"{where}: entries {cur!r} are not ended by an empty string ''; "
                         f"each line is {head}, ... then ''")
    for i, ln in enumerate(lines):
        if len(ln) < 4 or len(ln) % 2:
            raise FieldError(f'{where} line {i}: {ln!r} has {len(ln)} entries; expected an '
                             f'even number, at least 4: {form}')
    return items, lines


def _fields(lw, ln, valid):
    out = []
    for k in range(2, len(ln), 2):
        f = ln[k]
        if f not in valid:
            raise FieldError(f"{lw}: unknown field {f!r}{suggest(f, valid)}; valid: "
                             f"{', '.join(valid) or 'none'}")
        out.append((f, Expr(ln[k + 1], where=f"{lw} '{f}' expression")))
    return out


def _need_match(geom, lw, path):
    elems = compartments(geom.cell, path)
    if not elems:
        names = [c.name for c in geom.comps]
        raise FieldError(f'{lw}: path {path!r} matches no compartment of {geom.cell.path}'
                         f'{suggest(path, names)} (compartments: {", ".join(names[:8])}'
                         f'{", ..." if len(names) > 8 else ""})')


def _errf(lw):
    return lambda fld, text, what: FieldError(f'{lw} {fld} = {text!r}: {what}')


def set_passive_distribution(neuron, value):
    """``Neuron.passiveDistribution = value``: ``'.', path, field, expr
    [, field, expr]..., ''`` per line (see the module docstring)."""
    where = f'{neuron.path} (Neuron).passiveDistribution'
    items, lines = split_lines(where, value, "'.'")
    geom = segment_geometry(neuron)
    todo = []
    for i, ln in enumerate(lines):
        lw = f'{where} line {i}'
        fields = _fields(lw, ln, PASSIVE_FIELDS)
        _need_match(geom, lw, ln[1])
        todo.append(passive_values(geom, ln[1], fields, _errf(lw)))
    for elems, values in todo:
        set_passive(elems, values)
    neuron._element().data['passiveDistribution'] = items


def set_channel_distribution(neuron, value):
    """``Neuron.channelDistribution = value``: ``proto, path, field, expr
    [, field, expr]..., ''`` per line (see the module docstring)."""
    moose = _moose()
    where = f'{neuron.path} (Neuron).channelDistribution'
    items, lines = split_lines(where, value, 'proto')
    geom = segment_geometry(neuron)
    lib = list(moose.element('/library')._element().children) if moose.exists('/library') \
        else []
    for i, ln in enumerate(lines):
        if ln[0] not in lib:
            raise FieldError(f"{where} line {i}: no prototype '/library/{ln[0]}'"
                             f"{suggest(ln[0], lib)}; in /library: {', '.join(lib) or 'nothing'}")
    todo = []
    for i in channel_order([ln[0] for ln in lines]):
        ln = lines[i]
        lw = f'{where} line {i}'
        cls = moose.element('/library/' + ln[0])._element().cls
        fields = _fields(lw, ln, chan_fields_for(cls))
        _need_match(geom, lw, ln[1])
        todo.append(('/library/' + ln[0],) + channel_values(geom, ln[0], ln[1], fields,
                                                            _errf(lw)))
    for proto, elems, inst, values in todo:
        install_channel(proto, elems, inst, values)
    neuron._element().data['channelDistribution'] = items
