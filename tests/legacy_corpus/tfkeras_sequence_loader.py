"""Image classification with a tf.keras Sequence (TF 2.1 style)."""
import numpy as np
import tensorflow as tf
from tensorflow.keras.utils import Sequence
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, MaxPooling2D, GlobalAveragePooling2D, Dense
from tensorflow.keras.optimizers import Adam

IMG_SIZE = 64
BATCH_SIZE = 16
NUM_CLASSES = 5


class RandomImageSequence(Sequence):
    """Yields (images, one_hot_labels); a real project would read files here."""

    def __init__(self, n_samples, batch_size=BATCH_SIZE, augment=False):
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.augment = augment
        self.labels = np.random.randint(0, NUM_CLASSES, n_samples)

    def __len__(self):
        return self.n_samples // self.batch_size

    def __getitem__(self, idx):
        y = self.labels[idx * self.batch_size:(idx + 1) * self.batch_size]
        x = np.random.rand(len(y), IMG_SIZE, IMG_SIZE, 3).astype(np.float32)
        if self.augment:
            x = x[:, :, ::-1, :]
        return x, tf.keras.utils.to_categorical(y, NUM_CLASSES)


def build_model():
    model = Sequential([
        Conv2D(16, 3, activation='relu', input_shape=(IMG_SIZE, IMG_SIZE, 3)),
        MaxPooling2D(),
        Conv2D(32, 3, activation='relu'),
        GlobalAveragePooling2D(),
        Dense(NUM_CLASSES, activation='softmax'),
    ])
    model.compile(optimizer=Adam(learning_rate=1e-3),
                  loss='categorical_crossentropy',
                  metrics=['accuracy'])
    return model


if __name__ == '__main__':
    train_gen = RandomImageSequence(320, augment=True)
    val_gen = RandomImageSequence(64)
    model = build_model()
    model.fit_generator(train_gen,
                        steps_per_epoch=len(train_gen),
                        epochs=2,
                        validation_data=val_gen,
                        workers=4,
                        use_multiprocessing=True,
                        max_queue_size=10)
    print(model.evaluate_generator(val_gen))
    print(model.predict_generator(val_gen, workers=2).shape)
