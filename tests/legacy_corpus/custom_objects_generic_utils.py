# Registering a custom activation (Swish / Mish) so that saved models can be reloaded.
# Keras 2.2.4 - 2.3.1
import numpy as np

from keras import backend as K
from keras.layers import Activation, Dense, Input
from keras.models import Model, load_model
from keras.utils.generic_utils import get_custom_objects, CustomObjectScope


def swish(x, beta=1.0):
    return x * K.sigmoid(beta * x)


def mish(x):
    return x * K.tanh(K.softplus(x))


def register_activations():
    get_custom_objects().update({'swish': Activation(swish), 'mish': Activation(mish)})


def build_model():
    register_activations()
    inp = Input(shape=(20,))
    x = Dense(32)(inp)
    x = Activation('swish')(x)
    x = Dense(32, activation=mish)(x)
    out = Dense(1, activation='sigmoid')(x)
    model = Model(inp, out)
    model.compile(optimizer='adam', loss='binary_crossentropy')
    return model


if __name__ == '__main__':
    model = build_model()
    model.fit(np.random.rand(64, 20), np.random.randint(0, 2, 64), epochs=1)
    model.save('swish_model.h5')
    with CustomObjectScope({'swish': swish, 'mish': mish}):
        restored = load_model('swish_model.h5')
    restored.summary()
