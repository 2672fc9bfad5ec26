# Regression: predict fuel efficiency (TF 2.3 "Basic regression" tutorial)
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.layers.experimental import preprocessing

np.set_printoptions(precision=3, suppress=True)

COLUMNS = ['MPG', 'Cylinders', 'Displacement', 'Horsepower', 'Weight',
           'Acceleration', 'Model Year', 'Europe', 'Japan', 'USA']


def build_model(n_features=9):
    normalizer = preprocessing.Normalization(input_shape=[n_features, ])
    model = keras.Sequential([
        normalizer,
        layers.Dense(64, activation='relu'),
        layers.Dense(64, activation='relu'),
        layers.Dense(1)
    ])
    model.compile(loss='mean_absolute_error',
                  optimizer=tf.keras.optimizers.Adam(0.001))
    return model


def plot_loss(history):
    plt.plot(history.history['loss'], label='loss')
    plt.plot(history.history['val_loss'], label='val_loss')
    plt.ylim([0, 10])
    plt.xlabel('Epoch')
    plt.ylabel('Error [MPG]')
    plt.legend()
    plt.grid(True)
    plt.show()


if __name__ == '__main__':
    dataset = pd.DataFrame(np.random.rand(200, len(COLUMNS)), columns=COLUMNS)
    train_dataset = dataset.sample(frac=0.8, random_state=0)
    train_features = train_dataset.copy()
    train_labels = train_features.pop('MPG')
    print(train_dataset.describe().transpose())

    model = build_model(train_features.shape[1])
    model.layers[0].adapt(np.array(train_features))
    history = model.fit(train_features, train_labels,
                        validation_split=0.2, verbose=0, epochs=20)
    hist = pd.DataFrame(history.history)
    hist['epoch'] = history.epoch
    print(hist.tail())
    plot_loss(history)
