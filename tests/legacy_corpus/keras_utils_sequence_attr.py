# Multi-output model fed by a keras.utils.Sequence subclass (Keras 2.2.x)
import numpy as np
import keras
import keras.backend as K


class MultiTaskGenerator(keras.utils.Sequence):

    def __init__(self, n, batch_size=32, shuffle=True):
        self.n = n
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.index = np.arange(n)

    def __len__(self):
        return int(np.ceil(self.n / float(self.batch_size)))

    def on_epoch_end(self):
        if self.shuffle:
            np.random.shuffle(self.index)

    def __getitem__(self, i):
        idx = self.index[i * self.batch_size:(i + 1) * self.batch_size]
        x = np.random.rand(len(idx), 48).astype(K.floatx())
        y_cls = keras.utils.to_categorical(np.random.randint(0, 3, len(idx)), 3)
        y_reg = np.random.rand(len(idx), 1)
        return x, {'cls': y_cls, 'reg': y_reg}


def build_model():
    inp = keras.layers.Input(shape=(48,), name='features')
    h = keras.layers.Dense(64, activation='relu')(inp)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Dropout(0.3)(h)
    cls = keras.layers.Dense(3, activation='softmax', name='cls')(h)
    reg = keras.layers.Dense(1, name='reg')(h)
    model = keras.models.Model(inputs=inp, outputs=[cls, reg])
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss={'cls': 'categorical_crossentropy', 'reg': 'mse'},
                  loss_weights={'cls': 1.0, 'reg': 0.5})
    return model


if __name__ == '__main__':
    gen = MultiTaskGenerator(512)
    model = build_model()
    model.fit_generator(gen, steps_per_epoch=len(gen), epochs=2,
                        workers=4, use_multiprocessing=True, max_queue_size=10)
    model.evaluate_generator(MultiTaskGenerator(64, shuffle=False), steps=2)
    K.clear_session()
