import moose
for i,ex in enumerate(['x0 + 10*foo','10*foo + x0','x2 + 10*foo','x1*100+y0*10+foo', 'c0 + x0*10']):
    g=moose.Function('/g%d'%i); g.expr=ex
    n=g.x.num
    for j in range(n): g.x[j].value = j+1
    moose.reinit(); moose.start(0.1)
    print('%-20s x.num=%d numVars=%d  (x[j]=j+1) value=%r' % (ex, n, g.numVars, g.value))
