import moose
NA=6.02214076e23
m = moose.CubeMesh('/m'); m.volume=1e-18
a=moose.Pool('/m/a'); b=moose.Pool('/m/b'); c=moose.Pool('/m/c')
a.concInit=1; b.concInit=0.5
print('NA used: a.nInit for concInit 1 mM in 1e-18:', repr(a.nInit), 'ratio/1e-18/1e-0', a.nInit/1e-18)
r=moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); moose.connect(r,'sub',b,'reac'); moose.connect(r,'prd',c,'reac')
r.Kf=1; r.Kb=1
print('2nd order A+B->C: Kf=1 -> numKf', repr(r.numKf), 'Kb=1 -> numKb', repr(r.numKb), ' 1/(NA*1e-18)=', 1/(NA*1e-18))
r.numKf=1e-3; print('numKf=1e-3 -> Kf', repr(r.Kf))
# Kf before connect
r2=moose.Reac('/m/r2'); r2.Kf=1; r2.Kb=1; print('r2 before connect: Kf',r2.Kf,'numKf',r2.numKf,'Kb',r2.Kb,'numKb',r2.numKb)
moose.connect(r2,'sub',a,'reac'); moose.connect(r2,'sub',b,'reac'); moose.connect(r2,'prd',c,'reac')
print('r2 after connect: Kf',r2.Kf,'numKf',repr(r2.numKf),'Kb',r2.Kb,'numKb',r2.numKb)
# numKf before connect
r2b=moose.Reac('/m/r2b'); r2b.numKf=1; print('r2b numKf=1 before connect: Kf', r2b.Kf)
moose.connect(r2b,'sub',a,'reac'); moose.connect(r2b,'sub',b,'reac'); moose.connect(r2b,'prd',c,'reac')
print('r2b after connect: Kf',r2b.Kf,'numKf',r2b.numKf)
# 2A
r3=moose.Reac('/m/r3'); moose.connect(r3,'sub',a,'reac'); moose.connect(r3,'sub',a,'reac'); moose.connect(r3,'prd',c,'reac')
r3.Kf=1; r3.Kb=1; print('2A->C Kf=1: numKf',repr(r3.numKf),'numKb',r3.numKb, 'neighbors sub', [x.path for x in r3.neighbors['sub']], 'numSubstrates', r3.numSubstrates if hasattr(r3,'numSubstrates') else None)
# third order A+B+C
r4=moose.Reac('/m/r4'); [moose.connect(r4,'sub',x,'reac') for x in (a,b,c)]; moose.connect(r4,'prd',c,'reac'); r4.Kf=1; print('A+B+C 3rd order Kf=1 numKf',repr(r4.numKf))
# first order
r5=moose.Reac('/m/r5'); moose.connect(r5,'sub',a,'reac'); moose.connect(r5,'prd',b,'reac'); r5.Kf=2; r5.Kb=3; print('1st order Kf=2 -> numKf', r5.numKf, 'Kb 3 numKb', r5.numKb)
# volume change
print('before vol change: a.concInit',a.concInit,'a.nInit',a.nInit,'a.volume',a.volume,'r.Kf',r.Kf,'r.numKf',r.numKf, 'r5', r5.Kf, r5.numKf)
m.volume=2e-18
print('after m.volume=2e-18: a.concInit',a.concInit,'a.nInit',a.nInit,'a.volume',a.volume,'r.Kf',r.Kf,'r.numKf',r.numKf,'r5', r5.Kf, r5.numKf)
a.concInit=1; print('set concInit=1 again: nInit', a.nInit)
# setting nInit then concInit
a.nInit=100; print('nInit=100 -> concInit', repr(a.concInit))
# volume via mesh.x0 etc ?
print('mesh fields', m.volume, m.x0, m.x1, m.numDimensions if hasattr(m,'numDimensions') else '')
