#!/usr/bin/python3
"""tests/py/gen_torch_fixtures.py — PyTorch reference fixture for the CPU LSTM/GRU, the
dense head, the likelihood losses and AdamW (read by tests/nn/test_rnn_torch_parity.cpp).

Usage: /usr/bin/python3 tests/py/gen_torch_fixtures.py [OUT]   (default tests/data/torch_rnn.bin)
Needs Debian's python3-torch (torch 1.13). Deterministic: fixed seeds, CPU, float64 math.

File format (little-endian), STYLE C3:
  magic   8 bytes  b"SKUTORCH"
  version uint32   FIXTURE_VERSION
  count   uint32   number of tensors
  then per tensor: uint32 name length, name (utf-8), uint32 ndim, int64 dims[ndim],
                   float64 data[prod(dims)] (row-major)
Every input is drawn in float32 and widened, so the float and double C++ paths see the
same numbers. Weights are flattened in skucast's layout (engine/nn/rnn.h, Note [RNN weight
layout]): per layer weight_ih, weight_hh, bias_ih, bias_hh — cuDNN's order.

Cases:
  {lstm,gru}/...   2 layers, F=5, Hd=6, T=7, B=3; loss J = sum(gy*y) + sum(ghn*h_n) [+ sum(gcn*c_n)]
                   forward outputs y, h_n, c_n and gradients dx, dh0, dc0, dweights (float64 math)
  lik/<name>/...   raw, y (NaN = masked), scale, weight; loss (weighted mean) and draw = dloss/draw
  train/...        LSTM(2 layers) + Linear head + Gaussian NLL, 3 steps of AdamW with
                   clip_grad_norm_, in float32 as in production: per-step loss and final weights
  attention/...    causal self-attention with a residual (engine/nn/attention.h, Note [Attention]),
                   Hd=6, D=4, T=7, B=3; weights W_qkv [3D, Hd] then W_o [Hd, D]; loss J = sum(gy*y):
                   y and gradients dh, dweights (float64 math)
"""
import struct
import sys
from pathlib import Path

import torch
import torch.nn.functional as Fn

FIXTURE_VERSION = 1
MAGIC = b"SKUTORCH"
EPS = 1e-6  # floor on softplus outputs, kernels/likelihood.hpp
TWEEDIE_POWER = 1.5


def f32(t):
    """Round to float32 and widen back, so both C++ paths get identical inputs."""
    return t.float().double()


def flat_weights(rnn):
    parts = []
    for layer in range(rnn.num_layers):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            parts.append(getattr(rnn, f"{name}_l{layer}").detach().reshape(-1))
    return torch.cat(parts)


def set_flat_weights(rnn, flat):
    off = 0
    with torch.no_grad():
        for layer in range(rnn.num_layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                p = getattr(rnn, f"{name}_l{layer}")
                p.copy_(flat[off:off + p.numel()].reshape(p.shape))
                off += p.numel()
    assert off == flat.numel()


def flat_grads(rnn):
    parts = []
    for layer in range(rnn.num_layers):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            parts.append(getattr(rnn, f"{name}_l{layer}").grad.reshape(-1))
    return torch.cat(parts)


def rnn_case(out, cell, gen):
    F, Hd, L, T, B = 5, 6, 2, 7, 3
    cls = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
    rnn = cls(F, Hd, num_layers=L).double()  # time-major input [T, B, F]
    n_params = sum(p.numel() for p in rnn.parameters())
    w = f32((torch.rand(n_params, generator=gen, dtype=torch.float64) * 2 - 1) * 0.6)
    set_flat_weights(rnn, w)
    x = f32(torch.randn(T, B, F, generator=gen, dtype=torch.float64)).requires_grad_()
    h0 = f32(torch.randn(L, B, Hd, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()
    c0 = f32(torch.randn(L, B, Hd, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()
    gy = f32(torch.randn(T, B, Hd, generator=gen, dtype=torch.float64))
    ghn = f32(torch.randn(L, B, Hd, generator=gen, dtype=torch.float64))
    gcn = f32(torch.randn(L, B, Hd, generator=gen, dtype=torch.float64))
    if cell == "lstm":
        y, (hn, cn) = rnn(x, (h0, c0))
        loss = (gy * y).sum() + (ghn * hn).sum() + (gcn * cn).sum()
    else:
        y, hn = rnn(x, h0)
        loss = (gy * y).sum() + (ghn * hn).sum()
    loss.backward()
    p = cell + "/"
    out[p + "config"] = torch.tensor([F, Hd, L, T, B], dtype=torch.float64)
    out[p + "weights"] = w
    out[p + "x"] = x.detach()
    out[p + "h0"] = h0.detach()
    out[p + "gy"] = gy
    out[p + "ghn"] = ghn
    out[p + "y"] = y.detach()
    out[p + "hn"] = hn.detach()
    out[p + "dx"] = x.grad
    out[p + "dh0"] = h0.grad
    out[p + "dweights"] = flat_grads(rnn)
    if cell == "lstm":
        out[p + "c0"] = c0.detach()
        out[p + "gcn"] = gcn
        out[p + "cn"] = cn.detach()
        out[p + "dc0"] = c0.grad


def element_loss(name, raw, y, nu):
    """Per-element loss, Note [Likelihood parametrization] in kernels/likelihood.hpp."""
    if name == "gaussian":
        mu = nu * raw[..., 0]
        sigma = nu * (Fn.softplus(raw[..., 1]) + EPS)
        return -torch.distributions.Normal(mu, sigma).log_prob(y)
    if name == "student_t":
        mu = nu * raw[..., 0]
        sigma = nu * (Fn.softplus(raw[..., 1]) + EPS)
        df = 2.0 + Fn.softplus(raw[..., 2])
        return -torch.distributions.StudentT(df, mu, sigma).log_prob(y)
    if name == "negbin":
        mu = nu * (Fn.softplus(raw[..., 0]) + EPS)
        alpha = (Fn.softplus(raw[..., 1]) + EPS) / torch.sqrt(nu)
        nb = torch.distributions.NegativeBinomial(total_count=1.0 / alpha, logits=torch.log(alpha * mu),
                                                  validate_args=False)
        return -nb.log_prob(y)
    z = y / nu
    if name == "tweedie":
        p = TWEEDIE_POWER
        m = torch.exp(raw[..., 0])
        return 2 * (z.clamp(min=0) ** (2 - p) / ((1 - p) * (2 - p)) - z * m ** (1 - p) / (1 - p) + m ** (2 - p) / (2 - p))
    if name == "mse":
        return (raw[..., 0] - z) ** 2
    if name == "mae":
        return (raw[..., 0] - z).abs()
    raise ValueError(name)


def masked_mean(per, y, weight):
    """sum weight * loss over observed rows / sum weight over observed rows."""
    mask = ~torch.isnan(y)
    wrow = weight.expand_as(y) * mask
    return (torch.where(mask, per, torch.zeros_like(per)) * wrow).sum() / wrow.sum()


def likelihood_case(out, name, gen):
    T, B = 5, 4
    P = 3 if name == "student_t" else 2 if name in ("gaussian", "negbin") else 1
    raw = f32(torch.randn(T, B, P, generator=gen, dtype=torch.float64)).requires_grad_()
    scale = f32(0.5 + 3.5 * torch.rand(B, generator=gen, dtype=torch.float64))
    weight = f32(torch.rand(B, generator=gen, dtype=torch.float64))
    weight[1] = 0.0  # a window with zero weight contributes nothing
    if name in ("negbin", "tweedie"):
        y = torch.floor(torch.rand(T, B, generator=gen, dtype=torch.float64) * 8) * (
            torch.rand(T, B, generator=gen, dtype=torch.float64) > 0.3)
    else:
        y = f32(torch.randn(T, B, generator=gen, dtype=torch.float64) * scale)
    y[0, 2] = float("nan")
    y[3, 0] = float("nan")
    y_filled = torch.nan_to_num(y, nan=1.0)  # masked rows: any valid value, removed by the mask
    per = element_loss(name, raw, y_filled, scale)
    loss = masked_mean(per, y, weight)
    loss.backward()
    p = f"lik/{name}/"
    out[p + "raw"] = raw.detach()
    out[p + "y"] = y
    out[p + "scale"] = scale
    out[p + "weight"] = weight
    out[p + "loss"] = loss.detach().reshape(1)
    out[p + "draw"] = raw.grad


def train_case(out, gen):
    """LSTM + Linear + Gaussian NLL, AdamW with clipping, float32 like production."""
    F, Hd, L, T, B, steps = 4, 8, 2, 6, 5, 3
    lr, wd, clip = 1e-2, 0.1, 0.5
    rnn = torch.nn.LSTM(F, Hd, num_layers=L)
    head = torch.nn.Linear(Hd, 2)
    n_rnn = sum(p.numel() for p in rnn.parameters())
    w = f32((torch.rand(n_rnn, generator=gen, dtype=torch.float64) * 2 - 1) * 0.4)
    wh = f32((torch.rand(2 * Hd + 2, generator=gen, dtype=torch.float64) * 2 - 1) * 0.4)
    set_flat_weights(rnn, w.float())
    with torch.no_grad():
        head.weight.copy_(wh[:2 * Hd].reshape(2, Hd).float())
        head.bias.copy_(wh[2 * Hd:].float())
    x = f32(torch.randn(T, B, F, generator=gen, dtype=torch.float64))
    scale = f32(0.5 + 2 * torch.rand(B, generator=gen, dtype=torch.float64))
    weight = f32(0.2 + torch.rand(B, generator=gen, dtype=torch.float64))
    y = f32(torch.randn(T, B, generator=gen, dtype=torch.float64) * scale)
    y[1, 1] = float("nan")
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    losses, norms = [], []
    for _ in range(steps):
        opt.zero_grad()
        hseq, _ = rnn(x.float())
        raw = head(hseq)
        per = element_loss("gaussian", raw, torch.nan_to_num(y, nan=0.0).float(), scale.float())
        loss = masked_mean(per, y.float(), weight.float())
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip)))
        opt.step()
        losses.append(float(loss))
    p = "train/"
    out[p + "config"] = torch.tensor([F, Hd, L, T, B, steps, lr, wd, clip], dtype=torch.float64)
    out[p + "weights"] = w
    out[p + "head"] = wh
    out[p + "x"] = x
    out[p + "y"] = y
    out[p + "scale"] = scale
    out[p + "weight"] = weight
    out[p + "losses"] = torch.tensor(losses, dtype=torch.float64)
    out[p + "grad_norms"] = torch.tensor(norms, dtype=torch.float64)
    out[p + "final_weights"] = flat_weights(rnn).double()
    out[p + "final_head"] = torch.cat([head.weight.detach().reshape(-1), head.bias.detach()]).double()


def attention_case(out, gen):
    """y = h + W_o softmax(causal(q k^T / sqrt(D))) v, q|k|v = h W_qkv^T (engine/nn/attention.h)."""
    Hd, D, T, B = 6, 4, 7, 3
    w_qkv = f32((torch.rand(3 * D, Hd, generator=gen, dtype=torch.float64) * 2 - 1) * 0.8).requires_grad_()
    w_o = f32((torch.rand(Hd, D, generator=gen, dtype=torch.float64) * 2 - 1) * 0.8).requires_grad_()
    h = f32(torch.randn(T, B, Hd, generator=gen, dtype=torch.float64)).requires_grad_()
    gy = f32(torch.randn(T, B, Hd, generator=gen, dtype=torch.float64))
    qkv = h @ w_qkv.T                                          # [T, B, 3D]
    q, k, v = (qkv[..., i * D:(i + 1) * D].transpose(0, 1) for i in range(3))  # [B, T, D]
    s = q @ k.transpose(1, 2) / D ** 0.5                       # [B, T, T]
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)          # step t sees steps j <= t
    a = torch.softmax(s.masked_fill(mask, float("-inf")), dim=-1)
    o = (a @ v).transpose(0, 1)                                # [T, B, D]
    y = h + o @ w_o.T
    (gy * y).sum().backward()
    p = "attention/"
    out[p + "config"] = torch.tensor([Hd, D, T, B], dtype=torch.float64)
    out[p + "weights"] = torch.cat([w_qkv.detach().reshape(-1), w_o.detach().reshape(-1)])
    out[p + "h"] = h.detach()
    out[p + "gy"] = gy
    out[p + "y"] = y.detach()
    out[p + "dh"] = h.grad
    out[p + "dweights"] = torch.cat([w_qkv.grad.reshape(-1), w_o.grad.reshape(-1)])


def write_fixture(path, tensors):
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<II", FIXTURE_VERSION, len(tensors)))
        for name, t in tensors.items():
            t = t.detach().double().contiguous()
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)))
            f.write(nb)
            f.write(struct.pack("<I", t.dim()))
            f.write(struct.pack(f"<{t.dim()}q", *t.shape))
            f.write(struct.pack(f"<{t.numel()}d", *t.reshape(-1).tolist()))


def build():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20261128)
    out = {}
    rnn_case(out, "lstm", gen)
    rnn_case(out, "gru", gen)
    for name in ("gaussian", "negbin", "tweedie", "mse", "mae"):
        likelihood_case(out, name, gen)
    train_case(out, gen)
    likelihood_case(out, "student_t", gen)  # added later: after the others, so their draws stay put
    attention_case(out, gen)  # likewise
    return out


def main():
    default = Path(__file__).resolve().parent.parent / "data" / "torch_rnn.bin"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    tensors = build()
    write_fixture(path, tensors)
    print(f"wrote {path}: {len(tensors)} tensors, {path.stat().st_size} bytes, torch {torch.__version__}")


if __name__ == "__main__":
    main()
