import moose, numpy as np
c=moose.element('/clock')
def build():
    if moose.exists('/m'): moose.delete('/m')
    m = moose.CubeMesh('/m'); m.volume = 1e-18
    a = moose.Pool('/m/a'); a.concInit = 1
    r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
    t = moose.Table2('/m/t'); moose.connect(t,'requestOut',a,'getConc')
    k = moose.Ksolve('/m/k'); k.method='rk5'; s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
    return a,t,k
a,t,k=build(); moose.reinit()
for i in range(32):
    nb = c.neighbors['process%d'%i] if True else None
    if len(nb): print('tick', i, [x.path for x in nb])
for dt16 in [0.25, 0.3, 0.05, 0.2, 1.0]:
    moose.setClock(16, dt16); a,t,k=build(); moose.reinit(); moose.start(1.05)
    print('ksolve dt', dt16, 'start(1.05): currentTime', repr(c.currentTime), 'a.conc', a.conc, '-> integrated time', -np.log(a.conc)/0.1, 'table', len(t.vector))
    moose.reinit(); moose.start(2.0); print('   start(2.0): currentTime', repr(c.currentTime), 'integrated', -np.log(a.conc)/0.1, 'tab', len(t.vector))
moose.setClock(16, 0.1)
moose.setClock(18, 0.3); a,t,k=build(); moose.reinit(); moose.start(1.05); print('T2 dt 0.3, ks 0.1: t', repr(c.currentTime), 'tab', np.array(t.vector), 'expected exp(-0.03k)', np.exp(-0.03*np.arange(len(t.vector))))
