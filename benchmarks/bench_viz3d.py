"""viz3d speed, headless (software rendering through EGL), 800x600.

Model: a vec of n compartments (one element, n entries) laid out as a
neuron-like tree (persistent random walks of 5 um segments, 1 um wide,
branching); each frame sets new Vm
values, then reads them in bulk, colours, renders and reads the pixels back.

Prints per-frame ms (median of the frames) at 1,000 / 10,000 / 100,000
segments as tubes (8 sides) and as lines, the first frame of a 10,000-segment
cell (View + Viewer + first render, VTK already imported; and the VTK import
itself), and picking times (cell locator: nearest point, and a pixel pick).

    python benchmarks/bench_viz3d.py [--frames 10] [--sizes 1000 10000 100000]
"""

import argparse
import os
import statistics
import sys
import time
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

os.environ.pop('DISPLAY', None)

import numpy as np


def tree(n, seed=1):
    """A neuron-like tree: persistent random walks of 5 um segments that
    branch (probability 0.03 per segment) from earlier points."""
    rng = np.random.default_rng(seed)
    p0 = np.zeros((n, 3))
    p1 = np.zeros((n, 3))
    d = np.zeros((n, 3))
    for i in range(n):
        if i == 0 or rng.random() < 0.03:
            par = int(rng.integers(0, i)) if i else -1
            di = rng.normal(size=3)
        else:
            par = i - 1
            di = d[par] + 0.3 * rng.normal(size=3)
        di /= np.linalg.norm(di)
        d[i] = di
        p0[i] = p1[par] if par >= 0 else 0.0
        p1[i] = p0[i] + 5e-6 * di
    return p0, p1


def build(n, moose):
    from moosepy.core.shell import reset_tree
    reset_tree()
    moose.Neutral('/cell')
    c = moose.Compartment('/cell/c', n)
    v = moose.vec('/cell/c')
    p0, p1 = tree(n)
    v.x0, v.y0, v.z0 = p0[:, 0], p0[:, 1], p0[:, 2]
    v.x, v.y, v.z = p1[:, 0], p1[:, 1], p1[:, 2]
    v.diameter = np.full(n, 1e-6)
    return v


def frames(n, style, nframes, moose, viz3d):
    v = build(n, moose)
    view = viz3d.View(list(v), 'Vm', vmin=-70, vmax=40, style=style)
    w = viz3d.Viewer([view], size=(800, 600), offscreen=True)
    rng = np.random.default_rng(0)
    times = {'update': [], 'render': [], 'readback': [], 'frame': [], 'cpu': []}
    for k in range(nframes + 1):
        v.Vm = rng.uniform(-0.07, 0.04, n)          # the model changes (not timed)
        c0 = time.process_time()
        t0 = time.perf_counter()
        w.update(k * 1e-3)
        t1 = time.perf_counter()
        w.render()
        t2 = time.perf_counter()
        w.snapshot()
        t3 = time.perf_counter()
        c3 = time.process_time()
        if k:            # the first render uploads the geometry
            times['update'].append(t1 - t0)
            times['render'].append(t2 - t1)
            times['readback'].append(t3 - t2)
            times['frame'].append(t3 - t0)
            times['cpu'].append(c3 - c0)
    w.finalize()
    return {k: 1e3 * statistics.median(x) for k, x in times.items() if x}


def first_frame(n, moose, viz3d):
    v = build(n, moose)
    t0 = time.perf_counter()
    view = viz3d.View(list(v), 'Vm', vmin=-70, vmax=40)
    w = viz3d.Viewer([view], size=(800, 600), offscreen=True)
    w.render()
    w.snapshot()
    t1 = time.perf_counter()
    # picking
    p = w.panels[0]
    p.locator()
    t2 = time.perf_counter()
    rng = np.random.default_rng(3)
    pts = np.array([np.asarray(view.seg.p1[i]) for i in rng.integers(0, n, 200)])
    t3 = time.perf_counter()
    for q in pts:
        p.pick_point(q)
    t4 = time.perf_counter()
    for _ in range(50):
        w.pick(400, 300)
    t5 = time.perf_counter()
    w.finalize()
    return {'first_frame_s': t1 - t0, 'locator_build_ms': 1e3 * (t2 - t1),
            'pick_point_ms': 1e3 * (t4 - t3) / len(pts), 'pick_pixel_ms': 1e3 * (t5 - t4) / 50}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--frames', type=int, default=10)
    ap.add_argument('--sizes', type=int, nargs='+', default=[1000, 10000, 100000])
    a = ap.parse_args()
    t0 = time.perf_counter()
    import moosepy as moose
    t1 = time.perf_counter()
    from moosepy import viz3d
    import moosepy.viz3d.scene  # noqa: F401  (the vtkmodules)
    t2 = time.perf_counter()
    print(f'import moosepy {t1 - t0:.2f} s; viz3d + its vtkmodules {t2 - t1:.2f} s; '
          f"'vtk' imported whole: {'vtk' in sys.modules}")
    print('per frame, median; ms (wall; cpu = CPU time of all threads of this process, '
          'the figure to trust on a loaded machine)')
    print(f"{'segments':>9} {'style':>6} {'frame':>8} {'cpu':>7} {'update':>7} {'render':>7} "
          f"{'readback':>8}")
    for n in a.sizes:
        for style in ('tubes', 'lines'):
            r = frames(n, style, a.frames, moose, viz3d)
            print(f"{n:>9} {style:>6} {r['frame']:>8.1f} {r['cpu']:>7.1f} {r['update']:>7.2f} "
                  f"{r['render']:>7.1f} {r['readback']:>8.2f}")
    f = first_frame(10000, moose, viz3d)
    print(f"first frame of a 10,000-segment cell (View + Viewer + render + readback): "
          f"{f['first_frame_s']:.2f} s")
    print(f"picking: cell locator built in {f['locator_build_ms']:.0f} ms; nearest segment to "
          f"a point {f['pick_point_ms']:.3f} ms; pixel pick (vtkCellPicker + locator) "
          f"{f['pick_pixel_ms']:.2f} ms")


if __name__ == '__main__':
    main()
