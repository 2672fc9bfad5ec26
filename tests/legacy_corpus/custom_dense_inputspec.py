# A re-implementation of Dense with an explicit InputSpec, following
# "Writing your own Keras layers" (keras.io, Keras 2.2.x).
import numpy as np

from keras import backend as K
from keras import activations, initializers
from keras.engine import Layer, InputSpec
from keras.models import Sequential
from keras.layers import Dense


class MyDense(Layer):

    def __init__(self, output_dim, activation=None, kernel_initializer='glorot_uniform', **kwargs):
        if 'input_shape' not in kwargs and 'input_dim' in kwargs:
            kwargs['input_shape'] = (kwargs.pop('input_dim'),)
        super(MyDense, self).__init__(**kwargs)
        self.output_dim = output_dim
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        # Create a trainable weight variable for this layer.
        self.kernel = self.add_weight(name='kernel',
                                      shape=(input_dim, self.output_dim),
                                      initializer=self.kernel_initializer,
                                      trainable=True)
        self.bias = self.add_weight(name='bias', shape=(self.output_dim,),
                                    initializer='zeros', trainable=True)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        super(MyDense, self).build(input_shape)  # Be sure to call this at the end

    def call(self, x):
        output = K.dot(x, self.kernel)
        output = K.bias_add(output, self.bias)
        if self.activation is not None:
            output = self.activation(output)
        return output

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = {'output_dim': self.output_dim,
                  'activation': activations.serialize(self.activation)}
        base_config = super(MyDense, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


def build_model():
    model = Sequential()
    model.add(MyDense(32, activation='relu', input_shape=(16,)))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(optimizer='sgd', loss='binary_crossentropy')
    return model


if __name__ == '__main__':
    x = np.random.random((100, 16))
    y = np.random.randint(2, size=(100, 1))
    model = build_model()
    model.fit(x, y, epochs=2, batch_size=16)
    print(model.layers[0].get_weights()[0].shape)
