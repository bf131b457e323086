import moose, numpy as np
m = moose.CubeMesh('/m'); m.volume = 1e-18
a = moose.Pool('/m/a'); a.concInit = 1
r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
t = moose.Table2('/m/t'); moose.connect(t,'requestOut',a,'getConc')
f = moose.Function('/m/f'); f.expr='x0*2+t'; moose.connect(a,'nOut',f.x[0],'input')
tf = moose.Table2('/m/tf'); moose.connect(tf,'requestOut',f,'getValue')
print('no-solver ticks: pool', a.tick, a.dt, 'reac', r.tick, 'f', f.tick, f.dt)
moose.reinit(); moose.start(3)
print('no solver: a.conc', a.conc, 'table', list(t.vector), 'f.value', f.value, 'tf', list(tf.vector))
print('f.x[0].value', f.x[0].value, 'doEvalAtReinit', f.doEvalAtReinit, 'mode', f.mode, 'useTrigger', f.useTrigger)
