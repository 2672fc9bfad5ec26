#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Python 2.7 / Keras 1.1 training script
import sys
import cPickle

import numpy as np
from keras.models import Sequential
from keras.layers.core import Dense, Activation
from keras.optimizers import SGD


def build_model():
    model = Sequential()
    model.add(Dense(output_dim=64, input_dim=100, init='uniform'))
    model.add(Activation('tanh'))
    model.add(Dense(output_dim=2))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer=SGD(lr=0.1))
    return model


if __name__ == '__main__':
    try:
        data = cPickle.load(open(sys.argv[1], 'rb'))
    except Exception, e:
        print "could not load data:", e
        data = (np.random.rand(100, 100), np.eye(2)[np.random.randint(0, 2, 100)])
    X, Y = data
    model = build_model()
    print "training on %d samples" % len(X)
    model.fit(X, Y, nb_epoch=5, batch_size=32)
    print >>sys.stderr, "done"
