import moose, numpy as np
c=moose.element('/clock')
m = moose.CubeMesh('/m'); m.volume = 1e-18
a = moose.Pool('/m/a'); a.concInit = 1
r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
k = moose.Ksolve('/m/k'); s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
for T in [0.25, 0.45, 0.05, 0.35, 0.65, 0.06, 0.0500001, 1e-9, 0]:
    moose.reinit(); moose.start(T); print('start(%r) T/0.1=%r -> currentTime %r' % (T, T/0.1, c.currentTime))
moose.reinit(); moose.start(0.25); moose.start(0.25); print('0.25 twice ->', c.currentTime)
