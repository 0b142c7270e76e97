# Stand-in for your own data: writes a labelled eval set and a training set as JSONL.
# In your project, export your messages instead: one {"id", "text", "label", ...} per line,
# plus any column a slice rule reads (here `channel`). Keep the two files disjoint (EVAL-006).
# --8<-- [start:run]
import json
import random
from pathlib import Path

LABELS = ["billing", "shipping", "account"]
WORDS = {"billing": ["refund", "charge", "invoice", "card", "price"],
         "shipping": ["parcel", "delivery", "track", "box", "courier"],
         "account": ["password", "login", "email", "profile", "username"]}
FILLER = ["please", "my", "the", "help", "now", "where", "is", "i", "need", "can", "you"]


def messages(n: int, seed: int, prefix: str) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        label = LABELS[k % 3]
        words = [rng.choice(FILLER) for _ in range(rng.randint(1, 6))]
        words.insert(rng.randint(0, len(words)), rng.choice(WORDS[label]))
        out.append({"id": f"{prefix}-{k:04d}", "text": " ".join(words), "label": label,
                    "channel": rng.choice(["email", "chat"])})
    return out


data = Path("support-router/data")
for name, n, seed in (("eval", 150, 1), ("train", 600, 2)):
    rows = messages(n, seed, name)
    (data / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{data / name}.jsonl: {len(rows)} messages")
# --8<-- [end:run]
