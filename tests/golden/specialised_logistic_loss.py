import numpy as np


def grad_logistic_loss(w, b, X, y):
    z = X @ w + b
    # reverse pass
    _t3_bar = 1.0 / np.size(y)  # return np.mean(np.logaddexp(0.0, z) - y * z)
    z_bar = -_t3_bar * y
    z_bar = z_bar + _t3_bar / (1.0 + np.exp(-z))
    b_bar = np.sum(z_bar)
    w_bar = X.T @ z_bar  # z = X @ w + b
    return w_bar, b_bar
