"""Markov-model ion channels: ``MarkovChannel``, its rate table
``MarkovRateTable`` and its solvers ``MarkovSolverBase``/``MarkovSolver``
(exact matrix-exponential propagation) and ``MarkovOdeSolver``.

The channel is a set of states with occupancy probabilities ``state``
(a row vector p, sum 1; the first ``numOpenStates`` conduct).  The rate
matrix Q [1/s] holds ``Q[i][j]`` = rate of the transition i -> j and its
rows sum to 0, so ``dp/dt = p Q``.  ``Gk = sum_i gbar[i] p[i]`` [S] over
the open states (as MOOSE, ``Gbar`` and ``modulation`` are not used), and
``Ik = Gk (Ek - Vm)`` [A].

Typical wiring (as in MOOSE)::

    chan = moose.MarkovChannel('/c/chan'); chan.numStates = 3
    chan.numOpenStates = 1; chan.gbar = [1e-9]; chan.initialState = [0, 0, 1]
    rt = moose.MarkovRateTable('/c/chan/rt'); rt.init(3)
    rt.setconst(1, 2, 200.0); rt.set1d(2, 3, vectorTable, 0)  # 1-based i, j
    sol = moose.MarkovSolver('/c/chan/sol'); sol.init(rt, dt)
    sol.initialState = [0, 0, 1]
    moose.connect(compt, 'channel', chan, 'channel')
    moose.connect(compt, 'channel', sol, 'channel')         # Vm to the solver
    moose.connect(sol, 'stateOut', chan, 'handleState')

Rates are constant (``setconst``), a 1-D table of Vm or of the ligand
concentration (``set1d`` with a ``VectorTable``, flag 0 = Vm [V], 1 =
ligand [mM]) or a 2-D table of (Vm, ligand) (``set2d`` with an
``Interpol2D``).  The tables are copied when set.

``MarkovSolver.init(rateTable, dt)`` precomputes ``expm(Q dt)`` on a grid:
over the voltage (or ligand) range xmin..xmax in xdivs steps (and the
ligand range ymin..ymax in ydivs steps when rates depend on both), the
ranges being the widest and the divisions the finest of the rate tables
(and of xmin/xmax/xdivs set before ``init``).  Each step the new state is
the old one times the exponentials at the grid points around the present
Vm/ligand, interpolated linearly (bilinearly) in the states, as MOOSE.
The exponentials come from ``scipy.linalg.expm`` (scaling and squaring
with Pade approximants, the method MOOSE implements).  ``MarkovOdeSolver``
takes Q from a rate table's ``instratesOut`` each step and advances the
state by exactly ``expm(Q dt)`` (MOOSE integrates the same ODE by
adaptive Runge-Kutta to 1e-8).

Deliberate differences from MOOSE 5.0.0 (bugs there):

* a solver whose rates are all 1-D in Vm (or 1-D in both Vm and ligand)
  has its ``invdx`` set; MOOSE leaves it uninitialised and the states
  become NaN at the first step;
* a solver with constant rates only steps with its one exponential
  (MOOSE's crashes at the first step);
* Vm or ligand outside the grid is clamped to its ends in the 2-D case
  (MOOSE reads past its tables);
* the grid's rates are read from each table at the grid value (MOOSE
  reads entry k of every table, the same when the tables share one
  range and size; and in the 2-D case it reads ligand tables with the
  voltage index);
* ``Gk`` is 0 after reinit (MOOSE keeps the last run's); bad indices,
  rates set twice, missing initial states raise errors (MOOSE prints).

Beside an HSolve: HSolve does not take these objects over (MOOSE's
neither); they read the solved Vm and feed the compartment's next step.
"""

import math

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError, SolverError, MessageError
from ..core.fields import Field, Src, Dest, Shared
from ..core.msg import links
from .channels import ChanBase
from .compartment import CompartmentBase, send_values

_DBL_MAX = 1.7976931348623157e308
_DBL_MIN = 2.2250738585072014e-308


def _entries(el, key, make):
    """Per-entry data list of *el* under *key*, grown to el.num."""
    lst = el.data.setdefault(key, [])
    while len(lst) < el.num:
        lst.append(make())
    return lst


def _comp_vm(el, idx, default):
    """Vm of the compartment joined to entry *idx* of *el* by 'channel'."""
    for other, oport, m, forward in links(el, 'channel'):
        if not issubclass(other.cls, CompartmentBase):
            continue
        a, b = m.pairs()
        mine, theirs = (a, b) if forward else (b, a)
        hit = np.nonzero(mine == idx)[0]
        if len(hit):
            return float(other.cols['Vm'][theirs[hit[0]]])
    return default


def _resolve(obj, where, want):
    from ..core.shell import element
    try:
        h = element(obj)
    except Exception:
        raise FieldError(f'{where}: expected a {want} (object, path or id), got '
                         f'{obj!r}') from None
    if h.className != want and want not in [c.__name__ for c in type(h).__mro__]:
        raise FieldError(f'{where}: expected a {want}, got {h.path} ({h.className})')
    return h


# ============================================================ rate tables
def _lookup1d(tab, x):
    """MOOSE's VectorTable lookup: linear, clamped to the ends."""
    t = tab['table']
    if len(t) == 1:
        return float(t[0])
    lo, hi = tab['xmin'], tab['xmax']
    if x <= lo:
        return float(t[0])
    if x >= hi:
        return float(t[-1])
    inv = (len(t) - 1) / (hi - lo)
    k = min(int((x - lo) * inv), len(t) - 2)
    f = (x - lo - k / inv) * inv
    return float(t[k] * (1 - f) + t[k + 1] * f)


def _lookup2d(tab, x, y):
    """Interpol2D's lookup: bilinear, x and y clamped to their ranges."""
    T = tab['table']
    nx, ny = T.shape
    x = min(max(x, tab['xmin']), tab['xmax'])
    y = min(max(y, tab['ymin']), tab['ymax'])
    xv = (x - tab['xmin']) * (nx - 1) / (tab['xmax'] - tab['xmin'])
    yv = (y - tab['ymin']) * (ny - 1) / (tab['ymax'] - tab['ymin'])
    i, j = min(int(xv), nx - 1), min(int(yv), ny - 1)
    fx, fy = xv - i, yv - j
    i1, j1 = min(i + 1, nx - 1), min(j + 1, ny - 1)
    return float(T[i, j] * (1 - fx) * (1 - fy) + T[i1, j] * fx * (1 - fy)
                 + T[i, j1] * (1 - fx) * fy + T[i1, j1] * fx * fy)


def _new_rates():
    return dict(size=0, Q=np.zeros((0, 0)), rates={}, Vm=0.0, lig=0.0)


class MarkovRateTable(Neutral):
    """Transition rates of a Markov channel: ``init(n)`` for n states, then
    ``setconst(i, j, rate)`` [1/s], ``set1d(i, j, vectorTable, flag)`` (a
    rate table over Vm [V], or over the ligand [mM] when flag > 0) and
    ``set2d(i, j, interpol2D)`` (over Vm and ligand), i, j from 1.  Each
    step it updates Q at the present Vm and ligand and sends it on
    ``instratesOut``."""

    default_tick = 2

    Vm = Field(0.0, 'V', 'Membrane potential the rates are read at', stored=False)
    ligandConc = Field(0.0, 'mM', 'Ligand concentration the rates are read at',
                       stored=False)
    Q = Field(None, '1/s', 'Instantaneous rate matrix (rows sum to 0)', type='vector',
              ro=True, stored=False)
    size = Field(0, '', 'Number of states', type='unsigned int', ro=True, stored=False)

    ports = (Shared('channel', 'channel', 'chan', 'Joins a compartment (its "channel"); '
                    'receives Vm'),
             Src('instratesOut', 'vector<vector<double>>', 'Sends Q [1/s] every step'),
             Dest('handleVm', 'double', 'Receives Vm [V]'),
             Dest('handleLigandConc', 'double', 'Receives the ligand concentration [mM]'),
             Dest('init', 'unsigned int', 'Allocates the tables of n states'),
             Dest('set1d', 'unsigned int,unsigned int,Id,unsigned int',
                  'Rate i -> j from a VectorTable (flag > 0: of the ligand)'),
             Dest('set2d', 'unsigned int,unsigned int,Id', 'Rate i -> j from an Interpol2D'),
             Dest('setconst', 'unsigned int,unsigned int,double', 'Constant rate i -> j'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _d(self):
        return _entries(self._el, 'mk', _new_rates)[self._idx]

    def _get_Vm(self):
        # as MOOSE: the last Vm its compartment sent (its Vm after the step)
        return _comp_vm(self._el, self._idx, self._d()['Vm'])

    def _set_Vm(self, v):
        self._d()['Vm'] = float(v)

    def _get_ligandConc(self):
        return self._d()['lig']

    def _set_ligandConc(self, v):
        self._d()['lig'] = float(v)

    _recv_handleVm = _set_Vm
    _recv_handleLigandConc = _set_ligandConc

    def _get_Q(self):
        return self._d()['Q'].tolist()

    def _get_size(self):
        return self._d()['size']

    def init(self, n):
        """Tables for *n* states (Q starts at zero)."""
        n = int(n)
        if n < 1:
            raise FieldError(f'{self.path} (MarkovRateTable).init: expected a number of '
                             f'states >= 1, got {n}')
        d = self._d()
        if d['size'] == 0:
            d['Q'] = np.zeros((n, n))
        d['size'] = n

    _recv_init = init

    def _slot(self, i, j, what):
        d = self._d()
        n = d['size']
        i, j = int(i), int(j)
        if n == 0:
            raise FieldError(f'{self.path} (MarkovRateTable).{what}: call init(numStates) '
                             f'first')
        if not (1 <= i <= n and 1 <= j <= n):
            raise FieldError(f'{self.path} (MarkovRateTable).{what}({i}, {j}): indices '
                             f'run from 1 to {n}')
        if i == j:
            raise FieldError(f'{self.path} (MarkovRateTable).{what}({i}, {j}): cannot set '
                             f'a diagonal rate (it is minus the sum of the row)')
        if (i - 1, j - 1) in d['rates']:
            raise FieldError(f'{self.path} (MarkovRateTable).{what}({i}, {j}): rate '
                             f'({i}, {j}) has already been set')
        return d, (i - 1, j - 1)

    def set1d(self, i, j, table, ligand=0):
        """Rate i -> j [1/s] from a VectorTable over Vm [V] (ligand = 0) or
        over the ligand concentration [mM] (ligand > 0); copied now."""
        d, key = self._slot(i, j, 'set1d')
        h = _resolve(table, f'{self.path} (MarkovRateTable).set1d', 'VectorTable')
        t = np.asarray(h.table, dtype=float)
        if t.size == 0:
            raise FieldError(f'{self.path} (MarkovRateTable).set1d: {h.path} has an empty '
                             f'table')
        kind = '1d' if t.size > 1 else 'const'
        d['rates'][key] = dict(kind=kind, lig=int(ligand) > 0, table=t,
                               xmin=float(h.xmin), xmax=float(h.xmax))

    def _recv_set1d(self, v):
        self.set1d(*v)

    def set2d(self, i, j, table):
        """Rate i -> j [1/s] from an Interpol2D over (Vm [V], ligand [mM])."""
        d, key = self._slot(i, j, 'set2d')
        h = _resolve(table, f'{self.path} (MarkovRateTable).set2d', 'Interpol2D')
        d['rates'][key] = dict(kind='2d', table=np.array(h.tableVector2D, dtype=float),
                               xmin=float(h.xmin), xmax=float(h.xmax),
                               ymin=float(h.ymin), ymax=float(h.ymax))

    def _recv_set2d(self, v):
        self.set2d(*v)

    def setconst(self, i, j, rate):
        """Constant rate i -> j [1/s]."""
        d, key = self._slot(i, j, 'setconst')
        d['rates'][key] = dict(kind='const', lig=False, table=np.array([float(rate)]),
                               xmin=float(rate), xmax=float(rate))

    def _recv_setconst(self, v):
        self.setconst(*v)

    # --- rates -----------------------------------------------------------
    @staticmethod
    def rate_at(r, vm, lig):
        """Value of one rate entry at Vm and ligand."""
        if r['kind'] == '2d':
            return _lookup2d(r, vm, lig)
        if r['kind'] == 'const':
            return float(r['table'][0])
        return _lookup1d(r, lig if r['lig'] else vm)

    @staticmethod
    def fill_q(d, vm, lig, kinds=('const', '1d', '2d')):
        Q = d['Q']
        for (i, j), r in d['rates'].items():
            if r['kind'] in kinds:
                Q[i, j] = MarkovRateTable.rate_at(r, vm, lig)
        np.fill_diagonal(Q, 0.0)
        np.fill_diagonal(Q, -Q.sum(axis=1) + 0.0)

    @classmethod
    def _batch_role(cls, el):
        return 'python' if el.data.get('mk') else 'idle'

    @classmethod
    def _reinit(cls, el):
        for k, d in enumerate(_entries(el, 'mk', _new_rates)):
            if d['size'] == 0:
                raise SolverError(f'{el.path}[{k}] (MarkovRateTable): not initialised; call '
                                  f'init(numStates) before reinit')
            cls.fill_q(d, d['Vm'], d['lig'], ('const',))
        cls._send(el)

    @classmethod
    def _process(cls, el, t, dt):
        for k, d in enumerate(_entries(el, 'mk', _new_rates)):
            d['Vm'] = _comp_vm(el, k, d['Vm'])
            if any(r['kind'] != 'const' for r in d['rates'].values()):
                cls.fill_q(d, d['Vm'], d['lig'])
        cls._send(el)

    @classmethod
    def _send(cls, el):
        if links(el, 'instratesOut'):
            send_values(el, 'instratesOut', [d['Q'].copy() for d in el.data['mk']])


# =============================================================== solvers
def _new_solver():
    return dict(state=np.zeros(0), init=np.zeros(0), Q=np.zeros((0, 0)), Vm=0.0, lig=0.0,
                xmin=_DBL_MAX, xmax=_DBL_MIN, xdivs=0, ymin=_DBL_MAX, ymax=_DBL_MIN,
                ydivs=0, invdx=0.0, invdy=0.0, mode=None, E=None)


class MarkovSolverBase(Neutral):
    """Propagates a Markov channel's state by precomputed matrix
    exponentials ``expm(Q dt)`` over a grid of Vm (xmin..xmax, xdivs) and/or
    ligand (ymin..ymax, ydivs), interpolating between grid points; sends
    the state on ``stateOut`` each step.  ``init(rateTable, dt)`` builds
    the grid; ``initialState`` is the state at reinit."""

    default_tick = 2

    Q = Field(None, '', 'Q dt at the last grid point filled (dimensionless)',
              type='vector', ro=True, stored=False)
    state = Field(None, '', 'Occupancy of each state', type='vector', ro=True, stored=False)
    initialState = Field(None, '', 'Occupancy at reinit', type='vector', stored=False)
    xmin = Field(_DBL_MAX, 'V', 'Lower end of the x grid (Vm, or ligand [mM] when all '
                 'rates are ligand-dependent)', stored=False)
    xmax = Field(_DBL_MIN, 'V', 'Upper end of the x grid', stored=False)
    xdivs = Field(0, '', 'Divisions of the x grid', type='unsigned int', stored=False)
    invdx = Field(0.0, '1/V', 'xdivs / (xmax - xmin)', ro=True, stored=False)
    ymin = Field(_DBL_MAX, 'mM', 'Lower end of the ligand grid (2-D case)', stored=False)
    ymax = Field(_DBL_MIN, 'mM', 'Upper end of the ligand grid', stored=False)
    ydivs = Field(0, '', 'Divisions of the ligand grid', type='unsigned int', stored=False)
    invdy = Field(0.0, '1/mM', 'ydivs / (ymax - ymin)', ro=True, stored=False)

    ports = (Shared('channel', 'channel', 'chan', 'Joins a compartment (its "channel"); '
                    'receives Vm'),
             Src('stateOut', 'vector<double>', 'Sends the state every step'),
             Dest('handleVm', 'double', 'Receives Vm [V]'),
             Dest('ligandConc', 'double', 'Receives the ligand concentration [mM]'),
             Dest('init', 'Id,double', 'Builds the exponentials from a MarkovRateTable '
                  'and the time step dt [s]'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _d(self):
        return _entries(self._el, 'mk', _new_solver)[self._idx]

    def _plain(key, cast):
        def g(self):
            return self._d()[key]

        def s(self, v):
            self._d()[key] = cast(v)
        return g, s

    _get_xmin, _set_xmin = _plain('xmin', float)
    _get_xmax, _set_xmax = _plain('xmax', float)
    _get_xdivs, _set_xdivs = _plain('xdivs', int)
    _get_ymin, _set_ymin = _plain('ymin', float)
    _get_ymax, _set_ymax = _plain('ymax', float)
    _get_ydivs, _set_ydivs = _plain('ydivs', int)
    _get_invdx, _ = _plain('invdx', float)
    _get_invdy, _ = _plain('invdy', float)
    del _plain, _

    def _get_Q(self):
        return self._d()['Q'].tolist()

    def _get_state(self):
        return self._d()['state'].copy()

    def _get_initialState(self):
        return self._d()['init'].copy()

    def _set_initialState(self, v):
        d = self._d()
        d['init'] = np.asarray(v, dtype=float).ravel().copy()
        d['state'] = d['init'].copy()

    def _recv_handleVm(self, v):
        self._d()['Vm'] = float(v)

    def _recv_ligandConc(self, v):
        self._d()['lig'] = float(v)

    def ligandConc(self, v):
        """Sets the ligand concentration [mM] the next step uses."""
        self._recv_ligandConc(v)

    def handleVm(self, v):
        """Sets the Vm [V] the next step uses."""
        self._recv_handleVm(v)

    def init(self, rate_table, dt):
        """Build the table of ``expm(Q dt)`` from a MarkovRateTable for the
        time step *dt* [s] (which should equal this solver's clock dt)."""
        where = f'{self.path} ({self.className}).init'
        h = _resolve(rate_table, where, 'MarkovRateTable')
        rd = h._d()
        dt = float(dt)
        if rd['size'] == 0:
            raise FieldError(f'{where}: {h.path} is not initialised (call its init(n))')
        if not (dt > 0 and math.isfinite(dt)):
            raise FieldError(f'{where}: expected dt > 0 [s], got {dt}')
        d = self._d()
        _build(d, rd, dt, where)

    def _recv_init(self, v):
        self.init(*v)

    @classmethod
    def _batch_role(cls, el):
        return 'python' if el.data.get('mk') else 'idle'

    @classmethod
    def _reinit(cls, el):
        for k, d in enumerate(_entries(el, 'mk', _new_solver)):
            if len(d['init']) == 0:
                raise SolverError(f'{el.path}[{k}] ({el.cls.__name__}): initialState has not '
                                  f'been set')
            if d['E'] is None:
                raise SolverError(f'{el.path}[{k}] ({el.cls.__name__}): call init(rateTable, '
                                  f'dt) before reinit')
            if len(d['init']) != d['E'].shape[-1]:
                raise SolverError(f'{el.path}[{k}] ({el.cls.__name__}): initialState has '
                                  f'{len(d["init"])} entries for {d["E"].shape[-1]} states')
            d['state'] = d['init'].copy()
        cls._send(el)

    @classmethod
    def _process(cls, el, t, dt):
        for k, d in enumerate(el.data['mk']):
            d['Vm'] = _comp_vm(el, k, d['Vm'])
            d['state'] = _advance(d)
        cls._send(el)

    @classmethod
    def _send(cls, el):
        if links(el, 'stateOut'):
            send_values(el, 'stateOut', [d['state'].copy() for d in el.data['mk']])


class MarkovSolver(MarkovSolverBase):
    """Markov channel solver by matrix exponentials (see MarkovSolverBase)."""


def _build(d, rd, dt, where):
    """Grid limits (MOOSE's rules) and the exponentials of Q dt on it."""
    from scipy.linalg import expm
    rates = rd['rates']
    r1v = [r for r in rates.values() if r['kind'] == '1d' and not r['lig']]
    r1l = [r for r in rates.values() if r['kind'] == '1d' and r['lig']]
    r2 = [r for r in rates.values() if r['kind'] == '2d']
    n = rd['size']
    if r2 or (r1v and r1l):
        mode = '2d'
    elif r1l:
        mode = 'lig'
    elif r1v:
        mode = 'volt'
    else:
        mode = 'const'
    if r1l:
        lo = min(r['xmin'] for r in r1l)
        hi = max(r['xmax'] for r in r1l)
        dv = max(len(r['table']) - 1 for r in r1l)
        if mode == 'lig':
            d['xmin'], d['xmax'], d['xdivs'] = lo, hi, dv
        else:
            d['ymin'], d['ymax'], d['ydivs'] = lo, hi, dv
    for r in r1v:
        d['xmin'] = min(d['xmin'], r['xmin'])
        d['xmax'] = max(d['xmax'], r['xmax'])
        d['xdivs'] = max(d['xdivs'], len(r['table']) - 1)
    for r in r2:
        d['xmin'] = min(d['xmin'], r['xmin'])
        d['xmax'] = max(d['xmax'], r['xmax'])
        d['ymin'] = min(d['ymin'], r['ymin'])
        d['ymax'] = max(d['ymax'], r['ymax'])
        d['xdivs'] = max(d['xdivs'], r['table'].shape[0] - 1)
        d['ydivs'] = max(d['ydivs'], r['table'].shape[1] - 1)
    for ax, used in (('x', mode != 'const'), ('y', mode == '2d')):
        if not used:
            continue
        lo, hi, nd = d[ax + 'min'], d[ax + 'max'], d[ax + 'divs']
        if nd < 1 or not hi > lo:
            raise FieldError(f'{where}: the {ax} grid is empty ({ax}min={lo}, {ax}max={hi}, '
                             f'{ax}divs={nd}); the rate tables need 2 or more entries over '
                             f'a range of nonzero width')
        d['inv' + 'd' + ax] = nd / (hi - lo)
    Q = np.zeros((n, n))

    def q_at(vm, lig):
        for (i, j), r in rates.items():
            Q[i, j] = MarkovRateTable.rate_at(r, vm, lig)
        np.fill_diagonal(Q, 0.0)
        np.fill_diagonal(Q, -Q.sum(axis=1) + 0.0)
        return Q * dt

    if mode == 'const':
        d['E'] = expm(q_at(0.0, 0.0))[None]
    elif mode == '2d':
        xs = d['xmin'] + np.arange(d['xdivs'] + 1) / d['invdx']
        ys = d['ymin'] + np.arange(d['ydivs'] + 1) / d['invdy']
        d['E'] = np.array([[expm(q_at(x, y)) for y in ys] for x in xs])
    else:
        xs = d['xmin'] + np.arange(d['xdivs'] + 1) / d['invdx']
        if mode == 'lig':
            d['E'] = np.array([expm(q_at(0.0, x)) for x in xs])
        else:
            d['E'] = np.array([expm(q_at(x, 0.0)) for x in xs])
    d['Q'] = Q * dt
    d['mode'] = mode


def _advance(d):
    """The state one step on: p expm(Q dt), interpolated in the states
    between the grid points around the present Vm and ligand."""
    p, E, mode = d['state'], d['E'], d['mode']
    if mode == 'const':
        return p @ E[0]
    if mode == '2d':
        nx, ny = d['xdivs'], d['ydivs']
        xv = (min(max(d['Vm'], d['xmin']), d['xmax']) - d['xmin']) * d['invdx']
        yv = (min(max(d['lig'], d['ymin']), d['ymax']) - d['ymin']) * d['invdy']
        i, j = min(int(xv), nx), min(int(yv), ny)
        fx, fy = xv - i, yv - j
        i1, j1 = min(i + 1, nx), min(j + 1, ny)
        return (p @ E[i, j] * ((1 - fx) * (1 - fy)) + p @ E[i1, j] * (fx * (1 - fy))
                + p @ E[i, j1] * ((1 - fx) * fy) + p @ E[i1, j1] * (fx * fy))
    x = d['lig'] if mode == 'lig' else d['Vm']
    if x < d['xmin']:
        return p @ E[0]
    if x > d['xmax']:
        return p @ E[-1]
    xv = (x - d['xmin']) * d['invdx']
    i = min(int(xv), d['xdivs'] - 1)
    f = xv - i
    return p @ E[i] * (1 - f) + p @ E[i + 1] * f


# ============================================================ ODE solver
_ODE_METHODS = ('rk5', 'rk2', 'rk4', 'rkck', 'rk8pd', 'rk2imp', 'rk4imp', 'bsimp', 'gear1',
                'gear2', 'gsl', 'boost', 'rk5a', 'adaptive', 'rk54', 'rkcka', 'rk8a', 'rk8')


def _new_ode():
    return dict(state=np.zeros(0), init=np.zeros(0), Q=None, ok=False)


class MarkovOdeSolver(Neutral):
    """Markov channel solver that takes the rate matrix each step from a
    MarkovRateTable (``instratesOut`` -> ``handleQ``) and advances
    ``dp/dt = p Q`` over the step; ``init(initialState)`` sets the
    states.  The step is exact for Q constant over it (``expm(Q dt)``), so
    ``method``, ``internalDt`` and the accuracies, which choose MOOSE's
    Runge-Kutta integrator, do not change the result beyond that
    integrator's 1e-8 tolerance; the state is renormalised to sum 1 as
    MOOSE does."""

    default_tick = 2

    isInitialized = Field(False, '', 'True once init() was called', type='bool', ro=True,
                          stored=False)
    method = Field('rk5', '', 'Integrator name (MOOSE\'s; the step is exact here)',
                   type='string')
    relativeAccuracy = Field(1e-8, '', 'Relative accuracy (MOOSE\'s integrator)')
    absoluteAccuracy = Field(1e-8, '', 'Absolute accuracy (MOOSE\'s integrator)')
    internalDt = Field(1e-6, 's', 'Initial internal step (MOOSE\'s integrator)')

    ports = (Src('stateOut', 'vector<double>', 'Sends the state every step'),
             Dest('handleQ', 'vector<vector<double>>', 'Receives the rate matrix [1/s]'),
             Dest('init', 'vector<double>', 'Sets the initial state'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _d(self):
        return _entries(self._el, 'mk', _new_ode)[self._idx]

    def _get_isInitialized(self):
        return self._d()['ok']

    def _set_method(self, v):
        if v not in _ODE_METHODS:
            raise FieldError(f'{self.path} (MarkovOdeSolver).method: unknown method {v!r}; '
                             f'valid: {", ".join(_ODE_METHODS)}')
        self._el.cols['method'][self._idx] = v

    def init(self, state):
        """Initial state (a row vector of occupancies)."""
        d = self._d()
        d['init'] = np.asarray(state, dtype=float).ravel().copy()
        d['state'] = d['init'].copy()
        n = len(d['init'])
        d['Q'] = np.zeros((n, n))
        d['ok'] = True

    _recv_init = init

    def _recv_handleQ(self, q):
        d = self._d()
        q = np.asarray(q, dtype=float)
        if d['Q'] is None or q.shape != d['Q'].shape:
            raise MessageError(f'{self.path} (MarkovOdeSolver).handleQ: got a {q.shape} '
                               f'matrix for {len(d["init"])} states (call init first)')
        d['Q'] = q

    @classmethod
    def _batch_role(cls, el):
        return 'python' if el.data.get('mk') else 'idle'

    @classmethod
    def _reinit(cls, el):
        for k, d in enumerate(_entries(el, 'mk', _new_ode)):
            if not d['ok'] or len(d['init']) == 0:
                raise SolverError(f'{el.path}[{k}] (MarkovOdeSolver): call init(initialState)'
                                  f' before reinit')
            d['state'] = d['init'].copy()
        MarkovSolverBase._send.__func__(cls, el)

    @classmethod
    def _process(cls, el, t, dt):
        from scipy.linalg import expm
        for d in el.data['mk']:
            p = d['state'] @ expm(d['Q'] * dt)
            d['state'] = p / p.sum()
        MarkovSolverBase._send.__func__(cls, el)


# =============================================================== channel
def _new_chan():
    return dict(state=np.zeros(0), init=np.zeros(0), gbar=np.zeros(0), labels=[])


class MarkovChannel(ChanBase):
    """Ion channel of Markov states: ``Gk = sum gbar[i] state[i]`` [S] over
    the first ``numOpenStates`` states, the state arriving each step from
    a solver (``handleState``); ``Ik = Gk (Ek - Vm)`` [A]."""

    ligandConc = Field(0.0, 'mM', 'Ligand concentration (received on handleLigandConc)')
    Vm = Field(0.0, 'V', 'Membrane potential last received', stored=False)
    numStates = Field(0, '', 'Number of states', type='unsigned int')
    numOpenStates = Field(0, '', 'Number of open (conducting) states, the first ones',
                          type='unsigned int')
    labels = Field(None, '', 'A label for each state', type='vector<string>', stored=False)
    state = Field(None, '', 'Occupancy probability of each state', type='vector', ro=True,
                  stored=False)
    initialState = Field(None, '', 'Occupancy at reinit', type='vector', stored=False)
    gbar = Field(None, 'S', 'Conductance of each open state', type='vector', stored=False)
    _Vm = Field(0.0, 'V', hidden=True)

    ports = (Dest('handleLigandConc', 'double', 'Receives the ligand concentration [mM]'),
             Dest('handleState', 'vector<double>', 'Receives the state from a solver'))

    def _d(self):
        return _entries(self._el, 'mk', _new_chan)[self._idx]

    def _get_Vm(self):
        return float(self._el.cols['_Vm'][self._idx])

    def _set_Vm(self, v):
        self._el.cols['_Vm'][self._idx] = v

    def _get_labels(self):
        return list(self._d()['labels'])

    def _set_labels(self, v):
        self._d()['labels'] = [str(x) for x in v]

    def _get_state(self):
        return self._d()['state'].copy()

    def _get_initialState(self):
        return self._d()['init'].copy()

    def _set_initialState(self, v):
        d = self._d()
        d['init'] = np.asarray(v, dtype=float).ravel().copy()
        d['state'] = d['init'].copy()

    def _get_gbar(self):
        return self._d()['gbar'].copy()

    def _set_gbar(self, v):
        self._d()['gbar'] = np.asarray(v, dtype=float).ravel().copy()

    def _recv_handleLigandConc(self, v):
        self._el.cols['ligandConc'][self._idx] = v

    def _recv_handleState(self, v):
        self._d()['state'] = np.asarray(v, dtype=float).ravel().copy()

    @classmethod
    def _on_copy(cls, new, old):
        new.data['mk'] = [{k: (v.copy() if hasattr(v, 'copy') else v) for k, v in e.items()}
                          for e in old.data.get('mk', [])]
        for k in ('Gk', 'Ik', 'Ek'):
            new.cols[k] = np.array(new.cols[k], dtype=float)

    @classmethod
    def _batch_role(cls, el):
        if links(el, 'channel') or links(el, 'IkOut') or links(el, 'handleState'):
            return 'python'
        return 'idle'

    @classmethod
    def _reinit(cls, el):
        c = el.cols
        for k, d in enumerate(_entries(el, 'mk', _new_chan)):
            if len(d['init']) == 0:
                raise SolverError(f'{el.path}[{k}] (MarkovChannel): initialState has not been '
                                  f'set')
            nopen = int(c['numOpenStates'][k])
            if len(d['gbar']) < nopen or len(d['init']) < nopen:
                raise SolverError(f'{el.path}[{k}] (MarkovChannel): numOpenStates = {nopen} '
                                  f'but gbar has {len(d["gbar"])} and initialState '
                                  f'{len(d["init"])} entries')
            d['state'] = d['init'].copy()
        comps = el.data['comps'] = cls._compartments(el)
        vm = cls._read_vm(el, comps)
        c['Gk'][:] = 0.0
        cls._send_current(el, comps, c['Gk'], vm)

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        if 'comps' not in el.data:
            el.data['comps'] = cls._compartments(el)
        comps = el.data['comps']
        nopen = c['numOpenStates']
        for k, d in enumerate(_entries(el, 'mk', _new_chan)):
            m = int(nopen[k])
            c['Gk'][k] = float(np.dot(d['gbar'][:m], d['state'][:m]))
        vm = cls._read_vm(el, comps)
        cls._send_current(el, comps, c['Gk'], vm)


__all__ = ['MarkovChannel', 'MarkovRateTable', 'MarkovSolverBase', 'MarkovSolver',
           'MarkovOdeSolver']
