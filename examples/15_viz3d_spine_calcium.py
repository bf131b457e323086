"""15 - Calcium spreading from a spine into the dendrite, in 3D.

A 60 um dendrite (six 10 um compartments, 2 um wide) carries five spines
(neck 1 um x 0.2 um, head 0.5 um x 0.5 um).  A NeuroMesh (1 um voxels) on
the dendrite, a SpineMesh on the heads and a PsdMesh on their tops each
hold a pool 'Ca' that diffuses (D = 2e-11 m^2/s) through Dsolves joined at
the necks.  At t = 0 the middle spine's head and PSD hold 10 uM of Ca,
everything else 0.1 uM.  ``moosepy.viz3d`` draws the three meshes' voxels
in one scene (dendrite voxels as tubes, spine heads, PSD discs; the
colour map spans 0.1-0.3 uM, so the loaded spine is saturated) coloured by
Ca [uM], zoomed on the loaded spine, and records a frame every 50 ms of a 1 s run into
``15_viz3d_spine_calcium.mp4`` (GIF without imageio-ffmpeg), headless.

Expected result: the Ca leaves the loaded spine: the dendrite voxel under
it rises first and most, then its neighbours; molecules are conserved
across the three meshes (to 1e-9 relative).  Without vtk only the plot
``15_viz3d_spine_calcium.png`` (Ca along the dendrite at 0, 0.1 and 1 s)
is made.
"""

import importlib.util

import numpy as np
from _common import out_path, plt

import moosepy as moose

NCOMP, NSPINE = 6, 5
D = 2e-11
RUNTIME, FRAME_DT = 1.0, 0.05
LOADED = NSPINE // 2


def compt(path, parent, length, dia, x0, y0=0.0, along='x'):
    c = moose.Compartment(path)
    c.length, c.diameter = length, dia
    c.x0, c.y0 = x0, y0
    c.x, c.y = (x0 + length, y0) if along == 'x' else (x0, y0 + length)
    if parent is not None:
        moose.connect(parent, 'axial', c, 'raxial')
    return c


def build():
    moose.Neutral('/model')
    moose.Neutral('/model/elec')
    prev, dends = None, []
    for i in range(NCOMP):
        prev = compt(f'/model/elec/dend{i}', prev, 10e-6, 2e-6, i * 10e-6)
        dends.append(prev)
    for k in range(NSPINE):
        x = (k + 0.5) * NCOMP * 10e-6 / NSPINE
        d = dends[int(x // 10e-6)]
        neck = compt(f'/model/elec/shaft{k}', d, 1e-6, 0.2e-6, x, 1e-6, along='y')
        compt(f'/model/elec/head{k}', neck, 0.5e-6, 0.5e-6, x, 2e-6, along='y')
    moose.Neutral('/model/chem')
    dend = moose.NeuroMesh('/model/chem/dend')
    spine = moose.SpineMesh('/model/chem/spine')
    psd = moose.PsdMesh('/model/chem/psd')
    dend.separateSpines, dend.diffLength = True, 1e-6
    moose.connect(dend, 'spineListOut', spine, 'spineList')
    moose.connect(dend, 'psdListOut', psd, 'psdList')
    for m in (dend, spine, psd):
        p = moose.Pool(m.path + '/Ca')
        p.diffConst = D
    dend.subTreePath = '/model/elec/#'
    dsolves = []
    for m in (dend, spine, psd):
        st = moose.Stoich(m.path + '/stoich')
        st.compartment = m
        st.ksolve = moose.Ksolve(m.path + '/ksolve')
        st.dsolve = moose.Dsolve(m.path + '/dsolve')
        st.reacSystemPath = m.path + '/#[ISA=PoolBase]'
        dsolves.append(st.dsolve)
    moose.element(dsolves[0]).buildNeuroMeshJunctions(moose.element(dsolves[1]),
                                                       moose.element(dsolves[2]))
    for m in (dend, spine, psd):
        v = moose.vec(m.path + '/Ca')
        c0 = np.full(len(v), 1e-4)                      # 0.1 uM [mM]
        if m is not dend:
            c0[LOADED] = 1e-2                           # 10 uM in the loaded spine
        v.concInit = c0
    for t in (10, 11, 12, 13, 14, 15, 16, 17, 18):
        moose.setClock(t, 0.01)
    return dend, spine, psd


def total_n():
    return sum(float(np.sum(moose.vec(f'/model/chem/{m}/Ca').n))
               for m in ('dend', 'spine', 'psd'))


def dend_profile(dend):
    xs = np.asarray(dend.voxelMidpoint, dtype=float)
    x = xs[:len(xs) // 3]
    return x, np.asarray(moose.vec('/model/chem/dend/Ca').conc) * 1e3


def main():
    dend, spine, psd = build()
    have_vtk = importlib.util.find_spec('vtkmodules') is not None
    profiles = {}
    if have_vtk:
        from moosepy import viz3d
        common = dict(field='conc', pool='Ca', vmin=0.1, vmax=0.3, colormap='viridis')
        views = [viz3d.View(mesh=dend, title='Ca (uM): dendrite, spines, PSDs', **common),
                 viz3d.View(mesh=spine, **common), viz3d.View(mesh=psd, **common)]
        ffmpeg = importlib.util.find_spec('imageio_ffmpeg') is not None
        movie = out_path('15_viz3d_spine_calcium' + ('.mp4' if ffmpeg else '.gif'))
        w = viz3d.Viewer(views, merge=True, movie=movie, size=(640, 360), fps=10,
                         camera={'zoom': 3.0})
        for p in w.panels[1:]:                          # one colour bar is enough
            p.bar.SetVisibility(False)
        moose.reinit()
        n0 = total_n()
        profiles[0.0] = dend_profile(dend)
        w.run(0.1, FRAME_DT, reinit=False, close=False)     # the movie goes on
        profiles[0.1] = dend_profile(dend)
        w.run(RUNTIME - 0.1, FRAME_DT, reinit=False)
        w.save_png(out_path('15_viz3d_spine_calcium_3d.png'))
        print(f'movie: {movie}, {w.nframes} frames')
        assert w.nframes == int(round(RUNTIME / FRAME_DT)) + 1
    else:
        print('vtk is not installed (pip install moosepy[viz]): no 3D movie, only the plot')
        moose.reinit()
        n0 = total_n()
        profiles[0.0] = dend_profile(dend)
        moose.start(0.1)
        profiles[0.1] = dend_profile(dend)
        moose.start(RUNTIME - 0.1)
    profiles[RUNTIME] = dend_profile(dend)
    n1 = total_n()
    x, c = profiles[RUNTIME]
    xl = (LOADED + 0.5) * NCOMP * 10e-6 / NSPINE
    under = int(np.argmin(np.abs(x - xl)))
    far = int(np.argmax(np.abs(x - xl)))
    print(f'Ca at {RUNTIME:g} s: under the loaded spine {c[under]:.3f} uM, farthest voxel '
          f'{c[far]:.3f} uM; molecules {n0:.6g} -> {n1:.6g}')
    assert c[under] > c[far] > 0.1 - 1e-9, 'Ca spreads out from under the loaded spine'
    assert profiles[0.1][1][under] > 0.1 + 1e-6, 'the dendrite under the spine rises'
    assert abs(n1 - n0) <= 1e-9 * n0, 'molecules are conserved across the meshes'
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for t, (xx, cc) in profiles.items():
        ax.plot(xx * 1e6, cc, label=f't = {t:g} s')
    ax.set_xlabel('position along the dendrite (um)')
    ax.set_ylabel('Ca (uM)')
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_path('15_viz3d_spine_calcium.png'), dpi=80)


if __name__ == '__main__':
    main()
