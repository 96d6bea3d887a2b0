"""Interop check (not needed by tests or CI): a directory `heed train` wrote (model/ or
checkpoint/) loads unchanged into transformers (AutoModelForCausalLM + AutoTokenizer), and
gives heed's logits. Prints the max |difference| against logits heed dumped as JSON.

    npx tsx scripts/dump_logits.ts DIR "text" > /tmp/heed-logits.json
    /tmp/heed-peers-venv/bin/python scripts/check_train_interop.py DIR "text" /tmp/heed-logits.json
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

d, text, dump = sys.argv[1], sys.argv[2], sys.argv[3]
tok = AutoTokenizer.from_pretrained(d)
model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
ref = json.load(open(dump))
ids = tok(text).input_ids
print("transformers ids == heed ids:", ids == ref["ids"])
with torch.no_grad():
    logits = model(torch.tensor([ref["ids"]])).logits[0]
diff = (logits - torch.tensor(ref["logits"])).abs().max().item()
print(f"max |logit difference| over {len(ref['ids'])} positions x {logits.shape[-1]} vocab: {diff:.2e}")
sys.exit(0 if ids == ref["ids"] and diff < 1e-3 else 1)
