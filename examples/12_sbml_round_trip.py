"""Write a model to SBML and read it back.

The bundled MAPK-feedback model (models/mapk_feedback.py: MMenz, Enz with
its complex, Reacs, and a Function that sets a rate constant) is written
with ``moose.writeSBML``, read back with ``moose.readSBML`` into ``/back``
(as MOOSE objects, run by a Ksolve), and both run for 300 s.  The SBML copy reproduces the original to about
1e-11 relative (both integrated with LSODA at tight tolerances).
"""

import importlib.util
import os
import tempfile

import numpy as np

import moosepy as moose
from _common import plt, out_path

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    'mapk', os.path.join(HERE, '..', 'models', 'mapk_feedback.py'))
mapk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mapk)

tables = mapk.build(moose, '/model')
ks = moose.element('/model/kinetics/ksolve')
ks.epsRel, ks.epsAbs = 1e-12, 1e-12

xml = os.path.join(tempfile.mkdtemp(), 'mapk_feedback.xml')
moose.writeSBML('/model', xml)
moose.readSBML(xml, '/back')        # MOOSE objects again: Pools, Reacs, MMenz, Functions
for solver in moose.wildcardFind('/back/##[ISA=Ksolve]'):
    solver.epsRel, solver.epsAbs = 1e-12, 1e-12
back = {}
for name in tables:
    t = moose.Table2(f'/back/plot_{name}')
    moose.connect(t, 'requestOut', moose.element(f'/back/kinetics/{name}'), 'getConc')
    back[name] = t

moose.reinit()
moose.start(300.0)

fig, ax = plt.subplots(figsize=(7, 4))
t = np.arange(len(tables['K2p'].vector)) * tables['K2p'].dt
for name, tab in tables.items():
    a, b = tab.vector, back[name].vector
    err = np.max(np.abs(a - b)) / np.max(np.abs(a))
    print(f'{name:4s} end {a[-1]:.6g} mM (MOOSE API) {b[-1]:.6g} mM (SBML copy), '
          f'max relative difference {err:.1e}')
    assert err < 1e-8
    ax.plot(t, a, label=f'{name}')
    ax.plot(t, b, 'k:', lw=1)
ax.set_xlabel('time (s)')
ax.set_ylabel('concentration (mM)')
ax.set_title('MOOSE-API model (lines) and its SBML copy (dotted)')
ax.legend()
fig.tight_layout()
fig.savefig(out_path('12_sbml_round_trip.png'), dpi=90)
print('wrote', out_path('12_sbml_round_trip.png'))
