"""Bounds on model files, checked before any parser sees them.

Owns :data:`limits` (exported as ``moosepy.limits``), the bounds every
model file is checked against, and the streaming checks themselves:

* :func:`check_xml` reads an XML file (SBML; NeuroML and ChannelML when
  their readers exist) once with the standard library's expat parser,
  handlers only, no tree: total size, line length, number of elements,
  element nesting depth, MathML nesting depth and size per ``<math>``, and
  the depth of SBML function definitions calling one another (and their
  cycles), and any ``<!DOCTYPE>`` entity declaration or external reference (refused:
  no model format needs them, and they are how entity-expansion bombs and
  external-file reads get in).  A file that is not well-formed XML is
  refused here too, with expat's line and column.
* :func:`check_text` reads a text model (kkit ``.g``, SWC, GENESIS ``.p``,
  cspace) in chunks: total size, line length, number of lines.

Only then does libsbml (C++, recursive: it segfaults on MathML or
annotations nested some thousands deep, and its consistency check takes
time quadratic in the nesting depth and in the size of one expression) or
a Python reader see the file.
Beyond a bound the check raises one :class:`ModelImportError` that names
the file, the line, the bound and how to raise it.

What it does not own: checks of values (a negative volume, a cycle of
parents); those are the readers'.

Raising a bound, for a file that is unusual but trusted::

    import moosepy as moose
    moose.limits.max_math_depth = 2000           # for the rest of the session
    with moose.limits.override(max_elements=50_000_000):
        moose.loadModel('genome_scale.xml', '/model')   # for this load only

libsbml itself crashes (takes the process down) on MathML nested about
5000-8000 deep, so ``max_depth`` and ``max_math_depth`` above ~4000 are
not safe for SBML whatever the setting says.
"""

import contextlib
import os
from dataclasses import dataclass, fields

from .errors import ModelImportError

_MATHML_NS = 'http://www.w3.org/1998/Math/MathML'


@dataclass
class Limits:
    """Bounds on a model file (see the module docstring).  Change an
    attribute to raise a bound for the session, or use :meth:`override`
    for one block.  A value of ``None`` switches that bound off."""

    #: size of the file [bytes]
    max_bytes: int = 512 * 1024 * 1024
    #: characters in one line (minified XML is one long line: kept generous)
    max_line_length: int = 16 * 1024 * 1024
    #: XML elements in a file; lines in a text model (kkit, SWC, .p, cspace)
    max_elements: int = 10_000_000
    #: XML element nesting depth, annotations included
    max_depth: int = 512
    #: MathML element nesting depth inside one <math> (libsbml's checks take
    #: time quadratic in it and crash some thousands deep)
    max_math_depth: int = 256
    #: MathML elements inside one <math> (libsbml's consistency check takes
    #: time quadratic in it: ~2 s for 16,000, ~55 s for 64,000)
    max_math_nodes: int = 10_000
    #: SBML function definitions calling one another this deep (libsbml's
    #: consistency check takes time growing ~ depth^6: 0.01 s at 20, 3 s at
    #: 60, 67 s at 100)
    max_function_depth: int = 20
    #: nodes of one expression after SBML function definitions are inlined
    #: (f2(x) = f1(f1(x)) ... doubles the size per level)
    max_expr_nodes: int = 1_000_000
    #: values in one rdesigner spec document (JSON/YAML), a YAML alias
    #: counted at each use
    max_doc_nodes: int = 1_000_000
    #: nesting of one Function expression (parentheses, prefix operators,
    #: powers): the expression parser is recursive-descent
    max_expr_depth: int = 60
    #: largest coordinate, radius, diameter or segment length of a
    #: morphology [µm] (SWC, GENESIS .p, NeuroML MorphML): 1 m, far beyond
    #: any cell; a larger one is almost surely a unit error (and squares of
    #: such numbers overflow the cable equations' arithmetic)
    max_morph_size_um: float = 1e6

    def override(self, **changes):
        """Context manager: the given bounds for the block, then the old
        ones back.  Unknown names raise ``ModelImportError`` listing the
        valid ones."""
        valid = [f.name for f in fields(self)]
        for k in changes:
            if k not in valid:
                raise ModelImportError(f'moosepy.limits has no bound {k!r}; valid: '
                                       f'{", ".join(valid)}')
        return self._override(changes)

    @contextlib.contextmanager
    def _override(self, changes):
        old = {k: getattr(self, k) for k in changes}
        for k, v in changes.items():
            setattr(self, k, v)
        try:
            yield self
        finally:
            for k, v in old.items():
                setattr(self, k, v)


#: the bounds in force (``moosepy.limits``)
limits = Limits()


def bound_error(path, line, what, name, value):
    """The one error for a bound passed: file, line, bound, how to raise it."""
    where = f'{path}, line {line}' if line else f'{path}'
    return ModelImportError(
        f'{where}: {what} exceeds the bound {name} = {value} (moosepy.limits.{name}); '
        f'for a trusted file raise it with moosepy.limits.{name} = N, or for one load '
        f'`with moosepy.limits.override({name}=N): ...`')


def _bound(name):
    v = getattr(limits, name)
    return None if v is None else int(v)


def _check_size(path):
    try:
        st = os.stat(path)
    except OSError as e:
        raise ModelImportError(f'{path}: cannot read the file ({e.strerror or e})') from None
    if os.path.isdir(path):
        raise ModelImportError(f'{path}: is a directory, not a model file')
    cap = _bound('max_bytes')
    if cap is not None and st.st_size > cap:
        raise bound_error(path, 0, f'file size {st.st_size} bytes', 'max_bytes', cap)
    return st.st_size


def _lines_ok(path, chunk=1 << 20):
    """Stream the bytes: number of lines; raise past max_line_length or
    max_elements (counted as lines).  Linear in the file size, one pass of
    C-level searches per chunk."""
    cap_len = _bound('max_line_length')
    cap_lines = _bound('max_elements')
    line, cur = 1, 0
    try:
        fh = open(path, 'rb')
    except OSError as e:
        raise ModelImportError(f'{path}: cannot read the file ({e.strerror or e})') from None
    with fh:
        while True:
            buf = fh.read(chunk)
            if not buf:
                break
            first = buf.find(b'\n')
            if first < 0:
                cur += len(buf)
                if cap_len is not None and cur > cap_len:
                    raise bound_error(path, line, f'a line longer than {cap_len} characters',
                                      'max_line_length', cap_len)
                continue
            n = buf.count(b'\n')
            if cap_len is not None and (cur + first > cap_len or len(buf) > cap_len):
                # a line inside this chunk may be the long one: find it
                start = 0
                while True:
                    k = buf.find(b'\n', start)
                    if cur + (k if k >= 0 else len(buf)) - start > cap_len:
                        raise bound_error(path, line,
                                          f'a line longer than {cap_len} characters',
                                          'max_line_length', cap_len)
                    if k < 0:
                        break
                    line, cur, start = line + 1, 0, k + 1
                line -= n      # counted again below
            line += n
            cur = len(buf) - buf.rfind(b'\n') - 1
            if cap_lines is not None and line > cap_lines + 1:
                raise bound_error(path, cap_lines + 1, f'more than {cap_lines} lines',
                                  'max_elements', cap_lines)
    return line


def check_text(path):
    """Bounds of a text model file (kkit, SWC, .p, cspace): size, line
    length, number of lines.  Raises :class:`ModelImportError`."""
    path = os.fspath(path)
    _check_size(path)
    _lines_ok(path)


def check_xml(path):
    """Bounds of an XML model file, checked by a streaming expat pass (see
    the module docstring).  Raises :class:`ModelImportError` naming the
    file and line."""
    from xml.parsers import expat
    path = os.fspath(path)
    _check_size(path)
    _lines_ok(path)
    max_depth = _bound('max_depth')
    max_mdepth = _bound('max_math_depth')
    max_mnodes = _bound('max_math_nodes')
    max_el = _bound('max_elements')
    p = expat.ParserCreate(namespace_separator=' ')
    # parameter entities and external DTD subsets are never fetched
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    st = {'depth': 0, 'n': 0, 'math_at': None, 'mnodes': 0}

    def line():
        return p.CurrentLineNumber

    def start(name, attrs):
        st['depth'] += 1
        st['n'] += 1
        d = st['depth']
        if max_depth is not None and d > max_depth:
            raise bound_error(path, line(), f'elements nested {d} deep', 'max_depth',
                              max_depth)
        if max_el is not None and st['n'] > max_el:
            raise bound_error(path, line(), f'more than {max_el} elements', 'max_elements',
                              max_el)
        if st['math_at'] is None:
            if name == _MATHML_NS + ' math':
                st['math_at'] = d
                st['mnodes'] = 0
            return
        md = d - st['math_at']
        st['mnodes'] += 1
        if max_mdepth is not None and md > max_mdepth:
            raise bound_error(path, line(), f'MathML nested {md} deep', 'max_math_depth',
                              max_mdepth)
        if max_mnodes is not None and st['mnodes'] > max_mnodes:
            raise bound_error(path, line(), f'more than {max_mnodes} MathML elements in one <math>',
                        'max_math_nodes', max_mnodes)

    def end(name):
        if st['math_at'] == st['depth']:
            st['math_at'] = None
        st['depth'] -= 1

    def entity_decl(name, is_param, value, base, system_id, public_id, notation):
        kind = 'external entity' if system_id or public_id else 'entity'
        raise ModelImportError(
            f'{path}, line {line()}: <!DOCTYPE> declares the {kind} {name!r}; model files '
            f'may not declare entities (no model format needs them; they can expand without '
            f'bound or read other files), so the file is refused')

    def external_ref(context, base, system_id, public_id):
        raise ModelImportError(f'{path}, line {line()}: reference to the external '
                               f'document {system_id or public_id!r}; refused (a model '
                               f'file must be self-contained)')

    def doctype(name, system_id, public_id, has_internal):
        if system_id or public_id:
            raise ModelImportError(f'{path}, line {line()}: <!DOCTYPE {name}> names an '
                                   f'external DTD ({system_id or public_id!r}); refused (a '
                                   f'model file must be self-contained)')

    # SBML function definitions: the names each one's math reads (calls
    # among them), for the call-depth bound and cycles
    fdefs = {}         # id -> (line, set of <ci> names)
    cur = {'fd': None, 'ci': None}

    def start_all(name, attrs):
        start(name, attrs)
        if name.endswith(' functionDefinition') or name == 'functionDefinition':
            fid = attrs.get('id', '')
            fdefs[fid] = (line(), set())
            cur['fd'] = fid
        elif cur['fd'] is not None and name == _MATHML_NS + ' ci':
            cur['ci'] = []

    def end_all(name):
        if cur['ci'] is not None and name == _MATHML_NS + ' ci':
            fdefs[cur['fd']][1].add(''.join(cur['ci']).strip())
            cur['ci'] = None
        elif name.endswith(' functionDefinition') or name == 'functionDefinition':
            cur['fd'] = None
        end(name)

    def text(data):
        if cur['ci'] is not None:
            cur['ci'].append(data)

    p.StartElementHandler = start_all
    p.EndElementHandler = end_all
    p.CharacterDataHandler = text
    p.EntityDeclHandler = entity_decl
    p.ExternalEntityRefHandler = external_ref
    p.StartDoctypeDeclHandler = doctype
    try:
        with open(path, 'rb') as fh:
            p.ParseFile(fh)
    except expat.ExpatError as e:
        raise ModelImportError(f'{path}, line {e.lineno}: not well-formed XML '
                               f'(column {e.offset + 1}: {expat.ErrorString(e.code)})'
                               ) from None
    except OSError as e:
        raise ModelImportError(f'{path}: cannot read the file ({e.strerror or e})') from None
    except (LookupError, UnicodeError) as e:      # <?xml encoding="UTF-nan"?>
        raise ModelImportError(f'{path}, line 1: the XML declaration names an encoding that '
                               f'cannot be read ({e}); valid: UTF-8, UTF-16, ISO-8859-1, '
                               f'US-ASCII and the other codecs Python knows') from None
    if st['n'] == 0:
        raise ModelImportError(f'{path}: no XML element in the file')
    if fdefs:
        _check_function_depth(path, fdefs)


def _check_function_depth(path, fdefs):
    """Longest chain of SBML function definitions calling one another
    (Kahn's order, iterative); a cycle is refused here too."""
    calls = {f: [g for g in names if g in fdefs and g != f] for f, (_l, names) in fdefs.items()}
    for f, (ln, names) in fdefs.items():
        if f in names:
            raise ModelImportError(f'{path}, line {ln}: function definition {f!r} calls '
                                   f'itself (recursion)')
    users = {f: [] for f in fdefs}
    need = {f: len(set(c)) for f, c in calls.items()}
    for f, c in calls.items():
        for g in set(c):
            users[g].append(f)
    depth = {}
    ready = [f for f, k in need.items() if k == 0]
    for f in ready:
        depth[f] = 1
    while ready:
        g = ready.pop()
        for f in users[g]:
            depth[f] = max(depth.get(f, 1), depth[g] + 1)
            need[f] -= 1
            if need[f] == 0:
                ready.append(f)
    left = [f for f, k in need.items() if k > 0]
    if left:
        f = min(left, key=lambda x: fdefs[x][0])
        raise ModelImportError(f'{path}, line {fdefs[f][0]}: function definitions call each '
                               f'other in a cycle (recursion), among: '
                               f'{", ".join(sorted(left)[:8])}')
    cap = _bound('max_function_depth')
    if cap is not None:
        f = max(depth, key=depth.get)
        if depth[f] > cap:
            raise bound_error(path, fdefs[f][0], f'function definitions calling one another '
                              f'{depth[f]} deep (through {f!r})', 'max_function_depth', cap)
