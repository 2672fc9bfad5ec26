"""Minimal capsule network layer (Sabour et al. 2017) for Keras 2.2.x.

Adapted from the CapsNet-Keras repository: squash + dynamic routing.
"""
import numpy as np

import keras.backend as K
from keras.engine.base_layer import Layer
from keras import initializers
from keras.layers import Input, Conv2D, Reshape, Lambda
from keras.models import Model


def squash(vectors, axis=-1):
    s_squared_norm = K.sum(K.square(vectors), axis, keepdims=True)
    scale = s_squared_norm / (1 + s_squared_norm) / K.sqrt(s_squared_norm + K.epsilon())
    return scale * vectors


class CapsuleLayer(Layer):
    def __init__(self, num_capsule, dim_capsule, routings=3,
                 kernel_initializer='glorot_uniform', **kwargs):
        super(CapsuleLayer, self).__init__(**kwargs)
        self.num_capsule = num_capsule
        self.dim_capsule = dim_capsule
        self.routings = routings
        self.kernel_initializer = initializers.get(kernel_initializer)

    def build(self, input_shape):
        assert len(input_shape) >= 3, "The input Tensor should have shape=[None, input_num_capsule, input_dim_capsule]"
        self.input_num_capsule = input_shape[1]
        self.input_dim_capsule = input_shape[2]
        self.W = self.add_weight(shape=[self.num_capsule, self.input_num_capsule,
                                        self.dim_capsule, self.input_dim_capsule],
                                 initializer=self.kernel_initializer,
                                 name='W')
        self.built = True

    def call(self, inputs, training=None):
        inputs_expand = K.expand_dims(inputs, 1)
        inputs_tiled = K.tile(inputs_expand, [1, self.num_capsule, 1, 1])
        inputs_hat = K.map_fn(lambda x: K.batch_dot(x, self.W, [2, 3]), elems=inputs_tiled)

        b = K.zeros_like(inputs_hat[:, :, :, 0])
        for i in range(self.routings):
            c = K.softmax(b, axis=1)
            outputs = squash(K.batch_dot(c, inputs_hat, [2, 2]))
            if i < self.routings - 1:
                b += K.batch_dot(outputs, inputs_hat, [2, 3])
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple([None, self.num_capsule, self.dim_capsule])


def build_model():
    x = Input(shape=(28, 28, 1))
    conv1 = Conv2D(32, kernel_size=9, strides=2, padding='valid', activation='relu')(x)
    primary = Conv2D(8 * 8, kernel_size=9, strides=2, padding='valid')(conv1)
    n_caps = int(np.prod(K.int_shape(primary)[1:]) // 8)
    primary = Reshape(target_shape=[n_caps, 8])(primary)
    primary = Lambda(squash, name='primarycap_squash')(primary)
    digitcaps = CapsuleLayer(num_capsule=10, dim_capsule=8, routings=3, name='digitcaps')(primary)
    out_caps = Lambda(lambda z: K.sqrt(K.sum(K.square(z), -1)), name='capsnet')(digitcaps)
    return Model(x, out_caps)


if __name__ == '__main__':
    model = build_model()
    model.summary()
    model.compile(optimizer='adam', loss='mse')
    model.fit(np.random.rand(16, 28, 28, 1), np.random.rand(16, 10), epochs=1)
