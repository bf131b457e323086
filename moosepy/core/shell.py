"""Tree functions of MOOSE's shell: create, element, exists, delete, move,
copy, le, ce, pwe, wildcardFind, and field introspection (getFieldNames,
showfield, doc)."""

import fnmatch
import logging
import operator
import re

import numpy as np

from .element import Element, Neutral, Vec, _Root, _NAME_RE, _new_columns, _object_columns, \
    _copy_one_entry_many, _new_columns_many
from .errors import PathError, FieldError, MooseError, suggest
from .fields import registry
from .structure import changed as structure_changed

log = logging.getLogger('moosepy.core')


# ---------------------------------------------------------------- the root
def _init_root():
    from .cinfo import build_all
    r = Element('', None, registry['Neutral'])
    _Root.element = r
    _Root.cwe = r
    Element('classes', r, registry['Neutral'])
    build_all()
    from .clock import make_clock_element
    make_clock_element(r)
    Element('Msgs', r, registry['Neutral'])


def reset_tree():
    """Delete everything the user made (keeps /classes, /clock, /Msgs).
    Used by tests to give each test a clean tree."""
    r = _Root.element
    for name in list(r.children):
        if name not in ('classes', 'clock', 'Msgs'):
            _delete_element(r.children[name])
    _Root.cwe = r
    from .clock import clock
    clock.reset()


# ---------------------------------------------------------------- paths
def _split(path):
    if not isinstance(path, str):
        raise PathError(f'expected a path string, got {path!r}')
    return [p for p in path.split('/') if p != '']


def resolve(path, must=True):
    """Return (element, index) for a path (absolute or relative to the cwe)."""
    if isinstance(path, Neutral):
        return path._element(), path._idx
    if isinstance(path, Vec):
        return path._element(), 0
    el = _Root.element if (isinstance(path, str) and path.startswith('/')) else _Root.cwe
    idx = 0
    for part in _split(path):
        if part == '.':
            continue
        if part == '..':
            el = el.parent or el
            idx = 0
            continue
        m = _NAME_RE.match(part)
        if not m:
            if must:
                raise PathError(f"bad path component '{part}' in '{path}'")
            return None, 0
        name, index = m.group(1), m.group(2)
        child = el.children.get(name)
        if child is None:
            if must:
                have = ', '.join(el.children) or 'none'
                raise PathError(f"'{path}': no element '{name}' under '{el.path}' "
                                f"(children: {have}){suggest(name, el.children)}")
            return None, 0
        pidx, el = idx, child
        idx = int(index) if index is not None else 0
        own = el.cols.get('_owner') if el.is_field_element else None
        if own is not None and index is not None:
            # '/h[i]/synapse[k]': the k-th synapse of handler entry i (they
            # are stored flat over the entries)
            mine = (own == pidx).nonzero()[0]
            if idx >= len(mine):
                if must:
                    raise PathError(f"'{path}': index {idx} out of range for {el.path} of "
                                    f"entry {pidx} ({len(mine)} entries)")
                return None, 0
            idx = int(mine[idx])
        elif idx >= max(el.num, 1) and not (el.num == 0 and idx == 0):
            if must:
                raise PathError(f"'{path}': index {idx} out of range for {el.path} "
                                f"(numData {el.num})")
            return None, 0
    return el, idx


def exists(path):
    """True if *path* names an element."""
    if isinstance(path, str) and path.startswith('/Msgs'):
        from .msgclasses import msg_at
        if msg_at(path) is not None:
            return True
    try:
        return resolve(path, must=False)[0] is not None
    except PathError:
        return False


def element(path):
    """The object at *path* (or the object given), wrapped in its own class.
    A message (what ``connect`` returns) is given back as it is, as MOOSE's
    ``element`` does with a message's ObjId."""
    from .msg import Msg
    if isinstance(path, Msg):
        return path
    if isinstance(path, str) and path.startswith('/Msgs'):
        from .msgclasses import msg_at
        m = msg_at(path)
        if m is not None:
            return m
    el, idx = resolve(path)
    return el.handle(idx)


def create(cls, path, n=1):
    """Create an element of class *cls* at *path*, or wrap the existing one."""
    if _Root.element is None:
        _init_root()
    if not isinstance(path, str) or path in ('', '/'):
        raise PathError(f'{cls.__name__}: cannot create an element at {path!r}')
    head, _, name = path.rstrip('/').rpartition('/')
    if path.startswith('/') and head == '':
        head = '/'
    parent_el, _ = resolve(head if head else '.')
    m = _NAME_RE.match(name)
    if not m:
        raise PathError(f"{cls.__name__}: bad name '{name}' in '{path}'; names may not "
                        f"contain '/', '[' or ']'")
    name, index = m.group(1), m.group(2)
    existing = parent_el.children.get(name)
    if existing is not None:
        if not issubclass(existing.cls, cls):
            raise PathError(f"'{existing.path}' exists and is a {existing.cls.__name__}, "
                            f"not a {cls.__name__}")
        return existing.handle(int(index or 0), cls)
    # MOOSE allows children under a field element (rdesigneur puts a
    # RandSpike under '<chan>/sh/synapse[0]'); they belong to the element
    n = int(n)
    if n < 1:
        raise PathError(f"{cls.__name__}('{path}'): n must be >= 1, got {n}")
    el = Element(name, parent_el, cls, n)
    try:
        el.handle(0).__init_obj__()
    except BaseException:
        _delete_element(el)
        raise
    return el.handle(0)


def create_children(parent, cls, names, values=None):
    """Create one one-entry element of class *cls* per name in *names* under
    the element *parent* (what ``cls(parent.path + '/' + name)`` does for
    each, without resolving the path each time); returns their handles.
    Every name is checked before anything is made: a bad or taken name
    raises PathError and nothing is created.  *values*: {field: one number
    per name} stored as the new elements' values (not through the fields'
    setters: the caller has checked them)."""
    if _Root.element is None:
        _init_root()
    names = list(names)
    seen = set()
    for name in names:
        m = _NAME_RE.match(name) if isinstance(name, str) else None
        if not m or m.group(2) is not None:
            raise PathError(f"{cls.__name__}: bad name {name!r} under '{parent.path}'; names "
                            f"may not contain '/', '[' or ']'")
        if name in seen or name in parent.children:
            raise PathError(f"{cls.__name__}: '{parent.path}' already has a child '{name}'")
        seen.add(name)
    hook = cls.__init_obj__ is not Neutral.__init_obj__
    out = []
    try:
        for name, cols in zip(names, _new_columns_many(cls, len(names), values)):
            h = Element(name, parent, cls, 1, cols=cols).handle(0)
            out.append(h)
            if hook:
                h.__init_obj__()
    except BaseException:
        for h in out:
            _delete_element(h._el)
        raise
    return out


def rename(el, newname):
    m = _NAME_RE.match(newname or '')
    if not m or m.group(2) is not None:
        raise FieldError(f"{el.path}.name: invalid name {newname!r}")
    if el.parent is None:
        raise FieldError('cannot rename the root')
    if newname in el.parent.children and el.parent.children[newname] is not el:
        raise PathError(f"{el.parent.path} already has a child '{newname}'")
    del el.parent.children[el.name]
    el.name = newname
    el.parent.children[newname] = el
    structure_changed()


# ---------------------------------------------------------------- delete/move/copy
def _delete_element(el):
    from .msg import drop_messages
    for e in list(el.walk())[::-1]:
        drop_messages(e)
        e.alive = False
        ondel = getattr(e.cls, '_on_delete', None)
        if ondel is not None:
            ondel(e)
        e.children = {}
    if el.parent is not None:
        el.parent.children.pop(el.name, None)
    structure_changed()
    if _Root.cwe is not None and not _Root.cwe.alive:
        _Root.cwe = _Root.element


def delete(obj):
    """Delete an element and everything below it, or a message (what
    ``connect`` returns, as MOOSE accepts its ObjId).  Returns True."""
    from .msg import Msg, drop_message
    if isinstance(obj, str) and obj.startswith('/Msgs'):
        from .msgclasses import msg_at
        obj = msg_at(obj) or obj
    if isinstance(obj, Msg):
        drop_message(obj)
        return True
    el, _ = resolve(obj)
    if el.parent is None or el.path in ('/classes', '/clock', '/Msgs'):
        raise PathError(f"cannot delete '{el.path}'")
    _delete_element(el)
    return True


def _check_not_inside(el, parent):
    p = parent
    while p is not None:
        if p is el:
            raise PathError(f"cannot move or copy '{el.path}' into its own subtree "
                            f"'{parent.path}'")
        p = p.parent


def move(orig, parent, name=None):
    """Move *orig* (and its subtree) under *parent*."""
    el, _ = resolve(orig)
    pel, _ = resolve(parent)
    if el.parent is None:
        raise PathError('cannot move the root')
    _check_not_inside(el, pel)
    newname = name or el.name
    if newname in pel.children:
        raise PathError(f"'{pel.path}' already has a child '{newname}'")
    del el.parent.children[el.name]
    el.name = newname
    el.parent = pel
    pel.children[newname] = el
    structure_changed()
    return Vec(el)


def copy(orig, parent, name='', num=1, toGlobal=False, copyExtMsgs=False):
    """Copy *orig* and its subtree under *parent*; returns the new vec.

    With ``num > 1`` every copied element holds ``num`` times as many entries
    (one copy of the subtree per entry); messages inside the subtree are
    copied, messages to outside only when *copyExtMsgs*.
    """
    el, _ = resolve(orig)
    pel, _ = resolve(parent)
    _check_not_inside(el, pel)
    num = int(num)
    if num < 1:
        raise PathError(f'copy: num must be >= 1, got {num}')
    newname = name or el.name
    if newname in pel.children:
        raise PathError(f"copy: '{pel.path}' already has a child '{newname}'")
    mapping = {}
    new = _dup_tree(el, pel, newname, num, mapping)
    _finish_copy(mapping, num, copyExtMsgs)
    return Vec(new)


def copy_group(items, parent):
    """Copy several subtrees under the element *parent* as one copy: *items*
    is a list of (source element, new name); messages among the copied
    subtrees are copied (not those to elsewhere).  Returns the new elements.
    (rdesigneur's spines: a prototype's shaft and head straight into the
    cell, without a copy of their holder moved out and deleted.)"""
    for src, nm in items:
        _check_not_inside(src, parent)
        if nm in parent.children:
            raise PathError(f"copy: '{parent.path}' already has a child '{nm}'")
    mapping = {}
    out = [_dup_tree(src, parent, nm, 1, mapping) for src, nm in items]
    _finish_copy(mapping, 1, False)
    return out


def _finish_copy(mapping, num, copy_ext):
    from .msg import copy_messages
    copy_messages(mapping, num, copy_ext)
    for src, e in mapping.items():
        oncopy = getattr(e.cls, '_on_copy', None)
        if oncopy is not None:
            oncopy(e, src)


def _dup_tree(top, newparent, newname, num, mapping):
    """Duplicate *top* and its subtree under *newparent* as *newname*, each
    element with *num* times its entries; records old -> new in *mapping*
    (parents first, children in order).  Iterative: a tree of any depth."""
    order = []
    stack = [(top, None, newname)]
    while stack:
        src, psrc, nm = stack.pop()
        order.append((src, psrc, nm))
        stack.extend((c, src, c.name) for c in reversed(list(src.children.values())))
    # the one-entry elements of a class copied together: one block of
    # values per class and dtype (a cell's compartments, channels)
    made = {}
    if num == 1:
        groups = {}
        for src, _p, _n in order:
            if src.num == 1 and src.has_class_columns():
                groups.setdefault(src.cls, []).append(src)
        for cls, srcs in groups.items():
            cols = _copy_one_entry_many(cls, srcs)
            if cols is not None:
                made.update(zip(srcs, cols))
    for src, psrc, nm in order:
        mapping[src] = _dup_one(src, newparent if psrc is None else mapping[psrc], nm, num,
                                made.get(src))
    return mapping[top]


def _dup_one(src, newparent, nm, num, cols=None):
    """A copy of element *src* (not its children) under *newparent*;
    *cols*: its columns copied already, lazy ones (a tuple, see
    Element.cols) or a dict whose object columns are still the source's."""
    total = src.num * num
    if type(cols) is tuple:
        todo = ()
    elif cols is not None:
        todo = [(k, src.cols[k]) for k in _object_columns(src.cls)]
    elif num == 1 and src.cols.keys() == src.cls._columns.keys():
        # the class's columns: a copy each, deep for the object ones
        # (np.tile cost ~2 us a column, a dtype test per column ~0.3 us)
        cols = {k: col.copy() for k, col in src.cols.items()}
        todo = [(k, src.cols[k]) for k in _object_columns(src.cls)]
    elif num == 1:
        cols = {k: col.copy() for k, col in src.cols.items() if col.dtype != object}
        todo = [(k, col) for k, col in src.cols.items() if col.dtype == object]
    else:
        cols = {}
        todo = src.cols.items()
    for k, col in todo:
        cols[k] = np.tile(col, num) if col.dtype != object else \
            np.array([_deep(v) for v in list(col) * num] or [], dtype=object)
        if len(cols[k]) != total:  # object arrays of lists
            arr = np.empty(total, dtype=object)
            arr[:] = [_deep(v) for v in list(col) * num]
            cols[k] = arr
    if type(cols) is not tuple and len(cols) != len(src.cls._columns):
        fresh = _new_columns(src.cls, total)
        fresh.update(cols)
        cols = fresh
    e = Element(nm, newparent, src.cls, total, cols=cols)
    # as MOOSE: a copy is scheduled on its class's default tick, not on
    # the original's (prototypes kept off the clock with tick -1 run
    # once copied into a model)
    e.is_field_element = src.is_field_element
    # a solver's hold on the original (keys 'hsolve...') is not copied
    e.data = {k: _deep(v) for k, v in src.data.items() if not k.startswith('hsolve')}
    return e


def _deep(v):
    if isinstance(v, list):
        return list(v)
    if isinstance(v, dict):
        return dict(v)
    if isinstance(v, np.ndarray):
        return v.copy()
    return v


# ---------------------------------------------------------------- navigation
def le(path=None):
    """List the children of *path* (default: the working element); prints
    them as MOOSE does (a blank line after the list) and returns None, as
    MOOSE 5."""
    el = _Root.cwe if path is None else resolve(path)[0]
    base = el.indexed_path(0).rstrip('/')
    names = [f'{base}/{c.name}' for c in el.children.values()]
    print(f'Elements under {el.indexed_path(0)}')
    for nm in names:
        print('    ' + nm)
    print()


def ce(path):
    """Change the working element; returns None, as MOOSE 5."""
    el, _ = resolve(path)
    _Root.cwe = el


def pwe():
    """The working element (MOOSE 5 returns it without printing)."""
    return _Root.cwe.handle(0)


def getCwe():
    return _Root.cwe.handle(0)


def setCwe(path):
    ce(path)


# ---------------------------------------------------------------- wildcards
_COND_RE = re.compile(r'^\s*(TYPE|ISA|CLASS|FIELD\((\w+)\))\s*(==|=|!=|<=|>=|<|>)\s*(.*?)\s*$')
_OPS = {'=': operator.eq, '==': operator.eq, '!=': operator.ne, '<': operator.lt,
        '>': operator.gt, '<=': operator.le, '>=': operator.ge}


def _parse_component(comp, pattern):
    cond = None
    # name, then [..] groups (no ']' inside one): string tests, not a
    # regex compiled at a script's first wildcardFind (~0.3 ms)
    cut = comp.find('[')
    name = comp if cut < 0 else comp[:cut]
    groups = []
    i = len(name)
    while i < len(comp):
        j = comp.find(']', i + 1)
        if comp[i] != '[' or j < 0:
            raise PathError(f"wildcardFind: bad component '{comp}' in '{pattern}'")
        groups.append(comp[i + 1:j])
        i = j + 1
    index = None
    conds = []
    for b in groups:
        if b.strip().isdigit():
            index = int(b)
        elif b.strip() == '':
            index = _ALL          # 'name[]': every entry, as MOOSE
            continue
        else:
            cm = _COND_RE.match(b)
            if not cm:
                raise PathError(
                    f"wildcardFind: cannot read condition '[{b}]' in '{pattern}'; valid: "
                    f"[TYPE=Class], [ISA=Class], [FIELD(name)=value] with = != < > <= >=")
            conds.append(cm)
    cond = conds
    return name, index, cond


_ALL = -1


def _matches_conds(el, conds, pattern, idx=0):
    for cm in conds:
        kind, fname, op, val = cm.group(1), cm.group(2), cm.group(3), cm.group(4)
        if kind in ('TYPE', 'CLASS'):
            ok = el.cls.__name__ == val
            if op == '!=':
                ok = not ok
        elif kind == 'ISA':
            base = registry.get(val)
            ok = base is not None and issubclass(el.cls, base)
            if op == '!=':
                ok = not ok
        else:
            if fname not in el.cls._fields:
                return False
            try:
                v = getattr(el.handle(idx), fname)
            except Exception:
                return False
            try:
                target = type(v)(val) if not isinstance(v, bool) else val in ('1', 'true', 'True')
            except (TypeError, ValueError):
                return False
            ok = _OPS[op](v, target)
        if not ok:
            return False
    return True


def _name_match(name, pat):
    if pat in ('#', '##'):
        return True
    if '?' not in pat and '[' not in pat:
        # a plain name, or '#'/'*' wildcards only: no pattern to compile
        return star_match(name, pat)
    return fnmatch.fnmatchcase(name, pat.replace('#', '*'))


def star_match(name, pat):
    """Whether *name* matches *pat*, whose only wildcards are '#' and '*'
    (any run of characters), as fnmatch would: the literal pieces in
    order, the first at the start and the last at the end."""
    if '#' in pat:
        pat = pat.replace('#', '*')
    if '*' not in pat:
        return name == pat
    parts = pat.split('*')
    first, last = parts[0], parts[-1]
    end = len(name) - len(last)
    if end < len(first) or not name.startswith(first) or not name.endswith(last):
        return False
    pos = len(first)
    for mid in parts[1:-1]:
        if mid:
            k = name.find(mid, pos, end)
            if k < 0:
                return False
            pos = k + len(mid)
    return True


def _field_entries(el):
    """Flat indices of a field element's first entry of each parent entry
    (MOOSE lists a field element once per parent entry, field index 0)."""
    own = el.cols.get('_owner')
    if own is None or len(own) == 0:
        return [0]
    first = {}
    for k, o in enumerate(own.tolist()):
        first.setdefault(o, k)
    return [first[o] for o in sorted(first)]


def _entries(el, index, conds, pattern, per_entry):
    """The entries of a matched element that a wildcard level returns:
    every entry for ``index == _ALL`` (a name ending in '#' or '[]'),
    else entry *index* (0 when the level names no index).  Field
    conditions are tested on each entry under '##' (*per_entry*) and on
    entry 0 for a named level, as MOOSE does."""
    if el.is_field_element:
        if index == _ALL or el.num == 0:
            return _field_entries(el)
        own = el.cols.get('_owner')
        if own is not None and len(own):
            mine = (own == own[0]).nonzero()[0]
            return [int(mine[index])] if index < len(mine) else []
        return [index] if index < el.num else []
    if el.num == 0:
        return [0]
    idxs = range(el.num) if index == _ALL else ([index] if index < el.num else [])
    if per_entry and conds:
        if all(cm.group(1) in ('TYPE', 'CLASS', 'ISA') for cm in conds):
            # conditions on the class: the same for every entry
            return list(idxs) if _matches_conds(el, conds, pattern) else []
        return [i for i in idxs if _matches_conds(el, conds, pattern, i)]
    return list(idxs)


def _find_one(pattern, out, seen):
    parts = _split(pattern)
    start = _Root.element if pattern.startswith('/') else _Root.cwe
    current = [start]
    for k, comp in enumerate(parts):
        name, index, conds = _parse_component(comp, pattern)
        last = k == len(parts) - 1
        if index is None:
            index = _ALL if name.endswith('#') else 0
        nxt = []
        if name == '##':
            for e in current:
                for d in e.walk():
                    if d is e:
                        continue
                    if not conds or d.is_field_element or d.num == 0:
                        if _matches_conds(d, conds, pattern):
                            nxt.append((d, True))
                    else:
                        nxt.append((d, True))
        elif name in ('.', '..'):
            nxt = [(e if name == '.' else (e.parent or e), False) for e in current]
        else:
            for e in current:
                for c in e.children.values():
                    if _name_match(c.name, name) and _matches_conds(c, conds, pattern):
                        if index != _ALL and index >= max(c.num, 1):
                            continue
                        nxt.append((c, False))
        if not nxt:
            return
        if not last:
            current = [e for e, _ in nxt]
            continue
        for e, per_entry in nxt:
            if name in ('.', '..'):
                idxs = [0]
            else:
                idxs = _entries(e, index, conds, pattern, per_entry)
            for i in idxs:
                key = (id(e), i)
                if key not in seen:
                    seen.add(key)
                    out.append(e.handle(i))


def wildcardFind(pattern):
    """Objects matching a MOOSE wildcard path.

    ``#`` matches any name (or part of a name: ``dend#``) on one level,
    ``##`` any number of levels below, ``[TYPE=Pool]`` the exact class,
    ``[ISA=PoolBase]`` a class or its subclasses,
    ``[FIELD(conc)>0.5]`` a field comparison (= != < > <= >=); several
    patterns can be joined by commas.  Results are in tree order.
    """
    if not isinstance(pattern, str):
        raise PathError(f'wildcardFind: expected a string, got {pattern!r}')
    out, seen = [], set()
    for alt in pattern.split(','):
        alt = alt.strip()
        if alt:
            _find_one(alt, out, seen)
    return out


def wildcard_elements(pattern):
    """The distinct elements (not entries) that :func:`wildcardFind`
    matches, in its order: for solvers and loaders that work per element."""
    out, seen = [], set()
    for h in wildcardFind(pattern):
        if id(h._el) not in seen:
            seen.add(id(h._el))
            out.append(h._el)
    return out


# ---------------------------------------------------------------- introspection
_KINDS = ('valueFinfo', 'srcFinfo', 'destFinfo', 'lookupFinfo', 'sharedFinfo',
          'fieldElementFinfo')


def _cls_of(c):
    if isinstance(c, str):
        cls = registry.get(c)
        if cls is None:
            raise MooseError(f"unknown class '{c}'{suggest(c, registry)}")
        return cls
    if isinstance(c, (Neutral, Vec)):
        return c._element().cls
    if isinstance(c, type) and issubclass(c, Neutral):
        return c
    raise MooseError(f'not a class: {c!r}')


def getFieldNames(cls, finfoType='valueFinfo'):
    """Names of the fields or ports of a class, by kind (MOOSE's finfoType)."""
    c = _cls_of(cls)
    if finfoType == 'valueFinfo':
        return tuple(sorted(c._fields))
    if finfoType == 'lookupFinfo':
        return tuple(sorted(c._lookups))
    if finfoType == 'fieldElementFinfo':
        return tuple(sorted(c._felems))
    if finfoType in ('srcFinfo', 'destFinfo', 'sharedFinfo'):
        return tuple(sorted(n for n, p in c._ports.items() if p.kind == finfoType))
    raise MooseError(f"getFieldNames: unknown finfoType '{finfoType}'; valid: "
                     f"{', '.join(_KINDS)}")


def getFieldTypeDict(cls, finfoType='valueFinfo'):
    c = _cls_of(cls)
    if finfoType == 'valueFinfo':
        return {n: f.type for n, f in c._fields.items()}
    if finfoType == 'lookupFinfo':
        return {n: f'{f.keytype},{f.type}' for n, f in c._lookups.items()}
    return {n: p.sig for n, p in c._ports.items() if p.kind == finfoType}


def getField(obj, field):
    return element(obj).getField(field)


def setField(obj, field, value):
    element(obj).setField(field, value)


def showfield(obj, field='*', showtype=False):
    """Print the value fields of an object (all, or one) and return them."""
    h = element(obj)
    cls = type(h)
    names = sorted(cls._fields) if field == '*' else [field]
    out = {}
    lines = [f'[{h.path}]']
    for n in names:
        if n not in cls._fields:
            raise h._field_error(n)
        try:
            v = getattr(h, n)
        except MooseError as exc:
            v = f'<{exc}>'
        out[n] = v
        t = f'{cls._fields[n].type:<12} ' if showtype else ''
        lines.append(f'{t}{n:<24} = {v}')
    print('\n'.join(lines))
    return out


showfields = showfield


def doc(arg, paged=False):
    """Documentation of a class, or of one field ('Pool.concInit'); printed
    and returned."""
    if isinstance(arg, str) and '.' in arg:
        cname, fname = arg.split('.', 1)
        c = _cls_of(cname)
        f = c._fields.get(fname) or c._lookups.get(fname) or c._felems.get(fname)
        if f is not None:
            text = f'{cname}.{fname}: {f.type}\n    {f.describe()}'
        elif fname in c._ports:
            p = c._ports[fname]
            text = f'{cname}.{fname}: {p.kind} ({p.sig})\n    {p.doc}'
        else:
            valid = sorted(set(c._fields) | set(c._ports) | set(c._lookups))
            raise FieldError(f"class {cname} has no field '{fname}'{suggest(fname, valid)}")
    else:
        c = _cls_of(arg)
        text = _class_doc(c)
    print(text)
    return text


def _class_doc(c):
    from .cinfo import _base_name
    lines = [f'class {c.__name__} (base: {_base_name(c)}, default tick: {c.default_tick})',
             '', (c.__doc__ or '').split('\n    Fields\n')[0].strip(), '', 'Value fields:']
    for n, f in sorted(c._fields.items()):
        lines.append(f'  {n:<20} {f.type:<12} {f.describe()}')
    if c._lookups:
        lines.append('Lookup fields:')
        for n, f in sorted(c._lookups.items()):
            lines.append(f'  {n:<20} {f.describe()}')
    if c._felems:
        lines.append('Field elements:')
        for n, f in sorted(c._felems.items()):
            lines.append(f'  {n:<20} {f.describe()}')
    for kind, title in (('srcFinfo', 'Source ports'), ('destFinfo', 'Destination ports'),
                        ('sharedFinfo', 'Shared ports')):
        ps = [p for p in c._ports.values() if p.kind == kind and not (
            kind == 'destFinfo' and p.name[:3] in ('get', 'set') and p.name[3:4].isupper())]
        if ps:
            lines.append(f'{title}:')
            for p in sorted(ps, key=lambda p: p.name):
                lines.append(f'  {p.name:<20} ({p.sig}) {p.doc}')
    return '\n'.join(lines)


def isRunning():
    from .clock import clock
    return clock.running


__all__ = ['create', 'element', 'exists', 'delete', 'move', 'copy', 'le', 'ce', 'pwe',
           'wildcardFind', 'getFieldNames', 'getFieldTypeDict', 'showfield', 'doc',
           'getCwe', 'setCwe', 'resolve', 'reset_tree', 'getField', 'setField']
