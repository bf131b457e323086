"""rdesigner models as documents: a dict (or JSON/YAML file) in either
moosepy's own form (the constructor keywords, each spec list as MOOSE's
lists or as dicts of the spec fields) or MOOSE 5.0's jardesigner form
(``cellProto: {type: ballAndStick, somaDia: ...}``, ``chanDistrib: [{proto,
path, Gbar}]``, ``stims``, ``plots``, ``odeMethod``, ``randseed``, ...),
written back out in moosepy's form, and a JSON Schema generated from the
spec classes.

    rdes = rd.load('model.json')        # or rd.load({...})
    doc = rdes.to_document()            # JSON-ready dict, with the seed and version
    schema = rd.json_schema()
"""

import dataclasses
import inspect
import json
import os

from .specs import (SpecError, CellProto, ChanProto, SpineProto, ChemProto, PassiveDistrib,
                    ChanDistrib, SpineDistrib, ChemDistrib, AdaptorSpec, rstim, rplot, rmoog,
                    rfile, CELL_SHAPES, spec_to_list)

SPEC_CLASSES = {'cellProto': CellProto, 'chanProto': ChanProto, 'spineProto': SpineProto,
                'chemProto': ChemProto, 'passiveDistrib': PassiveDistrib,
                'chanDistrib': ChanDistrib, 'spineDistrib': SpineDistrib,
                'chemDistrib': ChemDistrib, 'adaptorList': AdaptorSpec, 'stimList': rstim,
                'plotList': rplot, 'moogList': rmoog, 'outputFileList': rfile}

# jardesigner's top-level names -> constructor keywords
_TOP = {'odeMethod': 'ode_method', 'adaptors': 'adaptorList', 'stims': 'stimList',
        'plots': 'plotList', 'files': 'outputFileList', 'moogli': 'moogList',
        'seed': 'randseed'}
_IGNORED = ('filetype', 'version', 'runtime', 'displayMoogli', 'moosepy_version')


def _constructor_keywords():
    from .builder import rdesigneur
    return [p for p in inspect.signature(rdesigneur.__init__).parameters if p != 'self']


def _jar_cell(c):
    t = c.get('type')
    if t in CELL_SHAPES:
        names = CELL_SHAPES[t][1:]
        alias = {'numDendSeg': 'dendNumSeg', 'dendNumSeg': 'numDendSeg', 'somaDia': 'dia',
                 'somaLen': 'len'}
        vals = []
        for n in names:
            v = c.get(n, c.get(alias.get(n, ''), None))
            if v is None:
                break
            vals.append(v)
        return [[t, c.get('name', 'cell')] + vals]
    if t in ('file', 'func', 'in_memory'):
        src = c['source']
        if t == 'func' and not src.endswith('()'):
            src += '()'
        return [[src, c.get('name', 'cell')]]
    raise SpecError(f"rdesigneur document cellProto type = {t!r}: expected one of "
                    f"{', '.join(list(CELL_SHAPES) + ['file', 'func', 'in_memory'])}")


def _jar_proto(lst, items):
    out = []
    for i, p in enumerate(items):
        if not isinstance(p, dict):
            out.append(p)
            continue
        src, t = p.get('source'), p.get('type')
        if t in ('builtin', 'func') and isinstance(src, str) and not src.endswith('()'):
            src += '()'
        if lst == 'chanProto' and t == 'neuroml' and 'name' not in p:
            out.append([src])
        else:
            out.append([src, p.get('name', '')])
    return out


def _jar_pairs(items, head, fields):
    out = []
    for p in items:
        if not isinstance(p, dict):
            out.append(p)
            continue
        row = [p[h] for h in head]
        for k, v in p.items():
            if k not in head:
                row += [k, v]
        out.append(row)
    return out


def _jar_list(lst, items):
    """One jardesigner list in moosepy's list form."""
    if lst in ('chanProto', 'spineProto', 'chemProto'):
        return _jar_proto(lst, items)
    if lst == 'passiveDistrib':
        return _jar_pairs(items, ('path',), ())
    if lst == 'chanDistrib':
        return _jar_pairs(items, ('proto', 'path'), ())
    out = []
    for p in items:
        if not isinstance(p, dict):
            out.append(p)
            continue
        if lst == 'spineDistrib':
            out.append([p['proto'], p['path'], p.get('spacing', '10e-6'),
                        p.get('minSpacing', '1e-6'), p.get('sizeScale', p.get('size', '1')),
                        p.get('sizeSdev', p.get('sizeDistrib', '0.5')), p.get('angle', '0'),
                        p.get('angleSdev', p.get('angleDistrib', '6.2831853'))])
        elif lst == 'chemDistrib':
            t = p['type']
            row = [p['proto'], p['path'], t, p.get('geomExpr', '1')]
            if t == 'dend':
                row.append(p.get('maxVoxelLen', p.get('voxelLength', 2e-6)))
            elif t in ('spine', 'psd'):
                row.append(p['parentDend'] if 'parentDend' in p else p['parent'])
            elif t.startswith('presyn'):
                row += [p['radius'], p.get('radiusSdev', 0)]
                if t == 'presyn_dend':
                    row.append(p['spacing'])
            elif t.startswith('endo'):
                row += [p.get('outerCompt', p.get('surround')),
                        p.get('radiusScale', p.get('radiusRatio', 0.5))]
            out.append(row)
        elif lst == 'adaptorList':
            out.append([p['source'], p['sourceField'], p['dest'], p['destField'],
                        p.get('baseline', p.get('offset', 0.0)),
                        p.get('slope', p.get('scale', 1.0))])
        elif lst == 'stimList':
            t = p.get('type', 'field')
            if t in ('periodicsyn', 'randsyn'):
                out.append([p['path'], p.get('weight', 1), p.get('relpath', '.'), t,
                            p['expr']])
            else:
                out.append([p['path'], p.get('geomExpr', '1'), p.get('relpath', '.'),
                            p['field'], p['expr']])
        elif lst == 'plotList':
            out.append(rplot(p.get('path', 'soma'), p.get('geomExpr', '1'),
                             p.get('relpath', '.'), p.get('field', 'Vm'),
                             p.get('title', 'Membrane potential'), p.get('mode', 'time'),
                             p.get('ymin', 0), p.get('ymax', 0)))
        elif lst == 'moogList':
            out.append(rmoog(p.get('path', 'soma'), p.get('geomExpr', '1'),
                             p.get('relpath', '.'), p.get('field', 'Vm'),
                             p.get('title', 'Membrane potential'), p.get('ymin', 0),
                             p.get('ymax', 0), True, p.get('diaScale', 1.0)))
        elif lst == 'outputFileList':
            out.append(rfile(p.get('file', 'output.h5'), p.get('path', 'soma'),
                             p.get('field', 'Vm'), p.get('dt', 1e-4),
                             p.get('flushSteps', 200)))
        else:
            out.append(p)
    return out


def _entry_error(where, exc, item):
    """The SpecError for a jardesigner entry that lacks a key or holds a
    value of the wrong type (the KeyError/TypeError/AttributeError *exc*)."""
    got = ', '.join(map(str, item)) if isinstance(item, dict) else repr(item)
    return SpecError(f'rdesigneur document {where}: '
                     + (f'no key {exc}' if isinstance(exc, KeyError)
                        else f'a value of the wrong type ({exc})')
                     + f'; the entry has: {got}')


def keywords_from_document(doc):
    """Constructor keywords of a document (dict)."""
    if not isinstance(doc, dict):
        raise SpecError(f'rdesigneur document: expected a dict, got {type(doc).__name__}')
    known = _constructor_keywords()
    kw = {}
    for k, v in doc.items():
        key = _TOP.get(k, k)
        if k in _IGNORED:
            continue
        if key not in known:
            from .specs import suggest
            raise SpecError(f'rdesigneur document: unknown key {k!r}{suggest(k, known)}; '
                            f'valid: {", ".join(known)}')
        if key == 'cellProto' and isinstance(v, dict):
            try:
                v = _jar_cell(v)
            except (KeyError, TypeError, AttributeError) as exc:    # {"type": {}}, no source
                raise _entry_error(k, exc, v) from None
        elif key in SPEC_CLASSES and isinstance(v, list):
            rows = []
            for i, item in enumerate(v):
                try:
                    rows += _jar_list(key, [item])
                except (KeyError, TypeError, AttributeError) as exc:
                    raise _entry_error(f'{k}[{i}]', exc, item) from None
            v = rows
        kw[key] = v
    return kw


def load(source):
    """An rdesigneur from a dict or a .json/.yaml file."""
    from .builder import rdesigneur
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        doc = _read_file(path)
        _check_document(doc, path)
    else:
        return rdesigneur(**keywords_from_document(source))
    try:
        return rdesigneur(**keywords_from_document(doc))
    except SpecError as exc:
        # a bad value in a file: name the file and the line of its key
        raise SpecError(f'{path}{_key_line(path, str(exc))}: {exc}') from None


def _key_line(path, msg):
    """', line N' of the first line of *path* that holds the key the
    error *msg* names (``rdesigneur <key>[i] ...``), or ''."""
    import re
    m = re.match(r'rdesigneur (\w+)', msg)
    if not m:
        return ''
    key = m.group(1)
    pat = re.compile(r'(^|[\s{,"\'])' + re.escape(key) + r'["\']?\s*:')
    try:
        with open(path, encoding='utf-8') as fh:
            for n, line in enumerate(fh, 1):
                if pat.search(line):
                    return f', line {n}'
    except OSError:
        pass
    return ''


def _read_file(path):
    """The document in a .json/.yaml file; every failure a SpecError or
    ModelImportError naming the file (and line where the parser knows it)."""
    from ..core.limits import check_text, bound_error, limits
    check_text(path)        # size and line length bounded (moosepy.limits)
    try:
        with open(path, 'rb') as fh:
            raw = fh.read()
        text = raw.decode('utf-8')
    except OSError as exc:
        raise SpecError(f'{path}: cannot read the file ({exc.strerror or exc})') from None
    except UnicodeDecodeError as exc:
        ln = raw[:exc.start].count(b'\n') + 1
        raise SpecError(f'{path}, line {ln}: not UTF-8 text '
                        f'(byte {raw[exc.start]:#04x})') from None
    try:
        if path.endswith(('.yaml', '.yml')):
            import yaml
            try:
                return yaml.safe_load(text)
            except yaml.YAMLError as exc:
                mark = getattr(exc, 'problem_mark', None)
                where = f', line {mark.line + 1}' if mark is not None else ''
                raise SpecError(f'{path}{where}: not valid YAML '
                                f'({getattr(exc, "problem", None) or exc})') from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f'{path}, line {exc.lineno}: not valid JSON ({exc.msg})') from None
    except RecursionError:
        raise bound_error(path, None, 'the nesting of lists and mappings', 'max_depth',
                          limits.max_depth) from None


def _check_document(doc, path):
    """Nesting depth and number of values of a parsed document (YAML
    aliases counted at every use: an alias bomb expands to billions)."""
    from ..core.limits import bound_error, limits
    max_depth, max_n = limits.max_depth, limits.max_doc_nodes
    stack, n = [(doc, 1)], 0
    while stack:
        v, d = stack.pop()
        n += 1
        if max_n is not None and n > max_n:
            raise bound_error(path, None, f'more than {max_n} values (YAML aliases counted '
                              'at each use)', 'max_doc_nodes', max_n)
        if max_depth is not None and d > max_depth:
            raise bound_error(path, None, f'lists and mappings nested {d} deep', 'max_depth',
                              max_depth)
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend((x, d + 1) for x in v)


def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, 'text') and type(v).__name__ == 'Expr':
        return v.text
    if callable(v):
        return getattr(v, '__name__', repr(v))
    return v


def to_document(rdes):
    """The rdesigneur's settings and specs as a JSON-ready dict (MOOSE's
    list forms), with the seed and the moosepy version."""
    import moosepy
    doc = {'filetype': 'rdesigneur', 'moosepy_version': moosepy.__version__}
    for k in _constructor_keywords():
        if k in SPEC_CLASSES:
            attr = {'cellProto': 'cellProtoList', 'chanProto': 'chanProtoList',
                    'spineProto': 'spineProtoList', 'chemProto': 'chemProtoList'}.get(k, k)
            specs = getattr(rdes, attr, [])
            rows = []
            for s in specs:
                if isinstance(s, CellProto) and s.kind != 'source':
                    rows.append([s.kind, s.name] + list(s.params.values()))
                elif isinstance(s, ChanProto):
                    rows.append([_plain(s.source), s.name] if s.named else [s.source])
                else:
                    rows.append(_plain(spec_to_list(s)))
            doc[k] = rows
        elif k == 'extraBuildFunction':
            continue
        elif hasattr(rdes, k):
            doc[k] = _plain(getattr(rdes, k))
    return doc


def json_schema():
    """A JSON Schema (draft-07) of moosepy's document form, generated from
    the constructor keywords and the spec classes."""
    import inspect as _i
    from .builder import rdesigneur
    props = {}
    sig = _i.signature(rdesigneur.__init__)
    for name, p in sig.parameters.items():
        if name == 'self':
            continue
        if name in SPEC_CLASSES:
            cls = SPEC_CLASSES[name]
            if dataclasses.is_dataclass(cls):
                fields = [f.name for f in dataclasses.fields(cls)]
            else:
                fields = list(cls._fields)
            props[name] = {'type': 'array', 'description': (cls.__doc__ or '').strip(),
                           'items': {'oneOf': [
                               {'type': 'array', 'description': 'MOOSE list form: ' +
                                ', '.join(fields)},
                               {'type': 'object', 'properties': {f: {} for f in fields}}]}}
        else:
            d = p.default
            t = ('boolean' if isinstance(d, bool) else 'number' if isinstance(d, (int, float))
                 else 'string' if isinstance(d, str) else None)
            props[name] = {'type': t} if t else {}
    props['filetype'] = {'const': 'rdesigneur'}
    props['moosepy_version'] = {'type': 'string'}
    return {'$schema': 'http://json-schema.org/draft-07/schema#',
            'title': 'moosepy rdesigner model', 'type': 'object', 'properties': props,
            'additionalProperties': False}
