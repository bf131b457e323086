"""Spines placed on a cell by a spineDistrib spec (MOOSE Neuron's spine
placement, same geometry and the same order of random draws).

Per selected compartment with spacing s > 0 (its ``spacing`` expression):
``minSpacing`` < 0 puts spines at s/2, 3s/2, ... along the segment (if the
segment is shorter than s/2 it falls through to the random rule); else the
segment is cut into bins of width max(minSpacing, ...) (minSpacing raised
to s/10 when below both s/10 and 0.1 µm, lowered to s/2 when above it) and
each bin gets a spine at its centre with probability bin/s.  Then each
spine's angle (``angle`` + (U - 1/2) ``angleDistrib``, radians about the
dendrite, 0 facing away from the soma frame) and size (``size`` + (U -
1/2) ``sizeDistrib``, a linear scale) are drawn.  The random numbers come
from MOOSE's global stream (:mod:`moosepy.core.randnum`, seeded by
``moose.seed``) in MOOSE's order: one draw per bin of every selected
compartment (compartments in creation order), then one angle draw per
spine (when angleDistrib > 0), then one size draw per spine (when
sizeDistrib > 0).  So a build after ``moose.seed(n)`` has the spine count,
positions, angles and sizes that pymoose 5.0.0 gives after the same seed
(tests/rdesigner/test_rdes_spines_seeded.py).

Each spine is a copy of the prototype's compartments, renamed
``<name><k>`` (k counts the spines of this spec), scaled (length,
diameter; Rm, Cm, Ra and channel Gbar rescaled with the area and length),
moved under the cell, attached to the parent compartment by an axial
message and placed perpendicular to it at the chosen position.
"""

import math

import numpy as np

from .geometry import match_path, _is_compartment


def _moose():
    import moosepy
    return moosepy


def _positions(spacing, min_spacing, length, mtrand):
    pos = []
    if min_spacing < 0.0:
        p = spacing * 0.5
        while p < length:
            pos.append(p)
            p += spacing
        if length > spacing * 0.5:
            return pos
    if min_spacing < spacing * 0.1 and min_spacing < 1e-7:
        min_spacing = spacing * 0.1
    if min_spacing > spacing * 0.5:
        min_spacing = spacing * 0.5
    n = int(1 + length / min_spacing)
    dx = length / n
    u = mtrand(n)
    pos.extend(i * dx + dx * 0.5 for i in np.nonzero(u < dx / spacing)[0])
    return pos


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _frame(comp):
    """Unit vectors (x, y, z): z along the compartment, y from (1, √2, 0) x z
    (MOOSE's choice), x = z x y.  (Plain float arithmetic: 3-vectors.)"""
    c = comp._element().cols
    d = (c['x'][0] - c['x0'][0], c['y'][0] - c['y0'][0], c['z'][0] - c['z0'][0])
    n = math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    z = (d[0] / n, d[1] / n, d[2] / n)
    y2 = _cross(d, z)
    t = 1.0
    while math.sqrt(sum(v * v for v in y2)) < 1e-20:
        y2 = _cross((t, math.sqrt(2.0), 0.0), z)
        t += 1.0
    ny = math.sqrt(sum(v * v for v in y2))
    y = (y2[0] / ny, y2[1] / ny, y2[2] / ny)
    return np.array(_cross(z, y)), np.array(y), np.array(z)


def _set_geom_and_elec(comp, ln, dia):
    """Rescale a compartment to length *ln*, diameter *dia* [m] (Rm, Cm,
    Ra, its channels' Gbar and its CaConcs' sizes follow), as MOOSE's
    setGeomAndElec."""
    from ..electrical.channels import ChanBase, CaConcBase
    from .prototypes import set_caconc_geometry
    c = comp._element().cols
    L0, d0 = float(c['length'][0]), float(c['diameter'][0])
    span2 = ((float(c['x'][0]) - float(c['x0'][0])) ** 2 +
             (float(c['y'][0]) - float(c['y0'][0])) ** 2 +
             (float(c['z'][0]) - float(c['z0'][0])) ** 2)
    if not (L0 > 0 and d0 > 0 and ln > 0 and dia > 0 and abs(L0 * L0 - span2) < 1e-10):
        return
    comp.Rm = float(c['Rm'][0]) * d0 * L0 / (dia * ln)
    comp.Cm = float(c['Cm'][0]) * dia * ln / (d0 * L0)
    comp.Ra = float(c['Ra'][0]) * ln * d0 * d0 / (L0 * dia * dia)
    for kid in comp._element().children.values():
        h = kid.handle(0)
        if issubclass(kid.cls, ChanBase):
            h.Gbar = h.Gbar * ln * dia / (L0 * d0)
        elif issubclass(kid.cls, CaConcBase):
            set_caconc_geometry(h, ln, dia)
    comp.length = ln
    comp.diameter = dia


def _add_spine(cell, parent, proto, pos, angle, frame, size, k):
    """The compartments of spine prototype *proto* copied into *cell* with
    the suffix *k* (their messages among them kept), scaled by *size*,
    joined to *parent* and placed at *pos* [m] along it, turned by
    *angle* [rad] about its axis (*frame* from :func:`_frame`)."""
    moose = _moose()
    from ..core.shell import copy_group
    pcomps = [e for e in proto._element().children.values() if _is_compartment(e)]
    new = copy_group([(e, e.name + str(k)) for e in pcomps], cell._element())
    pc = parent._element().cols
    pr = float(pc['diameter'][0]) / 2
    coords, comps = [], []
    for e in new:
        # copies are on their class's default tick, as a MOOSE copy
        c = e.handle(0)
        cl = e.cols
        a = np.array([cl['x0'][0], cl['y0'][0], cl['z0'][0]]) * size
        b = np.array([cl['x'][0], cl['y'][0], cl['z'][0]]) * size
        coords.append(a[0] + pr)
        coords.append(b[0] + pr)
        _set_geom_and_elec(c, float(np.linalg.norm(b - a)), float(cl['diameter'][0]) * size)
        comps.append(c)
    moose.connect(parent, 'axial', comps[0], 'raxial')
    x, _, z = frame
    pts = np.outer(coords, x)              # projected on the x axis of the frame
    cth, sth = math.cos(angle), math.sin(angle)
    omc = 1.0 - cth
    rot = np.array([
        [z[0] * z[0] * omc + cth, z[1] * z[0] * omc - z[2] * sth, z[2] * z[0] * omc + z[1] * sth],
        [z[0] * z[1] * omc + z[2] * sth, z[1] * z[1] * omc + cth, z[2] * z[1] * omc - z[0] * sth],
        [z[0] * z[2] * omc - z[1] * sth, z[1] * z[2] * omc + z[0] * sth, z[2] * z[2] * omc + cth]])
    trans = z * pos + np.array([pc['x0'][0], pc['y0'][0], pc['z0'][0]])
    out = (pts @ rot.T + trans).tolist()
    for i, e in enumerate(new):
        cl = e.cols
        # (coordinates have no checks: stored straight into the columns)
        cl['x0'][0], cl['y0'][0], cl['z0'][0] = out[2 * i]
        cl['x'][0], cl['y'][0], cl['z'][0] = out[2 * i + 1]
    return comps


def install_spines(rdes, spec, err=None):
    """Add the spines of one spineDistrib spec to the rdesigneur's cell;
    returns a list of the spines' compartment lists."""
    return place_spines(rdes.elecid, rdes.geom, spec, first=len(rdes.spines), err=err)


def _first_index(cell, proto, count, first):
    """Number the *count* new spines from 0, as MOOSE does for each line,
    unless a name <compartment><k> is taken already (a second line with
    the same prototype: MOOSE 5.0 crashes there); then from *first* (the
    number of spines already on the cell).  Raises MooseError (nothing
    built) if those names are taken too."""
    from ..core.errors import MooseError
    names = [c.name for c in proto._element().children.values() if _is_compartment(c)]
    have = cell._element().children

    def taken(start):
        return [f'{nm}{k}' for nm in names for k in range(start, start + count)
                if f'{nm}{k}' in have]

    if not taken(0):
        return 0
    clash = taken(first)
    if clash:
        raise MooseError(f'{cell.path}: spines of {proto.path} would be named '
                         f"{', '.join(clash[:3])}, which exist already; rename those compartments")
    return first


def _check_values(spec, elems, used, spacing, ang, angd, sz, szd, err):
    """Refuse spine values no spine can have, on the compartments that get
    spines (*used*): a spacing that is not a number (NaN would be skipped
    silently by the ``> 0`` test), a size <= 0 or not finite (MOOSE 5.0
    leaves such a spine unscaled, or scales its length only), or an angle
    or spread that is not finite.  A spread <= 0 means "no spread", as in
    MOOSE.  *err(field, text, what)* makes the exception."""
    from ..core.errors import FieldError
    if err is None:
        def err(field, text, what):
            return FieldError(f'spineDistribution {field} = {text!r}: {what}')
    checks = [('spacing', spec.spacing, spacing, range(len(elems)), 'a number'),
              ('size', spec.size, sz, used, 'a finite value > 0 (a scale of the prototype)'),
              ('sizeDistrib', spec.sizeDistrib, szd, used, 'a finite value'),
              ('angle', spec.angle, ang, used, 'a finite value [rad]'),
              ('angleDistrib', spec.angleDistrib, angd, used, 'a finite value [rad]')]
    for name, ex, x, where, what in checks:
        for i in where:
            v = float(x[i])
            bad = math.isnan(v) if name == 'spacing' else not math.isfinite(v)
            if name == 'size':
                bad = bad or not v > 0
            if bad:
                raise err(name, getattr(ex, 'text', ex),
                          f'expected {what}; it is {v:g} on {elems[i].path}')


def place_spines(cell, geom, spec, first=0, err=None):
    """Add the spines of *spec* (a SpineDistrib: proto, path and the six
    expressions) to *cell* (a Neuron handle), whose segment tree is *geom*
    (a CellGeometry: compartments outside it get no spines, as in MOOSE);
    returns a list of the spines' compartment lists (shaft first).  The
    spines are not registered on the Neuron here (see
    moosepy.electrical.spine.add_spines).  Spine k's compartments are
    named <name>k (k from 0, as MOOSE; from *first*, the number of spines
    already on the cell, when those names are taken).  A value no spine
    can have raises *err(field, text, what)* (default a FieldError) before
    anything is built."""
    moose = _moose()
    proto = moose.element('/library/' + spec.proto)
    elems = [e for e in match_path(cell, spec.path) if _is_compartment(e)]
    vals = geom.values(elems)
    n = len(elems)
    spacing = spec.spacing(vals, n=n)
    minsp = spec.minSpacing(vals, n=n)
    from ..core.randnum import mtrand
    parents, eidx, pos = [], [], []
    for i, e in enumerate(elems):
        if not spacing[i] > 0:
            continue
        k = geom.index.get(id(e))
        if k is None:
            continue
        for p in _positions(spacing[i], minsp[i], geom.seglen[k], mtrand):
            parents.append(e)
            eidx.append(i)
            pos.append(p)
    ang, angd = spec.angle(vals, n=n), spec.angleDistrib(vals, n=n)
    sz, szd = spec.size(vals, n=n), spec.sizeDistrib(vals, n=n)
    _check_values(spec, elems, sorted(set(eidx)), spacing, ang, angd, sz, szd, err)
    theta = [ang[i] + (mtrand() - 0.5) * angd[i] if angd[i] > 0 else ang[i] for i in eidx]
    size = [sz[i] + (mtrand() - 0.5) * szd[i] if szd[i] > 0 else sz[i] for i in eidx]
    k0 = _first_index(cell, proto, len(parents), first)
    out = []
    for k, (e, p, th, s) in enumerate(zip(parents, pos, theta, size)):
        parent = e.handle(0)
        out.append(_add_spine(cell, parent, proto, p, th, _frame(parent), s, k0 + k))
    return out
