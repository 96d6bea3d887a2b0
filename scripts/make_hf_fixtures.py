#!/usr/bin/env python3
"""Makes test/fixtures/hf/: small random LlamaForCausalLM checkpoints saved by transformers' own
save_pretrained, in both config.json layouts, with float64 reference logits and gradients.

Run with the peers venv (CPU torch + transformers; never a dependency of heed or its tests):
    /tmp/heed-peers-venv/bin/python scripts/make_hf_fixtures.py [--out test/fixtures/hf]

Each fixture directory holds
  config.json, model.safetensors   what save_pretrained wrote (the 4.x-layout fixtures get their
                                   RoPE keys rewritten to the legacy top-level rope_theta +
                                   rope_scaling by this script, since the venv has transformers 5)
  reference.safetensors            ids, targets (I32), the f64 logits [B, T, V], the mean
                                   cross-entropy `loss` of targets (-100 ignored), `grad.<param>` of
                                   that loss for every parameter (F64), and HF's `inv_freq` (F32)
and freqs.json holds transformers' own inv_freq for real Llama 3.x RoPE configs.

The reference is HF's model run in float64 with three modules patched, because stock HF computes
these in float32 even after .double(): RMSNorm (input cast to f32), RoPE's cos/sin (computed from
f32 angles in f32) and the eager softmax (dtype=float32). The patches keep HF's arithmetic but in
f64, except the RoPE angle itself: inv_freq and position * inv_freq stay f32 exactly as HF forms
them (that is the model's definition of the angle; heed forms the same f32 product), and only
cos/sin are taken in f64. Before patching, the script checks that the stock f32 model gives the
same logits to within f32 rounding, so the patches change precision, not the model.
"""

import argparse
import contextlib
import json
import os
import shutil
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.models.llama import modeling_llama as ml

B, T = 2, 8

# name, config.json layout, LlamaConfig arguments
FIXTURES = [
    ("v5-gqa-theta5e5", "v5", dict(hidden_size=32, num_attention_heads=4, num_key_value_heads=2, intermediate_size=40,
                                   num_hidden_layers=2, vocab_size=48, max_position_embeddings=64, rms_norm_eps=1e-5,
                                   tie_word_embeddings=False, rope_parameters={"rope_type": "default", "rope_theta": 500000.0})),
    ("v4-mqa-tied", "v4", dict(hidden_size=32, num_attention_heads=4, num_key_value_heads=1, intermediate_size=40,
                               num_hidden_layers=2, vocab_size=48, max_position_embeddings=64, rms_norm_eps=1e-6,
                               tie_word_embeddings=True, rope_parameters={"rope_type": "default", "rope_theta": 25000.0})),
    # hd 16 so llama3's three bands are all present: wavelengths 6.3 and 32 stay (< 256/4),
    # 167 is blended, the rest (> 256/1) are divided by the factor
    ("v5-llama3", "v5", dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=1, intermediate_size=40,
                             num_hidden_layers=2, vocab_size=48, max_position_embeddings=1024, rms_norm_eps=1e-5,
                             tie_word_embeddings=False,
                             rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 4.0, "low_freq_factor": 1.0,
                                              "high_freq_factor": 4.0, "original_max_position_embeddings": 256})),
    ("v4-llama3-tied", "v4", dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=2, intermediate_size=40,
                                  num_hidden_layers=2, vocab_size=48, max_position_embeddings=512, rms_norm_eps=1e-5,
                                  tie_word_embeddings=True,
                                  rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                                   "high_freq_factor": 2.0, "original_max_position_embeddings": 128})),
    ("v5-linear", "v5", dict(hidden_size=32, num_attention_heads=4, num_key_value_heads=2, intermediate_size=40,
                             num_hidden_layers=2, vocab_size=48, max_position_embeddings=128, rms_norm_eps=1e-5,
                             tie_word_embeddings=False, rope_parameters={"rope_type": "linear", "rope_theta": 20000.0, "factor": 2.5})),
]

# Real Llama 3.x RoPE settings (and two simpler ones): transformers' inv_freq for each goes to freqs.json.
FREQ_CASES = [
    ("llama-3.1-8b", 128, {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
    ("llama-3.2-1b", 64, {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
                           "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
    ("linear-x4-theta1e4-hd64", 64, {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}),
    ("default-theta5e5-hd64", 64, {"rope_type": "default", "rope_theta": 500000.0}),
]


def rope_keys_to_v4(cfg: dict) -> dict:
    """The same config in transformers 4.x's layout: top-level rope_theta + rope_scaling, torch_dtype."""
    params = dict(cfg.pop("rope_parameters"))
    out = dict(cfg)
    out["rope_theta"] = params.pop("rope_theta")
    rtype = params.get("rope_type", "default")
    out["rope_scaling"] = None if rtype == "default" else params
    if "dtype" in out:
        out["torch_dtype"] = out.pop("dtype")
    return dict(sorted(out.items()))


# --- float64 patches: HF's own math, with f32 casts removed -----------------------------------

def rmsnorm_f64(self, hidden_states):
    variance = hidden_states.pow(2).mean(-1, keepdim=True)
    return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))


@torch.no_grad()
def rotary_f64(self, x, position_ids):
    # the angle exactly as HF forms it: f32 inv_freq times the f32 position, one f32 rounding
    inv = self.inv_freq.to(torch.float32)
    freqs = inv[None, :, None] * position_ids[:, None, :].to(torch.float32)  # [B, hd/2, T]
    emb = torch.cat((freqs, freqs), dim=1).transpose(1, 2).to(torch.float64)
    return (emb.cos() * self.attention_scaling).to(x.dtype), (emb.sin() * self.attention_scaling).to(x.dtype)


def eager_attention_f64(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
    key_states = ml.repeat_kv(key, module.num_key_value_groups)
    value_states = ml.repeat_kv(value, module.num_key_value_groups)
    attn_weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling
    if attention_mask is not None:
        attn_weights = attn_weights + attention_mask
    attn_weights = torch.softmax(attn_weights, dim=-1)
    attn_output = torch.matmul(attn_weights, value_states).transpose(1, 2).contiguous()
    return attn_output, attn_weights


@contextlib.contextmanager
def float64_modules():
    saved = (ml.LlamaRMSNorm.forward, ml.LlamaRotaryEmbedding.forward, ml.eager_attention_forward)
    ml.LlamaRMSNorm.forward = rmsnorm_f64
    ml.LlamaRotaryEmbedding.forward = rotary_f64
    ml.eager_attention_forward = eager_attention_f64
    try:
        yield
    finally:
        ml.LlamaRMSNorm.forward, ml.LlamaRotaryEmbedding.forward, ml.eager_attention_forward = saved


def load(path: str, dtype: torch.dtype) -> LlamaForCausalLM:
    m = LlamaForCausalLM.from_pretrained(path, attn_implementation="eager", dtype=torch.float32)
    return m.to(dtype).eval()


def reference_f64(path: str, ids: torch.Tensor, targets: torch.Tensor):
    """f64 logits, loss and gradients of the model transformers loads from `path`."""
    with float64_modules():
        m = load(path, torch.float64)
        logits = m(input_ids=ids, use_cache=False).logits
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in m.named_parameters()}
    return logits.detach(), loss.detach(), grads, m.model.rotary_emb.inv_freq.to(torch.float32).clone()


def stock_f32_logits(path: str, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return load(path, torch.float32)(input_ids=ids, use_cache=False).logits.double()


def make_fixture(out: str, name: str, layout: str, kwargs: dict, seed: int) -> dict:
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    torch.manual_seed(seed)
    cfg = LlamaConfig(**kwargs, initializer_range=0.3)
    model = LlamaForCausalLM(cfg).float()
    with torch.no_grad():  # non-trivial norm weights, so their gradients and scaling matter
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.copy_(1 + 0.3 * torch.randn_like(p))
    model.save_pretrained(d)
    cfg_path = os.path.join(d, "config.json")
    written = json.load(open(cfg_path))
    if layout == "v4":
        with open(cfg_path, "w") as f:
            json.dump(rope_keys_to_v4(written), f, indent=2)
            f.write("\n")

    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(0, cfg.vocab_size, (B, T), generator=g)
    targets = torch.randint(0, cfg.vocab_size, (B, T), generator=g)
    targets[0, 3] = -100
    targets[1, T - 1] = -100

    logits, loss, grads, inv_freq = reference_f64(d, ids, targets)
    # transformers read the file we wrote (in either layout) as the model it saved:
    with torch.no_grad():
        direct = model.double()(input_ids=ids, use_cache=False).logits
    stock = stock_f32_logits(d, ids)
    want_inv = model.model.rotary_emb.inv_freq.float()
    if not torch.equal(inv_freq, want_inv):
        sys.exit(f"{name}: inv_freq read back from {layout} config differs from the saved model's")
    stock_diff = (stock - logits).abs().max().item()
    direct_diff = (direct - logits).abs().max().item()
    if stock_diff > 1e-4 or direct_diff > 1e-4:
        sys.exit(f"{name}: f64 reference disagrees with stock HF (f32 {stock_diff:.3g}, .double() {direct_diff:.3g})")

    ref = {"ids": ids.to(torch.int32), "targets": targets.to(torch.int32), "logits": logits, "loss": loss.reshape(1), "inv_freq": inv_freq}
    ref.update({f"grad.{n}": t for n, t in grads.items()})
    save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(d, "reference.safetensors"))
    return {"name": name, "layout": layout, "loss": loss.item(), "stock_f32_vs_f64": stock_diff, "double_vs_f64": direct_diff}


def freq_table() -> dict:
    out = {}
    for name, hd, params in FREQ_CASES:
        cfg = LlamaConfig(hidden_size=hd * 2, num_attention_heads=2, rope_parameters=dict(params), max_position_embeddings=131072)
        inv = ml.LlamaRotaryEmbedding(cfg).inv_freq.to(torch.float32)
        out[name] = {"head_dim": hd, "rope_parameters": params, "inv_freq": [float(v) for v in inv.tolist()]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "hf"))
    args = ap.parse_args()
    import transformers

    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    rows = [make_fixture(args.out, n, lay, kw, 100 + i) for i, (n, lay, kw) in enumerate(FIXTURES)]
    freqs = freq_table()
    freqs["_source"] = f"transformers {transformers.__version__} LlamaRotaryEmbedding.inv_freq (float32), torch {torch.__version__}"
    with open(os.path.join(args.out, "freqs.json"), "w") as f:
        json.dump(freqs, f, indent=1)
        f.write("\n")
    for r in rows:
        print(json.dumps(r))
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
