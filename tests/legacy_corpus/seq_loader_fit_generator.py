# Custom data generator with keras.utils.Sequence
# (pattern from the "A detailed example of how to use data generators with Keras" blog post)
import numpy as np

from keras.models import Sequential
from keras.layers import Dense, Conv2D, Flatten, MaxPooling2D
from keras.utils import Sequence
from keras.utils import to_categorical


class DataGenerator(Sequence):
    'Generates data for Keras'
    def __init__(self, list_IDs, labels, batch_size=32, dim=(32, 32), n_channels=1,
                 n_classes=10, shuffle=True):
        'Initialization'
        self.dim = dim
        self.batch_size = batch_size
        self.labels = labels
        self.list_IDs = list_IDs
        self.n_channels = n_channels
        self.n_classes = n_classes
        self.shuffle = shuffle
        self.on_epoch_end()

    def __len__(self):
        'Denotes the number of batches per epoch'
        return int(np.floor(len(self.list_IDs) / self.batch_size))

    def __getitem__(self, index):
        'Generate one batch of data'
        indexes = self.indexes[index * self.batch_size:(index + 1) * self.batch_size]
        list_IDs_temp = [self.list_IDs[k] for k in indexes]
        X, y = self.__data_generation(list_IDs_temp)
        return X, y

    def on_epoch_end(self):
        'Updates indexes after each epoch'
        self.indexes = np.arange(len(self.list_IDs))
        if self.shuffle == True:
            np.random.shuffle(self.indexes)

    def __data_generation(self, list_IDs_temp):
        'Generates data containing batch_size samples'  # X : (n_samples, *dim, n_channels)
        X = np.empty((self.batch_size, *self.dim, self.n_channels))
        y = np.empty((self.batch_size), dtype=int)
        for i, ID in enumerate(list_IDs_temp):
            # in the original: X[i,] = np.load('data/' + ID + '.npy')
            X[i, ] = np.random.rand(*self.dim, self.n_channels)
            y[i] = self.labels[ID]
        return X, to_categorical(y, num_classes=self.n_classes)


def build_model():
    model = Sequential()
    model.add(Conv2D(16, (3, 3), activation='relu', input_shape=(32, 32, 1)))
    model.add(MaxPooling2D((2, 2)))
    model.add(Flatten())
    model.add(Dense(10, activation='softmax'))
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    return model


if __name__ == '__main__':
    partition = {'train': ['id-%d' % i for i in range(256)],
                 'validation': ['id-%d' % i for i in range(256, 320)]}
    labels = {'id-%d' % i: np.random.randint(10) for i in range(320)}
    params = {'dim': (32, 32), 'batch_size': 32, 'n_classes': 10, 'n_channels': 1, 'shuffle': True}

    training_generator = DataGenerator(partition['train'], labels, **params)
    validation_generator = DataGenerator(partition['validation'], labels, **params)

    model = build_model()
    # Train model on dataset
    model.fit_generator(generator=training_generator,
                        steps_per_epoch=len(training_generator),
                        epochs=2,
                        validation_data=validation_generator,
                        use_multiprocessing=True,
                        workers=4,
                        max_queue_size=10)
