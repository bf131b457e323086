"""A small hand-built spiny cell for the viz3d tests: a soma (10 um), three
dendrite compartments 10 um long, 2 um wide along x, and two spines (neck
1 um x 0.2 um, head 0.5 um x 0.5 um along y) on dend1 and dend2; optional
NeuroMesh/SpineMesh/PsdMesh with a pool 'Ca' on each."""

import numpy as np

import moosepy as moose

NDEND = 3
DL = 5e-6        # NeuroMesh diffLength [m]


def compt(path, parent, length, dia, x0, y0=0.0, along='x'):
    c = moose.Compartment(path)
    c.length, c.diameter = length, dia
    if along == 'x':
        c.x0, c.x, c.y0, c.y = x0, x0 + length, y0, y0
    else:
        c.x0, c.x, c.y0, c.y = x0, x0, y0, y0 + length
    area = np.pi * dia * length
    c.Rm, c.Cm, c.Ra = 1.0 / area, 0.01 * area, 4 * length / (np.pi * dia * dia)
    c.Em = c.initVm = -0.065
    if parent is not None:
        moose.connect(parent, 'axial', c, 'raxial')
    return c


def build(chem=False, spines=True):
    moose.Neutral('/model')
    moose.Neutral('/model/elec')
    soma = compt('/model/elec/soma', None, 10e-6, 10e-6, 0.0)
    prev, x = soma, 10e-6
    dends = []
    for i in range(NDEND):
        prev = compt(f'/model/elec/dend{i}', prev, 10e-6, 2e-6, x)
        dends.append(prev)
        x += 10e-6
    if spines:
        for k, d in enumerate(dends[1:]):
            xs = d.x0 + 5e-6
            neck = compt(f'/model/elec/shaft{k}', d, 1e-6, 0.2e-6, xs, 1e-6, along='y')
            compt(f'/model/elec/head{k}', neck, 0.5e-6, 0.5e-6, xs, 2e-6, along='y')
    if chem:
        moose.Neutral('/model/chem')
        dend = moose.NeuroMesh('/model/chem/dend')
        dend.diffLength = DL
        meshes = [dend]
        if spines:
            spine = moose.SpineMesh('/model/chem/spine')
            psd = moose.PsdMesh('/model/chem/psd')
            dend.separateSpines = True
            moose.connect(dend, 'spineListOut', spine, 'spineList')
            moose.connect(dend, 'psdListOut', psd, 'psdList')
            meshes += [spine, psd]
        dend.subTreePath = '/model/elec/##'
        for m in meshes:
            # one entry per voxel (no Stoich here to spread them, as MOOSE)
            moose.Pool(m.path + '/Ca', len(m.voxelVolume))
    return soma, dends
