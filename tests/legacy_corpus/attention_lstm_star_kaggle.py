"""Bi-LSTM with attention for toxic comment classification (Kaggle kernel, 2018).

Everything comes from star imports; the kernel defines its own `Attention` layer,
which hides the `Attention` that `keras.layers` exports.
"""
import numpy as np
from keras.layers import *
from keras.models import *
from keras.optimizers import *
from keras.callbacks import *
from keras import initializers, regularizers, constraints
from keras import backend as K

maxlen = 50
max_features = 2000
embed_size = 32


class Attention(Layer):
    def __init__(self, step_dim, bias=True, **kwargs):
        self.supports_masking = True
        self.init = initializers.get('glorot_uniform')
        self.bias = bias
        self.step_dim = step_dim
        self.features_dim = 0
        super(Attention, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = self.add_weight(shape=(input_shape[-1],), initializer=self.init,
                                 name='{}_W'.format(self.name))
        self.features_dim = input_shape[-1]
        if self.bias:
            self.b = self.add_weight(shape=(input_shape[1],), initializer='zero',
                                     name='{}_b'.format(self.name))
        else:
            self.b = None
        self.built = True

    def call(self, x, mask=None):
        eij = K.reshape(K.dot(K.reshape(x, (-1, self.features_dim)),
                              K.reshape(self.W, (self.features_dim, 1))), (-1, self.step_dim))
        if self.bias:
            eij += self.b
        a = K.exp(K.tanh(eij))
        a /= K.cast(K.sum(a, axis=1, keepdims=True) + K.epsilon(), K.floatx())
        return K.sum(x * K.expand_dims(a), axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape[0], self.features_dim


def build_model():
    inp = Input(shape=(maxlen,))
    x = Embedding(max_features, embed_size)(inp)
    x = Bidirectional(LSTM(32, return_sequences=True))(x)
    x = Attention(maxlen)(x)
    x = Dense(16, activation="relu")(x)
    x = Dropout(0.1)(x)
    x = Dense(6, activation="sigmoid")(x)
    model = Model(inputs=inp, outputs=x)
    model.compile(loss='binary_crossentropy', optimizer=Adam(lr=1e-3, decay=1e-6), metrics=['accuracy'])
    return model


if __name__ == '__main__':
    model = build_model()
    early = EarlyStopping(monitor="val_loss", mode="min", patience=2)
    X = np.random.randint(0, max_features, (64, maxlen))
    y = (np.random.rand(64, 6) > 0.5).astype('float32')
    model.fit(X, y, batch_size=32, epochs=1, validation_split=0.1, callbacks=[early])
