"""19 - Spine calcium drives CaMKII-like chemistry, which feeds back on the
synapse: a multiscale model in one rdesigner call.

Cell: a 10 um soma and a 40 um dendrite (4 compartments) with spines every
10 um (rdesigner's built-in excitatory spine: shaft, head, glutamate and
NMDA receptors, a Ca_conc pool fed by the NMDA calcium current).
Chemistry (built by a Python function, in moosepy's own objects): in each
spine head, CaMKII + Ca <-> CaMKII_act (Kf 1e3 /mM/s, Kb 1 /s: Kd 1 uM)
with 1 uM CaMKII in all, starting at its equilibrium with the basal 80 nM
Ca (7.4 % active); Ca also in the dendrite.  Adaptors: the electrical Ca_conc of each
head sets the spine's chemical Ca (elec -> chem); the active CaMKII of each
spine scales its glutamate receptor (chem -> elec: modulation = 1 + 5e3 x
[CaMKII_act] in mM).  Input: 50 Hz periodic synaptic input to the first
spine for 0.2 s.

Physics stated and checked: only the stimulated spine's calcium rises
(its chemical Ca exceeds 3x the basal 80 nM; the others stay within 10 %
of basal); its active CaMKII rises to more than 5x its resting level
while the other spines' stays within 5 % of rest, and it falls again after
the input stops (unbinding, 1 /s); its receptor's modulation follows
(1 + 5e3 [act]), the other receptors' stay at their resting 1.37.
Run it with ``python 19_rdes_spine_camkii.py``; it writes
``19_rdes_spine_camkii.png``.
"""

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose
import moosepy.rdesigner as rd


CA0, TOTAL, KD = 0.08e-3, 1e-3, 1e-3          # mM
ACT0 = TOTAL * CA0 / (CA0 + KD)                # resting active CaMKII [mM]


def make_chem(name):
    """/library/<name> with DEND and SPINE compartments (volumes are set by
    the meshes rdesigner makes; concentrations in mM)."""
    model = moose.Neutral('/library/' + name)
    dend = moose.CubeMesh(model.path + '/DEND')
    spine = moose.CubeMesh(model.path + '/SPINE')
    cad = moose.Pool(dend.path + '/Ca')
    cad.concInit = 0.08e-3
    cad.diffConst = 20e-12
    ca = moose.Pool(spine.path + '/Ca')
    ca.concInit = 0.08e-3
    kii = moose.Pool(spine.path + '/CaMKII')
    kii.concInit = 1e-3 - ACT0
    act = moose.Pool(spine.path + '/CaMKII_act')
    act.concInit = ACT0
    r = moose.Reac(spine.path + '/bind')
    moose.connect(r, 'sub', kii, 'reac')
    moose.connect(r, 'sub', ca, 'reac')
    moose.connect(r, 'prd', act, 'reac')
    r.Kf = 1e3       # 1/(mM s)
    r.Kb = 1.0       # 1/s


rdes = rd.rdesigneur(
    verbose=False, chemDt=0.005, chemPlotDt=0.005, diffDt=0.005,
    cellProto=[['ballAndStick', 'cell', 10e-6, 10e-6, 2e-6, 40e-6, 4]],
    spineProto=[['makeExcSpine()', 'spine']],
    spineDistrib=[['spine', 'dend#', '10e-6', '-1e-6']],
    chemProto=[[make_chem, 'chem']],
    chemDistrib=[['DEND', 'dend#', 'dend', '1', 2e-6], ['SPINE', 'dend#', 'spine', '1', 'DEND']],
    adaptorList=[['Ca_conc', 'Ca', 'SPINE/Ca', 'conc', 0.08e-3, 1.0],
                 ['SPINE/CaMKII_act', 'conc', 'glu', 'modulation', 1.0, 5e3]],
    stimList=[['head0', '1', 'glu', 'periodicsyn', '50 * (t > 0.05 && t < 0.25)'],
              ['head0', '1', 'NMDA', 'periodicsyn', '50 * (t > 0.05 && t < 0.25)']],
    plotList=[['head#', '1', 'SPINE/Ca', 'conc', 'spine Ca'],
              ['head#', '1', 'SPINE/CaMKII_act', 'conc', 'active CaMKII'],
              ['head#', '1', 'glu', 'modulation', 'glu modulation']],
)
rdes.buildModel()
ca, act, mod = rdes.run(0.6)
nsp = ca['data'].shape[0]
tc, tm = ca['t'], mod['t']
print(f'{nsp} spines; peak spine Ca (uM): {np.round(ca["data"].max(axis=1) * 1e3, 3)}')
print(f'peak CaMKII_act (uM): {np.round(act["data"].max(axis=1) * 1e3, 5)}')
print(f'peak glu modulation: {np.round(mod["data"].max(axis=1), 4)}')
stim = 0
others = [k for k in range(nsp) if k != stim]
assert nsp >= 3
assert ca['data'][stim].max() > 3 * 0.08e-3
assert np.all(np.abs(ca['data'][others] - 0.08e-3) < 0.1 * 0.08e-3)
a = act['data']
assert a[stim].max() > 5 * ACT0
assert np.all(np.abs(a[others] - ACT0) < 0.05 * ACT0)
k_end = int(np.argmax(tc > 0.3))
assert a[stim][-1] < a[stim][k_end]               # relaxes after the input
m = mod['data']
assert m[stim].max() > 1.0 + 5e3 * 0.5 * a[stim].max()
# until the adaptor's first step (chemDt, 5 ms) the modulation is what it
# sent at reinit: 1 + 5e3 x 0, since pools taken by a Stoich read 0 until
# the solver's reinit (as in MOOSE)
late = tm > 0.005 + 1e-9
assert np.all(m[others][:, ~late] == 1.0)
assert np.all(np.abs(m[others][:, late] - (1 + 5e3 * ACT0)) < 5e3 * 0.05 * ACT0)

fig, ax = plt.subplots(2, 1, sharex=True)
for k in range(nsp):
    ax[0].plot(tc, a[k] * 1e3, label=f'spine {k}')
    ax[1].plot(tm, m[k])
ax[0].set_ylabel('CaMKII_act (uM)')
ax[1].set_ylabel('glu modulation')
ax[1].set_xlabel('time (s)')
ax[0].legend()
ax[0].set_title('rdesigner: spine Ca -> CaMKII -> synaptic gain')
fig.savefig(out_path('19_rdes_spine_camkii.png'))
