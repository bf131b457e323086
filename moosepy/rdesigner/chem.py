"""Chemistry in rdesigner: chemDistrib meshes, their solvers and
junctions, and adaptors between chemistry and electricity.

chemDistrib (MOOSE 5.0 form) ``[chemSrc, elecPath, meshType, geomExpr,
extra...]``: the contents of the chemical compartment *chemSrc* of the
chem prototype move into a new mesh ``<model>/chem/<chemSrc>``:
``dend`` a NeuroMesh (cylinders, voxel length extra[0] [m]) over the
compartments selected by elecPath/geomExpr; ``spine`` / ``psd`` the
SpineMesh / PsdMesh of the named dend mesh; ``presyn_spine`` /
``presyn_dend`` a PresynMesh (bouton radius, its sdev, spacing);
``endo`` / ``endo_axial`` an EndoMesh inside the named surround mesh
(radius ratio).  A spine line without a psd line gets a ``dummyPSD``.

The MOOSE 4.x form ``[chem, elecPath, 'install', geomExpr]`` is translated
first: the prototype's compartments, by decreasing volume, are renamed
``dend``, ``spine``, ``psd`` (``dend``, ``dend_endo``, ``spine``, ... with
addEndoChemCompt) and get a dend line (voxel length diffusionLength), a
spine and psd line when there is a spine compartment, and an endo line
(radius ratio 0.5) per ``<x>_endo``; useGssa then applies to the dend too.

Solvers per mesh: Ksolve (method ode_method) or, with useGssa, Gsolve
(not on dend meshes in the 5.0 form), Dsolve, Stoich; spine and PSD
Dsolves joined to their dendrite by ``buildNeuroMeshJunctions``, endo
meshes to their surround by ``buildMeshJunctions``.
"""

import logging

from ..core.errors import MooseError
from .specs import ChemDistrib, Expr, SpecError

log = logging.getLogger('moosepy.rdesigner')

MESH_ORDER = ['soma', 'dend', 'spine', 'psd', 'psd_dend', 'presyn_dend', 'presyn_spine',
              'endo', 'endo_axial']


def _moose():
    import moosepy
    return moosepy


def _err(i, fld, val, what):
    return SpecError(f'rdesigneur chemDistrib[{i}] {fld} = {val!r}: {what}')


# ------------------------------------------------------------ 4.x 'install'
def translate_legacy(rdes):
    """Rewrite a 4.x ``install`` chemDistrib into 5.0 lines (renaming the
    prototype's compartments); sets ``rdes._legacyChem``."""
    moose = _moose()
    lines = [d for d in rdes.chemDistrib if d.meshType == 'install']
    rdes._legacyChem = bool(lines)
    if not lines:
        return
    if len(rdes.chemDistrib) != 1:
        raise SpecError("rdesigneur chemDistrib: the 4.x 'install' form takes one line and "
                        'cannot be mixed with other lines')
    d = lines[0]
    if rdes.addSomaChemCompt:
        raise SpecError('rdesigneur addSomaChemCompt: a soma chemical compartment is not '
                        'supported (MOOSE 5.0 cannot build one either)')
    compts = sorted(moose.wildcardFind(rdes.chemid.path + '/##[ISA=ChemCompt]'),
                    key=lambda c: -c.volume)
    names = ['dend', 'dend_endo', 'spine', 'spine_endo', 'psd', 'psd_endo'] \
        if rdes.addEndoChemCompt else ['dend', 'spine', 'psd']
    if not compts:
        raise _err(0, 'chem', d.chemSrc, f'the chem prototype {rdes.chemid.path} has no '
                   'chemical compartment')
    if len(compts) > len(names):
        raise _err(0, 'chem', d.chemSrc, f'{len(compts)} chemical compartments; the install '
                   f'form places at most {len(names)} ({", ".join(names)})')
    # rename in two passes so that a name may move from one compartment to another
    for k, c in enumerate(compts):
        c.name = f'__rdes_tmp{k}'
    for c, nm in zip(compts, names):
        c.name = nm
    have = [nm for nm in names[:len(compts)]]
    out = [ChemDistrib('dend', d.elecPath, 'dend', d.geomExpr,
                       voxelLength=rdes.diffusionLength)]
    if 'spine' in have:
        out.append(ChemDistrib('spine', d.elecPath, 'spine', d.geomExpr, parent='dend'))
        if 'psd' not in have:
            sp = moose.element(rdes.chemid.path + '/##/spine') \
                if not moose.exists(rdes.chemid.path + '/spine') else \
                moose.element(rdes.chemid.path + '/spine')
            moose.CubeMesh(sp.parent.path + '/psd')
            have.append('psd')
        out.append(ChemDistrib('psd', d.elecPath, 'psd', d.geomExpr, parent='dend'))
    for nm in have:
        if nm.endswith('_endo'):
            out.append(ChemDistrib(nm, d.elecPath, 'endo', d.geomExpr, surround=nm[:-5],
                                   radiusRatio=0.5))
    rdes.chemDistrib = out


# ------------------------------------------------------------------ meshes
def _compts(rdes):
    moose = _moose()
    return {c.name: c for c in moose.wildcardFind(rdes.chemid.path + '/##[ISA=ChemCompt]')}


def validate(rdes):
    """Check the chemDistrib lines against the chem prototype."""
    moose = _moose()
    if not rdes.chemDistrib:
        return
    if not hasattr(rdes, 'chemid'):
        raise SpecError('rdesigneur chemDistrib: given without a chemProto')
    if any(d.meshType == 'install' for d in rdes.chemDistrib):
        return          # checked by translate_legacy
    have = {c.name for c in moose.wildcardFind(rdes.chemid.path + '/##[ISA=ChemCompt]')}
    dends = {d.chemSrc for d in rdes.chemDistrib if d.meshType == 'dend'}
    for i, d in enumerate(rdes.chemDistrib):
        if d.chemSrc not in have:
            from .specs import suggest
            raise _err(i, 'chemSrc', d.chemSrc, f'no chemical compartment of that name in '
                       f'{rdes.chemid.path}{suggest(d.chemSrc, have)}; have: '
                       f'{", ".join(sorted(have))}')
        if d.meshType in ('soma', 'psd_dend'):
            raise _err(i, 'meshType', d.meshType, 'not supported (MOOSE cannot build it '
                       "either); use 'dend'")
        if d.meshType in ('spine', 'psd') and d.parent not in dends:
            raise _err(i, 'parent dend', d.parent, f'no dend line of that name; dend '
                       f'lines: {", ".join(sorted(dends)) or "none"}')
        if d.meshType.startswith('endo') and d.surround not in {x.chemSrc for x in
                                                               rdes.chemDistrib}:
            raise _err(i, 'surround', d.surround, 'no chemDistrib line of that name')


def _move_compt(src, dest):
    """Move the contents of chemical compartment *src* (not its nested
    compartments or mesh entries) into mesh *dest*; delete *src*."""
    moose = _moose()
    from ..kinetics.mesh import ChemCompt, MeshEntry
    if dest.className == 'PsdMesh' and dest.volume > 0 and src.volume > 0:
        # MOOSE's setVolumeNotRates(src.volume) on the PsdMesh before it is
        # filled: its thickness scales by the cube root of the volume ratio
        dest.thickness = dest.thickness * (src.volume / dest.volume) ** (1.0 / 3.0)
    for kid in list(src._element().children.values()):
        if issubclass(kid.cls, (ChemCompt, MeshEntry)):
            continue
        moose.move(kid.handle(0), dest)
    moose.delete(src)


def _pool_concs(el):
    moose = _moose()
    return {p.path: p.concInit for p in moose.wildcardFind(el.path + '/##[ISA=PoolBase]')}


def build_chem_distrib(rdes):
    moose = _moose()
    translate_legacy(rdes)
    lines = list(rdes.chemDistrib)
    spines = [d for d in lines if d.meshType == 'spine']
    if spines and not any(d.meshType == 'psd' for d in lines):
        s = spines[0]
        comp = _compts(rdes).get(s.chemSrc)
        moose.CubeMesh(comp.parent.path + '/dummyPSD')
        lines.append(ChemDistrib('dummyPSD', s.elecPath, 'psd', s.geomExpr, parent=s.parent))
        rdes.chemDistrib = lines
    lines = sorted(lines, key=lambda d: MESH_ORDER.index(d.meshType))
    rdes._sortedChem = lines
    rdes.chemid.name = 'temp_chem'
    newchem = moose.Neutral(rdes.model.path + '/chem')
    rdes.comptDict = _compts(rdes)
    concs = _pool_concs(rdes.chemid)
    moved = {}
    for d in lines:
        src = rdes.comptDict[d.chemSrc]
        path = f'{newchem.path}/{d.chemSrc}'
        if d.meshType == 'dend':
            mesh = moose.NeuroMesh(path)
            mesh.geometryPolicy = 'cylinder'
            mesh.separateSpines = 0
        elif d.meshType == 'spine':
            dend = rdes.comptDict[d.parent]
            dend.separateSpines = 1
            mesh = moose.SpineMesh(path)
            moose.connect(dend, 'spineListOut', mesh, 'spineList')
        elif d.meshType == 'psd':
            dend = rdes.comptDict[d.parent]
            mesh = moose.PsdMesh(path)
            moose.connect(dend, 'psdListOut', mesh, 'psdList', 'OneToOne')
        elif d.meshType in ('presyn_dend', 'presyn_spine'):
            mesh = moose.PresynMesh(path)
            moved[d.chemSrc] = (src.path, mesh)
            _move_compt(src, mesh)      # first, so that the pools follow the build
            rdes.comptDict[d.chemSrc] = mesh
            sel = rdes.compartmentsFromExpression(d.elecPath, d.geomExpr)
            if not sel:
                raise SpecError(f"rdesigneur chemDistrib: '{d.elecPath}' where "
                                f'{d.geomExpr.text!r} > 0 selects no compartment for the '
                                f"presynaptic mesh '{d.chemSrc}'")
            if d.meshType == 'presyn_dend':
                mesh.buildOnDendrites(sel, d.spacing)
            else:
                mesh.buildOnSpineHeads(sel)
            mesh.setRadiusStats(d.radius, d.radiusSdev)
            continue
        else:
            continue            # endo meshes after the dendrites are built
        moved[d.chemSrc] = (src.path, mesh)
        _move_compt(src, mesh)
        rdes.comptDict[d.chemSrc] = mesh
    for d in lines:
        if d.meshType == 'dend':
            mesh = rdes.comptDict[d.chemSrc]
            mesh.diffLength = d.voxelLength
            sel = rdes.compartmentsFromExpression(d.elecPath, d.geomExpr)
            if not sel:
                raise SpecError(f"rdesigneur chemDistrib: '{d.elecPath}' where "
                                f'{d.geomExpr.text!r} > 0 selects no compartment for the '
                                f"dend mesh '{d.chemSrc}'")
            mesh.subTree = sel
        elif d.meshType.startswith('endo'):
            src = rdes.comptDict[d.chemSrc]
            mesh = moose.EndoMesh(f'{newchem.path}/{d.chemSrc}')
            # the pools first, so that they take a voxel each when the mesh
            # takes its surround's voxels
            moved[d.chemSrc] = (src.path, mesh)
            _move_compt(src, mesh)
            rdes.comptDict[d.chemSrc] = mesh
            mesh.surround = rdes.comptDict[d.surround]
            mesh.isMembraneBound = True
            mesh.rScale = d.radiusRatio
            if d.meshType == 'endo_axial':
                mesh.doAxialDiffusion = 1
                mesh.rPower = 0.5
                mesh.aPower = 0.5
                mesh.aScale = d.radiusRatio ** 2
    # concentrations are kept through the move (MOOSE's setVolumeNotRates)
    from ..core.shell import wildcard_elements
    for old, (srcpath, mesh) in moved.items():
        # (per pool, not per voxel: the prototype's paths are of entry 0)
        for el in wildcard_elements(mesh.path + '/##[ISA=PoolBase]'):
            p = el.handle(0)
            rel = p.path[len(mesh.path):]
            c = concs.get(srcpath + rel)
            if c is not None:
                p.vec.concInit = c
    moose.delete(rdes.chemid)
    rdes.chemid = newchem


def configure_solvers(rdes):
    moose = _moose()
    from .. import fixXreacs
    fixXreacs.fixXreacs(rdes.chemid.path)
    lines = rdes._sortedChem
    spine_j, psd_j, endo_j = [], [], []
    for d in lines:
        mesh = rdes.comptDict[d.chemSrc]
        gssa = rdes.useGssa and (d.meshType != 'dend' or rdes._legacyChem)
        if gssa:
            ks = moose.Gsolve(mesh.path + '/ksolve')
        else:
            ks = moose.Ksolve(mesh.path + '/ksolve')
            ks.method = rdes.ode_method
        ds = moose.Dsolve(mesh.path + '/dsolve')
        st = moose.Stoich(mesh.path + '/stoich')
        st.compartment = mesh
        st.ksolve = ks
        st.dsolve = ds
        # MOOSE 5.0.0's rdesigneur means to add this pool to a PSD without
        # pools, but its test ('##[ISA=PoolBase     ]', spaces inside the
        # brackets) never matches, so every PSD mesh gets one
        if d.meshType == 'psd' and not moose.exists(mesh.path + '/dummy'):
            moose.Pool(mesh.path + '/dummy')
        st.reacSystemPath = mesh.path + '/##'
        if d.meshType == 'spine':
            spine_j.append((d, ds))
        elif d.meshType == 'psd':
            psd_j.append((d, ds))
        elif d.meshType.startswith('endo'):
            endo_j.append((d, ds))
    for (sd, sds), (pd, pds) in zip(spine_j, psd_j):
        if sd.parent == pd.parent:
            dend = rdes.comptDict[sd.parent]
            moose.element(dend.path + '/dsolve').buildNeuroMeshJunctions(sds, pds)
            # so that resizing a Spine resizes its head and PSD voxels (MOOSE)
            if rdes.elecid.className == 'Neuron' and rdes.elecid.numSpines:
                rdes.elecid.setSpineAndPsdMesh(rdes.comptDict[sd.chemSrc],
                                               rdes.comptDict[pd.chemSrc])
                rdes.elecid.setSpineAndPsdDsolve(sds, pds)
    for d, ds in endo_j:
        sur = rdes.comptDict[d.surround]
        ds.buildMeshJunctions(moose.element(sur.path + '/dsolve'))


# ----------------------------------------------------------------- adaptors
def _mesh_of(rdes, name):
    pos = name.find('/')
    if pos > 0:
        head = name[:pos]
        if head in ('psd', 'spine', 'dend') or head in rdes.comptDict:
            return head, name[pos + 1:]
    return '', ''


def build_adaptors(rdes):
    for i, a in enumerate(rdes.adaptorList):
        mesh, name = _mesh_of(rdes, a.source)
        if mesh == '':
            mesh, name = _mesh_of(rdes, a.dest)
            if mesh == '':
                raise SpecError(f'rdesigneur adaptorList[{i}]: neither source {a.source!r} nor '
                                f"dest {a.dest!r} names a chemical mesh ('<mesh>/<pool>'); "
                                f'meshes: {", ".join(sorted(rdes.comptDict)) or "none"}')
            _adaptor(rdes, i, mesh, a.source, a.sourceField, name, a.destField, True,
                     a.offset, a.scale)
        else:
            _adaptor(rdes, i, mesh, a.dest, a.destField, name, a.sourceField, False,
                     a.offset, a.scale)


def _adaptor(rdes, i, meshName, elecRel, elecField, chemRel, chemField, elec2chem,
             offset, scale):
    moose = _moose()
    base = rdes.modelPath + '/chem/'
    if moose.exists(base + meshName):
        mesh = moose.element(base + meshName)
    elif moose.exists(base + 'kinetics/' + meshName):
        mesh = moose.element(base + 'kinetics/' + meshName)
    else:
        raise SpecError(f"rdesigneur adaptorList[{i}]: no chemical mesh '{meshName}' under "
                        f'{base}')
    comps = list(mesh.elecComptList)
    if elecRel == 'spine':
        # the Spine entry of each head (MOOSE: Neuron.spineFromCompartment)
        if rdes.elecid.className != 'Neuron' or not rdes.elecid.numSpines:
            raise SpecError(f"rdesigneur adaptorList[{i}]: the 'spine' geometry needs spines "
                            f'on the cell (spineDistrib); {rdes.elecid.path} has none')
        comps = [rdes.elecid.spineFromCompartment[c] for c in comps]
    if not comps:
        raise SpecError(f'rdesigneur adaptorList[{i}]: the mesh {mesh.path} has no '
                        'electrical compartments')
    starts, ends = list(mesh.startVoxelInCompt), list(mesh.endVoxelInCompt)
    chemPath = mesh.path + '/' + chemRel
    if not moose.exists(chemPath):
        raise SpecError(f"rdesigneur adaptorList[{i}]: no chemical object '{chemRel}' in "
                        f'{mesh.path}')
    chem = moose.element(chemPath)
    adname = '/adapt'
    for k in range(1, len(elecRel)):
        if elecRel[-k] == '/':
            adname += elecRel[1 - k]
            break
    if moose.exists(chem.path + adname):
        ad = moose.element(chem.path + adname)
    else:
        ad = moose.Adaptor(chem.path + adname, len(comps))
    av = moose.vec(ad)
    cv = moose.vec(chemPath)
    cap = elecField[0].upper() + elecField[1:]
    ccap = chemField[0].upper() + chemField[1:]
    made = 0
    for c, s, e, a in zip(comps, starts, ends, av):
        a.inputOffset = 0.0
        a.outputOffset = offset
        a.scale = scale
        if elecRel == 'spine':
            if c.path == '/':
                continue
            el = c
        else:
            ep = c.path + '/' + elecRel
            if not moose.exists(ep):
                continue
            el = moose.element(ep)
        made += 1
        if elec2chem:
            moose.connect(a, 'requestOut', el, 'get' + cap)
            for j in range(int(s), int(e)):
                moose.connect(a, 'output', cv[j], 'set' + ccap)
        else:
            for j in range(int(s), int(e)):
                moose.connect(a, 'requestOut', cv[j], 'get' + ccap)
            moose.connect(a, 'output', el, 'activation' if cap == 'Activation' else
                          'set' + cap)
    if not made:
        log.warning("rdesigneur adaptorList[%d]: no '%s' under any of the %d compartments of "
                    '%s; no adaptor connected', i, elecRel, len(comps), mesh.path)


__all__ = ['build_chem_distrib', 'configure_solvers', 'build_adaptors', 'translate_legacy',
           'validate', 'MooseError', 'Expr']
