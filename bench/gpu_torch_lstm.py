#!/usr/bin/env python3
"""bench/gpu_torch_lstm.py — the PyTorch peer of bench_gpu_kernels' `lstm` mode.

One DeepAR training step on the GPU with torch.nn.LSTM (cuDNN), the same shapes as skucast
(2 layers, hidden H, context 112 + horizon 28 = 140 steps, batch 1,024, F = 11 inputs), a
dense head to (mu, sigma), Gaussian NLL over all steps, backward, global-norm clipping
(max 10) and AdamW (fused, PyTorch's fastest CUDA AdamW). FP32 with TF32 off, as skucast's
FP32 path (CUDNN_FMA_MATH). Prints one line: `TORCH lstm_step hidden=H ms=... windows_per_s=...`.
Usage: gpu_torch_lstm.py HIDDEN
"""
import sys
import time

import torch
import torch.nn.functional as Fn


def main() -> int:
    hidden = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    if not torch.cuda.is_available():
        print("gpu_torch_lstm: no CUDA device visible to PyTorch", file=sys.stderr)
        return 77
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    torch.manual_seed(0)
    T, B, F, L = 140, 1024, 11, 2
    rnn = torch.nn.LSTM(F, hidden, L).to(dev)
    head = torch.nn.Linear(hidden, 2).to(dev)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.0, fused=True)
    x = torch.randn(T, B, F, device=dev)
    y = torch.randn(T, B, device=dev)
    scale = torch.ones(B, device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        h, _ = rnn(x)
        raw = head(h)
        mu = scale * raw[..., 0]
        sigma = scale * (Fn.softplus(raw[..., 1]) + 1e-6)
        loss = -torch.distributions.Normal(mu, sigma, validate_args=False).log_prob(y).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()

    for _ in range(5):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(30):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    ms = times[len(times) // 2]
    print(f"TORCH lstm_step hidden={hidden} ms={ms:.3f} windows_per_s={B / (ms * 1e-3):.1f} "
          f"torch={torch.__version__} cudnn={torch.backends.cudnn.version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
