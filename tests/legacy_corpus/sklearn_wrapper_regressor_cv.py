"""Regression with the Keras scikit-learn wrapper and k-fold cross validation.

Keras 2.2.4. scikit-learn is only needed when the script is run.
"""
import numpy as np

from keras.models import Sequential
from keras.layers import Dense
from keras.wrappers.scikit_learn import KerasRegressor

N_FEATURES = 13  # Boston housing has 13 features


def larger_model():
    model = Sequential()
    model.add(Dense(13, input_dim=N_FEATURES, kernel_initializer='normal', activation='relu'))
    model.add(Dense(6, kernel_initializer='normal', activation='relu'))
    model.add(Dense(1, kernel_initializer='normal'))
    model.compile(loss='mean_squared_error', optimizer='adam')
    return model


def build_model():
    return larger_model()


if __name__ == '__main__':
    from sklearn.model_selection import cross_val_score, KFold
    from sklearn.preprocessing import StandardScaler
    from sklearn.pipeline import Pipeline

    X = np.random.rand(150, N_FEATURES)
    Y = X.dot(np.random.rand(N_FEATURES)) + 0.1 * np.random.randn(150)

    estimators = []
    estimators.append(('standardize', StandardScaler()))
    estimators.append(('mlp', KerasRegressor(build_fn=larger_model, epochs=20, batch_size=5, verbose=0)))
    pipeline = Pipeline(estimators)
    kfold = KFold(n_splits=5, shuffle=True, random_state=7)
    results = cross_val_score(pipeline, X, Y, cv=kfold)
    print("Larger: %.2f (%.2f) MSE" % (results.mean(), results.std()))
