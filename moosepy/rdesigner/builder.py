"""The rdesigneur class: one call that builds a neuron model (cell,
channels, spines, chemistry, adaptors, stimuli, plots) from spec lists.

Life cycle, as MOOSE's rdesigneur: the constructor normalises every spec
list into typed specs (:mod:`.specs`), checks them, and builds the
prototypes into ``/library``; :meth:`rdesigneur.buildModel` checks the
distributions, stimuli and plots against the cell, then copies the cell to
``<modelPath>/elec`` and builds the rest, the solvers and the clocks.  A
bad spec raises :class:`~moosepy.rdesigner.specs.SpecError` (naming the
list, entry, field and value) before anything is built; an error during
the build removes what that call had made.

Differences from MOOSE 5.0.0 (its bugs, fixed): errors raise instead of
printing and quitting, segfaulting or being skipped; numbers are accepted
in place of strings; the short ``ballAndStick``/``branchedCell`` forms use
the defaults; ``rdes.soma`` is the soma of largest diameter;
``modelFileNameList`` is not shared between instances.  Distributed values
no compartment can have raise a SpecError naming the list, entry, field,
expression, compartment and value (issue 15; MOOSE skipped them without a
word): NaN or infinite anywhere, a passive R/C value below 0 (0 keeps the
compartment's own value, MOOSE's meaning), a chanDistrib Gbar, CaBasal or
thick below 0 or a tau <= 0 where the mechanism is installed (the first
expression of an entry stays MOOSE's install test: <= 0 there means "not
here"); so do a diffusionLength <= 0, a temperature that is not finite and
a statusDt < 0.
"""

import functools
import gc
import importlib.util
import logging
import math
import os

import numpy as np

from ..core.errors import MooseError, ModelImportError
from .specs import suggest
from . import prototypes as P
from . import specs as S
from .geometry import CellGeometry, Expr, match_path, select, _is_compartment
from .specs import SpecError

log = logging.getLogger('moosepy.rdesigner')


def _gc_paused(f):
    """Run *f* with Python's cyclic garbage collector paused (restored
    after, as it was): a build makes tens of thousands of objects and no
    garbage cycles, and each collection it set off walked every object
    of the process (numpy, scipy, numba: ~3 ms of h10's 25 ms build)."""
    @functools.wraps(f)
    def run(*args, **kwargs):
        was = gc.isenabled()
        gc.disable()
        try:
            return f(*args, **kwargs)
        finally:
            if was:
                gc.enable()
    return run

#: model paths whose spec document rdesigner stored (read by
#: :func:`moosepy.core.provenance.rdesigner_specs`)
SPEC_MODELS = []

MESH_ORDER = ['soma', 'dend', 'spine', 'psd', 'psd_dend', 'presyn_dend', 'presyn_spine',
              'endo', 'endo_axial']

BuildError = SpecError


def _moose():
    import moosepy
    return moosepy


MOOGLI_MODES = ('movie', 'frames', 'off')


def headless_moogli_output(env=None, argv0=None):
    """Where ``displayMoogli`` puts its 3-D view without a display and
    without a *movie* or *frames* argument: (movie, frames).  The name comes
    from the running script (``sys.argv[0]``; ``rdesigneur`` in an
    interactive session): ``<name>_moogli.mp4`` by default, the folder
    ``<name>_moogli/`` of PNGs when the environment variable
    ``MOOSEPY_MOOGLI`` is ``frames``, neither (the run only) when it is
    ``off``.  Any other value raises MooseError naming the valid ones."""
    import sys
    env = os.environ if env is None else env
    mode = env.get('MOOSEPY_MOOGLI', 'movie').strip().lower() or 'movie'
    if mode not in MOOGLI_MODES:
        raise MooseError(f'MOOSEPY_MOOGLI={env.get("MOOSEPY_MOOGLI")!r}: expected one of '
                         f'{", ".join(MOOGLI_MODES)} (where displayMoogli puts its 3-D view '
                         f'without a display)')
    argv0 = sys.argv[0] if argv0 is None else argv0
    name = os.path.splitext(os.path.basename(argv0 or ''))[0]
    if not name or name.startswith('-') or name in ('ipykernel_launcher', 'python'):
        name = 'rdesigneur'
    if mode == 'movie':
        path = f'{name}_moogli.mp4'
        log.warning('rdesigneur.displayMoogli: no display; writing the 3-D view to %s '
                    '(MOOSEPY_MOOGLI=frames for PNGs, off for none)', path)
        return path, None
    if mode == 'frames':
        path = f'{name}_moogli'
        os.makedirs(path, exist_ok=True)
        log.warning('rdesigneur.displayMoogli: no display; writing the 3-D view\'s frames '
                    'to %s/', path)
        return None, path
    return None, None


def dummyBuildFunction(rdes):
    """The default extraBuildFunction: does nothing."""


class rdesigneur:
    """Build a multiscale neuron model from spec lists (MOOSE's
    rdesigneur; see ../shared/moose-api/RDESIGNEUR.md for every list).

    Time steps [s]: elecDt (ticks 0-7, HSolve), elecPlotDt (tick 8,
    Tables), diffDt (tick 10, Dsolve), chemDt (ticks 11-17), funcDt (tick
    12, stimulus Functions, when electrical), chemPlotDt (tick 18).
    """

    @_gc_paused
    def __init__(self, modelPath='/model', turnOffElec=False, useGssa=False,
                 combineSegments=True, stealCellFromLibrary=False, verbose=True,
                 benchmark=False, addSomaChemCompt=False, addEndoChemCompt=False,
                 diffusionLength=2e-6, meshLambda=-1.0, temperature=32, chemDt=0.1,
                 diffDt=0.01, elecDt=50e-6, chemPlotDt=1.0, elecPlotDt=0.1e-3, funcDt=0.1e-3,
                 statusDt=0.0, numWaveFrames=100, extraBuildFunction=dummyBuildFunction,
                 cellProto=(), spineProto=(), chanProto=(), chemProto=(), passiveDistrib=(),
                 spineDistrib=(), chanDistrib=(), chemDistrib=(), adaptorList=(), stimList=(),
                 plotList=(), moogList=(), outputFileList=(), modelFileNameList=None,
                 ode_method='lsoda', isLegacyMethod=False, params=None, randseed=None):
        moose = _moose()
        self.modelPath = modelPath
        self.turnOffElec = bool(turnOffElec)
        self.useGssa = bool(useGssa)
        self.combineSegments = combineSegments
        self.stealCellFromLibrary = bool(stealCellFromLibrary)
        self.verbose = verbose
        self.benchmark = benchmark
        self.addSomaChemCompt = addSomaChemCompt
        self.addEndoChemCompt = addEndoChemCompt
        self.diffusionLength = diffusionLength
        if meshLambda > 0.0:
            log.warning('rdesigneur: meshLambda is deprecated; use diffusionLength')
            self.diffusionLength = meshLambda
        self.temperature = temperature
        # sizes and times no model can have (MOOSE took NaN and negatives)
        S._num('rdesigneur', None, 'diffusionLength', self.diffusionLength, positive=True)
        S._num('rdesigneur', None, 'temperature', temperature)
        if S._num('rdesigneur', None, 'statusDt', statusDt) < 0:
            raise S._err('rdesigneur', None, 'statusDt', statusDt, 'expected a number >= 0 '
                         '(0: no status output)')
        for nm, v in (('chemDt', chemDt), ('diffDt', diffDt), ('elecDt', elecDt),
                      ('chemPlotDt', chemPlotDt), ('elecPlotDt', elecPlotDt),
                      ('funcDt', funcDt)):
            S._num('rdesigneur', None, nm, v, positive=True)
        self.chemDt, self.diffDt, self.elecDt = chemDt, diffDt, elecDt
        self.chemPlotDt, self.elecPlotDt, self.funcDt = chemPlotDt, elecPlotDt, funcDt
        self.statusDt = statusDt
        self.numWaveFrames = numWaveFrames
        if not callable(extraBuildFunction):
            raise SpecError(f'rdesigneur extraBuildFunction = {extraBuildFunction!r}: '
                            'expected a function f(rdes)')
        self.extraBuildFunction = extraBuildFunction
        self.ode_method = ode_method
        self.isLegacyMethod = isLegacyMethod
        self.params = params
        if randseed is not None:
            S._num('rdesigneur', None, 'randseed', randseed, integer=True)
        self.randseed = randseed
        self.modelFileNameList = list(modelFileNameList or [])

        # --- typed specs (the one internal form) -------------------------
        self.cellProtoList = S.normalise('cellProto', cellProto)
        self.chanProtoList = S.normalise('chanProto', chanProto)
        self.spineProtoList = S.normalise('spineProto', spineProto)
        self.chemProtoList = S.normalise('chemProto', chemProto)
        self.passiveDistrib = S.normalise('passiveDistrib', passiveDistrib)
        self.chanDistrib = S.normalise('chanDistrib', chanDistrib)
        self.spineDistrib = S.normalise('spineDistrib', spineDistrib)
        self.chemDistrib = S.normalise('chemDistrib', chemDistrib)
        self.adaptorList = S.normalise('adaptorList', adaptorList)
        self.stimList = S.normalise('stimList', stimList)
        self.plotList = S.normalise('plotList', plotList)
        self.moogList = S.normalise('moogList', moogList)
        self.outputFileList = S.normalise('outputFileList', outputFileList)

        self.plotNames = []
        self.wavePlotNames = []
        self.saveNames = []
        self.moogNames = []
        self.spines = []
        self.cellPortionElist = []
        self.comptDict = {}
        self._finishedSaving = False

        for lst, entries in (('cellProto', self.cellProtoList),
                             ('chanProto', self.chanProtoList),
                             ('spineProto', self.spineProtoList),
                             ('chemProto', self.chemProtoList)):
            for i, p in enumerate(entries):
                self._check_source(lst, i, p)

        if not moose.exists('/library'):
            moose.Neutral('/library')
        before = set(moose.element('/library')._element().children)
        try:
            self.buildCellProto()
            self.buildChanProto()
            self.buildSpineProto()
            self.buildChemProto()
        except Exception:
            lib = moose.element('/library')._element()
            for nm in [n for n in lib.children if n not in before]:
                moose.delete('/library/' + nm)
            raise
        # prototypes are templates: /library is not simulated (MOOSE runs it
        # unseen), except its tables, which MOOSE 5.0 runs and scripts can
        # read (a kkit prototype's graphs record its unchanging pools)
        lib = moose.element('/library')._element()
        set_ticks(lib, disable=True)
        from ..core.table import Table, Table2
        for e in lib.walk():
            if issubclass(e.cls, (Table, Table2)):
                e.tick = e.cls.default_tick

    # ============================================================ prototypes
    def _check_source(self, lst, i, p):
        """Raise SpecError if a prototype source cannot be resolved."""
        moose = _moose()
        src = p.source
        if isinstance(p, S.CellProto) and p.kind != 'source':
            return
        if moose.exists('/library/' + p.name) or callable(src):
            return
        if src.startswith('moose.'):
            cname = src[6:]
            allowed = {'cellProto': ('Compartment', 'SymCompartment'),
                       'spineProto': ('Compartment', 'SymCompartment'),
                       'chemProto': ('Pool', 'BufPool')}.get(lst, ())
            if cname not in allowed:
                raise S._err(lst, i, 'source', src, f'class not allowed here; valid: '
                             + ', '.join('moose.' + c for c in allowed))
            return
        brace = src.find('()')
        if brace >= 0:
            fn = src[:brace]
            if '.' in fn:
                mod, func = fn.rsplit('.', 1)
                if not os.path.isfile(mod + '.py'):
                    raise S._err(lst, i, 'source', src, f"no Python file '{mod}.py' (relative "
                                 f'to the working directory {os.getcwd()})')
                return
            if fn not in P.BUILTINS:
                raise S._err(lst, i, 'source', src, f'unknown prototype function'
                             f'{suggest(fn, P.BUILTINS)}; built-ins: '
                             f'{", ".join(sorted(P.BUILTINS))}')
            return
        if not src.startswith('../') and (moose.exists(src) or
                                          moose.exists('/library/' + src)):
            return
        suffixes = {'cellProto': ('swc', 'p', 'nml', 'xml'),
                    'spineProto': ('swc', 'p', 'nml', 'xml'),
                    'chanProto': ('xml',),
                    'chemProto': ('g', 'sbml', 'xml')}[lst]
        ext = src.rsplit('.', 1)[-1] if '.' in os.path.basename(src) else ''
        if ext not in suffixes:
            names = list(P.BUILTINS) + (list(S.CELL_SHAPES) if lst == 'cellProto' else [])
            shapes = ', a shape (' + ', '.join(S.CELL_SHAPES) + ')' \
                if lst == 'cellProto' else ''
            raise S._err(lst, i, 'source', src, "not a known prototype"
                         f"{suggest(src.rstrip('()'), names)}: expected a built-in "
                         f"'func()'{shapes}, an object path, or a file ending in "
                         + ', '.join('.' + s for s in suffixes))
        if not os.path.isfile(src):
            raise S._err(lst, i, 'source', src, f'no such file (relative to the working '
                         f'directory {os.getcwd()})')

    def _build_proto(self, lst, p):
        """Build prototype *p* into /library/<name>; returns False if the
        caller must load it from a file."""
        moose = _moose()
        name, src = p.name, p.source
        if moose.exists('/library/' + name):
            return True
        if callable(src):
            src(name)
            return True
        if src.startswith('moose.'):
            getattr(moose, src[6:])('/library/' + name)
            return True
        brace = src.find('()')
        if brace >= 0:
            fn = src[:brace]
            if '.' in fn:
                mod, func = fn.rsplit('.', 1)
                path = os.path.realpath(mod + '.py')
                spec = importlib.util.spec_from_file_location(os.path.basename(mod), path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                if not hasattr(module, func):
                    raise S._err(lst, None, 'source', src, f"'{path}' has no function '{func}'")
                getattr(module, func)(name)
            else:
                P.BUILTINS[fn](name)
            if not moose.exists('/library/' + name):
                raise SpecError(f"rdesigneur {lst} {src!r}: the function did not build "
                                f"/library/{name}")
            return True
        if not src.startswith('../'):
            if moose.exists(src):
                moose.copy(src, '/library', name)
                return True
            if moose.exists('/library/' + src):
                moose.element('/library/' + src).name = name
                return True
        return False

    def buildCellProto(self):
        moose = _moose()
        if not self.cellProtoList:
            self.elecid = P.makePassiveHHsoma(name='cell')
            self.soma = moose.element('/library/cell/soma')
            return
        if len(self.cellProtoList) > 1:
            log.warning('rdesigneur: %d cellProto entries; only the last one is used (as '
                        'MOOSE)', len(self.cellProtoList))
        for p in self.cellProtoList:
            if p.kind == 'somaProto':
                self.elecid = self._build_soma(p)
            elif p.kind == 'ballAndStick':
                self.elecid = self._build_ball_and_stick(p)
            elif p.kind == 'branchedCell':
                self.elecid = self._build_branched(p)
            elif self._build_proto('cellProto', p):
                self.elecid = moose.element('/library/' + p.name)
            else:
                self.elecid = self._load_elec(p.source, p.name)

    def _build_soma(self, p):
        moose = _moose()
        cell = moose.Neuron('/library/' + p.name)
        P.buildCompt(cell, 'soma', dia=p.params['somaDia'], dx=p.params['somaLen'])
        return cell

    def _build_dend(self, cell, prev, prm, n, dlen, ddia):
        moose = _moose()
        dx = dlen / n
        x = prev.x
        for i in range(n):
            c = P.buildCompt(cell, f'dend{i}', x=x, dx=dx, dia=ddia)
            moose.connect(prev, 'axial', c, 'raxial')
            prev = c
            x += dx
        return prev

    def _build_ball_and_stick(self, p):
        moose = _moose()
        q = p.params
        cell = moose.Neuron('/library/' + p.name)
        soma = P.buildCompt(cell, 'soma', dia=q['somaDia'], dx=q['somaLen'])
        self._build_dend(cell, soma, q, q['numDendSeg'], q['dendLen'], q['dendDia'])
        return cell

    def _build_branched(self, p):
        moose = _moose()
        q = p.params
        cell = moose.Neuron('/library/' + p.name)
        soma = P.buildCompt(cell, 'soma', dia=q['somaDia'], dx=q['somaLen'])
        end = self._build_dend(cell, soma, q, q['dendNumSeg'], q['dendLen'], q['dendDia'])
        nb = q['branchNumSeg']
        dxy = (q['branchLen'] / float(nb)) * np.sqrt(1.0 / 2.0)
        for b, sign in ((1, 1.0), (2, -1.0)):
            x, y, prev = end.x, end.y, end
            for i in range(nb):
                c = P.buildCompt(cell, f'branch{b}_{i}', x=x, dx=dxy, y=y, dy=sign * dxy,
                                 dia=q['branchDia'])
                moose.connect(prev, 'axial', c, 'raxial')
                prev = c
                x += dxy
                y += sign * dxy
        return cell

    def _load_elec(self, fname, name):
        moose = _moose()
        self.modelFileNameList.append(fname)
        ext = fname.rsplit('.', 1)[-1].lower()
        if ext == 'swc':
            # MOOSE's SWC reader leaves the compartments at their default
            # Em = initVm = -60 mV (moosepy's loadModel uses -65 mV)
            from ..electrical.morphology import read_swc
            cell = moose.element(read_swc(fname, '/library/' + name, Em=-0.06,
                                          initVm=-0.06))
        elif ext == 'p':
            cell = moose.element(moose.loadModel(fname, '/library/' + name))
        elif ext in ('xml', 'nml'):
            # NeuroML 1.x (MorphML) as MOOSE: the cell keeps the file's cell
            # name (/library/<cell name>, the given name is not used);
            # mechanisms are read from <name>.xml beside the file
            from ..neuroml import NeuroML
            cells, _msg = NeuroML().readNeuroMLFromFile(
                fname, params={'combineSegments': self.combineSegments,
                               'createPotentialSynapses': True})
            if not cells:
                raise ModelImportError(f'{fname}: no NeuroML 1.x <cell> in the file')
            cell = moose.element('/library/' + next(iter(cells)))
        else:
            raise ModelImportError(f'{fname}: unknown cell file type {ext!r}; valid: swc, p, '
                                   'xml, nml (NeuroML 1.x)')
        P.transformNMDAR(cell.path)
        return cell

    def buildChanProto(self):
        moose = _moose()
        for p in self.chanProtoList:
            if not self._build_proto('chanProto', p):
                from .channelml import read_channelml     # (XML reader: only when needed)
                self.modelFileNameList.append(p.source)
                made = read_channelml(p.source, self.temperature)
                if p.named and len(made) == 1 and made[0] != '/library/' + p.name:
                    moose.element(made[0]).name = p.name

    def buildSpineProto(self):
        for p in self.spineProtoList:
            if not self._build_proto('spineProto', p):
                self._load_elec(p.source, p.name)

    def buildChemProto(self):
        moose = _moose()
        P.LEGACY_CHEM_LAYOUT[0] = any(d.meshType == 'install' for d in self.chemDistrib)
        try:
            for p in self.chemProtoList:
                if not self._build_proto('chemProto', p):
                    self._load_chem(p.source, p.name)
                self.chemid = moose.element('/library/' + p.name)
        finally:
            P.LEGACY_CHEM_LAYOUT[0] = False

    def _load_chem(self, fname, name):
        moose = _moose()
        self.modelFileNameList.append(fname)
        path = '/library/' + name
        ext = os.path.splitext(fname)[1]
        if ext in ('.xml', '.sbml'):
            moose.readSBML(fname, path)
        else:
            moose.loadModel(fname, path, 'ee')
        if not moose.wildcardFind(path + '/##[ISA=ChemCompt]'):
            raise ModelImportError(f'{fname}: no chemical compartment in the model')

    # =============================================================== checks
    def _library_names(self):
        moose = _moose()
        return list(moose.element('/library')._element().children)

    def _validate(self, geom):
        """Check every distribution, stimulus and plot against the cell and
        /library; raise SpecError before anything is built."""
        moose = _moose()
        lib = self._library_names()
        cell = geom.cell
        comp_names = [c.name for c in geom.comps]

        # compartments the spines will add: '<proto compartment name><k>'
        spine_names = set()
        for d in self.spineDistrib:
            if d.proto in lib:
                spine_names.update(c.name for c in
                                   moose.element('/library/' + d.proto)._element().children.values()
                                   if _is_compartment(c))

        def spine_match(path):
            import re
            from ..core.shell import _name_match
            for q in (x.strip() for x in str(path).split(',')):
                for nm in spine_names:
                    if re.fullmatch(re.escape(nm) + r'\d+', q) or \
                            any(_name_match(nm + k, q) for k in ('0', '1', '12345')):
                        return True
            return False

        def need_match(lst, i, fld, path):
            if not [e for e in match_path(cell, path) if _is_compartment(e)] and \
                    not spine_match(path):
                raise S._err(lst, i, fld, path, f'matches no compartment of {cell.path}'
                             f'{suggest(path, comp_names)} (compartments: '
                             f'{", ".join(comp_names[:8])}{", ..." if len(comp_names) > 8 else ""})')

        for i, d in enumerate(self.passiveDistrib):
            need_match('passiveDistrib', i, 'path', d.path)
        from .distrib import chan_fields_for
        for i, d in enumerate(self.chanDistrib):
            if d.proto not in lib:
                raise S._err('chanDistrib', i, 'proto', d.proto, f'no prototype /library/'
                             f'{d.proto}{suggest(d.proto, lib)}; in /library: {", ".join(lib)}')
            need_match('chanDistrib', i, 'path', d.path)
            cls = moose.element('/library/' + d.proto)._element().cls
            valid = chan_fields_for(cls)
            for f, _ in d.fields:
                if f not in valid:
                    raise S._err('chanDistrib', i, 'field', f, f'not a field that can be '
                                 f'distributed on {d.proto} ({cls.__name__})'
                                 f'{suggest(f, valid)}; valid: {", ".join(valid) or "none"}')
        for i, d in enumerate(self.spineDistrib):
            if d.proto not in lib:
                raise S._err('spineDistrib', i, 'proto', d.proto, f'no spine prototype '
                             f'/library/{d.proto}{suggest(d.proto, lib)}')
            need_match('spineDistrib', i, 'path', d.path)
        for i, s in enumerate(self.stimList):
            need_match('stimList', i, 'elecpath', s.elecpath)
        for i, p in enumerate(self.plotList):
            need_match('plotList', i, 'elecpath', p.elecpath)
        for i, p in enumerate(self.moogList):
            need_match('moogList', i, 'elecpath', p.elecpath)
        from .chem import validate
        validate(self)

    # ================================================================ build
    @_gc_paused
    def buildModel(self, modelPath='/model'):
        """Build the model under *modelPath* (default '/model')."""
        moose = _moose()
        if moose.exists(modelPath):
            raise MooseError(f"rdesigneur.buildModel: '{modelPath}' already exists; delete "
                             'it first (moose.delete) or give another modelPath')
        if not moose.exists('/library/' + self.elecid.name) and \
                self.elecid.path.startswith('/library'):
            raise MooseError(f'rdesigneur.buildModel: the cell prototype {self.elecid.path} '
                             'is gone (built once already with stealCellFromLibrary?)')
        # check against a throw-away geometry of the prototype first
        self._proto_geom = CellGeometry(self.elecid)
        self._validate(self._proto_geom)
        if self.randseed is not None:
            moose.seed(int(self.randseed))     # spines, random synaptic input, Gsolve
        self.model = moose.Neutral(modelPath)
        self.modelPath = modelPath
        # the spec, seed and version are kept with the model
        import json
        from .document import to_document
        from ..core.mstring import Mstring
        Mstring(modelPath + '/rdesigner_spec').value = json.dumps(to_document(self),
                                                                  default=str)
        if modelPath not in SPEC_MODELS:
            SPEC_MODELS.append(modelPath)       # provenance.collect reads them
        steps = [self.installCellFromProtos, self.buildPassiveDistrib, self.buildChanDistrib,
                 self.buildSpineDistrib, self.buildChemDistrib, self._configureSolvers,
                 self.buildAdaptors, self._buildStims, self._buildExtras, self._buildPlots,
                 self._buildMoogli, self._buildFileOutput, self._configureHSolve,
                 self._configureClocks, self._printModelStats]
        import time
        try:
            for f in steps:
                t0 = time.time()
                f()
                if self.benchmark:
                    log.warning('rdesigneur: %s took %.3f s', f.__name__, time.time() - t0)
        except Exception:
            if moose.exists(modelPath):
                moose.delete(modelPath)
            raise
        return self.model

    def installCellFromProtos(self):
        moose = _moose()
        if self.stealCellFromLibrary:
            moose.move(self.elecid, self.model)
            self.elecid = moose.element(self.model.path + '/' + self.elecid.name)
            if self.elecid.name != 'elec':
                self.elecid.name = 'elec'
        else:
            moose.copy(self.elecid, self.model, 'elec')
            self.elecid = moose.element(self.model.path + '/elec')
        if hasattr(self, 'chemid'):
            if self.stealCellFromLibrary:
                moose.move(self.chemid, self.model)
                self.chemid = moose.element(self.model.path + '/' + self.chemid.name)
                self.chemid.name = 'chem'
            else:
                moose.copy(self.chemid, self.model, 'chem')
                self.chemid = moose.element(self.model.path + '/chem')
        # copies and moved objects run on their classes' default ticks (as a
        # MOOSE copy does)
        set_ticks(self.elecid._element(), disable=False)
        if hasattr(self, 'chemid'):
            set_ticks(self.chemid._element(), disable=False)
        ep = self.elecid.path
        somas = moose.wildcardFind(ep + '/#oma#[ISA=CompartmentBase]') or \
            moose.wildcardFind(ep + '/#[ISA=CompartmentBase]')
        if not somas:
            raise MooseError(f'rdesigneur: the cell {ep} has no compartments')
        self.soma = max(somas, key=lambda c: c.diameter)
        # the segment tree: the prototype's geometry (made to validate the
        # specs) carried over to the copy, else built anew
        proto = getattr(self, '_proto_geom', None)
        geom = None
        if proto is not None and not self.elecid._element().data.get('spines'):
            geom = proto.copied_to(self.elecid)
        if geom is None:
            self.elecid.buildSegmentTree()
        else:
            self.elecid._element().data['segment_tree'] = geom
        from .distrib import segment_geometry
        self.geom = segment_geometry(self.elecid)

    def buildPassiveDistrib(self):
        from . import distrib as D
        flat = []
        for i, d in enumerate(self.passiveDistrib):
            D.apply_passive(self.geom, d.path, d.fields,
                            lambda f, t, w, i=i: S._err('passiveDistrib', i, f, t, w))
            flat += ['.', d.path] + [x for f, ex in d.fields for x in (f, ex.text)] + ['']
        if flat:       # what MOOSE's rdesigneur hands to Neuron.passiveDistribution
            self.elecid._element().data['passiveDistribution'] = flat

    def buildChanDistrib(self):
        from . import distrib as D
        flat = []
        for i in D.channel_order([d.proto for d in self.chanDistrib]):
            d = self.chanDistrib[i]
            elems, inst, values = D.channel_values(
                self.geom, d.proto, d.path, d.fields,
                lambda f, t, w, i=i: S._err('chanDistrib', i, f, t, w))
            D.install_channel('/library/' + d.proto, elems, inst, values)
        for d in self.chanDistrib:
            flat += [d.proto, d.path] + [x for f, ex in d.fields for x in (f, ex.text)] + ['']
        if flat:       # what MOOSE's rdesigneur hands to Neuron.channelDistribution
            self.elecid._element().data['channelDistribution'] = flat

    # --------------------------------------------------------------- spines
    def buildSpineDistrib(self):
        from .spines import install_spines
        from ..electrical.spine import add_spines
        flat = []
        for i, d in enumerate(self.spineDistrib):
            new = install_spines(self, d, err=lambda f, text, what, i=i: S._err(
                'spineDistrib', i, f"'{f}' expression", text, what))
            self.spines.extend(new)
            add_spines(self.elecid, new)      # the Neuron's Spine entries, as MOOSE's
            flat += [d.proto, d.path]
            for key, ex in zip(S.SPINE_KEYS, (d.spacing, d.minSpacing, d.size, d.sizeDistrib,
                                              d.angle, d.angleDistrib)):
                flat += [key, ex.text]
            flat.append('')
        if flat:       # what MOOSE's rdesigneur hands to Neuron.spineDistribution
            self.elecid._element().data['spineDistribution'] = flat

    # ------------------------------------------------------------ chemistry
    def buildChemDistrib(self):
        if self.chemDistrib:
            from .chem import build_chem_distrib
            build_chem_distrib(self)

    def _configureSolvers(self):
        if self.chemDistrib and hasattr(self, 'chemid'):
            from .chem import configure_solvers
            configure_solvers(self)

    def buildAdaptors(self):
        if self.adaptorList:
            from .chem import build_adaptors
            build_adaptors(self)

    def _buildExtras(self):
        self.extraBuildFunction(self)

    # ------------------------------------------------------- stims and plots
    def _buildStims(self):
        from .io import build_stims
        build_stims(self)

    def _buildPlots(self):
        from .io import build_plots
        build_plots(self)

    def _buildMoogli(self):
        moose = _moose()
        moose.Neutral(self.modelPath + '/moogli')
        for m in self.moogList:
            sel = self.compartmentsFromExpression(m.elecpath, m.geom_expr)
            self.moogNames.append((m, sel))

    def _buildFileOutput(self):
        from .io import build_file_output
        build_file_output(self)

    def _configureHSolve(self):
        moose = _moose()
        # what the distributions copied from /library runs on default ticks
        set_ticks(self.elecid._element(), disable=False)
        if not self.turnOffElec:
            hs = moose.HSolve(self.elecid.path + '/hsolve')
            hs.dt = self.elecDt
            hs.target = self.soma.path

    def _configureClocks(self):
        moose = _moose()
        elecDt = 1e6 if self.turnOffElec else self.elecDt
        elecPlotDt = 1e6 if self.turnOffElec else self.elecPlotDt
        for i in range(0, 9):
            moose.setClock(i, elecDt)
        moose.setClock(8, elecPlotDt)
        moose.setClock(10, self.diffDt)
        for i in range(11, 18):
            moose.setClock(i, self.chemDt)
        if not self.turnOffElec:
            moose.setClock(12, self.funcDt)
        moose.setClock(18, self.chemPlotDt)

    def _printModelStats(self):
        if self.verbose:
            log.info('rdesigneur: elec model has %d compartments and %d spines',
                     len(self.geom.comps), len(self.spines))

    # ================================================================= query
    def compartmentsFromExpression(self, path, expr='1'):
        """Compartments of the cell matching *path* where *expr* > 0."""
        return [e.handle(0) for e in select(self.geom, path, expr, with_values=False)[0]]

    # =============================================================== display
    def display(self, startIndex=0, block=True, save=None):
        """Draw the plots with matplotlib (one figure per plot).  Never
        blocks without an interactive backend.  *save*: a folder to write
        the figures into as PNG."""
        from .io import display
        return display(self, startIndex, block, save)

    def displayMoogli(self, moogliDt, runtime, rotation=math.pi / 500.0, fullscreen=False,
                      block=True, azim=0.0, elev=0.0, mergeDisplays=False, colormap='jet',
                      center=(), bg='default', animation=(), movieFrame=(), movie=None,
                      frames=None):
        """reinit, run the model for *runtime* [s] showing the moogList in
        3-D (moosepy.viz3d), a frame every *moogliDt* [s], then draw the
        plots; returns when the run ends (MOOSE's loops forever).  On a
        display the window is interactive (drag, wheel, click-to-plot, space
        pauses; ``viewer.show()`` keeps it open after the run).  Without a
        display, unless *movie* (a .mp4/.gif file) or *frames* (a folder for
        PNGs) is given, the view goes to a movie named after the script,
        ``<script>_moogli.mp4`` in the working folder (what
        :func:`headless_moogli_output` says; the environment variable
        ``MOOSEPY_MOOGLI`` = ``movie`` (default), ``frames`` or ``off``
        chooses); without VTK the run is done without the 3-D view."""
        import os as _os
        moose = _moose()
        headless = not (_os.environ.get('DISPLAY') or _os.environ.get('WAYLAND_DISPLAY'))
        viewer = None
        if self.moogList and headless and not (movie or frames):
            movie, frames = headless_moogli_output()
        if self.moogList and (not headless or movie or frames):
            try:
                from ..viz3d import moogli_display
            except ImportError as exc:      # pragma: no cover (viz3d absent)
                log.warning('rdesigneur.displayMoogli: no 3-D view (%s); running only', exc)
                moogli_display = None
            if moogli_display is not None:
                try:
                    viewer = moogli_display(
                        self.moogList, moogliDt, runtime, rotation=rotation, azim=azim,
                        elev=elev, mergeDisplays=mergeDisplays, colormap=colormap,
                        model=self.modelPath, select=self._select_for_viewer, movie=movie,
                        frames=frames, interactive=not headless)
                except ImportError as exc:
                    log.warning('rdesigneur.displayMoogli: no 3-D view (%s); running only',
                                exc)
        if viewer is None:
            moose.reinit()
            moose.start(runtime)
        self._save()
        self.display(len(self.moogNames) + 1, block=False)
        return viewer

    def _select_for_viewer(self, comps, geom_expr):
        els = [c._element() for c in comps]
        vals = self.geom.values(els)
        keep = Expr(geom_expr, where='moogList geom_expr')(vals, n=len(els)) > 0
        return [c for c, k in zip(comps, keep) if k]

    def run(self, runtime):
        """reinit, run *runtime* [s] and return the plotted data: a list of
        dicts (path, title, field, unit, t [s], data [n_objects x n_points],
        raw SI units / mM)."""
        moose = _moose()
        moose.reinit()
        moose.start(runtime)
        from .io import collect
        return collect(self)

    def to_document(self):
        """The model's settings and specs as a JSON-ready dict (see
        :mod:`moosepy.rdesigner.document`)."""
        from .document import to_document
        return to_document(self)

    def _save(self):
        from .io import save_plots
        save_plots(self)


def set_ticks(el, disable):
    """Set the ticks of everything below element *el* (not *el* itself when
    it is /library) to -1 (*disable*) or to each class's default tick."""
    for e in el.walk():
        if e is el and e.path == '/library':
            continue
        e.tick = -1 if disable else e.cls.default_tick


def add_messages(obj):
    """Set up the messages of the ``addmsg<k>`` Mstring children of *obj*
    ('src srcField dest destField', paths relative to obj); a message whose
    ends do not exist is skipped, as in MOOSE."""
    moose = _moose()
    el = obj._element()
    for name, kid in list(el.children.items()):
        if not name.startswith('addmsg'):
            continue
        tok = str(moose.element(kid.handle(0)).value).split()
        if len(tok) != 4:
            raise MooseError(f"{obj.path}/{name}: expected 'src srcField dest destField', "
                             f'got {tok!r}')
        src, dest = _rel(obj.path, tok[0]), _rel(obj.path, tok[2])
        if moose.exists(src) and moose.exists(dest):
            moose.connect(moose.element(src), tok[1], moose.element(dest), tok[3])


def _rel(base, rel):
    if rel.startswith('/'):
        return rel
    parts = base.strip('/').split('/')
    for q in rel.split('/'):
        if q in ('.', ''):
            continue
        if q == '..':
            parts = parts[:-1]
        else:
            parts.append(q)
    return '/' + '/'.join(parts)
