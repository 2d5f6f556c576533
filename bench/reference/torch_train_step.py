# The PyTorch reference for `deno task bench train_step --torch`: HF BertForMaskedLM of a preset at
# batch B x 128 with 15% of positions predicted, the MLM head only on the predicted positions (as
# google-research/bert and this project), AdamW and clipping; tokens/s, median of 5 steps after one
# warm-up step. fp32 runs with TF32 off; mixed runs under torch.autocast(float16) with a GradScaler.
# Prints ONE line: a JSON object {"torch", "preset", "device", "threads", "precision", "batch",
# "tokens_per_s", "step_ms"} (bench/train_step.ts reads it); any failure exits non-zero with one line
# on stderr.
# Run: python3 bench/reference/torch_train_step.py --preset mini --threads 2 --device cpu \
#        --precision fp32 --batch 32        (needs torch and transformers)
import argparse, json, sys, time

PRESETS = {"tiny": (2, 128, 2), "mini": (4, 256, 4), "small": (4, 512, 8), "base": (12, 768, 12)}

parser = argparse.ArgumentParser(description="One BERT masked-LM training step in PyTorch, timed")
parser.add_argument("--preset", choices=sorted(PRESETS), default="mini")
parser.add_argument("--threads", type=int, default=2, help="CPU threads")
parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
parser.add_argument("--precision", choices=["fp32", "mixed"], default="fp32")
parser.add_argument("--batch", type=int, default=32)
parser.add_argument("--steps", type=int, default=5, help="timed steps (median taken)")
args = parser.parse_args()
preset, threads = args.preset, args.threads
if args.batch < 1 or args.steps < 1 or threads < 1:
    sys.exit("torch_train_step: --batch, --steps and --threads must be >= 1")

try:
    import torch
    from transformers import BertConfig, BertForMaskedLM
except ImportError as e:
    sys.exit(f"torch_train_step: cannot import {e.name} ({e}); install torch and transformers")

if args.device == "cuda" and not torch.cuda.is_available():
    sys.exit(f"torch_train_step: --device cuda but torch {torch.__version__} sees no CUDA device")
torch.set_num_threads(threads)
# fp32 means fp32: no TF32 on the tensor cores.
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
device = torch.device(args.device)

L, H, A = PRESETS[preset]
cfg = BertConfig(vocab_size=30522, hidden_size=H, num_hidden_layers=L, num_attention_heads=A, intermediate_size=4 * H)
torch.manual_seed(0)
model = BertForMaskedLM(cfg).to(device).train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-6, weight_decay=0.01)
mixed = args.precision == "mixed"
scaler = torch.amp.GradScaler(args.device, enabled=mixed)
B, T, P = args.batch, 128, round(0.15 * 128)
g = torch.Generator().manual_seed(7)
ids = torch.randint(1000, 30522, (B, T), generator=g)
pos = torch.stack([torch.randperm(T - 2, generator=g)[:P].sort().values + 1 for _ in range(B)])
labels = torch.gather(ids, 1, pos)
ids, pos, labels = ids.to(device), pos.to(device), labels.to(device)
mask = torch.ones_like(ids)


def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast(args.device, dtype=torch.float16, enabled=mixed):
        h = model.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        sel = torch.gather(h, 1, pos.unsqueeze(-1).expand(-1, -1, H))
        logits = model.cls(sel)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab_size).float(), labels.reshape(-1))
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(opt)
    scaler.update()
    return loss.item()  # waits for the device


step()
times = []
for _ in range(args.steps):
    t = time.perf_counter()
    step()
    if args.device == "cuda":
        torch.cuda.synchronize()
    times.append(time.perf_counter() - t)
times.sort()
mid = times[len(times) // 2]
print(json.dumps({
    "torch": torch.__version__,
    "preset": preset,
    "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
    "threads": torch.get_num_threads(),
    "precision": args.precision,
    "batch": B,
    "tokens_per_s": round(B * T / mid, 1),
    "step_ms": round(mid * 1000, 3),
}))
