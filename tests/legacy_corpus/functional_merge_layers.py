"""Small ResNet-style network with the functional API (Keras 2.1 - 2.3 module layout)."""
import numpy as np

from keras.models import Model
from keras.layers import Input
from keras.layers.core import Dense, Activation
from keras.layers.convolutional import Conv2D, ZeroPadding2D
from keras.layers.pooling import MaxPooling2D, GlobalAveragePooling2D
from keras.layers.normalization import BatchNormalization
from keras.layers.merge import concatenate, add
from keras.regularizers import l2


def residual_block(x, filters, weight_decay=1e-4):
    shortcut = x
    y = Conv2D(filters, (3, 3), padding='same', kernel_regularizer=l2(weight_decay))(x)
    y = BatchNormalization()(y)
    y = Activation('relu')(y)
    y = Conv2D(filters, (3, 3), padding='same', kernel_regularizer=l2(weight_decay))(y)
    y = BatchNormalization()(y)
    y = add([shortcut, y])
    return Activation('relu')(y)


def build_model():
    img = Input(shape=(32, 32, 3), name='image')
    meta = Input(shape=(4,), name='metadata')

    x = ZeroPadding2D((1, 1))(img)
    x = Conv2D(16, (3, 3), strides=(1, 1))(x)
    x = BatchNormalization()(x)
    x = Activation('relu')(x)
    x = residual_block(x, 16)
    x = MaxPooling2D((2, 2))(x)
    x = residual_block(x, 16)
    x = GlobalAveragePooling2D()(x)

    m = Dense(8, activation='relu')(meta)
    merged = concatenate([x, m])
    out = Dense(10, activation='softmax')(merged)
    model = Model(inputs=[img, meta], outputs=out)
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    return model


if __name__ == '__main__':
    model = build_model()
    xi = np.random.rand(32, 32, 32, 3)
    xm = np.random.rand(32, 4)
    y = np.eye(10)[np.random.randint(0, 10, 32)]
    model.fit([xi, xm], y, epochs=1, batch_size=8)
