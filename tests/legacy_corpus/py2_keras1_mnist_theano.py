# Keras 0.3 / 1.0 MNIST MLP, Python 2, Theano backend
import os
os.environ['KERAS_BACKEND'] = 'theano'

from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Activation
from keras.optimizers import RMSprop
from keras.utils import np_utils
from keras import backend as K
import numpy as np

nb_classes = 10


def build_model():
    model = Sequential()
    model.add(Dense(512, input_shape=(784,)))
    model.add(Activation('relu'))
    model.add(Dropout(0.2))
    model.add(Dense(nb_classes))
    model.add(Activation('softmax'))
    return model

if __name__ == '__main__':
    print "backend:", K.backend()
    X_train = np.random.rand(600, 784).astype('float32')
    y_train = np_utils.to_categorical(np.random.randint(0, 10, 600), nb_classes)
    model = build_model()
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
    for epoch in xrange(3):
        print 'epoch', epoch
        model.fit(X_train, y_train, batch_size=128, nb_epoch=1, show_accuracy=True, verbose=2)
    raise SystemExit, 0
