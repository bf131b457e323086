"""Stimuli, plots, output files and the matplotlib display of rdesigner.

Stimuli: one ``Function`` ``<model>/stims/stim<k>`` per stimList entry
(its expression of t, evaluated at reinit too) drives every target:
``inject`` etc. through ``set<Field>``, ``vclamp`` through a VClamp
``vclamp`` built in each compartment (gain Cm·1e4), ``randsyn`` /
``periodicsyn`` through a RandSpike ``synInput_rs`` under
``<relpath>/sh/synapse[0]`` (whose weight is the entry's geom_expr).

Plots: one Table (tick 8) or Table2 (tick 18, for n, conc, volume, Gbar)
vector ``<model>/graphs/plot<k>`` per plotList entry with objects, one
entry per object; tables hold raw SI values (mM for concentrations); the
display scale applies only when drawing.
"""

import logging
import os

import numpy as np

from ..core.errors import MooseError
from .specs import PLOT_FIELDS, SpecError

log = logging.getLogger('moosepy.rdesigner')

STIM_DESTS = {'inject': ('CompartmentBase', 'setInject'), 'Ca': ('CaConcBase', 'setCa'),
              'n': ('PoolBase', 'setN'), 'conc': ('PoolBase', 'setConc'),
              'nInit': ('PoolBase', 'setNInit'), 'concInit': ('PoolBase', 'setConcInit'),
              'increment': ('PoolBase', 'increment')}
_OBJ_CLASSES = ('CaConcBase', 'ChanBase', 'NMDAChan', 'VClamp')
_CHEM = ('n', 'conc', 'nInit', 'concInit', 'volume', 'increment')


def _moose():
    import moosepy
    return moosepy


def _isa(obj, cname):
    from ..core.fields import registry
    cls = registry.get(cname)
    return cls is not None and issubclass(obj._element().cls, cls)


def targets(rdes, spec, lst, idx, field, cname):
    """Objects a plot or stimulus *spec* refers to (compartments, objects
    under them, or chemical voxels), in MOOSE's order."""
    moose = _moose()
    comps = rdes.compartmentsFromExpression(spec.elecpath, spec.geom)
    if field in _CHEM:
        return _chem_targets(rdes, spec, comps, lst, idx)
    if cname in _OBJ_CLASSES:
        out = []
        for c in comps:
            p = f'{c.path}/{spec.relpath}'
            if moose.exists(p):
                o = moose.element(p)
                if _isa(o, cname):
                    out.append(o)
        if comps and not out:
            log.warning("rdesigneur %s[%d]: no %s '%s' under the %d selected compartments of "
                        "'%s'; nothing made", lst, idx, cname, spec.relpath, len(comps),
                        spec.elecpath)
        return out
    return comps


def _chem_targets(rdes, spec, comps, lst, idx):
    moose = _moose()
    path = spec.relpath
    mesh_name = path.split('/')[0] if '/' in path else 'dend'
    if '/' not in path:
        path = 'dend/' + path
    mesh = rdes.comptDict.get(mesh_name)
    if mesh is None:
        for m in moose.wildcardFind(rdes.modelPath + '/chem/##[ISA=ChemCompt]'):
            if m.name == mesh_name:
                mesh = m
                break
    if mesh is None:
        raise SpecError(f"rdesigneur {lst}[{idx}] relpath = {spec.relpath!r}: no chemical "
                        f"compartment named '{mesh_name}'; have: "
                        f"{', '.join(sorted(rdes.comptDict)) or 'none'}")
    full = f'{rdes.modelPath}/chem/{path}'
    if not moose.exists(full):
        raise SpecError(f"rdesigneur {lst}[{idx}] relpath = {spec.relpath!r}: no object "
                        f"{full}")
    want = {(c.name, c.index if hasattr(c, 'index') else 0) for c in comps}
    em = sorted((e[0].name, 0) if isinstance(e, (list, tuple)) else (e.name, 0)
                for e in mesh.elecComptMap)
    voxels = [i for i, k in enumerate(em) if k in want]
    allobj = moose.vec(full)
    return [allobj[j] for j in voxels if j < len(allobj)]


def build_stims(rdes):
    moose = _moose()
    stims = moose.Neutral(rdes.modelPath + '/stims')
    k = 0
    for i, s in enumerate(rdes.stimList):
        if s.field == 'vclamp':
            comps = rdes.compartmentsFromExpression(s.elecpath, s.geom)
            objs = []
            from .prototypes import make_vclamp
            for c in comps:
                vc = make_vclamp(name='vclamp', parent=c.path)
                vc.gain = c.Cm * 1e4
                moose.connect(c, 'VmOut', vc, 'sensedIn')
                moose.connect(vc, 'currentOut', c, 'injectMsg')
                objs.append(vc)
            dest = 'commandIn'
        elif s.field in ('randsyn', 'periodicsyn'):
            comps = rdes.compartmentsFromExpression(s.elecpath, s.geom)
            from .prototypes import make_synInput
            objs = []
            for c in comps:
                sp = f'{c.path}/{s.relpath}/sh/synapse[0]'
                if not moose.exists(sp):
                    continue
                rs = make_synInput(name='synInput', parent=sp)
                rs.doPeriodic = s.field == 'periodicsyn'
                moose.element(sp).weight = s.weight
                moose.connect(rs, 'spikeOut', moose.element(sp), 'addSpike')
                objs.append(rs)
            if comps and not objs:
                raise SpecError(f"rdesigneur stimList[{i}] relpath = {s.relpath!r}: no "
                                f"synapse '{s.relpath}/sh/synapse[0]' under the selected "
                                f"compartments of '{s.elecpath}'")
            dest = 'setRate'
        else:
            cname, dest = STIM_DESTS[s.field]
            objs = targets(rdes, s, 'stimList', i, s.field, cname)
        if not objs:
            raise SpecError(f"rdesigneur stimList[{i}]: '{s.elecpath}' where {s.geom_expr!r} "
                            f"> 0 selects nothing to stimulate")
        f = moose.Function(f'{stims.path}/stim{k}')
        k += 1
        f.expr = s.expr
        f.doEvalAtReinit = 1
        for o in objs:
            moose.connect(f, 'valueOut', o, dest)
        if dest == 'increment':
            moose.move(f, objs[-1])


def build_plots(rdes):
    moose = _moose()
    graphs = moose.Neutral(rdes.modelPath + '/graphs')
    k = 0
    for i, p in enumerate(rdes.plotList):
        cname, scale, units = PLOT_FIELDS[p.field]
        objs = targets(rdes, p, 'plotList', i, p.field, cname)
        if not objs:
            continue
        name = f'{graphs.path}/plot{k}'
        if p.mode == 'wave':
            rdes.wavePlotNames.append([name, p.title, k, scale, units, p])
        else:
            rdes.plotNames.append([name, p.title, k, scale, units, p.field, p.ymin, p.ymax])
        if p.saveFile:
            rdes.saveNames.append([name, len(rdes.saveNames), scale, units, p])
        k += 1
        if p.field in ('n', 'conc', 'volume', 'Gbar'):
            tabs = moose.Table2(name, len(objs))
        else:
            tabs = moose.Table(name, len(objs))
        vt = moose.vec(tabs)
        if p.field == 'spikeTime':
            for t in vt:
                t.threshold = -0.02
                t.useSpikeMode = True
        getter = 'get' + ('Vm' if p.field == 'spikeTime' else p.field[0].upper() + p.field[1:])
        from ..core.msg import connect_ends
        el = vt._element()
        connect_ends([(el, q, o._element(), o._idx) for q, o in enumerate(objs)], 'requestOut',
                     getter)


def build_file_output(rdes):
    moose = _moose()
    moose.Neutral(rdes.modelPath + '/file')
    rdes._files = []
    rdes.nsdfPathList = []
    blocks = {}
    for i, f in enumerate(rdes.outputFileList):
        if f.ftype not in ('h5', 'nsdf'):
            continue
        # one NSDFWriter2 per file, sources as 'path.field' blocks (MOOSE's layout)
        oname = os.path.basename(str(f.fname)).split('.')[0]
        wpath = f'{rdes.modelPath}/file/{oname}'
        if f.field in ('n', 'conc'):
            base = f'{rdes.modelPath}/chem/{f.path}'
            src = base + ('.' if f.path[-1] in ']#' else '[].') + f.field
        else:
            head, _, rel = f.path.partition('/')
            if head.endswith('#'):
                head += '[ISA=CompartmentBase]'
            src = f'{rdes.modelPath}/elec/{head}' + (f'/{rel}' if rel else '') + '.' + f.field
        if wpath not in blocks:
            blocks[wpath] = []
            rdes.nsdfPathList.append(wpath)
            w = moose.NSDFWriter2(wpath)
            w.modelRoot = ''
            w.filename = str(f.fname)
            w.mode = 2
            w.flushLimit = int(f.flushSteps)
            w.tick = 20 + len(blocks)
            moose.setClock(w.tick, float(f.dt))
            w.modelFileNames = ','.join([os.path.basename(str(x)) for x in
                                         rdes.modelFileNameList])
        blocks[wpath].append(src)
    for wpath, b in blocks.items():
        moose.element(wpath).blocks = b
    for i, f in enumerate(rdes.outputFileList):
        if f.ftype in ('h5', 'nsdf'):
            continue
        # path: 'compartments' or 'compartments/relpath' (elec) or a chem
        # 'mesh/pool' for n and conc
        spec = type('S', (), {})()
        if f.field in ('n', 'conc'):
            spec.elecpath, spec.relpath = '#', f.path
        else:
            head, _, rel = f.path.partition('/')
            spec.elecpath, spec.relpath = head, rel or '.'
        spec.geom = '1'
        cname = PLOT_FIELDS.get(f.field, ('CompartmentBase',))[0]
        objs = targets(rdes, spec, 'outputFileList', i, f.field, cname)
        if not objs:
            raise SpecError(f'rdesigneur outputFileList[{i}] path = {f.path!r}: selects '
                            f'nothing with a field {f.field!r}')
        base = os.path.basename(str(f.fname)).rsplit('.', 1)[0]
        cls = moose.Table2 if f.field in ('n', 'conc', 'volume', 'Gbar') else moose.Table
        tabs = cls(f'{rdes.modelPath}/file/{base}_{i}', len(objs))
        tick = 21 + i
        tabs.tick = tick
        moose.setClock(tick, float(f.dt))
        getter = 'get' + f.field[0].upper() + f.field[1:]
        vt = moose.vec(tabs)
        from ..core.msg import connect_ends
        el = vt._element()
        connect_ends([(el, q, o._element(), o._idx) for q, o in enumerate(objs)], 'requestOut',
                     getter)
        rdes._files.append((f, objs, tabs.path))


def collect(rdes):
    """The plotted data: list of dicts with path, title, field, unit, t,
    data (raw units)."""
    moose = _moose()
    out = []
    for name, title, k, scale, units, *rest in rdes.plotNames + rdes.wavePlotNames:
        vt = moose.vec(name)
        data = np.array([t.vector for t in vt])
        dt = vt[0].dt if len(vt) else 0.0
        fld = rest[0] if isinstance(rest[0], str) else rest[0].field
        out.append({'path': name, 'title': title, 'field': fld,
                    'unit': _SI_UNITS.get(fld, ''),
                    't': np.arange(data.shape[1] if data.ndim == 2 else 0) * dt, 'data': data})
    return out


_SI_UNITS = {'Vm': 'V', 'spikeTime': 's', 'Im': 'A', 'Cm': 'F', 'Rm': 'ohm', 'Ra': 'ohm',
             'inject': 'A', 'Gbar': 'S', 'modulation': '', 'Gk': 'S', 'Ik': 'A', 'ICa': 'A',
             'Ca': 'mM', 'n': '#', 'conc': 'mM', 'nInit': '#', 'concInit': 'mM',
             'volume': 'm^3', 'current': 'A'}


def save_plots(rdes):
    """Write the plots that have a saveFile (.csv: time and one column per
    object; .xml: MOOSE's TimeSeriesPlot layout) and the csv/txt output
    files (time and one column per object; a header line with the paths,
    the spec, seed and moosepy version).  Every file written here starts
    with that record: a ``# {json}`` line in csv/txt, a ``provenance``
    element (JSON text) in xml."""
    moose = _moose()
    rdes._finishedSaving = True
    import json
    spec = rdes.to_document()
    for wpath in getattr(rdes, 'nsdfPathList', []):
        if moose.exists(wpath):
            moose.element(wpath).close()
    for f, objs, tabpath in getattr(rdes, '_files', []):
        vt = moose.vec(tabpath)
        n = min(len(t.vector) for t in vt)
        cols = np.column_stack([np.arange(n) * vt[0].dt] + [t.vector[:n] for t in vt])
        start, stop = float(f.start), float(f.stop)
        keep = (cols[:, 0] >= start) & ((cols[:, 0] <= stop) if stop >= 0 else True)
        meta = json.dumps({'field': f.field, 'moosepy_version': moose.__version__,
                           'randseed': getattr(rdes, 'randseed', None), 'spec': spec},
                          default=str)
        header = f'# {meta}\n' + ','.join(['time'] + [o.path for o in objs])
        np.savetxt(str(f.fname), cols[keep], delimiter=',' if f.ftype == 'csv' else ' ',
                   header=header, comments='')
    for name, idx, scale, units, p in rdes.saveNames:
        vt = moose.vec(name)
        n = len(vt[0].vector)
        t = np.arange(n) * vt[0].dt
        base = p.saveFile[:-4] + str(idx)
        meta = {'field': p.field, 'title': p.title, 'moosepy_version': moose.__version__,
                'randseed': getattr(rdes, 'randseed', None), 'spec': spec}
        if p.saveFile.endswith('.csv'):
            cols = np.column_stack([t] + [v.vector for v in vt])
            header = (f'# {json.dumps(meta, default=str)}\n' +
                      ','.join(['time'] + [v.path for v in vt]))
            np.savetxt(base + '.csv', cols, delimiter=',', header=header, comments='')
        else:
            import xml.etree.ElementTree as ET
            root = ET.Element('TimeSeriesPlot')
            prm = ET.SubElement(root, 'parameters')
            if rdes.params is None:
                prm.text = 'None'
            else:
                for key, val in dict(rdes.params).items():
                    ET.SubElement(prm, str(key)).text = str(val)
            ts = ET.SubElement(root, 'timeSeries', title=str(p.title), field=p.field,
                               scale=str(scale), units=units, dt=str(vt[0].dt))
            for v in vt:
                d = ET.SubElement(ts, 'data', path=v.path)
                d.text = ''.join(f'{round(float(y), int(p.saveResolution))} ' for y in v.vector)
            ET.SubElement(root, 'provenance').text = json.dumps(meta, default=str)
            ET.ElementTree(root).write(base + '.xml')


def display(rdes, startIndex=0, block=True, save=None):
    import matplotlib
    import matplotlib.pyplot as plt
    moose = _moose()
    save_plots(rdes)
    figs = []
    for name, title, k, scale, units, field, ymin, ymax in rdes.plotNames:
        fig = plt.figure(k + startIndex)
        figs.append(fig)
        plt.title(title)
        plt.xlabel('Time (s)')
        plt.ylabel(units)
        vt = moose.vec(name)
        if field == 'spikeTime':
            tmax = moose.element('/clock').currentTime
            for j, t in enumerate(vt):
                v = np.asarray(t.vector)
                plt.plot(v * scale, [j] * len(v), linestyle='None', marker='.', markersize=10)
                plt.xlim(0, tmax)
        else:
            t = np.arange(0, len(vt[0].vector)) * vt[0].dt
            for tab in vt:
                plt.plot(t, np.asarray(tab.vector) * scale)
            if ymin != ymax:
                plt.ylim(ymin, ymax)
    for name, title, k, scale, units, p in rdes.wavePlotNames:
        vt = moose.vec(name)
        if len(vt) < 2:
            log.warning('rdesigneur: wave plot %r has only %d points; drawn as a time plot',
                        title, len(vt))
        fig = plt.figure(k + startIndex)
        figs.append(fig)
        data = np.array([tab.vector for tab in vt]) * scale
        nfr = max(1, int(rdes.numWaveFrames))
        step = max(1, data.shape[1] // nfr) if data.size else 1
        plt.title(title)
        plt.xlabel('position (voxels)')
        plt.ylabel(units)
        for f in range(0, data.shape[1], step):
            plt.plot(np.arange(data.shape[0]), data[:, f], alpha=0.3)
    if save:
        os.makedirs(save, exist_ok=True)
        for f in figs:
            f.savefig(os.path.join(save, f'plot{f.number}.png'))
    interactive = matplotlib.get_backend().lower() not in ('agg', 'pdf', 'ps', 'svg', 'cairo',
                                                           'template', 'pgf')
    if interactive and os.environ.get('DISPLAY', '') != '':
        plt.show(block=block)
    return figs
