// A fused CPU LSTM for training: TensorFlow ops ScriptlmFusedLstm (forward over a whole window) and
// ScriptlmFusedLstmGrad (its backward), built by `make install` into common/_fused_lstm.so.
//
// In:  x [batch, time, in], kernel [in, 4 units], recurrent [units, 4 units], bias [4 units], h0 and c0
//      [batch, units]; Keras's LSTM arithmetic (gates i, f, g, o; sigmoid, tanh).
// Out: forward: the hidden states [batch, time, units], the last h and c, and what the backward needs
//      besides, time-major: the activated gates [time, batch, 4 units] and the cells [time, batch, units].
//      Backward: the gradients of x, kernel, recurrent, bias, h0 and c0.
//
// The input projection, the weight gradients and the input gradient are each one GEMM over all steps;
// each step is one GEMM plus one elementwise pass. GEMMs are Eigen contractions on the op's intra-op
// thread pool, whose block sums are added in a fixed order, and every other sum runs in a fixed order
// too, so the results repeat bitwise for the same inputs and thread count.
#define EIGEN_USE_THREADS

#include <cstring>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace {

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using Device = Eigen::ThreadPoolDevice;
using Matrix = Eigen::TensorMap<Eigen::Tensor<float, 2, Eigen::RowMajor>, Eigen::Unaligned>;
using ConstMatrix = Eigen::TensorMap<Eigen::Tensor<const float, 2, Eigen::RowMajor>, Eigen::Unaligned>;
using Row = Eigen::Map<Eigen::ArrayXf>;
using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
using Pair = Eigen::IndexPair<Eigen::Index>;

// a @ b, and a^T @ b. (a @ b^T runs at half the speed of a @ b here: b is transposed once instead.)
const Eigen::array<Pair, 1> kRowsByCols = {Pair(1, 0)};
const Eigen::array<Pair, 1> kColsByCols = {Pair(0, 0)};
const Eigen::array<int, 2> kSwap = {1, 0};

ConstMatrix View(const float* data, int64_t rows, int64_t cols) { return ConstMatrix(data, rows, cols); }
Matrix View(float* data, int64_t rows, int64_t cols) { return Matrix(data, rows, cols); }

// Rows [0, n) split among the intra-op threads; `cost` is a row's cycles, roughly.
template <typename F>
void ForRows(const Device& d, int64_t n, double cost, F f) {
  d.parallelFor(n, Eigen::TensorOpCost(cost, cost, cost), [&f](Eigen::Index a, Eigen::Index b) {
    for (Eigen::Index r = a; r < b; ++r) f(r);
  });
}

// [outer, inner, width] -> [inner, outer, width]
void Transpose(const Device& d, const float* from, float* to, int64_t outer, int64_t inner, int64_t width) {
  ForRows(d, outer * inner, width, [=](int64_t r) {
    const int64_t o = r / inner, i = r % inner;
    std::memcpy(to + (i * outer + o) * width, from + r * width, width * sizeof(float));
  });
}

struct Shapes {
  int64_t batch, time, in, units;
};

Shapes ShapesOf(OpKernelContext* ctx) {
  const Tensor& x = ctx->input(0);
  return {x.dim_size(0), x.dim_size(1), x.dim_size(2), ctx->input(2).dim_size(0)};
}

class FusedLstmOp : public OpKernel {
 public:
  explicit FusedLstmOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor &x = ctx->input(0), &kernel = ctx->input(1), &recurrent = ctx->input(2), &bias = ctx->input(3);
    const Tensor &h0 = ctx->input(4), &c0 = ctx->input(5);
    OP_REQUIRES(ctx, x.dims() == 3 && x.dim_size(1) > 0 && kernel.dims() == 2 && recurrent.dims() == 2 &&
                bias.dims() == 1 && h0.dims() == 2 && c0.dims() == 2,
                tensorflow::errors::InvalidArgument("fused LSTM: x [batch, time > 0, in], kernel [in, 4 units], "
                                                    "recurrent [units, 4 units], bias [4 units], h0 and c0 [batch, units]"));
    const Shapes s = ShapesOf(ctx);
    const int64_t B = s.batch, T = s.time, I = s.in, H = s.units, G = 4 * H;
    OP_REQUIRES(ctx, kernel.dim_size(0) == I && kernel.dim_size(1) == G && recurrent.dim_size(1) == G &&
                bias.dim_size(0) == G && h0.dim_size(0) == B && h0.dim_size(1) == H && c0.shape() == h0.shape(),
                tensorflow::errors::InvalidArgument("fused LSTM: shapes do not match"));
    Tensor *seq, *h_last, *c_last, *gates, *cells;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({B, T, H}), &seq));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({B, H}), &h_last));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, TensorShape({B, H}), &c_last));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, TensorShape({T, B, G}), &gates));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, TensorShape({T, B, H}), &cells));
    Tensor xt, rec, pair;
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({T, B, I}), &xt));
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({B, G}), &rec));
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({2, B, H}), &pair));
    const Device& d = ctx->eigen_device<Device>();
    const float *W = kernel.flat<float>().data(), *U = recurrent.flat<float>().data();
    const float* b = bias.flat<float>().data();
    // h of the step before and of this one, contiguous for the product, in turns
    float *z = gates->flat<float>().data(), *c = cells->flat<float>().data(), *h = pair.flat<float>().data();
    float *y = seq->flat<float>().data(), *r = rec.flat<float>().data();

    // All steps' input projections at once, time-major: gates[t, b] = x[b, t] @ W.
    Transpose(d, x.flat<float>().data(), xt.flat<float>().data(), B, T, I);
    View(z, T * B, G).device(d) = View(xt.flat<float>().data(), T * B, I).contract(View(W, I, G), kRowsByCols);
    const ConstRow bias_row(b, G);
    for (int64_t t = 0; t < T; ++t) {
      const float* h_prev = t ? h + (t - 1) % 2 * B * H : h0.flat<float>().data();
      const float* c_prev = t ? c + (t - 1) * B * H : c0.flat<float>().data();
      View(r, B, G).device(d) = View(h_prev, B, H).contract(View(U, H, G), kRowsByCols);
      ForRows(d, B, 40.0 * G, [=, &bias_row](int64_t row) {
        float* zr = z + (t * B + row) * G;
        Row all(zr, G), i(zr, H), f(zr + H, H), g(zr + 2 * H, H), o(zr + 3 * H, H);
        all = all + ConstRow(r + row * G, G) + bias_row;
        i = i.logistic();
        f = f.logistic();
        g = g.tanh();
        o = o.logistic();
        Row cell(c + (t * B + row) * H, H), out(h + (t % 2 * B + row) * H, H);
        cell = f * ConstRow(c_prev + row * H, H) + i * g;
        out = o * cell.tanh();
        std::memcpy(y + (row * T + t) * H, out.data(), H * sizeof(float));
      });
    }
    std::memcpy(h_last->flat<float>().data(), h + (T - 1) % 2 * B * H, B * H * sizeof(float));
    std::memcpy(c_last->flat<float>().data(), c + (T - 1) * B * H, B * H * sizeof(float));
  }
};

class FusedLstmGradOp : public OpKernel {
 public:
  explicit FusedLstmGradOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    // inputs: x, kernel, recurrent, h0, c0, gates, cells, seq, d_seq, d_h, d_c
    const Shapes s = ShapesOf(ctx);
    const int64_t B = s.batch, T = s.time, I = s.in, H = s.units, G = 4 * H;
    const float *W = ctx->input(1).flat<float>().data(), *U = ctx->input(2).flat<float>().data();
    const float *h0 = ctx->input(3).flat<float>().data(), *c0 = ctx->input(4).flat<float>().data();
    const float *a = ctx->input(5).flat<float>().data(), *c = ctx->input(6).flat<float>().data();
    const float *y = ctx->input(7).flat<float>().data(), *dy = ctx->input(8).flat<float>().data();
    Tensor *dx, *dW, *dU, *db, *dh0, *dc0;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({B, T, I}), &dx));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({I, G}), &dW));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, TensorShape({H, G}), &dU));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, TensorShape({G}), &db));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(4, TensorShape({B, H}), &dh0));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(5, TensorShape({B, H}), &dc0));
    Tensor dz_t, xt_t, hp_t, ut_t, wt_t;
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({T, B, G}), &dz_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({G, H}), &ut_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({G, I}), &wt_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({T, B, I}), &xt_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({T, B, H}), &hp_t));
    const Device& d = ctx->eigen_device<Device>();
    float *dz = dz_t.flat<float>().data(), *xt = xt_t.flat<float>().data(), *hp = hp_t.flat<float>().data();
    float *ut = ut_t.flat<float>().data(), *wt = wt_t.flat<float>().data();
    View(ut, G, H).device(d) = View(U, H, G).shuffle(kSwap);
    View(wt, G, I).device(d) = View(W, I, G).shuffle(kSwap);
    // dh0 carries the recurrent gradient dh[t-1] = dz[t] @ U^T between steps, dc0 the cell's.
    float *dh = dh0->flat<float>().data(), *dc = dc0->flat<float>().data();
    std::memcpy(dh, ctx->input(9).flat<float>().data(), B * H * sizeof(float));
    std::memcpy(dc, ctx->input(10).flat<float>().data(), B * H * sizeof(float));

    for (int64_t t = T - 1; t >= 0; --t) {
      const float* c_prev = t ? c + (t - 1) * B * H : c0;
      ForRows(d, B, 60.0 * G, [=](int64_t row) {
        const float* ar = a + (t * B + row) * G;
        ConstRow i(ar, H), f(ar + H, H), g(ar + 2 * H, H), o(ar + 3 * H, H), cell(c + (t * B + row) * H, H);
        float* zr = dz + (t * B + row) * G;
        Row di(zr, H), df(zr + H, H), dg(zr + 2 * H, H), dout(zr + 3 * H, H), dcell(dc + row * H, H);
        Row tc = dg, grad_h = df;  // scratch: tanh(c) and dh, overwritten below once used
        tc = cell.tanh();
        grad_h = ConstRow(dy + (row * T + t) * H, H) + ConstRow(dh + row * H, H);
        dcell += grad_h * o * (1.0f - tc * tc);
        dout = grad_h * tc * o * (1.0f - o);
        di = dcell * g * i * (1.0f - i);
        df = dcell * ConstRow(c_prev + row * H, H) * f * (1.0f - f);
        dg = dcell * i * (1.0f - g * g);
        dcell *= f;
      });
      View(dh, B, H).device(d) = View(dz + t * B * G, B, G).contract(View(ut, G, H), kRowsByCols);
    }

    // The weight gradients over all steps at once, then the input gradient, back to batch-major.
    Transpose(d, ctx->input(0).flat<float>().data(), xt, B, T, I);
    ForRows(d, T * B, H, [=](int64_t r) {  // each step's previous h, time-major
      const int64_t t = r / B, b = r % B;
      std::memcpy(hp + r * H, t ? y + (b * T + t - 1) * H : h0 + b * H, H * sizeof(float));
    });
    const auto dZ = View(dz, T * B, G);
    View(dW->flat<float>().data(), I, G).device(d) = View(xt, T * B, I).contract(dZ, kColsByCols);
    View(dU->flat<float>().data(), H, G).device(d) = View(hp, T * B, H).contract(dZ, kColsByCols);
    View(xt, T * B, I).device(d) = dZ.contract(View(wt, G, I), kRowsByCols);
    Transpose(d, xt, dx->flat<float>().data(), T, B, I);
    float* bias_grad = db->flat<float>().data();
    const int64_t kChunk = 64;  // columns per task; each column summed over all rows in order
    ForRows(d, (G + kChunk - 1) / kChunk, 2.0 * kChunk * T * B, [=](int64_t chunk) {
      const int64_t first = chunk * kChunk, width = std::min(kChunk, G - first);
      Row sum(bias_grad + first, width);
      sum.setZero();
      for (int64_t r = 0; r < T * B; ++r) sum += ConstRow(dz + r * G + first, width);
    });
  }
};

using tensorflow::shape_inference::InferenceContext;

absl::Status ForwardShapes(InferenceContext* c) {
  auto batch = c->Dim(c->input(0), 0), time = c->Dim(c->input(0), 1), units = c->Dim(c->input(2), 0);
  auto gates = c->Dim(c->input(2), 1);
  c->set_output(0, c->MakeShape({batch, time, units}));
  c->set_output(1, c->MakeShape({batch, units}));
  c->set_output(2, c->MakeShape({batch, units}));
  c->set_output(3, c->MakeShape({time, batch, gates}));
  c->set_output(4, c->MakeShape({time, batch, units}));
  return absl::OkStatus();
}

absl::Status BackwardShapes(InferenceContext* c) {
  for (int k = 0; k < 3; ++k) c->set_output(k, c->input(k));  // x, kernel, recurrent
  c->set_output(3, c->MakeShape({c->Dim(c->input(2), 1)}));
  c->set_output(4, c->input(3));
  c->set_output(5, c->input(4));
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("ScriptlmFusedLstm")
    .Input("x: float").Input("kernel: float").Input("recurrent: float").Input("bias: float")
    .Input("h0: float").Input("c0: float")
    .Output("seq: float").Output("h: float").Output("c: float")
    .Output("gates: float").Output("cells: float")
    .SetShapeFn(ForwardShapes);

REGISTER_OP("ScriptlmFusedLstmGrad")
    .Input("x: float").Input("kernel: float").Input("recurrent: float").Input("h0: float").Input("c0: float")
    .Input("gates: float").Input("cells: float").Input("seq: float")
    .Input("d_seq: float").Input("d_h: float").Input("d_c: float")
    .Output("dx: float").Output("dkernel: float").Output("drecurrent: float").Output("dbias: float")
    .Output("dh0: float").Output("dc0: float")
    .SetShapeFn(BackwardShapes);

REGISTER_KERNEL_BUILDER(Name("ScriptlmFusedLstm").Device(tensorflow::DEVICE_CPU), FusedLstmOp);
REGISTER_KERNEL_BUILDER(Name("ScriptlmFusedLstmGrad").Device(tensorflow::DEVICE_CPU), FusedLstmGradOp);
