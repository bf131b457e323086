"""NeuroML 1.x cells (MorphML with biophysics) read into the element tree,
as MOOSE's ``moose.neuroml.MorphML`` builds them (``moose.neuroml.NeuroML``
and rdesigneur's ``cellProto = [['cell.morph.xml', 'name']]`` come here).

What this module owns
---------------------
* :func:`read_morphml_file` and :func:`read_cell`: one ``Neuron`` at
  ``/library/<cell name>`` per ``<cell>``, one ``Compartment`` per
  ``<mml:segment>`` (or per cable with ``combineSegments``), the channel
  densities of ``<biophysics>`` as copies of ``/library`` channels, and the
  ``(segDict, cableDict)`` pair MOOSE's reader returns.
* :func:`parse_xml`: the file, bounded first (:func:`moosepy.core.limits.check_xml`:
  size, depth, element count, no entities or external references) and then
  built into an ElementTree by expat with each element's line number kept,
  so errors name the file and line.

What it does not own: the ChannelML reader (:mod:`moosepy.rdesigner.channelml`,
called for a mechanism missing from ``/library``), NetworkML populations
(refused: not implemented), NeuroML 2.

MOOSE's conventions, reproduced (checked against pymoose 5.0.0 in
tests/electrical/test_neuroml1.py)
--------------------------------------------------------------------------
* Lengths in the root's ``lengthUnits`` ('micrometer'/'micron': 1e-6;
  'meter'/'m': 1).  Compartments are plain ``Compartment`` (not
  ``SymCompartment``), named ``<segment name>_<segment id>``, created in
  document order; a parent must come before its children.  The parent's
  ``axial`` is connected to the child's ``raxial``.
* ``x0, y0, z0`` from ``<proximal>`` (else the parent compartment's current
  ``x, y, z``), ``x, y, z`` from ``<distal>``; ``diameter`` is the mean of
  the diameters given (proximal and distal, over all the cable's segments
  with ``combineSegments``); ``length`` the distance between the two ends,
  or the diameter when they coincide.
* Biophysics in 'Physiological Units' (µF/cm², kΩ·cm, mV, mS/cm², µA) or
  'SI Units': per cable group, ``Cm = CM·π·d·L``, ``Ra = RA·L/(π (d/2)²)``,
  ``initVm``; the passive mechanism sets ``Rm = 1/(gmax·π·d·L)``
  (1/gmax in kΩ·cm² for physiological units) and ``Em``; a channel
  mechanism copies ``/library/<name>`` into the compartment (loaded from
  ``<name>.xml`` under the file's folder when absent), connects
  ``channel``, and sets ``Gbar = gmax·π·d·L`` and ``Ek``; a mechanism
  without parameters is copied into every compartment with its library
  values; a CaConc gets ``thick`` from ``depth`` and
  ``B = 1/(2F π d L thick)``, and the channels whose ChannelML file says
  ``ion="ca"`` send ``IkOut`` to it (MOOSE's ``connect_CaConc``, which
  pymoose 5.0.0 lacks: it raises AttributeError on any ``<biophysics>``).
* ``<connectivity>``: each ``potential_syn_loc`` (post) adds its synapse
  name to the segment's list in segDict; with ``createPotentialSynapses``
  the ``/library`` SynChan (or ``<name>.xml``) is copied into the
  compartment with one handler message (pymoose 5.0.0 crashes there).
* Each compartment gets an ``Mstring`` child ``cable_groups`` listing its
  cable groups, comma-separated.

Refused with :class:`ModelImportError` (file and line): a segment whose
parent is missing, comes later in the file, or is its own ancestor; a
segment without a ``cable``, without ``<distal>``, or with neither
``<proximal>`` nor parent; a negative or non-numeric diameter or
coordinate; a coordinate, diameter or segment length beyond
``moosepy.limits.max_morph_size_um`` (1e6 µm: a unit error, and squares of
such sizes overflow; the bound can be raised); a compartment of zero
diameter; a specific capacitance, axial resistivity or passive conductance
<= 0, a channel density or Ca shell depth < 0, a potential or current that
is not finite (checked before anything is built); unknown ``lengthUnits`` or
biophysics ``units``; a group naming an unknown cable group;
``variable_parameter`` (inhomogeneous channel densities: pymoose 5.0.0
crashes on them, measured on the tutorials' chans/CA1.morph.xml) and
integrate-and-fire mechanisms (not implemented).
"""

import logging
import math
import os
import xml.etree.ElementTree as ET

from ..core.errors import ModelImportError

log = logging.getLogger('moosepy.electrical')

NML = '{http://morphml.org/neuroml/schema}'
MML = '{http://morphml.org/morphml/schema}'
BIO = '{http://morphml.org/biophysics/schema}'
META = '{http://morphml.org/metadata/schema}'
NET = '{http://morphml.org/networkml/schema}'
CML = '{http://morphml.org/channelml/schema}'

FARADAY = 96485.3329   # C/mol (MOOSE's moose.utils value)
CELSIUS_DEFAULT = 32.0  # °C, MOOSE's default NeuroML temperature

_LENGTH_UNITS = {'micrometer': 1e-6, 'micron': 1e-6, 'meter': 1.0, 'm': 1.0}

#: biophysics factors to SI: CM, RA, RM, E, G, I, T
_PHYSIOLOGICAL = dict(CM=1e-2, RA=1e1, RM=1e-1, E=1e-3, G=1e1, I=1e-6, T=1e-3)
_SI = dict(CM=1.0, RA=1.0, RM=1.0, E=1.0, G=1.0, I=1.0, T=1.0)


def _moose():
    import moosepy
    return moosepy


# ------------------------------------------------------------------ parsing
class Parsed:
    """An ElementTree root with the line of every element (``line(el)``)."""

    def __init__(self, path, root, lines):
        self.path = path
        self.root = root
        self._lines = lines

    def line(self, el):
        return self._lines.get(id(el), 0)

    def where(self, el):
        ln = self.line(el)
        return f'{self.path}, line {ln}' if ln else self.path


def parse_xml(path):
    """Check *path* against :data:`moosepy.limits` (streaming, no entities)
    and build its tree with line numbers.  Raises ModelImportError."""
    from xml.parsers import expat
    from ..core.limits import check_xml
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelImportError(f'{path}: no such NeuroML file')
    check_xml(path)
    builder = ET.TreeBuilder()
    lines = {}
    p = expat.ParserCreate(namespace_separator='}')
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def tag(name):
        return '{' + name if '}' in name else name

    def start(name, attrs):
        el = builder.start(tag(name), {tag(k): v for k, v in attrs.items()})
        lines[id(el)] = p.CurrentLineNumber

    p.StartElementHandler = start
    p.EndElementHandler = lambda name: builder.end(tag(name))
    p.CharacterDataHandler = builder.data
    try:
        with open(path, 'rb') as fh:
            p.ParseFile(fh)
    except expat.ExpatError as e:
        raise ModelImportError(f'{path}, line {e.lineno}: not well-formed XML '
                               f'({expat.ErrorString(e.code)})') from None
    return Parsed(path, builder.close(), lines)


def _num(doc, el, key, what='', positive=False):
    txt = el.attrib.get(key)
    if txt is None:
        raise ModelImportError(f'{doc.where(el)}: <{_local(el.tag)}> has no {key!r} '
                               f'attribute{what}')
    try:
        v = float(txt)
    except ValueError:
        raise ModelImportError(f'{doc.where(el)}: {key}={txt!r} is not a number') from None
    if not math.isfinite(v):
        raise ModelImportError(f'{doc.where(el)}: {key}={txt!r} is not finite')
    if positive and v < 0:
        raise ModelImportError(f'{doc.where(el)}: {key}={txt!r} is negative; a diameter '
                               'must be >= 0')
    return v


def _local(tag):
    return tag.rsplit('}', 1)[-1]


def length_factor(doc):
    """Metres per file length unit, from the root's ``lengthUnits``."""
    u = doc.root.attrib.get('lengthUnits', 'micrometer')
    if u not in _LENGTH_UNITS:
        raise ModelImportError(f"{doc.where(doc.root)}: unknown lengthUnits {u!r}; valid: "
                               f"{', '.join(sorted(_LENGTH_UNITS))}")
    return _LENGTH_UNITS[u]


def biophysics_factors(doc, el):
    u = el.attrib.get('units')
    if u == 'Physiological Units':
        return _PHYSIOLOGICAL
    if u == 'SI Units':
        return _SI
    raise ModelImportError(f"{doc.where(el)}: unknown biophysics units {u!r}; valid: "
                           "'Physiological Units', 'SI Units'")


# -------------------------------------------------------- plain-data pass
def _segments(doc, cell, lf, combine):
    """Validate the segments and compute the compartments as MOOSE's reader
    does (document order, running cable); no element is made here.
    Returns (comps, seg_to_comp, cable_comps): comps a list of dicts."""
    segs = cell.findall('.//' + MML + 'segment')
    from ..core.limits import limits
    bound = limits.max_morph_size_um

    def sized(el, key, v):
        # *v* [m] from attribute *key* of *el* (or the segment's length):
        # beyond the bound it is almost surely a unit error, and the cable
        # arithmetic (areas, Ra) of such numbers overflows
        if bound is not None and abs(v) / 1e-6 > bound:
            what = 'its length' if key == 'length' else f'{key}={el.attrib.get(key)!r}'
            raise ModelImportError(
                f'{doc.where(el)}: {what} is {abs(v) / 1e-6:g} µm, beyond '
                f'moosepy.limits.max_morph_size_um = {bound:g} µm (lengthUnits '
                f'{doc.root.attrib.get("lengthUnits", "micrometer")!r}); for a larger model '
                'raise the bound (moose.limits.max_morph_size_um = ...)')
        return v

    def coord(el, key):
        return sized(el, key, _num(doc, el, key) * lf)

    def dia(el):
        return sized(el, 'diameter', _num(doc, el, 'diameter', positive=True) * lf)

    all_ids = {}
    for s in segs:
        sid = s.attrib.get('id')
        if sid is None:
            raise ModelImportError(f'{doc.where(s)}: segment without an id')
        if sid in all_ids:
            raise ModelImportError(f'{doc.where(s)}: segment id {sid!r} defined twice '
                                   f'(first at line {doc.line(all_ids[sid])})')
        all_ids[sid] = s
    comps = []
    seg_to_comp = {}
    cable_comps = {}
    run_cable, run = None, None
    for s in segs:
        sid = s.attrib['id']
        name = s.attrib.get('name', '')
        cable = s.attrib.get('cable')
        if cable is None:
            raise ModelImportError(f"{doc.where(s)}: segment {sid!r} has no 'cable' "
                                   "attribute (MOOSE's reader needs one per segment)")
        prox = s.find('./' + MML + 'proximal')
        dist = s.find('./' + MML + 'distal')
        if dist is None:
            raise ModelImportError(f'{doc.where(s)}: segment {sid!r} has no <distal> point')
        if combine and cable == run_cable:
            seg_to_comp[sid] = run
            if prox is not None:
                run['dsum'] += dia(prox)
                run['dn'] += 1
            run['dsum'] += dia(dist)
            run['dn'] += 1
        else:
            parent = s.attrib.get('parent')
            pc = None
            if parent is not None:
                if parent not in seg_to_comp:
                    raise ModelImportError(_parent_error(doc, s, sid, parent, all_ids))
                pc = seg_to_comp[parent]
            run = dict(name=f'{name}_{sid}', segid=sid, parent=pc, line=doc.line(s),
                       dsum=0.0, dn=0, x=0.0, y=0.0, z=0.0, index=len(comps))
            comps.append(run)
            seg_to_comp[sid] = run
            cable_comps.setdefault(cable, []).append(run)
            run_cable = cable
            if prox is None:
                if pc is None:
                    raise ModelImportError(f'{doc.where(s)}: segment {sid!r} has neither a '
                                           '<proximal> point nor a parent')
                run['x0'], run['y0'], run['z0'] = pc['x'], pc['y'], pc['z']
            else:
                run['x0'] = coord(prox, 'x')
                run['y0'] = coord(prox, 'y')
                run['z0'] = coord(prox, 'z')
                run['dsum'] += dia(prox)
                run['dn'] += 1
            run['dsum'] += dia(dist)
            run['dn'] += 1
        run['x'] = coord(dist, 'x')
        run['y'] = coord(dist, 'y')
        run['z'] = coord(dist, 'z')
        run['diameter'] = run['dsum'] / float(run['dn'])
        dx, dy, dz = run['x'] - run['x0'], run['y'] - run['y0'], run['z'] - run['z0']
        try:        # MOOSE's arithmetic, bit for bit
            run['length'] = math.sqrt(dx ** 2 + dy ** 2 + dz ** 2)
        except OverflowError:       # ** 2 of 1e300
            run['length'] = math.hypot(dx, dy, dz)
        if not math.isfinite(run['length']):
            raise ModelImportError(f"{doc.where(s)}: segment {sid!r}: its length from the "
                                   'coordinates is not a finite number (coordinates too large)')
        sized(s, 'length', run['length'])
        if run['length'] == 0.0:
            run['length'] = run['diameter']
    for c in comps:
        if c['diameter'] <= 0.0:
            raise ModelImportError(f"{doc.path}, line {c['line']}: compartment {c['name']!r} "
                                   'has diameter 0; its area and cross-section would be 0')
    return comps, seg_to_comp, cable_comps


def _parent_error(doc, s, sid, parent, all_ids):
    if parent not in all_ids:
        return (f'{doc.where(s)}: segment {sid!r} names parent segment {parent!r}, which '
                'is not in the file')
    seen, cur = {sid}, parent
    while cur is not None and cur in all_ids:       # iterative: no recursion
        if cur in seen:
            return (f'{doc.where(s)}: segment {sid!r} is its own ancestor (a cycle of '
                    f'parents through {parent!r})')
        seen.add(cur)
        cur = all_ids[cur].attrib.get('parent')
    return (f'{doc.where(s)}: segment {sid!r} names parent {parent!r}, defined later at line '
            f"{doc.line(all_ids[parent])}; MOOSE's reader needs parents before children")


def _cablegroups(doc, cell):
    """{group name: [cable ids]} in MOOSE's order (``<cablegroup>`` lists
    first, then each cable's ``<meta:group>``)."""
    groups = {}
    for cg in cell.findall('.//' + MML + 'cablegroup'):
        name = cg.attrib.get('name')
        groups[name] = [c.attrib.get('id') for c in cg.findall('.//' + MML + 'cable')]
        for ip in cg.findall('.//' + MML + 'inhomogeneous_param'):
            log.warning('%s: inhomogeneous_param %r ignored (used only by '
                        'variable_parameter, which is not supported)', doc.where(ip),
                        ip.attrib.get('name'))
    for cable in cell.findall('.//' + MML + 'cable'):
        cid = cable.attrib.get('id')
        for g in cable.findall('.//' + META + 'group'):
            groups.setdefault((g.text or '').strip(), []).append(cid)
    return groups


# ---------------------------------------------------------------- building
class _CellBuilder:
    def __init__(self, doc, cell, params, temperature, library, model_dir):
        self.doc = doc
        self.cell = cell
        self.moose = _moose()
        self.params = dict(params or {})
        self.combine = bool(self.params.get('combineSegments', False))
        self.potential_syns = bool(self.params.get('createPotentialSynapses', False))
        self.temperature = temperature
        self.library = library
        self.model_dir = model_dir
        self.lf = length_factor(doc)
        self.ca_chans = set()      # channels whose ChannelML file says ion="ca"

    # -- checks before anything is built
    def check(self):
        doc, cell = self.doc, self.cell
        self.name = cell.attrib.get('name')
        if not self.name:
            raise ModelImportError(f'{doc.where(cell)}: <cell> without a name')
        self.comps, self.seg_to_comp, self.cable_comps = _segments(doc, cell, self.lf,
                                                                   self.combine)
        if not self.comps:
            raise ModelImportError(f'{doc.where(cell)}: cell {self.name!r} has no segments')
        self.groups = _cablegroups(doc, cell)
        for vp in cell.iter(BIO + 'variable_parameter'):
            raise ModelImportError(
                f'{doc.where(vp)}: variable_parameter (an inhomogeneous channel density) is '
                'not supported (pymoose 5.0.0 crashes on it); give constant gmax per cable '
                'group, or use rdesigneur chanDistrib expressions')
        self.bio = cell.find('.//' + NML + 'biophysics')
        self.f = biophysics_factors(doc, self.bio) if self.bio is not None else _SI
        self.mechs = []
        for m in cell.findall('.//' + BIO + 'mechanism'):
            mname = m.attrib.get('name')
            if not mname:
                raise ModelImportError(f'{doc.where(m)}: mechanism without a name')
            passive = m.attrib.get('passive_conductance') in ('true', 'True', 'TRUE')
            self.mechs.append((m, mname, passive))
            for p in m.findall('.//' + BIO + 'parameter'):
                if p.attrib.get('name') in ('threshold', 't_refrac', 'v_reset', 'g_refrac'):
                    raise ModelImportError(f'{doc.where(p)}: integrate-and-fire mechanism '
                                           f'{mname!r} is not supported')
        self._check_values()
        # every group named by a parameter exists
        for grp in cell.iter():
            if grp.tag in (BIO + 'group', NET + 'group'):
                g = (grp.text or '').strip()
                if g != 'all' and g not in self.groups:
                    raise ModelImportError(f'{doc.where(grp)}: unknown cable group {g!r}')
        for g, cables in self.groups.items():
            for c in cables:
                if c not in self.cable_comps:
                    raise ModelImportError(f'{self._cable_ref_where(g, c)}: cable group {g!r} '
                                           f'lists cable {c!r}, which has no segments')

    def _cable_ref_where(self, g, c):
        """File and line of the element that puts cable *c* in group *g*
        (a <cablegroup>'s <cable id>, or the <cable> with a <meta:group>)."""
        for cg in self.cell.findall('.//' + MML + 'cablegroup'):
            if cg.attrib.get('name') == g:
                for ce in cg.findall('.//' + MML + 'cable'):
                    if ce.attrib.get('id') == c:
                        return self.doc.where(ce)
        for ce in self.cell.findall('.//' + MML + 'cable'):
            if ce.attrib.get('id') == c:
                return self.doc.where(ce)
        return self.doc.path

    def _check_values(self):
        """Biophysics values a cell cannot have, refused before anything is
        built (file and line): a specific capacitance or axial resistivity
        <= 0, a passive conductance <= 0 (Rm = 1/gmax), a channel density or
        a Ca shell depth < 0, a potential that is not finite."""
        if self.bio is None:
            return
        doc = self.doc

        def need(p, what, ok, valid, expr=False):
            # a channel's gmax may be an expression (MOOSE evaluates it)
            v = self._gmax(p) if expr else _num(doc, p, 'value')
            if not (math.isfinite(v) and ok(v)):
                raise ModelImportError(f'{doc.where(p)}: {what} value={p.attrib.get("value")!r} '
                                       f'({self.bio.attrib.get("units")}); {valid}')

        for tag, what in (('spec_capacitance', 'specific capacitance'),
                          ('spec_axial_resistance', 'specific axial resistance')):
            for el in self.cell.findall('.//' + BIO + tag):
                for p in el.findall('.//' + BIO + 'parameter'):
                    need(p, what, lambda v: v > 0, f'a {what} must be > 0')
        for el in self.cell.findall('.//' + BIO + 'init_memb_potential'):
            for p in el.findall('.//' + BIO + 'parameter'):
                _num(doc, p, 'value')           # finite
        for m, mname, passive in self.mechs:
            for p in m.findall('.//' + BIO + 'parameter'):
                pname = p.attrib.get('name')
                if pname == 'gmax' and passive:
                    need(p, 'gmax', lambda v: v > 0, f'the passive conductance of {mname!r} '
                         'must be > 0 (Rm = 1/gmax)')
                elif pname == 'gmax':
                    need(p, 'gmax', lambda v: v >= 0, f'the conductance density of channel '
                         f'{mname!r} must be >= 0', expr=True)
                elif pname == 'depth':
                    need(p, 'depth', lambda v: v >= 0, f'the shell depth of {mname!r} must be '
                         '>= 0')
                elif pname in ('e', 'erev', 'inject'):
                    _num(doc, p, 'value')       # finite

    # -- mechanisms into /library
    def load_mechanisms(self):
        moose = self.moose
        for m, mname, passive in self.mechs:
            if passive or moose.exists(f'{self.library}/{mname}'):
                continue
            fn = mname + '.xml'
            found = None
            for root, dirs, files in os.walk(self.model_dir):
                dirs.sort()
                if fn in files:
                    found = os.path.join(root, fn)
                    break
            if found is None:
                raise ModelImportError(f'{self.doc.where(m)}: mechanism {mname!r}: no '
                                       f'/library/{mname} and no file {fn} under '
                                       f'{self.model_dir}')
            from ..rdesigner.channelml import read_channelml
            read_channelml(found, self.temperature, self.library)
            if not moose.exists(f'{self.library}/{mname}'):
                raise ModelImportError(f'{found}: does not define {mname!r} (needed by '
                                       f'{self.doc.where(m)})')
            self.ca_chans.update(_calcium_channels(found))

    # -- the tree
    def build(self):
        moose = self.moose
        if not moose.exists(self.library):
            moose.Neutral(self.library)
        cellpath = f'{self.library}/{self.name}'
        existed = moose.exists(cellpath)
        self.neuron = moose.Neuron(cellpath)
        try:
            self._build()
        except Exception:
            if not existed and moose.exists(cellpath):
                moose.delete(cellpath)
            raise
        return {self.name: (self.segDict, self.cableDict)}

    def _build(self):
        moose = self.moose
        els = []
        for c in self.comps:
            el = moose.Compartment(f'{self.neuron.path}/{c["name"]}')
            c['el'] = el
            els.append(el)
            if c['parent'] is not None:
                moose.connect(c['parent']['el'], 'axial', el, 'raxial')
            el.x0, el.y0, el.z0 = c['x0'], c['y0'], c['z0']
            el.x, el.y, el.z = c['x'], c['y'], c['z']
            el.diameter = c['diameter']
            el.length = c['length']
        self.segDict = {c['segid']: [c['name'], (c['x0'], c['y0'], c['z0']),
                                     (c['x'], c['y'], c['z']), c['diameter'], c['length'], []]
                        for c in self.comps}
        if self.bio is not None:
            self._biophysics()
        self._connectivity()
        self.cableDict = {}
        notes = {}
        for g, cables in self.groups.items():
            names = []
            for cid in cables:
                for c in self.cable_comps[cid]:
                    notes.setdefault(c['index'], []).append(g)
                    names.append(c['name'])
            self.cableDict[g] = names
        for c in self.comps:
            ms = moose.Mstring(f"{c['el'].path}/cable_groups")
            ms.value = ','.join(notes.get(c['index'], []))

    def _targets(self, param, ns=BIO):
        """The compartments of the groups a parameter names, MOOSE's order."""
        out = []
        for grp in param.findall('.//' + ns + 'group'):
            g = (grp.text or '').strip()
            if g == 'all':
                for lst in self.cable_comps.values():
                    out.extend(lst)
            else:
                for cid in self.groups[g]:
                    out.extend(self.cable_comps[cid])
        return out

    def _biophysics(self):
        f, bio = self.f, self.bio
        for tag, key, fac in (('spec_capacitance', 'CM', f['CM']),
                              ('spec_axial_resistance', 'RA', f['RA']),
                              ('init_memb_potential', 'initVm', f['E'])):
            el = self.cell.find('.//' + BIO + tag)
            if el is None:
                continue
            for p in el.findall('.//' + BIO + 'parameter'):
                v = _num(self.doc, p, 'value') * fac
                for c in self._targets(p):
                    self._passive(c['el'], key, v)
        for m, mname, passive in self.mechs:
            params = m.findall('.//' + BIO + 'parameter')
            if not params and not passive:
                for lst in self.cable_comps.values():
                    for c in lst:
                        self._mechanism(c['el'], mname)
            for p in params:
                pname = p.attrib.get('name')
                if passive:
                    if pname == 'gmax':
                        v = f['RM'] * 1.0 / _num(self.doc, p, 'value')
                        key = 'RM'
                    elif pname in ('e', 'erev'):
                        v, key = f['E'] * _num(self.doc, p, 'value'), 'Em'
                    elif pname == 'inject':
                        v, key = f['I'] * _num(self.doc, p, 'value'), 'inject'
                    else:
                        log.warning('%s: parameter %r of passive mechanism %r ignored (as '
                                    'MOOSE)', self.doc.where(p), pname, mname)
                        continue
                    for c in self._targets(p):
                        self._passive(c['el'], key, v)
                    continue
                if pname == 'gmax':
                    v, key = f['G'] * self._gmax(p), 'Gbar'
                elif pname in ('e', 'erev'):
                    v, key = f['E'] * _num(self.doc, p, 'value'), 'Ek'
                elif pname == 'depth':
                    v, key = self.lf * _num(self.doc, p, 'value'), 'thick'
                else:
                    log.warning('%s: parameter %r of mechanism %r ignored (as MOOSE)',
                                self.doc.where(p), pname, mname)
                    continue
                for c in self._targets(p):
                    self._mechanism(c['el'], mname, key, v, p)
        # CaConc B from the shell, and the Ca channels' current into it
        # (MOOSE's connect_CaConc, at the end; pymoose 5.0.0 lacks it)
        for c in self.comps:
            el = c['el']
            kids = [self.moose.element(k) for k in el.children]
            cc = next((k for k in kids if k.className == 'CaConc'), None)
            if cc is None:
                continue
            if cc.thick > 0:
                cc.B = 1 / (2 * FARADAY) / (math.pi * el.diameter * el.length * cc.thick)
            for k in kids:
                if k.className == 'HHChannel' and k.name in self.ca_chans:
                    self.moose.connect(k, 'IkOut', cc, 'current')

    def _gmax(self, p):
        txt = p.attrib.get('value', '')
        try:
            return float(txt)
        except ValueError:
            pass
        from ..rdesigner.geometry import Expr, ExprError
        try:
            return float(Expr(txt, (), where=self.doc.where(p))({}))
        except ExprError as exc:
            raise ModelImportError(f'{self.doc.where(p)}: gmax {txt!r}: {exc}') from None

    @staticmethod
    def _passive(el, key, v):
        if key == 'CM':
            el.Cm = v * math.pi * el.diameter * el.length
        elif key == 'RM':
            el.Rm = v / (math.pi * el.diameter * el.length)
        elif key == 'RA':
            el.Ra = v * el.length / (math.pi * (el.diameter / 2.0) ** 2)
        else:
            setattr(el, key, v)

    def _mechanism(self, el, mname, key=None, v=None, where=None):
        moose = self.moose
        path = f'{el.path}/{mname}'
        if not moose.exists(path):
            lib = moose.element(f'{self.library}/{mname}')
            cls = lib.className
            obj = moose.element(moose.copy(lib, el, mname))
            if cls in ('HHChannel', 'HHChannel2D'):
                moose.connect(obj, 'channel', el, 'channel')
            elif cls != 'CaConc':
                raise ModelImportError(f'{self.doc.where(where) if where is not None else self.doc.path}: '
                                       f'mechanism {mname!r} is a {cls}; valid: HHChannel, '
                                       'HHChannel2D, CaConc')
        else:
            obj = moose.element(path)
        if key is None:
            return
        cls = obj.className
        if key == 'Gbar':
            if cls != 'CaConc':
                obj.Gbar = v * math.pi * el.diameter * el.length
        elif key == 'Ek':
            if cls == 'CaConc':
                raise ModelImportError(f'{self.doc.where(where)}: reversal potential given for '
                                       f'the ion pool {mname!r}')
            obj.Ek = v
        elif key == 'thick':
            if cls != 'CaConc':
                raise ModelImportError(f'{self.doc.where(where)}: depth given for the channel '
                                       f'{mname!r}; depth belongs to an ion pool')
            obj.thick = v

    def _connectivity(self):
        conn = self.cell.find('.//' + NML + 'connectivity')
        if conn is None:
            return
        for loc in self.cell.findall('.//' + NET + 'potential_syn_loc'):
            d = loc.attrib.get('synapse_direction')
            if d not in ('post', 'preAndOrPost'):
                continue
            syn = loc.attrib.get('synapse_type')
            for c in self._targets(loc, NET):
                if self.potential_syns:
                    self._synapse(c['el'], syn, loc)
                self.segDict[c['segid']][5].append(syn)

    def _synapse(self, el, syn, loc):
        moose = self.moose
        if not moose.exists(f'{self.library}/{syn}'):
            fn = syn + '.xml'
            found = None
            for root, dirs, files in os.walk(self.model_dir):
                dirs.sort()
                if fn in files:
                    found = os.path.join(root, fn)
                    break
            if found is None:
                raise ModelImportError(f'{self.doc.where(loc)}: synapse {syn!r}: no '
                                       f'/library/{syn} and no file {fn} under {self.model_dir}')
            from ..rdesigner.channelml import read_channelml
            read_channelml(found, self.temperature, self.library)
            if not moose.exists(f'{self.library}/{syn}'):
                raise ModelImportError(f'{found}: does not define {syn!r} (needed by '
                                       f'{self.doc.where(loc)})')
        if moose.exists(f'{el.path}/{syn}'):
            return
        s = moose.element(moose.copy(f'{self.library}/{syn}', el, syn))
        h = f'{s.path}/handler'
        # the copy keeps the library's handler -> activation message; MOOSE's
        # make_new_synapse connects it again (pymoose 5.0.0 crashes before)
        if moose.exists(h) and not s.neighbors['activation']:
            moose.connect(h, 'activationOut', s, 'activation')
        moose.connect(el, 'channel', s, 'channel')


def _calcium_channels(path):
    """Names of the channel_types of ChannelML file *path* that carry Ca
    (``current_voltage_relation ion="ca"``)."""
    doc = parse_xml(path)
    out = set()
    for ch in doc.root.iter(CML + 'channel_type'):
        iv = ch.find(CML + 'current_voltage_relation')
        if iv is not None and iv.attrib.get('ion', '').lower() == 'ca':
            out.add(ch.attrib.get('name'))
    return out


def read_cell(doc, cell, params=None, temperature=CELSIUS_DEFAULT, library='/library',
              model_dir=None):
    """Build one ``<cell>`` element of parsed document *doc* into
    ``<library>/<cell name>``; returns ``{name: (segDict, cableDict)}`` as
    MOOSE's ``MorphML.readMorphML``.  *params*: ``combineSegments``,
    ``createPotentialSynapses`` (booleans).  *temperature* [°C] for
    channels loaded from ChannelML files found under *model_dir*."""
    b = _CellBuilder(doc, cell, params, float(temperature), library,
                     model_dir or os.path.dirname(os.path.abspath(doc.path)))
    b.check()
    b.load_mechanisms()
    return b.build()


def read_morphml_file(path, params=None, temperature=CELSIUS_DEFAULT, library='/library',
                      model_dir=None):
    """Every ``<cell>`` of MorphML file *path* into *library*; returns
    ``{cell name: (segDict, cableDict)}``."""
    doc = parse_xml(path)
    out = {}
    cells = doc.root.findall('.//' + NML + 'cell')
    if not cells:
        raise ModelImportError(f'{doc.path}: no <cell> element (namespace '
                               f'{NML[1:-1]}); is this NeuroML 1.x?')
    for cell in cells:
        out.update(read_cell(doc, cell, params, temperature, library, model_dir))
    return out
