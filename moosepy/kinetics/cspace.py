"""Reader of CSPACE model strings (``.cspace`` files), as MOOSE's
``loadModel`` builds them.

A cspace file holds one line: an optional name and colon, the topology
between pipes, then numbers::

    M1719: |DabX|DacX|Jbca|Jcba| 0.55 2.24 0.064 0.82 4.28 ...

Each 4-character term is a reaction type (an upper-case letter) and three
molecule slots (``a``-``z``; ``X`` for an unused slot):

====  ====================  ==========================================
type  scheme                built as
====  ====================  ==========================================
A     a <==> b              Reac: sub a, prd b
B     2a <==> b             Reac: sub a twice, prd b
E     a <==> b + c          Reac: sub a, prd b and c
F     2a <==> b + c         Reac: sub a twice, prd b and c
G     2a + b <==> c         Reac: sub a twice and b, prd c
H     2a + b <==> 2c        Reac: sub a twice and b, prd c twice
I     4a + b <==> c         Reac: sub a four times and b, prd c
C     a --a--> b            Enz on a: sub a, prd b
D     a --b--> b            Enz on b: sub a, prd b
J     a --b--> c            Enz on b: sub a, prd c
K     a --a--> b + c        Enz on a: sub a, prd b and c
L     a --b--> b + c        Enz on b: sub a, prd b and c
====  ====================  ==========================================

What is built (MOOSE's layout): ``<model>/kinetics`` a ``CubeMesh`` of
volume 1e-18 m^3 with an ``info`` Annotator, and the Neutrals ``graphs``,
``moregraphs``, ``geometry``, ``groups``.  Pools ``a``, ``b``, ... are
``Pool`` children of ``kinetics``: every letter up to the highest one named
exists (an unnamed letter in between still gets a pool).  A reaction is a
``Reac`` in ``kinetics`` named by its term (``AabX``); an enzyme is an
``Enz`` on its enzyme pool (``kinetics/b/DabX``) with its complex
``DabX_cplx``.  For each pool of ``kinetics`` a ``Table2``
``graphs/plot<name>`` records ``getConc`` (default tick 18).  The model is
not reinitialised by the load (tables start empty).

Parameters, in order: the initial concentration of each pool in letter
order [uM] (``concInit`` = value * 1e-3 mM), then two per term in term
order: for a Reac ``Kf`` and ``Kb`` (concentration units, 1/s and
1/(mM^(n-1) s)); for an Enz ``k3`` (= kcat, 1/s; ``k2`` is set to 4 * k3)
and ``Km`` [uM] (set as value * 1e-3 mM).  Values not given keep MOOSE's
defaults: 1 uM for a pool, 0.1 for a rate, Km 1 uM.

Solvers (``solverclass``) as for kkit files
(:func:`moosepy.kinetics.kkit.read_kkit`): 'gsl'/'rk5' a Stoich and
Ksolve in ``kinetics``, 'gssa' a Gsolve, 'ee' none.

A file MOOSE would misread (an unknown reaction type, a molecule name
outside a-z, ``X`` in a slot the type uses, more numbers than parameters,
a second model line) raises :class:`~moosepy.core.errors.ModelImportError`
naming the file, the line and what is wrong; the element tree is then
unchanged.  The file is bounded first by :data:`moosepy.limits`
(size, line length, lines).
"""

import itertools
import math
import os
import re

from ..core.errors import ModelImportError, MooseError
from ..core.limits import check_text

#: MOOSE's defaults for values the string does not give
DEFAULT_CONC_UM = 1.0
DEFAULT_RATE = 0.1
DEFAULT_KM_UM = 1.0

#: type -> (substrate slots, product slots) of a Reac (a slot repeated
#: for a stoichiometry above 1); slots are 1, 2, 3 of the term
_REACS = {
    'A': ((1,), (2,)),
    'B': ((1, 1), (2,)),
    'E': ((1,), (2, 3)),
    'F': ((1, 1), (2, 3)),
    'G': ((1, 1, 2), (3,)),
    'H': ((1, 1, 2), (3, 3)),
    'I': ((1, 1, 1, 1, 2), (3,)),
}
#: type -> (enzyme slot, substrate slot, product slots) of an Enz
_ENZS = {
    'C': (1, 1, (2,)),
    'D': (2, 1, (2,)),
    'J': (2, 1, (3,)),
    'K': (1, 1, (2, 3)),
    'L': (2, 1, (2, 3)),
}
_TERM = re.compile(r'[A-Z][a-zX]{3}')
_staging = itertools.count()


def _used_slots(kind):
    if kind in _REACS:
        subs, prds = _REACS[kind]
        return set(subs) | set(prds)
    e, s, p = _ENZS[kind]
    return {e, s} | set(p)


def parse_cspace(text, fname='<string>', line=1):
    """Parse one cspace model string.

    Returns ``(terms, values)``: the 4-character terms in order and the
    numbers after the topology (floats).  Raises ModelImportError naming
    *fname* and *line*."""
    def err(what):
        return ModelImportError(f'{fname}:{line}: {what}')

    s = text.strip()
    first = s.find('|')
    if first < 0:
        raise err("no '|' in the line: not a cspace model (expected "
                  "'[name:] |Term|Term|... values')")
    head = s[:first].strip()
    if head and not head.endswith(':'):
        raise err(f"text {head!r} before the topology; only a model name followed by ':' "
                  f"may precede the first '|'")
    rest = s[first + 1:]
    m = re.match(r'[^\s]*', rest)
    topo = m.group()
    tail = rest[m.end():]
    if not topo.endswith('|'):
        raise err(f"the topology {'|' + topo!r} does not end with '|'")
    terms = topo[:-1].split('|')
    for t in terms:
        if not _TERM.fullmatch(t):
            raise err(f'bad term {t!r}: expected a reaction type letter and three molecule '
                      f'letters a-z or X (e.g. AabX)')
        if t[0] not in _REACS and t[0] not in _ENZS:
            raise err(f"term {t!r}: unknown reaction type {t[0]!r}; valid: "
                      f"{', '.join(sorted(set(_REACS) | set(_ENZS)))}")
        for slot in sorted(_used_slots(t[0])):
            if t[slot] == 'X':
                raise err(f"term {t!r}: type {t[0]} uses molecule slot {slot + 1}, which is "
                          f"'X' (no molecule)")
    if '|' in tail:
        raise err("'|' after the parameters: the topology must be one run of terms "
                  "without blanks")
    values = []
    for tok in tail.split():
        try:
            v = float(tok)
        except ValueError:
            raise err(f'parameter {len(values) + 1}: expected a number, got {tok!r}') from None
        if not math.isfinite(v):
            raise err(f'parameter {len(values) + 1}: expected a finite number, got {tok!r}')
        values.append(v)
    return terms, values


def _molecules(terms):
    """Pool names in creation order: every letter a..(highest named)."""
    top = max((ord(c) for t in terms for c in t[1:] if c != 'X'), default=ord('a') - 1)
    return [chr(c) for c in range(ord('a'), top + 1)]


def _build(moose, base, terms, values, fname, line):
    kin = moose.CubeMesh(base.path + '/kinetics')
    moose.Annotator(kin.path + '/info')
    for n in ('graphs', 'moregraphs', 'geometry', 'groups'):
        moose.Neutral(f'{base.path}/{n}')
    kin.volume = 1e-18
    mols = _molecules(terms)
    nparm = len(mols) + 2 * len(terms)
    if len(values) > nparm:
        raise ModelImportError(
            f'{fname}:{line}: {len(values)} parameters given; the model has {nparm} '
            f'({len(mols)} initial concentrations, 2 per each of {len(terms)} reactions)')
    pools = {}

    def pool(letter):
        # pools appear as MOOSE creates them: up to the letter, as needed
        for c in mols[:ord(letter) - ord('a') + 1]:
            if c not in pools:
                pools[c] = moose.Pool(f'{kin.path}/{c}')
        return pools[letter]

    reacs = []
    for t in terms:
        for c in t[1:]:
            if c != 'X':
                pool(c)
        if t[0] in _REACS:
            r = moose.Reac(f'{kin.path}/{t}')
            subs, prds = _REACS[t[0]]
            for slot in subs:
                moose.connect(r, 'sub', pools[t[slot]], 'reac')
            for slot in prds:
                moose.connect(r, 'prd', pools[t[slot]], 'reac')
        else:
            e_slot, s_slot, p_slots = _ENZS[t[0]]
            host = pools[t[e_slot]]
            r = moose.Enz(f'{host.path}/{t}')
            cplx = moose.Pool(f'{r.path}/{t}_cplx')
            moose.connect(r, 'cplx', cplx, 'reac')
            moose.connect(host, 'reac', r, 'enz')
            moose.connect(pools[t[s_slot]], 'reac', r, 'sub')
            for slot in p_slots:
                moose.connect(pools[t[slot]], 'reac', r, 'prd')
        reacs.append(r)
    params = [DEFAULT_CONC_UM] * len(mols)
    for r in reacs:
        params += [DEFAULT_RATE, DEFAULT_RATE] if r.className == 'Reac' else \
            [DEFAULT_RATE, DEFAULT_KM_UM]
    params[:len(values)] = values
    for i, v in enumerate(values):
        if v < 0:
            what = (f'initial concentration of pool {mols[i]}' if i < len(mols) else
                    f'rate parameter {(i - len(mols)) % 2 + 1} of {terms[(i - len(mols)) // 2]}')
            raise ModelImportError(f'{fname}:{line}: {what} must be >= 0, got {v}')
    for i, c in enumerate(mols):
        pools[c].concInit = params[i] * 1e-3          # uM -> mM
    k = len(mols)
    for r in reacs:
        p1, p2 = params[k], params[k + 1]
        k += 2
        if r.className == 'Reac':
            r.Kf, r.Kb = p1, p2
        else:
            if not p1 >= 0 or not p2 > 0:
                raise ModelImportError(
                    f'{fname}:{line}: enzyme {r.name}: kcat must be >= 0 and Km > 0, got '
                    f'kcat {p1} 1/s, Km {p2} uM')
            r.k3 = p1
            r.k2 = 4.0 * p1
            r.Km = p2 * 1e-3                            # uM -> mM
    for c in mols:
        tab = moose.Table2(f'{base.path}/graphs/plot{c}')
        moose.connect(tab, 'requestOut', pools[c], 'getConc')
    return reacs


def read_cspace(path, modelpath='/model', solverclass='gsl'):
    """Load a ``.cspace`` file into the element tree (see the module doc).

    Parameters
    ----------
    path : str
        The file: one model line (blank lines after it are allowed).
    modelpath : str
        Path of the model element to create (must not exist yet); a
        relative path is taken under the current working element.
    solverclass : str
        As for kkit files: 'gsl' (Ksolve), 'gssa' (Gsolve), 'ee' (none)
        and the other names :func:`moosepy.kinetics.kkit.read_kkit` takes.

    Returns
    -------
    The model element (a ``Neutral``).
    """
    import moosepy as moose
    from .kkit import _solver_kind, _add_solvers
    fname = str(path)
    kind, method = _solver_kind(solverclass)
    if os.path.isdir(fname) or not os.path.exists(fname):
        raise ModelImportError(f'{fname}: no such file')
    check_text(fname)
    with open(fname, 'rb') as fh:
        data = fh.read()
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise ModelImportError(f'{fname}:{line}: not a text file (byte 0x{data[e.start]:02x} '
                               f'is not UTF-8)') from None
    lines = [(i, s) for i, s in enumerate(text.split('\n'), 1) if s.strip()]
    if not lines:
        raise ModelImportError(f'{fname}:1: empty file; a cspace file holds one model line')
    if len(lines) > 1:
        raise ModelImportError(f'{fname}:{lines[1][0]}: a second non-blank line; a cspace '
                               f'file holds one model line (the first is line {lines[0][0]})')
    num, line = lines[0]
    bad = re.search(r'[\x00-\x08\x0b-\x1f\x7f]', line.rstrip('\r'))
    if bad:
        raise ModelImportError(f'{fname}:{num}: control character {bad.group()!r} in the '
                               f'text; not a cspace file')
    terms, values = parse_cspace(line, fname, num)

    modelpath = modelpath if modelpath.startswith('/') else \
        moose.getCwe().path.rstrip('/') + '/' + modelpath
    parent_path, _, name = modelpath.rstrip('/').rpartition('/')
    parent_path = parent_path or '/'
    if not name or not moose.exists(parent_path):
        raise ModelImportError(f'{fname}: cannot create the model at {modelpath!r} (parent '
                               f'{parent_path!r} does not exist)')
    if moose.exists(modelpath):
        raise ModelImportError(f'{fname}: {modelpath} already exists; delete it or load the '
                               f'model elsewhere')
    staging = moose.Neutral(f'/cspace_staging_{next(_staging)}')
    model = None
    try:
        base = moose.Neutral(staging.path + '/' + name)
        _build(moose, base, terms, values, fname, num)
        moose.move(base, parent_path)
        model = moose.element(modelpath)
        moose.delete(staging)
        staging = None
        _add_solvers(moose, modelpath, kind, method)
        if kind != 'ee':
            moose.element(modelpath + '/kinetics/info').solver = \
                'gssa' if kind == 'gssa' else 'gsl'
    except BaseException as e:
        if staging is not None and moose.exists(staging.path):
            moose.delete(staging)
        if model is not None and moose.exists(modelpath):
            moose.delete(modelpath)
        if isinstance(e, MooseError) and not isinstance(e, ModelImportError):
            raise ModelImportError(f'{fname}:{num}: {e}') from e
        raise
    return model
