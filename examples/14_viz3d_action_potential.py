"""14 - A movie of an action potential travelling along a branched cell.

A small branched cell (SWC, written below: a 16 um soma, a dendrite that
forks in two, and a second dendrite) gets squid Hodgkin-Huxley Na and K
channels on every compartment (10 um compartments), so that a spike started
by a 0.5 nA current into the soma travels out along every branch.  HSolve
runs the cell; ``moosepy.viz3d`` draws the compartments as tubes of their
true diameters (x4, to see them) coloured by Vm, and records a frame every
0.25 ms of the 12 ms run into ``14_viz3d_action_potential.mp4`` (a GIF when
imageio-ffmpeg is missing), headless.  It also plots Vm at the soma and at
the two tips (``14_viz3d_action_potential.png``).

Expected result: the soma crosses 0 mV at 2.1 ms; the spike reaches both
tips of the forked dendrite later (2.35 ms), above 0 mV; the movie has 49 frames
(one at reinit, one per 0.25 ms).  Without vtk (``pip install moosepy[viz]``)
only the plot is made.
"""

import importlib.util
import os
import tempfile

import numpy as np
from _common import out_path, plt

import moosepy as moose
from moosepy.electrical.morphology import read_swc, segment_table

DT = 25e-6
RUNTIME = 0.012
FRAME_DT = 0.25e-3

CELL = """1 1 0 0 0 8 -1
2 3 10 0 0 1.0 1
3 3 60 0 0 0.8 2
4 3 100 0 0 0.7 3
5 3 140 40 0 0.5 4
6 3 180 80 10 0.5 5
7 3 140 -40 0 0.5 4
8 3 180 -80 -10 0.5 7
9 3 -10 0 0 1.0 1
10 3 -70 10 0 0.7 9
"""


def hh_channels():
    """Squid Na and K (6.3 degC) in /library, rates tabulated [1/s]."""
    moose.Neutral('/library')
    vm = np.linspace(-0.1, 0.05, 3001) * 1e3
    with np.errstate(all='ignore'):
        am = np.where(np.abs(vm + 40) < 1e-6, 1.0, 0.1 * (vm + 40) / (1 - np.exp(-(vm + 40) / 10)))
        an = np.where(np.abs(vm + 55) < 1e-6, 0.1, 0.01 * (vm + 55) / (1 - np.exp(-(vm + 55) / 10)))
    bm, ah = 4 * np.exp(-(vm + 65) / 18), 0.07 * np.exp(-(vm + 65) / 20)
    bh, bn = 1 / (1 + np.exp(-(vm + 35) / 10)), 0.125 * np.exp(-(vm + 65) / 80)
    na = moose.HHChannel('/library/Na')
    na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
    k = moose.HHChannel('/library/K')
    k.Xpower, k.Ek = 4, -0.077
    for path, a, b in (('/library/Na/gateX', am, bm), ('/library/Na/gateY', ah, bh),
                       ('/library/K/gateX', an, bn)):
        g = moose.element(path)
        g.min, g.max = -0.1, 0.05
        g.tableA, g.tableB = a * 1e3, (a + b) * 1e3


def build(swc):
    hh_channels()
    cell = read_swc(swc, '/cell', RM=2.0, RA=1.0, CM=0.01, length=10e-6, Em=-0.065)
    for s in segment_table(cell):
        c = moose.element('/cell/' + s.name)
        gl = 3.0                                  # HH leak [S/m^2]
        c.Rm, c.Em = 1.0 / (gl * s.area), -0.0543
        for name, dens in (('Na', 1200.0), ('K', 360.0)):      # S/m^2
            ch = moose.element(moose.copy('/library/' + name, c, name))
            ch.Gbar = dens * s.area
            moose.connect(ch, 'channel', c, 'channel')
    comps = cell.compartments
    soma = next(c for c in comps if 'soma' in c.name)
    stim = moose.PulseGen('/cell/stim')
    stim.firstDelay, stim.firstWidth, stim.firstLevel, stim.secondDelay = 1e-3, 1e-3, 5e-10, 1e9
    moose.connect(stim, 'output', soma, 'injectMsg')
    # the two tips of the forked dendrite: the furthest compartments with y > 0 and y < 0
    ends = sorted(comps, key=lambda c: -np.hypot(c.x, c.y))
    tips = [next(c for c in ends if c.y > 0), next(c for c in ends if c.y < 0)]
    tabs = []
    for i, c in enumerate([soma] + tips):
        t = moose.Table(f'/cell/vm{i}')
        moose.connect(t, 'requestOut', c, 'getVm')
        tabs.append(t)
    hs = moose.HSolve('/cell/hsolve')
    hs.dt, hs.target = DT, soma.path
    for t in range(10):
        moose.setClock(t, DT)
    return soma, tips, tabs


def first_crossing(v, dt):
    i = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    return float((i[0] + 1) * dt) if len(i) else float('nan')


def main():
    with tempfile.NamedTemporaryFile('w', suffix='.swc', delete=False) as f:
        f.write(CELL)
    soma, tips, tabs = build(f.name)
    os.unlink(f.name)
    have_vtk = importlib.util.find_spec('vtkmodules') is not None
    if have_vtk:
        from moosepy import viz3d
        ffmpeg = importlib.util.find_spec('imageio_ffmpeg') is not None
        movie = out_path('14_viz3d_action_potential' + ('.mp4' if ffmpeg else '.gif'))
        view = viz3d.View('/cell/##[ISA=CompartmentBase]', 'Vm', vmin=-80, vmax=40,
                          diaScale=4.0, title='Vm, squid HH channels everywhere')
        w = viz3d.display([view], runtime=RUNTIME, dt=FRAME_DT, movie=movie, size=(640, 480),
                          elev=-0.5, fps=12)
        w.save_png(out_path('14_viz3d_action_potential_3d.png'))
        print(f'movie: {movie}, {w.nframes} frames')
        assert w.nframes == int(round(RUNTIME / FRAME_DT)) + 1
    else:
        print('vtk is not installed (pip install moosepy[viz]): no 3D movie, only the plot')
        moose.reinit()
        moose.start(RUNTIME)
    v = [np.asarray(t.vector) for t in tabs]
    t = np.arange(len(v[0])) * DT
    ts = [first_crossing(x, DT) for x in v]
    print('first crossing of 0 mV (ms): soma {:.2f}, tips {:.2f} and {:.2f}'.format(
        *[x * 1e3 for x in ts]))
    assert ts[0] < ts[1] and ts[0] < ts[2], 'the spike starts at the soma and travels out'
    assert max(v[1]) > 0 and max(v[2]) > 0, 'it reaches both tips'
    fig, ax = plt.subplots(figsize=(7, 4))
    for x, lab in zip(v, ['soma', f'tip {tips[0].name}', f'tip {tips[1].name}']):
        ax.plot(t * 1e3, x * 1e3, label=lab)
    ax.set_xlabel('time (ms)')
    ax.set_ylabel('Vm (mV)')
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_path('14_viz3d_action_potential.png'), dpi=80)


if __name__ == '__main__':
    main()
