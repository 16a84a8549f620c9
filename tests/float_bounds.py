"""How far a rounded evaluation of the character LSTM can be from exact arithmetic: tolerances derived from
the dtype and the values, for tests that compare a float32 (or float16, bfloat16) computation with a reference.

In:  a model's weights as `common.model.build_model` lays them out (an embedding or one-hot input, LSTM layers,
     the logits layer), a batch of ids, and the unit roundoff `u` of the dtype the LSTM computes in.
Out: `exact_logits_and_bound(...)`: the logits at every position computed in float64 with numpy (a reference
     independent of Keras and of the generator), and for each a bound on how far any evaluation that rounds
     every operation to `u` (the logits layer in float32) can be from it; `nats_bound(...)`: the same for a
     mean cross-entropy computed from such logits.

Forward error analysis, to first order in u: a sum of n products is off by at most n u / (1 - n u) times the
sum of their sizes (its operands rounded too); an activation is within 4 float32 ulps, then rounded; the
error carried in a layer's state grows by the norm of each step's Jacobian, and a layer's input error
reaches its gates through each gate's column of weights. Worst cases, so a bound any CPU's rounding stays
within, whatever the order of its sums.
"""
import numpy as np

FLOAT32_U = 2.0 ** -24   # unit roundoff: half the spacing of the numbers at 1 (24 significant bits)
UNIT_ROUNDOFF = {"float32": FLOAT32_U, "mixed_float16": 2.0 ** -11, "mixed_bfloat16": 2.0 ** -8}


def gamma(n: int, u: float) -> float:
    return n * u / (1 - n * u)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_layer(xs, input_error, W, U, b, u):
    """A Keras LSTM layer (gates i, f, c, o) over inputs xs [batch, time, in] known to within input_error
    [batch, time] (2-norm): its outputs [batch, time, units] and their error bounds [batch, time] (2-norm)."""
    batch, steps, _ = xs.shape
    H = U.shape[0]
    act = u + 4 * FLOAT32_U
    column_norms = np.linalg.norm(W, axis=0)
    Ui, Uf, Uc, Uo = np.split(U, 4, -1)
    h, c, carried = np.zeros((batch, H)), np.zeros((batch, H)), np.zeros(batch)
    outputs, errors = [], []
    for t in range(steps):
        x = xs[:, t]
        z = x @ W + h @ U + b
        dz = (gamma(W.shape[0] + H + 3, u) * (np.abs(x) @ np.abs(W) + np.abs(h) @ np.abs(U) + np.abs(b))
              + input_error[:, t, None] * column_norms)
        (zi, zf, zc, zo), (ei, ef, ec, eo) = np.split(z, 4, -1), np.split(dz, 4, -1)
        i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zc), sigmoid(zo)
        si, sf, sg, so = i * (1 - i), f * (1 - f), 1 - g ** 2, o * (1 - o)   # the activations' slopes
        di, df, dg, do = si * ei + act * i, sf * ef + act * f, sg * ec + act * np.abs(g), so * eo + act * o
        c_next = f * c + i * g
        tc = np.tanh(c_next)
        st = 1 - tc ** 2
        dc = np.abs(c) * df + np.abs(g) * di + i * dg + gamma(3, u) * (np.abs(f * c) + np.abs(i * g))
        dh = np.abs(tc) * do + o * st * dc + o * act * np.abs(tc) + u * np.abs(o * tc)
        norms = []
        for k in range(batch):  # d(h_t, c_t) / d(h_t-1, c_t-1)
            dc_dh = Uf * (sf[k] * c[k]) + Ui * (si[k] * g[k]) + Uc * (sg[k] * i[k])
            dh_dh = Uo * (so[k] * tc[k]) + dc_dh * (o[k] * st[k])
            jacobian = np.block([[dh_dh, dc_dh], [np.diag(f[k] * o[k] * st[k]), np.diag(f[k])]])
            norms.append(np.linalg.norm(jacobian, 2))
        carried = np.array(norms) * carried + np.sqrt((dh ** 2).sum(-1) + (dc ** 2).sum(-1))
        h, c = o * tc, c_next
        outputs.append(h)
        errors.append(carried)
    return np.stack(outputs, 1), np.stack(errors, 1)


def exact_logits_and_bound(weights, ids, u: float, *, embedding: bool, layers: int = 1):
    """Logits [batch, time, vocab] in float64 and their error bounds, for `build_model`'s weights."""
    weights = [np.asarray(w, np.float64) for w in weights]
    ids = np.asarray(ids)
    if embedding:
        table, *weights = weights
        xs, input_error = table[ids], u * np.linalg.norm(table[ids], axis=-1)   # the looked-up row, rounded
    else:
        xs = np.eye(weights[0].shape[0])[ids]  # one-hot: exact
        input_error = np.zeros(ids.shape)
    for layer in range(layers):
        W, U, b = weights[3 * layer:3 * layer + 3]
        xs, input_error = lstm_layer(xs, input_error, W, U, b, u)
    Wo, bo = weights[3 * layers:]
    logits = xs @ Wo + bo
    bound = (input_error[..., None] * np.linalg.norm(Wo, axis=0)
             + gamma(Wo.shape[0] + 1, FLOAT32_U) * (np.abs(xs) @ np.abs(Wo) + np.abs(bo)))
    return logits, bound


def nats_bound(logits, logit_bound, nats: float) -> float:
    """A bound on how far a mean cross-entropy `nats` over the positions of `logits`, computed in float32 from
    logits within `logit_bound`, can be from exact: one character's loss moves at most twice its largest
    logit error (its gradient, softmax minus one-hot, sums to at most 2 in absolute value); then the float32
    roundoff of a log-sum-exp over the vocabulary and of the mean over every position."""
    count, vocab = int(np.prod(logits.shape[:-1])), logits.shape[-1]
    return (2 * float(logit_bound.max(-1).mean())
            + gamma(count + vocab + 4, FLOAT32_U) * (abs(nats) + 2 * float(np.abs(logits).max())))
