"""VTK scene: segments as one polydata per view, coloured by a value array.

Only the ``vtkmodules`` needed are imported (not ``vtk`` as a whole), and
only when this module is.  Without a display (``DISPLAY`` unset) the render
window is EGL's (``VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow``, set here
when not already set), off screen, with multisampling off (software
rendering pays 3-4x per frame for it).

Geometry is built once in numpy: a tube of ``sides`` quads and two end caps
per segment (tapered where the end radii differ; a low-polygon sphere where
the two ends coincide; a box for a CubeMesh voxel), or a line per segment
(``style='lines'``; a box's 12 edges).  Each point and cell knows its segment;
a frame writes ``values[segment_of_point]`` into the one point scalar array, so
changing colours never rebuilds geometry.
"""

import os
import sys

import numpy as np

if not os.environ.get('DISPLAY') and sys.platform.startswith('linux'):
    os.environ.setdefault('VTK_DEFAULT_OPENGL_WINDOW', 'vtkEGLRenderWindow')

from vtkmodules.util import numpy_support as _nps                          # noqa: E402
from vtkmodules.vtkCommonCore import vtkLookupTable, vtkPoints            # noqa: E402
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData       # noqa: E402
from vtkmodules.vtkCommonDataModel import vtkCellLocator                  # noqa: E402
from vtkmodules.vtkRenderingCore import (vtkActor, vtkPolyDataMapper,     # noqa: E402
                                        vtkRenderer, vtkRenderWindow, vtkTextActor,
                                        vtkWindowToImageFilter, vtkCellPicker)
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor           # noqa: E402
import vtkmodules.vtkRenderingOpenGL2                                     # noqa: E402,F401
import vtkmodules.vtkRenderingFreeType                                    # noqa: E402,F401

from ..core.errors import FieldError                                       # noqa: E402


# ------------------------------------------------------------- geometry
def _frames(d):
    """Unit vectors u, v normal to each axis d (n, 3)."""
    n = np.linalg.norm(d, axis=1)
    a = d / np.where(n > 0, n, 1.0)[:, None]
    a[n == 0] = (1.0, 0.0, 0.0)
    ref = np.where((np.abs(a[:, 0]) < 0.9)[:, None], [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    u = np.cross(a, ref)
    u /= np.linalg.norm(u, axis=1)[:, None]
    v = np.cross(a, u)
    return u, v


def _tubes(p0, p1, r, sides, caps=True, r1=None):
    """Points, normals, cell offsets, connectivity and cells per segment of
    n capped tubes (numpy); radius *r* at *p0* and *r1* at *p1* (None:
    *r*; a tapered tube is a cone frustum, its normals tilted to match)."""
    n = len(r)
    d = p1 - p0
    u, v = _frames(d)
    th = 2 * np.pi * np.arange(sides) / sides
    ring = np.cos(th)[None, :, None] * u[:, None, :] + np.sin(th)[None, :, None] * v[:, None, :]
    pts = np.empty((n, 2, sides, 3))
    pts[:, 0] = p0[:, None, :] + r[:, None, None] * ring
    if r1 is None:
        pts[:, 1] = p1[:, None, :] + r[:, None, None] * ring
        nrm = np.broadcast_to(ring[:, None], (n, 2, sides, 3))
    else:
        pts[:, 1] = p1[:, None, :] + r1[:, None, None] * ring
        L = np.linalg.norm(d, axis=1)
        ax = d / np.where(L > 0, L, 1.0)[:, None]
        ang = np.arctan2(r - r1, L)       # the side leans towards the thin end
        tilt = np.cos(ang)[:, None, None] * ring + \
            np.sin(ang)[:, None, None] * ax[:, None, :]
        nrm = np.broadcast_to(tilt[:, None], (n, 2, sides, 3))
    base = (np.arange(n) * 2 * sides)[:, None]
    k = np.arange(sides)
    k1 = (k + 1) % sides
    quads = np.stack([base + k, base + k1, base + sides + k1, base + sides + k], axis=2)
    conn = [quads.reshape(n, -1)]
    sizes = [np.full(sides, 4)]
    if caps:
        conn += [base + k[::-1], base + sides + k]
        sizes += [[sides], [sides]]
    conn = np.concatenate(conn, axis=1).ravel()
    sizes = np.concatenate(sizes)
    per = len(sizes)
    return pts.reshape(-1, 3), np.ascontiguousarray(nrm).reshape(-1, 3), \
        np.tile(sizes, n), conn, per


# a box from its low corner (0, 0, 0) to its high corner (1, 1, 1): six
# faces of four points each (each face its own points, so flat normals)
# (corner k at x = k & 1, y = k >> 1 & 1, z = k >> 2 & 1; counter-clockwise
# seen from outside)
_BOX_FACES = np.array([[0, 4, 6, 2], [1, 3, 7, 5],      # x = 0, x = 1
                       [0, 1, 5, 4], [2, 6, 7, 3],      # y = 0, y = 1
                       [0, 2, 3, 1], [4, 5, 7, 6]])     # z = 0, z = 1
_BOX_NORMALS = np.array([[-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0], [0, 0, -1], [0, 0, 1]],
                        dtype=float)
_CORNERS = np.array([[(k >> 0) & 1, (k >> 1) & 1, (k >> 2) & 1] for k in range(8)], dtype=float)
_BOX_EDGES = np.array([[a, b] for a in range(8) for b in range(a + 1, 8)
                       if bin(a ^ b).count('1') == 1])       # the 12 edges


def _boxes(lo, hi):
    """Points, normals, cell sizes, connectivity and cells per box of n
    axis-aligned boxes with corners *lo* and *hi* (numpy)."""
    n = len(lo)
    corner = lo[:, None, :] + (hi - lo)[:, None, :] * _CORNERS[None]      # (n, 8, 3)
    pts = corner[:, _BOX_FACES.ravel()]                                   # (n, 24, 3)
    nrm = np.broadcast_to(np.repeat(_BOX_NORMALS, 4, axis=0)[None], (n, 24, 3))
    conn = (np.arange(24)[None, :] + 24 * np.arange(n)[:, None]).ravel()
    return pts.reshape(-1, 3), np.ascontiguousarray(nrm).reshape(-1, 3), \
        np.full(6 * n, 4), conn, 6


def _sphere_template(sides):
    lat = max(3, sides // 2)
    th = np.pi * np.arange(1, lat) / lat
    ph = 2 * np.pi * np.arange(sides) / sides
    pts = [[0.0, 0.0, 1.0]]
    for t in th:
        for p in ph:
            pts.append([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)])
    pts.append([0.0, 0.0, -1.0])
    pts = np.array(pts)
    faces = []
    for j in range(sides):
        faces.append([0, 1 + j, 1 + (j + 1) % sides])
    for i in range(lat - 2):
        a, b = 1 + i * sides, 1 + (i + 1) * sides
        for j in range(sides):
            j1 = (j + 1) % sides
            faces.append([a + j, b + j, b + j1, a + j1])
    last = len(pts) - 1
    a = 1 + (lat - 2) * sides
    for j in range(sides):
        faces.append([a + (j + 1) % sides, a + j, last])
    return pts, faces


def _spheres(c, r, sides):
    tp, faces = _sphere_template(sides)
    n, m = len(r), len(tp)
    pts = c[:, None, :] + r[:, None, None] * tp[None]
    nrm = np.broadcast_to(tp[None], (n, m, 3))
    sizes = np.array([len(f) for f in faces])
    flat = np.concatenate([np.asarray(f) for f in faces])
    conn = (flat[None, :] + (np.arange(n) * m)[:, None]).ravel()
    return pts.reshape(-1, 3), np.ascontiguousarray(nrm).reshape(-1, 3), \
        np.tile(sizes, n), conn, len(faces)


_CAPPED = (2, 3, 5, 6, 7, 8, 10)  # geometry: HEAD, SOMA, SPINE/PSD/ENDO/PRESYN/CYL voxels
_BOX = 9                           # geometry.CUBE_VOXEL


def build_polydata(seg, sides=8, style='tubes'):
    """(vtkPolyData, segment of each cell, segment of each point) for a
    :class:`Segments` (every segment has points of its own).

    ``style``: 'tubes' (true radii; spheres where p0 == p1) or 'lines'.
    CubeMesh voxels are boxes in both styles (their 12 edges as lines)."""
    from vtkmodules.vtkCommonCore import vtkIdTypeArray
    n = len(seg)
    pd = vtkPolyData()
    box = seg.kind == _BOX
    if style == 'lines':
        li = np.nonzero(~box)[0]
        bi = np.nonzero(box)[0]
        m = len(li)
        pts = np.empty((2 * m, 3))
        pts[0::2], pts[1::2] = seg.p0[li], seg.p1[li]
        conn = [np.arange(2 * m, dtype=np.int64)]
        segcell, segpt = [li], [np.repeat(li, 2)]
        if len(bi):
            lo, hi = seg.p0[bi], seg.p1[bi]
            corner = lo[:, None, :] + (hi - lo)[:, None, :] * _CORNERS[None]
            pts = np.concatenate([pts, corner.reshape(-1, 3)])
            conn.append((2 * m + _BOX_EDGES.ravel()[None, :]
                         + 8 * np.arange(len(bi))[:, None]).ravel())
            segcell.append(np.repeat(bi, 12))
            segpt.append(np.repeat(bi, 8))
        conn = np.concatenate(conn).astype(np.int64)
        offsets = np.arange(0, len(conn) + 1, 2, dtype=np.int64)
        pd.SetPoints(_points(pts))
        pd.SetLines(_cell_array(offsets, conn, vtkIdTypeArray))
        return pd, np.concatenate(segcell).astype(np.int64), \
            np.concatenate(segpt).astype(np.int64)
    if style != 'tubes':
        raise FieldError(f"viz3d: style must be 'tubes' or 'lines', got {style!r}")
    same = np.all(seg.p0 == seg.p1, axis=1)
    parts = []
    ti = np.nonzero(~same & ~box)[0]
    si = np.nonzero(same & ~box)[0]
    bi = np.nonzero(box)[0]
    if len(bi):
        parts.append((bi,) + _boxes(seg.p0[bi], seg.p1[bi]))
    if len(ti):
        # caps only where an end shows: spine heads, somata, the voxels of
        # spines, PSDs and boutons (dendrites join end to end); half the
        # triangles of a capped tube are its caps
        capped = np.isin(seg.kind[ti], _CAPPED)
        for sel, caps in ((ti[~capped], False), (ti[capped], True)):
            if len(sel):
                r1 = None if seg.radius1 is None else seg.radius1[sel]
                parts.append((sel,) + _tubes(seg.p0[sel], seg.p1[sel], seg.radius[sel], sides,
                                             caps, r1))
    if len(si):
        parts.append((si,) + _spheres(seg.p0[si], seg.radius[si], sides))
    P, N, S, C, segcell, segpt = [], [], [], [], [], []
    npts = 0
    for idx, pts, nrm, sizes, conn, per in parts:
        P.append(pts)
        N.append(nrm)
        S.append(sizes)
        C.append(conn + npts)
        segcell.append(np.repeat(idx, per))
        segpt.append(np.repeat(idx, len(pts) // max(1, len(idx))))
        npts += len(pts)
    pts = np.concatenate(P) if P else np.zeros((0, 3))
    nrm = np.concatenate(N) if N else np.zeros((0, 3))
    sizes = np.concatenate(S) if S else np.zeros(0, dtype=np.int64)
    conn = np.concatenate(C).astype(np.int64) if C else np.zeros(0, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    pd.SetPoints(_points(pts))
    pd.SetPolys(_cell_array(offsets, conn, vtkIdTypeArray))
    na = _nps.numpy_to_vtk(np.ascontiguousarray(nrm, dtype=np.float32), deep=True)
    na.SetName('Normals')
    pd.GetPointData().SetNormals(na)
    segcell = np.concatenate(segcell) if segcell else np.zeros(0, dtype=np.int64)
    segpt = np.concatenate(segpt) if segpt else np.zeros(0, dtype=np.int64)
    return pd, segcell.astype(np.int64), segpt.astype(np.int64)


def _points(a):
    p = vtkPoints()
    p.SetData(_nps.numpy_to_vtk(np.ascontiguousarray(a, dtype=np.float64), deep=True))
    return p


def _cell_array(offsets, conn, idarray):
    ca = vtkCellArray()
    o = _nps.numpy_to_vtkIdTypeArray(np.ascontiguousarray(offsets, dtype=np.int64), deep=True)
    c = _nps.numpy_to_vtkIdTypeArray(np.ascontiguousarray(conn, dtype=np.int64), deep=True)
    ca.SetData(o, c)
    return ca


# ------------------------------------------------------------- colour maps
def lookup_table(name, n=256):
    """vtkLookupTable of matplotlib's colour map *name*; NaN drawn grey."""
    import matplotlib
    try:
        cmap = matplotlib.colormaps[name]
    except KeyError:
        some = ', '.join(sorted(k for k in matplotlib.colormaps if not k.endswith('_r'))[:40])
        raise FieldError(f'viz3d: unknown colour map {name!r}; valid names include {some}, '
                         '... (any matplotlib colour map)') from None
    rgba = cmap(np.linspace(0.0, 1.0, n))
    lut = vtkLookupTable()
    lut.SetNumberOfTableValues(n)
    lut.Build()
    for i in range(n):
        lut.SetTableValue(i, *rgba[i])
    lut.SetNanColor(0.5, 0.5, 0.5, 1.0)
    return lut, rgba


# ------------------------------------------------------------- one panel
class Panel:
    """Actors of one view in one renderer: the coloured segments, a colour
    bar (title ``label (unit)``) and a title text."""

    def __init__(self, renderer, seg, colormap='jet', title='', label='', unit='',
                 sides=8, style='tubes', scalar_bar=True, lighting=True):
        self.renderer = renderer
        self.seg = seg
        self.poly, self.segcell, self.segpoint = build_polydata(seg, sides, style)
        # point scalars (each segment's points are its own, so the colour is
        # the segment's): llvmpipe draws them faster than cell scalars
        self.pointvals = np.zeros(len(self.segpoint))
        arr = _nps.numpy_to_vtk(self.pointvals, deep=False)
        arr.SetName('values')
        self._arr = arr
        self.poly.GetPointData().SetScalars(arr)
        self.lut, self.rgba = lookup_table(colormap)
        self.mapper = vtkPolyDataMapper()
        self.mapper.SetInputData(self.poly)
        self.mapper.SetLookupTable(self.lut)
        self.mapper.SetScalarModeToUsePointData()
        self.mapper.SetColorModeToMapScalars()
        self.mapper.ScalarVisibilityOn()
        self.actor = vtkActor()
        self.actor.SetMapper(self.mapper)
        prop = self.actor.GetProperty()
        if style == 'lines':
            prop.SetLineWidth(2.0)
        if lighting:
            prop.SetAmbient(0.25)
            prop.SetDiffuse(0.8)
        else:
            # exact colour-map colours (no shading): for checks and flat figures
            prop.SetAmbient(1.0)
            prop.SetDiffuse(0.0)
            prop.SetSpecular(0.0)
        renderer.AddActor(self.actor)
        self.bar = None
        if scalar_bar:
            bar = vtkScalarBarActor()
            bar.SetLookupTable(self.lut)
            t = label + (f' ({unit})' if unit else '')
            bar.SetTitle(t)
            bar.SetNumberOfLabels(5)
            bar.SetMaximumWidthInPixels(90)
            bar.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
            bar.GetPositionCoordinate().SetValue(0.86, 0.1)
            bar.SetWidth(0.12)
            bar.SetHeight(0.8)
            renderer.AddViewProp(bar)
            self.bar = bar
        self.title = None
        if title:
            ta = vtkTextActor()
            ta.SetInput(title)
            ta.GetTextProperty().SetFontSize(16)
            ta.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
            ta.GetPositionCoordinate().SetValue(0.02, 0.93)
            renderer.AddViewProp(ta)
            self.title = ta
        self._locator = None

    def set_values(self, values):
        """Colour segment i by values[i] (one array write)."""
        np.take(values, self.segpoint, out=self.pointvals)
        self._arr.Modified()

    def set_range(self, lo, hi):
        if not hi > lo:
            hi = lo + (abs(lo) * 1e-6 or 1e-12)
        self.mapper.SetScalarRange(lo, hi)
        self.lut.SetTableRange(lo, hi)

    def locator(self):
        if self._locator is None:
            loc = vtkCellLocator()
            loc.SetDataSet(self.poly)
            loc.BuildLocator()
            self._locator = loc
        return self._locator

    def pick_point(self, xyz):
        """Segment index nearest the point *xyz* [m] (cell locator)."""
        from vtkmodules.vtkCommonCore import reference
        cp = [0.0, 0.0, 0.0]
        cid, sub, d2 = reference(0), reference(0), reference(0.0)
        self.locator().FindClosestPoint(list(map(float, xyz)), cp, cid, sub, d2)
        c = int(cid)
        return int(self.segcell[c]) if c >= 0 else None


def make_window(width, height, offscreen):
    win = vtkRenderWindow()
    win.SetMultiSamples(0)
    if offscreen:
        win.SetOffScreenRendering(1)
    win.SetSize(int(width), int(height))
    return win


def read_pixels(win):
    """The window's pixels as an (height, width, 3) uint8 array, top row first."""
    f = vtkWindowToImageFilter()
    f.SetInput(win)
    f.SetInputBufferTypeToRGB()
    f.ReadFrontBufferOff()
    f.ShouldRerenderOff()
    f.Update()
    img = f.GetOutput()
    w, h, _ = img.GetDimensions()
    a = _nps.vtk_to_numpy(img.GetPointData().GetScalars()).reshape(h, w, -1)
    return np.ascontiguousarray(a[::-1, :, :3])


__all__ = ['Panel', 'build_polydata', 'lookup_table', 'make_window', 'read_pixels',
           'vtkRenderer', 'vtkTextActor', 'vtkCellPicker']
