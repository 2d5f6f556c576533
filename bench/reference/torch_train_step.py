# The PyTorch CPU reference for `deno task bench train_step`: HF BertForMaskedLM of a preset at batch
# 32 x 128 with 15% of positions predicted, the MLM head only on the predicted positions (as
# google-research/bert and this project), AdamW and clipping; prints tokens/s, median of 5 steps.
# Run: python tasks/bench/reference/torch_train_step.py mini 2   (preset, threads; needs torch, transformers)
import sys, time, torch
from transformers import BertConfig, BertForMaskedLM
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
presets = {"tiny": (2, 128, 2), "mini": (4, 256, 4), "small": (4, 512, 8)}
L, H, A = presets[sys.argv[1] if len(sys.argv) > 1 else "mini"]
cfg = BertConfig(vocab_size=30522, hidden_size=H, num_hidden_layers=L, num_attention_heads=A, intermediate_size=4 * H)
model = BertForMaskedLM(cfg).train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-6, weight_decay=0.01)
B, T, P = 32, 128, round(0.15 * 128)
g = torch.Generator().manual_seed(7)
ids = torch.randint(1000, 30522, (B, T), generator=g)
pos = torch.stack([torch.randperm(T - 2, generator=g)[:P].sort().values + 1 for _ in range(B)])
labels = torch.gather(ids, 1, pos)
def step():
    opt.zero_grad(set_to_none=True)
    h = model.bert(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
    sel = torch.gather(h, 1, pos.unsqueeze(-1).expand(-1, -1, H))
    logits = model.cls(sel)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab_size), labels.reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()
step()
times = []
for _ in range(5):
    t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
times.sort()
print(f"torch {torch.__version__} threads={torch.get_num_threads()} train_step_{sys.argv[1] if len(sys.argv)>1 else 'mini'}={B*T/times[2]:.0f} tokens/s (median of 5)")
