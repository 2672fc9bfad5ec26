# Visualising intermediate activations with K.function (Keras 1.x, 'th' dim ordering),
# then data-parallel training with keras.utils.multi_gpu_model (Keras 2.1.x)
from __future__ import print_function

import numpy as np

from keras import backend as K
from keras.models import Sequential
from keras.layers import Dense, Activation, Flatten, Convolution2D
from keras.utils import multi_gpu_model


def build_model():
    K.set_image_dim_ordering('th')
    model = Sequential()
    model.add(Convolution2D(16, 3, 3, subsample=(2, 2), border_mode='valid',
                            input_shape=(1, 28, 28)))
    model.add(Activation('relu'))
    model.add(Flatten())
    model.add(Dense(output_dim=64, input_dim=16 * 13 * 13, init='glorot_uniform'))
    model.add(Activation('relu'))
    model.add(Dense(output_dim=10))
    model.add(Activation('softmax'))
    return model


def get_activations(model, layer_idx, X_batch):
    get_layer_output = K.function([model.layers[0].input, K.learning_phase()],
                                  [model.layers[layer_idx].output])
    return get_layer_output([X_batch, 0])[0]  # 0 = test phase


def l2_distance():
    a = K.placeholder(shape=(None, 10))
    b = K.placeholder(shape=(None, 10))
    return K.function([a, b], [K.sqrt(K.sum(K.square(a - b), axis=1))])


if __name__ == '__main__':
    model = build_model()
    model.compile(loss='categorical_crossentropy', optimizer='sgd')
    X = np.random.rand(32, 1, 28, 28)
    print(get_activations(model, 2, X).shape)
    sess = K.get_session()
    print(sess.list_devices())
    parallel = multi_gpu_model(model, gpus=2)
    parallel.compile(loss='categorical_crossentropy', optimizer='sgd')
    parallel.fit(X, np.eye(10)[np.random.randint(0, 10, 32)], nb_epoch=1)
