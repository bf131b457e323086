"""``moose.utils``: the helper functions MOOSE scripts call, on moosepy.

``import moosepy.utils``, ``from moosepy import utils`` and (with
``import moosepy as moose``) ``moose.utils.stepRun(...)`` all work.  This
module owns only conveniences built on moosepy's public API (tree walks,
tables, clock set-up, plotting); it holds no model state of its own.

What it has, grouped as MOOSE has them:

* constants of ``moose.moose_constants`` (``INITCLOCK`` ... ``PLOTCLOCK``,
  ``TAB_*``, ``OUTMSG``/``INMSG``/``ALLMSG``, ``FARADAY``);
* the print helpers of ``moose.print_utils`` (``info``, ``warn``, ``dump``,
  ``colored``, ``modelInfo``, ...), which print, as MOOSE's do;
* tree helpers: ``getfields``, ``findAllBut``, ``apply_to_tree``,
  ``printtree``, ``df_traverse``, ``autoposition``,
  ``get_matching_children``, ``underscorize``, ``blockChannels``;
* scheduling: ``stepRun`` (MOOSE 5.0) and the MOOSE 3.x/4.x helpers that
  5.0 dropped but scripts still call, ``setDefaultDt``, ``updateTicks``,
  ``assignTicks``, ``assignDefaultTicks`` and ``resetSim``;
* tables: ``readtable``, ``create_table_path``, ``create_table``,
  ``setupTable``;
* plots (matplotlib, imported when called): ``plotTable``, ``plotTables``,
  ``plotVector``, ``plotRecords``, ``saveRecords``, ``plotTablesByRegex``,
  ``xyToString``, ``saveNumpyVec``, ``saveAsGnuplot``, ``scaleVector``,
  ``scaleAxis``, ``reformatTable``.

Names MOOSE's module has that moosepy does not support (GUI layout, gnuplot
pipes, helpers built on classes MOOSE 5 no longer has) raise
:class:`HelperNotSupported` naming the helper and why, on first use of the
name.  Where MOOSE's helper has a bug, the behaviour is fixed and the
function's docstring says so.
"""

import logging
import re
import time
from collections import OrderedDict

import numpy as np

from .core.errors import MooseError, ModelImportError
from .core.units import FaradayConst

_log = logging.getLogger('moosepy.utils')


class HelperNotSupported(MooseError, AttributeError):
    """A MOOSE helper that moosepy does not provide (an AttributeError too,
    so ``hasattr(moose.utils, name)`` is False)."""


# ---------------------------------------------------------------- constants
#: Faraday's constant [C/mol]
FARADAY = FaradayConst
#: message directions (``moose.moose_constants``)
OUTMSG, INMSG, ALLMSG = 0, 1, 2
#: Table step modes of MOOSE 2/GENESIS (kept as names; moosepy's Table
#: records through ``requestOut``/``input``/``spike``)
TAB_IO, TAB_ONCE, TAB_BUF, TAB_SPIKE = 0, 2, 3, 4
#: interpolation fill modes
BSplineFill, CSplineFill, LinearFill = 0, 1, 2
#: MOOSE's conventional ticks for electrical models (``resetSim``)
INITCLOCK, ELECCLOCK, CHANCLOCK, POOLCLOCK = 0, 1, 2, 3
LOOKUPCLOCK, STIMCLOCK, PLOTCLOCK = 6, 7, 8


def _moose():
    import moosepy
    return moosepy


# ---------------------------------------------------------------- print helpers
HEADER = '\033[95m'
OKBLUE = '\033[94m'
OKGREEN = '\033[92m'
WARNING = '\033[90m'
ERR = '\033[31m'
ENDC = '\033[0m'
RED = ERR
WARN = WARNING
INFO = OKGREEN
TODO = OKBLUE
DEBUG = HEADER
ERROR = ERR
prefixDict = dict(ERR=ERR, ERROR=ERR, WARN=WARN, FATAL=ERR, INFO=INFO, TODO=TODO,
                  NOTE=HEADER, DEBUG=DEBUG, STEP=INFO, FAIL=ERR, FAILED=ERR)


def colored(msg, label='INFO'):
    """*msg* wrapped in the terminal colour of *label* ('INFO', 'WARN',
    'ERROR', ...); each backquote in *msg* toggles the colour off/on."""
    color = prefixDict.get(label, '')
    parts = msg.split('`')
    txt = ''.join((color + m) if i % 2 == 0 else (ENDC + m) for i, m in enumerate(parts))
    return f'{txt} {ENDC}'


def cl(msg, label='INFO'):
    """Short name of :func:`colored`."""
    return colored(msg, label)


def dump(label, msg, frame=None, exception=None):
    """Print ``[label] msg`` in colour.  A list *msg* prints its first item
    and the rest as ``|-`` sub-lines; *frame* (a Python frame) adds
    ``@file:line``; *exception* adds an ``[Exception]`` line."""
    prefix = f'[{label}] '
    if isinstance(msg, list):
        if len(msg) > 1:
            msg = [msg[0]] + [f'`|- {x}`' for x in msg[1:]]
        msg = '\n\t'.join(str(x) for x in msg)
    if not frame:
        print(prefix + colored(str(msg), label))
    else:
        fname = '/'.join(frame.f_code.co_filename.split('/')[-2:])
        print(prefix + f'@{fname}:{frame.f_lineno} {colored(str(msg), label)}')
    if exception:
        print(f' [Exception] {exception}')


def info(msg):
    dump('INFO', msg)


def warn(msg):
    dump('WARN', msg)


def error(msg):
    dump('ERROR', msg)


def debug(msg):
    dump('DEBUG', msg)


def log(label, msg):
    """MOOSE's ``log``: :func:`dump` with *label* (the module logger is ``_log``)."""
    dump(label, msg)


def fatal(msg):
    """Print *msg* as FATAL and raise :class:`MooseError` (MOOSE raises a
    bare Exception; MooseError is one)."""
    dump('FATAL', msg)
    raise MooseError(msg)


def modelInfo(path='/##', **kwargs):
    """Counts of Table, Table2, Compartment, Pool, BufPool, Enz and Reac
    objects matching the wildcard *path*, one ``'{type:>20} : {n}'`` line
    per type present (prints an INFO line first, as MOOSE does)."""
    moose = _moose()
    info(f'Couting elements in model under {path}')
    out = []
    for t in ('Table', 'Table2', 'Compartment', 'Pool', 'BufPool', 'Enz', 'Reac'):
        n = len(moose.wildcardFind(f'{path}[TYPE={t}]'))
        if n:
            out.append(f'{t:>20} : {n}')
    return '\n'.join(out)


# ---------------------------------------------------------------- tree helpers
def getfields(moose_object):
    """{field name: value} of every value field of *moose_object*."""
    return {name: moose_object.getField(name)
            for name in moose_object.getFieldNames('valueFinfo')}


def findAllBut(moose_wildcard, stringToExclude):
    """Objects matching *moose_wildcard* whose path does not contain
    *stringToExclude*."""
    return [o for o in _moose().wildcardFind(moose_wildcard)
            if o.path.find(stringToExclude) == -1]


def apply_to_tree(moose_wildcard, python_filter=None, value=None):
    """Select objects by a wildcard, filter them, and set or apply *value*.

    Parameters
    ----------
    moose_wildcard : str
        GENESIS-style wildcard (``'/cell/##[TYPE=Compartment]'``).
    python_filter : callable, str or None
        A callable keeps the objects for which it returns True; a string
        keeps the objects whose class has that field and names the field
        *value* is assigned to.
    value : callable or value
        With a string filter, the value (or ``value(obj)``) assigned to
        that field; with a callable filter or none, a callable applied to
        each object.  A plain value without a field name is a TypeError,
        as in MOOSE.
    """
    moose = _moose()
    if not isinstance(moose_wildcard, str):
        raise TypeError('moose_wildcard must be a string.')
    objs = moose.wildcardFind(moose_wildcard)
    if callable(python_filter):
        objs = [o for o in objs if python_filter(o)]
    elif isinstance(python_filter, str):
        objs = [o for o in objs if python_filter in type(o)._fields]
    if callable(value):
        for o in objs:
            if isinstance(python_filter, str):
                setattr(o, python_filter, value(o))
            else:
                value(o)
    elif isinstance(python_filter, str):
        for o in objs:
            setattr(o, python_filter, value)
    else:
        raise TypeError('Second argument must be a string specifying a field to assign to '
                        'when third argument is a value')


def printtree(root, vchar='|', hchar='__', vcount=1, depth=0, prefix='', is_last=False):
    """Print the element tree under *root* (object or path), MOOSE's layout:
    *vcount* spacer lines (the running *prefix*) before each node, then
    ``prefix + hchar + ' ' + name`` for every node but the root.  *depth*,
    *prefix* and *is_last* are for the recursion."""
    moose = _moose()
    root = moose.element(root)
    for _ in range(vcount):
        print(prefix)
    if depth != 0:
        print(prefix + hchar, end=' ')
        if is_last:
            index = prefix.rfind(vchar)
            prefix = prefix[:index] + ' ' * (len(hchar) + len(vchar)) + vchar
        else:
            prefix = prefix + ' ' * len(hchar) + vchar
    else:
        prefix = prefix + vchar
    print(root.name)
    children = [moose.element(c) for c in root.children]
    for i, child in enumerate(children):
        printtree(child, vchar, hchar, vcount, depth + 1, prefix, i == len(children) - 1)


def df_traverse(root, operation, *args):
    """Apply ``operation(obj, *args)`` to *root* and then, depth first, to
    every object below it (parents before children)."""
    moose = _moose()
    root = moose.element(root)
    operation(root, *args)
    for child in root.children:
        df_traverse(moose.element(child), operation, *args)


def autoposition(root):
    """Lay the compartments under *root* out along z from their axial
    connections: the single top compartment (no ``axial`` parent) starts at
    the origin; each compartment starts where its parent ends and extends by
    ``length`` [m] along z (by ``diameter/2`` for a sphere, length 0).
    Returns the top compartment; MooseError unless exactly one exists."""
    moose = _moose()
    root = moose.element(root)
    comps = moose.wildcardFind(f'{root.path}/##[TYPE=Compartment]')
    stack = [c for c in comps if len(c.neighbors['axial']) == 0]
    if len(stack) != 1:
        raise MooseError(f'autoposition({root.path}): there must be one and only one top '
                         f'level compartment; found {len(stack)}')
    top = stack[0]
    while stack:
        comp = stack.pop()
        parents = comp.neighbors['axial']
        if len(parents):
            p = moose.element(parents[0])
            comp.x0, comp.y0, comp.z0 = p.x, p.y, p.z
        else:
            comp.x0, comp.y0, comp.z0 = 0.0, 0.0, 0.0
        ext = comp.length if comp.length > 0 else comp.diameter / 2.0
        comp.x, comp.y, comp.z = comp.x0, comp.y0, comp.z0 + ext
        # z == 0 marks a compartment not yet placed (MOOSE's loop guard)
        stack.extend(c for c in (moose.element(v) for v in comp.neighbors['raxial'])
                     if c.z == 0)
    return top


def get_matching_children(parent, names):
    """Children of *parent* whose name contains any string of *names*
    (a child is listed once per matching string, as in MOOSE)."""
    moose = _moose()
    out = []
    for c in moose.element(parent).children:
        child = moose.element(c)
        for name in names:
            if name in child.name:
                out.append(child)
    return out


def underscorize(path):
    """*path* with '/' replaced by '_' and '[' and ']' by '-'."""
    return path.replace('/', '_').replace('[', '-').replace(']', '-')


def blockChannels(cell, channel_list):
    """Set ``Gbar`` to 0 for every HHChannel/HHChannel2D one level below the
    compartments of *cell* whose name contains a string of *channel_list*
    (substring match: 'K' blocks every channel with K in its name)."""
    moose = _moose()
    for cid in moose.element(cell).children:
        for chid in moose.element(cid).children:
            ch = moose.element(chid)
            if ch.className in ('HHChannel', 'HHChannel2D'):
                if any(n in ch.name for n in channel_list):
                    ch.Gbar = 0.0


# ---------------------------------------------------------------- scheduling
def stepRun(simtime, steptime, verbose=True, logger=None):
    """Run until ``/clock.currentTime`` reaches *simtime* [s] in calls of
    ``start(steptime)`` [s], then start the remainder.

    As in MOOSE, steps continue while ``currentTime < simtime - steptime``,
    so the last call runs what is left (between 0 and 2 steps' worth of
    time); with a clock already past *simtime* nothing runs.  With
    *verbose*, progress goes to *logger* (default the ``moosepy.utils``
    logger) at INFO level, as pymoose 5.0 does.
    """
    moose = _moose()
    lg = logger or _log
    clock = moose.element('/clock')
    if verbose:
        lg.info('Starting simulation for %g', simtime)
    t0 = time.time()
    while clock.currentTime < simtime - steptime:
        t1 = time.time()
        moose.start(steptime)
        if verbose:
            lg.info('Simulated till %g. Left: %g. %g of simulation took: %g s',
                    clock.currentTime, simtime - clock.currentTime, steptime,
                    time.time() - t1)
    remaining = simtime - clock.currentTime
    if remaining > 0:
        if verbose:
            lg.info('Running the remaining %g.', remaining)
        moose.start(remaining)
    if verbose:
        dts = [t for t in clock.dts if t > 0.0]
        lg.info('Finished simulation of %g with minimum dt=%g in %g s', simtime,
                min(dts) if dts else 0.0, time.time() - t0)


def setDefaultDt(elecdt=1e-5, chemdt=0.01, tabdt=1e-5, plotdt1=1.0, plotdt2=0.25e-3):
    """Set the dt [s] of ticks 0-9 as MOOSE 3.x/4.x's ``utils.setDefaultDt``
    (dropped from 5.0): ticks 0-3 *elecdt* (electrical), 4-5 *chemdt*
    (chemistry), 6-7 *tabdt* (lookup tables, stimuli), 8 *plotdt1*
    (kinetics plots), 9 *plotdt2* (electrical plots)."""
    moose = _moose()
    for tick, dt in ((0, elecdt), (1, elecdt), (2, elecdt), (3, elecdt), (4, chemdt),
                     (5, chemdt), (6, tabdt), (7, tabdt), (8, plotdt1), (9, plotdt2)):
        moose.setClock(tick, dt)


def updateTicks(tickDtMap):
    """Set ``tick -> dt`` [s] for each entry of *tickDtMap* with tick >= 0
    and dt > 0; if every dt given is 0 (or the map is empty), apply
    :func:`setDefaultDt` instead."""
    moose = _moose()
    for tick, dt in tickDtMap.items():
        if tick >= 0 and dt > 0.0:
            moose.setClock(tick, dt)
    if all(v == 0 for v in tickDtMap.values()):
        setDefaultDt()


def assignTicks(tickTargetMap):
    """Schedule targets: *tickTargetMap* maps a tick to a wildcard path, or
    to ``(path,)`` or ``(path, 'process'|'init')``.  An empty map applies
    :func:`assignDefaultTicks`."""
    moose = _moose()
    if len(tickTargetMap) == 0:
        assignDefaultTicks()
    for tick, target in tickTargetMap.items():
        if isinstance(target, str):
            moose.useClock(tick, target, 'process')
        elif len(target) == 1:
            moose.useClock(tick, target[0], 'process')
        elif len(target) == 2:
            moose.useClock(tick, target[0], target[1])


def _path_of(x):
    return x if isinstance(x, str) else x.path


def assignDefaultTicks(modelRoot='/model', dataRoot='/data', solver='hsolve'):
    """Schedule the objects under *modelRoot* and the tables under
    *dataRoot* on MOOSE 3.x/4.x's conventional ticks (the scheme of
    :func:`setDefaultDt`):

    * tick 0: Compartment 'init' (unless an HSolve exists under *modelRoot*
      and *solver* is 'hsolve'), IzhikevichNrn, GapJunction, HSolve,
      DiffAmp, VClamp, PIDController, RC;
    * tick 1: Compartment 'process' (same condition), LeakyIaF, IntFire,
      SpikeGen, PulseGen, StimulusTable, TimeTable;
    * tick 2: HHChannel (same condition), HHChannel2D, SynChan, MgBlock;
    * tick 3: CaConc and Func;
    * a model with a 'kinetics' element: tick 4 for non-pools, tick 5 for
      pools below the first one, tick 18 for Table2 under *dataRoot*;
      otherwise tick 9 for each Table under *dataRoot* that has no
      incoming 'input' message.

    Classes moosepy does not have simply match nothing.  moosepy runs an
    object's 'init' and 'process' on one tick, so a Compartment ends up on
    tick 1; with equal dts on ticks 0-2 the update order equals MOOSE's.
    """
    moose = _moose()
    m, d = _path_of(modelRoot), _path_of(dataRoot)
    use = moose.useClock
    if solver != 'hsolve' or len(moose.wildcardFind(f'{m}/##[ISA=HSolve]')) == 0:
        use(0, f'{m}/##[ISA=Compartment]', 'init')
        use(1, f'{m}/##[ISA=Compartment]', 'process')
        use(2, f'{m}/##[ISA=HHChannel]', 'process')
    for tick, classes in ((0, ('IzhikevichNrn', 'GapJunction', 'HSolve')),
                          (1, ('LeakyIaF', 'IntFire', 'SpikeGen', 'PulseGen',
                               'StimulusTable', 'TimeTable')),
                          (2, ('HHChannel2D', 'SynChan', 'MgBlock')),
                          (3, ('CaConc', 'Func')),
                          (0, ('DiffAmp', 'VClamp', 'PIDController', 'RC'))):
        for c in classes:
            use(tick, f'{m}/##[ISA={c}]', 'process')
    kinetics = moose.wildcardFind(f'{m}/##[FIELD(name)=kinetics]')
    if kinetics:
        k = kinetics[0].path
        use(4, f'{k}/##[ISA!=PoolBase]', 'process')
        use(5, f'{k}/##[ISA==PoolBase]', 'process')
        use(18, f'{d}/##[ISA=Table2]', 'process')
    else:
        # a Table fed through 'input' records on its sender's schedule
        for tab in moose.wildcardFind(f'{d}/##[ISA=Table]'):
            if len(tab.neighbors['input']) == 0:
                use(9, tab.path, 'process')


def resetSim(simpaths, simdt, plotdt, simmethod='hsolve'):
    """Set clocks, schedule the objects under each path of *simpaths* and
    ``reinit`` (MOOSE 3.x/4.x's ``utils.resetSim``, dropped from 5.0).

    Ticks 0-3 and 7 get *simdt* [s], tick 8 *plotdt* [s].  Under each path:
    Tables without an incoming 'input' message on tick 8; PulseGen,
    IntFire, LeakyIaF, IzhikevichNrn, SpikeGen, Interpol, Interpol2D on
    tick 1; DiffAmp, VClamp, PIDController, RC, TimeTable on tick 7;
    HHChannel2D and SynChan on tick 2 (class matched exactly, TYPE=).  If
    'hsolve' is not in *simmethod*: Compartment init on 0 and process on 1,
    HHChannel on 2, CaConc and Func on 3 (exponential Euler); otherwise an
    HSolve ``<neuron>/solve`` (dt = *simdt*, target = the neuron, tick 0)
    for each Neuron directly under the path.
    """
    moose = _moose()
    _log.info('Solver: %s', simmethod)
    for tick in (INITCLOCK, ELECCLOCK, CHANCLOCK, POOLCLOCK, STIMCLOCK):
        moose.setClock(tick, simdt)
    moose.setClock(PLOTCLOCK, plotdt)
    use = moose.useClock
    for sp in simpaths:
        sp = _path_of(sp)
        for table in moose.wildcardFind(f'{sp}/##[TYPE=Table]'):
            if len(table.neighbors['input']) == 0:
                use(PLOTCLOCK, table.path, 'process')
        for tick, classes in ((ELECCLOCK, ('PulseGen',)),
                              (STIMCLOCK, ('DiffAmp', 'VClamp', 'PIDController', 'RC',
                                           'TimeTable')),
                              (ELECCLOCK, ('LeakyIaF', 'IntFire', 'IzhikevichNrn',
                                           'SpikeGen', 'Interpol', 'Interpol2D')),
                              (CHANCLOCK, ('HHChannel2D', 'SynChan'))):
            for c in classes:
                use(tick, f'{sp}/##[TYPE={c}]', 'process')
        if 'hsolve' not in simmethod.lower():
            use(INITCLOCK, f'{sp}/##[TYPE=Compartment]', 'init')
            use(ELECCLOCK, f'{sp}/##[TYPE=Compartment]', 'process')
            use(CHANCLOCK, f'{sp}/##[TYPE=HHChannel]', 'process')
            use(POOLCLOCK, f'{sp}/##[TYPE=CaConc]', 'process')
            use(POOLCLOCK, f'{sp}/##[TYPE=Func]', 'process')
        else:
            for child in moose.element(sp).children:
                obj = moose.element(child)
                if obj.className == 'Neuron':
                    h = moose.HSolve(obj.path + '/solve')
                    h.dt = simdt
                    h.target = obj.path
                    use(INITCLOCK, h.path, 'process')
    moose.reinit()


# ---------------------------------------------------------------- tables
def readtable(table, filename, separator=None):
    """Fill ``table.vector`` from a text file: a line with one number sets
    the next entry; a line ``index value`` sets entry *index* (*separator*
    splits the two, default whitespace); blank lines are skipped.  The
    vector grows to the largest index set; entries not set keep their old
    value (0 where new).

    MOOSE's version never advanced the running index, so every one-number
    line overwrote entry 0 (a bug, fixed here).  A line with more than two
    fields is a :class:`ModelImportError` naming the file and line (MOOSE
    printed it and went on).
    """
    values = {}
    nxt = 0
    with open(filename) as fh:
        for lineno, line in enumerate(fh, 1):
            tokens = line.split(separator)
            tokens = [t for t in tokens if t.strip() != ''] if separator is not None else tokens
            if len(tokens) == 0:
                continue
            try:
                if len(tokens) == 1:
                    values[nxt] = float(tokens[0])
                    nxt += 1
                elif len(tokens) == 2:
                    i = int(tokens[0])
                    values[i] = float(tokens[1])
                    nxt = i + 1
                else:
                    raise ValueError(f'{len(tokens)} fields; expected a value or '
                                     f'"index value"')
            except ValueError as e:
                raise ModelImportError(f'readtable({table.path}, {filename}): line {lineno}: '
                                       f'{line.rstrip()!r}: {e}') from None
    old = np.asarray(table.vector, dtype=float)
    n = max(len(old), (max(values) + 1) if values else 0)
    vec = np.zeros(n)
    vec[:len(old)] = old
    for i, v in values.items():
        vec[i] = v
    table.vector = vec
    return table


def create_table_path(model, graph, element, field):
    """Path of a table recording *field* of *element*: under *graph*, named
    from *element*'s path below *model* with '/', '[' and ']' made '_',
    then '.' and the field with a capital first letter (a leading '_0__'
    is dropped), as MOOSE's kkit/SBML plotting builds it."""
    field = field[0].upper() + field[1:]
    suffix = element.path.partition(model.path)[-1]
    if suffix.startswith('/'):
        suffix = suffix[1:]
    suffix = suffix.replace('/', '_') + '.' + field
    suffix = suffix.replace('[', '_').replace(']', '_')
    if suffix.startswith('_0__'):
        suffix = suffix[4:]
    return graph.path + '/' + suffix


def create_table(tablePath, element, field, tableType):
    """The table at *tablePath*, or a new *tableType* ('Table' or 'Table2')
    there with ``requestOut`` connected to ``get<Field>`` of *element*."""
    moose = _moose()
    if moose.exists(tablePath):
        return moose.element(tablePath)
    if tableType not in ('Table', 'Table2'):
        raise MooseError(f"create_table({tablePath}): tableType must be 'Table' or 'Table2', "
                         f'got {tableType!r}')
    table = getattr(moose, tableType)(tablePath)
    moose.connect(table, 'requestOut', element, 'get' + field[0].upper() + field[1:])
    return table


def setupTable(name, obj, qtyname, tables_path=None, threshold=None, spikegen=None):
    """A Table *name* under *tables_path* (default ``obj.path + '/data'``,
    created as a Neutral if missing) that records *qtyname* of *obj*.

    With *threshold* [V], a SpikeGen ``<name>_spikegen`` (threshold,
    edge-triggered) is fed ``VmOut`` of *obj* and the table records its
    spike times [s]; with *spikegen*, the table records that SpikeGen's
    spike times.  MOOSE's version made the thresholded SpikeGen but left it
    unconnected to the table (a bug, fixed here).
    """
    moose = _moose()
    if tables_path is None:
        tables_path = obj.path + '/data'
    holder = (moose.element(tables_path) if moose.exists(tables_path)
              else moose.Neutral(tables_path))
    tab = moose.Table(holder.path + '/' + name)
    if spikegen is None and threshold is None:
        moose.connect(tab, 'requestOut', obj, 'get' + qtyname)
        return tab
    if spikegen is None:
        spikegen = moose.SpikeGen(holder.path + '/' + name + '_spikegen')
        moose.connect(obj, 'VmOut', spikegen, 'Vm')
        spikegen.threshold = threshold
        spikegen.edgeTriggered = 1
    moose.connect(spikegen, 'spikeOut', tab, 'spike')
    return tab


# ---------------------------------------------------------------- plots
def _plt():
    import matplotlib.pyplot as plt
    return plt


def _current_time():
    return _moose().element('/clock').currentTime


def xyToString(yvec, xvec, sepby=' '):
    """Lines ``'{y}{sepby}{x}'`` of the two sequences (y first, as MOOSE)."""
    return '\n'.join(f'{y}{sepby}{x}' for y, x in zip(yvec, xvec))


def saveNumpyVec(yvec, xvec, file):
    """Write :func:`xyToString` of the vectors to *file* (nothing if None)."""
    if file is None:
        return
    with open(file, 'w') as fh:
        fh.write(xyToString(yvec, xvec))


def saveAsGnuplot(yvec, xvec, file):
    """Write ``<file>.gnuplot``, a bash script that runs gnuplot on the data
    (y first, x second, as :func:`xyToString`) to make ``<file>.eps``."""
    if file is None:
        return
    text = ['#!/bin/bash', 'gnuplot << EOF', 'set term post eps',
            f'set output "{file}.eps"', f"plot '-' using 0:1 title '{file}'",
            xyToString(yvec, xvec), 'EOF']
    with open(file + '.gnuplot', 'w') as fh:
        fh.write('\n'.join(text))


def scaleVector(vec, scaleF):
    """*vec* times *scaleF* (the same object when *scaleF* is 1 or None)."""
    if scaleF is None or scaleF == 1.0:
        return vec
    return [x * scaleF for x in vec]


def scaleAxis(xvec, yvec, scaleX, scaleY):
    """(:func:`scaleVector` of x, of y)."""
    return scaleVector(xvec, scaleX), scaleVector(yvec, scaleY)


def reformatTable(table, kwargs=None):
    """(x, y) of a Table (times from 0 to the clock's currentTime [s], one
    per sample) or of an (x, y) tuple.  MOOSE's version called
    ``np.arange(0, t, len(y))`` (one point, a bug); this spaces the times
    evenly with ``linspace``, as its ``plotTables`` does."""
    if isinstance(table, tuple):
        return table
    y = np.asarray(table.vector)
    return np.linspace(0, _current_time(), len(y)), y


def plotTable(table, **kwargs):
    """Plot a Table's vector against time (``label`` kwarg for the legend);
    TypeError for anything but a Table/Table2."""
    moose = _moose()
    if not isinstance(table, moose.TableBase):
        raise TypeError(f'Expected moose.Table, got {type(table)}')
    plt = _plt()
    x, y = reformatTable(table, kwargs)
    plt.plot(x, y, label=kwargs.get('label', ''))
    plt.legend(loc='best', framealpha=0.4)


def plotTables(tables, outfile=None, **kwargs):
    """Plot a dict {label: Table} against time [s] (0 to currentTime),
    each in its own subplot of a ``grid`` (rows, cols; default
    (len//2 + 1, 2), at most 9 rows) unless ``subplot=False``; save to
    *outfile* (transparent) if given, else ``plt.show()``.  ``figsize``
    default (10, 1.5 * len(tables)) inches."""
    if not isinstance(tables, dict):
        raise TypeError('Expected a dict of moose.Table')
    plt = _plt()
    plt.figure(figsize=kwargs.get('figsize', (10, 1.5 * len(tables))))
    subplot = kwargs.get('subplot', True)
    grid = kwargs.get('grid', (len(tables) // 2 + 1, 2))
    for i, name in enumerate(tables):
        if subplot:
            if grid[0] > 9:
                raise ValueError(f'gridSize rows must be <= 9, got {grid[0]}')
            plt.subplot(grid[0], grid[1], i + 1)
        y = tables[name].vector
        plt.plot(np.linspace(0, _current_time(), len(y)), y, label=name)
        plt.legend(loc='best', framealpha=0.4)
    plt.tight_layout()
    if outfile:
        plt.savefig(outfile, transparent=True)
    else:
        plt.show()


def plotVector(vec, xvec=None, **options):
    """Plot a numpy array against *xvec*, or against time 0..currentTime [s]
    (then the x label is 'Time (sec)').  Options: label, legend (True),
    xlabel, title."""
    if not isinstance(vec, np.ndarray):
        raise TypeError(f'Expected np.ndarray, got {type(vec)}')
    plt = _plt()
    xx = np.linspace(0, _current_time(), len(vec)) if xvec is None else xvec[:]
    if len(xx) != len(vec):
        raise ValueError(f'Expecting {len(vec)} points, got {len(xx)}')
    plt.plot(xx, vec, label=options.get('label', ''))
    plt.xlabel('Time (sec)' if xvec is None else options.get('xlabel', ''))
    plt.title(options.get('title', ''))
    if options.get('legend', True):
        plt.legend(loc='best', framealpha=0.4, prop={'size': 9})


def saveRecords(records, xvec=None, **kwargs):
    """Write {name: Table or array} as CSV to ``outfile`` (default
    'data.moose'): a '# time,name,...' header (plus ``comment``), then one
    row per sample with the time (0..currentTime [s]) first.  False (and a
    warning) for an empty dict; RuntimeError before any simulation.
    MOOSE's version dropped plain arrays (a typo); they are written here."""
    if len(records) == 0:
        warn('No data in dictionary to save.')
        return False
    outfile = kwargs.get('outfile', 'data.moose')
    now = _current_time()
    if now <= 0:
        raise RuntimeError(f'Simulation has not been run (currentTime={now:g})')
    text = 'time,' + ','.join(str(k) for k in records)
    ys = [np.asarray(getattr(r, 'vector', r)) for r in records.values()]
    x = np.linspace(0, now, len(ys[0]))
    if kwargs.get('comment', ''):
        text += '\n' + kwargs['comment']
    np.savetxt(outfile, np.array([x] + ys).T, delimiter=',', header=text)
    return True


def plotRecords(records, xvec=None, **kwargs):
    """Plot {name: Table} sorted by name (case-insensitive): all in one axes,
    or one subplot each with ``subplot=True``; ``filter`` keeps names
    containing one of its strings; ``title``; saved to ``outfile``
    (transparent) or shown; the figure is closed afterwards."""
    try:
        data = OrderedDict((k, records[k]) for k in sorted(records, key=str.lower))
    except Exception:
        data = records
    outfile = kwargs.get('outfile', None)
    subplot = kwargs.get('subplot', False)
    filters = [x.lower() for x in kwargs.get('filter', [])]
    opts = {k: v for k, v in kwargs.items() if k not in ('label',)}
    plt = _plt()
    plt.figure(figsize=(10, 1.5 * len(data)))
    for i, k in enumerate(data):
        if filters and not any(f in k.lower() for f in filters):
            continue
        if subplot:
            plt.subplot(len(data), 1, i + 1)
        plotVector(np.asarray(data[k].vector), xvec, label=k, **opts)
    if 'title' in kwargs:
        plt.title(kwargs['title'])
    if subplot:
        plt.tight_layout()
    if outfile:
        plt.savefig(str(outfile), transparent=True)
    else:
        plt.show()
    plt.close()


def plotTablesByRegex(regex='.*', **kwargs):
    """:func:`plotRecords` of every Table and Table2 whose name matches the
    Python regular expression *regex* (names as legend)."""
    moose = _moose()
    tables = moose.wildcardFind('/##[TYPE=Table]') + moose.wildcardFind('/##[TYPE=Table2]')
    chosen = OrderedDict((t.name, t) for t in sorted(tables, key=lambda t: t.name)
                         if re.search(regex, t.name))
    return plotRecords(chosen, None, **kwargs)


# ---------------------------------------------------------------- not supported
_NOT_SUPPORTED = {
    'tweak_field': 'it rewrites Python 2 parser trees; set the field with apply_to_tree',
    'readcell_scrambled': 'reading GENESIS .p files goes through moose.loadModel',
    'setup_vclamp': 'it wires MOOSE 2 message names (outputSrc, injectMsg); build the '
                    'PulseGen/DiffAmp/PIDController circuit with moose.connect',
    'setup_iclamp': 'it wires MOOSE 2 message names; build the PulseGen/DiffAmp with '
                    'moose.connect',
    'connectSynapse': 'it needs Mstring and Mg_block objects, which moosepy does not have',
    'connect_CaConc': 'it needs Mstring objects, which moosepy does not have',
    'get_child_Mstring': 'moosepy has no Mstring class',
    'printNetTree': "it lists objects of class 'Cell', which MOOSE 5 does not have",
    'printCellTree': "it walks 'Cell' objects, which MOOSE 5 does not have; use printtree",
    'printRecursiveTree': "it walks 'Cell' objects; use printtree",
    'plotAscii': 'it pipes to a gnuplot process; use plotVector or saveAsGnuplot',
    'plotInTerminal': 'it pipes to a gnuplot process; use plotVector or saveAsGnuplot',
    'plotMorphology': 'morphology display is moosepy.viz3d',
    'plotMorphologyGraph': 'morphology display is moosepy.viz3d',
    'compartmentTypeColor': 'morphology display is moosepy.viz3d',
    'morphologyToGraphviz': 'not implemented in moosepy',
    'chemicalReactionNetworkToGraphviz': 'not implemented in moosepy',
    'crnToDot': 'not implemented in moosepy',
    'crnToGraphviz': 'not implemented in moosepy',
    'getCompartmentNeighbors': 'not implemented in moosepy',
    'getConnectedCompartments': 'not implemented in moosepy',
    'getCompartments': 'not implemented in moosepy',
}


def __getattr__(name):
    if name in _NOT_SUPPORTED:
        raise HelperNotSupported(f'moose.utils.{name} is not supported by moosepy: '
                                 f'{_NOT_SUPPORTED[name]}')
    raise AttributeError(f"module 'moosepy.utils' has no attribute {name!r}")

