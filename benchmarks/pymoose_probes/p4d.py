import moose
print('Pool src', moose.getFieldNames('Pool','srcFinfo'))
print('Pool dest (set*, etc.)', [x for x in moose.getFieldNames('Pool','destFinfo') if not x.startswith('get')])
m = moose.CubeMesh('/m'); m.volume = 1e-18
a = moose.Pool('/m/a'); a.concInit = 1
b = moose.BufPool('/m/b'); b.concInit = 0.3
r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1
f = moose.Function('/m/b/f'); f.expr = '2*x0'
moose.connect(a, 'nOut', f.x[0], 'input'); moose.connect(f, 'valueOut', b, 'setConc')
k = moose.Ksolve('/m/k'); s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
print('f class after stoich', f.className, 'b', b.className, 'a', a.className, 'r', r.className)
moose.reinit(); print('after reinit b.conc', b.conc, 'b.n', b.n, 'a.n', a.n)
moose.start(1); print('after 1s b.conc', b.conc, '2*a.n', 2*a.n, 'a.conc',a.conc)
