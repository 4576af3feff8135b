import numpy as np


def grad_mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    _t6 = out - Y
    # reverse pass
    out_bar = 1.0 / np.size(out) * 2 * _t6  # return np.mean((out - Y) ** 2)
    b2_bar = np.sum(out_bar, axis=0)
    h_bar = out_bar @ W2.T  # out = h @ W2 + b2
    W2_bar = h.T @ out_bar
    _t1_bar = h_bar * (1.0 - h * h)  # h = np.tanh(X @ W1 + b1)
    b1_bar = np.sum(_t1_bar, axis=0)
    W1_bar = X.T @ _t1_bar  # h = np.tanh(X @ W1 + b1)
    return W1_bar, b1_bar, W2_bar, b2_bar
