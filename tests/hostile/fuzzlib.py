"""Seeded mutants of real model files, and a runner that loads them in
worker processes with a time and memory limit (issue 15, items 5 and 6).

Used by ``tests/hostile/test_fuzz.py`` (moosepy) and
``benchmarks/fuzz_report.py`` (moosepy and pymoose 5.0.0 side by side).

Formats (:data:`FORMATS`): SBML, kkit ``.g``, SWC, GENESIS ``.p``,
ChannelML, NeuroML 1.x MorphML, ``.cspace`` and rdesigner spec documents
(JSON and YAML).  Seeds are real files from ``shared/`` (models-ref,
moose-examples, the SBML Test Suite) and pymoose's own jardesigner test
documents; a format whose seeds do not load in moosepy (a reader not there
yet) is reported as skipped, with the reason.

A mutant is made by one operator (:data:`OPERATORS`) applied to one seed
with a :class:`random.Random` seeded by (format, index): truncation,
deletion/duplication/swap of lines or XML elements, bad numbers (nan, inf,
-1, 1e308, empty, text), dangling references, deep nesting, XML entity
tricks (billion laughs, external entity), junk bytes, an empty file, a
directory where the file should be.  "Same-content" operators (line endings,
whitespace, comments) give a file the reader must read exactly as the seed:
their result is compared with the seed's (the loaded-but-wrong oracle).

Worker protocol (``fuzz_worker.py``): one process per simulator, format and
batch reads a JSON list of jobs; for each it prints one JSON line
``{"i": index, "cls": ..., ...}``.  The runner restarts it after a crash
(the process dies: a signal, or an exit without a line) or a hang (no line
within the time limit, process killed), marking that mutant, and goes on
with the rest.

Classes: ``ok`` (loaded, reinit and a short run), ``rejected`` (a moosepy
exception, a subclass of MooseError), ``foreign`` (any other Python
exception; its type and traceback tail are kept), ``crash``, ``hang``,
``wrong`` (a same-content mutant whose result differs from the seed's).
For pymoose, which has no exception hierarchy of its own, ``rejected`` is
an exception of the types its code raises on purpose (RuntimeError,
ValueError, OSError, SystemExit is ``exit``) and ``foreign`` the rest.
"""

import json
import os
import random
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHARED = Path(os.environ.get('MOOSEPY_SHARED', REPO.parent / 'shared'))
PYMOOSE_PY = Path('/work/pymoose-venv/bin/python')
_JAR_DIR = Path('/work/pymoose-venv/lib/python3.11/site-packages/rdesigneur/TestRdesJson')

CLASSES = ('ok', 'rejected', 'foreign', 'crash', 'hang', 'wrong', 'exit')

#: per-mutant time limit [s] (load + reinit + short run), generous for a
#: loaded 2-core machine; the first mutant of a worker also pays imports
TIME_LIMIT = float(os.environ.get('MOOSEPY_FUZZ_TIME_LIMIT', 20.0))
#: address-space limit of a worker [bytes]
MEM_LIMIT = int(os.environ.get('MOOSEPY_FUZZ_MEM_LIMIT', 6 * 1024 ** 3))


# ---------------------------------------------------------------- seeds

def _small_morphml():
    """CA1.morph.xml cut to its first 40 segments and the cables they are on
    (the full file is 600 kB: too slow to load hundreds of times); written
    once under the cache.  pymoose 5.0.0 loads it."""
    src = SHARED / 'moose-examples/tutorials/Rdesigneur/cells/CA1.morph.xml'
    if not src.is_file():
        return []
    out = _cache_dir() / 'seeds' / 'CA1_40seg.morph.xml'
    if not out.exists():
        text = src.read_text()
        segs = list(re.finditer(r'\s*<mml:segment .*?</mml:segment>', text, re.S))
        cables = {m.group(1) for m in segs[:40]
                  for m in [re.search(r'cable="(\d+)"', m.group(0))] if m}
        if len(segs) > 40:
            text = text[:segs[40].start()] + text[segs[-1].end():]
        text = re.sub(r'\s*<mml:cable id="(\d+)"(?:[^>]*?/>|[^>]*?>.*?</mml:cable>)',
                      lambda m: m.group(0) if m.group(1) in cables else '', text, flags=re.S)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return [out]


def _rdspec_seeds():
    """pymoose's own jardesigner test documents that describe a cell from
    built-ins (moosepy builds t06-t15, pymoose 5.0.0 only t05, t07 and t08:
    its schema refuses the others), and a YAML copy of one."""
    seeds = [p for p in sorted(_JAR_DIR.glob('t*.json'))
             if p.name[:3] in ('t05', 't06', 't07', 't08', 't09', 't11', 't12', 't15', 't16',
                               't21')]
    if seeds:
        out = _cache_dir() / 'seeds' / 't11_passiveDistrib.yaml'
        if not out.exists():
            try:
                import yaml
            except ImportError:
                return seeds
            out.parent.mkdir(parents=True, exist_ok=True)
            doc = json.loads((_JAR_DIR / 't11_passiveDistrib.json').read_text())
            out.write_text(yaml.safe_dump(doc))
        seeds.append(out)
    return seeds


def _glob(*patterns):
    out = []
    for p in patterns:
        out.extend(sorted(SHARED.glob(p)))
    return [p for p in out if p.is_file()]


#: format -> (kind of text, seed finder); kind 'xml', 'text' or 'json'
FORMATS = {
    'sbml': ('xml', lambda: _glob('models-ref/moose-sbml/*.xml',
                                  'sbml-test-suite/semantic/0000[1-4]/*-sbml-l3v2.xml',
                                  'sbml-test-suite/semantic/0002[6-7]/*-sbml-l3v2.xml')),
    'kkit': ('text', lambda: _glob('models-ref/kkit/reaction.g', 'models-ref/kkit/enz_rea.g',
                                   'models-ref/kkit/CaOnly.g', 'models-ref/kkit/bcm.g',
                                   'models-ref/kkit/Kholodenko.g')),
    'swc': ('text', lambda: _glob('models-ref/swc/h10.CNG.swc',
                                  'models-ref/swc/mp_ma_40984_gc2.CNG.swc')),
    'p': ('text', lambda: _glob('models-ref/genesis-p/*.p', 'moose-examples/snippets/dotp.p')),
    'channelml': ('xml', lambda: _glob('models-ref/channelml/*.xml')),
    'morphml': ('xml', _small_morphml),
    'cspace': ('text', lambda: _glob('moose-examples/**/*.cspace')),
    'rdspec': ('json', _rdspec_seeds),
}


def _cache_dir():
    d = Path(os.environ.get('MOOSEPY_FUZZ_DIR', '/tmp/moosepy-fuzz-%d' % os.getuid()))
    d.mkdir(parents=True, exist_ok=True)
    return d


def seeds(fmt):
    return FORMATS[fmt][1]()


# ---------------------------------------------------------------- mutation

BAD_NUMBERS = ['nan', 'NaN', 'inf', '-inf', '-1', '0', '1e308', '-1e308', '1e-320', '',
               'abc', '1e999', '99999999999999999999999', '0x1F', '1,5', '--3']
_NUM = re.compile(rb'(?<![\w.])-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?(?![\w.])')


def _lines(data):
    return data.split(b'\n')


def _pick_line(rng, lines):
    nonblank = [i for i, l in enumerate(lines) if l.strip()] or [0]
    return rng.choice(nonblank)


def op_truncate(data, rng, kind):
    return data[:rng.randrange(0, max(1, len(data)))]


def op_delete_lines(data, rng, kind):
    lines = _lines(data)
    i = _pick_line(rng, lines)
    del lines[i:i + rng.choice([1, 1, 2, 5])]
    return b'\n'.join(lines)


def op_duplicate_lines(data, rng, kind):
    lines = _lines(data)
    i = _pick_line(rng, lines)
    n = rng.choice([1, 1, 3])
    lines[i:i] = lines[i:i + n] * rng.choice([1, 2, 50])
    return b'\n'.join(lines)


def op_swap_lines(data, rng, kind):
    lines = _lines(data)
    i, j = _pick_line(rng, lines), _pick_line(rng, lines)
    lines[i], lines[j] = lines[j], lines[i]
    return b'\n'.join(lines)


def op_bad_number(data, rng, kind):
    nums = list(_NUM.finditer(data))
    bad = rng.choice(BAD_NUMBERS).encode()
    if not nums:
        return data + b' ' + bad
    for _ in range(rng.choice([1, 1, 1, 3])):
        m = rng.choice(nums)
        data = data[:m.start()] + bad + data[m.end():]
        nums = list(_NUM.finditer(data))
        if not nums:
            break
    return data


def op_all_numbers_bad(data, rng, kind):
    bad = rng.choice(['nan', '-1', 'inf', '1e308', '0']).encode()
    return _NUM.sub(bad, data)


def op_junk_bytes(data, rng, kind):
    junk = bytes(rng.randrange(256) for _ in range(rng.choice([1, 4, 64])))
    if rng.random() < 0.3:
        junk = rng.choice([b'\x00', b'\xff\xfe', b'\xef\xbb\xbf', b'\x1b[2J', b'\r', b'"', b'<',
                           b'&', b']]>', b'\\', b'{', b'}'])
    i = rng.randrange(0, len(data) + 1)
    return data[:i] + junk + data[i:]


def op_random_bytes(data, rng, kind):
    return bytes(rng.randrange(256) for _ in range(rng.choice([1, 100, 5000])))


def op_empty(data, rng, kind):
    return rng.choice([b'', b'\n', b'   \n\n', b'\x00'])


def op_dangling_ref(data, rng, kind):
    """Replace one reference to a name by a name that is nowhere."""
    if kind == 'xml':
        refs = list(re.finditer(
            rb'(?:species|compartment|variable|reactant|product|parent|cable|ion|'
            rb'segment|symbol|id|ion_name|seg)="([^"]*)"', data))
        refs += list(re.finditer(rb'<ci>\s*([^<\s]*)\s*</ci>', data))
    elif kind == 'json':
        refs = list(re.finditer(
            rb'"(?:proto|path|source|name|relpath|chemProto|elecPath)"\s*:\s*"([^"]*)"', data))
    else:
        refs = list(re.finditer(rb'(/kinetics[/\w\[\]\-]*|\b[A-Za-z_]\w*\b)', data))
    if not refs:
        return data + b' nowhere'
    m = rng.choice(refs)
    new = rng.choice([b'nowhere', b'/kinetics/nowhere', b'', b'..', b'/', b'#', b'a[99999]'])
    return data[:m.start(1)] + new + data[m.end(1):]


#: longest chain of SWC samples / .p compartments added: far past Python's
#: recursion limit, yet short enough to step: without HSolve moosepy steps
#: a 20,000-compartment chain at ~1.6 s a step on a loaded 2-core machine
CHAIN_MAX = 5000


def op_deep_nesting(data, rng, kind):
    depth = rng.choice([600, 3000, 20000])
    if kind == 'xml':
        body = rng.choice([
            b'<a>' * depth + b'</a>' * depth,
            b'<math xmlns="http://www.w3.org/1998/Math/MathML">' + b'<apply><abs/>' * depth
            + b'<cn>1</cn>' + b'</apply>' * depth + b'</math>'])
        i = data.rfind(b'</', 0, max(0, len(data) - 2))
        if i < 0:
            return data + body
        return data[:i] + body + data[i:]
    if kind == 'json':
        if rng.random() < 0.5:
            return b'[' * depth + b']' * depth
        return (data.rstrip().rstrip(b'}') + b', "deep": ' + b'{"a": ' * depth + b'1'
                + b'}' * depth + b'}')
    # text formats: a long chain of children / paths
    lines = _lines(data)
    if b'simundump' in data:
        path = b'/kinetics' + b'/a' * depth
        lines.insert(_pick_line(rng, lines), b'simundump kpool ' + path +
                     b' 0 0 0 0 0 0 0 0 1 0 /kinetics/geometry blue black 0 0 0')
    elif any(l[:1].isdigit() for l in lines[-5:] if l):       # SWC
        start = 100000
        chain = [b'%d 3 %d 0 0 1 %d' % (start + k, k, start + k - 1 if k else 1)
                 for k in range(min(depth, CHAIN_MAX))]
        lines += chain
    else:                                                   # .p, cspace
        chain = [b'c%d c%d 1 0 0 1' % (k, k - 1) if k else b'c0 none 1 0 0 1'
                 for k in range(min(depth, CHAIN_MAX))]
        lines += chain
    return b'\n'.join(lines)


def op_parent_cycle(data, rng, kind):
    """SWC: a parent pointing to itself or a later sample; elsewhere a
    reference to the element's own name."""
    lines = _lines(data)
    rows = [i for i, l in enumerate(lines) if l[:1].isdigit() and len(l.split()) >= 7]
    if rows:
        i = rng.choice(rows)
        f = lines[i].split()
        f[6] = rng.choice([f[0], str(int(f[0]) + 1), b'-7', b'999999', b'x'])
        if isinstance(f[6], str):
            f[6] = f[6].encode()
        lines[i] = b' '.join(f)
        return b'\n'.join(lines)
    rows = [i for i, l in enumerate(lines)
            if l.strip() and not l.lstrip().startswith((b'/', b'*'))]
    if rows:
        i = rng.choice(rows)
        f = lines[i].split()
        if len(f) >= 2:
            f[1] = f[0]
            lines[i] = b' '.join(f)
    return b'\n'.join(lines)


_BOMB = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
         b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
         b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
         b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
         b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
         b'<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
         b'<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
         b'<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">'
         b'<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">'
         b'<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>')


def op_entity(data, rng, kind):
    """XML: a billion-laughs bomb or an external entity (a local file, a
    URL) declared and used.  JSON/YAML: YAML's alias bomb; text: the
    entity text itself."""
    if kind == 'json':
        bomb = (b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                b'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
                b'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'
                b'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n'
                b'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n'
                b'cellProto: &j [*i,*i,*i,*i,*i,*i,*i,*i,*i]\n')
        return bomb
    choice = rng.randrange(3)
    if choice == 0:
        decl, ref = _BOMB, b'&lol9;'
    elif choice == 1:
        decl = b'<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        ref = b'&xxe;'
    else:
        decl = b'<!DOCTYPE m [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
        ref = b''
    if kind != 'xml':
        return decl + b'\n' + data
    m = re.search(rb'<\?xml[^>]*\?>', data)
    head = m.end() if m else 0
    out = data[:head] + decl + data[head:]
    j = out.find(b'<', head + len(decl) + 1)
    k = out.find(b'>', j)
    if ref and k > 0:
        out = out[:k + 1] + ref + out[k + 1:]
    return out


_ELEM = re.compile(rb'<([A-Za-z][\w:.-]*)\b[^<>]*?(?:/>|>(?:(?!<\1\b).)*?</\1>)', re.S)


def op_xml_element(data, rng, kind):
    """XML: delete or duplicate one element (self-closing or with its
    content); elsewhere a line operation."""
    if kind != 'xml':
        return op_delete_lines(data, rng, kind)
    ms = [m for m in _ELEM.finditer(data) if m.start() > 0]
    if not ms:
        return data
    m = rng.choice(ms)
    if rng.random() < 0.5:
        return data[:m.start()] + data[m.end():]
    return data[:m.end()] + m.group(0) * rng.choice([1, 2, 1000]) + data[m.end():]


def op_xml_attr(data, rng, kind):
    """XML: one attribute's value becomes a bad number; JSON: one value;
    text: one word."""
    bad = rng.choice(BAD_NUMBERS).encode()
    if kind == 'xml':
        ms = list(re.finditer(rb'\s[\w:]+="([^"]*)"', data))
    elif kind == 'json':
        ms = list(re.finditer(rb':\s*("[^"]*"|-?[\d.eE+-]+|true|false|null)', data))
        bad = rng.choice([b'"nan"', b'NaN', b'Infinity', b'-1', b'1e308', b'""', b'"abc"',
                          b'null', b'[]', b'{}', b'true', b'-1e308', b'"1e999"'])
    else:
        ms = list(re.finditer(rb'(\S+)', data))
    if not ms:
        return data + bad
    m = rng.choice(ms)
    return data[:m.start(1)] + bad + data[m.end(1):]


# same-content operators: the file reads exactly as its seed
def same_crlf(data, rng, kind):
    return data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')


def same_trailing_space(data, rng, kind):
    return b'\n'.join(l + b'  ' if l.strip() else l for l in _lines(data))


def same_comment(data, rng, kind):
    if kind == 'xml':
        i = data.find(b'>', data.find(b'<', data.find(b'?>') + 2 if b'?>' in data else 0))
        return data[:i + 1] + b'\n<!-- fuzz: a comment changes nothing -->\n' + data[i + 1:]
    if kind == 'json':
        # blank lines only: indenting the first line changes a YAML document
        return b'\n\n' + data + b'\n\n'
    lines = _lines(data)
    if any(l.startswith(b'#') for l in lines[:50]):             # SWC
        return b'# fuzz: a comment changes nothing\n' + data
    if b'//' in data:                                          # kkit, .p
        return b'\n'.join(lines[:1] + [b'// fuzz: a comment changes nothing'] + lines[1:])
    return data + b'\n\n'


OPERATORS = {
    'truncate': op_truncate, 'delete_lines': op_delete_lines,
    'duplicate_lines': op_duplicate_lines, 'swap_lines': op_swap_lines,
    'bad_number': op_bad_number, 'all_numbers_bad': op_all_numbers_bad,
    'junk_bytes': op_junk_bytes, 'random_bytes': op_random_bytes, 'empty': op_empty,
    'dangling_ref': op_dangling_ref, 'deep_nesting': op_deep_nesting,
    'parent_cycle': op_parent_cycle, 'entity': op_entity, 'xml_element': op_xml_element,
    'bad_value': op_xml_attr,
    'directory': None,
    'same_crlf': same_crlf, 'same_trailing_space': same_trailing_space,
    'same_comment': same_comment,
}
#: relative frequency of each operator
WEIGHTS = {'truncate': 3, 'delete_lines': 3, 'duplicate_lines': 2, 'swap_lines': 2,
           'bad_number': 5, 'all_numbers_bad': 1, 'junk_bytes': 2, 'random_bytes': 1,
           'empty': 1, 'dangling_ref': 3, 'deep_nesting': 1, 'parent_cycle': 1, 'entity': 1,
           'xml_element': 3, 'bad_value': 4, 'directory': 0.3, 'same_crlf': 0.5,
           'same_trailing_space': 0.5, 'same_comment': 0.5}
# formats whose readers cannot be given same-content variants honestly:
# trailing spaces inside a cspace string or a YAML scalar are content
_SAME_SKIP = {('cspace', 'same_trailing_space'), ('rdspec', 'same_trailing_space'),
              ('rdspec', 'same_crlf')}


def make_mutants(fmt, n, seed=0, outdir=None):
    """*n* mutants of format *fmt* (deterministic in *seed*): a list of job
    dicts {i, fmt, op, seed_file, path, same}.  Files go under *outdir*."""
    kind = FORMATS[fmt][0]
    files = seeds(fmt)
    if not files:
        return []
    outdir = Path(outdir or _cache_dir() / 'mutants')
    outdir = outdir / fmt
    outdir.mkdir(parents=True, exist_ok=True)
    names = [k for k in OPERATORS if (fmt, k) not in _SAME_SKIP]
    w = [WEIGHTS[k] for k in names]
    jobs = []
    for i in range(n):
        rng = random.Random(f'{fmt}:{seed}:{i}')
        src = files[i % len(files)]
        op = rng.choices(names, w)[0]
        full = ''.join(src.name.split('.', 1)[1:]) or src.suffix.lstrip('.')
        path = outdir / f'm{seed}_{i:05d}_{op}.{full}'
        if op == 'directory':
            if path.exists() and not path.is_dir():
                path.unlink()
            path.mkdir(exist_ok=True)
        else:
            if path.is_dir():
                os.rmdir(path)
            path.write_bytes(OPERATORS[op](src.read_bytes(), rng, kind))
        jobs.append(dict(i=i, fmt=fmt, op=op, seed_file=str(src), path=str(path),
                         same=op.startswith('same_')))
    return jobs


# ---------------------------------------------------------------- running

def _worker_cmd(sim):
    exe = str(PYMOOSE_PY) if sim == 'pymoose' else sys.executable
    return [exe, str(HERE / 'fuzz_worker.py'), sim]


def _env(sim):
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONHASHSEED='0')
    if sim == 'moosepy':
        env['PYTHONPATH'] = str(REPO) + os.pathsep + env.get('PYTHONPATH', '')
    else:
        env.pop('PYTHONPATH', None)
    return env


def run_jobs(jobs, sim='moosepy', time_limit=None, mem_limit=None, first_extra=30.0,
             workdir=None, retry=True):
    """Run *jobs* (from :func:`make_mutants`; plus the seeds as jobs with
    ``seed: True``) in worker processes (cwd *workdir*); returns {i: result
    dict}.  A worker is restarted after a crash or hang.  *first_extra* [s]
    is added to the limit of a worker's first job (imports, JIT).  With
    *retry*, a hang is run once more alone with twice the limit (a loaded
    machine stalls a worker at times) and counts only if it hangs again."""
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    mem_limit = MEM_LIMIT if mem_limit is None else mem_limit
    workdir = str(workdir or _cache_dir())
    results = _run_jobs(jobs, sim, time_limit, mem_limit, first_extra, workdir)
    if retry:
        for job in jobs:
            if results[job['i']]['cls'] == 'hang':
                again = _run_jobs([job], sim, 2 * time_limit, mem_limit, first_extra, workdir)
                results[job['i']] = dict(again[job['i']], retried=True)
    return results


def _run_jobs(jobs, sim, time_limit, mem_limit, first_extra, workdir):
    results = {}
    todo = list(jobs)
    while todo:
        errf = tempfile.TemporaryFile()      # a pipe could fill and block the worker
        proc = subprocess.Popen(_worker_cmd(sim) + [str(mem_limit)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=errf,
                                env=_env(sim), cwd=workdir)
        proc.stdin.write(json.dumps(todo).encode() + b'\n')
        proc.stdin.close()
        first = True
        buf = b''
        done_here = 0
        while done_here < len(todo):
            job = todo[done_here]
            limit = time_limit + (first_extra if first else 0.0)
            deadline = time.monotonic() + limit
            line = None
            while line is None:
                nl = buf.find(b'\n')
                if nl >= 0:
                    line, buf = buf[:nl], buf[nl + 1:]
                    if not line.startswith(b'{'):
                        line = None     # stray output of a library
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([proc.stdout], [], [], left)
                if r:
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    buf += chunk
            if line is None:
                if proc.poll() is None and time.monotonic() >= deadline:
                    proc.kill()
                    proc.wait()
                    res = dict(cls='hang', limit=limit)
                else:
                    proc.wait()
                    errf.seek(0, 2)
                    errf.seek(max(0, errf.tell() - 4000))
                    err = errf.read().decode(errors='replace')
                    rc = proc.returncode
                    res = dict(cls='crash', rc=rc, tail=err[-1500:])
                    if sim == 'pymoose' and rc is not None and rc >= 0 \
                            and 'Traceback' not in err:
                        res['cls'] = 'exit'      # the library called exit()/quit()
                results[job['i']] = dict(job, **res)
                done_here += 1
                break
            res = json.loads(line)
            results[job['i']] = dict(job, **res)
            done_here += 1
            first = False
        todo = todo[done_here:]
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        errf.close()
    return results


def run_format(fmt, n, sim='moosepy', seed=0, time_limit=None, outdir=None, jobs=None):
    """Seeds and *n* mutants of *fmt* under *sim* (mutant files under
    *outdir*; or the given *jobs*).  Returns (results list, skip reason or
    None).  A same-content mutant whose class or fingerprint differs from
    its seed's becomes ``wrong``."""
    files = seeds(fmt)
    if not files:
        return [], f'no seed files for {fmt} under {SHARED}'
    seed_jobs = [dict(i=-1 - k, fmt=fmt, op='seed', seed_file=str(p), path=str(p), same=False)
                 for k, p in enumerate(files)]
    if jobs is None:
        jobs = make_mutants(fmt, n, seed, outdir)
    res = run_jobs(seed_jobs + jobs, sim, time_limit, workdir=outdir)
    seed_res = {r['seed_file']: r for r in (res[j['i']] for j in seed_jobs)}
    if not any(r['cls'] == 'ok' for r in seed_res.values()):
        first = next(iter(seed_res.values()))
        return [res[j['i']] for j in jobs], (
            f'{sim} loads none of the {fmt} seeds: {first.get("exc", first["cls"])}: '
            f'{first.get("msg", "")[:200]}')
    out = []
    for j in jobs:
        r = res[j['i']]
        s = seed_res[j['seed_file']]
        if j['same'] and s['cls'] == 'ok' and r['cls'] in ('ok', 'rejected', 'foreign', 'exit') \
                and (r['cls'] != 'ok' or r.get('fp') != s.get('fp')):
            r = dict(r, cls='wrong', seed_fp=s.get('fp'), was=r['cls'])
        out.append(r)
    return out, None


def counts(results):
    c = {k: 0 for k in CLASSES}
    for r in results:
        c[r['cls']] += 1
    return c
