"""Subclassed model with a custom training step (TF 2.2 "Customizing what happens in fit()")."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

loss_tracker = keras.metrics.Mean(name="loss")
mae_metric = keras.metrics.MeanAbsoluteError(name="mae")


class MLPBlock(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super(MLPBlock, self).__init__(**kwargs)
        self.dense_1 = keras.layers.Dense(units, activation=tf.nn.relu)
        self.dense_2 = keras.layers.Dense(units, activation=tf.nn.relu)

    def call(self, inputs):
        return self.dense_2(self.dense_1(inputs))


class CustomModel(keras.Model):
    def __init__(self, **kwargs):
        super(CustomModel, self).__init__(**kwargs)
        self.block = MLPBlock(32)
        self.head = keras.layers.Dense(1)

    def call(self, inputs, training=False):
        return self.head(self.block(inputs))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            loss = keras.losses.mean_squared_error(y, y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        loss_tracker.update_state(loss)
        mae_metric.update_state(y, y_pred)
        return {"loss": loss_tracker.result(), "mae": mae_metric.result()}

    @property
    def metrics(self):
        return [loss_tracker, mae_metric]


def build_model():
    inputs = keras.Input(shape=(32,))
    model = CustomModel()
    model(inputs)  # build the weights
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    return model


if __name__ == "__main__":
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    model = build_model()
    model.fit(x, y, epochs=3)
