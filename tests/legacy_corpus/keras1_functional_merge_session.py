"""Question/answer matching model with the old functional `merge` (Keras 1.2 / 2.0.x),
trained data-parallel with multi_gpu_model (Keras 2.0.9)."""
import numpy as np
import tensorflow as tf

from keras import backend as K
from keras.layers import Input, Dense, Embedding, LSTM, merge
from keras.models import Model
from keras.utils.training_utils import multi_gpu_model

MAX_WORDS = 10000
SEQ_LEN = 30


def build_model():
    question = Input(shape=(SEQ_LEN,), dtype='int32', name='question')
    answer = Input(shape=(SEQ_LEN,), dtype='int32', name='answer')

    shared_embedding = Embedding(input_dim=MAX_WORDS, output_dim=64, input_length=SEQ_LEN)
    shared_lstm = LSTM(32)

    encoded_q = shared_lstm(shared_embedding(question))
    encoded_a = shared_lstm(shared_embedding(answer))

    merged = merge([encoded_q, encoded_a], mode='concat', concat_axis=-1)
    similarity = merge([encoded_q, encoded_a], mode='cos', dot_axes=1)
    hidden = Dense(output_dim=32, activation='relu')(merged)
    prediction = Dense(1, activation='sigmoid')(merge([hidden, similarity], mode='concat'))

    return Model(input=[question, answer], output=prediction)


if __name__ == '__main__':
    config = tf.ConfigProto()
    config.gpu_options.per_process_gpu_memory_fraction = 0.4
    K.set_session(tf.Session(config=config))

    model = build_model()
    parallel_model = multi_gpu_model(model, gpus=2)
    parallel_model.compile(loss='binary_crossentropy', optimizer='rmsprop')

    q = np.random.randint(0, MAX_WORDS, (256, SEQ_LEN))
    a = np.random.randint(0, MAX_WORDS, (256, SEQ_LEN))
    y = np.random.randint(0, 2, 256)
    parallel_model.fit([q, a], y, nb_epoch=2, batch_size=64)
    K.get_session().close()
