"""rdesigneur's moogList entries mapped onto viz3d views: paths relative to
/model/elec, chemical fields on /model/chem/<mesh>/<pool> voxels of the
selected compartments, ymin/ymax in MOOSE's display units (equal: automatic),
show, diaScale, geometry expressions through a selector; displayMoogli's
run returns with the frames drawn."""

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import FieldError, PathError

sys.path.insert(0, str(Path(__file__).parent))
import _vizcell as cell  # noqa: E402

pytestmark = pytest.mark.vtk
pytest.importorskip('vtkmodules.vtkRenderingCore')

from moosepy import viz3d  # noqa: E402


def test_moog_entries_to_views():
    cell.build(chem=True)
    for c in moose.wildcardFind('/model/elec/#[ISA=CompartmentBase]'):
        c.Vm = -0.05
    views = viz3d.moogli_views([
        ['#', '1', '.', 'Vm', 'Membrane potential', -70, 40],
        ['dend#', '1', 'dend/Ca', 'conc', 'Dend Ca', 0, 0, True, 2.0],
        {'elecpath': 'head#', 'relpath': 'spine/Ca', 'field': 'n', 'title': 'spine Ca'},
        ['#', '1', '.', 'Vm', 'hidden', 0, 0, False],
    ])
    assert len(views) == 3
    vm, dca, sca = views
    assert len(vm.seg) == 1 + cell.NDEND + 4
    assert (vm.vmin, vm.vmax, vm.unit) == (-70.0, 40.0, 'mV')
    assert np.allclose(vm.read(), -50.0)                 # MOOSE's display unit: mV
    # dendrite voxels on dend0..2 only (not the soma's): 10 um / 5 um each
    assert len(dca.seg) == cell.NDEND * 2
    assert dca.vmin is None and dca.vmax is None and dca.unit == 'uM'
    nm = moose.element('/model/chem/dend')
    full = viz3d.View(mesh=nm, pool='Ca', field='conc', diaScale=2.0)
    keep = [i for i, c in enumerate(nm.elecComptMap) if 'dend' in c.name]
    assert np.allclose(dca.seg.radius, full.seg.radius[keep])
    assert len(sca.seg) == 2 and sca.unit == '#'


def test_moog_rmoog_object_and_selector():
    cell.build()
    rm = SimpleNamespace(elecpath='#', geom_expr='x > 26e-6', relpath='.', field='Vm',
                         title='far', ymin=0, ymax=0, show=True, diaScale=1.0)

    def select(comps, expr):
        assert expr == 'x > 26e-6'
        return [c for c in comps if c.x > 26e-6]
    (v,) = viz3d.moogli_views([rm], select=select)
    assert sorted(p.rsplit('/', 1)[-1].split('[')[0] for p in v.seg.labels) == \
        ['dend1', 'dend2', 'head1', 'shaft1']


def test_moog_bad_entries():
    cell.build()
    with pytest.raises(FieldError, match="'Vmm'.*valid: Vm"):
        viz3d.moogli_views([['#', '1', '.', 'Vmm']])
    with pytest.raises(FieldError, match='selector'):
        viz3d.moogli_views([['#', 'x > 1', '.', 'Vm']])
    with pytest.raises(PathError, match='matches no compartment'):
        viz3d.moogli_views([['nothing#', '1', '.', 'Vm']])
    with pytest.raises(PathError, match="'Ca_conc'"):
        viz3d.moogli_views([['#', '1', 'Ca_conc', 'Ca']])
    with pytest.raises(FieldError, match='at most 9'):
        viz3d.moogli_views([['#'] * 10])


def test_moogli_display_runs_and_returns(tmp_path):
    soma, dends = cell.build()
    soma.inject = 2e-10
    hs = moose.HSolve('/model/elec/hsolve')
    hs.dt, hs.target = 50e-6, soma.path
    for t in range(10):
        moose.setClock(t, 50e-6)
    w = viz3d.moogli_display([['#', '1', '.', 'Vm', 'Vm', -70, 0], ['soma', '1', '.', 'Im']],
                             moogliDt=1e-3, runtime=0.003, mergeDisplays=False,
                             frames=str(tmp_path), size=(200, 150), offscreen=True)
    assert w.nframes == 4 and len(list(tmp_path.glob('*.png'))) == 4
    assert w.views[0].values.max() > -64.0              # the run happened, mV
    assert w.views[1].unit == 'nA'
