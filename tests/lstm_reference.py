"""An LSTM layer and its gradients in float64 numpy, and how far a float32 evaluation of them can be off:
the independent reference for the fused op's tests (tests/test_fused_lstm.py).

In:  inputs x [batch, time, in], Keras's weights (kernel, recurrent_kernel, bias; gates i, f, c, o), an
     initial state (h0, c0), and the gradients arriving at the outputs: at every step's h, at the last h
     and at the last c.
Out: `forward_backward(...)`: the outputs (every step's h, the last h and c) and the gradients with
     respect to x, kernel, recurrent_kernel, bias, h0 and c0, each with a bound on how far any float32
     evaluation that rounds every operation may be from it.

The bound is first order in the unit roundoff u, in the manner of tests/float_bounds.py: every value is
reached through at most n rounded operations (per step a sum of in + units terms forward and of 4 units
terms backward, and a few elementwise ones, over every step; then a sum over all positions), so it is
off by at most gamma(n) times the size of the terms it is made of; the sizes are taken as the largest
of each quantity (`|x| |W|` and the like, from this exact evaluation), a generous form the arithmetic of
a small-weighted, contracting recurrence keeps within.
"""
import numpy as np

from float_bounds import FLOAT32_U, gamma, sigmoid

ELEMENTWISE = 20  # rounded elementwise operations per step, forward and backward together, at most


def forward_backward(x, weights, h0, c0, d_seq, d_h, d_c):
    """(outputs, gradients, bounds): outputs = seq, h, c; gradients and bounds by name (x, kernel,
    recurrent_kernel, bias, h0, c0, and seq, h, c for the outputs)."""
    x, (W, U, b), h, c = np.float64(x), [np.float64(w) for w in weights], np.float64(h0), np.float64(c0)
    batch, steps, size = x.shape
    H = U.shape[0]
    acts, cells, previous, seq, pre = [], [], [], [], []
    for t in range(steps):
        z = x[:, t] @ W + h @ U + b
        pre.append(np.abs(x[:, t]) @ np.abs(W) + np.abs(h) @ np.abs(U) + np.abs(b))
        i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
        previous.append((h, c))
        c = f * c + i * g
        h = o * np.tanh(c)
        acts.append((i, f, g, o))
        cells.append(c)
        seq.append(h)
    dh, dc = np.float64(d_h), np.float64(d_c)
    dz, carried = [None] * steps, []
    for t in reversed(range(steps)):
        i, f, g, o = acts[t]
        tc = np.tanh(cells[t])
        dh = dh + d_seq[:, t]
        dc = dc + dh * o * (1 - tc ** 2)
        dz[t] = np.concatenate([dc * g * i * (1 - i), dc * previous[t][1] * f * (1 - f), dc * i * (1 - g ** 2),
                                dh * tc * o * (1 - o)], -1)
        carried.append(np.abs(dz[t]) @ np.abs(U.T) + np.abs(dc))
        dh, dc = dz[t] @ U.T, dc * f
    dz = np.stack(dz, 1)  # [batch, time, 4 units]
    h_prev = np.stack([p[0] for p in previous], 1)
    gradients = {"x": dz @ W.T, "kernel": np.einsum("bti,btg->ig", x, dz),
                 "recurrent_kernel": np.einsum("bth,btg->hg", h_prev, dz), "bias": dz.sum((0, 1)), "h0": dh, "c0": dc}
    sizes = {"x": np.abs(dz) @ np.abs(W.T), "kernel": np.einsum("bti,btg->ig", np.abs(x), np.abs(dz)),
             "recurrent_kernel": np.einsum("bth,btg->hg", np.abs(h_prev), np.abs(dz)), "bias": np.abs(dz).sum((0, 1)),
             "h0": carried[-1], "c0": carried[-1]}  # the sizes at the first step, which a contracting
    # recurrence's earlier errors (and gradients) reach only shrunk
    forward = np.max(pre) + np.max(np.abs(cells))
    sizes.update(seq=forward, h=forward, c=forward)
    n = steps * (size + 5 * H + ELEMENTWISE) + batch * steps + 4 * H
    bounds = {name: gamma(n, FLOAT32_U) * np.max(size_) for name, size_ in sizes.items()}
    return (np.stack(seq, 1), h, c), gradients, bounds
