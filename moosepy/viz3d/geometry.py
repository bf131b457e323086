"""Segments to draw, taken from the model through its public fields (no VTK).

A :class:`Segments` is the drawable shape of one view: ``n`` segments, each a
tube from ``p0`` to ``p1`` [m] of radius ``radius`` [m] (a sphere when the two
ends coincide), a ``kind`` code per segment, and the model objects whose
field gives each segment its value (``objects``: handles; ``entries``: the
entry index of each segment's object).

* :func:`compartment_segments` -- compartments matched by a wildcard path:
  ``x0, y0, z0 -> x, y, z`` with ``diameter * diaScale``.  Compartments
  named like MOOSE's spines are marked: ``*shaft*``/``*neck*`` as spine necks,
  ``*head*`` as spine heads.
* :func:`mesh_segments` -- the voxels of a chemical mesh read through
  ``MeshEntry.Coordinates`` (:mod:`moosepy.kinetics.mesh`), drawn by mesh
  type: NeuroMesh voxels as tubes (x0..z1, of the radius that gives the
  voxel's volume over its length),
  SpineMesh voxels as heads (shaft end -> head end, head diameter), PsdMesh
  voxels as discs on the head (centre along the normal, ``thickness`` deep,
  at least a tenth of the diameter so that it shows), EndoMesh voxels and
  PresynMesh boutons as spheres, CubeMesh voxels as boxes at their grid
  places (``p0`` the low corner, ``p1`` the high corner, radius 0), CylMesh
  voxels as pieces of its tapered tube (``radius`` at ``p0``, ``radius1``
  at ``p1``, the mesh's own linear taper).

What this module does not do: draw (:mod:`moosepy.viz3d.scene`), read values
(:mod:`moosepy.viz3d.values`).
"""

from dataclasses import dataclass, field

import numpy as np

from ..core.errors import FieldError, PathError

# kind codes of segments
(DEND, NECK, HEAD, SOMA, VOXEL, SPINE_VOXEL, PSD_VOXEL, ENDO_VOXEL, PRESYN_VOXEL, CUBE_VOXEL,
 CYL_VOXEL) = range(11)
KIND_NAMES = ('dendrite', 'spine neck', 'spine head', 'soma', 'NeuroMesh voxel',
              'SpineMesh voxel', 'PsdMesh voxel', 'EndoMesh voxel', 'PresynMesh voxel',
              'CubeMesh voxel', 'CylMesh voxel')


@dataclass
class Segments:
    """Drawable segments of one view (arrays of length n; lengths in m).

    ``radius`` is the radius at ``p0``; ``radius1`` the radius at ``p1``
    (None: the same, a cylinder).  A ``CUBE_VOXEL`` segment is the
    axis-aligned box with corners ``p0`` and ``p1`` (its radii are 0)."""
    p0: np.ndarray
    p1: np.ndarray
    radius: np.ndarray
    kind: np.ndarray
    objects: list = field(default_factory=list)   # handle per segment (value source)
    labels: list = field(default_factory=list)    # path per segment (picking, errors)
    radius1: np.ndarray = None                    # radius at p1 (tapered), None: = radius

    @property
    def end_radius(self):
        """Radius at ``p1`` of every segment [m]."""
        return self.radius if self.radius1 is None else self.radius1

    def __len__(self):
        return len(self.radius)

    @property
    def bounds(self):
        """(xmin, xmax, ymin, ymax, zmin, zmax) [m] of the drawn tubes: the
        end discs (radius r normal to the axis a reach r sqrt(1 - a_k^2)
        along axis k), spheres where the ends coincide."""
        if not len(self):
            return (0.0,) * 6
        d = self.p1 - self.p0
        L = np.linalg.norm(d, axis=1)
        a = d / np.where(L > 0, L, 1.0)[:, None]
        ext = np.sqrt(np.clip(1.0 - a * a, 0.0, 1.0))
        ext[L == 0] = 1.0
        r0 = self.radius[:, None] * ext
        r1 = self.end_radius[:, None] * ext
        lo = np.minimum(self.p0 - r0, self.p1 - r1)
        hi = np.maximum(self.p0 + r0, self.p1 + r1)
        lo, hi = lo.min(axis=0), hi.max(axis=0)
        return (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])

    @staticmethod
    def concat(parts):
        parts = [p for p in parts if len(p)]
        if not parts:
            return Segments(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0),
                            np.zeros(0, dtype=np.int8))
        taper = any(p.radius1 is not None for p in parts)
        return Segments(np.concatenate([p.p0 for p in parts]),
                        np.concatenate([p.p1 for p in parts]),
                        np.concatenate([p.radius for p in parts]),
                        np.concatenate([p.kind for p in parts]),
                        sum((p.objects for p in parts), []),
                        sum((p.labels for p in parts), []),
                        np.concatenate([p.end_radius for p in parts]) if taper else None)

    def subset(self, keep):
        """The segments at the indices *keep* (voxel numbers kept with them)."""
        keep = np.asarray(keep, dtype=np.int64)
        out = Segments(self.p0[keep], self.p1[keep], self.radius[keep], self.kind[keep],
                       [self.objects[i] for i in keep], [self.labels[i] for i in keep],
                       None if self.radius1 is None else self.radius1[keep])
        if getattr(self, 'voxels', None) is not None:
            out.voxels = self.voxels[keep]
        return out


def _is_compartment(obj):
    return any(c.__name__ == 'CompartmentBase' for c in type(obj).__mro__)


def _kind_of_name(name):
    n = name.lower()
    if 'shaft' in n or 'neck' in n:
        return NECK
    if 'head' in n:
        return HEAD
    if 'soma' in n:
        return SOMA
    return DEND


def find_compartments(path):
    """Compartments matched by the wildcard *path* (others matched are
    ignored); raises PathError when none is."""
    from ..core.shell import wildcardFind
    found = [o for o in wildcardFind(path) if _is_compartment(o)]
    if not found:
        raise PathError(f"viz3d: '{path}' matches no compartment (CompartmentBase); "
                        "give a wildcard path such as '/model/elec/##[ISA=CompartmentBase]'")
    return found


def compartment_segments(comps, diaScale=1.0):
    """Segments of the compartments *comps* (handles, or a wildcard path):
    ``x0, y0, z0 -> x, y, z`` [m], radius ``diameter * diaScale / 2`` [m].

    Raises FieldError when the compartments carry no coordinates (every end
    at the origin) or a diameter is not positive.
    """
    if isinstance(comps, str):
        comps = find_compartments(comps)
    comps = list(comps)
    if not diaScale > 0:
        raise FieldError(f'viz3d: diaScale must be > 0, got {diaScale!r}')
    n = len(comps)
    c = np.empty((n, 7))
    for i, o in enumerate(comps):
        el, j = o._el, o._idx
        cols = el.cols
        c[i] = (cols['x0'][j], cols['y0'][j], cols['z0'][j], cols['x'][j], cols['y'][j],
                cols['z'][j], cols['diameter'][j])
    if n and not np.any(c[:, :6]):
        raise FieldError(f'viz3d: the {n} compartments (first {comps[0].path}) have no '
                         'coordinates (x0, y0, z0, x, y, z all 0): nothing to draw; set '
                         'them or load a morphology (SWC, .p)')
    bad = np.nonzero(~(c[:, 6] > 0))[0]
    if len(bad):
        raise FieldError(f'viz3d: {comps[bad[0]].path}.diameter = {c[bad[0], 6]!r}: expected '
                         f'a diameter > 0 [m] ({len(bad)} compartments without one)')
    kind = np.array([_kind_of_name(o.name) for o in comps], dtype=np.int8)
    return Segments(c[:, 0:3].copy(), c[:, 3:6].copy(), 0.5 * diaScale * c[:, 6], kind,
                    list(comps), [o.path for o in comps])


MESH_CLASSES = ('NeuroMesh', 'SpineMesh', 'PsdMesh', 'EndoMesh', 'PresynMesh', 'CubeMesh',
                'CylMesh')


def _mesh_class(mesh):
    for c in type(mesh).__mro__:
        if c.__name__ in MESH_CLASSES:
            return c.__name__
    return type(mesh).__name__


def mesh_coordinates(mesh):
    """(n, k) array of every voxel's ``MeshEntry.Coordinates`` [m]."""
    from ..core.element import Vec
    from ..core.shell import element
    entries = Vec(element(mesh.path + '/mesh')._el)
    rows = [np.asarray(e.Coordinates, dtype=float) for e in entries]
    if not rows:
        return np.zeros((0, 0))
    return np.vstack(rows)


def mesh_segments(mesh, diaScale=1.0):
    """Segments of every voxel of a NeuroMesh, SpineMesh, PsdMesh, EndoMesh,
    PresynMesh, CubeMesh or CylMesh *mesh* (a handle or a path); ``objects``
    holds the mesh and each segment's entry index is its voxel (see
    :attr:`Segments.voxels`)."""
    from ..core.shell import element
    if isinstance(mesh, str):
        mesh = element(mesh)
    kind_name = _mesh_class(mesh)
    if kind_name not in MESH_CLASSES:
        raise FieldError(f'viz3d: {mesh.path} is a {type(mesh).__name__}; voxels are drawn for '
                         f'{", ".join(MESH_CLASSES)}')
    r1 = None
    if kind_name == 'CubeMesh':
        p0, p1 = cube_voxels(mesh)
        n = len(p0)
        r = np.zeros(n)
        kind = CUBE_VOXEL
    elif kind_name == 'CylMesh':
        p0, p1, r, r1 = cyl_voxels(mesh)
        n = len(p0)
        r1 = r1 * diaScale
        kind = CYL_VOXEL
    elif kind_name == 'NeuroMesh':
        co = mesh_coordinates(mesh)
        n = len(co)
        p0, p1 = co[:, 0:3], co[:, 3:6]
        # the cylinder of the voxel's volume (exact for 'cylinder' geometry,
        # between the end radii for tapered voxels)
        L = np.linalg.norm(p1 - p0, axis=1)
        vol = np.asarray(mesh.voxelVolume, dtype=float)
        r = np.where(L > 0, np.sqrt(vol / (np.pi * np.where(L > 0, L, 1.0))),
                     0.5 * (co[:, 6] + co[:, 7]))
        kind = VOXEL
    elif kind_name == 'SpineMesh':
        co = mesh_coordinates(mesh)
        n = len(co)
        # head end, shaft end, shaft start, head dia, shaft dia
        p0, p1 = co[:, 3:6], co[:, 0:3]
        r = 0.5 * co[:, 9]
        kind = SPINE_VOXEL
    elif kind_name == 'PsdMesh':
        co = mesh_coordinates(mesh)
        n = len(co)
        c, nrm, dia = co[:, 0:3], co[:, 3:6], co[:, 6]
        th = np.maximum(float(mesh.thickness), 0.1 * dia)
        norm = np.linalg.norm(nrm, axis=1)
        unit = nrm / np.where(norm > 0, norm, 1.0)[:, None]
        p0, p1 = c, c + unit * th[:, None]
        r = 0.5 * dia
        kind = PSD_VOXEL
    elif kind_name == 'EndoMesh':
        co = mesh_coordinates(mesh)
        n = len(co)
        if co.shape[1] < 4:
            raise FieldError(f'viz3d: {mesh.path} (EndoMesh) has no coordinates: its '
                             'surround gives no voxel ends')
        p0 = p1 = co[:, 0:3]
        r = 0.5 * co[:, 3]
        kind = ENDO_VOXEL
    else:   # PresynMesh: bouton xyz, direction, diameter
        co = mesh_coordinates(mesh)
        n = len(co)
        p0 = p1 = co[:, 0:3]
        r = 0.5 * co[:, 6]
        kind = PRESYN_VOXEL
    r = r * diaScale
    seg = Segments(np.array(p0, dtype=float), np.array(p1, dtype=float), np.asarray(r, float),
                   np.full(n, kind, dtype=np.int8), [mesh] * n,
                   [f'{mesh.path}/mesh[{i}]' for i in range(n)], r1)
    seg.voxels = np.arange(n)
    return seg


def cube_voxels(mesh):
    """(low corners, high corners) [m] of every voxel of a CubeMesh, from
    its public fields x0..z1, nx, ny, nz; voxel ``ix + nx (iy + ny iz)``
    (x fastest, as ``MeshEntry.Coordinates``)."""
    lo = np.array([mesh.x0, mesh.y0, mesh.z0], dtype=float)
    hi = np.array([mesh.x1, mesh.y1, mesh.z1], dtype=float)
    n = np.array([mesh.nx, mesh.ny, mesh.nz], dtype=np.int64)
    d = (hi - lo) / n
    iz, iy, ix = np.unravel_index(np.arange(int(np.prod(n))), (n[2], n[1], n[0]))
    a = lo + np.stack([ix, iy, iz], axis=1) * d
    return a, a + d


def cyl_voxels(mesh):
    """(starts, ends, start radii, end radii) [m] of every voxel of a
    CylMesh: its axis cut in ``numDiffCompts`` equal pieces, the radius
    going linearly from r0 to r1 (as ``MeshEntry.Coordinates``)."""
    a = np.array([mesh.x0, mesh.y0, mesh.z0], dtype=float)
    b = np.array([mesh.x1, mesh.y1, mesh.z1], dtype=float)
    n = int(mesh.numDiffCompts)
    r0, r1 = float(mesh.r0), float(mesh.r1)
    f = np.arange(n + 1) / n
    ends = a[None, :] + (b - a)[None, :] * f[:, None]
    rad = r0 + (r1 - r0) * f
    return ends[:-1].copy(), ends[1:].copy(), rad[:-1].copy(), rad[1:].copy()
