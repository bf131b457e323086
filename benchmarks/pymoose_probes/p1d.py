import moose, numpy as np
m = moose.CubeMesh('/m'); m.volume = 1e-18
a = moose.Pool('/m/a'); a.concInit = 1
r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
t1 = moose.Table('/m/t1'); moose.connect(t1,'requestOut',a,'getConc')
k = moose.Ksolve('/m/k'); s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
moose.setClock(8, 0.1)
moose.reinit(); print('Table dt .1 after reinit', list(t1.vector)); moose.start(1); print(' after start(1)', np.array(t1.vector))
moose.reinit(); print('2nd reinit', list(t1.vector)); moose.start(0.3); print(np.array(t1.vector))
print('exp', np.exp(-0.01*np.arange(11)))
print('Table fields', moose.getFieldNames('Table','valueFinfo'))
print('Table2 fields', moose.getFieldNames('Table2','valueFinfo'))
