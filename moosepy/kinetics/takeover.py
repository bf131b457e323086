"""What a Stoich does to its objects the moment ``reacSystemPath`` is set.

moosepy's solvers compile at ``reinit`` (see :mod:`moosepy.kinetics.stoich`),
but MOOSE's Stoich takes the objects over when the path is set, and between
then and its solver's own reinit (tick 16) that shows:

* a pool it takes reads ``n = 0`` (its solver's state starts empty); a
  buffered pool reads ``n = nInit``.  The pool is its solver's from then on
  (``data['solver']``): ``n`` can be set, and setting ``concInit``/``nInit``
  no longer moves ``n``.  So an object on an earlier
  tick that reads the pool at reinit (a Table on tick 8, an Adaptor on tick
  11 pulling ``getConc``) gets 0 at the first reinit; the solver's reinit
  then puts every pool at its initial value.
* the Functions that set those pools (``setN``, ``setNInit``, ``setConc``,
  ``setConcInit``, ``increment``) or a reaction's ``setNumKf`` are taken off
  the clock: their own reinit sends nothing (a ``doEvalAtReinit`` Function
  does not assign its pool from the zeroed inputs).

MOOSE does this only when the Stoich already has its ``ksolve`` and
``compartment`` and the path finds a pool, reaction, enzyme or Function;
otherwise it builds nothing then, and neither does this.
"""

from ..core.shell import wildcard_elements

# ports through which a Function sets a pool or a rate constant (MOOSE's
# Stoich::zombifyModel looks for a Function behind exactly these)
_POOL_PORTS = frozenset(('setN', 'setNInit', 'setConc', 'setConcInit', 'increment'))
_REAC_PORTS = frozenset(('setNumKf',))


def take_over(stoich_el, path):
    """Apply MOOSE's take-over at ``reacSystemPath = path`` to the objects
    *path* finds (see the module docstring); a no-op where MOOSE builds
    nothing yet, and once the solver has compiled (a later reinit compiles
    the new path)."""
    from .enz import EnzBase
    from .function import Function
    from .pool import PoolBase, BufPool
    from .reac import ReacBase
    ks = stoich_el.data.get('_ksolve')
    comp = stoich_el.data.get('_compartment')
    if not path or ks is None or not ks.alive or comp is None or not comp.alive or \
            ks.data.get('compiled') is not None:
        return
    els = wildcard_elements(path)
    if not any(issubclass(e.cls, (PoolBase, ReacBase, EnzBase, Function)) for e in els):
        return
    from .mesh import spread_pool
    for el in els:
        if issubclass(el.cls, PoolBase):
            ports = _POOL_PORTS
            if el.data.get('solver') is None:
                spread_pool(el)
            # the pool is the solver's from now on (its n settable, nInit no
            # longer moving n) though the solver compiles only at reinit; a
            # pool another solver holds keeps that solver's state
            if el.data.get('solver') is None:
                if issubclass(el.cls, BufPool):
                    el.cols['n'][:] = el.cols['nInit']
                else:
                    el.cols['n'][:] = 0.0
                el.data['solver'] = ks
        elif issubclass(el.cls, ReacBase):
            ports = _REAC_PORTS
        else:
            continue
        for m in el.msg_in:
            if m.destField in ports and issubclass(m.el1.cls, Function):
                m.el1.data['unscheduled_by'] = stoich_el


def unscheduled(func_el):
    """True while the Stoich that took Function *func_el* off the clock (at
    its reacSystemPath) is alive and still has a reaction system."""
    st = func_el.data.get('unscheduled_by')
    if st is None:
        return False
    if not st.alive or not st.cols['reacSystemPath'][0]:
        func_el.data.pop('unscheduled_by', None)
        return False
    return True
