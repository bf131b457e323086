"""Fields that issue 11 item 2 added or gave MOOSE's defaults, checked for
what they do (not only their default) against pymoose 5.0.0 through
``side_pymoose.run_both``: every expected value comes from MOOSE."""

import numpy as np

from side_pymoose import run_both

HEAD = '''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
'''
TAIL = "\nprint('JSON' + json.dumps(out))\n"


def _both(body):
    return run_both(HEAD + body + TAIL, raw=True)


def _close(a, b):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                       rtol=1e-9, atol=0, equal_nan=True)


def test_clock_basedt_and_stride():
    # baseDt: 50 us at start, lowered by a smaller setClock, never raised;
    # stride: the smallest dt in use over baseDt (C rounding), 1 before reinit
    out = _both('''
c = moose.element('/clock')
r = [[c.baseDt, c.stride]]
moose.setClock(8, 1e-3); r.append([c.baseDt, c.stride])
moose.setClock(0, 2e-5); r.append([c.baseDt, c.stride])
moose.Compartment('/a'); moose.Table('/t')
moose.reinit(); r.append([c.baseDt, c.stride])
moose.start(0.01); r.append([c.baseDt, c.stride])
for i in range(8):
    moose.setClock(i, 1e-3)
moose.reinit(); r.append([c.baseDt, c.stride])
out['r'] = r
''')
    assert _close(out['moosepy']['r'], out['moose']['r']), out


def test_vclamp_td_negative_means_no_derivative():
    # td starts at -1 and reads 0 after reinit; a clamp with td = -1 and one
    # with td = 0 inject the same current
    out = _both('''
res = []
for td in (None, 0.0):
    p = '/m%d' % len(res)
    moose.Neutral(p)
    c = moose.Compartment(p + '/c'); c.Cm = 1e-10; c.Rm = 1e9; c.initVm = -0.06
    v = moose.VClamp(p + '/v')
    if td is not None:
        v.td = td
    moose.connect(v, 'currentOut', c, 'injectMsg')
    moose.connect(c, 'VmOut', v, 'sensedIn')
    res.append([v.td])
moose.reinit()
for k in range(2):
    res[k].append(moose.element('/m%d/v' % k).td)
out['td'] = res
''')
    assert out['moose']['td'] == [[-1.0, 0.0], [0.0, 0.0]]
    assert out['moosepy']['td'] == out['moose']['td']


def test_function_derivative_nan_until_an_expression():
    out = _both('''
r = []
for e in ['', '5', 'x0*x0', 't*3']:
    f = moose.Function('/f%d' % len(r))
    if e:
        f.expr = e
    r.append(f.derivative)
out['d'] = r
''')
    assert _close(out['moosepy']['d'], out['moose']['d']), out
    assert np.isnan(out['moose']['d'][0])


def test_pool_coords_midpoint_and_reaction_compartment():
    # a pool's coords / midPoint are its voxel's (the mesh's voxelCoords /
    # oneVoxelMidpoint), [] outside a mesh; a reaction's or enzyme's
    # compartment is the mesh above it, or '/'
    out = _both('''
m = moose.CubeMesh('/m'); m.preserveNumEntries = False
m.x0 = m.y0 = m.z0 = 0
m.x1 = 2e-6; m.y1 = 2e-6; m.z1 = 1e-6; m.dx = m.dy = m.dz = 1e-6
p = moose.Pool('/m/p'); b = moose.BufPool('/m/b'); moose.Neutral('/m/n')
r = moose.Reac('/m/n/r'); e = moose.Enz('/m/p/e'); mm = moose.MMenz('/m/mm')
out['cube'] = [list(map(float, x.coords)) + list(map(float, x.midPoint)) for x in (p, b)]
out['comp'] = [x.compartment.path.replace('[0]', '') for x in (r, e, mm)]
c = moose.CylMesh('/c'); c.x0 = 0; c.x1 = 4e-6; c.r0 = c.r1 = 1e-6; c.diffLength = 1e-6
out['cyl'] = list(map(float, moose.Pool('/c/q').coords))
out['free'] = [moose.Reac('/fr').compartment.path, moose.Enz('/fe').compartment.path,
               list(moose.Pool('/fp').coords), list(moose.BufPool('/fb').midPoint)]
''')
    m, p = out['moose'], out['moosepy']
    assert m['comp'] == ['/m'] * 3 and m['free'][:2] == ['/', '/']
    assert p['comp'] == m['comp'] and p['free'] == m['free']
    assert _close(p['cube'], m['cube']) and _close(p['cyl'], m['cyl']), out


def test_table_family_outputvalue_plotdump_and_table2_spike_mode(tmp_path):
    # compareVec stores its RMS difference in outputValue (Table2, TimeTable,
    # Streamer); plotDump "file name" appends the vector as an xplot and
    # reads back 'plot.Dump'; a Streamer's own vector is settable; Table2 in
    # spike mode records threshold crossings as Table does
    out = run_both(HEAD + '''
f = sys.argv[2] + '/' + sys.argv[1] + '.plot'
t = moose.Table2('/t'); t.vector = [1, 2, 3]; t.plotDump = f + ' tab'
tt = moose.TimeTable('/tt'); tt.vector = [0.5, 1.5]; tt.plotDump = f + ' times'
s = moose.Streamer('/s'); s.vector = [7, 8]; s.plotDump = f + ' str'
out['size'] = [t.size, tt.size, s.size]
out['ov0'] = [t.outputValue, tt.outputValue, s.outputValue]
t.compareVec([1, 2, 5], 'rmsd'); tt.compareVec([0.5, 2], 'rmsd'); s.compareVec([7, 9], 'rmsd')
out['ov'] = [t.outputValue, tt.outputValue, s.outputValue]
out['dump'] = [t.plotDump, tt.plotDump, s.plotDump]
blocks = []
for line in open(f):
    w = line.split()
    if w[:1] == ['/plotname']:
        blocks.append([w[1]])
    elif w and not w[0].startswith('/'):
        blocks[-1].append(float(w[0]))
out['file'] = blocks
moose.delete(s)     # pymoose 5.0 exits at reinit with a Streamer of no tables
pg = moose.PulseGen('/pg')
pg.delay[0] = 1; pg.width[0] = 1; pg.level[0] = 5
pg.delay[1] = 1; pg.width[1] = 1; pg.level[1] = 5
sp = moose.Table2('/sp'); moose.connect(sp, 'requestOut', pg, 'getOutputValue')
sp.useSpikeMode = True; sp.threshold = 1.0
moose.setClock(18, 0.5); moose.setClock(2, 0.5)
moose.reinit(); moose.start(10)
out['spikes'] = list(map(float, sp.vector))
out['spike fields'] = [sp.useSpikeMode, sp.threshold]
''' + TAIL, raw=True, args=(str(tmp_path),))
    m, p = out['moose'], out['moosepy']
    assert m['spikes'] == [1.0, 4.0, 7.0, 10.0]      # MOOSE's, for the record
    for k in m:
        assert (_close(p[k], m[k]) if k in ('ov0', 'ov', 'spikes') else p[k] == m[k]), \
            (k, m[k], p[k])


def test_cubemesh_mesh_to_space_and_surface():
    # a full box: meshToSpace and spaceToMesh are 0..n-1; surface lists the
    # voxels with an index 0 or n-1 along some axis (x fastest)
    out = _both('''
m = moose.CubeMesh('/m'); m.preserveNumEntries = False
for sz in [(3e-6, 3e-6, 1e-6), (4e-6, 1e-6, 1e-6), (1e-6, 1e-6, 1e-6),
           (3e-6, 4e-6, 3e-6), (3e-6, 1e-6, 3e-6)]:
    m.x1, m.y1, m.z1 = sz
    m.dx = m.dy = m.dz = 1e-6
    out[str(sz)] = [list(map(int, m.meshToSpace)), list(map(int, m.spaceToMesh)),
                    list(map(int, m.surface))]
''')
    m = out['moose']
    assert 16 not in m[str((3e-6, 4e-6, 3e-6))][2]      # an inner voxel
    assert out['moosepy'] == m


def test_hhgate2d_tables_divs_exprs_and_unset_index():
    # a bare 2-D gate: 2 x 2 zeros over [0, 1]^2; xdivs/ydivs resize both
    # tables (entries kept) and follow a table set directly; the expression
    # fields share two slots named by form; an HHChannel2D whose Xindex was
    # never set looks its gate up at (0, 0)
    out = _both('''
c = moose.Compartment('/c'); c.Cm = 1e-10; c.Rm = 1e9; c.initVm = -0.05; c.Em = -0.05
ch = moose.HHChannel2D('/c/k'); ch.Gbar = 1e-9; ch.Ek = -0.09; ch.Xpower = 1
g = moose.element('/c/k/gateX')
def tab(t):
    return np.array(t).tolist()
out['bare'] = [g.xmin, g.xmax, g.xdivs, g.ymin, g.ymax, g.ydivs, tab(g.tableA), ch.Xindex]
g.xmin = -0.1; g.xmax = 0.1; g.xdivs = 2; g.ymin = 0; g.ymax = 1; g.ydivs = 1
out['resized'] = tab(g.tableA)
g.tableA = [[1, 2], [3, 4], [5, 6]]; g.tableB = [[10, 10], [10, 10], [10, 10]]
g.xdivs = 3
out['grown'] = [g.xdivs, g.ydivs, tab(g.tableA), list(np.array(g.tableB).shape)]
g.tableA = [[1, 2], [3, 4], [5, 6]]; g.tableB = [[10, 10], [10, 10], [10, 10]]
moose.connect(ch, 'channel', c, 'channel')
moose.reinit()
out['X'] = ch.X
def st():
    return [g.form, g.alphaExpr, g.betaExpr, g.tauExpr, g.infExpr]
r = [st()]
for f, v in [('alphaExpr', 'a'), ('betaExpr', 'b'), ('tauExpr', 't'), ('infExpr', 'i'),
             ('alphaExpr', 'a2')]:
    setattr(g, f, v)
    r.append(st())
out['exprs'] = r
''')
    m, p = out['moose'], out['moosepy']
    assert m['X'] == 0.3        # A/B at x = 0: row 1 of 3, 3/10
    assert p == m
